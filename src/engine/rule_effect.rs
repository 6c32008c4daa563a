//! What a new rule would do to a classified batch before it is inserted: how
//! many lines it matches, how many it would win, which verdicts change.
//!
//! Exact without reclassifying the batch with the whole rule set: inserted at
//! position `at`, the rule wins a line exactly when it matches it (as the
//! classifier reads it: parsed reply, folded continuations, the record's
//! phase) and the line was won by a rule at `at` or later, or by a fallback.
//! So only the new rule is compiled (alone, with the document's categories)
//! and run over the lines, on all cores.

use std::sync::Arc;

use rayon::prelude::*;

use super::classify::{Classifier, CompileError, DecidedBy, Verdict};
use super::ruleset::{BounceRule, RuleSet};

/// The failure type a rule made from `v`'s text should keep, when no rule
/// decided `v` and the reply code gave a type its category does not have
/// (a 550 with no matching rule falls to `undefined`, a Soft category, while
/// the code said Hard): without it, the new rule would turn Hard into Soft.
pub fn kept_failure_type(classifier: &Classifier, v: &Verdict) -> Option<crate::engine::ruleset::FailureType> {
    (v.rule.is_none() && classifier.category(v).failure_type != v.failure_type).then_some(v.failure_type)
}

/// One batch line as the batch classified it.
pub use super::classify::BatchLine as Line;

/// One line whose verdict the rule would change.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Line index in the batch.
    pub line: usize,
    /// Its verdict now (names on the batch's classifier).
    pub before: Verdict,
    /// Its verdict with the rule (names on [`RuleEffect::classifier`]; `rule` is the insert position).
    pub after: Verdict,
}

/// The effect of inserting one rule, measured on a batch.
#[derive(Clone)]
pub struct RuleEffect {
    /// Lines the rule matches.
    pub matched: usize,
    /// Lines it would win (it matches and no earlier rule wins them).
    pub won: usize,
    /// Lines whose category, reason or failure type would change.
    pub changed: usize,
    /// The first changed lines, in batch order.
    pub examples: Vec<Change>,
    /// The rule compiled alone: `after` verdicts' names are looked up on it.
    pub classifier: Arc<Classifier>,
}

/// Measures what `rule`, inserted at `at` in `doc`, does to a batch of
/// `count` lines whose verdicts (`before`, from `batch`) are known. Keeps
/// the first `keep` changes. Fails when the rule does not compile.
pub fn rule_effect<'a>(
    doc: &RuleSet,
    rule: &BounceRule,
    at: usize,
    batch: &Classifier,
    line: impl Fn(usize) -> Line<'a> + Sync,
    before: &[Verdict],
    keep: usize,
) -> Result<RuleEffect, CompileError> {
    let mut alone = RuleSet { bounce_rules: Vec::new(), mx_rules: Vec::new(), ..doc.clone() };
    let mut r = rule.clone();
    r.enabled = true;
    alone.bounce_rules.push(r);
    let c = Classifier::new(&alone);
    if let Some(e) = c.errors().iter().find(|e| e.rule == Some(0)) {
        return Err(e.clone());
    }
    let same = |a: &Verdict, b: &Verdict| {
        batch.category(a).id == c.category(b).id && batch.reason(a).id == c.reason(b).id && a.failure_type == b.failure_type
    };
    // (matched, won, changed line or none), per line.
    let per_line: Vec<(bool, bool, Option<Change>)> = before
        .par_iter()
        .enumerate()
        .map(|(i, old)| {
            let v = line(i).classify(&c);
            if v.decided_by != DecidedBy::Rule {
                return (false, false, None);
            }
            let wins = old.decided_by != DecidedBy::Input && old.rule.is_none_or(|k| k >= at);
            let after = Verdict { rule: Some(at), ..v };
            let change = (wins && !same(old, &after)).then_some(Change { line: i, before: *old, after });
            (true, wins, change)
        })
        .collect();
    let mut effect = RuleEffect { matched: 0, won: 0, changed: 0, examples: Vec::new(), classifier: Arc::new(c) };
    for (m, w, ch) in per_line {
        effect.matched += usize::from(m);
        effect.won += usize::from(w);
        if let Some(ch) = ch {
            effect.changed += 1;
            if effect.examples.len() < keep {
                effect.examples.push(ch);
            }
        }
    }
    Ok(effect)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The effect measured here agrees with reclassifying the batch with the rule inserted.
    #[test]
    fn the_effect_is_what_reclassifying_with_the_rule_gives() {
        let doc = crate::engine::default_rules();
        let before_c = Classifier::new(&doc);
        let lines = [
            "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown",
            "552 5.2.2 Mailbox full",
            "550 frozen account by provider policy",
            "451 4.7.1 frozen account, try later",
            "250 2.0.0 Ok",
        ];
        let before: Vec<Verdict> = lines.iter().map(|t| before_c.classify_without_span(t)).collect();
        for at in [0, doc.bounce_rules.len()] {
            let rule = BounceRule::new("frozen", r"frozen\s+account|user\s+unknown", "suspend");
            let e = rule_effect(&doc, &rule, at, &before_c, |i| Line::Text(lines[i]), &before, 10).expect("compiles");
            let mut with = doc.clone();
            with.bounce_rules.insert(at, rule.clone());
            let after_c = Classifier::new(&with);
            let after: Vec<Verdict> = lines.iter().map(|t| after_c.classify_without_span(t)).collect();
            let won = after.iter().filter(|v| v.rule == Some(at)).count();
            let changed: Vec<usize> = (0..lines.len())
                .filter(|&i| {
                    before_c.category(&before[i]).id != after_c.category(&after[i]).id || before[i].failure_type != after[i].failure_type
                })
                .collect();
            assert_eq!(e.matched, 3, "at {at}");
            assert_eq!(e.won, won, "at {at}");
            assert_eq!(e.examples.iter().map(|c| c.line).collect::<Vec<_>>(), changed, "at {at}");
            assert_eq!(e.changed, changed.len());
            for ch in &e.examples {
                assert_eq!(e.classifier.category(&ch.after).id, after_c.category(&after[ch.line]).id);
            }
        }
        // Last in the list, the user-unknown line stays with its own rule.
        let rule = BounceRule::new("frozen", r"frozen\s+account|user\s+unknown", "suspend");
        let e = rule_effect(&doc, &rule, doc.bounce_rules.len(), &before_c, |i| Line::Text(lines[i]), &before, 10).unwrap();
        assert!(e.won < e.matched, "an earlier rule keeps its line: {} of {}", e.won, e.matched);
    }

    #[test]
    fn a_rule_that_does_not_compile_says_why() {
        let doc = crate::engine::default_rules();
        let c = Classifier::new(&doc);
        let rule = BounceRule::new("bad", r"frozen (account", "suspend");
        let err = rule_effect(&doc, &rule, 0, &c, |_| Line::Text(""), &[], 3).err().expect("an error");
        assert!(matches!(err.problem, crate::engine::classify::RuleProblem::InvalidRegex { .. }));
    }
}
