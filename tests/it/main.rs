//! Integration tests: one binary, one module per area.

mod classify;
mod cli;
mod dns;
#[cfg(feature = "gui")]
mod gallery;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_batch;
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
mod i18n;
mod interchange;
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
