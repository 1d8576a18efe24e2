//! Keeps the TextMate grammar `grammar/nabla.tmLanguage.json` (editor highlighting)
//! in step with the crate.
//!
//! - The file is JSON with the TextMate structure: `scopeName`, `fileTypes`, top-level
//!   `patterns`, a `repository`; every `include` names a repository entry, every entry
//!   is used, every rule has a scope, and every regex compiles (with `fancy-regex`,
//!   which has the lookaround that TextMate's Oniguruma has).
//! - It covers every keyword of the lexer (read from `src/syntax/token.rs`), every
//!   built-in function the crate knows (`Func::NAMED`, read at test time, and the
//!   two-argument ones), the constants, the descent methods (`descent::METHODS`) and
//!   their options.
//! - A small TextMate tokenizer (earliest match wins, ties to the first rule, captures
//!   with nested patterns) applies it to every example program, and the scopes it
//!   gives agree with what nabla's own lexer says each token is.

use fancy_regex::Regex;
use nabla::syntax::{SourceId, Token, lex};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn grammar() -> Value {
    let text = read(&root().join("grammar/nabla.tmLanguage.json"));
    serde_json::from_str(&text).expect("grammar/nabla.tmLanguage.json is valid JSON")
}

fn repository(grammar: &Value) -> &Map<String, Value> {
    grammar["repository"]
        .as_object()
        .expect("a `repository` object")
}

// ---- a small TextMate tokenizer ----

/// A `match` rule with its scope and the scopes of its capture groups.
struct Rule {
    name: Option<String>,
    regex: Regex,
    captures: Vec<(usize, Option<String>, Vec<Rule>)>,
}

/// The rules of a `patterns` array, with includes resolved and groups flattened.
fn rules(patterns: &Value, repository: &Map<String, Value>) -> Vec<Rule> {
    let mut out = Vec::new();
    for pattern in patterns.as_array().expect("`patterns` is an array") {
        let resolved = match pattern.get("include").and_then(Value::as_str) {
            Some(include) => {
                let key = include.strip_prefix('#').expect("includes are `#name`");
                repository
                    .get(key)
                    .unwrap_or_else(|| panic!("`{include}` is not in the repository"))
            }
            None => pattern,
        };
        if let Some(group) = resolved.get("patterns") {
            out.extend(rules(group, repository));
        } else {
            out.push(rule(resolved, repository));
        }
    }
    out
}

fn rule(value: &Value, repository: &Map<String, Value>) -> Rule {
    assert!(
        value.get("begin").is_none(),
        "every rule is a single-line `match`: {value}"
    );
    let source = value["match"]
        .as_str()
        .unwrap_or_else(|| panic!("a rule without `match`: {value}"));
    let regex =
        Regex::new(source).unwrap_or_else(|e| panic!("regex {source:?} does not compile: {e}"));
    let name = value.get("name").and_then(Value::as_str).map(String::from);
    let mut captures = Vec::new();
    if let Some(map) = value.get("captures").and_then(Value::as_object) {
        for (group, capture) in map {
            let group: usize = group.parse().expect("capture keys are group numbers");
            assert!(
                group < regex.captures_len(),
                "capture {group} of {source:?} does not exist"
            );
            let scope = capture
                .get("name")
                .and_then(Value::as_str)
                .map(String::from);
            let nested = capture
                .get("patterns")
                .map_or_else(Vec::new, |p| rules(p, repository));
            assert!(
                scope.is_some() || !nested.is_empty(),
                "capture {group} of {source:?} does nothing"
            );
            captures.push((group, scope, nested));
        }
    }
    assert!(
        name.is_some() || !captures.is_empty(),
        "rule {source:?} gives no scope"
    );
    Rule {
        name,
        regex,
        captures,
    }
}

/// A scope over a byte range of the line.
#[derive(Debug, Clone, PartialEq)]
struct Scoped {
    start: usize,
    end: usize,
    scope: String,
}

/// Tokenizes `line[from..to]` as TextMate does for match rules: at each position the
/// rule whose match starts first wins (ties go to the rule listed first).
fn tokenize(line: &str, from: usize, to: usize, rules: &[Rule], out: &mut Vec<Scoped>) {
    let text = &line[..to];
    let mut pos = from;
    while pos < to {
        let mut best: Option<(usize, &Rule, _)> = None;
        for rule in rules {
            let Some(caps) = rule
                .regex
                .captures_from_pos(text, pos)
                .expect("the regex runs")
            else {
                continue;
            };
            let whole = caps.get(0).expect("group 0");
            if whole.start() < whole.end()
                && best.as_ref().is_none_or(|(s, _, _)| whole.start() < *s)
            {
                best = Some((whole.start(), rule, caps));
            }
        }
        let Some((start, rule, caps)) = best else {
            break;
        };
        let end = caps.get(0).expect("group 0").end();
        if let Some(scope) = &rule.name {
            out.push(Scoped {
                start,
                end,
                scope: scope.clone(),
            });
        }
        for (group, scope, nested) in &rule.captures {
            let Some(m) = caps.get(*group) else { continue };
            if let Some(scope) = scope {
                out.push(Scoped {
                    start: m.start(),
                    end: m.end(),
                    scope: scope.clone(),
                });
            }
            tokenize(line, m.start(), m.end(), nested, out);
        }
        pos = end;
    }
}

/// The grammar's tokenizer, ready to run on lines.
struct Highlighter {
    rules: Vec<Rule>,
}

impl Highlighter {
    fn new() -> Highlighter {
        let grammar = grammar();
        Highlighter {
            rules: rules(&grammar["patterns"], repository(&grammar)),
        }
    }

    fn line(&self, line: &str) -> Vec<Scoped> {
        let mut out = Vec::new();
        tokenize(line, 0, line.len(), &self.rules, &mut out);
        out
    }

    /// `(text, innermost scope)` for each scoped piece that no other piece encloses
    /// more tightly, in line order: what an editor would colour.
    fn pieces(&self, line: &str) -> Vec<(String, String)> {
        let scoped = self.line(line);
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < line.len() {
            let innermost = scoped
                .iter()
                .filter(|s| s.start <= i && i < s.end)
                .min_by_key(|s| s.end - s.start);
            match innermost {
                Some(s) => {
                    let end = scoped
                        .iter()
                        .filter(|t| {
                            t.start > i && t.start < s.end && t.end - t.start < s.end - s.start
                        })
                        .map(|t| t.start)
                        .min()
                        .unwrap_or(s.end);
                    pieces.push((line[i..end].to_string(), s.scope.clone()));
                    i = end;
                }
                None => i += line[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        pieces.retain(|(text, _)| !text.trim().is_empty());
        for piece in &mut pieces {
            piece.0 = piece.0.trim().to_string();
        }
        pieces
    }
}

// ---- what the crate knows ----

/// The keywords of the lexer: the alphabetic `#[token("...")]` of `src/syntax/token.rs`.
fn lexer_keywords() -> BTreeSet<String> {
    let source = read(&root().join("src/syntax/token.rs"));
    let keywords: BTreeSet<String> = source
        .split("#[token(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|literal| literal.chars().all(char::is_alphabetic))
        .map(String::from)
        .collect();
    for keyword in &keywords {
        let (lexemes, _) = lex(SourceId(0), keyword);
        assert!(
            !matches!(lexemes[0].token, Token::Name),
            "`{keyword}` lexes as a name"
        );
    }
    assert!(keywords.len() >= 7, "found only {keywords:?} in token.rs");
    keywords
}

/// Every built-in function: the one-argument `Func::NAMED` and the two-argument ones.
fn builtins() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = nabla::graph::Func::NAMED
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    for binary in ["max", "min", "pow"] {
        assert!(
            loads(&format!("param a = 1\nf = {binary}(a, 2)\n")),
            "`{binary}` is not a built-in"
        );
        names.insert(binary.to_string());
    }
    names
}

fn loads(text: &str) -> bool {
    let mut sources = nabla::syntax::Sources::new();
    let id = sources.add("editor.nabla", text);
    let options = nabla::program::LoadOptions::default();
    nabla::program::Program::from_source(&mut sources, id, Path::new("."), &options).is_ok()
}

/// The alternatives of the one group `(?:a|b|c)` or `(a|b|c)` in a rule's regex that
/// contains `probe`.
fn alternatives(grammar: &Value, key: &str, probe: &str) -> BTreeSet<String> {
    let text = serde_json::to_string(&grammar["repository"][key]).expect("serializes");
    let value: Value = serde_json::from_str(&text).expect("parses");
    let mut regexes = Vec::new();
    collect_matches(&value, &mut regexes);
    let regex = regexes
        .iter()
        .find(|r| r.contains(probe))
        .unwrap_or_else(|| panic!("no regex of `{key}` mentions `{probe}`"));
    let start = regex.find(probe).expect("found above");
    let open = regex[..start].rfind('(').expect("an opening bracket");
    let close = start + regex[start..].find(')').expect("a closing bracket");
    regex[open + 1..close]
        .trim_start_matches("?:")
        .split('|')
        .map(String::from)
        .collect()
}

fn collect_matches(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("match", Value::String(s)) => out.push(s.clone()),
                    _ => collect_matches(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_matches(v, out)),
        _ => {}
    }
}

fn example_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["examples", "grammar/examples"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("the examples folder") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "nabla") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "the examples went missing");
    files
}

// ---- the tests ----

#[test]
fn grammar_has_the_textmate_structure() {
    let grammar = grammar();
    assert_eq!(grammar["scopeName"], "source.nabla");
    assert_eq!(grammar["name"], "nabla");
    assert_eq!(grammar["fileTypes"], serde_json::json!(["nabla"]));
    let repository = repository(&grammar);
    let top = grammar["patterns"]
        .as_array()
        .expect("top-level `patterns`");
    assert!(!top.is_empty());
    // Every repository entry is included from the top level, and every include exists.
    let included: BTreeSet<&str> = top
        .iter()
        .map(|p| {
            p["include"]
                .as_str()
                .expect("top-level patterns are includes")
        })
        .map(|i| i.strip_prefix('#').expect("a `#name` include"))
        .collect();
    let keys: BTreeSet<&str> = repository.keys().map(String::as_str).collect();
    assert_eq!(included, keys, "includes and repository entries differ");
    // Compiling every rule checks its regex, captures and scope names.
    let rules = rules(&grammar["patterns"], repository);
    assert!(rules.len() >= keys.len());
    let mut scopes = Vec::new();
    collect_scopes(&grammar, &mut scopes);
    for scope in scopes {
        assert!(
            scope.ends_with(".nabla"),
            "scope `{scope}` does not end in `.nabla`"
        );
    }
}

fn collect_scopes(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("name", Value::String(s)) if s != "nabla" => out.push(s.clone()),
                    _ => collect_scopes(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_scopes(v, out)),
        _ => {}
    }
}

#[test]
fn grammar_covers_every_keyword_builtin_method_and_option() {
    let grammar = grammar();
    let mut keywords = alternatives(&grammar, "keyword", "param");
    keywords.extend(alternatives(&grammar, "keyword", "wrt"));
    assert_eq!(
        keywords,
        lexer_keywords(),
        "the grammar's keywords are not the lexer's"
    );

    let listed = alternatives(&grammar, "builtin-function", "sigmoid");
    assert_eq!(
        listed,
        builtins(),
        "the grammar's built-ins are not the crate's"
    );

    let constants = alternatives(&grammar, "constant", "pi");
    assert_eq!(
        constants,
        BTreeSet::from(["pi".to_string(), "e".to_string()])
    );
    assert!(loads("f = pi * e\n"));

    let methods = alternatives(&grammar, "method", "adam");
    let crate_methods: BTreeSet<String> = nabla::descent::METHODS
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(
        methods, crate_methods,
        "the grammar's methods are not the crate's"
    );

    let options = alternatives(&grammar, "method-option", "epochs");
    let mut crate_options: BTreeSet<String> = nabla::descent::COMMON_OPTIONS
        .iter()
        .map(|o| o.to_string())
        .collect();
    for method in nabla::descent::METHODS {
        let method = nabla::descent::Method::named(method).expect("a method");
        crate_options.extend(method.option_names().iter().map(|o| o.to_string()));
    }
    assert_eq!(
        options, crate_options,
        "the grammar's method options are not the crate's"
    );

    let distributions = alternatives(&grammar, "distribution", "normal");
    assert_eq!(
        distributions,
        BTreeSet::from(["normal".to_string(), "uniform".to_string()])
    );
    for distribution in &distributions {
        assert!(loads(&format!("param w ~ {distribution}(0, 1)\nf = w\n")));
    }
}

#[test]
fn sigmoid_example_tokenizes_as_expected() {
    let highlighter = Highlighter::new();
    let cases: [(&str, &[(&str, &str)]); 6] = [
        (
            "data x = [0.5, 2.5]  # two rows",
            &[
                ("data", "keyword.control.statement.nabla"),
                ("x", "variable.other.declaration.nabla"),
                ("=", "keyword.operator.assignment.nabla"),
                ("[", "punctuation.section.brackets.nabla"),
                ("0.5", "constant.numeric.decimal.nabla"),
                (",", "punctuation.separator.comma.nabla"),
                ("2.5", "constant.numeric.decimal.nabla"),
                ("]", "punctuation.section.brackets.nabla"),
                ("#", "punctuation.definition.comment.nabla"),
                ("two rows", "comment.line.number-sign.nabla"),
            ],
        ),
        (
            "param w ~ normal(0, 1), b = -2",
            &[
                ("param", "keyword.control.statement.nabla"),
                ("w", "variable.other.declaration.nabla"),
                ("~", "keyword.operator.distribution.nabla"),
                ("normal", "support.function.distribution.nabla"),
                ("(", "punctuation.section.parens.nabla"),
                ("0", "constant.numeric.decimal.nabla"),
                (",", "punctuation.separator.comma.nabla"),
                ("1", "constant.numeric.decimal.nabla"),
                (")", "punctuation.section.parens.nabla"),
                (",", "punctuation.separator.comma.nabla"),
                ("b", "variable.other.declaration.nabla"),
                ("=", "keyword.operator.assignment.nabla"),
                ("-", "keyword.operator.arithmetic.nabla"),
                ("2", "constant.numeric.decimal.nabla"),
            ],
        ),
        (
            "sigmoid(z) = 1 / (1 + exp(-z))",
            &[
                ("sigmoid", "entity.name.function.nabla"),
                ("(", "punctuation.definition.parameters.begin.nabla"),
                ("z", "variable.parameter.nabla"),
                (")", "punctuation.definition.parameters.end.nabla"),
                ("=", "keyword.operator.assignment.nabla"),
                ("1", "constant.numeric.decimal.nabla"),
                ("/", "keyword.operator.arithmetic.nabla"),
                ("(", "punctuation.section.parens.nabla"),
                ("1", "constant.numeric.decimal.nabla"),
                ("+", "keyword.operator.arithmetic.nabla"),
                ("exp", "support.function.builtin.nabla"),
                ("(", "punctuation.section.parens.nabla"),
                ("-", "keyword.operator.arithmetic.nabla"),
                ("z", "variable.other.nabla"),
                (")", "punctuation.section.parens.nabla"),
                (")", "punctuation.section.parens.nabla"),
            ],
        ),
        (
            "check d(loss)/d(w) = sum(f * pi)",
            &[
                ("check", "keyword.control.statement.nabla"),
                ("d", "keyword.operator.derivative.nabla"),
                ("(", "punctuation.section.parens.nabla"),
                ("loss", "variable.other.nabla"),
                (")", "punctuation.section.parens.nabla"),
                ("/", "keyword.operator.arithmetic.nabla"),
                ("d", "keyword.operator.derivative.nabla"),
                ("(", "punctuation.section.parens.nabla"),
                ("w", "variable.other.nabla"),
                (")", "punctuation.section.parens.nabla"),
                ("=", "keyword.operator.assignment.nabla"),
                ("sum", "support.function.builtin.nabla"),
                ("(", "punctuation.section.parens.nabla"),
                ("f", "variable.other.nabla"),
                ("*", "keyword.operator.arithmetic.nabla"),
                ("pi", "constant.language.nabla"),
                (")", "punctuation.section.parens.nabla"),
            ],
        ),
        (
            "minimize loss wrt w by adam(rate = auto, epochs = 1e3)",
            &[
                ("minimize", "keyword.control.statement.nabla"),
                ("loss", "variable.other.nabla"),
                ("wrt", "keyword.other.nabla"),
                ("w", "variable.other.nabla"),
                ("by", "keyword.other.nabla"),
                ("adam", "support.function.method.nabla"),
                ("(", "punctuation.section.parens.nabla"),
                ("rate", "variable.parameter.option.nabla"),
                ("=", "keyword.operator.assignment.nabla"),
                ("auto", "constant.language.auto.nabla"),
                (",", "punctuation.separator.comma.nabla"),
                ("epochs", "variable.parameter.option.nabla"),
                ("=", "keyword.operator.assignment.nabla"),
                ("1e3", "constant.numeric.decimal.nabla"),
                (")", "punctuation.section.parens.nabla"),
            ],
        ),
        (
            r#"data x, y from "a \"b\".csv"; η = .5E-2"#,
            &[
                ("data", "keyword.control.statement.nabla"),
                ("x", "variable.other.nabla"),
                (",", "punctuation.separator.comma.nabla"),
                ("y", "variable.other.nabla"),
                ("from", "keyword.other.nabla"),
                ("\"", "punctuation.definition.string.begin.nabla"),
                ("a", "string.quoted.double.nabla"),
                ("\\\"", "constant.character.escape.nabla"),
                ("b", "string.quoted.double.nabla"),
                ("\\\"", "constant.character.escape.nabla"),
                (".csv", "string.quoted.double.nabla"),
                ("\"", "punctuation.definition.string.end.nabla"),
                (";", "punctuation.terminator.statement.nabla"),
                ("η", "entity.name.variable.nabla"),
                ("=", "keyword.operator.assignment.nabla"),
                (".5E-2", "constant.numeric.decimal.nabla"),
            ],
        ),
    ];
    for (line, expected) in cases {
        let got = highlighter.pieces(line);
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(t, s)| (t.to_string(), s.to_string()))
            .collect();
        assert_eq!(got, expected, "line {line:?}");
    }
    // The lines of examples/sigmoid.nabla itself.
    let sigmoid = read(&root().join("examples/sigmoid.nabla"));
    let lines: Vec<&str> = sigmoid.lines().collect();
    let loss_line = lines
        .iter()
        .find(|l| l.starts_with("loss ="))
        .expect("a loss line");
    let pieces = highlighter.pieces(loss_line);
    assert_eq!(
        pieces[0],
        ("loss".into(), "entity.name.variable.nabla".into())
    );
    assert_eq!(
        pieces[2],
        ("sum".into(), "support.function.builtin.nabla".into())
    );
    let minimize = lines
        .iter()
        .find(|l| l.starts_with("minimize"))
        .expect("a minimize line");
    assert!(
        highlighter
            .pieces(minimize)
            .contains(&("gd".into(), "support.function.method.nabla".into()))
    );
}

/// Every token of every example program gets the scope its lexer token calls for, and
/// every character outside a token (other than white space) is in a comment.
#[test]
fn grammar_agrees_with_the_lexer_on_every_example() {
    let highlighter = Highlighter::new();
    let keywords = lexer_keywords();
    let builtins = builtins();
    let mut checked = 0;
    for path in example_files() {
        let text = read(&path);
        let (lexemes, _) = lex(SourceId(0), &text);
        let mut line_start = 0;
        for line in text.split('\n') {
            let line_end = line_start + line.len();
            let scoped = highlighter.line(line);
            let scopes_at = |i: usize| -> Vec<&str> {
                scoped
                    .iter()
                    .filter(|s| s.start <= i && i < s.end)
                    .map(|s| s.scope.as_str())
                    .collect()
            };
            let on_line: Vec<(usize, &nabla::syntax::Lexeme)> = lexemes
                .iter()
                .enumerate()
                .filter(|(_, l)| {
                    (l.span.start as usize) >= line_start && (l.span.end as usize) <= line_end
                })
                .filter(|(_, l)| l.span.start < l.span.end && l.token != Token::Newline)
                .collect();
            let mut covered = vec![false; line.len()];
            for (index, lexeme) in on_line {
                let start = lexeme.span.start as usize - line_start;
                let end = lexeme.span.end as usize - line_start;
                covered[start..end].iter_mut().for_each(|c| *c = true);
                let word = &line[start..end];
                let next = lexemes.get(index + 1).map(|l| l.token);
                let previous = index.checked_sub(1).map(|i| lexemes[i].token);
                // A name that starts a statement is being defined (`sigmoid(z) = ...`).
                let defined = lexeme.token == Token::Name
                    && previous.is_none_or(|t| matches!(t, Token::Newline | Token::Semicolon));
                let want = expected_scope(lexeme.token, word, next, &keywords, &builtins)
                    .filter(|_| !defined);
                if let Some(want) = want {
                    let got = scopes_at(start);
                    assert!(
                        got.iter().any(|s| s.starts_with(want)),
                        "{}: `{word}` in {line:?} should be {want}, got {got:?}",
                        path.display()
                    );
                    checked += 1;
                }
            }
            for (i, c) in line.char_indices() {
                if !covered[i] && !c.is_whitespace() {
                    let got = scopes_at(i);
                    assert!(
                        got.iter().any(|s| s.starts_with("comment.")
                            || s.starts_with("punctuation.definition.comment")),
                        "{}: {c:?} at {i} in {line:?} is no token, so it must be a comment, got {got:?}",
                        path.display()
                    );
                }
            }
            line_start = line_end + 1;
        }
    }
    assert!(checked > 500, "only {checked} tokens checked");
}

/// The scope (prefix) that a lexer token must have, where the token decides it.
fn expected_scope(
    token: Token,
    word: &str,
    next: Option<Token>,
    keywords: &BTreeSet<String>,
    builtins: &BTreeSet<String>,
) -> Option<&'static str> {
    Some(match token {
        Token::Number => "constant.numeric",
        Token::String => "string.quoted.double",
        _ if keywords.contains(word) => "keyword.",
        Token::Plus | Token::Minus | Token::Star | Token::Slash | Token::Caret | Token::At => {
            "keyword.operator.arithmetic"
        }
        Token::DotDot => "keyword.operator.range",
        Token::LBrace | Token::RBrace => "punctuation.section.braces",
        Token::Tilde => "keyword.operator.distribution",
        Token::Name if word == "d" && next == Some(Token::LParen) => "keyword.operator.derivative",
        Token::Name if builtins.contains(word) && next == Some(Token::LParen) => {
            "support.function.builtin"
        }
        Token::Name
            if matches!(word, "pi" | "e")
                && next != Some(Token::LParen)
                && next != Some(Token::Equals) =>
        {
            "constant.language"
        }
        _ => return None,
    })
}

// ---- the VS Code extension (grammar/vscode/) ----

fn vscode(file: &str) -> Value {
    let path = root().join("grammar/vscode").join(file);
    serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"))
}

#[test]
fn the_vscode_extension_points_at_files_that_exist() {
    let package = vscode("package.json");
    let main = package["main"].as_str().expect("a `main` script");
    assert!(root().join("grammar/vscode").join(main).is_file(), "{main}");
    let client = &package["dependencies"]["vscode-languageclient"];
    assert!(client.is_string(), "the client library is a dependency");

    let language = &package["contributes"]["languages"][0];
    assert_eq!(language["id"], "nabla");
    assert_eq!(language["extensions"], serde_json::json!([".nabla"]));
    let configuration = language["configuration"].as_str().expect("a configuration");
    let configuration = vscode(configuration.trim_start_matches("./"));
    assert_eq!(configuration["comments"]["lineComment"], "#");
    let (lexemes, errors) = lex(SourceId(0), "# a comment\n");
    assert!(errors.is_empty() && lexemes.iter().all(|l| l.token != Token::Name));
    for pair in configuration["brackets"].as_array().expect("brackets") {
        let text = format!(
            "{}{}",
            pair[0].as_str().unwrap_or("?"),
            pair[1].as_str().unwrap_or("?")
        );
        let (_, errors) = lex(SourceId(0), &text);
        assert!(errors.is_empty(), "`{text}` are not nabla's brackets");
    }

    // The grammar is copied from grammar/nabla.tmLanguage.json by the build step
    // (no copy is checked in), under the path and scope the package declares.
    let declared = &package["contributes"]["grammars"][0];
    assert_eq!(declared["language"], "nabla");
    assert_eq!(declared["scopeName"], grammar()["scopeName"]);
    let copy = package["scripts"]["copy-grammar"]
        .as_str()
        .expect("a copy step");
    let target = declared["path"].as_str().expect("a grammar path");
    assert!(copy.contains("../nabla.tmLanguage.json"), "{copy}");
    assert!(
        copy.contains(target.trim_start_matches("./")),
        "{copy} writes {target}"
    );
    let prepublish = package["scripts"]["vscode:prepublish"]
        .as_str()
        .unwrap_or_default();
    assert!(
        prepublish.contains("copy-grammar"),
        "packaging copies the grammar"
    );
}
