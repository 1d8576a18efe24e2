//! L-BFGS (SPEC 11; Nocedal and Wright, "Numerical Optimization", algorithms 7.4 and
//! 7.5): the two-loop recursion over the last m pairs s = θ₊ − θ, y = g₊ − g gives
//! the direction p = −H g, with H₀ = (s·y)/(y·y) I from the newest pair; Moré and
//! Thuente's strong-Wolfe search ([`super::line_search`], c1 1e-4, c2 0.9) picks the
//! step along it.
//!
//! - **The first step of a run, and of every restart, is steepest descent scaled to
//!   |g|**: the first trial is α = η/|g|, so it moves θ by η (L-BFGS-B's
//!   `stp = min(1/|d|, stpmx)` on its first iteration); later trials start at α = η
//!   (1 by default), the step the quasi-Newton model predicts. (η·min(1, 1/|g|)
//!   would make the first trial as short as |g| where the gradient is small: on the
//!   saturated sigmoid neuron that costs a dozen more evaluations.)
//! - **A safe restart** clears the memory: when a search along p fails (p is not a
//!   descent direction, no step meets the conditions in the search's evaluations, or
//!   none lowers the loss), it is redone along −g from the scaled first step; when a
//!   pair has s·y <= ε·|s||y| (ε the machine epsilon), it is not stored, and the memory
//!   is cleared, since a BFGS update needs positive curvature.
//! - Like `armijo` and `newton`, no trial is longer than 10·max(1, |θ|)
//!   ([`step_cap`]), so the step lands where the model says something.
//! - **Inside a box** (`param s = 1 in [0, inf]`) the step is Bertsekas' projected
//!   two-metric one, with the L-BFGS metric on the free components and a backtracking
//!   search along the projection arc (`lbfgs/bounded.rs`, whose docs say why not
//!   L-BFGS-B's Cauchy point). Without a finite bound nothing here changes.
//! - A search that reports rounding trouble or the largest step, with a lower loss, is
//!   taken (MINPACK's warnings, which L-BFGS-B also accepts). Where even steepest
//!   descent cannot lower the loss, θ stays; the state remembers the point, so later
//!   epochs at it cost no evaluations.

mod bounded;

use super::bounds::Bounds;
use super::line_search::{Found, Wolfe, search};
use super::objective::Objective;
use super::search::{dot, step_cap};
use std::collections::VecDeque;

/// The L-BFGS state between epochs: the last pairs, and the point (θ with its
/// gradient: a mini-batch at the same θ has another) where it is stuck.
pub struct Lbfgs {
    memory: usize,
    pairs: VecDeque<Pair>,
    stuck: Option<(Vec<f64>, Vec<f64>)>,
}

/// One pair with ρ = 1/(s·y).
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

/// A point where the search evaluated: α, L and ∇L there.
struct Point {
    step: f64,
    loss: f64,
    gradient: Vec<f64>,
}

impl Lbfgs {
    /// A state keeping at most `memory` pairs (at least one).
    pub fn new(memory: usize) -> Lbfgs {
        Lbfgs {
            memory: memory.max(1),
            pairs: VecDeque::new(),
            stuck: None,
        }
    }

    /// One iteration from θ with `loss` and `gradient` there, with initial step
    /// multiplier `rate`: moves θ and leaves the loss and gradient of the new θ in
    /// `loss` and `gradient` (unchanged when θ stays). Returns the step α taken along
    /// the direction (0 for none).
    /// Inside finite `bounds`, the projected two-metric step of `lbfgs/bounded.rs`.
    pub fn step(
        &mut self,
        objective: &mut Objective<'_>,
        theta: &mut [f64],
        (loss, gradient): (&mut f64, &mut [f64]),
        rate: f64,
        bounds: &Bounds,
    ) -> f64 {
        let here = |(t, g): &(Vec<f64>, Vec<f64>)| t == theta && g == gradient;
        if self.stuck.as_ref().is_some_and(here) {
            return 0.0;
        }
        if bounds.is_bounded() {
            return self.step_bounded(objective, theta, (loss, gradient), rate, bounds);
        }
        if !self.pairs.is_empty() {
            let direction = self.direction(gradient);
            if let Some(step) = self.along(objective, theta, loss, gradient, &direction, rate) {
                return step;
            }
            self.pairs.clear();
        }
        let steepest: Vec<f64> = gradient.iter().map(|g| -g).collect();
        let first = rate / norm(gradient);
        match self.along(objective, theta, loss, gradient, &steepest, first) {
            Some(step) => step,
            None => {
                self.stuck = Some((theta.to_vec(), gradient.to_vec()));
                0.0
            }
        }
    }

    /// The two-loop recursion: −H g from the stored pairs.
    fn direction(&self, gradient: &[f64]) -> Vec<f64> {
        let mut q = gradient.to_vec();
        let mut alphas = Vec::with_capacity(self.pairs.len());
        for pair in self.pairs.iter().rev() {
            let alpha = pair.rho * dot(&pair.s, &q);
            axpy(&mut q, -alpha, &pair.y);
            alphas.push(alpha);
        }
        if let Some(newest) = self.pairs.back() {
            let gamma = dot(&newest.s, &newest.y) / dot(&newest.y, &newest.y);
            q.iter_mut().for_each(|x| *x *= gamma);
        }
        for (pair, alpha) in self.pairs.iter().zip(alphas.iter().rev()) {
            let beta = pair.rho * dot(&pair.y, &q);
            axpy(&mut q, alpha - beta, &pair.s);
        }
        q.iter_mut().for_each(|x| *x = -*x);
        q
    }

    /// The search along `direction` from the first trial `step0`; on success θ, the
    /// loss and the gradient move to the accepted point, the pair is stored (or the
    /// memory cleared), and the step is returned.
    fn along(
        &mut self,
        objective: &mut Objective<'_>,
        theta: &mut [f64],
        loss: &mut f64,
        gradient: &mut [f64],
        direction: &[f64],
        step0: f64,
    ) -> Option<f64> {
        let slope0 = dot(gradient, direction);
        let step_max = step_cap(theta) / norm(direction);
        if !(slope0 < 0.0 && step_max.is_finite() && step_max > 0.0) {
            return None;
        }
        let wolfe = Wolfe {
            step_max,
            ..Wolfe::default()
        };
        let (point, found) = searched(objective, theta, *loss, direction, slope0, step0, &wolfe)?;
        let accepted = matches!(found, Found::Wolfe | Found::Rounding | Found::AtMax);
        if !accepted || point.loss >= *loss || point.step <= 0.0 {
            return None;
        }
        let s: Vec<f64> = direction.iter().map(|d| point.step * d).collect();
        let y: Vec<f64> = point
            .gradient
            .iter()
            .zip(&*gradient)
            .map(|(a, b)| a - b)
            .collect();
        axpy(theta, 1.0, &s);
        gradient.copy_from_slice(&point.gradient);
        *loss = point.loss;
        self.remember(s, y);
        Some(point.step)
    }

    /// Stores the pair when its curvature s·y is clearly positive, else clears the
    /// memory (the next step is steepest descent).
    fn remember(&mut self, s: Vec<f64>, y: Vec<f64>) {
        let sy = dot(&s, &y);
        let curved = sy > f64::EPSILON * norm(&s) * norm(&y);
        if !curved || !sy.is_finite() {
            self.pairs.clear();
            return;
        }
        if self.pairs.len() == self.memory {
            self.pairs.pop_front();
        }
        self.pairs.push_back(Pair {
            s,
            y,
            rho: 1.0 / sy,
        });
    }
}

/// Runs the strong-Wolfe search along `direction` from θ; the point it ends at, with
/// its gradient, and how it ended. `None` when the search refused to start.
fn searched(
    objective: &mut Objective<'_>,
    theta: &[f64],
    loss: f64,
    direction: &[f64],
    slope0: f64,
    step0: f64,
    wolfe: &Wolfe,
) -> Option<(Point, Found)> {
    let step0 = step0.min(wolfe.step_max);
    let mut kept: Vec<Point> = Vec::new();
    let phi = |step: f64| {
        let trial: Vec<f64> = theta
            .iter()
            .zip(direction)
            .map(|(t, d)| t + step * d)
            .collect();
        let mut gradient = vec![0.0; theta.len()];
        let value = objective.loss_and_gradient(&trial, &mut gradient).ok()?;
        let slope = dot(&gradient, direction);
        let point = Point {
            step,
            loss: value,
            gradient,
        };
        keep(&mut kept, point);
        Some((value, slope))
    };
    let outcome = search(phi, loss, slope0, step0, wolfe).ok()?;
    let point = kept.into_iter().find(|p| p.step == outcome.step)?;
    Some((point, outcome.found))
}

/// Keeps the newest point and the lowest one seen (the search ends at one of them).
fn keep(kept: &mut Vec<Point>, point: Point) {
    let lowest = kept
        .drain(..)
        .filter(|p| p.loss.is_finite())
        .min_by(|a, b| a.loss.total_cmp(&b.loss));
    // A NaN loss at the new point keeps the lowest one too.
    let superseded = |l: &Point| point.loss <= l.loss;
    kept.extend(lowest.filter(|l| !superseded(l)));
    kept.push(point);
}

/// v += a x.
fn axpy(v: &mut [f64], a: f64, x: &[f64]) {
    for (v, x) in v.iter_mut().zip(x) {
        *v += a * x;
    }
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}
