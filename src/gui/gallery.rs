//! Trainer gallery: example replies per bounce type, classified live by the
//! current rules; a click loads one into the tester.

use crate::i18n::tr;
use egui::{RichText, Ui};

use super::widgets::failure_label;
use super::{Action, PanelCtx};

/// One card of the gallery.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct GalleryCard {
    /// Reason shown as the card title.
    pub title: String,
    /// One sentence for the audience.
    pub explain: String,
    /// Real-world replies.
    pub examples: Vec<String>,
}

const BUILT_IN: &str = include_str!("../../assets/gallery.ron");
const FILE: &str = "assets/gallery.ron";

/// State of the gallery panel.
pub struct GalleryPanel {
    /// The cards.
    pub cards: Vec<GalleryCard>,
    /// Why the editable file could not be used, if it could not.
    pub load_error: Option<String>,
}

impl Default for GalleryPanel {
    fn default() -> Self {
        let parse = |text: &str| ron::Options::default().from_str::<Vec<GalleryCard>>(text);
        let built_in = || parse(BUILT_IN).unwrap_or_default();
        match std::fs::read_to_string(FILE) {
            Ok(text) => match parse(&text) {
                Ok(cards) => GalleryPanel { cards, load_error: None },
                Err(e) => GalleryPanel {
                    cards: built_in(),
                    load_error: Some(format!("{FILE}:{}:{}: {} — {}", e.span.start.line, e.span.start.col, e.code, tr("gallery.built_in"))),
                },
            },
            Err(_) => GalleryPanel { cards: built_in(), load_error: None },
        }
    }
}

impl GalleryPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        ui.heading(tr("panel.gallery"));
        ui.label(RichText::new(tr("gallery.intro")).weak());
        if let Some(e) = &self.load_error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
        let c = ctx.compiled.classifier.clone();
        egui::ScrollArea::vertical().id_salt("gallery_scroll").show(ui, |ui| {
            let width = ui.available_width();
            let cols = ((width / 430.0).floor() as usize).clamp(1, 3);
            let col_w = (width - 12.0 * (cols as f32 - 1.0)) / cols as f32;
            for chunk in self.cards.chunks(cols) {
                ui.horizontal_top(|ui| {
                    for card in chunk {
                        ui.allocate_ui_with_layout(egui::vec2(col_w, 0.0), egui::Layout::top_down(egui::Align::Min), |ui| {
                            egui::Frame::group(ui.style()).show(ui, |ui| {
                                ui.set_width(col_w - 16.0);
                                ui.label(RichText::new(&card.title).heading().strong());
                                ui.label(&card.explain);
                                ui.add_space(4.0);
                                for ex in &card.examples {
                                    let v = c.classify(ex);
                                    ui.horizontal_wrapped(|ui| {
                                        failure_label(ui, v.failure_type, None);
                                        ui.label(RichText::new(&c.reason(&v).label).strong());
                                        if ui
                                            .link(RichText::new(crate::engine::lint::shorten(ex, 90)).monospace())
                                            .on_hover_text(tr("gallery.open_tip"))
                                            .clicked()
                                        {
                                            ctx.act(Action::LoadInTester(ex.clone()));
                                        }
                                    });
                                }
                            });
                        });
                    }
                });
                ui.add_space(8.0);
            }
        });
    }
}
