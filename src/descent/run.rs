//! The descent loop: steps, epochs, mini-batches, the stopping rules and divergence.

use super::bounds::Bounds;
use super::curvature::{Curvature, Stationary, curvature_on, judge, lambda_max};
use super::methods::Stepper;
use super::objective::{Evaluations, Objective, derivative_nodes};
pub use super::report::{AtBound, Cause, Divergence, Report, Stop, Warning};
use crate::error::{Error, ErrorKind};
use crate::eval::DomainError;
use crate::graph::{NodeId, VarId};
use crate::program::Program;
use crate::program::settings::{FTOL_EPOCHS, Method, Rate, Settings};
use crate::syntax::Span;
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// What to minimize: an objective (a scalar node) and the params to move.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The objective as written (`loss`).
    pub name: String,
    /// Its node.
    pub objective: NodeId,
    /// The params to move, in order.
    pub wrt: Vec<VarId>,
    /// Where it is asked for (for errors).
    pub span: Option<Span>,
}

impl Task {
    /// The descent a `minimize` statement asks for.
    pub fn of(m: &crate::program::Minimize) -> Task {
        Task {
            name: m.name.clone(),
            objective: m.objective,
            wrt: m.wrt.clone(),
            span: Some(m.span),
        }
    }
}

/// The state after an epoch, for progress bars and histories.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Epochs done (0 for the start).
    pub epoch: usize,
    /// L(θ) over every row.
    pub loss: f64,
    /// ∇L(θ) of the free components, in the order of [`Task::wrt`]: a component on
    /// a bound whose gradient points out of the box counts 0 (without bounds, ∇L).
    pub gradient: &'a [f64],
    /// The rate of this epoch's last step (`None` at the start).
    pub rate: Option<f64>,
    /// θ, the moved params in the order of [`Task::wrt`].
    pub params: &'a [f64],
    /// The loss and gradient evaluations made so far, the start's included.
    pub evaluations: Evaluations,
}

impl Record<'_> {
    /// |∇L(θ)| (computed on demand: most epochs are not looked at).
    pub fn grad_norm(&self) -> f64 {
        norm(self.gradient)
    }
}

/// The Euclidean norm.
fn norm(v: &[f64]) -> f64 {
    v.iter().map(|g| g * g).sum::<f64>().sqrt()
}

/// Watches a descent, epoch by epoch. Called once per epoch, so it must be cheap.
pub trait Observer {
    /// The state after an epoch.
    fn record(&mut self, record: &Record<'_>);
}

impl Observer for () {
    fn record(&mut self, _: &Record<'_>) {}
}

/// The most params `newton` takes: its symbolic Hessian has n² entries, each a
/// derivative pass over the graph.
pub const MAX_NEWTON_PARAMS: usize = 1000;

/// Runs the descent of `task` with `settings`; `observer` sees every epoch.
/// `Err` when it cannot start: the loss is undefined at the starting params, or
/// `batch` is asked for an objective with a vector literal.
pub fn minimize(
    program: &mut Program,
    task: &Task,
    settings: &Settings,
    observer: &mut dyn Observer,
) -> Result<Report, Error> {
    let newton = matches!(settings.method, Method::Newton { .. });
    let components: usize = program.sizes(&task.wrt).iter().sum();
    if newton && components > MAX_NEWTON_PARAMS {
        let kind = ErrorKind::TooManyForNewton {
            params: components,
            limit: MAX_NEWTON_PARAMS,
        };
        return Err(Error::new(kind, task.span));
    }
    let nodes = derivative_nodes(program, task.objective, &task.wrt, newton).map_err(|full| {
        let what = format!("the derivatives of `{}`", task.name);
        Error::graph_full(full, what, task.span)
    })?;
    let program: &Program = program;
    let Some(mut objective) = Objective::new(program, task.objective, &task.wrt, nodes) else {
        return Err(Error::new(
            ErrorKind::Usage("a value of the program does not fit a 64-bit float".into()),
            task.span,
        ));
    };
    if settings.batch.is_some() && objective.uses_literal_vectors() {
        let kind = ErrorKind::BatchWithLiteral {
            objective: task.name.clone(),
        };
        return Err(Error::new(kind, task.span));
    }
    let bounds = Bounds::new(&program.param_bounds(&task.wrt));
    let mut theta = program.param_values(&task.wrt);
    // A program's start is inside its box (a load error otherwise); this only keeps
    // a caller's θ honest.
    bounds.project(&mut theta);
    let mut descent = Descent::start(&mut objective, theta, settings, bounds)?;
    descent.run(&mut objective, settings, observer);
    Ok(descent.report(&mut objective, program, task, settings))
}

/// A descent in progress.
struct Descent {
    theta: Vec<f64>,
    gradient: Vec<f64>,
    loss: f64,
    start_loss: f64,
    rate: f64,
    auto_lambda: Option<f64>,
    epochs: usize,
    stopped: Stop,
    cause: Option<Cause>,
    curvature: Option<Curvature>,
    warnings: Vec<Warning>,
    /// True while θ has not moved since it was last judged a minimum.
    judged: bool,
    /// Epochs in a row whose relative loss change was below `ftol`.
    calm: usize,
    /// The evaluations made so far.
    evaluations: Evaluations,
    /// The box θ stays in.
    bounds: Bounds,
}

impl Descent {
    /// Evaluates the start; a domain error there is the program's fault (exit 2).
    fn start(
        objective: &mut Objective<'_>,
        theta: Vec<f64>,
        settings: &Settings,
        bounds: Bounds,
    ) -> Result<Descent, Error> {
        let domain = |e: DomainError| {
            let span = e.span;
            Error::new(ErrorKind::Domain(e), span)
        };
        let mut gradient = vec![0.0; theta.len()];
        let loss = objective
            .loss_and_gradient(&theta, &mut gradient)
            .map_err(domain)?;
        let mut warnings = Vec::new();
        let (rate, auto_lambda) = match settings.rate {
            Rate::Fixed(r) => (r, None),
            Rate::Auto => match lambda_max(objective, &theta).map_err(domain)? {
                Some(l) => (1.0 / l, Some(l)),
                // Flat or concave at the start: no curvature to scale by.
                None => {
                    let rate = settings.method.default_rate();
                    warnings.push(Warning::AutoRateWithoutCurvature { rate });
                    (rate, None)
                }
            },
        };
        Ok(Descent {
            theta,
            gradient,
            loss,
            start_loss: loss,
            rate,
            auto_lambda,
            epochs: 0,
            stopped: Stop::Epochs,
            cause: None,
            curvature: None,
            warnings,
            judged: false,
            calm: 0,
            evaluations: objective.evaluations(),
            bounds,
        })
    }

    /// |∇L| of the free components (SPEC 11): what `tol` and the report read.
    fn grad_norm(&self) -> f64 {
        if self.bounds.is_bounded() {
            norm(&self.free_gradient())
        } else {
            norm(&self.gradient)
        }
    }

    /// The gradient with the blocked components 0 ([`Bounds::projected_gradient`]).
    fn free_gradient(&self) -> Vec<f64> {
        self.bounds.projected_gradient(&self.theta, &self.gradient)
    }

    fn record(&self, observer: &mut dyn Observer, rate: Option<f64>) {
        let free = self.bounds.is_bounded().then(|| self.free_gradient());
        observer.record(&Record {
            epoch: self.epochs,
            loss: self.loss,
            gradient: free.as_deref().unwrap_or(&self.gradient),
            rate,
            params: &self.theta,
            evaluations: self.evaluations,
        });
    }

    fn run(
        &mut self,
        objective: &mut Objective<'_>,
        settings: &Settings,
        observer: &mut dyn Observer,
    ) {
        self.record(observer, None);
        if !self.is_finite() {
            self.diverge(Cause::NotFinite);
            return;
        }
        let mut stepper = Stepper::new(settings.method, self.rate, self.theta.len())
            .with_bounds(self.bounds.clone());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(settings.seed);
        let mut order: Vec<usize> = (0..objective.rows()).collect();
        let newton = matches!(settings.method, Method::Newton { .. });
        while self.epochs < settings.epochs {
            if settings.tol.is_some_and(|tol| self.grad_norm() < tol) {
                self.stopped = self.judge(objective, newton).unwrap_or(Stop::Tol);
                return;
            }
            let before = (self.theta.clone(), self.loss);
            let epoch = match settings.batch {
                None => self.full_step(objective, &mut stepper),
                Some(size) => {
                    order.shuffle(&mut rng);
                    self.batch_steps(objective, &mut stepper, &order, size)
                }
            };
            if let Some(stop) = self.after_epoch(objective, epoch, before, settings, observer) {
                self.stopped = stop;
                return;
            }
        }
        if settings.tol.is_some_and(|tol| self.grad_norm() < tol) {
            self.stopped = self.judge(objective, newton).unwrap_or(Stop::Tol);
        }
    }

    /// Counts the epoch just run and decides whether the run stops after it:
    /// divergence, `ftol`, or a stall at a point that is not a minimum.
    fn after_epoch(
        &mut self,
        objective: &mut Objective<'_>,
        epoch: Result<f64, DomainError>,
        (theta, loss): (Vec<f64>, f64),
        settings: &Settings,
        observer: &mut dyn Observer,
    ) -> Option<Stop> {
        self.epochs += 1;
        self.evaluations = objective.evaluations();
        let newton = matches!(settings.method, Method::Newton { .. });
        match epoch {
            Ok(rate) => self.record(observer, Some(rate)),
            Err(e) => {
                self.diverge(Cause::Domain(e));
                return Some(Stop::Diverged);
            }
        }
        if let Some(cause) = self.divergence() {
            self.diverge(cause);
            return Some(Stop::Diverged);
        }
        if self.settled(loss, settings.ftol) {
            return Some(self.judge(objective, newton).unwrap_or(Stop::Ftol));
        }
        if self.stalled(&theta) {
            return self.judge(objective, newton);
        }
        None
    }

    /// True when the relative loss change |L_prev − L| / max(|L_prev|, |L|, 1e-300)
    /// has been below `ftol` for [`FTOL_EPOCHS`] epochs in a row.
    fn settled(&mut self, before: f64, ftol: Option<f64>) -> bool {
        let Some(ftol) = ftol else {
            return false;
        };
        let scale = before.abs().max(self.loss.abs()).max(1e-300);
        let change = (before - self.loss).abs() / scale;
        self.calm = if change < ftol { self.calm + 1 } else { 0 };
        self.calm >= FTOL_EPOCHS
    }

    /// True when the last epoch left θ where it was (a zero gradient, a step below
    /// the rounding of θ, a line search that found nothing) and θ has not been
    /// judged a minimum already; resets that mark when θ moved.
    fn stalled(&mut self, before: &[f64]) -> bool {
        if before != self.theta.as_slice() {
            self.judged = false;
            return false;
        }
        !self.judged
    }

    /// Judges θ, where the gradient is small: `Some(Saddle)` or `Some(Flat)` when it
    /// is not a minimum, `None` at a minimum (a stop on `tol` is then converged; a
    /// stall goes on). The curvature comes from the Hessian
    /// for Newton, from Hessian-vector products for the others; the full rows are
    /// selected, as for the loss. Where it cannot be computed, θ counts as a minimum.
    /// **With a blocked component (on a bound, its gradient pointing out) only the
    /// free components are judged**: the curvature of the Hessian restricted to them,
    /// never `Flat` (the bound, not a plateau, holds θ), and with no free component θ
    /// is a minimum of the box.
    fn judge(&mut self, objective: &mut Objective<'_>, newton: bool) -> Option<Stop> {
        objective.select_rows(None);
        let free = self.bounds.free(&self.theta, &self.gradient);
        let blocked = self.bounds.is_bounded() && free.iter().any(|f| !f);
        if blocked && !free.iter().any(|f| *f) {
            self.judged = true;
            return None;
        }
        let hessian = if newton {
            objective.hessian(&self.theta).ok()
        } else {
            None
        };
        let mask = blocked.then_some(free.as_slice());
        let found = curvature_on(objective, &self.theta, hessian.as_deref(), mask).ok();
        self.curvature = found;
        let gradient = self.free_gradient();
        let verdict = found.map_or(Stationary::Minimum, |c| {
            judge(&self.theta, self.loss, &gradient, c)
        });
        let verdict = match verdict {
            Stationary::Flat if blocked => Stationary::Minimum,
            other => other,
        };
        self.judged = verdict == Stationary::Minimum;
        match verdict {
            Stationary::Saddle => Some(Stop::Saddle),
            Stationary::Flat => Some(Stop::Flat),
            Stationary::Minimum => None,
        }
    }

    /// One step on every row; returns the rate used.
    fn full_step(
        &mut self,
        objective: &mut Objective<'_>,
        stepper: &mut Stepper,
    ) -> Result<f64, DomainError> {
        let taken = stepper.step(objective, &mut self.theta, self.loss, &mut self.gradient)?;
        self.loss = match taken.loss {
            Some(loss) => loss,
            None => objective.loss_and_gradient(&self.theta, &mut self.gradient)?,
        };
        Ok(taken.rate)
    }

    /// One step per mini-batch of `size` shuffled rows, then the loss over every row.
    fn batch_steps(
        &mut self,
        objective: &mut Objective<'_>,
        stepper: &mut Stepper,
        order: &[usize],
        size: usize,
    ) -> Result<f64, DomainError> {
        let mut rate = self.rate;
        for batch in order.chunks(size) {
            objective.select_rows(Some(batch));
            let loss = objective.loss_and_gradient(&self.theta, &mut self.gradient);
            let stepped = loss.and_then(|loss| {
                stepper.step(objective, &mut self.theta, loss, &mut self.gradient)
            });
            if stepped.is_err() {
                objective.select_rows(None);
            }
            rate = stepped?.rate;
        }
        objective.select_rows(None);
        self.loss = objective.loss_and_gradient(&self.theta, &mut self.gradient)?;
        Ok(rate)
    }

    fn is_finite(&self) -> bool {
        self.loss.is_finite() && self.gradient.iter().all(|g| g.is_finite())
    }

    fn divergence(&self) -> Option<Cause> {
        if !self.is_finite() {
            return Some(Cause::NotFinite);
        }
        let grew = self.start_loss != 0.0 && self.loss.abs() > 1e6 * self.start_loss.abs();
        grew.then_some(Cause::Grew {
            from: self.start_loss,
            to: self.loss,
        })
    }

    fn diverge(&mut self, cause: Cause) {
        if matches!(cause, Cause::Domain(_)) {
            // Nothing was computed at the final θ: no loss or gradient to report.
            self.loss = f64::NAN;
            self.gradient.fill(f64::NAN);
        }
        self.stopped = Stop::Diverged;
        self.cause = Some(cause);
    }

    fn report(
        self,
        objective: &mut Objective<'_>,
        program: &Program,
        task: &Task,
        settings: &Settings,
    ) -> Report {
        let divergence = self.cause.clone().map(|cause| {
            // The hint is about the start, where the run began to go wrong.
            let start = program.param_values(&task.wrt);
            objective.select_rows(None);
            let lambda_max = lambda_max(objective, &start).ok().flatten();
            Divergence {
                epoch: self.epochs,
                cause,
                lambda_max,
            }
        });
        let params = program.params_at(&task.wrt, &self.theta);
        let names = program.component_names(&task.wrt);
        let at_bound = self
            .bounds
            .at_bound(&self.theta)
            .into_iter()
            .map(|(i, side)| AtBound {
                component: names.get(i).cloned().unwrap_or_default(),
                side,
                value: self.theta[i],
            })
            .collect();
        Report {
            objective: task.name.clone(),
            method: settings.method,
            rate: self.rate,
            auto_lambda: self.auto_lambda,
            params,
            loss: self.loss,
            epochs: self.epochs,
            evaluations: self.evaluations,
            stopped: self.stopped,
            grad_norm: self.grad_norm(),
            bounded: self.bounds.is_bounded(),
            at_bound,
            divergence,
            curvature: self.curvature,
            warnings: self.warnings,
        }
    }
}
