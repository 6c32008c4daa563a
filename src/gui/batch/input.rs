//! Reading a batch: pasted text or files, as one response per line, a CSV/TSV
//! column, or DSN emails. Files are streamed through a bounded buffer so a
//! 1 GB log never sits in memory whole; limits are reported, not hidden.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::engine::smtp;
use crate::i18n::tr;

/// At most this many lines are kept (the rest of the input is reported as cut).
pub const MAX_LINES: usize = 2_000_000;
/// A line longer than this is truncated: no SMTP response is a megabyte long.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// At most this many bytes of text are kept in all.
pub const MAX_TOTAL_BYTES: usize = 512 << 20;
/// Larger `.eml` files are read up to this size.
pub const MAX_EML_BYTES: u64 = 64 << 20;

/// How the input is split into responses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// By file extension (`.csv`/`.tsv`, `.eml`); pastes are lines.
    #[default]
    Auto,
    /// One response per line.
    Lines,
    /// One column of a CSV/TSV (delimiter detected).
    Csv,
    /// DSN emails: each recipient's Diagnostic-Code / Status.
    Dsn,
}

impl Format {
    /// All formats, in menu order.
    pub const ALL: [Format; 4] = [Format::Auto, Format::Lines, Format::Csv, Format::Dsn];

    /// Menu label, in the interface language.
    pub fn label(self) -> &'static str {
        match self {
            Format::Auto => tr("batch.format_auto"),
            Format::Lines => tr("batch.format_lines"),
            Format::Csv => tr("batch.format_csv"),
            Format::Dsn => tr("batch.format_dsn"),
        }
    }
}

/// Where the batch comes from.
pub enum Source {
    /// A paste.
    Text(String),
    /// Files (opened by path or dropped).
    Files(Vec<PathBuf>),
}

/// What was found while reading CSV.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvInfo {
    /// The detected delimiter.
    pub delimiter: char,
    /// The header row, when the first row looked like one.
    pub header: Option<Vec<String>>,
    /// The column read (0-based).
    pub column: usize,
}

/// Everything worth telling the user about the reading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Empty lines skipped.
    pub blank: usize,
    /// CSV rows too short for the chosen column.
    pub skipped_rows: usize,
    /// Lines whose invalid UTF-8 was replaced.
    pub lossy: usize,
    /// Lines cut at [`MAX_LINE_BYTES`].
    pub truncated: usize,
    /// Reading stopped at [`MAX_LINES`] / [`MAX_TOTAL_BYTES`].
    pub capped: bool,
    /// DSN emails without any recipient block.
    pub dsn_without_recipients: usize,
    /// Files that could not be read, with why (the system's words).
    pub errors: Vec<String>,
    /// Paths given that are folders (worded by the UI thread, in its language).
    pub folders: Vec<String>,
    /// CSV details of the last CSV source.
    pub csv: Option<CsvInfo>,
}

/// The loaded responses.
#[derive(Debug, Default)]
pub struct Lines {
    /// The texts.
    pub texts: Vec<Box<str>>,
    /// Per text: its line / row / recipient number in its source (1-based).
    pub origin: Vec<u32>,
    /// Per text: index into `sources`.
    pub source_of: Vec<u16>,
    /// Source names ("paste" or file names).
    pub sources: Vec<String>,
    /// Whether the source was a paste (its source name is then "paste").
    pub pasted: bool,
    /// Reading report.
    pub stats: LoadStats,
    bytes: usize,
}

impl Lines {
    fn full(&self) -> bool {
        self.texts.len() >= MAX_LINES || self.bytes >= MAX_TOTAL_BYTES
    }

    /// Adds one response; returns false once the limits are reached.
    fn push(&mut self, raw: &[u8], origin: usize, truncated: bool) -> bool {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            self.stats.blank += 1;
            return true;
        }
        if self.full() {
            self.stats.capped = true;
            return false;
        }
        let text: Box<str> = match std::str::from_utf8(raw) {
            Ok(s) => s.into(),
            Err(_) => {
                self.stats.lossy += 1;
                String::from_utf8_lossy(raw).into()
            }
        };
        self.stats.truncated += usize::from(truncated);
        self.bytes += text.len();
        self.texts.push(text);
        self.origin.push(u32::try_from(origin).unwrap_or(u32::MAX));
        self.source_of.push(u16::try_from(self.sources.len().saturating_sub(1)).unwrap_or(u16::MAX));
        true
    }
}

/// Shared progress counters: bytes read of the total, for the progress bar.
#[derive(Debug, Default)]
pub struct ReadProgress {
    /// Bytes read so far.
    pub done: AtomicU64,
    /// Bytes in all sources.
    pub total: AtomicU64,
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

/// Reads a whole source. Never panics; unreadable files are reported in
/// [`LoadStats::errors`] and the others still load.
pub fn load(source: Source, format: Format, column: Option<usize>, progress: &Arc<ReadProgress>, cancel: &AtomicBool) -> Lines {
    let mut out = Lines::default();
    match source {
        Source::Text(text) => {
            progress.total.store(text.len() as u64, Ordering::Relaxed);
            out.sources.push("paste".into());
            out.pasted = true;
            let format = if format == Format::Auto { Format::Lines } else { format };
            let reader = Counting { inner: std::io::Cursor::new(text.into_bytes()), progress: progress.clone() };
            read_one(BufReader::with_capacity(256 << 10, reader), format, column, &mut out, cancel);
        }
        Source::Files(paths) => {
            let total: u64 = paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
            progress.total.store(total, Ordering::Relaxed);
            for p in paths {
                if cancel.load(Ordering::Relaxed) || out.full() {
                    break;
                }
                let name = p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
                let file = match std::fs::File::open(&p) {
                    Ok(f) if p.is_dir() => {
                        drop(f);
                        out.stats.folders.push(p.display().to_string());
                        continue;
                    }
                    Ok(f) => f,
                    Err(e) => {
                        out.stats.errors.push(format!("{}: {e}", p.display()));
                        continue;
                    }
                };
                out.sources.push(name);
                let format = if format == Format::Auto { format_of(&p) } else { format };
                let reader = Counting { inner: file, progress: progress.clone() };
                read_one(BufReader::with_capacity(256 << 10, reader), format, column, &mut out, cancel);
            }
        }
    }
    out
}

/// The format a file's extension suggests.
pub fn format_of(p: &Path) -> Format {
    match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv" | "tsv") => Format::Csv,
        Some("eml") => Format::Dsn,
        _ => Format::Lines,
    }
}

fn read_one<R: BufRead>(r: R, format: Format, column: Option<usize>, out: &mut Lines, cancel: &AtomicBool) {
    let res = match format {
        Format::Csv => read_csv(r, column, out, cancel),
        Format::Dsn => read_dsn(r, out),
        Format::Lines | Format::Auto => read_lines(r, out, cancel),
    };
    if let Err(e) = res {
        let name = out.sources.last().cloned().unwrap_or_default();
        out.stats.errors.push(format!("{name}: {e}"));
    }
}

/// Splits on `\n` with a bounded line buffer (a file without newlines does not
/// become one giant allocation).
fn read_lines<R: BufRead>(mut r: R, out: &mut Lines, cancel: &AtomicBool) -> std::io::Result<()> {
    let mut line = Vec::new();
    let mut too_long = false;
    let mut line_no = 0usize;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            if !line.is_empty() {
                out.push(&line, line_no + 1, too_long);
            }
            return Ok(());
        }
        let newline = chunk.iter().position(|&b| b == b'\n');
        let take = newline.unwrap_or(chunk.len());
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..take.min(room)]);
        too_long |= take > room;
        r.consume(take + usize::from(newline.is_some()));
        if newline.is_some() {
            line_no += 1;
            if !out.push(&line, line_no, too_long) {
                return Ok(());
            }
            line.clear();
            too_long = false;
        }
    }
}

/// Picks the delimiter whose count per line is the most consistent in a sample.
pub fn sniff_delimiter(sample: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = sample.split(|&b| b == b'\n').filter(|l| !l.is_empty()).take(30).collect();
    let score = |d: u8| {
        let counts: Vec<usize> = lines.iter().map(|l| l.iter().filter(|&&b| b == d).count()).collect();
        let first = counts.first().copied().unwrap_or(0);
        (first > 0, counts.iter().filter(|&&c| c == first).count(), first)
    };
    [b'\t', b',', b';', b'|'].into_iter().max_by_key(|&d| score(d)).filter(|&d| score(d).0).unwrap_or(b',')
}

/// A header row has short cells without digits.
fn looks_like_header(row: &[String]) -> bool {
    !row.is_empty() && row.iter().all(|c| !c.trim().is_empty() && c.len() <= 40 && !c.bytes().any(|b| b.is_ascii_digit()))
}

/// The column holding responses: by header name, else the longest on average.
fn guess_column(header: Option<&[String]>, rows: &[Vec<String>]) -> usize {
    const NAMES: [&str; 8] = ["diagnostic", "response", "bounce", "smtp", "message", "reason", "error", "text"];
    if let Some(h) = header {
        for n in NAMES {
            if let Some(i) = h.iter().position(|c| c.to_ascii_lowercase().contains(n)) {
                return i;
            }
        }
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..width).max_by_key(|&i| rows.iter().map(|r| r.get(i).map_or(0, String::len)).sum::<usize>()).unwrap_or(0)
}

fn read_csv<R: BufRead>(mut r: R, column: Option<usize>, out: &mut Lines, cancel: &AtomicBool) -> std::io::Result<()> {
    let sample = r.fill_buf()?.to_vec();
    let delimiter = sniff_delimiter(&sample);
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample.as_slice())
        .byte_records()
        .take(50)
        .filter_map(Result::ok)
        .map(|rec| rec.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect())
        .collect();
    let header = rows.first().filter(|h| looks_like_header(h)).cloned();
    let body = if header.is_some() { &rows[1.min(rows.len())..] } else { &rows[..] };
    let column = column.unwrap_or_else(|| guess_column(header.as_deref(), body));
    out.stats.csv = Some(CsvInfo { delimiter: char::from(delimiter), header: header.clone(), column });

    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(r);
    let mut rec = csv::ByteRecord::new();
    let mut row = 0usize;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        match reader.read_byte_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) if e.is_io_error() => return Err(std::io::Error::other(e.to_string())),
            Err(_) => {
                // A malformed row (bad UTF-8 is not an error for byte records): skip it.
                out.stats.skipped_rows += 1;
                continue;
            }
        }
        row += 1;
        if row == 1 && header.is_some() {
            continue;
        }
        match rec.get(column) {
            Some(cell) => {
                let cut = cell.len().min(MAX_LINE_BYTES);
                if !out.push(&cell[..cut], row, cut < cell.len()) {
                    return Ok(());
                }
            }
            None => out.stats.skipped_rows += 1,
        }
    }
}

fn read_dsn<R: BufRead>(r: R, out: &mut Lines) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    r.take(MAX_EML_BYTES).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        out.stats.lossy += 1;
    }
    let recipients = smtp::dsn_recipients(&text);
    if recipients.is_empty() {
        out.stats.dsn_without_recipients += 1;
    }
    for (i, rc) in recipients.iter().enumerate() {
        let status = rc.status.map(|s| s.to_string()).unwrap_or_default();
        // Keep the Status code with the text when the diagnostic lacks one: it decides the fallback.
        let line = if rc.diagnostic.is_empty() {
            status
        } else if !status.is_empty() && smtp::scan_codes(&rc.diagnostic).1.is_none() {
            format!("{status} {}", rc.diagnostic)
        } else {
            rc.diagnostic.clone()
        };
        let cut = line.len().min(MAX_LINE_BYTES);
        if !out.push(&line.as_bytes()[..cut], i + 1, cut < line.len()) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str, format: Format, column: Option<usize>) -> Lines {
        load(Source::Text(text.into()), format, column, &Arc::default(), &AtomicBool::new(false))
    }

    #[test]
    fn lines_skip_blanks_and_replace_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log.txt");
        let mut raw = b"550 a\r\n\n  \n".to_vec();
        raw.extend_from_slice(&[0xff, b'x', b'\n']);
        raw.extend_from_slice(b"last");
        std::fs::write(&p, raw).unwrap();
        let l = load(Source::Files(vec![p]), Format::Auto, None, &Arc::default(), &AtomicBool::new(false));
        assert_eq!(l.texts.len(), 3);
        assert_eq!(&*l.texts[0], "550 a");
        assert_eq!(&*l.texts[1], "\u{fffd}x");
        assert_eq!(l.origin, vec![1, 4, 5]);
        assert_eq!((l.stats.blank, l.stats.lossy), (2, 1));
    }

    #[test]
    fn long_line_is_truncated_not_kept_whole() {
        let text = "x".repeat(MAX_LINE_BYTES + 10) + "\nshort";
        let l = load_text(&text, Format::Lines, None);
        assert_eq!(l.texts.len(), 2);
        assert_eq!(l.texts[0].len(), MAX_LINE_BYTES);
        assert_eq!(l.stats.truncated, 1);
    }

    #[test]
    fn csv_header_delimiter_column_and_ragged_rows() {
        let text = "id;when;diagnostic\n1;2024;550 5.1.1 user unknown\n2;2024\n3;2024;\"452 4.2.2 full; try later\"\n";
        let l = load_text(text, Format::Csv, None);
        let info = l.stats.csv.clone().unwrap();
        assert_eq!((info.delimiter, info.column), (';', 2));
        assert!(info.header.is_some());
        assert_eq!(l.texts.iter().map(|t| &**t).collect::<Vec<_>>(), ["550 5.1.1 user unknown", "452 4.2.2 full; try later"]);
        assert_eq!(l.stats.skipped_rows, 1);
    }

    #[test]
    fn tsv_without_header_picks_the_longest_column() {
        let l = load_text("a\t550 5.1.1 no such user here\nb\t421 try later please\n", Format::Csv, None);
        assert_eq!(l.stats.csv.unwrap().delimiter, '\t');
        assert_eq!(&*l.texts[1], "421 try later please");
    }

    #[test]
    fn dsn_email_gives_each_recipient() {
        let mail = "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 no such user\n\nFinal-Recipient: rfc822; c@d.example\nAction: failed\nStatus: 4.2.2\n\n";
        let l = load_text(mail, Format::Dsn, None);
        assert_eq!(l.texts.iter().map(|t| &**t).collect::<Vec<_>>(), ["5.1.1 550 no such user", "4.2.2"]);
    }

    #[test]
    fn missing_file_is_reported() {
        let l = load(Source::Files(vec!["/no/such/file.log".into()]), Format::Auto, None, &Arc::default(), &AtomicBool::new(false));
        assert!(l.texts.is_empty());
        assert_eq!(l.stats.errors.len(), 1);
    }
}
