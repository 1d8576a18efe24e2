//! nabla: symbolic reverse-mode differentiation and gradient descent.
#![warn(missing_docs)]

pub mod syntax;
pub mod graph;
pub mod error;
pub mod eval;
pub mod ad;
pub mod program;
pub mod cli;
