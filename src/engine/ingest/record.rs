//! One bounce to classify, with what its input said about it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::smtp::{EnhancedCode, Phase};

/// Where a record was read: a file (or mailbox URL), the message inside it,
/// the line inside that.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecordSource {
    /// File path, Maildir message file or mailbox URL; `None` for stdin and pastes.
    pub file: Option<PathBuf>,
    /// 1-based message index inside an mbox, or the message UID in a mailbox.
    pub message: Option<u64>,
    /// 1-based line (line inputs, logs) or row (CSV).
    pub line: Option<u64>,
}

/// RFC 3464 `Action` of a recipient block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Delivery failed for good.
    Failed,
    /// Delivery is delayed; the MTA keeps trying.
    Delayed,
    /// Delivered (a success DSN).
    Delivered,
    /// Relayed to a system that sends no DSN.
    Relayed,
    /// Delivered and expanded to more recipients (a list).
    Expanded,
}

impl Action {
    /// Parses a DSN `Action:` value (case-insensitive; comments after the word ignored).
    pub fn parse(s: &str) -> Option<Action> {
        let word = s.trim().split(|c: char| c.is_whitespace() || c == '(' || c == ';').next()?;
        Some(match word.to_ascii_lowercase().as_str() {
            "failed" => Action::Failed,
            "delayed" => Action::Delayed,
            "delivered" => Action::Delivered,
            "relayed" => Action::Relayed,
            "expanded" => Action::Expanded,
            _ => return None,
        })
    }

    /// The stable lower-case name of machine outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
            Action::Expanded => "expanded",
        }
    }
}

/// The kind of system that wrote the bounce (or log line): which reader understood it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MtaKind {
    /// A standard RFC 3464 / RFC 6533 delivery status report.
    Rfc3464,
    /// A plain-text bounce of a known MTA family (`postfix`, `exim`, `qmail`...).
    Family(&'static str),
    /// A line of text, a CSV cell: no MTA said anything about it.
    Plain,
    /// A log line of an MTA (`kumomta`, `powermta`, `postfix`).
    Log(&'static str),
}

/// What kind of message a record comes from: a bounce, or a message that only
/// looks like one and must not count as a delivery failure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A delivery failure (or delay, or success) report: the rules decide.
    #[default]
    Bounce,
    /// An automatic reply (RFC 3834 `Auto-Submitted`, vacation notices).
    AutoReply,
    /// An abuse / feedback-loop report (RFC 5965 `report-type=feedback-report`).
    Feedback,
}

impl RecordKind {
    /// The stable lower-case name of machine outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Bounce => "bounce",
            RecordKind::AutoReply => "auto_reply",
            RecordKind::Feedback => "feedback",
        }
    }
}

impl MtaKind {
    /// The stable name of machine outputs (`rfc3464`, `postfix`, `plain`, `log:kumomta`...).
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            MtaKind::Rfc3464 => "rfc3464".into(),
            MtaKind::Family(f) => (*f).into(),
            MtaKind::Plain => "plain".into(),
            MtaKind::Log(l) => format!("log:{l}").into(),
        }
    }
}

/// One bounce: the text the rules classify and everything known around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Where it was read.
    pub source: RecordSource,
    /// The recipient the bounce is about, when the input names one.
    pub recipient: Option<String>,
    /// The reply text rules are matched against.
    pub text: String,
    /// Basic reply code (RFC 5321) when the input states it apart from the text.
    pub reply_code: Option<u16>,
    /// Enhanced status code: the DSN `Status:` field or the text's.
    pub enhanced_code: Option<EnhancedCode>,
    /// The SMTP phase the error was given in, when the bounce says it.
    pub phase: Option<Phase>,
    /// The remote MTA that gave the error (DSN `Remote-MTA`, "host … said").
    pub remote_mta: Option<String>,
    /// Which reader understood the input.
    pub reporter: MtaKind,
    /// The DSN action (failed / delayed / delivered...).
    pub action: Option<Action>,
    /// The MTA's own classification (KumoMTA `bounce_classification`, PowerMTA `bounceCat`).
    pub log_class: Option<String>,
    /// Bounce, auto-reply or feedback report.
    pub kind: RecordKind,
}

impl Record {
    /// A record for one plain line of text.
    pub fn plain(text: impl Into<String>, source: RecordSource) -> Record {
        Record {
            source,
            recipient: None,
            text: text.into(),
            reply_code: None,
            enhanced_code: None,
            phase: None,
            remote_mta: None,
            reporter: MtaKind::Plain,
            action: None,
            log_class: None,
            kind: RecordKind::Bounce,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_with_comments() {
        assert_eq!(Action::parse("failed"), Some(Action::Failed));
        assert_eq!(Action::parse(" Delayed (retrying)"), Some(Action::Delayed));
        assert_eq!(Action::parse("bogus"), None);
    }
}
