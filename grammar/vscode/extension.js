// The nabla extension: starts `nabla lsp` over stdio for `.nabla` files.
// The server does the work (diagnostics, hover, definition, references, rename,
// completion, symbols); this file only finds the binary and connects.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("nabla").get("server.path") || "nabla";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "nabla",
    "nabla language server",
    { run: server, debug: server },
    { documentSelector: [{ language: "nabla" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
