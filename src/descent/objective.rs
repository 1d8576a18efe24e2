//! The objective as the descent sees it: compiled tapes for the loss and gradient,
//! the loss alone (line searches), the Hessian (Newton) and Hessian-vector products
//! (`rate = auto`, the divergence hint), all evaluated at a vector of param values.

use crate::eval::DomainError;
use crate::graph::{NodeId, VarId, VarKind};
use crate::program::Program;
use crate::tape::Compiled;

/// One objective with its params, ready to evaluate at any θ.
pub struct Objective<'p> {
    program: &'p Program,
    wrt: Vec<VarId>,
    /// The number of components of each of `wrt`: θ holds them one after another.
    sizes: Vec<usize>,
    with_gradient: Compiled<f64>,
    loss_only: Compiled<f64>,
    hessian: Option<Compiled<f64>>,
    hessian_vector: Option<(Compiled<f64>, Vec<VarId>)>,
    pending: Pending,
    selection: Option<Vec<usize>>,
    evaluations: Evaluations,
}

/// How many passes over the objective a descent made: a loss-and-gradient pass counts
/// one of each, a loss-only pass (a backtracking search) one loss evaluation. A pass
/// over a mini-batch counts like one over every row; Hessians and Hessian-vector
/// products (Newton, `rate = auto`, judging a stop) are not counted here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evaluations {
    /// Evaluations of L.
    pub loss: usize,
    /// Evaluations of ∇L.
    pub gradient: usize,
}

/// Second-order tapes are compiled on first use (most runs never need them); their
/// nodes are made up front, because after that the graph is only read.
struct Pending {
    hessian: Vec<NodeId>,
    hessian_vector: Vec<NodeId>,
    directions: Vec<VarId>,
}

/// The nodes a descent may evaluate: gradient, Hessian, Hessian-vector product.
pub struct Nodes {
    gradient: Vec<NodeId>,
    pending: Pending,
}

/// Adds to the graph the derivative nodes the descent of `objective` by `wrt` uses.
/// `second_order` adds the Hessian (for Newton); the Hessian-vector product, cheap,
/// is always added.
pub fn derivative_nodes(
    program: &mut Program,
    objective: NodeId,
    wrt: &[VarId],
    second_order: bool,
) -> Result<Nodes, crate::graph::GraphFull> {
    let graph = &mut program.graph;
    let gradient = crate::simplify::simplified_gradient(graph, objective, wrt)?;
    // The Hessian by a shaped param is read off Hessian-vector products instead, one
    // per component, so the graph never holds it component by component.
    let shaped = wrt.iter().any(|&v| !graph.var(v).item.is_scalar());
    let hessian = if second_order && !shaped {
        let rows = crate::ad::hessian(graph, objective, wrt)?;
        let from = NodeId(graph.len() as u32);
        let flat: Vec<NodeId> = rows.into_iter().flatten().collect();
        crate::simplify::simplify_from(graph, &flat, from)
    } else {
        Vec::new()
    };
    // The direction of a Hessian-vector product: free variables whose names cannot be
    // written in the language (brackets), so they never meet a user's name.
    let direction_nodes: Vec<NodeId> = wrt
        .iter()
        .map(|&v| {
            let name = format!("[direction {}]", graph.var(v).name);
            let item = graph.var(v).item;
            graph.shaped_var_node(&name, VarKind::Free, item, None)
        })
        .collect();
    let directions = direction_nodes
        .iter()
        .filter_map(|&n| match graph.op(n) {
            crate::graph::Op::Var(v) => Some(v),
            _ => None,
        })
        .collect();
    let hessian_vector = crate::ad::hessian_vector(graph, objective, wrt, &direction_nodes)?;
    graph.ensure_room()?;
    Ok(Nodes {
        gradient,
        pending: Pending {
            hessian,
            hessian_vector,
            directions,
        },
    })
}

impl<'p> Objective<'p> {
    /// Compiles the loss and gradient of `objective` by `wrt`; `None` when a value of
    /// the program does not fit f64 (never, for a loaded program).
    pub fn new(
        program: &'p Program,
        objective: NodeId,
        wrt: &[VarId],
        nodes: Nodes,
    ) -> Option<Objective<'p>> {
        let mut outputs = vec![objective];
        outputs.extend(&nodes.gradient);
        Some(Objective {
            program,
            wrt: wrt.to_vec(),
            sizes: program.sizes(wrt),
            with_gradient: Compiled::of_program(program, &outputs)?,
            loss_only: Compiled::of_program(program, &[objective])?,
            hessian: None,
            hessian_vector: None,
            pending: nodes.pending,
            selection: None,
            evaluations: Evaluations::default(),
        })
    }

    /// The loss and gradient evaluations made so far.
    pub fn evaluations(&self) -> Evaluations {
        self.evaluations
    }

    /// The number of components moved (of every param moved).
    pub fn dimension(&self) -> usize {
        self.sizes.iter().sum()
    }

    /// The number of data rows (1 without data).
    pub fn rows(&self) -> usize {
        self.program.rows.unwrap_or(1)
    }

    /// True when the objective holds a vector literal, whose rows a mini-batch
    /// cannot select.
    pub fn uses_literal_vectors(&self) -> bool {
        !self.with_gradient.tape().columns.is_empty()
    }

    /// Restricts every evaluation to these rows (a mini-batch); `None` for all rows.
    pub fn select_rows(&mut self, rows: Option<&[usize]>) {
        self.selection = rows.map(<[usize]>::to_vec);
        let tapes = [Some(&mut self.with_gradient), Some(&mut self.loss_only)]
            .into_iter()
            .chain([self.hessian.as_mut()])
            .chain([self.hessian_vector.as_mut().map(|(c, _)| c)]);
        for tape in tapes.flatten() {
            select(tape, rows);
        }
    }

    /// L(θ) and ∇L(θ) (into `gradient`).
    pub fn loss_and_gradient(
        &mut self,
        theta: &[f64],
        gradient: &mut [f64],
    ) -> Result<f64, DomainError> {
        let graph = &self.program.graph;
        if !set_all(&mut self.with_gradient, &self.wrt, &self.sizes, theta) {
            gradient.fill(f64::NAN);
            return Ok(f64::NAN);
        }
        self.evaluations.loss += 1;
        self.evaluations.gradient += 1;
        let result = self.with_gradient.run(graph);
        result.map_err(|e| self.with_params(e, theta))?;
        read_all(&self.with_gradient, 1, &self.sizes, gradient);
        Ok(self.with_gradient.scalar(0).unwrap_or(f64::NAN))
    }

    /// L(θ) alone.
    pub fn loss(&mut self, theta: &[f64]) -> Result<f64, DomainError> {
        if !set_all(&mut self.loss_only, &self.wrt, &self.sizes, theta) {
            return Ok(f64::NAN);
        }
        self.evaluations.loss += 1;
        let result = self.loss_only.run(&self.program.graph);
        result.map_err(|e| self.with_params(e, theta))?;
        Ok(self.loss_only.scalar(0).unwrap_or(f64::NAN))
    }

    /// The Hessian at θ, row-major n×n (compiled on first use). By a shaped param,
    /// column by column from Hessian-vector products with the unit vectors.
    pub fn hessian(&mut self, theta: &[f64]) -> Result<Vec<f64>, DomainError> {
        let n = self.dimension();
        if self.pending.hessian.is_empty() && n > 0 {
            let mut matrix = vec![0.0; n * n];
            let mut unit = vec![0.0; n];
            for j in 0..n {
                unit[j] = 1.0;
                let column = self.hessian_vector(theta, &unit)?;
                unit[j] = 0.0;
                for (i, h) in column.iter().enumerate() {
                    matrix[i * n + j] = *h;
                }
            }
            // Symmetric up to rounding: take the mean of H and its transpose.
            for i in 0..n {
                for j in 0..i {
                    let mean = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
                    matrix[i * n + j] = mean;
                    matrix[j * n + i] = mean;
                }
            }
            return Ok(matrix);
        }
        let entries = self.pending.hessian.len();
        if self.hessian.is_none() {
            self.hessian = Compiled::of_program(self.program, &self.pending.hessian);
            let selection = self.selection.clone();
            self.select_rows(selection.as_deref());
        }
        // A program's values always fit f64, so the tape exists; NaN otherwise.
        let Some(tape) = self.hessian.as_mut() else {
            return Ok(vec![f64::NAN; entries]);
        };
        if !set_all(tape, &self.wrt, &self.sizes, theta) {
            return Ok(vec![f64::NAN; entries]);
        }
        let result = tape.run(&self.program.graph);
        match result {
            Ok(()) => Ok((0..entries)
                .map(|k| tape.scalar(k).unwrap_or(f64::NAN))
                .collect()),
            Err(e) => Err(self.with_params(e, theta)),
        }
    }

    /// H(θ) v, without forming H (compiled on first use).
    pub fn hessian_vector(&mut self, theta: &[f64], v: &[f64]) -> Result<Vec<f64>, DomainError> {
        let n = self.dimension();
        if self.hessian_vector.is_none() {
            let compiled = Compiled::of_program(self.program, &self.pending.hessian_vector);
            self.hessian_vector = compiled.map(|c| (c, self.pending.directions.clone()));
            let selection = self.selection.clone();
            self.select_rows(selection.as_deref());
        }
        let Some((tape, directions)) = self.hessian_vector.as_mut() else {
            return Ok(vec![f64::NAN; n]);
        };
        let sizes = &self.sizes;
        if !(set_all(tape, &self.wrt, sizes, theta) && set_all(tape, directions, sizes, v)) {
            return Ok(vec![f64::NAN; n]);
        }
        let result = tape.run(&self.program.graph);
        match result {
            Ok(()) => {
                let mut product = vec![f64::NAN; n];
                read_all(tape, 0, sizes, &mut product);
                Ok(product)
            }
            Err(e) => Err(self.with_params(e, theta)),
        }
    }

    /// Fills in the error's param values: θ for the moved params, the initial values
    /// for the others.
    fn with_params(&self, mut error: DomainError, theta: &[f64]) -> DomainError {
        error.params = self.program.params_at(&self.wrt, theta);
        error
    }
}

/// Sets the variables; `false` when a value is not finite (the descent has diverged,
/// and the tape must not run at stale values).
fn set_all(tape: &mut Compiled<f64>, vars: &[VarId], sizes: &[usize], values: &[f64]) -> bool {
    let mut all = values.iter().all(|x| x.is_finite());
    let mut rest = values;
    for (&var, &size) in vars.iter().zip(sizes) {
        let (mine, others) = rest.split_at(size.min(rest.len()));
        all &= tape.set_components(var, mine);
        rest = others;
    }
    all
}

/// Reads outputs `first..` (one per var, of `sizes` components each) into `into`.
fn read_all(tape: &Compiled<f64>, first: usize, sizes: &[usize], into: &mut [f64]) {
    let mut rest = into;
    for (k, &size) in sizes.iter().enumerate() {
        let size = size.min(rest.len());
        let (mine, others) = std::mem::take(&mut rest).split_at_mut(size);
        match tape.components(first + k) {
            Some(values) if values.len() == mine.len() => mine.copy_from_slice(&values),
            _ => mine.fill(f64::NAN),
        }
        rest = others;
    }
}

fn select(tape: &mut Compiled<f64>, rows: Option<&[usize]>) {
    match rows {
        Some(rows) => tape.select_rows(rows),
        None => tape.select_all_rows(),
    }
}
