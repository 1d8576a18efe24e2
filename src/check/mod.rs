//! Gradient checks (SPEC 4): hand-derived derivatives verified against AD, and the
//! Taylor test of an objective's gradient and Hessian.
//!
//! - [`check_statement`] takes one `check d(F)/d(P) = E` of a [`Program`] and compares
//!   the AD derivative with E at the current params and at [`RANDOM_POINTS`] seeded
//!   points around them ([`CheckReport`]). It tries a symbolic proof first (the
//!   simplifier reducing `AD - E` to 0) and, on a mismatch, says what kind of mistake it
//!   is ([`Diagnosis`]): a sign error, a constant factor, rows where E is wrong, or the
//!   missing term `AD - E`.
//! - [`taylor`] runs the Taylor test of an objective along a seeded random direction:
//!   the remainders r0, r1, r2 over halving steps, their observed rates, the window
//!   above the rounding floor, kinks, and a central difference per param
//!   ([`TaylorReport`]).
//!
//! Both evaluate with the tape: [`Compiled<f64>`](crate::tape::Compiled), or
//! `Compiled<Decimal>` (28 digits) when [`Options::precise`] is set, where the rounding
//! floor drops from about 1e-14 to about 1e-26. **Nothing here prints and nothing
//! panics on input**: results are typed reports, errors are [`Error`]s with spans.
//!
//! ```
//! use nabla::check::{Options, check_statement};
//! use nabla::program::{LoadOptions, Program};
//! use nabla::syntax::Sources;
//! use std::path::Path;
//!
//! let text = "data x = [1, 2]\nparam w = 3\nloss = sum((w*x)^2)\n\
//!             check d(loss)/d(w) = sum(x^2*w)\n";
//! let mut sources = Sources::new();
//! let id = sources.add("doc.nabla", text);
//! let mut program = Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
//!     .expect("a valid program");
//! let report = check_statement(&mut program, 0, &Options::default()).expect("in the domain");
//! assert!(!report.ok);
//! assert_eq!(report.diagnosis.map(|d| d.to_string()),
//!            Some("E is 1/2 of the derivative: a missing factor 2".to_string()));
//! ```

mod diagnose;
mod points;
mod statement;
mod taylor;

pub use diagnose::Diagnosis;
pub use statement::{CheckReport, Counterexample, check_statement};
pub use taylor::{
    MAX_DIFFERENCES, Order, OrderVerdict, ParamDifference, Step, TaylorReport, Verdict, taylor,
};

use crate::error::{Error, ErrorKind};
use crate::eval::DomainError;
use crate::graph::NodeId;
use crate::program::Program;

/// How many seeded random points a check uses besides the current params.
pub const RANDOM_POINTS: usize = 20;

/// How to run the checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Seed of the random points and the Taylor direction.
    pub seed: u64,
    /// Evaluate in decimal arithmetic (28 digits) instead of f64.
    pub precise: bool,
}

impl Options {
    /// The agreement test of SPEC 4: `|a - b| <= rel * max(|a|, |b|) + abs`.
    fn agree(&self, difference: f64, a: f64, b: f64) -> bool {
        let (rel, abs) = self.tolerance();
        difference.abs() <= rel * a.abs().max(b.abs()) + abs
    }

    /// The relative and absolute tolerances: 1e-8 and 1e-13 in f64, 1e-20 and 1e-25
    /// in decimal.
    fn tolerance(&self) -> (f64, f64) {
        if self.precise {
            (1e-20, 1e-25)
        } else {
            (1e-8, 1e-13)
        }
    }
}

/// `|a - b| / max(|a|, |b|)`, 0 when both are 0.
fn relative(difference: f64, a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        difference.abs()
    } else {
        difference.abs() / scale
    }
}

/// A domain error while evaluating `nodes` at the program's own params, with their
/// values. The tape's error names the span; the plain evaluator, run once on this
/// error path, names the kind precisely (`sqrt` of a negative value), so it is used
/// where it finds the error too.
fn domain(program: &Program, nodes: &[NodeId], error: DomainError, values: &[f64]) -> Error {
    let precise = crate::eval::evaluate(&program.graph, &program.bindings(), nodes).err();
    let mut error = precise.unwrap_or(error);
    if error.params.is_empty() {
        error.params = program
            .params
            .iter()
            .zip(values)
            .map(|(p, v)| (p.name.clone(), *v))
            .collect();
    }
    let span = error.span;
    Error::new(ErrorKind::Domain(error), span)
}

/// The error for a program whose numbers do not fit a decimal.
fn not_decimal(program: &Program) -> Error {
    use rust_decimal::prelude::FromPrimitive;
    let misfit = |x: f64| rust_decimal::Decimal::from_f64(x).is_none();
    let shown = crate::syntax::format_f64;
    let misfit_param = program
        .params
        .iter()
        .find_map(|p| Some((p, p.values.iter().position(|&x| misfit(x))?)));
    let (what, span) = if let Some((p, k)) = misfit_param {
        (
            format!(
                "the param `{}` ({})",
                p.component_name(k),
                shown(p.values[k])
            ),
            Some(p.span),
        )
    } else if let Some((column, row, x)) = program.data.iter().find_map(|c| {
        let row = c.values.iter().position(|n| misfit(n.value))?;
        Some((c, row, c.values[row].value))
    }) {
        let what = format!(
            "row {} of the data `{}` ({})",
            row + 1,
            column.name,
            shown(x)
        );
        (what, Some(column.span))
    } else if let Some((x, span)) = misfit_constant(&program.graph, misfit) {
        (format!("the constant {}", shown(x)), span)
    } else {
        ("a value of the program".to_string(), None)
    };
    Error::new(ErrorKind::NotDecimal { what }, span)
}

/// The first constant or vector-literal value of the graph that `misfit`, and where.
fn misfit_constant(
    graph: &crate::graph::Graph,
    misfit: impl Fn(f64) -> bool,
) -> Option<(f64, Option<crate::syntax::Span>)> {
    (0..graph.len()).find_map(|i| {
        let node = graph.node(crate::graph::NodeId(i as u32));
        let value = match node.op {
            crate::graph::Op::Const(c) => Some(c.0.value).filter(|&x| misfit(x)),
            crate::graph::Op::Column(id) => graph
                .column(id)
                .iter()
                .map(|n| n.value)
                .find(|&x| misfit(x)),
            _ => None,
        };
        value.map(|x| (x, node.span))
    })
}
