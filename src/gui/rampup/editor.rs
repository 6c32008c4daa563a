//! The scenario editor of the ramp-up panel: file, volume, schedule, retries
//! and providers, each field with the validation problems that name it.

use egui::{RichText, Role, Ui};

use super::{RampUpPanel, parse_plan, plan_to_text};
use crate::engine::mx::{Severity, ThroughputLevel};
use crate::engine::scenario::{LevelSchedule, MAX_HORIZON_DAYS, MAX_IPS, Provider, Scenario, ScenarioProblem, Volume};
use crate::gui::mx_rules::level_combo;
use crate::gui::widgets::{error_color, named};
use crate::gui::{Action, PanelCtx};

/// Width of the field names, so the inputs line up.
const LABEL_WIDTH: f32 = 120.0;

/// Shows the problems whose field is one of `fields` (or starts with `prefix.`).
fn problems_ui(ui: &mut Ui, problems: &[ScenarioProblem], matches: impl Fn(&str) -> bool) {
    for p in problems.iter().filter(|p| matches(&p.field)) {
        let color = if p.severity == Severity::Error { error_color(ui) } else { ui.visuals().warn_fg_color };
        let what = if p.severity == Severity::Error { "Error" } else { "Warning" };
        ui.label(RichText::new(format!("{what}: {}", p.message)).color(color));
    }
}

/// A field name of fixed width, then the field.
fn row<R>(ui: &mut Ui, label: &str, tip: &str, add: impl FnOnce(&mut Ui) -> R) -> R {
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(LABEL_WIDTH, ui.spacing().interact_size.y), egui::Sense::hover());
        ui.put(rect, egui::Label::new(label).truncate()).on_hover_text(tip);
        add(ui)
    })
    .inner
}

/// Which kind of schedule, for the radio buttons.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScheduleKind {
    Fixed,
    Plan,
    Auto,
}

impl RampUpPanel {
    /// Draws the editor; edits go straight into `self.scenario`.
    pub(super) fn editor_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, problems: &[ScenarioProblem]) {
        ui.heading("Ramp-up scenario");
        self.file_ui(ui, ctx);
        ui.separator();
        let s = &mut self.scenario;
        row(ui, "Name", "Shown in exports and the status bar", |ui| {
            named(ui.add(egui::TextEdit::singleline(&mut s.name).desired_width(f32::INFINITY)), Role::TextInput, "Scenario name");
        });
        row(ui, "Sending IPs", "New IPs being warmed up; per-IP limits are multiplied by this", |ui| {
            named(ui.add(egui::DragValue::new(&mut s.ips).range(0..=MAX_IPS).speed(0.1)), Role::SpinButton, "Number of sending IPs");
        });
        problems_ui(ui, problems, |f| f == "ips");
        volume_ui(ui, s);
        problems_ui(ui, problems, |f| f.starts_with("volume"));
        row(ui, "Horizon", "Days simulated; mail still queued at the end shows as not delivered within the horizon", |ui| {
            ui.add(egui::Slider::new(&mut s.horizon_days, 1..=MAX_HORIZON_DAYS).logarithmic(true).text("days simulated"));
        });
        problems_ui(ui, problems, |f| f == "horizon_days");
        ui.separator();
        self.schedule_ui(ui, problems);
        ui.separator();
        retry_ui(ui, &mut self.scenario);
        problems_ui(ui, problems, |f| f.starts_with("retry"));
        ui.separator();
        providers_ui(ui, &mut self.scenario, problems);
    }

    fn file_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let before = self.file_note.clone();
        row(ui, "Scenario file", "A RON scenario file (see sample_rules/scenario.ron)", |ui| {
            let te = egui::TextEdit::singleline(&mut self.file).desired_width(200.0).hint_text("sample_rules/scenario.ron");
            named(ui.add(te), Role::TextInput, "Scenario file path");
            let path = std::path::PathBuf::from(self.file.trim());
            if ui.button("Load").on_hover_text("Read the scenario from this file").clicked() {
                match Scenario::load(&path) {
                    Ok(s) => {
                        self.set_scenario(s);
                        self.file_note = Some((false, format!("Loaded {}", path.display())));
                    }
                    Err(e) => self.file_note = Some((true, format!("Could not load: {e}"))),
                }
            }
            if ui.button("Save").on_hover_text("Write the scenario to this file (RON)").clicked() {
                let written = self
                    .scenario
                    .to_ron_string()
                    .map_err(|e| e.to_string())
                    .and_then(|t| crate::engine::fsio::write_atomic(&path, t.as_bytes(), false).map_err(|e| e.to_string()));
                self.file_note = Some(match written {
                    Ok(()) => (false, format!("Saved {}", path.display())),
                    Err(e) => (true, format!("Could not save {}: {e}", path.display())),
                });
            }
            if ui.button("Default").on_hover_text("Start again from the built-in scenario").clicked() {
                self.set_scenario(Scenario::default());
                self.file_note = Some((false, "Built-in scenario".into()));
            }
        });
        if let Some((err, msg)) = &self.file_note {
            let color = if *err { error_color(ui) } else { ui.visuals().weak_text_color() };
            ui.label(RichText::new(msg).color(color));
        }
        if self.file_note != before
            && let Some((_, msg)) = &self.file_note
        {
            ctx.act(Action::Status(msg.clone()));
        }
    }

    fn schedule_ui(&mut self, ui: &mut Ui, problems: &[ScenarioProblem]) {
        let s = &mut self.scenario;
        let mut kind = match s.schedule {
            LevelSchedule::Fixed(_) => ScheduleKind::Fixed,
            LevelSchedule::Plan(_) => ScheduleKind::Plan,
            LevelSchedule::AutoPromote { .. } => ScheduleKind::Auto,
        };
        let old = kind;
        row(ui, "Level schedule", "Which throughput level applies on which day", |ui| {
            for (k, label, tip) in [
                (ScheduleKind::Fixed, "Fixed level", "One level all along (all six are simulated anyway, for comparison)"),
                (ScheduleKind::Plan, "Plan", "One level per day, typed as a list"),
                (ScheduleKind::Auto, "Auto-promote", "Go one level up after N clean days"),
            ] {
                ui.radio_value(&mut kind, k, label).on_hover_text(tip);
            }
        });
        if kind != old {
            let start = s.planned_level(0);
            s.schedule = match kind {
                ScheduleKind::Fixed => LevelSchedule::Fixed(start),
                ScheduleKind::Plan => {
                    use ThroughputLevel::*;
                    let plan = vec![Slow, Slow, Normal, Normal, Fast, Fast, VeryFast];
                    self.plan_text = plan_to_text(&plan);
                    self.plan_error = None;
                    LevelSchedule::Plan(plan)
                }
                ScheduleKind::Auto => LevelSchedule::AutoPromote { start: ThroughputLevel::Slow, clean_days: 2, max_soft_bounce_pct: 2.0 },
            };
        }
        match &mut s.schedule {
            LevelSchedule::Fixed(l) => {
                row(ui, "Level", "The level in use; its line is drawn thicker", |ui| {
                    level_combo(ui, "rampup_fixed_level", l, "Fixed level");
                    ui.weak("all six levels are simulated for comparison");
                });
            }
            LevelSchedule::Plan(plan) => {
                row(ui, "Levels per day", "Comma-separated, one level per day; the last one stays after the plan ends", |ui| {
                    let te =
                        egui::TextEdit::singleline(&mut self.plan_text).desired_width(f32::INFINITY).hint_text("Slow, Slow, Normal, Fast");
                    if named(ui.add(te), Role::TextInput, "Plan levels per day").changed() {
                        match parse_plan(&self.plan_text) {
                            Ok(p) => {
                                *plan = p;
                                self.plan_error = None;
                            }
                            Err(e) => self.plan_error = Some(e),
                        }
                    }
                });
                if let Some(e) = &self.plan_error {
                    ui.label(RichText::new(format!("Error: {e} (the last valid plan is simulated)")).color(error_color(ui)));
                }
                ui.weak(format!("{} days planned; the last level stays after the plan ends", plan.len()));
            }
            LevelSchedule::AutoPromote { start, clean_days, max_soft_bounce_pct } => {
                row(ui, "Start level", "Level on day 1", |ui| {
                    level_combo(ui, "rampup_auto_start", start, "Auto-promote start level");
                });
                row(ui, "Clean days", "Clean days in a row before going one level up (never past Boost)", |ui| {
                    named(
                        ui.add(egui::DragValue::new(clean_days).range(0..=365).speed(0.1)),
                        Role::SpinButton,
                        "Clean days before promotion",
                    );
                });
                row(ui, "Clean below", "A day is clean when its soft bounces are at most this share of its attempts", |ui| {
                    let dv = egui::DragValue::new(max_soft_bounce_pct).range(0.0..=100.0).speed(0.1).suffix(" % soft");
                    named(ui.add(dv), Role::SpinButton, "Clean day soft bounce limit");
                });
            }
        }
        problems_ui(ui, problems, |f| f.starts_with("schedule"));
    }
}

fn volume_ui(ui: &mut Ui, s: &mut Scenario) {
    let per_day = matches!(s.volume, Volume::PerDay { .. });
    let mut want_per_day = per_day;
    row(ui, "Volume", "One campaign sent at hour 0, or the same volume at the start of each day", |ui| {
        ui.radio_value(&mut want_per_day, false, "One campaign");
        ui.radio_value(&mut want_per_day, true, "Every day");
    });
    if want_per_day != per_day {
        s.volume = match s.volume {
            Volume::Campaign { messages } => Volume::PerDay { messages, days: s.horizon_days.max(1) },
            Volume::PerDay { messages, .. } => Volume::Campaign { messages },
        };
    }
    match &mut s.volume {
        Volume::Campaign { messages } => {
            row(ui, "Messages", "Messages handed to the MTA at hour 0", |ui| {
                let dv = egui::DragValue::new(messages).range(0.0..=1e12).speed(1000.0).max_decimals(0);
                named(ui.add(dv), Role::SpinButton, "Campaign messages");
                ui.weak("in the campaign");
            });
        }
        Volume::PerDay { messages, days } => {
            row(ui, "Messages", "Messages handed to the MTA at the start of each sending day", |ui| {
                let dv = egui::DragValue::new(messages).range(0.0..=1e12).speed(1000.0).max_decimals(0);
                named(ui.add(dv), Role::SpinButton, "Messages per day");
                ui.weak("per day, on");
                named(ui.add(egui::DragValue::new(days).range(0..=MAX_HORIZON_DAYS).speed(0.1)), Role::SpinButton, "Sending days");
                ui.weak("days");
            });
        }
    }
}

fn retry_ui(ui: &mut Ui, s: &mut Scenario) {
    let r = &mut s.retry;
    row(ui, "Retries", "Soft bounces and deferrals are retried: the n-th retry waits first x backoff^(n-1), capped", |ui| {
        ui.weak("first after");
        let dv = egui::DragValue::new(&mut r.first_retry_minutes).range(0.0..=10_000.0).speed(1.0).suffix(" min");
        named(ui.add(dv), Role::SpinButton, "First retry delay");
        ui.weak("x");
        let dv = egui::DragValue::new(&mut r.backoff).range(1.0..=100.0).speed(0.05).max_decimals(2);
        named(ui.add(dv), Role::SpinButton, "Backoff factor");
        ui.weak("each time");
    });
    row(ui, "", "", |ui| {
        ui.weak("at most");
        let dv = egui::DragValue::new(&mut r.max_delay_minutes).range(0.0..=100_000.0).speed(1.0).suffix(" min");
        named(ui.add(dv), Role::SpinButton, "Longest retry delay");
        ui.weak("apart; fail after");
        let dv = egui::DragValue::new(&mut r.validity_hours).range(0.0..=720.0).speed(0.5).suffix(" h");
        named(ui.add(dv), Role::SpinButton, "Validity period");
        ui.weak("(Enhanced MTA: 84 h = 3.5 days)");
    });
}

fn providers_ui(ui: &mut Ui, s: &mut Scenario, problems: &[ScenarioProblem]) {
    let sum: f64 = s.providers.iter().map(|p| if p.share_pct.is_finite() { p.share_pct } else { 0.0 }).sum();
    ui.horizontal(|ui| {
        ui.strong("Providers");
        ui.weak(format!("{} providers, shares sum to {sum:.1} %", s.providers.len()));
        if ui.button("Add provider").on_hover_text("A new provider with a 0 % share").clicked() {
            let n = s.providers.len() + 1;
            s.providers.push(Provider::new(&format!("Provider {n}"), 0.0, "mx.example.org", 1.0, 1.0, 1.0));
        }
    });
    ui.weak("Rates are % of attempts; the MX host picks the MX rule by its mask.");
    let mut delete = None;
    egui::Grid::new("rampup_providers").num_columns(8).spacing([4.0, 4.0]).striped(true).show(ui, |ui| {
        for (title, tip) in [
            ("Name", "Name shown in tables and series"),
            ("Share", "Share of the recipients, %"),
            ("MX host", "One MX host of the provider: it picks the MX rule by mask"),
            ("Deliv.", "Attempts delivered, %"),
            ("Soft", "Attempts soft-bounced (retried), %"),
            ("Hard", "Attempts hard-bounced (failed at once), %"),
            ("Defer", "Attempts deferred with a 4xx (retried), %"),
            ("", ""),
        ] {
            ui.strong(title).on_hover_text(tip);
        }
        ui.end_row();
        for (i, p) in s.providers.iter_mut().enumerate() {
            let bad = |f: &str| {
                let field = format!("providers[{i}].{f}");
                problems.iter().find(|q| q.field == field).map(|q| q.severity)
            };
            let n = i + 1;
            let h = ui.spacing().interact_size.y;
            let te = egui::TextEdit::singleline(&mut p.name);
            named(ui.add_sized([80.0, h], te), Role::TextInput, &format!("Provider {n} name"));
            pct(ui, &mut p.share_pct, bad("share_pct"), &format!("Provider {n} share"));
            let mut te = egui::TextEdit::singleline(&mut p.mx_host);
            if let Some(sev) = bad("mx_host") {
                te = te.text_color(if sev == Severity::Error { error_color(ui) } else { ui.visuals().warn_fg_color });
            }
            let host = ui.add_sized([120.0, h], te).on_hover_text(p.mx_host.as_str());
            named(host, Role::TextInput, &format!("Provider {n} MX host"));
            pct(ui, &mut p.delivered_pct, bad("delivered_pct"), &format!("Provider {n} delivered rate"));
            pct(ui, &mut p.soft_bounce_pct, bad("soft_bounce_pct"), &format!("Provider {n} soft bounce rate"));
            pct(ui, &mut p.hard_bounce_pct, bad("hard_bounce_pct"), &format!("Provider {n} hard bounce rate"));
            pct(ui, &mut p.deferral_pct, bad("deferral_pct"), &format!("Provider {n} deferral rate"));
            let del = ui.small_button("x").on_hover_text("Delete this provider");
            if named(del, Role::Button, &format!("Delete provider {n}")).clicked() {
                delete = Some(i);
            }
            ui.end_row();
        }
    });
    if let Some(i) = delete {
        s.providers.remove(i);
    }
    problems_ui(ui, problems, |f| f.starts_with("providers"));
}

/// A percentage field, coloured when a problem names it.
fn pct(ui: &mut Ui, v: &mut f64, problem: Option<Severity>, name: &str) {
    let dv = egui::DragValue::new(v).speed(0.1).max_decimals(2).range(-1000.0..=1000.0);
    let resp = ui.scope(|ui| {
        if let Some(sev) = problem {
            let c = if sev == Severity::Error { error_color(ui) } else { ui.visuals().warn_fg_color };
            ui.visuals_mut().override_text_color = Some(c);
        }
        ui.add_sized([44.0, ui.spacing().interact_size.y], dv)
    });
    named(resp.inner, Role::SpinButton, name);
}
