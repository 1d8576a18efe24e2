//! Lowering is bounded: calls are inlined on the graph and remembered by their
//! arguments, the graph's node limit is checked while it grows, and the cost of a
//! program follows its distinct nodes, never the paths through them.

mod common;

use common::nabla;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use proptest::prelude::*;
use serde_json::Value as Json;
use std::path::Path;

/// A temporary `.nabla` file, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(stem: &str, text: &str) -> TempFile {
        let dir = std::env::temp_dir().join(format!("nabla-lowering-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join(format!("{stem}.nabla"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap_or_else(|| panic!("path"))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `f_k(x) = body(f_{k-1})` for k = 1..=levels, over `f0(x) = sin(x)`.
fn levels(levels: usize, body: impl Fn(&str) -> String, objective: &str) -> String {
    let mut lines = vec!["param w = 0.5".to_string(), "f0(x) = sin(x)".to_string()];
    for k in 1..=levels {
        lines.push(format!("f{k}(x) = {}", body(&format!("f{}", k - 1))));
    }
    lines.push(format!(
        "loss = {}",
        objective.replace("TOP", &format!("f{levels}"))
    ));
    lines.join("\n") + "\n"
}

fn json(stdout: &str) -> Json {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `nabla grad --stats --json` of `text`: the function's and the gradient's nodes.
fn grad_stats(stem: &str, text: &str) -> (u64, u64, Json) {
    let file = TempFile::new(stem, text);
    let (code, stdout, stderr) = nabla(&["grad", file.path(), "--stats", "--json"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let doc = json(&stdout);
    let count = |key: &str| {
        doc["stats"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("{doc}"))
    };
    (count("function_nodes"), count("gradient_nodes"), doc)
}

#[test]
fn thirty_levels_of_doubling_calls_stop_at_the_node_limit_naming_the_call() {
    // f_k(x) = f_{k-1}(f_{k-1}(x)) + f_{k-1}(x): each level applies the previous one
    // to a new argument, so the distinct sub-expressions double per level (2^31 in
    // all). nabla must say so, not run out of memory.
    let text = levels(30, |f| format!("{f}({f}(x)) + {f}(x)"), "TOP(w)^2");
    let file = TempFile::new("doubling", &text);
    let (code, stdout, stderr) = nabla(&["grad", file.path(), "--json"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let error = &json(&stdout)["error"];
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("graph nodes"), "{message}");
    assert!(message.contains("5000000"), "{message}");
    assert!(message.contains("the call of `f"), "{message}");
    assert!(message.contains("in the function `f"), "{message}");
    assert!(error["line"].as_u64().is_some_and(|l| l > 2), "{error}");
    assert!(error["column"].as_u64().is_some(), "{error}");
}

#[test]
fn calls_with_the_same_argument_lower_to_a_node_count_linear_in_the_levels() {
    // f_k(x) = f_{k-1}(x)*f_{k-1}(x) - f_{k-1}(x): three calls, one argument.
    let text = levels(40, |f| format!("{f}(x)*{f}(x) - {f}(x)"), "TOP(w)");
    let (function, gradient, _) = grad_stats("same-argument", &text);
    assert!(function <= 2 * 40 + 10, "{function}");
    assert!(gradient <= 4 * function, "{gradient} > 4 x {function}");
}

#[test]
fn chains_of_definitions_that_use_the_previous_twice_are_linear() {
    let mut lines = vec!["param w = 0.5".to_string(), "a0 = sin(w)".to_string()];
    for k in 1..=60 {
        lines.push(format!("a{k} = a{p}*a{p} - a{p}", p = k - 1));
    }
    lines.push("loss = a60".into());
    let (function, gradient, doc) = grad_stats("chain", &(lines.join("\n") + "\n"));
    assert!(function <= 2 * 60 + 10, "{function}");
    assert!(gradient <= 4 * function, "{gradient}");
    assert!(doc["gradient"]["w"]["value"].as_f64().is_some(), "{doc}");
}

#[test]
fn calls_inside_calls_reuse_the_inner_call() {
    // g_k(x) = g_{k-1}(x) + g_{k-1}(g_{k-1}(x)) would double; this one nests a call
    // as an argument but repeats the same inner call, so it stays linear.
    let text = levels(
        30,
        |f| format!("{f}(x) + cos({f}(x))*{f}(x)"),
        "TOP(TOP(w))",
    );
    let (function, _, _) = grad_stats("nested-calls", &text);
    assert!(function <= 2 * (4 * 30 + 10), "{function}");
}

#[test]
fn a_derivative_nested_ten_deep_has_its_true_value() {
    // d^10/dx^10 of sin(x*y)/(1 + x^2) at x = 1, y = 2 is -205612.08...; the quotient
    // rule once squared the denominator at every level, so (1 + x^2)^2048 overflowed.
    let mut expr = "sin(x*y)/(1 + x^2)".to_string();
    for _ in 0..10 {
        expr = format!("d({expr})/d(x)");
    }
    let text = format!("param x = 1, y = 2\nloss = {expr}\n");
    let (function, gradient, doc) = grad_stats("nested-d", &text);
    let loss = doc["loss"].as_f64().or_else(|| doc["value"].as_f64());
    let value = loss.unwrap_or_else(|| {
        let file = TempFile::new("nested-d-eval", &text);
        let (_, stdout, _) = nabla(&["eval", file.path(), "--json"]);
        json(&stdout)["values"]["loss"].as_f64().unwrap_or(f64::NAN)
    });
    assert!(
        (value + 205_612.081_011_788_6).abs() < 1e-6 * 205_612.0,
        "{value}"
    );
    assert!(
        function < 100_000 && gradient < 4 * function,
        "{function} {gradient}"
    );
}

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("lowering.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A random program of `depth` levels where each level uses the previous one
/// `uses` times, as a definition or as a call with the same argument.
fn program(depth: usize, uses: usize, as_calls: bool) -> String {
    let mut lines = vec!["param w = 0.5".to_string()];
    let prev = |k: usize| {
        if as_calls {
            format!("f{k}(x)")
        } else {
            format!("f{k}")
        }
    };
    lines.push(
        if as_calls {
            "f0(x) = sin(x)"
        } else {
            "f0 = sin(w)"
        }
        .to_string(),
    );
    for k in 1..=depth {
        let terms: Vec<String> = (0..uses)
            .map(|i| format!("{}*{}", i + 2, prev(k - 1)))
            .collect();
        let head = if as_calls {
            format!("f{k}(x)")
        } else {
            format!("f{k}")
        };
        lines.push(format!("{head} = sin({})", terms.join(" + ")));
    }
    let top = if as_calls {
        format!("f{depth}(w)")
    } else {
        format!("f{depth}")
    };
    lines.push(format!("loss = {top}"));
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The objective's graph grows with its distinct sub-expressions: a level that
    /// uses the previous one many times (as a name or as a call with the same
    /// argument) adds a bounded number of nodes, so the graph that AD and the tape
    /// walk is linear in the levels, whatever the number of paths (uses^depth).
    /// (Each function body is also lowered once with its own parameter, for its
    /// errors; those copies are not reachable from the objective.)
    #[test]
    fn lowering_is_linear_in_the_distinct_nodes(
        depth in 1usize..60,
        uses in 1usize..5,
        as_calls in any::<bool>(),
    ) {
        let program = load(&program(depth, uses, as_calls));
        let loss = program.definition("loss").map(|d| d.node);
        let loss = loss.unwrap_or_else(|| panic!("no loss"));
        let reachable = program.graph.reachable(&[loss]).len();
        // Per level: `uses` products, `uses - 1` sums, a sin and its constants.
        let per_level = 3 * uses + 2;
        prop_assert!(
            reachable <= per_level * depth + 20,
            "{reachable} nodes for depth {depth}, uses {uses}"
        );
    }
}
