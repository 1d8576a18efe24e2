//! The computation graph: typed node ids, hash-consing, lowering from the AST, printing.

mod builder;
pub mod components;
mod dot;
mod fold;
mod latex;
pub use fold::exact_binary;
mod node;
mod print;
mod shapes;

pub use builder::{Graph, GraphFull, MAX_NODES};
pub use dot::dot;
pub use latex::{latex_aligned, latex_expr, latex_name, latex_shared};
pub use node::*;
pub(crate) use print::braces;
pub use print::{Printed, print_expr, print_shared};
pub use shapes::{ShapeError, result_item};
