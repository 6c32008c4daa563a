//! Re-classifying a batch after a one-rule edit without running every rule
//! on every line again.
//!
//! Rules are tried in list order and the first that matches wins, so after
//! rule `k` alone changed, a line won by a rule before `k` keeps its verdict;
//! a line won later (or by a fallback) is won by the new rule `k` if it
//! matches, else keeps its verdict; only the lines the old rule `k` won are
//! classified again in full. Inserting and removing a rule are the same
//! reasoning with the later rule indices shifted by one. Testing one rule is
//! a few literal scans where a full classification runs the prefilter over
//! every rule and checks all its candidates: the edited rule gets a prefilter
//! of its own literals, so its regexes run only on lines that hold them.
//!
//! Each [`Classifier`] keeps a fingerprint of every document rule (what
//! decides verdicts: pattern, category, reason, failure type, status,
//! enabled, phases; not its name, examples or note) and of the rest of the
//! document that verdicts depend on (reasons, categories, fallbacks), so the
//! edit between two classifiers is found without the documents.

use std::cell::RefCell;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::prefilter::{Prefilter, Required};
use super::{Classifier, DecidedBy, Verdict};
use crate::engine::ingest::Record;
use crate::engine::ruleset::{BounceRule, RuleSet};
use crate::engine::smtp::Phase;

/// How the rules of one classifier differ from another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleEdit {
    /// Nothing that decides a verdict changed (names, examples, notes may have).
    Same,
    /// Rule `k` changed in place.
    Changed(usize),
    /// A rule was inserted at `k`.
    Inserted(usize),
    /// Rule `k` was removed.
    Removed(usize),
}

/// One line of a batch, as the batch classified it.
#[derive(Clone, Copy, Debug)]
pub enum BatchLine<'a> {
    /// A plain line ([`Classifier::classify_without_span`]).
    Text(&'a str),
    /// A record from an email or a log ([`Classifier::classify_record`]).
    Record(&'a Record),
}

impl BatchLine<'_> {
    /// The verdict a full classification gives.
    pub fn classify(self, c: &Classifier) -> Verdict {
        match self {
            BatchLine::Text(t) => c.classify_without_span(t),
            BatchLine::Record(r) => c.classify_record(r),
        }
    }
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// What of a rule decides verdicts (a renamed rule or a new example changes none).
pub(super) fn rule_fingerprint(r: &BounceRule) -> u64 {
    let fields = format!("{:?}|{:?}|{:?}|{:?}", r.reason, r.failure_type, r.status, r.phases);
    hash_of((&r.pattern, &r.category, r.enabled, fields))
}

/// What of the document besides its rules decides verdicts.
pub(super) fn frame_fingerprint(doc: &RuleSet) -> u64 {
    hash_of(format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}",
        doc.reasons, doc.categories, doc.default_category, doc.enhanced_fallbacks, doc.reply_fallbacks
    ))
}

impl Classifier {
    /// The one edit that turns `old`'s rules into `self`'s, if that is all
    /// that changed (None: several rules, or the categories, reasons or
    /// fallbacks changed; re-classify in full).
    pub fn edit_since(&self, old: &Classifier) -> Option<RuleEdit> {
        if self.frame != old.frame {
            return None;
        }
        let (a, b) = (&old.fingerprints, &self.fingerprints);
        let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        if a.len() == b.len() && head == a.len() {
            return Some(RuleEdit::Same);
        }
        let tail = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
        let fits = |n: usize| head + tail >= n;
        match b.len() as isize - a.len() as isize {
            0 if fits(a.len() - 1) => Some(RuleEdit::Changed(head)),
            1 if fits(a.len()) => Some(RuleEdit::Inserted(head)),
            -1 if fits(b.len()) => Some(RuleEdit::Removed(head)),
            _ => None,
        }
    }

    /// What re-classifies lines classified by `old` with these rules, when
    /// the two differ by one edit (None: classify in full).
    pub fn reclassifier(&self, old: &Classifier) -> Option<Reclassifier<'_>> {
        let edit = self.edit_since(old)?;
        let rule = match edit {
            RuleEdit::Changed(k) | RuleEdit::Inserted(k) => self.by_doc.get(k).copied().flatten(),
            RuleEdit::Same | RuleEdit::Removed(_) => None,
        };
        let probe = rule.map(|k| {
            let units = self.rules[k as usize].units.clone();
            let reqs: Vec<&Required> = units.clone().map(|u| &self.pieces[self.units[u as usize].piece as usize].required).collect();
            Probe { rule: k as usize, first_unit: units.start as usize, prefilter: Prefilter::new(&reqs) }
        });
        Some(Reclassifier { new: self, edit, probe })
    }
}

/// The edited rule alone, with a prefilter over its own literals.
struct Probe {
    /// Compiled index of the rule.
    rule: usize,
    /// Its first unit in [`Classifier::units`]; the probe's bit `i` is unit `first_unit + i`.
    first_unit: usize,
    prefilter: Prefilter,
}

thread_local! {
    /// Candidate units of the probe on the text being re-classified.
    static PROBE_BITS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Re-classifies a batch after a one-rule edit (see the module's doc).
pub struct Reclassifier<'c> {
    new: &'c Classifier,
    edit: RuleEdit,
    probe: Option<Probe>,
}

impl Reclassifier<'_> {
    /// The edit between the two rule sets.
    pub fn edit(&self) -> RuleEdit {
        self.edit
    }

    /// Whether the edited rule matches `text` said in `phase`, as a full
    /// classification reads the text (the parsed reply, unfolded
    /// continuations) and the rule's phases; false when the rule is inactive
    /// or did not compile.
    fn rule_applies(&self, text: &str, phase: Option<Phase>) -> bool {
        let Some(p) = &self.probe else { return false };
        let c = self.new;
        if !c.rules[p.rule].applies_in(phase) {
            return false;
        }
        let (reply, unfolded) = super::read_reply(text);
        let body = unfolded.as_ref().map_or(&text[reply.text], |u| u.text.as_str());
        PROBE_BITS.with(|bits| {
            let mut bits = bits.borrow_mut();
            p.prefilter.candidates(body, &mut bits);
            super::set_bits(&bits).any(|i| p.prefilter.is_exact(i) || c.unit_matches(p.first_unit + i, body))
        })
    }

    /// Whether the edited rule would win `line` if no earlier rule did.
    /// (Records the input decides, auto-replies say, never get here: their
    /// old verdict says so and the categories are the same.)
    fn rule_applies_to(&self, line: BatchLine<'_>) -> bool {
        match line {
            BatchLine::Text(t) => self.rule_applies(t, None),
            BatchLine::Record(r) => self.rule_applies(&r.text, r.phase),
        }
    }

    /// The verdict the edited rule gives a line no earlier rule matches:
    /// made from the old verdict's codes (which the text alone gives) for a
    /// plain line; a record's verdict has a span, so it is classified again.
    fn won_by_edited(&self, old: &Verdict, line: BatchLine<'_>) -> Verdict {
        match (line, &self.probe) {
            (BatchLine::Text(_), Some(p)) => self.new.verdict_of_rule(p.rule, old.basic_code, old.enhanced_code, None),
            _ => line.classify(self.new),
        }
    }

    /// The verdict of `line` with the new rules, from its verdict `old` under
    /// the old ones: equal to `line.classify(new)`, at the cost of one rule's
    /// test for most lines.
    pub fn verdict(&self, old: &Verdict, line: BatchLine<'_>) -> Verdict {
        let won = match old.decided_by {
            DecidedBy::Input => return *old,
            DecidedBy::Rule => old.rule,
            _ => None,
        };
        match self.edit {
            RuleEdit::Same => *old,
            RuleEdit::Changed(k) => match won {
                Some(j) if j < k => *old,
                // The rules before k did not match it and did not change.
                _ if self.rule_applies_to(line) => self.won_by_edited(old, line),
                Some(j) if j == k => line.classify(self.new),
                _ => *old,
            },
            RuleEdit::Inserted(k) => match won {
                Some(j) if j < k => *old,
                _ if self.rule_applies_to(line) => self.won_by_edited(old, line),
                Some(j) => Verdict { rule: Some(j + 1), ..*old },
                None => *old,
            },
            RuleEdit::Removed(k) => match won {
                Some(j) if j < k => *old,
                Some(j) if j == k => line.classify(self.new),
                Some(j) => Verdict { rule: Some(j - 1), ..*old },
                None => *old,
            },
        }
    }
}
