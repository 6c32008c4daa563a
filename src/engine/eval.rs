//! Scoring a rule set against a labeled corpus (the TSV format of `corpus/`).
//!
//! The scoring is generic over [`Labeled`] items (anything with an id, an MTA
//! family and a label), so the text split (`corpus/sisimai-dev.tsv`, one
//! diagnostic a row) and the email split (`corpus/emails-dev.tsv`, one
//! recipient of a raw bounce email a row) are scored by the same code: the
//! caller says how one item is answered ([`Answer`]), [`score`] and
//! [`by_family`] count.

use std::collections::BTreeMap;
use std::path::Path;

use super::classify::Classifier;

/// A labeled item of a corpus.
pub trait Labeled {
    /// Stable id, e.g. `lhost-postfix-01#1`.
    fn id(&self) -> &str;
    /// Expected category (Sisimai reason name).
    fn expected(&self) -> &str;
    /// `hard`, `soft` or `none`.
    fn hard_or_soft(&self) -> &str;
    /// The MTA family the item comes from (see [`family_of`]): all items of a
    /// family are held out together.
    fn family(&self) -> &str {
        family_of(self.id())
    }
}

/// The MTA family of a sample id or email file name: the name up to its
/// number, `lhost-postfix-01#1` and `lhost-postfix-01.eml` → `lhost-postfix`.
/// A name without a number is its own family.
pub fn family_of(id: &str) -> &str {
    let file = id.split('#').next().unwrap_or(id);
    let file = file.strip_suffix(".eml").unwrap_or(file);
    match file.rsplit_once('-') {
        Some((head, num)) if !head.is_empty() && !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => file,
    }
}

/// One labeled diagnostic of the text split.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// `lhost-postfix-01#1`: email file, then recipient.
    pub id: String,
    /// The diagnostic text.
    pub text: String,
    /// Expected category (Sisimai reason name).
    pub expected: String,
    /// `hard`, `soft` or `none`.
    pub hard_or_soft: String,
}

impl Labeled for Sample {
    fn id(&self) -> &str {
        &self.id
    }
    fn expected(&self) -> &str {
        &self.expected
    }
    fn hard_or_soft(&self) -> &str {
        &self.hard_or_soft
    }
}

impl Sample {
    /// The email file the sample comes from (the id before `#`): samples of one
    /// file must stay on the same side of a hold-out split.
    pub fn file(&self) -> &str {
        self.id.split('#').next().unwrap_or(&self.id)
    }

    /// Which of `k` folds this sample falls in, stable across runs.
    pub fn fold(&self, k: u32) -> u32 {
        fold_of(&self.id, k)
    }
}

/// Which of `k` folds the item with this id falls in, stable across runs: a
/// hash of its email file (the id before `#`), so one email's recipients stay
/// on the same side of a split.
pub fn fold_of(id: &str, k: u32) -> u32 {
    let file = id.split('#').next().unwrap_or(id);
    // FNV-1a: small, stable, no dependency.
    let h = file.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    (h % k.max(1) as u64) as u32
}

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// IO or CSV error.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A needed column is missing from the header.
    #[error("{}", crate::i18n::tr_fmt("errors.corpus_missing_column", &[("path", .path), ("column", .column)]))]
    MissingColumn {
        /// The file.
        path: String,
        /// The column.
        column: &'static str,
    },
}

/// A labeled TSV read whole: its header and rows, fields split on tabs.
/// Corpus texts contain quotes of their own, so no quoting applies.
pub struct Table {
    path: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads `path`; invalid UTF-8 is replaced.
    pub fn read(path: &Path) -> Result<Table, CorpusError> {
        let p = path.display().to_string();
        let read_err = |e: &dyn std::fmt::Display| CorpusError::Read { path: p.clone(), message: e.to_string() };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .quoting(false)
            .flexible(true)
            .has_headers(true)
            .from_path(path)
            .map_err(|e| read_err(&e))?;
        let header =
            reader.byte_headers().map_err(|e| read_err(&e))?.iter().map(|h| String::from_utf8_lossy(h).trim().to_owned()).collect();
        let mut rows = Vec::new();
        for rec in reader.byte_records() {
            let rec = rec.map_err(|e| read_err(&e))?;
            rows.push(rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect());
        }
        Ok(Table { path: p, header, rows })
    }

    /// Index of the column `name`.
    pub fn column(&self, name: &'static str) -> Result<usize, CorpusError> {
        self.header.iter().position(|h| h == name).ok_or(CorpusError::MissingColumn { path: self.path.clone(), column: name })
    }

    /// The rows; ragged ones are the caller's to skip.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }
}

/// Reads a labeled TSV: header line with `sample_id`, `diagnostic_text`,
/// `expected_reason`, `hard_or_soft`. Rows missing one of them are skipped.
pub fn read_tsv(path: &Path) -> Result<Vec<Sample>, CorpusError> {
    let t = Table::read(path)?;
    let (id, txt, reason, hs) =
        (t.column("sample_id")?, t.column("diagnostic_text")?, t.column("expected_reason")?, t.column("hard_or_soft")?);
    Ok(t.rows()
        .iter()
        .filter_map(|f| {
            Some(Sample {
                id: f.get(id)?.trim().to_string(),
                text: f.get(txt)?.to_string(),
                expected: f.get(reason)?.trim().to_string(),
                hard_or_soft: f.get(hs)?.trim().to_string(),
            })
        })
        .collect())
}

/// Sisimai's convention: these categories are hard bounces, `delivered` and
/// friends are not bounces, everything else is soft.
pub fn sisimai_hardness(category: &str) -> &'static str {
    match category {
        "userunknown" | "hostunknown" | "hasmoved" | "notaccept" => "hard",
        "delivered" | "feedback" | "vacation" => "none",
        _ => "soft",
    }
}

/// What the rules answered for one item.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The category given.
    pub category: String,
    /// The rule that decided, if any.
    pub rule: Option<String>,
    /// The text that was classified (shown for misses).
    pub text: String,
}

impl Answer {
    /// The classifier's answer for `text`.
    pub fn of_text(c: &Classifier, text: &str) -> Answer {
        let v = c.classify_without_span(text);
        Answer { category: c.category(&v).id.clone(), rule: v.rule.map(|i| c.rule_name(i).to_owned()), text: text.to_owned() }
    }
}

/// One misclassified item.
#[derive(Clone, Debug, PartialEq)]
pub struct Miss {
    /// Item id.
    pub id: String,
    /// The classified text.
    pub text: String,
    /// Expected category.
    pub expected: String,
    /// What we said.
    pub got: String,
    /// The rule that decided, if any.
    pub rule: Option<String>,
}

/// Scores of one evaluation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvalReport {
    /// Items scored.
    pub total: usize,
    /// Category equal to the label.
    pub reason_correct: usize,
    /// Hard/soft/none equal to the label.
    pub hardness_correct: usize,
    /// Per expected category: (correct, total).
    pub per_category: BTreeMap<String, (usize, usize)>,
    /// (expected, got) → count, for wrong answers.
    pub confusions: BTreeMap<(String, String), usize>,
    /// Every wrong answer.
    pub misses: Vec<Miss>,
}

impl EvalReport {
    /// Reason accuracy in [0, 1].
    pub fn reason_accuracy(&self) -> f64 {
        ratio(self.reason_correct, self.total)
    }

    /// Hard/soft accuracy in [0, 1].
    pub fn hardness_accuracy(&self) -> f64 {
        ratio(self.hardness_correct, self.total)
    }

    /// Confusions, most frequent first.
    pub fn top_confusions(&self, n: usize) -> Vec<(&(String, String), usize)> {
        let mut v: Vec<_> = self.confusions.iter().map(|(k, &c)| (k, c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }

    /// Counts one answered item.
    pub fn add(&mut self, item: &impl Labeled, answer: Answer) {
        self.total += 1;
        let entry = self.per_category.entry(item.expected().to_owned()).or_default();
        entry.1 += 1;
        if sisimai_hardness(&answer.category) == item.hard_or_soft() {
            self.hardness_correct += 1;
        }
        if answer.category == item.expected() {
            self.reason_correct += 1;
            entry.0 += 1;
        } else {
            *self.confusions.entry((item.expected().to_owned(), answer.category.clone())).or_default() += 1;
            self.misses.push(Miss {
                id: item.id().to_owned(),
                text: answer.text,
                expected: item.expected().to_owned(),
                got: answer.category,
                rule: answer.rule,
            });
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Scores every item with the answer `answer` gives for it.
pub fn score<'a, L: Labeled + 'a>(items: impl IntoIterator<Item = &'a L>, mut answer: impl FnMut(&L) -> Answer) -> EvalReport {
    let mut r = EvalReport::default();
    for item in items {
        let a = answer(item);
        r.add(item, a);
    }
    r
}

/// Classifies every sample's text and compares with its label.
pub fn evaluate<'a>(classifier: &Classifier, samples: impl IntoIterator<Item = &'a Sample>) -> EvalReport {
    score(samples, |s| Answer::of_text(classifier, &s.text))
}

/// The scores of one MTA family.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyReport {
    /// The family (`lhost-postfix`).
    pub family: String,
    /// Its items' scores.
    pub report: EvalReport,
}

/// Leave-one-MTA-family-out: every family scored on its own, as the figure
/// for an MTA the rules were not fitted to, beside the pooled figure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FoldsReport {
    /// All items together (the plain figure).
    pub pooled: EvalReport,
    /// One report per family, in name order.
    pub families: Vec<FamilyReport>,
}

impl FoldsReport {
    /// Mean of the families' reason accuracies: every MTA counts the same,
    /// however many samples it has.
    pub fn macro_reason(&self) -> f64 {
        mean(self.families.iter().map(|f| f.report.reason_accuracy()))
    }

    /// Mean of the families' hard/soft accuracies.
    pub fn macro_hardness(&self) -> f64 {
        mean(self.families.iter().map(|f| f.report.hardness_accuracy()))
    }

    /// Per expected category: how many families have it, and the mean of
    /// their recalls (every family that has the category counts the same).
    pub fn macro_category_recall(&self) -> BTreeMap<String, (usize, f64)> {
        let mut sums: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        for f in &self.families {
            for (cat, &(ok, n)) in &f.report.per_category {
                let e = sums.entry(cat.clone()).or_default();
                e.0 += 1;
                e.1 += ratio(ok, n);
            }
        }
        sums.into_iter().map(|(k, (n, s))| (k, (n, s / n as f64))).collect()
    }
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (n, s) = it.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    if n == 0 { 0.0 } else { s / n as f64 }
}

/// The families present in `items`, in name order.
pub fn families<'a, L: Labeled + 'a>(items: impl IntoIterator<Item = &'a L>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().map(|i| i.family().to_owned()).collect();
    v.sort();
    v.dedup();
    v
}

/// Scores every item, grouped by MTA family (leave-one-family-out folds).
pub fn by_family<'a, L: Labeled + 'a>(items: impl IntoIterator<Item = &'a L>, mut answer: impl FnMut(&L) -> Answer) -> FoldsReport {
    let mut pooled = EvalReport::default();
    let mut per: BTreeMap<String, EvalReport> = BTreeMap::new();
    for item in items {
        let a = answer(item);
        per.entry(item.family().to_owned()).or_default().add(item, a.clone());
        pooled.add(item, a);
    }
    FoldsReport { pooled, families: per.into_iter().map(|(family, report)| FamilyReport { family, report }).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: &str, expected: &str, hs: &str) -> Sample {
        Sample { id: id.into(), text: String::new(), expected: expected.into(), hard_or_soft: hs.into() }
    }

    #[test]
    fn family_is_the_name_up_to_its_number() {
        assert_eq!(family_of("lhost-postfix-01#1"), "lhost-postfix");
        assert_eq!(family_of("lhost-postfix-12"), "lhost-postfix");
        assert_eq!(family_of("lhost-postfix-01.eml"), "lhost-postfix");
        assert_eq!(family_of("rfc3464-05#2"), "rfc3464");
        assert_eq!(family_of("t-1#1"), "t");
        assert_eq!(family_of("plain"), "plain");
        assert_eq!(family_of("ends-"), "ends-");
        assert_eq!(family_of("-7"), "-7");
        assert_eq!(family_of("lhost-x1-03#1"), "lhost-x1");
    }

    #[test]
    fn folds_score_each_family_and_pool_them() {
        let items = [s("a-1#1", "userunknown", "hard"), s("a-2#1", "mailboxfull", "soft"), s("b-1#1", "userunknown", "hard")];
        // Answers "userunknown" for everything.
        let r = by_family(&items, |_| Answer { category: "userunknown".into(), rule: None, text: String::new() });
        assert_eq!(r.pooled.total, 3);
        assert_eq!(r.pooled.reason_correct, 2);
        assert_eq!(r.families.len(), 2);
        assert_eq!((r.families[0].family.as_str(), r.families[0].report.reason_correct, r.families[0].report.total), ("a", 1, 2));
        assert_eq!((r.families[1].family.as_str(), r.families[1].report.reason_correct), ("b", 1));
        assert!((r.macro_reason() - 0.75).abs() < 1e-9);
        assert!((r.macro_hardness() - 0.75).abs() < 1e-9);
        let cat = r.macro_category_recall();
        assert_eq!(cat["userunknown"], (2, 1.0));
        assert_eq!(cat["mailboxfull"], (1, 0.0));
        assert_eq!(r.pooled.misses.len(), 1);
        assert_eq!(r.pooled.misses[0].id, "a-2#1");
        assert_eq!(families(&items), ["a", "b"]);
    }

    #[test]
    fn empty_input_scores_zero_without_dividing_by_zero() {
        let r = by_family(std::iter::empty::<&Sample>(), |_| unreachable!());
        assert_eq!((r.pooled.total, r.macro_reason(), r.pooled.reason_accuracy()), (0, 0.0, 0.0));
    }
}
