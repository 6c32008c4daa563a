//! The UI-free engine: rule sets, SMTP parsing, classification, MX rules,
//! DNS, simulation and interchange formats. The CLI, the GUI, the tests and
//! the benchmarks all drive it the same way.

pub mod classify;
pub mod diff;
pub mod dns;
pub mod eval;
pub mod explain;
pub mod fsio;
pub mod ingest;
pub mod interchange;
pub mod lint;
pub mod mx;
pub mod quarantine;
pub mod rule_effect;
pub mod ruleset;
pub mod scenario;
pub mod simulate;
pub mod smtp;
pub mod sync;
pub mod templates;

pub use classify::{Classifier, DecidedBy, Explanation, Span, Verdict};
pub use mx::{Limits, MxRule, ThroughputLevel};
pub use ruleset::{BounceRule, FailureType, RuleSet};

/// The default rule set shipped in `sample_rules/default.ron`, built in so the
/// binary works from any folder.
pub const DEFAULT_RULES_RON: &str = include_str!("../../sample_rules/default.ron");

/// Where the shipped default rule file lives, relative to the repository.
pub const DEFAULT_RULES_PATH: &str = "sample_rules/default.ron";

/// The built-in default rule set.
pub fn default_rules() -> RuleSet {
    RuleSet::from_ron_str(DEFAULT_RULES_RON, std::path::Path::new(DEFAULT_RULES_PATH))
        .expect("the shipped default rule set parses (tested)")
}
