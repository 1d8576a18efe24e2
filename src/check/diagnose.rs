//! What kind of mistake a wrong hand derivative is (SPEC 4): a sign error or constant
//! factor (E/AD is the same at every point), rows where E is wrong (F and E are sums
//! over the rows and only some summands differ), or a missing term (`AD - E`,
//! simplified and printed).

use super::statement::{Sample, is_rows};
use super::{Options, relative};
use crate::graph::{BinOp, Func, Graph, NodeId, Op, print_expr};
use crate::program::{Check, Program};
use crate::tape::Compiled;
use std::fmt;

/// The kind of mistake a hand-derived derivative E makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Diagnosis {
    /// E is minus the derivative.
    SignError,
    /// E is a constant multiple of the derivative (a missing or extra factor).
    ConstantFactor {
        /// E / AD.
        ratio: f64,
        /// The ratio as a small fraction where it is one (`2`, `1/2`, `-3/2`).
        fraction: Option<(i64, i64)>,
    },
    /// E is right on some data rows and wrong on others.
    WrongRows {
        /// The wrong rows, from 1.
        rows: Vec<usize>,
        /// The number of rows.
        of: usize,
    },
    /// E and the derivative are products that differ in one factor (inside the same
    /// sum over the rows): the classic slip in one link of the chain rule.
    WrongFactor {
        /// The derivative's factor that E lacks (`None` if E has an extra one only).
        derivative: Option<String>,
        /// E's factor in its place (`None` if E just lacks one).
        expected: Option<String>,
    },
    /// E misses a term (or has an extra one): the derivative minus E, simplified.
    MissingTerm {
        /// `AD - E` printed.
        difference: String,
    },
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnosis::SignError => write!(f, "sign error: E is minus the derivative"),
            Diagnosis::ConstantFactor { ratio, fraction } => {
                let shown = fraction.map_or_else(|| crate::syntax::format_f64(*ratio), show);
                let factor = fraction.map_or_else(String::new, |(p, q)| {
                    let (p, q) = (p.abs(), q);
                    if p > q {
                        format!("an extra factor {}", show((p, q)))
                    } else {
                        format!("a missing factor {}", show((q, p)))
                    }
                });
                let factor = if factor.is_empty() {
                    "a constant factor".into()
                } else {
                    factor
                };
                if *ratio < 0.0 {
                    write!(
                        f,
                        "E is {shown} times the derivative: a sign error and {factor}"
                    )
                } else if ratio.abs() < 1.0 {
                    write!(f, "E is {shown} of the derivative: {factor}")
                } else {
                    write!(f, "E is {shown} times the derivative: {factor}")
                }
            }
            Diagnosis::WrongRows { rows, of } => {
                let first = rows.first().copied().unwrap_or(0);
                let list: Vec<String> = rows.iter().take(10).map(usize::to_string).collect();
                let more = if rows.len() > 10 { ", ..." } else { "" };
                write!(
                    f,
                    "E is wrong on some data rows and right on others: first wrong row {first} \
                     (wrong on {} of {of} rows: {}{more})",
                    rows.len(),
                    list.join(", ")
                )
            }
            Diagnosis::WrongFactor {
                derivative: Some(d),
                expected: Some(e),
            } => write!(
                f,
                "wrong factor: E has `{e}` where the derivative has `{d}`"
            ),
            Diagnosis::WrongFactor {
                derivative: Some(d),
                expected: None,
            } => write!(f, "missing factor: E lacks the derivative's factor `{d}`"),
            Diagnosis::WrongFactor { expected, .. } => write!(
                f,
                "extra factor: E has `{}`, which the derivative lacks",
                expected.as_deref().unwrap_or("?")
            ),
            Diagnosis::MissingTerm { difference } => {
                write!(f, "E misses a term: derivative - E = {difference}")
            }
        }
    }
}

fn show((p, q): (i64, i64)) -> String {
    if q == 1 {
        p.to_string()
    } else {
        format!("{p}/{q}")
    }
}

/// The diagnosis of a mismatch; `point` is the first point where they disagree.
pub(super) fn diagnose(
    program: &mut Program,
    check: &Check,
    samples: &[Sample],
    point: &[f64],
    options: &Options,
) -> Diagnosis {
    // Rows first: E right on some rows is the more specific finding (a piecewise
    // derivative such as abs' gives a constant ratio too, by coincidence).
    let shaped = !program.graph.item(check.derivative).is_scalar();
    if let Some(rows) = wrong_rows(program, check, point, options).filter(|_| !shaped) {
        return rows;
    }
    if let Some(ratio) = constant_ratio(samples) {
        if (ratio + 1.0).abs() <= 1e-6 {
            return Diagnosis::SignError;
        }
        return Diagnosis::ConstantFactor {
            ratio,
            fraction: fraction(ratio),
        };
    }
    let graph = &mut program.graph;
    if let Some(factor) = wrong_factor(graph, check.derivative, check.expected) {
        return factor;
    }
    let difference = graph.binary(BinOp::Sub, check.derivative, check.expected);
    let simplified = crate::simplify::simplify_from(graph, &[difference], NodeId(0))[0];
    Diagnosis::MissingTerm {
        difference: print_expr(graph, simplified),
    }
}

/// E/AD when it is the same (to 1e-6) at every point with AD ≠ 0, there are two such
/// points at least, E is 0 wherever AD is, and the ratio is not 1.
fn constant_ratio(samples: &[Sample]) -> Option<f64> {
    let mut ratios = Vec::new();
    for s in samples {
        if s.derivative == 0.0 {
            if s.expected != 0.0 {
                return None;
            }
        } else {
            ratios.push(s.expected / s.derivative);
        }
    }
    let first = *ratios.first()?;
    let same = ratios
        .iter()
        .all(|r| relative(r - first, *r, first) <= 1e-6);
    (ratios.len() >= 2 && same && (first - 1.0).abs() > 1e-6 && first != 0.0).then_some(first)
}

/// `p/q` with `q <= 12` and `|p| <= 1000` equal to `ratio` to 1e-9 relative.
fn fraction(ratio: f64) -> Option<(i64, i64)> {
    (1..=12).find_map(|q| {
        let p = (ratio * q as f64).round();
        let close = relative(ratio - p / q as f64, ratio, p / q as f64) <= 1e-9;
        (close && p.abs() <= 1000.0 && p != 0.0).then_some((p as i64, q))
    })
}

/// When F and E are both sums (or means) over the rows, the rows whose summands
/// disagree at `point`, if some but not all do.
fn wrong_rows(
    program: &mut Program,
    check: &Check,
    point: &[f64],
    options: &Options,
) -> Option<Diagnosis> {
    let graph = &mut program.graph;
    let of_rows = per_row(graph, check.of, 0)?;
    let expected_rows = per_row(graph, check.expected, 0)?;
    let derivative_rows = crate::ad::tangent(graph, of_rows, check.wrt).ok()?;
    if !is_rows(graph, derivative_rows) && !is_rows(graph, expected_rows) {
        return None;
    }
    let mut compiled = Compiled::<f64>::of_program(program, &[derivative_rows, expected_rows])?;
    for (p, &v) in program.params.iter().zip(point) {
        compiled.set(p.var, v);
    }
    compiled.run(&program.graph).ok()?;
    let n = program.rows.unwrap_or(1);
    let (a, b) = (compiled.value(0)?.to_rows(n), compiled.value(1)?.to_rows(n));
    let f64_options = Options {
        precise: false,
        ..*options
    };
    let rows: Vec<usize> = (0..n)
        .filter(|&i| !f64_options.agree(a[i] - b[i], a[i], b[i]))
        .map(|i| i + 1)
        .collect();
    (!rows.is_empty() && rows.len() < n).then_some(Diagnosis::WrongRows { rows, of: n })
}

/// The per-row summand of a scalar that is a linear combination of sums and means over
/// the rows (`sum(a)` gives `a`, `mean(a)` gives `a/N`, a scalar term s gives `s/N`);
/// `None` for anything else.
fn per_row(g: &mut Graph, node: NodeId, depth: usize) -> Option<NodeId> {
    if depth > 64 {
        return None;
    }
    let rows = |g: &mut Graph| {
        let one = g.int(1);
        g.unary(Func::Sum, one)
    };
    match g.op(node) {
        Op::Unary(Func::Sum, a) => Some(a),
        Op::Unary(Func::Mean, a) => {
            let n = rows(g);
            Some(g.binary(BinOp::Div, a, n))
        }
        Op::Unary(Func::Neg, a) => {
            let inner = per_row(g, a, depth + 1)?;
            Some(g.unary(Func::Neg, inner))
        }
        Op::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let (a, b) = (per_row(g, a, depth + 1)?, per_row(g, b, depth + 1)?);
            Some(g.binary(op, a, b))
        }
        Op::Binary(BinOp::Mul, a, b) if !has_reduction(g, a) => {
            let inner = per_row(g, b, depth + 1)?;
            Some(g.binary(BinOp::Mul, a, inner))
        }
        Op::Binary(op @ (BinOp::Mul | BinOp::Div), a, b) if !has_reduction(g, b) => {
            let inner = per_row(g, a, depth + 1)?;
            Some(g.binary(op, inner, b))
        }
        _ if !has_reduction(g, node) && !is_rows(g, node) => {
            let n = rows(g);
            Some(g.binary(BinOp::Div, node, n))
        }
        _ => None,
    }
}

fn has_reduction(g: &Graph, node: NodeId) -> bool {
    g.reachable(&[node])
        .into_iter()
        .any(|n| matches!(g.op(n), Op::Unary(f, _) if f.is_reduction()))
}

/// Where the simplified derivative and E are products (under the same reduction) that
/// differ in one factor on at least one side, those factors.
fn wrong_factor(g: &mut Graph, derivative: NodeId, expected: NodeId) -> Option<Diagnosis> {
    // Sums and means compare by their per-row summands (`mean(a)` is `a/N`).
    let (a, b) = match (per_row(g, derivative, 0), per_row(g, expected, 0)) {
        (Some(a), Some(b)) => (a, b),
        _ => (derivative, expected),
    };
    let roots = crate::simplify::simplify_from(g, &[a, b], NodeId(0));
    let (mut left, mut right) = (factors(g, roots[0]), factors(g, roots[1]));
    let common: Vec<Factor> = left.iter().copied().filter(|n| right.contains(n)).collect();
    let mut shared = 0;
    for n in common {
        if let (Some(i), Some(j)) = (
            left.iter().position(|m| *m == n),
            right.iter().position(|m| *m == n),
        ) {
            left.swap_remove(i);
            right.swap_remove(j);
            // Constants (and the row count of a mean) do not make two products alike.
            if !crate::eval::is_constant(g, n.0) {
                shared += 1;
            }
        }
    }
    // Products with a factor in common that differ in one factor on either side.
    if shared == 0 || left.len() > 1 || right.len() > 1 || left.len() + right.len() == 0 {
        return None;
    }
    let show = |(n, inverted): Factor| {
        let text = print_expr(g, n);
        if inverted {
            format!("1/({text})")
        } else {
            text
        }
    };
    Some(Diagnosis::WrongFactor {
        derivative: left.first().map(|&f| show(f)),
        expected: right.first().map(|&f| show(f)),
    })
}

/// A factor of a product: a node, and whether it divides (`a/b` has `(b, true)`).
type Factor = (NodeId, bool);

/// The factors of a product tree (`a*b/c` gives a, b and 1/c), without recursion.
fn factors(g: &Graph, node: NodeId) -> Vec<Factor> {
    let mut out = Vec::new();
    let mut stack = vec![(node, false)];
    while let Some((n, inverted)) = stack.pop() {
        match g.op(n) {
            Op::Binary(BinOp::Mul, x, y) => {
                stack.push((y, inverted));
                stack.push((x, inverted));
            }
            Op::Binary(BinOp::Div, x, y) => {
                stack.push((y, !inverted));
                stack.push((x, inverted));
            }
            _ => out.push((n, inverted)),
        }
    }
    out
}
