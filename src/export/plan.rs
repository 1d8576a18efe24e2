//! The plan of an exported function: the simplified graph of an objective and its
//! derivatives cut into the tape's phases (rowless values once, per-row terms in one
//! loop over the rows, `sum`/`mean` accumulated), with shared sub-expressions as locals.
//!
//! A node becomes a local (`t1`, `t2`, ...) when it is used more than once, when it is
//! rowless and a per-row term reads it (so it is computed once, before the loop), when
//! it is the base of a square (`x^2` is written `x*x`), when it is the result of a
//! reduction, or when its written-out expression would be too long for one line.
//! Everything else is written inline into its one user. Every pass is a loop over
//! node ids; only inline expressions (bounded by [`MAX_INLINE_WEIGHT`]) recurse.
//!
//! **Shapes (SPEC 10)**: a vector or matrix value is an array, row-major. A
//! componentwise expression (`tanh(t1 + b)`) is one [`Expr`] that reads component
//! "each" of its arrays ([`Index::Each`]) and is written as one loop over the
//! components (or one NumPy array expression); a scalar broadcasts. The operators that
//! are not componentwise (`dot`, `outer`, `total`, `norm`, `softmax`, `logsumexp`,
//! `transpose`) and item literals are always locals of their own ([`Value`]), and
//! their operands are arrays: params, data columns or locals. So the code never
//! grows with the number of components.

use super::ExportError;
use crate::graph::{BinOp, Func, Graph, Item, ItemFunc, NodeId, ProductOp, VarId};

pub use super::planner::MAX_INLINE_WEIGHT;

/// An expression of the generated code: a scalar, or one component of a
/// componentwise array expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number (finite).
    Number(f64),
    /// The scalar param at this place of the params array.
    Param(usize),
    /// The current row of the scalar data column at this place of the data array.
    Data(usize),
    /// The row count, as a float.
    Rows,
    /// A scalar local, by its number (`t3`).
    Local(u32),
    /// A component of an array: the loop's component, or a fixed one.
    Elem(Operand, Index),
    /// A per-row scalar inside a per-row vector or matrix expression, broadcast over
    /// this many item axes (NumPy writes `e[:, None]`; the loops read it as it is).
    Spread(Box<Expr>, usize),
    /// `f(a)` (never `sum`/`mean`: those are [`Sum`]s or folded away).
    Unary(Func, Box<Expr>),
    /// `a op b`; a square is `Mul` of one local by itself.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// An array the code reads as a whole: where it lives, its item and whether it has a
/// value per row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Operand {
    /// Where its components are.
    pub array: Array,
    /// Its item shape (never scalar).
    pub item: Item,
    /// Whether it varies over the rows (a data column, or a local computed per row).
    pub rows: bool,
}

/// Where an array's components are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Array {
    /// The shaped param at this place of the params array: a block of the flat params.
    Param(usize),
    /// The shaped data column at this place of the data array: its current row.
    Data(usize),
    /// An array local (`t3`); of a per-row local, the current row's components.
    Local(u32),
}

/// Which component of an array an [`Expr::Elem`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// The component the enclosing componentwise loop is at (NumPy: the whole array).
    Each,
    /// This flat (row-major, from 0) component.
    At(u32),
}

/// What a local holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar: `t = expr`.
    Scalar(Expr),
    /// An array computed componentwise: `t[k] = expr` at every component k.
    Map(Expr),
    /// `dot(a, b)` (a scalar when both are vectors) or `outer(a, b)`.
    Product(ProductOp, Operand, Operand),
    /// `total`, `norm`, `logsumexp` (scalars), `softmax`, `transpose` of an array.
    Item(ItemFunc, Operand),
    /// A constant array (`{1, 2}`), row-major.
    Tensor(Vec<f64>),
}

/// `t<local> = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Local {
    /// The local's number.
    pub local: u32,
    /// Its item shape: a scalar, or the array's.
    pub item: Item,
    /// Whether it is computed per row.
    pub rows: bool,
    /// What it holds.
    pub value: Value,
}

/// A reduction of one phase's loop: `t<local> = sum of the rows of value` (divided by
/// the row count for a mean), accumulated with compensation, component by component.
#[derive(Debug, Clone, PartialEq)]
pub struct Sum {
    /// The local that holds the result after the loop.
    pub local: u32,
    /// The item shape of the value summed (and of the result).
    pub item: Item,
    /// The per-row value summed (componentwise for an array).
    pub value: Expr,
    /// A mean rather than a sum.
    pub mean: bool,
}

/// One level of the computation: rowless locals, then a loop over the rows with its
/// sums.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Phase {
    /// Rowless locals computed before the loop.
    pub scalars: Vec<Local>,
    /// Per-row locals computed inside the loop, in order.
    pub rows: Vec<Local>,
    /// The sums accumulated in the loop (none: there is no loop).
    pub sums: Vec<Sum>,
}

/// One output of the function: a scalar, or an array written into its block of
/// `grad` (componentwise).
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Its item shape.
    pub item: Item,
    /// Its value (component "each" for an array).
    pub value: Expr,
}

/// The whole function: phases in order, then the outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The phases.
    pub phases: Vec<Phase>,
    /// The objective's value.
    pub loss: Expr,
    /// The gradient, one per param differentiated by, each of that param's shape.
    pub gradient: Vec<Output>,
    /// The Hessian, row-major (empty without `--hessian`); scalar params only.
    pub hessian: Vec<Expr>,
    /// Which params (by place in the params array) the code reads.
    pub params_used: Vec<bool>,
    /// Which data columns (by place in the data array) the code reads.
    pub data_used: Vec<bool>,
}

impl Default for Expr {
    fn default() -> Self {
        Expr::Number(0.0)
    }
}

impl Plan {
    /// Whether any phase loops over the rows.
    pub fn has_loop(&self) -> bool {
        self.phases.iter().any(|p| !p.sums.is_empty())
    }

    /// Whether any sum is of a vector or matrix (its accumulators are arrays).
    pub fn has_shaped_sum(&self) -> bool {
        let sums = self.phases.iter().flat_map(|p| &p.sums);
        sums.into_iter().any(|s| !s.item.is_scalar())
    }

    /// Whether the code reads the row count as a number (a mean, or a sum of a scalar).
    pub fn reads_rows(&self) -> bool {
        let mean = self.phases.iter().flat_map(|p| &p.sums).any(|s| s.mean);
        mean || self.exprs().any(|e| e.mentions(&|e| *e == Expr::Rows))
    }

    /// Whether the code calls `func` anywhere.
    pub fn calls(&self, func: Func) -> bool {
        self.exprs()
            .any(|e| e.mentions(&|e| matches!(e, Expr::Unary(f, _) if *f == func)))
    }

    /// Whether the code applies `op` anywhere.
    pub fn applies(&self, op: BinOp) -> bool {
        self.exprs()
            .any(|e| e.mentions(&|e| matches!(e, Expr::Binary(o, _, _) if *o == op)))
    }

    /// Every local of every phase, in order.
    pub fn locals(&self) -> impl Iterator<Item = &Local> {
        self.phases
            .iter()
            .flat_map(|p| p.scalars.iter().chain(&p.rows))
    }

    /// Whether some local is a dot product with a scalar result (`nabla_dot`).
    pub fn has_vector_dot(&self) -> bool {
        self.locals()
            .any(|l| matches!(l.value, Value::Product(ProductOp::Dot, ..)) && l.item.is_scalar())
    }

    /// Whether some local is a product with an array result (`dot` or `outer`).
    pub fn has_product(&self, op: ProductOp) -> bool {
        self.locals()
            .any(|l| matches!(l.value, Value::Product(o, ..) if o == op) && !l.item.is_scalar())
    }

    /// Whether some local applies the item function `func`.
    pub fn has_item(&self, func: ItemFunc) -> bool {
        self.locals()
            .any(|l| matches!(l.value, Value::Item(f, _) if f == func))
    }

    fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let phases = self.phases.iter().flat_map(|p| {
            let locals = p
                .scalars
                .iter()
                .chain(&p.rows)
                .filter_map(|l| match &l.value {
                    Value::Scalar(e) | Value::Map(e) => Some(e),
                    _ => None,
                });
            locals.chain(p.sums.iter().map(|s| &s.value))
        });
        phases
            .chain(std::iter::once(&self.loss))
            .chain(self.gradient.iter().map(|o| &o.value))
            .chain(&self.hessian)
    }
}

impl Expr {
    /// Whether `test` holds for this expression or one inside it.
    pub fn mentions(&self, test: &dyn Fn(&Expr) -> bool) -> bool {
        test(self)
            || match self {
                Expr::Unary(_, a) | Expr::Spread(a, _) => a.mentions(test),
                Expr::Binary(_, a, b) => a.mentions(test) || b.mentions(test),
                _ => false,
            }
    }
}

/// What to plan: the objective, its derivatives, and the order of the inputs.
pub struct Request<'a> {
    /// The objective's node.
    pub loss: NodeId,
    /// The gradient's nodes.
    pub gradient: &'a [NodeId],
    /// The Hessian's nodes, row-major.
    pub hessian: &'a [NodeId],
    /// Every param, in the order of the params array.
    pub params: &'a [VarId],
    /// The data columns, in the order of the data array.
    pub data: &'a [VarId],
}

/// Plans the function that computes the request's outputs.
pub fn plan(graph: &Graph, request: &Request) -> Result<Plan, ExportError> {
    super::planner::plan(graph, request)
}
