//! The ceiling table of the ramp-up panel: per MX rule the scenario uses and
//! per level, the daily volume the rule allows (all IPs) and the limit that
//! caps it; and the texts that name states and bindings on the plots.

use egui::{RichText, Ui};

use super::view::fmt_count;
use crate::engine::mx::ThroughputLevel;
use crate::engine::scenario::SLOTS_PER_DAY;
use crate::engine::simulate::{Binding, CapacityGroup, LaneState, Run, Simulation};
use crate::i18n::{tr, tr_fmt};

/// What a binding limit is called on screen.
pub fn binding_text(b: Binding) -> &'static str {
    tr(match b {
        Binding::None => "rampup_react.b_none",
        Binding::QueueEmpty => "rampup_react.b_queue_empty",
        Binding::PerHour => "rampup_react.b_per_hour",
        Binding::Connections => "rampup_react.b_connections",
        Binding::Backoff => "rampup_react.b_backoff",
        Binding::Suspended => "rampup_react.b_suspended",
    })
}

/// What a state is called on screen.
pub fn state_text(s: LaneState) -> &'static str {
    tr(match s {
        LaneState::Idle => "rampup_react.s_idle",
        LaneState::Sending => "rampup_react.s_sending",
        LaneState::Recovering => "rampup_react.s_recovering",
        LaneState::Backoff => "rampup_react.s_backoff",
        LaneState::Suspended => "rampup_react.s_suspended",
    })
}

/// What bound hour `h` of `run`, provider by provider, grouped by binding
/// (tightest first): `suspended: Yahoo · messages per hour: Gmail, Orange`.
pub fn bound_text(run: &Run, h: usize) -> String {
    let mut by: Vec<(Binding, LaneState, Vec<&str>)> = Vec::new();
    for p in &run.providers {
        let Some(st) = p.states.get(h) else { continue };
        if st.binding == Binding::None {
            continue;
        }
        match by.iter_mut().find(|(b, s, _)| *b == st.binding && *s == st.state) {
            Some(e) => e.2.push(&p.name),
            None => by.push((st.binding, st.state, vec![&p.name])),
        }
    }
    if by.is_empty() {
        return tr("rampup_react.bound_nothing").to_owned();
    }
    by.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let parts: Vec<String> = by
        .iter()
        .map(|(b, s, names)| {
            let shown: Vec<&str> = names.iter().take(4).copied().collect();
            let more = if names.len() > 4 { tr_fmt("rampup_react.and_more", &[("n", &(names.len() - 4))]) } else { String::new() };
            let what = if matches!(s, LaneState::Recovering) && *b != Binding::Suspended { state_text(*s) } else { binding_text(*b) };
            format!("{what}: {}{more}", shown.join(", "))
        })
        .collect();
    // One binding a line: a long list stays readable in the tooltip.
    tr_fmt("rampup_react.bound_by", &[("list", &parts.join("\n"))])
}

/// A capacity pool as the tables name it: its MX rule's mask (or the built-in
/// limits), marked when shared.
pub(super) fn pool_name(g: &CapacityGroup) -> String {
    let shared = if g.shared { tr("rampup.shared_suffix") } else { "" };
    format!("{}{shared}", g.mask.as_deref().unwrap_or(tr("rampup.builtin_limits")))
}

/// The table: one row per capacity pool (MX rule, or shared rule), one column per level.
pub fn ceiling_table(ui: &mut Ui, sim: &Simulation) {
    let Some(run) = sim.runs.first() else { return };
    ui.strong(tr("rampup_react.ceilings_heading")).on_hover_text(tr("rampup_react.ceilings_tip"));
    egui::Grid::new("rampup_ceilings").num_columns(7).striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
        ui.strong(tr("rampup.col_mx_rule")).on_hover_text(tr("rampup_react.col_providers"));
        for l in ThroughputLevel::ALL {
            ui.strong(l.display_label());
        }
        ui.end_row();
        for g in &run.groups {
            let names: Vec<&str> = g.providers.iter().filter_map(|&p| run.providers.get(p)).map(|p| p.name.as_str()).collect();
            let first: Vec<&str> = names.iter().take(3).copied().collect();
            let more = if names.len() > 3 { tr_fmt("rampup_react.and_more", &[("n", &(names.len() - 3))]) } else { String::new() };
            // The mask over the providers it serves: one narrow column instead of two.
            ui.vertical(|ui| {
                ui.add(egui::Label::new(RichText::new(pool_name(g)).monospace()).extend());
                ui.add(egui::Label::new(RichText::new(format!("{}{more}", first.join(", "))).small().weak()).extend());
            });
            for l in ThroughputLevel::ALL {
                let per_day = g.slot_capacity[l.index()] * f64::from(SLOTS_PER_DAY);
                let cell = tr_fmt("rampup_react.per_day", &[("n", &fmt_count(per_day))]);
                let b = g.binding[l.index()];
                let short =
                    tr(if b == Binding::Connections { "rampup_react.b_connections_short" } else { "rampup_react.b_per_hour_short" });
                // The small line names the limit that caps the day (a tooltip says it in full).
                ui.vertical(|ui| {
                    ui.add(egui::Label::new(cell).extend()).on_hover_text(binding_text(b));
                    ui.add(egui::Label::new(RichText::new(short).small().weak()).extend()).on_hover_text(binding_text(b));
                });
            }
            ui.end_row();
        }
    });
}
