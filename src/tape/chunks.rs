//! A row pass over many rows: chunk by chunk, each instruction a loop over the chunk;
//! for large N split over threads, with results that do not depend on the split.
//!
//! A sum over the rows adds each chunk's sum to the total in chunk order. Split over
//! threads, each part keeps its chunks' sums and they are added afterwards in the same
//! order, so one thread or several give the same bits (for number types whose chunk
//! sums stand alone, [`Scalar::CHUNK_SUMS`]: f64; decimal runs on one thread).

use super::CHUNK;
use super::compile::{Instr, Operand, Phase};
use super::run::{Failure, Inputs};
use crate::graph::NodeId;
use crate::numbers::{Scalar, Term, Values};
use rayon::prelude::*;

/// From this many rows a pass of 16 operations per row (`TYPICAL_WORK`) is split over
/// the threads (when there are several): below it, waking a thread costs a noticeable
/// part of what the split saves. A pass with more work per row splits from fewer rows
/// (a 10-64-1 network's pass, about 2,000 operations a row, from 512 rows: two chunks).
pub const PARALLEL_ROWS: usize = 32_768;

/// The operations per row of the passes [`PARALLEL_ROWS`] was measured on (the
/// sigmoid neuron's loss and gradient).
pub const TYPICAL_WORK: usize = 16;

/// The operations per row of a pass: one per instruction, one per term of a fused sum.
fn work_per_row(phase: &Phase) -> usize {
    phase
        .rows
        .iter()
        .map(|instr| match instr {
            Instr::RowDot { terms, .. } => terms.len(),
            _ => 1,
        })
        .sum()
}

/// What a pass reads besides the data: the scalar registers and the vector literals.
pub(crate) struct Shared<'a, S> {
    /// The data and the row count.
    pub(crate) inputs: &'a Inputs<'a, S>,
    /// The scalar registers (slot numbers of the tape).
    pub(crate) registers: &'a [S],
    /// The vector literals, converted.
    pub(crate) columns: &'a [Vec<S>],
    /// The node of each accumulator (for an error in a sum).
    pub(crate) accumulators: &'a [NodeId],
}

/// What a pass writes: row slots of one chunk, and the row outputs.
#[derive(Debug, Clone)]
pub(crate) struct Buffers<S> {
    /// The row slots, [`CHUNK`] values each.
    pub(crate) rows: Vec<Vec<S>>,
    /// The row outputs, all rows so far each.
    pub(crate) row_outputs: Vec<Vec<S>>,
}

impl<S: Scalar> Buffers<S> {
    /// Buffers for `row_slots` slots and `row_outputs` outputs.
    pub(crate) fn new(row_slots: usize, row_outputs: usize) -> Buffers<S> {
        Buffers {
            rows: vec![vec![S::ZERO; CHUNK]; row_slots],
            row_outputs: vec![Vec::new(); row_outputs],
        }
    }
}

/// Where the sums over a chunk go.
enum Sums<'a, S> {
    /// Added to the running totals at once.
    Totals(&'a mut [(S, S)]),
    /// Kept, chunk after chunk, for each accumulator (to add up in order later).
    Kept(&'a mut [Vec<S>]),
}

/// Runs every chunk of rows through the pass's instructions, adding the sums to
/// `totals` (one per accumulator).
pub(crate) fn row_pass<S: Scalar>(
    phase: &Phase,
    shared: &Shared<'_, S>,
    buffers: &mut Buffers<S>,
    totals: &mut [(S, S)],
) -> Result<(), Failure> {
    let rows = shared.inputs.rows;
    let chunks = rows.div_ceil(CHUNK);
    let work = rows.saturating_mul(work_per_row(phase));
    let threads = if S::CHUNK_SUMS && chunks >= 2 && work >= PARALLEL_ROWS * TYPICAL_WORK {
        rayon::current_num_threads().min(chunks)
    } else {
        1
    };
    if threads <= 1 {
        let mut sums = Sums::Totals(totals);
        return run_chunks(phase, shared, buffers, &mut sums, 0..chunks);
    }
    let per_part = chunks.div_ceil(threads);
    let parts: Vec<_> = (0..threads)
        .into_par_iter()
        .map(|part| {
            let first = (part * per_part).min(chunks);
            let end = ((part + 1) * per_part).min(chunks);
            let mut own = Buffers::new(buffers.rows.len(), buffers.row_outputs.len());
            let mut kept = vec![Vec::with_capacity(end - first); totals.len()];
            let result = run_chunks(
                phase,
                shared,
                &mut own,
                &mut Sums::Kept(&mut kept),
                first..end,
            );
            (first, own.row_outputs, kept, result)
        })
        .collect();
    // In chunk order: each part's sums, then its failure if it stopped on one.
    for (first, row_outputs, kept, result) in parts {
        for (acc, chunk_sums) in kept.iter().enumerate() {
            for (k, &sum) in chunk_sums.iter().enumerate() {
                let at = Failure::At {
                    node: shared.accumulators[acc],
                    row: Some((first + k) * CHUNK + 1),
                };
                S::fold(&mut totals[acc], sum).ok_or(at)?;
            }
        }
        result?;
        for (all, part) in buffers.row_outputs.iter_mut().zip(row_outputs) {
            all.extend(part);
        }
    }
    Ok(())
}

fn run_chunks<S: Scalar>(
    phase: &Phase,
    shared: &Shared<'_, S>,
    buffers: &mut Buffers<S>,
    sums: &mut Sums<'_, S>,
    chunks: std::ops::Range<usize>,
) -> Result<(), Failure> {
    for chunk in chunks {
        let start = chunk * CHUNK;
        let len = CHUNK.min(shared.inputs.rows - start);
        for instr in &phase.rows {
            step(instr, shared, buffers, sums, (start, len))?;
        }
    }
    Ok(())
}

/// The chunk `start..start+len` of an operand (every data column and literal holds
/// `inputs.rows` values: the program checked their lengths).
fn read<'a, S: Scalar>(
    operand: Operand,
    shared: &Shared<'a, S>,
    rows: &'a [Vec<S>],
    (start, len): (usize, usize),
) -> Values<'a, S> {
    match operand {
        Operand::Scalar(s) => Values::Same(shared.registers[s.index()]),
        Operand::Row(s) => Values::Rows(&rows[s.index()][..len]),
        Operand::Data(k) => Values::Rows(&shared.inputs.data[k.index()][start..start + len]),
        Operand::Column(k) => Values::Rows(&shared.columns[k.index()][start..start + len]),
    }
}

/// One instruction over one chunk.
fn step<S: Scalar>(
    instr: &Instr,
    shared: &Shared<'_, S>,
    buffers: &mut Buffers<S>,
    sums: &mut Sums<'_, S>,
    (start, len): (usize, usize),
) -> Result<(), Failure> {
    let at_row = |node: NodeId| {
        move |i: usize| Failure::At {
            node,
            row: Some(start + i + 1),
        }
    };
    let rows = &mut buffers.rows;
    match *instr {
        Instr::RowUnary { func, dst, a, node } => {
            let mut out = std::mem::take(&mut rows[dst.index()]);
            let x = read(a, shared, rows, (start, len));
            let result = S::unary_chunk(func, &mut out[..len], x).map_err(at_row(node));
            rows[dst.index()] = out;
            result?;
        }
        Instr::RowBinary {
            op,
            dst,
            a,
            b,
            node,
        } => {
            let mut out = std::mem::take(&mut rows[dst.index()]);
            let x = read(a, shared, rows, (start, len));
            let y = read(b, shared, rows, (start, len));
            let result = S::binary_chunk(op, &mut out[..len], x, y).map_err(at_row(node));
            rows[dst.index()] = out;
            result?;
        }
        Instr::RowDot {
            dst,
            ref terms,
            node,
        } => {
            let mut out = std::mem::take(&mut rows[dst.index()]);
            let values: Vec<Term<'_, S>> = terms
                .iter()
                .map(|&(a, b)| {
                    let b = b.map(|b| read(b, shared, rows, (start, len)));
                    (read(a, shared, rows, (start, len)), b)
                })
                .collect();
            let result = S::dot_chunk(&mut out[..len], &values).map_err(at_row(node));
            rows[dst.index()] = out;
            result?;
        }
        Instr::AccumulateProduct { acc, a, b, node } => {
            let x = read(a, shared, rows, (start, len));
            let y = read(b, shared, rows, (start, len));
            let acc = acc.index();
            match sums {
                Sums::Totals(totals) => {
                    S::accumulate_products(&mut totals[acc], x, y, len).map_err(at_row(node))?
                }
                Sums::Kept(kept) => {
                    kept[acc].push(S::product_chunk_sum(x, y, len).ok_or(at_row(node)(0))?)
                }
            }
        }
        Instr::AccumulateProducts { a, ref terms } => {
            let x = read(a, shared, rows, (start, len));
            let ys: Vec<Values<'_, S>> = terms
                .iter()
                .map(|&(_, b, _)| read(b, shared, rows, (start, len)))
                .collect();
            if !S::CHUNK_SUMS {
                // Compensated row by row (decimal): each product sum on its own.
                if let Sums::Totals(totals) = sums {
                    for (&(acc, _, node), &y) in terms.iter().zip(&ys) {
                        S::accumulate_products(&mut totals[acc.index()], x, y, len)
                            .map_err(at_row(node))?;
                    }
                    return Ok(());
                }
            }
            let mut chunk_sums = vec![None; terms.len()];
            S::product_chunk_sums(x, &ys, len, &mut chunk_sums);
            for (&(acc, _, node), sum) in terms.iter().zip(chunk_sums) {
                let sum = sum.ok_or(at_row(node)(0))?;
                match sums {
                    Sums::Totals(totals) => {
                        S::fold(&mut totals[acc.index()], sum).ok_or(at_row(node)(0))?
                    }
                    Sums::Kept(kept) => kept[acc.index()].push(sum),
                }
            }
        }
        Instr::Accumulate { acc, a, node } => {
            let x = read(a, shared, rows, (start, len));
            let acc = acc.index();
            match sums {
                Sums::Totals(totals) => {
                    S::accumulate_chunk(&mut totals[acc], x, len).map_err(at_row(node))?
                }
                Sums::Kept(kept) => kept[acc].push(S::chunk_sum(x, len).ok_or(at_row(node)(0))?),
            }
        }
        Instr::Store { out, a, node } => {
            let x = read(a, shared, rows, (start, len));
            let stored = &mut buffers.row_outputs[out.index()];
            for i in 0..len {
                let v = x.at(i);
                if !v.is_valid() {
                    return Err(at_row(node)(i));
                }
                stored.push(v);
            }
        }
        _ => {}
    }
    Ok(())
}
