//! The gradient checks as a library (SPEC 4): hand derivations of real losses as data,
//! every correct one agreeing and every wrong one caught with its specific diagnosis;
//! Taylor-test rates on smooth losses in f64 and decimal; exact orders; kinks; and a
//! rule broken inside the engine on purpose, which the Taylor test must catch.

use nabla::check::{
    CheckReport, Diagnosis, Options, OrderVerdict, TaylorReport, Verdict, check_statement, taylor,
};
use nabla::graph::Func;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::path::Path;

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("test.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Every check of a program, in f64 or decimal.
fn check_all(text: &str, precise: bool) -> Vec<CheckReport> {
    let mut program = load(text);
    let options = Options { seed: 0, precise };
    (0..program.checks.len())
        .map(|i| check_statement(&mut program, i, &options).expect("in the domain"))
        .collect()
}

/// The Taylor test of `loss` by every param.
fn taylor_of(text: &str, precise: bool) -> TaylorReport {
    let mut program = load(text);
    let loss = program.definition("loss").expect("a loss").node;
    let wrt: Vec<_> = program.params.iter().map(|p| p.var).collect();
    taylor(
        &mut program,
        "loss",
        loss,
        &wrt,
        &Options { seed: 0, precise },
    )
    .expect("in the domain")
}

const LINEAR: &str = "data x = [0.5, 1.5, 2, 3.5]\ndata y = [1, 2.2, 2.9, 4.1]\nparam w = 0.5, b = -0.3\n\
                      r = w*x + b - y\nloss = mean(r^2)\n";
const LOGISTIC: &str = "data x = [-1.5, -0.2, 0.7, 2.1]\ndata y = [0, 1, 0, 1]\nparam w = 0.8, b = 0.1\n\
                        z = w*x + b\nloss = sum(-y*ln(sigmoid(z)) - (1 - y)*ln(1 - sigmoid(z)))\n";
const SOFTPLUS: &str = "data x = [-1.5, -0.2, 0.7, 2.1]\ndata y = [0, 1, 0, 1]\nparam w = 0.8, b = 0.1\n\
                        z = w*x + b\nloss = sum(softplus(z) - y*z)\n";
const TANH_NET: &str = "data x = [-1, -0.3, 0.4, 1.2, 2]\ndata y = [0.1, 0.5, 0.2, -0.4, 0.3]\n\
                        param a = 0.7, c = -0.2, v = 1.3, d = 0.05\n\
                        h = tanh(a*x + c)\nout = v*h + d\nloss = mean((out - y)^2)\n";
const ROSENBROCK: &str = "param a = -1.2, b = 1\nloss = (1 - a)^2 + 100*(b - a^2)^2\n";
const POISSON: &str = "data x = [0.2, 0.5, 1.5, 2.5]\ndata y = [1, 2, 3, 6]\nparam w = 0.6, b = 0.2\n\
                       z = w*x + b\nloss = sum(exp(z) - y*z)\n";
const SIGMOID: &str = "data x = [0.5, 2.5]\ndata y = [0.2, 0.9]\nparam w = -2, b = -2\n\
                       sigmoid(z) = 1 / (1 + exp(-z))\nf = sigmoid(w*x + b)\nloss = sum(0.5 * (f - y)^2)\n";
const RIDGE: &str = "data x = [0.5, 1.5, 2, 3.5]\ndata y = [1, 2.2, 2.9, 4.1]\nparam w = 0.5\n\
                     loss = sum((w*x - y)^2) + 0.1*w^2\n";
const LOGCOSH: &str = "data x = [0.5, 1.5, 2, 3.5]\ndata y = [1, 2.2, 2.9, 4.1]\nparam w = 0.5\n\
                       loss = sum(ln(cosh(w*x - y)))\n";
const SCALARS: &str = "param w = 0.7, u = -0.4\nloss = w^2 + w*u + 3*u^2\n";

/// Correct hand derivations: (base program, check statement).
const CORRECT: [(&str, &str); 24] = [
    (LINEAR, "check d(loss)/d(w) = mean(2*(w*x + b - y)*x)"),
    (LINEAR, "check d(loss)/d(b) = mean(2*r)"),
    (LINEAR, "check d(loss)/d(w) = 2*mean(r*x)"),
    (LOGISTIC, "check d(loss)/d(w) = sum((sigmoid(z) - y)*x)"),
    (LOGISTIC, "check d(loss)/d(b) = sum(sigmoid(z) - y)"),
    (SOFTPLUS, "check d(loss)/d(w) = sum((sigmoid(z) - y)*x)"),
    (SOFTPLUS, "check d(loss)/d(b) = sum(1/(1 + exp(-z)) - y)"),
    (SOFTPLUS, "check d(softplus(w))/d(w) = sigmoid(w)"),
    (TANH_NET, "check d(loss)/d(v) = mean(2*(out - y)*h)"),
    (TANH_NET, "check d(loss)/d(d) = mean(2*(out - y))"),
    (
        TANH_NET,
        "check d(loss)/d(a) = mean(2*(out - y)*v*(1 - h^2)*x)",
    ),
    (
        TANH_NET,
        "check d(loss)/d(c) = mean(2*(out - y)*v/cosh(a*x + c)^2)",
    ),
    (TANH_NET, "check d(tanh(a))/d(a) = 1 - tanh(a)^2"),
    (
        ROSENBROCK,
        "check d(loss)/d(a) = -2*(1 - a) - 400*a*(b - a^2)",
    ),
    (ROSENBROCK, "check d(loss)/d(b) = 200*(b - a^2)"),
    (POISSON, "check d(loss)/d(w) = sum((exp(z) - y)*x)"),
    (POISSON, "check d(loss)/d(b) = sum(exp(z)) - sum(y)"),
    (
        SIGMOID,
        "check d(loss)/d(w) = sum((f - y) * f * (1 - f) * x)",
    ),
    (SIGMOID, "check d(loss)/d(b) = sum((f - y) * f * (1 - f))"),
    (
        SIGMOID,
        "check d(sigmoid(w))/d(w) = sigmoid(w)*(1 - sigmoid(w))",
    ),
    (RIDGE, "check d(loss)/d(w) = sum(2*(w*x - y)*x) + 0.2*w"),
    (LOGCOSH, "check d(loss)/d(w) = sum(tanh(w*x - y)*x)"),
    (SCALARS, "check d(loss)/d(w) = 2*w + u"),
    (SCALARS, "check d(loss)/d(u) = w + 6*u"),
];

#[test]
fn correct_hand_derivations_agree_in_f64_and_in_decimal() {
    for (base, check) in CORRECT {
        let text = format!("{base}{check}\n");
        for precise in [false, true] {
            let report = &check_all(&text, precise)[0];
            assert!(report.ok, "{check} (precise {precise}): {report:#?}");
            assert_eq!(report.points + report.skipped, 21, "{check}");
            assert_eq!(report.agreed, report.points, "{check}");
            assert!(report.diagnosis.is_none() && report.counterexample.is_none());
            let limit = if precise { 1e-20 } else { 1e-8 };
            assert!(
                report.max_rel_err <= limit,
                "{check}: {}",
                report.max_rel_err
            );
        }
    }
}

/// The kinds of diagnosis, to compare without the details.
#[derive(Debug, PartialEq)]
enum Kind {
    Sign,
    Factor(i64, i64),
    Rows(usize),
    WrongFactor(&'static str),
    Term,
}

fn kind(d: &Diagnosis) -> Kind {
    match d {
        Diagnosis::SignError => Kind::Sign,
        Diagnosis::ConstantFactor { fraction, .. } => {
            let (p, q) = fraction.expect("a small fraction");
            Kind::Factor(p, q)
        }
        Diagnosis::WrongRows { rows, .. } => Kind::Rows(rows[0]),
        Diagnosis::WrongFactor { .. } => Kind::WrongFactor(""),
        Diagnosis::MissingTerm { .. } => Kind::Term,
    }
}

/// Wrong hand derivations: (base, check, the diagnosis, words its message must hold).
const WRONG: [(&str, &str, Kind, &str); 14] = [
    (
        LINEAR,
        "check d(loss)/d(w) = mean(r*x)",
        Kind::Factor(1, 2),
        "missing factor 2",
    ),
    (
        LINEAR,
        "check d(loss)/d(b) = mean(2*(y - w*x - b))",
        Kind::Sign,
        "sign error",
    ),
    (
        LOGISTIC,
        "check d(loss)/d(w) = sum((y - sigmoid(z))*x)",
        Kind::Sign,
        "sign error",
    ),
    (
        SIGMOID,
        "check d(loss)/d(w) = sum((f - y) * f * (1 + f) * x)",
        Kind::WrongFactor(""),
        "`1 + sigmoid(w*x + b)`",
    ),
    (
        ROSENBROCK,
        "check d(loss)/d(b) = 100*(b - a^2)",
        Kind::Factor(1, 2),
        "missing factor 2",
    ),
    (
        ROSENBROCK,
        "check d(loss)/d(a) = -400*a*(b - a^2)",
        Kind::Term,
        "derivative - E",
    ),
    (
        RIDGE,
        "check d(loss)/d(w) = sum(2*(w*x - y)*x)",
        Kind::Term,
        "derivative - E",
    ),
    (
        POISSON,
        "check d(loss)/d(w) = sum(exp(z) - y)",
        Kind::WrongFactor(""),
        "lacks the derivative's factor `x`",
    ),
    (
        POISSON,
        "check d(loss)/d(b) = sum(exp(z))",
        Kind::Term,
        "derivative - E",
    ),
    (
        TANH_NET,
        "check d(loss)/d(a) = mean(2*(out - y)*v*(1 - h)*x)",
        Kind::WrongFactor(""),
        "`1 - tanh(a*x + c)`",
    ),
    (
        SOFTPLUS,
        "check d(softplus(w))/d(w) = exp(w)",
        Kind::Term,
        "sigmoid(w) - exp(w)",
    ),
    (
        SCALARS,
        "check d(loss)/d(u) = 2*(w + 6*u)",
        Kind::Factor(2, 1),
        "extra factor 2",
    ),
    (
        "data x = [1, 2, -1]\ndata y = [0.5, 1, 1]\nparam w = 1\nloss = sum(abs(w*x - y))\n",
        "check d(loss)/d(w) = sum(x)",
        Kind::Rows(3),
        "first wrong row 3",
    ),
    (
        "data x = [1, 1, 3, 2]\ndata y = [1, -1, 1, -1]\nparam w = 0.5\nloss = sum(relu(1 - y*w*x))\n",
        "check d(loss)/d(w) = sum(-y*x)",
        Kind::Rows(3),
        "first wrong row 3",
    ),
];

#[test]
fn wrong_hand_derivations_are_caught_and_diagnosed() {
    for (base, check, expected, words) in WRONG {
        let text = format!("{base}{check}\n");
        for precise in [false, true] {
            let report = &check_all(&text, precise)[0];
            assert!(!report.ok, "{check} passed: {report:#?}");
            let x = report.counterexample.as_ref().expect("a counterexample");
            assert_eq!(x.index, 0, "{check}: the current params already disagree");
            let f64_difference = x.derivative - x.expected;
            assert!(
                (x.difference - f64_difference).abs() <= 1e-12 * x.derivative.abs().max(1.0),
                "{check}: {} vs {f64_difference}",
                x.difference
            );
            let d = report.diagnosis.as_ref().expect("a diagnosis");
            assert_eq!(kind(d), expected, "{check}: {d}");
            assert!(d.to_string().contains(words), "{check}: {d}");
        }
    }
}

#[test]
fn the_simplifier_proves_what_it_can() {
    let reports = check_all(
        &format!("{SIGMOID}{}\n{}\n", CORRECT[19].1, CORRECT[17].1),
        false,
    );
    assert!(reports[0].proved, "sigmoid' = f*(1 - f) is the rule itself");
    assert!(reports.iter().all(|r| r.ok));
    let wrong = check_all(&format!("{SCALARS}check d(loss)/d(w) = 2*w\n"), false);
    assert!(!wrong[0].proved && !wrong[0].ok);
}

#[test]
fn points_outside_the_domain_are_skipped_and_counted() {
    // sqrt(w) near w = 0.05: some random points (w + 0.1*z) are negative.
    let text = "param w = 0.05\nloss = sqrt(w)\ncheck d(loss)/d(w) = 0.5/sqrt(w)\n";
    let report = &check_all(text, false)[0];
    assert!(report.ok, "{report:#?}");
    assert!(
        report.skipped > 0 && report.points + report.skipped == 21,
        "{report:#?}"
    );
}

fn assert_smooth_pass(name: &str, report: &TaylorReport) {
    assert_eq!(report.verdict, Verdict::Pass, "{name}: {report:#?}");
    for (j, order) in report.orders.iter().enumerate() {
        if order.verdict == OrderVerdict::Reached {
            let observed = order.observed.expect("a rate");
            let target = (j + 1) as f64;
            assert!(
                (observed - target).abs() < 0.1,
                "{name}: r{j} rate {observed}"
            );
        }
    }
    assert_eq!(report.orders[1].verdict, OrderVerdict::Reached, "{name}");
}

#[test]
fn smooth_losses_pass_the_taylor_test_at_rates_1_2_3() {
    for (name, base) in [
        ("sigmoid", SIGMOID),
        ("logistic", LOGISTIC),
        ("softplus", SOFTPLUS),
        ("tanh net", TANH_NET),
        ("rosenbrock", ROSENBROCK),
        ("poisson", POISSON),
        ("logcosh", LOGCOSH),
    ] {
        let report = taylor_of(base, false);
        assert_smooth_pass(name, &report);
        assert_eq!(report.orders[2].verdict, OrderVerdict::Reached, "{name}");
        for p in &report.gradient {
            let central = p.central.expect("a central difference");
            let err = (central - p.derivative).abs() / p.derivative.abs().max(1e-3);
            assert!(
                err < 1e-6,
                "{name}: {} AD {} FD {central}",
                p.name,
                p.derivative
            );
        }
    }
}

#[test]
fn decimal_arithmetic_counts_many_more_steps_at_full_rate() {
    for base in [SIGMOID, TANH_NET, POISSON] {
        let f64_report = taylor_of(base, false);
        let decimal = taylor_of(base, true);
        assert_smooth_pass("decimal", &decimal);
        let counted = |r: &TaylorReport, j: usize| r.steps.iter().filter(|s| s.counted[j]).count();
        for j in [1, 2] {
            assert!(
                counted(&decimal, j) >= counted(&f64_report, j) + 8,
                "r{j}: decimal {} vs f64 {}",
                counted(&decimal, j),
                counted(&f64_report, j)
            );
        }
        // The central differences agree far better than f64 could.
        for p in &decimal.gradient {
            let err = (p.central.expect("finite") - p.derivative).abs() / p.derivative.abs();
            assert!(err < 1e-14, "{}: {err}", p.name);
        }
    }
}

#[test]
fn an_exact_order_sits_at_the_floor_and_passes() {
    let quadratic = "data x = [0.5, 1.5, 2]\ndata y = [1, 2, 3]\nparam w = 0.3, b = 0.1\n\
                     loss = sum((w*x + b - y)^2)\n";
    let report = taylor_of(quadratic, false);
    assert_eq!(report.verdict, Verdict::Pass, "{report:#?}");
    assert_eq!(report.orders[1].verdict, OrderVerdict::Reached);
    assert_eq!(report.orders[2].verdict, OrderVerdict::Exact, "{report:#?}");
    let linear = taylor_of(
        "data x = [1, 2]\nparam w = 0.3\nloss = sum(3*w*x) + 2\n",
        true,
    );
    assert_eq!(linear.orders[1].verdict, OrderVerdict::Exact, "{linear:#?}");
    assert_eq!(linear.orders[2].verdict, OrderVerdict::Exact);
    assert_eq!(linear.verdict, Verdict::Pass);
}

#[test]
fn a_kink_at_the_params_is_not_smooth_rather_than_a_failure() {
    for text in [
        "param w = 0\nloss = abs(w)\n",
        "data x = [1, 2]\nparam w = 0, b = 0.5\nloss = sum(relu(w*x)) + b^2\n",
        "param w = 1, u = 1\nloss = max(w, u)\n",
    ] {
        let report = taylor_of(text, false);
        assert_eq!(report.verdict, Verdict::NotSmooth, "{text}: {report:#?}");
        assert!(report.ok);
        assert!(
            report
                .orders
                .iter()
                .any(|o| o.verdict == OrderVerdict::Failed)
        );
    }
    // A kink away from the params leaves the small steps smooth.
    let near = taylor_of("param w = 0.3\nloss = abs(w - 0.32) + w^3\n", false);
    assert_eq!(near.verdict, Verdict::Pass, "{near:#?}");
    assert!(near.gradient.iter().all(|p| p.kink.is_none()));
}

/// A rule broken inside the engine (tanh's local derivative scaled by 1.05) makes the
/// Taylor test fail with r1 shrinking at rate about 1, and a correct hand derivation
/// now disagrees with the broken AD.
#[test]
fn a_broken_rule_fails_the_taylor_test_with_rate_about_1() {
    nabla::ad::inject_fault(Some((Func::Tanh, 1.05)));
    let report = taylor_of(TANH_NET, false);
    let check = check_all(&format!("{TANH_NET}{}\n", CORRECT[10].1), false);
    nabla::ad::inject_fault(None);
    assert_eq!(report.verdict, Verdict::Fail, "{report:#?}");
    assert!(!report.ok);
    assert_eq!(report.orders[1].verdict, OrderVerdict::Failed);
    let r1 = report.orders[1].observed.expect("a rate");
    assert!((r1 - 1.0).abs() < 0.15, "r1 rate {r1}");
    let r2 = report.orders[2].observed.expect("a rate");
    assert!((r2 - 1.0).abs() < 0.15, "r2 rate {r2}");
    assert!(
        !check[0].ok,
        "a correct hand derivation against a broken AD"
    );
    // And with the rule restored, the same test passes.
    assert_smooth_pass("restored", &taylor_of(TANH_NET, false));
}
