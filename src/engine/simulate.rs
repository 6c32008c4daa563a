//! Ramp-up simulation: a deterministic fluid model of an MTA sending a
//! [`Scenario`] through the MX rules, one run per throughput level.
//!
//! Quantities are `f64` message counts (fractions of a message are allowed and
//! show the expected value). Time runs in 5-minute slots. Mail injected on the
//! same day forms a cohort: its messages share one age, so retry delays and the
//! validity deadline are computed per cohort, never per message. Each slot
//! costs O(awake providers × live cohorts): a provider with nothing ready
//! sleeps until its next retry or deadline, one held at a zero limit (suspended)
//! until its reaction changes or mail expires, a retry tail under
//! [`DUST_MESSAGES`] stops being retried, and retries are batched on a grid of
//! a quarter of their delay ([`RETRY_GRID_DIVISOR`]).

use serde::Serialize;

mod adapt;
mod csv_out;
mod parts;
mod run;
mod slots;
pub use adapt::{Binding, HourState, LaneState, Segment};
pub use csv_out::{CSV_HEADER, fmt_cell, write_csv};
use parts::run_all;
use run::prepare;

use super::mx::{Limits, MxRule, ThroughputLevel};
use super::scenario::{
    BUILTIN_LIMITS, LevelSchedule, ReplyClass, Scenario, ScenarioProblem, classify_feedback_by_code, has_errors, routes, slot_capacity,
    validate,
};

/// Below this many messages a queue counts as empty ("the campaign is done").
pub const DONE_BELOW_MESSAGES: f64 = 0.5;
/// A cohort with fewer messages than this still in flight is no longer retried:
/// the remainder waits for the validity deadline and fails there. Without it a
/// fluid retry tail would be retried every slot until the deadline.
pub const DUST_MESSAGES: f64 = 1e-7;
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
    /// State, effective limit and binding limit per hour (worst of its slots).
    pub states: Vec<HourState>,
    /// The same per 5-minute slot, as change points: each holds until the next.
    pub segments: Vec<Segment>,
    /// Summary.
    pub totals: Totals,
}

/// A pool of slot capacity: one provider's own (per-IP) MX rule, or a shared
/// rule whose limit every provider it matches draws from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityGroup {
    /// Index of the MX rule; `None` = the built-in cautious limits.
    pub rule: Option<usize>,
    /// The rule's mask; `None` for the built-in limits (the edges name them).
    pub mask: Option<String>,
    /// Shared across IPs (and providers).
    pub shared: bool,
    /// Indices of the providers drawing from it.
    pub providers: Vec<usize>,
    /// Messages allowed per slot, per level (already × IPs when not shared).
    pub slot_capacity: [f64; 6],
    /// Per level, which of the rule's limits gives that capacity.
    pub binding: [Binding; 6],
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

/// Validates, then simulates the six levels (and the schedule when it is not
/// `Fixed`); feedback replies are classified by their reply code alone.
pub fn simulate(s: &Scenario, rules: &[MxRule]) -> Result<Simulation, SimulateError> {
    simulate_with(s, rules, &classify_feedback_by_code(&s.feedback))
}

/// Like [`simulate`], with each feedback reply's class as the document's bounce
/// rules give it ([`crate::engine::scenario::classify_feedback`]).
pub fn simulate_with(s: &Scenario, rules: &[MxRule], classes: &[ReplyClass]) -> Result<Simulation, SimulateError> {
    let problems = validate(s, rules);
    if has_errors(&problems) {
        return Err(SimulateError::Invalid(problems));
    }
    let groups = build_groups(s, rules);
    let setup = prepare(s, &groups, rules, classes);
    // The runs, and the independent parts of each, share the cores (the order of `run_kinds` is kept).
    let runs = run_all(s, &groups, &setup, classes, &run_kinds(s), true);
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

/// Validates, then simulates one run (feedback classified as [`simulate_with`] takes it).
pub fn simulate_run(s: &Scenario, rules: &[MxRule], classes: &[ReplyClass], kind: RunKind) -> Result<Run, SimulateError> {
    let problems = validate(s, rules);
    if has_errors(&problems) {
        return Err(SimulateError::Invalid(problems));
    }
    let groups = build_groups(s, rules);
    let setup = prepare(s, &groups, rules, classes);
    // On the calling thread: the GUI runs the levels side by side with this.
    let mut runs = run_all(s, &groups, &setup, classes, &[kind], false);
    Ok(runs.swap_remove(0))
}

/// Which of `l`'s limits gives its slot capacity: the hourly quota or the connections.
pub fn binding_limit(l: Limits) -> Binding {
    let hourly = f64::from(l.msgs_per_hour) / f64::from(super::scenario::SLOTS_PER_HOUR);
    let conn = f64::from(l.max_connections) * f64::from(l.max_msgs_per_connection);
    if conn < hourly { Binding::Connections } else { Binding::PerHour }
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
            let mask = rule.map(|r| r.mask.clone());
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
                        binding: ThroughputLevel::ALL.map(|l| binding_limit(limits(l))),
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
                    binding: ThroughputLevel::ALL.map(|l| binding_limit(limits(l))),
                    peak_slot_attempted: 0.0,
                    peak_utilisation: 0.0,
                });
            }
        }
    }
    own.extend(shared);
    own
}

pub(super) fn totals_of(hourly: &[Counts], first_done_hour: usize) -> Totals {
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
