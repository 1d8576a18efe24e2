//! Output files (histories, plots) written atomically: a reader never sees half a
//! file, and a failed write leaves any earlier file whole.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Writes `bytes` to `path` through a new temporary file in the same directory, synced
/// to disk and then renamed over `path`. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temp_path(path);
    let written = create_new(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    written
        .and_then(|()| fs::rename(&temp, path))
        .inspect_err(|_| {
            // The temp file may not exist (creation failed); nothing to report then.
            let _ = fs::remove_file(&temp);
        })
}

fn create_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// `dir/.name.<pid>.<n>.tmp`: hidden, unique per process and call, and in the same
/// directory as `path` so the rename cannot cross file systems.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp_name = format!(".{name}.{}.{n}.tmp", std::process::id());
    path.with_file_name(temp_name)
}
