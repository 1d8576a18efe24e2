//! Source texts and byte spans into them.
//!
//! Every span in nabla names the source it points into, so an error found while
//! reading a CSV file, or in a REPL line typed an hour ago, still points at the right text.

use std::fmt;

/// Which source text a span points into: an index into [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SourceId(pub u32);

/// A half-open byte range `start..end` in one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The source the offsets refer to.
    pub source: SourceId,
    /// First byte of the span.
    pub start: u32,
    /// One past the last byte of the span.
    pub end: u32,
}

impl Span {
    /// A span of `start..end` in `source`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span {
            source,
            start: saturate(start),
            end: saturate(end.max(start)),
        }
    }

    /// The smallest span covering both `self` and `other` (same source assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The byte range, for slicing the source text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

fn saturate(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: usize,
    /// Column number in characters, from 1.
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One named source text: a `.nabla` file, a CSV file, a REPL line or a `-e` expression.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown in messages (usually the path as the user gave it).
    pub name: String,
    /// The text itself.
    pub text: String,
}

/// All source texts a program was read from; spans index into it.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    sources: Vec<Source>,
}

impl Sources {
    /// An empty set of sources.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds a source text and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        let id = SourceId(saturate(self.sources.len()));
        self.sources.push(Source {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    /// The source with this id, if it exists.
    pub fn get(&self, id: SourceId) -> Option<&Source> {
        self.sources.get(id.0 as usize)
    }

    /// The text of the source, or `""` for an unknown id.
    pub fn text(&self, id: SourceId) -> &str {
        self.get(id).map_or("", |s| s.text.as_str())
    }

    /// The name of the source, or `"<unknown>"` for an unknown id.
    pub fn name(&self, id: SourceId) -> &str {
        self.get(id).map_or("<unknown>", |s| s.name.as_str())
    }

    /// The text a span covers (empty when the span does not fit the text).
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.source).get(span.range()).unwrap_or("")
    }

    /// Line and column of the start of `span`.
    pub fn line_col(&self, span: Span) -> LineCol {
        line_col(self.text(span.source), span.start as usize)
    }

    /// All sources, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &Source)> {
        self.sources
            .iter()
            .enumerate()
            .map(|(i, s)| (SourceId(saturate(i)), s))
    }
}

/// Line and column (1-based, columns in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    LineCol {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}
