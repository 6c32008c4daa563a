//! Ramp-up panel: the scenario editor on the left; on the right the simulated
//! throughput of the six levels (and the schedule): table, plots, per provider.
//!
//! The simulation is cached against (scenario, rules generation) so it runs
//! once per change, not once per frame. Small scenarios run on the UI thread
//! (a few ms, so dragging a value replots at once); larger ones run on a
//! worker thread while the last result stays on screen.

mod ceilings;
mod editor;
mod export;
mod reactions;
mod view;

pub use export::encode_png_region;

pub use ceilings::{binding_text, bound_text, state_text};
pub use view::{HeldPeriod, fmt_count, fmt_done, held_periods};

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Instant;

use egui::Ui;
use rayon::prelude::*;

use super::PanelCtx;
use crate::engine::Classifier;
use crate::engine::mx::{MxRule, ThroughputLevel};
use crate::engine::scenario::ReplyClass;
use crate::engine::scenario::{self, DEFAULT_SCENARIO_PATH, LevelSchedule, Scenario, ScenarioProblem, classify_feedback};
use crate::engine::simulate::{SimulateError, Simulation, run_kinds, simulate_run, simulate_with};
use crate::i18n::{tr, tr_fmt};

/// Above this estimated cost ([`cost`]) the simulation runs on a worker thread.
/// The default scenario costs 35; a 30-day, 100-provider one costs 3,000.
pub const WORKER_THRESHOLD: u64 = 400;

/// A finished simulation, or the problems that stopped it.
#[derive(Clone, Debug)]
pub struct SimResult {
    /// Validation problems (with an error, `sim` is `None`).
    pub problems: Vec<ScenarioProblem>,
    /// The runs, when the scenario had no error.
    pub sim: Option<Arc<Simulation>>,
    /// Wall time of the simulation, ms.
    pub millis: f64,
    /// Whether a worker thread computed it (the scenario cost more than [`WORKER_THRESHOLD`]).
    pub on_worker: bool,
}

/// Shared between the UI and a worker: runs done, runs in all, and a stop flag.
#[derive(Default)]
struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
    cancel: AtomicBool,
}

/// A simulation running on a worker thread.
struct Job {
    scenario: Scenario,
    generation: u64,
    progress: Arc<Progress>,
    rx: Receiver<SimResult>,
}

/// State of the ramp-up panel.
pub struct RampUpPanel {
    /// The scenario being edited (not part of the rule document).
    pub scenario: Scenario,
    /// Typed path for loading and saving the scenario.
    pub file: String,
    /// Typed path for the CSV export.
    pub csv_file: String,
    /// Typed path for the PNG export of the plots.
    pub png_file: String,
    /// Where the plots were drawn last frame (points): the PNG export's crop.
    plots_rect: Option<egui::Rect>,
    /// Frames left to draw the plots whole on top for the PNG export (3 on a press).
    png_overlay: u8,
    /// The plan as typed: comma-separated levels, one per day.
    pub plan_text: String,
    /// Why `plan_text` could not be read, if it could not.
    pub plan_error: Option<String>,
    /// Index of the run whose per-provider breakdown is shown.
    pub detail_run: usize,
    /// Last file message: (is an error, text).
    pub file_note: Option<(bool, String)>,
    /// The scenario as last loaded, saved or reset: edits since are unsaved.
    saved: Scenario,
    /// "Default" was pressed with unsaved edits: asking before dropping them.
    pub confirm_default: bool,
    /// Result shown, with the scenario and rules generation it belongs to.
    shown: Option<(Scenario, u64, SimResult)>,
    job: Option<Job>,
    export: Option<Receiver<(bool, String)>>,
    /// An export whose file is already there, waiting for Overwrite or Cancel.
    confirm_overwrite: Option<(export::Export, std::path::PathBuf)>,
}

impl Default for RampUpPanel {
    /// The built-in scenario (no disk access: [`RampUpPanel::load`] reads the shipped file).
    fn default() -> Self {
        Self::with_scenario(Scenario::default(), None)
    }
}

impl RampUpPanel {
    /// The shipped scenario when run from the project folder, else the built-in one (with the
    /// reason when the file is there but cannot be read).
    pub fn load() -> Self {
        let path = Path::new(DEFAULT_SCENARIO_PATH);
        if !path.exists() {
            return Self::default();
        }
        let mut p = match Scenario::load(path) {
            Ok(s) => Self::with_scenario(s, None),
            Err(e) => Self::with_scenario(Scenario::default(), Some((true, tr_fmt("rampup.bad_file", &[("error", &e)])))),
        };
        // Named only when it is there: outside a checkout the field starts empty, not on a
        // file that Load cannot find (review finding).
        p.file = DEFAULT_SCENARIO_PATH.to_owned();
        p
    }

    fn with_scenario(scenario: Scenario, file_note: Option<(bool, String)>) -> Self {
        let mut p = RampUpPanel {
            scenario: Scenario::default(),
            file: String::new(),
            csv_file: "rampup.csv".to_owned(),
            png_file: "rampup.png".to_owned(),
            plots_rect: None,
            png_overlay: 0,
            plan_text: String::new(),
            plan_error: None,
            detail_run: 1,
            file_note,
            saved: scenario.clone(),
            confirm_default: false,
            shown: None,
            job: None,
            export: None,
            confirm_overwrite: None,
        };
        p.set_scenario(scenario);
        p
    }
}

/// Rough cost of simulating `s`: providers × days, plus the per-IP routing
/// when MX rules are restricted to identifier ranges (then every IP is routed).
pub fn cost(s: &Scenario, rules: &[MxRule]) -> u64 {
    let providers = s.providers.len() as u64;
    let days = u64::from(s.horizon_days.min(scenario::MAX_HORIZON_DAYS));
    let per_ip = if rules.iter().any(|r| r.ids.is_some()) { u64::from(s.ips.min(scenario::MAX_IPS)) / 10 } else { 0 };
    providers.max(1) * (days + per_ip)
}

/// Simulates the runs in parallel, counting finished ones so the worker can
/// report progress; runs not yet started are skipped once cancelled (`None`).
fn simulate_stepwise(s: &Scenario, rules: &[MxRule], classes: &[ReplyClass], p: &Progress) -> Option<Result<Simulation, SimulateError>> {
    let problems = scenario::validate(s, rules);
    if scenario::has_errors(&problems) {
        return Some(Err(SimulateError::Invalid(problems)));
    }
    let kinds = run_kinds(s);
    p.total.store(kinds.len(), Ordering::Relaxed);
    let runs: Option<Result<Vec<_>, _>> = kinds
        .into_par_iter()
        .map(|kind| {
            if p.cancel.load(Ordering::Relaxed) {
                return None;
            }
            let run = simulate_run(s, rules, classes, kind);
            p.done.fetch_add(1, Ordering::Relaxed);
            Some(run)
        })
        .collect();
    Some(runs?.map(|runs| Simulation { runs, problems }))
}

/// Validates and simulates; with `progress`, run by run (`None` when cancelled).
fn compute(s: &Scenario, rules: &[MxRule], classes: &[ReplyClass], progress: Option<&Progress>) -> Option<SimResult> {
    let start = Instant::now();
    let result = match progress {
        None => simulate_with(s, rules, classes),
        Some(p) => simulate_stepwise(s, rules, classes, p)?,
    };
    let (problems, sim) = match result {
        Ok(sim) => (sim.problems.clone(), Some(Arc::new(sim))),
        Err(SimulateError::Invalid(p)) => (p, None),
    };
    let on_worker = progress.is_some();
    Some(SimResult { problems, sim, millis: start.elapsed().as_secs_f64() * 1000.0, on_worker })
}

/// The plan as text, e.g. `Slow, Slow, Normal`.
pub fn plan_to_text(plan: &[ThroughputLevel]) -> String {
    plan.iter().map(|l| l.display_label()).collect::<Vec<_>>().join(", ")
}

/// Reads a comma-separated plan (labels or numbers 1 to 6); says which entry is wrong.
pub fn parse_plan(text: &str) -> Result<Vec<ThroughputLevel>, String> {
    let mut out = Vec::new();
    for (i, part) in text.split([',', ';']).enumerate() {
        let part = part.trim();
        if part.is_empty() && text.trim().is_empty() {
            break;
        }
        match ThroughputLevel::parse(part) {
            Some(l) => out.push(l),
            None => {
                let shown: String = part.chars().take(30).collect();
                return Err(tr_fmt("rampup.plan_bad_entry", &[("day", &(i + 1)), ("entry", &shown)]));
            }
        }
    }
    Ok(out)
}

/// Below this window width the scenario editor goes above the results instead of beside
/// them: side by side, the editor's forms and the results' table do not both fit.
pub const STACK_WIDTH: f32 = 1400.0;

impl RampUpPanel {
    /// Replaces the scenario (and the plan text that mirrors its schedule).
    pub fn set_scenario(&mut self, s: Scenario) {
        if let LevelSchedule::Plan(p) = &s.schedule {
            self.plan_text = plan_to_text(p);
        }
        self.plan_error = None;
        self.scenario = s;
    }

    /// Whether the scenario has edits not in a file (nor the built-in one just reset to).
    pub fn is_dirty(&self) -> bool {
        self.scenario != self.saved
    }

    /// Marks the scenario as the one in the file (loaded or saved) or the built-in one.
    pub fn mark_saved(&mut self) {
        self.saved = self.scenario.clone();
    }

    /// What the app keeps across sessions: the unsaved scenario and its file name.
    pub fn unsaved(&self) -> Option<(String, Scenario)> {
        self.is_dirty().then(|| (self.file.clone(), self.scenario.clone()))
    }

    /// Brings back the scenario being edited when the app last closed.
    pub fn restore(&mut self, file: String, scenario: Scenario) {
        self.file = file;
        self.set_scenario(scenario);
        self.file_note = Some((false, tr("rampup.restored").to_owned()));
    }

    /// The result on screen (possibly of an earlier scenario while a worker runs).
    pub fn result(&self) -> Option<&SimResult> {
        self.shown.as_ref().map(|s| &s.2)
    }

    /// Whether the result on screen belongs to the current scenario.
    pub fn is_current(&self, generation: u64) -> bool {
        self.shown.as_ref().is_some_and(|(s, g, _)| *g == generation && *s == self.scenario)
    }

    /// Whether a worker is simulating.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Collects a worker's result, and starts a simulation when the scenario
    /// or the rules changed since the one shown.
    fn refresh(&mut self, ctx: &egui::Context, rules: &[MxRule], classifier: &Classifier, generation: u64) {
        if let Some(job) = &self.job {
            match job.rx.try_recv() {
                Ok(r) => {
                    self.shown = Some((job.scenario.clone(), job.generation, r));
                    self.job = None;
                }
                Err(TryRecvError::Disconnected) => self.job = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        if self.is_current(generation) {
            return;
        }
        if self.job.as_ref().is_some_and(|j| j.generation == generation && j.scenario == self.scenario) {
            return;
        }
        if let Some(old) = self.job.take() {
            // It stops after its current run; its result is never read.
            old.progress.cancel.store(true, Ordering::Relaxed);
        }
        // Feedback replies are qualified by the document's bounce rules.
        let classes = classify_feedback(&self.scenario.feedback, classifier);
        if cost(&self.scenario, rules) <= WORKER_THRESHOLD {
            if let Some(r) = compute(&self.scenario, rules, &classes, None) {
                self.shown = Some((self.scenario.clone(), generation, r));
            }
            return;
        }
        let (tx, rx) = mpsc::channel();
        let progress = Arc::new(Progress::default());
        let (s, rules_owned, p, egui_ctx) = (self.scenario.clone(), rules.to_vec(), progress.clone(), ctx.clone());
        let classes_owned = classes.clone();
        let lang = crate::i18n::Lang::current();
        let spawned = std::thread::Builder::new().name("rampup-sim".into()).spawn(move || {
            // Validation messages are worded on this thread: in the UI's language.
            lang.make_current();
            if let Some(r) = compute(&s, &rules_owned, &classes_owned, Some(&p)) {
                // The receiver may be gone (a newer job replaced this one): nothing to do then.
                let _ = tx.send(r);
            }
            egui_ctx.request_repaint();
        });
        match spawned {
            Ok(_) => self.job = Some(Job { scenario: self.scenario.clone(), generation, progress, rx }),
            // No thread available: simulate here rather than show nothing.
            Err(_) => {
                if let Some(r) = compute(&self.scenario, rules, &classes, None) {
                    self.shown = Some((self.scenario.clone(), generation, r));
                }
            }
        }
    }

    /// Runs done and in all for the worker, if one runs.
    fn progress(&self) -> Option<(usize, usize)> {
        self.job.as_ref().map(|j| (j.progress.done.load(Ordering::Relaxed), j.progress.total.load(Ordering::Relaxed)))
    }

    /// Draws the panel: the editor beside the results in a wide window, above them below [`STACK_WIDTH`].
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let generation = ctx.compiled.generation;
        self.refresh(ui.ctx(), &ctx.rules.mx_rules, &ctx.compiled.classifier, generation);
        let problems = self.shown.as_ref().map(|s| s.2.problems.clone()).unwrap_or_default();
        let before = self.scenario.clone();
        // The editor never takes more than 55 % of the width, so the plots and tables
        // keep room on a 1024-pixel screen; what it cannot fit scrolls sideways.
        let avail = ui.available_width().max(600.0);
        if ui.ctx().content_rect().width() < STACK_WIDTH {
            // A narrow window: the editor above the results, at full width, so its forms and
            // the provider grid fit; the plots and tables keep the full width below.
            let h = ui.available_height();
            let editor = egui::Panel::top("rampup_editor_top").resizable(true).default_size(h * 0.45);
            editor.size_range((h * 0.2)..=(h * 0.7)).show(ui, |ui| {
                egui::ScrollArea::both().id_salt("rampup_editor_scroll").show(ui, |ui| self.editor_ui(ui, ctx, &problems));
            });
        } else {
            let editor = egui::Panel::left("rampup_editor").resizable(true).default_size(620.0_f32.min(avail * 0.5));
            editor.size_range(300.0..=(avail * 0.55)).show(ui, |ui| {
                egui::ScrollArea::both().id_salt("rampup_editor_scroll").show(ui, |ui| self.editor_ui(ui, ctx, &problems));
            });
        }
        if self.scenario != before {
            // Replot in this very frame; the problems beside the fields follow next frame.
            self.refresh(ui.ctx(), &ctx.rules.mx_rules, &ctx.compiled.classifier, generation);
            ui.ctx().request_repaint();
        }
        if self.job.is_some() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        self.poll_export(ctx);
        egui::ScrollArea::both().id_salt("rampup_results_scroll").show(ui, |ui| self.results_ui(ui));
    }

    fn poll_export(&mut self, ctx: &mut PanelCtx) {
        let Some(rx) = &self.export else { return };
        match rx.try_recv() {
            Ok((err, msg)) => {
                self.file_note = Some((err, msg.clone()));
                ctx.act(super::Action::Status(msg));
                self.export = None;
            }
            Err(TryRecvError::Disconnected) => {
                self.file_note = Some((true, tr("rampup.export_no_result").to_owned()));
                self.export = None;
            }
            Err(TryRecvError::Empty) => {}
        }
    }
}
