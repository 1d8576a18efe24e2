//! The session's statements as entries, one per declared name or statement, and which
//! entries use which names, so that an input re-lowers only what it makes stale.
//!
//! A typed line is split into entries: `param w = 1, b = 2` gives one entry per param,
//! `data x, y from "f.csv"` one per column, and every other statement one entry. Each
//! entry keeps its line's parsed source, so it can be lowered again on its own, with
//! spans that point into the line typed.

use crate::program::Item;
use crate::syntax::{Ast, ExprId, ExprKind, ParamInit, SourceId, Stmt, StmtKind};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

/// One input (a typed line or a loaded file), parsed.
#[derive(Debug)]
pub(crate) struct Line {
    /// Its source, named `<repl:N>` or after the file.
    pub(crate) source: SourceId,
    /// Its text.
    pub(crate) text: String,
    /// Its statements.
    pub(crate) ast: Ast,
}

/// What an entry is; a new entry that declares a name replaces the older one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// One param.
    Param,
    /// One data column.
    Data,
    /// A definition `name = expr`.
    Definition,
    /// A function `name(a, b) = expr`.
    Function,
    /// A `check` statement.
    Check,
    /// A `minimize` statement.
    Minimize,
    /// A bare expression (evaluated, never kept).
    Expression,
}

/// One statement of the session, with the line it came from.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    line: Rc<Line>,
    /// The statement (a `param` or `data ... from` statement keeps one name).
    stmt: Stmt,
    /// The name it declares (none for checks, minimizes and expressions).
    pub(crate) name: Option<String>,
    /// What it is.
    pub(crate) kind: EntryKind,
    /// The names its expressions use (a function's own parameters left out).
    mentions: Vec<String>,
}

impl Entry {
    /// The statement as it is lowered.
    pub(crate) fn item(&self) -> Item<'_> {
        Item {
            ast: &self.line.ast,
            text: &self.line.text,
            stmt: Cow::Borrowed(&self.stmt),
        }
    }

    /// The statement's text as written.
    pub(crate) fn text(&self) -> &str {
        self.line.text.get(self.stmt.span.range()).unwrap_or("")
    }
}

/// Splits the statements of a parsed input into entries (see the module docs).
pub(crate) fn entries_of(line: &Rc<Line>) -> Vec<Entry> {
    let mut entries = Vec::new();
    for stmt in &line.ast.statements {
        let entry = |stmt: Stmt, kind, name: Option<&str>| Entry {
            mentions: mentions(&line.ast, &stmt),
            line: Rc::clone(line),
            stmt,
            name: name.map(str::to_string),
            kind,
        };
        match &stmt.kind {
            StmtKind::Param(decls) => {
                for decl in decls {
                    let one = Stmt {
                        kind: StmtKind::Param(vec![decl.clone()]),
                        span: stmt.span,
                    };
                    entries.push(entry(one, EntryKind::Param, Some(&decl.name.name)));
                }
            }
            StmtKind::DataFile {
                names,
                path,
                path_span,
            } => {
                for name in names {
                    let kind = StmtKind::DataFile {
                        names: vec![name.clone()],
                        path: path.clone(),
                        path_span: *path_span,
                    };
                    let one = Stmt {
                        kind,
                        span: stmt.span,
                    };
                    entries.push(entry(one, EntryKind::Data, Some(&name.name.name)));
                }
            }
            _ => {
                let (kind, name) = kind_of(stmt);
                entries.push(entry(stmt.clone(), kind, name));
            }
        }
    }
    entries
}

fn kind_of(stmt: &Stmt) -> (EntryKind, Option<&str>) {
    match &stmt.kind {
        StmtKind::DataInline { name, .. } => (EntryKind::Data, Some(&name.name)),
        StmtKind::Define {
            name, params: None, ..
        } => (EntryKind::Definition, Some(&name.name)),
        StmtKind::Define { name, .. } => (EntryKind::Function, Some(&name.name)),
        StmtKind::Check { .. } => (EntryKind::Check, None),
        StmtKind::Minimize { .. } => (EntryKind::Minimize, None),
        StmtKind::Param(_) | StmtKind::DataFile { .. } | StmtKind::Expr(_) => {
            (EntryKind::Expression, None)
        }
    }
}

/// The names a statement's expressions use, each once.
fn mentions(ast: &Ast, stmt: &Stmt) -> Vec<String> {
    let mut roots: Vec<ExprId> = Vec::new();
    let mut own: Vec<&str> = Vec::new();
    let mut found: Vec<String> = Vec::new();
    match &stmt.kind {
        StmtKind::Param(decls) => {
            for decl in decls {
                match &decl.init {
                    ParamInit::Value(e) => roots.push(*e),
                    ParamInit::Random { args, .. } => roots.extend(args),
                }
            }
        }
        StmtKind::DataInline { values, .. } => roots.push(*values),
        StmtKind::DataFile { .. } => {}
        StmtKind::Define { params, body, .. } => {
            roots.push(*body);
            own.extend(params.iter().flatten().map(|p| p.name.as_str()));
        }
        StmtKind::Check {
            derivative,
            expected,
        } => roots.extend([*derivative, *expected]),
        StmtKind::Minimize {
            objective,
            wrt,
            method,
        } => {
            roots.push(*objective);
            found.extend(wrt.iter().map(|w| w.name.clone()));
            roots.extend(
                method
                    .iter()
                    .flat_map(|m| m.options.iter().map(|o| o.value)),
            );
        }
        StmtKind::Expr(e) => roots.push(*e),
    }
    for id in roots.into_iter().flat_map(|r| ast.subtree(r)) {
        let name = match &ast.expr(id).kind {
            ExprKind::Name(n) => n,
            ExprKind::Call { callee, .. } => &callee.name,
            ExprKind::Derivative { wrt, .. } => &wrt.name,
            _ => continue,
        };
        if !own.contains(&name.as_str()) && !found.contains(name) {
            found.push(name.clone());
        }
    }
    found
}

/// The session's entries in the order they were typed, and who uses which name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entries {
    /// Every entry kept, `None` where one was replaced.
    slots: Vec<Option<Entry>>,
    /// The slot of the entry declaring each name.
    by_name: HashMap<String, usize>,
    /// The slots of the entries that use each name (possibly replaced ones, pruned
    /// when next visited).
    users: HashMap<String, Vec<usize>>,
}

/// The entries a new input makes stale.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stale {
    /// Those that declare a name the input declares again.
    pub(crate) replaced: Vec<usize>,
    /// Those that use, directly or through other entries, a name the input declares:
    /// they are lowered again with it.
    pub(crate) affected: Vec<usize>,
}

impl Entries {
    /// The entries kept, in the order typed.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten()
    }

    /// The entry in `slot`, if it is kept.
    pub(crate) fn get(&self, slot: usize) -> Option<&Entry> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// What `declared` (the names of a new input) makes stale, by a walk from each
    /// name to its users, and theirs.
    pub(crate) fn stale(&mut self, declared: &[&str]) -> Stale {
        let replaced: Vec<usize> = declared
            .iter()
            .filter_map(|n| self.by_name.get(*n).copied())
            .collect();
        let mut seen: HashSet<usize> = replaced.iter().copied().collect();
        let mut affected = Vec::new();
        let mut queue: VecDeque<String> = declared.iter().map(|n| n.to_string()).collect();
        while let Some(name) = queue.pop_front() {
            let Some(users) = self.users.get_mut(&name) else {
                continue;
            };
            let slots = &self.slots;
            users.retain(|&i| slots.get(i).is_some_and(Option::is_some));
            for &i in users.iter() {
                if seen.insert(i) {
                    affected.push(i);
                    let entry = self.slots.get(i).and_then(Option::as_ref);
                    queue.extend(entry.and_then(|e| e.name.clone()));
                }
            }
        }
        affected.sort_unstable();
        Stale { replaced, affected }
    }

    /// Drops the `replaced` entries and keeps `new` (bare expressions are not kept).
    pub(crate) fn commit(&mut self, replaced: &[usize], new: Vec<Entry>) {
        for &slot in replaced {
            if let Some(entry) = self.slots.get_mut(slot).and_then(Option::take)
                && let Some(name) = &entry.name
                && self.by_name.get(name) == Some(&slot)
            {
                self.by_name.remove(name);
            }
        }
        for entry in new.into_iter().filter(|e| e.kind != EntryKind::Expression) {
            let slot = self.slots.len();
            for name in &entry.mentions {
                self.users.entry(name.clone()).or_default().push(slot);
            }
            if let Some(name) = &entry.name {
                self.by_name.insert(name.clone(), slot);
            }
            self.slots.push(Some(entry));
        }
    }
}
