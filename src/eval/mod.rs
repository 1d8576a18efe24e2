//! Plain evaluation of graph nodes in f64 over the data rows.
//!
//! Simple and correct rather than fast: every node reachable from the roots is
//! evaluated once, in id order (a topological order), into a whole vector of rows. The
//! first value outside an operation's domain stops evaluation with a [`DomainError`]
//! naming the node's source span, the data row and the params' values.

mod ops;

pub use crate::numbers::float::{binary as binary_f64, power as power_f64, unary as unary_f64};

use crate::graph::components::{components, is_shaped};
use crate::graph::{Graph, Item, NodeId, VarId, VarKind};
use crate::syntax::{Span, format_f64};
use std::fmt;

/// A value: one number or one per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// One number.
    Scalar(f64),
    /// One number per row.
    Rows(Vec<f64>),
    /// A value of an item shape (SPEC 10): its components, row-major, each a scalar
    /// or one number per row.
    Shaped(Item, Vec<Value>),
}

impl Value {
    /// The number of a scalar, or `None` for rows.
    pub fn scalar(&self) -> Option<f64> {
        match self {
            Value::Scalar(x) => Some(*x),
            _ => None,
        }
    }

    /// The value at `row` (a scalar is the same in every row; NaN for a shaped value).
    pub fn at(&self, row: usize) -> f64 {
        match self {
            Value::Scalar(x) => *x,
            Value::Rows(v) => v.get(row).copied().unwrap_or(f64::NAN),
            Value::Shaped(..) => f64::NAN,
        }
    }

    /// The value as `n` rows, broadcasting a scalar (NaN for a shaped value).
    pub fn to_rows(&self, n: usize) -> Vec<f64> {
        match self {
            Value::Scalar(x) => vec![*x; n],
            Value::Rows(v) => v.clone(),
            Value::Shaped(..) => vec![f64::NAN; n],
        }
    }

    /// The components of the value (one for a scalar or rows value).
    pub fn components(&self) -> Vec<&Value> {
        match self {
            Value::Shaped(_, parts) => parts.iter().collect(),
            other => vec![other],
        }
    }

    /// The item shape of the value.
    pub fn item(&self) -> Item {
        match self {
            Value::Shaped(item, _) => *item,
            _ => Item::Scalar,
        }
    }

    /// The rowless components as numbers, `None` if any varies over rows.
    pub fn numbers(&self) -> Option<Vec<f64>> {
        self.components().into_iter().map(Value::scalar).collect()
    }
}

impl fmt::Display for Value {
    /// `0.5`, or `[0.1, 0.2]`, each number with full round-trip precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Scalar(x) => f.write_str(&format_f64(*x)),
            Value::Rows(v) => {
                let items: Vec<String> = v.iter().map(|x| format_f64(*x)).collect();
                write!(f, "[{}]", items.join(", "))
            }
            Value::Shaped(item, parts) => {
                let rows = parts.iter().find_map(|p| match p {
                    Value::Rows(v) => Some(v.len()),
                    _ => None,
                });
                let Some(rows) = rows else {
                    let numbers: Vec<String> =
                        parts.iter().map(|p| p.at(0)).map(format_f64).collect();
                    return f.write_str(&crate::graph::braces(*item, &numbers));
                };
                // One item per row, as inline data is written: `[{1, 2}, {3, 4}]`.
                let per_row: Vec<String> = (0..rows)
                    .map(|r| {
                        let numbers: Vec<String> =
                            parts.iter().map(|p| format_f64(p.at(r))).collect();
                        crate::graph::braces(*item, &numbers)
                    })
                    .collect();
                write!(f, "[{}]", per_row.join(", "))
            }
        }
    }
}

/// The values of the variables, and the number of rows.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    values: Vec<Option<Value>>,
    rows: usize,
}

impl Bindings {
    /// No values, and `rows` rows (1 when a program has no data).
    pub fn new(rows: usize) -> Bindings {
        Bindings {
            values: Vec::new(),
            rows: rows.max(1),
        }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Gives `var` a value.
    pub fn set(&mut self, var: VarId, value: Value) {
        if self.values.len() <= var.index() {
            self.values.resize(var.index() + 1, None);
        }
        self.values[var.index()] = Some(value);
    }

    /// The value of `var`, if it has one.
    pub fn get(&self, var: VarId) -> Option<&Value> {
        self.values.get(var.index()).and_then(Option::as_ref)
    }
}

/// What went outside a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainKind {
    /// `ln`, `log2`, `log10` of zero or a negative value.
    LogNonPositive,
    /// `sqrt` of a negative value.
    SqrtNegative,
    /// A division by zero.
    DivisionByZero,
    /// A negative number to a non-integer power.
    NegativeBase,
    /// `asin` or `acos` outside [-1, 1].
    OutsideUnitInterval,
    /// A result too large for f64.
    Overflow,
    /// A result outside the range of `--precise` decimal arithmetic (about ±7.9e28),
    /// or below its resolution where the operation needs it (a division by a value
    /// that rounds to 0).
    DecimalRange,
    /// A variable without a value.
    Unbound,
}

/// A value outside an operation's domain, found while evaluating.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainError {
    /// What happened.
    pub kind: DomainKind,
    /// The operation's name (`ln`, `/`, `^`, ...).
    pub op: String,
    /// The operand that is out of the domain.
    pub operand: f64,
    /// The source span of the operation, where known.
    pub span: Option<Span>,
    /// The data row (from 1), when the value differs per row.
    pub row: Option<usize>,
    /// The params' values at that moment.
    pub params: Vec<(String, f64)>,
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = format_f64(self.operand);
        match self.kind {
            DomainKind::LogNonPositive => write!(f, "{} of a non-positive value ({x})", self.op)?,
            DomainKind::SqrtNegative => write!(f, "sqrt of a negative value ({x})")?,
            DomainKind::DivisionByZero => write!(f, "division by zero")?,
            DomainKind::NegativeBase => {
                write!(f, "a negative number ({x}) to a non-integer power")?
            }
            DomainKind::OutsideUnitInterval => {
                write!(f, "{} of a value outside [-1, 1] ({x})", self.op)?
            }
            DomainKind::Overflow => write!(f, "`{}` overflows to infinity", self.op)?,
            DomainKind::DecimalRange => write!(
                f,
                "`{}` leaves the range of --precise decimal arithmetic (about ±7.9e28, \
                 28 places after the point)",
                self.op
            )?,
            DomainKind::Unbound => write!(f, "`{}` has no value", self.op)?,
        }
        if let Some(row) = self.row {
            write!(f, " at data row {row}")?;
        }
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .iter()
                .map(|(n, v)| format!("{n} = {}", format_f64(*v)))
                .collect();
            write!(f, " (with {})", params.join(", "))?;
        }
        Ok(())
    }
}

/// Evaluates `roots` (and everything they depend on) with the given bindings.
pub fn evaluate(
    graph: &Graph,
    bindings: &Bindings,
    roots: &[NodeId],
) -> Result<Vec<Value>, DomainError> {
    if is_shaped(graph, roots) {
        return evaluate_components(graph, bindings, roots);
    }
    let order = graph.reachable(roots);
    let slots = Slots::new(&order);
    // A value is dropped after its last use, so a long chain keeps only a few alive.
    let mut last_use: Vec<Option<NodeId>> = vec![None; slots.len()];
    for &id in &order {
        for operand in graph.op(id).operands() {
            last_use[slots.of(operand)] = Some(id);
        }
    }
    for root in roots {
        last_use[slots.of(*root)] = None;
    }
    let mut values = Values {
        slots: &slots,
        values: vec![None; slots.len()],
    };
    for &id in &order {
        let value = ops::eval_node(graph, bindings, id, &values)
            .map_err(|e| with_params(e, graph, bindings))?;
        for operand in graph.op(id).operands() {
            if last_use[slots.of(operand)] == Some(id) {
                values.values[slots.of(operand)] = None;
            }
        }
        values.values[slots.of(id)] = Some(value);
    }
    Ok(roots
        .iter()
        .map(|r| values.get(*r).cloned().unwrap_or(Value::Scalar(f64::NAN)))
        .collect())
}

/// [`evaluate`] of shaped nodes: on their graph written out by components, the
/// components put back together as [`Value::Shaped`].
fn evaluate_components(
    graph: &Graph,
    bindings: &Bindings,
    roots: &[NodeId],
) -> Result<Vec<Value>, DomainError> {
    let Ok(written) = components(graph, roots) else {
        return Ok(vec![Value::Scalar(f64::NAN); roots.len()]);
    };
    let mut inner = Bindings::new(bindings.rows());
    for (var, parts) in &written.vars {
        let Some(value) = bindings.get(*var) else {
            continue;
        };
        for (&part, component) in parts.iter().zip(value.components()) {
            inner.set(part, component.clone());
        }
    }
    let flat: Vec<NodeId> = written.roots.iter().flatten().copied().collect();
    let mut values = evaluate(&written.graph, &inner, &flat)?.into_iter();
    let result = roots
        .iter()
        .zip(&written.roots)
        .map(|(&root, parts)| {
            let parts: Vec<Value> = values.by_ref().take(parts.len()).collect();
            match graph.item(root) {
                Item::Scalar => parts.into_iter().next().unwrap_or(Value::Scalar(f64::NAN)),
                item => Value::Shaped(item, parts),
            }
        })
        .collect();
    Ok(result)
}

/// Where the nodes of one evaluation (`order`, sorted) keep their values: at their id
/// when they fill most of the ids below the top one, else at their position in
/// `order` (a binary search), so a small subgraph of a large graph (a REPL session's)
/// does not cost the size of the graph.
struct Slots<'a> {
    order: &'a [NodeId],
    dense: bool,
}

impl<'a> Slots<'a> {
    fn new(order: &'a [NodeId]) -> Slots<'a> {
        let top = order.last().map_or(0, |n| n.index() + 1);
        Slots {
            order,
            dense: top <= 4 * order.len() + 1024,
        }
    }

    fn len(&self) -> usize {
        match self.dense {
            true => self.order.last().map_or(0, |n| n.index() + 1),
            false => self.order.len(),
        }
    }

    /// The slot of a node of the order.
    fn of(&self, id: NodeId) -> usize {
        match self.dense {
            true => id.index(),
            false => self.order.binary_search(&id).unwrap_or(0),
        }
    }
}

/// The values computed so far in one evaluation.
pub(super) struct Values<'a> {
    slots: &'a Slots<'a>,
    values: Vec<Option<Value>>,
}

impl Values<'_> {
    /// The value of a node evaluated (and not yet dropped).
    pub(super) fn get(&self, id: NodeId) -> Option<&Value> {
        self.values.get(self.slots.of(id)).and_then(Option::as_ref)
    }
}

/// Evaluates one node to a scalar (a rows value is an error for the caller to avoid).
pub fn evaluate_one(
    graph: &Graph,
    bindings: &Bindings,
    root: NodeId,
) -> Result<Value, DomainError> {
    let mut values = evaluate(graph, bindings, &[root])?;
    Ok(values.pop().unwrap_or(Value::Scalar(f64::NAN)))
}

fn with_params(mut error: DomainError, graph: &Graph, bindings: &Bindings) -> DomainError {
    error.params = graph
        .vars()
        .filter(|(_, v)| v.kind == VarKind::Param)
        .filter_map(|(id, v)| {
            bindings
                .get(id)
                .and_then(Value::scalar)
                .map(|x| (v.name.clone(), x))
        })
        .collect();
    error
}

/// Whether a node depends on no variable (so it has the same value everywhere).
pub fn is_constant(graph: &Graph, root: NodeId) -> bool {
    graph.node(root).constant
}
