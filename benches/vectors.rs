//! The vector bars of SPEC 10, side by side in one run: nabla against NumPy, JAX (jit,
//! float64, CPU) and pandas on the same CSV files, measured now when the peers'
//! virtualenv exists (`bash benches/peers/vectors.sh`), else nabla alone.
//!
//! - V1: logistic regression, K = 100 features, N = 100,000 rows: one loss + gradient
//!   call (nabla's tape; NumPy `X @ w`, `X.T @ r`; JAX `value_and_grad`), and one gd
//!   gd epoch of its `minimize` (the time of 21 epochs less that of 1, over 20).
//! - V2: a 10-64-1 tanh network, N = 10,000: loss + gradient against JAX.
//! - V3: loading a 100-column, 100,000-row CSV (V1's file) against `pandas.read_csv`.
//! - V4: text to tape of logistic regression at K = 10 and K = 10,000 (N = 100): the
//!   node counts of the loss and gradient graph, and the time to build.
//!
//! `cargo bench --bench vectors` (`-- --quick` for fewer repetitions, `-- v2 v4` for
//! some parts only).

#[path = "timing.rs"]
mod timing;

use nabla::descent::{Settings, Task, minimize};
use nabla::graph::NodeId;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use nabla::tape::Compiled;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use timing::median;

/// splitmix64 uniforms in [0, 1).
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A CSV of `n` rows with columns y, x1..xk: x uniform in [-1, 1] (6 decimals), y
/// 0 or 1 by a logistic model with weights alternating ±0.3.
fn write_csv(path: &Path, k: usize, n: usize) {
    let mut u = Uniform(7);
    let mut text = String::with_capacity(n * (k * 10 + 4));
    text.push('y');
    for j in 1..=k {
        text.push_str(&format!(",x{j}"));
    }
    text.push('\n');
    let mut row = vec![0.0; k];
    for _ in 0..n {
        let mut z = 0.0;
        for (j, x) in row.iter_mut().enumerate() {
            *x = ((2.0 * u.next() - 1.0) * 1e6).round() / 1e6;
            z += if j % 2 == 0 { 0.3 } else { -0.3 } * *x;
        }
        let y = u8::from(u.next() < 1.0 / (1.0 + (-z).exp()));
        text.push_str(&y.to_string());
        for x in &row {
            text.push_str(&format!(",{x}"));
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn logreg_source(k: usize) -> String {
    format!(
        "data y, X[*] from \"data.csv\"\nparam w[{k}] = 0.01, b = 0\nz = dot(X, w) + b\n\
         loss = mean(softplus(z) - y*z)\nminimize loss by gd(rate = 0.1)\n"
    )
}

fn tanh_source(k: usize, h: usize) -> String {
    format!(
        "data y, x[*] from \"data.csv\"\n\
         param W[{h}, {k}] ~ normal(0, 0.3), c[{h}] = 0, v[{h}] ~ normal(0, 0.3), a = 0\n\
         f = dot(v, tanh(W @ x + c)) + a\nloss = mean((f - y)^2)\n"
    )
}

fn load(dir: &Path, text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("bench.nabla", text.to_string());
    Program::from_source(&mut sources, id, dir, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The loss and its gradient by every param, compiled, with the node counts of the
/// function and of the loss-and-gradient graph.
fn compiled(program: &mut Program) -> (Compiled<f64>, usize, usize) {
    let loss = program
        .definition("loss")
        .map(|d| d.node)
        .unwrap_or(NodeId(0));
    let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
    let outputs = nabla::simplify::with_gradient(&mut program.graph, loss, &vars)
        .unwrap_or_else(|e| panic!("{e}"));
    let function = program.graph.reachable(&[loss]).len();
    let both = program.graph.reachable(&outputs).len();
    let tape = Compiled::of_program(program, &outputs).unwrap_or_else(|| panic!("f64"));
    (tape, function, both)
}

fn ms(seconds: f64) -> String {
    format!("{:.2} ms", seconds * 1e3)
}

fn peer_python() -> Option<PathBuf> {
    let venv = std::env::var_os("NABLA_VECTORS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers/vectors-venv"));
    let python = venv.join("bin/python");
    python.exists().then_some(python)
}

/// The peers' JSON for one file (`benches/peers/vectors_peers.py`).
fn peers(args: &[String]) -> Option<serde_json::Value> {
    let python = peer_python()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/vectors_peers.py");
    let output = Command::new(python).arg(script).args(args).output().ok()?;
    if !output.status.success() {
        eprintln!("peers failed: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

fn peer(json: &Option<serde_json::Value>, key: &str) -> Option<f64> {
    json.as_ref()?.get(key)?.as_f64()
}

fn row(what: &str, nabla: f64, peer_name: &str, peer: Option<f64>) {
    match peer {
        Some(p) => println!(
            "{what:<34} {:>10} {peer_name:>14} {:>10} {:>7.2}",
            ms(nabla),
            ms(p),
            nabla / p
        ),
        None => println!("{what:<34} {:>10} {peer_name:>14} {:>10}", ms(nabla), "-"),
    }
}

/// Seconds of one epoch of the program's `minimize` through the library's descent
/// (what `nabla minimize` runs): the time of 21 epochs less that of 1, over 20, each a
/// median of 3.
fn minimize_epoch(program: &mut Program) -> f64 {
    let m = &program.minimizes[0];
    let task = Task::of(m);
    let settings = m.settings.clone();
    let mut time = |epochs: usize| {
        let settings = Settings {
            epochs,
            ..settings.clone()
        };
        median(3, 1, || {
            black_box(minimize(program, &task, &settings, &mut ())).ok();
        })
    };
    (time(21) - time(1)) / 20.0
}

fn v1_v3(dir: &Path, quick: bool) {
    let (k, n) = (100, 100_000);
    write_csv(&dir.join("data.csv"), k, n);
    std::fs::write(dir.join("bench.nabla"), logreg_source(k)).unwrap_or_else(|e| panic!("{e}"));
    let json = peers(&[
        "logreg".into(),
        dir.join("data.csv").display().to_string(),
        k.to_string(),
    ]);
    let reps = if quick { 3 } else { 9 };
    let text = logreg_source(k);
    let load_time = median(reps.min(5), 1, || {
        black_box(load(dir, &text));
    });
    let mut program = load(dir, &text);
    let (mut tape, _, _) = compiled(&mut program);
    let graph = program.graph.clone();
    let call = median(reps, 5, || black_box(tape.run(&graph)).unwrap_or(()));
    println!("\nV1: logistic regression, K = {k}, N = {n} (float64)");
    row("loss + gradient", call, "NumPy", peer(&json, "numpy"));
    row("loss + gradient", call, "JAX jit", peer(&json, "jax"));
    let epoch = minimize_epoch(&mut program);
    row(
        "gd epoch (nabla minimize)",
        epoch,
        "NumPy",
        peer(&json, "numpy"),
    );
    row(
        "gd epoch (nabla minimize)",
        epoch,
        "JAX jit",
        peer(&json, "jax"),
    );
    println!("\nV3: loading the CSV ({k} + 1 columns, {n} rows)");
    row(
        "program with its data",
        load_time,
        "pandas",
        peer(&json, "read_csv"),
    );
}

fn v2(dir: &Path, quick: bool) {
    let (k, h, n) = (10, 64, 10_000);
    write_csv(&dir.join("data.csv"), k, n);
    let json = peers(&[
        "tanh".into(),
        dir.join("data.csv").display().to_string(),
        k.to_string(),
        h.to_string(),
    ]);
    let mut program = load(dir, &tanh_source(k, h));
    let (mut tape, _, _) = compiled(&mut program);
    let graph = program.graph.clone();
    let call = median(if quick { 3 } else { 9 }, 5, || {
        black_box(tape.run(&graph)).unwrap_or(())
    });
    println!("\nV2: {k}-{h}-1 tanh network, N = {n}");
    row("loss + gradient", call, "JAX jit", peer(&json, "jax"));
}

fn v4(dir: &Path) {
    println!("\nV4: logistic regression, text to tape (N = 100; medians of 5)");
    println!(
        "{:>7} {:>9} {:>9} {:>12} {:>14} {:>10}",
        "K", "function", "gradient", "text to tape", "of it, the CSV", "AD + tape"
    );
    for k in [10, 10_000] {
        write_csv(&dir.join("data.csv"), k, 100);
        let text = logreg_source(k);
        let mut counts = (0, 0);
        let mut split = (Vec::new(), Vec::new());
        let total = median(5, 1, || {
            let start = Instant::now();
            let mut program = load(dir, &text);
            let loaded = start.elapsed().as_secs_f64();
            let (tape, function, both) = compiled(&mut program);
            split.0.push(loaded);
            split.1.push(start.elapsed().as_secs_f64() - loaded);
            counts = (function, both);
            black_box(tape);
        });
        // Parsing and lowering the program without its data: the same text with
        // the CSV of 1 row.
        write_csv(&dir.join("data.csv"), k, 1);
        let no_data = median(5, 1, || {
            black_box(load(dir, &text));
        });
        let mid = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (load_time, rest) = (mid(&mut split.0), mid(&mut split.1));
        println!(
            "{k:>7} {:>9} {:>9} {:>12} {:>14} {:>10}",
            counts.0,
            counts.1,
            ms(total),
            ms(load_time - no_data),
            ms(rest)
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let dir = std::env::temp_dir().join(format!("nabla-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    match peer_python() {
        Some(p) => println!("peers measured now ({})", p.display()),
        None => println!("no peers: run benches/peers/vectors.sh to measure them side by side"),
    }
    println!(
        "{:<34} {:>10} {:>14} {:>10} {:>7}",
        "", "nabla", "peer", "", "ratio"
    );
    // `-- v2 v4` runs only those parts.
    let parts: Vec<String> = std::env::args().filter(|a| a.starts_with('v')).collect();
    let wanted = |name: &str| parts.is_empty() || parts.iter().any(|p| p == name);
    if wanted("v1") || wanted("v3") {
        v1_v3(&dir, quick);
    }
    if wanted("v2") {
        v2(&dir, quick);
    }
    if wanted("v4") {
        v4(&dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
