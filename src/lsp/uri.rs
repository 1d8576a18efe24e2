//! `file:` URIs to paths and back: percent-decoding of the path part, and encoding of
//! every byte that is not unreserved or `/`. Other schemes (`untitled:`) have no path.

use lsp_types::Uri;
use std::path::{Path, PathBuf};

/// The local path of a `file:` URI (`file:///home/a/b%20c.nabla` is
/// `/home/a/b c.nabla`); `None` for another scheme or a path that is not UTF-8.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // The authority (a host name, usually empty) ends where the path starts.
    let path = &rest[rest.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let bytes = percent_decode(path)?;
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

/// The `file:` URI of an absolute path.
pub fn from_path(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let mut uri = String::from("file://");
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(byte))
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri.parse().ok()
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_uris() {
        for path in ["/tmp/a.nabla", "/home/θ dir/loss (1).nabla"] {
            let uri = from_path(Path::new(path)).expect("a URI");
            assert_eq!(to_path(&uri), Some(PathBuf::from(path)), "{}", uri.as_str());
        }
        let uri: Uri = "file:///tmp/b%20c.nabla".parse().expect("a URI");
        assert_eq!(to_path(&uri), Some(PathBuf::from("/tmp/b c.nabla")));
        let untitled: Uri = "untitled:Untitled-1".parse().expect("a URI");
        assert_eq!(to_path(&untitled), None);
    }
}
