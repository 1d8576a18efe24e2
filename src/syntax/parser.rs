//! A hand-written Pratt parser from tokens to the [`Ast`].
//!
//! Statements recover independently: an error skips to the end of its statement and
//! parsing goes on, so one run reports every broken statement of a file.

use super::ast::*;
use super::error::{DimRole, SyntaxError, SyntaxErrorKind};
use super::number::Number;
use super::span::{SourceId, Span};
use super::token::{Lexeme, Token, lex, unquote};

/// How deeply brackets, braces, unary minus, `^` and indexing may nest before the
/// parser refuses.
pub const MAX_DEPTH: usize = 200;

/// Parses a whole source into statements. All syntax errors are returned, together with
/// the statements that did parse.
pub fn parse(source: SourceId, text: &str) -> (Ast, Vec<SyntaxError>) {
    let (tokens, mut errors) = lex(source, text);
    let lex_error_count = errors.len();
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        depth: 0,
        ast: Ast::default(),
    };
    while parser.peek() != Token::Eof {
        if matches!(parser.peek(), Token::Newline | Token::Semicolon) {
            parser.pos += 1;
            continue;
        }
        let start = parser.pos;
        match parser.statement() {
            Ok(stmt) => parser.ast.statements.push(stmt),
            Err(error) => {
                errors.push(error);
                parser.record_broken_names(start);
                parser.skip_statement();
            }
        }
    }
    let errors = drop_cascades(text, errors, lex_error_count);
    (parser.ast, errors)
}

type Parsed<T> = Result<T, SyntaxError>;

/// Sorts the errors and drops the parser's errors on a line where the lexer already
/// refused a character: those follow from the bad character (`w $ 2` is not also an
/// implicit multiplication).
fn drop_cascades(text: &str, mut errors: Vec<SyntaxError>, lex_errors: usize) -> Vec<SyntaxError> {
    let line = |e: &SyntaxError| {
        text[..(e.span.start as usize).min(text.len())]
            .matches('\n')
            .count()
    };
    let bad_lines: std::collections::HashSet<usize> =
        errors[..lex_errors].iter().map(line).collect();
    let mut kept: Vec<SyntaxError> = errors.drain(..lex_errors).collect();
    kept.extend(errors.into_iter().filter(|e| !bad_lines.contains(&line(e))));
    kept.sort_by_key(|e| (e.span.start, e.span.end));
    kept
}

/// Binding powers of the infix operators (left, right): `^` is right-associative.
fn infix_power(token: Token) -> Option<(u8, u8, BinaryOp)> {
    Some(match token {
        Token::Plus => (1, 2, BinaryOp::Add),
        Token::Minus => (1, 2, BinaryOp::Sub),
        Token::Star => (3, 4, BinaryOp::Mul),
        Token::Slash => (3, 4, BinaryOp::Div),
        Token::At => (3, 4, BinaryOp::MatMul),
        Token::Caret => (7, 6, BinaryOp::Pow),
        _ => return None,
    })
}

/// Binding power of unary minus: tighter than `*`, looser than `^` (`-x^2` is `-(x^2)`).
const PREFIX_POWER: u8 = 5;

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Lexeme>,
    pos: usize,
    depth: usize,
    ast: Ast,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Token {
        self.tokens
            .get(self.pos + ahead)
            .map_or(Token::Eof, |l| l.token)
    }

    fn current(&self) -> Lexeme {
        let last = self.tokens.len().saturating_sub(1);
        self.tokens[self.pos.min(last)]
    }

    fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    fn advance(&mut self) -> Lexeme {
        let lexeme = self.current();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        lexeme
    }

    fn error_here(&self, expected: &str) -> SyntaxError {
        let lexeme = self.current();
        let wants_name = expected.contains("expression") || expected.contains("name");
        if let Some(keyword) = lexeme.token.keyword().filter(|_| wants_name) {
            return SyntaxError::new(SyntaxErrorKind::KeywordAsName { keyword }, lexeme.span);
        }
        SyntaxError::new(
            SyntaxErrorKind::Expected {
                expected: expected.to_string(),
                found: lexeme.token.describe(),
            },
            self.error_span(),
        )
    }

    /// Where an error at the current token points: at the token, or, at the end of a
    /// line or of the input, at the token before it (the dangling `*` of `loss = w *`).
    fn error_span(&self) -> Span {
        let lexeme = self.current();
        match lexeme.token {
            Token::Newline | Token::Eof if self.pos > 0 => self.tokens[self.pos - 1].span,
            _ => lexeme.span,
        }
    }

    fn expect(&mut self, token: Token, expected: &str) -> Parsed<Lexeme> {
        if self.peek() == token {
            Ok(self.advance())
        } else {
            Err(self.error_here(expected))
        }
    }

    fn ident(&mut self, expected: &str) -> Parsed<Ident> {
        let lexeme = self.expect(Token::Name, expected)?;
        Ok(Ident {
            name: self.slice(lexeme.span).to_string(),
            span: lexeme.span,
        })
    }

    /// Records the names a statement that failed to parse would have declared, so that
    /// their uses elsewhere do not cascade into "unknown name" errors.
    fn record_broken_names(&mut self, start: usize) {
        let end = self.tokens[start..]
            .iter()
            .position(|l| matches!(l.token, Token::Newline | Token::Semicolon | Token::Eof))
            .map_or(self.tokens.len(), |i| start + i);
        let statement = &self.tokens[start..end];
        let declared: Vec<Span> = match statement.first().map(|l| l.token) {
            Some(Token::Param | Token::Data) => declared_names(statement),
            Some(Token::Name) => statement.first().map(|l| l.span).into_iter().collect(),
            _ => Vec::new(),
        };
        for span in declared {
            let name = self.slice(span).to_string();
            self.ast.broken_names.push(name);
        }
    }

    fn skip_statement(&mut self) {
        while !matches!(self.peek(), Token::Newline | Token::Semicolon | Token::Eof) {
            self.pos += 1;
        }
    }

    fn push(&mut self, kind: ExprKind, span: Span, first: ExprId) -> ExprId {
        let id = ExprId(self.ast.exprs.len() as u32);
        self.ast.exprs.push(Expr { kind, span, first });
        id
    }

    fn next_id(&self) -> ExprId {
        ExprId(self.ast.exprs.len() as u32)
    }

    fn span_of(&self, id: ExprId) -> Span {
        self.ast.expr(id).span
    }

    // ---- statements ----

    fn statement(&mut self) -> Parsed<Stmt> {
        let start = self.current().span;
        if let Some(keyword) = self.peek().keyword()
            && (self.peek_at(1) == Token::Equals
                || (self.peek_at(1) == Token::LParen && self.is_function_header()))
        {
            return Err(SyntaxError::new(
                SyntaxErrorKind::KeywordAsName { keyword },
                start,
            ));
        }
        let kind = match self.peek() {
            Token::Param => self.param_statement()?,
            Token::Data => self.data_statement()?,
            Token::Check => self.check_statement()?,
            Token::Minimize => self.minimize_statement()?,
            Token::Name if self.peek_at(1) == Token::Equals => self.definition(None)?,
            Token::Name if self.peek_at(1) == Token::LParen && self.is_function_header() => {
                self.function_definition()?
            }
            _ => StmtKind::Expr(self.expr()?),
        };
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        if !matches!(self.peek(), Token::Newline | Token::Semicolon | Token::Eof) {
            return Err(self.error_here("an operator or the end of the statement"));
        }
        Ok(Stmt {
            kind,
            span: start.to(end),
        })
    }

    /// Whether `name ( ... ) =` follows: a function definition rather than a call.
    fn is_function_header(&self) -> bool {
        let mut depth = 0usize;
        for (offset, lexeme) in self.tokens[self.pos + 1..].iter().enumerate() {
            match lexeme.token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return self.peek_at(offset + 2) == Token::Equals;
                    }
                }
                Token::Newline | Token::Semicolon | Token::Eof => return false,
                _ => {}
            }
        }
        false
    }

    fn definition(&mut self, params: Option<Vec<Ident>>) -> Parsed<StmtKind> {
        let name = self.ident("a name")?;
        self.expect(Token::Equals, "`=`")?;
        let body = self.expr()?;
        Ok(StmtKind::Define { name, params, body })
    }

    fn function_definition(&mut self) -> Parsed<StmtKind> {
        if self.slice(self.current().span) == "d" {
            return Err(self.error_here("a function name other than `d` (`d(` is the derivative)"));
        }
        let name = self.ident("a function name")?;
        self.expect(Token::LParen, "`(`")?;
        let mut params = Vec::new();
        if self.peek() != Token::RParen {
            loop {
                params.push(self.ident("a parameter name")?);
                if self.peek() != Token::Comma {
                    break;
                }
                self.advance();
            }
        }
        self.expect(Token::RParen, "`)` or `,`")?;
        self.expect(Token::Equals, "`=`")?;
        let body = self.expr()?;
        Ok(StmtKind::Define {
            name,
            params: Some(params),
            body,
        })
    }

    fn param_statement(&mut self) -> Parsed<StmtKind> {
        self.advance();
        let mut decls = Vec::new();
        loop {
            let name = self.ident("a param name")?;
            let shape = match self.peek() {
                Token::LBracket => self.dims(DimRole::Size)?,
                _ => Vec::new(),
            };
            let init = match self.peek() {
                Token::Equals => {
                    self.advance();
                    ParamInit::Value(self.expr()?)
                }
                Token::Tilde => {
                    self.advance();
                    let dist = self.ident("a distribution (`normal` or `uniform`)")?;
                    self.expect(Token::LParen, "`(`")?;
                    let args = self.arguments(Token::RParen)?;
                    ParamInit::Random { dist, args }
                }
                _ => return Err(self.error_here("`=` and an initial value, or `~`")),
            };
            let bounds = match self.peek() {
                Token::In => Some(self.param_bounds()?),
                _ => None,
            };
            decls.push(ParamDecl {
                name,
                shape,
                init,
                bounds,
            });
            if self.peek() != Token::Comma {
                return Ok(StmtKind::Param(decls));
            }
            self.advance();
        }
    }

    /// `in [lo, hi]` after a param's initial value.
    fn param_bounds(&mut self) -> Parsed<ParamBounds> {
        self.advance();
        let open = self.current().span;
        self.expect(Token::LBracket, "`[` and the bounds `[lo, hi]`")?;
        let lower = self.expr()?;
        self.expect(Token::Comma, "`,` between the bounds")?;
        let upper = self.expr()?;
        let close = self.current().span;
        self.expect(Token::RBracket, "`]` after the bounds")?;
        Ok(ParamBounds {
            lower,
            upper,
            span: open.to(close),
        })
    }

    fn data_statement(&mut self) -> Parsed<StmtKind> {
        self.advance();
        let first = self.data_name()?;
        if first.columns.is_none() && self.peek() == Token::Equals {
            self.advance();
            let values = self.expr()?;
            let name = first.name;
            return Ok(StmtKind::DataInline { name, values });
        }
        if self.peek() == Token::Equals {
            return Err(self.error_here("`from \"file.csv\"` after a list of columns"));
        }
        let mut names = vec![first];
        while self.peek() == Token::Comma {
            self.advance();
            names.push(self.data_name()?);
        }
        self.expect(Token::From, "`from \"file.csv\"` (or `=` and a vector)")?;
        let path = self.expect(Token::String, "a file name in double quotes")?;
        Ok(StmtKind::DataFile {
            names,
            path: unquote(self.slice(path.span)),
            path_span: path.span,
        })
    }

    /// `y` or `X[size, rooms..age, *]`.
    fn data_name(&mut self) -> Parsed<DataName> {
        let name = self.ident("a data column name")?;
        if self.peek() != Token::LBracket {
            return Ok(DataName {
                name,
                columns: None,
            });
        }
        let open = self.advance();
        let mut columns = Vec::new();
        loop {
            columns.push(self.column_selection()?);
            if self.peek() != Token::Comma {
                break;
            }
            self.advance();
        }
        self.close(Token::RBracket, open)?;
        Ok(DataName {
            name,
            columns: Some(columns),
        })
    }

    /// `*`, `size` or `size..age`.
    fn column_selection(&mut self) -> Parsed<ColumnSel> {
        if self.peek() == Token::Star {
            return Ok(ColumnSel::Rest(self.advance().span));
        }
        let from = self.header()?;
        if self.peek() != Token::DotDot {
            return Ok(ColumnSel::Name(from));
        }
        self.advance();
        Ok(ColumnSel::Range(from, self.header()?))
    }

    /// A CSV header: an identifier, or a string for a header that is not one.
    fn header(&mut self) -> Parsed<Ident> {
        let lexeme = self.current();
        let name = match lexeme.token {
            Token::Name => self.slice(lexeme.span).to_string(),
            Token::String => unquote(self.slice(lexeme.span)),
            _ => return Err(self.error_here("a column header (an identifier or a string) or `*`")),
        };
        self.advance();
        Ok(Ident {
            name,
            span: lexeme.span,
        })
    }

    fn check_statement(&mut self) -> Parsed<StmtKind> {
        self.advance();
        let derivative = self.expr()?;
        if !matches!(self.ast.expr(derivative).kind, ExprKind::Derivative { .. }) {
            return Err(SyntaxError::new(
                SyntaxErrorKind::Expected {
                    expected: "a derivative `d(F)/d(P)` after `check`".into(),
                    found: "another expression",
                },
                self.span_of(derivative),
            ));
        }
        self.expect(Token::Equals, "`=` and the hand-derived expression")?;
        let expected = self.expr()?;
        Ok(StmtKind::Check {
            derivative,
            expected,
        })
    }

    fn minimize_statement(&mut self) -> Parsed<StmtKind> {
        self.advance();
        let objective = self.expr()?;
        let mut wrt = Vec::new();
        if self.peek() == Token::Wrt {
            self.advance();
            loop {
                wrt.push(self.ident("a param name")?);
                if self.peek() != Token::Comma {
                    break;
                }
                self.advance();
            }
        }
        let mut method = None;
        if self.peek() == Token::By {
            self.advance();
            method = Some(self.method()?);
        }
        Ok(StmtKind::Minimize {
            objective,
            wrt,
            method,
        })
    }

    fn method(&mut self) -> Parsed<Method> {
        let name = self.ident("a method name such as `gd` or `adam`")?;
        let mut options = Vec::new();
        if self.peek() == Token::LParen {
            self.advance();
            while self.peek() != Token::RParen {
                let option = self.ident("an option name such as `rate`")?;
                self.expect(Token::Equals, "`=`")?;
                let value = self.expr()?;
                options.push(MethodOption {
                    name: option,
                    value,
                });
                if self.peek() != Token::Comma {
                    break;
                }
                self.advance();
            }
            self.expect(Token::RParen, "`)` or `,`")?;
        }
        Ok(Method { name, options })
    }

    // ---- expressions ----

    /// Parses one expression.
    fn expr(&mut self) -> Parsed<ExprId> {
        self.expr_bp(0)
    }

    fn expr_bp(&mut self, min_power: u8) -> Parsed<ExprId> {
        self.depth += 1;
        let result = self.expr_bp_inner(min_power);
        self.depth -= 1;
        result
    }

    fn expr_bp_inner(&mut self, min_power: u8) -> Parsed<ExprId> {
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError::new(
                SyntaxErrorKind::TooDeep { limit: MAX_DEPTH },
                self.current().span,
            ));
        }
        let first = self.next_id();
        let mut lhs = self.prefix()?;
        loop {
            let token = self.peek();
            if starts_atom(token) {
                return Err(self.implicit_multiplication(lhs));
            }
            let Some((left, right, op)) = infix_power(token) else {
                return Ok(lhs);
            };
            if left < min_power {
                return Ok(lhs);
            }
            self.advance();
            let rhs = self.expr_bp(right)?;
            let span = self.span_of(lhs).to(self.span_of(rhs));
            lhs = self.push(ExprKind::Binary(op, lhs, rhs), span, first);
        }
    }

    fn implicit_multiplication(&self, lhs: ExprId) -> SyntaxError {
        let next = self.current();
        let right = match next.token {
            Token::LParen | Token::LBracket => "(...)".to_string(),
            Token::LBrace => "{...}".to_string(),
            _ => self.slice(next.span).to_string(),
        };
        let left = self.slice(self.span_of(lhs)).to_string();
        let left = if left.chars().count() > 20 {
            "(...)".to_string()
        } else {
            left
        };
        SyntaxError::new(
            SyntaxErrorKind::ImplicitMultiplication { left, right },
            self.span_of(lhs).to(next.span),
        )
    }

    fn prefix(&mut self) -> Parsed<ExprId> {
        let first = self.next_id();
        let lexeme = self.current();
        match lexeme.token {
            Token::Minus => {
                self.advance();
                let operand = self.expr_bp(PREFIX_POWER)?;
                let span = lexeme.span.to(self.span_of(operand));
                Ok(self.push(ExprKind::Neg(operand), span, first))
            }
            _ => {
                let atom = self.atom(first)?;
                self.postfix(atom, first)
            }
        }
    }

    fn atom(&mut self, first: ExprId) -> Parsed<ExprId> {
        let lexeme = self.current();
        match lexeme.token {
            Token::Number => {
                self.advance();
                let number = Number::parse(self.slice(lexeme.span)).map_err(|error| {
                    let literal = self.slice(lexeme.span).to_string();
                    SyntaxError::new(SyntaxErrorKind::Number { literal, error }, lexeme.span)
                })?;
                Ok(self.push(ExprKind::Number(number), lexeme.span, first))
            }
            Token::LParen => {
                self.advance();
                let inner = self.expr_bp(0)?;
                self.close(Token::RParen, lexeme)?;
                // Parentheses leave no node; the inner expression keeps its own span.
                Ok(inner)
            }
            Token::LBracket => {
                self.advance();
                let items = self.arguments(Token::RBracket)?;
                let end = self.tokens[self.pos - 1].span;
                Ok(self.push(ExprKind::Vector(items), lexeme.span.to(end), first))
            }
            Token::LBrace => {
                self.advance();
                let items = self.arguments(Token::RBrace)?;
                let span = lexeme.span.to(self.tokens[self.pos - 1].span);
                if items.is_empty() {
                    return Err(SyntaxError::new(SyntaxErrorKind::EmptyComponents, span));
                }
                Ok(self.push(ExprKind::Components(items), span, first))
            }
            Token::Name => self.name_or_call(first),
            _ => Err(self.error_here("an expression")),
        }
    }

    /// Indexing after an atom: `v[2]`, `A[1, 2]`, `f(x)[1]`. Each index of a chain
    /// (`A[1][2]`) counts as one level of nesting.
    fn postfix(&mut self, mut base: ExprId, first: ExprId) -> Parsed<ExprId> {
        let mut levels = 0;
        while self.peek() == Token::LBracket {
            levels += 1;
            if self.depth + levels > MAX_DEPTH {
                return Err(SyntaxError::new(
                    SyntaxErrorKind::TooDeep { limit: MAX_DEPTH },
                    self.current().span,
                ));
            }
            let indices = self.dims(DimRole::Index)?;
            let span = self.span_of(base).to(self.tokens[self.pos - 1].span);
            base = self.push(ExprKind::Index { base, indices }, span, first);
        }
        Ok(base)
    }

    /// `[3]` or `[8, 2]` at the current `[`: one or two positive integer literals.
    fn dims(&mut self, role: DimRole) -> Parsed<Vec<Dim>> {
        let open = self.advance();
        let mut dims = vec![self.dim(role)?];
        while self.peek() == Token::Comma {
            self.advance();
            dims.push(self.dim(role)?);
        }
        self.close(Token::RBracket, open)?;
        if let (Some(extra), Some(last)) = (dims.get(MAX_DIMS), dims.last()) {
            let kind = SyntaxErrorKind::TooManyDims {
                role,
                found: dims.len(),
            };
            return Err(SyntaxError::new(kind, extra.span.to(last.span)));
        }
        Ok(dims)
    }

    /// One size or index: a literal of digits from 1 to [`MAX_DIM`].
    fn dim(&mut self, role: DimRole) -> Parsed<Dim> {
        let lexeme = self.current();
        let span = match lexeme.token {
            Token::Number | Token::Name => lexeme.span,
            Token::Minus if self.peek_at(1) == Token::Number => {
                lexeme.span.to(self.tokens[self.pos + 1].span)
            }
            _ => return Err(self.error_here(&format!("a positive integer {role}"))),
        };
        let found = self.slice(span).to_string();
        let digits = lexeme.token == Token::Number && found.bytes().all(|b| b.is_ascii_digit());
        let kind = match found.parse::<usize>() {
            Ok(size @ 1..=MAX_DIM) if digits => {
                self.advance();
                return Ok(Dim { size, span });
            }
            Ok(1..) | Err(_) if digits => SyntaxErrorKind::DimTooLarge {
                role,
                literal: found,
            },
            _ => SyntaxErrorKind::NotPositiveInteger { role, found },
        };
        Err(SyntaxError::new(kind, span))
    }

    fn name_or_call(&mut self, first: ExprId) -> Parsed<ExprId> {
        let lexeme = self.advance();
        let name = self.slice(lexeme.span).to_string();
        if self.peek() != Token::LParen {
            return Ok(self.push(ExprKind::Name(name), lexeme.span, first));
        }
        if name == "d" {
            return self.derivative(lexeme, first);
        }
        let open = self.advance();
        let args = self.arguments_after(Token::RParen, open)?;
        let end = self.tokens[self.pos - 1].span;
        let callee = Ident {
            name,
            span: lexeme.span,
        };
        Ok(self.push(ExprKind::Call { callee, args }, lexeme.span.to(end), first))
    }

    /// `d(expr)/d(name)`, with the first `d` already consumed.
    fn derivative(&mut self, d: Lexeme, first: ExprId) -> Parsed<ExprId> {
        let open = self.advance();
        let of = self.expr_bp(0)?;
        self.close(Token::RParen, open)?;
        let denominator_error =
            |p: &Self| SyntaxError::new(SyntaxErrorKind::DerivativeDenominator, p.current().span);
        if self.peek() != Token::Slash
            || self.peek_at(1) != Token::Name
            || self.slice(self.tokens[self.pos + 1].span) != "d"
            || self.peek_at(2) != Token::LParen
        {
            return Err(denominator_error(self));
        }
        self.pos += 2;
        let open = self.advance();
        let wrt = self.ident("the name to differentiate by")?;
        let component = match self.peek() {
            Token::LBracket => self.dims(DimRole::Index)?,
            _ => Vec::new(),
        };
        let close = self.close(Token::RParen, open)?;
        Ok(self.push(
            ExprKind::Derivative { of, wrt, component },
            d.span.to(close.span),
            first,
        ))
    }

    /// Comma-separated expressions up to `close`, the opening bracket just consumed.
    fn arguments(&mut self, close: Token) -> Parsed<Vec<ExprId>> {
        let open = self.tokens[self.pos - 1];
        self.arguments_after(close, open)
    }

    fn arguments_after(&mut self, close: Token, open: Lexeme) -> Parsed<Vec<ExprId>> {
        let mut items = Vec::new();
        while self.peek() != close {
            items.push(self.expr_bp(0)?);
            if self.peek() != Token::Comma {
                break;
            }
            self.advance();
        }
        self.close(close, open)?;
        Ok(items)
    }

    fn close(&mut self, close: Token, open: Lexeme) -> Parsed<Lexeme> {
        if self.peek() == close {
            return Ok(self.advance());
        }
        let (open_char, close_char) = match close {
            Token::RBracket => ('[', ']'),
            Token::RBrace => ('{', '}'),
            _ => ('(', ')'),
        };
        if matches!(self.peek(), Token::Eof | Token::Newline | Token::Semicolon) {
            return Err(SyntaxError::new(
                SyntaxErrorKind::UnclosedBracket {
                    open: open_char,
                    close: close_char,
                },
                open.span,
            ));
        }
        let expected = format!("`{close_char}` or `,`");
        Err(self.error_here(&expected))
    }
}

/// Whether a token can begin an atom: two atoms side by side are an implicit product.
fn starts_atom(token: Token) -> bool {
    matches!(
        token,
        Token::Number | Token::Name | Token::LParen | Token::LBracket | Token::LBrace
    )
}

/// The names a broken `param` or `data` statement declares: each name right after the
/// keyword or after a comma outside brackets (not the headers in `X[a, b]`).
fn declared_names(statement: &[Lexeme]) -> Vec<Span> {
    let mut depth = 0usize;
    let mut names = Vec::new();
    for pair in statement.windows(2) {
        match pair[0].token {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        let after = matches!(pair[0].token, Token::Param | Token::Data | Token::Comma);
        if depth == 0 && after && pair[1].token == Token::Name {
            names.push(pair[1].span);
        }
    }
    names
}
