//! The prefilter's automata, and the marking of a text's candidate rules.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, MatchKind, StartKind, dfa};

use super::{Required, fold_text_into};

/// Most literal bytes for which an automaton is a DFA; past that the library
/// picks (a contiguous NFA, whose sparse states and failure links cost about
/// 50 instructions a byte of text on the default rules). Their ASCII literals
/// (60 K bytes, 29 K states) make a DFA of 7.5 MB built in about 40 ms that
/// reads a text with 40 % fewer instructions (the whole classification
/// without span 25 % fewer, 1.7x the lines a second: criterion A/B, session
/// 13). 10,000 plain phrases (200 K bytes) stay an NFA: their DFA would take
/// too long to build and too much memory.
const DFA_LIMIT: usize = 100_000;

/// Up to this many literals the library's automaton keeps its prefilter (a
/// SIMD search for the literals' first bytes, which skips most of a text
/// between occurrences); past it no prefilter applies and the DFA is walked here.
const PACKED_LIMIT: usize = 64;

/// The automata over every rule's required literals.
pub struct Prefilter {
    /// Over the literals of ASCII bytes only.
    ascii: Option<Scanner>,
    /// Over the other literals (numbered after the ASCII ones): they cannot
    /// occur in an ASCII text and most texts are ASCII, so this automaton
    /// reads only the texts with other bytes.
    wide: Option<Scanner>,
    /// How many literals are ASCII: the wide automaton's first literal id.
    n_ascii: u32,
    /// What each literal marks: `rules[starts[p]..starts[p + 1]]`, a rule
    /// (compiled index), or with [`PART`] set one part of a requirement of
    /// several sets (`slot << 3 | part`, see `needs`).
    starts: Vec<u32>,
    rules: Vec<u32>,
    /// Per distinct requirement of several literal sets ([`Required::AllOf`]):
    /// its rules, `needers[start..end]`, and the bit mask of its parts. Rules
    /// sharing a piece share its slot, so a hit updates one slot, not one per rule.
    needs: Vec<(u32, u32, u8)>,
    needers: Vec<u32>,
    /// Candidates before any literal is seen: the rules tried on every text.
    always: Vec<u64>,
    /// Rules for which a hit is a match.
    exact: Vec<u64>,
}

/// Marks an entry of `Prefilter::rules` as one part of a requirement of several sets.
const PART: u32 = 1 << 31;
/// Most literal sets of one rule the prefilter checks together (one bit
/// each; the eighth bit of a slot says its rules were marked).
const MAX_PARTS: usize = 7;
const MARKED: u8 = 1 << 7;

/// Bit sets of compiled rule indices.
pub fn words(n: usize) -> usize {
    n.div_ceil(64)
}

impl Prefilter {
    /// Builds the automata for rules `0..reqs.len()`.
    pub fn new(reqs: &[&Required]) -> Prefilter {
        let n = words(reqs.len());
        let mut always = vec![0u64; n];
        let mut exact = vec![0u64; n];
        let mut ids: std::collections::HashMap<&[u8], u32> = std::collections::HashMap::new();
        let mut lits: Vec<&[u8]> = Vec::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        // Slots of the distinct requirements of several sets, and their rules.
        let mut slots: std::collections::HashMap<&[Vec<Vec<u8>>], u32> = std::collections::HashMap::new();
        let mut slot_rules: Vec<Vec<u32>> = Vec::new();
        let mut masks: Vec<u8> = Vec::new();
        for (r, req) in reqs.iter().enumerate() {
            let sets: &[Vec<Vec<u8>>] = match req {
                Required::Always => {
                    always[r / 64] |= 1 << (r % 64);
                    continue;
                }
                Required::AnyOf(s) => std::slice::from_ref(s),
                Required::Exactly(s) => {
                    exact[r / 64] |= 1 << (r % 64);
                    std::slice::from_ref(s)
                }
                // Past MAX_PARTS the first ones are checked: still sound, a little less selective.
                Required::AllOf(sets) => &sets[..sets.len().min(MAX_PARTS)],
            };
            let slot = if sets.len() > 1 {
                let slot = *slots.entry(sets).or_insert_with(|| {
                    slot_rules.push(Vec::new());
                    masks.push(((1u16 << sets.len()) - 1) as u8);
                    (masks.len() - 1) as u32
                });
                slot_rules[slot as usize].push(r as u32);
                slot
            } else {
                0
            };
            for (part, set) in sets.iter().enumerate() {
                let target = if sets.len() > 1 { PART | slot << 3 | part as u32 } else { r as u32 };
                for l in set {
                    let id = *ids.entry(l.as_slice()).or_insert_with(|| {
                        lits.push(l);
                        (lits.len() - 1) as u32
                    });
                    pairs.push((id, target));
                }
            }
        }
        // ASCII literals first, so each automaton's pattern ids map to literal ids by an offset.
        let mut order: Vec<u32> = (0..lits.len() as u32).collect();
        order.sort_by_key(|&i| !lits[i as usize].is_ascii());
        let n_ascii = order.iter().take_while(|&&i| lits[i as usize].is_ascii()).count();
        let mut new_id = vec![0u32; lits.len()];
        for (k, &i) in order.iter().enumerate() {
            new_id[i as usize] = k as u32;
        }
        let lits: Vec<&[u8]> = order.iter().map(|&i| lits[i as usize]).collect();
        for pr in &mut pairs {
            pr.0 = new_id[pr.0 as usize];
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut starts = vec![0u32; lits.len() + 1];
        for &(p, _) in &pairs {
            starts[p as usize + 1] += 1;
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let rules = pairs.iter().map(|&(_, r)| r).collect();
        let mut needs = Vec::with_capacity(masks.len());
        let mut needers = Vec::new();
        for (rs, mask) in slot_rules.into_iter().zip(masks) {
            needs.push((needers.len() as u32, (needers.len() + rs.len()) as u32, mask));
            needers.extend(rs);
        }
        let (ascii, wide) = (Scanner::new(&lits[..n_ascii]), Scanner::new(&lits[n_ascii..]));
        if ascii.is_err() || wide.is_err() {
            // Without an automaton every rule is a candidate (and none is known to match).
            for (r, req) in reqs.iter().enumerate() {
                if !matches!(req, Required::Always) {
                    always[r / 64] |= 1 << (r % 64);
                    exact[r / 64] &= !(1 << (r % 64));
                }
            }
        }
        Prefilter {
            ascii: ascii.ok().flatten(),
            wide: wide.ok().flatten(),
            n_ascii: n_ascii as u32,
            starts,
            rules,
            needs,
            needers,
            always,
            exact,
        }
    }

    /// Fills `bits` with the candidate rules for `text`.
    pub fn candidates(&self, text: &str, bits: &mut Vec<u64>) {
        bits.clear();
        bits.extend_from_slice(&self.always);
        FOLDED.with_borrow_mut(|(haystack, seen)| {
            fold_text_into(text, haystack);
            seen.clear();
            seen.resize(self.needs.len(), 0);
            // Other literals cannot occur in an ASCII text (folding keeps a text ASCII).
            let wide = self.wide.as_ref().filter(|_| !text.is_ascii());
            for (scanner, first) in [(self.ascii.as_ref(), 0), (wide, self.n_ascii as usize)] {
                let Some(scanner) = scanner else { continue };
                scanner.occurrences(haystack, |k| {
                    let p = first + k;
                    for &e in &self.rules[self.starts[p] as usize..self.starts[p + 1] as usize] {
                        if e & PART == 0 {
                            bits[e as usize / 64] |= 1 << (e % 64);
                            continue;
                        }
                        // One part of a requirement of several: its rules are marked once all are seen.
                        let slot = ((e & !PART) >> 3) as usize;
                        seen[slot] |= 1 << (e & 7);
                        let (start, end, all) = self.needs[slot];
                        if seen[slot] == all {
                            seen[slot] |= MARKED;
                            for &r in &self.needers[start as usize..end as usize] {
                                bits[r as usize / 64] |= 1 << (r % 64);
                            }
                        }
                    }
                });
            }
        });
    }

    /// Whether a candidate rule is known to match without running its regex.
    pub fn is_exact(&self, rule: usize) -> bool {
        self.exact[rule / 64] >> (rule % 64) & 1 == 1
    }
}

thread_local! {
    /// The text folded for the automata, and the parts seen of each rule
    /// needing several, reused from one text to the next.
    static FOLDED: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// One automaton over some literals (folded, as the texts it reads).
enum Scanner {
    /// Walked here: a table lookup a byte and a branch for match states. The
    /// library's overlapping iterator returns to its caller at every
    /// occurrence and keeps its position in a state struct: on the default
    /// rules a classification without span took 9.45 K instructions with it,
    /// 8.56 K with this walk (callgrind, session 15).
    Dfa { dfa: Box<dfa::DFA>, start: StateID },
    /// Few literals (its prefilter skips ahead), or past [`DFA_LIMIT`] literal
    /// bytes (whatever the library builds), read with its overlapping iterator.
    Other(AhoCorasick),
}

impl Scanner {
    /// `None` without literals, an error when no automaton could be built.
    fn new(lits: &[&[u8]]) -> Result<Option<Scanner>, aho_corasick::BuildError> {
        if lits.is_empty() {
            return Ok(None);
        }
        let total: usize = lits.iter().map(|l| l.len()).sum();
        if total <= DFA_LIMIT && lits.len() > PACKED_LIMIT {
            // No prefilter: then only match states (and the dead one, unused here) are special.
            let built = dfa::Builder::new().match_kind(MatchKind::Standard).start_kind(StartKind::Unanchored).prefilter(false).build(lits);
            if let Some((dfa, start)) = built.ok().and_then(|d| d.start_state(Anchored::No).ok().map(|s| (d, s))) {
                return Ok(Some(Scanner::Dfa { dfa: Box::new(dfa), start }));
            }
        }
        let kind = (total <= DFA_LIMIT).then_some(AhoCorasickKind::DFA);
        let builder = |kind| AhoCorasick::builder().match_kind(MatchKind::Standard).kind(kind).build(lits);
        builder(kind).or_else(|_| builder(None)).map(|ac| Some(Scanner::Other(ac)))
    }

    /// Calls `found` with the literal's index for every occurrence of a literal in `haystack`.
    fn occurrences(&self, haystack: &[u8], mut found: impl FnMut(usize)) {
        match self {
            Scanner::Dfa { dfa, start } => {
                let mut sid = *start;
                for &b in haystack {
                    sid = dfa.next_state(Anchored::No, sid, b);
                    if dfa.is_special(sid) {
                        if dfa.is_dead(sid) {
                            return;
                        }
                        // A match state lists every literal that ends here (Standard semantics).
                        for m in 0..dfa.match_len(sid) {
                            found(dfa.match_pattern(sid, m).as_usize());
                        }
                    }
                }
            }
            Scanner::Other(ac) => {
                for m in ac.find_overlapping_iter(haystack) {
                    found(m.pattern().as_usize());
                }
            }
        }
    }
}
