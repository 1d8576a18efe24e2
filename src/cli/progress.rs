//! The progress bar of a long descent (indicatif): epoch, loss and |∇L| on stderr,
//! shown only on a terminal and only once a run has taken half a second, so short
//! runs and piped output stay clean.

use crate::descent::{Observer, Record};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::{Duration, Instant};

/// Runs shorter than this show no bar.
const DELAY: Duration = Duration::from_millis(500);
/// The clock is read once per this many epochs (an epoch can take under a µs).
const CHECK_EVERY: usize = 1024;

/// A bar that appears after [`DELAY`].
pub struct Progress {
    enabled: bool,
    total: usize,
    started: Instant,
    bar: Option<ProgressBar>,
    last_draw: Instant,
}

impl Progress {
    /// A bar over `total` epochs, drawn on stderr when `enabled`.
    pub fn new(enabled: bool, total: usize) -> Progress {
        let now = Instant::now();
        Progress {
            enabled,
            total,
            started: now,
            bar: None,
            last_draw: now,
        }
    }

    /// Removes the bar (a finished run leaves its report, not a bar).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn show(&mut self) -> Option<&ProgressBar> {
        if self.bar.is_none() {
            let style =
                ProgressStyle::with_template("{bar:20} epoch {pos}/{len}  {msg}  {eta} left")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            let bar = ProgressBar::with_draw_target(
                Some(self.total as u64),
                ProgressDrawTarget::stderr(),
            );
            bar.set_style(style);
            self.bar = Some(bar);
        }
        self.bar.as_ref()
    }
}

impl Observer for Progress {
    fn record(&mut self, record: &Record<'_>) {
        if !self.enabled || !record.epoch.is_multiple_of(CHECK_EVERY) && self.bar.is_none() {
            return;
        }
        let now = Instant::now();
        if self.bar.is_none() && now - self.started < DELAY {
            return;
        }
        if self.bar.is_some() && now - self.last_draw < Duration::from_millis(100) {
            return;
        }
        self.last_draw = now;
        if let Some(bar) = self.show() {
            bar.set_position(record.epoch as u64);
            bar.set_message(format!(
                "loss {:.6e}  |∇| {:.3e}",
                record.loss,
                record.grad_norm()
            ));
        }
    }
}
