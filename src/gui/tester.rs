//! Live tester: paste a reply or a whole bounce, see the verdict as you type.
//! A batch row from an email brings its whole email along ([`email`]).

pub mod email;
pub mod new_rule;
pub mod why;

pub use email::{EmailInTester, EmailRecipient};
pub use new_rule::BatchRef;

use crate::i18n::{tr, tr_fmt, tr_n};
use egui::{RichText, Ui};

use super::widgets::{failure_label, highlighted_job};
use super::{Action, PanelCtx};
use crate::engine::Explanation;
use crate::engine::classify::{Classifier, Span};
use crate::engine::explain::Why;

/// Pastes larger than this are held back: the live tester lays out and
/// re-classifies the whole text every keystroke.
pub const MAX_LIVE_BYTES: usize = 256 * 1024;

/// State of the tester panel.
pub struct TesterPanel {
    /// The text under test.
    pub text: String,
    /// A paste too large for live testing, kept so nothing is lost.
    pub held_paste: Option<String>,
    /// The email a batch row came from, shown above the text.
    pub email: Option<email::EmailView>,
    /// A rule proposed by "Make a rule from this", waiting for Insert.
    pub proposal: Option<new_rule::Proposal>,
    cache: Option<(u64, u64, Explanation, Why)>,
    /// The text read as a bounce email, per (rules generation, text version).
    pasted: Option<(u64, u64, Option<email::PastedEmail>)>,
    text_version: u64,
    selection: Option<std::ops::Range<usize>>,
}

impl Default for TesterPanel {
    fn default() -> Self {
        TesterPanel {
            text: "550 5.1.1 <someone@example.com>: Recipient address rejected: User unknown in local recipient table".into(),
            held_paste: None,
            email: None,
            proposal: None,
            cache: None,
            pasted: None,
            text_version: 0,
            selection: None,
        }
    }
}

impl TesterPanel {
    /// Replaces the text (gallery, batch, "load in tester").
    pub fn set_text(&mut self, text: String) {
        self.email = None;
        if text.len() > MAX_LIVE_BYTES {
            self.held_paste = Some(text);
            // The box must not go on showing the text tested before as if it were this one.
            self.text.clear();
            self.text_version += 1;
        } else {
            self.text = text;
            self.text_version += 1;
        }
        self.selection = None;
    }

    /// Puts `text` in the box with a rule proposed from the whole of it (a batch
    /// cluster's line): the user sees its effect on the batch, then inserts or cancels.
    pub fn propose(&mut self, text: String, category: String, code_type: Option<crate::engine::ruleset::FailureType>, at: usize) {
        self.set_text(text.clone());
        self.proposal = Some(new_rule::Proposal::new(&text, text.clone(), category, code_type, at, false));
    }

    /// Shows an email with the recipient's part highlighted; the text box
    /// gets what the rules read for that recipient.
    pub fn show_email(&mut self, row: EmailInTester) {
        self.set_text(row.recipient().text.clone());
        self.email = Some(email::EmailView::new(row));
    }

    /// The current text read as a bounce email, when it is one (a paste).
    pub fn pasted_email(&mut self, ctx: &PanelCtx) -> Option<&email::PastedEmail> {
        if self.email.is_some() {
            return None;
        }
        let key = (ctx.compiled.generation, self.text_version);
        if self.pasted.as_ref().is_none_or(|(g, v, _)| (*g, *v) != key) {
            let read = email::read_pasted(&self.text, &ctx.compiled.classifier);
            self.pasted = Some((key.0, key.1, read));
        }
        self.pasted.as_ref().and_then(|(_, _, p)| p.as_ref())
    }

    /// Shows recipient `k` of the email in view.
    pub fn pick_recipient(&mut self, k: usize) {
        let Some(view) = &mut self.email else { return };
        view.pick(k);
        self.text = view.row.recipient().text.clone();
        self.text_version += 1;
        self.selection = None;
    }

    /// Closes the email view; a pasted email goes back in the text box.
    pub fn close_email(&mut self) {
        if let Some(pasted) = self.email.take().and_then(|v| v.row.pasted) {
            self.text = pasted;
        }
        self.text_version += 1;
        self.selection = None;
    }

    /// The explanation of the current text against the current rules.
    pub fn explanation(&mut self, ctx: &PanelCtx) -> &Explanation {
        self.explained(ctx).0
    }

    /// The explanation and why, for the current text and rules.
    pub fn explained(&mut self, ctx: &PanelCtx) -> (&Explanation, &Why) {
        let key = (ctx.compiled.generation, self.text_version);
        let stale = self.cache.as_ref().is_none_or(|(g, v, _, _)| (*g, *v) != key);
        if stale {
            let c = &ctx.compiled.classifier;
            // A recipient of an email is read in the phase the email gives, as the batch reads it.
            let phase = self.email.as_ref().and_then(|v| v.row.recipient().phase);
            let e = c.explain_in_phase(&self.text, phase);
            let w = crate::engine::explain::why(ctx.rules, c, &e, &self.text);
            self.cache = Some((key.0, key.1, e, w));
        }
        let (_, _, e, w) = self.cache.as_ref().expect("filled above");
        (e, w)
    }

    /// Draws the panel; `batch` is the batch classified with the current
    /// rules, for the new-rule preview.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, batch: Option<&BatchRef>) {
        ui.heading(tr("panel.tester"));
        ui.label(tr("tester.intro"));
        self.held_paste_ui(ui, ctx);

        let edit_id = ui.make_persistent_id("tester_text");
        self.intercept_large_paste(ui, edit_id);

        if let Some(view) = &mut self.email {
            let h = (ui.available_height() * 0.35).max(80.0);
            match view.ui(ui, h) {
                Some(email::ViewEvent::Close) => self.close_email(),
                Some(email::ViewEvent::Pick(k)) => self.pick_recipient(k),
                None => {}
            }
        }
        let classifier = ctx.compiled.classifier.clone();
        if let Some(pasted) = self.pasted_email(ctx)
            && let Some(k) = email::pasted_ui(ui, pasted, &classifier)
        {
            let mut row = pasted.email.clone();
            row.current = k;
            self.show_email(row);
        }
        let (winners, others) = {
            let (e, w) = self.explained(ctx);
            // Every span of the winning pattern, not only the leftmost.
            let mut winners: Vec<Span> = w.pattern.as_ref().map(|p| p.spans.clone()).unwrap_or_default();
            if winners.is_empty() {
                winners.extend(e.verdict.span);
            }
            let others: Vec<_> = e.matches.iter().skip(1).map(|m| m.span).collect();
            (winners, others)
        };
        let mut layouter = |ui: &Ui, text: &dyn egui::TextBuffer, wrap: f32| {
            let job = highlighted_job(ui, text.as_str(), &winners, &others, wrap);
            ui.fonts_mut(|f| f.layout_job(job))
        };
        let avail = ui.available_height();
        let output = egui::ScrollArea::vertical()
            .id_salt("tester_scroll")
            .max_height((avail * 0.4).max(90.0))
            .show(ui, |ui| {
                egui::TextEdit::multiline(&mut self.text)
                    .id(edit_id)
                    .desired_width(f32::INFINITY)
                    .desired_rows(5)
                    .hint_text("550 5.1.1 <a@example.com>: User unknown")
                    .layouter(&mut layouter)
                    .show(ui)
            })
            .inner;
        output.response.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr("tester.a11y_text")));
        super::widgets::mark_scratch_text(&output.response.response);
        if output.response.response.changed() {
            self.text_version += 1;
        }
        // The selection outlives the focus: clicking "Make a rule" takes the focus away.
        let focused = output.response.response.has_focus() || output.response.response.changed();
        if focused {
            self.selection = output.cursor_range.filter(|r| !r.is_empty()).map(|r| {
                let chars = r.as_sorted_char_range();
                let byte = |c: usize| self.text.char_indices().nth(c).map_or(self.text.len(), |(b, _)| b);
                byte(chars.start.0)..byte(chars.end.0)
            });
        }

        ui.add_space(6.0);
        // The verdict, its explanation and the rule maker scroll under the text box: at
        // 700 px (and in presentation mode's large type) they are taller than what is left.
        egui::ScrollArea::vertical().id_salt("tester_verdict_scroll").auto_shrink([false, true]).show(ui, |ui| {
            self.verdict_ui(ui, ctx, batch);
        });
    }

    fn held_paste_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let Some(held) = &self.held_paste else { return };
        let (len, lines) = (held.len(), held.lines().count());
        let mut take = None;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(tr_fmt("tester.held", &[("mb", &format_args!("{:.1}", len as f64 / 1e6)), ("lines", &lines)]))
                    .color(ui.visuals().warn_fg_color),
            );
            ui.horizontal(|ui| {
                if ui.button(tr("tester.test_first_line")).clicked() {
                    take = Some(true);
                }
                if ui.button(tr_fmt("tester.load_first", &[("kb", &(MAX_LIVE_BYTES / 1024))])).clicked() {
                    take = Some(false);
                }
                if ui.button(tr("tester.send_to_batch")).on_hover_text(tr("tester.send_to_batch_tip")).clicked()
                    && let Some(all) = self.held_paste.take()
                {
                    ctx.act(Action::SendToBatch(all));
                }
                if ui.button(tr("tester.discard")).clicked() {
                    take = None;
                    self.held_paste = None;
                }
            });
        });
        // Taken only on a press: a tuple `(take, self.held_paste.take())` emptied the hold on
        // every frame, so a large paste vanished unseen (review finding).
        if let Some(first_line) = take
            && let Some(held) = self.held_paste.take()
        {
            let mut cut = if first_line { held.lines().next().unwrap_or("").len() } else { MAX_LIVE_BYTES };
            cut = cut.min(held.len());
            while !held.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text = held[..cut].to_owned();
            self.text_version += 1;
        }
    }

    /// Takes huge pastes out of the input before the text box sees them.
    fn intercept_large_paste(&mut self, ui: &mut Ui, edit_id: egui::Id) {
        if !ui.memory(|m| m.has_focus(edit_id)) {
            return;
        }
        let mut held = None;
        ui.input_mut(|i| {
            i.events.retain(|e| match e {
                egui::Event::Paste(s) if s.len() + self.text.len() > MAX_LIVE_BYTES => {
                    held = Some(s.clone());
                    false
                }
                _ => true,
            })
        });
        if held.is_some() {
            self.held_paste = held;
        }
    }

    /// What the verdict below does not say by itself: that the email decides the
    /// recipient shown, that a pasted email's recipients have verdicts of their own,
    /// that broken rules were skipped.
    fn notes_ui(&self, ui: &mut Ui, c: &Classifier) {
        let warn = ui.visuals().warn_fg_color;
        match &self.email {
            Some(view) => {
                if let Some(id) = view.row.recipient().own_category {
                    ui.colored_label(warn, tr_fmt("tester.own_category", &[("id", &id)]));
                }
            }
            None if self.pasted.as_ref().is_some_and(|(_, _, p)| p.is_some()) => {
                ui.weak(tr("tester.pasted_whole"));
            }
            None => {}
        }
        // A rule can have several problems; it is named once.
        let skipped = c.skipped_rules();
        if !skipped.is_empty() {
            let list = skipped.iter().take(5).map(|r| format!("#{}", r + 1)).collect::<Vec<_>>().join(", ");
            ui.colored_label(warn, tr_n("tester.skipped_rules", skipped.len(), &[("list", &list)]));
        }
    }

    fn verdict_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, batch: Option<&BatchRef>) {
        let c = ctx.compiled.classifier.clone();
        let (e, why) = self.explained(ctx);
        let (e, why) = (e.clone(), why.clone());
        let v = e.verdict;
        self.notes_ui(ui, &c);
        let big = 26.0;
        ui.horizontal_wrapped(|ui| {
            failure_label(ui, v.failure_type, Some(big));
            ui.label(RichText::new("·").size(big));
            ui.label(RichText::new(c.reason(&v).display_label()).size(big).strong());
            ui.label(RichText::new(format!("({})", c.category(&v).id)).size(16.0).weak());
        });
        ui.label(RichText::new(c.quarantine_text(&v)).size(16.0));
        ui.label(RichText::new(super::export_dialog::targets_line(ctx.rules, &v)).weak());
        ui.horizontal_wrapped(|ui| {
            let code = |o: Option<String>| o.unwrap_or_else(|| "—".into());
            ui.label(tr_fmt("tester.reply_code", &[("code", &code(v.basic_code.map(|c| c.to_string())))]));
            ui.separator();
            ui.label(tr_fmt("tester.enhanced_code", &[("code", &code(v.enhanced_code.map(|c| c.to_string())))]));
            if e.reply.is_dsn {
                ui.separator();
                ui.label(tr("tester.dsn"));
            }
        });
        ui.separator();
        why::why_ui(ui, ctx, &c, &why);
        ui.add_space(4.0);
        if !e.matches.is_empty() {
            ui.label(RichText::new(tr("tester.matching")).strong());
            let winner = e.matches[0].rule;
            egui::ScrollArea::vertical().id_salt("tester_matches").max_height(160.0).show(ui, |ui| {
                for (k, m) in e.matches.iter().enumerate() {
                    let name = ctx.rules.bounce_rules.get(m.rule).map_or("?", |r| r.name.as_str());
                    let snippet = self.text.get(m.span.start..m.span.end).unwrap_or("");
                    let status = if k == 0 { tr("rules.wins").to_owned() } else { tr_fmt("tester.shadowed", &[("n", &(winner + 1))]) };
                    let label = format!("#{} {name} — {status} — “{}”", m.rule + 1, crate::engine::lint::shorten(snippet, 40));
                    let text = if k == 0 { RichText::new(label).strong() } else { RichText::new(label).weak() };
                    if ui.link(text).on_hover_text(tr("tester.select_tip")).clicked() {
                        ctx.act(Action::SelectRule(m.rule));
                    }
                }
            });
        }
        ui.add_space(4.0);
        if let Some(p) = &mut self.proposal {
            if !p.ui(ui, ctx, batch) {
                self.proposal = None;
            }
            return;
        }
        let sel = self.selection.clone().filter(|r| r.end <= self.text.len());
        // A whole raw email makes a rule that matches nothing else: without a selection, a
        // pasted email's rule is made from its first recipient's text, as the rules read it.
        let first = match (&sel, &self.pasted) {
            (None, Some((_, _, Some(p)))) => p.email.recipients.first().zip(p.verdicts.first()).map(|(r, v)| (r.text.clone(), *v)),
            _ => None,
        };
        let (source, example, v) = match &first {
            Some((text, v)) => (text.trim(), text.clone(), *v),
            None => (sel.as_ref().map_or(self.text.trim(), |r| self.text[r.clone()].trim()), self.text.clone(), v),
        };
        let tip = match (&sel, &first) {
            (Some(_), _) => tr("tester.new_rule_selection"),
            (None, Some(_)) => tr("tester.new_rule_pasted"),
            (None, None) => tr("tester.new_rule_whole"),
        };
        if ui.add_enabled(!source.is_empty(), egui::Button::new(tr("tester.make_rule"))).on_hover_text(tip).clicked() {
            // Before the rule that wins the text now, so the new one wins it.
            let at = v.rule.unwrap_or(ctx.rules.bounce_rules.len());
            let category = c.category(&v).id.clone();
            let code_type = crate::engine::rule_effect::kept_failure_type(&c, &v);
            self.proposal = Some(new_rule::Proposal::new(source, example, category, code_type, at, sel.is_some()));
        }
    }
}
