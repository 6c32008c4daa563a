//! Reading whole files with a stated size limit, so `/dev/zero`, a FIFO that
//! never ends or a huge file is refused early instead of filling memory.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest rule file (document, upstream, sync base, scenario) read: 32 MiB.
/// The shipped file averages 890 bytes a rule with examples and notes, so
/// 10,000 such rules take about 9 MB.
pub const MAX_RULE_FILE_BYTES: u64 = 32 << 20;

/// Largest file `import` (KumoMTA, PowerMTA, CSV, JSON) or `sync --lines` reads: 64 MiB.
pub const MAX_IMPORT_BYTES: u64 = 64 << 20;

/// What went wrong reading a file.
#[derive(Debug)]
pub enum ReadProblem {
    /// The file holds more than the limit (bytes).
    TooLarge(u64),
    /// The path is a folder.
    IsFolder,
    /// An OS error (no such file, permission denied, ...).
    Os(std::io::Error),
}

impl std::fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::i18n::{tr, tr_fmt};
        match self {
            ReadProblem::TooLarge(limit) => f.write_str(&tr_fmt("files.too_large", &[("mib", &(limit >> 20))])),
            ReadProblem::IsFolder => f.write_str(tr("files.is_folder")),
            ReadProblem::Os(e) => e.fmt(f),
        }
    }
}

/// Why a file could not be read.
// No `source`: the OS error is in the message, so `{:#}` prints it once.
#[derive(Debug, thiserror::Error)]
#[error("{}", crate::i18n::tr_fmt("files.read_failed", &[("path", &.path.display()), ("error", .problem)]))]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub problem: ReadProblem,
}

/// The bytes of `path`, refused once more than `limit` bytes were read (the
/// size the file claims is not trusted: devices and FIFOs claim 0).
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let err = |problem| ReadError { path: path.to_owned(), problem };
    let file = std::fs::File::open(path).map_err(|e| err(ReadProblem::Os(e)))?;
    let meta = file.metadata().map_err(|e| err(ReadProblem::Os(e)))?;
    if meta.is_dir() {
        return Err(err(ReadProblem::IsFolder));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(err(ReadProblem::TooLarge(limit)));
    }
    let hint = if meta.is_file() { meta.len() as usize } else { 0 };
    let mut bytes = Vec::with_capacity(hint.min(limit as usize) + 1);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| err(ReadProblem::Os(e)))?;
    if bytes.len() as u64 > limit {
        return Err(err(ReadProblem::TooLarge(limit)));
    }
    Ok(bytes)
}
