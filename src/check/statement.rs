//! `check d(F)/d(P) = E`: the AD derivative against the hand-derived E at the current
//! params and at seeded random points, with a symbolic proof where the simplifier finds
//! one and a diagnosis on a mismatch.

use super::diagnose::{Diagnosis, diagnose};
use super::{Options, RANDOM_POINTS, domain, not_decimal, points, relative};
use crate::error::{Error, ErrorKind};
use crate::graph::{BinOp, Graph, NodeId, Op, Shape};
use crate::program::{Check, Program};
use crate::syntax::Span;
use crate::tape::{Compiled, Scalar};
use rust_decimal::Decimal;

/// The outcome of one `check` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// F as written.
    pub of: String,
    /// P's name.
    pub wrt: String,
    /// Whether AD and E agreed at every point evaluated.
    pub ok: bool,
    /// Whether the simplifier reduced `AD - E` to 0.
    pub proved: bool,
    /// How many points were compared (the current params and the random points that
    /// were inside the domain).
    pub points: usize,
    /// How many of them agreed.
    pub agreed: usize,
    /// Random points skipped because either side was outside its domain there.
    pub skipped: usize,
    /// The largest relative difference `|AD - E| / max(|AD|, |E|)` over the points.
    pub max_rel_err: f64,
    /// The relative tolerance used (1e-8 in f64, 1e-20 in decimal).
    pub tolerance: f64,
    /// The first point where they disagreed.
    pub counterexample: Option<Counterexample>,
    /// What kind of mistake E is, on a mismatch.
    pub diagnosis: Option<Diagnosis>,
    /// The statement.
    pub span: Span,
}

/// A point where AD and E disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterexample {
    /// 0 for the current params, else the random point's number (1-based).
    pub index: usize,
    /// The params' values there.
    pub params: Vec<(String, f64)>,
    /// The data row (1-based) of the largest difference, when the derivative is a
    /// vector of rows.
    pub row: Option<usize>,
    /// AD's value.
    pub derivative: f64,
    /// E's value.
    pub expected: f64,
    /// `AD - E`, computed in the arithmetic of the check.
    pub difference: f64,
    /// Of a vector or matrix derivative: every component that differs there (`w[2]`,
    /// AD's value, E's value), in order; the values above are its worst component's.
    pub components: Vec<(String, f64, f64)>,
}

/// One compared point: AD, E and their difference (for a vector, at its worst row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Sample {
    pub point: usize,
    pub row: Option<usize>,
    pub derivative: f64,
    pub expected: f64,
    pub difference: f64,
    /// What the difference is measured against: max(|AD|, |E|), or of a vector or
    /// matrix the larger of their largest components (SPEC 10).
    pub scale: f64,
}

/// Runs the `index`-th check of `program`. `Err` when the check does not exist, when
/// either side is outside its domain at the current params, or (with `precise`) when
/// the program's numbers do not fit a decimal.
pub fn check_statement(
    program: &mut Program,
    index: usize,
    options: &Options,
) -> Result<CheckReport, Error> {
    let Some(check) = program.checks.get(index).cloned() else {
        let message = format!("the program has no check number {}", index + 1);
        return Err(Error::new(ErrorKind::Usage(message), None));
    };
    let proved = prove(&mut program.graph, check.derivative, check.expected);
    let center: Vec<f64> = program
        .params
        .iter()
        .flat_map(|p| p.values.iter().copied())
        .collect();
    let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
    let bounds: Vec<(f64, f64)> = program
        .params
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.bounds.unwrap_or(unbounded), p.values.len()))
        .collect();
    let points = points::around(&center, &bounds, RANDOM_POINTS, options.seed);
    let (samples, skipped, differing) = if options.precise {
        compare::<Decimal>(program, &check, &points, options)?
    } else {
        compare::<f64>(program, &check, &points, options)?
    };
    let agreed: Vec<bool> = samples
        .iter()
        .map(|s| options.agree(s.difference, s.scale, 0.0))
        .collect();
    let item = program.graph.item(check.derivative);
    let first_wrong = agreed.iter().position(|a| !a).map(|i| samples[i]);
    let counterexample = first_wrong.map(|s| Counterexample {
        index: s.point,
        params: named(program, &points[s.point]),
        row: s.row,
        derivative: s.derivative,
        expected: s.expected,
        difference: s.difference,
        components: differing
            .iter()
            .find(|(point, _)| *point == s.point)
            .map(|(_, parts)| {
                let name = &program.graph.var(check.wrt).name;
                let name = |k: usize| format!("{name}{}", item.suffix(k));
                parts.iter().map(|&(k, a, e)| (name(k), a, e)).collect()
            })
            .unwrap_or_default(),
    });
    let diagnosis =
        first_wrong.map(|s| diagnose(program, &check, &samples, &points[s.point], options));
    let max_rel_err = samples
        .iter()
        .map(|s| relative(s.difference, s.scale, 0.0))
        .fold(0.0, f64::max);
    Ok(CheckReport {
        of: check.of_text.clone(),
        wrt: program.graph.var(check.wrt).name.clone(),
        ok: first_wrong.is_none(),
        proved,
        points: samples.len(),
        agreed: agreed.iter().filter(|a| **a).count(),
        skipped,
        max_rel_err,
        tolerance: options.tolerance().0,
        counterexample,
        diagnosis,
        span: check.span,
    })
}

/// Whether the simplifier turns `AD - E` into the constant 0.
fn prove(graph: &mut Graph, derivative: NodeId, expected: NodeId) -> bool {
    let difference = graph.binary(BinOp::Sub, derivative, expected);
    let simplified = crate::simplify::simplify_from(graph, &[difference], NodeId(0))[0];
    matches!(graph.op(simplified), Op::Const(c) if c.value() == 0.0)
}

/// AD and E at each point, in `S`; points outside the domain are skipped and counted,
/// except the current params (point 0), where a domain error is the program's error.
/// Also, for each point where a vector or matrix derivative differs, the components
/// that differ (flat index, AD, E).
type Differing = Vec<(usize, Vec<ComponentPair>)>;

/// A component (flat index) with AD's and E's values.
type ComponentPair = (usize, f64, f64);

/// One compared number: its component, its data row (from 1, if per-row), AD, E.
type Compared = (usize, Option<usize>, f64, f64);

fn compare<S: Scalar>(
    program: &Program,
    check: &Check,
    points: &[Vec<f64>],
    options: &Options,
) -> Result<(Vec<Sample>, usize, Differing), Error> {
    let outputs = [check.derivative, check.expected];
    let mut compiled =
        Compiled::<S>::of_program(program, &outputs).ok_or_else(|| not_decimal(program))?;
    let mut samples = Vec::with_capacity(points.len());
    let mut differing = Vec::new();
    let mut skipped = 0;
    for (i, point) in points.iter().enumerate() {
        let mut rest = point.as_slice();
        let mut fits = true;
        for p in &program.params {
            let (mine, others) = rest.split_at(p.values.len().min(rest.len()));
            fits &= compiled.set_components(p.var, mine);
            rest = others;
        }
        if !fits && i == 0 {
            return Err(not_decimal(program));
        }
        let sample = match compiled.run(&program.graph) {
            Ok(()) if fits && !program.graph.item(check.derivative).is_scalar() => {
                components_sample(&compiled, i, options).map(|(s, parts)| {
                    if !parts.is_empty() {
                        differing.push((i, parts));
                    }
                    s
                })
            }
            Ok(()) if fits => sample(&compiled, i),
            Ok(()) => None,
            Err(e) if i == 0 => return Err(domain(program, &outputs, e, point)),
            Err(_) => None,
        };
        match sample {
            Some(s) => samples.push(s),
            None => skipped += 1,
        }
    }
    Ok((samples, skipped, differing))
}

/// A vector or matrix derivative compared component by component (SPEC 10): each
/// component against the larger of the two largest components, represented by its
/// worst component, with the list of components that differ. Per-row values count
/// every row of a component.
fn components_sample<S: Scalar>(
    compiled: &Compiled<S>,
    point: usize,
    options: &Options,
) -> Option<(Sample, Vec<ComponentPair>)> {
    let (a, b) = (compiled.value(0)?, compiled.value(1)?);
    let (a, b) = (a.components(), b.components());
    let rows = |v: &crate::eval::Value| match v {
        crate::eval::Value::Rows(r) => r.len(),
        _ => 1,
    };
    let pairs: Vec<Compared> = a
        .iter()
        .zip(&b)
        .enumerate()
        .flat_map(|(k, (x, y))| {
            let n = rows(x).max(rows(y));
            let per_row = n > 1 || matches!(x, crate::eval::Value::Rows(_));
            (0..n).map(move |r| (k, per_row.then_some(r + 1), x.at(r), y.at(r)))
        })
        .collect();
    if pairs
        .iter()
        .any(|&(_, _, x, y)| !(x.is_finite() && y.is_finite()))
    {
        return None;
    }
    let largest =
        |pick: fn(&Compared) -> f64| pairs.iter().map(|p| pick(p).abs()).fold(0.0, f64::max);
    let scale = largest(|p| p.2).max(largest(|p| p.3));
    let worst = pairs
        .iter()
        .max_by(|p, q| (p.2 - p.3).abs().total_cmp(&(q.2 - q.3).abs()))?;
    let mut differing: Vec<ComponentPair> = Vec::new();
    for &(k, _, x, y) in &pairs {
        if !options.agree(x - y, scale, 0.0) && differing.last().is_none_or(|d| d.0 != k) {
            differing.push((k, x, y));
        }
    }
    let sample = Sample {
        point,
        row: worst.1,
        derivative: worst.2,
        expected: worst.3,
        difference: worst.2 - worst.3,
        scale,
    };
    Some((sample, differing))
}

/// The values of a run: scalars subtracted in `S`; vectors compared row by row (in f64)
/// and represented by their worst row. `None` when a value is not finite.
fn sample<S: Scalar>(compiled: &Compiled<S>, point: usize) -> Option<Sample> {
    let finite = |s: &Sample| s.derivative.is_finite() && s.expected.is_finite();
    if let (Some(a), Some(b)) = (compiled.scalar(0), compiled.scalar(1)) {
        let difference = S::binary(BinOp::Sub, a, b)?.to_f64();
        let s = Sample {
            point,
            row: None,
            derivative: a.to_f64(),
            expected: b.to_f64(),
            difference,
            scale: a.to_f64().abs().max(b.to_f64().abs()),
        };
        return finite(&s).then_some(s);
    }
    let (a, b) = (compiled.value(0)?, compiled.value(1)?);
    let rows = match (&a, &b) {
        (crate::eval::Value::Rows(r), _) | (_, crate::eval::Value::Rows(r)) => r.len(),
        _ => 1,
    };
    let mut worst: Option<Sample> = None;
    for row in 0..rows {
        let (x, y) = (a.at(row), b.at(row));
        let s = Sample {
            point,
            row: Some(row + 1),
            derivative: x,
            expected: y,
            difference: x - y,
            scale: x.abs().max(y.abs()),
        };
        if !finite(&s) {
            return None;
        }
        let err = |s: &Sample| relative(s.difference, s.scale, 0.0);
        if worst.is_none_or(|w| err(&s) > err(&w)) {
            worst = Some(s);
        }
    }
    worst
}

fn named(program: &Program, point: &[f64]) -> Vec<(String, f64)> {
    let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
    program
        .component_names(&vars)
        .into_iter()
        .zip(point.iter().copied())
        .collect()
}

/// Whether a node is a vector of rows.
pub(super) fn is_rows(graph: &Graph, node: NodeId) -> bool {
    graph.shape(node) == Shape::Rows
}
