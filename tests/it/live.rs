//! Live pipelines (`tail -F maillog | bouncelab classify`): each verdict comes
//! out as soon as its line is read, while the writer keeps the pipe open,
//! with and without `--line-buffered`, for reply lines and log lines alike.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;

/// Generous: the machine is shared and often loaded; a verdict that waits for
/// the end of the input never comes while the writer holds the pipe open.
const WAIT: Duration = Duration::from_secs(60);

struct Live {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

fn start(extra: &[&str]) -> Live {
    let rules = format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bouncelab"))
        .env("LC_ALL", "C")
        .args(["classify", "--rules", &rules])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bouncelab");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    Live { stdin: child.stdin.take(), child, lines }
}

impl Live {
    /// Writes one line and waits for one verdict, the pipe still open.
    fn line(&mut self, text: &str) -> Value {
        let w = self.stdin.as_mut().unwrap();
        w.write_all(text.as_bytes()).and_then(|_| w.write_all(b"\n")).and_then(|_| w.flush()).expect("write");
        let got = self.lines.recv_timeout(WAIT).unwrap_or_else(|_| panic!("no verdict for {text:?} while the input stays open"));
        serde_json::from_str(&got).expect("a JSON verdict")
    }

    /// Closes the input; the process ends by itself, with nothing more to say.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "{status:?}");
        assert!(self.lines.recv_timeout(WAIT).is_err(), "no output after the last line");
    }
}

fn live_lines(extra: &[&str]) {
    let mut l = start(extra);
    let v = l.line("550 5.1.1 <a@example.org>: Recipient address rejected: User unknown");
    assert_eq!((v["category"].as_str(), v["line"].as_u64()), (Some("userunknown"), Some(1)), "{v}");
    let v = l.line("452 4.2.2 Mailbox full, try again later");
    assert_eq!((v["category"].as_str(), v["line"].as_u64()), (Some("mailboxfull"), Some(2)), "{v}");
    l.finish();
}

#[test]
fn each_line_is_classified_as_soon_as_it_is_read() {
    live_lines(&[]);
}

#[test]
fn line_buffered_writes_each_line_at_once() {
    live_lines(&["--line-buffered"]);
}

#[test]
fn a_growing_maillog_gives_each_bounce_at_once() {
    let mut l = start(&[]);
    let v = l.line(
        "Mar  1 10:00:02 mx1 postfix/smtp[104]: 4B2C1A: to=<bob@example.org>, relay=mx1.example.org[192.0.2.10]:25, \
         dsn=5.1.1, status=bounced (host mx1.example.org[192.0.2.10] said: 550 5.1.1 <bob@example.org>: Recipient address \
         rejected: User unknown (in reply to RCPT TO command))",
    );
    assert_eq!(
        (v["recipient"].as_str(), v["phase"].as_str(), v["mta"].as_str(), v["category"].as_str()),
        (Some("bob@example.org"), Some("rcpt_to"), Some("log:postfix"), Some("userunknown")),
        "{v}"
    );
    // A delivery gives nothing; the next bounce comes at once all the same.
    let w = l.stdin.as_mut().unwrap();
    w.write_all(b"Mar  1 10:00:03 mx1 postfix/smtp[104]: 4B2C1B: to=<ann@example.org>, relay=mx1.example.org[192.0.2.10]:25, dsn=2.0.0, status=sent (250 ok)\n").unwrap();
    let v = l.line(
        "Mar  1 10:00:04 mx1 postfix/smtp[105]: 5C3D2B: to=<carol@example.net>, relay=in.example.net[198.51.100.7]:25, \
         dsn=4.2.2, status=deferred (host in.example.net[198.51.100.7] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))",
    );
    assert_eq!(
        (v["recipient"].as_str(), v["line"].as_u64(), v["action"].as_str()),
        (Some("carol@example.net"), Some(3), Some("delayed")),
        "{v}"
    );
    l.finish();
}

#[test]
fn kumomta_records_on_stdin_carry_the_mta_class() {
    let mut l = start(&["--line-buffered"]);
    let v = l.line(
        r#"{"type":"Bounce","id":"b2","recipient":"bob@example.org","response":{"code":550,"enhanced_code":{"class":5,"subject":1,"detail":1},"content":"no such user","command":"RCPT TO:<bob@example.org>"},"bounce_classification":"InvalidRecipient"}"#,
    );
    assert_eq!(
        (v["recipient"].as_str(), v["log_class"].as_str(), v["classes"]["kumomta"].as_str()),
        (Some("bob@example.org"), Some("InvalidRecipient"), Some("InvalidRecipient")),
        "{v}"
    );
    l.finish();
}
