//! Bounce rule editor: the rule table, and the selected rule's details.

mod table;

use crate::i18n::{tr, tr_fmt};
use egui::{Color32, RichText, Ui};

use super::grid::{self, GridLayout, SplitDir};
use super::widgets::{a11y, error_color, failure_color, named, regex_problem_ui};
use super::{Action, PanelCtx};
use crate::engine::classify::RuleProblem;
use crate::engine::lint::{ExampleOutcome, example_outcome};
use crate::engine::ruleset::{BounceRule, FailureType, RuleStatus};
use egui::Role;
pub use table::category_choice;

/// State of the bounce rule panel.
#[derive(Default)]
pub struct BounceRulesPanel {
    /// Index of the selected rule.
    pub selected: Option<usize>,
    /// Filter text (name, pattern, category, note).
    pub filter: String,
    /// Scroll the table to the selection on the next frame.
    scroll_to_selected: bool,
    /// Focus the filter field on the next frame (Ctrl+F).
    pub focus_filter: bool,
    /// Set by the app each frame: the window is too narrow for the tester
    /// beside the rules, so it folds into a toggle in the toolbar.
    pub tester_folded: bool,
    /// The folded tester is shown anyway (the toolbar toggle).
    pub tester_unfolded: bool,
}

/// A change to the list, applied after the table is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListOp {
    /// Insert a new rule after the selection.
    Add,
    /// Duplicate the selection.
    Duplicate,
    /// Delete the selection.
    Delete,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Move a rule from one place to another (drag and drop).
    Move(usize, usize),
}

impl BounceRulesPanel {
    /// Selects a rule and scrolls to it.
    pub fn select(&mut self, i: usize) {
        self.selected = Some(i);
        self.scroll_to_selected = true;
        self.filter.clear();
    }

    /// Applies a list operation; returns true if the document changed.
    pub fn apply(&mut self, op: ListOp, ctx: &mut PanelCtx) -> bool {
        let rules = &mut ctx.rules.bounce_rules;
        let sel = self.selected.filter(|&s| s < rules.len());
        match (op, sel) {
            (ListOp::Add, _) => {
                let at = sel.map_or(rules.len(), |s| s + 1);
                let name = ctx.rules.unique_rule_name(tr("app.new_rule"));
                let category = ctx.rules.default_category.clone();
                let mut r = BounceRule::new(name, "", category);
                r.status = RuleStatus::ToQualify;
                ctx.rules.bounce_rules.insert(at, r);
                self.select(at);
            }
            (ListOp::Duplicate, Some(s)) => {
                let mut r = rules[s].clone();
                r.name = ctx.rules.unique_rule_name(&format!("{} copy", r.name));
                ctx.rules.bounce_rules.insert(s + 1, r);
                self.select(s + 1);
            }
            (ListOp::Delete, Some(s)) => {
                rules.remove(s);
                self.selected = if rules.is_empty() { None } else { Some(s.min(rules.len() - 1)) };
            }
            (ListOp::Up, Some(s)) if s > 0 => {
                rules.swap(s, s - 1);
                self.select(s - 1);
            }
            (ListOp::Down, Some(s)) if s + 1 < rules.len() => {
                rules.swap(s, s + 1);
                self.select(s + 1);
            }
            (ListOp::Move(from, to), _) if from < rules.len() && to < rules.len() && from != to => {
                let r = rules.remove(from);
                rules.insert(to, r);
                self.select(to);
            }
            _ => return false,
        }
        true
    }

    /// Draws the panel; `layout` is the grid's remembered widths and split (persisted).
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, layout: &mut GridLayout) {
        let mut op = None;
        ui.horizontal_wrapped(|ui| {
            ui.heading(tr("panel.bounce_rules"));
            ui.add_space(12.0);
            let has_sel = self.selected.is_some_and(|s| s < ctx.rules.bounce_rules.len());
            let n = ctx.rules.bounce_rules.len();
            let buttons: [(&str, &str, bool, ListOp); 5] = [
                (tr("rules.add"), tr("rules.add_tip"), true, ListOp::Add),
                (tr("rules.duplicate"), tr("rules.duplicate_tip"), has_sel, ListOp::Duplicate),
                (tr("rules.delete"), tr("rules.delete_tip"), has_sel, ListOp::Delete),
                (tr("rules.up"), tr("rules.up_tip"), has_sel && self.selected != Some(0), ListOp::Up),
                (tr("rules.down"), tr("rules.down_tip"), has_sel && self.selected.is_some_and(|s| s + 1 < n), ListOp::Down),
            ];
            for (label, tip, enabled, o) in buttons {
                if ui.add_enabled(enabled, egui::Button::new(label)).on_hover_text(tip).clicked() {
                    op = Some(o);
                }
            }
            ui.separator();
            ui.label(tr("rules.filter"));
            let f = ui.add(egui::TextEdit::singleline(&mut self.filter).hint_text(tr("rules.filter_hint")).desired_width(200.0));
            a11y(&f, Role::TextInput, tr("rules.filter_a11y"));
            if std::mem::take(&mut self.focus_filter) {
                f.request_focus();
            }
            if !self.filter.is_empty() && ui.small_button(tr("rules.clear")).on_hover_text(tr("rules.clear_tip")).clicked() {
                self.filter.clear();
            }
            if self.tester_folded {
                ui.separator();
                ui.toggle_value(&mut self.tester_unfolded, tr("rules.show_tester")).on_hover_text(tr("rules.show_tester_tip"));
            }
        });
        ui.label(
            RichText::new(tr_fmt(
                "rules.summary",
                &[("n", &ctx.rules.bounce_rules.len()), ("active", &ctx.compiled.classifier.active_rules())],
            ))
            .weak(),
        );

        let detail_open = self.selected.is_some_and(|s| s < ctx.rules.bounce_rules.len());
        if detail_open {
            let (mut top, mut bottom) =
                grid::split(ui, ui.scope_id().with("rule_split"), SplitDir::Vertical, &mut layout.detail_height, 300.0, (110.0, 120.0));
            op = op.or(self.table_ui(&mut top, ctx, layout));
            // A scroll position per rule: another rule's details start at their top, with
            // the rule's number and name in view (they kept the last rule's offset: review finding).
            let scroll_id = format!("rule_detail_scroll_{}", self.selected.unwrap_or(usize::MAX));
            grid::detail_frame(&mut bottom, &scroll_id, |ui| self.detail_ui(ui, ctx));
        } else if let Some(o) = self.table_ui(ui, ctx, layout) {
            op = Some(o);
        }
        if let Some(o) = op
            && self.apply(o, ctx)
        {
            ctx.structural = true;
        }
    }

    pub(super) fn visible_rows(&self, ctx: &PanelCtx) -> Vec<usize> {
        let f = self.filter.trim().to_lowercase();
        ctx.rules.bounce_rules.iter().enumerate().filter(|(_, r)| shown_by(&f, r)).map(|(i, _)| i).collect()
    }

    fn detail_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let Some(i) = self.selected.filter(|&s| s < ctx.rules.bounce_rules.len()) else { return };
        let hidden = !shown_by(&self.filter.trim().to_lowercase(), &ctx.rules.bounce_rules[i]);
        let categories: Vec<(String, String)> =
            ctx.rules.categories.iter().map(|c| (c.id.clone(), category_choice(ctx.rules, &c.id))).collect();
        let reasons: Vec<(String, String)> = ctx.rules.reasons.iter().map(|r| (r.id.clone(), r.display_label().to_owned())).collect();
        let classifier = ctx.compiled.classifier.clone();
        let problem = classifier.errors().iter().find(|e| e.rule == Some(i)).map(|e| e.problem.clone());
        let r = &mut ctx.rules.bounce_rules[i];
        let mut edited = false;
        ui.horizontal(|ui| {
            ui.strong(tr_fmt("rules.rule_n", &[("n", &(i + 1))]));
            edited |= named(ui.add(egui::TextEdit::singleline(&mut r.name).desired_width(260.0)), Role::TextInput, tr("rules.rule_name"))
                .changed();
            edited |= ui.checkbox(&mut r.enabled, tr("rules.enabled")).changed();
        });
        if hidden {
            ui.colored_label(ui.visuals().warn_fg_color, tr("rules.hidden_by_filter"));
        }
        ui.label(tr("rules.pattern_label"));
        edited |= named(
            ui.add(egui::TextEdit::multiline(&mut r.pattern).code_editor().desired_rows(2).desired_width(f32::INFINITY)),
            Role::TextInput,
            tr("rules.rule_pattern"),
        )
        .changed();
        match &problem {
            Some(p @ RuleProblem::InvalidRegex { .. }) => regex_problem_ui(ui, &r.pattern, p),
            Some(p) => {
                ui.colored_label(error_color(ui), p.display_message());
            }
            None => {}
        }
        // Two fields a row when they fit; beside the tester at 1024 px they do not, and
        // a four-column grid pushed the reason combo and every row below past the edge.
        let two_a_row = ui.available_width() >= DETAIL_TWO_A_ROW;
        egui::Grid::new("rule_fields").num_columns(if two_a_row { 4 } else { 2 }).spacing([12.0, 6.0]).show(ui, |ui| {
            ui.label(tr("rules.category"));
            let shown = categories.iter().find(|(id, _)| *id == r.category).map_or(r.category.clone(), |(_, l)| l.clone());
            let resp = egui::ComboBox::from_id_salt("detail_cat").selected_text(shown).show_ui(ui, |ui| {
                for (id, label) in &categories {
                    edited |= ui.selectable_value(&mut r.category, id.clone(), label).changed();
                }
            });
            a11y(&resp.response, Role::ComboBox, tr("rules.rule_category"));
            if !two_a_row {
                ui.end_row();
            }
            ui.label(tr("rules.reason_override"));
            let shown = r
                .reason
                .as_ref()
                .and_then(|id| reasons.iter().find(|(i, _)| i == id))
                .map_or(tr("rules.from_category").to_owned(), |(_, l)| l.clone());
            let resp = egui::ComboBox::from_id_salt("detail_reason").selected_text(shown).show_ui(ui, |ui| {
                edited |= ui.selectable_value(&mut r.reason, None, tr("rules.from_category")).changed();
                for (id, label) in &reasons {
                    edited |= ui.selectable_value(&mut r.reason, Some(id.clone()), label).changed();
                }
            });
            a11y(&resp.response, Role::ComboBox, tr("rules.reason_override"));
            ui.end_row();
            ui.label(tr("rules.type_override"));
            edited |= failure_override_combo(ui, "detail_ft", &mut r.failure_type);
            if !two_a_row {
                ui.end_row();
            }
            ui.label(tr("rules.status"));
            let resp = egui::ComboBox::from_id_salt("detail_status").selected_text(r.status.display_label()).show_ui(ui, |ui| {
                for s in RuleStatus::ALL {
                    edited |= ui.selectable_value(&mut r.status, s, s.display_label()).changed();
                }
            });
            a11y(&resp.response, Role::ComboBox, tr("rules.rule_status"));
            ui.end_row();
        });
        ui.label(tr("rules.note"));
        edited |= named(
            ui.add(egui::TextEdit::multiline(&mut r.note).desired_rows(1).desired_width(f32::INFINITY)),
            Role::TextInput,
            tr("rules.rule_note"),
        )
        .changed();

        ui.add_space(4.0);
        ui.strong(tr("rules.must_match"));
        // An invalid pattern checks no example: the rows say so instead of failing one by one.
        let compiled = classifier.is_compiled(i) || !r.is_active();
        edited |= examples_ui(ui, "mm", &mut r.must_match, |t| match example_outcome(&classifier, i, t) {
            _ if !compiled => Mark::Unchecked(tr("lint.not_checked_invalid").into()),
            ExampleOutcome::Won => Mark::Pass(tr("rules.wins").into()),
            ExampleOutcome::TakenBy(w) => Mark::Fail(tr_fmt("rules.won_by", &[("n", &(w + 1))])),
            ExampleOutcome::NotMatched => Mark::Fail(tr("rules.not_matched").into()),
        });
        ui.strong(tr("rules.must_not_match"));
        edited |= examples_ui(ui, "mnm", &mut r.must_not_match, |t| match classifier.rule_matches(i, t) {
            _ if !compiled => Mark::Unchecked(tr("lint.not_checked_invalid").into()),
            Some(true) => Mark::Fail(tr("rules.matched").into()),
            _ => Mark::Pass(tr("rules.not_matched").into()),
        });
        let first = ctx.rules.bounce_rules[i].must_match.first().filter(|t| !t.trim().is_empty()).cloned();
        let button = ui.add_enabled(first.is_some(), egui::Button::new(tr("rules.test_first")));
        if let Some(t) = first {
            if button.clicked() {
                ctx.act(Action::LoadInTester(t));
            }
        } else {
            button.on_disabled_hover_text(tr("rules.test_first_none"));
        }
        ctx.edited |= edited;
    }
}

/// Width of the rule details below which their fields go one a row.
const DETAIL_TWO_A_ROW: f32 = 620.0;

/// How one example fares, with why (the mark's tooltip).
enum Mark {
    Pass(String),
    Fail(String),
    /// Not checked: blank (just added) or the rule's pattern does not compile.
    Unchecked(String),
}

/// An editable list of example texts with a pass/fail mark each.
fn examples_ui(ui: &mut Ui, salt: &str, list: &mut Vec<String>, check: impl Fn(&str) -> Mark) -> bool {
    let mut edited = false;
    let mut remove = None;
    // "+ example" adds the row in one frame; the next frame puts the cursor in it.
    let focus_key = ui.scope_id().with((salt, "focus_new"));
    let focus_last = ui.memory_mut(|m| m.data.remove_temp::<bool>(focus_key)).unwrap_or(false);
    let len = list.len();
    for (k, t) in list.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            let mark = if crate::engine::lint::is_example(t) { check(t) } else { Mark::Unchecked(tr("rules.example_blank").into()) };
            let (icon, color, why) = match mark {
                Mark::Pass(why) => (tr("rules.pass"), Color32::from_rgb(0x4c, 0xaf, 0x50), why),
                Mark::Fail(why) => (tr("rules.fail"), ui.visuals().error_fg_color, why),
                Mark::Unchecked(why) => (tr("rules.unchecked"), ui.visuals().weak_text_color(), why),
            };
            ui.label(RichText::new(icon).color(color)).on_hover_text(why);
            // Right to left: the Remove button first, so the field gets what is left and the button is never cut.
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let remove_name = tr_fmt("rules.a11y_remove_example", &[("n", &(k + 1))]);
                if named(ui.small_button(tr("rules.remove")), Role::Button, &remove_name).on_hover_text(tr("rules.remove_tip")).clicked() {
                    remove = Some(k);
                }
                let field = named(
                    ui.add(egui::TextEdit::singleline(t).id_salt((salt, k)).desired_width(ui.available_width())),
                    Role::TextInput,
                    &tr_fmt("rules.a11y_example", &[("n", &(k + 1))]),
                );
                edited |= field.changed();
                if focus_last && k + 1 == len {
                    field.request_focus();
                }
            });
        });
    }
    if let Some(k) = remove {
        list.remove(k);
        edited = true;
    }
    if ui.small_button(tr("rules.add_example")).clicked() {
        list.push(String::new());
        ui.memory_mut(|m| m.data.insert_temp(focus_key, true));
        edited = true;
    }
    edited
}

/// A combo for an optional failure type override; returns true if changed.
pub fn failure_override_combo(ui: &mut Ui, id: impl egui::AsIdSalt, value: &mut Option<FailureType>) -> bool {
    let dark = ui.visuals().dark_mode;
    let shown = match value {
        Some(t) => RichText::new(t.display_label()).color(failure_color(*t, dark)),
        None => RichText::new("—").weak(),
    };
    let mut changed = false;
    let resp = egui::ComboBox::from_id_salt(id).selected_text(shown).width(50.0).show_ui(ui, |ui| {
        changed |= ui.selectable_value(value, None, tr("rules.type_from_category")).changed();
        for t in FailureType::ALL {
            changed |= ui.selectable_value(value, Some(t), t.display_label()).changed();
        }
    });
    a11y(&resp.response, Role::ComboBox, tr("rules.type_override_a11y"));
    changed
}

/// Whether rule `r` passes the filter `f` (trimmed, lowercase; empty passes all).
fn shown_by(f: &str, r: &crate::engine::BounceRule) -> bool {
    f.is_empty()
        || r.name.to_lowercase().contains(f)
        || r.pattern.to_lowercase().contains(f)
        || r.category.to_lowercase().contains(f)
        || r.note.to_lowercase().contains(f)
}
