//! The box of a bounded descent (SPEC 11): a lower and an upper bound per component
//! (either may be infinite), the projection onto it, and the free components.
//!
//! **A component is blocked where it sits on a bound and its gradient points out of
//! the box** (θᵢ = loᵢ with gᵢ > 0, or θᵢ = hiᵢ with gᵢ < 0): no feasible step can
//! lower the loss along it. Every other component is free. The projected gradient is
//! the gradient with the blocked components set to 0; `tol`, the reported |∇L| and
//! the curvature judgement read it. Without finite bounds it is the gradient, and
//! every method runs exactly as it did before bounds existed.

/// The box `[lo, hi]` of every component of θ.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
    /// True when some bound is finite; false, the box is all of Rⁿ.
    finite: bool,
}

/// Which end of its box a component ends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// θᵢ = loᵢ.
    Lower,
    /// θᵢ = hiᵢ.
    Upper,
}

impl Side {
    /// `lower` or `upper`, as reports and JSON say it.
    pub fn name(self) -> &'static str {
        match self {
            Side::Lower => "lower",
            Side::Upper => "upper",
        }
    }
}

impl Bounds {
    /// The box of `(lower, upper)` pairs, one per component.
    pub fn new(pairs: &[(f64, f64)]) -> Bounds {
        let (lower, upper): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let finite = pairs.iter().any(|(l, u)| l.is_finite() || u.is_finite());
        Bounds {
            lower,
            upper,
            finite,
        }
    }

    /// True when some component has a finite bound.
    pub fn is_bounded(&self) -> bool {
        self.finite
    }

    /// The nearest point of the box to θ, in place (componentwise clamping). Only
    /// comparisons, so a component inside stays bit for bit.
    pub fn project(&self, theta: &mut [f64]) {
        if !self.finite {
            return;
        }
        for ((x, &lo), &hi) in theta.iter_mut().zip(&self.lower).zip(&self.upper) {
            if *x < lo {
                *x = lo;
            } else if *x > hi {
                *x = hi;
            }
        }
    }

    /// True when component `i` at `x` with gradient `g` is blocked (see the module).
    pub fn blocked(&self, i: usize, x: f64, g: f64) -> bool {
        let (lo, hi) = self.get(i);
        (x <= lo && g > 0.0) || (x >= hi && g < 0.0)
    }

    /// The gradient of the free components: `gradient` with the blocked ones 0.
    pub fn projected_gradient(&self, theta: &[f64], gradient: &[f64]) -> Vec<f64> {
        let mut out = gradient.to_vec();
        if self.finite {
            for (i, g) in out.iter_mut().enumerate() {
                if self.blocked(i, theta[i], *g) {
                    *g = 0.0;
                }
            }
        }
        out
    }

    /// Which components are free at θ (not blocked).
    pub fn free(&self, theta: &[f64], gradient: &[f64]) -> Vec<bool> {
        (0..theta.len())
            .map(|i| !self.blocked(i, theta[i], gradient[i]))
            .collect()
    }

    /// The components that sit on a bound, with the side.
    pub fn at_bound(&self, theta: &[f64]) -> Vec<(usize, Side)> {
        let mut found = Vec::new();
        for (i, &x) in theta.iter().enumerate() {
            let (lo, hi) = self.get(i);
            if x == lo {
                found.push((i, Side::Lower));
            } else if x == hi {
                found.push((i, Side::Upper));
            }
        }
        found
    }

    /// `(lo, hi)` of component `i`; unbounded past the end.
    pub fn get(&self, i: usize) -> (f64, f64) {
        let lo = self.lower.get(i).copied().unwrap_or(f64::NEG_INFINITY);
        let hi = self.upper.get(i).copied().unwrap_or(f64::INFINITY);
        (lo, hi)
    }
}
