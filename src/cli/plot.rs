//! `--plot FILE`: the loss curve of a descent and, for two params, the loss over a
//! grid around the path, evaluated on a compiled tape and drawn by [`crate::plot`].

use crate::descent::{History, Task};
use crate::error::{Error, ErrorKind};
use crate::plot::{Landscape, LossCurve, grid_around, render_plot};
use crate::program::Program;
use crate::tape::Compiled;
use std::path::Path;

/// Grid points per side of the contour panel.
const GRID: usize = 120;

/// The most epochs drawn on the loss curve, and the most points of the descent path
/// (a marker each): a 20,000-epoch run would otherwise make a file of megabytes whose
/// markers merge into one line.
const MAX_POINTS: usize = 2000;
const MAX_PATH_POINTS: usize = 400;

/// The indices kept of `len` points for a path: all when few, else evenly spaced,
/// with the first ones denser (descent moves most at the start), and always the first
/// and last.
fn thinned(len: usize, most: usize) -> Vec<usize> {
    if len <= most {
        return (0..len).collect();
    }
    let last = (len - 1) as f64;
    let mut kept: Vec<usize> = (0..most)
        .map(|i| {
            let t = i as f64 / (most - 1) as f64;
            (t * t * last).round() as usize
        })
        .collect();
    kept.dedup();
    kept
}

/// The indices kept of a loss curve of `values.len()` points, at most about `most`:
/// all when few, else the lowest and highest point of each of `most / 2` equal runs
/// of epochs (and the first undefined one), so a spike or a dip survives the thinning;
/// always the first and last.
fn thinned_keeping_peaks(values: &[f64], most: usize) -> Vec<usize> {
    let len = values.len();
    if len <= most.max(2) {
        return (0..len).collect();
    }
    let buckets = (most / 2).max(1);
    let mut kept = vec![0, len - 1];
    for b in 0..buckets {
        let (start, end) = (b * len / buckets, (b + 1) * len / buckets);
        let run = start..end;
        let finite = || run.clone().filter(|&k| values[k].is_finite());
        let lowest = finite().min_by(|&i, &j| values[i].total_cmp(&values[j]));
        let highest = finite().max_by(|&i, &j| values[i].total_cmp(&values[j]));
        let gap = run.clone().find(|&k| !values[k].is_finite());
        kept.extend(lowest.into_iter().chain(highest).chain(gap));
    }
    kept.sort_unstable();
    kept.dedup();
    kept
}

/// The picture of the run in `history`, headed by `title`, as the bytes of `path`'s format (.svg or .png).
pub(super) fn render(
    program: &Program,
    task: &Task,
    history: &History,
    path: &Path,
    title: &str,
) -> Result<Vec<u8>, Error> {
    let kept = thinned_keeping_peaks(&history.losses, MAX_POINTS);
    let curve = LossCurve {
        epochs: kept.iter().map(|&k| history.epochs[k]).collect(),
        losses: kept.iter().map(|&k| history.losses[k]).collect(),
    };
    let landscape = (task.wrt.len() == 2)
        .then(|| landscape(program, task, history))
        .flatten();
    render_plot(path, title, &curve, landscape.as_ref()).map_err(|e| {
        let kind = ErrorKind::Usage(format!("--plot {}: {e}", path.display()));
        Error::new(kind, None)
    })
}

/// Points per side of the survey that finds the valley around a path.
const SURVEY: usize = 41;
/// The survey covers this many times the path's half-width around its end.
const SURVEY_REACH: f64 = 3.0;

/// The window of the landscape: a box centred on the end of the path (the best point
/// found) that holds the whole path with a margin, widened to take in the lowest point
/// of a survey around it and the valley (the survey points whose loss is below the
/// loss where the path starts).
/// `None` without a finite path.
fn window(
    path: &[(f64, f64)],
    loss: &mut dyn FnMut(f64, f64) -> f64,
) -> Option<((f64, f64), (f64, f64))> {
    let &(ex, ey) = path.last()?;
    let half = |end: f64, coord: fn(&(f64, f64)) -> f64| {
        let reach = path
            .iter()
            .map(|p| (coord(p) - end).abs())
            .fold(0.0, f64::max);
        if reach > 0.0 {
            reach
        } else {
            (0.1 * end.abs()).max(1.0)
        }
    };
    let (hx, hy) = (half(ex, |p| p.0), half(ey, |p| p.1));
    let survey_x = linspace((ex - SURVEY_REACH * hx, ex + SURVEY_REACH * hx), SURVEY);
    let survey_y = linspace((ey - SURVEY_REACH * hy, ey + SURVEY_REACH * hy), SURVEY);
    let mut points = Vec::with_capacity(SURVEY * SURVEY);
    for &y in &survey_y {
        for &x in &survey_x {
            let value = loss(x, y);
            if value.is_finite() {
                points.push((x, y, value.max(0.0)));
            }
        }
    }
    let mut lo_x = (ex - hx, ex + hx);
    let mut lo_y = (ey - hy, ey + hy);
    let mut take = |x: f64, y: f64| {
        lo_x = (lo_x.0.min(x), lo_x.1.max(x));
        lo_y = (lo_y.0.min(y), lo_y.1.max(y));
    };
    let threshold = path.first().map_or(f64::NAN, |&(x, y)| loss(x, y));
    if let Some(best) = points.iter().min_by(|a, b| a.2.total_cmp(&b.2)) {
        take(best.0, best.1);
    }
    for p in points.iter().filter(|p| p.2 < threshold) {
        take(p.0, p.1);
    }
    let margin = |(lo, hi): (f64, f64)| {
        let m = 0.08 * (hi - lo);
        (lo - m, hi + m)
    };
    Some((margin(lo_x), margin(lo_y)))
}

/// `n` evenly spaced points from `lo` to `hi`.
fn linspace((lo, hi): (f64, f64), n: usize) -> Vec<f64> {
    let last = (n.max(2) - 1) as f64;
    (0..n.max(2))
        .map(|k| lo + (hi - lo) * (k as f64 / last))
        .collect()
}

/// The loss over a grid around the descent path of two params; points outside the
/// loss's domain are NaN (drawn blank).
fn landscape(program: &Program, task: &Task, history: &History) -> Option<Landscape> {
    let kept = thinned(history.params.len(), MAX_PATH_POINTS);
    let path: Vec<(f64, f64)> = kept
        .iter()
        .filter_map(|&k| Some((*history.params[k].first()?, *history.params[k].get(1)?)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let mut tape = Compiled::<f64>::of_program(program, &[task.objective])?;
    let mut at = |x: f64, y: f64| {
        let set = tape.set(task.wrt[0], x) && tape.set(task.wrt[1], y);
        match set && tape.run(&program.graph).is_ok() {
            true => tape.scalar(0).unwrap_or(f64::NAN),
            false => f64::NAN,
        }
    };
    let (xs, ys) = match window(&path, &mut at) {
        Some((x, y)) => (linspace(x, GRID), linspace(y, GRID)),
        None => grid_around(&path, GRID),
    };
    let mut loss = Vec::with_capacity(xs.len() * ys.len());
    for &y in &ys {
        for &x in &xs {
            loss.push(at(x, y));
        }
    }
    let names = [0, 1].map(|k| program.graph.var(task.wrt[k]).name.clone());
    Some(Landscape {
        names,
        xs,
        ys,
        loss,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_peaks_of_a_spiky_curve() {
        let mut losses: Vec<f64> = (0..20_000).map(|k| 1.0 / (1.0 + k as f64)).collect();
        losses[7_777] = 50.0;
        losses[12_345] = 1e-9;
        let kept = thinned_keeping_peaks(&losses, MAX_POINTS);
        assert!(kept.len() <= MAX_POINTS + 2, "{}", kept.len());
        for k in [0, 7_777, 12_345, 19_999] {
            assert!(kept.contains(&k), "epoch {k} dropped");
        }
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
        // A short curve is kept whole.
        assert_eq!(thinned_keeping_peaks(&losses[..10], MAX_POINTS).len(), 10);
    }

    #[test]
    fn thinning_keeps_a_gap_where_the_loss_is_undefined() {
        let mut losses = vec![1.0; 10_000];
        losses[4_321] = f64::NAN;
        assert!(thinned_keeping_peaks(&losses, 100).contains(&4_321));
    }

    fn inside(window: &((f64, f64), (f64, f64)), (x, y): (f64, f64)) -> bool {
        let ((x0, x1), (y0, y1)) = *window;
        x0 < x && x < x1 && y0 < y && y < y1
    }

    #[test]
    fn the_window_holds_the_path_and_the_minimum_it_did_not_reach() {
        // A descent stopped a third of the way to the minimum at (4, -2).
        let mut loss = |x: f64, y: f64| (x - 4.0).powi(2) + 10.0 * (y + 2.0).powi(2);
        let path = [(0.0, 0.0), (0.8, -0.4), (1.3, -0.7)];
        let window = window(&path, &mut loss).expect("a window");
        for p in path.iter().copied().chain([(4.0, -2.0)]) {
            assert!(inside(&window, p), "{p:?} outside {window:?}");
        }
    }

    #[test]
    fn the_window_shows_the_valley_beyond_a_short_path() {
        // Rosenbrock's valley floor y = x² runs from the end (1, 1) on to (2, 4).
        let mut loss = |x: f64, y: f64| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
        let path = [(0.5, 0.3), (0.8, 0.6), (1.0, 1.0)];
        let window = window(&path, &mut loss).expect("a window");
        assert!(inside(&window, (1.0, 1.0)));
        assert!(inside(&window, (1.6, 2.56)), "{window:?}");
    }
}
