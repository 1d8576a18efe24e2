//! `nabla minimize FILE`: one descent, the file's options overridden by flags, with a
//! progress bar on a terminal, `--history` CSV and `--plot` pictures.

use super::grad::objective;
use super::outputs::{Outputs, Wanted};
use super::progress::Progress;
use super::verdict;
use super::{CommonArgs, Session};
use crate::descent::{
    Cause, FTOL_EPOCHS, Method, Observer, Record, Report, Settings, Stop, Task, minimize,
};
use crate::error::{Error, ErrorKind};
use crate::program::{OptionValue, Program};
use crate::syntax::format_f64 as num;
use serde_json::{Map, Value as Json, json};
use std::path::PathBuf;

/// Arguments of `nabla minimize`.
#[derive(Debug, clap::Args)]
pub struct MinimizeArgs {
    /// The `.nabla` file.
    file: PathBuf,
    /// The objective: a definition's name (default: the first `minimize`, else `loss`).
    #[arg(long, value_name = "NAME")]
    of: Option<String>,
    #[command(flatten)]
    flags: DescentFlags,
}

/// The flags that override a `minimize` statement's options (also used by `run`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DescentFlags {
    /// The method: gd, momentum, nesterov, adam, armijo, newton or lbfgs (its options
    /// return to their defaults, the rate too, unless given; without it and without a
    /// method in the file, lbfgs above 1,000 params, else gd).
    #[arg(long, value_name = "M")]
    method: Option<String>,
    /// The step size η, or `auto` (1/λmax of the Hessian at the start).
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    rate: Option<String>,
    /// The most epochs to run.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    epochs: Option<String>,
    /// Stop when |∇L| < T (exit 1 if it is not reached, unless the run stops on
    /// --ftol).
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    tol: Option<String>,
    /// Stop when the relative loss change |L_prev − L| / max(|L_prev|, |L|, 1e-300)
    /// stays below F for 3 epochs in a row.
    #[arg(long, value_name = "F", allow_hyphen_values = true)]
    ftol: Option<String>,
    /// Mini-batches of B rows, shuffled each epoch with the seed.
    #[arg(long, value_name = "B", allow_hyphen_values = true)]
    batch: Option<String>,
    /// Write epoch, loss, grad_norm, rate and every param per epoch to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    history: Option<PathBuf>,
    /// Keep one history row every K epochs (default: at most 100,000 rows; the start
    /// and the last epoch are always kept).
    #[arg(long, value_name = "K", value_parser = at_least_one, allow_hyphen_values = true)]
    history_every: Option<usize>,
    /// Draw the loss curve (and, for two params, the contours with the path) to this
    /// .svg or .png file.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) fn run(session: &mut Session, args: &MinimizeArgs) -> i32 {
    let mut program = match session.load(&args.file, &args.flags.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (task, settings) = match task(&program, args.of.as_deref(), &args.flags) {
        Ok(found) => found,
        Err(e) => return session.fail(&[e]),
    };
    match descend(session, &mut program, &task, &settings, &args.flags) {
        Ok((code, document)) => {
            if session.json {
                session.print_json(&document);
            }
            code
        }
        Err(errors) => session.fail(&errors),
    }
}

/// The objective and settings: `--of` or the first `minimize` (else `loss`), with the
/// statement's options (defaults for a bare definition), overridden by the flags.
fn task(
    program: &Program,
    of: Option<&str>,
    flags: &DescentFlags,
) -> Result<(Task, Settings), Error> {
    let statement = match of {
        Some(name) => program.minimizes.iter().find(|m| m.name == name),
        None => program.minimizes.first(),
    };
    let (task, settings) = match statement {
        Some(m) => (Task::of(m), m.settings.clone()),
        None => {
            let (name, node, all) = objective(program, of)?;
            let wrt = program.graph.dependencies(node, &all);
            let span = program.definition(&name).map(|d| d.span);
            let task = Task {
                name,
                objective: node,
                wrt,
                span,
            };
            let mut settings = Settings::default();
            settings.switch_method(crate::descent::default_method(
                program.sizes(&task.wrt).iter().sum(),
            ));
            (task, settings)
        }
    };
    Ok((task, flags.apply(settings)?))
}

impl DescentFlags {
    /// No override but the seed: how `run` takes each statement as written, through
    /// the same [`DescentFlags::apply`] as `minimize`.
    pub(super) fn seeded(seed: u64) -> DescentFlags {
        let common = CommonArgs {
            seed,
            ..CommonArgs::default()
        };
        DescentFlags {
            common,
            ..DescentFlags::default()
        }
    }

    /// The settings with these flags applied over them.
    pub(super) fn apply(&self, mut settings: Settings) -> Result<Settings, Error> {
        if let Some(name) = &self.method {
            let Some(method) = Method::named(name) else {
                let suggestion = crate::program::suggest(name, crate::descent::METHODS);
                let kind = ErrorKind::UnknownMethod {
                    name: name.clone(),
                    suggestion,
                    known: crate::descent::METHODS.join(", "),
                };
                return Err(Error::new(kind, None));
            };
            settings.switch_method(method);
        }
        let flags = [
            ("rate", &self.rate),
            ("epochs", &self.epochs),
            ("tol", &self.tol),
            ("ftol", &self.ftol),
            ("batch", &self.batch),
        ];
        for (option, text) in flags {
            if let Some(text) = text {
                let value = match text.trim().parse::<f64>() {
                    Ok(x) => OptionValue::Number(x),
                    Err(_) => OptionValue::Name(text.trim().to_string()),
                };
                settings
                    .apply(option, &value, None)
                    .map_err(|e| flag_error(option, text, e))?;
            }
        }
        settings.seed = self.common.seed;
        Ok(settings)
    }
}

/// A count of at least 1 (`--history-every`).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(k) if k >= 1 => Ok(k),
        _ => Err(format!(
            "`{text}` is not a whole number of epochs of at least 1"
        )),
    }
}

fn flag_error(option: &str, text: &str, error: Error) -> Error {
    Error::new(
        ErrorKind::Usage(format!("--{option} {text}: {}", error.kind)),
        None,
    )
}

/// Runs one descent and prints its report (text now, JSON returned): exit 1 when it
/// diverged or missed an explicit `tol`; `Err` when it could not start.
pub(super) fn descend(
    session: &mut Session,
    program: &mut Program,
    task: &Task,
    settings: &Settings,
    flags: &DescentFlags,
) -> Result<(i32, Json), Vec<Error>> {
    let names = program.component_names(&task.wrt);
    let moved: std::collections::HashSet<_> = task.wrt.iter().collect();
    let fixed = program
        .params
        .iter()
        .filter(|p| !moved.contains(&p.var))
        .flat_map(|p| (0..p.values.len()).map(move |k| (p.component_name(k), p.values[k])))
        .collect();
    let wanted = Wanted {
        history: flags.history.clone(),
        plot: flags.plot.clone(),
        every: flags.history_every,
    };
    let inputs: Vec<PathBuf> = session
        .sources
        .iter()
        .map(|(_, s)| s.name.clone().into())
        .collect();
    let outputs =
        Outputs::open(&wanted, &inputs, names, fixed, settings.epochs).map_err(|e| vec![e])?;
    let mut observer = Watch {
        outputs,
        progress: Progress::new(
            !session.json && !session.quiet && session.is_terminal(),
            settings.epochs,
        ),
    };
    let report = minimize(program, task, settings, &mut observer).map_err(|e| vec![e])?;
    observer.progress.finish();
    let code = i32::from(failed(&report, settings));
    let title = format!(
        "minimize {}: {}, rate {}",
        task.name,
        report.method.name(),
        num(report.rate)
    );
    let history = observer
        .outputs
        .finish(program, task, &title)
        .map_err(|e| vec![e])?;
    let mut document = report_json(&report, settings);
    if session.json {
    } else if session.quiet {
        print_params(session, &report, settings);
    } else {
        print_report(session, &report, settings);
        if let Some(note) = history.as_ref().and_then(Outputs::thinning_note) {
            session.print(&note);
        }
    }
    if let Some(history) = history {
        document["history"] = history;
    }
    Ok((code, document))
}

/// True when the answer is negative (exit 1): it diverged, stopped at a point that is
/// not a minimum, or missed an explicit `tol`.
fn failed(report: &Report, settings: &Settings) -> bool {
    let not_minimum = matches!(report.stopped, Stop::Saddle | Stop::Flat);
    report.divergence.is_some() || not_minimum || (settings.tol.is_some() && !report.converged())
}

/// The progress bar and the output files, fed by one observer.
struct Watch {
    outputs: Outputs,
    progress: Progress,
}

impl Observer for Watch {
    fn record(&mut self, record: &Record<'_>) {
        if self.outputs.any() {
            self.outputs.record(record);
        }
        self.progress.record(record);
    }
}

fn print_report(session: &mut Session, report: &Report, settings: &Settings) {
    let epochs = if report.epochs == 1 {
        "epoch"
    } else {
        "epochs"
    };
    let name = &report.objective;
    let why = match report.stopped {
        Stop::Epochs => "stopped at the epoch limit".to_string(),
        Stop::Tol => format!(
            "converged, |∇{name}| < {}",
            num(settings.tol.unwrap_or(0.0))
        ),
        Stop::Ftol => format!(
            "converged, the relative change of {name} < {} for {FTOL_EPOCHS} epochs",
            num(settings.ftol.unwrap_or(0.0))
        ),
        Stop::Diverged => "diverged".to_string(),
        Stop::Saddle => "stopped at a saddle point".to_string(),
        Stop::Flat => "stopped on a plateau".to_string(),
    };
    session.print(&format!(
        "minimize {name} by {} (rate {}): {} {epochs}, {why}",
        report.method.name(),
        num(report.rate),
        report.epochs,
    ));
    if let Some(lambda) = report.auto_lambda {
        session.print(&format!(
            "  rate = auto: 1/λmax, λmax = {} at the start",
            num(lambda)
        ));
    }
    for warning in &report.warnings {
        session.print(&format!("  warning: {warning}"));
    }
    for (param, value) in &report.params {
        session.print(&format!("  {param} = {}", num(*value)));
    }
    if let Some(line) = at_bound_line(report) {
        session.print(&line);
    }
    // After a domain error nothing was computed at the final params.
    if !report.loss.is_nan() || report.divergence.is_none() {
        session.print(&format!("  {name} = {}", num(report.loss)));
        let free = if report.bounded {
            " (of the free components)"
        } else {
            ""
        };
        session.print(&format!("  |∇{name}| = {}{free}", num(report.grad_norm)));
    }
    let counted = report.evaluations;
    session.print(&format!(
        "  evaluations: {} of {name}, {} of ∇{name}",
        counted.loss, counted.gradient
    ));
    if let Some(tol) = settings.tol.filter(|_| report.stopped == Stop::Epochs) {
        session.print(&format!(
            "  not converged: |∇{name}| is still above tol = {}",
            num(tol)
        ));
    }
    let Some(message) = verdict::message(report) else {
        return;
    };
    match report.divergence.as_ref().map(|d| &d.cause) {
        Some(Cause::Domain(e)) => {
            let error = Error::new(ErrorKind::Domain(e.clone()), e.span);
            session.report_failure(&error, &message);
        }
        _ => session.print(&format!("  {message}")),
    }
}

/// `--quiet`: the params, one `name = value` line each, and the verdict of a failed
/// descent (a negative answer is never silent).
fn print_params(session: &mut Session, report: &Report, settings: &Settings) {
    for (param, value) in &report.params {
        session.print(&format!("{param} = {}", num(*value)));
    }
    if let Some(message) = verdict::message(report) {
        session.print(&message);
    } else if failed(report, settings) {
        session.print(&format!(
            "not converged: |∇{}| is still above tol = {}",
            report.objective,
            num(settings.tol.unwrap_or(0.0))
        ));
    }
}

/// The most components the text names on one "at bound" line.
const AT_BOUND_SHOWN: usize = 10;

/// `  at bound: p = 0 (lower), w[2] = 1 (upper)`, the first [`AT_BOUND_SHOWN`] of
/// them and how many more; `None` when no component ends on a bound.
fn at_bound_line(report: &Report) -> Option<String> {
    if report.at_bound.is_empty() {
        return None;
    }
    let shown: Vec<String> = report
        .at_bound
        .iter()
        .take(AT_BOUND_SHOWN)
        .map(|b| format!("{} = {} ({})", b.component, num(b.value), b.side.name()))
        .collect();
    let more = report.at_bound.len().saturating_sub(AT_BOUND_SHOWN);
    let rest = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(format!("  at bound: {}{rest}", shown.join(", ")))
}

/// The JSON of SPEC 6 for one descent.
pub(super) fn report_json(report: &Report, settings: &Settings) -> Json {
    let params: Map<String, Json> = super::render::params_json(&report.params, number);
    let mut document = json!({
        "objective": report.objective,
        "method": report.method.name(),
        "params": params,
        "loss": number(report.loss),
        "epochs": report.epochs,
        "evaluations": {
            "loss": report.evaluations.loss,
            "gradient": report.evaluations.gradient,
        },
        "stopped": report.stopped.name(),
        "converged": report.converged(),
        "grad_norm": number(report.grad_norm),
        "rate": number(report.rate),
    });
    if report.bounded {
        let at_bound: Vec<Json> = report
            .at_bound
            .iter()
            .map(
                |b| json!({"param": b.component, "bound": b.side.name(), "value": number(b.value)}),
            )
            .collect();
        document["at_bound"] = json!(at_bound);
    }
    if let Some(tol) = settings.tol {
        document["tol"] = number(tol);
    }
    if let Some(ftol) = settings.ftol {
        document["ftol"] = number(ftol);
    }
    if let Some(message) = verdict::message(report) {
        document["message"] = json!(message);
    }
    if !report.warnings.is_empty() {
        let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
        document["warnings"] = json!(warnings);
    }
    document
}

/// A number, or null where it is not finite (JSON has no NaN).
fn number(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}
