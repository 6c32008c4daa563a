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
        message: String,
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

/// Rewrites `\b` and `\B` into their ASCII forms. Unicode word boundaries make
/// the lazy DFA give up on any non-ASCII text and fall back on a far slower
/// engine (measured: 40x slower on the dev corpus); in bounce texts a word
/// boundary next to an ASCII word is what rules mean anyway.
pub fn ascii_word_boundaries(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains("\\b") && !pattern.contains("\\B") {
        return std::borrow::Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Compiles one pattern the way the classifier does (case-insensitive, size-limited).
pub fn compile_pattern(pattern: &str) -> Result<Regex, RuleProblem> {
    // Report syntax errors against the pattern as written, not the rewrite.
    if let Some(p) = syntax_problem(pattern) {
        return Err(p);
    }
    RegexBuilder::new(&ascii_word_boundaries(pattern))
        .case_insensitive(true)
        .size_limit(RULE_SIZE_LIMIT)
        .dfa_size_limit(RULE_DFA_LIMIT)
        .build()
        .map_err(|e| regex_problem(pattern, &e))
}

fn syntax_problem(pattern: &str) -> Option<RuleProblem> {
    let (message, byte) = match regex_syntax::Parser::new().parse(pattern) {
        Ok(_) => return None,
        Err(regex_syntax::Error::Parse(pe)) => (pe.kind().to_string(), Some(pe.span().start.offset)),
        Err(regex_syntax::Error::Translate(te)) => (te.kind().to_string(), Some(te.span().start.offset)),
        Err(e) => (e.to_string(), None),
    };
    // Report the position in characters, not bytes.
    let position = byte.map(|b| pattern[..b.min(pattern.len())].chars().count());
    Some(RuleProblem::InvalidRegex { message, position })
}

fn regex_problem(pattern: &str, e: &regex::Error) -> RuleProblem {
    match e {
        regex::Error::CompiledTooBig(limit) => {
            RuleProblem::InvalidRegex { message: tr_fmt("errors.pattern_too_big", &[("limit", limit)]), position: None }
        }
        _ => syntax_problem(pattern).unwrap_or(RuleProblem::InvalidRegex { message: e.to_string(), position: None }),
    }
}
