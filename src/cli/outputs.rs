//! The output files of one descent (`--history`, `--plot`): every path is checked
//! before the run starts (its directory, its kind, that it is not one of the run's
//! inputs nor the other output), and the history is streamed to its temporary file as
//! the run goes, so its memory does not grow with the epochs.
//!
//! A history keeps every K-th epoch (`--history-every K`), the start and the last epoch
//! always; by default K is chosen so that a history has at most [`MAX_HISTORY_ROWS`]
//! rows. The plot is drawn from the same rows.

use crate::descent::{History, Observer, Record, Row, Task, csv_header};
use crate::error::{Error, ErrorKind};
use crate::files::{Output, Target};
use crate::program::Program;
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most rows a history has when `--history-every` is not given.
pub const MAX_HISTORY_ROWS: usize = 100_000;

/// What to write, asked for by the flags.
#[derive(Debug, Clone, Default)]
pub(super) struct Wanted {
    pub history: Option<PathBuf>,
    pub plot: Option<PathBuf>,
    pub every: Option<usize>,
}

/// The open outputs of a run, fed epoch by epoch.
pub(super) struct Outputs {
    every: usize,
    fixed: Vec<(String, f64)>,
    history: Option<(PathBuf, Output)>,
    failure: Option<std::io::Error>,
    plot: Option<(PathBuf, Output, History)>,
    /// The latest epoch when it was not on the grid: written at the end.
    pending: Option<(usize, f64, f64, Option<f64>)>,
    pending_params: Vec<f64>,
    rows: usize,
}

impl Outputs {
    /// Checks and opens the outputs before the run: `inputs` are the files the run
    /// reads, `names` the moved params, `fixed` the others with their values.
    pub fn open(
        wanted: &Wanted,
        inputs: &[PathBuf],
        names: Vec<String>,
        fixed: Vec<(String, f64)>,
        epochs: usize,
    ) -> Result<Outputs, Error> {
        if let Some(path) = &wanted.plot {
            crate::plot::check_plot_path(path).map_err(|e| {
                let kind = ErrorKind::Usage(format!("--plot {}: {e}", path.display()));
                Error::new(kind, None)
            })?;
        }
        let history = target("--history", wanted.history.as_deref(), inputs)?;
        let plot = target("--plot", wanted.plot.as_deref(), inputs)?;
        if let (Some(h), Some(p)) = (&history, &plot)
            && h.same_file(&p.path)
            && !h.is_in_place()
        {
            return Err(write_error(&p.path, "it is also the --history file"));
        }
        let mut outputs = Outputs {
            every: wanted.every.unwrap_or(epochs / MAX_HISTORY_ROWS + 1),
            fixed,
            history: None,
            failure: None,
            plot: None,
            pending: None,
            pending_params: Vec::new(),
            rows: 0,
        };
        if let Some(target) = history {
            let mut output = target.open().map_err(|e| io_error(&target.path, &e))?;
            let header = csv_header(&names, &outputs.fixed);
            outputs.failure = output.write_all(header.as_bytes()).err();
            outputs.history = Some((target.path, output));
        }
        if let Some(target) = plot {
            let output = target.open().map_err(|e| io_error(&target.path, &e))?;
            let history = History {
                fixed: outputs.fixed.clone(),
                ..History::new(names)
            };
            outputs.plot = Some((target.path, output, history));
        }
        Ok(outputs)
    }

    /// Whether any output was asked for.
    pub fn any(&self) -> bool {
        self.history.is_some() || self.plot.is_some()
    }

    /// Writes the last epoch, draws the plot, and commits both files; nothing is
    /// committed if either fails; `title` heads the plot. The JSON `history` summary
    /// when there is one.
    pub fn finish(
        mut self,
        program: &Program,
        task: &Task,
        title: &str,
    ) -> Result<Option<Json>, Error> {
        if let Some((epoch, loss, grad_norm, rate)) = self.pending.take() {
            let params = std::mem::take(&mut self.pending_params);
            self.emit(&Row {
                epoch,
                loss,
                grad_norm,
                rate,
                params: &params,
            });
        }
        if let (Some(e), Some((path, _))) = (&self.failure, &self.history) {
            return Err(io_error(path, e));
        }
        let plot = match self.plot.take() {
            Some((path, output, history)) => {
                let bytes = super::plot::render(program, task, &history, &path, title)?;
                Some((path, output, bytes))
            }
            None => None,
        };
        let summary = self.summary();
        if let Some((path, output)) = self.history.take() {
            output.commit().map_err(|e| io_error(&path, &e))?;
        }
        if let Some((path, mut output, bytes)) = plot {
            output
                .write_all(&bytes)
                .and_then(|()| output.commit())
                .map_err(|e| io_error(&path, &e))?;
        }
        Ok(summary)
    }

    fn summary(&self) -> Option<Json> {
        let (path, _) = self.history.as_ref()?;
        Some(json!({
            "path": path.display().to_string(),
            "every": self.every,
            "rows": self.rows,
        }))
    }

    /// The history line of the report when rows were skipped.
    pub fn thinning_note(summary: &Json) -> Option<String> {
        let every = summary["every"].as_u64().filter(|&k| k > 1)?;
        Some(format!(
            "  history: one row every {every} epochs, the start and the last ({} rows; \
             --history-every sets it)",
            summary["rows"]
        ))
    }

    fn emit(&mut self, row: &Row<'_>) {
        self.rows += 1;
        if let Some((_, output)) = &mut self.history
            && self.failure.is_none()
        {
            self.failure = output.write_all(row.to_csv(&self.fixed).as_bytes()).err();
        }
        if let Some((_, _, history)) = &mut self.plot {
            history.epochs.push(row.epoch);
            history.losses.push(row.loss);
            history.grad_norms.push(row.grad_norm);
            history.rates.push(row.rate);
            history.params.push(row.params.to_vec());
        }
    }
}

impl Observer for Outputs {
    fn record(&mut self, record: &Record<'_>) {
        if record.epoch.is_multiple_of(self.every) {
            self.pending = None;
            self.emit(&Row::of(record));
        } else {
            let row = Row::of(record);
            self.pending = Some((row.epoch, row.loss, row.grad_norm, row.rate));
            self.pending_params.clear();
            self.pending_params.extend_from_slice(record.params);
        }
    }
}

/// The resolved output `path` of `flag`, refused when it cannot be written or is one
/// of the `inputs`.
pub(super) fn target(
    flag: &str,
    path: Option<&Path>,
    inputs: &[PathBuf],
) -> Result<Option<Target>, Error> {
    let Some(path) = path else {
        return Ok(None);
    };
    let target = Target::resolve(path).map_err(|e| io_error(path, &e))?;
    if let Some(input) = inputs.iter().find(|input| target.same_file(input)) {
        let reason = format!(
            "{flag} would replace `{}`, which this run reads; choose another path",
            input.display()
        );
        return Err(write_error(path, &reason));
    }
    Ok(Some(target))
}

pub(super) fn io_error(path: &Path, e: &std::io::Error) -> Error {
    write_error(path, &e.to_string())
}

fn write_error(path: &Path, reason: &str) -> Error {
    let kind = ErrorKind::Write {
        path: path.display().to_string(),
        reason: reason.to_string(),
    };
    Error::new(kind, None)
}
