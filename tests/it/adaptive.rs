//! Provider feedback and MTA reactions in the ramp-up simulator: the shipped
//! adaptive scenario, property tests of the reactions, and bad input.
//!
//! Float tolerance: flows are `f64` fluid message counts summed over up to
//! 100,000 slot operations; comparisons allow 1e-9 of the scale plus 1e-6
//! messages (`TOL_REL`, `TOL_ABS`).

use std::path::PathBuf;

use bouncelab::engine::Classifier;
use bouncelab::engine::mx::{Limits, MxRule, ThroughputLevel};
use bouncelab::engine::scenario::{
    Feedback, LevelSchedule, Overflow, Provider, Reaction, ReactionAction, Recovery, ReplyMatch, RetryPolicy, Scenario, Trigger, Volume,
    classify_feedback, has_errors, validate,
};
use bouncelab::engine::simulate::{Binding, HourState, LaneState, ProviderSeries, Run, RunKind, simulate, simulate_with};
use proptest::prelude::*;

use crate::default_doc;

const TOL_REL: f64 = 1e-9;
const TOL_ABS: f64 = 1e-6;

fn adaptive() -> Scenario {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_rules/adaptive.ron");
    Scenario::load(&p).expect("adaptive.ron loads")
}

fn run_of(runs: &[Run], kind: RunKind) -> &Run {
    runs.iter().find(|r| r.kind == kind).expect("run")
}

#[test]
fn shipped_adaptive_scenario_suspends_yahoo_and_recovers() {
    let doc = default_doc();
    let s = adaptive();
    let classes = classify_feedback(&s.feedback, &Classifier::new(&doc));
    // The rules qualify [TSS04] as badreputation, retried: a deferral.
    assert_eq!(classes[0].category, "badreputation");
    let sim = simulate_with(&s, &doc.mx_rules, &classes).expect("simulates");
    assert!(!has_errors(&sim.problems), "{:?}", sim.problems);
    let yahoo = s.providers.iter().position(|p| p.name == "Yahoo").unwrap();
    let fast = &run_of(&sim.runs, RunKind::Fixed(ThroughputLevel::Fast)).providers[yahoo];
    let states: Vec<LaneState> = fast.states.iter().map(|h| h.state).collect();
    let first_suspended = states.iter().position(|s| *s == LaneState::Suspended).expect("Fast gets Yahoo suspended");
    let recovering = states.iter().skip(first_suspended).position(|s| *s == LaneState::Recovering).expect("then it recovers");
    assert!(recovering > 0);
    // Suspended slots send nothing; every fully suspended hour attempts nothing.
    for (h, st) in fast.states.iter().enumerate() {
        if st.suspended_slots == 12 {
            assert_eq!(fast.hourly[h].attempted, 0.0, "hour {h}");
            assert_eq!(st.binding, Binding::Suspended);
        }
    }
    for run in &sim.runs {
        for p in &run.providers {
            let simulated = run.hourly.iter().rposition(|c| c.attempted > 0.0 || c.queued > 0.0).map_or(0, |h| h + 1);
            assert_eq!(hours_from_segments(p)[..simulated], p.states[..simulated], "{:?} {}", run.kind, p.name);
        }
    }
    // At Normal (100 msgs/h per IP) Yahoo never answers [TSS04]: no reaction.
    let normal = &run_of(&sim.runs, RunKind::Fixed(ThroughputLevel::Normal)).providers[yahoo];
    assert!(normal.states.iter().all(|h| h.state <= LaneState::Sending), "{:?}", normal.states);
    assert!(normal.states.iter().any(|h| h.binding == Binding::PerHour));
    // Yahoo's deferrals show in the flows: more deferred at Fast than the base 4 %.
    let t = &fast.totals.sums;
    assert!(t.deferred > 0.04 * t.attempted * 1.05, "{t:?}");
    // Very fast towards Yahoo is bound by connections (5 × 20 per slot < 2,000/h / 12).
    let vf = &run_of(&sim.runs, RunKind::Fixed(ThroughputLevel::VeryFast)).providers[yahoo];
    assert!(vf.segments.iter().any(|s| s.binding == Binding::Connections), "{:?}", &vf.segments[..vf.segments.len().min(8)]);
}

#[test]
fn csv_of_the_adaptive_scenario_names_states_and_bindings() {
    let (code, out, err) = crate::run_cli("C", &["simulate", "--scenario", "sample_rules/adaptive.ron"], b"");
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.ends_with(",queued,state,limit_per_hour,binding"), "{header}");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let yahoo_fast: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == "Fast" && r[2] == "Yahoo").collect();
    assert!(yahoo_fast.iter().any(|r| r[13] == "suspended" && r[15] == "suspended"));
    assert!(yahoo_fast.iter().any(|r| r[13] == "recovering"));
    assert!(rows.iter().any(|r| r[15] == "connections"));
    assert!(rows.iter().filter(|r| r[2] == "all").all(|r| r[13].is_empty() && r[15].is_empty()));
    assert!(!out.contains("-0.00"), "no negative zero in the output");
}

/// Each hour's state as its slots' segments give it: worst state, tightest
/// binding, lowest limit, suspended slots (hours after the last segment's run
/// stopped early are left out: they are quiet by construction).
fn hours_from_segments(series: &ProviderSeries) -> Vec<HourState> {
    let slots = series.states.len() * 12;
    let mut per_slot = Vec::with_capacity(slots);
    for (i, seg) in series.segments.iter().enumerate() {
        let end = series.segments.get(i + 1).map_or(slots, |n| n.slot as usize);
        per_slot.extend(std::iter::repeat_n(*seg, end.saturating_sub(seg.slot as usize)));
    }
    per_slot
        .chunks(12)
        .map(|hour| HourState {
            state: hour.iter().map(|s| s.state).max().unwrap_or_default(),
            binding: hour.iter().map(|s| s.binding).max().unwrap_or_default(),
            limit_per_hour: hour.iter().map(|s| s.limit_per_hour).fold(f64::INFINITY, f64::min),
            suspended_slots: hour.iter().filter(|s| s.state == LaneState::Suspended).count() as u8,
        })
        .collect()
}

/// Slots skipped because nothing changed still count in their hour: a provider
/// suspended with nothing left to send is suspended in every slot of the
/// suspension, also while no provider has anything to do.
#[test]
fn a_suspension_counts_every_slot_while_nothing_is_ready() {
    let rules = rules();
    let s = Scenario {
        ips: 1,
        volume: Volume::PerDay { messages: 5.0, days: 1 },
        horizon_days: 1,
        schedule: LevelSchedule::Fixed(ThroughputLevel::Normal),
        providers: vec![Provider::new("p0", 100.0, "mx.r0.test", 0.0, 0.0, 0.0)],
        // Above 1 message a slot the provider refuses for good (nothing is retried)...
        feedback: vec![Feedback {
            provider: "p0".into(),
            above_per_hour: Some(12.0),
            bounce_rate_above_pct: None,
            complaint_rate_above_pct: None,
            while_ip_younger_than_days: None,
            share_pct: 100.0,
            reply: "550 5.7.1 [TEST] too much".into(),
            note: String::new(),
        }],
        // ...and the MTA suspends it for an hour at the first such reply.
        reactions: vec![Reaction {
            name: "suspend".into(),
            provider: "p0".into(),
            on: ReplyMatch::Regex(r"\[TEST\]".into()),
            trigger: Trigger::Immediate,
            action: ReactionAction::Suspend,
            duration_minutes: 60.0,
            recovery: Recovery::AtOnce,
            note: String::new(),
        }],
        ..Scenario::default()
    };
    let run = simulate(&s, &rules).unwrap().runs.swap_remove(ThroughputLevel::Normal.index());
    let p = &run.providers[0];
    // Slot 0 sends all 5 and gets the reply: suspended from slot 1 up to slot 13.
    assert_eq!(p.hourly[0].attempted, 5.0);
    assert_eq!(p.segments[1].slot, 1);
    assert_eq!(p.segments[1].state, LaneState::Suspended);
    assert_eq!(p.segments[2].slot, 13);
    assert_eq!((p.states[0].state, p.states[0].suspended_slots), (LaneState::Suspended, 11), "{:?}", p.states[0]);
    assert_eq!((p.states[1].state, p.states[1].suspended_slots), (LaneState::Suspended, 1), "{:?}", p.states[1]);
    assert_eq!(p.states[1].binding, Binding::Suspended);
    assert_eq!(p.states[1].limit_per_hour, 0.0);
    assert_eq!(p.states[2].suspended_slots, 0);
    assert_eq!(hours_from_segments(p)[..3], p.states[..3]);
}

/// A plan's new level is the limit from the first slot of its day, also when
/// every provider is only waiting for retries then.
#[test]
fn a_new_level_is_recorded_while_every_provider_waits() {
    let rules = rules();
    let s = Scenario {
        ips: 1,
        volume: Volume::Campaign { messages: 100.0 },
        horizon_days: 2,
        schedule: LevelSchedule::Plan(vec![ThroughputLevel::Normal, ThroughputLevel::Fast]),
        // Half of the attempts deferred, retried every 10 hours.
        retry: RetryPolicy { first_retry_minutes: 600.0, backoff: 1.0, max_delay_minutes: 600.0, validity_hours: 84.0 },
        providers: vec![Provider::new("p0", 100.0, "mx.r0.test", 0.0, 0.0, 50.0)],
        ..Scenario::default()
    };
    let problems = validate(&s, &rules);
    assert!(!has_errors(&problems), "{problems:?}");
    let run = simulate(&s, &rules).unwrap().runs.pop().unwrap();
    assert_eq!(run.kind, RunKind::Schedule);
    let p = &run.providers[0];
    // Nothing is attempted in the first hour of day 2: the provider waits for its retries...
    assert_eq!(p.hourly[24].attempted, 0.0);
    assert!(p.hourly[24].queued > 1.0, "{:?}", p.hourly[24]);
    // ...and its limit is Fast's 240/h from slot 288 on (Normal's was 120/h).
    assert_eq!(p.states[23].limit_per_hour, 120.0);
    assert_eq!(p.states[24].limit_per_hour, 240.0, "{:?}", &p.segments);
    assert!(p.segments.iter().any(|g| g.slot == 288 && g.limit_per_hour == 240.0), "{:?}", &p.segments);
}

// ---------- property tests ----------

fn limits(c: u32, m: u32, h: u32) -> Limits {
    Limits { max_connections: c, max_msgs_per_connection: m, msgs_per_hour: h }
}

/// One rule per provider host `mx.rN.test`, growing per level, never shared.
fn rules() -> Vec<MxRule> {
    (0..3)
        .map(|i| {
            let mut r = MxRule::new(format!("*.r{i}.test"), limits(1, 10, 10));
            r.levels = std::array::from_fn(|l| {
                let k = 1u32 << l;
                limits(2 * k, 20 + 10 * i, 60 * k * (i + 1))
            });
            r
        })
        .collect()
}

fn hourly_cap(l: Limits) -> f64 {
    f64::from(l.msgs_per_hour).min(12.0 * f64::from(l.max_connections) * f64::from(l.max_msgs_per_connection))
}

fn arb_reaction() -> impl Strategy<Value = Reaction> {
    let action = prop_oneof![
        Just(ReactionAction::Suspend),
        (1.0..400.0f64).prop_map(|msgs_per_hour| ReactionAction::RateLimit { msgs_per_hour }),
        Just(ReactionAction::DropLevel),
    ];
    let trigger = prop_oneof![
        Just(Trigger::Immediate),
        (1.0..50.0f64, 5.0..240.0f64).prop_map(|(matches, per_minutes)| Trigger::Threshold { matches, per_minutes })
    ];
    let recovery = prop_oneof![
        Just(Recovery::AtOnce),
        (5.0..100.0f64, 5.0..60.0f64).prop_map(|(step_pct, every_minutes)| Recovery::Steps { step_pct, every_minutes })
    ];
    (action, trigger, recovery, 5.0..240.0f64, 0usize..3).prop_map(|(action, trigger, recovery, duration_minutes, p)| Reaction {
        name: "r".into(),
        provider: format!("p{p}"),
        on: ReplyMatch::Regex(r"4\.7\.0 \[TEST\]".into()),
        trigger,
        action,
        duration_minutes,
        recovery,
        note: String::new(),
    })
}

fn arb_feedback() -> impl Strategy<Value = Feedback> {
    (0usize..3, 1.0..300.0f64, prop::option::of(1u32..4), 10.0..100.0f64).prop_map(|(p, above, young, share)| Feedback {
        provider: format!("p{p}"),
        above_per_hour: Some(above),
        bounce_rate_above_pct: None,
        complaint_rate_above_pct: None,
        while_ip_younger_than_days: young,
        share_pct: share,
        reply: "421 4.7.0 [TEST] slow down".into(),
        note: String::new(),
    })
}

fn arb_adaptive() -> impl Strategy<Value = Scenario> {
    let providers = (1usize..4).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                (1.0..50.0f64, 0.0..5.0f64, 0.0..5.0f64, 0.0..5.0f64)
                    .prop_map(move |(share, s, h, d)| Provider::new(&format!("p{i}"), share, &format!("mx.r{i}.test"), s, h, d))
            })
            .collect::<Vec<_>>()
    });
    let reactions = prop::collection::vec(arb_reaction(), 0..3);
    let feedback = prop::collection::vec(arb_feedback(), 1..3);
    (1u32..3, 1_000.0..50_000.0f64, 2u32..5, providers, feedback, reactions, prop::option::of(1u32..3)).prop_map(
        |(ips, messages, horizon_days, providers, feedback, reactions, warm)| {
            let providers: Vec<Provider> = providers;
            let n = providers.len();
            let keep = |name: &str| name[1..].parse::<usize>().is_ok_and(|i| i < n);
            // The same replies, trigger and action twice would contradict; keep one reaction per provider.
            let mut seen = Vec::new();
            let reactions = reactions
                .into_iter()
                .filter(|r| keep(&r.provider))
                .filter(|r| {
                    let new = !seen.contains(&r.provider);
                    seen.push(r.provider.clone());
                    new
                })
                .map(|mut r| {
                    // A back-off above the feedback threshold never recovers (refused): stay under it.
                    if let ReactionAction::RateLimit { msgs_per_hour } = &mut r.action {
                        *msgs_per_hour = msgs_per_hour.min(1.0);
                    }
                    r
                })
                .collect();
            Scenario {
                ips,
                volume: Volume::PerDay { messages, days: 1 },
                horizon_days,
                schedule: LevelSchedule::Fixed(ThroughputLevel::Normal),
                providers,
                feedback: feedback.into_iter().filter(|f| keep(&f.provider)).collect(),
                reactions,
                overflow: warm.map(|warm_ips| Overflow { warm_ips, level: ThroughputLevel::Boost }),
                ..Scenario::default()
            }
        },
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL_REL * a.abs().max(b.abs()) + TOL_ABS
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn reactions_cap_suspend_recover_and_conserve(s in arb_adaptive()) {
        let rules = rules();
        let problems = validate(&s, &rules);
        prop_assert!(!has_errors(&problems), "{problems:?}");
        let sim = simulate(&s, &rules).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (run, level) in sim.runs.iter().zip(ThroughputLevel::ALL) {
            let overflow = s.overflow.map_or(0.0, |o| f64::from(o.warm_ips));
            for (p, series) in run.providers.iter().enumerate() {
                let rule = &rules[p];
                let own = hourly_cap(rule.limits(level)) * f64::from(s.ips);
                let full = own + hourly_cap(rule.limits(ThroughputLevel::Boost)) * overflow;
                let (mut inj, mut out) = (0.0, 0.0);
                for (h, (c, st)) in series.hourly.iter().zip(&series.states).enumerate() {
                    // Reactions never raise a rate above the level's caps.
                    prop_assert!(st.limit_per_hour <= full + TOL_ABS + TOL_REL * full, "{} h{h}: limit {} > {full}", series.name, st.limit_per_hour);
                    prop_assert!(c.attempted <= full * (1.0 + TOL_REL) + TOL_ABS, "{} h{h}: {} > {full}", series.name, c.attempted);
                    // Suspended slots deliver nothing.
                    let open = f64::from(12 - u32::from(st.suspended_slots)) / 12.0;
                    prop_assert!(c.attempted <= full * open * (1.0 + TOL_REL) + TOL_ABS, "{} h{h}: {} attempted in {open} of the hour", series.name, c.attempted);
                    // Conservation, hour by hour.
                    inj += c.injected;
                    out += c.delivered + c.failed();
                    prop_assert!(close(inj, out + c.queued), "{} h{h}: {inj} != {out} + {}", series.name, c.queued);
                    prop_assert!(c.queued >= -TOL_ABS && c.attempted.is_finite());
                }
                // Each hour's state is what its slots were (skipped slots included).
                let from_segments = hours_from_segments(series);
                let simulated = run.hourly.iter().rposition(|c| c.attempted > 0.0 || c.queued > 0.0).map_or(0, |h| h + 1);
                prop_assert_eq!(&from_segments[..simulated], &series.states[..simulated], "{}", series.name);
                // Sending without a reaction in force runs at the level's full limit.
                for seg in &series.segments {
                    if matches!(seg.state, LaneState::Sending | LaneState::Idle) {
                        prop_assert!(close(seg.limit_per_hour, full), "{} slot {}: {} != {full}", series.name, seg.slot, seg.limit_per_hour);
                    }
                }
                // Recovery returns to the configured level: the feedback stops with the
                // IPs' youth, so a reaction that fired gives way before the horizon ends.
                let fb_ends = s.feedback.iter().filter(|f| f.from_provider(&series.name)).all(|f| f.while_ip_younger_than_days.is_some_and(|d| d + 1 < s.horizon_days));
                if fb_ends && let Some(last) = series.segments.last() {
                    prop_assert!(matches!(last.state, LaneState::Sending | LaneState::Idle), "{}: ends {:?}", series.name, last);
                    prop_assert!(close(last.limit_per_hour, full));
                }
            }
        }
    }

    #[test]
    fn hostile_reaction_numbers_are_refused_or_finite(
        duration in prop::num::f64::ANY, step in prop::num::f64::ANY, every in prop::num::f64::ANY,
        rate in prop::num::f64::ANY, above in prop::num::f64::ANY, matches in prop::num::f64::ANY, share in prop::num::f64::ANY,
    ) {
        let mut s = adaptive();
        s.reactions[0].duration_minutes = duration;
        s.reactions[0].recovery = Recovery::Steps { step_pct: step, every_minutes: every };
        s.reactions[1].action = ReactionAction::RateLimit { msgs_per_hour: rate };
        s.reactions[1].trigger = Trigger::Threshold { matches, per_minutes: 60.0 };
        s.feedback[0].above_per_hour = Some(above);
        s.feedback[0].share_pct = share;
        s.horizon_days = 2;
        if let Ok(sim) = simulate(&s, &default_doc().mx_rules) {
            for run in &sim.runs {
                for p in &run.providers {
                    prop_assert!(p.states.iter().all(|h| h.limit_per_hour.is_finite() && h.limit_per_hour >= 0.0));
                    prop_assert!(p.hourly.iter().all(|c| c.delivered.is_finite() && c.queued.is_finite()));
                }
            }
        }
    }
}

// ---------- bad input: a clear message at the field ----------

fn errors_at(s: &Scenario) -> Vec<String> {
    validate(s, &default_doc().mx_rules)
        .into_iter()
        .filter(|p| p.severity == bouncelab::engine::mx::Severity::Error)
        .map(|p| p.field)
        .collect()
}

#[test]
fn contradictions_and_impossible_recoveries_are_refused_at_the_field() {
    let base = adaptive();
    let mut s = base.clone();
    let mut twin = s.reactions[0].clone();
    twin.name = "same replies, other action".into();
    twin.action = ReactionAction::DropLevel;
    s.reactions.push(twin);
    assert_eq!(errors_at(&s), ["reactions[2].action"]);

    let mut s = base.clone();
    s.reactions[0].recovery = Recovery::Steps { step_pct: 0.0, every_minutes: 30.0 };
    assert_eq!(errors_at(&s), ["reactions[0].recovery"]);

    // Backing off to 1,200/h while Microsoft defers above 1,000/h: the reply never stops.
    let mut s = base.clone();
    s.reactions[1].action = ReactionAction::RateLimit { msgs_per_hour: 1_200.0 };
    assert_eq!(errors_at(&s), ["reactions[1].action"]);
    let msg = validate(&s, &[]).into_iter().find(|p| p.field == "reactions[1].action").unwrap().message;
    assert!(msg.contains("never recovers"), "{msg}");

    let mut s = base.clone();
    s.reactions[0].on = ReplyMatch::Regex("[unclosed".into());
    s.reactions[0].duration_minutes = f64::NAN;
    s.feedback[1].provider = "Hotmail".into();
    s.feedback[0].above_per_hour = None;
    assert_eq!(errors_at(&s), ["feedback[0].above_per_hour", "feedback[1].provider", "reactions[0].on", "reactions[0].duration_minutes"]);

    let mut s = base.clone();
    s.promotion.demote_above_pct = Some(2.0);
    assert_eq!(errors_at(&s), ["promotion.demote_above_pct"]);

    let mut s = base;
    s.schedule = LevelSchedule::Plan(vec![ThroughputLevel::Slow; 9]);
    s.promotion = Default::default();
    assert_eq!(errors_at(&s), ["schedule"]);
    assert!(simulate(&s, &[]).is_err());
}

#[test]
fn oversized_scenarios_and_huge_shares_are_refused() {
    // Inside every other limit, but 7 × 2,001 × 8,784 hourly rows: over the budget.
    let providers = (0..2_000).map(|i| Provider::new(&format!("p{i}"), 1.0, "mx.example.net", 0.0, 0.0, 0.0)).collect();
    let s = Scenario {
        ips: 10_000,
        horizon_days: 366,
        providers,
        schedule: LevelSchedule::Plan(vec![ThroughputLevel::Slow]),
        ..Scenario::default()
    };
    let p = validate(&s, &[]);
    let budget = p.iter().find(|p| p.field == "horizon_days").expect("budget error");
    assert!(budget.message.contains("123037488"), "{}", budget.message);
    assert!(simulate(&s, &[]).is_err());

    let mut s = Scenario::default();
    for p in &mut s.providers {
        p.share_pct = 1e308;
    }
    let fields: Vec<String> =
        validate(&s, &[]).into_iter().filter(|p| p.severity == bouncelab::engine::mx::Severity::Error).map(|p| p.field).collect();
    assert_eq!(fields.len(), 5, "{fields:?}");
    assert!(fields.iter().all(|f| f.ends_with(".share_pct")));
}

#[test]
fn overflow_and_sending_days() {
    let rules = rules();
    let mut s = Scenario {
        ips: 1,
        volume: Volume::Campaign { messages: 20_000.0 },
        horizon_days: 3,
        providers: vec![Provider::new("p0", 100.0, "mx.r0.test", 0.0, 0.0, 0.0)],
        ..Scenario::default()
    };
    let slow_alone = simulate(&s, &rules).unwrap().runs[0].totals.sums.delivered;
    s.overflow = Some(Overflow { warm_ips: 2, level: ThroughputLevel::Boost });
    let sim = simulate(&s, &rules).unwrap();
    let slow = &sim.runs[0];
    assert!(slow.totals.sums.delivered > slow_alone * 2.0, "{} vs {slow_alone}", slow.totals.sums.delivered);
    // The effective limit counts the warm IPs: 60/h + 2 × Boost's 960/h.
    assert!(close(slow.providers[0].states[0].limit_per_hour, 60.0 + 2.0 * 960.0), "{:?}", slow.providers[0].states[0]);

    // A plan in sending days waits over the days without mail.
    let mut s = Scenario { day_count: bouncelab::engine::scenario::DayCount::Sending, overflow: None, ..s };
    s.volume = Volume::PerDay { messages: 100.0, days: 1 };
    s.horizon_days = 3;
    s.schedule = LevelSchedule::Plan(vec![ThroughputLevel::Slow, ThroughputLevel::Fast, ThroughputLevel::Boost]);
    let run = simulate(&s, &rules).unwrap().runs.pop().unwrap();
    assert_eq!(run.levels_by_day, vec![ThroughputLevel::Slow, ThroughputLevel::Fast, ThroughputLevel::Fast]);
}
