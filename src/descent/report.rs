//! What a descent reports: why it stopped ([`Stop`]), how it diverged
//! ([`Divergence`]), what it warns about, and the [`Report`] itself.

use super::bounds::Side;
use super::curvature::Curvature;
use super::objective::Evaluations;
use crate::eval::DomainError;
use crate::program::settings::Method;

/// Why a descent stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// |∇L| fell below `tol` at a minimum (the curvature is nowhere negative).
    Tol,
    /// The relative loss change stayed below `ftol` for
    /// [`FTOL_EPOCHS`](crate::program::settings::FTOL_EPOCHS) epochs in a row, at a
    /// minimum (judged as for `tol`).
    Ftol,
    /// The epochs ran out.
    Epochs,
    /// The loss became inf/NaN or grew a million-fold, or a domain error.
    Diverged,
    /// The gradient is small (below `tol`, or too small to move θ) but the Hessian
    /// has a negative eigenvalue: a saddle point, not a minimum.
    Saddle,
    /// The gradient is small but so is every curvature: the loss's terms saturated
    /// (a sigmoid at 1, an exponential at 0), and no step can lower it.
    Flat,
}

impl Stop {
    /// The name used in reports and JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Stop::Tol => "tol",
            Stop::Ftol => "ftol",
            Stop::Epochs => "epochs",
            Stop::Diverged => "diverged",
            Stop::Saddle => "saddle",
            Stop::Flat => "flat",
        }
    }
}

/// What made a descent diverge.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// The loss or the gradient is no longer a finite number.
    NotFinite,
    /// The loss grew a million-fold from `from` to `to`.
    Grew {
        /// The starting loss.
        from: f64,
        /// The loss when it stopped.
        to: f64,
    },
    /// An operation left its domain (`ln` of a negative, ...).
    Domain(DomainError),
}

/// A diverged descent: when, why, and the rate that would have been stable.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The epoch where it was noticed.
    pub epoch: usize,
    /// Why.
    pub cause: Cause,
    /// λmax of the Hessian at the start, when it could be estimated.
    pub lambda_max: Option<f64>,
}

/// Something the report should say although the run went on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Warning {
    /// `rate = auto` found no positive curvature at the start (λmax <= 0), so the
    /// method's default rate was used.
    AutoRateWithoutCurvature {
        /// The rate used instead.
        rate: f64,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::AutoRateWithoutCurvature { rate } => write!(
                f,
                "rate = auto found no positive curvature at the start (λmax <= 0), so the \
                 method's default rate {} was used",
                crate::syntax::format_f64(*rate)
            ),
        }
    }
}

/// The result of a descent.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The objective's name.
    pub objective: String,
    /// The method.
    pub method: Method,
    /// The rate η used (`rate = auto` resolved).
    pub rate: f64,
    /// λmax at the start when `rate = auto` computed it.
    pub auto_lambda: Option<f64>,
    /// Every param of the program with its final value.
    pub params: Vec<(String, f64)>,
    /// The final loss.
    pub loss: f64,
    /// Epochs done.
    pub epochs: usize,
    /// The loss and gradient evaluations made, the start's included.
    pub evaluations: Evaluations,
    /// Why it stopped.
    pub stopped: Stop,
    /// |∇L| at the end; with bounds, of the free components (a component on a bound
    /// whose gradient points out of the box counts 0).
    pub grad_norm: f64,
    /// True when some moved component has a finite bound (SPEC 11).
    pub bounded: bool,
    /// The moved components that end on a bound, in the order of θ.
    pub at_bound: Vec<AtBound>,
    /// Set when it diverged.
    pub divergence: Option<Divergence>,
    /// The curvature at the end where it was judged (a stop on `tol`, a saddle, a
    /// plateau).
    pub curvature: Option<Curvature>,
    /// What the report should say besides the result.
    pub warnings: Vec<Warning>,
}

/// A component that ends on one of its bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct AtBound {
    /// Its name: `p`, `w[2]`.
    pub component: String,
    /// Which bound.
    pub side: Side,
    /// Its value, the bound.
    pub value: f64,
}

impl Report {
    /// True when it stopped on `tol` or `ftol` at a minimum. An `ftol` stop counts, as
    /// SciPy's `REL_REDUCTION_OF_F` does: the user said how little progress is enough,
    /// and the curvature was judged as for `tol`.
    pub fn converged(&self) -> bool {
        matches!(self.stopped, Stop::Tol | Stop::Ftol)
    }
}
