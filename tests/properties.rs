//! Invariants over random input (STYLE "Tests"): printing parses back to the same
//! values, AD agrees with central differences, and no input makes the library panic.
//!
//! - Print/parse round trip: random expression text over `x, y, z` is lowered and
//!   printed; the printed text lowers and prints to the same text (a fixed point), and
//!   both nodes evaluate to the same f64 bits (or both to a domain error). The same
//!   again through `print_shared(..).as_definitions(..)`, temporaries and all.
//! - AD against central differences: first derivatives (reverse and forward mode) and
//!   second derivatives (pure and mixed) of random smooth expressions in `x, y`.
//! - Never panics: random bytes and random token soup give `Ok` or `Err`, and what
//!   loads evaluates, prints and differentiates without panicking.
//! - Extreme inputs (plain tests): deep nesting, a 100,000-term sum, long definition
//!   chains, stray bytes; each is an error or a correct answer, quickly, without
//!   overflowing the stack.

use nabla::error::{ErrorKind, Errors};
use nabla::eval::{Bindings, DomainError, Value, evaluate};
use nabla::graph::{NodeId, Op, VarId, VarKind, print_expr, print_shared};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::{NumberError, Sources, SyntaxErrorKind};
use proptest::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// CSV paths in random input resolve here, where no file exists.
const NO_DIR: &str = "/nonexistent/nabla-properties";

/// The free names of the round-trip expressions.
const NAMES: [&str; 3] = ["x", "y", "z"];

fn load(text: &str, free_names: bool, allow_expressions: bool) -> Result<Program, Errors> {
    let mut sources = Sources::new();
    let source = sources.add("<expr>", text);
    let options = LoadOptions {
        free_names,
        allow_expressions,
        seed: 0,
    };
    Program::from_source(&mut sources, source, Path::new(NO_DIR), &options)
}

/// Lowers `text`, a single bare expression over free names, to its node.
fn lower_expression(text: &str) -> Result<(Program, NodeId), String> {
    let program = load(text, true, true).map_err(|e| format!("{text:?} does not load: {e}"))?;
    match program.expressions.as_slice() {
        [(node, _)] => {
            let node = *node;
            Ok((program, node))
        }
        other => Err(format!("{text:?} gave {} expressions", other.len())),
    }
}

/// Lowers the program `text` (definitions only) and finds its `result`.
fn lower_result(text: &str) -> Result<(Program, NodeId), String> {
    let program = load(text, true, false).map_err(|e| format!("{text:?} does not load: {e}"))?;
    let node = program
        .definition("result")
        .map(|d| d.node)
        .ok_or_else(|| format!("{text:?} defines no `result`"))?;
    Ok((program, node))
}

/// The variable called `name` (declared as a free name if the graph lacks it).
fn free_var(program: &mut Program, name: &str) -> VarId {
    let node = program.graph.var_node(name, VarKind::Free, None);
    match program.graph.op(node) {
        Op::Var(v) => v,
        other => panic!("the node of `{name}` is {other:?}"),
    }
}

/// The scalar value of `node` with the free names bound to `point` (names the graph
/// does not have are skipped).
fn eval_at(program: &Program, node: NodeId, point: &[f64]) -> Result<f64, DomainError> {
    let graph = &program.graph;
    let mut bindings = Bindings::new(1);
    for (name, &value) in NAMES.iter().zip(point) {
        if let Some(var) = graph.find_var(name) {
            bindings.set(var, Value::Scalar(value));
        }
    }
    let values = evaluate(graph, &bindings, &[node])?;
    match values.as_slice() {
        [Value::Scalar(x)] => Ok(*x),
        other => panic!("expected one scalar, got {other:?}"),
    }
}

/// Same f64 bits, or a domain error on both sides.
fn same_value(
    a: &Result<f64, DomainError>,
    b: &Result<f64, DomainError>,
) -> Result<(), TestCaseError> {
    match (a, b) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a.to_bits(), b.to_bits(), "{} vs {}", a, b),
        (Err(_), Err(_)) => {}
        _ => prop_assert!(false, "one side fails: {:?} vs {:?}", a, b),
    }
    Ok(())
}

// ---- generators ----

/// Number literals as a person writes them: integers, decimals, `.5`, exponents.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..10).prop_map(|n| n.to_string()),
        (0u32..10_000, 1u32..5).prop_map(|(m, scale)| {
            let text = format!("{m:0>width$}", width = scale as usize + 1);
            let (int, frac) = text.split_at(text.len() - scale as usize);
            format!("{int}.{frac}")
        }),
        prop::sample::select(vec![
            "0.1", "0.2", "0.3", "2.5", ".5", "1e-3", "2.5e2", "1E+2", "0.001", "100", "0",
        ])
        .prop_map(String::from),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES.to_vec()).prop_map(String::from)
}

/// An operand, bare or in parentheses (bare operands regroup, which is fine: the
/// text only has to parse).
fn operand(text: String, parens: bool) -> String {
    if parens { format!("({text})") } else { text }
}

/// Random expression text over `x, y, z`: numbers, unary minus, `+ - * / ^` with small
/// integer exponents, calls of the common built-ins, and parentheses.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![number(), name()];
    leaf.prop_recursive(5, 48, 3, |inner| {
        let ops = prop::sample::select(vec!["+", "-", "*", "/", " + ", " - ", " * ", " / "]);
        let unary = prop::sample::select(vec![
            "exp", "ln", "sin", "cos", "tanh", "sigmoid", "sqrt", "abs",
        ]);
        let exponents = prop::sample::select(vec!["0", "1", "2", "3", "-1", "(-2)", "4"]);
        prop_oneof![
            3 => (inner.clone(), any::<bool>(), ops, inner.clone(), any::<bool>())
                .prop_map(|(a, pa, op, b, pb)| {
                    format!("{}{op}{}", operand(a, pa), operand(b, pb))
                }),
            1 => (inner.clone(), any::<bool>())
                .prop_map(|(a, p)| format!("-{}", operand(a, p))),
            1 => (inner.clone(), any::<bool>(), exponents)
                .prop_map(|(a, p, k)| format!("{}^{k}", operand(a, p))),
            2 => (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            1 => (prop::sample::select(vec!["max", "min"]), inner.clone(), inner.clone())
                .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
            1 => inner.prop_map(|a| format!("({a})")),
        ]
    })
}

/// Random smooth expression text in `x, y`, defined everywhere: `exp sin cos tanh
/// sigmoid`, `+ - *`, squares and cubes, and division by `1 + u^2`.
fn smooth_expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        2 => prop::sample::select(vec!["x", "y"]).prop_map(String::from),
        1 => prop::sample::select(vec!["0.5", "2", "1.5", "3", "0.1"]).prop_map(String::from),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        let unary = prop::sample::select(vec!["exp", "sin", "cos", "tanh", "sigmoid", "-"]);
        let ops = prop::sample::select(vec!["+", "-", "*"]);
        prop_oneof![
            3 => (inner.clone(), ops, inner.clone()).prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            3 => (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})/(1 + ({b})^2)")),
            1 => (inner, prop::sample::select(vec![2, 3])).prop_map(|(a, k)| format!("({a})^{k}")),
        ]
    })
}

/// A point for the round trip: mostly ordinary values, sometimes the edges of the
/// built-ins' domains.
fn coordinate() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -3.0..3.0f64,
        1 => prop::sample::select(vec![0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-9, -1e-9, 1e3]),
    ]
}

fn points() -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(prop::collection::vec(coordinate(), 3), 1..4)
}

// ---- AD against central differences ----

/// Central difference of `node` along coordinate `axis` at `point`, with the step
/// `h = 1e-6 * max(1, |x|)`. Returns the difference and the largest |value| sampled
/// (the scale of its rounding noise).
fn central_difference(
    program: &Program,
    node: NodeId,
    point: &[f64],
    axis: usize,
) -> Option<(f64, f64)> {
    let h = 1e-6 * point[axis].abs().max(1.0);
    let (mut up, mut down) = (point.to_vec(), point.to_vec());
    up[axis] += h;
    down[axis] -= h;
    let f_up = eval_at(program, node, &up).ok()?;
    let f_down = eval_at(program, node, &down).ok()?;
    let difference = (f_up - f_down) / (up[axis] - down[axis]);
    Some((difference, f_up.abs().max(f_down.abs())))
}

/// `exact` agrees with the central difference to 1e-5 relative and 1e-7 absolute,
/// plus the difference's own rounding noise (`~1e-16 * |f| / h`, taken generously).
fn agrees_with_difference(
    program: &Program,
    derivative: NodeId,
    of: NodeId,
    point: &[f64],
    axis: usize,
    what: &str,
) -> Result<(), TestCaseError> {
    let (Ok(exact), Some((difference, scale))) = (
        eval_at(program, derivative, point),
        central_difference(program, of, point, axis),
    ) else {
        // Overflow near this point (nested `exp`): nothing to compare.
        return Ok(());
    };
    let noise = 1e-9 * scale;
    let tolerance = 1e-5 * exact.abs().max(difference.abs()) + 1e-7 + noise;
    prop_assert!(
        (exact - difference).abs() <= tolerance,
        "{}: AD {} vs central difference {} at {:?} (tolerance {:e})\n  derivative: {}",
        what,
        exact,
        difference,
        point,
        tolerance,
        print_expr(&program.graph, derivative)
    );
    Ok(())
}

// ---- never panics ----

/// Every token of the language, and some that are not, for token soup.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "param",
        "data",
        "from",
        "check",
        "minimize",
        "by",
        "wrt",
        "=",
        "(",
        ")",
        "[",
        "]",
        ",",
        "d(",
        ")/d(",
        "d",
        "1",
        "2.5",
        ".5",
        "1e-3",
        "0",
        "1e999",
        "x",
        "y",
        "w",
        "b",
        "f",
        "loss",
        "sum",
        "mean",
        "exp",
        "ln",
        "sqrt",
        "sigmoid",
        "max",
        "pow",
        "e",
        "pi",
        "gd",
        "normal",
        "uniform",
        "rate",
        "\n",
        ";",
        "#",
        "\"",
        "\"a.csv\"",
        "^",
        "-",
        "+",
        "*",
        "/",
        "~",
        "\\",
        "η",
        "$",
        "\0",
        " ",
    ])
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((token(), prop::sample::select(vec!["", " ", "\n"])), 0..60).prop_map(
        |parts| {
            parts
                .into_iter()
                .flat_map(|(token, separator)| [token, separator])
                .collect()
        },
    )
}

/// Loads `text` every way, and exercises whatever loads: evaluation of every node a
/// program names, printing, and derivatives by every variable.
fn exercise(text: &str) {
    for free_names in [false, true] {
        for allow_expressions in [false, true] {
            let Ok(mut program) = load(text, free_names, allow_expressions) else {
                continue;
            };
            let mut nodes: Vec<NodeId> = program.definitions.iter().map(|d| d.node).collect();
            nodes.extend(program.expressions.iter().map(|e| e.0));
            nodes.extend(program.minimizes.iter().map(|m| m.objective));
            for check in &program.checks {
                nodes.extend([check.of, check.derivative, check.expected]);
            }
            let bindings = program.bindings();
            for &node in &nodes {
                let _ = evaluate(&program.graph, &bindings, &[node]);
                let _ = print_expr(&program.graph, node);
            }
            let _ = print_shared(&program.graph, &nodes).as_definitions(&["a", "b"]);
            let vars: Vec<VarId> = program.graph.vars().map(|(v, _)| v).collect();
            for &node in nodes.iter().take(4) {
                for &var in vars.iter().take(4) {
                    let derivative = nabla::ad::derivative(&mut program.graph, node, var);
                    let _ = evaluate(&program.graph, &bindings, &[derivative]);
                }
            }
        }
    }
}

proptest! {
    // 256 cases each (proptest's default; `PROPTEST_CASES=10000` runs more).
    #![proptest_config(ProptestConfig::default())]

    /// Printing is a fixed point of print ∘ parse, and the printed text has the same
    /// values as the original.
    #[test]
    fn printed_expressions_parse_back(text in expression(), points in points()) {
        let (program, node) = lower_expression(&text).map_err(TestCaseError::fail)?;
        let printed = print_expr(&program.graph, node);
        let (reparsed, again) = lower_expression(&printed).map_err(TestCaseError::fail)?;
        let reprinted = print_expr(&reparsed.graph, again);
        prop_assert_eq!(&printed, &reprinted, "from {:?}", text);
        for point in &points {
            let original = eval_at(&program, node, point);
            let round_trip = eval_at(&reparsed, again, point);
            same_value(&original, &round_trip)
                .map_err(|e| TestCaseError::fail(format!("{e} at {point:?}; {text:?} printed as {printed:?}")))?;
        }
    }

    /// The same through `print_shared`: the program of temporaries and `result = ...`
    /// loads back, prints to the same program, and has the same values.
    #[test]
    fn shared_printing_parses_back(text in expression(), points in points()) {
        let (program, node) = lower_expression(&text).map_err(TestCaseError::fail)?;
        let printed = print_shared(&program.graph, &[node]).as_definitions(&["result"]);
        let (reparsed, again) = lower_result(&printed).map_err(TestCaseError::fail)?;
        let reprinted = print_shared(&reparsed.graph, &[again]).as_definitions(&["result"]);
        prop_assert_eq!(&printed, &reprinted, "from {:?}", text);
        prop_assert_eq!(
            print_expr(&program.graph, node),
            print_expr(&reparsed.graph, again),
            "inline forms differ; from {:?}", text
        );
        for point in &points {
            let original = eval_at(&program, node, point);
            let round_trip = eval_at(&reparsed, again, point);
            same_value(&original, &round_trip)
                .map_err(|e| TestCaseError::fail(format!("{e} at {point:?}; {text:?} printed as {printed:?}")))?;
        }
    }

    /// First and second derivatives agree with central differences: reverse mode and
    /// forward mode, by x and by y, pure and mixed.
    #[test]
    fn derivatives_match_central_differences(
        text in smooth_expression(),
        points in prop::collection::vec(prop::collection::vec(-2.0..2.0f64, 2), 1..4),
    ) {
        let (mut program, f) = lower_expression(&text).map_err(TestCaseError::fail)?;
        let (x, y) = (free_var(&mut program, "x"), free_var(&mut program, "y"));
        let graph = &mut program.graph;
        let dx = nabla::ad::derivative(graph, f, x);
        let dy = nabla::ad::derivative(graph, f, y);
        let forward_dx = nabla::ad::tangent(graph, f, x);
        let gradient = nabla::ad::gradient(graph, f, &[x, y]);
        prop_assert_eq!(&gradient, &vec![dx, dy], "one pass gives each derivative");
        let dxx = nabla::ad::derivative(graph, dx, x);
        let dxy = nabla::ad::derivative(graph, dx, y);
        let dyy = nabla::ad::derivative(graph, dy, y);
        for point in &points {
            agrees_with_difference(&program, dx, f, point, 0, "d/dx")?;
            agrees_with_difference(&program, dy, f, point, 1, "d/dy")?;
            agrees_with_difference(&program, forward_dx, f, point, 0, "forward d/dx")?;
            agrees_with_difference(&program, dxx, dx, point, 0, "d2/dx2")?;
            agrees_with_difference(&program, dxy, dx, point, 1, "d2/dxdy")?;
            agrees_with_difference(&program, dyy, dy, point, 1, "d2/dy2")?;
        }
    }

    /// Random bytes never make loading, evaluating or differentiating panic.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    /// Nor do random strings of the language's own tokens.
    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        exercise(&text);
    }
}

// ---- extreme inputs ----

/// Loads `text` (free names on) and says how long it took; extreme inputs must be quick.
fn load_quickly(text: &str, free_names: bool) -> Result<Program, Errors> {
    let start = Instant::now();
    let result = load(text, free_names, true);
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "loading {} bytes took {elapsed:?}",
        text.len()
    );
    result
}

fn first_error(result: Result<Program, Errors>) -> ErrorKind {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(errors) => match errors.first() {
            Some(error) => error.kind.clone(),
            None => panic!("an Err without errors"),
        },
    }
}

fn assert_too_deep(kind: ErrorKind) {
    assert!(
        matches!(kind, ErrorKind::Syntax(SyntaxErrorKind::TooDeep { .. })),
        "expected TooDeep, got {kind:?}"
    );
}

#[test]
fn hundred_thousand_nested_parentheses_are_too_deep() {
    const DEPTH: usize = 100_000;
    let text = format!("{}1{}", "(".repeat(DEPTH), ")".repeat(DEPTH));
    assert_too_deep(first_error(load_quickly(&text, true)));
    let unclosed = "(".repeat(DEPTH);
    assert!(load_quickly(&unclosed, true).is_err());
    let calls = format!("{}x{}", "sin(".repeat(DEPTH), ")".repeat(DEPTH));
    assert_too_deep(first_error(load_quickly(&calls, true)));
    let vectors = format!("data v = {}1{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    assert_too_deep(first_error(load_quickly(&vectors, true)));
    let derivatives = format!("{}x{}", "d(".repeat(DEPTH), ")/d(x)".repeat(DEPTH));
    assert_too_deep(first_error(load_quickly(&derivatives, true)));
}

#[test]
fn hundred_thousand_term_sum_evaluates() {
    const TERMS: usize = 100_000;
    let text = vec!["x"; TERMS].join("+");
    let (mut program, node) = match load_quickly(&text, true) {
        Ok(program) => {
            let node = program.expressions[0].0;
            (program, node)
        }
        Err(e) => panic!("the sum does not load: {e}"),
    };
    // 1.5 * k is exact in f64 for every partial sum, so the total is exact too.
    for x in [1.5, -3.0, 0.0] {
        assert_eq!(eval_at(&program, node, &[x]), Ok(TERMS as f64 * x));
    }
    let x = free_var(&mut program, "x");
    let derivative = nabla::ad::derivative(&mut program.graph, node, x);
    assert_eq!(eval_at(&program, derivative, &[0.25]), Ok(TERMS as f64));
    let printed = print_expr(&program.graph, node);
    assert_eq!(printed, vec!["x"; TERMS].join(" + "));
}

#[test]
fn deep_right_nested_power_is_too_deep() {
    let text = vec!["2"; 200_000].join("^");
    assert_too_deep(first_error(load_quickly(&text, false)));
    let minus = format!("{}x", "-".repeat(200_000));
    assert_too_deep(first_error(load_quickly(&minus, true)));
}

#[test]
fn long_definition_chains_load() {
    const LENGTH: usize = 100_000;
    let mut text = String::from("a0 = 1\n");
    for i in 1..LENGTH {
        text.push_str(&format!("a{i} = a{} + 1\n", i - 1));
    }
    let program = load_quickly(&text, false).unwrap_or_else(|e| panic!("the chain fails: {e}"));
    let last = program
        .definition(&format!("a{}", LENGTH - 1))
        .map(|d| d.node);
    // Every step folds exactly, so the last one is the constant 100000.
    let value = last.map(|n| evaluate(&program.graph, &program.bindings(), &[n]));
    assert_eq!(value, Some(Ok(vec![Value::Scalar(LENGTH as f64)])));
    // Closing the chain into a cycle is an error naming it, not a stack overflow.
    text.push_str(&format!("a0b = a{}\n", LENGTH - 1));
    let text = text.replacen("a0 = 1", "a0 = a0b", 1);
    let kind = first_error(load_quickly(&text, false));
    assert!(matches!(kind, ErrorKind::Cycle { .. }), "{kind:?}");
}

#[test]
fn stray_bytes_and_literals_are_errors() {
    let kind = first_error(load_quickly("x = 1\0", false));
    assert_eq!(
        kind,
        ErrorKind::Syntax(SyntaxErrorKind::UnexpectedChar('\0'))
    );
    let kind = first_error(load_quickly("x = 1e999", false));
    assert_eq!(
        kind,
        ErrorKind::Syntax(SyntaxErrorKind::Number(NumberError::Overflow))
    );
    let kind = first_error(load_quickly("data x from \"a.csv", false));
    assert_eq!(kind, ErrorKind::Syntax(SyntaxErrorKind::UnterminatedString));
}

#[test]
fn empty_source_is_an_empty_program() {
    for text in ["", "\n\n", "# only a comment", " ; ;\n"] {
        let program = load_quickly(text, false).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(program.definitions.is_empty() && program.params.is_empty());
        assert!(program.data.is_empty() && program.checks.is_empty());
        assert!(program.minimizes.is_empty() && program.expressions.is_empty());
        assert_eq!(program.graph.len(), 0);
    }
}
