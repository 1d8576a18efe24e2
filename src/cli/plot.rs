//! `--plot FILE`: the loss curve of a descent and, for two params, the loss over a
//! grid around the path, evaluated on a compiled tape and drawn by [`crate::plot`].

use crate::descent::{History, Task};
use crate::error::{Error, ErrorKind};
use crate::plot::{Landscape, LossCurve, grid_around, write_plot};
use crate::program::Program;
use crate::tape::Compiled;
use std::path::Path;

/// Grid points per side of the contour panel.
const GRID: usize = 120;

/// Draws the run in `history` to `path` (.svg or .png), atomically.
pub(super) fn write(
    program: &Program,
    task: &Task,
    history: &History,
    path: &Path,
) -> Result<(), Error> {
    let curve = LossCurve {
        epochs: history.epochs.clone(),
        losses: history.losses.clone(),
    };
    let landscape = (task.wrt.len() == 2)
        .then(|| landscape(program, task, history))
        .flatten();
    let title = format!("minimize {}", task.name);
    write_plot(path, &title, &curve, landscape.as_ref()).map_err(|e| {
        let kind = ErrorKind::Usage(format!("--plot {}: {e}", path.display()));
        Error::new(kind, None)
    })
}

/// The loss over a grid around the descent path of two params; points outside the
/// loss's domain are NaN (drawn blank).
fn landscape(program: &Program, task: &Task, history: &History) -> Option<Landscape> {
    let path: Vec<(f64, f64)> = history
        .params
        .iter()
        .filter_map(|p| Some((*p.first()?, *p.get(1)?)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let (xs, ys) = grid_around(&path, GRID);
    let mut tape = Compiled::<f64>::new(program, &[task.objective])?;
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
