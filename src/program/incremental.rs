//! A program lowered input by input (the REPL): each input lowers only its own
//! statements, plus the earlier ones it makes stale, into the one growing graph, so a
//! session costs time linear in its inputs, not quadratic.
//!
//! An input first *forgets* what it replaces (names declared again, and the statements
//! that use them, which the caller passes again as items), then lowers its items on
//! top of what is left. Every change is recorded in an [`Undo`], so an input that fails,
//! or that the caller rejects later (a value out of the domain), leaves the program as
//! it was. Nodes added to the graph stay there unreferenced: the graph is append-only.

use super::lower::{Item, State, lower_items};
use super::symbols::Before;
use super::{Check, DataColumn, Definition, LoadOptions, Minimize, Param, Program};
use crate::error::Error;
use crate::syntax::{Sources, Span};
use std::path::Path;

/// A program and the names in scope, ready for the next input (see the module docs).
#[derive(Debug, Clone)]
pub struct Incremental {
    state: State,
}

/// What an input replaces: names (params, data, definitions, functions) and unnamed
/// statements (checks and minimizes, by the span of the statement).
#[derive(Debug, Clone, Default)]
pub struct Forget {
    /// Names declared again, or whose declarations are lowered again.
    pub names: Vec<String>,
    /// Checks and minimize statements lowered again.
    pub statements: Vec<Span>,
}

/// How to take back one input ([`Incremental::undo`]).
#[derive(Debug)]
#[must_use = "an input is taken back with `Incremental::undo`, or kept by dropping this"]
pub struct Undo {
    symbols: Vec<Before>,
    removed: Vec<Removed>,
    /// The lengths of params, data, definitions, checks, minimizes after forgetting.
    lengths: [usize; 5],
    rows: Option<(usize, String, Span)>,
}

/// Something an input forgot, with its index in its list.
#[derive(Debug)]
enum Removed {
    Param(usize, Param),
    Data(usize, DataColumn),
    Definition(usize, Definition),
    Check(usize, Check),
    Minimize(usize, Minimize),
}

impl Incremental {
    /// An empty program; random initial values are drawn from `seed`, in order.
    pub fn new(seed: u64) -> Incremental {
        Incremental {
            state: State::new(seed),
        }
    }

    /// The program as lowered so far.
    pub fn program(&self) -> &Program {
        &self.state.program
    }

    /// The program, to evaluate, differentiate or set param values on.
    pub fn program_mut(&mut self) -> &mut Program {
        &mut self.state.program
    }

    /// Forgets `forget`, then lowers `items`. On errors (sorted by place) the program
    /// is as before; else the [`Undo`] takes the input back. The program's
    /// `expressions` and `warnings` are this input's only.
    pub fn lower(
        &mut self,
        forget: &Forget,
        items: &[Item],
        sources: &mut Sources,
        base: &Path,
        options: &LoadOptions,
    ) -> Result<Undo, Vec<Error>> {
        let rows = self.state.rows.clone();
        self.state.program.expressions.clear();
        self.state.program.warnings.clear();
        self.state.symbols.start_journal();
        let removed = self.forget(forget);
        let lengths = self.lengths();
        let state = std::mem::replace(&mut self.state, State::new(0));
        let mut errors = Vec::new();
        self.state = lower_items(state, items, sources, base, options, &mut errors);
        let undo = Undo {
            symbols: self.state.symbols.take_journal(),
            removed,
            lengths,
            rows,
        };
        if errors.is_empty() {
            return Ok(undo);
        }
        self.undo(undo);
        errors.sort_by_key(|e| e.span.map(|s| (s.source, s.start)));
        Err(errors)
    }

    /// Takes back the input that gave `undo` (the last one accepted).
    pub fn undo(&mut self, undo: Undo) {
        let program = &mut self.state.program;
        let [params, data, definitions, checks, minimizes] = undo.lengths;
        program.params.truncate(params);
        program.data.truncate(data);
        program.definitions.truncate(definitions);
        program.checks.truncate(checks);
        program.minimizes.truncate(minimizes);
        for removed in undo.removed.into_iter().rev() {
            match removed {
                Removed::Param(i, p) => program.params.insert(i, p),
                Removed::Data(i, d) => program.data.insert(i, d),
                Removed::Definition(i, d) => program.definitions.insert(i, d),
                Removed::Check(i, c) => program.checks.insert(i, c),
                Removed::Minimize(i, m) => program.minimizes.insert(i, m),
            }
        }
        program.expressions.clear();
        program.warnings.clear();
        program.rows = undo.rows.as_ref().map(|r| r.0);
        self.state.rows = undo.rows;
        self.state.symbols.restore(undo.symbols);
    }

    fn lengths(&self) -> [usize; 5] {
        let p = &self.state.program;
        [
            p.params.len(),
            p.data.len(),
            p.definitions.len(),
            p.checks.len(),
            p.minimizes.len(),
        ]
    }

    /// Takes the forgotten names and statements out of the program (journaled).
    fn forget(&mut self, forget: &Forget) -> Vec<Removed> {
        let mut removed = Vec::new();
        let program = &mut self.state.program;
        // A name is looked for only if it was declared, from the end (a name declared
        // again was most often declared recently), so new names cost no search.
        for name in &forget.names {
            if !self.state.symbols.contains_key(name) {
                continue;
            }
            self.state.symbols.remove(name);
            if let Some(i) = program.params.iter().rposition(|p| p.name == *name) {
                removed.push(Removed::Param(i, program.params.remove(i)));
            }
            if let Some(i) = program.data.iter().rposition(|d| d.name == *name) {
                removed.push(Removed::Data(i, program.data.remove(i)));
            }
            if let Some(i) = program.definitions.iter().rposition(|d| d.name == *name) {
                removed.push(Removed::Definition(i, program.definitions.remove(i)));
            }
        }
        for span in &forget.statements {
            if let Some(i) = program.checks.iter().position(|c| c.span == *span) {
                removed.push(Removed::Check(i, program.checks.remove(i)));
            }
            if let Some(i) = program.minimizes.iter().position(|m| m.span == *span) {
                removed.push(Removed::Minimize(i, program.minimizes.remove(i)));
            }
        }
        self.recount_rows(forget);
        removed
    }

    /// The row count after names were forgotten: named after a column that is left;
    /// none when no column is left (a vector literal's length is then free again).
    fn recount_rows(&mut self, forget: &Forget) {
        let program = &self.state.program;
        let Some((rows, name, _)) = &self.state.rows else {
            return;
        };
        let gone = forget.names.contains(name) || program.data.is_empty();
        if forget.names.is_empty() || !gone {
            return;
        }
        self.state.rows = program
            .data
            .first()
            .map(|d| (*rows, d.name.clone(), d.span));
        self.state.program.rows = self.state.rows.as_ref().map(|r| r.0);
    }
}
