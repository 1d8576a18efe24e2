//! SPEC 6's exit codes on every path a file can take: each bad-input fixture of
//! `tests/data/bad/` through every command that reads a file, plain and with `--json`.
//! Bad input is exit 2 with nothing on stdout (the message goes to stderr), or with
//! exactly one JSON error document on stdout and nothing on stderr; never a panic.

mod common;

use common::{manifest_dir, nabla};
use serde_json::Value as Json;
use std::path::PathBuf;

const COMMANDS: [&str; 6] = ["eval", "grad", "check", "minimize", "run", "graph"];

fn bad_inputs() -> Vec<String> {
    let dir = manifest_dir().join("tests/data/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|p| {
            p.file_name()
                .map(|n| format!("tests/data/bad/{}", n.to_string_lossy()))
        })
        .collect()
}

/// `graph` draws the graph without evaluating it, so a domain error at the starting
/// values (a runtime error) does not concern it.
fn expected(command: &str, file: &str) -> i32 {
    if command == "graph" && file.contains("/domain_") {
        0
    } else {
        2
    }
}

#[test]
fn every_bad_input_is_exit_2_for_every_command() {
    let files = bad_inputs();
    assert!(files.len() >= 25, "{files:?}");
    for file in &files {
        for command in COMMANDS {
            let (code, stdout, stderr) = nabla(&[command, file]);
            let what = format!("nabla {command} {file}");
            assert_eq!(code, Some(expected(command, file)), "{what}: {stderr}");
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            if code == Some(2) {
                assert!(stdout.is_empty(), "{what} printed on stdout: {stdout}");
                assert!(stderr.contains("rror"), "{what}: no message: {stderr}");
            }
        }
    }
}

#[test]
fn with_json_every_bad_input_is_one_json_document() {
    for file in &bad_inputs() {
        for command in COMMANDS {
            let (code, stdout, stderr) = nabla(&[command, file, "--json"]);
            let what = format!("nabla {command} {file} --json");
            assert_eq!(code, Some(expected(command, file)), "{what}: {stdout}");
            assert!(stderr.is_empty(), "{what} wrote on stderr: {stderr}");
            let document: Json = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("{what}: not one JSON document ({e}): {stdout}"));
            if code == Some(2) {
                assert!(
                    document["error"]["message"].is_string(),
                    "{what}: {document}"
                );
            }
        }
    }
}
