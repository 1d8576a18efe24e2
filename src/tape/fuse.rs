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
//! without a slot of its own; a run of them with a factor in common (the `r·x₁`,
//! `r·x₂`, … of a weight vector's gradient) is one
//! [`Instr::AccumulateProducts`](super::compile::Instr) that reads that factor once.

use super::compile::{Instr, Operand};
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

/// `instrs` with each run of summed products that share a factor as one instruction.
pub(super) fn group_summed_products(instrs: Vec<Instr>) -> Vec<Instr> {
    let mut out: Vec<Instr> = Vec::with_capacity(instrs.len());
    for instr in instrs {
        let Instr::AccumulateProduct { acc, a, b, node } = instr else {
            out.push(instr);
            continue;
        };
        let shared = |x: Operand| match out.last() {
            Some(Instr::AccumulateProduct { a, b, .. }) => *a == x || *b == x,
            Some(Instr::AccumulateProducts { a, .. }) => *a == x,
            _ => false,
        };
        let (common, other) = if shared(a) {
            (a, b)
        } else if shared(b) {
            (b, a)
        } else {
            out.push(Instr::AccumulateProduct { acc, a, b, node });
            continue;
        };
        match out.pop() {
            Some(Instr::AccumulateProduct {
                acc: first,
                a: x,
                b: y,
                node: first_node,
            }) => {
                let first_other = if x == common { y } else { x };
                out.push(Instr::AccumulateProducts {
                    a: common,
                    terms: Box::new([(first, first_other, first_node), (acc, other, node)]),
                });
            }
            Some(Instr::AccumulateProducts { a, terms }) => {
                let mut terms = terms.into_vec();
                terms.push((acc, other, node));
                out.push(Instr::AccumulateProducts {
                    a,
                    terms: terms.into_boxed_slice(),
                });
            }
            other => {
                out.extend(other);
                out.push(Instr::AccumulateProduct { acc, a, b, node });
            }
        }
    }
    out
}
