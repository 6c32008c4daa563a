//! One bounce email → one [`Record`] per recipient.
//!
//! MIME (every transfer encoding and charset) is `mail-parser`'s job. Then, in
//! order: an RFC 3464 / RFC 6533 status part gives the recipients and their
//! codes, the human-readable part fills in what it lacks (the error text, the
//! SMTP phase); without a status part the human text is read as the plain-text
//! bounce of its MTA ([`super::plaintext`]). Feedback reports (RFC 5965) and
//! automatic replies (RFC 3834) become records of their own kind.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::dsn::{self, DsnRecipient};
use super::mime_repair;
use super::plaintext;
use super::record::{Action, MtaKind, Record, RecordKind, RecordSource};
use super::report_kind::{is_auto_reply, looks_like_bounce};
use crate::engine::smtp::{self, EnhancedCode, Phase};

/// A record's text is cut at this many bytes: no bounce explains one
/// recipient's failure at more length, and rules then stay fast.
pub const MAX_TEXT_BYTES: usize = 4096;

/// Why an email gave no record, or fewer than it should.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailProblem {
    /// Not a MIME message at all (empty, or no header).
    Unparsable,
    /// A message, but neither a bounce, an auto-reply nor a feedback report.
    NotABounce,
    /// A bounce in which no recipient could be found: the record has none.
    NoRecipient,
    /// A part was cut short, had a bad boundary or an unknown charset; what
    /// could be decoded was read.
    Damaged,
}

/// What one email gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailRead {
    /// One record per recipient (or one for an auto-reply / feedback report).
    pub records: Vec<Record>,
    /// What went wrong, if anything; the records are still the best reading.
    pub problems: Vec<EmailProblem>,
    /// The human-readable text of the bounce (what a person reads), for viewers.
    pub text: String,
    /// Per record: the byte range of `text` about its recipient, when found.
    pub spans: Vec<Option<std::ops::Range<usize>>>,
}

/// The parts of a message that matter for a bounce.
#[derive(Default)]
struct Parts {
    status: Vec<String>,
    feedback: Vec<String>,
    human: String,
    original_headers: String,
    /// The first attached message that is itself a delivery report (a gateway
    /// that passes on the report it got, attached whole).
    inner_report: Option<Vec<u8>>,
    damaged: bool,
}

fn collect_parts(msg: &Message<'_>) -> Parts {
    let mut p = Parts::default();
    let mut html = String::new();
    for (i, part) in msg.parts.iter().enumerate() {
        p.damaged |= part.is_encoding_problem;
        let (ctype, sub) = part.content_type().map_or(("text".to_string(), "plain".to_string()), |c| {
            (c.ctype().to_ascii_lowercase(), c.subtype().unwrap_or("").to_ascii_lowercase())
        });
        match (&part.body, ctype.as_str(), sub.as_str()) {
            (PartType::Message(m), _, _) if p.original_headers.is_empty() => {
                let raw = m.raw_message();
                if is_report(m) {
                    p.inner_report = Some(raw.to_vec());
                }
                let end = m.parts.first().map_or(raw.len(), |r| (r.offset_body as usize).min(raw.len()));
                p.original_headers = String::from_utf8_lossy(&raw[..end]).into_owned();
            }
            (PartType::Message(_), _, _) => {}
            (_, "message", "delivery-status" | "global-delivery-status") => p.status.push(status_text(part.contents())),
            (_, "message", "feedback-report") => p.feedback.push(String::from_utf8_lossy(part.contents()).into_owned()),
            (_, "text", "rfc822-headers") | (_, "message", "rfc822-headers") => {
                p.original_headers.push_str(&String::from_utf8_lossy(part.contents()));
            }
            (PartType::Text(t), _, _) if i == 0 || ctype == "text" => {
                if !p.human.is_empty() {
                    p.human.push('\n');
                }
                p.human.push_str(t);
            }
            (PartType::Html(t), _, _) if html.is_empty() => html = mime_repair::html_text(t),
            // A text-looking part sent as application/octet-stream or a bad type.
            (PartType::Binary(b), _, _) if ctype == "text" => p.human.push_str(&String::from_utf8_lossy(b)),
            _ => {}
        }
    }
    if p.human.trim().is_empty() {
        p.human = html;
    }
    p
}

/// Whether a message holds a delivery-status part.
fn is_report(msg: &Message<'_>) -> bool {
    msg.parts.iter().any(|part| {
        part.content_type().is_some_and(|c| {
            c.ctype().eq_ignore_ascii_case("message")
                && c.subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status") || s.eq_ignore_ascii_case("global-delivery-status"))
        })
    })
}

/// A delivery-status part as text. Its fields are ASCII and the part names no
/// charset, yet Lotus Domino writes a Japanese `Diagnostic-Code` in ISO-2022-JP,
/// escape sequences and all (`ESC $ B` ... `ESC ( B`): a part holding such
/// sequences is decoded as ISO-2022-JP, in which ASCII reads the same.
fn status_text(bytes: &[u8]) -> String {
    let iso_2022 = bytes.windows(2).any(|w| w[0] == 0x1b && matches!(w[1], b'$' | b'('));
    match mail_parser::decoders::charsets::map::charset_decoder(b"iso-2022-jp") {
        Some(decode) if iso_2022 => decode(bytes),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Header value as text (first occurrence), trimmed.
pub(super) fn header_text(msg: &Message<'_>, name: &str) -> Option<String> {
    msg.header_raw(name).map(plaintext_collapse).filter(|v| !v.is_empty())
}

fn plaintext_collapse(s: &str) -> String {
    dsn::collapse_ws(s)
}

/// The largest char boundary at or below `n`.
pub(super) fn floor(s: &str, n: usize) -> usize {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

fn cap(mut s: String) -> String {
    let n = floor(&s, MAX_TEXT_BYTES);
    s.truncate(n);
    s
}

/// Addresses of a header (`To`, `From`...), lower-cased.
fn header_addresses(msg: &Message<'_>, name: &str) -> Vec<String> {
    msg.header_raw(name).map(plaintext::addresses).unwrap_or_default()
}

/// Reads one email. Never panics, on any bytes.
pub fn read(raw: &[u8], source: &RecordSource) -> EmailRead {
    let mut out = EmailRead::default();
    let repaired = mime_repair::undeclared_multipart(raw);
    let raw = repaired.as_deref().unwrap_or(raw);
    let Some(msg) = MessageParser::default().parse(raw).filter(|m| !m.parts.is_empty() && !m.headers().is_empty()) else {
        out.problems.push(EmailProblem::Unparsable);
        return out;
    };
    let mut parts = collect_parts(&msg);
    // Where the header block ends and the body begins.
    let body_start = msg.parts.first().map_or(raw.len(), |r| (r.offset_body as usize).min(raw.len()));
    if parts.status.is_empty() && parts.feedback.is_empty() && parts.human.trim().is_empty() {
        // A part header the MIME parser could not follow (a `boundary=` parameter on a line
        // of its own, not folded): its text is still there, between the MIME lines.
        let text = mime_repair::without_mime_lines(&String::from_utf8_lossy(&raw[body_start..]));
        if !text.trim().is_empty() {
            parts.human = text;
            parts.damaged = true;
        }
    }
    if parts.damaged {
        out.problems.push(EmailProblem::Damaged);
    }
    // A bounce forwarded by a person, quoted: read the bounce inside.
    let forwarded = if parts.status.is_empty() { plaintext::unquote_forwarded(&parts.human) } else { None };
    let whole: &str = forwarded.as_deref().unwrap_or(&parts.human);
    let cut = plaintext::cut_original(whole);
    let human = &whole[..cut];
    let headers_raw = String::from_utf8_lossy(&raw[..body_start]).into_owned();
    let mut exclude = header_addresses(&msg, "To");
    exclude.extend(header_addresses(&msg, "From"));
    let template = |recipient: Option<String>| Record { recipient, ..Record::plain(String::new(), source.clone()) };

    if !parts.feedback.is_empty() {
        let fields = dsn_fields(&parts.feedback[0]);
        let rcpt = fields
            .iter()
            .find(|(n, _)| n == "original-rcpt-to")
            .map(|(_, v)| v.trim_matches(['<', '>', ' ']).to_ascii_lowercase())
            .or_else(|| plaintext::addresses(&header_field(&parts.original_headers, "to")).into_iter().next());
        let mut r = template(rcpt);
        r.kind = RecordKind::Feedback;
        r.text =
            cap(fields.iter().find(|(n, _)| n == "feedback-type").map_or_else(|| "abuse".into(), |(_, v)| format!("feedback-type: {v}")));
        r.reporter = MtaKind::Family("arf");
        out.records.push(r);
        out.spans.push(None);
        out.text = human.to_owned();
        return out;
    }

    let reports: Vec<dsn::DsnReport> = parts.status.iter().map(|s| dsn::parse(s)).collect();
    let after_data = reports.iter().any(|r| r.reporting_mta.as_deref().is_some_and(reports_after_data));
    let status: Vec<DsnRecipient> = reports.into_iter().flat_map(|r| r.recipients).collect();
    let text_recipients = plaintext::recipients(human, &exclude);
    let family = plaintext::family(human, &headers_raw);
    let part_of = |addr: Option<&str>| -> Option<std::ops::Range<usize>> {
        let a = addr?;
        text_recipients.iter().find(|t| t.address.eq_ignore_ascii_case(a)).map(|t| t.span.clone())
    };

    if !status.is_empty() {
        let single = status.len() == 1;
        let failed_header: Vec<String> = header_addresses(&msg, "X-Failed-Recipients");
        for (i, d) in status.iter().enumerate() {
            let recipient = d.recipient().map(|a| a.to_ascii_lowercase());
            // Exim reports a pipe or a file it could not deliver to ("|/usr/bin/x",
            // "/var/mail/x") and Sendmail a bare "@host": no mailbox. The address
            // the MTA names elsewhere stands for it.
            let recipient = match recipient {
                Some(r) if !is_mailbox(&r) => failed_header
                    .get(i)
                    .filter(|_| failed_header.len() == status.len())
                    .cloned()
                    .or_else(|| (single && text_recipients.len() == 1).then(|| text_recipients[0].address.clone()))
                    .or(Some(r)),
                other => other,
            };
            let mut span = part_of(recipient.as_deref());
            if span.is_none() && single && text_recipients.is_empty() && !human.trim().is_empty() {
                span = Some(0..human.len());
            }
            let human_part = span.as_ref().map(|s| plaintext::diagnostic(&human[s.clone()], recipient.as_deref())).unwrap_or_default();
            let diag = d.diagnostic.clone().unwrap_or_default();
            // A bare code ("smtp; 550") says less than the human text about the same address.
            let words = diag.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count();
            let text = if words < 2 && !human_part.is_empty() { join(&diag, &human_part) } else { diag.clone() };
            let mut r = template(recipient);
            r.text = cap(with_status(text, d.status));
            let (basic, enhanced) = smtp::scan_codes(&r.text);
            r.reply_code = basic;
            r.enhanced_code = d.status.or(enhanced);
            // The diagnostic first, then the recipient's paragraph; a Sendmail transcript
            // (">>> DATA" / "<<< 550 ...") follows the address list, so with one recipient
            // the whole human part speaks for it.
            r.phase = smtp::scan_phase(&diag)
                .or_else(|| smtp::scan_phase(&human_part))
                .or_else(|| span.as_ref().and_then(|s| smtp::scan_phase(&human[s.clone()])))
                .or_else(|| if single { smtp::scan_phase(human) } else { None })
                .or(after_data.then_some(Phase::EndOfData));
            r.remote_mta = d.remote_mta.clone().or_else(|| remote_host(&human_part));
            r.action = d.action;
            r.reporter = MtaKind::Rfc3464;
            if let Some(f) = family {
                r.reporter = MtaKind::Family(f);
            }
            out.records.push(r);
            out.spans.push(span);
        }
        out.text = human.to_owned();
        return out;
    }

    if let Some(records) = super::ses::records(human, source).or_else(|| super::ses::records(whole, source)) {
        out.spans = vec![None; records.len()];
        out.records = records;
        out.text = human.to_owned();
        return out;
    }

    // No status part and no address in the text, but the report it passes on is attached.
    if text_recipients.is_empty()
        && let Some(inner) = &parts.inner_report
    {
        let mut read = read(inner, source);
        read.problems.extend(out.problems);
        return read;
    }

    if is_auto_reply(&msg) {
        let from = header_addresses(&msg, "From").into_iter().next();
        let mut r = template(from);
        r.kind = RecordKind::AutoReply;
        r.text = cap(plaintext::diagnostic(&format!("{}\n{}", msg.subject().unwrap_or(""), human), None));
        r.reporter = MtaKind::Family("auto_reply");
        out.records.push(r);
        out.spans.push(None);
        out.text = human.to_owned();
        return out;
    }

    let list_headers = ["X-MLServer", "List-Id", "List-Post", "Mailing-List", "X-Mailman-Version", "X-BeenThere"]
        .iter()
        .any(|h| msg.header_raw(*h).is_some());
    // The list's address: its List-Post, else Mailman's X-BeenThere (a moderator's notice has no List-Post).
    let list_address = header_text(&msg, "List-Post").or_else(|| header_text(&msg, "X-BeenThere"));
    if let Some(r) = super::mlist::refusal(human, list_headers, list_address, source) {
        out.records.push(r);
        out.spans.push(None);
        out.text = human.to_owned();
        return out;
    }

    if !looks_like_bounce(&msg, human) {
        out.problems.push(EmailProblem::NotABounce);
        out.text = human.to_owned();
        return out;
    }

    let reporter = family.map_or(MtaKind::Plain, MtaKind::Family);
    if text_recipients.is_empty() {
        // No address in the bounce text: the headers name the recipient, the whole text is the error.
        let rcpt = header_text(&msg, "X-Failed-Recipients")
            .and_then(|v| plaintext::addresses(&v).into_iter().next())
            .or_else(|| plaintext::addresses(&header_field(&parts.original_headers, "to")).into_iter().next())
            .or_else(|| plaintext::addresses(&inline_original_to(&whole[cut..])).into_iter().next())
            .or_else(|| plaintext::summary_to(human));
        if rcpt.is_none() {
            out.problems.push(EmailProblem::NoRecipient);
        }
        let text = plaintext::diagnostic(human, None);
        out.records.push(text_record(template(rcpt), text, human, reporter.clone()));
        out.spans.push(Some(0..human.len()));
    } else {
        // With one recipient, the whole text (a transcript after the address list) speaks for it.
        let single = text_recipients.len() == 1;
        let context = |span: &std::ops::Range<usize>| if single { human } else { &human[span.clone()] };
        for t in &text_recipients {
            let mut text = plaintext::diagnostic(&human[t.span.clone()], Some(&t.address));
            if single && !has_code(&text) && has_code(human) {
                // A lone recipient named in a list of message details after the error
                // ("Error message below: 550 …", then "RCPT TO: addr"): the error is above it.
                text = plaintext::diagnostic(human, None);
            } else if text.is_empty() {
                // Nothing after the address: Lotus Notes writes the reason above it.
                text = plaintext::diagnostic(&human[plaintext::paragraph_before(human, t.span.start)], None);
            }
            out.records.push(text_record(template(Some(t.address.clone())), text, context(&t.span), reporter.clone()));
            out.spans.push(Some(t.span.clone()));
        }
    }
    out.text = human.to_owned();
    out
}

/// `context`: the text around the error where the SMTP phase may be said when the error line doesn't.
fn text_record(mut r: Record, text: String, context: &str, reporter: MtaKind) -> Record {
    r.text = cap(text);
    let (basic, enhanced) = smtp::scan_codes(&r.text);
    r.reply_code = basic;
    r.enhanced_code = enhanced;
    r.phase = smtp::scan_phase(&r.text).or_else(|| smtp::scan_phase(context));
    r.remote_mta = remote_host(&r.text);
    r.action = Some(Action::Failed);
    r.reporter = reporter;
    r
}

/// Whether a report from this `Reporting-MTA` speaks of mail it had already
/// accepted: Amazon SES receiving (`inbound-smtp.<region>.amazonaws.com`)
/// takes the whole message, then its receipt rules run, and a rule's Bounce
/// action answers with a DSN (Amazon SES Developer Guide, "Bounce action").
/// Whatever such a report says, it says after the end of DATA.
fn reports_after_data(reporting_mta: &str) -> bool {
    let host = reporting_mta.trim().trim_end_matches('.').to_ascii_lowercase();
    host.starts_with("inbound-smtp.") && host.ends_with(".amazonaws.com")
}

/// Whether a DSN recipient is a mailbox address (`local@domain`), not a
/// program, a file or a domain alone.
fn is_mailbox(addr: &str) -> bool {
    addr.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !local.starts_with(['|', '/']) && !local.contains(char::is_whitespace)
    })
}

/// Whether a text holds a reply code or an enhanced status code.
fn has_code(text: &str) -> bool {
    let (basic, enhanced) = smtp::scan_codes(text);
    basic.is_some() || enhanced.is_some()
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a} {b}"),
    }
}

/// Keeps the DSN `Status` with the text when the text has no enhanced code of
/// its own: it decides the fallback when no rule matches.
fn with_status(text: String, status: Option<EnhancedCode>) -> String {
    match status {
        Some(s) if smtp::scan_codes(&text).1.is_none() => join(&s.to_string(), &text),
        _ => text,
    }
}

/// "host mx.example.com[192.0.2.1] said" (Postfix), "host mx.example [..]:" (Exim),
/// "remote host 192.0.2.1 said" (qmail), "while talking to mx.example." (Sendmail).
fn remote_host(text: &str) -> Option<String> {
    static HOST: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\b(?:host|while talking to|connected to|remote host)\s+([a-z0-9][a-z0-9.-]*[a-z0-9])(?:\s*\[|\s+said|[.:]\s)",
        )
        .expect("static host regex")
    });
    HOST.captures(text).map(|c| c[1].to_ascii_lowercase())
}

/// `name: value` fields (lower-cased names) of a header-style text.
fn dsn_fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect()
}

/// The first `name:` field of a header block, folded lines joined.
fn header_field(headers: &str, name: &str) -> String {
    smtp::dsn_field(headers, name).map(|r| headers[r].to_owned()).unwrap_or_default()
}

/// The `To:` of a copy of the original message pasted after the bounce text.
fn inline_original_to(rest: &str) -> String {
    let head_end = rest.find("\n\n").or_else(|| rest.find("\r\n\r\n")).unwrap_or(rest.len());
    let head = &rest[..floor(rest, head_end.max(rest.len().min(8192)))];
    header_field(head, "to")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> RecordSource {
        RecordSource::default()
    }

    #[test]
    fn base64_status_part_is_read() {
        use std::fmt::Write;
        let status = "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n";
        let b64 = {
            const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut s = String::new();
            for c in status.as_bytes().chunks(3) {
                let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
                for i in 0..4 {
                    if i <= c.len() {
                        s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        s.push('=');
                    }
                }
            }
            s
        };
        let mut mail = String::from(
            "From: MAILER-DAEMON@mx.example\r\nTo: s@x.example\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--B\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        );
        for chunk in b64.as_bytes().chunks(76) {
            let _ = write!(mail, "{}\r\n", std::str::from_utf8(chunk).unwrap());
        }
        mail.push_str("--B--\r\n");
        let r = read(mail.as_bytes(), &src());
        assert_eq!(r.records.len(), 1, "{r:?}");
        assert_eq!(r.records[0].recipient.as_deref(), Some("a@b.example"));
        assert_eq!(r.records[0].text, "550 5.1.1 no such user");
        assert_eq!(r.records[0].action, Some(Action::Failed));
    }

    #[test]
    fn a_lost_multipart_header_is_put_back() {
        let mail = "From: MAILER-DAEMON@mx.example\nSubject: Returned mail\n\nThis is a MIME-encapsulated message\n\n--b0undary.123/mx.example\n\nThe original message was received\n\n--b0undary.123/mx.example\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: RFC822; a@b.example\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: SMTP; 550 Unauthenticated senders not allowed\n\n--b0undary.123/mx.example--\n";
        let r = read(mail.as_bytes(), &src());
        assert_eq!(r.records.len(), 1, "{r:?}");
        assert_eq!(r.records[0].recipient.as_deref(), Some("a@b.example"));
        assert_eq!(r.records[0].text, "5.0.0 550 Unauthenticated senders not allowed");
        assert!(mime_repair::undeclared_multipart(b"Content-Type: text/plain\n\n--abcdefgh\n--abcdefgh--\n").is_none());
        assert!(mime_repair::undeclared_multipart(b"Subject: x\n\n-- \nsignature\n").is_none());
    }

    #[test]
    fn an_iso_2022_jp_diagnostic_in_the_status_part_is_decoded() {
        // "ユーザー a (a@b.example) は Domino ディレクトリには見つかりません。", as Domino writes it.
        let diag = b"\x1b$B%f!<%6!<\x1b(B a (a@b.example) \x1b$B$O\x1b(B Domino \x1b$B%G%#%l%/%H%j$K$O8+$D$+$j$^$;$s!#\x1b(B";
        let mut mail = b"From: postmaster@b.example\nSubject: DELIVERY FAILURE\nMIME-Version: 1.0\n\
            Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\n\
            Content-Type: text/plain\n\nYour message was not delivered.\n--b\n\
            Content-Type: message/delivery-status\n\nReporting-MTA: dns;mx.b.example\n\n\
            Final-Recipient: rfc822;a@b.example\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Notes; "
            .to_vec();
        mail.extend_from_slice(diag);
        mail.extend_from_slice(b"\n\n--b--\n");
        let r = read(&mail, &src());
        assert_eq!(r.records.len(), 1, "{r:?}");
        assert!(
            r.records[0].text.contains("ユーザー a (a@b.example) は Domino ディレクトリには見つかりません。"),
            "{:?}",
            r.records[0].text
        );
        assert_eq!(status_text(b"Status: 5.1.1\n"), "Status: 5.1.1\n");
    }

    #[test]
    fn a_report_attached_whole_is_read() {
        let mail = "From: MAILER-DAEMON@gw.example\nSubject: Returned mail\nMIME-Version: 1.0\n\
            Content-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\nContent-Type: text/plain\n\n\
            ----- The following addresses had permanent delivery errors -----\n\n--outer\nContent-Type: message/rfc822\n\n\
            From: MAILER-DAEMON@mx.example\nSubject: Returned mail: User unknown\nMIME-Version: 1.0\n\
            Content-Type: multipart/report; report-type=delivery-status; boundary=\"inner\"\n\n--inner\n\
            Content-Type: text/plain\n\n   ----- The following addresses had permanent fatal errors -----\na@b.example\n\n--inner\n\
            Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n\
            Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n\
            --inner--\n\n--outer--\n";
        let r = read(mail.as_bytes(), &src());
        assert_eq!(r.records.len(), 1, "{r:?}");
        assert_eq!(r.records[0].recipient.as_deref(), Some("a@b.example"));
        assert_eq!(r.records[0].text, "550 5.1.1 User unknown");
    }

    #[test]
    fn ses_receiving_reports_after_data() {
        let mail = |reporting: &str| {
            format!(
                "From: postmaster@b.example\nSubject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n\
                 Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\n\
                 Content-Type: text/plain\n\nThis message could not be delivered.\n--b\n\
                 Content-Type: message/delivery-status\n\nReporting-MTA: dns; {reporting}\n\n\
                 Action: failed\nFinal-Recipient: rfc822; a@b.example\nOriginal-Recipient: rfc822; a@b.example\n\
                 Diagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist\nStatus: 5.1.1\n\n--b--\n"
            )
        };
        let r = read(mail("inbound-smtp.eu-west-1.amazonaws.com").as_bytes(), &src());
        assert_eq!(r.records.len(), 1, "{r:?}");
        assert_eq!(r.records[0].text, "550 5.1.1 Mailbox does not exist");
        assert_eq!(r.records[0].action, Some(Action::Failed));
        assert_eq!(r.records[0].phase, Some(Phase::EndOfData));
        let r = read(mail("mx.b.example").as_bytes(), &src());
        assert_eq!(r.records.len(), 1, "{r:?}");
        assert_eq!(r.records[0].phase, None);
    }

    #[test]
    fn a_part_whose_boundary_parameter_is_not_folded_is_read_as_text() {
        let mail = "From: postmaster@b.example\nTo: s@a.example\nSubject: Re: hello\nMIME-Version: 1.0\n\
            Content-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\nContent-Type: multipart/alternative;\n\
            boundary=\"inner\"\n\n--inner\nContent-Type: text/plain; charset=us-ascii\n\n\
            Error: Invalid user address\n\nError message below:\n550 - Requested action not taken: no such user here\n\n\
            Message details:\n  RCPT TO: u@b.example\n\n--inner--\n\n--outer--\n";
        let r = read(mail.as_bytes(), &src());
        assert_eq!(r.records.len(), 1, "{r:?}");
        assert_eq!(r.records[0].recipient.as_deref(), Some("u@b.example"), "{r:?}");
        assert!(r.text.contains("550 - Requested action not taken: no such user here"), "{:?}", r.text);
        assert!(!r.text.contains("boundary") && !r.text.contains("--inner"), "{:?}", r.text);
        assert!(r.problems.contains(&EmailProblem::Damaged));
    }

    #[test]
    fn not_a_bounce_and_garbage() {
        let mail = b"From: friend@example.org\r\nTo: me@example.org\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n";
        let r = read(mail, &src());
        assert!(r.records.is_empty());
        assert_eq!(r.problems, vec![EmailProblem::NotABounce]);
        assert_eq!(read(b"", &src()).problems, vec![EmailProblem::Unparsable]);
    }

    #[test]
    fn a_failure_notice_marked_auto_replied_is_still_a_bounce() {
        let mail = b"From: Mail Delivery Subsystem <MDaemon@mx.example.com>\r\nTo: me@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Permanent Delivery Failure\r\n\r\nThe attached message had PERMANENT fatal delivery errors!\r\n\r\nkijitora@example.net\r\n  550 5.1.1 User unknown\r\n";
        let r = read(mail, &src());
        assert_eq!(r.records.iter().map(|r| r.kind).collect::<Vec<_>>(), [RecordKind::Bounce]);
        assert_eq!(r.records[0].recipient.as_deref(), Some("kijitora@example.net"));
    }

    #[test]
    fn auto_reply_is_not_a_bounce() {
        let mail = b"From: boss@example.org\r\nTo: me@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nBack on Monday.\r\n";
        let r = read(mail, &src());
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0].kind, RecordKind::AutoReply);
        assert_eq!(r.records[0].recipient.as_deref(), Some("boss@example.org"));
    }
}
