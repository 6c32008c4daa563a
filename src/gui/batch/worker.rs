//! Background jobs of the batch panel: reading the input (files, a paste or
//! a mailbox), then classifying it with rayon on all cores. The UI thread
//! only polls a channel and reads atomic counters, so it never waits on a
//! 2-million-line batch or a slow server.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::load::{self, Format, ReadProgress, Rows, Source};
use super::mailbox::MailboxRequest;
use crate::engine::classify::{BatchLine, DecidedBy};
use crate::engine::templates::{self, Cluster, TemplateCounts};
use crate::engine::{Classifier, FailureType, Verdict};

/// Lines per rayon task: big enough to amortise scheduling, small enough for a
/// smooth progress bar and a quick cancel.
pub const CHUNK: usize = 4096;
/// Clusters kept for display (the count of all templates is kept too).
pub const MAX_CLUSTERS: usize = 500;

/// Counts computed once per run, off the UI thread.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Lines per failure type, in [`FailureType::ALL`] order.
    pub per_type: [usize; 3],
    /// Lines per reason index of the run's classifier.
    pub per_reason: Vec<usize>,
    /// Lines per category index.
    pub per_category: Vec<usize>,
    /// Lines won per document rule (what lint's dead-rule check wants).
    pub hits: Vec<usize>,
    /// Lines no rule matched.
    pub unmatched: usize,
    /// Unmatched lines grouped by template, most frequent first.
    pub clusters: Vec<Cluster>,
    /// How many distinct templates there were in all.
    pub templates: usize,
}

/// A finished classification.
pub struct Results {
    /// The classifier the verdicts come from (names are looked up on it).
    pub classifier: Arc<Classifier>,
    /// One verdict per line.
    pub verdicts: Arc<Vec<Verdict>>,
    /// Counts.
    pub summary: Summary,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Distinguishes runs, for caches.
    pub serial: u64,
}

/// What a job sends back.
pub enum Msg {
    /// The input was read.
    Loaded(Box<Rows>),
    /// The lines were classified.
    Classified(Box<Results>),
}

/// Which stage a job is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading the input (progress in bytes).
    Reading,
    /// Fetching from a mailbox (progress in messages).
    Fetching,
    /// Classifying (progress in lines).
    Classifying,
}

/// A running job. Dropping it cancels it.
pub struct Job {
    /// What it does.
    pub stage: Stage,
    /// For a classification: the classifier it runs (to notice rule edits).
    pub classifier: Option<Arc<Classifier>>,
    cancel: Arc<AtomicBool>,
    read: Arc<ReadProgress>,
    lines_done: Arc<AtomicU64>,
    lines_total: u64,
    rx: Receiver<Msg>,
}

/// What polling a job gave.
pub enum Poll {
    /// Still running.
    Running,
    /// Finished.
    Done(Msg),
    /// The worker died without an answer (a bug; reported, not hidden).
    Lost,
}

impl Job {
    /// (done, total) in bytes while reading, in lines while classifying.
    pub fn progress(&self) -> (u64, u64) {
        match self.stage {
            Stage::Reading | Stage::Fetching => (self.read.done.load(Ordering::Relaxed), self.read.total.load(Ordering::Relaxed)),
            Stage::Classifying => (self.lines_done.load(Ordering::Relaxed), self.lines_total),
        }
    }

    /// Whether a mailbox fetch got past the login (the server listed the mailbox).
    pub fn listed(&self) -> bool {
        self.read.listed.load(Ordering::Relaxed)
    }

    /// Asks the worker to stop at its next chunk.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether a cancel was asked (a mailbox fetch then ends with what it has).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Checks for the answer without waiting.
    pub fn poll(&self) -> Poll {
        match self.rx.try_recv() {
            Ok(m) => Poll::Done(m),
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.cancel();
    }
}

fn spawn(name: &str, repaint: &egui::Context, work: impl FnOnce() -> Option<Msg> + Send + 'static) -> Receiver<Msg> {
    let (tx, rx) = mpsc::channel();
    let repaint = repaint.clone();
    // A failed spawn drops `tx`: the poll then reports the job as lost.
    let _ = std::thread::Builder::new().name(name.into()).spawn(move || {
        if let Some(m) = work() {
            let _ = tx.send(m);
        }
        repaint.request_repaint();
    });
    rx
}

/// Starts reading a source.
pub fn start_load(source: Source, format: Format, column: Option<usize>, repaint: &egui::Context) -> Job {
    let cancel = Arc::new(AtomicBool::new(false));
    let read = Arc::new(ReadProgress::default());
    let (c, r) = (cancel.clone(), read.clone());
    let rx = spawn("batch-read", repaint, move || {
        let rows = load::load(source, format, column, &r, &c);
        (!c.load(Ordering::Relaxed)).then(|| Msg::Loaded(Box::new(rows)))
    });
    Job { stage: Stage::Reading, classifier: None, cancel, read, lines_done: Arc::default(), lines_total: 0, rx }
}

/// Starts fetching a mailbox, read-only. A cancel keeps what was fetched.
pub fn start_fetch(request: MailboxRequest, repaint: &egui::Context) -> Job {
    let cancel = Arc::new(AtomicBool::new(false));
    let read = Arc::new(ReadProgress::default());
    let (c, r) = (cancel.clone(), read.clone());
    let rx = spawn("batch-mailbox", repaint, move || Some(Msg::Loaded(Box::new(super::mailbox::fetch_rows(request, &r, &c)))));
    Job { stage: Stage::Fetching, classifier: None, cancel, read, lines_done: Arc::default(), lines_total: 0, rx }
}

/// The verdicts of the same rows under other rules: after a one-rule edit
/// they make the new run incremental ([`Classifier::reclassify`]).
pub type Previous = (Arc<Classifier>, Arc<Vec<Verdict>>);

/// Starts classifying `lines` with `classifier`; `rules` is the document's rule count (for hits).
pub fn start_classify(
    rows: Arc<Rows>,
    classifier: Arc<Classifier>,
    previous: Option<Previous>,
    rules: usize,
    serial: u64,
    repaint: &egui::Context,
) -> Job {
    let cancel = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let total = rows.len() as u64;
    let (c, d, cl) = (cancel.clone(), done.clone(), classifier.clone());
    let rx = spawn("batch-classify", repaint, move || {
        let start = Instant::now();
        let previous = previous.as_ref().filter(|(_, v)| v.len() == rows.len());
        let verdicts = classify_all(&rows, &cl, previous, &c, &d)?;
        let summary = summarize(&rows, &verdicts, &cl, rules, &c)?;
        let elapsed = start.elapsed();
        Some(Msg::Classified(Box::new(Results { classifier: cl, verdicts: Arc::new(verdicts), summary, elapsed, serial })))
    });
    Job { stage: Stage::Classifying, classifier: Some(classifier), cancel, read: Arc::default(), lines_done: done, lines_total: total, rx }
}

/// Classifies every row on the rayon pool, in chunks; None when cancelled.
/// Rows from emails and logs go through their record (SMTP phase, DSN
/// action, auto-reply...), exactly as `bouncelab classify` does. With the
/// verdicts of the rules before a one-rule edit, only what the edit can
/// change is classified again.
pub fn classify_all(
    rows: &Rows,
    classifier: &Classifier,
    previous: Option<&Previous>,
    cancel: &AtomicBool,
    done: &AtomicU64,
) -> Option<Vec<Verdict>> {
    let n = rows.len();
    let incremental = previous.and_then(|(old, verdicts)| Some((classifier.reclassifier(old)?, verdicts)));
    let parts: Option<Vec<Vec<Verdict>>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            let range = k * CHUNK..((k + 1) * CHUNK).min(n);
            let len = range.len();
            let v: Vec<Verdict> = range
                .map(|i| {
                    let line = match rows.detail(i) {
                        Some(d) => BatchLine::Record(&d.record),
                        None => BatchLine::Text(rows.text(i)),
                    };
                    match &incremental {
                        Some((re, before)) => re.verdict(&before[i], line),
                        None => line.classify(classifier),
                    }
                })
                .collect();
            done.fetch_add(len as u64, Ordering::Relaxed);
            Some(v)
        })
        .collect();
    Some(parts?.concat())
}

/// Index of a failure type in [`FailureType::ALL`].
pub fn type_index(t: FailureType) -> usize {
    match t {
        FailureType::Hard => 0,
        FailureType::Soft => 1,
        FailureType::Ignored => 2,
    }
}

/// Counts per type, reason, category and rule, and clusters the unmatched lines.
pub fn summarize(rows: &Rows, verdicts: &[Verdict], c: &Classifier, rules: usize, cancel: &AtomicBool) -> Option<Summary> {
    let mut s = Summary {
        per_reason: vec![0; c.reasons().len()],
        per_category: vec![0; c.categories().len()],
        hits: vec![0; rules],
        ..Summary::default()
    };
    for v in verdicts {
        s.per_type[type_index(v.failure_type)] += 1;
        if let Some(n) = s.per_reason.get_mut(v.reason as usize) {
            *n += 1;
        }
        if let Some(n) = s.per_category.get_mut(v.category as usize) {
            *n += 1;
        }
        match v.rule {
            Some(r) if v.decided_by == DecidedBy::Rule => {
                if let Some(n) = s.hits.get_mut(r) {
                    *n += 1;
                }
            }
            _ if v.decided_by.is_unmatched() => s.unmatched += 1,
            _ => {}
        }
    }
    // Normalising is the costly part: fold per rayon task, merge the maps.
    let counts: TemplateCounts = verdicts
        .par_iter()
        .enumerate()
        .with_min_len(CHUNK)
        .filter(|(_, v)| v.decided_by.is_unmatched())
        .fold(HashMap::new, |mut m, (i, _)| {
            // Once cancelled, the rest is skipped cheaply and the result dropped.
            if !cancel.load(Ordering::Relaxed) {
                templates::count_into(&mut m, i, rows.text(i));
            }
            m
        })
        .reduce(HashMap::new, templates::merge);
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    s.templates = counts.len();
    s.clusters = templates::ranked(counts);
    s.clusters.truncate(MAX_CLUSTERS);
    Some(s)
}
