//! The compiled tape: graph outputs as a flat list of instructions, evaluated over the
//! rows in cache-sized chunks, generic over the number type ([`Scalar`]).
//!
//! Compilation splits the nodes by *level*: scalars that need no row pass (params,
//! constants and arithmetic on them) are evaluated once per call; per-row nodes run in a
//! row pass, chunk by chunk, where each instruction loops over the chunk (so the
//! compiler vectorises it); `sum`/`mean` of rows accumulate across chunks and their
//! results are scalars of the next level. Most losses need one row pass; `x*sum(x)`
//! needs two.
//!
//! Scalar code runs as a `Block` (`block.rs`): each operation one level above its
//! operands, the operations of a level grouped by kind into batches, so one dispatch
//! runs a loop of independent operations (an interpreter that dispatches per operation
//! waits on mispredicted jumps and on each result in turn). A tape without rows, or
//! with at most 8 rows, runs as one block with its row passes written
//! out row by row: the same operation of every row lands in one batch.
//!
//! **Reductions do not depend on chunking or threads**: each chunk of [`CHUNK`] rows is
//! summed in row order with compensation, and chunk sums are combined in chunk order.

mod block;
mod chunks;
mod compile;
mod compiled;
mod fuse;
mod run;

pub use crate::numbers::Scalar;
pub use chunks::PARALLEL_ROWS;
pub use compile::{Tape, compile};
pub use compiled::{Compiled, TapeInputs};

/// Rows per chunk: row slots of a chunk stay in L1/L2.
pub const CHUNK: usize = 256;
