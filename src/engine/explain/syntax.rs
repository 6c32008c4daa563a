//! A pattern cut into coloured pieces from its syntax tree (regex-syntax's
//! AST with byte spans), and its alternatives.

use std::ops::Range;

use regex_syntax::ast::{self, Ast};

/// What a piece of a pattern is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A character matched as written (`a`, a space).
    Literal,
    /// An escaped character (`\.`, `\n`, `\x41`).
    Escape,
    /// A character class: `[a-z]`, `\d`, `\pL`.
    Class,
    /// `.`: any character.
    Dot,
    /// A zero-width assertion: `^`, `$`, `\b`.
    Anchor,
    /// A group's opening (`(`, `(?:`, `(?P<name>`) or closing parenthesis.
    Group,
    /// The `|` between alternatives.
    Alternation,
    /// A repetition operator: `*`, `+?`, `{2,5}`.
    Quantifier,
    /// Inline flags: `(?i)`, `(?-u)`.
    Flags,
}

/// One coloured piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Byte range in the pattern.
    pub span: Range<usize>,
    /// What it is.
    pub kind: TokenKind,
    /// Group nesting depth (0 outside any group): the parentheses of one
    /// group share their depth, so painters can colour pairs alike.
    pub depth: u16,
}

/// One branch of an alternation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alternative {
    /// Byte range of the branch in the pattern.
    pub span: Range<usize>,
    /// Group nesting depth of its alternation (0: the pattern's top level).
    pub depth: u16,
    /// Whether the pattern restricted to this branch matches the text (None:
    /// not tried, past the budget of [`MAX_ALTERNATIVES_TRIED`]).
    pub matched: Option<bool>,
}

/// Branches tried one by one per explanation: each is a compile.
pub const MAX_ALTERNATIVES_TRIED: usize = 128;

/// The pattern's tokens in order (bytes between them, e.g. ignored
/// whitespace, belong to none), or None when it does not parse.
pub fn tokens(pattern: &str) -> Option<Vec<Token>> {
    let tree = ast::parse::Parser::new().parse(pattern).ok()?;
    let mut out = Vec::new();
    walk(&tree, 0, &mut out);
    out.sort_by_key(|t| t.span.start);
    Some(out)
}

fn range(s: &ast::Span) -> Range<usize> {
    s.start.offset..s.end.offset
}

fn walk(a: &Ast, depth: u16, out: &mut Vec<Token>) {
    let mut push = |span: Range<usize>, kind| {
        if span.start < span.end {
            out.push(Token { span, kind, depth });
        }
    };
    match a {
        Ast::Empty(_) => {}
        Ast::Flags(f) => push(range(&f.span), TokenKind::Flags),
        Ast::Literal(l) => {
            let kind = if l.kind == ast::LiteralKind::Verbatim { TokenKind::Literal } else { TokenKind::Escape };
            push(range(&l.span), kind);
        }
        Ast::Dot(s) => push(range(s), TokenKind::Dot),
        Ast::Assertion(x) => push(range(&x.span), TokenKind::Anchor),
        Ast::ClassUnicode(x) => push(range(&x.span), TokenKind::Class),
        Ast::ClassPerl(x) => push(range(&x.span), TokenKind::Class),
        Ast::ClassBracketed(x) => push(range(&x.span), TokenKind::Class),
        Ast::Repetition(r) => {
            push(range(&r.op.span), TokenKind::Quantifier);
            walk(&r.ast, depth, out);
        }
        Ast::Group(g) => {
            let inner = g.ast.span();
            push(g.span.start.offset..inner.start.offset, TokenKind::Group);
            push(inner.end.offset..g.span.end.offset, TokenKind::Group);
            walk(&g.ast, depth + 1, out);
        }
        Ast::Alternation(x) => {
            for pair in x.asts.windows(2) {
                push(pair[0].span().end.offset..pair[1].span().start.offset, TokenKind::Alternation);
            }
            x.asts.iter().for_each(|b| walk(b, depth, out));
        }
        Ast::Concat(c) => c.asts.iter().for_each(|b| walk(b, depth, out)),
    }
}

/// Every alternation's branches, outermost first, each tried on the text
/// with `is_match(pattern)`: the pattern with the branch's alternation (and
/// every alternation around it) reduced to the branch, "could this branch
/// have taken part in a match".
pub fn alternatives(pattern: &str, is_match: impl Fn(&str) -> Option<bool>) -> Vec<Alternative> {
    let Ok(tree) = ast::parse::Parser::new().parse(pattern) else { return Vec::new() };
    let mut found = Vec::new();
    collect(&tree, 0, &mut Vec::new(), &mut found);
    // Outermost first, then in pattern order.
    found.sort_by_key(|(_, depth, path)| (path.len(), *depth, path.last().map_or(0, |(_, b)| b.start)));
    found
        .into_iter()
        .enumerate()
        .map(|(k, (span, depth, path))| {
            let matched = if k < MAX_ALTERNATIVES_TRIED {
                let (alt, br) = &path[0];
                // Flags written at the pattern's start still apply to a later branch.
                let flags = if alt.start == 0 { leading_flags(pattern, br.start) } else { String::new() };
                is_match(&format!("{flags}{}", reduced(pattern, 0..pattern.len(), &path)))
            } else {
                None
            };
            Alternative { span, depth, matched }
        })
        .collect()
}

/// The branches of the pattern's outermost alternation, each with the
/// pattern reduced to it (as [`alternatives`] tries them): the explanation
/// finds every place one of them matches, which the whole pattern's
/// leftmost-first matches can hide (`\b5\.1\.1\b|user unknown` finds only
/// "5.1.1" in "550 5.1.1 … User unknown").
pub fn outer_branches(pattern: &str) -> Vec<(Range<usize>, String)> {
    let Ok(tree) = ast::parse::Parser::new().parse(pattern) else { return Vec::new() };
    let mut found = Vec::new();
    collect(&tree, 0, &mut Vec::new(), &mut found);
    found
        .into_iter()
        .filter(|(_, _, path)| path.len() == 1)
        .map(|(span, _, path)| {
            let (alt, br) = &path[0];
            let flags = if alt.start == 0 { leading_flags(pattern, br.start) } else { String::new() };
            (span, format!("{flags}{}", reduced(pattern, 0..pattern.len(), &path)))
        })
        .collect()
}

/// `outer` of the pattern with each `(alternation, branch)` of `path`
/// (nested, outermost first) replaced by the branch alone.
fn reduced(pattern: &str, outer: Range<usize>, path: &[(Range<usize>, Range<usize>)]) -> String {
    match path.split_first() {
        None => pattern[outer].to_owned(),
        Some(((alt, br), rest)) => {
            format!("{}(?:{}){}", &pattern[outer.start..alt.start], reduced(pattern, br.clone(), rest), &pattern[alt.end..outer.end])
        }
    }
}

/// `(branch span, group depth, enclosing (alternation, branch) pairs ending with its own)`.
type Found = (Range<usize>, u16, Vec<(Range<usize>, Range<usize>)>);

fn collect(a: &Ast, depth: u16, path: &mut Vec<(Range<usize>, Range<usize>)>, out: &mut Vec<Found>) {
    match a {
        Ast::Alternation(x) => {
            for b in &x.asts {
                path.push((range(&x.span), range(b.span())));
                out.push((range(b.span()), depth, path.clone()));
                collect(b, depth, path, out);
                path.pop();
            }
        }
        Ast::Group(g) => collect(&g.ast, depth + 1, path, out),
        Ast::Repetition(r) => collect(&r.ast, depth, path, out),
        Ast::Concat(c) => c.asts.iter().for_each(|b| collect(b, depth, path, out)),
        _ => {}
    }
}

/// Flag groups (`(?i)`, `(?-u)`) written before `at` at the pattern's start.
fn leading_flags(pattern: &str, at: usize) -> String {
    let mut out = String::new();
    let mut rest = &pattern[..at];
    while let Some(r) = rest.strip_prefix("(?") {
        match r.find(')') {
            Some(end) if r[..end].chars().all(|c| c.is_ascii_alphabetic() || c == '-') => {
                out.push_str(&rest[..end + 3]);
                rest = &r[end + 1..];
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(p: &str) -> Vec<(&str, TokenKind, u16)> {
        tokens(p).expect("parses").into_iter().map(|t| (&p[t.span.clone()], t.kind, t.depth)).collect()
    }

    #[test]
    fn every_construct_gets_its_kind_and_span() {
        use TokenKind::*;
        assert_eq!(
            kinds(r"(?i)^user\.? (unknown|[a-z]+){1,3}\b.x*?"),
            vec![
                ("(?i)", Flags, 0),
                ("^", Anchor, 0),
                ("u", Literal, 0),
                ("s", Literal, 0),
                ("e", Literal, 0),
                ("r", Literal, 0),
                (r"\.", Escape, 0),
                ("?", Quantifier, 0),
                (" ", Literal, 0),
                ("(", Group, 0),
                ("u", Literal, 1),
                ("n", Literal, 1),
                ("k", Literal, 1),
                ("n", Literal, 1),
                ("o", Literal, 1),
                ("w", Literal, 1),
                ("n", Literal, 1),
                ("|", Alternation, 1),
                ("[a-z]", Class, 1),
                ("+", Quantifier, 1),
                (")", Group, 0),
                ("{1,3}", Quantifier, 0),
                (r"\b", Anchor, 0),
                (".", Dot, 0),
                ("x", Literal, 0),
                ("*?", Quantifier, 0),
            ]
        );
        assert_eq!(kinds(r"(?P<n>\d)")[0], ("(?P<n>", TokenKind::Group, 0));
        assert_eq!(kinds("ящик|box")[4], ("|", TokenKind::Alternation, 0));
        assert!(tokens("a(b").is_none());
    }

    #[test]
    fn the_alternatives_that_match_are_marked() {
        let body = "550 mailbox full, try later";
        let is_match = |p: &str| Some(crate::engine::classify::compile_pattern(p).ok()?.is_match(body));
        let p = r"user unknown|mail ?box (full|over quota|is (full|locked))|try later";
        let alts = alternatives(p, is_match);
        let show: Vec<(&str, u16, Option<bool>)> = alts.iter().map(|a| (&p[a.span.clone()], a.depth, a.matched)).collect();
        assert_eq!(
            show,
            vec![
                ("user unknown", 0, Some(false)),
                ("mail ?box (full|over quota|is (full|locked))", 0, Some(true)),
                ("try later", 0, Some(true)),
                ("full", 1, Some(true)),
                ("over quota", 1, Some(false)),
                ("is (full|locked)", 1, Some(false)),
                ("full", 2, Some(false)),
                ("locked", 2, Some(false)),
            ]
        );
        // Flags written first apply to every branch tried alone.
        let strict = |p: &str| Some(regex::Regex::new(p).ok()?.is_match("MAILBOX FULL"));
        let alts = alternatives("(?i)user|mailbox full", strict);
        assert_eq!(alts.iter().map(|a| a.matched).collect::<Vec<_>>(), vec![Some(false), Some(true)]);
    }
}
