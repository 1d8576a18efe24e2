//! `nabla minimize` and `nabla run` through the real binary: reports (snapshots),
//! JSON, exit codes, `--history` files, flags overriding the file, every example.

mod common;

use common::{manifest_dir, nabla};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn json(stdout: &str) -> Json {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A file in a directory of its own under the system's temp dir (tests run in
/// parallel: another test's temporary files must not show up in this one's).
fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nabla-descent-cli-{}-{name}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

#[test]
fn run_reports_the_seed_example() {
    let (code, stdout, stderr) = nabla(&["run", "examples/sigmoid.nabla"]);
    assert_eq!(code, Some(0), "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn minimize_json_has_the_documented_shape() {
    let (code, stdout, _) = nabla(&["minimize", "examples/sigmoid.nabla", "--json"]);
    assert_eq!(code, Some(0));
    let document = json(&stdout);
    for key in [
        "objective",
        "method",
        "params",
        "loss",
        "epochs",
        "evaluations",
        "stopped",
        "converged",
        "grad_norm",
    ] {
        assert!(document.get(key).is_some(), "no {key} in {document}");
    }
    assert_eq!(document["method"], "gd");
    assert_eq!(document["stopped"], "epochs");
    assert_eq!(document["converged"], false);
    let w = document["params"]["w"].as_f64().unwrap_or(0.0);
    assert!((w - 1.79171983).abs() < 1e-8, "{document}");
}

#[test]
fn flags_override_the_file() {
    let args = [
        "minimize",
        "examples/sigmoid.nabla",
        "--method",
        "adam",
        "--rate",
        "0.1",
        "--epochs",
        "50",
        "--json",
    ];
    let (code, stdout, _) = nabla(&args);
    assert_eq!(code, Some(0));
    let document = json(&stdout);
    assert_eq!(document["method"], "adam");
    assert_eq!(document["epochs"], 50);
    assert_eq!(document["rate"], 0.1);
}

#[test]
fn lbfgs_reports_its_evaluations_and_stop() {
    let args = ["minimize", "examples/sigmoid.nabla", "--method", "lbfgs"];
    let (code, stdout, stderr) = nabla(&[&args[..], &["--tol", "1e-10", "--json"]].concat());
    assert_eq!(code, Some(0), "{stderr}");
    let document = json(&stdout);
    assert_eq!(document["method"], "lbfgs");
    assert_eq!(document["stopped"], "tol");
    assert_eq!(document["converged"], true);
    let loss = document["evaluations"]["loss"].as_u64().unwrap_or(0);
    let gradient = document["evaluations"]["gradient"].as_u64().unwrap_or(0);
    let epochs = document["epochs"].as_u64().unwrap_or(0);
    // One pass at the start and at least one per epoch, each with its gradient.
    assert!(loss == gradient && gradient > epochs, "{document}");
    assert!(document["grad_norm"].as_f64().unwrap_or(1.0) < 1e-10);
    let (code, stdout, _) = nabla(&[&args[..], &["--tol", "1e-10"]].concat());
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(stdout);
}

#[test]
fn ftol_stops_a_run_that_no_longer_gains() {
    let args = [
        "minimize",
        "examples/linear_regression.nabla",
        "--method",
        "lbfgs",
        "--ftol",
        "1e-9",
    ];
    let (code, stdout, stderr) = nabla(&[&args[..], &["--json"]].concat());
    assert_eq!(code, Some(0), "{stderr}");
    let document = json(&stdout);
    assert_eq!(document["stopped"], "ftol");
    assert_eq!(document["ftol"], 1e-9);
    assert_eq!(document["converged"], true);
    let (code, stdout, _) = nabla(&args);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(stdout);
}

#[test]
fn an_ftol_stop_is_judged_by_the_curvature() {
    // gd from the sigmoid's start crawls over a plateau, so the loss changes by less
    // than 1e-3 per epoch at once; the Hessian there has a negative eigenvalue.
    let args = [
        "minimize",
        "examples/sigmoid.nabla",
        "--ftol",
        "1e-3",
        "--json",
    ];
    let (code, stdout, _) = nabla(&args);
    assert_eq!(code, Some(1));
    let document = json(&stdout);
    assert_eq!(document["stopped"], "saddle", "{document}");
    assert_eq!(document["epochs"], 3);
    assert_eq!(document["converged"], false);
}

#[test]
fn a_file_with_more_than_a_thousand_params_defaults_to_lbfgs() {
    let file = temp_path("many.nabla");
    let n = 1001;
    let params: Vec<String> = (0..n).map(|i| format!("p{i} = {}", i % 7)).collect();
    let terms: Vec<String> = (0..n).map(|i| format!("(p{i} - 1)^2")).collect();
    let text = format!(
        "param {}\nloss = {}\n",
        params.join(", "),
        terms.join(" + ")
    );
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let path = file.to_string_lossy().into_owned();
    let (code, stdout, stderr) = nabla(&["minimize", &path, "--tol", "1e-8", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let document = json(&stdout);
    assert_eq!(document["method"], "lbfgs");
    assert_eq!(document["stopped"], "tol");
    let (_, stdout, _) = nabla(&["minimize", &path, "--method", "gd", "--json"]);
    assert_eq!(json(&stdout)["method"], "gd");
}

#[test]
fn divergence_is_exit_1_with_a_rate_hint() {
    let args = [
        "minimize",
        "examples/rosenbrock.nabla",
        "--method",
        "gd",
        "--rate",
        "0.01",
    ];
    let (code, stdout, stderr) = nabla(&args);
    assert_eq!(code, Some(1), "{stderr}");
    insta::assert_snapshot!(stdout);
    let (_, stdout, _) = nabla(&[&args[..], &["--json"]].concat());
    let document = json(&stdout);
    assert_eq!(document["stopped"], "diverged");
    assert!(
        document["message"]
            .as_str()
            .unwrap_or("")
            .contains("2/λmax"),
        "{document}"
    );
}

#[test]
fn a_domain_error_on_the_way_names_the_span_and_row() {
    let file = temp_path("domain.nabla");
    let text =
        "data x = [1, 2, 3]\nparam a = 4\nloss = sum(ln(a - x))\nminimize loss by gd(rate = 1)\n";
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let path = file.to_string_lossy().into_owned();
    let (code, stdout, stderr) = nabla(&["minimize", &path]);
    assert_eq!(code, Some(1));
    let stderr = stderr.replace(&path, "domain.nabla");
    insta::assert_snapshot!(format!("{stdout}---\n{stderr}"));
}

#[test]
fn an_unmet_tol_is_exit_1() {
    let args = [
        "minimize",
        "examples/sigmoid.nabla",
        "--epochs",
        "10",
        "--tol",
        "1e-12",
    ];
    let (code, stdout, _) = nabla(&args);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("not converged"), "{stdout}");
}

#[test]
fn bad_flags_are_exit_2() {
    let cases: [&[&str]; 5] = [
        &["--rate", "abc"],
        &["--method", "gdd"],
        &["--epochs", "-3"],
        &["--batch", "0"],
        &["--ftol", "-1"],
    ];
    let mut messages = String::new();
    for flags in cases {
        let args = [&["minimize", "examples/sigmoid.nabla"], flags].concat();
        let (code, _, stderr) = nabla(&args);
        assert_eq!(code, Some(2), "{flags:?}: {stderr}");
        messages.push_str(&format!("{flags:?}\n{stderr}\n"));
        let (code, stdout, _) = nabla(&[&args[..], &["--json"]].concat());
        assert_eq!(code, Some(2));
        assert!(json(&stdout).get("error").is_some(), "{stdout}");
    }
    insta::assert_snapshot!(messages);
}

#[test]
fn history_has_a_line_per_epoch_and_is_written_atomically() {
    let file = temp_path("history.csv");
    std::fs::write(&file, "old contents").unwrap_or_else(|e| panic!("{e}"));
    let path = file.to_string_lossy().into_owned();
    let (code, _, stderr) = nabla(&["minimize", "examples/sigmoid.nabla", "--history", &path]);
    assert_eq!(code, Some(0), "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,loss,grad_norm,rate,w,b");
    assert_eq!(lines.len(), 1 + 1001);
    // The start: epoch 0, the loss at (-2, -2), no rate yet, the initial params.
    let start: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(start[0], "0");
    let loss = start[1].parse::<f64>().unwrap_or(f64::NAN);
    assert!((loss - 0.415_819_901_019_992_8).abs() < 1e-15, "{loss}");
    assert_eq!(&start[3..], ["", "-2", "-2"]);
    let last: Vec<&str> = lines[1001].split(',').collect();
    assert_eq!(last[0], "1000");
    assert_eq!(last[3], "1");
    let leftovers = std::fs::read_dir(file.parent().unwrap_or(Path::new(".")))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "a temporary file was left behind");
}

#[test]
fn every_example_runs() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("examples"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "nabla"));
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for path in names {
        let relative = path
            .strip_prefix(manifest_dir())
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        // A file named for a mistake demonstrates a failing check: exit 1 on purpose.
        let expected = if relative.contains("wrong") { 1 } else { 0 };
        let (code, stdout, stderr) = nabla(&["run", &relative, "--json"]);
        assert_eq!(code, Some(expected), "{relative}: {stdout}{stderr}");
        let document = json(&stdout);
        for descent in document["minimize"].as_array().into_iter().flatten() {
            assert_ne!(descent["stopped"], "diverged", "{relative}: {descent}");
        }
    }
}

#[test]
fn plots_are_written_as_svg_and_png() {
    let svg = temp_path("run.svg");
    let png = temp_path("run.png");
    for file in [&svg, &png] {
        let path = file.to_string_lossy().into_owned();
        let (code, _, stderr) = nabla(&["minimize", "examples/sigmoid.nabla", "--plot", &path]);
        assert_eq!(code, Some(0), "{path}: {stderr}");
    }
    let text = std::fs::read_to_string(&svg).unwrap_or_default();
    assert!(
        text.starts_with("<svg") || text.starts_with("<?xml"),
        "{}",
        &text[..text.len().min(80)]
    );
    // Each text element's content stands on a line of its own.
    let texts: Vec<&str> = text.lines().map(str::trim).collect();
    for label in [
        "epoch",
        "loss (log scale)",
        "w",
        "b",
        "descent path",
        "start",
        "end",
    ] {
        assert!(texts.contains(&label), "the SVG has no text {label:?}");
    }
    let bytes = std::fs::read(&png).unwrap_or_default();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
}

#[test]
fn a_plot_needs_svg_or_png() {
    let file = temp_path("run.pdf");
    let path = file.to_string_lossy().into_owned();
    let (code, _, stderr) = nabla(&["minimize", "examples/sigmoid.nabla", "--plot", &path]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(".svg or .png"), "{stderr}");
    assert!(!file.exists());
}
