//! Reading RON documents (rule sets, scenarios): size-capped, UTF-8 only (a
//! BOM is accepted), unknown fields refused, parser errors said in the
//! product's words with file:line:column.

use std::path::{Path, PathBuf};

use crate::engine::fsio::{self, ReadError};
use crate::i18n::{tr, tr_fmt, tr_n};

/// Why a rule set (or scenario) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read (missing, too large, a folder...).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The file is not UTF-8 text.
    #[error("{}", tr_fmt("files.not_utf8", &[("path", &.path.display()), ("line", .line), ("column", .column), ("offset", .offset)]))]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
        /// 0-based byte offset of the first invalid byte.
        offset: usize,
    },
    /// The RON text is malformed or does not fit the document.
    #[error("{path}:{line}:{column}: {problem}")]
    Syntax {
        /// The file (or `<text>`).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        problem: RonProblem,
    },
    /// The file is from a newer bouncelab.
    #[error("{}", tr_fmt("errors.load_version", &[("path", &.path.display()), ("found", .found), ("supported", &super::FORMAT_VERSION)]))]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
    },
}

/// What is wrong in a RON document, independent of the parser's wording.
#[derive(Clone, Debug, PartialEq)]
pub enum RonProblem {
    /// A field the document does not have (a typo is never silently dropped).
    UnknownField {
        /// The field written.
        found: String,
        /// The struct it was found in.
        outer: Option<String>,
        /// The nearest known field, when close enough to be a typo.
        suggestion: Option<&'static str>,
        /// The known fields.
        expected: &'static [&'static str],
    },
    /// A value name (enum variant) the document does not know.
    UnknownValue {
        /// The name written.
        found: String,
        /// The nearest known name, when close enough to be a typo.
        suggestion: Option<&'static str>,
        /// The known names.
        expected: &'static [&'static str],
    },
    /// A required field is missing.
    MissingField(&'static str, Option<String>),
    /// A field is given twice.
    DuplicateField(&'static str),
    /// A value of the wrong kind (serde's wording of both sides).
    WrongType {
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A list of the wrong length.
    WrongLength {
        /// What was expected.
        expected: String,
        /// Elements found.
        found: usize,
    },
    /// A punctuation token was expected, e.g. `,` or `)`.
    ExpectedToken(&'static str),
    /// A kind of value was expected.
    Expected(ExpectedKind),
    /// `Foo(...)` where `Bar(...)` was expected.
    WrongName {
        /// The struct expected.
        expected: &'static str,
        /// The name found.
        found: String,
    },
    /// The text ends inside a value.
    UnexpectedEnd,
    /// Text after the end of the document.
    TrailingText,
    /// A character that cannot start anything here.
    UnexpectedChar(char),
    /// A number too large or too small for its field.
    NumberOutOfRange,
    /// A malformed number.
    BadNumber,
    /// A malformed escape sequence in a string.
    BadEscape,
    /// A `/*` comment is never closed.
    UnclosedComment,
    /// The string is never closed.
    UnclosedString,
    /// Nesting deeper than the parser allows.
    TooDeep,
    /// A value the document refused (message from the document's own checks).
    Invalid(String),
    /// Anything else the parser reports.
    Syntax,
}

/// Kinds of value the parser may expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedKind {
    /// `"..."`.
    String,
    /// An integer or a float.
    Number,
    /// `true` / `false`.
    Boolean,
    /// A field or value name.
    Name,
    /// `Some(...)` / `None`.
    Option,
    /// `()`.
    Unit,
    /// `'c'`.
    Char,
}

impl std::fmt::Display for RonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hint = |s: Option<&str>, expected: &[&str]| match s {
            Some(s) => format!("; {}", tr_fmt("files.ron_did_you_mean", &[("name", &s)])),
            None if expected.is_empty() => String::new(),
            None => format!("; {}", tr_fmt("files.ron_known", &[("list", &quoted_list(expected))])),
        };
        let text = match self {
            RonProblem::UnknownField { found, outer, suggestion, expected } => {
                let head = match outer {
                    Some(o) => tr_fmt("files.ron_unknown_field_in", &[("found", found), ("outer", o)]),
                    None => tr_fmt("files.ron_unknown_field", &[("found", found)]),
                };
                head + &hint(*suggestion, expected)
            }
            RonProblem::UnknownValue { found, suggestion, expected } => {
                tr_fmt("files.ron_unknown_value", &[("found", found)]) + &hint(*suggestion, expected)
            }
            RonProblem::MissingField(field, Some(o)) => tr_fmt("files.ron_missing_field_in", &[("field", field), ("outer", o)]),
            RonProblem::MissingField(field, None) => tr_fmt("files.ron_missing_field", &[("field", field)]),
            RonProblem::DuplicateField(field) => tr_fmt("files.ron_duplicate_field", &[("field", field)]),
            RonProblem::WrongType { expected, found } => tr_fmt("files.ron_wrong_type", &[("expected", expected), ("found", found)]),
            RonProblem::WrongLength { expected, found } => match counted(expected) {
                // serde says "an array of length 6": only the number is kept, said in our words.
                Some(want) => tr_n("files.ron_wrong_count", want, &[("found", found)]),
                None => tr_n("files.ron_wrong_length", *found, &[("expected", expected)]),
            },
            RonProblem::ExpectedToken(t) => tr_fmt("files.ron_expected_token", &[("token", t)]),
            RonProblem::Expected(k) => tr(match k {
                ExpectedKind::String => "files.ron_expected_string",
                ExpectedKind::Number => "files.ron_expected_number",
                ExpectedKind::Boolean => "files.ron_expected_boolean",
                ExpectedKind::Name => "files.ron_expected_name",
                ExpectedKind::Option => "files.ron_expected_option",
                ExpectedKind::Unit => "files.ron_expected_unit",
                ExpectedKind::Char => "files.ron_expected_char",
            })
            .to_owned(),
            RonProblem::WrongName { expected, found } => tr_fmt("files.ron_wrong_name", &[("expected", expected), ("found", found)]),
            RonProblem::UnexpectedEnd => tr("files.ron_eof").to_owned(),
            RonProblem::TrailingText => tr("files.ron_trailing").to_owned(),
            RonProblem::UnexpectedChar(c) => tr_fmt("files.ron_unexpected_char", &[("char", &format!("{c:?}"))]),
            RonProblem::NumberOutOfRange => tr("files.ron_number_range").to_owned(),
            RonProblem::BadNumber => tr("files.ron_bad_number").to_owned(),
            RonProblem::BadEscape => tr("files.ron_bad_escape").to_owned(),
            RonProblem::UnclosedComment => tr("files.ron_unclosed_comment").to_owned(),
            RonProblem::UnclosedString => tr("files.ron_unclosed_string").to_owned(),
            RonProblem::TooDeep => tr("files.ron_too_deep").to_owned(),
            RonProblem::Invalid(m) => tr_fmt("files.ron_invalid", &[("message", m)]),
            RonProblem::Syntax => tr("files.ron_syntax").to_owned(),
        };
        f.write_str(&text)
    }
}

/// The number in serde's "an array of length 6" / "a tuple of size 2".
fn counted(expected: &str) -> Option<usize> {
    expected.rsplit(' ').next()?.parse().ok()
}

fn quoted_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// The known name nearest to `found`, if it is close enough to be a typo
/// (at most a third of its letters differ, at least one may).
pub fn nearest(found: &str, known: &'static [&'static str]) -> Option<&'static str> {
    let max = (found.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&found.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

impl From<ron::error::Error> for RonProblem {
    fn from(e: ron::error::Error) -> RonProblem {
        use ron::error::Error as E;
        match e {
            E::NoSuchStructField { expected, found, outer } => {
                RonProblem::UnknownField { suggestion: nearest(&found, expected), found, outer, expected }
            }
            E::NoSuchEnumVariant { expected, found, .. } => {
                RonProblem::UnknownValue { suggestion: nearest(&found, expected), found, expected }
            }
            E::MissingStructField { field, outer } => RonProblem::MissingField(field, outer),
            E::DuplicateStructField { field, .. } => RonProblem::DuplicateField(field),
            E::InvalidValueForType { expected, found } => RonProblem::WrongType { expected, found },
            E::ExpectedDifferentLength { expected, found } => RonProblem::WrongLength { expected, found },
            E::ExpectedArray => RonProblem::ExpectedToken("["),
            E::ExpectedArrayEnd => RonProblem::ExpectedToken("]"),
            E::ExpectedComma => RonProblem::ExpectedToken(","),
            E::ExpectedMap => RonProblem::ExpectedToken("{"),
            E::ExpectedMapEnd => RonProblem::ExpectedToken("}"),
            E::ExpectedMapColon => RonProblem::ExpectedToken(":"),
            E::ExpectedStructLike | E::ExpectedNamedStructLike(_) => RonProblem::ExpectedToken("("),
            E::ExpectedStructLikeEnd | E::ExpectedOptionEnd | E::ExpectedAttributeEnd => RonProblem::ExpectedToken(")"),
            E::ExpectedString | E::ExpectedByteString => RonProblem::Expected(ExpectedKind::String),
            E::ExpectedInteger | E::ExpectedFloat => RonProblem::Expected(ExpectedKind::Number),
            E::ExpectedBoolean => RonProblem::Expected(ExpectedKind::Boolean),
            E::ExpectedIdentifier | E::InvalidIdentifier(_) | E::SuggestRawIdentifier(_) | E::ExpectedStructName(_) => {
                RonProblem::Expected(ExpectedKind::Name)
            }
            E::ExpectedOption => RonProblem::Expected(ExpectedKind::Option),
            E::ExpectedUnit => RonProblem::Expected(ExpectedKind::Unit),
            E::ExpectedChar | E::ExpectedByteLiteral => RonProblem::Expected(ExpectedKind::Char),
            E::ExpectedStringEnd => RonProblem::UnclosedString,
            E::ExpectedDifferentStructName { expected, found } => RonProblem::WrongName { expected, found },
            E::Eof => RonProblem::UnexpectedEnd,
            E::TrailingCharacters => RonProblem::TrailingText,
            E::UnexpectedChar(c) => RonProblem::UnexpectedChar(c),
            E::IntegerOutOfBounds => RonProblem::NumberOutOfRange,
            E::InvalidIntegerDigit { .. } | E::FloatUnderscore | E::UnderscoreAtBeginning => RonProblem::BadNumber,
            E::InvalidEscape(_) => RonProblem::BadEscape,
            E::UnclosedBlockComment | E::UnclosedLineComment => RonProblem::UnclosedComment,
            E::ExceededRecursionLimit => RonProblem::TooDeep,
            E::Message(m) => RonProblem::Invalid(m),
            _ => RonProblem::Syntax,
        }
    }
}

/// Parses any RON document of the project (rule sets, scenarios), naming
/// `path`, line and column in errors. A leading UTF-8 BOM is skipped.
pub fn parse_ron<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    ron::Options::default().from_str(text).map_err(|e| {
        let mut problem = RonProblem::from(e.code);
        // The parser names the token it wanted next ("expected `,`"); at the
        // very end the true story is a file cut short.
        if problem != RonProblem::TrailingText && at_end(text, e.span.end.line, e.span.end.col) {
            problem = RonProblem::UnexpectedEnd;
        }
        LoadError::Syntax { path: path.to_owned(), line: e.span.start.line, column: e.span.start.col, problem }
    })
}

/// Whether 1-based `line`:`col` is past the last non-blank character of `text`.
fn at_end(text: &str, line: usize, col: usize) -> bool {
    let body = text.trim_end();
    let last_line = body.lines().count().max(1);
    let last_col = body.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col) >= (last_line, last_col)
}

/// `bytes` as text: UTF-8 (a BOM is dropped), else an error naming the first
/// invalid byte. Never replaced with U+FFFD: the next save would write that back.
pub fn decode_utf8(bytes: Vec<u8>, path: &Path) -> Result<String, LoadError> {
    let (bytes, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest.to_vec(), 3),
        None => (bytes, 0),
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let offset = at + bom;
        let at = offset - bom;
        let before = &e.as_bytes()[..at];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // The prefix is valid UTF-8 by construction.
        let column = std::str::from_utf8(&before[line_start..]).map_or(1, |s| s.chars().count() + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        LoadError::NotUtf8 { path: path.to_owned(), line, column, offset }
    })
}

/// Reads a RON document's text: at most [`fsio::MAX_RULE_FILE_BYTES`], UTF-8.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    decode_utf8(fsio::read_capped(path, fsio::MAX_RULE_FILE_BYTES)?, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RuleSet;

    fn err(text: &str) -> LoadError {
        RuleSet::from_ron_str(text, Path::new("r.ron")).unwrap_err()
    }

    #[test]
    fn an_unknown_field_is_an_error_with_a_suggestion() {
        let e = err(
            "RuleSet(version: 1, reasons: [], categories: [],\n bounce_rules: [BounceRule(name: \"a\", pattern: \"x\", category: \"c\", enable: false)])",
        );
        let LoadError::Syntax { line, column, problem: RonProblem::UnknownField { found, suggestion, .. }, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!((*line, *column, found.as_str(), *suggestion), (2, 68, "enable", Some("enabled")));
        assert!(e.to_string().contains("did you mean `enabled`?"), "{e}");
    }

    #[test]
    fn typos_are_near_and_other_words_are_not() {
        const KNOWN: &[&str] = &["enabled", "must_match", "must_not_match", "note"];
        assert_eq!(nearest("musst_match", KNOWN), Some("must_match"));
        assert_eq!(nearest("Enabled", KNOWN), Some("enabled"));
        assert_eq!(nearest("notes", KNOWN), Some("note"));
        assert_eq!(nearest("colour", KNOWN), None);
    }

    #[test]
    fn a_bom_is_skipped_and_other_encodings_are_refused_with_their_place() {
        let ok = decode_utf8(b"\xEF\xBB\xBFRuleSet()".to_vec(), Path::new("r")).unwrap();
        assert_eq!(ok, "RuleSet()");
        let e = decode_utf8(b"ab\nc\xE9d".to_vec(), Path::new("r")).unwrap_err();
        assert!(matches!(e, LoadError::NotUtf8 { line: 2, column: 2, offset: 4, .. }), "{e:?}");
        let e = decode_utf8(b"\xEF\xBB\xBF\xFF".to_vec(), Path::new("r")).unwrap_err();
        assert!(matches!(e, LoadError::NotUtf8 { line: 1, column: 1, offset: 3, .. }), "{e:?}");
    }

    #[test]
    fn a_file_cut_short_says_so() {
        let e = err("RuleSet(version: 1, reasons: [], categories: [], bounce_rules: [BounceRule(name: \"a\"\n\n");
        assert!(matches!(e, LoadError::Syntax { problem: RonProblem::UnexpectedEnd, .. }), "{e:?}");
    }

    #[test]
    fn parser_words_never_show() {
        let e = err("RuleSet(version: 1, reasons: [,])").to_string();
        assert!(!e.contains("Expected") && !e.contains("Identifier"), "{e}");
    }
}
