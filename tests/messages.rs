//! Messages name what is wrong in the message itself (the name, literal, keyword or
//! option), not only under the caret, so `--json` consumers and screen readers get it.

mod common;

use common::nabla;
use serde_json::Value as Json;

/// The `message` of the first error of `nabla grad FILE --json` (exit 2 asserted).
fn message(fixture: &str) -> String {
    let file = format!("tests/data/bad/{fixture}.nabla");
    let (code, stdout, stderr) = nabla(&["grad", &file, "--json"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    let doc: Json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    doc["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn each_message_names_its_subject() {
    let cases = [
        (
            "syn_keyword_as_name",
            "`minimize` is a keyword and cannot be a name",
        ),
        ("syn_keyword_in_expression", "`by` is a keyword"),
        ("shape_param_vector", "the param `gain`"),
        ("lex_number_overflow", "`1e999`"),
        ("syn_implicit_mult", "`2w`"),
        ("shape_param_uses_data", "the param `w`"),
        ("stmt_bare_expression", "`w^2 + 1`"),
        ("dist_negative_sd", "normal(0, -1)"),
        ("name_unknown_suggestion", "`"),
    ];
    let mut problems = Vec::new();
    for (fixture, words) in cases {
        let text = message(fixture);
        if !text.contains(words) {
            problems.push(format!("{fixture}: {text:?} lacks {words:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `check --precise` of a program with a value beyond the decimal range: exit 2 with
/// the value and its place, never a null location or a silent zero.
#[test]
fn precise_checks_name_the_value_beyond_the_decimal_range() {
    for (fixture, line, column) in [
        ("constant_beyond_decimal", 4, 23),
        ("literal_beyond_decimal", 3, 15),
    ] {
        let file = format!("tests/data/precise/{fixture}.nabla");
        let (code, stdout, stderr) = nabla(&["check", &file, "--precise", "--json"]);
        assert_eq!(code, Some(2), "{fixture}: {stdout}{stderr}");
        let doc: Json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}"));
        let error = &doc["error"];
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("1e30"), "{fixture}: {message}");
        assert!(message.contains("decimal"), "{fixture}: {message}");
        assert_eq!(error["line"], line, "{fixture}: {error}");
        assert_eq!(error["column"], column, "{fixture}: {error}");
        // In f64 the same files are fine.
        let (code, stdout, _) = nabla(&["check", &file]);
        assert_eq!(code, Some(0), "{fixture}: {stdout}");
    }
}

/// The CSV faults: a header naming an asked-for column twice is an error naming both
/// columns (it used to take the first silently); a ragged row points at its line.
#[test]
fn csv_faults_name_the_columns_and_the_line() {
    assert_eq!(
        message("file_csv_duplicate_header"),
        "`tests/data/duplicate_header.csv` has two columns named `x` (columns 1 and 2)"
    );
    let (code, stdout, _) = nabla(&["grad", "tests/data/bad/file_csv_ragged_row.nabla", "--json"]);
    assert_eq!(code, Some(2));
    let doc: Json = serde_json::from_str(&stdout).unwrap_or_default();
    let error = &doc["error"];
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("row 2: it has 1 field where the rows before it have 2")),
        "{error}"
    );
    assert_eq!(error["file"], "tests/data/ragged_row.csv");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(3), Some(1))
    );
}

/// The `message` of a usage error of `nabla ARGS --json` (exit 2 asserted).
fn usage_message(args: &[&str]) -> String {
    let mut args = args.to_vec();
    args.push("--json");
    let (code, stdout, stderr) = nabla(&args);
    assert_eq!(code, Some(2), "{args:?}: {stdout}{stderr}");
    let doc: Json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    doc["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Flags: a negative seed is a bad seed (not an "unexpected argument"), a missing
/// argument is named in JSON, `--at` refuses a name given twice and empty pairs.
#[test]
fn flag_messages_name_the_flag_and_its_value() {
    let sigmoid = "examples/sigmoid.nabla";
    let cases: [(&[&str], &str); 6] = [
        (&["minimize", sigmoid, "--seed", "-1"], "`-1` is not a seed"),
        (&["minimize"], "<FILE>"),
        (&["diff", "x^2"], "--wrt"),
        (
            &["eval", sigmoid, "--at", "w=1,w=2"],
            "--at gives `w` twice",
        ),
        (
            &["eval", sigmoid, "--at", "w=1,,b=2"],
            "--at w=1,,b=2: an empty pair",
        ),
        (
            &["eval", sigmoid, "--at", "w=1", "--at", "w=3"],
            "`w` twice",
        ),
    ];
    for (args, words) in cases {
        let text = usage_message(args);
        assert!(text.contains(words), "{args:?}: {text:?} lacks {words:?}");
    }
}

/// A write that fails says "cannot write", with the path and the reason.
#[test]
fn a_failed_write_says_cannot_write() {
    let text = usage_message(&[
        "minimize",
        "examples/sigmoid.nabla",
        "--history",
        "no/such/h.csv",
    ]);
    assert_eq!(
        text,
        "cannot write `no/such/h.csv`: the directory `no/such` does not exist"
    );
}

/// `--precise` past the decimal range names the decimal range, not "infinity".
#[test]
fn precise_overflow_names_the_decimal_range() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("messages_precise_range.nabla");
    std::fs::write(&file, "param w = 1e20\nloss = w^2\n").unwrap_or_else(|e| panic!("{e}"));
    let file = file.display().to_string();
    let (code, stdout, _) = nabla(&["check", &file, "--precise", "--json"]);
    assert_eq!(code, Some(2), "{stdout}");
    let doc: Json = serde_json::from_str(&stdout).unwrap_or_default();
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("`^` leaves the range of --precise decimal"),
        "{message}"
    );
    assert_eq!(doc["error"]["line"], 2);
}
