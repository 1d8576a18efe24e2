//! Lowering into the hash-consed graph: sharing, exact folding, printing, derivatives.

use nabla::graph::{Op, print_expr, print_shared};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::path::Path;

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("test.nabla", text);
    let options = LoadOptions {
        free_names: true,
        ..LoadOptions::default()
    };
    match Program::from_source(&mut sources, id, Path::new("."), &options) {
        Ok(p) => p,
        Err(e) => panic!("{text:?} did not load: {e}"),
    }
}

/// Each definition printed inline, one per line.
fn check(text: &str) -> String {
    let program = load(text);
    let lines: Vec<String> = program
        .definitions
        .iter()
        .map(|d| format!("{} = {}", d.name, print_expr(&program.graph, d.node)))
        .collect();
    lines.join("\n")
}

#[test]
fn equal_subexpressions_are_one_node() {
    let program = load("a = sin(x*y) + 1\nb = sin(x*y) + 1\nc = 2 * sin(x*y)\n");
    let node = |name: &str| program.definition(name).map(|d| d.node);
    assert_eq!(node("a"), node("b"));
    let Some(Op::Binary(_, _, sin_in_c)) = node("c").map(|n| program.graph.op(n)) else {
        panic!("c is a product");
    };
    let Some(Op::Binary(_, sin_in_a, _)) = node("a").map(|n| program.graph.op(n)) else {
        panic!("a is a sum");
    };
    assert_eq!(sin_in_a, sin_in_c);
    // x, y, x*y, sin, 1, +, 2, * : eight nodes for three definitions.
    assert_eq!(program.graph.len(), 8);
}

#[test]
fn constants_fold_exactly_in_decimal() {
    insta::assert_snapshot!(check(
        "a = 0.1 + 0.2\nb = 1/4 + 2^-2\nc = 1/3\nd1 = 2^10 * x\ne1 = x*1 + 0 - 0*y\nf = --x\ng = exp(1)\nh = 6.02E+23 * 0.5"
    ));
}

/// `c1*(c2*x)` folds as the node is built when the product is exact (the simplifier has
/// no rule for it: one place per rewrite), and stays when it is not.
#[test]
fn constant_factors_merge_as_the_graph_is_built() {
    assert_eq!(
        check("a = 2*(3*x)\nb = 0.5*(4*sin(x))\nc = 2*(x*3)\nd = (1/3)*(3*x)"),
        "a = 6*x\nb = 2*sin(x)\nc = 2*(x*3)\nd = 1/3*(3*x)"
    );
}

#[test]
fn functions_are_inlined_and_printed_back() {
    insta::assert_snapshot!(check(
        "sq(z) = z*z\nsigmoid2(z) = 1 / (1 + exp(-z))\np = sq(x + 1) - sq(y)\nq = sigmoid2(w*x + b)\nr = -x^2 + (-x)^2 - 2^-1"
    ));
}

#[test]
fn sigmoid_gradient_shares_the_forward_nodes() {
    let mut program = load(include_str!("../examples/sigmoid.nabla"));
    let loss = program
        .definition("loss")
        .map(|d| d.node)
        .unwrap_or_else(|| panic!("loss"));
    let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
    let raw = nabla::ad::gradient(&mut program.graph, loss, &vars).expect("the graph has room");
    let gradient = nabla::simplify::simplify(&mut program.graph, &raw);
    let printed = print_shared(&program.graph, &gradient);
    insta::assert_snapshot!(printed.to_string());
}

#[test]
fn checks_hold_the_ad_derivative_and_the_hand_one() {
    let program = load(include_str!("../examples/sigmoid.nabla"));
    assert_eq!(program.checks.len(), 2);
    let bindings = program.bindings();
    for check in &program.checks {
        let values = nabla::eval::evaluate(
            &program.graph,
            &bindings,
            &[check.derivative, check.expected],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (ad, hand) = (
            values[0].scalar().unwrap_or(f64::NAN),
            values[1].scalar().unwrap_or(0.0),
        );
        assert!(
            (ad - hand).abs() <= 1e-15 * ad.abs().max(1e-300),
            "{ad} vs {hand}"
        );
    }
}
