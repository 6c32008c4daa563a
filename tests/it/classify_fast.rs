//! The fast classification path (literal prefilter, first hit, exact-literal
//! rules) against the plain per-rule loop: same verdicts, spans and
//! explanations on the dev corpus and on a large generated set of texts and
//! rules (case variants, the non-ASCII case forms of `k` and `s`, Cyrillic,
//! multi-line replies).

use bouncelab::engine::{BounceRule, Classifier, RuleSet, eval};

use crate::default_doc;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn dev_texts() -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/sisimai-dev.tsv");
    eval::read_tsv(&path).expect("dev corpus").into_iter().map(|s| s.text).collect()
}

/// Words of the corpus plus tokens that exercise case folding and boundaries.
fn vocabulary(texts: &[String]) -> Vec<String> {
    let mut words: Vec<String> = texts.iter().flat_map(|t| t.split_whitespace().map(str::to_owned)).filter(|w| w.len() < 30).collect();
    words.sort();
    words.dedup();
    for extra in ["ящик", "ЯЩИК", "переполнен", "\u{212A}", "ſ", "İ", "ü", "5.1.1", "4.2.2", "550", "421", "-", "_", "(", ")", "\t"]
    {
        words.push(extra.to_owned());
    }
    words
}

/// Texts made from the corpus: as is, re-cased, with `k`/`s` in their
/// non-ASCII case forms, spliced together, as multi-line replies,
/// sentences of random corpus words, and Cyrillic and Greek capitals.
fn generated_texts(texts: &[String], n: usize, seed: u64) -> Vec<String> {
    let vocab = vocabulary(texts);
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let base = rng.pick(texts);
        let t = match rng.below(9) {
            0 => base.to_uppercase(),
            1 => base.replace('k', "\u{212A}").replace('s', "ſ"),
            2 => {
                let other = rng.pick(texts);
                let cut = base.char_indices().map(|(i, _)| i).nth(rng.below(base.chars().count().max(1))).unwrap_or(0);
                format!("{}{}", &base[..cut], other)
            }
            3 => format!("550-5.1.1 {}\n550 5.1.1 {}", rng.pick(&vocab), base),
            4 | 5 => {
                let len = 1 + rng.below(20);
                (0..len).map(|_| rng.pick(&vocab).as_str()).collect::<Vec<_>>().join(" ")
            }
            6 => format!("{} ящик переполнен {}", rng.pick(&vocab), rng.pick(&vocab)),
            // Other scripts' case forms, which the prefilter folds too.
            7 => format!("{} ЯЩИК Переполнен: {}-{} ΣΟΦΙΑ", rng.pick(&vocab), rng.pick(&vocab).to_uppercase(), rng.pick(&vocab)),
            _ => base.clone(),
        };
        out.push(t);
    }
    out
}

/// Rules of every shape the prefilter treats differently.
fn generated_rules(texts: &[String], n: usize, seed: u64) -> RuleSet {
    let mut doc = default_doc();
    let vocab: Vec<String> = vocabulary(texts).into_iter().filter(|w| w.chars().all(char::is_alphanumeric)).collect();
    let mut rng = Rng(seed);
    let mut rules = Vec::new();
    for k in 0..n {
        let mut w = || regex::escape(rng.pick::<String>(&vocab)).to_lowercase();
        let (a, b, c) = (w(), w(), w());
        let pattern = match k % 18 {
            0 => format!("{a} {b}"),
            1 => format!(r"\b{a} {b}\b"),
            2 => format!("{a}|{b} {c}|{c}"),
            3 => format!("{a} ({b} )?{c}"),
            4 => format!("{a}[ _-]?{b}"),
            5 => format!("(?-i){}", a.to_uppercase()),
            6 => r"\b[45]\.\d\.\d\b".to_owned(),
            7 => r"\bящик\b|переполнен".to_owned(),
            8 => format!("{a}.{{0,20}}{b}"),
            9 => format!("^{a}|{b}$"),
            10 => format!(r"\w+ {a}"),
            11 => "k".to_owned(),
            12 => format!("{a}s?|unknown {b}"),
            13 => format!(r"(?i:{a})\s+{b}"),
            14 => format!("{a}{{2}}|{b}+"),
            15 => format!(r"\b{{start}}{a}"),
            // Plain phrases, which skip the parser: punctuation, other scripts' capitals.
            16 => format!("{a}: {b}-{c}"),
            _ => format!("ПЕРЕПОЛНЕН {}", a.to_uppercase()),
        };
        rules.push(BounceRule::new(format!("generated {k}"), pattern, "userunknown"));
        if k % 5 == 0 {
            rules.push(doc.bounce_rules[k % doc.bounce_rules.len()].clone());
        }
    }
    doc.bounce_rules = rules;
    doc
}

fn assert_same(c: &Classifier, texts: &[String]) {
    for t in texts {
        let reference = c.explain_reference(t);
        assert_eq!(c.explain(t), reference, "explanation of {t:?}");
        assert_eq!(c.classify(t), reference.verdict, "verdict of {t:?}");
        let no_span = bouncelab::engine::Verdict { span: None, ..reference.verdict };
        assert_eq!(c.classify_without_span(t), no_span, "verdict without span of {t:?}");
    }
}

#[test]
fn fast_path_agrees_with_the_reference_on_the_dev_corpus() {
    let c = Classifier::new(&default_doc());
    let texts = dev_texts();
    assert!(texts.len() > 300);
    assert_same(&c, &texts);
}

#[test]
fn fast_path_agrees_with_the_reference_on_generated_texts() {
    let c = Classifier::new(&default_doc());
    let texts = generated_texts(&dev_texts(), 20_000, 0x5eed);
    assert_same(&c, &texts);
}

#[test]
fn fast_path_agrees_with_the_reference_on_generated_rules() {
    let base = dev_texts();
    let doc = generated_rules(&base, 640, 0xfeed);
    let c = Classifier::new(&doc);
    assert!(c.errors().is_empty(), "{:?}", c.errors());
    let texts = generated_texts(&base, 3_000, 0xbeef);
    let won = texts.iter().filter(|t| c.classify(t).rule.is_some_and(|r| r > 0)).count();
    assert!(won > 600, "the generated rules must win texts to test anything: {won}");
    assert_same(&c, &texts);
}

#[test]
fn rules_that_fit_compile_when_together_they_would_not() {
    // 150 rules of 40 Unicode word characters: each fits, a single set of them would not.
    let mut doc = default_doc();
    let first = doc.bounce_rules.len();
    for k in 0..150 {
        doc.bounce_rules.push(BounceRule::new(format!("wide {k}"), format!(r"zq{k}x\w{{40}}"), "userunknown"));
    }
    doc.bounce_rules.push(BounceRule::new("too big alone", r"(\w{100}){100}", "userunknown"));
    let c = Classifier::new(&doc);
    assert_eq!(c.errors().len(), 1, "{:?}", c.errors());
    assert_eq!(c.errors()[0].rule, Some(doc.bounce_rules.len() - 1));
    assert!(c.errors()[0].to_string().contains("too big alone"), "{}", c.errors()[0]);
    assert_eq!(c.active_rules(), doc.bounce_rules.len() - 1);
    let v = c.classify(&format!("550 zq77x{}", "é".repeat(40)));
    assert_eq!(v.rule, Some(first + 77));
}

#[test]
fn a_rule_left_out_of_a_large_set_shifts_no_other_rule() {
    // Large enough for the prefilter to be built beside the regexes from the rules as if each
    // compiled: that guess is wrong here, and must not be used.
    let mut doc = default_doc();
    doc.bounce_rules.insert(1, BounceRule::new("unknown category", "mailbox|quota", "no-such-category"));
    let c = Classifier::new(&doc);
    assert_eq!(c.errors().len(), 1, "{:?}", c.errors());
    assert_same(&c, &dev_texts());
}

#[test]
fn rules_cut_at_their_alternatives_agree_with_the_whole_pattern() {
    // Variants sharing alternatives (each compiled once), alternatives that
    // start at the same place (the earlier one wins), and flags that reach
    // the next alternatives (not cut).
    let mut doc = default_doc();
    let base = doc.bounce_rules.clone();
    let mut rules = Vec::new();
    for (k, r) in base.iter().enumerate() {
        let mut v = r.clone();
        v.name = format!("{} variant", r.name);
        v.pattern = if k % 2 == 0 { format!("variant {k}|{}", r.pattern) } else { format!("{}|variant {k}", r.pattern) };
        rules.push(v);
    }
    for (k, p) in [
        "mail|mailbox full",
        "mailbox full|mail",
        r"\bover\b|over quota|quota",
        "(?-i)USER|unknown",
        "x(?i)Y|spf",
        "|never empty",
        // Plain phrases (no parser, a span without regex in ASCII text), other scripts folded.
        "ЯЩИК ПЕРЕПОЛНЕН",
        "größe: über-schritten",
        "Σοφία ς|sofia",
        "un\u{212A}nown ſender",
    ]
    .iter()
    .enumerate()
    {
        rules.push(BounceRule::new(format!("tie {k}"), *p, "userunknown"));
    }
    rules.extend(base);
    doc.bounce_rules = rules;
    let c = Classifier::new(&doc);
    assert!(c.errors().is_empty(), "{:?}", c.errors());
    let mut texts = dev_texts();
    texts.extend(
        [
            "550 Mailbox full",
            "over quota",
            "Over Quota now",
            "USER unknown",
            "user UNKNOWN",
            "xY SPF",
            "XY",
            "550 ящик переполнен",
            "550 Ящик ПЕРЕполнен!",
            "GRÖSSE: ÜBER-SCHRITTEN",
            "Größe: Über-schritten",
            "ΣΟΦΊΑ Σ, ΣΟΦΙΑ Σ",
            "Sofia σοφια ς",
            "UNKNOWN SENDER",
            "un\u{212A}nown \u{17F}ender",
        ]
        .map(String::from),
    );
    assert_same(&c, &texts);
}

/// Every kind of one-rule edit, at the start, the middle and the end of the
/// list: the incremental re-classification gives what a full one does, on
/// plain lines and on records said in an SMTP phase.
#[test]
fn reclassifying_after_a_one_rule_edit_equals_classifying_again() {
    use bouncelab::engine::classify::{BatchLine, RuleEdit};

    use bouncelab::engine::ingest::Record;
    use bouncelab::engine::smtp::Phase;

    let base = dev_texts();
    let texts = generated_texts(&base, 4_000, 0xed17);
    let phases = [None, Some(Phase::RcptTo), Some(Phase::Data), Some(Phase::EndOfData)];
    let records: Vec<Record> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Record { phase: phases[i % phases.len()], ..Record::plain(t.clone(), Default::default()) })
        .collect();
    let old_doc = default_doc();
    let old = Classifier::new(&old_doc);
    let n = old_doc.bounce_rules.len();
    let broad = BounceRule::new("broad", r"user|mailbox|5\.\d\.\d|ящик", "mailboxfull");
    let mut edits: Vec<(String, RuleSet, RuleEdit)> = Vec::new();
    for k in [0, n / 3, n / 2, n - 1] {
        let mut d = old_doc.clone();
        d.bounce_rules[k].pattern = format!("{}|quota|unknown", d.bounce_rules[k].pattern);
        edits.push((format!("widen {k}"), d, RuleEdit::Changed(k)));
        let mut d = old_doc.clone();
        d.bounce_rules[k].pattern = "zzz never said".into();
        edits.push((format!("narrow {k}"), d, RuleEdit::Changed(k)));
        let mut d = old_doc.clone();
        d.bounce_rules[k].enabled = false;
        edits.push((format!("disable {k}"), d, RuleEdit::Changed(k)));
        let mut d = old_doc.clone();
        d.bounce_rules[k].phases = vec![Phase::Data, Phase::EndOfData];
        edits.push((format!("phases {k}"), d, RuleEdit::Changed(k)));
        let mut d = old_doc.clone();
        d.bounce_rules[k].pattern = "(unclosed".into();
        edits.push((format!("break {k}"), d, RuleEdit::Changed(k)));
        let mut d = old_doc.clone();
        d.bounce_rules.insert(k, broad.clone());
        edits.push((format!("insert {k}"), d, RuleEdit::Inserted(k)));
        let mut d = old_doc.clone();
        d.bounce_rules.remove(k);
        edits.push((format!("remove {k}"), d, RuleEdit::Removed(k)));
    }
    let mut d = old_doc.clone();
    d.bounce_rules.push(broad.clone());
    edits.push(("append".into(), d, RuleEdit::Inserted(n)));
    let mut d = old_doc.clone();
    d.bounce_rules[3].name = "renamed".into();
    d.bounce_rules[3].must_match.push("a new example".into());
    edits.push(("rename".into(), d, RuleEdit::Same));

    let before_lines: Vec<_> = texts.iter().map(|t| old.classify_without_span(t)).collect();
    let before_records: Vec<_> = records.iter().map(|r| old.classify_record(r)).collect();
    let mut changed = 0;
    for (what, doc, want) in &edits {
        let new = Classifier::new(doc);
        assert_eq!(new.edit_since(&old), Some(*want), "{what}");
        let re = new.reclassifier(&old).expect("a one-rule edit");
        assert_eq!(re.edit(), *want);
        for (i, t) in texts.iter().enumerate() {
            let full = new.classify_without_span(t);
            assert_eq!(re.verdict(&before_lines[i], BatchLine::Text(t)), full, "{what}: {t:?}");
            changed += usize::from(full != before_lines[i]);
            let full = new.classify_record(&records[i]);
            assert_eq!(re.verdict(&before_records[i], BatchLine::Record(&records[i])), full, "{what}: record {t:?}");
        }
    }
    assert!(changed > 5_000, "the edits must change verdicts to test anything: {changed}");

    // Two rules changed, or a category: no one-rule edit, classify in full.
    let mut d = old_doc.clone();
    d.bounce_rules[1].pattern = "x".into();
    d.bounce_rules[5].pattern = "y".into();
    assert!(Classifier::new(&d).reclassifier(&old).is_none());
    let mut d = old_doc.clone();
    let other = d.reasons.iter().find(|r| r.id != d.categories[0].reason).expect("two reasons").id.clone();
    d.categories[0].reason = other;
    assert_eq!(Classifier::new(&d).edit_since(&old), None);
}
