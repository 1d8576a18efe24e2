//! Backtracking line searches and the cap on one step's length, shared by `armijo`
//! and `newton`.

use super::objective::Objective;

/// The most times a line search shrinks the rate (SPEC 5).
pub const MAX_SHRINKS: usize = 60;

/// The fraction of the first-order decrease Newton's line search asks for.
pub const NEWTON_C: f64 = 1e-4;

/// How much Newton's line search shrinks η per try.
const NEWTON_SHRINK: f64 = 0.5;

/// The longest step a line search tries: 10·max(1, |θ|). A step much larger than the
/// params themselves lands where the model that chose it says nothing, often where
/// the loss's terms saturate (a sigmoid at 1, an exponential at 0) and look flat.
pub fn step_cap(theta: &[f64]) -> f64 {
    10.0 * norm(theta).max(1.0)
}

/// The first η to try along `direction`: `rate`, shortened so that |η·direction|
/// stays within [`step_cap`].
pub fn first_rate(theta: &[f64], direction: &[f64], rate: f64) -> f64 {
    let length = rate * norm(direction);
    if length > step_cap(theta) {
        rate * step_cap(theta) / length
    } else {
        rate
    }
}

/// θ − η·direction.
pub fn trial_point(theta: &[f64], eta: f64, direction: &[f64]) -> Vec<f64> {
    theta
        .iter()
        .zip(direction)
        .map(|(t, d)| t - eta * d)
        .collect()
}

/// Newton's backtracking search along −`direction`, whose slope g·direction is
/// `slope` > 0: from [`first_rate`], halve η until L(θ − η d) <= L(θ) − c η slope.
/// Moves θ and returns η; `None` (θ untouched) when no η in [`MAX_SHRINKS`] halvings
/// is good enough. A trial point outside the loss's domain is not good enough.
pub fn backtrack(
    objective: &mut Objective<'_>,
    theta: &mut [f64],
    loss: f64,
    direction: &[f64],
    slope: f64,
    rate: f64,
) -> Option<f64> {
    let mut eta = first_rate(theta, direction, rate);
    for _ in 0..=MAX_SHRINKS {
        let trial = trial_point(theta, eta, direction);
        let good = match objective.loss(&trial) {
            Ok(value) => value <= loss - NEWTON_C * eta * slope,
            Err(_) => false,
        };
        if good {
            theta.copy_from_slice(&trial);
            return Some(eta);
        }
        eta *= NEWTON_SHRINK;
    }
    None
}

/// u·v.
pub fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}
