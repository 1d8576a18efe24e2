//! The history of a descent, epoch by epoch, and its CSV file (`--history`).

use super::run::{Observer, Record};

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
    /// then a line per epoch with every number in full round-trip precision (the start
    /// has no rate).
    pub fn to_csv(&self) -> String {
        let mut text = String::from("epoch,loss,grad_norm,rate");
        for name in self.names.iter().chain(self.fixed.iter().map(|(n, _)| n)) {
            text.push(',');
            text.push_str(&csv_field(name));
        }
        text.push('\n');
        for k in 0..self.epochs.len() {
            let rate = self.rates[k].map(|r| r.to_string()).unwrap_or_default();
            let line = format!(
                "{},{},{},{}",
                self.epochs[k], self.losses[k], self.grad_norms[k], rate
            );
            text.push_str(&line);
            let fixed = self.fixed.iter().map(|(_, v)| v);
            for value in self.params[k].iter().chain(fixed) {
                text.push(',');
                text.push_str(&value.to_string());
            }
            text.push('\n');
        }
        text
    }
}

impl Observer for History {
    fn record(&mut self, record: &Record<'_>) {
        self.epochs.push(record.epoch);
        self.losses.push(record.loss);
        self.grad_norms.push(record.grad_norm());
        self.rates.push(record.rate);
        self.params.push(record.params.to_vec());
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
