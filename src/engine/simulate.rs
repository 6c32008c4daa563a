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

use serde::Serialize;

use super::mx::{MxRule, ThroughputLevel};
use super::scenario::{
    BUILTIN_LIMITS, LevelSchedule, Outcome, SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_HOUR, Scenario, ScenarioProblem, has_errors, routes,
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
    /// Nothing is ready and nothing is due before this slot.
    asleep_until: u32,
    /// Remainders of finished cohorts waiting for their deadline: (deadline, messages).
    doomed: VecDeque<(u32, f64)>,
    hour: Counts,
    hourly: Vec<Counts>,
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

/// Expires the cohorts past validity, moves due retries back to the queue and
/// returns how many messages are ready. A lane with nothing ready sleeps until
/// its next retry or deadline, so quiet lanes cost one comparison per slot.
fn lane_arrivals(lane: &mut Lane, slot: u32) -> f64 {
    if slot < lane.asleep_until {
        return 0.0;
    }
    while let Some(&(_, amount)) = lane.doomed.front().filter(|d| d.0 <= slot) {
        lane.hour.expired += amount;
        lane.doomed.pop_front();
    }
    while lane.cohorts.front().is_some_and(|c| c.expires <= slot) {
        if let Some(c) = lane.cohorts.pop_front() {
            lane.hour.expired += c.queued();
        }
    }
    let (mut ready, mut next_due, mut emptied) = (0.0, u32::MAX, false);
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
        if c.ready + c.pending_total < DUST_MESSAGES {
            // A fluid tail never reaches zero: stop retrying it, it fails at the deadline.
            c.doomed += c.ready + c.pending_total;
            (c.ready, c.pending_total) = (0.0, 0.0);
            c.pending.clear();
        }
        emptied |= c.pending.is_empty() && c.ready <= 0.0;
        next_due = next_due.min(c.pending.front().map_or(c.expires, |p| p.0));
        ready += c.ready;
    }
    if emptied {
        // Only its deadline is left: park what waits for it, drop the cohort.
        for c in lane.cohorts.iter().filter(|c| c.pending.is_empty() && c.ready <= 0.0 && c.doomed > 0.0) {
            let at = lane.doomed.partition_point(|d| d.0 <= c.expires);
            lane.doomed.insert(at, (c.expires, c.doomed));
        }
        lane.cohorts.retain(|c| !(c.pending.is_empty() && c.ready <= 0.0));
    }
    if let Some(d) = lane.doomed.front() {
        next_due = next_due.min(d.0);
    }
    lane.asleep_until = if ready > 0.0 { 0 } else { next_due };
    ready
}

impl Lane {
    fn queued(&self) -> f64 {
        self.cohorts.iter().map(Cohort::queued).sum::<f64>() + self.doomed.iter().map(|d| d.1).sum::<f64>()
    }

    fn is_idle(&self) -> bool {
        self.cohorts.is_empty() && self.doomed.is_empty()
    }
}

/// Gives each awake lane its own pools' capacity, then splits each shared pool
/// over its providers in proportion to what they still have ready; `want` is
/// consumed, `got` receives what each may attempt.
fn allocate(groups: &mut [CapacityGroup], pools: &Pools, level: ThroughputLevel, awake: &[usize], want: &mut [f64], got: &mut [f64]) {
    let l = level.index();
    for &p in awake {
        for &gi in &pools.own[p] {
            let g = &mut groups[gi];
            let cap = g.slot_capacity[l];
            let x = want[p].min(cap);
            if x > 0.0 {
                got[p] += x;
                want[p] -= x;
                g.peak_slot_attempted = g.peak_slot_attempted.max(x);
                g.peak_utilisation = g.peak_utilisation.max(x / cap);
            }
        }
    }
    for &gi in &pools.shared {
        let g = &mut groups[gi];
        let cap = g.slot_capacity[l];
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

/// Which pools each lane owns, and the shared pools, by index into the groups.
struct Pools {
    own: Vec<Vec<usize>>,
    shared: Vec<usize>,
}

impl Pools {
    fn new(groups: &[CapacityGroup], lanes: usize) -> Pools {
        let mut own = vec![Vec::new(); lanes];
        let mut shared = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            match (g.shared, g.providers.first()) {
                (false, Some(&p)) if p < lanes => own[p].push(i),
                _ => shared.push(i),
            }
        }
        Pools { own, shared }
    }
}

/// Attempts `x` messages of a lane, oldest cohort first; returns (attempts, soft bounces).
fn serve(lane: &mut Lane, mut x: f64, slot: u32, delays: &[u32]) -> (f64, f64) {
    let out = lane.out;
    let retry_share = out.soft + out.deferred;
    let (mut attempted, mut soft) = (0.0, 0.0);
    for c in lane.cohorts.iter_mut() {
        if x <= 0.0 {
            break;
        }
        let a = if c.ready <= x {
            std::mem::take(&mut c.ready)
        } else {
            c.ready -= x;
            x
        };
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
        let age = (slot - c.start) as usize;
        let delay = delays.get(age).or(delays.last()).copied().unwrap_or(1);
        // Retries are batched on a grid of a quarter of their delay (never
        // earlier than due): long delays then merge into few arrivals.
        let grid = (delay / RETRY_GRID_DIVISOR).max(1);
        let at = slot.saturating_add(delay).div_ceil(grid).saturating_mul(grid);
        if at >= c.expires {
            c.doomed += retry;
        } else {
            match c.pending.back_mut() {
                // Keeps the pipeline sorted when the grid widens.
                Some((t, amount)) if *t >= at => *amount += retry,
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
        t.done_hours =
            hourly.iter().enumerate().skip(first_done_hour).find(|(_, r)| r.queued < DONE_BELOW_MESSAGES).map(|(h, _)| (h + 1) as f64);
    }
    t
}
