//! Symbolic differentiation: derivatives as new nodes of the same graph.
//!
//! **Derivatives are graph nodes, never numbers**, so they print, simplify, compile
//! and differentiate again like any other node. [`gradient`] is reverse mode (one
//! backward pass gives a scalar's derivative by every variable); [`tangent`] is forward
//! mode, used for `d(f)/d(x)` of a vector `f`, whose rows are separate functions.

mod jacobian;
mod rules;
mod shaped;

pub use jacobian::jacobian;

use crate::graph::{BinOp, Func, Graph, GraphFull, Item, ItemFunc, NodeId, Op, Shape, VarId};
use std::collections::HashMap;

/// Test-only fault injection: while set on this thread, the local derivative of `func`
/// is multiplied by `scale` (`None` restores the rules). It exists so that tests can
/// show that the Taylor test catches a broken rule; nothing else calls it. Only with
/// the `fault-injection` feature (the integration tests turn it on).
#[cfg(feature = "fault-injection")]
#[doc(hidden)]
pub fn inject_fault(fault: Option<(Func, f64)>) {
    rules::set_fault(fault);
}

/// `d(of)/d(var)` as a node: reverse mode for a rowless scalar `of`, forward mode
/// otherwise. By a scalar `var` it has `of`'s shape; of a rowless scalar `of` by a
/// shaped `var`, `var`'s shape; of anything else by a vector `var` of `[K]`, the
/// Jacobian ([`jacobian`]: `[K]` per row for a per-row scalar, `[M, K]` for an `of` of
/// `[M]`). `None` when that would need three axes (a matrix `of` or a matrix on the
/// way, or a matrix `var` with an `of` that is not a rowless scalar).
///
/// Every function here that grows the graph stops with [`GraphFull`] once the graph
/// passes its node limit ([`Graph::ensure_room`], asked at every step of the walk).
pub fn derivative(g: &mut Graph, of: NodeId, var: VarId) -> Result<Option<NodeId>, GraphFull> {
    let rowless_scalar = g.shape(of) == Shape::Scalar && g.item(of).is_scalar();
    if rowless_scalar {
        Ok(Some(gradient(g, of, &[var])?[0]))
    } else if g.var(var).item.is_scalar() {
        tangent(g, of, var).map(Some)
    } else {
        jacobian(g, of, var)
    }
}

/// The gradient of the scalar `output` by each of `wrt`, by one backward pass that adds
/// adjoint nodes to the graph. The derivative by a data column is a vector of rows;
/// by a shaped variable it has the variable's shape (a vector or matrix node, never
/// its components written out).
pub fn gradient(g: &mut Graph, output: NodeId, wrt: &[VarId]) -> Result<Vec<NodeId>, GraphFull> {
    let order = g.reachable(&[output]);
    let needed = depends_on_any(g, &order, wrt);
    // Dense table indexed by node id: each node's adjoint, summed as contributions
    // arrive (users come after their operands, so a node's sum is complete when the
    // backward sweep reaches it).
    let mut adjoints: Vec<Option<NodeId>> = vec![None; output.index() + 1];
    adjoints[output.index()] = Some(g.int(1));
    for &id in order.iter().rev() {
        let Some(adjoint) = adjoints[id.index()] else {
            continue;
        };
        g.ensure_room()?;
        let first_new = NodeId(g.len() as u32);
        for (operand, local) in backward_step(g, id, adjoint).into_iter().flatten() {
            if needed[operand.index()] {
                let flow = into_shape(g, id, operand, local);
                let slot = &mut adjoints[operand.index()];
                *slot = Some(match *slot {
                    None => flow,
                    Some(sum) => g.binary(BinOp::Add, sum, flow),
                });
            }
        }
        let span = g.node(id).span;
        g.adopt_span(first_new, span);
    }
    Ok(wrt
        .iter()
        .map(|&v| {
            let node = g.add(Op::Var(v), None);
            let adjoint = adjoints.get(node.index()).copied().flatten();
            let item = g.var(v).item;
            adjoint.unwrap_or_else(|| g.fill(0, item))
        })
        .collect())
}

/// The Hessian of the scalar `output` by `vars`: row i is the gradient of the i-th
/// gradient component, so second derivatives come from the same backward pass.
pub fn hessian(
    g: &mut Graph,
    output: NodeId,
    vars: &[VarId],
) -> Result<Vec<Vec<NodeId>>, GraphFull> {
    let first = gradient(g, output, vars)?;
    first.into_iter().map(|d| gradient(g, d, vars)).collect()
}

/// The Hessian-vector product `H v` as nodes, by one more backward pass over
/// `∇output · v` (never forming H).
pub fn hessian_vector(
    g: &mut Graph,
    output: NodeId,
    vars: &[VarId],
    v: &[NodeId],
) -> Result<Vec<NodeId>, GraphFull> {
    let first = gradient(g, output, vars)?;
    let products: Vec<NodeId> = first
        .iter()
        .zip(v)
        .map(|(&d, &vi)| {
            let product = g.binary(BinOp::Mul, d, vi);
            match g.item(product).is_scalar() {
                true => product,
                false => g.add(Op::Item(ItemFunc::Total, product), None),
            }
        })
        .collect();
    let dot = add_all(g, &products);
    gradient(g, dot, vars)
}

/// The derivative of `output` (of any shape) by one variable, by forward mode.
pub fn tangent(g: &mut Graph, output: NodeId, var: VarId) -> Result<NodeId, GraphFull> {
    let order = g.reachable(&[output]);
    let needed = depends_on_any(g, &order, &[var]);
    let mut tangents: HashMap<NodeId, NodeId> = HashMap::new();
    for &id in &order {
        if !needed[id.index()] {
            continue;
        }
        g.ensure_room()?;
        let first_new = NodeId(g.len() as u32);
        let t = match g.op(id) {
            Op::Var(v) if v == var => g.int(1),
            Op::Unary(func @ (Func::Sum | Func::Mean), a) => {
                let inner = tangents.get(&a).copied().unwrap_or_else(|| g.int(0));
                g.unary(func, inner)
            }
            op @ (Op::Index(..) | Op::Item(..) | Op::Product(..)) => {
                let tangent_of = |g: &mut Graph, n: NodeId| {
                    let t = tangents.get(&n).copied().unwrap_or_else(|| g.int(0));
                    shaped::broadcast_to(g, t, g.item(n))
                };
                shaped::forward(g, id, op, tangent_of)
            }
            _ => {
                let mut terms = Vec::new();
                for (operand, partial) in rules::local_partials(g, id).into_iter().flatten() {
                    if let Some(&t) = tangents.get(&operand) {
                        terms.push(product(g, partial, t));
                    }
                }
                add_all(g, &terms)
            }
        };
        let span = g.node(id).span;
        g.adopt_span(first_new, span);
        tangents.insert(id, t);
    }
    Ok(tangents.get(&output).copied().unwrap_or_else(|| g.int(0)))
}

/// The contributions of `adjoint` (of node `id`) to each operand (at most two).
fn backward_step(g: &mut Graph, id: NodeId, adjoint: NodeId) -> rules::Partials {
    match g.op(id) {
        Op::Unary(Func::Sum, a) => [Some((a, adjoint)), None],
        Op::Unary(Func::Mean, a) => {
            let one = g.int(1);
            let rows = g.unary(Func::Sum, one);
            [Some((a, g.binary(BinOp::Div, adjoint, rows))), None]
        }
        op @ (Op::Index(..) | Op::Item(..) | Op::Product(..)) => {
            shaped::backward(g, id, op, adjoint)
        }
        _ => rules::local_partials(g, id)
            .map(|p| p.map(|(operand, partial)| (operand, product(g, adjoint, partial)))),
    }
}

/// A contribution flowing from `user` into a scalar operand from a per-row context is
/// summed over the rows (a scalar used in every row collects every row's share); one
/// into a scalar-item operand broadcast over components (`s*v`) is totalled over them.
fn into_shape(g: &mut Graph, user: NodeId, operand: NodeId, flow: NodeId) -> NodeId {
    let flow = match (g.item(operand), g.item(flow)) {
        (Item::Scalar, item) if !item.is_scalar() => g.add(Op::Item(ItemFunc::Total, flow), None),
        _ => flow,
    };
    let per_row =
        g.shape(user) == Shape::Rows || matches!(g.op(user), Op::Unary(Func::Sum | Func::Mean, _));
    if per_row && g.shape(operand) == Shape::Scalar {
        g.unary(Func::Sum, flow)
    } else {
        flow
    }
}

/// `adjoint * partial`, with a constant factor written first (`2*x`, not `x*2`).
fn product(g: &mut Graph, adjoint: NodeId, partial: NodeId) -> NodeId {
    if g.op(partial).constant().is_some() {
        g.binary(BinOp::Mul, partial, adjoint)
    } else {
        g.binary(BinOp::Mul, adjoint, partial)
    }
}

fn add_all(g: &mut Graph, parts: &[NodeId]) -> NodeId {
    let mut iter = parts.iter().copied();
    let Some(first) = iter.next() else {
        return g.int(0);
    };
    iter.fold(first, |total, part| g.binary(BinOp::Add, total, part))
}

/// Which nodes (by id, up to the last of `order`) depend on any of `vars`.
fn depends_on_any(g: &Graph, order: &[NodeId], vars: &[VarId]) -> Vec<bool> {
    let size = order.last().map_or(0, |n| n.index() + 1);
    let mut target = vec![false; vars.iter().map(|v| v.index() + 1).max().unwrap_or(0)];
    for v in vars {
        target[v.index()] = true;
    }
    let mut needed = vec![false; size];
    for &id in order {
        needed[id.index()] = match g.op(id) {
            Op::Var(v) => target.get(v.index()).copied().unwrap_or(false),
            op => op.operands().any(|o| needed[o.index()]),
        };
    }
    needed
}
