//! `lbfgs` (SPEC 11) against an independent two-loop implementation below, written
//! from Nocedal and Wright (algorithms 7.4, 7.5) with hand-written gradients; the
//! Wolfe conditions on every step nabla takes; the sigmoid neuron's evaluation count;
//! `ftol`, the evaluation counts of every method, and the default method above 1,000
//! params.

// The reference indexes θ and g by i, as the formulas are written on paper.
#![allow(clippy::needless_range_loop)]

use nabla::descent::line_search::{Found, Wolfe, search};
use nabla::descent::{History, Method, Report, Settings, Stop, Task, minimize};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::path::Path;

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("test.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// Runs the first `minimize` of `text`; the report and every epoch.
fn descend(text: &str) -> (Report, History) {
    let mut program = load(text);
    let m = &program.minimizes[0];
    let task = Task::of(m);
    let settings = m.settings.clone();
    let mut history = History::new(Vec::new());
    let report = minimize(&mut program, &task, &settings, &mut history)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    (report, history)
}

fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

// ---- the problems, by hand ----

/// A 4×4 M with full rank; the quadratic is L = |Mθ − c|².
const M: [[f64; 4]; 4] = [
    [4.0, 1.0, 0.0, 0.5],
    [1.0, 3.0, 1.0, 0.0],
    [0.0, 1.0, 2.0, 1.0],
    [0.5, 0.0, 1.0, 1.0],
];
const C: [f64; 4] = [1.0, -2.0, 3.0, 0.5];
const QUADRATIC_START: [f64; 4] = [2.0, 2.0, -1.0, 3.0];

/// The quadratic as a program: `loss` and a `minimize` line with `method`.
fn quadratic_text(method: &str) -> String {
    let names = ["a", "b", "c", "d"];
    let mut residuals = Vec::new();
    for i in 0..4 {
        let terms: Vec<String> = (0..4)
            .map(|j| format!("{}*{}", M[i][j], names[j]))
            .collect();
        residuals.push(format!("({} - {})^2", terms.join(" + "), C[i]));
    }
    let start: Vec<String> = (0..4)
        .map(|j| format!("{} = {}", names[j], QUADRATIC_START[j]))
        .collect();
    format!(
        "param {}\nloss = {}\nminimize loss by {method}",
        start.join(", "),
        residuals.join(" + ")
    )
}

/// L and ∇L = 2Mᵀ(Mθ − c).
fn quadratic(theta: &[f64]) -> (f64, Vec<f64>) {
    let r: Vec<f64> = (0..4).map(|i| dot(&M[i], theta) - C[i]).collect();
    let gradient = (0..4)
        .map(|j| 2.0 * (0..4).map(|i| M[i][j] * r[i]).sum::<f64>())
        .collect();
    (dot(&r, &r), gradient)
}

fn rosenbrock(t: &[f64]) -> (f64, Vec<f64>) {
    let (x, y) = (t[0], t[1]);
    let loss = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
    let gradient = vec![
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x),
    ];
    (loss, gradient)
}

// ---- the reference ----

/// A loss with its gradient, by hand.
type Function = dyn Fn(&[f64]) -> (f64, Vec<f64>);

/// How the reference chooses the step along a direction d from θ.
#[derive(Clone, Copy)]
enum LineSearch {
    /// Moré-Thuente (nabla's `line_search::search`, tested against its paper on its
    /// own) from η/|g| on a steepest step, η otherwise, at most 10·max(1, |θ|) long.
    Wolfe,
    /// The exact minimizer along d of the quadratic: −g·d / (dᵀ(2MᵀM)d).
    Exact,
}

/// The last pairs (s, y) of the reference.
struct Reference {
    memory: usize,
    pairs: Vec<(Vec<f64>, Vec<f64>)>,
}

impl Reference {
    /// −H g by the two loops, H₀ = (s·y)/(y·y) of the newest pair.
    fn direction(&self, g: &[f64]) -> Vec<f64> {
        let mut q = g.to_vec();
        let mut alphas = vec![0.0; self.pairs.len()];
        for k in (0..self.pairs.len()).rev() {
            let (s, y) = &self.pairs[k];
            alphas[k] = dot(s, &q) / dot(s, y);
            for i in 0..q.len() {
                q[i] -= alphas[k] * y[i];
            }
        }
        if let Some((s, y)) = self.pairs.last() {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|x| *x *= gamma);
        }
        for k in 0..self.pairs.len() {
            let (s, y) = &self.pairs[k];
            let beta = dot(y, &q) / dot(s, y);
            for i in 0..q.len() {
                q[i] += (alphas[k] - beta) * s[i];
            }
        }
        q.iter().map(|x| -x).collect()
    }

    /// The step along d, or `None` where the search fails.
    fn step_along(
        f: &Function,
        theta: &[f64],
        d: &[f64],
        first: f64,
        line: LineSearch,
    ) -> Option<f64> {
        let (loss, g) = f(theta);
        let slope = dot(&g, d);
        if let LineSearch::Exact = line {
            let (_, g_d) = f(&theta.iter().zip(d).map(|(t, d)| t + d).collect::<Vec<_>>());
            // For a quadratic, ∇L(θ + d) − ∇L(θ) = H d.
            let curvature = dot(d, &g_d) - slope;
            return Some(-slope / curvature);
        }
        let step_max = 10.0 * norm(theta).max(1.0) / norm(d);
        let wolfe = Wolfe {
            step_max,
            ..Wolfe::default()
        };
        let phi = |a: f64| {
            let (value, g) = f(&theta
                .iter()
                .zip(d)
                .map(|(t, d)| t + a * d)
                .collect::<Vec<_>>());
            Some((value, dot(&g, d)))
        };
        let outcome = search(phi, loss, slope, first.min(step_max), &wolfe).ok()?;
        let good = matches!(outcome.found, Found::Wolfe | Found::Rounding | Found::AtMax);
        (good && outcome.value < loss).then_some(outcome.step)
    }

    /// One iteration: θ moves (or stays where steepest descent fails too).
    fn iterate(&mut self, f: &Function, theta: &mut Vec<f64>, line: LineSearch) {
        let (_, g) = f(theta);
        let mut taken = None;
        if !self.pairs.is_empty() {
            let d = self.direction(&g);
            taken = Self::step_along(f, theta, &d, 1.0, line).map(|a| (a, d));
        }
        if taken.is_none() {
            self.pairs.clear();
            let d: Vec<f64> = g.iter().map(|x| -x).collect();
            taken = Self::step_along(f, theta, &d, 1.0 / norm(&g), line).map(|a| (a, d));
        }
        let Some((a, d)) = taken else { return };
        let s: Vec<f64> = d.iter().map(|d| a * d).collect();
        let next: Vec<f64> = theta.iter().zip(&s).map(|(t, s)| t + s).collect();
        let y: Vec<f64> = f(&next).1.iter().zip(&g).map(|(a, b)| a - b).collect();
        *theta = next;
        if dot(&s, &y) > f64::EPSILON * norm(&s) * norm(&y) {
            if self.pairs.len() == self.memory {
                self.pairs.remove(0);
            }
            self.pairs.push((s, y));
        } else {
            self.pairs.clear();
        }
    }
}

/// The reference's path over `epochs` iterations, the start included.
fn reference_path(
    f: &Function,
    start: &[f64],
    memory: usize,
    epochs: usize,
    line: LineSearch,
) -> Vec<Vec<f64>> {
    let mut reference = Reference {
        memory,
        pairs: Vec::new(),
    };
    let mut theta = start.to_vec();
    let mut path = vec![theta.clone()];
    for _ in 0..epochs {
        reference.iterate(f, &mut theta, line);
        path.push(theta.clone());
    }
    path
}

fn assert_same_path(what: &str, ours: &[Vec<f64>], theirs: &[Vec<f64>], tolerance: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}: epochs");
    for (k, (a, b)) in ours.iter().zip(theirs).enumerate() {
        for i in 0..a.len() {
            let scale = a[i].abs().max(b[i].abs()).max(1e-300);
            assert!(
                (a[i] - b[i]).abs() <= tolerance * scale.max(1e-3),
                "{what}, epoch {k}, param {i}: nabla {} vs reference {}",
                a[i],
                b[i]
            );
        }
    }
}

#[test]
fn the_reference_with_exact_searches_solves_the_quadratic_in_n_steps() {
    // L-BFGS with memory >= n and exact line searches is BFGS, which on a quadratic
    // ends at the minimum after n steps (Nocedal and Wright, theorem 6.4): a check
    // of the reference's two loops before it judges nabla.
    let path = reference_path(&quadratic, &QUADRATIC_START, 4, 4, LineSearch::Exact);
    let (_, g0) = quadratic(&QUADRATIC_START);
    let norms: Vec<f64> = path.iter().map(|t| norm(&quadratic(t).1)).collect();
    assert!(norms[4] < 1e-10 * norm(&g0), "{norms:?}");
    assert!(norms[3] > 1e-6 * norm(&g0), "not earlier: {norms:?}");
}

#[test]
fn lbfgs_follows_the_reference_on_the_quadratic() {
    let (_, history) = descend(&quadratic_text("lbfgs(memory = 3, epochs = 12)"));
    let path = reference_path(&quadratic, &QUADRATIC_START, 3, 12, LineSearch::Wolfe);
    assert_same_path("quadratic", &history.params, &path, 1e-9);
}

#[test]
fn lbfgs_follows_the_reference_on_rosenbrock() {
    let text = "param x = -1.2, y = 1\nloss = (1 - x)^2 + 100*(y - x^2)^2\n\
                minimize loss by lbfgs(memory = 5, epochs = 20)";
    let (_, history) = descend(text);
    let path = reference_path(&rosenbrock, &[-1.2, 1.0], 5, 20, LineSearch::Wolfe);
    assert_same_path("rosenbrock", &history.params, &path, 1e-8);
}

#[test]
fn every_lbfgs_step_meets_the_strong_wolfe_conditions() {
    let (report, history) = descend(&quadratic_text("lbfgs(tol = 1e-10)"));
    assert_eq!(report.stopped, Stop::Tol, "{report:?}");
    for k in 1..history.params.len() {
        let (before, after) = (&history.params[k - 1], &history.params[k]);
        let s: Vec<f64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
        let (l0, g0) = quadratic(before);
        let (l1, g1) = quadratic(after);
        let (slope0, slope1) = (dot(&g0, &s), dot(&g1, &s));
        assert!(slope0 < 0.0, "epoch {k}: not a descent step");
        assert!(l1 <= l0 + 1e-4 * slope0 + 1e-12 * l0, "epoch {k}: decrease");
        assert!(
            slope1.abs() <= 0.9 * slope0.abs() + 1e-12,
            "epoch {k}: curvature"
        );
    }
}

#[test]
fn the_sigmoid_neuron_reaches_1e_minus_20_in_under_30_gradients() {
    let text = std::fs::read_to_string("examples/sigmoid.nabla").unwrap_or_default();
    let text = text.replace("by gd(rate = 1, epochs = 1000)", "by lbfgs(epochs = 100)");
    assert!(text.contains("by lbfgs"), "{text}");
    let (_, history) = descend(&text);
    let first = history.losses.iter().position(|l| *l < 1e-20);
    let k = first.unwrap_or_else(|| panic!("never below 1e-20: {:?}", history.losses));
    let gradients = history.evaluations[k].gradient;
    assert!(
        gradients < 30,
        "{gradients} gradient evaluations to epoch {k}"
    );
}

// ---- stopping and counting, for every method ----

#[test]
fn ftol_stops_after_three_calm_epochs_and_counts_as_converged() {
    // gd on x^4 slows down: the relative loss change per epoch shrinks like 16η x².
    let (report, history) = descend("param x = 1\nloss = x^4\nminimize loss by gd(ftol = 1e-2)");
    assert_eq!(report.stopped, Stop::Ftol, "{report:?}");
    assert!(report.converged());
    let change = |k: usize| {
        let (a, b) = (history.losses[k - 1], history.losses[k]);
        (a - b).abs() / a.abs().max(b.abs())
    };
    let n = history.losses.len() - 1;
    assert!((n - 2..=n).all(|k| change(k) < 1e-2), "the last three");
    assert!(change(n - 3) >= 1e-2, "not three epochs earlier");
}

#[test]
fn evaluations_are_counted_for_every_method() {
    let rosenbrock = "param x = -1.2, y = 1\nloss = (1 - x)^2 + 100*(y - x^2)^2\n";
    let (gd, _) = descend(&format!(
        "{rosenbrock}minimize loss by gd(rate = 1e-4, epochs = 7)"
    ));
    // The start and one loss-and-gradient pass per epoch.
    assert_eq!((gd.evaluations.loss, gd.evaluations.gradient), (8, 8));
    let (armijo, _) =
        descend("param x = 1\nloss = x^2\nminimize loss by armijo(rate = 4, epochs = 1)");
    // From x = 1, η = 4, 2, 1 land on −7, −3, −1, not below L(1) − c·η·4; η = 0.5
    // lands on 0: four loss-only trials after the start's pass, and one pass at 0.
    assert_eq!(
        (armijo.evaluations.loss, armijo.evaluations.gradient),
        (6, 2)
    );
    let (lbfgs, history) = descend(&format!("{rosenbrock}minimize loss by lbfgs(epochs = 5)"));
    assert_eq!(lbfgs.evaluations.loss, lbfgs.evaluations.gradient);
    let counts: Vec<usize> = history.evaluations.iter().map(|e| e.gradient).collect();
    assert_eq!(counts[0], 1);
    assert!(counts.windows(2).all(|w| w[1] > w[0]), "{counts:?}");
    assert_eq!(counts.last(), Some(&lbfgs.evaluations.gradient));
}

/// A program with `n` params and no method named: L = Σ (p_i − 1)².
fn many_params(n: usize) -> String {
    let params: Vec<String> = (0..n).map(|i| format!("p{i} = 0")).collect();
    let terms: Vec<String> = (0..n).map(|i| format!("(p{i} - 1)^2")).collect();
    format!(
        "param {}\nloss = {}\nminimize loss",
        params.join(", "),
        terms.join(" + ")
    )
}

#[test]
fn more_than_a_thousand_params_default_to_lbfgs() {
    let program = load(&many_params(1001));
    assert_eq!(program.minimizes[0].settings.method.name(), "lbfgs");
    let program = load(&many_params(1000));
    assert_eq!(program.minimizes[0].settings.method, Method::Gd);
    let program = load(&many_params(1001).replace("minimize loss", "minimize loss by gd()"));
    assert_eq!(program.minimizes[0].settings.method, Method::Gd);
    let (report, _) =
        descend(&many_params(1001).replace("minimize loss", "minimize loss by lbfgs(tol = 1e-9)"));
    assert_eq!(report.stopped, Stop::Tol);
    assert!(report.params.iter().all(|(_, v)| (v - 1.0).abs() < 1e-9));
    assert_eq!(Settings::default().method, Method::Gd);
}

#[test]
fn lbfgs_options_are_checked() {
    let cases = [
        ("lbfgs(memory = 0)", "`memory` must be a whole number"),
        ("lbfgs(memory = 2.5)", "`memory` must be a whole number"),
        ("lbfgs(beta = 0.9)", "`lbfgs` has no option `beta`"),
        ("lbfgs(ftol = -1)", "`ftol` must be a positive number"),
        ("gd(ftol = 0)", "`ftol` must be a positive number"),
    ];
    for (method, message) in cases {
        let text = format!("param x = 1\nloss = x^2\nminimize loss by {method}");
        let mut sources = Sources::new();
        let id = sources.add("test.nabla", text.as_str());
        let errors =
            Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
                .err()
                .unwrap_or_else(|| panic!("{method} was accepted"));
        let first = errors.0[0].to_string();
        assert!(first.starts_with(message), "{method}: {first}");
    }
}
