//! The Jacobian of a scalar or vector value by a vector variable `w` of `[K]` (SPEC 10),
//! by forward mode with matrix tangents: the tangent of a node of item `[]` is a `[K]`
//! vector (its gradient by `w`), of a node of item `[P]` the `[P, K]` matrix of its
//! Jacobian. The tangent of `w` itself is the identity, kept symbolic
//! ([`Tangent::Identity`]) so that `dot(X, w)` gets `X`, not `dot(X, diag(ones(K)))`.
//! The Hessian by `w` is the Jacobian of the gradient: for least squares it is
//! `mean(2*outer(X, X))`, built once, not once per component.
//!
//! A tangent must fit two axes, so a node of matrix item that depends on `w` (as `W`
//! in `dot(W, x)` when differentiating by `W`'s rows) has none: [`jacobian`] then
//! returns `None` and the caller says so.

use super::rules;
use crate::graph::{BinOp, Func, Graph, GraphFull, Item, ItemFunc, NodeId, Op, ProductOp, VarId};
use crate::syntax::Number;

/// The tangent of one node by `w`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tangent {
    /// The node does not depend on `w`.
    Zero,
    /// The tangent of `w` itself: the `[K, K]` identity.
    Identity,
    /// A node of item `item(n) ++ [K]`.
    Node(NodeId),
}

/// The walk's context: the graph and the variable's size `K`.
struct Walk<'g> {
    g: &'g mut Graph,
    k: u32,
}

/// `d(of)/d(var)` for a vector `var` of `[K]`: of item `[K]` for a scalar `of`, `[M, K]`
/// for an `of` of `[M]` (per row if `of` is). `None` when a value on the way has a
/// matrix item and depends on `var` (its tangent would have three axes).
pub fn jacobian(g: &mut Graph, of: NodeId, var: VarId) -> Result<Option<NodeId>, GraphFull> {
    let Item::Vector(k) = g.var(var).item else {
        return Ok(None);
    };
    let order = g.reachable(&[of]);
    let needed = super::depends_on_any(g, &order, &[var]);
    let mut tangents = vec![Tangent::Zero; of.index() + 1];
    let mut walk = Walk { g, k };
    for &id in &order {
        if !needed[id.index()] {
            continue;
        }
        walk.g.ensure_room()?;
        let first_new = NodeId(walk.g.len() as u32);
        let t = match walk.g.op(id) {
            Op::Var(v) if v == var => Some(Tangent::Identity),
            _ if !matches!(walk.g.item(id), Item::Scalar | Item::Vector(_)) => None,
            op => walk.step(id, op, &tangents),
        };
        let Some(t) = t else {
            return Ok(None);
        };
        let span = walk.g.node(id).span;
        walk.g.adopt_span(first_new, span);
        tangents[id.index()] = t;
    }
    let t = tangents[of.index()];
    Ok(Some(walk.node(t, walk.g.item(of))))
}

impl Walk<'_> {
    /// The tangent of node `id` from those of its operands (`None`: three axes).
    fn step(&mut self, id: NodeId, op: Op, tangents: &[Tangent]) -> Option<Tangent> {
        let t = |n: NodeId| tangents[n.index()];
        Some(match op {
            Op::Unary(func @ (Func::Sum | Func::Mean), a) => match t(a) {
                Tangent::Node(n) => Tangent::Node(self.g.unary(func, n)),
                other => other,
            },
            Op::Unary(..) | Op::Binary(..) => {
                let mut total = Tangent::Zero;
                for (operand, partial) in rules::local_partials(self.g, id).into_iter().flatten() {
                    let from = self.through(partial, operand, t(operand), self.g.item(id))?;
                    total = self.add(total, from);
                }
                total
            }
            Op::Index(a, k) => self.index(a, k, t(a))?,
            Op::Item(func, a) => self.item_func(func, a, id, t(a))?,
            Op::Product(ProductOp::Dot, a, b) => {
                let first = self.dot_left(a, b, t(a))?;
                let second = self.dot_right(a, b, t(b))?;
                self.add(first, second)
            }
            _ => return None,
        })
    }

    /// The tangent as a node of item `item ++ [K]` (the identity written out).
    fn node(&mut self, t: Tangent, item: Item) -> NodeId {
        match t {
            Tangent::Node(n) => n,
            Tangent::Identity => {
                let ones = self.g.fill(1, Item::Vector(self.k));
                self.diag(ones)
            }
            Tangent::Zero => match item {
                Item::Scalar => self.g.fill(0, Item::Vector(self.k)),
                Item::Vector(p) => self.g.fill(0, Item::Matrix(p, self.k)),
                Item::Matrix(..) => self.g.int(0),
            },
        }
    }

    fn add(&mut self, a: Tangent, b: Tangent) -> Tangent {
        match (a, b) {
            (Tangent::Zero, t) | (t, Tangent::Zero) => t,
            (a, b) => {
                let (a, b) = (self.node(a, Item::Scalar), self.node(b, Item::Scalar));
                Tangent::Node(self.g.binary(BinOp::Add, a, b))
            }
        }
    }

    fn diag(&mut self, v: NodeId) -> NodeId {
        self.g.add(Op::Item(ItemFunc::Diag, v), None)
    }

    fn dot(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.g.add(Op::Product(ProductOp::Dot, a, b), None)
    }

    /// The share of an operand (of tangent `t`) in a componentwise node of item
    /// `result`, through its local partial `p` (of item `[]` or `result`).
    fn through(&mut self, p: NodeId, operand: NodeId, t: Tangent, result: Item) -> Option<Tangent> {
        let (pi, oi) = (self.g.item(p), self.g.item(operand));
        Some(match (t, result, oi) {
            (Tangent::Zero, ..) => Tangent::Zero,
            // A scalar node: p·∇a.
            (Tangent::Node(n), Item::Scalar, _) => Tangent::Node(self.g.binary(BinOp::Mul, p, n)),
            // A scalar operand broadcast over the components: outer(p, ∇a).
            (Tangent::Node(n), Item::Vector(_), Item::Scalar) => {
                let p = super::shaped::broadcast_to(self.g, p, result);
                Tangent::Node(self.g.add(Op::Product(ProductOp::Outer, p, n), None))
            }
            // A vector operand: each row of its Jacobian scaled, diag(p)·J.
            (Tangent::Node(n), Item::Vector(_), _) if pi.is_scalar() => {
                Tangent::Node(self.g.binary(BinOp::Mul, p, n))
            }
            (Tangent::Node(n), Item::Vector(_), _) => {
                let d = self.diag(p);
                Tangent::Node(self.dot(d, n))
            }
            (Tangent::Identity, _, _) if pi.is_scalar() => {
                let i = self.node(t, oi);
                Tangent::Node(self.g.binary(BinOp::Mul, p, i))
            }
            (Tangent::Identity, _, _) => Tangent::Node(self.diag(p)),
            _ => return None,
        })
    }

    /// `v[k]`: row k of the Jacobian of `v`, as `dot(e_k, J)` (`e_k` itself for `w[k]`).
    fn index(&mut self, a: NodeId, k: u32, t: Tangent) -> Option<Tangent> {
        let Item::Vector(p) = self.g.item(a) else {
            return None;
        };
        Some(match t {
            Tangent::Zero => Tangent::Zero,
            Tangent::Identity => Tangent::Node(unit(self.g, p, k)),
            Tangent::Node(n) => {
                let e = unit(self.g, p, k);
                Tangent::Node(self.dot(e, n))
            }
        })
    }

    /// The item functions of a vector `a` (`f` is the node itself).
    fn item_func(&mut self, func: ItemFunc, a: NodeId, f: NodeId, t: Tangent) -> Option<Tangent> {
        if t == Tangent::Zero {
            return Some(Tangent::Zero);
        }
        let Item::Vector(p) = self.g.item(a) else {
            return None;
        };
        // Each is `dot(row, J)` (or `dot(M, J)`), which for J = I is `row` (or `M`).
        let apply = |w: &mut Self, m: NodeId| match t {
            Tangent::Identity => m,
            _ => {
                let j = w.node(t, Item::Vector(p));
                w.dot(m, j)
            }
        };
        Some(Tangent::Node(match func {
            ItemFunc::Total => {
                let ones = self.g.fill(1, Item::Vector(p));
                apply(self, ones)
            }
            ItemFunc::Norm => {
                let direction = self.g.binary(BinOp::Div, a, f);
                apply(self, direction)
            }
            ItemFunc::Logsumexp => {
                let softmax = self.g.add(Op::Item(ItemFunc::Softmax, a), None);
                apply(self, softmax)
            }
            // diag(s) - outer(s, s)
            ItemFunc::Softmax => {
                let d = self.diag(f);
                let ss = self.g.add(Op::Product(ProductOp::Outer, f, f), None);
                let m = self.g.binary(BinOp::Sub, d, ss);
                apply(self, m)
            }
            ItemFunc::Transpose | ItemFunc::Diag => return None,
        }))
    }

    /// The share of `a`'s tangent in `dot(a, b)`.
    fn dot_left(&mut self, a: NodeId, b: NodeId, t: Tangent) -> Option<Tangent> {
        if t == Tangent::Zero {
            return Some(Tangent::Zero);
        }
        let m = match (self.g.item(a), self.g.item(b)) {
            // a·b of two vectors: dot(b, J_a).
            (Item::Vector(_), Item::Vector(_)) => b,
            // dot(a, B) = Bᵀa: dot(Bᵀ, J_a).
            (Item::Vector(_), Item::Matrix(..)) => {
                self.g.add(Op::Item(ItemFunc::Transpose, b), None)
            }
            _ => return None,
        };
        Some(self.times(m, t, self.g.item(a)))
    }

    /// The share of `b`'s tangent in `dot(a, b)`.
    fn dot_right(&mut self, a: NodeId, b: NodeId, t: Tangent) -> Option<Tangent> {
        if t == Tangent::Zero {
            return Some(Tangent::Zero);
        }
        match self.g.item(b) {
            Item::Vector(_) => Some(self.times(a, t, self.g.item(b))),
            _ => None,
        }
    }

    /// `dot(m, J)`, where J is the tangent `t` of a value of item `item`.
    fn times(&mut self, m: NodeId, t: Tangent, item: Item) -> Tangent {
        match t {
            Tangent::Zero => Tangent::Zero,
            Tangent::Identity => Tangent::Node(m),
            Tangent::Node(_) => {
                let j = self.node(t, item);
                Tangent::Node(self.dot(m, j))
            }
        }
    }
}

/// The unit vector of `[p]` with a 1 at component `k` (counted from 0).
fn unit(g: &mut Graph, p: u32, k: u32) -> NodeId {
    let mut values = vec![Number::from_f64(0.0); p as usize];
    if let Some(v) = values.get_mut(k as usize) {
        *v = Number::from_f64(1.0);
    }
    g.tensor_node(Item::Vector(p), values, None)
}
