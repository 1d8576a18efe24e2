//! A program's outputs compiled once and run many times: the tape, its buffers and its
//! inputs converted to the number type, with params settable between runs.

use super::compile::{Instr, Output, Tape, compile};
use super::run::{Inputs, Workspace, run};
use crate::eval::{Bindings, DomainError, Value, evaluate};
use crate::graph::{Graph, NodeId, VarId};
use crate::numbers::Scalar;
use crate::program::Program;
use crate::syntax::Number;

/// What a tape reads besides its graph: the starting values of the params (and of any
/// other scalar variable), the data columns by variable, and the row count. Every
/// data column holds `rows` values.
#[derive(Debug, Clone, Default)]
pub struct TapeInputs<'a> {
    /// Scalar variables and their values.
    pub scalars: Vec<(VarId, f64)>,
    /// Data columns by variable.
    pub data: Vec<(VarId, &'a [Number])>,
    /// The number of rows (1 when there is no data).
    pub rows: usize,
}

impl TapeInputs<'_> {
    /// A program's params at their initial values, its data and its row count.
    pub fn of(program: &Program) -> TapeInputs<'_> {
        TapeInputs {
            scalars: program.params.iter().map(|p| (p.var, p.value)).collect(),
            data: program
                .data
                .iter()
                .map(|d| (d.var, d.values.as_slice()))
                .collect(),
            rows: program.rows.unwrap_or(1),
        }
    }
}

/// Compiled outputs of a program, ready to evaluate in `S` (f64 or `Decimal`).
#[derive(Debug, Clone)]
pub struct Compiled<S> {
    tape: Tape,
    outputs: Vec<NodeId>,
    work: Workspace<S>,
    scalars: Vec<Option<S>>,
    data: Vec<Vec<S>>,
    rows: usize,
    /// Every row of the data while a subset is selected (mini-batches), with the
    /// selected rows' original numbers.
    all: Option<(Vec<Vec<S>>, Vec<usize>)>,
}

impl<S: Scalar> Compiled<S> {
    /// Compiles `outputs` of a program's graph over its inputs ([`TapeInputs::of`]).
    pub fn of_program(program: &Program, outputs: &[NodeId]) -> Option<Compiled<S>> {
        Compiled::new(&program.graph, &TapeInputs::of(program), outputs)
    }

    /// Compiles `outputs` of `graph`, reading `inputs`. `None` when a constant, a
    /// vector literal, a param or a data value does not fit `S` (a decimal out of
    /// range), or a data column the outputs read is not in `inputs`.
    pub fn new(graph: &Graph, inputs: &TapeInputs<'_>, outputs: &[NodeId]) -> Option<Compiled<S>> {
        let tape = compile(graph, outputs);
        // A constant or vector-literal value outside S's range would make every run
        // fail: refuse the tape instead.
        for instr in &tape.constants {
            if let Instr::Const { value, .. } = instr {
                S::from_number(value)?;
            }
        }
        for &(column, _) in &tape.columns {
            for n in graph.column(column) {
                S::from_number(n)?;
            }
        }
        let mut scalars = vec![None; graph.vars().count()];
        for &(var, value) in &inputs.scalars {
            *scalars.get_mut(var.index())? = Some(S::from_f64(value)?);
        }
        let mut data = Vec::with_capacity(tape.data.len());
        for var in &tape.data {
            let (_, column) = inputs.data.iter().find(|(v, _)| v == var)?;
            if column.len() != inputs.rows {
                return None;
            }
            let values: Option<Vec<S>> = column.iter().map(S::from_number).collect();
            data.push(values?);
        }
        let work = Workspace::new(&tape);
        Some(Compiled {
            tape,
            outputs: outputs.to_vec(),
            work,
            scalars,
            data,
            rows: inputs.rows,
            all: None,
        })
    }

    /// The tape (for listings and inspection).
    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    /// Sets a param or free variable; `false` if `value` does not fit `S`.
    pub fn set(&mut self, var: VarId, value: f64) -> bool {
        let Some(v) = S::from_f64(value) else {
            return false;
        };
        if self.scalars.len() <= var.index() {
            self.scalars.resize(var.index() + 1, None);
        }
        self.scalars[var.index()] = Some(v);
        true
    }

    /// Sets a param to a value of `S` itself (an exact decimal, say).
    pub fn set_exact(&mut self, var: VarId, value: S) {
        if self.scalars.len() <= var.index() {
            self.scalars.resize(var.index() + 1, None);
        }
        self.scalars[var.index()] = Some(value);
    }

    /// Restricts the data to `rows` (indices from 0, in this order), as for a
    /// mini-batch: `sum` and `mean` then run over those rows only. A domain error
    /// names the row's number in the whole data.
    pub fn select_rows(&mut self, rows: &[usize]) {
        let (all, selected) = self
            .all
            .get_or_insert_with(|| (std::mem::take(&mut self.data), Vec::new()));
        let count = all.first().map_or(usize::MAX, Vec::len);
        selected.clear();
        selected.extend(rows.iter().copied().filter(|&r| r < count));
        self.data.resize_with(all.len(), Vec::new);
        for (column, full) in self.data.iter_mut().zip(all.iter()) {
            column.clear();
            column.extend(selected.iter().map(|&r| full[r]));
        }
        self.rows = selected.len();
        self.work.rows_changed();
    }

    /// Undoes [`Compiled::select_rows`]: every row again.
    pub fn select_all_rows(&mut self) {
        if let Some((all, _)) = self.all.take() {
            self.rows = all.first().map_or(self.rows, Vec::len);
            self.data = all;
            self.work.rows_changed();
        }
    }

    /// Runs the tape once; then [`Compiled::scalar`] and [`Compiled::value`] read outputs.
    pub fn run(&mut self, graph: &Graph) -> Result<(), DomainError> {
        let inputs = Inputs {
            scalars: &self.scalars,
            data: &self.data,
            rows: self.rows,
        };
        let result = run(graph, &self.tape, &inputs, &mut self.work);
        result.map_err(|e| {
            let mut e = self.diagnose(graph).unwrap_or(e);
            if let (Some(row), Some((_, selected))) = (e.row, &self.all) {
                e.row = selected.get(row.saturating_sub(1)).map(|r| r + 1);
            }
            e
        })
    }

    /// The tape knows only that a value stopped being finite. The tree evaluator,
    /// run on the same inputs (a cold path), names the cause: `ln` of which negative
    /// value, a division by zero, ... `None` when it finds nothing wrong in f64 (a
    /// decimal overflow that f64 does not have).
    fn diagnose(&self, graph: &Graph) -> Option<DomainError> {
        let mut bindings = Bindings::new(self.rows);
        for (index, value) in self.scalars.iter().enumerate() {
            if let Some(v) = value {
                bindings.set(VarId(index as u32), Value::Scalar(v.to_f64()));
            }
        }
        for (var, column) in self.tape.data.iter().zip(&self.data) {
            let rows = column.iter().map(|v| v.to_f64()).collect();
            bindings.set(*var, Value::Rows(rows));
        }
        evaluate(graph, &bindings, &self.outputs).err()
    }

    /// Output `k` as a scalar of `S` (`None` for a row output).
    pub fn scalar(&self, k: usize) -> Option<S> {
        self.work.scalar(&self.tape, k)
    }

    /// Output `k` as an f64 [`Value`].
    pub fn value(&self, k: usize) -> Option<Value> {
        match *self.tape.outputs.get(k)? {
            Output::Scalar(_) => self.scalar(k).map(|s| Value::Scalar(s.to_f64())),
            Output::Rows(out) => {
                let rows = self.work.row_output(out)?;
                Some(Value::Rows(rows.iter().map(|s| s.to_f64()).collect()))
            }
        }
    }
}
