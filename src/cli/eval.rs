//! `nabla eval FILE` and `nabla eval -e EXPR`.

use super::{CommonArgs, Session};
use crate::error::{Error, ErrorKind};
use crate::eval::{Bindings, Value, evaluate};
use crate::graph::{NodeId, VarKind};
use crate::program::{LoadOptions, Program};
use crate::syntax::Number;
use serde_json::{Map, Value as Json, json};
use std::path::{Path, PathBuf};

/// Arguments of `nabla eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The `.nabla` file whose definitions to evaluate.
    #[arg(required_unless_present = "expr", conflicts_with = "expr")]
    file: Option<PathBuf>,
    /// Evaluate this expression instead; unknown names are free (give them --at).
    #[arg(short = 'e', long = "expr", value_name = "EXPR")]
    expr: Option<String>,
    /// Values for params or free names: `--at w=1,b=2` (may repeat).
    #[arg(long, value_name = "NAME=VALUE,...")]
    at: Vec<String>,
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) fn run(session: &mut Session, args: &EvalArgs) -> i32 {
    session.json = args.common.json;
    let mut options = LoadOptions {
        seed: args.common.seed,
        ..LoadOptions::default()
    };
    let program = match (&args.file, &args.expr) {
        (Some(file), _) => Program::load(&mut session.sources, file, &options),
        (None, Some(expr)) => {
            options.free_names = true;
            options.allow_expressions = true;
            let source = session.sources.add("-e", expr.clone());
            Program::from_source(&mut session.sources, source, Path::new("."), &options)
        }
        (None, None) => return session.fail(&[usage("give a FILE or -e EXPR")]),
    };
    let program = match program {
        Ok(p) => p,
        Err(errors) => return session.fail(&errors.0),
    };
    session.warn(&program.warnings);
    let bindings = match bind_at(&program, &args.at) {
        Ok(b) => b,
        Err(e) => return session.fail(&[e]),
    };
    let named: Vec<(String, NodeId)> = if args.expr.is_some() {
        match program.expressions.last() {
            Some((node, _)) => vec![(String::new(), *node)],
            None => return session.fail(&[usage("-e takes an expression, such as `sin(x)^2`")]),
        }
    } else {
        program
            .definitions
            .iter()
            .map(|d| (d.name.clone(), d.node))
            .collect()
    };
    let nodes: Vec<NodeId> = named.iter().map(|(_, n)| *n).collect();
    let values = match evaluate(&program.graph, &bindings, &nodes) {
        Ok(v) => v,
        Err(e) => {
            let span = e.span;
            return session.fail(&[Error::new(ErrorKind::Domain(e), span)]);
        }
    };
    print_values(session, &named, &values, args.expr.is_some());
    0
}

fn usage(message: &str) -> Error {
    Error::new(ErrorKind::Usage(message.to_string()), None)
}

/// The program's bindings with `--at name=value,...` applied.
pub(super) fn bind_at(program: &Program, at: &[String]) -> Result<Bindings, Error> {
    let mut bindings = program.bindings();
    let mut seen = std::collections::HashSet::new();
    for (list, pair) in at.iter().flat_map(|a| a.split(',').map(move |p| (a, p))) {
        if pair.trim().is_empty() {
            return Err(usage(&format!(
                "--at {list}: an empty pair (two commas, or a comma at an end)"
            )));
        }
        let Some((name, value)) = pair.split_once('=') else {
            return Err(usage(&format!("--at wants name=value pairs, got `{pair}`")));
        };
        let (name, value) = (name.trim(), value.trim());
        if !seen.insert(name) {
            return Err(usage(&format!("--at gives `{name}` twice")));
        }
        let number =
            Number::parse(value).map_err(|e| usage(&format!("--at {name}={value}: {e}")))?;
        let graph = &program.graph;
        // Params and free names; a function's parameters are private to its body.
        let settable = |(id, v): &(crate::graph::VarId, &crate::graph::Var)| {
            v.kind != VarKind::Data && !graph.is_local(*id)
        };
        let var = graph.vars().filter(settable).find(|(_, v)| v.name == name);
        match var {
            Some((id, _)) => bindings.set(id, Value::Scalar(number.value)),
            None => {
                let names: Vec<&str> = graph
                    .vars()
                    .filter(settable)
                    .map(|(_, v)| v.name.as_str())
                    .collect();
                let hint = if names.is_empty() {
                    "it has no params or free names".to_string()
                } else {
                    format!("its params and free names: {}", names.join(", "))
                };
                return Err(usage(&format!(
                    "--at {name}: `{name}` is not a param or free name ({hint})"
                )));
            }
        }
    }
    Ok(bindings)
}

fn print_values(session: &mut Session, named: &[(String, NodeId)], values: &[Value], single: bool) {
    let to_json = super::render::value_json;
    if session.json {
        let document = if single {
            json!({ "value": values.first().map(to_json).unwrap_or(Json::Null) })
        } else {
            let map: Map<String, Json> = named
                .iter()
                .zip(values)
                .map(|((n, _), v)| (n.clone(), to_json(v)))
                .collect();
            json!({ "values": map })
        };
        session.print_json(&document);
        return;
    }
    for ((name, _), value) in named.iter().zip(values) {
        if single {
            session.print(&value.to_string());
        } else {
            session.print(&format!("{name} = {value}"));
        }
    }
}
