//! Running a [`Tape`]: scalar blocks, row passes (written out in a block for a few
//! rows, in chunks otherwise: `chunks.rs`), compensated reductions.

use super::block::{self, Block};
use super::chunks::{Buffers, Shared, row_pass};
use super::compile::{Instr, Operand, Tape};
use crate::eval::{DomainError, DomainKind};
use crate::graph::{BinOp, Graph, NodeId, Op, VarId};
use crate::numbers::Scalar;

/// The values a tape reads: params and free names, data columns, the row count.
pub struct Inputs<'a, S> {
    /// The value of each scalar variable, by variable index.
    pub scalars: &'a [Option<S>],
    /// The rows of each data column the tape reads, in the order of [`Tape::data`].
    pub data: &'a [Vec<S>],
    /// The number of rows (1 when there is no data).
    pub rows: usize,
}

/// Reusable buffers, so that repeated runs (a descent) allocate nothing.
#[derive(Debug, Clone)]
pub struct Workspace<S> {
    bad_constant: Option<NodeId>,
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
    pub fn new(tape: &Tape) -> Workspace<S> {
        let mut registers = vec![S::ZERO; block::first_free_register(tape) as usize];
        let mut bad_constant = None;
        for instr in &tape.constants {
            match instr {
                Instr::Const { dst, value } => match S::from_number(value) {
                    Some(v) => registers[dst.0 as usize] = v,
                    // Outside S's range (a decimal beyond 7.9e28): every run fails.
                    None => bad_constant = Some(NodeId(0)),
                },
                Instr::Named { dst, op } => {
                    registers[dst.0 as usize] = if *op == Op::Pi { S::pi() } else { S::euler() };
                }
                _ => {}
            }
        }
        Workspace {
            bad_constant,
            registers,
            buffers: Buffers::new(tape.row_slots, tape.row_outputs),
            accumulators: vec![(S::ZERO, S::ZERO); tape.accumulators],
            columns: Vec::new(),
            whole: Vec::new(),
            loaded: None,
        }
    }

    /// Row output `k` after a run, one value per row.
    pub fn row_output(&self, k: usize) -> Option<&[S]> {
        self.buffers.row_outputs.get(k).map(Vec::as_slice)
    }

    /// To call when the data changes (a mini-batch): the rows in the registers are
    /// stale.
    pub fn rows_changed(&mut self) {
        self.loaded = None;
    }

    /// The value of scalar output `k` after a run.
    pub fn scalar(&self, tape: &Tape, k: usize) -> Option<S> {
        match tape.outputs.get(k)? {
            Operand::Scalar(s) => self.registers.get(s.0 as usize).copied(),
            _ => None,
        }
    }
}

/// Runs the tape; afterwards [`Workspace::scalar`] and [`Workspace::row_output`] hold
/// the outputs. A value outside a domain or range stops the run with the node's span
/// and row (params are filled in by the caller, who knows their names).
pub fn run<S: Scalar>(
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

/// The failure of an unchecked run: not a node, a request to run again with checks.
pub(super) const RECHECK: NodeId = NodeId(u32::MAX);

fn run_phases<S: Scalar>(
    graph: &Graph,
    tape: &Tape,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    unchecked: bool,
) -> Result<(), Failure> {
    load_columns(graph, tape, work);
    if let Some(node) = work.bad_constant {
        return Err(Failure { node, row: None });
    }
    for out in &mut work.buffers.row_outputs {
        out.clear();
    }
    let rows = block::rows_register(tape) as usize;
    work.registers[rows] = S::from_usize(inputs.rows).unwrap_or(S::ZERO);
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
        buffers.row_outputs[out as usize].push(registers[register as usize]);
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
    for phase in &tape.phases {
        load_params(&phase.block, inputs, &mut work.registers)?;
        run_block(&phase.block, &mut work.registers, unchecked)?;
        if !phase.rows.is_empty() {
            for acc in &mut work.accumulators {
                *acc = (S::ZERO, S::ZERO);
            }
            let shared = Shared {
                inputs,
                registers: &work.registers,
                columns: &work.columns,
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
                let (sum, compensation) = work.accumulators[acc.0 as usize];
                let mut total = checked(S::binary(BinOp::Add, sum, compensation), node, None)?;
                if mean {
                    let n = S::from_usize(inputs.rows).unwrap_or(S::ZERO);
                    total = checked(S::binary(BinOp::Div, total, n), node, None)?;
                }
                work.registers[dst.0 as usize] = total;
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
        registers[load.register as usize] =
            checked(scalar_input(inputs, load.var), load.node, None)?;
    }
    Ok(())
}

/// Loads the rows of data columns and vector literals a block reads.
fn load_rows<S: Scalar>(
    block: &Block,
    inputs: &Inputs<'_, S>,
    columns: &[Vec<S>],
    registers: &mut [S],
) {
    for input in &block.row_inputs {
        let column = match input.operand {
            Operand::Data(k) => inputs.data.get(k as usize),
            Operand::Column(k) => columns.get(k as usize),
            _ => None,
        };
        registers[input.register as usize] = column
            .and_then(|c| c.get(input.row as usize))
            .copied()
            .unwrap_or(S::ZERO);
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
            false => Err(Failure {
                node: RECHECK,
                row: None,
            }),
        };
    }
    block.run_checked(registers).map_err(|i| {
        let (node, row) = block.origin(i);
        Failure { node, row }
    })
}

fn load_columns<S: Scalar>(graph: &Graph, tape: &Tape, work: &mut Workspace<S>) {
    if work.columns.len() == tape.columns.len() {
        return;
    }
    work.columns = tape
        .columns
        .iter()
        .map(|&c| {
            graph
                .column(c)
                .iter()
                .map(|n| S::from_number(n).unwrap_or(S::ZERO))
                .collect()
        })
        .collect();
}

/// Where a run failed: the node and the data row (from 1).
#[derive(Debug, Clone, Copy)]
pub(super) struct Failure {
    pub(super) node: NodeId,
    pub(super) row: Option<usize>,
}

fn checked<S>(value: Option<S>, node: NodeId, row: Option<usize>) -> Result<S, Failure> {
    value.ok_or(Failure { node, row })
}

/// The failure as a domain error with the node's span and operation. The number type
/// said only "no value"; for f64 the caller can ask the tree evaluator for the exact
/// kind (it classifies from the operands), for decimal it is a range error.
fn domain_error(graph: &Graph, failure: Failure, range: DomainKind) -> DomainError {
    if failure.node.index() >= graph.len() {
        // A bad value seen where no node is at hand (a row output): the caller's
        // diagnosis by the tree evaluator names the operation.
        return DomainError {
            kind: range,
            op: "value".into(),
            operand: f64::NAN,
            span: None,
            row: failure.row,
            params: Vec::new(),
        };
    }
    let op = match graph.op(failure.node) {
        Op::Unary(f, _) => f.name().to_string(),
        Op::Binary(op, ..) => op.symbol().to_string(),
        Op::Var(v) => graph.var(v).name.clone(),
        _ => "value".into(),
    };
    let kind = match graph.op(failure.node) {
        Op::Var(_) => DomainKind::Unbound,
        _ => range,
    };
    DomainError {
        kind,
        op,
        operand: f64::NAN,
        span: graph.node(failure.node).span,
        row: failure.row,
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
