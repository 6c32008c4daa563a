//! Checks of a scenario, and which MX rule each provider's IPs use.

use super::{
    LevelSchedule, MAX_HORIZON_DAYS, MAX_IPS, MAX_PROVIDERS, MAX_SERIES_ROWS, MAX_SHARE_PCT, Provider, Scenario, Volume, slot_capacity,
};
use crate::engine::mx::{MxRule, Severity, ThroughputLevel, first_rule};
use crate::i18n::{tr, tr_fmt};

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
        return vec![Route { rule: first_rule(rules, &provider.mx_host, None), ips }];
    }
    let mut out: Vec<Route> = Vec::new();
    for id in 1..=ips {
        let rule = first_rule(rules, &provider.mx_host, Some(id));
        match out.iter_mut().find(|r| r.rule == rule) {
            Some(r) => r.ips += 1,
            None => out.push(Route { rule, ips: 1 }),
        }
    }
    out
}

/// A problem with a scenario, tied to the field it is about. The message is
/// written in the current thread's language (`[scenario]` keys) when
/// [`validate`] runs; test and filter on `field` and `severity`, not on the text.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioProblem {
    /// Field path, e.g. `providers[2].share_pct`.
    pub field: String,
    /// Warning: simulated anyway (as the message says); Error: not simulated.
    pub severity: Severity,
    /// What is wrong and what the simulator does about it, in the current language.
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
        err("ips", tr_fmt("scenario.ips", &[("max", &MAX_IPS), ("got", &s.ips)]));
    }
    if s.horizon_days == 0 || s.horizon_days > MAX_HORIZON_DAYS {
        err("horizon_days", tr_fmt("scenario.horizon", &[("max", &MAX_HORIZON_DAYS), ("got", &s.horizon_days)]));
    }
    let (messages, days) = match s.volume {
        Volume::Campaign { messages } => (messages, 1),
        Volume::PerDay { messages, days } => (messages, days),
    };
    if !(messages.is_finite() && messages > 0.0 && messages <= 1e12) {
        err("volume.messages", tr_fmt("scenario.volume", &[("got", &messages)]));
    }
    if days == 0 {
        err("volume.days", tr("scenario.zero_days").into());
    }
    let r = &s.retry;
    let ok = |x: f64, lo: f64, hi: f64| x.is_finite() && x >= lo && x <= hi;
    if !ok(r.first_retry_minutes, 0.0, 10_000.0) {
        err("retry.first_retry_minutes", tr_fmt("scenario.first_retry", &[("got", &r.first_retry_minutes)]));
    }
    if !ok(r.backoff, 1.0, 100.0) {
        err("retry.backoff", tr_fmt("scenario.backoff", &[("got", &r.backoff)]));
    }
    if !ok(r.max_delay_minutes, 0.0, 100_000.0) || r.max_delay_minutes < r.first_retry_minutes {
        err("retry.max_delay_minutes", tr_fmt("scenario.max_delay", &[("max", &r.max_delay_minutes), ("first", &r.first_retry_minutes)]));
    }
    if !ok(r.validity_hours, 0.1, 24.0 * 30.0) {
        err("retry.validity_hours", tr_fmt("scenario.validity", &[("got", &r.validity_hours)]));
    }
    if s.providers.is_empty() {
        err("providers", tr("scenario.no_provider").into());
    }
    if s.providers.len() > MAX_PROVIDERS {
        err("providers", tr_fmt("scenario.too_many_providers", &[("max", &MAX_PROVIDERS), ("got", &s.providers.len())]));
    }
    match &s.schedule {
        LevelSchedule::Plan(p) if p.is_empty() => err("schedule", tr("scenario.empty_plan").into()),
        LevelSchedule::AutoPromote { clean_days, max_soft_bounce_pct, .. } => {
            if *clean_days == 0 {
                err("schedule.clean_days", tr("scenario.clean_days").into());
            }
            if !ok(*max_soft_bounce_pct, 0.0, 100.0) {
                err("schedule.max_soft_bounce_pct", tr_fmt("scenario.soft_threshold", &[("got", max_soft_bounce_pct)]));
            }
        }
        _ => {}
    }
    if let Some(message) = over_budget(s) {
        err("horizon_days", message);
    }
    if let LevelSchedule::Plan(p) = &s.schedule
        && p.len() > s.horizon_days as usize
    {
        // Refused: a plan that cannot run to its end is a plan the analyst did not mean.
        let (n, h) = (p.len(), s.horizon_days);
        err("schedule", tr_fmt("scenario.plan_longer", &[("n", &n), ("h", &h)]));
    }
    let mut warn = |field: &str, message: String| out.push(ScenarioProblem { field: field.into(), severity: Severity::Warning, message });
    if let Volume::PerDay { days, .. } = s.volume
        && days > s.horizon_days
    {
        let h = s.horizon_days;
        warn("volume.days", tr_fmt("scenario.days_longer", &[("days", &days), ("h", &h)]));
    }
    let sum: f64 = s.providers.iter().map(|p| if p.share_pct.is_finite() { p.share_pct } else { 0.0 }).sum();
    out.extend(provider_problems(s, rules));
    super::react_check::react_problems(s, &mut out);
    if !s.providers.is_empty() && sum.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        out.push(ScenarioProblem { field: "providers".into(), severity: Severity::Error, message: tr("scenario.shares_zero").into() });
    } else if !s.providers.is_empty() && (sum - 100.0).abs() > 0.01 {
        let (key, by) = if sum > 100.0 { ("scenario.shares_over", sum - 100.0) } else { ("scenario.shares_under", 100.0 - sum) };
        let (sum_s, by_s, factor) = (format!("{sum:.2}"), format!("{by:.2}"), format!("{:.4}", 100.0 / sum));
        let message = tr_fmt(key, &[("sum", &sum_s), ("by", &by_s), ("factor", &factor)]);
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
            push("share_pct", Severity::Error, tr_fmt("scenario.share_negative", &[("name", name), ("got", &p.share_pct)]));
        } else if p.share_pct > MAX_SHARE_PCT {
            // Shares are weights, but 1e308 each would overflow their sum to infinity and send nothing.
            let args: [(&str, &dyn std::fmt::Display); 3] = [("name", name), ("got", &p.share_pct), ("max", &MAX_SHARE_PCT)];
            push("share_pct", Severity::Error, tr_fmt("rampup_react.share_too_big", &args));
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
                push(f, Severity::Error, tr_fmt("scenario.rate_range", &[("name", name), ("got", &v)]));
                bad = true;
            }
        }
        let total: f64 = rates.iter().map(|r| r.1).sum();
        if !bad && total > 100.0 + 1e-9 {
            let (total_s, by) = (format!("{total:.2}"), format!("{:.2}", total - 100.0));
            push("delivered_pct", Severity::Error, tr_fmt("scenario.rates_over", &[("name", name), ("total", &total_s), ("by", &by)]));
        } else if !bad && total < 100.0 - 0.01 {
            let (total_s, by) = (format!("{total:.2}"), format!("{:.2}", 100.0 - total));
            push("delivered_pct", Severity::Warning, tr_fmt("scenario.rates_under", &[("name", name), ("total", &total_s), ("by", &by)]));
        }
        if !(p.complaint_pct.is_finite() && (0.0..=100.0).contains(&p.complaint_pct)) {
            push("complaint_pct", Severity::Error, tr_fmt("scenario.rate_range", &[("name", name), ("got", &p.complaint_pct)]));
        }
        if !bad && p.soft_bounce_pct + p.deferral_pct >= 100.0 {
            push("deferral_pct", Severity::Warning, tr_fmt("scenario.always_retried", &[("name", name)]));
        }
        if s.ips == 0 || s.ips > MAX_IPS {
            continue;
        }
        for route in routes(p, s.ips, rules) {
            let on = if route.ips == s.ips { String::new() } else { tr_fmt("scenario.ips_of", &[("n", &route.ips), ("total", &s.ips)]) };
            let limits = match route.rule {
                None => {
                    let (slow, hour) = (ThroughputLevel::Slow.display_label(), super::BUILTIN_LIMITS[0].msgs_per_hour);
                    let args: [(&str, &dyn std::fmt::Display); 5] =
                        [("name", name), ("host", &p.mx_host), ("on", &on), ("slow", &slow), ("hour", &hour)];
                    push("mx_host", Severity::Warning, tr_fmt("scenario.no_mx_rule", &args));
                    continue;
                }
                Some(r) => &rules[r],
            };
            if limits.mask.chars().all(|c| c == '*') {
                let n = route.rule.unwrap_or(0) + 1;
                let args: [(&str, &dyn std::fmt::Display); 5] =
                    [("name", name), ("host", &p.mx_host), ("on", &on), ("mask", &limits.mask), ("n", &n)];
                push("mx_host", Severity::Warning, tr_fmt("scenario.catch_all", &args));
            }
            if let Some(l) = ThroughputLevel::ALL.into_iter().find(|l| slot_capacity(limits.limits(*l)) <= 0.0) {
                let level = l.display_label();
                let args: [(&str, &dyn std::fmt::Display); 3] = [("name", name), ("mask", &limits.mask), ("level", &level)];
                push("mx_host", Severity::Warning, tr_fmt("scenario.zero_limit", &args));
            }
        }
    }
    out
}

/// Hourly rows of series a simulation of `s` keeps: runs × (providers + `all`) × hours.
pub fn series_rows(s: &Scenario) -> u64 {
    let runs: u64 = if matches!(s.schedule, LevelSchedule::Fixed(_)) { 6 } else { 7 };
    runs * (s.providers.len() as u64 + 1) * u64::from(s.horizon_days) * 24
}

/// The budget message when `s` would make more than [`MAX_SERIES_ROWS`] rows.
fn over_budget(s: &Scenario) -> Option<String> {
    let rows = series_rows(s);
    if rows <= MAX_SERIES_ROWS {
        return None;
    }
    let mb = |bytes: u64| (bytes / 1_000_000).to_string();
    let (rows_s, max_s) = (rows.to_string(), MAX_SERIES_ROWS.to_string());
    let (mem, csv) = (mb(rows * super::BYTES_PER_ROW), mb(rows * super::CSV_BYTES_PER_ROW));
    let args: [(&str, &dyn std::fmt::Display); 4] = [("rows", &rows_s), ("mem", &mem), ("csv", &csv), ("max", &max_s)];
    Some(tr_fmt("rampup_react.over_budget", &args))
}
