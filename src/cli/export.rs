//! `nabla export FILE --to c|rust|python`: the objective and its gradient (and Hessian)
//! as one source file, on stdout or written atomically with `-o` (a path checked
//! before anything is generated: not a directory, not one of the files the run reads).

use super::grad::{gradient_full, objective};
use super::outputs::{io_error, target};
use super::{CommonArgs, Session};
use crate::error::{Error, ErrorKind};
use crate::export::{ExportError, Language, Objective, Options, Signature, prepare};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `nabla export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The `.nabla` file.
    file: PathBuf,
    /// The objective: a definition's name (default: the first `minimize`, else `loss`).
    #[arg(long, value_name = "NAME")]
    of: Option<String>,
    /// The language of the generated file.
    #[arg(long, value_enum, value_name = "LANGUAGE")]
    to: To,
    /// Also compute the Hessian (row-major).
    #[arg(long)]
    hessian: bool,
    /// Write the code to this file (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

/// The `--to` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum To {
    C,
    Rust,
    Python,
}

impl To {
    fn language(self) -> Language {
        match self {
            To::C => Language::C,
            To::Rust => Language::Rust,
            To::Python => Language::Python,
        }
    }
}

pub(super) fn run(session: &mut Session, args: &ExportArgs) -> i32 {
    let mut program = match session.load(&args.file, &args.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (name, node, wrt) = match objective(&program, args.of.as_deref()) {
        Ok(found) => found,
        Err(e) => return session.fail(&[e]),
    };
    let inputs: Vec<PathBuf> = session
        .sources
        .iter()
        .map(|(_, s)| s.name.clone().into())
        .collect();
    let out = match target("-o", args.output.as_deref(), &inputs) {
        Ok(out) => out,
        Err(e) => return session.fail(&[e]),
    };
    let language = args.to.language();
    let options = Options {
        language,
        hessian: args.hessian,
        source: args.file.display().to_string(),
    };
    let objective = Objective { name, node, wrt };
    let (signature, plan) = match prepare(&mut program, &objective, &options) {
        Ok(prepared) => prepared,
        Err(e) => return session.fail(&[export_error(&program, &objective, e)]),
    };
    let code = match crate::export::render(language, &signature, &plan) {
        Ok(code) => code,
        Err(e) => return session.fail(&[export_error(&program, &objective, e)]),
    };
    if let Some(out) = &out {
        let written = out
            .open()
            .and_then(|mut o| o.write_all(code.as_bytes()).and_then(|()| o.commit()));
        if let Err(e) = written {
            return session.fail(&[io_error(&out.path, &e)]);
        }
    }
    report(session, &signature, language, args.output.as_ref(), &code);
    0
}

fn report(
    session: &mut Session,
    signature: &Signature,
    language: Language,
    output: Option<&PathBuf>,
    code: &str,
) {
    if session.json {
        let gradient: Vec<String> = (0..signature.wrt.len())
            .map(|k| signature.gradient_label(k))
            .collect();
        let mut document = json!({
            "objective": signature.objective,
            "language": format!("{language:?}").to_lowercase(),
            "function": signature.function,
            "params": signature.params,
            "data": signature.data,
            "gradient": gradient,
            "hessian": signature.hessian,
            "layout": layout(signature),
        });
        match output {
            Some(path) => document["path"] = json!(path.display().to_string()),
            None => document["code"] = json!(code),
        }
        session.print_json(&document);
    } else if let Some(path) = output {
        session.print(&format!(
            "wrote {} ({} of {}) to {}",
            signature.function,
            format!("{language:?}").to_lowercase(),
            signature.objective,
            path.display()
        ));
    } else {
        session.print(code.trim_end());
    }
}

/// Where each input and output lives in its flat array: the name, the shape (`[]` for
/// a scalar), the offset; the bounds of the params.
fn layout(signature: &Signature) -> serde_json::Value {
    let dims = |item: crate::graph::Item| item.dims();
    let params: Vec<serde_json::Value> = signature
        .param_offsets()
        .into_iter()
        .enumerate()
        .map(|(k, offset)| {
            let bounds = signature.param_bounds[k].map(|(lo, hi)| [bound(lo), bound(hi)]);
            json!({
                "name": signature.params[k],
                "shape": dims(signature.param_items[k]),
                "offset": offset,
                "bounds": bounds,
            })
        })
        .collect();
    let gradient: Vec<serde_json::Value> = signature
        .gradient_offsets()
        .into_iter()
        .enumerate()
        .map(|(k, offset)| {
            let item = signature.param_items[signature.wrt[k]];
            json!({"of": signature.gradient_label(k), "shape": dims(item), "offset": offset})
        })
        .collect();
    let data: Vec<serde_json::Value> = (signature.data.iter().zip(&signature.data_items))
        .map(|(name, item)| json!({"name": name, "shape": dims(*item)}))
        .collect();
    json!({
        "params": params,
        "data": data,
        "gradient": gradient,
        "n_params": signature.n_params(),
        "n_gradient": signature.n_gradient(),
    })
}

/// A bound in JSON: a number, or the strings `inf` and `-inf`.
fn bound(x: f64) -> serde_json::Value {
    match x {
        f64::INFINITY => json!("inf"),
        f64::NEG_INFINITY => json!("-inf"),
        x => json!(x),
    }
}

fn export_error(program: &crate::program::Program, objective: &Objective, e: ExportError) -> Error {
    match e {
        ExportError::GraphFull(full) => {
            gradient_full(&program.graph, full, &objective.name, objective.node)
        }
        other => {
            let span = other.span().or(program.graph.node(objective.node).span);
            Error::new(ErrorKind::Usage(other.to_string()), span)
        }
    }
}
