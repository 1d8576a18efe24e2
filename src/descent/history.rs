//! The history of a descent, epoch by epoch, and its CSV file (`--history`).

use super::objective::Evaluations;
use super::run::{Observer, Record};
use crate::syntax::format_f64;

/// Every epoch's loss, gradient norm, rate and params.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The names of the moved params, in the order of [`Record::params`].
    pub names: Vec<String>,
    /// Epochs, from 0 (the start).
    pub epochs: Vec<usize>,
    /// The loss after each epoch.
    pub losses: Vec<f64>,
    /// |∇L| after each epoch.
    pub grad_norms: Vec<f64>,
    /// The rate of each epoch's step (`None` at the start).
    pub rates: Vec<Option<f64>>,
    /// The params after each epoch.
    pub params: Vec<Vec<f64>>,
    /// The loss and gradient evaluations made by the end of each epoch (not in the
    /// CSV, whose columns stay those of SPEC 5).
    pub evaluations: Vec<Evaluations>,
    /// The params the descent does not move, with their values (written after the
    /// moved ones, so the CSV has every param).
    pub fixed: Vec<(String, f64)>,
}

impl History {
    /// An empty history of the params called `names`.
    pub fn new(names: Vec<String>) -> History {
        History {
            names,
            ..History::default()
        }
    }

    /// The CSV text: a header `epoch,loss,grad_norm,rate,<moved params>,<fixed params>`,
    /// then a line per epoch with every number in full round-trip precision, with an
    /// exponent for very small or large magnitudes (the start has no rate).
    pub fn to_csv(&self) -> String {
        let mut text = csv_header(&self.names, &self.fixed);
        for k in 0..self.epochs.len() {
            let row = Row {
                epoch: self.epochs[k],
                loss: self.losses[k],
                grad_norm: self.grad_norms[k],
                rate: self.rates[k],
                params: &self.params[k],
            };
            text.push_str(&row.to_csv(&self.fixed));
        }
        text
    }
}

/// One line of a history: an epoch's numbers.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// Epochs done.
    pub epoch: usize,
    /// The loss.
    pub loss: f64,
    /// |∇L|.
    pub grad_norm: f64,
    /// The step's rate (`None` at the start).
    pub rate: Option<f64>,
    /// The moved params.
    pub params: &'a [f64],
}

impl Row<'_> {
    /// The row of `record`.
    pub fn of<'a>(record: &Record<'a>) -> Row<'a> {
        Row {
            epoch: record.epoch,
            loss: record.loss,
            grad_norm: record.grad_norm(),
            rate: record.rate,
            params: record.params,
        }
    }

    /// The CSV line, ending in a newline, with the `fixed` params' values after the
    /// moved ones.
    pub fn to_csv(&self, fixed: &[(String, f64)]) -> String {
        let rate = self.rate.map(format_f64).unwrap_or_default();
        let (loss, grad_norm) = (format_f64(self.loss), format_f64(self.grad_norm));
        let mut line = format!("{},{loss},{grad_norm},{rate}", self.epoch);
        for &value in self.params.iter().chain(fixed.iter().map(|(_, v)| v)) {
            line.push(',');
            line.push_str(&format_f64(value));
        }
        line.push('\n');
        line
    }
}

/// The header line `epoch,loss,grad_norm,rate,<moved params>,<fixed params>`.
pub fn csv_header(names: &[String], fixed: &[(String, f64)]) -> String {
    let mut text = String::from("epoch,loss,grad_norm,rate");
    for name in names.iter().chain(fixed.iter().map(|(n, _)| n)) {
        text.push(',');
        text.push_str(&csv_field(name));
    }
    text.push('\n');
    text
}

impl Observer for History {
    fn record(&mut self, record: &Record<'_>) {
        self.epochs.push(record.epoch);
        self.losses.push(record.loss);
        self.grad_norms.push(record.grad_norm());
        self.rates.push(record.rate);
        self.params.push(record.params.to_vec());
        self.evaluations.push(record.evaluations);
    }
}

/// A param name as a CSV field (quoted if it holds a comma or quote; names of the
/// language never do, but the field stays valid whatever it holds).
fn csv_field(name: &str) -> String {
    if name.contains([',', '"', '\n']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}
