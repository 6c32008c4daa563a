//! One rule's pattern: how it compiles, and why it may not.

use regex::{Regex, RegexBuilder};

use crate::i18n::{tr, tr_fmt};

/// Compiled program size allowed for one pattern; hostile patterns fail cleanly.
pub const RULE_SIZE_LIMIT: usize = 2 << 20;
/// Lazy DFA cache allowed for one pattern.
pub const RULE_DFA_LIMIT: usize = 16 << 20;

/// Why one rule (or fallback) was left out of the compiled set. Displayed in
/// the current thread's language.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleProblem {
    /// The pattern does not compile.
    InvalidRegex {
        /// What is wrong.
        message: RegexMessage,
        /// Character offset (0-based) of the error in the pattern, when known.
        position: Option<usize>,
    },
    /// The pattern is empty: an unfinished rule, which would otherwise match everything.
    EmptyPattern,
    /// The category id is not defined in the document.
    UnknownCategory(String),
    /// The reason id is not defined in the document.
    UnknownReason(String),
}

/// What is wrong with a pattern that does not compile, worded where it is shown
/// (the compile may run on a worker thread, in no particular language).
#[derive(Clone, Debug, PartialEq)]
pub enum RegexMessage {
    /// The parser's error.
    Syntax(regex_syntax::ast::ErrorKind),
    /// The translator's error (Unicode classes, properties).
    Translate(regex_syntax::hir::ErrorKind),
    /// The compiled program is over this limit (bytes).
    TooBig(usize),
    /// The regex library's own words, for what the kinds above do not cover.
    Library(String),
}

impl std::fmt::Display for RegexMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use regex_syntax::ast::ErrorKind as A;
        use regex_syntax::hir::ErrorKind as H;
        let key = match self {
            RegexMessage::TooBig(limit) => return f.write_str(&tr_fmt("errors.pattern_too_big", &[("limit", limit)])),
            RegexMessage::Library(m) => return f.write_str(m),
            RegexMessage::Syntax(k) => match k {
                A::GroupUnclosed => "regex.group_unclosed",
                A::GroupUnopened => "regex.group_unopened",
                A::ClassUnclosed => "regex.class_unclosed",
                A::ClassRangeInvalid => "regex.class_range_invalid",
                A::ClassEscapeInvalid | A::ClassRangeLiteral => "regex.class_range_literal",
                A::RepetitionMissing => "regex.repetition_missing",
                A::RepetitionCountInvalid => "regex.repetition_count_invalid",
                A::RepetitionCountUnclosed | A::RepetitionCountDecimalEmpty | A::DecimalEmpty | A::DecimalInvalid => {
                    "regex.repetition_count_unclosed"
                }
                A::EscapeUnrecognized => "regex.escape_unrecognized",
                A::EscapeUnexpectedEof => "regex.escape_eof",
                A::EscapeHexEmpty | A::EscapeHexInvalid | A::EscapeHexInvalidDigit => "regex.escape_hex",
                A::UnsupportedBackreference => "regex.backreference",
                A::UnsupportedLookAround => "regex.look_around",
                A::FlagUnrecognized | A::FlagDanglingNegation | A::FlagDuplicate { .. } | A::FlagRepeatedNegation { .. } => "regex.flag",
                A::FlagUnexpectedEof => "regex.flag_eof",
                A::GroupNameDuplicate { .. } | A::GroupNameEmpty | A::GroupNameInvalid | A::GroupNameUnexpectedEof => "regex.group_name",
                A::UnicodeClassInvalid => "regex.unicode_class",
                A::NestLimitExceeded(_) => "regex.nest_limit",
                other => return write!(f, "{other}"),
            },
            RegexMessage::Translate(k) => match k {
                H::UnicodePropertyNotFound | H::UnicodePropertyValueNotFound | H::UnicodePerlClassNotFound => "regex.unicode_class",
                other => return write!(f, "{other}"),
            },
        };
        f.write_str(tr(key))
    }
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display_message())
    }
}

impl std::error::Error for RuleProblem {}

impl RuleProblem {
    /// What is wrong, in the current language.
    pub fn display_message(&self) -> String {
        match self {
            RuleProblem::InvalidRegex { message, position: Some(p) } => {
                tr_fmt("engine.invalid_regex_at", &[("pos", &(p + 1)), ("message", message)])
            }
            RuleProblem::InvalidRegex { message, position: None } => tr_fmt("engine.invalid_regex", &[("message", message)]),
            RuleProblem::EmptyPattern => tr("engine.empty_pattern").to_owned(),
            RuleProblem::UnknownCategory(id) => tr_fmt("engine.unknown_category", &[("id", id)]),
            RuleProblem::UnknownReason(id) => tr_fmt("engine.unknown_reason", &[("id", id)]),
        }
    }
}

/// A problem attached to a place in the document. Its `Display` is for
/// people: the place in the language current when the classifier was built,
/// the problem in the current language.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    /// Where: `bounce rule #3 'name'`, `category 'x'`, `enhanced code fallback #2 '5.1.1'`.
    pub place: String,
    /// Index of the bounce rule, when the problem is a rule's.
    pub rule: Option<usize>,
    /// What.
    pub problem: RuleProblem,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.problem.display_message())
    }
}

/// Rewrites `\b` and `\B` into their ASCII forms where the word they bound is
/// ASCII. Unicode word boundaries make the lazy DFA give up on any non-ASCII
/// text and fall back on a far slower engine (measured: 40x slower on the dev
/// corpus); next to an ASCII atom the two forms agree on every text a rule
/// means. A boundary next to anything else (`\bящик\b`, `\b\d`, `\b(`…`|ящик)`)
/// keeps its Unicode meaning, and the explicit forms (`\b{start}`, `\<`…) are
/// left alone. A pattern that does not parse is returned unchanged.
pub fn ascii_word_boundaries(pattern: &str) -> std::borrow::Cow<'_, str> {
    use regex_syntax::ast;
    if !pattern.contains("\\b") && !pattern.contains("\\B") {
        return std::borrow::Cow::Borrowed(pattern);
    }
    let Ok(tree) = ast::parse::Parser::new().parse(pattern) else {
        return std::borrow::Cow::Borrowed(pattern);
    };
    let mut spans = Vec::new();
    ascii_boundaries_in(&tree, &mut spans);
    if spans.is_empty() {
        return std::borrow::Cow::Borrowed(pattern);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(pattern.len() + 8 * spans.len());
    let mut at = 0;
    for (start, end, negated) in spans {
        out.push_str(&pattern[at..start]);
        out.push_str(if negated { "(?-u:\\B)" } else { "(?-u:\\b)" });
        at = end;
    }
    out.push_str(&pattern[at..]);
    std::borrow::Cow::Owned(out)
}

/// Collects `(start, end, negated)` of the `\b` / `\B` to make ASCII.
pub(super) fn ascii_boundaries_in(a: &regex_syntax::ast::Ast, out: &mut Vec<(usize, usize, bool)>) {
    use regex_syntax::ast::{AssertionKind, Ast};
    match a {
        Ast::Concat(c) => {
            // Zero-width flag settings are not neighbours.
            let items: Vec<&Ast> = c.asts.iter().filter(|x| !matches!(x, Ast::Flags(_) | Ast::Empty(_))).collect();
            for (k, item) in items.iter().enumerate() {
                if let Ast::Assertion(x) = item
                    && matches!(x.kind, AssertionKind::WordBoundary | AssertionKind::NotWordBoundary)
                {
                    let left = k.checked_sub(1).map(|j| ascii_edge(items[j], false));
                    let right = items.get(k + 1).map(|n| ascii_edge(n, true));
                    // Next to an ASCII atom on either side the rule means an ASCII word's
                    // edge ("DNS\b" before Chinese text); between non-ASCII atoms
                    // (`\bящик\b`) it keeps its Unicode meaning.
                    let ascii = left == Some(true) || right == Some(true);
                    if ascii {
                        out.push((x.span.start.offset, x.span.end.offset, x.kind == AssertionKind::NotWordBoundary));
                    }
                } else {
                    ascii_boundaries_in(item, out);
                }
            }
        }
        Ast::Alternation(x) => x.asts.iter().for_each(|b| ascii_boundaries_in(b, out)),
        Ast::Group(g) => ascii_boundaries_in(&g.ast, out),
        Ast::Repetition(r) => ascii_boundaries_in(&r.ast, out),
        _ => {}
    }
}

/// Whether the first (`first`) or last character any match of `a` has is
/// certainly ASCII. Conservative: false when unsure.
fn ascii_edge(a: &regex_syntax::ast::Ast, first: bool) -> bool {
    use regex_syntax::ast::{Ast, RepetitionKind, RepetitionRange};
    match a {
        Ast::Literal(l) => l.c.is_ascii(),
        Ast::ClassBracketed(c) => !c.negated && ascii_class(&c.kind),
        Ast::Group(g) => ascii_edge(&g.ast, first),
        Ast::Alternation(x) => x.asts.iter().all(|b| ascii_edge(b, first)),
        Ast::Concat(c) => {
            let mut items = c.asts.iter().filter(|x| !matches!(x, Ast::Flags(_) | Ast::Empty(_)));
            let edge = if first { items.next() } else { items.next_back() };
            edge.is_some_and(|x| ascii_edge(x, first))
        }
        Ast::Repetition(r) => {
            let min = match &r.op.kind {
                RepetitionKind::ZeroOrOne | RepetitionKind::ZeroOrMore => 0,
                RepetitionKind::OneOrMore => 1,
                RepetitionKind::Range(RepetitionRange::Exactly(n) | RepetitionRange::AtLeast(n) | RepetitionRange::Bounded(n, _)) => *n,
            };
            min > 0 && ascii_edge(&r.ast, first)
        }
        _ => false,
    }
}

fn ascii_class(set: &regex_syntax::ast::ClassSet) -> bool {
    use regex_syntax::ast::{ClassSet, ClassSetItem};
    fn item(i: &ClassSetItem) -> bool {
        match i {
            ClassSetItem::Literal(l) => l.c.is_ascii(),
            ClassSetItem::Range(r) => r.start.c.is_ascii() && r.end.c.is_ascii(),
            ClassSetItem::Ascii(a) => !a.negated,
            ClassSetItem::Bracketed(b) => !b.negated && ascii_class(&b.kind),
            ClassSetItem::Union(u) => u.items.iter().all(item),
            _ => false,
        }
    }
    match set {
        ClassSet::Item(i) => item(i),
        ClassSet::BinaryOp(_) => false,
    }
}

/// Compiles one pattern the way the classifier does (case-insensitive,
/// size-limited), whole: the classifier itself compiles it cut at its
/// top-level alternatives (same matches).
pub fn compile_pattern(pattern: &str) -> Result<Regex, RuleProblem> {
    // Report syntax errors against the pattern as written, not the rewrite.
    if let Err(e) = regex_syntax::ParserBuilder::new().case_insensitive(true).build().parse(pattern) {
        return Err(parse_problem(pattern, &e));
    }
    RegexBuilder::new(&ascii_word_boundaries(pattern))
        .case_insensitive(true)
        .size_limit(RULE_SIZE_LIMIT)
        .dfa_size_limit(RULE_DFA_LIMIT)
        .build()
        .map_err(|e| regex_problem(pattern, &e))
}

fn syntax_problem(pattern: &str) -> Option<RuleProblem> {
    regex_syntax::Parser::new().parse(pattern).err().map(|e| parse_problem(pattern, &e))
}

pub(super) fn parse_problem(pattern: &str, e: &regex_syntax::Error) -> RuleProblem {
    let (message, byte) = match e {
        regex_syntax::Error::Parse(pe) => (RegexMessage::Syntax(pe.kind().clone()), Some(pe.span().start.offset)),
        regex_syntax::Error::Translate(te) => (RegexMessage::Translate(te.kind().clone()), Some(te.span().start.offset)),
        e => (RegexMessage::Library(e.to_string()), None),
    };
    // Report the position in characters, not bytes.
    let position = byte.map(|b| pattern[..b.min(pattern.len())].chars().count());
    RuleProblem::InvalidRegex { message, position }
}

fn regex_problem(pattern: &str, e: &regex::Error) -> RuleProblem {
    match e {
        regex::Error::CompiledTooBig(limit) => RuleProblem::InvalidRegex { message: RegexMessage::TooBig(*limit), position: None },
        _ => syntax_problem(pattern).unwrap_or(RuleProblem::InvalidRegex { message: RegexMessage::Library(e.to_string()), position: None }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_boundaries_next_to_ascii_become_ascii() {
        assert_eq!(ascii_word_boundaries(r"\bfoo\b"), r"(?-u:\b)foo(?-u:\b)");
        assert_eq!(ascii_word_boundaries(r"\b(user|mailbox)\B"), r"(?-u:\b)(user|mailbox)(?-u:\B)");
        assert_eq!(ascii_word_boundaries(r"(?i)\b[a-z]+ x"), r"(?i)(?-u:\b)[a-z]+ x");
        assert_eq!(ascii_word_boundaries(r"a\\b"), r"a\\b");
    }

    #[test]
    fn other_word_boundaries_keep_their_meaning() {
        for p in [r"\bящик\b", r"\b\d+", r"\b{start}mail\b{end}", r"\<mail\>", r"\b(ящик|box)", r"\b", r"x|\b", r"\b.x", r"\ba?b"] {
            assert_eq!(ascii_word_boundaries(p), p);
        }
        assert_eq!(ascii_word_boundaries(r"\b5\.1\.1\b|\bящик\b"), r"(?-u:\b)5\.1\.1(?-u:\b)|\bящик\b");
    }

    #[test]
    fn unicode_words_and_explicit_boundaries_match() {
        let re = compile_pattern(r"\bящик\b").expect("compiles");
        assert!(re.is_match("ваш ящик переполнен"));
        assert!(!re.is_match("ваш ящикпереполнен"));
        let re = compile_pattern(r"\b{start}mail").expect("\\b{start} is valid");
        assert!(re.is_match("a mail box") && !re.is_match("email"));
        let re = compile_pattern(r"\bbox\b").expect("compiles");
        assert!(re.is_match("mail box full") && !re.is_match("mailbox"));
    }
}
