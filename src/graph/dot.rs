//! Graphviz DOT export of the nodes that some roots depend on, with the adjoint nodes
//! added by differentiation told apart from the forward ones.
//!
//! The labels, shapes and operand positions come from the node's [`Op`]. Nodes and
//! edges are written in increasing id order, so the text is deterministic.

use super::builder::Graph;
use super::node::{BinOp, Func, NodeId, Op, VarKind};
use std::collections::HashSet;

/// Fill of the nodes of the function itself.
const FORWARD_FILL: &str = "#dbe9f6";
/// Fill of the nodes added by differentiation.
const ADJOINT_FILL: &str = "#fde2c8";
/// How many items of a vector literal its label shows.
const COLUMN_ITEMS: usize = 4;

/// The DOT text of the nodes `roots` depend on: one `nK [label=...]` line per node, one
/// edge per operand from operand to user (`n1 -> n3`, labelled `1`/`2` for the operands
/// of `-`, `/` and `^`), and a box per root carrying its name (`loss`, `d loss/d w`).
///
/// Nodes in `adjoint` (those only the derivatives use) are filled orange, the others
/// blue. Params are double circles, data columns 3-D
/// boxes, free names circles, numbers boxes and operators ellipses.
///
/// ```
/// use nabla::graph::{BinOp, Graph, VarKind, dot};
/// let mut g = Graph::new();
/// let w = g.var_node("w", VarKind::Param, None);
/// let x = g.var_node("x", VarKind::Data, None);
/// let wx = g.binary(BinOp::Mul, w, x);
/// let text = dot(&g, &[("f".to_string(), wx)], None);
/// assert!(text.contains("n0 -> n2;\n  n1 -> n2;"));
/// ```
pub fn dot(graph: &Graph, roots: &[(String, NodeId)], adjoint: Option<&HashSet<NodeId>>) -> String {
    let root_ids: Vec<NodeId> = roots.iter().map(|(_, id)| *id).collect();
    let reachable = graph.reachable(&root_ids);
    let mut out = String::from("digraph nabla {\n");
    out.push_str(&legend(adjoint.is_some()));
    out.push_str("  rankdir=BT;\n  node [style=filled, fontname=\"Helvetica\"];\n");
    for &id in &reachable {
        let adjoint = adjoint.is_some_and(|set| set.contains(&id));
        let fill = if adjoint { ADJOINT_FILL } else { FORWARD_FILL };
        out.push_str(&format!(
            "  {id} [label=\"{}\", shape={}, fillcolor=\"{fill}\"];\n",
            escape(&label(graph, id)),
            shape(graph, id),
        ));
    }
    for &id in &reachable {
        out.push_str(&edges(graph, id));
    }
    for (k, (name, id)) in roots.iter().enumerate() {
        out.push_str(&format!(
            "  r{k} [label=\"{}\", shape=box, style=bold];\n  \
             {id} -> r{k} [dir=back, style=dashed];\n",
            escape(name)
        ));
    }
    out.push_str("}\n");
    out
}

/// The comment that explains colours, shapes and edge labels.
fn legend(with_adjoint: bool) -> String {
    let mut text = format!("  // Legend: forward nodes are blue ({FORWARD_FILL}).\n");
    if with_adjoint {
        text.push_str(&format!(
            "  // Adjoint nodes, which only the derivatives use, are orange ({ADJOINT_FILL}).\n"
        ));
    }
    text.push_str(
        "  // Params are double circles, data columns 3-D boxes, free names circles,\n  \
         // numbers boxes, operators ellipses. Edges run from operand to user; 1 and 2\n  \
         // mark the operands of -, / and ^. Bold boxes name the roots.\n",
    );
    text
}

/// The operator symbol, function name, number or variable name of a node.
fn label(graph: &Graph, id: NodeId) -> String {
    match graph.op(id) {
        Op::Const(c) => c.0.to_string(),
        Op::Pi => "π".to_string(),
        Op::Euler => "e".to_string(),
        Op::Var(v) => graph.var(v).name.clone(),
        Op::Column(c) => {
            let values = graph.column(c);
            let mut items: Vec<String> = values
                .iter()
                .take(COLUMN_ITEMS)
                .map(|n| n.to_string())
                .collect();
            if values.len() > COLUMN_ITEMS {
                items.push("…".to_string());
            }
            format!("[{}]", items.join(", "))
        }
        Op::Unary(Func::Neg, _) => "neg".to_string(),
        Op::Unary(func, _) => func.name().to_string(),
        Op::Binary(op, ..) => op.symbol().to_string(),
        Op::Fill(c, item) => super::print::fill_text(c, item),
        Op::Tensor(t) => {
            let (item, values) = graph.tensor(t);
            let mut texts: Vec<String> = values
                .iter()
                .take(COLUMN_ITEMS)
                .map(|n| n.to_string())
                .collect();
            if values.len() > COLUMN_ITEMS {
                texts.push("…".to_string());
                return format!("{{{}}} {item}", texts.join(", "));
            }
            super::print::braces(item, &texts)
        }
        Op::Index(a, k) => {
            let index: Vec<String> = graph
                .item(a)
                .index_of(k as usize)
                .iter()
                .map(usize::to_string)
                .collect();
            format!("[{}]", index.join(", "))
        }
        Op::Item(func, _) => func.name().to_string(),
        Op::Product(op, ..) => op.name().to_string(),
    }
}

fn shape(graph: &Graph, id: NodeId) -> &'static str {
    match graph.op(id) {
        Op::Var(v) => match graph.var(v).kind {
            VarKind::Param => "doublecircle",
            VarKind::Data => "box3d",
            VarKind::Free => "circle",
        },
        Op::Const(_) | Op::Pi | Op::Euler | Op::Column(_) | Op::Fill(..) | Op::Tensor(_) => "box",
        Op::Unary(..) | Op::Binary(..) | Op::Index(..) | Op::Item(..) | Op::Product(..) => {
            "ellipse"
        }
    }
}

/// The edges into `id`, one per operand, numbered where the operand order matters.
fn edges(graph: &Graph, id: NodeId) -> String {
    match graph.op(id) {
        Op::Binary(BinOp::Sub | BinOp::Div | BinOp::Pow, a, b) | Op::Product(_, a, b) => {
            format!("  {a} -> {id} [label=\"1\"];\n  {b} -> {id} [label=\"2\"];\n")
        }
        op => op
            .operands()
            .map(|operand| format!("  {operand} -> {id};\n"))
            .collect(),
    }
}

/// `text` inside a DOT string: backslashes and quotes escaped, line breaks as `\n`.
fn escape(text: &str) -> String {
    text.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `w*x + b` with a param, a data column and a free name, and `d/dw` of `(w*x)^2`
    /// built after it: `2*(w*x)*x` (the adjoint nodes).
    fn neuron() -> (Graph, NodeId, NodeId, NodeId) {
        let mut g = Graph::new();
        let w = g.var_node("w", VarKind::Param, None);
        let x = g.var_node("x", VarKind::Data, None);
        let b = g.var_node("b", VarKind::Free, None);
        let wx = g.binary(BinOp::Mul, w, x);
        let z = g.binary(BinOp::Add, wx, b);
        let two = g.int(2);
        let loss = g.binary(BinOp::Pow, z, two);
        let first_adjoint = NodeId(g.len() as u32);
        let twice = g.binary(BinOp::Mul, two, z);
        let grad = g.binary(BinOp::Mul, twice, x);
        (g, loss, grad, first_adjoint)
    }

    #[test]
    fn forward_nodes_and_edges() {
        let (g, loss, _, _) = neuron();
        let text = dot(&g, &[("loss".to_string(), loss)], None);
        let expected = r##"digraph nabla {
  // Legend: forward nodes are blue (#dbe9f6).
  // Params are double circles, data columns 3-D boxes, free names circles,
  // numbers boxes, operators ellipses. Edges run from operand to user; 1 and 2
  // mark the operands of -, / and ^. Bold boxes name the roots.
  rankdir=BT;
  node [style=filled, fontname="Helvetica"];
  n0 [label="w", shape=doublecircle, fillcolor="#dbe9f6"];
  n1 [label="x", shape=box3d, fillcolor="#dbe9f6"];
  n2 [label="b", shape=circle, fillcolor="#dbe9f6"];
  n3 [label="*", shape=ellipse, fillcolor="#dbe9f6"];
  n4 [label="+", shape=ellipse, fillcolor="#dbe9f6"];
  n5 [label="2", shape=box, fillcolor="#dbe9f6"];
  n6 [label="^", shape=ellipse, fillcolor="#dbe9f6"];
  n0 -> n3;
  n1 -> n3;
  n3 -> n4;
  n2 -> n4;
  n4 -> n6 [label="1"];
  n5 -> n6 [label="2"];
  r0 [label="loss", shape=box, style=bold];
  n6 -> r0 [dir=back, style=dashed];
}
"##;
        assert_eq!(text, expected);
    }

    #[test]
    fn adjoint_nodes_are_orange() {
        let (g, loss, grad, first_adjoint) = neuron();
        let roots = [("loss".to_string(), loss), ("d loss/d w".to_string(), grad)];
        let adjoint: HashSet<NodeId> = g
            .reachable(&[grad])
            .into_iter()
            .filter(|n| *n >= first_adjoint)
            .collect();
        let text = dot(&g, &roots, Some(&adjoint));
        assert!(
            text.contains(
                "// Adjoint nodes, which only the derivatives use, are orange (#fde2c8)."
            )
        );
        assert!(text.contains("  n7 [label=\"*\", shape=ellipse, fillcolor=\"#fde2c8\"];\n"));
        assert!(text.contains("  n8 [label=\"*\", shape=ellipse, fillcolor=\"#fde2c8\"];\n"));
        assert!(text.contains("  n4 [label=\"+\", shape=ellipse, fillcolor=\"#dbe9f6\"];\n"));
        assert!(text.contains("  n5 -> n7;\n  n4 -> n7;\n  n7 -> n8;\n  n1 -> n8;\n"));
        assert!(text.contains("  r1 [label=\"d loss/d w\", shape=box, style=bold];\n  n8 -> r1"));
        assert_eq!(text, dot(&g, &roots, Some(&adjoint)), "deterministic");
    }

    #[test]
    fn only_reachable_nodes_and_escaped_labels() {
        let mut g = Graph::new();
        let quoted = g.var_node("a\"b\\c", VarKind::Free, None);
        let unused = g.var_node("unused", VarKind::Free, None);
        let neg = g.unary(Func::Neg, quoted);
        let sine = g.unary(Func::Sin, neg);
        let text = dot(&g, &[("say \"hi\"".to_string(), sine)], None);
        assert!(text.contains(r#"  n0 [label="a\"b\\c", shape=circle"#));
        assert!(text.contains("  n2 [label=\"neg\""));
        assert!(text.contains("  n3 [label=\"sin\""));
        assert!(text.contains(r#"  r0 [label="say \"hi\"""#));
        assert!(!text.contains(&format!("{unused} [")));
    }
}
