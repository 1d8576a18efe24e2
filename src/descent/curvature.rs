//! The Hessian's extreme eigenvalues by power iteration, and what they say about a
//! point where a descent stops: λmax scales `rate = auto` and the divergence hint;
//! λmin and λmax together tell a minimum from a saddle or a flat plateau.

use super::objective::Objective;
use crate::eval::DomainError;

const ITERATIONS: usize = 200;
const TOLERANCE: f64 = 1e-7;

/// A negative eigenvalue counts when it is below this fraction of the largest
/// magnitude: power iteration's estimates are good to about 1e-7 of it, and a
/// Rayleigh quotient never falls below the true λmin, so a false saddle needs more
/// rounding than that.
const SADDLE: f64 = 1e-6;

/// The loss is flat where a step as large as the params' scale changes it, by its
/// first- and second-order Taylor terms, by less than this fraction of |L|: a few
/// hundred units in the last place, below what an f64 loss can show.
const FLAT: f64 = 1e-13;

/// The largest eigenvalue of the Hessian at θ, or `None` when it is not positive (the
/// loss curves down in every direction there) or not finite.
pub fn lambda_max(
    objective: &mut Objective<'_>,
    theta: &[f64],
) -> Result<Option<f64>, DomainError> {
    let n = objective.dimension();
    let mut apply = |v: &[f64]| objective.hessian_vector(theta, v);
    // When the dominant eigenvalue is negative, iterating on H + |λ|I finds the
    // largest one instead.
    let largest = match power_iteration(n, &mut apply, 0.0)? {
        Some(l) if l < 0.0 => power_iteration(n, &mut apply, -l)?.map(|m| m + l),
        other => other,
    };
    Ok(largest.filter(|l| *l > 0.0 && l.is_finite()))
}

/// The curvature at a point where a descent stopped: the Hessian's extreme
/// eigenvalues (estimates; NaN where unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curvature {
    /// λmin.
    pub min: f64,
    /// λmax.
    pub max: f64,
}

/// What a stationary point is, judged from its gradient and curvature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stationary {
    /// Curvature is nowhere negative (or cannot be told): a minimum, as far as a
    /// local test can say.
    Minimum,
    /// The Hessian has a clearly negative eigenvalue: the loss goes down along it.
    Saddle,
    /// Neither the slope nor the curvature can move the loss: its terms saturated.
    Flat,
}

/// The Hessian's extreme eigenvalues at θ, from the explicit row-major `hessian` when
/// given (Newton has it), else from Hessian-vector products.
pub fn curvature(
    objective: &mut Objective<'_>,
    theta: &[f64],
    hessian: Option<&[f64]>,
) -> Result<Curvature, DomainError> {
    curvature_on(objective, theta, hessian, None)
}

/// The extreme eigenvalues of the Hessian restricted to the `free` components (all
/// when `None`): of P H P with P the projection that zeroes the others, so a blocked
/// component adds a 0 to the spectrum and none of its own curvature (a minimum on a
/// bound is not a saddle because the loss would go down past the bound).
pub fn curvature_on(
    objective: &mut Objective<'_>,
    theta: &[f64],
    hessian: Option<&[f64]>,
    free: Option<&[bool]>,
) -> Result<Curvature, DomainError> {
    let n = objective.dimension();
    let mask = |v: &mut [f64]| {
        if let Some(free) = free {
            v.iter_mut()
                .zip(free)
                .filter(|(_, f)| !**f)
                .for_each(|(x, _)| *x = 0.0);
        }
    };
    let (min, max) = match hessian {
        Some(h) => extremes(n, |v| {
            let mut v = v.to_vec();
            mask(&mut v);
            let mut w = multiply(h, &v);
            mask(&mut w);
            Ok(w)
        })?,
        None => extremes(n, |v| {
            let mut v = v.to_vec();
            mask(&mut v);
            let mut w = objective.hessian_vector(theta, &v)?;
            mask(&mut w);
            Ok(w)
        })?,
    };
    Ok(Curvature {
        min: min.unwrap_or(f64::NAN),
        max: max.unwrap_or(f64::NAN),
    })
}

/// Judges the point θ with loss L, gradient g and curvature c: flat when a step of
/// the params' scale s = max(1, |θ|) cannot change L by the Taylor terms
/// |g|·s + ½·max|λ|·s², saddle when λmin < −1e-6·max|λ|, else a minimum.
pub fn judge(theta: &[f64], loss: f64, gradient: &[f64], c: Curvature) -> Stationary {
    let scale = norm(theta).max(1.0);
    let largest = c.min.abs().max(c.max.abs());
    if !largest.is_finite() || !loss.is_finite() {
        return Stationary::Minimum;
    }
    let change = norm(gradient) * scale + 0.5 * largest * scale * scale;
    if loss != 0.0 && change <= FLAT * loss.abs() {
        Stationary::Flat
    } else if c.min < -SADDLE * largest {
        Stationary::Saddle
    } else {
        Stationary::Minimum
    }
}

/// The smallest and the largest eigenvalue of the symmetric map `apply` on R^n.
/// Power iteration finds the one of largest magnitude; iterating on H − λI from it
/// finds the other end of the spectrum.
fn extremes(
    n: usize,
    mut apply: impl FnMut(&[f64]) -> Result<Vec<f64>, DomainError>,
) -> Result<(Option<f64>, Option<f64>), DomainError> {
    let Some(dominant) = power_iteration(n, &mut apply, 0.0)? else {
        return Ok((None, None));
    };
    let other = power_iteration(n, &mut apply, -dominant)?.map(|m| m + dominant);
    Ok(if dominant < 0.0 {
        (Some(dominant), other)
    } else {
        (other, Some(dominant))
    })
}

/// The dominant eigenvalue of H + shift·I.
fn power_iteration(
    n: usize,
    apply: &mut impl FnMut(&[f64]) -> Result<Vec<f64>, DomainError>,
    shift: f64,
) -> Result<Option<f64>, DomainError> {
    if n == 0 {
        return Ok(None);
    }
    // A fixed start with unequal entries, so it is not orthogonal to the top
    // eigenvector of a symmetric problem by accident.
    let mut v: Vec<f64> = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect();
    normalize(&mut v);
    let mut estimate = f64::NAN;
    for _ in 0..ITERATIONS {
        let mut w = apply(&v)?;
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

/// H v for a row-major n×n H.
fn multiply(hessian: &[f64], v: &[f64]) -> Vec<f64> {
    let n = v.len();
    (0..n)
        .map(|i| {
            let row = hessian.get(i * n..(i + 1) * n).unwrap_or(&[]);
            let dot: f64 = row.iter().zip(v).map(|(h, x)| h * x).sum();
            if row.len() == n { dot } else { f64::NAN }
        })
        .collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn normalize(v: &mut [f64]) -> f64 {
    let norm = norm(v);
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
        norm
    } else {
        0.0
    }
}
