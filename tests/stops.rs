//! Stops that are not minima, through the real binary: a saddle, a plateau where the
//! loss's terms saturated, and the false answers of issue 18 (newton's full step on
//! the sigmoid, armijo's leap onto Jennrich and Sampson's plateau). Each is exit 1,
//! never `converged`, with a message naming the point; the reports are snapshots.

mod common;

use common::nabla;
use serde_json::Value as Json;

fn json(stdout: &str) -> Json {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// `nabla minimize ARGS --json`: the exit code and the document.
fn minimize_json(args: &[&str]) -> (Option<i32>, Json) {
    let (code, stdout, stderr) = nabla(&[&["minimize"], args, &["--json"]].concat());
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
    (code, json(&stdout))
}

/// Runs `file` as text (snapshotted) and as JSON: exit 1, `stopped` as given, not
/// converged, a message that names every param.
fn assert_not_a_minimum(file: &str, stopped: &str, params: &[&str]) -> String {
    let (code, stdout, stderr) = nabla(&["minimize", file]);
    assert_eq!(code, Some(1), "{file}: {stdout}{stderr}");
    let (code, document) = minimize_json(&[file]);
    assert_eq!(code, Some(1), "{document}");
    assert_eq!(document["stopped"], stopped, "{document}");
    assert_eq!(document["converged"], false, "{document}");
    let message = document["message"].as_str().unwrap_or("");
    assert!(message.starts_with("not a minimum"), "{document}");
    for param in params {
        assert!(
            message.contains(&format!("{param} = ")),
            "{param}: {message}"
        );
    }
    stdout
}

#[test]
fn newton_at_beales_saddle_stops_as_a_saddle() {
    let file = "tests/data/stops/beale_saddle.nabla";
    let report = assert_not_a_minimum(file, "saddle", &["x1", "x2"]);
    insta::assert_snapshot!(report);
    // Without a tol the zero gradient stalls the step (θ stays), and the stall is
    // judged after one epoch; with one it is judged before any.
    let (_, document) = minimize_json(&[file]);
    assert_eq!(document["epochs"], 1, "{document}");
    for method in ["newton", "gd", "armijo"] {
        let (code, document) = minimize_json(&[file, "--method", method, "--tol", "1e-8"]);
        assert_eq!(code, Some(1), "{method}: {document}");
        assert_eq!(document["stopped"], "saddle", "{method}: {document}");
        assert_eq!(document["epochs"], 0, "{method}: {document}");
    }
}

#[test]
fn a_saturated_sigmoid_stops_on_a_plateau() {
    let file = "tests/data/stops/sigmoid_saturated.nabla";
    let report = assert_not_a_minimum(file, "flat", &["w", "b"]);
    insta::assert_snapshot!(report);
}

#[test]
fn jennrich_sampson_far_out_stops_on_a_plateau() {
    let file = "tests/data/stops/jennrich_plateau.nabla";
    let report = assert_not_a_minimum(file, "flat", &["x1", "x2"]);
    insta::assert_snapshot!(report);
}

#[test]
fn newton_on_the_sigmoid_reaches_the_minimum() {
    // The full Newton step from (-2, -2), where the Hessian is indefinite, jumped to
    // w = 26.7, b = 23.4 and called the plateau there (loss 0.325) converged.
    let args = [
        "examples/sigmoid.nabla",
        "--method",
        "newton",
        "--tol",
        "1e-8",
    ];
    let (code, document) = minimize_json(&args);
    assert_eq!(code, Some(0), "{document}");
    assert_eq!(document["converged"], true, "{document}");
    let loss = document["loss"].as_f64().unwrap_or(f64::NAN);
    assert!(loss < 1e-12, "{document}");
    let w = document["params"]["w"].as_f64().unwrap_or(f64::NAN);
    assert!((w - 36f64.ln() / 2.0).abs() < 1e-6, "{document}");
}

#[test]
fn armijo_on_jennrich_sampson_is_no_false_convergence() {
    // From the standard start a full first step leapt to (-65.7, -170.3), where the
    // loss is 2020 and flat, and was called converged (f* = 124.362).
    let args = [
        "tests/data/mgh/06_jennrich_sampson.nabla",
        "--method",
        "armijo",
    ];
    let (code, document) = minimize_json(&[&args[..], &["--tol", "1e-6"]].concat());
    let loss = document["loss"].as_f64().unwrap_or(f64::NAN);
    if document["converged"] == true {
        assert!((loss - 124.362).abs() < 1e-3, "{document}");
        assert_eq!(code, Some(0));
    } else {
        assert_eq!(code, Some(1), "{document}");
    }
    assert!(loss < 2000.0, "it never left for the plateau: {document}");
}

#[test]
fn rate_auto_without_curvature_warns() {
    let file = "tests/data/stops/auto_concave.nabla";
    let (code, stdout, stderr) = nabla(&["minimize", file]);
    assert_eq!(code, Some(0), "{stderr}");
    insta::assert_snapshot!(stdout);
    let (_, document) = minimize_json(&[file]);
    let warnings = document["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{document}");
    let warning = warnings[0].as_str().unwrap_or("");
    assert!(warning.contains("λmax <= 0"), "{warning}");
    assert!(warning.contains("default rate 0.1"), "{warning}");
    // A rate that auto could scale has no warnings at all.
    let (_, document) = minimize_json(&["examples/linear_regression.nabla", "--rate", "auto"]);
    assert!(document.get("warnings").is_none(), "{document}");
}

#[test]
fn divergence_advice_fits_the_method() {
    let cases = [
        ("gd", "0.01", "2/λmax"),
        ("momentum", "0.01", "2(1 + β)/λmax"),
        ("nesterov", "0.01", "2(1 + β)/((1 + 2β)λmax)"),
        ("adam", "100", "adam moves each param by about the rate"),
    ];
    for (method, rate, advice) in cases {
        let args = [
            "examples/rosenbrock.nabla",
            "--method",
            method,
            "--rate",
            rate,
        ];
        let (code, document) = minimize_json(&args);
        assert_eq!(code, Some(1), "{method}: {document}");
        assert_eq!(document["stopped"], "diverged", "{method}: {document}");
        let message = document["message"].as_str().unwrap_or("");
        assert!(message.contains(advice), "{method}: {message}");
        if method != "gd" {
            assert!(!message.contains("below 2/λmax"), "{method}: {message}");
        }
    }
}
