//! Hover: what the name under the mouse is. For a param its shape, start and bounds;
//! for a data column its rows; for a definition its shape, its value at the initial
//! params and its symbolic derivative by each param it depends on (the gradient,
//! simplified and printed as `nabla grad` prints it); for a built-in its doc line.
//!
//! **A hover is bounded work**: the value is computed only when the definition's
//! graph times the rows (times the components) is at most [`MAX_EVAL_WORK`], the
//! derivative only when the definition has at most [`MAX_DERIVED_NODES`] nodes, and
//! the derivative may add at most [`MAX_NEW_NODES`] nodes to the graph. A larger
//! definition says so and points at the CLI, so a hover never stalls the server.

use super::analysis::Analysis;
use super::builtins;
use super::names::{SymbolKind, Target};
use crate::eval::{Value, evaluate};
use crate::graph::{Graph, NodeId, Shape, VarId, print_shared};
use crate::syntax::format_f64;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

/// The most node-rows (graph nodes times data rows times components) a hover evaluates.
pub const MAX_EVAL_WORK: usize = 2_000_000;

/// The most nodes a definition may have for its hover to show its derivatives.
pub const MAX_DERIVED_NODES: usize = 5_000;

/// The most nodes the derivatives of one hover may add to the graph.
pub const MAX_NEW_NODES: usize = 100_000;

/// The longest printed derivative shown, in characters.
const MAX_PRINTED: usize = 4_000;

/// The most rows or components of a value shown.
const MAX_SHOWN: usize = 5;

/// The hover at byte `offset`, if a name is there. Takes the analysis mutably because
/// a derivative adds nodes to its program's (append-only) graph.
pub fn hover(analysis: &mut Analysis, offset: usize) -> Option<Hover> {
    let occurrence = *analysis.names.at(offset)?;
    let text = match occurrence.target {
        Target::Builtin(name) => builtin_text(name),
        Target::Method(name) => method_text(name),
        Target::MethodOption(name) => option_text(name),
        Target::Symbol(id) => symbol_text(analysis, id),
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(analysis.range(occurrence.span)),
    })
}

fn builtin_text(name: &str) -> String {
    if let Some((_, signature, doc)) = builtins::function(name) {
        return format!("```nabla\n{signature}\n```\nbuilt-in function: {doc}");
    }
    let doc = builtins::constant(name).map_or("", |c| c.1);
    format!("```nabla\n{name}\n```\nbuilt-in constant: {doc}")
}

fn method_text(name: &str) -> String {
    let doc = builtins::method_doc(name).unwrap_or_default();
    let options = builtins::options_of(name).join(", ");
    format!("```nabla\nby {name}(...)\n```\ndescent method: {doc}\n\noptions: {options}")
}

fn option_text(name: &str) -> String {
    let doc = builtins::option_doc(name).unwrap_or_default();
    format!("```nabla\n{name} = ...\n```\nmethod option: {doc}")
}

fn symbol_text(analysis: &mut Analysis, id: usize) -> String {
    let symbol = analysis.names.symbols[id].clone();
    let head = match symbol.kind {
        SymbolKind::Function | SymbolKind::FunctionParam => {
            let statement = analysis.sources.slice(symbol.statement);
            let first_line = statement.lines().next().unwrap_or_default();
            format!("```nabla\n{}\n```", truncate(first_line, 200))
        }
        _ => format!("```nabla\n{} {}\n```", symbol.kind.word(), symbol.name),
    };
    let body = match symbol.kind {
        SymbolKind::Param => param_text(analysis, &symbol.name),
        SymbolKind::Data => data_text(analysis, &symbol.name),
        SymbolKind::Definition => definition_text(analysis, &symbol.name),
        SymbolKind::Function => "function: inlined at each call".to_string(),
        SymbolKind::FunctionParam => "function parameter".to_string(),
    };
    format!("{head}\n{body}")
}

fn param_text(analysis: &Analysis, name: &str) -> String {
    let Some(param) = analysis.program.params.iter().find(|p| p.name == name) else {
        return not_lowered("param");
    };
    let start = shown_list(&param.values);
    let mut text = format!("{} param, starts at {start}", param.item);
    if let Some((lower, upper)) = param.bounds {
        text += &format!(", kept in [{}, {}]", format_f64(lower), format_f64(upper));
    }
    text
}

fn data_text(analysis: &Analysis, name: &str) -> String {
    let Some(column) = analysis.program.data.iter().find(|d| d.name == name) else {
        return not_lowered("data column");
    };
    let rows = analysis.program.rows.unwrap_or(0);
    let first: Vec<f64> = column.values.iter().map(|n| n.value).collect();
    format!(
        "data column of {rows} rows, {} per row: {}",
        column.item,
        shown_list(&first)
    )
}

fn definition_text(analysis: &mut Analysis, name: &str) -> String {
    let Some(node) = analysis.program.definition(name).map(|d| d.node) else {
        return not_lowered("definition");
    };
    let program = &mut analysis.program;
    let rows = program.rows.unwrap_or(1);
    let mut lines = vec![shape_text(&program.graph, node, rows)];
    let bindings = program.bindings();
    lines.push(value_line(&program.graph, &bindings, node, rows));
    let params: Vec<VarId> = program.params.iter().map(|p| p.var).collect();
    let wrt = program.graph.dependencies(node, &params);
    if !wrt.is_empty() {
        lines.push(derivative_lines(
            &mut program.graph,
            &bindings,
            name,
            node,
            &wrt,
            rows,
        ));
    }
    lines.join("\n\n")
}

fn shape_text(graph: &Graph, node: NodeId, rows: usize) -> String {
    match graph.shape(node) {
        Shape::Scalar => format!("shape: {}", graph.item(node)),
        Shape::Rows => format!("shape: {} per row ({rows} rows)", graph.item(node)),
    }
}

/// `= 40 at the initial params`, or why it is not shown.
fn value_line(
    graph: &Graph,
    bindings: &crate::eval::Bindings,
    node: NodeId,
    rows: usize,
) -> String {
    if !within_eval_budget(graph, &[node], rows) {
        return "value: too large to evaluate in a hover (`nabla eval` computes it)".into();
    }
    match evaluate(graph, bindings, &[node]) {
        Ok(values) => match values.first() {
            Some(value) => format!("= {} at the initial params", shown_value(value)),
            None => String::new(),
        },
        Err(e) => format!("value: {e}"),
    }
}

/// The derivatives of `node` by each of `wrt`, simplified, as a code block with the
/// shared terms named once, each with its value at the initial params.
fn derivative_lines(
    graph: &mut Graph,
    bindings: &crate::eval::Bindings,
    name: &str,
    node: NodeId,
    wrt: &[VarId],
    rows: usize,
) -> String {
    if graph.reachable(&[node]).len() > MAX_DERIVED_NODES {
        return "derivatives: too large for a hover (`nabla grad` prints them)".into();
    }
    let wrt: Vec<VarId> = wrt
        .iter()
        .copied()
        .filter(|&v| derivable(graph, node, v))
        .collect();
    let limit = graph.limit();
    graph.set_limit(limit.min(graph.len() + MAX_NEW_NODES));
    let derivatives = derivatives(graph, node, &wrt);
    graph.set_limit(limit);
    let Some(derivatives) = derivatives else {
        return "derivatives: too large for a hover (`nabla grad` prints them)".into();
    };
    let printed = print_shared(graph, &derivatives);
    let values = within_eval_budget(graph, &derivatives, rows)
        .then(|| evaluate(graph, bindings, &derivatives).ok())
        .flatten();
    let mut text = String::from("```nabla\n");
    for (i, (&var, expr)) in wrt.iter().zip(&printed.results).enumerate() {
        let var_name = &graph.var(var).name;
        text += &format!(
            "d({name})/d({var_name}) = {}\n",
            truncate(expr, MAX_PRINTED)
        );
        if let Some(value) = values.as_ref().and_then(|v| v.get(i)) {
            text += &format!("    # = {}\n", shown_value(value));
        }
    }
    for (i, (temp, expr)) in printed.temps.iter().enumerate() {
        let lead = if i == 0 { "  where" } else { "       " };
        text += &format!("{lead} {temp} = {}\n", truncate(expr, MAX_PRINTED));
    }
    text + "```"
}

/// Whether `d(node)/d(var)` is a derivative nabla builds (not a Jacobian).
fn derivable(graph: &Graph, node: NodeId, var: VarId) -> bool {
    let rowless_scalar = graph.shape(node) == Shape::Scalar && graph.item(node).is_scalar();
    rowless_scalar || graph.var(var).item.is_scalar()
}

/// The simplified derivatives: one backward pass for a rowless scalar, a tangent per
/// param otherwise; `None` when the graph's (lowered) limit stops them.
fn derivatives(graph: &mut Graph, node: NodeId, wrt: &[VarId]) -> Option<Vec<NodeId>> {
    if graph.shape(node) == Shape::Scalar && graph.item(node).is_scalar() {
        return crate::simplify::simplified_gradient(graph, node, wrt).ok();
    }
    let from = NodeId(u32::try_from(graph.len()).ok()?);
    let raw: Option<Vec<NodeId>> = wrt
        .iter()
        .map(|&v| crate::ad::derivative(graph, node, v).ok().flatten())
        .collect();
    let simplified = crate::simplify::simplify_from(graph, &raw?, from);
    graph.ensure_room().ok()?;
    Some(simplified)
}

fn within_eval_budget(graph: &Graph, roots: &[NodeId], rows: usize) -> bool {
    let reachable = graph.reachable(roots);
    let components = reachable
        .iter()
        .map(|&n| graph.item(n).size())
        .max()
        .unwrap_or(1);
    let work = reachable
        .len()
        .saturating_mul(rows.max(1))
        .saturating_mul(components);
    work <= MAX_EVAL_WORK
}

/// A value, with at most [`MAX_SHOWN`] rows or components.
fn shown_value(value: &Value) -> String {
    match value {
        Value::Rows(rows) => format!("{} (per row)", shown_list(rows)),
        other => truncate(&other.to_string(), 200),
    }
}

/// `-2`, or `0.5, 2.5, … (100 values)`.
fn shown_list(values: &[f64]) -> String {
    if let [one] = values {
        return format_f64(*one);
    }
    let shown: Vec<String> = values
        .iter()
        .take(MAX_SHOWN)
        .map(|&x| format_f64(x))
        .collect();
    match values.len() > MAX_SHOWN {
        true => format!("{}, … ({} values)", shown.join(", "), values.len()),
        false => shown.join(", "),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn not_lowered(what: &str) -> String {
    format!("{what} (no value: its statement has an error)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::analysis::analyze;

    /// The hover text at the first occurrence of `name` on the last line of `text`.
    fn check(text: &str, name: &str) -> String {
        let uri = "untitled:hover.nabla".parse().expect("a URI");
        let mut analysis = analyze(&uri, text.to_string());
        let last_line = text.trim_end().rfind('\n').map_or(0, |i| i + 1);
        let offset = last_line + text[last_line..].find(name).unwrap_or(0);
        let found = hover(&mut analysis, offset).expect("a hover");
        match found.contents {
            HoverContents::Markup(markup) => markup.value,
            other => panic!("not markup: {other:?}"),
        }
    }

    #[test]
    fn a_per_row_definition_has_per_row_derivatives() {
        let text = check("data x = [1, 2]\nparam w = 3\nf = w*x^2\n", "f");
        assert!(text.contains("shape: scalar per row (2 rows)"), "{text}");
        assert!(
            text.contains("= 3, 12 (per row) at the initial params"),
            "{text}"
        );
        assert!(
            text.contains("d(f)/d(w) = x^2\n    # = 1, 4 (per row)"),
            "{text}"
        );
    }

    #[test]
    fn a_large_definition_is_not_derived_in_a_hover() {
        let terms: Vec<String> = (1..3000).map(|k| format!("sin({k}*w)")).collect();
        let text = format!("param w = 1\nbig = {}\n", terms.join(" + "));
        let start = std::time::Instant::now();
        let shown = check(&text, "big");
        assert!(
            shown.contains("derivatives: too large for a hover"),
            "{shown}"
        );
        assert!(
            shown.contains("at the initial params"),
            "the value is cheap: {shown}"
        );
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn a_param_shows_its_shape_start_and_bounds() {
        let text = check("param w[3] = 0.5 in [0, 1]\nf = total(w)\n", "w");
        assert!(
            text.contains("[3] param, starts at 0.5, 0.5, 0.5, kept in [0, 1]"),
            "{text}"
        );
        let text = check("param w = 1\nf = sigmoid(w)\n", "sigmoid");
        assert!(text.contains("the logistic function"), "{text}");
    }
}
