//! The compiled rule set: text → [`Verdict`].
//!
//! Compiled once per edit: every active rule's pattern is cut into its
//! top-level alternatives (see [`pieces`]), each distinct one compiled once,
//! and one literal prefilter over all of them says which pieces can match a
//! text (see [`prefilter`]). The first match in list order wins; when none
//! matches, the enhanced status code and then the basic reply code decide, and
//! the verdict says which. [`Classifier::explain_reference`] is the plain
//! per-rule loop (each rule's whole pattern, compiled by the `regex` crate) the
//! fast path is tested against.

use std::cell::RefCell;
use std::sync::OnceLock;

use regex::Regex;

use super::ruleset::{FailureType, QuarantinePolicy, RuleSet};
use super::smtp::{self, EnhancedCode, Phase, Reply};
use crate::i18n::{tr, tr_fmt};

mod explanation;
mod incremental;
mod pattern;
mod pieces;
pub mod prefilter;
mod verdict;
pub use incremental::{BatchLine, Reclassifier, RuleEdit};
pub use pattern::{CompileError, RULE_DFA_LIMIT, RULE_SIZE_LIMIT, RegexMessage, RuleProblem, ascii_word_boundaries, compile_pattern};
pub use pieces::RULE_TOTAL_LIMIT;
use pieces::{Piece, Pieces};
use prefilter::Prefilter;
pub use verdict::{CategoryIdx, CategoryInfo, DecidedBy, Explanation, ReasonIdx, ReasonInfo, RuleMatch, Span, Verdict};

/// Compiled program size allowed for a whole `RegexSet` of the rules (benches
/// compare against one; the classifier compiles each rule on its own, so the
/// limit applies per rule: [`RULE_SIZE_LIMIT`]).
pub const SET_SIZE_LIMIT: usize = 256 << 20;

/// Literal bytes from which a rule set's prefilter is built beside its regexes
/// (see [`Classifier::new`]): below, the automata take a few milliseconds at
/// most and a thread would cost more than it saves.
const SPECULATE_ABOVE_BYTES: usize = 16 << 10;

struct CompiledRule {
    doc_index: usize,
    /// Bit per [`Phase`] the rule applies to; 0 = any phase.
    phases: u8,
    /// Its pieces: `units[units.start..units.end]`, in pattern order.
    units: std::ops::Range<u32>,
    /// The whole pattern, compiled on first use.
    pattern: Box<str>,
    /// The whole pattern compiled by the `regex` crate, on the rule's first
    /// win with a span, or reference use.
    reference: OnceLock<Option<Regex>>,
    category: CategoryIdx,
    reason: ReasonIdx,
    failure_type: FailureType,
}

struct Fallback {
    pattern: String,
    category: CategoryIdx,
    failure_type: FailureType,
}

/// One piece of one rule: what the prefilter marks.
struct Unit {
    /// Compiled rule index.
    rule: u32,
    /// Index in `Classifier::pieces`.
    piece: u32,
}

/// The compiled form of a [`RuleSet`], ready to classify.
pub struct Classifier {
    rules: Vec<CompiledRule>,
    pieces: Vec<Piece>,
    /// Every rule's pieces, rules in list order: the prefilter's bit indices.
    units: Vec<Unit>,
    prefilter: Prefilter,
    /// Compiled index of each document rule, when it is active and valid.
    by_doc: Vec<Option<u32>>,
    reasons: Vec<ReasonInfo>,
    categories: Vec<CategoryInfo>,
    rule_names: Vec<String>,
    enhanced_fallbacks: Vec<Fallback>,
    reply_fallbacks: Vec<Fallback>,
    default_category: CategoryIdx,
    errors: Vec<CompileError>,
    /// Per document rule: what of it decides verdicts (see [`Classifier::edit_since`]).
    fingerprints: Vec<u64>,
    /// What of the document besides its rules decides verdicts.
    frame: u64,
}

/// What rules are matched against: the parsed reply and, for a multi-line
/// reply, its text with the repeated code prefixes removed.
fn read_reply(text: &str) -> (Reply, Option<smtp::Unfolded>) {
    let reply = smtp::parse(text);
    let unfolded = smtp::unfold_continuations(&text[reply.text.clone()], reply.basic_code);
    (reply, unfolded)
}

/// Where the byte range `m` of the text rules see (the unfolded copy when
/// there is one) lies in the input, whose reply text starts at `offset`.
fn original_span(unfolded: Option<&smtp::Unfolded>, offset: usize, m: std::ops::Range<usize>) -> Span {
    match unfolded {
        Some(u) => Span { start: u.original_offset(m.start) + offset, end: u.original_offset(m.end.saturating_sub(1)) + 1 + offset },
        None => Span { start: m.start + offset, end: m.end + offset },
    }
}

thread_local! {
    /// Candidate units of the text being classified (a bit set).
    static CANDIDATES: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

impl CompiledRule {
    fn applies_in(&self, phase: Option<Phase>) -> bool {
        self.phases == 0 || phase.is_some_and(|p| self.phases & phase_bit(p) != 0)
    }
}

/// The indices of the set bits, in increasing order.
fn set_bits(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, &word)| {
        let mut word = word;
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let i = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                i
            })
        })
    })
}

fn is_set(bits: &[u64], i: usize) -> bool {
    bits[i / 64] >> (i % 64) & 1 == 1
}

fn phase_bit(p: Phase) -> u8 {
    1 << Phase::ALL.iter().position(|&q| q == p).unwrap_or(0)
}

fn phase_mask(phases: &[Phase]) -> u8 {
    phases.iter().fold(0, |m, &p| m | phase_bit(p))
}

impl Classifier {
    /// Compiles a document. Never fails: problems are collected in
    /// [`Classifier::errors`] and the rules concerned are skipped.
    pub fn new(doc: &RuleSet) -> Classifier {
        let mut errors = Vec::new();
        let mut reasons: Vec<ReasonInfo> = doc
            .reasons
            .iter()
            .map(|r| ReasonInfo {
                id: r.id.clone(),
                label: r.label.clone(),
                quarantine: r.quarantine,
                release_after_days: r.release_after_days,
                labels: r.labels.clone(),
            })
            .collect();
        let reason_types: Vec<FailureType> = doc.reasons.iter().map(|r| r.failure_type).collect();
        let reason_idx = |id: &str| doc.reasons.iter().position(|r| r.id == id).map(|i| i as ReasonIdx);

        let mut categories = Vec::with_capacity(doc.categories.len() + 1);
        let mut category_ok = Vec::with_capacity(doc.categories.len());
        for c in &doc.categories {
            let r = reason_idx(&c.reason);
            if r.is_none() {
                errors.push(CompileError {
                    place: tr_fmt("engine.place_category", &[("id", &c.id)]),
                    rule: None,
                    problem: RuleProblem::UnknownReason(c.reason.clone()),
                });
            }
            category_ok.push(r.is_some());
            let reason = r.unwrap_or(0);
            let failure_type = c.failure_type.or_else(|| reason_types.get(reason as usize).copied()).unwrap_or(FailureType::Soft);
            categories.push(CategoryInfo { id: c.id.clone(), reason, failure_type });
        }
        let category_idx = |id: &str| doc.categories.iter().position(|c| c.id == id).filter(|&i| category_ok[i]).map(|i| i as CategoryIdx);

        // A document without a usable default category still classifies: "Unknown", Soft, never quarantined.
        let default_category = match category_idx(&doc.default_category) {
            Some(i) => i,
            None => {
                reasons.push(ReasonInfo {
                    id: "unknown".into(),
                    label: "Unknown".into(),
                    quarantine: QuarantinePolicy::Never,
                    release_after_days: None,
                    labels: Default::default(),
                });
                categories.push(CategoryInfo {
                    id: doc.default_category.clone(),
                    reason: (reasons.len() - 1) as ReasonIdx,
                    failure_type: FailureType::Soft,
                });
                (categories.len() - 1) as CategoryIdx
            }
        };

        let mut rules = Vec::new();
        let mut pieces = Pieces::default();
        let active: Vec<&str> =
            doc.bounce_rules.iter().filter(|r| r.is_active() && !r.pattern.trim().is_empty()).map(|r| r.pattern.as_str()).collect();
        let parsed = pieces.analyze(&active);
        // The prefilter's automata depend only on the pieces' requirements: for a rule set big
        // enough for their build to count (the default rules' DFA: ~280 M instructions), they are
        // built on a thread of their own from the requirements the rules will have if every one
        // compiles, while the regexes build; used when that guess is right.
        let speculative = parsed.required_if_all_compile().filter(|g| prefilter::literal_bytes(g) >= SPECULATE_ABOVE_BYTES).map(|guess| {
            std::thread::spawn(move || {
                let refs: Vec<&prefilter::Required> = guess.iter().collect();
                (Prefilter::new(&refs), guess)
            })
        });
        pieces.build(parsed);
        let mut units = Vec::new();
        for (i, r) in doc.bounce_rules.iter().enumerate() {
            if !r.is_active() {
                continue;
            }
            let mut fail = |problem| {
                let place = tr_fmt("engine.place_rule", &[("n", &(i + 1)), ("name", &r.name)]);
                errors.push(CompileError { place, rule: Some(i), problem });
            };
            let Some(category) = category_idx(&r.category) else {
                fail(RuleProblem::UnknownCategory(r.category.clone()));
                continue;
            };
            let reason = match &r.reason {
                Some(id) => match reason_idx(id) {
                    Some(x) => x,
                    None => {
                        fail(RuleProblem::UnknownReason(id.clone()));
                        continue;
                    }
                },
                None => categories[category as usize].reason,
            };
            if r.pattern.trim().is_empty() {
                fail(RuleProblem::EmptyPattern);
                continue;
            }
            let start = units.len() as u32;
            match pieces.add(&r.pattern) {
                Ok(list) => units.extend(list.into_iter().map(|piece| Unit { rule: rules.len() as u32, piece })),
                Err(p) => {
                    fail(p);
                    continue;
                }
            }
            // Precedence: the rule's own type, then its reason override's, then the category's.
            let failure_type = r.failure_type.unwrap_or(match r.reason {
                Some(_) => reason_types[reason as usize],
                None => categories[category as usize].failure_type,
            });
            rules.push(CompiledRule {
                doc_index: i,
                phases: phase_mask(&r.phases),
                units: start..units.len() as u32,
                pattern: r.pattern.as_str().into(),
                reference: OnceLock::new(),
                category,
                reason,
                failure_type,
            });
        }

        let pieces = pieces.list;
        let required: Vec<&prefilter::Required> = units.iter().map(|u| &pieces[u.piece as usize].required).collect();
        let prefilter = match speculative.map(std::thread::JoinHandle::join) {
            Some(Ok((built, guess))) if guess.len() == required.len() && guess.iter().zip(&required).all(|(g, r)| g == *r) => built,
            _ => Prefilter::new(&required),
        };
        let mut by_doc = vec![None; doc.bounce_rules.len()];
        for (k, r) in rules.iter().enumerate() {
            by_doc[r.doc_index] = Some(k as u32);
        }

        let mut fallbacks = |list: &[super::ruleset::CodeFallback], what: &'static str| {
            let mut out = Vec::new();
            for (i, f) in list.iter().enumerate() {
                match category_idx(&f.category) {
                    Some(c) => out.push(Fallback {
                        pattern: f.code.clone(),
                        category: c,
                        failure_type: f.failure_type.unwrap_or(categories[c as usize].failure_type),
                    }),
                    None => errors.push(CompileError {
                        place: tr_fmt(what, &[("n", &(i + 1)), ("code", &f.code)]),
                        rule: None,
                        problem: RuleProblem::UnknownCategory(f.category.clone()),
                    }),
                }
            }
            out
        };
        let enhanced_fallbacks = fallbacks(&doc.enhanced_fallbacks, "engine.place_enhanced_fallback");
        let reply_fallbacks = fallbacks(&doc.reply_fallbacks, "engine.place_reply_fallback");

        Classifier {
            rules,
            pieces,
            units,
            prefilter,
            by_doc,
            reasons,
            categories,
            rule_names: doc.bounce_rules.iter().map(|r| r.name.clone()).collect(),
            enhanced_fallbacks,
            reply_fallbacks,
            default_category,
            errors,
            fingerprints: doc.bounce_rules.iter().map(incremental::rule_fingerprint).collect(),
            frame: incremental::frame_fingerprint(doc),
        }
    }

    /// Problems found while compiling; the rules concerned are skipped.
    pub fn errors(&self) -> &[CompileError] {
        &self.errors
    }

    /// The bounce rules skipped for a compile problem, each once, in order.
    pub fn skipped_rules(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.errors.iter().filter_map(|e| e.rule).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Number of the document's bounce rules, compiled or not (the indices of [`Classifier::rule_name`]).
    pub fn rule_count(&self) -> usize {
        self.rule_names.len()
    }

    /// Number of rules that take part in classification.
    pub fn active_rules(&self) -> usize {
        self.rules.len()
    }

    /// Resolved reasons.
    pub fn reasons(&self) -> &[ReasonInfo] {
        &self.reasons
    }

    /// Resolved categories.
    pub fn categories(&self) -> &[CategoryInfo] {
        &self.categories
    }

    /// The reason of a verdict.
    pub fn reason(&self, v: &Verdict) -> &ReasonInfo {
        &self.reasons[v.reason as usize]
    }

    /// The category of a verdict.
    pub fn category(&self, v: &Verdict) -> &CategoryInfo {
        &self.categories[v.category as usize]
    }

    /// Name of a document rule.
    pub fn rule_name(&self, rule: usize) -> &str {
        self.rule_names.get(rule).map_or("", String::as_str)
    }

    /// The quarantine consequence of a verdict, as a sentence in the current language.
    pub fn quarantine_text(&self, v: &Verdict) -> String {
        if v.failure_type == FailureType::Ignored {
            return tr("engine.not_an_error").to_owned();
        }
        let r = self.reason(v);
        r.quarantine.for_type(v.failure_type).describe(r.release_after_days)
    }

    /// Classifies one text: a reply, a bounce text or a whole DSN.
    pub fn classify(&self, text: &str) -> Verdict {
        self.classify_opts(text, true)
    }

    /// Like [`Classifier::classify`] but without locating the match (`span` is
    /// None): views that show no span (batch tables, counts) skip the search
    /// for it, which is about half the cost of a classification.
    pub fn classify_without_span(&self, text: &str) -> Verdict {
        self.classify_opts(text, false)
    }

    /// Classifies a text said in a known SMTP phase (None: unknown). Rules
    /// limited to phases win only when the phase is known and listed.
    pub fn classify_in_phase(&self, text: &str, phase: Option<Phase>) -> Verdict {
        self.classify_opts_phase(text, true, phase)
    }

    fn classify_opts(&self, text: &str, want_span: bool) -> Verdict {
        self.classify_opts_phase(text, want_span, None)
    }

    fn classify_opts_phase(&self, text: &str, want_span: bool, phase: Option<Phase>) -> Verdict {
        let (reply, unfolded) = read_reply(text);
        let body = &text[reply.text.clone()];
        if let Some(u) = unfolded {
            // Rare path (multi-line replies): match the unfolded copy, map the span back.
            let mut v = self.classify_body(&u.text, &reply, 0, want_span, phase);
            v.span = v.span.map(|s| original_span(Some(&u), reply.text.start, s.start..s.end));
            return v;
        }
        self.classify_body(body, &reply, reply.text.start, want_span, phase)
    }

    fn classify_body(&self, body: &str, reply: &Reply, offset: usize, want_span: bool, phase: Option<Phase>) -> Verdict {
        CANDIDATES.with(|bits| {
            let mut bits = bits.borrow_mut();
            self.prefilter.candidates(body, &mut bits);
            match self.first_match(body, phase, &bits) {
                Some((rule, unit)) => {
                    let span = if !want_span {
                        None
                    } else {
                        match self.literal_find(unit, body, &bits) {
                            Some(m) => Some(m),
                            None => match self.whole_regex(rule) {
                                Some(re) => re.find(body).map(|m| m.range()),
                                None => self.rule_find(unit, body, &bits),
                            },
                        }
                    };
                    self.rule_verdict(rule, reply, span.map(|m| Span { start: m.start + offset, end: m.end + offset }))
                }
                None => self.fallback_verdict(reply),
            }
        })
    }

    /// The first rule in list order that matches, and its first matching unit:
    /// only the prefilter's candidates run their piece's regex, and those
    /// known to match run none. (The span is then searched with the rule's
    /// whole pattern: one scan instead of one per candidate piece.)
    fn first_match(&self, body: &str, phase: Option<Phase>, bits: &[u64]) -> Option<(usize, usize)> {
        set_bits(bits).find_map(|u| {
            let rule = self.units[u].rule as usize;
            (self.rules[rule].applies_in(phase) && self.unit_matches(u, body)).then_some((rule, u))
        })
    }

    /// Whether candidate unit `u` matches.
    fn unit_matches(&self, u: usize, text: &str) -> bool {
        self.prefilter.is_exact(u) || self.pieces[self.units[u].piece as usize].regex().is_some_and(|re| re.is_match(text))
    }

    /// The match of unit `first`'s rule, from the rule's candidate units
    /// `first..`: the leftmost piece match, the earlier piece on a tie.
    fn rule_find(&self, first: usize, body: &str, bits: &[u64]) -> Option<std::ops::Range<usize>> {
        let end = self.rules[self.units[first].rule as usize].units.end as usize;
        let mut best: Option<std::ops::Range<usize>> = None;
        for u in first..end {
            if !is_set(bits, u) {
                continue;
            }
            if let Some(m) = self.pieces[self.units[u].piece as usize].find(body)
                && best.as_ref().is_none_or(|b| m.start < b.start)
            {
                best = Some(m);
            }
        }
        best
    }

    /// [`Classifier::rule_find`] without a regex, when the text is ASCII and
    /// each candidate piece of the rule is one ASCII literal (most phrases):
    /// the earliest literal occurrence, the earlier piece on a tie. None when
    /// that does not apply.
    fn literal_find(&self, first: usize, body: &str, bits: &[u64]) -> Option<std::ops::Range<usize>> {
        if !body.is_ascii() {
            return None;
        }
        let end = self.rules[self.units[first].rule as usize].units.end as usize;
        let mut best: Option<std::ops::Range<usize>> = None;
        for u in first..end {
            if !is_set(bits, u) {
                continue;
            }
            let m = self.pieces[self.units[u].piece as usize].find_ascii(body.as_bytes())?;
            if best.as_ref().is_none_or(|b| m.start < b.start) {
                best = Some(m);
            }
        }
        best
    }

    /// The whole pattern of compiled rule `i`, compiled by the `regex` crate
    /// on first use (None if only its pieces fit the size limits).
    fn whole_regex(&self, i: usize) -> Option<&Regex> {
        let r = &self.rules[i];
        r.reference.get_or_init(|| compile_pattern(&r.pattern).ok()).as_ref()
    }

    /// Index of a category by id.
    pub fn category_index(&self, id: &str) -> Option<CategoryIdx> {
        self.categories.iter().position(|c| c.id == id).map(|i| i as CategoryIdx)
    }

    /// Whether the compiled pattern of document rule `rule` matches `text`
    /// (None: the rule is inactive or does not compile).
    pub fn rule_matches(&self, rule: usize, text: &str) -> Option<bool> {
        let k = (*self.by_doc.get(rule)?)? as usize;
        let mut bits = Vec::new();
        self.prefilter.candidates(text, &mut bits);
        let units = self.rules[k].units.clone();
        Some(units.map(|u| u as usize).any(|u| is_set(&bits, u) && self.unit_matches(u, text)))
    }

    /// Whether document rule `rule` takes part in classification (active and compiled).
    pub fn is_compiled(&self, rule: usize) -> bool {
        self.by_doc.get(rule).is_some_and(Option::is_some)
    }

    fn rule_verdict(&self, i: usize, reply: &Reply, span: Option<Span>) -> Verdict {
        self.verdict_of_rule(i, reply.basic_code, reply.enhanced_code, span)
    }

    /// The verdict compiled rule `i` gives, with the codes of the text.
    fn verdict_of_rule(&self, i: usize, basic_code: Option<u16>, enhanced_code: Option<EnhancedCode>, span: Option<Span>) -> Verdict {
        let r = &self.rules[i];
        Verdict {
            failure_type: r.failure_type,
            reason: r.reason,
            category: r.category,
            rule: Some(r.doc_index),
            decided_by: DecidedBy::Rule,
            basic_code,
            enhanced_code,
            span,
        }
    }

    fn fallback_verdict(&self, reply: &Reply) -> Verdict {
        let by_enhanced = reply
            .enhanced_code
            .and_then(|code| self.enhanced_fallbacks.iter().find(|f| code.matches_pattern(&f.pattern)))
            .map(|f| (f, DecidedBy::EnhancedCode));
        let by_reply = || {
            reply
                .basic_code
                .and_then(|code| self.reply_fallbacks.iter().find(|f| smtp::reply_code_matches(code, &f.pattern)))
                .map(|f| (f, DecidedBy::ReplyCode))
        };
        let (category, failure_type, decided_by) = match by_enhanced.or_else(by_reply) {
            Some((f, by)) => (f.category, f.failure_type, by),
            None => {
                let c = self.default_category;
                (c, self.categories[c as usize].failure_type, DecidedBy::None)
            }
        };
        Verdict {
            failure_type,
            reason: self.categories[category as usize].reason,
            category,
            rule: None,
            decided_by,
            basic_code: reply.basic_code,
            enhanced_code: reply.enhanced_code,
            span: None,
        }
    }
}
