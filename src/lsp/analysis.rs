//! One analysis of one document's text: parsed, its names indexed, lowered into a
//! program (what can be), and its errors turned into LSP diagnostics.
//!
//! This is the library's way in for everything but the protocol: a test or a
//! benchmark calls [`analyze`] on a text and reads the diagnostics, the names and the
//! program, with no server, no thread and no JSON.

use super::document::LineIndex;
use super::names::NameIndex;
use super::uri;
use crate::error::Error;
use crate::program::{LoadOptions, MAX_PROGRAM_BYTES, Program};
use crate::syntax::{Ast, SourceId, Sources, Span, StmtKind};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range,
    Uri,
};
use std::path::{Path, PathBuf};

/// Everything known about one version of a document.
#[derive(Debug)]
pub struct Analysis {
    /// The document.
    pub uri: Uri,
    /// The client's version of the text (0 where no client gave one).
    pub version: i32,
    /// The text analysed.
    pub text: String,
    /// Its line starts.
    pub lines: LineIndex,
    /// The document's id in `sources`.
    pub source: SourceId,
    /// The document and the CSV files it reads.
    pub sources: Sources,
    /// The syntax tree (of the statements that parsed).
    pub ast: Ast,
    /// What each name refers to.
    pub names: NameIndex,
    /// The statements that lowered without an error, with their values.
    pub program: Program,
    /// Every error of the file, in source order.
    pub errors: Vec<Error>,
    /// The errors and warnings as the client shows them.
    pub diagnostics: Vec<Diagnostic>,
}

/// Analyses `text` as the document `uri`: CSV paths are relative to its folder (the
/// working directory for a document that is not a file).
pub fn analyze(uri: &Uri, text: String) -> Analysis {
    let path = uri::to_path(uri);
    let name = path
        .as_ref()
        .map_or_else(|| uri.as_str().to_string(), |p| p.display().to_string());
    let base = path
        .as_deref()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut sources = Sources::new();
    let source = sources.add(name, text.clone());
    let too_large = text.len() > MAX_PROGRAM_BYTES;
    let (ast, syntax_errors) = match too_large {
        true => (Ast::default(), Vec::new()),
        false => crate::syntax::parse(source, &text),
    };
    let names = NameIndex::new(&ast);
    let options = LoadOptions::default();
    let (program, errors) = match too_large {
        true => Program::lower_what_can_be(&mut sources, source, &base, &options),
        false => Program::lower_parsed(&mut sources, source, &ast, syntax_errors, &base, &options),
    };
    let mut analysis = Analysis {
        uri: uri.clone(),
        version: 0,
        lines: LineIndex::new(&text),
        text,
        source,
        sources,
        ast,
        names,
        program,
        errors: errors.0,
        diagnostics: Vec::new(),
    };
    analysis.diagnostics = analysis.make_diagnostics();
    analysis
}

impl Analysis {
    /// The LSP range of a span of this document.
    pub fn range(&self, span: Span) -> Range {
        self.lines
            .range(&self.text, span.start as usize, span.end as usize)
    }

    /// The byte offset of an LSP position.
    pub fn offset(&self, position: lsp_types::Position) -> usize {
        self.lines.offset(&self.text, position)
    }

    fn make_diagnostics(&self) -> Vec<Diagnostic> {
        let errors = self.errors.iter().map(|e| (e, DiagnosticSeverity::ERROR));
        let warnings = self.program.warnings.iter();
        let all = errors.chain(warnings.map(|w| (w, DiagnosticSeverity::WARNING)));
        all.map(|(error, severity)| self.diagnostic(error, severity))
            .collect()
    }

    /// One error as a diagnostic: the message the CLI prints, at its span, with its
    /// extra places and its help as related information.
    fn diagnostic(&self, error: &Error, severity: DiagnosticSeverity) -> Diagnostic {
        let range = error.span.map_or_else(Range::default, |s| self.place(s).1);
        let mut related: Vec<DiagnosticRelatedInformation> = error
            .labels
            .iter()
            .map(|(span, message)| {
                let (uri, range) = self.place(*span);
                DiagnosticRelatedInformation {
                    location: Location::new(uri, range),
                    message: message.clone(),
                }
            })
            .collect();
        if let Some(help) = error.help() {
            related.push(DiagnosticRelatedInformation {
                location: Location::new(self.uri.clone(), range),
                message: format!("help: {help}"),
            });
        }
        Diagnostic {
            range,
            severity: Some(severity),
            code: Some(NumberOrString::String(code(error))),
            source: Some("nabla".into()),
            message: error.to_string(),
            related_information: (!related.is_empty()).then_some(related),
            ..Diagnostic::default()
        }
    }

    /// Where a span is shown: in this document, or (for a span in a CSV file) the
    /// `data ... from` statement that reads the file.
    fn place(&self, span: Span) -> (Uri, Range) {
        if span.source == self.source {
            return (self.uri.clone(), self.range(span));
        }
        let csv_name = self.sources.name(span.source);
        let reading = self
            .ast
            .statements
            .iter()
            .find_map(|stmt| match &stmt.kind {
                StmtKind::DataFile {
                    path, path_span, ..
                } if csv_name.ends_with(path.trim_start_matches("./")) => Some(*path_span),
                _ => None,
            });
        let range = reading.map_or_else(Range::default, |s| self.range(s));
        (self.uri.clone(), range)
    }
}

/// The error's kind, as a diagnostic code (`UnknownName`).
fn code(error: &Error) -> String {
    let debug = format!("{:?}", error.kind);
    let end = debug.find([' ', '(', '{']).unwrap_or(debug.len());
    debug[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri() -> Uri {
        "untitled:test.nabla".parse().expect("a URI")
    }

    #[test]
    fn every_error_of_the_file_is_a_diagnostic() {
        let text = "data x = [1, 2]\nparam w = 1\nf = sigmiod(w*x)\nloss = sum(f) + los\n";
        let analysis = analyze(&uri(), text.into());
        let found: Vec<(u32, u32, &str)> = analysis
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.range.start.line,
                    d.range.start.character,
                    d.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (2, 4, "unknown function `sigmiod`"),
                (3, 16, "unknown name `los`")
            ]
        );
        let help = &analysis.diagnostics[0].related_information;
        let help = help.as_ref().map(|r| r[0].message.as_str());
        assert_eq!(help, Some("help: did you mean `sigmoid`?"));
        assert_eq!(
            analysis.diagnostics[0].code,
            Some(NumberOrString::String("UnknownFunction".into()))
        );
    }

    #[test]
    fn what_lowers_is_kept_beside_the_errors() {
        let text = "param w = 2\ngood = w^2\nbad = w + nope\n";
        let analysis = analyze(&uri(), text.into());
        assert_eq!(analysis.errors.len(), 1);
        assert!(analysis.program.definition("good").is_some());
        assert!(analysis.program.definition("bad").is_none());
    }

    #[test]
    fn a_warning_is_a_diagnostic_of_its_own_severity() {
        let analysis = analyze(&uri(), "e = 2\nf = e\n".into());
        let severities: Vec<_> = analysis.diagnostics.iter().map(|d| d.severity).collect();
        assert_eq!(severities, [Some(DiagnosticSeverity::WARNING)]);
    }
}
