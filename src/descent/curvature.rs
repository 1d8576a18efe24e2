//! λmax, the largest eigenvalue of the Hessian, by power iteration on Hessian-vector
//! products: the scale that `rate = auto` and the divergence hint are made from.

use super::objective::Objective;
use crate::eval::DomainError;

const ITERATIONS: usize = 200;
const TOLERANCE: f64 = 1e-7;

/// The largest eigenvalue of the Hessian at θ, or `None` when it is not positive (the
/// loss curves down in every direction there) or not finite.
pub fn lambda_max(
    objective: &mut Objective<'_>,
    theta: &[f64],
) -> Result<Option<f64>, DomainError> {
    // Power iteration finds the eigenvalue of largest magnitude. When that one is
    // negative, iterating on H + |λ|I finds the largest one instead.
    let dominant = power_iteration(objective, theta, 0.0)?;
    let largest = match dominant {
        Some(l) if l < 0.0 => power_iteration(objective, theta, -l)?.map(|m| m + l),
        other => other,
    };
    Ok(largest.filter(|l| *l > 0.0 && l.is_finite()))
}

/// The dominant eigenvalue of H + shift·I.
fn power_iteration(
    objective: &mut Objective<'_>,
    theta: &[f64],
    shift: f64,
) -> Result<Option<f64>, DomainError> {
    let n = objective.dimension();
    if n == 0 {
        return Ok(None);
    }
    // A fixed start with unequal entries, so it is not orthogonal to the top
    // eigenvector of a symmetric problem by accident.
    let mut v: Vec<f64> = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect();
    normalize(&mut v);
    let mut estimate = f64::NAN;
    for _ in 0..ITERATIONS {
        let mut w = objective.hessian_vector(theta, &v)?;
        for (wi, vi) in w.iter_mut().zip(&v) {
            *wi += shift * vi;
        }
        let rayleigh: f64 = w.iter().zip(&v).map(|(a, b)| a * b).sum();
        if !rayleigh.is_finite() || normalize(&mut w) == 0.0 {
            return Ok(rayleigh.is_finite().then_some(rayleigh));
        }
        let settled = (rayleigh - estimate).abs() <= TOLERANCE * rayleigh.abs();
        estimate = rayleigh;
        v = w;
        if settled {
            break;
        }
    }
    Ok(Some(estimate))
}

fn normalize(v: &mut [f64]) -> f64 {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
        norm
    } else {
        0.0
    }
}
