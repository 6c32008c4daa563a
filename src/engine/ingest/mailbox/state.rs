//! The incremental state of mailboxes: per mailbox URL, the IMAP UIDVALIDITY
//! and the last UID read, or the POP3 `UIDL`s already read. One JSON file,
//! written atomically, so a later run fetches only new messages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::tr_fmt;

/// What was read of one mailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxState {
    /// IMAP UIDVALIDITY the UIDs belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uidvalidity: Option<u32>,
    /// Highest IMAP UID read (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_uid: u32,
    /// POP3 unique ids read.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub uidl: BTreeSet<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The state file: mailbox URL (without password) → state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFile {
    /// Format version.
    pub version: u32,
    /// Per mailbox.
    pub mailboxes: BTreeMap<String, MailboxState>,
}

/// The state file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{}", tr_fmt("mailbox.err_state", &[("path", &.path.display()), ("error", .message)]))]
pub struct StateError {
    /// File.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl StateFile {
    /// Reads the file; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<StateFile, StateError> {
        let err = |message: String| StateError { path: path.to_owned(), message };
        match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StateFile { version: 1, ..Default::default() }),
            Err(e) => Err(err(e.to_string())),
            Ok(bytes) => {
                let f: StateFile = serde_json::from_slice(&bytes).map_err(|e| err(e.to_string()))?;
                if f.version > 1 {
                    return Err(err(format!("version {} is newer than this build", f.version)));
                }
                Ok(f)
            }
        }
    }

    /// Writes the file atomically (the previous version stays whole on failure).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| StateError { path: path.to_owned(), message: e.to_string() })?;
        crate::engine::fsio::write_atomic(path, &json, false)
            .map_err(|e| StateError { path: path.to_owned(), message: e.problem.to_string() })
    }

    /// The state of one mailbox (empty when unknown).
    pub fn get(&self, url: &super::MailboxUrl) -> MailboxState {
        self.mailboxes.get(&url.to_string()).cloned().unwrap_or_default()
    }

    /// Stores the state of one mailbox.
    pub fn set(&mut self, url: &super::MailboxUrl, state: MailboxState) {
        self.version = 1;
        self.mailboxes.insert(url.to_string(), state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let mut f = StateFile::load(&p).unwrap();
        assert!(f.mailboxes.is_empty());
        let url = super::super::MailboxUrl::parse("imaps://u@h/INBOX").unwrap();
        f.set(&url, MailboxState { uidvalidity: Some(7), last_uid: 42, uidl: BTreeSet::new() });
        f.save(&p).unwrap();
        let g = StateFile::load(&p).unwrap();
        assert_eq!(g.get(&url).last_uid, 42);
        std::fs::write(&p, b"{not json").unwrap();
        assert!(StateFile::load(&p).unwrap_err().to_string().contains("state.json"));
    }
}
