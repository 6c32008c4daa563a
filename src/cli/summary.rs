//! `classify --summary`: the MTA's own class of each log record (KumoMTA
//! `bounce_classification`, PowerMTA `bounceCat`) against the class the rule
//! set gives for that MTA (the category's `kumomta` / `powermta` name), as a
//! confusion table, disagreements first: those are what an analyst fixes.

use std::collections::BTreeMap;
use std::io::Write;

use super::classify::classes;
use super::pad;
use crate::engine::classify::Verdict;
use crate::engine::ingest::{MtaKind, Record};
use crate::engine::ruleset::RuleSet;
use crate::i18n::{tr, tr_fmt};

/// Counts of (MTA, MTA's class, rule set's class).
#[derive(Default)]
pub(crate) struct Summary {
    pairs: BTreeMap<(&'static str, String, String), usize>,
    without_class: usize,
}

impl Summary {
    /// Counts one record and its verdict.
    pub fn add(&mut self, doc: &RuleSet, r: &Record, v: &Verdict) {
        let (MtaKind::Log(mta), Some(log)) = (&r.reporter, r.log_class.as_deref()) else {
            self.without_class += 1;
            return;
        };
        let ours = classes(doc, v).map(|c| if *mta == "powermta" { c.powermta } else { c.kumomta }).unwrap_or("");
        *self.pairs.entry((*mta, log.to_owned(), ours.to_owned())).or_default() += 1;
    }

    /// Writes the table and the agreement per MTA.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        if self.pairs.is_empty() {
            writeln!(out, "{}", tr("summary.empty"))?;
        } else {
            writeln!(out, "{}", tr("summary.heading"))?;
            let mut rows: Vec<(&(&str, String, String), usize)> = self.pairs.iter().map(|(k, &n)| (k, n)).collect();
            // Disagreements first, then the most frequent.
            rows.sort_by_key(|&((_, log, ours), n)| (agree(log, ours), std::cmp::Reverse(n)));
            let heads = [tr("summary.col_mta"), tr("summary.col_log_class"), tr("summary.col_rules_class"), tr("summary.col_records")];
            let width = |i: usize, cell: &dyn Fn(&(&str, String, String)) -> usize| {
                rows.iter().map(|(k, _)| cell(k)).chain([super::display_width(heads[i])]).max().unwrap_or(0)
            };
            let w = [width(0, &|k| k.0.len()), width(1, &|k| super::display_width(&k.1)), width(2, &|k| super::display_width(&k.2))];
            writeln!(out, "{}  {}  {}  {}", pad(heads[0], w[0]), pad(heads[1], w[1]), pad(heads[2], w[2]), heads[3])?;
            for ((mta, log, ours), n) in &rows {
                let mark = if agree(log, ours) { "" } else { "  ≠" };
                let ours = if ours.is_empty() { "-" } else { ours.as_str() };
                writeln!(out, "{}  {}  {}  {n}{mark}", pad(mta, w[0]), pad(&super::classify::safe(log), w[1]), pad(ours, w[2]))?;
            }
            let mut per_mta: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for ((mta, log, ours), n) in &self.pairs {
                let e = per_mta.entry(*mta).or_default();
                e.1 += n;
                if agree(log, ours) {
                    e.0 += n;
                }
            }
            for (mta, (agreeing, total)) in per_mta {
                let percent = format!("{:.1}", 100.0 * agreeing as f64 / total as f64);
                let args: [(&str, &dyn std::fmt::Display); 4] =
                    [("mta", &mta), ("agree", &agreeing), ("total", &total), ("percent", &percent)];
                writeln!(out, "{}", tr_fmt("summary.agreement", &args))?;
            }
        }
        if self.without_class > 0 {
            writeln!(out, "{}", tr_fmt("summary.without_class", &[("count", &self.without_class)]))?;
        }
        Ok(())
    }
}

/// KumoMTA and PowerMTA write their class names in one case; compare without it.
fn agree(log: &str, ours: &str) -> bool {
    log.eq_ignore_ascii_case(ours)
}
