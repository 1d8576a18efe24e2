//! What a descent's report says beyond its numbers: why a run that diverged did so
//! and what to try, fitted to the method; why a stop at a saddle or on a plateau is
//! not a minimum, with the point.

use crate::descent::{Cause, Method, Report, Stop};
use crate::syntax::format_f64 as num;

/// The sentence after the numbers: a divergence with its advice, or why the stop is
/// not a minimum; `None` for a run that has neither.
pub(super) fn message(report: &Report) -> Option<String> {
    divergence_message(report).or_else(|| stop_message(report))
}

/// Why the run diverged and what to try, in one sentence.
fn divergence_message(report: &Report) -> Option<String> {
    let d = report.divergence.as_ref()?;
    let what = match &d.cause {
        Cause::NotFinite => "the loss or its gradient is no longer finite".to_string(),
        Cause::Grew { from, to } => {
            format!(
                "the loss grew a million-fold, from {} to {}",
                num(*from),
                num(*to)
            )
        }
        Cause::Domain(e) => format!("{e}"),
    };
    let hint = advice(report.method, report.rate, d.lambda_max);
    Some(format!("diverged at epoch {}: {what}; {hint}", d.epoch))
}

/// What to change after a divergence: for a fixed-rate method the rate bound of
/// [`stable_rate`] where λmax is known; Adam moves each param by about η whatever
/// the curvature; the line searches only accept steps that lower the loss.
fn advice(method: Method, rate: f64, lambda_max: Option<f64>) -> String {
    let rate_was = num(rate);
    match (method, stable_rate(method), lambda_max) {
        (_, Some((factor, formula)), Some(l)) => format!(
            "try a rate below {formula} = {}{} (λmax = {} at the start; the rate was {rate_was})",
            short(factor / l),
            beta_note(method),
            short(l),
        ),
        (Method::Adam { .. }, ..) => format!(
            "try a smaller rate than {rate_was} (adam moves each param by about the rate per \
             step, whatever the curvature)"
        ),
        (Method::Armijo { .. }, ..) => format!(
            "try a smaller rate than {rate_was}, where the line search starts, or another start"
        ),
        (Method::Newton { .. }, ..) => "newton's line search accepts only steps that lower \
             the loss, so the trouble is in the derivatives at the new point: try another \
             start, or armijo, which needs no Hessian"
            .to_string(),
        (Method::Lbfgs { .. }, ..) => "lbfgs's line search accepts only steps that lower \
             the loss, so the trouble is in the derivatives at the new point: try another \
             start, or armijo"
            .to_string(),
        _ => format!("try a smaller rate than {rate_was}"),
    }
}

/// The rate bound c/λmax of a fixed-rate method, as (c, the formula): on a quadratic
/// with curvature λ it is stable while η·λ < 2 for gd, 2(1 + β) for momentum and
/// 2(1 + β)/(1 + 2β) for Nesterov's form (the roots of each recurrence's
/// characteristic polynomial stay inside the unit circle).
fn stable_rate(method: Method) -> Option<(f64, String)> {
    match method {
        Method::Gd => Some((2.0, "2/λmax".to_string())),
        Method::Momentum { beta } => Some((2.0 * (1.0 + beta), "2(1 + β)/λmax".to_string())),
        Method::Nesterov { beta } => Some((
            2.0 * (1.0 + beta) / (1.0 + 2.0 * beta),
            "2(1 + β)/((1 + 2β)λmax)".to_string(),
        )),
        _ => None,
    }
}

/// ` with β = 0.9` for the methods whose rate bound has β in it.
fn beta_note(method: Method) -> String {
    match method {
        Method::Momentum { beta } | Method::Nesterov { beta } => {
            format!(" with β = {}", num(beta))
        }
        _ => String::new(),
    }
}

/// Why a stop on a saddle or a plateau is not a minimum, naming the point.
fn stop_message(report: &Report) -> Option<String> {
    let name = &report.objective;
    let point: Vec<String> = report
        .params
        .iter()
        .map(|(p, v)| format!("{p} = {}", num(*v)))
        .collect();
    let point = point.join(", ");
    let gradient = format!("|∇{name}| = {}", short(report.grad_norm));
    let curvature = report.curvature;
    match report.stopped {
        Stop::Saddle => {
            let lambda = curvature.map_or(f64::NAN, |c| c.min);
            Some(format!(
                "not a minimum: at {point} the gradient is small ({gradient}) but the Hessian \
                 has a negative eigenvalue (λmin ≈ {}), so {name} decreases along its \
                 eigenvector: a saddle point; start elsewhere",
                short(lambda)
            ))
        }
        Stop::Flat => {
            let lambda = curvature.map_or(f64::NAN, |c| c.min.abs().max(c.max.abs()));
            Some(format!(
                "not a minimum: {name} = {} is flat at {point} ({gradient}, curvature ≈ {}): \
                 its terms have saturated, so no step can lower it; start nearer the data's \
                 scale, or try a smaller rate",
                num(report.loss),
                short(lambda)
            ))
        }
        _ => None,
    }
}

/// Three significant digits: a suggestion, not a result.
pub(super) fn short(x: f64) -> String {
    let rounded: f64 = format!("{x:.2e}").parse().unwrap_or(x);
    num(rounded)
}
