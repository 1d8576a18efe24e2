//! LaTeX printing of graph nodes, the typeset twin of the plain-text printer in
//! `print.rs`: the same walk, the same sharing rule for temporaries, LaTeX notation.
//!
//! [`latex_expr`] prints one node inline; [`latex_shared`] names each shared
//! sub-expression once as `t_{1}`, `t_{2}`, ...; [`latex_aligned`] lays a [`Printed`] out
//! as an `aligned` block.
//!
//! **Printing never recurses over the graph**: an explicit stack of frames writes into
//! one buffer, so a chain of a million nested additions prints in linear time. The
//! parentheses are those of the plain text, except where LaTeX's own structure already
//! groups: the parts of `\frac{a}{b}`, an exponent `x^{...}`, the argument of
//! `\sqrt{...}`. A fraction or `e^{z}` used as the base of a power is bracketed, and the
//! operand of `\sum_{i}` is bracketed unless it is a power or an atom, since a big
//! operator reaches as far right as the reader's eye.

use super::builder::Graph;
use super::node::{BinOp, Func, Item, ItemFunc, NodeId, Op, ProductOp};
use super::print::{Frame, Printed, Walk, shared_nodes};
use std::collections::{HashMap, HashSet};

/// An exponent of `exp` with at most this many nodes (as a tree) prints as `e^{z}`; a
/// longer one as `\exp\left(z\right)`, which stays readable at full size.
const SHORT_EXPONENT: usize = 6;

/// Prints one node as a LaTeX math expression, inline (shared sub-expressions repeated).
///
/// ```
/// use nabla::graph::{BinOp, Func, Graph, VarKind, latex_expr};
/// let mut g = Graph::new();
/// let z = g.var_node("z", VarKind::Free, None);
/// let two = g.int(2);
/// let minus_z = g.unary(Func::Neg, z);
/// let exp = g.unary(Func::Exp, minus_z);
/// let denominator = g.binary(BinOp::Add, two, exp);
/// let one = g.int(1);
/// let quotient = g.binary(BinOp::Div, one, denominator);
/// assert_eq!(latex_expr(&g, quotient), r"\frac{1}{2 + e^{-z}}");
/// ```
pub fn latex_expr(graph: &Graph, root: NodeId) -> String {
    let names = HashMap::new();
    Latex {
        graph,
        names: &names,
    }
    .expand(root)
}

/// Prints several roots in LaTeX, naming every shared sub-expression once as a temporary
/// `t_{1}`, `t_{2}`, ... by the rule of [`print_shared`](super::print_shared) (the same
/// nodes are named; numbering skips names a variable already prints as).
pub fn latex_shared(graph: &Graph, roots: &[NodeId]) -> Printed {
    let shared = shared_nodes(graph, roots);
    let names: HashMap<NodeId, String> = shared.iter().copied().zip(temp_names(graph)).collect();
    let printer = Latex {
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

/// A LaTeX [`Printed`] as an `aligned` block: one `name &= result` line per result
/// (`result_names` are LaTeX already, see [`latex_name`]; a result without a name is
/// written alone), then the temporaries, the first introduced by "where".
pub fn latex_aligned(printed: &Printed, result_names: &[&str]) -> String {
    let results = printed
        .results
        .iter()
        .enumerate()
        .map(|(i, result)| match result_names.get(i) {
            Some(name) => format!("{name} &= {result}"),
            None => format!("&{result}"),
        });
    let temps = printed.temps.iter().enumerate().map(|(i, (name, expr))| {
        let lead = if i == 0 { r"\text{where } " } else { "" };
        format!("{lead}{name} &= {expr}")
    });
    let lines: Vec<String> = results.chain(temps).collect();
    format!(
        "\\begin{{aligned}}\n{}\n\\end{{aligned}}",
        lines.join(" \\\\\n")
    )
}

/// A variable name in LaTeX: `x`, Greek names and letters as commands (`theta`, `θ` ->
/// `\theta`), a subscript after `_` or trailing digits (`b_0`, `b0` -> `b_{0}`), and
/// several letters upright (`loss` -> `\mathrm{loss}`).
pub fn latex_name(name: &str) -> String {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (base, subscript) = match name.split_once('_') {
        Some((base, sub)) if !base.is_empty() && !sub.is_empty() => (base, Some(sub)),
        None if digits > 0 && digits < name.len() => {
            let (base, sub) = name.split_at(name.len() - digits);
            (base, Some(sub))
        }
        _ => (name, None),
    };
    match subscript {
        Some(sub) => {
            let parts: Vec<String> = sub.split('_').map(latex_word).collect();
            format!("{}_{{{}}}", latex_word(base), parts.join(","))
        }
        None => latex_word(base),
    }
}

/// How tightly an expression binds, loosest first; parentheses go around an operand
/// that binds more loosely than its position requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    /// `\sum_{i} a`, which would swallow whatever follows it
    BigOp,
    /// `a + b`, `a - b`
    Sum,
    /// `a \cdot b`, and a constant in scientific form `1.5 \times 10^{-8}`
    Product,
    /// `-a`, and a negative constant
    Prefix,
    /// `a^{b}`, `e^{z}`
    Power,
    /// `\frac{a}{b}`: an atom everywhere except as the base of a power
    Frac,
    /// Names, positive numbers, calls, vectors, temporaries
    Atom,
}

const OPEN: &str = r"\left(";
const CLOSE: &str = r"\right)";

/// Writes nodes in LaTeX; `names` are the temporaries that stand for their nodes.
struct Latex<'a> {
    graph: &'a Graph,
    names: &'a HashMap<NodeId, String>,
}

impl Walk for Latex<'_> {
    fn names(&self) -> &HashMap<NodeId, String> {
        self.names
    }

    fn push_op(&self, id: NodeId, out: &mut String, stack: &mut Vec<Frame>) {
        self.write_op(id, out, stack);
    }
}

impl Latex<'_> {
    /// Writes a leaf into `out`, or pushes the frames of an operator onto `stack`.
    fn write_op(&self, id: NodeId, out: &mut String, stack: &mut Vec<Frame>) {
        let start = stack.len();
        match self.graph.op(id) {
            Op::Const(c) => out.push_str(&latex_number(&c.0.to_string())),
            Op::Pi => out.push_str(r"\pi"),
            Op::Euler => out.push('e'),
            Op::Var(v) => {
                let var = self.graph.var(v);
                let name = latex_name(&var.name);
                // Vectors and matrices are bold, as textbooks write them.
                match var.item.is_scalar() {
                    true => out.push_str(&name),
                    false => out.push_str(&format!(r"\mathbf{{{name}}}")),
                }
            }
            Op::Column(c) => {
                let column = self.graph.column(c).iter();
                let items: Vec<String> = column.map(|n| latex_number(&n.to_string())).collect();
                out.push_str(&format!(r"\left[{}\right]", items.join(", ")));
            }
            Op::Unary(func, a) => self.push_call(func, a, out, stack),
            Op::Binary(op @ (BinOp::Max | BinOp::Min), a, b) => {
                out.push_str(if op == BinOp::Max { r"\max" } else { r"\min" });
                out.push_str(OPEN);
                stack.extend([
                    Frame::Node(a),
                    Frame::Text(", "),
                    Frame::Node(b),
                    Frame::Text(CLOSE),
                ]);
            }
            Op::Binary(BinOp::Div, a, b) => {
                out.push_str(r"\frac{");
                stack.extend([
                    Frame::Node(a),
                    Frame::Text("}{"),
                    Frame::Node(b),
                    Frame::Text("}"),
                ]);
            }
            Op::Binary(BinOp::Pow, a, b) => {
                self.push_operand(a, self.prec(a) < Prec::Atom, stack);
                stack.extend([Frame::Text("^{"), Frame::Node(b), Frame::Text("}")]);
            }
            Op::Binary(op, a, b) => self.push_infix(op, a, b, stack),
            Op::Fill(c, _) => match c.value() {
                0.0 => out.push_str(r"\mathbf{0}"),
                1.0 => out.push_str(r"\mathbf{1}"),
                _ => out.push_str(&format!(r"{} \mathbf{{1}}", latex_number(&c.0.to_string()))),
            },
            Op::Tensor(t) => {
                let (item, values) = self.graph.tensor(t);
                let texts: Vec<String> = values
                    .iter()
                    .map(|n| latex_number(&n.to_string()))
                    .collect();
                let body = match item {
                    Item::Matrix(_, k) => texts
                        .chunks(k.max(1) as usize)
                        .map(|row| row.join(" & "))
                        .collect::<Vec<_>>()
                        .join(r" \\ "),
                    _ => texts.join(r" \\ "),
                };
                out.push_str(&format!(r"\begin{{pmatrix}} {body} \end{{pmatrix}}"));
            }
            Op::Index(a, k) => {
                self.push_operand(a, self.prec(a) < Prec::Atom, stack);
                let index = self.graph.item(a).index_of(k as usize);
                let parts: Vec<String> = index.iter().map(usize::to_string).collect();
                stack.push(Frame::Owned(format!("_{{{}}}", parts.join(","))));
            }
            Op::Item(func, a) => self.push_item_func(func, a, out, stack),
            Op::Product(op, a, b) => self.push_product(op, a, b, stack),
        }
        // The frames were pushed in reading order; the stack pops them last first.
        stack[start..].reverse();
    }

    /// `\sum_k a`, `a^\top`, `\lVert a \rVert`, `\operatorname{softmax}(a)`.
    fn push_item_func(&self, func: ItemFunc, a: NodeId, out: &mut String, stack: &mut Vec<Frame>) {
        match func {
            ItemFunc::Total => {
                out.push_str(r"\mathbf{1}^\top ");
                self.push_operand(a, self.prec(a) < Prec::Power, stack);
            }
            ItemFunc::Transpose => {
                self.push_operand(a, self.prec(a) < Prec::Atom, stack);
                stack.push(Frame::Text(r"^\top"));
            }
            ItemFunc::Norm => {
                out.push_str(r"\left\lVert ");
                stack.extend([Frame::Node(a), Frame::Text(r" \right\rVert")]);
            }
            ItemFunc::Softmax | ItemFunc::Logsumexp | ItemFunc::Diag => {
                out.push_str(&format!(r"\operatorname{{{}}}{OPEN}", func.name()));
                stack.extend([Frame::Node(a), Frame::Text(CLOSE)]);
            }
        }
    }

    /// `a^\top b` of two vectors, `A b` of a matrix product, `a b^\top` of `outer`.
    fn push_product(&self, op: ProductOp, a: NodeId, b: NodeId, stack: &mut Vec<Frame>) {
        let (ai, bi) = (self.graph.item(a), self.graph.item(b));
        let both_vectors = matches!((ai, bi), (Item::Vector(_), Item::Vector(_)));
        let (after_a, after_b) = match op {
            ProductOp::Dot if both_vectors => (r"^\top ", ""),
            ProductOp::Dot => (" ", ""),
            ProductOp::Outer => (" ", r"^\top"),
        };
        self.push_operand(a, self.prec(a) < Prec::Power, stack);
        stack.push(Frame::Text(after_a));
        self.push_operand(b, self.prec(b) < Prec::Power, stack);
        stack.push(Frame::Text(after_b));
    }

    /// Writes the head of `func(a)` into `out` and pushes the rest in reading order.
    fn push_call(&self, func: Func, a: NodeId, out: &mut String, stack: &mut Vec<Frame>) {
        let (head, close) = match func {
            Func::Neg => {
                out.push('-');
                return self.push_operand(a, self.prec(a) < Prec::Power, stack);
            }
            Func::Sum | Func::Mean => {
                let head = if func == Func::Sum {
                    r"\sum_{i} "
                } else {
                    r"\frac{1}{N}\sum_{i} "
                };
                out.push_str(head);
                return self.push_operand(a, self.prec(a) < Prec::Power, stack);
            }
            Func::Exp if self.is_short(a) => ("e^{", "}"),
            Func::Sqrt => (r"\sqrt{", "}"),
            Func::Abs => (r"\left| ", r" \right|"),
            other => {
                out.push_str(func_command(other));
                (OPEN, CLOSE)
            }
        };
        out.push_str(head);
        stack.extend([Frame::Node(a), Frame::Text(close)]);
    }

    /// Pushes `a + b`, `a - b` or `a \cdot b` in reading order, with the parentheses each
    /// operand needs; a number before a name drops the dot (`2 x`).
    fn push_infix(&self, op: BinOp, a: NodeId, b: NodeId, stack: &mut Vec<Frame>) {
        let (symbol, left, right) = match op {
            BinOp::Add => (" + ", Prec::Sum, Prec::Product),
            BinOp::Sub => (" - ", Prec::Sum, Prec::Product),
            _ => (r" \cdot ", Prec::Product, Prec::Prefix),
        };
        let (a_prec, b_prec) = (self.prec(a), self.prec(b));
        let b_parens = b_prec < right || b_prec == Prec::Prefix;
        let juxtapose = op == BinOp::Mul
            && matches!(self.graph.op(a), Op::Const(_))
            && a_prec >= Prec::Prefix
            && !b_parens
            && self.starts_with_name(b);
        self.push_operand(a, a_prec < left, stack);
        stack.push(Frame::Text(if juxtapose { " " } else { symbol }));
        self.push_operand(b, b_parens, stack);
    }

    fn push_operand(&self, id: NodeId, parens: bool, stack: &mut Vec<Frame>) {
        if parens {
            stack.extend([Frame::Text(OPEN), Frame::Node(id), Frame::Text(CLOSE)]);
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
            Op::Const(c) => {
                let text = c.0.to_string();
                if text.starts_with('-') {
                    Prec::Prefix
                } else if text.contains('e') {
                    Prec::Product
                } else {
                    Prec::Atom
                }
            }
            Op::Unary(Func::Neg, _) => Prec::Prefix,
            Op::Unary(Func::Sum | Func::Mean, _) => Prec::BigOp,
            Op::Unary(Func::Exp, a) if self.is_short(a) => Prec::Power,
            Op::Binary(BinOp::Add | BinOp::Sub, ..) => Prec::Sum,
            Op::Binary(BinOp::Mul, ..) => Prec::Product,
            Op::Binary(BinOp::Div, ..) => Prec::Frac,
            Op::Binary(BinOp::Pow, ..) => Prec::Power,
            _ => Prec::Atom,
        }
    }

    /// Whether the node's LaTeX begins with a letter or a command (`x`, `\sin`, `e^{z}`,
    /// `x^{2}`), so that a number before it reads as a product without a dot.
    fn starts_with_name(&self, id: NodeId) -> bool {
        let mut id = id;
        loop {
            if self.names.contains_key(&id) {
                return true;
            }
            match self.graph.op(id) {
                Op::Var(_) | Op::Pi | Op::Euler => return true,
                Op::Unary(Func::Neg | Func::Sum | Func::Mean, _) => return false,
                Op::Unary(..) | Op::Binary(BinOp::Max | BinOp::Min, ..) => return true,
                Op::Binary(BinOp::Pow, a, _) if self.prec(a) == Prec::Atom => id = a,
                _ => return false,
            }
        }
    }

    /// Whether `id` has at most [`SHORT_EXPONENT`] nodes counted as a tree (a named node
    /// counting one); the walk stops as soon as the count is exceeded.
    fn is_short(&self, id: NodeId) -> bool {
        let mut pending = vec![id];
        let mut count = 0;
        while let Some(id) = pending.pop() {
            count += 1;
            if count > SHORT_EXPONENT {
                return false;
            }
            if !self.names.contains_key(&id) {
                pending.extend(self.graph.op(id).operands());
            }
        }
        true
    }
}

/// The LaTeX command that opens a call of `func` (its argument follows in brackets).
fn func_command(func: Func) -> &'static str {
    match func {
        Func::Exp => r"\exp",
        Func::Ln => r"\ln",
        Func::Log2 => r"\log_{2}",
        Func::Log10 => r"\log_{10}",
        Func::Sin => r"\sin",
        Func::Cos => r"\cos",
        Func::Tan => r"\tan",
        Func::Asin => r"\arcsin",
        Func::Acos => r"\arccos",
        Func::Atan => r"\arctan",
        Func::Sinh => r"\sinh",
        Func::Cosh => r"\cosh",
        Func::Tanh => r"\tanh",
        Func::Sigmoid => r"\sigma",
        Func::Softplus => r"\operatorname{softplus}",
        Func::Relu => r"\operatorname{relu}",
        Func::Sign => r"\operatorname{sign}",
        Func::Step => r"\operatorname{step}",
        // Written by `push_call` without a command.
        Func::Neg | Func::Sqrt | Func::Abs | Func::Sum | Func::Mean => "",
    }
}

/// A number as printed by the plain-text printer, in LaTeX: `1.5e-8` becomes
/// `1.5 \times 10^{-8}`, infinities `\infty`.
fn latex_number(text: &str) -> String {
    match text {
        "inf" => r"\infty".to_string(),
        "-inf" => r"-\infty".to_string(),
        "NaN" => r"\mathrm{NaN}".to_string(),
        _ => match text.split_once('e') {
            Some((mantissa, exponent)) => format!(r"{mantissa} \times 10^{{{exponent}}}"),
            None => text.to_string(),
        },
    }
}

/// Greek letters that LaTeX has commands for, and the commands' names, in the same order.
const GREEK_LETTERS: &str = "αβγδεζηθικλμνξπρσςτυφχψωΓΔΘΛΞΠΣΥΦΨΩ";
const GREEK_NAMES: [&str; 35] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "varsigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega",
];

/// One part of a name: digits and single letters as they are, a Greek letter or its
/// spelled name as a command, several letters upright in `\mathrm{...}`.
fn latex_word(word: &str) -> String {
    if GREEK_NAMES.contains(&word) {
        return format!(r"\{word}");
    }
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return word.to_string();
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c != '_'
    {
        return greek_command(c).unwrap_or_else(|| c.to_string());
    }
    let mut body = String::new();
    for c in word.chars() {
        match greek_command(c) {
            // Spaces are ignored in math mode but end the command: `\eta x`.
            Some(command) => body.push_str(&format!("{command} ")),
            None if c == '_' => body.push_str(r"\_"),
            None => body.push(c),
        }
    }
    format!(r"\mathrm{{{}}}", body.trim_end())
}

fn greek_command(c: char) -> Option<String> {
    let index = GREEK_LETTERS.chars().position(|letter| letter == c)?;
    Some(format!(r"\{}", GREEK_NAMES[index]))
}

/// `t_{1}`, `t_{2}`, ... without the names the graph's variables print as.
fn temp_names(graph: &Graph) -> impl Iterator<Item = String> {
    let taken: HashSet<String> = graph.vars().map(|(_, v)| latex_name(&v.name)).collect();
    (1u64..)
        .map(|k| format!("t_{{{k}}}"))
        .filter(move |name| !taken.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::VarKind;
    use crate::graph::print::tests::reparse;

    /// Lowers `text` (free variables only) into a fresh graph and prints it in LaTeX.
    fn check(text: &str) -> String {
        let mut g = Graph::new();
        let root = reparse(&mut g, text).unwrap_or_else(|| panic!("{text:?} does not lower"));
        latex_expr(&g, root)
    }

    fn check_all(cases: &[(&str, &str)]) {
        for (text, expected) in cases {
            assert_eq!(check(text), *expected, "LaTeX of {text:?}");
        }
    }

    #[test]
    fn fractions_products_powers() {
        check_all(&[
            ("1/(2 + exp(-z))", r"\frac{1}{2 + e^{-z}}"),
            ("1/(1 + exp(-z))", r"\sigma\left(z\right)"),
            ("w*x + b", r"w \cdot x + b"),
            ("(a + b)^2", r"\left(a + b\right)^{2}"),
            ("(a/b)^2", r"\left(\frac{a}{b}\right)^{2}"),
            ("a/b*c", r"\frac{a}{b} \cdot c"),
            ("a/(b*c)", r"\frac{a}{b \cdot c}"),
            ("a^b^c", r"a^{b^{c}}"),
            ("(a^b)^c", r"\left(a^{b}\right)^{c}"),
            ("x^(-2)", r"x^{-2}"),
            ("-(a + b)", r"-\left(a + b\right)"),
            ("-x^2", r"-x^{2}"),
            ("(-x)^2", r"\left(-x\right)^{2}"),
            ("a*(-b)", r"a \cdot \left(-b\right)"),
            ("a - (b - c)", r"a - \left(b - c\right)"),
            ("-a/b", r"\frac{-a}{b}"),
            ("pi*r^2", r"\pi \cdot r^{2}"),
        ]);
    }

    #[test]
    fn a_number_before_a_name_drops_the_dot() {
        check_all(&[
            ("2*x", "2 x"),
            ("2*x^2", "2 x^{2}"),
            ("-2*x", "-2 x"),
            ("0.5*sin(x)", r"0.5 \sin\left(x\right)"),
            ("2*pi", r"2 \pi"),
            ("2*exp(x)", r"2 e^{x}"),
            ("x*2", r"x \cdot 2"),
            ("2*3^x", r"2 \cdot 3^{x}"),
            ("2*(a + b)", r"2 \cdot \left(a + b\right)"),
            ("2*(a/b)", r"2 \cdot \frac{a}{b}"),
        ]);
    }

    #[test]
    fn functions() {
        check_all(&[
            ("exp(-(w*x + b))", r"e^{-\left(w \cdot x + b\right)}"),
            (
                "exp(w*x + b*y + c)",
                r"\exp\left(w \cdot x + b \cdot y + c\right)",
            ),
            ("exp(x)^2", r"\left(e^{x}\right)^{2}"),
            ("e^x", r"e^{x}"),
            (
                "ln(x) + log2(x)",
                r"\ln\left(x\right) + \log_{2}\left(x\right)",
            ),
            ("log10(x)", r"\log_{10}\left(x\right)"),
            ("sqrt(abs(x))", r"\sqrt{\left| x \right|}"),
            (
                "sin(x)*cos(x)",
                r"\sin\left(x\right) \cdot \cos\left(x\right)",
            ),
            ("asin(x) + atanh", r"\arcsin\left(x\right) + \mathrm{atanh}"),
            ("tanh(acos(x))", r"\tanh\left(\arccos\left(x\right)\right)"),
            ("sigmoid(z)", r"\sigma\left(z\right)"),
            ("softplus(z)", r"\operatorname{softplus}\left(z\right)"),
            (
                "relu(z) - step(z)",
                r"\operatorname{relu}\left(z\right) - \operatorname{step}\left(z\right)",
            ),
            (
                "max(a, b) + min(a, e)",
                r"\max\left(a, b\right) + \min\left(a, e\right)",
            ),
            (
                "sum(sign(x))",
                r"\sum_{i} \operatorname{sign}\left(x\right)",
            ),
        ]);
    }

    #[test]
    fn sums_are_bracketed_where_they_would_swallow_a_term() {
        check_all(&[
            ("sum(x)", r"\sum_{i} x"),
            (
                "sum((y - w*x)^2)",
                r"\sum_{i} \left(y - w \cdot x\right)^{2}",
            ),
            ("sum(y - x)", r"\sum_{i} \left(y - x\right)"),
            ("sum(x) + 1", r"\left(\sum_{i} x\right) + 1"),
            ("sum(x)/n", r"\frac{\sum_{i} x}{n}"),
            ("-sum(x)", r"-\left(\sum_{i} x\right)"),
        ]);
    }

    #[test]
    fn names() {
        check_all(&[
            ("η*θ", r"\eta \cdot \theta"),
            ("b_0 + theta1 + lambda", r"b_{0} + \theta_{1} + \lambda"),
            ("loss + w_hidden", r"\mathrm{loss} + w_{\mathrm{hidden}}"),
            (
                "x_1_2 + ηθ + x10",
                r"x_{1,2} + \mathrm{\eta \theta} + x_{10}",
            ),
        ]);
        assert_eq!(latex_name("_x"), r"\mathrm{\_x}");
        assert_eq!(latex_name("x_"), r"\mathrm{x\_}");
        assert_eq!(latex_name("Δ"), r"\Delta");
    }

    #[test]
    fn numbers() {
        assert_eq!(
            latex_number("3.0590228625390625e-8"),
            r"3.0590228625390625 \times 10^{-8}"
        );
        assert_eq!(latex_number("-inf"), r"-\infty");
        assert_eq!(latex_number("0.25"), "0.25");
        let mut g = Graph::new();
        let x = g.var_node("x", VarKind::Free, None);
        let tiny = g.constant(crate::syntax::Number::from_f64(1.5e-30));
        let power = g.binary(BinOp::Pow, tiny, x);
        assert_eq!(
            latex_expr(&g, power),
            r"\left(1.5 \times 10^{-30}\right)^{x}"
        );
    }

    #[test]
    fn shared_nodes_become_temporaries() {
        let mut g = Graph::new();
        let text = "s = sigmoid(w*x + b)\n(s - t1)*(s*(1 - s))*(-x)";
        let grad = reparse(&mut g, text).expect("lowers");
        let f = reparse(&mut g, "sigmoid(w*x + b)").expect("lowers");
        let printed = latex_shared(&g, &[grad, f]);
        // `t_{1}` is what the variable `t1` prints as, so the temporary is `t_{2}`.
        let temp = (
            "t_{2}".to_string(),
            r"\sigma\left(w \cdot x + b\right)".to_string(),
        );
        assert_eq!(printed.temps, vec![temp]);
        let grad_latex = concat!(
            r"\left(t_{2} - t_{1}\right) \cdot ",
            r"\left(t_{2} \cdot \left(1 - t_{2}\right)\right) \cdot \left(-x\right)"
        );
        assert_eq!(printed.results, [grad_latex, "t_{2}"]);
        assert_eq!(
            latex_aligned(&printed, &[r"\frac{\partial f}{\partial w}"]),
            format!(
                "\\begin{{aligned}}\n\\frac{{\\partial f}}{{\\partial w}} &= {grad_latex} \\\\\n\
                 &t_{{2}} \\\\\n\\text{{where }} t_{{2}} &= \\sigma\\left(w \\cdot x + b\\right)\n\
                 \\end{{aligned}}"
            )
        );
        let unshared = reparse(&mut g, "1 - sigmoid(w*x + b)").expect("lowers");
        assert!(latex_shared(&g, &[unshared]).temps.is_empty());
    }

    #[test]
    fn deep_chain_prints_without_recursion() {
        const DEPTH: usize = 1_000_000;
        let mut g = Graph::new();
        let x = g.var_node("x", VarKind::Free, None);
        let y = g.var_node("y", VarKind::Free, None);
        let mut chain = x;
        for _ in 0..DEPTH {
            chain = g.binary(BinOp::Add, y, chain);
        }
        // `y + \left(y + \left(... x\right)\right)`: four characters per level, and
        // thirteen more for the brackets of every level but the outermost.
        let text = latex_expr(&g, chain);
        assert_eq!(text.len(), 1 + 4 * DEPTH + 13 * (DEPTH - 1));
        assert!(text.starts_with(r"y + \left(y + \left("));
        let body = text.trim_end_matches(r"\right)");
        assert!(body.ends_with(r"\left(y + x") && text.len() - body.len() == 7 * (DEPTH - 1));
        let printed = latex_shared(&g, &[chain]);
        assert!(printed.temps.is_empty());
        assert_eq!(printed.results, [text]);
        let mut exps = x;
        for _ in 0..DEPTH {
            exps = g.unary(Func::Exp, exps);
        }
        assert!(latex_expr(&g, exps).starts_with(r"\exp\left(\exp\left("));
    }
}
