//! Invariants over random input (STYLE "Tests"): printing parses back to the same
//! graph, AD agrees with central differences, and no input makes the library panic.
//!
//! - Print/parse round trip: random expression text over `x, y, z` is lowered and
//!   printed; the printed text lowers to the same tree (exact constants included) and
//!   prints to the same text (a fixed point), and both evaluate to the same f64 bits
//!   (or both to a domain error) at random points. The same again through
//!   `print_shared(..).as_definitions(..)`, temporaries that use temporaries and all.
//! - AD against central differences: first derivatives (reverse and forward mode, and
//!   the language's `d(f)/d(x)`) and second derivatives (pure and mixed) of random
//!   smooth expressions in `x, y`; and in a model with a data column, the gradient of
//!   `sum(f)` / `mean(f)` by the params and by each row of the data, and the per-row
//!   derivative of `f`.
//! - Never panics: random bytes, random token soup and random programs of
//!   well-formed statements give `Ok` or `Err`, and what loads evaluates, prints and
//!   differentiates without panicking.
//! - Extreme inputs (plain tests): deep nesting, a 100,000-term sum, a 100,000-long
//!   chain of definitions and a cycle through all of it, stray bytes; each is an
//!   error or a correct answer, quickly, without overflowing the stack.
//! - Regressions the properties found, as plain tests.
//!
//! Each property runs proptest's default 256 cases (`PROPTEST_CASES=10000` for more).

use nabla::error::{ErrorKind, Errors};
use nabla::eval::{Bindings, DomainError, Value, evaluate};
use nabla::graph::{NodeId, Op, VarId, VarKind, print_expr, print_shared};
use nabla::program::{LoadOptions, Program};
use nabla::syntax::{NumberError, Sources, SyntaxErrorKind};
use proptest::prelude::*;
use std::collections::HashMap;
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
        forward_functions: false,
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

/// The tree under `root` as an S-expression of operators (exact constants by their
/// decimal, others by their bits): equal for two graphs exactly when the trees are.
fn structure(graph: &nabla::graph::Graph, root: NodeId) -> String {
    let mut text: HashMap<NodeId, String> = HashMap::new();
    for id in graph.reachable(&[root]) {
        let s = match graph.op(id) {
            Op::Const(c) => match c.exact() {
                Some(d) => d.normalize().to_string(),
                None => format!("f64:{:#x}", c.value().to_bits()),
            },
            Op::Pi => "pi".into(),
            Op::Euler => "e".into(),
            Op::Var(v) => graph.var(v).name.clone(),
            Op::Column(c) => format!("{:?}", graph.column(c)),
            Op::Unary(f, a) => format!("({f:?} {})", text[&a]),
            Op::Binary(op, a, b) => format!("({op:?} {} {})", text[&a], text[&b]),
            Op::Fill(c, item) => format!("(fill {} {item})", c.value()),
            Op::Tensor(t) => format!("{:?}", graph.tensor(t)),
            Op::Index(a, k) => format!("(index {} {k})", text[&a]),
            Op::Item(f, a) => format!("({f:?} {})", text[&a]),
            Op::Product(op, a, b) => format!("({op:?} {} {})", text[&a], text[&b]),
        };
        text.insert(id, s);
    }
    text.remove(&root).unwrap_or_default()
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

/// An operand, bare or in parentheses (bare operands regroup, which is fine: the
/// text only has to parse).
fn operand(text: String, parens: bool) -> String {
    if parens { format!("({text})") } else { text }
}

/// Random expression text over `x, y, z`: numbers, unary minus, `+ - * / ^` with small
/// integer exponents, calls of the common built-ins, and parentheses.
fn expression() -> impl Strategy<Value = String> {
    expression_over(&NAMES, 5, 48)
}

/// Expressions over numbers and the names `names`, `depth` deep.
fn expression_over(
    names: &'static [&'static str],
    depth: u32,
    size: u32,
) -> impl Strategy<Value = String> + Clone {
    let names = prop::sample::select(names.to_vec()).prop_map(String::from);
    let leaf = prop_oneof![number(), names];
    leaf.prop_recursive(depth, size, 3, |inner| {
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
            1 => inner.clone().prop_map(|a| format!("({a})")),
            // The same sub-expression twice: hash-consing shares it.
            1 => (inner, prop::sample::select(vec!["+", "*", "/"]))
                .prop_map(|(a, op)| format!("({a}){op}({a})")),
        ]
    })
}

/// Expressions with shared parts nested in each other: `P` is a call, `Q` an expression
/// that uses `P`, `R` a call of its own; the whole uses each of them twice, so
/// `print_shared` has temporaries that depend on temporaries and temporaries that do
/// not (and the random parts may share more).
fn shared_expression() -> impl Strategy<Value = String> {
    let calls = || prop::sample::select(vec!["sin", "exp", "abs", "sigmoid", "sqrt"]);
    let ops = || prop::sample::select(vec!["+", "-", "*", "/"]);
    (
        (calls(), expression_over(&NAMES, 3, 12)),
        (
            calls(),
            expression_over(&["x", "y", "z", "P"], 3, 12),
            ops(),
        ),
        (calls(), expression_over(&NAMES, 3, 12), ops()),
        (
            expression_over(&["x", "y", "z", "P", "Q", "R"], 4, 24),
            ops(),
            ops(),
            ops(),
        ),
    )
        .prop_map(|((f, p), (g, q, o1), (h, r, o2), (whole, o3, o4, o5))| {
            let p = format!("{f}({p})");
            let q = format!("{g}(({q}){o1}P)").replace('P', &format!("({p})"));
            let r = format!("{h}({r})");
            format!("({whole}){o3}Q{o4}(P{o5}Q){o3}(R{o2}R)")
                .replace('Q', &format!("({q})"))
                .replace('P', &format!("({p})"))
                .replace('R', &format!("({r})"))
        })
}

fn any_expression() -> impl Strategy<Value = String> {
    prop_oneof![expression(), shared_expression()]
}

/// Random smooth expression text in `x, y`, defined everywhere: `exp sin cos tanh
/// sigmoid`, `+ - *`, squares and cubes, and division by `1 + u^2`; and, less often,
/// the other built-ins on arguments inside their domains (`ln(1 + u^2)`,
/// `asin(0.5*sin(u))`, `(1 + u^2)^v`, ...).
fn smooth_expression() -> impl Strategy<Value = String> {
    smooth_over(&["x", "y"])
}

fn smooth_over(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        2 => prop::sample::select(names.to_vec()).prop_map(String::from),
        1 => prop::sample::select(vec!["0.5", "2", "1.5", "3", "0.1"]).prop_map(String::from),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        let unary = prop::sample::select(vec!["exp", "sin", "cos", "tanh", "sigmoid", "-"]);
        let ops = prop::sample::select(vec!["+", "-", "*"]);
        let guarded = prop::sample::select(vec![
            "ln(1 + (U)^2)",
            "log2(2 + sin(U))",
            "log10(1 + exp(U))",
            "sqrt(1 + (U)^2)",
            "atan(U)",
            "sinh(sin(U))",
            "cosh(tanh(U))",
            "softplus(U)",
            "asin(0.5*sin(U))",
            "acos(0.5*tanh(U))",
            "tan(0.5*cos(U))",
            "1/(2 + cos(U))",
        ]);
        prop_oneof![
            6 => (inner.clone(), ops, inner.clone()).prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            6 => (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            2 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})/(1 + ({b})^2)")),
            2 => (inner.clone(), prop::sample::select(vec![2, 3])).prop_map(|(a, k)| format!("({a})^{k}")),
            2 => (guarded, inner.clone()).prop_map(|(g, a)| g.replace('U', &a)),
            1 => (inner.clone(), inner).prop_map(|(a, b)| format!("(1 + ({a})^2)^(sin({b}))")),
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

/// Central differences of `f` along coordinate `axis` at `point` with the steps `h`
/// and `2h`, `h = 1e-6 * max(1, |x|)`: returns `D(h)`, its truncation error estimated
/// as `|D(h) - D(2h)|` (three times the Richardson estimate), and the largest |f|
/// sampled (the scale of its rounding noise); `None` if `f` fails anywhere.
fn central_difference(
    f: &impl Fn(&[f64]) -> Option<f64>,
    point: &[f64],
    axis: usize,
) -> Option<(f64, f64, f64)> {
    let h = 1e-6 * point[axis].abs().max(1.0);
    let mut scale = 0.0_f64;
    let mut difference = |step: f64| -> Option<f64> {
        let (mut up, mut down) = (point.to_vec(), point.to_vec());
        up[axis] += step;
        down[axis] -= step;
        let (f_up, f_down) = (f(&up)?, f(&down)?);
        scale = scale.max(f_up.abs()).max(f_down.abs());
        Some((f_up - f_down) / (up[axis] - down[axis]))
    };
    let (fine, coarse) = (difference(h)?, difference(2.0 * h)?);
    Some((fine, (fine - coarse).abs(), scale))
}

/// `exact` (the AD derivative's value at `point`) agrees with the central difference
/// of `f` to 1e-5 relative and 1e-7 absolute, plus the difference's own errors: its
/// rounding noise (`~1e-16 * |f| / h`, taken generously) and its truncation error
/// (which only matters where `f` oscillates fast, as `sin(exp(exp(x)))` does).
/// `show` prints the derivative on failure.
fn agrees(
    exact: Option<f64>,
    f: impl Fn(&[f64]) -> Option<f64>,
    point: &[f64],
    axis: usize,
    what: &str,
    show: impl Fn() -> String,
) -> Result<(), TestCaseError> {
    let (Some(exact), Some((difference, truncation, scale))) =
        (exact, central_difference(&f, point, axis))
    else {
        // Overflow near this point (nested `exp`): nothing to compare.
        return Ok(());
    };
    let noise = 1e-9 * scale;
    let tolerance = 1e-5 * exact.abs().max(difference.abs()) + 1e-7 + noise + truncation;
    prop_assert!(
        (exact - difference).abs() <= tolerance,
        "{}: AD {} vs central difference {} at {:?} (tolerance {:e})\n  derivative: {}",
        what,
        exact,
        difference,
        point,
        tolerance,
        show()
    );
    Ok(())
}

/// [`agrees`] for nodes over the free names `x, y, z`.
fn agrees_with_difference(
    program: &Program,
    derivative: NodeId,
    of: NodeId,
    point: &[f64],
    axis: usize,
    what: &str,
) -> Result<(), TestCaseError> {
    agrees(
        eval_at(program, derivative, point).ok(),
        |p| eval_at(program, of, p).ok(),
        point,
        axis,
        what,
        || print_expr(&program.graph, derivative),
    )
}

/// The rows of the model programs of [`models_match_central_differences`].
const ROWS: usize = 3;

/// A model program's values at `point = [w, b, x1, x2, x3]`: params `w, b` and the data
/// column `x`, in place of their values in the program.
fn model_bindings(program: &Program, point: &[f64]) -> Bindings {
    let mut bindings = program.bindings();
    for p in &program.params {
        let value = if p.name == "w" { point[0] } else { point[1] };
        bindings.set(p.var, Value::Scalar(value));
    }
    for d in &program.data {
        bindings.set(d.var, Value::Rows(point[2..].to_vec()));
    }
    bindings
}

/// Row `row` of `node` (a scalar is the same in every row) at `point`.
fn model_value(program: &Program, node: NodeId, point: &[f64], row: usize) -> Option<f64> {
    let values = evaluate(&program.graph, &model_bindings(program, point), &[node]).ok()?;
    values.first().map(|v| v.at(row))
}

// ---- never panics ----

/// Every token of the language, and some that are not, for token soup.
fn token() -> impl Strategy<Value = &'static str> {
    const WORDS: &str = "param data from check minimize by wrt = ( ) [ ] , d( )/d( d 1 2.5 .5 \
        1e-3 0 1e999 x y w b f loss sum mean exp ln sqrt sigmoid max pow e pi gd normal \
        uniform rate ; # \" \"a.csv\" ^ - + * / ~ \\ η $";
    let mut tokens: Vec<&'static str> = WORDS.split_whitespace().collect();
    tokens.extend(["\n", "\0", " "]);
    prop::sample::select(tokens)
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

/// Expression text over the names of [`program_soup`]: its params, data, definitions
/// and functions, built-ins, vectors and derivatives, all mixed without regard to
/// shape, arity or order.
fn program_expression() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec!["w", "b", "x", "y", "f", "g", "loss", "a", "pi", "e"]);
    let leaf = prop_oneof![number(), names.prop_map(String::from)];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let calls = prop::sample::select(vec![
            "sum", "mean", "exp", "ln", "sqrt", "sigmoid", "relu", "abs", "f", "g", "loss",
        ]);
        let wrt = prop::sample::select(vec!["w", "b", "x", "a", "f", "loss", "q"]);
        prop_oneof![
            3 => (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/", "^"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a}){op}({b})")),
            2 => (calls, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            1 => (prop::sample::select(vec!["max", "min", "pow", "f", "g"]), inner.clone(), inner.clone())
                .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
            1 => (inner.clone(), wrt).prop_map(|(a, v)| format!("d({a})/d({v})")),
            1 => prop::collection::vec(inner, 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
        ]
    })
}

/// Programs of random statements: every statement form of SPEC 1.2 with random
/// expressions, names that may clash, and columns that may differ in length.
fn program_soup() -> impl Strategy<Value = String> {
    let name = || prop::sample::select(vec!["w", "b", "x", "y", "f", "g", "loss", "a"]);
    let value = || program_expression();
    let statement = prop_oneof![
        (name(), value()).prop_map(|(n, v)| format!("param {n} = {v}")),
        (
            name(),
            prop::sample::select(vec![
                "normal(0, 1)",
                "uniform(-1, 1)",
                "normal(0, -1)",
                "uniform(1)",
                "beta(1, 2)"
            ])
        )
            .prop_map(|(n, d)| format!("param {n} ~ {d}")),
        (name(), prop::collection::vec(number(), 0..4))
            .prop_map(|(n, v)| format!("data {n} = [{}]", v.join(", "))),
        (name(), value()).prop_map(|(n, v)| format!("{n} = {v}")),
        (name(), prop::collection::vec(name(), 0..3), value())
            .prop_map(|(n, ps, v)| format!("{n}({}) = {v}", ps.join(", "))),
        (value(), name(), value()).prop_map(|(f, w, v)| format!("check d({f})/d({w}) = {v}")),
        (
            value(),
            prop::sample::select(vec!["", " wrt w", " wrt w, b", " wrt x"]),
            prop::sample::select(vec![
                "",
                " by gd(rate = 0.1)",
                " by gd(rate = auto, epochs = 2)",
                " by adam"
            ])
        )
            .prop_map(|(v, w, m)| format!("minimize {v}{w}{m}")),
        value(),
        Just("data x from \"missing.csv\"".to_string()),
    ];
    prop::collection::vec(statement, 0..8).prop_map(|statements| statements.join("\n"))
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
                    let derivative = nabla::ad::derivative(&mut program.graph, node, var)
                        .expect("the graph has room")
                        .expect("a scalar variable");
                    let _ = evaluate(&program.graph, &bindings, &[derivative]);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// Printing is a fixed point of print ∘ parse, and the printed text has the same
    /// values as the original.
    #[test]
    fn printed_expressions_parse_back(text in any_expression(), points in points()) {
        let (program, node) = lower_expression(&text).map_err(TestCaseError::fail)?;
        let printed = print_expr(&program.graph, node);
        let (reparsed, again) = lower_expression(&printed).map_err(TestCaseError::fail)?;
        let reprinted = print_expr(&reparsed.graph, again);
        prop_assert_eq!(&printed, &reprinted, "from {:?}", text);
        prop_assert_eq!(
            structure(&program.graph, node),
            structure(&reparsed.graph, again),
            "{:?} printed as {:?} parses to another tree", text, printed
        );
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
    fn shared_printing_parses_back(text in any_expression(), points in points()) {
        let (program, node) = lower_expression(&text).map_err(TestCaseError::fail)?;
        let printed = print_shared(&program.graph, &[node]).as_definitions(&["result"]);
        let (reparsed, again) = lower_result(&printed).map_err(TestCaseError::fail)?;
        let reprinted = print_shared(&reparsed.graph, &[again]).as_definitions(&["result"]);
        prop_assert_eq!(&printed, &reprinted, "from {:?}", text);
        prop_assert_eq!(
            structure(&program.graph, node),
            structure(&reparsed.graph, again),
            "{:?} printed as {:?} parses to another tree", text, printed
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
        let dx = nabla::ad::derivative(graph, f, x).expect("the graph has room").expect("a scalar variable");
        let dy = nabla::ad::derivative(graph, f, y).expect("the graph has room").expect("a scalar variable");
        let forward_dx = nabla::ad::tangent(graph, f, x).expect("the graph has room");
        let gradient = nabla::ad::gradient(graph, f, &[x, y]).expect("the graph has room");
        prop_assert_eq!(&gradient, &vec![dx, dy], "one pass gives each derivative");
        let dxx = nabla::ad::derivative(graph, dx, x).expect("the graph has room").expect("a scalar variable");
        let dxy = nabla::ad::derivative(graph, dx, y).expect("the graph has room").expect("a scalar variable");
        let dyy = nabla::ad::derivative(graph, dy, y).expect("the graph has room").expect("a scalar variable");
        for point in &points {
            agrees_with_difference(&program, dx, f, point, 0, "d/dx")?;
            agrees_with_difference(&program, dy, f, point, 1, "d/dy")?;
            agrees_with_difference(&program, forward_dx, f, point, 0, "forward d/dx")?;
            agrees_with_difference(&program, dxx, dx, point, 0, "d2/dx2")?;
            agrees_with_difference(&program, dxy, dx, point, 1, "d2/dxdy")?;
            agrees_with_difference(&program, dyy, dy, point, 1, "d2/dy2")?;
            // Evaluating the nodes together gives what evaluating each alone does.
            let roots = [dyy, f, dx, dy, forward_dx, dxx, dxy];
            let mut bindings = Bindings::new(1);
            bindings.set(x, Value::Scalar(point[0]));
            bindings.set(y, Value::Scalar(point[1]));
            if let Ok(together) = evaluate(&program.graph, &bindings, &roots) {
                for (root, value) in roots.iter().zip(&together) {
                    let alone = eval_at(&program, *root, point).map(Value::Scalar);
                    prop_assert_eq!(alone.as_ref(), Ok(value));
                }
            }
        }
        // The language's `d(f)/d(x)` is the same derivative: the same nodes, so the
        // same bits.
        for (written, node) in [
            (format!("d({text})/d(x)"), dx),
            (format!("d(d({text})/d(x))/d(y)"), dxy),
        ] {
            let (derived, derived_node) = lower_expression(&written).map_err(TestCaseError::fail)?;
            for point in &points {
                same_value(&eval_at(&program, node, point), &eval_at(&derived, derived_node, point))
                    .map_err(|e| TestCaseError::fail(format!("{e} at {point:?} for {written:?}")))?;
            }
        }
    }

    /// In a model with data, the gradient of `sum(f)` or `mean(f)` by the params and by
    /// the data column (one entry per row), and the per-row derivative of `f` by a
    /// param (forward mode), agree with central differences.
    #[test]
    fn models_match_central_differences(
        body in smooth_over(&["w", "b", "x"]),
        reduce in prop::sample::select(vec!["sum", "mean"]),
        points in prop::collection::vec(prop::collection::vec(-2.0..2.0f64, 2 + ROWS), 1..3),
    ) {
        let text = format!(
            "data x = [0.5, -1, 2]\nparam w = 1, b = -1\nf = {body}\nloss = {reduce}(f)\n\
             loss_by_w = d(loss)/d(w)\nf_by_b = d(f)/d(b)\n"
        );
        let mut program = load(&text, false, false)
            .map_err(|e| TestCaseError::fail(format!("{text:?} does not load: {e}")))?;
        let node = |p: &Program, name: &str| p.definition(name).map(|d| d.node);
        let (Some(f), Some(loss), Some(loss_by_w), Some(f_by_b)) = (
            node(&program, "f"), node(&program, "loss"), node(&program, "loss_by_w"),
            node(&program, "f_by_b"),
        ) else {
            return Err(TestCaseError::fail("a definition is missing"));
        };
        let vars: Vec<VarId> = ["w", "b", "x"]
            .iter()
            .map(|n| program.graph.find_var(n).ok_or_else(|| TestCaseError::fail(*n)))
            .collect::<Result<_, _>>()?;
        let gradient = nabla::ad::gradient(&mut program.graph, loss, &vars).expect("the graph has room");
        prop_assert_eq!(gradient[0], loss_by_w, "`d(loss)/d(w)` is the gradient's entry");
        let show = |n: NodeId| print_expr(&program.graph, n);
        for point in &points {
            let value = |n: NodeId, row: usize| model_value(&program, n, point, row);
            let loss_at = |p: &[f64]| model_value(&program, loss, p, 0);
            agrees(value(gradient[0], 0), loss_at, point, 0, "d(loss)/d(w)", || show(gradient[0]))?;
            agrees(value(gradient[1], 0), loss_at, point, 1, "d(loss)/d(b)", || show(gradient[1]))?;
            for row in 0..ROWS {
                let what = format!("d(loss)/d(x) in row {}", row + 1);
                agrees(value(gradient[2], row), loss_at, point, 2 + row, &what, || show(gradient[2]))?;
                let f_row = |p: &[f64]| model_value(&program, f, p, row);
                let what = format!("d(f)/d(b) in row {}", row + 1);
                agrees(value(f_by_b, row), f_row, point, 1, &what, || show(f_by_b))?;
            }
        }
    }

    /// Calling a function is substituting its arguments into its body: `f(x, y) = B`
    /// then `f(A1, A2)` is the tree of `B` with `(A1)`, `(A2)` written in for `x`, `y`,
    /// even where the arguments and a global definition the body uses mention free
    /// names `x`, `y` of their own.
    #[test]
    fn calls_are_substitutions(
        template in expression_over(&["X", "Y", "z", "c"], 4, 24),
        global in expression_over(&NAMES, 3, 12),
        first in expression_over(&NAMES, 3, 12),
        second in expression_over(&NAMES, 3, 12),
        points in points(),
    ) {
        let body = template.replace('X', "x").replace('Y', "y");
        let called = format!("c = {global}\nf(x, y) = {body}\nresult = f({first}, {second})\n");
        let written = template
            .replace('X', &format!("({first})"))
            .replace('Y', &format!("({second})"));
        let written = format!("c = {global}\nresult = {written}\n");
        let (program, node) = lower_result(&called).map_err(TestCaseError::fail)?;
        let (expected, expected_node) = lower_result(&written).map_err(TestCaseError::fail)?;
        prop_assert_eq!(
            print_expr(&program.graph, node),
            print_expr(&expected.graph, expected_node),
            "{:?} is not {:?}", called, written
        );
        prop_assert_eq!(structure(&program.graph, node), structure(&expected.graph, expected_node));
        for point in &points {
            same_value(&eval_at(&program, node, point), &eval_at(&expected, expected_node, point))?;
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

    /// Nor do random programs of well-formed statements that mean nonsense.
    #[test]
    fn random_programs_never_panic(text in program_soup()) {
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
    let derivative = nabla::ad::derivative(&mut program.graph, node, x)
        .expect("the graph has room")
        .expect("a scalar variable");
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
        ErrorKind::Syntax(SyntaxErrorKind::Number {
            literal: "1e999".into(),
            error: NumberError::Overflow,
        })
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

// ---- the generators, and regressions the properties found ----

/// The round-trip generators are not vacuous: many expressions have temporaries that
/// depend on temporaries, and some random programs load.
#[test]
fn generators_reach_the_interesting_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut nested, mut loaded) = (0, 0);
    for _ in 0..200 {
        let Ok(tree) = any_expression().new_tree(&mut runner) else {
            continue;
        };
        let text = tree.current();
        let (program, node) = lower_expression(&text).unwrap_or_else(|e| panic!("{e}"));
        let printed = print_shared(&program.graph, &[node]);
        let uses_temporary = |(_, expr): &(String, String)| {
            printed
                .temps
                .iter()
                .any(|(name, _)| expr.contains(name.as_str()))
        };
        nested += usize::from(printed.temps.iter().any(uses_temporary));
        if let Ok(tree) = program_soup().new_tree(&mut runner) {
            loaded += usize::from(load(&tree.current(), false, false).is_ok());
        }
    }
    assert!(
        nested >= 40,
        "only {nested} of 200 expressions nest temporaries"
    );
    assert!(loaded >= 20, "only {loaded} of 200 random programs load");
}

/// A folded constant has the f64 of the literal it prints as (`Decimal::to_f64` was
/// one ulp off for 0.9765^4 = 0.9092618934800625).
#[test]
fn folded_constants_have_the_literals_value() {
    let value = |text: &str| {
        let (program, node) = lower_expression(text).unwrap_or_else(|e| panic!("{e}"));
        eval_at(&program, node, &[]).map(f64::to_bits)
    };
    assert_eq!(value("0.9765^4"), value("0.9092618934800625"));
    assert_eq!(value("0.1 + 0.2"), value("0.3"));
}

/// Printing keeps every digit of an exact constant (`3.0590228625390625e-8`, not the
/// f64's `3.059022862539063e-8`), and folding never makes a constant of more digits
/// than a literal may have.
#[test]
fn exact_constants_print_back_exactly() {
    for text in [
        "(0.115^4)*(0.115^4)",
        "9999999999999999999999999999*7",
        "-(106.6^8)*600.6",
    ] {
        let (program, node) = lower_expression(text).unwrap_or_else(|e| panic!("{e}"));
        let printed = print_expr(&program.graph, node);
        let (reparsed, again) = lower_expression(&printed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            structure(&program.graph, node),
            structure(&reparsed.graph, again),
            "{text} printed as {printed}"
        );
    }
}

/// `0/b` folds to 0 only for a non-zero constant `b`: `0/min(x, 0)` at x = 1 is a
/// division by zero, in a function body as written out.
#[test]
fn zero_over_a_possible_zero_is_not_folded() {
    let (program, node) = lower_expression("0/min(x, 0)").unwrap_or_else(|e| panic!("{e}"));
    let error = eval_at(&program, node, &[1.0]).err().map(|e| e.kind);
    assert_eq!(error, Some(nabla::eval::DomainKind::DivisionByZero));
    let (program, node) =
        lower_result("f(x) = 0/min(x, 0)\nresult = f(1)\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(print_expr(&program.graph, node), "0/0");
    // An f64-only constant (no exact decimal) that is not zero still folds.
    let (program, node) = lower_expression("0/1e-40").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(print_expr(&program.graph, node), "0");
}

/// A function's parameter is its own variable: a global definition that uses a free
/// name of the same spelling is not captured by the call's substitution.
#[test]
fn function_parameters_do_not_capture_free_names() {
    let (program, node) =
        lower_result("c = x\nf(x) = x + c\nresult = f(y)\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(print_expr(&program.graph, node), "y + x");
}

/// Definitions are lowered in source order where dependencies allow, so temporaries
/// keep their numbers through a second round trip.
#[test]
fn shared_printing_keeps_temporary_numbers() {
    let text = "(sin(x) + sin(x))*(sin(x) + sin(x)) + cos(y)*cos(y)";
    let (program, node) = lower_expression(text).unwrap_or_else(|e| panic!("{e}"));
    let printed = print_shared(&program.graph, &[node]).as_definitions(&["result"]);
    assert_eq!(
        printed,
        "t1 = sin(x)\nt2 = t1 + t1\nt3 = cos(y)\nresult = t2*t2 + t3*t3\n"
    );
    let (reparsed, again) = lower_result(&printed).unwrap_or_else(|e| panic!("{e}"));
    let reprinted = print_shared(&reparsed.graph, &[again]).as_definitions(&["result"]);
    assert_eq!(printed, reprinted);
}

proptest! {
    /// A number's f64 is the correctly rounded value of its text, whichever way it is
    /// found (one division for short decimals, the standard parser for the rest).
    #[test]
    fn a_number_is_the_nearest_f64_of_its_text(
        negative in any::<bool>(),
        int in 0u64..10_000_000_000_000_000,
        frac in "[0-9]{0,24}",
        exponent in proptest::option::of(-30i32..30),
    ) {
        let mut text = format!("{}{int}", if negative { "-" } else { "" });
        if !frac.is_empty() {
            text.push('.');
            text.push_str(&frac);
        }
        if let Some(e) = exponent {
            text.push_str(&format!("e{e}"));
        }
        let expected: f64 = text.parse().unwrap_or(f64::NAN);
        let number = nabla::syntax::Number::parse(&text)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        prop_assert_eq!(number.value.to_bits(), expected.to_bits(), "{}", text);
    }
}
