//! `nabla check FILE`: the file's `check` statements and the Taylor test of each
//! objective, as a text report or the JSON document of SPEC 6. Exit 1 when any check
//! or Taylor test fails, so it can guard a project's CI.

use super::grad::objective;
use super::{CommonArgs, Session};
use crate::check::{
    CheckReport, Options, OrderVerdict, TaylorReport, Verdict, check_statement, taylor,
};
use crate::error::{Error, ErrorKind};
use crate::graph::{NodeId, VarId};
use crate::program::Program;
use crate::syntax::format_f64;
use serde_json::{Value as Json, json};
use std::path::PathBuf;

/// Arguments of `nabla check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The `.nabla` file.
    file: PathBuf,
    /// The objective of the Taylor test (default: every `minimize` objective, else `loss`).
    #[arg(long, value_name = "NAME")]
    of: Option<String>,
    /// Check in decimal arithmetic (28 digits) instead of f64.
    #[arg(long)]
    precise: bool,
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) fn run(session: &mut Session, args: &CheckArgs) -> i32 {
    let mut program = match session.load(&args.file, &args.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let seed = args.common.seed;
    match report(
        session,
        &mut program,
        args.of.as_deref(),
        args.precise,
        seed,
    ) {
        Ok((code, document)) => {
            if session.json {
                session.print_json(&document);
            }
            code
        }
        Err(errors) => session.fail(&errors),
    }
}

/// Runs every check of `program` and the Taylor test of its objectives (`of`, else
/// every `minimize` objective, else `loss`); prints the text report unless the session
/// is in JSON mode, and returns the exit code (0 or 1) with the JSON document
/// `{"checks": [...], "taylor": [...]}`. `Err` for bad input (exit 2): an unknown
/// `--of`, a domain error at the current params, nothing to check.
pub(super) fn report(
    session: &mut Session,
    program: &mut Program,
    of: Option<&str>,
    precise: bool,
    seed: u64,
) -> Result<(i32, Json), Vec<Error>> {
    let options = Options { seed, precise };
    let objectives = objectives(program, of).map_err(|e| vec![e])?;
    if objectives.is_empty() && program.checks.is_empty() {
        let message = "nothing to check: the file has no `check`, no `minimize` and no `loss`";
        return Err(vec![Error::new(ErrorKind::Usage(message.into()), None)]);
    }
    let mut checks = Vec::new();
    for i in 0..program.checks.len() {
        checks.push(check_statement(program, i, &options).map_err(|e| vec![e])?);
    }
    let mut tests = Vec::new();
    for (name, node, wrt) in &objectives {
        tests.push(taylor(program, name, *node, wrt, &options).map_err(|e| vec![e])?);
    }
    if !session.json {
        print_report(session, &checks, &tests, precise);
    }
    let ok = checks.iter().all(|c| c.ok) && tests.iter().all(|t| t.ok);
    let document = json!({
        "checks": checks.iter().map(|c| check_json(session, c)).collect::<Vec<_>>(),
        "taylor": tests.iter().map(taylor_json).collect::<Vec<_>>(),
    });
    Ok((if ok { 0 } else { 1 }, document))
}

/// `--of NAME`; else each distinct `minimize` objective; else `loss` if defined.
fn objectives(
    program: &Program,
    of: Option<&str>,
) -> Result<Vec<(String, NodeId, Vec<VarId>)>, Error> {
    if of.is_some() {
        return Ok(vec![objective(program, of)?]);
    }
    let mut found: Vec<(String, NodeId, Vec<VarId>)> = Vec::new();
    for m in &program.minimizes {
        if !found
            .iter()
            .any(|(_, node, wrt)| *node == m.objective && *wrt == m.wrt)
        {
            found.push((m.name.clone(), m.objective, m.wrt.clone()));
        }
    }
    if found.is_empty() && program.definition("loss").is_some() {
        found.push(objective(program, None)?);
    }
    Ok(found)
}

fn print_report(
    session: &mut Session,
    checks: &[CheckReport],
    tests: &[TaylorReport],
    precise: bool,
) {
    let failed = checks.iter().filter(|c| !c.ok).count() + tests.iter().filter(|t| !t.ok).count();
    let total = checks.len() + tests.len();
    // `--quiet`: the failures only, nothing when all pass (the exit code tells).
    let quiet = session.quiet;
    if quiet && failed == 0 {
        return;
    }
    if !quiet {
        let arithmetic = if precise {
            "decimal (28 digits)"
        } else {
            "f64"
        };
        session.print(&format!("arithmetic: {arithmetic}"));
    }
    for c in checks.iter().filter(|c| !quiet || !c.ok) {
        session.print("");
        print_check(session, c);
    }
    for t in tests.iter().filter(|t| !quiet || !t.ok) {
        session.print("");
        print_taylor(session, t);
    }
    session.print("");
    if failed == 0 {
        session.print(&format!("all {total} passed"));
    } else {
        session.print(&format!("{failed} of {total} failed"));
    }
}

pub(super) fn print_check(session: &mut Session, c: &CheckReport) {
    let at = session.sources.line_col(c.span);
    let file = session.sources.name(c.span.source).to_string();
    let statement = session.sources.slice(c.span).trim().to_string();
    session.print(&format!("{statement}    ({file}:{})", at.line));
    let skipped = match c.skipped {
        0 => String::new(),
        n => format!(", {n} skipped outside the domain"),
    };
    if c.ok {
        session.print(&format!(
            "  ok: agrees at {} of {} points{skipped} (largest relative difference {:.1e}, tolerance {:.0e})",
            c.agreed, c.points, c.max_rel_err, c.tolerance
        ));
    } else {
        session.print(&format!(
            "  FAILED: agrees at {} of {} points{skipped} (largest relative difference {:.1e}, tolerance {:.0e})",
            c.agreed, c.points, c.max_rel_err, c.tolerance
        ));
    }
    if c.proved {
        session.print("  proved: the simplifier reduces the derivative minus E to 0");
    }
    if let Some(x) = &c.counterexample {
        let point = x
            .params
            .iter()
            .map(|(n, v)| format!("{n} = {}", format_f64(*v)))
            .collect::<Vec<_>>()
            .join(", ");
        let which = match x.index {
            0 => "the current params".to_string(),
            i => format!("random point {i}"),
        };
        let row = x.row.map_or(String::new(), |r| format!(", data row {r}"));
        session.print(&format!("  at {which}{row}: {point}"));
        session.print(&format!(
            "    d({})/d({}) = {}",
            c.of,
            c.wrt,
            format_f64(x.derivative)
        ));
        session.print(&format!("    E = {}", format_f64(x.expected)));
        session.print(&format!("    difference = {}", format_f64(x.difference)));
        print_components(session, c, &x.components);
    }
    if let Some(d) = &c.diagnosis {
        session.print(&format!("  diagnosis: {d}"));
    }
}

/// The most differing components of a vector check listed.
const SHOWN_COMPONENTS: usize = 10;

/// The components of a vector or matrix derivative that differ, with both values.
fn print_components(session: &mut Session, c: &CheckReport, parts: &[(String, f64, f64)]) {
    if parts.is_empty() {
        return;
    }
    session.print(&format!("  {} components differ:", parts.len()));
    for (name, a, e) in parts.iter().take(SHOWN_COMPONENTS) {
        session.print(&format!(
            "    {name}: d({})/d({name}) = {}, E = {}",
            c.of,
            format_f64(*a),
            format_f64(*e)
        ));
    }
    if parts.len() > SHOWN_COMPONENTS {
        session.print(&format!(
            "    ... and {} more",
            parts.len() - SHOWN_COMPONENTS
        ));
    }
}

/// The most components of δ printed on the Taylor test's first line.
const SHOWN_DIRECTION: usize = 8;

pub(super) fn print_taylor(session: &mut Session, t: &TaylorReport) {
    let mut direction = t
        .direction
        .iter()
        .take(SHOWN_DIRECTION)
        .map(|(n, v)| format!("{n} {}", format_f64(*v)))
        .collect::<Vec<_>>()
        .join(", ");
    if t.direction.len() > SHOWN_DIRECTION {
        let more = t.direction.len() - SHOWN_DIRECTION;
        direction.push_str(&format!(", and {more} more"));
    }
    session.print(&format!("Taylor test of {} along δ = ({direction})", t.of));
    // The whole table with `--verbose`, and on a failure, where it is the evidence.
    if session.verbose || t.verdict == Verdict::Fail {
        print_taylor_table(session, t);
    } else {
        print_taylor_summary(session, t);
    }
    let verdict = match t.verdict {
        Verdict::Pass => "ok: the gradient and Hessian pass the Taylor test",
        Verdict::NotSmooth => {
            "ok: not smooth here (one-sided differences disagree), so the rates do not apply"
        }
        Verdict::Fail => {
            "FAILED: the remainders do not shrink at the expected rates: the derivatives are wrong"
        }
    };
    session.print(&format!("  {verdict}"));
}

/// The table of remainders and rates, each order's verdict, and AD against central
/// differences (`--verbose`).
fn print_taylor_table(session: &mut Session, t: &TaylorReport) {
    session.print("  h          r0         rate    r1         rate    r2         rate");
    for s in &t.steps {
        let mut line = format!("  {:<10.2e}", s.h);
        for j in 0..3 {
            let r = s.remainders[j].map_or("-".to_string(), |r| format!("{r:.1e}"));
            let rate = match (s.rates[j], s.counted[j]) {
                (Some(x), true) => format!("{x:.2}"),
                (Some(x), false) => format!("({x:.2})"),
                (None, _) => "-".to_string(),
            };
            line.push_str(&format!(" {r:<10} {rate:<7}"));
        }
        session.print(line.trim_end());
    }
    session.print("  (rates in parentheses are outside the window above the rounding floor)");
    for (j, o) in t.orders.iter().enumerate() {
        session.print(&format!("  r{j}: {}", order_text(o)));
    }
    session.print("  param   derivative (AD)          central difference");
    for p in &t.gradient {
        let central = p.central.map_or("-".to_string(), format_f64);
        session.print(&format!(
            "  {:<7} {:<24} {central}",
            p.name,
            format_f64(p.derivative)
        ));
        if let Some((forward, backward)) = p.kink {
            session.print(&format!(
                "          one-sided differences disagree: {} forward, {} backward",
                format_f64(forward),
                format_f64(backward)
            ));
        }
    }
    if t.direction.len() > t.gradient.len() {
        session.print(&format!(
            "  (central differences of the first {} of {} params)",
            t.gradient.len(),
            t.direction.len()
        ));
    }
}

/// Each order's verdict with the window of steps its rate was read over, and the
/// one-sided differences where they disagree (the default).
fn print_taylor_summary(session: &mut Session, t: &TaylorReport) {
    for (j, o) in t.orders.iter().enumerate() {
        let counted: Vec<f64> = t
            .steps
            .iter()
            .filter(|s| s.counted[j])
            .map(|s| s.h)
            .collect();
        let window = match (counted.first(), counted.last()) {
            (Some(a), Some(b)) => format!(", h from {a:.2e} to {b:.2e}"),
            _ => String::new(),
        };
        session.print(&format!("  r{j}: {}{window}", order_text(o)));
    }
    for p in t.gradient.iter().filter(|p| p.kink.is_some()) {
        if let Some((forward, backward)) = p.kink {
            session.print(&format!(
                "  {}: one-sided differences disagree: {} forward, {} backward",
                p.name,
                format_f64(forward),
                format_f64(backward)
            ));
        }
    }
    session.print(&format!(
        "  ({} steps; the table and central differences with --verbose)",
        t.steps.len()
    ));
}

/// One order's verdict: `rate 2 reached (2.00)`.
fn order_text(o: &crate::check::Order) -> String {
    match o.verdict {
        OrderVerdict::Reached => {
            format!("rate {} reached ({:.2})", o.rate, o.observed.unwrap_or(0.0))
        }
        OrderVerdict::Exact => "at the rounding floor for every step: exact".to_string(),
        OrderVerdict::Failed => match o.observed {
            Some(x) => format!("rate {x:.2}, expected {}", o.rate),
            None => format!("no rate above the rounding floor, expected {}", o.rate),
        },
    }
}

pub(super) fn check_json(session: &Session, c: &CheckReport) -> Json {
    let at = session.sources.line_col(c.span);
    let counterexample = c.counterexample.as_ref().map(|x| {
        let params: serde_json::Map<String, Json> = x
            .params
            .iter()
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect();
        json!({
            "point": x.index, "params": params, "row": x.row,
            "derivative": x.derivative, "expected": x.expected, "difference": x.difference,
            "components": x.components.iter().map(|(n, a, e)| json!({"component": n, "derivative": a, "expected": e})).collect::<Vec<_>>(),
        })
    });
    json!({
        "of": c.of, "wrt": c.wrt, "ok": c.ok, "points": c.points, "agreed": c.agreed,
        "skipped": c.skipped, "max_rel_err": c.max_rel_err, "tolerance": c.tolerance,
        "proved": c.proved, "counterexample": counterexample,
        "diagnosis": c.diagnosis.as_ref().map(|d| json!({ "kind": diagnosis_kind(d), "message": d.to_string() })),
        "line": at.line,
    })
}

fn diagnosis_kind(d: &crate::check::Diagnosis) -> &'static str {
    use crate::check::Diagnosis::*;
    match d {
        SignError => "sign_error",
        ConstantFactor { .. } => "constant_factor",
        WrongRows { .. } => "wrong_rows",
        WrongFactor { .. } => "wrong_factor",
        MissingTerm { .. } => "missing_term",
    }
}

pub(super) fn taylor_json(t: &TaylorReport) -> Json {
    let rates: Vec<Vec<Option<f64>>> = (0..3)
        .map(|j| t.steps.iter().skip(1).map(|s| s.rates[j]).collect())
        .collect();
    let verdict = match t.verdict {
        Verdict::Pass => "pass",
        Verdict::NotSmooth => "not_smooth",
        Verdict::Fail => "fail",
    };
    let orders: Vec<Json> = t
        .orders
        .iter()
        .map(|o| {
            let v = match o.verdict {
                OrderVerdict::Reached => "reached",
                OrderVerdict::Exact => "exact",
                OrderVerdict::Failed => "failed",
            };
            json!({ "rate": o.rate, "verdict": v, "observed": o.observed })
        })
        .collect();
    let table: Vec<Json> = t
        .steps
        .iter()
        .map(|s| json!({ "h": s.h, "r": s.remainders, "counted": s.counted }))
        .collect();
    let gradient: Vec<Json> = t
        .gradient
        .iter()
        .map(|p| json!({ "param": p.name, "derivative": p.derivative, "central": p.central, "kink": p.kink.map(|(f, b)| [f, b]) }))
        .collect();
    json!({
        "of": t.of, "ok": t.ok, "verdict": verdict, "rates": rates, "orders": orders,
        "table": table, "gradient": gradient,
    })
}
