//! `bouncelab classify imap://… / pop3://…` against a real Dovecot: the
//! verdicts are those of the same `.eml` files (one JSON object per
//! recipient, `file` the URL without password, `message` the UID), the
//! mailbox is unchanged afterwards (same files, none `\Seen`), `--state`
//! makes runs incremental, and a missing or wrong password is a clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::dovecot::{Dovecot, PASSWORD, USER, certificate};
use crate::mailbox::{assert_unchanged, corpus_files};

fn rules() -> String {
    format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `classify` in English with `password` in BOUNCELAB_PASSWORD (None: unset).
fn classify(args: &[&str], password: Option<&str>) -> (i32, Vec<Value>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bouncelab"));
    c.env("LC_ALL", "C").env_remove("BOUNCELAB_PASSWORD").args(["classify", "--rules", &rules()]).args(args);
    if let Some(p) = password {
        c.env("BOUNCELAB_PASSWORD", p);
    }
    let out = c.stdin(Stdio::null()).output().expect("run bouncelab");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let values = stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    (out.status.code().unwrap_or(-1), values, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A verdict without where it was read, for comparing sources.
fn verdict_only(v: &Value) -> String {
    let mut v = v.clone();
    let o = v.as_object_mut().expect("object");
    o.remove("file");
    o.remove("message");
    v.to_string()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn url(scheme: &str, port: u16) -> String {
    let path = if scheme.starts_with("imap") { "/INBOX" } else { "" };
    format!("{scheme}://{USER}@127.0.0.1:{port}{path}")
}

/// The verdicts of the `.eml` files themselves.
fn eml_verdicts(files: &[PathBuf]) -> Vec<String> {
    let args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let (code, values, err) = classify(&args, None);
    assert_eq!(code, 0, "{err}");
    sorted(values.iter().map(verdict_only).collect())
}

#[test]
fn mailbox_verdicts_equal_those_of_the_eml_files_and_the_mailbox_is_unchanged() {
    let files = corpus_files(12);
    let messages: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let want = eml_verdicts(&files);
    assert!(want.len() >= 12, "{want:?}");
    let d = Dovecot::start(&messages);
    let before = d.snapshot();
    let ca = certificate().0.to_str().unwrap().to_owned();
    for (scheme, port) in [("imap", d.imap), ("pop3", d.pop3), ("imaps", d.imaps), ("pop3s", d.pop3s)] {
        let u = url(scheme, port);
        let (code, values, err) = classify(&[&u, "--ca-file", &ca], Some(PASSWORD));
        assert_eq!(code, 0, "{scheme}: {err}\n{}", d.log());
        let mut uids: Vec<u64> = Vec::new();
        for v in &values {
            assert_eq!(v["file"], Value::String(u.clone()), "{scheme}: file names the mailbox URL");
            uids.push(v["message"].as_u64().unwrap_or_else(|| panic!("{scheme}: message is the UID: {v}")));
        }
        uids.dedup();
        assert_eq!(uids.len(), 12, "{scheme}: one UID per message, in order: {uids:?}");
        assert!(uids.windows(2).all(|w| w[0] < w[1]), "{scheme}: {uids:?}");
        assert_eq!(sorted(values.iter().map(verdict_only).collect()), want, "{scheme}: verdicts differ from the .eml files'");
        assert!(err.contains("12 new messages to read"), "{scheme}: {err}");
        assert!(!err.contains(PASSWORD), "{scheme}: the password leaked: {err}");
    }
    assert_unchanged(&d, &before);
}

#[test]
fn state_file_makes_runs_incremental() {
    let files = corpus_files(5);
    let messages: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let d = Dovecot::start(&messages);
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    let pw = tmp.path().join("password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let (state_s, pw_s) = (state.to_str().unwrap(), pw.to_str().unwrap());
    for scheme in ["imap", "pop3"] {
        let u = url(scheme, if scheme == "imap" { d.imap } else { d.pop3 });
        let args = [u.as_str(), "--state", state_s, "--password-file", pw_s];
        let (code, first, err) = classify(&args, None);
        assert_eq!(code, 0, "{scheme}: {err}");
        assert!(first.len() >= 5, "{scheme}: {first:?}");
        assert!(Path::new(state_s).exists());
        let (code, second, err) = classify(&args, None);
        assert_eq!(code, 0, "{scheme}: {err}");
        assert!(second.is_empty(), "{scheme}: a second run reads nothing again: {second:?}");
        assert!(err.contains("0 new messages to read (5 read by earlier runs)"), "{scheme}: {err}");
    }
    // A new delivery: only it is read, by each protocol.
    let extra = std::fs::read(corpus_files(40).last().unwrap()).unwrap();
    d.deliver(5, &extra);
    let before = d.snapshot();
    let one = eml_verdicts(&[corpus_files(40).last().unwrap().clone()]);
    for scheme in ["imap", "pop3"] {
        let u = url(scheme, if scheme == "imap" { d.imap } else { d.pop3 });
        let (code, third, err) = classify(&[u.as_str(), "--state", state_s, "--password-file", pw_s], None);
        assert_eq!(code, 0, "{scheme}: {err}");
        assert_eq!(sorted(third.iter().map(verdict_only).collect()), one, "{scheme}: only the new message");
    }
    assert_unchanged(&d, &before);
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["mailboxes"][url("imap", d.imap)]["last_uid"], 6, "{saved}");
}

#[test]
fn missing_or_wrong_passwords_are_clear_errors() {
    let d = Dovecot::start(&[]);
    let u = url("imap", d.imap);
    let (code, out, err) = classify(&[&u], None);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("BOUNCELAB_PASSWORD") && err.contains("--password-file"), "{err}");
    let with_password = format!("imap://{USER}:{PASSWORD}@127.0.0.1:{}/INBOX", d.imap);
    let (code, _, err) = classify(&[&with_password], Some(PASSWORD));
    assert_ne!(code, 0);
    assert!(err.contains("must not contain a password"), "{err}");
    let (code, out, err) = classify(&[&u], Some("wrong"));
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("refused the login"), "{err}");
    let (code, _, err) = classify(&[&u, "--since", "2026-13-01"], Some(PASSWORD));
    assert_ne!(code, 0);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}
