//! Message catalogues for the user interface.
//!
//! One TOML file a language in `assets/i18n/<code>.toml`, embedded at compile
//! time by `rust-i18n` (`build.rs` only tells cargo to rebuild when the folder
//! changes). **To add a language, add one file there** with a `[meta]` table
//! (`name` shown in View → Language, optional `locales`: comma-separated
//! locale prefixes such as `"zh_TW, zh_HK"` it answers for; default: the
//! file's code) and the same keys as `en.toml`; nothing else changes.
//!
//! The language is per thread (the UI thread; workers take the UI's), so tests
//! running in parallel each keep their own: we ask `rust-i18n`'s backend with
//! an explicit locale instead of its process-global one. [`tr`] is a hash
//! lookup returning `&'static str`: no allocation per frame.

use std::cell::Cell;
use std::fmt::Display;
use std::sync::LazyLock;

rust_i18n::i18n!("assets/i18n", fallback = "en");

/// One shipped catalogue.
#[derive(Debug)]
pub struct Catalogue {
    /// File stem, e.g. `ko` or `zh-Hant`.
    pub code: &'static str,
    /// Name of the language in itself.
    pub name: &'static str,
    /// Lower-case locale prefixes this catalogue answers for.
    pub locales: Vec<String>,
}

/// The text of `key` in the catalogue `code`, without fallback.
pub fn lookup(code: &str, key: &str) -> Option<&'static str> {
    _RUST_I18N_BACKEND.translate(code, key)
}

fn catalogue(code: &'static str) -> Catalogue {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replace('-', "_");
    let locales = match lookup(code, "meta.locales").filter(|l| !l.trim().is_empty()) {
        Some(list) => list.split(',').map(norm).filter(|l| !l.is_empty()).collect(),
        None => vec![norm(code)],
    };
    Catalogue { code, name: lookup(code, "meta.name").unwrap_or(code), locales }
}

/// All catalogues, English first.
pub static CATALOGUES: LazyLock<Vec<Catalogue>> = LazyLock::new(|| {
    let mut v: Vec<Catalogue> = _RUST_I18N_BACKEND.available_locales().into_iter().map(catalogue).collect();
    v.sort_by_key(|c| (c.code != "en", c.code));
    v
});

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::ENGLISH) };
}

/// A shipped language (index into [`CATALOGUES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lang(usize);

impl Lang {
    /// English, the default and the fallback for missing keys.
    pub const ENGLISH: Lang = Lang(0);

    /// Every shipped language, English first.
    pub fn all() -> impl Iterator<Item = Lang> {
        (0..CATALOGUES.len()).map(Lang)
    }

    /// The language of a catalogue code (`ko`, `zh-Hant`…).
    pub fn from_code(code: &str) -> Option<Lang> {
        CATALOGUES.iter().position(|c| c.code == code).map(Lang)
    }

    /// Best language for a POSIX locale such as `zh_TW.UTF-8` (longest locale prefix wins; else English).
    pub fn from_locale(locale: &str) -> Lang {
        let norm = locale.split(['.', '@']).next().unwrap_or("").to_ascii_lowercase().replace('-', "_");
        let mut best = (0, Lang::ENGLISH);
        for (i, c) in CATALOGUES.iter().enumerate() {
            for l in &c.locales {
                let hit = norm == *l || norm.strip_prefix(l.as_str()).is_some_and(|r| r.starts_with('_'));
                if hit && l.len() > best.0 {
                    best = (l.len(), Lang(i));
                }
            }
        }
        best.1
    }

    /// The language of the system locale (`LC_ALL`, then `LC_MESSAGES`, then `LANG`).
    pub fn system() -> Lang {
        let var = ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
        var.map_or(Lang::ENGLISH, |l| Lang::from_locale(&l))
    }

    /// The catalogue code.
    pub fn code(self) -> &'static str {
        CATALOGUES[self.0].code
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        CATALOGUES[self.0].name
    }

    /// Makes this the language of the current thread.
    pub fn make_current(self) {
        CURRENT.with(|c| c.set(self));
    }

    /// The current thread's language.
    pub fn current() -> Lang {
        CURRENT.with(Cell::get)
    }
}

/// The text of `key` in the current language, else English, else the key itself.
pub fn tr(key: &'static str) -> &'static str {
    try_tr(key).unwrap_or(key)
}

/// The text of a key built at run time, in the current language, else
/// English; `None` when no catalogue has it.
pub fn try_tr(key: &str) -> Option<&'static str> {
    lookup(Lang::current().code(), key).or_else(|| lookup("en", key))
}

/// [`tr`] with `{name}` placeholders replaced by `args`.
pub fn tr_fmt(key: &'static str, args: &[(&str, &dyn Display)]) -> String {
    fill(tr(key), args)
}

/// Replaces `{name}` placeholders of `template` by `args`; unknown ones stay as they are.
fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| args.iter().find(|(n, _)| *n == &after[..close]).map(|a| (close, a))) {
            Some((close, (_, v))) => {
                use std::fmt::Write;
                let _ = write!(out, "{v}");
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The plural category of `n` in `lang`: `"one"` or `"other"`, after the
/// catalogue's `meta.plural_one` (comma-separated counts that take the
/// singular: `"1"` in English, `"0, 1"` in Portuguese, empty in Korean and
/// Chinese, which have one form).
pub fn plural_category(lang: Lang, n: u64) -> &'static str {
    let one = lookup(lang.code(), "meta.plural_one").unwrap_or("1");
    let is_one = one.split(',').filter_map(|s| s.trim().parse::<u64>().ok()).any(|k| k == n);
    if is_one { "one" } else { "other" }
}

/// [`tr_fmt`] for a message with plural forms: `key.one` or `key.other`
/// after the current language's rule for `n` (also given as `{n}`).
/// A catalogue without the form falls back on its `other`, then on English.
pub fn tr_n(key: &'static str, n: usize, args: &[(&str, &dyn Display)]) -> String {
    let lang = Lang::current();
    let cat = plural_category(lang, n as u64);
    let template = [cat, "other"]
        .iter()
        .find_map(|c| lookup(lang.code(), &format!("{key}.{c}")))
        .or_else(|| lookup("en", &format!("{key}.{}", plural_category(Lang::ENGLISH, n as u64))))
        .unwrap_or(key);
    let mut all: Vec<(&str, &dyn Display)> = Vec::with_capacity(args.len() + 1);
    all.push(("n", &n));
    all.extend_from_slice(args);
    fill(template, &all)
}
