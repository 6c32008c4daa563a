//! File pickers, modal dialogs (errors, unsaved changes, shortcuts, about)
//! and the close request: the app's windows above the panels.

use std::path::{Path, PathBuf};

use egui::{Key, RichText};

use super::{AfterConfirm, BounceLabApp};
use crate::gui::files::{FilePicker, PickerPoll, Purpose};
use crate::i18n::{tr, tr_fmt};

impl BounceLabApp {
    pub(super) fn start_picker(&mut self, purpose: Purpose, ctx: &egui::Context) {
        // A template (the shipped default) is saved under a new name, next to where the app runs.
        let own = self.document.path.as_deref().filter(|p| !super::is_shipped_default(p));
        let dir = own.and_then(Path::parent).map(Path::to_owned).or_else(|| std::env::current_dir().ok());
        let name = own.and_then(Path::file_name).map_or("rules.ron".to_owned(), |n| n.to_string_lossy().into_owned());
        self.picker = Some(if self.typed_dialogs {
            FilePicker::typed_only(purpose, dir.map(|d| d.join(&name).display().to_string()).unwrap_or_default())
        } else {
            FilePicker::start(purpose, dir, &name, ctx)
        });
    }

    /// The file dialog for File → Export…'s output path.
    pub(super) fn start_export_picker(&mut self, ctx: &egui::Context) {
        let typed = PathBuf::from(self.export.path.trim());
        let dir = typed.parent().filter(|d| !d.as_os_str().is_empty()).map(Path::to_owned).or_else(|| std::env::current_dir().ok());
        let name = typed.file_name().map_or("rules.toml".to_owned(), |n| n.to_string_lossy().into_owned());
        self.picker = Some(if self.typed_dialogs {
            FilePicker::typed_only(Purpose::Export, self.export.path.clone())
        } else {
            FilePicker::start(Purpose::Export, dir, &name, ctx)
        });
    }

    pub(super) fn finish_picker(&mut self, purpose: Purpose, path: PathBuf) {
        self.picker = None;
        match purpose {
            Purpose::Export => self.export.set_path(path),
            Purpose::Open => self.open_path(&path),
            Purpose::SaveAs => {
                self.save_to(&path);
            }
        }
    }

    pub(super) fn poll_picker(&mut self, ctx: &egui::Context) {
        let Some(picker) = &mut self.picker else { return };
        match picker.poll() {
            PickerPoll::Chosen(p) => {
                let purpose = picker.purpose;
                self.finish_picker(purpose, p);
                return;
            }
            PickerPoll::Cancelled => {
                self.picker = None;
                return;
            }
            PickerPoll::Pending => {}
        }
        let mut done = None;
        let mut cancel = false;
        egui::Window::new(picker.purpose.title()).collapsible(false).resizable(false).show(ctx, |ui| {
            if picker.native_unavailable {
                ui.label(tr("dialog.no_native"));
            } else {
                ui.label(tr("dialog.chooser_open"));
            }
            let resp = ui.add(egui::TextEdit::singleline(&mut picker.typed).desired_width(420.0).hint_text("/path/to/rules.ron"));
            let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            ui.horizontal(|ui| {
                let verb = if picker.purpose == Purpose::Open { tr("dialog.open") } else { tr("dialog.save") };
                if (ui.button(verb).clicked() || enter) && !picker.typed.trim().is_empty() {
                    done = Some(PathBuf::from(picker.typed.trim()));
                }
                if ui.button(tr("dialog.cancel")).clicked() {
                    cancel = true;
                }
            });
        });
        if let Some(p) = done {
            let purpose = picker.purpose;
            self.finish_picker(purpose, p);
        } else if cancel {
            self.picker = None;
        }
    }

    pub(super) fn modals_ui(&mut self, ctx: &egui::Context) {
        if let Some(msg) = self.error.clone() {
            let r = egui::Modal::new(egui::Id::unique("error_modal")).show(ctx, |ui| {
                ui.set_max_width(560.0);
                ui.heading(tr("dialog.problem"));
                ui.label(RichText::new(msg).monospace());
                ui.add_space(8.0);
                ui.button(tr("dialog.ok")).clicked()
            });
            if r.inner || r.should_close() {
                self.error = None;
            }
        }
        if let Some(next) = self.confirm.clone() {
            let name = self.document.display_name();
            let r = egui::Modal::new(egui::Id::unique("confirm_modal")).show(ctx, |ui| {
                ui.heading(tr("dialog.unsaved"));
                ui.label(tr_fmt("dialog.save_first", &[("name", &name)]));
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button(tr("dialog.save")).clicked() {
                        return Some(0);
                    }
                    if ui.button(tr("dialog.dont_save")).clicked() {
                        return Some(1);
                    }
                    if ui.button(tr("dialog.cancel")).clicked() {
                        return Some(2);
                    }
                    None
                })
                .inner
            });
            match r.inner {
                Some(0) => {
                    self.confirm = None;
                    let saved = match self.document.path.clone().filter(|p| !super::is_shipped_default(p)) {
                        Some(p) => self.save_to(&p),
                        None => {
                            self.start_picker(Purpose::SaveAs, ctx);
                            false
                        }
                    };
                    if saved {
                        self.proceed(next, ctx);
                    }
                }
                Some(1) => {
                    self.confirm = None;
                    self.proceed(next, ctx);
                }
                Some(_) => self.confirm = None,
                None if r.should_close() => self.confirm = None,
                None => {}
            }
        }
        // Below the menu bar (egui's default place is the top left corner, over the menus).
        egui::Window::new(tr("menu.shortcuts"))
            .id(egui::Id::unique("shortcuts_window"))
            .open(&mut self.show_shortcuts)
            .resizable(false)
            .default_pos(ctx.content_rect().left_top() + egui::vec2(160.0, 60.0))
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").num_columns(2).show(ui, |ui| {
                    for (k, what) in [
                        ("Ctrl+N", tr("shortcut.new")),
                        ("Ctrl+O", tr("shortcut.open")),
                        ("Ctrl+S", tr("shortcut.save")),
                        ("Ctrl+Shift+S", tr("shortcut.save_as")),
                        ("Ctrl+Z", tr("shortcut.undo")),
                        ("Ctrl+Shift+Z / Ctrl+Y", tr("shortcut.redo")),
                        ("Ctrl+F", tr("shortcut.find")),
                        ("F11", tr("shortcut.presentation")),
                        ("← → / ↑ ↓", tr("shortcut.presentation_cards")),
                        ("Esc", tr("shortcut.presentation_leave")),
                    ] {
                        ui.monospace(k);
                        ui.label(what);
                        ui.end_row();
                    }
                });
            });
        egui::Window::new(tr("menu.about")).id(egui::Id::unique("about_window")).open(&mut self.show_about).resizable(false).show(
            ctx,
            |ui| {
                ui.label(format!("bouncelab {}", env!("CARGO_PKG_VERSION")));
                ui.label(tr("dialog.about_text"));
                ui.label(tr("dialog.about_cli"));
            },
        );
    }

    pub(super) fn close_request(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && self.document.is_dirty() && !self.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm = Some(AfterConfirm::Close);
        }
    }
}
