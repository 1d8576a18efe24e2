//! The exported sigmoid neuron against hand-written loops, on the same data, in one run:
//! the C of `nabla export --to c` (compiled with `cc -std=c99 -O2`, timing itself over
//! the data this bench writes) beside the hand-written Rust loop of `benches/tape.rs`
//! (`loss_grad`), and the NumPy of `--to python` beside a hand-written NumPy function
//! (`benches/peers/export_numpy.py`, in the venv of `benches/peers/numpy.sh`).
//!
//!   cargo bench --bench export            # N = 10^6 rows
//!   cargo bench --bench export -- 100000  # another N
//!
//! Targets: both ratios at or below 1.2.

use nabla::export::{Language, Objective, Options, export};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The points of benches/tape.rs: x uniform in [-3, 3], y a noisy sigmoid of it.
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

/// The hand-written loop of benches/tape.rs.
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

fn median_seconds(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

/// The sigmoid neuron of examples/sigmoid.nabla exported to `language`.
fn exported(language: Language) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("examples/sigmoid.nabla");
    let mut sources = Sources::new();
    let mut program = Program::load(&mut sources, &file, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let loss = program.definition("loss").expect("loss").node;
    let wrt = program.params.iter().map(|p| p.var).collect();
    let objective = Objective {
        name: "loss".into(),
        node: loss,
        wrt,
    };
    let options = Options {
        language,
        hessian: false,
        source: "examples/sigmoid.nabla".into(),
    };
    export(&mut program, &objective, &options).unwrap_or_else(|e| panic!("{e}"))
}

fn write_f64s(path: &Path, values: &[f64]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("target/ is writable");
}

const C_TIMER: &str = r#"#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "sigmoid.c"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    long n = atol(argv[1]), reps = atol(argv[2]);
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    FILE *fx = fopen(argv[3], "rb"), *fy = fopen(argv[4], "rb");
    if (!fx || !fy || fread(x, sizeof(double), n, fx) != (size_t)n
        || fread(y, sizeof(double), n, fy) != (size_t)n) return 1;
    const double *data[2] = {x, y};
    double params[2] = {-2.0, -2.0}, grad[2], loss = 0.0;
    double *times = malloc(sizeof(double) * reps);
    loss = loss_grad(params, data, n, grad);
    for (long r = 0; r < reps; r++) {
        double start = now();
        loss += loss_grad(params, data, n, grad);
        times[r] = now() - start;
    }
    qsort(times, reps, sizeof(double), compare);
    printf("%.9e %.17g %.17g %.17g\n", times[reps / 2], loss / (reps + 1), grad[0], grad[1]);
    return 0;
}
"#;

/// The exported C timing itself: median seconds per call, and its loss and gradient.
fn time_c(dir: &Path, n: usize, reps: usize) -> (f64, Vec<f64>) {
    std::fs::write(dir.join("sigmoid.c"), exported(Language::C)).expect("writable");
    std::fs::write(dir.join("timer.c"), C_TIMER).expect("writable");
    let exe = dir.join("timer");
    let status = Command::new("cc")
        .args(["-std=c99", "-O2", "-D_POSIX_C_SOURCE=199309L", "-o"])
        .arg(&exe)
        .arg(dir.join("timer.c"))
        .arg("-lm")
        .status()
        .expect("cc runs");
    assert!(status.success(), "cc failed");
    let output = Command::new(&exe)
        .args([n.to_string(), reps.to_string()])
        .args([dir.join("x.f64"), dir.join("y.f64")])
        .output()
        .expect("the timer runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = text
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 4, "timer printed {text}");
    (numbers[0], numbers[1..].to_vec())
}

/// The Python of the NumPy venv, if `benches/peers/numpy.sh` made it.
fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/peers/numpy-venv/bin/python");
    python.exists().then_some(python)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let reps = 31;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/export-bench");
    std::fs::create_dir_all(&dir).expect("target/ is writable");
    let (x, y) = make_data(n, 42);
    write_f64s(&dir.join("x.f64"), &x);
    write_f64s(&dir.join("y.f64"), &y);
    // Three rounds, C then Rust: the machine may be busy, so each side keeps its best
    // median.
    let (mut c_seconds, mut rust_seconds) = (f64::INFINITY, f64::INFINITY);
    let (mut c_values, mut hand) = (Vec::new(), (0.0, 0.0, 0.0));
    for _ in 0..3 {
        let (seconds, values) = time_c(&dir, n, reps);
        (c_seconds, c_values) = (c_seconds.min(seconds), values);
        let seconds = median_seconds(reps, || {
            hand = black_box(loss_grad(black_box(&x), black_box(&y), -2.0, -2.0));
        });
        rust_seconds = rust_seconds.min(seconds);
    }
    println!("sigmoid neuron, loss and gradient, N = {n}, best of 3 medians of {reps} calls");
    println!(
        "  exported C (cc -std=c99 -O2)    {:>10.3} ms",
        c_seconds * 1e3
    );
    println!(
        "  hand-written Rust loop          {:>10.3} ms",
        rust_seconds * 1e3
    );
    println!(
        "  ratio C / Rust                  {:>10.3}   (target <= 1.2)",
        c_seconds / rust_seconds
    );
    println!("  values: C {c_values:?}, Rust {hand:?}");
    let Some(python) = python() else {
        println!("no NumPy venv: run `bash benches/peers/numpy.sh` for the NumPy figures");
        return;
    };
    std::fs::write(dir.join("sigmoid.py"), exported(Language::Python)).expect("writable");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/export_numpy.py");
    let status = Command::new(python)
        .arg(script)
        .arg(dir.join("sigmoid.py"))
        .args([dir.join("x.f64"), dir.join("y.f64")])
        .arg(reps.to_string())
        .status()
        .expect("python runs");
    assert!(status.success(), "the NumPy bench failed");
}
