//! The Python target: one function over NumPy arrays, vectorised over the rows (a
//! per-row term is a whole column), sums exact over 256-row chunk sums.

use super::Signature;
use super::names::{Dialect, ident, write};
use super::plan::{Array, Expr, Index, Local, Operand, Phase, Plan, Value};
use crate::graph::{BinOp, Func, Item, ItemFunc, ProductOp};

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

    fn elem(&self, operand: &Operand, index: Index) -> String {
        let name = self.name(operand);
        let Index::At(k) = index else {
            return name;
        };
        let at: Vec<String> = operand
            .item
            .index_of(k as usize)
            .iter()
            .map(|i| (i - 1).to_string())
            .collect();
        match operand.rows {
            true => format!("{name}[:, {}]", at.join(", ")),
            false => format!("{name}[{}]", at.join(", ")),
        }
    }

    fn spreads(&self) -> bool {
        true
    }
}

impl Python {
    /// The name of a whole array: a param's block, a data column, a local.
    fn name(&self, operand: &Operand) -> String {
        match operand.array {
            Array::Param(p) => self.params[p].clone(),
            Array::Data(d) => self.data[d].clone(),
            Array::Local(t) => format!("t{t}"),
        }
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
    out.push_str("\nparams, grad (and hess): NumPy float64 arrays; data: a sequence of arrays.\n");
    if signature.data_items.iter().any(|i| !i.is_scalar()) {
        out.push_str("A [K] column may also be an (n_rows, K) array (it is reshaped).\n");
    }
    out.push_str(
        "Needs NumPy; vectorised over the rows.\n\"\"\"\n\nimport math\n\nimport numpy as np\n",
    );
    out.push_str(&format!(
        "\n\ndef {}(params, data, n_rows, grad{hess}):\n",
        signature.function
    ));
    out.push_str(&format!(
        "    \"\"\"`{}` and its derivatives; see the module docstring.\"\"\"\n",
        signature.objective
    ));
    out.push_str(&body(&python, signature, plan));
    out.push_str(&helpers(plan));
    out
}

fn body(python: &Python, signature: &Signature, plan: &Plan) -> String {
    let mut out = String::new();
    let offsets = signature.param_offsets();
    for (k, name) in python.params.iter().enumerate() {
        if !plan.params_used[k] {
            continue;
        }
        let (offset, item) = (offsets[k], signature.param_items[k]);
        let end = offset + item.size();
        out.push_str(&match item {
            Item::Scalar => format!("    {name} = float(params[{offset}])\n"),
            Item::Vector(_) => {
                format!("    {name} = np.asarray(params[{offset}:{end}], dtype=np.float64)\n")
            }
            Item::Matrix(m, n) => format!(
                "    {name} = np.asarray(params[{offset}:{end}], dtype=np.float64).reshape({m}, {n})\n"
            ),
        });
    }
    for (k, name) in python.data.iter().enumerate() {
        let column = format!("np.asarray(data[{k}], dtype=np.float64)");
        out.push_str(&match signature.data_items[k] {
            Item::Scalar => format!("    {name} = {column}[:n_rows]\n"),
            item => format!(
                "    {name} = {column}.reshape({})[:n_rows]\n",
                shape(item, true)
            ),
        });
    }
    if plan.reads_rows() {
        out.push_str("    rows = float(n_rows)\n");
    }
    for phase in &plan.phases {
        out.push_str(&phase_code(python, phase));
    }
    let gradient = plan.gradient.iter().zip(signature.gradient_offsets());
    for (output, offset) in gradient {
        let value = write(&output.value, python);
        out.push_str(&match output.item {
            Item::Scalar => format!("    grad[{offset}] = {value}\n"),
            item => format!(
                "    grad[{offset}:{}] = np.ravel({value})\n",
                offset + item.size()
            ),
        });
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

/// An item's shape as a NumPy tuple, with the row axis first if `rows` (`-1` when
/// reshaping a flat column).
fn shape(item: Item, rows: bool) -> String {
    let mut dims: Vec<String> = item.dims().iter().map(usize::to_string).collect();
    if rows {
        dims.insert(0, "-1".to_string());
    }
    match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    }
}

fn phase_code(python: &Python, phase: &Phase) -> String {
    let mut out = String::new();
    for l in phase.scalars.iter().chain(&phase.rows) {
        out.push_str(&format!("    t{} = {}\n", l.local, local_value(python, l)));
    }
    for s in &phase.sums {
        let value = write(&s.value, python);
        let mean = if s.mean { " / rows" } else { "" };
        let sum = match s.item {
            Item::Scalar => format!("_sum({value}, n_rows)"),
            item => format!("_sum_rows({value}, n_rows, {})", shape(item, false)),
        };
        out.push_str(&format!("    t{} = {sum}{mean}\n", s.local));
    }
    out
}

/// What a local holds, as one NumPy expression over whole arrays (and all rows).
fn local_value(python: &Python, l: &Local) -> String {
    match &l.value {
        Value::Scalar(e) => write(e, python),
        Value::Map(e) if fills(e, l.rows) => write(e, python),
        Value::Map(e) => {
            let dims = shape(l.item, false);
            let full = match l.rows {
                true => format!("(n_rows,) + {dims}"),
                false => dims,
            };
            format!("np.broadcast_to({}, {full})", write(e, python))
        }
        Value::Tensor(values) => {
            let values: Vec<String> = values
                .iter()
                .map(|v| write(&Expr::Number(*v), python))
                .collect();
            let array = format!("np.array([{}])", values.join(", "));
            match l.item {
                Item::Matrix(m, n) => format!("{array}.reshape({m}, {n})"),
                _ => array,
            }
        }
        Value::Product(op, a, b) => product(python, *op, a, b),
        Value::Item(func, a) => {
            let name = python.name(a);
            match func {
                ItemFunc::Total => format!("_total({name}, {})", a.item.dims().len()),
                ItemFunc::Norm => format!("_norm({name}, {})", a.item.dims().len()),
                ItemFunc::Logsumexp => format!("_logsumexp({name})"),
                ItemFunc::Softmax => format!("_softmax({name})"),
                ItemFunc::Transpose => format!("np.swapaxes({name}, -1, -2)"),
                // With or without a row axis first.
                ItemFunc::Diag => match a.item {
                    Item::Vector(k) => format!("np.eye({k}) * {name}[..., None, :]"),
                    _ => format!("np.diagonal({name}, axis1=-2, axis2=-1).copy()"),
                },
            }
        }
    }
}

/// Whether a componentwise expression already has the local's full shape: it reads a
/// whole array with the local's rows (so a constant or a scalar is broadcast).
fn fills(e: &Expr, rows: bool) -> bool {
    e.mentions(&|e| matches!(e, Expr::Elem(o, Index::Each) if o.rows == rows || !rows))
}

/// `dot` or `outer` over whole arrays, the row axis first where an operand has one.
fn product(python: &Python, op: ProductOp, a: &Operand, b: &Operand) -> String {
    let (x, y) = (python.name(a), python.name(b));
    match (op, a.rows, b.rows) {
        (ProductOp::Dot, false, false) | (ProductOp::Dot, true, false) => format!("{x} @ {y}"),
        (ProductOp::Dot, false, true) if b.item.dims().len() == 1 => format!("{y} @ {x}.T"),
        (ProductOp::Dot, false, true) => format!("{x} @ {y}"),
        (ProductOp::Dot, true, true) => {
            let a_axes = if a.item.dims().len() == 2 {
                "nmk"
            } else {
                "nk"
            };
            let (b_axes, out) = match (a.item.dims().len(), b.item.dims().len()) {
                (2, 2) => ("nkp", "nmp"),
                (2, _) => ("nk", "nm"),
                (_, 2) => ("nkp", "np"),
                _ => ("nk", "n"),
            };
            format!("np.einsum(\"{a_axes},{b_axes}->{out}\", {x}, {y})")
        }
        (ProductOp::Outer, false, false) => format!("np.outer({x}, {y})"),
        (ProductOp::Outer, a_rows, b_rows) => {
            let left = if a_rows { "[:, :, None]" } else { "[:, None]" };
            let right = if b_rows { "[:, None, :]" } else { "" };
            format!("{x}{left} * {y}{right}")
        }
    }
}

/// The helper functions the plan calls, each only if called.
fn helpers(plan: &Plan) -> String {
    let mut out = String::new();
    let sums = plan.phases.iter().flat_map(|p| &p.sums);
    if sums.clone().any(|s| s.item.is_scalar()) {
        out.push_str(SUM);
    }
    if plan.has_shaped_sum() {
        out.push_str(SUM_ROWS);
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
    let items: [(ItemFunc, &str); 4] = [
        (ItemFunc::Total, TOTAL),
        (ItemFunc::Norm, NORM),
        (ItemFunc::Logsumexp, LOGSUMEXP),
        (ItemFunc::Softmax, SOFTMAX),
    ];
    for (func, code) in items {
        if plan.has_item(func) {
            out.push_str(code);
        }
    }
    out
}

const SUM_ROWS: &str = "

def _sum_rows(v, n_rows, item):
    \"\"\"The sum of the rows of v, component by component: each 4096-row chunk summed
    in row order, the chunk sums added with Neumaier's compensation (comp keeps what
    rounding lost), so the error does not grow with n_rows.\"\"\"
    v = np.broadcast_to(v, (n_rows,) + item)
    cut = n_rows - n_rows % 4096
    parts = list(np.add.reduce(v[:cut].reshape((-1, 4096) + item), axis=1))
    parts.append(np.add.reduce(v[cut:], axis=0))
    total, comp = np.zeros(item), np.zeros(item)
    for part in parts:
        t = total + part
        big = np.abs(total) >= np.abs(part)
        comp += np.where(big, (total - t) + part, (part - t) + total)
        total = t
    return total + comp
";

const TOTAL: &str = "

def _total(a, axes):
    \"\"\"The sum of the components of each item (the last axes of a).\"\"\"
    return np.sum(a, axis=tuple(range(-axes, 0)))
";

const NORM: &str = "

def _norm(a, axes):
    \"\"\"The Euclidean (Frobenius) norm of each item (the last axes of a).\"\"\"
    return np.sqrt(np.sum(a * a, axis=tuple(range(-axes, 0))))
";

const LOGSUMEXP: &str = "

def _logsumexp(a):
    \"\"\"ln of the sum of e^a over the last axis, stable: shifted by the largest
    component, so no exp overflows.\"\"\"
    top = np.max(a, axis=-1)
    return top + np.log(np.sum(np.exp(a - top[..., None]), axis=-1))
";

const SOFTMAX: &str = "

def _softmax(a):
    \"\"\"e^a / (the sum of e^a) over the last axis, stable: shifted by the largest
    component.\"\"\"
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
";

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
