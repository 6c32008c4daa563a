//! SMTP reply parsing: basic reply codes (RFC 5321), enhanced status codes
//! (RFC 3463), multi-line replies and RFC 3464 delivery status fields.
//!
//! Everything here works on byte offsets into the caller's text and allocates
//! nothing, so the classifier can call it on its hot path.

use std::fmt;
use std::ops::Range;

/// An RFC 3463 enhanced status code `class.subject.detail`, e.g. `5.1.1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedCode {
    /// 2 success, 4 transient, 5 permanent.
    pub class: u8,
    /// Subject (0 other, 1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol, 6 content, 7 security).
    pub subject: u16,
    /// Detail within the subject.
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl EnhancedCode {
    /// Parses exactly `c.s.d`.
    pub fn parse(s: &str) -> Option<EnhancedCode> {
        let b = s.trim().as_bytes();
        match scan_enhanced(b, 0) {
            Some((code, end)) if end == b.len() => Some(code),
            _ => None,
        }
    }

    /// Whether a pattern such as `5.1.1`, `*.2.2` or `4.*.*` matches this code.
    pub fn matches_pattern(&self, pattern: &str) -> bool {
        let mut parts = pattern.trim().split('.');
        let mut next = |v: u32| match parts.next() {
            Some("*") => true,
            Some(p) => p.parse::<u32>().is_ok_and(|n| n == v),
            None => false,
        };
        let ok = next(self.class as u32) && next(self.subject as u32) && next(self.detail as u32);
        ok && parts.next().is_none()
    }
}

/// The SMTP command an error was the answer to (RFC 5321), when a bounce says it.
/// Some categories depend on it: "user unknown" after DATA is a content filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Phase {
    /// The greeting, before any command.
    Connect,
    /// `HELO` / `EHLO` (and `STARTTLS`, `AUTH`).
    Helo,
    /// `MAIL FROM`.
    MailFrom,
    /// `RCPT TO`.
    RcptTo,
    /// `DATA` itself.
    Data,
    /// After the message body was sent (the final `.`).
    EndOfData,
}

impl Phase {
    /// All phases, in session order.
    pub const ALL: [Phase; 6] = [Phase::Connect, Phase::Helo, Phase::MailFrom, Phase::RcptTo, Phase::Data, Phase::EndOfData];

    /// The stable snake_case name of machine outputs (`rcpt_to`, `end_of_data`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Helo => "helo",
            Phase::MailFrom => "mail_from",
            Phase::RcptTo => "rcpt_to",
            Phase::Data => "data",
            Phase::EndOfData => "end_of_data",
        }
    }
}

impl Phase {
    /// The phase as users read it: SMTP commands as written, the two others
    /// in words of the current language.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Connect => crate::i18n::tr("batch.phase_connect"),
            Phase::Helo => "HELO",
            Phase::MailFrom => "MAIL FROM",
            Phase::RcptTo => "RCPT TO",
            Phase::Data => "DATA",
            Phase::EndOfData => crate::i18n::tr("batch.phase_end_of_data"),
        }
    }

    /// Parses a machine name (`rcpt_to`) or an SMTP command (`RCPT TO`, `EHLO`), any case.
    pub fn parse(s: &str) -> Option<Phase> {
        let w = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match w.as_str() {
            "connect" | "connection" | "greeting" => Phase::Connect,
            "helo" | "ehlo" | "starttls" | "auth" => Phase::Helo,
            "mail_from" | "mail" => Phase::MailFrom,
            "rcpt_to" | "rcpt" => Phase::RcptTo,
            "data" => Phase::Data,
            "end_of_data" | "eod" => Phase::EndOfData,
            _ => return None,
        })
    }
}

/// The SMTP phase a bounce text says its error came in, e.g. Postfix's
/// "(in reply to RCPT TO command)", Exim's "after end of data", qmail's
/// "does not like recipient", or the last `>>> COMMAND` of a Sendmail
/// transcript before the error. None when the text does not say.
pub fn scan_phase(text: &str) -> Option<Phase> {
    use std::sync::LazyLock;
    // Phrases MTAs use, most specific first within one regex; the earliest hit wins.
    static PHRASES: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?xi)
            (?P<eod>in\s+reply\s+to\s+end\s+of\s+data|after\s+end\s+of\s+data|after\s+(?:i\s+)?sen[dt](?:ing)?\s+(?:the\s+)?message|failed\s+after\s+i\s+sent|end\s+of\s+data\s+command)
            |(?P<data>in\s+reply\s+to\s+data\s+command|after\s+(?:pipelined\s+)?data\b|failed\s+on\s+data\s+command|\bdata\s+command\s+failed|smtp\s+command\s*:?\s*data\b)
            |(?P<rcpt>in\s+reply\s+to\s+rcpt\s+to|smtp\s+command\s*:?\s*rcpt\b|after\s+(?:pipelined\s+)?rcpt\s+to|does\s+not\s+like\s+recipient|rcpt\s+to\s+response|in\s+rcpt\s+to\b)
            |(?P<mail>in\s+reply\s+to\s+mail\s+from|smtp\s+command\s*:?\s*mail\b|after\s+(?:pipelined\s+)?mail\s+from|sender\s+was\s+rejected|mail\s+from\s+response)
            |(?P<helo>in\s+reply\s+to\s+(?:helo|ehlo|lhlo|starttls|auth)|after\s+(?:helo|ehlo|starttls|auth)\b|my\s+name\s+was\s+rejected)
            |(?P<conn>after\s+initial\s+connection|greeting\s+failed|in\s+reply\s+to\s+initial|while\s+connecting|connection\s+greeting)",
        )
        .expect("static phase regex")
    });
    // Sendmail / qmail transcripts: ">>> RCPT To:<a@b>" then "<<< 550 ...".
    static TRANSCRIPT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?mi)^\s*>>>\s*(HELO|EHLO|MAIL\s+FROM|RCPT\s+TO|DATA|\.)|^\s*<<<\s*([45])\d\d")
            .expect("static transcript regex")
    });
    let mut last_cmd = None;
    // The first error reply after a command, and whether another reply follows it before
    // the next command: with PIPELINING, Sendmail prints ">>> DATA" and then the RCPT TO
    // rejection followed by DATA's own "503 Need RCPT" / "554 no valid recipients".
    let mut error: Option<Phase> = None;
    for c in TRANSCRIPT.captures_iter(text) {
        match (c.get(1), c.get(2), error) {
            (Some(_), _, Some(p)) => return Some(p),
            (Some(cmd), _, None) => {
                let w = cmd.as_str().to_ascii_uppercase();
                last_cmd = Some(match w.split_whitespace().next().unwrap_or("") {
                    "HELO" | "EHLO" => Phase::Helo,
                    "MAIL" => Phase::MailFrom,
                    "RCPT" => Phase::RcptTo,
                    "DATA" => Phase::Data,
                    _ => Phase::EndOfData,
                });
            }
            (None, Some(_), Some(Phase::Data)) => return Some(Phase::RcptTo),
            (None, Some(_), Some(p)) => return Some(p),
            (None, Some(_), None) if last_cmd.is_some() => error = last_cmd,
            _ => {}
        }
    }
    if error.is_some() {
        return error;
    }
    let c = PHRASES.captures(text)?;
    let named = [
        ("eod", Phase::EndOfData),
        ("data", Phase::Data),
        ("rcpt", Phase::RcptTo),
        ("mail", Phase::MailFrom),
        ("helo", Phase::Helo),
        ("conn", Phase::Connect),
    ];
    named.iter().find(|(n, _)| c.name(n).is_some()).map(|(_, p)| *p)
}

/// Whether a reply code pattern (`550`, `55*`, `5**`) matches `code`.
pub fn reply_code_matches(code: u16, pattern: &str) -> bool {
    let p = pattern.trim().as_bytes();
    let digits = [b'0' + (code / 100 % 10) as u8, b'0' + (code / 10 % 10) as u8, b'0' + (code % 10) as u8];
    p.len() == 3 && p.iter().zip(digits).all(|(&pc, d)| pc == b'*' || pc == b'x' || pc == d)
}

/// What the parser found in a pasted reply, bounce text or DSN.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Reply {
    /// The basic reply code (RFC 5321), e.g. 550.
    pub basic_code: Option<u16>,
    /// The enhanced status code, from the text or the DSN `Status:` field.
    pub enhanced_code: Option<EnhancedCode>,
    /// The part of the input rules are matched against: the `Diagnostic-Code`
    /// value of a DSN, else the whole input.
    pub text: Range<usize>,
    /// Whether the input looked like an RFC 3464 report.
    pub is_dsn: bool,
}

/// Parses one reply or bounce text. Never panics, on any input.
pub fn parse(input: &str) -> Reply {
    if let Some(diag) = dsn_field(input, "diagnostic-code") {
        let mut text = diag.clone();
        // "smtp; 550 ..." — the type prefix is not part of the reply.
        if let Some(semi) = input[diag.clone()].find(';') {
            let prefix = &input[diag.start..diag.start + semi];
            if prefix.len() <= 16 && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                text.start += semi + 1;
                while text.start < text.end && input.as_bytes()[text.start].is_ascii_whitespace() {
                    text.start += 1;
                }
            }
        }
        let (basic_code, text_enhanced) = scan_codes(&input[text.clone()]);
        let status = dsn_field(input, "status").and_then(|r| {
            let b = input[r].trim_start().as_bytes();
            scan_enhanced(b, 0).map(|(c, _)| c)
        });
        return Reply { basic_code, enhanced_code: text_enhanced.or(status), text, is_dsn: true };
    }
    let (basic_code, enhanced_code) = scan_codes(input);
    let enhanced_code = enhanced_code
        .or_else(|| dsn_field(input, "status").and_then(|r| scan_enhanced(input[r].trim_start().as_bytes(), 0).map(|(c, _)| c)));
    Reply { basic_code, enhanced_code, text: 0..input.len(), is_dsn: false }
}

/// Finds the first basic reply code and the first enhanced code in a text.
///
/// A reply code is a 3-digit number starting with 2, 4 or 5 that stands alone
/// (not inside an IP address, a longer number or a word) and is followed by a
/// space, `-`, end of text or a quote; an enhanced code is `c.s.d` with c in
/// {2,4,5}, not part of a longer dotted number.
pub fn scan_codes(text: &str) -> (Option<u16>, Option<EnhancedCode>) {
    let b = text.as_bytes();
    let mut basic = None;
    let mut enhanced = None;
    let mut i = 0;
    while basic.is_none() || enhanced.is_none() {
        // Both kinds of code start with one of these digits.
        let Some(p) = memchr::memchr3(b'2', b'4', b'5', &b[i.min(b.len())..]) else { break };
        i += p;
        let c = b[i];
        if i > 0 && is_word_or_dot(b[i - 1]) {
            i += 1;
            continue;
        }
        if enhanced.is_none()
            && let Some((code, end)) = scan_enhanced(b, i)
        {
            enhanced = Some(code);
            i = end;
            continue;
        }
        if basic.is_none() && i + 3 <= b.len() && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit() {
            let after = b.get(i + 3).copied();
            let standalone = match after {
                None => true,
                Some(a) => matches!(a, b' ' | b'-' | b'\t' | b'\r' | b'\n' | b'\'' | b'"' | b'>' | b']' | b')' | b','),
            };
            // "550-5.1.1" and "550 5.1.1" are codes; "550-1234" is not a code followed by text.
            let dash_number = after == Some(b'-') && b.get(i + 4).is_some_and(|d| d.is_ascii_digit()) && scan_enhanced(b, i + 4).is_none();
            if standalone && !dash_number && b[i + 1] <= b'5' {
                basic = Some((c - b'0') as u16 * 100 + (b[i + 1] - b'0') as u16 * 10 + (b[i + 2] - b'0') as u16);
                i += 3;
                continue;
            }
        }
        i += 1;
    }
    (basic, enhanced)
}

fn is_word_or_dot(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'/' || c == b'=' || c == b'%'
}

/// Parses `c.s.d` at `start`; returns the code and the end offset.
fn scan_enhanced(b: &[u8], start: usize) -> Option<(EnhancedCode, usize)> {
    let class = *b.get(start)?;
    if !matches!(class, b'2' | b'4' | b'5') || b.get(start + 1) != Some(&b'.') {
        return None;
    }
    let (subject, i) = scan_number(b, start + 2)?;
    if b.get(i) != Some(&b'.') {
        return None;
    }
    let (detail, end) = scan_number(b, i + 1)?;
    // Part of a longer dotted number such as an IP address or a version.
    if b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if b.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((EnhancedCode { class: class - b'0', subject, detail }, end))
}

fn scan_number(b: &[u8], start: usize) -> Option<(u16, usize)> {
    let mut i = start;
    let mut v: u16 = 0;
    while i < b.len() && b[i].is_ascii_digit() && i - start < 3 {
        v = v * 10 + (b[i] - b'0') as u16;
        i += 1;
    }
    if i == start || b.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((v, i))
}

/// The value range of a header-style field (`Name: value`, folded continuation
/// lines included), matched case-insensitively at the start of a line.
pub fn dsn_field(input: &str, name: &str) -> Option<Range<usize>> {
    let b = input.as_bytes();
    let n = name.len();
    let mut line_start = 0;
    while line_start < b.len() {
        let line_end = memchr_nl(b, line_start);
        let line = &b[line_start..line_end];
        if line.len() > n && line[n] == b':' && line[..n].eq_ignore_ascii_case(name.as_bytes()) {
            let mut start = line_start + n + 1;
            while start < line_end && (b[start] == b' ' || b[start] == b'\t') {
                start += 1;
            }
            let mut end = line_end;
            // Folded lines start with whitespace (RFC 5322 §2.2.3).
            while end < b.len() {
                let next = end + 1;
                if next < b.len() && (b[next] == b' ' || b[next] == b'\t') {
                    end = memchr_nl(b, next);
                } else {
                    break;
                }
            }
            while end > start && (b[end - 1] == b'\r' || b[end - 1] == b'\n') {
                end -= 1;
            }
            return Some(start..end);
        }
        line_start = line_end + 1;
    }
    None
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &b[from..]).map_or(b.len(), |p| from + p)
}

/// One recipient block of an RFC 3464 report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsnRecipient {
    /// `Final-Recipient` (or `Original-Recipient`) address, without the `rfc822;` type.
    pub recipient: String,
    /// `Action` field (failed, delayed, delivered, ...).
    pub action: String,
    /// `Status` field.
    pub status: Option<EnhancedCode>,
    /// `Diagnostic-Code` text without its `smtp;` type, folded lines joined.
    pub diagnostic: String,
}

/// Splits a whole DSN email into its per-recipient blocks (blank-line separated
/// groups that carry a `Final-Recipient` or `Diagnostic-Code`).
pub fn dsn_recipients(email: &str) -> Vec<DsnRecipient> {
    let normalized = email.replace("\r\n", "\n");
    let mut out = Vec::new();
    for block in normalized.split("\n\n") {
        let recipient = dsn_field(block, "final-recipient").or_else(|| dsn_field(block, "original-recipient"));
        let diag = dsn_field(block, "diagnostic-code");
        if recipient.is_none() && diag.is_none() {
            continue;
        }
        let strip_type = |s: &str| match s.split_once(';') {
            Some((t, rest)) if t.len() <= 16 && !t.contains(' ') => rest.trim().to_owned(),
            _ => s.trim().to_owned(),
        };
        let unfold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push(DsnRecipient {
            recipient: recipient.map(|r| strip_type(&block[r])).unwrap_or_default(),
            action: dsn_field(block, "action").map(|r| block[r].trim().to_ascii_lowercase()).unwrap_or_default(),
            status: dsn_field(block, "status").and_then(|r| EnhancedCode::parse(block[r].split_whitespace().next().unwrap_or(""))),
            diagnostic: diag.map(|r| unfold(&strip_type(&block[r]))).unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(s: &str) -> (Option<u16>, Option<String>) {
        let r = parse(s);
        (r.basic_code, r.enhanced_code.map(|c| c.to_string()))
    }

    #[test]
    fn table() {
        let cases: &[(&str, Option<u16>, Option<&str>)] = &[
            ("550 5.1.1 <a@b.c>: User unknown", Some(550), Some("5.1.1")),
            ("550-5.1.1 The email account\n550 5.1.1 does not exist", Some(550), Some("5.1.1")),
            ("sorry, no mailbox here by that name (#5.1.1 - chkusr)", None, Some("5.1.1")),
            ("421 4.16.55 [TS01] Messages from 10.1.2.3 temporarily deferred", Some(421), Some("4.16.55")),
            ("Messages from 192.0.2.25 deferred - 4.16.55.1", None, None),
            ("DNS query failed for 'ourdan.com'", None, None),
            ("connect to host[192.0.2.1]:25: Connection timed out", None, None),
            ("Remote host said: 552 Error: disk quota exceeded", Some(552), None),
            ("550", Some(550), None),
            ("5.2.2 <x@y>... Mailbox Full", None, Some("5.2.2")),
            ("size 5500 bytes", None, None),
            ("", None, None),
        ];
        for (text, basic, enh) in cases {
            assert_eq!(codes(text), (*basic, enh.map(String::from)), "{text}");
        }
    }

    #[test]
    fn dsn_report() {
        let mail = "From: MAILER-DAEMON\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 mailbox\r\n  is full\r\n\r\n";
        let r = parse(mail);
        assert!(r.is_dsn);
        assert_eq!(&mail[r.text.clone()], "552 mailbox\r\n  is full");
        assert_eq!(r.basic_code, Some(552));
        assert_eq!(r.enhanced_code.unwrap().to_string(), "5.2.2");
        let recips = dsn_recipients(mail);
        assert_eq!(recips.len(), 1);
        assert_eq!(recips[0].recipient, "a@b.example");
        assert_eq!(recips[0].diagnostic, "552 mailbox is full");
        assert_eq!(recips[0].action, "failed");
    }

    #[test]
    fn patterns() {
        let c = EnhancedCode::parse("5.1.1").unwrap();
        assert!(c.matches_pattern("5.1.1") && c.matches_pattern("*.1.1") && c.matches_pattern("5.*.*"));
        assert!(!c.matches_pattern("4.1.1") && !c.matches_pattern("5.1") && !c.matches_pattern("5.1.1.1"));
        assert!(reply_code_matches(550, "5**") && reply_code_matches(550, "550") && !reply_code_matches(450, "5**"));
    }
}

/// A copy of a reply with the repeated reply-code prefixes of a multi-line
/// reply taken out (`550-5.7.1 ` at the start of each continuation line, or
/// inline when the lines were joined), so phrases that span lines match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfolded {
    /// The text rules are matched against.
    pub text: String,
    /// (offset in `text`, bytes removed before it in the original), ascending.
    cuts: Vec<(usize, usize)>,
}

impl Unfolded {
    /// Maps an offset in the unfolded text back to the original text.
    pub fn original_offset(&self, pos: usize) -> usize {
        let removed = self.cuts.iter().take_while(|(at, _)| *at <= pos).last().map_or(0, |(_, r)| *r);
        pos + removed
    }
}

/// Removes continuation prefixes (`NNN-` or `NNN ` with an optional enhanced
/// code) that repeat `code` after the first one. Returns None when there is
/// nothing to remove, so the common single-line case allocates nothing.
pub fn unfold_continuations(text: &str, code: Option<u16>) -> Option<Unfolded> {
    let code = code?;
    let digits = [b'0' + (code / 100) as u8, b'0' + (code / 10 % 10) as u8, b'0' + (code % 10) as u8];
    let b = text.as_bytes();
    let mut removals: Vec<(usize, usize)> = Vec::new();
    let mut seen_first = false;
    let mut i = 0;
    while i + 4 <= b.len() {
        // Only a position holding the code's first digit can start a prefix: jump there.
        match memchr::memchr(digits[0], &b[i..b.len() - 3]) {
            Some(k) => i += k,
            None => break,
        }
        let line_start = i == 0 || b[i - 1] == b'\n';
        let at_boundary = line_start || b[i - 1].is_ascii_whitespace();
        let then_number = b.get(i + 4).is_some_and(u8::is_ascii_digit) && scan_enhanced(b, i + 4).is_none();
        // `550-` marks a continuation anywhere; `550 ` only at a line start (the
        // last line), since "550 5.7.1 550 User unknown" quotes a code inline.
        let marker = b.get(i + 3) == Some(&b'-') || (line_start && b.get(i + 3) == Some(&b' '));
        if at_boundary && b[i..i + 3] == digits && marker && !then_number {
            let mut end = i + 4;
            if let Some((_, e)) = scan_enhanced(b, end) {
                end = e;
                while end < b.len() && b[end] == b' ' {
                    end += 1;
                }
            }
            if seen_first {
                removals.push((i, end));
            }
            seen_first = true;
            i = end;
            continue;
        }
        i += 1;
    }
    if removals.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut cuts = Vec::with_capacity(removals.len());
    let (mut last, mut removed) = (0, 0);
    for (s, e) in removals {
        // Keep one separator: the whitespace before the prefix stays, line breaks become spaces.
        out.push_str(&text[last..s]);
        removed += e - s;
        cuts.push((out.len(), removed));
        last = e;
    }
    out.push_str(&text[last..]);
    Some(Unfolded { text: out, cuts })
}

#[cfg(test)]
mod phase_tests {
    use super::*;

    #[test]
    fn phases_from_mta_wording() {
        let cases: &[(&str, Option<Phase>)] = &[
            ("host mx[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT TO command)", Some(Phase::RcptTo)),
            ("SMTP error from remote mail server after end of data: 550 spam", Some(Phase::EndOfData)),
            ("SMTP error from remote mail server after MAIL FROM:<a@b> SIZE=1543: 550", Some(Phase::MailFrom)),
            ("192.0.2.1 does not like recipient. Remote host said: 550", Some(Phase::RcptTo)),
            ("Connected to 192.0.2.1 but sender was rejected.", Some(Phase::MailFrom)),
            ("... while talking to mx.example:\n>>> MAIL From:<a@b>\n<<< 250 ok\n>>> DATA\n<<< 554 5.7.1 spam", Some(Phase::Data)),
            (">>> DATA\n<<< 550 5.1.1 <a@b>... User Unknown\n>>> QUIT", Some(Phase::Data)),
            (">>> DATA\n<<< 550 5.1.1 <a@b>... User Unknown\n<<< 503 5.0.0 Need RCPT (recipient)", Some(Phase::RcptTo)),
            ("-------server message\n550 unknown user <a@b>\n-------SMTP command\nDATA", Some(Phase::Data)),
            ("550 5.1.1 user unknown", None),
        ];
        for (text, want) in cases {
            assert_eq!(scan_phase(text), *want, "{text}");
        }
        assert_eq!(Phase::parse("RCPT TO"), Some(Phase::RcptTo));
        assert_eq!(Phase::parse("end_of_data"), Some(Phase::EndOfData));
    }
}

#[cfg(test)]
mod unfold_tests {
    use super::*;

    #[test]
    fn multi_line_gmail_reply_unfolds() {
        let t = "550-5.7.1 This message fails to\n550-5.7.1 pass authentication checks\n550 5.7.1 more";
        let u = unfold_continuations(t, Some(550)).unwrap();
        assert_eq!(u.text, "550-5.7.1 This message fails to\npass authentication checks\nmore");
        let pos = u.text.find("pass").unwrap();
        assert_eq!(&t[u.original_offset(pos)..u.original_offset(pos) + 4], "pass");
        let inline = "550-5.7.26 has an SPF record with a 550-5.7.26 hard fail policy";
        let u = unfold_continuations(inline, Some(550)).unwrap();
        assert_eq!(u.text, "550-5.7.26 has an SPF record with a hard fail policy");
        assert!(unfold_continuations("550 5.1.1 user unknown", Some(550)).is_none());
        assert!(unfold_continuations("size 550 bytes", None).is_none());
    }
}
