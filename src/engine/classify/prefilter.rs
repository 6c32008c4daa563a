//! Literal prefilter: which rules can possibly match a text.
//!
//! Every rule's pattern is reduced to a set of literals of which any match
//! must contain one (its *required literals*, found on the pattern's syntax
//! tree). Aho-Corasick automata over all of them (one for the ASCII literals,
//! one for the others, see [`scan`]) read a text once, its ASCII letters
//! lowered, and mark the rules whose literals occur; only those (plus the
//! rules without usable literals) run their regex, in list order. A rule
//! whose whole language is such a set (a plain phrase, or alternatives of
//! phrases) needs no regex at all to know it matches: a hit is a match.
//!
//! The prefilter may say "candidate" too often, never too rarely: ASCII case
//! is folded even where the pattern does not fold it, and every
//! other letter is folded on both sides, in literals and in the text (the
//! automata read a folded copy of the text: see [`fold`]). Spelling case forms out instead multiplied a
//! phrase's literals per letter (over the set limit for phrases in Cyrillic,
//! Greek or accented Latin, which then compiled a regex up front), and made
//! the automaton of 10,000 phrases about ten times larger.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind};

mod scan;
pub use scan::{Prefilter, words};

/// Most strings a literal set may hold while it is built.
const SET_LIMIT: usize = 64;
/// Most strings a rule's required set may hold (alternations of phrases).
const RULE_LIMIT: usize = 1024;
/// Longest literal kept; longer runs are cut into a new run.
const LEN_LIMIT: usize = 64;
/// Most characters a class may have to be spelled out.
const CLASS_LIMIT: u32 = 8;
/// Required literals shorter than this are not worth a prefilter hit.
const MIN_USEFUL: usize = 2;

/// A finite set of strings, ASCII letters lowered.
#[derive(Clone, Debug)]
struct Lits {
    set: Vec<Vec<u8>>,
    /// Matching any member (ASCII case folded) is exactly matching the node.
    faithful: bool,
}

impl Lits {
    fn empty_string(faithful: bool) -> Lits {
        Lits { set: vec![Vec::new()], faithful }
    }

    fn normalize(mut self) -> Lits {
        self.set.sort_unstable();
        self.set.dedup();
        self
    }

    fn product(&self, other: &Lits) -> Option<Lits> {
        if self.set.len() * other.set.len() > SET_LIMIT {
            return None;
        }
        let mut set = Vec::with_capacity(self.set.len() * other.set.len());
        for a in &self.set {
            for b in &other.set {
                if a.len() + b.len() > LEN_LIMIT {
                    return None;
                }
                let mut s = a.clone();
                s.extend_from_slice(b);
                set.push(s);
            }
        }
        Some(Lits { set, faithful: self.faithful && other.faithful }.normalize())
    }

    /// Quality as a required set: longer shortest member first, then fewer members.
    /// None when a member is too short to filter anything.
    fn score(&self) -> Option<(usize, std::cmp::Reverse<usize>)> {
        let min = self.set.iter().map(Vec::len).min().unwrap_or(usize::MAX);
        (min >= MIN_USEFUL).then_some((min.min(16), std::cmp::Reverse(self.set.len())))
    }
}

/// What is known of one syntax node.
struct Info {
    /// The node matches exactly one of these strings (None: unknown or too many).
    exact: Option<Lits>,
    /// Any match of the node contains one of these strings.
    req: Option<Lits>,
}

fn better(a: Option<Lits>, b: Option<Lits>) -> Option<Lits> {
    let (a, b) = (a.filter(|l| l.score().is_some()), b.filter(|l| l.score().is_some()));
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.score() > a.score() { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn lower(b: u8) -> u8 {
    b.to_ascii_lowercase()
}

/// A character as the automaton sees it: ASCII lowered (the automaton also
/// folds ASCII in the text), any other character to its one-character
/// lowercase form, and two lowercase letters with a lowercase twin (`ſ`, `ς`)
/// to that twin. The text is folded the same way before it is read, so a
/// case-insensitive letter is one literal byte string instead of one per case
/// form (a Cyrillic phrase of 20 letters was 2^20 strings: no literal set, so
/// a regex compiled up front for every such rule).
///
/// Sound because `fold(c)` is always a simple case-folding mate of `c`
/// (tested for every `char`): two characters that fold alike are mates.
fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    match c {
        _ if caseless(c) => return c,
        // Not mates for the regex: `ı` (uppercase `I`, but simple folding keeps
        // it apart), and letters whose case the standard library knows from a
        // newer Unicode than the regex crate's tables (the regex sees no case).
        '\u{131}' | '\u{A7CE}' | '\u{A7D2}' | '\u{A7D4}' | '\u{16EA0}'..='\u{16EB8}' => return c,
        // Mates whose uppercase is several characters: joined by hand.
        '\u{1FD3}' => return '\u{390}',
        '\u{1FE3}' => return '\u{3B0}',
        '\u{FB05}' => return '\u{FB06}',
        _ => {}
    }
    // The lowercase of the uppercase gives lowercase twins one form too
    // (`ſ`→`s`, `ς`→`σ`, `ϐ`→`β`, `ᲂ`→`о`); a step that maps to several
    // characters (`ß`→`SS`) is not simple case folding and is skipped.
    let upper = single(c.to_uppercase()).unwrap_or(c);
    single(upper.to_lowercase()).unwrap_or(upper)
}

/// The one character a case mapping gives, if it gives one.
fn single(mut mapping: impl Iterator<Item = char>) -> Option<char> {
    match (mapping.next(), mapping.next()) {
        (Some(x), None) => Some(x),
        _ => None,
    }
}

/// Scripts without case (Hebrew, Arabic, the Indic scripts, Thai and Lao,
/// kana, CJK, Hangul) and general punctuation: most non-ASCII text skips the
/// case tables (two lookups a character). Checked for every `char` by a test.
fn caseless(c: char) -> bool {
    matches!(c, '\u{590}'..='\u{6FF}' | '\u{750}'..='\u{77F}' | '\u{900}'..='\u{EFF}' | '\u{2000}'..='\u{206F}' | '\u{3000}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7A3}')
}

/// `c`'s UTF-8 bytes as the automaton sees them.
fn fold_char(c: char) -> Vec<u8> {
    let mut buf = [0; 4];
    fold(c).encode_utf8(&mut buf).as_bytes().to_vec()
}

/// Whether `c` is its own only case form: a literal `c` (case-sensitive)
/// then matches exactly the texts whose folded form holds `fold(c)`.
fn without_case_mates(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_alphabetic();
    }
    if caseless(c) {
        return true;
    }
    let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
    class.case_fold_simple();
    class.ranges().len() == 1 && class.ranges()[0].start() == class.ranges()[0].end()
}

/// `bytes` (a literal) as the automaton sees it, and whether a hit of that is
/// exactly an occurrence of the literal (no character of it has case mates).
fn fold_literal(bytes: &[u8]) -> (Vec<u8>, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.is_ascii() => (s.chars().flat_map(fold_char).collect(), s.chars().all(without_case_mates)),
        _ => (bytes.iter().copied().map(lower).collect(), !bytes.iter().any(u8::is_ascii_alphabetic)),
    }
}

/// The text as the automata read it, into `buf` (reused from one text to
/// the next): every character through [`fold`], which lowers ASCII letters,
/// so the automata need no case-insensitive transitions.
fn fold_text_into(text: &str, buf: &mut Vec<u8>) {
    buf.clear();
    if text.is_ascii() {
        buf.extend_from_slice(text.as_bytes());
        buf.make_ascii_lowercase();
        return;
    }
    let mut utf8 = [0; 4];
    for c in text.chars() {
        buf.extend_from_slice(fold(c).encode_utf8(&mut utf8).as_bytes());
    }
}

fn class_lits(c: &Class) -> Option<Lits> {
    let mut set = Vec::new();
    let mut members = Vec::new();
    match c {
        Class::Unicode(u) => {
            let n: u32 = u.ranges().iter().map(|r| r.end() as u32 - r.start() as u32 + 1).sum();
            if n > CLASS_LIMIT {
                return None;
            }
            for r in u.ranges() {
                for ch in r.start()..=r.end() {
                    members.push(ch);
                    set.push(fold_char(ch));
                }
            }
            // Faithful when the class holds every case mate of its members: any
            // character folded like a member is then a member (`fold` keeps mates).
            let mut closed = u.clone();
            closed.case_fold_simple();
            let faithful = closed == *u;
            return Some(Lits { set, faithful }.normalize());
        }
        Class::Bytes(b) => {
            let n: u32 = b.ranges().iter().map(|r| r.end() as u32 - r.start() as u32 + 1).sum();
            if n > CLASS_LIMIT {
                return None;
            }
            for r in b.ranges() {
                for byte in r.start()..=r.end() {
                    members.push(byte as char);
                    set.push(vec![lower(byte)]);
                }
            }
        }
    }
    // Bytes: ASCII only (patterns must match UTF-8), so a letter lacks its
    // non-ASCII mates where it has some (`k`: the Kelvin sign, `s`: `ſ`).
    let faithful = members.iter().all(|&c| {
        let l = c.to_ascii_lowercase();
        !c.is_ascii_alphabetic() || (!matches!(l, 'k' | 's') && members.contains(&l) && members.contains(&l.to_ascii_uppercase()))
    });
    Some(Lits { set, faithful }.normalize())
}

fn info(h: &Hir) -> Info {
    let mut i = match h.kind() {
        HirKind::Empty => Info { exact: Some(Lits::empty_string(true)), req: None },
        HirKind::Literal(l) => {
            let (bytes, faithful) = fold_literal(&l.0);
            let exact = if bytes.len() <= LEN_LIMIT { Some(Lits { set: vec![bytes], faithful }) } else { None };
            Info { exact, req: None }
        }
        HirKind::Class(c) => Info { exact: class_lits(c), req: None },
        // Zero-width, but a condition the literals do not check.
        HirKind::Look(_) => Info { exact: Some(Lits::empty_string(false)), req: None },
        HirKind::Capture(c) => info(&c.sub),
        HirKind::Repetition(r) => {
            let sub = info(&r.sub);
            match (r.min, r.max) {
                (0, Some(1)) => {
                    let exact = sub.exact.map(|mut e| {
                        e.set.push(Vec::new());
                        e.normalize()
                    });
                    Info { exact, req: None }
                }
                (0, _) => Info { exact: None, req: None },
                (n, Some(m)) if n == m && n <= 4 => {
                    let exact = sub.exact.as_ref().and_then(|e| (1..n).try_fold(e.clone(), |acc, _| acc.product(e)));
                    Info { exact, req: sub.req }
                }
                _ => Info { exact: None, req: better(sub.req, sub.exact) },
            }
        }
        HirKind::Concat(subs) => concat(subs),
        HirKind::Alternation(subs) => alternation(subs),
    };
    i.req = better(i.req.take(), i.exact.clone());
    i
}

fn concat(subs: &[Hir]) -> Info {
    concat_keeping(subs, None)
}

/// [`concat`], which keeps the best required set; `all` (at the top of a
/// pattern) also gets every set it weighed, each one required as well.
fn concat_keeping(subs: &[Hir], mut all: Option<&mut Vec<Lits>>) -> Info {
    let mut req: Option<Lits> = None;
    let mut run = Lits::empty_string(true);
    let mut whole = Some(Lits::empty_string(true));
    let mut weigh = |req: &mut Option<Lits>, set: Option<Lits>| {
        if let (Some(all), Some(set)) = (all.as_deref_mut(), &set) {
            all.push(set.clone());
        }
        *req = better(req.take(), set);
    };
    for s in subs {
        let i = info(s);
        weigh(&mut req, i.req);
        match i.exact {
            Some(e) => {
                whole = whole.and_then(|w| w.product(&e));
                run = match run.product(&e) {
                    Some(r) => r,
                    None => {
                        weigh(&mut req, Some(run));
                        e
                    }
                };
            }
            None => {
                whole = None;
                weigh(&mut req, Some(std::mem::replace(&mut run, Lits::empty_string(true))));
            }
        }
    }
    weigh(&mut req, Some(run));
    Info { exact: whole, req }
}

fn alternation(subs: &[Hir]) -> Info {
    let infos: Vec<Info> = subs.iter().map(info).collect();
    let exact = infos.iter().try_fold(Lits { set: Vec::new(), faithful: true }, |mut acc, i| {
        let e = i.exact.as_ref()?;
        acc.set.extend(e.set.iter().cloned());
        acc.faithful &= e.faithful;
        (acc.set.len() <= SET_LIMIT).then_some(acc)
    });
    let req = infos.iter().try_fold(Lits { set: Vec::new(), faithful: false }, |mut acc, i| {
        acc.set.extend(i.req.as_ref()?.set.iter().cloned());
        (acc.set.len() <= RULE_LIMIT).then_some(acc)
    });
    Info { exact: exact.map(Lits::normalize), req: req.map(Lits::normalize) }
}

/// What the prefilter knows of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Required {
    /// No usable literal: the rule is tried on every text.
    Always,
    /// A match contains one of these (lowered) strings.
    AnyOf(Vec<Vec<u8>>),
    /// The rule matches exactly when one of these strings occurs (ASCII case folded).
    Exactly(Vec<Vec<u8>>),
    /// A match contains one string of each of these sets (two or more): the
    /// parts of a concatenation such as `(user|mailbox)[^\n]{0,40}(unknown|full)`.
    /// One set alone would make the rule a candidate on every text with a
    /// common word ("message", "error") and run its regex for nothing.
    AllOf(Vec<Vec<Vec<u8>>>),
}

/// How many literal bytes the prefilter's automata would hold for `reqs` (shared literals counted once per rule).
pub fn literal_bytes(reqs: &[Required]) -> usize {
    reqs.iter()
        .map(|r| match r {
            Required::Always => 0,
            Required::AnyOf(s) | Required::Exactly(s) => s.iter().map(Vec::len).sum(),
            Required::AllOf(sets) => sets.iter().flatten().map(Vec::len).sum(),
        })
        .sum()
}

/// The required literals of a pattern, from its case-insensitive syntax tree.
pub fn required(hir: &Hir) -> Required {
    let mut top = hir;
    while let HirKind::Capture(c) = top.kind() {
        top = &c.sub;
    }
    // Of a concatenation, every part's set is required: the best two are kept.
    let mut sets = Vec::new();
    let mut i = match top.kind() {
        HirKind::Concat(subs) => concat_keeping(subs, Some(&mut sets)),
        _ => info(hir),
    };
    i.req = better(i.req.take(), i.exact.clone());
    let Some(req) = i.req else { return Required::Always };
    // A match of the empty set is impossible: such a rule is never a candidate.
    let faithful_whole = i.exact.as_ref().is_some_and(|e| e.faithful && e.set == req.set);
    if faithful_whole {
        return Required::Exactly(req.set);
    }
    let second =
        sets.into_iter().filter(|l| l.score().is_some() && l.set.len() <= SET_LIMIT && !implied(&req, l)).max_by_key(|l| l.score());
    match second {
        Some(second) => Required::AllOf(vec![req.set, second.set]),
        None => Required::AnyOf(req.set),
    }
}

/// Whether every string of `a` holds a string of `b`: then a hit of `a` is a hit of `b`, and `b` adds nothing.
fn implied(a: &Lits, b: &Lits) -> bool {
    a.set.iter().all(|x| b.set.iter().any(|y| x.windows(y.len().max(1)).any(|w| w == y.as_slice())))
}

/// Whether `text` is a plain phrase: letters, digits, spaces and ASCII
/// punctuation that is no regex metacharacter. Such a pattern means itself.
pub fn is_plain(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_alphanumeric()
            || matches!(c, ' ' | '!' | '"' | '#' | '%' | '&' | '\'' | ',' | '-' | '/' | ':' | ';' | '<' | '=' | '>' | '@' | '_' | '~' | '`')
    })
}

/// [`required`] of a plain phrase's case-insensitive syntax tree, without
/// parsing it: the phrase folded (every letter is a class of its case mates,
/// which all fold alike, see [`fold`]), when that one literal is exact. None
/// when `text` is not plain or its literal is too short or too long to be
/// exact (the parsed tree then decides).
pub fn plain_phrase(text: &str) -> Option<Required> {
    if !is_plain(text) {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut buf = [0; 4];
    for c in text.chars() {
        bytes.extend_from_slice(fold(c).encode_utf8(&mut buf).as_bytes());
    }
    (MIN_USEFUL..=LEN_LIMIT).contains(&bytes.len()).then(|| Required::Exactly(vec![bytes]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(p: &str) -> Required {
        required(&regex_syntax::ParserBuilder::new().case_insensitive(true).build().parse(p).expect("valid"))
    }

    fn lits(xs: &[&str]) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = xs.iter().map(|x| x.as_bytes().to_vec()).collect();
        v.sort();
        v
    }

    #[test]
    fn plain_phrases_are_exact() {
        assert_eq!(req("Mailbox Full"), Required::Exactly(lits(&["mailbox full"])));
        assert_eq!(req("quota|over quota"), Required::Exactly(lits(&["over quota", "quota"])));
        // Case-insensitive `k` also matches the Kelvin sign, `s` matches `ſ`: folded, not spelled out.
        assert_eq!(req("unknown"), Required::Exactly(lits(&["unknown"])));
        assert_eq!(req("box(es)?"), Required::Exactly(lits(&["box", "boxes"])));
        // Other letters fold to their lowercase form, as the text does.
        assert_eq!(req("ЯЩИК"), Required::Exactly(lits(&["ящик"])));
        // Without the fold's other members a hit is not a match.
        assert_eq!(req("(?-i)\u{212A}elvin"), Required::AnyOf(lits(&["kelvin"])));
        assert_eq!(req("(?-u:k)ey"), Required::AnyOf(lits(&["key"])));
        assert_eq!(req("(?-i)[kK]ey"), Required::AnyOf(lits(&["key"])));
        // A case-insensitive class has the Kelvin sign too.
        assert_eq!(req("[kK]ey"), Required::Exactly(lits(&["key"])));
    }

    #[test]
    fn conditions_make_literals_required_not_sufficient() {
        assert_eq!(req(r"\bspf\b"), Required::AnyOf(lits(&["spf"])));
        assert_eq!(req("(?-i)SPF"), Required::AnyOf(lits(&["spf"])));
        assert_eq!(req(r"dmarc.{0,40}fail"), Required::AllOf(vec![lits(&["dmarc"]), lits(&["fail"])]));
        assert_eq!(
            req(r"(user|mailbox)[^\n]{0,40}(unknown|full)"),
            Required::AllOf(vec![lits(&["mailbox", "user"]), lits(&["full", "unknown"])])
        );
        assert_eq!(req(r"^\d+ relay denied$"), Required::AnyOf(lits(&[" relay denied"])));
        assert_eq!(req("mail|x.*y"), Required::Always);
        assert_eq!(req(r"\w+"), Required::Always);
        assert_eq!(req("a?"), Required::Always);
    }

    #[test]
    fn prefilter_marks_candidates_and_exact_rules() {
        let p = Prefilter::new(&[&req("user unknown"), &req(r"\bspf\b"), &req(r"\w+")]);
        let mut bits = Vec::new();
        p.candidates("550 USER UNKNOWN, spf", &mut bits);
        assert_eq!(bits, vec![0b111]);
        p.candidates("nothing here", &mut bits);
        assert_eq!(bits, vec![0b100]);
        assert!(p.is_exact(0) && !p.is_exact(1) && !p.is_exact(2));
        // The Kelvin sign and `ſ` in a text are read as `k` and `s`.
        p.candidates("user un\u{212A}nown, \u{17F}pf", &mut bits);
        assert_eq!(bits, vec![0b111]);
    }

    #[test]
    fn a_rule_needing_two_literals_is_a_candidate_only_with_both() {
        let p =
            Prefilter::new(&[&req(r"\bspam\b.{0,40}\b(content|score)"), &req(r"(user|mailbox)[^\n]{0,40}(unknown|full)"), &req("message")]);
        let mut bits = Vec::new();
        for (text, want) in [
            ("message content", 0b100),
            ("SPAM message", 0b100),
            ("spam content", 0b001),
            ("content ... spam", 0b001),
            ("User unknown", 0b010),
            ("unknown", 0),
            ("mailbox full, spam score", 0b011),
        ] {
            p.candidates(text, &mut bits);
            assert_eq!(bits, vec![want], "{text}");
        }
    }

    #[test]
    fn literals_sharing_their_first_bytes_are_all_found() {
        // Every occurrence of every literal, overlapping and nested ones too: with the
        // library's iterator (few literals) and with the DFA walked by hand (many).
        // `unknown there` ends where `user unknown there` does: one state, two literals.
        let mine = ["user unknown here", "user unknown there", "user unk", "почтовый ящик полон", "unknown there"];
        for fillers in [0, 100] {
            let mut reqs: Vec<Required> = mine.iter().map(|p| req(p)).collect();
            reqs.extend((0..fillers).map(|k| req(&format!("filler phrase {k}"))));
            let p = Prefilter::new(&reqs.iter().collect::<Vec<_>>());
            let mut bits = Vec::new();
            let mut first = |text: &str| {
                p.candidates(text, &mut bits);
                bits[0] & 0b11111
            };
            assert_eq!(first("550 User Unknown There"), 0b10110);
            assert_eq!(first("user unknown hare, user unknown here"), 0b00101);
            assert_eq!(first("user unknown ther"), 0b00100);
            assert_eq!(first("ПОЧТОВЫЙ ЯЩИК ПОЛОН"), 0b01000);
            assert_eq!(first("почтовый ящик пуст"), 0);
            if fillers > 0 {
                p.candidates("filler phrase 99, filler phrase 7", &mut bits);
                let set: Vec<usize> = crate::engine::classify::set_bits(&bits).collect();
                // `filler phrase 9` is inside `filler phrase 99`: rules 5 + 7, 5 + 9, 5 + 99.
                assert_eq!(set, vec![12, 14, 104]);
            }
        }
    }

    #[test]
    fn every_character_folds_to_a_case_mate() {
        // What makes the folded automaton sound: characters that fold alike are mates.
        let mut bad = Vec::new();
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let f = fold(c);
            let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
            class.case_fold_simple();
            if !class.ranges().iter().any(|r| r.start() <= f && f <= r.end()) {
                bad.push((c, f));
            }
            // Mates fold alike: the whole class is one literal.
            for m in class.ranges().iter().flat_map(|r| r.start()..=r.end()) {
                if fold(m) != f {
                    bad.push((m, fold(m)));
                }
            }
            if caseless(c) {
                assert!(
                    without_case_mates(c) && class.ranges().len() == 1 && class.ranges()[0].start() == class.ranges()[0].end(),
                    "{c:?}"
                );
            }
        }
        bad.sort_unstable();
        bad.dedup();
        assert!(bad.is_empty(), "not folded to a common case mate: {bad:?}");
    }

    #[test]
    fn case_mates_fold_alike_in_patterns_and_texts() {
        // Every case form of a non-ASCII letter is one literal, in phrase and text alike.
        assert_eq!(req("ящик переполнен"), Required::Exactly(lits(&["ящик переполнен"])));
        assert_eq!(req("Σ"), Required::Exactly(lits(&["σ"])));
        let p = Prefilter::new(&[&req("ящик переполнен"), &req("Größe"), &req("(?-i)ящик")]);
        let mut bits = Vec::new();
        p.candidates("550 ЯЩИК ПЕРЕПОЛНЕН", &mut bits);
        assert_eq!(bits, vec![0b101]);
        p.candidates("GRÖSSE überschritten, GRÖßE", &mut bits);
        assert_eq!(bits, vec![0b010]);
        p.candidates("λ ящик", &mut bits);
        assert_eq!(bits, vec![0b100]);
        // A case-sensitive Cyrillic literal is only required: `ЯЩИК` is a hit but no match.
        assert!(p.is_exact(0) && p.is_exact(1) && !p.is_exact(2));
        // ASCII letters are lowered, other letters folded, caseless ones kept.
        let mut buf = Vec::new();
        fold_text_into("550 USER Unknown", &mut buf);
        assert_eq!(buf, b"550 user unknown");
        fold_text_into("550 User unknown 宛先不明 ЯЩИК ſ ς", &mut buf);
        assert_eq!(String::from_utf8(buf).unwrap(), "550 user unknown 宛先不明 ящик s σ");
    }

    #[test]
    fn plain_phrases_skip_the_parser_with_the_same_literals() {
        let mut phrases: Vec<String> = [
            "user unknown",
            "Mailbox FULL 5.2.2",
            "ящик переполнен",
            "ΣΟΦΙΑ ς",
            "Größe überschritten ẞ",
            "DİYARBAKIR ı",
            "宛先不明",
            "x-y_z: <a@b> #1 ~ok` 100% & 'q' \"r\"; a/b! c=d",
            "\u{212A}elvin \u{17F}",
            "ǅemal ǈ",
        ]
        .map(String::from)
        .to_vec();
        // Every letter and digit, between ASCII letters and alone with a neighbour of its own.
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|c| c.is_alphanumeric()) {
            phrases.push(format!("a{c}b"));
            phrases.push(format!("{c}{c}"));
        }
        let mut fast = 0;
        for p in &phrases {
            if let Some(f) = plain_phrase(p) {
                assert_eq!(f, req(p), "{p:?}");
                fast += 1;
            }
        }
        assert!(fast >= phrases.len() - 2, "{fast} of {}", phrases.len());
        // Metacharacters, a literal too short or too long to be exact: parsed.
        for p in ["a.b", "a|b", "a(b)", "x\\by", "a", "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m"] {
            assert!(plain_phrase(p).is_none(), "{p}");
        }
    }
}
