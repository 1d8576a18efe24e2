//! A graph of shaped nodes written out as one scalar node per component: what the
//! evaluators run (SPEC 10). The shaped graph stays what is printed, differentiated
//! and simplified; this copy exists only to compute numbers, so `dot` becomes a sum of
//! products and `softmax` its stable formula, component by component.

use super::builder::{Graph, GraphFull};
use super::node::*;
use crate::syntax::Span;

/// A graph written out by components.
#[derive(Debug, Clone)]
pub struct Components {
    /// The scalar graph.
    pub graph: Graph,
    /// Each root's components in `graph`, row-major.
    pub roots: Vec<Vec<NodeId>>,
    /// Each variable the roots read, with its component variables in `graph`.
    pub vars: Vec<(VarId, Vec<VarId>)>,
}

/// Whether any node that `roots` depend on has an item shape (so evaluating them
/// needs [`components`]).
pub fn is_shaped(graph: &Graph, roots: &[NodeId]) -> bool {
    graph
        .reachable(roots)
        .into_iter()
        .any(|n| !graph.item(n).is_scalar())
}

/// `roots` of `graph` with every shaped node written out as its components.
pub fn components(graph: &Graph, roots: &[NodeId]) -> Result<Components, GraphFull> {
    let order = graph.reachable(roots);
    let mut out = Graph::new();
    out.set_limit(graph.limit());
    let mut vars = Vec::new();
    let top = order.last().map_or(0, |n| n.index() + 1);
    let mut map: Vec<Vec<NodeId>> = vec![Vec::new(); top];
    for &id in &order {
        out.ensure_room()?;
        let node = graph.node(id);
        let span = node.span;
        let comps = match node.op {
            Op::Var(v) => {
                let var = graph.var(v);
                let (nodes, ids) = component_vars(&mut out, var, span);
                vars.push((v, ids));
                nodes
            }
            Op::Column(c) => vec![out.column_node(graph.column(c).to_vec(), span)],
            Op::Fill(c, item) => vec![out.add(Op::Const(c), span); item.size()],
            Op::Tensor(t) => {
                let (_, values) = graph.tensor(t);
                values
                    .iter()
                    .map(|&v| out.add(Op::Const(Constant(v)), span))
                    .collect()
            }
            Op::Unary(f, a) => map[a.index()]
                .iter()
                .map(|&x| out.add(Op::Unary(f, x), span))
                .collect(),
            Op::Binary(op, a, b) => {
                componentwise(&mut out, op, &map[a.index()], &map[b.index()], span)
            }
            Op::Index(a, k) => map[a.index()]
                .get(k as usize)
                .copied()
                .into_iter()
                .collect(),
            Op::Item(f, a) => item_func(&mut out, f, &map[a.index()], graph.item(a), span),
            Op::Product(p, a, b) => {
                let inner = graph.item(a).dims().last().copied().unwrap_or(1);
                product(&mut out, p, &map[a.index()], &map[b.index()], inner, span)
            }
            leaf => vec![out.add(leaf, span)],
        };
        map[id.index()] = comps;
    }
    let roots = roots.iter().map(|r| map[r.index()].clone()).collect();
    Ok(Components {
        graph: out,
        roots,
        vars,
    })
}

/// A variable's components: itself if scalar, else one variable per component named
/// `w[2]`, `W[1,3]`, of the same kind.
fn component_vars(out: &mut Graph, var: &Var, span: Option<Span>) -> (Vec<NodeId>, Vec<VarId>) {
    let names: Vec<String> = (0..var.item.size())
        .map(|k| format!("{}{}", var.name, var.item.suffix(k)))
        .collect();
    let nodes: Vec<NodeId> = names
        .iter()
        .map(|name| out.fresh_var_node(name, var.kind, span))
        .collect();
    let ids = nodes
        .iter()
        .filter_map(|&n| match out.op(n) {
            Op::Var(v) => Some(v),
            _ => None,
        })
        .collect();
    (nodes, ids)
}

fn componentwise(
    out: &mut Graph,
    op: BinOp,
    a: &[NodeId],
    b: &[NodeId],
    span: Option<Span>,
) -> Vec<NodeId> {
    let n = a.len().max(b.len());
    let pick = |v: &[NodeId], k: usize| if v.len() == 1 { v[0] } else { v[k] };
    (0..n)
        .map(|k| out.add(Op::Binary(op, pick(a, k), pick(b, k)), span))
        .collect()
}

fn add_all(out: &mut Graph, terms: impl IntoIterator<Item = NodeId>, span: Option<Span>) -> NodeId {
    let mut iter = terms.into_iter();
    let Some(first) = iter.next() else {
        return out.int(0);
    };
    iter.fold(first, |total, t| {
        out.add(Op::Binary(BinOp::Add, total, t), span)
    })
}

fn item_func(
    out: &mut Graph,
    func: ItemFunc,
    x: &[NodeId],
    item: Item,
    span: Option<Span>,
) -> Vec<NodeId> {
    let bin = |out: &mut Graph, op, a, b| out.add(Op::Binary(op, a, b), span);
    match func {
        ItemFunc::Total => vec![add_all(out, x.iter().copied(), span)],
        ItemFunc::Norm => {
            let squares: Vec<NodeId> = x.iter().map(|&c| bin(out, BinOp::Mul, c, c)).collect();
            let total = add_all(out, squares, span);
            vec![out.add(Op::Unary(Func::Sqrt, total), span)]
        }
        ItemFunc::Transpose => match item {
            Item::Matrix(m, k) => {
                let (m, k) = (m as usize, k as usize);
                (0..k * m).map(|t| x[(t % m) * k + t / m]).collect()
            }
            _ => x.to_vec(),
        },
        ItemFunc::Diag => match item {
            Item::Vector(k) => {
                let (k, zero) = (k as usize, out.int(0));
                (0..k * k)
                    .map(|t| {
                        if t % (k + 1) == 0 {
                            x[t / (k + 1)]
                        } else {
                            zero
                        }
                    })
                    .collect()
            }
            Item::Matrix(_, k) => (0..k as usize).map(|i| x[i * (k as usize + 1)]).collect(),
            Item::Scalar => x.to_vec(),
        },
        ItemFunc::Softmax | ItemFunc::Logsumexp => {
            // Shifted by the largest component, so no exp overflows.
            let Some((&first, rest)) = x.split_first() else {
                return Vec::new();
            };
            let top = rest.iter().fold(first, |m, &c| bin(out, BinOp::Max, m, c));
            let exps: Vec<NodeId> = x
                .iter()
                .map(|&c| {
                    let shifted = bin(out, BinOp::Sub, c, top);
                    out.add(Op::Unary(Func::Exp, shifted), span)
                })
                .collect();
            let total = add_all(out, exps.iter().copied(), span);
            if func == ItemFunc::Softmax {
                exps.iter()
                    .map(|&e| bin(out, BinOp::Div, e, total))
                    .collect()
            } else {
                let ln = out.add(Op::Unary(Func::Ln, total), span);
                vec![bin(out, BinOp::Add, top, ln)]
            }
        }
    }
}

/// `dot` (x is rows of `inner` components, y is `inner` rows) or `outer`.
fn product(
    out: &mut Graph,
    op: ProductOp,
    x: &[NodeId],
    y: &[NodeId],
    inner: usize,
    span: Option<Span>,
) -> Vec<NodeId> {
    let mul = |out: &mut Graph, a, b| out.add(Op::Binary(BinOp::Mul, a, b), span);
    if op == ProductOp::Outer {
        return x
            .iter()
            .flat_map(|&a| y.iter().map(move |&b| (a, b)))
            .map(|(a, b)| mul(out, a, b))
            .collect();
    }
    let outer_x = x.len() / inner.max(1);
    let p = y.len() / inner.max(1);
    let mut result = Vec::with_capacity(outer_x * p);
    for i in 0..outer_x {
        for j in 0..p {
            let terms: Vec<NodeId> = (0..inner)
                .map(|k| mul(out, x[i * inner + k], y[k * p + j]))
                .collect();
            result.push(add_all(out, terms, span));
        }
    }
    result
}
