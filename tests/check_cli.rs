//! `nabla check` as a user meets it: the real binary on the examples, exit codes, the
//! JSON document of SPEC 6, and insta snapshots of the text reports (seeded, so the
//! text is deterministic).

use serde_json::Value as Json;
use std::path::Path;
use std::process::Command;

/// Runs `nabla ARGS` in the crate's directory; returns (exit code, stdout, stderr).
fn nabla(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .output()
        .expect("the nabla binary runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        output.status.code().unwrap_or(-1),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn the_correct_example_passes_with_exit_0() {
    let (code, out, err) = nabla(&["check", "examples/sigmoid_check.nabla"]);
    assert_eq!(code, 0, "{out}{err}");
    insta::assert_snapshot!("sigmoid_check", out);
}

#[test]
fn the_wrong_example_fails_with_exit_1_and_names_the_mistake() {
    let (code, out, err) = nabla(&["check", "examples/sigmoid_wrong.nabla"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(
            "E has `1 + sigmoid(w*x + b)` where the derivative has `1 - sigmoid(w*x + b)`"
        ),
        "{out}"
    );
    insta::assert_snapshot!("sigmoid_wrong", out);
}

#[test]
fn precise_shows_more_steps_at_full_rate() {
    let (code, out, err) = nabla(&["check", "examples/sigmoid.nabla", "--precise"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("arithmetic: decimal (28 digits)"));
    insta::assert_snapshot!("sigmoid_precise", out);
}

#[test]
fn json_is_one_document_of_the_spec_shape() {
    let (code, out, _) = nabla(&["check", "examples/sigmoid_wrong.nabla", "--json"]);
    assert_eq!(code, 1);
    let doc: Json = serde_json::from_str(&out).expect("one JSON document");
    let checks = doc["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 2);
    for c in checks {
        for key in [
            "of",
            "wrt",
            "ok",
            "points",
            "max_rel_err",
            "proved",
            "counterexample",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        assert_eq!(c["ok"], false);
        assert_eq!(c["diagnosis"]["kind"], "wrong_factor");
        assert!(c["counterexample"]["derivative"].is_f64());
    }
    let taylor = doc["taylor"].as_array().expect("taylor");
    assert_eq!(taylor.len(), 1);
    assert_eq!(taylor[0]["of"], "loss");
    assert_eq!(taylor[0]["ok"], true);
    let rates = taylor[0]["rates"].as_array().expect("rates");
    assert_eq!(rates.len(), 3);
    assert!(
        rates
            .iter()
            .all(|r| r.as_array().is_some_and(|r| !r.is_empty()))
    );
    let (code, out, _) = nabla(&["check", "examples/sigmoid_check.nabla", "--json"]);
    assert_eq!(code, 0);
    let doc: Json = serde_json::from_str(&out).expect("one JSON document");
    assert!(
        doc["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .all(|c| c["ok"] == true && c["counterexample"].is_null())
    );
}

#[test]
fn bad_input_exits_2() {
    let (code, out, err) = nabla(&["check", "examples/sigmoid.nabla", "--of", "nope"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("nope"), "{err}");
    let (code, out, _) = nabla(&["check", "examples/sigmoid.nabla", "--of", "nope", "--json"]);
    assert_eq!(code, 2);
    let doc: Json = serde_json::from_str(&out).expect("one JSON document");
    assert!(doc["error"]["message"].is_string());
    let (code, _, err) = nabla(&["check", "tests/data/bad/domain_sqrt_negative.nabla"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_seed_changes_the_points_and_nothing_else() {
    let (code, a, _) = nabla(&[
        "check",
        "examples/sigmoid_check.nabla",
        "--seed",
        "7",
        "--json",
    ]);
    let (_, b, _) = nabla(&[
        "check",
        "examples/sigmoid_check.nabla",
        "--seed",
        "7",
        "--json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(a, b, "the same seed gives the same document");
}

/// A loss near 1e-30 is below the decimal type's resolution (28 places after the
/// point): its remainders are rounding, the orders are exact, and the check passes in
/// decimal as it does in f64 (it used to say the derivatives were wrong).
#[test]
fn precise_passes_a_loss_below_the_decimal_resolution() {
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("check_tiny.nabla");
    std::fs::write(&file, "param w = 1e-30\nloss = w^2 + w\n").unwrap_or_else(|e| panic!("{e}"));
    let file = file.display().to_string();
    for precise in [false, true] {
        let mut args = vec!["check", file.as_str(), "--json"];
        if precise {
            args.push("--precise");
        }
        let (code, out, err) = nabla(&args);
        assert_eq!(code, 0, "precise {precise}: {out}{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(doc["taylor"][0]["ok"], true, "{out}");
    }
}
