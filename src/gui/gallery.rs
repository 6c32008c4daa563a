//! Trainer gallery: example replies per bounce type, classified live by the
//! current rules; a click loads one into the tester.
//!
//! Cards carry optional translations per language code (`localized`): the
//! title, the explanation and replies as servers answer in that language.
//! The English replies stay on the card below the localised ones.

use std::collections::BTreeMap;

use crate::i18n::{Lang, tr};
use egui::{RichText, Ui};

use super::widgets::failure_label;
use super::{Action, PanelCtx};

/// One card of the gallery.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct GalleryCard {
    /// Id of the reason the card shows (`user_unknown`); the shipped rules
    /// classify every reply of the card to it.
    #[serde(default)]
    pub reason: String,
    /// Reason shown as the card title.
    pub title: String,
    /// One sentence for the audience.
    pub explain: String,
    /// Real-world replies (English).
    pub examples: Vec<String>,
    /// Translations by catalogue code (`ko`, `zh-Hant`...).
    #[serde(default)]
    pub localized: BTreeMap<String, LocalizedCard>,
}

/// A card's text in one language; empty fields fall back on the English ones.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct LocalizedCard {
    /// Translated title.
    pub title: String,
    /// Translated explanation.
    pub explain: String,
    /// Replies as servers (or the translated reference docs) give them in that language.
    pub examples: Vec<String>,
}

impl GalleryCard {
    fn localized(&self, lang: Lang) -> Option<&LocalizedCard> {
        self.localized.get(lang.code())
    }

    /// The title in `lang`, else English.
    pub fn title_in(&self, lang: Lang) -> &str {
        self.localized(lang).map(|l| l.title.as_str()).filter(|t| !t.is_empty()).unwrap_or(&self.title)
    }

    /// The explanation in `lang`, else English.
    pub fn explain_in(&self, lang: Lang) -> &str {
        self.localized(lang).map(|l| l.explain.as_str()).filter(|t| !t.is_empty()).unwrap_or(&self.explain)
    }

    /// The replies shown in `lang`: the localised ones first, then the English ones.
    pub fn examples_in(&self, lang: Lang) -> impl Iterator<Item = &String> {
        self.localized(lang).into_iter().flat_map(|l| &l.examples).chain(&self.examples)
    }

    /// Every reply of the card, English and localised.
    pub fn all_examples(&self) -> impl Iterator<Item = &String> {
        self.examples.iter().chain(self.localized.values().flat_map(|l| &l.examples))
    }
}

/// The gallery built into the binary.
pub fn built_in_cards() -> Result<Vec<GalleryCard>, ron::error::SpannedError> {
    parse_cards(BUILT_IN)
}

/// Parses a gallery file.
pub fn parse_cards(text: &str) -> Result<Vec<GalleryCard>, ron::error::SpannedError> {
    ron::Options::default().from_str::<Vec<GalleryCard>>(text)
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
        let built_in = || built_in_cards().unwrap_or_default();
        match std::fs::read_to_string(FILE) {
            Ok(text) => match parse_cards(&text) {
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
        let lang = Lang::current();
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
                                ui.label(RichText::new(card.title_in(lang)).heading().strong());
                                ui.label(card.explain_in(lang));
                                ui.add_space(4.0);
                                for ex in card.examples_in(lang) {
                                    let v = c.classify(ex);
                                    ui.horizontal_wrapped(|ui| {
                                        failure_label(ui, v.failure_type, None);
                                        ui.label(RichText::new(c.reason(&v).display_label()).strong());
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
