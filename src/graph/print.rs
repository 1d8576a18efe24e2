//! Plain-text printing of graph nodes in the language of SPEC 1.3, so the text parses
//! back to the same graph.
//!
//! [`print_expr`] prints one node inline; [`print_shared`] prints several roots and names
//! each shared sub-expression once as a temporary (`where t1 = sigmoid(w*x + b)`).
//!
//! **Printing never recurses over the graph**: an explicit stack of frames writes into
//! one buffer, so a chain of a million nested additions prints in time linear in the
//! output. Parentheses are the fewest that parse back to the same tree, except that a
//! negation on the right of an infix operator is always bracketed (`a*(-b)`, `a - (-2)`)
//! because it reads better than `a*-b`.

use super::builder::Graph;
use super::node::{BinOp, Constant, Func, Item, NodeId, Op};
use std::collections::HashMap;
use std::fmt;

/// Prints one node as an expression, inline (shared sub-expressions repeated).
///
/// ```
/// use nabla::graph::{BinOp, Func, Graph, VarKind, print_expr};
/// let mut g = Graph::new();
/// let x = g.var_node("x", VarKind::Free, None);
/// let two = g.int(2);
/// let square = g.binary(BinOp::Pow, x, two);
/// let minus = g.unary(Func::Neg, square);
/// assert_eq!(print_expr(&g, minus), "-x^2");
/// ```
pub fn print_expr(graph: &Graph, root: NodeId) -> String {
    let names = HashMap::new();
    Printer {
        graph,
        names: &names,
    }
    .expand(root)
}

/// Several roots printed together, each shared sub-expression named once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Printed {
    /// The temporaries `(name, expression)`, each defined before it is used.
    pub temps: Vec<(String, String)>,
    /// One expression per root, in the order of the roots.
    pub results: Vec<String>,
}

/// Prints several roots, naming every non-trivial node used more than once among them as
/// a temporary `t1`, `t2`, ... (skipping names of the graph's variables).
///
/// Uses are counted within the subgraph reachable from the roots, a root counting once
/// more for being printed. Constants, `pi`, `e`, variables and their negations are
/// trivial and never named. Temporaries are in increasing node order, which the
/// append-only graph makes a definition-before-use order.
pub fn print_shared(graph: &Graph, roots: &[NodeId]) -> Printed {
    let shared = shared_nodes(graph, roots);
    let names: HashMap<NodeId, String> = shared.iter().copied().zip(temp_names(graph)).collect();
    let printer = Printer {
        graph,
        names: &names,
    };
    let temps = shared
        .iter()
        .map(|id| (names[id].clone(), printer.expand(*id)))
        .collect();
    let results = roots.iter().map(|&root| printer.reference(root)).collect();
    Printed { temps, results }
}

impl Printed {
    /// The temporaries and results as program text that the language parses:
    /// `t1 = ...` lines, then `name = result` lines pairing `result_names` with the
    /// results. A result without a name is written as a bare expression statement.
    pub fn as_definitions(&self, result_names: &[&str]) -> String {
        let mut text = String::new();
        for (name, expr) in &self.temps {
            text.push_str(&format!("{name} = {expr}\n"));
        }
        for (i, result) in self.results.iter().enumerate() {
            match result_names.get(i) {
                Some(name) => text.push_str(&format!("{name} = {result}\n")),
                None => text.push_str(&format!("{result}\n")),
            }
        }
        text
    }
}

impl fmt::Display for Printed {
    /// The results one per line, then the temporaries in a `where` block:
    /// `f + t1\n  where t1 = ...\n        t2 = ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.results.join("\n"))?;
        for (i, (name, expr)) in self.temps.iter().enumerate() {
            let lead = if i == 0 { "  where " } else { "        " };
            let sep = if self.results.is_empty() && i == 0 {
                ""
            } else {
                "\n"
            };
            write!(f, "{sep}{lead}{name} = {expr}")?;
        }
        Ok(())
    }
}

/// How tightly an expression binds, loosest first; parentheses go around an operand
/// that binds more loosely than its position requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    /// `a + b`, `a - b`
    Sum,
    /// `a * b`, `a / b`
    Product,
    /// `-a`, and a negative constant, which prints with a minus sign
    Prefix,
    /// `a ^ b`
    Power,
    /// Names, positive numbers, calls, vectors, temporaries
    Atom,
}

/// One step of the walk: text to write, or a node to write (named if it has a name).
pub(super) enum Frame {
    Text(&'static str),
    Owned(String),
    Node(NodeId),
}

/// Writes nodes; `names` are the temporaries that stand for their nodes.
struct Printer<'a> {
    graph: &'a Graph,
    names: &'a HashMap<NodeId, String>,
}

/// The walk shared by the text and LaTeX printers: an explicit stack of frames, never
/// a recursion, so a million nested operators print in time linear in the output. A
/// printer says how one operator is written ([`Walk::push_op`]); the walk does the rest.
pub(super) trait Walk {
    /// The temporaries that stand for their nodes.
    fn names(&self) -> &HashMap<NodeId, String>;

    /// Writes a leaf into `out`, or pushes the frames of an operator onto `stack`
    /// (last frame first).
    fn push_op(&self, id: NodeId, out: &mut String, stack: &mut Vec<Frame>);

    /// The node's name if it has one, else its expression.
    fn reference(&self, id: NodeId) -> String {
        match self.names().get(&id) {
            Some(name) => name.clone(),
            None => self.expand(id),
        }
    }

    /// The node's expression (even if it is named), its operands by name where named.
    fn expand(&self, root: NodeId) -> String {
        let mut out = String::new();
        let mut stack = Vec::new();
        self.push_op(root, &mut out, &mut stack);
        while let Some(frame) = stack.pop() {
            match frame {
                Frame::Text(text) => out.push_str(text),
                Frame::Owned(text) => out.push_str(&text),
                Frame::Node(id) => match self.names().get(&id) {
                    Some(name) => out.push_str(name),
                    None => self.push_op(id, &mut out, &mut stack),
                },
            }
        }
        out
    }
}

impl Walk for Printer<'_> {
    fn names(&self) -> &HashMap<NodeId, String> {
        self.names
    }

    fn push_op(&self, id: NodeId, out: &mut String, stack: &mut Vec<Frame>) {
        self.write_op(id, out, stack);
    }
}

impl Printer<'_> {
    /// Writes a leaf into `out`, or pushes the frames of an operator onto `stack`.
    fn write_op(&self, id: NodeId, out: &mut String, stack: &mut Vec<Frame>) {
        let start = stack.len();
        match self.graph.op(id) {
            Op::Const(c) => out.push_str(&c.0.to_string()),
            Op::Pi => out.push_str("pi"),
            Op::Euler => out.push('e'),
            Op::Var(v) => out.push_str(&self.graph.var(v).name),
            Op::Column(c) => {
                let items: Vec<String> =
                    self.graph.column(c).iter().map(|n| n.to_string()).collect();
                out.push_str(&format!("[{}]", items.join(", ")));
            }
            Op::Unary(Func::Neg, a) => {
                out.push('-');
                self.push_operand(a, self.prec(a) < Prec::Power, stack);
            }
            Op::Unary(func, a) => {
                out.push_str(func.name());
                stack.extend([Frame::Text("("), Frame::Node(a), Frame::Text(")")]);
            }
            Op::Binary(op @ (BinOp::Max | BinOp::Min), a, b) => {
                out.push_str(if op == BinOp::Max { "max(" } else { "min(" });
                stack.extend([
                    Frame::Node(a),
                    Frame::Text(", "),
                    Frame::Node(b),
                    Frame::Text(")"),
                ]);
            }
            Op::Binary(op, a, b) => self.push_infix(op, a, b, stack),
            Op::Fill(c, item) => out.push_str(&fill_text(c, item)),
            Op::Tensor(t) => {
                let (item, values) = self.graph.tensor(t);
                let texts: Vec<String> = values.iter().map(|n| n.to_string()).collect();
                out.push_str(&braces(item, &texts));
            }
            Op::Index(a, k) => {
                self.push_operand(a, self.prec(a) < Prec::Atom, stack);
                let index = self.graph.item(a).index_of(k as usize);
                let parts: Vec<String> = index.iter().map(usize::to_string).collect();
                stack.push(Frame::Owned(format!("[{}]", parts.join(", "))));
            }
            Op::Item(func, a) => {
                out.push_str(func.name());
                stack.extend([Frame::Text("("), Frame::Node(a), Frame::Text(")")]);
            }
            Op::Product(op, a, b) => {
                out.push_str(op.name());
                stack.extend([
                    Frame::Text("("),
                    Frame::Node(a),
                    Frame::Text(", "),
                    Frame::Node(b),
                    Frame::Text(")"),
                ]);
            }
        }
        // The frames were pushed in reading order; the stack pops them last first.
        stack[start..].reverse();
    }

    /// Pushes `a op b` in reading order, with the parentheses each operand needs.
    fn push_infix(&self, op: BinOp, a: NodeId, b: NodeId, stack: &mut Vec<Frame>) {
        let (symbol, left, right) = match op {
            BinOp::Add => (" + ", Prec::Sum, Prec::Product),
            BinOp::Sub => (" - ", Prec::Sum, Prec::Product),
            BinOp::Mul => ("*", Prec::Product, Prec::Prefix),
            BinOp::Div => ("/", Prec::Product, Prec::Prefix),
            // `^` is right-associative: its left operand must be an atom.
            _ => ("^", Prec::Atom, Prec::Power),
        };
        let (a_prec, b_prec) = (self.prec(a), self.prec(b));
        self.push_operand(a, a_prec < left, stack);
        stack.push(Frame::Text(symbol));
        self.push_operand(b, b_prec < right || b_prec == Prec::Prefix, stack);
    }

    fn push_operand(&self, id: NodeId, parens: bool, stack: &mut Vec<Frame>) {
        if parens {
            stack.extend([Frame::Text("("), Frame::Node(id), Frame::Text(")")]);
        } else {
            stack.push(Frame::Node(id));
        }
    }

    /// How tightly the node binds where it appears as an operand.
    fn prec(&self, id: NodeId) -> Prec {
        if self.names.contains_key(&id) {
            return Prec::Atom;
        }
        match self.graph.op(id) {
            Op::Const(c) if c.0.to_string().starts_with('-') => Prec::Prefix,
            Op::Unary(Func::Neg, _) => Prec::Prefix,
            Op::Binary(BinOp::Add | BinOp::Sub, ..) => Prec::Sum,
            Op::Binary(BinOp::Mul | BinOp::Div, ..) => Prec::Product,
            Op::Binary(BinOp::Pow, ..) => Prec::Power,
            Op::Fill(c, _) if !matches!(c.value(), 0.0 | 1.0) => Prec::Product,
            _ => Prec::Atom,
        }
    }
}

/// A filled constant as it parses back: `zeros(3)`, `ones(2, 3)`, `0.5*ones(3)`.
pub(super) fn fill_text(c: Constant, item: Item) -> String {
    let dims: Vec<String> = item.dims().iter().map(usize::to_string).collect();
    let dims = dims.join(", ");
    match c.value() {
        0.0 => format!("zeros({dims})"),
        1.0 => format!("ones({dims})"),
        _ => format!("{}*ones({dims})", c.0),
    }
}

/// Components with braces, row by row for a matrix: `{1, 2}`, `{{1, 2}, {3, 4}}`.
pub(crate) fn braces(item: Item, parts: &[String]) -> String {
    match item {
        Item::Matrix(_, k) => {
            let rows: Vec<String> = parts
                .chunks(k.max(1) as usize)
                .map(|row| format!("{{{}}}", row.join(", ")))
                .collect();
            format!("{{{}}}", rows.join(", "))
        }
        _ => format!("{{{}}}", parts.join(", ")),
    }
}

/// The non-trivial nodes used more than once by `roots`, in increasing id order.
pub(super) fn shared_nodes(graph: &Graph, roots: &[NodeId]) -> Vec<NodeId> {
    let reachable = graph.reachable(roots);
    let size = reachable.last().map_or(0, |top| top.index() + 1);
    let mut uses = vec![0u32; size];
    let operands = reachable.iter().flat_map(|&id| graph.op(id).operands());
    for id in operands.chain(roots.iter().copied()) {
        uses[id.index()] += 1;
    }
    reachable
        .into_iter()
        .filter(|id| uses[id.index()] > 1 && !is_trivial(graph, *id))
        .collect()
}

/// Constants, `pi`, `e`, variables, and negations of those: cheaper to repeat than name.
fn is_trivial(graph: &Graph, id: NodeId) -> bool {
    let mut id = id;
    loop {
        match graph.op(id) {
            Op::Const(_) | Op::Pi | Op::Euler | Op::Var(_) => return true,
            Op::Unary(Func::Neg, a) => id = a,
            _ => return false,
        }
    }
}

/// `t1`, `t2`, ... without the names of the graph's variables, looked up one by one
/// (collecting every name first cost all the graph's variables at each print, and a
/// REPL session prints at every line). Function parameters are not looked up: they
/// never appear in a printed expression, calls being inlined.
fn temp_names(graph: &Graph) -> impl Iterator<Item = String> + '_ {
    (1u64..)
        .map(|k| format!("t{k}"))
        .filter(move |name| graph.find_var(name).is_none())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::graph::VarKind;
    use crate::syntax::{ExprKind, Number, SourceId, StmtKind, parse};

    fn var(g: &mut Graph, name: &str) -> NodeId {
        g.var_node(name, VarKind::Free, None)
    }

    fn bin(g: &mut Graph, op: BinOp, a: NodeId, b: NodeId) -> NodeId {
        g.binary(op, a, b)
    }

    /// Parses `text` (definitions and one bare expression) and lowers it into `g`; by
    /// hash-consing, the same tree gives back the same node.
    pub(in crate::graph) fn reparse(g: &mut Graph, text: &str) -> Option<NodeId> {
        let (ast, errors) = parse(SourceId(0), text);
        assert!(errors.is_empty(), "{text:?} does not parse: {errors:?}");
        let mut defined: HashMap<String, NodeId> = HashMap::new();
        let mut last = None;
        for stmt in &ast.statements {
            let (name, root) = match &stmt.kind {
                StmtKind::Define { name, body, .. } => (Some(name.name.clone()), *body),
                StmtKind::Expr(root) => (None, *root),
                _ => return None,
            };
            let mut nodes: HashMap<usize, NodeId> = HashMap::new();
            for id in ast.subtree(root) {
                let n = |e: &crate::syntax::ExprId| nodes[&e.index()];
                let node = match &ast.expr(id).kind {
                    ExprKind::Number(x) => g.constant(*x),
                    ExprKind::Name(s) if defined.contains_key(s) => defined[s],
                    ExprKind::Name(s) if s == "pi" => g.add(Op::Pi, None),
                    ExprKind::Name(s) if s == "e" => g.add(Op::Euler, None),
                    ExprKind::Name(s) => var(g, s),
                    ExprKind::Neg(a) => g.unary(Func::Neg, n(a)),
                    ExprKind::Binary(op, a, b) => {
                        let op = match op.symbol() {
                            "+" => BinOp::Add,
                            "-" => BinOp::Sub,
                            "*" => BinOp::Mul,
                            "/" => BinOp::Div,
                            _ => BinOp::Pow,
                        };
                        g.binary(op, n(a), n(b))
                    }
                    ExprKind::Call { callee, args } => match callee.name.as_str() {
                        "max" => g.binary(BinOp::Max, n(&args[0]), n(&args[1])),
                        "min" => g.binary(BinOp::Min, n(&args[0]), n(&args[1])),
                        f => g.unary(Func::from_name(f)?, n(&args[0])),
                    },
                    _ => return None,
                };
                nodes.insert(id.index(), node);
            }
            last = Some(nodes[&root.index()]);
            if let Some(name) = name {
                defined.insert(name, nodes[&root.index()]);
            }
        }
        last
    }

    /// Prints `root`, checks the text parses back to `root`, and returns the text.
    fn check(g: &mut Graph, root: NodeId) -> String {
        let text = print_expr(g, root);
        assert_eq!(
            reparse(g, &text),
            Some(root),
            "{text:?} parses to another graph"
        );
        text
    }

    #[test]
    fn minus_and_power() {
        let mut g = Graph::new();
        let (x, two) = (var(&mut g, "x"), g.int(2));
        let square = bin(&mut g, BinOp::Pow, x, two);
        let neg_square = g.unary(Func::Neg, square);
        assert_eq!(check(&mut g, neg_square), "-x^2");
        let neg_x = g.unary(Func::Neg, x);
        let square_of_neg = bin(&mut g, BinOp::Pow, neg_x, two);
        assert_eq!(check(&mut g, square_of_neg), "(-x)^2");
        let minus_two = g.int(-2);
        let pow = bin(&mut g, BinOp::Pow, minus_two, x);
        assert_eq!(check(&mut g, pow), "(-2)^x");
        let pow = bin(&mut g, BinOp::Pow, two, neg_x);
        assert_eq!(check(&mut g, pow), "2^(-x)");
        let pow = bin(&mut g, BinOp::Pow, x, minus_two);
        assert_eq!(check(&mut g, pow), "x^(-2)");
        // An f64-only constant has no exact decimal, so it does not fold away.
        let inexact = g.constant(Number::from_f64(-1.5));
        let neg_neg = g.unary(Func::Neg, inexact);
        assert_eq!(print_expr(&g, neg_neg), "-(-1.5)");
    }

    #[test]
    fn associativity() {
        let mut g = Graph::new();
        let (a, b, c) = (var(&mut g, "a"), var(&mut g, "b"), var(&mut g, "c"));
        let cases = [
            (BinOp::Sub, BinOp::Sub, "a - b - c", "a - (b - c)"),
            (BinOp::Add, BinOp::Add, "a + b + c", "a + (b + c)"),
            (BinOp::Sub, BinOp::Add, "a + b - c", "a - (b + c)"),
            (BinOp::Div, BinOp::Mul, "a*b/c", "a/(b*c)"),
            (BinOp::Mul, BinOp::Div, "a/b*c", "a*(b/c)"),
            (BinOp::Pow, BinOp::Pow, "(a^b)^c", "a^b^c"),
        ];
        for (outer, inner, left_nested, right_nested) in cases {
            let ab = bin(&mut g, inner, a, b);
            let left = bin(&mut g, outer, ab, c);
            assert_eq!(check(&mut g, left), left_nested);
            let bc = bin(&mut g, inner, b, c);
            let right = bin(&mut g, outer, a, bc);
            assert_eq!(check(&mut g, right), right_nested);
        }
        let (two, three, n) = (g.int(2), g.int(3), var(&mut g, "n"));
        let inner = bin(&mut g, BinOp::Pow, three, n);
        let tower = bin(&mut g, BinOp::Pow, two, inner);
        assert_eq!(check(&mut g, tower), "2^3^n");
    }

    #[test]
    fn negation_and_products() {
        let mut g = Graph::new();
        let (a, b) = (var(&mut g, "a"), var(&mut g, "b"));
        let sum = bin(&mut g, BinOp::Add, a, b);
        let neg_sum = g.unary(Func::Neg, sum);
        assert_eq!(check(&mut g, neg_sum), "-(a + b)");
        let neg_a = g.unary(Func::Neg, a);
        let product = bin(&mut g, BinOp::Mul, neg_a, b);
        assert_eq!(check(&mut g, product), "-a*b");
        let product = bin(&mut g, BinOp::Mul, b, neg_a);
        assert_eq!(check(&mut g, product), "b*(-a)");
        let minus_two = g.int(-2);
        let difference = bin(&mut g, BinOp::Sub, a, minus_two);
        assert_eq!(check(&mut g, difference), "a - (-2)");
        let product = bin(&mut g, BinOp::Mul, sum, b);
        assert_eq!(check(&mut g, product), "(a + b)*b");
        let pi = g.add(Op::Pi, None);
        let max = bin(&mut g, BinOp::Max, sum, pi);
        assert_eq!(check(&mut g, max), "max(a + b, pi)");
        let half = g.constant(Number::parse("0.5").unwrap_or(Number::from_f64(0.5)));
        let e = g.add(Op::Euler, None);
        let min = bin(&mut g, BinOp::Min, half, e);
        let log = g.unary(Func::Ln, min);
        assert_eq!(check(&mut g, log), "ln(min(0.5, e))");
    }

    #[test]
    fn sigmoid_neuron() {
        let mut g = Graph::new();
        let (w, x, b) = (var(&mut g, "w"), var(&mut g, "x"), var(&mut g, "b"));
        let wx = bin(&mut g, BinOp::Mul, w, x);
        let z = bin(&mut g, BinOp::Add, wx, b);
        let neg_z = g.unary(Func::Neg, z);
        let exp = g.unary(Func::Exp, neg_z);
        let one = g.int(1);
        let denominator = bin(&mut g, BinOp::Add, one, exp);
        let sigmoid = bin(&mut g, BinOp::Div, one, denominator);
        // Graph::add recognises the written-out logistic function.
        assert_eq!(check(&mut g, sigmoid), "sigmoid(w*x + b)");
        let y = var(&mut g, "y");
        let error = bin(&mut g, BinOp::Sub, sigmoid, y);
        let two = g.int(2);
        let square = bin(&mut g, BinOp::Pow, error, two);
        assert_eq!(check(&mut g, square), "(sigmoid(w*x + b) - y)^2");
    }

    #[test]
    fn vector_literal() {
        let mut g = Graph::new();
        let values =
            ["0.5", "-2.5", "3"].map(|s| Number::parse(s).unwrap_or(Number::from_f64(0.0)));
        let column = g.column_node(values.to_vec(), None);
        let sum = g.unary(Func::Sum, column);
        assert_eq!(print_expr(&g, sum), "sum([0.5, -2.5, 3])");
    }

    #[test]
    fn shared_nodes_become_temporaries() {
        let mut g = Graph::new();
        let (w, x, b, y) = (
            var(&mut g, "w"),
            var(&mut g, "x"),
            var(&mut g, "b"),
            var(&mut g, "t1"),
        );
        let wx = bin(&mut g, BinOp::Mul, w, x);
        let z = bin(&mut g, BinOp::Add, wx, b);
        let f = g.unary(Func::Sigmoid, z);
        let one = g.int(1);
        let one_minus_f = bin(&mut g, BinOp::Sub, one, f);
        let slope = bin(&mut g, BinOp::Mul, f, one_minus_f);
        let error = bin(&mut g, BinOp::Sub, f, y);
        let neg_x = g.unary(Func::Neg, x);
        let grad = bin(&mut g, BinOp::Mul, error, slope);
        let grad = bin(&mut g, BinOp::Mul, grad, neg_x);
        let printed = print_shared(&g, &[grad, f]);
        let expected_temp = ("t2".to_string(), "sigmoid(w*x + b)".to_string());
        assert_eq!(printed.temps, vec![expected_temp]);
        assert_eq!(printed.results, ["(t2 - t1)*(t2*(1 - t2))*(-x)", "t2"]);
        assert_eq!(
            printed.to_string(),
            "(t2 - t1)*(t2*(1 - t2))*(-x)\nt2\n  where t2 = sigmoid(w*x + b)"
        );
        let program = printed.as_definitions(&["g", "f"]);
        assert_eq!(
            program,
            "t2 = sigmoid(w*x + b)\ng = (t2 - t1)*(t2*(1 - t2))*(-x)\nf = t2\n"
        );
        assert_eq!(reparse(&mut g, &format!("{program}g")), Some(grad));
        assert!(print_shared(&g, &[one_minus_f]).temps.is_empty());
    }

    #[test]
    fn temporaries_are_defined_before_use() {
        let mut g = Graph::new();
        let x = var(&mut g, "x");
        let s = g.unary(Func::Sin, x);
        let s2 = bin(&mut g, BinOp::Mul, s, s);
        let top = bin(&mut g, BinOp::Add, s2, s2);
        let printed = print_shared(&g, &[top]);
        assert_eq!(
            printed.to_string(),
            "t2 + t2\n  where t1 = sin(x)\n        t2 = t1*t1"
        );
        assert_eq!(
            reparse(&mut g, &format!("{}y", printed.as_definitions(&["y"]))),
            Some(top)
        );
    }

    #[test]
    fn deep_chain_prints_without_recursion() {
        const DEPTH: usize = 1_000_000;
        let mut g = Graph::new();
        let (x, y) = (var(&mut g, "x"), var(&mut g, "y"));
        let mut chain = x;
        for _ in 0..DEPTH {
            chain = bin(&mut g, BinOp::Add, y, chain);
        }
        // `y + (y + (... x))`: four characters per level, two more for the brackets
        // of every level but the outermost.
        let text = print_expr(&g, chain);
        assert_eq!(text.len(), 1 + 6 * DEPTH - 2);
        assert!(text.starts_with("y + (y + ("));
        let body = text.trim_end_matches(')');
        assert!(body.ends_with("(y + x") && text.len() - body.len() == DEPTH - 1);
        let printed = print_shared(&g, &[chain]);
        assert!(printed.temps.is_empty());
        assert_eq!(printed.results, [text]);
    }
}
