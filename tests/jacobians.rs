//! Jacobians and Hessians by a vector param (SPEC 10): `d(F)/d(w)` of a vector `F` of
//! `[M]` is the `[M, K]` Jacobian, and `d(d(loss)/d(w))/d(w)` the `[K, K]` Hessian, built
//! as vector and matrix nodes. Their values against central differences, their printed
//! forms, and the errors where a Jacobian would need three axes.

mod common;

use common::nabla;
use nabla::eval::evaluate;
use nabla::graph::print_shared;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::path::Path;

const HEADER: &str = "data X = [{0.5, -1, 2}, {1.5, 0.25, -0.5}, {-1, 1, 0.75}]\n\
                      data y = [1, 0, 1]\n\
                      param w = {0.3, -0.2, 0.1}, b = 0.1\n\
                      param W = {{0.2, -0.1, 0.4}, {0.3, 0.5, -0.2}}, u = {0.7, -0.4}\n";

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("jacobians.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The components of the definition `name`, with `w` moved to `theta`.
fn value_at(program: &Program, name: &str, theta: &[f64]) -> Vec<f64> {
    let mut moved = program.clone();
    if let Some(p) = moved.params.iter_mut().find(|p| p.name == "w") {
        p.values = theta.to_vec();
    }
    let node = moved
        .definition(name)
        .map(|d| d.node)
        .unwrap_or_else(|| panic!("no {name}"));
    let values =
        evaluate(&moved.graph, &moved.bindings(), &[node]).unwrap_or_else(|e| panic!("{e}"));
    values[0].components().iter().map(|c| c.at(0)).collect()
}

/// Checks `J = d(F)/d(w)` (row-major, `[M, 3]`) against central differences of `F`.
fn assert_jacobian(body: &str) {
    let text = format!("{HEADER}{body}\nJ = d(F)/d(w)\n");
    let program = load(&text);
    let w = program.params[0].values.clone();
    let jacobian = value_at(&program, "J", &w);
    let f = value_at(&program, "F", &w);
    assert_eq!(jacobian.len(), f.len() * w.len(), "{body}: the shape");
    for k in 0..w.len() {
        let h = 1e-6;
        let (mut up, mut down) = (w.clone(), w.clone());
        up[k] += h;
        down[k] -= h;
        let (fu, fd) = (value_at(&program, "F", &up), value_at(&program, "F", &down));
        for m in 0..f.len() {
            let central = (fu[m] - fd[m]) / (2.0 * h);
            let ad = jacobian[m * w.len() + k];
            assert!(
                (central - ad).abs() <= 1e-7 * central.abs().max(1.0),
                "{body}: J[{},{}] = {ad}, central {central}",
                m + 1,
                k + 1
            );
        }
    }
}

#[test]
fn jacobians_of_vectors_match_central_differences() {
    for body in [
        "F = W @ w",
        "F = W @ tanh(w) + u",
        "F = softmax(W @ w)",
        "F = w/norm(w)",
        "F = exp(w)*total(w) - w[2]*w",
        "F = sigmoid(logsumexp(w))*w^2",
        "F = transpose(W) @ u * sin(w)",
        "F = dot(W, w) * dot(u, W @ w)",
        "F = diag(W @ transpose(W)) * w[1]",
        "F = w/(1 + w^2) + 3",
    ] {
        assert_jacobian(body);
    }
}

#[test]
fn hessians_by_a_vector_match_central_differences_of_the_gradient() {
    for loss in [
        "loss = mean((dot(X, w) + b - y)^2)",
        "loss = mean(softplus(dot(X, w) + b) - y*(dot(X, w) + b)) + 0.1*total(w^2)",
        "loss = mean(total(tanh(W @ (X*w)) * u))",
        "loss = mean(logsumexp(W @ X + dot(w, X)))",
        "loss = norm(w)^3 + total(exp(w))",
    ] {
        assert_jacobian(&format!("{loss}\nF = d(loss)/d(w)"));
    }
}

#[test]
fn the_hessian_of_least_squares_prints_as_a_textbook_does() {
    let text = format!(
        "{HEADER}loss = mean((dot(X, w) - y)^2) + 0.5*total(w^2)\nH = d(d(loss)/d(w))/d(w)\n\
         logistic = mean(softplus(dot(X, w)) - y*dot(X, w))\nHL = d(d(logistic)/d(w))/d(w)\n\
         J = d(softmax(W @ w))/d(w)\n"
    );
    let mut program = load(&text);
    let roots: Vec<_> = ["H", "HL", "J"]
        .iter()
        .map(|n| {
            program
                .definition(n)
                .map(|d| d.node)
                .unwrap_or_else(|| panic!("{n}"))
        })
        .collect();
    let simplified = nabla::simplify::simplify(&mut program.graph, &roots);
    let printed = print_shared(&program.graph, &simplified);
    let mut text = String::new();
    for (name, expr) in ["H", "HL", "J"].iter().zip(&printed.results) {
        text.push_str(&format!("{name} = {expr}\n"));
    }
    for (name, expr) in &printed.temps {
        text.push_str(&format!("  where {name} = {expr}\n"));
    }
    insta::assert_snapshot!(text, @r"
    H = diag(ones(3)) + mean(2*outer(X, X))
    HL = mean(outer(X, t1*(1 - t1)*X))
    J = dot(diag(t2) - outer(t2, t2), W)
      where t1 = sigmoid(dot(X, w))
      where t2 = softmax(dot(W, w))
    ");
}

/// A file in the temp dir holding `text`, for the CLI.
fn file(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "nabla-jacobians-{}-{name}.nabla",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

#[test]
fn derivatives_that_need_three_axes_and_vector_objectives_are_refused() {
    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "matrix_on_the_way",
            "param W[2, 2] = 1, w[2] = 1\nF = W @ w\nJ = d(F)/d(W)\nloss = total(J)\n",
            &[],
        ),
        (
            "matrix_of",
            "param w[2] = 1\nJ = d(outer(w, w))/d(w)\nloss = total(J)\n",
            &[],
        ),
        (
            "vector_objective",
            "param w[2] = 1, A[3, 2] = 1\ng = A @ w\nloss = total(g)\n",
            &["--of", "g"],
        ),
    ];
    let mut rendered = String::new();
    for (name, text, extra) in cases {
        let path = file(name, text);
        let mut args = vec!["grad", path.as_str()];
        args.extend(extra);
        let (code, stdout, stderr) = nabla(&args);
        assert_eq!(code, Some(2), "{name}: {stdout}{stderr}");
        let stderr = stderr.replace(&path, "jacobians.nabla");
        rendered.push_str(&format!("== {name}\n{stderr}\n"));
    }
    insta::assert_snapshot!(rendered);
}
