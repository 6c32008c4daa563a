//! POP3 (RFC 1939), read-only: `USER`/`PASS`, `UIDL`, `LIST`, `TOP n 0` for
//! `--since`, and each message through `TOP n <all lines>`; never `DELE`.
//! `RETR` counts as a retrieval: Dovecot marks retrieved messages `\Seen`
//! when the session ends, even when it is cut before `QUIT` (a test showed
//! it), while `TOP` is never counted. `RETR` is used only when a server has
//! no `TOP` (optional in RFC 1939), and `RSET` comes before `QUIT` anyway.
//!
//! No POP3 crate is kept up to date and safe here (the ones on crates.io lose
//! bytes of 8-bit messages or loop forever when the server closes), and the
//! protocol is a few line commands, so this is a small client of our own:
//! byte-exact, bounded line and message sizes, every read under the socket
//! timeout.

use std::io::{BufRead, BufReader, Write};
use std::ops::ControlFlow;
use std::time::Duration;

use super::net::Conn;
use super::{Day, Event, FetchOptions, FetchSummary, MailboxError, MailboxState, MailboxUrl, RawMessage, Step};

/// "All the lines" for `TOP`: more than any message has.
const ALL_LINES: u32 = 1_000_000_000;

/// A status line longer than this is a protocol error.
const MAX_STATUS: usize = 4096;

struct Pop3 {
    io: BufReader<Conn>,
    timeout: Duration,
}

impl Pop3 {
    fn send(&mut self, line: &str, step: Step) -> Result<(), MailboxError> {
        let w = self.io.get_mut();
        w.write_all(line.as_bytes())
            .and_then(|_| w.write_all(b"\r\n"))
            .and_then(|_| w.flush())
            .map_err(|e| MailboxError::from_io(step, &e, self.timeout))
    }

    /// Reads one line (without CRLF) of at most `max` bytes; the rest of a longer line is dropped.
    fn line(&mut self, out: &mut Vec<u8>, max: usize, step: Step) -> Result<bool, MailboxError> {
        out.clear();
        let mut cut = false;
        loop {
            let buf = self.io.fill_buf().map_err(|e| MailboxError::from_io(step, &e, self.timeout))?;
            if buf.is_empty() {
                return Err(MailboxError::Closed { step });
            }
            let nl = buf.iter().position(|&b| b == b'\n');
            let take = nl.unwrap_or(buf.len());
            let room = max.saturating_sub(out.len());
            out.extend_from_slice(&buf[..take.min(room)]);
            cut |= take > room;
            let consumed = nl.map_or(take, |p| p + 1);
            self.io.consume(consumed);
            if nl.is_some() {
                if out.last() == Some(&b'\r') {
                    out.pop();
                }
                return Ok(cut);
            }
        }
    }

    /// Reads a status line: `Ok(text)` for `+OK text`, `Err(Err(text))` for `-ERR text`.
    fn status(&mut self, step: Step) -> Result<Result<String, String>, MailboxError> {
        let mut buf = Vec::new();
        self.line(&mut buf, MAX_STATUS, step)?;
        let s = String::from_utf8_lossy(&buf).into_owned();
        if let Some(rest) = s.strip_prefix("+OK") {
            Ok(Ok(rest.trim().to_owned()))
        } else if let Some(rest) = s.strip_prefix("-ERR") {
            Ok(Err(rest.trim().to_owned()))
        } else {
            Err(MailboxError::Protocol { step, message: s })
        }
    }

    fn command(&mut self, line: &str, step: Step) -> Result<Result<String, String>, MailboxError> {
        self.send(line, step)?;
        self.status(step)
    }

    /// Reads a multi-line body up to the lone `.`, undoing dot-stuffing. Keeps
    /// at most `max` bytes (CRLF line ends); returns whether it was cut.
    fn multiline(&mut self, out: &mut Vec<u8>, max: usize, step: Step) -> Result<bool, MailboxError> {
        let mut line = Vec::new();
        let mut cut = false;
        loop {
            // A line may be as long as the whole message; the cap keeps memory bounded.
            let room = max.saturating_sub(out.len()) + 3;
            cut |= self.line(&mut line, room, step)?;
            if line == b"." {
                return Ok(cut);
            }
            let data = line.strip_prefix(b".").unwrap_or(&line);
            let room = max.saturating_sub(out.len());
            if data.len() + 2 > room {
                cut = true;
                out.extend_from_slice(&data[..data.len().min(room)]);
            } else {
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
            }
        }
    }

    fn listing(&mut self, cmd: &str, step: Step) -> Result<Option<Vec<(u64, String)>>, MailboxError> {
        if self.command(cmd, step)?.is_err() {
            return Ok(None);
        }
        let mut body = Vec::new();
        self.multiline(&mut body, 64 << 20, step)?;
        let text = String::from_utf8_lossy(&body);
        let mut out = Vec::new();
        for l in text.lines() {
            let mut w = l.split_whitespace();
            let n = w.next().and_then(|n| n.parse::<u64>().ok());
            match (n, w.next()) {
                (Some(n), Some(v)) => out.push((n, v.to_owned())),
                _ => return Err(MailboxError::Protocol { step, message: l.to_owned() }),
            }
        }
        Ok(Some(out))
    }
}

pub(super) fn fetch(
    conn: Conn,
    url: &MailboxUrl,
    password: &str,
    opts: &FetchOptions,
    state: &mut MailboxState,
    sink: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<FetchSummary, MailboxError> {
    let mut p = Pop3 { io: BufReader::with_capacity(1 << 16, conn), timeout: opts.timeout };
    if let Err(e) = p.status(Step::Greeting)? {
        return Err(MailboxError::Protocol { step: Step::Greeting, message: e });
    }
    if password.contains(['\r', '\n']) || url.user.contains(['\r', '\n']) {
        return Err(MailboxError::Login { server_says: String::new() });
    }
    if let Err(e) = p.command(&format!("USER {}", url.user), Step::Login)? {
        return Err(MailboxError::Login { server_says: e });
    }
    if let Err(e) = p.command(&format!("PASS {password}"), Step::Login)? {
        return Err(MailboxError::Login { server_says: e });
    }
    let sizes = p.listing("LIST", Step::List)?.ok_or_else(|| MailboxError::Protocol { step: Step::List, message: "LIST".into() })?;
    // Without UIDL there is no incremental state: every message is new.
    let uidl = p.listing("UIDL", Step::List)?.unwrap_or_default();
    let uid_of = |n: u64| uidl.iter().find(|(m, _)| *m == n).map(|(_, u)| u.clone());
    let mut todo = Vec::new();
    let mut known = 0;
    for (n, size) in &sizes {
        let id = uid_of(*n);
        if id.as_ref().is_some_and(|id| state.uidl.contains(id)) {
            known += 1;
        } else {
            todo.push((*n, id, size.parse::<usize>().unwrap_or(0)));
        }
    }
    // Forget ids the server no longer has, so the state does not grow forever.
    let present: std::collections::BTreeSet<String> = uidl.iter().map(|(_, u)| u.clone()).collect();
    state.uidl.retain(|u| present.contains(u));

    let mut summary = FetchSummary { known, ..Default::default() };
    let stop = |p: &mut Pop3| {
        let _ = p.command("RSET", Step::Logout);
        let _ = p.command("QUIT", Step::Logout);
    };
    if sink(Event::Listed { total: todo.len(), known }).is_break() {
        stop(&mut p);
        summary.cancelled = true;
        return Ok(summary);
    }
    let mut raw = Vec::new();
    let mut top_ok = true;
    let first = todo.first().map_or(0, |t| t.0);
    for (n, id, _size) in todo {
        if let Some(since) = opts.since {
            // TOP is optional in RFC 1939: without it the whole message decides below.
            if p.command(&format!("TOP {n} 0"), Step::Fetch)?.is_ok() {
                raw.clear();
                p.multiline(&mut raw, 1 << 20, Step::Fetch)?;
                if date_of(&raw).is_some_and(|d| d < since) {
                    continue;
                }
            }
        }
        let mut answer = if top_ok { p.command(&format!("TOP {n} {ALL_LINES}"), Step::Fetch)? } else { Err(String::new()) };
        if answer.is_err() && top_ok && n == first {
            // The first TOP failed: the server has none.
            top_ok = false;
        }
        if !top_ok {
            answer = p.command(&format!("RETR {n}"), Step::Fetch)?;
        }
        if answer.is_err() {
            // Deleted by another session meanwhile: skip it.
            continue;
        }
        raw = Vec::new();
        let truncated = p.multiline(&mut raw, opts.max_message_bytes, Step::Fetch)?;
        if let Some(since) = opts.since
            && date_of(&raw).is_some_and(|d| d < since)
        {
            continue;
        }
        summary.truncated += usize::from(truncated);
        let flow = sink(Event::Message(RawMessage { uid: n, unique_id: id.clone(), raw: std::mem::take(&mut raw), truncated }));
        summary.fetched += 1;
        if let Some(id) = id {
            state.uidl.insert(id);
        }
        if flow.is_break() {
            stop(&mut p);
            summary.cancelled = true;
            return Ok(summary);
        }
    }
    stop(&mut p);
    Ok(summary)
}

/// The day of a message's `Date:` header (first header block only).
fn date_of(raw: &[u8]) -> Option<Day> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.split("\r\n").peekable();
    while let Some(l) = lines.next() {
        if l.len() >= 5 && l[..5].eq_ignore_ascii_case("date:") {
            let mut v = l[5..].to_owned();
            while let Some(next) = lines.peek().filter(|n| n.starts_with([' ', '\t'])) {
                v.push_str(next);
                lines.next();
            }
            return Day::from_rfc5322(&v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_header() {
        let raw = b"From: a\r\nDate: Tue,\r\n 3 Feb 2026 10:00:00 +0000\r\n\r\nDate: 1 Jan 1999\r\n";
        assert_eq!(date_of(raw), Some(Day { year: 2026, month: 2, day: 3 }));
        assert_eq!(date_of(b"From: a\r\n\r\nbody"), None);
    }
}
