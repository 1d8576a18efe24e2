//! Line editing support: tab completion of names, built-ins and commands (files after
//! `:load`), and the rule that keeps an input open over several lines.

use super::COMMANDS;
use crate::graph::Func;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

/// Names that are always there: built-in functions, constants and keywords.
const BUILTINS: [&str; 15] = [
    "max", "min", "pow", "pi", "e", "param", "data", "from", "check", "minimize", "by", "wrt",
    "in", "d", "sum",
];

/// The rustyline helper of the REPL: completes the session's names (kept up to date
/// with [`ReplHelper::set_names`]), built-ins and commands, and asks for another line
/// while [`is_incomplete`].
pub struct ReplHelper {
    names: Vec<String>,
    files: FilenameCompleter,
}

impl Default for ReplHelper {
    fn default() -> ReplHelper {
        ReplHelper::new()
    }
}

impl ReplHelper {
    /// A helper that knows only the built-ins.
    pub fn new() -> ReplHelper {
        ReplHelper {
            names: Vec::new(),
            files: FilenameCompleter::new(),
        }
    }

    /// Sets the session's names (params, data, definitions, functions).
    pub fn set_names(&mut self, names: Vec<String>) {
        self.names = names;
    }

    /// The completions of the word that ends at `pos`: (where it starts, candidates).
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == ':'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        let words: Vec<&str> = if word.starts_with(':') {
            COMMANDS.iter().map(|(name, _, _)| *name).collect()
        } else {
            let functions = Func::NAMED.iter().map(|(name, _)| *name);
            let session = self.names.iter().map(String::as_str);
            session.chain(functions).chain(BUILTINS).collect()
        };
        let mut found: Vec<String> = words
            .into_iter()
            .filter(|w| !word.is_empty() && w.starts_with(word))
            .map(str::to_string)
            .collect();
        found.sort();
        found.dedup();
        (start, found)
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.starts_with(":load ") && pos >= ":load ".len() {
            return self.files.complete(line, pos, ctx);
        }
        let (start, words) = self.candidates(line, pos);
        let pairs = words
            .into_iter()
            .map(|w| Pair {
                display: w.clone(),
                replacement: w,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        if is_incomplete(ctx.input()) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Helper for ReplHelper {}

/// Whether an input goes on over the next line: a `(` or `[` is still open, or the
/// last line ends in a binary operator, `,` or `=` (as in a file, SPEC 1.1). Strings
/// and comments are skipped; an unmatched `)` closes nothing (the parser reports it).
pub fn is_incomplete(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut last = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                continue;
            }
            '"' => skip_string(&mut chars),
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        if !c.is_whitespace() {
            last = Some(c);
        }
    }
    let open_ended = matches!(last, Some('+' | '-' | '*' | '/' | '^' | ',' | '='));
    depth > 0 || (depth == 0 && open_ended)
}

fn skip_string(chars: &mut std::str::Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => return,
            _ => {}
        }
    }
}
