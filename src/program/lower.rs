//! Lowering: AST statements to graph nodes, in dependency order.
//!
//! Expressions are lowered by walking their arena range in order (children first), so
//! no expression nests the Rust stack. A user function is lowered once, with its
//! parameters as private free variables, and each call substitutes the arguments.

use super::symbols::Symbols;
use super::{DataColumn, LoadOptions, Param, Program};
use crate::error::{Error, ErrorKind};
use crate::eval::{Bindings, Value, evaluate_one, is_constant};
use crate::graph::{BinOp, GraphFull, NodeId, Op, VarId, VarKind};
use crate::syntax::{
    Ast, ExprId, ExprKind, Ident, Number, ParamInit, Sources, Span, Stmt, StmtKind, format_f64,
};
use rand::SeedableRng;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// What a name stands for while lowering.
#[derive(Debug, Clone)]
pub(super) enum Symbol {
    /// A param, data column or lowered definition.
    Value(NodeId),
    /// A user function: its parameters (private variables) and body.
    Function(Vec<VarId>, NodeId),
    /// A definition not lowered because of an error (already reported).
    Failed,
    /// A REPL definition that calls a function not defined yet (the name): it is
    /// lowered again once that function is defined, and is an error where it is used.
    Pending(String),
}

/// One statement to lower, with the parsed source it comes from. A file is one item
/// per statement; a REPL input adds its statements and those it makes stale.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    /// The parsed source.
    pub ast: &'a Ast,
    /// Its text.
    pub text: &'a str,
    /// The statement (a `param` statement may keep only some of its declarations).
    pub stmt: Cow<'a, Stmt>,
}

/// Inlined calls by (function body, argument nodes). A body node stands for one
/// function: its parameters are private variables, fresh for each function lowered.
pub(super) type Calls = HashMap<(NodeId, Vec<NodeId>), NodeId, foldhash::fast::RandomState>;

/// What lowering keeps from one input to the next (a REPL session lowers input by
/// input into one program).
#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) program: Program,
    pub(super) symbols: Symbols,
    pub(super) rows: Option<(usize, String, Span)>,
    pub(super) calls: Calls,
    pub(super) rng: rand_chacha::ChaCha8Rng,
}

impl State {
    /// The state before any statement, random initial values drawn from `seed`.
    pub(super) fn new(seed: u64) -> State {
        State {
            program: Program::default(),
            symbols: Symbols::default(),
            rows: None,
            calls: Calls::default(),
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(seed),
        }
    }
}

/// Built-in functions of two arguments.
pub(super) const BINARY_BUILTINS: [(&str, BinOp); 3] = [
    ("max", BinOp::Max),
    ("min", BinOp::Min),
    ("pow", BinOp::Pow),
];

/// The state of lowering one source; its methods are split over `lower.rs` (data,
/// params), `statements.rs` (definitions, checks, minimize) and `expr.rs`.
pub(super) struct Lowerer<'a> {
    /// The statements to lower.
    items: &'a [Item<'a>],
    /// The source of the statement being lowered.
    pub(super) ast: &'a Ast,
    pub(super) text: &'a str,
    pub(super) program: Program,
    pub(super) symbols: Symbols,
    pub(super) rows: Option<(usize, String, Span)>,
    pub(super) free_names: bool,
    /// Whether a definition may call a function not defined yet (the REPL).
    pub(super) forward_functions: bool,
    /// The function not defined yet that the definition being lowered needs, and
    /// where it is called.
    pub(super) pending: Option<(String, Span)>,
    /// Whether a definition's body is being lowered (not a statement's expression).
    pub(super) in_definition: bool,
    pub(super) errors: Vec<Error>,
    /// Inlined calls: a repeated call is one lookup.
    pub(super) calls: Calls,
    rng: rand_chacha::ChaCha8Rng,
    /// The statement being lowered (``the definition `f3` ``), for limit errors.
    pub(super) statement: String,
    /// Whether the graph filled up (reported once; later statements fail quietly).
    pub(super) graph_full: bool,
}

pub(super) fn lower_program(
    sources: &mut Sources,
    ast: &Ast,
    text: &str,
    base: &Path,
    options: &LoadOptions,
    errors: &mut Vec<Error>,
) -> Program {
    let items: Vec<Item> = ast
        .statements
        .iter()
        .map(|stmt| Item {
            ast,
            text,
            stmt: Cow::Borrowed(stmt),
        })
        .collect();
    let mut state = State::new(options.seed);
    state.program.graph.reserve(ast.exprs.len());
    for name in &ast.broken_names {
        let span = Span::default();
        state.symbols.insert(name.clone(), (Symbol::Failed, span));
    }
    let mut program = lower_items(state, &items, sources, base, options, errors).program;
    // Definitions were lowered in dependency order; report them in source order.
    program.definitions.sort_by_key(|d| d.span.start);
    program
}

/// Lowers `items` on top of `state` (what earlier inputs declared) and returns the new
/// state; the errors are appended to `errors`.
pub(super) fn lower_items(
    state: State,
    items: &[Item],
    sources: &mut Sources,
    base: &Path,
    options: &LoadOptions,
    errors: &mut Vec<Error>,
) -> State {
    let Some(first) = items.first() else {
        return state;
    };
    let mut lowerer = Lowerer {
        items,
        ast: first.ast,
        text: first.text,
        program: state.program,
        symbols: state.symbols,
        rows: state.rows,
        free_names: options.free_names,
        forward_functions: options.forward_functions,
        pending: None,
        in_definition: false,
        errors: Vec::new(),
        calls: state.calls,
        rng: state.rng,
        statement: String::new(),
        graph_full: false,
    };
    lowerer.declare_data(sources, base);
    lowerer.declare_params();
    lowerer.lower_definitions();
    lowerer.lower_statements(options.allow_expressions);
    lowerer.program.rows = lowerer.rows.as_ref().map(|r| r.0);
    lowerer.check_limits();
    errors.append(&mut lowerer.errors);
    State {
        program: lowerer.program,
        symbols: lowerer.symbols,
        rows: lowerer.rows,
        calls: lowerer.calls,
        rng: lowerer.rng,
    }
}

/// The most params a program may declare (a descent moves them all every epoch).
pub const MAX_PARAMS: usize = 100_000;
/// The most data rows (a 512 MiB CSV file of one short column could hold more).
pub const MAX_ROWS: usize = 10_000_000;
pub use crate::graph::MAX_NODES;

impl<'a> Lowerer<'a> {
    /// The statements to lower, each made current (its source) as it is visited.
    pub(super) fn items(&self) -> &'a [Item<'a>] {
        self.items
    }

    /// Makes `item`'s source the one spans and slices refer to.
    pub(super) fn enter(&mut self, item: &Item<'a>) {
        self.ast = item.ast;
        self.text = item.text;
    }

    /// The stated limits on params, rows and graph nodes: beyond them the time and
    /// memory of every later stage would grow past what a person waits for.
    fn check_limits(&mut self) {
        let limit = |what: String, limit: usize| ErrorKind::Limit { what, limit };
        if let Some(p) = self.program.params.get(MAX_PARAMS) {
            let what = format!("the number of params ({})", self.program.params.len());
            let span = p.span;
            self.error(limit(what, MAX_PARAMS), span);
        }
        if let Some(rows) = self.program.rows.filter(|&r| r > MAX_ROWS) {
            let span = self
                .program
                .data
                .first()
                .map(|d| d.span)
                .unwrap_or_default();
            self.error(
                limit(format!("the number of data rows ({rows})"), MAX_ROWS),
                span,
            );
        }
    }

    /// Reports (once) that the graph filled up while lowering `what` of the current
    /// statement.
    pub(super) fn graph_full<T>(&mut self, full: GraphFull, what: String, span: Span) -> Option<T> {
        if !self.graph_full {
            self.graph_full = true;
            let what = format!("{what} in {}", self.statement);
            self.errors.push(Error::graph_full(full, what, Some(span)));
        }
        None
    }

    pub(super) fn error(&mut self, kind: ErrorKind, span: Span) {
        self.errors.push(Error::new(kind, Some(span)));
    }

    pub(super) fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// Records a new name, or reports that it is taken.
    pub(super) fn declare(&mut self, name: &Ident, symbol: Symbol) -> bool {
        if let Some((_, first)) = self.symbols.get(&name.name)
            && *first != Span::default()
        {
            let error = Error::new(
                ErrorKind::Duplicate {
                    name: name.name.clone(),
                },
                Some(name.span),
            )
            .with_label(*first, "first defined here");
            self.errors.push(error);
            return false;
        }
        if matches!(name.name.as_str(), "e" | "pi") && name.span != Span::default() {
            let kind = ErrorKind::Usage(format!("`{}` shadows the built-in constant", name.name));
            self.program
                .warnings
                .push(Error::new(kind, Some(name.span)));
        }
        self.symbols.insert(name.name.clone(), (symbol, name.span));
        true
    }

    /// Checks a column's length against the row count, or sets the row count.
    pub(super) fn check_rows(&mut self, name: &str, len: usize, span: Span) -> bool {
        match &self.rows {
            None => {
                self.rows = Some((len, name.to_string(), span));
                true
            }
            Some((n, _, _)) if *n == len => true,
            Some((n, first, first_span)) => {
                let error = Error::new(
                    ErrorKind::LengthMismatch {
                        first: first.clone(),
                        first_len: *n,
                        second: name.to_string(),
                        second_len: len,
                    },
                    Some(span),
                )
                .with_label(*first_span, format!("`{first}` has {n} rows"));
                self.errors.push(error);
                false
            }
        }
    }

    // ---- data and params ----

    fn declare_data(&mut self, sources: &mut Sources, base: &Path) {
        for item in self.items() {
            self.enter(item);
            match &item.stmt.kind {
                StmtKind::DataInline { name, values } if self.is_item_rows(*values) => {
                    self.statement = format!("the data `{}`", name.name);
                    if let Some(parts) = self.item_rows(*values) {
                        self.add_shaped_column(name, parts);
                    } else {
                        self.declare(name, Symbol::Failed);
                    }
                }
                StmtKind::DataInline { name, values } => {
                    self.statement = format!("the data `{}`", name.name);
                    let Some(numbers) = self.constant_vector(*values, &name.name) else {
                        continue;
                    };
                    self.add_column(name, numbers);
                }
                StmtKind::DataFile {
                    names,
                    path,
                    path_span,
                } => {
                    let full = normalize(&base.join(path));
                    let shown = full.display().to_string();
                    let read = super::data::open_csv(sources, &full, &shown, *path_span).and_then(
                        |file| {
                            let selections = self.selections(names, &file.headers, &shown)?;
                            let wanted: Vec<(String, Span)> =
                                selections.iter().flatten().cloned().collect();
                            let columns = super::data::read_csv(sources, &file, &wanted)?;
                            Ok((selections, columns))
                        },
                    );
                    match read {
                        Ok((selections, columns)) => {
                            let mut columns = columns.into_iter();
                            for (name, selected) in names.iter().zip(&selections) {
                                let parts: Vec<Vec<Number>> =
                                    columns.by_ref().take(selected.len()).collect();
                                match name.columns {
                                    None => self.add_column(
                                        &name.name,
                                        parts.into_iter().next().unwrap_or_default(),
                                    ),
                                    Some(_) => self.add_shaped_column(&name.name, parts),
                                }
                            }
                        }
                        Err(mut errors) => {
                            self.errors.append(&mut errors);
                            for name in names {
                                self.declare(&name.name, Symbol::Failed);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The CSV headers each name of a `data ... from` takes.
    fn selections(
        &self,
        names: &[crate::syntax::DataName],
        headers: &[String],
        shown: &str,
    ) -> Result<Vec<Vec<(String, Span)>>, Vec<Error>> {
        if names.iter().all(|n| n.columns.is_none()) {
            return Ok(names
                .iter()
                .map(|n| vec![(n.name.name.clone(), n.name.span)])
                .collect());
        }
        super::shaped::select_columns(names, headers).map_err(|mut e| {
            if let ErrorKind::MissingColumn { path, .. } = &mut e.kind {
                *path = shown.to_string();
            }
            vec![e]
        })
    }

    /// A per-row vector of data: its components' columns, stored one after another.
    pub(super) fn add_shaped_column(&mut self, name: &Ident, parts: Vec<Vec<Number>>) {
        let rows = parts.first().map_or(0, Vec::len);
        match crate::graph::Item::of_dims(&[parts.len()]) {
            Some(item) => self.add_data(name, item, rows, parts.into_iter().flatten().collect()),
            None => self.add_data(name, crate::graph::Item::Scalar, 0, Vec::new()),
        }
    }

    /// Declares the data `name` of item shape `item` over `rows` rows, its values
    /// component-major; no rows is an error.
    fn add_data(
        &mut self,
        name: &Ident,
        item: crate::graph::Item,
        rows: usize,
        values: Vec<Number>,
    ) {
        if rows == 0 {
            let kind = ErrorKind::EmptyColumn {
                name: name.name.clone(),
            };
            self.errors.push(Error::new(kind, Some(name.span)));
            self.declare(name, Symbol::Failed);
            return;
        }
        self.check_rows(&name.name, rows, name.span);
        let node =
            self.program
                .graph
                .shaped_var_node(&name.name, VarKind::Data, item, Some(name.span));
        if self.declare(name, Symbol::Value(node)) {
            let Op::Var(var) = self.program.graph.op(node) else {
                return;
            };
            self.program.data.push(DataColumn {
                name: name.name.clone(),
                var,
                item,
                values,
                span: name.span,
            });
        }
    }

    /// Whether `[...]` holds brace items (`[{1, 2}, {3, 4}]`: rows of vectors).
    fn is_item_rows(&self, values: ExprId) -> bool {
        match &self.ast.expr(values).kind {
            crate::syntax::ExprKind::Vector(items) => items.first().is_some_and(|&i| {
                matches!(
                    self.ast.expr(i).kind,
                    crate::syntax::ExprKind::Components(_)
                )
            }),
            _ => false,
        }
    }

    /// The component columns of `[{1, 2}, {3, 4}]`; every row must be a vector of
    /// the same length.
    fn item_rows(&mut self, values: ExprId) -> Option<Vec<Vec<Number>>> {
        let crate::syntax::ExprKind::Vector(items) = &self.ast.expr(values).kind else {
            return None;
        };
        let items = items.clone();
        let mut parts: Vec<Vec<Number>> = Vec::new();
        for &row in &items {
            let span = self.ast.expr(row).span;
            let crate::syntax::ExprKind::Components(entries) = &self.ast.expr(row).kind else {
                return self.fail(ErrorKind::RaggedMatrix, span);
            };
            let entries = entries.clone();
            let (item, numbers) = self.constant_components(&entries, span)?;
            if !matches!(item, crate::graph::Item::Vector(_))
                || (!parts.is_empty() && parts.len() != numbers.len())
            {
                return self.fail(ErrorKind::RaggedMatrix, span);
            }
            parts.resize_with(numbers.len(), Vec::new);
            for (part, n) in parts.iter_mut().zip(numbers) {
                part.push(n);
            }
        }
        Some(parts)
    }

    fn add_column(&mut self, name: &Ident, numbers: Vec<Number>) {
        self.add_data(name, crate::graph::Item::Scalar, numbers.len(), numbers);
    }

    /// The numbers of a vector literal of constant expressions.
    fn constant_vector(&mut self, id: ExprId, what: &str) -> Option<Vec<Number>> {
        let expr = self.ast.expr(id);
        let ExprKind::Vector(items) = &expr.kind else {
            let kind = ErrorKind::Syntax(crate::syntax::SyntaxErrorKind::Expected {
                expected: format!("a vector such as `[1, 2, 3]` for `{what}`"),
                found: "another expression",
            });
            self.error(kind, expr.span);
            return None;
        };
        let mut numbers = Vec::with_capacity(items.len());
        for &item in items {
            numbers.push(self.constant_number(item, &format!("a value of the data `{what}`"))?);
        }
        Some(numbers)
    }

    /// The value of a constant scalar expression (exact where the graph folded it).
    pub(super) fn constant_number(&mut self, id: ExprId, what: &str) -> Option<Number> {
        let span = self.ast.expr(id).span;
        let node = self.lower_expr(id, &HashMap::new())?;
        let graph = &self.program.graph;
        if !is_constant(graph, node) {
            let uses = graph
                .reachable(&[node])
                .into_iter()
                .find_map(|n| match graph.op(n) {
                    Op::Var(v) => Some(graph.var(v).name.clone()),
                    _ => None,
                });
            self.error(
                ErrorKind::NotConstant {
                    what: what.to_string(),
                    uses,
                },
                span,
            );
            return None;
        }
        if let Some(c) = graph.op(node).constant() {
            return Some(c.0);
        }
        match evaluate_one(graph, &Bindings::new(1), node) {
            Ok(Value::Scalar(x)) => Some(Number::from_f64(x)),
            Ok(Value::Shaped(item, _)) => {
                let what = what.to_string();
                self.error(ErrorKind::NotScalarItem { what, item }, span);
                None
            }
            Ok(Value::Rows(v)) => {
                self.error(
                    ErrorKind::NotScalar {
                        what: what.to_string(),
                        rows: v.len(),
                    },
                    span,
                );
                None
            }
            Err(e) => {
                self.error(ErrorKind::Domain(e), span);
                None
            }
        }
    }

    fn declare_params(&mut self) {
        for item in self.items() {
            self.enter(item);
            let StmtKind::Param(decls) = &item.stmt.kind else {
                continue;
            };
            for decl in decls {
                self.statement = format!("the param `{}`", decl.name.name);
                let declared = match super::shaped::declared_item(&decl.shape) {
                    Ok(item) => item,
                    Err(span) => {
                        let what = format!("the shape of the param `{}`", decl.name.name);
                        self.error(ErrorKind::BadSize { what }, span);
                        self.declare(&decl.name, Symbol::Failed);
                        continue;
                    }
                };
                let what = format!("the initial value of the param `{}`", decl.name.name);
                let value = match &decl.init {
                    ParamInit::Value(e) => self.shaped_init(declared, *e, &what),
                    ParamInit::Random { dist, args } => {
                        let item = declared.unwrap_or_default();
                        self.draw(dist, args, &what, item.size()).map(|v| (item, v))
                    }
                };
                let bounds = self.param_bounds(decl);
                let value = match (value, bounds) {
                    (Some((item, values)), Ok(Some(b))) => self
                        .start_inside(decl, item, &values, b)
                        .then_some((item, values)),
                    (value, Ok(_)) => value,
                    (_, Err(())) => None,
                };
                let item = value.as_ref().map_or(declared.unwrap_or_default(), |v| v.0);
                let node = self.program.graph.shaped_var_node(
                    &decl.name.name,
                    VarKind::Param,
                    item,
                    Some(decl.name.span),
                );
                let Some((item, values)) = value else {
                    self.declare(&decl.name, Symbol::Failed);
                    continue;
                };
                if self.declare(&decl.name, Symbol::Value(node)) {
                    let Op::Var(var) = self.program.graph.op(node) else {
                        continue;
                    };
                    self.program.params.push(Param {
                        name: decl.name.name.clone(),
                        var,
                        item,
                        values,
                        bounds: bounds.ok().flatten(),
                        span: decl.name.span,
                    });
                }
            }
        }
    }

    /// `count` seeded draws from `normal(mean, sd)` or `uniform(low, high)` (one per
    /// component of a shaped param, in row-major order).
    fn draw(
        &mut self,
        dist: &Ident,
        args: &[ExprId],
        what: &str,
        count: usize,
    ) -> Option<Vec<f64>> {
        use rand_distr::Distribution;
        if !matches!(dist.name.as_str(), "normal" | "uniform") {
            self.error(
                ErrorKind::UnknownDistribution {
                    name: dist.name.clone(),
                },
                dist.span,
            );
            return None;
        }
        if args.len() != 2 {
            let kind = ErrorKind::WrongArity {
                name: dist.name.clone(),
                expected: 2,
                found: args.len(),
            };
            self.error(kind, dist.span);
            return None;
        }
        let argument = format!("an argument of `{}` for {what}", dist.name);
        let a = self.constant_number(args[0], &argument)?.value;
        let b = self.constant_number(args[1], &argument)?.value;
        let (shown_a, shown_b) = (format_f64(a), format_f64(b));
        let invalid = |reason: &str| ErrorKind::InvalidDistribution {
            reason: format!("{reason}, but this is {}({shown_a}, {shown_b})", dist.name),
        };
        let rng = &mut self.rng;
        let values = if dist.name == "normal" {
            match rand_distr::Normal::new(a, b) {
                Ok(d) if b > 0.0 => (0..count).map(|_| d.sample(rng)).collect(),
                _ => return self.fail(invalid("normal(mean, sd) needs sd > 0"), dist.span),
            }
        } else {
            match rand_distr::Uniform::new(a, b) {
                Ok(d) => (0..count).map(|_| d.sample(rng)).collect(),
                Err(_) => {
                    return self.fail(invalid("uniform(low, high) needs low < high"), dist.span);
                }
            }
        };
        Some(values)
    }

    pub(super) fn fail<T>(&mut self, kind: ErrorKind, span: Span) -> Option<T> {
        self.error(kind, span);
        None
    }
}

/// `a/b/../c` as `a/c`, without touching the file system (for messages and reading).
fn normalize(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}
