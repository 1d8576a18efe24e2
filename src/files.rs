//! Output files (histories, plots): where each one goes, and writing it so that a
//! reader never sees half a file and a failed write leaves any earlier file whole.
//!
//! A path is resolved before anything is written ([`Target::resolve`]):
//! - a regular file, or a path that does not exist yet, is written **atomically**: a
//!   temporary file in the same directory, synced, then renamed over the path. A symlink
//!   to a regular file is followed, so the file it points at is replaced and the link
//!   stays a link;
//! - an existing path that is not a regular file (`/dev/null`, a FIFO, a terminal) is
//!   opened and written in place. **Nothing is ever renamed over it**: renaming over
//!   `/dev/full` would replace the device node with a file;
//! - a directory, a dangling symlink and a path in a missing directory are refused.
//!
//! [`Target::same_file`] tells whether a path names the target's file (a hard link,
//! `./a` and `a`, a symlink and its target), so a command can refuse to write over its
//! inputs.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Writes `bytes` to `path` as a [`Target`] says: atomically for a regular or new file,
/// in place for a device. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut output = Target::resolve(path)?.open()?;
    output.write_all(bytes)?;
    output.commit()
}

/// An output path, resolved: where its bytes will go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path as given (for messages).
    pub path: PathBuf,
    /// The file written: the path with its directory (and any symlink) resolved.
    resolved: PathBuf,
    /// Whether `resolved` is an existing non-regular file, written in place.
    in_place: bool,
}

impl Target {
    /// Resolves `path`; `Err` (with a reason for a message) for a directory, a dangling
    /// symlink, or a path whose directory does not exist.
    pub fn resolve(path: &Path) -> io::Result<Target> {
        let target = |resolved: PathBuf, in_place: bool| Target {
            path: path.to_path_buf(),
            resolved,
            in_place,
        };
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Err(io::Error::other("it is a directory")),
            Ok(meta) => Ok(target(fs::canonicalize(path)?, !meta.is_file())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if fs::symlink_metadata(path).is_ok() {
                    return Err(io::Error::other("it is a symlink to a missing file"));
                }
                Ok(target(new_file_path(path)?, false))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether this is an existing file that is not a regular file (a device, a FIFO),
    /// written in place.
    pub fn is_in_place(&self) -> bool {
        self.in_place
    }

    /// True when `self` and the file at `other` are one file: the same resolved path,
    /// or (for existing files) the same device and inode.
    pub fn same_file(&self, other: &Path) -> bool {
        let resolved = fs::canonicalize(other).or_else(|_| new_file_path(other));
        if resolved.is_ok_and(|r| r == self.resolved) {
            return true;
        }
        match (file_id(&self.resolved), file_id(other)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// Opens the output: a new temporary file beside the resolved path, or the device
    /// itself. Nothing replaces the path before [`Output::commit`].
    pub fn open(&self) -> io::Result<Output> {
        if self.in_place {
            let file = OpenOptions::new().write(true).open(&self.resolved)?;
            return Ok(Output {
                file: BufWriter::new(file),
                temp: None,
                resolved: self.resolved.clone(),
            });
        }
        let temp = temp_path(&self.resolved);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        // A replaced file keeps its permissions (best effort: a file whose mode we may
        // not copy is still written, with the default ones).
        if let Ok(meta) = fs::metadata(&self.resolved) {
            let _ = fs::set_permissions(&temp, meta.permissions());
        }
        Ok(Output {
            file: BufWriter::new(file),
            temp: Some(temp),
            resolved: self.resolved.clone(),
        })
    }
}

/// An open output: written through a buffer, made visible by [`Output::commit`]. Dropped
/// without a commit, its temporary file is removed and the path is left as it was.
#[derive(Debug)]
pub struct Output {
    file: BufWriter<File>,
    /// The temporary file, until it is renamed; `None` for a device.
    temp: Option<PathBuf>,
    resolved: PathBuf,
}

impl Output {
    /// Flushes the bytes; for a file, syncs the temporary file and renames it over the
    /// path.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        let Some(temp) = &self.temp else {
            return Ok(());
        };
        self.file.get_ref().sync_all()?;
        fs::rename(temp, &self.resolved)?;
        self.temp = None;
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.file.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            // Nothing to report: the write has already failed, or was abandoned.
            let _ = fs::remove_file(temp);
        }
    }
}

/// The path a new file will have: its directory resolved, which must exist.
fn new_file_path(path: &Path) -> io::Result<PathBuf> {
    let Some(name) = path.file_name() else {
        return Err(io::Error::other("it names no file"));
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match fs::canonicalize(parent) {
        Ok(dir) if dir.is_dir() => Ok(dir.join(name)),
        Ok(_) => Err(io::Error::other(format!(
            "`{}` is not a directory",
            parent.display()
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(io::Error::other(format!(
            "the directory `{}` does not exist",
            parent.display()
        ))),
        Err(e) => Err(e),
    }
}

/// The device and inode of an existing file (following symlinks).
#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Without inodes, two paths are one file only when they resolve to the same path.
#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<(u64, u64)> {
    None
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
