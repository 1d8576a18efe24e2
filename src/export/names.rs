//! Identifiers and literals of the generated code, and the expression printer that the
//! three targets share: minimal parentheses that keep the evaluation order of the
//! graph (`a + (b + c)` keeps its parentheses: floating-point addition is not
//! associative), each target's spelling of calls and leaves through [`Dialect`].

use super::plan::{Expr, Index, Operand};
use crate::graph::{BinOp, Func};

/// The longest user name used as an identifier; longer ones are replaced.
pub const MAX_NAME: usize = 24;

/// How one target spells what differs between languages.
pub trait Dialect {
    /// The identifier of the param at place `k` of the params array.
    fn param(&self, k: usize) -> String;
    /// The current row of the data column at place `k`.
    fn data(&self, k: usize) -> String;
    /// `f(arg)`, the argument already written.
    fn call(&self, func: Func, arg: &str) -> String;
    /// `max(a, b)`, `min(a, b)`, `pow(a, b)`, the arguments already written.
    fn call2(&self, op: BinOp, a: &str, b: &str) -> String;
    /// A component of an array (the loop's `k`, or a fixed one).
    fn elem(&self, operand: &Operand, index: Index) -> String;
    /// Whether a per-row scalar must be spread over the item axes of the array
    /// expression it is in (NumPy, where a row is an array axis); loops read it as is.
    fn spreads(&self) -> bool {
        false
    }
}

/// The loop variable of a componentwise loop (C and Rust).
pub const COMPONENT: &str = "k";

/// The identifier for a user's `name` in one target: the name itself when it is a
/// plain ASCII snake-case identifier that no language keyword, library name or
/// generated name takes, else `fallback`.
pub fn ident(name: &str, fallback: String, reserved: &[&str]) -> String {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let generated = is_generated(name);
    let taken = reserved.contains(&name) || COMMON_RESERVED.contains(&name);
    if plain && !generated && !taken && name.len() <= MAX_NAME && !name.starts_with('_') {
        name.to_string()
    } else {
        fallback
    }
}

/// Names the generator makes up itself: `t12`, `acc3`, `sum3`, `param_3`, `data_0`,
/// `nabla_...`.
fn is_generated(name: &str) -> bool {
    let numbered = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    };
    let prefixes = ["t", "acc", "sum", "param_", "data_"];
    prefixes.into_iter().any(numbered) || name.starts_with("nabla")
}

/// Names every target uses for itself.
const COMMON_RESERVED: &[&str] = &[
    "i", "k", "n_rows", "rows", "params", "data", "grad", "hess", "sum", "mean", "exp", "log",
    "start", "end",
];

/// A finite f64 as a literal that reads back to the same bits in C, Rust and Python:
/// the shortest round-trip digits, always with a `.` or an exponent (`1.0`, `1e300`,
/// `0.1`). The sign is left to the caller (`-0.0` is `-` applied to `0.0`).
pub fn literal(x: f64) -> String {
    format!("{:?}", x.abs())
}

/// Precedence levels of the written expressions.
const ADDITIVE: u8 = 1;
const MULTIPLICATIVE: u8 = 2;
const PREFIX: u8 = 3;
const ATOM: u8 = 4;

/// `expr` written in `dialect`.
pub fn write(expr: &Expr, dialect: &dyn Dialect) -> String {
    written(expr, dialect).0
}

/// The text and its precedence.
fn written(expr: &Expr, dialect: &dyn Dialect) -> (String, u8) {
    match expr {
        Expr::Number(x) if x.is_sign_negative() => (format!("-{}", literal(*x)), PREFIX),
        Expr::Number(x) => (literal(*x), ATOM),
        Expr::Param(k) => (dialect.param(*k), ATOM),
        Expr::Data(k) => (dialect.data(*k), ATOM),
        Expr::Rows => ("rows".to_string(), ATOM),
        Expr::Local(k) => (format!("t{k}"), ATOM),
        Expr::Unary(Func::Neg, a) => {
            let (text, prec) = written(a, dialect);
            (format!("-{}", wrap(text, prec, PREFIX + 1)), PREFIX)
        }
        Expr::Elem(operand, index) => (dialect.elem(operand, *index), ATOM),
        Expr::Spread(a, axes) if dialect.spreads() => {
            let (text, prec) = written(a, dialect);
            let axes = vec!["None"; *axes].join(", ");
            (format!("{}[:, {axes}]", wrap(text, prec, ATOM)), ATOM)
        }
        Expr::Spread(a, _) => written(a, dialect),
        Expr::Unary(f, a) => (dialect.call(*f, &write(a, dialect)), ATOM),
        Expr::Binary(op, a, b) => binary(*op, a, b, dialect),
    }
}

fn binary(op: BinOp, a: &Expr, b: &Expr, dialect: &dyn Dialect) -> (String, u8) {
    let (symbol, prec) = match op {
        BinOp::Add => ("+", ADDITIVE),
        BinOp::Sub => ("-", ADDITIVE),
        BinOp::Mul => ("*", MULTIPLICATIVE),
        BinOp::Div => ("/", MULTIPLICATIVE),
        BinOp::Pow | BinOp::Max | BinOp::Min => {
            let call = dialect.call2(op, &write(a, dialect), &write(b, dialect));
            return (call, ATOM);
        }
    };
    let (left, left_prec) = written(a, dialect);
    let (right, right_prec) = written(b, dialect);
    let left = wrap(left, left_prec, prec);
    let right = wrap(right, right_prec, prec + 1);
    (format!("{left} {symbol} {right}"), prec)
}

/// `text` in parentheses when its precedence is below `needed`.
fn wrap(text: String, prec: u8, needed: u8) -> String {
    if prec < needed {
        format!("({text})")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_back_in_every_language() {
        assert_eq!(literal(1.0), "1.0");
        assert_eq!(literal(0.1), "0.1");
        assert_eq!(literal(1e300), "1e300");
        assert_eq!(literal(-0.0), "0.0");
        assert_eq!(literal(5e-324), "5e-324");
        assert_eq!(literal(0.30000000000000004), "0.30000000000000004");
    }

    #[test]
    fn user_names_that_clash_are_replaced() {
        let reserved = &["double", "fn"];
        let fallback = || "param_0".to_string();
        assert_eq!(ident("w", fallback(), reserved), "w");
        assert_eq!(ident("b_0", fallback(), reserved), "b_0");
        for clash in [
            "double",
            "fn",
            "t1",
            "param_3",
            "W",
            "θ1",
            "i",
            "_x",
            "nabla_sum",
        ] {
            assert_eq!(ident(clash, fallback(), reserved), "param_0", "{clash}");
        }
    }
}
