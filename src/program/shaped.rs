//! Lowering the vector and matrix forms of SPEC 10: operators checked for shape (an
//! error names both shapes and points at both operands), the item built-ins (`dot`,
//! `outer`, `total`, `norm`, `softmax`, `logsumexp`, `transpose`, `zeros`, `ones`),
//! brace literals, indexing, and the derivative by a component.

use super::lower::Lowerer;
use crate::error::{Error, ErrorKind};
use crate::graph::{
    Func, Item, ItemFunc, NodeId, Op, ProductOp, Shape, ShapeError, VarId, result_item,
};
use crate::syntax::{ColumnSel, DataName, Dim, ExprId, ExprKind, Number, Span};
use std::collections::HashMap;

/// The built-ins over item axes, by name, with their number of arguments.
pub(crate) const ITEM_BUILTINS: [&str; 10] = [
    "dot",
    "outer",
    "total",
    "transpose",
    "norm",
    "softmax",
    "logsumexp",
    "diag",
    "zeros",
    "ones",
];

impl Lowerer<'_> {
    /// Adds `op` after checking that its operands' shapes fit; `spans` are the
    /// operands' spans for the message. Inside a function's body (`in_body`) the
    /// params have no shape yet: the call checks the inlined body instead.
    pub(super) fn add_checked(
        &mut self,
        op: Op,
        span: Span,
        spans: &[Span],
        in_body: bool,
    ) -> Option<NodeId> {
        let graph = &self.program.graph;
        if !in_body {
            if let Err(e) = result_item(graph, op) {
                return self.shape_error(e, span, op, spans);
            }
            if let Op::Unary(f @ (Func::Sum | Func::Mean), a) = op
                && graph.shape(a) == Shape::Scalar
                && !graph.item(a).is_scalar()
            {
                let item = graph.item(a);
                let kind = ErrorKind::ReduceRowless {
                    func: f.name(),
                    item,
                };
                return self.fail(kind, span);
            }
        }
        Some(self.program.graph.add(op, Some(span)))
    }

    fn shape_error<T>(&mut self, e: ShapeError, span: Span, op: Op, spans: &[Span]) -> Option<T> {
        let mut error = Error::new(ErrorKind::Shape(e), Some(span));
        let operands: Vec<NodeId> = op.operands().collect();
        for (&operand, &at) in operands.iter().zip(spans) {
            let item = self.program.graph.item(operand);
            error = error.with_label(at, format!("this has shape {item}"));
        }
        self.errors.push(error);
        None
    }

    /// Checks every node made from `first` on (an inlined call's body, now with its
    /// arguments' shapes): a misfit is reported at the call.
    pub(super) fn check_inlined(&mut self, first: NodeId, span: Span) -> Option<()> {
        let graph = &self.program.graph;
        for index in first.index()..graph.len() {
            let op = graph.op(NodeId(index as u32));
            if let Err(e) = result_item(graph, op) {
                return self.shape_error(e, span, Op::Pi, &[]);
            }
        }
        Some(())
    }

    /// A call of an item built-in, or `None` (and no error) if `name` is not one.
    pub(super) fn item_call(
        &mut self,
        name: &str,
        args: &[(NodeId, Span)],
        arg_exprs: &[ExprId],
        span: Span,
        in_body: bool,
    ) -> Option<Option<NodeId>> {
        let arity = |expected: usize| ErrorKind::WrongArity {
            name: name.into(),
            expected,
            found: args.len(),
        };
        let spans: Vec<Span> = args.iter().map(|a| a.1).collect();
        if let Some(p) = ProductOp::from_name(name) {
            if args.len() != 2 {
                return Some(self.fail(arity(2), span));
            }
            let op = Op::Product(p, args[0].0, args[1].0);
            return Some(self.add_checked(op, span, &spans, in_body));
        }
        if let Some(f) = ItemFunc::from_name(name) {
            if args.len() != 1 {
                return Some(self.fail(arity(1), span));
            }
            let op = Op::Item(f, args[0].0);
            return Some(self.add_checked(op, span, &spans, in_body));
        }
        if matches!(name, "zeros" | "ones") {
            return Some(self.fill(name, arg_exprs, span));
        }
        None
    }

    /// `zeros(3)`, `ones(2, 3)`: constant integer sizes.
    fn fill(&mut self, name: &str, args: &[ExprId], span: Span) -> Option<NodeId> {
        let mut dims = Vec::with_capacity(args.len());
        for &arg in args {
            match &self.ast.expr(arg).kind {
                ExprKind::Number(n) if n.value >= 1.0 && n.value.fract() == 0.0 => {
                    dims.push(n.value as usize)
                }
                _ => {
                    let what = format!("a size of `{name}`");
                    return self.fail(ErrorKind::BadSize { what }, self.ast.expr(arg).span);
                }
            }
        }
        let Some(item) = Item::of_dims(&dims).filter(|i| !i.is_scalar()) else {
            let what = format!("the sizes of `{name}` (one or two)");
            return self.fail(ErrorKind::BadSize { what }, span);
        };
        Some(self.program.graph.fill(i64::from(name == "ones"), item))
    }

    /// `{1, 2, 3}` or `{{1, 2}, {3, 4}}`: a constant item literal.
    pub(super) fn components_literal(&mut self, items: &[ExprId], span: Span) -> Option<NodeId> {
        let (item, numbers) = self.constant_components(items, span)?;
        Some(self.program.graph.tensor_node(item, numbers, Some(span)))
    }

    /// The item shape and components (row-major) of a brace literal of constants.
    pub(super) fn constant_components(
        &mut self,
        items: &[ExprId],
        span: Span,
    ) -> Option<(Item, Vec<Number>)> {
        let nested: Vec<&Vec<ExprId>> = items
            .iter()
            .filter_map(|&e| match &self.ast.expr(e).kind {
                ExprKind::Components(row) => Some(row),
                _ => None,
            })
            .collect();
        if nested.is_empty() {
            let mut numbers = Vec::with_capacity(items.len());
            for &e in items {
                numbers.push(self.constant_number(e, "a component of `{...}`")?);
            }
            let item = Item::of_dims(&[numbers.len()])?;
            return Some((item, numbers));
        }
        let width = nested[0].len();
        if nested.len() != items.len() || nested.iter().any(|row| row.len() != width) {
            return self.fail(ErrorKind::RaggedMatrix, span);
        }
        let mut numbers = Vec::with_capacity(items.len() * width);
        for row in nested {
            for &e in row {
                numbers.push(self.constant_number(e, "a component of `{...}`")?);
            }
        }
        let item = Item::of_dims(&[items.len(), width])?;
        Some((item, numbers))
    }

    /// `v[k]`, `A[i, j]`.
    pub(super) fn index(&mut self, base: NodeId, indices: &[Dim], span: Span) -> Option<NodeId> {
        let item = self.program.graph.item(base);
        let index: Vec<usize> = indices.iter().map(|d| d.size).collect();
        let Some(k) = item.component(&index) else {
            let at = indices.first().map_or(span, |d| d.span);
            let kind = ErrorKind::BadIndex {
                index: index
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                item,
            };
            return self.fail(kind, at);
        };
        Some(
            self.program
                .graph
                .add(Op::Index(base, k as u32), Some(span)),
        )
    }

    /// The error for a `d(of)/d(var)` that [`crate::ad::derivative`] cannot build (its
    /// Jacobian would need three axes).
    pub(super) fn jacobian_error<T>(&mut self, of: NodeId, var: VarId, span: Span) -> Option<T> {
        let graph = &self.program.graph;
        let by = graph.var(var).item;
        let of_item = graph.item(of);
        let rows = graph.shape(of) == Shape::Rows;
        self.fail(
            ErrorKind::Jacobian {
                of: of_item,
                rows,
                by,
            },
            span,
        )
    }

    /// The initial components of a param of shape `item` from one value (every
    /// component) or a brace literal (which must have that shape).
    pub(super) fn shaped_init(
        &mut self,
        declared: Option<Item>,
        init: ExprId,
        what: &str,
    ) -> Option<(Item, Vec<f64>)> {
        let expr = self.ast.expr(init);
        let span = expr.span;
        if let ExprKind::Components(items) = &expr.kind {
            let items = items.clone();
            let (item, numbers) = self.constant_components(&items, span)?;
            if declared.is_some_and(|d| d != item) {
                let declared = declared.unwrap_or_default();
                let e = ShapeError::Mismatch {
                    left: declared,
                    right: item,
                };
                return self.shape_error(e, span, Op::Pi, &[]);
            }
            return Some((item, numbers.iter().map(|n| n.value).collect()));
        }
        let value = self.constant_number(init, what)?;
        let item = declared.unwrap_or_default();
        Some((item, vec![value.value; item.size()]))
    }
}

/// The item shape declared by `[3]` or `[8, 2]`; `None` (after an error) if too large.
pub(super) fn declared_item(dims: &[Dim]) -> Result<Option<Item>, Span> {
    if dims.is_empty() {
        return Ok(None);
    }
    let sizes: Vec<usize> = dims.iter().map(|d| d.size).collect();
    let span = dims.first().map(|d| d.span).unwrap_or_default();
    Item::of_dims(&sizes).map(Some).ok_or(span)
}

/// Locals of a function body (their shapes are the call's).
pub(super) fn in_body(locals: &HashMap<String, NodeId>) -> bool {
    !locals.is_empty()
}

/// The header names each name of a `data ... from` statement takes: its own for a
/// plain name, its selections in order for `X[a, b..d, *]` (`*`: every header that no
/// other name or selection of the statement takes). An error names a missing header
/// or a backward range.
pub(super) fn select_columns(
    names: &[DataName],
    headers: &[String],
) -> Result<Vec<Vec<(String, Span)>>, Error> {
    let position = |id: &crate::syntax::Ident| {
        headers.iter().position(|h| *h == id.name).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingColumn {
                    path: String::new(),
                    column: id.name.clone(),
                    available: headers.join(", "),
                },
                Some(id.span),
            )
        })
    };
    let mut taken = vec![false; headers.len()];
    let mut explicit: Vec<Vec<Option<(String, Span)>>> = Vec::new();
    for name in names {
        let Some(selections) = &name.columns else {
            if let Ok(i) = position(&name.name) {
                taken[i] = true;
            }
            explicit.push(vec![Some((name.name.name.clone(), name.name.span))]);
            continue;
        };
        let mut chosen = Vec::new();
        for selection in selections {
            match selection {
                ColumnSel::Name(id) => {
                    taken[position(id)?] = true;
                    chosen.push(Some((id.name.clone(), id.span)));
                }
                ColumnSel::Range(from, to) => {
                    let (a, b) = (position(from)?, position(to)?);
                    if b < a {
                        let what =
                            format!("the range `{}..{}` (it runs backwards)", from.name, to.name);
                        return Err(Error::new(
                            ErrorKind::BadSize { what },
                            Some(from.span.to(to.span)),
                        ));
                    }
                    for (k, header) in headers.iter().enumerate().take(b + 1).skip(a) {
                        taken[k] = true;
                        chosen.push(Some((header.clone(), from.span.to(to.span))));
                    }
                }
                ColumnSel::Rest(_) => chosen.push(None),
            }
        }
        explicit.push(chosen);
    }
    let rest_span = |name: &DataName| {
        name.columns.iter().flatten().find_map(|s| match s {
            ColumnSel::Rest(span) => Some(*span),
            _ => None,
        })
    };
    let mut out = Vec::with_capacity(names.len());
    for (name, chosen) in names.iter().zip(explicit) {
        let mut columns = Vec::new();
        for entry in chosen {
            match entry {
                Some(column) => columns.push(column),
                None => {
                    let span = rest_span(name).unwrap_or(name.name.span);
                    let rest = headers.iter().zip(&taken).filter(|(_, t)| !**t);
                    columns.extend(rest.map(|(h, _)| (h.clone(), span)));
                }
            }
        }
        out.push(columns);
    }
    Ok(out)
}
