//! The adaptive side of a lane: the feedback replies its attempts get, the
//! reactions they fire, the limit those reactions impose and how it recovers,
//! and the state, limit and binding recorded per slot and per hour.

use std::collections::VecDeque;

use serde::Serialize;

use crate::engine::scenario::{
    Feedback, Outcome, Reaction, ReactionAction, Recovery, ReplyClass, ReplyOutcome, SLOT_MINUTES, SLOTS_PER_HOUR, Trigger,
};

/// What the MTA is doing towards a destination during a slot (worst first when ordered descending).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneState {
    /// Nothing ready to send (queue empty, or only retries waiting).
    #[default]
    Idle,
    /// Sending at the level's limits.
    Sending,
    /// Climbing back to the level after a reaction.
    Recovering,
    /// Held to a lower rate by a reaction.
    Backoff,
    /// Held at zero by a reaction.
    Suspended,
}

impl LaneState {
    /// Stable English name, as in CSV and JSON.
    pub fn label(self) -> &'static str {
        match self {
            LaneState::Idle => "idle",
            LaneState::Sending => "sending",
            LaneState::Recovering => "recovering",
            LaneState::Backoff => "backoff",
            LaneState::Suspended => "suspended",
        }
    }
}

/// Which limit bounded a slot's attempts (tightest last when ordered).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// Nothing to send.
    #[default]
    None,
    /// Everything ready was sent: no limit was reached.
    QueueEmpty,
    /// The MX rule's messages per hour (over 12 slots).
    PerHour,
    /// The MX rule's connections × messages per connection.
    Connections,
    /// A reaction's lower rate (backoff, dropped level or recovery step).
    Backoff,
    /// A reaction's suspension.
    Suspended,
}

impl Binding {
    /// Stable English name, as in CSV and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Binding::None => "none",
            Binding::QueueEmpty => "queue_empty",
            Binding::PerHour => "per_hour",
            Binding::Connections => "connections",
            Binding::Backoff => "backoff",
            Binding::Suspended => "suspended",
        }
    }
}

/// One destination's state from `slot` on, until the next segment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Segment {
    /// First slot (5 minutes each, from the start).
    pub slot: u32,
    /// What the MTA was doing.
    pub state: LaneState,
    /// What bounded the attempts.
    pub binding: Binding,
    /// The effective limit towards the destination, messages per hour (all IPs).
    pub limit_per_hour: f64,
}

/// One destination's state over an hour: the worst state and tightest binding
/// of its slots, the lowest limit, and how many slots were suspended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct HourState {
    /// Worst state of the hour's slots.
    pub state: LaneState,
    /// Tightest binding of the hour's slots.
    pub binding: Binding,
    /// Lowest effective limit of the hour, messages per hour.
    pub limit_per_hour: f64,
    /// Slots of the hour spent suspended.
    pub suspended_slots: u8,
}

/// A reaction's action in force on a lane.
#[derive(Clone, Copy, Debug)]
struct Active {
    /// The action holds before this slot; recovery starts there.
    until: u32,
}

/// One reaction watching one lane.
#[derive(Clone)]
pub(super) struct LaneReaction {
    reaction: usize,
    /// Feedback entries (indices) whose reply it reacts to.
    fed_by: Vec<usize>,
    /// Matching replies per slot inside the threshold window.
    window: VecDeque<(u32, f64)>,
    window_sum: f64,
    active: Option<Active>,
}

impl LaneReaction {
    pub(super) fn new(reaction: usize, fed_by: Vec<usize>) -> LaneReaction {
        LaneReaction { reaction, fed_by, window: VecDeque::new(), window_sum: 0.0, active: None }
    }
}

/// The adaptive state of one lane.
#[derive(Clone, Default)]
pub(super) struct Adapt {
    /// Sending IPs (for per-IP rates).
    pub(super) ips: f64,
    /// Per level: the most the lane may attempt in a slot (own + shared + overflow pools).
    pub(super) full: [f64; 6],
    /// Per level: the MX rule limit that binds when the lane's pools are full.
    pub(super) rule_binding: [Binding; 6],
    /// Feedback entries (indices) its provider answers with.
    pub(super) feedback: Vec<usize>,
    pub(super) reactions: Vec<LaneReaction>,
    /// The provider's bounce rate (soft + hard, %) and complaint rate (%).
    pub(super) bounce_pct: f64,
    pub(super) complaint_pct: f64,
    /// Scratch of [`Adapt::replies`], one entry per scenario feedback: this
    /// slot's replies (sized at setup, so a slot allocates nothing).
    pub(super) reply_by_feedback: Vec<f64>,
    pub(super) hour: HourState,
    pub(super) observed: bool,
    /// The slot after the last one recorded: the slots from there to the next
    /// recorded one were skipped because nothing changed, and repeat the last segment.
    pub(super) next_slot: u32,
    pub(super) segments: Vec<Segment>,
    pub(super) states: Vec<HourState>,
}

/// Slots a duration in minutes lasts, at least one.
fn slots_of(minutes: f64) -> u32 {
    let s = (minutes / SLOT_MINUTES).ceil();
    if s.is_finite() { s.clamp(1.0, f64::from(u32::MAX / 4)) as u32 } else { u32::MAX / 4 }
}

/// What the feedback did to one slot's attempts.
pub(super) struct Replies {
    /// The per-attempt outcome once the replies are mixed in.
    pub(super) outcome: Outcome,
}

impl Adapt {
    /// The lane's limit per slot at `level` (index) under its reactions, and the
    /// state they put it in; expired actions are dropped.
    #[inline]
    pub(super) fn cap(&mut self, reactions: &[Reaction], level: usize, slot: u32) -> (f64, LaneState) {
        let full = self.full[level];
        if self.reactions.is_empty() {
            // Every busy slot of a lane nothing watches asks this.
            return (full.max(0.0), LaneState::Sending);
        }
        let (mut cap, mut state) = (full, LaneState::Sending);
        for lr in &mut self.reactions {
            let Some(a) = lr.active else { continue };
            let r = &reactions[lr.reaction];
            let floor = match r.action {
                ReactionAction::Suspend => 0.0,
                ReactionAction::RateLimit { msgs_per_hour } => (msgs_per_hour / f64::from(SLOTS_PER_HOUR) * self.ips).min(full),
                ReactionAction::DropLevel => self.full[level.saturating_sub(1)].min(full),
            };
            let (c, st) = if slot < a.until {
                (floor, if matches!(r.action, ReactionAction::Suspend) { LaneState::Suspended } else { LaneState::Backoff })
            } else {
                match r.recovery {
                    Recovery::AtOnce => (full, LaneState::Sending),
                    Recovery::Steps { step_pct, every_minutes } => {
                        let steps = f64::from((slot - a.until) / slots_of(every_minutes) + 1);
                        (floor + full * step_pct / 100.0 * steps, LaneState::Recovering)
                    }
                }
            };
            if c >= full {
                // Back at the level: the reaction is over.
                lr.active = None;
                continue;
            }
            cap = cap.min(c);
            state = state.max(st);
        }
        (cap.max(0.0), state)
    }

    /// Whether a reaction is in force (action or recovery).
    pub(super) fn is_active(&self) -> bool {
        self.reactions.iter().any(|r| r.active.is_some())
    }

    /// The next slot at which a reaction changes the lane's limit (`u32::MAX`: none).
    #[inline]
    pub(super) fn next_change(&self, reactions: &[Reaction], slot: u32) -> u32 {
        let mut next = u32::MAX;
        for lr in &self.reactions {
            let Some(a) = lr.active else { continue };
            let at = if slot < a.until {
                a.until
            } else {
                match reactions[lr.reaction].recovery {
                    Recovery::AtOnce => slot + 1,
                    Recovery::Steps { every_minutes, .. } => {
                        let every = slots_of(every_minutes);
                        a.until + ((slot - a.until) / every + 1) * every
                    }
                }
            };
            next = next.min(at);
        }
        next
    }

    /// Splits `new_ip` attempts (of `total`) into feedback replies, fires the
    /// reactions they match, and returns the slot's mixed outcome. Out of line:
    /// the slot loop calls it only for lanes whose provider answers with feedback.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(super) fn replies(
        &mut self,
        feedback: &[Feedback],
        classes: &[ReplyClass],
        reactions: &[Reaction],
        base: Outcome,
        total: f64,
        new_ip: f64,
        ip_day: u32,
        slot: u32,
    ) -> Replies {
        if self.feedback.is_empty() || total <= 0.0 {
            return Replies { outcome: base };
        }
        let mut remaining = new_ip.max(0.0);
        let mut got = [0.0_f64; 4];
        let mut replied = 0.0;
        for &fi in &self.feedback {
            self.reply_by_feedback[fi] = 0.0;
            let f = &feedback[fi];
            if f.while_ip_younger_than_days.is_some_and(|d| ip_day >= d) || remaining <= 0.0 {
                continue;
            }
            let over_hour = f.above_per_hour.map_or(0.0, |above| (remaining - above / f64::from(SLOTS_PER_HOUR) * self.ips).max(0.0));
            let rates = f.bounce_rate_above_pct.is_some_and(|x| self.bounce_pct > x)
                || f.complaint_rate_above_pct.is_some_and(|x| self.complaint_pct > x);
            let concerned = if rates { remaining } else { over_hour };
            let r = concerned * (f.share_pct / 100.0).clamp(0.0, 1.0);
            if r <= 0.0 {
                continue;
            }
            remaining -= r;
            replied += r;
            let k = match classes.get(fi).map_or(ReplyOutcome::Deferred, |c| c.outcome) {
                ReplyOutcome::Delivered => 0,
                ReplyOutcome::Deferred => 1,
                ReplyOutcome::SoftBounce => 2,
                ReplyOutcome::HardBounce => 3,
            };
            got[k] += r;
            self.reply_by_feedback[fi] = r;
        }
        for lr in &mut self.reactions {
            // `fed_by` is in feedback order, so the sum adds in the same order as the
            // replies came; entries without a reply add exactly 0.
            let m: f64 = lr.fed_by.iter().map(|&fi| self.reply_by_feedback[fi]).sum();
            fire(lr, &reactions[lr.reaction], m, slot);
        }
        let rest = ((total - replied) / total).max(0.0);
        let outcome = Outcome {
            delivered: base.delivered * rest + got[0] / total,
            deferred: base.deferred * rest + got[1] / total,
            soft: base.soft * rest + got[2] / total,
            hard: base.hard * rest + got[3] / total,
        };
        Replies { outcome }
    }

    /// Records the lane's state for one slot; the slots of this hour skipped
    /// since the last record count as the last segment (nothing changed in them).
    #[inline]
    pub(super) fn observe(&mut self, slot: u32, state: LaneState, binding: Binding, limit_per_hour: f64) {
        // The busy case: the slot before was recorded this hour with the same state, so the
        // hour already holds it and no segment starts; only a suspension counts.
        if self.observed
            && self.next_slot == slot
            && self.segments.last().is_some_and(|s| s.state == state && s.binding == binding && s.limit_per_hour == limit_per_hour)
        {
            self.next_slot = slot + 1;
            if state == LaneState::Suspended {
                self.hour.suspended_slots = self.hour.suspended_slots.saturating_add(1);
            }
            return;
        }
        self.observe_change(slot, state, binding, limit_per_hour);
    }

    /// [`Adapt::observe`] of a slot that starts a segment or follows skipped slots.
    #[inline(never)]
    fn observe_change(&mut self, slot: u32, state: LaneState, binding: Binding, limit_per_hour: f64) {
        let skipped = slot.saturating_sub(self.next_slot.max(slot - slot % SLOTS_PER_HOUR));
        self.repeat_last(skipped);
        self.next_slot = slot + 1;
        let h = &mut self.hour;
        if !self.observed {
            *h = HourState { state, binding, limit_per_hour, suspended_slots: 0 };
            self.observed = true;
        } else {
            h.state = h.state.max(state);
            h.binding = h.binding.max(binding);
            h.limit_per_hour = h.limit_per_hour.min(limit_per_hour);
        }
        if state == LaneState::Suspended {
            h.suspended_slots = h.suspended_slots.saturating_add(1);
        }
        let changed = self.segments.last().is_none_or(|s| s.state != state || s.binding != binding || s.limit_per_hour != limit_per_hour);
        if changed {
            self.segments.push(Segment { slot, state, binding, limit_per_hour });
        }
    }

    /// Adds `slots` slots in the last segment's state to the hour, as if each had been recorded.
    fn repeat_last(&mut self, slots: u32) {
        let Some(s) = self.segments.last().copied() else { return };
        if slots == 0 {
            return;
        }
        let h = &mut self.hour;
        if !self.observed {
            *h = HourState { state: s.state, binding: s.binding, limit_per_hour: s.limit_per_hour, suspended_slots: 0 };
            self.observed = true;
        } else {
            h.state = h.state.max(s.state);
            h.binding = h.binding.max(s.binding);
            h.limit_per_hour = h.limit_per_hour.min(s.limit_per_hour);
        }
        if s.state == LaneState::Suspended {
            h.suspended_slots = h.suspended_slots.saturating_add(u8::try_from(slots).unwrap_or(u8::MAX));
        }
    }

    /// Closes the hour ending before slot `end`: its slots not recorded (skipped,
    /// or all of them when nothing changed all hour) keep the last segment's state.
    pub(super) fn end_hour(&mut self, end: u32) {
        let skipped = end.saturating_sub(self.next_slot.max(end.saturating_sub(SLOTS_PER_HOUR)));
        self.repeat_last(skipped);
        self.next_slot = self.next_slot.max(end);
        self.states.push(std::mem::take(&mut self.hour));
        self.observed = false;
    }
}

/// Adds `m` matching replies to a reaction's trigger and fires it when reached.
fn fire(lr: &mut LaneReaction, r: &Reaction, m: f64, slot: u32) {
    let fired = match r.trigger {
        Trigger::Immediate => {
            // "The first matching reply": once half a message (the fluid model's
            // smallest whole reply) got it, counted since the last firing.
            lr.window_sum += m;
            lr.window_sum >= 0.5
        }
        Trigger::Threshold { matches, per_minutes } => {
            let w = slots_of(per_minutes);
            while lr.window.front().is_some_and(|&(s, _)| s + w <= slot) {
                if let Some((_, a)) = lr.window.pop_front() {
                    lr.window_sum -= a;
                }
            }
            if m > 0.0 {
                lr.window.push_back((slot, m));
                lr.window_sum += m;
            }
            lr.window_sum >= matches - 1e-9
        }
    };
    if fired {
        lr.window.clear();
        lr.window_sum = 0.0;
        // The attempts of this slot are done: the action holds from the next one.
        lr.active = Some(Active { until: slot + 1 + slots_of(r.duration_minutes) });
    }
}
