//! Reasons (ACC) with their quarantine policy, and the categories mapped onto them.

use crate::i18n::{Lang, tr, tr_fmt};
use egui::{RichText, Ui};

use super::PanelCtx;
use super::bounce_rules::failure_override_combo;
use super::widgets::{failure_color, named};
use crate::engine::ruleset::{Category, FailureType, LabelProblem, QuarantinePolicy, ReasonDef, ReasonIdError};
use egui::Role;

/// State of the reasons panel.
#[derive(Default)]
pub struct ReasonsPanel {
    /// The reason id being typed (row, text): given to the rule set when the field is left,
    /// so categories and rules follow one rename, not one per keystroke.
    id_edit: Option<(usize, String)>,
    /// Why the last id given was refused (the id typed, the error).
    id_error: Option<(String, ReasonIdError)>,
}

impl ReasonsPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        egui::ScrollArea::both().id_salt("reasons_scroll").show(ui, |ui| {
            ui.heading(tr("reasons.heading"));
            ui.label(RichText::new(tr("reasons.intro")).weak());
            self.reasons_ui(ui, ctx);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                ui.label(tr("reasons.once_a_day"));
                let resp = ui.checkbox(&mut ctx.rules.quarantine.count_once_per_day, "");
                ctx.edited |= named(resp, Role::CheckBox, tr("reasons.once_a_day")).changed();
                ui.label(tr("reasons.reset_after"));
                let resp = ui.add(egui::DragValue::new(&mut ctx.rules.quarantine.reset_after_quiet_days).range(1..=365));
                ctx.edited |= named(resp, Role::SpinButton, tr("reasons.reset_after")).changed();
            });
            ui.add_space(12.0);
            ui.heading(tr("reasons.categories"));
            self.categories_ui(ui, ctx);
        });
    }

    fn reasons_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let mut remove = None;
        let mut rename = None;
        let label_problems = ctx.rules.reason_label_problems();
        // Wide enough for the longest id (monospace), within what a 1024 px window has room for.
        let longest = ctx.rules.reasons.iter().map(|r| r.id.as_str()).max_by_key(|id| id.chars().count()).unwrap_or("");
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        let id_width =
            ui.fonts_mut(|f| f.layout_no_wrap(longest.to_owned(), font, egui::Color32::WHITE).size().x + 16.0).clamp(120.0, 200.0);
        let warn = ui.visuals().warn_fg_color;
        // Outside English, the label in the interface's language sits beside the
        // rule set's own one: both are the analyst's data, saved in the file.
        let lang = Lang::current();
        let translated = lang != Lang::ENGLISH;
        let label_in = tr_fmt("reasons.col_label_in", &[("language", &lang.name())]);
        egui::Grid::new("reasons_grid").striped(true).num_columns(7 + usize::from(translated)).spacing([8.0, 4.0]).show(ui, |ui| {
            ui.strong(tr("reasons.col_id"));
            ui.strong(tr("reasons.col_label"));
            if translated {
                ui.strong(label_in.as_str()).on_hover_text(tr("reasons.label_in_tip"));
            }
            for h in [tr("rules.col_type"), tr("reasons.col_quarantine"), tr("reasons.col_after"), tr("reasons.col_release"), ""] {
                ui.strong(h);
            }
            ui.end_row();
            // Used by a category, or by a rule's own reason override: deleting it would leave
            // that rule on an unknown reason (review finding).
            let used: Vec<Option<String>> = ctx
                .rules
                .reasons
                .iter()
                .map(|r| {
                    if ctx.rules.categories.iter().any(|c| c.reason == r.id) {
                        Some(tr("reasons.reason_used").to_owned())
                    } else {
                        let rule = ctx.rules.bounce_rules.iter().position(|b| b.reason.as_deref() == Some(r.id.as_str()));
                        rule.map(|i| tr_fmt("reasons.reason_used_by_rule", &[("n", &(i + 1)), ("name", &ctx.rules.bounce_rules[i].name)]))
                    }
                })
                .collect();
            for (k, r) in ctx.rules.reasons.iter_mut().enumerate() {
                let id = r.id.clone();
                let name = |col: &'static str| format!("{}: {id}", tr(col));
                // Fields have ids of their own, not derived from the layout: a widget that comes and
                // goes earlier (a label warning, a release count, the grid's own cells) moved the
                // derived ids, and the field being typed in lost the focus after a key or two.
                let mut typed = match &self.id_edit {
                    Some((row, text)) if *row == k => text.clone(),
                    _ => r.id.clone(),
                };
                let edit = egui::TextEdit::singleline(&mut typed).id(egui::Id::unique(("reason_id", k))).font(egui::TextStyle::Monospace);
                let resp = ui.add_sized(field(ui, id_width), edit).on_hover_text(tr("reasons.id_tip"));
                let resp = named(resp, Role::TextInput, &name("reasons.col_id"));
                if resp.lost_focus() {
                    self.id_edit = None;
                    if !ui.input(|i| i.key_pressed(egui::Key::Escape)) && typed != r.id {
                        rename = Some((r.id.clone(), typed));
                    }
                } else if resp.has_focus() {
                    self.id_edit = Some((k, typed));
                }
                // A blank or repeated label is drawn in the warning colour, said on hover and
                // under the table: no mark beside it, so no column widens or moves.
                let mine = |(i, p): &&(usize, LabelProblem)| *i == k || *p == LabelProblem::SameAs(k);
                let problem = label_problems.iter().find(mine).map(|(_, p)| match p {
                    LabelProblem::Empty => tr("reasons.label_empty"),
                    LabelProblem::SameAs(_) => tr("reasons.label_same"),
                });
                let mut edit = egui::TextEdit::singleline(&mut r.label).id(egui::Id::unique(("reason_label", k)));
                if problem.is_some() {
                    edit = edit.text_color(warn).hint_text(RichText::new(tr("reasons.label_empty")).color(warn));
                }
                let resp = ui.add_sized(field(ui, 150.0), edit);
                let resp = match problem {
                    Some(p) => resp.on_hover_text(p),
                    None => resp,
                };
                ctx.edited |= named(resp, Role::TextInput, &name("reasons.col_label")).changed();
                if translated {
                    let mut text = r.labels.get(lang.code()).cloned().unwrap_or_default();
                    let edit =
                        egui::TextEdit::singleline(&mut text).hint_text(r.label.as_str()).id(egui::Id::unique(("reason_label_in", k)));
                    let resp = ui.add_sized(field(ui, 170.0), edit);
                    let resp = named(resp, Role::TextInput, &format!("{label_in}: {}", r.id));
                    if resp.changed() {
                        if text.trim().is_empty() {
                            r.labels.remove(lang.code());
                        } else {
                            r.labels.insert(lang.code().to_owned(), text);
                        }
                        ctx.edited = true;
                    }
                }
                let mut ft = Some(r.failure_type);
                let ft_changed = failure_override_combo(ui, ("reason_ft", k), &mut ft);
                if ft_changed {
                    r.failure_type = ft.unwrap_or(FailureType::Soft);
                    ctx.edited = true;
                }
                // Ticked = the reason quarantines (after N errors): a "never" box read as a double
                // negative beside the count of errors.
                let mut quarantines = r.quarantine != QuarantinePolicy::Never;
                let resp = ui.checkbox(&mut quarantines, "").on_hover_text(tr("reasons.quarantines_tip"));
                if named(resp, Role::CheckBox, &name("reasons.col_quarantine")).changed() {
                    r.quarantine = if quarantines { QuarantinePolicy::AfterErrors(3) } else { QuarantinePolicy::Never };
                    ctx.edited = true;
                }
                match &mut r.quarantine {
                    QuarantinePolicy::AfterErrors(n) => {
                        // A Hard error quarantines on the 1st whatever the count: said where it is set.
                        let hard = r.failure_type == FailureType::Hard;
                        let resp = ui.add(egui::DragValue::new(n).range(1..=100));
                        let resp = if hard { resp.on_hover_text(tr("reasons.after_hard_tip")) } else { resp };
                        ctx.edited |= named(resp, Role::SpinButton, &name("reasons.col_after")).changed();
                        if hard && *n > 1 {
                            ui.weak(tr("reasons.after_hard")).on_hover_text(tr("reasons.after_hard_tip"));
                        }
                    }
                    QuarantinePolicy::Never => {
                        ui.weak(tr("reasons.never"));
                    }
                }
                let mut has_release = r.release_after_days.is_some();
                ui.horizontal(|ui| {
                    let resp = ui.checkbox(&mut has_release, "");
                    if named(resp, Role::CheckBox, &name("reasons.col_release")).changed() {
                        r.release_after_days = has_release.then_some(30);
                        ctx.edited = true;
                    }
                    if let Some(d) = &mut r.release_after_days {
                        let resp = ui.add(egui::DragValue::new(d).range(1..=3650));
                        ctx.edited |= named(resp, Role::SpinButton, &name("reasons.col_release")).changed();
                    }
                });
                if delete_button(ui, used[k].as_deref(), tr("reasons.delete_reason")) {
                    remove = Some(k);
                }
                ui.end_row();
            }
        });
        if let Some(k) = remove {
            ctx.rules.reasons.remove(k);
            ctx.structural = true;
        }
        if let Some((old, new)) = rename {
            match ctx.rules.rename_reason(&old, &new) {
                Ok(_) => {
                    self.id_error = None;
                    ctx.structural = true;
                }
                // The row's own id always exists: nothing to say.
                Err(ReasonIdError::Unknown(_)) => {}
                Err(e) => self.id_error = Some((new, e)),
            }
        }
        if let Some((typed, e)) = &self.id_error {
            let why = match e {
                ReasonIdError::Empty => tr("reasons.id_empty").to_owned(),
                ReasonIdError::Characters => tr("reasons.id_characters").to_owned(),
                ReasonIdError::Taken(id) => tr_fmt("reasons.id_taken", &[("id", id)]),
                ReasonIdError::Unknown(_) => String::new(),
            };
            ui.label(
                RichText::new(tr_fmt("reasons.id_refused", &[("id", &typed.trim()), ("why", &why)])).color(ui.visuals().error_fg_color),
            );
        }
        for &(i, p) in &label_problems {
            let text = crate::engine::lint::reason_label_message(ctx.rules, i, p);
            ui.label(RichText::new(format!("⚠ {text}")).color(warn));
        }
        if ui.button(tr("reasons.add_reason")).clicked() {
            let id = unique_id(ctx.rules.reasons.iter().map(|r| r.id.as_str()), "new_reason");
            ctx.rules.reasons.push(ReasonDef {
                id,
                label: tr("app.new_reason").into(),
                failure_type: FailureType::Soft,
                quarantine: QuarantinePolicy::AfterErrors(3),
                release_after_days: None,
                note: String::new(),
                labels: Default::default(),
            });
            ctx.structural = true;
        }
    }

    fn categories_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let reasons: Vec<(String, String, FailureType)> =
            ctx.rules.reasons.iter().map(|r| (r.id.clone(), r.display_label().to_owned(), r.failure_type)).collect();
        let mut remove = None;
        let dark = ui.visuals().dark_mode;
        egui::Grid::new("categories_grid").striped(true).num_columns(7).spacing([6.0, 4.0]).show(ui, |ui| {
            for h in [tr("rules.category"), tr("reasons.col_reason"), tr("rules.col_type"), "Momentum", "PowerMTA", "KumoMTA", ""] {
                ui.strong(h);
            }
            ui.end_row();
            let used: Vec<bool> = ctx.rules.categories.iter().map(|c| ctx.rules.bounce_rules.iter().any(|r| r.category == c.id)).collect();
            for (k, c) in ctx.rules.categories.iter_mut().enumerate() {
                ui.monospace(&c.id).on_hover_text(&c.note);
                let shown = reasons.iter().find(|r| r.0 == c.reason).map_or(format!("? {}", c.reason), |r| r.1.clone());
                let id = c.id.clone();
                let name = |col: &str| format!("{col}: {id}");
                let combo = egui::ComboBox::from_id_salt(("cat_reason", k)).selected_text(shown).width(140.0).show_ui(ui, |ui| {
                    for (id, label, _) in &reasons {
                        ctx.edited |= ui.selectable_value(&mut c.reason, id.clone(), label).changed();
                    }
                });
                named(combo.response, Role::ComboBox, &name(tr("reasons.col_reason")));
                let inherited = reasons.iter().find(|r| r.0 == c.reason).map_or(FailureType::Soft, |r| r.2);
                ui.horizontal(|ui| {
                    ctx.edited |= failure_override_combo(ui, ("cat_ft", k), &mut c.failure_type);
                    if c.failure_type.is_none() {
                        ui.label(RichText::new(inherited.display_label()).color(failure_color(inherited, dark)).weak());
                    }
                });
                let mut momentum = c.momentum.unwrap_or(0);
                let resp = ui.add(egui::DragValue::new(&mut momentum).range(0..=200));
                if named(resp, Role::SpinButton, &name("Momentum")).changed() {
                    c.momentum = (momentum > 0).then_some(momentum);
                    ctx.edited = true;
                }
                let resp =
                    ui.add_sized(field(ui, 130.0), egui::TextEdit::singleline(&mut c.powermta).id(egui::Id::unique(("cat_powermta", k))));
                ctx.edited |= named(resp, Role::TextInput, &name("PowerMTA")).changed();
                let resp =
                    ui.add_sized(field(ui, 130.0), egui::TextEdit::singleline(&mut c.kumomta).id(egui::Id::unique(("cat_kumomta", k))));
                ctx.edited |= named(resp, Role::TextInput, &name("KumoMTA")).changed();
                if delete_button(ui, used[k].then(|| tr("reasons.category_used")), tr("reasons.delete_category")) {
                    remove = Some(k);
                }
                ui.end_row();
            }
        });
        if let Some(k) = remove {
            ctx.rules.categories.remove(k);
            ctx.structural = true;
        }
        if ui.button(tr("reasons.add_category")).clicked() {
            let id = unique_id(ctx.rules.categories.iter().map(|c| c.id.as_str()), "newcategory");
            let reason = ctx.rules.reasons.first().map(|r| r.id.clone()).unwrap_or_default();
            ctx.rules.categories.push(Category {
                id,
                reason,
                failure_type: None,
                momentum: None,
                powermta: String::new(),
                kumomta: String::new(),
                note: String::new(),
            });
            ctx.structural = true;
        }
    }
}

/// Size of a text field in a grid cell: a grid sizes its columns from the
/// previous frame, so a field asking only for a desired width stays as narrow
/// as the first frame made it.
fn field(ui: &Ui, width: f32) -> egui::Vec2 {
    egui::vec2(width, ui.spacing().interact_size.y)
}

fn unique_id<'a>(taken: impl Iterator<Item = &'a str> + Clone, base: &str) -> String {
    (1..).map(|i| if i == 1 { base.to_owned() } else { format!("{base}{i}") }).find(|c| !taken.clone().any(|t| t == c)).unwrap_or_default()
}

/// A row's Delete button: disabled while something uses the row, and saying so on hover.
/// `used`: what uses it, when something does.
fn delete_button(ui: &mut Ui, used: Option<&str>, delete_tip: &str) -> bool {
    let tip = used.unwrap_or(delete_tip);
    ui.add_enabled(used.is_none(), egui::Button::new(tr("rules.delete")).small()).on_hover_text(tip).on_disabled_hover_text(tip).clicked()
}
