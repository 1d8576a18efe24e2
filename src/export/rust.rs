//! The Rust target: a module file with one `pub fn` over slices, only `std`, written
//! as `rustfmt` would format it (lines stay short: see `plan::MAX_INLINE_WEIGHT`).

use super::Signature;
use super::names::{Dialect, ident, write};
use super::plan::{Local, Phase, Plan};
use crate::graph::{BinOp, Func};

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
    out.push_str(&body(&rust, plan));
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

fn body(rust: &Rust, plan: &Plan) -> String {
    let mut out = String::new();
    for (k, name) in rust.params.iter().enumerate() {
        if plan.params_used[k] {
            out.push_str(&format!("    let {name} = params[{k}];\n"));
        }
    }
    for (k, name) in rust.data.iter().enumerate() {
        out.push_str(&format!("    let {name} = &data[{k}][..n_rows];\n"));
    }
    if plan.reads_rows() {
        out.push_str("    let rows = n_rows as f64;\n");
    }
    for phase in &plan.phases {
        out.push_str(&phase_code(rust, phase));
    }
    for (k, g) in plan.gradient.iter().enumerate() {
        out.push_str(&format!("    grad[{k}] = {};\n", write(g, rust)));
    }
    for (k, h) in plan.hessian.iter().enumerate() {
        out.push_str(&format!("    hess[{k}] = {};\n", write(h, rust)));
    }
    out.push_str(&format!("    {}\n", write(&plan.loss, rust)));
    out
}

fn phase_code(rust: &Rust, phase: &Phase) -> String {
    let mut out = String::new();
    let local = |indent: &str, l: &Local| {
        format!("{indent}let t{} = {};\n", l.local, write(&l.value, rust))
    };
    for l in &phase.scalars {
        out.push_str(&local("    ", l));
    }
    if phase.sums.is_empty() {
        return out;
    }
    for s in &phase.sums {
        out.push_str(&format!(
            "    let mut acc{} = Neumaier::default();\n",
            s.local
        ));
    }
    out.push_str("    for start in (0..n_rows).step_by(256) {\n");
    out.push_str("        let end = n_rows.min(start + 256);\n");
    for s in &phase.sums {
        out.push_str(&format!("        let mut sum{} = 0.0;\n", s.local));
    }
    out.push_str("        for i in start..end {\n");
    for l in &phase.rows {
        out.push_str(&local("            ", l));
    }
    for s in &phase.sums {
        let value = write(&s.value, rust);
        out.push_str(&format!("            sum{} += {value};\n", s.local));
    }
    out.push_str("        }\n");
    for s in &phase.sums {
        out.push_str(&format!("        acc{0} += sum{0};\n", s.local));
    }
    out.push_str("    }\n");
    for s in &phase.sums {
        let k = s.local;
        let mean = if s.mean { " / rows" } else { "" };
        out.push_str(&format!("    let t{k} = acc{k}.total(){mean};\n"));
    }
    out
}

/// The helper items the plan uses, each only if used.
fn helpers(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.has_loop() {
        out.push_str(NEUMAIER);
    }
    let table: [(Func, &str); 5] = [
        (Func::Sigmoid, SIGMOID),
        (Func::Softplus, SOFTPLUS),
        (Func::Relu, RELU),
        (Func::Sign, SIGN),
        (Func::Step, STEP),
    ];
    for (func, code) in table {
        if plan.calls(func) {
            out.push_str(code);
        }
    }
    out
}

const NEUMAIER: &str = "
/// A sum over the rows, as the tape adds them: each chunk of 256 rows summed in row
/// order, the chunk sums added with Neumaier's compensation (`comp` keeps what
/// rounding lost), so the error does not grow with the row count.
#[derive(Default)]
struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    fn total(&self) -> f64 {
        self.sum + self.comp
    }
}

impl std::ops::AddAssign<f64> for Neumaier {
    fn add_assign(&mut self, v: f64) {
        let t = self.sum + v;
        self.comp += if self.sum.abs() >= v.abs() {
            (self.sum - t) + v
        } else {
            (v - t) + self.sum
        };
        self.sum = t;
    }
}
";

const SIGMOID: &str = "
/// `1 / (1 + e^-x)`, stable: `e^-|x|` never overflows.
fn sigmoid(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    (if x >= 0.0 { 1.0 } else { e }) / (1.0 + e)
}
";

const SOFTPLUS: &str = "
/// `ln(1 + e^x)`, stable: `max(x, 0) + ln_1p(e^-|x|)`.
fn softplus(x: f64) -> f64 {
    (if x > 0.0 { x } else { 0.0 }) + (-x.abs()).exp().ln_1p()
}
";

const RELU: &str = "
fn relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}
";

const SIGN: &str = "
/// 1, -1 or 0 (at 0; `f64::signum` gives 1 there).
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}
";

const STEP: &str = "
/// 1 where `x > 0`, else 0: the derivative of `relu`.
fn step(x: f64) -> f64 {
    if x > 0.0 { 1.0 } else { 0.0 }
}
";

/// Whether the function reads `n_rows`: to cut the data slices, loop, or as a number.
fn reads_n_rows(plan: &Plan) -> bool {
    !plan.data_used.is_empty() || plan.has_loop() || plan.reads_rows()
}
