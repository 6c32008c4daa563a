//! Line-based inputs: one reply per line, or one column of a CSV/TSV. Lines
//! end at `\n`, `\r\n` or a lone `\r` (old Mac files, some log exports), and
//! are cut at [`MAX_LINE_BYTES`], so an endless input without line breaks
//! (`/dev/zero`) is read in bounded memory.

use std::io::{self, BufRead};

/// A line longer than this is cut (and reported): no SMTP reply is a megabyte long.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// How one line was read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineInfo {
    /// The line was longer than the limit; the rest was skipped.
    pub truncated: bool,
}

/// Reads one line into `buf` (cleared first), without its line break, keeping
/// at most `max` bytes. `cr_breaks`: a lone `\r` ends a line too. Returns None
/// at the end of the input.
pub fn read_line_bounded<R: BufRead + ?Sized>(r: &mut R, buf: &mut Vec<u8>, max: usize, cr_breaks: bool) -> io::Result<Option<LineInfo>> {
    buf.clear();
    let mut info = LineInfo::default();
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(info));
        }
        any = true;
        // memchr: a byte-by-byte search was a tenth of the CLI's time per line.
        let brk = if cr_breaks { memchr::memchr2(b'\n', b'\r', chunk) } else { memchr::memchr(b'\n', chunk) };
        let take = brk.unwrap_or(chunk.len());
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        info.truncated |= take > room;
        match brk {
            None => {
                let n = chunk.len();
                r.consume(n);
            }
            Some(p) => {
                let was_cr = chunk[p] == b'\r';
                r.consume(p + 1);
                if was_cr {
                    // "\r\n" is one break.
                    let next = r.fill_buf()?;
                    if next.first() == Some(&b'\n') {
                        r.consume(1);
                    }
                } else if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                return Ok(Some(info));
            }
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

/// What was found while starting to read a CSV.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvInfo {
    /// The detected delimiter.
    pub delimiter: char,
    /// The header row, when the first row looked like one.
    pub header: Option<Vec<String>>,
    /// The column read (0-based).
    pub column: usize,
}

/// One cell of the chosen column, or why a row gave none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvRow {
    /// The cell (cut at [`MAX_LINE_BYTES`]), its 1-based row, whether it was cut.
    Cell(Vec<u8>, u64, bool),
    /// A row too short for the column, or malformed.
    Skipped(u64),
}

/// Streams one column of a CSV/TSV: delimiter and header sniffed from the
/// first buffer, the column guessed unless given.
pub struct CsvColumn<R: BufRead> {
    reader: csv::Reader<R>,
    info: CsvInfo,
    row: u64,
    rec: csv::ByteRecord,
}

impl<R: BufRead> CsvColumn<R> {
    /// Starts reading; `column` None guesses it.
    pub fn new(mut r: R, column: Option<usize>) -> io::Result<Self> {
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
        let info = CsvInfo { delimiter: char::from(delimiter), header, column };
        let reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(r);
        Ok(CsvColumn { reader, info, row: 0, rec: csv::ByteRecord::new() })
    }

    /// Delimiter, header and column in use.
    pub fn info(&self) -> &CsvInfo {
        &self.info
    }
}

impl<R: BufRead> Iterator for CsvColumn<R> {
    type Item = io::Result<CsvRow>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let read = self.reader.read_byte_record(&mut self.rec);
            self.row += 1;
            match read {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) if e.is_io_error() => return Some(Err(io::Error::other(e.to_string()))),
                Err(_) => return Some(Ok(CsvRow::Skipped(self.row))),
            }
            if self.row == 1 && self.info.header.is_some() {
                continue;
            }
            return Some(Ok(match self.rec.get(self.info.column) {
                Some(cell) => {
                    let cut = cell.len().min(MAX_LINE_BYTES);
                    CsvRow::Cell(cell[..cut].to_vec(), self.row, cut < cell.len())
                }
                None => CsvRow::Skipped(self.row),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<(String, bool)> {
        let mut r = io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(i) = read_line_bounded(&mut r, &mut buf, max, true).unwrap() {
            out.push((String::from_utf8_lossy(&buf).into_owned(), i.truncated));
        }
        out
    }

    #[test]
    fn cr_lf_crlf_all_break() {
        let got = all(b"550 a\r451 b\r\n552 c\nlast", 100);
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["550 a", "451 b", "552 c", "last"]);
    }

    #[test]
    fn long_lines_are_cut_and_flagged() {
        let got = all(b"abcdefghij\nok\n", 4);
        assert_eq!(got, vec![("abcd".to_string(), true), ("ok".to_string(), false)]);
    }

    #[test]
    fn csv_column_by_header() {
        let data = b"id,diagnostic\n1,550 user unknown\n2\n3,\"452 full, try later\"\n";
        let c = CsvColumn::new(&data[..], None).unwrap();
        assert_eq!(c.info().column, 1);
        let rows: Vec<CsvRow> = c.map(Result::unwrap).collect();
        assert_eq!(rows[0], CsvRow::Cell(b"550 user unknown".to_vec(), 2, false));
        assert_eq!(rows[1], CsvRow::Skipped(3));
        assert_eq!(rows[2], CsvRow::Cell(b"452 full, try later".to_vec(), 4, false));
    }
}
