//! Quarantine simulator: a sequence of bounces for one address over days, the
//! day-by-day decisions of the document's quarantine policy, and the Enhanced
//! MTA's delivery status flow of one message. Trainers use it to explain why
//! an address was (or was not) quarantined.

use egui::{RichText, Role, Ui};

use super::PanelCtx;
use super::widgets::{a11y, error_color, named};
use crate::engine::quarantine::{
    AttemptResult, DayEvent, DayReport, Event, MAX_DAYS, QuarantineReport, StatusStep, delivery_flow, simulate_address,
};
use crate::engine::scenario::RetryPolicy;
use crate::engine::{Classifier, RuleSet};
use crate::i18n::{tr, tr_fmt, tr_n};

/// What happened to the address on one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowEvent {
    /// Delivered: resets the counter.
    Delivered,
    /// A bounce of this reason id (its own failure type).
    Reason(String),
    /// A bounce text, classified by the document's rules.
    Text(String),
}

/// One event of the address's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// Day number (the table starts at the first event's day).
    pub day: u32,
    /// What happened.
    pub event: RowEvent,
}

/// Ready-made histories for trainers: catalogue keys of (button label, what it shows).
pub const PRESETS: [(&str, &str); 6] = [
    ("quarantine.preset_full3", "quarantine.preset_full3_tip"),
    ("quarantine.preset_unknown", "quarantine.preset_unknown_tip"),
    ("quarantine.preset_refused", "quarantine.preset_refused_tip"),
    ("quarantine.preset_reset", "quarantine.preset_reset_tip"),
    ("quarantine.preset_gap", "quarantine.preset_gap_tip"),
    ("quarantine.preset_same_day", "quarantine.preset_same_day_tip"),
];

/// The events of a preset (by the catalogue key of its label); empty for an unknown key.
pub fn preset(key: &str) -> Vec<EventRow> {
    let r = |day, id: &str| EventRow { day, event: RowEvent::Reason(id.to_owned()) };
    match key {
        "quarantine.preset_full3" => (1..=3).map(|d| r(d, "mailbox_full")).collect(),
        "quarantine.preset_unknown" => vec![r(1, "user_unknown")],
        "quarantine.preset_refused" => (1..=7).map(|d| r(d, "refused")).collect(),
        "quarantine.preset_reset" => {
            vec![r(1, "mailbox_full"), r(2, "mailbox_full"), EventRow { day: 3, event: RowEvent::Delivered }, r(4, "mailbox_full")]
        }
        "quarantine.preset_gap" => vec![r(1, "inactive_user"), r(2, "inactive_user"), r(14, "inactive_user")],
        "quarantine.preset_same_day" => vec![r(1, "mailbox_full"), r(1, "mailbox_full"), r(2, "mailbox_full")],
        _ => Vec::new(),
    }
}

/// State of the quarantine simulator.
pub struct QuarantineSimPanel {
    /// The address's events.
    pub rows: Vec<EventRow>,
    /// Show days at least up to this one (the table also runs to a pending release).
    pub until_day: u32,
    /// Collapse runs of quiet days into one row.
    pub compact: bool,
    /// Results of the message's attempts, in order (for the status flow).
    pub attempts: Vec<AttemptResult>,
    /// Retries of the Enhanced MTA.
    pub retry: RetryPolicy,
}

impl Default for QuarantineSimPanel {
    fn default() -> Self {
        QuarantineSimPanel {
            rows: preset(PRESETS[0].0),
            until_day: 0,
            compact: true,
            attempts: vec![AttemptResult::SoftBounce],
            retry: RetryPolicy::default(),
        }
    }
}

/// Turns the rows into engine events; bounce texts go through the classifier,
/// empty texts are left out.
pub fn day_events(rows: &[EventRow], classifier: &Classifier) -> Vec<DayEvent> {
    rows.iter()
        .filter_map(|r| {
            let event = match &r.event {
                RowEvent::Delivered => Event::Success,
                RowEvent::Reason(id) => Event::bounce(id),
                RowEvent::Text(t) if t.trim().is_empty() => return None,
                RowEvent::Text(t) => Event::from_verdict(classifier, &classifier.classify(t)),
            };
            Some(DayEvent { day: r.day.min(MAX_DAYS), event })
        })
        .collect()
}

/// The day-by-day report of the panel's history under the document's policy.
pub fn report(rows: &[EventRow], until_day: u32, doc: &RuleSet, classifier: &Classifier) -> QuarantineReport {
    let until = (until_day > 0).then_some(until_day.min(MAX_DAYS));
    simulate_address(doc, &day_events(rows, classifier), until)
}

/// Hours as `15 min`, `1 h 45 min`, `3 d 12 h` (units in the interface language).
pub fn fmt_hours(h: f64) -> String {
    if !h.is_finite() || h < 0.0 {
        return "-".into();
    }
    let mins = (h * 60.0).round() as u64;
    match mins {
        m if m < 60 => tr_fmt("quarantine.fmt_min", &[("m", &m)]),
        m if m < 24 * 60 => {
            if m % 60 == 0 {
                tr_fmt("quarantine.fmt_h", &[("h", &(m / 60))])
            } else {
                tr_fmt("quarantine.fmt_h_min", &[("h", &(m / 60)), ("m", &(m % 60))])
            }
        }
        m => tr_fmt("quarantine.fmt_d_h", &[("d", &(m / (24 * 60))), ("h", &((m % (24 * 60)) / 60))]),
    }
}

impl QuarantineSimPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        // One scroll area, the message flow under the address table: side by side,
        // the long decision texts squeezed both into narrow columns.
        let width = ui.available_width();
        egui::ScrollArea::both().id_salt("quarantine_scroll").show(ui, |ui| {
            // Texts wrap at the visible width; only a table wider than it scrolls sideways.
            ui.set_max_width(width - 12.0);
            ui.heading(tr("quarantine.heading"));
            ui.label(RichText::new(tr("quarantine.intro")).weak());
            ui.horizontal_wrapped(|ui| {
                ui.label(tr("quarantine.presets"));
                for (label, tip) in PRESETS {
                    if ui.button(tr(label)).on_hover_text(tr(tip)).clicked() {
                        self.rows = preset(label);
                    }
                }
            });
            ui.add_space(4.0);
            self.rows_ui(ui, ctx);
            ui.add_space(8.0);
            let rep = report(&self.rows, self.until_day, ctx.rules, &ctx.compiled.classifier);
            self.report_ui(ui, &rep);
            ui.add_space(12.0);
            ui.separator();
            self.flow_ui(ui);
        });
    }

    fn rows_ui(&mut self, ui: &mut Ui, ctx: &PanelCtx) {
        let classifier = &ctx.compiled.classifier;
        let mut delete = None;
        egui::Grid::new("quarantine_rows").num_columns(4).spacing([8.0, 4.0]).striped(true).show(ui, |ui| {
            ui.strong(tr("quarantine.col_day"));
            ui.strong(tr("quarantine.col_what"));
            ui.strong("");
            ui.strong("");
            ui.end_row();
            for (i, row) in self.rows.iter_mut().enumerate() {
                let n = i + 1;
                let dv = egui::DragValue::new(&mut row.day).range(0..=MAX_DAYS).speed(0.1);
                named(ui.add(dv), Role::SpinButton, &tr_fmt("quarantine.event_day_a11y", &[("n", &n)]));
                event_combo(ui, n, &mut row.event, ctx.rules);
                if let RowEvent::Text(t) = &mut row.event {
                    ui.horizontal(|ui| {
                        let te = egui::TextEdit::singleline(t).hint_text("550 5.2.2 User quota exceeded");
                        // Sized, not desired: the grid's column kept its width of the frame
                        // before, 40 px for a new row (review finding).
                        let size = egui::vec2(300.0, ui.spacing().interact_size.y);
                        named(ui.add_sized(size, te), Role::TextInput, &tr_fmt("quarantine.event_text_a11y", &[("n", &n)]));
                        if !t.trim().is_empty() {
                            let v = classifier.classify(t);
                            ui.weak(format!("{} / {}", v.failure_type.display_label(), classifier.reason(&v).display_label()));
                        }
                    });
                } else {
                    ui.label("");
                }
                let a11y_name = tr_fmt("quarantine.delete_event_a11y", &[("n", &n)]);
                if named(ui.small_button(tr("quarantine.delete")), Role::Button, &a11y_name).clicked() {
                    delete = Some(i);
                }
                ui.end_row();
            }
        });
        if let Some(i) = delete {
            self.rows.remove(i);
        }
        ui.horizontal(|ui| {
            if ui.button(tr("quarantine.add_event")).on_hover_text(tr("quarantine.add_event_tip")).clicked() {
                let next = self.rows.last().map_or(EventRow { day: 1, event: RowEvent::Reason("mailbox_full".into()) }, |r| EventRow {
                    day: r.day.saturating_add(1).min(MAX_DAYS),
                    event: r.event.clone(),
                });
                self.rows.push(next);
            }
            if ui.button(tr("quarantine.clear")).clicked() {
                self.rows.clear();
            }
            ui.add_space(12.0);
            ui.label(tr("quarantine.until")).on_hover_text(tr("quarantine.until_tip"));
            let dv = egui::DragValue::new(&mut self.until_day).range(0..=MAX_DAYS).speed(0.2);
            named(ui.add(dv), Role::SpinButton, tr("quarantine.until_a11y")).on_hover_text(tr("quarantine.until_tip"));
            ui.checkbox(&mut self.compact, tr("quarantine.compact"));
        });
    }

    fn report_ui(&self, ui: &mut Ui, rep: &QuarantineReport) {
        if rep.days.is_empty() {
            ui.weak(tr("quarantine.no_events"));
            return;
        }
        let quarantined_days = rep.days.iter().filter(|d| d.quarantined).count();
        match rep.periods.first() {
            Some(p) => {
                let (day, reason, days) = (&p.start_day, &p.reason, quarantined_days);
                ui.strong(match p.release_day {
                    Some(r) => tr_n("quarantine.summary_released", days, &[("day", day), ("reason", reason), ("release", &r)]),
                    // Never released: the count is up to the last day the table shows, which it says.
                    None => {
                        let last = rep.days.last().map_or(p.start_day, |d| d.day);
                        tr_n("quarantine.summary_no_release", days, &[("day", day), ("reason", reason), ("last", &last)])
                    }
                });
            }
            None => {
                ui.strong(tr("quarantine.never_quarantined"));
            }
        }
        let release_of = |day: u32| rep.periods.iter().rev().find(|p| p.start_day <= day).and_then(|p| p.release_day).filter(|&r| r > day);
        egui::Grid::new("quarantine_days").num_columns(6).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            for (t, tip) in [
                ("quarantine.col_day", "quarantine.col_day_tip"),
                ("quarantine.col_events", "quarantine.col_events_tip"),
                ("quarantine.col_errors", "quarantine.col_errors_tip"),
                ("quarantine.col_quarantine", "quarantine.col_quarantine_tip"),
                ("quarantine.col_released", "quarantine.col_released_tip"),
                ("quarantine.col_decision", "quarantine.col_decision_tip"),
            ] {
                ui.strong(tr(t)).on_hover_text(tr(tip));
            }
            ui.end_row();
            let mut i = 0;
            while i < rep.days.len() {
                let d = &rep.days[i];
                let quiet = |x: &DayReport| x.events.is_empty() && x.decisions.is_empty();
                let mut j = i + 1;
                if self.compact && quiet(d) {
                    while j < rep.days.len()
                        && quiet(&rep.days[j])
                        && rep.days[j].quarantined == d.quarantined
                        && rep.days[j].error_count == d.error_count
                    {
                        j += 1;
                    }
                }
                let last = &rep.days[j - 1];
                ui.label(if j - i > 1 {
                    tr_fmt("quarantine.day_range", &[("first", &d.day), ("last", &last.day)])
                } else {
                    d.day.to_string()
                });
                if d.events.is_empty() {
                    nowrap(ui, if d.quarantined { tr("quarantine.nothing_sent") } else { tr("quarantine.no_mail") });
                } else {
                    nowrap(ui, &d.events.join("; "));
                }
                ui.label(d.error_count.to_string());
                if d.quarantined {
                    ui.label(RichText::new(tr("quarantine.in_quarantine")).color(error_color(ui)).strong());
                } else {
                    ui.label(tr("quarantine.no"));
                }
                // From the periods, not the decision texts: those are worded in the interface language.
                let released_today = rep.periods.iter().any(|p| p.release_day == Some(d.day));
                match (released_today, d.quarantined.then(|| release_of(d.day)).flatten()) {
                    (true, _) => ui.label(tr("quarantine.released_today")),
                    (_, Some(r)) => ui.label(tr_fmt("quarantine.on_day", &[("day", &r)])),
                    _ if d.quarantined => ui.label(tr("quarantine.never_by_itself")),
                    _ => ui.label(""),
                };
                // The decisions wrap in what is left of the visible width (at 1024 px
                // the longest ones would otherwise run past the panel's edge).
                let left = (ui.clip_rect().right() - ui.cursor().left() - 8.0).max(180.0);
                ui.vertical(|ui| {
                    ui.set_max_width(left);
                    for x in &d.decisions {
                        ui.add(egui::Label::new(x.as_str()).wrap());
                    }
                });
                ui.end_row();
                i = j;
            }
        });
    }

    fn flow_ui(&mut self, ui: &mut Ui) {
        ui.heading(tr("quarantine.flow_heading"));
        ui.label(RichText::new(tr("quarantine.flow_intro")).weak());
        ui.horizontal_wrapped(|ui| {
            use AttemptResult::*;
            for (label, attempts) in [
                ("quarantine.flow_soft_expires", vec![SoftBounce]),
                ("quarantine.flow_third", vec![SoftBounce, SoftBounce, Delivered]),
                ("quarantine.attempt_hard", vec![HardBounce]),
            ] {
                if ui.button(tr(label)).clicked() {
                    self.attempts = attempts;
                }
            }
        });
        let mut delete = None;
        for (i, a) in self.attempts.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let n = i + 1;
                ui.label(tr_fmt("quarantine.attempt", &[("n", &n)]));
                let resp =
                    egui::ComboBox::from_id_salt(("flow_attempt", i)).selected_text(attempt_label(*a)).width(120.0).show_ui(ui, |ui| {
                        for r in [AttemptResult::Delivered, AttemptResult::SoftBounce, AttemptResult::HardBounce] {
                            ui.selectable_value(a, r, attempt_label(r));
                        }
                    });
                a11y(&resp.response, Role::ComboBox, &tr_fmt("quarantine.attempt_a11y", &[("n", &n)]));
                let a11y_name = tr_fmt("quarantine.delete_attempt_a11y", &[("n", &n)]);
                if named(ui.small_button(tr("quarantine.delete")), Role::Button, &a11y_name).clicked() {
                    delete = Some(i);
                }
            });
        }
        if let Some(i) = delete {
            self.attempts.remove(i);
        }
        ui.horizontal(|ui| {
            if ui.button(tr("quarantine.add_attempt")).clicked() && self.attempts.len() < 100 {
                self.attempts.push(AttemptResult::SoftBounce);
            }
            ui.weak(tr("quarantine.assumed_soft"));
        });
        let r = &mut self.retry;
        ui.horizontal_wrapped(|ui| {
            let (min, h) = (tr("quarantine.min_suffix"), tr("quarantine.h_suffix"));
            ui.label(tr("quarantine.retry_after"));
            let dv = egui::DragValue::new(&mut r.first_retry_minutes).range(1.0..=10_000.0).suffix(min);
            named(ui.add(dv), Role::SpinButton, tr("quarantine.first_retry_a11y"));
            ui.label(tr("quarantine.times"));
            // Not clamped as typed: a factor out of range is said in red, as the ramp-up editor does.
            let dv = egui::DragValue::new(&mut r.backoff).range(0.0..=1000.0).speed(0.05);
            named(ui.add(dv), Role::SpinButton, tr("quarantine.backoff_a11y")).on_hover_text(tr("rampup.retries_tip"));
            ui.label(tr("quarantine.up_to"));
            let dv = egui::DragValue::new(&mut r.max_delay_minutes).range(1.0..=100_000.0).suffix(min);
            named(ui.add(dv), Role::SpinButton, tr("quarantine.max_delay_a11y"));
            ui.label(tr("quarantine.validity"));
            let dv = egui::DragValue::new(&mut r.validity_hours).range(0.1..=720.0).speed(0.5).suffix(h);
            named(ui.add(dv), Role::SpinButton, tr("quarantine.validity_a11y"));
        });
        if !(1.0..=100.0).contains(&self.retry.backoff) {
            ui.colored_label(error_color(ui), tr_fmt("scenario.backoff", &[("got", &self.retry.backoff)]));
            return;
        }
        ui.add_space(6.0);
        let steps = delivery_flow(&self.attempts, &self.retry);
        // The notes stay on one line; at 1024 px the longest needs the table to scroll sideways.
        egui::ScrollArea::horizontal().id_salt("quarantine_flow_scroll").show(ui, |ui| flow_table(ui, &steps));
    }
}

/// A label that keeps to one line: grid cells would otherwise wrap it into a narrow column.
fn nowrap(ui: &mut Ui, text: &str) {
    ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend));
}

fn attempt_label(a: AttemptResult) -> &'static str {
    match a {
        AttemptResult::Delivered => tr("quarantine.delivered"),
        AttemptResult::SoftBounce => tr("quarantine.attempt_soft"),
        AttemptResult::HardBounce => tr("quarantine.attempt_hard"),
    }
}

fn flow_table(ui: &mut Ui, steps: &[StatusStep]) {
    // Thousands of soft bounces with a tiny retry delay: show the start and the end.
    const SHOWN: usize = 60;
    egui::Grid::new("quarantine_flow_steps").num_columns(4).striped(true).spacing([10.0, 4.0]).show(ui, |ui| {
        for t in ["quarantine.col_at", "quarantine.col_attempt", "quarantine.col_status", "quarantine.col_what"] {
            ui.strong(tr(t));
        }
        ui.end_row();
        let skip = steps.len().saturating_sub(SHOWN);
        for (i, s) in steps.iter().enumerate() {
            if skip > 0 && i == SHOWN / 2 {
                ui.label("...");
                ui.label(tr_fmt("quarantine.more", &[("n", &skip)]));
                ui.label("");
                ui.label("");
                ui.end_row();
            }
            if skip > 0 && i >= SHOWN / 2 && i < SHOWN / 2 + skip {
                continue;
            }
            ui.label(fmt_hours(s.at_hours));
            ui.label(s.attempt.map_or_else(String::new, |n| n.to_string()));
            ui.label(RichText::new(s.status.display_label()).strong());
            nowrap(ui, &s.note);
            ui.end_row();
        }
    });
}

fn event_combo(ui: &mut Ui, n: usize, event: &mut RowEvent, doc: &RuleSet) {
    let text = match &*event {
        RowEvent::Delivered => tr("quarantine.delivered").to_owned(),
        RowEvent::Reason(id) => doc.reason(id).map_or_else(
            || tr_fmt("quarantine.unknown_reason", &[("id", id)]),
            |r| tr_fmt("quarantine.bounce_reason", &[("reason", &r.display_label())]),
        ),
        RowEvent::Text(_) => tr("quarantine.bounce_text").to_owned(),
    };
    let resp = egui::ComboBox::from_id_salt(("quarantine_event", n)).selected_text(text).width(200.0).show_ui(ui, |ui| {
        ui.selectable_value(event, RowEvent::Delivered, tr("quarantine.delivered"));
        for r in &doc.reasons {
            let label = tr_fmt("quarantine.bounce_reason_type", &[("reason", &r.label), ("type", &r.failure_type.display_label())]);
            ui.selectable_value(event, RowEvent::Reason(r.id.clone()), label);
        }
        let is_text = matches!(event, RowEvent::Text(_));
        if ui.selectable_label(is_text, tr("quarantine.bounce_text_classified")).clicked() && !is_text {
            *event = RowEvent::Text(String::new());
        }
    });
    a11y(&resp.response, Role::ComboBox, &tr_fmt("quarantine.event_kind_a11y", &[("n", &n)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_exist_and_hours_read_well() {
        for (label, _) in PRESETS {
            assert!(!preset(label).is_empty(), "{label}");
        }
        assert_eq!(fmt_hours(0.0), "0 min");
        assert_eq!(fmt_hours(0.25), "15 min");
        assert_eq!(fmt_hours(1.75), "1 h 45 min");
        assert_eq!(fmt_hours(84.0), "3 d 12 h");
    }
}
