//! PowerMTA bounce-category patterns: `/regex/ category`, one per line, inside
//! a `<bounce-category-patterns>` block of the PowerMTA config.
//!
//! PowerMTA uses a PCRE engine. On export the user's pattern goes out as
//! written behind `(?i)` (PCRE's `\b` is already ASCII, like the `(?-u:\b)`
//! rewrite the classifier compiles), with `/` escaped; Rust-only syntax is reported and skipped, syntax PCRE may read
//! differently (`\p{..}`, `(?P<..>)`) is reported and exported. On import,
//! PCRE features Rust regex lacks (look-around, backreferences, possessive
//! quantifiers, atomic groups) are reported and skipped.

use super::{Export, Import, ImportError, Meta, RuleIssue};
use crate::engine::ruleset::{BounceRule, RuleSet};
use crate::i18n::{tr, tr_fmt};

/// PowerMTA's catch-all category, used for categories without a `powermta` name.
pub const FALLBACK_CATEGORY: &str = "other";

/// Written in front of every exported pattern: PCRE is case-sensitive by default.
const CASE_FLAG: &str = "(?i)";

const OPEN_TAG: &str = "<bounce-category-patterns>";
const CLOSE_TAG: &str = "</bounce-category-patterns>";

/// Exports the active rules as a PowerMTA `<bounce-category-patterns>` block.
pub fn export(doc: &RuleSet) -> Export {
    let mut problems = Vec::new();
    let mut text = String::new();
    text.push_str(&format!("# PowerMTA bounce categories exported by bouncelab from '{}'.\n", doc.name.replace('\n', " ")));
    text.push_str("# The '# bouncelab-rule' comments let bouncelab import the file back losslessly.\n");
    text.push_str(OPEN_TAG);
    text.push('\n');
    for (i, rule) in doc.bounce_rules.iter().enumerate() {
        if let Some(why) = super::export_blocker(doc, rule).or_else(|| rust_only_syntax(&rule.pattern).map(String::from)) {
            problems.push(RuleIssue::rule(i, &rule.name, why, true));
            continue;
        }
        if let Some(issue) = super::phase_blocker(i, rule, super::Format::PowerMta) {
            problems.push(issue);
            continue;
        }
        if rule.pattern.contains(['\n', '\r']) {
            problems.push(RuleIssue::rule(i, &rule.name, tr("interchange.pmta_multiline"), true));
            continue;
        }
        let written = format!("{CASE_FLAG}{}", escape_slashes(&rule.pattern));
        if let Err(e) = pcre2::bytes::RegexBuilder::new().utf(true).build(&written) {
            // What PowerMTA's own PCRE would refuse: checked with PCRE2 itself.
            problems.push(RuleIssue::rule(i, &rule.name, tr_fmt("export.pcre_rejects", &[("error", &e)]), true));
            continue;
        }
        for warning in pcre_differences(&rule.pattern) {
            problems.push(RuleIssue::rule(i, &rule.name, warning, false));
        }
        if let Some(note) = super::lost_overrides(rule) {
            problems.push(RuleIssue::rule(i, &rule.name, note, false));
        }
        let (category, why) = category_of(doc, rule);
        if let Some(msg) = why {
            problems.push(RuleIssue::rule(i, &rule.name, msg, false));
        }
        text.push_str(&format!("    {}\n", super::meta_comment(i, rule)));
        text.push_str(&format!("    /{written}/ {category}\n"));
    }
    text.push_str(CLOSE_TAG);
    text.push('\n');
    Export { more_files: Vec::new(), text, problems }
}

/// The PowerMTA category a rule exports under, with the problem when it is the fallback.
pub fn category_of<'a>(doc: &'a RuleSet, rule: &BounceRule) -> (&'a str, Option<String>) {
    match doc.category(&rule.category).map(|c| c.powermta.as_str()) {
        Some(p) if !p.is_empty() && !p.contains(char::is_whitespace) => (p, None),
        _ => (FALLBACK_CATEGORY, Some(tr_fmt("interchange.pmta_no_category", &[("id", &rule.category), ("fallback", &FALLBACK_CATEGORY)]))),
    }
}

/// Imports `/regex/ category` lines; the block tags and `#` comments are optional.
/// Never fails as a whole: bad lines are reported and skipped.
pub fn import(text: &str, base: &RuleSet) -> Result<Import, ImportError> {
    let mut problems = Vec::new();
    let mut out: Vec<(Option<usize>, BounceRule)> = Vec::new();
    let mut pending: Option<Meta> = None;
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut position = 0usize;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let lineno = n + 1;
        if line.is_empty() || line.eq_ignore_ascii_case(OPEN_TAG) || line.eq_ignore_ascii_case(CLOSE_TAG) {
            continue;
        }
        if line.starts_with('#') {
            pending = super::parse_meta(line);
            continue;
        }
        let meta = pending.take();
        let index = position;
        position += 1;
        let Some((pattern, class)) = split_line(line) else {
            let name = meta.map_or_else(|| tr_fmt("interchange.line", &[("n", &lineno)]), |m| m.name);
            problems.push(RuleIssue::rule(index, &name, super::at_line(lineno, &tr("interchange.pmta_expected")), true));
            continue;
        };
        let name = match &meta {
            Some(m) => m.name.clone(),
            None => {
                let n = match counts.iter_mut().find(|(c, _)| c == class) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        counts.push((class.to_owned(), 1));
                        1
                    }
                };
                format!("{class} #{n}")
            }
        };
        let pattern = unescape_slashes(pattern);
        // What the export adds so PCRE ignores case like bouncelab.
        let pattern = pattern.strip_prefix(CASE_FLAG).map(str::to_owned).unwrap_or(pattern);
        if let Some(what) = super::pcre_only_syntax(&pattern) {
            let msg = tr_fmt("interchange.pmta_unsupported", &[("what", &what)]);
            problems.push(RuleIssue::rule(index, &name, super::at_line(lineno, &msg), true));
            continue;
        }
        if let Err(e) = crate::engine::classify::compile_pattern(&pattern) {
            problems.push(RuleIssue::rule(index, &name, super::at_line(lineno, &e), true));
            continue;
        }
        let category = match super::category_for(base, class, meta.as_ref(), |c| c.powermta.as_str()) {
            Some(c) => c.id.clone(),
            None => {
                let msg = tr_fmt("interchange.pmta_unknown_category", &[("class", &class), ("default", &base.default_category)]);
                problems.push(RuleIssue::rule(index, &name, super::at_line(lineno, &msg), false));
                base.default_category.clone()
            }
        };
        out.push((meta.map(|m| m.position), BounceRule::new(name, pattern, category)));
    }
    super::restore_order(&mut out);
    Ok(Import { rules: out.into_iter().map(|(_, r)| r).collect(), problems })
}

/// Splits `/regex/ category` at the last `/` (categories never hold one).
pub(crate) fn split_line(line: &str) -> Option<(&str, &str)> {
    let body = line.strip_prefix('/')?;
    let end = body.rfind('/')?;
    let category = body[end + 1..].trim();
    if category.is_empty() || category.contains(char::is_whitespace) || !body[end + 1..].starts_with(char::is_whitespace) {
        return None;
    }
    Some((&body[..end], category))
}

/// Escapes each unescaped `/`, which would end the pattern early.
fn escape_slashes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '/' => out.push_str("\\/"),
            c => out.push(c),
        }
    }
    out
}

/// Turns `\/` back into `/` (both mean a slash in Rust regex; the plain one is what users write).
fn unescape_slashes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('/') => out.push('/'),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// Rust regex syntax PCRE does not have: Unicode mode switches and class set operations.
pub fn rust_only_syntax(pattern: &str) -> Option<&'static str> {
    let flags = pattern.match_indices("(?").any(|(i, _)| {
        let rest = &pattern[i + 2..];
        let group = rest.split([':', ')']).next().unwrap_or("");
        group.contains('u') && group.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
    });
    if flags {
        return Some(tr("interchange.pmta_rust_flag"));
    }
    if ["&&", "--", "~~"].iter().any(|op| in_class(pattern, op)) {
        return Some(tr("interchange.pmta_rust_set"));
    }
    None
}

/// Syntax PCRE accepts but may read differently: reported, still exported.
fn pcre_differences(pattern: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if pattern.contains("\\p{") || pattern.contains("\\P{") {
        out.push(tr("interchange.pmta_unicode_class"));
    }
    if pattern.contains("(?P<") {
        out.push(tr("interchange.pmta_named_group"));
    }
    out
}

/// Whether `op` occurs inside a `[...]` class (not escaped).
fn in_class(pattern: &str, op: &str) -> bool {
    let b = pattern.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => depth += 1,
            b']' if depth > 0 => depth -= 1,
            _ if depth > 0 && b[i..].starts_with(op.as_bytes()) => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_round_trip() {
        let p = "a/b\\/c[/]";
        let e = escape_slashes(p);
        assert_eq!(e, "a\\/b\\/c[\\/]");
        assert_eq!(split_line(&format!("/{e}/ bad-mailbox")), Some((e.as_str(), "bad-mailbox")));
        assert_eq!(unescape_slashes(&e), "a/b/c[/]");
    }

    #[test]
    fn rust_only() {
        assert!(rust_only_syntax("(?-u:\\b)x").is_some());
        assert!(rust_only_syntax("[a-z&&[^x]]").is_some());
        assert!(rust_only_syntax("(?i)x--y").is_none());
        assert!(rust_only_syntax("(?i:x)").is_none());
    }
}
