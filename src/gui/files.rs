//! File dialogs off the UI thread, with a typed-path fallback where no native
//! dialog is available (no desktop portal).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// What the user is choosing a file for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Open a rule file.
    Open,
    /// Save the rule file under a new name.
    SaveAs,
    /// Choose where File → Export… writes.
    Export,
}

impl Purpose {
    /// Dialog title.
    pub fn title(self) -> &'static str {
        match self {
            Purpose::Open => crate::i18n::tr("dialog.open_title"),
            Purpose::SaveAs => crate::i18n::tr("dialog.save_title"),
            Purpose::Export => crate::i18n::tr("export.title"),
        }
    }
}

/// A native dialog answering "no file" faster than this was not shown at all
/// (no portal): fall back on the typed path.
const NO_DIALOG_THRESHOLD: Duration = Duration::from_millis(400);

/// A file choice in progress.
pub struct FilePicker {
    /// What for.
    pub purpose: Purpose,
    rx: Option<Receiver<Option<PathBuf>>>,
    started: Instant,
    /// The typed path (fallback, and shown while the native dialog is open).
    pub typed: String,
    /// Shown when the native dialog is unavailable.
    pub native_unavailable: bool,
}

/// Outcome of polling a picker.
pub enum PickerPoll {
    /// Still waiting.
    Pending,
    /// The user chose this path.
    Chosen(PathBuf),
    /// The user cancelled.
    Cancelled,
}

impl FilePicker {
    /// Starts a native dialog on a worker thread.
    pub fn start(purpose: Purpose, start_dir: Option<PathBuf>, suggested: &str, ctx: &egui::Context) -> FilePicker {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let name = suggested.to_owned();
        let dir = start_dir.clone();
        // Translated here: the dialog thread has its own (default) language.
        let (rules_filter, all_filter) = (crate::i18n::tr("app.filter_rules"), crate::i18n::tr("app.filter_all"));
        let title = purpose.title();
        std::thread::spawn(move || {
            let mut d = rfd::FileDialog::new().add_filter(rules_filter, &["ron"]).add_filter(all_filter, &["*"]).set_title(title);
            if let Some(dir) = dir {
                d = d.set_directory(dir);
            }
            let picked = match purpose {
                Purpose::Open => d.pick_file(),
                Purpose::SaveAs | Purpose::Export => d.set_file_name(name).save_file(),
            };
            let _ = tx.send(picked);
            ctx.request_repaint();
        });
        let typed = start_dir.map(|d| d.join(suggested).display().to_string()).unwrap_or_default();
        FilePicker { purpose, rx: Some(rx), started: Instant::now(), typed, native_unavailable: false }
    }

    /// A picker with only the typed-path field (tests, or no native dialog).
    pub fn typed_only(purpose: Purpose, typed: String) -> FilePicker {
        FilePicker { purpose, rx: None, started: Instant::now(), typed, native_unavailable: true }
    }

    /// Checks whether the native dialog answered.
    pub fn poll(&mut self) -> PickerPoll {
        let Some(rx) = &self.rx else { return PickerPoll::Pending };
        match rx.try_recv() {
            Ok(Some(p)) => PickerPoll::Chosen(p),
            Ok(None) if self.started.elapsed() < NO_DIALOG_THRESHOLD => {
                self.rx = None;
                self.native_unavailable = true;
                PickerPoll::Pending
            }
            Ok(None) => PickerPoll::Cancelled,
            Err(std::sync::mpsc::TryRecvError::Empty) => PickerPoll::Pending,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.rx = None;
                self.native_unavailable = true;
                PickerPoll::Pending
            }
        }
    }
}

/// Starts a native dialog choosing batch inputs — several files, or one
/// folder — on a worker thread; None when cancelled or when no dialog could be shown.
pub fn pick_batch_inputs(folder: bool, ctx: &egui::Context) -> Receiver<Option<Vec<PathBuf>>> {
    let (tx, rx) = channel();
    let ctx = ctx.clone();
    // Translated here: the dialog thread has its own (default) language.
    let title = if folder { crate::i18n::tr("batch.open_folder") } else { crate::i18n::tr("batch.open_files") };
    let dir = std::env::current_dir().ok();
    std::thread::spawn(move || {
        let mut d = rfd::FileDialog::new().set_title(title);
        if let Some(dir) = dir {
            d = d.set_directory(dir);
        }
        let picked = if folder { d.pick_folder().map(|p| vec![p]) } else { d.pick_files() };
        let _ = tx.send(picked);
        ctx.request_repaint();
    });
    rx
}
