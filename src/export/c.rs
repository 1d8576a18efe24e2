//! The C99 target: one function over `const double *` arrays, only `<math.h>`.

mod helpers;

use super::names::{COMPONENT, Dialect, ident, write};
use super::plan::{Array, Expr, Index, Local, Operand, Output, Phase, Plan, Sum, Value};
use super::{ExportError, Signature};
use crate::graph::{BinOp, Func, Item, ItemFunc, ProductOp};
use helpers::helpers;

/// C keywords, the `<math.h>` functions the code calls, and the helpers' names.
const RESERVED: &[&str] = &[
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "fabs", "log2", "log10", "log1p", "sqrt",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "pow", "fmax", "fmin",
    "acc", "main",
];

/// The identifiers of the params and data columns.
struct C {
    params: Vec<String>,
    data: Vec<String>,
}

impl Dialect for C {
    fn param(&self, k: usize) -> String {
        self.params[k].clone()
    }

    fn data(&self, k: usize) -> String {
        format!("{}[i]", self.data[k])
    }

    fn call(&self, func: Func, arg: &str) -> String {
        let name = match func {
            Func::Neg => return format!("-({arg})"),
            Func::Exp => "exp",
            Func::Ln => "log",
            Func::Log2 => "log2",
            Func::Log10 => "log10",
            Func::Sqrt => "sqrt",
            Func::Abs => "fabs",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Asin => "asin",
            Func::Acos => "acos",
            Func::Atan => "atan",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Tanh => "tanh",
            Func::Sigmoid => "nabla_sigmoid",
            Func::Softplus => "nabla_softplus",
            Func::Relu => "nabla_relu",
            Func::Sign => "nabla_sign",
            Func::Step => "nabla_step",
            // Folded away by the plan; the identity if one ever gets here.
            Func::Sum | Func::Mean => "",
        };
        format!("{name}({arg})")
    }

    fn call2(&self, op: BinOp, a: &str, b: &str) -> String {
        let name = match op {
            BinOp::Max => "fmax",
            BinOp::Min => "fmin",
            _ => "pow",
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

impl C {
    /// An array as a helper's pointer argument: a param's block, the current row of a
    /// data column, a local.
    fn pointer(&self, operand: &Operand) -> String {
        match operand.array {
            Array::Param(p) => self.params[p].clone(),
            Array::Data(d) if operand.rows => {
                format!("{} + i * {}", self.data[d], operand.item.size())
            }
            Array::Data(d) => self.data[d].clone(),
            Array::Local(t) => format!("t{t}"),
        }
    }
}

/// The most bytes of local arrays the C function may keep on the stack: a quarter of
/// a usual 8 MiB thread stack (Windows gives 1 MiB).
pub const MAX_STACK_BYTES: usize = 1 << 20;

/// The C file, or why it would not fit the stack.
pub fn render(signature: &Signature, plan: &Plan) -> Result<String, ExportError> {
    let bytes = stack_bytes(plan);
    if bytes > MAX_STACK_BYTES {
        let limit = MAX_STACK_BYTES;
        return Err(ExportError::StackTooLarge { bytes, limit });
    }
    let c = C {
        params: names(&signature.params, "param"),
        data: names(&signature.data, "data"),
    };
    let call = prototype(signature);
    let mut out = String::from("/*\n");
    for line in signature.header_lines(&format!("{call};")) {
        out.push_str(&format!(" * {line}\n").replace(" * \n", " *\n"));
    }
    out.push_str(" *\n * C99 with only <math.h>: cc -std=c99 -O2 -c FILE.c, link with -lm.\n */\n");
    out.push_str("#include <math.h>\n");
    out.push_str(&helpers(plan));
    out.push('\n');
    out.push_str(&format!("{call} {{\n"));
    out.push_str(&body(&c, signature, plan));
    out.push_str("}\n");
    Ok(out)
}

fn names(user: &[String], kind: &str) -> Vec<String> {
    user.iter()
        .enumerate()
        .map(|(k, n)| ident(n, format!("{kind}_{k}"), RESERVED))
        .collect()
}

fn prototype(signature: &Signature) -> String {
    let hess = if signature.hessian {
        ", double *hess"
    } else {
        ""
    };
    format!(
        "double {}(const double *params, const double *const *data, long n_rows, double *grad{hess})",
        signature.function
    )
}

fn body(c: &C, signature: &Signature, plan: &Plan) -> String {
    let mut out = String::new();
    let offsets = signature.param_offsets();
    for (k, name) in c.params.iter().enumerate() {
        if !plan.params_used[k] {
            continue;
        }
        let offset = offsets[k];
        match signature.param_items[k] {
            Item::Scalar => out.push_str(&format!("    const double {name} = params[{offset}];\n")),
            _ => out.push_str(&format!("    const double *{name} = &params[{offset}];\n")),
        }
    }
    for (k, name) in c.data.iter().enumerate() {
        out.push_str(&format!("    const double *{name} = data[{k}];\n"));
    }
    if plan.reads_rows() {
        out.push_str("    const double rows = (double)n_rows;\n");
    }
    for phase in &plan.phases {
        out.push_str(&phase_code(c, phase));
    }
    let gradient = plan.gradient.iter().zip(signature.gradient_offsets());
    for (output, offset) in gradient {
        out.push_str(&output_code(c, output, "grad", offset));
    }
    for (k, h) in plan.hessian.iter().enumerate() {
        out.push_str(&format!("    hess[{k}] = {};\n", write(h, c)));
    }
    out.push_str(&format!("    return {};\n", write(&plan.loss, c)));
    out
}

/// `grad[3] = ...;`, or a loop over the components of an array output's block.
fn output_code(c: &C, output: &Output, array: &str, offset: usize) -> String {
    let value = write(&output.value, c);
    match output.item {
        Item::Scalar => format!("    {array}[{offset}] = {value};\n"),
        item => {
            let target = format!("{array}[{}]", at_offset(offset));
            component_loop("    ", item.size(), &format!("{target} = {value};"))
        }
    }
}

/// `for (long k = 0; k < size; k++) { statement }`.
fn component_loop(indent: &str, size: usize, statement: &str) -> String {
    let k = COMPONENT;
    format!(
        "{indent}for (long {k} = 0; {k} < {size}; {k}++) {{\n{indent}    {statement}\n{indent}}}\n"
    )
}

fn phase_code(c: &C, phase: &Phase) -> String {
    let mut out = String::new();
    for l in &phase.scalars {
        out.push_str(&declaration("    ", l));
        out.push_str(&local_code(c, "    ", l));
    }
    if phase.sums.is_empty() {
        return out;
    }
    for l in phase.rows.iter().filter(|l| !l.item.is_scalar()) {
        out.push_str(&declaration("    ", l));
    }
    for s in &phase.sums {
        out.push_str(&match s.item {
            Item::Scalar => format!("    nabla_sum acc{} = {{0.0, 0.0}};\n", s.local),
            item => format!(
                "    nabla_sum acc{}[{}] = {{{{0.0, 0.0}}}};\n",
                s.local,
                item.size()
            ),
        });
    }
    out.push_str("    for (long start = 0; start < n_rows; start += 256) {\n");
    out.push_str("        const long end = n_rows - start > 256 ? start + 256 : n_rows;\n");
    for s in &phase.sums {
        out.push_str(&match s.item {
            Item::Scalar => format!("        double sum{} = 0.0;\n", s.local),
            item => format!(
                "        double sum{}[{}] = {{0.0}};\n",
                s.local,
                item.size()
            ),
        });
    }
    out.push_str("        for (long i = start; i < end; i++) {\n");
    for l in &phase.rows {
        out.push_str(&local_code(c, "            ", l));
    }
    for s in &phase.sums {
        out.push_str(&sum_step(c, s));
    }
    out.push_str("        }\n");
    for s in &phase.sums {
        let k = s.local;
        out.push_str(&match s.item {
            Item::Scalar => format!("        nabla_add(&acc{k}, sum{k});\n"),
            item => component_loop(
                "        ",
                item.size(),
                &format!("nabla_add(&acc{k}[{COMPONENT}], sum{k}[{COMPONENT}]);"),
            ),
        });
    }
    out.push_str("    }\n");
    for s in &phase.sums {
        out.push_str(&sum_result(s));
    }
    out
}

/// `sum3 += value;` in the row loop, componentwise for an array.
fn sum_step(c: &C, s: &Sum) -> String {
    let value = write(&s.value, c);
    match s.item {
        Item::Scalar => format!("            sum{} += {value};\n", s.local),
        item => component_loop(
            "            ",
            item.size(),
            &format!("sum{}[{COMPONENT}] += {value};", s.local),
        ),
    }
}

/// The sum's local after the loop (divided by the row count for a mean).
fn sum_result(s: &Sum) -> String {
    let k = s.local;
    let mean = if s.mean { " / rows" } else { "" };
    match s.item {
        Item::Scalar if s.mean => {
            format!("    const double t{k} = (acc{k}.sum + acc{k}.comp) / rows;\n")
        }
        Item::Scalar => format!("    const double t{k} = acc{k}.sum + acc{k}.comp;\n"),
        item => {
            let c = COMPONENT;
            let total = format!("(acc{k}[{c}].sum + acc{k}[{c}].comp){mean}");
            let mut out = format!("    double t{k}[{}];\n", item.size());
            out.push_str(&component_loop(
                "    ",
                item.size(),
                &format!("t{k}[{c}] = {total};"),
            ));
            out
        }
    }
}

/// The declaration of an array local (before the loop that fills it), or nothing.
fn declaration(indent: &str, l: &Local) -> String {
    match (&l.value, l.item) {
        (_, Item::Scalar) | (Value::Tensor(_), _) => String::new(),
        (_, item) => format!("{indent}double t{}[{}];\n", l.local, item.size()),
    }
}

/// The statements that compute a local (an array declared before).
fn local_code(c: &C, indent: &str, l: &Local) -> String {
    let t = l.local;
    let size = l.item.size();
    match &l.value {
        Value::Scalar(e) => format!("{indent}const double t{t} = {};\n", write(e, c)),
        Value::Map(e) => {
            let statement = format!("t{t}[{COMPONENT}] = {};", write(e, c));
            component_loop(indent, size, &statement)
        }
        Value::Tensor(values) => {
            let values: Vec<String> = values.iter().map(|v| write(&Expr::Number(*v), c)).collect();
            let values = values.join(", ");
            format!("{indent}static const double t{t}[{size}] = {{{values}}};\n")
        }
        Value::Product(op, a, b) => {
            let (pa, pb) = (c.pointer(a), c.pointer(b));
            format!(
                "{indent}{};\n",
                product_call(*op, a, b, &pa, &pb, t, l.item)
            )
        }
        Value::Item(func, a) => {
            format!("{indent}{};\n", item_call(*func, a, &c.pointer(a), t))
        }
    }
}

/// `const double t5 = nabla_dot(...)`, `nabla_matmul(..., t5)`, `nabla_outer(..., t5)`.
fn product_call(
    op: ProductOp,
    a: &Operand,
    b: &Operand,
    pa: &str,
    pb: &str,
    t: u32,
    item: Item,
) -> String {
    let (a_dims, b_dims) = (a.item.dims(), b.item.dims());
    match op {
        ProductOp::Outer => format!(
            "nabla_outer({pa}, {pb}, {}, {}, t{t})",
            a.item.size(),
            b.item.size()
        ),
        ProductOp::Dot if item.is_scalar() => {
            format!(
                "const double t{t} = nabla_dot({pa}, {pb}, 1, {})",
                a.item.size()
            )
        }
        ProductOp::Dot => {
            let n = a_dims.last().copied().unwrap_or(1);
            let m = a.item.size() / n.max(1);
            let p = b.item.size() / b_dims.first().copied().unwrap_or(1).max(1);
            format!("nabla_matmul({pa}, {pb}, {m}, {n}, {p}, t{t})")
        }
    }
}

/// `const double t5 = nabla_total(...)`, `nabla_softmax(..., t5)`, ...
fn item_call(func: ItemFunc, a: &Operand, pa: &str, t: u32) -> String {
    let size = a.item.size();
    match func {
        ItemFunc::Total => format!("const double t{t} = nabla_total({pa}, {size})"),
        ItemFunc::Norm => format!("const double t{t} = nabla_norm({pa}, {size})"),
        ItemFunc::Logsumexp => format!("const double t{t} = nabla_logsumexp({pa}, {size})"),
        ItemFunc::Softmax => format!("nabla_softmax({pa}, {size}, t{t})"),
        ItemFunc::Diag => {
            let k = a.item.dims().last().copied().unwrap_or(1);
            let to_matrix = i32::from(a.item.dims().len() == 1);
            format!("nabla_diag({pa}, {k}, {to_matrix}, t{t})")
        }
        ItemFunc::Transpose => {
            let dims = a.item.dims();
            let (m, n) = (
                dims.first().copied().unwrap_or(1),
                dims.last().copied().unwrap_or(1),
            );
            format!("nabla_transpose({pa}, {m}, {n}, t{t})")
        }
    }
}

/// The bytes of the arrays the function keeps on the stack: array locals, and a
/// shaped sum's accumulators, chunk sums and result.
fn stack_bytes(plan: &Plan) -> usize {
    let locals: usize = plan
        .locals()
        .filter(|l| !matches!(l.value, Value::Tensor(_)))
        .map(|l| {
            if l.item.is_scalar() {
                0
            } else {
                l.item.size() * 8
            }
        })
        .sum();
    let sums: usize = plan
        .phases
        .iter()
        .flat_map(|p| &p.sums)
        .map(|s| {
            if s.item.is_scalar() {
                0
            } else {
                s.item.size() * 32
            }
        })
        .sum();
    locals + sums
}

/// `k` from offset 0, else `3 + k`.
fn at_offset(offset: usize) -> String {
    match offset {
        0 => COMPONENT.to_string(),
        _ => format!("{offset} + {COMPONENT}"),
    }
}
