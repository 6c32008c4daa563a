//! Trainer gallery: example replies per bounce type, classified live by the
//! current rules; a click loads one into the tester.
//!
//! Cards carry optional translations per language code (`localized`): the
//! title, the explanation and replies as servers answer in that language.
//! The English replies stay on the card below the localised ones.
//!
//! Trainer mode: every reply shows what the card expects against what the
//! current rules give and who decided; mismatches are red and counted.
//! Presentation mode shows one card at a time, whole, beside a large tester.

use std::collections::BTreeMap;

use crate::engine::FailureType;
use crate::engine::classify::{Classifier, DecidedBy, Verdict};
use crate::i18n::{Lang, tr, tr_fmt, tr_n};
use egui::{RichText, Ui};

use super::document::Compiled;
use super::widgets::{error_color, failure_label};
use super::{Action, PanelCtx};

/// One card of the gallery.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct GalleryCard {
    /// Id of the reason the card shows (`user_unknown`); the shipped rules
    /// classify every reply of the card to it.
    #[serde(default)]
    pub reason: String,
    /// The failure type the card expects of every reply (`None`: not checked).
    #[serde(default)]
    pub failure_type: Option<FailureType>,
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

/// A reply's verdict against what its card expects.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The verdict of the current rules.
    pub verdict: Verdict,
    /// Reason id the rules gave.
    pub reason: String,
    /// Whether reason and type are what the card expects.
    pub ok: bool,
}

/// Classifies `text` and compares it with `card`'s expectation.
pub fn check(c: &Classifier, card: &GalleryCard, text: &str) -> Check {
    let verdict = c.classify(text);
    let reason = c.reason(&verdict).id.clone();
    let ok = (card.reason.is_empty() || reason == card.reason) && card.failure_type.is_none_or(|t| t == verdict.failure_type);
    Check { verdict, reason, ok }
}

/// Who decided a verdict, in the current language: rule #N (name) or which fallback.
pub fn decided_by_text(v: &Verdict, rule_name: Option<&str>) -> String {
    match (v.decided_by, v.rule) {
        (DecidedBy::Rule, Some(r)) => tr_fmt("gallery.by_rule", &[("n", &(r + 1)), ("name", &rule_name.unwrap_or(""))]),
        (DecidedBy::EnhancedCode, _) => {
            tr_fmt("gallery.by_enhanced", &[("code", &v.enhanced_code.map(|c| c.to_string()).unwrap_or_default())])
        }
        (DecidedBy::ReplyCode, _) => tr_fmt("gallery.by_reply", &[("code", &v.basic_code.unwrap_or(0))]),
        (DecidedBy::Input, _) => tr("ingest.decided_input").to_owned(),
        _ => tr("gallery.by_default").to_owned(),
    }
}

/// State of the gallery panel.
pub struct GalleryPanel {
    /// The cards.
    pub cards: Vec<GalleryCard>,
    /// Why the editable file could not be used, if it could not.
    pub load_error: Option<String>,
    /// Card shown in presentation mode.
    pub current: usize,
    /// The card whose first reply presentation mode last put in the tester.
    presented: Option<usize>,
    /// Mismatches under the rules of one compile generation, in one language (cached).
    mismatches: Option<(u64, Lang, usize)>,
}

impl Default for GalleryPanel {
    /// The built-in cards (no disk access: [`GalleryPanel::load`] reads the editable file).
    fn default() -> Self {
        GalleryPanel { cards: built_in_cards().unwrap_or_default(), load_error: None, current: 0, presented: None, mismatches: None }
    }
}

impl GalleryPanel {
    /// The cards of the editable file when run from the project folder, else the built-in
    /// ones (with the reason when the file is there but cannot be used).
    pub fn load() -> Self {
        match std::fs::read_to_string(FILE) {
            Ok(text) => match parse_cards(&text) {
                Ok(cards) => GalleryPanel { cards, ..GalleryPanel::default() },
                Err(e) => GalleryPanel {
                    load_error: Some(format!("{FILE}:{}:{}: {} — {}", e.span.start.line, e.span.start.col, e.code, tr("gallery.built_in"))),
                    ..GalleryPanel::default()
                },
            },
            Err(_) => GalleryPanel::default(),
        }
    }

    /// Replies whose verdict is not what their card expects, under `compiled`'s rules: the
    /// replies shown in the interface language (counting every language's said "13" beside 3
    /// red ones); cached per compile and language.
    pub fn mismatch_count(&mut self, compiled: &Compiled) -> usize {
        let lang = Lang::current();
        if let Some((g, l, n)) = self.mismatches
            && g == compiled.generation
            && l == lang
        {
            return n;
        }
        let c = &compiled.classifier;
        let n = self.cards.iter().map(|card| card.examples_in(lang).filter(|ex| !check(c, card, ex).ok).count()).sum();
        self.mismatches = Some((compiled.generation, lang, n));
        n
    }

    /// Outside presentation mode: entered again, it puts its card's reply in the tester.
    pub fn end_presentation(&mut self) {
        self.presented = None;
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        ui.heading(tr("panel.gallery"));
        ui.label(RichText::new(tr("gallery.intro")).weak());
        if let Some(e) = &self.load_error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
        let bad = self.mismatch_count(ctx.compiled);
        if bad > 0 {
            ui.label(RichText::new(tr_n("gallery.mismatches", bad, &[])).color(error_color(ui)).strong());
        } else {
            ui.label(RichText::new(tr("gallery.all_expected")).weak());
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
                                card_ui(ui, ctx, &c, card, lang, None);
                            });
                        });
                    }
                });
                ui.add_space(8.0);
            }
        });
    }

    /// Presentation mode: the current card whole and large; arrow keys step through the cards.
    /// `in_tester`: the text in the tester beside the card, whose reply is marked.
    pub fn presentation_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, in_tester: &str) {
        let n = self.cards.len();
        if n == 0 {
            ui.label(tr("gallery.no_cards"));
            return;
        }
        let (left, right) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowLeft) || i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::ArrowRight) || i.key_pressed(egui::Key::ArrowDown),
            )
        });
        // Arrow keys belong to a text field being edited (the tester).
        let typing = ui.ctx().memory(|m| m.focused().is_some());
        if !typing {
            if left {
                self.current = (self.current + n - 1) % n;
            }
            if right {
                self.current = (self.current + 1) % n;
            }
        }
        self.current = self.current.min(n - 1);
        ui.horizontal_wrapped(|ui| {
            if ui.button("◀").on_hover_text(tr("gallery.prev_tip")).clicked() {
                self.current = (self.current + n - 1) % n;
            }
            ui.label(tr_fmt("gallery.card_of", &[("n", &(self.current + 1)), ("total", &n)]));
            if ui.button("▶").on_hover_text(tr("gallery.next_tip")).clicked() {
                self.current = (self.current + 1) % n;
            }
            ui.separator();
            ui.label(RichText::new(tr("gallery.presentation_hint")).weak());
        });
        let c = ctx.compiled.classifier.clone();
        let lang = Lang::current();
        let card = self.cards[self.current].clone();
        // The tester beside the card shows the card's first reply, not what was tested before.
        if self.presented != Some(self.current) {
            self.presented = Some(self.current);
            if let Some(ex) = card.examples_in(lang).next() {
                ctx.act(Action::LoadInTester(ex.clone()));
            }
        }
        egui::ScrollArea::vertical().id_salt("presentation_scroll").show(ui, |ui| card_ui(ui, ctx, &c, &card, lang, Some(in_tester)));
    }
}

/// The enabled rules giving `reason` (by their own reason or their category's) whose pattern does
/// not compile.
pub fn broken_rules_of(doc: &crate::engine::RuleSet, c: &Classifier, reason: &str) -> Vec<usize> {
    let gives = |r: &crate::engine::BounceRule| {
        r.reason.as_deref().or_else(|| doc.category(&r.category).map(|k| k.reason.as_str())) == Some(reason)
    };
    let mut out = c.skipped_rules();
    out.retain(|&i| !reason.is_empty() && doc.bounce_rules.get(i).is_some_and(|r| r.is_active() && gives(r)));
    out
}

/// One card: title, explanation, and each reply with expected vs actual and who decided.
/// `whole`: replies wrap in full (presentation); else long ones are shortened to one line.
fn card_ui(ui: &mut Ui, ctx: &mut PanelCtx, c: &Classifier, card: &GalleryCard, lang: Lang, in_tester: Option<&str>) {
    let whole = in_tester.is_some();
    ui.label(RichText::new(card.title_in(lang)).heading().strong());
    ui.label(card.explain_in(lang));
    let expected_reason = c.reasons().iter().find(|r| r.id == card.reason).map(|r| r.display_label().to_owned());
    if let Some(r) = &expected_reason {
        let t = card.failure_type.map_or(String::new(), |t| format!(" · {}", t.display_label()));
        ui.label(RichText::new(tr_fmt("gallery.expects", &[("expected", &format!("{r}{t}"))])).weak());
    }
    // A rule of the card's reason that does not compile is skipped: the replies may still come out
    // as expected through a code fallback, which would hide from a trainer what the card is about.
    for i in broken_rules_of(ctx.rules, c, &card.reason) {
        let name = ctx.rules.bounce_rules[i].name.clone();
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(error_color(ui), tr_fmt("gallery.rule_broken", &[("n", &(i + 1)), ("name", &name)]));
            if ui.small_button(tr("gallery.show_rule")).clicked() {
                ctx.act(Action::SelectRule(i));
            }
        });
    }
    ui.add_space(4.0);
    for ex in card.examples_in(lang) {
        let k = check(c, card, ex);
        let rule_name = k.verdict.rule.and_then(|r| ctx.rules.bounce_rules.get(r)).map(|r| r.name.as_str());
        let who = decided_by_text(&k.verdict, rule_name);
        // Presentation mode frames the reply the tester beside it shows, so the audience
        // knows which one the verdict there is about.
        let testing = in_tester.is_some_and(|t| t.trim() == ex.trim());
        let frame = if testing {
            egui::Frame::new().inner_margin(2.0).stroke(ui.visuals().selection.stroke).corner_radius(3.0)
        } else {
            egui::Frame::new().inner_margin(2.0)
        };
        frame.show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                if testing {
                    ui.label(RichText::new("▶").strong()).on_hover_text(tr("gallery.in_tester"));
                }
                let mark = if k.ok {
                    RichText::new("✔").color(egui::Color32::from_rgb(0x4c, 0xaf, 0x50))
                } else {
                    RichText::new("✘").color(error_color(ui))
                };
                ui.label(mark.strong()).on_hover_text(if k.ok { tr("gallery.as_expected") } else { tr("gallery.not_expected") });
                failure_label(ui, k.verdict.failure_type, None);
                let actual = RichText::new(c.reason(&k.verdict).display_label()).strong();
                ui.label(if k.ok { actual } else { actual.color(error_color(ui)) });
                ui.label(RichText::new(format!("({who})")).weak());
                if !k.ok
                    && let Some(r) = &expected_reason
                {
                    let t = card.failure_type.map_or(String::new(), |t| format!(" · {}", t.display_label()));
                    ui.label(RichText::new(tr_fmt("gallery.expected", &[("expected", &format!("{r}{t}"))])).color(error_color(ui)));
                }
            });
            let shown = if whole { ex.clone() } else { crate::engine::lint::shorten(ex, 90) };
            let link = egui::Link::new(RichText::new(shown).monospace());
            if ui.add(link).on_hover_text(tr("gallery.open_tip")).clicked() {
                ctx.act(Action::LoadInTester(ex.clone()));
            }
        });
    }
}
