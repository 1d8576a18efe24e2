//! Gradient descent (SPEC 5): the update rules, their options, the loop with its
//! stopping rules and divergence detection, and the per-epoch history.
//!
//! Every evaluation runs on compiled tapes ([`crate::tape::Compiled`]): the loss with
//! its whole gradient in one pass, the loss alone for Armijo's line search, the
//! symbolic Hessian for Newton, and Hessian-vector products (never forming H) for
//! `rate = auto` and for the rate suggested when a run diverges.
//!
//! - [`Method`], [`Rate`], [`Settings`]: what `by method(...)` says, read by the
//!   program (`program/settings.rs`: the statement's meaning), re-exported here.
//! - `objective.rs`: the compiled tapes behind [`Objective`], which counts the loss
//!   and gradient passes every method makes ([`Evaluations`]).
//! - `methods.rs`: one update function per method ([`Stepper`], [`Taken`]).
//! - `curvature.rs`: λmax and λmin by power iteration; [`judge`] tells a minimum
//!   from a saddle or a plateau where a run stops.
//! - `lbfgs.rs`: the L-BFGS step (SPEC 11): the two-loop direction, the strong-Wolfe
//!   search, the pair memory and its safe restarts.
//! - `bounds.rs`: [`Bounds`], the box of `param s = 1 in [0, inf]` (SPEC 11): the
//!   projection, the blocked and free components, the projected gradient.
//! - `projected.rs`: `armijo` and `newton` inside the box (Bertsekas' projection arc;
//!   Newton on the free components).
//! - `search.rs`: the backtracking line search and the cap on a step's length.
//! - [`line_search`]: Moré and Thuente's strong-Wolfe line search (MINPACK-2's `dcsrch`,
//!   reproducing the tables of their paper), the search of `lbfgs`.
//! - `run.rs`: [`minimize`], the loop with its stops (`tol`, `ftol`, `epochs`,
//!   divergence, a stall judged by the curvature).
//! - `report.rs`: [`Report`] says why it stopped ([`Stop`]) and what it cost.
//! - `history.rs`: [`History`] (an [`Observer`]) and its CSV.

mod bounds;
mod curvature;
mod history;
mod lbfgs;
pub mod line_search;
mod methods;
mod objective;
mod projected;
mod report;
mod run;
mod search;

pub use crate::program::settings::{
    COMMON_OPTIONS, FTOL_EPOCHS, LBFGS_FROM_PARAMS, METHODS, Method, Rate, Settings,
    default_method, read_settings,
};
pub use bounds::{Bounds, Side};
pub use curvature::{Curvature, Stationary, curvature, curvature_on, judge, lambda_max};
pub use history::{History, Row, csv_header};
pub use methods::{Stepper, Taken, cholesky_solve, newton_direction};
pub use objective::{Evaluations, Nodes, Objective, derivative_nodes};
pub use run::{
    AtBound, Cause, Divergence, MAX_NEWTON_PARAMS, Observer, Record, Report, Stop, Task, Warning,
    minimize,
};
pub use search::{MAX_SHRINKS, NEWTON_C, step_cap};
