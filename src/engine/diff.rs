//! Replay diff: the same lines classified by two rule sets, and the lines whose
//! verdict changes, grouped by old → new.
//!
//! Verdicts are compared by name (category, reason, failure type, winning
//! rule), not by index: the two classifiers number things differently.

use std::collections::HashMap;

use rayon::prelude::*;

use super::classify::{Classifier, Verdict};
use super::ruleset::FailureType;

/// A verdict by name, comparable across rule sets.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VerdictKey {
    /// Category id.
    pub category: String,
    /// Reason label.
    pub reason: String,
    /// Hard / Soft / Ignored.
    pub failure_type: FailureType,
    /// Winning rule name; `None` when a code fallback or the default decided.
    pub rule: Option<String>,
}

impl VerdictKey {
    /// The named form of a verdict of `c`.
    pub fn new(c: &Classifier, v: &Verdict) -> VerdictKey {
        VerdictKey {
            category: c.category(v).id.clone(),
            reason: c.reason(v).label.clone(),
            failure_type: v.failure_type,
            rule: v.rule.map(|r| c.rule_name(r).to_owned()),
        }
    }

    fn same(c1: &Classifier, v1: &Verdict, c2: &Classifier, v2: &Verdict) -> bool {
        v1.failure_type == v2.failure_type
            && c1.category(v1).id == c2.category(v2).id
            && c1.reason(v1).label == c2.reason(v2).label
            && v1.rule.map(|r| c1.rule_name(r)) == v2.rule.map(|r| c2.rule_name(r))
    }
}

/// For people, in the current language: `userunknown (User unknown, Hard, rule 'unknown')`.
impl std::fmt::Display for VerdictKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::i18n::tr_fmt;
        let (category, reason, ty) = (&self.category, &self.reason, self.failure_type.display_label());
        let text = match &self.rule {
            Some(rule) => tr_fmt("engine.verdict_rule", &[("category", category), ("reason", reason), ("type", &ty), ("rule", rule)]),
            None => tr_fmt("engine.verdict_no_rule", &[("category", category), ("reason", reason), ("type", &ty)]),
        };
        f.write_str(&text)
    }
}

/// All changed lines sharing one old → new pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffGroup {
    /// Verdict under the old rules.
    pub old: VerdictKey,
    /// Verdict under the new rules.
    pub new: VerdictKey,
    /// How many lines.
    pub count: usize,
    /// The first few lines, in input order.
    pub examples: Vec<String>,
}

/// The outcome of a replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayDiff {
    /// Lines classified.
    pub total: usize,
    /// Lines whose verdict changed.
    pub changed: usize,
    /// Groups, largest first (ties by old, then new verdict).
    pub groups: Vec<DiffGroup>,
}

/// Builds a diff block by block, so a huge input streams in bounded memory.
pub struct DiffBuilder<'a> {
    old: &'a Classifier,
    new: &'a Classifier,
    max_examples: usize,
    total: usize,
    changed: usize,
    groups: HashMap<(VerdictKey, VerdictKey), (usize, Vec<String>)>,
}

impl<'a> DiffBuilder<'a> {
    /// A builder comparing `old` to `new`, keeping up to `max_examples` lines per group.
    pub fn new(old: &'a Classifier, new: &'a Classifier, max_examples: usize) -> Self {
        DiffBuilder { old, new, max_examples, total: 0, changed: 0, groups: HashMap::new() }
    }

    /// Classifies a block of lines with both rule sets (in parallel) and records the changes.
    pub fn add<S: AsRef<str> + Sync>(&mut self, lines: &[S]) {
        let (old, new) = (self.old, self.new);
        let changes: Vec<(usize, Verdict, Verdict)> = lines
            .par_iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let (a, b) = (old.classify(l.as_ref()), new.classify(l.as_ref()));
                (!VerdictKey::same(old, &a, new, &b)).then_some((i, a, b))
            })
            .collect();
        self.total += lines.len();
        self.changed += changes.len();
        for (i, a, b) in changes {
            let entry = self.groups.entry((VerdictKey::new(old, &a), VerdictKey::new(new, &b))).or_default();
            entry.0 += 1;
            if entry.1.len() < self.max_examples {
                entry.1.push(lines[i].as_ref().to_owned());
            }
        }
    }

    /// The groups, largest first.
    pub fn finish(self) -> ReplayDiff {
        let mut groups: Vec<DiffGroup> =
            self.groups.into_iter().map(|((old, new), (count, examples))| DiffGroup { old, new, count, examples }).collect();
        groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.old.cmp(&b.old)).then_with(|| a.new.cmp(&b.new)));
        ReplayDiff { total: self.total, changed: self.changed, groups }
    }
}

/// Classifies `lines` with both rule sets and groups the changed verdicts.
pub fn replay_diff<S: AsRef<str> + Sync>(old: &Classifier, new: &Classifier, lines: &[S], max_examples: usize) -> ReplayDiff {
    let mut b = DiffBuilder::new(old, new, max_examples);
    b.add(lines);
    b.finish()
}
