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
}

/// Whether a value is one number or one number per data row.
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
}

impl Op {
    /// The operands, in order.
    pub fn operands(&self) -> impl Iterator<Item = NodeId> + use<> {
        let (a, b) = match *self {
            Op::Unary(_, a) => (Some(a), None),
            Op::Binary(_, a, b) => (Some(a), Some(b)),
            _ => (None, None),
        };
        a.into_iter().chain(b)
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
    /// True when it depends on no variable (the same value everywhere), known when the
    /// node is made, so asking is O(1) rather than a walk of the graph.
    pub constant: bool,
    /// The source text it was lowered from; derived nodes keep their origin's span.
    pub span: Option<Span>,
}
