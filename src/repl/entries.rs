//! The session's program as a list of entries, one per declared name or statement, and
//! the layout that maps the program text lowered back to the lines the person typed.
//!
//! A typed line is split into entries: `param w = 1, b = 2` gives one entry per param
//! (`param w = 1`, `param b = 2`), `data x, y from "f.csv"` one per column, and every
//! other statement one entry. An entry is text built from pieces of the line it came
//! from plus a little glue (`param `), and remembers where each piece came from, so an
//! error found in the lowered program points into the line typed, not into the
//! session's text.

use crate::error::Error;
use crate::syntax::{Ast, ExprId, ParamInit, SourceId, Span, Stmt, StmtKind};

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

/// One statement of the session's program, with the places its text came from.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The statement's text as it is lowered.
    pub(crate) text: String,
    /// The names it declares (one, except for none of checks and expressions).
    pub(crate) name: Option<String>,
    /// What it is.
    pub(crate) kind: EntryKind,
    /// Where the text came from, piece by piece (offsets within `text`).
    pieces: Vec<Piece>,
}

/// A run of an entry's text: copied from `origin`, or glue (`None`).
#[derive(Debug, Clone, Copy)]
struct Piece {
    at: usize,
    len: usize,
    origin: Option<Span>,
}

impl Entry {
    fn new(kind: EntryKind, name: Option<String>) -> Entry {
        Entry {
            text: String::new(),
            name,
            kind,
            pieces: Vec::new(),
        }
    }

    fn glue(mut self, text: &str) -> Entry {
        self.pieces.push(Piece {
            at: self.text.len(),
            len: text.len(),
            origin: None,
        });
        self.text.push_str(text);
        self
    }

    fn copy(mut self, source_text: &str, span: Span) -> Entry {
        let copied = source_text.get(span.range()).unwrap_or("");
        self.pieces.push(Piece {
            at: self.text.len(),
            len: copied.len(),
            origin: Some(span),
        });
        self.text.push_str(copied);
        self
    }
}

/// Splits the statements of a parsed source into entries (see the module docs).
pub(crate) fn entries_of(ast: &Ast, text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    for stmt in &ast.statements {
        match &stmt.kind {
            StmtKind::Param(decls) => {
                for decl in decls {
                    let end = param_end(ast, text, &decl.init, decl.name.span.end as usize);
                    let span = Span::new(stmt.span.source, decl.name.span.start as usize, end);
                    let entry = Entry::new(EntryKind::Param, Some(decl.name.name.clone()));
                    entries.push(entry.glue("param ").copy(text, span));
                }
            }
            StmtKind::DataFile {
                names, path_span, ..
            } => {
                for name in names {
                    let entry = Entry::new(EntryKind::Data, Some(name.name.clone()));
                    let entry = entry.glue("data ").copy(text, name.span).glue(" from ");
                    entries.push(entry.copy(text, *path_span));
                }
            }
            _ => entries.push(whole_statement(stmt, text)),
        }
    }
    entries
}

fn whole_statement(stmt: &Stmt, text: &str) -> Entry {
    let (kind, name) = match &stmt.kind {
        StmtKind::DataInline { name, .. } => (EntryKind::Data, Some(name.name.clone())),
        StmtKind::Define {
            name, params: None, ..
        } => (EntryKind::Definition, Some(name.name.clone())),
        StmtKind::Define { name, .. } => (EntryKind::Function, Some(name.name.clone())),
        StmtKind::Check { .. } => (EntryKind::Check, None),
        StmtKind::Minimize { .. } => (EntryKind::Minimize, None),
        StmtKind::Param(_) | StmtKind::DataFile { .. } | StmtKind::Expr(_) => {
            (EntryKind::Expression, None)
        }
    };
    Entry::new(kind, name).copy(text, stmt.span)
}

/// Where the declaration of one param ends: after its value, or after the closing
/// parenthesis of its distribution.
fn param_end(ast: &Ast, text: &str, init: &ParamInit, name_end: usize) -> usize {
    let expr_end = |e: &ExprId| ast.expr(*e).span.end as usize;
    match init {
        ParamInit::Value(value) => expr_end(value),
        ParamInit::Random { dist, args } => {
            let after = args.last().map_or(dist.span.end as usize, expr_end);
            let rest = text.get(after..).unwrap_or("");
            match rest.find(')') {
                Some(i) => after + i + 1,
                None => after.max(name_end),
            }
        }
    }
}

/// The session's entries joined into one program text, with the map back to the
/// lines they came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    /// The source the joined text was added as.
    pub(crate) combined: SourceId,
    /// Every piece, with its offset in the joined text, in order.
    pieces: Vec<Piece>,
}

/// Joins entries, one a line; returns the text and its layout (for `combined`).
pub(crate) fn join<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    combined: SourceId,
) -> (String, Layout) {
    let mut text = String::new();
    let mut pieces = Vec::new();
    for entry in entries {
        let start = text.len();
        pieces.extend(entry.pieces.iter().map(|p| Piece {
            at: start + p.at,
            ..*p
        }));
        text.push_str(&entry.text);
        text.push('\n');
    }
    (text, Layout { combined, pieces })
}

impl Layout {
    /// The same span in the line it came from (spans in other sources are kept).
    pub(crate) fn span(&self, span: Span) -> Span {
        if span.source != self.combined {
            return span;
        }
        let Some(start) = self.offset(span.start as usize) else {
            return span;
        };
        let end = self
            .offset(span.end.max(span.start.saturating_add(1)) as usize - 1)
            .filter(|end| end.0 == start.0 && end.1 >= start.1)
            .map_or(start.1 + 1, |end| end.1 + 1);
        Span::new(start.0, start.1, end)
    }

    /// The error with every span mapped back to the line it came from.
    pub(crate) fn error(&self, mut error: Error) -> Error {
        error.span = error.span.map(|s| self.span(s));
        for (span, _) in &mut error.labels {
            *span = self.span(*span);
        }
        error
    }

    /// The origin (source, byte offset) of a byte of the joined text; glue maps to the
    /// start of the next copied piece (or the end of the one before).
    fn offset(&self, offset: usize) -> Option<(SourceId, usize)> {
        let index = self.pieces.partition_point(|p| p.at + p.len <= offset);
        let piece = self.pieces.get(index)?;
        if let Some(origin) = piece.origin {
            let within = offset.saturating_sub(piece.at).min(piece.len);
            return Some((origin.source, origin.start as usize + within));
        }
        let next = self.pieces[index..].iter().find_map(|p| p.origin);
        let before = self.pieces[..index].iter().rev().find_map(|p| p.origin);
        next.map(|o| (o.source, o.start as usize))
            .or(before.map(|o| (o.source, o.end as usize)))
    }
}
