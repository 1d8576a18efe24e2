//! The REPL: scripted sessions through the real binary with stdin piped (insta
//! snapshots of the script and the transcript, stdout and stderr in the order written),
//! the engine in-process, and one session through a pseudo-terminal for completion,
//! history, multi-line input, Ctrl-C and Ctrl-D.

use nabla::repl::{Command, Repl, ReplHelper, Reply, is_incomplete, parse_command};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_nabla");

/// A fresh temporary path for this test.
fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nabla-repl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Runs `nabla repl ARGS` with `script` on stdin; the script, then what it printed
/// (stdout and stderr into one file, so in the order written). The exit code must be 0.
fn session(name: &str, args: &[&str], script: &str) -> String {
    session_bytes(name, args, script.as_bytes())
}

/// [`session`] with any bytes on stdin (the script shown lossily).
fn session_bytes(name: &str, args: &[&str], script: &[u8]) -> String {
    let dir = temp_path(name);
    let transcript = dir.join("transcript");
    let file = std::fs::File::create(&transcript).expect("a transcript file");
    let mut child = Process::new(BIN)
        .arg("repl")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NABLA_HISTORY", dir.join("history"))
        .stdin(Stdio::piped())
        .stdout(file.try_clone().expect("a second handle"))
        .stderr(file)
        .spawn()
        .expect("nabla runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(script).expect("the script is written");
    drop(stdin);
    let status = child.wait().expect("nabla ends");
    assert_eq!(status.code(), Some(0), "nabla repl exits 0");
    let output = std::fs::read_to_string(&transcript).expect("the transcript");
    format!("{}---\n{output}", String::from_utf8_lossy(script))
}

#[test]
fn values_and_symbolic_derivatives() {
    let script = "1 + 2\n2^-1 * 3\nsin(pi/2)\nd(sin(x)^2)/d(x)\nd(x^y)/d(y)\nx*1 + 0\n\
                  d(d(x^3)/d(x))/d(x)\n";
    insta::assert_snapshot!("values", session("values", &[], script));
}

#[test]
fn params_data_definitions_and_redefinition() {
    let script = "param w = 2, b = 0.5\ndata x = [1, 2, 3]\nf = w*x + b\nf\nsum(f)\n\
                  d(sum(f^2))/d(w)\nsq(z) = z^2\nsq(w) + sq(3)\nparam w = 3\nf\n\
                  b = 10\nf\n:vars\na = 1; a + 1\n";
    insta::assert_snapshot!("definitions", session("definitions", &[], script));
}

#[test]
fn errors_point_into_the_typed_line_and_the_session_goes_on() {
    let script = "param w = 1\n1 +* 2\nsigmoud(w)\n2w\nln(w - 2)\nv = 1; v = 2\n\
                  data y = [1, 2, 3]\ndata z = [1, 2]\nloss = (w - 3)^2\n:grad los\n:grda\n\
                  :load\nw + 1\n";
    insta::assert_snapshot!("errors", session("errors", &[], script));
}

#[test]
fn multi_line_input_while_brackets_are_open() {
    let script = "v = [1,\n  2,\n  3]\nsum(v)\nf = 1 +\n  2\nf\n(1 +\n  2 *)\n\
                  max(1,\n  2)\n";
    insta::assert_snapshot!("multi_line", session("multi_line", &[], script));
}

#[test]
fn sigmoid_loaded_graded_checked_and_minimized() {
    let script = ":load examples/sigmoid.nabla\n:grad loss\nd(loss)/d(w)\n:check\n\
                  :minimize loss\nloss\n:vars\n";
    insta::assert_snapshot!("sigmoid", session("sigmoid", &[], script));
}

#[test]
fn every_command() {
    let script = ":help\n:hess\n:grad\n:taylor loss\n:latex d(sigmoid(z))/d(z)\n:latex loss\n\
                  :dot a*b + a\n:minimize loss by adam(rate = 0.1, epochs = 3)\na\n\
                  :minimize loss by newton(epochs = 2)\n:vars\n:reset\n:vars\n:quit\n1 + 1\n";
    let out = session("commands", &["tests/data/repl/bowl.nabla"], script);
    insta::assert_snapshot!("commands", out);
}

#[test]
fn statements_check_and_minimize_run_when_typed() {
    let script = "check d(loss)/d(w) = sum((f - y) * f * (1 - f))\n\
                  check d(loss)/d(b) = sum((f - y) * f * (1 - f))\n\
                  minimize loss by gd(rate = 1, epochs = 20)\nw\n:minimize\n";
    let out = session("typed", &["examples/sigmoid.nabla"], script);
    insta::assert_snapshot!("typed_statements", out);
}

#[test]
fn load_errors_keep_the_session() {
    let script = "param w = 5\n:load tests/data/repl/missing.nabla\n\
                  :load tests/data/repl/broken.nabla\nw\n:load tests/data/repl/bowl.nabla\nloss\n";
    insta::assert_snapshot!("load_errors", session("load_errors", &[], script));
}

#[test]
fn a_line_that_is_not_utf8_is_reported_and_the_session_goes_on() {
    let script = b"a = 1\nb = \"\xff\xfe\" + a\n(1 +\n\xc3\n2)\na + 1\n";
    let out = session_bytes("utf8", &[], script);
    insta::assert_snapshot!("not_utf8", out);
}

#[test]
fn a_definition_may_call_a_function_defined_later() {
    let script = "f(x) = g(x) + 1\nh = f(2) * 10\nf(1)\nh\ng(x) = x^2\nf(3)\nh\n\
                  g(x) = 3*x\nh\nk = sigmoud(1)\n";
    let out = session("forward", &[], script);
    insta::assert_snapshot!("forward_functions", out);
}

#[test]
fn json_gives_one_line_per_input() {
    let script = "param w = 2\ndata x = [1, 2]\nloss = sum((w*x - 3)^2)\nloss\n\
                  d(sin(y)^2)/d(y)\nsum(x +\n  1)\n1 +* 2\nln(-1)\n:grad\n:vars\n\
                  :minimize loss by gd(rate = 0.05, epochs = 50)\nw\n:latex d(w^3)/d(w)\n\
                  :nope\n:quit\n";
    let out = session("json", &["--json"], script);
    let documents: Vec<&str> = out.split("---\n").nth(1).unwrap_or("").lines().collect();
    assert_eq!(documents.len(), 15, "one document per input:\n{out}");
    for line in &documents {
        let document: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(document.is_object(), "{line}");
    }
    insta::assert_snapshot!("json", out);
}

#[test]
fn minimize_by_lbfgs_with_its_options() {
    let script = "param w = 3, b = 1\nloss = (w - 1)^2 + 10*(b - w^2)^2\n\
                  :minimize by lbfgs(memory = 3, tol = 1e-9)\n:minimize by lbfgs(memory = 0)\n";
    let out = session("lbfgs", &["--json"], script);
    let documents: Vec<serde_json::Value> = out
        .split("---\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let descent = documents.iter().find(|d| d["method"] == "lbfgs");
    let descent = descent.unwrap_or_else(|| panic!("no lbfgs descent:\n{out}"));
    assert_eq!(descent["stopped"], "tol", "{descent}");
    assert!(descent["evaluations"]["gradient"].as_u64().unwrap_or(0) > 1);
    let error = documents
        .iter()
        .find_map(|d| d["error"]["message"].as_str());
    let error = error.unwrap_or_else(|| panic!("memory = 0 was accepted:\n{out}"));
    assert!(error.contains("`memory`"), "{error}");
}

// The engine in-process.

fn enter(repl: &mut Repl, line: &str) -> Vec<Reply> {
    match repl.enter(line) {
        Ok(replies) => replies,
        Err(failure) => panic!("`{line}` failed: {:?}", failure.errors),
    }
}

#[test]
fn engine_prints_the_simplified_derivative() {
    let mut repl = Repl::new();
    let replies = enter(&mut repl, "d(sin(x)^2)/d(x)");
    let [Reply::Symbolic { printed, value }] = replies.as_slice() else {
        panic!("one symbolic reply: {replies:?}");
    };
    assert_eq!(printed.results, ["2*sin(x)*cos(x)"]);
    assert!(value.is_none());
}

#[test]
fn engine_redefinition_replaces_and_errors_keep_nothing() {
    let mut repl = Repl::new();
    enter(&mut repl, "param w = 2");
    enter(&mut repl, "loss = w^2");
    let failure = repl.enter("bad = w +").expect_err("a syntax error");
    let span = failure.errors[0].span.expect("a span");
    assert_eq!(repl.sources().name(span.source), "<repl:3>");
    enter(&mut repl, "w = 3");
    let replies = enter(&mut repl, "loss");
    assert!(matches!(replies.as_slice(), [Reply::Value(v)] if v.scalar() == Some(9.0)));
    assert_eq!(repl.names(), ["loss", "w"]);
}

fn value_of(repl: &mut Repl, expr: &str) -> Option<f64> {
    match enter(repl, expr).as_slice() {
        [Reply::Value(v)] => v.scalar(),
        other => panic!("`{expr}` gave {other:?}"),
    }
}

#[test]
fn engine_redefinition_reaches_every_dependant() {
    let mut repl = Repl::new();
    enter(&mut repl, "param w = 2");
    enter(&mut repl, "a = w + 1");
    enter(&mut repl, "sq(z) = z^2 + a");
    enter(&mut repl, "b = sq(a)");
    enter(&mut repl, "c = b + x"); // x is free
    assert_eq!(value_of(&mut repl, "b"), Some(12.0));
    // Redefining the first name of the chain: every dependant sees it.
    enter(&mut repl, "w = 5");
    assert_eq!(value_of(&mut repl, "b"), Some(42.0));
    // Defining a free name later: the definitions that used it see it.
    enter(&mut repl, "x = 100");
    assert_eq!(value_of(&mut repl, "c"), Some(142.0));
    // A function redefined: its calls are inlined again.
    enter(&mut repl, "sq(z) = z");
    assert_eq!(value_of(&mut repl, "c"), Some(106.0));
    assert_eq!(repl.names(), ["a", "b", "c", "w", "x", "sq"]);
    assert!(repl.program().params.is_empty(), "`w` is no longer a param");
}

#[test]
fn engine_an_input_that_fails_changes_nothing() {
    let mut repl = Repl::new();
    enter(&mut repl, "param w = 2");
    enter(&mut repl, "a = w + 1");
    // `a` would be lowered again, and fail (a function used as a value): all undone.
    let failure = repl.enter("w(z) = z").expect_err("`a` uses `w` as a value");
    let span = failure.errors[0].span.expect("a span");
    assert_eq!(repl.sources().name(span.source), "<repl:2>");
    // A domain error in the same line as a definition: the definition is not kept.
    assert!(repl.enter("b = 1; ln(-1)").is_err());
    assert!(repl.enter("c = 1 +* 2").is_err());
    assert_eq!(value_of(&mut repl, "a"), Some(3.0));
    assert_eq!(repl.names(), ["w", "a"]);
    assert_eq!(repl.program().params.len(), 1);
    assert!(repl.program().definition("b").is_none());
}

#[test]
fn engine_forward_function_waits_then_works() {
    let mut repl = Repl::new();
    let replies = enter(&mut repl, "f(x) = g(x) * 2");
    assert!(
        matches!(replies.as_slice(), [Reply::Warning(_)]),
        "{replies:?}"
    );
    let failure = repl.enter("f(1)").expect_err("`g` is not defined yet");
    let message = failure.errors[0].to_string();
    assert!(message.contains("needs the function `g`"), "{message}");
    enter(&mut repl, "g(x) = x + 1");
    assert_eq!(value_of(&mut repl, "f(1)"), Some(4.0));
}

#[test]
fn engine_keeps_values_set_by_a_descent() {
    let mut repl = Repl::new();
    enter(&mut repl, "param w = 2, b = 1");
    repl.set_values(&[("w".to_string(), 5.0)]);
    enter(&mut repl, "c = 1");
    let replies = enter(&mut repl, "w + b");
    assert!(matches!(replies.as_slice(), [Reply::Value(v)] if v.scalar() == Some(6.0)));
}

#[test]
fn incomplete_inputs() {
    for open in ["(1 +", "[1, 2,", "f = 1 +", "max(1, (2", "x = \"(\" + ("] {
        assert!(is_incomplete(open), "{open}");
    }
    for done in [
        "1 + 2",
        "(1 + 2)",
        "f(x) = x",
        "1)",
        "# (",
        ":help",
        "x = 1 # +",
    ] {
        assert!(!is_incomplete(done), "{done}");
    }
}

#[test]
fn commands_parse_and_unknown_ones_suggest() {
    assert_eq!(
        parse_command(":grad loss"),
        Ok(Command::Grad(Some("loss".into())))
    );
    assert_eq!(parse_command(":check"), Ok(Command::Check));
    let error = parse_command(":chek").expect_err("unknown");
    assert!(
        error.to_string().contains("did you mean `:check`?"),
        "{error}"
    );
}

#[test]
fn completion_of_names_builtins_and_commands() {
    let mut helper = ReplHelper::new();
    helper.set_names(vec!["loss".into(), "lr".into()]);
    assert_eq!(
        helper.candidates("sigm", 4),
        (0, vec!["sigmoid".to_string()])
    );
    assert_eq!(
        helper.candidates("1 + lo", 6).1,
        ["log", "log10", "log2", "loss"]
    );
    assert_eq!(helper.candidates(":gr", 3).1, [":grad"]);
}

// One session through a pseudo-terminal.

/// Types `text` into the terminal.
fn keys(p: &mut rexpect::session::PtySession, text: &str, what: &str) {
    p.send(text).expect(what);
    p.flush().expect(what);
}

/// `nabla repl` in a pseudo-terminal, with its history in `history`.
fn terminal_session(history: &std::path::Path) -> rexpect::session::PtySession {
    let mut command = Process::new(BIN);
    command
        .arg("repl")
        .env("NABLA_HISTORY", history)
        .env("TERM", "xterm");
    rexpect::session::spawn_command(command, Some(10_000)).expect("a pty session")
}

#[test]
fn terminal_session_completes_recalls_and_continues_lines() {
    let history = temp_path("pty").join("data").join("history");
    let start = std::time::Instant::now();
    let mut p = terminal_session(&history);
    p.exp_string("nabla> ").expect("the prompt");
    eprintln!(
        "time to the first prompt (debug build): {:?}",
        start.elapsed()
    );
    // Completion: `sigm<TAB>` becomes `sigmoid`.
    keys(&mut p, "sigm\t", "typed");
    p.exp_string("sigmoid").expect("completed");
    keys(&mut p, "(0)\r", "typed");
    p.exp_regex(r"[\r\n]0\.5\r\n").expect("sigmoid(0) = 0.5");
    p.exp_string("nabla> ").expect("the prompt");
    // History: up-arrow recalls the line before.
    keys(&mut p, "1 + 41\r", "typed");
    p.exp_regex(r"[\r\n]42\r\n").expect("42");
    p.exp_string("nabla> ").expect("the prompt");
    keys(&mut p, "\x1b[A\r", "up-arrow");
    p.exp_regex(r"[\r\n]42\r\n").expect("42 again");
    // Multi-line: an open bracket asks for another line.
    keys(&mut p, "(100 +\r", "typed");
    keys(&mut p, "23)\r", "typed");
    p.exp_regex(r"[\r\n]123\r\n").expect("123");
    p.exp_string("nabla> ").expect("the prompt");
    // Ctrl-C drops the line being typed.
    keys(&mut p, "999", "typed");
    p.send_control('c').expect("Ctrl-C");
    p.flush().expect("sent");
    p.exp_string("nabla> ").expect("a new prompt");
    keys(&mut p, "1000 + 1\r", "typed");
    p.exp_regex(r"[\r\n]1001\r\n").expect("1001, not 9991001");
    // Ctrl-D leaves with exit code 0.
    p.send_control('d').expect("Ctrl-D");
    p.flush().expect("sent");
    p.exp_eof().expect("the end");
    let status = p.process_mut().wait().expect("the exit status");
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    let saved = std::fs::read_to_string(&history).expect("the history file");
    assert!(saved.contains("1 + 41"), "{saved}");
    // A second session recalls the first one's last line from the history file.
    let mut p = terminal_session(&history);
    p.exp_string("nabla> ").expect("the prompt");
    keys(&mut p, "\x1b[A\r", "up-arrow");
    p.exp_regex(r"[\r\n]1001\r\n")
        .expect("the last line of the first session");
    p.send_line(":quit").expect("typed");
    p.exp_eof().expect("the end");
}

#[test]
fn vectors_and_matrices_in_a_session() {
    let script = "param w[3] = 1, W = {{1, 2}, {3, 4}}, b = 2\ndata x = [{1, 0}, {0, 1}]\n\
                  loss = total(w^2) + mean(dot(W, x)[1]) * b\n:vars\n:grad loss\n\
                  d(total(w^2))/d(w)\nsoftmax({1, 2, 3})\n:minimize loss by gd(epochs = 2)\n:vars\n";
    insta::assert_snapshot!("shapes", session("shapes", &[], script));
}

/// `:hess` by a vector param prints the Hessian in blocks, as vector and matrix
/// expressions (for least squares, `mean(2*outer(x, x))`), with its value by component.
#[test]
fn the_hessian_by_a_vector_is_printed_in_blocks_with_its_value_by_component() {
    let script = "data x = [{1, 2}, {3, 4}, {0, 1}]\ndata y = [1, 2, 0.5]\n\
                  param w[2] = 0.1, b = 0\nloss = mean((dot(x, w) + b - y)^2)\n:hess loss\n";
    let out = session("hess-shaped", &[], script);
    assert!(
        out.contains("d(d(loss)/d(w))/d(w) = mean(2*outer(x, x))"),
        "{out}"
    );
    assert!(out.contains("d(d(loss)/d(b))/d(b) = 2"), "{out}");
    assert!(out.contains("H (w[1], w[2], b) ="), "{out}");
    // Σx₁² = 10, Σx₁x₂ = 14, Σx₂² = 21, Σx₁ = 4, Σx₂ = 7 over 3 rows, times 2.
    assert!(
        out.contains("[6.666666666666667, 9.333333333333334, 2.6666666666666665]"),
        "{out}"
    );
    assert!(
        out.contains("[9.333333333333334, 14, 4.666666666666667]"),
        "{out}"
    );
    assert!(
        out.contains("[2.6666666666666665, 4.666666666666667, 2]"),
        "{out}"
    );
    assert!(!out.contains("NaN"), "{out}");
}

/// `:hess` by a matrix param gives the value from Hessian-vector products and says
/// why there is no symbolic form (it never prints a wrong one).
#[test]
fn the_hessian_by_a_matrix_is_its_value_by_component() {
    let script = "param W[2, 2] = 1, w[2] = 1\nloss = total(W @ w)^2\n:hess loss\n";
    let out = session("hess-matrix", &[], script);
    assert!(
        out.contains("by a matrix param has no symbolic form"),
        "{out}"
    );
    assert!(
        out.contains("H (W[1,1], W[1,2], W[2,1], W[2,2], w[1], w[2]) ="),
        "{out}"
    );
    // d²/dW_ij dW_kl = 2 w_j w_l, d²/dw_j dw_l = 2 (Σ_i W_ij)(Σ_i W_il),
    // d²/dW_ij dw_l = 2 w_j Σ_i W_il + 2 (W w summed) δ_jl.
    assert!(out.contains("[2, 2, 2, 2, 12, 4]"), "{out}");
    assert!(out.contains("[12, 4, 12, 4, 8, 8]"), "{out}");
}
