//! The open documents' texts, their edits, and the mapping between byte offsets (what
//! nabla's spans hold) and LSP positions (a line and a column in UTF-16 code units,
//! as the protocol counts them unless another encoding is negotiated).
//!
//! A line ends at `\n` (a `\r` before it is the last character of its line, which no
//! editor puts a cursor after). A position past the end of its line means the end of
//! the line, and a line past the end of the text means the end of the text, as the
//! protocol asks; so no position a client sends is out of range.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// Where each line starts, for turning offsets into positions and back in O(log n).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// The byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
}

impl LineIndex {
    /// The line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The LSP position of byte `offset` of `text` (clamped to the text, and moved
    /// back to the start of a character it falls inside).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(saturate(line), saturate(column))
    }

    /// The LSP range of the byte range `start..end` of `text`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }

    /// The byte offset of an LSP position in `text`: the end of the line for a column
    /// past it (or inside a surrogate pair), the end of the text for a line past it.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(text.len(), |&next| next - 1);
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// The number of lines.
    pub fn lines(&self) -> usize {
        self.starts.len()
    }
}

/// One open document: its text and the version the client gave it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The current text.
    pub text: String,
    /// The client's version of it (increasing with every change).
    pub version: i32,
    /// The line starts of `text`.
    pub lines: LineIndex,
}

impl Document {
    /// A document opened with `text`.
    pub fn new(text: String, version: i32) -> Document {
        let lines = LineIndex::new(&text);
        Document {
            text,
            version,
            lines,
        }
    }

    /// Applies the changes of one `didChange`, in order: a change without a range
    /// replaces the whole text, one with a range replaces that range (its ends
    /// swapped if the client sent them the wrong way round).
    pub fn apply(&mut self, changes: Vec<TextDocumentContentChangeEvent>, version: i32) {
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let a = self.lines.offset(&self.text, range.start);
                    let b = self.lines.offset(&self.text, range.end);
                    self.text.replace_range(a.min(b)..a.max(b), &change.text);
                }
            }
            self.lines = LineIndex::new(&self.text);
        }
        self.version = version;
    }
}

/// `offset` clamped to `text` and moved back to a character boundary.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `θ` is 2 bytes and 1 unit; `𝑤` is 4 bytes and 2 units (a surrogate pair).
        let text = "θ = 1\n𝑤x = θ\n";
        let lines = LineIndex::new(text);
        let at = |offset| lines.position(text, offset);
        assert_eq!(at(0), Position::new(0, 0));
        assert_eq!(at(2), Position::new(0, 1));
        let second = text.find('𝑤').unwrap_or(0);
        assert_eq!(at(second + 4), Position::new(1, 2));
        assert_eq!(at(text.find("= θ").unwrap_or(0) + 2), Position::new(1, 6));
        for offset in [0, 2, 3, second, second + 4, second + 5, text.len()] {
            assert_eq!(lines.offset(text, at(offset)), offset, "offset {offset}");
        }
    }

    #[test]
    fn positions_out_of_range_are_clamped() {
        let text = "ab\ncd";
        let lines = LineIndex::new(text);
        assert_eq!(lines.offset(text, Position::new(0, 99)), 2);
        assert_eq!(lines.offset(text, Position::new(7, 0)), text.len());
        assert_eq!(lines.position(text, 999), Position::new(1, 2));
        // Inside the surrogate pair of `𝑤`: the end of the character's line, not a panic.
        let text = "𝑤";
        let lines = LineIndex::new(text);
        assert_eq!(lines.offset(text, Position::new(0, 1)), 4);
        assert_eq!(lines.position(text, 1), Position::new(0, 0));
    }

    #[test]
    fn incremental_changes_edit_the_text() {
        let mut document = Document::new("param θ = 1\nloss = θ^2\n".into(), 1);
        let change = |range: Option<Range>, text: &str| TextDocumentContentChangeEvent {
            range,
            range_length: None,
            text: text.into(),
        };
        let theta = Range::new(Position::new(1, 7), Position::new(1, 8));
        document.apply(vec![change(Some(theta), "θ + 1")], 2);
        assert_eq!(document.text, "param θ = 1\nloss = θ + 1^2\n");
        let backwards = Range::new(Position::new(1, 14), Position::new(1, 12));
        document.apply(vec![change(Some(backwards), "")], 3);
        assert_eq!(document.text, "param θ = 1\nloss = θ + 1\n");
        document.apply(vec![change(None, "x = 1")], 4);
        assert_eq!((document.text.as_str(), document.version), ("x = 1", 4));
        assert_eq!(document.lines.lines(), 1);
    }
}
