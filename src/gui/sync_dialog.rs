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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use egui::{RichText, Ui};

use super::Action;
use super::document::Document;
use super::widgets;
use crate::engine::RuleSet;
use crate::engine::diff::ReplayDiff;
use crate::engine::lint::shorten;
use crate::engine::ruleset::Upstream;
use crate::engine::sync::{self, Change, ChangeId, ChangeKind, Item, SyncReport};

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
                Some(if text.is_empty() { "Upstream source removed".into() } else { format!("Upstream source set to {text}") })
            }
            SyncAction::SetCustomMode(true) => {
                doc.rules.custom_mode = true;
                doc.after_structural_edit();
                self.view = View::CustomMode;
                Some("Custom mode on: upstream sync is off, the rules are wholly yours".into())
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
                Some("Leaving custom mode: review what upstream would change first".into())
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
        Some("Custom mode off: the rules follow their upstream source again".into())
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
        let up = doc.rules.upstream.as_ref().ok_or("This rule set names no upstream source: type a file or folder above.")?;
        // An unsaved document resolves a relative source from the working folder.
        let doc_path = doc.path.clone().unwrap_or_else(|| PathBuf::from("untitled.ron"));
        let file = sync::resolve_upstream(&doc_path, up).map_err(|e| e.to_string())?;
        let upstream = RuleSet::load(&file).map_err(|e| e.to_string())?;
        let base = match (self.pending.as_ref().filter(|p| p.active), &doc.path) {
            (Some(p), _) => Some(p.base.clone()),
            (None, Some(p)) => sync::load_base(p).map_err(|e| format!("The last sync's snapshot is damaged: {e}"))?,
            (None, None) => None,
        };
        Ok((upstream, base, file))
    }

    fn check(&mut self, doc: &Document) -> String {
        if doc.rules.custom_mode {
            self.view = View::CustomMode;
            return "Custom mode: upstream sync is off".into();
        }
        self.view = match self.load(doc) {
            Ok((up, base, file)) => View::Report(self.checked(doc, sync::check(&doc.rules, base.as_ref(), &up), file)),
            Err(e) => View::Error(e),
        };
        self.reset_selection();
        match self.report() {
            Some(r) if r.pending() => {
                let conflicts = r.conflicts().count();
                format!("Upstream update: {} change(s), {conflicts} conflict(s)", r.changes.len() - conflicts)
            }
            Some(_) => "Upstream: up to date".into(),
            None => "Upstream check failed: see File > Check for updates".into(),
        }
    }

    fn apply(&mut self, doc: &mut Document) -> Option<String> {
        let View::Report(c) = &self.view else { return None };
        if doc.rules != c.local {
            return Some("The document changed since the check: check again first".into());
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
        Some(if changed {
            format!("Applied {n} upstream change(s) as one step (Ctrl+Z undoes it); saved with the next Save")
        } else {
            "Nothing to apply".into()
        })
    }

    /// Writes the pending base after a successful save of the document to
    /// `path`; returns an error message when it could not be written.
    pub fn after_save(&mut self, path: &Path, doc: &Document) -> Option<String> {
        self.track(doc, true);
        let p = self.pending.take_if(|p| p.active)?;
        sync::save_base(path, &p.base).err().map(|e| format!("The rules were saved, but the sync snapshot was not:\n{e}"))
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
        egui::Window::new("Rule source sync")
            .open(&mut open)
            .default_size([900.0, 620.0])
            .collapsible(false)
            .show(ctx, |ui| self.body(ui, doc, actions));
        self.open &= open;
    }

    fn body(&mut self, ui: &mut Ui, doc: &Document, actions: &mut Vec<Action>) {
        let sync_act = |actions: &mut Vec<Action>, a| actions.push(Action::Sync(a));
        ui.horizontal(|ui| {
            ui.label("Upstream source (file or folder):");
            let r =
                ui.add(egui::TextEdit::singleline(&mut self.upstream_text).desired_width(360.0).hint_text("shared/rules.ron or a folder"));
            widgets::a11y(&r, egui::Role::TextInput, "Upstream path");
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let now = doc.rules.upstream.as_ref().map(|u| u.path.display().to_string()).unwrap_or_default();
            let differs = self.upstream_text.trim() != now;
            if ui.add_enabled(differs, egui::Button::new("Use this source")).clicked() || (enter && differs) {
                sync_act(actions, SyncAction::SetUpstream(self.upstream_text.clone()));
            }
            if ui.add_enabled(!doc.rules.custom_mode, egui::Button::new("Check again")).clicked() {
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
                ui.label("Not checked yet. Name a source above, then Check again.");
            }
            View::Error(e) => {
                ui.label(RichText::new("Could not check for updates:").strong().color(widgets::error_color(ui)));
                ui.label(RichText::new(e).monospace().color(widgets::error_color(ui)));
            }
            View::CustomMode => {
                ui.label(RichText::new("Custom mode: upstream sync is off.").strong());
                ui.label("The rules are wholly yours; nothing is compared with the source.");
                if ui.button("Leave custom mode…").clicked() {
                    sync_act(actions, SyncAction::SetCustomMode(false));
                }
            }
            View::LeavePreview(Err(e)) => {
                ui.label(RichText::new("Leaving custom mode: the source could not be read.").strong());
                ui.label(RichText::new(e).monospace().color(widgets::error_color(ui)));
                self.leave_buttons(ui, actions);
            }
            View::LeavePreview(Ok(c)) => {
                ui.label(RichText::new("Leaving custom mode: upstream would change…").strong());
                ui.label(format!("Source: {}", c.upstream_file.display()));
                ui.add_space(4.0);
                let h = (ui.available_height() - 40.0).max(120.0);
                egui::ScrollArea::vertical().max_height(h).show(ui, |ui| {
                    if c.report.pending() {
                        for ch in &c.report.changes {
                            ui.label(change_title(ch));
                        }
                    } else {
                        ui.label("Nothing: the document already matches upstream.");
                    }
                    effect_ui(ui, self.effect.as_ref());
                });
                ui.separator();
                self.leave_buttons(ui, actions);
            }
            View::Report(c) => {
                let r = &c.report;
                ui.label(format!("Source: {}", c.upstream_file.display()));
                if r.base.is_none() {
                    ui.weak("First sync: no snapshot yet, so every rule that differs from upstream is a conflict.");
                }
                if stale {
                    ui.label(
                        RichText::new("The document changed since this check: Check again before applying.")
                            .color(ui.visuals().warn_fg_color),
                    );
                }
                if !r.pending() {
                    ui.label(RichText::new("Up to date: upstream has nothing new.").strong());
                    return;
                }
                let conflicts = r.conflicts().count();
                ui.label(
                    RichText::new(format!("{} change(s) from upstream, {conflicts} conflict(s)", r.changes.len() - conflicts)).strong(),
                );
                let mut sel_changed = false;
                ui.horizontal(|ui| {
                    if ui.button("Select all").clicked() {
                        self.selection = r.non_conflicting_ids().into_iter().collect();
                        sel_changed = true;
                    }
                    if ui.button("Select none").clicked() {
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
                        ui.heading("Conflicts (your version is kept unless you take upstream)");
                        for (i, ch) in r.conflicts().enumerate() {
                            ui.add_space(4.0);
                            ui.label(RichText::new(change_title(ch)).strong().color(ui.visuals().warn_fg_color));
                            let mut on = self.selection.contains(&ch.id);
                            let resp = ui.checkbox(&mut on, "Take upstream");
                            widgets::a11y(
                                &resp,
                                egui::Role::CheckBox,
                                &format!("Take upstream for {} '{}'", ch.id.kind.label(), ch.id.key),
                            );
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
                    let label = format!("Apply selected ({})", self.selection.len());
                    if ui.add_enabled(!stale && !self.selection.is_empty(), egui::Button::new(label)).clicked() {
                        sync_act(actions, SyncAction::Apply);
                    }
                    if ui.button("Close").clicked() {
                        self.open = false;
                    }
                });
            }
        }
    }

    fn leave_buttons(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            if ui.button("Leave custom mode").clicked() {
                actions.push(Action::Sync(SyncAction::ConfirmLeaveCustom));
            }
            if ui.button("Cancel (stay in custom mode)").clicked() {
                self.view = View::CustomMode;
                self.open = false;
            }
        });
    }
}

fn toggle(sel: &mut BTreeSet<ChangeId>, id: &ChangeId, on: bool) {
    if on {
        sel.insert(id.clone());
    } else {
        sel.remove(id);
    }
}

/// One line naming a change in plain words.
fn change_title(c: &Change) -> String {
    let what = format!("{} '{}'", c.id.kind.label(), c.id.key);
    match &c.kind {
        ChangeKind::Added => format!("Added upstream: {what}"),
        ChangeKind::Removed => format!("Removed upstream: {what}"),
        ChangeKind::Changed => format!("Changed upstream: {what}"),
        ChangeKind::Moved { after: Some(a) } => format!("Moved upstream: {what} now after '{a}'"),
        ChangeKind::Moved { after: None } => format!("Moved upstream: {what} now first"),
        ChangeKind::Conflict(k) => format!("Conflict: {what}: {}", k.describe()),
    }
}

/// Field by field details under a change's checkbox.
fn change_detail(ui: &mut Ui, c: &Change, i: usize, levels: &[String; 6]) {
    match (&c.kind, &c.upstream) {
        (ChangeKind::Added, Some(item)) => {
            let fields = item_fields(item, levels);
            let short: Vec<String> = fields.iter().take(3).map(|(f, v)| format!("{f}: {v}")).collect();
            ui.weak(short.join("   "));
        }
        (ChangeKind::Changed, _) => {
            egui::Grid::new(("sync_fields", i)).num_columns(3).spacing([16.0, 2.0]).show(ui, |ui| {
                for f in &c.fields {
                    ui.label(&f.field);
                    // Long patterns are cut around where they differ, so the change shows.
                    let at = first_diff(&f.old, &f.new);
                    ui.label(RichText::new(window(&f.old, at, 60)).monospace().weak());
                    ui.label(RichText::new(format!("→ {}", window(&f.new, at, 60))).monospace());
                    ui.end_row();
                }
            });
        }
        _ => {}
    }
}

/// Base, local and upstream versions in columns; cells where upstream
/// differs from the local version are highlighted.
fn side_by_side(ui: &mut Ui, c: &Change, i: usize, levels: &[String; 6]) {
    let cols: Vec<Vec<(String, String)>> =
        [&c.base, &c.local, &c.upstream].iter().map(|s| s.as_ref().map(|it| item_fields(it, levels)).unwrap_or_default()).collect();
    let names: Vec<String> = cols.iter().max_by_key(|c| c.len()).map(|c| c.iter().map(|(f, _)| f.clone()).collect()).unwrap_or_default();
    let value = |col: usize, f: &str| cols[col].iter().find(|(n, _)| n == f).map(|(_, v)| v.clone());
    let missing = ["(no previous sync)", "(deleted locally)", "(removed upstream)"];
    egui::Grid::new(("sync_conflict", i)).num_columns(4).striped(true).spacing([16.0, 2.0]).show(ui, |ui| {
        ui.strong("Field");
        for h in ["Last sync", "Yours", "Upstream"] {
            ui.strong(h);
        }
        ui.end_row();
        for f in &names {
            ui.label(f);
            let local = value(1, f);
            let vals: Vec<String> = (0..3).filter_map(|c| value(c, f)).collect();
            let at = vals.windows(2).map(|w| first_diff(&w[0], &w[1])).min().unwrap_or(0);
            for (col, miss) in missing.iter().enumerate() {
                let v = value(col, f);
                let shown = v.as_deref().map_or_else(|| (*miss).to_owned(), |v| window(v, at, 44));
                let mut text = RichText::new(shown).monospace();
                if col == 2 && v != local {
                    text = text.color(ui.visuals().warn_fg_color).strong();
                }
                ui.label(text);
            }
            ui.end_row();
        }
    });
}

/// Every field of a rule as (name, value) for the side-by-side view.
fn item_fields(item: &Item, levels: &[String; 6]) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut push = |f: &str, val: String| v.push((f.to_owned(), val));
    match item {
        Item::Bounce(r) => {
            push("pattern", r.pattern.clone());
            push("category", r.category.clone());
            push("reason", r.reason.clone().unwrap_or_else(|| "-".into()));
            push("failure type", r.failure_type.map_or("-", |t| t.label()).to_owned());
            push("status", r.status.label().to_owned());
            push("enabled", r.enabled.to_string());
            push("examples", format!("{} must match, {} must not", r.must_match.len(), r.must_not_match.len()));
            push("note", r.note.clone());
        }
        Item::Mx(m) => {
            push("mask", m.mask.clone());
            push("ids", m.ids.map_or_else(|| "all".to_owned(), |r| format!("{}-{}", r.first, r.last)));
            push("shared", m.shared.to_string());
            for (name, l) in levels.iter().zip(&m.levels) {
                push(name, format!("{} conn, {}/conn, {}/h", l.max_connections, l.max_msgs_per_connection, l.msgs_per_hour));
            }
            let t = m.timeouts;
            push("timeouts", format!("{} s / {} s / {} s", t.connect_secs, t.session_secs, t.between_msgs_secs));
            push("TLS", m.tls.label().to_owned());
            push("note", m.note.clone());
        }
    }
    v
}

/// Index (in chars) of the first difference of two texts.
fn first_diff(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Up to `n` chars of `s` around char `at`, with ellipses where cut.
fn window(s: &str, at: usize, n: usize) -> String {
    let len = s.chars().count();
    if len <= n {
        return s.to_owned();
    }
    let start = at.saturating_sub(n / 3).min(len - n);
    let mut out: String = s.chars().skip(start).take(n).collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if start + n < len {
        out.push('…');
    }
    out
}

/// How verdicts of the examples (and the tester / batch texts) would change.
fn effect_ui(ui: &mut Ui, effect: Option<&ReplayDiff>) {
    let Some(e) = effect else { return };
    ui.add_space(8.0);
    ui.heading("Effect on examples");
    if e.changed == 0 {
        ui.label(format!("None of {} verdicts change.", e.total));
        return;
    }
    ui.label(format!("{} of {} verdicts change:", e.changed, e.total));
    for g in &e.groups {
        ui.label(RichText::new(format!("{} x  {}  →  {}", g.count, g.old, g.new)).strong());
        for ex in g.examples.iter().take(3) {
            ui.indent("ex", |ui| ui.weak(shorten(ex, 110)));
        }
    }
}
