//! Export: an objective and its verified gradient (and Hessian) as one self-contained
//! source file in C99, Rust or Python with NumPy, for a caller that passes the params
//! and the data as arrays.
//!
//! The code is generated from the simplified graph ([`crate::simplify::with_gradient`])
//! through a [`Plan`](plan::Plan) that cuts it as the tape does: scalars that read no
//! row are computed once, per-row terms inside one loop over the rows (vectorised over
//! whole columns in NumPy), `sum`/`mean` accumulated as the tape does: each chunk of
//! 256 rows summed plainly, the chunk sums added with Neumaier's compensation (in NumPy
//! each 4096-row chunk by NumPy's pairwise sum, the chunk sums exactly by `math.fsum`), so the
//! error does not grow with the row count and the inner loop stays as cheap as a plain
//! one. Shared sub-expressions are locals, constants print with
//! round-trip precision, `sigmoid` and `softplus` use the stable forms of
//! `numbers/float.rs` (in NumPy, `sigmoid` is `1/(1 + e^-x)` in place, whose overflow
//! gives the right limit 0, in place in one new array), `x^2` is `x*x`. Every operator of [`Func`](crate::graph::Func)
//! and [`BinOp`](crate::graph::BinOp) is written in every target.
//!
//! Inputs: `params` is one flat array, each param in the order of the program's
//! `param` statements, a vector or matrix param a contiguous row-major block (`W[j,k]`
//! of an `[M, K]` param at offset o is `params[o + (j-1)*K + (k-1)]`); `data[k]` is a
//! column in the order of the `data` statements (only those the objective reads):
//! `n_rows` values, or for a `[K]` column `n_rows*K` values row after row (row i at
//! `[i*K, (i+1)*K)`, what NumPy calls an `(n_rows, K)` array). The outputs are the
//! objective (returned), `grad` in the same flat layout over the params differentiated
//! by, and with the Hessian `hess[j*n + k]`, row-major (scalar params only: the
//! Hessian by a shaped param has no symbolic form, [`ExportError::ShapedHessian`]).
//! The file's header comment says all of this for the file at hand, with each param's
//! shape, offset and bounds ([`Signature`]); `--json` gives the same `layout`.
//!
//! Shapes are written as loops over the components (arrays as locals; `plan.rs` says
//! which nodes are arrays), never unrolled, so the file does not grow with K; the
//! array operators are small helpers (`c/helpers.rs`, `rust/helpers.rs`) that add in
//! the order the tape's written-out components do; NumPy uses whole-array operations
//! (`X @ w`, `np.einsum` over the rows, `_softmax` shifted by the max). C keeps its
//! arrays on the stack and refuses more than [`MAX_STACK_BYTES`]
//! ([`ExportError::StackTooLarge`]); Rust puts arrays above 4,096 components on the
//! heap.
//!
//! ```
//! use nabla::export::{Language, Objective, Options, export};
//! use nabla::program::{LoadOptions, Program};
//! use nabla::syntax::Sources;
//! use std::path::Path;
//!
//! let mut sources = Sources::new();
//! let text = "data x = [1, 2]\nparam w = 0.5\nloss = sum((w*x - 1)^2)\n";
//! let id = sources.add("line.nabla", text);
//! let mut program = Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
//!     .expect("a valid program");
//! let loss = program.definition("loss").expect("defined").node;
//! let wrt = vec![program.params[0].var];
//! let objective = Objective { name: "loss".into(), node: loss, wrt };
//! let options = Options { language: Language::C, hessian: false, source: "line.nabla".into() };
//! let code = export(&mut program, &objective, &options).expect("exportable");
//! assert!(code.contains("double loss_grad(const double *params"));
//! ```

mod c;
mod header;
pub mod names;
pub mod plan;
mod planner;
mod python;
mod rust;
mod written;

pub use c::MAX_STACK_BYTES;
pub use header::Signature;

use crate::graph::{GraphFull, NodeId, VarId};
use crate::program::Program;
use crate::syntax::Span;

/// The language of the generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// C99, only `<math.h>`.
    C,
    /// Rust, only `std`: a module with one `pub fn`.
    Rust,
    /// Python 3 with NumPy, vectorised over the rows.
    Python,
}

impl Language {
    /// The usual file extension (`c`, `rs`, `py`).
    pub fn extension(self) -> &'static str {
        match self {
            Language::C => "c",
            Language::Rust => "rs",
            Language::Python => "py",
        }
    }
}

/// What to export: a scalar objective and the params to differentiate it by.
#[derive(Debug, Clone)]
pub struct Objective {
    /// Its name in the program.
    pub name: String,
    /// Its node.
    pub node: NodeId,
    /// The params of the gradient, in its order.
    pub wrt: Vec<VarId>,
}

/// How to export.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target language.
    pub language: Language,
    /// Also the Hessian by the same params.
    pub hessian: bool,
    /// The source file's name, as the header comment shows it.
    pub source: String,
}

/// Why an objective cannot be exported. Each names its usual cause.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// `--hessian` with a vector or matrix param: the graph has no symbolic Hessian
    /// by a shaped param (SPEC 10 builds it from Hessian-vector products, at run time).
    #[error(
        "`{name}` has shape {item}: the Hessian by a vector or matrix param has no symbolic \
         form yet (nabla computes it from Hessian-vector products), so it cannot be \
         exported; export without --hessian"
    )]
    ShapedHessian {
        /// The first shaped param of the gradient.
        name: String,
        /// Its shape.
        item: crate::graph::Item,
    },
    /// The C code keeps its arrays on the stack, and these would not fit a usual
    /// thread's stack.
    #[error(
        "the C code would keep {bytes} bytes of arrays on the stack (more than {limit}); \
         export to Rust or Python, whose arrays live on the heap"
    )]
    StackTooLarge {
        /// The bytes of the C function's local arrays.
        bytes: usize,
        /// The most it may use.
        limit: usize,
    },
    /// A vector literal (`[1, 2, 3]`) inside an expression: the exported code reads
    /// rows only from the data arrays.
    #[error("a vector literal inside an expression cannot be exported; declare it with `data`")]
    VectorLiteral {
        /// The literal.
        span: Option<Span>,
    },
    /// A name without a value (only in expressions with free names, as `nabla diff`).
    #[error("`{name}` is a free name; only params and data can be inputs")]
    FreeName {
        /// The name.
        name: String,
    },
    /// A variable that is neither a param nor a data column of the program.
    #[error("`{name}` is neither a param nor a data column of the program")]
    NotAnInput {
        /// The name.
        name: String,
    },
    /// A constant that is not a finite f64 (it cannot be written as a literal).
    #[error("a constant here is not a finite number")]
    NotFinite {
        /// The constant.
        span: Option<Span>,
    },
    /// The derivatives did not fit the graph.
    #[error("the derivatives need more nodes than the graph holds")]
    GraphFull(GraphFull),
}

impl ExportError {
    /// Where in the source the error is, if it has a place.
    pub fn span(&self) -> Option<Span> {
        match self {
            ExportError::VectorLiteral { span } | ExportError::NotFinite { span } => *span,
            _ => None,
        }
    }
}

/// The source file computing `objective` and its gradient (and Hessian).
pub fn export(
    program: &mut Program,
    objective: &Objective,
    options: &Options,
) -> Result<String, ExportError> {
    let (signature, plan) = prepare(program, objective, options)?;
    render(options.language, &signature, &plan)
}

/// The source file of a prepared export in `language`; C refuses arrays that would
/// not fit the stack ([`ExportError::StackTooLarge`]).
pub fn render(
    language: Language,
    signature: &Signature,
    plan: &plan::Plan,
) -> Result<String, ExportError> {
    Ok(match language {
        Language::C => c::render(signature, plan)?,
        Language::Rust => rust::render(signature, plan),
        Language::Python => python::render(signature, plan),
    })
}

/// The signature and plan of an export, before any target writes it.
pub fn prepare(
    program: &mut Program,
    objective: &Objective,
    options: &Options,
) -> Result<(Signature, plan::Plan), ExportError> {
    let graph = &mut program.graph;
    if options.hessian {
        let shaped = objective
            .wrt
            .iter()
            .map(|&v| graph.var(v))
            .find(|v| !v.item.is_scalar());
        if let Some(var) = shaped {
            let (name, item) = (var.name.clone(), var.item);
            return Err(ExportError::ShapedHessian { name, item });
        }
    }
    let outputs = crate::simplify::with_gradient(graph, objective.node, &objective.wrt)
        .map_err(ExportError::GraphFull)?;
    let (loss, gradient) = (outputs[0], &outputs[1..]);
    let hessian = if options.hessian {
        hessian(graph, &outputs, &objective.wrt).map_err(ExportError::GraphFull)?
    } else {
        Vec::new()
    };
    let params: Vec<VarId> = program.params.iter().map(|p| p.var).collect();
    let read: std::collections::HashSet<VarId> = graph
        .reachable(&outputs)
        .into_iter()
        .filter_map(|n| match graph.op(n) {
            crate::graph::Op::Var(v) => Some(v),
            _ => None,
        })
        .collect();
    let data: Vec<VarId> = program
        .data
        .iter()
        .map(|d| d.var)
        .filter(|v| read.contains(v))
        .collect();
    let request = plan::Request {
        loss,
        gradient,
        hessian: &hessian,
        params: &params,
        data: &data,
    };
    let plan = plan::plan(graph, &request)?;
    let signature = Signature::of(program, objective, options, &data);
    Ok((signature, plan))
}

/// The Hessian's nodes, row-major: each gradient component differentiated again,
/// simplified beside the objective and its gradient (which stay as they are).
fn hessian(
    graph: &mut crate::graph::Graph,
    outputs: &[NodeId],
    wrt: &[VarId],
) -> Result<Vec<NodeId>, GraphFull> {
    let mut raw = Vec::with_capacity(wrt.len() * wrt.len());
    for &component in &outputs[1..] {
        raw.extend(crate::ad::gradient(graph, component, wrt)?);
    }
    let simplified = crate::simplify::simplify_beside(graph, &raw, outputs);
    graph.ensure_room()?;
    Ok(simplified)
}
