//! Scoring a rule set against a labeled corpus (the TSV format of `corpus/`).

use std::collections::BTreeMap;
use std::path::Path;

use super::classify::Classifier;

/// One labeled diagnostic.
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

impl Sample {
    /// The email file the sample comes from (the id before `#`): samples of one
    /// file must stay on the same side of a hold-out split.
    pub fn file(&self) -> &str {
        self.id.split('#').next().unwrap_or(&self.id)
    }

    /// Which of `k` folds this sample falls in, stable across runs.
    pub fn fold(&self, k: u32) -> u32 {
        // FNV-1a: small, stable, no dependency.
        let h = self.file().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        (h % k.max(1) as u64) as u32
    }
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

/// Reads a labeled TSV: header line with `sample_id`, `diagnostic_text`,
/// `expected_reason`, `hard_or_soft`. Ragged rows are skipped.
pub fn read_tsv(path: &Path) -> Result<Vec<Sample>, CorpusError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| CorpusError::Read { path: p.clone(), message: e.to_string() })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &'static str| {
        header.iter().position(|h| h.trim() == name).ok_or(CorpusError::MissingColumn { path: p.clone(), column: name })
    };
    let (id, txt, reason, hs) = (col("sample_id")?, col("diagnostic_text")?, col("expected_reason")?, col("hard_or_soft")?);
    Ok(lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some(Sample {
                id: f.get(id)?.to_string(),
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

/// One misclassified sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Miss {
    /// Sample id.
    pub id: String,
    /// Its text.
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
    /// Samples scored.
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
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Classifies every sample and compares with its label.
pub fn evaluate<'a>(classifier: &Classifier, samples: impl IntoIterator<Item = &'a Sample>) -> EvalReport {
    let mut r = EvalReport::default();
    for s in samples {
        let v = classifier.classify(&s.text);
        let got = classifier.category(&v).id.clone();
        r.total += 1;
        let entry = r.per_category.entry(s.expected.clone()).or_default();
        entry.1 += 1;
        if got == s.expected {
            r.reason_correct += 1;
            entry.0 += 1;
        } else {
            *r.confusions.entry((s.expected.clone(), got.clone())).or_default() += 1;
            r.misses.push(Miss {
                id: s.id.clone(),
                text: s.text.clone(),
                expected: s.expected.clone(),
                got: got.clone(),
                rule: v.rule.map(|i| classifier.rule_name(i).to_owned()),
            });
        }
        if sisimai_hardness(&got) == s.hard_or_soft {
            r.hardness_correct += 1;
        }
    }
    r
}
