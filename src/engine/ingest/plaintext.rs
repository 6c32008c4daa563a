//! Bounces that are not RFC 3464 reports: the human-readable text of Postfix,
//! Exim, Sendmail, qmail, Exchange, Gmail, Yahoo... Each MTA words it its own
//! way, but they share a shape: a preamble, then each failed address (alone on
//! a line, as `<addr>:`, or after "Recipient:") followed by its error, then a
//! copy of the original message. This module finds that shape.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// One failed address found in a bounce text, with the text about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextRecipient {
    /// The address, lower-cased.
    pub address: String,
    /// Byte range in the (cut) bounce text of the part about this address,
    /// from the address to the next address or the end.
    pub span: Range<usize>,
}

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}|[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@\[[0-9.]+\]",
    )
    .expect("static address regex")
});

/// Lines that start the copy of the original message (or its headers).
static ORIGINAL_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)^[\s>|*_=-]*(?:the\s+)?(?:
            original\s+message|this\s+is\s+a\s+copy\s+of|below\s+this\s+line\s+is\s+a\s+copy|unsent\s+message\s+follows
            |returned\s+message|undelivered\s+message|message\s+headers?\s+follows?|original\s+message\s+(?:follows|headers)
            |a\s+copy\s+of\s+(?:the|your)\s+(?:original\s+)?message|headers?\s+of\s+(?:the\s+|your\s+)?original
            |original\s+headers|content-type:\s*message/rfc822|---+\s*begin\s+(?:returned|original)
            |your\s+message\s+reads|here\s+is\s+(?:a\s+copy|your\s+message)|text\s+of\s+(?:your|the)\s+message
            |-+\s*message\s+text\s*-+|\*+\s*original
        )",
    )
    .expect("static marker regex")
});

/// Sendmail's "The original message was received at …" line.
static RECEIVED_NOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)original\s+message\s+was\s+received\s+(?:at|on|from)\b").expect("static received regex"));

/// Headers that begin an inline copy of the original message.
static HEADER_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:return-path|received|message-id|dkim-signature|mime-version|x-[a-z0-9-]+|delivered-to|date|from|to|subject):\s")
        .expect("static header regex")
});

/// Phrases of the preamble, not of any one recipient's error: they are dropped
/// from the text the rules see so "could not be delivered" boilerplate
/// matches no rule by accident.
static BOILERPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)^\s*(?:
            this\s+is\s+the\s+mail\s+(?:system|delivery\s+agent)\s+at\s+\S+\.?
            |i'm\s+sorry\s+to\s+have\s+to\s+inform\s+you.*
            |for\s+further\s+assistance,?\s+please\s+.*
            |if\s+you\s+do\s+so,?\s+please\s+include\s+.*
            |you\s+can\s+delete\s+your\s+own\s+text\s+from\s+the\s+attached\s+returned\s+message\.?
            |the\s+mail\s+system\s*
            |hi\.\s+this\s+is\s+the\s+qmail-send\s+program\s+at\s+\S+\.?
            |-+\s*failure\s+reasons\s*-+
        )$",
    )
    .expect("static boilerplate regex")
});

/// Where the copy of the original message begins (the bounce text ends), by
/// line: a marker line, or a block of two header lines in a row.
pub fn cut_original(text: &str) -> usize {
    let mut offset = 0;
    let mut prev_header = false;
    let mut prev_start = 0;
    let mut prev_blank = true;
    let mut prev_return_path = false;
    let mut prev_line_start = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        // Sendmail (and Momentum, which copies it) open the report with "The original message
        // was received at <date> from <host>": a note about the message, not its copy.
        if ORIGINAL_MARKER.is_match(t) && offset > 0 && !RECEIVED_NOTE.is_match(t) {
            return offset;
        }
        let is_header = HEADER_START.is_match(t);
        if is_header && prev_header {
            return prev_start;
        }
        // "Return-Path:" then "Received:" opens a copy of a message, blank line or not
        // (a forwarded bounce flattened by the mail client runs its parts together).
        if prev_return_path && t.get(..9).is_some_and(|h| h.eq_ignore_ascii_case("received:")) {
            return prev_line_start;
        }
        prev_return_path = t.get(..12).is_some_and(|h| h.eq_ignore_ascii_case("return-path:"));
        prev_line_start = offset;
        // A header block only counts after a blank line (not a "To: x" line in prose).
        prev_header = is_header && (prev_blank || prev_header);
        if is_header && prev_blank {
            prev_start = offset;
        }
        prev_blank = t.trim().is_empty();
        offset += line.len();
    }
    text.len()
}

/// A bounce a person forwarded with its lines quoted: Apple Mail's "Begin
/// forwarded message:", Gmail's "---------- Forwarded message ---------",
/// Outlook's "-----Original Message-----", then "> " lines. The quoted text
/// unquoted (one level), without the forwarded message's own header block
/// (From, Date, To, Subject...); None when the text holds no such quote.
pub fn unquote_forwarded(text: &str) -> Option<String> {
    static MARKER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?im)^[ \t]*(?:begin forwarded message:|-+[ \t]*(?:forwarded message|original message)[ \t]*-+)[ \t]*\r?$")
            .expect("static forward regex")
    });
    static FIELD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9-]*:\s").expect("static field regex"));
    let m = MARKER.find(text)?;
    let mut lines = Vec::new();
    for line in text[m.end()..].lines().skip_while(|l| l.trim().is_empty()) {
        let Some(rest) = line.trim_start().strip_prefix('>') else { break };
        lines.push(rest.strip_prefix(' ').unwrap_or(rest));
    }
    let mut body = lines.iter().skip_while(|l| FIELD.is_match(l) || l.starts_with([' ', '\t'])).skip_while(|l| l.trim().is_empty());
    let out = body.by_ref().fold(String::new(), |mut acc, l| {
        acc.push_str(l);
        acc.push('\n');
        acc
    });
    (lines.len() >= 3 && !out.trim().is_empty()).then_some(out)
}

/// Whether `line` names `addr` as the recipient it is about: the address
/// starts the line (`addr`, `<addr>:`, `addr:`) or follows a recipient label.
fn anchor_in_line(line: &str) -> Option<Range<usize>> {
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?xi)^\s*(?:[-*•■□●◆◇・]\s*)?(?:\[status:\s*\w+,\s*)?(?:
                (?:failed\s+|original\s+|final\s+|intended\s+|invalid\s+|unknown\s+)?recipient(?:\s+address)?(?:\(s\))?
                |address(?:\(es\))?|e-?mail\s+address|to|rcpt(?:\s+to)?|user|mailbox|destinataire|empfänger|宛先|あて先|受信者
                |destinat[aá]rio|destinatario|adresat|odbiorca|p[řr][íi]jemce|ontvanger|al[ıi]c[ıi]|получатель|адресат
                |收件人|收件者|收信人|수신자|받는\s*사람|người\s+nhận
            )\s*[:：]\s*",
        )
        .expect("static label regex")
    });
    // Sendmail 5 writes "554 <addr>... error": the reply code comes first.
    let code_lead = if code_led(line) { line.len() - line.trim_start().len() + 4 } else { 0 };
    let lead = if code_lead > 0 { code_lead } else { LABEL.find(line).map_or(0, |m| m.end()) };
    let rest = &line[lead..];
    let trimmed = rest.trim_start_matches([' ', '\t', '<', '"', '\'', '(', '[']);
    // MailEnable and Exchange write "[SMTP:addr]", DSN-minded texts "rfc822; addr".
    let trimmed = ["smtp:", "rfc822;"]
        .iter()
        .find_map(|p| trimmed.get(..p.len()).filter(|h| h.eq_ignore_ascii_case(p)).map(|_| trimmed[p.len()..].trim_start()))
        .unwrap_or(trimmed);
    let start = lead + (rest.len() - trimmed.len());
    let m = ADDRESS.find(trimmed).filter(|m| m.start() == 0)?;
    // Exim names a malformed recipient as written, "display <addr>: malformed address":
    // the address in brackets is the one that failed.
    let after = &trimmed[m.end()..];
    if let Some(inner) = after.strip_prefix(' ').map(str::trim_start).and_then(|a| a.strip_prefix('<'))
        && let Some(b) = ADDRESS.find(inner).filter(|b| b.start() == 0)
        && inner[b.end()..].starts_with(">:")
    {
        let at = start + m.end() + (after.len() - inner.len());
        return Some(at..at + b.end());
    }
    Some(start..start + m.end())
}

/// A line that is only an address: `addr`, `<addr>`, `addr:` or `<addr>:`
/// (qmail, Exim, Postfix list their failed recipients so).
fn bare_address_line(line: &str) -> Option<Range<usize>> {
    let t = line.trim_end();
    let lead = t.len() - t.trim_start_matches([' ', '\t', '<']).len();
    let m = ADDRESS.find(&t[lead..]).filter(|m| m.start() == 0)?;
    let rest = t[lead + m.end()..].trim_start_matches('>').trim_start_matches(':');
    rest.is_empty().then_some(lead..lead + m.end())
}

/// A line that tells the error, then the address it is about, at its end:
/// "Invalid final delivery userid: addr", "User's mailbox is full: <addr>",
/// "There was an error delivering your mail to <addr>." (IMail, DragonFly and
/// other small MTAs). A header-like "To: addr" is no such line.
fn telling_line(line: &str) -> Option<Range<usize>> {
    let t = line.trim_end();
    let m = ADDRESS.find_iter(t).last()?;
    let after = t[m.end()..].trim_start_matches(['>', '\'', '"', ')', ']']).trim_start_matches(['.', ':']).trim().to_lowercase();
    let prefix = t[..m.start()].trim_end_matches([' ', '<', '\'', '"', '(', '[']);
    let lower = prefix.trim_start().to_lowercase();
    // "Message to <addr> not delivered." (small home-made MTAs): the failure after the address.
    let failure_after = lower.ends_with(" to")
        && ["not delivered", "was not delivered", "could not be delivered", "undeliverable", "failed"].iter().any(|w| after.starts_with(w));
    if !after.is_empty() && !failure_after {
        return None;
    }
    let words = lower.split_whitespace().count();
    // "… to addr" in the languages bounces are written in: Russian "по адресу", and Chinese
    // and Japanese verbs of sending ("无法发送到 addr"), one word to a whitespace count.
    let cjk = ['到', '至', '给', '給', 'へ'].iter().any(|&c| lower.ends_with(c));
    let ends_well = lower.ends_with(':') || lower.ends_with(" to") || lower.ends_with(" адресу") || cjk;
    let words = if cjk { words.max(2) } else { words };
    // A transcript's "Message-ID: <id@host>" looks like an address after a colon.
    let an_id = ["message-id:", "in-reply-to:", "references:", "msgid:"].iter().any(|h| lower.ends_with(h));
    (ends_well && !an_id && (2..=12).contains(&words) && !prefix.contains('@')).then_some(m.start()..m.end())
}

/// Sendmail 5's summary line of one recipient, "554 <addr>... error": the
/// reply code before the address.
fn code_led(line: &str) -> bool {
    let t = line.trim_start();
    let b = t.as_bytes();
    b.len() > 5 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' ' && b[4] == b'<' && t.contains(">...")
}

/// Finds the failed addresses of a bounce text (already cut at the original
/// message) and the part of the text about each. `exclude` lists addresses
/// that are never the failed recipient (the bounce's own To, From).
pub fn recipients(text: &str, exclude: &[String]) -> Vec<TextRecipient> {
    let mut anchors: Vec<(String, usize)> = Vec::new();
    let mut all_code_led = true;
    let mut offset = 0;
    // Postfix folds "<addr> (expanded from\n    <alias>): error": the alias is no recipient of its own.
    let mut after_expanded_from = false;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        // Transcript lines (">>> RCPT To:<a@b>", "<<< 550 <a@b>...") are errors, not lists.
        let t = line.trim_start();
        let continues_expansion =
            std::mem::replace(&mut after_expanded_from, t.trim_end().to_ascii_lowercase().ends_with("(expanded from"));
        if !t.starts_with(">>>")
            && !t.starts_with("<<<")
            && !continues_expansion
            && !original_header_to(t, lines.peek().copied())
            && let Some(r) = anchor_in_line(line)
        {
            let addr = line[r.clone()].trim_end_matches(['.', ',', ';']).to_ascii_lowercase();
            if !exclude.iter().any(|e| e.eq_ignore_ascii_case(&addr)) && !anchors.iter().any(|(a, _)| *a == addr) {
                anchors.push((addr, offset + r.start));
                all_code_led &= code_led(line);
            }
        }
        offset += line.len();
    }
    if all_code_led && !anchors.is_empty() {
        return sendmail5_parts(text, anchors);
    }
    if anchors.is_empty() {
        anchors = fallback_anchors(text, exclude);
    } else {
        // Errors told before their addresses above the first listed recipient (IMail: "Unknown
        // user: a", "User mailbox exceeds allowed size: b", then "… recipient:" and "  c"): each
        // names a recipient of its own.
        let first = anchors.iter().map(|(_, at)| *at).min().unwrap_or(0);
        let before: Vec<(String, usize)> = fallback_anchors(&text[..line_start(text, first)], exclude)
            .into_iter()
            .filter(|(a, at)| {
                *at < first && !anchors.iter().any(|(b, _)| b == a) && telling_line(text[*at..].lines().next().unwrap_or("")).is_some()
            })
            .collect();
        if !before.is_empty() {
            anchors.extend(before);
            anchors.sort_by_key(|(_, at)| *at);
        }
    }
    let mut out = Vec::with_capacity(anchors.len());
    for (i, (address, start)) in anchors.iter().enumerate() {
        let end = anchors.get(i + 1).map_or(text.len(), |(_, s)| line_start(text, *s));
        out.push(TextRecipient { address: address.clone(), span: *start..end.max(*start) });
    }
    out
}

/// Whether `line` is the `To:` of the original message's summary that some
/// bounces quote above their list ("Your message / To: … / Subject: … / Sent: …
/// did not reach the following recipient(s)", Exchange): the message's
/// addressee, not necessarily the one that failed.
fn original_header_to(line: &str, next: Option<&str>) -> bool {
    let starts = |l: &str, p: &str| l.trim_start().get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    starts(line, "to:") && next.is_some_and(|n| ["subject:", "cc:", "sent:", "date:"].iter().any(|p| starts(n, p)))
}

/// The address of the original message's summary `To:` line (see [`original_header_to`]): the
/// recipient of a notice that names no other (SurfControl: "From: … / To: addr / Subject: …").
pub fn summary_to(text: &str) -> Option<String> {
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if original_header_to(line, lines.peek().copied()) {
            return addresses(line).into_iter().next();
        }
    }
    None
}

/// Local parts of the addresses a bounce offers for help (RFC 2142).
const ROLE_ACCOUNTS: [&str; 6] = ["postmaster", "mailer-daemon", "abuse", "hostmaster", "webmaster", "support"];

/// When no line lists a recipient: a line that is only an address the bounce
/// was also sent to (a bounce sent back to the failed address itself: the
/// exclusion of its own `To` would lose it), else lines that tell the error
/// before the address. A telling line's part starts at the line, so the error
/// it tells is read.
fn fallback_anchors(text: &str, exclude: &[String]) -> Vec<(String, usize)> {
    let mut bare = Vec::new();
    let mut telling = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if !t.starts_with(">>>") && !t.starts_with("<<<") {
            if let Some(r) = bare_address_line(line) {
                let addr = line[r.clone()].to_ascii_lowercase();
                if !bare.iter().any(|(a, _)| *a == addr) {
                    bare.push((addr, offset + r.start));
                }
            } else if let Some(r) = telling_line(line) {
                let addr = line[r].trim_end_matches('.').to_ascii_lowercase();
                // "… please write to postmaster@host." points to help, not to a recipient.
                let role = addr.split('@').next().is_some_and(|l| ROLE_ACCOUNTS.contains(&l));
                if !role && !exclude.iter().any(|e| e.eq_ignore_ascii_case(&addr)) && !telling.iter().any(|(a, _)| *a == addr) {
                    telling.push((addr, offset));
                }
            }
        }
        offset += line.len();
    }
    // Both kinds in one bounce (IMail: "Unknown user: a", then "… recipient:" and "  b" alone on
    // its line): each names its own recipient, in the order of the text.
    let mut all = bare;
    all.extend(telling.into_iter().filter(|(a, _)| !all.iter().any(|(b, _)| b == a)).collect::<Vec<_>>());
    all.sort_by_key(|(_, at)| *at);
    all
}

/// Sendmail 5 writes each recipient's error above its "554 <addr>... error"
/// summary line: the "While talking to host:" transcript of the session that
/// failed (">>> RCPT To:<addr>" / "<<< 550 ..."), or a "550 host (smtp)...
/// error" line. A recipient's part runs from the last "While talking to" line
/// after the previous summary line (else from the lines right above its own)
/// to the end of its summary line.
fn sendmail5_parts(text: &str, anchors: Vec<(String, usize)>) -> Vec<TextRecipient> {
    let mut out = Vec::with_capacity(anchors.len());
    let mut prev_end = 0;
    for (address, start) in anchors {
        let line_begin = line_start(text, start).max(prev_end);
        let end = text[start..].find('\n').map_or(text.len(), |p| start + p + 1);
        let above = &text[prev_end..line_begin];
        let mut transcript = None;
        let mut offset = prev_end;
        for line in above.split_inclusive('\n') {
            if line.trim_start().to_ascii_lowercase().starts_with("while talking to") {
                transcript = Some(offset);
            }
            offset += line.len();
        }
        // No transcript: the non-blank lines right above ("550 host (smtp)... error").
        let from = transcript.unwrap_or_else(|| prev_end + above.trim_end().rfind("\n\n").map_or(0, |p| p + 2));
        out.push(TextRecipient { address, span: from.min(line_begin)..end });
        prev_end = end;
    }
    out
}

/// The paragraph just before `pos` (from the last blank line to the line
/// holding `pos`): where Lotus Notes puts the reason, above the address
/// ("------- Failure Reasons --------", the reason, then the address).
pub fn paragraph_before(text: &str, pos: usize) -> std::ops::Range<usize> {
    let end = line_start(text, pos.min(text.len()));
    let before = &text[..end];
    let start = before.trim_end().rfind("\n\n").map_or(0, |p| p + 2);
    start.min(end)..end
}

fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |p| p + 1)
}

/// The text the rules see for one recipient's part: the address itself taken
/// out (it is no error), boilerplate lines dropped, whitespace collapsed.
pub fn diagnostic(part: &str, address: Option<&str>) -> String {
    let mut kept = String::with_capacity(part.len());
    for line in part.lines() {
        if BOILERPLATE.is_match(line) {
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    let mut s = super::dsn::collapse_ws(&kept);
    if let Some(a) = address
        && s.as_bytes().get(..a.len()).is_some_and(|head| head.eq_ignore_ascii_case(a.as_bytes()))
    {
        // Byte comparison: `s` may hold a multi-byte character where the address ends.
        s = s[a.len()..].trim_start_matches(['>', ']', ')', ':', ' ', '.', ',']).to_owned();
    }
    s
}

/// Addresses found anywhere in a text, lower-cased, in order, without repeats.
pub fn addresses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in ADDRESS.find_iter(text) {
        let a = m.as_str().trim_end_matches('.').to_ascii_lowercase();
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// The MTA family whose wording a bounce uses, from signatures of its text
/// and headers; None when nothing is recognisable.
pub fn family(text: &str, headers: &str) -> Option<&'static str> {
    static SIGNATURES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"(?i)this is the mail system at host|\(in reply to [a-z ]+ command\)|postfix", "postfix"),
            (r"(?i)this is the qmail-send program|qmail", "qmail"),
            (r"(?i)this message was created automatically by mail delivery software|x-failed-recipients|smtp error from remote mail server", "exim"),
            (r"(?i)-----\s*transcript of session follows\s*-----|sendmail", "sendmail"),
            (r"(?i)diagnostic information for administrators|microsoft exchange|outlook\.com|protection\.outlook", "exchange"),
            (r"(?i)delivery to the following recipient(?:s)? failed|google tried to deliver|mail delivery subsystem.*google|gmail", "gmail"),
            (r"(?i)yahoo!? mail|yahoo\.com", "yahoo"),
            (r"(?i)amazonses|amazon ses", "amazonses"),
            (r"(?i)courier mail server|courier-mta", "courier"),
            (r"(?i)lotus domino|notes", "domino"),
            (r"(?i)opensmtpd|this is the mailer-daemon at", "opensmtpd"),
            (r"(?i)messaging server|iplanet|sun java system", "messagingserver"),
            (r"(?i)ezweb|au\.com|docomo|softbank|vodafone", "japanese_carrier"),
        ]
        .into_iter()
        .filter_map(|(p, n)| Regex::new(p).ok().map(|r| (r, n)))
        .collect()
    });
    SIGNATURES.iter().find(|(r, _)| r.is_match(text) || r.is_match(headers)).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postfix_and_qmail_shapes() {
        let text = "This is the mail system at host mx.example.\n\n<a@b.example>: host mx.b.example[192.0.2.1] said: 550 5.1.1\n    unknown user (in reply to RCPT TO command)\n\n<c@d.example>: connect to d.example: timed out\n";
        let r = recipients(text, &[]);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].address, "a@b.example");
        let d = diagnostic(&text[r[0].span.clone()], Some(&r[0].address));
        assert_eq!(d, "host mx.b.example[192.0.2.1] said: 550 5.1.1 unknown user (in reply to RCPT TO command)");
        assert_eq!(diagnostic(&text[r[1].span.clone()], Some("c@d.example")), "connect to d.example: timed out");
    }

    #[test]
    fn postfix_alias_folded_after_expanded_from_is_no_recipient() {
        let text = "<a@b.example> (expanded from\n    <alias@c.example>): delivery temporarily\n    suspended: connect to mx.b.example[192.0.2.1]: server refused\n    to talk to me: 421 Service not available\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["a@b.example"]);
        assert!(diagnostic(&text[r[0].span.clone()], Some("a@b.example")).ends_with("421 Service not available"));
    }

    #[test]
    fn exim_indented_and_excluded_sender() {
        let text = "The following address(es) failed:\n\n  kijitora@example.org\n    SMTP error from remote mail server after RCPT TO:<kijitora@example.org>:\n    host mx [192.0.2.2]: 550 no such user\n";
        let r = recipients(text, &["sender@example.jp".into()]);
        assert_eq!(r.len(), 1);
        assert!(
            diagnostic(&text[r[0].span.clone()], Some("kijitora@example.org"))
                .starts_with("SMTP error from remote mail server after RCPT TO")
        );
    }

    #[test]
    fn sendmail5_code_before_the_address() {
        let text = "554 <a@example.edu>... Remote protocol error\n550 example.or.jp (smtp)... 550 Host unknown\n554 <b@example.or.jp>... 550 Host unknown\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["a@example.edu", "b@example.or.jp"]);
        assert_eq!(
            diagnostic(&text[r[1].span.clone()], Some("b@example.or.jp")),
            "550 example.or.jp (smtp)... 550 Host unknown 554 <b@example.or.jp>... 550 Host unknown"
        );
        // The session transcript above a summary line is that recipient's error; the
        // transcript of another host above it is not, nor what follows its line.
        let text = "   ----- Transcript of session follows -----\nWhile talking to mx.example.edu:\n>>> MAIL From:<s@example.jp>\n\
            <<< 550 Insecure Mail Relay\n554 <a@example.edu>... Remote protocol error\n\
            While talking to mx1.example.com:\n>>> QUIT\n<<< 421 Sorry, unable to contact destination SMTP daemon.\n\
            While talking to mx.example.org:\n>>> RCPT To:<c@example.org>\n<<< 550 Requested mailbox not found\n\
            550 <c@example.org>... User unknown\n421 example.net (smtp)... Deferred: Connection timed out\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["a@example.edu", "c@example.org"]);
        assert_eq!(
            diagnostic(&text[r[0].span.clone()], None),
            "While talking to mx.example.edu: >>> MAIL From:<s@example.jp> <<< 550 Insecure Mail Relay 554 <a@example.edu>... Remote protocol error"
        );
        assert_eq!(
            diagnostic(&text[r[1].span.clone()], None),
            "While talking to mx.example.org: >>> RCPT To:<c@example.org> <<< 550 Requested mailbox not found 550 <c@example.org>... User unknown"
        );
        assert!(recipients("550 5.1.1 <x@y.example> no such user\n", &[]).is_empty(), "a reply mentioning an address is no list");
    }

    #[test]
    fn a_bounce_sent_back_to_the_failed_address_keeps_it() {
        // qmail and Exim list the recipient alone on its line; the bounce's own To is
        // excluded as the sender, but here the bounce went to the failed address itself.
        let text = "Hi. This is the qmail-send program at mx.example.\n\n<me@example.net>:\nRemote host said: 552 mailbox full\n";
        let r = recipients(text, &["me@example.net".into()]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["me@example.net"]);
        assert_eq!(diagnostic(&text[r[0].span.clone()], Some("me@example.net")), "Remote host said: 552 mailbox full");
        // A header-like line naming the sender is still no recipient.
        assert!(recipients("To: me@example.net\nSubject: x\n", &["me@example.net".into()]).is_empty());
    }

    #[test]
    fn a_line_telling_the_error_before_the_address() {
        for (line, want) in [
            ("Invalid final delivery userid: u1@example.com", "Invalid final delivery userid: u1@example.com"),
            ("Delivery failed 12 attempts: u2@example.com", "Delivery failed 12 attempts: u2@example.com"),
            ("User's mailbox is full: <u3@example.com>", "User's mailbox is full: <u3@example.com>"),
            (
                "There was an error delivering your mail to <u4@example.com>.",
                "There was an error delivering your mail to <u4@example.com>.",
            ),
        ] {
            let text = format!("{line}\n\nUnable to deliver mail.\n");
            let r = recipients(&text, &["s@example.org".into()]);
            assert_eq!(r.len(), 1, "{line}");
            assert_eq!(r[0].address, want.rsplit([' ', '<']).next().unwrap().trim_end_matches(['>', '.']), "{line}");
            assert_eq!(diagnostic(&text[r[0].span.clone()], Some(&r[0].address)), format!("{want} Unable to deliver mail."));
        }
        // The same in Russian and Chinese, the address quoted.
        let text = "Не удалось доставить по адресу '<ivan@example.org>'\n unknown user account\n\nНе удалось доставить по адресу '<olga@example.net>'\n 552 5.2.2 Mailbox full\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["ivan@example.org", "olga@example.net"]);
        assert!(diagnostic(&text[r[0].span.clone()], Some("ivan@example.org")).ends_with("unknown user account"));
        let text = "收 件 人：wang@example.com; liu@example.net\n无法发送到 wang@example.com\n退信原因：收件人邮箱地址不存在\n无法发送到 liu@example.net\n退信原因：收件人邮箱空间已满\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["wang@example.com", "liu@example.net"]);
        assert!(text[r[1].span.clone()].contains("空间已满"));
        // IMail: errors told before their addresses, and one alone on its line under its error.
        let text = "Unknown user: ken@example.net\n\nUser mailbox exceeds allowed size: maria@example.net\n\nCould not deliver to the following recipient:\n  brian@example.org\n  Remote host said: 452 4.5.3 Too many recipients\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["ken@example.net", "maria@example.net", "brian@example.org"]);
        assert!(diagnostic(&text[r[1].span.clone()], Some("maria@example.net")).starts_with("User mailbox exceeds allowed size"));
        let text = "Message to <info@example.org> not delivered.\nexample.org: 556 5.1.10 Recipient address has null MX\n";
        assert_eq!(recipients(text, &[]).first().map(|t| t.address.as_str()), Some("info@example.org"));
        assert_eq!(summary_to("Blocked.\n  From: a@example.com\n  To:   g@example.org\n  Subject: x\n").as_deref(), Some("g@example.org"));
        // One word before the address is a header field, not an error.
        assert!(recipients("Sender: u@example.com\n", &[]).is_empty());
        assert!(recipients("Please write to postmaster@example.com for help today\n", &[]).is_empty());
        assert!(recipients("For help, please write to postmaster@example.com.\n", &[]).is_empty());
    }

    #[test]
    fn exim_malformed_recipient_is_the_bracketed_one() {
        let text = "  a@example.com <b@example.net>: malformed address: <b@example.net> may not follow a@example.com\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["b@example.net"]);
    }

    #[test]
    fn lotus_notes_reason_comes_before_the_address() {
        let text = "------- Failure Reasons  --------\n\nUser  not listed in public Name & Address Book\nkijitora@example.com\n\n";
        let r = recipients(text, &[]);
        assert_eq!(r.len(), 1);
        assert_eq!(diagnostic(&text[r[0].span.clone()], Some("kijitora@example.com")), "");
        let before = paragraph_before(text, r[0].span.start);
        assert_eq!(diagnostic(&text[before], None), "User not listed in public Name & Address Book");
        assert_eq!(paragraph_before("a@b.c\n", 0), 0..0);
    }

    #[test]
    fn a_forwarded_quoted_bounce_is_unquoted() {
        let text = "Forwarding this.\n\nBegin forwarded message:\n\n> From: Mail Delivery Subsystem <MAILER-DAEMON>\n\
            > Subject: Returned mail\n>\n>    ----- The following addresses had permanent fatal errors -----\n\
            > <a@b.example>\n>     (reason: 550 5.1.1 <a@b.example>... User unknown)\n>>>> RCPT To:<a@b.example>\n\
            > Return-Path: <s@c.example>\n> Received: from mx.c.example\n> To: a@b.example\n";
        let u = unquote_forwarded(text).expect("a quoted bounce");
        assert!(u.starts_with("   ----- The following addresses"), "{u:?}");
        assert!(u.contains("\n>>> RCPT To:<a@b.example>\n"), "{u:?}");
        let cut = cut_original(&u);
        assert!(u[..cut].ends_with("RCPT To:<a@b.example>\n"), "{:?}", &u[..cut]);
        assert_eq!(unquote_forwarded("Hello\n> quoted reply\n"), None);
        assert_eq!(unquote_forwarded("Begin forwarded message:\n\nnot quoted\n"), None);
    }

    #[test]
    fn a_message_id_in_a_transcript_is_no_recipient() {
        let text = " 10:11:12: *  To: kai@example.net\n 10:11:12: *  Message-ID: <MD1234@mail.example.com>\n 10:11:13: <-- 550 5.1.1 <kai@example.net>: User unknown\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|r| r.address.as_str()).collect::<Vec<_>>(), ["kai@example.net"]);
        assert!(text[r[0].span.clone()].contains("550 5.1.1"), "the reply is in the recipient's part");
    }

    #[test]
    fn the_original_messages_to_in_a_summary_is_no_recipient() {
        let text = "Your message\n\n  To:      a@example.net\n  Subject: Hi\n  Sent:    today\n\ndid not reach the following recipient(s):\n\nb@example.jp on today\n    The recipient name is not recognized\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|r| r.address.as_str()).collect::<Vec<_>>(), ["b@example.jp"]);
        // A "To:" line alone still names a recipient.
        assert_eq!(recipients("Delivery failed.\nTo: c@example.org\n550 no such user\n", &[]).len(), 1);
    }

    #[test]
    fn labels_in_other_languages_and_bracketed_smtp_addresses() {
        let text =
            "Adresat: anna@example.com\nPrzyczyna: skrzynka przepełniona\n\nAdresat: piotr@example.org\nPrzyczyna: adres nie istnieje\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["anna@example.com", "piotr@example.org"]);
        // Zoho Mail's warning: "[Status: Error, Address: <addr>, ResponseCode 421, , Host not reachable.]"
        let text = "[Status: Error, Address: <k@example.jp>, ResponseCode 421, , Host not reachable.]\n";
        assert_eq!(recipients(text, &[]).first().map(|t| t.address.as_str()), Some("k@example.jp"));
        let text = "■あて先：jiro@example.jp\n  理由：容量超過\n\n■あて先：saburo@example.jp\n  理由：受信拒否\n";
        assert_eq!(recipients(text, &[]).len(), 2);
        let text = "\tRecipient: [SMTP:fuku@example.net]\n\tReason: no such domain\n\tRecipient: [SMTP:momo@example.net]\n\tReason: 552 5.2.2 Mailbox size limit exceeded\n";
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["fuku@example.net", "momo@example.net"]);
        assert!(diagnostic(&text[r[1].span.clone()], Some("momo@example.net")).contains("Mailbox size limit exceeded"));
    }

    #[test]
    fn sendmails_received_note_is_no_copy_of_the_message() {
        let text = "The original message was received at Fri, 28 Feb 2025 06:30:00 +0000\nfrom app01.example.com [198.51.100.20]\n\n   ----- The following addresses had permanent fatal errors -----\n<a@example.jp>\n    (reason: 550 5.1.1 User unknown)\n";
        assert_eq!(cut_original(text), text.len());
        let r = recipients(text, &[]);
        assert_eq!(r.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(), ["a@example.jp"]);
    }

    #[test]
    fn cut_at_copy_of_original() {
        let text = "Error for <a@b.c>\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <x@y>\n";
        assert_eq!(&text[..cut_original(text)], "Error for <a@b.c>\n\n");
        let header = "a@b.c:\nSMTP error 550\n\n--- The header of the original message is following. ---\n\nReceived: x\n";
        assert_eq!(&header[..cut_original(header)], "a@b.c:\nSMTP error 550\n\n");
        let inline = "Failed: a@b.c\n\nReturn-Path: <x@y>\nReceived: from z\n";
        assert_eq!(&inline[..cut_original(inline)], "Failed: a@b.c\n\n");
        let prose = "To: a@b.c\nsaid 550 unknown\n";
        assert_eq!(cut_original(prose), prose.len());
        let wide = "ユーザーが見つかりません\n受信者\n";
        assert_eq!(cut_original(wide), wide.len());
    }
}
