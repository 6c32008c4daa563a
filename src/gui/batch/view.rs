//! The rows of the results table: filtering and sorting by small integer keys
//! (fast enough for 2 million rows), and CSV export of what is shown.

use crate::engine::classify::DecidedBy;
use crate::engine::{Classifier, FailureType, Verdict};

use super::load::Rows;

/// Which lines the table shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this failure type.
    pub failure_type: Option<FailureType>,
    /// Only this reason index.
    pub reason: Option<u16>,
    /// Only this category index.
    pub category: Option<u16>,
    /// Only lines won by this rule (`Some(None)`: won by no rule).
    pub rule: Option<Option<usize>>,
    /// Only lines no rule matched (and that a rule could decide).
    pub unmatched_only: bool,
}

impl Filter {
    /// Whether a verdict passes.
    pub fn keeps(&self, v: &Verdict) -> bool {
        self.failure_type.is_none_or(|t| t == v.failure_type)
            && self.reason.is_none_or(|r| r == v.reason)
            && self.category.is_none_or(|c| c == v.category)
            && self.rule.is_none_or(|r| r == won_by(v))
            && (!self.unmatched_only || v.decided_by.is_unmatched())
    }
}

/// The rule that won a line, if a rule decided it.
pub fn won_by(v: &Verdict) -> Option<usize> {
    v.rule.filter(|_| v.decided_by == DecidedBy::Rule)
}

/// Column to sort by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Input order.
    #[default]
    Line,
    /// Failure type.
    Type,
    /// Reason label.
    Reason,
    /// Category id.
    Category,
    /// Winning rule (in list order; none last).
    Rule,
    /// What decided.
    DecidedBy,
}

/// A row's sort key.
type KeyFn = Box<dyn Fn(&Verdict) -> u64>;

/// Row indices passing `filter`, sorted (stable, so input order breaks ties).
pub fn rows(verdicts: &[Verdict], c: &Classifier, filter: &Filter, key: SortKey, descending: bool) -> Vec<u32> {
    let mut out: Vec<u32> = (0..verdicts.len()).filter(|&i| filter.keeps(&verdicts[i])).map(|i| i as u32).collect();
    let rank_by_name = |names: Vec<&str>| {
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by_key(|&i| names[i].to_lowercase());
        let mut rank = vec![0u32; names.len()];
        for (r, i) in order.into_iter().enumerate() {
            rank[i] = r as u32;
        }
        rank
    };
    let sort_key: Option<KeyFn> = match key {
        SortKey::Line => None,
        SortKey::Type => Some(Box::new(|v: &Verdict| super::worker::type_index(v.failure_type) as u64)),
        SortKey::Reason => {
            let rank = rank_by_name(c.reasons().iter().map(|r| r.display_label()).collect());
            Some(Box::new(move |v: &Verdict| u64::from(rank.get(v.reason as usize).copied().unwrap_or(u32::MAX))))
        }
        SortKey::Category => {
            let rank = rank_by_name(c.categories().iter().map(|r| r.id.as_str()).collect());
            Some(Box::new(move |v: &Verdict| u64::from(rank.get(v.category as usize).copied().unwrap_or(u32::MAX))))
        }
        SortKey::Rule => Some(Box::new(|v: &Verdict| won_by(v).map_or(u64::MAX, |r| r as u64))),
        SortKey::DecidedBy => Some(Box::new(|v: &Verdict| v.decided_by as u64)),
    };
    if let Some(k) = sort_key {
        out.sort_by_key(|&i| k(&verdicts[i as usize]));
    }
    if descending {
        out.reverse();
    }
    out
}

/// The shown rows as CSV: source, line, recipient, phase, mta, log_class,
/// text, type, reason, category, rule, decided_by (machine names, as in
/// `bouncelab classify`).
pub fn to_csv(lines: &Rows, verdicts: &[Verdict], c: &Classifier, rows: &[u32]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "source",
        "line",
        "recipient",
        "phase",
        "mta",
        "log_class",
        "text",
        "failure_type",
        "reason",
        "category",
        "rule",
        "decided_by",
    ])?;
    for &i in rows {
        let i = i as usize;
        let Some(v) = verdicts.get(i) else { continue };
        let rec = lines.detail(i).map(|d| &d.record);
        let source = match rec.and_then(|r| r.source.file.as_deref()) {
            Some(f) => f.display().to_string(),
            None => lines.source_name(i).to_owned(),
        };
        let origin = lines.origin.get(i).copied().unwrap_or(0).to_string();
        let rule = won_by(v).map(|r| c.rule_name(r)).unwrap_or("");
        w.write_record([
            source.as_str(),
            &origin,
            rec.and_then(|r| r.recipient.as_deref()).unwrap_or(""),
            rec.and_then(|r| r.phase).map_or("", |p| p.as_str()),
            &rec.map(|r| r.reporter.name()).unwrap_or_default(),
            rec.and_then(|r| r.log_class.as_deref()).unwrap_or(""),
            lines.text(i),
            v.failure_type.label(),
            // Exported data: the rule set's own label, as in JSON and TSV.
            &c.reason(v).label,
            &c.category(v).id,
            rule,
            v.decided_by.as_str(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
