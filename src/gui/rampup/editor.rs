//! The scenario editor of the ramp-up panel: file, volume, schedule, retries
//! and providers, each field with the validation problems that name it.

use egui::{RichText, Role, Ui};

use super::{RampUpPanel, parse_plan, plan_to_text};
use crate::engine::mx::{Severity, ThroughputLevel};
use crate::engine::scenario::{LevelSchedule, MAX_HORIZON_DAYS, MAX_IPS, Provider, Scenario, ScenarioProblem, Volume};
use crate::gui::mx_rules::level_combo;
use crate::gui::widgets::{error_color, named};
use crate::gui::{Action, PanelCtx};
use crate::i18n::{tr, tr_fmt, tr_n};

/// Width of the field names, so the inputs line up.
const LABEL_WIDTH: f32 = 120.0;

/// Shows the problems whose field is one of `fields` (or starts with `prefix.`).
pub(super) fn problems_ui(ui: &mut Ui, problems: &[ScenarioProblem], matches: impl Fn(&str) -> bool) {
    for p in problems.iter().filter(|p| matches(&p.field)) {
        let color = if p.severity == Severity::Error { error_color(ui) } else { ui.visuals().warn_fg_color };
        let key = if p.severity == Severity::Error { "rampup.problem_error" } else { "rampup.problem_warning" };
        ui.label(RichText::new(tr_fmt(key, &[("message", &p.message)])).color(color));
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
        ui.heading(tr("rampup.editor_heading"));
        self.file_ui(ui, ctx);
        ui.separator();
        let s = &mut self.scenario;
        row(ui, tr("rampup.name"), tr("rampup.name_tip"), |ui| {
            named(ui.add(egui::TextEdit::singleline(&mut s.name).desired_width(f32::INFINITY)), Role::TextInput, tr("rampup.name_a11y"));
        });
        row(ui, tr("rampup.ips"), tr("rampup.ips_tip"), |ui| {
            named(ui.add(egui::DragValue::new(&mut s.ips).range(0..=MAX_IPS).speed(0.1)), Role::SpinButton, tr("rampup.ips_a11y"));
        });
        problems_ui(ui, problems, |f| f == "ips");
        volume_ui(ui, s);
        problems_ui(ui, problems, |f| f.starts_with("volume"));
        row(ui, tr("rampup.horizon"), tr("rampup.horizon_tip"), |ui| {
            ui.add(egui::Slider::new(&mut s.horizon_days, 1..=MAX_HORIZON_DAYS).logarithmic(true).text(tr("rampup.horizon_unit")));
        });
        problems_ui(ui, problems, |f| f == "horizon_days");
        ui.separator();
        self.schedule_ui(ui, problems);
        ui.separator();
        retry_ui(ui, &mut self.scenario);
        problems_ui(ui, problems, |f| f.starts_with("retry"));
        ui.separator();
        providers_ui(ui, &mut self.scenario, problems);
        ui.separator();
        super::reactions::reactions_ui(ui, &self.scenario, problems);
    }

    fn file_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let before = self.file_note.clone();
        row(ui, tr("rampup.file"), tr("rampup.file_tip"), |ui| {
            let te = egui::TextEdit::singleline(&mut self.file).desired_width(200.0).hint_text("sample_rules/scenario.ron");
            named(ui.add(te), Role::TextInput, tr("rampup.file_a11y"));
            let path = std::path::PathBuf::from(self.file.trim());
            if ui.button(tr("rampup.load")).on_hover_text(tr("rampup.load_tip")).clicked() {
                self.file_note = Some(if self.file.trim().is_empty() {
                    (true, tr("rampup.no_file_load").to_owned())
                } else {
                    match Scenario::load(&path) {
                        Ok(s) => {
                            self.set_scenario(s);
                            self.mark_saved();
                            (false, tr_fmt("rampup.loaded", &[("path", &path.display())]))
                        }
                        Err(e) => (true, tr_fmt("rampup.load_failed", &[("error", &e)])),
                    }
                });
            }
            if ui.button(tr("rampup.save")).on_hover_text(tr("rampup.save_tip")).clicked() {
                if self.file.trim().is_empty() {
                    self.file_note = Some((true, tr("rampup.no_file").to_owned()));
                } else {
                    // The file it replaces is kept as `.bak`, as for rule files.
                    let written = self
                        .scenario
                        .to_ron_string()
                        .map_err(|e| e.to_string())
                        .and_then(|t| crate::engine::fsio::write_atomic(&path, t.as_bytes(), true).map_err(|e| e.to_string()));
                    self.file_note = Some(match written {
                        Ok(()) => {
                            self.mark_saved();
                            (false, tr_fmt("rampup.saved", &[("path", &path.display())]))
                        }
                        Err(e) => (true, tr_fmt("rampup.save_failed", &[("path", &path.display()), ("error", &e)])),
                    });
                }
            }
            if ui.button(tr("rampup.default")).on_hover_text(tr("rampup.default_tip")).clicked() {
                if self.is_dirty() {
                    self.confirm_default = true;
                } else {
                    self.reset_to_default();
                }
            }
        });
        if self.confirm_default {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(ui.visuals().warn_fg_color, tr("rampup.default_confirm"));
                if ui.button(tr("rampup.replace")).clicked() {
                    self.confirm_default = false;
                    self.reset_to_default();
                }
                if ui.button(tr("dialog.cancel")).clicked() {
                    self.confirm_default = false;
                }
            });
        }
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

    /// The built-in scenario, not tied to a file: Save then asks for a name,
    /// so the file that was loaded is not replaced by it unawares.
    fn reset_to_default(&mut self) {
        self.set_scenario(Scenario::default());
        self.mark_saved();
        self.file.clear();
        self.file_note = Some((false, tr("rampup.builtin").to_owned()));
    }

    fn schedule_ui(&mut self, ui: &mut Ui, problems: &[ScenarioProblem]) {
        let s = &mut self.scenario;
        let mut kind = match s.schedule {
            LevelSchedule::Fixed(_) => ScheduleKind::Fixed,
            LevelSchedule::Plan(_) => ScheduleKind::Plan,
            LevelSchedule::AutoPromote { .. } => ScheduleKind::Auto,
        };
        let old = kind;
        row(ui, tr("rampup.schedule"), tr("rampup.schedule_tip"), |ui| {
            for (k, label, tip) in [
                (ScheduleKind::Fixed, tr("rampup.fixed"), tr("rampup.fixed_tip")),
                (ScheduleKind::Plan, tr("rampup.plan"), tr("rampup.plan_tip")),
                (ScheduleKind::Auto, tr("rampup.auto"), tr("rampup.auto_tip")),
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
                row(ui, tr("rampup.level"), tr("rampup.level_tip"), |ui| {
                    level_combo(ui, "rampup_fixed_level", l, tr("rampup.fixed"));
                    ui.weak(tr("rampup.all_six"));
                });
            }
            LevelSchedule::Plan(plan) => {
                row(ui, tr("rampup.per_day"), tr("rampup.per_day_tip"), |ui| {
                    let te =
                        egui::TextEdit::singleline(&mut self.plan_text).desired_width(f32::INFINITY).hint_text("Slow, Slow, Normal, Fast");
                    // Checked as typed, simulated once committed (Enter or leaving the
                    // field): a prefix valid for a moment while typing ("Slow" of "Slow,
                    // Normal") is not run and shown as if it were the plan.
                    let r = named(ui.add(te), Role::TextInput, tr("rampup.plan_a11y"));
                    if r.changed() || r.lost_focus() || r.has_focus() {
                        match parse_plan(&self.plan_text) {
                            Ok(p) if r.lost_focus() => {
                                *plan = p;
                                self.plan_error = None;
                            }
                            Ok(p) => {
                                self.plan_error = None;
                                if p != *plan {
                                    ui.weak(tr("rampup.plan_enter"));
                                }
                            }
                            Err(e) => self.plan_error = Some(e),
                        }
                    }
                });
                if let Some(e) = &self.plan_error {
                    ui.label(RichText::new(tr_fmt("rampup.plan_error", &[("error", e)])).color(error_color(ui)));
                }
                ui.weak(tr_n("rampup.plan_days", plan.len(), &[]));
            }
            LevelSchedule::AutoPromote { start, clean_days, max_soft_bounce_pct } => {
                row(ui, tr("rampup.start_level"), tr("rampup.start_level_tip"), |ui| {
                    level_combo(ui, "rampup_auto_start", start, tr("rampup.start_a11y"));
                });
                row(ui, tr("rampup.clean_days"), tr("rampup.clean_days_tip"), |ui| {
                    named(
                        ui.add(egui::DragValue::new(clean_days).range(0..=365).speed(0.1)),
                        Role::SpinButton,
                        tr("rampup.clean_days_a11y"),
                    );
                });
                row(ui, tr("rampup.clean_below"), tr("rampup.clean_below_tip"), |ui| {
                    let dv = egui::DragValue::new(max_soft_bounce_pct).range(0.0..=100.0).speed(0.1).suffix(tr("rampup.soft_suffix"));
                    named(ui.add(dv), Role::SpinButton, tr("rampup.clean_below_a11y"));
                });
            }
        }
        problems_ui(ui, problems, |f| f.starts_with("schedule"));
    }
}

fn volume_ui(ui: &mut Ui, s: &mut Scenario) {
    let per_day = matches!(s.volume, Volume::PerDay { .. });
    let mut want_per_day = per_day;
    row(ui, tr("rampup.volume"), tr("rampup.volume_tip"), |ui| {
        ui.radio_value(&mut want_per_day, false, tr("rampup.one_campaign"));
        ui.radio_value(&mut want_per_day, true, tr("rampup.every_day"));
    });
    if want_per_day != per_day {
        s.volume = match s.volume {
            Volume::Campaign { messages } => Volume::PerDay { messages, days: s.horizon_days.max(1) },
            Volume::PerDay { messages, .. } => Volume::Campaign { messages },
        };
    }
    match &mut s.volume {
        Volume::Campaign { messages } => {
            row(ui, tr("rampup.messages"), tr("rampup.messages_tip"), |ui| {
                let dv = egui::DragValue::new(messages).range(0.0..=1e12).speed(1000.0).max_decimals(0);
                named(ui.add(dv), Role::SpinButton, tr("rampup.messages_a11y"));
                ui.weak(tr("rampup.in_campaign"));
            });
        }
        Volume::PerDay { messages, days } => {
            row(ui, tr("rampup.messages"), tr("rampup.messages_day_tip"), |ui| {
                let dv = egui::DragValue::new(messages).range(0.0..=1e12).speed(1000.0).max_decimals(0);
                named(ui.add(dv), Role::SpinButton, tr("rampup.per_day_a11y"));
                ui.weak(tr("rampup.per_day_on"));
                named(ui.add(egui::DragValue::new(days).range(0..=MAX_HORIZON_DAYS).speed(0.1)), Role::SpinButton, tr("rampup.days_a11y"));
                ui.weak(tr("rampup.days"));
            });
        }
    }
}

fn retry_ui(ui: &mut Ui, s: &mut Scenario) {
    let r = &mut s.retry;
    row(ui, tr("rampup.retries"), tr("rampup.retries_tip"), |ui| {
        ui.weak(tr("rampup.first_after"));
        let dv = egui::DragValue::new(&mut r.first_retry_minutes).range(0.0..=10_000.0).speed(1.0).suffix(tr("rampup.min_suffix"));
        named(ui.add(dv), Role::SpinButton, tr("rampup.first_a11y"));
        ui.weak("x");
        let dv = egui::DragValue::new(&mut r.backoff).range(1.0..=100.0).speed(0.05).max_decimals(2);
        named(ui.add(dv), Role::SpinButton, tr("rampup.backoff_a11y"));
        ui.weak(tr("rampup.each_time"));
    });
    row(ui, "", "", |ui| {
        ui.weak(tr("rampup.at_most"));
        let dv = egui::DragValue::new(&mut r.max_delay_minutes).range(0.0..=100_000.0).speed(1.0).suffix(tr("rampup.min_suffix"));
        named(ui.add(dv), Role::SpinButton, tr("rampup.max_delay_a11y"));
        ui.weak(tr("rampup.fail_after"));
        let dv = egui::DragValue::new(&mut r.validity_hours).range(0.0..=720.0).speed(0.5).suffix(tr("rampup.h_suffix"));
        named(ui.add(dv), Role::SpinButton, tr("rampup.validity_a11y"));
        ui.weak(tr("rampup.validity_note"));
    });
}

fn providers_ui(ui: &mut Ui, s: &mut Scenario, problems: &[ScenarioProblem]) {
    let sum: f64 = s.providers.iter().map(|p| if p.share_pct.is_finite() { p.share_pct } else { 0.0 }).sum();
    ui.horizontal(|ui| {
        ui.strong(tr("rampup.providers"));
        ui.weak(tr_fmt("rampup.providers_sum", &[("count", &s.providers.len()), ("sum", &format!("{sum:.1}"))]));
        if ui.button(tr("rampup.add_provider")).on_hover_text(tr("rampup.add_provider_tip")).clicked() {
            let n = s.providers.len() + 1;
            s.providers.push(Provider::new(&tr_fmt("rampup.new_provider", &[("n", &n)]), 0.0, "mx.example.org", 1.0, 1.0, 1.0));
        }
    });
    ui.weak(tr("rampup.rates_note"));
    let mut delete = None;
    egui::Grid::new("rampup_providers").num_columns(8).spacing([4.0, 4.0]).striped(true).show(ui, |ui| {
        for (title, tip) in [
            (tr("rampup.pcol_name"), tr("rampup.pcol_name_tip")),
            (tr("rampup.pcol_share"), tr("rampup.pcol_share_tip")),
            (tr("rampup.pcol_mx"), tr("rampup.pcol_mx_tip")),
            (tr("rampup.pcol_delivered"), tr("rampup.pcol_delivered_tip")),
            (tr("rampup.pcol_soft"), tr("rampup.pcol_soft_tip")),
            (tr("rampup.pcol_hard"), tr("rampup.pcol_hard_tip")),
            (tr("rampup.pcol_defer"), tr("rampup.pcol_defer_tip")),
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
            named(ui.add_sized([80.0, h], te), Role::TextInput, &tr_fmt("rampup.p_name_a11y", &[("n", &n)]));
            pct(ui, &mut p.share_pct, bad("share_pct"), &tr_fmt("rampup.p_share_a11y", &[("n", &n)]));
            let mut te = egui::TextEdit::singleline(&mut p.mx_host);
            if let Some(sev) = bad("mx_host") {
                te = te.text_color(if sev == Severity::Error { error_color(ui) } else { ui.visuals().warn_fg_color });
            }
            let host = ui.add_sized([120.0, h], te).on_hover_text(p.mx_host.as_str());
            named(host, Role::TextInput, &tr_fmt("rampup.p_mx_a11y", &[("n", &n)]));
            pct(ui, &mut p.delivered_pct, bad("delivered_pct"), &tr_fmt("rampup.p_delivered_a11y", &[("n", &n)]));
            pct(ui, &mut p.soft_bounce_pct, bad("soft_bounce_pct"), &tr_fmt("rampup.p_soft_a11y", &[("n", &n)]));
            pct(ui, &mut p.hard_bounce_pct, bad("hard_bounce_pct"), &tr_fmt("rampup.p_hard_a11y", &[("n", &n)]));
            pct(ui, &mut p.deferral_pct, bad("deferral_pct"), &tr_fmt("rampup.p_defer_a11y", &[("n", &n)]));
            let del = ui.small_button(tr("rampup.delete")).on_hover_text(tr("rampup.delete_tip"));
            if named(del, Role::Button, &tr_fmt("rampup.p_delete_a11y", &[("n", &n)])).clicked() {
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
