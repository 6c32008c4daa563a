//! `bouncelab classify`: lines, CSV columns and bounce emails (`.eml`, mbox,
//! Maildir, folders of them) → one JSON object (or TSV row) per record: per
//! line for line inputs, per recipient for emails.

use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ValueEnum;
use rayon::prelude::*;
use serde::Serialize;

use super::{ClassifyFormat, VerdictJson, load_rules, warning};
use crate::engine::classify::{Classifier, Verdict};
use crate::engine::ingest::{self, EmailProblem, Input, InputKind, Note, Record, RecordSource, UnitRecords};
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
}

impl From<InputArg> for InputKind {
    fn from(a: InputArg) -> InputKind {
        match a {
            InputArg::Eml => InputKind::Eml,
            InputArg::Mbox => InputKind::Mbox,
            InputArg::Maildir => InputKind::Maildir,
            InputArg::Lines => InputKind::Lines,
            InputArg::Csv => InputKind::Csv,
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

/// One record's line of JSON output.
#[derive(Serialize)]
struct RecordJson<'a> {
    file: Option<String>,
    message: Option<u64>,
    line: Option<u64>,
    recipient: Option<&'a str>,
    phase: Option<&'static str>,
    mta: Cow<'static, str>,
    remote_mta: Option<&'a str>,
    action: Option<&'static str>,
    kind: &'static str,
    #[serde(flatten)]
    verdict: VerdictJson<'a>,
    classes: Option<Classes<'a>>,
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

const TSV_HEADER: &str = "failure_type\treason\tcategory\trule\tdecided_by\tbasic_code\tenhanced_code\tspan_start\tspan_end\tfile\tmessage\tline\trecipient\tphase\tmta\taction\tkumomta\tpowermta\tmomentum";

fn write_record(
    out: &mut impl Write,
    doc: &RuleSet,
    c: &Classifier,
    r: &Record,
    v: &Verdict,
    format: ClassifyFormat,
) -> std::io::Result<()> {
    let file = r.source.file.as_deref().map(|p| p.display().to_string());
    match format {
        ClassifyFormat::Json => {
            let j = RecordJson {
                file,
                message: r.source.message,
                line: r.source.line,
                recipient: r.recipient.as_deref(),
                phase: r.phase.map(|p| p.as_str()),
                mta: r.reporter.name(),
                remote_mta: r.remote_mta.as_deref(),
                action: r.action.map(|a| a.as_str()),
                kind: r.kind.as_str(),
                verdict: VerdictJson::new(c, v),
                classes: classes(doc, v),
            };
            serde_json::to_writer(&mut *out, &j).map_err(std::io::Error::other)?;
            out.write_all(b"\n")
        }
        ClassifyFormat::Tsv => {
            let opt = |o: Option<String>| o.unwrap_or_default();
            let cls = classes(doc, v);
            let cells: [Cow<'_, str>; 19] = [
                v.failure_type.label().into(),
                c.reason(v).label.as_str().into(),
                c.category(v).id.as_str().into(),
                v.rule.map(|i| c.rule_name(i)).unwrap_or("").into(),
                v.decided_by.as_str().into(),
                opt(v.basic_code.map(|x| x.to_string())).into(),
                opt(v.enhanced_code.map(|x| x.to_string())).into(),
                opt(v.span.map(|s| s.start.to_string())).into(),
                opt(v.span.map(|s| s.end.to_string())).into(),
                opt(file).into(),
                opt(r.source.message.map(|m| m.to_string())).into(),
                opt(r.source.line.map(|m| m.to_string())).into(),
                r.recipient.as_deref().unwrap_or("").into(),
                r.phase.map_or("", |p| p.as_str()).into(),
                r.reporter.name(),
                r.action.map_or("", |a| a.as_str()).into(),
                cls.as_ref().map_or("", |k| k.kumomta).into(),
                cls.as_ref().map_or("", |k| k.powermta).into(),
                opt(cls.and_then(|k| k.momentum).map(|m| m.to_string())).into(),
            ];
            let row: Vec<Cow<'_, str>> = cells.iter().map(|c| Cow::Owned(tsv_cell(c).into_owned())).collect();
            writeln!(out, "{}", row.join("\t"))
        }
    }
}

/// Runs `classify`.
pub fn run(rules: Option<&Path>, format: ClassifyFormat, input: Option<InputArg>, column: Option<usize>, files: &[PathBuf]) -> Result<i32> {
    let (doc, c) = load_rules(rules)?;
    let kind = input.map(InputKind::from);
    let (inputs, path_problems) =
        if files.is_empty() { (vec![Input { path: None, kind }], Vec::new()) } else { ingest::expand(files, kind) };
    let io_failed = std::cell::Cell::new(false);
    let mut failed = false;
    for p in &path_problems {
        warning(tr_fmt("ingest.io", &[("place", &safe(&p.path.display().to_string())), ("error", &safe(&p.message))]));
        failed = true;
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if format == ClassifyFormat::Tsv {
        writeln!(out, "{TSV_HEADER}")?;
    }
    let mut block: Vec<ingest::Unit> = Vec::with_capacity(BLOCK_UNITS);
    let mut bytes = 0usize;
    let flush = |block: &mut Vec<ingest::Unit>, out: &mut BufWriter<_>| -> std::io::Result<()> {
        let results: Vec<(UnitRecords, Vec<Verdict>)> = std::mem::take(block)
            .into_par_iter()
            .map(|u| {
                let r = ingest::records_of(u);
                let v = r.records.iter().map(|rec| c.classify_record(rec)).collect();
                (r, v)
            })
            .collect();
        for (r, verdicts) in results {
            for (s, n) in &r.notes {
                io_failed.set(io_failed.get() || matches!(n, Note::Io(_)));
                warning(note_text(s, n));
            }
            for (s, p) in &r.problems {
                warning(problem_text(s, p));
            }
            for (rec, v) in r.records.iter().zip(&verdicts) {
                write_record(out, &doc, &c, rec, v, format)?;
            }
        }
        Ok(())
    };
    let mut result = Ok(());
    'inputs: for i in &inputs {
        for u in ingest::read_input(i, column) {
            if let ingest::Unit::Email { raw, .. } = &u {
                bytes += raw.len();
            }
            block.push(u);
            if block.len() >= BLOCK_UNITS || bytes >= BLOCK_BYTES {
                bytes = 0;
                if let Err(e) = flush(&mut block, &mut out) {
                    result = Err(e);
                    break 'inputs;
                }
            }
        }
    }
    if result.is_ok() {
        result = flush(&mut block, &mut out).and_then(|_| out.flush());
    }
    match result {
        // `bouncelab classify | head` is fine.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    Ok(if failed || io_failed.get() { 1 } else { 0 })
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
