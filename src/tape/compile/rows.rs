//! One row pass of the tape: the computed per-row nodes in node order, each with a row
//! slot reused by liveness, the sums over the rows added right after the values they
//! add, and the fusions of `fuse.rs` (sums of products, summed products).

use super::super::fuse::{self, Fused};
use super::*;

/// What emitting one row pass keeps track of.
struct Pass {
    /// Each computed node's sums over the rows (added right after it).
    sums_of: HashMap<NodeId, Vec<(NodeId, Accumulator)>>,
    fused: Fused,
    /// The last instruction (by position in the pass's nodes) that reads each node.
    last_use: HashMap<NodeId, usize>,
    row_slot: HashMap<NodeId, RowSlot>,
    free: Vec<RowSlot>,
    instrs: Vec<Instr>,
}

impl Pass {
    /// Frees the slots of `nodes` read for the last time at position `i`.
    fn release(&mut self, nodes: impl IntoIterator<Item = NodeId>, i: usize) {
        for m in nodes {
            if self.last_use.get(&m) == Some(&i)
                && let Some(s) = self.row_slot.remove(&m)
            {
                self.free.push(s);
            }
        }
    }
}

impl Compiler<'_> {
    /// Emits the row pass of `phase` over `rows`, with the sums `accumulate` (each sum
    /// node and the node it adds) and the row outputs `stores`.
    pub(super) fn emit_rows(
        &mut self,
        phase: usize,
        rows: &[NodeId],
        accumulate: &[(NodeId, NodeId)],
        stores: &[(usize, NodeId)],
    ) {
        let (sums_of, sums_at_end) = self.plan_sums(phase, accumulate);
        let summed: Vec<NodeId> = accumulate.iter().map(|(_, a)| *a).collect();
        let stored: Vec<NodeId> = stores.iter().map(|(_, o)| *o).collect();
        let mut pass = Pass {
            sums_of,
            fused: fuse::sums_of_products(self.graph, rows, &summed, &stored),
            last_use: HashMap::new(),
            row_slot: HashMap::new(),
            free: Vec::new(),
            instrs: Vec::new(),
        };
        pass.last_use = self.last_uses(&pass, rows, &stored);
        for (i, &n) in rows.iter().enumerate() {
            self.emit_row(&mut pass, i, n);
        }
        for (sum, a, acc) in sums_at_end {
            let a = self.operand(a, &pass.row_slot);
            pass.instrs.push(Instr::Accumulate { acc, a, node: sum });
        }
        for &(out, o) in stores {
            let a = self.operand(o, &pass.row_slot);
            let out = RowOutput(out as u32);
            pass.instrs.push(Instr::Store { out, a, node: o });
        }
        self.tape.phases[phase].rows = fuse::group_summed_products(pass.instrs);
    }

    /// Each sum over the rows is added right after the value it adds is computed (so
    /// that value's slot is free again at once): the sums of each computed node, and
    /// the sums of data, literals and scalars, added at the end of the pass.
    #[allow(clippy::type_complexity)]
    fn plan_sums(
        &self,
        phase: usize,
        accumulate: &[(NodeId, NodeId)],
    ) -> (
        HashMap<NodeId, Vec<(NodeId, Accumulator)>>,
        Vec<(NodeId, NodeId, Accumulator)>,
    ) {
        let accumulator: HashMap<NodeId, Accumulator> = self.tape.phases[phase]
            .reduce
            .iter()
            .filter_map(|r| match r {
                Instr::Reduce { acc, node, .. } => Some((*node, *acc)),
                _ => None,
            })
            .collect();
        let mut sums_of: HashMap<NodeId, Vec<(NodeId, Accumulator)>> = HashMap::new();
        let mut at_end = Vec::new();
        for &(sum, a) in accumulate {
            let Some(&acc) = accumulator.get(&sum) else {
                continue;
            };
            if self.is_computed(a) {
                sums_of.entry(a).or_default().push((sum, acc));
            } else {
                at_end.push((sum, a, acc));
            }
        }
        (sums_of, at_end)
    }

    /// What the instruction of `n` reads: the terms of a fused sum, else its operands.
    fn reads(&self, fused: &Fused, n: NodeId) -> Vec<NodeId> {
        match fused.roots.get(&n) {
            Some(terms) => terms
                .iter()
                .flat_map(|&(a, b)| std::iter::once(a).chain(b))
                .collect(),
            None => self.graph.op(n).operands().collect(),
        }
    }

    /// The last position that reads each node; a node only summed is last read where
    /// it is computed, and a row output never (it is copied at the end).
    fn last_uses(&self, pass: &Pass, rows: &[NodeId], stored: &[NodeId]) -> HashMap<NodeId, usize> {
        let mut last_use = HashMap::new();
        for (i, &n) in rows.iter().enumerate() {
            if pass.fused.absorbed.contains(&n) {
                continue;
            }
            for operand in self.reads(&pass.fused, n) {
                last_use.insert(operand, i);
            }
            if pass.sums_of.contains_key(&n) {
                last_use.entry(n).or_insert(i);
            }
        }
        for &o in stored {
            last_use.insert(o, rows.len());
        }
        last_use
    }

    /// Emits node `n`, at position `i` of the pass, and the sums that add it.
    fn emit_row(&mut self, pass: &mut Pass, i: usize, n: NodeId) {
        if pass.fused.absorbed.contains(&n) {
            return;
        }
        if let Some(&(a, b)) = pass.fused.summed.get(&n) {
            for &(sum, acc) in pass.sums_of.get(&n).into_iter().flatten() {
                let (a, b) = (
                    self.operand(a, &pass.row_slot),
                    self.operand(b, &pass.row_slot),
                );
                pass.instrs.push(Instr::AccumulateProduct {
                    acc,
                    a,
                    b,
                    node: sum,
                });
            }
            pass.release([a, b], i);
            return;
        }
        let dst = pass.free.pop().unwrap_or_else(|| {
            self.tape.row_slots += 1;
            RowSlot(self.tape.row_slots as u32 - 1)
        });
        let Some(instr) = self.row_instr(pass, n, dst) else {
            pass.free.push(dst);
            return;
        };
        pass.instrs.push(instr);
        pass.row_slot.insert(n, dst);
        for &(sum, acc) in pass.sums_of.get(&n).into_iter().flatten() {
            let a = Operand::Row(dst);
            pass.instrs.push(Instr::Accumulate { acc, a, node: sum });
        }
        // Operands read for the last time free their slots (after dst was taken, so an
        // instruction never writes the slot it reads), and so does a value only summed.
        let mut read = self.reads(&pass.fused, n);
        read.sort();
        read.dedup();
        read.push(n);
        pass.release(read, i);
    }

    /// The instruction that computes `n` into `dst`.
    fn row_instr(&mut self, pass: &Pass, n: NodeId, dst: RowSlot) -> Option<Instr> {
        let slots = &pass.row_slot;
        if let Some(terms) = pass.fused.roots.get(&n) {
            let terms = terms
                .iter()
                .map(|&(a, b)| (self.operand(a, slots), b.map(|b| self.operand(b, slots))))
                .collect();
            return Some(Instr::RowDot {
                dst,
                terms,
                node: n,
            });
        }
        Some(match self.graph.op(n) {
            Op::Unary(func, a) => {
                let a = self.operand(a, slots);
                Instr::RowUnary {
                    func,
                    dst,
                    a,
                    node: n,
                }
            }
            Op::Binary(op, a, b) => {
                let (op, a, b) = self.binary(op, a, b);
                let (a, b) = (self.operand(a, slots), self.operand(b, slots));
                Instr::RowBinary {
                    op,
                    dst,
                    a,
                    b,
                    node: n,
                }
            }
            _ => return None,
        })
    }

    /// How a row instruction reads node `m`. A computed row node is read after the
    /// instruction that computes it (the row nodes of a pass are in node order, and a
    /// node's operands are older than it), so its row slot is known.
    fn operand(&mut self, m: NodeId, row_slot: &HashMap<NodeId, RowSlot>) -> Operand {
        if self.graph.shape(m) == Shape::Scalar {
            return Operand::Scalar(self.scalar_slot[&m]);
        }
        match self.graph.op(m) {
            Op::Var(v) if self.graph.var(v).kind == VarKind::Data => {
                let next = DataColumn(self.data_index.len() as u32);
                let k = *self.data_index.entry(v).or_insert(next);
                if k == next {
                    self.tape.data.push(v);
                }
                Operand::Data(k)
            }
            Op::Column(c) => {
                let next = Literal(self.column_index.len() as u32);
                let k = *self.column_index.entry(c).or_insert(next);
                if k == next {
                    self.tape.columns.push((c, m));
                }
                Operand::Column(k)
            }
            _ => Operand::Row(row_slot[&m]),
        }
    }
}
