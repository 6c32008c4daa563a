//! Ramp-up scenario: the simulator's input, its RON form, its default and its checks.
//!
//! A scenario says how much mail goes out, to which providers, through how many
//! IPs, at which throughput level, and how soft failures are retried. The MX rule
//! of each provider comes from the rule set, through its MX host name.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::mx::{Limits, ThroughputLevel};

mod check;
mod react;
mod react_check;
pub use check::{Route, ScenarioProblem, has_errors, routes, series_rows, validate};
pub use react::{
    DayCount, Feedback, Overflow, PromotionGates, Reaction, ReactionAction, Recovery, ReplyClass, ReplyMatch, ReplyOutcome, Trigger,
    classify_feedback, classify_feedback_by_code, compile_match, reacts_to,
};

/// Where the CLI and the Ramp-up panel look for a scenario when none is given.
pub const DEFAULT_SCENARIO_PATH: &str = "sample_rules/scenario.ron";
/// Slots of 5 minutes per hour: the hourly quota is spread over them.
pub const SLOTS_PER_HOUR: u32 = 12;
/// Slots per day.
pub const SLOTS_PER_DAY: u32 = 24 * SLOTS_PER_HOUR;
/// Minutes in one slot.
pub const SLOT_MINUTES: f64 = 5.0;
/// The Enhanced MTA's validity period: 3.5 days.
pub const ENHANCED_MTA_VALIDITY_HOURS: f64 = 84.0;
/// Upper bounds that keep a scenario simulable in memory and time.
pub const MAX_HORIZON_DAYS: u32 = 366;
/// Most sending IPs a scenario may use.
pub const MAX_IPS: u32 = 10_000;
/// Most providers a scenario may list.
pub const MAX_PROVIDERS: usize = 2_000;
/// Largest share one provider may have, in % (shares are weights normalised to 100 %).
pub const MAX_SHARE_PCT: f64 = 1e6;
/// The simulator's budget: hourly rows of series (runs × (providers + 1) × hours) it
/// keeps. Each row is 8 numbers (64 bytes in memory, about 90 bytes of CSV), so the
/// budget is about 320 MB in memory and 450 MB of CSV; larger scenarios are refused.
pub const MAX_SERIES_ROWS: u64 = 5_000_000;
/// Memory of one hourly row of series (8 `f64`).
pub const BYTES_PER_ROW: u64 = 64;
/// Bytes of CSV of one hourly row, on average (`bouncelab simulate`).
pub const CSV_BYTES_PER_ROW: u64 = 90;

/// Limits used, per level, for a provider that no MX rule matches: those of
/// the catch-all `*` that `sample_rules/default.ron` ships (a new IP towards
/// an unknown MX), 50 to 10,000 messages per hour per IP. (They were 500 to
/// 60,000, ten times the shipped catch-all's, while the warning called them
/// cautious: review finding, session 21.) A test keeps the two equal.
pub const BUILTIN_LIMITS: [Limits; 6] = [
    Limits { max_connections: 1, max_msgs_per_connection: 10, msgs_per_hour: 50 },
    Limits { max_connections: 2, max_msgs_per_connection: 25, msgs_per_hour: 200 },
    Limits { max_connections: 4, max_msgs_per_connection: 50, msgs_per_hour: 1_000 },
    Limits { max_connections: 6, max_msgs_per_connection: 75, msgs_per_hour: 4_000 },
    Limits { max_connections: 10, max_msgs_per_connection: 100, msgs_per_hour: 10_000 },
    Limits { max_connections: 10, max_msgs_per_connection: 100, msgs_per_hour: 10_000 },
];

/// Messages one IP may send in one slot under `l`: the hourly quota over 12
/// slots, and the connection limit, assuming one session per connection per
/// slot (ACC's session timeout, 4 min, is shorter than a 5-minute slot).
pub fn slot_capacity(l: Limits) -> f64 {
    let hourly = f64::from(l.msgs_per_hour) / f64::from(SLOTS_PER_HOUR);
    let conn = f64::from(l.max_connections) * f64::from(l.max_msgs_per_connection);
    hourly.min(conn)
}

/// How much mail the scenario injects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Volume {
    /// One campaign of `messages`, all handed to the MTA at hour 0.
    Campaign {
        /// Messages in the campaign.
        messages: f64,
    },
    /// `messages` handed to the MTA at the start of each of the first `days` days.
    PerDay {
        /// Messages per day.
        messages: f64,
        /// Days with a send.
        days: u32,
    },
}

impl Volume {
    /// Messages injected at the start of `day` (0-based).
    pub fn on_day(&self, day: u32) -> f64 {
        match *self {
            Volume::Campaign { messages } if day == 0 => messages,
            Volume::PerDay { messages, days } if day < days => messages,
            _ => 0.0,
        }
    }
}

/// Which throughput level applies on which day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LevelSchedule {
    /// The same level every day (the simulator still compares all six).
    Fixed(ThroughputLevel),
    /// One level per day; after the plan ends its last level stays.
    Plan(Vec<ThroughputLevel>),
    /// Start at `start`; after `clean_days` clean days in a row, go one level up
    /// (never past Boost). A day is clean when it had attempts and its soft
    /// bounces were at most `max_soft_bounce_pct` % of them; a dirty day restarts
    /// the count; a day without attempts neither counts nor restarts.
    AutoPromote {
        /// First level.
        start: ThroughputLevel,
        /// Clean days in a row before a promotion.
        clean_days: u32,
        /// Soft bounces, in % of the day's attempts, above which a day is not clean.
        max_soft_bounce_pct: f64,
    },
}

/// How soft-bounced and deferred messages are retried.
///
/// The n-th retry waits `first × backoff^(n-1)` (capped at `max_delay`); the
/// engine computes it from the message's age as `first + (backoff - 1) × age`,
/// which is the same when no queue delays the message and needs no per-message
/// attempt counter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Wait before the first retry, minutes.
    pub first_retry_minutes: f64,
    /// Growth of the wait from one retry to the next (1 = constant).
    pub backoff: f64,
    /// Longest wait between two retries, minutes.
    pub max_delay_minutes: f64,
    /// Time after reaching the MTA when a message still not delivered fails (3.5 days).
    pub validity_hours: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { first_retry_minutes: 15.0, backoff: 2.0, max_delay_minutes: 240.0, validity_hours: ENHANCED_MTA_VALIDITY_HOURS }
    }
}

impl RetryPolicy {
    /// Wait before the next retry of a message that reached the MTA `age_minutes` ago.
    pub fn delay_minutes(&self, age_minutes: f64) -> f64 {
        let d = self.first_retry_minutes + (self.backoff - 1.0).max(0.0) * age_minutes.max(0.0);
        d.min(self.max_delay_minutes).max(self.first_retry_minutes).max(0.0)
    }

    /// Attempt times (hours after reaching the MTA) of a message that fails softly
    /// every time and is never held by a queue; the last one is within validity.
    pub fn attempt_hours(&self) -> Vec<f64> {
        let mut out = vec![0.0];
        let mut t = 0.0_f64;
        let end = self.validity_hours * 60.0;
        while out.len() < 10_000 {
            let d = self.delay_minutes(t).max(1.0);
            // Also stops on a NaN end.
            if (t + d).partial_cmp(&end) != Some(std::cmp::Ordering::Less) {
                break;
            }
            t += d;
            out.push(t / 60.0);
        }
        out
    }
}

/// One recipient provider (a destination) of the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Name shown in series, e.g. `Gmail`.
    pub name: String,
    /// Share of the recipients, %.
    pub share_pct: f64,
    /// One MX host name of the provider: it picks the MX rule by mask.
    pub mx_host: String,
    /// Attempts delivered, %. The four rates are per attempt; whatever they leave
    /// under 100 % counts as delivered too.
    pub delivered_pct: f64,
    /// Attempts soft-bounced (retried), %.
    pub soft_bounce_pct: f64,
    /// Attempts hard-bounced (failed at once), %.
    pub hard_bounce_pct: f64,
    /// Attempts deferred with a 4xx (retried), %.
    pub deferral_pct: f64,
    /// Deliveries that end as complaints, % (feeds feedback conditions and promotion gates).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub complaint_pct: f64,
    /// Where the numbers come from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Outcome fractions of one attempt, summing to 1.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Outcome {
    /// Delivered.
    pub delivered: f64,
    /// Soft-bounced, retried.
    pub soft: f64,
    /// Hard-bounced, failed.
    pub hard: f64,
    /// Deferred, retried.
    pub deferred: f64,
}

impl Provider {
    /// A provider with the given share and rates, delivering the rest.
    pub fn new(name: &str, share_pct: f64, mx_host: &str, soft: f64, hard: f64, deferral: f64) -> Provider {
        Provider {
            name: name.into(),
            share_pct,
            mx_host: mx_host.into(),
            delivered_pct: (100.0 - soft - hard - deferral).max(0.0),
            soft_bounce_pct: soft,
            hard_bounce_pct: hard,
            deferral_pct: deferral,
            complaint_pct: 0.0,
            note: String::new(),
        }
    }

    /// Per-attempt outcome fractions (bad rates clamped into 0..100).
    pub fn outcome(&self) -> Outcome {
        let c = |x: f64| {
            if x.is_finite() { x.clamp(0.0, 100.0) / 100.0 } else { 0.0 }
        };
        let (soft, hard, deferred) = (c(self.soft_bounce_pct), c(self.hard_bounce_pct), c(self.deferral_pct));
        let sum = soft + hard + deferred;
        if sum > 1.0 {
            return Outcome { delivered: 0.0, soft: soft / sum, hard: hard / sum, deferred: deferred / sum };
        }
        Outcome { delivered: 1.0 - sum, soft, hard, deferred }
    }
}

/// The whole scenario document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in the UI.
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Sending IPs, numbered 1..=ips (matched against MX rules' identifier ranges).
    pub ips: u32,
    /// Mail handed to the MTA.
    pub volume: Volume,
    /// Simulated days.
    pub horizon_days: u32,
    /// Level per day.
    pub schedule: LevelSchedule,
    /// Retries of soft bounces and deferrals.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Recipient providers.
    pub providers: Vec<Provider>,
    /// What providers answer when pushed too hard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feedback: Vec<Feedback>,
    /// What the MTA does about those answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Calendar or sending days, for the plan and the IPs' age.
    #[serde(default, skip_serializing_if = "is_calendar")]
    pub day_count: DayCount,
    /// Warm IPs taking what the new ones may not send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<Overflow>,
    /// Extra gates of an auto-promotion.
    #[serde(default, skip_serializing_if = "PromotionGates::is_default")]
    pub promotion: PromotionGates,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn is_calendar(d: &DayCount) -> bool {
    *d == DayCount::Calendar
}

impl Default for Scenario {
    /// A 200,000-message campaign from 2 new IPs over a week, to five providers.
    fn default() -> Self {
        let p = |name: &str, share, host: &str, soft, hard, def, note: &str| Provider {
            note: note.into(),
            ..Provider::new(name, share, host, soft, hard, def)
        };
        Scenario {
            name: "Campaign of 200,000 from 2 IPs".into(),
            note: "Typical French B2C list; rates are per attempt, soft bounces and deferrals are retried. \
                   Shares are % of recipients; each provider's mx_host picks the MX rule by mask \
                   (first match wins, then the catch-all '*', else built-in cautious limits)."
                .into(),
            ips: 2,
            volume: Volume::Campaign { messages: 200_000.0 },
            horizon_days: 7,
            schedule: LevelSchedule::Fixed(ThroughputLevel::Normal),
            retry: RetryPolicy::default(),
            providers: vec![
                p("Gmail", 35.0, "gmail-smtp-in.l.google.com", 1.0, 1.5, 0.5, "Defers little; hard bounces are old addresses."),
                p(
                    "Microsoft",
                    25.0,
                    "example-com.mail.protection.outlook.com",
                    1.5,
                    1.5,
                    3.0,
                    "Outlook/Hotmail defer new IPs often (4.7.650).",
                ),
                p("Yahoo", 8.0, "mta5.am0.yahoodns.net", 1.0, 2.0, 4.0, "Yahoo/AOL throttle with 421 TS codes."),
                p("Orange", 12.0, "smtp-in.orange.fr", 1.5, 1.5, 1.0, "French ISP, strict per-IP volumes."),
                p("Others", 20.0, "mx.example.net", 2.0, 3.0, 2.0, "Long tail of small domains: more dead addresses."),
            ],
            feedback: Vec::new(),
            reactions: Vec::new(),
            day_count: DayCount::Calendar,
            overflow: None,
            promotion: PromotionGates::default(),
        }
    }
}

/// Why a scenario file could not be read: the same errors as a rule file's.
pub type ScenarioError = super::ruleset::LoadError;

impl Scenario {
    /// Parses RON text; `path` only names the source in errors.
    pub fn from_ron_str(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        super::ruleset::parse_ron(text, path)
    }

    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Self::from_ron_str(&super::ruleset::read_text(path)?, path)
    }

    /// Pretty RON text (strings written as a person would: see [`super::ruleset::to_ron`]).
    pub fn to_ron_string(&self) -> Result<String, ron::Error> {
        super::ruleset::to_ron(self, None)
    }

    /// Level in force on `day` for a schedule without feedback (AutoPromote: its start).
    pub fn planned_level(&self, day: u32) -> ThroughputLevel {
        match &self.schedule {
            LevelSchedule::Fixed(l) => *l,
            LevelSchedule::Plan(p) => p.get(day as usize).or(p.last()).copied().unwrap_or_default(),
            LevelSchedule::AutoPromote { start, .. } => *start,
        }
    }

    /// Shares normalised to fractions summing to 1 (all zero when they sum to 0).
    pub fn share_fractions(&self) -> Vec<f64> {
        let clean = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
        let sum: f64 = self.providers.iter().map(|p| clean(p.share_pct)).sum();
        self.providers.iter().map(|p| if sum > 0.0 { clean(p.share_pct) / sum } else { 0.0 }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::mx::Severity;

    #[test]
    fn the_built_in_limits_are_the_shipped_catch_all() {
        let doc = crate::engine::default_rules();
        let catch_all = doc.mx_rules.iter().find(|r| r.mask == "*").expect("the shipped rules end with '*'");
        assert_eq!(catch_all.levels, BUILTIN_LIMITS);
    }

    #[test]
    fn backoff_by_age_matches_exponential_backoff() {
        let r = RetryPolicy { max_delay_minutes: 1e9, ..RetryPolicy::default() };
        let mins: Vec<f64> = r.attempt_hours().iter().take(5).map(|h| h * 60.0).collect();
        assert_eq!(mins, vec![0.0, 15.0, 45.0, 105.0, 225.0]);
        assert!(RetryPolicy::default().attempt_hours().last().is_some_and(|h| *h < 84.0));
    }

    #[test]
    fn default_validates_with_warnings_only() {
        let p = validate(&Scenario::default(), &[]);
        assert!(!has_errors(&p), "{p:?}");
        assert!(p.iter().any(|p| p.message.contains("built-in")));
    }

    #[test]
    fn shares_and_rates_are_checked() {
        let mut s = Scenario::default();
        s.providers[0].share_pct = 45.0;
        s.providers[1].hard_bounce_pct = 120.0;
        let p = validate(&s, &[]);
        assert!(p.iter().any(|p| p.field == "providers" && p.message.contains("10.00 points over")), "{p:?}");
        assert!(p.iter().any(|p| p.field == "providers[1].hard_bounce_pct" && p.severity == Severity::Error));
    }
}
