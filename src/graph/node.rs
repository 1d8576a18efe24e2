//! Graph nodes: typed ids, operators and constants.

use crate::syntax::{Number, Span};
use rust_decimal::Decimal;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A node of the [`Graph`](super::Graph); prints as `n12`. Operands are always older
/// than the nodes that use them, so ids in increasing order are a topological order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index in insertion order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// A variable of the graph (param, data column or free name); prints as `v3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

impl VarId {
    /// The index in the variable table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for VarId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A constant vector of rows (a vector literal); prints as `c2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColumnId(pub u32);

/// What a variable stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarKind {
    /// A trainable scalar.
    Param,
    /// A data column: one value per row.
    Data,
    /// A free scalar name, as in `nabla diff "sin(x)" --wrt x`.
    Free,
}

/// A named variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    /// Its name.
    pub name: String,
    /// What it stands for.
    pub kind: VarKind,
    /// The shape of one value of it: scalar, `[K]` or `[M, K]` (SPEC 10).
    pub item: Item,
}

/// A constant item literal `{1, 2, 3}` or `{{1, 2}, {3, 4}}`; prints as `k2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(pub u32);

/// The item shape of a value (SPEC 10): the axes of one sample or of a param, beside
/// the row axis that [`Shape`] tells. A scalar is `Item::Scalar`; components are stored
/// row-major (`A[i, j]` is component `(i - 1)·K + (j - 1)` of an `[M, K]` matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Item {
    /// One number.
    #[default]
    Scalar,
    /// `[K]`: K components.
    Vector(u32),
    /// `[M, K]`: M rows of K components.
    Matrix(u32, u32),
}

/// The most components an item may have (a `[10000, 10000]` matrix).
pub const MAX_COMPONENTS: usize = 100_000_000;

impl Item {
    /// The item of these dimensions (none, one or two), if it has at most
    /// [`MAX_COMPONENTS`] components and no empty axis.
    pub fn of_dims(dims: &[usize]) -> Option<Item> {
        let fits = |d: usize| u32::try_from(d).ok().filter(|&d| d > 0);
        let item = match *dims {
            [] => Item::Scalar,
            [k] => Item::Vector(fits(k)?),
            [m, k] => Item::Matrix(fits(m)?, fits(k)?),
            _ => return None,
        };
        (item.size() <= MAX_COMPONENTS).then_some(item)
    }

    /// The number of components (1 for a scalar).
    pub fn size(self) -> usize {
        self.dims().iter().product()
    }

    /// The dimensions: none for a scalar, `[K]`, `[M, K]`.
    pub fn dims(self) -> Vec<usize> {
        match self {
            Item::Scalar => vec![],
            Item::Vector(k) => vec![k as usize],
            Item::Matrix(m, k) => vec![m as usize, k as usize],
        }
    }

    /// Whether it is one number.
    pub fn is_scalar(self) -> bool {
        self == Item::Scalar
    }

    /// The flat (row-major, from 0) component of the 1-based `index`, if it has one
    /// index per axis and each is in range.
    pub fn component(self, index: &[usize]) -> Option<usize> {
        let dims = self.dims();
        if index.len() != dims.len() || dims.is_empty() {
            return None;
        }
        let mut flat = 0;
        for (&i, &d) in index.iter().zip(&dims) {
            if i == 0 || i > d {
                return None;
            }
            flat = flat * d + (i - 1);
        }
        Some(flat)
    }

    /// The 1-based index of the flat component `k` (as [`Item::component`] reverses).
    pub fn index_of(self, k: usize) -> Vec<usize> {
        match self {
            Item::Scalar => vec![],
            Item::Vector(_) => vec![k + 1],
            Item::Matrix(_, cols) => vec![k / cols as usize + 1, k % cols as usize + 1],
        }
    }

    /// The suffix that names component `k` of a value: `[2]`, `[1,3]`, empty for a scalar.
    pub fn suffix(self, k: usize) -> String {
        let index = self.index_of(k);
        if index.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = index.iter().map(usize::to_string).collect();
        format!("[{}]", parts.join(","))
    }
}

impl fmt::Display for Item {
    /// `scalar`, `[3]`, `[2, 3]`, as messages name shapes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Scalar => write!(f, "scalar"),
            Item::Vector(k) => write!(f, "[{k}]"),
            Item::Matrix(m, k) => write!(f, "[{m}, {k}]"),
        }
    }
}

/// A function over the item axes of one value (SPEC 10), applied per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemFunc {
    /// The sum of the components: a scalar.
    Total,
    /// `[M, K]` to `[K, M]`.
    Transpose,
    /// The Euclidean (Frobenius) norm: a scalar.
    Norm,
    /// `exp(v_k) / Σ exp(v_j)` of a vector, computed stably.
    Softmax,
    /// `ln Σ exp(v_k)` of a vector, computed stably: a scalar.
    Logsumexp,
    /// A vector `[K]` to the `[K, K]` matrix with it on the diagonal; a square matrix
    /// to the vector of its diagonal (as NumPy's `diag`).
    Diag,
}

impl ItemFunc {
    /// Every item function, with its name in the language.
    pub const NAMED: [(&'static str, ItemFunc); 6] = [
        ("total", ItemFunc::Total),
        ("transpose", ItemFunc::Transpose),
        ("norm", ItemFunc::Norm),
        ("softmax", ItemFunc::Softmax),
        ("logsumexp", ItemFunc::Logsumexp),
        ("diag", ItemFunc::Diag),
    ];

    /// The function called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<ItemFunc> {
        ItemFunc::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        ItemFunc::NAMED
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }
}

/// The two-operand products over item axes (SPEC 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductOp {
    /// `dot(a, b)` or `a @ b`: contracts the last axis of a with the first of b.
    Dot,
    /// `outer(a, b)` of two vectors: the `[M, K]` matrix of products.
    Outer,
}

impl ProductOp {
    /// Its name in the language.
    pub fn name(self) -> &'static str {
        match self {
            ProductOp::Dot => "dot",
            ProductOp::Outer => "outer",
        }
    }

    /// The product called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<ProductOp> {
        match name {
            "dot" => Some(ProductOp::Dot),
            "outer" => Some(ProductOp::Outer),
            _ => None,
        }
    }
}

/// Whether a value is one value or one value per data row (the row axis; the shape
/// of each value is its [`Item`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// One number.
    Scalar,
    /// One number per row.
    Rows,
}

/// The one-operand functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Func {
    Neg,
    Exp,
    Ln,
    Log2,
    Log10,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Sigmoid,
    Softplus,
    Relu,
    Sign,
    /// `step(x)`: 1 where x > 0, else 0 (the derivative of `relu`).
    Step,
    /// Sum over the rows; of a scalar, N times it (so `sum(1)` is the row count N).
    Sum,
    /// Mean over the rows; of a scalar, itself.
    Mean,
}

impl Func {
    /// Every function callable by name in the language, with its name.
    pub const NAMED: [(&'static str, Func); 23] = [
        ("exp", Func::Exp),
        ("ln", Func::Ln),
        ("log", Func::Ln),
        ("log2", Func::Log2),
        ("log10", Func::Log10),
        ("sqrt", Func::Sqrt),
        ("abs", Func::Abs),
        ("sin", Func::Sin),
        ("cos", Func::Cos),
        ("tan", Func::Tan),
        ("asin", Func::Asin),
        ("acos", Func::Acos),
        ("atan", Func::Atan),
        ("sinh", Func::Sinh),
        ("cosh", Func::Cosh),
        ("tanh", Func::Tanh),
        ("sigmoid", Func::Sigmoid),
        ("softplus", Func::Softplus),
        ("relu", Func::Relu),
        ("sign", Func::Sign),
        ("step", Func::Step),
        ("sum", Func::Sum),
        ("mean", Func::Mean),
    ];

    /// The function called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }

    /// The name it prints as (`-` for negation).
    pub fn name(self) -> &'static str {
        match self {
            Func::Neg => "-",
            Func::Ln => "ln",
            other => Func::NAMED
                .iter()
                .find(|(_, f)| *f == other)
                .map_or("?", |(n, _)| n),
        }
    }

    /// Whether it reduces rows to a scalar.
    pub fn is_reduction(self) -> bool {
        matches!(self, Func::Sum | Func::Mean)
    }
}

/// The two-operand operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Max,
    Min,
}

impl BinOp {
    /// The operator as written: `+ - * / ^`, or the function name `max`, `min`.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Max => "max",
            BinOp::Min => "min",
        }
    }
}

/// A constant: its f64 value and, where known, its exact decimal value.
/// Two constants are equal when their exact values are (or, lacking those, their bits).
#[derive(Debug, Clone, Copy)]
pub struct Constant(pub Number);

impl Constant {
    /// An exact integer constant.
    pub fn int(value: i64) -> Constant {
        Constant(Number::from_decimal(Decimal::from(value)))
    }

    /// The f64 value.
    pub fn value(self) -> f64 {
        self.0.value
    }

    /// The exact value, if known.
    pub fn exact(self) -> Option<Decimal> {
        self.0.exact
    }
}

impl PartialEq for Constant {
    fn eq(&self, other: &Self) -> bool {
        match (self.0.exact, other.0.exact) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.0.value.to_bits() == other.0.value.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Constant {}

impl Hash for Constant {
    /// Hashes the decimal's digits and scale directly (normalising here would cost more
    /// than the rest of hash-consing): equal constants with different scales (`2.50`,
    /// `2.5`) hash apart but still compare equal, and the graph only creates normalised
    /// constants (see [`Constant::normalized`]), so a lookup finds them.
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.0.exact {
            Some(d) => (d.mantissa(), d.scale()).hash(state),
            None => self.0.value.to_bits().hash(state),
        }
    }
}

impl Constant {
    /// The same constant with its decimal in lowest terms (`2.50` becomes `2.5`).
    pub fn normalized(self) -> Constant {
        match self.0.exact {
            Some(d) if d.scale() > 0 => Constant(Number {
                exact: Some(d.normalize()),
                ..self.0
            }),
            _ => self,
        }
    }
}

/// What a node computes. Operands are node ids, always older than the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A number.
    Const(Constant),
    /// The constant π.
    Pi,
    /// The constant e.
    Euler,
    /// A variable.
    Var(VarId),
    /// A vector literal.
    Column(ColumnId),
    /// `f(a)`
    Unary(Func, NodeId),
    /// `a op b`
    Binary(BinOp, NodeId, NodeId),
    /// A constant of an item shape whose every component is the constant
    /// (`zeros`, `ones`: what a derivative needs where one component is not enough).
    Fill(Constant, Item),
    /// A constant item literal `{1, 2, 3}`.
    Tensor(TensorId),
    /// One component of a shaped value: its flat (row-major, from 0) index.
    Index(NodeId, u32),
    /// A function over the item axes: `total`, `transpose`, `norm`, `softmax`, `logsumexp`.
    Item(ItemFunc, NodeId),
    /// `dot(a, b)` or `outer(a, b)`.
    Product(ProductOp, NodeId, NodeId),
}

impl Op {
    /// The operands, in order.
    pub fn operands(&self) -> impl Iterator<Item = NodeId> + use<> {
        let (a, b) = match *self {
            Op::Unary(_, a) | Op::Index(a, _) | Op::Item(_, a) => (Some(a), None),
            Op::Binary(_, a, b) | Op::Product(_, a, b) => (Some(a), Some(b)),
            _ => (None, None),
        };
        a.into_iter().chain(b)
    }

    /// The same operator over other operands, `map` giving each operand's replacement.
    pub fn map_operands(self, mut map: impl FnMut(NodeId) -> NodeId) -> Op {
        match self {
            Op::Unary(f, a) => Op::Unary(f, map(a)),
            Op::Index(a, k) => Op::Index(map(a), k),
            Op::Item(f, a) => Op::Item(f, map(a)),
            Op::Binary(op, a, b) => Op::Binary(op, map(a), map(b)),
            Op::Product(op, a, b) => Op::Product(op, map(a), map(b)),
            leaf => leaf,
        }
    }

    /// The constant's value, if this is a constant.
    pub fn constant(&self) -> Option<Constant> {
        match self {
            Op::Const(c) => Some(*c),
            _ => None,
        }
    }
}

/// A node: its operator, its shape, whether it is constant, and the source span it came
/// from (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// Scalar or rows.
    pub shape: Shape,
    /// The shape of one row's value: scalar, `[K]` or `[M, K]`.
    pub item: Item,
    /// True when it depends on no variable (the same value everywhere), known when the
    /// node is made, so asking is O(1) rather than a walk of the graph.
    pub constant: bool,
    /// The source text it was lowered from; derived nodes keep their origin's span.
    pub span: Option<Span>,
}
