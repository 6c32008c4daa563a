//! A rule's pattern cut into its top-level alternatives ("pieces"), each
//! compiled once per distinct text.
//!
//! Why: compiling a regex costs about a millisecond for the multilingual
//! default rules, and most alternatives are plain phrases the prefilter
//! decides alone. Cut at the top-level `|`, a pattern's phrases need no regex
//! (built on first use only, for a span), and an alternative shared by many
//! rules (variants of one rule, imports) is compiled once. A rule matches when
//! one of its pieces does, and its match is the leftmost piece match, the
//! earlier piece on a tie: exactly the leftmost-first match of the whole
//! alternation, since nothing follows a top-level alternative.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use rayon::prelude::*;
use regex_automata::meta;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_syntax::hir::Hir;

use super::pattern::{RULE_DFA_LIMIT, RULE_SIZE_LIMIT, RegexMessage, RuleProblem, ascii_boundaries_in, parse_problem};
use super::prefilter::{self, Required};

/// Memory all the pieces of one rule may use together once compiled (each
/// piece's program is limited by [`RULE_SIZE_LIMIT`]): a pattern of many large
/// alternatives fails cleanly too.
pub const RULE_TOTAL_LIMIT: usize = 16 * RULE_SIZE_LIMIT;

/// One compiled alternative.
pub(super) struct Piece {
    /// What the prefilter needs of it.
    pub required: Required,
    /// The one ASCII literal whose occurrences are exactly the piece's
    /// matches, when it is one (most phrases): see [`Piece::find_ascii`].
    literal: Option<Box<[u8]>>,
    /// The piece's text, kept while the regex is not built (exact pieces:
    /// parsed again on first use, which few pieces see).
    text: Option<Box<str>>,
    /// Built at compile time, except for exact pieces: on first use (a span).
    regex: OnceLock<Option<meta::Regex>>,
}

impl Piece {
    /// The regex (None only if an exact piece failed to build, which its
    /// size cannot cause: it is a few literal strings).
    pub fn regex(&self) -> Option<&meta::Regex> {
        self.regex.get_or_init(|| self.text.as_deref().and_then(|t| build(&parse(t)?).ok())).as_ref()
    }

    /// Where the piece first matches.
    pub fn find(&self, text: &str) -> Option<Range<usize>> {
        self.regex()?.find(text).map(|m| m.range())
    }

    /// Where the piece first matches in an ASCII `text`, without a regex:
    /// the first occurrence of its literal, ASCII case folded (in ASCII text
    /// the case-insensitive pattern matches exactly there). None when the
    /// piece is not one ASCII literal, or the literal does not occur.
    pub fn find_ascii(&self, text: &[u8]) -> Option<Range<usize>> {
        let lit = self.literal.as_deref()?;
        let (&head, rest) = lit.split_first()?;
        let mut at = 0;
        while let Some(p) = memchr::memchr2(head, head.to_ascii_uppercase(), &text[at..]) {
            let start = at + p;
            let end = start + lit.len();
            if end > text.len() {
                return None;
            }
            if text[start + 1..end].eq_ignore_ascii_case(rest) {
                return Some(start..end);
            }
            at = start + 1;
        }
        None
    }
}

impl Piece {
    /// A piece the prefilter decides alone: its regex is built on first use.
    fn exact(required: Required, text: &str) -> Piece {
        let literal = match &required {
            Required::Exactly(set) if set.len() == 1 && set[0].is_ascii() => Some(set[0].clone().into_boxed_slice()),
            _ => None,
        };
        Piece { required, literal, text: Some(text.into()), regex: OnceLock::new() }
    }
}

/// A piece's case-insensitive syntax tree.
fn parse(text: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new().case_insensitive(true).build().parse(text).ok()
}

fn build(hir: &Hir) -> Result<meta::Regex, Box<meta::BuildError>> {
    // The same configuration `regex::RegexBuilder` gives (leftmost-first, UTF-8
    // empty matches), minus the capture groups nobody reads.
    let config = meta::Config::new()
        .match_kind(regex_automata::MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .nfa_size_limit(Some(RULE_SIZE_LIMIT))
        .hybrid_cache_capacity(RULE_DFA_LIMIT)
        .which_captures(WhichCaptures::Implicit);
    meta::Builder::new().configure(config).build_from_hir(hir).map_err(Box::new)
}

/// Every distinct piece of a rule set, compiled once.
#[derive(Default)]
pub(super) struct Pieces {
    pub list: Vec<Piece>,
    /// Piece text (ASCII word boundaries applied) → index in `list`, or why it does not compile.
    by_text: HashMap<String, Result<u32, RuleProblem>>,
    /// Pieces built ahead by [`Pieces::build`], not yet taken by [`Pieces::add`].
    ready: HashMap<String, Result<Piece, PieceError>>,
}

/// The new pieces of some patterns, parsed ([`Pieces::analyze`]) but not built.
pub(super) struct Ahead {
    texts: Vec<String>,
    analyses: Vec<Result<Analysis, PieceError>>,
    /// Per pattern, its pieces as indices into `texts` (`None`: seen before the analysis).
    patterns: Vec<Vec<Option<usize>>>,
}

impl Ahead {
    /// What the prefilter will be given if every pattern compiles (and every
    /// rule is kept): each pattern's distinct pieces' requirements in order, as
    /// [`Pieces::add`] lists them. `None` when a piece was seen before the
    /// analysis (its requirement is not here).
    pub fn required_if_all_compile(&self) -> Option<Vec<Required>> {
        let mut out = Vec::new();
        for pieces in &self.patterns {
            let mut mine: Vec<usize> = Vec::with_capacity(pieces.len());
            for &t in pieces {
                let t = t?;
                match &self.analyses[t] {
                    // Only a syntax error fails a piece before it is built: the rule is left out.
                    Err(_) => {
                        mine.clear();
                        break;
                    }
                    Ok(_) if mine.contains(&t) => {}
                    Ok(_) => mine.push(t),
                }
            }
            out.extend(mine.into_iter().filter_map(|t| match &self.analyses[t] {
                Ok(Analysis::Exact(r) | Analysis::Regex(r, _)) => Some(r.clone()),
                Err(_) => None,
            }));
        }
        Some(out)
    }
}

impl Pieces {
    /// Parses the pieces of `patterns` not seen before on every core, and
    /// finds what the prefilter needs of each; [`Pieces::build`] then builds
    /// their regexes, for [`Pieces::add`] to take in order. Building the
    /// regexes is most of a rule set's compile time (the default rules: ~440 M
    /// of ~920 M instructions) and each piece builds alone; between the two
    /// steps the caller can start the prefilter. The results are the ones
    /// `add` would compute itself; errors become messages there, in the
    /// caller's language (the worker threads have their own).
    pub fn analyze(&self, patterns: &[&str]) -> Ahead {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut texts = Vec::new();
        let mut per_pattern = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let (ranges, boundaries) = split(pattern);
            let mut mine = Vec::with_capacity(ranges.len());
            for range in ranges {
                let text = rewrite(pattern, range, &boundaries);
                if self.by_text.contains_key(&text) || self.ready.contains_key(&text) {
                    mine.push(None);
                    continue;
                }
                let next = texts.len();
                let t = *index.entry(text.clone()).or_insert(next);
                if t == next {
                    texts.push(text);
                }
                mine.push(Some(t));
            }
            per_pattern.push(mine);
        }
        let analyses = texts.par_iter().map(|t| analyze_piece(t)).collect();
        Ahead { texts, analyses, patterns: per_pattern }
    }

    /// Builds, on every core, the regexes of the pieces `ahead` parsed.
    pub fn build(&mut self, ahead: Ahead) {
        let built: Vec<_> =
            ahead.texts.par_iter().zip(ahead.analyses).map(|(text, analysis)| analysis.and_then(|a| finish_piece(text, a))).collect();
        self.ready.extend(ahead.texts.into_iter().zip(built));
    }

    /// Compiles `pattern`'s pieces (reusing those seen before); their indices in order.
    pub fn add(&mut self, pattern: &str) -> Result<Vec<u32>, RuleProblem> {
        let (ranges, boundaries) = split(pattern);
        let mut out = Vec::with_capacity(ranges.len());
        let mut memory = 0usize;
        for range in ranges {
            let text = rewrite(pattern, range.clone(), &boundaries);
            let idx = match self.by_text.get(text.as_str()) {
                Some(r) => r.clone(),
                None => {
                    let r = self.ready.remove(&text).unwrap_or_else(|| compile_piece(&text)).map_err(|e| match e {
                        PieceError::Syntax => branch_problem(pattern, range.clone()),
                        PieceError::TooBig(limit) => too_big(limit),
                        PieceError::Invalid(message) => {
                            RuleProblem::InvalidRegex { message: RegexMessage::Library(message), position: None }
                        }
                    });
                    let r = r.map(|p| {
                        self.list.push(p);
                        (self.list.len() - 1) as u32
                    });
                    self.by_text.insert(text, r.clone());
                    r
                }
            }?;
            if !out.contains(&idx) {
                memory += self.list[idx as usize].regex.get().and_then(Option::as_ref).map_or(0, meta::Regex::memory_usage);
                out.push(idx);
            }
        }
        if memory > RULE_TOTAL_LIMIT {
            return Err(too_big(RULE_TOTAL_LIMIT));
        }
        Ok(out)
    }
}

/// Why a piece does not compile, before it is put in words (see [`Pieces::analyze`]).
enum PieceError {
    /// Parse or translation error: reported against the pattern as written.
    Syntax,
    /// Its program is over this size limit.
    TooBig(usize),
    /// The regex library's own message.
    Invalid(String),
}

fn too_big(limit: usize) -> RuleProblem {
    RuleProblem::InvalidRegex { message: RegexMessage::TooBig(limit), position: None }
}

/// A piece's requirements, and its syntax tree when it needs a regex.
enum Analysis {
    /// The prefilter decides it alone: its regex is built on first use.
    Exact(Required),
    Regex(Required, Box<Hir>),
}

fn analyze_piece(text: &str) -> Result<Analysis, PieceError> {
    // A plain phrase (most rules of a large import) is neither parsed nor compiled.
    if let Some(required) = prefilter::plain_phrase(text) {
        return Ok(Analysis::Exact(required));
    }
    let hir = parse(text).ok_or(PieceError::Syntax)?;
    Ok(match prefilter::required(&hir) {
        required @ Required::Exactly(_) => Analysis::Exact(required),
        required => Analysis::Regex(required, Box::new(hir)),
    })
}

fn finish_piece(text: &str, analysis: Analysis) -> Result<Piece, PieceError> {
    match analysis {
        Analysis::Exact(required) => Ok(Piece::exact(required, text)),
        Analysis::Regex(required, hir) => {
            let re = build(&hir).map_err(|e| match e.size_limit() {
                Some(limit) => PieceError::TooBig(limit),
                None => PieceError::Invalid(e.to_string()),
            })?;
            Ok(Piece { required, literal: None, text: None, regex: OnceLock::from(Some(re)) })
        }
    }
}

fn compile_piece(text: &str) -> Result<Piece, PieceError> {
    analyze_piece(text).and_then(|a| finish_piece(text, a))
}

/// The error of the alternative at `range` as written, positioned in the whole pattern.
fn branch_problem(pattern: &str, range: Range<usize>) -> RuleProblem {
    let branch = &pattern[range.clone()];
    match regex_syntax::ParserBuilder::new().case_insensitive(true).build().parse(branch) {
        Err(e) => match parse_problem(branch, &e) {
            RuleProblem::InvalidRegex { message, position } => {
                let before = pattern[..range.start].chars().count();
                RuleProblem::InvalidRegex { message, position: position.map(|p| p + before) }
            }
            p => p,
        },
        // Only the ASCII rewrite failed (not expected): say so without a position.
        Ok(_) => RuleProblem::InvalidRegex {
            message: RegexMessage::Syntax(regex_syntax::ast::ErrorKind::SpecialWordBoundaryUnrecognized),
            position: None,
        },
    }
}

/// `(start, end, negated)` of a `\b` / `\B` to make ASCII.
type Boundary = (usize, usize, bool);

/// The byte ranges of the top-level alternatives, and the `\b`/`\B` to make ASCII
/// (see [`super::ascii_word_boundaries`]). One range (the whole pattern) when
/// it is not an alternation, does not parse, or sets flags at the top level
/// (`a(?i)b|c`: the flag reaches the next alternatives).
fn split(pattern: &str) -> (Vec<Range<usize>>, Vec<Boundary>) {
    use regex_syntax::ast::Ast;
    let whole = std::iter::once(0..pattern.len()).collect();
    if prefilter::is_plain(pattern) {
        return (whole, Vec::new());
    }
    let Ok(tree) = regex_syntax::ast::parse::Parser::new().parse(pattern) else {
        return (whole, Vec::new());
    };
    let mut boundaries = Vec::new();
    if pattern.contains("\\b") || pattern.contains("\\B") {
        ascii_boundaries_in(&tree, &mut boundaries);
        boundaries.sort_unstable();
    }
    let Ast::Alternation(alt) = &tree else {
        return (whole, boundaries);
    };
    let sets_flags = |a: &Ast| match a {
        Ast::Flags(_) => true,
        Ast::Concat(c) => c.asts.iter().any(|x| matches!(x, Ast::Flags(_))),
        _ => false,
    };
    if alt.asts.iter().any(sets_flags) {
        return (whole, boundaries);
    }
    (alt.asts.iter().map(|a| a.span().start.offset..a.span().end.offset).collect(), boundaries)
}

/// `pattern[range]` with the word boundaries inside it made ASCII.
fn rewrite(pattern: &str, range: Range<usize>, boundaries: &[Boundary]) -> String {
    let mut out = String::with_capacity(range.len() + 8);
    let mut at = range.start;
    for &(start, end, negated) in boundaries.iter().filter(|b| b.0 >= range.start && b.1 <= range.end) {
        out.push_str(&pattern[at..start]);
        out.push_str(if negated { "(?-u:\\B)" } else { "(?-u:\\b)" });
        at = end;
    }
    out.push_str(&pattern[at..range.end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &str) -> Vec<String> {
        let (ranges, b) = split(p);
        ranges.into_iter().map(|r| rewrite(p, r, &b)).collect()
    }

    #[test]
    fn patterns_split_at_top_level_alternatives_only() {
        assert_eq!(texts(r"quota|\bover\b (quota|limit)|"), ["quota", r"(?-u:\b)over(?-u:\b) (quota|limit)", ""]);
        assert_eq!(texts("(a|b)c"), ["(a|b)c"]);
        // A flag set in one alternative applies to the next ones: not cut.
        assert_eq!(texts("(?-i)A|b"), ["(?-i)A|b"]);
        assert_eq!(texts("x(?-i)A|b"), ["x(?-i)A|b"]);
        assert_eq!(texts("a|(?-i:B)"), ["a", "(?-i:B)"]);
        assert_eq!(texts("(unclosed|x"), ["(unclosed|x"]);
    }

    #[test]
    fn shared_pieces_compile_once_and_errors_point_into_the_pattern() {
        let mut p = Pieces::default();
        let a = p.add(r"user unknown|\bno such user\b").expect("valid");
        let b = p.add(r"\bno such user\b|variant 7").expect("valid");
        assert_eq!(a[1], b[0]);
        assert_eq!(p.list.len(), 3);
        let exact = |i: u32| matches!(p.list[i as usize].required, Required::Exactly(_));
        assert!(exact(a[0]) && !exact(a[1]));
        // Only the exact piece's regex is not built yet.
        assert!(p.list[a[0] as usize].regex.get().is_none() && p.list[a[1] as usize].regex.get().is_some());
        assert_eq!(p.list[a[0] as usize].find("550 User Unknown"), Some(4..16));
        // Positions count characters of the whole pattern, as for the pattern compiled whole.
        for bad in [r"fine|x{2,1}", r"fine|ящик|\p{Foo}", r"(fine|\p{Foo})"] {
            let whole = super::super::compile_pattern(bad).err();
            assert!(whole.is_some());
            assert_eq!(p.add(bad).err(), whole, "{bad}");
        }
        assert!(p.add(r"ok|(\w{100}){100}").is_err());
    }

    #[test]
    fn pieces_compiled_ahead_give_what_add_gives_in_the_callers_language() {
        let ko = crate::i18n::Lang::from_code("ko").expect("a catalogue");
        let before = crate::i18n::Lang::current();
        ko.make_current();
        let patterns = [
            r"user unknown|\bno such user\b",
            r"\bno such user\b|variant 7",
            r"fine|x{2,1}",
            r"fine|ящик|\p{Foo}",
            r"ok|(\w{100}){100}",
            "a(b|c)d",
            "a(b|c)d",
        ];
        let (mut plain, mut ahead) = (Pieces::default(), Pieces::default());
        let parsed = ahead.analyze(&patterns);
        let guess = parsed.required_if_all_compile().expect("every piece is new");
        ahead.build(parsed);
        assert!(!ahead.ready.is_empty());
        for p in patterns {
            assert_eq!(ahead.add(p), plain.add(p), "{p}");
        }
        let too_big = ahead.add(r"ok|(\w{100}){100}").expect_err("over the limit");
        // Worded when shown, in the language current then.
        assert!(matches!(too_big, RuleProblem::InvalidRegex { message: RegexMessage::TooBig(_), .. }), "{too_big:?}");
        assert!(too_big.to_string().contains("컴파일하면"), "{too_big}");
        before.make_current();
        assert!(too_big.to_string().contains("once compiled"), "{too_big}");
        assert_eq!(ahead.list.len(), plain.list.len());
        assert!(ahead.ready.is_empty(), "every piece compiled ahead was taken");
        // The guess lists the pieces of the patterns that parse: the one too big too (it fails only when built).
        assert_eq!(guess.len(), 2 + 2 + 2 + 1 + 1);
    }

    #[test]
    fn the_guess_is_what_add_lists_when_every_pattern_compiles() {
        let patterns = [r"user unknown|\bno such user\b", r"\bno such user\b|variant 7|user unknown", "a(b|c)d", "a(b|c)d", r"fine|x{2,1}"];
        let mut p = Pieces::default();
        let parsed = p.analyze(&patterns);
        let guess = parsed.required_if_all_compile().expect("every piece is new");
        p.build(parsed);
        let ids: Vec<u32> = patterns.iter().filter_map(|pat| p.add(pat).ok()).flatten().collect();
        let listed: Vec<Required> = ids.iter().map(|&i| p.list[i as usize].required.clone()).collect();
        assert_eq!(listed.len(), 2 + 3 + 1 + 1);
        assert_eq!(guess, listed);
        // Pieces seen before an analysis make no guess.
        assert!(p.analyze(&["user unknown|new piece"]).required_if_all_compile().is_none());
    }
}
