//! The computation graph: typed node ids, hash-consing, lowering from the AST, printing.

mod builder;
mod fold;
mod node;
mod print;

pub use builder::Graph;
pub use node::*;
pub use print::{Printed, print_expr, print_shared};
