//! The rule source sync dialog: upstream settings, "Check for updates" as a
//! selectable diff with conflicts side by side, the effect on examples, and
//! the preview shown before leaving custom mode.
//!
//! Base snapshot policy: after Apply, the next base (what was accepted from
//! upstream) is kept in memory and written next to the rule file only when the
//! document is next saved successfully. Writing it earlier would describe a
//! file on disk that does not hold the accepted rules yet, and the next check
//! would read the missing changes as local deletions. Undoing the apply
//! withdraws the pending base for the same reason.
//!
//! This file holds the state and what the actions do; `view` draws the
//! window, `diff` the changes, conflicts and effect on examples.

mod diff;
mod view;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::engine::RuleSet;
use crate::engine::diff::ReplayDiff;
use crate::engine::ruleset::Upstream;
use crate::engine::sync::{self, ChangeId, SyncReport};
use crate::i18n::{tr, tr_fmt, tr_n};

use super::document::Document;

/// Batch lines replayed at most, so the effect stays quick on the UI thread.
const MAX_EXTRA_LINES: usize = 2000;

/// What the sync dialog asks the app to do (wrapped in [`Action::Sync`]).
#[derive(Clone, Debug, PartialEq)]
pub enum SyncAction {
    /// Open the dialog and compare the document with its upstream source.
    Check,
    /// The automatic check after opening: the dialog opens only when there is
    /// something to see (an update or an error).
    CheckOnOpen,
    /// Apply the selected changes (one undo step).
    Apply,
    /// Set the upstream path; empty removes the source.
    SetUpstream(String),
    /// Turn custom mode on (`true`) or ask to leave it (`false`: preview first).
    SetCustomMode(bool),
    /// Leave custom mode after the preview.
    ConfirmLeaveCustom,
}

/// A check result and what it was made against.
struct Checked {
    report: SyncReport,
    upstream_file: PathBuf,
    /// Document generation the report was made against (cheap staleness test).
    generation: u64,
    /// The rules compared, to tell a stale report after an edit.
    local: RuleSet,
}

enum View {
    Idle,
    Error(String),
    CustomMode,
    Report(Box<Checked>),
    LeavePreview(Result<Box<Checked>, String>),
}

/// The base to write at the next save, with the rules before and after the
/// apply so an undo of the apply also withdraws it.
struct PendingBase {
    base: RuleSet,
    before: RuleSet,
    after: RuleSet,
    active: bool,
    seen_generation: u64,
}

/// State of the sync dialog; owned by the app, reset when a document opens.
pub struct SyncDialog {
    /// Whether the window is shown.
    pub open: bool,
    /// Selected change ids (non-conflicting ones by default).
    pub selection: BTreeSet<ChangeId>,
    view: View,
    extra: Vec<String>,
    effect: Option<ReplayDiff>,
    effect_dirty: bool,
    upstream_text: String,
    seen_upstream: Option<Option<PathBuf>>,
    pending: Option<PendingBase>,
    open_check_due: bool,
}

impl Default for SyncDialog {
    fn default() -> Self {
        SyncDialog {
            open: false,
            selection: BTreeSet::new(),
            view: View::Idle,
            extra: Vec::new(),
            effect: None,
            effect_dirty: false,
            upstream_text: String::new(),
            seen_upstream: None,
            pending: None,
            open_check_due: true,
        }
    }
}

/// The texts replayed besides the examples: the tester text and the first
/// batch lines.
pub fn extra_lines<'a>(tester: &str, batch: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = batch.take(MAX_EXTRA_LINES).map(str::to_owned).collect();
    if !tester.trim().is_empty() {
        v.insert(0, tester.to_owned());
    }
    v
}

impl SyncDialog {
    /// True once per document: the app then queues [`SyncAction::CheckOnOpen`].
    pub fn take_open_check(&mut self) -> bool {
        std::mem::take(&mut self.open_check_due)
    }

    /// The current report, if a check succeeded (tests, status).
    pub fn report(&self) -> Option<&SyncReport> {
        match &self.view {
            View::Report(c) => Some(&c.report),
            View::LeavePreview(Ok(c)) => Some(&c.report),
            _ => None,
        }
    }

    /// Runs a sync action on the document; returns a status bar message.
    pub fn run(&mut self, a: SyncAction, doc: &mut Document, extra: Vec<String>) -> Option<String> {
        self.extra = extra;
        match a {
            SyncAction::Check => {
                self.open = true;
                Some(self.check(doc))
            }
            SyncAction::CheckOnOpen => {
                if doc.rules.upstream.is_none() || doc.rules.custom_mode {
                    return None;
                }
                let msg = self.check(doc);
                self.open = matches!(self.view, View::Error(_)) || self.report().is_some_and(SyncReport::pending);
                Some(msg)
            }
            SyncAction::Apply => self.apply(doc),
            SyncAction::SetUpstream(text) => {
                let text = text.trim();
                let note = doc.rules.upstream.as_ref().map(|u| u.note.clone()).unwrap_or_default();
                doc.rules.upstream = (!text.is_empty()).then(|| Upstream { path: PathBuf::from(text), note });
                doc.after_structural_edit();
                if doc.rules.upstream.is_some() && !doc.rules.custom_mode {
                    self.check(doc);
                } else {
                    self.view = View::Idle;
                }
                Some(if text.is_empty() { tr("sync.upstream_removed").into() } else { tr_fmt("sync.upstream_set", &[("path", &text)]) })
            }
            SyncAction::SetCustomMode(true) => {
                doc.rules.custom_mode = true;
                doc.after_structural_edit();
                self.view = View::CustomMode;
                Some(tr("sync.custom_on").into())
            }
            SyncAction::SetCustomMode(false) => {
                if doc.rules.upstream.is_none() {
                    return self.leave_custom(doc);
                }
                self.open = true;
                self.view = View::LeavePreview(self.load(doc).map(|(up, base, file)| {
                    let report = sync::preview_leaving_custom_mode(&doc.rules, base.as_ref(), &up);
                    self.checked(doc, report, file)
                }));
                self.reset_selection();
                Some(tr("sync.leaving_status").into())
            }
            SyncAction::ConfirmLeaveCustom => self.leave_custom(doc),
        }
    }

    fn leave_custom(&mut self, doc: &mut Document) -> Option<String> {
        doc.rules.custom_mode = false;
        doc.after_structural_edit();
        if doc.rules.upstream.is_some() {
            self.open = true;
            self.check(doc);
        } else {
            self.view = View::Idle;
        }
        Some(tr("sync.custom_off").into())
    }

    fn checked(&self, doc: &Document, report: SyncReport, upstream_file: PathBuf) -> Box<Checked> {
        Box::new(Checked { report, upstream_file, generation: doc.compiled.generation, local: doc.rules.clone() })
    }

    fn reset_selection(&mut self) {
        self.selection = self.report().map(|r| r.non_conflicting_ids().into_iter().collect()).unwrap_or_default();
        self.effect_dirty = true;
    }

    /// Loads upstream and base: the pending (unsaved) base wins over the file's.
    fn load(&self, doc: &Document) -> Result<(RuleSet, Option<RuleSet>, PathBuf), String> {
        let up = doc.rules.upstream.as_ref().ok_or(tr("sync.no_upstream"))?;
        // An unsaved document resolves a relative source from the working folder.
        let doc_path = doc.path.clone().unwrap_or_else(|| PathBuf::from("untitled.ron"));
        let file = sync::resolve_upstream(&doc_path, up).map_err(|e| e.to_string())?;
        let upstream = RuleSet::load(&file).map_err(|e| e.to_string())?;
        let base = match (self.pending.as_ref().filter(|p| p.active), &doc.path) {
            (Some(p), _) => Some(p.base.clone()),
            (None, Some(p)) => sync::load_base(p).map_err(|e| tr_fmt("sync.base_damaged", &[("error", &e)]))?,
            (None, None) => None,
        };
        Ok((upstream, base, file))
    }

    fn check(&mut self, doc: &Document) -> String {
        if doc.rules.custom_mode {
            self.view = View::CustomMode;
            return tr("sync.custom_status").into();
        }
        self.view = match self.load(doc) {
            Ok((up, base, file)) => View::Report(self.checked(doc, sync::check(&doc.rules, base.as_ref(), &up), file)),
            Err(e) => View::Error(e),
        };
        self.reset_selection();
        match self.report() {
            Some(r) if r.pending() => {
                let conflicts = r.conflicts().count();
                counts_line("sync.update_status", r.changes.len() - conflicts, conflicts)
            }
            Some(_) => tr("sync.up_to_date_status").into(),
            None => tr("sync.check_failed_status").into(),
        }
    }

    fn apply(&mut self, doc: &mut Document) -> Option<String> {
        let View::Report(c) = &self.view else { return None };
        if doc.rules != c.local {
            return Some(tr("sync.changed_since").into());
        }
        let selection: Vec<ChangeId> = self.selection.iter().cloned().collect();
        let new_rules = sync::apply(&doc.rules, &c.report, &selection);
        let next_base = c.report.next_base(&selection);
        let before = std::mem::replace(&mut doc.rules, new_rules);
        let changed = before != doc.rules;
        if changed {
            doc.after_structural_edit(); // one undo step for the whole update
        }
        if let Some(base) = next_base {
            let seen_generation = doc.compiled.generation;
            self.pending = Some(PendingBase { base, before, after: doc.rules.clone(), active: true, seen_generation });
        }
        self.check(doc);
        let n = selection.len();
        Some(if changed { tr_n("sync.applied", n, &[]) } else { tr("sync.nothing_to_apply").into() })
    }

    /// Writes the pending base after a successful save of the document to
    /// `path`; returns an error message when it could not be written.
    pub fn after_save(&mut self, path: &Path, doc: &Document) -> Option<String> {
        self.track(doc, true);
        let p = self.pending.take_if(|p| p.active)?;
        sync::save_base(path, &p.base).err().map(|e| tr_fmt("sync.base_not_saved", &[("error", &e)]))
    }

    /// Follows undo / redo of an apply, which turns its pending base off / on.
    /// Compares only when the document recompiled, unless `force`d.
    fn track(&mut self, doc: &Document, force: bool) {
        let Some(p) = &mut self.pending else { return };
        if force || p.seen_generation != doc.compiled.generation {
            p.seen_generation = doc.compiled.generation;
            if doc.rules == p.after {
                p.active = true;
            } else if doc.rules == p.before {
                p.active = false;
            }
        }
    }
}

/// `key` filled with "N changes" and "M conflicts", each in its language's
/// plural form (one sentence, two counts: each count is its own message).
fn counts_line(key: &'static str, changes: usize, conflicts: usize) -> String {
    let (changes, conflicts) = (tr_n("sync.n_changes", changes, &[]), tr_n("sync.n_conflicts", conflicts, &[]));
    tr_fmt(key, &[("changes", &changes), ("conflicts", &conflicts)])
}

#[cfg(test)]
mod tests {
    use super::counts_line;
    use crate::i18n::Lang;

    #[test]
    fn each_count_takes_its_own_plural_form() {
        Lang::ENGLISH.make_current();
        assert_eq!(counts_line("sync.update_status", 1, 2), "Upstream update: 1 change, 2 conflicts");
        assert_eq!(counts_line("sync.changes_count", 3, 1), "3 changes from upstream, 1 conflict");
    }
}
