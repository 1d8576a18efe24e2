//! Gradient descent against independent reference implementations.
//!
//! Each method of SPEC 5 runs on Rosenbrock's function through nabla (parsed, derived
//! symbolically, compiled) and through a plain Rust loop below with the gradient and
//! Hessian written by hand; every epoch's params must agree. Also: the seed's numbers,
//! least squares against its closed form, `rate = auto` against a known eigenvalue,
//! mini-batches, the stopping rules, divergence, and the errors of bad options.

// The reference loops index θ and g by i, as the update rules are written on paper.
#![allow(clippy::needless_range_loop)]

use nabla::descent::{Cause, History, Report, Settings, Stop, Task, minimize};
use nabla::error::ErrorKind;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::path::Path;

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("test.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn task(program: &Program) -> (Task, Settings) {
    let m = &program.minimizes[0];
    let task = Task::of(m);
    (task, m.settings.clone())
}

/// Runs the first `minimize` of `text`; the report and every epoch's params.
fn descend(text: &str) -> (Report, History) {
    let mut program = load(text);
    let (task, settings) = task(&program);
    let mut history = History::new(Vec::new());
    let report = minimize(&mut program, &task, &settings, &mut history)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    (report, history)
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1e-300)
}

/// Asserts that nabla's path equals the reference's, epoch by epoch.
fn same_path(method: &str, history: &History, reference: &[[f64; 2]], tolerance: f64) {
    assert_eq!(history.params.len(), reference.len(), "{method}: epochs");
    for (k, (ours, theirs)) in history.params.iter().zip(reference).enumerate() {
        for i in 0..2 {
            assert!(
                close(ours[i], theirs[i], tolerance),
                "{method}, epoch {k}, param {i}: nabla {} vs reference {}",
                ours[i],
                theirs[i]
            );
        }
    }
}

// ---- Rosenbrock by hand ----

fn rosenbrock(t: [f64; 2]) -> f64 {
    let [x, y] = t;
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

fn rosenbrock_gradient(t: [f64; 2]) -> [f64; 2] {
    let [x, y] = t;
    [
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x),
    ]
}

fn rosenbrock_hessian(t: [f64; 2]) -> [[f64; 2]; 2] {
    let [x, y] = t;
    [
        [2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x],
        [-400.0 * x, 200.0],
    ]
}

const ROSENBROCK: &str = "param x = -1.2, y = 1\nloss = (1 - x)^2 + 100*(y - x^2)^2\n";
const START: [f64; 2] = [-1.2, 1.0];

/// Runs `step` from the start for `epochs` epochs; the path, start included.
fn reference(epochs: usize, mut step: impl FnMut(&mut [f64; 2], usize)) -> Vec<[f64; 2]> {
    let mut theta = START;
    let mut path = vec![theta];
    for t in 1..=epochs {
        step(&mut theta, t);
        path.push(theta);
    }
    path
}

#[test]
fn gd_follows_the_reference() {
    let (_, history) = descend(&format!(
        "{ROSENBROCK}minimize loss by gd(rate = 0.001, epochs = 200)"
    ));
    let path = reference(200, |theta, _| {
        let g = rosenbrock_gradient(*theta);
        for i in 0..2 {
            theta[i] -= 0.001 * g[i];
        }
    });
    same_path("gd", &history, &path, 1e-10);
}

#[test]
fn momentum_follows_the_reference() {
    let text =
        format!("{ROSENBROCK}minimize loss by momentum(rate = 0.0005, beta = 0.8, epochs = 200)");
    let (_, history) = descend(&text);
    let mut v = [0.0; 2];
    let path = reference(200, |theta, _| {
        let g = rosenbrock_gradient(*theta);
        for i in 0..2 {
            v[i] = 0.8 * v[i] + g[i];
            theta[i] -= 0.0005 * v[i];
        }
    });
    same_path("momentum", &history, &path, 1e-9);
}

#[test]
fn nesterov_follows_the_reference() {
    let text =
        format!("{ROSENBROCK}minimize loss by nesterov(rate = 0.0005, beta = 0.8, epochs = 200)");
    let (_, history) = descend(&text);
    let mut v = [0.0; 2];
    let path = reference(200, |theta, _| {
        let g = rosenbrock_gradient(*theta);
        for i in 0..2 {
            v[i] = 0.8 * v[i] + g[i];
            theta[i] -= 0.0005 * (g[i] + 0.8 * v[i]);
        }
    });
    same_path("nesterov", &history, &path, 1e-9);
}

#[test]
fn adam_follows_the_reference() {
    let text = format!(
        "{ROSENBROCK}minimize loss by adam(rate = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, epochs = 300)"
    );
    let (_, history) = descend(&text);
    let (mut m, mut s) = ([0.0; 2], [0.0; 2]);
    let path = reference(300, |theta, t| {
        let g = rosenbrock_gradient(*theta);
        for i in 0..2 {
            m[i] = 0.8 * m[i] + 0.2 * g[i];
            s[i] = 0.99 * s[i] + 0.01 * g[i] * g[i];
            let m_hat = m[i] / (1.0 - 0.8f64.powi(t as i32));
            let s_hat = s[i] / (1.0 - 0.99f64.powi(t as i32));
            theta[i] -= 0.01 * m_hat / (s_hat.sqrt() + 1e-6);
        }
    });
    same_path("adam", &history, &path, 1e-9);
}

#[test]
fn armijo_follows_the_reference() {
    let text = format!(
        "{ROSENBROCK}minimize loss by armijo(rate = 1, c = 0.001, shrink = 0.6, epochs = 100)"
    );
    let (report, history) = descend(&text);
    let mut rates = Vec::new();
    let path = reference(100, |theta, _| {
        let g = rosenbrock_gradient(*theta);
        let squared = g[0] * g[0] + g[1] * g[1];
        let loss = rosenbrock(*theta);
        // The first try is shortened to the step cap, 10·max(1, |θ|).
        let cap = 10.0 * theta[0].hypot(theta[1]).max(1.0);
        let mut eta = f64::min(1.0, cap / squared.sqrt());
        let mut shrinks = 0;
        loop {
            let trial = [theta[0] - eta * g[0], theta[1] - eta * g[1]];
            if rosenbrock(trial) <= loss - 0.001 * eta * squared || shrinks == 60 {
                *theta = trial;
                break;
            }
            eta *= 0.6;
            shrinks += 1;
        }
        rates.push(eta);
    });
    same_path("armijo", &history, &path, 1e-9);
    for (k, rate) in rates.iter().enumerate() {
        let ours = history.rates[k + 1].unwrap_or(f64::NAN);
        assert!(
            close(ours, *rate, 1e-12),
            "armijo epoch {}: rate {ours} vs {rate}",
            k + 1
        );
    }
    assert!(report.loss < rosenbrock(START));
}

/// The reference Newton step: λ = 0 where H is positive definite, else from the
/// damping tenfold until it is; a 2x2 Cholesky.
fn newton_step(theta: &mut [f64; 2], damping: f64, rate: f64) {
    let g = rosenbrock_gradient(*theta);
    let h = rosenbrock_hessian(*theta);
    let mut lambda = 0.0;
    loop {
        let (a, b, d) = (h[0][0] + lambda, h[0][1], h[1][1] + lambda);
        let det = a * d - b * b;
        if a > 0.0 && det > 0.0 {
            let p = [(d * g[0] - b * g[1]) / det, (a * g[1] - b * g[0]) / det];
            theta[0] -= rate * p[0];
            theta[1] -= rate * p[1];
            return;
        }
        lambda = if lambda == 0.0 {
            damping
        } else {
            lambda * 10.0
        };
    }
}

#[test]
fn newton_follows_the_reference() {
    let text =
        format!("{ROSENBROCK}minimize loss by newton(rate = 0.5, damping = 0.01, epochs = 40)");
    let (_, history) = descend(&text);
    let path = reference(40, |theta, _| newton_step(theta, 0.01, 0.5));
    same_path("newton", &history, &path, 1e-9);
}

#[test]
fn newton_damps_an_indefinite_hessian() {
    // At (0, 1) the Hessian of Rosenbrock is [[-398, 0], [0, 200]]: not positive
    // definite, so the step must be damped to stay a descent direction.
    let text = "param x = 0, y = 1\nloss = (1 - x)^2 + 100*(y - x^2)^2\nminimize loss by newton(damping = 1, epochs = 3)";
    let (report, history) = descend(text);
    let mut theta = [0.0, 1.0];
    for k in 1..=3 {
        newton_step(&mut theta, 1.0, 1.0);
        for i in 0..2 {
            assert!(close(history.params[k][i], theta[i], 1e-9), "epoch {k}");
        }
    }
    assert!(report.loss < 100.0 + 1.0);
}

#[test]
fn the_seed_example_reaches_the_published_numbers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sigmoid.nabla");
    let mut sources = Sources::new();
    let mut program = Program::load(&mut sources, &path, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let (task, settings) = task(&program);
    let report =
        minimize(&mut program, &task, &settings, &mut ()).unwrap_or_else(|e| panic!("{e}"));
    let value = |name: &str| report.params.iter().find(|(n, _)| n == name).map(|p| p.1);
    assert_eq!(report.epochs, 1000);
    assert_eq!(report.stopped, Stop::Epochs);
    assert!(
        (value("w").unwrap_or(0.0) - 1.79171983).abs() < 1e-8,
        "{report:?}"
    );
    assert!(
        (value("b").unwrap_or(0.0) - -2.28211807).abs() < 1e-8,
        "{report:?}"
    );
    assert!((report.loss - 2.43e-11).abs() < 0.01e-11, "{report:?}");

    // The same thousand steps of the seed's update with the hand-derived gradient.
    let (x, y) = ([0.5, 2.5], [0.2, 0.9]);
    let (mut w, mut b) = (-2.0f64, -2.0f64);
    for _ in 0..1000 {
        let (mut gw, mut gb) = (0.0, 0.0);
        for i in 0..2 {
            let f = 1.0 / (1.0 + (-(w * x[i] + b)).exp());
            gw += (f - y[i]) * f * (1.0 - f) * x[i];
            gb += (f - y[i]) * f * (1.0 - f);
        }
        w -= gw;
        b -= gb;
    }
    assert!(close(value("w").unwrap_or(0.0), w, 1e-9));
    assert!(close(value("b").unwrap_or(0.0), b, 1e-9));
}

/// The least-squares line through the example's CSV by the normal equations.
fn least_squares(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (sx, sy) = (x.iter().sum::<f64>(), y.iter().sum::<f64>());
    let sxx: f64 = x.iter().map(|v| v * v).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    (slope, (sy - slope * sx) / n)
}

#[test]
fn linear_regression_reaches_the_closed_form() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/linear_regression.nabla");
    let mut sources = Sources::new();
    let mut program = Program::load(&mut sources, &path, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let column = |name: &str| -> Vec<f64> {
        let d = program.data.iter().find(|d| d.name == name);
        d.map(|d| d.values.iter().map(|n| n.value).collect())
            .unwrap_or_default()
    };
    let (slope, intercept) = least_squares(&column("x"), &column("y"));
    assert_eq!(program.minimizes.len(), 2);
    for index in 0..2 {
        let m = program.minimizes[index].clone();
        let task = Task {
            name: m.name,
            objective: m.objective,
            wrt: m.wrt,
            span: None,
        };
        let report =
            minimize(&mut program, &task, &m.settings, &mut ()).unwrap_or_else(|e| panic!("{e}"));
        assert!(report.converged(), "{report:?}");
        let tolerance = if index == 0 { 1e-12 } else { 1e-6 };
        assert!(
            close(report.params[0].1, slope, tolerance),
            "{report:?} vs {slope}"
        );
        assert!(
            close(report.params[1].1, intercept, tolerance),
            "{report:?} vs {intercept}"
        );
    }
}

#[test]
fn auto_rate_is_one_over_the_largest_eigenvalue() {
    // H = [[6, 2], [2, 4]]: eigenvalues 5 ± √5.
    let text = "param x = 1, y = 1\nloss = 3*x^2 + 2*x*y + 2*y^2\nminimize loss by gd(rate = auto, epochs = 10)";
    let (report, _) = descend(text);
    let lambda = 5.0 + 5f64.sqrt();
    assert!(close(report.rate, 1.0 / lambda, 1e-6), "{report:?}");
    assert!(close(report.auto_lambda.unwrap_or(0.0), lambda, 1e-6));
}

#[test]
fn auto_rate_finds_the_largest_eigenvalue_when_another_dominates_in_magnitude() {
    // H = diag(2, -10): power iteration alone would find -10.
    let text =
        "param x = 1, y = 1\nloss = x^2 - 5*y^2\nminimize loss by gd(rate = auto, epochs = 1)";
    let (report, _) = descend(text);
    assert!(
        close(report.auto_lambda.unwrap_or(0.0), 2.0, 1e-6),
        "{report:?}"
    );
}

#[test]
fn mini_batches_follow_the_reference() {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let y = [2.1, 3.9, 6.2, 7.8, 10.1, 12.2, 13.8];
    let text = format!(
        "data x = {x:?}\ndata y = {y:?}\nparam a = 0, b = 0\nloss = mean((a*x + b - y)^2)\n\
         minimize loss by gd(rate = 0.01, epochs = 30, batch = 3)"
    );
    let (_, history) = descend(&text);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut order: Vec<usize> = (0..7).collect();
    let mut theta = [0.0f64; 2];
    let mut path = vec![theta];
    for _ in 0..30 {
        order.shuffle(&mut rng);
        for batch in order.chunks(3) {
            let n = batch.len() as f64;
            let (mut ga, mut gb) = (0.0, 0.0);
            for &i in batch {
                let r = theta[0] * x[i] + theta[1] - y[i];
                ga += 2.0 * r * x[i] / n;
                gb += 2.0 * r / n;
            }
            theta[0] -= 0.01 * ga;
            theta[1] -= 0.01 * gb;
        }
        path.push(theta);
    }
    for (k, (ours, theirs)) in history.params.iter().zip(&path).enumerate() {
        for i in 0..2 {
            assert!(
                close(ours[i], theirs[i], 1e-10),
                "epoch {k}: {ours:?} vs {theirs:?}"
            );
        }
    }
    assert_eq!(history.params.len(), 31);
}

#[test]
fn tol_stops_the_run_and_counts_as_converged() {
    let (report, _) =
        descend("param x = 3\nloss = (x - 1)^2\nminimize loss by gd(rate = 0.25, tol = 1e-9)");
    assert_eq!(report.stopped, Stop::Tol);
    assert!(report.converged());
    assert!(report.grad_norm < 1e-9);
    assert!(report.epochs < 100, "{report:?}");
}

#[test]
fn a_growing_loss_is_divergence_with_a_rate_hint() {
    let (report, _) = descend(&format!("{ROSENBROCK}minimize loss by gd(rate = 0.01)"));
    assert_eq!(report.stopped, Stop::Diverged);
    let divergence = report.divergence.unwrap_or_else(|| panic!("no divergence"));
    assert!(
        matches!(divergence.cause, Cause::Grew { .. }),
        "{divergence:?}"
    );
    assert!(divergence.epoch <= 10);
    // λmax of the Hessian at (-1.2, 1): [[1330, 480], [480, 200]].
    let (a, b, d) = (1330.0f64, 480.0f64, 200.0f64);
    let lambda = (a + d) / 2.0 + (((a - d) / 2.0).powi(2) + b * b).sqrt();
    assert!(close(divergence.lambda_max.unwrap_or(0.0), lambda, 1e-6));
}

#[test]
fn a_domain_error_on_the_way_is_divergence_naming_the_row() {
    let text =
        "data x = [1, 2, 3]\nparam a = 4\nloss = sum(ln(a - x))\nminimize loss by gd(rate = 1)";
    let (report, _) = descend(text);
    let divergence = report.divergence.unwrap_or_else(|| panic!("no divergence"));
    let Cause::Domain(error) = divergence.cause else {
        panic!("{divergence:?}")
    };
    assert_eq!(error.row, Some(3));
    assert_eq!(error.op, "ln");
    assert_eq!(error.params, vec![("a".to_string(), 4.0 - 11.0 / 6.0)]);
    assert!(
        report.loss.is_nan(),
        "nothing is computed at the failing params"
    );
}

#[test]
fn a_domain_error_at_the_start_is_an_error() {
    let mut program = load("data x = [1, -2]\nparam a = 1\nloss = sum(ln(a*x))\nminimize loss");
    let (task, settings) = task(&program);
    let error = minimize(&mut program, &task, &settings, &mut ()).err();
    assert!(matches!(error.map(|e| e.kind), Some(ErrorKind::Domain(_))));
}

#[test]
fn bad_methods_and_options_are_errors_with_spans() {
    let cases = [
        ("minimize loss by gdd()", "unknown method `gdd`"),
        (
            "minimize loss by gd(beta = 0.9)",
            "`gd` has no option `beta`",
        ),
        (
            "minimize loss by adam(rat = 0.1)",
            "`adam` has no option `rat`",
        ),
        (
            "minimize loss by gd(rate = -1)",
            "`rate` must be a positive number or `auto`",
        ),
        (
            "minimize loss by gd(epochs = 2.5)",
            "`epochs` must be a whole number",
        ),
        (
            "minimize loss by momentum(beta = 1)",
            "`beta` must be in [0, 1)",
        ),
        (
            "minimize loss by gd(rate = fast)",
            "`rate` must be a positive number or `auto`",
        ),
    ];
    for (statement, message) in cases {
        let text = format!("param x = 1\nloss = x^2\n{statement}");
        let mut sources = Sources::new();
        let id = sources.add("test.nabla", text.as_str());
        let errors =
            Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
                .err()
                .unwrap_or_else(|| panic!("{statement} was accepted"));
        let first = &errors.0[0];
        assert!(
            first.to_string().starts_with(message),
            "{statement}: {first}"
        );
        assert!(first.span.is_some(), "{statement}: no span");
    }
}

#[test]
fn newton_refuses_more_params_than_its_hessian_can_hold() {
    let n = nabla::descent::MAX_NEWTON_PARAMS + 1;
    let params: Vec<String> = (0..n).map(|i| format!("p{i} = 0")).collect();
    let terms: Vec<String> = (0..n).map(|i| format!("p{i}^2")).collect();
    let text = format!(
        "param {}\nloss = {}\nminimize loss by newton()",
        params.join(", "),
        terms.join(" + ")
    );
    let mut program = load(&text);
    let (task, settings) = task(&program);
    let error = minimize(&mut program, &task, &settings, &mut ()).err();
    let kind = error.map(|e| e.kind);
    assert!(
        matches!(kind, Some(ErrorKind::TooManyForNewton { .. })),
        "{kind:?}"
    );
}
