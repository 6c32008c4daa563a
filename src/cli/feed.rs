//! `classify`'s inputs read on a thread of their own and handed on in order:
//! files, stdin and mailboxes. Reading goes on while the main thread
//! classifies, and a live input (`tail -F maillog |`) hands on what it read
//! as soon as the next read would wait, so the classifier sees each line
//! without waiting for the next block to fill.

use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::engine::ingest::mailbox::{self, Event, FetchOptions, FetchSummary, MailboxError, MailboxState, MailboxUrl, StateFile};
use crate::engine::ingest::{self, Input, Note, RecordSource, Unit};

/// Units per message while input flows (a partial chunk goes as soon as the input stalls).
const CHUNK_UNITS: usize = 512;
/// Email bytes per message: bounds what waits in the channel.
const CHUNK_BYTES: usize = 4 << 20;
/// Messages the channel holds before the reader waits for the classifier.
const CHANNEL: usize = 8;
/// A progress line every this many mailbox messages.
const PROGRESS_EVERY: usize = 500;

/// One input of `classify`.
pub(crate) enum Source {
    /// A file, a Maildir message, or stdin.
    Input(Input),
    /// An error mailbox.
    Mailbox(MailboxUrl),
}

/// What the reader thread hands on, in input order.
pub(crate) enum Msg {
    /// Units read.
    Units(Vec<Unit>),
    /// Every unit of source `n` (index into the sources given) was handed on.
    Done(usize),
    /// A mailbox's new messages were listed.
    Listed {
        /// The mailbox.
        url: String,
        /// Messages to read now.
        total: usize,
        /// Messages read in earlier runs.
        known: usize,
    },
    /// A mailbox fetch has read this many of `total` messages.
    Progress {
        /// The mailbox.
        url: String,
        /// Read so far.
        done: usize,
        /// To read.
        total: usize,
    },
    /// The server renumbered the mailbox: everything is read again.
    UidValidityChanged(String),
    /// A mailbox fetch ended; `state` covers every message handed on before.
    MailboxDone {
        /// The mailbox.
        url: MailboxUrl,
        /// Its state after this run.
        state: MailboxState,
        /// How the fetch ended.
        result: Result<FetchSummary, MailboxError>,
    },
}

/// How to reach mailboxes.
pub(crate) struct MailboxAccess {
    /// The password (never logged).
    pub password: String,
    /// Since, TLS roots, plain text...
    pub fetch: FetchOptions,
    /// Earlier runs' state (empty without `--state`).
    pub states: StateFile,
}

/// How to read.
pub(crate) struct FeedOptions {
    /// CSV column.
    pub column: Option<usize>,
    /// Hand on every unit by itself.
    pub line_buffered: bool,
    /// Set when a source is a mailbox.
    pub mailbox: Option<MailboxAccess>,
}

/// Starts reading `sources` in order on a new thread; the messages arrive on
/// the receiver. Dropping the receiver stops the reading at the next unit.
pub(crate) fn start(sources: Vec<Source>, opts: FeedOptions) -> Receiver<Msg> {
    let (tx, rx) = sync_channel(CHANNEL);
    std::thread::spawn(move || {
        for (i, s) in sources.into_iter().enumerate() {
            let go_on = match s {
                Source::Input(input) => read_one(&input, &opts, &tx),
                Source::Mailbox(url) => fetch_one(url, &opts, &tx),
            };
            if go_on.is_break() || tx.send(Msg::Done(i)).is_err() {
                return;
            }
        }
    });
    rx
}

/// A reader that tells when its buffer is used up, i.e. when the next read
/// may wait for the input: then what was read must go on at once.
struct Watched<R> {
    inner: BufReader<R>,
    drained: Arc<AtomicBool>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.drained.store(self.inner.buffer().is_empty(), Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Read> BufRead for Watched<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.drained.store(self.inner.buffer().is_empty(), Ordering::Relaxed);
    }
}

fn watched<R: Read + Send + 'static>(r: R, drained: &Arc<AtomicBool>) -> Box<dyn BufRead + Send> {
    Box::new(Watched { inner: BufReader::with_capacity(1 << 16, r), drained: Arc::clone(drained) })
}

fn read_one(input: &Input, opts: &FeedOptions, tx: &SyncSender<Msg>) -> ControlFlow<()> {
    let drained = Arc::new(AtomicBool::new(false));
    let reader = match &input.path {
        None => watched(io::stdin(), &drained),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => watched(f, &drained),
            Err(e) => {
                let source = RecordSource { file: Some(p.clone()), message: None, line: None };
                return send(tx, vec![Unit::Note(source, Note::Io(e.to_string()))]);
            }
        },
    };
    let units = ingest::read_stream(reader, input.path.as_deref(), input.kind, opts.column);
    let mut chunk = Vec::new();
    let mut bytes = 0;
    for u in units {
        if let Unit::Email { raw, .. } = &u {
            bytes += raw.len();
        }
        chunk.push(u);
        if opts.line_buffered || chunk.len() >= CHUNK_UNITS || bytes >= CHUNK_BYTES || drained.load(Ordering::Relaxed) {
            bytes = 0;
            send(tx, std::mem::take(&mut chunk))?;
        }
    }
    if chunk.is_empty() { ControlFlow::Continue(()) } else { send(tx, chunk) }
}

fn send(tx: &SyncSender<Msg>, units: Vec<Unit>) -> ControlFlow<()> {
    if tx.send(Msg::Units(units)).is_ok() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
}

fn fetch_one(url: MailboxUrl, opts: &FeedOptions, tx: &SyncSender<Msg>) -> ControlFlow<()> {
    let Some(access) = &opts.mailbox else { return ControlFlow::Continue(()) };
    let mut state = access.states.get(&url);
    let name = url.to_string();
    let file = PathBuf::from(&name);
    let (mut total, mut done) = (0, 0);
    let result = mailbox::fetch(&url, &access.password, &access.fetch, &mut state, &mut |ev| {
        let msg = match ev {
            Event::Listed { total: t, known } => {
                total = t;
                Msg::Listed { url: name.clone(), total: t, known }
            }
            Event::UidValidityChanged => Msg::UidValidityChanged(name.clone()),
            Event::Message(m) => {
                let source = RecordSource { file: Some(file.clone()), message: Some(m.uid), line: None };
                let mut units = Vec::with_capacity(2);
                if m.truncated {
                    units.push(Unit::Note(source.clone(), Note::EmailCut(access.fetch.max_message_bytes)));
                }
                units.push(Unit::Email { source, raw: m.raw });
                send(tx, units)?;
                done += 1;
                if done % PROGRESS_EVERY != 0 || done == total {
                    return ControlFlow::Continue(());
                }
                Msg::Progress { url: name.clone(), done, total }
            }
        };
        if tx.send(msg).is_ok() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
    });
    if tx.send(Msg::MailboxDone { url, state, result }).is_ok() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
}
