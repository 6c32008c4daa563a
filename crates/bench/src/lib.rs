//! Shared helpers of bouncelab's criterion benches (the benches themselves are in `benches/`).

use std::path::{Path, PathBuf};

/// The repository root, where the corpus, the sample rules and the test data live.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}
