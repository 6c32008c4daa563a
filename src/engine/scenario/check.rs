//! Checks of a scenario, and which MX rule each provider's IPs use.

use super::{LevelSchedule, MAX_HORIZON_DAYS, MAX_IPS, MAX_PROVIDERS, Provider, Scenario, Volume, slot_capacity};
use crate::engine::mx::{MxRule, Severity, ThroughputLevel, find_rule};

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
        err(
            "retry.max_delay_minutes",
            format!("the longest delay ({}) must be at least the first delay ({})", r.max_delay_minutes, r.first_retry_minutes),
        );
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
    if let LevelSchedule::Plan(p) = &s.schedule
        && p.len() > s.horizon_days as usize
    {
        let (n, h) = (p.len(), s.horizon_days);
        warn("schedule", format!("the plan has {n} days but the horizon is {h} days: days after {h} are not simulated"));
    }
    if let Volume::PerDay { days, .. } = s.volume
        && days > s.horizon_days
    {
        let h = s.horizon_days;
        warn("volume.days", format!("sending on {days} days but the horizon is {h} days: later sends are not simulated"));
    }
    let sum: f64 = s.providers.iter().map(|p| if p.share_pct.is_finite() { p.share_pct } else { 0.0 }).sum();
    out.extend(provider_problems(s, rules));
    if !s.providers.is_empty() && sum.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        out.push(ScenarioProblem {
            field: "providers".into(),
            severity: Severity::Error,
            message: "the shares sum to 0 %: give each provider its share of recipients".into(),
        });
    } else if !s.providers.is_empty() && (sum - 100.0).abs() > 0.01 {
        let (how, by) = if sum > 100.0 { ("over", sum - 100.0) } else { ("under", 100.0 - sum) };
        let message =
            format!("the shares sum to {sum:.2} %, {by:.2} points {how} 100 %: each share is scaled by {:.4} to make 100 %", 100.0 / sum);
        out.push(ScenarioProblem { field: "providers".into(), severity: Severity::Warning, message });
    }
    out
}

fn provider_problems(s: &Scenario, rules: &[MxRule]) -> Vec<ScenarioProblem> {
    let mut out = Vec::new();
    for (i, p) in s.providers.iter().enumerate() {
        let mut push = |field: &str, severity, message: String| {
            out.push(ScenarioProblem { field: format!("providers[{i}].{field}"), severity, message })
        };
        let name = &p.name;
        if !(p.share_pct.is_finite() && p.share_pct >= 0.0) {
            push("share_pct", Severity::Error, format!("{name}: the share must be 0 % or more (got {})", p.share_pct));
        }
        let rates = [
            ("delivered_pct", p.delivered_pct),
            ("soft_bounce_pct", p.soft_bounce_pct),
            ("hard_bounce_pct", p.hard_bounce_pct),
            ("deferral_pct", p.deferral_pct),
        ];
        let mut bad = false;
        for (f, v) in rates {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                push(f, Severity::Error, format!("{name}: a rate must be between 0 and 100 % (got {v})"));
                bad = true;
            }
        }
        let total: f64 = rates.iter().map(|r| r.1).sum();
        if !bad && total > 100.0 + 1e-9 {
            push(
                "delivered_pct",
                Severity::Error,
                format!("{name}: the rates sum to {total:.2} %, over 100 % by {:.2} points", total - 100.0),
            );
        } else if !bad && total < 100.0 - 0.01 {
            push(
                "delivered_pct",
                Severity::Warning,
                format!("{name}: the rates sum to {total:.2} %; the missing {:.2} points count as delivered", 100.0 - total),
            );
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
                    push(
                        "mx_host",
                        Severity::Warning,
                        format!(
                            "{name}: no MX rule matches '{}'{on}: using the built-in cautious limits (Slow: 500 msgs/h per IP)",
                            p.mx_host
                        ),
                    );
                    continue;
                }
                Some(r) => &rules[r],
            };
            if limits.mask.chars().all(|c| c == '*') {
                push(
                    "mx_host",
                    Severity::Warning,
                    format!(
                        "{name}: no specific MX rule matches '{}'{on}: using the catch-all '{}' (rule #{})",
                        p.mx_host,
                        limits.mask,
                        route.rule.unwrap_or(0) + 1
                    ),
                );
            }
            if let Some(l) = ThroughputLevel::ALL.into_iter().find(|l| slot_capacity(limits.limits(*l)) <= 0.0) {
                push(
                    "mx_host",
                    Severity::Warning,
                    format!("{name}: MX rule '{}' has a zero limit at level {}: nothing is sent at that level", limits.mask, l.label()),
                );
            }
        }
    }
    out
}
