//! The update rules of SPEC 5, one function each, and the state they carry between
//! steps (velocity, moments).

use super::bounds::Bounds;
use super::lbfgs::Lbfgs;
use super::objective::Objective;
use super::projected;
use super::search::{MAX_SHRINKS, backtrack, dot, first_rate, trial_point};
use crate::eval::DomainError;
use crate::program::settings::Method;

/// A method with its state: one [`Stepper::step`] per mini-batch or epoch.
pub struct Stepper {
    method: Method,
    rate: f64,
    /// Velocity (momentum, Nesterov) or first moment (Adam).
    first: Vec<f64>,
    /// Second moment (Adam).
    second: Vec<f64>,
    /// Steps taken, from 1 at the first.
    t: i32,
    /// The pairs of L-BFGS.
    lbfgs: Option<Lbfgs>,
    /// The box θ stays in (all of Rⁿ without bounds).
    bounds: Bounds,
}

/// What one [`Stepper::step`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Taken {
    /// The rate used: the accepted η (or α) of a line search, 0 when it found no step;
    /// η otherwise.
    pub rate: f64,
    /// The loss at the new θ when the method evaluated it there (L-BFGS's search
    /// ends at an evaluated point), with the gradient written back; `None` when the
    /// caller must evaluate.
    pub loss: Option<f64>,
}

impl Stepper {
    /// A stepper for `method` with step size `rate` over `n` params.
    pub fn new(method: Method, rate: f64, n: usize) -> Stepper {
        Stepper {
            method,
            rate,
            first: vec![0.0; n],
            second: vec![0.0; n],
            t: 0,
            lbfgs: match method {
                Method::Lbfgs { memory } => Some(Lbfgs::new(memory)),
                _ => None,
            },
            bounds: Bounds::default(),
        }
    }

    /// The same stepper keeping θ inside `bounds` (SPEC 11): the first-order
    /// methods project each step, `armijo` and `newton` search along the projection
    /// arc (`descent/projected.rs`), `lbfgs` takes its projected two-metric step.
    pub fn with_bounds(mut self, bounds: Bounds) -> Stepper {
        self.bounds = bounds;
        self
    }

    /// Moves θ by one update from the loss and gradient at θ (see [`Taken`]).
    pub fn step(
        &mut self,
        objective: &mut Objective<'_>,
        theta: &mut [f64],
        loss: f64,
        gradient: &mut [f64],
    ) -> Result<Taken, DomainError> {
        self.t = self.t.saturating_add(1);
        let rate = self.rate;
        let taken = |rate| Ok(Taken { rate, loss: None });
        match self.method {
            Method::Gd => axpy(theta, -rate, gradient),
            Method::Momentum { beta } => {
                for (v, g) in self.first.iter_mut().zip(&*gradient) {
                    *v = beta * *v + g;
                }
                axpy(theta, -rate, &self.first);
            }
            Method::Nesterov { beta } => {
                for ((v, g), x) in self.first.iter_mut().zip(&*gradient).zip(theta.iter_mut()) {
                    *v = beta * *v + g;
                    *x -= rate * (g + beta * *v);
                }
            }
            Method::Adam { beta1, beta2, eps } => self.adam(theta, gradient, beta1, beta2, eps),
            Method::Armijo { c, shrink } if self.bounds.is_bounded() => {
                let options = (rate, c, shrink);
                let eta =
                    projected::armijo(objective, theta, (loss, gradient), options, &self.bounds);
                return taken(eta);
            }
            Method::Armijo { c, shrink } => {
                return taken(armijo(objective, theta, loss, gradient, rate, c, shrink)?);
            }
            Method::Newton { damping } if self.bounds.is_bounded() => {
                let at = (loss, &*gradient);
                let eta = projected::newton(objective, theta, at, (rate, damping), &self.bounds)?;
                return taken(eta);
            }
            Method::Newton { damping } => {
                return taken(newton(objective, theta, loss, gradient, rate, damping)?);
            }
            Method::Lbfgs { .. } => {
                let mut loss = loss;
                let bounds = &self.bounds;
                let step = match self.lbfgs.as_mut() {
                    Some(state) => {
                        state.step(objective, theta, (&mut loss, gradient), rate, bounds)
                    }
                    None => 0.0,
                };
                return Ok(Taken {
                    rate: step,
                    loss: Some(loss),
                });
            }
        }
        // Projected gradient descent, momentum and Adam: each step lands in the box.
        self.bounds.project(theta);
        taken(rate)
    }

    fn adam(&mut self, theta: &mut [f64], gradient: &[f64], beta1: f64, beta2: f64, eps: f64) {
        let unbias1 = 1.0 - beta1.powi(self.t);
        let unbias2 = 1.0 - beta2.powi(self.t);
        let moments = self.first.iter_mut().zip(self.second.iter_mut());
        for (((m, s), g), x) in moments.zip(gradient).zip(theta.iter_mut()) {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *s = beta2 * *s + (1.0 - beta2) * g * g;
            *x -= self.rate * (*m / unbias1) / ((*s / unbias2).sqrt() + eps);
        }
    }
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// θ += a x.
fn axpy(theta: &mut [f64], a: f64, x: &[f64]) {
    for (t, x) in theta.iter_mut().zip(x) {
        *t += a * x;
    }
}

/// Backtracking from `rate` (shortened to the step cap, [`first_rate`]) until
/// L(θ − η g) <= L(θ) − c η ‖g‖², the first-order Taylor condition. A trial point
/// outside the loss's domain counts as not good enough. After [`MAX_SHRINKS`] the
/// smallest η is taken.
fn armijo(
    objective: &mut Objective<'_>,
    theta: &mut [f64],
    loss: f64,
    gradient: &[f64],
    rate: f64,
    c: f64,
    shrink: f64,
) -> Result<f64, DomainError> {
    let squared = dot(gradient, gradient);
    let mut eta = first_rate(theta, gradient, rate);
    let mut trial = trial_point(theta, eta, gradient);
    for shrinks in 0..=MAX_SHRINKS {
        let good = match objective.loss(&trial) {
            Ok(value) => value <= loss - c * eta * squared,
            Err(_) => false,
        };
        if good || shrinks == MAX_SHRINKS {
            break;
        }
        eta *= shrink;
        trial = trial_point(theta, eta, gradient);
    }
    theta.copy_from_slice(&trial);
    Ok(eta)
}

/// Globalised Newton: the direction p of [`newton_direction`], searched back from η
/// ([`backtrack`]); where p is not a descent direction (g·p <= 0, or not finite) or
/// its search fails, steepest descent with the same search; where that fails too, no
/// step (θ stays, and the loop judges the point). Returns the η taken, 0 for none.
fn newton(
    objective: &mut Objective<'_>,
    theta: &mut [f64],
    loss: f64,
    gradient: &[f64],
    rate: f64,
    damping: f64,
) -> Result<f64, DomainError> {
    let hessian = objective.hessian(theta)?;
    let radius = norm(theta).max(1.0);
    let direction = newton_direction(&hessian, gradient, damping, radius);
    for direction in [direction.as_slice(), gradient] {
        let slope = dot(gradient, direction);
        if slope > 0.0
            && slope.is_finite()
            && let Some(eta) = backtrack(objective, theta, loss, direction, slope, rate)
        {
            return Ok(eta);
        }
    }
    Ok(0.0)
}

/// The Newton direction p with (H + λI) p = g: λ = 0 where H is positive definite,
/// else grown tenfold from `damping` until H + λI is positive definite and
/// |p| <= `radius` (Levenberg-Marquardt: the quadratic model of an indefinite H says
/// nothing about a step much longer than the params, and a λ just above −λmin would
/// make one); the gradient itself when no λ up to 1e30 works (a NaN in H, say).
pub fn newton_direction(hessian: &[f64], gradient: &[f64], damping: f64, radius: f64) -> Vec<f64> {
    let mut lambda = 0.0;
    loop {
        if let Some(p) = cholesky_solve(hessian, gradient, lambda)
            && (lambda == 0.0 || norm(&p) <= radius)
        {
            return p;
        }
        lambda = if lambda == 0.0 {
            damping
        } else {
            lambda * 10.0
        };
        if lambda > 1e30 || !lambda.is_finite() {
            return gradient.to_vec();
        }
    }
}

/// Solves (H + λI) x = b by Cholesky; `None` when H + λI is not positive definite.
pub fn cholesky_solve(hessian: &[f64], b: &[f64], lambda: f64) -> Option<Vec<f64>> {
    let n = b.len();
    if hessian.len() != n * n {
        return None;
    }
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            // The symmetric part: a Hessian's two triangles agree up to rounding.
            let h = 0.5 * (hessian[i * n + j] + hessian[j * n + i]);
            let mut sum = h + if i == j { lambda } else { 0.0 };
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum.is_nan() || sum <= 0.0 || sum.is_infinite() {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let dot: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - dot) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let dot: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - dot) / l[i * n + i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}
