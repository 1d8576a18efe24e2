//! A program's outputs compiled once and run many times: the tape, its buffers and its
//! inputs converted to the number type, with params settable between runs.

use super::compile::{Operand, Tape, compile};
use super::run::{Inputs, Workspace, run};
use super::scalar::Scalar;
use crate::eval::{DomainError, Value};
use crate::graph::{Graph, NodeId, VarId};
use crate::program::Program;

/// Compiled outputs of a program, ready to evaluate in `S` (f64 or `Decimal`).
#[derive(Debug, Clone)]
pub struct Compiled<S> {
    tape: Tape,
    work: Workspace<S>,
    scalars: Vec<Option<S>>,
    data: Vec<Vec<S>>,
    rows: usize,
}

impl<S: Scalar> Compiled<S> {
    /// Compiles `outputs` of `program`, with its params at their initial values.
    /// `None` when a param or data value does not fit `S` (a decimal out of range).
    pub fn new(program: &Program, outputs: &[NodeId]) -> Option<Compiled<S>> {
        let tape = compile(&program.graph, outputs);
        let mut scalars = vec![None; program.graph.vars().count()];
        for p in &program.params {
            scalars[p.var.index()] = Some(S::from_f64(p.value)?);
        }
        let mut data = Vec::with_capacity(tape.data.len());
        for var in &tape.data {
            let column = program.data.iter().find(|d| d.var == *var)?;
            let values: Option<Vec<S>> = column.values.iter().map(S::from_number).collect();
            data.push(values?);
        }
        let work = Workspace::new(&tape);
        Some(Compiled {
            tape,
            work,
            scalars,
            data,
            rows: program.rows.unwrap_or(1),
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

    /// Runs the tape once; then [`Compiled::scalar`] and [`Compiled::value`] read outputs.
    pub fn run(&mut self, graph: &Graph) -> Result<(), DomainError> {
        let inputs = Inputs {
            scalars: &self.scalars,
            data: &self.data,
            rows: self.rows,
        };
        run(graph, &self.tape, &inputs, &mut self.work)
    }

    /// Output `k` as a scalar of `S` (`None` for a row output).
    pub fn scalar(&self, k: usize) -> Option<S> {
        self.work.scalar(&self.tape, k)
    }

    /// Output `k` as an f64 [`Value`].
    pub fn value(&self, k: usize) -> Option<Value> {
        match self.tape.outputs.get(k)? {
            Operand::Scalar(_) => self.scalar(k).map(|s| Value::Scalar(s.to_f64())),
            Operand::Row(out) => {
                let rows = self.work.row_outputs.get(out.0 as usize)?;
                Some(Value::Rows(rows.iter().map(|s| s.to_f64()).collect()))
            }
            _ => None,
        }
    }
}
