//! A line search that meets the strong Wolfe conditions: Moré and Thuente's algorithm
//! ("Line search algorithms with guaranteed sufficient decrease", ACM TOMS 20(3), 1994),
//! a port of MINPACK-2's `dcsrch` and `dcstep`, with their constants.
//!
//! Along a descent direction p from θ, φ(α) = L(θ + α p). The search looks for a step
//! α with
//!
//! - sufficient decrease: φ(α) <= φ(0) + c1 α φ'(0), and
//! - curvature: |φ'(α)| <= c2 |φ'(0)|.
//!
//! It keeps an interval that contains such a step and chooses each trial by
//! safeguarded cubic and quadratic interpolation of the values and slopes seen so far
//! (`step`); until the interval is bracketed it extrapolates by at most a factor 4.
//! While no trial has met the sufficient decrease with a non-negative slope, it works on
//! the modified function ψ(α) = φ(α) − φ(0) − c1 α φ'(0), as the paper proves it must.
//!
//! One addition to the port: a trial where φ has no value (a domain error, an overflow)
//! is treated as too long a step: the next trial is halfway back to the best step so
//! far.

/// The constants of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wolfe {
    /// c1 of the sufficient decrease (MINPACK's `ftol`).
    pub c1: f64,
    /// c2 of the curvature condition (MINPACK's `gtol`).
    pub c2: f64,
    /// The search stops when the interval is this narrow, relative to its end.
    pub xtol: f64,
    /// The smallest step tried.
    pub step_min: f64,
    /// The largest step tried.
    pub step_max: f64,
    /// The most evaluations of φ.
    pub max_evaluations: usize,
}

impl Default for Wolfe {
    /// SPEC 11's constants (c1 1e-4, c2 0.9), MINPACK's xtol.
    fn default() -> Wolfe {
        Wolfe {
            c1: 1e-4,
            c2: 0.9,
            xtol: 1e-10,
            step_min: 0.0,
            step_max: 1e20,
            max_evaluations: 20,
        }
    }
}

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Both Wolfe conditions hold.
    Wolfe,
    /// Rounding errors prevent progress, or the interval is narrower than `xtol`: the
    /// step has sufficient decrease at best.
    Rounding,
    /// The step is the largest allowed, still with sufficient decrease and slope
    /// below c1 φ'(0) (the function may be unbounded below).
    AtMax,
    /// The step is the smallest allowed and still fails the conditions.
    AtMin,
    /// The evaluations ran out.
    Evaluations,
}

/// The end of a search: the step, φ and φ' there (the best point seen when the search
/// did not meet the conditions), how many evaluations it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// α.
    pub step: f64,
    /// φ(α).
    pub value: f64,
    /// φ'(α).
    pub slope: f64,
    /// How it ended.
    pub found: Found,
    /// Evaluations of φ made.
    pub evaluations: usize,
}

/// Why a search could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// φ'(0) >= 0: the direction does not descend.
    NotDescent,
    /// A constant is out of its range, or the first step is outside [min, max].
    BadInput,
}

/// One end of the interval of uncertainty: a step with φ and φ' there.
#[derive(Debug, Clone, Copy, PartialEq)]
struct End {
    step: f64,
    value: f64,
    slope: f64,
}

/// Searches from φ(0) = `value0`, φ'(0) = `slope0` with first trial `step0`; `phi`
/// gives φ(α) and φ'(α), or `None` where φ has no value.
pub fn search(
    mut phi: impl FnMut(f64) -> Option<(f64, f64)>,
    value0: f64,
    slope0: f64,
    step0: f64,
    wolfe: &Wolfe,
) -> Result<Outcome, Refused> {
    if slope0.is_nan() || slope0 >= 0.0 {
        return Err(Refused::NotDescent);
    }
    let in_unit = |c: f64| c > 0.0 && c < 1.0;
    let valid = in_unit(wolfe.c1)
        && in_unit(wolfe.c2)
        && wolfe.xtol >= 0.0
        && wolfe.step_min >= 0.0
        && wolfe.step_max >= wolfe.step_min
        && (wolfe.step_min..=wolfe.step_max).contains(&step0)
        && value0.is_finite();
    if !valid {
        return Err(Refused::BadInput);
    }
    let mut s = Search::new(value0, slope0, step0, wolfe);
    let mut evaluations = 0;
    let mut best: Option<End> = None;
    while evaluations < wolfe.max_evaluations {
        evaluations += 1;
        let Some((value, slope)) = phi(s.step).filter(|(v, d)| v.is_finite() && d.is_finite())
        else {
            s.shorten();
            continue;
        };
        let trial = End {
            step: s.step,
            value,
            slope,
        };
        if best.is_none_or(|b| value < b.value) {
            best = Some(trial);
        }
        if let Some(found) = s.test(trial) {
            return Ok(outcome(trial, found, evaluations));
        }
        s.next(trial);
    }
    let last = best.unwrap_or(End {
        step: 0.0,
        value: value0,
        slope: slope0,
    });
    Ok(outcome(last, Found::Evaluations, evaluations))
}

fn outcome(end: End, found: Found, evaluations: usize) -> Outcome {
    Outcome {
        step: end.step,
        value: end.value,
        slope: end.slope,
        found,
        evaluations,
    }
}

/// The state of `dcsrch` between evaluations.
struct Search {
    wolfe: Wolfe,
    value0: f64,
    /// c1 φ'(0).
    decrease: f64,
    slope0: f64,
    /// The step being tried.
    step: f64,
    /// The best step so far (`stx`) and the other end (`sty`).
    x: End,
    y: End,
    bracketed: bool,
    /// Stage 1 works on ψ; stage 2 on φ.
    stage_one: bool,
    /// The bounds of the next trial.
    low: f64,
    high: f64,
    width: f64,
    width_before: f64,
}

const P5: f64 = 0.5;
const P66: f64 = 0.66;
const EXTRAPOLATE_LOW: f64 = 1.1;
const EXTRAPOLATE_HIGH: f64 = 4.0;

impl Search {
    fn new(value0: f64, slope0: f64, step0: f64, wolfe: &Wolfe) -> Search {
        let start = End {
            step: 0.0,
            value: value0,
            slope: slope0,
        };
        let width = wolfe.step_max - wolfe.step_min;
        Search {
            wolfe: *wolfe,
            value0,
            decrease: wolfe.c1 * slope0,
            slope0,
            step: step0,
            x: start,
            y: start,
            bracketed: false,
            stage_one: true,
            low: 0.0,
            high: step0 + EXTRAPOLATE_HIGH * step0,
            width,
            width_before: width / P5,
        }
    }

    /// The sufficient-decrease bound at `step`.
    fn bound(&self, step: f64) -> f64 {
        self.value0 + step * self.decrease
    }

    /// Whether the search ends at `trial`, and how (`dcsrch`'s tests; its convergence
    /// test is the last and overrides the warnings, so it comes first here).
    fn test(&mut self, trial: End) -> Option<Found> {
        let bound = self.bound(trial.step);
        if self.stage_one && trial.value <= bound && trial.slope >= 0.0 {
            self.stage_one = false;
        }
        let w = &self.wolfe;
        if trial.value <= bound && trial.slope.abs() <= w.c2 * (-self.slope0) {
            return Some(Found::Wolfe);
        }
        if self.bracketed && (trial.step <= self.low || trial.step >= self.high) {
            return Some(Found::Rounding);
        }
        if self.bracketed && self.high - self.low <= w.xtol * self.high {
            return Some(Found::Rounding);
        }
        if trial.step == w.step_max && trial.value <= bound && trial.slope <= self.decrease {
            return Some(Found::AtMax);
        }
        if trial.step == w.step_min && (trial.value > bound || trial.slope >= self.decrease) {
            return Some(Found::AtMin);
        }
        None
    }

    /// Chooses the next trial after `trial` (the rest of `dcsrch`).
    fn next(&mut self, trial: End) {
        let decrease = self.decrease;
        if self.stage_one && trial.value <= self.x.value && trial.value > self.bound(trial.step) {
            // On ψ: the same step with values and slopes shifted by the bound's line.
            let shift = |e: End| End {
                step: e.step,
                value: e.value - e.step * decrease,
                slope: e.slope - decrease,
            };
            let unshift = |e: End| End {
                step: e.step,
                value: e.value + e.step * decrease,
                slope: e.slope + decrease,
            };
            let (mut x, mut y) = (shift(self.x), shift(self.y));
            let next = step(
                &mut x,
                &mut y,
                shift(trial),
                &mut self.bracketed,
                self.low,
                self.high,
            );
            (self.x, self.y, self.step) = (unshift(x), unshift(y), next);
        } else {
            let (mut x, mut y) = (self.x, self.y);
            let next = step(
                &mut x,
                &mut y,
                trial,
                &mut self.bracketed,
                self.low,
                self.high,
            );
            (self.x, self.y, self.step) = (x, y, next);
        }
        if self.bracketed {
            if (self.y.step - self.x.step).abs() >= P66 * self.width_before {
                self.step = self.x.step + P5 * (self.y.step - self.x.step);
            }
            self.width_before = self.width;
            self.width = (self.y.step - self.x.step).abs();
            self.low = self.x.step.min(self.y.step);
            self.high = self.x.step.max(self.y.step);
        } else {
            self.low = self.step + EXTRAPOLATE_LOW * (self.step - self.x.step);
            self.high = self.step + EXTRAPOLATE_HIGH * (self.step - self.x.step);
        }
        self.step = self.step.clamp(self.wolfe.step_min, self.wolfe.step_max);
        let stuck = self.bracketed
            && (self.step <= self.low
                || self.step >= self.high
                || self.high - self.low <= self.wolfe.xtol * self.high);
        if stuck {
            self.step = self.x.step;
        }
    }

    /// After a trial without a value: halfway back to the best step, which bounds the
    /// interval from now on.
    fn shorten(&mut self) {
        let failed = self.step;
        self.step = self.x.step + P5 * (failed - self.x.step);
        self.high = self.high.min(failed);
        if self.step <= self.wolfe.step_min {
            self.step = self.wolfe.step_min;
        }
    }
}

/// `dcstep`: the next trial from the best end `x`, the other end `y` and the trial
/// `t`, updating the interval; the cases are the paper's four.
fn step(x: &mut End, y: &mut End, t: End, bracketed: &mut bool, low: f64, high: f64) -> f64 {
    let sign = t.slope * x.slope.signum();
    let next = if t.value > x.value {
        *bracketed = true;
        higher_value(x, t)
    } else if sign < 0.0 {
        *bracketed = true;
        slopes_differ(x, t)
    } else if t.slope.abs() < x.slope.abs() {
        smaller_slope(x, y, t, *bracketed, low, high)
    } else {
        larger_slope(x, y, t, *bracketed, low, high)
    };
    if t.value > x.value {
        *y = t;
    } else {
        if sign < 0.0 {
            *y = *x;
        }
        *x = t;
    }
    next
}

/// The cubic through two points with their slopes: `(θ, γ)` of `dcstep`.
fn cubic(a: End, b: End, clamp: bool) -> (f64, f64) {
    let theta = 3.0 * (a.value - b.value) / (b.step - a.step) + a.slope + b.slope;
    let s = theta.abs().max(a.slope.abs()).max(b.slope.abs());
    let radicand = (theta / s).powi(2) - (a.slope / s) * (b.slope / s);
    let radicand = if clamp { radicand.max(0.0) } else { radicand };
    (theta, s * radicand.sqrt())
}

/// Case 1: a higher value; the minimum is bracketed.
fn higher_value(x: &End, t: End) -> f64 {
    let (theta, mut gamma) = cubic(*x, t, false);
    if t.step < x.step {
        gamma = -gamma;
    }
    let p = (gamma - x.slope) + theta;
    let q = ((gamma - x.slope) + gamma) + t.slope;
    let cubic_step = x.step + (p / q) * (t.step - x.step);
    let quadratic_step = x.step
        + ((x.slope / ((x.value - t.value) / (t.step - x.step) + x.slope)) / 2.0)
            * (t.step - x.step);
    if (cubic_step - x.step).abs() < (quadratic_step - x.step).abs() {
        cubic_step
    } else {
        cubic_step + (quadratic_step - cubic_step) / 2.0
    }
}

/// Case 2: a lower value and a slope of the other sign; bracketed.
fn slopes_differ(x: &End, t: End) -> f64 {
    let (theta, mut gamma) = cubic(*x, t, false);
    if t.step > x.step {
        gamma = -gamma;
    }
    let p = (gamma - t.slope) + theta;
    let q = ((gamma - t.slope) + gamma) + x.slope;
    let cubic_step = t.step + (p / q) * (x.step - t.step);
    let secant_step = t.step + (t.slope / (t.slope - x.slope)) * (x.step - t.step);
    if (cubic_step - t.step).abs() > (secant_step - t.step).abs() {
        cubic_step
    } else {
        secant_step
    }
}

/// Case 3: a lower value, a slope of the same sign that is smaller in magnitude.
fn smaller_slope(x: &End, y: &End, t: End, bracketed: bool, low: f64, high: f64) -> f64 {
    let (theta, mut gamma) = cubic(*x, t, true);
    if t.step > x.step {
        gamma = -gamma;
    }
    let p = (gamma - t.slope) + theta;
    let q = (gamma + (x.slope - t.slope)) + gamma;
    let r = p / q;
    let cubic_step = if r < 0.0 && gamma != 0.0 {
        t.step + r * (x.step - t.step)
    } else if t.step > x.step {
        high
    } else {
        low
    };
    let secant_step = t.step + (t.slope / (t.slope - x.slope)) * (x.step - t.step);
    if bracketed {
        let nearer = if (cubic_step - t.step).abs() < (secant_step - t.step).abs() {
            cubic_step
        } else {
            secant_step
        };
        let limit = t.step + P66 * (y.step - t.step);
        if t.step > x.step {
            limit.min(nearer)
        } else {
            limit.max(nearer)
        }
    } else {
        let farther = if (cubic_step - t.step).abs() > (secant_step - t.step).abs() {
            cubic_step
        } else {
            secant_step
        };
        farther.min(high).max(low)
    }
}

/// Case 4: a lower value, a slope of the same sign that does not decrease.
fn larger_slope(x: &End, y: &End, t: End, bracketed: bool, low: f64, high: f64) -> f64 {
    if bracketed {
        let (theta, mut gamma) = cubic(t, *y, false);
        if t.step > y.step {
            gamma = -gamma;
        }
        let p = (gamma - t.slope) + theta;
        let q = ((gamma - t.slope) + gamma) + y.slope;
        t.step + (p / q) * (y.step - t.step)
    } else if t.step > x.step {
        high
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// φ with φ'.
    type Phi = Box<dyn Fn(f64) -> (f64, f64)>;

    /// The six functions of Moré and Thuente's section 5 with their (c1, c2): φ and φ'.
    fn paper_function(k: usize) -> (Phi, f64, f64) {
        let gamma = |b: f64| (1.0 + b * b).sqrt() - b;
        let yanai = move |b1: f64, b2: f64| {
            let (g1, g2) = (gamma(b1), gamma(b2));
            move |a: f64| {
                let u = ((1.0 - a).powi(2) + b2 * b2).sqrt();
                let v = (a * a + b1 * b1).sqrt();
                (g1 * u + g2 * v, g1 * (a - 1.0) / u + g2 * a / v)
            }
        };
        match k {
            1 => {
                let b = 2.0;
                let f = move |a: f64| (-a / (a * a + b), (a * a - b) / (a * a + b).powi(2));
                (Box::new(f), 1e-3, 1e-1)
            }
            2 => {
                let b = 0.004;
                let f = move |a: f64| {
                    let x = a + b;
                    (
                        x.powi(5) - 2.0 * x.powi(4),
                        5.0 * x.powi(4) - 8.0 * x.powi(3),
                    )
                };
                (Box::new(f), 1e-1, 1e-1)
            }
            3 => {
                let (b, l) = (0.01, 39.0);
                let f = move |a: f64| {
                    let (v0, d0) = if a <= 1.0 - b {
                        (1.0 - a, -1.0)
                    } else if a >= 1.0 + b {
                        (a - 1.0, 1.0)
                    } else {
                        ((a - 1.0).powi(2) / (2.0 * b) + b / 2.0, (a - 1.0) / b)
                    };
                    let w = l * std::f64::consts::PI / 2.0;
                    let c = 2.0 * (1.0 - b) / (l * std::f64::consts::PI);
                    (v0 + c * (w * a).sin(), d0 + c * w * (w * a).cos())
                };
                (Box::new(f), 1e-1, 1e-1)
            }
            4 => (Box::new(yanai(0.001, 0.001)), 1e-3, 1e-3),
            5 => (Box::new(yanai(0.01, 0.001)), 1e-3, 1e-3),
            _ => (Box::new(yanai(0.001, 0.01)), 1e-3, 1e-3),
        }
    }

    /// Tables 1 to 6 of the paper: for each function and first step 1e-3, 1e-1, 1e1,
    /// 1e3, the evaluations and the final step (as the paper prints it, 2 digits).
    const TABLES: [[(usize, f64); 4]; 6] = [
        [(6, 1.4), (3, 1.4), (1, 10.0), (4, 37.0)],
        [(12, 1.6), (8, 1.6), (8, 1.6), (11, 1.6)],
        [(12, 1.0), (12, 1.0), (10, 1.0), (13, 1.0)],
        [(4, 0.085), (1, 0.10), (3, 0.35), (4, 0.83)],
        [(6, 0.075), (3, 0.078), (7, 0.073), (8, 0.076)],
        [(13, 0.93), (11, 0.93), (8, 0.92), (11, 0.92)],
    ];

    /// Every search of the paper's tables ends with both conditions met, after the
    /// paper's number of evaluations, at the paper's step.
    #[test]
    fn the_papers_tables_are_reproduced() {
        for (k, table) in TABLES.iter().enumerate() {
            let (phi, c1, c2) = paper_function(k + 1);
            let (value0, slope0) = phi(0.0);
            let wolfe = Wolfe {
                c1,
                c2,
                ..Wolfe::default()
            };
            for (step0, &(evaluations, step)) in [1e-3, 1e-1, 1e1, 1e3].into_iter().zip(table) {
                let found = search(|a| Some(phi(a)), value0, slope0, step0, &wolfe);
                let case = format!("function {} from {step0}: {found:?}", k + 1);
                let Ok(o) = found else { panic!("{case}") };
                let (v, d) = phi(o.step);
                assert_eq!(o.found, Found::Wolfe, "{case}");
                assert!(v <= value0 + c1 * o.step * slope0, "{case}");
                assert!(d.abs() <= c2 * slope0.abs(), "{case}");
                assert_eq!(o.evaluations, evaluations, "{case}");
                let digits = 10f64.powf(step.log10().floor() - 1.0);
                assert!((o.step - step).abs() <= 0.5 * digits, "{case}");
            }
        }
    }

    #[test]
    fn a_step_without_a_value_is_shortened() {
        // φ(α) = (α - 1)^2 - 1 but undefined beyond α = 3: from 100 it comes back.
        let phi = |a: f64| (a <= 3.0).then(|| ((a - 1.0).powi(2) - 1.0, 2.0 * (a - 1.0)));
        let found = search(phi, 0.0, -2.0, 100.0, &Wolfe::default());
        assert!(
            found.is_ok_and(|o| o.found == Found::Wolfe && o.step <= 3.0),
            "{found:?}"
        );
    }

    #[test]
    fn an_ascent_direction_is_refused() {
        let found = search(|a| Some((a, 1.0)), 0.0, 1.0, 1.0, &Wolfe::default());
        assert_eq!(found, Err(Refused::NotDescent));
    }
}
