//! File → Export…: bounce rules for KumoMTA / PowerMTA / CSV / JSON, or the
//! MX rules at one level as KumoMTA shaping or PowerMTA domains, written to a
//! typed (or picked) path, with the verification report of the MTA formats.
//!
//! The window only asks: writing and verifying happen in [`ExportDialog::run`],
//! called by the app for an [`Action::Export`](super::Action::Export).

use std::path::PathBuf;

use egui::{RichText, Ui};

use crate::engine::interchange::{self, Format, pmta_domains, shaping, verify};
use crate::engine::mx::ThroughputLevel;
use crate::engine::{RuleSet, Verdict};
use crate::i18n::{tr, tr_fmt, tr_n};

/// What the dialog exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExportKind {
    /// KumoMTA bounce classifier.
    #[default]
    KumoMta,
    /// PowerMTA bounce categories.
    PowerMta,
    /// CSV of the bounce rules.
    Csv,
    /// JSON of the bounce rules.
    Json,
    /// KumoMTA traffic shaping from the MX rules.
    KumoShaping,
    /// PowerMTA `<domain>` blocks from the MX rules.
    PowerMtaDomains,
}

impl ExportKind {
    /// Every kind, in menu order.
    pub const ALL: [ExportKind; 6] = [
        ExportKind::KumoMta,
        ExportKind::PowerMta,
        ExportKind::Csv,
        ExportKind::Json,
        ExportKind::KumoShaping,
        ExportKind::PowerMtaDomains,
    ];

    /// The CLI name, shown as is (it is also what scripts type).
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::KumoMta => "kumomta",
            ExportKind::PowerMta => "powermta",
            ExportKind::Csv => "csv",
            ExportKind::Json => "json",
            ExportKind::KumoShaping => "kumomta-shaping",
            ExportKind::PowerMtaDomains => "powermta-domains",
        }
    }

    /// What it holds, in the current language.
    pub fn label(self) -> &'static str {
        tr(match self {
            ExportKind::KumoMta => "export.kind_kumomta",
            ExportKind::PowerMta => "export.kind_powermta",
            ExportKind::Csv => "export.kind_csv",
            ExportKind::Json => "export.kind_json",
            ExportKind::KumoShaping => "export.kind_shaping",
            ExportKind::PowerMtaDomains => "export.kind_domains",
        })
    }

    /// Whether it exports the MX rules at one level.
    pub fn needs_level(self) -> bool {
        matches!(self, ExportKind::KumoShaping | ExportKind::PowerMtaDomains)
    }

    fn rules_format(self) -> Option<Format> {
        match self {
            ExportKind::KumoMta => Some(Format::KumoMta),
            ExportKind::PowerMta => Some(Format::PowerMta),
            ExportKind::Csv => Some(Format::Csv),
            ExportKind::Json => Some(Format::Json),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self.rules_format() {
            Some(f) => f.extension(),
            None if self == ExportKind::KumoShaping => "toml",
            None => "txt",
        }
    }
}

/// What the export dialog asks the app to do (wrapped in [`Action::Export`](super::Action::Export)).
#[derive(Clone, Debug, PartialEq)]
pub enum ExportAction {
    /// Choose the output path with the file dialog (or its typed fallback).
    Browse,
    /// Write the export and verify it (asks first when its files exist).
    Write,
    /// Write it over the existing files the dialog listed.
    Overwrite,
    /// Keep the existing files.
    KeepExisting,
}

/// The outcome shown in the dialog.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportResult {
    /// The files written, in load order.
    pub paths: Vec<PathBuf>,
    /// Per-rule problems, already in words.
    pub problems: Vec<String>,
    /// The verification report (MTA bounce formats only).
    pub report: Option<verify::Report>,
    /// Why the verification could not run.
    pub verify_error: Option<String>,
}

/// State of the export window.
#[derive(Debug, Default)]
pub struct ExportDialog {
    /// Whether the window is shown.
    pub open: bool,
    /// The format.
    pub kind: ExportKind,
    /// The level of the MX-rule exports.
    pub level: ThroughputLevel,
    /// Output path as typed.
    pub path: String,
    /// The last export's outcome.
    pub result: Option<ExportResult>,
    /// The last error (nothing written).
    pub error: Option<String>,
    /// Existing files the export would replace, waiting for the user's yes.
    pub confirm: Option<Vec<PathBuf>>,
    /// The rule file the path was suggested beside.
    rule_file: Option<PathBuf>,
    /// The path the dialog suggested last (a path the user typed is kept when the format changes).
    suggested: String,
    /// The export being written and verified.
    pending: Option<std::sync::mpsc::Receiver<Result<Outcome, String>>>,
}

/// What the worker comes back with.
#[derive(Debug)]
enum Outcome {
    Done(ExportResult),
    /// Nothing written: these files exist.
    Exists(Vec<PathBuf>),
}

impl ExportDialog {
    /// Opens the window, suggesting a path beside `rule_file`.
    pub fn show(&mut self, rule_file: Option<&std::path::Path>) {
        self.open = true;
        self.rule_file = rule_file.map(std::path::Path::to_path_buf);
        if self.path.is_empty() {
            self.suggest();
        }
    }

    fn suggest(&mut self) {
        self.path = self.suggested_path(self.rule_file.as_deref()).display().to_string();
        self.suggested = self.path.clone();
    }

    /// After a change of format: the suggested path follows it, a typed one
    /// gets the new format's name part and extension (`x-kumomta.toml` →
    /// `x-powermta.txt`), and the last outcome, about the other format, goes.
    fn format_changed(&mut self, old: ExportKind) {
        self.result = None;
        self.error = None;
        self.confirm = None;
        if self.path == self.suggested || self.path.trim().is_empty() {
            self.suggest();
        } else {
            self.path = retarget(std::path::Path::new(self.path.trim()), old, self.kind).display().to_string();
        }
    }

    fn suggested_path(&self, rule_file: Option<&std::path::Path>) -> PathBuf {
        let stem = rule_file.and_then(|p| p.file_stem()).map_or("rules".to_owned(), |s| s.to_string_lossy().into_owned());
        let name = format!("{stem}-{}.{}", self.kind.name(), self.kind.extension());
        match rule_file.and_then(|p| p.parent()).filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.join(name),
            None => PathBuf::from(name),
        }
    }

    /// The path chosen in the file dialog.
    pub fn set_path(&mut self, p: PathBuf) {
        self.path = p.display().to_string();
    }

    /// Draws the window.
    pub fn ui(&mut self, ctx: &egui::Context, doc: &RuleSet, actions: &mut Vec<super::Action>) {
        self.poll();
        if !self.open {
            return;
        }
        let mut open = self.open;
        egui::Window::new(tr("export.title")).id(egui::Id::unique("export_window")).open(&mut open).resizable(true).show(ctx, |ui| {
            self.form_ui(ui, actions);
            self.result_ui(ui, doc);
        });
        self.open = open;
    }

    fn form_ui(&mut self, ui: &mut Ui, actions: &mut Vec<super::Action>) {
        egui::Grid::new("export_form").num_columns(2).show(ui, |ui| {
            ui.label(tr("export.format"));
            let before = self.kind;
            let r = egui::ComboBox::from_id_salt("export_format").selected_text(self.kind.label()).show_ui(ui, |ui| {
                for k in ExportKind::ALL {
                    ui.selectable_value(&mut self.kind, k, k.label());
                }
            });
            super::widgets::a11y(&r.response, egui::Role::ComboBox, tr("export.format"));
            if self.kind != before {
                self.format_changed(before);
            }
            ui.end_row();
            if self.kind.needs_level() {
                ui.label(tr("export.level"));
                super::mx_rules::level_combo(ui, "export_level", &mut self.level, tr("export.level"));
                ui.end_row();
            }
            ui.label(tr("export.path"));
            ui.horizontal(|ui| {
                let r = ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(360.0).hint_text(tr("export.path_hint")));
                super::widgets::a11y(&r, egui::Role::TextInput, tr("export.path"));
                if ui.button(tr("export.browse")).clicked() {
                    actions.push(super::Action::Export(ExportAction::Browse));
                }
            });
            ui.end_row();
        });
        if self.kind.rules_format().is_some_and(|f| matches!(f, Format::KumoMta | Format::PowerMta)) {
            ui.weak(tr("export.verify_note"));
        }
        ui.horizontal(|ui| {
            if ui.add_enabled(!self.path.trim().is_empty() && !self.is_busy(), egui::Button::new(tr("export.write"))).clicked() {
                actions.push(super::Action::Export(ExportAction::Write));
            }
            if self.is_busy() {
                ui.spinner();
            }
        });
        if let Some(files) = &self.confirm {
            ui.separator();
            ui.colored_label(ui.visuals().warn_fg_color, tr_n("export.exists", files.len(), &[]));
            for f in files {
                ui.monospace(f.display().to_string());
            }
            ui.horizontal(|ui| {
                if ui.button(tr("export.overwrite")).clicked() {
                    actions.push(super::Action::Export(ExportAction::Overwrite));
                }
                if ui.button(tr("dialog.cancel")).clicked() {
                    actions.push(super::Action::Export(ExportAction::KeepExisting));
                }
            });
        }
    }

    fn result_ui(&self, ui: &mut Ui, doc: &RuleSet) {
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(r) = &self.result else { return };
        ui.separator();
        for p in &r.paths {
            ui.label(tr_fmt("export.written", &[("path", &p.display())]));
        }
        if r.paths.len() > 1 {
            ui.label(tr("export.load_in_order"));
            ui.monospace(interchange::kumomta::files_line(&r.paths));
        }
        if let Some(e) = &r.verify_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(rep) = &r.report {
            let text = RichText::new(rep.summary()).strong();
            if rep.agrees() {
                ui.label(text)
            } else {
                ui.colored_label(ui.visuals().error_fg_color, text)
            };
            if let Some(engine) = rep.engine_text() {
                ui.label(engine);
            }
            egui::ScrollArea::vertical().id_salt("export_disagreements").max_height(160.0).show(ui, |ui| {
                for d in &rep.disagreements {
                    ui.label(rep.disagreement_text(doc, d, 120));
                }
            });
            if !rep.skipped.is_empty() {
                egui::CollapsingHeader::new(rep.skipped_heading()).id_salt("export_skipped").show(ui, |ui| {
                    egui::ScrollArea::vertical().id_salt("export_skipped_list").max_height(160.0).show(ui, |ui| {
                        for d in &rep.skipped {
                            ui.label(rep.skipped_text(doc, d, 120));
                        }
                    });
                });
            }
        }
        if !r.problems.is_empty() {
            egui::CollapsingHeader::new(tr_n("export.problems", r.problems.len(), &[])).id_salt("export_problems").show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("export_problem_list").max_height(160.0).show(ui, |ui| {
                    for p in &r.problems {
                        ui.label(p);
                    }
                });
            });
        }
    }

    /// Writes the export (every file or none) and verifies the MTA formats on
    /// the rules' own examples, on a worker thread (verification measures the
    /// target's speed for a quarter second). Called by the app for [`ExportAction::Write`].
    /// With `overwrite` false, existing files stop it and are listed for the user.
    pub fn write(&mut self, doc: &RuleSet, ctx: &egui::Context, overwrite: bool) {
        self.error = None;
        self.result = None;
        self.confirm = None;
        let (tx, rx) = std::sync::mpsc::channel();
        let (doc, kind, level, path, ctx) = (doc.clone(), self.kind, self.level, PathBuf::from(self.path.trim()), ctx.clone());
        let lang = crate::i18n::Lang::current();
        std::thread::spawn(move || {
            lang.make_current();
            let _ = tx.send(run_export(&doc, kind, level, &path, overwrite));
            ctx.request_repaint();
        });
        self.pending = Some(rx);
    }

    /// Whether an export is being written.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Picks up a finished export.
    pub fn poll(&mut self) {
        let Some(rx) = &self.pending else { return };
        match rx.try_recv() {
            Ok(Ok(Outcome::Done(r))) => {
                self.result = Some(r);
                self.pending = None;
            }
            Ok(Ok(Outcome::Exists(files))) => {
                self.confirm = Some(files);
                self.pending = None;
            }
            Ok(Err(e)) => {
                self.error = Some(e);
                self.pending = None;
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => self.pending = None,
        }
    }
}

/// The export itself: build, write every file or none, verify.
fn run_export(doc: &RuleSet, kind: ExportKind, level: ThroughputLevel, path: &std::path::Path, overwrite: bool) -> Result<Outcome, String> {
    let out = match kind.rules_format() {
        Some(f) => interchange::export(doc, f),
        None if kind == ExportKind::KumoShaping => shaping::export(doc, level),
        None => pmta_domains::export(doc, level),
    };
    if !overwrite {
        let existing: Vec<PathBuf> =
            interchange::kumomta::part_paths(path, 1 + out.more_files.len()).into_iter().filter(|p| p.exists()).collect();
        if !existing.is_empty() {
            return Ok(Outcome::Exists(existing));
        }
    }
    let paths = interchange::write_export(&out, path).map_err(|e| e.to_string())?;
    let (mut report, mut verify_error) = (None, None);
    if let Some(f @ (Format::KumoMta | Format::PowerMta)) = kind.rules_format() {
        let files: Vec<&str> = std::iter::once(out.text.as_str()).chain(out.more_files.iter().map(String::as_str)).collect();
        let texts = verify::example_texts(doc);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        match verify::verify(doc, f, &files, &refs) {
            Ok(r) => report = Some(r),
            Err(e) => verify_error = Some(e.to_string()),
        }
    }
    let problems = out.problems.iter().map(|p| p.to_string()).collect();
    Ok(Outcome::Done(ExportResult { paths, problems, report, verify_error }))
}

/// `path` for `new` after it was typed for `old`: a `-<old name>` end of the
/// file stem and `old`'s extension are swapped for `new`'s; the rest stays.
fn retarget(path: &std::path::Path, old: ExportKind, new: ExportKind) -> PathBuf {
    let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else { return path.to_path_buf() };
    let stem = stem.strip_suffix(&format!("-{}", old.name())).map_or(stem.clone(), |s| format!("{s}-{}", new.name()));
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    let ext = match ext {
        Some(e) if e.eq_ignore_ascii_case(old.extension()) => Some(new.extension().to_owned()),
        other => other,
    };
    path.with_file_name(ext.map_or(stem.clone(), |e| format!("{stem}.{e}")))
}

/// "KumoMTA: <class> · PowerMTA: <category>" for a verdict, as the exported files would say.
pub fn targets_line(doc: &RuleSet, v: &Verdict) -> String {
    let (kumo, pmta) = verify::target_classes(doc, v);
    let pmta = pmta.unwrap_or_else(|| tr("export.no_match").to_owned());
    tr_fmt("export.targets", &[("kumo", &kumo), ("pmta", &pmta)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_path_follows_the_format() {
        let p = std::path::Path::new("/tmp/x/saved-kumomta.toml");
        assert_eq!(retarget(p, ExportKind::KumoMta, ExportKind::PowerMta), PathBuf::from("/tmp/x/saved-powermta.txt"));
        assert_eq!(retarget(p, ExportKind::KumoMta, ExportKind::KumoShaping), PathBuf::from("/tmp/x/saved-kumomta-shaping.toml"));
        let mine = std::path::Path::new("/tmp/x/bounces.toml");
        assert_eq!(retarget(mine, ExportKind::KumoMta, ExportKind::Csv), PathBuf::from("/tmp/x/bounces.csv"));
        let odd = std::path::Path::new("/tmp/x/notes.conf");
        assert_eq!(retarget(odd, ExportKind::KumoMta, ExportKind::Csv), PathBuf::from("/tmp/x/notes.conf"));
    }
}
