//! L-BFGS inside a box: Bertsekas' projected two-metric method ("Projected Newton
//! methods for optimization problems with simple constraints", SIAM J. Control
//! Optim. 20(2), 1982) with the L-BFGS metric, as in Kim, Sra and Dhillon's
//! projected quasi-Newton methods (2010).
//!
//! Each iteration:
//! 1. **The ε-active set**: the components within ε of a bound whose gradient points
//!    out of the box, with ε = min(10⁻³, |θ − P(θ − g)|) (Bertsekas' choice: it
//!    shrinks to 0 at a stationary point, so the set identifies the bounds that hold
//!    there, and a component just off its bound is not trapped by its neighbours).
//! 2. **Two metrics**: the free components move by the two-loop L-BFGS direction,
//!    its dot products taken over the free components only; the active ones by
//!    −γ g (γ = s·y/y·y, the two-loop's initial scaling), which the projection
//!    turns into "stay on the bound". This keeps the step a descent direction: the
//!    full-space L-BFGS direction projected onto the box need not be.
//! 3. **The projection arc**: θ(α) = P(θ + α d), backtracking from α = η (η/|g| for
//!    a steepest-descent restart, as unbounded L-BFGS starts) by safeguarded
//!    quadratic interpolation until L(θ(α)) <= L(θ) + c1·g·(θ(α) − θ) (Armijo along
//!    the arc, c1 = 10⁻⁴). Every trial is a loss-and-gradient pass, so the accepted
//!    point's gradient is at hand and the epoch needs no extra pass.
//! 4. The pair s = θ₊ − θ, y = g₊ − g is stored when s·y > 0, as without bounds; a
//!    failed search clears the memory and retries along −g.
//!
//! Why not L-BFGS-B (Byrd, Lu, Nocedal and Zhu 1995): its generalized Cauchy point
//! and subspace minimisation need the compact form of the L-BFGS matrix and a
//! breakpoint search, several hundred lines more for the same fixed points; the
//! two-metric step finds the active set as fast on the problems nabla meets (a few
//! bounds on many params). Without a finite bound the unbounded step runs unchanged:
//! the strong-Wolfe search there gives the better pairs.

use super::{Lbfgs, norm};
use crate::descent::bounds::Bounds;
use crate::descent::objective::Objective;
use crate::descent::search::{MAX_SHRINKS, dot, step_cap};

/// The largest ε of the ε-active set.
const ACTIVE_EPSILON: f64 = 1e-3;

/// The sufficient decrease along the arc (SPEC 11's c1).
const C1: f64 = 1e-4;

impl Lbfgs {
    /// One projected two-metric iteration (see the module); as [`Lbfgs::step`].
    pub(super) fn step_bounded(
        &mut self,
        objective: &mut Objective<'_>,
        theta: &mut [f64],
        (loss, gradient): (&mut f64, &mut [f64]),
        rate: f64,
        bounds: &Bounds,
    ) -> f64 {
        let active = active_set(theta, gradient, bounds);
        if !self.pairs.is_empty() {
            let direction = self.two_metric(gradient, &active);
            let at = (&mut *loss, &mut *gradient);
            if let Some(step) = self.arc(objective, theta, at, &direction, rate, bounds) {
                return step;
            }
            self.pairs.clear();
        }
        let steepest: Vec<f64> = gradient.iter().map(|g| -g).collect();
        let free = norm(&bounds.projected_gradient(theta, gradient));
        let found = if free > 0.0 {
            let at = (&mut *loss, &mut *gradient);
            self.arc(objective, theta, at, &steepest, rate / free, bounds)
        } else {
            None
        };
        found.unwrap_or_else(|| {
            self.stuck = Some((theta.to_vec(), gradient.to_vec()));
            0.0
        })
    }

    /// The two-metric direction: −H g on the free components (the two-loop recursion
    /// with dot products over them; a pair without positive curvature there is left
    /// out), −γ g on the active ones.
    fn two_metric(&self, gradient: &[f64], active: &[bool]) -> Vec<f64> {
        let masked = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(active)
                .map(|(x, &a)| if a { 0.0 } else { *x })
                .collect()
        };
        let pairs: Vec<(Vec<f64>, Vec<f64>, f64)> = self
            .pairs
            .iter()
            .map(|p| (masked(&p.s), masked(&p.y)))
            .filter_map(|(s, y)| {
                let sy = dot(&s, &y);
                (sy > 0.0 && sy.is_finite()).then(|| (s, y, 1.0 / sy))
            })
            .collect();
        let gamma = pairs
            .last()
            .map(|(s, y, _)| dot(s, y) / dot(y, y))
            .or_else(|| self.pairs.back().map(|p| dot(&p.s, &p.y) / dot(&p.y, &p.y)))
            .filter(|g| g.is_finite() && *g > 0.0)
            .unwrap_or(1.0);
        let mut q = masked(gradient);
        let mut alphas = Vec::with_capacity(pairs.len());
        for (s, y, rho) in pairs.iter().rev() {
            let alpha = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(q, y)| *q -= alpha * y);
            alphas.push(alpha);
        }
        q.iter_mut().for_each(|x| *x *= gamma);
        for ((s, y, rho), alpha) in pairs.iter().zip(alphas.iter().rev()) {
            let beta = rho * dot(y, &q);
            q.iter_mut()
                .zip(s)
                .for_each(|(q, s)| *q += (alpha - beta) * s);
        }
        q.iter()
            .zip(gradient.iter().zip(active))
            .map(|(q, (g, &a))| if a { -gamma * g } else { -q })
            .collect()
    }

    /// The backtracking search along the arc P(θ + α d) from α = `step0` (within the
    /// step cap); on success θ, the loss and the gradient move to the accepted point,
    /// the pair is stored (or the memory cleared) and α is returned.
    fn arc(
        &mut self,
        objective: &mut Objective<'_>,
        theta: &mut [f64],
        (loss, gradient): (&mut f64, &mut [f64]),
        direction: &[f64],
        step0: f64,
        bounds: &Bounds,
    ) -> Option<f64> {
        let mut step = step0.min(step_cap(theta) / norm(direction));
        let mut next = vec![0.0; theta.len()];
        for _ in 0..=MAX_SHRINKS {
            if !(step > 0.0 && step.is_finite()) {
                return None;
            }
            let mut trial: Vec<f64> = theta
                .iter()
                .zip(direction)
                .map(|(t, d)| t + step * d)
                .collect();
            bounds.project(&mut trial);
            let change: f64 = gradient
                .iter()
                .zip(trial.iter().zip(&*theta))
                .map(|(g, (x, t))| g * (x - t))
                .sum();
            if change >= 0.0 || change.is_nan() {
                // No first-order decrease along the arc (θ(α) = θ, or rounding).
                return None;
            }
            let value = objective.loss_and_gradient(&trial, &mut next).ok();
            match value {
                Some(value) if value <= *loss + C1 * change => {
                    let s: Vec<f64> = trial.iter().zip(&*theta).map(|(x, t)| x - t).collect();
                    let y: Vec<f64> = next.iter().zip(&*gradient).map(|(a, b)| a - b).collect();
                    theta.copy_from_slice(&trial);
                    gradient.copy_from_slice(&next);
                    *loss = value;
                    self.remember(s, y);
                    return Some(step);
                }
                _ => step *= shrink(value, *loss, change),
            }
        }
        None
    }
}

/// The factor for the next trial: the minimiser of the quadratic through L(θ), the
/// first-order change `change` and the value at the trial, kept in [0.1, 0.5]; 0.5
/// where the trial had no value.
fn shrink(value: Option<f64>, loss: f64, change: f64) -> f64 {
    let Some(value) = value.filter(|v| v.is_finite()) else {
        return 0.5;
    };
    let curvature = value - loss - change;
    if curvature > 0.0 {
        (-change / (2.0 * curvature)).clamp(0.1, 0.5)
    } else {
        0.5
    }
}

/// The ε-active set of Bertsekas (see the module).
fn active_set(theta: &[f64], gradient: &[f64], bounds: &Bounds) -> Vec<bool> {
    let mut moved: Vec<f64> = theta.iter().zip(gradient).map(|(t, g)| t - g).collect();
    bounds.project(&mut moved);
    let w = moved
        .iter()
        .zip(theta)
        .map(|(m, t)| (m - t) * (m - t))
        .sum::<f64>()
        .sqrt();
    let epsilon = ACTIVE_EPSILON.min(w);
    (0..theta.len())
        .map(|i| {
            let (lo, hi) = bounds.get(i);
            let (x, g) = (theta[i], gradient[i]);
            (x <= lo + epsilon && g > 0.0) || (x >= hi - epsilon && g < 0.0)
        })
        .collect()
}
