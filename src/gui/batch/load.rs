//! Reading a batch through [`crate::engine::ingest`], the same detection and
//! readers as `bouncelab classify`: pastes and files of lines, CSV/TSV
//! columns, `.eml` files, mbox files, Maildir folders, folders of them and
//! MTA logs. Emails give one row per recipient; each email's readable text is
//! kept (within a budget) so a row can show its whole email in the tester.
//! Problems are collected per file and reading goes on.

use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::engine::ingest::lines::{CsvColumn, CsvInfo};
use crate::engine::ingest::logs::{LogCounts, LogFormat, LogLine};
use crate::engine::ingest::{self, EmailRead, Input, InputKind, MtaKind, Note, Record, RecordKind, RecordSource, Unit};
use crate::i18n::tr;

use super::problems::Problem;

/// At most this many rows are kept (the rest of the input is reported as cut).
pub const MAX_ROWS: usize = 2_000_000;
/// At most this many bytes of text are kept in all.
pub const MAX_TOTAL_BYTES: usize = 512 << 20;
/// Email texts kept for the tester, in all; later emails show their record text only.
pub const MAX_EMAIL_TEXT_BYTES: usize = 128 << 20;
/// Problems listed one by one (all are counted).
pub const MAX_LISTED_PROBLEMS: usize = 2000;
/// Emails parsed together on all cores.
const EMAIL_BLOCK: usize = 128;

/// How the input is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Detected from the content (logs, emails, mbox, CSV by name, else lines).
    #[default]
    Auto,
    /// One response per line.
    Lines,
    /// One column of a CSV/TSV (delimiter detected).
    Csv,
    /// One email per file.
    Eml,
    /// mbox files.
    Mbox,
    /// Maildir folders.
    Maildir,
    /// An MTA log of this format, even where its content would not be detected as one.
    Log(LogFormat),
}

impl Format {
    /// All formats, in menu order.
    pub const ALL: [Format; 9] = [
        Format::Auto,
        Format::Lines,
        Format::Csv,
        Format::Eml,
        Format::Mbox,
        Format::Maildir,
        Format::Log(LogFormat::Postfix),
        Format::Log(LogFormat::KumoMta),
        Format::Log(LogFormat::PowerMta),
    ];

    /// Menu label, in the interface language.
    pub fn label(self) -> &'static str {
        match self {
            Format::Auto => tr("batch.format_auto"),
            Format::Lines => tr("batch.format_lines"),
            Format::Csv => tr("batch.format_csv"),
            Format::Eml => tr("batch.format_eml"),
            Format::Mbox => tr("batch.format_mbox"),
            Format::Maildir => tr("batch.format_maildir"),
            Format::Log(LogFormat::Postfix) => tr("batch.format_log_postfix"),
            Format::Log(LogFormat::KumoMta) => tr("batch.format_log_kumomta"),
            Format::Log(LogFormat::PowerMta) => tr("batch.format_log_powermta"),
        }
    }

    /// The engine's reading mode; None detects by content.
    pub fn kind(self) -> Option<InputKind> {
        match self {
            Format::Auto => None,
            Format::Lines => Some(InputKind::Lines),
            Format::Csv => Some(InputKind::Csv),
            Format::Eml => Some(InputKind::Eml),
            Format::Mbox => Some(InputKind::Mbox),
            Format::Maildir => Some(InputKind::Maildir),
            Format::Log(f) => Some(InputKind::Log(f)),
        }
    }
}

/// Where the batch comes from.
pub enum Source {
    /// A paste.
    Text(String),
    /// Files and folders (opened by path, a dialog or dropped).
    Files(Vec<PathBuf>),
}

/// What a row read from an email or a log knows besides its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    /// The engine's record (its `text` is the row's text).
    pub record: Record,
    /// The email it comes from (index into [`Rows::emails`]) and its recipient's part there.
    pub email: Option<(u32, Option<Range<usize>>)>,
}

/// One email's readable text, for the tester.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailText {
    /// Where it was read (file, message).
    pub place: String,
    /// The human-readable text of the bounce.
    pub text: Arc<str>,
}

/// Counts of one log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogReport {
    /// The file's name.
    pub name: String,
    /// Its format.
    pub format: LogFormat,
    /// What it gave.
    pub counts: LogCounts,
}

/// Everything worth telling the user about the reading.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Problems, in reading order (the first [`MAX_LISTED_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// All problems, listed or not.
    pub problem_count: usize,
    /// Emails read.
    pub emails: usize,
    /// Lines whose invalid UTF-8 was replaced.
    pub lossy: usize,
    /// Lines cut at the line limit.
    pub truncated: usize,
    /// Reading stopped at [`MAX_ROWS`] / [`MAX_TOTAL_BYTES`].
    pub capped: bool,
    /// Email texts past [`MAX_EMAIL_TEXT_BYTES`] were not kept.
    pub email_texts_dropped: bool,
    /// A mailbox fetch was cancelled: the messages fetched before are kept.
    pub fetch_cancelled: bool,
    /// CSV details of the last CSV file.
    pub csv: Option<CsvInfo>,
    /// Per log file read.
    pub logs: Vec<LogReport>,
}

/// The loaded rows: one per line, CSV cell, email recipient or log record.
#[derive(Debug, Default)]
pub struct Rows {
    /// Per row: its text, unless it has a [`Detail`] (whose record holds it).
    texts: Vec<Box<str>>,
    /// Per row: what an email or log said about it.
    pub details: Vec<Option<Box<Detail>>>,
    /// Per row: its line / row / message / recipient number in its source (1-based).
    pub origin: Vec<u32>,
    /// Per row: index into `sources`.
    pub source_of: Vec<u32>,
    /// Source names ("paste", file names, mailbox URLs).
    pub sources: Vec<String>,
    /// Whether the source was a paste.
    pub pasted: bool,
    /// The emails read, for the tester (None past the budget).
    pub emails: Vec<Option<EmailText>>,
    /// Rows whose record carries the MTA's own class (`log_class`).
    pub log_rows: Vec<u32>,
    /// Reading report.
    pub report: Report,
    bytes: usize,
    email_bytes: usize,
}

impl Rows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The text the rules read for row `i`.
    pub fn text(&self, i: usize) -> &str {
        match self.details.get(i) {
            Some(Some(d)) => &d.record.text,
            _ => self.texts.get(i).map_or("", |t| t),
        }
    }

    /// Every row's text, in order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.text(i))
    }

    /// The record of row `i`, when it comes from an email or a log.
    pub fn detail(&self, i: usize) -> Option<&Detail> {
        self.details.get(i).and_then(|d| d.as_deref())
    }

    /// The name of row `i`'s source.
    pub fn source_name(&self, i: usize) -> &str {
        self.source_of.get(i).and_then(|&s| self.sources.get(s as usize)).map_or("", String::as_str)
    }

    /// Whether any row has a recipient, phase or MTA (emails, logs).
    pub fn has_details(&self) -> bool {
        self.details.iter().any(Option::is_some)
    }

    fn full(&self) -> bool {
        self.texts.len() >= MAX_ROWS || self.bytes >= MAX_TOTAL_BYTES
    }

    /// Adds a plain line; false once the limits are reached.
    fn push_text(&mut self, text: String, origin: u64) -> bool {
        if self.full() {
            self.report.capped = true;
            return false;
        }
        self.bytes += text.len();
        self.texts.push(text.into_boxed_str());
        self.details.push(None);
        self.push_place(origin);
        true
    }

    /// Adds a record from an email or a log; false once the limits are reached.
    fn push_record(&mut self, record: Record, origin: u64, email: Option<(u32, Option<Range<usize>>)>) -> bool {
        if self.full() {
            self.report.capped = true;
            return false;
        }
        self.bytes += record.text.len() + 64;
        if record.log_class.is_some() {
            self.log_rows.push(self.texts.len() as u32);
        }
        self.texts.push(Box::default());
        self.details.push(Some(Box::new(Detail { record, email })));
        self.push_place(origin);
        true
    }

    fn push_place(&mut self, origin: u64) {
        self.origin.push(u32::try_from(origin).unwrap_or(u32::MAX));
        self.source_of.push(self.sources.len().saturating_sub(1) as u32);
    }

    fn problem(&mut self, p: Problem) {
        self.report.problem_count += 1;
        if self.report.problems.len() < MAX_LISTED_PROBLEMS {
            self.report.problems.push(p);
        }
    }

    /// Adds one email's records; keeps its text for the tester while the budget lasts.
    pub(super) fn push_email(&mut self, source: &RecordSource, read: EmailRead) -> bool {
        self.report.emails += 1;
        for p in read.problems {
            self.problem(Problem::Email(source.clone(), p));
        }
        if read.records.is_empty() {
            return !self.full();
        }
        let email = if self.email_bytes + read.text.len() <= MAX_EMAIL_TEXT_BYTES {
            self.email_bytes += read.text.len();
            Some(EmailText { place: place(source), text: read.text.into() })
        } else {
            self.report.email_texts_dropped = true;
            None
        };
        let index = self.emails.len() as u32;
        self.emails.push(email);
        let mut spans = read.spans.into_iter();
        for (k, r) in read.records.into_iter().enumerate() {
            let origin = r.source.message.unwrap_or(k as u64 + 1);
            if !self.push_record(r, origin, Some((index, spans.next().flatten()))) {
                return false;
            }
        }
        true
    }

    /// Starts a new source; returns its index.
    pub(super) fn add_source(&mut self, name: String) -> usize {
        self.sources.push(name);
        self.sources.len() - 1
    }

    /// Records a reading note (a cut email...).
    pub(super) fn note(&mut self, source: RecordSource, note: Note) {
        self.problem(Problem::Note(source, note));
    }

    /// Records a problem that stopped a source (a mailbox error...).
    pub(super) fn source_failed(&mut self, source: &RecordSource, message: String) {
        self.problem(Problem::Io(source.clone(), message));
    }
}

/// `file #message:line` of a source, for messages.
pub fn place(s: &RecordSource) -> String {
    let mut p = s.file.as_deref().map_or_else(|| tr("batch.report_paste").to_owned(), |f| f.display().to_string());
    if let Some(m) = s.message {
        p.push_str(&format!(" #{m}"));
    }
    if let Some(l) = s.line {
        p.push_str(&format!(":{l}"));
    }
    p
}

/// Shared progress counters: bytes (or messages) done of the total, for the progress bar.
#[derive(Debug, Default)]
pub struct ReadProgress {
    /// Done so far.
    pub done: AtomicU64,
    /// In all.
    pub total: AtomicU64,
    /// A mailbox answered the login and listed its messages (the fetch is under way).
    pub listed: AtomicBool,
}

/// A reader that adds what it reads to a progress counter.
struct Counting<R> {
    inner: R,
    progress: Arc<ReadProgress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.done.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads a whole source. Never panics; unreadable files are reported in the
/// report's problems and the others still load.
pub fn load(source: Source, format: Format, column: Option<usize>, progress: &Arc<ReadProgress>, cancel: &AtomicBool) -> Rows {
    let mut out = Rows::default();
    match source {
        Source::Text(text) => {
            progress.total.store(text.len() as u64, Ordering::Relaxed);
            out.add_source(tr("batch.report_paste").to_owned());
            out.pasted = true;
            let reader = Counting { inner: std::io::Cursor::new(text.into_bytes()), progress: progress.clone() };
            let input = Input { path: None, kind: format.kind() };
            read_one(Box::new(BufReader::with_capacity(256 << 10, reader)), &input, column, &mut out, cancel);
        }
        Source::Files(paths) => {
            let (inputs, path_problems) = ingest::expand(&paths, format.kind());
            for p in path_problems {
                let source = RecordSource { file: Some(p.path), ..RecordSource::default() };
                out.problem(Problem::Io(source, p.message));
            }
            let total: u64 = inputs.iter().filter_map(|i| i.path.as_ref()).filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
            progress.total.store(total, Ordering::Relaxed);
            for input in inputs {
                if cancel.load(Ordering::Relaxed) || out.full() {
                    break;
                }
                let Some(path) = input.path.clone() else { continue };
                out.add_source(file_name(&path));
                let file = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        out.problem(Problem::Io(RecordSource { file: Some(path), ..RecordSource::default() }, e.to_string()));
                        continue;
                    }
                };
                let reader = Counting { inner: file, progress: progress.clone() };
                read_one(Box::new(BufReader::with_capacity(256 << 10, reader)), &input, column, &mut out, cancel);
            }
        }
    }
    out
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Whether a record says nothing but its text (a line, a CSV cell): it is
/// kept as a bare text, the cheap form for millions of lines.
fn is_plain(r: &Record) -> bool {
    r.reporter == MtaKind::Plain
        && r.kind == RecordKind::Bounce
        && r.recipient.is_none()
        && r.phase.is_none()
        && r.remote_mta.is_none()
        && r.action.is_none()
        && r.log_class.is_none()
        && r.reply_code.is_none()
        && r.enhanced_code.is_none()
}

/// Reads one file or paste through the engine's units (detected by content
/// unless the format says how); MTA logs are counted per file.
fn read_one(mut reader: Box<dyn BufRead + Send>, input: &Input, column: Option<usize>, out: &mut Rows, cancel: &AtomicBool) {
    let file_source = RecordSource { file: input.path.clone(), ..RecordSource::default() };
    let head = match reader.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => return out.problem(Problem::Io(file_source, e.to_string())),
    };
    let kind = input.kind.unwrap_or_else(|| ingest::input::sniff(&head, input.path.as_deref()));
    if kind == InputKind::Csv
        && let Ok(c) = CsvColumn::new(std::io::Cursor::new(head), column)
    {
        out.report.csv = Some(c.info().clone());
    }
    let mut log = match kind {
        InputKind::Log(format) => {
            let name = input.path.as_deref().map_or_else(|| tr("batch.report_paste").to_owned(), file_name);
            Some(LogReport { name, format, counts: LogCounts::default() })
        }
        _ => None,
    };
    let mut emails: Vec<(RecordSource, Vec<u8>)> = Vec::new();
    let mut email_bytes = 0usize;
    for unit in ingest::read_stream(reader, input.path.as_deref(), Some(kind), column) {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        match unit {
            Unit::Line(r) => {
                let origin = r.source.line.unwrap_or(0);
                if let Some(l) = &mut log {
                    l.counts.records += 1;
                }
                let kept = if is_plain(&r) { out.push_text(r.text, origin) } else { out.push_record(r, origin, None) };
                if !kept {
                    break;
                }
            }
            Unit::Skipped(_, skip) => {
                if let Some(l) = &mut log {
                    l.counts.add(&LogLine::Skipped(skip));
                }
            }
            Unit::Note(s, n) => {
                match n {
                    Note::InvalidUtf8 => out.report.lossy += 1,
                    Note::LineCut(_) => out.report.truncated += 1,
                    Note::LogMalformed(_) => {
                        if let Some(l) = &mut log {
                            l.counts.malformed += 1;
                        }
                    }
                    _ => {}
                }
                if !matches!(n, Note::InvalidUtf8) {
                    out.problem(Problem::Note(s, n));
                }
            }
            Unit::Email { source, raw } => {
                email_bytes += raw.len();
                emails.push((source, raw));
                if emails.len() >= EMAIL_BLOCK || email_bytes >= 64 << 20 {
                    email_bytes = 0;
                    if !parse_emails(&mut emails, out) {
                        break;
                    }
                }
            }
        }
    }
    parse_emails(&mut emails, out);
    out.report.logs.extend(log);
}

/// Parses a block of emails on all cores, adds their records in order.
fn parse_emails(block: &mut Vec<(RecordSource, Vec<u8>)>, out: &mut Rows) -> bool {
    let read: Vec<(RecordSource, EmailRead)> =
        std::mem::take(block).into_par_iter().map(|(s, raw)| (s.clone(), ingest::email::read(&raw, &s))).collect();
    for (s, r) in read {
        if !out.push_email(&s, r) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str, format: Format) -> Rows {
        load(Source::Text(text.into()), format, None, &Arc::default(), &AtomicBool::new(false))
    }

    #[test]
    fn lines_skip_blanks_and_count_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log.txt");
        let mut raw = b"550 a\r\n\n  \n".to_vec();
        raw.extend_from_slice(&[0xff, b'x', b'\n']);
        raw.extend_from_slice(b"last");
        std::fs::write(&p, raw).unwrap();
        let l = load(Source::Files(vec![p]), Format::Auto, None, &Arc::default(), &AtomicBool::new(false));
        assert_eq!(l.texts().collect::<Vec<_>>(), ["550 a", "\u{fffd}x", "last"]);
        assert_eq!(l.origin, vec![1, 4, 5]);
        assert_eq!(l.report.lossy, 1);
    }

    #[test]
    fn csv_column_is_reported() {
        let l = load_text("id;when;diagnostic\n1;2024;550 5.1.1 user unknown\n2;2024\n", Format::Csv);
        let info = l.report.csv.clone().unwrap();
        assert_eq!((info.delimiter, info.column), (';', 2));
        assert_eq!(l.texts().collect::<Vec<_>>(), ["550 5.1.1 user unknown"]);
        assert_eq!(l.report.problem_count, 1, "the short row");
    }

    #[test]
    fn a_pasted_dsn_gives_one_row_per_recipient_with_its_email() {
        let mail = "From: MAILER-DAEMON@mx.example\nTo: me@example.org\nSubject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nDelivery failed for a@b.example and c@d.example.\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n\nFinal-Recipient: rfc822; c@d.example\nAction: delayed\nStatus: 4.2.2\nDiagnostic-Code: smtp; 452 4.2.2 mailbox full\n\n--b--\n";
        let l = load_text(mail, Format::Auto);
        assert_eq!(l.len(), 2);
        let d: Vec<&Detail> = (0..2).map(|i| l.detail(i).unwrap()).collect();
        assert_eq!(d[0].record.recipient.as_deref(), Some("a@b.example"));
        assert_eq!(d[1].record.recipient.as_deref(), Some("c@d.example"));
        assert!(l.text(0).contains("no such user"));
        let (e, _) = d[0].email.clone().unwrap();
        assert!(l.emails[e as usize].as_ref().unwrap().text.contains("Delivery failed"));
        assert_eq!(l.report.emails, 1);
    }

    #[test]
    fn logs_are_detected_and_malformed_lines_listed() {
        let log = "{\"type\":\"Bounce\",\"recipient\":\"a@b.example\",\"response\":{\"code\":550,\"enhanced_code\":{\"class\":5,\"subject\":1,\"detail\":1},\"content\":\"user unknown\",\"command\":\"RCPT TO\"},\"bounce_classification\":\"InvalidRecipient\"}\nnot json at all\n{\"type\":\"Delivery\",\"recipient\":\"c@d.example\",\"response\":{\"code\":250,\"content\":\"ok\"}}\n";
        let l = load_text(log, Format::Auto);
        assert_eq!(l.len(), 1);
        assert_eq!(l.log_rows, vec![0]);
        assert_eq!(l.detail(0).unwrap().record.log_class.as_deref(), Some("InvalidRecipient"));
        assert_eq!(l.report.logs.len(), 1);
        assert_eq!(l.report.logs[0].counts.deliveries, 1);
        assert_eq!(l.report.problem_count, 1);
        // Forced to lines, the same text is three plain rows.
        assert_eq!(load_text(log, Format::Lines).len(), 3);
    }

    #[test]
    fn missing_files_are_reported_and_others_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.txt");
        std::fs::write(&ok, "550 5.1.1 nope\n").unwrap();
        let l = load(Source::Files(vec![dir.path().join("missing.log"), ok]), Format::Auto, None, &Arc::default(), &AtomicBool::new(false));
        assert_eq!(l.len(), 1);
        assert_eq!(l.report.problem_count, 1);
    }
}
