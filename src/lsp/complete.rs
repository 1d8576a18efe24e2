//! Completion: what may be written at the cursor, read from nabla's own lexer over
//! the statement the cursor is in.
//!
//! - At the start of a statement: the keywords, as snippets (`minimize ${1:loss} by
//!   ${2|gd,...|}(rate = ...)`), and the file's names.
//! - After `by`: the descent methods, each a snippet with its default rate.
//! - Inside `by method(...)` where an option name goes: that method's options.
//! - After `~`: the distributions. After `wrt`: the params.
//! - Elsewhere: the names in scope (a function's parameters in its body), the
//!   built-in functions (as call snippets) and constants.
//!
//! Candidates are filtered by the word being typed: its first letter, then the others
//! in order (`sgm` finds `sigmoid`), so a file with 10,000 names sends only the few that fit.

use super::analysis::Analysis;
use super::builtins;
use super::names::SymbolKind;
use crate::descent::{METHODS, Method};
use crate::syntax::{Token, lex};
use lsp_types::{CompletionItem, CompletionItemKind, Documentation, InsertTextFormat};

/// The completions at byte `offset`; `snippets` when the client takes snippet syntax.
pub fn complete(analysis: &Analysis, offset: usize, snippets: bool) -> Vec<CompletionItem> {
    let offset = offset.min(analysis.text.len());
    let (context, word) = context_at(analysis, offset);
    let mut items = match context {
        Context::StatementStart => {
            let mut items = keywords(snippets);
            items.extend(names(analysis, offset, snippets));
            items
        }
        Context::Method => methods(snippets),
        Context::Options(method) => options(&method, snippets),
        Context::Distribution => distributions(snippets),
        Context::Params => names(analysis, offset, snippets)
            .into_iter()
            .filter(|i| i.detail.as_deref() == Some("param"))
            .collect(),
        Context::Expression => {
            let mut items = names(analysis, offset, snippets);
            items.extend(functions(snippets));
            items
        }
    };
    items.retain(|item| fits(&item.label, &word));
    items
}

/// What kind of thing goes at the cursor.
#[derive(Debug, Clone, PartialEq)]
enum Context {
    StatementStart,
    Method,
    Options(String),
    Distribution,
    Params,
    Expression,
}

/// The context of the cursor and the part of a name already typed before it.
fn context_at(analysis: &Analysis, offset: usize) -> (Context, String) {
    // Lex from the start of the last statement that parsed before the cursor: the
    // statement the cursor is in starts after the last statement end from there on.
    let from = analysis
        .ast
        .statements
        .iter()
        .map(|s| s.span.start as usize)
        .rfind(|&start| start <= offset)
        .unwrap_or(0);
    let text = analysis.text.get(from..offset).unwrap_or_default();
    let (lexemes, _) = lex(analysis.source, text);
    let mut tokens: Vec<(Token, &str)> = lexemes
        .iter()
        .filter(|l| l.token != Token::Eof)
        .map(|l| (l.token, text.get(l.span.range()).unwrap_or_default()))
        .collect();
    if let Some(end) = tokens
        .iter()
        .rposition(|(t, _)| matches!(t, Token::Newline | Token::Semicolon))
    {
        tokens.drain(..=end);
    }
    let typing = lexemes
        .iter()
        .rev()
        .find(|l| l.token != Token::Eof)
        .is_some_and(|l| l.span.end as usize == text.len() && is_wordlike(l.token));
    let word = match typing {
        true => tokens.pop().map(|(_, w)| w.to_string()).unwrap_or_default(),
        false => String::new(),
    };
    (classify(&tokens), word)
}

fn is_wordlike(token: Token) -> bool {
    matches!(
        token,
        Token::Name
            | Token::Param
            | Token::Data
            | Token::From
            | Token::Check
            | Token::Minimize
            | Token::By
            | Token::Wrt
            | Token::In
    )
}

/// The context after the tokens of the statement so far.
fn classify(tokens: &[(Token, &str)]) -> Context {
    let Some(&(last, _)) = tokens.last() else {
        return Context::StatementStart;
    };
    if last == Token::By {
        return Context::Method;
    }
    if last == Token::Tilde {
        return Context::Distribution;
    }
    if let Some(by) = tokens.iter().rposition(|(t, _)| *t == Token::By) {
        let after = &tokens[by + 1..];
        if let [(Token::Name, method), (Token::LParen, _), rest @ ..] = after {
            let open = depth(rest) == 0;
            let option_goes_here = matches!(last, Token::LParen | Token::Comma);
            if open && option_goes_here {
                return Context::Options(method.to_string());
            }
        }
        return Context::Expression;
    }
    let in_wrt = tokens.iter().any(|(t, _)| *t == Token::Wrt);
    if in_wrt && matches!(last, Token::Wrt | Token::Comma) {
        return Context::Params;
    }
    Context::Expression
}

/// The bracket depth of `tokens` (0 when every `(` opened in them is closed).
fn depth(tokens: &[(Token, &str)]) -> i64 {
    tokens.iter().fold(0, |d, (t, _)| match t {
        Token::LParen | Token::LBracket | Token::LBrace => d + 1,
        Token::RParen | Token::RBracket | Token::RBrace => d - 1,
        _ => d,
    })
}

/// Whether `label` starts with the first letter of `word` and holds the others in order.
fn fits(label: &str, word: &str) -> bool {
    let mut letters = label.chars();
    let mut wanted = word.chars();
    match wanted.next() {
        None => true,
        Some(first) => letters.next() == Some(first) && wanted.all(|w| letters.any(|l| l == w)),
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: &str, doc: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        documentation: (!doc.is_empty()).then(|| Documentation::String(doc.to_string())),
        ..CompletionItem::default()
    }
}

/// `item` inserting `snippet` (snippet syntax) where the client takes it, else `plain`.
fn with_snippet(
    mut item: CompletionItem,
    snippets: bool,
    snippet: &str,
    plain: &str,
) -> CompletionItem {
    if snippets {
        item.insert_text = Some(snippet.to_string());
        item.insert_text_format = Some(InsertTextFormat::SNIPPET);
    } else {
        item.insert_text = Some(plain.to_string());
    }
    item
}

fn keywords(snippets: bool) -> Vec<CompletionItem> {
    let methods = METHODS.join(",");
    let snippet_of = |keyword: &str| match keyword {
        "param" => "param ${1:w} = ${2:0}".to_string(),
        "data" => "data ${1:x} = [${2:0.5, 2.5}]".to_string(),
        "check" => "check d(${1:loss})/d(${2:w}) = ${0}".to_string(),
        "minimize" => format!("minimize ${{1:loss}} by ${{2|{methods}|}}(rate = ${{3:0.1}})"),
        other => other.to_string(),
    };
    let mut items: Vec<CompletionItem> = builtins::KEYWORDS
        .iter()
        .map(|(keyword, doc)| {
            let base = item(keyword, CompletionItemKind::KEYWORD, "keyword", doc);
            with_snippet(base, snippets, &snippet_of(keyword), keyword)
        })
        .collect();
    let from_csv = item(
        "data from",
        CompletionItemKind::SNIPPET,
        "keyword",
        "data columns read from a CSV file by their header names",
    );
    let csv = "data ${1:x}, ${2:y} from \"${3:points.csv}\"";
    items.push(with_snippet(
        from_csv,
        snippets,
        csv,
        "data x, y from \"points.csv\"",
    ));
    items
}

fn methods(snippets: bool) -> Vec<CompletionItem> {
    METHODS
        .iter()
        .map(|&name| {
            let doc = builtins::method_doc(name).unwrap_or_default();
            let rate = Method::named(name).map_or(0.1, |m| m.default_rate());
            let rate = crate::syntax::format_f64(rate);
            let base = item(name, CompletionItemKind::METHOD, "descent method", doc);
            let snippet = format!("{name}(rate = ${{1:{rate}}}, epochs = ${{2:1000}})");
            with_snippet(base, snippets, &snippet, name)
        })
        .collect()
}

fn options(method: &str, snippets: bool) -> Vec<CompletionItem> {
    builtins::options_of(method)
        .into_iter()
        .map(|name| {
            let doc = builtins::option_doc(name).unwrap_or_default();
            let base = item(name, CompletionItemKind::PROPERTY, "method option", doc);
            let snippet = format!("{name} = ${{1}}");
            with_snippet(base, snippets, &snippet, &format!("{name} = "))
        })
        .collect()
}

fn distributions(snippets: bool) -> Vec<CompletionItem> {
    [
        ("normal", "normal(${1:0}, ${2:1})"),
        ("uniform", "uniform(${1:-1}, ${2:1})"),
    ]
    .into_iter()
    .map(|(name, snippet)| {
        let doc = builtins::function(name).map_or("", |f| f.2);
        let base = item(name, CompletionItemKind::FUNCTION, "distribution", doc);
        with_snippet(base, snippets, snippet, name)
    })
    .collect()
}

fn functions(snippets: bool) -> Vec<CompletionItem> {
    let calls = builtins::FUNCTIONS
        .iter()
        .filter(|(name, _, _)| !matches!(*name, "normal" | "uniform"))
        .map(|(name, signature, doc)| {
            let base = item(name, CompletionItemKind::FUNCTION, signature, doc);
            with_snippet(base, snippets, &format!("{name}($1)"), name)
        });
    let constants = builtins::CONSTANTS
        .iter()
        .filter(|(name, _)| *name != "inf")
        .map(|(name, doc)| item(name, CompletionItemKind::CONSTANT, "constant", doc));
    calls.chain(constants).collect()
}

/// The file's names, and the parameters of a function whose body holds `offset`.
fn names(analysis: &Analysis, offset: usize, snippets: bool) -> Vec<CompletionItem> {
    let index = &analysis.names;
    let globals = index.symbols.iter().filter(|s| {
        s.kind != SymbolKind::FunctionParam
            && index
                .global(&s.name)
                .is_some_and(|id| index.symbols[id].declaration == s.declaration)
    });
    globals
        .chain(index.locals_at(offset))
        .map(|symbol| {
            let kind = match symbol.kind {
                SymbolKind::Function => CompletionItemKind::FUNCTION,
                _ => CompletionItemKind::VARIABLE,
            };
            let base = item(&symbol.name, kind, symbol.kind.word(), "");
            match symbol.kind {
                SymbolKind::Function => {
                    let call = format!("{}($1)", symbol.name);
                    with_snippet(base, snippets, &call, &symbol.name)
                }
                _ => base,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::analysis::analyze;

    /// The labels completed where `|` is in `text`.
    fn check(text: &str) -> Vec<String> {
        let offset = text.find('|').expect("a cursor");
        let text = text.replacen('|', "", 1);
        let uri = "untitled:complete.nabla".parse().expect("a URI");
        let analysis = analyze(&uri, text);
        let items = complete(&analysis, offset, true);
        items.into_iter().map(|i| i.label).collect()
    }

    #[test]
    fn after_by_come_the_methods() {
        let found = check("param w = 1\nminimize w^2 by |\n");
        assert_eq!(found, METHODS);
        assert_eq!(check("param w = 1\nminimize w^2 by ad|\n"), ["adam"]);
    }

    #[test]
    fn inside_the_method_come_its_options() {
        let found = check("param w = 1\nminimize w^2 by adam(rate = 0.1, |)\n");
        assert_eq!(
            found,
            [
                "beta1", "beta2", "eps", "rate", "epochs", "tol", "ftol", "batch"
            ]
        );
        let found = check("param w = 1\nminimize w^2 by momentum(\n  rate = 0.1,\n  be|");
        assert_eq!(found, ["beta"]);
    }

    #[test]
    fn expressions_complete_names_and_builtins() {
        let found = check("param w = 1, wide = 2\ndata x = [1]\nf = sig|");
        assert_eq!(found, ["sigmoid", "sign"]);
        let found = check("param w = 1, wide = 2\ndata x = [1]\nf = w|");
        assert_eq!(found, ["w", "wide"]);
        let found = check("g(alpha) = al|\nparam a = 1\n");
        assert_eq!(found, ["alpha"]);
    }

    #[test]
    fn a_statement_starts_with_a_keyword_snippet() {
        let found = check("param w = 1\nmin|");
        assert_eq!(found, ["minimize"]);
        let uri = "untitled:k.nabla".parse().expect("a URI");
        let analysis = analyze(&uri, "min".into());
        let items = complete(&analysis, 3, true);
        let snippet = items[0].insert_text.as_deref().unwrap_or_default();
        assert!(
            snippet.starts_with("minimize ${1:loss} by ${2|gd,momentum,"),
            "{snippet}"
        );
        assert_eq!(check("param w = 1, b = 2\nminimize w wrt w, |"), ["w", "b"]);
        assert_eq!(check("param w ~ |"), ["normal", "uniform"]);
    }
}
