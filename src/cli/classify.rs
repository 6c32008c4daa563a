//! `bouncelab classify`: lines, CSV columns, bounce emails (`.eml`, mbox,
//! Maildir, folders of them), MTA logs and error mailboxes → one JSON object
//! (or TSV row) per record: per line for line inputs, per recipient for
//! emails, per bounce record for logs; or, with `--summary`, the confusion
//! table of the MTA's own class against the rule set's. Inputs are read on a
//! thread of their own ([`super::feed`]); what was read is classified in
//! blocks on all cores while it flows, and at once when it stalls.

use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use anyhow::Result;
use clap::ValueEnum;
use rayon::prelude::*;
use serde::Serialize;

use super::feed::{self, FeedOptions, MailboxAccess, Msg, Source};
use super::summary::Summary;
use super::{ClassifyFormat, load_rules, warning};
use crate::engine::classify::{Classifier, Verdict};
use crate::engine::ingest::logs::{LogCounts, LogFormat, LogLine, LogProblem};
use crate::engine::ingest::mailbox::{self, Day, FetchOptions, MailboxUrl, StateFile};
use crate::engine::ingest::{self, EmailProblem, Input, InputKind, MtaKind, Note, Record, RecordSource, Unit, UnitRecords};
use crate::engine::ruleset::RuleSet;
use crate::i18n::tr_fmt;

/// `--input`: how to read the inputs (default: detected from their content).
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum InputArg {
    /// One email per file.
    Eml,
    /// mbox files.
    Mbox,
    /// Maildir folders.
    Maildir,
    /// One reply per line.
    Lines,
    /// One column of a CSV/TSV.
    Csv,
    /// KumoMTA JSON log records.
    Kumomta,
    /// PowerMTA accounting CSV.
    Powermta,
    /// Postfix maillog lines.
    Postfix,
}

impl From<InputArg> for InputKind {
    fn from(a: InputArg) -> InputKind {
        match a {
            InputArg::Eml => InputKind::Eml,
            InputArg::Mbox => InputKind::Mbox,
            InputArg::Maildir => InputKind::Maildir,
            InputArg::Lines => InputKind::Lines,
            InputArg::Csv => InputKind::Csv,
            InputArg::Kumomta => InputKind::Log(LogFormat::KumoMta),
            InputArg::Powermta => InputKind::Log(LogFormat::PowerMta),
            InputArg::Postfix => InputKind::Log(LogFormat::Postfix),
        }
    }
}

/// Units read before a parallel block is classified: bounds memory on endless input.
const BLOCK_UNITS: usize = 4096;
/// Email bytes read before a block is classified.
const BLOCK_BYTES: usize = 64 << 20;

/// Text safe to print in a terminal: control characters (ESC, CR, BEL...) from
/// the input are shown escaped, never sent raw.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect())
}

/// `file:message:line` of a source, for human messages.
pub fn place(s: &RecordSource) -> String {
    let mut p = s.file.as_deref().map_or_else(|| "stdin".to_owned(), |f| safe(&f.display().to_string()).into_owned());
    if let Some(m) = s.message {
        p.push_str(&format!(" #{m}"));
    }
    if let Some(l) = s.line {
        p.push_str(&format!(":{l}"));
    }
    p
}

fn note_text(source: &RecordSource, n: &Note) -> String {
    let place = place(source);
    match n {
        Note::Io(e) => tr_fmt("ingest.io", &[("place", &place), ("error", &safe(e))]),
        Note::LineCut(limit) => tr_fmt("ingest.line_cut", &[("place", &place), ("limit", limit)]),
        Note::InvalidUtf8 => tr_fmt("cli.invalid_utf8", &[("place", &place)]),
        Note::EmailCut(limit) => tr_fmt("ingest.email_cut", &[("place", &place), ("mb", &(limit >> 20))]),
        Note::NoFromLine => tr_fmt("ingest.no_from_line", &[("place", &place)]),
        Note::CsvRowSkipped => tr_fmt("ingest.csv_row_skipped", &[("place", &place)]),
        Note::NotText => tr_fmt("ingest.not_text", &[("place", &place)]),
        Note::LogMalformed(p) => malformed_text(source, p),
    }
}

fn problem_text(source: &RecordSource, p: &EmailProblem) -> String {
    let key = match p {
        EmailProblem::Unparsable => "ingest.unparsable",
        EmailProblem::NotABounce => "ingest.not_a_bounce",
        EmailProblem::NoRecipient => "ingest.no_recipient",
        EmailProblem::Damaged => "ingest.damaged",
    };
    tr_fmt(key, &[("place", &place(source))])
}

/// The target taxonomies' classes of a verdict's category (from the rule set).
#[derive(Serialize)]
pub struct Classes<'a> {
    /// KumoMTA bounce class.
    pub kumomta: &'a str,
    /// PowerMTA bounce category.
    pub powermta: &'a str,
    /// Momentum / SparkPost classification code.
    pub momentum: Option<u16>,
}

/// The target classes of a verdict, when its category is one of the document's.
pub fn classes<'a>(doc: &'a RuleSet, v: &Verdict) -> Option<Classes<'a>> {
    doc.categories.get(v.category as usize).map(|c| Classes { kumomta: &c.kumomta, powermta: &c.powermta, momentum: c.momentum })
}

/// TSV cell: tabs, line breaks and backslashes escaped so a row stays one row.
pub fn tsv_cell(s: &str) -> Cow<'_, str> {
    if !s.contains(['\t', '\n', '\r', '\\']) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\\' => o.push_str("\\\\"),
            c => o.push(c),
        }
    }
    Cow::Owned(o)
}

thread_local! {
    /// The JSON line being written: one buffer reused for every record.
    static JSON_LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

const TSV_HEADER: &str = "failure_type\treason\tcategory\trule\tdecided_by\tbasic_code\tenhanced_code\tspan_start\tspan_end\tfile\tmessage\tline\trecipient\tphase\tmta\taction\tkumomta\tpowermta\tmomentum\tlog_class";

fn write_record(
    out: &mut impl Write,
    doc: &RuleSet,
    c: &Classifier,
    names: &super::json_line::Names<'_>,
    r: &Record,
    v: &Verdict,
    format: ClassifyFormat,
) -> std::io::Result<()> {
    match format {
        ClassifyFormat::Json => JSON_LINE.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.clear();
            super::json_line::write_record(&mut buf, names, r, v);
            out.write_all(&buf)
        }),
        ClassifyFormat::Tsv => {
            let opt = |o: Option<String>| o.unwrap_or_default();
            let cls = classes(doc, v);
            let cells: [Cow<'_, str>; 20] = [
                v.failure_type.label().into(),
                c.reason(v).label.as_str().into(),
                c.category(v).id.as_str().into(),
                v.rule.map(|i| c.rule_name(i)).unwrap_or("").into(),
                v.decided_by.as_str().into(),
                opt(v.basic_code.map(|x| x.to_string())).into(),
                opt(v.enhanced_code.map(|x| x.to_string())).into(),
                opt(v.span.map(|s| s.start.to_string())).into(),
                opt(v.span.map(|s| s.end.to_string())).into(),
                opt(r.source.file.as_deref().map(|p| p.display().to_string())).into(),
                opt(r.source.message.map(|m| m.to_string())).into(),
                opt(r.source.line.map(|m| m.to_string())).into(),
                r.recipient.as_deref().unwrap_or("").into(),
                r.phase.map_or("", |p| p.as_str()).into(),
                r.reporter.name(),
                r.action.map_or("", |a| a.as_str()).into(),
                cls.as_ref().map_or("", |k| k.kumomta).into(),
                cls.as_ref().map_or("", |k| k.powermta).into(),
                opt(cls.and_then(|k| k.momentum).map(|m| m.to_string())).into(),
                r.log_class.as_deref().unwrap_or("").into(),
            ];
            let row: Vec<Cow<'_, str>> = cells.iter().map(|c| Cow::Owned(tsv_cell(c).into_owned())).collect();
            writeln!(out, "{}", row.join("\t"))
        }
    }
}

/// `bouncelab classify`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// Rule file (default: sample_rules/default.ron, else the built-in copy).
    #[arg(long, short)]
    pub rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ClassifyFormat::Json)]
    pub format: ClassifyFormat,
    /// How to read the inputs (default: detected from their content).
    #[arg(long, value_enum)]
    pub input: Option<InputArg>,
    /// CSV/TSV column to read (0-based; default: guessed).
    #[arg(long)]
    pub column: Option<usize>,
    /// Mailboxes: file holding the password (else BOUNCELAB_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Mailboxes: only messages since this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Mailboxes: state file of incremental runs.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Mailboxes: allow plain text to a server that is not a loopback address.
    #[arg(long)]
    pub allow_plaintext: bool,
    /// Mailboxes: extra trusted root certificates (PEM).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Print the confusion table of the MTA's class against the rule set's instead of the records.
    #[arg(long)]
    pub summary: bool,
    /// Write and flush each result as soon as its input is read.
    #[arg(long)]
    pub line_buffered: bool,
    /// Input files, folders or mailbox URLs (default: stdin).
    pub files: Vec<PathBuf>,
}

/// How long the input may stall before what was read is classified and written.
const STALL: Duration = Duration::from_millis(5);
/// Malformed log lines reported one by one per input; the rest are counted.
const MALFORMED_SHOWN: usize = 20;

/// The mailbox password: `--password-file`, else `BOUNCELAB_PASSWORD`.
fn password(args: &ClassifyArgs, url: &MailboxUrl) -> Result<String> {
    if let Some(p) = &args.password_file {
        return mailbox::read_password_file(p)
            .map_err(|e| anyhow::anyhow!(tr_fmt("mailbox.password_file", &[("path", &safe(&p.display().to_string())), ("error", &e)])));
    }
    match std::env::var("BOUNCELAB_PASSWORD") {
        Ok(p) => Ok(p),
        Err(_) => Err(anyhow::anyhow!(tr_fmt("mailbox.no_password", &[("url", url)]))),
    }
}

/// Files (expanded), stdin and mailbox URLs, in the order given.
fn sources(args: &ClassifyArgs, kind: Option<InputKind>) -> Result<(Vec<Source>, Vec<ingest::PathProblem>, Vec<MailboxUrl>)> {
    if args.files.is_empty() {
        return Ok((vec![Source::Input(Input { path: None, kind })], Vec::new(), Vec::new()));
    }
    let (mut out, mut problems, mut urls) = (Vec::new(), Vec::new(), Vec::new());
    for f in &args.files {
        match f.to_str().filter(|s| MailboxUrl::looks_like(s)) {
            Some(s) => {
                let url = MailboxUrl::parse(s)?;
                urls.push(url.clone());
                out.push(Source::Mailbox(url));
            }
            None => {
                let (inputs, p) = ingest::expand(std::slice::from_ref(f), kind);
                out.extend(inputs.into_iter().map(Source::Input));
                problems.extend(p);
            }
        }
    }
    Ok((out, problems, urls))
}

/// Where the verdicts go: record lines, or the summary table at the end.
struct Output<'a, W: Write> {
    doc: &'a RuleSet,
    c: &'a Classifier,
    names: super::json_line::Names<'a>,
    format: ClassifyFormat,
    out: W,
    summary: Option<Summary>,
    io_failed: bool,
}

impl<W: Write> Output<'_, W> {
    /// Classifies a block on all cores and writes it in input order.
    fn block(&mut self, block: &mut Vec<Unit>) -> std::io::Result<()> {
        let c = self.c;
        let results: Vec<Classified> = if block.len() == 1 {
            std::mem::take(block).into_iter().map(|u| classify_unit(c, u)).collect()
        } else {
            std::mem::take(block).into_par_iter().map(|u| classify_unit(c, u)).collect()
        };
        for result in results {
            match result {
                Classified::Line(rec, v) => self.record(&rec, &v)?,
                Classified::Unit(r, verdicts) => {
                    for (s, n) in &r.notes {
                        self.io_failed |= matches!(n, Note::Io(_));
                        warning(note_text(s, n));
                    }
                    for (s, p) in &r.problems {
                        warning(problem_text(s, p));
                    }
                    for (rec, v) in r.records.iter().zip(&verdicts) {
                        self.record(rec, v)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// One verdict out: a record line, or a count in the summary.
    fn record(&mut self, rec: &Record, v: &Verdict) -> std::io::Result<()> {
        match &mut self.summary {
            Some(sum) => {
                sum.add(self.doc, rec, v);
                Ok(())
            }
            None => write_record(&mut self.out, self.doc, self.c, &self.names, rec, v, self.format),
        }
    }
}

/// A unit's verdicts: a line is one record, kept apart so that the most common
/// input needs no vectors of its own (two allocations a line).
enum Classified {
    Line(Record, Verdict),
    Unit(UnitRecords, Vec<Verdict>),
}

fn classify_unit(c: &Classifier, u: Unit) -> Classified {
    match u {
        Unit::Line(rec) => {
            let v = c.classify_record(&rec);
            Classified::Line(rec, v)
        }
        u => {
            let r = ingest::records_of(u);
            let v = r.records.iter().map(|rec| c.classify_record(rec)).collect();
            Classified::Unit(r, v)
        }
    }
}

/// Counts of one log input, and how many malformed lines were shown.
#[derive(Default)]
struct LogTally {
    counts: LogCounts,
    shown: usize,
}

/// Runs `classify`.
pub fn run(args: ClassifyArgs) -> Result<i32> {
    let (doc, c) = load_rules(args.rules.as_deref())?;
    let kind = args.input.map(InputKind::from);
    let (sources, path_problems, urls) = sources(&args, kind)?;
    let mut failed = false;
    for p in &path_problems {
        warning(tr_fmt("ingest.io", &[("place", &safe(&p.path.display().to_string())), ("error", &safe(&p.message))]));
        failed = true;
    }
    let since = match &args.since {
        None => None,
        Some(s) => Some(Day::parse(s).ok_or_else(|| anyhow::anyhow!(tr_fmt("mailbox.since_invalid", &[("value", &safe(s))])))?),
    };
    let mut states = None;
    let mailbox = match urls.first() {
        None => None,
        Some(url) => {
            let st = match &args.state {
                Some(p) => StateFile::load(p)?,
                None => StateFile::default(),
            };
            states = Some(st.clone());
            let fetch =
                FetchOptions { since, allow_plaintext: args.allow_plaintext, extra_roots: args.ca_file.clone(), ..Default::default() };
            Some(MailboxAccess { password: password(&args, url)?, fetch, states: st })
        }
    };
    let log_names: Vec<Option<String>> = sources
        .iter()
        .map(|s| match s {
            Source::Input(i) => Some(i.path.as_deref().map_or_else(|| "stdin".to_owned(), |p| safe(&p.display().to_string()).into_owned())),
            Source::Mailbox(_) => None,
        })
        .collect();
    let rx = feed::start(sources, FeedOptions { column: args.column, line_buffered: args.line_buffered, mailbox });
    let stdout = std::io::stdout();
    let mut o = Output {
        doc: &doc,
        c: &c,
        names: super::json_line::Names::new(&doc, &c),
        format: args.format,
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        summary: args.summary.then(Summary::default),
        io_failed: false,
    };
    if args.format == ClassifyFormat::Tsv && !args.summary {
        writeln!(o.out, "{TSV_HEADER}")?;
    }
    let mut tally = LogTally::default();
    let mut block: Vec<Unit> = Vec::with_capacity(BLOCK_UNITS);
    let mut bytes = 0usize;
    let result = (|| -> std::io::Result<()> {
        loop {
            let msg = if block.is_empty() {
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                }
            } else {
                match rx.recv_timeout(STALL) {
                    Ok(m) => m,
                    // The input stalls: what was read is written now, not when the block fills.
                    Err(RecvTimeoutError::Timeout) => {
                        bytes = 0;
                        o.block(&mut block)?;
                        o.out.flush()?;
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
            };
            match msg {
                Msg::Units(units) => {
                    for u in units {
                        match u {
                            Unit::Skipped(_, s) => tally.counts.add(&LogLine::Skipped(s)),
                            Unit::Note(s, Note::LogMalformed(p)) => {
                                tally.counts.malformed += 1;
                                tally.shown += 1;
                                if tally.shown <= MALFORMED_SHOWN {
                                    warning(malformed_text(&s, &p));
                                }
                            }
                            u => {
                                match &u {
                                    Unit::Email { raw, .. } => bytes += raw.len(),
                                    Unit::Line(r) if matches!(r.reporter, MtaKind::Log(_)) => tally.counts.records += 1,
                                    _ => {}
                                }
                                block.push(u);
                            }
                        }
                    }
                    if args.line_buffered {
                        o.block(&mut block)?;
                        o.out.flush()?;
                    } else if block.len() >= BLOCK_UNITS || bytes >= BLOCK_BYTES {
                        bytes = 0;
                        o.block(&mut block)?;
                    }
                }
                Msg::Done(i) => {
                    let t = std::mem::take(&mut tally);
                    if let (false, Some(Some(name))) = (t.counts.is_empty(), log_names.get(i)) {
                        o.block(&mut block)?;
                        o.out.flush()?;
                        info(counts_text(name, &t.counts));
                    }
                }
                Msg::Listed { url, total, known } => info(tr_fmt("mailbox.listed", &[("url", &url), ("total", &total), ("known", &known)])),
                Msg::Progress { url, done, total } => {
                    info(tr_fmt("mailbox.progress", &[("url", &url), ("done", &done), ("total", &total)]))
                }
                Msg::UidValidityChanged(url) => warning(tr_fmt("mailbox.uidvalidity_changed", &[("url", &url)])),
                Msg::MailboxDone { url, state, result } => {
                    // The state may only cover messages whose verdicts are out.
                    o.block(&mut block)?;
                    o.out.flush()?;
                    if let Err(e) = &result {
                        failed = true;
                        crate::cli::error(tr_fmt("mailbox.failed", &[("url", &url), ("error", e)]));
                    }
                    if let (Some(path), Some(st)) = (&args.state, states.as_mut()) {
                        st.set(&url, state);
                        if let Err(e) = st.save(path) {
                            failed = true;
                            crate::cli::error(e);
                        }
                    }
                }
            }
        }
    })()
    .and_then(|_| {
        o.block(&mut block)?;
        if let Some(sum) = &o.summary {
            sum.write(&mut o.out)?;
        }
        o.out.flush()
    });
    match result {
        // `bouncelab classify | head` is fine.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    Ok(if failed || o.io_failed { 1 } else { 0 })
}

/// Prints an informational line on stderr (progress), without a `warning:` word.
fn info(message: impl std::fmt::Display) {
    eprintln!("{message}");
}

fn malformed_text(s: &RecordSource, p: &LogProblem) -> String {
    let problem = match p {
        LogProblem::NotJson(e) => tr_fmt("ingest.log_not_json", &[("error", &safe(e))]),
        LogProblem::MissingField(f) => tr_fmt("ingest.log_missing_field", &[("field", f)]),
        LogProblem::Columns { expected, found } => tr_fmt("ingest.log_columns", &[("found", found), ("expected", expected)]),
        LogProblem::Csv(e) => tr_fmt("ingest.log_csv", &[("error", &safe(e))]),
        LogProblem::OtherFormat => crate::i18n::tr("ingest.log_other_format").to_owned(),
        LogProblem::Unreadable => crate::i18n::tr("ingest.log_unreadable").to_owned(),
    };
    tr_fmt("ingest.log_malformed", &[("place", &place(s)), ("problem", &problem)])
}

fn counts_text(name: &str, c: &LogCounts) -> String {
    let args: [(&str, &dyn std::fmt::Display); 6] = [
        ("place", &name),
        ("records", &c.records),
        ("deliveries", &c.deliveries),
        ("receptions", &c.receptions),
        ("other", &c.other),
        ("malformed", &c.malformed),
    ];
    tr_fmt("ingest.log_counts", &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_and_terminal_escaping() {
        assert_eq!(tsv_cell("a\tb\nc\\"), "a\\tb\\nc\\\\");
        assert_eq!(tsv_cell("plain"), "plain");
        assert_eq!(safe("x\u{1b}[31my"), "x\\u{1b}[31my");
    }
}
