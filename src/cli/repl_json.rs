//! `nabla repl --json`: one line of JSON on stdout per input (a typed line, or the
//! lines of one input while brackets are open), read by a program driving the REPL.
//!
//! Every document is an object: statements and expressions give `{"results": [...],
//! "warnings": [...]}` (a result per bare expression, check or minimize, in order:
//! `{"value"}`, `{"expr", "where", "value"}`, `{"check"}`, `{"minimize"}`); each
//! command gives its own object (`:grad` the shape of `nabla grad --json`, `:check`
//! that of `nabla check --json`, `:minimize` that of `nabla minimize --json`); an
//! error gives the error document of every command, `{"error", "errors"}`.

use super::Session;
use super::check::{check_json, taylor_json};
use super::repl::{Flow, report, run_descent, with_sources};
use crate::eval::Value;
use crate::graph::Printed;
use crate::repl::parse_command;
use crate::repl::{COMMANDS, Command, Failure, Gradient, Hessian, Repl, Reply, Vars};
use serde_json::{Map, Value as Json, json};

/// Runs one input and prints its document on one line.
pub(super) fn handle(session: &mut Session, repl: &mut Repl, input: &str) -> Flow {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Flow::Continue;
    }
    let (result, flow) = if trimmed.starts_with(':') {
        match parse_command(trimmed) {
            Ok(Command::Quit) => (Ok(json!({ "quit": true })), Flow::Quit),
            Ok(command) => (command_json(session, repl, command), Flow::Continue),
            Err(e) => (Err(Failure { errors: vec![e] }), Flow::Continue),
        }
    } else {
        (input_json(session, repl, trimmed), Flow::Continue)
    };
    match result {
        Ok(document) => print_line(session, &document),
        Err(failure) => report(session, repl, failure),
    }
    flow
}

/// Prints a document on one line (`Session::print_json` spreads it over many).
fn print_line(session: &mut Session, document: &Json) {
    session.print(&serde_json::to_string(document).unwrap_or_default());
}

/// Statements and expressions: their results and warnings.
fn input_json(session: &mut Session, repl: &mut Repl, input: &str) -> Result<Json, Failure> {
    let replies = repl.enter(input)?;
    let mut results = Vec::new();
    let mut warnings = Vec::new();
    for reply in replies {
        match reply {
            Reply::Value(value) => results.push(json!({ "value": value_json(&value) })),
            Reply::Symbolic { printed, value } => {
                let mut result = printed_json(&printed);
                result["value"] = value.as_ref().map_or(Json::Null, value_json);
                results.push(result);
            }
            Reply::Check(c) => {
                let check = with_sources(session, repl, |s| check_json(s, &c));
                results.push(json!({ "check": check }));
            }
            Reply::Minimize(descent) => {
                let document = descent_json(session, repl, *descent)?;
                results.push(json!({ "minimize": document }));
            }
            Reply::Warning(w) => {
                warnings.push(with_sources(session, repl, |s| {
                    super::error_json(&s.sources, &w)
                }));
            }
        }
    }
    Ok(json!({ "results": results, "warnings": warnings }))
}

/// A descent's document, with whether the session's params now hold its result.
fn descent_json(
    session: &mut Session,
    repl: &mut Repl,
    descent: crate::repl::Descent,
) -> Result<Json, Failure> {
    let (mut document, kept) =
        run_descent(session, repl, descent).map_err(|errors| Failure { errors })?;
    document["params_kept"] = json!(kept);
    Ok(document)
}

fn command_json(session: &mut Session, repl: &mut Repl, command: Command) -> Result<Json, Failure> {
    Ok(match command {
        Command::Quit => json!({ "quit": true }),
        Command::Help => help_json(),
        Command::Vars => vars_json(&repl.vars()),
        Command::Load(path) => {
            let vars = repl.load(&path)?;
            json!({ "loaded": path.display().to_string(), "vars": vars_json(&vars) })
        }
        Command::Reset => {
            repl.reset();
            json!({ "reset": true })
        }
        Command::Grad(name) => gradient_json(&repl.gradient(name.as_deref())?),
        Command::Hess(name) => hessian_json(&repl.hessian(name.as_deref())?),
        Command::Taylor(name) => json!({ "taylor": taylor_json(&repl.taylor(name.as_deref())?) }),
        Command::Check => {
            let (checks, tests) = repl.check_all()?;
            let checks: Vec<Json> = with_sources(session, repl, |s| {
                checks.iter().map(|c| check_json(s, c)).collect()
            });
            let tests: Vec<Json> = tests.iter().map(taylor_json).collect();
            json!({ "checks": checks, "taylor": tests })
        }
        Command::Minimize(rest) => {
            let descent = repl.prepare_minimize(&rest)?;
            descent_json(session, repl, descent)?
        }
        Command::Latex(expr) => json!({ "latex": repl.latex(&expr)? }),
        Command::Dot(expr) => json!({ "dot": repl.dot(&expr)? }),
    })
}

fn value_json(value: &Value) -> Json {
    super::render::value_json(value)
}

/// `{"expr", "where"}`: an expression printed, with its temporaries.
fn printed_json(printed: &Printed) -> Json {
    json!({ "expr": printed.results.concat(), "where": temps_json(&printed.temps) })
}

fn temps_json(temps: &[(String, String)]) -> Json {
    let map: Map<String, Json> = temps.iter().map(|(n, e)| (n.clone(), json!(e))).collect();
    Json::Object(map)
}

fn help_json() -> Json {
    let commands: Vec<Json> = COMMANDS
        .iter()
        .map(|(name, args, does)| json!({ "command": name, "args": args, "does": does }))
        .collect();
    json!({ "commands": commands })
}

fn vars_json(vars: &Vars) -> Json {
    let params: Map<String, Json> = super::render::params_json(&vars.params, |x| json!(x));
    let data: Map<String, Json> = vars
        .data
        .iter()
        .map(|(n, r)| (n.clone(), json!(r)))
        .collect();
    json!({
        "params": params, "data": data,
        "definitions": vars.definitions, "checks": vars.checks,
    })
}

/// The shape of `nabla grad --json`, with the temporaries the expressions use.
fn gradient_json(g: &Gradient) -> Json {
    let params: Map<String, Json> = g.at.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
    let gradient: Map<String, Json> = g
        .wrt
        .iter()
        .zip(&g.printed.results)
        .zip(&g.values[1..])
        .map(|((p, e), v)| (p.clone(), json!({ "expr": e, "value": value_json(v) })))
        .collect();
    json!({
        "objective": g.name, "value": g.values.first().map_or(Json::Null, value_json),
        "params": params, "gradient": gradient, "where": temps_json(&g.printed.temps),
    })
}

/// `{"objective", "wrt", "components", "exprs", "where", "values"}`: the upper triangle
/// of blocks printed (as `"d(d(f)/d(a))/d(b)": expr`) and the whole matrix's values,
/// whose rows and columns are `components`.
fn hessian_json(h: &Hessian) -> Json {
    let name = &h.name;
    let pairs = (0..h.wrt.len()).flat_map(|i| (i..h.wrt.len()).map(move |j| (i, j)));
    let exprs: Map<String, Json> = pairs
        .zip(&h.printed.results)
        .map(|((i, j), e)| {
            let key = format!("d(d({name})/d({}))/d({})", h.wrt[i], h.wrt[j]);
            (key, json!(e))
        })
        .collect();
    json!({
        "objective": name, "wrt": h.wrt, "components": h.components, "exprs": exprs,
        "where": temps_json(&h.printed.temps), "values": h.values,
    })
}
