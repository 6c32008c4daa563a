//! Scoring the email form of a labeled corpus (`corpus/emails-dev.tsv`):
//! every labeled recipient is looked up among the records its raw email gives
//! through [`super::email::read`], then classified as the CLI would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::email;
use super::record::{Record, RecordSource};
use crate::engine::classify::Classifier;
use crate::engine::eval::{Answer, CorpusError, EvalReport, Labeled, score};

/// One labeled recipient of a raw email.
#[derive(Clone, Debug, PartialEq)]
pub struct EmailSample {
    /// `lhost-postfix-01#1`: email file stem, then recipient index.
    pub id: String,
    /// The `.eml` file, relative to the corpus file's folder + `emails-dev/`... as given.
    pub email_file: String,
    /// The labeled recipient address.
    pub recipient: String,
    /// Expected category.
    pub expected: String,
    /// `hard`, `soft` or `none`.
    pub hard_or_soft: String,
}

impl Labeled for EmailSample {
    fn id(&self) -> &str {
        &self.id
    }
    fn expected(&self) -> &str {
        &self.expected
    }
    fn hard_or_soft(&self) -> &str {
        &self.hard_or_soft
    }
    /// The MTA family: the email file name without its number (`lhost-postfix`).
    fn family(&self) -> &str {
        crate::engine::eval::family_of(&self.email_file)
    }
}

/// Whether a labeled TSV is the email form (has an `email_file` column).
pub fn is_email_corpus(path: &Path) -> bool {
    std::fs::read(path).ok().is_some_and(|b| {
        let head = String::from_utf8_lossy(&b[..b.len().min(4096)]).into_owned();
        head.lines().next().is_some_and(|h| h.split('\t').any(|c| c.trim() == "email_file"))
    })
}

/// Reads the email form: header with `sample_id`, `email_file`, `recipient`,
/// `expected_reason`, `hard_or_soft`. Ragged rows are skipped.
pub fn read_tsv(path: &Path) -> Result<Vec<EmailSample>, CorpusError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| CorpusError::Read { path: p.clone(), message: e.to_string() })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &'static str| {
        header.iter().position(|h| h.trim() == name).ok_or(CorpusError::MissingColumn { path: p.clone(), column: name })
    };
    let (id, file, rcpt, reason, hs) =
        (col("sample_id")?, col("email_file")?, col("recipient")?, col("expected_reason")?, col("hard_or_soft")?);
    Ok(lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some(EmailSample {
                id: f.get(id)?.to_string(),
                email_file: f.get(file)?.to_string(),
                recipient: f.get(rcpt)?.trim().to_string(),
                expected: f.get(reason)?.trim().to_string(),
                hard_or_soft: f.get(hs)?.trim().to_string(),
            })
        })
        .collect())
}

/// Where the emails of a corpus file are: `<stem>/` beside it (`emails-dev.tsv` → `emails-dev/`).
pub fn email_dir(corpus: &Path) -> PathBuf {
    let stem = corpus.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    corpus.with_file_name(stem)
}

/// The record of `records` about `s`: same recipient, else the same position, else the only one.
fn pick<'a>(records: &'a [Record], s: &EmailSample) -> Option<&'a Record> {
    let by_addr = records.iter().find(|r| r.recipient.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&s.recipient)));
    let index = s.id.rsplit_once('#').and_then(|(_, n)| n.parse::<usize>().ok()).unwrap_or(1);
    by_addr.or_else(|| records.get(index.saturating_sub(1))).or_else(|| records.first())
}

/// Reads labeled emails once each and answers for their recipients: the
/// email form's [`Answer`], to score with [`crate::engine::eval::score`] or
/// [`crate::engine::eval::by_family`] like the text form.
pub struct EmailAnswers<'c> {
    classifier: &'c Classifier,
    dir: PathBuf,
    cache: BTreeMap<String, Vec<Record>>,
    /// Labeled recipients found among the records by address.
    pub recipients_found: usize,
}

impl<'c> EmailAnswers<'c> {
    /// Answers from the emails in `dir` (see [`email_dir`]).
    pub fn new(classifier: &'c Classifier, dir: &Path) -> Self {
        EmailAnswers { classifier, dir: dir.to_owned(), cache: BTreeMap::new(), recipients_found: 0 }
    }

    /// The verdict for the labeled recipient of `s`, from its email's records.
    pub fn answer(&mut self, s: &EmailSample) -> Answer {
        let dir = &self.dir;
        let records = self.cache.entry(s.email_file.clone()).or_insert_with(|| {
            let path = dir.join(&s.email_file);
            let raw = std::fs::read(&path).unwrap_or_default();
            if !raw.starts_with(b"From ") {
                return email::read(&raw, &RecordSource { file: Some(path), message: None, line: None }).records;
            }
            // An mbox (some samples hold several messages), read as `bouncelab classify` reads it.
            super::mbox::Mbox::new(raw.as_slice())
                .filter_map(Result::ok)
                .flat_map(|m| email::read(&m.raw, &RecordSource { file: Some(path.clone()), message: Some(m.index), line: None }).records)
                .collect()
        });
        let rec = pick(records, s);
        if rec.is_some_and(|r| r.recipient.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&s.recipient))) {
            self.recipients_found += 1;
        }
        match rec {
            Some(r) => {
                let c = self.classifier;
                let v = c.classify_record(r);
                Answer { category: c.category(&v).id.clone(), rule: v.rule.map(|i| c.rule_name(i).to_owned()), text: r.text.clone() }
            }
            None => Answer { category: "(no record)".to_owned(), rule: None, text: String::new() },
        }
    }
}

/// Scores of the email form: the same report as the text form, plus how
/// many labeled recipients were found by address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmailEval {
    /// The scores.
    pub report: EvalReport,
    /// Labeled recipients found among the records by address.
    pub recipients_found: usize,
}

/// Reads each sample's email (once per file) and scores the verdict of its recipient.
pub fn evaluate<'a>(classifier: &Classifier, dir: &Path, samples: impl IntoIterator<Item = &'a EmailSample>) -> EmailEval {
    let mut answers = EmailAnswers::new(classifier, dir);
    let report = score(samples, |s| answers.answer(s));
    EmailEval { report, recipients_found: answers.recipients_found }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_of_a_file() {
        let s = EmailSample {
            id: "lhost-postfix-01#1".into(),
            email_file: "lhost-postfix-01.eml".into(),
            recipient: String::new(),
            expected: String::new(),
            hard_or_soft: String::new(),
        };
        assert_eq!(s.family(), "lhost-postfix");
        assert_eq!(email_dir(Path::new("corpus/emails-dev.tsv")), Path::new("corpus/emails-dev"));
    }
}
