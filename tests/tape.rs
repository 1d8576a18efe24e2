//! The compiled tape against the tree evaluator (the oracle), and tape listings.

use nabla::eval::{Value, evaluate};
use nabla::graph::NodeId;
use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use nabla::tape::{Compiled, compile};
use std::path::Path;

fn load(text: &str) -> Program {
    let mut sources = Sources::new();
    let id = sources.add("test.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// The loss and its gradient by every param, as `nabla grad` builds them.
fn loss_and_gradient(program: &mut Program) -> Vec<NodeId> {
    let loss = program
        .definition("loss")
        .map(|d| d.node)
        .unwrap_or_else(|| panic!("loss"));
    let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
    nabla::simplify::with_gradient(&mut program.graph, loss, &vars).expect("the graph has room")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) + 1e-300
}

/// Runs the tape and the oracle on the same outputs and compares every value.
fn agree(program: &Program, outputs: &[NodeId]) {
    let oracle =
        evaluate(&program.graph, &program.bindings(), outputs).unwrap_or_else(|e| panic!("{e}"));
    let mut compiled: Compiled<f64> =
        Compiled::of_program(program, outputs).unwrap_or_else(|| panic!("fits"));
    compiled
        .run(&program.graph)
        .unwrap_or_else(|e| panic!("{e}"));
    for (k, expected) in oracle.iter().enumerate() {
        let got = compiled.value(k).unwrap_or_else(|| panic!("output {k}"));
        match (expected, &got) {
            (Value::Scalar(a), Value::Scalar(b)) => {
                assert!(close(*a, *b), "output {k}: {a} vs {b}")
            }
            (Value::Rows(a), Value::Rows(b)) => {
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(b) {
                    assert!(close(*x, *y), "output {k}: {x} vs {y}");
                }
            }
            (a, b) => panic!("output {k}: {a:?} vs {b:?}"),
        }
    }
}

#[test]
fn the_sigmoid_example_matches_the_oracle() {
    let mut program = load(include_str!("../examples/sigmoid.nabla"));
    let outputs = loss_and_gradient(&mut program);
    agree(&program, &outputs);
}

#[test]
fn many_rows_span_several_chunks() {
    let n = 1000;
    let xs: Vec<String> = (0..n)
        .map(|i| format!("{}", (i as f64) / 100.0 - 5.0))
        .collect();
    let ys: Vec<String> = (0..n)
        .map(|i| format!("{}", ((i * 7) % 10) as f64 / 10.0))
        .collect();
    let text = format!(
        "data x = [{}]\ndata y = [{}]\nparam w = 0.3, b = -0.1\nloss = mean((sigmoid(w*x + b) - y)^2) + sum(tanh(w*x)*exp(-x^2)) + w^2\n",
        xs.join(", "),
        ys.join(", ")
    );
    let mut program = load(&text);
    let outputs = loss_and_gradient(&mut program);
    agree(&program, &outputs);
}

#[test]
fn a_reduction_inside_a_row_expression_needs_a_second_pass() {
    let mut program = load(
        "data x = [1, 2, 3, 4]\nparam w = 0.5\nc = x - mean(x)\nloss = sum((w*c)^2 * sum(x*w))\nr = x*sum(x)\n",
    );
    let mut outputs = loss_and_gradient(&mut program);
    outputs.push(program.definition("r").map(|d| d.node).unwrap_or(NodeId(0)));
    outputs.push(program.definition("c").map(|d| d.node).unwrap_or(NodeId(0)));
    agree(&program, &outputs);
    assert_eq!(compile(&program.graph, &outputs).phase_count(), 3);
}

#[test]
fn every_builtin_matches_the_oracle() {
    let text = "data x = [0.1, 0.5, 0.9, 0.25]\nparam w = 0.7\n\
        loss = sum(exp(w*x) + ln(w + x) + log2(w + x) + log10(w + x) + sqrt(w + x) + abs(x - w) \
        + sin(w*x) + cos(w*x) + tan(w*x) + asin(w*x) + acos(w*x) + atan(w*x) + sinh(w*x) + cosh(w*x) \
        + tanh(w*x) + sigmoid(w*x) + softplus(w*x) + relu(x - w) + sign(x - w) + max(x, w) + min(x, w) \
        + pow(x, w) + x^w + w^x + (x + w)^3 + x/w - w*pi + e)\n";
    let mut program = load(text);
    let outputs = loss_and_gradient(&mut program);
    agree(&program, &outputs);
}

/// The error of running `text`'s `loss` on a tape in `S`; the run must fail.
fn loss_error<S: nabla::tape::Scalar>(text: &str) -> nabla::eval::DomainError {
    let program = load(text);
    let loss = program
        .definition("loss")
        .map(|d| d.node)
        .unwrap_or(NodeId(0));
    let mut compiled: Compiled<S> =
        Compiled::of_program(&program, &[loss]).unwrap_or_else(|| panic!("fits"));
    compiled
        .run(&program.graph)
        .err()
        .unwrap_or_else(|| panic!("{text}: must fail"))
}

#[test]
fn a_domain_error_names_the_span_and_row() {
    let error = loss_error::<f64>("data x = [1, 2, -3]\nparam w = 1\nloss = sum(ln(x) * w)\n");
    assert_eq!(error.row, Some(3));
    assert!(error.span.is_some());
}

/// f64 runs without a check per operation and looks for bad values afterwards; a NaN
/// that a later operation hides (`relu(NaN)` is 0, `exp(-inf)` is 0) must still be
/// found, at the operation that made it.
#[test]
fn a_domain_error_hidden_downstream_is_still_found() {
    let cases = [
        (
            "data x = [1, 2, -3]\nparam w = 1\nloss = sum(relu(ln(x)) * w)\n",
            Some(3),
            "ln",
        ),
        ("param w = -1\nloss = relu(ln(w))\n", None, "ln"),
        ("param w = 30\nloss = exp(-exp(w*w))\n", None, "exp"),
        ("param w = 1000\nloss = 2 / exp(w)\n", None, "exp"),
        ("param w = -1\nloss = max(ln(w), 1)\n", None, "ln"),
        (
            "data x = [1, 2]\nparam w = 800\nloss = sum(x / exp(w*x))\n",
            Some(1),
            "exp",
        ),
        // More than 8 rows run in chunks, where `+ - *` are not checked either.
        (
            "data x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\nparam w = 800\nloss = sum(x / exp(w*x))\n",
            Some(1),
            "exp",
        ),
        (
            "data x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\nparam w = 1e307\nloss = sum(exp(-(x*w*100)))\n",
            Some(1),
            "*",
        ),
        (
            "data x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12]\nparam w = 1\nloss = sum(relu(ln(x*w)))\n",
            Some(12),
            "ln",
        ),
    ];
    for (text, row, op) in cases {
        let error = loss_error::<f64>(text);
        assert_eq!(error.row, row, "{text}");
        assert_eq!(error.op, op, "{text}");
    }
}

#[test]
fn listing_of_the_sigmoid_loss_and_gradient() {
    let mut program = load(include_str!("../examples/sigmoid.nabla"));
    let outputs = loss_and_gradient(&mut program);
    insta::assert_snapshot!(compile(&program.graph, &outputs).to_string());
}

#[test]
fn decimal_tape_agrees_with_f64_and_is_more_precise() {
    use rust_decimal::Decimal;
    let mut program = load(include_str!("../examples/sigmoid.nabla"));
    let outputs = loss_and_gradient(&mut program);
    let mut exact: Compiled<Decimal> =
        Compiled::of_program(&program, &outputs).unwrap_or_else(|| panic!("fits"));
    exact.run(&program.graph).unwrap_or_else(|e| panic!("{e}"));
    let mut fast: Compiled<f64> =
        Compiled::of_program(&program, &outputs).unwrap_or_else(|| panic!("fits"));
    fast.run(&program.graph).unwrap_or_else(|e| panic!("{e}"));
    for k in 0..outputs.len() {
        let d = exact.scalar(k).unwrap_or_default();
        let f = fast.scalar(k).unwrap_or(f64::NAN);
        let d64: f64 = d.to_string().parse().unwrap_or(f64::NAN);
        assert!(
            close(d64, f) || (d64 - f).abs() < 1e-15,
            "output {k}: {d} vs {f}"
        );
    }
    // The loss at the start, worked out in 40-digit arithmetic: 0.41581990101999279654...
    let loss = exact.scalar(0).unwrap_or_default();
    let reference: Decimal = "0.4158199010199927965".parse().unwrap_or_default();
    assert!(
        (loss - reference).abs() < "1e-19".parse().unwrap_or_default(),
        "{loss}"
    );
}

#[test]
fn decimal_overflow_is_an_error_with_a_span() {
    use rust_decimal::Decimal;
    // e^100 is beyond a decimal's 7.9e28.
    let error = loss_error::<Decimal>("param w = 100\nloss = exp(w)\n");
    assert!(error.span.is_some());
    assert_eq!(error.op, "exp");
}

/// A row output is checked as it is stored (its last operation, a product, is not):
/// an overflow there is an error naming the operation, in chunks and in one block.
#[test]
fn an_overflow_in_a_row_output_is_an_error() {
    for rows in [3usize, 12] {
        let xs: Vec<String> = (1..=rows).map(|i| i.to_string()).collect();
        let text = format!(
            "data x = [{}]\nparam w = 1e307\nr = x * w * 100\n",
            xs.join(", ")
        );
        let program = load(&text);
        let r = program.definition("r").map(|d| d.node).unwrap_or(NodeId(0));
        let mut compiled: Compiled<f64> =
            Compiled::of_program(&program, &[r]).unwrap_or_else(|| panic!("fits"));
        let error = compiled
            .run(&program.graph)
            .err()
            .unwrap_or_else(|| panic!("{rows} rows: must fail"));
        assert_eq!(error.op, "*", "{rows} rows");
        assert_eq!(error.row, Some(1), "{rows} rows");
        assert!(error.span.is_some(), "{rows} rows");
    }
}

/// A tape over 100,000 rows (a literal vector, x in [-2.5, 2.5), but -10 at row `bad`).
fn many_rows(bad: Option<usize>) -> String {
    let xs: Vec<String> = (0..100_000)
        .map(|i| {
            let x = (i as f64) / 20_000.0 - 2.5;
            let x = if Some(i + 1) == bad { -10.0 } else { x };
            format!("{x}")
        })
        .collect();
    format!("data x = [{}]\nparam w = 0.7, b = -0.2\n", xs.join(", "))
}

/// Runs `compiled` on a pool of `threads` threads.
fn run_on(
    threads: usize,
    compiled: &mut Compiled<f64>,
    program: &Program,
) -> Result<(), nabla::eval::DomainError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    pool.install(|| compiled.run(&program.graph))
}

/// Over 32,768 rows a pass is split over the threads; every result is the same to the
/// bit on 1, 2 or 3 threads: sums (chunk sums added in chunk order), a second pass
/// that reads them, and a row output.
#[test]
fn threads_do_not_change_the_results() {
    let text = many_rows(None)
        + "loss = sum(sigmoid(w*x + b) * x) + mean(tanh(x*w))^2\nr = x*w + sum(x*b + 3)\n";
    let mut program = load(&text);
    let mut outputs = loss_and_gradient(&mut program);
    outputs.push(program.definition("r").map(|d| d.node).unwrap_or(NodeId(0)));
    let mut results = Vec::new();
    for threads in [1, 2, 3] {
        let mut compiled: Compiled<f64> =
            Compiled::of_program(&program, &outputs).unwrap_or_else(|| panic!("fits"));
        run_on(threads, &mut compiled, &program).unwrap_or_else(|e| panic!("{e}"));
        let values: Vec<Vec<u64>> = (0..outputs.len())
            .map(|k| match compiled.value(k) {
                Some(Value::Scalar(v)) => vec![v.to_bits()],
                Some(Value::Rows(v)) => v.iter().map(|x| x.to_bits()).collect(),
                Some(Value::Shaped(..)) | None => panic!("output {k}"),
            })
            .collect();
        assert_eq!(values[3].len(), 100_000);
        results.push(values);
    }
    for threads in [2, 3] {
        for (k, (one, many)) in results[0].iter().zip(&results[threads - 1]).enumerate() {
            let differs = one.iter().zip(many).position(|(a, b)| a != b);
            assert_eq!(
                differs, None,
                "output {k}, 1 thread vs {threads}: first differing row"
            );
        }
    }
    agree(&program, &outputs);
}

/// A domain error in any part of a split pass is found, at its row.
#[test]
fn a_domain_error_is_found_on_any_thread() {
    for bad in [5, 40_000, 99_999] {
        let program =
            load(&(many_rows(Some(bad)) + "loss = sum(ln(x + 20) * w)\nf = sum(ln(x + 3) * w)\n"));
        let node = |name: &str| {
            program
                .definition(name)
                .map(|d| d.node)
                .unwrap_or(NodeId(0))
        };
        for threads in [1, 2, 3] {
            let mut fine: Compiled<f64> =
                Compiled::of_program(&program, &[node("loss")]).unwrap_or_else(|| panic!("fits"));
            assert!(
                run_on(threads, &mut fine, &program).is_ok(),
                "x + 3 > 0 everywhere"
            );
            let mut failing: Compiled<f64> =
                Compiled::of_program(&program, &[node("f")]).unwrap_or_else(|| panic!("fits"));
            let error = run_on(threads, &mut failing, &program)
                .err()
                .unwrap_or_else(|| panic!("row {bad}, {threads} threads: must fail"));
            assert_eq!(error.row, Some(bad), "{threads} threads");
            assert_eq!(error.op, "ln", "{threads} threads");
        }
    }
}

/// One f64 table: the tree evaluator, a block with its rows written out (few rows),
/// and the chunk kernels (many rows) give the same bits for every function, including
/// the fast transcendental kernels (the checked rerun that locates an error uses the
/// same table, so it cannot compute other numbers).
#[test]
fn every_path_computes_the_same_bits() {
    let functions = [
        "exp", "ln", "tanh", "sigmoid", "softplus", "sqrt", "sin", "atan", "relu", "abs",
    ];
    for rows in [3usize, 5, 40, 700] {
        let xs: Vec<String> = (0..rows)
            .map(|i| format!("{}", 0.013 + 7.9 * (i as f64 / rows as f64)))
            .collect();
        let mut text = format!("data x = [{}]\nparam w = 0.37\n", xs.join(", "));
        for f in functions {
            text.push_str(&format!("{f}_out = {f}(w*x - 1.5)\n"));
        }
        text = text.replace("ln_out = ln(w*x - 1.5)", "ln_out = ln(w*x)");
        text = text.replace("sqrt_out = sqrt(w*x - 1.5)", "sqrt_out = sqrt(w*x)");
        let program = load(&text);
        let outputs: Vec<NodeId> = functions
            .iter()
            .map(|f| {
                let name = format!("{f}_out");
                program
                    .definition(&name)
                    .map(|d| d.node)
                    .unwrap_or_else(|| panic!("{name}"))
            })
            .collect();
        let oracle = evaluate(&program.graph, &program.bindings(), &outputs)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut compiled: Compiled<f64> =
            Compiled::of_program(&program, &outputs).unwrap_or_else(|| panic!("fits"));
        compiled
            .run(&program.graph)
            .unwrap_or_else(|e| panic!("{e}"));
        for (k, expected) in oracle.iter().enumerate() {
            let (Value::Rows(a), Some(Value::Rows(b))) = (expected, compiled.value(k)) else {
                panic!("{}: not rows", functions[k]);
            };
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                assert_eq!(
                    x.to_bits(),
                    y.to_bits(),
                    "{} row {i} of {rows}: {x} vs {y}",
                    functions[k]
                );
            }
        }
    }
}

/// A `dot` written out by components is one fused instruction of the tape (a sum of
/// products in one pass), and the gradient's summed products with a common factor one
/// more: the values, per-row and summed, and the whole gradient are
/// the same bits as the tree evaluator's on the same graph, on the block path (few
/// rows) and the chunk path (many), with data, params and a constant among the terms.
#[test]
fn a_fused_dot_computes_the_same_bits() {
    for rows in [3usize, 7, 300, 1_000] {
        let cell = |i: usize, j: usize| 0.37 * ((i * 7 + j * 3) % 11) as f64 - 1.1;
        let data: Vec<String> = (0..rows)
            .map(|i| {
                format!(
                    "{{{}, {}, {}, {}}}",
                    cell(i, 0),
                    cell(i, 1),
                    cell(i, 2),
                    cell(i, 3)
                )
            })
            .collect();
        let text = format!(
            "data X = [{}]\nparam w = {{0.3, -1.7, 2.1, 0.01}}, b = 0.2\n\
             z = dot(X, w) + b\nf = sigmoid(z)\nloss = mean(softplus(z) - 0.5*z)\n",
            data.join(", ")
        );
        let mut program = load(&text);
        let node = |p: &nabla::program::Program, name: &str| {
            p.definition(name)
                .map(|d| d.node)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let (z, loss) = (node(&program, "z"), node(&program, "loss"));
        let vars: Vec<_> = program.params.iter().map(|p| p.var).collect();
        let mut outputs = nabla::simplify::with_gradient(&mut program.graph, loss, &vars)
            .unwrap_or_else(|e| panic!("{e}"));
        outputs.push(z);
        let oracle = evaluate(&program.graph, &program.bindings(), &outputs)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut compiled: Compiled<f64> =
            Compiled::of_program(&program, &outputs).unwrap_or_else(|| panic!("fits"));
        let listing = compiled.tape().to_string();
        assert!(
            listing.contains("= dot"),
            "no fused dot at {rows} rows:\n{listing}"
        );
        assert!(
            listing.contains("; acc"),
            "no grouped summed products at {rows} rows:\n{listing}"
        );
        compiled
            .run(&program.graph)
            .unwrap_or_else(|e| panic!("{e}"));
        // The per-row dot, bit for bit (the tree evaluator adds the same terms in the
        // same order); the sums over the rows to rounding (the tape adds each chunk in
        // four lanes, the evaluator row after row).
        let last = outputs.len() - 1;
        let got = compiled.value(last).unwrap_or_else(|| panic!("z"));
        assert_eq!(
            format!("{:?}", oracle[last]),
            format!("{got:?}"),
            "z at {rows} rows"
        );
        for (k, expected) in oracle.iter().enumerate().take(last) {
            let got = compiled.value(k).unwrap_or_else(|| panic!("output {k}"));
            let (a, b) = (flat(expected), flat(&got));
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert!(
                    (x - y).abs() <= 1e-13 * x.abs().max(1.0),
                    "output {k} at {rows} rows: {x} vs {y}"
                );
            }
        }
    }
}

fn flat(value: &Value) -> Vec<f64> {
    match value {
        Value::Scalar(x) => vec![*x],
        Value::Rows(r) => r.clone(),
        Value::Shaped(_, parts) => parts.iter().flat_map(flat).collect(),
    }
}
