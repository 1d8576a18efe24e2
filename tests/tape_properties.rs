//! The compiled tape against the tree evaluator (the oracle) on random programs: a
//! random row expression `f` of params `w, b` and data `x, y` over 1 to 40 rows, its
//! `sum` and gradient, and a row output with a reduction inside (`f * sum(f)`, two
//! passes). Up to 8 rows the tape runs one scheduled block, beyond that in chunks;
//! mini-batches select rows. 256 cases by default (`PROPTEST_CASES=20000` for more).
//!
//! The functions are those the tape computes with the same f64 operations as the
//! oracle (not `exp`, `ln`, `tanh`, ... whose tape kernels are within a few ulps of std), so
//! the values must be *equal*: a register read from the wrong place, a batch run out
//! of order or a missed row would show. The one allowed difference is the order of a
//! sum over more than 8 rows (the chunks add four lanes before compensating): there
//! the loss is compared within a bound from the sum of |f|, and the gradient through
//! its terms, the per-row derivatives of `f`, which are row outputs and must be equal
//! (the gradient's own sums may cancel terms of any size). A domain error on one side
//! must be one on the other.

use nabla::eval::{Bindings, Value, evaluate};
use nabla::graph::NodeId;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use nabla::tape::Compiled;
use proptest::prelude::*;
use std::path::Path;

fn number() -> impl Strategy<Value = String> {
    (-2000i32..=2000).prop_map(|m| format!("{}", f64::from(m) / 1000.0))
}

/// Row expressions over `w, b, x, y` with operations the tape and the oracle compute
/// alike.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        number(),
        prop::sample::select(vec!["w", "b", "x", "y", "x", "w"]).prop_map(String::from),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        let unary = prop::sample::select(vec!["sin", "cos", "sqrt", "abs", "relu", "atan"]);
        prop_oneof![
            4 => (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            1 => (inner.clone(), prop::sample::select(vec!["2", "3"]))
                .prop_map(|(a, k)| format!("({a})^{k}")),
            2 => (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            1 => (prop::sample::select(vec!["max", "min"]), inner.clone(), inner)
                .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
        ]
    })
}

struct Case {
    program: Program,
    /// `loss`, its gradient by `w` and `b`, `f`, `g`, and the per-row derivatives of
    /// `f` by `w` and `b` (the terms of the gradient).
    outputs: Vec<NodeId>,
}

fn case(expr: &str, rows: &[(String, String)], w: &str, b: &str) -> Option<Case> {
    let xs: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let ys: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let text = format!(
        "data x = [{}]\ndata y = [{}]\nparam w = {w}, b = {b}\nf = {expr}\nloss = sum(f)\ng = f * sum(f)\n",
        xs.join(", "),
        ys.join(", ")
    );
    let mut sources = Sources::new();
    let id = sources.add("case.nabla", text);
    let mut program =
        Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default()).ok()?;
    let node = |p: &Program, name: &str| p.definition(name).map(|d| d.node);
    let (loss, f, g) = (
        node(&program, "loss")?,
        node(&program, "f")?,
        node(&program, "g")?,
    );
    let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
    let mut outputs = nabla::simplify::with_gradient(&mut program.graph, loss, &vars)
        .expect("the graph has room");
    outputs.extend([f, g]);
    for &v in &vars {
        let term = nabla::ad::derivative(&mut program.graph, f, v)
            .expect("the graph has room")
            .expect("a scalar variable");
        outputs.push(term);
    }
    Some(Case { program, outputs })
}

/// The data restricted to `rows` (as a mini-batch selects them).
fn bindings(program: &Program, rows: &[usize]) -> Bindings {
    let mut restricted = Bindings::new(rows.len());
    for p in &program.params {
        restricted.set(p.var, Value::Scalar(p.value()));
    }
    for d in &program.data {
        let column: Vec<f64> = rows.iter().map(|&r| d.values[r].value).collect();
        restricted.set(d.var, Value::Rows(column));
    }
    restricted
}

/// Σ|term| over the rows (a scalar term counts once per row).
fn magnitude(value: &Value, rows: usize) -> f64 {
    match value {
        Value::Scalar(v) => v.abs() * rows as f64,
        Value::Rows(v) => v.iter().map(|t| t.abs()).sum(),
        Value::Shaped(_, parts) => parts.iter().map(|p| magnitude(p, rows)).sum(),
    }
}

/// Runs the tape on `rows` (all of them, or a mini-batch) and compares with the oracle.
fn compare(case: &Case, rows: &[usize], all: bool) -> Result<(), TestCaseError> {
    let program = &case.program;
    let bindings = bindings(program, rows);
    let oracle = evaluate(&program.graph, &bindings, &case.outputs);
    let mut tape: Compiled<f64> = Compiled::of_program(program, &case.outputs)
        .ok_or_else(|| TestCaseError::fail("fits f64"))?;
    if !all {
        tape.select_rows(rows);
    }
    let run = tape.run(&program.graph);
    let oracle = match (oracle, run) {
        (Ok(values), Ok(())) => values,
        (Err(_), Err(_)) => return Ok(()),
        (Ok(_), Err(e)) => return Err(TestCaseError::fail(format!("tape failed alone: {e}"))),
        (Err(e), Ok(())) => return Err(TestCaseError::fail(format!("oracle failed alone: {e}"))),
    };
    let n = rows.len();
    // Reordering a sum of terms t errs by at most 16 eps Σ|t| (four lanes of at most
    // 10 terms), and g's row i by f_i times that.
    let f_rows = &oracle[3];
    let bound = if n <= 8 {
        0.0
    } else {
        16.0 * f64::EPSILON * magnitude(f_rows, n)
    };
    for (k, expected) in oracle.iter().enumerate() {
        if n > 8 && (k == 1 || k == 2) {
            continue; // the gradient: compared through its terms, outputs 5 and 6
        }
        let got = tape
            .value(k)
            .ok_or_else(|| TestCaseError::fail(format!("no output {k}")))?;
        let tolerance = |i: usize| match k {
            0 => bound,
            4 => bound * f_rows.at(i).abs(),
            _ => 0.0,
        };
        let pairs: Vec<(f64, f64, f64)> = match (expected, &got) {
            (Value::Scalar(a), Value::Scalar(b)) => vec![(*a, *b, tolerance(0))],
            (Value::Rows(a), Value::Rows(b)) => {
                prop_assert_eq!(a.len(), b.len());
                a.iter()
                    .zip(b)
                    .enumerate()
                    .map(|(i, (x, y))| (*x, *y, tolerance(i)))
                    .collect()
            }
            (a, b) => return Err(TestCaseError::fail(format!("output {k}: {a} vs {b}"))),
        };
        for (a, b, tolerance) in pairs {
            prop_assert!(
                (a - b).abs() <= tolerance,
                "output {} over {} rows: oracle {:e}, tape {:e}",
                k,
                n,
                a,
                b
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn the_tape_computes_what_the_oracle_computes(
        expr in expression(),
        rows in prop::collection::vec((number(), number()), 1..40),
        w in number(),
        b in number(),
        batch in prop::collection::vec(any::<prop::sample::Index>(), 1..12),
    ) {
        let Some(case) = case(&expr, &rows, &w, &b) else {
            return Ok(());
        };
        let all: Vec<usize> = (0..rows.len()).collect();
        compare(&case, &all, true)?;
        let batch: Vec<usize> = batch.iter().map(|i| i.index(rows.len())).collect();
        compare(&case, &batch, false)?;
    }
}
