//! `nabla graph FILE`: the computation graph as Graphviz DOT.

use super::grad::{gradient_full, objective};
use super::{CommonArgs, Session};
use crate::graph::{NodeId, dot};
use serde_json::json;
use std::collections::HashSet;
use std::path::PathBuf;

/// Arguments of `nabla graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The `.nabla` file.
    file: PathBuf,
    /// The objective: a definition's name (default: the first `minimize`, else `loss`).
    #[arg(long, value_name = "NAME")]
    of: Option<String>,
    /// Add the gradient's adjoint nodes (drawn in another colour).
    #[arg(long)]
    grad: bool,
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) fn run(session: &mut Session, args: &GraphArgs) -> i32 {
    let mut program = match session.load(&args.file, &args.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (name, node, wrt) = match objective(&program, args.of.as_deref()) {
        Ok(found) => found,
        Err(e) => return session.fail(&[e]),
    };
    let mut roots: Vec<(String, NodeId)> = vec![(name.clone(), node)];
    let mut adjoint = None;
    if args.grad {
        let graph = &mut program.graph;
        let gradient = match crate::simplify::simplified_gradient(graph, node, &wrt) {
            Ok(gradient) => gradient,
            Err(full) => return session.fail(&[gradient_full(graph, full, &name, node)]),
        };
        // Adjoint nodes: what the derivatives use and the function does not.
        let forward: HashSet<NodeId> = graph.reachable(&[node]).into_iter().collect();
        let used: HashSet<NodeId> = graph.reachable(&gradient).into_iter().collect();
        adjoint = Some(used.difference(&forward).copied().collect::<HashSet<_>>());
        for (var, g) in wrt.iter().zip(gradient) {
            roots.push((format!("d {name}/d {}", graph.var(*var).name), g));
        }
    }
    let text = dot(&program.graph, &roots, adjoint.as_ref());
    if session.json {
        session.print_json(&json!({ "objective": name, "dot": text }));
    } else {
        session.print(text.trim_end());
    }
    0
}
