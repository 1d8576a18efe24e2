//! One node's value from its operands' values, with the domain checks of SPEC 1.4.

use super::{Bindings, DomainError, DomainKind, Value};
use crate::graph::{BinOp, Func, Graph, NodeId, Op};
use crate::numbers::float::{binary, unary};

pub(super) fn eval_node(
    graph: &Graph,
    bindings: &Bindings,
    id: NodeId,
    values: &super::Values,
) -> Result<Value, DomainError> {
    let get = |n: NodeId| values.get(n).unwrap_or(&Value::Scalar(f64::NAN));
    let value = match graph.op(id) {
        Op::Const(c) => Value::Scalar(c.value()),
        Op::Pi => Value::Scalar(std::f64::consts::PI),
        Op::Euler => Value::Scalar(std::f64::consts::E),
        Op::Column(c) => Value::Rows(graph.column(c).iter().map(|n| n.value).collect()),
        Op::Var(v) => match bindings.get(v) {
            Some(value) => value.clone(),
            None => {
                return Err(error(
                    graph,
                    id,
                    DomainKind::Unbound,
                    &graph.var(v).name,
                    f64::NAN,
                    None,
                ));
            }
        },
        Op::Unary(Func::Sum, a) => Value::Scalar(sum(get(a), bindings.rows())),
        Op::Unary(Func::Mean, a) => match get(a) {
            Value::Scalar(x) => Value::Scalar(*x),
            rows => Value::Scalar(sum(rows, bindings.rows()) / bindings.rows() as f64),
        },
        Op::Unary(func, a) => map1(get(a), |x| unary(func, x)),
        Op::Binary(op, a, b) => map2(get(a), get(b), |x, y| binary(op, x, y)),
        // Shaped nodes are evaluated on their graph written out by components
        // (`super::evaluate_components`), never here.
        Op::Fill(..) | Op::Tensor(_) | Op::Index(..) | Op::Item(..) | Op::Product(..) => {
            Value::Scalar(f64::NAN)
        }
    };
    check(graph, id, &value, values)?;
    Ok(value)
}

/// Neumaier's compensated sum, in row order; a scalar counts once per row.
pub(crate) fn sum(value: &Value, rows: usize) -> f64 {
    match value {
        Value::Scalar(x) => x * rows as f64,
        Value::Rows(v) => {
            let (mut total, mut compensation) = (0.0_f64, 0.0_f64);
            for &x in v {
                let t = total + x;
                compensation += if total.abs() >= x.abs() {
                    (total - t) + x
                } else {
                    (x - t) + total
                };
                total = t;
            }
            total + compensation
        }
        Value::Shaped(..) => f64::NAN,
    }
}

fn map1(a: &Value, f: impl Fn(f64) -> f64) -> Value {
    match a {
        Value::Scalar(x) => Value::Scalar(f(*x)),
        Value::Rows(v) => Value::Rows(v.iter().map(|&x| f(x)).collect()),
        Value::Shaped(..) => Value::Scalar(f64::NAN),
    }
}

fn map2(a: &Value, b: &Value, f: impl Fn(f64, f64) -> f64) -> Value {
    match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(f(*x, *y)),
        (Value::Rows(v), Value::Scalar(y)) => Value::Rows(v.iter().map(|&x| f(x, *y)).collect()),
        (Value::Scalar(x), Value::Rows(w)) => Value::Rows(w.iter().map(|&y| f(*x, y)).collect()),
        (Value::Rows(v), Value::Rows(w)) => {
            Value::Rows(v.iter().zip(w).map(|(&x, &y)| f(x, y)).collect())
        }
        _ => Value::Scalar(f64::NAN),
    }
}

/// Finds the first non-finite result and says which domain rule it broke.
fn check(
    graph: &Graph,
    id: NodeId,
    value: &Value,
    values: &super::Values,
) -> Result<(), DomainError> {
    let (row, _) = match value {
        Value::Scalar(x) if x.is_finite() => return Ok(()),
        Value::Scalar(x) => (None, *x),
        Value::Rows(v) => match v.iter().position(|x| !x.is_finite()) {
            None => return Ok(()),
            Some(i) => (Some(i), v[i]),
        },
        Value::Shaped(..) => return Ok(()),
    };
    let at = |n: NodeId| values.get(n).map_or(f64::NAN, |v| v.at(row.unwrap_or(0)));
    let (kind, name, operand) = match graph.op(id) {
        Op::Unary(f @ (Func::Ln | Func::Log2 | Func::Log10), a) if at(a) <= 0.0 => {
            (DomainKind::LogNonPositive, f.name(), at(a))
        }
        Op::Unary(Func::Sqrt, a) if at(a) < 0.0 => (DomainKind::SqrtNegative, "sqrt", at(a)),
        Op::Unary(f @ (Func::Asin | Func::Acos), a) if at(a).abs() > 1.0 => {
            (DomainKind::OutsideUnitInterval, f.name(), at(a))
        }
        Op::Binary(BinOp::Div, _, b) if at(b) == 0.0 => (DomainKind::DivisionByZero, "/", 0.0),
        Op::Binary(BinOp::Pow, a, b) if at(a) == 0.0 && at(b) < 0.0 => {
            (DomainKind::DivisionByZero, "^", at(b))
        }
        Op::Binary(BinOp::Pow, a, _) if at(a) < 0.0 => (DomainKind::NegativeBase, "^", at(a)),
        Op::Unary(f, _) => (DomainKind::Overflow, f.name(), f64::INFINITY),
        Op::Binary(op, _, _) => (DomainKind::Overflow, op.symbol(), f64::INFINITY),
        _ => (DomainKind::Overflow, "value", f64::INFINITY),
    };
    let row = row.filter(|_| graph.shape(id) == crate::graph::Shape::Rows);
    Err(error(graph, id, kind, name, operand, row.map(|r| r + 1)))
}

fn error(
    graph: &Graph,
    id: NodeId,
    kind: DomainKind,
    op: &str,
    operand: f64,
    row: Option<usize>,
) -> DomainError {
    DomainError {
        kind,
        op: op.to_string(),
        operand,
        span: graph.node(id).span,
        row,
        params: Vec::new(),
    }
}
