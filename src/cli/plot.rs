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

/// The indices kept of `len` points: all when few, else evenly spaced, with the
/// first ones denser (descent moves most at the start), and always the first and last.
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

/// The picture of the run in `history`, as the bytes of `path`'s format (.svg or .png).
pub(super) fn render(
    program: &Program,
    task: &Task,
    history: &History,
    path: &Path,
) -> Result<Vec<u8>, Error> {
    let kept = thinned(history.epochs.len(), MAX_POINTS);
    let curve = LossCurve {
        epochs: kept.iter().map(|&k| history.epochs[k]).collect(),
        losses: kept.iter().map(|&k| history.losses[k]).collect(),
    };
    let landscape = (task.wrt.len() == 2)
        .then(|| landscape(program, task, history))
        .flatten();
    let title = format!("minimize {}", task.name);
    render_plot(path, &title, &curve, landscape.as_ref()).map_err(|e| {
        let kind = ErrorKind::Usage(format!("--plot {}: {e}", path.display()));
        Error::new(kind, None)
    })
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
    let (xs, ys) = grid_around(&path, GRID);
    let mut tape = Compiled::<f64>::of_program(program, &[task.objective])?;
    let mut loss = Vec::with_capacity(xs.len() * ys.len());
    for &y in &ys {
        for &x in &xs {
            let set = tape.set(task.wrt[0], x) && tape.set(task.wrt[1], y);
            let value = match set && tape.run(&program.graph).is_ok() {
                true => tape.scalar(0).unwrap_or(f64::NAN),
                false => f64::NAN,
            };
            loss.push(value);
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
