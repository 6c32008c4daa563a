//! Paints the engine's explanation ([`crate::engine::explain`]): the
//! winning pattern coloured by construct, the alternatives that match the
//! text marked, and the decision chain from rule to quarantine.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, RichText, Role, Ui};

use crate::engine::Classifier;
use crate::engine::explain::{Alternative, PatternView, Step, TokenKind, TypeFrom, Why};
use crate::gui::widgets::{failure_color, named};
use crate::gui::{Action, PanelCtx};
use crate::i18n::{tr, tr_fmt, tr_n};

/// Colour of a pattern construct.
pub fn token_color(kind: TokenKind, depth: u16, dark: bool) -> Color32 {
    let pick = |d: (u8, u8, u8), l: (u8, u8, u8)| if dark { Color32::from_rgb(d.0, d.1, d.2) } else { Color32::from_rgb(l.0, l.1, l.2) };
    match kind {
        TokenKind::Literal => pick((0xdd, 0xdd, 0xdd), (0x20, 0x20, 0x20)),
        TokenKind::Escape => pick((0xff, 0xa6, 0x57), (0xa8, 0x4a, 0x00)),
        TokenKind::Class => pick((0xc3, 0x9b, 0xff), (0x6f, 0x2d, 0xbd)),
        TokenKind::Dot => pick((0x6c, 0xb6, 0xff), (0x00, 0x55, 0xb3)),
        TokenKind::Anchor => pick((0xff, 0x7a, 0xc6), (0xb0, 0x1a, 0x6e)),
        TokenKind::Quantifier => pick((0x4d, 0xd0, 0xe1), (0x00, 0x73, 0x80)),
        TokenKind::Alternation => pick((0xff, 0x6b, 0x6b), (0xc0, 0x1c, 0x28)),
        TokenKind::Flags => pick((0x9a, 0x9a, 0x9a), (0x66, 0x66, 0x66)),
        // Parentheses of one group share a colour; nested groups cycle.
        TokenKind::Group => {
            let dark_set = [(0x7e, 0xe7, 0x87), (0xff, 0xd8, 0x66), (0x6c, 0xb6, 0xff)];
            let light_set = [(0x1a, 0x7f, 0x37), (0x9a, 0x67, 0x00), (0x00, 0x55, 0xb3)];
            let k = depth as usize % 3;
            pick(dark_set[k], light_set[k])
        }
    }
}

/// Background of a top-level alternative that matches the text.
fn matched_bg(dark: bool) -> Color32 {
    if dark { Color32::from_rgb(0x1f, 0x4d, 0x2a) } else { Color32::from_rgb(0xd4, 0xf4, 0xd9) }
}

/// The pattern laid out with its tokens coloured and its matching
/// alternatives marked (top level: background; nested: underlined).
pub fn pattern_job(ui: &Ui, view: &PatternView, wrap: f32) -> LayoutJob {
    let p = view.pattern.as_str();
    let dark = ui.visuals().dark_mode;
    let font = FontId::monospace(egui::TextStyle::Monospace.resolve(ui.style()).size);
    let mut cuts = vec![0, p.len()];
    for t in &view.tokens {
        cuts.extend([t.span.start, t.span.end]);
    }
    for a in &view.alternatives {
        cuts.extend([a.span.start, a.span.end]);
    }
    cuts.retain(|&c| c <= p.len() && p.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    let matched = |a: &&Alternative| a.matched == Some(true);
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let token = view.tokens.iter().find(|t| t.span.start <= a && b <= t.span.end);
        let mut fmt = TextFormat { font_id: font.clone(), color: ui.visuals().text_color(), ..Default::default() };
        if let Some(t) = token {
            fmt.color = token_color(t.kind, t.depth, dark);
        }
        let inside = |a0: usize, b0: usize, x: &&Alternative| x.span.start <= a0 && b0 <= x.span.end;
        if view.alternatives.iter().filter(matched).any(|x| x.depth == 0 && inside(a, b, &x)) {
            fmt.background = matched_bg(dark);
        }
        if view.alternatives.iter().filter(matched).any(|x| x.depth > 0 && inside(a, b, &x)) {
            fmt.underline = egui::Stroke::new(1.5, token_color(TokenKind::Group, 0, dark));
        }
        job.append(&p[a..b], 0.0, fmt);
    }
    job
}

/// Draws the explanation: the decision chain, then the winning pattern.
pub fn why_ui(ui: &mut Ui, ctx: &mut PanelCtx, c: &Classifier, why: &Why) {
    ui.label(RichText::new(tr("why.title")).strong());
    chain_ui(ui, ctx, c, &why.steps);
    let Some(view) = &why.pattern else { return };
    ui.add_space(4.0);
    let total = view.alternatives.len();
    let top: Vec<&Alternative> = view.alternatives.iter().filter(|a| a.depth == 0).collect();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(tr("why.pattern")).strong());
        ui.label(tr_n("why.spans", view.spans.len(), &[]));
        if total > 1 {
            let hit = top.iter().filter(|a| a.matched == Some(true)).count();
            ui.label(tr_n("why.alternatives", top.len(), &[("matched", &hit)]));
        }
    });
    let wrap = ui.available_width();
    // Whole lines (never one cut in half above the legend), inside a visible
    // edge, so a longer pattern plainly scrolls.
    let rows = ui.text_style_height(&egui::TextStyle::Monospace) * 6.0;
    egui::Frame::group(ui.style()).inner_margin(4.0).show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("why_pattern").max_height(rows).show(ui, |ui| {
            let galley = ui.painter().layout_job(pattern_job(ui, view, wrap - 20.0));
            let r = ui.add(egui::Label::new(galley.clone()));
            scroll_to_first_match(ui, view, &galley, r.rect.min);
            named(r, Role::Label, tr("why.a11y_pattern"));
        });
    });
    legend_ui(ui, total > 1);
}

/// Brings the first matching top-level alternative into the pattern's view when it
/// changes (another text, another winning rule): in a long multilingual pattern it may
/// be rows below the six shown ("1 of 51 alternatives match" with nothing green in
/// sight). Only on a change, so the user's own scrolling is not fought every frame;
/// remembering every place ever shown instead left the box on an earlier text's
/// alternative when a later text came back to a pattern already seen.
fn scroll_to_first_match(ui: &Ui, view: &PatternView, galley: &egui::Galley, origin: egui::Pos2) {
    let p = view.pattern.as_str();
    let Some(start) = view.alternatives.iter().filter(|a| a.depth == 0 && a.matched == Some(true)).map(|a| a.span.start).min() else {
        return;
    };
    let Some(before) = p.get(..start) else { return };
    let key = egui::Id::unique("why_first_match");
    let target = egui::Id::unique((p, start));
    if ui.data(|d| d.get_temp::<egui::Id>(key)) == Some(target) {
        return;
    }
    ui.data_mut(|d| d.insert_temp(key, target));
    let at = galley.pos_from_cursor(egui::text::CCursor::new(before.chars().count()));
    ui.scroll_to_rect(at.translate(origin.to_vec2()), None);
}

fn legend_ui(ui: &mut Ui, alternatives: bool) {
    let dark = ui.visuals().dark_mode;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 10.0;
        let kinds = [
            (TokenKind::Literal, "why.kind_literal"),
            (TokenKind::Escape, "why.kind_escape"),
            (TokenKind::Class, "why.kind_class"),
            (TokenKind::Group, "why.kind_group"),
            (TokenKind::Alternation, "why.kind_alternation"),
            (TokenKind::Quantifier, "why.kind_quantifier"),
            (TokenKind::Anchor, "why.kind_anchor"),
        ];
        for (k, key) in kinds {
            ui.label(RichText::new(tr(key)).small().color(token_color(k, 0, dark)));
        }
        if alternatives {
            ui.label(RichText::new(tr("why.kind_matched")).small().background_color(matched_bg(dark)));
        }
    });
}

fn chain_ui(ui: &mut Ui, ctx: &mut PanelCtx, c: &Classifier, steps: &[Step]) {
    let dark = ui.visuals().dark_mode;
    ui.horizontal_wrapped(|ui| {
        for (k, step) in steps.iter().enumerate() {
            if k > 0 {
                ui.label("→");
            }
            match step {
                Step::Rule { rule, name, over } => {
                    let text = tr_fmt("why.rule", &[("n", &(rule + 1)), ("name", name)]);
                    if ui.link(RichText::new(text).strong()).on_hover_text(tr("tester.select_tip")).clicked() {
                        ctx.act(Action::SelectRule(*rule));
                    }
                    if !over.is_empty() {
                        let list: Vec<String> = over.iter().take(6).map(|i| format!("#{}", i + 1)).collect();
                        let more = if over.len() > 6 { "…" } else { "" };
                        ui.weak(tr_fmt("why.over", &[("rules", &format!("{}{more}", list.join(", ")))]));
                    }
                }
                Step::EnhancedCode(code) => {
                    ui.label(tr_fmt("why.enhanced", &[("code", code)]));
                }
                Step::ReplyCode(code) => {
                    ui.label(tr_fmt("why.reply", &[("code", code)]));
                }
                Step::Default => {
                    ui.label(tr("why.default"));
                }
                Step::Input => {
                    ui.label(tr("why.input"));
                }
                Step::Category(i) => {
                    ui.label(tr_fmt("why.category", &[("id", &c.categories()[*i as usize].id)]));
                }
                Step::Reason { reason, instead_of } => {
                    let label = c.reasons()[*reason as usize].display_label();
                    let text = match instead_of {
                        Some(o) => tr_fmt("why.reason_instead", &[("label", &label), ("other", &c.reasons()[*o as usize].display_label())]),
                        None => tr_fmt("why.reason", &[("label", &label)]),
                    };
                    ui.label(text);
                }
                Step::Type(t, from) => {
                    let key = match from {
                        TypeFrom::Rule => "why.type_rule",
                        TypeFrom::Reason => "why.type_reason",
                        TypeFrom::Category => "why.type_category",
                        TypeFrom::Fallback => "why.type_fallback",
                    };
                    ui.label(RichText::new(tr_fmt(key, &[("type", &t.display_label())])).color(failure_color(*t, dark)));
                }
                Step::Quarantine { policy, release_after_days } => {
                    let text = match policy {
                        Some(p) => p.describe(*release_after_days),
                        None => tr("engine.not_an_error").to_owned(),
                    };
                    ui.label(text);
                }
            }
        }
    });
}
