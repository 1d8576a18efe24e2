//! `nabla lsp` as an editor talks to it: the real binary over pipes, JSON-RPC with
//! `Content-Length` headers (initialize, didOpen, didChange, hover, definition,
//! references, completion, rename, symbols, shutdown), asserting the responses.
//! Positions are UTF-16 columns, as the protocol counts them.

#[path = "common/lsp_client.rs"]
mod lsp_client;

use lsp_client::{Client, at, position};
use serde_json::{Value, json};

const SIGMOID: &str = include_str!("../examples/sigmoid.nabla");

/// Each diagnostic as `line:column-line:column message [help...]`.
fn compact(diagnostics: &[Value]) -> String {
    let mut lines = Vec::new();
    for d in diagnostics {
        let range = &d["range"];
        let place = |p: &Value| format!("{}:{}", p["line"], p["character"]);
        let related: Vec<String> = d["relatedInformation"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| format!(" [{}]", r["message"].as_str().unwrap_or_default()))
            .collect();
        lines.push(format!(
            "{}-{} {}: {}{}",
            place(&range["start"]),
            place(&range["end"]),
            d["severity"],
            d["message"].as_str().unwrap_or_default(),
            related.concat()
        ));
    }
    lines.join("\n")
}

fn hover_text(client: &mut Client, uri: &str, line: u32, character: u32) -> String {
    let hover = client.request("textDocument/hover", at(uri, line, character));
    hover["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover text: {hover}"))
        .to_string()
}

fn labels(items: &Value) -> Vec<String> {
    let items = items.as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|i| i["label"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn initialize_announces_the_features() {
    let (client, result) = Client::initialized();
    let capabilities = &result["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"], 2, "incremental sync");
    for feature in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
    ] {
        assert_eq!(capabilities[feature], true, "{feature}");
    }
    assert_eq!(capabilities["renameProvider"]["prepareProvider"], true);
    assert!(capabilities["completionProvider"].is_object());
    assert_eq!(result["serverInfo"]["name"], "nabla");
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn every_error_of_a_file_is_published_with_its_help() {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:several.nabla";
    let text = "data x = [0.5, 2.5]\nparam w = 1\nf = sigmiod(w*x)\nf = 2\n\
                loss = sum(f) + 2x\nminimize los by adma(rate = 1)\n";
    client.open(uri, text);
    let diagnostics = client.diagnostics(uri, 1);
    insta::assert_snapshot!("several_errors", compact(&diagnostics));
    assert!(diagnostics.iter().all(|d| d["source"] == "nabla"));
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn non_ascii_names_have_utf16_columns() {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:greek.nabla";
    // `θ` is one UTF-16 unit (two bytes); `𝑤` is two units (a surrogate pair, four bytes).
    let text = "param θ = 1, 𝑤 = 2\nη = 0.5\nloss = (θ*𝑤 - η)^2 + ζ\n";
    client.open(uri, text);
    let diagnostics = client.diagnostics(uri, 1);
    // `ζ` is after `(θ*𝑤 - η)^2 + `: 7 + 14 UTF-16 units (the `𝑤` counts two).
    assert_eq!(
        compact(&diagnostics),
        "2:22-2:23 1: unknown name `ζ` [help: define it, e.g. `ζ = ...`]"
    );
    // Hover and definition on the `𝑤` of the last line, at either of its two units.
    for character in [10, 11, 12] {
        let hover = hover_text(&mut client, uri, 2, character);
        assert!(hover.starts_with("```nabla\nparam 𝑤\n```"), "{hover}");
    }
    let hover = client.request("textDocument/hover", at(uri, 2, 10));
    assert_eq!(hover["range"]["start"], position(2, 10));
    assert_eq!(hover["range"]["end"], position(2, 12));
    let definition = client.request("textDocument/definition", at(uri, 2, 11));
    assert_eq!(definition["range"]["start"], position(0, 13));
    assert_eq!(definition["range"]["end"], position(0, 15));
    // Rename `η` (line 1, and column 15 of line 2) to a longer Greek name.
    let params = json!({
        "textDocument": { "uri": uri }, "position": position(1, 0), "newName": "ηλ"
    });
    let edit = client.request("textDocument/rename", params);
    let edits = edit["changes"][uri].as_array().cloned().unwrap_or_default();
    let ranges: Vec<String> = edits
        .iter()
        .map(|e| {
            let r = &e["range"];
            format!(
                "{}:{}-{}",
                r["start"]["line"], r["start"]["character"], r["end"]["character"]
            )
        })
        .collect();
    assert_eq!(ranges, ["1:0-1", "2:15-16"]);
    assert!(edits.iter().all(|e| e["newText"] == "ηλ"));
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn hover_shows_the_value_and_the_symbolic_derivative() {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:sigmoid.nabla";
    client.open(uri, SIGMOID);
    assert_eq!(client.diagnostics(uri, 1), Vec::<Value>::new());
    let line = |needle: &str| SIGMOID.lines().position(|l| l.starts_with(needle));
    let loss_line = line("loss =").expect("a loss line") as u32;
    insta::assert_snapshot!("hover_loss", hover_text(&mut client, uri, loss_line, 1));
    let param_line = line("param").expect("a param line") as u32;
    insta::assert_snapshot!("hover_param", hover_text(&mut client, uri, param_line, 6));
    let minimize_line = line("minimize").expect("a minimize line") as u32;
    let method = hover_text(&mut client, uri, minimize_line, 18);
    assert!(
        method.contains("descent method: plain gradient descent"),
        "{method}"
    );
    let exp = hover_text(
        &mut client,
        uri,
        line("sigmoid(z)").expect("sigmoid") as u32,
        23,
    );
    assert!(
        exp.contains("exp(x)") && exp.contains("built-in function"),
        "{exp}"
    );
    // Nothing under the cursor: a null result, not an error.
    let nothing = client.request("textDocument/hover", at(uri, 0, 0));
    assert_eq!(nothing, Value::Null);
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn a_change_is_analysed_and_requests_see_the_new_text() {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:change.nabla";
    client.open(uri, "param w = 3\nloss = w^2\n");
    assert!(client.diagnostics(uri, 1).is_empty());
    // Type `los` over `loss`'s use site, in an incremental change: one error.
    let change = |version: i64, range: Value, text: &str| {
        json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{ "range": range, "text": text }],
        })
    };
    let end = json!({ "start": position(2, 0), "end": position(2, 0) });
    client.notify("textDocument/didChange", change(2, end, "minimize los\n"));
    // A hover sent right after the change waits for its analysis: it sees line 2.
    let id = client.send_request("textDocument/hover", at(uri, 1, 1));
    let diagnostics = client.diagnostics(uri, 2);
    assert_eq!(
        compact(&diagnostics),
        "2:9-2:12 1: unknown name `los` [help: did you mean `loss`?]"
    );
    let hover = client.wait(|m| m["id"] == json!(id));
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("= 9 at the initial params"), "{text}");
    assert!(text.contains("d(loss)/d(w) = 2*w"), "{text}");
    let fix = json!({ "start": position(2, 12), "end": position(2, 12) });
    client.notify("textDocument/didChange", change(3, fix, "s"));
    assert!(client.diagnostics(uri, 3).is_empty());
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn completion_offers_methods_options_and_names() {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:complete.nabla";
    client.open(
        uri,
        "param w = 1, width = 2\nloss = w^2\nminimize loss by \n",
    );
    client.diagnostics(uri, 1);
    let methods = client.request("textDocument/completion", at(uri, 2, 17));
    assert_eq!(
        labels(&methods),
        [
            "gd", "momentum", "nesterov", "adam", "armijo", "newton", "lbfgs"
        ]
    );
    let adam = &methods.as_array().expect("a list")[3];
    assert_eq!(
        adam["insertText"],
        "adam(rate = ${1:0.001}, epochs = ${2:1000})"
    );
    assert_eq!(adam["insertTextFormat"], 2, "a snippet");

    let change = json!({
        "textDocument": { "uri": uri, "version": 2 },
        "contentChanges": [{ "text": "param w = 1, width = 2\nloss = w^2 + wi\nminimize loss by newton(d" }],
    });
    client.notify("textDocument/didChange", change);
    client.diagnostics(uri, 2);
    let options = client.request("textDocument/completion", at(uri, 2, 25));
    assert_eq!(labels(&options), ["damping"]);
    let names = client.request("textDocument/completion", at(uri, 1, 15));
    assert_eq!(labels(&names), ["width"]);
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn references_rename_and_symbols_follow_the_names() {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:names.nabla";
    client.open(uri, SIGMOID);
    client.diagnostics(uri, 1);
    let f_line = SIGMOID
        .lines()
        .position(|l| l.starts_with("f ="))
        .expect("f") as u32;
    let params = json!({
        "textDocument": { "uri": uri }, "position": position(f_line, 0),
        "context": { "includeDeclaration": true }
    });
    let references = client.request("textDocument/references", params);
    // `f` is declared once and used once in `loss` and three times in each `check`.
    assert_eq!(references.as_array().map(Vec::len), Some(1 + 1 + 3 + 3));
    let prepare = client.request("textDocument/prepareRename", at(uri, f_line, 0));
    assert_eq!(prepare["start"], position(f_line, 0));
    // A keyword, a taken name and a malformed name are refused with an error, not a crash.
    for bad in ["param", "loss", "2f"] {
        let params = json!({
            "textDocument": { "uri": uri }, "position": position(f_line, 0), "newName": bad
        });
        let response = client.response("textDocument/rename", params);
        assert!(
            response["error"]["message"].is_string(),
            "{bad}: {response}"
        );
    }
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["x", "y", "w", "b", "sigmoid", "f", "loss"]);
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn a_csv_file_is_read_beside_the_document() {
    let (mut client, _) = Client::initialized();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let uri = nabla::lsp::uri_from_path(&dir.join("lsp_points.nabla")).expect("a file URI");
    let uri = uri.as_str();
    client.open(
        uri,
        "data x, y from \"points.csv\"\nparam w = 1\nloss = sum((w*x - y)^2)\n",
    );
    assert!(client.diagnostics(uri, 1).is_empty());
    let hover = hover_text(&mut client, uri, 0, 5);
    assert!(
        hover.contains("data column of 3 rows, scalar per row: 0.5, 2.5"),
        "{hover}"
    );
    let rename =
        json!({ "textDocument": { "uri": uri }, "position": position(0, 5), "newName": "u" });
    let response = client.response("textDocument/rename", rename);
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("header of its CSV column"), "{response}");
    client.open(uri, "data x, y from \"missing.csv\"\n");
    let diagnostics = client.diagnostics(uri, 1);
    assert!(
        compact(&diagnostics).starts_with("0:15-0:28 1: cannot read"),
        "{diagnostics:?}"
    );
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn bad_requests_get_errors_and_the_server_goes_on() {
    let (mut client, _) = Client::initialized();
    let uri = "untitled:bad.nabla";
    client.open(uri, "param w = 1\n");
    client.diagnostics(uri, 1);
    let garbage = client.response("textDocument/hover", json!({ "position": "here" }));
    assert_eq!(garbage["error"]["code"], -32602, "InvalidParams: {garbage}");
    let unknown = client.response("textDocument/noSuchThing", json!({}));
    assert_eq!(
        unknown["error"]["code"], -32601,
        "MethodNotFound: {unknown}"
    );
    let closed = client.response("textDocument/hover", at("untitled:never-opened", 0, 0));
    assert_eq!(closed["error"]["code"], -32602, "{closed}");
    let far = client.request("textDocument/hover", at(uri, 99, 4_000_000_000));
    assert_eq!(far, Value::Null);
    // A notification with bad params is ignored, and a change to an unopened document too.
    client.notify("textDocument/didChange", json!({ "nonsense": true }));
    client.notify("textDocument/didOpen", json!(42));
    let still = hover_text(&mut client, uri, 0, 6);
    assert!(still.contains("scalar param, starts at 1"), "{still}");
    assert_eq!(client.shut_down(), Some(0));
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let (mut client, _) = Client::initialized();
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), Some(1));
}
