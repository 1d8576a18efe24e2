//! `nabla run FILE`: the file's checks and the Taylor test of each objective, then
//! each `minimize` in source order (each from the file's initial params), in one
//! report; the exit code is the worst of them.

use super::minimize::{DescentFlags, descend};
use super::{CommonArgs, Session};
use crate::descent::Task;
use crate::error::{Error, ErrorKind};
use serde_json::Value as Json;
use std::path::PathBuf;

/// Arguments of `nabla run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The `.nabla` file.
    file: PathBuf,
    /// Run the checks in 28-digit decimal arithmetic.
    #[arg(long)]
    precise: bool,
    #[command(flatten)]
    common: CommonArgs,
}

pub(super) fn run(session: &mut Session, args: &RunArgs) -> i32 {
    let mut program = match session.load(&args.file, &args.common) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if program.checks.is_empty() && program.minimizes.is_empty() {
        let message =
            "nothing to run: the file has no `check` and no `minimize` (try `nabla eval`)";
        return session.fail(&[Error::new(ErrorKind::Usage(message.into()), None)]);
    }
    let (mut code, mut document) =
        match super::check::report(session, &mut program, None, args.precise, args.common.seed) {
            Ok(found) => found,
            Err(errors) => return session.fail(&errors),
        };
    let flags = DescentFlags::seeded(args.common.seed);
    let mut descents = Vec::new();
    for index in 0..program.minimizes.len() {
        let m = &program.minimizes[index];
        let task = Task::of(m);
        let settings = match flags.apply(m.settings.clone()) {
            Ok(settings) => settings,
            Err(e) => return session.fail(&[e]),
        };
        if !session.json && !session.quiet {
            session.print("");
        }
        match descend(session, &mut program, &task, &settings, &flags) {
            Ok((c, report)) => {
                code = code.max(c);
                descents.push(report);
            }
            Err(errors) => return session.fail(&errors),
        }
    }
    document["minimize"] = Json::Array(descents);
    if session.json {
        session.print_json(&document);
    }
    code
}
