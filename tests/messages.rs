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
