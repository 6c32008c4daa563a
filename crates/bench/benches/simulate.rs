//! Ramp-up simulation speed: 30 days, 100 providers, all six levels (run in
//! parallel, one level per core). Target: under 50 ms, so the panel can replot
//! on every slider move, also with provider feedback and MTA reactions
//! (`per_day_1M_with_reactions`). `one_level_single_thread` is the cost of one run.

use std::hint::black_box;

use bouncelab::engine::ThroughputLevel;
use bouncelab::engine::mx::{Limits, MxRule};
use bouncelab::engine::scenario::{
    Feedback, LevelSchedule, Provider, Reaction, ReactionAction, Recovery, ReplyMatch, Scenario, Trigger, Volume,
};
use bouncelab::engine::simulate::{RunKind, simulate, simulate_run};
use criterion::{Criterion, criterion_group, criterion_main};

/// 100 providers on 40 MX rules (some shared, a catch-all last), 2 IPs.
fn rules() -> Vec<MxRule> {
    let mut rules: Vec<MxRule> = (0..40)
        .map(|i| {
            let mut r = MxRule::new(format!("*.mx{i}.example"), Limits::default());
            r.levels = std::array::from_fn(|l| {
                let k = (l as u32 + 1) * (1 + i % 3);
                Limits { max_connections: 2 * k, max_msgs_per_connection: 50, msgs_per_hour: 1_000 * k }
            });
            r.shared = i % 5 == 0;
            r
        })
        .collect();
    rules.push(MxRule::new("*", Limits { max_connections: 5, max_msgs_per_connection: 100, msgs_per_hour: 5_000 }));
    rules
}

fn scenario(volume: Volume) -> Scenario {
    let providers = (0..100)
        .map(|i| Provider::new(&format!("p{i}"), 1.0, &format!("in.mx{}.example", i % 45), 1.0 + (i % 4) as f64, 1.0, (i % 7) as f64))
        .collect();
    Scenario { ips: 2, volume, horizon_days: 30, schedule: LevelSchedule::Fixed(ThroughputLevel::Normal), providers, ..Scenario::default() }
}

fn bench(c: &mut Criterion) {
    let rules = rules();
    let mut g = c.benchmark_group("simulate_30d_100p_6levels");
    let daily = scenario(Volume::PerDay { messages: 1_000_000.0, days: 30 });
    g.bench_function("per_day_1M_for_30_days", |b| b.iter(|| black_box(simulate(black_box(&daily), &rules).map(|s| s.runs.len()))));
    let campaign = scenario(Volume::Campaign { messages: 2_000_000.0 });
    g.bench_function("campaign_2M", |b| b.iter(|| black_box(simulate(black_box(&campaign), &rules).map(|s| s.runs.len()))));
    // Every provider defers above 400 msgs/h per IP for its first 20 days; the MTA
    // suspends for an hour at the first reply and climbs back by 25 % every 15 minutes.
    let mut adaptive = daily.clone();
    adaptive.feedback = vec![Feedback {
        provider: "*".into(),
        above_per_hour: Some(400.0),
        bounce_rate_above_pct: None,
        complaint_rate_above_pct: None,
        while_ip_younger_than_days: Some(20),
        share_pct: 100.0,
        reply: "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred".into(),
        note: String::new(),
    }];
    adaptive.reactions = vec![Reaction {
        name: "suspend".into(),
        provider: "*".into(),
        on: ReplyMatch::Regex(r"\[TSS04\]".into()),
        trigger: Trigger::Immediate,
        action: ReactionAction::Suspend,
        duration_minutes: 60.0,
        recovery: Recovery::Steps { step_pct: 25.0, every_minutes: 15.0 },
        note: String::new(),
    }];
    g.bench_function("per_day_1M_with_reactions", |b| b.iter(|| black_box(simulate(black_box(&adaptive), &rules).map(|s| s.runs.len()))));
    g.bench_function("one_level_single_thread", |b| {
        b.iter(|| black_box(simulate_run(black_box(&daily), &rules, &[], RunKind::Fixed(ThroughputLevel::Normal)).map(|r| r.hourly.len())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
