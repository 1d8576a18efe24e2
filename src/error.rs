//! The library's error type: every way a program can be refused, with spans.
//!
//! Rendering (source line, caret) happens in the CLI and REPL, never here.

use crate::syntax::{Span, SyntaxError, SyntaxErrorKind};
use std::fmt;

/// One error: what went wrong, where, and what else to point at.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The main place, when the error has one.
    pub span: Option<Span>,
    /// Other places worth showing (the first definition of a duplicate, ...).
    pub labels: Vec<(Span, String)>,
}

/// Every error of one program, in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// The first error, if any.
    pub fn first(&self) -> Option<&Error> {
        self.0.first()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for Errors {}

impl From<Error> for Errors {
    fn from(error: Error) -> Errors {
        Errors(vec![error])
    }
}

impl Error {
    /// An error of `kind` at `span`.
    pub fn new(kind: ErrorKind, span: Option<Span>) -> Error {
        Error {
            kind,
            span,
            labels: Vec::new(),
        }
    }

    /// The same error with one more place to point at.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Error {
        self.labels.push((span, text.into()));
        self
    }

    /// The graph filled up while `what` was being lowered or differentiated.
    pub fn graph_full(
        full: crate::graph::GraphFull,
        what: impl Into<String>,
        span: Option<Span>,
    ) -> Error {
        let kind = ErrorKind::GraphFull {
            what: what.into(),
            limit: full.limit,
        };
        Error::new(kind, span)
    }

    /// A hint saying what would fix the error, where one is known.
    pub fn help(&self) -> Option<String> {
        use ErrorKind::*;
        match &self.kind {
            Syntax(kind) => SyntaxError::new(kind.clone(), Span::default()).help(),
            UnknownName {
                suggestion: Some(s),
                ..
            }
            | UnknownFunction {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            UnknownName { name, .. } => Some(format!("define it, e.g. `{name} = ...`")),
            VectorObjective { .. } => {
                Some("reduce it to a scalar with `sum(...)` or `mean(...)`".into())
            }
            FunctionAsValue { name } => Some(format!("call it: `{name}(...)`")),
            BoundsReversed { .. } => Some("write the lower bound first: `in [lo, hi]`".into()),
            StartOutsideBounds { .. } => Some(
                "start it inside the box, or widen the bounds (`inf` is an infinite bound)".into(),
            ),
            NotYetDefined { missing, .. } => Some(format!("define it, e.g. `{missing}(x) = ...`")),
            NotAFunction { name } => Some(format!("to multiply, write `{name}*(...)`")),
            NotScalar { what, .. } if what.contains("initial value") => Some(
                "a param takes one number; `[...]` is a column of data rows, declared with `data`"
                    .into(),
            ),
            NotScalar { .. } => {
                Some("reduce it over the rows with `sum(...)` or `mean(...)`".into())
            }
            NotScalarItem { what, .. } if what.starts_with("the objective") => Some(
                "an objective is one number: `total(...)`, `norm(...)` or one component `v[k]`"
                    .into(),
            ),
            ReduceRowless { .. } => {
                Some("to add up the components, use `total(...)`".into())
            }
            Shape(crate::graph::ShapeError::Mismatch { .. }) => Some(
                "componentwise operators need equal shapes, or a scalar on one side".into(),
            ),
            Shape(crate::graph::ShapeError::Contraction { .. }) => {
                Some("`dot(a, b)` pairs the last axis of a with the first of b; `transpose(...)` swaps a matrix's axes".into())
            }
            Jacobian { .. } => Some("Jacobians are built by a vector variable through scalars and vectors; differentiate a scalar (`total(...)`, one component `v[k]`) or by one component".into()),
            NotConstant { .. } => Some("use numbers, `pi`, `e` and arithmetic on them only".into()),
            Cycle { .. } => Some("a definition may not depend on itself".into()),
            Domain(e) if e.kind == crate::eval::DomainKind::Unbound => {
                Some(format!("give it a value, e.g. `--at {}=1`", e.op))
            }
            BareExpression { .. } => Some("name it: `name = ...`".into()),
            UnknownMethod {
                suggestion: Some(s),
                ..
            }
            | UnknownOption {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            UnknownMethod { known, .. } => Some(format!("the methods are {known}")),
            TooManyForNewton { .. } => {
                Some("use `lbfgs`, which needs no Hessian, or a first-order method: `armijo`, `adam` or `gd` with `rate = auto`".into())
            }
            BatchWithLiteral { .. } => {
                Some("declare the vector with `data name = [...]` and use its name".into())
            }
            GraphFull { what, .. } if what.contains("call of") => Some(
                "each call with new arguments inlines the function again; \
                 call it once and name the result, or use fewer levels"
                    .into(),
            ),
            GraphFull { .. } => Some(
                "the program denotes too many distinct sub-expressions; \
                 write fewer terms or fewer nested derivatives"
                    .into(),
            ),
            UnknownDistribution { .. } => {
                Some("use `normal(mean, sd)` or `uniform(low, high)`".into())
            }
            DuplicateColumn { column, .. } => Some(format!(
                "rename one of the `{column}` columns in the CSV's header line"
            )),
            _ => None,
        }
    }
}

impl From<SyntaxError> for Error {
    fn from(error: SyntaxError) -> Error {
        Error::new(ErrorKind::Syntax(error.kind), Some(error.span))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for Error {}

/// The kinds of error, each with the situation that usually causes it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// The text does not follow the grammar (see [`SyntaxErrorKind`]).
    #[error("{0}")]
    Syntax(SyntaxErrorKind),
    /// A name that nothing defines, usually a typo.
    #[error("unknown name `{name}`")]
    UnknownName {
        /// The name.
        name: String,
        /// The nearest defined or built-in name.
        suggestion: Option<String>,
    },
    /// A call of a function that does not exist, usually a typo (`sigmiod(x)`).
    #[error("unknown function `{name}`")]
    UnknownFunction {
        /// The name.
        name: String,
        /// The nearest function name.
        suggestion: Option<String>,
    },
    /// A REPL definition used while a function it calls is still undefined (`f(x) =
    /// g(x)`, then `f(1)` before `g` is defined): forward references wait for the name.
    #[error(
        "`{name}` cannot be evaluated yet: it needs the function `{missing}`, which is not defined"
    )]
    NotYetDefined {
        /// The definition or function used.
        name: String,
        /// The function it calls, directly or through other definitions.
        missing: String,
    },
    /// A function called with the wrong number of arguments (`max(x)`).
    #[error("`{name}` takes {expected} argument{}, but {found} {} given", plural(*expected), were(*found))]
    WrongArity {
        /// The function.
        name: String,
        /// How many it takes.
        expected: usize,
        /// How many it got.
        found: usize,
    },
    /// A call of something that is not a function (`w(2)` for a param `w`).
    #[error("`{name}` is not a function")]
    NotAFunction {
        /// The name called.
        name: String,
    },
    /// A function used without calling it (`f = sigmoid + 1`).
    #[error("`{name}` is a function, used here as a value")]
    FunctionAsValue {
        /// The function's name.
        name: String,
    },
    /// A name defined twice; every name is defined once.
    #[error("`{name}` is defined more than once")]
    Duplicate {
        /// The name.
        name: String,
    },
    /// Definitions that depend on each other in a circle.
    #[error("definitions form a cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// The names around the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// `d(f)/d(name)` by something that is not a param, data column or free name.
    #[error("cannot differentiate by `{name}`: it is not a param, data column or free name")]
    NotAVariable {
        /// The name.
        name: String,
    },
    /// A value that must be a constant (a param's initial value, a method option) uses a
    /// param or data.
    #[error("{what} must be a constant expression{}", uses.as_ref().map(|u| format!(", but it uses `{u}`")).unwrap_or_default())]
    NotConstant {
        /// What needed the constant.
        what: String,
        /// The param or data column it uses, if any.
        uses: Option<String>,
    },
    /// Operands whose item shapes do not fit (SPEC 10): `[3] + [4]`, `dot` of
    /// mismatched axes, `softmax` of a matrix. The labels point at each operand.
    #[error("{0}")]
    Shape(crate::graph::ShapeError),
    /// `sum` or `mean` of a rowless vector or matrix: they reduce over the rows only,
    /// so `sum(w^2)` would be N·w² (SPEC 10).
    #[error("`{func}` sums over the data rows, but this has no rows (it is a {item} value)")]
    ReduceRowless {
        /// `sum` or `mean`.
        func: &'static str,
        /// The operand's shape.
        item: crate::graph::Item,
    },
    /// A size of `zeros`/`ones` that is not a positive integer, or too many sizes.
    #[error("{what} must be positive integers")]
    BadSize {
        /// What was sized.
        what: String,
    },
    /// A brace literal whose rows differ in length or mix numbers and rows.
    #[error("the rows of a matrix literal `{{{{...}}, {{...}}}}` must all have the same length")]
    RaggedMatrix,
    /// An index outside a value's shape, or with the wrong number of indices.
    #[error("index [{index}] is outside a value of shape {item}")]
    BadIndex {
        /// The indices as written.
        index: String,
        /// The indexed value's shape.
        item: crate::graph::Item,
    },
    /// A derivative whose Jacobian would need three axes (of a matrix, by a matrix, or
    /// through a matrix that depends on the variable), which nabla does not build.
    #[error("the derivative of a {of}{} value by a {by} variable would need more than two axes, which is not supported", if *rows { " per-row" } else { "" })]
    Jacobian {
        /// The differentiated value's item shape.
        of: crate::graph::Item,
        /// Whether it varies over the rows.
        rows: bool,
        /// The variable's item shape.
        by: crate::graph::Item,
    },
    /// A vector or matrix where one number is needed.
    #[error("{what} must be a scalar, but this has shape {item}")]
    NotScalarItem {
        /// What needed a scalar.
        what: String,
        /// The shape it has.
        item: crate::graph::Item,
    },
    /// A vector where a single number is needed.
    #[error("{what} must be a scalar, but this is a vector of {rows} rows")]
    NotScalar {
        /// What needed a scalar.
        what: String,
        /// The vector's length.
        rows: usize,
    },
    /// `minimize` of an expression that has one value per row.
    #[error("the objective `{name}` is a vector of {rows} rows; it must be a scalar")]
    VectorObjective {
        /// The objective as written.
        name: String,
        /// The number of rows.
        rows: usize,
    },
    /// Two data columns (or a vector literal) of different lengths.
    #[error(
        "data columns differ in length: `{first}` has {first_len} rows, `{second}` has {second_len}"
    )]
    LengthMismatch {
        /// The column that set the row count.
        first: String,
        /// Its length.
        first_len: usize,
        /// The column that disagrees.
        second: String,
        /// Its length.
        second_len: usize,
    },
    /// A data column without rows (`data x = []`, or a CSV file with only a header).
    #[error("the data column `{name}` has no rows")]
    EmptyColumn {
        /// The column.
        name: String,
    },
    /// `param w ~ cauchy(0, 1)`: only `normal` and `uniform` exist.
    #[error("unknown distribution `{name}`")]
    UnknownDistribution {
        /// The name.
        name: String,
    },
    /// A distribution with impossible parameters (`normal(0, -1)`, `uniform(1, 0)`).
    #[error("invalid distribution: {reason}")]
    InvalidDistribution {
        /// What is wrong.
        reason: String,
    },
    /// `param p = 0.5 in [1, 0]`: bounds whose lower end is above the upper, usually
    /// the two written the wrong way round; or a bound that is NaN.
    #[error(
        "the bounds of the param `{param}` are [{lower}, {upper}]: the lower must not be above the upper"
    )]
    BoundsReversed {
        /// The param.
        param: String,
        /// The lower bound, as a number.
        lower: String,
        /// The upper bound.
        upper: String,
    },
    /// `param s = -1 in [0, inf]`: a start (a component of it, or a random draw)
    /// outside the param's bounds; usually an initial value or distribution that the
    /// bounds were not written for.
    #[error("the param `{component}` starts at {value}, outside its bounds [{lower}, {upper}]")]
    StartOutsideBounds {
        /// The param, or its component (`w[2]`).
        component: String,
        /// Its starting value.
        value: String,
        /// The lower bound.
        lower: String,
        /// The upper bound.
        upper: String,
    },
    /// A bare expression in a file, where it would have no effect.
    #[error("the expression `{text}` on its own does nothing in a file")]
    BareExpression {
        /// The expression as written (its first 40 characters).
        text: String,
    },
    /// A file that cannot be read (missing, a directory, no permission).
    #[error("cannot read `{path}`: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The system's reason.
        reason: String,
    },
    /// An output file that cannot be written (its directory is missing, the disk is
    /// full, it is one of the run's inputs).
    #[error("cannot write `{path}`: {reason}")]
    Write {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A CSV file whose header names a column the program asks for twice.
    #[error("`{path}` has two columns named `{column}` (columns {first} and {second})")]
    DuplicateColumn {
        /// The CSV file.
        path: String,
        /// The name.
        column: String,
        /// The two columns (from 1).
        first: usize,
        /// The second.
        second: usize,
    },
    /// A CSV file without a column the program asks for.
    #[error("`{path}` has no column `{column}` (its columns: {available})")]
    MissingColumn {
        /// The CSV file.
        path: String,
        /// The column asked for.
        column: String,
        /// The header names that exist.
        available: String,
    },
    /// A CSV cell that is not a number, or a malformed CSV row.
    #[error("bad CSV data in `{path}`, row {row}: {reason}")]
    Csv {
        /// The CSV file.
        path: String,
        /// The data row, from 1.
        row: usize,
        /// What is wrong.
        reason: String,
    },
    /// A value outside an operation's domain while evaluating (see [`DomainError`](crate::eval::DomainError)).
    #[error("{0}")]
    Domain(crate::eval::DomainError),
    /// A program or input beyond one of nabla's stated limits.
    #[error("{what} exceeds the limit of {limit}")]
    Limit {
        /// What is too large.
        what: String,
        /// The limit.
        limit: usize,
    },
    /// Lowering or differentiating a statement would make more distinct graph nodes
    /// than the graph holds ([`crate::graph::MAX_NODES`]). Usually a function that
    /// calls another with a new argument at every level (`f2(x) = f1(f1(x))`), which
    /// doubles the distinct sub-expressions per level, or a derivative nested many times.
    #[error("{what} needs more than {limit} graph nodes, the limit")]
    GraphFull {
        /// The statement or derivative that grew the graph (``the definition `f30` ``).
        what: String,
        /// The node limit.
        limit: usize,
    },
    /// A command-line value that cannot be used (`--at w=abc`, an unknown `--of`).
    #[error("{0}")]
    Usage(String),
    /// `minimize ... by name(...)` with a method nabla does not have, usually a typo.
    #[error("unknown method `{name}`")]
    UnknownMethod {
        /// The name as written.
        name: String,
        /// The nearest method, if one is close.
        suggestion: Option<String>,
        /// The methods there are, to list when none is close.
        known: String,
    },
    /// A method option that the method does not take (`gd(beta = 0.9)`), or a typo.
    #[error("`{method}` has no option `{option}` (its options: {known})")]
    UnknownOption {
        /// The option as written.
        option: String,
        /// The method.
        method: String,
        /// The options it takes.
        known: String,
        /// The nearest option, if one is close.
        suggestion: Option<String>,
    },
    /// A method option with a value it cannot take (`rate = -1`, `epochs = 2.5`).
    #[error("`{option}` must be {expected}, not `{found}`")]
    BadOption {
        /// The option.
        option: String,
        /// What it takes.
        expected: String,
        /// The value given.
        found: String,
    },
    /// `newton` on more params than its n×n symbolic Hessian can hold in reasonable
    /// time and memory.
    #[error("`newton` forms the {params}×{params} Hessian; it takes at most {limit} params")]
    TooManyForNewton {
        /// The params to move.
        params: usize,
        /// The most `newton` takes.
        limit: usize,
    },
    /// `batch` on an objective that holds a vector literal: a mini-batch selects rows
    /// of the `data` columns, and a literal inside the formula cannot follow.
    #[error("`batch` needs every vector of `{objective}` to come from a `data` column")]
    BatchWithLiteral {
        /// The objective.
        objective: String,
    },
    /// `--precise` on a program whose params or data do not fit a 28-digit decimal
    /// (|x| >= 7.9e28).
    #[error("{what} does not fit a 28-digit decimal (|x| < 7.9e28), so --precise cannot run")]
    NotDecimal {
        /// The value that does not fit (``the param `w` (1e30)``).
        what: String,
    },
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn were(n: usize) -> &'static str {
    if n == 1 { "was" } else { "were" }
}
