//! The one write path of the app and the CLI, and size-capped reading.
//!
//! Every file bouncelab writes (rule files and their `.bak`, sync bases,
//! exports, CSV, PNG, scenarios) goes through [`write_atomic`] or
//! [`write_files`]:
//! - a symlink is resolved and its target written; the link stays a link;
//! - a special file (device, FIFO, `/dev/stdout`, what `/proc/self/fd/N`
//!   leads to) is opened and written directly, never replaced;
//! - a regular file is replaced atomically (temp file beside the real file,
//!   fsync, rename, fsync of the folder) keeping its mode and owner, so a
//!   crash or a full disk leaves either the old or the new file;
//! - a read-only target is refused, not silently replaced;
//! - a `.bak` is itself written atomically and never through a link.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

mod read;

pub use read::{MAX_IMPORT_BYTES, MAX_RULE_FILE_BYTES, ReadError, ReadProblem, read_capped};

/// What went wrong writing a file.
#[derive(Debug)]
pub enum WriteProblem {
    /// The target has no write permission (or the user may not write it).
    ReadOnly,
    /// The target is a folder.
    IsFolder,
    /// The new file could not be given the old file's owner.
    Owner(std::io::Error),
    /// An OS error (full disk, no such folder, ...).
    Os(std::io::Error),
}

impl std::fmt::Display for WriteProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::i18n::{tr, tr_fmt};
        match self {
            WriteProblem::ReadOnly => f.write_str(tr("files.read_only")),
            WriteProblem::IsFolder => f.write_str(tr("files.is_folder")),
            WriteProblem::Owner(e) => f.write_str(&tr_fmt("files.owner", &[("error", e)])),
            WriteProblem::Os(e) => e.fmt(f),
        }
    }
}

/// Why a file could not be written. The previous file, if any, is untouched.
// No `source`: the OS error is part of the message, so `{:#}` prints it once.
#[derive(Debug, thiserror::Error)]
#[error("{}", crate::i18n::tr_fmt("errors.write_failed", &[("path", &.path.display()), ("error", .problem)]))]
pub struct WriteError {
    /// The target file, as given.
    pub path: PathBuf,
    /// What went wrong.
    pub problem: WriteProblem,
}

/// One file of a [`write_files`] update.
#[derive(Clone, Copy, Debug)]
pub struct FileWrite<'a> {
    /// The target, as given (may be a link).
    pub path: &'a Path,
    /// The new content.
    pub bytes: &'a [u8],
    /// Keep the previous version as `<real file>.bak`.
    pub backup: bool,
}

/// Writes `bytes` to `path` by the rules of this module. With `keep_backup`,
/// the previous version is kept as `<real file>.bak`.
pub fn write_atomic(path: &Path, bytes: &[u8], keep_backup: bool) -> Result<(), WriteError> {
    write_files(&[FileWrite { path, bytes, backup: keep_backup }])
}

/// Writes several files as one update: every new content and `.bak` is
/// written and synced to disk first (where a full disk or a refusal shows
/// up, with nothing replaced yet), then the files are renamed into place in
/// the order given. Put first the file whose early replacement is harmless
/// if the later ones never land.
pub fn write_files(files: &[FileWrite<'_>]) -> Result<(), WriteError> {
    let mut staged = Vec::with_capacity(files.len());
    for f in files {
        let err = |problem| WriteError { path: f.path.to_owned(), problem };
        staged.push(stage(f).map_err(err)?);
    }
    for (s, f) in staged.into_iter().zip(files) {
        s.commit().map_err(|problem| WriteError { path: f.path.to_owned(), problem })?;
    }
    Ok(())
}

/// A write prepared and synced, waiting for its rename.
enum Staged {
    /// Already written in place (special files).
    Done,
    /// Temp file to rename over `target`, and maybe a `.bak` before it.
    Replace { tmp: tempfile::NamedTempFile, target: PathBuf, backup: Option<(tempfile::NamedTempFile, PathBuf)> },
}

impl Staged {
    fn commit(self) -> Result<(), WriteProblem> {
        let Staged::Replace { tmp, target, backup } = self else { return Ok(()) };
        if let Some((bak, bak_path)) = backup {
            // rename() replaces a link at the `.bak` name, never its target.
            bak.persist(&bak_path).map_err(|e| WriteProblem::Os(e.error))?;
        }
        tmp.persist(&target).map_err(|e| WriteProblem::Os(e.error))?;
        sync_folder(&target);
        Ok(())
    }
}

fn stage(f: &FileWrite<'_>) -> Result<Staged, WriteProblem> {
    let os = WriteProblem::Os;
    if let Some(fd) = own_descriptor(f.path) {
        return write_to_descriptor(fd, f.bytes);
    }
    // Through every link, the kernel's own `/proc/self/fd/N` ones included.
    if let Ok(m) = std::fs::metadata(f.path)
        && !m.is_file()
        && !m.is_dir()
    {
        return write_in_place(f.path, f.bytes, Some(&m));
    }
    let (target, via_proc) = follow_links(f.path).map_err(os)?;
    if via_proc {
        // `/dev/stdout` redirected to a file: the shell opened it; write there.
        return write_in_place(f.path, f.bytes, std::fs::metadata(f.path).ok().as_ref());
    }
    let meta = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(os(e)),
    };
    match &meta {
        Some(m) if m.is_dir() => return Err(WriteProblem::IsFolder),
        Some(m) if !m.is_file() => return write_in_place(&target, f.bytes, Some(m)),
        Some(m) if !writable(&target, m) => return Err(WriteProblem::ReadOnly),
        _ => {}
    }
    let dir = folder_of(&target);
    let tmp = temp_copy_of(&dir, meta.as_ref(), |file| file.write_all(f.bytes))?;
    let backup = match (&meta, f.backup) {
        (Some(m), true) => {
            let bak_path = backup_path(&target);
            if let Ok(bm) = std::fs::symlink_metadata(&bak_path)
                && !bm.is_file()
                && !bm.file_type().is_symlink()
            {
                // A folder or device at the `.bak` name: never replaced.
                return Err(WriteProblem::Os(std::io::Error::other(crate::i18n::tr_fmt(
                    "files.bak_not_file",
                    &[("path", &bak_path.display())],
                ))));
            }
            let mut old = File::open(&target).map_err(os)?;
            let bak = temp_copy_of(&dir, Some(m), |file| std::io::copy(&mut old, file).map(drop))?;
            Some((bak, bak_path))
        }
        _ => None,
    };
    Ok(Staged::Replace { tmp, target, backup })
}

/// A temp file in `dir` filled by `fill`, synced, with the mode and owner of
/// `like` (or the usual mode of a new file: 0666 less the umask).
fn temp_copy_of(
    dir: &Path,
    like: Option<&Metadata>,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<tempfile::NamedTempFile, WriteProblem> {
    let os = WriteProblem::Os;
    let mut b = tempfile::Builder::new();
    b.prefix(".bouncelab-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Through open(2), so the umask applies like for any new file.
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = b.tempfile_in(dir).map_err(os)?;
    fill(tmp.as_file_mut()).map_err(os)?;
    if let Some(m) = like {
        keep_mode_and_owner(tmp.as_file(), m)?;
    }
    tmp.as_file().sync_all().map_err(os)?;
    Ok(tmp)
}

#[cfg(unix)]
fn keep_mode_and_owner(file: &File, m: &Metadata) -> Result<(), WriteProblem> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let cur = file.metadata().map_err(WriteProblem::Os)?;
    if (cur.uid(), cur.gid()) != (m.uid(), m.gid()) {
        std::os::unix::fs::fchown(file, Some(m.uid()), Some(m.gid())).map_err(WriteProblem::Owner)?;
    }
    // After chown, which may clear set-id bits.
    file.set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777)).map_err(WriteProblem::Os)
}

#[cfg(not(unix))]
fn keep_mode_and_owner(file: &File, m: &Metadata) -> Result<(), WriteProblem> {
    file.set_permissions(m.permissions()).map_err(WriteProblem::Os)
}

/// Whether the user may write the existing regular file `path`. Root may
/// write anything, so the mode's write bits are checked too: a 0444 file is
/// meant to stay as it is.
fn writable(path: &Path, m: &Metadata) -> bool {
    if m.permissions().readonly() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        true
    }
}

/// Devices, FIFOs and sockets: opened and written, never replaced.
fn write_in_place(path: &Path, bytes: &[u8], meta: Option<&Metadata>) -> Result<Staged, WriteProblem> {
    let regular = meta.is_some_and(Metadata::is_file);
    if regular && meta.is_some_and(|m| !writable(path, m)) {
        return Err(WriteProblem::ReadOnly);
    }
    let mut f = OpenOptions::new().write(true).truncate(regular).open(path).map_err(WriteProblem::Os)?;
    f.write_all(bytes).and_then(|()| f.flush()).map_err(WriteProblem::Os)?;
    Ok(Staged::Done)
}

/// The descriptor `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or
/// `/proc/self/fd/N` names. Reopening it would start at offset 0 (or truncate
/// a `>>` log); writing the open descriptor keeps the shell's redirection.
fn own_descriptor(path: &Path) -> Option<i32> {
    let s = path.to_str()?;
    match s {
        "/dev/stdout" => Some(1),
        "/dev/stderr" => Some(2),
        _ => s.strip_prefix("/dev/fd/").or_else(|| s.strip_prefix("/proc/self/fd/"))?.parse().ok().filter(|fd| *fd >= 0),
    }
}

fn write_to_descriptor(fd: i32, bytes: &[u8]) -> Result<Staged, WriteProblem> {
    let written = match fd {
        1 => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
        2 => std::io::stderr().lock().write_all(bytes),
        #[cfg(unix)]
        _ => {
            use std::os::fd::FromRawFd;
            // SAFETY: dup() gives a new descriptor we own (or -1, checked).
            let dup = unsafe { libc::dup(fd) };
            if dup < 0 {
                return Err(WriteProblem::Os(std::io::Error::last_os_error()));
            }
            // SAFETY: `dup` is a fresh descriptor owned by this File only.
            let mut f = unsafe { File::from_raw_fd(dup) };
            f.write_all(bytes).and_then(|()| f.flush())
        }
        #[cfg(not(unix))]
        _ => Err(std::io::Error::from(std::io::ErrorKind::Unsupported)),
    };
    written.map_err(WriteProblem::Os)?;
    Ok(Staged::Done)
}

/// `/proc/...` (where `/dev/stdout` and `/dev/fd/N` lead): its links name
/// open files, not places one can write a temp file beside.
fn in_proc(path: &Path) -> bool {
    let mut c = path.components();
    c.next() == Some(Component::RootDir) && c.next() == Some(Component::Normal("proc".as_ref()))
}

/// The real file behind `path`: links followed (at most 40, like the kernel),
/// relative targets taken from the link's folder. A dangling link gives the
/// path it points to, so the file is created there and the link kept.
pub fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    follow_links(path).map(|(p, _)| p)
}

/// [`resolve_links`], and whether the way led through `/proc`.
fn follow_links(path: &Path) -> std::io::Result<(PathBuf, bool)> {
    let mut p = path.to_owned();
    let mut via_proc = in_proc(&p);
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = if to.is_absolute() { to } else { folder_of(&p).join(to) };
                via_proc |= in_proc(&p);
            }
            Ok(_) => return Ok((p, via_proc)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((p, via_proc)),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(crate::i18n::tr("files.link_loop")))
}

/// `<file>.bak` beside the real file.
pub fn backup_path(real: &Path) -> PathBuf {
    let mut bak = real.as_os_str().to_owned();
    bak.push(".bak");
    PathBuf::from(bak)
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The rename is durable only once the folder is synced; failing that is not
/// an error of the save (the new file is in place).
fn sync_folder(file: &Path) {
    if let Ok(d) = File::open(folder_of(file)) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests;
