//! nabla: a symbolic automatic-differentiation engine with gradient descent.
//!
//! A person writes a loss formula in a small text language (`.nabla` files); nabla
//! parses it into one computation graph, derives exact derivatives as new nodes of that
//! graph, evaluates them on a compiled tape, checks hand-derived gradients and the
//! Taylor expansion against them, and minimizes the loss by gradient descent.
//!
//! # Bird's-eye view
//!
//! ```text
//! text ──lex──▶ tokens ──parse──▶ AST ──lower──▶ hash-consed graph ──ad──▶ adjoint nodes
//!                                                      │                      │
//!                                                      │               simplify (rules)
//!                                                      │                      │
//!                                                      ├──eval──▶ numbers (f64, per row; the oracle)
//!                                                      ├──tape──▶ numbers (compiled, chunked, f64 or decimal)
//!                                                      │            ├──check──▶ hand derivatives, Taylor test
//!                                                      │            └──descent──▶ fitted params, history ──plot──▶ SVG/PNG
//!                                                      ├──print──▶ text, LaTeX, DOT
//!                                                      └──export──▶ C, Rust, NumPy source
//! ```
//!
//! - [`syntax`]: [`Sources`](syntax::Sources) and [`Span`](syntax::Span)s, the logos
//!   lexer ([`Token`](syntax::Token)), the Pratt parser ([`parse`](syntax::parse)) and
//!   the [`Ast`](syntax::Ast), whose expressions live in an arena where children come
//!   before parents. Never sees a graph.
//! - [`graph`]: the [`Graph`](graph::Graph) of [`Node`](graph::Node)s addressed by
//!   [`NodeId`](graph::NodeId) (prints `n12`), in a vector (append-only, so insertion
//!   order is topological and no edge list is needed; petgraph serves the name graph);
//!   [`Graph::add`](graph::Graph::add) hash-conses and folds constants exactly in decimal;
//!   [`print_expr`](graph::print_expr) / [`print_shared`](graph::print_shared) print
//!   text that parses back to the same graph (shared nodes as temporaries `t1`),
//!   [`latex_shared`](graph::latex_shared) LaTeX and [`dot`](graph::dot) Graphviz.
//!   Never sees source text, only spans. **Shapes (SPEC 10)**: every node has a row
//!   axis ([`Shape`](graph::Shape): rowless or per row) and an
//!   [`Item`](graph::Item) (scalar, `[K]`, `[M, K]`), inferred in `graph/shapes.rs`
//!   ([`result_item`](graph::result_item), with a typed
//!   [`ShapeError`](graph::ShapeError) that lowering reports with both operands).
//!   The item operators are `Op::Product` (`dot`, `outer`), `Op::Item` (`total`,
//!   `transpose`, `norm`, `softmax`, `logsumexp`), `Op::Index`, and the constants
//!   `Op::Fill` (`zeros`, `ones`) and `Op::Tensor` (`{1, 2}`). The folds of
//!   `Graph::add` never change a node's item. The evaluators do not know shapes:
//!   [`components`](graph::components::components) writes a shaped graph out as one
//!   scalar node per component, and the tree evaluator and the tape run that copy.
//!   The shaped graph stays what is printed, differentiated and simplified.
//! - [`program`]: [`Program::load`](program::Program::load) resolves names (with
//!   suggestions), orders definitions (cycles are named), loads data (inline and CSV),
//!   draws seeded random initial values, inlines functions on the graph (a body lowered
//!   once, substituted once per distinct argument nodes, memoised), and lowers
//!   every statement into one graph, and reads each `by method(...)` into descent
//!   [`Settings`](program::settings::Settings) (`program/settings.rs`). A param's
//!   `in [lo, hi]` (SPEC 11) becomes [`Param::bounds`](program::Param::bounds), read
//!   and checked (lo <= hi, the start inside, by component) in `program/bounds.rs`;
//!   [`Program::param_bounds`](program::Program::param_bounds) lays them out per
//!   component for the descent and the checks. All errors of a
//!   file are collected. It never imports `tape` or `descent`.
//! - [`ad`]: reverse mode ([`gradient`](ad::gradient), [`hessian`](ad::hessian),
//!   [`hessian_vector`](ad::hessian_vector)) and forward mode ([`tangent`](ad::tangent))
//!   over one table of local derivative rules (`ad/rules.rs`, one arm per operator).
//!   The item operators have vector-Jacobian products and tangents in `ad/shaped.rs`
//!   (the share of `A` in `dot(A, x)` is `outer(adjoint, x)`). A flow into a scalar
//!   operand broadcast over components is totalled, as one broadcast over rows is
//!   summed. The gradient by a `[K]` param is a `[K]` node. Jacobians by a `[K]` param
//!   ([`jacobian`](ad::jacobian), `ad/jacobian.rs`) are forward mode with matrix
//!   tangents (a `[P]` node's tangent is its `[P, K]` Jacobian, `w`'s own the symbolic
//!   identity), so the Hessian by `w` is one `[K, K]` node (`mean(2*outer(X, X))`);
//!   [`derivative`](ad::derivative) picks the mode and returns `None` where a tangent
//!   would need three axes.
//! - [`simplify`]: rewrite rules as data ([`simplify::RULES`]) applied bottom-up to a
//!   fixed point, never changing a value for finite operands;
//!   [`simplified_gradient`](simplify::simplified_gradient) is what `nabla grad` shows.
//! - [`eval`]: the plain f64 evaluator over the data rows with domain checks
//!   ([`DomainError`](eval::DomainError) names the span, the row and the params). It is
//!   simple on purpose: the tape's tests use it as their oracle.
//! - [`numbers`]: the number types evaluation runs on, one table of operations each,
//!   behind [`Scalar`](numbers::Scalar): f64 (`numbers/float.rs`, the one f64 table
//!   that the tree evaluator and every tape path use, with vectorisable
//!   `exp`/`ln`/`tanh`/`sigmoid`/`softplus` in `numbers/fastmath.rs` and chunk loops in
//!   `numbers/kernels.rs`) and `Decimal` (`numbers/decimal.rs`, 28 digits, its own
//!   elementary functions). Number libraries: they know operators, not graphs.
//! - [`tape`]: graph outputs compiled ([`compile`](tape::compile)) to a linear
//!   [`Tape`](tape::Tape) of instructions in phases (scalars once per call, per-row
//!   nodes in 256-row chunks whose loops vectorise, compensated reductions), row slots
//!   reused by liveness, constants hoisted, `x^2` as `x*x`. Each index space has its
//!   own type (`ScalarSlot`, `RowSlot`, `Accumulator`, `RowOutput`, `Register`) and a
//!   failed run says why in a `Failure` enum, never with a sentinel id. Scheduling is a
//!   separate step: when a workspace is made, scalar code becomes a `Block`, operations
//!   grouped by level and kind into batches of independent operations, one dispatch per
//!   batch (`tape/block.rs`); with at most 8 rows, or none, the whole tape is one block
//!   with its rows written out. f64 runs without a check per operation and reruns with
//!   checks, through the same table, to locate a domain error.
//!   [`Compiled`](tape::Compiled) holds a tape with its buffers for repeated runs; it
//!   takes a graph and [`TapeInputs`](tape::TapeInputs) (`Compiled::of_program` reads
//!   them off a program: the tape depends on the program, never the other way).
//!   A row pass (`tape/compile/rows.rs`) adds each sum over the rows right after its
//!   value, and fuses what a shaped graph writes out (`tape/fuse.rs`): a chain of
//!   products summed left to right (a `dot`) is one `RowDot`, products read only by a
//!   sum are summed as they are computed, a run of them with a common factor in one
//!   instruction; each gives the written-out loops' bits. A new fusion goes in
//!   `fuse.rs`, its kernel in `numbers` (a `Scalar` method with a generic default).
//! - [`check`]: `check d(F)/d(P) = E` statements against AD at seeded random points,
//!   with a symbolic proof where the simplifier finds one and a [`Diagnosis`](check::Diagnosis)
//!   of a wrong hand derivative (its random points reflected into each param's
//!   box); the Taylor test ([`taylor`](check::taylor), its steps kept in the box) of an
//!   objective with its window above the rounding floor, in f64 or decimal.
//! - [`descent`]: [`minimize`](descent::minimize) runs one of the six methods of SPEC 5
//!   or `lbfgs` of SPEC 11 ([`Method`](descent::Method), read from `by method(...)` into
//!   [`Settings`](descent::Settings); no method means `gd`, or `lbfgs` above 1,000
//!   params) on compiled tapes of the loss, its gradient, its
//!   Hessian (Newton, and its stops) and Hessian-vector products (`rate = auto`, the
//!   divergence hint, the other methods' stops);
//!   an [`Observer`](descent::Observer) sees every epoch (the CLI's progress bar and
//!   [`History`](descent::History)); the [`Report`](descent::Report) says why it stopped
//!   ([`Stop`](descent::Stop): `tol`, `ftol`, `epochs`, `diverged`, `saddle`, `flat`)
//!   and how many loss and gradient passes it made
//!   ([`Evaluations`](descent::Evaluations), counted in the
//!   [`Objective`](descent::Objective) so every method is covered). `armijo`
//!   and `newton` search back along their direction from a step capped at
//!   10·max(1, |θ|) (`descent/search.rs`); newton damps an indefinite Hessian and falls
//!   back to the gradient; `lbfgs` (`descent/lbfgs.rs`) runs the strong-Wolfe
//!   [`line_search`](descent::line_search) within the same cap and ends each epoch at a
//!   point its search evaluated, so it needs no extra pass. **Bounds**: a
//!   [`Bounds`](descent::Bounds) box (`descent/bounds.rs`) is projected onto by the
//!   first-order methods, searched along its projection arc by `armijo` and `newton`
//!   (`descent/projected.rs`, newton on the free components), and `lbfgs` takes a
//!   projected two-metric step there (`descent/lbfgs/bounded.rs`); `tol`, the
//!   reported |∇L| and the curvature judgement read the free components only; without
//!   a finite bound every method runs as before. **A stop on a small
//!   gradient or a small relative loss change (`ftol`) is judged by the curvature
//!   ([`judge`](descent::judge)): `converged` only at a minimum.**
//! - [`plot`]: [`write_plot`](plot::write_plot) draws a run as SVG or PNG (written
//!   atomically): the [`LossCurve`](plot::LossCurve) on a log axis and, for two params,
//!   the [`Landscape`](plot::Landscape) as log-spaced contour bands and isolines with
//!   the descent path over them; the font is embedded, so PNG text needs no system fonts.
//! - [`export`]: [`export`](export::export) writes an objective with its simplified
//!   gradient (and Hessian) as one C99, Rust or NumPy file: a target-neutral
//!   [`Plan`](export::plan::Plan) (types in `export/plan.rs`; the planner, which
//!   picks the locals and cuts the tape's phases, in `planner.rs`; how a node is
//!   written in `written.rs`): rowless values once, per-row locals in one loop, sums
//!   accumulated as the tape does, shared terms as locals. Vectors and matrices are
//!   arrays (params as row-major blocks of one flat array, per-row data row after
//!   row): componentwise expressions are one loop over the components, the array
//!   operators locals of their own, so the code does not grow with K. Then one printer
//!   per target (`export/c.rs`, `rust.rs`, `python.rs`, the C and Rust helpers in
//!   `c/helpers.rs` and `rust/helpers.rs`) over the shared expression printer and
//!   identifiers of `export/names.rs`; the [`Signature`](export::Signature) and header
//!   comment (names, shapes, offsets, bounds) in `export/header.rs`. `cli/export.rs`
//!   is thin.
//! - [`files`]: output files (histories, plots) written atomically (temp file + rename),
//!   devices in place; `cli/outputs.rs` checks every output path before a run and
//!   streams the history.
//! - [`repl`]: the REPL's engine with no terminal I/O: a [`Repl`](repl::Repl) session
//!   keeps its statements and lowers each input into one growing program
//!   ([`program::Incremental`], with an undo for an input that fails); a redefined name
//!   replaces the old one and the entries that use it are lowered again. It evaluates
//!   expressions and runs the `:` commands; plus the rustyline helper (completion,
//!   multi-line input). `cli/repl.rs` reads and prints (`cli/repl_json.rs` for `--json`).
//! - [`lsp`]: `nabla lsp`, the language server (SPEC 13) on `lsp-server` and
//!   `lsp-types`: a protocol loop (`lsp/server.rs`) that sends every change to an
//!   analysis thread (`lsp/worker.rs`, newest text only) and answers requests from
//!   the analysis of the text they were sent against. [`analyze`](lsp::analyze) is a
//!   plain library call: parse, a [`NameIndex`](lsp::NameIndex) of what each name
//!   written refers to (from the AST's spans, with the program's scope rules),
//!   [`Program::lower_what_can_be`](program::Program::lower_what_can_be) (every
//!   error, and the statements that did lower, with their values), and diagnostics in
//!   UTF-16 positions ([`LineIndex`](lsp::LineIndex)). Hover derives and evaluates
//!   within a bound on the work; completion reads the lexer's tokens before the cursor.
//! - [`cli`]: clap commands, ariadne diagnostics and the JSON documents of SPEC 6; the
//!   only module that prints. `src/main.rs` just calls [`cli::main`].
//! - [`error`]: the library's [`Error`](error::Error) with an [`ErrorKind`](error::ErrorKind)
//!   per cause, each documented with what usually causes it.
//!
//! # Invariants
//!
//! - **The graph is append-only: a node's operands are older than it, so insertion
//!   order is a topological order.** Every pass over the graph is a loop over ids, never
//!   a recursion, so a 100,000-term sum cannot overflow the stack.
//! - **Equal sub-expressions are one node.** `Graph::add` is the only constructor; it
//!   also does the local, exact folds (`x*1`, `0*x`, `c1*(c2*x)`, constants in decimal,
//!   the written-out logistic function), so a symbolic zero never grows an adjoint.
//! - **Derivatives are graph nodes, never numbers**: they print, evaluate and
//!   differentiate again like any other node.
//! - **A subtree of the AST is a contiguous id range** (`first..=root`), so lowering
//!   walks it in order without recursion. The parser bounds nesting at
//!   [`syntax::MAX_DEPTH`].
//! - Nothing reachable from input panics; errors carry spans and are rendered only in
//!   [`cli`] (and turned into LSP diagnostics only in [`lsp`], which writes nothing
//!   but protocol messages).
//!
//! # Adding an operator
//!
//! 1. A name in [`graph::Func::NAMED`] (or a token and binding power in the parser for
//!    an infix operator, plus a [`graph::BinOp`] variant); a two-argument function
//!    called by name (`max`, `min`, `pow`) also goes in `BINARY_BUILTINS`
//!    (`program/lower.rs`).
//! 2. Its f64 value in `numbers/float.rs` ([`numbers::float::unary`] or
//!    [`numbers::float::binary`]: the one f64 table), a vectorised loop in
//!    `numbers/kernels.rs` if it is hot, its domain rule in `eval/ops.rs` (`check`,
//!    which names the cause of a non-finite value), and its `Decimal` value in
//!    `numbers/decimal.rs` (`unary`/`binary`, accurate to the type: see its tests).
//! 3. Its local derivative in `ad/rules.rs`.
//! 4. Its printed form in `graph/print.rs` and `graph/latex.rs` if it is not a plain
//!    call, and its DOT label in `graph/dot.rs`; its sign facts, if any, in
//!    `simplify/sign.rs` (what `a/a => 1` may rely on).
//! 5. Its spelling in each export target: `call`/`call2` of `export/c.rs`,
//!    `export/rust.rs` and `export/python.rs` (with a helper function there if the
//!    language has none), and a name in the export proptest of `tests/export.rs`.
//! 6. The REPL completes [`graph::Func::NAMED`] by itself; a binary built-in or keyword
//!    also goes in `BUILTINS` of `repl/complete.rs`.
//! 7. Tests: a row in `tests/derivatives.rs` (symbolic snapshot and finite-difference
//!    checks of the first and second derivative), a case in
//!    `tests/tape.rs::every_builtin_matches_the_oracle`, and its Decimal accuracy in
//!    `numbers/decimal.rs`.
//!
//! # Where a change goes
//!
//! A new operation over vectors and matrices: an [`graph::ItemFunc`] or
//! [`graph::ProductOp`] variant, its shape rule in `graph/shapes.rs`, its components
//! in `graph/components.rs`, its vector-Jacobian product and tangent in
//! `ad/shaped.rs` (and its matrix tangent in `ad/jacobian.rs`), its name in
//! `program/shaped.rs` (`ITEM_BUILTINS`), its printed forms, its exported form (a
//! helper in `export/c/helpers.rs` and `export/rust/helpers.rs`, a NumPy expression in
//! `export/python.rs`, and a case in the shaped export proptest of `tests/export.rs`),
//! and a case in `tests/shapes.rs`.
//!
//! A new statement: `syntax` (parser, AST, `grammar/nabla.ebnf` and an example under
//! `grammar/examples/`), then `program/statements.rs`. A new rewrite: one [`simplify::Rule`]
//! in `simplify/rules.rs` and an example in `tests/simplify.rs`. A new command:
//! a file in `src/cli/` with its clap arguments, thin over the library. A new descent
//! method: a [`descent::Method`] variant with its options and defaults in
//! `program/settings.rs` (what a `minimize` statement means; `descent` re-exports
//! it), its update in `descent/methods.rs` (or a file of its own, as `descent/lbfgs.rs`),
//! and a reference loop in `tests/descent.rs` (`tests/lbfgs.rs`). A new diagnosis of a wrong hand derivative: `check/diagnose.rs`
//! and a wrong derivation in `tests/checks.rs`.
//!
//! # A tour
//!
//! ```
//! use nabla::program::{LoadOptions, Program};
//! use nabla::syntax::Sources;
//! use std::path::Path;
//!
//! let mut sources = Sources::new();
//! let text = "data x = [0.5, 2.5]\nparam w = -2\nloss = sum((w*x - 1)^2)\n";
//! let id = sources.add("tour.nabla", text);
//! let mut program = Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
//!     .expect("a valid program");
//! let loss = program.definition("loss").expect("loss is defined").node;
//! let w = program.params[0].var;
//! let gradient = nabla::ad::gradient(&mut program.graph, loss, &[w]).expect("room in the graph")[0];
//! let values = nabla::eval::evaluate(&program.graph, &program.bindings(), &[loss, gradient])
//!     .expect("in the domain");
//! // loss = (-2)^2 + (-6)^2; d/dw = 2*(-2)*0.5 + 2*(-6)*2.5
//! assert_eq!(values[0].scalar(), Some(40.0));
//! assert_eq!(values[1].scalar(), Some(-32.0));
//! println!("{}", nabla::graph::print_expr(&program.graph, gradient));
//!
//! // Minimize it: plain gradient descent, 200 epochs of rate 0.05.
//! use nabla::descent::{Method, Rate, Settings, Task, minimize};
//! let task = Task { name: "loss".into(), objective: loss, wrt: vec![w], span: None };
//! let settings = Settings { method: Method::Gd, rate: Rate::Fixed(0.05), epochs: 200, ..Settings::default() };
//! let report = minimize(&mut program, &task, &settings, &mut ()).expect("it starts");
//! // The minimum of (0.5w - 1)^2 + (2.5w - 1)^2 is at w = 3/6.5.
//! assert!((report.params[0].1 - 3.0 / 6.5).abs() < 1e-9);
//! ```
#![warn(missing_docs)]
// Errors are built on cold paths and carry spans and names for their messages; their
// size does not matter, and boxing them would only add noise at every use.
#![allow(clippy::result_large_err)]

pub mod ad;
pub mod check;
pub mod cli;
pub mod descent;
pub mod error;
pub mod eval;
pub mod export;
pub mod files;
pub mod graph;
pub mod lsp;
pub mod numbers;
pub mod plot;
pub mod program;
pub mod repl;
pub mod simplify;
pub mod syntax;
pub mod tape;
