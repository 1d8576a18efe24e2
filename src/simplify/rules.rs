//! The rewrite rules, as data: each is a name and a function that looks at one node
//! (whose operands are already simplified) and returns the node it becomes.
//!
//! One place for each rewrite: [`Graph::add`](crate::graph::Graph::add) does the exact
//! constant folds (`0.1 + 0.2`, `c1*(c2*x) => (c1*c2)*x`) and the identities (`x*1`,
//! `x + 0`) as a node is built, so no rule here repeats them; every rule here fires on
//! an example in tests/simplify.rs.

use crate::graph::{BinOp, Constant, Func, Graph, ItemFunc, NodeId, Op};
use rust_decimal::Decimal;

/// One rewrite rule.
pub struct Rule {
    /// What it does, as `before => after`.
    pub name: &'static str,
    /// The rewrite: the node's replacement, or `None` where the rule does not apply.
    pub apply: fn(&mut Graph, NodeId) -> Option<NodeId>,
}

/// Every rule, tried in this order.
pub const RULES: &[Rule] = &[
    Rule {
        name: "x - x => 0",
        apply: subtract_self,
    },
    Rule {
        name: "a + -b => a - b, a - -b => a + b, -a + b => b - a, -(-2*b) => 2*b",
        apply: absorb_negation,
    },
    Rule {
        name: "-(a - b) => b - a, -(c/x) => (-c)/x",
        apply: negated_difference,
    },
    Rule {
        name: "(-a)*b => -(a*b), a/(-b) => -(a/b), (-a)^2 => a^2",
        apply: pull_negation,
    },
    Rule {
        name: "a*(1/b) => a/b",
        apply: multiply_by_reciprocal,
    },
    Rule {
        name: "x*x => x^2, x*x^c => x^(c+1), x^a*x^b => x^(a+b)",
        apply: merge_powers,
    },
    Rule {
        name: "(x^a)^b => x^(a*b) for integer a, b",
        apply: power_of_power,
    },
    Rule {
        name: "c1*x + c2*x => (c1+c2)*x",
        apply: like_terms,
    },
    Rule {
        name: "sum(c*x) => c*sum(x), sum(-x) => -sum(x)",
        apply: sum_linear,
    },
    Rule {
        name: "a/a => 1 where a is never 0 (exp(x), 1 + x^2, a nonzero constant)",
        apply: divide_by_self,
    },
    Rule {
        name: "sum(a/sum(1)) => mean(a), sum(a/sum(1)*b) => mean(a*b), also deeper in a product, through outer and dot, and in both terms of a sum",
        apply: sum_to_mean,
    },
    Rule {
        name: "outer(a, c*b) => c*outer(a, b), dot(c*a, b) => c*dot(a, b) for a constant c",
        apply: constant_out_of_product,
    },
    Rule {
        name: "dot(diag(ones(K)), a) => a, dot(a, diag(ones(K))) => a",
        apply: identity_product,
    },
];

/// Applies the first rule that changes the node.
pub(super) fn rewrite(graph: &mut Graph, id: NodeId) -> Option<NodeId> {
    RULES
        .iter()
        .find_map(|rule| (rule.apply)(graph, id).filter(|&n| n != id))
}

fn exact(graph: &Graph, id: NodeId) -> Option<Decimal> {
    graph.op(id).constant().and_then(Constant::exact)
}

fn is_int(graph: &Graph, id: NodeId, value: i64) -> bool {
    exact(graph, id) == Some(Decimal::from(value))
}

fn constant(graph: &mut Graph, value: Decimal) -> NodeId {
    graph.constant(crate::syntax::Number::from_decimal(value))
}

fn negated(graph: &Graph, id: NodeId) -> Option<NodeId> {
    match graph.op(id) {
        Op::Unary(Func::Neg, a) => Some(a),
        _ => None,
    }
}

fn subtract_self(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    match g.op(id) {
        Op::Binary(BinOp::Sub, a, b) if a == b => Some(g.int(0)),
        _ => None,
    }
}

fn absorb_negation(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    match g.op(id) {
        Op::Binary(BinOp::Add, a, b) => match (negated(g, a), negated(g, b)) {
            (_, Some(pb)) => Some(g.binary(BinOp::Sub, a, pb)),
            (Some(pa), None) => Some(g.binary(BinOp::Sub, b, pa)),
            _ => None,
        },
        Op::Binary(BinOp::Sub, a, b) => negated(g, b).map(|pb| g.binary(BinOp::Add, a, pb)),
        Op::Unary(Func::Neg, a) => match g.op(a) {
            Op::Unary(Func::Neg, _) => None,
            _ => positive_of(g, a),
        },
        _ => None,
    }
}

/// `x` for a term that reads as a negation of `x`: `-x`, `-2*x` (as `2*x`), `-1/x`
/// (as `1/x`), and a product or quotient whose left factor is one of those.
fn positive_of(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    positive_within(g, id, 1)
}

/// [`positive_of`], looking at most `depth` factors down the left spine.
fn positive_within(g: &mut Graph, id: NodeId, depth: usize) -> Option<NodeId> {
    if let Some(x) = negated(g, id) {
        return Some(x);
    }
    let Op::Binary(op @ (BinOp::Mul | BinOp::Div), left, right) = g.op(id) else {
        return None;
    };
    if let Some(c) = exact(g, left).filter(|c| c.is_sign_negative() && !c.is_zero()) {
        if c == -Decimal::ONE && op == BinOp::Mul {
            return Some(right);
        }
        let positive = constant(g, -c);
        return Some(g.binary(op, positive, right));
    }
    if depth == 0 {
        return None;
    }
    let positive_left = positive_within(g, left, depth - 1)?;
    Some(g.binary(op, positive_left, right))
}

fn negated_difference(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let inner = negated(g, id)?;
    match g.op(inner) {
        Op::Binary(BinOp::Sub, a, b) => Some(g.binary(BinOp::Sub, b, a)),
        // -(c/x) => (-c)/x: the sign goes into the constant, which prints as `-1/x^2`
        // rather than `-(1/x^2)`. (Not for products: rewriting every negated product of
        // a gradient made simplification four times slower for little gain.)
        Op::Binary(op @ BinOp::Div, c, x) => {
            let value = exact(g, c)?;
            let negative = constant(g, -value);
            Some(g.binary(op, negative, x))
        }
        _ => None,
    }
}

fn pull_negation(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let (op, a, b) = match g.op(id) {
        Op::Binary(op @ (BinOp::Mul | BinOp::Div | BinOp::Pow), a, b) => (op, a, b),
        _ => return None,
    };
    if op == BinOp::Pow {
        let even = exact(g, b)
            .is_some_and(|e| e.fract().is_zero() && (e / Decimal::TWO).fract().is_zero());
        return negated(g, a)
            .filter(|_| even)
            .map(|na| g.binary(BinOp::Pow, na, b));
    }
    let inner = match (negated(g, a), negated(g, b)) {
        (Some(na), Some(nb)) => return Some(g.binary(op, na, nb)),
        (Some(na), None) => g.binary(op, na, b),
        (None, Some(nb)) => g.binary(op, a, nb),
        (None, None) => return None,
    };
    Some(g.unary(Func::Neg, inner))
}

fn multiply_by_reciprocal(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let Op::Binary(BinOp::Mul, a, b) = g.op(id) else {
        return None;
    };
    let reciprocal = |g: &Graph, n: NodeId| match g.op(n) {
        Op::Binary(BinOp::Div, one, d) if is_int(g, one, 1) => Some(d),
        _ => None,
    };
    if let Some(d) = reciprocal(g, b) {
        return Some(g.binary(BinOp::Div, a, d));
    }
    reciprocal(g, a).map(|d| g.binary(BinOp::Div, b, d))
}

/// `x` as `(base, exponent)`: `x^c` gives `(x, c)`, anything else `(x, 1)`.
fn as_power(g: &Graph, id: NodeId) -> (NodeId, Decimal) {
    match g.op(id) {
        Op::Binary(BinOp::Pow, base, e) => match exact(g, e) {
            Some(c) => (base, c),
            None => (id, Decimal::ONE),
        },
        _ => (id, Decimal::ONE),
    }
}

fn merge_powers(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let Op::Binary(BinOp::Mul, a, b) = g.op(id) else {
        return None;
    };
    if exact(g, a).is_some() {
        return None;
    }
    let ((base_a, e_a), (base_b, e_b)) = (as_power(g, a), as_power(g, b));
    if base_a != base_b {
        return None;
    }
    let sum = crate::graph::exact_binary(BinOp::Add, e_a, e_b)?;
    let exponent = constant(g, sum);
    Some(g.binary(BinOp::Pow, base_a, exponent))
}

fn power_of_power(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let Op::Binary(BinOp::Pow, inner, b) = g.op(id) else {
        return None;
    };
    let Op::Binary(BinOp::Pow, base, a) = g.op(inner) else {
        return None;
    };
    let (ea, eb) = (exact(g, a)?, exact(g, b)?);
    if !ea.fract().is_zero() || !eb.fract().is_zero() {
        return None;
    }
    let product = crate::graph::exact_binary(BinOp::Mul, ea, eb)?;
    let exponent = constant(g, product);
    Some(g.binary(BinOp::Pow, base, exponent))
}

/// `x` as `(coefficient, term)`: `c*x` gives `(c, x)`, anything else `(1, x)`.
fn as_term(g: &Graph, id: NodeId) -> (Decimal, NodeId) {
    match g.op(id) {
        Op::Binary(BinOp::Mul, c, x) if exact(g, c).is_some() && exact(g, x).is_none() => {
            (exact(g, c).unwrap_or(Decimal::ONE), x)
        }
        _ => (Decimal::ONE, id),
    }
}

fn like_terms(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let (op, a, b) = match g.op(id) {
        Op::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => (op, a, b),
        _ => return None,
    };
    if exact(g, a).is_some() || exact(g, b).is_some() {
        return None;
    }
    let ((c1, x1), (c2, x2)) = (as_term(g, a), as_term(g, b));
    if x1 != x2 {
        return None;
    }
    let total = crate::graph::exact_binary(op, c1, c2)?;
    let c = constant(g, total);
    Some(g.binary(BinOp::Mul, c, x1))
}

fn sum_linear(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let Op::Unary(Func::Sum, inner) = g.op(id) else {
        return None;
    };
    if let Some(x) = negated(g, inner) {
        let sum = g.unary(Func::Sum, x);
        return Some(g.unary(Func::Neg, sum));
    }
    let Op::Binary(BinOp::Mul, c, x) = g.op(inner) else {
        return None;
    };
    let scalar =
        g.shape(c) == crate::graph::Shape::Scalar && g.shape(x) == crate::graph::Shape::Rows;
    if !scalar {
        return None;
    }
    let sum = g.unary(Func::Sum, x);
    Some(g.binary(BinOp::Mul, c, sum))
}

fn divide_by_self(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    match g.op(id) {
        Op::Binary(BinOp::Div, a, b) if a == b && super::sign::never_zero(g, a) => Some(g.int(1)),
        _ => None,
    }
}

/// `sum(1)`: the row count N.
fn is_row_count(g: &Graph, id: NodeId) -> bool {
    matches!(g.op(id), Op::Unary(Func::Sum, one) if is_int(g, one, 1))
}

/// The product with its factor `a/sum(1)` replaced by `a`, looking at most `depth`
/// products down: `a/sum(1)`, `(a/sum(1))*b`, `c*((1/sum(1))*b)`, through `outer`
/// and `dot`, which are linear in each operand (`outer(a/sum(1), x)`: the gradient of
/// a weight matrix under a `mean`), and through a sum or difference whose terms both
/// have the factor (`a/sum(1) - b/sum(1)`).
fn over_row_count(g: &mut Graph, id: NodeId, depth: usize) -> Option<NodeId> {
    let rebuild = |g: &mut Graph, op: Op| g.add(op, None);
    match g.op(id) {
        Op::Binary(BinOp::Div, a, n) if is_row_count(g, n) => Some(a),
        Op::Binary(BinOp::Mul, left, right) if depth > 0 => {
            if let Some(l) = over_row_count(g, left, depth - 1) {
                return Some(g.binary(BinOp::Mul, l, right));
            }
            let r = over_row_count(g, right, depth - 1)?;
            Some(g.binary(BinOp::Mul, left, r))
        }
        Op::Binary(op @ (BinOp::Add | BinOp::Sub), left, right) if depth > 0 => {
            let l = over_row_count(g, left, depth - 1)?;
            let r = over_row_count(g, right, depth - 1)?;
            Some(g.binary(op, l, r))
        }
        Op::Product(p, left, right) if depth > 0 => {
            if let Some(l) = over_row_count(g, left, depth - 1) {
                return Some(rebuild(g, Op::Product(p, l, right)));
            }
            let r = over_row_count(g, right, depth - 1)?;
            Some(rebuild(g, Op::Product(p, left, r)))
        }
        _ => None,
    }
}

/// The mean that the derivative of a `mean` builds as a sum of terms over N.
fn sum_to_mean(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let Op::Unary(Func::Sum, inner) = g.op(id) else {
        return None;
    };
    let terms = over_row_count(g, inner, 4)?;
    Some(g.unary(Func::Mean, terms))
}

/// `c*x` with a constant scalar `c`: `(c, x)`.
fn constant_factor(g: &Graph, id: NodeId) -> Option<(NodeId, NodeId)> {
    match g.op(id) {
        Op::Binary(BinOp::Mul, c, x) if g.op(c).constant().is_some() && g.item(c).is_scalar() => {
            Some((c, x))
        }
        _ => None,
    }
}

fn constant_out_of_product(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    let Op::Product(p, a, b) = g.op(id) else {
        return None;
    };
    let (c, product) = if let Some((c, x)) = constant_factor(g, a) {
        (c, g.add(Op::Product(p, x, b), None))
    } else {
        let (c, x) = constant_factor(g, b)?;
        (c, g.add(Op::Product(p, a, x), None))
    };
    Some(g.binary(BinOp::Mul, c, product))
}

/// Whether `id` is `diag(ones(K))`, the identity matrix.
fn is_identity(g: &Graph, id: NodeId) -> bool {
    match g.op(id) {
        Op::Item(ItemFunc::Diag, v) => {
            matches!(g.op(v), Op::Fill(c, _) if c.exact() == Some(Decimal::ONE))
        }
        _ => false,
    }
}

fn identity_product(g: &mut Graph, id: NodeId) -> Option<NodeId> {
    match g.op(id) {
        Op::Product(crate::graph::ProductOp::Dot, a, b) if is_identity(g, a) => Some(b),
        Op::Product(crate::graph::ProductOp::Dot, a, b) if is_identity(g, b) => Some(a),
        _ => None,
    }
}
