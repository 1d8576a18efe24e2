//! `nabla grad FILE` and `nabla diff EXPR --wrt x`: symbolic derivatives, simplified,
//! printed (plain or LaTeX) with shared sub-expressions named once, and their values.

use super::eval::bind_at;
use super::{CommonArgs, Session};
use crate::error::{Error, ErrorKind};
use crate::eval::{Value, evaluate};
use crate::graph::{Graph, NodeId, Op, Printed, Shape, VarId, VarKind, latex_name, print_shared};
use crate::program::{LoadOptions, Program};
use serde_json::{Map, Value as Json, json};
use std::path::{Path, PathBuf};

/// Arguments of `nabla grad`.
#[derive(Debug, clap::Args)]
pub struct GradArgs {
    /// The `.nabla` file.
    file: PathBuf,
    /// The objective: a definition's name (default: the first `minimize`, else `loss`).
    #[arg(long, value_name = "NAME")]
    of: Option<String>,
    /// Param values to evaluate at: `--at w=1,b=2` (default: the initial values).
    #[arg(long, value_name = "NAME=VALUE,...")]
    at: Vec<String>,
    /// Print LaTeX instead of plain text.
    #[arg(long)]
    latex: bool,
    /// Print the node counts of the function and of its gradient.
    #[arg(long)]
    stats: bool,
    #[command(flatten)]
    common: CommonArgs,
}

/// Arguments of `nabla diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The expression, e.g. "sin(x)^2*exp(x)".
    expr: String,
    /// The name to differentiate by.
    #[arg(long, value_name = "NAME")]
    wrt: String,
    /// Values of the free names, to print the derivative's value too: `--at x=1`.
    #[arg(long, value_name = "NAME=VALUE,...")]
    at: Vec<String>,
    /// Print LaTeX instead of plain text.
    #[arg(long)]
    latex: bool,
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) fn run_grad(session: &mut Session, args: &GradArgs) -> i32 {
    let mut program = match session.load(&args.file, &args.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (name, objective, wrt) = match objective(&program, args.of.as_deref()) {
        Ok(found) => found,
        Err(e) => return session.fail(&[e]),
    };
    let bindings = match bind_at(&program, &args.at) {
        Ok(b) => b,
        Err(e) => return session.fail(&[e]),
    };
    let graph = &mut program.graph;
    let function_nodes = graph.reachable(&[objective]).len();
    let gradient = match crate::simplify::simplified_gradient(graph, objective, &wrt) {
        Ok(gradient) => gradient,
        Err(full) => return session.fail(&[gradient_full(graph, full, &name, objective)]),
    };
    let gradient_nodes = graph.reachable(&gradient).len();
    let mut roots = vec![objective];
    roots.extend(&gradient);
    let values = match evaluate(graph, &bindings, &roots) {
        Ok(v) => v,
        Err(e) => {
            let span = e.span;
            return session.fail(&[Error::new(ErrorKind::Domain(e), span)]);
        }
    };
    let names: Vec<String> = wrt.iter().map(|&v| graph.var(v).name.clone()).collect();
    let printed = print(graph, &gradient, args.latex);
    if session.json {
        let mut params = Map::new();
        for p in &program.params {
            params.insert(p.name.clone(), value_json(bindings.get(p.var)));
        }
        let mut entries = Map::new();
        for (i, n) in names.iter().enumerate() {
            entries.insert(
                n.clone(),
                json!({ "expr": printed.results[i], "value": value_json(Some(&values[i + 1])) }),
            );
        }
        let temps: Map<String, Json> = printed
            .temps
            .iter()
            .map(|(t, e)| (t.clone(), json!(e)))
            .collect();
        let mut document =
            json!({ "objective": name, "params": params, "gradient": entries, "where": temps });
        if args.stats {
            document["stats"] =
                json!({ "function_nodes": function_nodes, "gradient_nodes": gradient_nodes });
        }
        session.print_json(&document);
        return 0;
    }
    if args.latex {
        let labels: Vec<String> = names
            .iter()
            .map(|n| {
                format!(
                    r"\frac{{\partial {}}}{{\partial {}}}",
                    latex_name(&name),
                    latex_name(n)
                )
            })
            .collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        session.print(&crate::graph::latex_aligned(&printed, &labels));
    } else {
        for (i, n) in names.iter().enumerate() {
            session.print(&format!("d({name})/d({n}) = {}", printed.results[i]));
        }
        print_temps(session, &printed);
    }
    let at: Vec<String> = program
        .params
        .iter()
        .map(|p| format!("{} = {}", p.name, value_text(bindings.get(p.var))))
        .collect();
    session.print(&format!("\nat {}:", at.join(", ")));
    session.print(&format!("  {name} = {}", values[0]));
    for (i, n) in names.iter().enumerate() {
        session.print(&format!("  d({name})/d({n}) = {}", values[i + 1]));
    }
    if args.stats {
        let ratio = gradient_nodes as f64 / function_nodes.max(1) as f64;
        session.print(&format!(
            "\nnodes: function {function_nodes}, gradient {gradient_nodes} (ratio {ratio:.2})"
        ));
    }
    0
}

/// The error of a gradient of `name` that did not fit the graph.
pub(super) fn gradient_full(
    graph: &Graph,
    full: crate::graph::GraphFull,
    name: &str,
    objective: NodeId,
) -> Error {
    let what = format!("the gradient of `{name}`");
    Error::graph_full(full, what, graph.node(objective).span)
}

pub(super) fn run_diff(session: &mut Session, args: &DiffArgs) -> i32 {
    session.json = args.common.json;
    let options = LoadOptions {
        free_names: true,
        allow_expressions: true,
        ..LoadOptions::default()
    };
    let source = session.sources.add("EXPR", args.expr.clone());
    let mut program =
        match Program::from_source(&mut session.sources, source, Path::new("."), &options) {
            Ok(p) => p,
            Err(errors) => return session.fail(&errors.0),
        };
    let Some(&(expr, _)) = program.expressions.last() else {
        return session.fail(&[usage("diff takes an expression, such as \"sin(x)^2\"")]);
    };
    let graph = &mut program.graph;
    let wrt_node = match graph.find_var(&args.wrt) {
        Some(v) => graph.add(Op::Var(v), None),
        None => graph.var_node(&args.wrt, VarKind::Free, None),
    };
    let Op::Var(var) = graph.op(wrt_node) else {
        return 2;
    };
    let from = NodeId(graph.len() as u32);
    let raw = match crate::ad::derivative(graph, expr, var) {
        Ok(Some(raw)) => raw,
        Ok(None) => {
            let kind = ErrorKind::Jacobian {
                of: graph.item(expr),
                rows: graph.shape(expr) == Shape::Rows,
                by: graph.var(var).item,
            };
            return session.fail(&[Error::new(kind, graph.node(expr).span)]);
        }
        Err(full) => {
            let what = format!("the derivative by `{}`", args.wrt);
            let span = graph.node(expr).span;
            return session.fail(&[Error::graph_full(full, what, span)]);
        }
    };
    let derivative = crate::simplify::simplify_from(graph, &[raw], from)[0];
    let printed = print(graph, &[derivative], args.latex);
    let value = if args.at.is_empty() {
        None
    } else {
        let bindings = match bind_at(&program, &args.at) {
            Ok(b) => b,
            Err(e) => return session.fail(&[e]),
        };
        match evaluate(&program.graph, &bindings, &[derivative]) {
            Ok(mut v) => v.pop(),
            Err(e) => {
                let span = e.span;
                return session.fail(&[Error::new(ErrorKind::Domain(e), span)]);
            }
        }
    };
    if session.json {
        let temps: Map<String, Json> = printed
            .temps
            .iter()
            .map(|(t, e)| (t.clone(), json!(e)))
            .collect();
        let mut document = json!({ "expr": args.expr, "wrt": args.wrt, "derivative": printed.results[0], "where": temps });
        if let Some(v) = &value {
            document["value"] = value_json(Some(v));
        }
        session.print_json(&document);
        return 0;
    }
    if args.latex {
        let label = format!(r"\frac{{d}}{{d {}}}", latex_name(&args.wrt));
        session.print(&crate::graph::latex_aligned(&printed, &[label.as_str()]));
    } else {
        session.print(&printed.results[0]);
        print_temps(session, &printed);
    }
    if let Some(v) = value {
        session.print(&format!("= {v}"));
    }
    0
}

/// The objective to differentiate: `--of NAME`, else the first `minimize`, else `loss`;
/// with the params to differentiate by.
pub(super) fn objective(
    program: &Program,
    of: Option<&str>,
) -> Result<(String, NodeId, Vec<VarId>), Error> {
    let all_params = || program.params.iter().map(|p| p.var).collect::<Vec<_>>();
    let found = match of {
        Some(name) => program
            .definition(name)
            .map(|d| (d.name.clone(), d.node, all_params())),
        None => match program.minimizes.first() {
            Some(m) => Some((m.name.clone(), m.objective, m.wrt.clone())),
            None => program
                .definition("loss")
                .map(|d| (d.name.clone(), d.node, all_params())),
        },
    };
    let Some((name, node, wrt)) = found else {
        let message = match of {
            Some(name) => format!("--of {name}: the file defines no `{name}`"),
            None => {
                "the file has no `minimize` and no `loss`: name the objective with --of".to_string()
            }
        };
        return Err(usage(&message));
    };
    if program.graph.shape(node) == Shape::Rows {
        let rows = program.rows.unwrap_or(0);
        return Err(Error::new(
            ErrorKind::VectorObjective { name, rows },
            program.graph.node(node).span,
        ));
    }
    let item = program.graph.item(node);
    if !item.is_scalar() {
        // Its gradient would be that of `total(...)`: refuse rather than answer that.
        return Err(Error::new(
            ErrorKind::NotScalarItem {
                what: format!("the objective `{name}`"),
                item,
            },
            program.graph.node(node).span,
        ));
    }
    Ok((name, node, wrt))
}

fn print(graph: &Graph, roots: &[NodeId], latex: bool) -> Printed {
    if latex {
        crate::graph::latex_shared(graph, roots)
    } else {
        print_shared(graph, roots)
    }
}

fn print_temps(session: &mut Session, printed: &Printed) {
    for (i, (name, expr)) in printed.temps.iter().enumerate() {
        let lead = if i == 0 { "  where" } else { "       " };
        session.print(&format!("{lead} {name} = {expr}"));
    }
}

fn usage(message: &str) -> Error {
    Error::new(ErrorKind::Usage(message.to_string()), None)
}

fn value_json(value: Option<&Value>) -> Json {
    value.map_or(Json::Null, super::render::value_json)
}

fn value_text(value: Option<&Value>) -> String {
    value.map_or_else(|| "?".to_string(), Value::to_string)
}
