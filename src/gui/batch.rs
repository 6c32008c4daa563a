//! Batch panel: classify thousands of responses at once (paste, file path or
//! dropped files; lines, CSV/TSV or DSN emails), see counts per reason, the
//! unmatched lines clustered into templates, and a filterable table. Runs on
//! a worker; re-runs by itself whenever the rules change.

pub mod input;
pub mod summary;
pub mod view;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use egui::{RichText, Role, Ui};
use egui_extras::{Column, TableBuilder};

use super::widgets::{failure_color, failure_label, named};
use super::{Action, PanelCtx};
use crate::engine::lint::shorten;
use crate::engine::{Classifier, FailureType};
use input::{Format, Lines, Source};
use summary::{clusters_ui, load_report, reason_bars};
use view::{Filter, SortKey};
use worker::{Job, Msg, Poll, Results, Stage};

/// Pastes larger than this are held instead of shown: laying out megabytes in
/// a text box every frame would freeze the window.
pub const MAX_SHOWN_PASTE: usize = 256 * 1024;

/// Where the current lines came from, to read them again with another format.
#[derive(Clone, Debug, PartialEq)]
enum Origin {
    Paste,
    Files(Vec<PathBuf>),
}

/// State of the batch panel.
#[derive(Default)]
pub struct BatchPanel {
    /// The paste box.
    pub input: String,
    /// A paste too large to show, kept whole.
    pub held: Option<String>,
    /// Typed path of a file to open.
    pub path: String,
    /// How the input is split.
    pub format: Format,
    /// CSV column (None: detected).
    pub column: Option<usize>,
    /// Typed path for the CSV export.
    pub export_path: String,
    /// Table filter.
    pub filter: Filter,
    /// Table order: key and descending.
    pub sort: (SortKey, bool),
    /// Last reading report, cancel or export message.
    pub message: Option<String>,
    lines: Option<Arc<Lines>>,
    results: Option<Results>,
    job: Option<Job>,
    origin: Option<Origin>,
    /// The user cancelled the classification with these rules: wait for an edit.
    paused_for: Option<Arc<Classifier>>,
    view: Vec<u32>,
    view_key: Option<(u64, Filter, (SortKey, bool))>,
    export: Option<Receiver<Result<String, String>>>,
    serial: u64,
}

impl BatchPanel {
    /// Reads and classifies a text (paste, or the tester's held paste).
    pub fn load_text(&mut self, text: String, ctx: &egui::Context) {
        if text.len() > MAX_SHOWN_PASTE {
            self.held = Some(text.clone());
        } else {
            self.held = None;
            self.input.clone_from(&text);
        }
        self.origin = Some(Origin::Paste);
        self.start(Source::Text(text), ctx);
    }

    /// Reads and classifies files.
    pub fn open_paths(&mut self, paths: Vec<PathBuf>, ctx: &egui::Context) {
        if let [one] = paths.as_slice() {
            self.path = one.display().to_string();
        }
        self.origin = Some(Origin::Files(paths.clone()));
        self.start(Source::Files(paths), ctx);
    }

    fn start(&mut self, source: Source, ctx: &egui::Context) {
        self.message = None;
        self.paused_for = None;
        self.job = Some(worker::start_load(source, self.format, self.column, ctx));
        ctx.request_repaint();
    }

    /// Reads the last input again (after a format or column change).
    fn reread(&mut self, ctx: &egui::Context) {
        match self.origin.clone() {
            Some(Origin::Files(p)) => self.open_paths(p, ctx),
            Some(Origin::Paste) => {
                let text = self.held.clone().unwrap_or_else(|| self.input.clone());
                self.load_text(text, ctx);
            }
            None => {}
        }
    }

    /// Whether reading or classifying is under way.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The loaded lines.
    pub fn lines(&self) -> Option<&Lines> {
        self.lines.as_deref()
    }

    /// The last finished classification.
    pub fn results(&self) -> Option<&Results> {
        self.results.as_ref()
    }

    /// Row indices the table shows, in order.
    pub fn shown_rows(&self) -> &[u32] {
        &self.view
    }

    /// Whether the results come from exactly this classifier.
    pub fn is_current(&self, c: &Arc<Classifier>) -> bool {
        self.results.as_ref().is_some_and(|r| Arc::ptr_eq(&r.classifier, c))
    }

    /// The app recompiled the same rules (to record hit counts): the results
    /// still hold, so take the new classifier rather than running again.
    pub fn adopt(&mut self, c: Arc<Classifier>) {
        if let Some(r) = &mut self.results {
            r.classifier = c;
        }
    }

    /// Collects worker answers and starts a re-classification when the rules
    /// changed. Called by the app every frame, whichever panel is shown, so
    /// hit counts follow rule edits made elsewhere.
    pub fn poll(&mut self, egui_ctx: &egui::Context, classifier: &Arc<Classifier>, rules: usize, actions: &mut Vec<Action>) {
        let tick = Duration::from_millis(100);
        if let Some(job) = &self.job {
            match job.poll() {
                Poll::Running => {
                    let stale = job.classifier.as_ref().is_some_and(|c| !Arc::ptr_eq(c, classifier));
                    if stale {
                        self.job = None; // dropping cancels it; a new run starts below
                    } else {
                        egui_ctx.request_repaint_after(tick);
                    }
                }
                Poll::Done(Msg::Loaded(lines)) => {
                    self.job = None;
                    self.message = Some(load_report(&lines));
                    self.lines = Some(Arc::new(*lines));
                    self.results = None;
                    self.view_key = None;
                    self.view.clear();
                }
                Poll::Done(Msg::Classified(r)) => {
                    self.job = None;
                    if Arc::ptr_eq(&r.classifier, classifier) {
                        actions.push(Action::BatchHits(r.summary.hits.clone()));
                        self.results = Some(*r);
                    }
                }
                Poll::Lost => {
                    self.job = None;
                    self.paused_for = Some(classifier.clone());
                    self.message = Some("The batch worker stopped without an answer; press Classify to try again.".into());
                }
            }
        }
        let paused = self.paused_for.as_ref().is_some_and(|c| Arc::ptr_eq(c, classifier));
        if self.job.is_none()
            && !paused
            && !self.is_current(classifier)
            && let Some(lines) = self.lines.as_ref().filter(|l| !l.texts.is_empty())
        {
            self.serial += 1;
            self.job = Some(worker::start_classify(lines.clone(), classifier.clone(), rules, self.serial, egui_ctx));
            egui_ctx.request_repaint_after(tick);
        }
        if let Some(rx) = &self.export {
            match rx.try_recv() {
                Ok(res) => {
                    self.message = Some(res.unwrap_or_else(|e| e));
                    self.export = None;
                }
                Err(TryRecvError::Empty) => egui_ctx.request_repaint_after(tick),
                Err(TryRecvError::Disconnected) => self.export = None,
            }
        }
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        ui.heading("Batch");
        ui.label("Classify many responses at once: paste them, open a file (lines, CSV/TSV, .eml DSN) or drop files here. Results follow every rule edit.");
        self.input_ui(ui);
        self.progress_ui(ui);
        if let Some(m) = &self.message {
            // Plain when all went well; warning colour when something was skipped, cut or failed.
            let clean = m.starts_with("Read ") && !m.contains(" · ") || m.starts_with("Exported");
            let color = if clean { ui.visuals().text_color() } else { ui.visuals().warn_fg_color };
            ui.label(RichText::new(m).color(color));
        }
        if self.results.is_none() {
            return;
        }
        ui.separator();
        self.summary_ui(ui, ctx);
        ui.separator();
        self.filter_ui(ui);
        self.update_view();
        self.table_ui(ui, ctx);
    }

    fn input_ui(&mut self, ui: &mut Ui) {
        let edit_id = ui.make_persistent_id("batch_input");
        self.intercept_large_paste(ui, edit_id);
        let mut discard = false;
        if let Some(held) = &self.held {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(format!("A paste of {:.1} MB is held here (too large to show).", held.len() as f64 / 1e6));
                    discard = ui.button("Discard").clicked();
                });
            });
        } else {
            egui::ScrollArea::vertical().id_salt("batch_input_scroll").max_height(84.0).show(ui, |ui| {
                let te = egui::TextEdit::multiline(&mut self.input)
                    .id(edit_id)
                    .code_editor()
                    .desired_rows(4)
                    .desired_width(f32::INFINITY)
                    .hint_text("One response per line, e.g. 550 5.1.1 <a@example.com>: User unknown");
                named(ui.add(te), Role::MultilineTextInput, "Responses to classify");
            });
        }
        if discard {
            self.held = None;
        }
        let ectx = ui.ctx().clone();
        ui.horizontal_wrapped(|ui| {
            let has_text = self.held.is_some() || !self.input.trim().is_empty();
            if ui.add_enabled(has_text, egui::Button::new("Classify")).on_hover_text("Read the box above and classify it").clicked() {
                let text = self.held.clone().unwrap_or_else(|| self.input.clone());
                self.load_text(text, &ectx);
            }
            ui.separator();
            let resp = named(
                ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(260.0).hint_text("/path/to/bounces.log")),
                Role::TextInput,
                "File path",
            );
            let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let has_path = !self.path.trim().is_empty();
            if (ui.add_enabled(has_path, egui::Button::new("Open file")).clicked() || enter) && has_path {
                self.open_paths(vec![PathBuf::from(self.path.trim())], &ectx);
            }
            ui.separator();
            ui.label("Format");
            let before = (self.format, self.column);
            let r = egui::ComboBox::from_id_salt("batch_format").selected_text(self.format.label()).show_ui(ui, |ui| {
                for f in Format::ALL {
                    ui.selectable_value(&mut self.format, f, f.label());
                }
            });
            named(r.response, Role::ComboBox, "Format");
            ui.label("Column");
            let header = self.lines.as_ref().and_then(|l| l.stats.csv.as_ref()).and_then(|c| c.header.clone());
            let col_name =
                |i: usize| header.as_ref().and_then(|h| h.get(i)).map_or_else(|| format!("{}", i + 1), |h| format!("{} {h}", i + 1));
            let r = egui::ComboBox::from_id_salt("batch_column")
                .selected_text(self.column.map_or_else(|| "auto".to_owned(), &col_name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.column, None, "auto");
                    let n = header.as_ref().map_or(12, Vec::len);
                    for i in 0..n {
                        ui.selectable_value(&mut self.column, Some(i), col_name(i));
                    }
                });
            named(r.response, Role::ComboBox, "CSV column");
            if (self.format, self.column) != before {
                self.reread(&ectx);
            }
        });
    }

    /// Takes huge pastes out of the input before the text box lays them out.
    fn intercept_large_paste(&mut self, ui: &mut Ui, edit_id: egui::Id) {
        if !ui.memory(|m| m.has_focus(edit_id)) {
            return;
        }
        let mut held = None;
        let len = self.input.len();
        ui.input_mut(|i| {
            i.events.retain(|e| match e {
                egui::Event::Paste(s) if s.len() + len > MAX_SHOWN_PASTE => {
                    held = Some(s.clone());
                    false
                }
                _ => true,
            })
        });
        if held.is_some() {
            self.held = held;
        }
    }

    fn progress_ui(&mut self, ui: &mut Ui) {
        let Some(job) = &self.job else {
            let paused = self.paused_for.is_some() && self.lines.is_some();
            if paused && ui.button("Resume classification").clicked() {
                self.paused_for = None;
                ui.ctx().request_repaint();
            }
            return;
        };
        let (done, total) = job.progress();
        let frac = if total > 0 { done as f32 / total as f32 } else { 0.0 };
        let text = match job.stage {
            Stage::Reading => format!("Reading: {:.1} of {:.1} MB", done as f64 / 1e6, total as f64 / 1e6),
            Stage::Classifying => format!("Classifying: {done} of {total} lines"),
        };
        let mut cancel = false;
        ui.horizontal(|ui| {
            ui.add(egui::ProgressBar::new(frac.clamp(0.0, 1.0)).text(text).desired_width(420.0));
            cancel = ui.button("Cancel").clicked();
        });
        if cancel {
            let stage = job.stage;
            self.paused_for = job.classifier.clone();
            self.job = None;
            self.message = Some(match stage {
                Stage::Reading => "Reading cancelled.".into(),
                Stage::Classifying => "Classification cancelled: the results shown (if any) are from earlier rules.".into(),
            });
        }
    }

    fn summary_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let (Some(r), Some(lines)) = (&self.results, &self.lines) else { return };
        let s = &r.summary;
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("{} lines", r.verdicts.len()));
            for (k, t) in FailureType::ALL.into_iter().enumerate() {
                ui.separator();
                failure_label(ui, t, None);
                ui.label(s.per_type[k].to_string());
            }
            ui.separator();
            ui.label(format!("Unmatched {}", s.unmatched));
            ui.separator();
            ui.weak(format!("classified in {} ms", r.elapsed.as_millis()));
            if self.job.is_some() {
                ui.weak("(updating)");
            }
        });
        let filter = &mut self.filter;
        ui.columns(2, |cols| {
            cols[0].strong("Lines per reason");
            egui::ScrollArea::vertical().id_salt("batch_reasons").max_height(170.0).show(&mut cols[0], |ui| {
                reason_bars(ui, r, filter);
            });
            cols[1].strong(format!("Unmatched lines: {} in {} templates", s.unmatched, s.templates));
            egui::ScrollArea::vertical().id_salt("batch_clusters").max_height(170.0).show(&mut cols[1], |ui| {
                clusters_ui(ui, r, lines, ctx);
            });
        });
    }

    fn filter_ui(&mut self, ui: &mut Ui) {
        let Some(r) = &self.results else { return };
        let (c, s, f) = (&r.classifier, &r.summary, &mut self.filter);
        ui.horizontal_wrapped(|ui| {
            ui.label("Filter");
            combo(ui, "Filter by type", f.failure_type.map_or("any type".into(), |t| t.label().into()), |ui| {
                ui.selectable_value(&mut f.failure_type, None, "any type");
                for t in FailureType::ALL {
                    ui.selectable_value(&mut f.failure_type, Some(t), t.label());
                }
            });
            let reason_text = f.reason.and_then(|i| c.reasons().get(i as usize)).map_or("any reason".into(), |x| x.label.clone());
            combo(ui, "Filter by reason", reason_text, |ui| {
                ui.selectable_value(&mut f.reason, None, "any reason");
                for (i, x) in c.reasons().iter().enumerate().filter(|(i, _)| s.per_reason[*i] > 0) {
                    ui.selectable_value(&mut f.reason, Some(i as u16), format!("{} ({})", x.label, s.per_reason[i]));
                }
            });
            let cat_text = f.category.and_then(|i| c.categories().get(i as usize)).map_or("any category".into(), |x| x.id.clone());
            combo(ui, "Filter by category", cat_text, |ui| {
                ui.selectable_value(&mut f.category, None, "any category");
                for (i, x) in c.categories().iter().enumerate().filter(|(i, _)| s.per_category[*i] > 0) {
                    ui.selectable_value(&mut f.category, Some(i as u16), format!("{} ({})", x.id, s.per_category[i]));
                }
            });
            let rule_text = match f.rule {
                None => "any rule".to_owned(),
                Some(None) => "no rule".to_owned(),
                Some(Some(i)) => format!("#{} {}", i + 1, c.rule_name(i)),
            };
            combo(ui, "Filter by rule", rule_text, |ui| {
                ui.selectable_value(&mut f.rule, None, "any rule");
                ui.selectable_value(&mut f.rule, Some(None), format!("no rule ({})", s.unmatched));
                for (i, n) in s.hits.iter().enumerate().filter(|(_, n)| **n > 0) {
                    ui.selectable_value(&mut f.rule, Some(Some(i)), format!("#{} {} ({n})", i + 1, c.rule_name(i)));
                }
            });
            ui.checkbox(&mut f.unmatched_only, "Unmatched only");
            if ui.button("Clear filters").clicked() {
                *f = Filter::default();
            }
            ui.separator();
            ui.label(format!("{} of {} lines shown", self.view.len(), r.verdicts.len()));
        });
        ui.horizontal(|ui| {
            named(
                ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(300.0).hint_text("/path/to/results.csv")),
                Role::TextInput,
                "Export path",
            );
            let can = !self.export_path.trim().is_empty() && self.export.is_none();
            if ui.add_enabled(can, egui::Button::new("Export CSV")).on_hover_text("Write the lines shown (filter applied) as CSV").clicked()
            {
                self.start_export(ui.ctx());
            }
        });
    }

    fn start_export(&mut self, repaint: &egui::Context) {
        let (Some(r), Some(lines)) = (&self.results, &self.lines) else { return };
        let (lines, verdicts, c, rows) = (lines.clone(), r.verdicts.clone(), r.classifier.clone(), self.view.clone());
        let path = PathBuf::from(self.export_path.trim());
        let (tx, rx) = std::sync::mpsc::channel();
        let repaint = repaint.clone();
        let _ = std::thread::Builder::new().name("batch-export".into()).spawn(move || {
            let res = view::to_csv(&lines, &verdicts, &c, &rows)
                .map_err(|e| format!("Export failed: {e}"))
                .and_then(|bytes| crate::engine::fsio::write_atomic(&path, &bytes, false).map_err(|e| format!("Export failed: {e}")))
                .map(|()| format!("Exported {} lines to {}", rows.len(), path.display()));
            let _ = tx.send(res);
            repaint.request_repaint();
        });
        self.export = Some(rx);
    }

    fn update_view(&mut self) {
        let Some(r) = &self.results else { return };
        let key = (r.serial, self.filter.clone(), self.sort);
        if self.view_key.as_ref() != Some(&key) {
            self.view = view::rows(&r.verdicts, &r.classifier, &self.filter, self.sort.0, self.sort.1);
            self.view_key = Some(key);
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let (Some(r), Some(lines)) = (&self.results, &self.lines) else { return };
        let c = &r.classifier;
        let dark = ui.visuals().dark_mode;
        let sort = &mut self.sort;
        TableBuilder::new(ui)
            .id_salt("batch_table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(64.0))
            .column(Column::remainder().at_least(200.0).clip(true))
            .column(Column::initial(64.0))
            .column(Column::initial(130.0).clip(true))
            .column(Column::initial(110.0).clip(true))
            .column(Column::initial(150.0).clip(true))
            .column(Column::initial(100.0))
            .min_scrolled_height(120.0)
            .header(22.0, |mut h| {
                for (title, key) in [
                    ("Line", Some(SortKey::Line)),
                    ("Response", None),
                    ("Type", Some(SortKey::Type)),
                    ("Reason", Some(SortKey::Reason)),
                    ("Category", Some(SortKey::Category)),
                    ("Rule", Some(SortKey::Rule)),
                    ("Decided by", Some(SortKey::DecidedBy)),
                ] {
                    h.col(|ui| match key {
                        Some(k) => {
                            let mark = if sort.0 != k {
                                ""
                            } else if sort.1 {
                                " (desc)"
                            } else {
                                " (asc)"
                            };
                            let b = egui::Button::new(RichText::new(format!("{title}{mark}")).strong()).frame(false);
                            if ui.add(b).on_hover_text("Sort by this column").clicked() {
                                *sort = (k, sort.0 == k && !sort.1);
                            }
                        }
                        None => {
                            ui.strong(title).on_hover_text("Click a row to load it in the tester");
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, self.view.len(), |mut row| {
                    let i = self.view[row.index()] as usize;
                    let (text, v) = (&lines.texts[i], &r.verdicts[i]);
                    row.col(|ui| {
                        ui.label(lines.origin.get(i).copied().unwrap_or(0).to_string());
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(shorten(text, 240).replace(['\n', '\r'], " ")).monospace());
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(v.failure_type.label()).color(failure_color(v.failure_type, dark)));
                    });
                    row.col(|ui| {
                        ui.label(&c.reason(v).label);
                    });
                    row.col(|ui| {
                        ui.label(&c.category(v).id);
                    });
                    row.col(|ui| {
                        match view::won_by(v) {
                            Some(k) => ui.label(format!("#{} {}", k + 1, c.rule_name(k))),
                            None => ui.weak("none"),
                        };
                    });
                    row.col(|ui| {
                        ui.label(v.decided_by.as_str());
                    });
                    if row.response().on_hover_text("Click to load this line in the tester").clicked() {
                        ctx.act(Action::LoadInTester(text.to_string()));
                    }
                });
            });
    }
}

fn combo(ui: &mut Ui, name: &str, selected: String, body: impl FnOnce(&mut Ui)) {
    let r = egui::ComboBox::from_id_salt(name).selected_text(selected).width(140.0).show_ui(ui, body);
    named(r.response, Role::ComboBox, name);
}
