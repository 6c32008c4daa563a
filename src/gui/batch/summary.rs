//! The summary blocks of the batch panel: bars per reason, unmatched
//! clusters with their "Make a rule" buttons, and the reading report.

use egui::{RichText, Role, Ui};

use super::input::{self, Lines};
use super::view::Filter;
use super::worker::Results;
use crate::engine::lint::shorten;
use crate::engine::templates;
use crate::gui::widgets::named;
use crate::gui::{Action, PanelCtx};

/// Clusters listed (each with its button).
const SHOWN_CLUSTERS: usize = 100;

/// Lines per reason as horizontal bars, largest first; a click filters on it.
pub fn reason_bars(ui: &mut Ui, r: &Results, filter: &mut Filter) {
    let s = &r.summary;
    let mut order: Vec<usize> = (0..s.per_reason.len()).filter(|&i| s.per_reason[i] > 0).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(s.per_reason[i]));
    let max = order.first().map_or(1, |&i| s.per_reason[i]).max(1);
    let total = r.verdicts.len().max(1);
    let fill = ui.visuals().selection.bg_fill;
    egui::Grid::new("batch_reason_grid").num_columns(3).spacing([8.0, 3.0]).show(ui, |ui| {
        for i in order {
            let (label, n) = (&r.classifier.reasons()[i].label, s.per_reason[i]);
            ui.label(label);
            let (rect, resp) = ui.allocate_exact_size(egui::vec2(200.0, 14.0), egui::Sense::click());
            let w = (200.0 * n as f32 / max as f32).max(2.0);
            ui.painter().rect_filled(egui::Rect::from_min_size(rect.min, egui::vec2(w, 14.0)), 2.0, fill);
            let resp = named(resp, Role::Button, &format!("{label}: {n} lines")).on_hover_text("Show only these lines");
            if resp.clicked() {
                filter.reason = Some(i as u16);
            }
            ui.label(format!("{n} ({:.1}%)", 100.0 * n as f64 / total as f64));
            ui.end_row();
        }
    });
}

/// The unmatched templates, each with a button that makes it a rule.
pub fn clusters_ui(ui: &mut Ui, r: &Results, lines: &Lines, ctx: &mut PanelCtx) {
    let s = &r.summary;
    if s.clusters.is_empty() {
        ui.weak("Every line is won by a rule.");
        return;
    }
    for (k, cl) in s.clusters.iter().take(SHOWN_CLUSTERS).enumerate() {
        ui.horizontal(|ui| {
            let b = ui
                .add(egui::Button::new("Make a rule").small())
                .on_hover_text("New rule at the end of the list, matching every line of this template");
            if named(b, Role::Button, &format!("Make a rule from cluster {}", k + 1)).clicked() {
                make_rule(r, lines, cl, ctx);
            }
            ui.label(RichText::new(cl.count.to_string()).strong());
            ui.add(egui::Label::new(RichText::new(shorten(&cl.template, 160)).monospace()).truncate());
        });
    }
    if s.clusters.len() > SHOWN_CLUSTERS || s.templates > s.clusters.len() {
        ui.weak(format!("{} more templates not listed", s.templates.saturating_sub(SHOWN_CLUSTERS)));
    }
}

fn make_rule(r: &Results, lines: &Lines, cl: &templates::Cluster, ctx: &mut PanelCtx) {
    let (Some(sample), Some(v)) = (lines.texts.get(cl.first), r.verdicts.get(cl.first)) else { return };
    let mut pattern = templates::template_pattern(&cl.template);
    // The template is cut for very long lines: fall back on the escaped start of the sample.
    if !crate::engine::classify::compile_pattern(&pattern).is_ok_and(|re| re.is_match(sample)) {
        let mut cut = sample.len().min(200);
        while !sample.is_char_boundary(cut) {
            cut -= 1;
        }
        pattern = regex::escape(&sample[..cut]);
    }
    let at = ctx.rules.bounce_rules.len();
    ctx.act(Action::NewRuleFromText { pattern, example: sample.to_string(), category: r.classifier.category(v).id.clone(), at });
    ctx.act(Action::Status(format!(
        "New rule #{} from an unmatched cluster of {} lines: the batch re-classifies with it",
        at + 1,
        cl.count
    )));
}

/// One line about how the reading went.
pub fn load_report(l: &Lines) -> String {
    let mut parts = vec![format!("Read {} responses from {}", l.texts.len(), l.sources.join(", "))];
    let st = &l.stats;
    if let Some(csv) = &st.csv {
        let delim = if csv.delimiter == '\t' { "tab".to_owned() } else { format!("'{}'", csv.delimiter) };
        let head = if csv.header.is_some() { "header row skipped" } else { "no header" };
        parts.push(format!("CSV: {delim} delimiter, column {}, {head}", csv.column + 1));
    }
    for (n, what) in [
        (st.blank, "blank lines skipped"),
        (st.skipped_rows, "rows skipped (too short for the column, or malformed)"),
        (st.lossy, "lines with invalid UTF-8 replaced"),
        (st.truncated, "lines cut at 1 MB"),
        (st.dsn_without_recipients, "emails without a DSN recipient"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if st.capped {
        parts.push(format!("stopped at {} lines / {} MB: the rest was not read", input::MAX_LINES, input::MAX_TOTAL_BYTES >> 20));
    }
    for e in st.errors.iter().take(3) {
        parts.push(e.clone());
    }
    parts.join(" · ")
}
