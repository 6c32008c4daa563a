//! A log as a stream of [`Unit`]s, like every other input: one `Unit::Line`
//! per bounce record, `Unit::Skipped` per delivery / reception / other event,
//! a `Note::LogMalformed` per malformed line. Lines are read one at a time
//! (cut at [`MAX_LINE_BYTES`]), so `tail -F maillog |` gives each record as
//! soon as its line is read.

use std::collections::VecDeque;
use std::io::BufRead;

use super::{LogFormat, LogLine, PowerMtaRows};
use crate::engine::ingest::input::{Note, Unit};
use crate::engine::ingest::lines::{MAX_LINE_BYTES, read_line_bounded};
use crate::engine::ingest::record::RecordSource;

/// Streams the units of a log of `format` read from `reader`; `source` names
/// the file (its `line` is set per line).
pub fn units(format: LogFormat, reader: Box<dyn BufRead + Send>, source: RecordSource) -> Box<dyn Iterator<Item = Unit> + Send> {
    if format == LogFormat::PowerMta {
        let rows = PowerMtaRows::new(reader, source.file.clone());
        return Box::new(rows.flat_map(move |row| {
            let mut q = VecDeque::new();
            match row {
                Err(e) => q.push_back(Unit::Note(source.clone(), Note::Io(e.to_string()))),
                Ok((line, outcome)) => push(&mut q, RecordSource { line: Some(line), ..source.clone() }, outcome),
            }
            q
        }));
    }
    Box::new(LineLog { format, reader, source, buf: Vec::new(), line: 0, queued: VecDeque::new(), done: false })
}

fn push(q: &mut VecDeque<Unit>, source: RecordSource, outcome: LogLine) {
    match outcome {
        LogLine::Records(rs) => q.extend(rs.into_iter().map(Unit::Line)),
        LogLine::Skipped(s) => q.push_back(Unit::Skipped(source, s)),
        LogLine::Malformed(p) => q.push_back(Unit::Note(source, Note::LogMalformed(p))),
    }
}

/// KumoMTA and Postfix: one event per line.
struct LineLog {
    format: LogFormat,
    reader: Box<dyn BufRead + Send>,
    source: RecordSource,
    buf: Vec<u8>,
    line: u64,
    queued: VecDeque<Unit>,
    done: bool,
}

impl Iterator for LineLog {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        loop {
            if let Some(u) = self.queued.pop_front() {
                return Some(u);
            }
            if self.done {
                return None;
            }
            match read_line_bounded(&mut self.reader, &mut self.buf, MAX_LINE_BYTES, false) {
                Err(e) => {
                    self.done = true;
                    return Some(Unit::Note(self.source.clone(), Note::Io(e.to_string())));
                }
                Ok(None) => self.done = true,
                Ok(Some(info)) => {
                    self.line += 1;
                    let line = String::from_utf8_lossy(&self.buf);
                    if line.trim().is_empty() {
                        continue;
                    }
                    let source = RecordSource { line: Some(self.line), ..self.source.clone() };
                    if info.truncated {
                        self.queued.push_back(Unit::Note(source.clone(), Note::LineCut(MAX_LINE_BYTES)));
                    }
                    let outcome = super::parse_line(self.format, &line, &source);
                    push(&mut self.queued, source, outcome);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postfix_lines_become_units_in_order() {
        let log = "Mar  1 10:00:01 mx postfix/smtp[12]: 4B2C: to=<a@b.example>, relay=mx.b.example[192.0.2.1]:25, dsn=5.1.1, \
                   status=bounced (host mx.b.example[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))\n\
                   Mar  1 10:00:02 mx postfix/smtp[12]: 4B2D: to=<c@d.example>, relay=mx.d.example[192.0.2.2]:25, dsn=2.0.0, status=sent (250 ok)\n\
                   not a syslog line\n";
        let src = RecordSource { file: Some("maillog".into()), ..Default::default() };
        let got: Vec<Unit> = units(LogFormat::Postfix, Box::new(std::io::Cursor::new(log.as_bytes().to_vec())), src).collect();
        assert_eq!(got.len(), 3);
        let Unit::Line(r) = &got[0] else { panic!("{:?}", got[0]) };
        assert_eq!((r.recipient.as_deref(), r.source.line), (Some("a@b.example"), Some(1)));
        assert!(matches!(&got[1], Unit::Skipped(s, super::super::Skip::Delivery) if s.line == Some(2)));
        assert!(matches!(&got[2], Unit::Note(s, Note::LogMalformed(_)) if s.line == Some(3)));
    }
}
