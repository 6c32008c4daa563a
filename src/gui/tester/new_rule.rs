//! "Make a rule from this": a rule proposed from the selection (or the whole
//! text), generalised like the batch clusters, with its effect on the loaded
//! batch measured off the UI thread before it is inserted.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use egui::{RichText, Role, Ui};

use crate::engine::classify::compile_pattern;
use crate::engine::rule_effect::{self, Line, RuleEffect};
use crate::engine::{BounceRule, Classifier, FailureType, Verdict, templates};
use crate::gui::batch::load::Rows;
use crate::gui::widgets::{a11y, failure_label, named, regex_problem_ui};
use crate::gui::{Action, Panel, PanelCtx};
use crate::i18n::{tr, tr_fmt, tr_n};

/// Changed verdicts listed under the counts.
pub const SHOWN_CHANGES: usize = 5;

/// A classified batch, shared with its panel (cheap to clone).
#[derive(Clone)]
pub struct BatchRef {
    /// Its rows.
    pub rows: Arc<Rows>,
    /// One verdict per row, from `classifier`.
    pub verdicts: Arc<Vec<Verdict>>,
    /// The current rules' classifier the verdicts come from.
    pub classifier: Arc<Classifier>,
    /// The run's serial number, for caches.
    pub serial: u64,
}

/// What the preview knows about the batch.
enum Effect {
    /// No classified batch with the current rules.
    NoBatch,
    /// Being measured.
    Running(Receiver<Result<RuleEffect, String>>),
    /// Measured.
    Done(Result<RuleEffect, String>),
}

/// A rule waiting for the user's go.
pub struct Proposal {
    /// Its pattern (editable).
    pub pattern: String,
    /// Its category (editable).
    pub category: String,
    /// The tester's whole text, kept as its must-match example.
    pub example: String,
    /// Where it goes: before the rule that wins the text now (last otherwise).
    pub at: usize,
    /// Made from a selection rather than the whole text.
    pub from_selection: bool,
    /// The reply code's failure type and the category it is kept for: while
    /// the category is the one proposed, the rule keeps the code's type.
    code_type: Option<(String, FailureType)>,
    /// (pattern, category, at, batch serial) the effect was measured for.
    measured: Option<(String, String, usize, u64)>,
    /// An edit not measured yet, and since when: typing in the pattern
    /// measures once the user pauses, not once per keystroke.
    edited: Option<((String, String, usize, u64), Instant)>,
    effect: Effect,
}

/// How long the rule must stay unchanged before its effect is measured again.
const EDIT_PAUSE: Duration = Duration::from_millis(300);

impl Proposal {
    /// A proposal from `source` (the selection or the whole text).
    pub fn new(
        source: &str,
        example: String,
        category: String,
        code_type: Option<FailureType>,
        at: usize,
        from_selection: bool,
    ) -> Proposal {
        let mut pattern = templates::template_pattern(&templates::normalize(source));
        // Very long texts are cut in their template: fall back on the escaped start.
        if !compile_pattern(&pattern).is_ok_and(|re| re.is_match(source)) {
            let mut cut = source.len().min(200);
            while !source.is_char_boundary(cut) {
                cut -= 1;
            }
            pattern = regex::escape(&source[..cut]);
        }
        let code_type = code_type.map(|t| (category.clone(), t));
        Proposal { pattern, category, example, at, from_selection, code_type, measured: None, edited: None, effect: Effect::NoBatch }
    }

    /// Whether the effect on the batch is still being measured.
    pub fn is_measuring(&self) -> bool {
        matches!(self.effect, Effect::Running(_))
    }

    /// The failure type the rule overrides, if any.
    pub fn failure_type(&self) -> Option<FailureType> {
        self.code_type.as_ref().filter(|(c, _)| *c == self.category).map(|&(_, t)| t)
    }

    fn rule(&self) -> BounceRule {
        let mut r = BounceRule::new(String::new(), self.pattern.clone(), self.category.clone());
        r.failure_type = self.failure_type();
        r.must_match.push(self.example.clone());
        r
    }

    /// Starts measuring when the rule or the batch changed; picks up a finished measure.
    fn refresh(&mut self, ctx: &PanelCtx, batch: Option<&BatchRef>, repaint: &egui::Context) {
        if let Effect::Running(rx) = &self.effect
            && let Ok(done) = rx.try_recv()
        {
            self.effect = Effect::Done(done);
        }
        let Some(b) = batch else {
            self.effect = Effect::NoBatch;
            self.measured = None;
            return;
        };
        let key = (self.pattern.clone(), self.category.clone(), self.at, b.serial);
        if self.measured.as_ref() == Some(&key) {
            self.edited = None;
            return;
        }
        // The first measure starts at once; later edits wait for a pause.
        if self.measured.is_some() {
            let since = match &self.edited {
                Some((k, t)) if *k == key => *t,
                _ => {
                    self.edited = Some((key, Instant::now()));
                    repaint.request_repaint_after(EDIT_PAUSE);
                    return;
                }
            };
            if since.elapsed() < EDIT_PAUSE {
                repaint.request_repaint_after(EDIT_PAUSE.saturating_sub(since.elapsed()));
                return;
            }
        }
        self.edited = None;
        self.measured = Some(key);
        let (doc, rule, at, b) = (ctx.rules.clone(), self.rule(), self.at, b.clone());
        let (tx, rx) = mpsc::channel();
        let repaint = repaint.clone();
        // A failed spawn drops `tx`: the preview then says it could not measure.
        let _ = std::thread::Builder::new().name("rule-preview".into()).spawn(move || {
            let line = |i: usize| match b.rows.detail(i) {
                Some(d) => Line::Record(&d.record),
                None => Line::Text(b.rows.text(i)),
            };
            let r = rule_effect::rule_effect(&doc, &rule, at, &b.classifier, line, &b.verdicts, SHOWN_CHANGES)
                .map_err(|e| e.problem.display_message());
            let _ = tx.send(r);
            repaint.request_repaint();
        });
        self.effect = Effect::Running(rx);
    }

    /// Draws the proposal; returns false when it is done with (inserted or cancelled).
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, batch: Option<&BatchRef>) -> bool {
        self.refresh(ctx, batch, ui.ctx());
        let mut keep = true;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new(tr("tester.proposal_title")).strong());
            ui.weak(if self.from_selection { tr("tester.proposal_from_selection") } else { tr("tester.proposal_from_text") });
            let edit = egui::TextEdit::multiline(&mut self.pattern).code_editor().desired_rows(2).desired_width(f32::INFINITY);
            named(ui.add(edit), Role::MultilineTextInput, tr("tester.proposal_pattern"));
            let compiled = compile_pattern(&self.pattern);
            match &compiled {
                Err(p) => regex_problem_ui(ui, &self.pattern, p),
                Ok(re) if !re.is_match(&self.example) => {
                    ui.colored_label(ui.visuals().warn_fg_color, tr("tester.proposal_misses_example"));
                }
                Ok(_) => {}
            }
            ui.horizontal_wrapped(|ui| {
                ui.label(tr("tester.proposal_category"));
                let shown = ctx.rules.categories.iter().find(|c| c.id == self.category).map_or(self.category.clone(), |c| c.id.clone());
                let combo = egui::ComboBox::from_id_salt("proposal_category").selected_text(shown).show_ui(ui, |ui| {
                    for c in &ctx.rules.categories {
                        ui.selectable_value(&mut self.category, c.id.clone(), format!("{} ({})", c.id, c.reason));
                    }
                });
                a11y(&combo.response, Role::ComboBox, tr("tester.proposal_category"));
                ui.label(tr_fmt("tester.proposal_position", &[("n", &(self.at + 1))]));
            });
            if let Some(t) = self.failure_type() {
                ui.weak(tr_fmt("tester.proposal_keeps_type", &[("type", &t.display_label())]));
            }
            if self.category == ctx.rules.default_category {
                // Nothing decided the text, so the proposal has no category to go on.
                ui.colored_label(ui.visuals().warn_fg_color, tr_fmt("tester.proposal_default_category", &[("id", &self.category)]));
            }
            self.effect_ui(ui, ctx, batch.map(|b| &*b.rows));
            ui.horizontal(|ui| {
                let insert = ui.add_enabled(compiled.is_ok(), egui::Button::new(tr("tester.proposal_insert")));
                if insert.on_hover_text(tr("tester.proposal_insert_tip")).clicked() {
                    ctx.act(Action::NewRuleFromText {
                        name: tr("app.rule_from_tester"),
                        pattern: self.pattern.clone(),
                        example: self.example.clone(),
                        category: self.category.clone(),
                        failure_type: self.failure_type(),
                        at: self.at,
                    });
                    ctx.act(Action::Show(Panel::BounceRules));
                    keep = false;
                }
                if ui.button(tr("tester.proposal_cancel")).clicked() {
                    keep = false;
                }
            });
        });
        keep
    }

    fn effect_ui(&self, ui: &mut Ui, ctx: &PanelCtx, rows: Option<&Rows>) {
        match &self.effect {
            Effect::NoBatch => {
                ui.weak(tr("tester.proposal_no_batch"));
            }
            Effect::Running(_) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(tr("tester.proposal_measuring"));
                });
            }
            Effect::Done(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Effect::Done(Ok(e)) => {
                let won = tr_n("tester.proposal_won", e.won, &[]);
                let changed = tr_n("tester.proposal_changed", e.changed, &[]);
                let line = tr_n("tester.proposal_effect", e.matched, &[("won", &won), ("changed", &changed)]);
                ui.label(RichText::new(line).strong());
                let b = &ctx.compiled.classifier;
                for ch in &e.examples {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(tr_fmt("tester.proposal_line", &[("n", &(ch.line + 1))]));
                        failure_label(ui, ch.before.failure_type, None);
                        ui.label(&b.category(&ch.before).id);
                        ui.label("→");
                        failure_label(ui, ch.after.failure_type, None);
                        ui.label(RichText::new(&e.classifier.category(&ch.after).id).strong());
                        if let Some(rows) = rows {
                            let text = crate::engine::lint::shorten(rows.text(ch.line), 60);
                            ui.add(egui::Label::new(RichText::new(format!("“{text}”")).weak()).truncate());
                        }
                    });
                }
                if e.changed > e.examples.len() {
                    ui.weak(tr_fmt("tester.proposal_more", &[("n", &(e.changed - e.examples.len()))]));
                }
            }
        }
    }
}
