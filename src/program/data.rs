//! Data columns: inline vectors and CSV files (the `csv` crate), with errors that point
//! at the CSV file's line and column.

use crate::error::{Error, ErrorKind};
use crate::syntax::{Number, SourceId, Sources, Span};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The largest file nabla reads (program or CSV): a 100-column, 100,000-row CSV is
/// about 100 MB. Each number costs 32 bytes once read, so a full file takes about 3 GB.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Reads a text file into `sources`, refusing unreadable, oversized and non-UTF-8 files.
/// `shown_as` is the name messages use; `at` is the span that asked for the file.
pub fn read_source(
    sources: &mut Sources,
    path: &Path,
    shown_as: &str,
    at: Option<Span>,
) -> Result<SourceId, Error> {
    let io_error = |reason: String| {
        Error::new(
            ErrorKind::Io {
                path: shown_as.to_string(),
                reason,
            },
            at,
        )
    };
    let metadata = std::fs::metadata(path).map_err(|e| io_error(e.to_string()))?;
    if metadata.is_dir() {
        return Err(io_error("it is a directory".into()));
    }
    let too_large = |size: String| {
        Error::new(
            ErrorKind::Limit {
                what: format!("`{shown_as}` ({size})"),
                limit: MAX_FILE_BYTES as usize,
            },
            at,
        )
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(format!("{} bytes", metadata.len())));
    }
    // The size above is 0 for a device or a pipe (`/dev/zero`, `/dev/stdin`), so the
    // read itself stops one byte past the limit instead of filling the memory.
    let file = std::fs::File::open(path).map_err(|e| io_error(e.to_string()))?;
    read_text(sources, file, shown_as, at)
}

/// The name messages give the program read from standard input (`nabla run -`).
pub const STDIN_NAME: &str = "<stdin>";

/// Reads the program from standard input into `sources` as `<stdin>`, with the limits
/// and checks of [`read_source`].
pub fn read_stdin(sources: &mut Sources) -> Result<SourceId, Error> {
    read_text(sources, std::io::stdin().lock(), STDIN_NAME, None)
}

/// Reads at most [`MAX_FILE_BYTES`] of UTF-8 text from `reader` into `sources`.
fn read_text(
    sources: &mut Sources,
    reader: impl Read,
    shown_as: &str,
    at: Option<Span>,
) -> Result<SourceId, Error> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            let kind = ErrorKind::Io {
                path: shown_as.to_string(),
                reason: e.to_string(),
            };
            Error::new(kind, at)
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let kind = ErrorKind::Limit {
            what: format!("`{shown_as}` (more than {MAX_FILE_BYTES} bytes)"),
            limit: MAX_FILE_BYTES as usize,
        };
        return Err(Error::new(kind, at));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(shown_as, text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let id = sources.add(shown_as, text);
            // The lossy text has U+FFFD (3 bytes) where the bad byte was.
            let span = Span::new(id, valid, valid + '\u{FFFD}'.len_utf8());
            Err(Error::new(
                ErrorKind::Syntax(crate::syntax::SyntaxErrorKind::InvalidUtf8),
                Some(span),
            ))
        }
    }
}

/// A CSV file read once: its text (in the sources, for messages) and its header.
pub(super) struct CsvFile {
    source: SourceId,
    /// The header names, in the file's order.
    pub headers: Vec<String>,
}

/// Reads a CSV file and its header line.
pub(super) fn open_csv(
    sources: &mut Sources,
    path: &Path,
    shown_as: &str,
    at: Span,
) -> Result<CsvFile, Vec<Error>> {
    let source = read_source(sources, path, shown_as, Some(at)).map_err(|e| vec![e])?;
    let shown_as = sources.name(source);
    let mut reader = reader(sources.text(source));
    let headers = reader
        .headers()
        .map_err(|e| vec![csv_error(shown_as, 0, e.to_string(), None)])?;
    let headers = headers.iter().map(str::to_string).collect();
    Ok(CsvFile { source, headers })
}

/// A reader that trims the header names; cells are trimmed as they are parsed.
fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes())
}

/// The columns `names` of a CSV file: for each name asked for, its values. The
/// records are split in one pass; their cells are parsed in blocks of rows on every
/// core.
pub(super) fn read_csv(
    sources: &Sources,
    file: &CsvFile,
    names: &[(String, Span)],
) -> Result<Vec<Vec<Number>>, Vec<Error>> {
    let (source, shown_as) = (file.source, sources.name(file.source));
    let text = sources.text(source);
    let places = header_places(&file.headers);
    let mut columns = Vec::new();
    let mut errors = Vec::new();
    for (name, span) in names {
        match find_column(&places, &file.headers, name, *span, shown_as) {
            Ok(i) => columns.push(i),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut records = Vec::new();
    for (row, record) in reader(text).records().enumerate() {
        records.push(record.map_err(|e| vec![record_error(text, source, shown_as, row + 1, &e)])?);
    }
    // Blocks of rows in parallel, each row's cells in turn (the records stay in cache).
    let context = Context {
        columns: &columns,
        names,
        text,
        source,
        shown_as,
    };
    let blocks: Vec<(Vec<Vec<Number>>, Vec<Error>)> = records
        .par_chunks(ROWS_PER_BLOCK)
        .enumerate()
        .map(|(b, block)| context.parse_rows(block, b * ROWS_PER_BLOCK))
        .collect();
    let mut values: Vec<Vec<Number>> = columns
        .iter()
        .map(|_| Vec::with_capacity(records.len()))
        .collect();
    for (block, mut bad) in blocks {
        for (all, part) in values.iter_mut().zip(block) {
            all.extend(part);
        }
        errors.append(&mut bad);
    }
    if errors.is_empty() {
        return Ok(values);
    }
    // The first 20 bad cells in the file's order, as a reader going row by row finds.
    errors.sort_by_key(|e| e.span.map(|s| s.start));
    errors.truncate(20);
    Err(errors)
}

/// Rows per block of [`read_csv`]'s parallel parse.
const ROWS_PER_BLOCK: usize = 2048;

/// What parsing the cells of a CSV file needs to know.
struct Context<'a> {
    /// The columns wanted, by their place in a record.
    columns: &'a [usize],
    /// Their names as asked for (for messages).
    names: &'a [(String, Span)],
    text: &'a str,
    source: SourceId,
    shown_as: &'a str,
}

impl Context<'_> {
    /// The wanted cells of `records` (rows `first + 1..` of the data) as numbers, each
    /// column apart, and the first 20 bad cells as errors.
    fn parse_rows(
        &self,
        records: &[csv::StringRecord],
        first: usize,
    ) -> (Vec<Vec<Number>>, Vec<Error>) {
        let mut values: Vec<Vec<Number>> = self
            .columns
            .iter()
            .map(|_| Vec::with_capacity(records.len()))
            .collect();
        let mut errors = Vec::new();
        for (row, record) in records.iter().enumerate() {
            for ((&column, out), (name, _)) in self.columns.iter().zip(&mut values).zip(self.names)
            {
                let cell = record.get(column).unwrap_or("").trim_ascii();
                match Number::parse(cell) {
                    Ok(number) => out.push(number),
                    Err(e) if errors.len() < 20 => {
                        let line_start = record.position().map_or(0, |p| p.byte() as usize);
                        let span = cell_span(self.text, self.source, line_start, column);
                        let reason = format!("`{cell}` in column `{name}` is {e}");
                        errors.push(csv_error(
                            self.shown_as,
                            first + row + 1,
                            reason,
                            Some(span),
                        ));
                    }
                    Err(_) => {}
                }
            }
        }
        (values, errors)
    }
}

/// Each header name's first place and, if it is named twice, its second.
fn header_places(headers: &[String]) -> HashMap<&str, (usize, Option<usize>)> {
    let mut places: HashMap<&str, (usize, Option<usize>)> = HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        places
            .entry(header.as_str())
            .and_modify(|(_, second)| *second = second.or(Some(i)))
            .or_insert((i, None));
    }
    places
}

/// The index of the column `name` (its places from [`header_places`]): an error
/// naming the file when it is missing or named twice (it would be ambiguous which one
/// is meant).
fn find_column(
    places: &HashMap<&str, (usize, Option<usize>)>,
    headers: &[String],
    name: &str,
    span: Span,
    shown_as: &str,
) -> Result<usize, Error> {
    match places.get(name) {
        Some(&(i, None)) => Ok(i),
        Some(&(first, Some(second))) => Err(Error::new(
            ErrorKind::DuplicateColumn {
                path: shown_as.to_string(),
                column: name.to_string(),
                first: first + 1,
                second: second + 1,
            },
            Some(span),
        )),
        None => Err(Error::new(
            ErrorKind::MissingColumn {
                path: shown_as.to_string(),
                column: name.to_string(),
                available: headers.join(", "),
            },
            Some(span),
        )),
    }
}

/// A malformed CSV record (a row with too few or too many fields), at its line.
fn record_error(text: &str, source: SourceId, path: &str, row: usize, e: &csv::Error) -> Error {
    let span = e.position().map(|p| {
        let start = (p.byte() as usize).min(text.len());
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        Span::new(source, start, end.max(start))
    });
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "it has {len} field{} where the rows before it have {expected_len}",
            if *len == 1 { "" } else { "s" }
        ),
        _ => e.to_string(),
    };
    csv_error(path, row, reason, span)
}

fn csv_error(path: &str, row: usize, reason: String, span: Option<Span>) -> Error {
    Error::new(
        ErrorKind::Csv {
            path: path.to_string(),
            row,
            reason,
        },
        span,
    )
}

/// The span of cell `column` on the line starting at `line_start` (simple, unquoted CSV;
/// for quoted cells the span falls back to the line).
fn cell_span(text: &str, source: SourceId, line_start: usize, column: usize) -> Span {
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    let mut start = line_start;
    for (i, cell) in line.split(',').enumerate() {
        if i == column {
            let trimmed = cell.trim_start();
            let offset = start + (cell.len() - trimmed.len());
            return Span::new(source, offset, offset + trimmed.trim_end().len().max(1));
        }
        start += cell.len() + 1;
    }
    Span::new(source, line_start, line_end)
}
