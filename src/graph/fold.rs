//! The local folds of [`Graph::add`](super::Graph::add): exact constant arithmetic in
//! decimal and the identities that keep symbolic zeros and ones out of the graph.
//!
//! A fold happens only when it is exact: `0.1 + 0.2` becomes `0.3`, `1/3` stays a
//! division, `exp(1)` stays a call. The identities hold for every finite operand. One
//! fold is a change of route rather than of value: the written-out logistic function
//! `1/(1 + exp(-z))` becomes `sigmoid(z)`, the same function computed without overflow
//! (its f64 result may differ in the last bit).

use super::builder::Graph;
use super::node::*;
use crate::syntax::Number;
use rust_decimal::Decimal;

/// The result of folding an operator.
pub(super) enum Folded {
    /// The operator reduces to an existing node.
    Node(NodeId),
    /// The operator to add (maybe rewritten).
    Op(Op),
    /// The product of this constant and the node (a constant that may need adding).
    Scaled(Decimal, NodeId),
}

const MAX_MANTISSA: i128 = (1 << 96) - 1;
const MAX_SCALE: u32 = 28;
/// The most significant digits of an exact constant, as of a literal.
const MAX_DIGITS: u32 = 28;

pub(super) fn fold(graph: &Graph, op: Op) -> Folded {
    let mut op = op;
    // Each rewrite makes the operator simpler, so a few rounds reach a fixed point.
    for _ in 0..4 {
        match fold_once(graph, op) {
            Some(Folded::Op(next)) if next != op => op = next,
            Some(Folded::Node(id)) => return Folded::Node(id),
            Some(scaled @ Folded::Scaled(..)) => return scaled,
            _ => return Folded::Op(op),
        }
    }
    Folded::Op(op)
}

/// The exact value of a constant node, or of a filled one (every component equal).
fn exact_of(graph: &Graph, id: NodeId) -> Option<Decimal> {
    match graph.op(id) {
        Op::Fill(c, _) => c.exact(),
        op => op.constant().and_then(Constant::exact),
    }
}

fn is_value(graph: &Graph, id: NodeId, value: i64) -> bool {
    exact_of(graph, id) == Some(Decimal::from(value))
}

fn constant(d: Decimal) -> Op {
    Op::Const(Constant(Number::from_decimal(d)))
}

fn fold_once(graph: &Graph, op: Op) -> Option<Folded> {
    if let Some(z) = sigmoid_argument(graph, op) {
        return Some(Folded::Op(Op::Unary(Func::Sigmoid, z)));
    }
    match op {
        Op::Unary(func, a) => fold_unary(graph, func, a),
        Op::Binary(bin, a, b) => {
            if let (Some(x), Some(y)) = (exact_of(graph, a), exact_of(graph, b))
                && let Some(d) = exact_binary(bin, x, y)
            {
                return Some(Folded::Op(constant(d)));
            }
            fold_identity(graph, bin, a, b).or_else(|| match bin {
                BinOp::Mul => merge_constant_factors(graph, a, b),
                _ => None,
            })
        }
        _ => None,
    }
}

/// `z` when `op` is `1/(1 + exp(-z))` (or `1/(exp(-z) + 1)`): the logistic function
/// written out, as in the seed's sigmoid neuron. Recognising it gives the derivative
/// `f*(1 - f)` and an evaluation that does not overflow for large negative `z`.
fn sigmoid_argument(graph: &Graph, op: Op) -> Option<NodeId> {
    let Op::Binary(BinOp::Div, one, denominator) = op else {
        return None;
    };
    let Op::Binary(BinOp::Add, a, b) = graph.op(denominator) else {
        return None;
    };
    let exponential = if is_value(graph, a, 1) {
        b
    } else if is_value(graph, b, 1) {
        a
    } else {
        return None;
    };
    let Op::Unary(Func::Exp, argument) = graph.op(exponential) else {
        return None;
    };
    let Op::Unary(Func::Neg, z) = graph.op(argument) else {
        return None;
    };
    is_value(graph, one, 1).then_some(z)
}

fn fold_unary(graph: &Graph, func: Func, a: NodeId) -> Option<Folded> {
    // The mean over the rows of a value that does not vary over them is that value.
    if func == Func::Mean && graph.shape(a) == Shape::Scalar {
        return Some(Folded::Node(a));
    }
    if let Some(x) = exact_of(graph, a) {
        let folded = match func {
            Func::Neg => Some(-x),
            Func::Abs => Some(x.abs()),
            Func::Sign => Some(Decimal::from(x.mantissa().signum() as i64)),
            Func::Relu => Some(x.max(Decimal::ZERO)),
            Func::Step => Some(Decimal::from(i64::from(x > Decimal::ZERO))),
            _ => None,
        };
        return folded.map(|d| Folded::Op(constant(d)));
    }
    match (func, graph.op(a)) {
        (Func::Neg, Op::Unary(Func::Neg, inner)) => Some(Folded::Node(inner)),
        (Func::Ln, Op::Euler) => Some(Folded::Op(constant(Decimal::ONE))),
        _ => None,
    }
}

/// 0, 1 or -1 when the node is that exact constant.
fn unit_value(graph: &Graph, id: NodeId) -> Option<i64> {
    let d = exact_of(graph, id)?;
    [0, 1, -1].into_iter().find(|&v| d == Decimal::from(v))
}

fn fold_identity(graph: &Graph, bin: BinOp, a: NodeId, b: NodeId) -> Option<Folded> {
    let zero = || Folded::Op(constant(Decimal::ZERO));
    let neg = |x: NodeId| Folded::Op(Op::Unary(Func::Neg, x));
    // Look each operand up once: the identities only care about 0, 1 and -1.
    let (ka, kb) = (unit_value(graph, a), unit_value(graph, b));
    if ka.is_none() && kb.is_none() {
        return None;
    }
    let is = |id: NodeId, v: i64| {
        if id == a {
            ka == Some(v)
        } else {
            kb == Some(v)
        }
    };
    let folded = match bin {
        BinOp::Add if is(a, 0) => Folded::Node(b),
        BinOp::Add if is(b, 0) => Folded::Node(a),
        BinOp::Sub if is(b, 0) => Folded::Node(a),
        BinOp::Sub if is(a, 0) => neg(b),
        BinOp::Mul if is(a, 0) || is(b, 0) => zero(),
        BinOp::Mul if is(a, 1) => Folded::Node(b),
        BinOp::Mul if is(b, 1) => Folded::Node(a),
        BinOp::Mul if is(a, -1) => neg(b),
        BinOp::Mul if is(b, -1) => neg(a),
        BinOp::Div if is(b, 1) => Folded::Node(a),
        BinOp::Div if is(b, -1) => neg(a),
        // Only by a non-zero constant: `0/b` for a `b` that may be 0 is no identity.
        BinOp::Div if is(a, 0) && nonzero_constant(graph, b) => zero(),
        BinOp::Pow if is(b, 1) => Folded::Node(a),
        BinOp::Pow if is(b, 0) => Folded::Op(constant(Decimal::ONE)),
        _ => return None,
    };
    Some(folded)
}

/// `c1*(c2*x)` as `(c1*c2)*x` when the product is exact, so the constant factors that
/// the chain rule multiplies together (`0.5*(2*e)`) never pile up.
fn merge_constant_factors(graph: &Graph, a: NodeId, b: NodeId) -> Option<Folded> {
    let c1 = exact_of(graph, a)?;
    let Op::Binary(BinOp::Mul, inner, x) = graph.op(b) else {
        return None;
    };
    let product = exact_binary(BinOp::Mul, c1, exact_of(graph, inner)?)?;
    Some(Folded::Scaled(product, x))
}

fn nonzero_constant(graph: &Graph, id: NodeId) -> bool {
    graph.op(id).constant().is_some_and(|c| c.value() != 0.0)
}

/// `x op y` in decimal when the result is exact, else `None`. Exact means at most 28
/// significant digits, as for a literal (SPEC 1.1), so that the folded constant prints
/// as a literal that parses back to it.
pub fn exact_binary(op: BinOp, x: Decimal, y: Decimal) -> Option<Decimal> {
    exact_binary_any(op, x, y).filter(|d| significant_digits(*d) <= MAX_DIGITS)
}

fn significant_digits(d: Decimal) -> u32 {
    let mut mantissa = d.mantissa().unsigned_abs();
    while mantissa != 0 && mantissa.is_multiple_of(10) {
        mantissa /= 10;
    }
    mantissa.checked_ilog10().map_or(0, |n| n + 1)
}

fn exact_binary_any(op: BinOp, x: Decimal, y: Decimal) -> Option<Decimal> {
    match op {
        BinOp::Add => exact_add(x, y),
        BinOp::Sub => exact_add(x, -y),
        BinOp::Mul => exact_mul(x, y),
        BinOp::Div => exact_div(x, y),
        BinOp::Pow => exact_pow(x, y),
        BinOp::Max => Some(x.max(y)),
        BinOp::Min => Some(x.min(y)),
    }
}

fn from_parts(mantissa: i128, scale: u32) -> Option<Decimal> {
    if mantissa.abs() > MAX_MANTISSA || scale > MAX_SCALE {
        return None;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale)
        .ok()
        .map(|d| d.normalize())
}

fn exact_add(x: Decimal, y: Decimal) -> Option<Decimal> {
    let scale = x.scale().max(y.scale());
    let widen = |d: Decimal| {
        10_i128
            .checked_pow(scale - d.scale())
            .and_then(|f| d.mantissa().checked_mul(f))
    };
    from_parts(widen(x)?.checked_add(widen(y)?)?, scale)
}

fn exact_mul(x: Decimal, y: Decimal) -> Option<Decimal> {
    from_parts(
        x.mantissa().checked_mul(y.mantissa())?,
        x.scale() + y.scale(),
    )
}

fn exact_div(x: Decimal, y: Decimal) -> Option<Decimal> {
    if y.is_zero() {
        return None;
    }
    let quotient = x.checked_div(y)?;
    (exact_mul(quotient, y)? == x).then_some(quotient.normalize())
}

fn exact_pow(x: Decimal, y: Decimal) -> Option<Decimal> {
    if !y.fract().is_zero() || y.abs() > Decimal::from(64) {
        return None;
    }
    let n = y.mantissa() / 10_i128.pow(y.scale());
    let mut power = Decimal::ONE;
    for _ in 0..n.abs() {
        power = exact_mul(power, x)?;
    }
    if n < 0 {
        exact_div(Decimal::ONE, power)
    } else {
        Some(power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn folds_only_exact_results() {
        assert_eq!(exact_binary(BinOp::Add, d("0.1"), d("0.2")), Some(d("0.3")));
        assert_eq!(exact_binary(BinOp::Div, d("1"), d("4")), Some(d("0.25")));
        assert_eq!(exact_binary(BinOp::Div, d("1"), d("3")), None);
        assert_eq!(exact_binary(BinOp::Pow, d("2"), d("-2")), Some(d("0.25")));
        assert_eq!(exact_binary(BinOp::Pow, d("2"), d("0.5")), None);
        assert_eq!(exact_binary(BinOp::Mul, d("1e-15"), d("1e-15")), None);
        assert_eq!(exact_binary(BinOp::Div, d("1"), d("0")), None);
        // 29 significant digits fit a decimal but not a literal.
        let big = d("9999999999999999999999999999");
        assert_eq!(exact_binary(BinOp::Mul, big, d("7")), None);
        let ones = d("1000000000000000000000000001");
        let tens = d("10000000000000000000000000010");
        assert_eq!(exact_binary(BinOp::Mul, ones, d("10")), Some(tens));
    }
}
