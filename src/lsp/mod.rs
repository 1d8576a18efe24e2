//! `nabla lsp`: the Language Server Protocol over stdio (SPEC 13), on `lsp-server`
//! (the synchronous scaffold of rust-analyzer) and `lsp-types`.
//!
//! - `server.rs`: the protocol loop. Documents sync incrementally; every change is
//!   analysed on a thread of its own (`worker.rs`), newest text first, and its
//!   diagnostics published; requests are answered from the analysis of the text they
//!   were sent against.
//! - `document.rs`: the open texts and their edits, and byte offsets to LSP positions
//!   (UTF-16 columns) and back ([`LineIndex`]).
//! - `analysis.rs`: [`analyze`] parses a text, indexes its names and lowers what can
//!   be lowered ([`Program::lower_what_can_be`](crate::program::Program::lower_what_can_be)),
//!   and turns every error of the file into a diagnostic: the CLI's message at its
//!   span, the error's other places and its help as related information.
//! - `names.rs`: what every name written in the file refers to, from the AST's
//!   spans with the program's scope rules ([`NameIndex`]); `navigate.rs` reads it
//!   for go to definition, references, rename and document symbols.
//! - `hover.rs`: kind, shape, start, value at the initial params and the simplified
//!   symbolic derivative by each param, within a bound on the work.
//! - `complete.rs`: names, built-ins, methods and their options, keyword snippets.
//! - `builtins.rs`: a doc line for every built-in function, constant, method and
//!   option, checked against the crate's own lists.
//!
//! **The analysis is a library call**: [`analyze`] needs no server, thread or JSON,
//! so the tests and `benches/lsp.rs` time and check it directly.
//!
//! ```
//! use nabla::lsp::analyze;
//! let uri = "untitled:tour.nabla".parse().expect("a URI");
//! let analysis = analyze(&uri, "param θ = 1\nloss = θ^2 + nope\n".to_string());
//! let first = &analysis.diagnostics[0];
//! assert_eq!(first.message, "unknown name `nope`");
//! // Line 1 (from 0), column 13 in UTF-16 units.
//! assert_eq!((first.range.start.line, first.range.start.character), (1, 13));
//! ```

// `lsp_types::Uri` caches its parsed parts in cells, but hashes and compares by its
// text, which never changes: a sound map key (rust-analyzer allows the lint too).
#![allow(clippy::mutable_key_type)]

mod analysis;
mod builtins;
mod complete;
mod document;
mod hover;
mod names;
mod navigate;
mod server;
mod uri;
mod worker;

pub use analysis::{Analysis, analyze};
pub use builtins::{CONSTANTS, FUNCTIONS, KEYWORDS, method_doc, option_doc};
pub use complete::complete;
pub use document::{Document, LineIndex};
pub use hover::{MAX_DERIVED_NODES, MAX_EVAL_WORK, MAX_NEW_NODES, hover};
pub use names::{NameIndex, Occurrence, Symbol, SymbolKind, Target};
pub use navigate::{
    RenameRefused, definition, document_symbols, prepare_rename, references, rename,
};
pub use server::{Ending, Server};
pub use uri::{from_path as uri_from_path, to_path as uri_to_path};

use lsp_server::Connection;
use lsp_types::{
    CompletionOptions, HoverProviderCapability, OneOf, PositionEncodingKind, RenameOptions,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
};

/// Runs the server on stdin and stdout until the client says `exit`; the exit code is
/// 0 after `shutdown`, 1 otherwise (as the protocol asks), 2 if the client never
/// initialised.
pub fn run_stdio() -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let code = serve(&connection);
    drop(connection);
    // The reader thread ends at `exit` or end of input; the writer once it is dropped.
    let _ = io_threads.join();
    code
}

/// The initialize handshake, then the loop, on any connection (`Connection::memory`
/// for an in-process client); returns the exit code of [`run_stdio`].
pub fn serve(connection: &Connection) -> i32 {
    let Ok((id, params)) = connection.initialize_start() else {
        return 2;
    };
    let params: lsp_types::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let snippets = params
        .capabilities
        .text_document
        .and_then(|t| t.completion)
        .and_then(|c| c.completion_item)
        .and_then(|i| i.snippet_support)
        .unwrap_or(false);
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "nabla", "version": env!("CARGO_PKG_VERSION") },
    });
    if connection.initialize_finish(id, result).is_err() {
        return 2;
    }
    let Ok(server) = Server::new(connection, snippets) else {
        return 2;
    };
    match server.run() {
        Ending::Clean => 0,
        Ending::Abrupt => 1,
    }
}

/// What the server does: incremental sync, hover, definition, references, rename
/// (with prepare), completion (triggered also after `(`, `,` and `~`), symbols.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["(".into(), ",".into(), "~".into()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}
