//! Safe file writing: a save never truncates the user's file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a file could not be written. The previous file, if any, is untouched.
#[derive(Debug, thiserror::Error)]
#[error("{}", crate::i18n::tr_fmt("errors.write_failed", &[("path", &.path.display()), ("error", .source)]))]
pub struct WriteError {
    /// The target file.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` through a temp file in the same folder, fsync and
/// rename, so a crash or a full disk leaves either the old or the new file.
/// With `keep_backup`, the previous version is copied to `<path>.bak` first.
pub fn write_atomic(path: &Path, bytes: &[u8], keep_backup: bool) -> Result<(), WriteError> {
    let err = |source| WriteError { path: path.to_owned(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".bouncelab-").suffix(".tmp").tempfile_in(&dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    if keep_backup && path.exists() {
        let mut bak = path.as_os_str().to_owned();
        bak.push(".bak");
        std::fs::copy(path, PathBuf::from(bak)).map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_keeps_backup() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.ron");
        write_atomic(&p, b"one", true).unwrap();
        write_atomic(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read(dir.path().join("r.ron.bak")).unwrap(), b"one");
    }

    #[test]
    fn missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/r.ron");
        let e = write_atomic(&p, b"x", false).unwrap_err();
        assert!(e.to_string().contains("r.ron"));
    }
}
