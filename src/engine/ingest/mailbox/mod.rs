//! The error mailbox as a source, read-only: IMAP through `EXAMINE` and
//! `BODY.PEEK[]` (nothing marked `\Seen`, nothing moved or deleted), POP3 with
//! `RETR` and never `DELE` (and `RSET` before `QUIT`, so servers that would
//! mark retrieved messages as read forget it). Messages come out one at a
//! time as raw bytes with their UID; [`super::email::read`] turns them into
//! records like any `.eml` file.
//!
//! Every network step has a timeout; plain text goes only to loopback
//! addresses unless the caller allows it; passwords are never logged.

mod imap;
mod net;
mod pop3;
mod state;
mod url;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use state::{MailboxState, StateError, StateFile};
pub use url::{MailboxUrl, Protocol, UrlError};

use crate::i18n::{tr, tr_fmt};

/// Messages larger than this are cut (the same limit as mbox messages).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// A calendar day for `--since` (`YYYY-MM-DD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    /// Year, e.g. 2026.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl Day {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Day> {
        let mut it = s.trim().split('-');
        let year = it.next()?.parse::<u16>().ok().filter(|y| (1970..=9999).contains(y))?;
        let month = it.next()?.parse::<u8>().ok().filter(|m| (1..=12).contains(m))?;
        let day = it.next()?.parse::<u8>().ok().filter(|d| (1..=31).contains(d))?;
        it.next().is_none().then_some(Day { year, month, day })
    }

    /// IMAP `date` syntax (RFC 3501): `1-Feb-2026`.
    pub fn imap(self) -> String {
        format!("{}-{}-{}", self.day, MONTHS[self.month as usize - 1], self.year)
    }

    /// The day of an RFC 5322 `Date:` value (`Mon, 2 Feb 2026 10:00:00 +0100`),
    /// as written (the sender's local day, like IMAP `SENTSINCE`).
    pub fn from_rfc5322(value: &str) -> Option<Day> {
        let words: Vec<&str> = value.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
        words.windows(3).find_map(|w| {
            let day = w[0].parse::<u8>().ok().filter(|d| (1..=31).contains(d))?;
            let month = MONTHS.iter().position(|m| w[1].len() >= 3 && m.eq_ignore_ascii_case(&w[1][..3]))? as u8 + 1;
            let year = w[2].parse::<u16>().ok()?;
            let year = match year {
                0..=49 => 2000 + year,
                50..=999 => 1900 + year,
                y => y,
            };
            Some(Day { year, month, day })
        })
    }
}

/// How to read a mailbox.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Only messages since this day (IMAP: arrival date, `SINCE`; POP3: the `Date:` header).
    pub since: Option<Day>,
    /// Allow plain text (password in clear) to a non-loopback server.
    pub allow_plaintext: bool,
    /// Timeout of each network step.
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM file), besides the system's.
    pub extra_roots: Option<PathBuf>,
    /// Messages per IMAP `UID FETCH` (bounds memory; progress comes per batch).
    pub batch: usize,
    /// Messages larger than this are cut.
    pub max_message_bytes: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            since: None,
            allow_plaintext: false,
            timeout: Duration::from_secs(30),
            extra_roots: None,
            batch: 50,
            max_message_bytes: MAX_MESSAGE_BYTES,
        }
    }
}

/// One message as the server holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    /// IMAP UID, or the POP3 message number of this session.
    pub uid: u64,
    /// POP3 `UIDL` unique id (IMAP: None).
    pub unique_id: Option<String>,
    /// The message bytes (CRLF line ends as the server sent them).
    pub raw: Vec<u8>,
    /// The message was larger than the limit and was cut.
    pub truncated: bool,
}

/// What a fetch reports while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The new messages were listed: `total` to fetch, `known` skipped as already read in an earlier run.
    Listed {
        /// Messages to fetch now.
        total: usize,
        /// Messages skipped by the state file.
        known: usize,
    },
    /// The server's UIDVALIDITY changed since the state was written: everything is read again.
    UidValidityChanged,
    /// One message.
    Message(RawMessage),
}

/// A network step, for timeout messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Name lookup.
    Resolve,
    /// TCP connect.
    Connect,
    /// TLS handshake.
    Tls,
    /// The server's greeting.
    Greeting,
    /// Login.
    Login,
    /// Opening the mailbox.
    Open,
    /// Listing messages.
    List,
    /// Fetching a message.
    Fetch,
    /// Logging out.
    Logout,
}

impl Step {
    fn label(self) -> &'static str {
        tr(match self {
            Step::Resolve => "mailbox.step_resolve",
            Step::Connect => "mailbox.step_connect",
            Step::Tls => "mailbox.step_tls",
            Step::Greeting => "mailbox.step_greeting",
            Step::Login => "mailbox.step_login",
            Step::Open => "mailbox.step_open",
            Step::List => "mailbox.step_list",
            Step::Fetch => "mailbox.step_fetch",
            Step::Logout => "mailbox.step_logout",
        })
    }
}

/// Why reading a mailbox stopped. Messages delivered before the error stay delivered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    /// The host name did not resolve.
    #[error("{}", tr_fmt("mailbox.err_resolve", &[("host", .host), ("error", .message)]))]
    Resolve {
        /// Host.
        host: String,
        /// System's words.
        message: String,
    },
    /// TCP connect failed.
    #[error("{}", tr_fmt("mailbox.err_connect", &[("address", .address), ("error", .message)]))]
    Connect {
        /// `host:port`.
        address: String,
        /// System's words.
        message: String,
    },
    /// A step took longer than the timeout.
    #[error("{}", tr_fmt("mailbox.err_timeout", &[("step", &.step.label()), ("seconds", .seconds)]))]
    Timeout {
        /// Which step.
        step: Step,
        /// The timeout.
        seconds: u64,
    },
    /// Plain text to a non-loopback server without `allow_plaintext`.
    #[error("{}", tr_fmt("mailbox.err_plaintext", &[("host", .host)]))]
    PlaintextRefused {
        /// Host.
        host: String,
    },
    /// TLS handshake or certificate failure.
    #[error("{}", tr_fmt("mailbox.err_tls", &[("error", .message)]))]
    Tls {
        /// rustls' words.
        message: String,
    },
    /// The extra root certificate file could not be used.
    #[error("{}", tr_fmt("mailbox.err_ca_file", &[("path", &.path.display()), ("error", .message)]))]
    CaFile {
        /// File.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The server refused the login.
    #[error("{}", tr_fmt("mailbox.err_login", &[("server", .server_says)]))]
    Login {
        /// The server's words.
        server_says: String,
    },
    /// The mailbox could not be opened (no such folder...).
    #[error("{}", tr_fmt("mailbox.err_open", &[("mailbox", .mailbox), ("server", .server_says)]))]
    Open {
        /// Mailbox name.
        mailbox: String,
        /// The server's words.
        server_says: String,
    },
    /// The server closed the connection.
    #[error("{}", tr_fmt("mailbox.err_closed", &[("step", &.step.label())]))]
    Closed {
        /// During which step.
        step: Step,
    },
    /// The server answered something we cannot use.
    #[error("{}", tr_fmt("mailbox.err_protocol", &[("step", &.step.label()), ("error", .message)]))]
    Protocol {
        /// During which step.
        step: Step,
        /// What it said / what was wrong.
        message: String,
    },
    /// A read or write failed.
    #[error("{}", tr_fmt("mailbox.err_io", &[("step", &.step.label()), ("error", .message)]))]
    Io {
        /// During which step.
        step: Step,
        /// System's words.
        message: String,
    },
}

impl MailboxError {
    /// An I/O error during `step`: a timeout, a closed connection or another failure.
    pub(crate) fn from_io(step: Step, e: &std::io::Error, timeout: Duration) -> MailboxError {
        if net::is_timeout(e) {
            MailboxError::Timeout { step, seconds: secs(timeout) }
        } else if matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::ConnectionAborted
        ) {
            MailboxError::Closed { step }
        } else {
            MailboxError::Io { step, message: e.to_string() }
        }
    }
}

/// A timeout in whole seconds for messages (at least 1).
pub(crate) fn secs(t: Duration) -> u64 {
    t.as_secs_f64().ceil().max(1.0) as u64
}

/// How a fetch ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchSummary {
    /// Messages delivered to the sink.
    pub fetched: usize,
    /// Messages skipped because an earlier run read them.
    pub known: usize,
    /// Messages cut at the size limit.
    pub truncated: usize,
    /// The sink asked to stop (cancel).
    pub cancelled: bool,
}

/// Reads the new messages of a mailbox, read-only, and hands each to `sink`
/// (return `ControlFlow::Break` to cancel). `state` is the incremental state
/// of this mailbox: it is read to skip known messages and advanced after each
/// message the sink accepted, so a failed run keeps what it got.
pub fn fetch(
    url: &MailboxUrl,
    password: &str,
    opts: &FetchOptions,
    state: &mut MailboxState,
    sink: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<FetchSummary, MailboxError> {
    let conn = net::connect(&net::ConnectOptions {
        host: &url.host,
        port: url.port,
        tls: url.protocol.tls(),
        allow_plaintext: opts.allow_plaintext,
        timeout: opts.timeout,
        extra_roots: opts.extra_roots.as_deref(),
    })?;
    if url.protocol.is_imap() {
        imap::fetch(conn, url, password, opts, state, sink)
    } else {
        pop3::fetch(conn, url, password, opts, state, sink)
    }
}

/// A password from a file (first line, line end stripped) for `--password-file`.
pub fn read_password_file(path: &Path) -> std::io::Result<String> {
    let s = std::fs::read_to_string(path)?;
    Ok(s.lines().next().unwrap_or("").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        let d = Day::parse("2026-02-01").unwrap();
        assert_eq!(d.imap(), "1-Feb-2026");
        assert_eq!(Day::parse("2026-13-01"), None);
        assert_eq!(Day::parse("2026-02"), None);
        assert_eq!(Day::from_rfc5322("Sun, 1 Feb 2026 10:00:00 +0100"), Some(d));
        assert_eq!(Day::from_rfc5322("1 february 26 10:00 GMT"), Some(d));
        assert_eq!(Day::from_rfc5322("garbage"), None);
        assert!(Day::parse("2025-12-31").unwrap() < d);
    }
}
