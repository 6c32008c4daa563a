//! Exports of the ramp-up results: the series as CSV (same columns as
//! `bouncelab simulate`) and the two plots as a PNG image.
//!
//! The PNG is what the analyst sees: the app asks the integration for a
//! screenshot of the next frame, crops it to the plots and writes it on a
//! thread. Both exports report through the same channel as one status line.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use egui::{ColorImage, Rect};

use super::RampUpPanel;
use crate::engine::fsio::write_atomic;
use crate::i18n::{Lang, tr, tr_fmt};

/// Crops `image` (physical pixels) to `rect` (points) and encodes it as PNG.
/// A rect partly outside the image is clipped; nothing left is an error.
pub fn encode_png_region(image: &ColorImage, rect: Rect, pixels_per_point: f32) -> Result<Vec<u8>, String> {
    let ppp = if pixels_per_point.is_finite() && pixels_per_point > 0.0 { pixels_per_point } else { 1.0 };
    let [w, h] = image.size;
    let bounds = Rect::from_min_max(egui::Pos2::ZERO, egui::pos2(w as f32 / ppp, h as f32 / ppp));
    let clipped = rect.intersect(bounds);
    if !(clipped.width() >= 1.0 && clipped.height() >= 1.0) {
        return Err(tr("rampup.png_nothing").to_owned());
    }
    let part = image.region(&clipped, Some(ppp));
    let [pw, ph] = part.size;
    let rgba: Vec<u8> = part.pixels.iter().flat_map(|c| c.to_srgba_unmultiplied()).collect();
    let buf = image::RgbaImage::from_raw(pw as u32, ph as u32, rgba).ok_or_else(|| tr("rampup.png_nothing").to_owned())?;
    let mut out = std::io::Cursor::new(Vec::new());
    buf.write_to(&mut out, image::ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// Where an export's outcome (is an error, text) goes back to the panel.
type Reply = mpsc::Sender<(bool, String)>;

impl RampUpPanel {
    /// Writes the shown series as CSV on a thread (large series take a while).
    pub(super) fn start_export(&mut self, ctx: &egui::Context) {
        let Some(sim) = self.result().and_then(|r| r.sim.clone()) else {
            self.file_note = Some((true, tr("rampup.export_nothing").to_owned()));
            return;
        };
        let Some(path) = export_path(&self.csv_file, &mut self.file_note) else { return };
        let (tx, rx) = mpsc::channel();
        spawn_write(tx, ctx.clone(), Lang::current(), path, "rampup.exported_csv", move || {
            let mut bytes = Vec::new();
            crate::engine::simulate::write_csv(&mut bytes, &sim).map_err(|e| e.to_string())?;
            Ok(bytes)
        });
        self.export = Some(rx);
    }

    /// Asks for a screenshot of the next frame; its callback crops it to the
    /// plots and writes the PNG on a thread.
    pub(super) fn start_png_export(&mut self, ctx: &egui::Context) {
        let Some(rect) = self.plots_rect.filter(|_| self.result().is_some_and(|r| r.sim.is_some())) else {
            self.file_note = Some((true, tr("rampup.export_nothing").to_owned()));
            return;
        };
        let Some(path) = export_path(&self.png_file, &mut self.file_note) else { return };
        let (tx, rx) = mpsc::channel();
        let (ppp, egui_ctx, lang) = (ctx.pixels_per_point(), ctx.clone(), Lang::current());
        // A callback dropped unanswered (no renderer) drops `tx` with it: the
        // panel then says that no image came.
        ctx.request_screenshot(move |image| {
            spawn_write(tx, egui_ctx, lang, path, "rampup.exported_png", move || encode_png_region(&image, rect, ppp));
        });
        self.export = Some(rx);
    }
}

/// Which of the panel's two exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// The series as CSV.
    Csv,
    /// The plots as PNG.
    Png,
}

impl RampUpPanel {
    /// After the export button of `kind` (`pressed`): whether to export now. A file that is
    /// already there is named with its full path and replaced only after Overwrite, which this
    /// row offers until it is answered.
    pub(super) fn overwrite_asked(&mut self, ui: &mut egui::Ui, kind: Export, pressed: bool) -> bool {
        if pressed {
            let typed = if kind == Export::Csv { &self.csv_file } else { &self.png_file };
            let path = PathBuf::from(typed.trim());
            if typed.trim().is_empty() || !path.exists() {
                self.confirm_overwrite = None;
                return true;
            }
            self.confirm_overwrite = Some((kind, path));
        }
        let Some((asked, path)) = self.confirm_overwrite.clone() else { return false };
        if asked != kind {
            return false;
        }
        let mut go = false;
        ui.horizontal_wrapped(|ui| {
            let shown = shown_path(&path);
            ui.colored_label(ui.visuals().warn_fg_color, tr_fmt("rampup.overwrite_ask", &[("path", &shown)]));
            if ui.button(tr("export.overwrite")).clicked() {
                go = true;
                self.confirm_overwrite = None;
            }
            if ui.button(tr("dialog.cancel")).clicked() {
                self.confirm_overwrite = None;
            }
        });
        go
    }
}

/// A path as the messages show it: whole, so a relative name says where it went.
fn shown_path(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned()).display().to_string()
}

/// The trimmed path typed in a field; without one, says so in `note`.
fn export_path(text: &str, note: &mut Option<(bool, String)>) -> Option<PathBuf> {
    let t = text.trim();
    if t.is_empty() {
        *note = Some((true, tr("rampup.export_no_path").to_owned()));
        return None;
    }
    Some(PathBuf::from(t))
}

/// Makes the bytes and writes them atomically on a thread, then reports the
/// outcome in the UI's language (`lang`) and wakes the UI.
fn spawn_write(
    tx: Reply,
    ctx: egui::Context,
    lang: Lang,
    path: PathBuf,
    ok_key: &'static str,
    bytes: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
) {
    std::thread::spawn(move || {
        lang.make_current();
        let written = bytes().and_then(|b| write_atomic(&path, &b, false).map_err(|e| e.to_string()));
        let shown = shown_path(&path);
        let msg = match written {
            Ok(()) => (false, tr_fmt(ok_key, &[("path", &shown)])),
            Err(e) => (true, tr_fmt("rampup.export_failed", &[("path", &shown), ("error", &e)])),
        };
        // The panel may have been replaced meanwhile: nobody to tell then.
        let _ = tx.send(msg);
        ctx.request_repaint();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Color32;

    #[test]
    fn png_is_the_cropped_region_and_bad_regions_are_errors() {
        let mut img = ColorImage::filled([40, 20], Color32::WHITE);
        img.pixels[5 * 40 + 10] = Color32::RED;
        // 2 pixels per point: points (5, 2.5)-(10, 5) are pixels (10, 5)-(20, 10).
        let png = encode_png_region(&img, Rect::from_min_max(egui::pos2(5.0, 2.5), egui::pos2(10.0, 5.0)), 2.0).expect("png");
        let back = image::load_from_memory(&png).expect("decodes").to_rgba8();
        assert_eq!(back.dimensions(), (10, 5));
        assert_eq!(back.get_pixel(0, 0).0, [255, 0, 0, 255]);
        assert_eq!(back.get_pixel(1, 0).0, [255, 255, 255, 255]);
        // Partly outside: clipped to the image.
        let png = encode_png_region(&img, Rect::from_min_max(egui::pos2(15.0, 0.0), egui::pos2(100.0, 100.0)), 2.0).expect("clipped");
        assert_eq!(image::load_from_memory(&png).expect("decodes").to_rgba8().dimensions(), (10, 20));
        assert!(encode_png_region(&img, Rect::from_min_max(egui::pos2(50.0, 50.0), egui::pos2(60.0, 60.0)), 2.0).is_err());
        assert!(encode_png_region(&img, Rect::NOTHING, 1.0).is_err());
    }
}
