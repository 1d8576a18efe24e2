//! The Taylor test (SPEC 4): along a seeded random direction δ and for steps
//! h = h0/2^k, the remainders r0 = |L(θ+hδ) − L(θ)|, r1 = |… − h ∇L·δ| and
//! r2 = |… − h²/2 δᵀHδ| must shrink at rates 1, 2 and 3. ∇L·δ and δᵀHδ are graph
//! nodes (AD, then a Hessian-vector product), compiled once; the loss alone is compiled
//! again for the many steps.
//!
//! **The window is found, not asked for.** A step counts for an order when its
//! remainder and the previous one are above the rounding floor (1000 ulps of the
//! loss's magnitude: about 2e-13 relative in f64, 1e-23 in decimal, plus 1000 times the
//! decimal's resolution of 1e-28 absolute). At large h higher
//! terms dominate, so the verdict reads the last three counted rates (the smallest h
//! above the floor): their median must reach 0.9, 1.9, 2.9. An order whose remainder
//! is at the floor for all steps but one at most is exact (r2 of a quadratic).
//! A failing order where one-sided differences disagree (a kink, in δ or in a param)
//! is reported as not smooth, which is not a failure.
//!
//! **With bounds the steps stay in the box**: δ is drawn as usual and each component
//! pointing out of its box is shortened so that θ + h0·δ is inside (0 on a bound θ
//! sits on), so every θ + hδ with h <= h0 is (`check/points.rs`). The central
//! differences and the kink probe are two-sided and local (h ≈ 1e-5·|θ|); where one
//! side leaves the loss's domain they are left out, as anywhere else.

use super::{Options, domain, not_decimal, points};
use crate::error::Error;
use crate::graph::{BinOp, Func, Graph, GraphFull, NodeId, VarId};
use crate::program::Program;
use crate::syntax::Number;
use crate::tape::{Compiled, Scalar};
use rust_decimal::Decimal;

/// The first step.
const H0: f64 = 0.1;
/// Steps in f64 and in decimal.
const STEPS_F64: usize = 24;
const STEPS_DECIMAL: usize = 40;
/// The rounding floor: relative to the loss, 1000 ulps in f64 and in decimal 1000 times
/// the accuracy of its `exp` and `ln` (about 1e-26); absolute, 1000 times the smallest
/// step of the number type (decimal has 28 places after the point, so a loss near 1e-30
/// is all rounding; f64's subnormals are negligible).
const FLOOR_F64: Floor = Floor {
    relative: 2.2e-13,
    absolute: 1000.0 * f64::MIN_POSITIVE,
};
const FLOOR_DECIMAL: Floor = Floor {
    relative: 1e-23,
    absolute: 1e-25,
};

/// Remainders at or below `relative * |L| + absolute` are rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Floor {
    relative: f64,
    absolute: f64,
}

impl Floor {
    /// The floor for a loss of magnitude `scale`.
    fn at(self, scale: f64) -> f64 {
        self.relative * scale.abs() + self.absolute
    }
}
/// The rates each order must reach.
const TARGETS: [f64; 3] = [0.9, 1.9, 2.9];

/// The Taylor test of one objective.
#[derive(Debug, Clone, PartialEq)]
pub struct TaylorReport {
    /// The objective's name.
    pub of: String,
    /// Whether it passed (a kink is not a failure).
    pub ok: bool,
    /// Pass, not smooth, or fail.
    pub verdict: Verdict,
    /// The loss at the current params.
    pub loss: f64,
    /// The direction δ, per param.
    pub direction: Vec<(String, f64)>,
    /// One row per step h.
    pub steps: Vec<Step>,
    /// The verdict of each order (r0, r1, r2).
    pub orders: [Order; 3],
    /// AD against a central difference, for the first [`MAX_DIFFERENCES`] params.
    pub gradient: Vec<ParamDifference>,
}

/// The most params given a central difference: each costs six evaluations of the
/// loss, so a program of 10,000 params would take minutes for a table nobody reads.
pub const MAX_DIFFERENCES: usize = 20;

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every order reached its rate or is exact.
    Pass,
    /// An order failed, but the loss has a kink here (one-sided differences disagree).
    NotSmooth,
    /// An order failed on a smooth loss: the gradient or Hessian is wrong.
    Fail,
}

/// One step of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The step h.
    pub h: f64,
    /// L(θ + hδ) (`None` outside the domain).
    pub loss: Option<f64>,
    /// r0, r1, r2 (`None` where L(θ+hδ) is outside the domain).
    pub remainders: [Option<f64>; 3],
    /// log2(r(previous h) / r(h)) per order (`None` on the first step).
    pub rates: [Option<f64>; 3],
    /// Whether each rate is in the window above the rounding floor.
    pub counted: [bool; 3],
}

/// The verdict of one order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    /// The rate it must reach (1, 2, 3).
    pub rate: u32,
    /// What was found.
    pub verdict: OrderVerdict,
    /// The median of the last three counted rates.
    pub observed: Option<f64>,
}

/// What one order showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderVerdict {
    /// The rate was reached above the floor.
    Reached,
    /// The remainder is at the rounding floor: this order of the expansion is exact.
    Exact,
    /// The rate was not reached.
    Failed,
}

/// A param's derivative by AD beside a central difference.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDifference {
    /// The param.
    pub name: String,
    /// The AD value.
    pub derivative: f64,
    /// The central difference (`None` outside the domain).
    pub central: Option<f64>,
    /// The one-sided differences (forward, backward) where they disagree: a kink.
    pub kink: Option<(f64, f64)>,
}

/// Runs the Taylor test of `objective` (named `name`) by the params `wrt`. `Err` when
/// the loss or its derivatives are outside their domain at the current params.
pub fn taylor(
    program: &mut Program,
    name: &str,
    objective: NodeId,
    wrt: &[VarId],
    options: &Options,
) -> Result<TaylorReport, Error> {
    let theta = program.param_values(wrt);
    let bounds = program.param_bounds(wrt);
    let delta = points::direction(&theta, &bounds, H0, options.seed);
    let span = program.graph.node(objective).span;
    let nodes = expansion(&mut program.graph, objective, wrt, &delta)
        .map_err(|full| Error::graph_full(full, format!("the Taylor test of `{name}`"), span))?;
    let mut report = if options.precise {
        Run::<Decimal>::new(program, &nodes, wrt, &theta, &delta, FLOOR_DECIMAL)?
            .report(program, options)
    } else {
        Run::<f64>::new(program, &nodes, wrt, &theta, &delta, FLOOR_F64)?.report(program, options)
    };
    report.of = name.to_string();
    Ok(report)
}

/// `[L, ∇L·δ, δᵀHδ, ∂L/∂θ_1, ...]` as nodes.
fn expansion(
    g: &mut Graph,
    objective: NodeId,
    wrt: &[VarId],
    delta: &[Decimal],
) -> Result<Vec<NodeId>, GraphFull> {
    // δ as one node per param, of its shape (a vector literal for a shaped one).
    let mut rest = delta;
    let mut parts = Vec::with_capacity(wrt.len());
    for &v in wrt {
        let item = g.var(v).item;
        let (mine, others) = rest.split_at(item.size().min(rest.len()));
        rest = others;
        let numbers = mine.iter().map(|&d| Number::from_decimal(d)).collect();
        parts.push(g.tensor_node(item, numbers, None));
    }
    let delta = parts;
    let gradient = crate::ad::gradient(g, objective, wrt)?;
    let hv = crate::ad::hessian_vector(g, objective, wrt, &delta)?;
    let slope = dot(g, &gradient, &delta);
    let curvature = dot(g, &hv, &delta);
    let mut nodes = vec![objective, slope, curvature];
    nodes.extend(gradient);
    Ok(nodes)
}

fn dot(g: &mut Graph, a: &[NodeId], b: &[NodeId]) -> NodeId {
    let mut total = g.int(0);
    for (&x, &y) in a.iter().zip(b) {
        let mut product = g.binary(BinOp::Mul, x, y);
        if !g.item(product).is_scalar() {
            product = g.add(
                crate::graph::Op::Item(crate::graph::ItemFunc::Total, product),
                None,
            );
        }
        total = g.binary(BinOp::Add, total, product);
    }
    total
}

/// The compiled loss and the values at θ, in the number type `S`.
struct Run<S> {
    loss: Compiled<S>,
    wrt: Vec<VarId>,
    /// The components of each of `wrt` (θ, δ and the gradient are flat).
    sizes: Vec<usize>,
    theta: Vec<S>,
    delta: Vec<S>,
    /// L, ∇L·δ, δᵀHδ at θ.
    base: [S; 3],
    gradient: Vec<f64>,
    /// The rounding floor of S.
    floor: Floor,
}

impl<S: Scalar> Run<S> {
    fn new(
        program: &Program,
        nodes: &[NodeId],
        wrt: &[VarId],
        theta: &[f64],
        delta: &[Decimal],
        floor: Floor,
    ) -> Result<Run<S>, Error> {
        let mut full =
            Compiled::<S>::of_program(program, nodes).ok_or_else(|| not_decimal(program))?;
        let loss =
            Compiled::<S>::of_program(program, &nodes[..1]).ok_or_else(|| not_decimal(program))?;
        full.run(&program.graph)
            .map_err(|e| domain(program, nodes, e, theta))?;
        let values: Vec<S> = (0..nodes.len())
            .filter_map(|k| full.components(k))
            .flatten()
            .collect();
        let theta: Option<Vec<S>> = theta.iter().map(|&t| S::from_f64(t)).collect();
        let delta: Option<Vec<S>> = delta
            .iter()
            .map(|&d| S::from_number(&Number::from_decimal(d)))
            .collect();
        let (Some(theta), Some(delta)) = (theta, delta) else {
            return Err(not_decimal(program));
        };
        if values.len() != 3 + theta.len() {
            return Err(not_decimal(program));
        }
        Ok(Run {
            loss,
            wrt: wrt.to_vec(),
            sizes: program.sizes(wrt),
            theta,
            delta,
            base: [values[0], values[1], values[2]],
            gradient: values[3..].iter().map(|v| v.to_f64()).collect(),
            floor,
        })
    }

    /// L at θ + h·e (e a direction), or `None` outside the domain.
    fn loss_at(&mut self, program: &Program, h: S, e: &[S]) -> Option<S> {
        let mut moved = Vec::with_capacity(self.theta.len());
        for (&t, &d) in self.theta.iter().zip(e) {
            moved.push(S::binary(BinOp::Add, t, S::binary(BinOp::Mul, h, d)?)?);
        }
        let mut rest = moved.as_slice();
        for (&var, &size) in self.wrt.iter().zip(&self.sizes) {
            let (mine, others) = rest.split_at(size.min(rest.len()));
            self.loss.set_exact_components(var, mine);
            rest = others;
        }
        self.loss.run(&program.graph).ok()?;
        self.loss.scalar(0)
    }

    fn report(mut self, program: &Program, options: &Options) -> TaylorReport {
        let steps = self.steps(program, options);
        let orders = [0, 1, 2].map(|j| order(&steps, j, self.floor, self.base[0].to_f64()));
        let gradient = self.central(program);
        let smooth = orders.iter().all(|o| o.verdict != OrderVerdict::Failed);
        let verdict = if smooth {
            Verdict::Pass
        } else if gradient.iter().any(|p| p.kink.is_some()) || self.kink_along(program) {
            Verdict::NotSmooth
        } else {
            Verdict::Fail
        };
        let names = program.component_names(&self.wrt).into_iter();
        TaylorReport {
            of: String::new(),
            ok: verdict != Verdict::Fail,
            verdict,
            loss: self.base[0].to_f64(),
            direction: names.zip(self.delta.iter().map(|d| d.to_f64())).collect(),
            steps,
            orders,
            gradient,
        }
    }

    fn steps(&mut self, program: &Program, options: &Options) -> Vec<Step> {
        let count = if options.precise {
            STEPS_DECIMAL
        } else {
            STEPS_F64
        };
        let two = S::from_usize(2);
        let mut h = S::from_f64(H0);
        let mut steps: Vec<Step> = Vec::with_capacity(count);
        for _ in 0..count {
            let Some(step_h) = h else { break };
            let delta = self.delta.clone();
            let lh = self.loss_at(program, step_h, &delta);
            let remainders = lh
                .and_then(|lh| self.remainders(step_h, lh))
                .map_or([None; 3], |r| r.map(Some));
            let previous = steps.last().map(|s| s.remainders);
            let rates = [0, 1, 2].map(|j| rate(previous.and_then(|p| p[j]), remainders[j]));
            steps.push(Step {
                h: step_h.to_f64(),
                loss: lh.map(|l| l.to_f64()),
                remainders,
                rates,
                counted: [false; 3],
            });
            h = S::binary(BinOp::Div, step_h, two);
        }
        mark_window(&mut steps, self.floor, self.base[0].to_f64());
        steps
    }

    /// r0, r1, r2 at step h, computed in S.
    fn remainders(&self, h: S, lh: S) -> Option<[f64; 3]> {
        let [l0, slope, curvature] = self.base;
        let sub = |a, b| S::binary(BinOp::Sub, a, b);
        let mul = |a, b| S::binary(BinOp::Mul, a, b);
        let d0 = sub(lh, l0)?;
        let d1 = sub(d0, mul(h, slope)?)?;
        let half = S::binary(BinOp::Div, mul(h, h)?, S::from_usize(2))?;
        let d2 = sub(d1, mul(half, curvature)?)?;
        let abs = |x: S| S::unary(Func::Abs, x).map(|a| a.to_f64());
        Some([abs(d0)?, abs(d1)?, abs(d2)?])
    }
}

/// log2(previous / current), when both are positive.
fn rate(previous: Option<f64>, current: Option<f64>) -> Option<f64> {
    match (previous, current) {
        (Some(p), Some(c)) if p > 0.0 && c > 0.0 => Some((p / c).log2()),
        _ => None,
    }
}

/// The floor of a step: at the larger of |L(θ)| and |L(θ+hδ)|.
fn floor_at(step: &Step, floor: Floor, l0: f64) -> f64 {
    floor.at(l0.abs().max(step.loss.map_or(0.0, f64::abs)))
}

/// Whether remainder j of a step is above the rounding floor.
fn above(step: &Step, j: usize, floor: Floor, l0: f64) -> bool {
    step.remainders[j].is_some_and(|r| r > floor_at(step, floor, l0))
}

/// Marks the rates whose two remainders are both above the rounding floor.
fn mark_window(steps: &mut [Step], floor: Floor, l0: f64) {
    for k in 1..steps.len() {
        for j in 0..3 {
            steps[k].counted[j] = steps[k].rates[j].is_some()
                && above(&steps[k - 1], j, floor, l0)
                && above(&steps[k], j, floor, l0);
        }
    }
}

/// The verdict of order j: exact when at most one remainder is above the floor, else
/// the median of the last three counted rates against the target.
fn order(steps: &[Step], j: usize, floor: Floor, l0: f64) -> Order {
    let above_floor = steps.iter().filter(|s| above(s, j, floor, l0)).count();
    let counted: Vec<f64> = steps
        .iter()
        .filter(|s| s.counted[j])
        .filter_map(|s| s.rates[j])
        .collect();
    let last = &counted[counted.len().saturating_sub(3)..];
    let observed = median(last);
    let verdict = if above_floor <= 1 {
        OrderVerdict::Exact
    } else if observed.is_some_and(|o| o >= TARGETS[j]) {
        OrderVerdict::Reached
    } else {
        OrderVerdict::Failed
    };
    Order {
        rate: j as u32 + 1,
        verdict,
        observed,
    }
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

impl<S: Scalar> Run<S> {
    /// The central difference of each param, with its one-sided differences when
    /// they disagree (a kink).
    fn central(&mut self, program: &Program) -> Vec<ParamDifference> {
        let relative_step = if self.floor.relative > 1e-20 {
            6e-6
        } else {
            2e-9
        };
        let n = self.theta.len();
        let shown = n.min(MAX_DIFFERENCES);
        let names = program.component_names(&self.wrt);
        let mut out = Vec::with_capacity(shown);
        for i in 0..shown {
            let mut unit = vec![S::ZERO; n];
            let h = relative_step * self.theta[i].to_f64().abs().max(1.0);
            unit[i] = S::from_f64(1.0).unwrap_or(S::ZERO);
            let central = self
                .second_difference(program, h, &unit)
                .map(|(plus, minus)| (plus - minus) / (2.0 * h));
            let kink = self.kink(program, h, &unit);
            out.push(ParamDifference {
                name: names.get(i).cloned().unwrap_or_default(),
                derivative: self.gradient[i],
                central,
                kink,
            });
        }
        out
    }

    /// Whether the loss has a kink along δ at θ.
    fn kink_along(&mut self, program: &Program) -> bool {
        let delta = self.delta.clone();
        self.kink(program, H0 / 1024.0, &delta).is_some()
    }

    /// `(L(θ+he) − L(θ), L(θ−he) − L(θ))` computed in S, as f64.
    fn second_difference(&mut self, program: &Program, h: f64, e: &[S]) -> Option<(f64, f64)> {
        let step = S::from_f64(h)?;
        let back = S::unary(Func::Neg, step)?;
        let l0 = self.base[0];
        let plus = S::binary(BinOp::Sub, self.loss_at(program, step, e)?, l0)?;
        let minus = S::binary(BinOp::Sub, self.loss_at(program, back, e)?, l0)?;
        Some((plus.to_f64(), minus.to_f64()))
    }

    /// The one-sided differences (forward, backward) along e when they disagree by a
    /// jump that does not shrink with h (a smooth loss's shrinks like h).
    fn kink(&mut self, program: &Program, h: f64, e: &[S]) -> Option<(f64, f64)> {
        let (plus, minus) = self.second_difference(program, h, e)?;
        let (plus_small, minus_small) = self.second_difference(program, h / 16.0, e)?;
        let jump = (plus + minus).abs() / h;
        let jump_small = (plus_small + minus_small).abs() / (h / 16.0);
        let noise = 100.0 * self.floor.at(self.base[0].to_f64()) / (h / 16.0);
        let kinked = jump_small > noise && jump_small > 0.5 * jump;
        kinked.then_some((plus / h, -minus / h))
    }
}
