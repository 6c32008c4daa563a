//! Clusters of similar texts: unmatched bounce lines normalised into templates
//! (addresses, IPs, host names and ids replaced by placeholders) so that a
//! thousand variants of the same message show as one line with a count, and
//! a template can be turned into a general regex in one click.

use std::collections::HashMap;
use std::net::Ipv6Addr;

/// Placeholder for an email address.
pub const ADDR: &str = "<addr>";
/// Placeholder for an IPv4 or IPv6 address.
pub const IP: &str = "<ip>";
/// Placeholder for a domain or host name.
pub const HOST: &str = "<host>";
/// Placeholder for a number, id or hex string.
pub const NUM: &str = "<n>";

/// Templates longer than this are cut: a template is for reading and grouping,
/// and a 10 MB line must not produce a 10 MB key per variant.
pub const MAX_TEMPLATE_CHARS: usize = 400;

/// One group of texts sharing a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The normalised text.
    pub template: String,
    /// How many texts have it.
    pub count: usize,
    /// Index (in the caller's numbering) of the first text with it.
    pub first: usize,
}

/// Characters a token is made of; everything else is literal punctuation.
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+' | '%' | ':')
}

/// Normalises one text into its template.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEMPLATE_CHARS + 8));
    let mut rest = text;
    let mut pending_space = false;
    while !rest.is_empty() && out.len() < MAX_TEMPLATE_CHARS {
        let c = rest.chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if is_token_char(c) {
            let end = rest.find(|ch: char| !is_token_char(ch)).unwrap_or(rest.len());
            // A reply code is kept where replies put it: first, or before an enhanced code.
            let after = rest[end..].trim_start();
            let next = &after[..after.find(|ch: char| !is_token_char(ch)).unwrap_or(after.len())];
            let keep_code = !out.chars().any(char::is_alphanumeric) || is_enhanced_code(next.trim_end_matches(['.', ':', '-']));
            push_token(&mut out, &rest[..end], keep_code);
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Appends a token, replaced by a placeholder when it is variable data.
fn push_token(out: &mut String, token: &str, keep_code: bool) {
    // Trailing sentence punctuation is not part of an address or a name.
    let core = token.trim_end_matches(['.', ':', '-']);
    let tail = &token[core.len()..];
    if core.is_empty() {
        out.push_str(token);
        return;
    }
    if core.len() > 64 {
        // A 64-character "word" is a hash, an encoded blob or garbage.
        out.push_str(NUM);
        out.push_str(tail);
        return;
    }
    // "550-5.1.1": a multi-line reply's code and its continuation dash.
    if core.len() > 4 && core.as_bytes()[3] == b'-' && is_reply_code(&core[..3]) {
        push_token(out, &core[..3], keep_code);
        out.push('-');
        push_token(out, &core[4..], false);
        out.push_str(tail);
        return;
    }
    if keep_code && is_reply_code(core) {
        out.push_str(core);
    } else if let Some(p) = placeholder(core) {
        out.push_str(p);
    } else if core.contains(':') {
        // Not an IPv6 address: "name:value" pieces, each on its own.
        for (i, part) in core.split(':').enumerate() {
            if i > 0 {
                out.push(':');
            }
            if !part.is_empty() {
                push_token(out, part, false);
            }
        }
    } else {
        out.push_str(core);
    }
    out.push_str(tail);
}

/// The placeholder for a token, or None to keep it literally.
fn placeholder(t: &str) -> Option<&'static str> {
    if is_enhanced_code(t) {
        // Status codes decide the verdict: keep them so 4.x.x and 5.x.x do not merge.
        return None;
    }
    if let Some((local, domain)) = t.rsplit_once('@')
        && !local.is_empty()
        && domain.contains('.')
    {
        return Some(ADDR);
    }
    if is_ipv4(t) || (t.matches(':').count() >= 2 && t.parse::<Ipv6Addr>().is_ok()) {
        return Some(IP);
    }
    if t.contains(':') {
        return None;
    }
    if is_host(t) {
        return Some(HOST);
    }
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if digits > 0 && (digits == t.len() || t.len() >= 4) {
        return Some(NUM);
    }
    None
}

fn is_reply_code(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 3 && matches!(b[0], b'2' | b'4' | b'5') && b.iter().all(u8::is_ascii_digit)
}

fn is_enhanced_code(t: &str) -> bool {
    let parts: Vec<&str> = t.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..].iter().all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_ipv4(t: &str) -> bool {
    let parts: Vec<&str> = t.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| (1..=3).contains(&p.len()) && p.parse::<u16>().is_ok_and(|n| n <= 255))
}

/// `label.label.tld` with an alphabetic top-level label of two letters or more.
fn is_host(t: &str) -> bool {
    let labels: Vec<&str> = t.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_'))
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
}

/// Counts per template: template → (count, first index).
pub type TemplateCounts = HashMap<String, (usize, usize)>;

/// Adds one text to a count map.
pub fn count_into(map: &mut TemplateCounts, index: usize, text: &str) {
    let e = map.entry(normalize(text)).or_insert((0, index));
    e.0 += 1;
    e.1 = e.1.min(index);
}

/// Merges two count maps (for parallel folds).
pub fn merge(mut a: TemplateCounts, b: TemplateCounts) -> TemplateCounts {
    for (t, (n, first)) in b {
        let e = a.entry(t).or_insert((0, first));
        e.0 += n;
        e.1 = e.1.min(first);
    }
    a
}

/// Turns a count map into clusters, most frequent first (ties: first seen first).
pub fn ranked(map: TemplateCounts) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = map.into_iter().map(|(template, (count, first))| Cluster { template, count, first }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.first.cmp(&b.first)));
    out
}

/// Groups texts by template, most frequent first. `texts` yields (index, text);
/// indices are reported back in [`Cluster::first`].
pub fn cluster<'a>(texts: impl IntoIterator<Item = (usize, &'a str)>) -> Vec<Cluster> {
    let mut map = TemplateCounts::new();
    for (i, t) in texts {
        count_into(&mut map, i, t);
    }
    ranked(map)
}

/// A regex matching every text of a template: literal parts escaped, runs of
/// whitespace as `\s+`, placeholders as general pieces.
pub fn template_pattern(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        let next = [ADDR, IP, HOST, NUM].iter().filter_map(|p| rest.find(p).map(|i| (i, *p))).min_by_key(|(i, _)| *i);
        let (lit, ph) = match next {
            Some((i, p)) => (&rest[..i], Some(p)),
            None => (rest, None),
        };
        push_literal(&mut out, lit);
        if let Some(p) = ph {
            out.push_str(match p {
                ADDR => r"[^\s@<>]+@[^\s<>]+",
                IP => r"[0-9a-f.:]+",
                HOST => r"[a-z0-9._-]+",
                _ => r"[a-z0-9._%+-]+",
            });
            rest = &rest[lit.len() + p.len()..];
        } else {
            rest = "";
        }
    }
    out
}

fn push_literal(out: &mut String, lit: &str) {
    let mut first = true;
    for word in lit.split(' ') {
        if !first {
            out.push_str(r"\s+");
        }
        first = false;
        out.push_str(&regex::escape(word));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normaliser_table() {
        let cases = [
            ("550 5.1.1 <john.doe@example.com>: User unknown", "550 5.1.1 <<addr>>: User unknown"),
            ("450 4.2.0 <a@b.fr>:  Recipient   address\trejected", "450 4.2.0 <<addr>>: Recipient address rejected"),
            ("Messages from 192.0.2.25 deferred", "Messages from <ip> deferred"),
            ("connect to [2001:db8::1]:25 refused", "connect to [<ip>]:<n> refused"),
            ("DNS query failed for 'ourdan.com'", "DNS query failed for '<host>'"),
            ("Host mx1.mail.example.net said: go away.", "Host <host> said: go away."),
            ("queue id 4F3A2B1C99 after 30 tries", "queue id <n> after <n> tries"),
            ("550 5.7.1 [TS01] blocked {mx003}", "550 5.7.1 [<n>] blocked {<n>}"),
            ("mailbox full", "mailbox full"),
            ("Remote host said: 552 5.2.2 over quota after 450 tries", "Remote host said: 552 5.2.2 over quota after <n> tries"),
            ("421-4.7.0 try again", "421-4.7.0 try again"),
            ("", ""),
            ("   ", ""),
        ];
        for (text, want) in cases {
            assert_eq!(normalize(text), want, "{text}");
        }
    }

    #[test]
    fn variants_cluster_together_most_frequent_first() {
        let lines = ["weird 1 from a@b.com", "weird 22 from c@d.org", "other", "weird 3 from e@f.net"];
        let c = cluster(lines.iter().copied().enumerate());
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].template.as_str(), c[0].count, c[0].first), ("weird <n> from <addr>", 3, 0));
        assert_eq!((c[1].count, c[1].first), (1, 2));
    }

    #[test]
    fn pattern_matches_every_variant_and_is_valid() {
        let lines = [
            "550 5.1.1 <x.y@host.example>: no such user (id 12ab34) at mx9.example.org",
            "550 5.1.1 <z@q.fr>: no such user (id 9) at a.example",
        ];
        let t = normalize(lines[0]);
        assert_eq!(t, normalize(lines[1]));
        let re = crate::engine::classify::compile_pattern(&template_pattern(&t)).expect("valid regex");
        for l in lines {
            assert!(re.is_match(l), "{l} vs {}", template_pattern(&t));
        }
    }

    #[test]
    fn hostile_input_is_bounded() {
        let long = "x9 ".repeat(1_000_000);
        assert!(normalize(&long).len() <= MAX_TEMPLATE_CHARS + 8);
        let garbage = String::from_utf8_lossy(&[0xff, 0xfe, b'@', b'.', b':', 0x80, b':']).into_owned();
        let _ = template_pattern(&normalize(&garbage));
        assert!(crate::engine::classify::compile_pattern(&template_pattern("a.b*c <n> (x)")).is_ok());
    }
}
