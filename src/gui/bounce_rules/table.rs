//! The bounce rule grid: resizable columns that remember their widths,
//! Pattern taking the spare width, sideways scrolling when the columns do
//! not fit, a tooltip on every cut cell, lint as an icon.

use egui::{Color32, RichText, Role, Ui};

use super::super::grid::{self, ColumnSpec, GridLayout};
use super::super::widgets::{a11y, error_color};
use super::{BounceRulesPanel, ListOp, failure_override_combo};
use crate::engine::lint::Severity;
use crate::engine::ruleset::{RuleSet, RuleStatus};
use crate::gui::PanelCtx;
use crate::i18n::{tr, tr_fmt};

/// Columns: #, On, Name, Pattern, Category, Type, Status, Ex., Hits, Lint.
const SPECS: [ColumnSpec; 10] = [
    ColumnSpec::fixed(30.0, 26.0),
    ColumnSpec::fixed(26.0, 22.0),
    ColumnSpec::fixed(130.0, 70.0),
    ColumnSpec::spare(160.0),
    ColumnSpec::fixed(112.0, 84.0),
    ColumnSpec::fixed(62.0, 56.0),
    // "To qualify" whole, in English and in Korean ("검토 필요").
    ColumnSpec::fixed(100.0, 70.0),
    ColumnSpec::fixed(40.0, 34.0),
    ColumnSpec::fixed(40.0, 34.0),
    ColumnSpec::fixed(36.0, 30.0),
];

/// A category as the drop-downs list it: id, then its reason and failure type.
pub fn category_choice(rules: &RuleSet, id: &str) -> String {
    let Some(c) = rules.category(id) else { return id.to_owned() };
    match rules.reason(&c.reason) {
        Some(r) => {
            let t = c.failure_type.unwrap_or(r.failure_type);
            format!("{id} — {} · {}", r.display_label(), t.display_label())
        }
        None => id.to_owned(),
    }
}

/// A round lint mark (drawn, so it needs no emoji font) with the count
/// beside it when there is more than one problem; the messages on hover.
fn lint_icon(ui: &mut Ui, error: bool, messages: &[&str]) {
    let color = if error { error_color(ui) } else { ui.visuals().warn_fg_color };
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
    let p = ui.painter();
    p.circle_filled(rect.center(), 7.5, color);
    let fg = if ui.visuals().dark_mode { Color32::BLACK } else { Color32::WHITE };
    p.text(rect.center(), egui::Align2::CENTER_CENTER, if error { "×" } else { "!" }, egui::FontId::proportional(12.0), fg);
    let text = messages.join("\n");
    let name = tr_fmt(if error { "rules.lint_errors" } else { "rules.lint_warnings" }, &[("n", &messages.len())]);
    a11y(&resp, Role::Image, &name);
    resp.on_hover_text(text);
    if messages.len() > 1 {
        ui.add(egui::Label::new(RichText::new(messages.len().to_string()).color(color).strong()).selectable(false));
    }
}

impl BounceRulesPanel {
    pub(super) fn table_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, layout: &mut GridLayout) -> Option<ListOp> {
        let rows = self.visible_rows(ctx);
        let mut op = None;
        let titles = [
            "#",
            tr("rules.col_on"),
            tr("rules.col_name"),
            tr("rules.col_pattern"),
            tr("rules.category"),
            tr("rules.col_type"),
            tr("rules.status"),
            tr("rules.col_examples"),
            tr("rules.col_hits"),
            tr("rules.col_lint"),
        ];
        let tips = [
            tr("rules.order_tip"),
            tr("rules.enabled"),
            tr("rules.name_tip"),
            tr("rules.pattern_tip"),
            tr("rules.category_tip"),
            tr("rules.type_tip"),
            tr("rules.status_tip"),
            tr("rules.examples_tip"),
            tr("rules.hits_tip"),
            tr("rules.lint_tip"),
        ];
        let available = ui.available_width();
        let columns = grid::columns(ui, layout, &SPECS, &titles, available);
        let categories: Vec<(String, String)> =
            ctx.rules.categories.iter().map(|c| (c.id.clone(), category_choice(ctx.rules, &c.id))).collect();
        let scroll_to = std::mem::take(&mut self.scroll_to_selected);
        // A click into a row's name or pattern selects the row too, as a click on its number does.
        let mut focused = None;
        if rows.is_empty() {
            ui.label(RichText::new(if self.filter.is_empty() { tr("rules.empty") } else { tr("rules.no_match") }).weak());
        }
        // Columns cut off on the right (the tester beside, a narrow window) must be seen to
        // scroll: a solid bar, not egui's floating one that shows only under the pointer.
        let scroll_style = ui.spacing().scroll;
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::horizontal().id_salt("bounce_rule_hscroll").auto_shrink([false, false]).show(ui, |ui| {
            ui.spacing_mut().scroll = scroll_style;
            ui.spacing_mut().item_spacing.x = grid::CELL_GAP;
            let mut table = grid::rule_table(ui, "bounce_rule_table", columns);
            if scroll_to && let Some(pos) = self.selected.and_then(|s| rows.iter().position(|&r| r == s)) {
                table = table.scroll_to_row(pos, Some(egui::Align::Center));
            }
            table
                .header(22.0, |mut h| {
                    for (title, tip) in titles.iter().zip(tips) {
                        h.col(|ui| {
                            ui.add(egui::Label::new(RichText::new(*title).strong()).truncate()).on_hover_text(tip);
                        });
                    }
                })
                .body(|body| {
                    grid::remember_widths(layout, body.widths());
                    body.rows(24.0, rows.len(), |mut row| {
                        let i = rows[row.index()];
                        row.set_selected(self.selected == Some(i));
                        let lints = ctx.compiled.rule_lints.get(i).cloned().unwrap_or_default();
                        let has_error = lints.iter().any(|&l| ctx.compiled.lints[l].severity == Severity::Error);
                        let enabled = ctx.rules.bounce_rules[i].enabled;
                        // Disabled rules are dimmed, all but their On box.
                        let dim = |ui: &mut Ui| {
                            if !enabled {
                                ui.multiply_opacity(0.5);
                            }
                        };
                        row.col(|ui| {
                            dim(ui);
                            let handle = ui.dnd_drag_source(egui::Id::unique(("rule_drag", i)), i, |ui| {
                                // Not selectable text: a selectable label takes the click the row selects on.
                                ui.add(egui::Label::new(format!("{}", i + 1)).selectable(false));
                            });
                            // The handle senses drags only; a click on it selects the row.
                            let click = ui.interact(handle.response.rect, egui::Id::unique(("rule_num", i)), egui::Sense::click());
                            if click.clicked() {
                                self.selected = Some(i);
                            }
                            handle.response.on_hover_text(tr("rules.drag_tip"));
                        });
                        row.col(|ui| {
                            let r = &mut ctx.rules.bounce_rules[i];
                            let resp = ui.checkbox(&mut r.enabled, "").on_hover_text(tr("rules.enabled"));
                            a11y(&resp, Role::CheckBox, &tr_fmt("rules.a11y_enabled", &[("n", &(i + 1))]));
                            ctx.edited |= resp.changed();
                        });
                        row.col(|ui| {
                            dim(ui);
                            let r = &mut ctx.rules.bounce_rules[i];
                            let resp = grid::cell_text_edit(ui, &mut r.name, false, None);
                            a11y(&resp, Role::TextInput, &tr_fmt("rules.a11y_name", &[("n", &(i + 1))]));
                            ctx.edited |= resp.changed();
                            if resp.gained_focus() {
                                focused = Some(i);
                            }
                        });
                        row.col(|ui| {
                            dim(ui);
                            let r = &mut ctx.rules.bounce_rules[i];
                            // Red is unreadable on the selected (blue) row; the lint mark still says it.
                            let color = (has_error && self.selected != Some(i)).then(|| error_color(ui));
                            let resp = grid::cell_text_edit(ui, &mut r.pattern, true, color);
                            a11y(&resp, Role::TextInput, &tr_fmt("rules.a11y_pattern", &[("n", &(i + 1))]));
                            ctx.edited |= resp.changed();
                            if resp.gained_focus() {
                                focused = Some(i);
                            }
                            if has_error {
                                resp.on_hover_text(tr("rules.has_error"));
                            }
                        });
                        row.col(|ui| {
                            dim(ui);
                            let r = &mut ctx.rules.bounce_rules[i];
                            let shown = categories.iter().find(|(id, _)| *id == r.category).map_or(r.category.clone(), |(_, l)| l.clone());
                            let resp = egui::ComboBox::from_id_salt(("cat", i))
                                .selected_text(&r.category)
                                .width(ui.available_width())
                                .truncate()
                                .show_ui(ui, |ui| {
                                    for (id, label) in &categories {
                                        ctx.edited |= ui.selectable_value(&mut r.category, id.clone(), label).changed();
                                    }
                                });
                            a11y(&resp.response, Role::ComboBox, &tr_fmt("rules.a11y_category", &[("n", &(i + 1))]));
                            resp.response.on_hover_text(shown);
                        });
                        row.col(|ui| {
                            dim(ui);
                            let r = &mut ctx.rules.bounce_rules[i];
                            ctx.edited |= failure_override_combo(ui, ("ft", i), &mut r.failure_type);
                        });
                        row.col(|ui| {
                            dim(ui);
                            let r = &mut ctx.rules.bounce_rules[i];
                            let resp = egui::ComboBox::from_id_salt(("st", i))
                                .selected_text(r.status.display_label())
                                .width(ui.available_width())
                                .truncate()
                                .show_ui(ui, |ui| {
                                    for s in RuleStatus::ALL {
                                        ctx.edited |= ui.selectable_value(&mut r.status, s, s.display_label()).changed();
                                    }
                                });
                            a11y(&resp.response, Role::ComboBox, &tr_fmt("rules.a11y_status", &[("n", &(i + 1))]));
                            resp.response.on_hover_text(r.status.display_label());
                        });
                        row.col(|ui| {
                            dim(ui);
                            let (ok, total) = ctx.compiled.example_stats.get(i).copied().unwrap_or((0, 0));
                            let color = if ok < total { error_color(ui) } else { ui.visuals().text_color() };
                            ui.add(egui::Label::new(RichText::new(format!("{ok}/{total}")).color(color)).selectable(false).truncate())
                                .on_hover_text(tr("rules.examples_tip"));
                        });
                        row.col(|ui| {
                            dim(ui);
                            match ctx.compiled.batch_hits.as_ref().and_then(|h| h.get(i)) {
                                Some(h) => ui.add(egui::Label::new(h.to_string()).selectable(false).truncate()),
                                None => ui.add(egui::Label::new(RichText::new("—").weak()).selectable(false)),
                            };
                        });
                        row.col(|ui| {
                            if !lints.is_empty() {
                                let all: Vec<&str> = lints.iter().map(|&k| ctx.compiled.lints[k].message.as_str()).collect();
                                lint_icon(ui, has_error, &all);
                            }
                        });
                        let resp = row.response();
                        if resp.clicked() {
                            self.selected = Some(i);
                        }
                        if let Some(from) = resp.dnd_release_payload::<usize>() {
                            op = Some(ListOp::Move(*from, i));
                        }
                    });
                });
        });
        ui.spacing_mut().scroll = scroll_style;
        if let Some(i) = focused {
            self.selected = Some(i);
        }
        op
    }
}
