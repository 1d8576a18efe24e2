//! Lowering definitions (in dependency order), checks and minimize statements.

use super::lower::Item;
use super::lower::{Lowerer, Symbol};
use super::names::order;
use super::{Check, Definition, Minimize, OptionValue};
use crate::error::{Error, ErrorKind};
use crate::graph::{NodeId, Op, Shape, VarId};
use crate::syntax::{ExprId, ExprKind, Ident, Method, StmtKind};
use std::collections::HashMap;

/// A function's parameters by name.
type Locals = HashMap<String, NodeId>;

/// A definition statement: name, function parameters, body, and where it is.
struct Def<'a> {
    name: &'a Ident,
    params: Option<&'a Vec<Ident>>,
    body: ExprId,
    item: &'a Item<'a>,
}

impl<'a> Lowerer<'a> {
    /// Lowers every definition, each after the definitions it uses; reports cycles.
    pub(super) fn lower_definitions(&mut self) {
        let mut defs: Vec<Def> = Vec::new();
        for item in self.items() {
            self.enter(item);
            if let StmtKind::Define { name, params, body } = &item.stmt.kind
                && self.declare(name, Symbol::Failed)
            {
                defs.push(Def {
                    name,
                    params: params.as_ref(),
                    body: *body,
                    item,
                });
            }
        }
        let index: HashMap<&str, usize> = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.name.as_str(), i))
            .collect();
        let uses: Vec<Vec<usize>> = defs.iter().map(|d| uses(d, &index)).collect();
        let (order, cycles) = order(&uses);
        for cycle in cycles {
            let names: Vec<String> = cycle.iter().map(|&i| defs[i].name.name.clone()).collect();
            let mut error = Error::new(
                ErrorKind::Cycle { cycle: names },
                Some(defs[cycle[0]].name.span),
            );
            for &i in &cycle[1..cycle.len() - 1] {
                error = error.with_label(
                    defs[i].name.span,
                    format!("`{}` is part of the cycle", defs[i].name.name),
                );
            }
            self.errors.push(error);
        }
        for i in order {
            self.lower_definition(&defs[i]);
        }
    }

    fn lower_definition(&mut self, def: &Def<'a>) {
        self.enter(def.item);
        let kind = if def.params.is_some() {
            "function"
        } else {
            "definition"
        };
        self.statement = format!("the {kind} `{}`", def.name.name);
        let symbol = match def.params {
            None => match self.lower_body(def, &HashMap::new()) {
                Ok(node) => {
                    self.program.definitions.push(Definition {
                        name: def.name.name.clone(),
                        node,
                        span: def.name.span,
                    });
                    Symbol::Value(node)
                }
                Err(symbol) => symbol,
            },
            Some(params) => match self.function_params(params) {
                Some((vars, locals)) => match self.lower_body(def, &locals) {
                    Ok(body) => Symbol::Function(vars, body),
                    Err(symbol) => symbol,
                },
                None => return,
            },
        };
        self.symbols.set_symbol(&def.name.name, symbol);
    }

    /// A function's parameters as private variables, and their nodes by name; `None`
    /// (reported) if a name is repeated.
    fn function_params(&mut self, params: &[Ident]) -> Option<(Vec<VarId>, Locals)> {
        let mut locals = HashMap::new();
        let mut vars = Vec::new();
        for (i, p) in params.iter().enumerate() {
            if let Some(first) = params[..i].iter().find(|q| q.name == p.name) {
                let kind = ErrorKind::Duplicate {
                    name: p.name.clone(),
                };
                let error =
                    Error::new(kind, Some(p.span)).with_label(first.span, "first defined here");
                self.errors.push(error);
                return None;
            }
            let node = self.program.graph.local_var_node(&p.name, Some(p.span));
            let Op::Var(var) = self.program.graph.op(node) else {
                continue;
            };
            locals.insert(p.name.clone(), node);
            vars.push(var);
        }
        Some((vars, locals))
    }

    /// A definition's body as a node, or the symbol the name gets instead: pending
    /// when it calls a function not defined yet (with a warning), else failed.
    fn lower_body(&mut self, def: &Def<'a>, locals: &Locals) -> Result<NodeId, Symbol> {
        self.in_definition = true;
        let errors_before = self.errors.len();
        let node = self.lower_expr(def.body, locals);
        self.in_definition = false;
        let pending = self.pending.take();
        match (node, pending) {
            (Some(node), _) => Ok(node),
            (None, Some((missing, span))) if self.errors.len() == errors_before => {
                self.warn_pending(&def.name.name, &missing, span);
                Err(Symbol::Pending(missing))
            }
            (None, _) => Err(Symbol::Failed),
        }
    }

    /// Warns that `name` waits for the function `missing` (called at `span`).
    fn warn_pending(&mut self, name: &str, missing: &str, span: crate::syntax::Span) {
        let candidates = self.function_names();
        let hint = match super::names::suggest(missing, candidates.iter().map(String::as_str)) {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None => String::new(),
        };
        let message =
            format!("`{name}` waits for the function `{missing}`, which is not defined yet{hint}");
        let warning = Error::new(ErrorKind::Usage(message), Some(span));
        self.program.warnings.push(warning);
    }

    /// Lowers checks, minimize statements and bare expressions, in source order.
    pub(super) fn lower_statements(&mut self, allow_expressions: bool) {
        for item in self.items() {
            self.enter(item);
            let stmt = &*item.stmt;
            match &stmt.kind {
                StmtKind::Check {
                    derivative,
                    expected,
                } => {
                    if let Some(check) = self.lower_check(*derivative, *expected, stmt.span) {
                        self.program.checks.push(check);
                    }
                }
                StmtKind::Minimize {
                    objective,
                    wrt,
                    method,
                } => {
                    if let Some(m) =
                        self.lower_minimize(*objective, wrt, method.as_ref(), stmt.span)
                    {
                        self.program.minimizes.push(m);
                    }
                }
                StmtKind::Expr(e) if allow_expressions => {
                    self.statement = "the expression".to_string();
                    if let Some(node) = self.lower_expr(*e, &HashMap::new()) {
                        self.program.expressions.push((node, stmt.span));
                    }
                }
                StmtKind::Expr(_) => {
                    let text = shortened(self.slice(stmt.span), 40);
                    self.error(ErrorKind::BareExpression { text }, stmt.span)
                }
                _ => {}
            }
        }
    }

    fn lower_check(
        &mut self,
        derivative: ExprId,
        expected: ExprId,
        span: crate::syntax::Span,
    ) -> Option<Check> {
        let ExprKind::Derivative { of, wrt, component } = &self.ast.expr(derivative).kind else {
            return None;
        };
        let component = component.clone();
        let (of, wrt) = (*of, wrt.clone());
        let of_text = self.slice(self.ast.expr(of).span).to_string();
        self.statement = format!("the check of d({of_text})/d({})", wrt.name);
        let of_node = self.lower_expr(of, &HashMap::new());
        let expected_node = self.lower_expr(expected, &HashMap::new());
        let var = match self.symbols.get(&wrt.name) {
            Some((Symbol::Value(node), _)) => match self.program.graph.op(*node) {
                Op::Var(v) => Some(v),
                _ => None,
            },
            Some((Symbol::Failed, _)) => return None,
            _ => None,
        };
        let Some(var) = var else {
            let kind = if self.symbols.contains_key(&wrt.name) {
                ErrorKind::NotAVariable {
                    name: wrt.name.clone(),
                }
            } else {
                let names = self.program.params.iter().map(|p| p.name.as_str());
                ErrorKind::UnknownName {
                    name: wrt.name.clone(),
                    suggestion: super::names::suggest(&wrt.name, names),
                }
            };
            return self.fail(kind, wrt.span);
        };
        let (of_node, expected_node) = (of_node?, expected_node?);
        let mut ad = match crate::ad::derivative(&mut self.program.graph, of_node, var) {
            Ok(Some(ad)) => ad,
            Ok(None) => return self.jacobian_error(of_node, var, wrt.span),
            Err(full) => {
                let what = format!("the derivative d({of_text})/d({})", wrt.name);
                return self.fail(Error::graph_full(full, what, Some(span)).kind, span);
            }
        };
        if !component.is_empty() {
            ad = self.index(ad, &component, wrt.span)?;
        }
        let (ad_item, e_item) = (
            self.program.graph.item(ad),
            self.program.graph.item(expected_node),
        );
        if ad_item != e_item {
            let e = crate::graph::ShapeError::Mismatch {
                left: ad_item,
                right: e_item,
            };
            let at = self.ast.expr(expected).span;
            let error = Error::new(ErrorKind::Shape(e), Some(at))
                .with_label(
                    self.ast.expr(derivative).span,
                    format!("the derivative has shape {ad_item}"),
                )
                .with_label(at, format!("the hand derivation has shape {e_item}"));
            self.errors.push(error);
            return None;
        }
        let graph = &self.program.graph;
        if graph.shape(expected_node) == Shape::Rows && graph.shape(ad) == Shape::Scalar {
            let rows = self.rows.as_ref().map_or(0, |r| r.0);
            let what = format!(
                "the hand-derived d({of_text})/d({}), like the derivative,",
                wrt.name
            );
            return self.fail(
                ErrorKind::NotScalar { what, rows },
                self.ast.expr(expected).span,
            );
        }
        Some(Check {
            of_text,
            of: of_node,
            wrt: var,
            derivative: ad,
            expected: expected_node,
            span,
        })
    }

    fn lower_minimize(
        &mut self,
        objective: ExprId,
        wrt: &[Ident],
        method: Option<&Method>,
        span: crate::syntax::Span,
    ) -> Option<Minimize> {
        let objective_span = self.ast.expr(objective).span;
        let name = self.slice(objective_span).to_string();
        self.statement = format!("`minimize {name}`");
        let node = self.lower_expr(objective, &HashMap::new());
        let mut vars = Vec::new();
        for w in wrt {
            match self.program.params.iter().find(|p| p.name == w.name) {
                Some(p) => vars.push(p.var),
                None => {
                    let names = self.program.params.iter().map(|p| p.name.as_str());
                    let suggestion = super::names::suggest(&w.name, names);
                    self.error(
                        ErrorKind::UnknownName {
                            name: w.name.clone(),
                            suggestion,
                        },
                        w.span,
                    );
                }
            }
        }
        let options = self.method_options(method)?;
        let settings = super::settings::read_settings(method.map(|m| &m.name), &options)
            .map_err(|mut errors| self.errors.append(&mut errors))
            .ok();
        let node = node?;
        if self.program.graph.shape(node) == Shape::Rows {
            let rows = self.rows.as_ref().map_or(0, |r| r.0);
            return self.fail(ErrorKind::VectorObjective { name, rows }, objective_span);
        }
        if wrt.is_empty() {
            let params: Vec<VarId> = self.program.params.iter().map(|p| p.var).collect();
            vars = self.program.graph.dependencies(node, &params);
        }
        let mut settings = settings?;
        if method.is_none() {
            settings.switch_method(super::settings::default_method(
                self.program.sizes(&vars).iter().sum(),
            ));
        }
        Some(Minimize {
            name,
            objective: node,
            wrt: vars,
            method: method.map(|m| m.name.clone()),
            options,
            settings,
            span,
        })
    }

    fn method_options(&mut self, method: Option<&Method>) -> Option<Vec<(Ident, OptionValue)>> {
        let mut options = Vec::new();
        let mut ok = true;
        for option in method.map(|m| m.options.as_slice()).unwrap_or_default() {
            let value = match &self.ast.expr(option.value).kind {
                ExprKind::Name(n) if !matches!(n.as_str(), "pi" | "e") => {
                    Some(OptionValue::Name(n.clone()))
                }
                _ => self
                    .constant_number(option.value, "a method option")
                    .map(|n| OptionValue::Number(n.value)),
            };
            match value {
                Some(v) => options.push((option.name.clone(), v)),
                None => ok = false,
            }
        }
        ok.then_some(options)
    }
}

/// The definitions a definition refers to (by name, minus its own parameters).
fn uses(def: &Def, index: &HashMap<&str, usize>) -> Vec<usize> {
    let own = |n: &str| def.params.is_some_and(|ps| ps.iter().any(|p| p.name == n));
    let ast = def.item.ast;
    let mut found = Vec::new();
    for id in ast.subtree(def.body) {
        let name = match &ast.expr(id).kind {
            ExprKind::Name(n) => n.as_str(),
            ExprKind::Call { callee, .. } => callee.name.as_str(),
            ExprKind::Derivative { wrt, .. } => wrt.name.as_str(),
            _ => continue,
        };
        if let Some(&i) = index.get(name).filter(|_| !own(name))
            && !found.contains(&i)
        {
            found.push(i);
        }
    }
    found
}

/// `text` cut to `limit` characters, with `...` where it was cut.
fn shortened(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}
