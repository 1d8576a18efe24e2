//! Every name of a parsed file, as written: what each occurrence refers to (a
//! declaration of the file, a function's parameter, or a built-in), from the AST's
//! spans. Go to definition, references, rename, hover and document symbols read it.
//!
//! The scope rules are the program's (SPEC 1.2): one namespace for the whole file, in
//! which every name is declared once and order does not matter, and a function's
//! parameters visible in its body only, where they hide the file's names. A name
//! declared twice refers to its first declaration, as lowering reports the second.
//! A name that resolves to nothing is left out: lowering reports it.

use super::builtins;
use crate::syntax::{Ast, ExprId, ExprKind, Ident, ParamInit, Span, Stmt, StmtKind};
use std::collections::HashMap;

/// What kind of thing a name declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// `param w = ...`
    Param,
    /// `data x = ...` or `data x from "file.csv"`.
    Data,
    /// `name = expr`
    Definition,
    /// `name(a, b) = expr`
    Function,
    /// A parameter of a function (`a` in `f(a) = ...`), visible in its body.
    FunctionParam,
}

impl SymbolKind {
    /// The word for it in a hover.
    pub fn word(self) -> &'static str {
        match self {
            SymbolKind::Param => "param",
            SymbolKind::Data => "data",
            SymbolKind::Definition => "definition",
            SymbolKind::Function => "function",
            SymbolKind::FunctionParam => "function parameter",
        }
    }
}

/// A name declared in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// The name.
    pub name: String,
    /// What it declares.
    pub kind: SymbolKind,
    /// Where the name is written in its declaration.
    pub declaration: Span,
    /// The whole statement that declares it.
    pub statement: Span,
    /// Whether renaming it keeps the program's meaning: not for a column of a CSV
    /// file that is looked up by this very name in the file's header.
    pub renamable: bool,
}

/// Index of a [`Symbol`] in [`NameIndex::symbols`].
pub type SymbolId = usize;

/// What one occurrence of a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A name of the file.
    Symbol(SymbolId),
    /// A built-in function, distribution or constant ([`builtins`]).
    Builtin(&'static str),
    /// A descent method after `by`.
    Method(&'static str),
    /// An option of a method (`rate` in `gd(rate = 0.1)`).
    MethodOption(&'static str),
}

/// One name written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Where it is written.
    pub span: Span,
    /// What it refers to.
    pub target: Target,
    /// Whether this is the declaration itself.
    pub is_declaration: bool,
}

/// The names of one file.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// The declared names, in source order (a function's parameters after it).
    pub symbols: Vec<Symbol>,
    /// Every occurrence, sorted by position.
    pub occurrences: Vec<Occurrence>,
    /// The file's names (not function parameters) by name: the first declaration.
    globals: HashMap<String, SymbolId>,
}

impl NameIndex {
    /// The names of `ast`.
    pub fn new(ast: &Ast) -> NameIndex {
        let mut index = NameIndex::default();
        for stmt in &ast.statements {
            index.declare_globals(stmt);
        }
        for stmt in &ast.statements {
            index.resolve_statement(ast, stmt);
        }
        index
            .occurrences
            .sort_by_key(|o| (o.span.start, o.span.end));
        index
    }

    /// The occurrence at byte `offset` (its end included, so a cursor just after a
    /// name finds it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        let offset = u32::try_from(offset).ok()?;
        let after = self.occurrences.partition_point(|o| o.span.start <= offset);
        self.occurrences[..after]
            .iter()
            .rev()
            .take(2)
            .find(|o| o.span.end >= offset)
    }

    /// Every occurrence of `symbol`, its declaration included.
    pub fn occurrences_of(&self, symbol: SymbolId) -> impl Iterator<Item = &Occurrence> {
        self.occurrences
            .iter()
            .filter(move |o| o.target == Target::Symbol(symbol))
    }

    /// The file's own name `name` (not a function parameter).
    pub fn global(&self, name: &str) -> Option<SymbolId> {
        self.globals.get(name).copied()
    }

    /// The parameters of the function whose statement covers `offset`, if any.
    pub fn locals_at(&self, offset: usize) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |s| {
            s.kind == SymbolKind::FunctionParam
                && (s.statement.start as usize..=s.statement.end as usize).contains(&offset)
        })
    }

    fn add_symbol(&mut self, ident: &Ident, kind: SymbolKind, stmt: &Stmt, renamable: bool) {
        let id = self.symbols.len();
        self.symbols.push(Symbol {
            name: ident.name.clone(),
            kind,
            declaration: ident.span,
            statement: stmt.span,
            renamable,
        });
        if kind != SymbolKind::FunctionParam {
            self.globals.entry(ident.name.clone()).or_insert(id);
        }
        self.occurrences.push(Occurrence {
            span: ident.span,
            target: Target::Symbol(id),
            is_declaration: true,
        });
    }

    fn declare_globals(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Param(decls) => {
                for decl in decls {
                    self.add_symbol(&decl.name, SymbolKind::Param, stmt, true);
                }
            }
            StmtKind::DataInline { name, .. } => {
                self.add_symbol(name, SymbolKind::Data, stmt, true);
            }
            StmtKind::DataFile { names, .. } => {
                for data in names {
                    let renamable = data.columns.is_some();
                    self.add_symbol(&data.name, SymbolKind::Data, stmt, renamable);
                }
            }
            StmtKind::Define { name, params, .. } => {
                let kind = match params {
                    Some(_) => SymbolKind::Function,
                    None => SymbolKind::Definition,
                };
                self.add_symbol(name, kind, stmt, true);
            }
            StmtKind::Check { .. } | StmtKind::Minimize { .. } | StmtKind::Expr(_) => {}
        }
    }

    fn resolve_statement(&mut self, ast: &Ast, stmt: &Stmt) {
        let mut locals: HashMap<&str, SymbolId> = HashMap::new();
        let roots: Vec<ExprId> = match &stmt.kind {
            StmtKind::Param(decls) => decls.iter().flat_map(|d| self.param_roots(d)).collect(),
            StmtKind::DataInline { values, .. } => vec![*values],
            StmtKind::DataFile { .. } => vec![],
            StmtKind::Define { params, body, .. } => {
                for param in params.iter().flatten() {
                    self.add_symbol(param, SymbolKind::FunctionParam, stmt, true);
                    locals.insert(&param.name, self.symbols.len() - 1);
                }
                vec![*body]
            }
            StmtKind::Check {
                derivative,
                expected,
            } => vec![*derivative, *expected],
            StmtKind::Minimize {
                objective,
                wrt,
                method,
            } => {
                for ident in wrt {
                    self.refer(ident, &locals);
                }
                if let Some(method) = method {
                    self.method(method);
                }
                let options = method
                    .iter()
                    .flat_map(|m| m.options.iter().map(|o| o.value));
                std::iter::once(*objective).chain(options).collect()
            }
            StmtKind::Expr(root) => vec![*root],
        };
        for root in roots {
            for id in ast.subtree(root) {
                self.resolve_expr(ast, id, &locals);
            }
        }
    }

    /// The expressions of one param's declaration (its start and its bounds); a
    /// distribution's name is an occurrence of a built-in.
    fn param_roots(&mut self, decl: &crate::syntax::ParamDecl) -> Vec<ExprId> {
        let mut roots = match &decl.init {
            ParamInit::Value(value) => vec![*value],
            ParamInit::Random { dist, args } => {
                self.builtin(dist);
                args.clone()
            }
        };
        if let Some(bounds) = &decl.bounds {
            roots.extend([bounds.lower, bounds.upper]);
        }
        roots
    }

    fn resolve_expr(&mut self, ast: &Ast, id: ExprId, locals: &HashMap<&str, SymbolId>) {
        let expr = ast.expr(id);
        match &expr.kind {
            ExprKind::Name(name) => {
                let ident = Ident {
                    name: name.clone(),
                    span: expr.span,
                };
                self.refer(&ident, locals);
            }
            ExprKind::Call { callee, .. } => self.refer(callee, locals),
            ExprKind::Derivative { wrt, .. } => self.refer(wrt, locals),
            _ => {}
        }
    }

    /// Records a use of `ident`: a function parameter, a name of the file, or a
    /// built-in, in that order (a file may define its own `e`).
    fn refer(&mut self, ident: &Ident, locals: &HashMap<&str, SymbolId>) {
        let found = locals
            .get(ident.name.as_str())
            .or(self.globals.get(&ident.name));
        match found {
            Some(&id) => self.occurrences.push(Occurrence {
                span: ident.span,
                target: Target::Symbol(id),
                is_declaration: false,
            }),
            None => self.builtin(ident),
        }
    }

    fn builtin(&mut self, ident: &Ident) {
        let function = builtins::function(&ident.name).map(|f| f.0);
        let constant = builtins::constant(&ident.name).map(|c| c.0);
        if let Some(name) = function.or(constant) {
            self.occurrences.push(Occurrence {
                span: ident.span,
                target: Target::Builtin(name),
                is_declaration: false,
            });
        }
    }

    fn method(&mut self, method: &crate::syntax::Method) {
        let known = crate::descent::METHODS
            .iter()
            .find(|m| **m == method.name.name);
        if let Some(name) = known {
            self.occurrences.push(Occurrence {
                span: method.name.span,
                target: Target::Method(name),
                is_declaration: false,
            });
        }
        let options = builtins::options_of(&method.name.name);
        for option in &method.options {
            if let Some(name) = options.iter().find(|o| **o == option.name.name) {
                self.occurrences.push(Occurrence {
                    span: option.name.span,
                    target: Target::MethodOption(name),
                    is_declaration: false,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{SourceId, parse};

    /// Each occurrence as `text@start -> target`, declarations marked with `!`.
    fn check(text: &str) -> Vec<String> {
        let (ast, _) = parse(SourceId(0), text);
        let index = NameIndex::new(&ast);
        let name = |t: Target| match t {
            Target::Symbol(id) => {
                let s = &index.symbols[id];
                format!("{}:{}@{}", s.kind.word(), s.name, s.declaration.start)
            }
            Target::Builtin(n) => format!("builtin:{n}"),
            Target::Method(n) => format!("method:{n}"),
            Target::MethodOption(n) => format!("option:{n}"),
        };
        index
            .occurrences
            .iter()
            .map(|o| {
                let mark = if o.is_declaration { "!" } else { "" };
                let written = &text[o.span.range()];
                format!("{mark}{written}@{} -> {}", o.span.start, name(o.target))
            })
            .collect()
    }

    #[test]
    fn function_parameters_hide_the_files_names() {
        let found = check("param x = 1\nf(x) = x * e\ny = f(x)\n");
        let expected = [
            "!x@6 -> param:x@6",
            "!f@12 -> function:f@12",
            "!x@14 -> function parameter:x@14",
            "x@19 -> function parameter:x@14",
            "e@23 -> builtin:e",
            "!y@25 -> definition:y@25",
            "f@29 -> function:f@12",
            "x@31 -> param:x@6",
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn minimize_check_and_derivatives_refer_to_names() {
        let text = "param w = 1\nloss = sigmoid(w)^2\ncheck d(loss)/d(w) = 2*w\n\
                    minimize loss wrt w by adam(rate = 0.1, beta1 = 0.8, nope = 1)\n";
        let found = check(text);
        assert!(found.contains(&"sigmoid@19 -> builtin:sigmoid".to_string()));
        assert!(
            found.contains(&"w@48 -> param:w@6".to_string()),
            "{found:?}"
        );
        assert!(found.contains(&"loss@66 -> definition:loss@12".to_string()));
        assert!(found.contains(&"w@75 -> param:w@6".to_string()));
        assert!(
            found.contains(&"adam@80 -> method:adam".to_string()),
            "{found:?}"
        );
        assert!(found.contains(&"beta1@97 -> option:beta1".to_string()));
        assert!(!found.iter().any(|o| o.starts_with("nope")));
    }

    #[test]
    fn the_occurrence_at_a_position_includes_its_end() {
        let (ast, _) = parse(SourceId(0), "param θ = 1\nloss = θ*θ\n");
        let index = NameIndex::new(&ast);
        let symbol = |offset| match index.at(offset).map(|o| o.target) {
            Some(Target::Symbol(id)) => Some(index.symbols[id].name.clone()),
            _ => None,
        };
        assert_eq!(symbol(6), Some("θ".into()));
        assert_eq!(symbol(8), Some("θ".into()));
        assert_eq!(symbol(13), Some("loss".into()));
        assert_eq!(symbol(9), None);
        assert_eq!(index.occurrences_of(0).count(), 3);
    }

    #[test]
    fn a_csv_column_keeps_its_header_name() {
        let (ast, _) = parse(SourceId(0), "data x, Y[a, b] from \"f.csv\"\n");
        let index = NameIndex::new(&ast);
        let renamable: Vec<bool> = index.symbols.iter().map(|s| s.renamable).collect();
        assert_eq!(renamable, [false, true]);
    }
}
