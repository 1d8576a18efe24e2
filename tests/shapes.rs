//! Vectors and matrices (SPEC 10): shape errors, derivatives of every item operation
//! against central differences and against the same loss written with scalars, the
//! printed form parsing back, vector checks that pass and wrong ones that are named,
//! and gradients that are not unrolled.

mod common;

use common::nabla;
use nabla::graph::{NodeId, print_expr};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::path::Path;

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("shapes.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A file in the temp dir holding `text`, for the CLI.
fn file(name: &str, text: &str) -> String {
    let path =
        std::env::temp_dir().join(format!("nabla-shapes-{}-{name}.nabla", std::process::id()));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

/// The loss and its gradient by every param, components flat in declaration order.
fn loss_and_gradient(program: &mut Program) -> (f64, Vec<f64>) {
    let loss = program
        .definition("loss")
        .map(|d| d.node)
        .unwrap_or(NodeId(0));
    let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
    let gradient = nabla::ad::gradient(&mut program.graph, loss, &vars).unwrap_or_default();
    let mut roots = vec![loss];
    roots.extend(&gradient);
    let values = nabla::eval::evaluate(&program.graph, &program.bindings(), &roots)
        .unwrap_or_else(|e| panic!("{e}"));
    let flat: Vec<f64> = values[1..]
        .iter()
        .flat_map(|v| {
            v.components()
                .into_iter()
                .map(|c| c.at(0))
                .collect::<Vec<_>>()
        })
        .collect();
    (values[0].at(0), flat)
}

fn loss_at(program: &Program, theta: &[f64]) -> f64 {
    let mut moved = program.clone();
    let mut rest = theta;
    for p in &mut moved.params {
        let (mine, others) = rest.split_at(p.values.len());
        p.values = mine.to_vec();
        rest = others;
    }
    let loss = moved
        .definition("loss")
        .map(|d| d.node)
        .unwrap_or(NodeId(0));
    match nabla::eval::evaluate(&moved.graph, &moved.bindings(), &[loss]) {
        Ok(values) => values[0].at(0),
        Err(e) => panic!("{e}"),
    }
}

const HEADER: &str = "data X = [{0.5, -1, 2}, {1.5, 0.25, -0.5}, {-1, 1, 0.75}]\n\
                      data y = [1, 0, 1]\n\
                      param w = {0.3, -0.2, 0.1}, b = 0.1\n\
                      param W = {{0.2, -0.1, 0.4}, {0.3, 0.5, -0.2}}, u = {0.7, -0.4}\n";

#[test]
fn every_item_operation_differentiates_like_central_differences() {
    let losses = [
        "loss = mean((dot(X, w) + b - y)^2)",
        "loss = mean((X @ w + b - y)^2)",
        "loss = mean(total(tanh(W @ X) * u))",
        "loss = mean(dot(u, sigmoid(dot(W, X))))",
        "loss = total(outer(u, w) * W)",
        "loss = total(transpose(W) @ u)",
        "loss = norm(w) + norm(W)",
        "loss = mean(logsumexp(W @ X + u))",
        "loss = mean(dot(softmax(W @ X), u))",
        "loss = mean((w[2]*X[1] - W[2, 3]*y)^2) + w[3]",
        "loss = total(w^2)/2 + total(exp(W))",
        "loss = mean(total(X*w)) + total(w @ transpose(W))",
    ];
    for body in losses {
        let text = format!("{HEADER}{body}\n");
        let mut program = load(&text);
        let (_, gradient) = loss_and_gradient(&mut program);
        let theta: Vec<f64> = program
            .params
            .iter()
            .flat_map(|p| p.values.clone())
            .collect();
        assert_eq!(gradient.len(), theta.len(), "{body}");
        for k in 0..theta.len() {
            let h = 1e-6;
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[k] += h;
            down[k] -= h;
            let central = (loss_at(&program, &up) - loss_at(&program, &down)) / (2.0 * h);
            let scale = central.abs().max(gradient[k].abs()).max(1.0);
            assert!(
                (central - gradient[k]).abs() <= 1e-7 * scale,
                "{body}: component {k}: AD {} vs central {central}",
                gradient[k]
            );
        }
    }
}

#[test]
fn vector_and_scalar_forms_of_one_loss_agree() {
    let vector = "data X = [{0.5, -1, 2}, {1.5, 0.25, -0.5}, {-1, 1, 0.75}]\n\
                  data y = [1, 0, 1]\n\
                  param w = {0.3, -0.2, 0.1}, b = 0.1\n\
                  p = sigmoid(dot(X, w) + b)\n\
                  loss = mean(-y*ln(p) - (1 - y)*ln(1 - p)) + 0.1*total(w^2)\n";
    let scalar = "data x1 = [0.5, 1.5, -1]\ndata x2 = [-1, 0.25, 1]\ndata x3 = [2, -0.5, 0.75]\n\
                  data y = [1, 0, 1]\n\
                  param w1 = 0.3, w2 = -0.2, w3 = 0.1, b = 0.1\n\
                  p = sigmoid(w1*x1 + w2*x2 + w3*x3 + b)\n\
                  loss = mean(-y*ln(p) - (1 - y)*ln(1 - p)) + 0.1*(w1^2 + w2^2 + w3^2)\n";
    let (lv, gv) = loss_and_gradient(&mut load(vector));
    let (ls, gs) = loss_and_gradient(&mut load(scalar));
    assert!((lv - ls).abs() <= 1e-12 * ls.abs(), "{lv} vs {ls}");
    assert_eq!(gv.len(), gs.len());
    for (a, b) in gv.iter().zip(&gs) {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "{gv:?} vs {gs:?}"
        );
    }
}

#[test]
fn printed_vector_expressions_parse_back_to_the_same_text() {
    let expressions = [
        "dot(X, w) + b",
        "outer(u, w)*W",
        "transpose(W)",
        "softmax(dot(W, X))",
        "logsumexp(u) - norm(w)",
        "w[2]*W[1, 3]",
        "total(w^2)",
        "{1, 2, 3}*w",
        "{{1, 2, 3}, {4, 5, 6}} - W",
        "ones(3)*b + zeros(3)",
    ];
    for e in expressions {
        let first = load(&format!("{HEADER}e = {e}\n"));
        let node = first.definition("e").map(|d| d.node).unwrap_or(NodeId(0));
        let printed = print_expr(&first.graph, node);
        let second = load(&format!("{HEADER}e = {printed}\n"));
        let again = second.definition("e").map(|d| d.node).unwrap_or(NodeId(0));
        assert_eq!(print_expr(&second.graph, again), printed, "{e}");
    }
}

#[test]
fn gradients_are_vector_nodes_not_components() {
    let program = |k: usize| {
        let row = |r: usize| {
            let parts: Vec<String> = (0..k).map(|j| format!("{}", (r * 7 + j) % 5)).collect();
            format!("{{{}}}", parts.join(", "))
        };
        format!(
            "data X = [{}, {}, {}]\ndata y = [1, 0, 1]\nparam w[{k}] = 0, b = 0\n\
             p = sigmoid(dot(X, w) + b)\nloss = mean(-y*ln(p) - (1 - y)*ln(1 - p))\n",
            row(1),
            row(2),
            row(3)
        )
    };
    let count = |k: usize| {
        let mut p = load(&program(k));
        let before = p.graph.len();
        let loss = p.definition("loss").map(|d| d.node).unwrap_or(NodeId(0));
        let vars: Vec<_> = p.params.iter().map(|q| q.var).collect();
        let gradient = nabla::simplify::simplified_gradient(&mut p.graph, loss, &vars);
        assert!(gradient.is_ok());
        (before, p.graph.len())
    };
    assert_eq!(count(10), count(10_000));
}

#[test]
fn shape_errors_name_both_shapes() {
    let cases = [
        (
            "mismatch",
            "param a[3] = 0, b[4] = 1\nloss = total(a + b)\n",
        ),
        ("dot", "param A[2, 3] = 0, x[2] = 1\nloss = total(A @ x)\n"),
        ("sum_rowless", "param w[3] = 1\nloss = sum(w^2)\n"),
        (
            "softmax_matrix",
            "param W[2, 2] = 0\nloss = total(softmax(W))\n",
        ),
        ("index", "param w[3] = 0\nloss = w[4]\n"),
        (
            "check",
            "param w[3] = 1\nloss = total(w^2)\ncheck d(loss)/d(w) = 2\n",
        ),
        ("literal", "param w[2] = {1, 2, 3}\nloss = total(w)\n"),
    ];
    let mut rendered = String::new();
    for (name, text) in cases {
        let path = file(name, text);
        let (code, stdout, stderr) = nabla(&["grad", &path]);
        assert_eq!(code, Some(2), "{name}: {stdout}{stderr}");
        let stderr = stderr.replace(&path, "shapes.nabla");
        rendered.push_str(&format!("== {name}\n{stderr}\n"));
    }
    insta::assert_snapshot!(rendered);
}

#[test]
fn wrong_vector_checks_name_the_components() {
    let base = "data X = [{1, 2}, {0.5, -1}, {2, 0.3}]\ndata y = [1, 0, 1]\n\
                param w = {0.1, 0.2}, W = {{0.1, 0.2}, {0.3, -0.4}}, u = {1, -1}\n\
                f = dot(X, w)\nloss = mean((f - y)^2) + total(W @ u)*0\n\
                g = mean(total(dot(W, X)*u))\n";
    let run = |check: &str| {
        let path = file("vector-check", &format!("{base}{check}\n"));
        nabla(&["check", &path])
    };
    let (code, out, _) = run("check d(loss)/d(w) = mean(2*(f - y)*X)");
    assert_eq!(code, Some(0), "{out}");
    // A sign error in one component: that component, and only it, is named.
    let (code, out, _) = run("check d(loss)/d(w) = mean(2*(f - y)*X)*{1, -1}");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("1 components differ") && out.contains("w[2]:"),
        "{out}"
    );
    // A missing 1/N: every component is off by the same factor.
    let (code, out, _) = run("check d(loss)/d(w) = sum(2*(f - y)*X)");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("factor 3") || out.contains("factor 1/3"),
        "{out}"
    );
    // A transposed matrix: the off-diagonal components differ.
    let (code, out, _) = run("check d(g)/d(W) = transpose(mean(outer(u, X)))");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("W[1,2]:") && out.contains("W[2,1]:"), "{out}");
}
