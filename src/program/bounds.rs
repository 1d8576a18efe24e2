//! The bounds of a param, `in [lo, hi]` (SPEC 11): read as constant numbers (the name
//! `inf` is an infinite bound here, and only here), checked (lo <= hi, no NaN), and
//! the start checked against them, component by component.

use super::lower::Lowerer;
use crate::error::{Error, ErrorKind};
use crate::graph::Item;
use crate::syntax::{ExprId, ExprKind, ParamBounds, ParamDecl, ParamInit, Span, format_f64};

/// The name that stands for an infinite bound inside `in [lo, hi]`.
pub const INFINITY_NAME: &str = "inf";

impl Lowerer<'_> {
    /// The bounds of `decl` as numbers; `Ok(None)` when it has none, `Err(())` after
    /// an error (reported).
    pub(super) fn param_bounds(&mut self, decl: &ParamDecl) -> Result<Option<(f64, f64)>, ()> {
        let Some(bounds) = &decl.bounds else {
            return Ok(None);
        };
        let name = &decl.name.name;
        let lower = self.bound(
            bounds.lower,
            &format!("the lower bound of the param `{name}`"),
        );
        let upper = self.bound(
            bounds.upper,
            &format!("the upper bound of the param `{name}`"),
        );
        let (Some(lower), Some(upper)) = (lower, upper) else {
            return Err(());
        };
        if lower > upper || lower.is_nan() || upper.is_nan() {
            let kind = ErrorKind::BoundsReversed {
                param: name.clone(),
                lower: format_f64(lower),
                upper: format_f64(upper),
            };
            self.error(kind, bounds.span);
            return Err(());
        }
        Ok(Some((lower, upper)))
    }

    /// One bound: `inf`, `-inf`, or a constant scalar expression.
    fn bound(&mut self, id: ExprId, what: &str) -> Option<f64> {
        match infinity(self.ast, id) {
            Some(sign) => Some(sign * f64::INFINITY),
            None => self.constant_number(id, what).map(|n| n.value),
        }
    }

    /// Reports the first component of `values` outside `[lower, upper]`; true when
    /// every one is inside.
    pub(super) fn start_inside(
        &mut self,
        decl: &ParamDecl,
        item: Item,
        values: &[f64],
        (lower, upper): (f64, f64),
    ) -> bool {
        let Some(k) = values.iter().position(|x| !(lower..=upper).contains(x)) else {
            return true;
        };
        let kind = ErrorKind::StartOutsideBounds {
            component: format!("{}{}", decl.name.name, item.suffix(k)),
            value: format_f64(values[k]),
            lower: format_f64(lower),
            upper: format_f64(upper),
        };
        let span = self.init_span(&decl.init, k).unwrap_or(decl.name.span);
        let bounds_span = decl.bounds.as_ref().map_or(span, |b: &ParamBounds| b.span);
        let error = Error::new(kind, Some(span)).with_label(bounds_span, "the bounds");
        self.errors.push(error);
        false
    }

    /// Where the start of component `k` is written: its entry of a brace literal, the
    /// value, or the distribution and its arguments.
    fn init_span(&self, init: &ParamInit, k: usize) -> Option<Span> {
        match init {
            ParamInit::Value(e) => {
                let leaves = self.leaves(*e);
                let leaf = leaves.get(k).copied().unwrap_or(*e);
                Some(self.ast.expr(leaf).span)
            }
            ParamInit::Random { dist, args } => {
                let last = args.last().map_or(dist.span, |a| self.ast.expr(*a).span);
                // Through the closing parenthesis, which the AST does not keep.
                let after = last.end as usize;
                let rest = self.text.get(after..).unwrap_or("");
                let end = rest.find(')').map_or(after, |i| after + i + 1);
                Some(dist.span.to(Span::new(last.source, end, end)))
            }
        }
    }
}

impl Lowerer<'_> {
    /// The entries of a brace literal in row-major order (`{{1, 2}, {3, 4}}` has
    /// four); empty for any other expression.
    fn leaves(&self, id: ExprId) -> Vec<ExprId> {
        let ExprKind::Components(items) = &self.ast.expr(id).kind else {
            return Vec::new();
        };
        let mut leaves = Vec::new();
        for &item in items {
            match &self.ast.expr(item).kind {
                ExprKind::Components(row) => leaves.extend(row),
                _ => leaves.push(item),
            }
        }
        leaves
    }
}

/// `Some(1.0)` for the name `inf`, `Some(-1.0)` for `-inf` (and `--inf`...), else
/// `None`.
fn infinity(ast: &crate::syntax::Ast, id: ExprId) -> Option<f64> {
    match &ast.expr(id).kind {
        ExprKind::Name(name) if name == INFINITY_NAME => Some(1.0),
        ExprKind::Neg(inner) => infinity(ast, *inner).map(|s| -s),
        _ => None,
    }
}
