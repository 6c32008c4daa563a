//! KumoMTA bounce classifier TOML: `[rules] Class = ["regex", ...]`.
//!
//! KumoMTA compiles every pattern into one Rust `RegexSet` and the first
//! pattern that matches wins, classes in file order. Our rules go out grouped
//! by class (the class of their category's `kumomta` field), classes in order
//! of first use, patterns in rule order. So when two rules of different
//! classes match the same text, KumoMTA's precedence can differ from
//! bouncelab's strict rule order; and categories sharing a class merge (the
//! `# bouncelab-rule` comments restore them on import).
//!
//! KumoMTA matches case-sensitively and bouncelab ignores case, so every
//! pattern is exported with a leading `(?i)`, which the import strips again.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Export, Import, ImportError, Meta, RuleIssue};
use crate::engine::ruleset::{BounceRule, RuleSet};
use crate::i18n::{tr, tr_fmt};

/// The class a rule whose category has no `kumomta` name goes under: KumoMTA's default.
pub const FALLBACK_CLASS: &str = "Uncategorized";

/// The only top-level key KumoMTA's rule files have.
const RULES_KEY: &str = "rules";

/// Added in front of every exported pattern so KumoMTA ignores case like bouncelab.
const CASE_FLAG: &str = "(?i)";

/// Exports the active rules as a KumoMTA bounce classifier file.
pub fn export(doc: &RuleSet) -> Export {
    let mut problems = Vec::new();
    // Class → (rule index, rule), classes in order of first use.
    let mut classes: Vec<(String, Vec<(usize, &BounceRule)>)> = Vec::new();
    for (i, rule) in doc.bounce_rules.iter().enumerate() {
        if let Some(why) = super::export_blocker(rule) {
            problems.push(RuleIssue::rule(i, &rule.name, why, true));
            continue;
        }
        let class = match doc.category(&rule.category).map(|c| c.kumomta.as_str()) {
            Some(k) if is_bare_key(k) => k.to_owned(),
            other => {
                let why = match other {
                    None => tr_fmt("engine.unknown_category", &[("id", &rule.category)]),
                    Some("") => tr_fmt("interchange.kumo_no_class", &[("id", &rule.category)]),
                    Some(k) => tr_fmt("interchange.kumo_not_plain", &[("class", &k)]),
                };
                let msg = tr_fmt("interchange.exported_as", &[("why", &why), ("class", &FALLBACK_CLASS)]);
                problems.push(RuleIssue::rule(i, &rule.name, msg, false));
                FALLBACK_CLASS.to_owned()
            }
        };
        if let Some(note) = super::lost_overrides(rule) {
            problems.push(RuleIssue::rule(i, &rule.name, note, false));
        }
        match classes.iter_mut().find(|(c, _)| *c == class) {
            Some((_, list)) => list.push((i, rule)),
            None => classes.push((class, vec![(i, rule)])),
        }
    }

    let mut text = String::new();
    text.push_str(&format!("# KumoMTA bounce classifier rules exported by bouncelab from '{}'.\n", doc.name.replace('\n', " ")));
    text.push_str("# Load with kumo.configure_bounce_classifier { files = { '<this file>' } }.\n");
    text.push_str("# The '# bouncelab-rule' comments let bouncelab import the file back losslessly.\n\n");
    text.push_str("[rules]\n");
    for (class, rules) in &classes {
        text.push_str(&format!("{class} = [\n"));
        for (i, rule) in rules {
            text.push_str(&format!("  {}\n", super::meta_comment(*i, rule)));
            text.push_str(&format!("  {},\n", toml_string(&format!("{CASE_FLAG}{}", rule.pattern))));
        }
        text.push_str("]\n");
    }
    Export { text, problems }
}

/// `[rules]` with the span of each class key and array, for file order and comments.
#[derive(Deserialize)]
struct RulesOnly {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// Imports a KumoMTA bounce classifier file. Unknown top-level keys (from a newer
/// KumoMTA) and non-list values are warnings; unknown classes get the default category.
pub fn import(text: &str, base: &RuleSet) -> Result<Import, ImportError> {
    let syntax = |e: toml::de::Error| ImportError::Syntax {
        format: "TOML",
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().to_owned(),
    };
    let table: toml::Table = toml::from_str(text).map_err(syntax)?;
    let mut problems = Vec::new();
    for key in table.keys().filter(|k| *k != RULES_KEY) {
        problems.push(RuleIssue::file(tr_fmt("interchange.kumo_unknown_key", &[("key", key)])));
    }
    if !matches!(table.get(RULES_KEY), Some(toml::Value::Table(_))) {
        problems.push(RuleIssue::file(tr("interchange.kumo_no_rules")));
        return Ok(Import { rules: Vec::new(), problems });
    }
    let parsed: RulesOnly = toml::from_str(text).map_err(syntax)?;
    let mut classes: Vec<_> = parsed.rules.into_iter().collect();
    classes.sort_by_key(|(k, _)| k.span().start);

    let mut out: Vec<(Option<usize>, BounceRule)> = Vec::new();
    let mut case_sensitive = 0usize;
    let mut position = 0usize;
    for (key, value) in classes {
        let class = key.get_ref().as_str();
        let span = value.span();
        let toml::Value::Array(items) = value.into_inner() else {
            let msg = tr_fmt("interchange.kumo_not_list", &[("class", &class)]);
            problems.push(RuleIssue::file(super::at_line(line_of(text, span.start), &msg)));
            continue;
        };
        let metas = metas_in(text.get(span.clone()).unwrap_or(""));
        // Comments only count when there is exactly one per pattern (the file was not hand-edited).
        let metas = (metas.len() == items.len()).then_some(metas);
        for (n, item) in items.into_iter().enumerate() {
            let meta = metas.as_ref().and_then(|m| m.get(n));
            let name = meta.map_or_else(|| format!("{class} #{}", n + 1), |m| m.name.clone());
            let index = position;
            position += 1;
            let toml::Value::String(raw) = item else {
                let msg = tr_fmt("interchange.kumo_not_string", &[("class", &class), ("n", &(n + 1))]);
                problems.push(RuleIssue::rule(index, &name, msg, true));
                continue;
            };
            let pattern = match raw.strip_prefix(CASE_FLAG) {
                Some(p) => p.to_owned(),
                None => {
                    case_sensitive += 1;
                    raw
                }
            };
            if let Some(what) = super::pcre_only_syntax(&pattern) {
                problems.push(RuleIssue::rule(index, &name, tr_fmt("interchange.kumo_unsupported", &[("what", &what)]), true));
                continue;
            }
            if let Err(e) = crate::engine::classify::compile_pattern(&pattern) {
                problems.push(RuleIssue::rule(index, &name, e.to_string(), true));
                continue;
            }
            let category = match super::category_for(base, class, meta, |c| c.kumomta.as_str()) {
                Some(c) => c.id.clone(),
                None => {
                    let msg = tr_fmt("interchange.kumo_unknown_class", &[("class", &class), ("default", &base.default_category)]);
                    problems.push(RuleIssue::rule(index, &name, msg, false));
                    base.default_category.clone()
                }
            };
            out.push((meta.map(|m: &Meta| m.position), BounceRule::new(name, pattern, category)));
        }
    }
    if case_sensitive > 0 {
        problems.push(RuleIssue::file(tr_fmt("interchange.kumo_case", &[("n", &case_sensitive)])));
    }
    super::restore_order(&mut out);
    Ok(Import { rules: out.into_iter().map(|(_, r)| r).collect(), problems })
}

/// The `# bouncelab-rule` comments inside one class's array text, in order.
fn metas_in(array_text: &str) -> Vec<Meta> {
    array_text.lines().filter_map(super::parse_meta).collect()
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// Whether a class name can be written as a bare TOML key (KumoMTA's are).
fn is_bare_key(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A one-line TOML string: a literal string when possible (regexes are full of
/// backslashes), else a basic string with escapes.
fn toml_string(s: &str) -> String {
    if !s.contains('\'') && !s.chars().any(|c| c.is_control()) {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 8);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_survive_toml() {
        for s in ["a\\b", "it's", "tab\there", "quote\"and'", "é ü"] {
            let doc = format!("x = {}", toml_string(s));
            let t: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(t["x"].as_str(), Some(s), "{doc}");
        }
    }
}
