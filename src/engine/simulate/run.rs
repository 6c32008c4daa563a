//! One run of the simulation: the slot loop, with the level schedule, the
//! feedback and reactions of each lane, and the day-end promotion gates.

use super::adapt::{Adapt, Binding, HourState, LaneReaction, LaneState};
use super::slots::{Cohort, Fifo, Lane, Pools, allocate, lane_arrivals, serve};
use super::{CapacityGroup, Counts, RunKind};
use crate::engine::mx::{MxRule, ThroughputLevel};
use crate::engine::scenario::{
    BUILTIN_LIMITS, DayCount, LevelSchedule, ReplyClass, SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_HOUR, Scenario, compile_match, reacts_to,
    routes, slot_capacity,
};

/// Per lane, what every run starts from: its adaptive set-up and its overflow capacity.
#[derive(Clone)]
pub(super) struct LaneSetup {
    adapt: Adapt,
    overflow: f64,
}

/// Builds each lane's set-up once per simulation: capacities per level, which
/// limit binds, the feedback it gets and the reactions watching it.
pub(super) fn prepare(s: &Scenario, groups: &[CapacityGroup], rules: &[MxRule], classes: &[ReplyClass]) -> Vec<LaneSetup> {
    let pools = Pools::new(groups, s.providers.len());
    let regexes: Vec<Option<regex::Regex>> = s
        .reactions
        .iter()
        .map(|r| match &r.on {
            crate::engine::scenario::ReplyMatch::Regex(p) => compile_match(p).ok(),
            crate::engine::scenario::ReplyMatch::Category(_) => None,
        })
        .collect();
    s.providers
        .iter()
        .enumerate()
        .map(|(p, prov)| {
            let overflow = match s.overflow {
                Some(o) => {
                    let route = routes(prov, s.ips, rules).first().and_then(|r| r.rule).and_then(|r| rules.get(r));
                    let l = route.map_or(BUILTIN_LIMITS[o.level.index()], |r| r.limits(o.level));
                    slot_capacity(l) * f64::from(o.warm_ips)
                }
                None => 0.0,
            };
            let mine: Vec<&CapacityGroup> = pools.own[p]
                .iter()
                .map(|&g| &groups[g])
                .chain(pools.shared.iter().map(|&g| &groups[g]).filter(|g| g.providers.contains(&p)))
                .collect();
            let full = std::array::from_fn(|l| mine.iter().map(|g| g.slot_capacity[l]).sum::<f64>() + overflow);
            let rule_binding = std::array::from_fn(|l| mine.first().map_or(Binding::PerHour, |g| g.binding[l]));
            let feedback: Vec<usize> = s.feedback.iter().enumerate().filter(|(_, f)| f.from_provider(&prov.name)).map(|(i, _)| i).collect();
            let reactions = s
                .reactions
                .iter()
                .enumerate()
                .filter(|(_, r)| r.watches(&prov.name))
                .map(|(ri, r)| {
                    let fed_by = feedback
                        .iter()
                        .copied()
                        .filter(|&fi| classes.get(fi).is_some_and(|c| reacts_to(r, regexes[ri].as_ref(), &s.feedback[fi], c)))
                        .collect();
                    LaneReaction::new(ri, fed_by)
                })
                .collect();
            let out = prov.outcome();
            let adapt = Adapt {
                ips: f64::from(s.ips),
                full,
                rule_binding,
                feedback,
                reactions,
                bounce_pct: (out.soft + out.hard) * 100.0,
                complaint_pct: if prov.complaint_pct.is_finite() { prov.complaint_pct } else { 0.0 },
                reply_by_feedback: vec![0.0; s.feedback.len()],
                ..Adapt::default()
            };
            LaneSetup { adapt, overflow }
        })
        .collect()
}

/// Flows of one day, for the promotion gates.
#[derive(Default)]
struct Day {
    attempted: f64,
    soft: f64,
    deferred: f64,
    delivered: f64,
    complaints: f64,
}

/// What every part of every run of a simulation shares: the retry delays, the
/// validity, the provider shares and the last day with a send.
pub(super) struct Common {
    /// Retry delay in slots by cohort age in slots, rounded up to whole slots.
    delays: Vec<u32>,
    validity_slots: u32,
    shares: Vec<f64>,
    last_send_day: u32,
}

impl Common {
    pub(super) fn new(s: &Scenario) -> Common {
        let validity_slots = ((s.retry.validity_hours * 60.0 / SLOT_MINUTES).round() as u32).max(1);
        let delays = (0..=validity_slots)
            .map(|age| {
                let d = (s.retry.delay_minutes(f64::from(age) * SLOT_MINUTES) / SLOT_MINUTES - 1e-9).ceil();
                if d.is_finite() { d.clamp(1.0, f64::from(validity_slots) + 1.0) as u32 } else { 1 }
            })
            .collect();
        let last_send_day = (0..s.horizon_days).rev().find(|&d| s.volume.on_day(d) > 0.0).unwrap_or(0);
        Common { delays, validity_slots, shares: s.share_fractions(), last_send_day }
    }

    /// The last day on which mail is injected.
    pub(super) fn last_send_day(&self) -> u32 {
        self.last_send_day
    }
}

/// Where [`PartRun::advance`] stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// After the first hour end, from the last send day on, at which every lane is
    /// idle and no reaction is in force (the whole run stops there).
    Idle,
    /// After the hour ending at this slot.
    At(u32),
    /// At the end of the horizon.
    Horizon,
}

/// The slot loop of one part of a run: lanes that share no pool with a lane
/// outside it (see [`super::parts`]), or every lane. Resumable: a part that
/// went idle before the others goes on to where the run stops.
pub(super) struct PartRun<'a> {
    s: &'a Scenario,
    common: &'a Common,
    classes: &'a [ReplyClass],
    kind: RunKind,
    groups: Vec<CapacityGroup>,
    pools: Pools,
    lanes: Vec<Lane>,
    /// Per lane, the warm overflow IPs' slot capacity; empty when no lane has any.
    overflow: Vec<f64>,
    want: Vec<f64>,
    got: Vec<f64>,
    got_over: Vec<f64>,
    ready: Vec<f64>,
    caps: Vec<(f64, LaneState)>,
    awake: Vec<usize>,
    wake: u32,
    /// Per lane: the next slot at which it can do or record anything new, and
    /// whether it waits with mail ready under a zero limit.
    due: Vec<u32>,
    held: Vec<bool>,
    level: ThroughputLevel,
    planned: bool,
    levels_by_day: Vec<ThroughputLevel>,
    day: Day,
    clean_run: u32,
    sending_days: u32,
    ip_day: u32,
    visited_level: usize,
    /// The next slot to simulate.
    slot: u32,
}

/// A part's lanes and pools once its loop is over, series filled to the horizon.
pub(super) struct PartDone {
    pub(super) lanes: Vec<Lane>,
    pub(super) groups: Vec<CapacityGroup>,
    pub(super) levels_by_day: Vec<ThroughputLevel>,
}

impl<'a> PartRun<'a> {
    /// A part of the lanes `lanes` (provider indices, ascending) with its pools
    /// `groups` (their `providers` already numbered within the part).
    pub(super) fn new(
        s: &'a Scenario,
        common: &'a Common,
        setup: &[LaneSetup],
        classes: &'a [ReplyClass],
        kind: RunKind,
        lanes: &[usize],
        groups: Vec<CapacityGroup>,
    ) -> PartRun<'a> {
        let hours = s.horizon_days as usize * 24;
        let lanes_v: Vec<Lane> = lanes
            .iter()
            .map(|&p| Lane {
                out: s.providers[p].outcome(),
                share: common.shares[p],
                cohorts: Vec::new(),
                asleep_until: 0,
                doomed: Vec::new(),
                spare: Vec::new(),
                hour: Counts::default(),
                hourly: Vec::with_capacity(hours),
                adapt: {
                    // One state an hour: sized once, not grown hour by hour.
                    let mut a = setup[p].adapt.clone();
                    a.states.reserve(hours);
                    a
                },
            })
            .collect();
        let n = lanes_v.len();
        let mut overflow: Vec<f64> = lanes.iter().map(|&p| setup[p].overflow).collect();
        if overflow.iter().all(|&o| o == 0.0) {
            // No warm IPs in this part: `allocate` skips the overflow step.
            overflow.clear();
        }
        let level = match (kind, &s.schedule) {
            (RunKind::Fixed(l), _) => l,
            (RunKind::Schedule, LevelSchedule::AutoPromote { start, .. }) => *start,
            (RunKind::Schedule, _) => s.planned_level(0),
        };
        PartRun {
            s,
            common,
            classes,
            kind,
            pools: Pools::new(&groups, n),
            groups,
            lanes: lanes_v,
            overflow,
            want: vec![0.0; n],
            got: vec![0.0; n],
            got_over: vec![0.0; n],
            ready: vec![0.0; n],
            caps: vec![(0.0, LaneState::Idle); n],
            awake: Vec::with_capacity(n),
            wake: 0,
            due: vec![0; n],
            held: vec![false; n],
            level,
            planned: kind == RunKind::Schedule && matches!(s.schedule, LevelSchedule::Plan(_)),
            levels_by_day: Vec::with_capacity(s.horizon_days as usize),
            day: Day::default(),
            clean_run: 0,
            sending_days: 0,
            ip_day: 0,
            visited_level: level.index(),
            slot: 0,
        }
    }

    /// Runs slots from where the part stopped until `stop`; returns the slot whose
    /// hour end it stopped after (`None`: it ran to the end of the horizon).
    pub(super) fn advance(&mut self, stop: Stop) -> Option<u32> {
        let PartRun {
            s,
            common,
            classes,
            kind,
            groups,
            pools,
            lanes,
            overflow,
            want,
            got,
            got_over,
            ready,
            caps,
            awake,
            wake,
            due,
            held,
            level,
            planned,
            levels_by_day,
            day,
            clean_run,
            sending_days,
            ip_day,
            visited_level,
            slot: next,
        } = self;
        let (s, classes, kind, planned) = (*s, *classes, *kind, *planned);
        let total_slots = s.horizon_days * SLOTS_PER_DAY;
        let (feedback, reactions) = (&s.feedback, &s.reactions);
        let delays = &common.delays[..];
        while *next < total_slots {
            let slot = *next;
            *next += 1;
            if slot % SLOTS_PER_DAY == 0 {
                let d = slot / SLOTS_PER_DAY;
                *ip_day = if s.day_count == DayCount::Sending { *sending_days } else { d };
                if planned {
                    *level = s.planned_level(*ip_day);
                }
                levels_by_day.push(*level);
                let volume = s.volume.on_day(d);
                for (p, lane) in lanes.iter_mut().enumerate().filter(|(_, l)| l.share > 0.0 && volume > 0.0) {
                    let messages = volume * lane.share;
                    lane.hour.injected += messages;
                    lane.asleep_until = 0;
                    (due[p], *wake) = (0, 0);
                    lane.cohorts.push(Cohort {
                        start: slot,
                        expires: slot.saturating_add(common.validity_slots),
                        ready: messages,
                        pending: lane.spare.pop().map_or_else(Fifo::default, Fifo::reusing),
                        pending_total: 0.0,
                        doomed: 0.0,
                    });
                }
            }
            let li = level.index();
            if li != *visited_level {
                // Every lane's limit changes with the level: each records it now.
                (*visited_level, *wake) = (li, 0);
                due.fill(0);
            }
            // Quiet slots (every lane asleep or held, no reaction changing) cost nothing but this comparison.
            if slot >= *wake {
                *wake = u32::MAX;
                awake.clear();
                for (p, lane) in lanes.iter_mut().enumerate() {
                    // A lane that is not due would record what it recorded last: skipped.
                    if slot < due[p] {
                        *wake = (*wake).min(due[p]);
                        continue;
                    }
                    let r = if slot >= lane.asleep_until { lane_arrivals(lane, slot) } else { 0.0 };
                    let (cap, st) = lane.adapt.cap(reactions, li, slot);
                    let change = lane.adapt.next_change(reactions, slot);
                    held[p] = false;
                    if r > 0.0 && cap > 0.0 {
                        (ready[p], want[p], caps[p]) = (r, r.min(cap), (cap, st));
                        awake.push(p);
                        due[p] = slot + 1;
                    } else if r > 0.0 {
                        // Mail ready but a zero limit: it sends nothing and records the same
                        // until the reaction changes or a deadline expires mail (retries that
                        // come due meanwhile only join the ready mail: moved at the hour's end).
                        let b = slot_binding(&lane.adapt, li, st, 0.0, r, cap);
                        lane.adapt.observe(slot, st, b, cap * f64::from(SLOTS_PER_HOUR));
                        held[p] = true;
                        due[p] = change.min(lane.next_expiry());
                    } else {
                        // Nothing ready: idle, unless a reaction holds the destination.
                        let st = if st == LaneState::Sending { LaneState::Idle } else { st };
                        let b = if st == LaneState::Suspended { Binding::Suspended } else { Binding::None };
                        lane.adapt.observe(slot, st, b, cap * f64::from(SLOTS_PER_HOUR));
                        due[p] = change.min(lane.asleep_until);
                    }
                    *wake = (*wake).min(due[p]);
                }
                allocate(groups, pools, *level, awake, want, got, overflow, got_over);
                for &p in awake.iter() {
                    let lane = &mut lanes[p];
                    let (cap, st) = caps[p];
                    let x = got[p];
                    if x > 0.0 {
                        // A provider without feedback answers with its own rates (the common, cheap case).
                        let out = if lane.adapt.feedback.is_empty() {
                            lane.out
                        } else {
                            lane.adapt.replies(feedback, classes, reactions, lane.out, x, x - got_over[p], *ip_day, slot).outcome
                        };
                        let served = serve(lane, x, slot, delays, out);
                        day.attempted += served.attempted;
                        day.soft += served.soft;
                        day.deferred += served.deferred;
                        day.delivered += served.delivered;
                        day.complaints += served.delivered * lane.adapt.complaint_pct / 100.0;
                    }
                    let binding = slot_binding(&lane.adapt, li, st, x, ready[p], cap);
                    lane.adapt.observe(slot, st, binding, cap * f64::from(SLOTS_PER_HOUR));
                    (want[p], got[p], got_over[p]) = (0.0, 0.0, 0.0);
                }
            }
            if slot % SLOTS_PER_HOUR == SLOTS_PER_HOUR - 1 {
                for (p, lane) in lanes.iter_mut().enumerate() {
                    if held[p] && lane_arrivals(lane, slot) <= 0.0 {
                        // Nothing ready any more (a tail cut as dust): look again next slot.
                        due[p] = slot + 1;
                        *wake = (*wake).min(due[p]);
                    }
                    lane.hour.queued = lane.queued();
                    lane.hourly.push(std::mem::take(&mut lane.hour));
                    lane.adapt.end_hour(slot + 1);
                }
                match stop {
                    // A reaction still in force keeps the run going until it gives way.
                    Stop::Idle
                        if slot / SLOTS_PER_DAY >= common.last_send_day && lanes.iter().all(|l| l.is_idle() && !l.adapt.is_active()) =>
                    {
                        return Some(slot);
                    }
                    Stop::At(at) if slot >= at => return Some(slot),
                    _ => {}
                }
            }
            if slot % SLOTS_PER_DAY == SLOTS_PER_DAY - 1 {
                if day.attempted > 0.0 || s.volume.on_day(slot / SLOTS_PER_DAY) > 0.0 {
                    *sending_days += 1;
                }
                if let (RunKind::Schedule, LevelSchedule::AutoPromote { clean_days, max_soft_bounce_pct, .. }) = (kind, &s.schedule) {
                    (*level, *clean_run) = promote(s, day, *level, *clean_run, *clean_days, *max_soft_bounce_pct);
                }
                *day = Day::default();
            }
            // Until the next wake nothing happens but the hour's end (day starts are
            // hour starts, levels change only there): jump over the quiet slots.
            let hour_end = *next - *next % SLOTS_PER_HOUR + SLOTS_PER_HOUR - 1;
            let quiet_until = (*wake).min(hour_end);
            if quiet_until > *next && *next % SLOTS_PER_DAY != 0 {
                *next = quiet_until.min(total_slots);
            }
        }
        None
    }

    /// Fills the series to the horizon as the quiet rest of it.
    pub(super) fn finish(self) -> PartDone {
        let PartRun { s, mut lanes, groups, mut levels_by_day, day, ip_day, level, planned, .. } = self;
        let hours = s.horizon_days as usize * 24;
        // Stopped early because everything is done: the rest of the horizon is quiet,
        // but a plan still says which level each later day would have had.
        // In sending days, the day it stopped on counts when it sent; the quiet ones after it do not.
        let sent_today = day.attempted > 0.0 || s.volume.on_day(levels_by_day.len().saturating_sub(1) as u32) > 0.0;
        while levels_by_day.len() < s.horizon_days as usize {
            let d = levels_by_day.len() as u32;
            let at = if s.day_count == DayCount::Sending { ip_day + u32::from(sent_today) } else { d };
            levels_by_day.push(if planned { s.planned_level(at) } else { level });
        }
        let quiet =
            |lane: &Lane| HourState { limit_per_hour: lane.adapt.full[level.index()] * f64::from(SLOTS_PER_HOUR), ..HourState::default() };
        for lane in &mut lanes {
            lane.hourly.resize(hours, Counts::default());
            let q = quiet(lane);
            lane.adapt.states.resize(hours, q);
        }
        PartDone { lanes, groups, levels_by_day }
    }
}

/// Which limit bounded a lane's slot in which it attempted `x` of its `ready`
/// messages under the limit `cap`, in state `st`.
fn slot_binding(a: &Adapt, li: usize, st: LaneState, x: f64, ready: f64, cap: f64) -> Binding {
    if st == LaneState::Suspended {
        Binding::Suspended
    } else if x >= ready * (1.0 - 1e-12) {
        Binding::QueueEmpty
    } else if cap < a.full[li] && x >= cap * (1.0 - 1e-9) {
        Binding::Backoff
    } else {
        a.rule_binding[li]
    }
}

/// The day-end step of an auto-promotion: a day over the demotion threshold
/// drops one level; a clean day (soft bounces and complaints under their
/// thresholds) counts towards the next promotion; a dirty one restarts the
/// count; a day without attempts does neither.
fn promote(s: &Scenario, day: &Day, level: ThroughputLevel, clean_run: u32, clean_days: u32, max_soft: f64) -> (ThroughputLevel, u32) {
    let gates = &s.promotion;
    let (mut level, mut clean_run) = (level, clean_run);
    if day.attempted > 0.0 {
        let dirty = (day.soft + day.deferred) / day.attempted * 100.0;
        if gates.demote_above_pct.is_some_and(|d| dirty > d) {
            level = ThroughputLevel::ALL[level.index().saturating_sub(1)];
            return (level, 0);
        }
        let complaints_ok = gates.max_complaint_pct.is_none_or(|c| day.complaints <= day.delivered * c / 100.0);
        clean_run = if day.soft <= day.attempted * max_soft / 100.0 && complaints_ok { clean_run + 1 } else { 0 };
    }
    if clean_run >= clean_days && level < ThroughputLevel::Boost {
        level = ThroughputLevel::ALL[level.index() + 1];
        clean_run = 0;
    }
    (level, clean_run)
}
