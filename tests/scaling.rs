//! SPEC 2: the gradient's graph grows at most linearly with the function's, on the
//! three families of the W2 comparison (nested, sigmoid, mlp; see
//! `benches/families.rs`), and its values agree with central finite differences.

#[path = "../benches/families.rs"]
mod families;

use families::{Family, differentiate, source};
use nabla::eval::{Value, evaluate};

const SIZES: [usize; 6] = [5, 10, 20, 50, 100, 200];

/// CasADi SX's gradient nodes / function nodes at n = 100, measured on this machine.
fn casadi_ratio(family: Family) -> f64 {
    match family {
        Family::Nested => 2.98,
        Family::Sigmoid => 1.34,
        Family::Mlp => 2.54,
    }
}

#[test]
fn gradient_size_is_linear_in_the_function_size() {
    let mut table = vec![format!(
        "{:<8} {:>4} {:>10} {:>10} {:>7} {:>7}",
        "family", "n", "function", "gradient", "ratio", "casadi"
    )];
    let mut failures = Vec::new();
    for family in Family::ALL {
        for n in SIZES {
            let d = differentiate(&source(family, n));
            let (f, g) = (d.function_nodes(), d.gradient_nodes());
            let ratio = g as f64 / f as f64;
            table.push(format!(
                "{:<8} {n:>4} {f:>10} {g:>10} {ratio:>7.2} {:>7.2}",
                family.name(),
                casadi_ratio(family)
            ));
            if g > 4 * f + 10 {
                failures.push(format!(
                    "{} n = {n}: {g} gradient nodes > 4 * {f} + 10",
                    family.name()
                ));
            }
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gradient_matches_central_differences_at_n_5() {
    let mut worst = 0.0f64;
    for family in Family::ALL {
        let d = differentiate(&source(family, 5));
        let graph = &d.program.graph;
        let bindings = d.program.bindings();
        let values = evaluate(graph, &bindings, &d.gradient).expect("in the domain");
        for (i, (&var, param)) in d.vars.iter().zip(&d.program.params).enumerate() {
            let p = param.value();
            let h = 1e-5 * p.abs().max(1.0);
            let at = |value: f64| {
                let mut moved = bindings.clone();
                moved.set(var, Value::Scalar(value));
                let v = evaluate(graph, &moved, &[d.objective]).expect("in the domain");
                v[0].scalar().expect("a scalar loss")
            };
            let central = (at(p + h) - at(p - h)) / (2.0 * h);
            let exact = values[i].scalar().expect("a scalar derivative");
            let scale = exact.abs().max(central.abs()).max(1e-3);
            worst = worst.max((exact - central).abs() / scale);
            assert!(
                (exact - central).abs() <= 1e-6 * scale,
                "{} n = 5: d(loss)/d({}) = {exact}, central difference {central}",
                family.name(),
                param.name
            );
        }
    }
    eprintln!("largest relative difference from central differences: {worst:.1e}");
}

#[test]
fn points_have_the_shape_of_the_python_data() {
    let points = families::points(200);
    assert_eq!(points.len(), 200);
    assert!(
        points
            .iter()
            .all(|&(x, y)| (-3000..=3000).contains(&x) && (10..=990).contains(&y))
    );
    assert_eq!(families::decimal(512), "0.512");
    assert_eq!(families::decimal(-1500), "-1.5");
    assert_eq!(families::decimal(1000), "1.0");
    let text = source(Family::Sigmoid, 2);
    assert!(text.starts_with("param w = 0.3, b = 0.3\nloss = (0.5*((1/(1+exp(-(w*"));
    assert!(text.trim_end().ends_with(")^2)/2"));
}
