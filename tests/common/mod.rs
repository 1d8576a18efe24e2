//! What the tests that run the real binary share.

use std::path::Path;
use std::process::Command;

/// The crate's directory: the binary runs there, so relative paths in messages (and
/// snapshots) are stable.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `nabla args...` in the crate directory: exit code, stdout, stderr.
pub fn nabla(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot start nabla: {e}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}
