//! The derivative table: every built-in and operator of SPEC 1.3, differentiated twice.
//!
//! - One snapshot, `f | f' | f''`: the simplified first and second derivatives as
//!   `print_shared` prints them (temporaries in a fourth column), to read for
//!   correctness and readability.
//! - The same derivatives against central differences at five points inside each
//!   function's domain (away from kinks and domain edges): the first derivative (raw,
//!   simplified, and by forward mode) against a central difference of `f`; the second
//!   against a central difference of the first derivative's values and against the
//!   three-point stencil of `f`.
//! - The kink conventions of SPEC 1.3, evaluated exactly at the kink.
//! - The Hessian of a two-param loss against finite differences and against the
//!   hand-derived one, its symmetry, and the Hessian-vector product against `H v`.

use nabla::ad::{derivative, gradient, hessian, hessian_vector, tangent};
use nabla::eval::{Bindings, Value, evaluate};
use nabla::graph::{NodeId, VarId, print_shared};
use nabla::program::{LoadOptions, Program};
use nabla::simplify::{simplify, simplify_one};
use nabla::syntax::{Number, Sources};
use std::path::Path;

/// The data and param of the reduction cases.
const DATA: &str = "data t = [0.5, 1.5, -2, 3]\nparam w = 0.3";

/// Points in the domain of every function defined on the whole line, away from the
/// kinks of `abs`, `relu`, `sign`, `step` at 0 and of `max(x, 0.5)`, `max(x, y)` at 0.5
/// and 0.7.
const LINE: &[f64] = &[-2.0, -0.5, 0.3, 1.0, 2.5];
/// Points for `ln`, `sqrt`, `x^0.5` and friends: inside (0, inf), away from 0.
const POSITIVE: &[f64] = &[0.2, 0.7, 1.5, 3.0, 10.0];
/// Points inside (-1, 1) for `asin` and `acos`.
const UNIT: &[f64] = &[-0.9, -0.5, 0.0, 0.3, 0.8];
/// Points inside (-pi/2, pi/2) for `tan`.
const TAN: &[f64] = &[-1.2, -0.5, 0.0, 0.3, 1.4];
/// Points through 0 for functions smooth there.
const SMOOTH: &[f64] = &[-4.0, -1.0, 0.0, 0.5, 3.0];

/// One row of the table: `f` differentiated by `wrt`, with the other free names fixed.
struct Case {
    /// Statements before `f = ...` (data and params), or empty.
    setup: &'static str,
    /// The function, as written.
    f: &'static str,
    /// The name to differentiate by.
    wrt: &'static str,
    /// Values of the other names.
    others: &'static [(&'static str, f64)],
    /// Where to compare with finite differences.
    points: &'static [f64],
}

const fn case(f: &'static str, points: &'static [f64]) -> Case {
    Case {
        setup: "",
        f,
        wrt: "x",
        others: &[],
        points,
    }
}

const fn with(
    f: &'static str,
    wrt: &'static str,
    others: &'static [(&'static str, f64)],
    points: &'static [f64],
) -> Case {
    Case {
        setup: "",
        f,
        wrt,
        others,
        points,
    }
}

const fn reduction(f: &'static str) -> Case {
    Case {
        setup: DATA,
        f,
        wrt: "w",
        others: &[],
        points: &[-1.0, -0.2, 0.3, 0.8, 1.5],
    }
}

/// Every built-in of SPEC 1.3, each operator with a non-trivial other operand, and the
/// reductions over a data column.
const CASES: &[Case] = &[
    case("exp(x)", LINE),
    case("ln(x)", POSITIVE),
    case("log(x)", POSITIVE),
    case("log2(x)", POSITIVE),
    case("log10(x)", POSITIVE),
    case("sqrt(x)", POSITIVE),
    case("abs(x)", LINE),
    case("sin(x)", LINE),
    case("cos(x)", LINE),
    case("tan(x)", TAN),
    case("asin(x)", UNIT),
    case("acos(x)", UNIT),
    case("atan(x)", SMOOTH),
    case("sinh(x)", LINE),
    case("cosh(x)", LINE),
    case("tanh(x)", LINE),
    case("sigmoid(x)", SMOOTH),
    case("softplus(x)", SMOOTH),
    case("relu(x)", LINE),
    case("sign(x)", LINE),
    case("step(x)", LINE),
    case("max(x, 0.5)", LINE),
    case("min(x, 0.5)", LINE),
    with("max(x, y)", "x", &[("y", 0.7)], LINE),
    with("min(x, y)", "y", &[("x", 0.7)], LINE),
    case("pow(x, 3)", LINE),
    case("x^3", LINE),
    case("x^-2", LINE),
    case("x^0.5", POSITIVE),
    case("2^x", LINE),
    case("e^x", LINE),
    with("x^y", "x", &[("y", 2.5)], POSITIVE),
    with("x^y", "y", &[("x", 1.7)], LINE),
    case("x^x", POSITIVE),
    case("-sin(x)", LINE),
    case("x^2 + sin(x)", LINE),
    case("exp(x) - x^3", LINE),
    case("cos(x) - x", LINE),
    case("x^2*sin(x)", LINE),
    case("x*exp(-x)", LINE),
    case("sin(x)/(1 + x^2)", LINE),
    case("exp(x)/x", LINE),
    with("y/x", "x", &[("y", 1.5)], LINE),
    reduction("sum(sin(w*t))"),
    reduction("mean((w*t - 1)^2)"),
    reduction("sum(exp(w*t)*t)"),
    // A scalar summed is N times itself; its mean is itself.
    reduction("sum(w^2)"),
    reduction("mean(sin(w))"),
];

/// A loaded case: its program, `f`, and the variable to differentiate by.
struct Loaded {
    program: Program,
    f: NodeId,
    wrt: VarId,
}

fn load(setup: &str, f: &str, wrt: &str) -> Loaded {
    let text = format!("{setup}\nf = {f}\n");
    let mut sources = Sources::new();
    let id = sources.add("table.nabla", &text);
    let options = LoadOptions {
        free_names: true,
        allow_expressions: true,
        ..LoadOptions::default()
    };
    let program = Program::from_source(&mut sources, id, Path::new("."), &options)
        .unwrap_or_else(|e| panic!("{text:?} does not load: {e}"));
    let f = program
        .definition("f")
        .unwrap_or_else(|| panic!("{text:?} defines no f"))
        .node;
    let wrt = program
        .graph
        .find_var(wrt)
        .unwrap_or_else(|| panic!("{text:?} has no `{wrt}`"));
    Loaded { program, f, wrt }
}

/// The first and second derivatives of a case, each simplified, and the raw forms.
struct Derivatives {
    /// AD's first derivative, as built.
    raw1: NodeId,
    /// The first derivative by forward mode.
    forward1: NodeId,
    /// `raw1`, simplified.
    d1: NodeId,
    /// The derivative of `d1`, as built.
    raw2: NodeId,
    /// `raw2`, simplified.
    d2: NodeId,
}

fn differentiate(loaded: &mut Loaded) -> Derivatives {
    let (g, f, wrt) = (&mut loaded.program.graph, loaded.f, loaded.wrt);
    let raw1 = derivative(g, f, wrt)
        .expect("the graph has room")
        .expect("a scalar variable");
    let forward1 = tangent(g, f, wrt).expect("the graph has room");
    let d1 = simplify_one(g, raw1);
    let raw2 = derivative(g, d1, wrt)
        .expect("the graph has room")
        .expect("a scalar variable");
    let d2 = simplify_one(g, raw2);
    Derivatives {
        raw1,
        forward1,
        d1,
        raw2,
        d2,
    }
}

/// The scalar values of `roots` with `wrt` at `at` and the other names at `others`.
fn values_at(loaded: &Loaded, others: &[(&str, f64)], at: f64, roots: &[NodeId]) -> Vec<f64> {
    let graph = &loaded.program.graph;
    let mut bindings: Bindings = loaded.program.bindings();
    bindings.set(loaded.wrt, Value::Scalar(at));
    for &(name, value) in others {
        let var = graph
            .find_var(name)
            .unwrap_or_else(|| panic!("no `{name}`"));
        bindings.set(var, Value::Scalar(value));
    }
    let values = evaluate(graph, &bindings, roots).unwrap_or_else(|e| panic!("at {at}: {e}"));
    values
        .iter()
        .map(|v| v.scalar().unwrap_or_else(|| panic!("{v} is not a scalar")))
        .collect()
}

/// `|a - b| <= tol * max(|a|, |b|, 1)`: relative, and absolute below 1.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// The table row: `f | f' | f'' | where`.
fn row(loaded: &Loaded, case: &Case, d: &Derivatives) -> [String; 4] {
    let graph = &loaded.program.graph;
    let printed = print_shared(graph, &[d.d1, d.d2]);
    let temps: Vec<String> = printed
        .temps
        .iter()
        .map(|(name, expr)| format!("{name} = {expr}"))
        .collect();
    let by = if case.wrt == "x" {
        String::new()
    } else {
        format!("  (by {})", case.wrt)
    };
    [
        format!("{}{by}", case.f),
        printed.results[0].clone(),
        printed.results[1].clone(),
        temps.join("; "),
    ]
}

/// Lines of `|`-separated cells, each column padded to its widest cell.
fn table(rows: &[[String; 4]]) -> String {
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut line = String::new();
            for (cell, &w) in r.iter().zip(&widths) {
                line.push_str(&format!("{cell:w$} | "));
            }
            line.push_str(&r[3]);
            line.trim_end().trim_end_matches('|').trim_end().to_string()
        })
        .collect();
    lines.join("\n")
}

#[test]
fn derivative_table_snapshot() {
    let mut rows = vec![[
        "f".to_string(),
        "f'".to_string(),
        "f''".to_string(),
        "where".to_string(),
    ]];
    for case in CASES {
        let mut loaded = load(case.setup, case.f, case.wrt);
        let d = differentiate(&mut loaded);
        rows.push(row(&loaded, case, &d));
    }
    insta::assert_snapshot!(table(&rows));
}

#[test]
fn first_derivatives_match_central_differences() {
    for case in CASES {
        let mut loaded = load(case.setup, case.f, case.wrt);
        let d = differentiate(&mut loaded);
        let f = loaded.f;
        for &x in case.points {
            let h = 1e-6 * x.abs().max(1.0);
            let v = values_at(&loaded, case.others, x, &[d.raw1, d.d1, d.forward1]);
            let up = values_at(&loaded, case.others, x + h, &[f])[0];
            let down = values_at(&loaded, case.others, x - h, &[f])[0];
            let fd = (up - down) / (2.0 * h);
            for (what, ad) in [("raw", v[0]), ("simplified", v[1]), ("forward", v[2])] {
                assert!(
                    close(ad, fd, 1e-6),
                    "d({})/d({}) at {x}: {what} AD {ad}, central difference {fd}",
                    case.f,
                    case.wrt
                );
            }
        }
    }
}

#[test]
fn second_derivatives_match_central_differences() {
    for case in CASES {
        let mut loaded = load(case.setup, case.f, case.wrt);
        let d = differentiate(&mut loaded);
        let (f, d1) = (loaded.f, d.d1);
        for &x in case.points {
            let v = values_at(&loaded, case.others, x, &[f, d.raw2, d.d2]);
            let at = |x: f64, node: NodeId| values_at(&loaded, case.others, x, &[node])[0];
            // The first derivative's values, differenced.
            let h = 1e-5 * x.abs().max(1.0);
            let of_first = (at(x + h, d1) - at(x - h, d1)) / (2.0 * h);
            // The three-point stencil of f itself.
            let h = 1e-4 * x.abs().max(1.0);
            let stencil = (at(x + h, f) - 2.0 * v[0] + at(x - h, f)) / (h * h);
            for (what, ad) in [("raw", v[1]), ("simplified", v[2])] {
                for (how, fd) in [("of f'", of_first), ("of f", stencil)] {
                    assert!(
                        close(ad, fd, 1e-4),
                        "d2({})/d({})2 at {x}: {what} AD {ad}, central difference {how} {fd}",
                        case.f,
                        case.wrt
                    );
                }
            }
        }
    }
}

/// The simplified first and second derivatives of `f` by `wrt` at `x` (other names at
/// `others`).
fn derivatives_at(f: &str, wrt: &str, others: &[(&str, f64)], x: f64) -> (f64, f64) {
    let mut loaded = load("", f, wrt);
    let d = differentiate(&mut loaded);
    let v = values_at(&loaded, others, x, &[d.d1, d.d2]);
    (v[0], v[1])
}

#[test]
fn kinks_follow_the_conventions() {
    // abs'(0) = 0, relu'(0) = 0, and their second derivatives are 0 too.
    assert_eq!(derivatives_at("abs(x)", "x", &[], 0.0), (0.0, 0.0));
    assert_eq!(derivatives_at("relu(x)", "x", &[], 0.0), (0.0, 0.0));
    // sign' = step' = 0 everywhere, the kink included.
    for x in [-1.5, 0.0, 2.0] {
        assert_eq!(derivatives_at("sign(x)", "x", &[], x), (0.0, 0.0));
        assert_eq!(derivatives_at("step(x)", "x", &[], x), (0.0, 0.0));
    }
    // max and min at a tie with a constant: half the derivative.
    assert_eq!(derivatives_at("max(x, 2)", "x", &[], 2.0), (0.5, 0.0));
    assert_eq!(derivatives_at("min(x, 2)", "x", &[], 2.0), (0.5, 0.0));
    assert_eq!(derivatives_at("max(x^2, 4)", "x", &[], 2.0).0, 2.0);
}

#[test]
fn max_and_min_split_evenly_at_a_tie() {
    for f in ["max(x, y)", "min(x, y)"] {
        let mut loaded = load("", f, "x");
        let y = loaded.program.graph.find_var("y").expect("y");
        let (g, node, x) = (&mut loaded.program.graph, loaded.f, loaded.wrt);
        let raw = gradient(g, node, &[x, y]).expect("the graph has room");
        let grad = simplify(g, &raw);
        let mut roots = raw.clone();
        roots.extend(&grad);
        for tie in [-1.0, 0.0, 1.3] {
            let v = values_at(&loaded, &[("y", tie)], tie, &roots);
            assert_eq!(v, [0.5; 4], "the gradient of {f} at x = y = {tie}");
        }
    }
}

#[test]
fn integer_powers_of_a_negative_base() {
    // d/dx x^3 = 3x^2 = 12 at x = -2, and d2 = 6x = -12; `c*x^(c-1)` needs no ln(x).
    for f in ["x^3", "pow(x, 3)"] {
        assert_eq!(derivatives_at(f, "x", &[], -2.0), (12.0, -12.0), "{f}");
    }
    // x^-2: -2x^-3 = 0.25 and 6x^-4 = 0.375 at x = -2.
    assert_eq!(derivatives_at("x^-2", "x", &[], -2.0), (0.25, 0.375));
    // With a variable exponent the derivative by the base is still y*x^(y-1).
    assert_eq!(
        derivatives_at("x^y", "x", &[("y", 3.0)], -2.0),
        (12.0, -12.0)
    );
}

#[test]
fn variable_exponents_use_the_log_form() {
    // d/dy x^y = x^y*ln(x): 8*ln(2) at x = 2, y = 3.
    let (d1, d2) = derivatives_at("x^y", "y", &[("x", 2.0)], 3.0);
    let ln2 = std::f64::consts::LN_2;
    assert!(close(d1, 8.0 * ln2, 1e-15), "{d1}");
    assert!(close(d2, 8.0 * ln2 * ln2, 1e-15), "{d2}");
    // and is a domain error for a negative base, where x^y has no real derivative by y.
    let mut loaded = load("", "x^y", "y");
    let d = differentiate(&mut loaded);
    let x = loaded.program.graph.find_var("x").expect("x");
    let mut bindings = Bindings::new(1);
    bindings.set(x, Value::Scalar(-2.0));
    bindings.set(loaded.wrt, Value::Scalar(3.0));
    assert!(evaluate(&loaded.program.graph, &bindings, &[d.d1]).is_err());
}

/// The loss of the Hessian tests, with its Hessian by hand.
const LOSS: &str = "(w - 1)^2 * (b + 2)^2 + sin(w*b)";

fn hand_hessian(w: f64, b: f64) -> [[f64; 2]; 2] {
    let (s, c) = (w * b).sin_cos();
    let ww = 2.0 * (b + 2.0).powi(2) - b * b * s;
    let bb = 2.0 * (w - 1.0).powi(2) - w * w * s;
    let wb = 4.0 * (w - 1.0) * (b + 2.0) + c - w * b * s;
    [[ww, wb], [wb, bb]]
}

/// The loss's program, its node and the params `[w, b]`.
fn loss_program() -> (Program, NodeId, [VarId; 2]) {
    let loaded = load("param w = 0.5, b = -1", LOSS, "w");
    let b = loaded.program.graph.find_var("b").expect("b");
    (loaded.program, loaded.f, [loaded.wrt, b])
}

fn eval_params(program: &Program, vars: &[VarId; 2], p: [f64; 2], roots: &[NodeId]) -> Vec<f64> {
    let mut bindings = program.bindings();
    for (var, value) in vars.iter().zip(p) {
        bindings.set(*var, Value::Scalar(value));
    }
    let values = evaluate(&program.graph, &bindings, roots).unwrap_or_else(|e| panic!("{e}"));
    values.iter().filter_map(Value::scalar).collect()
}

const HESSIAN_POINTS: [[f64; 2]; 4] = [[0.5, -1.0], [1.3, 0.2], [-0.7, 2.1], [2.0, -3.0]];

#[test]
fn hessian_matches_finite_differences_and_the_hand_one() {
    let (mut program, loss, vars) = loss_program();
    let grad = gradient(&mut program.graph, loss, &vars).expect("the graph has room");
    let h = hessian(&mut program.graph, loss, &vars).expect("the graph has room");
    let h_nodes: Vec<NodeId> = h.iter().flatten().copied().collect();
    for p in HESSIAN_POINTS {
        let values = eval_params(&program, &vars, p, &h_nodes);
        let hand = hand_hessian(p[0], p[1]);
        for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let ad = values[2 * i + j];
            // Column j: the gradient's change along param j.
            let step = 1e-5 * p[j].abs().max(1.0);
            let (mut up, mut down) = (p, p);
            up[j] += step;
            down[j] -= step;
            let fd = (eval_params(&program, &vars, up, &grad)[i]
                - eval_params(&program, &vars, down, &grad)[i])
                / (2.0 * step);
            assert!(close(ad, fd, 1e-6), "H[{i}][{j}] at {p:?}: {ad} vs {fd}");
            assert!(
                close(ad, hand[i][j], 1e-13),
                "H[{i}][{j}] at {p:?}: {ad} vs {}",
                hand[i][j]
            );
        }
        // Symmetric (the two mixed partials are different nodes, equal in value).
        assert!(close(values[1], values[2], 1e-14), "{values:?}");
    }
}

#[test]
fn hessian_vector_product_is_h_times_v() {
    let (mut program, loss, vars) = loss_program();
    let g = &mut program.graph;
    let h = hessian(g, loss, &vars).expect("the graph has room");
    let v_values = [0.75, -1.25];
    let v = v_values.map(|x| g.constant(Number::from_f64(x)));
    let hv = hessian_vector(g, loss, &vars, &v).expect("the graph has room");
    let h_nodes: Vec<NodeId> = h.iter().flatten().copied().collect();
    for p in HESSIAN_POINTS {
        let h = eval_params(&program, &vars, p, &h_nodes);
        let hv = eval_params(&program, &vars, p, &hv);
        for i in 0..2 {
            let expected = h[2 * i] * v_values[0] + h[2 * i + 1] * v_values[1];
            assert!(close(hv[i], expected, 1e-13), "(Hv)[{i}] at {p:?}: {hv:?}");
        }
    }
}

/// `sum((w*t + b - y)^2)` has the Hessian `2*[[sum(t^2), sum(t)], [sum(t), N]]`.
#[test]
fn hessian_over_data_rows() {
    let setup = "data t = [0.5, 1.5, -2, 3]\ndata y = [1, 0, 2, -1]\nparam w = 0.3, b = -1";
    let mut loaded = load(setup, "sum((w*t + b - y)^2)", "w");
    let b = loaded.program.graph.find_var("b").expect("b");
    let vars = [loaded.wrt, b];
    let h = hessian(&mut loaded.program.graph, loaded.f, &vars).expect("the graph has room");
    let h_nodes: Vec<NodeId> = h.iter().flatten().copied().collect();
    for p in HESSIAN_POINTS {
        let values = eval_params(&loaded.program, &vars, p, &h_nodes);
        assert_eq!(
            values,
            [2.0 * 15.5, 2.0 * 3.0, 2.0 * 3.0, 2.0 * 4.0],
            "at {p:?}"
        );
    }
}

#[test]
fn hessian_snapshot() {
    let (mut program, loss, vars) = loss_program();
    let g = &mut program.graph;
    let raw: Vec<NodeId> = hessian(g, loss, &vars)
        .expect("the graph has room")
        .into_iter()
        .flatten()
        .collect();
    let h = simplify(g, &raw);
    let printed = print_shared(g, &h);
    let names = ["h_ww", "h_wb", "h_bw", "h_bb"];
    insta::assert_snapshot!(format!("loss = {LOSS}\n{}", printed.as_definitions(&names)));
}
