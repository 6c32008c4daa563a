//! The application: owns the document, the panels, file dialogs and modals,
//! and runs the actions panels ask for. File pickers and modal dialogs live
//! in [`dialogs`].

mod actions;
mod dialogs;

use std::path::{Path, PathBuf};

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::batch::BatchPanel;
use super::bounce_rules::{BounceRulesPanel, ListOp};
use super::dns_lookup::DnsLookupPanel;
use super::document::Document;
use super::export_dialog::ExportDialog;
use super::files::FilePicker;
use super::gallery::GalleryPanel;
use super::mx_rules::MxRulesPanel;
use super::quarantine_sim::QuarantineSimPanel;
use super::rampup::RampUpPanel;
use super::reasons::ReasonsPanel;
use super::settings::Settings;
use super::sync_dialog::{SyncAction, SyncDialog};
use super::tester::TesterPanel;
use super::{Action, Panel, PanelCtx};
use crate::engine;
use crate::engine::scenario::Scenario;
use crate::i18n::{Lang, tr, tr_fmt};

const SETTINGS_KEY: &str = "bouncelab_settings";
/// The ramp-up scenario with unsaved edits at the last close, and its file name.
const SCENARIO_KEY: &str = "bouncelab_unsaved_scenario";

/// Seconds a status message stays before it clears itself (an edit clears it at once).
pub const STATUS_SECS: f64 = 12.0;

/// Whether `p` is the shipped default rule file (opened as a template, never overwritten).
pub fn is_shipped_default(p: &Path) -> bool {
    let Ok(p) = p.canonicalize() else { return false };
    let here = Path::new(engine::DEFAULT_RULES_PATH);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(engine::DEFAULT_RULES_PATH);
    [here, source.as_path()].iter().any(|d| d.canonicalize().is_ok_and(|d| d == p))
}

/// What to do once unsaved changes are dealt with.
#[derive(Clone, Debug, PartialEq)]
enum AfterConfirm {
    Open,
    OpenPath(PathBuf),
    New,
    Close,
}

/// The bouncelab window.
pub struct BounceLabApp {
    /// The open document.
    pub document: Document,
    /// Persisted preferences.
    pub settings: Settings,
    /// Bounce rule table.
    pub rules_panel: BounceRulesPanel,
    /// Live tester.
    pub tester: TesterPanel,
    /// Trainer gallery.
    pub gallery: GalleryPanel,
    /// Reasons and categories.
    pub reasons: ReasonsPanel,
    /// MX rule table.
    pub mx_rules: MxRulesPanel,
    /// Live MX lookup (owns its background worker).
    pub dns: DnsLookupPanel,
    /// Batch classification (owns its background jobs).
    pub batch: BatchPanel,
    /// Ramp-up simulator (owns its scenario and worker).
    pub rampup: RampUpPanel,
    /// Quarantine simulator.
    pub quarantine: QuarantineSimPanel,
    /// Last message for the status bar; it clears itself after [`STATUS_SECS`] or on the next edit.
    pub status: String,
    /// The message as first seen, and when (to clear it in time).
    status_seen: Option<(String, f64)>,
    /// An error to show in a dialog (load/save failures).
    pub error: Option<String>,
    confirm: Option<AfterConfirm>,
    picker: Option<FilePicker>,
    allow_close: bool,
    show_shortcuts: bool,
    show_about: bool,
    applied_look: Option<(bool, bool, bool)>,
    last_title: String,
    /// Use typed-path dialogs instead of native ones (tests, headless).
    pub typed_dialogs: bool,
    /// Interface language (resolved from `settings.language`).
    pub lang: Lang,
    /// Rule source sync dialog (upstream check, apply, custom mode).
    pub sync: SyncDialog,
    /// File → Export… window.
    pub export: ExportDialog,
    /// Where the main area was drawn last frame (layout tests compare widgets with it).
    pub main_rect: egui::Rect,
}

impl BounceLabApp {
    /// Creates the app from eframe's creation context.
    pub fn new(cc: &eframe::CreationContext<'_>, preload: super::startup::Preload) -> Self {
        let settings = cc.storage.and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY)).unwrap_or_default();
        let lang = settings.language.as_deref().and_then(Lang::from_code).unwrap_or_else(Lang::system);
        let (document, error) = super::startup::reopen_last(preload.join(), &settings.recent);
        super::widgets::install_fonts(&cc.egui_ctx);
        let mut app = Self::with_document(settings, document, error, lang);
        if let Some((file, scenario)) = cc.storage.and_then(|s| eframe::get_value::<Option<(String, Scenario)>>(s, SCENARIO_KEY)).flatten()
        {
            app.rampup.restore(file, scenario);
        }
        app
    }

    /// Creates the app with given settings (used by tests).
    /// `settings.language` `None` (system) means English here; [`Self::new`] resolves the locale.
    pub fn with_settings(settings: Settings, file: Option<PathBuf>) -> Self {
        let lang = settings.language.as_deref().and_then(Lang::from_code).unwrap_or(Lang::ENGLISH);
        Self::build(settings, file, lang)
    }

    fn build(settings: Settings, file: Option<PathBuf>, lang: Lang) -> Self {
        lang.make_current();
        let (document, error) = super::startup::open_document(file);
        Self::with_document(settings, document, error, lang)
    }

    fn with_document(mut settings: Settings, mut document: Document, error: Option<String>, lang: Lang) -> Self {
        lang.make_current();
        // The file named on the command line is in Open recent too, as a file opened in the app is.
        if let Some(p) = document.path.clone() {
            settings.push_recent(p);
        }
        // Compiled in another language (the preload guesses the system's): lint messages follow the UI.
        document.set_language(lang);
        let status = tr_fmt("status.opened", &[("name", &document.display_name())]);
        BounceLabApp {
            document,
            settings,
            rules_panel: BounceRulesPanel::default(),
            tester: TesterPanel::default(),
            gallery: GalleryPanel::load(),
            reasons: ReasonsPanel::default(),
            mx_rules: MxRulesPanel::default(),
            dns: DnsLookupPanel::default(),
            batch: BatchPanel::default(),
            rampup: RampUpPanel::load(),
            quarantine: QuarantineSimPanel::default(),
            status,
            status_seen: None,
            error,
            confirm: None,
            picker: None,
            allow_close: false,
            show_shortcuts: false,
            show_about: false,
            applied_look: None,
            last_title: String::new(),
            typed_dialogs: false,
            sync: SyncDialog::default(),
            export: ExportDialog::default(),
            main_rect: egui::Rect::NOTHING,
            lang,
        }
    }

    /// Whether the open document is the shipped default: Save then asks for a new file.
    pub fn is_template(&self) -> bool {
        self.document.path.as_deref().is_some_and(is_shipped_default)
    }

    /// Clears the status message on an edit or once it is [`STATUS_SECS`] old.
    fn age_status(&mut self, ctx: &egui::Context, time: f64, edited: bool) {
        if self.status.is_empty() || edited {
            self.status.clear();
            self.status_seen = None;
            return;
        }
        match &self.status_seen {
            Some((s, at)) if *s == self.status => {
                let left = STATUS_SECS - (time - at);
                if left <= 0.0 {
                    self.status.clear();
                    self.status_seen = None;
                } else {
                    ctx.request_repaint_after(std::time::Duration::from_secs_f64(left));
                }
            }
            _ => {
                self.status_seen = Some((self.status.clone(), time));
                ctx.request_repaint_after(std::time::Duration::from_secs_f64(STATUS_SECS));
            }
        }
    }

    /// Window title: `bouncelab — file.ron` with `*` when there are unsaved changes.
    pub fn title(&self) -> String {
        format!("bouncelab — {}{}", self.document.display_name(), if self.document.is_dirty() { " *" } else { "" })
    }

    /// One frame of the whole UI.
    pub fn frame_ui(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.lang.make_current();
        self.document.set_language(self.lang);
        self.apply_look(&ctx);
        let mut actions = Vec::new();
        self.shortcuts(&ctx, &mut actions);
        // On the Batch panel, dropped logs go to the batch; rule files (.ron) still open as documents.
        let mut to_batch = Vec::new();
        ctx.input(|i| {
            for f in &i.raw.dropped_files {
                let p = f.path();
                if p.as_os_str().is_empty() {
                } else if self.settings.panel == Panel::Batch && p.extension().is_none_or(|e| !e.eq_ignore_ascii_case("ron")) {
                    to_batch.push(p.to_owned());
                } else {
                    actions.push(Action::OpenPath(p.to_owned()));
                }
            }
        });
        if !to_batch.is_empty() {
            self.batch.open_paths(to_batch, &ctx);
        }

        // Presentation mode: full screen, no menu, navigation or status bar.
        let presenting = self.settings.presentation;
        if !presenting {
            self.gallery.end_presentation();
        }
        if !presenting {
            egui::Panel::top("menu_bar").show(ui, |ui| {
                egui::MenuBar::new().ui(ui, |ui| self.menu_ui(ui, &mut actions));
            });
            egui::Panel::bottom("status_bar").show(ui, |ui| self.status_ui(ui, &mut actions));
            egui::Panel::left("navigation").resizable(false).exact_size(140.0).show(ui, |ui| {
                ui.add_space(6.0);
                for p in Panel::ALL {
                    let text = RichText::new(p.label()).size(15.0);
                    if ui.add_sized([128.0, 28.0], egui::Button::selectable(self.settings.panel == p, text)).clicked() {
                        self.settings.panel = p;
                    }
                }
            });
        }

        let time = ctx.input(|i| i.time);
        self.document.poll_compile();
        if self.document.is_compiling() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        // Polled every frame, whichever panel is shown, so an answer is never missed.
        self.dns.poll();
        let rule_count = self.document.rules.bounce_rules.len();
        self.batch.poll(&ctx, &self.document.compiled.classifier, rule_count, &mut actions);
        // The batch when classified with the current rules: the tester's new-rule preview measures on it.
        let batch = self.batch.classified_with(&self.document.compiled.classifier);
        let mut pctx = PanelCtx {
            rules: &mut self.document.rules,
            compiled: &self.document.compiled,
            actions: &mut actions,
            edited: false,
            structural: false,
        };
        let panel = self.settings.panel;
        // Below the fold width the tester beside the rules becomes a toolbar toggle.
        self.rules_panel.tester_folded = self.settings.tester_beside_rules && super::grid::is_narrow(&ctx);
        let tester_shown = !self.rules_panel.tester_folded || self.rules_panel.tester_unfolded;
        if presenting {
            // A large tester beside one whole card; the arrow keys step through the cards.
            // Recomputed every frame: the zoom of presentation mode changes the width in points.
            let width = (ui.available_width() * 0.42).max(260.0);
            egui::Panel::right("presentation_tester").resizable(false).exact_size(width).show(ui, |ui| {
                self.tester.ui(ui, &mut pctx, batch.as_ref());
            });
            let in_tester = self.tester.text.as_str();
            self.main_rect =
                egui::CentralPanel::default().show(ui, |ui| self.gallery.presentation_ui(ui, &mut pctx, in_tester)).response.rect;
        } else {
            if panel == Panel::BounceRules && self.settings.tester_beside_rules && tester_shown {
                egui::Panel::right("tester_beside").resizable(true).default_size(320.0).min_size(260.0).show(ui, |ui| {
                    self.tester.ui(ui, &mut pctx, batch.as_ref());
                });
            }
            self.main_rect = egui::CentralPanel::default()
                .show(ui, |ui| match panel {
                    Panel::BounceRules => self.rules_panel.ui(ui, &mut pctx, &mut self.settings.rule_grid),
                    Panel::Reasons => self.reasons.ui(ui, &mut pctx),
                    Panel::Tester => self.tester.ui(ui, &mut pctx, batch.as_ref()),
                    Panel::Gallery => self.gallery.ui(ui, &mut pctx),
                    Panel::MxRules => self.mx_rules.ui(ui, &mut pctx, &mut self.settings.mx_grid),
                    Panel::DnsLookup => self.dns.ui(ui, &mut pctx, &mut self.settings.nameserver),
                    Panel::Batch => self.batch.ui(ui, &mut pctx),
                    Panel::RampUp => self.rampup.ui(ui, &mut pctx),
                    Panel::Quarantine => self.quarantine.ui(ui, &mut pctx),
                })
                .response
                .rect;
        }
        let (edited, structural) = (pctx.edited, pctx.structural);
        self.age_status(&ctx, time, edited || structural);
        if structural {
            self.document.after_structural_edit();
        } else if edited {
            self.document.after_edit(time);
        } else {
            self.document.tick(time);
        }

        if self.sync.take_open_check() {
            actions.push(Action::Sync(SyncAction::CheckOnOpen));
        }
        self.sync.ui(&ctx, &self.document, &mut actions);
        self.export.ui(&ctx, &self.document.rules, &mut actions);
        for a in actions {
            self.run_action(a, &ctx);
        }
        self.poll_picker(&ctx);
        self.modals_ui(&ctx);
        self.close_request(&ctx);

        let title = self.title();
        if title != self.last_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.last_title = title;
        }
    }

    fn apply_look(&mut self, ctx: &egui::Context) {
        // Hangul and Han characters at egui's small size (9 px) are hard to read: the
        // tester's legend and the ceiling table's notes get a size they stay legible at.
        let cjk = matches!(Lang::current().code(), "ko" | "zh-Hans" | "zh-Hant");
        let look = (self.settings.dark, self.settings.presentation, cjk);
        if self.applied_look == Some(look) {
            return;
        }
        self.applied_look = Some(look);
        let small = egui::Style::default().text_styles.get(&egui::TextStyle::Small).map_or(9.0, |f| f.size);
        ctx.all_styles_mut(|s| {
            if let Some(f) = s.text_styles.get_mut(&egui::TextStyle::Small) {
                f.size = if cjk { small.max(11.0) } else { small };
            }
        });
        let mut visuals = if look.0 { egui::Visuals::dark() } else { egui::Visuals::light() };
        if look.1 {
            // Projector: pure background, stronger text and strokes.
            visuals.override_text_color = Some(if look.0 { egui::Color32::WHITE } else { egui::Color32::BLACK });
            visuals.panel_fill = if look.0 { egui::Color32::BLACK } else { egui::Color32::WHITE };
            visuals.window_fill = visuals.panel_fill;
            visuals.widgets.noninteractive.fg_stroke.width = 1.5;
        }
        ctx.set_theme(if look.0 { egui::Theme::Dark } else { egui::Theme::Light });
        ctx.set_visuals(visuals);
        ctx.set_zoom_factor(if look.1 { 1.5 } else { 1.0 });
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(look.1));
    }

    fn shortcuts(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let cmd = Modifiers::COMMAND;
        let cmd_shift = Modifiers::COMMAND | Modifiers::SHIFT;
        let table: [(Modifiers, Key, Action); 7] = [
            (cmd_shift, Key::S, Action::SaveAs),
            (cmd_shift, Key::Z, Action::Redo),
            (cmd, Key::S, Action::Save),
            (cmd, Key::O, Action::Open),
            (cmd, Key::N, Action::New),
            (cmd, Key::Z, Action::Undo),
            (cmd, Key::Y, Action::Redo),
        ];
        // In the tester's or the batch's text box, Ctrl+Z is the box's own undo: taken here it
        // undid an earlier rule edit instead of the typing (review finding).
        let scratch = super::widgets::scratch_text_focused(ctx);
        ctx.input_mut(|i| {
            for (m, k, a) in table {
                if scratch && matches!(a, Action::Undo | Action::Redo) {
                    continue;
                }
                if i.consume_shortcut(&KeyboardShortcut::new(m, k)) {
                    actions.push(a);
                }
            }
            if i.consume_shortcut(&KeyboardShortcut::new(cmd, Key::F)) {
                self.settings.panel = Panel::BounceRules;
                self.rules_panel.focus_filter = true;
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::NONE, Key::F11)) {
                self.settings.presentation = !self.settings.presentation;
            }
            if self.settings.presentation && i.consume_key(Modifiers::NONE, Key::Escape) {
                self.settings.presentation = false;
            }
        });
    }

    fn menu_ui(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let sc = |ui: &Ui, m, k| ui.ctx().format_shortcut(&KeyboardShortcut::new(m, k));
        let cmd_shift = Modifiers::COMMAND | Modifiers::SHIFT;
        ui.menu_button(tr("menu.file"), |ui| {
            // Room between a label and its shortcut: sized to its content, the menu left the longest
            // label (Korean "Save as…") touching "Ctrl+Shift+S".
            ui.set_min_width(240.0);
            let items = [
                (tr("menu.new"), sc(ui, Modifiers::COMMAND, Key::N), Action::New),
                (tr("menu.open"), sc(ui, Modifiers::COMMAND, Key::O), Action::Open),
                (tr("menu.save"), sc(ui, Modifiers::COMMAND, Key::S), Action::Save),
                (tr("menu.save_as"), sc(ui, cmd_shift, Key::S), Action::SaveAs),
            ];
            for (label, shortcut, a) in items {
                if ui.add(egui::Button::new(label).shortcut_text(shortcut)).clicked() {
                    actions.push(a);
                }
            }
            ui.menu_button(tr("menu.open_recent"), |ui| {
                if self.settings.recent.is_empty() {
                    ui.weak(tr("menu.no_recent"));
                }
                for p in self.settings.recent.clone() {
                    if ui.button(p.display().to_string()).clicked() {
                        actions.push(Action::OpenPath(p));
                    }
                }
            });
            ui.separator();
            if ui.button(tr("export.menu")).clicked() {
                self.export.show(self.document.path.as_deref());
            }
            ui.separator();
            if ui.button(tr("app.check_updates")).clicked() {
                actions.push(Action::Sync(SyncAction::Check));
            }
            let mut custom = self.document.rules.custom_mode;
            if ui.checkbox(&mut custom, tr("app.custom_mode")).clicked() {
                actions.push(Action::Sync(SyncAction::SetCustomMode(custom)));
            }
            ui.separator();
            if ui.button(tr("menu.quit")).clicked() {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        });
        ui.menu_button(tr("menu.edit"), |ui| {
            let (u, r) = (self.document.can_undo(), self.document.can_redo());
            if ui.add_enabled(u, egui::Button::new(tr("menu.undo")).shortcut_text(sc(ui, Modifiers::COMMAND, Key::Z))).clicked() {
                actions.push(Action::Undo);
            }
            if ui.add_enabled(r, egui::Button::new(tr("menu.redo")).shortcut_text(sc(ui, cmd_shift, Key::Z))).clicked() {
                actions.push(Action::Redo);
            }
            ui.separator();
            if ui.button(tr("menu.add_rule")).clicked() {
                self.settings.panel = Panel::BounceRules;
                let mut pctx = PanelCtx {
                    rules: &mut self.document.rules,
                    compiled: &self.document.compiled,
                    actions,
                    edited: false,
                    structural: false,
                };
                if self.rules_panel.apply(ListOp::Add, &mut pctx) {
                    self.document.after_structural_edit();
                }
            }
            if ui.add(egui::Button::new(tr("menu.find_rule")).shortcut_text(sc(ui, Modifiers::COMMAND, Key::F))).clicked() {
                self.settings.panel = Panel::BounceRules;
                self.rules_panel.focus_filter = true;
            }
        });
        ui.menu_button(tr("menu.view"), |ui| {
            for p in Panel::ALL {
                if ui.radio(self.settings.panel == p, p.label()).clicked() {
                    self.settings.panel = p;
                }
            }
            ui.separator();
            ui.checkbox(&mut self.settings.tester_beside_rules, tr("menu.tester_beside"));
            ui.checkbox(&mut self.settings.dark, tr("menu.dark"));
            ui.add(egui::Checkbox::new(&mut self.settings.presentation, tr("menu.presentation")));
            ui.separator();
            ui.menu_button(tr("menu.language"), |ui| {
                if ui.radio(self.settings.language.is_none(), tr("menu.system_language")).clicked() {
                    self.settings.language = None;
                    self.lang = Lang::system();
                }
                for l in Lang::all() {
                    if ui.radio(self.settings.language.as_deref() == Some(l.code()), l.name()).clicked() {
                        self.settings.language = Some(l.code().to_owned());
                        self.lang = l;
                    }
                }
                self.lang.make_current();
            });
        });
        ui.menu_button(tr("menu.help"), |ui| {
            if ui.button(tr("menu.shortcuts")).clicked() {
                self.show_shortcuts = true;
            }
            if ui.button(tr("menu.about")).clicked() {
                self.show_about = true;
            }
        });
    }

    fn status_ui(&mut self, ui: &mut Ui, _actions: &mut [Action]) {
        ui.horizontal(|ui| {
            let path = self.document.path.as_deref().map_or(tr("status.not_saved").to_owned(), |p| p.display().to_string());
            ui.label(RichText::new(path).monospace());
            if self.is_template() {
                ui.label(RichText::new(tr("status.template")).strong().color(ui.visuals().warn_fg_color))
                    .on_hover_text(tr("status.template_tip"));
            }
            ui.separator();
            if self.document.rules.custom_mode {
                ui.label(RichText::new(tr("sync.custom_status")).strong());
                ui.separator();
            }
            let (bounce, mx) = (self.document.rules.bounce_rules.len(), self.document.rules.mx_rules.len());
            ui.label(tr_fmt("status.counts", &[("bounce", &bounce), ("mx", &mx)]));
            ui.separator();
            if self.document.is_compiling() {
                ui.spinner();
                ui.label(tr("status.compiling")).on_hover_text(tr("status.compiling_tip"));
                ui.separator();
            }
            let errors = self.document.compiled.error_count();
            let warnings = self.document.compiled.warning_count();
            let text =
                format!("{} · {}", crate::i18n::tr_n("status.errors", errors, &[]), crate::i18n::tr_n("status.warnings", warnings, &[]));
            let color = if errors > 0 { ui.visuals().error_fg_color } else { ui.visuals().weak_text_color() };
            ui.label(RichText::new(text).color(color)).on_hover_text(self.document.compiled.problems_tip(30));
            ui.separator();
            let bad = self.gallery.mismatch_count(&self.document.compiled);
            if bad > 0 {
                let text = RichText::new(crate::i18n::tr_n("gallery.mismatches", bad, &[])).color(ui.visuals().error_fg_color);
                if ui.add(egui::Button::new(text).frame(false)).on_hover_text(tr("panel.gallery")).clicked() {
                    self.settings.panel = Panel::Gallery;
                }
                ui.separator();
            }
            ui.add(egui::Label::new(&self.status).truncate());
        });
    }
}

impl eframe::App for BounceLabApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        // Scenario edits are not part of the rule document, which the quit prompt covers: kept here instead.
        eframe::set_value(storage, SCENARIO_KEY, &self.rampup.unsaved());
    }
}
