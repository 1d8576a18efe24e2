//! The derivative rules of the operators over item axes (SPEC 10): `dot`, `outer`,
//! indexing and the item functions. Reverse mode takes each operand's share of an
//! adjoint (a vector-Jacobian product, written with the same operators: the share of
//! `A` in `dot(A, x)` is `outer(adjoint, x)`); forward mode pushes tangents through.
//! Elementwise operators keep their local partials in `rules.rs`.

use super::rules::Partials;
use crate::graph::{BinOp, Graph, Item, ItemFunc, NodeId, Op, ProductOp};
use crate::syntax::Number;

/// `t` with the item `item`: a scalar-item `t` (a tangent or adjoint that is the same
/// in every component) times `ones(item)`.
pub(super) fn broadcast_to(g: &mut Graph, t: NodeId, item: Item) -> NodeId {
    if g.item(t) == item {
        return t;
    }
    let ones = g.fill(1, item);
    g.binary(BinOp::Mul, t, ones)
}

fn item_op(g: &mut Graph, func: ItemFunc, a: NodeId) -> NodeId {
    g.add(Op::Item(func, a), None)
}

fn dot(g: &mut Graph, a: NodeId, b: NodeId) -> NodeId {
    g.add(Op::Product(ProductOp::Dot, a, b), None)
}

fn outer(g: &mut Graph, a: NodeId, b: NodeId) -> NodeId {
    g.add(Op::Product(ProductOp::Outer, a, b), None)
}

/// The unit tensor of `item` with a 1 at the flat component `k`.
fn unit(g: &mut Graph, item: Item, k: u32) -> NodeId {
    let mut values = vec![Number::from_f64(0.0); item.size()];
    if let Some(v) = values.get_mut(k as usize) {
        *v = Number::from_f64(1.0);
    }
    g.tensor_node(item, values, None)
}

/// Each operand's share of `adjoint`, the adjoint of node `id` (of operator `op`).
pub(super) fn backward(g: &mut Graph, id: NodeId, op: Op, adjoint: NodeId) -> Partials {
    let mul = |g: &mut Graph, a, b| g.binary(BinOp::Mul, a, b);
    let adjoint = broadcast_to(g, adjoint, g.item(id));
    match op {
        Op::Index(a, k) => {
            let e = unit(g, g.item(a), k);
            [Some((a, mul(g, adjoint, e))), None]
        }
        Op::Item(func, a) => [Some((a, item_backward(g, func, a, id, adjoint))), None],
        Op::Product(ProductOp::Dot, a, b) => {
            let (to_a, to_b) = dot_backward(g, a, b, adjoint);
            [Some((a, to_a)), Some((b, to_b))]
        }
        Op::Product(ProductOp::Outer, a, b) => {
            let to_a = dot(g, adjoint, b);
            let to_b = dot(g, a, adjoint);
            [Some((a, to_a)), Some((b, to_b))]
        }
        _ => [None, None],
    }
}

fn item_backward(g: &mut Graph, func: ItemFunc, a: NodeId, f: NodeId, adjoint: NodeId) -> NodeId {
    let mul = |g: &mut Graph, a, b| g.binary(BinOp::Mul, a, b);
    match func {
        ItemFunc::Total => broadcast_to(g, adjoint, g.item(a)),
        // The adjoint of a diagonal is the diagonal of the adjoint (either way round).
        ItemFunc::Transpose | ItemFunc::Diag => item_op(g, func, adjoint),
        // d‖a‖ = a/‖a‖ · da
        ItemFunc::Norm => {
            let direction = g.binary(BinOp::Div, a, f);
            mul(g, adjoint, direction)
        }
        // s ∘ (ā − ā·s)
        ItemFunc::Softmax => {
            let along = dot(g, adjoint, f);
            let rest = g.binary(BinOp::Sub, adjoint, along);
            mul(g, f, rest)
        }
        ItemFunc::Logsumexp => {
            let softmax = item_op(g, ItemFunc::Softmax, a);
            mul(g, adjoint, softmax)
        }
    }
}

/// The shares of `dot(a, b)`'s adjoint: the contraction of the adjoint with the other
/// operand over the axes that are not contracted.
fn dot_backward(g: &mut Graph, a: NodeId, b: NodeId, adjoint: NodeId) -> (NodeId, NodeId) {
    let mul = |g: &mut Graph, a, b| g.binary(BinOp::Mul, a, b);
    match (g.item(a), g.item(b)) {
        // [K]·[K]: a scalar.
        (Item::Vector(_), Item::Vector(_)) => (mul(g, adjoint, b), mul(g, adjoint, a)),
        // [M, K]·[K]: [M].
        (Item::Matrix(..), Item::Vector(_)) => (outer(g, adjoint, b), dot(g, adjoint, a)),
        // [K]·[K, P]: [P].
        (Item::Vector(_), Item::Matrix(..)) => (dot(g, b, adjoint), outer(g, a, adjoint)),
        // [M, K]·[K, P]: [M, P].
        _ => {
            let bt = item_op(g, ItemFunc::Transpose, b);
            let at = item_op(g, ItemFunc::Transpose, a);
            (dot(g, adjoint, bt), dot(g, at, adjoint))
        }
    }
}

/// The tangent of node `id` (of operator `op`) from its operands' tangents (each of
/// its operand's item shape, from `tangent_of`).
pub(super) fn forward(
    g: &mut Graph,
    id: NodeId,
    op: Op,
    mut tangent_of: impl FnMut(&mut Graph, NodeId) -> NodeId,
) -> NodeId {
    let mul = |g: &mut Graph, a, b| g.binary(BinOp::Mul, a, b);
    match op {
        Op::Index(a, k) => {
            let t = tangent_of(g, a);
            g.add(Op::Index(t, k), None)
        }
        Op::Item(func, a) => {
            let t = tangent_of(g, a);
            match func {
                ItemFunc::Total | ItemFunc::Transpose | ItemFunc::Diag => item_op(g, func, t),
                ItemFunc::Norm => {
                    let along = mul(g, a, t);
                    let total = item_op(g, ItemFunc::Total, along);
                    g.binary(BinOp::Div, total, id)
                }
                ItemFunc::Softmax => {
                    let along = dot(g, id, t);
                    let rest = g.binary(BinOp::Sub, t, along);
                    mul(g, id, rest)
                }
                ItemFunc::Logsumexp => {
                    let softmax = item_op(g, ItemFunc::Softmax, a);
                    dot(g, softmax, t)
                }
            }
        }
        Op::Product(p, a, b) => {
            let (ta, tb) = (tangent_of(g, a), tangent_of(g, b));
            let first = g.add(Op::Product(p, ta, b), None);
            let second = g.add(Op::Product(p, a, tb), None);
            g.binary(BinOp::Add, first, second)
        }
        _ => g.int(0),
    }
}
