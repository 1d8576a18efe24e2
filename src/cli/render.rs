//! Rendering errors for people (source line and caret, through ariadne) and for
//! programs (the JSON error document of SPEC 6).

use crate::error::Error;
use crate::syntax::Sources;
use ariadne::{Config, IndexType, Label, Report, ReportKind};
use serde_json::{Value as Json, json};

/// Renders errors (or warnings) as text with the source line and a caret under the span.
pub fn render(sources: &Sources, errors: &[Error], kind: ReportKind, color: bool) -> String {
    let mut out = Vec::new();
    let mut cache = ariadne::sources(
        sources
            .iter()
            .map(|(_, s)| (s.name.clone(), s.text.as_str())),
    );
    for error in errors {
        render_one(sources, error, kind, color, &mut cache, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_one(
    sources: &Sources,
    error: &Error,
    kind: ReportKind,
    color: bool,
    cache: &mut impl ariadne::Cache<String>,
    out: &mut Vec<u8>,
) {
    let label_text = kind_label(kind);
    let Some(span) = error.span.filter(|s| sources.get(s.source).is_some()) else {
        out.extend(format!("{label_text}: {error}\n").into_bytes());
        if let Some(help) = error.help() {
            out.extend(format!("  help: {help}\n").into_bytes());
        }
        return;
    };
    let spans = std::iter::once(span).chain(error.labels.iter().map(|(s, _)| *s));
    let long = spans
        .filter(|s| sources.get(s.source).is_some())
        .any(|s| line_of(sources.text(s.source), s.start as usize).len() > MAX_LINE);
    if long {
        out.extend(render_long_line(sources, error, label_text).into_bytes());
        return;
    }
    let name = |s: crate::syntax::SourceId| sources.name(s).to_string();
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte);
    let range = |s: crate::syntax::Span| char_range(sources.text(s.source), s);
    let mut report = Report::build(kind, (name(span.source), range(span)))
        .with_config(config)
        .with_message(error.to_string())
        .with_label(Label::new((name(span.source), range(span))).with_message(here(error)));
    // An extra place on the main line is a label; elsewhere a note with its own line and
    // column (ariadne would head a second snippet with the main error's position).
    let main_line = sources.line_col(span).line;
    for (extra, text) in &error.labels {
        let at = sources.line_col(*extra);
        if extra.source == span.source && at.line == main_line {
            report = report
                .with_label(Label::new((name(extra.source), range(*extra))).with_message(text));
        } else {
            let line = line_of(sources.text(extra.source), extra.start as usize).trim();
            report = report.with_note(format!(
                "{text}: {}:{at}: {line}",
                sources.name(extra.source)
            ));
        }
    }
    if let Some(help) = error.help() {
        report = report.with_help(help);
    }
    if report.finish().write(&mut *cache, &mut *out).is_err() {
        out.extend(format!("{label_text}: {error}\n").into_bytes());
    }
}

/// The span's byte range, clamped to the text and widened to character boundaries.
fn char_range(text: &str, span: crate::syntax::Span) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Lines longer than this are shown as a window around the span.
const MAX_LINE: usize = 160;

fn line_of(text: &str, offset: usize) -> &str {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    &text[start..end]
}

/// A plain rendering for a huge line (a generated multi-megabyte expression): the file, line
/// and column, and 60 characters either side of the span with a caret.
fn render_long_line(sources: &Sources, error: &Error, label: &str) -> String {
    let Some(span) = error.span else {
        return format!("{label}: {error}\n");
    };
    let text = sources.text(span.source);
    let at = sources.line_col(span);
    let line = line_of(text, span.start as usize);
    let chars: Vec<char> = line.chars().collect();
    let column = at.column - 1;
    let from = column.saturating_sub(60);
    let to = (column + 60).min(chars.len());
    let mut window: String = chars[from..to].iter().collect();
    let mut caret_at = column - from;
    if from > 0 {
        window.insert(0, '…');
        caret_at += 1;
    }
    if to < chars.len() {
        window.push('…');
    }
    let gutter = at.line.to_string().len();
    let pad = " ".repeat(gutter);
    let mut out = format!(
        "{label}: {error}\n{pad}--> {}:{at}\n{pad} |\n",
        sources.name(span.source)
    );
    out += &format!(
        "{} | {window}\n{pad} | {}^ here\n",
        at.line,
        " ".repeat(caret_at)
    );
    if let Some(help) = error.help() {
        out += &format!("{pad} = help: {help}\n");
    }
    out
}

/// The word that opens a message, as ariadne writes it (`Error:`, `Warning:`).
fn kind_label(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Warning => "Warning",
        _ => "Error",
    }
}

fn here(error: &Error) -> String {
    use crate::error::ErrorKind::*;
    match &error.kind {
        Domain(e) => match e.row {
            Some(row) => format!("here, at data row {row}"),
            None => "here".into(),
        },
        _ => "here".into(),
    }
}

/// One error as the JSON object `{"message", "file", "line", "column"}` (and `"help"`).
pub fn error_json(sources: &Sources, error: &Error) -> Json {
    let mut object = json!({ "message": error.to_string() });
    if let Some(span) = error.span.filter(|s| sources.get(s.source).is_some()) {
        let at = sources.line_col(span);
        object["file"] = json!(sources.name(span.source));
        object["line"] = json!(at.line);
        object["column"] = json!(at.column);
    } else {
        object["file"] = Json::Null;
        object["line"] = Json::Null;
        object["column"] = Json::Null;
    }
    if let Some(help) = error.help() {
        object["help"] = json!(help);
    }
    object
}

/// The JSON error document: the first error, and all of them.
pub fn errors_json(sources: &Sources, errors: &[Error]) -> Json {
    let all: Vec<Json> = errors.iter().map(|e| error_json(sources, e)).collect();
    json!({ "error": all.first().cloned().unwrap_or(Json::Null), "errors": all })
}

/// A value as JSON (SPEC 6, 10): a number, an array of rows, a vector as an array and
/// a matrix as an array of rows; a per-row vector or matrix is an array over the data
/// rows of those.
pub fn value_json(value: &crate::eval::Value) -> Json {
    use crate::eval::Value;
    use crate::graph::Item;
    let item_json = |item: Item, numbers: Vec<f64>| match item {
        Item::Matrix(_, k) => json!(
            numbers
                .chunks(k.max(1) as usize)
                .map(<[f64]>::to_vec)
                .collect::<Vec<_>>()
        ),
        _ => json!(numbers),
    };
    match value {
        Value::Scalar(x) => json!(x),
        Value::Rows(rows) => json!(rows),
        Value::Shaped(item, parts) => match value.numbers() {
            Some(numbers) => item_json(*item, numbers),
            None => {
                let rows = parts.iter().map(|p| p.to_rows(1).len()).max().unwrap_or(1);
                let rows = parts
                    .iter()
                    .find_map(|p| match p {
                        Value::Rows(v) => Some(v.len()),
                        _ => None,
                    })
                    .unwrap_or(rows);
                let per_row: Vec<Json> = (0..rows)
                    .map(|r| item_json(*item, parts.iter().map(|p| p.at(r)).collect()))
                    .collect();
                json!(per_row)
            }
        },
    }
}

/// Params by component (`b`, `w[1]`, `W[2,1]`, as a report lists them) as the JSON
/// of SPEC 10: a scalar as a number, a vector as an array, a matrix as an array of
/// rows. A param's name cannot hold `[`, so the suffix is the index.
pub fn params_json(
    params: &[(String, f64)],
    number: fn(f64) -> Json,
) -> serde_json::Map<String, Json> {
    type Indexed = (Vec<usize>, f64);
    let mut grouped: Vec<(String, Vec<Indexed>)> = Vec::new();
    for (name, value) in params {
        let (base, index) = match name.split_once('[') {
            Some((base, rest)) => {
                let index = rest
                    .trim_end_matches(']')
                    .split(',')
                    .filter_map(|i| i.trim().parse().ok());
                (base.to_string(), index.collect())
            }
            None => (name.clone(), Vec::new()),
        };
        match grouped.last_mut() {
            Some((last, parts)) if *last == base && !index.is_empty() => {
                parts.push((index, *value))
            }
            _ => grouped.push((base, vec![(index, *value)])),
        }
    }
    grouped
        .into_iter()
        .map(|(base, parts)| {
            let value = match parts.first().map(|p| p.0.len()) {
                Some(0) | None => parts.first().map_or(Json::Null, |p| number(p.1)),
                Some(1) => Json::Array(parts.iter().map(|p| number(p.1)).collect()),
                Some(_) => {
                    let mut rows: Vec<Vec<Json>> = Vec::new();
                    for (index, v) in &parts {
                        let row = index[0].saturating_sub(1);
                        rows.resize_with(rows.len().max(row + 1), Vec::new);
                        rows[row].push(number(*v));
                    }
                    Json::Array(rows.into_iter().map(Json::Array).collect())
                }
            };
            (base, value)
        })
        .collect()
}

/// The components of a JSON params object as `(name, value)`: `w[1]`, `W[2,1]`.
pub fn flatten_params(params: &Json) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (name, value) in params.as_object().into_iter().flatten() {
        match value {
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Json::Array(row) => {
                            for (j, x) in row.iter().enumerate() {
                                if let Some(x) = x.as_f64() {
                                    out.push((format!("{name}[{},{}]", i + 1, j + 1), x));
                                }
                            }
                        }
                        x => {
                            if let Some(x) = x.as_f64() {
                                out.push((format!("{name}[{}]", i + 1), x));
                            }
                        }
                    }
                }
            }
            x => {
                if let Some(x) = x.as_f64() {
                    out.push((name.clone(), x));
                }
            }
        }
    }
    out
}
