//! The open document: the rule set, its file, its compiled form and its undo history.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::util::undoer::{Settings, Undoer};

use super::compile_worker::{CompileWorker, INLINE_RULES};
use crate::engine::lint::{self, Lint, Severity};
use crate::engine::{Classifier, RuleSet};
use crate::i18n::{Lang, tr, tr_fmt};

/// What every panel needs to know about the rules, recomputed once per edit.
pub struct Compiled {
    /// The classifier of the current document.
    pub classifier: Arc<Classifier>,
    /// Lint findings, their messages in [`Compiled::lang`].
    pub lints: Vec<Lint>,
    /// Per bounce rule: indices into `lints`.
    pub rule_lints: Vec<Vec<usize>>,
    /// Per bounce rule: (examples passing, examples total).
    pub example_stats: Vec<(usize, usize)>,
    /// Bumped on every recompile; panels cache against it.
    pub generation: u64,
    /// Lines won per rule in the last batch run, if one ran on these rules.
    pub batch_hits: Option<Vec<usize>>,
    /// The language the messages were written in (the thread's when compiled).
    pub lang: Lang,
}

impl Compiled {
    /// Compiles and lints a document; messages in the current thread's language.
    pub fn new(doc: &RuleSet, generation: u64, batch_hits: Option<&[usize]>) -> Compiled {
        let classifier = Classifier::new(doc);
        let (lints, failures) = lint::lint_and_examples(doc, &classifier, batch_hits);
        let mut rule_lints = vec![Vec::new(); doc.bounce_rules.len()];
        for (i, l) in lints.iter().enumerate() {
            if let Some(r) = l.rule.filter(|&r| r < rule_lints.len()) {
                rule_lints[r].push(i);
            }
        }
        let example_stats = doc
            .bounce_rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let total = r.must_match.len() + r.must_not_match.len();
                let failed = failures.iter().filter(|f| f.rule == i).count();
                (total.saturating_sub(failed), total)
            })
            .collect();
        Compiled {
            classifier: Arc::new(classifier),
            lints,
            rule_lints,
            example_stats,
            generation,
            batch_hits: batch_hits.map(<[usize]>::to_vec),
            lang: Lang::current(),
        }
    }

    /// Number of warning-level findings.
    pub fn warning_count(&self) -> usize {
        self.lints.iter().filter(|l| l.severity == Severity::Warning).count()
    }

    /// Number of error-level findings.
    pub fn error_count(&self) -> usize {
        self.lints.iter().filter(|l| l.severity == Severity::Error).count()
    }

    /// The status bar's tooltip: at most `max` findings, errors first, each
    /// named by its severity. The bar counts errors and warnings only; a plain
    /// list under "1 warning" showed six notes beside it without saying which
    /// was the warning.
    pub fn problems_tip(&self, max: usize) -> String {
        if self.lints.is_empty() {
            return tr("status.no_problems").to_owned();
        }
        let mut sorted: Vec<&Lint> = self.lints.iter().collect();
        sorted.sort_by_key(|l| std::cmp::Reverse(l.severity));
        sorted
            .iter()
            .take(max)
            .map(|l| {
                let key = match l.severity {
                    Severity::Error => "status.sev_error",
                    Severity::Warning => "status.sev_warning",
                    Severity::Info => "status.sev_info",
                };
                tr_fmt(key, &[("message", &l.message)])
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The document being edited.
pub struct Document {
    /// The rules.
    pub rules: RuleSet,
    /// Where it was loaded from / saved to.
    pub path: Option<PathBuf>,
    saved: RuleSet,
    dirty: bool,
    /// Compiled form of `rules`.
    pub compiled: Compiled,
    undoer: Undoer<RuleSet>,
    /// Lines won per rule in the last batch run, for lint's dead-rule check.
    pub batch_hits: Option<Vec<usize>>,
    worker: Option<CompileWorker>,
    next_generation: u64,
    /// Language of the newest compile asked for.
    lang: Lang,
}

impl Document {
    /// Opens a document; `path` is None for a new, unsaved one.
    pub fn new(rules: RuleSet, path: Option<PathBuf>) -> Document {
        let compiled = Compiled::new(&rules, 0, None);
        let settings = Settings { max_undos: 200, stable_time: 0.6, auto_save_interval: 5.0 };
        let mut undoer = Undoer::with_settings(settings);
        undoer.add_undo(&rules);
        let lang = compiled.lang;
        Document {
            saved: rules.clone(),
            rules,
            path,
            dirty: false,
            compiled,
            undoer,
            batch_hits: None,
            worker: None,
            next_generation: 1,
            lang,
        }
    }

    /// Unsaved changes?
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// File name for titles.
    pub fn display_name(&self) -> String {
        self.path.as_deref().and_then(Path::file_name).map_or_else(|| tr("app.untitled").to_owned(), |n| n.to_string_lossy().into_owned())
    }

    /// Call after any change to `rules`: recompiles, updates the dirty flag and
    /// the undo history (text edits within a short time coalesce).
    pub fn after_edit(&mut self, time: f64) {
        self.recompile();
        self.undoer.feed_state(time, &self.rules);
    }

    /// Call after a discrete change (add, delete, move): one undo step of its own.
    pub fn after_structural_edit(&mut self) {
        self.recompile();
        self.undoer.add_undo(&self.rules);
    }

    /// Lets a pending text edit settle into an undo point.
    pub fn tick(&mut self, time: f64) {
        if self.undoer.is_in_flux() {
            self.undoer.feed_state(time, &self.rules);
        }
    }

    /// Whether there is something to undo / redo.
    pub fn can_undo(&self) -> bool {
        self.undoer.has_undo(&self.rules)
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        self.undoer.has_redo(&self.rules)
    }

    /// Undoes the last edit.
    pub fn undo(&mut self) -> bool {
        match self.undoer.undo(&self.rules).cloned() {
            Some(state) => {
                self.rules = state;
                self.recompile();
                true
            }
            None => false,
        }
    }

    /// Redoes the last undone edit.
    pub fn redo(&mut self) -> bool {
        match self.undoer.redo(&self.rules).cloned() {
            Some(state) => {
                self.rules = state;
                self.recompile();
                true
            }
            None => false,
        }
    }

    /// Records a successful save.
    pub fn mark_saved(&mut self, path: PathBuf) {
        self.path = Some(path);
        self.saved = self.rules.clone();
        self.dirty = false;
    }

    /// Call every frame with the UI language: when it changed, recompiles so
    /// that lint and compile messages are rewritten in it.
    pub fn set_language(&mut self, lang: Lang) {
        if lang != self.lang {
            self.lang = lang;
            self.recompile();
        }
    }

    /// Recompiles with the given batch hit counts (None clears them).
    pub fn set_batch_hits(&mut self, hits: Option<Vec<usize>>) {
        self.batch_hits = hits;
        self.recompile();
    }

    fn recompile(&mut self) {
        let generation = self.next_generation;
        self.next_generation += 1;
        self.dirty = self.rules != self.saved;
        let hits = self.batch_hits.as_deref().filter(|h| h.len() == self.rules.bounce_rules.len());
        if self.rules.bounce_rules.len() <= INLINE_RULES {
            let ui_lang = Lang::current();
            self.lang.make_current();
            self.compiled = Compiled::new(&self.rules, generation, hits);
            ui_lang.make_current();
            if let Some(w) = &mut self.worker {
                w.pending = None;
            }
        } else {
            let hits = hits.map(<[usize]>::to_vec);
            self.worker.get_or_insert_with(CompileWorker::start).request(generation, self.rules.clone(), hits, self.lang);
        }
    }

    /// Takes in a background compile that finished; true when one did.
    pub fn poll_compile(&mut self) -> bool {
        let Some(c) = self.worker.as_mut().and_then(CompileWorker::poll) else { return false };
        // A compile of an older state than the one shown is of no use.
        if c.generation > self.compiled.generation {
            self.compiled = c;
        }
        true
    }

    /// Whether the shown results lag behind the rules (a large set compiling).
    pub fn is_compiling(&self) -> bool {
        self.worker.as_ref().is_some_and(|w| w.pending.is_some())
    }
}
