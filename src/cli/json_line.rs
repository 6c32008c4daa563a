//! `classify`'s JSON lines, written straight into one reusable buffer.
//!
//! Why not serde: building the serialisable view of a record allocates (the
//! file name, the enhanced code, the MTA name) and serde's map path for the
//! flattened verdict is slow; the whole-process figure was dominated by
//! output. The bytes are the same as `serde_json::to_writer` of the record
//! view (a test compares them): same field order, same escapes.

use std::io::Write;

use crate::engine::classify::{Classifier, Verdict};
use crate::engine::ingest::{MtaKind, Record};
use crate::engine::ruleset::RuleSet;

/// A rule set's names as JSON strings, escaped and quoted once: a record
/// copies its verdict's instead of escaping the same names again (the
/// escapes of a record's names were ≈ 1.5 K instructions, callgrind, session 17).
pub struct Names<'a> {
    c: &'a Classifier,
    reasons: Vec<Vec<u8>>,
    categories: Vec<Vec<u8>>,
    rules: Vec<Vec<u8>>,
    /// `{"kumomta":…}` per category of the document.
    classes: Vec<Vec<u8>>,
}

impl<'a> Names<'a> {
    /// The names of `c`'s reasons, categories and rules, and `doc`'s classes.
    pub fn new(doc: &RuleSet, c: &'a Classifier) -> Names<'a> {
        let quoted = |s: &str| {
            let mut b = Vec::with_capacity(s.len() + 2);
            string(&mut b, s);
            b
        };
        let classes = doc
            .categories
            .iter()
            .map(|cat| {
                let mut b = b"{\"kumomta\":".to_vec();
                string(&mut b, &cat.kumomta);
                b.extend_from_slice(b",\"powermta\":");
                string(&mut b, &cat.powermta);
                b.extend_from_slice(b",\"momentum\":");
                opt_number(&mut b, cat.momentum.map(u64::from));
                b.push(b'}');
                b
            })
            .collect();
        Names {
            c,
            reasons: c.reasons().iter().map(|r| quoted(&r.label)).collect(),
            categories: c.categories().iter().map(|k| quoted(&k.id)).collect(),
            rules: (0..c.rule_count()).map(|i| quoted(c.rule_name(i))).collect(),
            classes,
        }
    }
}

/// Appends one record's JSON object and a newline to `buf`. Allocates nothing
/// once `buf` has grown to a line's size.
pub fn write_record(buf: &mut Vec<u8>, names: &Names<'_>, r: &Record, v: &Verdict) {
    buf.extend_from_slice(b"{\"file\":");
    match &r.source.file {
        Some(p) => string(buf, &p.to_string_lossy()),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"message\":");
    opt_number(buf, r.source.message);
    buf.extend_from_slice(b",\"line\":");
    opt_number(buf, r.source.line);
    buf.extend_from_slice(b",\"recipient\":");
    opt_string(buf, r.recipient.as_deref());
    buf.extend_from_slice(b",\"phase\":");
    match r.phase {
        Some(p) => label(buf, p.as_str()),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"mta\":");
    match r.reporter {
        // `log:` + the MTA, without building the name.
        MtaKind::Log(l) => {
            buf.extend_from_slice(b"\"log:");
            escaped(buf, l);
            buf.push(b'"');
        }
        ref k => string(buf, &k.name()),
    }
    buf.extend_from_slice(b",\"remote_mta\":");
    opt_string(buf, r.remote_mta.as_deref());
    buf.extend_from_slice(b",\"action\":");
    match r.action {
        Some(a) => label(buf, a.as_str()),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"kind\":");
    label(buf, r.kind.as_str());
    buf.extend_from_slice(b",\"log_class\":");
    opt_string(buf, r.log_class.as_deref());
    buf.extend_from_slice(b",");
    write_verdict_fields(buf, names, v);
    buf.extend_from_slice(b",\"classes\":");
    match names.classes.get(v.category as usize) {
        Some(cls) => buf.extend_from_slice(cls),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b"}\n");
}

/// `names[i]`, else `s` quoted here (a name the table does not have).
fn named(buf: &mut Vec<u8>, names: &[Vec<u8>], i: usize, s: &str) {
    match names.get(i) {
        Some(q) => buf.extend_from_slice(q),
        None => string(buf, s),
    }
}

/// The fields of [`super::VerdictJson`], without the braces.
fn write_verdict_fields(buf: &mut Vec<u8>, names: &Names<'_>, v: &Verdict) {
    let c = names.c;
    buf.extend_from_slice(b"\"failure_type\":");
    label(buf, v.failure_type.label());
    buf.extend_from_slice(b",\"reason\":");
    named(buf, &names.reasons, v.reason as usize, &c.reason(v).label);
    buf.extend_from_slice(b",\"category\":");
    named(buf, &names.categories, v.category as usize, &c.category(v).id);
    buf.extend_from_slice(b",\"rule\":");
    match v.rule {
        Some(i) => named(buf, &names.rules, i, c.rule_name(i)),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"decided_by\":");
    label(buf, v.decided_by.as_str());
    buf.extend_from_slice(b",\"basic_code\":");
    opt_number(buf, v.basic_code.map(u64::from));
    buf.extend_from_slice(b",\"enhanced_code\":");
    match v.enhanced_code {
        // Writing into a Vec cannot fail.
        Some(e) => drop(write!(buf, "\"{}.{}.{}\"", e.class, e.subject, e.detail)),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"span\":");
    match v.span {
        Some(s) => {
            buf.push(b'[');
            number(buf, s.start as u64);
            buf.push(b',');
            number(buf, s.end as u64);
            buf.push(b']');
        }
        None => buf.extend_from_slice(b"null"),
    }
}

fn number(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

fn opt_number(buf: &mut Vec<u8>, n: Option<u64>) {
    match n {
        Some(n) => number(buf, n),
        None => buf.extend_from_slice(b"null"),
    }
}

fn opt_string(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// A machine label of this program (phase, action, kind, failure type, who
/// decided): plain ASCII words, copied without the escape check.
fn label(buf: &mut Vec<u8>, s: &'static str) {
    debug_assert!(!needs_escape(s.as_bytes()), "{s:?}");
    buf.push(b'"');
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
}

fn string(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    escaped(buf, s);
    buf.push(b'"');
}

/// serde_json's escapes: `"`, `\`, the short forms `\b \f \n \r \t`, other
/// control characters as `\u00XX`; everything else as is (UTF-8).
fn escaped(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    // Most strings written (labels, ids, rule names) need no escape: one
    // vectorised check of the whole string, one copy. Short strings were
    // checked a byte at a time below (≈ 1.9 K instructions a record).
    if !needs_escape(bytes) {
        buf.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Sixteen bytes at a time while none needs escaping (most of a text):
        // the check of a whole chunk compiles to vector compares.
        if let Some(chunk) = bytes.get(i..i + 16)
            && !needs_escape(chunk)
        {
            i += 16;
            continue;
        }
        let b = bytes[i];
        i += 1;
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0..=0x1f => b'u',
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i - 1]);
        buf.push(b'\\');
        buf.push(short);
        if short == b'u' {
            buf.extend_from_slice(&[b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
        }
        start = i;
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// Whether a byte of `bytes` is escaped in JSON. No early exit, so that it
/// compiles to vector compares.
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |acc, &b| acc | (b < 0x20) | (b == b'"') | (b == b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::{Action, RecordKind, RecordSource};
    use crate::engine::smtp::Phase;

    /// The serde view `classify` wrote before: the reference for the bytes.
    #[derive(serde::Serialize)]
    struct Reference<'a> {
        file: Option<String>,
        message: Option<u64>,
        line: Option<u64>,
        recipient: Option<&'a str>,
        phase: Option<&'static str>,
        mta: std::borrow::Cow<'static, str>,
        remote_mta: Option<&'a str>,
        action: Option<&'static str>,
        kind: &'static str,
        log_class: Option<&'a str>,
        #[serde(flatten)]
        verdict: super::super::VerdictJson<'a>,
        classes: Option<super::super::classify::Classes<'a>>,
    }

    fn reference(doc: &RuleSet, c: &Classifier, r: &Record, v: &Verdict) -> Vec<u8> {
        let j = Reference {
            file: r.source.file.as_deref().map(|p| p.display().to_string()),
            message: r.source.message,
            line: r.source.line,
            recipient: r.recipient.as_deref(),
            phase: r.phase.map(|p| p.as_str()),
            mta: r.reporter.name(),
            remote_mta: r.remote_mta.as_deref(),
            action: r.action.map(|a| a.as_str()),
            kind: r.kind.as_str(),
            log_class: r.log_class.as_deref(),
            verdict: super::super::VerdictJson::new(c, v),
            classes: super::super::classify::classes(doc, v),
        };
        let mut out = serde_json::to_vec(&j).expect("serialises");
        out.push(b'\n');
        out
    }

    #[test]
    fn lines_are_the_bytes_serde_json_writes() {
        let doc = crate::engine::default_rules();
        let c = Classifier::new(&doc);
        let texts = [
            "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown",
            "452 4.2.2 Mailbox full",
            "421 try again later",
            "no code at all \"quoted\" back\\slash tab\t cr\r bell\u{7} esc\u{1b} del\u{7f} ünï 自动回复",
            // Escapes at the ends of and across the 16-byte chunks of the fast path.
            "550 0123456789a\"0123456789abcdef\\0123456789abcde\n0123456789abcdef\u{1f}",
            "",
        ];
        let mut buf = Vec::new();
        for (k, t) in texts.iter().enumerate() {
            let mut r = Record::plain(*t, RecordSource { file: None, message: None, line: Some(k as u64 + 1) });
            if k % 2 == 1 {
                r.source.file = Some(format!("dir/f\"ile{k}\n.eml").into());
                r.source.message = Some(u64::MAX);
                r.recipient = Some("a\u{1}b@example.com".into());
                r.phase = Some(Phase::RcptTo);
                r.remote_mta = Some("mx.example.com".into());
                r.action = Some(Action::Failed);
                r.reporter = if k == 1 { MtaKind::Log("kumomta") } else { MtaKind::Family("postfix") };
                r.kind = RecordKind::AutoReply;
                r.log_class = Some("Invalid\tRecipient".into());
            }
            let v = c.classify_record(&r);
            buf.clear();
            write_record(&mut buf, &Names::new(&doc, &c), &r, &v);
            assert_eq!(String::from_utf8_lossy(&buf), String::from_utf8_lossy(&reference(&doc, &c, &r, &v)), "{t:?}");
        }
        // A verdict whose category is not the document's has no classes.
        let mut small = doc.clone();
        small.categories.truncate(1);
        let r = Record::plain("452 4.2.2 Mailbox full", RecordSource::default());
        let v = c.classify_record(&r);
        buf.clear();
        write_record(&mut buf, &Names::new(&small, &c), &r, &v);
        assert_eq!(buf, reference(&small, &c, &r, &v));
    }
}
