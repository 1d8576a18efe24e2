//! The computation graph: typed node ids, hash-consing, lowering from the AST, printing.

mod builder;
mod fold;
mod node;

pub use builder::Graph;
pub use node::*;
