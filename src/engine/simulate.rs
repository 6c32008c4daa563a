//! Ramp-up simulation: a deterministic fluid model of an MTA sending a
//! [`Scenario`] through the MX rules, one run per throughput level.
//!
//! Quantities are `f64` message counts (fractions of a message are allowed and
//! show the expected value). Time runs in 5-minute slots. Mail injected on the
//! same day forms a cohort: its messages share one age, so retry delays and the
//! validity deadline are computed per cohort, never per message. Each slot
//! costs O(providers × live cohorts), and at most four or five cohorts are live
//! at once with a 3.5-day validity.

use std::collections::VecDeque;

use serde::Serialize;

use super::mx::{MxRule, ThroughputLevel};
use super::scenario::{
    BUILTIN_LIMITS, LevelSchedule, Outcome, SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_HOUR, Scenario, ScenarioProblem, has_errors, routes, slot_capacity, validate,
};

/// Below this many messages a queue counts as empty ("the campaign is done").
pub const DONE_BELOW_MESSAGES: f64 = 0.5;

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
    /// What series and tables call the run: the level's label, or `Schedule`.
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Fixed(l) => l.label(),
            RunKind::Schedule => "Schedule",
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
    #[error("the scenario cannot be simulated: {}", describe(.0))]
    Invalid(Vec<ScenarioProblem>),
}

fn describe(problems: &[ScenarioProblem]) -> String {
    let errs: Vec<String> = problems.iter().filter(|p| p.severity == super::mx::Severity::Error).map(|p| format!("{}: {}", p.field, p.message)).collect();
    errs.join("; ")
}

/// Validates, then simulates the six levels (and the schedule when it is not `Fixed`).
pub fn simulate(s: &Scenario, rules: &[MxRule]) -> Result<Simulation, SimulateError> {
    let problems = validate(s, rules);
    if has_errors(&problems) {
        return Err(SimulateError::Invalid(problems));
    }
    let groups = build_groups(s, rules);
    let mut runs: Vec<Run> = ThroughputLevel::ALL.iter().map(|&l| run_checked(s, &groups, RunKind::Fixed(l))).collect();
    if !matches!(s.schedule, LevelSchedule::Fixed(_)) {
        runs.push(run_checked(s, &groups, RunKind::Schedule));
    }
    Ok(Simulation { runs, problems })
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

/// Mail of one provider injected on one day.
struct Cohort {
    start: u32,
    expires: u32,
    /// Waiting for capacity.
    ready: f64,
    /// Retries by arrival slot, in increasing slot order (the delay grows with age).
    pending: VecDeque<(u32, f64)>,
    pending_total: f64,
    /// Retries that would come after the validity deadline: they fail at it.
    doomed: f64,
}

impl Cohort {
    fn queued(&self) -> f64 {
        self.ready + self.pending_total + self.doomed
    }
}

struct Lane {
    out: Outcome,
    share: f64,
    cohorts: VecDeque<Cohort>,
    hour: Counts,
    hourly: Vec<Counts>,
}

fn run_checked(s: &Scenario, groups: &[CapacityGroup], kind: RunKind) -> Run {
    let mut groups = groups.to_vec();
    let hours = s.horizon_days as usize * 24;
    let total_slots = s.horizon_days * SLOTS_PER_DAY;
    let validity_slots = ((s.retry.validity_hours * 60.0 / SLOT_MINUTES).round() as u32).max(1);
    let shares = s.share_fractions();
    let mut lanes: Vec<Lane> = s
        .providers
        .iter()
        .zip(&shares)
        .map(|(p, &share)| Lane { out: p.outcome(), share, cohorts: VecDeque::new(), hour: Counts::default(), hourly: Vec::with_capacity(hours) })
        .collect();
    let last_send_day = (0..s.horizon_days).rev().find(|&d| s.volume.on_day(d) > 0.0).unwrap_or(0);
    let mut want = vec![0.0_f64; lanes.len()];
    let mut got = vec![0.0_f64; lanes.len()];
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
                lane.cohorts.push_back(Cohort { start: slot, expires: slot.saturating_add(validity_slots), ready, pending: VecDeque::new(), pending_total: 0.0, doomed: 0.0 });
            }
        }
        for (lane, w) in lanes.iter_mut().zip(want.iter_mut()) {
            *w = lane_arrivals(lane, slot);
        }
        allocate(&mut groups, level, &mut want, &mut got);
        for (lane, &x) in lanes.iter_mut().zip(got.iter()) {
            if x > 0.0 {
                let (att, soft) = serve(lane, x, slot, s);
                day_attempted += att;
                day_soft += soft;
            }
        }
        if slot % SLOTS_PER_HOUR == SLOTS_PER_HOUR - 1 {
            for lane in &mut lanes {
                lane.hour.queued = lane.cohorts.iter().map(Cohort::queued).sum();
                lane.hourly.push(std::mem::take(&mut lane.hour));
            }
            let idle = lanes.iter().all(|l| l.cohorts.is_empty());
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
    // Stopped early because everything is done: the rest of the horizon is quiet.
    while levels_by_day.len() < s.horizon_days as usize {
        levels_by_day.push(level);
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

/// Expires the cohorts past validity, moves due retries back to the queue and
/// returns how many messages are ready.
fn lane_arrivals(lane: &mut Lane, slot: u32) -> f64 {
    if lane.cohorts.is_empty() {
        return 0.0;
    }
    while lane.cohorts.front().is_some_and(|c| c.expires <= slot) {
        if let Some(c) = lane.cohorts.pop_front() {
            lane.hour.expired += c.queued();
        }
    }
    let mut ready = 0.0;
    for c in lane.cohorts.iter_mut() {
        while let Some(&(at, amount)) = c.pending.front() {
            if at > slot {
                break;
            }
            c.ready += amount;
            c.pending_total -= amount;
            c.pending.pop_front();
        }
        if c.pending.is_empty() {
            // Drops float drift so an empty pipeline is exactly empty.
            c.ready += c.pending_total;
            c.pending_total = 0.0;
        }
        ready += c.ready;
    }
    // A cohort with nothing left costs time every slot until its deadline.
    lane.cohorts.retain(|c| c.queued() > 0.0);
    ready
}

/// Splits each pool's capacity over its providers in proportion to what they
/// have ready; `want` is consumed, `got` receives what each may attempt.
fn allocate(groups: &mut [CapacityGroup], level: ThroughputLevel, want: &mut [f64], got: &mut [f64]) {
    got.fill(0.0);
    for g in groups.iter_mut() {
        let cap = g.slot_capacity[level.index()];
        let demand: f64 = g.providers.iter().map(|&p| want[p]).sum();
        if !(demand > 0.0 && cap > 0.0) {
            continue;
        }
        let ratio = (cap / demand).min(1.0);
        let mut served = 0.0;
        for &p in &g.providers {
            let x = want[p] * ratio;
            got[p] += x;
            want[p] -= x;
            served += x;
        }
        g.peak_slot_attempted = g.peak_slot_attempted.max(served);
        g.peak_utilisation = g.peak_utilisation.max((served / cap).min(1.0));
    }
}

/// Attempts `x` messages of a lane, oldest cohort first; returns (attempts, soft bounces).
fn serve(lane: &mut Lane, mut x: f64, slot: u32, s: &Scenario) -> (f64, f64) {
    let out = lane.out;
    let retry_share = out.soft + out.deferred;
    let (mut attempted, mut soft) = (0.0, 0.0);
    for c in lane.cohorts.iter_mut() {
        if x <= 0.0 {
            break;
        }
        let a = if c.ready <= x { std::mem::take(&mut c.ready) } else { c.ready -= x; x };
        x -= a;
        if a <= 0.0 {
            continue;
        }
        attempted += a;
        soft += a * out.soft;
        let h = &mut lane.hour;
        h.attempted += a;
        h.delivered += a * out.delivered;
        h.hard_bounced += a * out.hard;
        h.soft_bounced += a * out.soft;
        h.deferred += a * out.deferred;
        let retry = a * retry_share;
        if retry <= 0.0 {
            continue;
        }
        let age_minutes = f64::from(slot - c.start) * SLOT_MINUTES;
        let delay = (s.retry.delay_minutes(age_minutes) / SLOT_MINUTES - 1e-9).ceil().max(1.0);
        let at = slot.saturating_add(delay.min(f64::from(u32::MAX)) as u32);
        if at >= c.expires {
            c.doomed += retry;
        } else {
            match c.pending.back_mut() {
                Some((t, amount)) if *t == at => *amount += retry,
                _ => c.pending.push_back((at, retry)),
            }
            c.pending_total += retry;
        }
    }
    (attempted, soft)
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
        t.done_hours = hourly.iter().enumerate().skip(first_done_hour).find(|(_, r)| r.queued < DONE_BELOW_MESSAGES).map(|(h, _)| (h + 1) as f64);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::mx::Limits;

    #[test]
    fn default_scenario_runs_six_levels_and_conserves() {
        let sim = simulate(&Scenario::default(), &[]).unwrap();
        assert_eq!(sim.runs.len(), 6);
        for r in &sim.runs {
            let t = &r.totals.sums;
            assert!((t.injected - 200_000.0).abs() < 1e-6);
            assert!((t.delivered + t.failed() + t.queued - t.injected).abs() < 1e-6 * t.injected);
        }
        assert!(sim.runs[4].totals.sums.delivered >= sim.runs[0].totals.sums.delivered);
    }

    #[test]
    fn shared_rule_is_one_pool() {
        let lim = Limits { max_connections: 10, max_msgs_per_connection: 100, msgs_per_hour: 1200 };
        let mut r = MxRule::new("*", lim);
        r.shared = true;
        let g = build_groups(&Scenario::default(), &[r]);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].providers.len(), 5);
        assert_eq!(g[0].slot_capacity[0], 100.0);
    }
}
