//! Lowering one expression: names resolved, built-ins and user functions applied,
//! derivatives taken, all by a walk over the expression's arena range (no recursion).

use super::lower::{BINARY_BUILTINS, Lowerer, Symbol};
use super::names::suggest;
use super::shaped::{ITEM_BUILTINS, in_body};
use crate::error::ErrorKind;
use crate::graph::{BinOp, Constant, Func, NodeId, Op, ProductOp, VarId, VarKind};
use crate::syntax::{BinaryOp, ExprId, ExprKind, Ident, Span};
use std::collections::HashMap;

impl Lowerer<'_> {
    /// Lowers the expression `root`; `locals` binds a function's parameters. Reports
    /// every error inside it and returns `None` if there was any.
    pub(super) fn lower_expr(
        &mut self,
        root: ExprId,
        locals: &HashMap<String, NodeId>,
    ) -> Option<NodeId> {
        let ast = self.ast;
        let first = ast.expr(root).first.index();
        let mut nodes: Vec<Option<NodeId>> = vec![None; root.index() + 1 - first];
        let errors_before = self.errors.len();
        let mut failed = false;
        for id in ast.subtree(root) {
            if let Err(full) = self.program.graph.ensure_room() {
                let span = ast.expr(root).span;
                return self.graph_full(full, "the expression".to_string(), span);
            }
            let node = self.lower_one(id, locals, |c: ExprId| nodes[c.index() - first]);
            failed |= node.is_none();
            nodes[id.index() - first] = node;
        }
        let ok = self.errors.len() == errors_before && !failed;
        nodes[root.index() - first].filter(|_| ok)
    }

    /// Lowers one node whose children are already lowered (`child` gives their nodes).
    fn lower_one(
        &mut self,
        id: ExprId,
        locals: &HashMap<String, NodeId>,
        child: impl Fn(ExprId) -> Option<NodeId>,
    ) -> Option<NodeId> {
        let expr = self.ast.expr(id);
        let span = Some(expr.span);
        match &expr.kind {
            ExprKind::Number(n) => Some(self.program.graph.add(Op::Const(Constant(*n)), span)),
            ExprKind::Name(name) => self.resolve_value(name, expr.span, locals),
            ExprKind::Neg(a) => Some(
                self.program
                    .graph
                    .add(Op::Unary(Func::Neg, child(*a)?), span),
            ),
            ExprKind::Binary(op, a, b) => {
                let spans = [self.ast.expr(*a).span, self.ast.expr(*b).span];
                let (a, b) = (child(*a)?, child(*b)?);
                let op = match binary_op(*op) {
                    Some(op) => Op::Binary(op, a, b),
                    None => Op::Product(ProductOp::Dot, a, b),
                };
                self.add_checked(op, expr.span, &spans, in_body(locals))
            }
            ExprKind::Call { callee, args } => {
                let spans: Vec<Span> = args.iter().map(|a| self.ast.expr(*a).span).collect();
                let exprs = args.clone();
                let args: Option<Vec<NodeId>> = args.iter().map(|a| child(*a)).collect();
                self.call(callee, &args?, &spans, &exprs, expr.span, locals)
            }
            ExprKind::Vector(items) => {
                let items: Vec<ExprId> = items.clone();
                self.vector_literal(&items, expr.span)
            }
            ExprKind::Components(items) => {
                let items = items.clone();
                self.components_literal(&items, expr.span)
            }
            ExprKind::Index { base, indices } => {
                let indices = indices.clone();
                self.index(child(*base)?, &indices, expr.span)
            }
            ExprKind::Derivative { of, wrt, component } => {
                let of = child(*of)?;
                let component = component.clone();
                let whole = self.derivative(of, wrt, locals)?;
                match component.is_empty() {
                    true => Some(whole),
                    false => self.index(whole, &component, wrt.span),
                }
            }
        }
    }

    fn resolve_value(
        &mut self,
        name: &str,
        span: Span,
        locals: &HashMap<String, NodeId>,
    ) -> Option<NodeId> {
        if let Some(&node) = locals.get(name) {
            return Some(node);
        }
        match self.symbols.get(name) {
            Some((Symbol::Value(node), _)) => return Some(*node),
            Some((Symbol::Failed, _)) => return None,
            Some((Symbol::Pending(missing), _)) => {
                let missing = missing.clone();
                return self.use_pending(name, missing, span);
            }
            Some((Symbol::Function(..), _)) => {
                return self.fail(ErrorKind::FunctionAsValue { name: name.into() }, span);
            }
            None => {}
        }
        match name {
            "pi" => return Some(self.program.graph.add(Op::Pi, Some(span))),
            "e" => return Some(self.program.graph.add(Op::Euler, Some(span))),
            _ => {}
        }
        if Func::from_name(name).is_some() || BINARY_BUILTINS.iter().any(|(n, _)| *n == name) {
            return self.fail(ErrorKind::FunctionAsValue { name: name.into() }, span);
        }
        if self.free_names {
            return Some(self.program.graph.var_node(name, VarKind::Free, Some(span)));
        }
        let suggestion = suggest(name, self.value_names(locals));
        self.fail(
            ErrorKind::UnknownName {
                name: name.into(),
                suggestion,
            },
            span,
        )
    }

    fn value_names<'b>(&'b self, locals: &'b HashMap<String, NodeId>) -> Vec<&'b str> {
        let symbols = self
            .symbols
            .iter()
            .filter(|(_, (s, _))| !matches!(s, Symbol::Function(..)))
            .map(|(n, _)| n.as_str());
        locals
            .keys()
            .map(String::as_str)
            .chain(symbols)
            .chain(["pi", "e"])
            .collect()
    }

    fn call(
        &mut self,
        callee: &Ident,
        args: &[NodeId],
        spans: &[Span],
        exprs: &[ExprId],
        span: Span,
        locals: &HashMap<String, NodeId>,
    ) -> Option<NodeId> {
        let name = callee.name.as_str();
        let arity = |expected: usize| ErrorKind::WrongArity {
            name: name.into(),
            expected,
            found: args.len(),
        };
        match self.symbols.get(name).map(|(s, _)| s.clone()) {
            Some(Symbol::Function(params, body)) => {
                if params.len() != args.len() {
                    return self.fail(arity(params.len()), span);
                }
                let first = NodeId(self.program.graph.len() as u32);
                let node = self.inline(name, &params, body, args, span)?;
                if !in_body(locals) {
                    self.check_inlined(first, span)?;
                }
                return Some(node);
            }
            Some(Symbol::Failed) => return None,
            Some(Symbol::Pending(missing)) => return self.use_pending(name, missing, span),
            Some(Symbol::Value(_)) => {
                return self.fail(ErrorKind::NotAFunction { name: name.into() }, callee.span);
            }
            None => {}
        }
        let body = in_body(locals);
        if let Some(func) = Func::from_name(name) {
            if args.len() != 1 {
                return self.fail(arity(1), span);
            }
            return self.add_checked(Op::Unary(func, args[0]), span, spans, body);
        }
        if let Some((_, op)) = BINARY_BUILTINS.iter().find(|(n, _)| *n == name) {
            if args.len() != 2 {
                return self.fail(arity(2), span);
            }
            return self.add_checked(Op::Binary(*op, args[0], args[1]), span, spans, body);
        }
        let with_spans: Vec<(NodeId, Span)> =
            args.iter().copied().zip(spans.iter().copied()).collect();
        if let Some(result) = self.item_call(name, &with_spans, exprs, span, body) {
            return result;
        }
        if locals.contains_key(name) || matches!(name, "pi" | "e") {
            return self.fail(ErrorKind::NotAFunction { name: name.into() }, callee.span);
        }
        if self.forward_functions && self.in_definition {
            // A later input may define it: the definition waits (see `lower_body`).
            self.pending.get_or_insert((name.to_string(), callee.span));
            return None;
        }
        let candidates = self.function_names();
        let suggestion = suggest(name, candidates.iter().map(String::as_str));
        self.fail(
            ErrorKind::UnknownFunction {
                name: name.into(),
                suggestion,
            },
            callee.span,
        )
    }

    /// A use of `name`, which waits for the function `missing`: inside a definition,
    /// the definition waits too; anywhere else, an error.
    fn use_pending(&mut self, name: &str, missing: String, span: Span) -> Option<NodeId> {
        if self.in_definition {
            self.pending.get_or_insert((missing, span));
            return None;
        }
        let kind = ErrorKind::NotYetDefined {
            name: name.to_string(),
            missing,
        };
        self.fail(kind, span)
    }

    pub(super) fn function_names(&self) -> Vec<String> {
        let user = self
            .symbols
            .iter()
            .filter(|(_, (s, _))| matches!(s, Symbol::Function(..)))
            .map(|(n, _)| n.clone());
        let builtin = Func::NAMED.iter().map(|(n, _)| n.to_string());
        let builtin = builtin.chain(ITEM_BUILTINS.iter().map(|n| n.to_string()));
        let binary = BINARY_BUILTINS.iter().map(|(n, _)| n.to_string());
        user.chain(builtin).chain(binary).collect()
    }

    fn vector_literal(&mut self, items: &[ExprId], span: Span) -> Option<NodeId> {
        let mut numbers = Vec::with_capacity(items.len());
        for &item in items {
            numbers.push(self.constant_number(item, "an element of a vector")?);
        }
        self.check_rows("[...]", numbers.len(), span)
            .then_some(())?;
        Some(self.program.graph.column_node(numbers, Some(span)))
    }

    fn derivative(
        &mut self,
        of: NodeId,
        wrt: &Ident,
        locals: &HashMap<String, NodeId>,
    ) -> Option<NodeId> {
        let by = self.resolve_value(&wrt.name, wrt.span, locals)?;
        let Op::Var(var) = self.program.graph.op(by) else {
            return self.fail(
                ErrorKind::NotAVariable {
                    name: wrt.name.clone(),
                },
                wrt.span,
            );
        };
        match crate::ad::derivative(&mut self.program.graph, of, var) {
            Ok(Some(node)) => Some(node),
            Ok(None) => self.jacobian_error(of, var, wrt.span),
            Err(full) => {
                let what = format!("the derivative by `{}`", wrt.name);
                self.graph_full(full, what, wrt.span)
            }
        }
    }

    /// A call of the user function `name`: its body with the arguments substituted
    /// for its parameters, on the graph. A call with arguments already seen is one
    /// lookup, so the cost of lowering grows with the distinct calls, not the paths.
    fn inline(
        &mut self,
        name: &str,
        params: &[VarId],
        body: NodeId,
        args: &[NodeId],
        span: Span,
    ) -> Option<NodeId> {
        let key = (body, args.to_vec());
        if let Some(&node) = self.calls.get(&key) {
            return Some(node);
        }
        let substitutions: Vec<_> = params.iter().copied().zip(args.iter().copied()).collect();
        match self.program.graph.substitute(body, &substitutions) {
            Ok(node) => {
                self.calls.insert(key, node);
                Some(node)
            }
            Err(full) => self.graph_full(full, format!("the call of `{name}`"), span),
        }
    }
}

/// The graph's operator for a binary operator; `None` for `@`, a product rather than a componentwise operator.
fn binary_op(op: BinaryOp) -> Option<BinOp> {
    Some(match op {
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div => BinOp::Div,
        BinaryOp::Pow => BinOp::Pow,
        BinaryOp::MatMul => return None,
    })
}
