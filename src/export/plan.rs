//! The plan of an exported function: the simplified graph of an objective and its
//! derivatives cut into the tape's phases (rowless scalars once, per-row terms in one
//! loop over the rows, `sum`/`mean` accumulated), with shared sub-expressions as locals.
//!
//! A node becomes a local (`t1`, `t2`, ...) when it is used more than once, when it is
//! a scalar that a per-row term reads (so it is computed once, before the loop), when
//! it is the base of a square (`x^2` is written `x*x`), when it is the result of a
//! reduction, or when its written-out expression would be too long for one line.
//! Everything else is written inline into its one user. Every pass is a loop over
//! node ids; only inline expressions (bounded by [`MAX_INLINE_WEIGHT`]) recurse.

use super::ExportError;
use crate::graph::{BinOp, Func, Graph, NodeId, Op, Shape, VarId, VarKind};
use std::collections::HashMap;

/// The estimated length (in characters) above which an inline expression becomes a
/// local of its own, so that every generated line stays well under 100 characters.
pub const MAX_INLINE_WEIGHT: usize = 56;

/// An expression of the generated code.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number (finite).
    Number(f64),
    /// The param at this place of the params array.
    Param(usize),
    /// The current row of the data column at this place of the data array.
    Data(usize),
    /// The row count, as a float.
    Rows,
    /// A local, by its number (`t3`).
    Local(u32),
    /// `f(a)` (never `sum`/`mean`: those are [`Sum`]s or folded away).
    Unary(Func, Box<Expr>),
    /// `a op b`; a square is `Mul` of one local by itself.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// `t<local> = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Local {
    /// The local's number.
    pub local: u32,
    /// What it holds.
    pub value: Expr,
}

/// A reduction of one phase's loop: `t<local> = sum of the rows of value` (divided by
/// the row count for a mean), accumulated with compensation.
#[derive(Debug, Clone, PartialEq)]
pub struct Sum {
    /// The local that holds the result after the loop.
    pub local: u32,
    /// The per-row value summed.
    pub value: Expr,
    /// A mean rather than a sum.
    pub mean: bool,
}

/// One level of the computation: scalars, then a loop over the rows with its sums.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Phase {
    /// Scalar locals computed before the loop.
    pub scalars: Vec<Local>,
    /// Per-row locals computed inside the loop, in order.
    pub rows: Vec<Local>,
    /// The sums accumulated in the loop (none: there is no loop).
    pub sums: Vec<Sum>,
}

/// The whole function: phases in order, then the outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The phases.
    pub phases: Vec<Phase>,
    /// The objective's value.
    pub loss: Expr,
    /// The gradient, one per param differentiated by.
    pub gradient: Vec<Expr>,
    /// The Hessian, row-major (empty without `--hessian`).
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

    fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let phases = self.phases.iter().flat_map(|p| {
            let locals = p.scalars.iter().chain(&p.rows).map(|l| &l.value);
            locals.chain(p.sums.iter().map(|s| &s.value))
        });
        phases
            .chain(std::iter::once(&self.loss))
            .chain(&self.gradient)
            .chain(&self.hessian)
    }
}

impl Expr {
    /// Whether `test` holds for this expression or one inside it.
    pub fn mentions(&self, test: &dyn Fn(&Expr) -> bool) -> bool {
        test(self)
            || match self {
                Expr::Unary(_, a) => a.mentions(test),
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

/// How one node is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    /// Written out in its user's expression.
    Inline,
    /// A local of its own.
    Local,
}

struct Planner<'a> {
    graph: &'a Graph,
    params: HashMap<VarId, usize>,
    data: HashMap<VarId, usize>,
    order: Vec<NodeId>,
    level: HashMap<NodeId, usize>,
    form: HashMap<NodeId, Form>,
    number: HashMap<NodeId, u32>,
}

/// Plans the function that computes the request's outputs.
pub fn plan(graph: &Graph, request: &Request) -> Result<Plan, ExportError> {
    let mut outputs = vec![request.loss];
    outputs.extend(request.gradient);
    outputs.extend(request.hessian);
    let mut planner = Planner {
        graph,
        params: index_of(request.params),
        data: index_of(request.data),
        order: graph.reachable(&outputs),
        level: HashMap::new(),
        form: HashMap::new(),
        number: HashMap::new(),
    };
    planner.check_leaves()?;
    planner.assign_levels();
    planner.choose_forms(&outputs);
    let phases = planner.phases();
    let expr = |n: &NodeId| planner.expr(*n);
    let mut plan = Plan {
        phases,
        loss: expr(&request.loss),
        gradient: request.gradient.iter().map(expr).collect(),
        hessian: request.hessian.iter().map(expr).collect(),
        params_used: vec![false; request.params.len()],
        data_used: vec![false; request.data.len()],
    };
    for &id in &planner.order {
        if let Op::Var(v) = graph.op(id) {
            if let Some(&k) = planner.params.get(&v) {
                plan.params_used[k] = true;
            }
            if let Some(&k) = planner.data.get(&v) {
                plan.data_used[k] = true;
            }
        }
    }
    Ok(plan)
}

fn index_of(vars: &[VarId]) -> HashMap<VarId, usize> {
    vars.iter().enumerate().map(|(k, &v)| (v, k)).collect()
}

impl Planner<'_> {
    /// Refuses what the generated code cannot read: vector literals, free names,
    /// variables that are not inputs, constants that are not finite.
    fn check_leaves(&self) -> Result<(), ExportError> {
        for &id in &self.order {
            let node = self.graph.node(id);
            match node.op {
                Op::Column(_) => return Err(ExportError::VectorLiteral { span: node.span }),
                Op::Var(v) if !self.params.contains_key(&v) && !self.data.contains_key(&v) => {
                    let var = self.graph.var(v);
                    let name = var.name.clone();
                    return Err(match var.kind {
                        VarKind::Free => ExportError::FreeName { name },
                        _ => ExportError::NotAnInput { name },
                    });
                }
                Op::Const(c) if !c.value().is_finite() => {
                    return Err(ExportError::NotFinite { span: node.span });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The tape's levels: one more than any rows reduced below a node.
    fn assign_levels(&mut self) {
        for &id in &self.order {
            let level = |n: NodeId| self.level.get(&n).copied().unwrap_or(0);
            let value = match self.graph.op(id) {
                Op::Unary(f, a) if self.reduces_rows(f, a) => level(a) + 1,
                op => op.operands().map(level).max().unwrap_or(0),
            };
            self.level.insert(id, value);
        }
    }

    fn reduces_rows(&self, func: Func, a: NodeId) -> bool {
        func.is_reduction() && self.graph.shape(a) == Shape::Rows
    }

    fn is_leaf(&self, id: NodeId) -> bool {
        matches!(
            self.graph.op(id),
            Op::Const(_) | Op::Pi | Op::Euler | Op::Var(_)
        )
    }
}

impl Planner<'_> {
    /// Which nodes are locals (see the module docs), decided in id order so that an
    /// expression's weight counts its operands as written.
    fn choose_forms(&mut self, outputs: &[NodeId]) {
        let forced = self.forced_locals(outputs);
        let mut weight: HashMap<NodeId, usize> = HashMap::new();
        for &id in &self.order {
            if self.is_leaf(id) {
                weight.insert(id, self.leaf_weight(id));
                continue;
            }
            let op = self.graph.op(id);
            let operands: usize = op.operands().map(|a| weight[&a]).sum();
            let own = operands + operator_weight(op);
            let local = forced.get(&id).copied().unwrap_or(false) || own > MAX_INLINE_WEIGHT;
            let form = if local { Form::Local } else { Form::Inline };
            self.form.insert(id, form);
            weight.insert(id, if local { LOCAL_WEIGHT } else { own });
        }
    }

    /// The nodes that must be locals whatever their length.
    fn forced_locals(&self, outputs: &[NodeId]) -> HashMap<NodeId, bool> {
        let mut uses: HashMap<NodeId, u32> = HashMap::new();
        let mut forced: HashMap<NodeId, bool> = HashMap::new();
        for &o in outputs {
            *uses.entry(o).or_default() += 1;
        }
        for &id in &self.order {
            let op = self.graph.op(id);
            let row_user = self.graph.shape(id) == Shape::Rows;
            for a in op.operands() {
                *uses.entry(a).or_default() += 1;
                if row_user && self.graph.shape(a) == Shape::Scalar {
                    forced.insert(a, true);
                }
            }
            match op {
                Op::Unary(f, a) if self.reduces_rows(f, a) => {
                    forced.insert(id, true);
                }
                Op::Binary(BinOp::Pow, a, b) if self.is_two(b) => {
                    forced.insert(a, true);
                }
                _ => {}
            }
        }
        for (id, count) in uses {
            if count > 1 {
                forced.insert(id, true);
            }
        }
        forced
    }

    fn is_two(&self, id: NodeId) -> bool {
        self.graph
            .op(id)
            .constant()
            .is_some_and(|c| c.value() == 2.0)
    }

    /// At least the length of the leaf as written: a name longer than
    /// [`super::names::MAX_NAME`] is replaced, and a data column adds `[i]`.
    fn leaf_weight(&self, id: NodeId) -> usize {
        match self.graph.op(id) {
            Op::Const(c) => format!("{:?}", c.value()).len() + 1,
            Op::Var(v) => {
                self.graph
                    .var(v)
                    .name
                    .len()
                    .clamp(10, super::names::MAX_NAME)
                    + 3
            }
            _ => 22,
        }
    }
}

/// At least the characters an operator adds in any target: its symbol with spaces and
/// parentheses, or its longest function name (`nabla_softplus(...)`, `np.maximum(, )`).
fn operator_weight(op: Op) -> usize {
    match op {
        Op::Unary(Func::Neg, _) => 3,
        Op::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, _, _) => 5,
        _ => 18,
    }
}

/// The weight of a local's name.
const LOCAL_WEIGHT: usize = 6;

impl Planner<'_> {
    /// The phases: scalar locals of each level, the loop of its per-row locals and sums.
    fn phases(&mut self) -> Vec<Phase> {
        let top = self.level.values().copied().max().unwrap_or(0);
        let mut phases = Vec::with_capacity(top + 1);
        for level in 0..=top {
            phases.push(self.phase(level));
        }
        phases
    }

    /// One phase: its scalar locals, then the row locals and sums of its loop.
    fn phase(&mut self, level: usize) -> Phase {
        let mut phase = Phase::default();
        for id in self.scalar_locals(level) {
            let local = self.number_of(id);
            let value = self.written(id);
            phase.scalars.push(Local { local, value });
        }
        let sums = self.sums_of(level + 1);
        for id in self.row_locals(&sums) {
            let local = self.number_of(id);
            let value = self.written(id);
            phase.rows.push(Local { local, value });
        }
        for id in sums {
            let Op::Unary(f, a) = self.graph.op(id) else {
                continue;
            };
            let local = self.number_of(id);
            let value = self.expr(a);
            let mean = f == Func::Mean;
            phase.sums.push(Sum { local, value, mean });
        }
        phase
    }

    /// The scalar locals of `level` other than reductions, in id order.
    fn scalar_locals(&self, level: usize) -> Vec<NodeId> {
        let wanted = |id: &NodeId| {
            self.form.get(id) == Some(&Form::Local)
                && self.graph.shape(*id) == Shape::Scalar
                && self.level[id] == level
                && !matches!(self.graph.op(*id), Op::Unary(f, a) if self.reduces_rows(f, a))
        };
        self.order.iter().copied().filter(wanted).collect()
    }

    /// The reductions of rows whose results are scalars of `level`.
    fn sums_of(&self, level: usize) -> Vec<NodeId> {
        let wanted = |id: &NodeId| {
            matches!(self.graph.op(*id), Op::Unary(f, a) if self.reduces_rows(f, a))
                && self.level[id] == level
        };
        self.order.iter().copied().filter(wanted).collect()
    }

    /// The per-row locals that the sums need, in id order (not crossing scalars).
    fn row_locals(&self, sums: &[NodeId]) -> Vec<NodeId> {
        let mut seen: HashMap<NodeId, ()> = HashMap::new();
        let mut stack: Vec<NodeId> = sums
            .iter()
            .flat_map(|&s| self.graph.op(s).operands())
            .collect();
        while let Some(n) = stack.pop() {
            if self.graph.shape(n) != Shape::Rows || self.is_leaf(n) || seen.contains_key(&n) {
                continue;
            }
            seen.insert(n, ());
            stack.extend(self.graph.op(n).operands());
        }
        let mut rows: Vec<NodeId> = seen
            .into_keys()
            .filter(|id| self.form.get(id) == Some(&Form::Local))
            .collect();
        rows.sort();
        rows
    }

    fn number_of(&mut self, id: NodeId) -> u32 {
        let next = self.number.len() as u32 + 1;
        *self.number.entry(id).or_insert(next)
    }
}

impl Planner<'_> {
    /// How a node is read by its users: its local, or its expression written out.
    fn expr(&self, id: NodeId) -> Expr {
        match self.number.get(&id) {
            Some(&k) if self.form.get(&id) == Some(&Form::Local) => Expr::Local(k),
            _ => self.written(id),
        }
    }

    /// A node's own expression, its operands as they are read.
    fn written(&self, id: NodeId) -> Expr {
        let boxed = |n: NodeId| Box::new(self.expr(n));
        match self.graph.op(id) {
            Op::Const(c) => Expr::Number(c.value()),
            Op::Pi => Expr::Number(std::f64::consts::PI),
            Op::Euler => Expr::Number(std::f64::consts::E),
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
                Expr::Binary(BinOp::Mul, boxed(a), boxed(a))
            }
            Op::Binary(op, a, b) => Expr::Binary(op, boxed(a), boxed(b)),
            // Refused by `export` before any plan is made: shapes are not exported yet.
            Op::Fill(..) | Op::Tensor(_) | Op::Index(..) | Op::Item(..) | Op::Product(..) => {
                Expr::Number(f64::NAN)
            }
        }
    }
}
