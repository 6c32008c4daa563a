//! The fields of an RFC 3464 `message/delivery-status` part (and RFC 6533
//! `message/global-delivery-status`, the same fields in UTF-8): one block for
//! the message, one block per recipient.

use crate::engine::smtp::EnhancedCode;

use super::record::Action;

/// One recipient block of a delivery status report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DsnRecipient {
    /// `Final-Recipient` address, without its `rfc822;` type.
    pub final_recipient: Option<String>,
    /// `Original-Recipient` address, without its type.
    pub original_recipient: Option<String>,
    /// `Action` field.
    pub action: Option<Action>,
    /// `Status` field.
    pub status: Option<EnhancedCode>,
    /// `Diagnostic-Code` text without its `smtp;` type, folded lines joined.
    pub diagnostic: Option<String>,
    /// `Remote-MTA` host, without its `dns;` type.
    pub remote_mta: Option<String>,
}

impl DsnRecipient {
    /// The address the block is about: the final recipient, else the original one.
    pub fn recipient(&self) -> Option<&str> {
        self.final_recipient.as_deref().or(self.original_recipient.as_deref())
    }
}

/// A parsed delivery status part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DsnReport {
    /// `Reporting-MTA` host, without its type.
    pub reporting_mta: Option<String>,
    /// The recipient blocks, in the order of the report.
    pub recipients: Vec<DsnRecipient>,
}

/// Strips an RFC 3464 type prefix (`rfc822;`, `smtp;`, `dns;`) and angle brackets.
fn strip_type(value: &str) -> &str {
    let v = match value.split_once(';') {
        Some((t, rest)) if t.len() <= 16 && t.trim().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') => rest,
        _ => value,
    };
    v.trim().trim_start_matches('<').trim_end_matches('>').trim()
}

/// Folded lines joined by single spaces.
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Header-style fields of a text, folded lines joined, with blank lines kept as `None`.
fn fields(text: &str) -> Vec<Option<(String, String)>> {
    let mut out: Vec<Option<(String, String)>> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            out.push(None);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(Some((_, v))) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if !name.is_empty() && name.len() <= 40 && !name.contains(' ') => {
                out.push(Some((name.to_ascii_lowercase(), value.trim().to_owned())));
            }
            // A stray line inside a field (broken folding): part of the previous value.
            _ => {
                if let Some(Some((_, v))) = out.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            }
        }
    }
    out
}

/// Parses the fields of a delivery status part. Never fails: missing fields stay `None`.
///
/// Blocks are separated by blank lines; a second `Final-Recipient` inside one
/// block (reports written without the blank line) starts a new recipient too.
pub fn parse(text: &str) -> DsnReport {
    let mut report = DsnReport::default();
    let mut cur: Option<DsnRecipient> = None;
    let flush = |cur: &mut Option<DsnRecipient>, report: &mut DsnReport| {
        if let Some(r) = cur.take()
            && (r.recipient().is_some() || r.diagnostic.is_some() || r.status.is_some())
        {
            report.recipients.push(r);
        }
    };
    for f in fields(text) {
        let Some((name, value)) = f else {
            flush(&mut cur, &mut report);
            continue;
        };
        let per_recipient = matches!(
            name.as_str(),
            "final-recipient" | "original-recipient" | "action" | "status" | "diagnostic-code" | "remote-mta" | "x-actual-recipient"
        );
        if !per_recipient {
            if name == "reporting-mta" && report.reporting_mta.is_none() {
                report.reporting_mta = Some(strip_type(&value).to_owned());
            }
            continue;
        }
        let r = cur.get_or_insert_with(DsnRecipient::default);
        let starts_new = match name.as_str() {
            "final-recipient" => r.final_recipient.is_some(),
            // Postfix writes Final- then Original-Recipient in one block; RFC 3464 the other way round.
            // Amazon SES receiving opens its block with `Action`, so an action alone does not
            // close a block: a status or diagnostic does (they follow the addresses everywhere).
            "original-recipient" => {
                r.original_recipient.is_some() || (r.final_recipient.is_some() && (r.status.is_some() || r.diagnostic.is_some()))
            }
            _ => false,
        };
        if starts_new {
            flush(&mut cur, &mut report);
        }
        let r = cur.get_or_insert_with(DsnRecipient::default);
        match name.as_str() {
            "final-recipient" => r.final_recipient = non_empty(strip_type(&value)),
            "original-recipient" => r.original_recipient = non_empty(strip_type(&value)),
            "action" => r.action = Action::parse(&value),
            "status" => r.status = value.split_whitespace().next().and_then(EnhancedCode::parse),
            "diagnostic-code" => r.diagnostic = non_empty(&collapse_ws(strip_type(&value))),
            "remote-mta" => r.remote_mta = non_empty(strip_type(&value)),
            _ => {}
        }
    }
    flush(&mut cur, &mut report);
    report
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_per_recipient() {
        let part = "Reporting-MTA: dns; mx.example\r\nArrival-Date: today\r\n\r\n\
            Final-Recipient: rfc822; <a@b.example>\r\nAction: failed\r\nStatus: 5.2.2\r\n\
            Remote-MTA: dns; mx.b.example\r\nDiagnostic-Code: smtp; 552 mailbox\r\n  is full\r\n\r\n\
            Final-Recipient: rfc822; c@d.example\r\nAction: delayed\r\nStatus: 4.4.1\r\n\
            Final-Recipient: rfc822; e@f.example\r\nAction: failed\r\n";
        let r = parse(part);
        assert_eq!(r.reporting_mta.as_deref(), Some("mx.example"));
        assert_eq!(r.recipients.len(), 3);
        let a = &r.recipients[0];
        assert_eq!(a.recipient(), Some("a@b.example"));
        assert_eq!(a.diagnostic.as_deref(), Some("552 mailbox is full"));
        assert_eq!(a.remote_mta.as_deref(), Some("mx.b.example"));
        assert_eq!(a.action, Some(Action::Failed));
        assert_eq!(r.recipients[1].action, Some(Action::Delayed));
        assert_eq!(r.recipients[1].status.map(|s| s.to_string()).as_deref(), Some("4.4.1"));
        assert_eq!(r.recipients[2].recipient(), Some("e@f.example"));
    }

    #[test]
    fn a_block_that_opens_with_its_action_is_one_recipient() {
        // Amazon SES receiving: Action, Final-Recipient, Original-Recipient, Diagnostic-Code, Status.
        let part = "Reporting-MTA: dns; inbound-smtp.eu-west-1.amazonaws.com\r\n\r\n\
            Action: failed\r\nFinal-Recipient: rfc822; a@b.example\r\nOriginal-Recipient: rfc822; a@b.example\r\n\
            Diagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist\r\nStatus: 5.1.1\r\n\r\n\
            Action: failed\r\nFinal-Recipient: rfc822; c@b.example\r\nOriginal-Recipient: rfc822; c@b.example\r\n\
            Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\nStatus: 5.2.2\r\n";
        let r = parse(part);
        assert_eq!(r.recipients.len(), 2, "{:?}", r.recipients);
        assert_eq!(r.recipients[0].recipient(), Some("a@b.example"));
        assert_eq!(r.recipients[0].action, Some(Action::Failed));
        assert_eq!(r.recipients[0].diagnostic.as_deref(), Some("550 5.1.1 Mailbox does not exist"));
        assert_eq!(r.recipients[1].recipient(), Some("c@b.example"));
        assert_eq!(r.recipients[1].action, Some(Action::Failed));
        assert_eq!(r.recipients[1].status.map(|s| s.to_string()).as_deref(), Some("5.2.2"));
    }

    #[test]
    fn empty_and_garbage_give_nothing() {
        assert!(parse("").recipients.is_empty());
        assert!(parse("no fields here\n\n\n").recipients.is_empty());
        assert!(parse(":::\n\t\n").recipients.is_empty());
    }
}
