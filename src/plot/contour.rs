//! Contour levels and isolines (marching squares) of a loss sampled on a grid.
//!
//! Everything works on `log10(loss)`: losses span decades (Rosenbrock's from 1e-4 to
//! 1e4), and levels evenly spaced in the log put isolines where the eye expects them.

/// An isoline piece inside one grid cell, in data coordinates.
pub(super) type Segment = [(f64, f64); 2];

/// The most decades the levels span below the largest loss; lower losses all fall
/// into the first band, so a single exact zero cannot squash every other band.
const MAX_DECADES: f64 = 12.0;
/// The level count we aim at: enough to read the shape, few enough to tell apart.
const MAX_LEVELS: f64 = 16.0;

/// The contour levels of a loss field, as `log10(loss)`, and the field itself in the
/// same units.
pub(super) struct Levels {
    /// Increasing `log10` levels; the band between two levels gets one colour.
    pub levels: Vec<f64>,
    /// `log10(loss)` per grid point: NaN where the loss is NaN or infinite (undefined),
    /// and below the first level where the loss is `<= 0`.
    pub field: Vec<f64>,
}

impl Levels {
    /// Log-spaced levels at a step of 1/8, 1/4, 1/2 or 1 decade (the finest giving at
    /// most [`MAX_LEVELS`]) from the smallest positive loss to the largest finite one.
    pub fn of(loss: &[f64]) -> Levels {
        let logs = || {
            loss.iter()
                .filter(|v| v.is_finite() && **v > 0.0)
                .map(|v| v.log10())
        };
        let hi = logs().fold(f64::NEG_INFINITY, f64::max);
        let lo = logs().fold(f64::INFINITY, f64::min).max(hi - MAX_DECADES);
        let below = if lo.is_finite() { lo - 1.0 } else { 0.0 };
        let field = loss.iter().map(|&v| log_or(v, below)).collect();
        if hi <= lo {
            // No positive loss, or a constant one: a single band, no isolines.
            return Levels {
                levels: Vec::new(),
                field,
            };
        }
        let step = [0.125, 0.25, 0.5, 1.0]
            .into_iter()
            .find(|step| (hi - lo) / step <= MAX_LEVELS)
            .unwrap_or(1.0);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        let levels = (first..=last).map(|k| k as f64 * step).collect();
        Levels { levels, field }
    }

    /// The band of a field value: how many levels lie at or below it; `None` where
    /// the loss is undefined.
    pub fn band(&self, value: f64) -> Option<usize> {
        (!value.is_nan()).then(|| self.levels.partition_point(|level| *level <= value))
    }
}

fn log_or(loss: f64, below: f64) -> f64 {
    match loss {
        v if !v.is_finite() => f64::NAN,
        v if v <= 0.0 => below,
        v => v.log10().max(below),
    }
}

/// The isoline of `field` (row-major over `xs` x `ys`) at `level`, as segments, by
/// marching squares. Cells with an undefined corner are skipped; a saddle cell is
/// resolved by the mean of its corners.
pub(super) fn isoline(xs: &[f64], ys: &[f64], field: &[f64], level: f64) -> Vec<Segment> {
    let nx = xs.len();
    let mut segments = Vec::new();
    for j in 0..ys.len().saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            let at = |di: usize, dj: usize| {
                let (x, y) = (xs[i + di], ys[j + dj]);
                (x, y, field[(j + dj) * nx + i + di])
            };
            // Corners counter-clockwise from the bottom left; edge k joins k and k+1.
            let corners = [at(0, 0), at(1, 0), at(1, 1), at(0, 1)];
            cell(&corners, level, &mut segments);
        }
    }
    segments
}

/// The isoline segments in one cell, given its corners as `(x, y, value)`.
fn cell(corners: &[(f64, f64, f64); 4], level: f64, segments: &mut Vec<Segment>) {
    if corners.iter().any(|c| c.2.is_nan()) {
        return;
    }
    let above = |k: usize| corners[k].2 >= level;
    let crossing = |k: usize| {
        let (a, b) = (corners[k], corners[(k + 1) % 4]);
        let t = (level - a.2) / (b.2 - a.2);
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    let edges: Vec<usize> = (0..4).filter(|&k| above(k) != above((k + 1) % 4)).collect();
    match edges[..] {
        [a, b] => segments.push([crossing(a), crossing(b)]),
        [_, _, _, _] => {
            let centre = corners.iter().map(|c| c.2).sum::<f64>() / 4.0;
            // If the centre sides with corner 0, corners 1 and 3 are cut off;
            // otherwise corners 0 and 2 are.
            let pairs = if (centre >= level) == above(0) {
                [(0, 1), (2, 3)]
            } else {
                [(3, 0), (1, 2)]
            };
            for (a, b) in pairs {
                segments.push([crossing(a), crossing(b)]);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_has_a_closed_ring_of_segments() {
        let xs: Vec<f64> = (0..21).map(|k| -1.0 + 0.1 * k as f64).collect();
        let field: Vec<f64> = xs
            .iter()
            .flat_map(|y| xs.iter().map(move |x| x * x + y * y))
            .collect();
        let segments = isoline(&xs, &xs, &field, 0.25);
        assert!(segments.len() >= 12);
        for [p, q] in segments {
            for (x, y) in [p, q] {
                assert!(((x * x + y * y).sqrt() - 0.5).abs() < 0.02, "({x}, {y})");
            }
        }
    }

    #[test]
    fn levels_are_log_spaced_and_skip_undefined_values() {
        let levels = Levels::of(&[1e-4, 1e4, 0.0, f64::NAN, f64::INFINITY]);
        assert_eq!(
            levels.levels,
            (-8..=8).map(|k| k as f64 * 0.5).collect::<Vec<_>>()
        );
        assert_eq!(levels.band(levels.field[2]), Some(0));
        assert_eq!(levels.band(levels.field[3]), None);
        assert_eq!(levels.band(levels.field[4]), None);
        assert_eq!(levels.band(levels.field[1]), Some(17));
        assert!(Levels::of(&[2.0, 2.0]).levels.is_empty());
    }
}
