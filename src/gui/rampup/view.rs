//! The results side of the ramp-up panel: the level table, the two plots,
//! the per-provider breakdown and the export buttons.

use egui::{Color32, RichText, Role, Ui};
use std::sync::Arc;

use egui_plot::{Corner, HoverPosition, Legend, Line, Plot, PlotPoints, Span};

use super::RampUpPanel;
use super::export::Export;
use crate::engine::mx::ThroughputLevel;
use crate::engine::scenario::LevelSchedule;
use crate::engine::simulate::{Counts, LaneState, Run, RunKind, Simulation};
use crate::gui::widgets::{error_color, named};
use crate::i18n::{tr, tr_fmt, tr_n};

/// One colour per run: the six levels, then the schedule.
const COLORS: [Color32; 7] = [
    Color32::from_rgb(0x4e, 0x79, 0xa7),
    Color32::from_rgb(0x59, 0xa1, 0x4f),
    Color32::from_rgb(0xed, 0xc9, 0x48),
    Color32::from_rgb(0xf2, 0x8e, 0x2b),
    Color32::from_rgb(0xe1, 0x57, 0x59),
    Color32::from_rgb(0xb0, 0x7a, 0xa1),
    Color32::from_rgb(0x76, 0xb7, 0xb2),
];

/// A message count rounded, with thousands separators: `12,345`.
pub fn fmt_count(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let n = x.round().abs() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if x.round() < 0.0 { format!("-{out}") } else { out }
}

/// Time to deliver everything: `36 h (1.5 days)`, or "not within horizon".
pub fn fmt_done(h: Option<f64>) -> String {
    match h {
        Some(h) if h.is_finite() && h >= 48.0 => {
            tr_fmt("rampup.done_days", &[("hours", &format!("{h:.0}")), ("days", &format!("{:.1}", h / 24.0))])
        }
        Some(h) if h.is_finite() => tr_fmt("rampup.done_hours", &[("hours", &format!("{h:.0}"))]),
        _ => tr("rampup.done_never").to_owned(),
    }
}

/// Levels by day as runs: `days 1-2 Slow, days 3-4 Normal`.
fn levels_text(levels: &[ThroughputLevel]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < levels.len() {
        let j = levels[i..].iter().position(|l| *l != levels[i]).map_or(levels.len(), |k| i + k);
        let days = if j - i == 1 {
            tr_fmt("rampup.day_one", &[("day", &(i + 1))])
        } else {
            tr_fmt("rampup.day_range", &[("first", &(i + 1)), ("last", &j)])
        };
        parts.push(format!("{days} {}", levels[i].display_label()));
        i = j;
    }
    parts.join(", ")
}

/// The finite value, else 0: a NaN must never reach a plot.
fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

impl RampUpPanel {
    /// The run drawn thicker: the fixed level in use, or the schedule.
    fn highlighted(&self) -> RunKind {
        match self.scenario.schedule {
            LevelSchedule::Fixed(l) => RunKind::Fixed(l),
            _ => RunKind::Schedule,
        }
    }

    /// Draws the results of the last simulation.
    pub(super) fn results_ui(&mut self, ui: &mut Ui) {
        ui.heading(tr("rampup.results_heading"));
        if let Some((done, total)) = self.progress() {
            ui.horizontal(|ui| {
                let frac = if total > 0 { done as f32 / total as f32 } else { 0.0 };
                ui.add(
                    egui::ProgressBar::new(frac)
                        .desired_width(200.0)
                        .text(tr_fmt("rampup.progress", &[("done", &done), ("total", &total)])),
                );
                ui.weak(tr("rampup.large_note"));
            });
        }
        let Some(result) = self.result().cloned() else {
            ui.weak(tr("rampup.simulating"));
            return;
        };
        let Some(sim) = result.sim.clone() else {
            let errors = result.problems.iter().filter(|p| p.severity == crate::engine::mx::Severity::Error).count();
            ui.label(RichText::new(tr_n("rampup.not_simulated", errors, &[])).color(error_color(ui)));
            return;
        };
        let hours = sim.runs.first().map_or(0, |r| r.hourly.len());
        let then = if sim.runs.len() > 6 { tr("rampup.summary_then") } else { "" };
        let ms = format!("{:.0}", result.millis);
        ui.weak(tr_fmt("rampup.summary", &[("runs", &sim.runs.len()), ("hours", &hours), ("ms", &ms), ("then", &then)]));
        self.level_table(ui, &sim);
        ui.add_space(8.0);
        let hl = self.highlighted();
        let width = ui.available_width();
        let plots = ui.vertical(|ui| plots_ui(ui, "", &sim, hl));
        self.plots_rect = Some(plots.response.rect.intersect(ui.clip_rect()));
        ui.weak(tr("rampup.plot_help"));
        // Under the plots. The export crops a screenshot, and at 1024 × 700 the plots never
        // fitted on screen whole beside the editor (review finding): for the frame of the
        // screenshot they are drawn whole on top of the window, and that is what is cropped.
        let busy = self.export.is_some();
        let png_pressed =
            export_row(ui, &mut self.png_file, "rampup.png", ["rampup.png_file", "rampup.export_png", "rampup.export_png_tip"], busy);
        if self.overwrite_asked(ui, Export::Png, png_pressed) {
            self.png_overlay = 3;
            ui.ctx().request_repaint();
        } else if self.png_overlay > 0 {
            // Drawn for three frames (seen in the real window): the first lays the new
            // area out, the second knows where it is and asks for the screenshot, which
            // egui takes of the frame after (`ViewportCommand::Screenshot`), the third.
            let at = egui::pos2(ui.clip_rect().left(), ui.ctx().content_rect().top() + 30.0);
            let area = egui::Area::new(egui::Id::unique("rampup_png_overlay"))
                .order(egui::Order::Foreground)
                // Opaque from its first frame: an area fades in, and the PNG caught it half drawn.
                .fade_in(false)
                .constrain(true)
                .fixed_pos(at)
                .show(ui.ctx(), |ui| {
                    egui::Frame::canvas(ui.style()).inner_margin(8.0).show(ui, |ui| {
                        ui.set_width(width.min(ui.ctx().content_rect().width() - 16.0));
                        plots_ui(ui, "_png", &sim, hl);
                    });
                });
            if self.png_overlay == 2 {
                self.plots_rect = Some(area.response.rect.intersect(ui.ctx().content_rect()));
                self.start_png_export(ui.ctx());
            }
            self.png_overlay -= 1;
            ui.ctx().request_repaint();
        }
        ui.add_space(8.0);
        self.provider_table(ui, &sim);
        ui.add_space(8.0);
        super::ceilings::ceiling_table(ui, &sim);
        ui.add_space(8.0);
        ui.strong(tr("rampup.export"));
        let csv_pressed =
            export_row(ui, &mut self.csv_file, "rampup.csv", ["rampup.csv_file", "rampup.export_csv", "rampup.export_csv_tip"], busy);
        if self.overwrite_asked(ui, Export::Csv, csv_pressed) {
            self.start_export(ui.ctx());
        }
        ui.add_space(8.0);
    }

    fn level_table(&self, ui: &mut Ui, sim: &Simulation) {
        let hl = self.highlighted();
        egui::Grid::new("rampup_levels").num_columns(7).striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
            for (t, tip) in [
                (tr("rampup.col_level"), tr("rampup.col_level_tip")),
                (tr("rampup.col_done"), tr("rampup.col_done_tip")),
                (tr("rampup.col_delivered"), tr("rampup.col_delivered_tip")),
                (tr("rampup.col_expired"), tr("rampup.col_expired_tip")),
                (tr("rampup.col_hard"), tr("rampup.col_hard_tip")),
                (tr("rampup.col_queued"), tr("rampup.col_queued_tip")),
                (tr("rampup.col_peak"), tr("rampup.col_peak_tip")),
            ] {
                ui.strong(t).on_hover_text(tip);
            }
            ui.end_row();
            for run in &sim.runs {
                let t = &run.totals;
                let mut name = RichText::new(run.kind.display_label());
                if run.kind == hl {
                    name = name.strong();
                }
                let resp = ui.label(name);
                if run.kind == RunKind::Schedule {
                    resp.on_hover_text(levels_text(&run.levels_by_day));
                }
                // The queue also empties when what is left expires: said, so the time
                // does not read as "delivered all by" (review finding).
                if t.sums.expired >= 0.5 && t.done_hours.is_some_and(f64::is_finite) {
                    ui.label(tr_fmt("rampup.done_by_expiry", &[("done", &fmt_done(t.done_hours))]))
                        .on_hover_text(tr("rampup.done_by_expiry_tip"));
                } else {
                    ui.label(fmt_done(t.done_hours));
                }
                ui.label(fmt_count(t.sums.delivered));
                expired_cell(ui, t.sums.expired, t.sums.delivered + t.sums.expired + t.sums.hard_bounced + t.sums.queued);
                ui.label(fmt_count(t.sums.hard_bounced));
                ui.label(fmt_count(t.sums.queued));
                ui.label(fmt_count(t.peak_delivered_per_hour));
                ui.end_row();
            }
        });
        if let Some(run) = sim.runs.iter().find(|r| r.kind == RunKind::Schedule) {
            ui.weak(tr_fmt("rampup.schedule_line", &[("levels", &levels_text(&run.levels_by_day))]));
        }
    }

    fn provider_table(&mut self, ui: &mut Ui, sim: &Simulation) {
        if sim.runs.is_empty() {
            return;
        }
        self.detail_run = self.detail_run.min(sim.runs.len() - 1);
        ui.horizontal(|ui| {
            ui.strong(tr("rampup.per_provider_at"));
            let current = sim.runs[self.detail_run].kind.display_label();
            let resp = egui::ComboBox::from_id_salt("rampup_detail_run").selected_text(current).width(110.0).show_ui(ui, |ui| {
                for (i, r) in sim.runs.iter().enumerate() {
                    ui.selectable_value(&mut self.detail_run, i, r.kind.display_label());
                }
            });
            crate::gui::widgets::a11y(&resp.response, Role::ComboBox, tr("rampup.breakdown_level"));
        });
        let run: &Run = &sim.runs[self.detail_run];
        egui::Grid::new("rampup_providers_out").num_columns(8).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            for (t, tip) in [
                (tr("rampup.col_provider"), ""),
                (tr("rampup.col_mx_rule"), tr("rampup.col_mx_rule_tip")),
                (tr("rampup.col_delivered"), tr("rampup.col_p_delivered_tip")),
                (tr("rampup.col_expired"), tr("rampup.col_p_expired_tip")),
                (tr("rampup.col_hard"), tr("rampup.col_p_hard_tip")),
                (tr("rampup.col_queued"), tr("rampup.col_p_queued_tip")),
                (tr("rampup.col_done"), tr("rampup.col_p_done_tip")),
                (tr("rampup.col_peak"), tr("rampup.col_p_peak_tip")),
            ] {
                ui.strong(t).on_hover_text(tip);
            }
            ui.end_row();
            for (i, p) in run.providers.iter().enumerate() {
                let masks: Vec<String> = run.groups.iter().filter(|g| g.providers.contains(&i)).map(super::ceilings::pool_name).collect();
                let t = &p.totals;
                ui.label(&p.name);
                ui.monospace(masks.join(", "));
                ui.label(fmt_count(t.sums.delivered));
                ui.label(fmt_count(t.sums.expired));
                ui.label(fmt_count(t.sums.hard_bounced));
                ui.label(fmt_count(t.sums.queued));
                ui.label(fmt_done(t.done_hours));
                ui.label(fmt_count(t.peak_delivered_per_hour));
                ui.end_row();
            }
        });
    }
}

/// A path field and its export button (keys: field name, button, tip); true when clicked.
fn export_row(ui: &mut Ui, path: &mut String, hint: &str, [field, button, tip]: [&'static str; 3], busy: bool) -> bool {
    ui.horizontal(|ui| {
        let te = egui::TextEdit::singleline(path).desired_width(260.0).hint_text(hint);
        named(ui.add(te), Role::TextInput, tr(field));
        ui.add_enabled(!busy, egui::Button::new(tr(button))).on_hover_text(tr(tip)).clicked()
    })
    .inner
}

/// One line per run of `value` per hour; the highlighted run is thicker.
/// The two plots with their titles (and the shading's key): `salt` keeps the
/// copy drawn for the PNG export apart from the one on screen.
fn plots_ui(ui: &mut Ui, salt: &str, sim: &Arc<Simulation>, hl: RunKind) {
    // Once for both plots and the key: it walks every hour of every destination.
    let held = held_periods(sim, hl);
    ui.strong(tr("rampup.plot_delivered"));
    series_plot(ui, &format!("rampup_delivered{salt}"), sim, hl, &held, |c| c.delivered, tr("rampup.what_delivered"), 240.0);
    ui.strong(tr("rampup.plot_backlog"));
    series_plot(ui, &format!("rampup_backlog{salt}"), sim, hl, &held, |c| c.queued, tr("rampup.what_queued"), 170.0);
    if !held.is_empty() {
        // Wrapped at the visible width, not at the width of the tables below.
        let visible = (ui.clip_rect().right() - ui.cursor().left() - 4.0).max(200.0);
        ui.scope(|ui| {
            ui.set_max_width(visible);
            ui.add(egui::Label::new(RichText::new(tr_fmt("rampup_react.shade_help", &[("run", &hl.display_label())])).weak()).wrap());
        });
    }
}

/// Width kept for the y-axis labels of the two plots.
const PLOT_Y_AXIS_WIDTH: f32 = 56.0;

#[allow(clippy::too_many_arguments)]
fn series_plot(
    ui: &mut Ui,
    id: &str,
    sim: &Arc<Simulation>,
    hl: RunKind,
    held: &[HeldPeriod],
    value: fn(&Counts) -> f64,
    what: &'static str,
    height: f32,
) {
    let link = egui::Id::unique("rampup_plots_x");
    let hover_sim = Arc::clone(sim);
    // As wide as what is visible: a wide table below must not push the legend off screen.
    let width = (ui.clip_rect().right() - ui.cursor().left() - 4.0).clamp(200.0, ui.available_width().max(200.0));
    Plot::new(id)
        .height(height)
        .width(width)
        .legend(Legend::default().position(Corner::RightTop).follow_insertion_order(true))
        .x_axis_label(tr("rampup.x_axis"))
        // The same y-axis width on both plots, so their linked x axes line up (the labels differ:
        // 40000 against 200000).
        .y_axis_min_width(PLOT_Y_AXIS_WIDTH)
        .allow_scroll(false)
        .include_y(0.0)
        .include_x(0.0)
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { plot_name, position, .. } => {
                let h = position.x.max(0.0).round() as u64;
                // Which limit bounded that hour, for the run under the cursor.
                let bound = hover_sim
                    .runs
                    .iter()
                    .find(|r| r.kind.display_label() == *plot_name)
                    .map(|r| super::ceilings::bound_text(r, h as usize));
                let point = tr_fmt(
                    "rampup.hover_point",
                    &[
                        ("series", &plot_name),
                        ("hour", &h),
                        ("day", &(h / 24 + 1)),
                        ("clock", &format!("{:02}:00", h % 24)),
                        ("value", &fmt_count(position.y)),
                        ("what", &what),
                    ],
                );
                Some(match bound {
                    Some(b) => format!("{point}\n{b}"),
                    None => point,
                })
            }
            HoverPosition::Elsewhere { position } => Some(tr_fmt("rampup.hover_hour", &[("hour", &format!("{:.0}", position.x.max(0.0)))])),
        })
        .show(ui, |pu| {
            // Behind the lines: the hours the highlighted run held a destination.
            let (red, amber) =
                (Color32::from_rgba_unmultiplied(0xe1, 0x57, 0x59, 48), Color32::from_rgba_unmultiplied(0xed, 0xc9, 0x48, 40));
            // One legend entry a state, naming every destination it held over the run:
            // a week shaded "suspended" read as if everything was (review finding).
            let names = |state: LaneState| {
                let mut all: Vec<&str> = Vec::new();
                for p in held.iter().filter(|p| p.state == state) {
                    for n in &p.providers {
                        if !all.contains(&n.as_str()) {
                            all.push(n);
                        }
                    }
                }
                let label = tr(if state == LaneState::Suspended { "rampup_react.shade_suspended" } else { "rampup_react.shade_backoff" });
                tr_fmt("rampup_react.shade_label", &[("state", &label), ("providers", &all.join(", "))])
            };
            let (suspended, backoff) = (names(LaneState::Suspended), names(LaneState::Backoff));
            for p in held {
                let (name, fill) = if p.state == LaneState::Suspended { (&suspended, red) } else { (&backoff, amber) };
                pu.add(Span::new(name.as_str(), p.from..=p.to).fill(fill));
            }
            for (i, run) in sim.runs.iter().enumerate() {
                let points: PlotPoints = run.hourly.iter().enumerate().map(|(h, c)| [h as f64, finite(value(c))]).collect();
                let width = if run.kind == hl { 3.0 } else { 1.5 };
                pu.line(Line::new(run.kind.display_label(), points).color(COLORS[i % COLORS.len()]).width(width));
            }
        });
}

/// Hours in which a run held some destination.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldPeriod {
    /// First and last hour, as plot coordinates (`h - 0.5 ..= h + 0.5`).
    pub from: f64,
    pub to: f64,
    /// The worst state over the held destinations: suspended, else backoff / recovering.
    pub state: LaneState,
    /// The destinations held, in scenario order.
    pub providers: Vec<String>,
}

/// The periods in which the run `hl` held some destination; a period ends
/// where its worst state or its set of held destinations changes.
pub fn held_periods(sim: &Simulation, hl: RunKind) -> Vec<HeldPeriod> {
    let Some(run) = sim.runs.iter().find(|r| r.kind == hl) else { return Vec::new() };
    let mut out: Vec<HeldPeriod> = Vec::new();
    for h in 0..run.hourly.len() {
        let held: Vec<(&str, LaneState)> = run
            .providers
            .iter()
            .filter_map(|p| p.states.get(h).map(|s| (p.name.as_str(), s.state)))
            .filter(|(_, s)| matches!(s, LaneState::Suspended | LaneState::Backoff | LaneState::Recovering))
            .collect();
        let Some(worst) = held.iter().map(|(_, s)| *s).max() else { continue };
        let state = if worst == LaneState::Suspended { LaneState::Suspended } else { LaneState::Backoff };
        // The destinations in the shaded state: a suspended hour does not name one merely backing off.
        let providers: Vec<&str> =
            held.iter().filter(|(_, s)| (*s == LaneState::Suspended) == (state == LaneState::Suspended)).map(|(n, _)| *n).collect();
        let (from, to) = (h as f64 - 0.5, h as f64 + 0.5);
        match out.last_mut() {
            Some(last) if last.state == state && last.providers.iter().eq(&providers) && (last.to - from).abs() < 1e-9 => last.to = to,
            _ => out.push(HeldPeriod { from, to, state, providers: providers.into_iter().map(str::to_owned).collect() }),
        }
    }
    out
}

/// The expired count with its share of all messages, in the warning colour when
/// some expired: "Queue empty after 85 h" alone read as a success where most of
/// the messages had expired.
fn expired_cell(ui: &mut Ui, expired: f64, total: f64) {
    if expired < 0.5 || total <= 0.0 || !total.is_finite() {
        ui.label(fmt_count(expired));
        return;
    }
    let share = expired * 100.0 / total;
    let text = format!("{} ({share:.0} %)", fmt_count(expired));
    ui.label(RichText::new(text).color(ui.visuals().warn_fg_color));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_read_well() {
        assert_eq!(fmt_count(1_234_567.4), "1,234,567");
        assert_eq!(fmt_count(999.6), "1,000");
        assert_eq!(fmt_count(f64::NAN), "-");
        assert_eq!(fmt_done(None), "not within horizon");
        assert_eq!(fmt_done(Some(72.0)), "72 h (3.0 days)");
        use ThroughputLevel::*;
        assert_eq!(levels_text(&[Slow, Slow, Normal]), "days 1-2 Slow, day 3 Normal");
    }
}
