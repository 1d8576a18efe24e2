//! The REPL's engine: a session of statements and expressions typed line by line, with
//! no terminal I/O (the CLI reads lines and prints what [`Repl::enter`] returns).
//!
//! # The session model
//!
//! The session keeps every accepted statement (params, data, definitions, functions,
//! checks, minimizes) as an entry, with the names it uses, and one [`Program`] lowered
//! **input by input** ([`Incremental`]): an input lowers only its own statements into
//! the session's graph, plus the earlier entries that use a name it declares, so a
//! session of N lines costs time linear in N (`benches/repl_lines.py`). If the input
//! has any error, it is reported and the session stays as it was (the lowering is
//! undone).
//!
//! - **Redefining a name replaces the earlier definition** (`param w = 1`, then
//!   `w = 2*b`, leaves one `w`), as people expect at a prompt, and **every entry that
//!   uses the name, directly or through others, is lowered again** and sees the new
//!   definition; within one line, two definitions of a name are still an error, as in
//!   a file.
//! - Every typed line is its own source, named `<repl:N>` (N counts the inputs), and
//!   errors point into it (or into the earlier line that it makes invalid).
//! - Unknown names in a bare expression are free names: `d(sin(x)^2)/d(x)` prints its
//!   simplified symbolic form, and its value too where every name has one.
//! - A definition may call a function defined later (`f(x) = g(x)` before `g`), as
//!   in a file: it waits, with a warning, and is an error only where it is evaluated
//!   while the function is still undefined. A `:load`ed file has file rules.
//! - Param values persist: after `:minimize`, the params hold the values the descent
//!   ended at ([`Repl::set_values`]) until they are redefined (or lowered again, when
//!   their initial value uses a redefined name) or the session is reset.
//! - CSV paths are relative to the directory of the file last `:load`ed, else to the
//!   working directory.

mod commands;
mod complete;
mod entries;

pub use commands::{COMMANDS, Command, Gradient, Hessian, Vars, parse_command};
pub use complete::{ReplHelper, is_incomplete};

use crate::check::{CheckReport, Options as CheckOptions, check_statement};
use crate::descent::{Settings, Task};
use crate::error::{Error, ErrorKind};
use crate::eval::{Value, evaluate};
use crate::graph::{NodeId, Op, Printed, VarKind, print_shared};
use crate::program::{Forget, Incremental, Item, LoadOptions, Program, Undo};
use crate::syntax::{Ast, ExprKind, SourceId, Sources, StmtKind};
use entries::{Entries, Entry, Line, Stale};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Errors of one input; they point into [`Repl::sources`].
#[derive(Debug, Clone)]
pub struct Failure {
    /// The errors, each pointing into the line typed (or the file loaded), or into an
    /// earlier line that the input made invalid.
    pub errors: Vec<Error>,
}

/// What one accepted input produced, in the order of its statements.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The value of a bare expression with no free names.
    Value(Value),
    /// The simplified symbolic form of an expression with free names or a derivative,
    /// and its value where every name in it has one.
    Symbolic {
        /// The expression printed (shared sub-expressions as temporaries).
        printed: Printed,
        /// Its value, when it has one.
        value: Option<Value>,
    },
    /// A `check` statement, kept in the session and run at once.
    Check(CheckReport),
    /// A `minimize` statement: a descent ready to run (it is kept, for `:minimize`).
    Minimize(Box<Descent>),
    /// A warning about the line (a definition shadowing `e`, a function not defined
    /// yet).
    Warning(Error),
}

/// A descent ready to run on a copy of the session's program (its spans point into
/// [`Repl::sources`]).
#[derive(Debug, Clone)]
pub struct Descent {
    /// The program to run it on.
    pub program: Program,
    /// The objective and the params to move.
    pub task: Task,
    /// The method and its options.
    pub settings: Settings,
}

/// One REPL session (see the module docs).
#[derive(Debug, Clone)]
pub struct Repl {
    /// Every typed line and loaded file.
    sources: Sources,
    /// The session's program, lowered input by input.
    session: Incremental,
    /// The accepted statements.
    entries: Entries,
    /// Where CSV paths are relative to.
    base: PathBuf,
    /// How many inputs were numbered so far.
    inputs: usize,
    /// The seed of random initial values (`--seed`).
    seed: u64,
}

impl Default for Repl {
    fn default() -> Repl {
        Repl::new()
    }
}

/// How the session lowers a typed input.
fn typed_options() -> LoadOptions {
    LoadOptions {
        free_names: true,
        allow_expressions: true,
        forward_functions: true,
        ..LoadOptions::default()
    }
}

impl Repl {
    /// An empty session.
    pub fn new() -> Repl {
        Repl::with_seed(0)
    }

    /// An empty session whose random initial values are drawn from `seed`.
    pub fn with_seed(seed: u64) -> Repl {
        Repl {
            sources: Sources::new(),
            session: Incremental::new(seed),
            entries: Entries::default(),
            base: PathBuf::from("."),
            inputs: 0,
            seed,
        }
    }

    /// Enters one input (statements and expressions, possibly over several lines):
    /// statements are kept, expressions evaluated. On any error nothing is kept.
    pub fn enter(&mut self, text: &str) -> Result<Vec<Reply>, Failure> {
        let source = self.add_input(text);
        let line = self.parse(source)?;
        let new = entries::entries_of(&line);
        let (undo, stale) = self.lower_new(&new, &typed_options())?;
        match self.replies(&line) {
            Ok(replies) => {
                self.entries.commit(&stale.replaced, new);
                Ok(replies)
            }
            Err(failure) => {
                self.session.undo(undo);
                Err(failure)
            }
        }
    }

    /// Reports that a line could not be read because it is not UTF-8: the line gets
    /// its number `<repl:N>` like any input (its text as `lossy`, invalid bytes shown
    /// as U+FFFD), and the error points at its first invalid byte, `valid_up_to`.
    /// `continued` says it continued an unfinished input, which is dropped with it.
    pub fn unreadable(&mut self, lossy: &str, valid_up_to: usize, continued: bool) -> Failure {
        let source = self.add_input(lossy);
        let end = lossy
            .get(valid_up_to..)
            .and_then(|rest| rest.chars().next())
            .map_or(valid_up_to, |c| valid_up_to + c.len_utf8());
        let span = crate::syntax::Span::new(source, valid_up_to, end);
        let message = match continued {
            false => "invalid UTF-8: the line is not text, and was skipped".to_string(),
            true => "invalid UTF-8: the line is not text; it was skipped, with the unfinished \
                     input it continued"
                .to_string(),
        };
        one_failure(Error::new(ErrorKind::Usage(message), Some(span)))
    }

    /// The session's program (params at their current values).
    pub fn program(&self) -> &Program {
        self.session.program()
    }

    /// Every source the session's errors, checks and descents point into.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// The sources, to lend them to a printer without copying (swap them back after).
    pub fn sources_mut(&mut self) -> &mut Sources {
        &mut self.sources
    }

    /// Sets params to new values (after a descent); unknown names are ignored.
    pub fn set_values(&mut self, values: &[(String, f64)]) {
        let by_name: HashMap<&str, f64> = values.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        for p in &mut self.session.program_mut().params {
            for k in 0..p.values.len() {
                if let Some(&value) = by_name.get(p.component_name(k).as_str()) {
                    p.values[k] = value;
                }
            }
        }
    }

    /// Empties the session.
    pub fn reset(&mut self) {
        *self = Repl {
            sources: std::mem::take(&mut self.sources),
            inputs: self.inputs,
            ..Repl::with_seed(self.seed)
        };
    }

    /// The names defined in the session (params, data, definitions, functions).
    pub fn names(&self) -> Vec<String> {
        self.entries.iter().filter_map(|e| e.name.clone()).collect()
    }

    /// Adds an input as a source named `<repl:N>`.
    fn add_input(&mut self, text: &str) -> SourceId {
        self.inputs += 1;
        self.sources.add(format!("<repl:{}>", self.inputs), text)
    }

    /// Parses a source of the session on its own (syntax errors point into it).
    fn parse(&self, source: SourceId) -> Result<Rc<Line>, Failure> {
        let text = self.sources.text(source).to_string();
        let (ast, errors) = crate::syntax::parse(source, &text);
        if errors.is_empty() {
            return Ok(Rc::new(Line { source, text, ast }));
        }
        Err(failure(errors.into_iter().map(Error::from).collect()))
    }

    /// Lowers the entries of a new input into the session, with the entries it makes
    /// stale: those it replaces are forgotten, those that use a name it declares are
    /// lowered again (so they see the new definition).
    fn lower_new(
        &mut self,
        new: &[Entry],
        options: &LoadOptions,
    ) -> Result<(Undo, Stale), Failure> {
        let declared: Vec<&str> = new.iter().filter_map(|e| e.name.as_deref()).collect();
        let stale = self.entries.stale(&declared);
        let mut forget = Forget {
            names: declared.iter().map(|n| n.to_string()).collect(),
            statements: Vec::new(),
        };
        let mut items: Vec<Item> = new.iter().map(Entry::item).collect();
        for entry in stale.affected.iter().filter_map(|&i| self.entries.get(i)) {
            match &entry.name {
                Some(name) => forget.names.push(name.clone()),
                None => forget.statements.push(entry.item().stmt.span),
            }
            items.push(entry.item());
        }
        let lowered = self
            .session
            .lower(&forget, &items, &mut self.sources, &self.base, options);
        drop(items);
        lowered.map(|undo| (undo, stale)).map_err(failure)
    }

    /// Evaluates the new input's expressions and checks, and prepares its descents.
    fn replies(&mut self, line: &Line) -> Result<Vec<Reply>, Failure> {
        let program = self.session.program_mut();
        let mut replies: Vec<Reply> = Vec::new();
        for (i, &(node, _)) in program.expressions.clone().iter().enumerate() {
            let derivative = has_derivative(&line.ast, i);
            replies.push(show(program, node, derivative).map_err(one_failure)?);
        }
        let from_line = |span: crate::syntax::Span| span.source == line.source;
        for index in 0..program.checks.len() {
            if from_line(program.checks[index].span) {
                let options = CheckOptions::default();
                let report = check_statement(program, index, &options).map_err(one_failure)?;
                replies.push(Reply::Check(report));
            }
        }
        for m in program.minimizes.iter().filter(|m| from_line(m.span)) {
            replies.push(Reply::Minimize(Box::new(descent_of(program, m))));
        }
        for w in &program.warnings {
            if w.span.is_some_and(from_line) {
                replies.push(Reply::Warning(w.clone()));
            }
        }
        Ok(replies)
    }

    /// The base directory for CSV paths.
    fn set_base(&mut self, file: &Path) {
        self.base = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    }
}

fn failure(errors: Vec<Error>) -> Failure {
    Failure { errors }
}

fn one_failure(error: Error) -> Failure {
    Failure {
        errors: vec![error],
    }
}

fn usage_failure(message: &str) -> Failure {
    one_failure(Error::new(ErrorKind::Usage(message.to_string()), None))
}

/// A `minimize` statement of `program` as a descent to run.
fn descent_of(program: &Program, m: &crate::program::Minimize) -> Descent {
    let task = Task::of(m);
    Descent {
        program: program.clone(),
        task,
        settings: m.settings.clone(),
    }
}

/// Whether the line's `index`-th bare expression contains a derivative `d(...)/d(...)`.
fn has_derivative(ast: &Ast, index: usize) -> bool {
    let root = ast
        .statements
        .iter()
        .filter_map(|s| match s.kind {
            StmtKind::Expr(e) => Some(e),
            _ => None,
        })
        .nth(index);
    root.is_some_and(|r| {
        ast.subtree(r)
            .any(|id| matches!(ast.expr(id).kind, ExprKind::Derivative { .. }))
    })
}

/// A bare expression's reply: its value, or its simplified form where it has free
/// names or takes a derivative (with its value where it has one).
fn show(program: &mut Program, node: NodeId, derivative: bool) -> Result<Reply, Error> {
    let free = free_names(program, node);
    if !derivative && free.is_empty() {
        return evaluate_node(program, node).map(Reply::Value);
    }
    let simplified = crate::simplify::simplify(&mut program.graph, &[node])[0];
    let printed = print_shared(&program.graph, &[simplified]);
    let value = if free.is_empty() {
        Some(evaluate_node(program, simplified)?)
    } else {
        None
    };
    Ok(Reply::Symbolic { printed, value })
}

/// The free names `node` depends on, in the order of the graph.
pub(crate) fn free_names(program: &Program, node: NodeId) -> Vec<String> {
    let graph = &program.graph;
    graph
        .reachable(&[node])
        .into_iter()
        .filter_map(|id| match graph.op(id) {
            Op::Var(v) if graph.var(v).kind == VarKind::Free && !graph.is_local(v) => {
                Some(graph.var(v).name.clone())
            }
            _ => None,
        })
        .collect()
}

/// The value of one node at the session's params and data.
pub(crate) fn evaluate_node(program: &Program, node: NodeId) -> Result<Value, Error> {
    match evaluate(&program.graph, &program.bindings(), &[node]) {
        Ok(mut values) => values
            .pop()
            .ok_or_else(|| Error::new(ErrorKind::Usage("nothing to evaluate".into()), None)),
        Err(e) => {
            let span = e.span;
            Err(Error::new(ErrorKind::Domain(e), span))
        }
    }
}
