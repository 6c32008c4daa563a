//! MTA logs as sources: KumoMTA JSON log records, PowerMTA accounting CSV and
//! Postfix maillog lines, detected by content. Each bounce record becomes a
//! [`Record`] with the recipient, the SMTP phase when the log says it, the
//! remote MTA and the MTA's own classification (`log_class`); deliveries,
//! receptions and other events are skipped and counted; malformed lines are
//! reported with their line number and reading goes on.

mod kumomta;
mod postfix;
mod powermta;
mod units;

use std::io::BufRead;
use std::path::PathBuf;

use super::record::{Record, RecordSource};
use crate::engine::smtp::Phase;

pub use powermta::PowerMtaRows;
pub use units::units;

/// A log format bouncelab reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// KumoMTA JSON log records, one per line.
    KumoMta,
    /// PowerMTA accounting CSV with its header line.
    PowerMta,
    /// Postfix lines of a syslog maillog.
    Postfix,
}

impl LogFormat {
    /// The stable machine name (`kumomta`, `powermta`, `postfix`), also the reporter name.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::KumoMta => "kumomta",
            LogFormat::PowerMta => "powermta",
            LogFormat::Postfix => "postfix",
        }
    }

    /// Parses a machine name.
    pub fn parse(s: &str) -> Option<LogFormat> {
        [LogFormat::KumoMta, LogFormat::PowerMta, LogFormat::Postfix].into_iter().find(|f| f.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// Guesses the log format from a file's first bytes; None when it is no log we read.
pub fn sniff(head: &[u8]) -> Option<LogFormat> {
    let text = String::from_utf8_lossy(&head[..head.len().min(64 << 10)]);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    if first.starts_with('{') && first.contains("\"type\"") && (first.contains("\"response\"") || first.contains("\"recipient\"")) {
        return Some(LogFormat::KumoMta);
    }
    if powermta::is_header(first) {
        return Some(LogFormat::PowerMta);
    }
    // A maillog mixes daemons: one Postfix line among the first few is enough.
    std::iter::once(first).chain(lines.take(49)).any(postfix::is_postfix_line).then_some(LogFormat::Postfix)
}

/// Why a log event was not turned into a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Skip {
    /// A successful delivery.
    Delivery,
    /// A message received (or refused) by the MTA's listener.
    Reception,
    /// Another event (queue manager, feedback report, rebind, another daemon...).
    Other,
}

/// What was wrong with a malformed log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogProblem {
    /// Not valid JSON (the parser's words).
    NotJson(String),
    /// A field the format requires is missing or of the wrong type.
    MissingField(&'static str),
    /// A CSV row with another number of columns than the header.
    Columns {
        /// Columns in the header.
        expected: usize,
        /// Columns in the row.
        found: usize,
    },
    /// A CSV row the CSV reader could not read.
    Csv(String),
    /// The line is not of this log's format (another MTA's log, plain text).
    OtherFormat,
    /// A Postfix delivery line whose fields could not be read.
    Unreadable,
}

/// One log line (or CSV row) read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogLine {
    /// Bounce records (KumoMTA may name several recipients in one record).
    Records(Vec<Record>),
    /// Skipped, and why.
    Skipped(Skip),
    /// Malformed: reported, then reading goes on.
    Malformed(LogProblem),
}

/// What a log gave, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCounts {
    /// Bounce records.
    pub records: usize,
    /// Deliveries skipped.
    pub deliveries: usize,
    /// Receptions skipped.
    pub receptions: usize,
    /// Other events skipped.
    pub other: usize,
    /// Malformed lines.
    pub malformed: usize,
}

impl LogCounts {
    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        *self == LogCounts::default()
    }

    /// Counts one line's outcome.
    pub fn add(&mut self, l: &LogLine) {
        match l {
            LogLine::Records(r) => self.records += r.len(),
            LogLine::Skipped(Skip::Delivery) => self.deliveries += 1,
            LogLine::Skipped(Skip::Reception) => self.receptions += 1,
            LogLine::Skipped(Skip::Other) => self.other += 1,
            LogLine::Malformed(_) => self.malformed += 1,
        }
    }
}

/// Parses one line of a line-based log (KumoMTA, Postfix). `source` is where
/// the line was read (it goes into the records). PowerMTA needs its header:
/// use [`PowerMtaRows`].
pub fn parse_line(format: LogFormat, line: &str, source: &RecordSource) -> LogLine {
    match format {
        LogFormat::KumoMta => kumomta::parse_line(line, source),
        LogFormat::Postfix => postfix::parse_line(line, source),
        // Without a header a row cannot be read.
        LogFormat::PowerMta => LogLine::Malformed(LogProblem::MissingField("header")),
    }
}

/// Reads a whole log from `reader` and calls `f` with each line number and
/// outcome; returns the counts. Lines are read as they come (a pipe from
/// `tail -F` gives its records at once).
pub fn read_log(
    format: LogFormat,
    reader: Box<dyn BufRead + Send>,
    file: Option<PathBuf>,
    mut f: impl FnMut(u64, LogLine),
) -> std::io::Result<LogCounts> {
    let mut counts = LogCounts::default();
    if format == LogFormat::PowerMta {
        for row in PowerMtaRows::new(reader, file) {
            let (line, outcome) = row?;
            counts.add(&outcome);
            f(line, outcome);
        }
        return Ok(counts);
    }
    let mut reader = reader;
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(counts);
        }
        n += 1;
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let source = RecordSource { file: file.clone(), message: None, line: Some(n) };
        let outcome = parse_line(format, line, &source);
        counts.add(&outcome);
        f(n, outcome);
    }
}

/// The SMTP phase of a command name as logs write it (`RCPT TO`, `MAIL FROM`, `.`).
fn phase_of_command(cmd: &str) -> Option<Phase> {
    let c = cmd.trim().to_ascii_uppercase();
    let word = c.split([' ', ':']).next().unwrap_or("");
    Some(match word {
        "HELO" | "EHLO" | "LHLO" | "STARTTLS" | "AUTH" => Phase::Helo,
        "MAIL" => Phase::MailFrom,
        "RCPT" => Phase::RcptTo,
        "DATA" => Phase::Data,
        "." | "END-OF-DATA" | "END" => Phase::EndOfData,
        "CONNECT" | "BANNER" | "GREETING" => Phase::Connect,
        _ => return None,
    })
}

/// The phase a reply text names, e.g. "(in reply to RCPT TO command)".
fn phase_in_text(text: &str) -> Option<Phase> {
    static IN_REPLY: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(?i)in reply to (\S+(?: \S+)?) command").expect("static regex"));
    IN_REPLY.captures(text).and_then(|c| phase_of_command(&c[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"{\"type\":\"Bounce\",\"recipient\":\"a@b\",\"response\":{}}\n"), Some(LogFormat::KumoMta));
        assert_eq!(sniff(b"type,timeLogged,orig,rcpt,dsnStatus,dsnDiag,bounceCat\n"), Some(LogFormat::PowerMta));
        let maillog =
            b"Mar  1 10:00:00 mx dovecot: imap-login: Login\nMar  1 10:00:01 mx postfix/smtp[12]: 4B2C: to=<a@b>, status=sent (250 ok)\n";
        assert_eq!(sniff(maillog), Some(LogFormat::Postfix));
        assert_eq!(sniff(b"550 5.1.1 user unknown\n"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn codes_and_phases() {
        assert_eq!(phase_in_text("550 no (in reply to RCPT TO command)"), Some(Phase::RcptTo));
        assert_eq!(phase_in_text("550 no"), None);
        assert_eq!(phase_of_command("RCPT TO"), Some(Phase::RcptTo));
        assert_eq!(phase_of_command("."), Some(Phase::EndOfData));
        assert_eq!(phase_of_command("NOOP"), None);
    }
}
