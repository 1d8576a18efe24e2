//! The abstract syntax tree: statements over an arena of expressions.
//!
//! **Expressions live in one arena and a node's children are always older than it,**
//! so the subtree of `e` is exactly the ids `first(e)..=e`. Passes walk that range in
//! order instead of recursing, which keeps a 100,000-term sum from overflowing the stack
//! (and dropping the tree never recurses either).

use super::number::Number;
use super::span::Span;
use std::fmt;

/// An index into [`Ast::exprs`]; prints as `e12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

impl ExprId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ExprId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.0)
    }
}

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// The binary operators, by precedence: `+ -` < `* / @` < `^`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a @ b`: the matrix product (`dot`), with the precedence of `*` (SPEC 10).
    MatMul,
    /// `a ^ b`
    Pow,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::MatMul => "@",
            BinaryOp::Pow => "^",
        }
    }
}

/// One dimension of a param's item shape (`3` in `param w[3]`), or one constant index
/// (`2` in `v[2]`, counted from 1): a positive integer literal with its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dim {
    /// The size or index, at least 1 and at most [`MAX_DIM`].
    pub size: usize,
    /// Where the literal is written.
    pub span: Span,
}

/// The largest size of one dimension, and the largest index (10^8).
pub const MAX_DIM: usize = 100_000_000;

/// The most dimensions an item shape (and so an index) has: a matrix `[M, K]`.
pub const MAX_DIMS: usize = 2;

/// One expression node.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// The text it covers.
    pub span: Span,
    /// The oldest node of its subtree: the subtree is `first..=self`.
    pub first: ExprId,
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Number(Number),
    /// A name: a param, data column, definition, constant or free variable.
    Name(String),
    /// `-a`
    Neg(ExprId),
    /// `a op b`
    Binary(BinaryOp, ExprId, ExprId),
    /// `f(a, b)`: a built-in or a user function.
    Call {
        /// The function's name.
        callee: Ident,
        /// The arguments.
        args: Vec<ExprId>,
    },
    /// `[1, 2, 3]`: a vector of rows.
    Vector(Vec<ExprId>),
    /// `{a, b, c}`: an item vector of components; `{{1, 2}, {3, 4}}` is a matrix by
    /// rows (SPEC 10). Never empty.
    Components(Vec<ExprId>),
    /// `v[k]`, `A[i, j]`: a component by constant indices counted from 1.
    Index {
        /// The indexed expression.
        base: ExprId,
        /// One index per axis (one or two); `size` is the index.
        indices: Vec<Dim>,
    },
    /// `d(of)/d(wrt)`, `d(of)/d(wrt[k])`: a symbolic derivative.
    Derivative {
        /// The expression differentiated.
        of: ExprId,
        /// The name it is differentiated by.
        wrt: Ident,
        /// The component of `wrt` (`d(F)/d(W[1, 2])`); empty for the whole variable.
        component: Vec<Dim>,
    },
}

/// The initial value of a param.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamInit {
    /// `param w = expr` (a constant expression).
    Value(ExprId),
    /// `param w ~ normal(0, 1)`: drawn from a seeded distribution.
    Random {
        /// The distribution: `normal` or `uniform`.
        dist: Ident,
        /// Its arguments (constant expressions).
        args: Vec<ExprId>,
    },
}

/// One param of a `param` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// The param's name.
    pub name: Ident,
    /// Its item shape: `[3]` in `param w[3] = 0`; empty for a scalar.
    pub shape: Vec<Dim>,
    /// How it starts.
    pub init: ParamInit,
    /// `in [lo, hi]`: the box every component stays in; `None` when unbounded.
    pub bounds: Option<ParamBounds>,
}

/// The bounds of a param, `in [lo, hi]` (SPEC 11): two constant expressions, where
/// the name `inf` (and `-inf`) means an infinite bound.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamBounds {
    /// The lower bound.
    pub lower: ExprId,
    /// The upper bound.
    pub upper: ExprId,
    /// `[lo, hi]` as written.
    pub span: Span,
}

/// One name of a `data ... from` statement, with the CSV columns it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct DataName {
    /// The declared name.
    pub name: Ident,
    /// `X[a, b..c, *]`: the header columns that make the per-row vector `X`; `None`
    /// for a plain name, which is the column of the same header.
    pub columns: Option<Vec<ColumnSel>>,
}

/// One selection of CSV columns in `data X[...] from "file.csv"`.
///
/// Header names are written as names or, for headers that are not names, as string
/// literals (`X["pixel 1"]`); either way the [`Ident`] holds the header text.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnSel {
    /// `size`: one column by its header.
    Name(Ident),
    /// `size..age`: the columns from one header to another, both included, in file order.
    Range(Ident, Ident),
    /// `*`: every column not named elsewhere in the statement.
    Rest(Span),
}

/// An option of a descent method: `rate = 0.1`.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodOption {
    /// The option's name.
    pub name: Ident,
    /// Its value (`auto` is a name).
    pub value: ExprId,
}

/// `by method(option = value, ...)` of a `minimize` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    /// The method's name: `gd`, `adam`, ...
    pub name: Ident,
    /// Its options, in the order written.
    pub options: Vec<MethodOption>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What it says.
    pub kind: StmtKind,
    /// The text it covers.
    pub span: Span,
}

/// The kinds of statement (SPEC 1.2).
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `param w = -2, b ~ normal(0, 1)`
    Param(Vec<ParamDecl>),
    /// `data x = [0.5, 2.5]`
    DataInline {
        /// The column's name.
        name: Ident,
        /// Its values (a vector literal).
        values: ExprId,
    },
    /// `data x, y from "points.csv"`, `data y, X[size..age] from "houses.csv"`
    DataFile {
        /// The declared names, each a column or a selection of columns.
        names: Vec<DataName>,
        /// The path as written (escapes resolved).
        path: String,
        /// Where the path literal is.
        path_span: Span,
    },
    /// `name = expr` or `name(a, b) = expr`
    Define {
        /// The defined name.
        name: Ident,
        /// The parameters of a function; `None` for a plain definition.
        params: Option<Vec<Ident>>,
        /// The right-hand side.
        body: ExprId,
    },
    /// `check d(of)/d(wrt) = expected`
    Check {
        /// The derivative on the left (an [`ExprKind::Derivative`]).
        derivative: ExprId,
        /// The hand-derived expression on the right.
        expected: ExprId,
    },
    /// `minimize loss wrt w, b by gd(rate = 1)`
    Minimize {
        /// The objective.
        objective: ExprId,
        /// The params to move; empty means every param the objective depends on.
        wrt: Vec<Ident>,
        /// The method; `None` means the default.
        method: Option<Method>,
    },
    /// A bare expression (meaningful in the REPL).
    Expr(ExprId),
}

/// A parsed source: its statements and the expression arena they point into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ast {
    /// Every expression node; children before parents.
    pub exprs: Vec<Expr>,
    /// The statements, in source order.
    pub statements: Vec<Stmt>,
    /// Names declared by statements that failed to parse (their uses are not errors).
    pub broken_names: Vec<String>,
}

impl Ast {
    /// The expression with this id.
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.index()]
    }

    /// The ids of the subtree of `root`, children before parents.
    pub fn subtree(&self, root: ExprId) -> impl Iterator<Item = ExprId> + use<> {
        let first = self.expr(root).first.0;
        (first..=root.0).map(ExprId)
    }

    /// The direct children of an expression, in order.
    pub fn children(&self, id: ExprId) -> Vec<ExprId> {
        match &self.expr(id).kind {
            ExprKind::Number(_) | ExprKind::Name(_) => vec![],
            ExprKind::Neg(a) => vec![*a],
            ExprKind::Derivative { of, .. } => vec![*of],
            ExprKind::Index { base, .. } => vec![*base],
            ExprKind::Binary(_, a, b) => vec![*a, *b],
            ExprKind::Call { args, .. } | ExprKind::Vector(args) | ExprKind::Components(args) => {
                args.clone()
            }
        }
    }

    /// The expression as an S-expression, e.g. `(+ 1 (* 2 x))`; built without recursion.
    pub fn sexpr(&self, root: ExprId) -> String {
        let mut text: Vec<Option<String>> = vec![None; self.exprs.len()];
        for id in self.subtree(root) {
            let mut take = |c: &ExprId| text[c.index()].take().unwrap_or_default();
            let s = match &self.expr(id).kind {
                ExprKind::Number(n) => n.to_string(),
                ExprKind::Name(name) => name.clone(),
                ExprKind::Neg(a) => format!("(neg {})", take(a)),
                ExprKind::Binary(op, a, b) => {
                    format!("({} {} {})", op.symbol(), take(a), take(b))
                }
                ExprKind::Call { callee, args } => {
                    let args: Vec<String> = args.iter().map(take).collect();
                    format!("({} {})", callee.name, args.join(" "))
                }
                ExprKind::Vector(items) => {
                    let items: Vec<String> = items.iter().map(take).collect();
                    format!("[{}]", items.join(" "))
                }
                ExprKind::Components(items) => {
                    let items: Vec<String> = items.iter().map(take).collect();
                    format!("{{{}}}", items.join(" "))
                }
                ExprKind::Index { base, indices } => {
                    format!("(index {} {})", take(base), join_dims(indices, " "))
                }
                ExprKind::Derivative { of, wrt, component } if !component.is_empty() => {
                    let of = take(of);
                    format!("(d {of} {}[{}])", wrt.name, join_dims(component, ","))
                }
                ExprKind::Derivative { of, wrt, .. } => format!("(d {} {})", take(of), wrt.name),
            };
            text[id.index()] = Some(s);
        }
        text[root.index()].take().unwrap_or_default()
    }
}

/// The sizes of `dims` joined by `separator`: `1 2`.
fn join_dims(dims: &[Dim], separator: &str) -> String {
    let sizes: Vec<String> = dims.iter().map(|d| d.size.to_string()).collect();
    sizes.join(separator)
}
