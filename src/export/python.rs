//! The Python target: one function over NumPy arrays, vectorised over the rows (a
//! per-row term is a whole column), sums exact over 256-row chunk sums.

use super::Signature;
use super::names::{Dialect, ident, write};
use super::plan::{Local, Phase, Plan};
use crate::graph::{BinOp, Func};

/// Python keywords and the names the module uses.
const RESERVED: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "np",
    "math", "float", "acc",
];

/// The identifiers of the params and data columns.
struct Python {
    params: Vec<String>,
    data: Vec<String>,
}

impl Dialect for Python {
    fn param(&self, k: usize) -> String {
        self.params[k].clone()
    }

    fn data(&self, k: usize) -> String {
        self.data[k].clone()
    }

    fn call(&self, func: Func, arg: &str) -> String {
        let name = match func {
            Func::Neg => return format!("-({arg})"),
            Func::Exp => "np.exp",
            Func::Ln => "np.log",
            Func::Log2 => "np.log2",
            Func::Log10 => "np.log10",
            Func::Sqrt => "np.sqrt",
            Func::Abs => "np.abs",
            Func::Sin => "np.sin",
            Func::Cos => "np.cos",
            Func::Tan => "np.tan",
            Func::Asin => "np.arcsin",
            Func::Acos => "np.arccos",
            Func::Atan => "np.arctan",
            Func::Sinh => "np.sinh",
            Func::Cosh => "np.cosh",
            Func::Tanh => "np.tanh",
            Func::Sigmoid => "_sigmoid",
            Func::Softplus => "_softplus",
            Func::Relu => "_relu",
            Func::Sign => "np.sign",
            Func::Step => "_step",
            Func::Sum | Func::Mean => "",
        };
        format!("{name}({arg})")
    }

    fn call2(&self, op: BinOp, a: &str, b: &str) -> String {
        let name = match op {
            BinOp::Max => "np.maximum",
            BinOp::Min => "np.minimum",
            _ => "np.power",
        };
        format!("{name}({a}, {b})")
    }
}

/// The Python file.
pub fn render(signature: &Signature, plan: &Plan) -> String {
    let names = |user: &[String], kind: &str| -> Vec<String> {
        let name = |(k, n): (usize, &String)| ident(n, format!("{kind}_{k}"), RESERVED);
        user.iter().enumerate().map(name).collect()
    };
    let python = Python {
        params: names(&signature.params, "param"),
        data: names(&signature.data, "data"),
    };
    let hess = if signature.hessian { ", hess" } else { "" };
    let call = format!(
        "{}(params, data, n_rows, grad{hess}) -> float",
        signature.function
    );
    let mut out = String::from("\"\"\"");
    for line in signature.header_lines(&call) {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(
        "\nparams, grad (and hess): NumPy float64 arrays; data: a sequence of arrays.\n\
         Needs NumPy; vectorised over the rows.\n\"\"\"\n\nimport math\n\nimport numpy as np\n",
    );
    out.push_str(&format!(
        "\n\ndef {}(params, data, n_rows, grad{hess}):\n",
        signature.function
    ));
    out.push_str(&format!(
        "    \"\"\"`{}` and its derivatives; see the module docstring.\"\"\"\n",
        signature.objective
    ));
    out.push_str(&body(&python, plan));
    out.push_str(&helpers(plan));
    out
}

fn body(python: &Python, plan: &Plan) -> String {
    let mut out = String::new();
    for (k, name) in python.params.iter().enumerate() {
        if plan.params_used[k] {
            out.push_str(&format!("    {name} = float(params[{k}])\n"));
        }
    }
    for (k, name) in python.data.iter().enumerate() {
        out.push_str(&format!(
            "    {name} = np.asarray(data[{k}], dtype=np.float64)[:n_rows]\n"
        ));
    }
    if plan.reads_rows() {
        out.push_str("    rows = float(n_rows)\n");
    }
    for phase in &plan.phases {
        out.push_str(&phase_code(python, phase));
    }
    for (k, g) in plan.gradient.iter().enumerate() {
        out.push_str(&format!("    grad[{k}] = {}\n", write(g, python)));
    }
    for (k, h) in plan.hessian.iter().enumerate() {
        out.push_str(&format!("    hess[{k}] = {}\n", write(h, python)));
    }
    out.push_str(&format!(
        "    return float({})\n",
        write(&plan.loss, python)
    ));
    out
}

fn phase_code(python: &Python, phase: &Phase) -> String {
    let mut out = String::new();
    let local = |l: &Local| format!("    t{} = {}\n", l.local, write(&l.value, python));
    for l in phase.scalars.iter().chain(&phase.rows) {
        out.push_str(&local(l));
    }
    for s in &phase.sums {
        let value = write(&s.value, python);
        let mean = if s.mean { " / rows" } else { "" };
        out.push_str(&format!("    t{} = _sum({value}, n_rows){mean}\n", s.local));
    }
    out
}

/// The helper functions the plan calls, each only if called.
fn helpers(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.has_loop() {
        out.push_str(SUM);
    }
    let table: [(Func, &str); 4] = [
        (Func::Sigmoid, SIGMOID),
        (Func::Softplus, SOFTPLUS),
        (Func::Relu, RELU),
        (Func::Step, STEP),
    ];
    for (func, code) in table {
        if plan.calls(func) {
            out.push_str(code);
        }
    }
    out
}

const SUM: &str = "

def _sum(v, n_rows):
    \"\"\"The sum of the rows of v: NumPy's pairwise sum of each 4096-row chunk, and the
    chunk sums added exactly (math.fsum), so the error does not grow with n_rows.\"\"\"
    v = np.broadcast_to(v, (n_rows,))
    cut = n_rows - n_rows % 4096
    parts = np.add.reduce(v[:cut].reshape(-1, 4096), axis=1).tolist()
    parts.append(float(np.add.reduce(v[cut:])))
    return math.fsum(parts)
";

const SIGMOID: &str = "

def _sigmoid(x):
    \"\"\"1 / (1 + e^-x), in place in one new array (NumPy's allocations cost more than
    the arithmetic). Stable: where e^-x overflows (x < -709) it is inf and the result
    is 0, the right limit (the tape keeps a subnormal there); never inf/inf or NaN.\"\"\"
    e = np.array(x, dtype=np.float64)
    np.negative(e, out=e)
    with np.errstate(over=\"ignore\"):
        np.exp(e, out=e)
    e += 1.0
    return np.reciprocal(e, out=e)
";

const SOFTPLUS: &str = "

def _softplus(x):
    \"\"\"ln(1 + e^x), stable: max(x, 0) + log1p(e^-|x|).\"\"\"
    return np.where(x > 0.0, x, 0.0) + np.log1p(np.exp(-np.abs(x)))
";

const RELU: &str = "

def _relu(x):
    return np.where(x > 0.0, x, 0.0)
";

const STEP: &str = "

def _step(x):
    \"\"\"1 where x > 0, else 0: the derivative of relu.\"\"\"
    return np.where(x > 0.0, 1.0, 0.0)
";
