//! The REPL's engine: a session of statements and expressions typed line by line, with
//! no terminal I/O (the CLI reads lines and prints what [`Repl::enter`] returns).
//!
//! # The session model
//!
//! The session keeps the text of every accepted statement (params, data, definitions,
//! functions, checks) as a list of entries, and **re-lowers the whole program each time
//! a line is entered**, with the new line appended: lowering a small program takes well
//! under a millisecond, and one [`Program`] is then always the truth. If the new line
//! has any error, it is reported and the session stays as it was.
//!
//! - **Redefining a name replaces the earlier definition** (`param w = 1`, then
//!   `w = 2*b`, leaves one `w`), as people expect at a prompt; within one line, two
//!   definitions of a name are still an error, as in a file.
//! - Every typed line is its own source, named `<repl:N>` (N counts the inputs), and
//!   errors point into it, whichever line it was, as in a file.
//! - Unknown names in a bare expression are free names: `d(sin(x)^2)/d(x)` prints its
//!   simplified symbolic form, and its value too where every name has one.
//! - Param values persist: after `:minimize`, the params hold the values the descent
//!   ended at ([`Repl::set_values`]) until they are redefined or the session is reset.
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
use crate::program::{LoadOptions, Program};
use crate::syntax::{Ast, ExprKind, SourceId, Sources, StmtKind};
use entries::{Entry, EntryKind, Layout};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Errors of one input, with the sources to render them against.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The errors, each pointing into the line typed (or the file loaded).
    pub errors: Vec<Error>,
    /// Every source the errors may point into.
    pub sources: Sources,
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
    /// A `minimize` statement: a descent ready to run (it is not kept).
    Minimize(Box<Descent>),
    /// A warning about the line (a definition shadowing `e`).
    Warning(Error),
}

/// A descent ready to run on a copy of the session's program.
#[derive(Debug, Clone)]
pub struct Descent {
    /// The program to run it on.
    pub program: Program,
    /// The objective and the params to move.
    pub task: Task,
    /// The method and its options.
    pub settings: Settings,
    /// The sources its spans point into.
    pub sources: Sources,
}

/// One REPL session (see the module docs).
#[derive(Debug, Clone)]
pub struct Repl {
    /// Every typed line and loaded file.
    sources: Sources,
    /// The accepted statements.
    entries: Vec<Entry>,
    /// The current value of every param, by name.
    values: HashMap<String, f64>,
    /// Where CSV paths are relative to.
    base: PathBuf,
    /// The session's program, lowered.
    program: Program,
    /// Maps the program's spans back to the lines typed.
    layout: Layout,
    /// The sources the program was lowered from.
    program_sources: Sources,
    /// How many inputs were numbered so far.
    inputs: usize,
}

impl Default for Repl {
    fn default() -> Repl {
        Repl::new()
    }
}

impl Repl {
    /// An empty session.
    pub fn new() -> Repl {
        Repl {
            sources: Sources::new(),
            entries: Vec::new(),
            values: HashMap::new(),
            base: PathBuf::from("."),
            program: Program::default(),
            layout: Layout::default(),
            program_sources: Sources::new(),
            inputs: 0,
        }
    }

    /// Enters one input (statements and expressions, possibly over several lines):
    /// statements are kept, expressions evaluated. On any error nothing is kept.
    pub fn enter(&mut self, text: &str) -> Result<Vec<Reply>, Failure> {
        let source = self.add_input(text);
        let ast = self.parse(source)?;
        let new = entries::entries_of(&ast, text);
        let (kept, replaced) = self.keep_with(&new);
        let (program, layout, sources) = self.lower(&kept, &replaced)?;
        let replies = self.replies(&ast, source, program, &layout, &sources)?;
        self.entries = kept
            .into_iter()
            .filter(|e| e.kind != EntryKind::Expression)
            .collect();
        Ok(replies)
    }

    /// The session's program (params at their current values).
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The sources the session's program points into, to render its errors.
    pub fn program_sources(&self) -> &Sources {
        &self.program_sources
    }

    /// Sets params to new values (after a descent); unknown names are ignored.
    pub fn set_values(&mut self, values: &[(String, f64)]) {
        for (name, value) in values {
            if let Some(p) = self.program.params.iter_mut().find(|p| p.name == *name) {
                p.value = *value;
                self.values.insert(name.clone(), *value);
            }
        }
    }

    /// Empties the session.
    pub fn reset(&mut self) {
        *self = Repl {
            sources: std::mem::take(&mut self.sources),
            inputs: self.inputs,
            ..Repl::new()
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
    fn parse(&self, source: SourceId) -> Result<Ast, Failure> {
        let (ast, errors) = crate::syntax::parse(source, self.sources.text(source));
        if errors.is_empty() {
            return Ok(ast);
        }
        Err(self.failure(errors.into_iter().map(Error::from).collect()))
    }

    fn failure(&self, errors: Vec<Error>) -> Failure {
        Failure {
            errors,
            sources: self.sources.clone(),
        }
    }

    /// The entries with `new` appended, less those whose names `new` declares again;
    /// and the names so replaced.
    fn keep_with(&self, new: &[Entry]) -> (Vec<Entry>, Vec<String>) {
        let declared: Vec<&String> = new.iter().filter_map(|e| e.name.as_ref()).collect();
        let mut kept: Vec<Entry> = Vec::with_capacity(self.entries.len() + new.len());
        let mut replaced = Vec::new();
        for entry in &self.entries {
            match &entry.name {
                Some(name) if declared.contains(&name) => replaced.push(name.clone()),
                _ => kept.push(entry.clone()),
            }
        }
        kept.extend(new.iter().cloned());
        (kept, replaced)
    }

    /// Lowers `entries` as one program; params keep their session values, except the
    /// `replaced` ones, which start afresh.
    fn lower(
        &self,
        entries: &[Entry],
        replaced: &[String],
    ) -> Result<(Program, Layout, Sources), Failure> {
        let mut sources = self.sources.clone();
        let combined = SourceId(sources.iter().count() as u32);
        let (text, layout) = entries::join(entries, combined);
        sources.add("<session>", text);
        let options = LoadOptions {
            free_names: true,
            allow_expressions: true,
            ..LoadOptions::default()
        };
        match Program::from_source(&mut sources, combined, &self.base, &options) {
            Ok(mut program) => {
                for p in &mut program.params {
                    if let Some(v) = self
                        .values
                        .get(&p.name)
                        .filter(|_| !replaced.contains(&p.name))
                    {
                        p.value = *v;
                    }
                }
                Ok((program, layout, sources))
            }
            Err(errors) => {
                let errors = errors.0.into_iter().map(|e| layout.error(e)).collect();
                Err(Failure { errors, sources })
            }
        }
    }

    /// Evaluates the new line's expressions and checks, prepares its descents, and on
    /// success makes `program` the session's.
    fn replies(
        &mut self,
        ast: &Ast,
        line: SourceId,
        mut program: Program,
        layout: &Layout,
        sources: &Sources,
    ) -> Result<Vec<Reply>, Failure> {
        let fail = |errors: Vec<Error>| Failure {
            errors: errors.into_iter().map(|e| layout.error(e)).collect(),
            sources: sources.clone(),
        };
        let new_checks = count(ast, |k| matches!(k, StmtKind::Check { .. }));
        let new_minimizes = count(ast, |k| matches!(k, StmtKind::Minimize { .. }));
        let mut replies: Vec<Reply> = Vec::new();
        for (i, &(node, _)) in program.expressions.clone().iter().enumerate() {
            let derivative = has_derivative(ast, i);
            replies.push(show(&mut program, node, derivative).map_err(|e| fail(vec![e]))?);
        }
        let first_check = program.checks.len() - new_checks;
        for index in first_check..program.checks.len() {
            let options = CheckOptions::default();
            let mut report =
                check_statement(&mut program, index, &options).map_err(|e| fail(vec![e]))?;
            report.span = layout.span(report.span);
            replies.push(Reply::Check(report));
        }
        let first_minimize = program.minimizes.len() - new_minimizes;
        for m in program.minimizes.split_off(first_minimize) {
            let descent = descent_of(&program, &m, sources);
            replies.push(Reply::Minimize(Box::new(descent)));
        }
        for w in &program.warnings {
            let w = layout.error(w.clone());
            if w.span.is_some_and(|s| s.source == line) {
                replies.push(Reply::Warning(w));
            }
        }
        self.remember(program, layout.clone(), sources.clone());
        Ok(replies)
    }

    /// Makes `program` the session's program and records its param values.
    fn remember(&mut self, program: Program, layout: Layout, sources: Sources) {
        self.values = program
            .params
            .iter()
            .map(|p| (p.name.clone(), p.value))
            .collect();
        self.program = program;
        self.layout = layout;
        self.program_sources = sources;
    }

    /// The base directory for CSV paths.
    fn set_base(&mut self, file: &Path) {
        self.base = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    }
}

/// A `minimize` statement of `program` as a descent to run.
fn descent_of(program: &Program, m: &crate::program::Minimize, sources: &Sources) -> Descent {
    let task = Task {
        name: m.name.clone(),
        objective: m.objective,
        wrt: m.wrt.clone(),
        span: Some(m.span),
    };
    Descent {
        program: program.clone(),
        task,
        settings: m.settings.clone(),
        sources: sources.clone(),
    }
}

/// How many statements of the line are of a kind.
fn count(ast: &Ast, kind: impl Fn(&StmtKind) -> bool) -> usize {
    ast.statements.iter().filter(|s| kind(&s.kind)).count()
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
