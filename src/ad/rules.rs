//! The derivative rules: one arm per operator, giving each operand's local partial
//! derivative as a graph node. The drivers ([`super::gradient`], [`super::tangent`])
//! chain them; reductions (`sum`, `mean`) are handled there.

use crate::graph::{BinOp, Func, Graph, NodeId, Op};

/// The local partial derivatives `∂node/∂operand` of an elementwise node, one per
/// operand that has a non-zero one. Kinks follow SPEC 1.3: `abs'(0) = relu'(0) = 0`,
/// `sign' = step' = 0`, and `max`/`min` split evenly at a tie.
pub(crate) fn local_partials(g: &mut Graph, id: NodeId) -> Partials {
    match g.op(id) {
        Op::Unary(func, x) => [unary_partial(g, func, x, id).map(|p| (x, p)), None],
        Op::Binary(op, a, b) => binary_partials(g, op, a, b, id),
        _ => [None, None],
    }
}

/// Up to two `(operand, partial)` pairs: operators have at most two operands.
pub(crate) type Partials = [Option<(NodeId, NodeId)>; 2];

fn both(a: (NodeId, NodeId), b: (NodeId, NodeId)) -> Partials {
    [Some(a), Some(b)]
}

#[cfg(feature = "fault-injection")]
thread_local! {
    /// A deliberately broken rule, for tests of the checks only (see [`super::inject_fault`]).
    static FAULT: std::cell::Cell<Option<(Func, f64)>> = const { std::cell::Cell::new(None) };
}

#[cfg(feature = "fault-injection")]
pub(crate) fn set_fault(fault: Option<(Func, f64)>) {
    FAULT.with(|cell| cell.set(fault));
}

#[cfg(not(feature = "fault-injection"))]
fn unary_partial(g: &mut Graph, func: Func, x: NodeId, f: NodeId) -> Option<NodeId> {
    correct_unary_partial(g, func, x, f)
}

#[cfg(feature = "fault-injection")]
fn unary_partial(g: &mut Graph, func: Func, x: NodeId, f: NodeId) -> Option<NodeId> {
    let partial = correct_unary_partial(g, func, x, f)?;
    match FAULT.with(std::cell::Cell::get) {
        Some((broken, scale)) if broken == func => {
            let factor = g.constant(crate::syntax::Number::from_f64(scale));
            Some(g.binary(BinOp::Mul, factor, partial))
        }
        _ => Some(partial),
    }
}

fn correct_unary_partial(g: &mut Graph, func: Func, x: NodeId, f: NodeId) -> Option<NodeId> {
    use BinOp::*;
    let one = g.int(1);
    Some(match func {
        Func::Neg => g.int(-1),
        Func::Exp => f,
        Func::Ln => g.binary(Div, one, x),
        Func::Log2 | Func::Log10 => {
            let base = g.int(if func == Func::Log2 { 2 } else { 10 });
            let ln_base = g.unary(Func::Ln, base);
            let denominator = g.binary(Mul, x, ln_base);
            g.binary(Div, one, denominator)
        }
        Func::Sqrt => {
            let two = g.int(2);
            let twice = g.binary(Mul, two, f);
            g.binary(Div, one, twice)
        }
        Func::Abs => g.unary(Func::Sign, x),
        Func::Sin => g.unary(Func::Cos, x),
        Func::Cos => {
            let sin = g.unary(Func::Sin, x);
            g.unary(Func::Neg, sin)
        }
        Func::Tan => {
            let square = squared(g, f);
            g.binary(Add, one, square)
        }
        Func::Asin | Func::Acos => {
            let square = squared(g, x);
            let rest = g.binary(Sub, one, square);
            let root = g.unary(Func::Sqrt, rest);
            let inverse = g.binary(Div, one, root);
            if func == Func::Acos {
                g.unary(Func::Neg, inverse)
            } else {
                inverse
            }
        }
        Func::Atan => {
            let square = squared(g, x);
            let denominator = g.binary(Add, one, square);
            g.binary(Div, one, denominator)
        }
        Func::Sinh => g.unary(Func::Cosh, x),
        Func::Cosh => g.unary(Func::Sinh, x),
        Func::Tanh => {
            let square = squared(g, f);
            g.binary(Sub, one, square)
        }
        Func::Sigmoid => {
            let rest = g.binary(Sub, one, f);
            g.binary(Mul, f, rest)
        }
        Func::Softplus => g.unary(Func::Sigmoid, x),
        Func::Relu => g.unary(Func::Step, x),
        Func::Sign | Func::Step | Func::Sum | Func::Mean => return None,
    })
}

fn binary_partials(g: &mut Graph, op: BinOp, a: NodeId, b: NodeId, f: NodeId) -> Partials {
    use BinOp::*;
    let one = g.int(1);
    match op {
        Add => both((a, one), (b, one)),
        Sub => both((a, one), (b, g.int(-1))),
        Mul => both((a, b), (b, a)),
        // ∂(a/b)/∂b as -(a/b)/b rather than -a/b²: a derivative of a quotient then
        // divides by b once more, so the n-th derivative has denominators of degree
        // O(n), not b^(2^n) (which overflows long before the value does).
        Div => {
            let inverse = g.binary(Div, one, b);
            let quotient = g.binary(Div, f, b);
            both((a, inverse), (b, g.unary(Func::Neg, quotient)))
        }
        Pow => power_partials(g, a, b, f),
        Max | Min => {
            let difference = g.binary(Sub, a, b);
            let sign = g.unary(Func::Sign, difference);
            let two = g.int(2);
            let up = g.binary(Add, one, sign);
            let down = g.binary(Sub, one, sign);
            let (to_a, to_b) = if op == Max { (up, down) } else { (down, up) };
            both((a, g.binary(Div, to_a, two)), (b, g.binary(Div, to_b, two)))
        }
    }
}

/// `x^c` for a constant c gives `c*x^(c-1)`; a non-constant exponent adds `x^y*ln(x)`
/// for y. (`y*x^(y-1)` rather than SPEC's `x^y*y/x`: equal for x ≠ 0, and defined at 0.)
fn power_partials(g: &mut Graph, x: NodeId, y: NodeId, f: NodeId) -> Partials {
    let one = g.int(1);
    let exponent = g.binary(BinOp::Sub, y, one);
    let lowered = g.binary(BinOp::Pow, x, exponent);
    let by_x = g.binary(BinOp::Mul, y, lowered);
    if crate::eval::is_constant(g, y) {
        return [Some((x, by_x)), None];
    }
    let ln = g.unary(Func::Ln, x);
    both((x, by_x), (y, g.binary(BinOp::Mul, f, ln)))
}

fn squared(g: &mut Graph, x: NodeId) -> NodeId {
    let two = g.int(2);
    g.binary(BinOp::Pow, x, two)
}
