//! Scalar code scheduled into batches: the instructions that run once per call (and,
//! for a handful of rows, the whole tape with its row pass written out row by row),
//! grouped so that one dispatch applies one operation to many independent registers.
//!
//! An interpreter that dispatches once per instruction spends most of its time on the
//! dispatch (an indirect jump the CPU cannot predict) and waiting for the instruction
//! before. Here each instruction gets a *level*, one more than its operands', and the
//! instructions of one level with the same operation form a [`Batch`]: one dispatch,
//! then a tight loop of independent operations that the CPU overlaps. A batch of a
//! transcendental function goes through the vectorised kernels.

use super::compile::{Accumulator, Instr, Operand, Output, Phase, RowOutput, Tape};
use crate::graph::{BinOp, Func, NodeId, VarId};
use crate::numbers::Scalar;

/// What a batch does to each of its operand triples `[dst, a, b]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Add,
    Sub,
    Mul,
    Div,
    /// `dst = a`.
    Copy,
    Unary(Func),
    Binary(BinOp),
    /// Adds `a` to the compensated sum in registers `dst` (the sum) and `dst + 1` (the
    /// compensation).
    Accumulate,
    /// `dst` = the compensated sum at `a` (its two registers) added up.
    Sum,
    /// `dst` = the compensated sum at `a` divided by the row count in register `b`.
    Mean,
}

impl Kind {
    /// An order on kinds, to group a level's instructions by kind.
    fn key(self) -> u16 {
        match self {
            Kind::Add => 0,
            Kind::Sub => 1,
            Kind::Mul => 2,
            Kind::Div => 3,
            Kind::Copy => 4,
            Kind::Accumulate => 5,
            Kind::Sum => 6,
            Kind::Mean => 7,
            Kind::Binary(op) => 16 + op as u16,
            Kind::Unary(f) => 64 + f as u16,
        }
    }
}

/// Operations `start..end` of a [`Block`], all of one kind and independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Batch {
    /// What each operation does.
    pub(crate) kind: Kind,
    start: u32,
    end: u32,
}

/// A register of a block's register file. Inside a block, operations hold their
/// registers packed as `[dst, a, b]` numbers (the interpreter's hot loops read them);
/// everything a block shows its caller is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Register(pub(crate) u32);

impl Register {
    /// The index in the register file.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a checked run stopped: the node of the operation and its data row (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) node: NodeId,
    pub(crate) row: Option<usize>,
}

/// A param or free variable a block reads, loaded into a register before each run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Load {
    /// The variable.
    pub(crate) var: VarId,
    /// Its node (for the error when it is unbound).
    pub(crate) node: NodeId,
    /// The register it goes to.
    pub(crate) register: Register,
}

/// Row `row` (from 0) of a data column or vector literal, in a register of a block
/// with the rows written out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RowInput {
    /// [`Operand::Data`] or [`Operand::Column`].
    pub(crate) operand: Operand,
    /// The row.
    pub(crate) row: u32,
    /// The register it goes to.
    pub(crate) register: Register,
}

/// Scheduled scalar code over one register file: the scalar slots of the tape first
/// (so constants and outputs stay where the tape says), then the row count, the
/// accumulators (two registers each), then the values of the written-out rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Block {
    /// The batches, in the order they run.
    pub(crate) batches: Vec<Batch>,
    /// `[dst, a, b]` register numbers of each operation, batch after batch. Private,
    /// like `registers`: only the builder writes them, which is what makes the
    /// unchecked register access of [`Registers`] sound.
    ops: Vec<[u32; 3]>,
    /// For each operation, the node it computes and its data row (from 1; 0 for none).
    origins: Vec<(NodeId, u32)>,
    /// How many registers the block uses: every register number in `ops` and
    /// `checks` (and the one after an accumulator's or a sum's) is below it.
    registers: usize,
    /// The params and free variables to load before each run.
    pub(crate) loads: Vec<Load>,
    /// The data to load before a run (only when the rows changed since the last).
    pub(crate) row_inputs: Vec<RowInput>,
    /// Row outputs: `(output, register)`, in row order.
    pub(crate) stores: Vec<(RowOutput, Register)>,
    /// The registers [`Block::run_unchecked`] tests at the end.
    checks: Vec<u32>,
}

/// The register holding the row count.
pub(crate) fn rows_register(tape: &Tape) -> Register {
    Register(tape.scalar_slots as u32)
}

/// The first of the two registers of accumulator `acc`.
fn accumulator_register(tape: &Tape, acc: Accumulator) -> u32 {
    rows_register(tape).0 + 1 + 2 * acc.0
}

/// The first register after the scalar slots, the row count and the accumulators.
pub(crate) fn first_free_register(tape: &Tape) -> Register {
    Register(accumulator_register(
        tape,
        Accumulator(tape.accumulators.len() as u32),
    ))
}

/// The registers of the accumulators, to zero before a block that sums rows runs.
pub(crate) fn accumulator_registers(tape: &Tape) -> impl Iterator<Item = usize> {
    let first = accumulator_register(tape, Accumulator(0)) as usize;
    first..first + 2 * tape.accumulators.len()
}

impl Block {
    /// The scalar part of one phase (for passes over many rows, which run in chunks).
    pub(crate) fn scalar_part(tape: &Tape, phase: &Phase) -> Block {
        let mut b = Builder::new(tape);
        for instr in &phase.scalar {
            b.scalar(instr);
        }
        // The row pass reads these, and a chunk kernel may hide a bad one.
        let written = b.pending.iter().map(|p| p.op[0]).collect();
        // The row passes read the scalar slots by number: no register moves.
        b.finish(written, false)
    }

    /// The whole tape with every row pass written out for `rows` rows: one block.
    pub(crate) fn whole(tape: &Tape, rows: usize) -> Block {
        let mut b = Builder::new(tape);
        for phase in &tape.phases {
            for instr in &phase.scalar {
                b.scalar(instr);
            }
            if !phase.rows.is_empty() {
                for row in 0..rows as u32 {
                    b.row(&phase.rows, row);
                }
            }
            for instr in &phase.reduce {
                b.scalar(instr);
            }
        }
        let mut outputs: Vec<u32> = tape
            .outputs
            .iter()
            .filter_map(|o| match o {
                Output::Scalar(s) => Some(s.0),
                Output::Rows(_) => None,
            })
            .collect();
        outputs.extend(b.block.stores.iter().map(|&(_, register)| register.0));
        b.finish(outputs, true)
    }

    /// How many registers the block uses (the register file must have as many).
    pub(crate) fn registers(&self) -> usize {
        self.registers
    }

    /// Runs the batches on `r` without a check per operation; `false` if a value
    /// left the domain (then run [`Block::run_checked`] to find where).
    ///
    /// Not every value is tested. `+ - *`, copies and sums turn a value that is not
    /// valid (an infinity or a NaN) into one that is not valid either, so such a value
    /// reaches an output, or an operation that could hide it (`1/inf` is 0,
    /// `relu(NaN)` is 0): the operands of those are tested, and the outputs at the end.
    pub(crate) fn run_unchecked<S: Scalar>(&self, r: &mut [S]) -> bool {
        let Some(mut r) = Registers::new(r, self) else {
            return false;
        };
        let mut valid = true;
        for batch in &self.batches {
            let ops = &self.ops[batch.start as usize..batch.end as usize];
            macro_rules! each {
                ($op:expr) => {
                    for &[d, a, b] in ops {
                        r.set(d, S::binary_unchecked($op, r.get(a), r.get(b)));
                    }
                };
            }
            match batch.kind {
                Kind::Add => each!(BinOp::Add),
                Kind::Sub => each!(BinOp::Sub),
                Kind::Mul => each!(BinOp::Mul),
                Kind::Div | Kind::Binary(_) => {
                    let op = match batch.kind {
                        Kind::Binary(op) => op,
                        _ => BinOp::Div,
                    };
                    for &[d, a, b] in ops {
                        let (x, y) = (r.get(a), r.get(b));
                        valid &= x.is_valid() & y.is_valid();
                        r.set(d, S::binary_unchecked(op, x, y));
                    }
                }
                Kind::Unary(func) => valid &= S::unary_batch(func, r.0, ops),
                Kind::Copy => {
                    for &[d, a, _] in ops {
                        r.set(d, r.get(a));
                    }
                }
                Kind::Accumulate => {
                    for &[d, a, _] in ops {
                        let mut total = (r.get(d), r.get(d + 1));
                        let _ = S::accumulate_one(&mut total, r.get(a));
                        r.set(d, total.0);
                        r.set(d + 1, total.1);
                    }
                }
                Kind::Sum | Kind::Mean => {
                    for &[d, a, b] in ops {
                        let total = S::binary_unchecked(BinOp::Add, r.get(a), r.get(a + 1));
                        let value = match batch.kind {
                            Kind::Mean => S::binary_unchecked(BinOp::Div, total, r.get(b)),
                            _ => total,
                        };
                        r.set(d, value);
                    }
                }
            }
        }
        for &c in &self.checks {
            valid &= r.get(c).is_valid();
        }
        valid
    }

    /// Runs the batches on `r`, checking each operation; `Err` names the node and row
    /// of the first operation outside its domain.
    pub(crate) fn run_checked<S: Scalar>(&self, r: &mut [S]) -> Result<(), Origin> {
        for batch in &self.batches {
            self.run_checked_batch(batch, r).map_err(|i| {
                let (node, row) = self.origins[i];
                Origin {
                    node,
                    row: (row > 0).then_some(row as usize),
                }
            })?;
        }
        Ok(())
    }

    fn run_checked_batch<S: Scalar>(&self, batch: &Batch, r: &mut [S]) -> Result<(), usize> {
        let ops = &self.ops[batch.start as usize..batch.end as usize];
        for (i, &[d, a, b]) in ops.iter().enumerate() {
            let at = batch.start as usize + i;
            let (d, a, b) = (d as usize, a as usize, b as usize);
            let value = match batch.kind {
                Kind::Add => S::binary(BinOp::Add, r[a], r[b]),
                Kind::Sub => S::binary(BinOp::Sub, r[a], r[b]),
                Kind::Mul => S::binary(BinOp::Mul, r[a], r[b]),
                Kind::Div => S::binary(BinOp::Div, r[a], r[b]),
                Kind::Binary(op) => S::binary(op, r[a], r[b]),
                Kind::Unary(func) => S::unary(func, r[a]),
                Kind::Copy => Some(r[a]),
                Kind::Accumulate => {
                    let mut total = (r[d], r[d + 1]);
                    S::accumulate_one(&mut total, r[a]).ok_or(at)?;
                    r[d + 1] = total.1;
                    Some(total.0)
                }
                Kind::Sum => S::binary(BinOp::Add, r[a], r[a + 1]),
                Kind::Mean => S::binary(BinOp::Add, r[a], r[a + 1])
                    .and_then(|total| S::binary(BinOp::Div, total, r[b])),
            };
            r[d] = value.ok_or(at)?;
        }
        Ok(())
    }
}

/// A register file known to hold every register of a block, read and written
/// without a bounds check per access: the interpreter's hot loops spend about a fifth
/// of their time on those checks otherwise.
///
/// Sound because a [`Block`] is made only by its builder (its fields are private),
/// which sets `Block::registers` above every register its operations use, and
/// [`Registers::new`] refuses a file shorter than that.
struct Registers<'r, S>(&'r mut [S]);

impl<'r, S: Copy> Registers<'r, S> {
    fn new(r: &'r mut [S], block: &Block) -> Option<Registers<'r, S>> {
        (r.len() >= block.registers).then_some(Registers(r))
    }

    #[inline(always)]
    fn get(&self, i: u32) -> S {
        debug_assert!((i as usize) < self.0.len());
        // SAFETY: `i` is a register of the block, below `block.registers <= len`.
        unsafe { *self.0.get_unchecked(i as usize) }
    }

    #[inline(always)]
    fn set(&mut self, i: u32, value: S) {
        debug_assert!((i as usize) < self.0.len());
        // SAFETY: as in `get`.
        unsafe { *self.0.get_unchecked_mut(i as usize) = value }
    }
}

/// An operation before scheduling.
struct Pending {
    kind: Kind,
    op: [u32; 3],
    level: u32,
    origin: (NodeId, u32),
}

struct Builder<'t> {
    tape: &'t Tape,
    /// The level of each register's value (0: an input or constant).
    level: Vec<u32>,
    next: u32,
    pending: Vec<Pending>,
    block: Block,
}

impl<'t> Builder<'t> {
    fn new(tape: &'t Tape) -> Builder<'t> {
        let next = first_free_register(tape).0;
        Builder {
            tape,
            level: vec![0; next as usize],
            next,
            pending: Vec::new(),
            block: Block::default(),
        }
    }

    fn fresh(&mut self) -> u32 {
        self.next += 1;
        self.level.push(0);
        self.next - 1
    }

    /// Adds `dst = kind(a, b)`, one level above its operands.
    fn push(&mut self, kind: Kind, op: [u32; 3], origin: (NodeId, u32)) {
        self.push_from(kind, op, origin, 0);
    }

    /// [`Builder::push`] at level `at_least` or above.
    fn push_from(&mut self, kind: Kind, op: [u32; 3], origin: (NodeId, u32), at_least: u32) {
        let [d, a, b] = op;
        let mut level = (self.level[a as usize].max(self.level[b as usize]) + 1).max(at_least);
        if matches!(kind, Kind::Accumulate) {
            // The running sum is read and written: after the previous addition.
            level = level.max(self.level[d as usize] + 1);
        }
        if matches!(kind, Kind::Sum | Kind::Mean) {
            level = level.max(self.level[a as usize + 1] + 1);
        }
        self.level[d as usize] = level;
        if matches!(kind, Kind::Accumulate) {
            self.level[d as usize + 1] = level;
        }
        self.pending.push(Pending {
            kind,
            op,
            level,
            origin,
        });
    }

    fn scalar(&mut self, instr: &Instr) {
        let rows = rows_register(self.tape).0;
        match *instr {
            Instr::Load { dst, var, node } => {
                self.block.loads.push(Load {
                    var,
                    node,
                    register: Register(dst.0),
                });
            }
            Instr::Unary {
                func: Func::Mean,
                dst,
                a,
                node,
            } => self.push(Kind::Copy, [dst.0, a.0, a.0], (node, 0)),
            Instr::Unary { func, dst, a, node } => {
                self.push(Kind::Unary(func), [dst.0, a.0, a.0], (node, 0))
            }
            Instr::Binary {
                op,
                dst,
                a,
                b,
                node,
            } => self.push(kind_of(op), [dst.0, a.0, b.0], (node, 0)),
            Instr::SumScalar { dst, a, node } => {
                self.push(Kind::Mul, [dst.0, rows, a.0], (node, 0))
            }
            Instr::Reduce {
                dst,
                acc,
                mean,
                node,
            } => {
                let kind = if mean { Kind::Mean } else { Kind::Sum };
                let a = accumulator_register(self.tape, acc);
                self.push(kind, [dst.0, a, rows], (node, 0));
            }
            _ => {}
        }
    }

    /// Row `row` of a row pass, as scalar operations on fresh registers.
    fn row(&mut self, instrs: &[Instr], row: u32) {
        let mut slots = vec![0u32; self.tape.row_slots];
        let mut inputs: Vec<(Operand, u32)> = Vec::new();
        let origin = |node: NodeId| (node, row + 1);
        let mut sums = Vec::new();
        for instr in instrs {
            match *instr {
                Instr::RowUnary { func, dst, a, node } => {
                    let a = self.operand(a, row, &slots, &mut inputs);
                    let d = self.fresh();
                    let kind = if func == Func::Mean {
                        Kind::Copy
                    } else {
                        Kind::Unary(func)
                    };
                    self.push(kind, [d, a, a], origin(node));
                    slots[dst.0 as usize] = d;
                }
                Instr::RowBinary {
                    op,
                    dst,
                    a,
                    b,
                    node,
                } => {
                    let a = self.operand(a, row, &slots, &mut inputs);
                    let b = self.operand(b, row, &slots, &mut inputs);
                    let d = self.fresh();
                    self.push(kind_of(op), [d, a, b], origin(node));
                    slots[dst.0 as usize] = d;
                }
                Instr::RowDot {
                    dst,
                    ref terms,
                    node,
                } => {
                    // Written out again: the products, then the sums left to right.
                    let mut total = None;
                    for &(a, b) in terms.iter() {
                        let a = self.operand(a, row, &slots, &mut inputs);
                        let v = match b {
                            Some(b) => {
                                let b = self.operand(b, row, &slots, &mut inputs);
                                let d = self.fresh();
                                self.push(kind_of(BinOp::Mul), [d, a, b], origin(node));
                                d
                            }
                            None => a,
                        };
                        total = Some(match total {
                            None => v,
                            Some(t) => {
                                let d = self.fresh();
                                self.push(kind_of(BinOp::Add), [d, t, v], origin(node));
                                d
                            }
                        });
                    }
                    slots[dst.0 as usize] = total.unwrap_or(0);
                }
                Instr::AccumulateProduct { acc, a, b, node } => {
                    let a = self.operand(a, row, &slots, &mut inputs);
                    let b = self.operand(b, row, &slots, &mut inputs);
                    let p = self.fresh();
                    self.push(kind_of(BinOp::Mul), [p, a, b], origin(node));
                    let d = accumulator_register(self.tape, acc);
                    sums.push(([d, p, p], origin(node)));
                }
                Instr::AccumulateProducts { a, ref terms } => {
                    let a = self.operand(a, row, &slots, &mut inputs);
                    for &(acc, b, node) in terms.iter() {
                        let b = self.operand(b, row, &slots, &mut inputs);
                        let p = self.fresh();
                        self.push(kind_of(BinOp::Mul), [p, a, b], origin(node));
                        let d = accumulator_register(self.tape, acc);
                        sums.push(([d, p, p], origin(node)));
                    }
                }
                Instr::Accumulate { acc, a, node } => {
                    let a = self.operand(a, row, &slots, &mut inputs);
                    let d = accumulator_register(self.tape, acc);
                    sums.push(([d, a, a], origin(node)));
                }
                Instr::Store { out, a, .. } => {
                    let a = self.operand(a, row, &slots, &mut inputs);
                    self.block.stores.push((out, Register(a)));
                }
                _ => {}
            }
        }
        // The row's additions to the running sums all at one level (one batch), after
        // every value they add and the previous row's additions.
        let level = |r: u32| self.level[r as usize] + 1;
        let at = sums
            .iter()
            .map(|([d, a, _], _)| level(*d).max(level(*a)))
            .max();
        for (op, origin) in sums {
            self.push_from(Kind::Accumulate, op, origin, at.unwrap_or(0));
        }
    }

    /// The register holding `operand` in row `row`.
    fn operand(
        &mut self,
        operand: Operand,
        row: u32,
        slots: &[u32],
        inputs: &mut Vec<(Operand, u32)>,
    ) -> u32 {
        match operand {
            Operand::Scalar(s) => s.0,
            // Written by an earlier instruction of the row (see `compile`).
            Operand::Row(s) => slots[s.index()],
            Operand::Data(_) | Operand::Column(_) => {
                if let Some(&(_, r)) = inputs.iter().find(|(o, _)| *o == operand) {
                    return r;
                }
                let r = self.fresh();
                inputs.push((operand, r));
                self.block.row_inputs.push(RowInput {
                    operand,
                    row,
                    register: Register(r),
                });
                r
            }
        }
    }

    /// Orders the operations by level, groups each level's by kind, and cuts batches.
    /// With `reuse`, values that live only inside the block share registers by
    /// liveness (every other register is kept: `checks` are read after the run).
    fn finish(mut self, checks: Vec<u32>, reuse: bool) -> Block {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|p| (p.level, p.kind.key()));
        if reuse {
            self.next = reuse_registers(&mut pending, &checks, self.next);
        }
        let mut block = self.block;
        // Every register read or written, and the one after it (an accumulator's or a
        // sum's second register), is below `registers`: what makes the unchecked
        // access of `Registers` sound, whatever tape the block was built from.
        let highest = pending
            .iter()
            .flat_map(|p| p.op)
            .chain(checks.iter().copied());
        let end = highest.map(|r| r as usize + 2).max().unwrap_or(0);
        block.registers = end.max(self.next as usize);
        block.checks = checks;
        let mut previous: Option<(u32, Kind)> = None;
        for (i, p) in pending.iter().enumerate() {
            if previous != Some((p.level, p.kind)) {
                block.batches.push(Batch {
                    kind: p.kind,
                    start: i as u32,
                    end: i as u32,
                });
                previous = Some((p.level, p.kind));
            }
            if let Some(batch) = block.batches.last_mut() {
                batch.end += 1;
            }
            block.ops.push(p.op);
            block.origins.push(p.origin);
        }
        block
    }
}

/// Moves the values written and read only inside the block (not `kept`, not running
/// sums) to registers from `next` up, reused once a value's last reader has run: the
/// registers a run touches then stay few (in the L1 cache) however long the block.
/// `pending` is in batch order; a register freed by a batch is reused from the next
/// batch on, never within one (its operations run as a group). Returns the new `next`.
fn reuse_registers(pending: &mut [Pending], kept: &[u32], next: u32) -> u32 {
    let n = next as usize;
    let mut movable = vec![false; n];
    for p in pending.iter() {
        if p.kind != Kind::Accumulate {
            movable[p.op[0] as usize] = true;
        }
    }
    for &k in kept {
        if let Some(m) = movable.get_mut(k as usize) {
            *m = false;
        }
    }
    let batch_starts: Vec<usize> = (0..pending.len())
        .filter(|&i| {
            i == 0
                || (pending[i - 1].level, pending[i - 1].kind)
                    != (pending[i].level, pending[i].kind)
        })
        .chain([pending.len()])
        .collect();
    // The batch that last reads each value.
    let mut last = vec![usize::MAX; n];
    for (batch, w) in batch_starts.windows(2).enumerate() {
        for p in &pending[w[0]..w[1]] {
            last[p.op[1] as usize] = batch;
            last[p.op[2] as usize] = batch;
        }
    }
    let mut moved = vec![u32::MAX; n];
    let mut released = vec![false; n];
    let mut free: Vec<u32> = Vec::new();
    let mut top = next;
    for (batch, w) in batch_starts.windows(2).enumerate() {
        let ops = &mut pending[w[0]..w[1]];
        let mut dying = Vec::new();
        for p in ops.iter_mut() {
            for k in 1..3 {
                let r = p.op[k] as usize;
                if movable[r] {
                    p.op[k] = moved[r];
                    if last[r] == batch && !released[r] {
                        released[r] = true;
                        dying.push(moved[r]);
                    }
                }
            }
        }
        for p in ops.iter_mut() {
            let d = p.op[0] as usize;
            if movable[d] {
                let register = free.pop().unwrap_or_else(|| {
                    top += 1;
                    top - 1
                });
                moved[d] = register;
                p.op[0] = register;
                if last[d] == usize::MAX {
                    dying.push(register); // never read
                }
            }
        }
        free.extend(dying);
    }
    top
}

fn kind_of(op: BinOp) -> Kind {
    match op {
        BinOp::Add => Kind::Add,
        BinOp::Sub => Kind::Sub,
        BinOp::Mul => Kind::Mul,
        BinOp::Div => Kind::Div,
        other => Kind::Binary(other),
    }
}
