//! Every input becomes [`Record`]s: lines, CSV/TSV columns, bounce emails
//! (`.eml`, mbox, Maildir), mailboxes and MTA logs. The CLI, the GUI batch,
//! `eval` and the benches read through here, so one input gives the same
//! records everywhere.

pub mod dsn;
pub mod email;
pub mod eval;
pub mod input;
pub mod lines;
pub mod logs;
pub mod mailbox;
pub mod mbox;
mod mime_repair;
mod mlist;
pub mod plaintext;
mod record;
mod report_kind;
pub mod ses;
mod verdict;

pub use email::{EmailProblem, EmailRead};
pub use input::{Input, InputKind, Note, PathProblem, Unit, expand, read_input, read_stream};
pub use record::{Action, MtaKind, Record, RecordKind, RecordSource};

/// What one unit gave: its records, and what to tell the user about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitRecords {
    /// The records, in input order.
    pub records: Vec<Record>,
    /// Reading notes (cut lines, cut emails, I/O errors).
    pub notes: Vec<(RecordSource, Note)>,
    /// Email problems (not a bounce, no recipient, damaged part).
    pub problems: Vec<(RecordSource, EmailProblem)>,
}

/// Turns one unit into records (parses emails). Pure and `Send`: batches run it
/// on all cores.
pub fn records_of(unit: Unit) -> UnitRecords {
    let mut out = UnitRecords::default();
    match unit {
        Unit::Line(r) => out.records.push(r),
        Unit::Note(s, n) => out.notes.push((s, n)),
        // Counted by whoever reads the units; nothing to classify.
        Unit::Skipped(..) => {}
        Unit::Email { source, raw } => {
            let read = email::read(&raw, &source);
            out.problems.extend(read.problems.into_iter().map(|p| (source.clone(), p)));
            out.records = read.records;
        }
    }
    out
}
