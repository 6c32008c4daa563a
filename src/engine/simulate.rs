//! Ramp-up simulation: a deterministic fluid model of an MTA sending a
//! [`Scenario`] through the MX rules, one run per throughput level.
//!
//! Quantities are `f64` message counts (fractions of a message are allowed and
//! show the expected value). Time runs in 5-minute slots. Mail injected on the
//! same day forms a cohort: its messages share one age, so retry delays and the
//! validity deadline are computed per cohort, never per message. Each slot
//! costs O(awake providers × live cohorts): a provider with nothing ready
//! sleeps until its next retry or deadline, a retry tail under
//! [`DUST_MESSAGES`] stops being retried, and retries are batched on a grid of
//! a quarter of their delay ([`RETRY_GRID_DIVISOR`]).

use std::collections::VecDeque;

use rayon::prelude::*;
use serde::Serialize;

mod slots;
use slots::{Cohort, Lane, Pools, allocate, lane_arrivals, serve};

use super::mx::{MxRule, ThroughputLevel};
use super::scenario::{
    BUILTIN_LIMITS, LevelSchedule, SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_HOUR, Scenario, ScenarioProblem, has_errors, routes,
    slot_capacity, validate,
};

/// Below this many messages a queue counts as empty ("the campaign is done").
pub const DONE_BELOW_MESSAGES: f64 = 0.5;
/// A cohort with fewer messages than this still in flight is no longer retried:
/// the remainder waits for the validity deadline and fails there. Without it a
/// fluid retry tail would be retried every slot until the deadline.
pub const DUST_MESSAGES: f64 = 1e-3;
/// Retries due at slot `t` after a delay `d` arrive at the next multiple of
/// `d / 4` slots: at most a quarter of the delay late, and far fewer distinct
/// arrivals to process when delays are hours long.
pub const RETRY_GRID_DIVISOR: u32 = 4;

/// Flows of one destination (or all of them) during one hour, in messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Handed to the MTA.
    pub injected: f64,
    /// Delivery attempts (first tries and retries).
    pub attempted: f64,
    /// Attempts that delivered.
    pub delivered: f64,
    /// Attempts deferred (4xx), to be retried.
    pub deferred: f64,
    /// Attempts soft-bounced, to be retried.
    pub soft_bounced: f64,
    /// Attempts hard-bounced: failed for good.
    pub hard_bounced: f64,
    /// Messages that reached the end of the validity period undelivered: failed.
    pub expired: f64,
    /// Messages still in the MTA at the end of the hour (waiting or between retries).
    pub queued: f64,
}

impl Counts {
    /// Soft and hard bounces.
    pub fn bounced(&self) -> f64 {
        self.soft_bounced + self.hard_bounced
    }

    /// Messages that failed: hard bounces and expiries.
    pub fn failed(&self) -> f64 {
        self.hard_bounced + self.expired
    }

    fn add_flows(&mut self, o: &Counts) {
        self.injected += o.injected;
        self.attempted += o.attempted;
        self.delivered += o.delivered;
        self.deferred += o.deferred;
        self.soft_bounced += o.soft_bounced;
        self.hard_bounced += o.hard_bounced;
        self.expired += o.expired;
    }
}

/// Which level policy a run follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RunKind {
    /// One level for the whole horizon.
    Fixed(ThroughputLevel),
    /// The scenario's schedule (plan or auto-promotion).
    Schedule,
}

impl RunKind {
    /// The stable English name of the run, as in CSV/JSON outputs: the level's label, or `Schedule`.
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Fixed(l) => l.label(),
            RunKind::Schedule => "Schedule",
        }
    }

    /// What plots and tables show users, in the current language.
    pub fn display_label(self) -> &'static str {
        match self {
            RunKind::Fixed(l) => l.display_label(),
            RunKind::Schedule => crate::i18n::tr("engine.run_schedule"),
        }
    }
}

/// Summary of a run, or of one destination in a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    /// The sums of every hourly flow; `queued` is what is left at the end.
    pub sums: Counts,
    /// Hours until the queue is empty (under half a message) after the last
    /// send: every message delivered or failed. `None`: not within the horizon.
    pub done_hours: Option<f64>,
    /// Most messages delivered in one hour.
    pub peak_delivered_per_hour: f64,
    /// Most attempts in one hour.
    pub peak_attempted_per_hour: f64,
}

/// The series of one destination in one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProviderSeries {
    /// Provider name.
    pub name: String,
    /// One row per hour of the horizon.
    pub hourly: Vec<Counts>,
    /// Summary.
    pub totals: Totals,
}

/// A pool of slot capacity: one provider's own (per-IP) MX rule, or a shared
/// rule whose limit every provider it matches draws from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityGroup {
    /// Index of the MX rule; `None` = the built-in cautious limits.
    pub rule: Option<usize>,
    /// The rule's mask (`(built-in)` when none).
    pub mask: String,
    /// Shared across IPs (and providers).
    pub shared: bool,
    /// Indices of the providers drawing from it.
    pub providers: Vec<usize>,
    /// Messages allowed per slot, per level (already × IPs when not shared).
    pub slot_capacity: [f64; 6],
    /// Most attempts in one slot during the run.
    pub peak_slot_attempted: f64,
    /// Highest attempts / capacity ratio of any slot (never above 1).
    pub peak_utilisation: f64,
}

/// One simulated run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// Level policy.
    pub kind: RunKind,
    /// Level in force on each day.
    pub levels_by_day: Vec<ThroughputLevel>,
    /// All destinations, one row per hour.
    pub hourly: Vec<Counts>,
    /// Summary over all destinations.
    pub totals: Totals,
    /// Per destination, in scenario order.
    pub providers: Vec<ProviderSeries>,
    /// Capacity pools and how full they got.
    pub groups: Vec<CapacityGroup>,
}

/// Every run of a scenario: the six fixed levels, slowest first, then the
/// schedule when it is a plan or an auto-promotion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Simulation {
    /// The runs.
    pub runs: Vec<Run>,
    /// Warnings from [`validate`] (the scenario had no errors).
    #[serde(skip)]
    pub problems: Vec<ScenarioProblem>,
}

/// Why a scenario was not simulated.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// [`validate`] found errors.
    #[error("{}", crate::i18n::tr_fmt("scenario.cannot_simulate", &[("errors", &describe(.0))]))]
    Invalid(Vec<ScenarioProblem>),
}

fn describe(problems: &[ScenarioProblem]) -> String {
    let errs: Vec<String> =
        problems.iter().filter(|p| p.severity == super::mx::Severity::Error).map(|p| format!("{}: {}", p.field, p.message)).collect();
    errs.join("; ")
}

/// Validates, then simulates the six levels (and the schedule when it is not `Fixed`).
pub fn simulate(s: &Scenario, rules: &[MxRule]) -> Result<Simulation, SimulateError> {
    let problems = validate(s, rules);
    if has_errors(&problems) {
        return Err(SimulateError::Invalid(problems));
    }
    let groups = build_groups(s, rules);
    // The runs are independent: one per core (the order of `run_kinds` is kept).
    let runs: Vec<Run> = run_kinds(s).into_par_iter().map(|kind| run_checked(s, &groups, kind)).collect();
    Ok(Simulation { runs, problems })
}

/// The runs a scenario gives: the six levels, then the schedule unless it is fixed.
pub fn run_kinds(s: &Scenario) -> Vec<RunKind> {
    let mut kinds: Vec<RunKind> = ThroughputLevel::ALL.iter().map(|&l| RunKind::Fixed(l)).collect();
    if !matches!(s.schedule, LevelSchedule::Fixed(_)) {
        kinds.push(RunKind::Schedule);
    }
    kinds
}

/// Validates, then simulates one run.
pub fn simulate_run(s: &Scenario, rules: &[MxRule], kind: RunKind) -> Result<Run, SimulateError> {
    let problems = validate(s, rules);
    if has_errors(&problems) {
        return Err(SimulateError::Invalid(problems));
    }
    Ok(run_checked(s, &build_groups(s, rules), kind))
}

/// Non-shared routes give each provider its own pool (× its IPs); a shared
/// rule is one pool for all its providers. Own pools come first so a provider
/// uses its own capacity before drawing on a shared one.
fn build_groups(s: &Scenario, rules: &[MxRule]) -> Vec<CapacityGroup> {
    let mut own = Vec::new();
    let mut shared: Vec<CapacityGroup> = Vec::new();
    for (p, prov) in s.providers.iter().enumerate() {
        for route in routes(prov, s.ips, rules) {
            let rule = route.rule.and_then(|r| rules.get(r));
            let limits = |l: ThroughputLevel| rule.map_or(BUILTIN_LIMITS[l.index()], |r| r.limits(l));
            let mask = rule.map_or_else(|| "(built-in)".to_owned(), |r| r.mask.clone());
            if rule.is_some_and(|r| r.shared) {
                match shared.iter_mut().find(|g| g.rule == route.rule) {
                    Some(g) if !g.providers.contains(&p) => g.providers.push(p),
                    Some(_) => {}
                    None => shared.push(CapacityGroup {
                        rule: route.rule,
                        mask,
                        shared: true,
                        providers: vec![p],
                        slot_capacity: ThroughputLevel::ALL.map(|l| slot_capacity(limits(l))),
                        peak_slot_attempted: 0.0,
                        peak_utilisation: 0.0,
                    }),
                }
            } else {
                own.push(CapacityGroup {
                    rule: route.rule,
                    mask,
                    shared: false,
                    providers: vec![p],
                    slot_capacity: ThroughputLevel::ALL.map(|l| slot_capacity(limits(l)) * f64::from(route.ips)),
                    peak_slot_attempted: 0.0,
                    peak_utilisation: 0.0,
                });
            }
        }
    }
    own.extend(shared);
    own
}

fn run_checked(s: &Scenario, groups: &[CapacityGroup], kind: RunKind) -> Run {
    let mut groups = groups.to_vec();
    let hours = s.horizon_days as usize * 24;
    let total_slots = s.horizon_days * SLOTS_PER_DAY;
    let validity_slots = ((s.retry.validity_hours * 60.0 / SLOT_MINUTES).round() as u32).max(1);
    let shares = s.share_fractions();
    // Retry delay in slots by cohort age in slots, rounded up to whole slots.
    let delays: Vec<u32> = (0..=validity_slots)
        .map(|age| {
            let d = (s.retry.delay_minutes(f64::from(age) * SLOT_MINUTES) / SLOT_MINUTES - 1e-9).ceil();
            if d.is_finite() { d.clamp(1.0, f64::from(validity_slots) + 1.0) as u32 } else { 1 }
        })
        .collect();
    let mut lanes: Vec<Lane> = s
        .providers
        .iter()
        .zip(&shares)
        .map(|(p, &share)| Lane {
            out: p.outcome(),
            share,
            cohorts: VecDeque::new(),
            asleep_until: 0,
            doomed: VecDeque::new(),
            hour: Counts::default(),
            hourly: Vec::with_capacity(hours),
        })
        .collect();
    let last_send_day = (0..s.horizon_days).rev().find(|&d| s.volume.on_day(d) > 0.0).unwrap_or(0);
    let mut want = vec![0.0_f64; lanes.len()];
    let mut got = vec![0.0_f64; lanes.len()];
    let (mut awake, mut wake) = (Vec::with_capacity(lanes.len()), 0_u32);
    let pools = Pools::new(&groups, lanes.len());
    let mut level = match (kind, &s.schedule) {
        (RunKind::Fixed(l), _) => l,
        (RunKind::Schedule, LevelSchedule::AutoPromote { start, .. }) => *start,
        (RunKind::Schedule, _) => s.planned_level(0),
    };
    let mut levels_by_day = Vec::with_capacity(s.horizon_days as usize);
    let (mut day_attempted, mut day_soft, mut clean_run) = (0.0_f64, 0.0_f64, 0_u32);

    for slot in 0..total_slots {
        if slot % SLOTS_PER_DAY == 0 {
            let day = slot / SLOTS_PER_DAY;
            if kind == RunKind::Schedule && !matches!(s.schedule, LevelSchedule::AutoPromote { .. }) {
                level = s.planned_level(day);
            }
            levels_by_day.push(level);
            let volume = s.volume.on_day(day);
            for lane in lanes.iter_mut().filter(|l| l.share > 0.0 && volume > 0.0) {
                let ready = volume * lane.share;
                lane.hour.injected += ready;
                lane.asleep_until = 0;
                wake = 0;
                lane.cohorts.push_back(Cohort {
                    start: slot,
                    expires: slot.saturating_add(validity_slots),
                    ready,
                    pending: VecDeque::new(),
                    pending_total: 0.0,
                    doomed: 0.0,
                });
            }
        }
        // Quiet slots (every lane asleep) cost nothing but this comparison.
        if slot >= wake {
            wake = u32::MAX;
            awake.clear();
            for (p, lane) in lanes.iter_mut().enumerate() {
                if slot >= lane.asleep_until {
                    let w = lane_arrivals(lane, slot);
                    if w > 0.0 {
                        want[p] = w;
                        awake.push(p);
                    }
                }
                wake = wake.min(lane.asleep_until);
            }
            allocate(&mut groups, &pools, level, &awake, &mut want, &mut got);
            for &p in &awake {
                if got[p] > 0.0 {
                    let (att, soft) = serve(&mut lanes[p], got[p], slot, &delays);
                    day_attempted += att;
                    day_soft += soft;
                }
                (want[p], got[p]) = (0.0, 0.0);
            }
        }
        if slot % SLOTS_PER_HOUR == SLOTS_PER_HOUR - 1 {
            for lane in &mut lanes {
                lane.hour.queued = lane.queued();
                lane.hourly.push(std::mem::take(&mut lane.hour));
            }
            let idle = lanes.iter().all(Lane::is_idle);
            if idle && slot / SLOTS_PER_DAY >= last_send_day {
                break;
            }
        }
        if slot % SLOTS_PER_DAY == SLOTS_PER_DAY - 1 {
            if let (RunKind::Schedule, LevelSchedule::AutoPromote { clean_days, max_soft_bounce_pct, .. }) = (kind, &s.schedule) {
                if day_attempted > 0.0 {
                    clean_run = if day_soft <= day_attempted * max_soft_bounce_pct / 100.0 { clean_run + 1 } else { 0 };
                }
                if clean_run >= *clean_days && level < ThroughputLevel::Boost {
                    level = ThroughputLevel::ALL[level.index() + 1];
                    clean_run = 0;
                }
            }
            (day_attempted, day_soft) = (0.0, 0.0);
        }
    }
    // Stopped early because everything is done: the rest of the horizon is quiet,
    // but a plan still says which level each later day would have had.
    while levels_by_day.len() < s.horizon_days as usize {
        let planned = kind == RunKind::Schedule && matches!(s.schedule, LevelSchedule::Plan(_));
        levels_by_day.push(if planned { s.planned_level(levels_by_day.len() as u32) } else { level });
    }
    for lane in &mut lanes {
        lane.hourly.resize(hours, Counts::default());
    }
    let first_done_hour = last_send_day as usize * 24;
    let providers: Vec<ProviderSeries> = s
        .providers
        .iter()
        .zip(lanes)
        .map(|(p, lane)| {
            let totals = totals_of(&lane.hourly, first_done_hour);
            ProviderSeries { name: p.name.clone(), hourly: lane.hourly, totals }
        })
        .collect();
    let mut hourly = vec![Counts::default(); hours];
    for p in &providers {
        for (all, row) in hourly.iter_mut().zip(&p.hourly) {
            all.add_flows(row);
            all.queued += row.queued;
        }
    }
    let totals = totals_of(&hourly, first_done_hour);
    Run { kind, levels_by_day, hourly, totals, providers, groups }
}

fn totals_of(hourly: &[Counts], first_done_hour: usize) -> Totals {
    let mut t = Totals::default();
    for row in hourly {
        t.sums.add_flows(row);
        t.peak_delivered_per_hour = t.peak_delivered_per_hour.max(row.delivered);
        t.peak_attempted_per_hour = t.peak_attempted_per_hour.max(row.attempted);
    }
    t.sums.queued = hourly.last().map_or(0.0, |r| r.queued);
    if t.sums.injected > 0.0 {
        t.done_hours =
            hourly.iter().enumerate().skip(first_done_hour).find(|(_, r)| r.queued < DONE_BELOW_MESSAGES).map(|(h, _)| (h + 1) as f64);
    }
    t
}
