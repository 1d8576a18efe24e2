//! The protocol loop: reads the client's messages, keeps the open documents, sends
//! their texts to the analysis thread, publishes diagnostics when an analysis comes
//! back, and answers requests from the current analysis.
//!
//! **A request waits for the analysis of the text it was sent against**: a request
//! about a document whose newest text is still being analysed is kept and answered
//! when that analysis arrives (or with `RequestCancelled` on `$/cancelRequest`), so an
//! answer never mixes positions of two versions, and the loop goes on reading
//! messages meanwhile. A request with parameters it cannot read gets an
//! `InvalidParams` error, an unknown one `MethodNotFound`; nothing a client sends
//! ends the loop but `exit` or a closed connection.

use super::analysis::Analysis;
use super::document::Document;
use super::worker::{Done, Job, Worker};
use super::{complete, hover, navigate};
use crossbeam_channel::select;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notify, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{Diagnostic, DiagnosticSeverity, PublishDiagnosticsParams, Uri};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use std::collections::HashMap;

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `exit` after `shutdown`: exit code 0.
    Clean,
    /// `exit` without `shutdown`, or the connection closed: exit code 1.
    Abrupt,
}

/// The server's state between messages.
pub struct Server<'a> {
    connection: &'a Connection,
    worker: Worker,
    documents: HashMap<Uri, Document>,
    analyses: HashMap<Uri, Analysis>,
    /// The version of each document whose analysis came back (also one that failed).
    analysed: HashMap<Uri, i32>,
    /// Requests waiting for the analysis of their document's newest text.
    waiting: Vec<Request>,
    /// Whether the client takes snippet syntax in completions.
    snippets: bool,
    shut_down: bool,
}

impl<'a> Server<'a> {
    /// A server on `connection` (already initialised) with its analysis thread.
    pub fn new(connection: &'a Connection, snippets: bool) -> std::io::Result<Server<'a>> {
        Ok(Server {
            connection,
            worker: Worker::spawn()?,
            documents: HashMap::new(),
            analyses: HashMap::new(),
            analysed: HashMap::new(),
            waiting: Vec::new(),
            snippets,
            shut_down: false,
        })
    }

    /// Serves until `exit` or the end of the connection.
    pub fn run(mut self) -> Ending {
        let messages = self.connection.receiver.clone();
        let done = self.worker.done.clone();
        loop {
            select! {
                recv(messages) -> message => match message {
                    Ok(message) => {
                        if let Some(ending) = self.on_message(message) {
                            return ending;
                        }
                    }
                    Err(_) => return Ending::Abrupt,
                },
                recv(done) -> finished => {
                    if let Ok(finished) = finished {
                        self.on_analysis(finished);
                    }
                }
            }
        }
    }

    fn on_message(&mut self, message: Message) -> Option<Ending> {
        match message {
            Message::Request(request) => self.on_request(request),
            Message::Notification(n) if n.method == notify::Exit::METHOD => {
                return Some(match self.shut_down {
                    true => Ending::Clean,
                    false => Ending::Abrupt,
                });
            }
            Message::Notification(notification) => self.on_notification(notification),
            Message::Response(_) => {}
        }
        None
    }

    fn on_request(&mut self, request: Request) {
        if self.shut_down {
            let message = "the server is shut down".to_string();
            return self.reply_error(request.id, ErrorCode::InvalidRequest, message);
        }
        if request.method == req::Shutdown::METHOD {
            self.shut_down = true;
            return self.send(Response::new_ok(request.id, ()));
        }
        match document_of(&request) {
            Some(uri) if self.is_pending(&uri) => self.waiting.push(request),
            _ => self.answer(request),
        }
    }

    /// Whether the document's newest text has no analysis yet.
    fn is_pending(&self, uri: &Uri) -> bool {
        let newest = self.documents.get(uri).map(|d| d.version);
        newest.is_some() && newest != self.analysed.get(uri).copied()
    }

    fn answer(&mut self, request: Request) {
        let id = request.id.clone();
        let response = match self.dispatch(request) {
            Ok(result) => Response::new_ok(id, result),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.send(response);
    }

    fn dispatch(&mut self, request: Request) -> Result<Json, (ErrorCode, String)> {
        let params = request.params;
        let snippets = self.snippets;
        match request.method.as_str() {
            req::HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = read(params)?;
                let at = p.text_document_position_params;
                let (analysis, offset) = self.position(&at)?;
                to_json(hover::hover(analysis, offset))
            }
            req::GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = read(params)?;
                let (analysis, offset) = self.position(&p.text_document_position_params)?;
                to_json(navigate::definition(analysis, offset))
            }
            req::References::METHOD => {
                let p: lsp_types::ReferenceParams = read(params)?;
                let with_declaration = p.context.include_declaration;
                let (analysis, offset) = self.position(&p.text_document_position)?;
                to_json(navigate::references(analysis, offset, with_declaration))
            }
            req::PrepareRenameRequest::METHOD => {
                let p: lsp_types::TextDocumentPositionParams = read(params)?;
                let (analysis, offset) = self.position(&p)?;
                let range = navigate::prepare_rename(analysis, offset).map_err(refused)?;
                to_json(range)
            }
            req::Rename::METHOD => {
                let p: lsp_types::RenameParams = read(params)?;
                let (analysis, offset) = self.position(&p.text_document_position)?;
                let changes = navigate::rename(analysis, offset, &p.new_name).map_err(refused)?;
                to_json(lsp_types::WorkspaceEdit::new(changes))
            }
            req::Completion::METHOD => {
                let p: lsp_types::CompletionParams = read(params)?;
                let (analysis, offset) = self.position(&p.text_document_position)?;
                to_json(complete::complete(analysis, offset, snippets))
            }
            req::DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = read(params)?;
                let analysis = self.analysis(&p.text_document.uri)?;
                to_json(navigate::document_symbols(analysis))
            }
            other => Err((ErrorCode::MethodNotFound, format!("no method `{other}`"))),
        }
    }

    /// The analysis of a position's document and the position as a byte offset.
    fn position(
        &mut self,
        at: &lsp_types::TextDocumentPositionParams,
    ) -> Result<(&mut Analysis, usize), (ErrorCode, String)> {
        let analysis = self.analysis(&at.text_document.uri)?;
        let offset = analysis.offset(at.position);
        Ok((analysis, offset))
    }

    fn analysis(&mut self, uri: &Uri) -> Result<&mut Analysis, (ErrorCode, String)> {
        let message = || format!("`{}` is not an open document", uri.as_str());
        self.analyses
            .get_mut(uri)
            .ok_or_else(|| (ErrorCode::InvalidParams, message()))
    }

    fn on_notification(&mut self, notification: Notification) {
        let params = notification.params;
        match notification.method.as_str() {
            notify::DidOpenTextDocument::METHOD => {
                if let Ok(p) = read::<lsp_types::DidOpenTextDocumentParams>(params) {
                    let item = p.text_document;
                    let document = Document::new(item.text, item.version);
                    self.documents.insert(item.uri.clone(), document);
                    self.analyse(&item.uri);
                }
            }
            notify::DidChangeTextDocument::METHOD => {
                if let Ok(p) = read::<lsp_types::DidChangeTextDocumentParams>(params) {
                    let uri = p.text_document.uri;
                    if let Some(document) = self.documents.get_mut(&uri) {
                        document.apply(p.content_changes, p.text_document.version);
                        self.analyse(&uri);
                    }
                }
            }
            notify::DidCloseTextDocument::METHOD => {
                if let Ok(p) = read::<lsp_types::DidCloseTextDocumentParams>(params) {
                    self.close(p.text_document.uri);
                }
            }
            notify::Cancel::METHOD => {
                if let Ok(p) = read::<lsp_types::CancelParams>(params) {
                    self.cancel(p.id);
                }
            }
            _ => {}
        }
    }

    fn analyse(&mut self, uri: &Uri) {
        if let Some(document) = self.documents.get(uri) {
            let job = Job {
                uri: uri.clone(),
                version: document.version,
                text: document.text.clone(),
            };
            // The thread lives as long as the server holds `jobs`.
            let _ = self.worker.jobs.send(job);
        }
    }

    fn close(&mut self, uri: Uri) {
        self.documents.remove(&uri);
        self.analyses.remove(&uri);
        self.analysed.remove(&uri);
        let (answer, keep): (Vec<Request>, Vec<Request>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|r| document_of(r).as_ref() == Some(&uri));
        self.waiting = keep;
        answer.into_iter().for_each(|r| self.answer(r));
        self.publish(uri, Vec::new(), None);
    }

    fn cancel(&mut self, id: lsp_types::NumberOrString) {
        let id: RequestId = match id {
            lsp_types::NumberOrString::Number(n) => n.into(),
            lsp_types::NumberOrString::String(s) => s.into(),
        };
        if let Some(i) = self.waiting.iter().position(|r| r.id == id) {
            let request = self.waiting.remove(i);
            let message = "cancelled".to_string();
            self.reply_error(request.id, ErrorCode::RequestCanceled, message);
        }
    }

    /// An analysis is back: kept and published if it is of the newest text, and the
    /// requests waiting for it are answered.
    fn on_analysis(&mut self, (uri, version, analysis): Done) {
        if self.documents.get(&uri).map(|d| d.version) != Some(version) {
            return;
        }
        self.analysed.insert(uri.clone(), version);
        let diagnostics = match analysis {
            Some(analysis) => {
                let diagnostics = analysis.diagnostics.clone();
                self.analyses.insert(uri.clone(), *analysis);
                diagnostics
            }
            None => {
                self.analyses.remove(&uri);
                vec![internal_error()]
            }
        };
        self.publish(uri.clone(), diagnostics, Some(version));
        let (ready, keep): (Vec<Request>, Vec<Request>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|r| document_of(r).as_ref() == Some(&uri));
        self.waiting = keep;
        ready.into_iter().for_each(|r| self.answer(r));
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams::new(uri, diagnostics, version);
        let method = notify::PublishDiagnostics::METHOD.to_string();
        let _ = self
            .connection
            .sender
            .send(Notification::new(method, params).into());
    }

    fn send(&self, response: Response) {
        // A closed connection ends the loop at the next receive.
        let _ = self.connection.sender.send(response.into());
    }

    fn reply_error(&self, id: RequestId, code: ErrorCode, message: String) {
        self.send(Response::new_err(id, code as i32, message));
    }
}

/// The document a request is about, read from its `textDocument.uri`.
fn document_of(request: &Request) -> Option<Uri> {
    let uri = request.params.get("textDocument")?.get("uri")?.as_str()?;
    uri.parse().ok()
}

fn read<P: DeserializeOwned>(params: Json) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn to_json(value: impl serde::Serialize) -> Result<Json, (ErrorCode, String)> {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn refused(refusal: navigate::RenameRefused) -> (ErrorCode, String) {
    (ErrorCode::RequestFailed, refusal.0)
}

fn internal_error() -> Diagnostic {
    Diagnostic {
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("nabla".into()),
        message: "nabla failed to analyse this file (a bug: please report it)".into(),
        ..Diagnostic::default()
    }
}
