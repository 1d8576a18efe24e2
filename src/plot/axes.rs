//! Axis ranges that plotters can always draw: finite, non-empty, and (for log axes)
//! positive whole decades, whatever values a run produced.

use std::ops::Range;

/// Values beyond this magnitude are clamped, so that a range's width stays finite.
const MAX_MAGNITUDE: f64 = 1e300;
/// The most decades a log axis spans; plotters' log key points loop over the ratio
/// `end / start`, which must stay finite.
const MAX_DECADES: i32 = 300;

/// The finite values of `values`, clamped to `±MAX_MAGNITUDE`.
fn finite(values: impl Iterator<Item = f64>) -> impl Iterator<Item = f64> {
    values
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(-MAX_MAGNITUDE, MAX_MAGNITUDE))
}

/// The smallest and largest finite value, if there is one.
fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    finite(values).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// A range from `lo` to `hi` widened around its centre when it is (nearly) empty: to a
/// half-width of `max(1, 10% of |centre|)`, which stays visible at any magnitude.
fn widened(lo: f64, hi: f64) -> (f64, f64) {
    let centre = lo / 2.0 + hi / 2.0;
    let floor = 1e-9 * centre.abs().max(1.0);
    if hi - lo > floor {
        return (lo, hi);
    }
    let half = (0.1 * centre.abs()).max(1.0);
    (centre - half, centre + half)
}

/// The box around `values` with a 15% margin on each side (see [`widened`] for empty
/// boxes); `[-1, 1]` without finite values.
pub(super) fn framed(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let Some((lo, hi)) = bounds(values) else {
        return (-1.0, 1.0);
    };
    let (lo, hi) = widened(lo, hi);
    let margin = 0.15 * (hi - lo);
    (lo - margin, hi + margin)
}

/// `n` evenly spaced points from `lo` to `hi` inclusive.
pub(super) fn linspace((lo, hi): (f64, f64), n: usize) -> Vec<f64> {
    let last = (n.max(2) - 1) as f64;
    (0..n.max(2))
        .map(|k| lo + (hi - lo) * (k as f64 / last))
        .collect()
}

/// The tight range of the finite `values` (widened when empty or a single point);
/// `0..1` without finite values.
pub(super) fn linear(values: impl Iterator<Item = f64>) -> Range<f64> {
    let (lo, hi) = bounds(values).map_or((0.0, 1.0), |(lo, hi)| widened(lo, hi));
    lo..hi
}

/// The whole decades that hold the positive finite `values`, at least one decade and
/// at most [`MAX_DECADES`]; `0.1..10` without positive finite values.
pub(super) fn log_decades(values: impl Iterator<Item = f64>) -> Range<f64> {
    let positive = finite(values).filter(|v| *v > 0.0);
    let (lo, hi) = bounds(positive).unwrap_or((0.1, 10.0));
    let top = (hi.log10().ceil() as i32).clamp(-MAX_DECADES + 1, MAX_DECADES);
    let bottom = (lo.log10().floor() as i32).clamp(top - MAX_DECADES, top - 1);
    // plotters finds the decade ticks through `ln`, whose rounding can put the end
    // decades just outside the range and drop their labels; a hair of slack keeps them.
    10f64.powi(bottom) * (1.0 - 1e-9)..10f64.powi(top) * (1.0 + 1e-9)
}

/// A tick label with no float noise and bounded width, on an axis spanning `span`:
/// plain with enough decimals to tell ticks a thousandth of the span apart for
/// moderate values, `1.5e12` style for very large or very small ones, and `0` for
/// what is zero up to rounding (plotters computes ticks by repeated addition).
pub(super) fn tick_label(value: f64, span: f64) -> String {
    let magnitude = value.abs();
    if magnitude <= span * 1e-9 {
        return "0".to_string();
    }
    if (1e-3..1e6).contains(&magnitude) {
        let decimals = (3.0 - span.log10().floor()).clamp(0.0, 12.0) as i32;
        let scale = 10f64.powi(decimals);
        return format!("{}", (value * scale).round() / scale);
    }
    let exponent = magnitude.log10().floor();
    let mantissa = (value / 10f64.powf(exponent) * 100.0).round() / 100.0;
    format!("{mantissa}e{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_stay_finite_and_non_empty() {
        let cases: [&[f64]; 6] = [
            &[],
            &[f64::NAN, f64::INFINITY],
            &[3.0, 3.0],
            &[-f64::MAX, f64::MAX],
            &[1e-320, 1e300],
            &[0.0, -5.0],
        ];
        for values in cases {
            let r = linear(values.iter().copied());
            assert!(
                r.start.is_finite() && r.end.is_finite() && r.start < r.end,
                "{values:?}"
            );
            let l = log_decades(values.iter().copied());
            assert!(
                l.start > 0.0 && l.end.is_finite() && l.start < l.end,
                "{values:?}"
            );
            assert!((l.end / l.start).is_finite(), "{values:?}");
            let (lo, hi) = framed(values.iter().copied());
            assert!(lo.is_finite() && hi.is_finite() && lo < hi, "{values:?}");
        }
    }

    #[test]
    fn log_decades_cover_the_values() {
        let close = |r: Range<f64>, lo: f64, hi: f64| {
            (r.start / lo - 1.0).abs() < 1e-6 && (r.end / hi - 1.0).abs() < 1e-6
        };
        assert!(close(log_decades([0.25, 30.0].into_iter()), 0.1, 100.0));
        assert!(close(log_decades([1.0, 1.0].into_iter()), 0.1, 1.0));
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.6000000000000001, 2.0), "0.6");
        assert_eq!(tick_label(1.4999999999, 2.0), "1.5");
        assert_eq!(tick_label(-2.0, 4.0), "-2");
        assert_eq!(tick_label(0.0, 1.0), "0");
        assert_eq!(tick_label(-1e-17, 1.0), "0");
        assert_eq!(tick_label(1.00015, 0.001), "1.00015");
        assert_eq!(tick_label(-8.968e299, 2e300), "-8.97e299");
        assert_eq!(tick_label(2.5e-5, 1e-4), "2.5e-5");
    }
}
