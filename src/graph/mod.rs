//! The computation graph: typed node ids, hash-consing, lowering from the AST, printing.

mod builder;
mod fold;
pub use fold::exact_binary;
mod node;
mod print;

pub use builder::Graph;
pub use node::*;
pub use print::{Printed, print_expr, print_shared};
