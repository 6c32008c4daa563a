//! Lint: what is wrong or suspicious in a rule set, and its examples run as tests.

use std::collections::HashMap;

use super::classify::{Classifier, DecidedBy};
use super::mx;
use super::ruleset::RuleSet;

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
    /// Human-readable, names the place.
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
    /// What happened instead.
    pub problem: String,
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
    let v = c.classify(text);
    match v.rule {
        Some(r) if r == rule => ExampleOutcome::Won,
        Some(r) if c.rule_matches(rule, &text[crate::engine::smtp::parse(text).text]).unwrap_or(false) => ExampleOutcome::TakenBy(r),
        _ => ExampleOutcome::NotMatched,
    }
}

/// Runs every rule's examples: must-match texts must be won by the rule,
/// must-not-match texts must not match its pattern.
pub fn run_examples(doc: &RuleSet, c: &Classifier) -> Vec<ExampleFailure> {
    let mut out = Vec::new();
    for (i, r) in doc.bounce_rules.iter().enumerate() {
        if !r.is_active() {
            continue;
        }
        for t in &r.must_match {
            let problem = match example_outcome(c, i, t) {
                ExampleOutcome::Won => continue,
                ExampleOutcome::TakenBy(w) => format!("won by earlier rule #{} '{}'", w + 1, doc.bounce_rules[w].name),
                ExampleOutcome::NotMatched => {
                    let v = c.classify(t);
                    match (v.decided_by, v.rule) {
                        (DecidedBy::Rule, Some(w)) => format!("not matched; rule #{} '{}' wins it", w + 1, doc.bounce_rules[w].name),
                        _ => "not matched by the pattern".to_owned(),
                    }
                }
            };
            out.push(ExampleFailure { rule: i, text: t.clone(), must_match: true, problem });
        }
        for t in &r.must_not_match {
            if c.rule_matches(i, t).unwrap_or(false) {
                out.push(ExampleFailure { rule: i, text: t.clone(), must_match: false, problem: "matched, but must not be".into() });
            }
        }
    }
    out
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
    let failures = run_examples(doc, c);
    let mut out = Vec::new();
    let mut push = |severity, kind, rule: Option<usize>, message: String| out.push(Lint { severity, kind, rule, mx_rule: None, message });
    let place = |i: usize| format!("rule #{} '{}'", i + 1, doc.bounce_rules[i].name);

    for e in c.errors() {
        push(Severity::Error, LintKind::Invalid, e.rule, e.to_string());
    }

    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut patterns: HashMap<&str, usize> = HashMap::new();
    for (i, r) in doc.bounce_rules.iter().enumerate() {
        if let Some(&j) = names.get(r.name.as_str()) {
            push(Severity::Error, LintKind::DuplicateName, Some(i), format!("{}: same name as rule #{}", place(i), j + 1));
        } else {
            names.insert(&r.name, i);
        }
        if let Some(&j) = patterns.get(r.pattern.as_str()) {
            push(Severity::Warning, LintKind::DuplicatePattern, Some(i), format!("{}: same pattern as rule #{}", place(i), j + 1));
        } else {
            patterns.insert(&r.pattern, i);
        }
        if r.is_active() && c.rule_matches(i, "") == Some(true) {
            push(
                Severity::Error,
                LintKind::MatchesEmpty,
                Some(i),
                format!("{}: the pattern matches the empty string, so it matches every text", place(i)),
            );
        }
    }

    for f in failures.iter().cloned() {
        let (sev, kind) = if !f.must_match {
            (Severity::Error, LintKind::CounterExampleMatched)
        } else if f.problem.starts_with("won by") {
            (Severity::Warning, LintKind::ExampleTaken)
        } else {
            (Severity::Error, LintKind::ExampleNotMatched)
        };
        let what = if f.must_match { "must-match" } else { "must-not-match" };
        push(sev, kind, Some(f.rule), format!("{}: {what} example {:?}: {}", place(f.rule), shorten(&f.text, 60), f.problem));
    }

    for (i, r) in doc.bounce_rules.iter().enumerate() {
        if !r.is_active() || c.rule_matches(i, "x").is_none() {
            continue;
        }
        let won = r.must_match.iter().filter(|t| example_outcome(c, i, t) == ExampleOutcome::Won).count();
        let batch = batch_hits.and_then(|h| h.get(i)).copied().unwrap_or(0);
        if !r.must_match.is_empty() && won == 0 && batch == 0 {
            let taken = r.must_match.iter().all(|t| matches!(example_outcome(c, i, t), ExampleOutcome::TakenBy(_)));
            if taken {
                push(
                    Severity::Warning,
                    LintKind::Shadowed,
                    Some(i),
                    format!("{}: shadowed: every example is won by an earlier rule", place(i)),
                );
            }
        } else if r.must_match.is_empty() && batch == 0 {
            let msg =
                if batch_hits.is_some() { "no example and no batch line reaches it" } else { "dead: no must-match example reaches it" };
            push(Severity::Warning, LintKind::Dead, Some(i), format!("{}: {msg}", place(i)));
        }
    }

    for reason in &doc.reasons {
        let used = doc.categories.iter().any(|c| c.reason == reason.id)
            || doc.bounce_rules.iter().any(|r| r.reason.as_deref() == Some(&reason.id));
        if !used {
            push(Severity::Info, LintKind::ReasonUnused, None, format!("reason '{}' is used by no category or rule", reason.id));
        }
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
            message: format!("MX rule #{} '{}': {}", p.rule + 1, doc.mx_rules[p.rule].mask, p.message),
        });
    }
    (out, failures)
}

/// First `n` characters of `s`, with an ellipsis when cut.
pub fn shorten(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
