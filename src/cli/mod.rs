//! The command line (clap): a thin layer that loads, calls the library, and prints.
//!
//! Exit codes (SPEC 6): 0 success; 1 a negative answer (a check failed, a descent
//! diverged, stopped at a saddle or on a plateau, or missed its `tol`); 2 the input could not be processed (syntax, names, shapes, files, flags,
//! a domain error at the starting values). With `--json`, stdout holds exactly one JSON
//! document, errors included.

mod check;
mod eval;
mod export;
mod grad;
mod graph;
mod minimize;
mod outputs;
mod plot;
mod progress;
mod render;
mod repl;
mod repl_json;
mod run;
mod verdict;

pub use render::{error_json, errors_json, render};

use crate::error::{Error, ErrorKind};
use crate::program::{LoadOptions, Program};
use crate::syntax::Sources;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};

/// nabla: symbolic derivatives, gradient checks and gradient descent for loss formulas.
#[derive(Debug, Parser)]
#[command(name = "nabla", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour in messages: auto (on a terminal, unless NO_COLOR is set or TERM=dumb),
    /// always or never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Print only the result: the params of a descent, nothing for checks that pass
    /// (the exit code tells); errors and failures are still printed.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print everything: the Taylor test's whole table of remainders and rates.
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
}

/// When to colour messages (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set (not empty) or `TERM=dumb`.
    Auto,
    /// Always, even into a pipe or with `NO_COLOR` set.
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Whether to colour, for a stream that is (or is not) a terminal.
    fn resolve(self, terminal: bool) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
                terminal && !no_color && !dumb
            }
        }
    }
}

#[derive(Debug, Subcommand)]
#[command(verbatim_doc_comment)]
enum Command {
    /// Values of a file's definitions, or of one expression.
    ///
    /// Examples:
    ///   nabla eval examples/sigmoid.nabla
    ///   nabla eval examples/sigmoid.nabla --at w=1,b=0
    ///   nabla eval -e "sin(x)^2 + y" --at x=1,y=2
    #[command(verbatim_doc_comment)]
    Eval(eval::EvalArgs),
    /// Symbolic gradient of the objective by each param, and its value.
    ///
    /// Examples:
    ///   nabla grad examples/sigmoid.nabla
    ///   nabla grad examples/sigmoid.nabla --at w=1,b=0 --latex
    ///   nabla grad examples/sigmoid.nabla --stats --json
    #[command(verbatim_doc_comment)]
    Grad(grad::GradArgs),
    /// One symbolic derivative of an expression, simplified.
    ///
    /// Examples:
    ///   nabla diff "sin(x)^2*exp(x)" --wrt x
    ///   nabla diff "x^y" --wrt y --at x=2,y=3
    #[command(verbatim_doc_comment)]
    Diff(grad::DiffArgs),
    /// The file's `check` statements and the Taylor test of each objective; exit 1 on a failure.
    ///
    /// Examples:
    ///   nabla check examples/sigmoid_check.nabla
    ///   nabla check examples/sigmoid_wrong.nabla --json
    ///   nabla check examples/sigmoid.nabla --of loss --precise
    #[command(verbatim_doc_comment)]
    Check(check::CheckArgs),
    /// The computation graph as Graphviz DOT (`--grad` adds the adjoint nodes).
    ///
    /// Examples:
    ///   nabla graph examples/sigmoid.nabla | dot -Tsvg > sigmoid.svg
    ///   nabla graph examples/sigmoid.nabla --grad
    #[command(verbatim_doc_comment)]
    Graph(graph::GraphArgs),
    /// The objective and its gradient (and Hessian) as C, Rust or Python (NumPy) code.
    ///
    /// Examples:
    ///   nabla export examples/sigmoid.nabla --to c -o sigmoid.c
    ///   nabla export examples/sigmoid.nabla --to rust --hessian
    ///   nabla export examples/xor.nabla --of loss --to python -o xor.py
    #[command(verbatim_doc_comment)]
    Export(export::ExportArgs),
    /// Gradient descent on the objective, the file's options overridden by flags.
    ///
    /// Examples:
    ///   nabla minimize examples/sigmoid.nabla
    ///   nabla minimize examples/sigmoid.nabla --method adam --rate 0.05 --epochs 5000
    ///   nabla minimize examples/rosenbrock.nabla --method newton --tol 1e-10
    ///   nabla minimize examples/rosenbrock.nabla --method lbfgs --tol 1e-10
    ///   nabla minimize examples/sigmoid.nabla --history run.csv --plot run.png
    #[command(verbatim_doc_comment)]
    Minimize(minimize::MinimizeArgs),
    /// Every check and minimize of a file, in order, with one report.
    ///
    /// Examples:
    ///   nabla run examples/sigmoid.nabla
    ///   nabla run examples/sigmoid.nabla --json
    #[command(verbatim_doc_comment)]
    Run(run::RunArgs),
    /// The REPL: statements and expressions line by line, `:` commands (`:help`).
    ///
    /// Examples:
    ///   nabla repl
    ///   nabla repl examples/sigmoid.nabla
    ///   printf 'd(sin(x)^2)/d(x)\n:grad loss\n' | nabla repl examples/sigmoid.nabla
    #[command(verbatim_doc_comment)]
    Repl(repl::ReplArgs),
    /// The language server: the Language Server Protocol over stdin and stdout.
    ///
    /// An editor starts it (see grammar/vscode/ for VS Code); it publishes every
    /// error of a file as it is typed, and answers hover (values and symbolic
    /// derivatives), go to definition, references, rename, completion and symbols.
    ///
    /// Example:
    ///   nabla lsp
    #[command(verbatim_doc_comment)]
    Lsp,
    /// A shell completion script for bash, zsh or fish, on stdout.
    ///
    /// Examples:
    ///   nabla completions bash > ~/.local/share/bash-completion/completions/nabla
    ///   nabla completions zsh > ~/.zfunc/_nabla
    ///   nabla completions fish > ~/.config/fish/completions/nabla.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// The shells `nabla completions` writes for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Options every command shares.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CommonArgs {
    /// Print one JSON document on stdout (errors too).
    #[arg(long)]
    pub json: bool,
    /// Seed for random initial values (`param w ~ normal(0, 1)`) and batch shuffles.
    #[arg(long, default_value_t = 0, value_parser = seed, allow_hyphen_values = true)]
    pub seed: u64,
}

/// The state of one command: the sources read (for rendering errors) and the output mode.
pub struct Session<'a> {
    /// Every source text read.
    pub sources: Sources,
    /// Whether to print JSON.
    pub json: bool,
    /// `--quiet`: only the result (and failures).
    pub quiet: bool,
    /// `--verbose`: every table in full.
    pub verbose: bool,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    color: bool,
    terminal: bool,
}

impl Session<'_> {
    /// Prints a line on stdout.
    pub fn print(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// Prints a JSON document on stdout.
    pub fn print_json(&mut self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        let _ = writeln!(self.out, "{text}");
    }

    /// Reports errors (as JSON on stdout, or rendered on stderr) and returns exit code 2.
    pub fn fail(&mut self, errors: &[Error]) -> i32 {
        if self.json {
            let document = errors_json(&self.sources, errors);
            self.print_json(&document);
        } else {
            let text = render(
                &self.sources,
                errors,
                ariadne::ReportKind::Error,
                self.color,
            );
            let _ = write!(self.err, "{text}");
        }
        2
    }

    /// Loads the program in `path` with the common options (and their output mode),
    /// printing its warnings; on errors, reports them and gives exit code 2.
    pub fn load(&mut self, path: &std::path::Path, common: &CommonArgs) -> Result<Program, i32> {
        self.json = common.json;
        let options = LoadOptions {
            seed: common.seed,
            ..LoadOptions::default()
        };
        match Program::load(&mut self.sources, path, &options) {
            Ok(program) => {
                self.warn(&program.warnings);
                Ok(program)
            }
            Err(errors) => Err(self.fail(&errors.0)),
        }
    }

    /// True when stderr is a terminal (progress bars).
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// Prints `message` on stdout and renders `error` (with its caret) on stderr,
    /// for a negative answer that is not a failure to process the input (exit 1).
    pub fn report_failure(&mut self, error: &Error, message: &str) {
        self.print(&format!("  {message}"));
        let text = render(
            &self.sources,
            std::slice::from_ref(error),
            ariadne::ReportKind::Error,
            self.color,
        );
        let _ = write!(self.err, "{text}");
    }

    /// Prints warnings on stderr (not in JSON mode).
    pub fn warn(&mut self, warnings: &[Error]) {
        if !self.json && !warnings.is_empty() {
            let text = render(
                &self.sources,
                warnings,
                ariadne::ReportKind::Warning,
                self.color,
            );
            let _ = write!(self.err, "{text}");
        }
    }
}

/// Runs the command line with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    // The language server writes stdout from a thread of its own, so it must start
    // before `run` locks stdout for the other commands.
    if let Ok(Cli {
        command: Command::Lsp,
        ..
    }) = Cli::try_parse_from(&args)
    {
        return crate::lsp::run_stdio();
    }
    let terminal = std::io::stderr().is_terminal();
    run(
        args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        terminal,
    )
}

/// Runs the command line with `args` (the first is the program name), writing to `out`
/// and `err` (`terminal` when stderr is a terminal); returns the exit code.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write, terminal: bool) -> i32 {
    let json = args.iter().skip(1).any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, json, out, err),
    };
    let mut session = Session {
        sources: Sources::new(),
        json,
        quiet: cli.quiet,
        verbose: cli.verbose,
        out,
        err,
        color: cli.color.resolve(terminal),
        terminal,
    };
    match cli.command {
        Command::Eval(args) => eval::run(&mut session, &args),
        Command::Grad(args) => grad::run_grad(&mut session, &args),
        Command::Diff(args) => grad::run_diff(&mut session, &args),
        Command::Check(args) => check::run(&mut session, &args),
        Command::Graph(args) => graph::run(&mut session, &args),
        Command::Export(args) => export::run(&mut session, &args),
        Command::Minimize(args) => minimize::run(&mut session, &args),
        Command::Run(args) => run::run(&mut session, &args),
        Command::Repl(args) => repl::run(&mut session, &args),
        Command::Lsp => crate::lsp::run_stdio(),
        Command::Completions { shell } => completions(shell, session.out),
    }
}

/// Writes the completion script of `shell` (clap_complete) to `out`.
fn completions(shell: Shell, out: &mut dyn Write) -> i32 {
    use clap::CommandFactory;
    use clap_complete::Shell as Target;
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
    };
    // Into a buffer first: clap_complete panics when the writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "nabla", &mut script);
    let _ = out.write_all(&script);
    0
}

/// A seed: a whole number from 0 to 2^64 - 1.
fn seed(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "`{text}` is not a seed: a whole number from 0 to {}",
            u64::MAX
        )
    })
}

/// The message of a clap error in one line: its first paragraph, which names the
/// argument (a missing one is named on the lines after the first).
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let paragraph: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("Usage:"))
        .map(str::trim)
        .collect();
    let message = paragraph.join(" ");
    let message = message.trim_start_matches("error: ").trim();
    if message.is_empty() {
        "bad usage".to_string()
    } else {
        message.to_string()
    }
}

fn usage_error(e: clap::Error, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use clap::error::ErrorKind as Clap;
    if matches!(e.kind(), Clap::DisplayHelp | Clap::DisplayVersion) {
        let _ = write!(out, "{}", e.render());
        return 0;
    }
    if json {
        let error = Error::new(ErrorKind::Usage(clap_message(&e)), None);
        let document = errors_json(&Sources::new(), &[error]);
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
    } else {
        let _ = write!(err, "{}", e.render());
    }
    2
}
