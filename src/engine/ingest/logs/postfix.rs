//! Postfix lines of a syslog maillog (classic `Mar  1 10:00:00 host` or
//! RFC 3339 timestamps): the delivery agents' `QUEUEID: to=<…>, relay=…,
//! dsn=…, status=bounced|deferred|sent (…)` lines. The reply after `said:` is
//! the text the rules see; `(in reply to RCPT TO command)` gives the phase.

use std::sync::LazyLock;

use regex::Regex;

use super::{LogLine, LogProblem, Skip, phase_of_command};
use crate::engine::ingest::record::{Action, MtaKind, Record, RecordSource};
use crate::engine::smtp::EnhancedCode;

/// `<timestamp> <host> <program>[pid]: <message>`.
static SYSLOG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*) \S+ (?P<prog>[^\s\[:]+)(?:\[\d+\])?: (?P<msg>.*)$",
    )
    .expect("static regex")
});
/// A delivery status line of a delivery agent.
static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<qid>[0-9A-Za-z]+): to=<(?P<to>[^>]*)>,(?P<fields>.*?) status=(?P<status>[a-z]+)(?: \((?P<text>.*)\))?\s*$")
        .expect("static regex")
});
/// The remote server's reply inside the parentheses.
static SAID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^host (?P<host>[^\s\[]+)(?:\[[^\]]*\])? said: (?P<reply>.*?)(?: \(in reply to (?P<cmd>.+?) command\))?$")
        .expect("static regex")
});

/// Whether a line is a syslog line of a Postfix program (`postfix/smtp[123]:`, `postfix-out/qmgr:`).
pub(super) fn is_postfix_line(line: &str) -> bool {
    SYSLOG.captures(line).is_some_and(|c| is_postfix_program(&c["prog"]))
}

fn is_postfix_program(prog: &str) -> bool {
    prog.split('/').next().is_some_and(|p| p == "postfix" || p.starts_with("postfix-") || p.starts_with("postfix_")) && prog.contains('/')
}

pub(super) fn parse_line(line: &str, source: &RecordSource) -> LogLine {
    let Some(c) = SYSLOG.captures(line) else {
        return LogLine::Malformed(LogProblem::OtherFormat);
    };
    let prog = &c["prog"];
    if !is_postfix_program(prog) {
        // Another daemon of the same maillog (dovecot, opendkim...).
        return LogLine::Skipped(Skip::Other);
    }
    let service = prog.rsplit('/').next().unwrap_or("");
    let msg = &c["msg"];
    if !msg.contains(" status=") {
        return LogLine::Skipped(match service {
            "smtpd" | "postscreen" | "pickup" | "cleanup" => Skip::Reception,
            _ => Skip::Other,
        });
    }
    let Some(s) = STATUS.captures(msg) else {
        // qmgr's "from=<…>, status=expired, returned to sender" is about the message, not a recipient.
        return if msg.contains(" to=<") { LogLine::Malformed(LogProblem::Unreadable) } else { LogLine::Skipped(Skip::Other) };
    };
    let action = match &s["status"] {
        "sent" | "deliverable" => return LogLine::Skipped(Skip::Delivery),
        "bounced" | "undeliverable" | "expired" => Action::Failed,
        "deferred" => Action::Delayed,
        _ => return LogLine::Skipped(Skip::Other),
    };
    let fields = &s["fields"];
    let field = |name: &str| {
        fields
            .split(", ")
            .map(|f| f.trim().trim_end_matches(','))
            .find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .map(str::to_owned)
    };
    let inner = s.name("text").map_or("", |m| m.as_str());
    let (text, remote, phase) = match SAID.captures(inner) {
        Some(h) => (h["reply"].to_owned(), Some(h["host"].to_owned()), h.name("cmd").and_then(|m| phase_of_command(m.as_str()))),
        None => {
            // "connect to HOST[IP]:25: Connection timed out" names the host when relay=none.
            let relay = field("relay").filter(|r| r != "none").or_else(|| inner.strip_prefix("connect to ").map(str::to_owned));
            let relay = relay.map(|r| r.split(['[', ':']).next().unwrap_or("").to_owned()).filter(|r| !r.is_empty() && r != "none");
            (inner.to_owned(), relay, None)
        }
    };
    let mut r = Record::plain(text, source.clone());
    r.recipient = Some(s["to"].to_owned()).filter(|t| !t.is_empty());
    r.enhanced_code = field("dsn").and_then(|d| EnhancedCode::parse(&d));
    r.phase = phase;
    r.remote_mta = remote;
    r.reporter = MtaKind::Log("postfix");
    r.action = Some(action);
    LogLine::Records(vec![r])
}
