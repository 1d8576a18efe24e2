//! One line of documentation for every built-in name: functions, constants, descent
//! methods and their options, distributions and keywords. Hover shows these, and
//! completion lists them.
//!
//! The lists are the crate's own where it has one ([`crate::graph::Func::NAMED`],
//! [`crate::graph::ItemFunc::NAMED`], [`crate::descent::METHODS`], [`COMMON_OPTIONS`],
//! [`Method::option_names`]); the tests below fail
//! when one of those gains a name without a line here.

use crate::descent::{COMMON_OPTIONS, Method};
#[cfg(test)]
use crate::graph::{Func, ItemFunc};

/// A built-in function: its name, its signature as written, and what it computes.
pub type FunctionDoc = (&'static str, &'static str, &'static str);

/// Every built-in function (the one-argument [`crate::graph::Func::NAMED`], the two-argument ones,
/// and the vector and matrix operations of SPEC 10).
pub const FUNCTIONS: [FunctionDoc; 38] = [
    (
        "exp",
        "exp(x)",
        "e to the power x; overflow to inf is an error",
    ),
    ("ln", "ln(x)", "the natural logarithm, for x > 0"),
    (
        "log",
        "log(x)",
        "the natural logarithm (the same as `ln`), for x > 0",
    ),
    ("log2", "log2(x)", "the base-2 logarithm, for x > 0"),
    ("log10", "log10(x)", "the base-10 logarithm, for x > 0"),
    ("sqrt", "sqrt(x)", "the square root, for x >= 0"),
    ("abs", "abs(x)", "|x|; its derivative at 0 is 0"),
    ("sin", "sin(x)", "the sine of x radians"),
    ("cos", "cos(x)", "the cosine of x radians"),
    ("tan", "tan(x)", "the tangent of x radians"),
    ("asin", "asin(x)", "the arcsine, for -1 <= x <= 1"),
    ("acos", "acos(x)", "the arccosine, for -1 <= x <= 1"),
    ("atan", "atan(x)", "the arctangent"),
    ("sinh", "sinh(x)", "the hyperbolic sine"),
    ("cosh", "cosh(x)", "the hyperbolic cosine"),
    ("tanh", "tanh(x)", "the hyperbolic tangent"),
    (
        "sigmoid",
        "sigmoid(x)",
        "the logistic function 1/(1 + exp(-x))",
    ),
    (
        "softplus",
        "softplus(x)",
        "ln(1 + exp(x)), computed stably; its derivative is sigmoid(x)",
    ),
    ("relu", "relu(x)", "max(x, 0); its derivative at 0 is 0"),
    (
        "sign",
        "sign(x)",
        "-1, 0 or 1; its derivative is 0 everywhere",
    ),
    (
        "step",
        "step(x)",
        "1 where x > 0, else 0; its derivative is 0 everywhere",
    ),
    (
        "sum",
        "sum(x)",
        "the sum over the data rows (keeps a vector's components)",
    ),
    (
        "mean",
        "mean(x)",
        "the mean over the data rows (keeps a vector's components)",
    ),
    (
        "max",
        "max(a, b)",
        "the larger of a and b; at a tie the derivative splits evenly",
    ),
    (
        "min",
        "min(a, b)",
        "the smaller of a and b; at a tie the derivative splits evenly",
    ),
    ("pow", "pow(a, b)", "a to the power b, the same as `a ^ b`"),
    (
        "dot",
        "dot(a, b)",
        "contracts the last axis of a with the first of b (also `a @ b`)",
    ),
    (
        "outer",
        "outer(a, b)",
        "the matrix of products a[i]*b[j] of two vectors",
    ),
    (
        "total",
        "total(v)",
        "the sum of a vector's or matrix's components",
    ),
    (
        "transpose",
        "transpose(A)",
        "a matrix with its axes swapped",
    ),
    ("norm", "norm(v)", "the Euclidean norm of a vector"),
    (
        "softmax",
        "softmax(v)",
        "exp(v) / total(exp(v)), computed stably",
    ),
    (
        "logsumexp",
        "logsumexp(v)",
        "ln(total(exp(v))), computed stably",
    ),
    (
        "diag",
        "diag(v) or diag(A)",
        "the [K, K] matrix with v on its diagonal, or the diagonal of a square matrix",
    ),
    (
        "zeros",
        "zeros(K) or zeros(M, K)",
        "a vector or matrix of zeros",
    ),
    (
        "ones",
        "ones(K) or ones(M, K)",
        "a vector or matrix of ones",
    ),
    (
        "normal",
        "normal(mean, sd)",
        "a param's random start: `param w ~ normal(0, 1)`",
    ),
    (
        "uniform",
        "uniform(low, high)",
        "a param's random start: `param w ~ uniform(-1, 1)`",
    ),
];

/// The built-in constants: name and meaning.
pub const CONSTANTS: [(&str, &str); 3] = [
    ("pi", "the constant π = 3.14159..."),
    ("e", "the constant e = 2.71828..., the base of `ln`"),
    ("inf", "an infinite bound, in `param s = 1 in [0, inf]`"),
];

/// The keywords, with what each statement does (SPEC 1.2).
pub const KEYWORDS: [(&str, &str); 8] = [
    (
        "param",
        "declares trainable params: `param w = -2, b ~ normal(0, 1)`",
    ),
    (
        "data",
        "declares data columns: `data x = [0.5, 2.5]` or `data x, y from \"points.csv\"`",
    ),
    ("from", "names the CSV file of a `data` statement"),
    (
        "check",
        "verifies a hand-derived derivative: `check d(loss)/d(w) = ...`",
    ),
    (
        "minimize",
        "runs gradient descent: `minimize loss wrt w by gd(rate = 0.1)`",
    ),
    ("by", "names the descent method of a `minimize`"),
    (
        "wrt",
        "names the params a `minimize` moves (default: all it depends on)",
    ),
    ("in", "bounds a param: `param s = 1 in [0, inf]`"),
];

/// What each descent method does, with its defaults (SPEC 5, 11).
pub fn method_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "gd" => "plain gradient descent θ ← θ − η g (rate 0.1)",
        "momentum" => "heavy-ball momentum v ← βv + g, θ ← θ − ηv (rate 0.1, beta 0.9)",
        "nesterov" => "Nesterov momentum θ ← θ − η(g + βv) (rate 0.1, beta 0.9)",
        "adam" => "Adam with bias correction (rate 0.001, beta1 0.9, beta2 0.999, eps 1e-8)",
        "armijo" => "backtracking line search on the Armijo condition (rate 1, c 1e-4, shrink 0.5)",
        "newton" => "damped Newton steps on the symbolic Hessian (rate 1, damping 1e-6)",
        "lbfgs" => "L-BFGS with a strong-Wolfe line search, bound-aware (rate 1, memory 10)",
        _ => return None,
    })
}

/// What a method option means.
pub fn option_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "rate" => "the step size η, a positive number or `auto` (1/λmax of the Hessian)",
        "epochs" => "the most epochs to run (default 1000)",
        "tol" => "stop when |∇L| < tol at a minimum",
        "ftol" => "stop when the relative loss change stays below ftol for 3 epochs",
        "batch" => "mini-batches of this many rows, shuffled each epoch",
        "beta" => "the momentum factor β, in [0, 1) (default 0.9)",
        "beta1" => "Adam's first-moment decay β1, in [0, 1) (default 0.9)",
        "beta2" => "Adam's second-moment decay β2, in [0, 1) (default 0.999)",
        "eps" => "Adam's ε added to the denominator, positive (default 1e-8)",
        "c" => "the Armijo sufficient-decrease constant, in (0, 1) (default 1e-4)",
        "shrink" => "the factor a rejected step is shrunk by, in (0, 1) (default 0.5)",
        "damping" => "the first λ of Newton's (H + λI), positive (default 1e-6)",
        "memory" => "the (s, y) pairs L-BFGS keeps, 1 to 10000 (default 10)",
        _ => return None,
    })
}

/// The built-in function called `name`.
pub fn function(name: &str) -> Option<&'static FunctionDoc> {
    FUNCTIONS.iter().find(|(n, _, _)| *n == name)
}

/// The built-in constant called `name`, with its meaning.
pub fn constant(name: &str) -> Option<&'static (&'static str, &'static str)> {
    CONSTANTS.iter().find(|(n, _)| *n == name)
}

/// The options `method` takes: its own, then the common ones.
pub fn options_of(method: &str) -> Vec<&'static str> {
    let own = Method::named(method).map_or(&[][..], |m| m.option_names());
    own.iter().copied().chain(COMMON_OPTIONS).collect()
}

/// The crate's one-argument functions, for the tests to hold the table to.
#[cfg(test)]
fn crate_functions() -> impl Iterator<Item = &'static str> {
    let unary = Func::NAMED.iter().map(|(n, _)| *n);
    unary.chain(ItemFunc::NAMED.iter().map(|(n, _)| *n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descent::METHODS;
    use crate::program::{LoadOptions, Program};
    use crate::syntax::Sources;

    fn loads(text: &str) -> bool {
        let mut sources = Sources::new();
        let id = sources.add("doc.nabla", text);
        let base = std::path::Path::new(".");
        Program::from_source(&mut sources, id, base, &LoadOptions::default()).is_ok()
    }

    #[test]
    fn every_crate_function_has_a_doc() {
        for name in crate_functions() {
            assert!(function(name).is_some(), "`{name}` has no doc line");
        }
    }

    #[test]
    fn every_documented_function_is_callable() {
        for (name, _, _) in FUNCTIONS {
            let text = match name {
                "normal" | "uniform" => format!("param w ~ {name}(0, 1)\nf = w\n"),
                "zeros" | "ones" => format!("param w = 1\nf = total({name}(3)) * w\n"),
                "dot" | "outer" => format!("param v = {{1, 2}}\nf = total({name}(v, v))\n"),
                "total" | "transpose" | "norm" | "softmax" | "logsumexp" | "diag" => {
                    format!("param A = {{{{1, 2}}, {{3, 4}}}}\nf = total({name}(A))\n")
                }
                "max" | "min" | "pow" => format!("param a = 1\nf = {name}(a, 2)\n"),
                _ => format!("param a = 0.5\nf = {name}(a)\n"),
            };
            let text = text.replace("total(norm(A))", "norm({1, 2})");
            let text = text.replace("total(softmax(A))", "total(softmax({1, 2}))");
            let text = text.replace("total(logsumexp(A))", "logsumexp({1, 2})");
            assert!(loads(&text), "`{name}` does not load:\n{text}");
        }
    }

    #[test]
    fn every_method_and_option_has_a_doc() {
        for method in METHODS {
            assert!(method_doc(method).is_some(), "method `{method}`");
            for option in options_of(method) {
                assert!(option_doc(option).is_some(), "option `{option}`");
            }
        }
        assert!(options_of("lbfgs").contains(&"memory"));
    }
}
