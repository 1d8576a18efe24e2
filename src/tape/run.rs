//! Running a [`Tape`]: scalars once, rows chunk by chunk, compensated reductions.

use super::CHUNK;
use super::compile::{Code, Instr, Operand, Phase, Registers, Slot, Tape};
use super::scalar::{Scalar, Values};
use crate::eval::{DomainError, DomainKind};
use crate::graph::{BinOp, Func, Graph, NodeId, Op, VarId};

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
    scalars: Vec<S>,
    rows: Vec<Vec<S>>,
    accumulators: Vec<(S, S)>,
    registers: Vec<S>,
    /// Row outputs, one vector of all rows each.
    pub row_outputs: Vec<Vec<S>>,
    columns: Vec<Vec<S>>,
}

impl<S: Scalar> Workspace<S> {
    /// Buffers sized for `tape`.
    pub fn new(tape: &Tape) -> Workspace<S> {
        let mut scalars = vec![S::ZERO; tape.scalar_slots];
        let mut bad_constant = None;
        for instr in &tape.constants {
            match instr {
                Instr::Const { dst, value } => match S::from_number(value) {
                    Some(v) => scalars[dst.0 as usize] = v,
                    // Outside S's range (a decimal beyond 7.9e28): every run fails.
                    None => bad_constant = Some(NodeId(0)),
                },
                Instr::Named { dst, op } => {
                    scalars[dst.0 as usize] = if *op == Op::Pi { S::pi() } else { S::euler() };
                }
                _ => {}
            }
        }
        Workspace {
            bad_constant,
            scalars,
            rows: vec![vec![S::ZERO; CHUNK]; tape.row_slots],
            accumulators: vec![(S::ZERO, S::ZERO); tape.accumulators],
            registers: vec![S::ZERO; tape.registers.len as usize],
            row_outputs: vec![Vec::new(); tape.row_outputs],
            columns: Vec::new(),
        }
    }

    /// The value of scalar output `k` after a run.
    pub fn scalar(&self, tape: &Tape, k: usize) -> Option<S> {
        match tape.outputs.get(k)? {
            Operand::Scalar(s) => self.scalars.get(s.0 as usize).copied(),
            _ => None,
        }
    }
}

/// Runs the tape; afterwards [`Workspace::scalar`] and [`Workspace::row_outputs`] hold
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
    result.map_err(|f| domain_error(graph, f))
}

/// The failure of an unchecked run: not a node, a request to run again with checks.
const RECHECK: NodeId = NodeId(u32::MAX);

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
    for out in &mut work.row_outputs {
        out.clear();
    }
    for phase in &tape.phases {
        run_code(&phase.code, &phase.scalar, inputs, work, unchecked)?;
        if !phase.rows.is_empty() {
            for acc in &mut work.accumulators {
                *acc = (S::ZERO, S::ZERO);
            }
            row_pass(phase, &tape.registers, inputs, work, unchecked)?;
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
                work.scalars[dst.0 as usize] = total;
            }
        }
    }
    Ok(())
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
struct Failure {
    node: NodeId,
    row: Option<usize>,
}

fn checked<S>(value: Option<S>, node: NodeId, row: Option<usize>) -> Result<S, Failure> {
    value.ok_or(Failure { node, row })
}

/// The failure as a domain error with the node's span and operation. The number type
/// said only "no value"; for f64 the caller can ask the tree evaluator for the exact
/// kind (it classifies from the operands), for decimal it is a range error.
fn domain_error(graph: &Graph, failure: Failure) -> DomainError {
    let op = match graph.op(failure.node) {
        Op::Unary(f, _) => f.name().to_string(),
        Op::Binary(op, ..) => op.symbol().to_string(),
        Op::Var(v) => graph.var(v).name.clone(),
        _ => "value".into(),
    };
    let kind = match graph.op(failure.node) {
        Op::Var(_) => DomainKind::Unbound,
        _ => DomainKind::Overflow,
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

fn scalar_step<S: Scalar>(
    instr: &Instr,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
) -> Result<(), Failure> {
    let get = |w: &Workspace<S>, s: Slot| w.scalars[s.0 as usize];
    let (dst, value) = match *instr {
        Instr::Const { dst, ref value } => (dst, checked(S::from_number(value), NodeId(0), None)?),
        Instr::Named { dst, op } => (dst, if op == Op::Pi { S::pi() } else { S::euler() }),
        Instr::Load { dst, var, node } => (dst, checked(scalar_input(inputs, var), node, None)?),
        Instr::Unary {
            func: Func::Mean,
            dst,
            a,
            ..
        } => (dst, get(work, a)),
        Instr::Unary { func, dst, a, node } => {
            (dst, checked(S::unary(func, get(work, a)), node, None)?)
        }
        Instr::Binary {
            op,
            dst,
            a,
            b,
            node,
        } => (
            dst,
            checked(S::binary(op, get(work, a), get(work, b)), node, None)?,
        ),
        Instr::SumScalar { dst, a, node } => {
            let n = S::from_usize(inputs.rows).unwrap_or(S::ZERO);
            (
                dst,
                checked(S::binary(BinOp::Mul, n, get(work, a)), node, None)?,
            )
        }
        _ => return Ok(()),
    };
    work.scalars[dst.0 as usize] = value;
    Ok(())
}

/// The scalar part of a phase, one dispatch per instruction.
/// Runs one instruction of the one-dispatch form on registers `s`: the register
/// written and its value (`None` outside the domain); `None` for `Other`.
#[inline(always)]
fn exec<S: Scalar>(c: Code, s: &[S]) -> Option<(u32, Option<S>)> {
    Some(match c {
        Code::Add(d, a, b) => (d, S::binary(BinOp::Add, s[a as usize], s[b as usize])),
        Code::Sub(d, a, b) => (d, S::binary(BinOp::Sub, s[a as usize], s[b as usize])),
        Code::Mul(d, a, b) => (d, S::binary(BinOp::Mul, s[a as usize], s[b as usize])),
        Code::Div(d, a, b) => (d, S::binary(BinOp::Div, s[a as usize], s[b as usize])),
        Code::Square(d, a) => (d, S::binary(BinOp::Mul, s[a as usize], s[a as usize])),
        Code::Neg(d, a) => (d, S::unary(Func::Neg, s[a as usize])),
        Code::Unary(f, d, a) => (d, S::unary(f, s[a as usize])),
        Code::Binary(op, d, a, b) => (d, S::binary(op, s[a as usize], s[b as usize])),
        Code::Other(_) => return None,
    })
}

/// [`exec`] without domain checks: the register written and its value.
#[inline(always)]
fn exec_unchecked<S: Scalar>(c: Code, s: &[S]) -> Option<(u32, S)> {
    let r = |i: u32| s[i as usize];
    Some(match c {
        Code::Add(d, a, b) => (d, S::binary_unchecked(BinOp::Add, r(a), r(b))),
        Code::Sub(d, a, b) => (d, S::binary_unchecked(BinOp::Sub, r(a), r(b))),
        Code::Mul(d, a, b) => (d, S::binary_unchecked(BinOp::Mul, r(a), r(b))),
        Code::Div(d, a, b) => (d, S::binary_unchecked(BinOp::Div, r(a), r(b))),
        Code::Square(d, a) => (d, S::binary_unchecked(BinOp::Mul, r(a), r(a))),
        Code::Neg(d, a) => (d, S::unary_unchecked(Func::Neg, r(a))),
        Code::Unary(f, d, a) => (d, S::unary_unchecked(f, r(a))),
        Code::Binary(op, d, a, b) => (d, S::binary_unchecked(op, r(a), r(b))),
        Code::Other(_) => return None,
    })
}

/// [`run_code`] without a check per operation; `Err(RECHECK)` if a value went bad.
fn run_code_unchecked<S: Scalar>(
    code: &[Code],
    instrs: &[Instr],
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
) -> Result<(), Failure> {
    let mut valid = true;
    for &c in code {
        match exec_unchecked(c, &work.scalars) {
            Some((dst, v)) => {
                work.scalars[dst as usize] = v;
                valid &= v.is_valid();
            }
            None => {
                if let Code::Other(k) = c {
                    scalar_step(&instrs[k as usize], inputs, work)?;
                }
            }
        }
    }
    valid.then_some(()).ok_or(Failure {
        node: RECHECK,
        row: None,
    })
}

fn run_code<S: Scalar>(
    code: &[Code],
    instrs: &[Instr],
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    unchecked: bool,
) -> Result<(), Failure> {
    if unchecked {
        return run_code_unchecked(code, instrs, inputs, work);
    }
    for (i, &c) in code.iter().enumerate() {
        let Some((dst, value)) = exec(c, &work.scalars) else {
            if let Code::Other(k) = c {
                scalar_step(&instrs[k as usize], inputs, work)?;
            }
            continue;
        };
        match value {
            Some(v) => work.scalars[dst as usize] = v,
            None => {
                return Err(Failure {
                    node: node_of(&instrs[i]),
                    row: None,
                });
            }
        }
    }
    Ok(())
}

/// The graph node an instruction computes.
fn node_of(instr: &Instr) -> NodeId {
    match *instr {
        Instr::Load { node, .. }
        | Instr::Unary { node, .. }
        | Instr::Binary { node, .. }
        | Instr::SumScalar { node, .. }
        | Instr::RowUnary { node, .. }
        | Instr::RowBinary { node, .. }
        | Instr::Accumulate { node, .. }
        | Instr::Reduce { node, .. } => node,
        _ => NodeId(0),
    }
}

fn scalar_input<S: Scalar>(inputs: &Inputs<'_, S>, var: VarId) -> Option<S> {
    inputs.scalars.get(var.index()).copied().flatten()
}

/// Every chunk of rows through the pass's instructions.
fn row_pass<S: Scalar>(
    phase: &Phase,
    registers: &Registers,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    unchecked: bool,
) -> Result<(), Failure> {
    if inputs.rows <= FEW_ROWS {
        return few_rows(phase, registers, inputs, work, unchecked);
    }
    let instrs = &phase.rows;
    let mut start = 0;
    while start < inputs.rows {
        let len = CHUNK.min(inputs.rows - start);
        for instr in instrs {
            row_step(instr, inputs, work, start, len)?;
        }
        start += len;
    }
    Ok(())
}

/// The chunk `start..start+len` of an operand.
fn read<'a, S: Scalar>(
    operand: Operand,
    inputs: &'a Inputs<'_, S>,
    rows: &'a [Vec<S>],
    scalars: &[S],
    columns: &'a [Vec<S>],
    (start, len): (usize, usize),
) -> Values<'a, S> {
    let window = |column: &'a [S]| Values::Rows(column.get(start..start + len).unwrap_or(&[]));
    match operand {
        Operand::Scalar(s) => Values::Same(scalars[s.0 as usize]),
        Operand::Row(s) => Values::Rows(&rows[s.0 as usize][..len]),
        Operand::Data(k) => window(inputs.data.get(k as usize).map_or(&[], Vec::as_slice)),
        Operand::Column(k) => window(&columns[k as usize]),
    }
}

fn row_step<S: Scalar>(
    instr: &Instr,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    start: usize,
    len: usize,
) -> Result<(), Failure> {
    let at_row = |node: NodeId| {
        move |i: usize| Failure {
            node,
            row: Some(start + i + 1),
        }
    };
    let Workspace {
        scalars,
        rows,
        accumulators,
        row_outputs,
        columns,
        ..
    } = work;
    match *instr {
        Instr::RowUnary { func, dst, a, node } => {
            let mut out = std::mem::take(&mut rows[dst.0 as usize]);
            let x = read(a, inputs, rows, scalars, columns, (start, len));
            let result = S::unary_chunk(func, &mut out[..len], x).map_err(at_row(node));
            rows[dst.0 as usize] = out;
            result?;
        }
        Instr::RowBinary {
            op,
            dst,
            a,
            b,
            node,
        } => {
            let mut out = std::mem::take(&mut rows[dst.0 as usize]);
            let x = read(a, inputs, rows, scalars, columns, (start, len));
            let y = read(b, inputs, rows, scalars, columns, (start, len));
            let result = S::binary_chunk(op, &mut out[..len], x, y).map_err(at_row(node));
            rows[dst.0 as usize] = out;
            result?;
        }
        Instr::Accumulate { acc, a, node } => {
            let x = read(a, inputs, rows, scalars, columns, (start, len));
            S::accumulate_chunk(&mut accumulators[acc.0 as usize], x, len).map_err(at_row(node))?;
        }
        Instr::Store { out, a } => {
            let x = read(a, inputs, rows, scalars, columns, (start, len));
            row_outputs[out as usize].extend((0..len).map(|i| x.at(i)));
        }
        _ => {}
    }
    Ok(())
}

/// Up to this many rows, a pass runs row by row on single values: a chunk loop's setup
/// costs more than it saves when there is almost nothing to loop over.
const FEW_ROWS: usize = 8;

/// A row pass for a handful of rows: each row through every instruction in the
/// one-dispatch form over one register file (scalars, row slots, the row's data), with
/// the same compensated sums in row order.
fn few_rows<S: Scalar>(
    phase: &Phase,
    r: &Registers,
    inputs: &Inputs<'_, S>,
    work: &mut Workspace<S>,
    unchecked: bool,
) -> Result<(), Failure> {
    let mut valid = true;
    let Workspace {
        scalars,
        registers,
        accumulators,
        row_outputs,
        columns,
        ..
    } = work;
    registers.resize(r.len as usize, S::ZERO);
    registers[..scalars.len()].copy_from_slice(scalars);
    for row in 0..inputs.rows {
        let data = inputs.data.iter().chain(columns.iter());
        for (register, column) in registers[r.data as usize..].iter_mut().zip(data) {
            *register = column.get(row).copied().unwrap_or(S::ZERO);
        }
        for (i, &c) in phase.row_code.iter().enumerate() {
            let fail = |node: NodeId| Failure {
                node,
                row: Some(row + 1),
            };
            if unchecked && let Some((dst, v)) = exec_unchecked(c, registers) {
                registers[dst as usize] = v;
                valid &= v.is_valid();
                continue;
            }
            match exec(c, registers) {
                Some((dst, Some(v))) => registers[dst as usize] = v,
                Some((_, None)) => return Err(fail(node_of(&phase.rows[i]))),
                None => match phase.rows[i] {
                    Instr::Accumulate { acc, a, node } => {
                        let v = registers[r.of(a) as usize];
                        S::accumulate_one(&mut accumulators[acc.0 as usize], v)
                            .ok_or_else(|| fail(node))?;
                    }
                    Instr::Store { out, a } => {
                        row_outputs[out as usize].push(registers[r.of(a) as usize])
                    }
                    _ => {}
                },
            }
        }
    }
    valid.then_some(()).ok_or(Failure {
        node: RECHECK,
        row: None,
    })
}
