//! The planner: which nodes are locals, the tape's levels, and the phases of a
//! [`Plan`] (see `plan.rs` for the rules). The expressions themselves are built in
//! `written.rs`.

use super::ExportError;
use super::plan::{Local, Output, Phase, Plan, Request, Sum};
use crate::graph::{BinOp, Func, Graph, NodeId, Op, Shape, VarId, VarKind};
use std::collections::HashMap;

/// The estimated length (in characters) above which an inline expression becomes a
/// local of its own, so that every generated line stays well under 100 characters.
pub const MAX_INLINE_WEIGHT: usize = 56;

/// How one node is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Form {
    /// Written out in its user's expression.
    Inline,
    /// A local of its own.
    Local,
}

pub(super) struct Planner<'a> {
    pub(super) graph: &'a Graph,
    pub(super) params: HashMap<VarId, usize>,
    pub(super) data: HashMap<VarId, usize>,
    order: Vec<NodeId>,
    level: HashMap<NodeId, usize>,
    pub(super) form: HashMap<NodeId, Form>,
    pub(super) number: HashMap<NodeId, u32>,
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
    let output = |n: &NodeId| Output {
        item: graph.item(*n),
        value: planner.expr(*n),
    };
    let mut plan = Plan {
        phases,
        loss: planner.expr(request.loss),
        gradient: request.gradient.iter().map(output).collect(),
        hessian: request.hessian.iter().map(|&n| planner.expr(n)).collect(),
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
                Op::Const(c) | Op::Fill(c, _) if !c.value().is_finite() => {
                    return Err(ExportError::NotFinite { span: node.span });
                }
                Op::Tensor(t) if self.graph.tensor(t).1.iter().any(|v| !v.value.is_finite()) => {
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

    pub(super) fn reduces_rows(&self, func: Func, a: NodeId) -> bool {
        func.is_reduction() && self.graph.shape(a) == Shape::Rows
    }

    pub(super) fn is_leaf(&self, id: NodeId) -> bool {
        matches!(
            self.graph.op(id),
            Op::Const(_) | Op::Pi | Op::Euler | Op::Var(_)
        )
    }

    /// Whether a node is an operator over whole arrays (a statement of its own).
    fn is_array_operator(&self, id: NodeId) -> bool {
        match self.graph.op(id) {
            Op::Product(..) | Op::Tensor(_) => true,
            Op::Item(_, a) => !self.graph.item(a).is_scalar(),
            _ => false,
        }
    }
}

impl Planner<'_> {
    /// Which nodes are locals (see the module docs of `plan.rs`), decided in id order
    /// so that an expression's weight counts its operands as written.
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
            let own = operands + operator_weight(op) + self.spread_weight(id);
            let local = forced.get(&id).copied().unwrap_or(false) || own > MAX_INLINE_WEIGHT;
            let form = if local { Form::Local } else { Form::Inline };
            self.form.insert(id, form);
            weight.insert(id, if local { self.local_weight(id) } else { own });
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
            if self.is_array_operator(id) {
                forced.insert(id, true);
            }
            match op {
                Op::Unary(f, a) if self.reduces_rows(f, a) => {
                    forced.insert(id, true);
                }
                Op::Binary(BinOp::Pow, a, b) if self.is_two(b) => {
                    forced.insert(a, true);
                }
                // An array operator or an index reads an array: a param, a data
                // column or a local.
                Op::Product(_, a, b) => {
                    forced.insert(a, true);
                    forced.insert(b, true);
                }
                Op::Item(_, a) if !self.graph.item(a).is_scalar() => {
                    forced.insert(a, true);
                }
                Op::Index(a, _) if !matches!(self.graph.op(a), Op::Fill(..)) => {
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

    pub(super) fn is_two(&self, id: NodeId) -> bool {
        self.graph
            .op(id)
            .constant()
            .is_some_and(|c| c.value() == 2.0)
    }

    /// At least the length of the leaf as written: a name longer than
    /// [`super::names::MAX_NAME`] is replaced, a data column adds `[i]`, a component
    /// of a shaped one `[i * K + k]` (NumPy: `[:, None]`).
    fn leaf_weight(&self, id: NodeId) -> usize {
        match self.graph.op(id) {
            Op::Const(c) => format!("{:?}", c.value()).len() + 1,
            Op::Var(v) => {
                let var = self.graph.var(v);
                let name = var.name.len().clamp(10, super::names::MAX_NAME) + 3;
                match var.item.is_scalar() {
                    true => name,
                    false => name + 8 + 2 * digits(var.item.size()),
                }
            }
            _ => 22,
        }
    }

    /// The weight of a local's name where it is read: `t12`, an array's `t12[k]`.
    fn local_weight(&self, id: NodeId) -> usize {
        match self.graph.item(id).is_scalar() {
            true => LOCAL_WEIGHT,
            false => LOCAL_WEIGHT + 4,
        }
    }

    /// What NumPy adds to a per-row vector or matrix expression for each per-row
    /// scalar operand it broadcasts (`[:, None, None]`).
    fn spread_weight(&self, id: NodeId) -> usize {
        if self.graph.shape(id) != Shape::Rows || self.graph.item(id).is_scalar() {
            return 0;
        }
        let spread =
            |a: &NodeId| self.graph.shape(*a) == Shape::Rows && self.graph.item(*a).is_scalar();
        self.graph.op(id).operands().filter(spread).count() * 16
    }
}

fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

/// At least the characters an operator adds in any target: its symbol with spaces and
/// parentheses, or its longest function name (`nabla_softplus(...)`, `np.maximum(, )`).
fn operator_weight(op: Op) -> usize {
    match op {
        Op::Unary(Func::Neg, _) => 3,
        Op::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, _, _) => 5,
        Op::Fill(c, _) => format!("{:?}", c.value()).len() + 1,
        Op::Index(..) => 12,
        _ => 18,
    }
}

/// The weight of a local's name.
const LOCAL_WEIGHT: usize = 6;

impl Planner<'_> {
    /// The phases: rowless locals of each level, the loop of its per-row locals and
    /// sums.
    fn phases(&mut self) -> Vec<Phase> {
        let top = self.level.values().copied().max().unwrap_or(0);
        let mut phases = Vec::with_capacity(top + 1);
        for level in 0..=top {
            phases.push(self.phase(level));
        }
        phases
    }

    /// One phase: its rowless locals, then the row locals and sums of its loop.
    fn phase(&mut self, level: usize) -> Phase {
        let mut phase = Phase::default();
        for id in self.scalar_locals(level) {
            phase.scalars.push(self.local(id));
        }
        let sums = self.sums_of(level + 1);
        for id in self.row_locals(&sums) {
            phase.rows.push(self.local(id));
        }
        for id in sums {
            let Op::Unary(f, a) = self.graph.op(id) else {
                continue;
            };
            let local = self.number_of(id);
            let value = self.expr(a);
            let mean = f == Func::Mean;
            let item = self.graph.item(id);
            phase.sums.push(Sum {
                local,
                item,
                value,
                mean,
            });
        }
        phase
    }

    fn local(&mut self, id: NodeId) -> Local {
        let local = self.number_of(id);
        Local {
            local,
            item: self.graph.item(id),
            rows: self.graph.shape(id) == Shape::Rows,
            value: self.value(id),
        }
    }

    /// The rowless locals of `level` other than reductions, in id order.
    fn scalar_locals(&self, level: usize) -> Vec<NodeId> {
        let wanted = |id: &NodeId| {
            self.form.get(id) == Some(&Form::Local)
                && self.graph.shape(*id) == Shape::Scalar
                && self.level[id] == level
                && !matches!(self.graph.op(*id), Op::Unary(f, a) if self.reduces_rows(f, a))
        };
        self.order.iter().copied().filter(wanted).collect()
    }

    /// The reductions of rows whose results are rowless values of `level`.
    fn sums_of(&self, level: usize) -> Vec<NodeId> {
        let wanted = |id: &NodeId| {
            matches!(self.graph.op(*id), Op::Unary(f, a) if self.reduces_rows(f, a))
                && self.level[id] == level
        };
        self.order.iter().copied().filter(wanted).collect()
    }

    /// The per-row locals that the sums need, in id order (not crossing rowless
    /// values).
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
