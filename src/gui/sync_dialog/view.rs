//! The sync window: the upstream source line, then what the current view
//! shows (not checked, error, custom mode, leave preview, or the report with
//! its selectable changes and conflicts).

use egui::{RichText, Ui};

use super::diff::{change_detail, change_title, effect_ui, item_label, side_by_side, toggle};
use super::{SyncAction, SyncDialog, View};
use crate::engine::sync::{self, ChangeId};
use crate::gui::Action;
use crate::gui::document::Document;
use crate::gui::widgets;
use crate::i18n::{tr, tr_fmt};

fn sync_act(actions: &mut Vec<Action>, a: SyncAction) {
    actions.push(Action::Sync(a));
}

impl SyncDialog {
    /// Shows the dialog (when open); call every frame.
    pub fn ui(&mut self, ctx: &egui::Context, doc: &Document, actions: &mut Vec<Action>) {
        self.track(doc, false);
        let current = doc.rules.upstream.as_ref().map(|u| u.path.clone());
        if self.seen_upstream.as_ref() != Some(&current) {
            self.upstream_text = current.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
            self.seen_upstream = Some(current);
        }
        if !self.open {
            return;
        }
        if self.effect_dirty {
            self.effect_dirty = false;
            self.effect = match &self.view {
                View::Report(c) | View::LeavePreview(Ok(c)) if c.report.pending() => {
                    let sel: Vec<ChangeId> = self.selection.iter().cloned().collect();
                    Some(sync::effect_on_examples(&c.local, &c.report, &sel, &self.extra))
                }
                _ => None,
            };
        }
        let mut open = true;
        // A fixed id: the title changes with the language.
        egui::Window::new(tr("sync.title"))
            .id(egui::Id::unique("rule_source_sync"))
            .open(&mut open)
            .default_size([900.0, 620.0])
            .collapsible(false)
            .show(ctx, |ui| self.body(ui, doc, actions));
        self.open &= open;
    }

    fn body(&mut self, ui: &mut Ui, doc: &Document, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            ui.label(tr("sync.source_label"));
            let r = ui.add(egui::TextEdit::singleline(&mut self.upstream_text).desired_width(360.0).hint_text(tr("sync.source_hint")));
            widgets::a11y(&r, egui::Role::TextInput, tr("sync.a11y_source"));
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let now = doc.rules.upstream.as_ref().map(|u| u.path.display().to_string()).unwrap_or_default();
            let differs = self.upstream_text.trim() != now;
            if ui.add_enabled(differs, egui::Button::new(tr("sync.use_source"))).clicked() || (enter && differs) {
                sync_act(actions, SyncAction::SetUpstream(self.upstream_text.clone()));
            }
            if ui.add_enabled(!doc.rules.custom_mode, egui::Button::new(tr("sync.check_again"))).clicked() {
                sync_act(actions, SyncAction::Check);
            }
        });
        if let Some(note) = doc.rules.upstream.as_ref().map(|u| &u.note).filter(|n| !n.is_empty()) {
            ui.weak(note);
        }
        ui.separator();
        let stale = match &self.view {
            View::Report(c) => c.generation != doc.compiled.generation && doc.rules != c.local,
            _ => false,
        };
        match &self.view {
            View::Idle => {
                ui.label(tr("sync.not_checked"));
            }
            View::Error(e) => {
                ui.label(RichText::new(tr("sync.check_error")).strong().color(widgets::error_color(ui)));
                ui.label(RichText::new(e).monospace().color(widgets::error_color(ui)));
            }
            View::CustomMode => {
                ui.label(RichText::new(tr("sync.custom_heading")).strong());
                ui.label(tr("sync.custom_body"));
                if ui.button(tr("sync.leave_custom_more")).clicked() {
                    sync_act(actions, SyncAction::SetCustomMode(false));
                }
            }
            View::LeavePreview(Err(e)) => {
                ui.label(RichText::new(tr("sync.leave_unreadable")).strong());
                ui.label(RichText::new(e).monospace().color(widgets::error_color(ui)));
                self.leave_buttons(ui, actions);
            }
            View::LeavePreview(Ok(c)) => {
                ui.label(RichText::new(tr("sync.leave_would_change")).strong());
                ui.label(tr_fmt("sync.source", &[("path", &c.upstream_file.display())]));
                ui.add_space(4.0);
                let h = (ui.available_height() - 40.0).max(120.0);
                egui::ScrollArea::vertical().max_height(h).show(ui, |ui| {
                    if c.report.pending() {
                        for ch in &c.report.changes {
                            ui.label(change_title(ch));
                        }
                    } else {
                        ui.label(tr("sync.leave_nothing"));
                    }
                    effect_ui(ui, self.effect.as_ref());
                });
                ui.separator();
                self.leave_buttons(ui, actions);
            }
            View::Report(c) => {
                let r = &c.report;
                ui.label(tr_fmt("sync.source", &[("path", &c.upstream_file.display())]));
                if r.base.is_none() {
                    ui.weak(tr("sync.first_sync"));
                }
                if stale {
                    ui.label(RichText::new(tr("sync.stale")).color(ui.visuals().warn_fg_color));
                }
                if !r.pending() {
                    ui.label(RichText::new(tr("sync.up_to_date")).strong());
                    return;
                }
                let conflicts = r.conflicts().count();
                let counts = super::counts_line("sync.changes_count", r.changes.len() - conflicts, conflicts);
                ui.label(RichText::new(counts).strong());
                let mut sel_changed = false;
                ui.horizontal(|ui| {
                    if ui.button(tr("sync.select_all")).clicked() {
                        self.selection = r.non_conflicting_ids().into_iter().collect();
                        sel_changed = true;
                    }
                    if ui.button(tr("sync.select_none")).clicked() {
                        self.selection.clear();
                        sel_changed = true;
                    }
                });
                let h = (ui.available_height() - 40.0).max(160.0);
                egui::ScrollArea::vertical().max_height(h).auto_shrink([false, true]).show(ui, |ui| {
                    let levels = &c.local.level_names;
                    for (i, ch) in r.changes.iter().filter(|c| !c.is_conflict()).enumerate() {
                        let mut on = self.selection.contains(&ch.id);
                        if ui.checkbox(&mut on, change_title(ch)).changed() {
                            toggle(&mut self.selection, &ch.id, on);
                            sel_changed = true;
                        }
                        ui.indent(("detail", i), |ui| change_detail(ui, ch, i, levels));
                    }
                    if conflicts > 0 {
                        ui.add_space(8.0);
                        ui.heading(tr("sync.conflicts_heading"));
                        for (i, ch) in r.conflicts().enumerate() {
                            ui.add_space(4.0);
                            ui.label(RichText::new(change_title(ch)).strong().color(ui.visuals().warn_fg_color));
                            let mut on = self.selection.contains(&ch.id);
                            let resp = ui.checkbox(&mut on, tr("sync.take_upstream"));
                            let name = tr_fmt("sync.a11y_take_upstream", &[("item", &item_label(&ch.id))]);
                            widgets::a11y(&resp, egui::Role::CheckBox, &name);
                            if resp.changed() {
                                toggle(&mut self.selection, &ch.id, on);
                                sel_changed = true;
                            }
                            side_by_side(ui, ch, i, levels);
                        }
                    }
                    effect_ui(ui, self.effect.as_ref());
                });
                self.effect_dirty |= sel_changed;
                ui.separator();
                ui.horizontal(|ui| {
                    let label = tr_fmt("sync.apply_selected", &[("n", &self.selection.len())]);
                    if ui.add_enabled(!stale && !self.selection.is_empty(), egui::Button::new(label)).clicked() {
                        sync_act(actions, SyncAction::Apply);
                    }
                    if ui.button(tr("sync.close")).clicked() {
                        self.open = false;
                    }
                });
            }
        }
    }

    fn leave_buttons(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            if ui.button(tr("sync.leave_custom")).clicked() {
                actions.push(Action::Sync(SyncAction::ConfirmLeaveCustom));
            }
            if ui.button(tr("sync.stay_custom")).clicked() {
                self.view = View::CustomMode;
                self.open = false;
            }
        });
    }
}
