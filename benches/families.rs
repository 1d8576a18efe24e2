//! The three families of the W2 "symbolic differentiation scaling" comparison
//! (`/work/shared/bench/peers/w2_symbolic.py`: `data`, `text_formula`, `nested_build`),
//! as `.nabla` program text, and the pipeline `nabla grad` runs on them.
//!
//! Shared by `benches/differentiate.rs` and `tests/scaling.rs` (which includes it with
//! `#[path = "../benches/families.rs"] mod families;`).
#![allow(dead_code)]

use nabla::graph::{NodeId, VarId};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::fmt::Write as _;
use std::path::Path;

/// Hidden units of the `mlp` family (`H` in the Python).
pub const HIDDEN: usize = 8;

/// A family of objectives, one per size `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `e(0) = x`, `e(k+1) = sin(e(k))*e(k) + x`, loss `e(n)`; one param `x`.
    Nested,
    /// The sigmoid loss written out over `n` literal points; params `w`, `b`.
    Sigmoid,
    /// A 1-8-1 tanh network's loss written out over `n` literal points; 25 params.
    Mlp,
}

impl Family {
    /// All families.
    pub const ALL: [Family; 3] = [Family::Nested, Family::Sigmoid, Family::Mlp];

    /// The name the Python script uses.
    pub fn name(self) -> &'static str {
        match self {
            Family::Nested => "nested",
            Family::Sigmoid => "sigmoid",
            Family::Mlp => "mlp",
        }
    }
}

/// The `n` data points `(x, y)`, each in thousandths: `x` in [-3, 3], `y` in
/// [0.01, 0.99], `y` a noisy sigmoid of `1.5*x - 0.5`.
///
/// The Python draws them with `random.Random(0)` (`uniform(-3, 3)`, `gauss(0, 0.05)`)
/// and rounds to 3 decimals. Reproducing Python's Mersenne Twister is not needed for a
/// size comparison, so these are other fixed points of the same shape: a splitmix64
/// stream with seed 0, a uniform `x`, Box-Muller noise, the same clamp and rounding.
pub fn points(n: usize) -> Vec<(i64, i64)> {
    let mut state = 0u64;
    let mut uniform = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 // in [0, 1)
    };
    (0..n)
        .map(|_| {
            let x = ((uniform() * 6.0 - 3.0) * 1000.0).round() / 1000.0;
            let (u1, u2) = (1.0 - uniform(), uniform()); // u1 in (0, 1]
            let gauss = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            let clean = 1.0 / (1.0 + (-(1.5 * x - 0.5)).exp()); // the Python: 2.718281828 ** ...
            let y = (clean + 0.05 * gauss).clamp(0.01, 0.99);
            ((x * 1000.0).round() as i64, (y * 1000.0).round() as i64)
        })
        .collect()
}

/// A number in thousandths written as Python's `repr` of the rounded float writes it:
/// `512` is `0.512`, `500` is `0.5`, `-1000` is `-1.0`.
pub fn decimal(thousandths: i64) -> String {
    let sign = if thousandths < 0 { "-" } else { "" };
    let a = thousandths.unsigned_abs();
    let fraction = format!("{:03}", a % 1000);
    let fraction = fraction.trim_end_matches('0');
    let fraction = if fraction.is_empty() { "0" } else { fraction };
    format!("{sign}{}.{fraction}", a / 1000)
}

/// The `.nabla` program of `family` at size `n`; its objective is the definition `loss`.
///
/// `sigmoid` and `mlp` write the loss out exactly like the Python's `text_formula`
/// (one scalar formula over `n` literal points). `nested` uses definitions
/// `e1 = sin(x)*x + x`, `e2 = sin(e1)*e1 + x`, ..., so its text is linear in `n`,
/// where the Python has to build it programmatically (as flat text it is 2^n long).
pub fn source(family: Family, n: usize) -> String {
    let mut text = String::new();
    match family {
        Family::Nested => {
            text.push_str("param x = 0.3\n");
            let mut previous = "x".to_string();
            for k in 1..=n {
                let _ = writeln!(text, "e{k} = sin({previous})*{previous} + x");
                previous = format!("e{k}");
            }
            let _ = writeln!(text, "loss = {previous}");
        }
        Family::Sigmoid => {
            text.push_str("param w = 0.3, b = 0.3\n");
            let terms: Vec<String> = points(n)
                .into_iter()
                .map(|(x, y)| {
                    let (x, y) = (decimal(x), decimal(y));
                    format!("0.5*((1/(1+exp(-(w*{x}+b))))-{y})^2")
                })
                .collect();
            let _ = writeln!(text, "loss = ({})/{n}", terms.join(" + "));
        }
        Family::Mlp => {
            let params: Vec<String> = mlp_params().iter().map(|p| format!("{p} = 0.3")).collect();
            let _ = writeln!(text, "param {}", params.join(", "));
            let terms: Vec<String> = points(n)
                .into_iter()
                .map(|(x, y)| {
                    let (x, y) = (decimal(x), decimal(y));
                    let hidden: Vec<String> = (0..HIDDEN)
                        .map(|j| format!("w2_{j}*tanh(w1_{j}*{x}+b1_{j})"))
                        .collect();
                    format!("0.5*(({} + b2)-{y})^2", hidden.join(" + "))
                })
                .collect();
            let _ = writeln!(text, "loss = ({})/{n}", terms.join(" + "));
        }
    }
    text
}

/// The `mlp` family's params in the Python's order: `w1_j`, `b1_j`, `w2_j`, `b2`.
pub fn mlp_params() -> Vec<String> {
    let mut names: Vec<String> = ["w1", "b1", "w2"]
        .iter()
        .flat_map(|p| (0..HIDDEN).map(move |j| format!("{p}_{j}")))
        .collect();
    names.push("b2".to_string());
    names
}

/// A program differentiated as `nabla grad` does it (`src/cli/grad.rs`, `run_grad`).
pub struct Differentiated {
    /// The loaded program; its graph holds the gradient too.
    pub program: Program,
    /// The objective as lowered (`loss`), before simplification.
    pub objective: NodeId,
    /// The params, in declaration order.
    pub vars: Vec<VarId>,
    /// The simplified gradient, one node per param.
    pub gradient: Vec<NodeId>,
}

impl Differentiated {
    /// The nodes the objective depends on.
    pub fn function_nodes(&self) -> usize {
        self.program.graph.reachable(&[self.objective]).len()
    }

    /// The nodes the gradient depends on (all components together).
    pub fn gradient_nodes(&self) -> usize {
        self.program.graph.reachable(&self.gradient).len()
    }
}

/// The whole pipeline from text, as `nabla grad` runs it: parse, lower (which folds and
/// recognises the written-out sigmoid), reverse-mode gradient by every param, simplify.
pub fn differentiate(text: &str) -> Differentiated {
    let mut sources = Sources::new();
    let id = sources.add("family.nabla", text);
    let mut program =
        match Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default()) {
            Ok(p) => p,
            Err(errors) => panic!("the family's program does not load: {errors:?}"),
        };
    let objective = program
        .definition("loss")
        .expect("the family defines loss")
        .node;
    let vars: Vec<VarId> = program.params.iter().map(|p| p.var).collect();
    let graph = &mut program.graph;
    let gradient =
        nabla::simplify::simplified_gradient(graph, objective, &vars).expect("the graph has room");
    Differentiated {
        program,
        objective,
        vars,
        gradient,
    }
}
