//! What classifying gives: the [`Verdict`] of a text, the resolved reasons and
//! categories it points to, and the [`Explanation`] the tester shows.

use crate::engine::ruleset::{FailureType, QuarantinePolicy};
use crate::engine::smtp::{EnhancedCode, Reply};

/// What decided a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecidedBy {
    /// A bounce rule matched the text.
    Rule,
    /// No rule matched; the enhanced status code (RFC 3463) decided.
    EnhancedCode,
    /// No rule nor enhanced code; the basic reply code (RFC 5321) decided.
    ReplyCode,
    /// Nothing decided: the default category applies.
    None,
    /// The input itself said what it is: an auto-reply, a feedback report, a
    /// success DSN (see `Classifier::classify_record`).
    Input,
}

impl DecidedBy {
    /// Machine name used in CLI output.
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::Rule => "rule",
            DecidedBy::EnhancedCode => "enhanced_code",
            DecidedBy::ReplyCode => "reply_code",
            DecidedBy::None => "none",
            DecidedBy::Input => "input",
        }
    }

    /// Whether a rule could have decided this but none did: a fallback or the
    /// default did. What the input decides itself comes before every rule.
    pub fn is_unmatched(self) -> bool {
        !matches!(self, DecidedBy::Rule | DecidedBy::Input)
    }
}

/// A byte range in the classified text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Index of a reason in [`super::Classifier::reasons`].
pub type ReasonIdx = u16;
/// Index of a category in [`super::Classifier::categories`].
pub type CategoryIdx = u16;

/// The outcome of classifying one text. Plain `Copy` data: names are looked up
/// on the [`super::Classifier`], so classifying allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Verdict {
    /// Hard / Soft / Ignored.
    pub failure_type: FailureType,
    /// ACC reason.
    pub reason: ReasonIdx,
    /// Fine category.
    pub category: CategoryIdx,
    /// Index of the winning rule in the document's `bounce_rules`.
    pub rule: Option<usize>,
    /// What decided.
    pub decided_by: DecidedBy,
    /// Basic reply code found in the text.
    pub basic_code: Option<u16>,
    /// Enhanced status code found in the text.
    pub enhanced_code: Option<EnhancedCode>,
    /// Where the winning rule matched, in the input's byte offsets.
    pub span: Option<Span>,
}

/// A resolved reason.
#[derive(Clone, Debug, PartialEq)]
pub struct ReasonInfo {
    /// Reason id.
    pub id: String,
    /// Label, e.g. `User unknown`.
    pub label: String,
    /// Quarantine policy.
    pub quarantine: QuarantinePolicy,
    /// Release delay.
    pub release_after_days: Option<u32>,
    /// The label in other languages (see [`crate::engine::ruleset::ReasonDef::labels`]).
    pub labels: std::collections::BTreeMap<String, String>,
}

impl ReasonInfo {
    /// The label in the current thread's language when the rule set has it, else `label`.
    pub fn display_label(&self) -> &str {
        crate::engine::ruleset::localized_label(&self.label, &self.labels)
    }
}

/// A resolved category.
#[derive(Clone, Debug, PartialEq)]
pub struct CategoryInfo {
    /// Category id (Sisimai name).
    pub id: String,
    /// Its reason.
    pub reason: ReasonIdx,
    /// Its failure type.
    pub failure_type: FailureType,
}

/// One rule that matched, for explanations.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMatch {
    /// Index in the document's `bounce_rules`.
    pub rule: usize,
    /// Where it matched, in input offsets.
    pub span: Span,
}

/// Everything the tester shows about one text.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// What the parser found.
    pub reply: Reply,
    /// Every active rule that matches, in list order; the first one wins.
    pub matches: Vec<RuleMatch>,
    /// The final verdict.
    pub verdict: Verdict,
}
