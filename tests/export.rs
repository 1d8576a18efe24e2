//! `nabla export`: the generated C, Rust and Python compiled (`cc -std=c99 -O2 -lm`,
//! `rustc`, NumPy in the venv of `benches/peers/numpy.sh`) and run at 20 seeded points,
//! against the tape to 1e-12 relative, for every example (scalar and shaped) and for
//! generated programs (scalar and shaped); the Rust is rustfmt-clean; snapshots of the
//! sigmoid neuron and the softmax regression.

mod common;

use common::{manifest_dir, nabla};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use nabla::tape::Compiled;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LANGUAGES: [&str; 3] = ["c", "rust", "python"];
const POINTS: usize = 20;
const TOLERANCE: f64 = 1e-12;

/// The Python of the NumPy venv; fails (naming the script) when it was not made.
fn python() -> PathBuf {
    let venv = std::env::var_os("NABLA_NUMPY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target/peers/numpy-venv"));
    let python = venv.join("bin/python");
    // The project's own script makes the venv on first use (once, however many tests
    // run at the same time), so `cargo test --locked` alone is enough on a new machine.
    static SETUP: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    if !python.exists() {
        let status = std::process::Command::new("bash")
            .arg(manifest_dir().join("benches/peers/numpy.sh"))
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "`bash benches/peers/numpy.sh` could not make the NumPy venv at {}",
            venv.display()
        );
    }
    assert!(python.exists(), "no NumPy venv at {}", venv.display());
    python
}

/// A scratch directory under target/ for one case.
fn scratch(name: &str) -> PathBuf {
    let dir = manifest_dir().join("target/export-tests").join(name);
    std::fs::create_dir_all(&dir).expect("target/ is writable");
    dir
}

/// What the oracle and the harness need to know of one exported file.
struct Exported {
    function: String,
    params: usize,
    gradient: usize,
    hessian: usize,
    data: Vec<Vec<f64>>,
    rows: usize,
}

/// Exports `file` to `language` through the binary, into `dir`.
fn export(file: &Path, language: &str, hessian: bool, dir: &Path) -> (PathBuf, Exported) {
    let ext = match language {
        "c" => "c",
        "rust" => "rs",
        _ => "py",
    };
    let out = dir.join(format!("exported.{ext}"));
    let (file_s, out_s) = (file.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec!["export", file_s, "--to", language, "-o", out_s, "--json"];
    if hessian {
        args.push("--hessian");
    }
    let (code, stdout, stderr) = nabla(&args);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let program = load(file);
    let data_names: Vec<String> = serde_json::from_value(doc["data"].clone()).unwrap();
    let rows = program.rows.unwrap_or(1);
    let data: Vec<Vec<f64>> = data_names
        .iter()
        .map(|n| {
            let column = program
                .data
                .iter()
                .find(|d| &d.name == n)
                .expect("a column");
            row_major(column, rows)
        })
        .collect();
    let gradient = doc["layout"]["n_gradient"].as_u64().unwrap() as usize;
    let exported = Exported {
        function: doc["function"].as_str().unwrap().to_string(),
        params: doc["layout"]["n_params"].as_u64().unwrap() as usize,
        gradient,
        hessian: if hessian { gradient * gradient } else { 0 },
        data,
        rows,
    };
    (out, exported)
}

/// A data column as the exported code reads it: row after row, each row's item
/// row-major (the program keeps a shaped column component by component).
fn row_major(column: &nabla::program::DataColumn, rows: usize) -> Vec<f64> {
    let size = column.item.size();
    let value = |i: usize, k: usize| column.values[k * rows + i].value;
    (0..rows)
        .flat_map(|i| (0..size).map(move |k| value(i, k)))
        .collect()
}

fn load(file: &Path) -> Program {
    let mut sources = Sources::new();
    Program::load(&mut sources, file, &LoadOptions::default()).expect("the file loads")
}

/// The objective the CLI picks and the params of its gradient.
fn objective(program: &Program) -> (nabla::graph::NodeId, Vec<nabla::graph::VarId>) {
    match program.minimizes.first() {
        Some(m) => (m.objective, m.wrt.clone()),
        None => {
            let loss = program.definition("loss").expect("a loss").node;
            (loss, program.params.iter().map(|p| p.var).collect())
        }
    }
}

/// 20 seeded points around the initial params (as `check` draws them): `p + s*z`.
fn points(program: &Program, seed: u64) -> Vec<Vec<f64>> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut normal = move || {
        let (u, v) = (uniform().max(1e-300), uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    (0..POINTS)
        .map(|_| {
            let components = program.params.iter().flat_map(|p| &p.values);
            components
                .map(|&v| v + 0.1 * v.abs().max(1.0) * normal())
                .collect()
        })
        .collect()
}

/// The tape's loss, gradient (and Hessian) at each point; `None` outside the domain.
fn oracle(file: &Path, points: &[Vec<f64>], hessian: bool) -> Vec<Option<Vec<f64>>> {
    let mut program = load(file);
    let (loss, wrt) = objective(&program);
    let mut outputs = nabla::simplify::with_gradient(&mut program.graph, loss, &wrt).unwrap();
    if hessian {
        let rows = nabla::ad::hessian(&mut program.graph, loss, &wrt).unwrap();
        outputs.extend(rows.into_iter().flatten());
    }
    let mut tape: Compiled<f64> =
        Compiled::of_program(&program, &outputs).expect("the tape compiles");
    let sizes: Vec<(nabla::graph::VarId, usize)> = program
        .params
        .iter()
        .map(|p| (p.var, p.values.len()))
        .collect();
    points
        .iter()
        .map(|point| {
            let mut rest = point.as_slice();
            for &(v, size) in &sizes {
                let (mine, others) = rest.split_at(size);
                assert!(tape.set_components(v, mine), "the point fits f64");
                rest = others;
            }
            tape.run(&program.graph).ok()?;
            let values = (0..outputs.len()).map(|k| tape.components(k));
            values
                .collect::<Option<Vec<Vec<f64>>>>()
                .map(|v| v.concat())
        })
        .collect()
}

/// The harness's input: sizes, the data columns, then one line of params per point.
fn harness_input(e: &Exported, points: &[Vec<f64>]) -> String {
    let mut text = format!(
        "{} {} {} {} {} {}\n",
        e.params,
        e.rows,
        e.data.len(),
        e.gradient,
        e.hessian,
        points.len()
    );
    for column in &e.data {
        let values: Vec<String> = column.iter().map(|v| format!("{v:?}")).collect();
        text.push_str(&format!("{} {}\n", column.len(), values.join(" ")));
    }
    for point in points {
        let values: Vec<String> = point.iter().map(|v| format!("{v:?}")).collect();
        text.push_str(&values.join(" "));
        text.push('\n');
    }
    text
}

fn run(command: &mut Command, input: &str) -> String {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    // Written from a thread: a large output fills its pipe before all input is read.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(input.as_bytes())
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{command:?} failed: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The Hessian argument of the harness's call, if the function takes one.
fn hess_arg<'a>(e: &Exported, arg: &'a str) -> &'a str {
    if e.hessian > 0 { arg } else { "" }
}

/// Compiles the C with a harness that reads the input and prints the outputs.
fn run_c(source: &Path, e: &Exported, input: &str) -> String {
    let dir = source.parent().unwrap();
    let harness = C_HARNESS
        .replace("FUNCTION", &e.function)
        .replace("HESS", hess_arg(e, ", hess"));
    std::fs::write(dir.join("main.c"), harness).unwrap();
    let exe = dir.join("main-c");
    let status = Command::new("cc")
        .args(["-std=c99", "-O2", "-Wall", "-Werror", "-pedantic", "-o"])
        .arg(&exe)
        .arg(dir.join("main.c"))
        .arg("-lm")
        .status()
        .expect("cc runs");
    assert!(status.success(), "cc failed on {}", source.display());
    run(&mut Command::new(&exe), input)
}

const C_HARNESS: &str = r#"#include <stdio.h>
#include <stdlib.h>
#include "exported.c"

int main(void) {
    long np, nr, nc, ng, nh, npoints;
    if (scanf("%ld %ld %ld %ld %ld %ld", &np, &nr, &nc, &ng, &nh, &npoints) != 6) return 1;
    const double **data = malloc(sizeof(double *) * (nc + 1));
    double *params = malloc(sizeof(double) * (np + 1));
    double *grad = malloc(sizeof(double) * (ng + 1));
    double *hess = malloc(sizeof(double) * (nh + 1));
    for (long k = 0; k < nc; k++) {
        long length;
        if (scanf("%ld", &length) != 1) return 1;
        double *column = malloc(sizeof(double) * (length + 1));
        for (long j = 0; j < length; j++) if (scanf("%lf", &column[j]) != 1) return 1;
        data[k] = column;
    }
    for (long p = 0; p < npoints; p++) {
        for (long k = 0; k < np; k++) if (scanf("%lf", &params[k]) != 1) return 1;
        double loss = FUNCTION(params, data, nr, gradHESS);
        printf("%.17g", loss);
        for (long k = 0; k < ng; k++) printf(" %.17g", grad[k]);
        for (long k = 0; k < nh; k++) printf(" %.17g", hess[k]);
        printf("\n");
    }
    (void)hess;
    return 0;
}
"#;

/// Compiles the Rust module with a harness (warnings are errors).
fn run_rust(source: &Path, e: &Exported, input: &str) -> String {
    let dir = source.parent().unwrap();
    let harness = RUST_HARNESS
        .replace("FUNCTION", &e.function)
        .replace("HESS", hess_arg(e, ", &mut hess"));
    std::fs::write(dir.join("main.rs"), harness).unwrap();
    let exe = dir.join("main-rust");
    let status = Command::new("rustc")
        .args(["--edition", "2021", "-O", "-D", "warnings", "-o"])
        .arg(&exe)
        .arg(dir.join("main.rs"))
        .status()
        .expect("rustc runs");
    assert!(status.success(), "rustc failed on {}", source.display());
    run(&mut Command::new(&exe), input)
}

const RUST_HARNESS: &str = r#"#[path = "exported.rs"]
mod exported;

use std::io::Read;

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).unwrap();
    let mut numbers = text.split_whitespace().map(|t| t.parse::<f64>().unwrap());
    let mut next = || numbers.next().unwrap();
    let sizes: Vec<usize> = (0..6).map(|_| next() as usize).collect();
    let (np, nr, nc, ng, nh, npoints) = (sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], sizes[5]);
    let columns: Vec<Vec<f64>> = (0..nc)
        .map(|_| {
            let length = next() as usize;
            (0..length).map(|_| next()).collect()
        })
        .collect();
    let data: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
    let (mut grad, mut hess) = (vec![0.0; ng], vec![0.0; nh]);
    for _ in 0..npoints {
        let params: Vec<f64> = (0..np).map(|_| next()).collect();
        let loss = exported::FUNCTION(&params, &data, nr, &mut gradHESS);
        let mut line = format!("{loss:?}");
        for v in grad.iter().chain(&hess) {
            line.push_str(&format!(" {v:?}"));
        }
        println!("{line}");
    }
    let _ = &mut hess;
}
"#;

fn run_python(source: &Path, e: &Exported, input: &str) -> String {
    let mut command = Command::new(python());
    command
        .arg("-c")
        .arg(PYTHON_HARNESS)
        .arg(source)
        .arg(&e.function);
    run(&mut command, input)
}

const PYTHON_HARNESS: &str = r#"
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
function = getattr(module, sys.argv[2])
values = iter(sys.stdin.read().split())
np_, nr, nc, ng, nh, npoints = (int(float(next(values))) for _ in range(6))
data = []
for _ in range(nc):
    length = int(float(next(values)))
    data.append(np.array([float(next(values)) for _ in range(length)]))
grad, hess = np.zeros(ng), np.zeros(nh)
with np.errstate(all="ignore"):
    for _ in range(npoints):
        params = np.array([float(next(values)) for _ in range(np_)])
        args = (params, data, nr, grad) + ((hess,) if nh else ())
        loss = function(*args)
        print(" ".join(repr(float(v)) for v in [loss, *grad, *hess]))
"#;

/// Runs the exported file of `language` at the points.
fn generated(language: &str, source: &Path, e: &Exported, points: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let input = harness_input(e, points);
    let output = match language {
        "c" => run_c(source, e, &input),
        "rust" => run_rust(source, e, &input),
        _ => run_python(source, e, &input),
    };
    output
        .lines()
        .map(|line| {
            let parse = |t: &str| t.parse::<f64>().unwrap_or(f64::NAN);
            line.split_whitespace().map(parse).collect()
        })
        .collect()
}

/// Within 1e-12 relative; an output that cancels to about zero (a gradient at a
/// stationary point: the sum of terms of either sign) is within 1e-12 of the size of
/// the loss, the rounding noise of its terms.
fn close(a: f64, b: f64, scale: f64) -> bool {
    a == b || (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(scale)
}

/// Exports `file` to every language (with and without the Hessian) and compares with
/// the tape; returns how many points were compared in each run.
fn compare_file(file: &Path, name: &str, hessian: bool) -> Result<usize, String> {
    let program = load(file);
    let points = points(&program, 7);
    let expected = oracle(file, &points, hessian);
    let mut compared = 0;
    for language in LANGUAGES {
        let dir = scratch(&format!("{name}-{language}-{hessian}"));
        let (source, e) = export(file, language, hessian, &dir);
        let got = generated(language, &source, &e, &points);
        compared = 0;
        for (k, (want, got)) in expected.iter().zip(&got).enumerate() {
            let Some(want) = want else { continue };
            compared += 1;
            let scale = want[0].abs().max(1.0);
            let ok =
                want.len() == got.len() && want.iter().zip(got).all(|(&a, &b)| close(a, b, scale));
            if !ok {
                let point = &points[k];
                return Err(format!(
                    "{name} ({language}, hessian {hessian}) at {point:?}:\n  tape      {want:?}\n  generated {got:?}"
                ));
            }
        }
    }
    Ok(compared)
}

#[test]
fn every_example_agrees_with_the_tape() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nabla"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the examples are there");
    let mut shaped = 0;
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        // The Hessian by a vector or matrix param is refused (tested in
        // `the_hessian_by_a_shaped_param_is_refused`).
        let scalar = is_scalar(&load(file));
        shaped += usize::from(!scalar);
        let hessians: &[bool] = if scalar { &[false, true] } else { &[false] };
        for &hessian in hessians {
            let compared = compare_file(file, &name, hessian).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                compared >= POINTS / 2,
                "{name}: only {compared} points in the domain"
            );
        }
    }
    assert!(shaped >= 4, "the shaped examples are exported too");
}

/// Whether every param of the program is a scalar.
fn is_scalar(program: &Program) -> bool {
    program.params.iter().all(|p| p.item.is_scalar())
}

#[test]
fn the_rust_is_rustfmt_clean() {
    for file in [
        "sigmoid",
        "rosenbrock",
        "linear_regression",
        "logistic_regression",
        "xor",
        "softmax_regression",
        "tanh_network",
        "ridge_regression",
    ] {
        let scalar = is_scalar(&load(Path::new(&format!("examples/{file}.nabla"))));
        let hessians: &[bool] = if scalar { &[false, true] } else { &[false] };
        for &hessian in hessians {
            let path = format!("examples/{file}.nabla");
            let mut args = vec!["export", path.as_str(), "--to", "rust"];
            if hessian {
                args.push("--hessian");
            }
            let (code, stdout, stderr) = nabla(&args);
            assert_eq!(code, Some(0), "{stderr}");
            assert_rustfmt_clean(&stdout, file);
        }
    }
}

fn assert_rustfmt_clean(code: &str, name: &str) {
    let mut child = Command::new("rustfmt")
        .args(["--check", "--edition", "2021"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rustfmt is installed (rustup component add rustfmt)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(code.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "rustfmt would change the export of {name}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_sigmoid_neuron_in_each_language() {
    for language in LANGUAGES {
        let (code, stdout, stderr) = nabla(&["export", "examples/sigmoid.nabla", "--to", language]);
        assert_eq!(code, Some(0), "{stderr}");
        insta::assert_snapshot!(format!("sigmoid_{language}"), stdout);
    }
    let (code, stdout, _) = nabla(&["export", "examples/sigmoid.nabla", "--to", "c", "--hessian"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("sigmoid_c_hessian", stdout);
}

/// A small shaped export: the softmax regression (a matrix, a vector, `dot`,
/// `logsumexp`, `softmax`, `outer`, per-row vector data) in each language.
#[test]
fn the_softmax_regression_in_each_language() {
    for language in LANGUAGES {
        let file = "examples/softmax_regression.nabla";
        let (code, stdout, stderr) = nabla(&["export", file, "--to", language]);
        assert_eq!(code, Some(0), "{stderr}");
        insta::assert_snapshot!(format!("softmax_regression_{language}"), stdout);
    }
}

/// Ridge regression with K features in `dir`, three rows of a CSV file.
fn ridge(dir: &Path, k: usize) -> PathBuf {
    let header: Vec<String> = (1..=k).map(|j| format!("x{j}")).collect();
    let mut csv = format!("y,{}\n", header.join(","));
    for row in 0..3 {
        let values: Vec<String> = (0..k)
            .map(|j| format!("{}", ((row * 7 + j * 3) % 11) as f64 / 10.0 - 0.5))
            .collect();
        csv.push_str(&format!("{},{}\n", row as f64 - 1.0, values.join(",")));
    }
    std::fs::write(dir.join("ridge.csv"), csv).unwrap();
    let text = format!(
        "data y, X[*] from \"ridge.csv\"\nparam w[{k}] = 0.01, b = 0\n\
         loss = mean((dot(X, w) + b - y)^2) + 0.01*total(w^2)\n"
    );
    let file = dir.join("ridge.nabla");
    std::fs::write(&file, text).unwrap();
    file
}

/// The code is loops over the components: as many bytes at K = 10,000 as at
/// K = 20,000 (the sizes have as many digits), and it agrees with the tape.
#[test]
fn the_code_does_not_grow_with_the_components() {
    let files = [10_000, 20_000].map(|k| ridge(&scratch(&format!("ridge-{k}")), k));
    for language in LANGUAGES {
        let export = |file: &Path| {
            let (code, stdout, stderr) =
                nabla(&["export", file.to_str().unwrap(), "--to", language]);
            assert_eq!(code, Some(0), "{stderr}");
            stdout
        };
        let [large, larger] = files.each_ref().map(|f| export(f));
        assert_eq!(large.len(), larger.len(), "{language}");
        assert!(large.len() < 8_000, "{language}: {} bytes", large.len());
    }
    let compared = compare_file(&files[0], "ridge-10000", false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compared, POINTS);
}

/// C keeps its arrays on the stack: one that would not fit is refused with exit 2
/// and a way out; Rust (arrays on the heap) exports it.
#[test]
fn c_refuses_arrays_too_large_for_the_stack() {
    let dir = scratch("stack");
    let file = dir.join("big.nabla");
    std::fs::write(&file, "param w[200000] = 0.5\nloss = total(w^2)\n").unwrap();
    let path = file.to_str().unwrap();
    let (code, _, stderr) = nabla(&["export", path, "--to", "c"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("bytes of arrays on the stack") && stderr.contains("Rust or Python"),
        "{stderr}"
    );
    let (code, rust, stderr) = nabla(&["export", path, "--to", "rust"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(rust.contains("vec![0.0; 200000]"), "{rust}");
}

/// The header names each param's block, shape and bounds, and the JSON layout says
/// the same.
#[test]
fn the_header_and_the_json_give_the_layout() {
    let dir = scratch("layout");
    let file = dir.join("layout.nabla");
    let text = "data X = [{1, 2}, {3, 4}, {5, 6}]\ndata y = [1, 0, 1]\n\
                param s = 1 in [0, inf], W[2, 2] = 0.1, v[2] = 0 in [-1, 1]\n\
                loss = mean((s*dot(v, dot(W, X)) - y)^2)\n";
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap();
    let (code, c, stderr) = nabla(&["export", path, "--to", "c"]);
    assert_eq!(code, Some(0), "{stderr}");
    for line in [
        " *   params[0] = s in [0, inf]",
        " *   params[1..5] = W, [2, 2]",
        " *   params[5..7] = v, [2] in [-1, 1]",
        " *   data[0] = X, [2] per row",
        " *   grad[1..5] = d(loss)/d(W)",
    ] {
        assert!(c.contains(line), "{line}\n{c}");
    }
    let (_, stdout, _) = nabla(&["export", path, "--to", "python", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let layout = &doc["layout"];
    assert_eq!(layout["n_params"], 7, "{layout}");
    assert_eq!(layout["params"][1]["shape"], serde_json::json!([2, 2]));
    assert_eq!(layout["params"][2]["offset"], 5);
    assert_eq!(
        layout["params"][0]["bounds"],
        serde_json::json!([0.0, "inf"])
    );
    assert_eq!(layout["data"][0]["shape"], serde_json::json!([2]));
    let compared = compare_file(&file, "layout", false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compared, POINTS);
}

#[test]
fn the_output_is_deterministic_and_written_atomically() {
    let dir = scratch("atomic");
    let out = dir.join("sigmoid.c");
    let out_s = out.to_str().unwrap();
    let (code, stdout, _) = nabla(&["export", "examples/sigmoid.nabla", "--to", "c", "-o", out_s]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("wrote loss_grad"), "{stdout}");
    let (_, printed, _) = nabla(&["export", "examples/sigmoid.nabla", "--to", "c"]);
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.trim_end(), printed.trim_end());
    let leftovers = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left behind");
}

#[test]
fn errors_follow_the_cli_conventions() {
    let (code, _, stderr) = nabla(&[
        "export",
        "examples/sigmoid.nabla",
        "--of",
        "nope",
        "--to",
        "c",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--of nope: the file defines no `nope`"),
        "{stderr}"
    );
    let (code, stdout, _) = nabla(&[
        "export",
        "examples/sigmoid.nabla",
        "--to",
        "fortran",
        "--json",
    ]);
    assert_eq!(code, Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fortran"),
        "{doc}"
    );
    let (code, stdout, _) = nabla(&[
        "export",
        "examples/sigmoid.nabla",
        "--of",
        "f",
        "--to",
        "c",
        "--json",
    ]);
    assert_eq!(code, Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        doc["error"]["message"].as_str().unwrap().contains("vector"),
        "{doc}"
    );
    assert_eq!(doc["error"]["line"], 6, "{doc}");
    let (code, _, stderr) = nabla(&[
        "export",
        "examples/sigmoid.nabla",
        "--to",
        "c",
        "-o",
        "examples/sigmoid.nabla",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("which this run reads"), "{stderr}");
    let (code, _, stderr) = nabla(&[
        "export",
        "examples/sigmoid.nabla",
        "--to",
        "c",
        "-o",
        "examples",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("directory"), "{stderr}");
}

#[test]
fn a_vector_literal_is_refused_at_its_place() {
    let dir = scratch("literal");
    let file = dir.join("literal.nabla");
    std::fs::write(
        &file,
        "data x = [1, 2]\nparam w = 1\nloss = sum(w*x*[3, 4])\n",
    )
    .unwrap();
    let (code, _, stderr) = nabla(&["export", file.to_str().unwrap(), "--to", "c"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("vector literal") && stderr.contains("literal.nabla:3:"),
        "{stderr}"
    );
}

/// Expressions over params `w, b` and data `x, y` with every builtin.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-3000i32..=3000).prop_map(|m| format!("{}", f64::from(m) / 1000.0)),
        prop::sample::select(vec!["w", "b", "x", "y", "x", "w", "pi", "e"]).prop_map(String::from),
    ];
    leaf.prop_recursive(4, 20, 2, |inner| {
        let unary = prop::sample::select(vec![
            "exp", "ln", "log2", "log10", "sqrt", "abs", "sin", "cos", "tan", "asin", "acos",
            "atan", "sinh", "cosh", "tanh", "sigmoid", "softplus", "relu", "sign", "step", "-",
        ]);
        prop_oneof![
            4 => (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            1 => (inner.clone(), prop::sample::select(vec!["2", "3", "0.5", "-1", "y"]))
                .prop_map(|(a, k)| format!("({a})^{k}")),
            3 => (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            1 => (prop::sample::select(vec!["max", "min", "pow"]), inner.clone(), inner)
                .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_agree_with_the_tape(
        expr in expression(),
        mean in any::<bool>(),
        nested in any::<bool>(),
        case in 0u64..1_000_000,
    ) {
        let reduce = if mean { "mean" } else { "sum" };
        let body = if nested { format!("{reduce}(f * {reduce}(f)) + {reduce}(f)") } else { format!("{reduce}(f)") };
        let text = format!(
            "data x = [0.25, -0.5, 0.75, 0.1, 1.5]\ndata y = [0.2, 0.9, 0.4, 0.3, 0.6]\n\
             param w = 0.3, b = -0.2\nf = {expr}\nloss = {body}\n"
        );
        let dir = scratch(&format!("prop-{case}"));
        let file = dir.join("case.nabla");
        std::fs::write(&file, &text).unwrap();
        let mut sources = Sources::new();
        if Program::load(&mut sources, &file, &LoadOptions::default()).is_err() {
            return Ok(());
        }
        let (code, rust, _) = nabla(&["export", file.to_str().unwrap(), "--to", "rust", "--hessian"]);
        prop_assert_eq!(code, Some(0));
        assert_rustfmt_clean(&rust, &text);
        compare_file(&file, &format!("prop-{case}"), true).map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
    }
}

/// A vector expression of shape `[3]` over the param `w[3]`, the per-row data
/// `X[3]`, the scalars `b` and `y`, a literal, and every array operator.
fn vector_expression() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "w",
        "X",
        "X",
        "softmax(w)",
        "{0.5, -1, 2}",
        "dot(transpose(W), dot(W, X))",
        "dot(outer(X, w), w)",
        "dot(diag(X), w)",
        "diag(outer(X, w)) + dot(diag(w), X)",
    ])
    .prop_map(String::from);
    leaf.prop_recursive(3, 12, 2, |inner| {
        let unary = prop::sample::select(vec!["exp", "tanh", "sigmoid", "softplus", "abs", "-"]);
        let scalar = prop::sample::select(vec!["b", "y", "0.5", "2", "X[2]", "w[3]"]);
        let op = prop::sample::select(vec!["+", "-", "*", "/"]);
        prop_oneof![
            3 => (inner.clone(), op.clone(), inner.clone())
                .prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            2 => (inner.clone(), op, scalar).prop_map(|(a, op, s)| format!("({a}) {op} {s}")),
            2 => (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            1 => inner.clone().prop_map(|a| format!("softmax({a})")),
            1 => inner.prop_map(|a| format!("({a})^2")),
        ]
    })
}

/// A per-row scalar from a vector expression.
fn reduced() -> impl Strategy<Value = String> {
    let reducer = prop::sample::select(vec![
        "dot(V, X)",
        "dot(V, V)",
        "total(V)",
        "logsumexp(V)",
        "norm(V)",
        "V[1]",
        "total(dot(W, V))",
        "total(outer(V, w))",
    ]);
    (reducer, vector_expression()).prop_map(|(r, v)| r.replace('V', &format!("({v})")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn generated_shaped_programs_agree_with_the_tape(
        f in reduced(),
        mean in any::<bool>(),
        case in 0u64..1_000_000,
    ) {
        let reduce = if mean { "mean" } else { "sum" };
        let text = format!(
            "data X = [{{0.25, -0.5, 1}}, {{0.75, 0.1, -1}}, {{1.5, 0.3, 0.2}}, {{-0.4, 0.6, 0.9}}]\n\
             data y = [0.2, 0.9, 0.4, 0.3]\n\
             param w = {{0.3, -0.2, 0.5}}, b = -0.2, W[2, 3] = 0.1\n\
             f = {f}\nloss = {reduce}(f * y + f^2) + total(w^2)\n"
        );
        let dir = scratch(&format!("prop-shaped-{case}"));
        let file = dir.join("case.nabla");
        std::fs::write(&file, &text).unwrap();
        let mut sources = Sources::new();
        if Program::load(&mut sources, &file, &LoadOptions::default()).is_err() {
            return Ok(());
        }
        let (code, rust, stderr) = nabla(&["export", file.to_str().unwrap(), "--to", "rust"]);
        prop_assert_eq!(code, Some(0), "{}\n{}", text, stderr);
        assert_rustfmt_clean(&rust, &text);
        compare_file(&file, &format!("prop-shaped-{case}"), false)
            .map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
    }
}

/// The README's worked example: its `main.c` compiles against the exported sigmoid
/// neuron and prints what the README shows.
#[test]
fn the_readme_example_runs_as_shown() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let start = readme
        .find("```c\n/* main.c */")
        .expect("the README's main.c")
        + 5;
    let main_c = &readme[start..start + readme[start..].find("```").unwrap()];
    let shown = readme
        .lines()
        .find(|l| l.starts_with("w = 1.79"))
        .expect("the README shows the output");
    let dir = scratch("readme");
    std::fs::write(dir.join("main.c"), main_c).unwrap();
    let out = dir.join("sigmoid.c");
    let (code, _, stderr) = nabla(&[
        "export",
        "examples/sigmoid.nabla",
        "--to",
        "c",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let exe = dir.join("neuron");
    let status = Command::new("cc")
        .args(["-std=c99", "-O2", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .args([dir.join("main.c"), out])
        .arg("-lm")
        .status()
        .expect("cc runs");
    assert!(status.success());
    assert_eq!(run(&mut Command::new(&exe), "").trim(), shown);
}

/// The README's NumPy example: it runs against the exported softmax regression and
/// prints the `W` its comment shows.
#[test]
fn the_readme_numpy_example_runs_as_shown() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let start = readme
        .find("```python\nimport numpy as np\nfrom softmax import loss_grad")
        .expect("the README's NumPy example")
        + 10;
    let script = &readme[start..start + readme[start..].find("```").unwrap()];
    let shown = script
        .lines()
        .find_map(|l| l.strip_prefix("# W = "))
        .and_then(|l| l.split(", as").next())
        .expect("the example shows W");
    let dir = scratch("readme-numpy");
    let out = dir.join("softmax.py");
    let file = "examples/softmax_regression.nabla";
    let (code, _, stderr) = nabla(&[
        "export",
        file,
        "--to",
        "python",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let mut command = Command::new(python());
    command.current_dir(&dir).arg("-c").arg(script);
    let printed = run(&mut command, "");
    assert_eq!(printed.trim(), format!("W = {shown}"));
}

/// Names that are keywords, generated names or not ASCII in some target are replaced,
/// and the code still compiles and agrees; a constant objective part and every kind of
/// reduction (a mean, a sum of a scalar, a nested sum) come through too.
#[test]
fn awkward_names_and_reductions_export_everywhere() {
    let dir = scratch("awkward");
    let file = dir.join("awkward.nabla");
    let text = "data end = [0.5, 1.5, 2.5]\ndata W = [1, -1, 2]\n\
                param double = 0.5, fn = -0.25, θ = 1.5, acc4 = 0.1\n\
                r = double*end + fn*W - θ\n\
                loss = mean(r^2) + sum(acc4^2) + sum(r*mean(r)) + 1e300*1e-300 + max(θ, 1)\n";
    std::fs::write(&file, text).unwrap();
    for hessian in [false, true] {
        let compared = compare_file(&file, "awkward", hessian).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(compared, POINTS);
    }
    let (_, c, _) = nabla(&["export", file.to_str().unwrap(), "--to", "c"]);
    assert!(c.contains("const double param_0 = params[0];"), "{c}");
    assert!(c.contains("const double *data_0 = data[0];"), "{c}");
}

#[test]
fn the_hessian_by_a_shaped_param_is_refused() {
    let (code, stdout, stderr) = nabla(&["export", "examples/xor.nabla", "--to", "c", "--hessian"]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(
        stderr.contains("`W` has shape [2, 2]") && stderr.contains("export without --hessian"),
        "{stderr}"
    );
}
