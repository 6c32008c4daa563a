use super::*;

#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

fn mode(p: &Path) -> u32 {
    #[cfg(unix)]
    {
        std::fs::metadata(p).unwrap().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        0
    }
}

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

#[test]
fn a_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = write_atomic(dir.path(), b"x", false).unwrap_err();
    assert!(matches!(e.problem, WriteProblem::IsFolder), "{e}");
}

#[cfg(unix)]
#[test]
fn a_link_stays_a_link_and_its_target_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.ron");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.ron");
    symlink("real.ron", &link).unwrap();
    write_atomic(&link, b"new", true).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), b"new");
    // The backup lives beside the real file.
    assert_eq!(std::fs::read(dir.path().join("real.ron.bak")).unwrap(), b"old");
    assert!(!dir.path().join("link.ron.bak").exists());
}

#[cfg(unix)]
#[test]
fn a_dangling_link_creates_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.ron");
    symlink("sub/real.ron", &link).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    write_atomic(&link, b"new", false).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(dir.path().join("sub/real.ron")).unwrap(), b"new");
}

#[cfg(unix)]
#[test]
fn a_bak_link_is_replaced_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("local.ron");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&p, "rules v1").unwrap();
    std::fs::write(&victim, "precious").unwrap();
    symlink(&victim, dir.path().join("local.ron.bak")).unwrap();
    write_atomic(&p, b"rules v2", true).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    let bak = dir.path().join("local.ron.bak");
    assert!(std::fs::symlink_metadata(&bak).unwrap().is_file());
    assert_eq!(std::fs::read(&bak).unwrap(), b"rules v1");
}

#[cfg(unix)]
#[test]
fn a_folder_at_the_bak_name_refuses_the_save() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("local.ron");
    std::fs::write(&p, "v1").unwrap();
    std::fs::create_dir(dir.path().join("local.ron.bak")).unwrap();
    assert!(write_atomic(&p, b"v2", true).is_err());
    assert_eq!(std::fs::read(&p).unwrap(), b"v1");
}

#[cfg(unix)]
#[test]
fn mode_is_kept_and_new_files_follow_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.ron");
    std::fs::write(&p, "old").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    write_atomic(&p, b"new", true).unwrap();
    assert_eq!(mode(&p), 0o640);
    assert_eq!(mode(&dir.path().join("r.ron.bak")), 0o640);
    // A new file gets 0666 less the umask (tempfile's 0600 would hide it from the team).
    let fresh = dir.path().join("fresh.csv");
    write_atomic(&fresh, b"x", false).unwrap();
    // SAFETY: umask only reads and restores the process mask.
    let umask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    } as u32;
    assert_eq!(mode(&fresh), 0o666 & !umask);
}

#[cfg(unix)]
#[test]
fn owner_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.ron");
    std::fs::write(&p, "old").unwrap();
    let before = std::fs::metadata(&p).unwrap();
    write_atomic(&p, b"new", false).unwrap();
    let after = std::fs::metadata(&p).unwrap();
    assert_eq!((before.uid(), before.gid()), (after.uid(), after.gid()));
    assert_ne!(before.ino(), after.ino(), "replaced atomically, not rewritten in place");
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.ron");
    std::fs::write(&p, "old").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    let e = write_atomic(&p, b"new", true).unwrap_err();
    assert!(matches!(e.problem, WriteProblem::ReadOnly), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), b"old");
    assert!(!dir.path().join("r.ron.bak").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp file left behind");
}

#[cfg(unix)]
#[test]
fn a_device_is_written_not_replaced() {
    write_atomic(Path::new("/dev/null"), b"discarded", true).unwrap();
    let m = std::fs::symlink_metadata("/dev/null").unwrap();
    use std::os::unix::fs::FileTypeExt;
    assert!(m.file_type().is_char_device());
    assert!(!Path::new("/dev/null.bak").exists());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_written_not_replaced() {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.as_os_str().to_str().unwrap()).unwrap();
    // SAFETY: valid path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        File::open(reader_path).unwrap().read_to_string(&mut s).unwrap();
        s
    });
    write_atomic(&fifo, b"through the pipe", false).unwrap();
    assert_eq!(reader.join().unwrap(), "through the pipe");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_failing_file_of_an_update_changes_none() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.ron");
    std::fs::write(&a, "a1").unwrap();
    let bad = dir.path().join("no/such/b.ron");
    let files = [FileWrite { path: &a, bytes: b"a2", backup: true }, FileWrite { path: &bad, bytes: b"b2", backup: false }];
    assert!(write_files(&files).is_err());
    assert_eq!(std::fs::read(&a).unwrap(), b"a1");
    assert!(!dir.path().join("a.ron.bak").exists());
}

#[test]
fn an_os_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let e = write_atomic(&dir.path().join("none/x.ron"), b"x", false).unwrap_err();
    let text = format!("{:#}", anyhow::Error::from(e));
    assert_eq!(text.matches("os error").count(), 1, "{text}");
}

#[test]
fn reads_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big");
    std::fs::write(&p, vec![b'x'; 2000]).unwrap();
    assert_eq!(read_capped(&p, 2000).unwrap().len(), 2000);
    let e = read_capped(&p, 1999).unwrap_err();
    assert!(matches!(e.problem, ReadProblem::TooLarge(1999)), "{e}");
    #[cfg(unix)]
    {
        let e = read_capped(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(matches!(e.problem, ReadProblem::TooLarge(_)), "{e}");
    }
    assert!(matches!(read_capped(dir.path(), 10).unwrap_err().problem, ReadProblem::IsFolder));
}

#[cfg(unix)]
#[test]
fn a_descriptor_path_writes_the_open_descriptor() {
    use std::io::{Read, Seek};
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    std::fs::write(&log, "kept\n").unwrap();
    // Like `>> log`: an append descriptor; reopening the path would truncate it.
    let mut f = OpenOptions::new().append(true).read(true).open(&log).unwrap();
    write_atomic(&PathBuf::from(format!("/dev/fd/{}", f.as_raw_fd())), b"added\n", true).unwrap();
    let mut s = String::new();
    f.rewind().unwrap();
    f.read_to_string(&mut s).unwrap();
    assert_eq!(s, "kept\nadded\n");
    assert!(!Path::new(&format!("/dev/fd/{}.bak", f.as_raw_fd())).exists());
}
