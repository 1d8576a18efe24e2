//! `nabla repl [FILE]`: the terminal (rustyline: editing, history, completion,
//! multi-line input) or, with stdin not a terminal, plain lines in and plain results
//! out; both print what the engine in [`crate::repl`] returns.
//!
//! With `--json`, each input gives one line of JSON on stdout (`repl_json.rs`).
//!
//! History lives in `$NABLA_HISTORY` if set, else `$XDG_DATA_HOME/nabla/history`, else
//! `~/.local/share/nabla/history`; a history that cannot be read or written only
//! loses the history, never the session.

use super::check::{print_check, print_taylor};
use super::minimize::{DescentFlags, descend};
use super::{CommonArgs, Session};
use crate::check::TaylorReport;
use crate::repl::{COMMANDS, Command, Descent, Failure, Repl, ReplHelper, Reply, Vars};
use crate::repl::{is_incomplete, parse_command};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

/// Arguments of `nabla repl`.
#[derive(Debug, clap::Args)]
pub struct ReplArgs {
    /// A `.nabla` file to load first (as `:load FILE`).
    file: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

/// Whether to read another input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Quit,
}

pub(super) fn run(session: &mut Session, args: &ReplArgs) -> i32 {
    session.json = args.common.json;
    let mut repl = Repl::with_seed(args.common.seed);
    if let Some(file) = &args.file {
        if session.json {
            super::repl_json::handle(session, &mut repl, &format!(":load {}", file.display()));
        } else {
            load(session, &mut repl, file);
        }
    }
    if session.json || !std::io::stdin().is_terminal() {
        run_piped(session, &mut repl);
    } else {
        run_terminal(session, &mut repl);
    }
    0
}

/// Reads lines from stdin with no prompt; an input goes on while it is incomplete. A
/// line that is not UTF-8 is reported (with the input it was part of, which is
/// dropped) and the session goes on.
fn run_piped(session: &mut Session, repl: &mut Repl) {
    let mut input = String::new();
    let mut stdin = std::io::stdin().lock();
    while let Some(bytes) = read_line(&mut stdin) {
        let line = match String::from_utf8(bytes) {
            Ok(line) => line,
            Err(e) => {
                let continued = !input.trim().is_empty();
                input.clear();
                let valid_up_to = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let failure = repl.unreadable(&lossy, valid_up_to, continued);
                report(session, repl, failure);
                continue;
            }
        };
        input.push_str(&line);
        input.push('\n');
        if is_incomplete(&input) {
            continue;
        }
        if handle(session, repl, &std::mem::take(&mut input)) == Flow::Quit {
            return;
        }
    }
    if !input.trim().is_empty() {
        handle(session, repl, &input);
    }
}

/// The next line of `reader` as bytes, without its line ending; `None` at the end (or
/// when reading fails).
fn read_line(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    match reader.read_until(b'\n', &mut bytes) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            Some(bytes)
        }
    }
}

/// The rustyline loop: Ctrl-C drops the line, Ctrl-D (or `:quit`) leaves.
fn run_terminal(session: &mut Session, repl: &mut Repl) {
    let config = Config::builder().auto_add_history(false).build();
    let Ok(mut editor) = Editor::<ReplHelper, DefaultHistory>::with_config(config) else {
        return run_piped(session, repl);
    };
    editor.set_helper(Some(ReplHelper::new()));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    session.print("nabla REPL: `:help` lists the commands, Ctrl-D leaves.");
    loop {
        if let Some(helper) = editor.helper_mut() {
            helper.set_names(repl.names());
        }
        let input = match editor.readline("nabla> ") {
            Ok(input) => input,
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        };
        if input.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(input.as_str());
        if let Some(path) = &history {
            save_history(&mut editor, path);
        }
        if handle(session, repl, &input) == Flow::Quit {
            break;
        }
    }
}

/// The history file: `$NABLA_HISTORY`, else in the user's data directory.
fn history_path() -> Option<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = set("NABLA_HISTORY") {
        return Some(PathBuf::from(path));
    }
    let data = set("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .or_else(|| set("APPDATA").map(PathBuf::from))?;
    Some(data.join("nabla").join("history"))
}

fn save_history(editor: &mut Editor<ReplHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.append_history(path);
}

/// Runs one input: a `:` command, or statements and expressions.
fn handle(session: &mut Session, repl: &mut Repl, input: &str) -> Flow {
    if session.json {
        return super::repl_json::handle(session, repl, input);
    }
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Flow::Continue;
    }
    if trimmed.starts_with(':') {
        return match parse_command(trimmed) {
            Ok(command) => command_flow(session, repl, command),
            Err(e) => {
                report(session, repl, Failure { errors: vec![e] });
                Flow::Continue
            }
        };
    }
    match repl.enter(trimmed) {
        Ok(replies) => {
            for reply in replies {
                show(session, repl, reply);
            }
        }
        Err(failure) => report(session, repl, failure),
    }
    Flow::Continue
}

/// Runs `f` with the session's sources lent to `session` for rendering (a swap: a
/// copy would cost time growing with the session at every message).
pub(super) fn with_sources<T>(
    session: &mut Session,
    repl: &mut Repl,
    f: impl FnOnce(&mut Session) -> T,
) -> T {
    std::mem::swap(&mut session.sources, repl.sources_mut());
    let result = f(session);
    std::mem::swap(&mut session.sources, repl.sources_mut());
    result
}

/// Reports an input's errors: rendered on stderr, or with `--json` the error
/// document on one line of stdout.
pub(super) fn report(session: &mut Session, repl: &mut Repl, failure: Failure) {
    with_sources(session, repl, |session| {
        if session.json {
            let document = super::errors_json(&session.sources, &failure.errors);
            session.print(&serde_json::to_string(&document).unwrap_or_default());
        } else {
            session.fail(&failure.errors);
        }
    });
}

fn show(session: &mut Session, repl: &mut Repl, reply: Reply) {
    match reply {
        Reply::Value(value) => session.print(&value.to_string()),
        Reply::Symbolic { printed, value } => {
            session.print(&printed.results.concat());
            print_temps(session, &printed.temps);
            if let Some(value) = value {
                session.print(&format!("= {value}"));
            }
        }
        Reply::Check(check) => with_sources(session, repl, |s| print_check(s, &check)),
        // A descent that cannot start was reported by `run_descent`.
        Reply::Minimize(descent) => {
            let _ = run_descent(session, repl, *descent);
        }
        Reply::Warning(warning) => with_sources(session, repl, |s| s.warn(&[warning])),
    }
}

fn print_temps(session: &mut Session, temps: &[(String, String)]) {
    for (i, (name, expr)) in temps.iter().enumerate() {
        let lead = if i == 0 { "  where" } else { "       " };
        session.print(&format!("{lead} {name} = {expr}"));
    }
}

fn command_flow(session: &mut Session, repl: &mut Repl, command: Command) -> Flow {
    let result = match command {
        Command::Quit => return Flow::Quit,
        Command::Help => {
            print_help(session);
            Ok(())
        }
        Command::Vars => {
            print_vars(session, &repl.vars());
            Ok(())
        }
        Command::Load(path) => {
            load(session, repl, &path);
            Ok(())
        }
        Command::Reset => {
            repl.reset();
            session.print("the session is empty");
            Ok(())
        }
        Command::Grad(name) => repl
            .gradient(name.as_deref())
            .map(|g| print_gradient(session, &g)),
        Command::Hess(name) => repl
            .hessian(name.as_deref())
            .map(|h| print_hessian(session, &h)),
        Command::Taylor(name) => repl
            .taylor(name.as_deref())
            .map(|t| print_taylor(session, &t)),
        Command::Check => check(session, repl),
        Command::Minimize(rest) => repl.prepare_minimize(&rest).map(|d| {
            let _ = run_descent(session, repl, d);
        }),
        Command::Latex(expr) => repl.latex(&expr).map(|text| session.print(&text)),
        Command::Dot(expr) => repl.dot(&expr).map(|text| session.print(text.trim_end())),
    };
    if let Err(failure) = result {
        report(session, repl, failure);
    }
    Flow::Continue
}

fn load(session: &mut Session, repl: &mut Repl, path: &std::path::Path) {
    match repl.load(path) {
        Ok(vars) => {
            session.print(&format!("loaded {}", path.display()));
            print_vars(session, &vars);
        }
        Err(failure) => report(session, repl, failure),
    }
}

fn print_help(session: &mut Session) {
    session.print("Type statements as in a .nabla file (`param w = 1`, `f(z) = z^2`,");
    session.print("`loss = ...`, `check ...`, `minimize ...`) or an expression to see its");
    session.print("value; `d(expr)/d(name)` prints the simplified derivative. A name defined");
    session.print("again replaces the earlier definition. Commands:");
    for (name, args, what) in COMMANDS {
        let usage = format!("{name} {args}");
        session.print(&format!("  {usage:<38} {what}"));
    }
}

/// `[3]` or `[2, 2]` for a JSON array value, nothing for a number.
fn shape_suffix(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(rows) => match rows.first() {
            Some(serde_json::Value::Array(row)) => format!("[{}, {}]", rows.len(), row.len()),
            _ => format!("[{}]", rows.len()),
        },
        _ => String::new(),
    }
}

/// A number with round-trip precision, or components in braces.
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(json_text).collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other
            .as_f64()
            .map_or_else(|| other.to_string(), crate::syntax::format_f64),
    }
}

fn print_vars(session: &mut Session, vars: &Vars) {
    if vars == &Vars::default() {
        session.print("the session is empty");
        return;
    }
    if !vars.params.is_empty() {
        // A shaped param shows its shape and components: `w[3] = {0, 0, 0}`.
        let params: Vec<String> =
            super::render::params_json(&vars.params, |x| serde_json::json!(x))
                .into_iter()
                .map(|(n, v)| format!("{n}{} = {}", shape_suffix(&v), json_text(&v)))
                .collect();
        session.print(&format!("params: {}", params.join(", ")));
    }
    if let Some((_, rows)) = vars.data.first() {
        let names: Vec<&str> = vars.data.iter().map(|(n, _)| n.as_str()).collect();
        let plural = if *rows == 1 { "row" } else { "rows" };
        session.print(&format!("data ({rows} {plural}): {}", names.join(", ")));
    }
    for (title, lines) in [
        ("definitions:", &vars.definitions),
        ("checks:", &vars.checks),
    ] {
        if !lines.is_empty() {
            session.print(title);
            for line in lines {
                session.print(&format!("  {line}"));
            }
        }
    }
}

fn print_gradient(session: &mut Session, g: &crate::repl::Gradient) {
    let name = &g.name;
    for (param, expr) in g.wrt.iter().zip(&g.printed.results) {
        session.print(&format!("d({name})/d({param}) = {expr}"));
    }
    print_temps(session, &g.printed.temps);
    let at: Vec<String> =
        g.at.iter()
            .map(|(n, v)| format!("{n} = {}", crate::syntax::format_f64(*v)))
            .collect();
    session.print(&format!("at {}:", at.join(", ")));
    session.print(&format!("  {name} = {}", g.values[0]));
    for (param, value) in g.wrt.iter().zip(&g.values[1..]) {
        session.print(&format!("  d({name})/d({param}) = {value}"));
    }
}

fn print_hessian(session: &mut Session, h: &crate::repl::Hessian) {
    let name = &h.name;
    if h.printed.results.is_empty() && !h.wrt.is_empty() {
        session.print(&format!(
            "the Hessian of `{name}` by a matrix param has no symbolic form (it would need \
             more than two axes); its value is from Hessian-vector products"
        ));
    }
    let pairs = (0..h.wrt.len()).flat_map(|i| (i..h.wrt.len()).map(move |j| (i, j)));
    for ((i, j), expr) in pairs.zip(&h.printed.results) {
        let (a, b) = (&h.wrt[i], &h.wrt[j]);
        session.print(&format!("d(d({name})/d({a}))/d({b}) = {expr}"));
    }
    print_temps(session, &h.printed.temps);
    session.print(&format!(
        "at the current params, H ({}) =",
        h.components.join(", ")
    ));
    for row in &h.values {
        let cells: Vec<String> = row.iter().map(|v| crate::syntax::format_f64(*v)).collect();
        session.print(&format!("  [{}]", cells.join(", ")));
    }
}

/// `:check`: the session's checks and the Taylor test, with a one-line summary.
fn check(session: &mut Session, repl: &mut Repl) -> Result<(), Failure> {
    let (checks, tests) = repl.check_all()?;
    with_sources(session, repl, |session| {
        for c in &checks {
            print_check(session, c);
            session.print("");
        }
    });
    for t in &tests {
        print_taylor(session, t);
        session.print("");
    }
    let failed = checks.iter().filter(|c| !c.ok).count()
        + tests.iter().filter(|t: &&TaylorReport| !t.ok).count();
    let total = checks.len() + tests.len();
    if failed == 0 {
        session.print(&format!("all {total} passed"));
    } else {
        session.print(&format!("{failed} of {total} failed"));
    }
    Ok(())
}

/// Runs a descent and, unless it diverged, leaves its final params in the session;
/// the report as JSON, and whether the params were kept (`Err`: it could not start).
pub(super) fn run_descent(
    session: &mut Session,
    repl: &mut Repl,
    descent: Descent,
) -> Result<(serde_json::Value, bool), Vec<crate::error::Error>> {
    let Descent {
        mut program,
        task,
        settings,
    } = descent;
    let flags = DescentFlags::default();
    let ran = with_sources(session, repl, |session| {
        let ran = descend(session, &mut program, &task, &settings, &flags);
        if let (Err(errors), false) = (&ran, session.json) {
            session.fail(errors);
        }
        ran
    });
    let (_, document) = ran?;
    let kept = document["stopped"] != "diverged";
    if kept {
        let values = super::render::flatten_params(&document["params"]);
        repl.set_values(&values);
    }
    if !session.json {
        session.print(if kept {
            "  (the session's params now hold these values)"
        } else {
            "  (the session's params are unchanged)"
        });
    }
    Ok((document, kept))
}
