//! Running a [`Tape`]: scalar blocks, row passes (written out in a block for a few
//! rows, in chunks otherwise: `chunks.rs`), compensated reductions.

use super::block::{self, Block, Origin};
use super::chunks::{Buffers, Shared, row_pass};
use super::compile::{Instr, Operand, Output, Tape};
use crate::eval::{DomainError, DomainKind};
use crate::graph::{BinOp, Graph, NodeId, Op, VarId};
use crate::numbers::Scalar;

/// The values a tape reads: params and free names, data columns, the row count.
pub(crate) struct Inputs<'a, S> {
    /// The value of each scalar variable, by variable index.
    pub(crate) scalars: &'a [Option<S>],
    /// The rows of each data column the tape reads, in the order of [`Tape::data`].
    pub(crate) data: &'a [Vec<S>],
    /// The number of rows (1 when there is no data).
    pub(crate) rows: usize,
}

/// Reusable buffers, so that repeated runs (a descent) allocate nothing.
#[derive(Debug, Clone)]
pub(crate) struct Workspace<S> {
    /// A constant of the tape that does not fit `S` (then every run fails).
    bad_constant: Option<NodeId>,
    /// Each phase's scalar code scheduled into batches (for passes over many rows).
    scalar_parts: Vec<Block>,
    /// The register file: the tape's scalar slots first (constants set once), then
    /// the row count, the accumulators and the registers of written-out rows.
    registers: Vec<S>,
    /// The row slots of a chunk and the row outputs.
    buffers: Buffers<S>,
    accumulators: Vec<(S, S)>,
    columns: Vec<Vec<S>>,
    /// The whole tape as one block, by the number of rows written out (made on first
    /// use: a mini-batch may have a different count).
    whole: Vec<Option<Block>>,
    /// Which of `whole` has its rows of data in the registers.
    loaded: Option<usize>,
}

impl<S: Scalar> Workspace<S> {
    /// Buffers sized for `tape`.
    pub(crate) fn new(tape: &Tape) -> Workspace<S> {
        let mut registers = vec![S::ZERO; block::first_free_register(tape).index()];
        let mut bad_constant = None;
        for instr in &tape.constants {
            match instr {
                Instr::Const { dst, value, node } => match S::from_number(value) {
                    Some(v) => registers[dst.index()] = v,
                    // Outside S's range (a decimal beyond 7.9e28): every run fails.
                    None => bad_constant = bad_constant.or(Some(*node)),
                },
                Instr::Named { dst, op } => {
                    registers[dst.index()] = if *op == Op::Pi { S::pi() } else { S::euler() };
                }
                _ => {}
            }
        }
        Workspace {
            bad_constant,
            scalar_parts: tape
                .phases
                .iter()
                .map(|phase| Block::scalar_part(tape, phase))
                .collect(),
            registers,
            buffers: Buffers::new(tape.row_slots, tape.row_outputs),
            accumulators: vec![(S::ZERO, S::ZERO); tape.accumulators.len()],
            columns: Vec::new(),
            whole: Vec::new(),
            loaded: None,
        }
    }

    /// Row output `out` after a run, one value per row.
    pub(crate) fn row_output(&self, out: super::compile::RowOutput) -> Option<&[S]> {
        self.buffers.row_outputs.get(out.index()).map(Vec::as_slice)
    }

    /// To call when the data changes (a mini-batch): the rows in the registers are
    /// stale.
    pub(crate) fn rows_changed(&mut self) {
        self.loaded = None;
    }

    /// The value of scalar output `k` after a run.
    pub(crate) fn scalar(&self, tape: &Tape, k: usize) -> Option<S> {
        match tape.outputs.get(k)? {
            Output::Scalar(s) => self.registers.get(s.index()).copied(),
            Output::Rows(_) => None,
        }
    }
}

/// Runs the tape; afterwards [`Workspace::scalar`] and [`Workspace::row_output`] hold
/// the outputs. A value outside a domain or range stops the run with the node's span
/// and row (params are filled in by the caller, who knows their names).
pub(crate) fn run<S: Scalar>(
    graph: &Graph,
    tape: &Tape,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
) -> Result<(), DomainError> {
    let result = match run_phases(graph, tape, inputs, work, S::DEFERRED_CHECKS) {
        // Something left the domain in the unchecked run, maybe before the operation
        // that noticed: find the first one, with checks.
        Err(_) if S::DEFERRED_CHECKS => run_phases(graph, tape, inputs, work, false),
        other => other,
    };
    result.map_err(|f| domain_error(graph, f, S::RANGE_ERROR))
}

fn run_phases<S: Scalar>(
    graph: &Graph,
    tape: &Tape,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    unchecked: bool,
) -> Result<(), Failure> {
    load_columns(graph, tape, work)?;
    if let Some(node) = work.bad_constant {
        return Err(Failure::Constant(node));
    }
    for out in &mut work.buffers.row_outputs {
        out.clear();
    }
    work.registers[block::rows_register(tape).index()] = S::from_usize(inputs.rows);
    let has_rows = tape.phases.iter().any(|p| !p.rows.is_empty());
    if !has_rows || inputs.rows <= FEW_ROWS {
        run_whole(
            tape,
            if has_rows { inputs.rows } else { 0 },
            inputs,
            work,
            unchecked,
        )
    } else {
        run_chunked(tape, inputs, work, unchecked)
    }
}

/// Runs the tape as one block with the rows written out (a tape without rows, or with
/// a handful): one register file, batches across rows and phases.
fn run_whole<S: Scalar>(
    tape: &Tape,
    rows: usize,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    unchecked: bool,
) -> Result<(), Failure> {
    let Workspace {
        registers,
        buffers,
        columns,
        whole,
        loaded,
        ..
    } = work;
    if whole.len() <= rows {
        whole.resize(rows + 1, None);
    }
    let block = whole[rows].get_or_insert_with(|| Block::whole(tape, rows));
    if registers.len() < block.registers() {
        registers.resize(block.registers(), S::ZERO);
    }
    for r in block::accumulator_registers(tape) {
        registers[r] = S::ZERO;
    }
    load_params(block, inputs, registers)?;
    // The data stays in its registers from one run to the next (a descent changes
    // only the params) until the rows change or another block uses the registers.
    if *loaded != Some(rows) {
        load_rows(block, inputs, columns, registers);
        *loaded = Some(rows);
    }
    run_block(block, registers, unchecked)?;
    for &(out, register) in &block.stores {
        buffers.row_outputs[out.index()].push(registers[register.index()]);
    }
    Ok(())
}

/// Runs each phase: its scalar block, its row pass chunk by chunk, its reductions.
fn run_chunked<S: Scalar>(
    tape: &Tape,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    unchecked: bool,
) -> Result<(), Failure> {
    for (phase, block) in tape.phases.iter().zip(&work.scalar_parts) {
        load_params(block, inputs, &mut work.registers)?;
        run_block(block, &mut work.registers, unchecked)?;
        if !phase.rows.is_empty() {
            for acc in &mut work.accumulators {
                *acc = (S::ZERO, S::ZERO);
            }
            let shared = Shared {
                inputs,
                registers: &work.registers,
                columns: &work.columns,
                accumulators: &tape.accumulators,
            };
            row_pass(phase, &shared, &mut work.buffers, &mut work.accumulators)?;
        }
        for instr in &phase.reduce {
            if let Instr::Reduce {
                dst,
                acc,
                mean,
                node,
            } = *instr
            {
                let (sum, compensation) = work.accumulators[acc.index()];
                let mut total = checked(S::binary(BinOp::Add, sum, compensation), node, None)?;
                if mean {
                    let n = S::from_usize(inputs.rows);
                    total = checked(S::binary(BinOp::Div, total, n), node, None)?;
                }
                work.registers[dst.index()] = total;
            }
        }
    }
    Ok(())
}

/// Loads a block's params and free variables into their registers.
fn load_params<S: Scalar>(
    block: &Block,
    inputs: &Inputs<'_, S>,
    registers: &mut [S],
) -> Result<(), Failure> {
    for load in &block.loads {
        registers[load.register.index()] =
            checked(scalar_input(inputs, load.var), load.node, None)?;
    }
    Ok(())
}

/// Loads the rows of data columns and vector literals a block reads (each column of
/// the inputs holds `inputs.rows` values, each literal as many: the program checked
/// their lengths).
fn load_rows<S: Scalar>(
    block: &Block,
    inputs: &Inputs<'_, S>,
    columns: &[Vec<S>],
    registers: &mut [S],
) {
    for input in &block.row_inputs {
        let column = match input.operand {
            Operand::Data(k) => &inputs.data[k.index()],
            Operand::Column(k) => &columns[k.index()],
            Operand::Scalar(_) | Operand::Row(_) => continue,
        };
        registers[input.register.index()] = column[input.row as usize];
    }
}

/// Runs a block, unchecked (a bad value anywhere asks for a checked run) or checked.
fn run_block<S: Scalar>(
    block: &Block,
    registers: &mut [S],
    unchecked: bool,
) -> Result<(), Failure> {
    if unchecked {
        return match block.run_unchecked(registers) {
            true => Ok(()),
            false => Err(Failure::Recheck),
        };
    }
    block
        .run_checked(registers)
        .map_err(|Origin { node, row }| Failure::At { node, row })
}

/// Converts the vector literals once; one that does not fit `S` fails every run.
fn load_columns<S: Scalar>(
    graph: &Graph,
    tape: &Tape,
    work: &mut Workspace<S>,
) -> Result<(), Failure> {
    if work.columns.len() == tape.columns.len() {
        return Ok(());
    }
    let mut columns = Vec::with_capacity(tape.columns.len());
    for &(column, node) in &tape.columns {
        let values: Option<Vec<S>> = graph.column(column).iter().map(S::from_number).collect();
        columns.push(values.ok_or(Failure::Constant(node))?);
    }
    work.columns = columns;
    Ok(())
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The unchecked run saw a value outside the domain or range somewhere: run again
    /// with checks to find where.
    Recheck,
    /// Node `node` has no value in the number type (in data row `row`, from 1).
    At { node: NodeId, row: Option<usize> },
    /// Constant or vector literal `node` does not fit the number type.
    Constant(NodeId),
}

pub(super) fn checked<S>(value: Option<S>, node: NodeId, row: Option<usize>) -> Result<S, Failure> {
    value.ok_or(Failure::At { node, row })
}

/// The failure as a domain error with the node's span and operation. The number type
/// said only "no value"; for f64 the caller can ask the tree evaluator for the exact
/// kind (it classifies from the operands), for decimal it is a range error.
fn domain_error(graph: &Graph, failure: Failure, range: DomainKind) -> DomainError {
    let (node, row) = match failure {
        Failure::At { node, row } => (node, row),
        Failure::Constant(node) => (node, None),
        // Not left by a checked run, which names the operation; said without a place
        // rather than not at all.
        Failure::Recheck => {
            return DomainError {
                kind: range,
                op: "value".into(),
                operand: f64::NAN,
                span: None,
                row: None,
                params: Vec::new(),
            };
        }
    };
    let op = match graph.op(node) {
        Op::Unary(f, _) => f.name().to_string(),
        Op::Binary(op, ..) => op.symbol().to_string(),
        Op::Var(v) => graph.var(v).name.clone(),
        _ => "value".into(),
    };
    let kind = match graph.op(node) {
        Op::Var(_) => DomainKind::Unbound,
        _ => range,
    };
    DomainError {
        kind,
        op,
        operand: f64::NAN,
        span: graph.node(node).span,
        row,
        params: Vec::new(),
    }
}

fn scalar_input<S: Scalar>(inputs: &Inputs<'_, S>, var: VarId) -> Option<S> {
    inputs.scalars.get(var.index()).copied().flatten()
}

/// Up to this many rows, the row passes are written out row by row into one block
/// with the rest of the tape: a chunk loop's setup costs more than it saves when
/// there is almost nothing to loop over.
const FEW_ROWS: usize = 8;
