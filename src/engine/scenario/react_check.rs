//! Checks of the adaptive part of a scenario: feedback, reactions, overflow and
//! promotion gates. Contradictions, recoveries that can never happen and
//! numbers out of range are errors at the field they are about.

use super::react::{Feedback, Reaction, ReactionAction, Recovery, ReplyMatch, Trigger, compile_match};
use super::{LevelSchedule, MAX_IPS, Scenario, ScenarioProblem};
use crate::engine::mx::Severity;
use crate::i18n::tr_fmt;

/// Appends the problems of the feedback, reactions, overflow and gates of `s`.
pub(super) fn react_problems(s: &Scenario, out: &mut Vec<ScenarioProblem>) {
    let mut push = |field: String, severity, message: String| out.push(ScenarioProblem { field, severity, message });
    let known = |name: &str| name == "*" || s.providers.iter().any(|p| p.name == name);
    let pct_ok = |x: f64| x.is_finite() && (0.0..=100.0).contains(&x);
    for (i, f) in s.feedback.iter().enumerate() {
        let at = |field: &str| format!("feedback[{i}].{field}");
        if !known(&f.provider) {
            push(at("provider"), Severity::Error, tr_fmt("rampup_react.unknown_provider", &[("name", &f.provider)]));
        }
        if f.above_per_hour.is_none() && f.bounce_rate_above_pct.is_none() && f.complaint_rate_above_pct.is_none() {
            push(at("above_per_hour"), Severity::Error, tr_fmt("rampup_react.no_condition", &[("n", &i)]));
        }
        if let Some(x) = f.above_per_hour.filter(|x| !(x.is_finite() && *x > 0.0 && *x <= 1e9)) {
            push(at("above_per_hour"), Severity::Error, tr_fmt("rampup_react.per_hour_range", &[("got", &x)]));
        }
        for (field, v) in [("bounce_rate_above_pct", f.bounce_rate_above_pct), ("complaint_rate_above_pct", f.complaint_rate_above_pct)] {
            if let Some(x) = v.filter(|x| !pct_ok(*x)) {
                push(at(field), Severity::Error, tr_fmt("rampup_react.pct_range", &[("got", &x)]));
            }
        }
        if !(f.share_pct.is_finite() && f.share_pct > 0.0 && f.share_pct <= 100.0) {
            push(at("share_pct"), Severity::Error, tr_fmt("rampup_react.share_range", &[("got", &f.share_pct)]));
        }
        if f.reply.trim().is_empty() {
            push(at("reply"), Severity::Error, tr_fmt("rampup_react.empty_reply", &[("n", &i)]));
        }
    }
    let regexes: Vec<Option<regex::Regex>> = s
        .reactions
        .iter()
        .enumerate()
        .map(|(i, r)| match &r.on {
            ReplyMatch::Regex(p) => match compile_match(p) {
                Ok(re) => Some(re),
                Err(e) => {
                    let e = e.to_string();
                    push(
                        format!("reactions[{i}].on"),
                        Severity::Error,
                        tr_fmt("rampup_react.bad_regex", &[("name", &r.name), ("error", &e)]),
                    );
                    None
                }
            },
            ReplyMatch::Category(c) if c.trim().is_empty() => {
                push(format!("reactions[{i}].on"), Severity::Error, tr_fmt("rampup_react.empty_category", &[("name", &r.name)]));
                None
            }
            ReplyMatch::Category(_) => None,
        })
        .collect();
    let horizon_minutes = f64::from(s.horizon_days) * 24.0 * 60.0;
    for (i, r) in s.reactions.iter().enumerate() {
        let at = |field: &str| format!("reactions[{i}].{field}");
        let name = &r.name;
        if !known(&r.provider) {
            push(at("provider"), Severity::Error, tr_fmt("rampup_react.unknown_provider", &[("name", &r.provider)]));
        }
        if let Trigger::Threshold { matches, per_minutes } = r.trigger {
            let ok = matches.is_finite()
                && matches > 0.0
                && per_minutes.is_finite()
                && per_minutes >= 5.0
                && per_minutes <= horizon_minutes.max(5.0);
            if !ok {
                let (m, p) = (matches.to_string(), per_minutes.to_string());
                push(
                    at("trigger"),
                    Severity::Error,
                    tr_fmt("rampup_react.bad_trigger", &[("name", name), ("matches", &m), ("minutes", &p)]),
                );
            }
        }
        if let ReactionAction::RateLimit { msgs_per_hour } = r.action
            && !(msgs_per_hour.is_finite() && msgs_per_hour > 0.0)
        {
            push(at("action"), Severity::Error, tr_fmt("rampup_react.bad_rate", &[("name", name), ("got", &msgs_per_hour)]));
        }
        if !(r.duration_minutes.is_finite() && r.duration_minutes >= 5.0) {
            push(
                at("duration_minutes"),
                Severity::Error,
                tr_fmt("rampup_react.bad_duration", &[("name", name), ("got", &r.duration_minutes)]),
            );
        } else if r.duration_minutes + recovery_minutes(&r.recovery) > horizon_minutes {
            let h = s.horizon_days;
            push(at("duration_minutes"), Severity::Warning, tr_fmt("rampup_react.outlasts_horizon", &[("name", name), ("h", &h)]));
        }
        if let Recovery::Steps { step_pct, every_minutes } = r.recovery
            && !(step_pct.is_finite() && step_pct > 0.0 && step_pct <= 100.0 && every_minutes.is_finite() && every_minutes >= 5.0)
        {
            let (st, ev) = (step_pct.to_string(), every_minutes.to_string());
            push(at("recovery"), Severity::Error, tr_fmt("rampup_react.never_recovers", &[("name", name), ("step", &st), ("every", &ev)]));
        }
        if let Some(f) = retriggers_forever(s, r, regexes[i].as_ref()) {
            let (limit, above) = (rate_of(&r.action), f.above_per_hour.unwrap_or(0.0));
            let args: [(&str, &dyn std::fmt::Display); 4] =
                [("name", name), ("limit", &limit), ("provider", &f.provider), ("above", &above)];
            push(at("action"), Severity::Error, tr_fmt("rampup_react.backoff_too_high", &args));
        }
        for (j, q) in s.reactions.iter().enumerate().take(i) {
            let overlap = r.provider == "*" || q.provider == "*" || r.provider == q.provider;
            if overlap && q.on == r.on && q.trigger == r.trigger && q.action != r.action {
                let args: [(&str, &dyn std::fmt::Display); 3] = [("name", name), ("other", &q.name), ("j", &j)];
                push(at("action"), Severity::Error, tr_fmt("rampup_react.contradicts", &args));
            }
        }
    }
    if let Some(o) = &s.overflow
        && (o.warm_ips == 0 || o.warm_ips > MAX_IPS)
    {
        push("overflow.warm_ips".into(), Severity::Error, tr_fmt("scenario.ips", &[("max", &MAX_IPS), ("got", &o.warm_ips)]));
    }
    let g = &s.promotion;
    for (field, v) in [("promotion.demote_above_pct", g.demote_above_pct), ("promotion.max_complaint_pct", g.max_complaint_pct)] {
        if let Some(x) = v.filter(|x| !pct_ok(*x)) {
            push(field.into(), Severity::Error, tr_fmt("rampup_react.pct_range", &[("got", &x)]));
        }
    }
    if let (LevelSchedule::AutoPromote { max_soft_bounce_pct, .. }, Some(d)) = (&s.schedule, g.demote_above_pct)
        && d <= *max_soft_bounce_pct
    {
        let args: [(&str, &dyn std::fmt::Display); 2] = [("demote", &d), ("clean", max_soft_bounce_pct)];
        push("promotion.demote_above_pct".into(), Severity::Error, tr_fmt("rampup_react.demote_below_clean", &args));
    }
    if !g.is_default() && !matches!(s.schedule, LevelSchedule::AutoPromote { .. }) {
        push("promotion".into(), Severity::Warning, tr_fmt("rampup_react.gates_unused", &[]));
    }
}

/// Minutes a recovery takes from the action's limit back to the full rate (worst case: from 0).
fn recovery_minutes(r: &Recovery) -> f64 {
    match *r {
        Recovery::AtOnce => 0.0,
        Recovery::Steps { step_pct, every_minutes } if step_pct > 0.0 => (100.0 / step_pct).ceil() * every_minutes,
        Recovery::Steps { .. } => f64::INFINITY,
    }
}

fn rate_of(a: &ReactionAction) -> f64 {
    match a {
        ReactionAction::RateLimit { msgs_per_hour } => *msgs_per_hour,
        _ => 0.0,
    }
}

/// A rate limit above a per-hour feedback threshold whose reply it reacts
/// to: the backed-off rate still provokes the reply, so the reaction fires
/// again and again and the destination never recovers.
fn retriggers_forever<'a>(s: &'a Scenario, r: &Reaction, regex: Option<&regex::Regex>) -> Option<&'a Feedback> {
    let ReactionAction::RateLimit { msgs_per_hour } = r.action else { return None };
    let ReplyMatch::Regex(_) = r.on else { return None };
    s.feedback.iter().find(|f| {
        let same_provider = r.provider == "*" || f.provider == "*" || f.provider == r.provider;
        let matches = regex.is_some_and(|re| re.is_match(&f.reply));
        same_provider
            && matches
            && f.while_ip_younger_than_days.is_none()
            && f.above_per_hour.is_some_and(|above| msgs_per_hour > above)
            && f.bounce_rate_above_pct.is_none()
            && f.complaint_rate_above_pct.is_none()
    })
}
