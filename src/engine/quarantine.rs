//! Quarantine of one address, day by day, and the Enhanced MTA's delivery status
//! of one message: what a trainer shows to explain why an address was (or was
//! not) quarantined.
//!
//! The counting rules come from the rule set: each reason's [`QuarantinePolicy`]
//! and release delay, and [`QuarantineSettings`](super::ruleset::QuarantineSettings).
//! Decisions this module adds where ACC's docs are silent:
//! - a Hard error quarantines at once (unless its reason says `Never`);
//! - errors of a `Never` reason (Refused) and Ignored verdicts are not counted;
//! - the quiet period resets the counter at the start of the day on which
//!   `reset_after_quiet_days` days have passed since the last counted error
//!   (0 = no quiet reset);
//! - the counter is address-wide; the threshold is that of the error's reason;
//! - while quarantined nothing is sent, so events of those days are ignored;
//!   a release clears the counter.
//!
//! The day-by-day texts (`events`, `decisions`, flow notes) are sentences for
//! people, written in the current language (`[quarantine_engine]` keys).

use serde::{Deserialize, Serialize};

use super::classify::{Classifier, Verdict};
use super::ruleset::{FailureType, QuarantinePolicy, RuleSet, display_ordinal};
use super::scenario::RetryPolicy;
use crate::i18n::{tr, tr_fmt, tr_n};

/// Days simulated at most, from the first event: ten years.
pub const MAX_DAYS: u32 = 3_660;

/// What one delivery to the address gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Delivered.
    Success,
    /// Bounced with a reason id (`mailbox_full`); `failure_type` overrides the reason's.
    Bounce {
        /// Reason id from the rule set.
        reason: String,
        /// Failure type when a category or rule overrides the reason's.
        failure_type: Option<FailureType>,
    },
}

impl Event {
    /// A bounce of this reason with the reason's own failure type.
    pub fn bounce(reason: &str) -> Event {
        Event::Bounce { reason: reason.to_owned(), failure_type: None }
    }

    /// The event a classified bounce text stands for.
    pub fn from_verdict(c: &Classifier, v: &Verdict) -> Event {
        Event::Bounce { reason: c.reason(v).id.clone(), failure_type: Some(v.failure_type) }
    }
}

/// An event on a day (0-based day number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEvent {
    /// Day number.
    pub day: u32,
    /// What happened.
    pub event: Event,
}

/// The address on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayReport {
    /// Day number.
    pub day: u32,
    /// The day's events, as text in the current language (`Bounce: Mailbox full (Soft)`).
    pub events: Vec<String>,
    /// Error counter at the end of the day.
    pub error_count: u32,
    /// In quarantine at the end of the day.
    pub quarantined: bool,
    /// Released from quarantine at the start of this day.
    pub released: bool,
    /// Which rule decided what, in words a trainer can read out (current language).
    pub decisions: Vec<String>,
}

/// One stay in quarantine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuarantinePeriod {
    /// Day it started.
    pub start_day: u32,
    /// Label of the reason that put it there.
    pub reason: String,
    /// Day it ends (automatic release), if the reason has a release delay.
    pub release_day: Option<u32>,
}

/// The whole history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QuarantineReport {
    /// One row per day from the first event to the last day of interest.
    pub days: Vec<DayReport>,
    /// Every stay in quarantine.
    pub periods: Vec<QuarantinePeriod>,
}

/// Runs the address's events (any order; same-day events keep their order)
/// through the document's quarantine policy. Rows run from the first event to
/// the later of the last event, `until_day`, and a pending release (at most
/// [`MAX_DAYS`] rows).
pub fn simulate_address(doc: &RuleSet, events: &[DayEvent], until_day: Option<u32>) -> QuarantineReport {
    let mut events: Vec<&DayEvent> = events.iter().collect();
    events.sort_by_key(|e| e.day);
    let Some(first) = events.first().map(|e| e.day) else {
        return QuarantineReport::default();
    };
    let last_event = events.last().map_or(first, |e| e.day);
    let settings = &doc.quarantine;
    let mut report = QuarantineReport::default();
    let mut count = 0_u32;
    let mut last_counted: Option<u32> = None;
    let mut quarantined = false;
    let mut next = events.iter().peekable();
    let mut day = first;
    loop {
        let release = report.periods.last().and_then(|p| p.release_day).filter(|_| quarantined);
        let end = last_event.max(until_day.unwrap_or(0)).max(release.unwrap_or(0));
        if day > end || day - first >= MAX_DAYS {
            break;
        }
        let mut row = DayReport { day, events: Vec::new(), error_count: 0, quarantined: false, released: false, decisions: Vec::new() };
        let mut counted_today = false;
        if quarantined && release == Some(day) {
            quarantined = false;
            row.released = true;
            count = 0;
            let p = report.periods.last().map(|p| (p.reason.clone(), day - p.start_day)).unwrap_or_default();
            row.decisions.push(tr_fmt("quarantine_engine.released", &[("reason", &p.0), ("days", &p.1)]));
        }
        if let Some(l) = last_counted.filter(|_| count > 0 && settings.reset_after_quiet_days > 0)
            && day - l >= settings.reset_after_quiet_days
        {
            count = 0;
            row.decisions
                .push(tr_fmt("quarantine_engine.quiet_reset", &[("days", &(day - l)), ("quiet", &settings.reset_after_quiet_days)]));
        }
        while let Some(e) = next.next_if(|e| e.day == day) {
            row.events.push(describe_event(doc, &e.event));
            if quarantined {
                row.decisions.push(tr("quarantine_engine.ignored_in_quarantine").to_owned());
                continue;
            }
            let (reason, failure_type) = match &e.event {
                Event::Success => {
                    row.decisions.push(if count > 0 {
                        tr_n("quarantine_engine.success_reset", count as usize, &[])
                    } else {
                        tr("quarantine_engine.delivered").to_owned()
                    });
                    count = 0;
                    continue;
                }
                Event::Bounce { reason, failure_type } => match doc.reason(reason) {
                    Some(r) => (r, failure_type.unwrap_or(r.failure_type)),
                    None => {
                        row.decisions.push(tr_fmt("quarantine_engine.unknown_reason", &[("reason", reason)]));
                        continue;
                    }
                },
            };
            let label = reason.display_label();
            // The threshold an error of this type meets: one rule for the replay, the tester and
            // the explanation (`QuarantinePolicy::for_type`).
            let threshold = match (failure_type, reason.quarantine.for_type(failure_type)) {
                (FailureType::Ignored, _) => {
                    row.decisions.push(tr_fmt(
                        "quarantine_engine.not_counted_ignored",
                        &[("label", &label), ("ignored", &FailureType::Ignored.display_label())],
                    ));
                    continue;
                }
                (_, QuarantinePolicy::Never) => {
                    row.decisions.push(tr_fmt("quarantine_engine.not_counted_never", &[("label", &label)]));
                    continue;
                }
                (_, QuarantinePolicy::AfterErrors(n)) => n.max(1),
            };
            if failure_type == FailureType::Soft && settings.count_once_per_day && counted_today {
                row.decisions.push(tr_fmt("quarantine_engine.not_counted_again", &[("label", &label)]));
                continue;
            }
            count = count.saturating_add(1);
            counted_today = true;
            last_counted = Some(day);
            if count < threshold {
                row.decisions.push(tr_fmt(
                    "quarantine_engine.counted",
                    &[("nth", &display_ordinal(count)), ("label", &label), ("threshold", &display_ordinal(threshold))],
                ));
                continue;
            }
            let why = if failure_type == FailureType::Hard {
                tr_fmt(
                    "quarantine_engine.quarantined_hard",
                    &[("label", &label), ("hard", &FailureType::Hard.display_label()), ("first", &display_ordinal(1))],
                )
            } else {
                tr_fmt(
                    "quarantine_engine.quarantined_threshold",
                    &[
                        ("nth", &display_ordinal(count)),
                        ("label", &label),
                        ("policy", &reason.quarantine.describe(reason.release_after_days)),
                    ],
                )
            };
            row.decisions.push(why);
            let release_day = reason.release_after_days.map(|n| day.saturating_add(n.max(1)));
            if let Some(r) = release_day {
                row.decisions.push(tr_fmt("quarantine_engine.release_planned", &[("day", &r), ("days", &(r - day))]));
            }
            report.periods.push(QuarantinePeriod { start_day: day, reason: label.to_owned(), release_day });
            quarantined = true;
        }
        row.error_count = count;
        row.quarantined = quarantined;
        report.days.push(row);
        day += 1;
    }
    report
}

fn describe_event(doc: &RuleSet, e: &Event) -> String {
    match e {
        Event::Success => tr("quarantine_engine.event_delivered").to_owned(),
        Event::Bounce { reason, failure_type } => {
            let r = doc.reason(reason);
            let label = r.map_or(reason.as_str(), |r| r.display_label());
            let ft = failure_type.or(r.map(|r| r.failure_type)).map_or("?", FailureType::display_label);
            tr_fmt("quarantine_engine.event_bounce", &[("label", &label), ("type", &ft)])
        }
    }
}

/// Result of one delivery attempt of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttemptResult {
    /// Accepted by the recipient's server.
    Delivered,
    /// Soft bounce or deferral: retried.
    SoftBounce,
    /// Hard bounce: not retried.
    HardBounce,
}

/// Email Feedback Service status of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DeliveryStatus {
    /// "Taken into account by the service provider": relayed to the MTA.
    TakenIntoAccount,
    /// Delivered.
    Sent,
    /// Hard bounce, or soft bounces until the validity period ran out.
    Failed,
}

impl DeliveryStatus {
    /// The product's English label (stable).
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::TakenIntoAccount => "Taken into account by the service provider",
            DeliveryStatus::Sent => "Sent",
            DeliveryStatus::Failed => "Failed",
        }
    }

    /// The label users see, in the current language.
    pub fn display_label(self) -> &'static str {
        tr(match self {
            DeliveryStatus::TakenIntoAccount => "engine.delivery_taken",
            DeliveryStatus::Sent => "engine.delivery_sent",
            DeliveryStatus::Failed => "engine.delivery_failed",
        })
    }
}

/// One step of a message's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusStep {
    /// Hours after the message reached the MTA.
    pub at_hours: f64,
    /// Status after this step.
    pub status: DeliveryStatus,
    /// 1-based attempt number, if the step is an attempt.
    pub attempt: Option<usize>,
    /// What happened and why, in the current language.
    pub note: String,
}

/// The status flow of one message whose attempts give `results` in order,
/// retried by `retry`. When the results end on a soft bounce, later attempts
/// are assumed to soft-bounce too, until the validity period ends.
pub fn delivery_flow(results: &[AttemptResult], retry: &RetryPolicy) -> Vec<StatusStep> {
    let sane = |x: f64| x.is_finite() && x >= 0.0;
    let r = if sane(retry.first_retry_minutes) && sane(retry.max_delay_minutes) && retry.backoff.is_finite() && sane(retry.validity_hours) {
        retry.clone()
    } else {
        RetryPolicy::default()
    };
    let end = r.validity_hours * 60.0;
    let hours = |m: f64| m / 60.0;
    let mut steps = vec![StatusStep {
        at_hours: 0.0,
        status: DeliveryStatus::TakenIntoAccount,
        attempt: None,
        note: tr("quarantine_engine.flow_relayed").to_owned(),
    }];
    let mut t = 0.0_f64;
    for n in 1..=10_000usize {
        let result = results.get(n - 1).copied().unwrap_or(AttemptResult::SoftBounce);
        let assumed = if n > results.len() { tr("quarantine_engine.flow_assumed") } else { "" };
        let (status, key) = match result {
            AttemptResult::Delivered => (DeliveryStatus::Sent, "quarantine_engine.flow_delivered"),
            AttemptResult::HardBounce => (DeliveryStatus::Failed, "quarantine_engine.flow_hard"),
            AttemptResult::SoftBounce => (DeliveryStatus::TakenIntoAccount, "quarantine_engine.flow_soft"),
        };
        let note = tr_fmt(key, &[("assumed", &assumed)]);
        steps.push(StatusStep { at_hours: hours(t), status, attempt: Some(n), note });
        if status != DeliveryStatus::TakenIntoAccount {
            return steps;
        }
        let next = t + r.delay_minutes(t).max(1.0);
        if next >= end {
            let note = tr_n(
                "quarantine_engine.flow_expired",
                n,
                &[("at", &format!("{:.1}", hours(next))), ("days", &format!("{:.1}", r.validity_hours / 24.0))],
            );
            steps.push(StatusStep { at_hours: hours(end), status: DeliveryStatus::Failed, attempt: None, note });
            return steps;
        }
        t = next;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_bounce_fails_at_once_and_soft_runs_out_at_validity() {
        let f = delivery_flow(&[AttemptResult::HardBounce], &RetryPolicy::default());
        assert_eq!(f.last().map(|s| s.status), Some(DeliveryStatus::Failed));
        assert_eq!(f.len(), 2);
        let f = delivery_flow(&[AttemptResult::SoftBounce], &RetryPolicy::default());
        let last = f.last().unwrap();
        assert_eq!((last.status, last.at_hours), (DeliveryStatus::Failed, 84.0));
        let f = delivery_flow(&[AttemptResult::SoftBounce, AttemptResult::Delivered], &RetryPolicy::default());
        assert_eq!(f.last().map(|s| (s.status, s.at_hours)), Some((DeliveryStatus::Sent, 0.25)));
    }
}
