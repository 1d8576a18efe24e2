//! A program's outputs compiled once and run many times: the tape, its buffers and its
//! inputs converted to the number type, with params settable between runs.

use super::compile::{Instr, Output, Tape, compile};
use super::run::{Inputs, Workspace, run};
use crate::eval::{Bindings, DomainError, Value, evaluate};
use crate::graph::components::{components, is_shaped};
use crate::graph::{Graph, Item, NodeId, VarId};
use crate::numbers::Scalar;
use crate::program::Program;
use crate::syntax::Number;
use std::collections::HashMap;

/// What a tape reads besides its graph: the starting values of the params (and of any
/// other scalar variable), the data columns by variable, and the row count. Every
/// data column holds `rows` values.
#[derive(Debug, Clone, Default)]
pub struct TapeInputs<'a> {
    /// Scalar variables and their values.
    pub scalars: Vec<(VarId, f64)>,
    /// Rowless variables of an item shape (`param w[3]`) and their components,
    /// row-major.
    pub shaped: Vec<(VarId, Vec<f64>)>,
    /// Data columns by variable; a data variable of an item shape holds its components
    /// one after another, each `rows` long (component-major).
    pub data: Vec<(VarId, &'a [Number])>,
    /// The number of rows (1 when there is no data).
    pub rows: usize,
}

impl TapeInputs<'_> {
    /// A program's params at their initial values, its data and its row count.
    pub fn of(program: &Program) -> TapeInputs<'_> {
        TapeInputs {
            scalars: program
                .params
                .iter()
                .filter(|p| p.item.is_scalar())
                .map(|p| (p.var, p.value()))
                .collect(),
            shaped: program
                .params
                .iter()
                .filter(|p| !p.item.is_scalar())
                .map(|p| (p.var, p.values.clone()))
                .collect(),
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
    /// For outputs of shaped nodes: the graph written out by components, which the
    /// tape is compiled from.
    written: Option<Box<Written>>,
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

/// A shaped graph written out by components ([`components`]) for the tape.
#[derive(Debug, Clone)]
struct Written {
    graph: Graph,
    /// Each variable of the shaped graph and its component variables.
    vars: HashMap<VarId, Vec<VarId>>,
    /// Each output's item shape and first flat output.
    outputs: Vec<(Item, usize)>,
}

impl Written {
    /// The inputs of the written graph: each variable's components.
    fn inputs<'a>(&self, inputs: &TapeInputs<'a>) -> TapeInputs<'a> {
        let mut scalars = Vec::new();
        for &(var, value) in &inputs.scalars {
            if let Some(parts) = self.vars.get(&var) {
                scalars.extend(parts.iter().map(|&p| (p, value)));
            }
        }
        for (var, values) in &inputs.shaped {
            if let Some(parts) = self.vars.get(var) {
                scalars.extend(parts.iter().copied().zip(values.iter().copied()));
            }
        }
        let rows = inputs.rows;
        let mut data = Vec::new();
        for &(var, column) in &inputs.data {
            if let Some(parts) = self.vars.get(&var) {
                data.extend(parts.iter().copied().zip(column.chunks(rows.max(1))));
            }
        }
        TapeInputs {
            scalars,
            shaped: Vec::new(),
            data,
            rows,
        }
    }
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
        if !is_shaped(graph, outputs) {
            return Compiled::of_scalars(graph, inputs, outputs);
        }
        let written = components(graph, outputs).ok()?;
        let mut first = 0;
        let mut items = Vec::with_capacity(outputs.len());
        for (&output, parts) in outputs.iter().zip(&written.roots) {
            items.push((graph.item(output), first));
            first += parts.len();
        }
        let flat: Vec<NodeId> = written.roots.iter().flatten().copied().collect();
        let written = Written {
            graph: written.graph,
            vars: written.vars.into_iter().collect(),
            outputs: items,
        };
        let mut compiled = Compiled::of_scalars(&written.graph, &written.inputs(inputs), &flat)?;
        compiled.written = Some(Box::new(written));
        Some(compiled)
    }

    /// [`Compiled::new`] of a graph whose outputs have no item shape.
    fn of_scalars(
        graph: &Graph,
        inputs: &TapeInputs<'_>,
        outputs: &[NodeId],
    ) -> Option<Compiled<S>> {
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
        let columns: HashMap<VarId, &[Number]> = inputs.data.iter().copied().collect();
        let mut data = Vec::with_capacity(tape.data.len());
        for var in &tape.data {
            let column = columns.get(var)?;
            if column.len() != inputs.rows {
                return None;
            }
            let values: Option<Vec<S>> = column.iter().map(S::from_number).collect();
            data.push(values?);
        }
        let work = Workspace::new(&tape);
        Some(Compiled {
            written: None,
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

    /// The variable the tape reads for component `k` of `var` (`var` itself for an
    /// unshaped graph).
    fn component_var(&self, var: VarId, k: usize) -> Option<VarId> {
        match &self.written {
            None => (k == 0).then_some(var),
            Some(w) => w.vars.get(&var).and_then(|parts| parts.get(k).copied()),
        }
    }

    /// Sets the components of a shaped param (row-major); `false` if one does not fit
    /// `S`. A variable the outputs do not read is ignored.
    pub fn set_components(&mut self, var: VarId, values: &[f64]) -> bool {
        let mut all = true;
        for (k, &value) in values.iter().enumerate() {
            match self.component_var(var, k) {
                Some(part) => all &= self.set_var(part, value),
                None => break,
            }
        }
        all
    }

    /// Sets a param or free variable; `false` if `value` does not fit `S`.
    pub fn set(&mut self, var: VarId, value: f64) -> bool {
        match self.component_var(var, 0) {
            Some(part) => self.set_var(part, value),
            None => S::from_f64(value).is_some(),
        }
    }

    fn set_var(&mut self, var: VarId, value: f64) -> bool {
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
        self.set_exact_components(var, std::slice::from_ref(&value));
    }

    /// Sets a shaped param's components to values of `S` itself.
    pub fn set_exact_components(&mut self, var: VarId, values: &[S]) {
        for (k, value) in values.iter().enumerate() {
            if let Some(part) = self.component_var(var, k) {
                self.set_exact_var(part, *value);
            }
        }
    }

    fn set_exact_var(&mut self, var: VarId, value: S) {
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
        let written = self.written.take();
        let graph = written.as_ref().map_or(graph, |w| &w.graph);
        let result = self.run_on(graph);
        self.written = written;
        result
    }

    fn run_on(&mut self, graph: &Graph) -> Result<(), DomainError> {
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

    /// The item shape of output `k` and its first output of the tape.
    fn output(&self, k: usize) -> Option<(Item, usize)> {
        match &self.written {
            None => (k < self.outputs.len()).then_some((Item::Scalar, k)),
            Some(w) => w.outputs.get(k).copied(),
        }
    }

    /// Output `k` as a scalar of `S` (`None` for a row output; the first component
    /// of a shaped one).
    pub fn scalar(&self, k: usize) -> Option<S> {
        let (_, first) = self.output(k)?;
        self.work.scalar(&self.tape, first)
    }

    /// The rowless components of output `k` (row-major; one for a scalar), `None` for
    /// a row output.
    pub fn components(&self, k: usize) -> Option<Vec<S>> {
        let (item, first) = self.output(k)?;
        (first..first + item.size())
            .map(|j| self.work.scalar(&self.tape, j))
            .collect()
    }

    /// Output `k` as an f64 [`Value`].
    pub fn value(&self, k: usize) -> Option<Value> {
        let (item, first) = self.output(k)?;
        if item.is_scalar() {
            return self.flat_value(first);
        }
        let parts: Option<Vec<Value>> = (first..first + item.size())
            .map(|j| self.flat_value(j))
            .collect();
        Some(Value::Shaped(item, parts?))
    }

    fn flat_value(&self, k: usize) -> Option<Value> {
        match *self.tape.outputs.get(k)? {
            Output::Scalar(_) => self
                .work
                .scalar(&self.tape, k)
                .map(|s| Value::Scalar(s.to_f64())),
            Output::Rows(out) => {
                let rows = self.work.row_output(out)?;
                Some(Value::Rows(rows.iter().map(|s| s.to_f64()).collect()))
            }
        }
    }
}
