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
//! every rule and checks all its candidates.
//!
//! Each [`Classifier`] keeps a fingerprint of every document rule (what
//! decides verdicts: pattern, category, reason, failure type, status,
//! enabled, phases; not its name, examples or note) and of the rest of the
//! document that verdicts depend on (reasons, categories, fallbacks), so the
//! edit between two classifiers is found without the documents.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::{Classifier, DecidedBy, Verdict};
use crate::engine::ingest::Record;
use crate::engine::ruleset::{BounceRule, RuleSet};
use crate::engine::smtp::{self, Phase};

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

    /// Whether document rule `rule` matches `text` said in `phase`, as a full
    /// classification reads the text (the parsed reply, unfolded
    /// continuations) and the rule's phases; false when the rule is inactive
    /// or did not compile.
    pub fn rule_applies(&self, rule: usize, text: &str, phase: Option<Phase>) -> bool {
        let Some(k) = self.by_doc.get(rule).copied().flatten() else { return false };
        let r = &self.rules[k as usize];
        if !r.applies_in(phase) {
            return false;
        }
        let reply = smtp::parse(text);
        let body = &text[reply.text.clone()];
        let unfolded = smtp::unfold_continuations(body, reply.basic_code);
        let body = unfolded.as_ref().map_or(body, |u| u.text.as_str());
        r.units.clone().any(|u| self.pieces[self.units[u as usize].piece as usize].is_match(body))
    }

    /// Whether document rule `rule` would win `line` if no earlier rule did.
    /// (Records the input decides, auto-replies say, never get here: their
    /// old verdict says so and the categories are the same.)
    fn rule_applies_to(&self, rule: usize, line: BatchLine<'_>) -> bool {
        match line {
            BatchLine::Text(t) => self.rule_applies(rule, t, None),
            BatchLine::Record(r) => self.rule_applies(rule, &r.text, r.phase),
        }
    }

    /// The verdict of `line` with these rules, from its verdict `old` under
    /// rules that differ by `edit` (from [`Classifier::edit_since`]): equal to
    /// `line.classify(self)`, at the cost of one rule's test for most lines.
    pub fn reclassify(&self, edit: RuleEdit, old: &Verdict, line: BatchLine<'_>) -> Verdict {
        let won = match old.decided_by {
            DecidedBy::Input => return *old,
            DecidedBy::Rule => old.rule,
            _ => None,
        };
        match edit {
            RuleEdit::Same => *old,
            RuleEdit::Changed(k) => match won {
                Some(j) if j < k => *old,
                Some(j) if j == k => line.classify(self),
                _ if self.rule_applies_to(k, line) => line.classify(self),
                _ => *old,
            },
            RuleEdit::Inserted(k) => match won {
                Some(j) if j < k => *old,
                _ if self.rule_applies_to(k, line) => line.classify(self),
                Some(j) => Verdict { rule: Some(j + 1), ..*old },
                None => *old,
            },
            RuleEdit::Removed(k) => match won {
                Some(j) if j < k => *old,
                Some(j) if j == k => line.classify(self),
                Some(j) => Verdict { rule: Some(j - 1), ..*old },
                None => *old,
            },
        }
    }
}
