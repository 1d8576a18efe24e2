//! The simplifier: rewrite rules applied bottom-up to a fixed point, for readability
//! and speed, **never changing a value** (for finite operands; rounding may differ in
//! the last bits, as `0.5*(2*x)` becoming `x` does).
//!
//! Each pass rebuilds the nodes reachable from the roots in id order (operands first),
//! applying the rules of [`rules::RULES`] to each rebuilt node until none applies; the
//! graph's own folds ([`Graph::add`]) run on every rebuilt node too. Passes repeat until
//! the roots stop changing. Old nodes stay in the append-only graph, unreferenced.

mod rules;
mod sign;

pub use rules::{RULES, Rule};

use crate::graph::{Graph, GraphFull, NodeId};

/// How many passes at most (each is linear in the graph; a handful reach the fixed point).
const MAX_PASSES: usize = 8;
/// How many rule applications at most on one node within a pass.
const MAX_REWRITES_PER_NODE: usize = 16;

/// The simplified forms of `roots`, in the same order.
pub fn simplify(graph: &mut Graph, roots: &[NodeId]) -> Vec<NodeId> {
    simplify_from(graph, roots, NodeId(0))
}

/// Like [`simplify`], but nodes older than `from` are kept as they are: after a
/// derivative is taken, only the new (adjoint) nodes need rewriting, and the function's
/// own nodes stay as the person wrote them.
pub fn simplify_from(graph: &mut Graph, roots: &[NodeId], from: NodeId) -> Vec<NodeId> {
    fixed_point(graph, roots, &|id| id < from)
}

/// Like [`simplify`], but the nodes of the functions `forward` (everything reachable
/// from them) are kept as they are. Unlike [`simplify_from`] this does not depend on
/// what else the graph holds: a derivative that a `check` already built (so its nodes
/// are older) simplifies the same as a new one.
pub fn simplify_beside(graph: &mut Graph, roots: &[NodeId], forward: &[NodeId]) -> Vec<NodeId> {
    let mut kept = vec![false; graph.len()];
    for id in graph.reachable(forward) {
        kept[id.index()] = true;
    }
    fixed_point(graph, roots, &|id| {
        kept.get(id.index()).copied().unwrap_or(false)
    })
}

/// Passes until the roots stop changing; nodes where `kept` holds are not rewritten.
fn fixed_point(graph: &mut Graph, roots: &[NodeId], kept: &dyn Fn(NodeId) -> bool) -> Vec<NodeId> {
    let mut current = roots.to_vec();
    for _ in 0..MAX_PASSES {
        let next = pass(graph, &current, kept);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// The simplified form of one node.
pub fn simplify_one(graph: &mut Graph, root: NodeId) -> NodeId {
    simplify(graph, &[root])[0]
}

/// The derivatives of the scalar `output` by `vars`, simplified: the reverse pass of
/// [`crate::ad::gradient`], then the rules on every node that is not `output`'s own.
pub fn simplified_gradient(
    graph: &mut Graph,
    output: NodeId,
    vars: &[crate::graph::VarId],
) -> Result<Vec<NodeId>, GraphFull> {
    let raw = crate::ad::gradient(graph, output, vars)?;
    let simplified = simplify_beside(graph, &raw, &[output]);
    graph.ensure_room()?;
    Ok(simplified)
}

/// `output` followed by its [`simplified_gradient`] by `vars`: the outputs to compile
/// for a loss and its whole gradient in one pass (the gradient by `vars[k]` is
/// output `k + 1`).
pub fn with_gradient(
    graph: &mut Graph,
    output: NodeId,
    vars: &[crate::graph::VarId],
) -> Result<Vec<NodeId>, GraphFull> {
    let mut outputs = vec![output];
    outputs.extend(simplified_gradient(graph, output, vars)?);
    Ok(outputs)
}

fn pass(graph: &mut Graph, roots: &[NodeId], kept: &dyn Fn(NodeId) -> bool) -> Vec<NodeId> {
    let order = graph.reachable(roots);
    let mut rebuilt: Vec<Option<NodeId>> = vec![None; order.last().map_or(0, |n| n.index() + 1)];
    for id in order.into_iter().filter(|&id| !kept(id)) {
        let node = graph.node(id).clone();
        let map = |n: NodeId| rebuilt[n.index()].unwrap_or(n);
        let op = node.op.map_operands(map);
        // With its operands unchanged the node is already folded: only the rules remain.
        let mut new = if op == node.op {
            id
        } else {
            graph.add(op, node.span)
        };
        for _ in 0..MAX_REWRITES_PER_NODE {
            match rules::rewrite(graph, new) {
                // A rule never changes a value's item shape (`x - x` of a vector
                // is not the scalar 0).
                Some(next) if next != new && graph.item(next) == graph.item(new) => new = next,
                _ => break,
            }
        }
        if new != id {
            rebuilt[id.index()] = Some(new);
        }
    }
    roots
        .iter()
        .map(|r| rebuilt[r.index()].unwrap_or(*r))
        .collect()
}
