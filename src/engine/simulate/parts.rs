//! A run cut into parts that do not depend on each other, so the parts of all
//! runs share the cores evenly (six runs on two cores left one core idle
//! whenever the runs were unequal), then put back together in scenario order.
//!
//! Lanes depend on each other only through a shared pool (its slot capacity is
//! split over the providers in proportion to what they have ready), through
//! the day's totals when an auto-promotion or sending-day count reads them,
//! and through the stop: a run stops at the first hour end at which every lane
//! is idle. A part is a set of lanes linked by shared pools; a run with a
//! promotion gate or sending days is one part. Each part runs until it is idle
//! on its own, then the parts that stopped first go on to the run's stop (the
//! slots they add record what the whole loop recorded for them), so every lane
//! makes the same operations in the same order as in one loop over all lanes:
//! outputs are byte-identical.

use rayon::prelude::*;

use super::run::{Common, LaneSetup, PartDone, PartRun, Stop};
use super::slots::Lane;
use super::{CapacityGroup, Counts, ProviderSeries, Run, RunKind, totals_of};
use crate::engine::scenario::{DayCount, LevelSchedule, ReplyClass, Scenario};

/// Lanes (provider indices, ascending) and the pools (group indices, in group order) of one part.
pub(super) struct Part {
    lanes: Vec<usize>,
    groups: Vec<usize>,
}

impl Part {
    /// The part's pools with their providers numbered within the part.
    fn local_groups(&self, groups: &[CapacityGroup]) -> Vec<CapacityGroup> {
        self.groups
            .iter()
            .map(|&gi| {
                let mut g = groups[gi].clone();
                for p in &mut g.providers {
                    *p = self.lanes.binary_search(p).unwrap_or(usize::MAX);
                }
                g
            })
            .collect()
    }
}

/// Whether a run's lanes depend on each other only through shared pools: not
/// when the day's totals of all lanes gate a promotion or count sending days.
fn separable(s: &Scenario, kind: RunKind) -> bool {
    s.day_count == DayCount::Calendar && !(kind == RunKind::Schedule && matches!(s.schedule, LevelSchedule::AutoPromote { .. }))
}

fn root(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// The parts of a run over `n` lanes, in the order of their first lane; one
/// part of everything unless `separable`.
pub(super) fn split(groups: &[CapacityGroup], n: usize, separable: bool) -> Vec<Part> {
    if !separable {
        return vec![Part { lanes: (0..n).collect(), groups: (0..groups.len()).collect() }];
    }
    let mut parent: Vec<usize> = (0..n).collect();
    for g in groups {
        let mut ps = g.providers.iter().copied().filter(|&p| p < n);
        let Some(first) = ps.next() else { continue };
        for p in ps {
            let (a, b) = (root(&mut parent, first), root(&mut parent, p));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut part_of = vec![usize::MAX; n];
    let mut parts: Vec<Part> = Vec::new();
    for p in 0..n {
        let r = root(&mut parent, p);
        if part_of[r] == usize::MAX {
            part_of[r] = parts.len();
            parts.push(Part { lanes: Vec::new(), groups: Vec::new() });
        }
        parts[part_of[r]].lanes.push(p);
    }
    for (gi, g) in groups.iter().enumerate() {
        // A pool nobody draws from belongs to no part: no slot touches it.
        if let Some(&p) = g.providers.iter().find(|&&p| p < n) {
            let r = root(&mut parent, p);
            parts[part_of[r]].groups.push(gi);
        }
    }
    parts
}

fn map<T: Send, R: Send>(items: Vec<T>, parallel: bool, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    if parallel { items.into_par_iter().map(f).collect() } else { items.into_iter().map(f).collect() }
}

/// Simulates the runs `kinds`, their parts on every core when `parallel`, in order.
pub(super) fn run_all(
    s: &Scenario,
    groups: &[CapacityGroup],
    setup: &[LaneSetup],
    classes: &[ReplyClass],
    kinds: &[RunKind],
    parallel: bool,
) -> Vec<Run> {
    let common = Common::new(s);
    let n = s.providers.len();
    let plans: Vec<Vec<Part>> = kinds.iter().map(|&k| split(groups, n, separable(s, k))).collect();
    let tasks: Vec<(usize, &Part)> = plans.iter().enumerate().flat_map(|(k, parts)| parts.iter().map(move |p| (k, p))).collect();
    let started = map(tasks, parallel, |(k, part)| {
        let mut r = PartRun::new(s, &common, setup, classes, kinds[k], &part.lanes, part.local_groups(groups));
        let stopped = r.advance(Stop::Idle);
        (k, r, stopped)
    });
    // A run stops where its last part goes idle (`None`: at the horizon).
    let mut ends: Vec<Option<u32>> = vec![Some(0); kinds.len()];
    for (k, _, stopped) in &started {
        ends[*k] = ends[*k].zip(*stopped).map(|(a, b)| a.max(b));
    }
    let done = map(started, parallel, |(k, mut r, stopped)| {
        if stopped != ends[k] {
            r.advance(ends[k].map_or(Stop::Horizon, Stop::At));
        }
        (k, r.finish())
    });
    let mut by_run: Vec<Vec<PartDone>> = kinds.iter().map(|_| Vec::new()).collect();
    for (k, d) in done {
        by_run[k].push(d);
    }
    let jobs: Vec<(RunKind, &Vec<Part>, Vec<PartDone>)> =
        kinds.iter().zip(&plans).zip(by_run).map(|((&kind, parts), done)| (kind, parts, done)).collect();
    map(jobs, parallel, |(kind, parts, done)| assemble(s, kind, groups, parts, done, common.last_send_day()))
}

/// One run from its finished parts: lanes back in scenario order, pools' peaks
/// back in place, the `all` rows summed in provider order.
fn assemble(s: &Scenario, kind: RunKind, groups: &[CapacityGroup], parts: &[Part], done: Vec<PartDone>, last_send_day: u32) -> Run {
    let hours = s.horizon_days as usize * 24;
    let mut lanes: Vec<Option<Lane>> = (0..s.providers.len()).map(|_| None).collect();
    let mut groups = groups.to_vec();
    let mut levels_by_day = Vec::new();
    for (part, d) in parts.iter().zip(done) {
        for (&gi, g) in part.groups.iter().zip(&d.groups) {
            groups[gi].peak_slot_attempted = g.peak_slot_attempted;
            groups[gi].peak_utilisation = g.peak_utilisation;
        }
        for (&p, lane) in part.lanes.iter().zip(d.lanes) {
            lanes[p] = Some(lane);
        }
        // Every part of a separable run has the same levels (they depend on the day only).
        if levels_by_day.is_empty() {
            levels_by_day = d.levels_by_day;
        }
    }
    let first_done_hour = last_send_day as usize * 24;
    let providers: Vec<ProviderSeries> = s
        .providers
        .iter()
        .zip(lanes)
        .filter_map(|(p, lane)| {
            let lane = lane?;
            let totals = totals_of(&lane.hourly, first_done_hour);
            Some(ProviderSeries {
                name: p.name.clone(),
                hourly: lane.hourly,
                states: lane.adapt.states,
                segments: lane.adapt.segments,
                totals,
            })
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
