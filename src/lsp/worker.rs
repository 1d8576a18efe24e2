//! The analysis thread: documents are analysed off the server's loop, so a slow
//! analysis (a file reading a large CSV) never holds up the messages behind it.
//!
//! **Only the newest text of a document is analysed**: the thread takes every job
//! waiting before it starts, keeps the last one of each document, and the server
//! drops a result whose version is no longer the document's. An analysis that
//! panics (a bug: nothing reachable from input should) becomes one diagnostic saying
//! so, and the thread goes on.

use super::analysis::{Analysis, analyze};
use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_types::Uri;
use std::collections::HashMap;

/// One text to analyse.
#[derive(Debug, Clone)]
pub struct Job {
    /// The document.
    pub uri: Uri,
    /// Its version.
    pub version: i32,
    /// Its text at that version.
    pub text: String,
}

/// What the thread sends back: the version analysed and its analysis (`None` when
/// the analysis panicked).
pub type Done = (Uri, i32, Option<Box<Analysis>>);

/// The analysis thread's two ends.
pub struct Worker {
    /// Where jobs go.
    pub jobs: Sender<Job>,
    /// Where analyses come back.
    pub done: Receiver<Done>,
}

/// The stack of the analysis thread, as the binary's main thread has (the parser
/// bounds nesting; this is the margin for a debug build's frames).
const STACK_BYTES: usize = 256 * 1024 * 1024;

impl Worker {
    /// Starts the thread; it ends when `jobs` is dropped.
    pub fn spawn() -> std::io::Result<Worker> {
        let (jobs, inbox) = unbounded::<Job>();
        let (outbox, done) = unbounded::<Done>();
        std::thread::Builder::new()
            .name("nabla-analysis".into())
            .stack_size(STACK_BYTES)
            .spawn(move || run(&inbox, &outbox))?;
        Ok(Worker { jobs, done })
    }
}

fn run(inbox: &Receiver<Job>, outbox: &Sender<Done>) {
    while let Ok(first) = inbox.recv() {
        let mut newest: Vec<Job> = vec![first];
        newest.extend(inbox.try_iter());
        for job in latest_per_document(newest) {
            let (uri, text) = (job.uri.clone(), job.text.clone());
            let analysis = std::panic::catch_unwind(move || analyze(&uri, text));
            let analysis = analysis.ok().map(|mut analysis| {
                analysis.version = job.version;
                Box::new(analysis)
            });
            if outbox.send((job.uri, job.version, analysis)).is_err() {
                return;
            }
        }
    }
}

/// The last job of each document, in the order the documents first appear.
fn latest_per_document(jobs: Vec<Job>) -> Vec<Job> {
    let mut order: Vec<Uri> = Vec::new();
    let mut latest: HashMap<Uri, Job> = HashMap::new();
    for job in jobs {
        if !latest.contains_key(&job.uri) {
            order.push(job.uri.clone());
        }
        latest.insert(job.uri.clone(), job);
    }
    order
        .into_iter()
        .filter_map(|uri| latest.remove(&uri))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_text_of_a_document_is_analysed() {
        let a: Uri = "untitled:a".parse().expect("a URI");
        let b: Uri = "untitled:b".parse().expect("a URI");
        let job = |uri: &Uri, version| Job {
            uri: uri.clone(),
            version,
            text: String::new(),
        };
        let jobs = vec![job(&a, 1), job(&b, 1), job(&a, 2), job(&a, 3)];
        let kept: Vec<(String, i32)> = latest_per_document(jobs)
            .into_iter()
            .map(|j| (j.uri.as_str().to_string(), j.version))
            .collect();
        assert_eq!(kept, [("untitled:a".into(), 3), ("untitled:b".into(), 1)]);
    }
}
