//! The graph and its one constructor, [`Graph::add`]: hash-consing and local folds.

use super::fold;
use super::node::*;
use crate::syntax::{Number, Span};
use std::collections::{HashMap, HashSet};

/// A hash-consed computation graph: equal sub-expressions are one node.
///
/// **The graph is append-only**: a node's operands are older than it, so insertion
/// order is a topological order, and a node's [`Op`] names its operands in order. So
/// the nodes are a plain vector indexed by [`NodeId`]: no walk needs the edges from
/// operand to user, and storing them cost about 40 bytes a node.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    memo: HashMap<Op, NodeId, foldhash::fast::RandomState>,
    vars: Vec<Var>,
    /// Function parameters: private variables that no name lookup finds.
    locals: HashSet<VarId>,
    /// The variables a name lookup finds (all but `locals`), by name, oldest first:
    /// a program of 100,000 params must not search them all for each one.
    by_name: HashMap<String, Vec<VarId>>,
    columns: Vec<Vec<Number>>,
    tensors: Vec<(Item, Vec<Number>)>,
    small_ints: [Option<NodeId>; SMALL_INTS],
    limit: NodeLimit,
}

/// The most nodes a graph holds by default: lowering, derivatives and simplification
/// together. A node costs about 130 bytes (its op, its span, the hash-consing entry),
/// so this keeps a graph under 1 GB, well under the 2 GB a run may use.
pub const MAX_NODES: usize = 5_000_000;

/// A graph's node budget (a newtype so that `Graph::default()` has the stated limit).
#[derive(Debug, Clone, Copy)]
struct NodeLimit(usize);

impl Default for NodeLimit {
    fn default() -> NodeLimit {
        NodeLimit(MAX_NODES)
    }
}

/// A walk that grows the graph (inlining a call, a derivative) stopped because the
/// graph reached its node limit. The work it denotes is too large to do in full, so
/// the caller reports the statement that asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the graph reached its limit of {limit} nodes")]
pub struct GraphFull {
    /// The limit that was reached.
    pub limit: usize,
}

/// How many small integers (from -1 up) [`Graph::int`] remembers.
const SMALL_INTS: usize = 4;

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Makes room for about `additional` more nodes (lowering knows roughly how many).
    pub fn reserve(&mut self, additional: usize) {
        self.memo.reserve(additional);
        self.nodes.reserve(additional);
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The most nodes this graph may hold ([`MAX_NODES`] unless set).
    pub fn limit(&self) -> usize {
        self.limit.0
    }

    /// Sets the most nodes this graph may hold (tests and embedders with a budget).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = NodeLimit(limit);
    }

    /// `Err` once the graph holds more nodes than its limit. The walks that grow the
    /// graph ask it at every step, so no input grows a graph far past the limit.
    pub fn ensure_room(&self) -> Result<(), GraphFull> {
        if self.len() > self.limit.0 {
            Err(GraphFull {
                limit: self.limit.0,
            })
        } else {
            Ok(())
        }
    }

    /// Gives every node from `first` on that has no span the span `span`: the nodes a
    /// derivative rule just made point at the source operation they derive from, so
    /// a domain error inside a derivative names a place in the file.
    pub fn adopt_span(&mut self, first: NodeId, span: Option<Span>) {
        let Some(span) = span else {
            return;
        };
        for node in self.nodes.iter_mut().skip(first.index()) {
            node.span.get_or_insert(span);
        }
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The operator of a node.
    pub fn op(&self, id: NodeId) -> Op {
        self.node(id).op
    }

    /// The shape of a node: rowless or one value per row.
    pub fn shape(&self, id: NodeId) -> Shape {
        self.node(id).shape
    }

    /// The item shape of a node: scalar, `[K]` or `[M, K]`.
    pub fn item(&self, id: NodeId) -> Item {
        self.node(id).item
    }

    /// The variable with this id.
    pub fn var(&self, id: VarId) -> &Var {
        &self.vars[id.index()]
    }

    /// All variables, in the order they were declared.
    pub fn vars(&self) -> impl Iterator<Item = (VarId, &Var)> {
        self.vars
            .iter()
            .enumerate()
            .map(|(i, v)| (VarId(i as u32), v))
    }

    /// Whether `var` is a function's parameter (private to the function's body).
    pub fn is_local(&self, var: VarId) -> bool {
        self.locals.contains(&var)
    }

    /// The variable called `name`, if declared (function parameters are not found).
    pub fn find_var(&self, name: &str) -> Option<VarId> {
        self.by_name.get(name).and_then(|ids| ids.first().copied())
    }

    /// Declares a variable (or returns the existing one of that name and kind) and its node.
    pub fn var_node(&mut self, name: &str, kind: VarKind, span: Option<Span>) -> NodeId {
        self.shaped_var_node(name, kind, Item::Scalar, span)
    }

    /// [`Graph::var_node`] of a variable with an item shape (`param w[3]`); an existing
    /// variable of that name and kind keeps its shape.
    pub fn shaped_var_node(
        &mut self,
        name: &str,
        kind: VarKind,
        item: Item,
        span: Option<Span>,
    ) -> NodeId {
        let ids = self
            .by_name
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let existing = ids.iter().find(|id| self.vars[id.index()].kind == kind);
        let id = match existing {
            Some(&id) => id,
            None => {
                let id = self.new_var(name, kind, item);
                self.by_name.entry(name.to_string()).or_default().push(id);
                id
            }
        };
        self.add(Op::Var(id), span)
    }

    /// Declares a function's parameter: a new free variable of its own, never shared
    /// with another of the same name (so a call's substitution cannot capture a free
    /// name that a global definition in the body uses), and its node.
    pub fn local_var_node(&mut self, name: &str, span: Option<Span>) -> NodeId {
        let id = self.new_var(name, VarKind::Free, Item::Scalar);
        self.locals.insert(id);
        self.add(Op::Var(id), span)
    }

    /// A function's parameter of an item shape (a call's argument is shaped).
    pub fn local_shaped_var_node(&mut self, name: &str, item: Item, span: Option<Span>) -> NodeId {
        let id = self.new_var(name, VarKind::Free, item);
        self.locals.insert(id);
        self.add(Op::Var(id), span)
    }

    /// A new scalar variable even where one of that name and kind exists (the
    /// components of a shaped variable in [`super::components`]).
    pub(crate) fn fresh_var_node(
        &mut self,
        name: &str,
        kind: VarKind,
        span: Option<Span>,
    ) -> NodeId {
        let id = self.new_var(name, kind, Item::Scalar);
        self.add(Op::Var(id), span)
    }

    fn new_var(&mut self, name: &str, kind: VarKind, item: Item) -> VarId {
        self.vars.push(Var {
            name: name.to_string(),
            kind,
            item,
        });
        VarId(self.vars.len() as u32 - 1)
    }

    /// The values of a vector literal.
    pub fn column(&self, id: ColumnId) -> &[Number] {
        &self.columns[id.0 as usize]
    }

    /// Adds a vector literal and returns its node.
    pub fn column_node(&mut self, values: Vec<Number>, span: Option<Span>) -> NodeId {
        self.columns.push(values);
        let id = ColumnId(self.columns.len() as u32 - 1);
        self.add(Op::Column(id), span)
    }

    /// The shape and components (row-major) of a constant item literal.
    pub fn tensor(&self, id: TensorId) -> (Item, &[Number]) {
        let (item, values) = &self.tensors[id.0 as usize];
        (*item, values)
    }

    /// Adds a constant item literal (`values` row-major, `item.size()` of them) and
    /// returns its node; a scalar item is a plain constant.
    pub fn tensor_node(&mut self, item: Item, values: Vec<Number>, span: Option<Span>) -> NodeId {
        if let ([value], Item::Scalar) = (values.as_slice(), item) {
            return self.add(Op::Const(Constant(*value)), span);
        }
        self.tensors.push((item, values));
        let id = TensorId(self.tensors.len() as u32 - 1);
        self.add(Op::Tensor(id), span)
    }

    /// The constant `value` in every component of `item` (`zeros`, `ones`).
    pub fn fill(&mut self, value: i64, item: Item) -> NodeId {
        self.add(Op::Fill(Constant::int(value), item), None)
    }

    /// A constant node.
    pub fn constant(&mut self, value: Number) -> NodeId {
        self.add(Op::Const(Constant(value)), None)
    }

    /// An exact integer constant node. The small ones that every derivative uses
    /// (-1, 0, 1, 2) are remembered, which keeps them off the hash-consing path.
    pub fn int(&mut self, value: i64) -> NodeId {
        let slot = usize::try_from(value + 1).ok().filter(|&i| i < SMALL_INTS);
        if let Some(id) = slot.and_then(|i| self.small_ints[i]) {
            return id;
        }
        let id = self.add(Op::Const(Constant::int(value)), None);
        if let Some(i) = slot {
            self.small_ints[i] = Some(id);
        }
        id
    }

    /// `f(a)`
    pub fn unary(&mut self, func: Func, a: NodeId) -> NodeId {
        self.add(Op::Unary(func, a), None)
    }

    /// `a op b`
    pub fn binary(&mut self, op: BinOp, a: NodeId, b: NodeId) -> NodeId {
        self.add(Op::Binary(op, a, b), None)
    }

    /// Adds a node, or finds the equal one already there. Constant operands fold
    /// exactly (in decimal) and the identities `x+0`, `x*1`, `x*0`, `--x`, `x^1` fold
    /// away, so a symbolic zero never grows a derivative. `span` is kept for a new node.
    pub fn add(&mut self, op: Op, span: Option<Span>) -> NodeId {
        let op = match op {
            Op::Const(c) => Op::Const(c.normalized()),
            Op::Fill(c, Item::Scalar) => Op::Const(c.normalized()),
            Op::Fill(c, item) => Op::Fill(c.normalized(), item),
            other => other,
        };
        let item = self.item_of(op);
        let op = match fold::fold(self, op) {
            fold::Folded::Node(id) if self.item(id) == item => return id,
            fold::Folded::Scaled(factor, x) if self.item(x) == item => {
                let c = self.add(Op::Const(Constant(Number::from_decimal(factor))), None);
                return self.add(Op::Binary(BinOp::Mul, c, x), span);
            }
            // A fold to a constant of a smaller item (`0*w` is 0) fills the item.
            fold::Folded::Op(Op::Const(c)) if !item.is_scalar() => Op::Fill(c, item),
            fold::Folded::Op(folded) if self.item_of(folded) == item => folded,
            // A fold that would change the item shape (`0*w` to a scalar 0 node
            // through `x+0`) is not made.
            _ => op,
        };
        if let Some(&id) = self.memo.get(&op) {
            return id;
        }
        let shape = self.shape_of(op);
        let constant = match op {
            Op::Var(_) => false,
            op => op.operands().all(|o| self.node(o).constant),
        };
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            op,
            shape,
            item,
            constant,
            span,
        });
        self.memo.insert(op, id);
        id
    }

    fn shape_of(&self, op: Op) -> Shape {
        match op {
            Op::Const(_) | Op::Pi | Op::Euler | Op::Fill(..) | Op::Tensor(_) => Shape::Scalar,
            Op::Column(_) => Shape::Rows,
            Op::Var(v) => match self.var(v).kind {
                VarKind::Data => Shape::Rows,
                VarKind::Param | VarKind::Free => Shape::Scalar,
            },
            Op::Unary(f, _) if f.is_reduction() => Shape::Scalar,
            Op::Unary(_, a) | Op::Index(a, _) | Op::Item(_, a) => self.shape(a),
            Op::Binary(_, a, b) | Op::Product(_, a, b) => self.shape(a).max(self.shape(b)),
        }
    }

    /// The item shape of what `op` computes, for operands whose shapes fit it
    /// (lowering checks them first with [`super::shapes::result_item`]; a node made
    /// by a derivative rule always fits). A misfit gets the larger operand's item.
    pub fn item_of(&self, op: Op) -> Item {
        super::shapes::result_item(self, op).unwrap_or_else(|_| {
            op.operands()
                .map(|o| self.item(o))
                .max_by_key(|i| i.size())
                .unwrap_or_default()
        })
    }

    /// The nodes `roots` depend on (themselves included), in increasing id order.
    ///
    /// A walk with a visited set costs the size of the subgraph, not of the id range
    /// below the roots (a REPL session asks for small subgraphs of a large graph at
    /// every line); once the subgraph passes an eighth of that range, one sweep down
    /// the ids with a dense mark table is cheaper, and takes over.
    pub fn reachable(&self, roots: &[NodeId]) -> Vec<NodeId> {
        let Some(top) = roots.iter().max() else {
            return Vec::new();
        };
        let budget = top.index() / 8;
        let mut seen: HashSet<NodeId, foldhash::fast::RandomState> = HashSet::default();
        let mut stack: Vec<NodeId> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                if seen.len() > budget {
                    return self.reachable_dense(roots, *top);
                }
                stack.extend(self.op(id).operands());
            }
        }
        let mut order: Vec<NodeId> = seen.into_iter().collect();
        order.sort_unstable();
        order
    }

    /// [`Graph::reachable`] by one sweep down the ids from `top`.
    fn reachable_dense(&self, roots: &[NodeId], top: NodeId) -> Vec<NodeId> {
        let mut marked = vec![false; top.index() + 1];
        for r in roots {
            marked[r.index()] = true;
        }
        for i in (0..=top.index()).rev() {
            if marked[i] {
                for operand in self.op(NodeId(i as u32)).operands() {
                    marked[operand.index()] = true;
                }
            }
        }
        (0..=top.index())
            .filter(|&i| marked[i])
            .map(|i| NodeId(i as u32))
            .collect()
    }

    /// Whether `node` depends on the variable `var`.
    pub fn depends_on(&self, node: NodeId, var: VarId) -> bool {
        self.reachable(&[node])
            .into_iter()
            .any(|n| self.op(n) == Op::Var(var))
    }

    /// Which of `vars` `node` depends on, in their order, by one walk of the graph
    /// (asking [`Graph::depends_on`] for each of 100,000 params would walk it each time).
    pub fn dependencies(&self, node: NodeId, vars: &[VarId]) -> Vec<VarId> {
        let used: HashSet<VarId> = self
            .reachable(&[node])
            .into_iter()
            .filter_map(|n| match self.op(n) {
                Op::Var(v) => Some(v),
                _ => None,
            })
            .collect();
        vars.iter().copied().filter(|v| used.contains(v)).collect()
    }
}

impl Graph {
    /// `root` with each variable of `substitutions` replaced by its node (function
    /// inlining and the chain rule through a function's parameters). Iterative, and
    /// nodes that do not depend on a replaced variable are shared, not copied.
    pub fn substitute(
        &mut self,
        root: NodeId,
        substitutions: &[(VarId, NodeId)],
    ) -> Result<NodeId, GraphFull> {
        let order = self.reachable(&[root]);
        // Dense by id: a call inlines bodies of millions of nodes, and a hash map per
        // node was most of the cost.
        let mut replaced: Vec<Option<NodeId>> = vec![None; root.index() + 1];
        for id in order {
            self.ensure_room()?;
            let node = self.node(id);
            let (op, span) = (node.op, node.span);
            let get = |n: NodeId| replaced[n.index()];
            let map = |n: NodeId| get(n).unwrap_or(n);
            let new = match op {
                Op::Var(v) => match substitutions.iter().find(|(s, _)| *s == v) {
                    Some(&(_, to)) => to,
                    None => continue,
                },
                op if op.operands().any(|o| get(o).is_some()) => {
                    self.add(op.map_operands(map), span)
                }
                _ => continue,
            };
            replaced[id.index()] = Some(new);
        }
        Ok(replaced[root.index()].unwrap_or(root))
    }
}
