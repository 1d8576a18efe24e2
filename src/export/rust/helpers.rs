//! The Rust helpers the generated code calls, each written only if called: the
//! compensated row sum, the stable forms of `sigmoid` and `softplus`, and the array
//! operators (`dot`, `matmul`, ...).

use super::super::plan::Plan;
use crate::graph::{Func, ItemFunc, ProductOp};

/// The helper items the plan uses, each only if used.
pub(super) fn helpers(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.has_shaped_sum() {
        // Arrays of accumulators are copied from one.
        out.push_str(&NEUMAIER.replace("derive(Default)", "derive(Clone, Copy, Default)"));
    } else if plan.has_loop() {
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
    out.push_str(&array_helpers(plan));
    out
}

/// The helpers of the array operators the plan uses, each only if used.
fn array_helpers(plan: &Plan) -> String {
    let mut out = String::new();
    let matmul = plan.has_product(ProductOp::Dot);
    let norm = plan.has_item(ItemFunc::Norm);
    let table: [(bool, &str); 9] = [
        (plan.has_vector_dot() || matmul || norm, DOT),
        (matmul, MATMUL),
        (plan.has_product(ProductOp::Outer), OUTER),
        (plan.has_item(ItemFunc::Transpose), TRANSPOSE),
        (plan.has_item(ItemFunc::Diag), DIAG),
        (plan.has_item(ItemFunc::Total), TOTAL),
        (norm, NORM),
        (plan.has_item(ItemFunc::Logsumexp), LOGSUMEXP),
        (plan.has_item(ItemFunc::Softmax), SOFTMAX),
    ];
    for (used, code) in table {
        if used {
            out.push_str(code);
        }
    }
    out
}

const DOT: &str = "
/// The sum of `a[k] * b[k * stride]` over `n` terms, in order (as the tape adds them).
fn dot(a: &[f64], b: &[f64], stride: usize, n: usize) -> f64 {
    let mut total = a[0] * b[0];
    for k in 1..n {
        total += a[k] * b[k * stride];
    }
    total
}
";

const MATMUL: &str = "
/// `dot` of an `[m, n]` and an `[n, p]` array (`m` or `p` is 1 for a vector), row-major.
fn matmul(a: &[f64], b: &[f64], m: usize, n: usize, p: usize, out: &mut [f64]) {
    for j in 0..m {
        for l in 0..p {
            out[j * p + l] = dot(&a[j * n..], &b[l..], p, n);
        }
    }
}
";

const OUTER: &str = "
/// `outer(a, b)` of two vectors: the `[a.len(), b.len()]` matrix, row-major.
fn outer(a: &[f64], b: &[f64], out: &mut [f64]) {
    let p = b.len();
    for j in 0..a.len() {
        for l in 0..p {
            out[j * p + l] = a[j] * b[l];
        }
    }
}
";

const TRANSPOSE: &str = "
/// The `[n, m]` transpose of an `[m, n]` matrix, row-major.
fn transpose(a: &[f64], m: usize, n: usize, out: &mut [f64]) {
    for j in 0..m {
        for l in 0..n {
            out[l * m + j] = a[j * n + l];
        }
    }
}
";

const DIAG: &str = "
/// `diag`: the `[k, k]` matrix with `a` on its diagonal (`to_matrix`), else the `k`
/// components of the diagonal of the `[k, k]` matrix `a`.
fn diag(a: &[f64], k: usize, to_matrix: bool, out: &mut [f64]) {
    for i in 0..k {
        if to_matrix {
            for j in 0..k {
                out[i * k + j] = if i == j { a[i] } else { 0.0 };
            }
        } else {
            out[i] = a[i * k + i];
        }
    }
}
";

const TOTAL: &str = "
/// The sum of the components, in order.
fn total(a: &[f64]) -> f64 {
    let mut total = a[0];
    for k in 1..a.len() {
        total += a[k];
    }
    total
}
";

const NORM: &str = "
/// The Euclidean (Frobenius) norm of the components.
fn norm(a: &[f64]) -> f64 {
    dot(a, a, 1, a.len()).sqrt()
}
";

const LOGSUMEXP: &str = "
/// `ln` of the sum of `e^a[k]`, stable: shifted by the largest component, so no `exp`
/// overflows.
fn logsumexp(a: &[f64]) -> f64 {
    let top = a[1..].iter().fold(a[0], |top, &x| top.max(x));
    let mut total = (a[0] - top).exp();
    for k in 1..a.len() {
        total += (a[k] - top).exp();
    }
    top + total.ln()
}
";

const SOFTMAX: &str = "
/// `e^a[k]` over the sum of `e^a[j]`, stable: shifted by the largest component.
fn softmax(a: &[f64], out: &mut [f64]) {
    let top = a[1..].iter().fold(a[0], |top, &x| top.max(x));
    let mut total = 0.0;
    for k in 0..a.len() {
        out[k] = (a[k] - top).exp();
        total = if k == 0 { out[0] } else { total + out[k] };
    }
    for k in 0..a.len() {
        out[k] /= total;
    }
}
";

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
