//! Syntax errors: what the lexer and the parser refuse, each with a span.

use super::span::Span;

/// A lexical or grammatical error at one place in a source.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct SyntaxError {
    /// What is wrong.
    pub kind: SyntaxErrorKind,
    /// Where.
    pub span: Span,
}

impl SyntaxError {
    /// An error of `kind` at `span`.
    pub fn new(kind: SyntaxErrorKind, span: Span) -> SyntaxError {
        SyntaxError { kind, span }
    }

    /// A hint that says what would fix the error, where one is known.
    pub fn help(&self) -> Option<String> {
        match &self.kind {
            SyntaxErrorKind::ImplicitMultiplication { left, right } => {
                Some(format!("write `{left}*{right}` to multiply"))
            }
            SyntaxErrorKind::KeywordAsName { keyword } => Some(format!(
                "the keywords are {}; rename it, e.g. `{keyword}_`",
                super::token::KEYWORDS.join(", ")
            )),
            SyntaxErrorKind::UnterminatedString => {
                Some("close the string with `\"` on the same line".into())
            }
            SyntaxErrorKind::TooDeep { limit } => Some(format!(
                "split the expression into named definitions; nesting is limited to {limit} levels"
            )),
            SyntaxErrorKind::UnclosedBracket { close, .. } => Some(format!("add `{close}`")),
            SyntaxErrorKind::DerivativeDenominator => {
                Some("write the derivative as `d(expr)/d(name)`".into())
            }
            SyntaxErrorKind::Number {
                error: super::NumberError::Overflow,
                ..
            } => Some("use a smaller number (f64 reaches about 1.8e308)".into()),
            _ => None,
        }
    }
}

/// The kinds of syntax error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyntaxErrorKind {
    /// A character that starts no token (`$`, `@`, a NUL byte, `!`).
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    /// A `"` whose string does not end on the same line.
    #[error("unterminated string")]
    UnterminatedString,
    /// A number literal the language refuses, usually one that overflows f64 (`1e999`).
    #[error("{}", number_message(literal, error))]
    Number {
        /// The literal as written.
        literal: String,
        /// What is wrong with it.
        error: super::NumberError,
    },
    /// A token where the grammar wants something else, e.g. `f = * 2` or `param = 3`.
    #[error("expected {expected}, found {found}")]
    Expected {
        /// What the grammar allows here.
        expected: String,
        /// What was there.
        found: &'static str,
    },
    /// A keyword where a name belongs (`minimize = w^2`, `loss = by + 1`).
    #[error("`{keyword}` is a keyword and cannot be a name")]
    KeywordAsName {
        /// The keyword as written.
        keyword: &'static str,
    },
    /// Two atoms side by side, as in `2x` or `2(x+1)`.
    #[error("implicit multiplication `{left}{right}` is not allowed")]
    ImplicitMultiplication {
        /// The text of the left atom.
        left: String,
        /// The text of the right atom.
        right: String,
    },
    /// An opening bracket that is never closed, usually a missing `)` at the end of a line.
    #[error("this `{open}` is never closed")]
    UnclosedBracket {
        /// The opening bracket.
        open: char,
        /// The bracket that would close it.
        close: char,
    },
    /// `d(expr)/...` not followed by `d(name)`.
    #[error("a derivative needs `/d(name)` after `d(expr)`")]
    DerivativeDenominator,
    /// Brackets, unary minus or `^` nested beyond the parser's limit.
    #[error("expression nested too deeply (more than {limit} levels)")]
    TooDeep {
        /// The limit on nesting depth.
        limit: usize,
    },
    /// The source is not valid UTF-8 (a binary file, or text in another encoding).
    #[error("the file is not valid UTF-8")]
    InvalidUtf8,
}

fn number_message(literal: &str, error: &super::NumberError) -> String {
    match error {
        super::NumberError::Overflow => {
            format!("the number `{literal}` overflows f64 (the largest is about 1.8e308)")
        }
        super::NumberError::Malformed => format!("`{literal}` is not a number"),
    }
}
