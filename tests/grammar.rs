//! Keeps `grammar/nabla.ebnf`, its examples and the parser in step.
//!
//! - Every production of the grammar has an example `grammar/examples/<name>.nabla`,
//!   and every example parses with no error.
//! - Every example belongs to a production (no stale examples), and every CSV next to
//!   them is used by one.
//! - Every keyword and symbol the lexer knows appears quoted in the grammar, so a
//!   keyword cannot be added to the lexer without the grammar.
//! - The grammar itself is well formed: no undefined or unreachable production.
//! - Programs that the grammar forbids are errors, and the parser's precedence is the
//!   grammar's.

use nabla::syntax::{Ast, ExprId, SourceId, StmtKind, SyntaxError, Token, lex, line_col, parse};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The keywords of SPEC 1.1. The test also reads the lexer, so a keyword added there
/// is checked even before it is added here.
const SPEC_KEYWORDS: [&str; 8] = [
    "param", "data", "from", "check", "minimize", "by", "wrt", "in",
];

/// The start symbol, and the productions that are skipped between tokens rather than
/// reached from it.
const ROOTS: [&str; 3] = ["program", "comment", "whitespace"];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn grammar_path() -> PathBuf {
    manifest_dir().join("grammar").join("nabla.ebnf")
}

fn examples_dir() -> PathBuf {
    manifest_dir().join("grammar").join("examples")
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ---- a small EBNF reader ----

/// A token of the EBNF file.
#[derive(Debug, Clone, PartialEq)]
enum Ebnf {
    /// A production name.
    Ident(String),
    /// A quoted terminal, without its quotes.
    Terminal(String),
    /// A `? ... ?` special sequence.
    Special,
    /// One of `= ; | , - ( ) [ ] { }`.
    Punct(char),
}

/// Splits the grammar into tokens (with their line numbers), dropping `(* comments *)`.
fn tokenize(text: &str) -> Vec<(Ebnf, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Advances past `close`, counting lines; panics if the file ends first.
    let skip_to = |i: &mut usize, line: &mut usize, close: &[char], what: &str| {
        let start_line = *line;
        loop {
            if *i + close.len() > chars.len() {
                panic!("grammar/nabla.ebnf line {start_line}: unterminated {what}");
            }
            if chars[*i..*i + close.len()] == *close {
                *i += close.len();
                return;
            }
            if chars[*i] == '\n' {
                *line += 1;
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '(' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                skip_to(&mut i, &mut line, &['*', ')'], "comment");
            }
            '"' | '\'' => {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|&ch| ch == c || ch == '\n')
                    .map(|p| start + p)
                    .filter(|&e| chars[e] == c)
                    .unwrap_or_else(|| {
                        panic!("grammar/nabla.ebnf line {line}: unterminated terminal")
                    });
                let terminal: String = chars[start..end].iter().collect();
                assert!(
                    !terminal.is_empty(),
                    "grammar/nabla.ebnf line {line}: empty terminal"
                );
                tokens.push((Ebnf::Terminal(terminal), line));
                i = end + 1;
            }
            '?' => {
                let start_line = line;
                i += 1;
                skip_to(&mut i, &mut line, &['?'], "special sequence");
                tokens.push((Ebnf::Special, start_line));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                tokens.push((Ebnf::Ident(chars[start..i].iter().collect()), line));
            }
            '=' | ';' | '|' | ',' | '-' | '(' | ')' | '[' | ']' | '{' | '}' => {
                tokens.push((Ebnf::Punct(c), line));
                i += 1;
            }
            other => panic!("grammar/nabla.ebnf line {line}: unexpected character {other:?}"),
        }
    }
    tokens
}

/// One production: `name = rhs ;`.
#[derive(Debug)]
struct Production {
    name: String,
    line: usize,
    rhs: Vec<Ebnf>,
}

impl Production {
    fn references(&self) -> impl Iterator<Item = &str> {
        self.rhs.iter().filter_map(|t| match t {
            Ebnf::Ident(name) => Some(name.as_str()),
            _ => None,
        })
    }

    fn terminals(&self) -> impl Iterator<Item = &str> {
        self.rhs.iter().filter_map(|t| match t {
            Ebnf::Terminal(text) => Some(text.as_str()),
            _ => None,
        })
    }
}

/// The productions of `grammar/nabla.ebnf`, in order.
fn productions() -> Vec<Production> {
    let tokens = tokenize(&read(&grammar_path()));
    let mut productions = Vec::new();
    let mut rest = tokens.as_slice();
    while let Some(((first, line), tail)) = rest.split_first() {
        let Ebnf::Ident(name) = first else {
            panic!("grammar/nabla.ebnf line {line}: expected a production name, found {first:?}");
        };
        assert!(
            matches!(tail.first(), Some((Ebnf::Punct('='), _))),
            "grammar/nabla.ebnf line {line}: production `{name}` lacks `=` after its name"
        );
        let end = tail
            .iter()
            .position(|(t, _)| *t == Ebnf::Punct(';'))
            .unwrap_or_else(|| {
                panic!("grammar/nabla.ebnf line {line}: production `{name}` lacks its closing `;`")
            });
        let rhs: Vec<Ebnf> = tail[1..end].iter().map(|(t, _)| t.clone()).collect();
        assert!(
            !rhs.is_empty(),
            "grammar/nabla.ebnf line {line}: production `{name}` is empty"
        );
        productions.push(Production {
            name: name.clone(),
            line: *line,
            rhs,
        });
        rest = &tail[end + 1..];
    }
    assert!(
        !productions.is_empty(),
        "grammar/nabla.ebnf has no production"
    );
    productions
}

fn all_terminals(productions: &[Production]) -> BTreeSet<String> {
    productions
        .iter()
        .flat_map(|p| p.terminals().map(str::to_string))
        .collect()
}

// ---- parsing helpers ----

fn describe_errors(text: &str, errors: &[SyntaxError]) -> String {
    errors
        .iter()
        .map(|e| {
            let at = line_col(text, e.span.start as usize);
            format!("    {}:{}: {e}", at.line, at.column)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- the grammar itself ----

#[test]
fn grammar_is_well_formed() {
    let productions = productions();
    let mut problems = Vec::new();
    let mut defined: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &productions {
        let snake = p.name.starts_with(|c: char| c.is_ascii_lowercase())
            && p.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake {
            problems.push(format!(
                "line {}: production `{}` is not lowercase snake_case",
                p.line, p.name
            ));
        }
        if let Some(first) = defined.insert(&p.name, p.line) {
            problems.push(format!(
                "line {}: production `{}` is defined again (first on line {first})",
                p.line, p.name
            ));
        }
        let mut depth: Vec<char> = Vec::new();
        for token in &p.rhs {
            match token {
                Ebnf::Punct(open @ ('(' | '[' | '{')) => depth.push(*open),
                Ebnf::Punct(close @ (')' | ']' | '}')) => {
                    let want = match close {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if depth.pop() != Some(want) {
                        problems.push(format!(
                            "line {}: production `{}` has an unmatched `{close}`",
                            p.line, p.name
                        ));
                    }
                }
                Ebnf::Punct('=') => problems.push(format!(
                    "line {}: production `{}` has a `=` in its body (missing `;` before?)",
                    p.line, p.name
                )),
                _ => {}
            }
        }
        if !depth.is_empty() {
            problems.push(format!(
                "line {}: production `{}` has an unclosed bracket",
                p.line, p.name
            ));
        }
    }
    for p in &productions {
        for reference in p.references() {
            if !defined.contains_key(reference) {
                problems.push(format!(
                    "line {}: production `{}` uses `{reference}`, which is not defined",
                    p.line, p.name
                ));
            }
        }
    }
    for root in ROOTS {
        if !defined.contains_key(root) {
            problems.push(format!("the grammar lacks the production `{root}`"));
        }
    }
    let by_name: BTreeMap<&str, &Production> =
        productions.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = ROOTS.to_vec();
    while let Some(name) = todo.pop() {
        if reached.insert(name)
            && let Some(p) = by_name.get(name)
        {
            todo.extend(p.references());
        }
    }
    for p in &productions {
        if !reached.contains(p.name.as_str()) {
            problems.push(format!(
                "line {}: production `{}` is not reachable from `program`",
                p.line, p.name
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "grammar/nabla.ebnf is not well formed:\n  {}",
        problems.join("\n  ")
    );
}

// ---- productions and examples ----

#[test]
fn every_production_has_an_example_that_parses() {
    let productions = productions();
    let mut problems = Vec::new();
    for p in &productions {
        let path = examples_dir().join(format!("{}.nabla", p.name));
        let Ok(text) = std::fs::read_to_string(&path) else {
            problems.push(format!(
                "production `{}` (grammar/nabla.ebnf line {}) has no example grammar/examples/{}.nabla",
                p.name, p.line, p.name
            ));
            continue;
        };
        if text.trim().is_empty() {
            problems.push(format!(
                "grammar/examples/{}.nabla (production `{}`) is empty",
                p.name, p.name
            ));
            continue;
        }
        let (ast, errors) = parse(SourceId(0), &text);
        if !errors.is_empty() {
            problems.push(format!(
                "grammar/examples/{}.nabla (production `{}`) does not parse:\n{}",
                p.name,
                p.name,
                describe_errors(&text, &errors)
            ));
        } else if ast.statements.is_empty() {
            problems.push(format!(
                "grammar/examples/{}.nabla (production `{}`) has no statement",
                p.name, p.name
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with the grammar examples:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_example_belongs_to_a_production() {
    let names: BTreeSet<String> = productions().into_iter().map(|p| p.name).collect();
    let mut problems = Vec::new();
    let mut csv_files = BTreeSet::new();
    let mut examples = Vec::new();
    let entries = std::fs::read_dir(examples_dir())
        .unwrap_or_else(|e| panic!("cannot list grammar/examples: {e}"));
    for entry in entries {
        let entry = entry.expect("a directory entry of grammar/examples");
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = file.strip_suffix(".nabla") {
            if names.contains(stem) {
                examples.push(read(&entry.path()));
            } else {
                problems.push(format!(
                    "grammar/examples/{file} is stale: grammar/nabla.ebnf has no production `{stem}`"
                ));
            }
        } else if file.ends_with(".csv") {
            csv_files.insert(file);
        } else {
            problems.push(format!(
                "grammar/examples/{file} is neither an example (.nabla) nor its data (.csv)"
            ));
        }
    }
    for csv in &csv_files {
        if !examples
            .iter()
            .any(|text| text.contains(&format!("\"{csv}\"")))
        {
            problems.push(format!(
                "grammar/examples/{csv} is stale: no example reads it with `from \"{csv}\"`"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- the lexer's vocabulary ----

/// The literal tokens of the lexer, read from its `#[token("...")]` attributes.
fn lexer_literals() -> Vec<String> {
    let source = read(&manifest_dir().join("src").join("syntax").join("token.rs"));
    let marker = "#[token(\"";
    let mut literals = Vec::new();
    for (start, _) in source.match_indices(marker) {
        let rest = &source[start + marker.len()..];
        let end = rest
            .find("\")")
            .expect("a #[token(\"...\")] attribute in src/syntax/token.rs");
        literals.push(rest[..end].replace("\\\\", "\\"));
    }
    literals
}

#[test]
fn every_lexer_keyword_and_symbol_is_in_the_grammar() {
    let productions = productions();
    let terminals = all_terminals(&productions);
    let literals = lexer_literals();
    let lexer_keywords: BTreeSet<String> = literals
        .iter()
        .filter(|l| l.chars().all(|c| c.is_alphabetic()))
        .cloned()
        .collect();
    let mut problems = Vec::new();

    // The reading of token.rs found at least the keywords of SPEC 1.1, and each of
    // them is really a keyword token, not a name.
    for keyword in SPEC_KEYWORDS {
        if !lexer_keywords.contains(keyword) {
            problems.push(format!(
                "SPEC keyword `{keyword}` is not a #[token] of src/syntax/token.rs"
            ));
        }
        let (lexemes, errors) = lex(SourceId(0), keyword);
        let first = lexemes.first().map(|l| l.token);
        if !errors.is_empty() || matches!(first, None | Some(Token::Name) | Some(Token::Eof)) {
            problems.push(format!(
                "`{keyword}` does not lex as a keyword token (found {first:?})"
            ));
        }
    }

    // Every keyword of the lexer is a quoted terminal of the grammar, and the
    // `keyword` production lists exactly the lexer's keywords.
    for keyword in &lexer_keywords {
        if !terminals.contains(keyword) {
            problems.push(format!(
                "the lexer keyword `{keyword}` does not appear quoted in grammar/nabla.ebnf"
            ));
        }
    }
    match productions.iter().find(|p| p.name == "keyword") {
        Some(p) => {
            let listed: BTreeSet<String> = p.terminals().map(str::to_string).collect();
            if listed != lexer_keywords {
                problems.push(format!(
                    "production `keyword` lists {listed:?}, but the lexer's keywords are {lexer_keywords:?}"
                ));
            }
        }
        None => problems.push("grammar/nabla.ebnf has no production `keyword`".into()),
    }

    // Every symbol of the lexer (except the line feed, a special sequence in
    // `newline`) is a quoted terminal too.
    for symbol in literals.iter().filter(|l| !lexer_keywords.contains(*l)) {
        if symbol != "\\n" && !terminals.contains(symbol) {
            problems.push(format!(
                "the lexer token `{symbol}` does not appear quoted in grammar/nabla.ebnf"
            ));
        }
    }

    // The grammar does not invent words: a quoted word of two letters or more is a
    // keyword of the lexer.
    for terminal in &terminals {
        let word = terminal.chars().count() > 1 && terminal.chars().all(|c| c.is_alphabetic());
        if word && !lexer_keywords.contains(terminal) {
            problems.push(format!(
                "grammar/nabla.ebnf quotes the word `{terminal}`, which the lexer does not know as a keyword"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- what the grammar forbids ----

#[test]
fn programs_the_grammar_forbids_are_errors() {
    let forbidden = [
        ("f = 2x", "implicit multiplication"),
        ("f = 2 (1 + 1)", "implicit multiplication with a bracket"),
        ("x = 1\nf = (x)(x)", "two parenthesised atoms side by side"),
        ("param w", "a param without `=` or `~`"),
        ("param w = 1,", "a trailing comma in a param statement"),
        ("param w ~ normal", "a distribution without arguments"),
        ("param = 3", "a param statement without a name"),
        (
            "check loss = 1",
            "a check of something that is not a derivative",
        ),
        ("check d(loss)/d(w) + 1 = 1", "a check of a sum"),
        ("check d(loss)/d(w)", "a check without `=`"),
        ("f = (1 + 2", "an unclosed parenthesis"),
        ("f = [1, 2", "an unclosed bracket"),
        ("f = (1 + 2))", "an extra closing parenthesis"),
        ("f = 1 +", "a missing operand"),
        ("f = 2 ^", "a missing exponent"),
        ("f = * 2", "a binary operator without left operand"),
        ("f = 1 2", "two numbers side by side"),
        ("f = d(x)", "a derivative without denominator"),
        ("f = d(x)/w", "a derivative with a bad denominator"),
        ("f = d(x)/d(2)", "a derivative by a number"),
        ("f(1) = 2", "a function with a number as parameter"),
        ("f(a,) = a", "a trailing comma in a function header"),
        ("f = 1 = 2", "two `=` in a definition"),
        ("data x from points.csv", "an unquoted file name"),
        (
            "data x = [1], y = [2]",
            "two inline columns in one statement",
        ),
        ("data x, y = [1]", "inline values for two columns"),
        ("data x from \"points.csv", "an unterminated string"),
        ("f = \"text\"", "a string outside `data ... from`"),
        ("minimize", "minimize without objective"),
        ("minimize loss wrt", "wrt without names"),
        ("minimize loss by", "by without method"),
        ("minimize loss by gd(rate)", "an option without value"),
        ("minimize loss by gd wrt w", "`by` before `wrt`"),
        ("minimize loss by gd(1)", "a positional option"),
        ("from = 1", "a keyword used as a name"),
        ("wrt", "a keyword alone"),
        ("f = a $ b", "a character that starts no token"),
        ("f = 1e999", "a literal that overflows f64"),
        ("f = 1.2.3", "a malformed number"),
        ("param w\n= 1", "a newline before `=` ends the statement"),
        ("param w[0] = 1", "a zero size"),
        ("param w[1.5] = 1", "a fractional size"),
        ("param w[-1] = 1", "a negative size"),
        ("param w[n] = 1", "a size that is a name"),
        ("param w[2, 2, 2] = 1", "three dimensions"),
        ("param w[] = 1", "an empty shape"),
        ("param w[1000000000] = 1", "a size beyond 10^8"),
        ("f = {}", "empty braces"),
        ("f = {1, 2", "an unclosed brace"),
        ("f = v[0]", "an index 0"),
        ("f = v[i]", "an index that is a name"),
        ("f = A[1, 2, 3]", "three indices"),
        ("f = d(F)/d(w[0])", "a derivative by component 0"),
        ("f = a @", "a matrix product without right operand"),
        ("data X[] from \"a.csv\"", "an empty column list"),
        ("data X[a..] from \"a.csv\"", "an open header range"),
        ("data X[a] = [1]", "inline data with a column list"),
        ("f = a..b", "a range outside a column list"),
    ];
    let mut problems = Vec::new();
    for (text, why) in forbidden {
        let (_, errors) = parse(SourceId(0), text);
        if errors.is_empty() {
            problems.push(format!("{text:?} ({why}) parsed without error"));
        }
    }
    assert!(
        problems.is_empty(),
        "programs the grammar forbids were accepted:\n{}",
        problems.join("\n")
    );
}

// ---- precedence and associativity ----

/// The body of the single definition `z = <expr>`, as an S-expression.
fn shape(expr: &str) -> String {
    let text = format!("z = {expr}");
    let (ast, errors): (Ast, _) = parse(SourceId(0), &text);
    assert!(
        errors.is_empty(),
        "{text:?} should parse:\n{}",
        describe_errors(&text, &errors)
    );
    let body: ExprId = match ast.statements.as_slice() {
        [stmt] => match &stmt.kind {
            StmtKind::Define { body, .. } => *body,
            other => panic!("{text:?} should be a definition, is {other:?}"),
        },
        other => panic!("{text:?} should be one statement, is {}", other.len()),
    };
    ast.sexpr(body)
}

#[test]
fn precedence_is_the_grammars() {
    let cases = [
        ("1 + 2 - 3", "(- (+ 1 2) 3)"),
        ("1 - 2 * 3", "(- 1 (* 2 3))"),
        ("8 / 2 / 2", "(/ (/ 8 2) 2)"),
        ("-x * y", "(* (neg x) y)"),
        ("-x^2", "(neg (^ x 2))"),
        ("2^-1", "(^ 2 (neg 1))"),
        ("2^-x^2", "(^ 2 (neg (^ x 2)))"),
        ("2^-x * 3", "(* (^ 2 (neg x)) 3)"),
        ("2^3^2", "(^ 2 (^ 3 2))"),
        ("(-x)^2", "(^ (neg x) 2)"),
        ("a * -b", "(* a (neg b))"),
        ("a - -b", "(- a (neg b))"),
        ("--x", "(neg (neg x))"),
        ("d(x^2)/d(x)^2", "(^ (d (^ x 2) x) 2)"),
        ("d(d(f)/d(w))/d(w)", "(d (d f w) w)"),
        ("f(a, b,) + [1, 2,]", "(+ (f a b) [1 2])"),
        ("1 +\n  2", "(+ 1 2)"),
        ("a @ b * c", "(* (@ a b) c)"),
        ("a + b @ c", "(+ a (@ b c))"),
        ("a @ b @ c", "(@ (@ a b) c)"),
        ("-a @ b", "(@ (neg a) b)"),
        ("v[2]^2", "(^ (index v 2) 2)"),
        ("-v[1]", "(neg (index v 1))"),
        ("2^v[1]", "(^ 2 (index v 1))"),
        ("f(x)[1, 2]", "(index (f x) 1 2)"),
        ("(a + b)[1]", "(index (+ a b) 1)"),
        ("{1, {2, 3},}", "{1 {2 3}}"),
        ("{a,\n b}", "{a b}"),
        ("d(F)/d(W[1, 2])", "(d F W[1,2])"),
    ];
    let mut problems = Vec::new();
    for (expr, want) in cases {
        let got = shape(expr);
        if got != want {
            problems.push(format!("{expr:?} parsed as {got}, the grammar says {want}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
