//! Finding the upstream rule set and reading / writing the base snapshot.

use std::path::{Path, PathBuf};

use crate::engine::fsio::{self, FileWrite, ReadError, ReadProblem};
use crate::engine::ruleset::{LoadError, RuleSet, SaveError, Upstream};

/// Why a sync could not run. The document is never touched on error.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The document names no upstream source.
    #[error("{}", crate::i18n::tr_fmt("errors.sync_no_upstream", &[("path", &.0.display())]))]
    NoUpstream(PathBuf),
    /// The upstream path does not exist.
    #[error("{}", crate::i18n::tr_fmt("errors.sync_upstream_missing", &[("path", &.0.display())]))]
    UpstreamMissing(PathBuf),
    /// The upstream folder holds no usable rule file.
    #[error("{}", crate::i18n::tr_fmt("errors.sync_upstream_folder", &[("path", &.path.display()), ("problem", .problem)]))]
    UpstreamFolder {
        /// The folder.
        path: PathBuf,
        /// What is wrong, e.g. "no .ron file".
        problem: String,
    },
    /// A rule file (upstream, base or document) could not be read or parsed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The base could not be saved.
    #[error(transparent)]
    Save(#[from] SaveError),
}

/// Where the base of `doc_path` is kept: `<file>.upstream-base.ron`.
pub fn base_path(doc_path: &Path) -> PathBuf {
    let mut p = doc_path.as_os_str().to_owned();
    p.push(".upstream-base.ron");
    PathBuf::from(p)
}

/// The base of a document; `Ok(None)` when none was saved yet (first sync).
/// A damaged base is an error, not a silent first sync: that would turn every
/// local edit into a conflict without saying why.
pub fn load_base(doc_path: &Path) -> Result<Option<RuleSet>, SyncError> {
    match RuleSet::load(&base_path(doc_path)) {
        Ok(base) => Ok(Some(base)),
        Err(LoadError::Read(ReadError { problem: ReadProblem::Os(e), .. })) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Saves the base atomically next to the document.
pub fn save_base(doc_path: &Path, base: &RuleSet) -> Result<(), SyncError> {
    let text = base.to_ron_string().map_err(SaveError::from)?;
    fsio::write_atomic(&base_path(doc_path), text.as_bytes(), false).map_err(SaveError::from)?;
    Ok(())
}

/// Saves the result of `sync --apply` as one update: the document (keeping
/// a `.bak`) and the next base are both written and synced before either
/// replaces its file, so a full disk or a refusal changes nothing. The
/// document is renamed into place first: if the base then fails, the next
/// sync sees the document equal to upstream on every applied change (no
/// conflict, nothing lost); the other order would make applied updates look
/// like local deletions.
pub fn save_applied(doc_path: &Path, doc: Option<&RuleSet>, base: Option<&RuleSet>) -> Result<(), SyncError> {
    let doc_text = doc.map(RuleSet::to_ron_string).transpose().map_err(SaveError::from)?;
    let base_text = base.map(RuleSet::to_ron_string).transpose().map_err(SaveError::from)?;
    let base_file = base_path(doc_path);
    let mut files = Vec::new();
    if let Some(t) = &doc_text {
        files.push(FileWrite { path: doc_path, bytes: t.as_bytes(), backup: true });
    }
    if let Some(t) = &base_text {
        files.push(FileWrite { path: &base_file, bytes: t.as_bytes(), backup: false });
    }
    fsio::write_files(&files).map_err(SaveError::from)?;
    Ok(())
}

/// The rule file an upstream names: the file itself, or in a folder
/// `rules.ron`, else its only `.ron` file. Relative paths start at the
/// document's folder so a document and its source can move together.
pub fn resolve_upstream(doc_path: &Path, up: &Upstream) -> Result<PathBuf, SyncError> {
    let p = if up.path.is_relative() { doc_path.parent().map_or_else(|| up.path.clone(), |d| d.join(&up.path)) } else { up.path.clone() };
    if !p.exists() {
        return Err(SyncError::UpstreamMissing(p));
    }
    if !p.is_dir() {
        return Ok(p);
    }
    if p.join("rules.ron").is_file() {
        return Ok(p.join("rules.ron"));
    }
    let folder_err = |problem: String| SyncError::UpstreamFolder { path: p.clone(), problem };
    let entries = std::fs::read_dir(&p).map_err(|e| folder_err(e.to_string()))?;
    let mut rons: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "ron") && !f.to_string_lossy().ends_with(".upstream-base.ron"))
        .collect();
    rons.sort();
    match rons.len() {
        1 => Ok(rons.remove(0)),
        0 => Err(folder_err(crate::i18n::tr("errors.sync_no_ron").into())),
        n => Err(folder_err(crate::i18n::tr_fmt("errors.sync_many_ron", &[("n", &n)]))),
    }
}

/// Loads the upstream rule set of the document at `doc_path`.
pub fn load_upstream(doc_path: &Path, up: &Upstream) -> Result<RuleSet, SyncError> {
    Ok(RuleSet::load(&resolve_upstream(doc_path, up)?)?)
}
