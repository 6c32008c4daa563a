//! Lint: what is wrong or suspicious in a rule set, and its examples run as tests.
//!
//! Messages are for people: written in the current language (`[lint]` keys)
//! when the lint runs. Filter and test on [`LintKind`] and the indices, not on
//! the text.

use std::collections::HashMap;

use super::classify::{Classifier, DecidedBy, Verdict};
use super::mx;
use super::ruleset::{LabelProblem, RuleSet};
use crate::i18n::{tr, tr_fmt};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing, nothing wrong (e.g. a reason of the taxonomy no rule uses yet).
    Info,
    /// Suspicious; the rule set still works.
    Warning,
    /// Something does not work as written.
    Error,
}

/// What kind of finding, for filtering and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LintKind {
    /// The pattern does not compile, or an id does not resolve.
    Invalid,
    /// Two rules have the same name.
    DuplicateName,
    /// A rule has no name: reports, exports and round trips need one.
    EmptyName,
    /// Two rules have the same pattern.
    DuplicatePattern,
    /// The pattern matches the empty string, so it matches everything.
    MatchesEmpty,
    /// A must-match example is not matched by the rule's pattern.
    ExampleNotMatched,
    /// A must-match example is matched, but an earlier rule wins it.
    ExampleTaken,
    /// A must-not-match example is matched.
    CounterExampleMatched,
    /// Every example of the rule is taken by earlier rules.
    Shadowed,
    /// No example (nor batch line, when given) reaches the rule.
    Dead,
    /// A reason no category uses.
    ReasonUnused,
    /// A reason's label is blank or the same as another reason's.
    ReasonLabel,
    /// A problem in the MX rules.
    Mx,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    /// How bad.
    pub severity: Severity,
    /// What kind.
    pub kind: LintKind,
    /// Bounce rule index, when it is about one.
    pub rule: Option<usize>,
    /// MX rule index, when it is about one.
    pub mx_rule: Option<usize>,
    /// Human-readable, names the place; in the current language.
    pub message: String,
}

/// One failed example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleFailure {
    /// Rule index.
    pub rule: usize,
    /// The example text.
    pub text: String,
    /// True for a must-match example, false for a must-not-match one.
    pub must_match: bool,
    /// The earlier rule that wins a must-match example this rule's pattern matches.
    pub won_by: Option<usize>,
    /// What happened instead, in the current language.
    pub problem: String,
}

/// `rule #3 'name'` in the current language.
pub fn rule_place(doc: &RuleSet, rule: usize) -> String {
    let name = doc.bounce_rules.get(rule).map_or("", |r| r.name.as_str());
    tr_fmt("lint.place", &[("n", &(rule + 1)), ("name", &name)])
}

/// `must-match` / `must-not-match` in the current language.
pub fn example_kind(must_match: bool) -> &'static str {
    tr(if must_match { "lint.must_match" } else { "lint.must_not_match" })
}

/// Outcome of one must-match example.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExampleOutcome {
    /// This rule wins it.
    Won,
    /// The pattern matches but an earlier rule wins.
    TakenBy(usize),
    /// The pattern does not match (or the rule is inactive/invalid).
    NotMatched,
}

/// How a must-match example of `rule` fares.
pub fn example_outcome(c: &Classifier, rule: usize, text: &str) -> ExampleOutcome {
    outcome_and_verdict(c, rule, text).0
}

/// The outcome and the verdict it was read from (one classification).
fn outcome_and_verdict(c: &Classifier, rule: usize, text: &str) -> (ExampleOutcome, Verdict) {
    // An example that says its SMTP phase ("in reply to end of DATA command") is tried
    // in that phase, so rules limited to phases can have examples.
    let v = match crate::engine::smtp::scan_phase(text) {
        Some(p) => c.classify_in_phase(text, Some(p)),
        None => c.classify_without_span(text),
    };
    let outcome = match v.rule {
        Some(r) if r == rule => ExampleOutcome::Won,
        Some(r) if c.rule_matches(rule, &text[crate::engine::smtp::parse(text).text]).unwrap_or(false) => ExampleOutcome::TakenBy(r),
        _ => ExampleOutcome::NotMatched,
    };
    (outcome, v)
}

/// Runs every rule's examples: must-match texts must be won by the rule,
/// must-not-match texts must not match its pattern.
pub fn run_examples(doc: &RuleSet, c: &Classifier) -> Vec<ExampleFailure> {
    examples(doc, c).0
}

/// The example failures, and the outcome of every must-match example per
/// document rule (empty for inactive rules): each example is classified once.
fn examples(doc: &RuleSet, c: &Classifier) -> (Vec<ExampleFailure>, Vec<Vec<ExampleOutcome>>) {
    let mut out = Vec::new();
    let mut outcomes = vec![Vec::new(); doc.bounce_rules.len()];
    for (i, r) in doc.bounce_rules.iter().enumerate() {
        if !r.is_active() {
            continue;
        }
        // An invalid pattern cannot win or match anything: its examples fail with that said, and
        // lint leaves them to the one "does not compile" finding.
        let compiled = c.is_compiled(i);
        for t in r.must_match.iter().filter(|t| is_example(t)) {
            if !compiled {
                out.push(ExampleFailure { rule: i, text: t.clone(), must_match: true, won_by: None, problem: not_checked() });
                outcomes[i].push(ExampleOutcome::NotMatched);
                continue;
            }
            let (outcome, v) = outcome_and_verdict(c, i, t);
            outcomes[i].push(outcome);
            let (won_by, problem) = match outcome {
                ExampleOutcome::Won => continue,
                ExampleOutcome::TakenBy(w) => (Some(w), tr_fmt("lint.won_by", &[("place", &rule_place(doc, w))])),
                ExampleOutcome::NotMatched => {
                    let problem = match (v.decided_by, v.rule) {
                        (DecidedBy::Rule, Some(w)) => tr_fmt("lint.not_matched_rule_wins", &[("place", &rule_place(doc, w))]),
                        _ => tr("lint.not_matched").to_owned(),
                    };
                    (None, problem)
                }
            };
            out.push(ExampleFailure { rule: i, text: t.clone(), must_match: true, won_by, problem });
        }
        for t in r.must_not_match.iter().filter(|t| is_example(t)) {
            if !compiled {
                out.push(ExampleFailure { rule: i, text: t.clone(), must_match: false, won_by: None, problem: not_checked() });
            } else if c.rule_matches(i, t).unwrap_or(false) {
                let problem = tr("lint.counter_matched").to_owned();
                out.push(ExampleFailure { rule: i, text: t.clone(), must_match: false, won_by: None, problem });
            }
        }
    }
    (out, outcomes)
}

/// Whether an example text is one: a blank one (a row just added in the editor, not typed yet)
/// is neither checked nor counted.
pub fn is_example(text: &str) -> bool {
    !text.trim().is_empty()
}

fn not_checked() -> String {
    tr("lint.not_checked_invalid").to_owned()
}

/// Lints a document. `batch_hits`, when given, counts batch lines won per rule
/// so that rules reached only by real traffic are not called dead.
pub fn lint(doc: &RuleSet, c: &Classifier, batch_hits: Option<&[usize]>) -> Vec<Lint> {
    lint_and_examples(doc, c, batch_hits).0
}

/// [`lint`] plus the example failures it found on the way, for callers that
/// show both (the editor): running the examples twice costs seconds on a
/// 1,000-rule set.
pub fn lint_and_examples(doc: &RuleSet, c: &Classifier, batch_hits: Option<&[usize]>) -> (Vec<Lint>, Vec<ExampleFailure>) {
    let (failures, outcomes) = examples(doc, c);
    let mut out = Vec::new();
    let mut push = |severity, kind, rule: Option<usize>, message: String| out.push(Lint { severity, kind, rule, mx_rule: None, message });
    let place = |i: usize| rule_place(doc, i);

    for e in c.errors() {
        push(Severity::Error, LintKind::Invalid, e.rule, e.to_string());
    }

    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut patterns: HashMap<&str, usize> = HashMap::new();
    for (i, r) in doc.bounce_rules.iter().enumerate() {
        if r.name.trim().is_empty() {
            push(Severity::Warning, LintKind::EmptyName, Some(i), tr_fmt("export.lint_empty_name", &[("place", &place(i))]));
        }
        if let Some(&j) = names.get(r.name.as_str()) {
            push(
                Severity::Error,
                LintKind::DuplicateName,
                Some(i),
                tr_fmt("lint.duplicate_name", &[("place", &place(i)), ("n", &(j + 1))]),
            );
        } else {
            names.insert(&r.name, i);
        }
        if let Some(&j) = patterns.get(r.pattern.as_str()) {
            let message = tr_fmt("lint.duplicate_pattern", &[("place", &place(i)), ("n", &(j + 1))]);
            push(Severity::Warning, LintKind::DuplicatePattern, Some(i), message);
        } else {
            patterns.insert(&r.pattern, i);
        }
        if r.is_active() && c.rule_matches(i, "") == Some(true) {
            push(Severity::Error, LintKind::MatchesEmpty, Some(i), tr_fmt("lint.matches_empty", &[("place", &place(i))]));
        }
    }

    for f in failures.iter().filter(|f| c.is_compiled(f.rule)).cloned() {
        let (sev, kind) = if !f.must_match {
            (Severity::Error, LintKind::CounterExampleMatched)
        } else if f.won_by.is_some() {
            (Severity::Warning, LintKind::ExampleTaken)
        } else {
            (Severity::Error, LintKind::ExampleNotMatched)
        };
        let message = tr_fmt(
            "lint.example",
            &[
                ("place", &place(f.rule)),
                ("kind", &example_kind(f.must_match)),
                ("text", &format!("{:?}", shorten(&f.text, 60))),
                ("problem", &f.problem),
            ],
        );
        push(sev, kind, Some(f.rule), message);
    }

    for (i, r) in doc.bounce_rules.iter().enumerate() {
        if !r.is_active() || !c.is_compiled(i) {
            continue;
        }
        let won = outcomes[i].iter().filter(|&&o| o == ExampleOutcome::Won).count();
        let batch = batch_hits.and_then(|h| h.get(i)).copied().unwrap_or(0);
        let has_examples = r.must_match.iter().any(|t| is_example(t));
        if has_examples && won == 0 && batch == 0 {
            let taken = outcomes[i].iter().all(|o| matches!(o, ExampleOutcome::TakenBy(_)));
            if taken {
                push(Severity::Warning, LintKind::Shadowed, Some(i), tr_fmt("lint.shadowed", &[("place", &place(i))]));
            }
        } else if !has_examples && batch == 0 {
            let key = if batch_hits.is_some() { "lint.dead_with_batch" } else { "lint.dead" };
            push(Severity::Warning, LintKind::Dead, Some(i), tr_fmt(key, &[("place", &place(i))]));
        }
    }

    for reason in &doc.reasons {
        let used = doc.categories.iter().any(|c| c.reason == reason.id)
            || doc.bounce_rules.iter().any(|r| r.reason.as_deref() == Some(&reason.id));
        if !used {
            push(Severity::Info, LintKind::ReasonUnused, None, tr_fmt("lint.reason_unused", &[("id", &reason.id)]));
        }
    }

    for (i, problem) in doc.reason_label_problems() {
        push(Severity::Warning, LintKind::ReasonLabel, None, reason_label_message(doc, i, problem));
    }

    for p in mx::validate(&doc.mx_rules) {
        let severity = match p.severity {
            mx::Severity::Warning => Severity::Warning,
            mx::Severity::Error => Severity::Error,
        };
        out.push(Lint {
            severity,
            kind: LintKind::Mx,
            rule: None,
            mx_rule: Some(p.rule),
            message: tr_fmt("lint.mx", &[("n", &(p.rule + 1)), ("mask", &doc.mx_rules[p.rule].mask), ("message", &p.message)]),
        });
    }
    (out, failures)
}

/// What is wrong with reason `i`'s label, in words (lint and the Reasons panel say it alike).
pub fn reason_label_message(doc: &RuleSet, i: usize, problem: LabelProblem) -> String {
    let id = &doc.reasons[i].id;
    match problem {
        LabelProblem::Empty => tr_fmt("lint.reason_label_empty", &[("id", id)]),
        LabelProblem::SameAs(j) => {
            tr_fmt("lint.reason_label_same", &[("id", id), ("other", &doc.reasons[j].id), ("label", &doc.reasons[j].label.trim())])
        }
    }
}

/// First `n` characters of `s`, with an ellipsis when cut.
pub fn shorten(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::default_rules;

    fn errors(lints: &[Lint]) -> Vec<&Lint> {
        lints.iter().filter(|l| l.severity == Severity::Error).collect()
    }

    #[test]
    fn one_regex_typo_is_one_error_and_its_examples_say_they_were_not_checked() {
        let mut doc = default_rules();
        let i = doc.bounce_rules.iter().position(|r| r.must_match.len() > 3).expect("a rule with examples");
        doc.bounce_rules[i].pattern.push('(');
        let c = Classifier::new(&doc);
        let (lints, failures) = lint_and_examples(&doc, &c, None);
        let errs = errors(&lints);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert_eq!(errs[0].kind, LintKind::Invalid);
        let own: Vec<_> = failures.iter().filter(|f| f.rule == i).collect();
        assert_eq!(own.len(), doc.bounce_rules[i].must_match.len() + doc.bounce_rules[i].must_not_match.len());
        assert!(own.iter().all(|f| f.problem == tr("lint.not_checked_invalid")));
        assert!(!lints.iter().any(|l| l.kind == LintKind::Shadowed || l.kind == LintKind::Dead));
    }

    #[test]
    fn a_blank_example_is_neither_a_failure_nor_makes_the_rule_shadowed_or_dead() {
        let mut doc = default_rules();
        doc.bounce_rules[0].must_match.push("   ".into());
        doc.bounce_rules[0].must_not_match.push(String::new());
        let c = Classifier::new(&doc);
        let (lints, failures) = lint_and_examples(&doc, &c, None);
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(errors(&lints).is_empty());

        doc.bounce_rules[0].must_match = vec![String::new()];
        let c = Classifier::new(&doc);
        let lints = lint(&doc, &c, None);
        assert!(lints.iter().any(|l| l.kind == LintKind::Dead && l.rule == Some(0)), "a rule whose only example is blank has none");
        assert!(!lints.iter().any(|l| l.kind == LintKind::Shadowed && l.rule == Some(0)));
    }
}
