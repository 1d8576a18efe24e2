//! The cost of gradient descent (issue 6's figures), measured side by side in one run:
//!
//! - one epoch of `gd` on the seed's sigmoid neuron (N = 2 rows): loss + gradient on
//!   the compiled tape plus the update, against the same epoch written by hand in Rust
//!   (targets: under 200 ns per epoch, issue 4; under 1 µs, issue 6);
//! - `nabla run examples/sigmoid.nabla` as a whole process, start to exit, against
//!   `true` (target: well under 50 ms).
//!
//! `cargo bench --bench descent`. Criterion reports its own statistics; `main` then
//! prints medians and ratios. The epoch cost is the difference between runs of 11,000
//! and 1,000 epochs divided by 10,000, so the one-off work (derivative, compilation)
//! cancels out.

use criterion::Criterion;
use nabla::descent::{Settings, Task, minimize};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

const REPETITIONS: usize = 31;
const PROCESS_REPETITIONS: usize = 51;

fn sigmoid_program() -> Program {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sigmoid.nabla");
    let mut sources = Sources::new();
    Program::load(&mut sources, &path, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("examples/sigmoid.nabla: {e}"))
}

/// Loads the seed example and runs `epochs` epochs of its gd; the final loss.
fn descent(epochs: usize) -> f64 {
    let mut program = sigmoid_program();
    let m = program.minimizes[0].clone();
    let task = Task {
        name: m.name,
        objective: m.objective,
        wrt: m.wrt,
        span: None,
    };
    let settings = Settings {
        epochs,
        ..m.settings
    };
    let report = minimize(&mut program, &task, &settings, &mut ());
    report.map(|r| r.loss).unwrap_or(f64::NAN)
}

/// The same descent by hand: the gradient derived on paper, f64::exp.
fn hand_descent(epochs: usize) -> f64 {
    let (x, y) = (black_box([0.5, 2.5]), black_box([0.2, 0.9]));
    let (mut w, mut b) = (-2.0f64, -2.0f64);
    let mut loss = 0.0;
    for _ in 0..epochs {
        let (mut gw, mut gb) = (0.0, 0.0);
        loss = 0.0;
        for i in 0..2 {
            let f = 1.0 / (1.0 + (-(w * x[i] + b)).exp());
            loss += 0.5 * (f - y[i]) * (f - y[i]);
            gw += (f - y[i]) * f * (1.0 - f) * x[i];
            gb += (f - y[i]) * f * (1.0 - f);
        }
        w -= gw;
        b -= gb;
    }
    loss
}

fn median(mut f: impl FnMut() -> f64) -> f64 {
    let mut times: Vec<f64> = (0..REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Seconds per epoch: (T(11,000 epochs) - T(1,000 epochs)) / 10,000.
fn per_epoch(run: fn(usize) -> f64) -> f64 {
    (median(|| run(11_000)) - median(|| run(1_000))) / 10_000.0
}

fn bench(c: &mut Criterion) {
    c.bench_function("descent/sigmoid gd 1000 epochs", |b| {
        b.iter(|| descent(black_box(1000)))
    });
    c.bench_function("descent/hand loop 1000 epochs", |b| {
        b.iter(|| hand_descent(black_box(1000)))
    });
}

fn process_median(program: &str, args: &[&str]) -> Option<f64> {
    let mut times: Vec<f64> = (0..PROCESS_REPETITIONS)
        .filter_map(|_| {
            let start = Instant::now();
            let status = std::process::Command::new(program)
                .args(args)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdout(std::process::Stdio::null())
                .status()
                .ok()?;
            status.success().then(|| start.elapsed().as_secs_f64())
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied()
}

fn summary() {
    let nabla = per_epoch(descent);
    let hand = per_epoch(hand_descent);
    println!(
        "\nOne gd epoch of the sigmoid neuron, N = 2 (median of {REPETITIONS}, 11k - 1k epochs)"
    );
    println!(
        "nabla {:.0} ns   hand-written loop {:.0} ns   ratio {:.1}   (targets: < 200 ns, issue 4; < 1000 ns, issue 6)",
        nabla * 1e9,
        hand * 1e9,
        nabla / hand
    );
    let binary = env!("CARGO_BIN_EXE_nabla");
    let run = process_median(binary, &["run", "examples/sigmoid.nabla"]);
    let baseline = process_median("true", &[]);
    println!(
        "\n`nabla run examples/sigmoid.nabla`, whole process (median of {PROCESS_REPETITIONS})"
    );
    match (run, baseline) {
        (Some(r), Some(t)) => println!(
            "nabla {:.2} ms   (`true`: {:.2} ms; target well under 50 ms)",
            r * 1e3,
            t * 1e3
        ),
        _ => println!("could not run {binary}"),
    }
}

fn main() {
    // No HTML plots: criterion would draw them with the plotters that nabla builds
    // without system fonts (its own plots embed a font), and fail.
    let mut criterion = Criterion::default().configure_from_args().without_plots();
    bench(&mut criterion);
    criterion.final_summary();
    summary();
}
