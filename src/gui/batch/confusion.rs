//! The MTA's own classification against the rule set's, for batches read
//! from MTA logs (KumoMTA `bounce_classification`, PowerMTA `bounceCat`):
//! how many records each pair of classes has, disagreements first — what an
//! analyst fixes first.

use std::collections::HashMap;

use egui::{RichText, Ui};

use super::load::Rows;
use crate::engine::ingest::MtaKind;
use crate::engine::{RuleSet, Verdict};
use crate::i18n::{tr, tr_fmt};

/// One cell of the confusion table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// The MTA whose log it is (`kumomta`, `powermta`).
    pub mta: &'static str,
    /// The MTA's class.
    pub log_class: String,
    /// The rule set's class for that MTA (empty: the category has no mapping).
    pub rule_class: String,
    /// Records.
    pub count: usize,
}

impl Pair {
    /// Whether both sides name the same class.
    pub fn agrees(&self) -> bool {
        self.log_class.eq_ignore_ascii_case(&self.rule_class)
    }
}

/// The rule set's class of a verdict in the taxonomy of `mta`.
fn rule_class<'a>(doc: &'a RuleSet, mta: &str, v: &Verdict) -> &'a str {
    doc.categories.get(v.category as usize).map_or("", |c| match mta {
        "kumomta" => c.kumomta.as_str(),
        "powermta" => c.powermta.as_str(),
        _ => "",
    })
}

/// Counts the pairs of the rows that carry a `log_class`; disagreements
/// first, then by count. Empty when the batch holds no such row.
pub fn confusion(rows: &Rows, verdicts: &[Verdict], doc: &RuleSet) -> Vec<Pair> {
    let mut counts: HashMap<(&'static str, &str, &str), usize> = HashMap::new();
    for &i in &rows.log_rows {
        let (Some(d), Some(v)) = (rows.detail(i as usize), verdicts.get(i as usize)) else { continue };
        let Some(class) = d.record.log_class.as_deref() else { continue };
        let mta = match d.record.reporter {
            MtaKind::Log(m) => m,
            _ => continue,
        };
        *counts.entry((mta, class, rule_class(doc, mta, v))).or_default() += 1;
    }
    let mut pairs: Vec<Pair> =
        counts.into_iter().map(|((mta, l, r), count)| Pair { mta, log_class: l.to_owned(), rule_class: r.to_owned(), count }).collect();
    pairs.sort_by(|a, b| {
        (a.agrees(), std::cmp::Reverse(a.count), a.mta, &a.log_class, &a.rule_class).cmp(&(
            b.agrees(),
            std::cmp::Reverse(b.count),
            b.mta,
            &b.log_class,
            &b.rule_class,
        ))
    });
    pairs
}

/// The table: agreement first, then one row per pair of classes.
pub fn confusion_ui(ui: &mut Ui, pairs: &[Pair], height: f32) {
    let total: usize = pairs.iter().map(|p| p.count).sum();
    let agree: usize = pairs.iter().filter(|p| p.agrees()).map(|p| p.count).sum();
    let pct = if total > 0 { 100.0 * agree as f64 / total as f64 } else { 0.0 };
    ui.strong(tr("batch.confusion_heading"));
    let agreement = tr_fmt("batch.confusion_agree", &[("agree", &agree), ("total", &total), ("pct", &format_args!("{pct:.1}"))]);
    ui.add(egui::Label::new(agreement).wrap());
    let warn = ui.visuals().warn_fg_color;
    // The MTA column only when the batch mixes MTAs' logs.
    let several = pairs.first().is_some_and(|f| pairs.iter().any(|p| p.mta != f.mta));
    egui::ScrollArea::both().id_salt("batch_confusion").max_height(height).show(ui, |ui| {
        egui::Grid::new("batch_confusion_grid").striped(true).num_columns(3 + usize::from(several)).spacing([12.0, 2.0]).show(ui, |ui| {
            if several {
                ui.strong(tr("batch.col_mta"));
            }
            ui.strong(tr("batch.confusion_mta_class"));
            ui.strong(tr("batch.confusion_rule_class"));
            ui.strong(tr("batch.confusion_records"));
            ui.end_row();
            for p in pairs {
                let rule = if p.rule_class.is_empty() { tr("batch.confusion_unmapped") } else { p.rule_class.as_str() };
                let paint = |t: &str| if p.agrees() { RichText::new(t) } else { RichText::new(t).color(warn) };
                if several {
                    ui.label(p.mta);
                }
                ui.label(paint(&p.log_class));
                ui.label(paint(rule));
                ui.label(paint(&p.count.to_string()));
                ui.end_row();
            }
        });
    });
}
