//! What an input path is (an email, an mbox, a Maildir, a folder of them, a
//! line file, a CSV), detected by content, and the stream of work it gives:
//! raw emails and lines, read one at a time in bounded memory.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::lines::{self, CsvColumn, CsvRow, MAX_LINE_BYTES};
use super::logs::{self, LogFormat, LogProblem, Skip};
use super::mbox::{MAX_MESSAGE_BYTES, Mbox};
use super::record::{Record, RecordSource};

/// How to read an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// One email per file (`.eml`, a Maildir message).
    Eml,
    /// An mbox file.
    Mbox,
    /// A Maildir folder (`cur/`, `new/`).
    Maildir,
    /// One reply per line.
    Lines,
    /// One column of a CSV/TSV.
    Csv,
    /// An MTA log (KumoMTA JSON records, PowerMTA accounting CSV, Postfix maillog).
    Log(LogFormat),
}

impl InputKind {
    /// The machine name (`--input` values).
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Eml => "eml",
            InputKind::Mbox => "mbox",
            InputKind::Maildir => "maildir",
            InputKind::Lines => "lines",
            InputKind::Csv => "csv",
            InputKind::Log(f) => f.name(),
        }
    }
}

/// Header names that start a message, for content detection.
const HEADERS: [&str; 14] = [
    "return-path",
    "received",
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "delivered-to",
    "x-",
    "dkim-signature",
    "reply-to",
    "arc-",
];

/// Guesses what a file's first bytes are: `From ` → mbox, a header block → email,
/// an MTA log's lines or header → that log, a `.csv`/`.tsv` name → CSV,
/// anything else → lines.
pub fn sniff(head: &[u8], name: Option<&Path>) -> InputKind {
    let text = String::from_utf8_lossy(&head[..head.len().min(8192)]);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.starts_with("From ") && text.lines().nth(1).is_some_and(is_header_line) {
        return InputKind::Mbox;
    }
    let header_lines = text.lines().take(8).take_while(|l| is_header_line(l) || l.starts_with([' ', '\t'])).count();
    if is_header_line(first) && header_lines >= 2 {
        return InputKind::Eml;
    }
    if let Some(f) = logs::sniff(head) {
        return InputKind::Log(f);
    }
    let ext = name.and_then(|p| p.extension()).and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv" | "tsv") => InputKind::Csv,
        Some("eml" | "msg") => InputKind::Eml,
        Some("mbox" | "mbx") => InputKind::Mbox,
        _ => InputKind::Lines,
    }
}

/// Whether a file's first bytes are binary data, not text in any encoding: a NUL byte, or more
/// than 2 % C0 control characters besides tab, line breaks, form feed and escape. Legacy
/// encodings (Shift_JIS, Latin-1) have none of those, random or compressed data has plenty.
pub fn looks_binary(head: &[u8]) -> bool {
    let h = &head[..head.len().min(8192)];
    if h.contains(&0) {
        return true;
    }
    let controls = h.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)).count();
    controls * 50 > h.len()
}

fn is_header_line(l: &str) -> bool {
    let Some((name, _)) = l.split_once(':') else { return false };
    let n = name.to_ascii_lowercase();
    !n.is_empty() && !n.contains(' ') && HEADERS.iter().any(|h| n == *h || (h.ends_with('-') && n.starts_with(h)))
}

/// One input to read: a file (or stdin when `path` is None) and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The file; None is stdin.
    pub path: Option<PathBuf>,
    /// How to read it; None detects from its first bytes.
    pub kind: Option<InputKind>,
}

/// A path that could not be listed or opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathProblem {
    /// The path.
    pub path: PathBuf,
    /// The system's words.
    pub message: String,
}

/// Whether a folder is a Maildir (has `cur/` or `new/`).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// Expands paths into inputs: a Maildir gives its `new/` and `cur/` message
/// files (as emails), another folder every file inside (recursively, sorted),
/// a file itself. `kind` forces how files are read (`Maildir` forces folders
/// to be read as Maildirs and their files as emails).
pub fn expand(paths: &[PathBuf], kind: Option<InputKind>) -> (Vec<Input>, Vec<PathProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        walk(p, kind, &mut out, &mut problems, 0);
    }
    (out, problems)
}

fn walk(p: &Path, kind: Option<InputKind>, out: &mut Vec<Input>, problems: &mut Vec<PathProblem>, depth: usize) {
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => return problems.push(PathProblem { path: p.to_owned(), message: e.to_string() }),
    };
    if !meta.is_dir() {
        let kind = if kind == Some(InputKind::Maildir) { Some(InputKind::Eml) } else { kind };
        out.push(Input { path: Some(p.to_owned()), kind });
        return;
    }
    if depth > 16 {
        return;
    }
    if kind == Some(InputKind::Maildir) || (kind.is_none() && is_maildir(p)) {
        for sub in ["new", "cur"] {
            let d = p.join(sub);
            if d.is_dir() {
                for f in sorted_entries(&d, problems) {
                    // Not `is_file`: a dangling link or unreadable entry must be reported, not skipped.
                    if !f.is_dir() {
                        out.push(Input { path: Some(f), kind: Some(InputKind::Eml) });
                    }
                }
            }
        }
        return;
    }
    for f in sorted_entries(p, problems) {
        let hidden = f.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if !hidden {
            walk(&f, kind, out, problems, depth + 1);
        }
    }
}

fn sorted_entries(dir: &Path, problems: &mut Vec<PathProblem>) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
            v.sort();
            v
        }
        Err(e) => {
            problems.push(PathProblem { path: dir.to_owned(), message: e.to_string() });
            Vec::new()
        }
    }
}

/// What reading an input gives, one item at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A raw email to parse (see [`super::email::read`]).
    Email {
        /// Where it was read.
        source: RecordSource,
        /// Its bytes.
        raw: Vec<u8>,
    },
    /// A line or CSV cell, already a record.
    Line(Record),
    /// Something to tell the user; reading goes on.
    Note(RecordSource, Note),
    /// A log event that is no bounce (a delivery, a reception...): counted, not classified.
    Skipped(RecordSource, Skip),
}

/// A reading event worth a message: the edges word it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// The file could not be opened or read (the system's words).
    Io(String),
    /// A line was cut at [`MAX_LINE_BYTES`].
    LineCut(usize),
    /// A line had invalid UTF-8, replaced.
    InvalidUtf8,
    /// An email was cut at [`MAX_MESSAGE_BYTES`].
    EmailCut(usize),
    /// An mbox starts without a `From ` line (read as a message all the same).
    NoFromLine,
    /// A CSV row too short for the column, or malformed: skipped.
    CsvRowSkipped,
    /// A log line that could not be read as its log's format: skipped.
    LogMalformed(LogProblem),
    /// Detected as lines, but binary data (NUL bytes, control characters): not read, since it
    /// would give thousands of garbage replies. Read as lines when asked to.
    NotText,
}

/// Opens an input and streams its units.
pub fn read_input(input: &Input, csv_column: Option<usize>) -> Box<dyn Iterator<Item = Unit> + Send> {
    let file_source = RecordSource { file: input.path.clone(), message: None, line: None };
    let reader: Box<dyn BufRead + Send> = match &input.path {
        None => Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
            Err(e) => return Box::new(std::iter::once(Unit::Note(file_source, Note::Io(e.to_string())))),
        },
    };
    read_stream(reader, input.path.as_deref(), input.kind, csv_column)
}

/// Streams the units of an open reader (`name` for sources and detection).
pub fn read_stream(
    mut reader: Box<dyn BufRead + Send>,
    name: Option<&Path>,
    kind: Option<InputKind>,
    csv_column: Option<usize>,
) -> Box<dyn Iterator<Item = Unit> + Send> {
    let file_source = RecordSource { file: name.map(Path::to_owned), message: None, line: None };
    let kind = match kind {
        Some(k) => k,
        None => match reader.fill_buf() {
            Ok(head) if looks_binary(head) && sniff(head, name) == InputKind::Lines => {
                return Box::new(std::iter::once(Unit::Note(file_source, Note::NotText)));
            }
            Ok(head) => sniff(head, name),
            Err(e) => return Box::new(std::iter::once(Unit::Note(file_source, Note::Io(e.to_string())))),
        },
    };
    match kind {
        InputKind::Eml | InputKind::Maildir => {
            let mut raw = Vec::new();
            let res = reader.by_ref().take(MAX_MESSAGE_BYTES as u64 + 1).read_to_end(&mut raw);
            let mut units = Vec::new();
            if let Err(e) = res {
                units.push(Unit::Note(file_source.clone(), Note::Io(e.to_string())));
            }
            if raw.len() > MAX_MESSAGE_BYTES {
                raw.truncate(MAX_MESSAGE_BYTES);
                units.push(Unit::Note(file_source.clone(), Note::EmailCut(MAX_MESSAGE_BYTES)));
            }
            units.push(Unit::Email { source: file_source, raw });
            Box::new(units.into_iter())
        }
        InputKind::Mbox => Box::new(Mbox::new(reader).flat_map(move |m| {
            let mut units = Vec::new();
            match m {
                Err(e) => units.push(Unit::Note(file_source.clone(), Note::Io(e.to_string()))),
                Ok(m) => {
                    let source = RecordSource { message: Some(m.index), ..file_source.clone() };
                    if m.no_from_line {
                        units.push(Unit::Note(source.clone(), Note::NoFromLine));
                    }
                    if m.truncated {
                        units.push(Unit::Note(source.clone(), Note::EmailCut(MAX_MESSAGE_BYTES)));
                    }
                    units.push(Unit::Email { source, raw: m.raw });
                }
            }
            units
        })),
        InputKind::Log(f) => logs::units(f, reader, file_source),
        InputKind::Lines => Box::new(LineUnits { reader, source: file_source, buf: Vec::new(), line: 0, queued: Vec::new(), done: false }),
        InputKind::Csv => match CsvColumn::new(reader, csv_column) {
            Err(e) => Box::new(std::iter::once(Unit::Note(file_source, Note::Io(e.to_string())))),
            Ok(csv) => Box::new(csv.flat_map(move |row| {
                let mut units = Vec::new();
                match row {
                    Err(e) => units.push(Unit::Note(file_source.clone(), Note::Io(e.to_string()))),
                    Ok(CsvRow::Skipped(n)) => {
                        units.push(Unit::Note(RecordSource { line: Some(n), ..file_source.clone() }, Note::CsvRowSkipped))
                    }
                    Ok(CsvRow::Cell(bytes, n, cut)) => {
                        let source = RecordSource { line: Some(n), ..file_source.clone() };
                        push_line(&mut units, bytes, source, cut);
                    }
                }
                units
            })),
        },
    }
}

fn push_line(units: &mut Vec<Unit>, bytes: Vec<u8>, source: RecordSource, cut: bool) {
    if cut {
        units.push(Unit::Note(source.clone(), Note::LineCut(MAX_LINE_BYTES)));
    }
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            units.push(Unit::Note(source.clone(), Note::InvalidUtf8));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    units.push(Unit::Line(Record::plain(text, source)));
}

/// Lines of a reader as units; blank lines are skipped.
struct LineUnits {
    reader: Box<dyn BufRead + Send>,
    source: RecordSource,
    buf: Vec<u8>,
    line: u64,
    queued: Vec<Unit>,
    done: bool,
}

impl Iterator for LineUnits {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        loop {
            if !self.queued.is_empty() {
                return Some(self.queued.remove(0));
            }
            if self.done {
                return None;
            }
            match lines::read_line_bounded(&mut self.reader, &mut self.buf, MAX_LINE_BYTES, true) {
                Err(e) => {
                    self.done = true;
                    return Some(Unit::Note(self.source.clone(), Note::Io(e.to_string())));
                }
                Ok(None) => self.done = true,
                Ok(Some(info)) => {
                    self.line += 1;
                    if self.buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let source = RecordSource { line: Some(self.line), ..self.source.clone() };
                    push_line(&mut self.queued, std::mem::take(&mut self.buf), source, info.truncated);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_data_is_not_text_but_legacy_encodings_and_escapes_are() {
        assert!(looks_binary(b"550 user unknown\n\0\0\0"));
        assert!(looks_binary(&(0u8..=255).cycle().skip(1).take(4000).filter(|&b| b != 0).collect::<Vec<u8>>()));
        assert!(!looks_binary(b"550 5.1.1 \x83\x86\x81\x5b\x83\x55 unknown\r\n\x1b$B\x1b(B\x0c\t"));
        assert!(!looks_binary(b""));
        let units: Vec<Unit> = read_stream(Box::new(&b"\0\x01\x02 binary"[..]), None, None, None).collect();
        assert_eq!(units.len(), 1);
        assert!(matches!(&units[0], Unit::Note(_, Note::NotText)));
        let forced: Vec<Unit> = read_stream(Box::new(&b"\0\x01\x02 binary"[..]), None, Some(InputKind::Lines), None).collect();
        assert!(forced.iter().any(|u| matches!(u, Unit::Line(_))), "read as lines when asked to");
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"From a@b Mon Jan 1\nReturn-Path: <x>\n", None), InputKind::Mbox);
        assert_eq!(sniff(b"Return-Path: <x>\nReceived: from y\n\nbody", None), InputKind::Eml);
        assert_eq!(sniff(b"550 5.1.1 user unknown\n", None), InputKind::Lines);
        assert_eq!(sniff(b"From: only one header\n\n", None), InputKind::Lines);
        assert_eq!(sniff(b"a,b\n", Some(Path::new("x.csv"))), InputKind::Csv);
        assert_eq!(sniff(&[0u8; 100], None), InputKind::Lines);
        let acct = b"type,timeLogged,orig,rcpt,dsnStatus,dsnDiag,bounceCat\n";
        assert_eq!(sniff(acct, Some(Path::new("acct.csv"))), InputKind::Log(LogFormat::PowerMta));
    }

    #[test]
    fn cr_only_lines_give_one_unit_each() {
        let data: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(b"550 a\r451 b\r552 c".to_vec()));
        let units: Vec<Unit> = read_stream(data, None, Some(InputKind::Lines), None).collect();
        let texts: Vec<&str> = units.iter().filter_map(|u| if let Unit::Line(r) = u { Some(r.text.as_str()) } else { None }).collect();
        assert_eq!(texts, ["550 a", "451 b", "552 c"]);
    }
}
