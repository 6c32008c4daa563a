//! Ramp-up scenario: the simulator's input, its RON form, its default and its checks.
//!
//! A scenario says how much mail goes out, to which providers, through how many
//! IPs, at which throughput level, and how soft failures are retried. The MX rule
//! of each provider comes from the rule set, through its MX host name.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::mx::{Limits, MxRule, Severity, ThroughputLevel, find_rule};

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

/// Limits used, per level, for a provider that no MX rule matches. Deliberately
/// cautious (a new IP towards an unknown MX): 1-20 connections, 500-60,000
/// messages per hour per IP; Custom equals Fast.
pub const BUILTIN_LIMITS: [Limits; 6] = [
    Limits { max_connections: 1, max_msgs_per_connection: 10, msgs_per_hour: 500 },
    Limits { max_connections: 2, max_msgs_per_connection: 20, msgs_per_hour: 2_000 },
    Limits { max_connections: 5, max_msgs_per_connection: 50, msgs_per_hour: 10_000 },
    Limits { max_connections: 10, max_msgs_per_connection: 100, msgs_per_hour: 30_000 },
    Limits { max_connections: 20, max_msgs_per_connection: 100, msgs_per_hour: 60_000 },
    Limits { max_connections: 5, max_msgs_per_connection: 50, msgs_per_hour: 10_000 },
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
            if !(t + d < end) {
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
            note: String::new(),
        }
    }

    /// Per-attempt outcome fractions (bad rates clamped into 0..100).
    pub fn outcome(&self) -> Outcome {
        let c = |x: f64| if x.is_finite() { x.clamp(0.0, 100.0) / 100.0 } else { 0.0 };
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
}

impl Default for Scenario {
    /// A 200,000-message campaign from 2 new IPs over a week, to five providers.
    fn default() -> Self {
        let p = |name: &str, share, host: &str, soft, hard, def, note: &str| Provider { note: note.into(), ..Provider::new(name, share, host, soft, hard, def) };
        Scenario {
            name: "Campaign of 200,000 from 2 IPs".into(),
            note: "Typical French B2C list; rates are per attempt, soft bounces and deferrals are retried.".into(),
            ips: 2,
            volume: Volume::Campaign { messages: 200_000.0 },
            horizon_days: 7,
            schedule: LevelSchedule::Fixed(ThroughputLevel::Normal),
            retry: RetryPolicy::default(),
            providers: vec![
                p("Gmail", 35.0, "gmail-smtp-in.l.google.com", 1.0, 1.5, 0.5, "Defers little; hard bounces are old addresses."),
                p("Microsoft", 25.0, "example-com.mail.protection.outlook.com", 1.5, 1.5, 3.0, "Outlook/Hotmail defer new IPs often (4.7.650)."),
                p("Yahoo", 8.0, "mta5.am0.yahoodns.net", 1.0, 2.0, 4.0, "Yahoo/AOL throttle with 421 TS codes."),
                p("Orange", 12.0, "smtp-in.orange.fr", 1.5, 1.5, 1.0, "French ISP, strict per-IP volumes."),
                p("Others", 20.0, "mx.example.net", 2.0, 3.0, 2.0, "Long tail of small domains: more dead addresses."),
            ],
        }
    }
}

/// Why a scenario file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The RON text is malformed.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
}

impl Scenario {
    /// Parses RON text; `path` only names the source in errors.
    pub fn from_ron_str(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        ron::Options::default().from_str(text).map_err(|e| ScenarioError::Syntax {
            path: path.to_owned(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
    }

    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let bytes = std::fs::read(path).map_err(|source| ScenarioError::Io { path: path.to_owned(), source })?;
        Self::from_ron_str(&String::from_utf8_lossy(&bytes), path)
    }

    /// Pretty RON text.
    pub fn to_ron_string(&self) -> Result<String, ron::Error> {
        let cfg = ron::ser::PrettyConfig::new().indentor("  ".to_owned()).struct_names(true);
        ron::ser::to_string_pretty(self, cfg)
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

/// The MX rule one or more sending IPs use towards a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// Index of the MX rule; `None` = [`BUILTIN_LIMITS`].
    pub rule: Option<usize>,
    /// How many of the scenario's IPs use it.
    pub ips: u32,
}

/// Which MX rules the scenario's IPs (numbered 1..=ips) use towards a provider.
pub fn routes(provider: &Provider, ips: u32, rules: &[MxRule]) -> Vec<Route> {
    let ips = ips.min(MAX_IPS);
    if rules.iter().all(|r| r.ids.is_none()) {
        return vec![Route { rule: find_rule(rules, &provider.mx_host, None).rule, ips }];
    }
    let mut out: Vec<Route> = Vec::new();
    for id in 1..=ips {
        let rule = find_rule(rules, &provider.mx_host, Some(id)).rule;
        match out.iter_mut().find(|r| r.rule == rule) {
            Some(r) => r.ips += 1,
            None => out.push(Route { rule, ips: 1 }),
        }
    }
    out
}

/// A problem with a scenario, tied to the field it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioProblem {
    /// Field path, e.g. `providers[2].share_pct`.
    pub field: String,
    /// Warning: simulated anyway (as the message says); Error: not simulated.
    pub severity: Severity,
    /// What is wrong and what the simulator does about it.
    pub message: String,
}

/// Whether any problem is an error (the scenario is refused).
pub fn has_errors(problems: &[ScenarioProblem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}

/// Checks a scenario against the MX rules it will use. Shares not summing to
/// 100 % are normalised (warning); rates outside 0..100, rates summing over
/// 100 % and non-positive volumes are errors.
pub fn validate(s: &Scenario, rules: &[MxRule]) -> Vec<ScenarioProblem> {
    let mut out = Vec::new();
    let mut err = |field: &str, message: String| out.push(ScenarioProblem { field: field.into(), severity: Severity::Error, message });
    if s.ips == 0 || s.ips > MAX_IPS {
        err("ips", format!("the number of sending IPs must be between 1 and {MAX_IPS} (got {})", s.ips));
    }
    if s.horizon_days == 0 || s.horizon_days > MAX_HORIZON_DAYS {
        err("horizon_days", format!("the horizon must be between 1 and {MAX_HORIZON_DAYS} days (got {})", s.horizon_days));
    }
    let (messages, days) = match s.volume {
        Volume::Campaign { messages } => (messages, 1),
        Volume::PerDay { messages, days } => (messages, days),
    };
    if !(messages.is_finite() && messages > 0.0 && messages <= 1e12) {
        err("volume.messages", format!("the volume must be a positive number of messages (got {messages})"));
    }
    if days == 0 {
        err("volume.days", "sending on 0 days sends nothing: give at least 1 day".into());
    }
    let r = &s.retry;
    let ok = |x: f64, lo: f64, hi: f64| x.is_finite() && x >= lo && x <= hi;
    if !ok(r.first_retry_minutes, 0.0, 10_000.0) {
        err("retry.first_retry_minutes", format!("the first retry delay must be 0 to 10,000 minutes (got {})", r.first_retry_minutes));
    }
    if !ok(r.backoff, 1.0, 100.0) {
        err("retry.backoff", format!("the backoff factor must be 1 to 100 (got {})", r.backoff));
    }
    if !ok(r.max_delay_minutes, 0.0, 100_000.0) || r.max_delay_minutes < r.first_retry_minutes {
        err("retry.max_delay_minutes", format!("the longest delay ({}) must be at least the first delay ({})", r.max_delay_minutes, r.first_retry_minutes));
    }
    if !ok(r.validity_hours, 0.1, 24.0 * 30.0) {
        err("retry.validity_hours", format!("the validity must be 0.1 to 720 hours (got {})", r.validity_hours));
    }
    if s.providers.is_empty() {
        err("providers", "add at least one provider".into());
    }
    if s.providers.len() > MAX_PROVIDERS {
        err("providers", format!("at most {MAX_PROVIDERS} providers (got {})", s.providers.len()));
    }
    match &s.schedule {
        LevelSchedule::Plan(p) if p.is_empty() => err("schedule", "the plan lists no level: give one level per day".into()),
        LevelSchedule::AutoPromote { clean_days, max_soft_bounce_pct, .. } => {
            if *clean_days == 0 {
                err("schedule.clean_days", "promotion needs at least 1 clean day".into());
            }
            if !ok(*max_soft_bounce_pct, 0.0, 100.0) {
                err("schedule.max_soft_bounce_pct", format!("the soft bounce threshold must be 0 to 100 % (got {max_soft_bounce_pct})"));
            }
        }
        _ => {}
    }
    let mut warn = |field: &str, message: String| out.push(ScenarioProblem { field: field.into(), severity: Severity::Warning, message });
    if let LevelSchedule::Plan(p) = &s.schedule {
        if p.len() > s.horizon_days as usize {
            warn("schedule", format!("the plan has {} days but the horizon is {} days: days after {} are not simulated", p.len(), s.horizon_days, s.horizon_days));
        }
    }
    if let Volume::PerDay { days, .. } = s.volume {
        if days > s.horizon_days {
            warn("volume.days", format!("sending on {days} days but the horizon is {} days: later sends are not simulated", s.horizon_days));
        }
    }
    let sum: f64 = s.providers.iter().map(|p| if p.share_pct.is_finite() { p.share_pct } else { 0.0 }).sum();
    out.extend(provider_problems(s, rules));
    if !s.providers.is_empty() && !(sum > 0.0) {
        out.push(ScenarioProblem { field: "providers".into(), severity: Severity::Error, message: "the shares sum to 0 %: give each provider its share of recipients".into() });
    } else if !s.providers.is_empty() && (sum - 100.0).abs() > 0.01 {
        let (how, by) = if sum > 100.0 { ("over", sum - 100.0) } else { ("under", 100.0 - sum) };
        let message = format!("the shares sum to {sum:.2} %, {by:.2} points {how} 100 %: each share is scaled by {:.4} to make 100 %", 100.0 / sum);
        out.push(ScenarioProblem { field: "providers".into(), severity: Severity::Warning, message });
    }
    out
}

fn provider_problems(s: &Scenario, rules: &[MxRule]) -> Vec<ScenarioProblem> {
    let mut out = Vec::new();
    for (i, p) in s.providers.iter().enumerate() {
        let mut push = |field: &str, severity, message: String| out.push(ScenarioProblem { field: format!("providers[{i}].{field}"), severity, message });
        let name = &p.name;
        if !(p.share_pct.is_finite() && p.share_pct >= 0.0) {
            push("share_pct", Severity::Error, format!("{name}: the share must be 0 % or more (got {})", p.share_pct));
        }
        let rates = [("delivered_pct", p.delivered_pct), ("soft_bounce_pct", p.soft_bounce_pct), ("hard_bounce_pct", p.hard_bounce_pct), ("deferral_pct", p.deferral_pct)];
        let mut bad = false;
        for (f, v) in rates {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                push(f, Severity::Error, format!("{name}: a rate must be between 0 and 100 % (got {v})"));
                bad = true;
            }
        }
        let total: f64 = rates.iter().map(|r| r.1).sum();
        if !bad && total > 100.0 + 1e-9 {
            push("delivered_pct", Severity::Error, format!("{name}: the rates sum to {total:.2} %, over 100 % by {:.2} points", total - 100.0));
        } else if !bad && total < 100.0 - 0.01 {
            push("delivered_pct", Severity::Warning, format!("{name}: the rates sum to {total:.2} %; the missing {:.2} points count as delivered", 100.0 - total));
        }
        if !bad && p.soft_bounce_pct + p.deferral_pct >= 100.0 {
            push("deferral_pct", Severity::Warning, format!("{name}: every attempt is retried, nothing is ever delivered or bounced"));
        }
        if s.ips == 0 || s.ips > MAX_IPS {
            continue;
        }
        for route in routes(p, s.ips, rules) {
            let on = if route.ips == s.ips { String::new() } else { format!(" ({} of the {} IPs)", route.ips, s.ips) };
            let limits = match route.rule {
                None => {
                    push("mx_host", Severity::Warning, format!("{name}: no MX rule matches '{}'{on}: using the built-in cautious limits (Slow: 500 msgs/h per IP)", p.mx_host));
                    continue;
                }
                Some(r) => &rules[r],
            };
            if limits.mask.chars().all(|c| c == '*') {
                push("mx_host", Severity::Warning, format!("{name}: no specific MX rule matches '{}'{on}: using the catch-all '{}' (rule #{})", p.mx_host, limits.mask, route.rule.unwrap_or(0) + 1));
            }
            if let Some(l) = ThroughputLevel::ALL.into_iter().find(|l| slot_capacity(limits.limits(*l)) <= 0.0) {
                push("mx_host", Severity::Warning, format!("{name}: MX rule '{}' has a zero limit at level {}: nothing is sent at that level", limits.mask, l.label()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
