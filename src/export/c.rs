//! The C99 target: one function over `const double *` arrays, only `<math.h>`.

use super::Signature;
use super::names::{Dialect, ident, write};
use super::plan::{Local, Phase, Plan};
use crate::graph::{BinOp, Func};

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
}

/// The C file.
pub fn render(signature: &Signature, plan: &Plan) -> String {
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
    out.push_str(&body(&c, plan));
    out.push_str("}\n");
    out
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

fn body(c: &C, plan: &Plan) -> String {
    let mut out = String::new();
    for (k, name) in c.params.iter().enumerate() {
        if plan.params_used[k] {
            out.push_str(&format!("    const double {name} = params[{k}];\n"));
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
    for (k, g) in plan.gradient.iter().enumerate() {
        out.push_str(&format!("    grad[{k}] = {};\n", write(g, c)));
    }
    for (k, h) in plan.hessian.iter().enumerate() {
        out.push_str(&format!("    hess[{k}] = {};\n", write(h, c)));
    }
    out.push_str(&format!("    return {};\n", write(&plan.loss, c)));
    out
}

fn phase_code(c: &C, phase: &Phase) -> String {
    let mut out = String::new();
    let local = |indent: &str, l: &Local| {
        format!(
            "{indent}const double t{} = {};\n",
            l.local,
            write(&l.value, c)
        )
    };
    for l in &phase.scalars {
        out.push_str(&local("    ", l));
    }
    if phase.sums.is_empty() {
        return out;
    }
    for s in &phase.sums {
        out.push_str(&format!("    nabla_sum acc{} = {{0.0, 0.0}};\n", s.local));
    }
    out.push_str("    for (long start = 0; start < n_rows; start += 256) {\n");
    out.push_str("        const long end = n_rows - start > 256 ? start + 256 : n_rows;\n");
    for s in &phase.sums {
        out.push_str(&format!("        double sum{} = 0.0;\n", s.local));
    }
    out.push_str("        for (long i = start; i < end; i++) {\n");
    for l in &phase.rows {
        out.push_str(&local("            ", l));
    }
    for s in &phase.sums {
        let value = write(&s.value, c);
        out.push_str(&format!("            sum{} += {value};\n", s.local));
    }
    out.push_str("        }\n");
    for s in &phase.sums {
        out.push_str(&format!("        nabla_add(&acc{0}, sum{0});\n", s.local));
    }
    out.push_str("    }\n");
    for s in &phase.sums {
        let k = s.local;
        let total = if s.mean {
            format!("(acc{k}.sum + acc{k}.comp) / rows")
        } else {
            format!("acc{k}.sum + acc{k}.comp")
        };
        out.push_str(&format!("    const double t{k} = {total};\n"));
    }
    out
}

/// The helper functions the plan calls, each only if called.
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
/* A sum over the rows, as the tape adds them: each chunk of 256 rows summed in row
 * order, the chunk sums added with Neumaier's compensation (comp keeps what rounding
 * lost), so the error does not grow with the row count. */
typedef struct {
    double sum;
    double comp;
} nabla_sum;

static inline void nabla_add(nabla_sum *s, double v) {
    double t = s->sum + v;
    s->comp += fabs(s->sum) >= fabs(v) ? (s->sum - t) + v : (v - t) + s->sum;
    s->sum = t;
}
";

const SIGMOID: &str = "
/* 1 / (1 + e^-x), stable: e^-|x| never overflows. */
static inline double nabla_sigmoid(double x) {
    double e = exp(-fabs(x));
    return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}
";

const SOFTPLUS: &str = "
/* ln(1 + e^x), stable: max(x, 0) + log1p(e^-|x|). */
static inline double nabla_softplus(double x) {
    return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x)));
}
";

const RELU: &str = "
static inline double nabla_relu(double x) {
    return x > 0.0 ? x : 0.0;
}
";

const SIGN: &str = "
/* 1, -1 or 0 (at 0). */
static inline double nabla_sign(double x) {
    return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
}
";

const STEP: &str = "
/* 1 where x > 0, else 0: the derivative of relu. */
static inline double nabla_step(double x) {
    return x > 0.0 ? 1.0 : 0.0;
}
";
