//! Provider feedback and MTA reactions: what a provider answers when a limit is
//! crossed, and what the MTA does about those answers (suspend, back off, drop
//! a level, then recover), as data of the scenario.
//!
//! Close to KumoMTA's traffic shaping automation (regex or class of a reply,
//! trigger at once or after N matches per period, an action for a duration)
//! and Momentum's Adaptive Delivery (back off, then climb back in steps).

use serde::{Deserialize, Serialize};

use crate::engine::classify::Classifier;
use crate::engine::ruleset::FailureType;

fn hundred() -> f64 {
    100.0
}

fn every_provider() -> String {
    "*".to_owned()
}

/// What a provider answers when it is pushed too hard: its condition and its reply.
///
/// The conditions are alternatives: attempts above `above_per_hour` (per IP)
/// get the reply; when the provider's bounce or complaint rate is above its
/// threshold, `share_pct` % of all attempts get it. Either only while the IPs
/// are younger than `while_ip_younger_than_days`, when set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// Name of the provider that answers (`providers[].name`), or `*` for all.
    pub provider: String,
    /// Messages per hour per IP above which attempts get the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above_per_hour: Option<f64>,
    /// The provider's bounce rate (soft + hard, % of attempts) above which it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounce_rate_above_pct: Option<f64>,
    /// The provider's complaint rate (% of delivered) above which it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_rate_above_pct: Option<f64>,
    /// Only while the sending IPs are younger than this many days (see `day_count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub while_ip_younger_than_days: Option<u32>,
    /// Share of the attempts concerned that get the reply, %.
    #[serde(default = "hundred")]
    pub share_pct: f64,
    /// The SMTP reply, classified by the document's own bounce rules.
    pub reply: String,
    /// Where the behaviour comes from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Which replies a reaction reacts to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyMatch {
    /// A regular expression over the reply text (Rust syntax, case-sensitive unless `(?i)`).
    Regex(String),
    /// A bounce category (`badreputation`, `toomanyconn`…) as the document's rules classify the reply.
    Category(String),
}

/// When a reaction fires.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Trigger {
    /// On the first matching reply (in the fluid model: once half a message got it).
    #[default]
    Immediate,
    /// When `matches` replies matched within the last `per_minutes`.
    Threshold {
        /// Matching replies needed.
        matches: f64,
        /// Over this window, minutes.
        per_minutes: f64,
    },
}

/// What the MTA does to the destination when a reaction fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReactionAction {
    /// Sends nothing to the destination.
    Suspend,
    /// Sends at most this many messages per hour per IP (never above the level's caps).
    RateLimit {
        /// Messages per hour per IP.
        msgs_per_hour: f64,
    },
    /// Sends at the limits of the level below the one in force (Slow stays Slow).
    DropLevel,
}

/// How the destination returns to its level once the action's duration is over.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Recovery {
    /// Back to the level's full rate at once.
    #[default]
    AtOnce,
    /// The limit climbs by `step_pct` % of the level's rate every `every_minutes`.
    Steps {
        /// Step, % of the level's rate.
        step_pct: f64,
        /// Time between steps, minutes.
        every_minutes: f64,
    },
}

/// One MTA reaction to a class of replies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// Name shown in checks and exports.
    pub name: String,
    /// Provider it watches (`providers[].name`), or `*` for every provider (each on its own).
    #[serde(default = "every_provider")]
    pub provider: String,
    /// Which replies.
    pub on: ReplyMatch,
    /// When it fires.
    #[serde(default)]
    pub trigger: Trigger,
    /// What it does.
    pub action: ReactionAction,
    /// How long the action holds after the last firing, minutes.
    pub duration_minutes: f64,
    /// How the rate comes back.
    #[serde(default)]
    pub recovery: Recovery,
    /// Why.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Reaction {
    /// Whether the reaction watches the provider named `name`.
    pub fn watches(&self, name: &str) -> bool {
        self.provider == "*" || self.provider == name
    }
}

impl Feedback {
    /// Whether the feedback comes from the provider named `name`.
    pub fn from_provider(&self, name: &str) -> bool {
        self.provider == "*" || self.provider == name
    }
}

/// How days are counted for a plan and for the IPs' age.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayCount {
    /// Every day counts.
    #[default]
    Calendar,
    /// Only days on which mail was sent count: a plan waits over quiet days.
    Sending,
}

/// Warm IPs that take what the new IPs may not send yet (SendGrid's and
/// SparkPost's warm-up overflow).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overflow {
    /// Warm IPs.
    pub warm_ips: u32,
    /// The level they send at.
    pub level: crate::engine::mx::ThroughputLevel,
}

/// Extra gates of an auto-promotion, beyond its clean-day count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PromotionGates {
    /// A day whose soft bounces + deferrals pass this % of its attempts drops one level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demote_above_pct: Option<f64>,
    /// A day whose complaints pass this % of its deliveries is not clean (the level holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_complaint_pct: Option<f64>,
}

impl PromotionGates {
    /// No gate set (what a scenario without the field gets).
    pub fn is_default(&self) -> bool {
        *self == PromotionGates::default()
    }
}

/// What one feedback reply does to the attempt that gets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReplyOutcome {
    /// Accepted after all (the rules call it no failure).
    Delivered,
    /// 4xx: retried.
    Deferred,
    /// Soft bounce with a 5xx: retried.
    SoftBounce,
    /// Failed for good.
    HardBounce,
}

/// A feedback reply as the document's rules see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplyClass {
    /// What it does to the attempt.
    pub outcome: ReplyOutcome,
    /// Its bounce category (`badreputation`…), empty when classified by its code only.
    pub category: String,
}

impl ReplyClass {
    /// From the failure type and the reply code: Hard fails, Soft is retried
    /// (a deferral when the code is 4xx or absent), Ignored is delivered.
    pub fn from_type(failure_type: FailureType, code: Option<u16>, category: String) -> ReplyClass {
        let outcome = match failure_type {
            FailureType::Hard => ReplyOutcome::HardBounce,
            FailureType::Ignored => ReplyOutcome::Delivered,
            FailureType::Soft if code.is_some_and(|c| c >= 500) => ReplyOutcome::SoftBounce,
            FailureType::Soft => ReplyOutcome::Deferred,
        };
        ReplyClass { outcome, category }
    }
}

/// Each feedback reply classified by the rules (category and failure type).
pub fn classify_feedback(feedback: &[Feedback], classifier: &Classifier) -> Vec<ReplyClass> {
    feedback
        .iter()
        .map(|f| {
            let v = classifier.classify_without_span(&f.reply);
            ReplyClass::from_type(v.failure_type, v.basic_code, classifier.category(&v).id.clone())
        })
        .collect()
}

/// Each feedback reply classified by its reply code alone (no rule set at
/// hand): 5xx fails, anything else is deferred; no category.
pub fn classify_feedback_by_code(feedback: &[Feedback]) -> Vec<ReplyClass> {
    feedback
        .iter()
        .map(|f| {
            let code = crate::engine::smtp::parse(&f.reply).basic_code;
            let t = if code.is_some_and(|c| c >= 500) { FailureType::Hard } else { FailureType::Soft };
            ReplyClass::from_type(t, code, String::new())
        })
        .collect()
}

/// The regex of a [`ReplyMatch::Regex`], compiled with bounded size (a hostile
/// pattern fails cleanly).
pub fn compile_match(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern).size_limit(1 << 20).dfa_size_limit(1 << 20).build()
}

/// Whether reaction `r` reacts to feedback `f`'s reply (regex over the text, or its class).
pub fn reacts_to(r: &Reaction, regex: Option<&regex::Regex>, f: &Feedback, class: &ReplyClass) -> bool {
    match &r.on {
        ReplyMatch::Regex(_) => regex.is_some_and(|re| re.is_match(&f.reply)),
        ReplyMatch::Category(c) => !c.is_empty() && class.category == *c,
    }
}
