//! The rule set document: reasons, categories, bounce rules, MX rules and levels.
//!
//! This is what the analyst owns and what `sample_rules/default.ron` holds. RON
//! drops comments, so every item carries a `note` field instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::mx::MxRule;
use crate::i18n::{tr, tr_fmt};

mod load;
mod reasons;
mod write;

pub use load::{ExpectedKind, LoadError, RonProblem, decode_utf8, nearest, parse_ron, read_text};
pub use reasons::{LabelProblem, MAX_REASON_ID, ReasonIdError};
pub use write::to_ron;

/// Format version written by this build; older files are upgraded on load.
pub const FORMAT_VERSION: u32 = 1;

/// How a failed delivery is treated: ACC's three failure types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum FailureType {
    /// Permanent: the address is wrong.
    Hard,
    /// Temporary or not tied to the address.
    Soft,
    /// Not a failure (delivered, auto-reply, ...).
    Ignored,
}

impl FailureType {
    /// All types, in display order.
    pub const ALL: [FailureType; 3] = [FailureType::Hard, FailureType::Soft, FailureType::Ignored];

    /// The stable English name (`Hard`, `Soft`, `Ignored`): what files, CSV,
    /// JSON and TSV outputs carry and what parsers accept. Never translated.
    pub fn label(self) -> &'static str {
        match self {
            FailureType::Hard => "Hard",
            FailureType::Soft => "Soft",
            FailureType::Ignored => "Ignored",
        }
    }

    /// The label users read, in the current language (GUI, CLI human output).
    pub fn display_label(self) -> &'static str {
        tr(match self {
            FailureType::Hard => "engine.failure_hard",
            FailureType::Soft => "engine.failure_soft",
            FailureType::Ignored => "engine.failure_ignored",
        })
    }
}

/// The stable English name ([`FailureType::label`]), as in files and machine outputs.
impl std::fmt::Display for FailureType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// When errors of a reason put the address into quarantine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuarantinePolicy {
    /// Errors of this reason never quarantine (e.g. Refused: it is about the sender).
    Never,
    /// Quarantine once this many errors were counted (1 = on the first error).
    AfterErrors(u32),
}

impl QuarantinePolicy {
    /// The policy an error of type `t` meets: a Hard error quarantines on the 1st error whatever
    /// the threshold says (the threshold counts soft errors), as the quarantine replay applies
    /// it; the tester said "after 3rd error" for a reason made Hard (review finding).
    pub fn for_type(self, t: FailureType) -> QuarantinePolicy {
        match (t, self) {
            (_, QuarantinePolicy::Never) => QuarantinePolicy::Never,
            (FailureType::Hard, _) => QuarantinePolicy::AfterErrors(1),
            (_, p) => p,
        }
    }

    /// A short sentence for the UI in the current language, e.g. "quarantined after 3rd error".
    pub fn describe(self, release_after_days: Option<u32>) -> String {
        let base = match self {
            QuarantinePolicy::Never => return tr("engine.never_quarantined").to_owned(),
            QuarantinePolicy::AfterErrors(n) => tr_fmt("engine.quarantined_after", &[("nth", &display_ordinal(n.max(1)))]),
        };
        match release_after_days {
            Some(d) => tr_fmt("engine.released_after", &[("base", &base), ("days", &d)]),
            None => base,
        }
    }
}

/// An ordinal in the current language ("3rd", "3번째", "第3次", "3º"...).
pub fn display_ordinal(n: u32) -> String {
    // The catalogue has one template per English suffix; other languages give the four the same form.
    let key = match (n % 10, n % 100) {
        (_, 11..=13) => "engine.ordinal_th",
        (1, _) => "engine.ordinal_st",
        (2, _) => "engine.ordinal_nd",
        (3, _) => "engine.ordinal_rd",
        _ => "engine.ordinal_th",
    };
    tr_fmt(key, &[("n", &n)])
}

/// An ACC failure reason (User unknown, Mailbox full, ...) and its quarantine policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonDef {
    /// Stable identifier referenced by categories, e.g. `user_unknown`.
    pub id: String,
    /// What users read, e.g. `User unknown`.
    pub label: String,
    /// Failure type given to bounces of this reason unless a category or rule overrides it.
    pub failure_type: FailureType,
    /// When errors of this reason quarantine the address.
    pub quarantine: QuarantinePolicy,
    /// Days after which a quarantined address is released again (Mailbox full: 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_after_days: Option<u32>,
    /// Free text for the analyst.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The label in other languages, by catalogue code (`ko`, `zh-Hant`...):
    /// the analyst's data like `label`, shown when the interface speaks that language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl ReasonDef {
    /// The label in the current thread's language when the rule set has it, else `label`.
    pub fn display_label(&self) -> &str {
        localized_label(&self.label, &self.labels)
    }
}

/// `labels[current language]` when present and not blank, else `label`.
pub fn localized_label<'a>(label: &'a str, labels: &'a BTreeMap<String, String>) -> &'a str {
    match labels.get(crate::i18n::Lang::current().code()) {
        Some(l) if !l.trim().is_empty() => l,
        _ => label,
    }
}

/// A fine-grained category (Sisimai's reason names) mapped onto an ACC reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Sisimai reason name, e.g. `mailboxfull`.
    pub id: String,
    /// The ACC reason id this category resolves to.
    pub reason: String,
    /// Overrides the reason's failure type for this category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_type: Option<FailureType>,
    /// Momentum / SparkPost bounce classification code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub momentum: Option<u16>,
    /// PowerMTA bounce category name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub powermta: String,
    /// KumoMTA bounce class name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kumomta: String,
    /// Free text for the analyst.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Review state of a bounce rule, as in ACC.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleStatus {
    /// New, not yet reviewed.
    ToQualify,
    /// Reviewed and in use.
    #[default]
    Keep,
    /// Reviewed and not used: never matches.
    Ignore,
}

impl RuleStatus {
    /// All statuses, in display order.
    pub const ALL: [RuleStatus; 3] = [RuleStatus::ToQualify, RuleStatus::Keep, RuleStatus::Ignore];

    /// The stable English name (`To qualify`, `Keep`, `Ignore`) of CSV files
    /// and sync reports. Never translated.
    pub fn label(self) -> &'static str {
        match self {
            RuleStatus::ToQualify => "To qualify",
            RuleStatus::Keep => "Keep",
            RuleStatus::Ignore => "Ignore",
        }
    }

    /// The label users read, in the current language.
    pub fn display_label(self) -> &'static str {
        tr(match self {
            RuleStatus::ToQualify => "engine.status_to_qualify",
            RuleStatus::Keep => "engine.status_keep",
            RuleStatus::Ignore => "engine.status_ignore",
        })
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// One bounce qualification rule: a regular expression giving a category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BounceRule {
    /// Unique name, shown in verdicts.
    pub name: String,
    /// Regular expression (Rust `regex` syntax), case-insensitive.
    pub pattern: String,
    /// Category id (Sisimai reason name) the rule gives.
    pub category: String,
    /// Overrides the category's ACC reason for this rule only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Overrides the failure type for this rule only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_type: Option<FailureType>,
    /// Review state; `Ignore` rules never match.
    #[serde(default, skip_serializing_if = "is_default")]
    pub status: RuleStatus,
    /// Disabled rules never match but stay in the file.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Texts this rule must win.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub must_match: Vec<String>,
    /// Texts this rule's pattern must not match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub must_not_match: Vec<String>,
    /// What the rule covers and why.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// SMTP phases the rule applies to; empty = any (and texts whose phase is
    /// unknown). A "user unknown" said after DATA is a content filter, not a
    /// missing mailbox: such rules name `[Data, EndOfData]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<crate::engine::smtp::Phase>,
}

impl BounceRule {
    /// A new rule with defaults (enabled, `Keep`).
    pub fn new(name: impl Into<String>, pattern: impl Into<String>, category: impl Into<String>) -> Self {
        BounceRule {
            name: name.into(),
            pattern: pattern.into(),
            category: category.into(),
            reason: None,
            failure_type: None,
            status: RuleStatus::Keep,
            enabled: true,
            must_match: Vec::new(),
            must_not_match: Vec::new(),
            note: String::new(),
            phases: Vec::new(),
        }
    }

    /// Whether the rule takes part in classification.
    pub fn is_active(&self) -> bool {
        self.enabled && self.status != RuleStatus::Ignore
    }
}

/// A fallback used when no text rule matches: a status or reply code → category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeFallback {
    /// Code pattern: `5.1.1`, `*.2.2`, `4.*.*` for enhanced codes; `550`, `5**` for reply codes.
    pub code: String,
    /// Category given.
    pub category: String,
    /// Overrides the failure type (e.g. Hard for `5**`, Soft for `4**`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_type: Option<FailureType>,
}

/// How soft errors are counted towards quarantine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuarantineSettings {
    /// Soft errors are counted at most once per day.
    pub count_once_per_day: bool,
    /// The error counter is reset after this many days without errors.
    pub reset_after_quiet_days: u32,
}

impl Default for QuarantineSettings {
    fn default() -> Self {
        QuarantineSettings { count_once_per_day: true, reset_after_quiet_days: 10 }
    }
}

/// The whole rule set document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// File format version.
    pub version: u32,
    /// Name shown in the UI.
    #[serde(default)]
    pub name: String,
    /// Free text for the analyst.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Names of the six throughput levels, slowest first.
    #[serde(default = "default_level_names")]
    pub level_names: [String; 6],
    /// ACC reasons.
    pub reasons: Vec<ReasonDef>,
    /// Fine categories, each resolving to a reason.
    pub categories: Vec<Category>,
    /// Category used when nothing at all decides.
    #[serde(default = "default_category")]
    pub default_category: String,
    /// Quarantine counting settings.
    #[serde(default)]
    pub quarantine: QuarantineSettings,
    /// Bounce rules, tried in order; first match wins.
    pub bounce_rules: Vec<BounceRule>,
    /// Enhanced status code fallbacks, tried in order when no rule matches.
    #[serde(default)]
    pub enhanced_fallbacks: Vec<CodeFallback>,
    /// Basic reply code fallbacks, tried in order after the enhanced ones.
    #[serde(default)]
    pub reply_fallbacks: Vec<CodeFallback>,
    /// MX rules, tried in order; first match wins.
    #[serde(default)]
    pub mx_rules: Vec<MxRule>,
    /// Shared rule source this document follows (see `engine::sync`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Upstream>,
    /// Custom mode: the document is wholly the analyst's and sync is off.
    #[serde(default, skip_serializing_if = "is_false")]
    pub custom_mode: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where a document's shared rules come from: a `.ron` file, or a folder (a
/// shared drive, a git checkout) holding `rules.ron` or exactly one `.ron` file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// File or folder; a relative path is taken from the document's folder.
    pub path: PathBuf,
    /// Free text for the analyst (who maintains the source, how often).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

fn default_category() -> String {
    "undefined".to_owned()
}

/// The six level names of ACC, slowest first.
pub fn default_level_names() -> [String; 6] {
    ["Slow", "Normal", "Fast", "Very fast", "Boost", "Custom"].map(String::from)
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            version: FORMAT_VERSION,
            name: "Untitled".into(),
            note: String::new(),
            level_names: default_level_names(),
            reasons: Vec::new(),
            categories: Vec::new(),
            default_category: default_category(),
            quarantine: QuarantineSettings::default(),
            bounce_rules: Vec::new(),
            enhanced_fallbacks: Vec::new(),
            reply_fallbacks: Vec::new(),
            mx_rules: Vec::new(),
            upstream: None,
            custom_mode: false,
        }
    }
}

/// Why a rule set could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Serialisation failed (should not happen for valid documents).
    #[error("{}", crate::i18n::tr_fmt("errors.save_serialize", &[("error", .0)]))]
    Serialize(#[from] ron::Error),
    /// Writing failed; the previous file is untouched.
    #[error(transparent)]
    Io(#[from] super::fsio::WriteError),
}

impl RuleSet {
    /// Parses a RON document; `path` only names the source in errors.
    pub fn from_ron_str(text: &str, path: &Path) -> Result<RuleSet, LoadError> {
        let rs: RuleSet = parse_ron(text, path)?;
        if rs.version > FORMAT_VERSION {
            return Err(LoadError::Version { path: path.to_owned(), found: rs.version });
        }
        Ok(rs)
    }

    /// Reads and parses a rule file.
    pub fn load(path: &Path) -> Result<RuleSet, LoadError> {
        Self::from_ron_str(&read_text(path)?, path)
    }

    /// RON text with a stable field order, one reason, category, rule or MX
    /// rule a line (as the shipped file), so a one-rule edit is a one-line diff.
    pub fn to_ron_string(&self) -> Result<String, ron::Error> {
        to_ron(self, Some(2))
    }

    /// Saves atomically (temp file + rename, previous version kept as `.bak`).
    pub fn save(&self, path: &Path) -> Result<(), SaveError> {
        let text = self.to_ron_string()?;
        super::fsio::write_atomic(path, text.as_bytes(), true)?;
        Ok(())
    }

    /// The reason definition with this id.
    pub fn reason(&self, id: &str) -> Option<&ReasonDef> {
        self.reasons.iter().find(|r| r.id == id)
    }

    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// A rule name not used yet, based on `base`.
    pub fn unique_rule_name(&self, base: &str) -> String {
        let taken = |n: &str| self.bounce_rules.iter().any(|r| r.name == n);
        if !taken(base) {
            return base.to_owned();
        }
        (2..).map(|i| format!("{base} {i}")).find(|n| !taken(n)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hard_error_meets_a_threshold_of_one_and_never_stays_never() {
        use QuarantinePolicy::*;
        assert_eq!(AfterErrors(3).for_type(FailureType::Hard), AfterErrors(1));
        assert_eq!(AfterErrors(3).for_type(FailureType::Soft), AfterErrors(3));
        assert_eq!(Never.for_type(FailureType::Hard), Never);
        let mut doc = crate::engine::default_rules();
        let r = doc.reasons.iter_mut().find(|r| r.id == "mailbox_full").expect("mailbox_full");
        r.failure_type = FailureType::Hard;
        r.quarantine = AfterErrors(3);
        for c in doc.categories.iter_mut().filter(|c| c.reason == "mailbox_full") {
            c.failure_type = None;
        }
        let c = crate::engine::Classifier::new(&doc);
        let v = c.classify("552 5.2.2 Mailbox full");
        assert_eq!(v.failure_type, FailureType::Hard);
        assert!(c.quarantine_text(&v).contains("1st"), "{}", c.quarantine_text(&v));
    }

    #[test]
    fn the_shipped_file_saves_as_it_is_and_a_rename_is_a_one_line_diff() {
        let shipped = crate::engine::DEFAULT_RULES_RON;
        let mut doc = crate::engine::default_rules();
        assert_eq!(doc.to_ron_string().unwrap(), shipped, "sample_rules/default.ron is in the form the app saves");
        doc.bounce_rules[3].name.push_str(" X");
        let saved = doc.to_ron_string().unwrap();
        let changed = shipped.lines().zip(saved.lines()).filter(|(a, b)| a != b).count();
        assert_eq!((changed, shipped.lines().count()), (1, saved.lines().count()));
        assert!(!saved.contains("\\'"), "no escaped apostrophes");
    }

    #[test]
    fn ordinals() {
        assert_eq!(display_ordinal(1), "1st");
        assert_eq!(display_ordinal(2), "2nd");
        assert_eq!(display_ordinal(3), "3rd");
        assert_eq!(display_ordinal(11), "11th");
        assert_eq!(display_ordinal(22), "22nd");
        assert_eq!(display_ordinal(3), "3rd", "English by default");
        assert_eq!(display_ordinal(111), "111th");
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = RuleSet::from_ron_str("RuleSet(\n  version: 1,\n  reasons: [oops", Path::new("x.ron")).unwrap_err();
        match err {
            LoadError::Syntax { line, .. } => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn newer_version_is_refused() {
        let text = "RuleSet(version: 99, reasons: [], categories: [], bounce_rules: [])";
        assert!(matches!(RuleSet::from_ron_str(text, Path::new("x")), Err(LoadError::Version { found: 99, .. })));
    }

    #[test]
    fn round_trip() {
        let mut rs = RuleSet::default();
        rs.bounce_rules.push(BounceRule::new("a", "user unknown", "userunknown"));
        let text = rs.to_ron_string().unwrap();
        assert_eq!(RuleSet::from_ron_str(&text, Path::new("x")).unwrap(), rs);
    }
}
