//! Integration tests: one binary, one module per area.

mod adaptive;
mod classify;
mod classify_fast;
mod cli;
mod dns;
mod dovecot;
mod eval;
mod export;
#[cfg(feature = "gui")]
mod gallery;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_batch;
#[cfg(feature = "gui")]
mod gui_export;
#[cfg(feature = "gui")]
mod gui_mx;
#[cfg(feature = "gui")]
mod gui_quarantine_i18n;
#[cfg(feature = "gui")]
mod gui_rampup;
#[cfg(feature = "gui")]
mod gui_reasons_i18n;
#[cfg(feature = "gui")]
mod gui_support;
#[cfg(feature = "gui")]
mod gui_sync;
#[cfg(feature = "gui")]
mod gui_tester;
#[cfg(feature = "gui")]
mod gui_workbench;
#[cfg(unix)]
mod hostile;
mod i18n;
mod ingest;
mod interchange;
mod live;
mod logs;
mod mailbox;
mod mailbox_cli;
mod simulate;
mod smtp_props;
mod sync;

use std::path::PathBuf;

/// Path of a file under tests/data.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// Rows of a TSV test table, header skipped.
pub fn table(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(data(name)).expect("test table");
    text.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.split('\t').map(String::from).collect()).collect()
}

/// The shipped default rules, read from sample_rules/default.ron.
pub fn default_doc() -> bouncelab::engine::RuleSet {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_rules/default.ron");
    bouncelab::engine::RuleSet::load(&p).expect("default rules load")
}

/// Runs the binary under `locale` with `stdin` fed from a thread (so large
/// inputs cannot deadlock); returns (exit code, stdout, stderr).
pub fn run_cli(locale: &str, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_bouncelab"))
        .env("LC_ALL", locale)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bouncelab");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("bouncelab output");
    writer.join().expect("stdin writer");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}
