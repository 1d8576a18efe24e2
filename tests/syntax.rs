//! Parse trees as S-expressions, one snapshot per group of inputs.

use nabla::syntax::{SourceId, StmtKind, parse};

/// Parses `text` and prints each statement's expressions as S-expressions, then errors.
fn check(text: &str) -> String {
    let (ast, errors) = parse(SourceId(0), text);
    let mut out = Vec::new();
    for stmt in &ast.statements {
        let line = match &stmt.kind {
            StmtKind::Param(decls) => {
                let parts: Vec<String> = decls
                    .iter()
                    .map(|d| match &d.init {
                        nabla::syntax::ParamInit::Value(e) => {
                            format!("{} = {}", d.name.name, ast.sexpr(*e))
                        }
                        nabla::syntax::ParamInit::Random { dist, args } => {
                            let args: Vec<String> = args.iter().map(|a| ast.sexpr(*a)).collect();
                            format!("{} ~ ({} {})", d.name.name, dist.name, args.join(" "))
                        }
                    })
                    .collect();
                format!("param {}", parts.join(", "))
            }
            StmtKind::DataInline { name, values } => {
                format!("data {} = {}", name.name, ast.sexpr(*values))
            }
            StmtKind::DataFile { names, path, .. } => {
                let names: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                format!("data {} from {path:?}", names.join(", "))
            }
            StmtKind::Define {
                name,
                params: None,
                body,
            } => {
                format!("{} = {}", name.name, ast.sexpr(*body))
            }
            StmtKind::Define {
                name,
                params: Some(ps),
                body,
            } => {
                let ps: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
                format!("{}({}) = {}", name.name, ps.join(", "), ast.sexpr(*body))
            }
            StmtKind::Check {
                derivative,
                expected,
            } => {
                format!(
                    "check {} = {}",
                    ast.sexpr(*derivative),
                    ast.sexpr(*expected)
                )
            }
            StmtKind::Minimize {
                objective,
                wrt,
                method,
            } => {
                let wrt: Vec<&str> = wrt.iter().map(|w| w.name.as_str()).collect();
                let method = method.as_ref().map(|m| {
                    let options: Vec<String> = m
                        .options
                        .iter()
                        .map(|o| format!("{}={}", o.name.name, ast.sexpr(o.value)))
                        .collect();
                    format!(" by {}({})", m.name.name, options.join(", "))
                });
                format!(
                    "minimize {} wrt [{}]{}",
                    ast.sexpr(*objective),
                    wrt.join(", "),
                    method.unwrap_or_default()
                )
            }
            StmtKind::Expr(e) => ast.sexpr(*e),
        };
        out.push(line);
    }
    for e in errors {
        out.push(format!(
            "error {}..{}: {}",
            e.span.start, e.span.end, e.kind
        ));
    }
    out.join("\n")
}

#[test]
fn precedence_and_associativity() {
    insta::assert_snapshot!(check(
        "1 + 2 * 3\n1 - 2 - 3\n2 ^ 3 ^ 2\n-x^2\n2^-1\n-2*x\na / b / c\n(a + b) * c\n--x\n2^-x*3"
    ));
}

#[test]
fn atoms_calls_vectors_and_derivatives() {
    insta::assert_snapshot!(check(
        "f(x, y)\n[1, 2.5, .5, 1e-3, 6.02E+23]\nd(sin(x)^2)/d(x)\nd(d(f)/d(w))/d(w)\nmax(a, b) + pi\nη * θ1"
    ));
}

#[test]
fn statements_of_the_sigmoid_example() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sigmoid.nabla"
    ))
    .unwrap_or_default();
    insta::assert_snapshot!(check(&text));
}

#[test]
fn other_statement_forms() {
    insta::assert_snapshot!(check(
        "param w ~ normal(0, 1), b ~ uniform(-1, 1)\ndata x, y from \"points \\\"q\\\".csv\"\nminimize loss wrt w, b by adam(rate = 0.01, beta1 = 0.9); minimize loss\nsq(z) = z *\n  z\nv = [1,\n 2]"
    ));
}

#[test]
fn errors_recover_per_statement() {
    insta::assert_snapshot!(check(
        "f = 2x\ng = (1 + 2\nh = * 3\nparam w\ncheck loss = 1\nk = d(x) + 1\nok = 1\nm = 1e999\nn = $"
    ));
}
