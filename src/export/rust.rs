//! The Rust target: a module file with one `pub fn` over slices, only `std`, written
//! as `rustfmt` would format it (lines stay short: see `plan::MAX_INLINE_WEIGHT`).

mod helpers;

use super::Signature;
use super::names::{COMPONENT, Dialect, ident, write};
use super::plan::{Array, Expr, Index, Local, Operand, Output, Phase, Plan, Sum, Value};
use crate::graph::{BinOp, Func, Item, ItemFunc, ProductOp};
use helpers::helpers;

/// Rust keywords, the helpers' names and the names the function uses.
const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield", "f64", "std", "core", "sigmoid",
    "softplus", "relu", "sign", "step", "acc",
];

/// The width rustfmt formats to.
const MAX_WIDTH: usize = 100;

/// The identifiers of the params and data columns.
struct Rust {
    params: Vec<String>,
    data: Vec<String>,
}

impl Dialect for Rust {
    fn param(&self, k: usize) -> String {
        self.params[k].clone()
    }

    fn data(&self, k: usize) -> String {
        format!("{}[i]", self.data[k])
    }

    fn call(&self, func: Func, arg: &str) -> String {
        let name = match func {
            Func::Neg => return format!("-({arg})"),
            Func::Exp => "f64::exp",
            Func::Ln => "f64::ln",
            Func::Log2 => "f64::log2",
            Func::Log10 => "f64::log10",
            Func::Sqrt => "f64::sqrt",
            Func::Abs => "f64::abs",
            Func::Sin => "f64::sin",
            Func::Cos => "f64::cos",
            Func::Tan => "f64::tan",
            Func::Asin => "f64::asin",
            Func::Acos => "f64::acos",
            Func::Atan => "f64::atan",
            Func::Sinh => "f64::sinh",
            Func::Cosh => "f64::cosh",
            Func::Tanh => "f64::tanh",
            Func::Sigmoid => "sigmoid",
            Func::Softplus => "softplus",
            Func::Relu => "relu",
            Func::Sign => "sign",
            Func::Step => "step",
            Func::Sum | Func::Mean => "",
        };
        format!("{name}({arg})")
    }

    fn call2(&self, op: BinOp, a: &str, b: &str) -> String {
        let name = match op {
            BinOp::Max => "f64::max",
            BinOp::Min => "f64::min",
            _ => "f64::powf",
        };
        format!("{name}({a}, {b})")
    }

    fn elem(&self, operand: &Operand, index: Index) -> String {
        let k = match index {
            Index::Each => COMPONENT.to_string(),
            Index::At(k) => k.to_string(),
        };
        match operand.array {
            Array::Param(p) => format!("{}[{k}]", self.params[p]),
            Array::Data(d) => format!("{}[i * {} + {k}]", self.data[d], operand.item.size()),
            Array::Local(t) => format!("t{t}[{k}]"),
        }
    }
}

impl Rust {
    /// An array as a helper's slice argument: a param's block, the current row of a
    /// data column, a local.
    fn slice(&self, operand: &Operand) -> String {
        match operand.array {
            Array::Param(p) => self.params[p].clone(),
            Array::Data(d) => {
                let size = operand.item.size();
                format!("&{}[i * {size}..(i + 1) * {size}]", self.data[d])
            }
            Array::Local(t) => format!("&t{t}"),
        }
    }
}

/// The Rust file.
pub fn render(signature: &Signature, plan: &Plan) -> String {
    let names = |user: &[String], kind: &str| -> Vec<String> {
        let name = |(k, n): (usize, &String)| ident(n, format!("{kind}_{k}"), RESERVED);
        user.iter().enumerate().map(name).collect()
    };
    let rust = Rust {
        params: names(&signature.params, "param"),
        data: names(&signature.data, "data"),
    };
    let call = function_line(signature, plan);
    let mut out = String::new();
    let hess = if signature.hessian {
        ", hess: &mut [f64]"
    } else {
        ""
    };
    let shown = format!(
        "pub fn {}(params: &[f64], data: &[&[f64]], n_rows: usize, grad: &mut [f64]{hess}) -> f64",
        signature.function
    );
    for line in signature.header_lines(&shown) {
        out.push_str(format!("//! {line}").trim_end());
        out.push('\n');
    }
    out.push_str("//!\n//! Only `std`: include it as a module (`mod NAME;`).\n");
    out.push_str(ALLOWS);
    out.push('\n');
    out.push_str(&format!(
        "/// `{}` and its derivatives; see the module docs for the arrays.\n",
        signature.objective
    ));
    out.push_str(&call);
    out.push_str(&body(&rust, signature, plan));
    out.push_str("}\n");
    out.push_str(&helpers(plan));
    out
}

/// Lints that generated arithmetic trips without being wrong.
const ALLOWS: &str = "#![allow(
    clippy::approx_constant,
    clippy::excessive_precision,
    clippy::needless_range_loop,
    clippy::neg_multiply,
    clippy::let_and_return
)]
";

/// `pub fn ...(...) -> f64 {`, on one line when it fits, else one argument per line.
fn function_line(signature: &Signature, plan: &Plan) -> String {
    let unused = |used: bool, name: &str| {
        if used {
            name.to_string()
        } else {
            format!("_{name}")
        }
    };
    let mut args = vec![
        format!(
            "{}: &[f64]",
            unused(plan.params_used.contains(&true), "params")
        ),
        format!(
            "{}: &[&[f64]]",
            unused(plan.data_used.contains(&true), "data")
        ),
        format!("{}: usize", unused(reads_n_rows(plan), "n_rows")),
        format!("{}: &mut [f64]", unused(!plan.gradient.is_empty(), "grad")),
    ];
    if signature.hessian {
        args.push(format!(
            "{}: &mut [f64]",
            unused(!plan.hessian.is_empty(), "hess")
        ));
    }
    let one_line = format!(
        "pub fn {}({}) -> f64 {{\n",
        signature.function,
        args.join(", ")
    );
    if one_line.len() <= MAX_WIDTH + 1 {
        return one_line;
    }
    let listed: String = args.iter().map(|a| format!("    {a},\n")).collect();
    format!("pub fn {}(\n{listed}) -> f64 {{\n", signature.function)
}

fn body(rust: &Rust, signature: &Signature, plan: &Plan) -> String {
    let mut out = String::new();
    let offsets = signature.param_offsets();
    for (k, name) in rust.params.iter().enumerate() {
        if !plan.params_used[k] {
            continue;
        }
        let (offset, item) = (offsets[k], signature.param_items[k]);
        out.push_str(&match item {
            Item::Scalar => format!("    let {name} = params[{offset}];\n"),
            _ => format!(
                "    let {name} = &params[{offset}..{}];\n",
                offset + item.size()
            ),
        });
    }
    for (k, name) in rust.data.iter().enumerate() {
        out.push_str(&match signature.data_items[k] {
            Item::Scalar => format!("    let {name} = &data[{k}][..n_rows];\n"),
            item => format!("    let {name} = &data[{k}][..n_rows * {}];\n", item.size()),
        });
    }
    if plan.reads_rows() {
        out.push_str("    let rows = n_rows as f64;\n");
    }
    for phase in &plan.phases {
        out.push_str(&phase_code(rust, phase));
    }
    let gradient = plan.gradient.iter().zip(signature.gradient_offsets());
    for (output, offset) in gradient {
        out.push_str(&output_code(rust, output, offset));
    }
    for (k, h) in plan.hessian.iter().enumerate() {
        out.push_str(&format!("    hess[{k}] = {};\n", write(h, rust)));
    }
    out.push_str(&format!("    {}\n", write(&plan.loss, rust)));
    out
}

/// `grad[3] = ...;`, or a loop over the components of an array output's block.
fn output_code(rust: &Rust, output: &Output, offset: usize) -> String {
    let value = write(&output.value, rust);
    match output.item {
        Item::Scalar => format!("    grad[{offset}] = {value};\n"),
        item => {
            let statement = format!("grad[{}] = {value};", at_offset(offset));
            component_loop("    ", item.size(), &statement)
        }
    }
}

/// `for k in 0..size { statement }`, as rustfmt writes it.
fn component_loop(indent: &str, size: usize, statement: &str) -> String {
    format!("{indent}for {COMPONENT} in 0..{size} {{\n{indent}    {statement}\n{indent}}}\n")
}

fn phase_code(rust: &Rust, phase: &Phase) -> String {
    let mut out = String::new();
    for l in &phase.scalars {
        out.push_str(&declaration("    ", l));
        out.push_str(&local_code(rust, "    ", l));
    }
    if phase.sums.is_empty() {
        return out;
    }
    for l in phase.rows.iter().filter(|l| !l.item.is_scalar()) {
        out.push_str(&declaration("    ", l));
    }
    for s in &phase.sums {
        let init = array_of("Neumaier::default()", s.item);
        out.push_str(&format!("    let mut acc{} = {init};\n", s.local));
    }
    out.push_str("    for start in (0..n_rows).step_by(256) {\n");
    out.push_str("        let end = n_rows.min(start + 256);\n");
    for s in &phase.sums {
        let init = array_of("0.0", s.item);
        out.push_str(&format!("        let mut sum{} = {init};\n", s.local));
    }
    out.push_str("        for i in start..end {\n");
    for l in &phase.rows {
        out.push_str(&local_code(rust, "            ", l));
    }
    for s in &phase.sums {
        out.push_str(&sum_step(rust, s));
    }
    out.push_str("        }\n");
    for s in &phase.sums {
        let k = s.local;
        out.push_str(&match s.item {
            Item::Scalar => format!("        acc{k} += sum{k};\n"),
            item => {
                let statement = format!("acc{k}[{COMPONENT}] += sum{k}[{COMPONENT}];");
                component_loop("        ", item.size(), &statement)
            }
        });
    }
    out.push_str("    }\n");
    for s in &phase.sums {
        out.push_str(&sum_result(s));
    }
    out
}

/// `sum3 += value;` in the row loop, componentwise for an array.
fn sum_step(rust: &Rust, s: &Sum) -> String {
    let value = write(&s.value, rust);
    match s.item {
        Item::Scalar => format!("            sum{} += {value};\n", s.local),
        item => {
            let statement = format!("sum{}[{COMPONENT}] += {value};", s.local);
            component_loop("            ", item.size(), &statement)
        }
    }
}

/// The sum's local after the loop (divided by the row count for a mean).
fn sum_result(s: &Sum) -> String {
    let k = s.local;
    let mean = if s.mean { " / rows" } else { "" };
    match s.item {
        Item::Scalar => format!("    let t{k} = acc{k}.total(){mean};\n"),
        item => {
            let mut out = format!("    let mut t{k} = {};\n", array_of("0.0", item));
            let statement = format!("t{k}[{COMPONENT}] = acc{k}[{COMPONENT}].total(){mean};");
            out.push_str(&component_loop("    ", item.size(), &statement));
            out
        }
    }
}

/// The most components of an array kept on the stack (`[0.0; K]`); larger ones are
/// `vec!`s.
const MAX_STACK_ARRAY: usize = 4096;

/// `value` for a scalar, else an array of the item's size holding it everywhere.
fn array_of(value: &str, item: Item) -> String {
    match item.size() {
        _ if item.is_scalar() => value.to_string(),
        size if size <= MAX_STACK_ARRAY => format!("[{value}; {size}]"),
        size => format!("vec![{value}; {size}]"),
    }
}

/// The declaration of an array local (before the loop that fills it), or nothing.
fn declaration(indent: &str, l: &Local) -> String {
    match (&l.value, l.item) {
        (_, Item::Scalar) | (Value::Tensor(_), _) => String::new(),
        (_, item) => format!(
            "{indent}let mut t{} = {};\n",
            l.local,
            array_of("0.0", item)
        ),
    }
}

/// The statements that compute a local (an array declared before).
fn local_code(rust: &Rust, indent: &str, l: &Local) -> String {
    let t = l.local;
    let size = l.item.size();
    match &l.value {
        Value::Scalar(e) => format!("{indent}let t{t} = {};\n", write(e, rust)),
        Value::Map(e) => {
            let statement = format!("t{t}[{COMPONENT}] = {};", write(e, rust));
            component_loop(indent, size, &statement)
        }
        Value::Tensor(values) => tensor(rust, indent, t, values),
        Value::Product(op, a, b) => {
            let (sa, sb) = (rust.slice(a), rust.slice(b));
            let call = product_call(*op, a, b, &sa, &sb, l.item);
            match l.item {
                Item::Scalar => format!("{indent}let t{t} = {call};\n"),
                _ => format!("{indent}{call}&mut t{t});\n"),
            }
        }
        Value::Item(func, a) => {
            let call = item_call(*func, a, &rust.slice(a));
            match l.item {
                Item::Scalar => format!("{indent}let t{t} = {call});\n"),
                _ => format!("{indent}{call}, &mut t{t});\n"),
            }
        }
    }
}

/// A constant array: `let t3 = [1.0, 2.0];`, one component per line when long (as
/// rustfmt breaks it).
fn tensor(rust: &Rust, indent: &str, t: u32, values: &[f64]) -> String {
    let values: Vec<String> = values
        .iter()
        .map(|v| write(&Expr::Number(*v), rust))
        .collect();
    let one_line = format!("{indent}let t{t} = [{}];\n", values.join(", "));
    if one_line.len() <= MAX_WIDTH + 1 {
        return one_line;
    }
    let listed: String = values
        .iter()
        .map(|v| format!("{indent}    {v},\n"))
        .collect();
    format!("{indent}let t{t} = [\n{listed}{indent}];\n")
}

/// `dot(a, b, 1, 40)` (a scalar), or the start of `matmul(...)`/`outer(...)` whose
/// last argument, the output, the caller adds.
fn product_call(op: ProductOp, a: &Operand, b: &Operand, sa: &str, sb: &str, item: Item) -> String {
    match op {
        ProductOp::Outer => format!("outer({sa}, {sb}, "),
        ProductOp::Dot if item.is_scalar() => format!("dot({sa}, {sb}, 1, {})", a.item.size()),
        ProductOp::Dot => {
            let n = a.item.dims().last().copied().unwrap_or(1);
            let m = a.item.size() / n.max(1);
            let p = b.item.size() / n.max(1);
            format!("matmul({sa}, {sb}, {m}, {n}, {p}, ")
        }
    }
}

/// The start of a call of an item function, without its closing parenthesis (the
/// caller adds the output of an array result).
fn item_call(func: ItemFunc, a: &Operand, sa: &str) -> String {
    match func {
        ItemFunc::Total => format!("total({sa}"),
        ItemFunc::Norm => format!("norm({sa}"),
        ItemFunc::Logsumexp => format!("logsumexp({sa}"),
        ItemFunc::Softmax => format!("softmax({sa}"),
        ItemFunc::Diag => {
            let k = a.item.dims().last().copied().unwrap_or(1);
            format!("diag({sa}, {k}, {}", a.item.dims().len() == 1)
        }
        ItemFunc::Transpose => {
            let dims = a.item.dims();
            let (m, n) = (
                dims.first().copied().unwrap_or(1),
                dims.last().copied().unwrap_or(1),
            );
            format!("transpose({sa}, {m}, {n}")
        }
    }
}

/// `k` from offset 0, else `3 + k`.
fn at_offset(offset: usize) -> String {
    match offset {
        0 => COMPONENT.to_string(),
        _ => format!("{offset} + {COMPONENT}"),
    }
}

/// Whether the function reads `n_rows`: to cut the data slices, loop, or as a number.
fn reads_n_rows(plan: &Plan) -> bool {
    !plan.data_used.is_empty() || plan.has_loop() || plan.reads_rows()
}
