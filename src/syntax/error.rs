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
            SyntaxErrorKind::NotPositiveInteger { role, .. } => Some(role.help().into()),
            SyntaxErrorKind::DimTooLarge { .. } => Some(format!(
                "a dimension has at most {} components",
                super::ast::MAX_DIM
            )),
            SyntaxErrorKind::TooManyDims { role, .. } => Some(
                match role {
                    DimRole::Size => {
                        "a param is a scalar `w`, a vector `w[K]` or a matrix `W[M, K]`"
                    }
                    DimRole::Index => "index a vector as `v[k]` and a matrix as `A[i, j]`",
                }
                .into(),
            ),
            SyntaxErrorKind::EmptyComponents => {
                Some("write at least one component, e.g. `{1, 2}`".into())
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
    /// A character that starts no token (`$`, `?`, a NUL byte, `!`).
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
    /// A size in `param w[...]` or an index in `v[...]` that is not a positive integer
    /// literal: `0`, `1.5`, `-1`, `1e2` or a name.
    #[error("{} must be a positive integer, found `{found}`", role.with_article())]
    NotPositiveInteger {
        /// A size or an index.
        role: DimRole,
        /// The text written there.
        found: String,
    },
    /// A size or index beyond [`MAX_DIM`](super::MAX_DIM), usually a typo (`w[30000000000]`).
    #[error(
        "the {role} `{literal}` is too large (at most {})",
        super::ast::MAX_DIM
    )]
    DimTooLarge {
        /// A size or an index.
        role: DimRole,
        /// The literal as written.
        literal: String,
    },
    /// More than two sizes or indices (`param T[2, 3, 4]`): items are scalars, vectors
    /// or matrices.
    #[error("{} has at most {} dimensions, found {found}", role.owner(), super::ast::MAX_DIMS)]
    TooManyDims {
        /// A size or an index.
        role: DimRole,
        /// How many were written.
        found: usize,
    },
    /// `{}`: an item vector needs at least one component.
    #[error("`{{}}` has no components")]
    EmptyComponents,
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

/// Where a positive integer literal is wanted: a param's shape or an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DimRole {
    /// A size of `param w[3]` or `param W[8, 2]`.
    Size,
    /// An index of `v[2]`, `A[1, 2]` or `d(F)/d(w[2])`.
    Index,
}

impl DimRole {
    fn with_article(self) -> &'static str {
        match self {
            DimRole::Size => "a size",
            DimRole::Index => "an index",
        }
    }

    fn owner(self) -> &'static str {
        match self {
            DimRole::Size => "a param's shape",
            DimRole::Index => "an index",
        }
    }

    fn help(self) -> &'static str {
        match self {
            DimRole::Size => {
                "a size is a whole number from 1, written as a literal: `w[3]`, `W[8, 2]`"
            }
            DimRole::Index => {
                "indices are whole numbers written as literals, counted from 1: `v[1]` is the first component"
            }
        }
    }
}

impl std::fmt::Display for DimRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DimRole::Size => "size",
            DimRole::Index => "index",
        })
    }
}

fn number_message(literal: &str, error: &super::NumberError) -> String {
    match error {
        super::NumberError::Overflow => {
            format!("the number `{literal}` overflows f64 (the largest is about 1.8e308)")
        }
        super::NumberError::Malformed => format!("`{literal}` is not a number"),
    }
}
