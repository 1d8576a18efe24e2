//! Shape inference (SPEC 10): the item shape of each operator from its operands', or
//! why the operands do not fit. Lowering asks first and reports the error with both
//! spans; a node made by a derivative rule fits by construction.

use super::builder::Graph;
use super::node::*;

/// Why the operands of an operator do not fit together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// A componentwise operator over two different non-scalar items.
    #[error("shapes {left} and {right} do not match")]
    Mismatch {
        /// The left operand's item.
        left: Item,
        /// The right operand's item.
        right: Item,
    },
    /// `dot` whose contracted axes differ, or with a scalar operand.
    #[error(
        "dot of {left} and {right}: the last axis of the first must be the first of the second"
    )]
    Contraction {
        /// The left operand's item.
        left: Item,
        /// The right operand's item.
        right: Item,
    },
    /// `outer` of something other than two vectors.
    #[error("outer of {left} and {right}: it takes two vectors")]
    Outer {
        /// The left operand's item.
        left: Item,
        /// The right operand's item.
        right: Item,
    },
    /// A function that takes a vector (`softmax`, `logsumexp`) of another item.
    #[error("{func} takes a vector, not {got}")]
    NeedsVector {
        /// The function.
        func: &'static str,
        /// The operand's item.
        got: Item,
    },
    /// `diag` of something other than a vector or a square matrix.
    #[error("diag takes a vector or a square matrix, not {got}")]
    NeedsSquare {
        /// The operand's item.
        got: Item,
    },
    /// `transpose` of something other than a matrix.
    #[error("transpose takes a matrix, not {got}")]
    NeedsMatrix {
        /// The operand's item.
        got: Item,
    },
    /// An index beyond the value's components.
    #[error("component {index} is outside a value of shape {item}")]
    Index {
        /// The flat component asked for.
        index: u32,
        /// The indexed value's item.
        item: Item,
    },
}

/// The item shape of `op`'s result, or why its operands do not fit.
pub fn result_item(graph: &Graph, op: Op) -> Result<Item, ShapeError> {
    let item = |n: NodeId| graph.item(n);
    Ok(match op {
        Op::Const(_) | Op::Pi | Op::Euler | Op::Column(_) => Item::Scalar,
        Op::Var(v) => graph.var(v).item,
        Op::Fill(_, i) => i,
        Op::Tensor(t) => graph.tensor(t).0,
        Op::Unary(_, a) => item(a),
        Op::Binary(_, a, b) => broadcast(item(a), item(b))?,
        Op::Index(a, k) => {
            if (k as usize) < item(a).size() && !item(a).is_scalar() {
                Item::Scalar
            } else {
                return Err(ShapeError::Index {
                    index: k,
                    item: item(a),
                });
            }
        }
        Op::Item(func, a) => item_func(func, item(a))?,
        Op::Product(ProductOp::Dot, a, b) => contract(item(a), item(b))?,
        Op::Product(ProductOp::Outer, a, b) => match (item(a), item(b)) {
            (Item::Vector(m), Item::Vector(k)) => Item::Matrix(m, k),
            (left, right) => return Err(ShapeError::Outer { left, right }),
        },
    })
}

/// Componentwise operands: equal items, or a scalar with anything.
pub fn broadcast(left: Item, right: Item) -> Result<Item, ShapeError> {
    match (left, right) {
        (l, r) if l == r => Ok(l),
        (Item::Scalar, r) => Ok(r),
        (l, Item::Scalar) => Ok(l),
        (left, right) => Err(ShapeError::Mismatch { left, right }),
    }
}

fn item_func(func: ItemFunc, a: Item) -> Result<Item, ShapeError> {
    match (func, a) {
        (ItemFunc::Total | ItemFunc::Norm, _) => Ok(Item::Scalar),
        (ItemFunc::Transpose, Item::Matrix(m, k)) => Ok(Item::Matrix(k, m)),
        (ItemFunc::Transpose, got) => Err(ShapeError::NeedsMatrix { got }),
        (ItemFunc::Softmax, Item::Vector(k)) => Ok(Item::Vector(k)),
        (ItemFunc::Logsumexp, Item::Vector(_)) => Ok(Item::Scalar),
        (ItemFunc::Diag, Item::Vector(k)) => Ok(Item::Matrix(k, k)),
        (ItemFunc::Diag, Item::Matrix(m, k)) if m == k => Ok(Item::Vector(k)),
        (ItemFunc::Diag, got) => Err(ShapeError::NeedsSquare { got }),
        (func, got) => Err(ShapeError::NeedsVector {
            func: func.name(),
            got,
        }),
    }
}

/// `dot`: the last axis of `left` against the first of `right`.
fn contract(left: Item, right: Item) -> Result<Item, ShapeError> {
    let error = ShapeError::Contraction { left, right };
    let (l, r) = (left.dims(), right.dims());
    let (Some((&inner, outer_l)), Some((&first, outer_r))) = (l.split_last(), r.split_first())
    else {
        return Err(error);
    };
    if inner != first {
        return Err(error);
    }
    let dims: Vec<usize> = outer_l.iter().chain(outer_r).copied().collect();
    Item::of_dims(&dims).ok_or(error)
}
