//! The desktop app (egui/eframe). One panel a file; panels never do side
//! effects themselves: they push [`Action`]s that the [`app::BounceLabApp`] runs.

pub mod app;
pub mod batch;
pub mod bounce_rules;
pub mod compile_worker;
pub mod dns_lookup;
pub mod document;
pub mod export_dialog;
pub mod files;
pub mod gallery;
pub mod grid;
pub mod mx_rules;
pub mod quarantine_sim;
pub mod rampup;
pub mod reasons;
pub mod settings;
pub mod startup;
pub mod sync_dialog;
pub mod tester;
pub mod widgets;

use std::path::PathBuf;

use crate::engine::RuleSet;
use crate::i18n::tr;
use document::Compiled;

/// The panels of the main area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Panel {
    /// Bounce rule table.
    BounceRules,
    /// Reasons and categories.
    Reasons,
    /// Live tester.
    Tester,
    /// Batch classification of many responses.
    Batch,
    /// Trainer gallery.
    Gallery,
    /// MX rule table.
    MxRules,
    /// Live MX lookup.
    DnsLookup,
    /// Ramp-up simulator: throughput per level.
    RampUp,
    /// Quarantine simulator for one address.
    Quarantine,
}

impl Panel {
    /// Panels in navigation order.
    pub const ALL: [Panel; 9] = [
        Panel::BounceRules,
        Panel::Tester,
        Panel::Batch,
        Panel::Gallery,
        Panel::Reasons,
        Panel::MxRules,
        Panel::DnsLookup,
        Panel::RampUp,
        Panel::Quarantine,
    ];

    /// Navigation label (in the current language).
    pub fn label(self) -> &'static str {
        match self {
            Panel::BounceRules => tr("panel.bounce_rules"),
            Panel::Reasons => tr("panel.reasons"),
            Panel::Tester => tr("panel.tester"),
            Panel::Batch => tr("panel.batch"),
            Panel::Gallery => tr("panel.gallery"),
            Panel::MxRules => tr("panel.mx_rules"),
            Panel::DnsLookup => tr("panel.dns_lookup"),
            Panel::RampUp => tr("panel.rampup"),
            Panel::Quarantine => tr("panel.quarantine"),
        }
    }
}

/// Something a panel asks the app to do after the frame's UI.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Switch the main area to a panel.
    Show(Panel),
    /// Select a bounce rule in the editor (and show it).
    SelectRule(usize),
    /// Select an MX rule in the MX rule editor (and show it).
    SelectMxRule(usize),
    /// Put a text in the tester (and show it).
    LoadInTester(String),
    /// Show a batch row's whole email in the tester, its recipient's part highlighted.
    LoadEmailInTester(Box<tester::EmailInTester>),
    /// Batch: choose files (or a folder) to read in a native dialog.
    BatchOpenDialog {
        /// A folder rather than files.
        folder: bool,
    },
    /// Propose a rule for a batch cluster in the tester, where it is previewed on
    /// the batch before it is inserted or cancelled.
    ProposeRule {
        /// A line of the cluster: the tester's text, generalised into the pattern.
        text: String,
        /// Category to start with.
        category: String,
        /// Failure type the rule keeps (see `engine::rule_effect::kept_failure_type`).
        failure_type: Option<crate::engine::ruleset::FailureType>,
        /// Where it would be inserted.
        at: usize,
    },
    /// Create a rule from a tester text or a batch cluster: escaped pattern, the text as its example.
    NewRuleFromText {
        /// Name to start from (made unique): says where the rule came from.
        name: &'static str,
        /// Regex pattern (already escaped).
        pattern: String,
        /// The whole text, kept as must-match example.
        example: String,
        /// Category to start with.
        category: String,
        /// Failure type the rule overrides its category's with (see
        /// `engine::rule_effect::kept_failure_type`).
        failure_type: Option<crate::engine::ruleset::FailureType>,
        /// Where to insert it so it wins its example.
        at: usize,
    },
    /// Open a file picker.
    Open,
    /// Open this file (after the unsaved-changes check).
    OpenPath(PathBuf),
    /// Save to the current file.
    Save,
    /// Save under a new name.
    SaveAs,
    /// Start a new document.
    New,
    /// Undo.
    Undo,
    /// Redo.
    Redo,
    /// Show a message in the status bar.
    Status(String),
    /// Lines won per rule in a finished batch run, for the document's lint and Hits column.
    BatchHits(Vec<usize>),
    /// Classify a text in the batch panel (the tester's held paste) and show it.
    SendToBatch(String),
    /// Rule source sync: check, apply, upstream settings, custom mode.
    Sync(sync_dialog::SyncAction),
    /// File → Export…: choose the path, write and verify.
    Export(export_dialog::ExportAction),
}

/// What a panel gets each frame.
pub struct PanelCtx<'a> {
    /// The document (mutable: panels edit it).
    pub rules: &'a mut RuleSet,
    /// Compiled form of the document as of the start of the frame.
    pub compiled: &'a Compiled,
    /// Requests for the app.
    pub actions: &'a mut Vec<Action>,
    /// Set when a panel changed `rules` in place (text edits, toggles).
    pub edited: bool,
    /// Set when a panel made a discrete change (add, delete, move).
    pub structural: bool,
}

impl PanelCtx<'_> {
    /// Queues an action.
    pub fn act(&mut self, a: Action) {
        self.actions.push(a);
    }
}

/// Opens the main window with `file` (default: sample_rules/default.ron). `started`: when the
/// process started, for the cold-start probe ([`startup`]).
pub fn run(file: Option<PathBuf>, started: std::time::Instant) -> anyhow::Result<()> {
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).ok();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("bouncelab")
        .with_inner_size([1280.0, 820.0])
        .with_min_inner_size([720.0, 480.0])
        .with_drag_and_drop(true);
    if let Some(icon) = icon {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Glow, ..Default::default() };
    let preload = startup::Preload::start(file);
    let probe = startup::FirstFrame::from_env();
    eframe::run_native(
        "bouncelab",
        options,
        Box::new(move |cc| {
            let app = app::BounceLabApp::new(cc, preload);
            Ok(match probe {
                Some(mode) => Box::new(startup::Probe::new(app, mode, started)) as Box<dyn eframe::App>,
                None => Box::new(app),
            })
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}
