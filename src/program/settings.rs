//! What a `minimize` statement asks for: the method, its options, and how they are
//! read from `by method(option = value, ...)` and overridden by command-line flags.
//!
//! This is the meaning of the statement's syntax, so it lives with the program that
//! reads the statement; `descent` runs what it says (and re-exports these types).

use super::OptionValue;
use crate::error::{Error, ErrorKind};
use crate::syntax::{Ident, Span};

/// An update rule of SPEC 5, with its own options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// θ ← θ − η g.
    Gd,
    /// v ← β v + g; θ ← θ − η v.
    Momentum {
        /// β.
        beta: f64,
    },
    /// v ← β v + g; θ ← θ − η (g + β v).
    Nesterov {
        /// β.
        beta: f64,
    },
    /// Adam with bias-corrected moments.
    Adam {
        /// β1, the decay of the mean.
        beta1: f64,
        /// β2, the decay of the squares.
        beta2: f64,
        /// ε, added to the root of the squares.
        eps: f64,
    },
    /// Backtracking from η (capped so the step is at most 10·max(1, |θ|)) until
    /// L(θ − η g) <= L(θ) − c η ‖g‖².
    Armijo {
        /// c, the fraction of the first-order decrease required.
        c: f64,
        /// The factor η shrinks by.
        shrink: f64,
    },
    /// Globalised Newton: (H + λI) p = g, λ = 0 where H is positive definite, then a
    /// backtracking line search from η along −p (along −g where that fails).
    Newton {
        /// The first λ tried when H is not positive definite.
        damping: f64,
    },
    /// Limited-memory BFGS (SPEC 11): the two-loop direction from the last `memory`
    /// pairs of steps and gradient changes, then a strong-Wolfe line search from η.
    Lbfgs {
        /// How many (s, y) pairs are kept.
        memory: usize,
    },
}

/// The method names, as written after `by`.
pub const METHODS: [&str; 7] = [
    "gd", "momentum", "nesterov", "adam", "armijo", "newton", "lbfgs",
];

/// The method of a `minimize` that names none: `lbfgs` for more than
/// [`LBFGS_FROM_PARAMS`] params (SPEC 11), `gd` otherwise.
pub fn default_method(params: usize) -> Method {
    if params > LBFGS_FROM_PARAMS {
        Method::Lbfgs {
            memory: LBFGS_MEMORY,
        }
    } else {
        Method::Gd
    }
}

/// Above this many params a `minimize` without a method uses `lbfgs`.
pub const LBFGS_FROM_PARAMS: usize = 1000;

/// The default memory of `lbfgs`.
const LBFGS_MEMORY: usize = 10;

/// The largest memory `lbfgs` takes: each pair holds two vectors of every param.
const LBFGS_MAX_MEMORY: usize = 10_000;

impl Method {
    /// The method called `name`, with its default options.
    pub fn named(name: &str) -> Option<Method> {
        Some(match name {
            "gd" => Method::Gd,
            "momentum" => Method::Momentum { beta: 0.9 },
            "nesterov" => Method::Nesterov { beta: 0.9 },
            "adam" => Method::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            "armijo" => Method::Armijo {
                c: 1e-4,
                shrink: 0.5,
            },
            "newton" => Method::Newton { damping: 1e-6 },
            "lbfgs" => Method::Lbfgs {
                memory: LBFGS_MEMORY,
            },
            _ => return None,
        })
    }

    /// Its name, as written after `by`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Gd => "gd",
            Method::Momentum { .. } => "momentum",
            Method::Nesterov { .. } => "nesterov",
            Method::Adam { .. } => "adam",
            Method::Armijo { .. } => "armijo",
            Method::Newton { .. } => "newton",
            Method::Lbfgs { .. } => "lbfgs",
        }
    }

    /// The default rate η of SPEC 5's table.
    pub fn default_rate(&self) -> f64 {
        match self {
            Method::Gd | Method::Momentum { .. } | Method::Nesterov { .. } => 0.1,
            Method::Adam { .. } => 0.001,
            Method::Armijo { .. } | Method::Newton { .. } | Method::Lbfgs { .. } => 1.0,
        }
    }

    /// The options of this method besides the common ones.
    pub fn option_names(&self) -> &'static [&'static str] {
        match self {
            Method::Gd => &[],
            Method::Momentum { .. } | Method::Nesterov { .. } => &["beta"],
            Method::Adam { .. } => &["beta1", "beta2", "eps"],
            Method::Armijo { .. } => &["c", "shrink"],
            Method::Newton { .. } => &["damping"],
            Method::Lbfgs { .. } => &["memory"],
        }
    }

    /// Sets one of [`Method::option_names`]; `Err` names the valid range.
    fn set(&mut self, option: &str, value: f64) -> Result<(), &'static str> {
        if let (Method::Lbfgs { memory }, "memory") = (&mut *self, option) {
            let whole = value.fract() == 0.0 && (1.0..=LBFGS_MAX_MEMORY as f64).contains(&value);
            if !whole {
                return Err("a whole number of pairs from 1 to 10000");
            }
            *memory = value as usize;
            return Ok(());
        }
        let in_unit = |v: f64| (0.0..1.0).contains(&v);
        let (slot, ok, range) = match (self, option) {
            (Method::Momentum { beta } | Method::Nesterov { beta }, "beta") => {
                (beta, in_unit(value), "in [0, 1)")
            }
            (Method::Adam { beta1, .. }, "beta1") => (beta1, in_unit(value), "in [0, 1)"),
            (Method::Adam { beta2, .. }, "beta2") => (beta2, in_unit(value), "in [0, 1)"),
            (Method::Adam { eps, .. }, "eps") => (eps, value > 0.0, "positive"),
            (Method::Armijo { c, .. }, "c") => (c, value > 0.0 && value < 1.0, "in (0, 1)"),
            (Method::Armijo { shrink, .. }, "shrink") => {
                (shrink, value > 0.0 && value < 1.0, "in (0, 1)")
            }
            (Method::Newton { damping }, "damping") => (damping, value > 0.0, "positive"),
            _ => return Err("not an option of this method"),
        };
        if !ok || !value.is_finite() {
            return Err(range);
        }
        *slot = value;
        Ok(())
    }
}

/// The step size: a number, or `auto` (1/λmax of the Hessian at the start).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// A fixed η.
    Fixed(f64),
    /// 1/λmax of the Hessian at the start, by power iteration.
    Auto,
}

/// Everything a descent needs besides the program.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The update rule.
    pub method: Method,
    /// The step size.
    pub rate: Rate,
    /// The most epochs to run.
    pub epochs: usize,
    /// Stop when |∇L| < tol.
    pub tol: Option<f64>,
    /// Stop when the relative change of the loss, |L_prev − L| / max(|L_prev|, |L|,
    /// 1e-300), stays below ftol for [`FTOL_EPOCHS`] epochs in a row.
    pub ftol: Option<f64>,
    /// Mini-batches of this many rows, shuffled each epoch.
    pub batch: Option<usize>,
    /// The seed of the shuffling.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            method: Method::Gd,
            rate: Rate::Fixed(Method::Gd.default_rate()),
            epochs: 1000,
            tol: None,
            ftol: None,
            batch: None,
            seed: 0,
        }
    }
}

/// How many epochs in a row the relative loss change must stay below `ftol`.
pub const FTOL_EPOCHS: usize = 3;

/// The options every method takes.
pub const COMMON_OPTIONS: [&str; 5] = ["rate", "epochs", "tol", "ftol", "batch"];

/// Reads `by method(option = value, ...)`; every bad name or value is reported.
pub fn read_settings(
    method: Option<&Ident>,
    options: &[(Ident, OptionValue)],
) -> Result<Settings, Vec<Error>> {
    let mut errors = Vec::new();
    let chosen = match method {
        None => Method::Gd,
        Some(m) => Method::named(&m.name).unwrap_or_else(|| {
            let suggestion = super::names::suggest(&m.name, METHODS);
            errors.push(Error::new(
                ErrorKind::UnknownMethod {
                    name: m.name.clone(),
                    suggestion,
                    known: METHODS.join(", "),
                },
                Some(m.span),
            ));
            Method::Gd
        }),
    };
    let mut settings = Settings {
        method: chosen,
        rate: Rate::Fixed(chosen.default_rate()),
        ..Settings::default()
    };
    for (name, value) in options {
        if let Err(e) = settings.apply(&name.name, value, Some(name.span)) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

impl Settings {
    /// Sets one option (from the file or from a flag); `span` is where it is written.
    pub fn apply(
        &mut self,
        option: &str,
        value: &OptionValue,
        span: Option<Span>,
    ) -> Result<(), Error> {
        let found = match value {
            OptionValue::Name(n) => n.clone(),
            OptionValue::Number(x) => crate::syntax::format_f64(*x),
        };
        let bad = |expected: &str| {
            Error::new(
                ErrorKind::BadOption {
                    option: option.to_string(),
                    expected: expected.to_string(),
                    found: found.clone(),
                },
                span,
            )
        };
        let number = match value {
            OptionValue::Name(n) if option == "rate" && n == "auto" => {
                self.rate = Rate::Auto;
                return Ok(());
            }
            OptionValue::Name(_) => None,
            OptionValue::Number(x) => Some(*x),
        };
        match option {
            "rate" => {
                let x = number.filter(|x| *x > 0.0 && x.is_finite());
                self.rate = Rate::Fixed(x.ok_or_else(|| bad("a positive number or `auto`"))?);
            }
            "epochs" => self.epochs = count(number).ok_or_else(|| bad("a whole number"))?,
            "tol" => {
                let x = number.filter(|x| *x > 0.0 && x.is_finite());
                self.tol = Some(x.ok_or_else(|| bad("a positive number"))?);
            }
            "ftol" => {
                let x = number.filter(|x| *x > 0.0 && x.is_finite());
                self.ftol = Some(x.ok_or_else(|| bad("a positive number"))?);
            }
            "batch" => {
                let b = count(number).filter(|b| *b > 0);
                self.batch = Some(b.ok_or_else(|| bad("a whole number of rows, at least 1"))?);
            }
            _ if self.method.option_names().contains(&option) => {
                let x = number.ok_or_else(|| bad("a number"))?;
                self.method.set(option, x).map_err(bad)?;
            }
            _ => {
                let known = COMMON_OPTIONS
                    .iter()
                    .chain(self.method.option_names())
                    .copied();
                let suggestion = super::names::suggest(option, known.clone());
                let known: Vec<&str> = known.collect();
                return Err(Error::new(
                    ErrorKind::UnknownOption {
                        option: option.to_string(),
                        method: self.method.name().to_string(),
                        known: known.join(", "),
                        suggestion,
                    },
                    span,
                ));
            }
        }
        Ok(())
    }

    /// Chooses another method, keeping the common options but the rate: a rate
    /// chosen for one method rarely suits another, so it returns to the default.
    pub fn switch_method(&mut self, method: Method) {
        if self.method.name() != method.name() {
            self.method = method;
            self.rate = Rate::Fixed(method.default_rate());
        }
    }
}

fn count(x: Option<f64>) -> Option<usize> {
    x.filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x <= 1e15)
        .map(|x| x as usize)
}
