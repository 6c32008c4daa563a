//! Error mailboxes against a real Dovecot: every message read, byte for byte,
//! over IMAP and POP3 (plain and TLS), the mailbox unchanged afterwards (same
//! files, none `\Seen`), incremental runs, and the bad cases (wrong password,
//! untrusted certificate, a server that never answers or closes mid-fetch, a
//! 50 MB message, thousands of messages streamed with progress).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use bouncelab::engine::ingest::mailbox::{self, Day, Event, FetchOptions, MailboxError, MailboxState, MailboxUrl, RawMessage, Step};

use crate::dovecot::{Dovecot, PASSWORD, USER, certificate};

/// `n` dev emails spread over the MTA families: their files.
pub(crate) fn corpus_files(n: usize) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/emails-dev");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).expect("corpus").flatten().map(|e| e.path()).collect();
    files.sort();
    // Spread over MTA families rather than the first few.
    let step = (files.len() / n).max(1);
    files.into_iter().step_by(step).take(n).collect()
}

fn corpus(n: usize) -> Vec<Vec<u8>> {
    corpus_files(n).iter().map(|p| std::fs::read(p).expect("eml")).collect()
}

/// Servers send CRLF; Maildir files may hold LF.
fn norm(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn url(scheme: &str, port: u16) -> MailboxUrl {
    let path = if scheme.starts_with("imap") { "/INBOX" } else { "" };
    MailboxUrl::parse(&format!("{scheme}://{USER}@127.0.0.1:{port}{path}")).expect("url")
}

fn opts() -> FetchOptions {
    FetchOptions { timeout: Duration::from_secs(30), batch: 5, ..Default::default() }
}

fn tls_opts() -> FetchOptions {
    FetchOptions { extra_roots: Some(certificate().0.to_owned()), ..opts() }
}

struct Run {
    result: Result<mailbox::FetchSummary, MailboxError>,
    messages: Vec<RawMessage>,
    events: Vec<Event>,
}

fn run(url: &MailboxUrl, password: &str, o: &FetchOptions, state: &mut MailboxState) -> Run {
    let mut messages = Vec::new();
    let mut events = Vec::new();
    let result = mailbox::fetch(url, password, o, state, &mut |e| {
        match e {
            Event::Message(m) => messages.push(m),
            e => events.push(e),
        }
        ControlFlow::Continue(())
    });
    Run { result, messages, events }
}

fn sorted(v: impl IntoIterator<Item = Vec<u8>>) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = v.into_iter().map(|b| norm(&b)).collect();
    v.sort();
    v
}

/// The mailbox holds the same files as before and none is flagged `\Seen` (`S` after `:2,`).
pub(crate) fn assert_unchanged(d: &Dovecot, before: &[(String, Vec<u8>)]) {
    let after = d.snapshot();
    assert_eq!(after.iter().map(|a| &a.0).collect::<Vec<_>>(), before.iter().map(|b| &b.0).collect::<Vec<_>>(), "message files changed");
    assert!(after == before, "message contents changed");
    for (name, _) in &after {
        let flags = name.rsplit_once(":2,").map(|f| f.1).unwrap_or("");
        assert!(!flags.contains('S'), "{name} was marked \\Seen");
        assert!(!flags.contains('T'), "{name} was marked deleted");
    }
}

fn read_only_round(scheme: &str, port_of: impl Fn(&Dovecot) -> u16, o: FetchOptions) {
    let msgs = corpus(12);
    let d = Dovecot::start(&msgs);
    let before = d.snapshot();
    let u = url(scheme, port_of(&d));
    let mut state = MailboxState::default();
    let r = run(&u, PASSWORD, &o, &mut state);
    let summary = r.result.unwrap_or_else(|e| panic!("{scheme}: {e}\n{}", d.log()));
    assert_eq!(summary.fetched, 12);
    assert_eq!(sorted(r.messages.iter().map(|m| m.raw.clone())), sorted(msgs.clone()), "{scheme}: fetched bytes differ from the files");
    assert!(r.events.contains(&Event::Listed { total: 12, known: 0 }), "{:?}", r.events);
    assert_unchanged(&d, &before);

    // Incremental: nothing new, then one new message.
    let r = run(&u, PASSWORD, &o, &mut state);
    assert_eq!(r.result.expect("second run").known, 12);
    assert!(r.messages.is_empty());
    let extra = b"From: MAILER-DAEMON@example.net\r\nSubject: Undelivered\r\n\r\n550 5.1.1 no such user\r\n".to_vec();
    d.deliver(99, &extra);
    let before = d.snapshot();
    let r = run(&u, PASSWORD, &o, &mut state);
    r.result.expect("third run");
    assert_eq!(r.messages.iter().map(|m| norm(&m.raw)).collect::<Vec<_>>(), vec![norm(&extra)]);
    assert_unchanged(&d, &before);
}

#[test]
fn imap_reads_every_message_and_changes_nothing() {
    read_only_round("imap", |d| d.imap, opts());
}

#[test]
fn imaps_reads_every_message_and_changes_nothing() {
    read_only_round("imaps", |d| d.imaps, tls_opts());
}

#[test]
fn pop3_reads_every_message_and_changes_nothing() {
    read_only_round("pop3", |d| d.pop3, opts());
}

#[test]
fn pop3s_reads_every_message_and_changes_nothing() {
    read_only_round("pop3s", |d| d.pop3s, tls_opts());
}

#[test]
fn wrong_password_and_untrusted_certificate_are_clear_errors() {
    let d = Dovecot::start(&corpus(2));
    let before = d.snapshot();
    for (scheme, port) in [("imap", d.imap), ("pop3", d.pop3)] {
        let r = run(&url(scheme, port), "wrong", &opts(), &mut MailboxState::default());
        match r.result {
            Err(e @ MailboxError::Login { .. }) => assert!(!e.to_string().contains("wrong"), "password in message: {e}"),
            other => panic!("{scheme}: expected a login error, got {other:?}"),
        }
        assert!(r.messages.is_empty());
    }
    // The system roots do not know the test certificate.
    for (scheme, port) in [("imaps", d.imaps), ("pop3s", d.pop3s)] {
        let r = run(&url(scheme, port), PASSWORD, &opts(), &mut MailboxState::default());
        assert!(matches!(r.result, Err(MailboxError::Tls { .. })), "{scheme}: {:?}", r.result);
    }
    // TLS spoken to a plain-text port.
    let r = run(&url("imaps", d.imap), PASSWORD, &tls_opts(), &mut MailboxState::default());
    assert!(
        matches!(r.result, Err(MailboxError::Tls { .. } | MailboxError::Timeout { .. } | MailboxError::Closed { .. })),
        "{:?}",
        r.result
    );
    // A missing folder.
    let r = run(
        &MailboxUrl::parse(&format!("imap://{USER}@127.0.0.1:{}/Nope", d.imap)).unwrap(),
        PASSWORD,
        &opts(),
        &mut MailboxState::default(),
    );
    assert!(matches!(r.result, Err(MailboxError::Open { .. })), "{:?}", r.result);
    assert_unchanged(&d, &before);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Never accepts: connections wait in the backlog and nothing is ever said.
    let o = FetchOptions { timeout: Duration::from_millis(500), ..opts() };
    for scheme in ["imap", "pop3s"] {
        let r = run(&url(scheme, port), PASSWORD, &o, &mut MailboxState::default());
        let want = if scheme == "imap" { Step::Greeting } else { Step::Tls };
        assert!(matches!(r.result, Err(MailboxError::Timeout { step, seconds: 1 }) if step == want), "{scheme}: {:?}", r.result);
    }
    drop(listener);
    // Nothing listens at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = run(&url("imap", closed), PASSWORD, &o, &mut MailboxState::default());
    assert!(matches!(r.result, Err(MailboxError::Connect { .. })), "{:?}", r.result);
}

#[test]
fn a_server_closing_mid_fetch_keeps_what_was_read() {
    let msgs = corpus(6);
    let d = Dovecot::start(&msgs);
    let before = d.snapshot();
    for (scheme, port) in [("imap", d.imap), ("pop3", d.pop3)] {
        let u = url(scheme, port);
        let mut state = MailboxState::default();
        let o = FetchOptions { batch: 1, ..opts() };
        let mut got = 0;
        let result = mailbox::fetch(&u, PASSWORD, &o, &mut state, &mut |e| {
            if matches!(e, Event::Message(_)) {
                got += 1;
                if got == 2 {
                    d.kick();
                }
            }
            ControlFlow::Continue(())
        });
        assert!(result.is_err(), "{scheme}: the kick should end the session, got {result:?}");
        assert!((2..6).contains(&got), "{scheme}: {got} messages before the error");
        // The next run reads the rest (IMAP by UID, POP3 by UIDL), none twice.
        let r = run(&u, PASSWORD, &opts(), &mut state);
        r.result.unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert_eq!(got + r.messages.len(), 6, "{scheme}");
    }
    assert_unchanged(&d, &before);
}

#[test]
fn a_50_mb_message_is_read_whole_or_cut_at_the_limit() {
    let mut big =
        b"From: MAILER-DAEMON@example.net\r\nSubject: Undelivered Mail\r\nContent-Type: text/plain\r\n\r\n550 5.2.3 message too big\r\n"
            .to_vec();
    let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\r\n";
    while big.len() < 50 << 20 {
        big.extend_from_slice(line);
    }
    let d = Dovecot::start(std::slice::from_ref(&big));
    let before = d.snapshot();
    for (scheme, port) in [("imap", d.imap), ("pop3", d.pop3)] {
        let r = run(&url(scheme, port), PASSWORD, &opts(), &mut MailboxState::default());
        r.result.unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert_eq!(r.messages.len(), 1);
        assert!(!r.messages[0].truncated);
        assert!(norm(&r.messages[0].raw) == norm(&big), "{scheme}: the big message differs");
        let o = FetchOptions { max_message_bytes: 1 << 20, ..opts() };
        let r = run(&url(scheme, port), PASSWORD, &o, &mut MailboxState::default());
        assert_eq!(r.result.unwrap_or_else(|e| panic!("{scheme}: {e}")).truncated, 1);
        let m = &r.messages[0];
        assert!(m.truncated && m.raw.len() <= 1 << 20 && big.starts_with(&m.raw[..1000]), "{scheme}: cut at {}", m.raw.len());
    }
    assert_unchanged(&d, &before);
}

#[test]
fn thousands_of_messages_stream_in_order_with_progress() {
    const N: usize = 3000;
    let msgs: Vec<Vec<u8>> = (0..N)
        .map(|i| {
            format!("From: MAILER-DAEMON@example.net\r\nSubject: bounce {i}\r\n\r\n550 5.1.1 <u{i}@example.com>: unknown\r\n").into_bytes()
        })
        .collect();
    let d = Dovecot::start(&msgs);
    let u = url("imap", d.imap);
    let mut state = MailboxState::default();
    let o = FetchOptions { batch: 200, ..opts() };
    let mut first_event = None;
    let mut last_uid = 0;
    let mut count = 0;
    mailbox::fetch(&u, PASSWORD, &o, &mut state, &mut |e| {
        match e {
            Event::Message(m) => {
                assert!(m.uid > last_uid, "UIDs ascend");
                last_uid = m.uid;
                count += 1;
            }
            e => {
                first_event.get_or_insert(e);
            }
        }
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", d.log()));
    assert_eq!(first_event, Some(Event::Listed { total: N, known: 0 }));
    assert_eq!(count, N);
    assert_eq!(state.last_uid as u64, last_uid);
    // Cancel after 10: the state says 10 were read.
    let mut state = MailboxState::default();
    let mut seen = 0;
    let s = mailbox::fetch(&u, PASSWORD, &o, &mut state, &mut |e| {
        if matches!(e, Event::Message(_)) {
            seen += 1;
            if seen == 10 {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    assert!(s.cancelled && s.fetched == 10 && state.last_uid == 10, "{s:?} {state:?}");
}

#[test]
fn since_skips_older_messages() {
    let mk = |day: &str| {
        format!("From: MAILER-DAEMON@example.net\r\nDate: {day} 10:00:00 +0000\r\nSubject: bounce\r\n\r\n550 5.1.1 unknown {day}\r\n")
            .into_bytes()
    };
    let msgs = vec![mk("Mon, 3 Jan 2022"), mk("Thu, 1 Jan 2026"), mk("Wed, 5 Jun 2024")];
    let d = Dovecot::start(&msgs);
    // IMAP SINCE is on the arrival date: Maildir takes it from the file time.
    for (i, name) in d.snapshot().iter().map(|s| s.0.clone()).enumerate() {
        let stamp = ["2022-01-03", "2026-01-01", "2024-06-05"][i];
        let st = std::process::Command::new("touch").args(["-d", stamp]).arg(d.maildir().join(&name)).status().unwrap();
        assert!(st.success());
    }
    let o = FetchOptions { since: Day::parse("2024-01-01"), ..opts() };
    for (scheme, port) in [("imap", d.imap), ("pop3", d.pop3)] {
        let r = run(&url(scheme, port), PASSWORD, &o, &mut MailboxState::default());
        r.result.unwrap_or_else(|e| panic!("{scheme}: {e}\n{}", d.log()));
        let mut got: Vec<String> =
            r.messages.iter().map(|m| String::from_utf8_lossy(&m.raw).lines().last().unwrap_or("").to_owned()).collect();
        got.sort();
        assert_eq!(got, ["550 5.1.1 unknown Thu, 1 Jan 2026", "550 5.1.1 unknown Wed, 5 Jun 2024"], "{scheme}");
    }
}
