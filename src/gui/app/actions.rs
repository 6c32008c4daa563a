//! The actions panels ask for, and what opening, saving and confirming do.

use std::path::Path;

use super::{AfterConfirm, BounceLabApp, is_shipped_default};
use crate::engine::{self, BounceRule, RuleSet};
use crate::gui::bounce_rules::BounceRulesPanel;
use crate::gui::document::Document;
use crate::gui::export_dialog::ExportAction;
use crate::gui::files::{self, Purpose};
use crate::gui::sync_dialog::{self, SyncDialog};
use crate::gui::{Action, Panel};
use crate::i18n::{tr, tr_fmt};

impl BounceLabApp {
    /// Runs one action (public for tests).
    pub fn run_action(&mut self, a: Action, ctx: &egui::Context) {
        match a {
            Action::Show(p) => self.settings.panel = p,
            Action::SelectRule(i) => {
                self.settings.panel = Panel::BounceRules;
                self.rules_panel.select(i);
            }
            Action::SelectMxRule(i) => {
                self.settings.panel = Panel::MxRules;
                self.mx_rules.select(i);
            }
            Action::LoadInTester(t) if self.settings.presentation => self.tester.set_text(t),
            Action::LoadInTester(t) => {
                self.tester.set_text(t);
                // A folded tester beside the rules unfolds to show the text.
                self.rules_panel.tester_unfolded |= self.rules_panel.tester_folded;
                if !(self.settings.panel == Panel::BounceRules && self.settings.tester_beside_rules) {
                    self.settings.panel = Panel::Tester;
                }
            }
            Action::LoadEmailInTester(row) => {
                self.tester.show_email(*row);
                self.settings.panel = Panel::Tester;
            }
            Action::BatchOpenDialog { folder } => {
                if self.typed_dialogs {
                    self.batch.no_native_dialog();
                } else {
                    self.batch.await_pick(files::pick_batch_inputs(folder, ctx));
                }
            }
            Action::ProposeRule { text, category, failure_type, at } => {
                self.tester.propose(text, category, failure_type, at);
                self.settings.panel = Panel::Tester;
                self.status = tr("status.rule_proposed").into();
            }
            Action::NewRuleFromText { name, pattern, example, category, failure_type, at } => {
                let rules = &mut self.document.rules;
                let mut r = BounceRule::new(rules.unique_rule_name(name), pattern, category);
                r.failure_type = failure_type;
                r.status = engine::ruleset::RuleStatus::ToQualify;
                r.must_match.push(example);
                let at = at.min(rules.bounce_rules.len());
                rules.bounce_rules.insert(at, r);
                self.document.after_structural_edit();
                self.rules_panel.select(at);
                self.status = tr_fmt("status.rule_from_tester", &[("n", &(at + 1))]);
            }
            Action::Open => self.confirm_then(AfterConfirm::Open, ctx),
            Action::OpenPath(p) => self.confirm_then(AfterConfirm::OpenPath(p), ctx),
            Action::New => self.confirm_then(AfterConfirm::New, ctx),
            Action::Save => match self.document.path.clone().filter(|p| !is_shipped_default(p)) {
                Some(p) => {
                    self.save_to(&p);
                }
                None => self.start_picker(Purpose::SaveAs, ctx),
            },
            Action::SaveAs => self.start_picker(Purpose::SaveAs, ctx),
            Action::Undo => {
                self.status = if self.document.undo() { tr("status.undone").into() } else { tr("status.nothing_to_undo").into() };
            }
            Action::Redo => {
                self.status = if self.document.redo() { tr("status.redone").into() } else { tr("status.nothing_to_redo").into() };
            }
            Action::Status(s) => self.status = s,
            Action::BatchHits(hits) => {
                // Only hits of the current rules; recording them recompiles the same rules,
                // which the batch adopts instead of running again.
                if self.batch.is_current(&self.document.compiled.classifier) {
                    self.document.set_batch_hits(Some(hits));
                    self.batch.adopt(self.document.compiled.classifier.clone());
                }
            }
            Action::SendToBatch(text) => {
                self.batch.load_text(text, ctx);
                self.settings.panel = Panel::Batch;
            }
            Action::Sync(a) => {
                let batch = self.batch.lines().map(|l| l.texts()).into_iter().flatten();
                let extra = sync_dialog::extra_lines(&self.tester.text, batch);
                if let Some(s) = self.sync.run(a, &mut self.document, extra) {
                    self.status = s;
                }
            }
            Action::Export(ExportAction::Browse) => self.start_export_picker(ctx),
            Action::Export(ExportAction::Write) => self.export.write(&self.document.rules, ctx, false),
            Action::Export(ExportAction::Overwrite) => self.export.write(&self.document.rules, ctx, true),
            Action::Export(ExportAction::KeepExisting) => self.export.confirm = None,
        }
    }

    fn confirm_then(&mut self, next: AfterConfirm, ctx: &egui::Context) {
        if self.document.is_dirty() {
            self.confirm = Some(next);
        } else {
            self.proceed(next, ctx);
        }
    }

    pub(super) fn proceed(&mut self, next: AfterConfirm, ctx: &egui::Context) {
        match next {
            AfterConfirm::Open => self.start_picker(Purpose::Open, ctx),
            AfterConfirm::OpenPath(p) => self.open_path(&p),
            AfterConfirm::New => {
                let mut doc = engine::default_rules();
                doc.name = tr("app.untitled").into();
                doc.bounce_rules.clear();
                doc.mx_rules.clear();
                self.document = Document::new(doc, None);
                self.sync = SyncDialog::default();
                self.rules_panel = BounceRulesPanel::default();
                self.status = tr("status.new_doc").into();
            }
            AfterConfirm::Close => {
                self.allow_close = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    /// Opens a rule file; on failure the current document stays open.
    pub fn open_path(&mut self, p: &Path) {
        match RuleSet::load(p) {
            Ok(doc) => {
                self.document = Document::new(doc, Some(p.to_owned()));
                self.sync = SyncDialog::default();
                self.rules_panel = BounceRulesPanel::default();
                self.settings.push_recent(p.to_owned());
                self.status = tr_fmt("status.opened", &[("name", &p.display())]);
            }
            Err(e) => self.error = Some(tr_fmt("dialog.open_failed", &[("e", &e)])),
        }
    }

    /// Saves to `p` atomically; on failure nothing is lost and a dialog says why.
    pub fn save_to(&mut self, p: &Path) -> bool {
        match self.document.rules.save(p) {
            Ok(()) => {
                self.document.mark_saved(p.to_owned());
                if let Some(e) = self.sync.after_save(p, &self.document) {
                    self.error = Some(e);
                }
                self.settings.push_recent(p.to_owned());
                self.status = tr_fmt("status.saved", &[("name", &p.display())]);
                true
            }
            Err(e) => {
                self.error = Some(tr_fmt("dialog.save_failed", &[("e", &e)]));
                false
            }
        }
    }
}
