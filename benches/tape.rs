//! W1: loss + gradient of the sigmoid neuron over N rows on the compiled tape, side by
//! side with a hand-written Rust loop of the same loss and gradient (the baseline of
//! ../shared/bench/baseline, copied below), and the 100-point unrolled families of W2
//! against CasADi's SX virtual machine on the same formula, measured in the same run
//! when the peer is installed (`bash benches/peers/setup.sh`), else the reference
//! figures of ../shared/bench/results-peers.md.
//!
//! `cargo bench --bench tape` runs criterion on the W1 cases (its statistics), then
//! prints one table of medians and ratios from one run (`-- --table` for the tables
//! alone).

#[path = "families.rs"]
mod families;
#[path = "timing.rs"]
mod timing;

use criterion::Criterion;
use nabla::graph::NodeId;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use nabla::tape::Compiled;
use std::hint::black_box;
use std::path::Path;
use timing::median;

/// The baseline's data: splitmix64 + Box-Muller, x in [-3, 3], y near sigmoid(1.5x - 0.5).
fn make_data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    };
    let (mut x, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let xi = -3.0 + 6.0 * next();
        let (u1, u2) = (next().max(1e-300), next());
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let s = 1.0 / (1.0 + (-(1.5 * xi - 0.5)).exp());
        x.push(xi);
        y.push((s + 0.05 * normal).clamp(0.01, 0.99));
    }
    (x, y)
}

/// The hand-written loop: one fused pass for the loss and both derivatives.
#[inline(never)]
fn loss_grad(x: &[f64], y: &[f64], w: f64, b: f64) -> (f64, f64, f64) {
    let (mut l, mut gw, mut gb) = (0.0, 0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        let f = 1.0 / (1.0 + (-(w * xi + b)).exp());
        let d = f - yi;
        l += 0.5 * d * d;
        let g = d * f * (1.0 - f);
        gw += g * xi;
        gb += g;
    }
    (l, gw, gb)
}

#[inline(never)]
fn loss_only(x: &[f64], y: &[f64], w: f64, b: f64) -> f64 {
    let mut l = 0.0;
    for (&xi, &yi) in x.iter().zip(y) {
        let f = 1.0 / (1.0 + (-(w * xi + b)).exp());
        let d = f - yi;
        l += 0.5 * d * d;
    }
    l
}

/// The sigmoid neuron as a nabla program over the rows in a CSV file.
fn neuron(n: usize) -> Program {
    let (x, y) = make_data(n, 42);
    let dir = std::env::temp_dir().join(format!("nabla-bench-{}-{n}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut csv = String::from("x,y\n");
    for (a, b) in x.iter().zip(&y) {
        csv.push_str(&format!("{a},{b}\n"));
    }
    let _ = std::fs::write(dir.join("points.csv"), csv);
    let text = "data x, y from \"points.csv\"\nparam w = -2, b = -2\n\
        sigmoid(z) = 1 / (1 + exp(-z))\nloss = sum(0.5 * (sigmoid(w*x + b) - y)^2)\n";
    let mut sources = Sources::new();
    let id = sources.add("neuron.nabla", text);
    let program = Program::from_source(&mut sources, id, &dir, &LoadOptions::default());
    let _ = std::fs::remove_dir_all(&dir);
    program.unwrap_or_else(|e| panic!("{e}"))
}

fn format_time(seconds: f64) -> String {
    if seconds < 1e-6 {
        format!("{:.0} ns", seconds * 1e9)
    } else if seconds < 1e-3 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.2} ms", seconds * 1e3)
    }
}

fn w1() {
    println!("W1: sigmoid neuron, loss + gradient over N rows (medians, one run)");
    let threads = rayon::current_num_threads();
    println!(
        "{:>8} {:>11} {:>7} {:>11} {:>8} {:>11} {:>11} {:>11} {:>7} {:>8}",
        "N",
        "nabla l+g",
        "ratio",
        "1 thread",
        "ratio",
        "hand l+g",
        "nabla loss",
        "hand loss",
        "ratio",
        "l+g/loss"
    );
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for n in [2usize, 1_000, 100_000, 1_000_000] {
        let (program, mut both, mut alone) = compiled_neuron(n);
        let (x, y) = make_data(n, 42);
        let calls = (2_000_000 / n).clamp(3, 200_000);
        let reps = if n >= 1_000_000 { 9 } else { 15 };
        let graph = &program.graph;
        let t_both = median(reps, calls, || black_box(both.run(graph)).unwrap_or(()));
        let t_one =
            one_thread.install(|| median(reps, calls, || black_box(both.run(graph)).unwrap_or(())));
        let t_alone = median(reps, calls, || black_box(alone.run(graph)).unwrap_or(()));
        let t_hand = median(reps, calls, || {
            black_box(loss_grad(black_box(&x), black_box(&y), -2.0, -2.0));
        });
        let t_hand_loss = median(reps, calls, || {
            black_box(loss_only(black_box(&x), black_box(&y), -2.0, -2.0));
        });
        println!(
            "{:>8} {:>11} {:>7.2} {:>11} {:>8.2} {:>11} {:>11} {:>11} {:>7.2} {:>8.2}",
            n,
            format_time(t_both),
            t_both / t_hand,
            format_time(t_one),
            t_one / t_hand,
            format_time(t_hand),
            format_time(t_alone),
            format_time(t_hand_loss),
            t_alone / t_hand_loss,
            t_both / t_alone
        );
    }
    println!(
        "(ratio = nabla / the hand-written loop on one thread; nabla on {threads} threads from \
         {} rows, and on 1; the targets: N = 1e6 l+g ratio <= 1.0, l+g/loss <= 1.5 at N >= 1e3)",
        nabla::tape::PARALLEL_ROWS
    );
}

/// The Python of the peers' virtualenv (`benches/peers/setup.sh`), if it was made.
fn peer_python() -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("NABLA_PEERS_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers"));
    let python = venv.join("bin/python");
    python.exists().then_some(python)
}

/// CasADi's SX virtual machine on the same loss text, measured now: seconds per call
/// of value and gradient (`benches/peers/casadi_fg.py`). `None` without the peer.
fn casadi(python: &Path, formula: &str, params: &[String]) -> Option<f64> {
    let file = std::env::temp_dir().join(format!("nabla-casadi-{}.txt", std::process::id()));
    std::fs::write(&file, formula).ok()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/casadi_fg.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .arg(&file)
        .args(params)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&file);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    json["fg_eval_amortised_s"].as_f64()
}

fn w2() {
    println!("\nW2: loss + gradient per call of the 100-point unrolled families (scalar tapes)");
    let python = peer_python();
    match &python {
        Some(p) => println!("CasADi measured now on the same formula ({})", p.display()),
        None => println!(
            "CasADi: the reference figures of results-peers.md (another machine); \
             run benches/peers/setup.sh to measure it here, side by side"
        ),
    }
    println!(
        "{:<8} {:>11} {:>14} {:>7}",
        "family", "nabla", "CasADi SX VM", "ratio"
    );
    for (family, reference) in [
        (families::Family::Sigmoid, 3.7e-6),
        (families::Family::Mlp, 25.9e-6),
    ] {
        let text = families::source(family, 100);
        let mut sources = Sources::new();
        let id = sources.add("family.nabla", text.clone());
        let mut program =
            Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
        let loss = program
            .definition("loss")
            .map(|d| d.node)
            .unwrap_or(NodeId(0));
        let names: Vec<String> = program.params.iter().map(|p| p.name.clone()).collect();
        let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
        let outputs = nabla::simplify::with_gradient(&mut program.graph, loss, &vars)
            .expect("the graph has room");
        let mut compiled: Compiled<f64> =
            Compiled::of_program(&program, &outputs).unwrap_or_else(|| panic!("f64"));
        let graph = &program.graph;
        let t = median(15, 2_000, || black_box(compiled.run(graph)).unwrap_or(()));
        let formula = text
            .lines()
            .find_map(|l| l.strip_prefix("loss = "))
            .unwrap_or_default();
        let peer = python.as_deref().and_then(|p| casadi(p, formula, &names));
        let (casadi, note) = match peer {
            Some(c) => (c, ""),
            None => (reference, " (reference)"),
        };
        println!(
            "{:<8} {:>11} {:>14} {:>7.2}{note}",
            family.name(),
            format_time(t),
            format_time(casadi),
            t / casadi
        );
    }
    println!("(ratio = nabla / CasADi; the target: <= 1.0)");
}

/// The loss and its whole gradient of the neuron over `n` rows, compiled.
fn compiled_neuron(n: usize) -> (Program, Compiled<f64>, Compiled<f64>) {
    let mut program = neuron(n);
    let loss = program
        .definition("loss")
        .map(|d| d.node)
        .unwrap_or(NodeId(0));
    let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
    let outputs = nabla::simplify::with_gradient(&mut program.graph, loss, &vars)
        .expect("the graph has room");
    let both = Compiled::of_program(&program, &outputs).unwrap_or_else(|| panic!("f64"));
    let alone = Compiled::of_program(&program, &[loss]).unwrap_or_else(|| panic!("f64"));
    (program, both, alone)
}

/// Criterion's own measurements of the W1 cases (its statistics, no ratios).
fn criterion_w1(c: &mut Criterion) {
    for n in [2usize, 1_000, 100_000, 1_000_000] {
        let mut group = c.benchmark_group(format!("tape/N={n}"));
        if n >= 100_000 {
            group.sample_size(20);
        }
        let (program, mut both, mut alone) = compiled_neuron(n);
        let graph = &program.graph;
        let (x, y) = make_data(n, 42);
        group.bench_function("nabla loss+gradient", |b| {
            b.iter(|| black_box(both.run(graph)).unwrap_or(()))
        });
        group.bench_function("nabla loss", |b| {
            b.iter(|| black_box(alone.run(graph)).unwrap_or(()))
        });
        group.bench_function("hand loss+gradient", |b| {
            b.iter(|| black_box(loss_grad(black_box(&x), black_box(&y), -2.0, -2.0)))
        });
        group.bench_function("hand loss", |b| {
            b.iter(|| black_box(loss_only(black_box(&x), black_box(&y), -2.0, -2.0)))
        });
        group.finish();
    }
}

fn main() {
    // No HTML plots: criterion would draw them with the plotters that nabla builds
    // without system fonts, and fail. `cargo bench --bench tape -- --table` skips
    // criterion and prints only the side-by-side tables.
    if !std::env::args().any(|a| a == "--table") {
        let mut criterion = Criterion::default().without_plots();
        criterion_w1(&mut criterion);
        criterion.final_summary();
    }
    w1();
    w2();
}
