//! The `:` commands of the REPL (SPEC 7): parsing them, and the work of each that
//! needs no terminal (the CLI prints the typed results).

use super::entries::{self, EntryKind, Line};
use super::{Descent, Failure, Repl, descent_of, evaluate_node, free_names, typed_options};
use super::{one_failure, usage_failure};
use crate::check::{CheckReport, Options as CheckOptions, TaylorReport, check_statement, taylor};
use crate::error::{Error, ErrorKind};
use crate::eval::Value;
use crate::graph::{Graph, NodeId, Printed, Shape, VarId, print_shared};
use crate::program::{LoadOptions, Program, read_source, suggest};
use std::path::{Path, PathBuf};

/// Every command: its name, its arguments and what it does (for `:help` and completion).
pub const COMMANDS: [(&str, &str, &str); 12] = [
    (":help", "", "this list"),
    (
        ":vars",
        "",
        "params with their values, data, definitions and functions",
    ),
    (
        ":load",
        "FILE",
        "replace the session with a .nabla file's program",
    ),
    (
        ":grad",
        "[NAME]",
        "symbolic gradient of NAME (default: loss) and its value",
    ),
    (
        ":hess",
        "[NAME]",
        "symbolic Hessian of NAME, simplified, and its value",
    ),
    (
        ":taylor",
        "[NAME]",
        "the Taylor test of NAME at the current params",
    ),
    (
        ":check",
        "",
        "the session's checks and the Taylor test of its objective",
    ),
    (
        ":minimize",
        "[NAME] [by method(options)]",
        "gradient descent; the params keep the result",
    ),
    (
        ":latex",
        "EXPR",
        "an expression (derivatives simplified) in LaTeX",
    ),
    (
        ":dot",
        "EXPR",
        "an expression's computation graph as Graphviz DOT",
    ),
    (":reset", "", "forget every definition"),
    (":quit", "", "leave (so does Ctrl-D)"),
];

/// A parsed `:` command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `:help`
    Help,
    /// `:vars`
    Vars,
    /// `:load FILE`
    Load(PathBuf),
    /// `:grad [NAME]`
    Grad(Option<String>),
    /// `:hess [NAME]`
    Hess(Option<String>),
    /// `:taylor [NAME]`
    Taylor(Option<String>),
    /// `:check`
    Check,
    /// `:minimize [NAME] [by method(options)]`: the text after the command.
    Minimize(String),
    /// `:latex EXPR`
    Latex(String),
    /// `:dot EXPR`
    Dot(String),
    /// `:reset`
    Reset,
    /// `:quit`
    Quit,
}

/// Reads a line that starts with `:`; an unknown command suggests the nearest one.
pub fn parse_command(line: &str) -> Result<Command, Error> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let name = || (!rest.is_empty()).then(|| rest.to_string());
    let needs = |what: &str| {
        usage(&format!(
            "{word} takes {what}, e.g. `{word} {}`",
            example(word)
        ))
    };
    let command = match word {
        ":help" | ":h" | ":?" => Command::Help,
        ":vars" => Command::Vars,
        ":load" if rest.is_empty() => return Err(needs("a file")),
        ":load" => Command::Load(PathBuf::from(rest.trim_matches('"'))),
        ":grad" => Command::Grad(name()),
        ":hess" => Command::Hess(name()),
        ":taylor" => Command::Taylor(name()),
        ":check" => Command::Check,
        ":minimize" => Command::Minimize(rest.to_string()),
        ":latex" | ":dot" if rest.is_empty() => return Err(needs("an expression")),
        ":latex" => Command::Latex(rest.to_string()),
        ":dot" => Command::Dot(rest.to_string()),
        ":reset" => Command::Reset,
        ":quit" | ":q" | ":exit" => Command::Quit,
        _ => return Err(unknown_command(word)),
    };
    Ok(command)
}

fn example(word: &str) -> &'static str {
    match word {
        ":load" => "examples/sigmoid.nabla",
        _ => "d(sin(x)^2)/d(x)",
    }
}

fn unknown_command(word: &str) -> Error {
    let names = COMMANDS.iter().map(|(n, _, _)| *n);
    let same_start = |n: &&str| n.len() > 2 && word.get(..3) == n.get(..3);
    let nearest = suggest(word, names.clone()).or(names.clone().find(same_start).map(String::from));
    let hint = match nearest {
        Some(s) => format!("did you mean `{s}`?"),
        None => "`:help` lists the commands".to_string(),
    };
    usage(&format!("unknown command `{word}`: {hint}"))
}

fn usage(message: &str) -> Error {
    Error::new(ErrorKind::Usage(message.to_string()), None)
}

/// What `:vars` lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    /// Params and their current values.
    pub params: Vec<(String, f64)>,
    /// Data columns and their row counts.
    pub data: Vec<(String, usize)>,
    /// Definitions and functions, as written.
    pub definitions: Vec<String>,
    /// Checks, as written.
    pub checks: Vec<String>,
}

/// What `:grad` shows: the gradient of an objective, simplified, and its value.
#[derive(Debug, Clone)]
pub struct Gradient {
    /// The objective's name.
    pub name: String,
    /// The params it is differentiated by.
    pub wrt: Vec<String>,
    /// The derivatives printed, one result per param.
    pub printed: Printed,
    /// The params' values.
    pub at: Vec<(String, f64)>,
    /// The objective's value, then each derivative's.
    pub values: Vec<Value>,
}

/// What `:hess` shows: the Hessian of an objective, simplified, and its value.
#[derive(Debug, Clone)]
pub struct Hessian {
    /// The objective's name.
    pub name: String,
    /// The params, in the order of the blocks of rows and columns.
    pub wrt: Vec<String>,
    /// The rows and columns of `values`: the params' components (`w[1]`, `w[2]`).
    pub components: Vec<String>,
    /// The upper triangle of blocks (row by row, `i <= j`) printed: the block of a
    /// `[K]` and a `[P]` param is a `[K, P]` expression. Empty when a param is a matrix
    /// (whose blocks would need more axes): the values are then read off
    /// Hessian-vector products.
    pub printed: Printed,
    /// The whole matrix's values.
    pub values: Vec<Vec<f64>>,
}

impl Repl {
    /// `:load FILE`: replaces the session with the file's program; errors point into
    /// the file, and leave the session as it was.
    pub fn load(&mut self, path: &Path) -> Result<Vars, Failure> {
        let shown = path.display().to_string();
        let source = read_source(&mut self.sources, path, &shown, None).map_err(one_failure)?;
        let line = self.parse(source)?;
        let mut loaded = Repl {
            sources: std::mem::take(&mut self.sources),
            inputs: self.inputs,
            ..Repl::with_seed(self.seed)
        };
        loaded.set_base(path);
        let new = entries::entries_of(&line);
        let options = LoadOptions {
            free_names: true,
            allow_expressions: true,
            ..LoadOptions::default()
        };
        match loaded.lower_new(&new, &options) {
            Ok((_, stale)) => {
                loaded.entries.commit(&stale.replaced, new);
                *self = loaded;
                Ok(self.vars())
            }
            Err(failure) => {
                self.sources = loaded.sources;
                Err(failure)
            }
        }
    }

    /// `:vars`: the session's params, data, definitions and checks.
    pub fn vars(&self) -> Vars {
        let program = self.program();
        let rows = program.rows.unwrap_or(0);
        let texts = |kinds: &[EntryKind]| -> Vec<String> {
            let entries = self.entries.iter().filter(|e| kinds.contains(&e.kind));
            entries.map(|e| one_line(e.text())).collect()
        };
        Vars {
            params: program
                .params
                .iter()
                .flat_map(|p| (0..p.values.len()).map(move |k| (p.component_name(k), p.values[k])))
                .collect(),
            data: program
                .data
                .iter()
                .map(|d| (d.name.clone(), rows))
                .collect(),
            definitions: texts(&[EntryKind::Definition, EntryKind::Function]),
            checks: texts(&[EntryKind::Check]),
        }
    }

    /// `:grad [NAME]`: the simplified gradient of an objective by the params it
    /// depends on, and its value.
    pub fn gradient(&mut self, name: Option<&str>) -> Result<Gradient, Failure> {
        let (name, node, wrt) = self.objective(name).map_err(one_failure)?;
        let graph = &mut self.session.program_mut().graph;
        let derivatives = crate::simplify::simplified_gradient(graph, node, &wrt)
            .map_err(|full| self.graph_full(full, format!("the gradient of `{name}`"), node))?;
        let graph = &mut self.session.program_mut().graph;
        let printed = print_shared(graph, &derivatives);
        let mut values = vec![self.value(node)?];
        for &d in &derivatives {
            values.push(self.value(d)?);
        }
        Ok(Gradient {
            wrt: self.var_names(&wrt),
            name,
            printed,
            at: self.param_values(),
            values,
        })
    }

    /// `:hess [NAME]`: the symbolic Hessian of an objective, simplified, and its value.
    pub fn hessian(&mut self, name: Option<&str>) -> Result<Hessian, Failure> {
        let (name, node, wrt) = self.objective(name).map_err(one_failure)?;
        let graph = &mut self.session.program_mut().graph;
        let from = NodeId(graph.len() as u32);
        let blocks = upper_blocks(graph, node, &wrt)
            .map_err(|full| self.graph_full(full, format!("the Hessian of `{name}`"), node))?;
        let Some(upper) = blocks else {
            return self.shaped_hessian(name, node, &wrt);
        };
        let graph = &mut self.session.program_mut().graph;
        let upper = crate::simplify::simplify_from(graph, &upper, from);
        let printed = print_shared(graph, &upper);
        let sizes: Vec<usize> = wrt.iter().map(|&v| graph.var(v).item.size()).collect();
        let offsets: Vec<usize> = sizes
            .iter()
            .scan(0, |at, s| Some(std::mem::replace(at, *at + s)))
            .collect();
        let n = sizes.iter().sum();
        let mut values = vec![vec![0.0; n]; n];
        let cells = (0..wrt.len()).flat_map(|i| (i..wrt.len()).map(move |j| (i, j)));
        for ((i, j), &node) in cells.zip(&upper) {
            let block = components(self.value(node)?);
            for (at, &v) in block.iter().enumerate() {
                let (a, b) = (offsets[i] + at / sizes[j], offsets[j] + at % sizes[j]);
                values[a][b] = v;
                values[b][a] = v;
            }
        }
        Ok(Hessian {
            wrt: self.var_names(&wrt),
            components: self.component_names(&wrt),
            name,
            printed,
            values,
        })
    }

    /// The Hessian by params of which one is a vector or matrix: its value, column by
    /// column from Hessian-vector products (exact, as `newton` forms it), by component.
    fn shaped_hessian(
        &mut self,
        name: String,
        node: NodeId,
        wrt: &[VarId],
    ) -> Result<Hessian, Failure> {
        let program = self.session.program_mut();
        let nodes = crate::descent::derivative_nodes(program, node, wrt, true)
            .map_err(|full| self.graph_full(full, format!("the Hessian of `{name}`"), node))?;
        let program = self.program();
        let theta = program.param_values(wrt);
        let names = self.component_names(wrt);
        let unfit = || usage_failure("a value of the session does not fit a 64-bit float");
        let mut objective =
            crate::descent::Objective::new(program, node, wrt, nodes).ok_or_else(unfit)?;
        let flat = objective
            .hessian(&theta)
            .map_err(|e| one_failure(Error::new(ErrorKind::Domain(e), None)))?;
        let n = names.len();
        let values = (0..n).map(|i| flat[i * n..(i + 1) * n].to_vec()).collect();
        Ok(Hessian {
            name,
            wrt: self.var_names(wrt),
            components: names,
            printed: Printed::default(),
            values,
        })
    }

    /// `:check`: every check of the session, and the Taylor test of its objective.
    pub fn check_all(&mut self) -> Result<(Vec<CheckReport>, Vec<TaylorReport>), Failure> {
        let options = CheckOptions::default();
        let mut checks = Vec::new();
        let program = self.session.program_mut();
        for index in 0..program.checks.len() {
            checks.push(check_statement(program, index, &options).map_err(one_failure)?);
        }
        let has_objective = !program.minimizes.is_empty() || program.definition("loss").is_some();
        let tests = if has_objective {
            vec![self.taylor(None)?]
        } else {
            Vec::new()
        };
        if checks.is_empty() && tests.is_empty() {
            let message =
                "nothing to check: the session has no `check`, no `minimize` and no `loss`";
            return Err(usage_failure(message));
        }
        Ok((checks, tests))
    }

    /// `:taylor [NAME]`: the Taylor test of an objective at the current params.
    pub fn taylor(&mut self, name: Option<&str>) -> Result<TaylorReport, Failure> {
        let (name, node, wrt) = self.objective(name).map_err(one_failure)?;
        let options = CheckOptions::default();
        taylor(self.session.program_mut(), &name, node, &wrt, &options).map_err(one_failure)
    }

    /// `:minimize [NAME] [by method(options)]`: the descent to run, read as the
    /// statement `minimize NAME by ...` would be; without `by`, a `minimize` statement
    /// of the session for that objective gives the method.
    pub fn prepare_minimize(&mut self, rest: &str) -> Result<Descent, Failure> {
        let default = self
            .default_objective()
            .unwrap_or_else(|| "loss".to_string());
        let rest = rest.trim();
        let statement = if rest.is_empty() || rest.starts_with("by ") || rest.starts_with("wrt ") {
            format!("minimize {default} {rest}")
        } else {
            format!("minimize {rest}")
        };
        let by_given = rest.contains(" by ") || rest.starts_with("by ");
        self.with_input(&statement, |program, line| {
            let from_line = |m: &&crate::program::Minimize| m.span.source == line.source;
            let written = program.minimizes.iter().find(from_line);
            let stored = program
                .minimizes
                .iter()
                .find(|m| written.is_some_and(|w| w.name == m.name));
            let chosen = if by_given {
                written
            } else {
                stored.or(written)
            };
            match chosen {
                Some(m) => Ok(descent_of(program, m)),
                None => Err(usage_failure("nothing to minimize")),
            }
        })
    }

    /// `:latex EXPR`: the expression in LaTeX, derivatives simplified.
    pub fn latex(&mut self, expr: &str) -> Result<String, Failure> {
        self.expression(expr, |graph, node| {
            let printed = crate::graph::latex_shared(graph, &[node]);
            if printed.temps.is_empty() {
                return printed.results.concat();
            }
            crate::graph::latex_aligned(&printed, &[])
        })
    }

    /// `:dot EXPR`: the expression's computation graph as Graphviz DOT.
    pub fn dot(&mut self, expr: &str) -> Result<String, Failure> {
        let name = expr.trim().to_string();
        self.expression(expr, |graph, node| {
            crate::graph::dot(graph, &[(name, node)], None)
        })
    }

    /// `f` of the session's program with one more input, which is then taken back.
    fn with_input<T>(
        &mut self,
        text: &str,
        f: impl FnOnce(&mut Program, &Line) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let source = self.add_input(text);
        let line = self.parse(source)?;
        let new = entries::entries_of(&line);
        let (undo, _) = self.lower_new(&new, &typed_options())?;
        let result = f(self.session.program_mut(), &line);
        self.session.undo(undo);
        result
    }

    /// One expression lowered with the session and simplified, shown by `show`.
    fn expression<T>(
        &mut self,
        expr: &str,
        show: impl FnOnce(&Graph, NodeId) -> T,
    ) -> Result<T, Failure> {
        self.with_input(expr, |program, line| {
            let is_one_expression =
                line.ast.statements.len() == 1 && program.expressions.len() == 1;
            let Some(&(node, _)) = program.expressions.first().filter(|_| is_one_expression) else {
                return Err(usage_failure(
                    "give one expression, such as `d(sin(x)^2)/d(x)`",
                ));
            };
            let node = crate::simplify::simplify(&mut program.graph, &[node])[0];
            Ok(show(&program.graph, node))
        })
    }

    /// The objective `name`, else the first `minimize`'s, else `loss`; with the params
    /// it depends on.
    fn objective(&self, name: Option<&str>) -> Result<(String, NodeId, Vec<VarId>), Error> {
        let Some(name) = name
            .map(str::to_string)
            .or_else(|| self.default_objective())
        else {
            return Err(usage(
                "name the objective, e.g. `:grad loss` (the session has no `loss`)",
            ));
        };
        let program = self.program();
        let Some(definition) = program.definition(&name) else {
            let names = program.definitions.iter().map(|d| d.name.as_str());
            let suggestion = suggest(&name, names);
            return Err(Error::new(
                ErrorKind::UnknownName { name, suggestion },
                None,
            ));
        };
        if program.graph.shape(definition.node) == Shape::Rows {
            let rows = program.rows.unwrap_or(0);
            return Err(Error::new(ErrorKind::VectorObjective { name, rows }, None));
        }
        let node = definition.node;
        let params: Vec<VarId> = program.params.iter().map(|p| p.var).collect();
        let wrt = program.graph.dependencies(node, &params);
        if wrt.is_empty() {
            return Err(usage(&format!("`{name}` depends on no param")));
        }
        if let Some(free) = free_names(program, node).first() {
            return Err(usage(&format!(
                "`{name}` has a free name `{free}`: define it first"
            )));
        }
        Ok((name, node, wrt))
    }

    /// The objective of the first `minimize`, else `loss` if defined.
    fn default_objective(&self) -> Option<String> {
        let program = self.program();
        let first = program.minimizes.first().map(|m| m.name.clone());
        first.or_else(|| program.definition("loss").map(|d| d.name.clone()))
    }

    fn value(&self, node: NodeId) -> Result<Value, Failure> {
        evaluate_node(self.program(), node).map_err(one_failure)
    }

    fn graph_full(&self, full: crate::graph::GraphFull, what: String, node: NodeId) -> Failure {
        let span = self.program().graph.node(node).span;
        one_failure(Error::graph_full(full, what, span))
    }

    /// The components of `vars` by name (`w[1]`, `W[2,1]`, or a scalar's name).
    fn component_names(&self, vars: &[VarId]) -> Vec<String> {
        let program = self.program();
        vars.iter()
            .flat_map(|&v| match program.params.iter().find(|p| p.var == v) {
                Some(p) => (0..p.values.len()).map(|k| p.component_name(k)).collect(),
                None => vec![program.graph.var(v).name.clone()],
            })
            .collect()
    }

    fn var_names(&self, vars: &[VarId]) -> Vec<String> {
        vars.iter()
            .map(|&v| self.program().graph.var(v).name.clone())
            .collect()
    }

    fn param_values(&self) -> Vec<(String, f64)> {
        self.program()
            .params
            .iter()
            .flat_map(|p| (0..p.values.len()).map(move |k| (p.component_name(k), p.values[k])))
            .collect()
    }
}

/// A statement's text on one line (continuation lines joined).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The upper triangle of blocks of the Hessian of `node` by `wrt`, row by row: block
/// (i, j) is `d(d(node)/d(wrt[i]))/d(wrt[j])`. `None` when a block would need more
/// than two axes (a matrix param).
fn upper_blocks(
    graph: &mut crate::graph::Graph,
    node: NodeId,
    wrt: &[VarId],
) -> Result<Option<Vec<NodeId>>, crate::graph::GraphFull> {
    if wrt
        .iter()
        .any(|&v| matches!(graph.var(v).item, crate::graph::Item::Matrix(..)))
    {
        return Ok(None);
    }
    let gradient = crate::ad::gradient(graph, node, wrt)?;
    let mut upper = Vec::new();
    for (i, &g) in gradient.iter().enumerate() {
        for &v in &wrt[i..] {
            match crate::ad::derivative(graph, g, v)? {
                Some(block) => upper.push(block),
                None => return Ok(None),
            }
        }
    }
    Ok(Some(upper))
}

/// A value's components, row-major (NaN for a component that is not one number).
fn components(value: Value) -> Vec<f64> {
    value
        .components()
        .iter()
        .map(|c| c.scalar().unwrap_or(f64::NAN))
        .collect()
}
