//! The command line as a user meets it: the real `nabla` binary, run as a process.
//!
//! - Every file of `tests/data/bad/` (at least 25, one or more per error class of SPEC
//!   1.4: lexical, syntax, names, shapes, files and CSV, domain errors at the starting
//!   values, several errors at once) is run with `nabla eval FILE`; its exit code must be
//!   2 and its whole output (stdout and stderr) is an insta snapshot, so a change in a
//!   message is seen in review.
//! - With `--json`, an error is one JSON document on stdout (SPEC 6), also for a bad flag.
//! - Success: the sigmoid example and `eval -e` give the right numbers.
//! - Extreme input (100,000-deep nesting, a 4 MiB expression, a 20 MB program refused, invalid UTF-8, a NUL byte,
//!   `1e999`, an unterminated string, an empty file) ends within seconds in a clear error
//!   with exit code 2, or in the correct result, never in a panic or a stack overflow.
//!
//! The binary runs with the crate's directory as its working directory and relative file
//! arguments, so the paths in messages (and snapshots) are stable.

use serde_json::Value as Json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The fewest bad inputs `tests/data/bad/` must hold.
const MIN_BAD_INPUTS: usize = 25;

/// How long one run of the binary on extreme input may take (debug build, generous).
const TIME_LIMIT: Duration = Duration::from_secs(60);

/// A run still going after this long is killed, so a hang fails the test instead of
/// hanging the suite.
const KILL_AFTER: Duration = Duration::from_secs(300);

/// The most stderr a single error may print: a message, not a dump of the input.
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// The sigmoid example's loss at its starting values, (w, b) = (-2, -2):
/// 0.5 * ((sigmoid(-3) - 0.2)^2 + (sigmoid(-7) - 0.9)^2) = 0.41581990101999279654...
const SIGMOID_LOSS: f64 = 0.415_819_901_019_992_8;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One finished run of the binary.
struct Run {
    /// The exit code; `None` when a signal ended the process (or it was killed).
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// Whether the run hit [`KILL_AFTER`] and was killed.
    killed: bool,
}

impl Run {
    /// A description for assertion messages, with long output cut.
    fn describe(&self) -> String {
        format!(
            "exit {:?} after {:.1?}{}\n--- stdout ({} bytes)\n{}\n--- stderr ({} bytes)\n{}",
            self.code,
            self.elapsed,
            if self.killed { " (killed)" } else { "" },
            self.stdout.len(),
            cut(&self.stdout),
            self.stderr.len(),
            cut(&self.stderr),
        )
    }
}

fn cut(text: &str) -> String {
    const KEEP: usize = 2000;
    if text.len() <= KEEP {
        return text.to_string();
    }
    let mut end = KEEP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... [{} more bytes]", &text[..end], text.len() - end)
}

/// Runs `nabla ARGS` in the crate's directory, without colour or backtraces, reading its
/// output as it comes (so a large output cannot block it), and killing it after
/// [`KILL_AFTER`].
fn nabla(args: &[&str]) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(args)
        .current_dir(manifest_dir())
        .env("RUST_BACKTRACE", "0")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the nabla binary starts");
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for nabla") {
            break status;
        }
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
            killed = true;
            break child.wait().expect("waiting for the killed nabla");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Run {
        code: status.code(),
        stdout: text(stdout.join().expect("stdout reader")),
        stderr: text(stderr.join().expect("stderr reader")),
        elapsed,
        killed,
    }
}

/// The output of `nabla eval FILE` as one text for a snapshot. A panic's first line
/// holds a thread id and a source path that change from run to run; they are replaced.
fn check(file: &str) -> String {
    let run = nabla(&["eval", file]);
    show(&run)
}

fn show(run: &Run) -> String {
    let code = run
        .code
        .map_or("none (killed by a signal)".to_string(), |c| c.to_string());
    format!(
        "exit: {code}\n--- stdout\n{}--- stderr\n{}",
        run.stdout,
        stable(&run.stderr)
    )
}

fn stable(stderr: &str) -> String {
    stderr
        .split_inclusive('\n')
        .map(|line| {
            if line.starts_with("thread '") && line.contains(" panicked at ") {
                "thread [..] panicked at [..]:\n"
            } else {
                line
            }
        })
        .collect()
}

/// The bad input files, as paths relative to the crate's directory.
fn bad_files() -> Vec<String> {
    let dir = manifest_dir().join("tests/data/bad");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/data/bad exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "nabla"))
        .map(|path| relative(&path))
        .collect();
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(manifest_dir())
        .expect("a path under the crate")
        .to_string_lossy()
        .into_owned()
}

/// Signs that the process crashed rather than reporting an error.
fn crash_signs(run: &Run) -> Vec<&'static str> {
    let mut signs = Vec::new();
    for sign in [
        "panicked",
        "stack overflow",
        "has overflowed its stack",
        "RUST_BACKTRACE",
        "memory allocation",
    ] {
        if run.stderr.contains(sign) || run.stdout.contains(sign) {
            signs.push(sign);
        }
    }
    if run.code.is_none() {
        signs.push("ended by a signal");
    }
    if run.code == Some(101) {
        signs.push("exit code 101 (a panic)");
    }
    signs
}

// ---------------------------------------------------------------------------------------
// 1. Bad inputs: snapshots and exit code 2

/// Each bad input's output is the snapshot `snapshots/cli__bad@NAME.snap`. (This is what
/// `insta::glob!` does, written out because insta's `glob` feature is not enabled.) A
/// snapshot that differs does not stop the loop: every file is checked, then the test
/// fails with the list.
#[test]
fn every_bad_input_exits_2_with_a_snapshotted_message() {
    let files = bad_files();
    assert!(
        files.len() >= MIN_BAD_INPUTS,
        "only {} bad inputs in tests/data/bad, want at least {MIN_BAD_INPUTS}",
        files.len()
    );
    let mut differ = Vec::new();
    let mut wrong_exit = Vec::new();
    for file in &files {
        let stem = Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name");
        let text = check(file);
        let snapshot = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            insta::with_settings!({
                snapshot_suffix => stem,
                input_file => manifest_dir().join(file),
                omit_expression => true,
            }, {
                insta::assert_snapshot!("bad", text);
            });
        }));
        if snapshot.is_err() {
            differ.push(file.clone());
        }
        let crashed: Vec<&str> = ["panicked", "stack overflow", "has overflowed its stack"]
            .into_iter()
            .filter(|sign| text.contains(sign))
            .collect();
        let stderr = text.split_once("--- stderr\n").map_or("", |(_, e)| e);
        if !text.starts_with("exit: 2\n") || !crashed.is_empty() || stderr.trim().is_empty() {
            wrong_exit.push(format!("{file}: {crashed:?}\n{}", cut(&text)));
        }
    }
    assert!(
        wrong_exit.is_empty() && differ.is_empty(),
        "snapshots that differ: {differ:?}\n\n\
         bad inputs that did not end in exit code 2 with an error message on stderr:\n\n{}",
        wrong_exit.join("\n\n")
    );
}

#[test]
fn the_check_helper_shows_exit_code_stdout_and_stderr() {
    let text = check("tests/data/bad/syn_implicit_mult.nabla");
    assert!(
        text.starts_with("exit: 2\n--- stdout\n--- stderr\n"),
        "{text}"
    );
    assert!(text.contains("implicit multiplication"), "{text}");
    assert!(text.contains("2*w"), "the fix is suggested: {text}");
}

/// Each error class of SPEC 1.4 has at least one bad input, named by its prefix.
#[test]
fn bad_inputs_cover_every_error_class() {
    let files = bad_files();
    for class in [
        "lex_", "syn_", "name_", "shape_", "file_", "domain_", "multi_",
    ] {
        let n = files
            .iter()
            .filter(|f| f.trim_start_matches("tests/data/bad/").starts_with(class))
            .count();
        assert!(n >= 1, "no bad input of class {class}");
    }
    let required = [
        "lex_unexpected_char",
        "lex_nul_byte",
        "lex_unterminated_string",
        "lex_number_overflow",
        "lex_invalid_utf8",
        "syn_missing_operand",
        "syn_unclosed_paren",
        "syn_implicit_mult",
        "syn_check_without_derivative",
        "syn_param_without_value",
        "syn_derivative_without_denominator",
        "syn_trailing_operator_eof",
        "name_unknown_suggestion",
        "name_unknown_function",
        "name_duplicate",
        "name_cycle_of_three",
        "name_wrong_arity",
        "name_call_param",
        "name_function_as_value",
        "name_differentiate_by_definition",
        "shape_vector_objective",
        "shape_check_vector_hand",
        "shape_length_mismatch",
        "shape_param_uses_data",
        "file_missing_csv",
        "file_csv_missing_column",
        "file_csv_bad_cell",
        "domain_ln_negative_data",
        "domain_division_by_zero",
        "domain_sqrt_negative",
        "multi_several_errors",
    ];
    for name in required {
        let file = format!("tests/data/bad/{name}.nabla");
        assert!(files.contains(&file), "missing bad input {file}");
    }
    // The fixtures are what their names say.
    let bytes = std::fs::read(manifest_dir().join("tests/data/bad/lex_invalid_utf8.nabla"))
        .expect("the invalid UTF-8 fixture");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "lex_invalid_utf8 must not be UTF-8"
    );
    let bytes = std::fs::read(manifest_dir().join("tests/data/bad/lex_nul_byte.nabla"))
        .expect("the NUL byte fixture");
    assert!(bytes.contains(&0), "lex_nul_byte must hold a NUL byte");
}

/// The places and words that matter in the messages, asserted directly (the snapshots
/// hold the rest).
#[test]
fn messages_point_at_the_right_place_and_say_the_fix() {
    let cases: [(&str, &[&str]); 14] = [
        ("lex_nul_byte", &["lex_nul_byte.nabla:2:11", "'\\0'"]),
        (
            "lex_number_overflow",
            &["lex_number_overflow.nabla:2:12", "overflows f64"],
        ),
        (
            "syn_implicit_mult",
            &["syn_implicit_mult.nabla:2:8", "`2*w`"],
        ),
        (
            "syn_unclosed_paren",
            &["syn_unclosed_paren.nabla:2:8", "never closed"],
        ),
        (
            "name_unknown_suggestion",
            &["name_unknown_suggestion.nabla:2:9", "`weight`"],
        ),
        (
            "name_unknown_function",
            &["name_unknown_function.nabla:2:8", "`sigmoid`"],
        ),
        ("name_cycle_of_three", &["a -> b -> c -> a"]),
        (
            "name_wrong_arity",
            &["name_wrong_arity.nabla:2:8", "2 arguments"],
        ),
        ("shape_vector_objective", &["sum(...)", "mean(...)"]),
        ("shape_length_mismatch", &["`x` has 3 rows", "`y` has 2"]),
        ("file_csv_bad_cell", &["bad_cell.csv:3:5", "row 2", "`abc`"]),
        (
            "domain_ln_negative_data",
            &["domain_ln_negative_data.nabla:3:12", "data row 2", "w = 1"],
        ),
        (
            "domain_division_by_zero",
            &[
                "domain_division_by_zero.nabla:3:8",
                "division by zero",
                "w = 1",
            ],
        ),
        (
            "domain_sqrt_negative",
            &["domain_sqrt_negative.nabla:2:8", "sqrt", "w = -4"],
        ),
    ];
    let mut problems = Vec::new();
    for (name, wanted) in cases {
        let run = nabla(&["eval", &format!("tests/data/bad/{name}.nabla")]);
        for w in wanted {
            if !run.stderr.contains(w) {
                problems.push(format!("{name}: stderr lacks {w:?}:\n{}", run.stderr));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

// ---------------------------------------------------------------------------------------
// 2. JSON errors

/// Runs `nabla ARGS` (which must include `--json`) and returns the error document after
/// checking its shape: exit 2, nothing on stderr, `error` and `errors` with
/// `message`, `file`, `line`, `column`, and `error` the first of `errors`.
fn json_error(args: &[&str]) -> Json {
    let run = nabla(args);
    assert_eq!(run.code, Some(2), "{args:?}: {}", run.describe());
    assert_eq!(
        run.stderr,
        "",
        "{args:?}: nothing on stderr with --json: {}",
        run.describe()
    );
    let document: Json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {}", run.describe()));
    let errors = document["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{args:?}: no `errors` array in {document:#}"));
    assert!(
        !errors.is_empty(),
        "{args:?}: empty `errors` in {document:#}"
    );
    assert_eq!(
        document["error"], errors[0],
        "{args:?}: `error` is the first of `errors`"
    );
    for error in errors {
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{error:#}"
        );
        for key in ["file", "line", "column"] {
            assert!(
                error.get(key).is_some(),
                "{args:?}: no `{key}` in {error:#}"
            );
        }
    }
    document
}

/// The `error` of a document, with its place checked.
fn assert_at(document: &Json, file: &str, line: u64, column: u64, words: &str) {
    let error = &document["error"];
    assert_eq!(error["file"].as_str(), Some(file), "{document:#}");
    assert_eq!(error["line"].as_u64(), Some(line), "{document:#}");
    assert_eq!(error["column"].as_u64(), Some(column), "{document:#}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(words),
        "message lacks {words:?}: {document:#}"
    );
}

#[test]
fn json_errors_of_bad_files() {
    let eval = |name: &str| {
        let file = format!("tests/data/bad/{name}.nabla");
        let document = json_error(&["eval", &file, "--json"]);
        (file, document)
    };

    let (file, d) = eval("syn_implicit_mult");
    assert_at(&d, &file, 2, 8, "implicit multiplication");
    assert!(
        d["error"]["help"]
            .as_str()
            .is_some_and(|h| h.contains("2*w")),
        "{d:#}"
    );

    let (file, d) = eval("name_unknown_suggestion");
    assert_at(&d, &file, 2, 9, "wieght");

    let (file, d) = eval("lex_number_overflow");
    assert_at(&d, &file, 2, 12, "overflows f64");

    let (file, d) = eval("lex_nul_byte");
    assert_at(&d, &file, 2, 11, "unexpected character");

    let (file, d) = eval("lex_invalid_utf8");
    assert_at(&d, &file, 3, 7, "UTF-8");

    let (file, d) = eval("domain_ln_negative_data");
    assert_at(&d, &file, 3, 12, "data row 2");

    let (file, d) = eval("shape_length_mismatch");
    assert_at(&d, &file, 2, 6, "`y` has 2");

    let (_, d) = eval("file_csv_bad_cell");
    let csv = d["error"]["file"].as_str().unwrap_or_default();
    assert!(
        csv.ends_with("bad_cell.csv"),
        "the CSV file is named: {d:#}"
    );
    assert_eq!(d["error"]["line"].as_u64(), Some(3), "{d:#}");
    assert_eq!(d["error"]["column"].as_u64(), Some(5), "{d:#}");

    // All errors of a file, each with its own place, in source order.
    let (file, d) = eval("multi_several_errors");
    let errors = d["errors"].as_array().expect("errors");
    let places: Vec<(u64, u64)> = errors
        .iter()
        .map(|e| {
            assert_eq!(e["file"].as_str(), Some(file.as_str()), "{e:#}");
            (
                e["line"].as_u64().unwrap_or(0),
                e["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(places, [(2, 20), (3, 5), (4, 5), (5, 1)], "{d:#}");
}

#[test]
fn json_errors_of_bad_flags_and_arguments() {
    for args in [
        &["eval", "-e", "x", "--at", "x=abc", "--json"][..],
        &["eval", "--bogus", "--json"],
        &["eval", "-e", "x", "--at", "x", "--json"],
        &["eval", "-e", "x", "--at", "y=1", "--json"],
        &["eval", "--json"],
        &["eval", "tests/data/no_such_file.nabla", "--json"],
    ] {
        let document = json_error(args);
        let message = document["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.contains("panicked"), "{args:?}: {document:#}");
    }
    let d = json_error(&["eval", "-e", "x", "--at", "x=abc", "--json"]);
    let message = d["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("abc"), "the bad value is named: {d:#}");
    let d = json_error(&["eval", "--bogus", "--json"]);
    let message = d["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("--bogus"), "the bad flag is named: {d:#}");
}

#[test]
fn bad_flags_without_json_exit_2_with_a_message_on_stderr() {
    for args in [
        &["eval", "-e", "x", "--at", "x=abc"][..],
        &["eval", "--bogus"],
        &["eval"],
        &["bogus-command"],
        &["eval", "tests/data/no_such_file.nabla"],
        &["eval", "tests/data"],
    ] {
        let run = nabla(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.describe());
        assert_eq!(run.stdout, "", "{args:?}: {}", run.describe());
        assert!(
            !run.stderr.trim().is_empty(),
            "{args:?}: {}",
            run.describe()
        );
        assert!(crash_signs(&run).is_empty(), "{args:?}: {}", run.describe());
    }
}

// ---------------------------------------------------------------------------------------
// 3. Success

fn assert_close(found: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (found - expected).abs() <= tolerance,
        "{what}: {found:e} is not within {tolerance:e} of {expected:e}"
    );
}

#[test]
fn eval_of_the_sigmoid_example() {
    let run = nabla(&["eval", "examples/sigmoid.nabla"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_eq!(run.stderr, "", "{}", run.describe());
    let loss = run
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("loss = "))
        .unwrap_or_else(|| panic!("no `loss = ` line: {}", run.describe()));
    assert!(loss.starts_with("0.41581990101999"), "{}", run.describe());
    let loss: f64 = loss.trim().parse().expect("loss is a number");
    assert_close(loss, SIGMOID_LOSS, 1e-15, "loss");

    let run = nabla(&["eval", "examples/sigmoid.nabla", "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_eq!(run.stderr, "", "{}", run.describe());
    let document: Json = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let loss = document["values"]["loss"]
        .as_f64()
        .expect("values.loss is a number");
    assert_close(loss, SIGMOID_LOSS, 1e-15, "values.loss");
    let f = document["values"]["f"]
        .as_array()
        .expect("values.f is a vector");
    assert_eq!(f.len(), 2, "{document:#}");
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    assert_close(
        f[0].as_f64().unwrap_or(f64::NAN),
        sigmoid(-3.0),
        1e-15,
        "f row 1",
    );
    assert_close(
        f[1].as_f64().unwrap_or(f64::NAN),
        sigmoid(-7.0),
        1e-15,
        "f row 2",
    );
}

#[test]
fn eval_of_one_expression() {
    let expected = 1f64.sin().powi(2) + 2.0;
    let run = nabla(&["eval", "-e", "sin(x)^2 + y", "--at", "x=1,y=2"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_eq!(run.stderr, "", "{}", run.describe());
    let value: f64 = run.stdout.trim().parse().expect("one number");
    assert_close(value, expected, 1e-15, "sin(1)^2 + 2");

    let run = nabla(&[
        "eval",
        "-e",
        "sin(x)^2 + y",
        "--at",
        "x=1",
        "--at",
        "y=2",
        "--json",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let document: Json = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let value = document["value"].as_f64().expect("value is a number");
    assert_close(value, expected, 1e-15, "value");

    let run = nabla(&["eval", "-e", "sin(x)^2", "--at", "x=1"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let value: f64 = run.stdout.trim().parse().expect("one number");
    assert_close(value, 1f64.sin().powi(2), 1e-15, "sin(1)^2");
}

// ---------------------------------------------------------------------------------------
// 4. Extreme input

/// A file in the system's temp directory with a name no other test or process uses;
/// removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(stem: &str, contents: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("nabla-cli-{}-{n}-{stem}.nabla", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("writing a temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What an extreme input must end in.
enum Expect<'a> {
    /// Exit 2 with these words on stderr.
    Error(&'a str),
    /// Exit 0 with exactly this on stdout.
    Output(&'a str),
}

/// Runs `nabla eval` on `contents` (written to a temp file) and checks the outcome: in
/// time, no crash, and the expected error or output.
fn extreme(stem: &str, contents: &[u8], expect: Expect) -> Run {
    let file = TempFile::new(stem, contents);
    let run = nabla(&["eval", file.path()]);
    let what = format!("{stem} ({} bytes)", contents.len());
    assert!(
        crash_signs(&run).is_empty(),
        "{what} crashed: {}",
        run.describe()
    );
    assert!(
        run.elapsed < TIME_LIMIT,
        "{what} took {:.1?}, the limit is {TIME_LIMIT:?}: {}",
        run.elapsed,
        run.describe()
    );
    match expect {
        Expect::Error(words) => {
            assert_eq!(run.code, Some(2), "{what}: {}", run.describe());
            assert!(
                run.stderr.contains(words),
                "{what}: no {words:?}: {}",
                run.describe()
            );
            assert!(
                run.stderr.len() <= MAX_ERROR_BYTES,
                "{what}: the error is {} bytes of stderr, more than {MAX_ERROR_BYTES}: {}",
                run.stderr.len(),
                run.describe()
            );
        }
        Expect::Output(text) => {
            assert_eq!(run.code, Some(0), "{what}: {}", run.describe());
            assert_eq!(run.stdout, text, "{what}: {}", run.describe());
        }
    }
    run
}

const DEPTH: usize = 100_000;

#[test]
fn extreme_deep_parentheses() {
    let text = format!(
        "param w = 1\nloss = {}w{}\n",
        "(".repeat(DEPTH),
        ")".repeat(DEPTH)
    );
    extreme(
        "deep_parens",
        text.as_bytes(),
        Expect::Error("nested too deeply"),
    );
    let text = format!("loss = {}\n", "(".repeat(DEPTH));
    extreme(
        "deep_open_parens",
        text.as_bytes(),
        Expect::Error("nested too deeply"),
    );
}

#[test]
fn extreme_deep_unary_minus_powers_and_brackets() {
    let text = format!("param w = 1\nloss = {}w\n", "-".repeat(DEPTH));
    extreme(
        "deep_minus",
        text.as_bytes(),
        Expect::Error("nested too deeply"),
    );
    let text = format!("param w = 1\nloss = w{}\n", "^w".repeat(DEPTH));
    extreme(
        "deep_power",
        text.as_bytes(),
        Expect::Error("nested too deeply"),
    );
    let text = format!("loss = {}1{}\n", "[".repeat(DEPTH), "]".repeat(DEPTH));
    extreme(
        "deep_brackets",
        text.as_bytes(),
        Expect::Error("nested too deeply"),
    );
}

/// 4 MiB in one expression: `data x = [1]` and `loss = sum(x + x + ... + x)`.
#[test]
fn extreme_4_mb_expression() {
    // Just under the program limit (MAX_PROGRAM_BYTES, 4 MiB).
    let terms = 4 * 1024 * 1024 / 4 - 16;
    let mut text = String::with_capacity(terms * 4 + 64);
    text.push_str("data x = [1]\nloss = sum(x");
    for _ in 1..terms {
        text.push_str(" + x");
    }
    text.push_str(")\n");
    assert!(
        text.len() <= nabla::program::MAX_PROGRAM_BYTES,
        "{} bytes",
        text.len()
    );
    extreme(
        "4mb_sum",
        text.as_bytes(),
        Expect::Output(&format!("loss = {terms}\n")),
    );
}

/// A program past the 4 MiB limit is refused before it is parsed, with the limit in
/// the message (a 20 MB sum once took 2.3 GB; at 64 MiB, 13 GB).
#[test]
fn extreme_20_mb_expression_is_refused_with_the_limit() {
    let terms = 20 * 1024 * 1024 / 4;
    let text = format!("data x = [1]\nloss = sum(x{})\n", " + x".repeat(terms - 1));
    extreme(
        "20mb_sum",
        text.as_bytes(),
        Expect::Error("the program (20971543 bytes) exceeds the limit of 4194304"),
    );
}

/// A 4 MiB line that ends in a binary operator at the end of the file: the error must
/// be a message, not the 4 MiB line printed back.
#[test]
fn extreme_4_mb_line_with_a_trailing_operator() {
    let terms = 4 * 1024 * 1024 / 4 - 16;
    let text = format!("loss = 1{} +\n", " + 1".repeat(terms - 1));
    extreme(
        "4mb_trailing_plus",
        text.as_bytes(),
        Expect::Error("expected an expression"),
    );
}

#[test]
fn extreme_invalid_utf8() {
    // Latin-1 `éta`, as an editor in another encoding writes it.
    extreme(
        "latin1",
        b"param \xe9ta = 1\nloss = \xe9ta^2\n",
        Expect::Error("not valid UTF-8"),
    );
    // A truncated multi-byte sequence at the very end.
    extreme(
        "truncated_utf8",
        b"param w = 1\nloss = w\xce",
        Expect::Error("not valid UTF-8"),
    );
}

#[test]
fn extreme_nul_byte() {
    extreme(
        "nul",
        b"param w = 1\nloss = w\0 + 1\n",
        Expect::Error("unexpected character"),
    );
    extreme("only_nul", b"\0", Expect::Error("unexpected character"));
}

#[test]
fn extreme_huge_number() {
    extreme("1e999", b"loss = 1e999\n", Expect::Error("overflows f64"));
    let run = nabla(&["eval", "-e", "1e999"]);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stderr.contains("overflows f64"), "{}", run.describe());
    // Not an overflow: a number too small for f64 is 0, and a long literal is kept.
    extreme("1e-999", b"loss = 1e-999\n", Expect::Output("loss = 0\n"));
    extreme(
        "long_literal",
        b"loss = 1.00000000000000000000000000000000000000001\n",
        Expect::Output("loss = 1\n"),
    );
}

#[test]
fn extreme_unterminated_string() {
    extreme(
        "unterminated",
        b"data x from \"points.csv\nloss = sum(x)\n",
        Expect::Error("unterminated string"),
    );
    extreme(
        "unterminated_eof",
        b"data x from \"",
        Expect::Error("unterminated string"),
    );
}

#[test]
fn extreme_empty_file() {
    extreme("empty", b"", Expect::Output(""));
    let run = extreme("comments_only", b"\n# nothing here\n\n", Expect::Output(""));
    assert_eq!(run.stderr, "", "{}", run.describe());
    let file = TempFile::new("empty_json", b"");
    let run = nabla(&["eval", file.path(), "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let document: Json = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(document, serde_json::json!({ "values": {} }));
}
