//! How the planner writes a node: as it is read by its users ([`Expr`]: its local, or
//! its expression written out), and what a local holds ([`Value`]).

use super::plan::{Array, Expr, Index, Operand, Value};
use super::planner::{Form, Planner};
use crate::graph::{BinOp, Func, ItemFunc, NodeId, Op, Shape};

impl Planner<'_> {
    /// How a node is read by its users: its local (one component of an array local),
    /// or its expression written out.
    pub(super) fn expr(&self, id: NodeId) -> Expr {
        match self.number.get(&id) {
            Some(&k) if self.form.get(&id) == Some(&Form::Local) => {
                match self.graph.item(id).is_scalar() {
                    true => Expr::Local(k),
                    false => Expr::Elem(self.operand(id), Index::Each),
                }
            }
            _ => self.inline(id),
        }
    }

    /// What the local of `id` holds.
    pub(super) fn value(&self, id: NodeId) -> Value {
        let scalar = self.graph.item(id).is_scalar();
        match self.graph.op(id) {
            Op::Product(op, a, b) => Value::Product(op, self.operand(a), self.operand(b)),
            Op::Item(f, a) if !self.graph.item(a).is_scalar() => Value::Item(f, self.operand(a)),
            Op::Tensor(t) => {
                Value::Tensor(self.graph.tensor(t).1.iter().map(|v| v.value).collect())
            }
            _ if scalar => Value::Scalar(self.inline(id)),
            _ => Value::Map(self.inline(id)),
        }
    }

    /// The array a node is as an operand: a shaped param or data column, or a local.
    /// The planner makes every other operand of an array operator a local.
    pub(super) fn operand(&self, id: NodeId) -> Operand {
        let array = match self.graph.op(id) {
            Op::Var(v) => match (self.params.get(&v), self.data.get(&v)) {
                (Some(&k), _) => Array::Param(k),
                (None, Some(&k)) => Array::Data(k),
                // Refused by check_leaves before any expression is built.
                (None, None) => Array::Local(0),
            },
            _ => Array::Local(self.number.get(&id).copied().unwrap_or(0)),
        };
        Operand {
            array,
            item: self.graph.item(id),
            rows: self.graph.shape(id) == Shape::Rows,
        }
    }

    /// A node's own expression, its operands as they are read: a scalar, or the
    /// component "each" of a componentwise array expression.
    fn inline(&self, id: NodeId) -> Expr {
        let boxed = |n: NodeId| Box::new(self.expr(n));
        match self.graph.op(id) {
            Op::Const(c) | Op::Fill(c, _) => Expr::Number(c.value()),
            Op::Pi => Expr::Number(std::f64::consts::PI),
            Op::Euler => Expr::Number(std::f64::consts::E),
            Op::Var(v) if !self.graph.var(v).item.is_scalar() => {
                Expr::Elem(self.operand(id), Index::Each)
            }
            Op::Var(v) => match (self.params.get(&v), self.data.get(&v)) {
                (Some(&k), _) => Expr::Param(k),
                (None, Some(&k)) => Expr::Data(k),
                // Refused by check_leaves before any expression is built.
                (None, None) => Expr::Number(f64::NAN),
            },
            Op::Column(_) => Expr::Number(f64::NAN),
            Op::Unary(Func::Sum, a) => Expr::Binary(BinOp::Mul, Box::new(Expr::Rows), boxed(a)),
            Op::Unary(Func::Mean, a) => self.expr(a),
            Op::Unary(f, a) => Expr::Unary(f, boxed(a)),
            Op::Binary(BinOp::Pow, a, b) if self.is_two(b) => {
                let base = self.spread(id, a);
                Expr::Binary(BinOp::Mul, Box::new(base.clone()), Box::new(base))
            }
            Op::Binary(op, a, b) => {
                let (a, b) = (self.spread(id, a), self.spread(id, b));
                Expr::Binary(op, Box::new(a), Box::new(b))
            }
            Op::Index(a, k) => self.component(a, k),
            Op::Item(func, a) => self.scalar_item(func, a),
            // Locals of their own (`value`), never written inline.
            Op::Tensor(_) | Op::Product(..) => Expr::Number(f64::NAN),
        }
    }

    /// Operand `a` of the componentwise `user`, marked where NumPy must broadcast a
    /// per-row scalar over the user's item axes.
    fn spread(&self, user: NodeId, a: NodeId) -> Expr {
        let item = self.graph.item(user);
        let per_row = |n: NodeId| self.graph.shape(n) == Shape::Rows;
        let expr = self.expr(a);
        if per_row(user) && !item.is_scalar() && per_row(a) && self.graph.item(a).is_scalar() {
            Expr::Spread(Box::new(expr), item.dims().len())
        } else {
            expr
        }
    }

    /// Component `k` of `a` (an array, or a constant fill).
    fn component(&self, a: NodeId, k: u32) -> Expr {
        match self.graph.op(a) {
            Op::Fill(c, _) => Expr::Number(c.value()),
            _ => Expr::Elem(self.operand(a), Index::At(k)),
        }
    }

    /// An item function of a scalar: `total(x)` is x, `norm(x)` is `sqrt(x*x)` (as
    /// the components write it).
    fn scalar_item(&self, func: ItemFunc, a: NodeId) -> Expr {
        let x = self.expr(a);
        match func {
            ItemFunc::Norm => {
                let square = Expr::Binary(BinOp::Mul, Box::new(x.clone()), Box::new(x));
                Expr::Unary(Func::Sqrt, Box::new(square))
            }
            _ => x,
        }
    }
}
