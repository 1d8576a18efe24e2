//! Tokens (a logos lexer) and the newline rules of SPEC 1.1.

use super::error::{SyntaxError, SyntaxErrorKind};
use super::span::{SourceId, Span};
use logos::Logos;

/// One token of the file language.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub enum Token {
    /// A number literal: `3`, `2.5`, `.5`, `1e-3`.
    #[regex(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")]
    Number,
    /// A name: a Unicode identifier such as `w`, `b_0`, `η`.
    #[regex(r"[\p{XID_Start}_][\p{XID_Continue}]*")]
    Name,
    /// A double-quoted string with `\"` and `\\` escapes.
    #[regex(r#""([^"\\\n]|\\.)*""#)]
    String,
    /// `param`
    #[token("param")]
    Param,
    /// `data`
    #[token("data")]
    Data,
    /// `from`
    #[token("from")]
    From,
    /// `check`
    #[token("check")]
    Check,
    /// `minimize`
    #[token("minimize")]
    Minimize,
    /// `by`
    #[token("by")]
    By,
    /// `wrt`
    #[token("wrt")]
    Wrt,
    /// `in`: the bounds of a param (`param s = 1 in [0, inf]`).
    #[token("in")]
    In,
    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// `*`
    #[token("*")]
    Star,
    /// `/`
    #[token("/")]
    Slash,
    /// `^`
    #[token("^")]
    Caret,
    /// `@`: the matrix product.
    #[token("@")]
    At,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `{`: opens an item vector of components.
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `..`: a range of CSV header columns (`X[size..age]`). Numbers keep their dots:
    /// `1.` and `.5` are numbers, `a..b` is a name, `..`, a name.
    #[token("..")]
    DotDot,
    /// `,`
    #[token(",")]
    Comma,
    /// `=`
    #[token("=")]
    Equals,
    /// `~`
    #[token("~")]
    Tilde,
    /// `;`
    #[token(";")]
    Semicolon,
    /// A line break that ends a statement.
    #[token("\n")]
    Newline,
    /// End of input (added by [`lex`], never produced by logos).
    Eof,
}

/// The keywords of SPEC 1.1, as written.
pub const KEYWORDS: [&str; 8] = [
    "param", "data", "from", "check", "minimize", "by", "wrt", "in",
];

impl Token {
    /// The keyword this token is, if it is one.
    pub fn keyword(self) -> Option<&'static str> {
        Some(match self {
            Token::Param => "param",
            Token::Data => "data",
            Token::From => "from",
            Token::Check => "check",
            Token::Minimize => "minimize",
            Token::By => "by",
            Token::Wrt => "wrt",
            Token::In => "in",
            _ => return None,
        })
    }

    /// How the token is shown in "expected ..., found ..." messages.
    pub fn describe(self) -> &'static str {
        match self {
            Token::Number => "a number",
            Token::Name => "a name",
            Token::String => "a string",
            Token::Param => "`param`",
            Token::Data => "`data`",
            Token::From => "`from`",
            Token::Check => "`check`",
            Token::Minimize => "`minimize`",
            Token::By => "`by`",
            Token::Wrt => "`wrt`",
            Token::In => "`in`",
            Token::Plus => "`+`",
            Token::Minus => "`-`",
            Token::Star => "`*`",
            Token::Slash => "`/`",
            Token::Caret => "`^`",
            Token::At => "`@`",
            Token::LParen => "`(`",
            Token::RParen => "`)`",
            Token::LBracket => "`[`",
            Token::RBracket => "`]`",
            Token::LBrace => "`{`",
            Token::RBrace => "`}`",
            Token::DotDot => "`..`",
            Token::Comma => "`,`",
            Token::Equals => "`=`",
            Token::Tilde => "`~`",
            Token::Semicolon => "`;`",
            Token::Newline => "end of line",
            Token::Eof => "end of input",
        }
    }

    /// Whether a newline right after this token continues the statement (SPEC 1.1).
    fn continues_line(self) -> bool {
        matches!(
            self,
            Token::Plus
                | Token::Minus
                | Token::Star
                | Token::Slash
                | Token::Caret
                | Token::At
                | Token::DotDot
                | Token::Comma
                | Token::Equals
                | Token::Tilde
        )
    }
}

/// A token with its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexeme {
    /// What kind of token.
    pub token: Token,
    /// Where it is.
    pub span: Span,
}

/// Splits `text` into tokens, dropping the newlines that do not end a statement
/// (inside `()`, `[]` or `{}`, after a binary operator, `,` or `=`), and ending with [`Token::Eof`].
/// Characters that start no token become errors; lexing goes on after them.
pub fn lex(source: SourceId, text: &str) -> (Vec<Lexeme>, Vec<SyntaxError>) {
    let (raw, errors) = lex_raw(source, text);
    let mut lexemes: Vec<Lexeme> = Vec::with_capacity(raw.len());
    let mut depth: usize = 0;
    for (i, lexeme) in raw.iter().enumerate() {
        match lexeme.token {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            Token::Newline => {
                if depth > 0 && starts_statement(text, &raw[i + 1..]) {
                    // An unclosed bracket must not swallow the statements after it.
                    depth = 0;
                } else {
                    let previous = lexemes.last().map(|l| l.token);
                    let continues =
                        previous.is_none_or(|t| t.continues_line() || t == Token::Newline);
                    if depth > 0 || continues {
                        continue;
                    }
                }
            }
            _ => {}
        }
        lexemes.push(*lexeme);
    }
    (lexemes, errors)
}

/// Whether the tokens after a newline begin a new statement at the start of a line:
/// a keyword, or `name =` (used to recover from an unclosed bracket).
fn starts_statement(text: &str, rest: &[Lexeme]) -> bool {
    let Some(first) = rest.first() else {
        return false;
    };
    let at_line_start =
        first.span.start == 0 || text.as_bytes().get(first.span.start as usize - 1) == Some(&b'\n');
    let keyword = matches!(
        first.token,
        Token::Param | Token::Data | Token::Check | Token::Minimize
    );
    let definition =
        first.token == Token::Name && rest.get(1).map(|l| l.token) == Some(Token::Equals);
    at_line_start && (keyword || definition)
}

/// Every token, newlines included, ending with [`Token::Eof`].
fn lex_raw(source: SourceId, text: &str) -> (Vec<Lexeme>, Vec<SyntaxError>) {
    let mut lexemes = Vec::new();
    let mut errors = Vec::new();
    let mut lexer = Token::lexer(text);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(source, range.start, range.end);
        match result {
            Ok(token) => lexemes.push(Lexeme { token, span }),
            Err(()) => {
                let kind = lex_error_kind(&text[range.clone()]);
                let mut span = span;
                if kind == SyntaxErrorKind::UnterminatedString {
                    // Skip the rest of the line, so the string's contents are not lexed.
                    let rest = lexer
                        .remainder()
                        .find('\n')
                        .unwrap_or(lexer.remainder().len());
                    lexer.bump(rest);
                    span.end = span.end.saturating_add(rest as u32);
                }
                errors.push(SyntaxError::new(kind, span));
            }
        }
    }
    let end = Span::new(source, text.len(), text.len());
    lexemes.push(Lexeme {
        token: Token::Eof,
        span: end,
    });
    (lexemes, errors)
}

fn lex_error_kind(slice: &str) -> SyntaxErrorKind {
    match slice.chars().next() {
        Some('"') => SyntaxErrorKind::UnterminatedString,
        Some(c) => SyntaxErrorKind::UnexpectedChar(c),
        None => SyntaxErrorKind::UnexpectedChar('\0'),
    }
}

/// The text of a string literal without its quotes, with `\"` and `\\` resolved.
/// Any other escape is kept as written.
pub fn unquote(literal: &str) -> String {
    let inner = literal
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(literal);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next @ ('"' | '\\'))) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}
