//! Compiling graph outputs into a [`Tape`]: levels, phases, slots reused by liveness.
//! The tape is a linear list of instructions per phase; scheduling its scalar code into
//! batches is a separate step (`block.rs`, done when a workspace is made).

use crate::graph::{BinOp, ColumnId, Func, Graph, NodeId, Op, Shape, VarId, VarKind};
use crate::syntax::Number;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt;

mod rows;

/// Defines an index type of one of the tape's index spaces, printed with its prefix.
macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) struct $name(pub(crate) u32);

        impl $name {
            /// The index, for a vector of this space.
            pub(crate) fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

index_type!(
    /// A scalar slot: a value computed once per call (prints as `s3`).
    ScalarSlot,
    "s"
);
index_type!(
    /// A row slot: one value per row of the current chunk (prints as `r3`).
    RowSlot,
    "r"
);
index_type!(
    /// A running sum over the rows of a pass (prints as `acc3`).
    Accumulator,
    "acc"
);
index_type!(
    /// A row output: the values of an output that has one per row (prints as `out3`).
    RowOutput,
    "out"
);
index_type!(
    /// A data column the tape reads, by its place in [`Tape::data`] (prints as `data3`).
    DataColumn,
    "data"
);
index_type!(
    /// A vector literal the tape reads, by its place in [`Tape::columns`] (prints as `vec3`).
    Literal,
    "vec"
);

/// Where an instruction reads a value from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Operand {
    /// A scalar slot (the same in every row).
    Scalar(ScalarSlot),
    /// A row slot of the current chunk.
    Row(RowSlot),
    /// A data column.
    Data(DataColumn),
    /// A vector literal.
    Column(Literal),
}

/// Where an output of the tape is after a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Output {
    /// A scalar slot.
    Scalar(ScalarSlot),
    /// A row output buffer.
    Rows(RowOutput),
}

/// One instruction. Fields are named by role: `dst` is written, `a` and `b` are read,
/// `node` is the graph node computed (for error spans).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Instr {
    /// `dst = constant`
    Const {
        dst: ScalarSlot,
        value: Box<Number>,
        node: NodeId,
    },
    /// `dst = π` or `e`.
    Named { dst: ScalarSlot, op: Op },
    /// `dst = value of a param or free variable`
    Load {
        dst: ScalarSlot,
        var: VarId,
        node: NodeId,
    },
    /// `dst = f(a)` on scalars.
    Unary {
        func: Func,
        dst: ScalarSlot,
        a: ScalarSlot,
        node: NodeId,
    },
    /// `dst = a op b` on scalars.
    Binary {
        op: BinOp,
        dst: ScalarSlot,
        a: ScalarSlot,
        b: ScalarSlot,
        node: NodeId,
    },
    /// `dst = N * a` (the sum over the rows of a scalar).
    SumScalar {
        dst: ScalarSlot,
        a: ScalarSlot,
        node: NodeId,
    },
    /// `dst = f(a)` over the chunk.
    RowUnary {
        func: Func,
        dst: RowSlot,
        a: Operand,
        node: NodeId,
    },
    /// `dst = a op b` over the chunk.
    RowBinary {
        op: BinOp,
        dst: RowSlot,
        a: Operand,
        b: Operand,
        node: NodeId,
    },
    /// `dst = a₀·b₀ + a₁·b₁ + …` over the chunk, left to right (a term without `b`
    /// adds `a`): a written-out `dot` in one pass (`fuse.rs`).
    RowDot {
        dst: RowSlot,
        terms: Box<[(Operand, Option<Operand>)]>,
        node: NodeId,
    },
    /// Adds the chunk's values of `a·b` to accumulator `acc` (`fuse.rs`).
    AccumulateProduct {
        acc: Accumulator,
        a: Operand,
        b: Operand,
        node: NodeId,
    },
    /// For each `(acc, b, node)`: adds the chunk's values of `a·b` to `acc` (a run of
    /// summed products with one factor in common, `fuse.rs`).
    AccumulateProducts {
        a: Operand,
        terms: Box<[(Accumulator, Operand, NodeId)]>,
    },
    /// Adds the chunk's values of `a` to accumulator `acc`.
    Accumulate {
        acc: Accumulator,
        a: Operand,
        node: NodeId,
    },
    /// Copies the chunk's values of `a` (node `node`) into row output `out`.
    Store {
        out: RowOutput,
        a: Operand,
        node: NodeId,
    },
    /// After a row pass: `dst = acc` (sum) or `acc / N` (mean).
    Reduce {
        dst: ScalarSlot,
        acc: Accumulator,
        mean: bool,
        node: NodeId,
    },
}

/// The instructions of one level: scalars, then a row pass, then its reductions.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Phase {
    /// Evaluated once per call.
    pub(crate) scalar: Vec<Instr>,
    /// Evaluated for every chunk of rows.
    pub(crate) rows: Vec<Instr>,
    /// Evaluated once after the row pass.
    pub(crate) reduce: Vec<Instr>,
}

/// A compiled set of graph outputs: what [`compile`] makes and `Display` lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tape {
    /// The phases, in order.
    pub(crate) phases: Vec<Phase>,
    /// Where each output is.
    pub(crate) outputs: Vec<Output>,
    /// How many scalar slots.
    pub(crate) scalar_slots: usize,
    /// How many row slots (the most live at once in any pass).
    pub(crate) row_slots: usize,
    /// The node of each accumulator's `sum` or `mean` (for errors).
    pub(crate) accumulators: Vec<NodeId>,
    /// How many row outputs.
    pub(crate) row_outputs: usize,
    /// The data columns read, by variable.
    pub(crate) data: Vec<VarId>,
    /// The vector literals read, with their nodes.
    pub(crate) columns: Vec<(ColumnId, NodeId)>,
    /// Constants (`Const` and `Named` instructions), hoisted: evaluated once when a
    /// workspace is made, not on every run.
    pub(crate) constants: Vec<Instr>,
}

impl Tape {
    /// How many phases (levels of reductions) the tape has: one more than the deepest
    /// nesting of `sum`/`mean` over rows inside per-row expressions.
    pub fn phase_count(&self) -> usize {
        self.phases.len()
    }

    /// The data columns the tape reads, in the order its inputs must give them.
    pub fn data(&self) -> &[VarId] {
        &self.data
    }
}

/// Compiles `outputs` (and everything they depend on) into a tape.
pub fn compile(graph: &Graph, outputs: &[NodeId]) -> Tape {
    let mut c = Compiler {
        graph,
        tape: Tape::default(),
        level: HashMap::new(),
        scalar_slot: HashMap::new(),
        data_index: HashMap::new(),
        column_index: HashMap::new(),
    };
    c.compile(outputs);
    c.tape
}

struct Compiler<'a> {
    graph: &'a Graph,
    tape: Tape,
    level: HashMap<NodeId, usize>,
    scalar_slot: HashMap<NodeId, ScalarSlot>,
    data_index: HashMap<VarId, DataColumn>,
    column_index: HashMap<ColumnId, Literal>,
}

impl Compiler<'_> {
    fn compile(&mut self, outputs: &[NodeId]) {
        let order = self.graph.reachable(outputs);
        let mut top = 0;
        for &id in &order {
            let level = self.level_of(id);
            top = top.max(level);
            self.level.insert(id, level);
        }
        self.tape.phases = vec![Phase::default(); top + 1];
        for &id in &order {
            self.emit_scalar(id);
        }
        let row_outputs: Vec<(usize, NodeId)> = outputs
            .iter()
            .copied()
            .filter(|&o| self.is_computed_row(o))
            .enumerate()
            .collect();
        self.tape.row_outputs = row_outputs.len();
        for phase in 0..=top {
            self.emit_row_pass(phase, &order, &row_outputs);
        }
        let mut next_row_output = 0;
        self.tape.outputs = outputs
            .iter()
            .map(|&o| self.output_operand(o, &mut next_row_output))
            .collect();
    }

    fn is_computed_row(&self, id: NodeId) -> bool {
        self.graph.shape(id) == Shape::Rows
    }

    fn output_operand(&mut self, id: NodeId, next: &mut u32) -> Output {
        if self.graph.shape(id) == Shape::Scalar {
            return Output::Scalar(self.scalar_slot[&id]);
        }
        *next += 1;
        Output::Rows(RowOutput(*next - 1))
    }

    /// The pass a node can be computed in: one more than any rows reduced below it.
    fn level_of(&self, id: NodeId) -> usize {
        let level = |n: NodeId| self.level.get(&n).copied().unwrap_or(0);
        match self.graph.op(id) {
            Op::Unary(f, a) if f.is_reduction() && self.graph.shape(a) == Shape::Rows => {
                level(a) + 1
            }
            op => op.operands().map(level).max().unwrap_or(0),
        }
    }

    fn new_scalar(&mut self, id: NodeId) -> ScalarSlot {
        let slot = ScalarSlot(self.tape.scalar_slots as u32);
        self.tape.scalar_slots += 1;
        self.scalar_slot.insert(id, slot);
        slot
    }

    /// Emits a scalar node into its level's scalar part (reductions of rows into the
    /// reduce part of the level below).
    fn emit_scalar(&mut self, id: NodeId) {
        if self.graph.shape(id) != Shape::Scalar {
            return;
        }
        let level = self.level[&id];
        let dst = self.new_scalar(id);
        let slot = |c: &Self, n: NodeId| c.scalar_slot[&n];
        let instr = match self.graph.op(id) {
            Op::Const(c) => Instr::Const {
                dst,
                value: Box::new(c.0),
                node: id,
            },
            op @ (Op::Pi | Op::Euler) => Instr::Named { dst, op },
            // Never reached: `Compiled` writes a shaped graph out by components before
            // compiling it (`graph::components`); NaN keeps a misuse visible.
            Op::Fill(..) | Op::Tensor(_) | Op::Index(..) | Op::Item(..) | Op::Product(..) => {
                Instr::Const {
                    dst,
                    value: Box::new(crate::syntax::Number::from_f64(f64::NAN)),
                    node: id,
                }
            }
            Op::Var(var) => Instr::Load { dst, var, node: id },
            Op::Unary(f, a) if f.is_reduction() && self.graph.shape(a) == Shape::Rows => {
                let acc = Accumulator(self.tape.accumulators.len() as u32);
                self.tape.accumulators.push(id);
                let reduce = Instr::Reduce {
                    dst,
                    acc,
                    mean: f == Func::Mean,
                    node: id,
                };
                self.tape.phases[level - 1].reduce.push(reduce);
                return;
            }
            Op::Unary(Func::Sum, a) => Instr::SumScalar {
                dst,
                a: slot(self, a),
                node: id,
            },
            Op::Unary(Func::Mean, a) => Instr::Unary {
                func: Func::Mean,
                dst,
                a: slot(self, a),
                node: id,
            },
            Op::Unary(func, a) => Instr::Unary {
                func,
                dst,
                a: slot(self, a),
                node: id,
            },
            Op::Binary(op, a, b) => {
                let (op, a, b) = self.binary(op, a, b);
                Instr::Binary {
                    op,
                    dst,
                    a: slot(self, a),
                    b: slot(self, b),
                    node: id,
                }
            }
            Op::Column(_) => return,
        };
        if matches!(instr, Instr::Const { .. } | Instr::Named { .. }) {
            self.tape.constants.push(instr);
        } else {
            self.tape.phases[level].scalar.push(instr);
        }
    }

    /// Emits the row pass of `phase`: every per-row node that a reduction of this phase,
    /// or a row output computed in it, needs (recomputing rows of earlier passes).
    fn emit_row_pass(&mut self, phase: usize, order: &[NodeId], row_outputs: &[(usize, NodeId)]) {
        let mut targets: Vec<NodeId> = Vec::new();
        let mut accumulate: Vec<(NodeId, NodeId)> = Vec::new();
        for &id in order {
            if let Op::Unary(f, a) = self.graph.op(id)
                && f.is_reduction()
                && self.graph.shape(a) == Shape::Rows
                && self.level[&id] == phase + 1
            {
                targets.push(a);
                accumulate.push((id, a));
            }
        }
        let stores: Vec<(usize, NodeId)> = row_outputs
            .iter()
            .copied()
            .filter(|(_, o)| self.level[o] == phase)
            .collect();
        targets.extend(stores.iter().map(|(_, o)| *o));
        if targets.is_empty() {
            return;
        }
        let rows = self.rows_needed(&targets);
        self.emit_rows(phase, &rows, &accumulate, &stores);
    }

    /// The computed per-row nodes the targets need, in order, without crossing scalars.
    fn rows_needed(&self, targets: &[NodeId]) -> Vec<NodeId> {
        let mut marked: HashMap<NodeId, bool> = HashMap::new();
        let mut stack: Vec<NodeId> = targets.to_vec();
        while let Some(n) = stack.pop() {
            if marked.contains_key(&n) || !self.is_computed(n) {
                continue;
            }
            marked.insert(n, true);
            stack.extend(self.graph.op(n).operands());
        }
        let mut rows: Vec<NodeId> = marked.into_keys().collect();
        rows.sort();
        rows
    }

    /// The operation that computes `a op b`: `a^2` as `a*a`, which is the same value
    /// in f64 and in decimal without a power function.
    fn binary(&self, op: BinOp, a: NodeId, b: NodeId) -> (BinOp, NodeId, NodeId) {
        let two = |n: NodeId| match self.graph.op(n) {
            Op::Const(c) => c.0.value == 2.0 && c.0.exact.is_none_or(|d| d == Decimal::TWO),
            _ => false,
        };
        if op == BinOp::Pow && two(b) {
            (BinOp::Mul, a, a)
        } else {
            (op, a, b)
        }
    }

    /// A per-row node that an instruction computes (not data, not a literal vector).
    fn is_computed(&self, n: NodeId) -> bool {
        self.graph.shape(n) == Shape::Rows
            && !matches!(self.graph.op(n), Op::Var(_) | Op::Column(_))
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Scalar(s) => write!(f, "{s}"),
            Operand::Row(s) => write!(f, "{s}"),
            Operand::Data(k) => write!(f, "{k}"),
            Operand::Column(k) => write!(f, "{k}"),
        }
    }
}

impl fmt::Display for Instr {
    /// One line of a tape listing: `s3 = mul s1 s2`, `r0 = exp r1`, `acc0 += r2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instr::Const { dst, value, .. } => write!(f, "{dst} = {value}"),
            Instr::Named { dst, op } => {
                write!(f, "{dst} = {}", if *op == Op::Pi { "pi" } else { "e" })
            }
            Instr::Load { dst, var, .. } => write!(f, "{dst} = load {var}"),
            Instr::Unary { func, dst, a, .. } => write!(f, "{dst} = {} {a}", func_name(*func)),
            Instr::Binary { op, dst, a, b, .. } => write!(f, "{dst} = {} {a} {b}", op_name(*op)),
            Instr::SumScalar { dst, a, .. } => write!(f, "{dst} = rows * {a}"),
            Instr::RowUnary { func, dst, a, .. } => write!(f, "{dst} = {} {a}", func_name(*func)),
            Instr::RowBinary { op, dst, a, b, .. } => {
                write!(f, "{dst} = {} {a} {b}", op_name(*op))
            }
            Instr::RowDot { dst, terms, .. } => {
                write!(f, "{dst} = dot")?;
                for (a, b) in terms {
                    match b {
                        Some(b) => write!(f, " {a}*{b}")?,
                        None => write!(f, " {a}")?,
                    }
                }
                Ok(())
            }
            Instr::AccumulateProduct { acc, a, b, .. } => write!(f, "{acc} += {a}*{b}"),
            Instr::AccumulateProducts { a, terms } => {
                for (k, (acc, b, _)) in terms.iter().enumerate() {
                    let sep = if k == 0 { "" } else { "; " };
                    write!(f, "{sep}{acc} += {a}*{b}")?;
                }
                Ok(())
            }
            Instr::Accumulate { acc, a, .. } => write!(f, "{acc} += {a}"),
            Instr::Store { out, a, .. } => write!(f, "{out} <- {a}"),
            Instr::Reduce { dst, acc, mean, .. } => {
                write!(f, "{dst} = {} {acc}", if *mean { "mean" } else { "sum" })
            }
        }
    }
}

fn func_name(func: Func) -> &'static str {
    match func {
        Func::Neg => "neg",
        other => other.name(),
    }
}

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "div",
        BinOp::Pow => "pow",
        BinOp::Max => "max",
        BinOp::Min => "min",
    }
}

impl fmt::Display for Tape {
    /// The listing: each phase's scalar part, row pass and reductions, then the outputs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let used = self
            .phases
            .iter()
            .filter(|p| p.scalar.len() + p.rows.len() + p.reduce.len() > 0);
        for (i, phase) in used.enumerate() {
            writeln!(f, "phase {i}:")?;
            for instr in &phase.scalar {
                writeln!(f, "  {instr}")?;
            }
            if !phase.rows.is_empty() {
                writeln!(f, "  for each row:")?;
                for instr in &phase.rows {
                    writeln!(f, "    {instr}")?;
                }
            }
            for instr in &phase.reduce {
                writeln!(f, "  {instr}")?;
            }
        }
        let outputs: Vec<String> = self
            .outputs
            .iter()
            .map(|o| match o {
                Output::Rows(out) => out.to_string(),
                Output::Scalar(s) => s.to_string(),
            })
            .collect();
        write!(f, "outputs: {}", outputs.join(", "))
    }
}
