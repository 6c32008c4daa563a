//! Batch panel: classify thousands of responses at once — a paste, files and
//! folders (typed, chosen in a dialog or dropped), or an error mailbox — read
//! through `engine::ingest` like `bouncelab classify`: lines, CSV/TSV columns,
//! `.eml`, mbox, Maildir and MTA logs. Counts per reason, the unmatched lines
//! clustered into templates, the MTA's classes against the rules', and a
//! filterable table. Runs on a worker; re-runs by itself whenever the rules change.

pub mod confusion;
pub mod load;
pub mod mailbox;
pub mod problems;
pub mod summary;
pub mod table;
pub mod view;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use egui::{RichText, Role, Ui};

use super::widgets::{failure_label, named};
use super::{Action, PanelCtx};
use crate::engine::{Classifier, FailureType};
use crate::i18n::{tr, tr_fmt, tr_n};
use load::{Format, Rows, Source};
use mailbox::MailboxDialog;
use summary::{clusters_ui, load_report, reason_bars};
use view::{Filter, SortKey};
use worker::{Job, Msg, Poll, Results, Stage};

/// Pastes larger than this are held instead of shown: laying out megabytes in
/// a text box every frame would freeze the window.
pub const MAX_SHOWN_PASTE: usize = 256 * 1024;

/// A native dialog answering "nothing chosen" faster than this was not shown
/// at all (no desktop portal): the typed path field is the way then.
const NO_DIALOG_THRESHOLD: Duration = Duration::from_millis(400);

/// Where the current rows came from, to read them again with another format.
#[derive(Clone, Debug, PartialEq)]
enum Origin {
    Paste,
    Files(Vec<PathBuf>),
    Mailbox,
}

/// What the line under the input tells, kept as data: it is worded when drawn, so a
/// change of interface language rewords it (a stored string stayed in the old one).
#[derive(Clone, Debug)]
enum Message {
    /// The reading report of the rows shown.
    Report,
    /// A reading gave nothing and the rows before stay; its first problem says why.
    NothingReadKept(Option<problems::Problem>),
    /// No native file dialog here.
    NoNativeDialog,
    /// The worker thread died.
    WorkerLost,
    /// The user cancelled a job at this stage.
    Cancelled(Stage),
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
    /// How the last CSV export went (rows and path, or the error), shown beside its button.
    export_message: Option<Result<(usize, String), String>>,
    /// Table filter.
    pub filter: Filter,
    /// Table order: key and descending.
    pub sort: (SortKey, bool),
    /// Last reading report or cancel message, worded when drawn (in the language of the moment).
    message: Option<Message>,
    /// The "Open mailbox…" dialog.
    pub mailbox: MailboxDialog,
    lines: Option<Arc<Rows>>,
    results: Option<Results>,
    /// A native file dialog in progress (answer, start time).
    pick: Option<(Receiver<Option<Vec<PathBuf>>>, Instant)>,
    confusion: Option<(u64, u64, Vec<confusion::Pair>)>,
    job: Option<Job>,
    origin: Option<Origin>,
    /// The user cancelled the classification with these rules: wait for an edit.
    paused_for: Option<Arc<Classifier>>,
    view: Vec<u32>,
    view_key: Option<(u64, Filter, (SortKey, bool))>,
    export: Option<Receiver<Result<(usize, String), String>>>,
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
        // The path field names what the batch shows: a paste is no file.
        self.path.clear();
        self.origin = Some(Origin::Paste);
        self.start(Source::Text(text), ctx);
    }

    /// Reads and classifies files.
    pub fn open_paths(&mut self, paths: Vec<PathBuf>, ctx: &egui::Context) {
        match paths.as_slice() {
            [one] => self.path = one.display().to_string(),
            _ => self.path.clear(),
        }
        self.origin = Some(Origin::Files(paths.clone()));
        self.start(Source::Files(paths), ctx);
    }

    fn start(&mut self, source: Source, ctx: &egui::Context) {
        self.message = None;
        self.export_message = None;
        self.paused_for = None;
        self.job = Some(worker::start_load(source, self.format, self.column, ctx));
        ctx.request_repaint();
    }

    /// Reads an error mailbox (the dialog checked the fields).
    pub fn open_mailbox(&mut self, request: mailbox::MailboxRequest, ctx: &egui::Context) {
        self.path.clear();
        self.origin = Some(Origin::Mailbox);
        self.message = None;
        self.paused_for = None;
        self.job = Some(worker::start_fetch(request, ctx));
        ctx.request_repaint();
    }

    /// Waits for a native file dialog's answer (started by the app).
    pub fn await_pick(&mut self, rx: Receiver<Option<Vec<PathBuf>>>) {
        self.pick = Some((rx, Instant::now()));
    }

    /// Tells that no native dialog is available: the typed path is the way.
    pub fn no_native_dialog(&mut self) {
        self.message = Some(Message::NoNativeDialog);
    }

    fn poll_pick(&mut self, ctx: &egui::Context) {
        let Some((rx, started)) = &self.pick else { return };
        match rx.try_recv() {
            Ok(Some(paths)) if !paths.is_empty() => {
                self.pick = None;
                self.open_paths(paths, ctx);
            }
            Ok(_) => {
                let quick = started.elapsed() < NO_DIALOG_THRESHOLD;
                self.pick = None;
                if quick {
                    self.no_native_dialog();
                }
            }
            Err(TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(100)),
            Err(TryRecvError::Disconnected) => {
                self.pick = None;
                self.no_native_dialog();
            }
        }
    }

    /// Reads the last input again (after a format or column change).
    fn reread(&mut self, ctx: &egui::Context) {
        match self.origin.clone() {
            Some(Origin::Files(p)) => self.open_paths(p, ctx),
            Some(Origin::Paste) => {
                let text = self.held.clone().unwrap_or_else(|| self.input.clone());
                self.load_text(text, ctx);
            }
            // A mailbox is fetched again only when asked (the password may be gone).
            Some(Origin::Mailbox) | None => {}
        }
    }

    /// Whether reading or classifying is under way.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    fn has_rows(&self) -> bool {
        self.lines.as_ref().is_some_and(|l| !l.is_empty())
    }

    /// The loaded rows.
    pub fn lines(&self) -> Option<&Rows> {
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

    /// The rows with their verdicts, when they were classified with `c` (the
    /// current rules): what the tester's new-rule preview is measured on.
    pub fn classified_with(&self, c: &Arc<Classifier>) -> Option<super::tester::BatchRef> {
        let r = self.results.as_ref().filter(|r| Arc::ptr_eq(&r.classifier, c))?;
        let rows = self.lines.clone().filter(|l| l.len() == r.verdicts.len())?;
        Some(super::tester::BatchRef { rows, verdicts: r.verdicts.clone(), classifier: r.classifier.clone(), serial: r.serial })
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
        self.poll_pick(egui_ctx);
        if let Some(job) = &self.job {
            match job.poll() {
                Poll::Running => {
                    if self.mailbox.connecting && job.stage == Stage::Fetching && job.listed() {
                        self.mailbox.fetch_started();
                    }
                    let stale = job.classifier.as_ref().is_some_and(|c| !Arc::ptr_eq(c, classifier));
                    if stale {
                        self.job = None; // dropping cancels it; a new run starts below
                    } else {
                        egui_ctx.request_repaint_after(tick);
                    }
                }
                // The dialog waited for the server's answer: a fetch that read nothing and failed
                // (a wrong password, an unknown folder) is said in it, where it is fixed.
                Poll::Done(Msg::Loaded(lines)) if self.mailbox.connecting && lines.is_empty() && lines.report.problem_count > 0 => {
                    self.job = None;
                    self.mailbox.fetch_failed(lines.report.problems.first().map(problems::Problem::text).unwrap_or_default());
                }
                Poll::Done(Msg::Loaded(lines)) if lines.is_empty() && lines.report.problem_count > 0 && self.has_rows() => {
                    // A mistyped path read nothing: the batch loaded before stays, with what
                    // went wrong (it was thrown away for an empty one).
                    self.job = None;
                    self.message = Some(Message::NothingReadKept(lines.report.problems.first().cloned()));
                }
                Poll::Done(Msg::Loaded(lines)) => {
                    self.job = None;
                    if self.mailbox.connecting {
                        self.mailbox.fetch_started();
                    }
                    self.message = Some(Message::Report);
                    self.lines = Some(Arc::new(*lines));
                    // A new batch starts unfiltered: a filter kept from the last one
                    // ("unmatched only") showed an empty table, as if nothing was read.
                    self.filter = Filter::default();
                    self.results = None;
                    self.confusion = None;
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
                    if self.mailbox.connecting {
                        self.mailbox.fetch_failed(tr("batch.worker_lost").to_owned());
                    }
                    self.paused_for = Some(classifier.clone());
                    self.message = Some(Message::WorkerLost);
                }
            }
        }
        let paused = self.paused_for.as_ref().is_some_and(|c| Arc::ptr_eq(c, classifier));
        if self.job.is_none()
            && !paused
            && !self.is_current(classifier)
            && let Some(lines) = self.lines.as_ref().filter(|l| !l.is_empty())
        {
            self.serial += 1;
            // The rows' verdicts under the rules before the edit make the run incremental.
            let previous = self.results.as_ref().map(|r| (r.classifier.clone(), r.verdicts.clone()));
            self.job = Some(worker::start_classify(lines.clone(), classifier.clone(), previous, rules, self.serial, egui_ctx));
            egui_ctx.request_repaint_after(tick);
        }
        if let Some(rx) = &self.export {
            match rx.try_recv() {
                Ok(res) => {
                    // Beside the export button: the reading report above stays.
                    self.export_message = Some(res);
                    self.export = None;
                }
                Err(TryRecvError::Empty) => egui_ctx.request_repaint_after(tick),
                Err(TryRecvError::Disconnected) => self.export = None,
            }
        }
    }

    /// The message under the input in words, and whether it tells of a problem
    /// (something skipped, cut or failed: the warning colour).
    fn message_text(&self) -> Option<(String, bool)> {
        Some(match self.message.as_ref()? {
            Message::Report => load_report(self.lines.as_ref()?),
            Message::NothingReadKept(why) => {
                let why = why.as_ref().map(problems::Problem::text).unwrap_or_default();
                (tr_fmt("batch.nothing_read_kept", &[("why", &why)]), true)
            }
            Message::NoNativeDialog => (tr("batch.no_native_dialog").to_owned(), true),
            Message::WorkerLost => (tr("batch.worker_lost").to_owned(), true),
            Message::Cancelled(Stage::Reading | Stage::Fetching) => (tr("batch.reading_cancelled").to_owned(), true),
            Message::Cancelled(Stage::Classifying) => (tr("batch.classify_cancelled").to_owned(), true),
        })
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        ui.heading(tr("panel.batch"));
        ui.label(tr("batch.intro"));
        self.input_ui(ui, ctx);
        self.progress_ui(ui);
        if let Some((m, warn)) = self.message_text() {
            // Plain when all went well; warning colour when something was skipped, cut or failed.
            let color = if warn { ui.visuals().warn_fg_color } else { ui.visuals().text_color() };
            ui.label(RichText::new(m).color(color));
        }
        if let Some(l) = &self.lines {
            problems::problems_ui(ui, &l.report);
        }
        let busy = self.job.as_ref().is_some_and(|j| j.stage != Stage::Classifying);
        match self.mailbox.ui(ui.ctx(), busy) {
            Some(mailbox::MailboxAction::Read(request)) => self.open_mailbox(request, ui.ctx()),
            Some(mailbox::MailboxAction::Cancel) => {
                if let Some(job) = self.job.as_ref().filter(|j| j.stage == Stage::Fetching) {
                    job.cancel();
                }
            }
            None => {}
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

    fn input_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let edit_id = ui.make_persistent_id("batch_input");
        self.intercept_large_paste(ui, edit_id);
        let mut discard = false;
        if let Some(held) = &self.held {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(tr_fmt("batch.held", &[("mb", &format_args!("{:.1}", held.len() as f64 / 1e6))]));
                    discard = ui.button(tr("tester.discard")).clicked();
                });
            });
        } else {
            // Once a batch read from files is shown, the empty paste box gives its rows to the table.
            let compact = self.input.is_empty() && self.results.is_some();
            let (rows, height) = if compact { (1, 30.0) } else { (4, 84.0) };
            egui::ScrollArea::vertical().id_salt("batch_input_scroll").max_height(height).show(ui, |ui| {
                let te = egui::TextEdit::multiline(&mut self.input)
                    .id(edit_id)
                    .code_editor()
                    .desired_rows(rows)
                    .desired_width(f32::INFINITY)
                    .hint_text(tr("batch.input_hint"));
                let resp = named(ui.add(te), Role::MultilineTextInput, tr("batch.input_a11y"));
                super::widgets::mark_scratch_text(&resp);
            });
        }
        if discard {
            self.held = None;
        }
        let ectx = ui.ctx().clone();
        ui.horizontal_wrapped(|ui| {
            let has_text = self.held.is_some() || !self.input.trim().is_empty();
            if ui.add_enabled(has_text, egui::Button::new(tr("batch.classify"))).on_hover_text(tr("batch.classify_tip")).clicked() {
                let text = self.held.clone().unwrap_or_else(|| self.input.clone());
                self.load_text(text, &ectx);
            }
            ui.separator();
            let resp = named(
                ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(260.0).hint_text(tr("batch.path_hint"))),
                Role::TextInput,
                tr("batch.file_path"),
            );
            let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let has_path = !self.path.trim().is_empty();
            if (ui.add_enabled(has_path, egui::Button::new(tr("batch.open_file"))).clicked() || enter) && has_path {
                self.open_paths(vec![PathBuf::from(self.path.trim())], &ectx);
            }
            if ui.button(tr("batch.open_files")).on_hover_text(tr("batch.open_files_tip")).clicked() {
                ctx.act(Action::BatchOpenDialog { folder: false });
            }
            if ui.button(tr("batch.open_folder")).on_hover_text(tr("batch.open_folder_tip")).clicked() {
                ctx.act(Action::BatchOpenDialog { folder: true });
            }
            if ui.button(tr("batch.open_mailbox")).on_hover_text(tr("batch.open_mailbox_tip")).clicked() {
                self.mailbox.open = true;
                self.mailbox.error = None;
            }
        });
        // How to read, on its own row: each label stays with its menu.
        ui.horizontal_wrapped(|ui| {
            let before = (self.format, self.column);
            {
                ui.label(tr("batch.format"));
                let r = egui::ComboBox::from_id_salt("batch_format").selected_text(self.format.label()).width(190.0).show_ui(ui, |ui| {
                    for f in Format::ALL {
                        ui.selectable_value(&mut self.format, f, f.label());
                    }
                });
                named(r.response, Role::ComboBox, tr("batch.format"));
                ui.label(tr("batch.column"));
                let header = self.lines.as_ref().and_then(|l| l.report.csv.as_ref()).and_then(|c| c.header.clone());
                let col_name =
                    |i: usize| header.as_ref().and_then(|h| h.get(i)).map_or_else(|| format!("{}", i + 1), |h| format!("{} {h}", i + 1));
                let r = egui::ComboBox::from_id_salt("batch_column")
                    .selected_text(self.column.map_or_else(|| tr("batch.column_auto").to_owned(), &col_name))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.column, None, tr("batch.column_auto"));
                        let n = header.as_ref().map_or(12, Vec::len);
                        for i in 0..n {
                            ui.selectable_value(&mut self.column, Some(i), col_name(i));
                        }
                    });
                named(r.response, Role::ComboBox, tr("batch.column_a11y"));
            }
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
            if paused && ui.button(tr("batch.resume")).clicked() {
                self.paused_for = None;
                ui.ctx().request_repaint();
            }
            return;
        };
        let (done, total) = job.progress();
        let frac = if total > 0 { done as f32 / total as f32 } else { 0.0 };
        let text = match job.stage {
            Stage::Reading => tr_fmt(
                "batch.reading",
                &[("done", &format_args!("{:.1}", done as f64 / 1e6)), ("total", &format_args!("{:.1}", total as f64 / 1e6))],
            ),
            Stage::Fetching if job.is_cancelled() => tr_fmt("batch.fetch_cancelling", &[("done", &done)]),
            Stage::Fetching => tr_fmt("batch.fetching", &[("done", &done), ("total", &total)]),
            Stage::Classifying => tr_fmt("batch.classifying", &[("done", &done), ("total", &total)]),
        };
        let mut cancel = false;
        ui.horizontal(|ui| {
            ui.add(egui::ProgressBar::new(frac.clamp(0.0, 1.0)).text(text).desired_width(420.0));
            cancel = ui.add_enabled(!job.is_cancelled(), egui::Button::new(tr("dialog.cancel"))).clicked();
        });
        if cancel && job.stage == Stage::Fetching {
            // The messages fetched so far are kept: the worker stops after the current one.
            job.cancel();
        } else if cancel {
            let stage = job.stage;
            self.paused_for = job.classifier.clone();
            self.job = None;
            self.message = Some(Message::Cancelled(stage));
        }
    }

    /// Brings the confusion table (MTA's class against the rules') up to date
    /// when the batch holds log records with the MTA's own class.
    fn update_confusion(&mut self, ctx: &PanelCtx) {
        let (Some(r), Some(lines)) = (&self.results, &self.lines) else { return };
        if lines.log_rows.is_empty() {
            self.confusion = None;
            return;
        }
        let key = (r.serial, ctx.compiled.generation);
        if self.confusion.as_ref().is_none_or(|(s, g, _)| (*s, *g) != key) {
            let (lines, verdicts) = (lines.clone(), r.verdicts.clone());
            self.confusion = Some((key.0, key.1, confusion::confusion(&lines, &verdicts, ctx.rules)));
        }
    }

    fn summary_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        self.update_confusion(ctx);
        let (Some(r), Some(lines)) = (&self.results, &self.lines) else { return };
        let s = &r.summary;
        ui.horizontal_wrapped(|ui| {
            ui.strong(tr_fmt("batch.lines", &[("n", &r.verdicts.len())]));
            for (k, t) in FailureType::ALL.into_iter().enumerate() {
                ui.separator();
                failure_label(ui, t, None);
                ui.label(s.per_type[k].to_string());
            }
            ui.separator();
            ui.label(tr_fmt("batch.unmatched", &[("n", &s.unmatched)])).on_hover_text(tr("batch.unmatched_tip"));
            ui.separator();
            ui.weak(tr_fmt("batch.elapsed", &[("ms", &r.elapsed.as_millis())]));
            if self.job.is_some() {
                ui.weak(tr("batch.updating"));
            }
        });
        // Short windows keep room for the table below, but at 1024×700 the bars still show
        // six reasons (the scroll areas shrink to fewer): three hid a fourth behind a thin scrollbar.
        let height = ((ui.available_height() - 180.0) * 0.6).clamp(60.0, 200.0);
        let filter = &mut self.filter;
        let pairs = self.confusion.as_ref().map(|(_, _, p)| p);
        ui.columns(if pairs.is_some() { 3 } else { 2 }, |cols| {
            cols[0].strong(tr("batch.per_reason"));
            egui::ScrollArea::vertical().id_salt("batch_reasons").max_height(height).show(&mut cols[0], |ui| {
                reason_bars(ui, r, filter);
            });
            cols[1].strong(tr_n("batch.unmatched_heading", s.templates, &[("lines", &s.unmatched)]));
            egui::ScrollArea::vertical().id_salt("batch_clusters").max_height(height).show(&mut cols[1], |ui| {
                clusters_ui(ui, r, lines, ctx);
            });
            if let Some(pairs) = pairs {
                confusion::confusion_ui(&mut cols[2], pairs, height);
            }
        });
    }
}

/// A filter combo box: a stable id, an accessible name in the interface language.
fn combo(ui: &mut Ui, id: &str, name: &str, selected: String, body: impl FnOnce(&mut Ui)) {
    let r = egui::ComboBox::from_id_salt(id).selected_text(selected).width(140.0).show_ui(ui, body);
    named(r.response, Role::ComboBox, name);
}
