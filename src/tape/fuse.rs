//! Sums of products found in a row pass, so that one instruction computes them.
//!
//! A `dot` written out by components (`graph::components`) is the chain
//! `((x₁·w₁ + x₂·w₂) + x₃·w₃) + …`: 2K row instructions, each a pass over the chunk
//! with its own row slot. When every inner sum and product of such a chain is read by
//! nothing else, the chain is one [`Instr::RowDot`](super::compile::Instr) that adds
//! the terms left to right into one slot: the same operations in the same order, so the
//! same bits, in one pass.
//!
//! Likewise a product read only by a sum over the rows (`x_k·r` of a gradient) is
//! summed as it is computed, an [`Instr::AccumulateProduct`](super::compile::Instr),
//! without a slot of its own.

use crate::graph::{BinOp, Graph, NodeId, Op, Shape};
use std::collections::{HashMap, HashSet};

/// One term of a fused sum: `a·b`, or `a` alone.
pub(super) type Term = (NodeId, Option<NodeId>);

/// The fused sums of a row pass.
#[derive(Debug, Default)]
pub(super) struct Fused {
    /// Each fused sum's root and its terms, left to right.
    pub(super) roots: HashMap<NodeId, Vec<Term>>,
    /// The inner sums and products that the roots compute (no instruction of their own).
    pub(super) absorbed: HashSet<NodeId>,
    /// Products read only by one sum over the rows, with their factors.
    pub(super) summed: HashMap<NodeId, (NodeId, NodeId)>,
}

/// The fewest terms worth fusing: below it the chain stays as it is.
const MIN_TERMS: usize = 3;

/// The sums of products among `rows` (a pass's computed row nodes, in node order),
/// where `summed` are the nodes that sums over the rows add and `stored` those
/// copied to row outputs.
pub(super) fn sums_of_products(
    graph: &Graph,
    rows: &[NodeId],
    summed: &[NodeId],
    stored: &[NodeId],
) -> Fused {
    let mut uses: HashMap<NodeId, usize> = HashMap::new();
    for &n in rows {
        for operand in graph.op(n).operands() {
            *uses.entry(operand).or_default() += 1;
        }
    }
    for &n in summed.iter().chain(stored) {
        *uses.entry(n).or_default() += 1;
    }
    let computed: HashSet<NodeId> = rows.iter().copied().collect();
    let inner = |n: NodeId, op: BinOp| {
        computed.contains(&n)
            && uses.get(&n) == Some(&1)
            && matches!(graph.op(n), Op::Binary(o, ..) if o == op)
    };
    let mut fused = Fused::default();
    // Later nodes first: a chain's root is seen before its inner sums.
    for &root in rows.iter().rev() {
        if fused.absorbed.contains(&root) || !is_row_add(graph, root) {
            continue;
        }
        let mut leaves = Vec::new();
        let mut chain = Vec::new();
        let mut at = root;
        while let Op::Binary(BinOp::Add, left, right) = graph.op(at) {
            leaves.push(right);
            chain.push(at);
            if !inner(left, BinOp::Add) {
                leaves.push(left);
                break;
            }
            at = left;
        }
        if leaves.len() < MIN_TERMS {
            continue;
        }
        leaves.reverse();
        let terms = leaves
            .into_iter()
            .map(|leaf| match graph.op(leaf) {
                Op::Binary(BinOp::Mul, a, b) if inner(leaf, BinOp::Mul) => {
                    fused.absorbed.insert(leaf);
                    (a, Some(b))
                }
                _ => (leaf, None),
            })
            .collect();
        fused
            .absorbed
            .extend(chain.into_iter().filter(|&n| n != root));
        fused.roots.insert(root, terms);
    }
    for &n in summed {
        if let Op::Binary(BinOp::Mul, a, b) = graph.op(n)
            && inner(n, BinOp::Mul)
        {
            fused.summed.insert(n, (a, b));
        }
    }
    fused
}

fn is_row_add(graph: &Graph, n: NodeId) -> bool {
    graph.shape(n) == Shape::Rows && matches!(graph.op(n), Op::Binary(BinOp::Add, ..))
}
