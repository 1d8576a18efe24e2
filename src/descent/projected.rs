//! `armijo` and `newton` inside a box (SPEC 11): the step is projected onto the box,
//! and the line search asks for a decrease along the projection arc
//! θ(η) = P(θ − η d), as in Bertsekas' projected gradient and projected Newton
//! methods ("Projected Newton methods for optimization problems with simple
//! constraints", SIAM J. Control Optim. 20(2), 1982):
//! L(θ(η)) <= L(θ) − c·g·(θ − θ(η)). Without a bound on the way, g·(θ − θ(η)) is
//! η g·d, the conditions of SPEC 5. Newton solves on the free components only
//! (a blocked one, on a bound with its gradient pointing out, keeps its value).

use super::bounds::Bounds;
use super::methods::newton_direction;
use super::objective::Objective;
use super::search::{MAX_SHRINKS, NEWTON_C, dot, first_rate};
use crate::eval::DomainError;

/// Backtracking from `rate` along the projection arc of −g until the projected
/// Armijo condition holds (after [`MAX_SHRINKS`] the smallest η is taken, as
/// unbounded `armijo` does). Moves θ; returns η.
pub(super) fn armijo(
    objective: &mut Objective<'_>,
    theta: &mut [f64],
    (loss, gradient): (f64, &[f64]),
    (rate, c, shrink): (f64, f64, f64),
    bounds: &Bounds,
) -> f64 {
    let free = bounds.projected_gradient(theta, gradient);
    let mut eta = first_rate(theta, &free, rate);
    let mut trial = arc_point(theta, eta, gradient, bounds);
    for shrinks in 0..=MAX_SHRINKS {
        let decrease = decrease(gradient, theta, &trial);
        let good = match objective.loss(&trial) {
            Ok(value) => value <= loss - c * decrease,
            Err(_) => false,
        };
        if good || shrinks == MAX_SHRINKS {
            break;
        }
        eta *= shrink;
        trial = arc_point(theta, eta, gradient, bounds);
    }
    theta.copy_from_slice(&trial);
    eta
}

/// Projected Newton: the Newton direction of the free components (the others 0),
/// searched back along its projection arc; where that fails, the projected gradient;
/// where that fails too, no step. Returns the η taken, 0 for none.
pub(super) fn newton(
    objective: &mut Objective<'_>,
    theta: &mut [f64],
    (loss, gradient): (f64, &[f64]),
    (rate, damping): (f64, f64),
    bounds: &Bounds,
) -> Result<f64, DomainError> {
    let hessian = objective.hessian(theta)?;
    let free: Vec<usize> = (0..theta.len())
        .filter(|&i| !bounds.blocked(i, theta[i], gradient[i]))
        .collect();
    let n = theta.len();
    let sub: Vec<f64> = free
        .iter()
        .flat_map(|&i| free.iter().map(move |&j| (i, j)))
        .map(|(i, j)| hessian[i * n + j])
        .collect();
    let g_free: Vec<f64> = free.iter().map(|&i| gradient[i]).collect();
    let radius = dot(theta, theta).sqrt().max(1.0);
    let mut direction = vec![0.0; n];
    for (&i, p) in free
        .iter()
        .zip(newton_direction(&sub, &g_free, damping, radius))
    {
        direction[i] = p;
    }
    let steepest = bounds.projected_gradient(theta, gradient);
    for d in [direction.as_slice(), steepest.as_slice()] {
        if let Some(eta) = backtrack(objective, theta, (loss, gradient), d, rate, bounds) {
            return Ok(eta);
        }
    }
    Ok(0.0)
}

/// Newton's backtracking search along the arc P(θ − η d): from [`first_rate`],
/// halve η until L(θ(η)) <= L(θ) − c·g·(θ − θ(η)) with a positive decrease. Moves θ
/// and returns η; `None` (θ untouched) when no η is good enough.
fn backtrack(
    objective: &mut Objective<'_>,
    theta: &mut [f64],
    (loss, gradient): (f64, &[f64]),
    direction: &[f64],
    rate: f64,
    bounds: &Bounds,
) -> Option<f64> {
    if !direction.iter().all(|d| d.is_finite()) {
        return None;
    }
    let mut eta = first_rate(theta, direction, rate);
    for _ in 0..=MAX_SHRINKS {
        let trial = arc_point(theta, eta, direction, bounds);
        let decrease = decrease(gradient, theta, &trial);
        let good = decrease > 0.0
            && match objective.loss(&trial) {
                Ok(value) => value <= loss - NEWTON_C * decrease,
                Err(_) => false,
            };
        if good {
            theta.copy_from_slice(&trial);
            return Some(eta);
        }
        eta *= 0.5;
    }
    None
}

/// P(θ − η d).
pub(super) fn arc_point(theta: &[f64], eta: f64, direction: &[f64], bounds: &Bounds) -> Vec<f64> {
    let mut trial: Vec<f64> = theta
        .iter()
        .zip(direction)
        .map(|(t, d)| t - eta * d)
        .collect();
    bounds.project(&mut trial);
    trial
}

/// g·(θ − trial): the first-order decrease of the move to `trial`.
pub(super) fn decrease(gradient: &[f64], theta: &[f64], trial: &[f64]) -> f64 {
    gradient
        .iter()
        .zip(theta.iter().zip(trial))
        .map(|(g, (t, x))| g * (t - x))
        .sum()
}
