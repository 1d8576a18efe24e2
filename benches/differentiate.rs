//! The whole differentiation pipeline from text (parse + lower + simplify + reverse-mode
//! gradient + simplify, as `nabla grad` runs it), on the three families of the W2
//! comparison (`benches/families.rs`), against the peer figures measured on this machine.
//!
//! `cargo bench --bench differentiate`. Criterion reports its own statistics; after it,
//! `main` times each case again (median of [`REPETITIONS`]) and prints the comparison
//! table.

mod families;

use criterion::{BenchmarkId, Criterion};
use families::{Family, differentiate, source};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Repetitions of the summary's own timing.
const REPETITIONS: usize = 30;

/// One benchmarked case and the peers' figures for it (measured on this machine by
/// `/work/shared/bench/peers/w2_symbolic.py`).
struct Case {
    family: Family,
    n: usize,
    /// CasADi SX `gradient` + `Function` build, seconds (measured at n = 100 only).
    casadi_s: Option<f64>,
    /// CasADi's gradient nodes / function nodes (at n = 100).
    casadi_ratio: Option<f64>,
    /// SymPy `diff` by every param, seconds.
    sympy_s: f64,
    /// Whether `sympy_s` is only a lower bound (the run was stopped).
    sympy_lower_bound: bool,
}

const CASES: [Case; 4] = [
    Case {
        family: Family::Nested,
        n: 20,
        casadi_s: None,
        casadi_ratio: None,
        sympy_s: 60.0,
        sympy_lower_bound: true,
    },
    Case {
        family: Family::Nested,
        n: 100,
        casadi_s: Some(0.40e-3),
        casadi_ratio: Some(2.98),
        sympy_s: 60.0, // already over 60 s at n = 20
        sympy_lower_bound: true,
    },
    Case {
        family: Family::Sigmoid,
        n: 100,
        casadi_s: Some(1.0e-3),
        casadi_ratio: Some(1.34),
        sympy_s: 0.74,
        sympy_lower_bound: false,
    },
    Case {
        family: Family::Mlp,
        n: 100,
        casadi_s: Some(4.4e-3),
        casadi_ratio: Some(2.54),
        sympy_s: 33.7,
        sympy_lower_bound: false,
    },
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("text to simplified gradient");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for case in &CASES {
        let text = source(case.family, case.n);
        group.bench_with_input(
            BenchmarkId::new(case.family.name(), case.n),
            &text,
            |b, text| b.iter(|| differentiate(black_box(text))),
        );
    }
    group.finish();
}

fn median_seconds(text: &str) -> f64 {
    let mut times: Vec<f64> = (0..REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            black_box(differentiate(black_box(text)));
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPETITIONS / 2]
}

fn milliseconds(seconds: f64) -> String {
    format!("{:.3} ms", seconds * 1e3)
}

fn summary() {
    println!(
        "\nW2: text -> simplified gradient (median of {REPETITIONS}), peers measured on this machine"
    );
    println!(
        "{:<8} {:>4} {:>11} {:>10} {:>8} {:>9} {:>10} {:>12} {:>12}",
        "family",
        "n",
        "nabla",
        "CasADi",
        "speedup",
        "SymPy",
        "speedup",
        "nabla nodes",
        "CasADi nodes"
    );
    for case in &CASES {
        let text = source(case.family, case.n);
        let seconds = median_seconds(&text);
        let d = differentiate(&text);
        let ratio = d.gradient_nodes() as f64 / d.function_nodes() as f64;
        let (casadi, casadi_speedup) = match case.casadi_s {
            Some(s) => (milliseconds(s), format!("{:.1}x", s / seconds)),
            None => ("-".to_string(), "-".to_string()),
        };
        let bound = if case.sympy_lower_bound { ">" } else { "" };
        let sympy = format!("{bound}{} s", case.sympy_s);
        let sympy_speedup = format!("{bound}{:.0}x", case.sympy_s / seconds);
        let casadi_ratio = case
            .casadi_ratio
            .map_or("-".to_string(), |r| format!("{r:.2}"));
        println!(
            "{:<8} {:>4} {:>11} {:>10} {:>8} {:>9} {:>10} {:>12} {:>12}",
            case.family.name(),
            case.n,
            milliseconds(seconds),
            casadi,
            casadi_speedup,
            sympy,
            sympy_speedup,
            format!("{ratio:.2}"),
            casadi_ratio
        );
    }
    println!("(speedup = peer time / nabla time; nodes = gradient nodes / function nodes)");
}

/// `nabla diff "sin(x)^2*exp(x)" --wrt x` as a whole process, start to exit, against
/// `true` (the cost of starting any process here) and SymPy's 320 ms for the same.
fn process_summary() {
    let time = |program: &str, args: &[&str]| {
        let mut times: Vec<f64> = (0..PROCESS_REPETITIONS)
            .filter_map(|_| {
                let start = Instant::now();
                let status = std::process::Command::new(program)
                    .args(args)
                    .stdout(std::process::Stdio::null())
                    .status()
                    .ok()?;
                status.success().then(|| start.elapsed().as_secs_f64())
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times.get(times.len() / 2).copied()
    };
    let nabla = env!("CARGO_BIN_EXE_nabla");
    let diff = time(nabla, &["diff", "sin(x)^2*exp(x)", "--wrt", "x"]);
    let baseline = time("true", &[]);
    println!(
        "\nW3: `nabla diff \"sin(x)^2*exp(x)\" --wrt x`, whole process (median of {PROCESS_REPETITIONS})"
    );
    match (diff, baseline) {
        (Some(d), Some(b)) => println!(
            "nabla {}   (`true`: {}; target < 5 ms; SymPy 320 ms, {:.0}x)",
            milliseconds(d),
            milliseconds(b),
            0.320 / d
        ),
        _ => println!("could not run {nabla}"),
    }
}

/// How many times the whole-process timing runs.
const PROCESS_REPETITIONS: usize = 101;

fn main() {
    // No HTML plots: criterion would draw them with the plotters that nabla builds
    // without system fonts (its own plots embed a font), and fail.
    let mut criterion = Criterion::default().configure_from_args().without_plots();
    bench(&mut criterion);
    criterion.final_summary();
    summary();
    process_summary();
}
