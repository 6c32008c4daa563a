//! Why a text got its verdict, as structured data for the tester to paint:
//! the winning pattern cut into coloured tokens, its alternatives tried one
//! by one, every span it matches, and the decision chain (rule → category →
//! reason → type → quarantine), each step saying where it came from.

pub mod syntax;

use super::classify::{CategoryIdx, Classifier, DecidedBy, Explanation, ReasonIdx, Span, compile_pattern};
use super::ruleset::{FailureType, QuarantinePolicy, RuleSet};
use super::smtp;
pub use syntax::{Alternative, Token, TokenKind};

/// Where the failure type came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeFrom {
    /// The rule's own failure type.
    Rule,
    /// The reason the rule names instead of its category's.
    Reason,
    /// The category's (or its reason's) type.
    Category,
    /// The code fallback's own type.
    Fallback,
}

/// One step of a decision.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Rule `rule` (document index) matched first; `over` are the later
    /// matching rules it wins over.
    Rule {
        /// Document index.
        rule: usize,
        /// Its name.
        name: String,
        /// Other matching rules, in list order.
        over: Vec<usize>,
    },
    /// No rule matched: the enhanced status code decided (RFC 3463).
    EnhancedCode(String),
    /// No rule nor enhanced code: the basic reply code decided.
    ReplyCode(u16),
    /// Nothing decided: the default category.
    Default,
    /// The input said what it is (auto-reply, feedback report, success DSN).
    Input,
    /// The category.
    Category(CategoryIdx),
    /// The reason; `instead_of` is the category's reason when the rule names another.
    Reason {
        /// The reason applied.
        reason: ReasonIdx,
        /// The category's own reason, overridden by the rule.
        instead_of: Option<ReasonIdx>,
    },
    /// The failure type and what set it.
    Type(FailureType, TypeFrom),
    /// What happens to the address.
    Quarantine {
        /// The reason's policy (None: not an error, nothing counted).
        policy: Option<QuarantinePolicy>,
        /// Release delay.
        release_after_days: Option<u32>,
    },
}

/// The winning pattern, explained against the text.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternView {
    /// The pattern as written.
    pub pattern: String,
    /// Its coloured pieces (empty when it does not parse).
    pub tokens: Vec<Token>,
    /// Its alternatives, outermost first, each marked matched or not.
    pub alternatives: Vec<Alternative>,
    /// Every place the pattern, or one of its outermost branches, matches in
    /// the text (overlapping places joined), in input byte offsets.
    pub spans: Vec<Span>,
}

/// Everything the tester shows about why a text got its verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Why {
    /// The winning rule's pattern, when a rule decided.
    pub pattern: Option<PatternView>,
    /// The decision chain, in order.
    pub steps: Vec<Step>,
}

/// Explains `e` (from `c`, compiled from `doc`) for `text`.
pub fn why(doc: &RuleSet, c: &Classifier, e: &Explanation, text: &str) -> Why {
    let v = &e.verdict;
    let mut steps = Vec::new();
    let rule = v.rule.and_then(|i| doc.bounce_rules.get(i).map(|r| (i, r)));
    match (v.decided_by, rule) {
        (DecidedBy::Rule, Some((i, r))) => {
            let over = e.matches.iter().map(|m| m.rule).filter(|&k| k != i).collect();
            steps.push(Step::Rule { rule: i, name: r.name.clone(), over });
        }
        (DecidedBy::EnhancedCode, _) => steps.push(Step::EnhancedCode(v.enhanced_code.map(|c| c.to_string()).unwrap_or_default())),
        (DecidedBy::ReplyCode, _) => steps.push(Step::ReplyCode(v.basic_code.unwrap_or(0))),
        (DecidedBy::Input, _) => steps.push(Step::Input),
        _ => steps.push(Step::Default),
    }
    steps.push(Step::Category(v.category));
    let category_reason = c.categories()[v.category as usize].reason;
    steps.push(Step::Reason { reason: v.reason, instead_of: (v.reason != category_reason).then_some(category_reason) });
    let from = match (v.decided_by, rule) {
        (DecidedBy::Rule, Some((_, r))) if r.failure_type.is_some() => TypeFrom::Rule,
        (DecidedBy::Rule, Some((_, r))) if r.reason.is_some() => TypeFrom::Reason,
        (DecidedBy::EnhancedCode | DecidedBy::ReplyCode, _) if v.failure_type != c.categories()[v.category as usize].failure_type => {
            TypeFrom::Fallback
        }
        _ => TypeFrom::Category,
    };
    steps.push(Step::Type(v.failure_type, from));
    let r = c.reason(v);
    let policy = (v.failure_type != FailureType::Ignored).then_some(r.quarantine.for_type(v.failure_type));
    steps.push(Step::Quarantine { policy, release_after_days: r.release_after_days });

    let pattern = match (v.decided_by, rule) {
        (DecidedBy::Rule, Some((_, r))) => Some(pattern_view(&r.pattern, text)),
        _ => None,
    };
    Why { pattern, steps }
}

/// `pattern` cut into tokens, its alternatives tried and its matches found
/// on `text` as the classifier reads it (the reply's text, continuation
/// lines unfolded).
pub fn pattern_view(pattern: &str, text: &str) -> PatternView {
    let reply = smtp::parse(text);
    let raw = &text[reply.text.clone()];
    let offset = reply.text.start;
    let unfolded = smtp::unfold_continuations(raw, reply.basic_code);
    let body = unfolded.as_ref().map_or(raw, |u| u.text.as_str());
    let map = |pos: usize, end: bool| match &unfolded {
        Some(u) if end => u.original_offset(pos.saturating_sub(1)) + 1 + offset,
        Some(u) => u.original_offset(pos) + offset,
        None => pos + offset,
    };
    let alternatives = syntax::alternatives(pattern, |p| compile_pattern(p).ok().map(|re| re.is_match(body)));
    // The whole pattern's matches, then those of each outermost branch that
    // matches: a trainer sees "User unknown" lit, not only the leftmost "5.1.1".
    let find = |p: &str, found: &mut Vec<(usize, usize)>| {
        if let Ok(re) = compile_pattern(p) {
            found.extend(re.find_iter(body).filter(|m| !m.is_empty()).map(|m| (m.start(), m.end())));
        }
    };
    let mut found = Vec::new();
    find(pattern, &mut found);
    if !found.is_empty() {
        for (span, branch) in syntax::outer_branches(pattern) {
            if alternatives.iter().any(|a| a.span == span && a.matched == Some(true)) {
                find(&branch, &mut found);
            }
        }
    }
    let spans = merged(found).into_iter().map(|(s, e)| Span { start: map(s, false), end: map(e, true) }).collect();
    PatternView { pattern: pattern.to_owned(), tokens: syntax::tokens(pattern).unwrap_or_default(), alternatives, spans }
}

/// `ranges` sorted, overlapping ones joined.
fn merged(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s < last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::BounceRule;

    #[test]
    fn the_chain_says_what_the_rule_overrides() {
        let mut doc = crate::engine::default_rules();
        let mut r = BounceRule::new("frozen", r"frozen (box|account)", "mailboxfull");
        r.reason = Some("inactive_user".into());
        r.failure_type = Some(FailureType::Hard);
        doc.bounce_rules.insert(0, r);
        doc.bounce_rules.insert(1, BounceRule::new("late", r"account", "suspend"));
        let c = Classifier::new(&doc);
        let text = "552 frozen account, frozen box";
        let e = c.explain(text);
        let w = why(&doc, &c, &e, text);
        let full = c.category_index("mailboxfull").unwrap();
        let inactive = c.reasons().iter().position(|x| x.id == "inactive_user").unwrap() as ReasonIdx;
        let full_reason = c.categories()[full as usize].reason;
        assert_eq!(w.steps[0], Step::Rule { rule: 0, name: "frozen".into(), over: vec![1] });
        assert_eq!(w.steps[1], Step::Category(full));
        assert_eq!(w.steps[2], Step::Reason { reason: inactive, instead_of: Some(full_reason) });
        assert_eq!(w.steps[3], Step::Type(FailureType::Hard, TypeFrom::Rule));
        assert!(matches!(w.steps[4], Step::Quarantine { policy: Some(_), .. }));
        let p = w.pattern.expect("a rule decided");
        let spans: Vec<&str> = p.spans.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(spans, vec!["frozen account", "frozen box"], "every match, not only the first");
        assert_eq!(p.alternatives.iter().map(|a| a.matched).collect::<Vec<_>>(), vec![Some(true), Some(true)]);
    }

    #[test]
    fn fallbacks_name_the_code_and_spans_map_back_through_folded_lines() {
        let mut doc = crate::engine::default_rules();
        doc.bounce_rules.clear();
        let c = Classifier::new(&doc);
        let text = "550 5.1.1 zzqx";
        let w = why(&doc, &c, &c.explain(text), text);
        assert_eq!(w.steps[0], Step::EnhancedCode("5.1.1".into()));
        assert!(w.pattern.is_none());

        let text = "550-5.7.1 mailbox\r\n550 5.7.1 frozen here";
        let p = pattern_view(r"mailbox\s+frozen", text);
        assert_eq!(p.spans.len(), 1);
        let s = p.spans[0];
        assert!(text[s.start..s.end].starts_with("mailbox") && text[s.start..s.end].ends_with("frozen"), "{:?}", &text[s.start..s.end]);
    }

    #[test]
    fn every_matching_branch_is_lit_not_only_the_leftmost_match() {
        let text = "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in local recipient table";
        let p = pattern_view(r"(?i)\b5\.1\.1\b|recipient address rejected: user|user (is )?unknown|no such user", text);
        let lit: Vec<&str> = p.spans.iter().map(|s| &text[s.start..s.end]).collect();
        // The two overlapping branches join into one phrase; the branch that does not match adds nothing.
        assert_eq!(lit, vec!["5.1.1", "Recipient address rejected: User unknown"]);
        // A pattern that does not match lights nothing, whatever its branches.
        assert!(pattern_view(r"zzqx|user unknown\b.{0,3}zz", text).spans.is_empty());
    }

    #[test]
    fn merged_joins_overlaps_only() {
        assert_eq!(merged(vec![(5, 9), (0, 2), (1, 3), (9, 10)]), vec![(0, 3), (5, 9), (9, 10)]);
    }
}
