//! Go to definition, find references, rename and document symbols: all read the
//! [`NameIndex`](super::names::NameIndex) of an analysis.

use super::analysis::Analysis;
use super::names::{Symbol, SymbolId, SymbolKind, Target};
use crate::syntax::{Token, lex};
use lsp_types::{DocumentSymbol, Location, Range, SymbolKind as LspSymbolKind, TextEdit, Uri};
use std::collections::HashMap;

/// Why a rename is refused; the server sends it as the error of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameRefused(pub String);

/// The declaration of the name at `offset`.
pub fn definition(analysis: &Analysis, offset: usize) -> Option<Location> {
    let id = symbol_at(analysis, offset)?;
    let span = analysis.names.symbols[id].declaration;
    Some(Location::new(analysis.uri.clone(), analysis.range(span)))
}

/// Every occurrence of the name at `offset`, its declaration only if asked for.
pub fn references(analysis: &Analysis, offset: usize, with_declaration: bool) -> Vec<Location> {
    let Some(id) = symbol_at(analysis, offset) else {
        return Vec::new();
    };
    analysis
        .names
        .occurrences_of(id)
        .filter(|o| with_declaration || !o.is_declaration)
        .map(|o| Location::new(analysis.uri.clone(), analysis.range(o.span)))
        .collect()
}

/// The range of the name at `offset` if it can be renamed (`prepareRename`).
pub fn prepare_rename(analysis: &Analysis, offset: usize) -> Result<Range, RenameRefused> {
    let occurrence = analysis.names.at(offset).ok_or_else(nothing_to_rename)?;
    let Target::Symbol(id) = occurrence.target else {
        return Err(RenameRefused("a built-in name cannot be renamed".into()));
    };
    renamable(&analysis.names.symbols[id])?;
    Ok(analysis.range(occurrence.span))
}

/// The edits that rename the name at `offset` to `new_name` everywhere.
pub fn rename(
    analysis: &Analysis,
    offset: usize,
    new_name: &str,
) -> Result<HashMap<Uri, Vec<TextEdit>>, RenameRefused> {
    prepare_rename(analysis, offset)?;
    let id = symbol_at(analysis, offset).ok_or_else(nothing_to_rename)?;
    check_new_name(analysis, id, new_name)?;
    let edits = analysis
        .names
        .occurrences_of(id)
        .map(|o| TextEdit::new(analysis.range(o.span), new_name.to_string()))
        .collect();
    Ok(HashMap::from([(analysis.uri.clone(), edits)]))
}

/// The file's declarations, in source order, a function's parameters under it.
pub fn document_symbols(analysis: &Analysis) -> Vec<DocumentSymbol> {
    let mut top: Vec<DocumentSymbol> = Vec::new();
    for symbol in &analysis.names.symbols {
        let entry = document_symbol(analysis, symbol);
        match symbol.kind {
            SymbolKind::FunctionParam => {
                if let Some(function) = top.iter_mut().rev().find(|s| s.range == entry.range) {
                    function.children.get_or_insert_with(Vec::new).push(entry);
                }
            }
            _ => top.push(entry),
        }
    }
    top
}

fn symbol_at(analysis: &Analysis, offset: usize) -> Option<SymbolId> {
    match analysis.names.at(offset)?.target {
        Target::Symbol(id) => Some(id),
        _ => None,
    }
}

fn nothing_to_rename() -> RenameRefused {
    RenameRefused("there is no name here to rename".into())
}

fn renamable(symbol: &Symbol) -> Result<(), RenameRefused> {
    match symbol.renamable {
        true => Ok(()),
        false => Err(RenameRefused(format!(
            "`{}` is the header of its CSV column; rename the column in the CSV file, or \
             select it as `{}[header]` under a new name",
            symbol.name, symbol.name
        ))),
    }
}

/// A new name must be one name token, not a keyword, and not a name already in scope.
fn check_new_name(analysis: &Analysis, id: SymbolId, new_name: &str) -> Result<(), RenameRefused> {
    let (lexemes, errors) = lex(analysis.source, new_name);
    let one_name = errors.is_empty()
        && matches!(lexemes.as_slice(), [l, eof] if l.token == Token::Name
            && eof.token == Token::Eof && l.span.range() == (0..new_name.len()));
    if !one_name || new_name == "d" {
        return Err(RenameRefused(format!("`{new_name}` is not a name")));
    }
    let symbol = &analysis.names.symbols[id];
    let taken_globally = analysis.names.global(new_name).is_some();
    let offset = symbol.declaration.start as usize;
    let taken_locally = analysis.names.locals_at(offset).any(|s| s.name == new_name);
    let builtin = super::builtins::function(new_name).is_some();
    if taken_globally || taken_locally || builtin {
        return Err(RenameRefused(format!(
            "`{new_name}` is already a name here"
        )));
    }
    Ok(())
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out to build one.
fn document_symbol(analysis: &Analysis, symbol: &Symbol) -> DocumentSymbol {
    let kind = match symbol.kind {
        SymbolKind::Param => LspSymbolKind::VARIABLE,
        SymbolKind::Data => LspSymbolKind::ARRAY,
        SymbolKind::Definition => LspSymbolKind::CONSTANT,
        SymbolKind::Function => LspSymbolKind::FUNCTION,
        SymbolKind::FunctionParam => LspSymbolKind::TYPE_PARAMETER,
    };
    DocumentSymbol {
        name: symbol.name.clone(),
        detail: Some(symbol.kind.word().to_string()),
        kind,
        tags: None,
        deprecated: None,
        range: analysis.range(symbol.statement),
        selection_range: analysis.range(symbol.declaration),
        children: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::analysis::analyze;

    fn analysis(text: &str) -> Analysis {
        analyze(&"untitled:n.nabla".parse().expect("a URI"), text.into())
    }

    #[test]
    fn rename_edits_every_occurrence_and_refuses_bad_names() {
        let a = analysis("param w = 1\nf(w) = w^2\nloss = f(w) + w\n");
        let offset = a.text.rfind('w').unwrap_or(0);
        let edits = rename(&a, offset, "θ").expect("renames");
        let lines: Vec<(u32, u32)> = edits[&a.uri]
            .iter()
            .map(|e| (e.range.start.line, e.range.start.character))
            .collect();
        // The param, and its two uses on the last line; not the function's own `w`.
        assert_eq!(lines, [(0, 6), (2, 9), (2, 14)]);
        for bad in ["2x", "param", "a b", "", "f", "sigmoid", "d"] {
            assert!(rename(&a, offset, bad).is_err(), "renamed to {bad:?}");
        }
        assert!(rename(&a, a.text.find("^").unwrap_or(0) + 1, "z").is_err());
    }

    #[test]
    fn symbols_nest_function_parameters() {
        let a = analysis("param w = 1\nf(a, b) = a*b\n");
        let symbols = document_symbols(&a);
        let names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["w", "f"]);
        let children = symbols[1].children.as_deref().unwrap_or_default();
        assert_eq!(children.len(), 2);
    }
}
