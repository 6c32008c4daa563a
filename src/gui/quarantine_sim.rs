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

/// Ready-made histories for trainers: (button label, what it shows).
pub const PRESETS: [(&str, &str); 6] = [
    ("Mailbox full 3 days in a row", "Soft: quarantined on the 3rd day, released 30 days later"),
    ("User unknown once", "Hard: quarantined on the 1st error"),
    ("Refused every day", "Refused is about the sender: never counted"),
    ("Mailbox full, delivered, mailbox full", "A delivery in between resets the counter"),
    ("Inactive user with a quiet gap", "10 quiet days reset the counter"),
    ("Mailbox full twice the same day", "Soft errors count at most once a day"),
];

/// The events of a preset (by its label); empty for an unknown label.
pub fn preset(label: &str) -> Vec<EventRow> {
    let r = |day, id: &str| EventRow { day, event: RowEvent::Reason(id.to_owned()) };
    match label {
        "Mailbox full 3 days in a row" => (1..=3).map(|d| r(d, "mailbox_full")).collect(),
        "User unknown once" => vec![r(1, "user_unknown")],
        "Refused every day" => (1..=7).map(|d| r(d, "refused")).collect(),
        "Mailbox full, delivered, mailbox full" => {
            vec![r(1, "mailbox_full"), r(2, "mailbox_full"), EventRow { day: 3, event: RowEvent::Delivered }, r(4, "mailbox_full")]
        }
        "Inactive user with a quiet gap" => vec![r(1, "inactive_user"), r(2, "inactive_user"), r(14, "inactive_user")],
        "Mailbox full twice the same day" => vec![r(1, "mailbox_full"), r(1, "mailbox_full"), r(2, "mailbox_full")],
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

/// Hours as `15 min`, `1 h 45 min`, `3 d 12 h`.
pub fn fmt_hours(h: f64) -> String {
    if !h.is_finite() || h < 0.0 {
        return "-".into();
    }
    let mins = (h * 60.0).round() as u64;
    match mins {
        0 => "0 min".into(),
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => {
            if m % 60 == 0 {
                format!("{} h", m / 60)
            } else {
                format!("{} h {} min", m / 60, m % 60)
            }
        }
        m => format!("{} d {} h", m / (24 * 60), (m % (24 * 60)) / 60),
    }
}

impl QuarantineSimPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        // One scroll area, the message flow under the address table: side by side,
        // the long decision texts squeezed both into narrow columns.
        egui::ScrollArea::both().id_salt("quarantine_scroll").show(ui, |ui| {
            ui.heading("Quarantine of one address");
            ui.label(
                RichText::new(
                    "Pick what happened to one address day by day. The table applies the rule set's quarantine policy \
                     (Reasons panel): hard errors at once, soft errors at their reason's threshold, counted at most once a day.",
                )
                .weak(),
            );
            ui.horizontal_wrapped(|ui| {
                ui.label("Presets:");
                for (label, tip) in PRESETS {
                    if ui.button(label).on_hover_text(tip).clicked() {
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
            ui.strong("Day");
            ui.strong("What happened");
            ui.strong("");
            ui.strong("");
            ui.end_row();
            for (i, row) in self.rows.iter_mut().enumerate() {
                let n = i + 1;
                let dv = egui::DragValue::new(&mut row.day).range(0..=MAX_DAYS).speed(0.1);
                named(ui.add(dv), Role::SpinButton, &format!("Event {n} day"));
                event_combo(ui, n, &mut row.event, ctx.rules);
                if let RowEvent::Text(t) = &mut row.event {
                    ui.horizontal(|ui| {
                        let te = egui::TextEdit::singleline(t).desired_width(300.0).hint_text("550 5.2.2 User quota exceeded");
                        named(ui.add(te), Role::TextInput, &format!("Event {n} bounce text"));
                        if !t.trim().is_empty() {
                            let v = classifier.classify(t);
                            ui.weak(format!("{} / {}", v.failure_type.label(), classifier.reason(&v).label));
                        }
                    });
                } else {
                    ui.label("");
                }
                if named(ui.small_button("Delete"), Role::Button, &format!("Delete event {n}")).clicked() {
                    delete = Some(i);
                }
                ui.end_row();
            }
        });
        if let Some(i) = delete {
            self.rows.remove(i);
        }
        ui.horizontal(|ui| {
            if ui.button("Add event").on_hover_text("The same event on the next day").clicked() {
                let next = self.rows.last().map_or(EventRow { day: 1, event: RowEvent::Reason("mailbox_full".into()) }, |r| EventRow {
                    day: r.day.saturating_add(1).min(MAX_DAYS),
                    event: r.event.clone(),
                });
                self.rows.push(next);
            }
            if ui.button("Clear").clicked() {
                self.rows.clear();
            }
            ui.add_space(12.0);
            ui.label("Show days up to");
            named(ui.add(egui::DragValue::new(&mut self.until_day).range(0..=MAX_DAYS).speed(0.2)), Role::SpinButton, "Last day shown");
            ui.checkbox(&mut self.compact, "Group quiet days");
        });
    }

    fn report_ui(&self, ui: &mut Ui, rep: &QuarantineReport) {
        if rep.days.is_empty() {
            ui.weak("No events: add one or pick a preset.");
            return;
        }
        let quarantined_days = rep.days.iter().filter(|d| d.quarantined).count();
        let summary = match rep.periods.first() {
            Some(p) => format!(
                "Quarantined on day {} ({}){}; {quarantined_days} day(s) in quarantine in all.",
                p.start_day,
                p.reason,
                p.release_day.map_or_else(|| ", no automatic release".to_owned(), |r| format!(", released on day {r}"))
            ),
            None => "Never quarantined.".to_owned(),
        };
        ui.strong(summary);
        let release_of = |day: u32| rep.periods.iter().rev().find(|p| p.start_day <= day).and_then(|p| p.release_day).filter(|&r| r > day);
        egui::Grid::new("quarantine_days").num_columns(6).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            for (t, tip) in [
                ("Day", "Day number"),
                ("Events", "What the address got that day"),
                ("Errors", "Error counter at the end of the day"),
                ("Quarantine", "In quarantine at the end of the day"),
                ("Released", "When the quarantine ends by itself"),
                ("Decision", "Which rule decided what"),
            ] {
                ui.strong(t).on_hover_text(tip);
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
                ui.label(if j - i > 1 { format!("{} to {}", d.day, last.day) } else { d.day.to_string() });
                let events = if d.events.is_empty() {
                    if d.quarantined { "nothing sent".to_owned() } else { "no mail".to_owned() }
                } else {
                    d.events.join("; ")
                };
                nowrap(ui, &events);
                ui.label(d.error_count.to_string());
                if d.quarantined {
                    ui.label(RichText::new("In quarantine").color(error_color(ui)).strong());
                } else {
                    ui.label("no");
                }
                let released_today = d.decisions.iter().any(|x| x.starts_with("released"));
                ui.label(match (released_today, d.quarantined.then(|| release_of(d.day)).flatten()) {
                    (true, _) => "released today".to_owned(),
                    (_, Some(r)) => format!("on day {r}"),
                    _ if d.quarantined => "never by itself".to_owned(),
                    _ => String::new(),
                });
                ui.vertical(|ui| {
                    for x in &d.decisions {
                        nowrap(ui, x);
                    }
                });
                ui.end_row();
                i = j;
            }
        });
    }

    fn flow_ui(&mut self, ui: &mut Ui) {
        ui.heading("Delivery status of one message");
        ui.label(
            RichText::new(
                "Enhanced MTA: Taken into account by the service provider, then Sent, or Failed on a hard bounce or \
                 when retries run out at the end of the validity period.",
            )
            .weak(),
        );
        ui.horizontal_wrapped(|ui| {
            use AttemptResult::*;
            for (label, attempts) in [
                ("Soft bounces until it expires", vec![SoftBounce]),
                ("Delivered on the 3rd attempt", vec![SoftBounce, SoftBounce, Delivered]),
                ("Hard bounce", vec![HardBounce]),
            ] {
                if ui.button(label).clicked() {
                    self.attempts = attempts;
                }
            }
        });
        let mut delete = None;
        for (i, a) in self.attempts.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let n = i + 1;
                ui.label(format!("Attempt {n}"));
                let resp =
                    egui::ComboBox::from_id_salt(("flow_attempt", i)).selected_text(attempt_label(*a)).width(120.0).show_ui(ui, |ui| {
                        for r in [AttemptResult::Delivered, AttemptResult::SoftBounce, AttemptResult::HardBounce] {
                            ui.selectable_value(a, r, attempt_label(r));
                        }
                    });
                a11y(&resp.response, Role::ComboBox, &format!("Attempt {n} result"));
                if named(ui.small_button("Delete"), Role::Button, &format!("Delete attempt {n}")).clicked() {
                    delete = Some(i);
                }
            });
        }
        if let Some(i) = delete {
            self.attempts.remove(i);
        }
        ui.horizontal(|ui| {
            if ui.button("Add attempt").clicked() && self.attempts.len() < 100 {
                self.attempts.push(AttemptResult::SoftBounce);
            }
            ui.weak("after the last one, attempts are assumed to soft-bounce");
        });
        let r = &mut self.retry;
        ui.horizontal_wrapped(|ui| {
            ui.label("Retry after");
            let dv = egui::DragValue::new(&mut r.first_retry_minutes).range(1.0..=10_000.0).suffix(" min");
            named(ui.add(dv), Role::SpinButton, "Flow first retry delay");
            ui.label("x");
            named(ui.add(egui::DragValue::new(&mut r.backoff).range(1.0..=100.0).speed(0.05)), Role::SpinButton, "Flow backoff factor");
            ui.label("up to");
            let dv = egui::DragValue::new(&mut r.max_delay_minutes).range(1.0..=100_000.0).suffix(" min");
            named(ui.add(dv), Role::SpinButton, "Flow longest retry delay");
            ui.label("validity");
            let dv = egui::DragValue::new(&mut r.validity_hours).range(0.1..=720.0).speed(0.5).suffix(" h");
            named(ui.add(dv), Role::SpinButton, "Flow validity period");
        });
        ui.add_space(6.0);
        let steps = delivery_flow(&self.attempts, &self.retry);
        flow_table(ui, &steps);
    }
}

/// A label that keeps to one line: grid cells would otherwise wrap it into a narrow column.
fn nowrap(ui: &mut Ui, text: &str) {
    ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend));
}

fn attempt_label(a: AttemptResult) -> &'static str {
    match a {
        AttemptResult::Delivered => "Delivered",
        AttemptResult::SoftBounce => "Soft bounce",
        AttemptResult::HardBounce => "Hard bounce",
    }
}

fn flow_table(ui: &mut Ui, steps: &[StatusStep]) {
    // Thousands of soft bounces with a tiny retry delay: show the start and the end.
    const SHOWN: usize = 60;
    egui::Grid::new("quarantine_flow_steps").num_columns(4).striped(true).spacing([10.0, 4.0]).show(ui, |ui| {
        for t in ["At", "Attempt", "Status", "What happened"] {
            ui.strong(t);
        }
        ui.end_row();
        let skip = steps.len().saturating_sub(SHOWN);
        for (i, s) in steps.iter().enumerate() {
            if skip > 0 && i == SHOWN / 2 {
                ui.label("...");
                ui.label(format!("{skip} more"));
                ui.label("");
                ui.label("");
                ui.end_row();
            }
            if skip > 0 && i >= SHOWN / 2 && i < SHOWN / 2 + skip {
                continue;
            }
            ui.label(fmt_hours(s.at_hours));
            ui.label(s.attempt.map_or_else(String::new, |n| n.to_string()));
            ui.label(RichText::new(s.status.label()).strong());
            nowrap(ui, &s.note);
            ui.end_row();
        }
    });
}

fn event_combo(ui: &mut Ui, n: usize, event: &mut RowEvent, doc: &RuleSet) {
    let text = match event {
        RowEvent::Delivered => "Delivered".to_owned(),
        RowEvent::Reason(id) => doc.reason(id).map_or_else(|| format!("{id} (unknown reason)"), |r| format!("Bounce: {}", r.label)),
        RowEvent::Text(_) => "Bounce text".to_owned(),
    };
    let resp = egui::ComboBox::from_id_salt(("quarantine_event", n)).selected_text(text).width(200.0).show_ui(ui, |ui| {
        ui.selectable_value(event, RowEvent::Delivered, "Delivered");
        for r in &doc.reasons {
            let label = format!("Bounce: {} ({})", r.label, r.failure_type.label());
            ui.selectable_value(event, RowEvent::Reason(r.id.clone()), label);
        }
        let is_text = matches!(event, RowEvent::Text(_));
        if ui.selectable_label(is_text, "Bounce text (classified)").clicked() && !is_text {
            *event = RowEvent::Text(String::new());
        }
    });
    a11y(&resp.response, Role::ComboBox, &format!("Event {n} kind"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_exist_and_hours_read_well() {
        for (label, _) in PRESETS {
            assert!(!preset(label).is_empty(), "{label}");
        }
        assert_eq!(fmt_hours(0.25), "15 min");
        assert_eq!(fmt_hours(1.75), "1 h 45 min");
        assert_eq!(fmt_hours(84.0), "3 d 12 h");
    }
}
