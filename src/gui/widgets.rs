//! Small shared widgets: failure type chips, highlighted text, regex error markers.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, RichText, Ui};

use crate::engine::FailureType;
use crate::engine::classify::{RuleProblem, Span};

/// The colour users associate with a failure type.
pub fn failure_color(t: FailureType, dark: bool) -> Color32 {
    match (t, dark) {
        (FailureType::Hard, true) => Color32::from_rgb(0xff, 0x6b, 0x6b),
        (FailureType::Hard, false) => Color32::from_rgb(0xc0, 0x1c, 0x28),
        (FailureType::Soft, true) => Color32::from_rgb(0xff, 0xb3, 0x47),
        (FailureType::Soft, false) => Color32::from_rgb(0xb8, 0x5c, 0x00),
        (FailureType::Ignored, true) => Color32::from_rgb(0xa0, 0xa0, 0xa0),
        (FailureType::Ignored, false) => Color32::from_rgb(0x60, 0x60, 0x60),
    }
}

/// A failure type as a coloured, bold label.
pub fn failure_label(ui: &mut Ui, t: FailureType, size: Option<f32>) -> egui::Response {
    let dark = ui.visuals().dark_mode;
    let mut text = RichText::new(t.display_label()).strong().color(failure_color(t, dark));
    if let Some(s) = size {
        text = text.size(s);
    }
    ui.label(text)
}

/// Colour of error texts.
pub fn error_color(ui: &Ui) -> Color32 {
    ui.visuals().error_fg_color
}

/// Lays out `text` monospace with the winning spans highlighted (every
/// match of the winning pattern) and the other matching spans underlined. Spans outside the text or off char boundaries
/// (one frame late after an edit) are ignored rather than trusted.
pub fn highlighted_job(ui: &Ui, text: &str, winners: &[Span], others: &[Span], wrap_width: f32) -> LayoutJob {
    let font = FontId::monospace(egui::TextStyle::Monospace.resolve(ui.style()).size);
    let base = TextFormat { font_id: font, color: ui.visuals().text_color(), ..Default::default() };
    let valid = |s: &Span| s.start < s.end && s.end <= text.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end);
    let win_bg = if ui.visuals().dark_mode { Color32::from_rgb(0x2e, 0x6b, 0x3a) } else { Color32::from_rgb(0xb7, 0xeb, 0xc0) };
    let underline = egui::Stroke::new(1.5, ui.visuals().warn_fg_color);

    // Cut points where the formatting changes.
    let mut cuts = vec![0, text.len()];
    let winners: Vec<Span> = winners.iter().copied().filter(valid).collect();
    for s in winners.iter().chain(others.iter().filter(|s| valid(s))) {
        cuts.push(s.start);
        cuts.push(s.end);
    }
    cuts.sort_unstable();
    cuts.dedup();

    let mut job = LayoutJob { text: String::new(), ..Default::default() };
    job.wrap.max_width = wrap_width;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mut fmt = base.clone();
        if winners.iter().any(|s| s.start <= a && b <= s.end) {
            fmt.background = win_bg;
        } else if others.iter().any(|s| valid(s) && s.start <= a && b <= s.end) {
            fmt.underline = underline;
        }
        job.append(&text[a..b], 0.0, fmt);
    }
    job
}

/// Shows a regex problem under a pattern: the pattern with a caret at the
/// character where the error is, and the message.
pub fn regex_problem_ui(ui: &mut Ui, pattern: &str, problem: &RuleProblem) {
    let color = error_color(ui);
    if let RuleProblem::InvalidRegex { message, position } = problem {
        if let Some(pos) = position {
            let shown: String = pattern.chars().take(120).collect();
            ui.label(RichText::new(&shown).monospace());
            let caret = format!("{}^", " ".repeat((*pos).min(120)));
            ui.label(RichText::new(caret).monospace().color(color));
        }
        let text = match position {
            Some(p) => crate::i18n::tr_fmt("engine.regex_error_at", &[("pos", &(p + 1)), ("message", message)]),
            None => crate::i18n::tr_fmt("engine.regex_error", &[("message", message)]),
        };
        ui.label(RichText::new(text).color(color));
    } else {
        ui.label(RichText::new(problem.display_message()).color(color));
    }
}

/// A right-aligned row of small icon buttons; returns the index clicked.
pub fn icon_buttons(ui: &mut Ui, icons: &[(&str, &str, bool)]) -> Option<usize> {
    let mut clicked = None;
    for (i, (icon, tip, enabled)) in icons.iter().enumerate() {
        if ui.add_enabled(*enabled, egui::Button::new(*icon).small()).on_hover_text(*tip).clicked() {
            clicked = Some(i);
        }
    }
    clicked
}

/// The bundled fonts, zlib-compressed in the binary (6.7 MB of TTF is 3.3 MB
/// packed) and inflated once per process on first use.
static BUNDLED_FONTS: std::sync::LazyLock<Vec<(&'static str, Vec<u8>)>> = std::sync::LazyLock::new(|| {
    let packed: [(&str, &[u8]); 3] = [
        ("dejavu_sans", include_bytes!("../../assets/fonts/DejaVuSans.ttf.zlib")),
        ("droid_fallback", include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf.zlib")),
        ("nanum_hangul", include_bytes!("../../assets/fonts/NanumGothic-Hangul.ttf.zlib")),
    ];
    packed
        .into_iter()
        // The data is ours and fixed at build time (a test inflates it); a bad
        // stream would only drop that fallback font, never stop the app.
        .filter_map(|(name, z)| miniz_oxide::inflate::decompress_to_vec_zlib(z).ok().map(|ttf| (name, ttf)))
        .collect()
});

/// The bundled fonts, inflated: (name, TTF bytes).
pub fn bundled_fonts() -> &'static [(&'static str, Vec<u8>)] {
    &BUNDLED_FONTS
}

/// Adds CJK-capable fallback fonts (bundled) so Japanese, Chinese and Korean
/// texts render instead of boxes, before egui's monochrome emoji fonts (the
/// last resort, so an emoji in a bounce's subject is a glyph, not a box, and
/// the symbols DejaVu has keep its look). Takes effect from the next frame.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        let list = fonts.families.entry(family).or_default();
        let at = list.iter().position(|f| f == "NotoEmoji-Regular").unwrap_or(list.len());
        list.splice(at..at, bundled_fonts().iter().map(|(name, _)| (*name).to_owned()));
    }
    for (name, ttf) in bundled_fonts() {
        fonts.font_data.insert((*name).to_owned(), std::sync::Arc::new(egui::FontData::from_static(ttf.as_slice())));
    }
    ctx.set_fonts(fonts);
}

/// Gives a widget an accessible name (screen readers, and tests that find
/// widgets by label) where it has no visible label of its own.
pub fn a11y(resp: &egui::Response, role: egui::Role, label: &str) {
    let enabled = resp.enabled();
    resp.widget_info(|| egui::WidgetInfo::labeled(role, enabled, label));
}

/// [`a11y`] for chaining: `named(ui.add(...), Role::TextInput, "Note").changed()`.
pub fn named(resp: egui::Response, role: egui::Role, label: &str) -> egui::Response {
    a11y(&resp, role, label);
    resp
}

/// Marks a text box whose text is not part of the rule document (the tester's, the batch's):
/// while it has the cursor, Ctrl+Z undoes the typing in it, not a rule edit.
pub fn mark_scratch_text(resp: &egui::Response) {
    let key = egui::Id::unique("bouncelab_scratch_text_boxes");
    resp.ctx.data_mut(|d| {
        let ids: &mut Vec<egui::Id> = d.get_temp_mut_or_default(key);
        if !ids.contains(&resp.id) {
            ids.push(resp.id);
        }
    });
}

/// Whether a box marked by [`mark_scratch_text`] has the keyboard focus.
pub fn scratch_text_focused(ctx: &egui::Context) -> bool {
    let key = egui::Id::unique("bouncelab_scratch_text_boxes");
    let Some(focused) = ctx.memory(|m| m.focused()) else { return false };
    ctx.data_mut(|d| d.get_temp::<Vec<egui::Id>>(key)).is_some_and(|ids| ids.contains(&focused))
}
