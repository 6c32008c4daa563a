//! Alternations written with their common prefixes factored out, for KumoMTA's
//! `RegexSet`.
//!
//! Why: the default rules are too big for the 2 MB lazy-DFA cache KumoMTA's
//! builder leaves at its default, so KumoMTA matches them with the PikeVM,
//! whose cost per byte grows with the NFA states the unanchored start reaches
//! on every byte: one per alternative of every rule. Under `(?i)` the regex
//! crate compiles each letter as a class, so it cannot turn an alternation of
//! phrases into a literal trie itself. Writing `user unknown|user not found`
//! as `user (?:unknown|not found)` gives the same language with one start
//! state where there were two (measured in the README's export section).
//!
//! Exactness: `xA|xB` and `x(?:A|B)` match the same strings, alternatives
//! may be reordered and merged (`A|A` is `A`), and `(?:|A)` is `A?`. KumoMTA
//! only asks whether a pattern matches, never where, so leftmost-first order
//! between alternatives is not part of the meaning. Two first atoms are merged
//! only when they are the same: literals whose case-insensitive classes are
//! equal (`u` and `U` under `(?i)`), anything else with the same text. A
//! pattern with inline flags (`(?-i)` in the middle) is left as it is, since
//! an atom's meaning there depends on where it stands; flag groups such as
//! `(?-u:\b)` are moved whole and not entered.

use std::collections::HashMap;

use regex_syntax::ast::{self, Ast};
use regex_syntax::hir::Hir;

/// `pattern` with every alternation's shared prefixes factored out, or `None`
/// when it does not parse, has inline flags, or nothing would change.
/// `pattern` is what goes out without the leading `(?i)`, which the caller adds.
pub fn factor_alternations(pattern: &str) -> Option<String> {
    let tree = ast::parse::Parser::new().parse(pattern).ok()?;
    if has_inline_flags(&tree) {
        return None;
    }
    let mut keys = Keys::default();
    let factored = factor(&tree, &mut keys)?;
    let text = factored.to_string();
    (text != pattern).then_some(text)
}

/// Whether a standalone `(?flags)` item appears anywhere outside flag groups.
fn has_inline_flags(a: &Ast) -> bool {
    match a {
        Ast::Flags(_) => true,
        Ast::Alternation(x) => x.asts.iter().any(has_inline_flags),
        Ast::Concat(x) => x.asts.iter().any(has_inline_flags),
        Ast::Group(g) => !is_flag_group(g) && has_inline_flags(&g.ast),
        Ast::Repetition(r) => has_inline_flags(&r.ast),
        _ => false,
    }
}

fn is_flag_group(g: &ast::Group) -> bool {
    matches!(&g.kind, ast::GroupKind::NonCapturing(f) if !f.items.is_empty())
}

/// What makes two atoms the same under the pattern's `(?i)`.
#[derive(Clone, PartialEq, Eq)]
enum Key {
    /// A literal by the class `(?i)` makes of it.
    Literal(Hir),
    /// Anything else by its text.
    Text(String),
}

/// Memoised atom keys (case classes are worked out by the regex parser itself).
#[derive(Default)]
struct Keys {
    literals: HashMap<char, Hir>,
}

impl Keys {
    fn of(&mut self, a: &Ast) -> Option<Key> {
        if let Ast::Literal(l) = a {
            if let Some(h) = self.literals.get(&l.c) {
                return Some(Key::Literal(h.clone()));
            }
            let hir =
                regex_syntax::ParserBuilder::new().case_insensitive(true).build().parse(&regex_syntax::escape(&l.c.to_string())).ok()?;
            self.literals.insert(l.c, hir.clone());
            return Some(Key::Literal(hir));
        }
        Some(Key::Text(a.to_string()))
    }
}

fn span() -> ast::Span {
    ast::Span::splat(ast::Position::new(0, 0, 0))
}

// `Ast` implements `Drop` (deep trees are freed without recursion), so the
// rewrite reads the tree and builds a new one.
fn factor(a: &Ast, keys: &mut Keys) -> Option<Ast> {
    Some(match a {
        Ast::Alternation(x) => {
            let alts = x.asts.iter().map(|a| factor(a, keys)).collect::<Option<Vec<_>>>()?;
            let seqs = factor_seqs(alts.iter().map(atoms).collect(), keys)?;
            alternation(seqs)
        }
        Ast::Concat(x) => {
            let asts = x.asts.iter().map(|a| factor(a, keys)).collect::<Option<Vec<_>>>()?;
            Ast::concat(ast::Concat { span: x.span, asts })
        }
        Ast::Group(g) if !is_flag_group(g) => {
            let inner = factor(&g.ast, keys)?;
            Ast::group(ast::Group { span: g.span, kind: g.kind.clone(), ast: Box::new(inner) })
        }
        Ast::Repetition(r) => {
            let inner = factor(&r.ast, keys)?;
            Ast::repetition(ast::Repetition { span: r.span, op: r.op.clone(), greedy: r.greedy, ast: Box::new(inner) })
        }
        other => other.clone(),
    })
}

/// An alternative as its sequence of atoms.
fn atoms(a: &Ast) -> Vec<Ast> {
    match a {
        Ast::Concat(c) => c.asts.clone(),
        Ast::Empty(_) => Vec::new(),
        other => vec![other.clone()],
    }
}

fn concat(mut seq: Vec<Ast>) -> Ast {
    match seq.len() {
        0 => Ast::empty(span()),
        1 => seq.pop().expect("one"),
        _ => Ast::concat(ast::Concat { span: span(), asts: seq }),
    }
}

fn alternation(mut seqs: Vec<Vec<Ast>>) -> Ast {
    if seqs.len() == 1 {
        return concat(seqs.pop().expect("one"));
    }
    Ast::alternation(ast::Alternation { span: span(), asts: seqs.into_iter().map(concat).collect() })
}

/// The alternatives grouped by first atom, each group written as its longest
/// common prefix then the factored rests; first-appearance order is kept.
fn factor_seqs(seqs: Vec<Vec<Ast>>, keys: &mut Keys) -> Option<Vec<Vec<Ast>>> {
    let mut groups: Vec<(Option<Key>, Vec<Vec<Ast>>)> = Vec::new();
    for seq in seqs {
        let key = match seq.first() {
            Some(a) => Some(keys.of(a)?),
            None => None,
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            // One empty alternative is enough.
            Some((None, _)) => {}
            Some((_, members)) => members.push(seq),
            None => groups.push((key, vec![seq])),
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for (_, mut members) in groups {
        if members.len() == 1 {
            out.push(members.pop().expect("one"));
            continue;
        }
        let mut common = 1;
        'grow: while let Some(next) = members[0].get(common) {
            let key = keys.of(next)?;
            for m in &members[1..] {
                match m.get(common) {
                    Some(a) if keys.of(a)? == key => {}
                    _ => break 'grow,
                }
            }
            common += 1;
        }
        let mut prefix: Vec<Ast> = Vec::new();
        let mut rests = Vec::with_capacity(members.len());
        for (i, mut m) in members.into_iter().enumerate() {
            let rest = m.split_off(common);
            if i == 0 {
                prefix = m;
            }
            rests.push(rest);
        }
        let mut inner = factor_seqs(rests, keys)?;
        if inner.len() == 1 {
            prefix.append(&mut inner[0]);
        } else {
            let alt = alternation(inner);
            prefix.push(Ast::group(ast::Group {
                span: span(),
                kind: ast::GroupKind::NonCapturing(ast::Flags { span: span(), items: Vec::new() }),
                ast: Box::new(alt),
            }));
        }
        out.push(prefix);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_prefixes_are_factored() {
        assert_eq!(
            factor_alternations("user unknown|User not found|mailbox full").as_deref(),
            Some("user (?:unknown|not found)|mailbox full")
        );
        assert_eq!(factor_alternations("(no such|no) user").as_deref(), Some("(no(?: such|)) user"));
        assert_eq!(factor_alternations("abc|abc").as_deref(), Some("abc"));
        assert_eq!(factor_alternations("(?-u:\\b)spam|(?-u:\\b)ham").as_deref(), Some("(?-u:\\b)(?:spam|ham)"));
    }

    #[test]
    fn nothing_to_do_or_not_safe() {
        assert_eq!(factor_alternations("user unknown"), None);
        assert_eq!(factor_alternations("a(?-i)b|a(?-i)c"), None);
        assert_eq!(factor_alternations("a("), None);
        // Letters merge when `(?i)` gives them the same class (k and the Kelvin sign), never otherwise.
        assert_eq!(factor_alternations("kx|\u{212A}y").as_deref(), Some("k(?:x|y)"));
        assert_eq!(factor_alternations("kx|qy"), None);
    }

    use proptest::prelude::*;

    /// Atoms that make alternatives share prefixes in every way the rewrite handles.
    const ATOMS: [&str; 12] = ["a", "A", "b", "k", "\u{212A}", " ", ".", "(?-u:\\b)", "(a|ab)", "b?", "[ab]", "\\d{0,2}"];

    fn pattern() -> impl Strategy<Value = String> {
        let alt = prop::collection::vec(prop::sample::select(&ATOMS[..]), 0..4).prop_map(|v| v.concat());
        prop::collection::vec(alt, 1..6).prop_map(|alts| alts.join("|"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn factored_patterns_match_exactly_the_same_texts(p in pattern(), texts in prop::collection::vec("[aAbBkK\u{212A}x 1]{0,8}", 1..12)) {
            let f = factor_alternations(&p).unwrap_or_else(|| p.clone());
            let before = regex::Regex::new(&format!("(?i){p}")).unwrap();
            let after = regex::Regex::new(&format!("(?i){f}")).unwrap();
            for t in &texts {
                prop_assert_eq!(before.is_match(t), after.is_match(t), "{} -> {} on {:?}", p, f, t);
            }
        }
    }
}
