//! MX rule editor: the rule table, the selected rule's per-level limits, and a
//! "test a host name" box that shows which rule applies and which it shadows.

use egui::{RichText, Role, Ui};

use super::PanelCtx;
use super::grid::{self, ColumnSpec, GridLayout, SplitDir};
use super::widgets::{a11y, error_color, named};
use crate::engine::mx::{self, IdRange, Limits, MxProblem, MxRule, Severity, ThroughputLevel, TlsMode};
use crate::i18n::{tr, tr_fmt, tr_n};

/// A change to the MX rule list, applied after the table is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MxOp {
    /// Insert a new rule after the selection (before the catch-all when nothing is selected).
    Add,
    /// Duplicate the selection.
    Duplicate,
    /// Delete the selection.
    Delete,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
}

/// State of the MX rule panel.
#[derive(Default)]
pub struct MxRulesPanel {
    /// Index of the selected rule.
    pub selected: Option<usize>,
    /// Host name typed in the tester.
    pub test_host: String,
    /// Level whose limits the tester shows.
    pub test_level: ThroughputLevel,
    /// Scroll the table to the selection on the next frame.
    scroll_to_selected: bool,
}

/// Columns: #, Mask, IDs, Shared, TLS, Connect, Session, Between, Problems (takes the spare width).
const MX_COLUMNS: [ColumnSpec; 9] = [
    ColumnSpec::fixed(32.0, 28.0),
    // Masks such as "*.mail.protection.outlook.com" whole at 1024 px; identifiers are mostly "all".
    ColumnSpec::fixed(245.0, 100.0),
    ColumnSpec::fixed(90.0, 80.0),
    ColumnSpec::fixed(52.0, 40.0),
    ColumnSpec::fixed(124.0, 96.0),
    ColumnSpec::fixed(64.0, 56.0),
    ColumnSpec::fixed(64.0, 56.0),
    ColumnSpec::fixed(64.0, 56.0),
    ColumnSpec::spare(80.0),
];

/// Limits for a new rule: positive and growing with the level, so it validates.
fn starter_rule() -> MxRule {
    let mut r = MxRule::new("*.example.com", Limits::default());
    for (k, l) in r.levels.iter_mut().enumerate() {
        let k = u32::try_from(k).unwrap_or(0) + 1;
        *l = Limits { max_connections: k, max_msgs_per_connection: 10 * k, msgs_per_hour: 100 * k };
    }
    r
}

/// One line summary of limits (in the current language), e.g.
/// "5 connections, 20 messages per connection, 600 messages per hour (per IP)".
pub fn limits_text(l: Limits, shared: bool) -> String {
    let key = if shared { "mx.limits_shared" } else { "mx.limits_per_ip" };
    let n = |key, v: u32| tr_n(key, v as usize, &[]);
    let (conn, msgs, hour) = (
        n("mx.n_connections", l.max_connections),
        n("mx.n_msgs_per_connection", l.max_msgs_per_connection),
        n("mx.n_per_hour", l.msgs_per_hour),
    );
    tr_fmt(key, &[("conn", &conn), ("msgs", &msgs), ("hour", &hour)])
}

impl MxRulesPanel {
    /// Selects a rule and scrolls to it.
    pub fn select(&mut self, i: usize) {
        self.selected = Some(i);
        self.scroll_to_selected = true;
    }

    /// Applies a list operation; returns true if the rules changed.
    pub fn apply(&mut self, op: MxOp, rules: &mut Vec<MxRule>) -> bool {
        let sel = self.selected.filter(|&s| s < rules.len());
        match (op, sel) {
            (MxOp::Add, _) => {
                // Appending after a catch-all would make the new rule dead on arrival.
                let before_catch_all = rules.last().is_some_and(|r| r.mask.trim() == "*");
                let at = sel.map_or(if before_catch_all { rules.len() - 1 } else { rules.len() }, |s| s + 1);
                rules.insert(at, starter_rule());
                self.select(at);
            }
            (MxOp::Duplicate, Some(s)) => {
                let r = rules[s].clone();
                rules.insert(s + 1, r);
                self.select(s + 1);
            }
            (MxOp::Delete, Some(s)) => {
                rules.remove(s);
                self.selected = if rules.is_empty() { None } else { Some(s.min(rules.len() - 1)) };
            }
            (MxOp::Up, Some(s)) if s > 0 => {
                rules.swap(s, s - 1);
                self.select(s - 1);
            }
            (MxOp::Down, Some(s)) if s + 1 < rules.len() => {
                rules.swap(s, s + 1);
                self.select(s + 1);
            }
            _ => return false,
        }
        true
    }

    /// Draws the panel; `layout` is the grid's remembered widths and splits (persisted).
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, layout: &mut GridLayout) {
        let problems = mx::validate(&ctx.rules.mx_rules);
        let n = ctx.rules.mx_rules.len();
        if self.selected.is_some_and(|s| s >= n) {
            self.selected = None;
        }
        let mut op = None;
        ui.horizontal_wrapped(|ui| {
            ui.heading(tr("panel.mx_rules"));
            ui.add_space(12.0);
            let has_sel = self.selected.is_some();
            // The list buttons say the same as the bounce rule editor's.
            let buttons: [(&str, &str, bool, MxOp); 5] = [
                (tr("rules.add"), tr("rules.add_tip"), true, MxOp::Add),
                (tr("rules.duplicate"), tr("rules.duplicate_tip"), has_sel, MxOp::Duplicate),
                (tr("rules.delete"), tr("rules.delete_tip"), has_sel, MxOp::Delete),
                (tr("rules.up"), tr("rules.up_tip"), has_sel && self.selected != Some(0), MxOp::Up),
                (tr("rules.down"), tr("rules.down_tip"), self.selected.is_some_and(|s| s + 1 < n), MxOp::Down),
            ];
            for (label, tip, enabled, o) in buttons {
                if ui.add_enabled(enabled, egui::Button::new(label)).on_hover_text(tip).clicked() {
                    op = Some(o);
                }
            }
        });
        let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
        ui.label(
            RichText::new(tr_fmt(
                "mx.summary",
                &[
                    ("rules", &tr_n("mx.n_rules", n, &[])),
                    ("errors", &tr_n("status.errors", errors, &[])),
                    ("warnings", &tr_n("status.warnings", problems.len() - errors, &[])),
                ],
            ))
            .weak(),
        );

        // Below the table: the selected rule's levels on the left, the host tester on the right,
        // so the table keeps the full width for its many columns. Each part is its own clipped ui.
        let (mut top, mut bottom) =
            grid::split(ui, ui.scope_id().with("mx_split"), SplitDir::Vertical, &mut layout.detail_height, 250.0, (110.0, 150.0));
        self.table_ui(&mut top, ctx, &problems, layout);
        // The host tester gets a third of the width, so the six level columns fit beside it at 1024 px.
        let tester_w = (bottom.available_width() * 0.32).clamp(230.0, 420.0);
        let (mut left, mut right) = grid::split(
            &mut bottom,
            ui.scope_id().with("mx_detail_split"),
            SplitDir::Horizontal,
            &mut layout.detail_right,
            tester_w,
            (300.0, 220.0),
        );
        grid::detail_frame(&mut left, "mx_detail_scroll", |ui| {
            egui::ScrollArea::horizontal().id_salt("mx_detail_hscroll").show(ui, |ui| self.detail_ui(ui, ctx, &problems));
        });
        grid::detail_frame(&mut right, "mx_tester_scroll", |ui| self.tester_ui(ui, ctx));
        if let Some(o) = op
            && self.apply(o, &mut ctx.rules.mx_rules)
        {
            ctx.structural = true;
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, problems: &[MxProblem], layout: &mut GridLayout) {
        let n = ctx.rules.mx_rules.len();
        let header = [
            ("#", tr("mx.order_tip")),
            (tr("mx.col_mask"), tr("mx.tip_mask")),
            (tr("mx.col_ids"), tr("mx.tip_ids")),
            (tr("mx.col_shared"), tr("mx.tip_shared")),
            (tr("mx.col_tls"), tr("mx.tip_tls")),
            (tr("mx.col_connect"), tr("mx.tip_connect")),
            (tr("mx.col_session"), tr("mx.tip_session")),
            (tr("mx.col_between"), tr("mx.tip_between")),
            (tr("mx.col_problems"), tr("mx.problems_tip")),
        ];
        let titles: Vec<&str> = header.iter().map(|(t, _)| *t).collect();
        let columns = grid::columns(ui, layout, &MX_COLUMNS, &titles, ui.available_width());
        if n == 0 {
            ui.label(RichText::new(tr("mx.empty")).weak());
        }
        let scroll_to = std::mem::take(&mut self.scroll_to_selected);
        egui::ScrollArea::horizontal().id_salt("mx_rule_hscroll").auto_shrink([false, false]).show(ui, |ui| {
            ui.spacing_mut().item_spacing.x = grid::CELL_GAP;
            let mut table = grid::rule_table(ui, "mx_rule_table", columns);
            if scroll_to && let Some(s) = self.selected {
                table = table.scroll_to_row(s, Some(egui::Align::Center));
            }
            table
                .header(22.0, |mut h| {
                    for (title, tip) in header {
                        h.col(|ui| {
                            ui.add(egui::Label::new(RichText::new(title).strong()).truncate()).on_hover_text(tip);
                        });
                    }
                })
                .body(|body| {
                    grid::remember_widths(layout, body.widths());
                    body.rows(24.0, n, |mut row| {
                        let i = row.index();
                        row.set_selected(self.selected == Some(i));
                        let mine: Vec<&MxProblem> = problems.iter().filter(|p| p.rule == i).collect();
                        let has_error = mine.iter().any(|p| p.severity == Severity::Error);
                        let r = &mut ctx.rules.mx_rules[i];
                        let mut edited = false;
                        row.col(|ui| {
                            // A button, not a label: selectable labels would swallow the row click.
                            let b = egui::Button::selectable(self.selected == Some(i), format!("{}", i + 1));
                            let name = tr_fmt("mx.a11y_select", &[("n", &(i + 1))]);
                            if named(ui.add(b), Role::Button, &name).on_hover_text(tr("mx.select_tip")).clicked() {
                                self.selected = Some(i);
                            }
                        });
                        row.col(|ui| {
                            let color = has_error.then(|| error_color(ui));
                            let name = tr_fmt("mx.a11y_mask", &[("n", &(i + 1))]);
                            let resp = named(grid::cell_text_edit(ui, &mut r.mask, true, color), Role::TextInput, &name);
                            edited |= resp.changed();
                            // A click into the mask selects the rule, as a click on its number does.
                            if resp.gained_focus() {
                                self.selected = Some(i);
                            }
                        });
                        row.col(|ui| edited |= ids_ui(ui, i, &mut r.ids));
                        row.col(|ui| {
                            let resp = ui.checkbox(&mut r.shared, "").on_hover_text(tr("mx.tip_shared"));
                            a11y(&resp, Role::CheckBox, &tr_fmt("mx.a11y_shared", &[("n", &(i + 1))]));
                            edited |= resp.changed();
                        });
                        row.col(|ui| edited |= tls_combo(ui, ("mx_tls", i), &mut r.tls, &tr_fmt("mx.a11y_tls", &[("n", &(i + 1))])));
                        let t = &mut r.timeouts;
                        for (v, what, tip) in [
                            (&mut t.connect_secs, "mx.a11y_connect", tr("mx.tip_connect")),
                            (&mut t.session_secs, "mx.a11y_session", tr("mx.tip_session")),
                            (&mut t.between_msgs_secs, "mx.a11y_between", tr("mx.tip_between")),
                        ] {
                            row.col(|ui| {
                                let resp = ui.add(egui::DragValue::new(v).range(0..=86_400).suffix(" s")).on_hover_text(tip);
                                edited |= named(resp, Role::SpinButton, &tr_fmt(what, &[("n", &(i + 1))])).changed();
                            });
                        }
                        row.col(|ui| {
                            if let Some(first) = mine.first() {
                                // On the selected (blue) row red and yellow are unreadable: the selection's text colour there.
                                let color = if self.selected == Some(i) {
                                    ui.visuals().selection.stroke.color
                                } else if has_error {
                                    error_color(ui)
                                } else {
                                    ui.visuals().warn_fg_color
                                };
                                let shown = if mine.len() > 1 {
                                    tr_fmt("mx.problem_more", &[("message", &first.message), ("n", &(mine.len() - 1))])
                                } else {
                                    first.message.clone()
                                };
                                let all: Vec<&str> = mine.iter().map(|p| p.message.as_str()).collect();
                                let text = RichText::new(shown).color(color);
                                ui.add(egui::Label::new(text).selectable(false).truncate()).on_hover_text(all.join("\n"));
                            }
                        });
                        ctx.edited |= edited;
                        if row.response().clicked() {
                            self.selected = Some(i);
                        }
                    });
                });
        });
    }

    fn detail_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, problems: &[MxProblem]) {
        let Some(i) = self.selected.filter(|&s| s < ctx.rules.mx_rules.len()) else {
            ui.label(RichText::new(tr("mx.select_hint")).weak());
            return;
        };
        let r = &mut ctx.rules.mx_rules[i];
        let mut edited = false;
        ui.horizontal(|ui| {
            ui.strong(tr_fmt("mx.rule_n", &[("n", &(i + 1))]));
            ui.monospace(&r.mask);
            ui.label(RichText::new(if r.shared { tr("mx.scope_shared") } else { tr("mx.scope_per_ip") }).weak());
        });
        ui.label(tr("mx.levels_label")).on_hover_text(tr("mx.tip_levels"));
        egui::Grid::new("mx_levels").num_columns(7).striped(true).spacing([8.0, 4.0]).show(ui, |ui| {
            ui.label("");
            for l in ThroughputLevel::ALL {
                ui.strong(l.display_label()).on_hover_text(tr("mx.tip_levels"));
            }
            ui.end_row();
            type Field = fn(&mut Limits) -> &mut u32;
            let fields: [(&str, &str, Field); 3] = [
                (tr("mx.field_max_conn"), tr("mx.tip_max_conn"), |l| &mut l.max_connections),
                (tr("mx.field_msgs_conn"), tr("mx.tip_msgs_conn"), |l| &mut l.max_msgs_per_connection),
                (tr("mx.field_per_hour"), tr("mx.tip_per_hour"), |l| &mut l.msgs_per_hour),
            ];
            for (name, tip, field) in fields {
                ui.label(name).on_hover_text(tip);
                for (k, l) in ThroughputLevel::ALL.into_iter().enumerate() {
                    let v = field(&mut r.levels[k]);
                    let resp = ui.add_sized([56.0, 20.0], egui::DragValue::new(v).range(0..=10_000_000).speed(1.0)).on_hover_text(tip);
                    edited |=
                        named(resp, Role::SpinButton, &tr_fmt("mx.a11y_level_field", &[("field", &name), ("level", &l.display_label())]))
                            .changed();
                }
                ui.end_row();
            }
        });
        ui.horizontal(|ui| {
            ui.label(tr("rules.note"));
            let te = egui::TextEdit::singleline(&mut r.note).desired_width(f32::INFINITY).hint_text(tr("mx.note_hint"));
            edited |= named(ui.add(te), Role::TextInput, tr("mx.a11y_note")).changed();
        });
        ctx.edited |= edited;
        let mine: Vec<&MxProblem> = problems.iter().filter(|p| p.rule == i).collect();
        if mine.is_empty() {
            ui.label(RichText::new(tr("mx.no_problems")).weak());
        }
        for p in mine {
            let (key, color) = match p.severity {
                Severity::Error => ("mx.problem_error", error_color(ui)),
                Severity::Warning => ("mx.problem_warning", ui.visuals().warn_fg_color),
            };
            ui.label(RichText::new(tr_fmt(key, &[("message", &p.message)])).color(color));
        }
    }

    fn tester_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        ui.heading(tr("mx.test_heading"));
        ui.label(RichText::new(tr("mx.test_intro")).weak());
        let te = egui::TextEdit::singleline(&mut self.test_host).hint_text("mx1.free.fr").desired_width(f32::INFINITY);
        named(ui.add(te), Role::TextInput, tr("mx.a11y_test_host"));
        ui.horizontal(|ui| {
            ui.label(tr("mx.level"));
            level_combo(ui, "mx_test_level", &mut self.test_level, tr("mx.a11y_test_level"));
        });
        ui.add_space(6.0);
        let host = self.test_host.trim();
        if host.is_empty() {
            return;
        }
        let rules = &ctx.rules.mx_rules;
        let m = mx::find_rule(rules, host, None);
        let Some(w) = m.rule.filter(|&w| w < rules.len()) else {
            ui.label(RichText::new(tr("mx.no_rule")).color(error_color(ui)));
            return;
        };
        let r = &rules[w];
        ui.horizontal_wrapped(|ui| {
            ui.label(tr("mx.applies"));
            let winner = tr_fmt("mx.rule_ref", &[("n", &(w + 1)), ("mask", &r.mask)]);
            if ui.link(RichText::new(winner).strong()).on_hover_text(tr("mx.select_in_table")).clicked() {
                self.select(w);
            }
        });
        ui.label(RichText::new(tr("mx.first_match")).weak());
        let limits = limits_text(r.limits(self.test_level), r.shared);
        ui.label(tr_fmt("mx.limits_at", &[("level", &self.test_level.display_label()), ("limits", &limits)]));
        if let Some(ids) = r.ids {
            ui.label(tr_fmt("mx.ids_only", &[("first", &ids.first), ("last", &ids.last)]));
        }
        if m.shadowed.is_empty() {
            ui.label(RichText::new(tr("mx.no_shadowed")).weak());
        } else {
            ui.label(tr("mx.shadowed_heading"));
            for &s in m.shadowed.iter().filter(|&&s| s < rules.len()) {
                let text = tr_fmt("mx.shadowed", &[("n", &(s + 1)), ("mask", &rules[s].mask), ("winner", &(w + 1))]);
                if ui.link(text).clicked() {
                    self.select(s);
                }
            }
        }
    }
}

/// Optional identifier range: a tick box and, when ticked, first and last.
fn ids_ui(ui: &mut Ui, i: usize, ids: &mut Option<IdRange>) -> bool {
    let mut on = ids.is_some();
    let resp = ui.checkbox(&mut on, "").on_hover_text(tr("mx.tip_ids"));
    a11y(&resp, Role::CheckBox, &tr_fmt("mx.a11y_ids", &[("n", &(i + 1))]));
    let mut changed = false;
    if resp.changed() {
        *ids = on.then_some(IdRange { first: 1, last: 1 });
        changed = true;
    }
    match ids {
        Some(r) => {
            for (v, what) in [(&mut r.first, "mx.a11y_first_id"), (&mut r.last, "mx.a11y_last_id")] {
                let resp = ui.add(egui::DragValue::new(v).range(0..=1_000_000)).on_hover_text(tr("mx.tip_ids"));
                changed |= named(resp, Role::SpinButton, &tr_fmt(what, &[("n", &(i + 1))])).changed();
            }
        }
        None => {
            ui.weak(tr("mx.ids_all")).on_hover_text(tr("mx.tip_ids"));
        }
    }
    changed
}

/// TLS mode combo; returns true if changed.
fn tls_combo(ui: &mut Ui, id: impl egui::AsIdSalt, value: &mut TlsMode, name: &str) -> bool {
    let mut changed = false;
    let resp = egui::ComboBox::from_id_salt(id).selected_text(value.display_label()).width(116.0).show_ui(ui, |ui| {
        for t in TlsMode::ALL {
            changed |= ui.selectable_value(value, t, t.display_label()).changed();
        }
    });
    a11y(&resp.response.on_hover_text(tr("mx.tip_tls")), Role::ComboBox, name);
    changed
}

/// Throughput level combo (shared with the DNS lookup panel); returns true if changed.
pub fn level_combo(ui: &mut Ui, id: impl egui::AsIdSalt, value: &mut ThroughputLevel, name: &str) -> bool {
    let mut changed = false;
    let resp = egui::ComboBox::from_id_salt(id).selected_text(value.display_label()).width(96.0).show_ui(ui, |ui| {
        for l in ThroughputLevel::ALL {
            changed |= ui.selectable_value(value, l, l.display_label()).changed();
        }
    });
    a11y(&resp.response.on_hover_text(tr("mx.tip_levels")), Role::ComboBox, name);
    changed
}
