//! Every input becomes [`Record`]s: lines, CSV/TSV columns, bounce emails
//! (`.eml`, mbox, Maildir), mailboxes and MTA logs. The CLI, the GUI batch,
//! `eval` and the benches read through here, so one input gives the same
//! records everywhere.

pub mod logs;
pub mod mailbox;
mod record;

pub use record::{Action, MtaKind, Record, RecordSource};
