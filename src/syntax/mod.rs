//! Text to syntax tree: spans and sources, tokens (logos), the Pratt parser, the AST.
//!
//! This layer never sees a graph. Its entry point is [`parse`]; its errors are
//! [`SyntaxError`]s, each with a span.

mod ast;
mod error;
mod number;
mod parser;
mod span;
mod token;

pub use ast::*;
pub use error::{DimRole, SyntaxError, SyntaxErrorKind};
pub use number::{Number, NumberError, format_f64};
pub use parser::{MAX_DEPTH, parse};
pub use span::{LineCol, Source, SourceId, Sources, Span, line_col};
pub use token::{Lexeme, Token, lex};
