//! RON text as people keep it in version control.
//!
//! `ron`'s pretty printer spreads every struct over one line per field and
//! escapes strings with `char::escape_debug`, which writes `'` as `\'` and a
//! regex's `\b` as `\\b`: a one-character edit of the shipped rule file gave
//! a 2,655-line diff. Here the nesting is cut at a depth (each rule, reason
//! or MX rule on one line, as `sample_rules/default.ron` ships), and each
//! string is written back the way a person would: a raw string `r"…"` when
//! it holds a backslash or a quote, a plain one otherwise, and escapes only
//! for characters that cannot stand in a text file (control characters,
//! invisible ones), so a saved file stays text and one line per item.

use serde::Serialize;

/// `value` as RON text; structures deeper than `depth` are written on one line
/// (None: one line per field everywhere). Ends with a newline.
pub fn to_ron<T: Serialize>(value: &T, depth: Option<usize>) -> Result<String, ron::Error> {
    let mut cfg = ron::ser::PrettyConfig::new().indentor("  ".to_owned()).struct_names(true);
    if let Some(d) = depth {
        cfg = cfg.depth_limit(d);
    }
    let escaped = ron::ser::to_string_pretty(value, cfg)?;
    let mut out = rewrite_strings(&escaped);
    out.push('\n');
    Ok(out)
}

/// Rewrites every string literal of `ron`'s escaped output (see [`to_ron`]).
fn rewrite_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        // `ron` writes every string as `"` + `escape_debug` + `"`: decode it.
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some('t') => value.push('\t'),
                    Some('0') => value.push('\0'),
                    Some('u') => {
                        let hex: String = chars.by_ref().skip(1).take_while(|&h| h != '}').collect();
                        value.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                    }
                    Some(other) => value.push(other),
                    None => {}
                },
                other => value.push(other),
            }
        }
        write_string(&mut out, &value);
    }
    out
}

/// Whether `c` cannot be written as it is in a one-line string of a text file.
fn needs_escape(c: char) -> bool {
    !matches!(c, '\\' | '"' | '\'') && c.escape_debug().nth(1).is_some()
}

fn write_string(out: &mut String, value: &str) {
    if value.chars().any(needs_escape) {
        out.push('"');
        for c in value.chars() {
            match c {
                '\'' => out.push('\''),
                _ => out.extend(c.escape_debug()),
            }
        }
        out.push('"');
    } else if value.contains(['"', '\\']) {
        // Raw: enough `#` that no `"#…` inside ends it.
        let mut run = 0;
        let mut longest = 0;
        for c in value.chars() {
            run = if c == '#' { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        let hashes = "#".repeat(if value.contains('"') { longest + 1 } else { 0 });
        out.push('r');
        out.push_str(&hashes);
        out.push('"');
        out.push_str(value);
        out.push('"');
        out.push_str(&hashes);
    } else {
        out.push('"');
        out.push_str(value);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Item {
        s: String,
    }

    fn round_trip(strings: &[&str]) {
        let doc = Doc { items: strings.iter().map(|s| Item { s: (*s).to_owned() }).collect() };
        let text = to_ron(&doc, Some(2)).unwrap();
        let back: Doc = ron::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, doc, "{text}");
        // One item a line, and nothing a text editor or git would mangle.
        assert_eq!(text.lines().count(), 4 + strings.len(), "{text}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    }

    #[test]
    fn strings_read_back_the_same_and_stay_on_their_line() {
        round_trip(&[
            r"\bmailbox (is )?full\b",
            "it's Sisimai's",
            "a \"quoted\" word",
            "quote then hashes \"## and \"#",
            "back\\slash and \"quote\"",
            "tab\tnewline\ncarriage\rnul\0",
            "escape \u{1b}[31m and bom \u{feff} and line separator \u{2028}",
            "사서함이 가득 찼습니다 / 邮箱已满 / ящик переполнен",
            "",
            "#",
            "\\",
            "\"",
            "'",
        ]);
    }

    #[test]
    fn a_pattern_is_written_raw_and_a_note_plain() {
        let doc = Doc { items: vec![Item { s: r"\b5\.1\.1\b".into() }, Item { s: "Google's reference".into() }] };
        let text = to_ron(&doc, Some(2)).unwrap();
        assert!(text.contains(r#"Item(s: r"\b5\.1\.1\b")"#), "{text}");
        assert!(text.contains(r#"Item(s: "Google's reference")"#), "{text}");
    }
}
