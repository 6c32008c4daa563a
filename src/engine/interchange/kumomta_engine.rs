//! Which of the regex crate's engines KumoMTA's classifier runs a line in,
//! reproduced: why an export is slow in KumoMTA, said next to the speed.
//!
//! `RegexSet::matches` (regex 1.x over regex-automata 0.4's meta engine)
//! answers with the lazy DFA when it can and otherwise with the PikeVM,
//! which on a set of unanchored phrase rules is thousands of times slower.
//! A line goes to the PikeVM when
//! - the lazy DFA was never built: the meta engine builds it only if a
//!   minimum number of states of both the forward and the *reverse*
//!   automaton fits the cache (`RegexSetBuilder::dfa_size_limit`, 2 MB by
//!   default; KumoMTA's `configure_bounce_classifier` has no option for it),
//!   about 27 bytes per NFA state, so a reverse automaton over ~77,000
//!   states is refused;
//! - or the lazy DFA gives up on the line: after its cache has been cleared
//!   3 times, as soon as it makes a new state for fewer than every 10 bytes
//!   searched (the set's working set does not fit the cache), or it quits on
//!   a non-ASCII byte because a pattern keeps a Unicode `\b`.
//!
//! The probe builds the same automata with the options the regex crate's
//! `RegexSetBuilder` gives the meta engine and runs the forward lazy DFA as
//! the meta engine configures it, over the lines twice (the second pass,
//! warm, is counted, as a long-running KumoMTA would see it).

use regex_automata::nfa::thompson::{self, NFA, WhichCaptures};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet, hybrid};

/// The regex crate's defaults for `RegexSetBuilder` (regex 1.x `builders.rs`).
const NFA_SIZE_LIMIT: usize = 10 << 20;
/// `RegexSetBuilder::dfa_size_limit`'s default: the lazy DFA's cache.
pub const DFA_CACHE: usize = 2 << 20;

/// How KumoMTA's regex engine takes a set of patterns on some lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineUse {
    /// States of the set's reverse automaton (what decides whether the lazy DFA is built).
    pub reverse_states: usize,
    /// Whether the meta engine builds its lazy DFA with the default cache.
    pub lazy_dfa_built: bool,
    /// Lines the lazy DFA answered on the warm pass (0 when not built).
    pub lazy_dfa_lines: usize,
    /// Lines probed.
    pub lines: usize,
}

impl EngineUse {
    /// Lines the PikeVM ran.
    pub fn pikevm_lines(&self) -> usize {
        self.lines - self.lazy_dfa_lines
    }
}

/// Probes `patterns` (KumoMTA's merged set, in load order) on `lines`
/// (one-line responses). `None` when the set does not compile, which the
/// caller reports otherwise.
pub fn probe(patterns: &[String], lines: &[String]) -> Option<EngineUse> {
    let syntax = syntax::Config::new().utf8(true);
    let nfa_config =
        thompson::Config::new().utf8(true).nfa_size_limit(Some(NFA_SIZE_LIMIT)).shrink(false).which_captures(WhichCaptures::None);
    let forward = thompson::Compiler::new().syntax(syntax).configure(nfa_config.clone()).build_many(patterns).ok()?;
    let reverse = thompson::Compiler::new().syntax(syntax).configure(nfa_config.reverse(true)).build_many(patterns).ok()?;
    let config = hybrid::dfa::Config::new()
        .match_kind(MatchKind::All)
        .starts_for_each_pattern(true)
        .unicode_word_boundary(true)
        .cache_capacity(DFA_CACHE)
        .skip_cache_capacity_check(false)
        .minimum_cache_clear_count(Some(3))
        .minimum_bytes_per_state(Some(10));
    let reverse_states = reverse.states().len();
    // The meta engine takes any build failure as "no lazy DFA", so does this.
    let build = |nfa: NFA| hybrid::dfa::Builder::new().configure(config.clone()).build_from_nfa(nfa).ok();
    let (Some(dfa), Some(_)) = (build(forward), build(reverse)) else {
        return Some(EngineUse { reverse_states, lazy_dfa_built: false, lazy_dfa_lines: 0, lines: lines.len() });
    };
    let mut cache = dfa.create_cache();
    let mut found = PatternSet::new(dfa.pattern_len());
    let mut answered = 0;
    for pass in 0..2 {
        answered = 0;
        for line in lines {
            found.clear();
            if dfa.try_which_overlapping_matches(&mut cache, &Input::new(line), &mut found).is_ok() {
                answered += usize::from(pass == 1);
            }
        }
    }
    Some(EngineUse { reverse_states, lazy_dfa_built: true, lazy_dfa_lines: answered, lines: lines.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_small_set_runs_in_the_lazy_dfa() {
        let pats = lines(&["^550 5\\.1\\.1 ", "(?i)mailbox (is )?full"]);
        let u = probe(&pats, &lines(&["550 5.1.1 no such user", "552 5.2.2 Mailbox is full", "250 ok"])).expect("compiles");
        assert!(u.lazy_dfa_built);
        assert_eq!((u.lazy_dfa_lines, u.pikevm_lines()), (3, 0));
    }

    #[test]
    fn a_huge_reverse_automaton_keeps_the_lazy_dfa_from_being_built() {
        // A bounded gap of any character is about 30 reverse states per
        // repetition (UTF-8), so 20 gaps of 200 pass the 2 MB minimum.
        let pats: Vec<String> = (0..20).map(|i| format!("w{i}a.{{0,200}}c")).collect();
        let u = probe(&pats, &lines(&["550 w1a then b then c"])).expect("compiles");
        assert!(u.reverse_states > 77_000, "{}", u.reverse_states);
        assert!(!u.lazy_dfa_built);
        assert_eq!(u.pikevm_lines(), 1);
    }

    #[test]
    fn a_unicode_word_boundary_sends_non_ascii_lines_to_the_pikevm() {
        let pats = lines(&["(?i)\\bfull\\b", "(?i)(?-u:\\b)spam(?-u:\\b)"]);
        let u = probe(&pats, &lines(&["552 mailbox full", "550 boîte pleine"])).expect("compiles");
        assert!(u.lazy_dfa_built);
        assert_eq!((u.lazy_dfa_lines, u.pikevm_lines()), (1, 1));
    }

    #[test]
    fn a_set_that_does_not_compile_is_not_probed() {
        assert_eq!(probe(&lines(&["("]), &lines(&["x"])), None);
    }
}
