//! Parse trees as S-expressions, one snapshot per group of inputs.

use nabla::syntax::{ColumnSel, DataName, Dim, SourceId, StmtKind, line_col, parse};

/// Parses `text` and prints each statement's expressions as S-expressions, then errors.
fn check(text: &str) -> String {
    let (ast, errors) = parse(SourceId(0), text);
    let mut out = Vec::new();
    for stmt in &ast.statements {
        let line = match &stmt.kind {
            StmtKind::Param(decls) => {
                let parts: Vec<String> = decls
                    .iter()
                    .map(|d| {
                        let name = format!("{}{}", d.name.name, shape(&d.shape));
                        match &d.init {
                            nabla::syntax::ParamInit::Value(e) => {
                                format!("{name} = {}", ast.sexpr(*e))
                            }
                            nabla::syntax::ParamInit::Random { dist, args } => {
                                let args: Vec<String> =
                                    args.iter().map(|a| ast.sexpr(*a)).collect();
                                format!("{name} ~ ({} {})", dist.name, args.join(" "))
                            }
                        }
                    })
                    .collect();
                format!("param {}", parts.join(", "))
            }
            StmtKind::DataInline { name, values } => {
                format!("data {} = {}", name.name, ast.sexpr(*values))
            }
            StmtKind::DataFile { names, path, .. } => {
                let names: Vec<String> = names.iter().map(data_name).collect();
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

/// `[3]`, `[8 2]`, or nothing for a scalar.
fn shape(dims: &[Dim]) -> String {
    if dims.is_empty() {
        return String::new();
    }
    let sizes: Vec<String> = dims.iter().map(|d| d.size.to_string()).collect();
    format!("[{}]", sizes.join(" "))
}

/// `y`, or `X[size (.. rooms age) *]` with the header texts quoted where needed.
fn data_name(name: &DataName) -> String {
    let Some(columns) = &name.columns else {
        return name.name.name.clone();
    };
    let header = |h: &nabla::syntax::Ident| format!("{:?}", h.name);
    let columns: Vec<String> = columns
        .iter()
        .map(|c| match c {
            ColumnSel::Name(h) => header(h),
            ColumnSel::Range(a, b) => format!("(.. {} {})", header(a), header(b)),
            ColumnSel::Rest(_) => "*".to_string(),
        })
        .collect();
    format!("{}[{}]", name.name.name, columns.join(" "))
}

/// Each syntax error of each line of `lines` as the CLI shows it: the message, the
/// line with a caret under the span, and the help.
fn diagnose(lines: &[&str]) -> String {
    let mut out = Vec::new();
    for text in lines {
        let (_, errors) = parse(SourceId(0), text);
        if errors.is_empty() {
            out.push(format!(
                "{text}
  (no error)"
            ));
        }
        for e in errors {
            let at = line_col(text, e.span.start as usize);
            let line = text.lines().nth(at.line - 1).unwrap_or_default();
            let width = text[e.span.range()].chars().count().max(1);
            let carets = format!("{}{}", " ".repeat(at.column - 1), "^".repeat(width));
            let help = e
                .help()
                .map(|h| format!("\n  help: {h}"))
                .unwrap_or_default();
            out.push(format!(
                "error {}:{}: {e}\n  | {line}\n  | {carets}{help}",
                at.line, at.column
            ));
        }
    }
    out.join("\n\n")
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

#[test]
fn param_shapes() {
    insta::assert_snapshot!(check(
        "param w[3] = 0\nparam W[8, 2] ~ normal(0, 0.5)\nparam w[3] = 0, b = 1, M[2,\n 2] = 1\nparam w = {0.5, -1, 2}, v[007] = 1"
    ));
}

#[test]
fn braces_make_components() {
    insta::assert_snapshot!(check(
        "v = {a, b, c}\nM = {{1, 2}, {3, 4}}\ndata X = [{1, 2}, {3, 4}]\nu = {1,\n  2,\n}\nt = {x} + [1]"
    ));
}

#[test]
fn indexing_binds_like_a_call() {
    insta::assert_snapshot!(check(
        "v[2]\nA[1, 2] + 1\nv[2]^2\n-v[1]^2\nf(x)[3]\n(a + b)[1]\n{1, 2}[2]\nA[2][1]\nd(f)/d(w)[1]\n2^v[1]"
    ));
}

#[test]
fn matrix_product_is_a_product() {
    insta::assert_snapshot!(check(
        "W @ x + b\na @ b @ c\na * b @ c\na @ b * c\n-a @ b\na @ b^2\nx @\n  y"
    ));
}

#[test]
fn derivatives_by_a_component() {
    insta::assert_snapshot!(check(
        "d(F)/d(w[2])\nd(F)/d(W[1, 2])\ncheck d(loss)/d(w[3]) = mean(2*x)\nd(d(F)/d(w[1]))/d(w[2])"
    ));
}

#[test]
fn csv_column_lists() {
    insta::assert_snapshot!(check(
        "data y, X[size, rooms, age] from \"houses.csv\"\ndata X[size..age] from \"h.csv\"\ndata y, X[*] from \"m.csv\"\ndata X[a, c..f, *], y from \"h.csv\"\ndata P[\"pixel 1\"..\"pixel 784\"] from \"d.csv\"\ndata X[\n  a,\n  b\n] from \"h.csv\""
    ));
}

#[test]
fn shape_and_index_errors() {
    insta::assert_snapshot!(diagnose(&[
        "param w[0] = 0",
        "param w[1.5] = 0",
        "param w[-1] = 0",
        "param w[n] = 0",
        "param w[3e2] = 0",
        "param T[2, 3, 4] = 0",
        "param w[] = 0",
        "param w[200000000] = 0",
        "param w[99999999999999999999999] = 0",
        "param w[3 = 0",
        "f = v[0]",
        "f = v[1.5]",
        "f = v[-2]",
        "f = v[k]",
        "f = A[1, 2, 3]",
        "f = d(F)/d(w[0])",
        "f = d(F)/d(w[1)",
    ]));
}

#[test]
fn brace_operator_and_column_errors() {
    insta::assert_snapshot!(diagnose(&[
        "f = {}",
        "f = {1, 2",
        "f = 2{1, 2}",
        "f = a @",
        "f = @ a",
        "data X[] from \"h.csv\"",
        "data X[a..] from \"h.csv\"",
        "data X[from] from \"h.csv\"",
        "data X[a, b from \"h.csv\"",
        "data X[a] = [1]",
        "f = a..b",
        "f = 1..2",
    ]));
}

#[test]
fn dots_lex_as_numbers_or_a_range() {
    use nabla::syntax::lex;
    let tokens = |text: &str| -> String {
        let (lexemes, errors) = lex(SourceId(0), text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        let words: Vec<String> = lexemes
            .iter()
            .map(|l| format!("{:?}({})", l.token, &text[l.span.range()]))
            .collect();
        words.join(" ")
    };
    insta::assert_snapshot!(
        [".5", "1.", "1e-3", "a..b", "1.5..2", "x..y.5", "{1,2}@v"]
            .map(tokens)
            .join("\n")
    );
}

#[test]
fn nesting_of_braces_and_indices_is_bounded() {
    let deep_braces = format!("f = {}1{}", "{".repeat(500), "}".repeat(500));
    let deep_index = format!("f = v{}", "[1]".repeat(500));
    let deep_mixed = format!("f = {}v{}", "{(".repeat(150), ")[1]}".repeat(150));
    for text in [deep_braces, deep_index, deep_mixed] {
        let (_, errors) = parse(SourceId(0), &text);
        let too_deep = errors
            .iter()
            .any(|e| matches!(e.kind, nabla::syntax::SyntaxErrorKind::TooDeep { .. }));
        assert!(too_deep, "{}...: {errors:?}", &text[..20]);
    }
    let (_, errors) = parse(SourceId(0), &format!("f = v{}", "[1]".repeat(150)));
    assert!(errors.is_empty(), "{errors:?}");
}
