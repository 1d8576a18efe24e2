//! The whole nabla pipeline on one input, for the fuzzer and its regression tests.
//!
//! Shared by `fuzz/fuzz_targets/pipeline.rs` (libFuzzer) and `tests/fuzz_regressions.rs`
//! (which includes this file with `#[path]`), so a crash found by the fuzzer replays
//! through exactly the same calls in `cargo test`.
//!
//! The pipeline: parse and lower the text twice (default options, then with free names
//! and bare expressions allowed), render any errors, then for every definition, check,
//! objective and expression: differentiate it by every variable (`ad::derivative`) and
//! take the simplified gradient of the scalar ones by the params, print the results,
//! and evaluate everything with the tree evaluator and with the compiled tape in f64
//! and in decimal. Nothing here may panic, hang or blow up memory: those are the bugs.

use nabla::graph::{Graph, NodeId, Shape, VarId, VarKind};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use nabla::tape::Compiled;
use rust_decimal::Decimal;
use std::path::Path;

/// Roots taken per program, and outputs compiled per tape: bounds the work a short input
/// can ask for (a thousand one-letter definitions), so a time-out means a real problem.
const MAX_ROOTS: usize = 64;

/// The value given to free names (`x` in `sin(x)` with `free_names`).
const FREE_VALUE: f64 = 0.75;

/// Runs the pipeline on raw bytes (anything that is not UTF-8 is decoded lossily, as
/// `read_source` reports it; the fuzzer should still reach the parser).
pub fn run_bytes(data: &[u8]) {
    run(&String::from_utf8_lossy(data));
}

/// Runs the pipeline on one source text, with both sets of load options.
pub fn run(text: &str) {
    let options = [
        LoadOptions::default(),
        LoadOptions {
            free_names: true,
            allow_expressions: true,
            ..LoadOptions::default()
        },
    ];
    for options in &options {
        let mut sources = Sources::new();
        let id = sources.add("fuzz.nabla", text);
        // CSV paths resolve under a directory that does not exist, so the fuzzer does
        // not read the file system (a missing file is an ordinary error).
        let base = Path::new("/nonexistent-nabla-fuzz");
        match Program::from_source(&mut sources, id, base, options) {
            Ok(program) => through_graph(program),
            Err(errors) => {
                let rendered =
                    nabla::cli::render(&sources, &errors.0, ariadne::ReportKind::Error, false);
                assert!(!rendered.is_empty(), "an error renders to some text");
                let _ = nabla::cli::errors_json(&sources, &errors.0);
            }
        }
    }
}

/// Differentiates, simplifies, prints and evaluates a loaded program.
fn through_graph(mut program: Program) {
    let mut roots: Vec<NodeId> = Vec::new();
    roots.extend(program.definitions.iter().map(|d| d.node));
    for check in &program.checks {
        roots.extend([check.of, check.derivative, check.expected]);
    }
    roots.extend(program.minimizes.iter().map(|m| m.objective));
    roots.extend(program.expressions.iter().map(|(node, _)| *node));
    roots.truncate(MAX_ROOTS);

    let params: Vec<VarId> = program.params.iter().map(|p| p.var).collect();
    let vars: Vec<VarId> = program.graph.vars().map(|(id, _)| id).collect();
    let mut outputs = roots.clone();
    for &root in &roots {
        if program.graph.shape(root) == Shape::Scalar {
            // A full graph is a reported limit, not a crash.
            let Ok(gradient) =
                nabla::simplify::simplified_gradient(&mut program.graph, root, &params)
            else {
                return;
            };
            outputs.extend(gradient);
        }
        for &var in vars.iter().take(4) {
            let Ok(Some(derivative)) = nabla::ad::derivative(&mut program.graph, root, var) else {
                return;
            };
            outputs.push(nabla::simplify::simplify_one(
                &mut program.graph,
                derivative,
            ));
        }
        if outputs.len() > 4 * MAX_ROOTS {
            break;
        }
    }
    print(&program.graph, &outputs);
    evaluate(&program, &outputs);
}

/// Prints the outputs as text, LaTeX and DOT; each text form must not be empty.
fn print(graph: &Graph, outputs: &[NodeId]) {
    for &output in outputs.iter().take(8) {
        assert!(!nabla::graph::print_expr(graph, output).is_empty());
    }
    let _ = nabla::graph::print_shared(graph, outputs);
    let _ = nabla::graph::latex_shared(graph, outputs);
    let named: Vec<(String, NodeId)> = outputs
        .iter()
        .take(8)
        .map(|n| (n.to_string(), *n))
        .collect();
    let _ = nabla::graph::dot(graph, &named, None);
}

/// Evaluates the outputs with the tree evaluator and the tape (f64 and decimal).
fn evaluate(program: &Program, outputs: &[NodeId]) {
    let free: Vec<VarId> = program
        .graph
        .vars()
        .filter(|(_, v)| v.kind == VarKind::Free)
        .map(|(id, _)| id)
        .collect();
    let mut bindings = program.bindings();
    for &var in &free {
        bindings.set(var, nabla::eval::Value::Scalar(FREE_VALUE));
    }
    let _ = nabla::eval::evaluate(&program.graph, &bindings, outputs);

    if let Some(mut compiled) = Compiled::<f64>::of_program(program, outputs) {
        for &var in &free {
            compiled.set(var, FREE_VALUE);
        }
        let _ = compiled.run(&program.graph);
        for k in 0..outputs.len() {
            let _ = compiled.value(k);
        }
    }
    if let Some(mut compiled) = Compiled::<Decimal>::of_program(program, outputs) {
        for &var in &free {
            compiled.set(var, FREE_VALUE);
        }
        let _ = compiled.run(&program.graph);
        for k in 0..outputs.len() {
            let _ = compiled.value(k);
        }
    }
}
