//! mbox files: messages separated by `From ` lines (mboxrd: `>From ` lines in
//! bodies lose one `>`). Streamed one message at a time, each cut at a size
//! limit, so a huge mbox or a broken one never sits in memory whole.

use std::io::{self, BufRead};

use super::lines::read_line_bounded;

/// A message larger than this is cut (and reported): a bounce with a 50 MB
/// attachment still has its report in the first megabytes.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Lines of an mbox longer than this are cut (base64 lines are 76 bytes).
const MAX_MBOX_LINE: usize = 1 << 20;

/// One message of an mbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MboxMessage {
    /// 1-based index in the mbox.
    pub index: u64,
    /// The message bytes, `From ` line removed, `>From ` unescaped.
    pub raw: Vec<u8>,
    /// The message was larger than [`MAX_MESSAGE_BYTES`] and was cut.
    pub truncated: bool,
    /// Text before the first `From ` line (a broken or missing separator).
    pub no_from_line: bool,
}

/// Iterates over the messages of an mbox.
pub struct Mbox<R: BufRead> {
    reader: R,
    line: Vec<u8>,
    pending: Option<bool>,
    index: u64,
    done: bool,
    max: usize,
}

impl<R: BufRead> Mbox<R> {
    /// Reads `reader` as an mbox.
    pub fn new(reader: R) -> Self {
        Mbox { reader, line: Vec::new(), pending: None, index: 0, done: false, max: MAX_MESSAGE_BYTES }
    }

    /// Same, with another per-message limit (tests).
    pub fn with_limit(reader: R, max: usize) -> Self {
        Mbox { max, ..Mbox::new(reader) }
    }
}

fn is_from_line(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

impl<R: BufRead> Iterator for Mbox<R> {
    type Item = io::Result<MboxMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut raw = Vec::new();
        let mut truncated = false;
        let mut no_from_line = false;
        let mut started = false;
        let mut prev_blank = true;
        // `pending`: the previous call stopped at a From_ line (true) that begins this message.
        if self.pending.take().is_some() {
            started = true;
        }
        loop {
            let info = match read_line_bounded(&mut self.reader, &mut self.line, MAX_MBOX_LINE, false) {
                Ok(i) => i,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            let Some(_) = info else {
                self.done = true;
                break;
            };
            if is_from_line(&self.line) && prev_blank {
                if started || !raw.is_empty() {
                    self.pending = Some(true);
                    break;
                }
                started = true;
                continue;
            }
            if !started {
                if self.line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                // Content before any From_ line: read it as a message all the same.
                started = true;
                no_from_line = true;
            }
            prev_blank = self.line.iter().all(|&b| b == b'\r' || b == b' ' || b == b'\t') || self.line.is_empty();
            let body: &[u8] = if self.line.starts_with(b">") && self.line.iter().skip_while(|&&b| b == b'>').take(5).eq(b"From ".iter()) {
                &self.line[1..]
            } else {
                &self.line
            };
            if raw.len() + body.len() + 1 > self.max {
                truncated = true;
                continue;
            }
            raw.extend_from_slice(body);
            raw.push(b'\n');
        }
        if !started && raw.is_empty() {
            return None;
        }
        // The blank line before the next From_ belongs to the separator.
        if raw.ends_with(b"\n\n") {
            raw.pop();
        }
        self.index += 1;
        Some(Ok(MboxMessage { index: self.index, raw, truncated, no_from_line }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8]) -> Vec<MboxMessage> {
        Mbox::new(data).map(Result::unwrap).collect()
    }

    #[test]
    fn splits_and_unescapes() {
        let data = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From the start\nbody\n\nFrom c@d Mon Jan  1 00:00:00 2024\nSubject: two\n\nx\n";
        let m = split(data);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].raw, b"Subject: one\n\nFrom the start\nbody\n");
        assert_eq!(m[1].index, 2);
        assert_eq!(m[1].raw, b"Subject: two\n\nx\n");
    }

    #[test]
    fn broken_first_line_and_limit() {
        let data = b"Subject: stray\n\nno separator\n\nFrom x Mon\nSubject: ok\n\n".to_vec();
        let m = split(&data);
        assert_eq!(m.len(), 2);
        assert!(m[0].no_from_line && !m[1].no_from_line);
        let big = [b"From x\n".to_vec(), vec![b'a'; 100], b"\n".to_vec()].concat();
        let m: Vec<_> = Mbox::with_limit(&big[..], 10).map(Result::unwrap).collect();
        assert!(m[0].truncated && m[0].raw.len() <= 10);
        assert!(split(b"").is_empty());
    }
}
