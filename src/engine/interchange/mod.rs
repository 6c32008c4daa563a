//! Export and import of bounce rules in the formats of real MTAs and of
//! spreadsheets: KumoMTA bounce classifier TOML, PowerMTA bounce-category
//! patterns, CSV and JSON.
//!
//! Every function reports per-rule problems instead of failing: a rule the
//! target engine would not accept is reported and skipped, the others still go
//! through. Only a file that cannot be read at all is an [`ImportError`].
//!
//! The MTA formats have no room for rule names or our finer categories, so the
//! export writes a `# bouncelab-rule <n> <category>: <name>` comment before
//! each pattern and the import reads it back when present: a round trip
//! through KumoMTA or PowerMTA keeps names, categories and rule order. Files
//! written by hand (no such comments) get generated names and the first
//! category mapped to the class.

pub mod csv;
pub mod json;
pub mod kumomta;
pub mod kumomta_automation;
pub mod kumomta_engine;
pub mod kumomta_factor;
pub mod pmta_domains;
pub mod powermta;
pub mod shaping;
pub mod verify;

use super::ruleset::{BounceRule, Category, RuleSet};
use super::smtp::Phase;
use crate::i18n::{tr, tr_fmt, tr_n};

/// The formats bouncelab exports and imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// KumoMTA bounce classifier TOML: `[rules] Class = ["regex", ...]`.
    KumoMta,
    /// PowerMTA `<bounce-category-patterns>`: `/regex/ category` per line.
    PowerMta,
    /// CSV with a header line, one rule per row, lossless.
    Csv,
    /// JSON array of bounce rules, lossless.
    Json,
}

impl Format {
    /// All formats, in display order.
    pub const ALL: [Format; 4] = [Format::KumoMta, Format::PowerMta, Format::Csv, Format::Json];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::KumoMta => "kumomta",
            Format::PowerMta => "powermta",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// Parses a command-line name (case-insensitive).
    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The product name shown to users.
    pub fn display_name(self) -> &'static str {
        match self {
            Format::KumoMta => "KumoMTA",
            Format::PowerMta => "PowerMTA",
            Format::Csv => "CSV",
            Format::Json => "JSON",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::KumoMta => "toml",
            Format::PowerMta => "txt",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// One problem found while exporting or importing, tied to a rule when it is about one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleIssue {
    /// 0-based rule position: in the document on export, in the file on import.
    pub rule: Option<usize>,
    /// Rule name (or a generated one on import), empty for file-level issues.
    pub name: String,
    /// What is wrong, naming the line when the source has lines; in the current
    /// language. Empty when `kind` names the problem (rendered when shown).
    pub message: String,
    /// True when the rule was left out of the result.
    pub skipped: bool,
    /// The problem as data when the engine can name it, else [`IssueKind::Text`].
    pub kind: IssueKind,
}

/// What a [`RuleIssue`] is about, as data: callers can test for it and the
/// words are chosen in the reader's language when it is shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IssueKind {
    /// Said in `message`.
    #[default]
    Text,
    /// The rule applies only in these SMTP phases and the target format has
    /// no way to say a phase: exported, it would match in every phase.
    PhaseLimited {
        /// The format that cannot say it.
        format: Format,
        /// The rule's phases.
        phases: Vec<Phase>,
    },
}

impl RuleIssue {
    /// An issue about one rule.
    pub fn rule(index: usize, name: &str, message: impl Into<String>, skipped: bool) -> RuleIssue {
        RuleIssue { rule: Some(index), name: name.to_owned(), message: message.into(), skipped, kind: IssueKind::Text }
    }

    /// An issue about the whole file.
    pub fn file(message: impl Into<String>) -> RuleIssue {
        RuleIssue { rule: None, name: String::new(), message: message.into(), skipped: false, kind: IssueKind::Text }
    }

    /// Rule `index` is limited to SMTP phases, which `format` cannot say: left out.
    pub fn phase_limited(index: usize, rule: &BounceRule, format: Format) -> RuleIssue {
        let kind = IssueKind::PhaseLimited { format, phases: rule.phases.clone() };
        RuleIssue { rule: Some(index), name: rule.name.clone(), message: String::new(), skipped: true, kind }
    }

    /// What is wrong, in the current language.
    pub fn text(&self) -> String {
        match &self.kind {
            IssueKind::Text => self.message.clone(),
            IssueKind::PhaseLimited { format, phases } => {
                let list: Vec<&str> = phases.iter().map(|p| p.label()).collect();
                tr_n("interchange.phase_limited", list.len(), &[("format", &format.display_name()), ("phases", &list.join(", "))])
            }
        }
    }
}

impl std::fmt::Display for RuleIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self.rule {
            Some(i) => tr_fmt("interchange.issue_rule", &[("n", &(i + 1)), ("name", &self.name), ("message", &self.text())]),
            None => self.text(),
        };
        if self.skipped { f.write_str(&tr_fmt("interchange.issue_skipped", &[("message", &text)])) } else { f.write_str(&text) }
    }
}

/// The result of an export: the file text and what could not be carried over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// The file content (the first file when there are several).
    pub text: String,
    /// The following files, when the format needs several to keep the rule
    /// order (KumoMTA: `PATH.2.toml`, ...), loaded after `text` in this order.
    pub more_files: Vec<String>,
    /// Per-rule problems; skipped rules are not in `text`.
    pub problems: Vec<RuleIssue>,
}

/// The result of an import: the rules read and what was wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// Imported rules, in the source's rule order.
    pub rules: Vec<BounceRule>,
    /// Per-rule and file-level problems; skipped rules are not in `rules`.
    pub problems: Vec<RuleIssue>,
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not valid in its format (TOML, JSON, CSV header).
    #[error("{}", syntax_message(.format, .line, .message))]
    Syntax {
        /// Format name.
        format: &'static str,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What the parser said.
        message: String,
    },
    /// A column the rules cannot do without is missing from the CSV header.
    #[error("{}", tr_fmt("interchange.missing_column", &[("column", .0), ("columns", &csv::COLUMNS.join(", "))]))]
    MissingColumn(&'static str),
}

/// [`ImportError::Syntax`] in the current language.
fn syntax_message(format: &str, line: &Option<usize>, message: &str) -> String {
    match line {
        Some(l) => tr_fmt("interchange.syntax_at", &[("format", &format), ("line", l), ("message", &message)]),
        None => tr_fmt("interchange.syntax", &[("format", &format), ("message", &message)]),
    }
}

/// A message about line `n` of the source.
pub(crate) fn at_line(n: usize, message: &dyn std::fmt::Display) -> String {
    tr_fmt("interchange.at_line", &[("n", &n), ("message", message)])
}

/// Exports the document's bounce rules in `format`.
pub fn export(doc: &RuleSet, format: Format) -> Export {
    match format {
        Format::KumoMta => kumomta::export(doc),
        Format::PowerMta => powermta::export(doc),
        Format::Csv => csv::export(doc),
        Format::Json => json::export(doc),
    }
}

/// Writes an export to `path` (and `PATH.2.ext`, ... when it has several
/// files) as one update: nothing is replaced unless every file can be written.
/// Returns the paths written, in load order.
pub fn write_export(out: &Export, path: &std::path::Path) -> Result<Vec<std::path::PathBuf>, super::fsio::WriteError> {
    let parts: Vec<&str> = std::iter::once(out.text.as_str()).chain(out.more_files.iter().map(String::as_str)).collect();
    let paths = kumomta::part_paths(path, parts.len());
    let files: Vec<super::fsio::FileWrite<'_>> =
        paths.iter().zip(&parts).map(|(p, t)| super::fsio::FileWrite { path: p, bytes: t.as_bytes(), backup: false }).collect();
    super::fsio::write_files(&files)?;
    Ok(paths)
}

/// Imports bounce rules from `text` in `format`; `base` supplies the categories
/// that MTA classes map back to and the default category.
pub fn import(text: &str, format: Format, base: &RuleSet) -> Result<Import, ImportError> {
    match format {
        Format::KumoMta => kumomta::import(text, base),
        Format::PowerMta => powermta::import(text, base),
        Format::Csv => csv::import(text, base),
        Format::Json => json::import(text, base),
    }
}

/// Prefix of the comment that carries what an MTA format cannot hold.
const META_PREFIX: &str = "# bouncelab-rule ";

/// What the `# bouncelab-rule` comment carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    /// 1-based position in the exported document.
    pub(crate) position: usize,
    /// Our category id.
    pub(crate) category: String,
    /// Rule name.
    pub(crate) name: String,
}

/// The comment line written before each exported pattern (without indentation).
pub(crate) fn meta_comment(index: usize, rule: &BounceRule) -> String {
    // A newline in a name would end the comment early.
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    format!("{META_PREFIX}{} {}: {}", index + 1, clean(&rule.category), clean(&rule.name))
}

/// Reads a `# bouncelab-rule` comment back; `None` for any other line.
pub(crate) fn parse_meta(line: &str) -> Option<Meta> {
    let rest = line.trim().strip_prefix(META_PREFIX)?;
    let (n, rest) = rest.split_once(' ')?;
    // Category ids hold no ':'; the name may be empty, its space then trimmed away with the line's end.
    let (category, name) = rest.split_once(':')?;
    let name = name.strip_prefix(' ').unwrap_or(name);
    Some(Meta { position: n.parse().ok()?, category: category.to_owned(), name: name.to_owned() })
}

/// Which category an MTA class (or PowerMTA category) maps back to: the one
/// the comment names when it still maps to that class, else the first category
/// with that class, else `None`.
pub(crate) fn category_for<'a>(
    base: &'a RuleSet,
    class: &str,
    meta: Option<&Meta>,
    class_of: impl Fn(&Category) -> &str,
) -> Option<&'a Category> {
    let by_meta = meta.and_then(|m| base.category(&m.category)).filter(|c| {
        // An exported rule whose category had no class went out under a fallback class.
        let own = class_of(c);
        own == class || own.is_empty()
    });
    by_meta.or_else(|| base.categories.iter().find(|c| class_of(c) == class))
}

/// Problems of a rule that keep it out of an MTA export: exactly the rules
/// bouncelab's classifier leaves out (inactive, empty or invalid pattern,
/// unknown category or reason), so the target never matches a rule bouncelab skips.
pub(crate) fn export_blocker(doc: &RuleSet, rule: &BounceRule) -> Option<String> {
    if !rule.is_active() {
        return Some(tr("interchange.disabled").into());
    }
    if rule.pattern.trim().is_empty() {
        return Some(tr("interchange.empty_pattern_export").into());
    }
    match doc.category(&rule.category) {
        None => return Some(tr_fmt("engine.unknown_category", &[("id", &rule.category)])),
        Some(c) if doc.reason(&c.reason).is_none() => return Some(tr_fmt("engine.unknown_reason", &[("id", &c.reason)])),
        Some(_) => {}
    }
    if let Some(r) = rule.reason.as_deref().filter(|r| doc.reason(r).is_none()) {
        return Some(tr_fmt("engine.unknown_reason", &[("id", &r)]));
    }
    super::classify::compile_pattern(&rule.pattern).err().map(|e| e.to_string())
}

/// The issue that keeps a phase-limited rule out of an MTA export. The MTA
/// formats match the reply text alone, so the rule would fire in every phase
/// and take texts bouncelab gives to later rules; left out, the target gives
/// them the class of the rule bouncelab uses when the phase is not known.
pub(crate) fn phase_blocker(index: usize, rule: &BounceRule, format: Format) -> Option<RuleIssue> {
    (!rule.phases.is_empty()).then(|| RuleIssue::phase_limited(index, rule, format))
}

/// The rules an export of `doc` in `format` leaves out, by document index.
pub fn skipped_rules(doc: &RuleSet, format: Format) -> Vec<usize> {
    let mut out: Vec<usize> = export(doc, format).problems.iter().filter(|p| p.skipped).filter_map(|p| p.rule).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Per-rule notes for what an MTA format cannot carry (overrides).
pub(crate) fn lost_overrides(rule: &BounceRule) -> Option<String> {
    let ty = rule.failure_type.map(|t| t.display_label());
    Some(match (&rule.reason, ty) {
        (Some(r), Some(t)) => tr_fmt("interchange.lost_both", &[("reason", r), ("type", &t)]),
        (Some(r), None) => tr_fmt("interchange.lost_reason", &[("reason", r)]),
        (None, Some(t)) => tr_fmt("interchange.lost_type", &[("type", &t)]),
        (None, None) => return None,
    })
}

/// Puts rules imported with position comments back in the exported order; rules
/// without one keep their file order after them. Stable, never panics.
pub(crate) fn restore_order(rules: &mut [(Option<usize>, BounceRule)]) {
    if rules.iter().all(|(p, _)| p.is_some()) {
        rules.sort_by_key(|(p, _)| *p);
    }
}

/// Look-around, backreferences, possessive quantifiers and atomic groups: PCRE
/// features our regex engine (and KumoMTA's) does not have. `None` when clean.
pub fn pcre_only_syntax(pattern: &str) -> Option<&'static str> {
    let b = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    // Whether the previous token can be repeated by a quantifier (for possessive `++`).
    let mut after_quantifier = false;
    // Where an unescaped `{` opened, to tell `a{2}+` (possessive) from a literal brace.
    let mut brace: Option<usize> = None;
    while i < b.len() {
        let c = b[i];
        let quant = after_quantifier;
        after_quantifier = false;
        match c {
            b'\\' => {
                let next = b.get(i + 1).copied().unwrap_or(0);
                if !in_class && (next.is_ascii_digit() && next != b'0' || next == b'k' || next == b'g') {
                    return Some("backreference");
                }
                // `\p{Lu}`, `\x{41}`: the braces are part of the escape; what follows may be quantified.
                if next.is_ascii_alphabetic() && b.get(i + 2) == Some(&b'{') {
                    i = pattern[i..].find('}').map_or(b.len(), |e| i + e + 1);
                } else {
                    i += 2;
                }
                continue;
            }
            b'[' if !in_class => {
                in_class = true;
                // A `]` right after `[` or `[^` is literal.
                if b.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            _ if in_class => {}
            b'(' => {
                let rest = &pattern[i..];
                if rest.starts_with("(?=") || rest.starts_with("(?!") || rest.starts_with("(?<=") || rest.starts_with("(?<!") {
                    return Some("look-around");
                }
                if rest.starts_with("(?>") {
                    return Some("atomic group");
                }
                if rest.starts_with("(?") {
                    // Skip the `?` so it is not taken for a quantifier.
                    i += 1;
                }
            }
            b'{' => brace = Some(i),
            b'}' if brace.is_some_and(|start| b[start + 1..i].iter().all(|c| c.is_ascii_digit() || *c == b',')) => {
                brace = None;
                after_quantifier = true;
            }
            b'*' | b'+' | b'?' => {
                if c == b'+' && quant {
                    return Some("possessive quantifier");
                }
                after_quantifier = true;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_syntax_is_found() {
        for (p, what) in [
            ("foo(?=bar)", Some("look-around")),
            ("(?<!x)y", Some("look-around")),
            ("(a)\\1", Some("backreference")),
            ("a++", Some("possessive quantifier")),
            ("a{2}+", Some("possessive quantifier")),
            ("(?>ab)", Some("atomic group")),
            ("[(?=]x", None),
            ("a+b?c*", None),
            ("\\d+\\.\\d+", None),
            ("(?i)x\\+", None),
            ("\\\\1", None),
            ("\\p{Lu}+ x", None),
            ("\\x{41}+", None),
        ] {
            assert_eq!(pcre_only_syntax(p), what, "{p}");
        }
    }

    #[test]
    fn meta_round_trip() {
        let r = BounceRule::new("Mailbox: full\nsoon", "x", "mailboxfull");
        let m = parse_meta(&meta_comment(4, &r)).unwrap();
        assert_eq!(m, Meta { position: 5, category: "mailboxfull".into(), name: "Mailbox: full soon".into() });
        // An empty name survives the line's trailing space being trimmed (an indented comment line).
        let empty = BounceRule::new("", "x", "mailboxfull");
        let m = parse_meta(&format!("  {}  ", meta_comment(0, &empty))).unwrap();
        assert_eq!((m.position, m.category.as_str(), m.name.as_str()), (1, "mailboxfull", ""));
        assert_eq!(parse_meta("# other"), None);
    }
}
