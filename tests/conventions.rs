//! Command-line conventions through the real binary: `run` and `minimize` agree to
//! the bit, `-` reads the program from stdin, `--color`, `NO_COLOR` and `TERM=dumb`,
//! `nabla completions`, `--quiet` and `--verbose`.

mod common;

use common::{manifest_dir, nabla};
use serde_json::Value as Json;
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `nabla args...` in the crate directory with `stdin` as standard input and
/// `env` set: exit code, stdout, stderr.
fn nabla_with(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nabla"));
    command
        .args(args)
        .current_dir(manifest_dir())
        .env_remove("NO_COLOR")
        .env_remove("TERM")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("nabla starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin.as_bytes()).expect("stdin written");
    drop(input);
    let output = child.wait_with_output().expect("nabla ends");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

fn json_of(stdout: &str) -> Json {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A two-unit tanh network with a `check` of one partial derivative: before the fix,
/// `run` (which builds that derivative first) simplified the gradient differently.
fn network(method: &str) -> String {
    format!(
        "data t = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]
data y = [0.93, 1.0, 0.84, 0.48, 0, -0.48, -0.84, -1.0, -0.93]
param a1 ~ normal(0, 1), a2 ~ normal(0, 1), b1 ~ normal(0, 1), b2 ~ normal(0, 1)
param v1 ~ normal(0, 0.5), v2 ~ normal(0, 0.5), c = 0
h1 = tanh(a1*t + b1)
h2 = tanh(a2*t + b2)
f = v1*h1 + v2*h2 + c
loss = mean((f - y)^2)
check d(loss)/d(v1) = mean(2*(f - y)*h1)
minimize loss by {method}
"
    )
}

/// The params and loss of `run` (its first descent) and of `minimize`, as JSON.
fn run_and_minimize(file: &str, stdin: &str, seed: &str) -> (Json, Json) {
    let (code, out, err) = nabla_with(&["run", file, "--json", "--seed", seed], stdin, &[]);
    assert!(code == Some(0) || code == Some(1), "run: {err}{out}");
    let run = json_of(&out)["minimize"][0].clone();
    let (code, out, err) = nabla_with(&["minimize", file, "--json", "--seed", seed], stdin, &[]);
    assert!(code == Some(0) || code == Some(1), "minimize: {err}{out}");
    (run, json_of(&out))
}

#[test]
fn run_and_minimize_give_bit_identical_params() {
    let methods = [
        "adam(rate = 0.01, epochs = 3000)",
        "adam(rate = 0.01, epochs = 2000, batch = 4)",
        "momentum(rate = 0.05, epochs = 1500)",
        "gd(rate = 0.1, epochs = 1000, batch = 3)",
        "lbfgs(epochs = 200)",
    ];
    for method in methods {
        let (run, minimize) = run_and_minimize("-", &network(method), "3");
        // serde_json prints f64 round-trip exact, so equal JSON is equal bits.
        assert_eq!(run["params"], minimize["params"], "{method}");
        assert_eq!(run["loss"], minimize["loss"], "{method}");
        assert_eq!(run["epochs"], minimize["epochs"], "{method}");
    }
    let (run, minimize) = run_and_minimize("examples/tanh_network.nabla", "", "11");
    assert_eq!(run["params"], minimize["params"]);
    assert_eq!(run["loss"], minimize["loss"]);
}

#[test]
fn a_dash_reads_the_program_from_stdin() {
    let program = "param x = 3\nloss = (x - 1)^2\ncheck d(loss)/d(x) = 2*(x - 1)\n";
    let (code, out, err) = nabla_with(&["check", "-"], program, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("(<stdin>:3)"), "{out}");
    let (code, out, _) = nabla_with(&["eval", "-", "--json"], program, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(json_of(&out)["values"]["loss"], 4.0, "{out}");
}

#[test]
fn an_error_in_stdin_names_stdin_with_line_column_and_caret() {
    let (code, out, err) = nabla_with(&["run", "-"], "param x = 1\nloss = x +\n", &[]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.contains("<stdin>:2:"), "{err}");
    assert!(err.contains('^') || err.contains('─'), "{err}");
    let (_, out, _) = nabla_with(&["run", "-", "--json"], "param x = 1\nloss = x +\n", &[]);
    let error = &json_of(&out)["error"];
    assert_eq!(error["file"], "<stdin>");
    assert_eq!(error["line"], 2);
}

#[test]
fn a_csv_named_in_stdin_is_found_from_the_current_directory() {
    let program = "data x, y from \"examples/linear_regression.csv\"\nparam a = 0\nloss = mean((a*x - y)^2)\n";
    let (code, out, err) = nabla_with(&["eval", "-", "--json"], program, &[]);
    assert_eq!(code, Some(0), "{err}{out}");
    assert!(json_of(&out)["values"]["loss"].is_number(), "{out}");
}

const BAD: &str = "param x = 1\nloss = y\n";

#[test]
fn color_always_colours_and_never_or_no_color_do_not() {
    let escape = "\u{1b}[";
    let (code, _, err) = nabla_with(&["check", "-", "--color", "always"], BAD, &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains(escape), "{err}");
    // An explicit flag wins over the environment (no-color.org).
    let (_, _, err) = nabla_with(&["check", "--color=always", "-"], BAD, &[("NO_COLOR", "1")]);
    assert!(err.contains(escape), "{err}");
    for (flag, env) in [
        ("never", ("TERM", "xterm")),
        ("auto", ("NO_COLOR", "1")),
        ("auto", ("TERM", "dumb")),
        ("auto", ("TERM", "xterm")),
    ] {
        let (code, _, err) = nabla_with(&["check", "-", "--color", flag], BAD, &[env]);
        assert_eq!(code, Some(2));
        assert!(err.contains("<stdin>:2:8"), "{err}");
        assert!(!err.contains(escape), "--color {flag} with {env:?}: {err}");
    }
    let (code, out, _) = nabla(&["check", "examples/sigmoid.nabla", "--color", "sometimes"]);
    assert_eq!(code, Some(2), "{out}");
}

#[test]
fn completions_name_the_subcommands_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = nabla(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {err}");
        for command in ["minimize", "check", "run", "export", "completions"] {
            assert!(out.contains(command), "{shell} lacks {command}");
        }
        assert!(out.contains("color"), "{shell} lacks the global flags");
    }
    let (code, _, _) = nabla(&["completions", "powershell-7"]);
    assert_eq!(code, Some(2));
}

#[test]
fn quiet_check_prints_nothing_on_success_and_the_failures_otherwise() {
    let (code, out, err) = nabla(&["check", "examples/sigmoid.nabla", "--quiet"]);
    assert_eq!((code, out.as_str(), err.as_str()), (Some(0), "", ""));
    let (code, out, _) = nabla(&["check", "examples/sigmoid_wrong.nabla", "-q"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("FAILED"), "{out}");
    assert!(!out.contains("ok:"), "{out}");
    assert!(out.contains("failed"), "{out}");
}

#[test]
fn quiet_minimize_prints_the_params_only() {
    let (code, out, _) = nabla(&["minimize", "examples/sigmoid.nabla", "--quiet"]);
    assert_eq!(code, Some(0));
    let (_, json, _) = nabla(&["minimize", "examples/sigmoid.nabla", "--json", "--quiet"]);
    let params = &json_of(&json)["params"];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let w = params["w"].as_f64().expect("w");
    assert_eq!(lines[0], format!("w = {}", nabla::syntax::format_f64(w)));
    assert!(lines[1].starts_with("b = "), "{out}");
    let (code, out, _) = nabla(&["run", "examples/sigmoid.nabla", "--quiet"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().collect::<Vec<_>>(), lines);
}

#[test]
fn the_taylor_test_is_a_summary_by_default_and_a_table_with_verbose() {
    let (code, short, _) = nabla(&["check", "examples/sigmoid.nabla"]);
    assert_eq!(code, Some(0));
    assert!(short.contains("r2: rate 3 reached"), "{short}");
    assert!(short.contains(", h from "), "{short}");
    assert!(!short.contains("derivative (AD)"), "{short}");
    let (code, long, _) = nabla(&["check", "examples/sigmoid.nabla", "--verbose"]);
    assert_eq!(code, Some(0));
    assert!(long.contains("  h          r0"), "{long}");
    assert!(long.contains("derivative (AD)"), "{long}");
    // `--json` is the same document either way.
    let (_, a, _) = nabla(&["check", "examples/sigmoid.nabla", "--json"]);
    let (_, b, _) = nabla(&["check", "examples/sigmoid.nabla", "--json", "-v"]);
    let (_, c, _) = nabla(&["check", "examples/sigmoid.nabla", "--json", "-q"]);
    assert_eq!(json_of(&a), json_of(&b));
    assert_eq!(json_of(&a), json_of(&c));
}

#[test]
fn the_plot_has_the_method_and_rate_in_its_title_and_a_colour_bar_with_levels() {
    let path = std::env::temp_dir().join(format!("nabla-conventions-{}.svg", std::process::id()));
    let shown = path.display().to_string();
    let (code, _, err) = nabla(&["minimize", "examples/sigmoid.nabla", "--plot", &shown]);
    assert_eq!(code, Some(0), "{err}");
    let svg = std::fs::read_to_string(&path).expect("the plot is written");
    let _ = std::fs::remove_file(&path);
    assert!(svg.contains("minimize loss: gd, rate 1"), "no title");
    // The colour bar's heading and its level values, written as losses (`5.6e-2`; the
    // loss curve's axis has whole decades only).
    assert!(svg.contains("\nloss\n"), "no colour bar heading");
    let level = fancy_regex::Regex::new(r"\n\d\.\de-?\d+\n").expect("regex");
    assert!(level.find_iter(&svg).count() >= 3, "too few level labels");
}
