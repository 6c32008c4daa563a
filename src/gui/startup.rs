//! Cold-start measurement for the release binary: `BOUNCELAB_FIRST_FRAME=print` says on stderr how
//! long the first frame took to be painted after the process started; `=exit` also closes the
//! window then, so `hyperfine` can time whole cold starts (README, "Performance"). And the
//! start-up work that needs no window ([`Preload`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::document::Document;
use crate::engine::{self, RuleSet};
use crate::i18n::{Lang, tr_fmt};

/// The rule file given on the command line (else `sample_rules/default.ron`
/// when it is there, else the built-in defaults), loaded and compiled; the
/// message to show when the file could not be opened.
pub fn open_document(file: Option<PathBuf>) -> (Document, Option<String>) {
    let default_path = PathBuf::from(engine::DEFAULT_RULES_PATH);
    let path = file.or_else(|| default_path.exists().then_some(default_path));
    match &path {
        Some(p) => match RuleSet::load(p) {
            Ok(doc) => (Document::new(doc, Some(p.clone())), None),
            Err(e) => {
                let error = tr_fmt("dialog.open_failed_default", &[("e", &e)]);
                (Document::new(engine::default_rules(), None), Some(error))
            }
        },
        None => (Document::new(engine::default_rules(), None), None),
    }
}

/// Started without a file and with no `sample_rules/default.ron` here (the installed program,
/// started from a menu): the file worked on last, from Open recent, rather than an untitled copy
/// of the built-in rules. A file named on the command line, or one that failed, is kept as is.
pub fn reopen_last(opened: (Document, Option<String>), recent: &[PathBuf]) -> (Document, Option<String>) {
    let untitled = opened.0.path.is_none() && opened.1.is_none();
    let Some(last) = recent.first().filter(|p| untitled && p.is_file()) else { return opened };
    match RuleSet::load(last) {
        Ok(doc) => (Document::new(doc, Some(last.clone())), None),
        Err(e) => (opened.0, Some(tr_fmt("dialog.reopen_failed", &[("path", &last.display()), ("e", &e)]))),
    }
}

/// Start-up work that needs no window: inflating the bundled fonts, loading
/// and compiling the rule file. Started before eframe opens the window and
/// sets up OpenGL, so the two overlap and the first frame comes sooner.
pub struct Preload(std::thread::JoinHandle<(Document, Option<String>)>);

impl Preload {
    /// Starts the work on its own thread, in the system's language (the app
    /// recompiles if the saved settings name another).
    pub fn start(file: Option<PathBuf>) -> Self {
        Preload(std::thread::spawn(move || {
            Lang::system().make_current();
            let fonts = std::thread::spawn(super::widgets::bundled_fonts);
            let opened = open_document(file);
            let _ = fonts.join();
            opened
        }))
    }

    /// Waits for the work; a panic in it (a bug) is raised here.
    pub fn join(self) -> (Document, Option<String>) {
        self.0.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
}

/// What the environment asked the probe to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstFrame {
    /// Print the time to the first painted frame.
    Print,
    /// Print it and close the window.
    Exit,
}

impl FirstFrame {
    /// Reads `BOUNCELAB_FIRST_FRAME` (`print` or `exit`; anything else: no probe).
    pub fn from_env() -> Option<Self> {
        Self::parse(&std::env::var("BOUNCELAB_FIRST_FRAME").ok()?)
    }

    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "print" | "1" => Some(Self::Print),
            "exit" => Some(Self::Exit),
            _ => None,
        }
    }
}

/// Wraps the app and watches its first frames: when the second frame starts, the first one has
/// been painted.
pub struct Probe<A> {
    app: A,
    mode: FirstFrame,
    started: Instant,
    frames: u32,
}

impl<A> Probe<A> {
    /// `started`: when the process started (taken first thing in `main`).
    pub fn new(app: A, mode: FirstFrame, started: Instant) -> Self {
        Probe { app, mode, started, frames: 0 }
    }

    /// Called at the start of every frame; returns the time to the first paint once, on the
    /// second frame.
    fn tick(&mut self) -> Option<Duration> {
        self.frames = self.frames.saturating_add(1);
        (self.frames == 2).then(|| self.started.elapsed())
    }
}

impl<A: eframe::App> eframe::App for Probe<A> {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if let Some(took) = self.tick() {
            eprintln!("bouncelab: first frame painted {} ms after start", took.as_millis());
            if self.mode == FirstFrame::Exit {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        } else if self.frames == 1 {
            // A second frame must come even when nothing moves, or the paint is never seen.
            ui.ctx().request_repaint();
        }
        self.app.ui(ui, frame);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_names_the_mode() {
        assert_eq!(FirstFrame::parse("print"), Some(FirstFrame::Print));
        assert_eq!(FirstFrame::parse(" EXIT "), Some(FirstFrame::Exit));
        assert_eq!(FirstFrame::parse("1"), Some(FirstFrame::Print));
        assert_eq!(FirstFrame::parse(""), None);
        assert_eq!(FirstFrame::parse("yes please"), None);
    }

    #[test]
    fn the_time_is_reported_once_on_the_second_frame() {
        let mut p = Probe::new((), FirstFrame::Print, Instant::now());
        assert!(p.tick().is_none(), "the first frame is not painted yet when it starts");
        assert!(p.tick().is_some());
        assert!(p.tick().is_none());
        assert!(p.tick().is_none());
    }
}
