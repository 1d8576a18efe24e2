//! The C helpers the generated code calls, each written only if called: the
//! compensated row sum, the stable forms of `sigmoid` and `softplus`, and the array
//! operators (`nabla_dot`, `nabla_matmul`, ...).

use super::super::plan::Plan;
use crate::graph::{Func, ItemFunc, ProductOp};

/// The helper functions the plan calls, each only if called.
pub(super) fn helpers(plan: &Plan) -> String {
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
/* The sum of a[k]*b[k*stride] over n terms, in order (as the tape adds them). */
static inline double nabla_dot(const double *a, const double *b, long stride, long n) {
    double total = a[0] * b[0];
    for (long k = 1; k < n; k++) {
        total += a[k] * b[k * stride];
    }
    return total;
}
";

const MATMUL: &str = "
/* dot of an [m, n] and an [n, p] array (m or p is 1 for a vector), row-major. */
static void nabla_matmul(const double *a, const double *b, long m, long n, long p, double *out) {
    for (long j = 0; j < m; j++) {
        for (long l = 0; l < p; l++) {
            out[j * p + l] = nabla_dot(a + j * n, b + l, p, n);
        }
    }
}
";

const OUTER: &str = "
/* outer(a, b) of an [m] and a [p] vector: the [m, p] matrix, row-major. */
static void nabla_outer(const double *a, const double *b, long m, long p, double *out) {
    for (long j = 0; j < m; j++) {
        for (long l = 0; l < p; l++) {
            out[j * p + l] = a[j] * b[l];
        }
    }
}
";

const TRANSPOSE: &str = "
/* The [n, m] transpose of an [m, n] matrix, row-major. */
static void nabla_transpose(const double *a, long m, long n, double *out) {
    for (long j = 0; j < m; j++) {
        for (long l = 0; l < n; l++) {
            out[l * m + j] = a[j * n + l];
        }
    }
}
";

const DIAG: &str = "
/* diag: the [k, k] matrix with a on its diagonal (to_matrix), else the k components
   of the diagonal of the [k, k] matrix a. */
static void nabla_diag(const double *a, long k, int to_matrix, double *out) {
    for (long i = 0; i < k; i++) {
        if (to_matrix) {
            for (long j = 0; j < k; j++) {
                out[i * k + j] = i == j ? a[i] : 0.0;
            }
        } else {
            out[i] = a[i * k + i];
        }
    }
}
";

const TOTAL: &str = "
/* The sum of the n components, in order. */
static inline double nabla_total(const double *a, long n) {
    double total = a[0];
    for (long k = 1; k < n; k++) {
        total += a[k];
    }
    return total;
}
";

const NORM: &str = "
/* The Euclidean (Frobenius) norm of the n components. */
static inline double nabla_norm(const double *a, long n) {
    return sqrt(nabla_dot(a, a, 1, n));
}
";

const LOGSUMEXP: &str = "
/* ln of the sum of e^a[k], stable: shifted by the largest component, so no exp
 * overflows. */
static inline double nabla_logsumexp(const double *a, long n) {
    double top = a[0];
    for (long k = 1; k < n; k++) {
        top = fmax(top, a[k]);
    }
    double total = exp(a[0] - top);
    for (long k = 1; k < n; k++) {
        total += exp(a[k] - top);
    }
    return top + log(total);
}
";

const SOFTMAX: &str = "
/* e^a[k] / (the sum of e^a[j]), stable: shifted by the largest component. */
static void nabla_softmax(const double *a, long n, double *out) {
    double top = a[0];
    for (long k = 1; k < n; k++) {
        top = fmax(top, a[k]);
    }
    double total = 0.0;
    for (long k = 0; k < n; k++) {
        out[k] = exp(a[k] - top);
        total = k == 0 ? out[0] : total + out[k];
    }
    for (long k = 0; k < n; k++) {
        out[k] = out[k] / total;
    }
}
";

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
