//! A whole program: names resolved, data loaded, params initialised, everything
//! lowered into one graph, checks and objectives found.
//!
//! [`Program::load`] reads a `.nabla` file (and the CSV files it names) and reports
//! every error of the file at once.

mod bounds;
mod data;
mod expr;
mod incremental;
mod lower;
mod names;
pub mod settings;
mod shaped;
mod statements;
mod symbols;

pub use bounds::INFINITY_NAME;
pub use data::{MAX_FILE_BYTES, read_source};
pub use incremental::{Forget, Incremental, Undo};
pub use lower::{Item, MAX_NODES, MAX_PARAMS, MAX_ROWS};
pub use names::suggest;

use crate::error::{Error, ErrorKind, Errors};
use crate::eval::{Bindings, Value};
use crate::graph::Item as ItemShape;
use crate::graph::{Graph, NodeId, VarId};
use crate::syntax::{Ident, Number, SourceId, Sources, Span};
use std::path::Path;

/// How to load a program.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Seed of the random initial values (`param w ~ normal(0, 1)`).
    pub seed: u64,
    /// Treat unknown names as free variables (for `eval -e`, `diff` and the REPL)
    /// instead of reporting them.
    pub free_names: bool,
    /// Allow bare expressions as statements (the REPL).
    pub allow_expressions: bool,
    /// Let a definition call a function that is not defined yet (the REPL, where a
    /// later input may define it): the definition waits for it instead of failing.
    pub forward_functions: bool,
}

/// A trainable param.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its variable.
    pub var: VarId,
    /// Its shape: scalar, `[K]` or `[M, K]`.
    pub item: ItemShape,
    /// Its initial value: its components, row-major (one for a scalar).
    pub values: Vec<f64>,
    /// `in [lo, hi]`: the box every component stays in (either end may be infinite);
    /// `None` when unbounded. lo <= hi, and `values` lie inside.
    pub bounds: Option<(f64, f64)>,
    /// Where it is declared.
    pub span: Span,
}

impl Param {
    /// The initial value of a scalar param (the first component of a shaped one).
    pub fn value(&self) -> f64 {
        self.values.first().copied().unwrap_or(f64::NAN)
    }

    /// The name of component `k`: `w` for a scalar, `w[2]`, `W[1,3]`.
    pub fn component_name(&self, k: usize) -> String {
        format!("{}{}", self.name, self.item.suffix(k))
    }
}

/// A data column.
#[derive(Debug, Clone, PartialEq)]
pub struct DataColumn {
    /// Its name.
    pub name: String,
    /// Its variable.
    pub var: VarId,
    /// The shape of each row's value: scalar, or `[K]` for `X[a, b, c]`.
    pub item: ItemShape,
    /// Its values, one per row; of a shaped column, each component's rows one after
    /// another (component-major).
    pub values: Vec<Number>,
    /// Where it is declared.
    pub span: Span,
}

/// A definition `name = expr` (functions are inlined and not listed).
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The name.
    pub name: String,
    /// Its node.
    pub node: NodeId,
    /// Where it is defined.
    pub span: Span,
}

/// A `check d(F)/d(P) = E` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// F as written.
    pub of_text: String,
    /// F's node.
    pub of: NodeId,
    /// P.
    pub wrt: VarId,
    /// The derivative of F by P, by AD.
    pub derivative: NodeId,
    /// The hand-derived E.
    pub expected: NodeId,
    /// The statement.
    pub span: Span,
}

/// The value of a descent option: a number, or a name such as `auto`.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A number.
    Number(f64),
    /// A name (`rate = auto`).
    Name(String),
}

/// A `minimize` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimize {
    /// The objective as written.
    pub name: String,
    /// The objective's node (a scalar).
    pub objective: NodeId,
    /// The params to move.
    pub wrt: Vec<VarId>,
    /// The method's name, if given.
    pub method: Option<Ident>,
    /// The method's options, in the order written.
    pub options: Vec<(Ident, OptionValue)>,
    /// The method and options, read and checked.
    pub settings: settings::Settings,
    /// The statement.
    pub span: Span,
}

/// A loaded program.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// The graph holding every expression of the program.
    pub graph: Graph,
    /// The params, in declaration order.
    pub params: Vec<Param>,
    /// The data columns, in declaration order.
    pub data: Vec<DataColumn>,
    /// The number of data rows (`None` when the program has no data).
    pub rows: Option<usize>,
    /// The definitions, in source order.
    pub definitions: Vec<Definition>,
    /// The checks, in source order.
    pub checks: Vec<Check>,
    /// The minimize statements, in source order.
    pub minimizes: Vec<Minimize>,
    /// Bare expressions (REPL only), in source order.
    pub expressions: Vec<(NodeId, Span)>,
    /// Warnings (a definition shadowing `e` or `pi`, ...).
    pub warnings: Vec<Error>,
}

/// The largest program text nabla lowers: parsing takes about 120 bytes of memory per
/// byte of text, and the graph about 130 per node; 4 MiB of `x+x+...` takes about
/// 450 MB (before the graph dropped its edge list, 1 GB). CSV files may be up to [`MAX_FILE_BYTES`].
pub const MAX_PROGRAM_BYTES: usize = 4 * 1024 * 1024;

impl Program {
    /// Reads and lowers the program in `path`; its text (and any CSV's) go into `sources`.
    /// The path `-` reads standard input, named `<stdin>`, with CSV paths relative to
    /// the current directory.
    pub fn load(
        sources: &mut Sources,
        path: &Path,
        options: &LoadOptions,
    ) -> Result<Program, Errors> {
        if path == Path::new("-") {
            let source = data::read_stdin(sources)?;
            return Program::from_source(sources, source, Path::new("."), options);
        }
        let shown = path.display().to_string();
        let source = read_source(sources, path, &shown, None)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Program::from_source(sources, source, base, options)
    }

    /// Lowers the source `source` of `sources`; CSV paths are relative to `base`.
    pub fn from_source(
        sources: &mut Sources,
        source: SourceId,
        base: &Path,
        options: &LoadOptions,
    ) -> Result<Program, Errors> {
        let (program, errors) = Program::lower_what_can_be(sources, source, base, options);
        if errors.0.is_empty() {
            Ok(program)
        } else {
            Err(errors)
        }
    }

    /// Lowers every statement of `source` that can be lowered and returns the program
    /// together with every error of the file (sorted by position), where
    /// [`Program::from_source`] returns only one of them. A statement with an error is
    /// left out of the program; the rest keep their values. This is the program of an
    /// editor ([`crate::lsp`]), where a file is half typed most of the time.
    pub fn lower_what_can_be(
        sources: &mut Sources,
        source: SourceId,
        base: &Path,
        options: &LoadOptions,
    ) -> (Program, Errors) {
        let size = sources.text(source).len();
        if size > MAX_PROGRAM_BYTES {
            let kind = ErrorKind::Limit {
                what: format!("the program ({size} bytes)"),
                limit: MAX_PROGRAM_BYTES,
            };
            let span = Span::new(source, 0, 0);
            return (
                Program::default(),
                Errors(vec![Error::new(kind, Some(span))]),
            );
        }
        let text = sources.text(source).to_string();
        let (ast, syntax_errors) = crate::syntax::parse(source, &text);
        Program::lower_parsed(sources, source, &ast, syntax_errors, base, options)
    }

    /// [`Program::lower_what_can_be`] of a source already parsed into `ast` with
    /// `syntax_errors` (so an editor that reads the AST too parses once).
    pub fn lower_parsed(
        sources: &mut Sources,
        source: SourceId,
        ast: &crate::syntax::Ast,
        syntax_errors: Vec<crate::syntax::SyntaxError>,
        base: &Path,
        options: &LoadOptions,
    ) -> (Program, Errors) {
        let text = sources.text(source).to_string();
        let mut errors: Vec<Error> = syntax_errors.into_iter().map(Error::from).collect();
        let program = lower::lower_program(sources, ast, &text, base, options, &mut errors);
        errors.sort_by_key(|e| e.span.map(|s| (s.source, s.start)));
        (program, Errors(errors))
    }

    /// The values of the params and data, ready for evaluation.
    pub fn bindings(&self) -> Bindings {
        let mut bindings = Bindings::new(self.rows.unwrap_or(1));
        for p in &self.params {
            let value = match p.item {
                ItemShape::Scalar => Value::Scalar(p.value()),
                item => Value::Shaped(item, p.values.iter().map(|&x| Value::Scalar(x)).collect()),
            };
            bindings.set(p.var, value);
        }
        for d in &self.data {
            let rows = |values: &[Number]| Value::Rows(values.iter().map(|n| n.value).collect());
            let value = match d.item {
                ItemShape::Scalar => rows(&d.values),
                item => {
                    let length = (d.values.len() / item.size()).max(1);
                    Value::Shaped(item, d.values.chunks(length).map(rows).collect())
                }
            };
            bindings.set(d.var, value);
        }
        bindings
    }

    /// The names of every component of `vars`, one after another: `b`, `w[1]`,
    /// `w[2]`, `W[1,1]` (the columns of a history, the entries of θ).
    pub fn component_names(&self, vars: &[VarId]) -> Vec<String> {
        let mut names = Vec::new();
        for &v in vars {
            let var = self.graph.var(v);
            names.extend(
                (0..var.item.size()).map(|k| format!("{}{}", var.name, var.item.suffix(k))),
            );
        }
        names
    }

    /// The number of components each of `vars` has (its item's size): the length of
    /// its stretch of a flat vector of values, as the descent moves them.
    pub fn sizes(&self, vars: &[VarId]) -> Vec<usize> {
        vars.iter()
            .map(|&v| self.graph.var(v).item.size())
            .collect()
    }

    /// The definition called `name`.
    pub fn definition(&self, name: &str) -> Option<&Definition> {
        self.definitions.iter().find(|d| d.name == name)
    }

    /// The initial values of `vars`, every component of each one after another (0s
    /// for one that is not a param), in one pass (asking [`Program::param`] for each
    /// of 100,000 params would be quadratic).
    pub fn param_values(&self, vars: &[VarId]) -> Vec<f64> {
        let by_var: std::collections::HashMap<VarId, &[f64]> = self
            .params
            .iter()
            .map(|p| (p.var, p.values.as_slice()))
            .collect();
        let mut values = Vec::with_capacity(vars.len());
        for (v, size) in vars.iter().zip(self.sizes(vars)) {
            match by_var.get(v) {
                Some(parts) => values.extend_from_slice(parts),
                None => values.extend(std::iter::repeat_n(0.0, size)),
            }
        }
        values
    }

    /// The bounds of every component of `vars`, laid out as [`Program::param_values`]
    /// lays out their values: `(lower, upper)`, `(-inf, inf)` where a var has none.
    pub fn param_bounds(&self, vars: &[VarId]) -> Vec<(f64, f64)> {
        let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
        let by_var: std::collections::HashMap<VarId, (f64, f64)> = self
            .params
            .iter()
            .map(|p| (p.var, p.bounds.unwrap_or(unbounded)))
            .collect();
        let mut bounds = Vec::with_capacity(vars.len());
        for (v, size) in vars.iter().zip(self.sizes(vars)) {
            let b = by_var.get(v).copied().unwrap_or(unbounded);
            bounds.extend(std::iter::repeat_n(b, size));
        }
        bounds
    }

    /// Every param's component with a value, named `w` or `w[2]`: the `moved` ones at
    /// `values` (flat, as [`Program::param_values`] lays them out), the others at their
    /// initial values, in declaration order.
    pub fn params_at(&self, moved: &[VarId], values: &[f64]) -> Vec<(String, f64)> {
        let mut at: std::collections::HashMap<VarId, &[f64]> = std::collections::HashMap::new();
        let mut rest = values;
        for (&var, size) in moved.iter().zip(self.sizes(moved)) {
            let (mine, others) = rest.split_at(size.min(rest.len()));
            at.insert(var, mine);
            rest = others;
        }
        let mut named = Vec::new();
        for p in &self.params {
            let current = at.get(&p.var).copied().unwrap_or(&p.values);
            for (k, &x) in current.iter().enumerate() {
                named.push((p.component_name(k), x));
            }
        }
        named
    }

    /// The param with this variable.
    pub fn param(&self, var: VarId) -> Option<&Param> {
        self.params.iter().find(|p| p.var == var)
    }
}
