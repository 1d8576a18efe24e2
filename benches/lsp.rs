//! How long `nabla lsp` takes from a change of a 10,000-line file to its diagnostics
//! (SPEC 13; target: within 100 ms), measured two ways:
//!
//! - `analyze`: the library call the server's analysis thread makes (parse, names,
//!   lowering of the whole file, diagnostics), on the text after one edit;
//! - `server`: the real `nabla lsp` over pipes, from writing an incremental
//!   `didChange` (one character typed on the last line) to reading the
//!   `publishDiagnostics` of that version, JSON both ways included.
//!
//! Each edit alternates between a file with one unknown name and the same file
//! without it, so every round publishes a real change.
//!
//!   cargo bench --bench lsp             # 10,000 lines
//!   cargo bench --bench lsp -- 50000    # another size

#[path = "../tests/common/lsp_client.rs"]
mod lsp_client;
#[path = "timing.rs"]
mod timing;

use lsp_client::{Client, position};
use serde_json::json;
use std::time::Instant;

/// A file of `lines` lines: a param, a per-row definition and a loss term per three
/// lines, over four data rows, summed into one objective with a `minimize`.
fn program(lines: usize) -> String {
    let groups = lines.saturating_sub(4) / 3;
    let mut text = String::from("data x = [0.5, 2.5, 1.0, -1.5]\ndata y = [0.2, 0.9, 0.5, 0.1]\n");
    for i in 0..groups {
        text += &format!("param w{i} = {}.5\n", i % 7);
        text += &format!("f{i} = sigmoid(w{i}*x + {})\n", i % 3);
        text += &format!("l{i} = sum((f{i} - y)^2)\n");
    }
    let terms: Vec<String> = (0..groups).step_by(10).map(|i| format!("l{i}")).collect();
    text += &format!("loss = {}\n", terms.join(" + "));
    text += "minimize loss by adam(rate = 0.01)\n";
    text
}

fn main() {
    let lines: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let text = program(lines);
    let broken = text.replace("minimize loss by", "minimize lossx by");
    let uri: lsp_types::Uri = "untitled:bench.nabla".parse().expect("a URI");
    println!("{} lines, {} bytes", text.lines().count(), text.len());

    let mut round = 0;
    let analyze = timing::median(11, 1, || {
        round += 1;
        let source = if round % 2 == 0 { &text } else { &broken };
        let analysis = nabla::lsp::analyze(&uri, source.clone());
        assert_eq!(analysis.diagnostics.len(), round % 2);
    });
    println!(
        "analyze (parse, names, lower, diagnostics): median {:.1} ms",
        analyze * 1e3
    );

    let server = through_server(&text, 21);
    println!(
        "server (didChange to publishDiagnostics, over pipes): median {:.1} ms",
        server * 1e3
    );
}

/// The median seconds from a `didChange` to the diagnostics of that version.
fn through_server(text: &str, rounds: usize) -> f64 {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:bench.nabla";
    client.open(uri, text);
    client.diagnostics(uri, 1);
    // The `minimize loss` line is the last: type an `x` after `loss`, then remove it.
    let last = text.lines().count() as u32 - 1;
    let column = "minimize loss".len() as u32;
    let mut times = Vec::new();
    for version in 2..(2 + rounds as i64) {
        let (range, insert) = match version % 2 {
            0 => (
                json!({ "start": position(last, column), "end": position(last, column) }),
                "x",
            ),
            _ => (
                json!({ "start": position(last, column), "end": position(last, column + 1) }),
                "",
            ),
        };
        let start = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": range, "text": insert }],
            }),
        );
        let diagnostics = client.diagnostics(uri, version);
        times.push(start.elapsed().as_secs_f64());
        assert_eq!(diagnostics.len(), usize::from(version % 2 == 0));
    }
    assert_eq!(client.shut_down(), Some(0));
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
