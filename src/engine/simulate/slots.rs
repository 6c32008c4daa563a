//! The per-slot mechanics of the ramp-up simulation: cohorts waiting in a
//! provider's lane, retries coming due, capacity shared out between lanes, and
//! attempts served oldest cohort first.

use super::adapt::Adapt;
use super::{CapacityGroup, Counts, DUST_MESSAGES, RETRY_GRID_DIVISOR};
use crate::engine::mx::ThroughputLevel;
use crate::engine::scenario::Outcome;

/// A queue of retry arrivals `(slot, messages)`: pushed at the back, taken from
/// the front, the last one topped up. A `Vec` and the index of its front (the
/// hot loops read the front every busy slot, where a `VecDeque` computes its wrap-around).
#[derive(Default)]
pub(super) struct Fifo {
    items: Vec<(u32, f64)>,
    head: usize,
}

impl Fifo {
    pub(super) fn front(&self) -> Option<&(u32, f64)> {
        self.items.get(self.head)
    }

    pub(super) fn pop_front(&mut self) {
        self.head += 1;
        if self.head >= self.items.len() {
            self.clear();
        } else if self.head >= 64 && self.head * 2 >= self.items.len() {
            // Keeps memory bounded by what is still pending.
            self.items.drain(..self.head);
            self.head = 0;
        }
    }

    pub(super) fn back_mut(&mut self) -> Option<&mut (u32, f64)> {
        if self.head < self.items.len() { self.items.last_mut() } else { None }
    }

    pub(super) fn push_back(&mut self, item: (u32, f64)) {
        self.items.push(item);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.head >= self.items.len()
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
        self.head = 0;
    }

    /// An empty queue in `items`' allocation (a finished cohort's), so a new
    /// cohort's retries do not grow a fresh `Vec` from nothing every day.
    pub(super) fn reusing(mut items: Vec<(u32, f64)>) -> Fifo {
        items.clear();
        Fifo { items, head: 0 }
    }

    /// Gives the queue's allocation back for [`Fifo::reusing`].
    fn into_items(self) -> Vec<(u32, f64)> {
        self.items
    }
}

/// Mail of one provider injected on one day.
pub(super) struct Cohort {
    pub(super) start: u32,
    pub(super) expires: u32,
    /// Waiting for capacity.
    pub(super) ready: f64,
    /// Retries by arrival slot, in increasing slot order (the delay grows with age).
    pub(super) pending: Fifo,
    pub(super) pending_total: f64,
    /// Retries that would come after the validity deadline: they fail at it.
    pub(super) doomed: f64,
}

impl Cohort {
    pub(super) fn queued(&self) -> f64 {
        self.ready + self.pending_total + self.doomed
    }
}

/// One provider's queue: its cohorts, what waits for a deadline, and its hourly counts.
pub(super) struct Lane {
    pub(super) out: Outcome,
    pub(super) share: f64,
    /// Oldest first (a few: one per injection day within validity; a `Vec`
    /// because the hot loops walk it every busy slot and drop from its front once a day).
    pub(super) cohorts: Vec<Cohort>,
    /// Nothing is ready and nothing is due before this slot.
    pub(super) asleep_until: u32,
    /// Remainders of finished cohorts waiting for their deadline: (deadline, messages).
    pub(super) doomed: Vec<(u32, f64)>,
    /// Retry queues' allocations of finished cohorts, for the next injections.
    pub(super) spare: Vec<Vec<(u32, f64)>>,
    pub(super) hour: Counts,
    pub(super) hourly: Vec<Counts>,
    /// Feedback, reactions and the recorded states.
    pub(super) adapt: Adapt,
}

/// Expires the cohorts past validity, moves due retries back to the queue and
/// returns how many messages are ready. A lane with nothing ready sleeps until
/// its next retry or deadline, so quiet lanes cost one comparison per slot.
pub(super) fn lane_arrivals(lane: &mut Lane, slot: u32) -> f64 {
    if slot < lane.asleep_until {
        return 0.0;
    }
    // Deadlines pass a few times a day; most calls find none (and skip the drains).
    if lane.doomed.first().is_some_and(|d| d.0 <= slot) {
        let gone = lane.doomed.iter().take_while(|d| d.0 <= slot).count();
        for &(_, amount) in &lane.doomed[..gone] {
            lane.hour.expired += amount;
        }
        lane.doomed.drain(..gone);
    }
    if lane.cohorts.first().is_some_and(|c| c.expires <= slot) {
        let gone = lane.cohorts.iter().take_while(|c| c.expires <= slot).count();
        for c in lane.cohorts.drain(..gone) {
            lane.hour.expired += c.queued();
            lane.spare.push(c.pending.into_items());
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
        for c in lane.cohorts.extract_if(.., |c| c.pending.is_empty() && c.ready <= 0.0) {
            lane.spare.push(c.pending.into_items());
        }
    }
    if let Some(d) = lane.doomed.first() {
        next_due = next_due.min(d.0);
    }
    lane.asleep_until = if ready > 0.0 { 0 } else { next_due };
    ready
}

impl Lane {
    pub(super) fn queued(&self) -> f64 {
        self.cohorts.iter().map(Cohort::queued).sum::<f64>() + self.doomed.iter().map(|d| d.1).sum::<f64>()
    }

    /// The first deadline at which some of the lane's mail expires (`u32::MAX`: none).
    pub(super) fn next_expiry(&self) -> u32 {
        // Cohorts are injected in order with one validity: the oldest expires first.
        let cohort = self.cohorts.first().map_or(u32::MAX, |c| c.expires);
        self.doomed.first().map_or(cohort, |d| cohort.min(d.0))
    }

    pub(super) fn is_idle(&self) -> bool {
        self.cohorts.is_empty() && self.doomed.is_empty()
    }
}

/// Gives each awake lane its own pools' capacity, then splits each shared pool
/// over its providers in proportion to what they still have ready, then lets
/// the warm overflow IPs take what is left; `want` is consumed, `got`
/// receives what each may attempt, `got_over` the part sent by warm IPs.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn allocate(
    groups: &mut [CapacityGroup],
    pools: &Pools,
    level: ThroughputLevel,
    awake: &[usize],
    want: &mut [f64],
    got: &mut [f64],
    overflow: &[f64],
    got_over: &mut [f64],
) {
    // Nobody awake wants anything (`want` is zero outside `awake`): no pool serves.
    if awake.is_empty() {
        return;
    }
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
    // Empty when no lane of the part has warm IPs.
    if overflow.is_empty() {
        return;
    }
    for &p in awake {
        let x = want[p].min(overflow[p]);
        if x > 0.0 {
            got[p] += x;
            got_over[p] = x;
            want[p] -= x;
        }
    }
}

/// Which pools each lane owns, and the shared pools, by index into the groups.
pub(super) struct Pools {
    pub(super) own: Vec<Vec<usize>>,
    pub(super) shared: Vec<usize>,
}

impl Pools {
    pub(super) fn new(groups: &[CapacityGroup], lanes: usize) -> Pools {
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

/// What one slot's attempts of a lane gave.
#[derive(Default)]
pub(super) struct Served {
    pub(super) attempted: f64,
    pub(super) soft: f64,
    pub(super) deferred: f64,
    pub(super) delivered: f64,
}

/// Attempts `x` messages of a lane, oldest cohort first, each attempt ending
/// as `out` says (the provider's rates with this slot's feedback mixed in).
pub(super) fn serve(lane: &mut Lane, mut x: f64, slot: u32, delays: &[u32], out: Outcome) -> Served {
    let retry_share = out.soft + out.deferred;
    let mut done = Served::default();
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
        done.attempted += a;
        done.soft += a * out.soft;
        done.deferred += a * out.deferred;
        done.delivered += a * out.delivered;
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
    done
}
