//! What the simplifier can prove about a value's sign without evaluating it: that it is
//! never zero (so `a/a` is 1), positive, or never negative. Each test looks a few
//! levels into the expression (bounded by [`DEPTH`]), so it is cheap and never deep.

use crate::graph::{BinOp, Func, Graph, NodeId, Op};
use rust_decimal::Decimal;

/// How many levels down the tests look.
const DEPTH: usize = 6;

/// Whether `id` is non-zero for every value of its variables where it is defined.
pub(super) fn never_zero(g: &Graph, id: NodeId) -> bool {
    nonzero_within(g, id, DEPTH)
}

fn nonzero_within(g: &Graph, id: NodeId, depth: usize) -> bool {
    if positive_within(g, id, depth) {
        return true;
    }
    if let Some(c) = exact(g, id) {
        return !c.is_zero();
    }
    let Some(down) = depth.checked_sub(1) else {
        return false;
    };
    match g.op(id) {
        Op::Unary(Func::Neg, a) => nonzero_within(g, a, down),
        Op::Binary(BinOp::Mul | BinOp::Div, a, b) => {
            nonzero_within(g, a, down) && nonzero_within(g, b, down)
        }
        Op::Binary(BinOp::Pow, a, _) => nonzero_within(g, a, down),
        _ => false,
    }
}

/// Whether `id` is > 0 wherever it is defined: a positive constant, `exp`, `cosh`,
/// `sigmoid`, `softplus`, a sum of a positive and a non-negative term, and products,
/// quotients and powers of positive values.
fn positive_within(g: &Graph, id: NodeId, depth: usize) -> bool {
    if let Some(c) = exact(g, id) {
        return c > Decimal::ZERO;
    }
    if matches!(g.op(id), Op::Pi | Op::Euler) {
        return true;
    }
    let Some(down) = depth.checked_sub(1) else {
        return false;
    };
    match g.op(id) {
        Op::Unary(Func::Exp | Func::Cosh | Func::Sigmoid | Func::Softplus, _) => true,
        Op::Binary(BinOp::Add, a, b) => {
            (positive_within(g, a, down) && non_negative_within(g, b, down))
                || (non_negative_within(g, a, down) && positive_within(g, b, down))
        }
        Op::Binary(BinOp::Mul | BinOp::Div, a, b) => {
            positive_within(g, a, down) && positive_within(g, b, down)
        }
        Op::Binary(BinOp::Pow, a, _) => positive_within(g, a, down),
        _ => false,
    }
}

/// Whether `id` is >= 0 wherever it is defined: positive values, `abs`, `sqrt`, `relu`,
/// `step`, even integer powers, and sums and products of non-negative values.
fn non_negative_within(g: &Graph, id: NodeId, depth: usize) -> bool {
    if positive_within(g, id, depth) || exact(g, id).is_some_and(|c| c.is_zero()) {
        return true;
    }
    let Some(down) = depth.checked_sub(1) else {
        return false;
    };
    match g.op(id) {
        Op::Unary(Func::Abs | Func::Sqrt | Func::Relu | Func::Step, _) => true,
        Op::Binary(BinOp::Pow, _, n) => exact(g, n).is_some_and(is_even_integer),
        Op::Binary(BinOp::Mul, a, b) if a == b => true,
        Op::Binary(BinOp::Add | BinOp::Mul, a, b) => {
            non_negative_within(g, a, down) && non_negative_within(g, b, down)
        }
        _ => false,
    }
}

fn is_even_integer(c: Decimal) -> bool {
    c.fract().is_zero() && (c / Decimal::TWO).fract().is_zero()
}

fn exact(g: &Graph, id: NodeId) -> Option<Decimal> {
    g.op(id).constant().and_then(crate::graph::Constant::exact)
}
