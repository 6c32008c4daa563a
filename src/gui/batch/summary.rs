//! The summary blocks of the batch panel: bars per reason, unmatched
//! clusters with their "Make a rule" buttons, and the reading report.

use egui::{RichText, Role, Ui};

use super::load::{self, Rows};
use super::view::Filter;
use super::worker::Results;
use crate::engine::lint::shorten;
use crate::engine::templates;
use crate::gui::widgets::named;
use crate::gui::{Action, PanelCtx};
use crate::i18n::{tr, tr_fmt, tr_n};

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
    // Narrow columns (three side by side at 1024 px) get shorter bars.
    let bar = (ui.available_width() * 0.4).clamp(60.0, 200.0);
    egui::Grid::new("batch_reason_grid").num_columns(3).spacing([8.0, 3.0]).show(ui, |ui| {
        for i in order {
            let (label, n) = (r.classifier.reasons()[i].display_label(), s.per_reason[i]);
            ui.label(label);
            let (rect, resp) = ui.allocate_exact_size(egui::vec2(bar, 14.0), egui::Sense::click());
            let w = (bar * n as f32 / max as f32).max(2.0);
            ui.painter().rect_filled(egui::Rect::from_min_size(rect.min, egui::vec2(w, 14.0)), 2.0, fill);
            let resp =
                named(resp, Role::Button, &tr_fmt("batch.bar_a11y", &[("reason", &label), ("n", &n)])).on_hover_text(tr("batch.bar_tip"));
            if resp.clicked() {
                filter.reason = Some(i as u16);
            }
            ui.label(format!("{n} ({:.1}%)", 100.0 * n as f64 / total as f64));
            ui.end_row();
        }
    });
}

/// The unmatched templates, each with a button that makes it a rule.
pub fn clusters_ui(ui: &mut Ui, r: &Results, lines: &Rows, ctx: &mut PanelCtx) {
    let s = &r.summary;
    if s.clusters.is_empty() {
        ui.weak(tr("batch.all_won"));
        return;
    }
    for (k, cl) in s.clusters.iter().take(SHOWN_CLUSTERS).enumerate() {
        ui.horizontal(|ui| {
            let b = ui.add(egui::Button::new(tr("batch.make_rule")).small()).on_hover_text(tr("batch.make_rule_tip"));
            if named(b, Role::Button, &tr_fmt("batch.make_rule_a11y", &[("n", &(k + 1))])).clicked() {
                make_rule(r, lines, cl, ctx);
            }
            ui.label(RichText::new(cl.count.to_string()).strong());
            ui.add(egui::Label::new(RichText::new(shorten(&cl.template, 160)).monospace()).truncate());
        });
    }
    if s.clusters.len() > SHOWN_CLUSTERS || s.templates > s.clusters.len() {
        ui.weak(tr_fmt("batch.more_templates", &[("n", &s.templates.saturating_sub(SHOWN_CLUSTERS))]));
    }
}

fn make_rule(r: &Results, lines: &Rows, cl: &templates::Cluster, ctx: &mut PanelCtx) {
    let Some(v) = r.verdicts.get(cl.first) else { return };
    // Proposed in the tester, which generalises the line as the cluster did and shows
    // what the rule would change in this batch before it is inserted.
    ctx.act(Action::ProposeRule {
        text: lines.text(cl.first).to_string(),
        category: r.classifier.category(v).id.clone(),
        failure_type: crate::engine::rule_effect::kept_failure_type(&r.classifier, v),
        at: ctx.rules.bounce_rules.len(),
    });
}

/// One line about how the reading went, in the interface language, and
/// whether something was skipped, cut or failed (shown as a warning).
pub fn load_report(l: &Rows) -> (String, bool) {
    let sources = if l.pasted {
        tr("batch.report_paste").to_owned()
    } else if l.sources.len() > 3 {
        tr_n("batch.report_files", l.sources.len() - 1, &[("first", &l.sources[0])])
    } else {
        l.sources.join(", ")
    };
    let mut parts = vec![tr_n("batch.report_read", l.len(), &[("sources", &sources)])];
    let st = &l.report;
    if st.emails > 0 {
        parts.push(tr_n("batch.report_emails", st.emails, &[]));
    }
    if let Some(csv) = &st.csv {
        let delim = if csv.delimiter == '\t' { tr("batch.report_tab").to_owned() } else { format!("'{}'", csv.delimiter) };
        let head = if csv.header.is_some() { tr("batch.report_header_skipped") } else { tr("batch.report_no_header") };
        parts.push(tr_fmt("batch.report_csv", &[("delimiter", &delim), ("column", &(csv.column + 1)), ("header", &head)]));
    }
    for log in &st.logs {
        let c = &log.counts;
        parts.push(tr_fmt(
            "batch.report_log",
            &[
                ("name", &log.name),
                ("format", &log.format.name()),
                ("records", &c.records),
                ("skipped", &(c.deliveries + c.receptions + c.other)),
            ],
        ));
    }
    let info = parts.len();
    for (n, key) in
        [(st.lossy, "batch.report_lossy"), (st.truncated, "batch.report_truncated"), (st.problem_count, "batch.report_problems")]
    {
        if n > 0 {
            parts.push(tr_n(key, n, &[]));
        }
    }
    if st.capped {
        parts.push(tr_fmt("batch.report_capped", &[("lines", &load::MAX_ROWS), ("mb", &(load::MAX_TOTAL_BYTES >> 20))]));
    }
    if st.fetch_cancelled {
        parts.push(tr_fmt("batch.report_fetch_cancelled", &[("n", &st.emails)]));
    }
    if st.email_texts_dropped {
        parts.push(tr_fmt("batch.report_email_texts", &[("mb", &(load::MAX_EMAIL_TEXT_BYTES >> 20))]));
    }
    let warn = parts.len() > info;
    (parts.join(" · "), warn)
}
