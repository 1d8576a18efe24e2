//! Bounds (SPEC 11) through the real binary: bounded maximum likelihood with known
//! answers, optima on a bound named in the report, nonnegative least squares, starts
//! outside the box (snapshots), check points and Taylor steps inside the box, and a
//! 10,000-param ridge regression's L-BFGS gradient count.

mod common;

use common::nabla;
use nabla::check::{Options, taylor};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// `text` written to `name` in a directory of this test run's own.
fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nabla-bounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the file is written");
    path
}

/// `nabla minimize FILE --json` with `flags`: exit code and the document.
fn minimize(path: &Path, flags: &[&str]) -> (Option<i32>, Json) {
    let file = path.to_string_lossy().into_owned();
    let args = [&["minimize", file.as_str(), "--json"], flags].concat();
    let (code, stdout, stderr) = nabla(&args);
    let document = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}{stderr}"));
    (code, document)
}

fn param(document: &Json, name: &str) -> f64 {
    document["params"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no param {name} in {document}"))
}

/// The normal's MLE: mu the mean (3.0), sigma the population std (sqrt(0.5)).
const NORMAL: &str = "data x = [2.0, 3.5, 2.5, 4.0, 3.0, 2.0, 3.5, 3.5]\n\
    param mu = 0, sigma = 1 in [1e-9, inf]\n\
    nll = mean(ln(sigma) + (x - mu)^2 / (2*sigma^2))\n\
    minimize nll\n";

#[test]
fn a_normal_with_a_bounded_sigma_ends_at_the_closed_form_answer() {
    let path = write("normal.nabla", NORMAL);
    let sigma = 0.5f64.sqrt();
    let runs: [&[&str]; 4] = [
        &["--method", "lbfgs", "--tol", "1e-10"],
        &["--method", "newton", "--tol", "1e-10"],
        &["--method", "armijo", "--tol", "1e-8", "--epochs", "20000"],
        &[
            "--method", "adam", "--rate", "0.01", "--epochs", "20000", "--tol", "1e-8",
        ],
    ];
    for flags in runs {
        let (code, document) = minimize(&path, flags);
        assert_eq!(code, Some(0), "{flags:?}: {document}");
        assert_eq!(document["converged"], true, "{flags:?}: {document}");
        assert!(
            (param(&document, "mu") - 3.0).abs() < 1e-7,
            "{flags:?}: {document}"
        );
        assert!(
            (param(&document, "sigma") - sigma).abs() < 1e-7,
            "{flags:?}: {document}"
        );
        assert_eq!(document["at_bound"], serde_json::json!([]), "{document}");
    }
}

/// A two-component mixture with known components N(0, 1) and N(4, 1); only the weight
/// p of the first is free.
fn mixture(data: &str) -> String {
    format!(
        "data x = [{data}]\nparam p = 0.9 in [0, 1]\nphi(z) = exp(-z^2/2) / sqrt(2*pi)\n\
         nll = -mean(ln(p*phi(x) + (1 - p)*phi(x - 4)))\nminimize nll\n"
    )
}

#[test]
fn a_mixture_weight_with_an_interior_optimum_ends_there() {
    // The data are symmetric about 2, so the likelihood is symmetric in p and 1 - p
    // and, being concave, peaks at p = 1/2.
    let path = write("mixture_inside.nabla", &mixture("-0.5, 0.3, 3.7, 4.5"));
    for method in ["lbfgs", "newton", "armijo", "gd"] {
        let flags = ["--method", method, "--tol", "1e-10", "--epochs", "5000"];
        let (code, document) = minimize(&path, &flags);
        assert_eq!(code, Some(0), "{method}: {document}");
        assert!(
            (param(&document, "p") - 0.5).abs() < 1e-8,
            "{method}: {document}"
        );
        assert_eq!(
            document["at_bound"],
            serde_json::json!([]),
            "{method}: {document}"
        );
    }
}

#[test]
fn a_mixture_weight_whose_optimum_is_on_a_bound_reports_that_bound() {
    let cases = [
        ("0.1, -0.4, 0.6, 1.0", 1.0, "upper"),
        ("3.9, 4.4, 5.0, 3.1", 0.0, "lower"),
    ];
    for (data, answer, side) in cases {
        let path = write(&format!("mixture_{side}.nabla"), &mixture(data));
        for method in [
            "lbfgs", "newton", "armijo", "gd", "momentum", "nesterov", "adam",
        ] {
            let flags = ["--method", method, "--tol", "1e-10", "--epochs", "5000"];
            let (code, document) = minimize(&path, &flags);
            assert_eq!(code, Some(0), "{method}: {document}");
            assert_eq!(param(&document, "p"), answer, "{method}: {document}");
            let expected = serde_json::json!([{"param": "p", "bound": side, "value": answer}]);
            assert_eq!(document["at_bound"], expected, "{method}: {document}");
            assert_eq!(document["stopped"], "tol", "{method}: {document}");
        }
        let file = path.to_string_lossy().into_owned();
        let (code, stdout, _) = nabla(&["minimize", &file, "--method", "lbfgs"]);
        assert_eq!(code, Some(0));
        let line = format!("  at bound: p = {answer} ({side})\n");
        assert!(stdout.contains(&line), "{stdout}");
    }
}

#[test]
fn nonnegative_least_squares_puts_one_component_on_its_bound() {
    // min |Xw - b|² over w >= 0: w2 = 0 and then (w1, w3) = (1/3, 7/3).
    let text = "data X = [{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}]\n\
        data b = [1, -2, 3, 2]\nparam w[3] = 1 in [0, inf]\n\
        loss = sum((dot(X, w) - b)^2)\nminimize loss\n";
    let path = write("nnls.nabla", text);
    for method in ["lbfgs", "newton", "gd", "nesterov"] {
        let (code, document) = minimize(&path, &["--method", method, "--tol", "1e-10"]);
        assert_eq!(code, Some(0), "{method}: {document}");
        let w: Vec<f64> = document["params"]["w"]
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_f64).collect())
            .unwrap_or_default();
        let expected = [1.0 / 3.0, 0.0, 7.0 / 3.0];
        assert_eq!(w.len(), 3, "{document}");
        for (got, want) in w.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{method}: {document}");
        }
        let at = serde_json::json!([{"param": "w[2]", "bound": "lower", "value": 0.0}]);
        assert_eq!(document["at_bound"], at, "{method}: {document}");
    }
}

#[test]
fn a_minimum_on_a_bound_is_not_judged_a_saddle() {
    // Without the bound, (0, 0) is a saddle of y² − x²; in the box the minimum is
    // x = 1, y = 0, where the Hessian still has the eigenvalue −2 along x.
    let text = "param x = 0.5 in [-1, 1], y = 1\nloss = y^2 - x^2\nminimize loss\n";
    let path = write("saddle.nabla", text);
    for method in ["lbfgs", "newton", "armijo"] {
        let (code, document) = minimize(&path, &["--method", method, "--tol", "1e-10"]);
        assert_eq!(code, Some(0), "{method}: {document}");
        assert_eq!(document["stopped"], "tol", "{method}: {document}");
        assert_eq!(param(&document, "x"), 1.0, "{method}: {document}");
    }
}

#[test]
fn unbounded_runs_keep_their_json_shape() {
    let (code, document) = minimize(Path::new("examples/sigmoid.nabla"), &[]);
    assert_eq!(code, Some(0));
    assert!(document.get("at_bound").is_none(), "{document}");
}

#[test]
fn bad_bounds_and_starts_outside_the_box_are_errors_naming_the_param() {
    let text = "param s = -1 in [0, inf]\nparam w[3] = {0, 2, 0.5} in [-1, 1]\n\
        param v[4] ~ uniform(-1, 0) in [0, inf]\nparam p = 0.5 in [1, 0]\n\
        param q = 1 in [0, c]\nloss = s + total(w) + total(v) + p + q\n";
    let path = write("outside.nabla", text);
    let file = path.to_string_lossy().into_owned();
    let (code, stdout, stderr) = nabla(&["minimize", &file]);
    assert_eq!(code, Some(2), "{stdout}");
    let stderr = stderr.replace(&file, "outside.nabla");
    insta::assert_snapshot!(stderr);
}

#[test]
fn check_points_stay_inside_the_box() {
    let hand = "check d(loss)/d(s) = sum((sqrt(s) - x) / sqrt(s)) + 1/s\n";
    let body = "loss = sum((sqrt(s) - x)^2) + ln(s)\n";
    let counts = |bounds: &str| {
        let text = format!("data x = [0.5, 1.5, 2.5]\nparam s = 0.01{bounds}\n{body}{hand}");
        let path = write(&format!("points{}.nabla", bounds.len()), &text);
        let file = path.to_string_lossy().into_owned();
        let (code, stdout, _) = nabla(&["check", &file, "--json"]);
        assert_eq!(code, Some(0), "{stdout}");
        let document: Json = serde_json::from_str(&stdout).expect("JSON");
        let check = &document["checks"][0];
        (check["agreed"].as_u64(), check["skipped"].as_u64())
    };
    assert_eq!(counts(" in [0, inf]"), (Some(21), Some(0)));
    let (_, skipped) = counts("");
    assert!(
        skipped.unwrap_or(0) > 0,
        "without bounds some points leave the domain"
    );
}

#[test]
fn taylor_steps_stay_inside_the_box() {
    // Both params start on a bound, just inside where ln is defined: a step out of
    // the box would leave the domain.
    let text = "param a = 1 in [1, inf], b = 2 in [-inf, 2], c = 0.5 in [0, 1]\n\
        loss = ln(a - 0.999) + ln(2.001 - b) + a*b + c^2\n";
    for seed in 0..16 {
        let mut sources = Sources::new();
        let id = sources.add("taylor.nabla", text);
        let mut program =
            Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
                .expect("a valid program");
        let loss = program.definition("loss").expect("a loss").node;
        let wrt: Vec<_> = program.params.iter().map(|p| p.var).collect();
        let options = Options {
            seed,
            precise: false,
        };
        let report = taylor(&mut program, "loss", loss, &wrt, &options).expect("in the domain");
        let direction: Vec<f64> = report.direction.iter().map(|(_, d)| *d).collect();
        assert!(direction[0] >= 0.0 && direction[1] <= 0.0, "{direction:?}");
        assert!((0.5 + 0.1 * direction[2]).abs() <= 1.0, "{direction:?}");
        assert!(report.ok, "seed {seed}: {:?}", report.verdict);
    }
}

/// A deterministic stream of numbers in [-1, 1) (a 64-bit LCG), for the ridge data.
fn uniforms(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

#[test]
fn a_ten_thousand_param_ridge_regression_takes_lbfgs_under_200_gradients() {
    const K: usize = 10_000;
    const ROWS: usize = 50;
    let mut next = uniforms(7);
    let mut csv = String::from("y");
    (1..=K).for_each(|k| csv.push_str(&format!(",x{k}")));
    for _ in 0..ROWS {
        let xs: Vec<f64> = (0..K).map(|_| next()).collect();
        let y: f64 = xs
            .iter()
            .enumerate()
            .map(|(k, x)| x * ((k % 7) as f64 - 3.0) / 100.0)
            .sum();
        csv.push_str(&format!("\n{:.6}", y + 0.1 * next()));
        xs.iter().for_each(|x| csv.push_str(&format!(",{x:.4}")));
    }
    write("ridge.csv", &csv);
    let text = "data y, X[*] from \"ridge.csv\"\nparam w[10000] = 0\n\
        loss = mean((dot(X, w) - y)^2) + 0.01 * total(w^2)\nminimize loss by lbfgs\n";
    let path = write("ridge.nabla", text);
    let (code, document) = minimize(&path, &["--tol", "1e-8"]);
    assert_eq!(code, Some(0), "{}", document["message"]);
    assert_eq!(document["converged"], true);
    let gradients = document["evaluations"]["gradient"]
        .as_u64()
        .unwrap_or(u64::MAX);
    eprintln!("ridge, 10,000 params, lbfgs: {gradients} gradient evaluations");
    assert!(gradients < 200, "{gradients} gradient evaluations");
}
