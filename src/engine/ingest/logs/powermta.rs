//! PowerMTA accounting CSV (RFC 4180, a header line naming the columns; the
//! first column is always `type`): `b` bounce, `t`/`tq` transient, `rb`/`rs`
//! remote bounce/status become records with `rcpt`, `dsnStatus`, `dsnDiag`,
//! `dsnMta`, `dsnAction` and `bounceCat`; `d` deliveries and `r` receptions
//! are skipped. A header met again later (files concatenated) is read anew.

use std::io::BufRead;
use std::path::PathBuf;

use super::{LogLine, LogProblem, Skip, phase_in_text};
use crate::engine::ingest::record::{Action, MtaKind, Record, RecordSource};
use crate::engine::smtp::{EnhancedCode, scan_codes};

/// Whether a line is an accounting header (`type,…,rcpt,…`).
pub(super) fn is_header(line: &str) -> bool {
    let cols: Vec<&str> = line.split(',').map(|c| c.trim().trim_matches('"')).collect();
    cols.first() == Some(&"type") && cols.contains(&"rcpt")
}

/// Column positions from the header.
#[derive(Clone, Debug, Default)]
struct Columns {
    n: usize,
    kind: usize,
    rcpt: Option<usize>,
    status: Option<usize>,
    diag: Option<usize>,
    mta: Option<usize>,
    action: Option<usize>,
    cat: Option<usize>,
}

impl Columns {
    fn from_header(fields: &[String]) -> Columns {
        let at = |name: &str| fields.iter().position(|f| f.trim() == name);
        Columns {
            n: fields.len(),
            kind: 0,
            rcpt: at("rcpt"),
            status: at("dsnStatus"),
            diag: at("dsnDiag"),
            mta: at("dsnMta"),
            action: at("dsnAction"),
            cat: at("bounceCat"),
        }
    }
}

/// The rows of an accounting file, each with its line number and outcome.
pub struct PowerMtaRows {
    csv: csv::Reader<Box<dyn BufRead + Send>>,
    cols: Option<Columns>,
    file: Option<PathBuf>,
    row: csv::ByteRecord,
}

impl PowerMtaRows {
    /// Reads `reader` (the file `file`, for record sources).
    pub fn new(reader: Box<dyn BufRead + Send>, file: Option<PathBuf>) -> PowerMtaRows {
        let csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
        PowerMtaRows { csv, cols: None, file, row: csv::ByteRecord::new() }
    }
}

impl Iterator for PowerMtaRows {
    type Item = std::io::Result<(u64, LogLine)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = self.csv.position().line() + u64::from(self.csv.position().line() == 0);
            match self.csv.read_byte_record(&mut self.row) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    return Some(match e.into_kind() {
                        csv::ErrorKind::Io(io) => Err(io),
                        other => Ok((line, LogLine::Malformed(LogProblem::Csv(format!("{other:?}"))))),
                    });
                }
            }
            let line = self.row.position().map_or(line, |p| p.line());
            let fields: Vec<String> = self.row.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            if fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if fields.first().map(|f| f.trim()) == Some("type") && fields.iter().any(|f| f.trim() == "rcpt") {
                self.cols = Some(Columns::from_header(&fields));
                continue;
            }
            let Some(cols) = &self.cols else {
                return Some(Ok((line, LogLine::Malformed(LogProblem::MissingField("header")))));
            };
            if fields.len() != cols.n {
                return Some(Ok((line, LogLine::Malformed(LogProblem::Columns { expected: cols.n, found: fields.len() }))));
            }
            let source = RecordSource { file: self.file.clone(), message: None, line: Some(line) };
            return Some(Ok((line, row_outcome(cols, &fields, source))));
        }
    }
}

fn row_outcome(cols: &Columns, fields: &[String], source: RecordSource) -> LogLine {
    let get = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty());
    let action = match fields[cols.kind].trim() {
        "d" | "delivery" => return LogLine::Skipped(Skip::Delivery),
        "r" | "receipt" | "received" => return LogLine::Skipped(Skip::Reception),
        "b" | "bounce" | "rb" | "remote-bounce" => Action::Failed,
        "t" | "transient" | "tq" | "transient-queue" | "rs" | "remote-status" => Action::Delayed,
        _ => return LogLine::Skipped(Skip::Other),
    };
    let diag = get(cols.diag).unwrap_or("");
    // "smtp;550 5.1.1 …": the diagnostic type goes, the reply stays.
    let text = match diag.split_once(';') {
        Some((kind, rest)) if !kind.is_empty() && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => rest.trim(),
        _ => diag,
    };
    let mut r = Record::plain(text, source);
    r.recipient = get(cols.rcpt).map(str::to_owned);
    // dsnStatus is "5.1.1 (bad destination mailbox address)".
    r.enhanced_code =
        get(cols.status).and_then(|s| EnhancedCode::parse(s.split_whitespace().next().unwrap_or(""))).or_else(|| scan_codes(text).1);
    r.remote_mta = get(cols.mta).and_then(|m| m.split_whitespace().next()).map(str::to_owned);
    r.reporter = MtaKind::Log("powermta");
    r.action = get(cols.action).and_then(Action::parse).or(Some(action));
    r.phase = phase_in_text(text);
    r.log_class = get(cols.cat).map(str::to_owned);
    LogLine::Records(vec![r])
}
