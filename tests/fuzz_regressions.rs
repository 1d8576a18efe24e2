//! Replays the inputs under `tests/data/fuzz/` (crashes, hangs and blow-ups the fuzzer
//! found, each fixed in the library) and the example programs through the fuzz
//! target's pipeline: parse, lower, differentiate, simplify, print, compile and
//! evaluate (see `fuzz/pipeline.rs`, shared with `fuzz/fuzz_targets/pipeline.rs`).
//!
//! An input fails the test by panicking, or by taking longer than [`LIMIT`].

#[path = "../fuzz/pipeline.rs"]
mod pipeline;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Far above what any of these inputs takes (milliseconds): a hang or an exponential
/// blow-up would come back as minutes.
const LIMIT: Duration = Duration::from_secs(20);

fn files(dir: &Path, ext: Option<&str>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file() && ext.is_none_or(|ext| p.extension().is_some_and(|e| e == ext)))
        .collect();
    files.sort();
    files
}

fn replay(path: &Path) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = Instant::now();
    pipeline::run_bytes(&bytes);
    let took = start.elapsed();
    assert!(took < LIMIT, "{} took {took:?}", path.display());
}

#[test]
fn fuzz_regressions_replay_without_panic_or_hang() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let inputs = files(&dir, None);
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    for path in &inputs {
        replay(path);
    }
}

#[test]
fn seed_corpus_replays_without_panic_or_hang() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = files(&root.join("examples"), Some("nabla"));
    inputs.extend(files(&root.join("grammar/examples"), Some("nabla")));
    assert!(inputs.len() > 20, "the seed corpus went missing");
    for path in &inputs {
        replay(path);
    }
}

/// A CSV "file" that never ends (`/dev/zero` reports size 0) is refused at the file
/// size limit instead of filling the memory.
#[cfg(target_os = "linux")]
#[test]
fn endless_device_file_is_refused_at_the_size_limit() {
    use nabla::program::{LoadOptions, Program};
    let mut sources = nabla::syntax::Sources::new();
    let id = sources.add("device.nabla", "data x from \"/dev/zero\"\nloss = sum(x)\n");
    let errors = Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
        .expect_err("/dev/zero is not a CSV file");
    let message = errors.0[0].to_string();
    assert!(message.contains("exceeds the limit"), "{message}");
}
