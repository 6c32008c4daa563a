//! KumoMTA bounce classifier TOML: `[rules] Class = ["regex", ...]`.
//!
//! KumoMTA (`crates/bounce-classify`) reads each file's `[rules]` as an
//! ordered map class → patterns, merges the files listed in
//! `kumo.configure_bounce_classifier { files = {...} }` in order, compiles
//! every pattern into one `RegexSet` with default options, and the class of
//! the lowest matching pattern index wins (else `Uncategorized`).
//!
//! bouncelab's first-match order between rules of different classes is kept
//! exactly: rules go out in runs of one class, and a run whose class already
//! appears in the current file starts the next file (a class can appear only
//! once per file). Patterns are written as bouncelab compiles them: `(?i)`
//! (KumoMTA is case-sensitive by default) and the ASCII word boundaries
//! bouncelab uses, so both engines read the same regex, and KumoMTA's lazy
//! DFA never gives up on non-ASCII text because of a Unicode `\b`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Export, Import, ImportError, Meta, RuleIssue};
use crate::engine::ruleset::{BounceRule, RuleSet};
use crate::i18n::{tr, tr_fmt, tr_n};

/// The class a rule whose category has no `kumomta` name goes under: KumoMTA's default.
pub const FALLBACK_CLASS: &str = "Uncategorized";

/// KumoMTA's `PreDefinedBounceClass` variants (crates/bounce-classify). Other
/// names are kept by KumoMTA as user-defined labels that none of its own
/// logic recognises.
pub const PREDEFINED_CLASSES: [&str; 29] = [
    "InvalidRecipient",
    "DNSFailure",
    "SpamBlock",
    "SpamContent",
    "ProhibitedAttachment",
    "RelayDenied",
    "AutoReply",
    "TransientFailure",
    "Subscribe",
    "Unsubscribe",
    "ChallengeResponse",
    "BadConfiguration",
    "BadConnection",
    "BadDomain",
    "ContentRelated",
    "InactiveMailbox",
    "InvalidSender",
    "MessageExpired",
    "NoAnswerFromHost",
    "PolicyRelated",
    "ProtocolErrors",
    "QuotaIssues",
    "RelayingIssues",
    "RoutingErrors",
    "SpamRelated",
    "VirusRelated",
    "AuthenticationFailed",
    "TooManyRecipients",
    "Uncategorized",
];

/// Whether KumoMTA knows `class` as one of its predefined classes.
pub fn is_predefined(class: &str) -> bool {
    PREDEFINED_CLASSES.contains(&class)
}

/// The only top-level key KumoMTA's rule files have.
const RULES_KEY: &str = "rules";

/// Added in front of every exported pattern so KumoMTA ignores case like bouncelab.
const CASE_FLAG: &str = "(?i)";

/// What the word-boundary rewrite writes; the import turns it back into `\b`.
const ASCII_BOUNDARY: &str = "(?-u:\\b)";
const ASCII_NON_BOUNDARY: &str = "(?-u:\\B)";

/// One exported rule: where it came from, its class and the pattern as KumoMTA gets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KumoRule {
    /// Index in the document's `bounce_rules`.
    pub rule: usize,
    /// KumoMTA class.
    pub class: String,
    /// The pattern written to the file.
    pub pattern: String,
}

/// The KumoMTA class a document rule exports under, with the problem when it is a fallback.
pub fn class_of(doc: &RuleSet, rule: &BounceRule) -> (String, Option<String>) {
    match doc.category(&rule.category).map(|c| c.kumomta.as_str()) {
        Some(k) if is_bare_key(k) => (k.to_owned(), None),
        other => {
            let why = match other {
                None => tr_fmt("engine.unknown_category", &[("id", &rule.category)]),
                Some("") => tr_fmt("interchange.kumo_no_class", &[("id", &rule.category)]),
                Some(k) => tr_fmt("interchange.kumo_not_plain", &[("class", &k)]),
            };
            (FALLBACK_CLASS.to_owned(), Some(tr_fmt("interchange.exported_as", &[("why", &why), ("class", &FALLBACK_CLASS)])))
        }
    }
}

/// The pattern as KumoMTA must get it to match what bouncelab matches.
pub fn kumo_pattern(pattern: &str) -> String {
    format!("{CASE_FLAG}{}", crate::engine::classify::ascii_word_boundaries(pattern))
}

/// What the bounce-rule export writes: [`kumo_pattern`] with the alternations'
/// shared prefixes factored out (the same language, fewer NFA states for
/// KumoMTA's matcher; see [`super::kumomta_factor`]).
pub fn export_pattern(pattern: &str) -> String {
    let plain = crate::engine::classify::ascii_word_boundaries(pattern);
    match super::kumomta_factor::factor_alternations(&plain) {
        // The printer's output always parses; checked anyway, the plain form is never wrong.
        Some(f) if regex_syntax::Parser::new().parse(&f).is_ok() => format!("{CASE_FLAG}{f}"),
        _ => format!("{CASE_FLAG}{plain}"),
    }
}

/// The comment that carries a rule's pattern as written in bouncelab when the
/// export rewrote it, so the import gives the rule back unchanged.
const SOURCE_PREFIX: &str = "# bouncelab-source ";

/// The `# bouncelab-source` comments of a file: exported pattern -> bouncelab's.
/// Keyed by what the export makes of each source, so a hand-edited pattern
/// never picks up a source it no longer comes from.
fn sources_in(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(SOURCE_PREFIX))
        .filter_map(|rest| toml::from_str::<toml::Table>(&format!("s = {rest}")).ok()?.remove("s")?.as_str().map(String::from))
        .map(|src| (export_pattern(&src), src))
        .collect()
}

/// The rules that go out, in bouncelab's order, and the per-rule problems.
pub fn plan(doc: &RuleSet) -> (Vec<KumoRule>, Vec<RuleIssue>) {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut warned = Vec::<String>::new();
    for (i, rule) in doc.bounce_rules.iter().enumerate() {
        if let Some(why) = super::export_blocker(doc, rule) {
            problems.push(RuleIssue::rule(i, &rule.name, why, true));
            continue;
        }
        if let Some(issue) = super::phase_blocker(i, rule, super::Format::KumoMta) {
            problems.push(issue);
            continue;
        }
        let (class, why) = class_of(doc, rule);
        if let Some(why) = why {
            problems.push(RuleIssue::rule(i, &rule.name, why, false));
        } else if !is_predefined(&class) && !warned.contains(&class) {
            // Once per class: every rule of the class has the same problem.
            problems.push(RuleIssue::rule(i, &rule.name, tr_fmt("export.kumo_user_defined", &[("class", &class)]), false));
            warned.push(class.clone());
        }
        if let Some(note) = super::lost_overrides(rule) {
            problems.push(RuleIssue::rule(i, &rule.name, note, false));
        }
        out.push(KumoRule { rule: i, class, pattern: export_pattern(&rule.pattern) });
    }
    (out, problems)
}

/// Splits the rules into files so that KumoMTA's merged order is bouncelab's:
/// each file holds consecutive runs of distinct classes.
pub fn split_files(rules: &[KumoRule]) -> Vec<Vec<(String, Vec<&KumoRule>)>> {
    let mut files: Vec<Vec<(String, Vec<&KumoRule>)>> = vec![Vec::new()];
    for r in rules {
        let file = files.last_mut().expect("never empty");
        let same_run = file.last().is_some_and(|(class, _)| *class == r.class);
        if same_run {
            file.last_mut().expect("checked").1.push(r);
        } else if file.iter().any(|(c, _)| *c == r.class) {
            files.push(vec![(r.class.clone(), vec![r])]);
        } else {
            file.push((r.class.clone(), vec![r]));
        }
    }
    files
}

/// Exports the active rules as one KumoMTA bounce classifier file, or several
/// when one file cannot keep the first-match order (`more_files`).
pub fn export(doc: &RuleSet) -> Export {
    let (rules, mut problems) = plan(doc);
    let files = split_files(&rules);
    let n = files.len();
    if let Err(e) = check_compiles(&rules) {
        problems.push(RuleIssue::file(tr_fmt("export.kumo_set_fails", &[("error", &e)])));
    }
    let mut texts: Vec<String> = Vec::with_capacity(n);
    for (k, file) in files.iter().enumerate() {
        let mut text = String::new();
        text.push_str(&format!("# KumoMTA bounce classifier rules exported by bouncelab from '{}'.\n", doc.name.replace('\n', " ")));
        if n == 1 {
            text.push_str("# Load with kumo.configure_bounce_classifier { files = { '<this file>' } }.\n");
        } else {
            text.push_str(&format!(
                "# Part {} of {n}: list the {n} parts in order in kumo.configure_bounce_classifier {{ files = {{ ... }} }}\n",
                k + 1
            ));
            text.push_str(
                "# (a class appears once per file, so keeping bouncelab's first-match order across classes takes several files).\n",
            );
        }
        text.push_str("# Code fallbacks (enhanced / reply code) are not exported: list KumoMTA's iana.toml after these rules for them.\n");
        text.push_str("# The '# bouncelab-rule' comments let bouncelab import the file back losslessly.\n\n");
        text.push_str("[rules]\n");
        for (class, list) in file {
            text.push_str(&format!("{class} = [\n"));
            for r in list {
                let rule = &doc.bounce_rules[r.rule];
                text.push_str(&format!("  {}\n", super::meta_comment(r.rule, rule)));
                if r.pattern != kumo_pattern(&rule.pattern) {
                    text.push_str(&format!("  {SOURCE_PREFIX}{}\n", toml_string(&rule.pattern)));
                }
                text.push_str(&format!("  {},\n", toml_string(&r.pattern)));
            }
            text.push_str("]\n");
        }
        texts.push(text);
    }
    let text = texts.remove(0);
    Export { text, more_files: texts, problems }
}

/// Whether KumoMTA's builder (default options) accepts the whole set.
fn check_compiles(rules: &[KumoRule]) -> Result<(), regex::Error> {
    regex::RegexSetBuilder::new(rules.iter().map(|r| r.pattern.as_str())).build().map(|_| ())
}

/// The names of the files of a multi-file export: `PATH.toml`, `PATH.2.toml`, ...
pub fn part_paths(path: &std::path::Path, n: usize) -> Vec<std::path::PathBuf> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    (0..n)
        .map(|k| {
            if k == 0 {
                return path.to_owned();
            }
            let name = match &ext {
                Some(e) => format!("{stem}.{}.{e}", k + 1),
                None => format!("{stem}.{}", k + 1),
            };
            path.with_file_name(name)
        })
        .collect()
}

/// The `files = { ... }` line to paste into `kumo.configure_bounce_classifier`.
pub fn files_line(paths: &[std::path::PathBuf]) -> String {
    let list: Vec<String> =
        paths.iter().map(|p| format!("'{}'", p.display().to_string().replace('\\', "\\\\").replace('\'', "\\'"))).collect();
    format!("files = {{ {} }}", list.join(", "))
}

/// `[rules]` with the span of each class key and array, for file order and comments.
#[derive(Deserialize)]
struct RulesOnly {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// Imports the files of one KumoMTA classifier in load order (the parts of a
/// split export, or any list of rule files): their rules one after the other,
/// put back in exported order when every rule carries its comment.
pub fn import_files(texts: &[&str], base: &RuleSet) -> Result<Import, ImportError> {
    let mut all: Positioned = Vec::new();
    let mut problems = Vec::new();
    for text in texts {
        let (rules, p) = import_positions(text, base, all.len())?;
        all.extend(rules);
        problems.extend(p);
    }
    super::restore_order(&mut all);
    Ok(Import { rules: all.into_iter().map(|(_, r)| r).collect(), problems })
}

/// Imports a KumoMTA bounce classifier file. Unknown top-level keys (from a newer
/// KumoMTA) and non-list values are warnings; unknown classes get the default category.
pub fn import(text: &str, base: &RuleSet) -> Result<Import, ImportError> {
    import_files(&[text], base)
}

/// Rules read from one file, each with its exported position when its comment gave one.
type Positioned = Vec<(Option<usize>, BounceRule)>;

/// One file's rules with their exported positions; `first` numbers its rules after earlier files'.
fn import_positions(text: &str, base: &RuleSet, first: usize) -> Result<(Positioned, Vec<RuleIssue>), ImportError> {
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
        return Ok((Vec::new(), problems));
    }
    let parsed: RulesOnly = toml::from_str(text).map_err(syntax)?;
    let mut classes: Vec<_> = parsed.rules.into_iter().collect();
    classes.sort_by_key(|(k, _)| k.span().start);

    let sources = sources_in(text);
    let mut out: Vec<(Option<usize>, BounceRule)> = Vec::new();
    let mut case_sensitive = 0usize;
    let mut position = first;
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
                // A pattern the export rewrote: the rule as bouncelab had it.
                _ if sources.contains_key(&raw) => sources[&raw].clone(),
                // What the export wrote for `\b`: bouncelab compiles `\b` to it anyway.
                Some(p) => p.replace(ASCII_BOUNDARY, "\\b").replace(ASCII_NON_BOUNDARY, "\\B"),
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
        problems.push(RuleIssue::file(tr_n("interchange.kumo_case", case_sensitive, &[])));
    }
    Ok((out, problems))
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
pub(crate) fn toml_string(s: &str) -> String {
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
