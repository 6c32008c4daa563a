//! Export verification: the same texts classified by bouncelab and by the
//! target MTA's own semantics, reproduced here.
//!
//! - KumoMTA (`crates/bounce-classify`): the exported files merged in load
//!   order, every pattern in one `regex::RegexSet` built with the builder's
//!   defaults, the class of the lowest matching pattern index, else
//!   `Uncategorized`; the text matched is the one-line response KumoMTA logs,
//!   `"<code> <enhanced> <content>"` ([`kumo_line`]).
//! - PowerMTA: the exported `/regex/ category` lines compiled with PCRE2 (the
//!   engine family PowerMTA uses), tried in file order, first match wins.
//!
//! Both sides classify the same one-line response, so a disagreement is the
//! export's fault, never a difference in what the engines were given.
//! bouncelab classifies a text in the SMTP phase it names, as lint tries
//! examples; a text it decides with a rule the export left out (a
//! phase-limited rule: the MTA formats cannot say a phase) is reported as
//! such in [`Report::skipped`], not as a disagreement.

use std::time::{Duration, Instant};

use regex::{RegexSet, RegexSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::{Format, kumomta, kumomta_engine, powermta};
use crate::engine::classify::{Classifier, DecidedBy};
use crate::engine::ruleset::RuleSet;
use crate::engine::smtp;
use crate::i18n::{tr, tr_fmt, tr_n};

/// Why a target's files could not be loaded the way the MTA loads them.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A KumoMTA file is not a valid classifier file.
    #[error("{}", crate::i18n::tr_fmt("export.verify_bad_file", &[("n", &(.file + 1)), ("error", .message)]))]
    BadFile {
        /// 0-based file index in load order.
        file: usize,
        /// What the parser said.
        message: String,
    },
    /// The merged set does not compile with the target's defaults.
    #[error("{}", crate::i18n::tr_fmt("export.kumo_set_fails", &[("error", .0)]))]
    SetFails(String),
    /// A PowerMTA pattern does not compile in PCRE2.
    #[error("{}", crate::i18n::tr_fmt("export.pcre_fails", &[("line", .line), ("error", .message)]))]
    Pcre {
        /// 1-based line in the exported file.
        line: usize,
        /// PCRE2's message.
        message: String,
    },
    /// This format has no MTA semantics to verify.
    #[error("{}", crate::i18n::tr_fmt("export.verify_unsupported", &[("format", .0)]))]
    Unsupported(&'static str),
}

/// The one-line form KumoMTA gives a response before classifying it
/// (`rfc5321::Response::to_single_line`): code, enhanced code when the reply
/// starts with one, then the content with line breaks turned into spaces.
/// Continuation lines (`550-...`) are joined as KumoMTA's SMTP client joins
/// them, dropping a repeated enhanced code. A DSN gives its `Diagnostic-Code`;
/// a text that does not start with a reply code is taken as content alone.
pub fn kumo_line(text: &str) -> String {
    let reply = smtp::parse(text);
    let body = text[reply.text].trim_start();
    let mut lines = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    let Some((code, content)) = response_line(first) else {
        return remove_line_breaks(body);
    };
    let (enhanced, content) = match enhanced_prefix(content) {
        Some((e, rest)) => (Some(e), rest),
        None => (None, content),
    };
    let mut joined = content.to_owned();
    for line in lines {
        joined.push('\n');
        let rest = match response_line(line) {
            Some((c, rest)) if c == code => rest,
            _ => line,
        };
        let rest = match &enhanced {
            Some(e) => rest.strip_prefix(&format!("{e} ")).unwrap_or(rest),
            None => rest,
        };
        joined.push_str(rest);
    }
    let mut out = format!("{code} ");
    if let Some(e) = enhanced {
        out.push_str(&format!("{e} "));
    }
    out.push_str(&remove_line_breaks(&joined));
    out
}

/// `NNN ` or `NNN-` then content, as KumoMTA's client reads a reply line.
fn response_line(line: &str) -> Option<(u16, &str)> {
    let b = line.as_bytes();
    if b.len() < 4 || !matches!(b[3], b' ' | b'-') || !b[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((line[..3].parse().ok()?, &line[4..]))
}

/// A leading `c.s.d ` with c in {2,4,5}, as KumoMTA parses it, and the rest.
fn enhanced_prefix(content: &str) -> Option<(String, &str)> {
    let mut fields = content.splitn(3, '.');
    let class: u8 = fields.next()?.parse().ok()?;
    if !matches!(class, 2 | 4 | 5) {
        return None;
    }
    let subject: u16 = fields.next()?.parse().ok()?;
    let (detail, rest) = fields.next()?.split_once(' ')?;
    let detail: u16 = detail.parse().ok()?;
    Some((format!("{class}.{subject}.{detail}"), rest))
}

/// CR LF and lone CR or LF become one space each, as KumoMTA logs a response.
fn remove_line_breaks(s: &str) -> String {
    s.replace("\r\n", " ").replace(['\r', '\n'], " ")
}

/// KumoMTA's classifier rebuilt from exported files, exactly as
/// `BounceClassifierBuilder` builds it.
pub struct KumoClassifier {
    set: RegexSet,
    classes: Vec<String>,
}

#[derive(Deserialize)]
struct ClassifierFile {
    rules: std::collections::BTreeMap<Spanned<String>, Vec<String>>,
}

impl KumoClassifier {
    /// Merges the files in load order and compiles with the builder's defaults.
    pub fn from_files(files: &[&str]) -> Result<KumoClassifier, VerifyError> {
        Self::with_dfa_size_limit(files, None)
    }

    /// As [`Self::from_files`], with another lazy-DFA cache size than the
    /// builder's 2 MB default: what KumoMTA would do with such an option
    /// (`configure_bounce_classifier` has none), for the bench.
    pub fn with_dfa_size_limit(files: &[&str], dfa_size_limit: Option<usize>) -> Result<KumoClassifier, VerifyError> {
        let mut patterns = Vec::new();
        let mut classes = Vec::new();
        for (i, text) in files.iter().enumerate() {
            let file: ClassifierFile =
                toml::from_str(text).map_err(|e| VerifyError::BadFile { file: i, message: e.message().to_owned() })?;
            // KumoMTA keeps the file's key order (an ordered map).
            let mut rules: Vec<_> = file.rules.into_iter().collect();
            rules.sort_by_key(|(k, _)| k.span().start);
            for (class, list) in rules {
                for p in list {
                    classes.push(class.get_ref().clone());
                    patterns.push(p);
                }
            }
        }
        let mut builder = RegexSetBuilder::new(&patterns);
        if let Some(limit) = dfa_size_limit {
            builder.dfa_size_limit(limit);
        }
        let set = builder.build().map_err(|e| VerifyError::SetFails(e.to_string()))?;
        Ok(KumoClassifier { set, classes })
    }

    /// `BounceClassifier::classify_str`: the lowest matching pattern's class.
    pub fn classify(&self, line: &str) -> &str {
        self.set.matches(line).iter().next().map_or(kumomta::FALLBACK_CLASS, |i| self.classes[i].as_str())
    }

    /// Number of patterns in the merged set.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}

/// PowerMTA's bounce categories rebuilt from an exported file with PCRE2.
pub struct PmtaClassifier {
    patterns: Vec<(pcre2::bytes::Regex, String)>,
}

impl PmtaClassifier {
    /// Compiles every `/regex/ category` line (UTF mode, PCRE's defaults otherwise).
    pub fn from_text(text: &str) -> Result<PmtaClassifier, VerifyError> {
        let mut patterns = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let Some((pattern, category)) = powermta::split_line(line.trim()) else { continue };
            let re = pcre2::bytes::RegexBuilder::new()
                .utf(true)
                .jit_if_available(true)
                .build(pattern)
                .map_err(|e| VerifyError::Pcre { line: n + 1, message: e.to_string() })?;
            patterns.push((re, category.to_owned()));
        }
        Ok(PmtaClassifier { patterns })
    }

    /// The category of the first matching line, `None` when no line matches.
    pub fn classify(&self, line: &str) -> Option<&str> {
        // A PCRE match error (resource limits) counts as no match, as in PowerMTA.
        self.patterns.iter().find(|(re, _)| re.is_match(line.as_bytes()).unwrap_or(false)).map(|(_, c)| c.as_str())
    }

    /// Number of compiled lines.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether no line compiled.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// One text on which the target and bouncelab disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// 0-based index of the text in the input.
    pub index: usize,
    /// The line both sides classified.
    pub line: String,
    /// The class bouncelab's verdict maps to (`None`: no rule decided, so no pattern should match).
    pub expected: Option<String>,
    /// What the target said (`None`: no pattern matched).
    pub got: Option<String>,
    /// The bouncelab rule that decided, if any.
    pub rule: Option<usize>,
}

/// What a verification found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The target format.
    pub format: Format,
    /// Texts classified.
    pub texts: usize,
    /// Of them, decided by a bouncelab rule.
    pub rule_decided: usize,
    /// Every text where the target disagrees.
    pub disagreements: Vec<Disagreement>,
    /// Texts bouncelab decides with a rule the export left out: what the
    /// target says there is reported, not counted as a disagreement.
    pub skipped: Vec<Disagreement>,
    /// The target's classification speed on these texts, one core.
    pub lines_per_sec: f64,
    /// KumoMTA: which of its regex engines ran the texts, the reason for the speed.
    pub engine: Option<kumomta_engine::EngineUse>,
}

impl Report {
    /// Whether the target agrees on every text.
    pub fn agrees(&self) -> bool {
        self.disagreements.is_empty()
    }

    /// The target's name, as the report's sentences say it.
    pub fn target(&self) -> &'static str {
        if self.format == Format::PowerMta { "PowerMTA" } else { "KumoMTA" }
    }

    /// The summary sentence, in the interface language (the CLI and the
    /// export dialog say the same).
    pub fn summary(&self) -> String {
        let args: [(&str, &dyn std::fmt::Display); 4] = [
            ("target", &self.target()),
            ("texts", &self.texts),
            ("rules", &self.rule_decided),
            ("speed", &format!("{:.0}", self.lines_per_sec)),
        ];
        tr_n("export.verified", self.disagreements.len(), &args)
    }

    /// KumoMTA: which engine ran the texts, in the interface language; the
    /// speed's explanation (the regex crate's PikeVM is thousands of times
    /// slower than its lazy DFA on a large set).
    pub fn engine_text(&self) -> Option<String> {
        let e = self.engine?;
        Some(if e.lazy_dfa_built {
            let args: [(&str, &dyn std::fmt::Display); 2] = [("lines", &e.lines), ("pikevm", &e.pikevm_lines())];
            tr_n("export.kumo_engine_dfa", e.lazy_dfa_lines, &args)
        } else {
            let cache = format!("{} MB", kumomta_engine::DFA_CACHE >> 20);
            tr_n("export.kumo_engine_no_dfa", e.reverse_states, &[("cache", &cache)])
        })
    }

    /// One of [`Report::disagreements`] as a sentence; the text is cut at `width` characters.
    pub fn disagreement_text(&self, doc: &RuleSet, d: &Disagreement, width: usize) -> String {
        let none = tr("export.no_match");
        let rule = d.rule.and_then(|i| doc.bounce_rules.get(i)).map_or("", |r| r.name.as_str());
        let args: [(&str, &dyn std::fmt::Display); 6] = [
            ("n", &(d.index + 1)),
            ("target", &self.target()),
            ("got", &d.got.as_deref().unwrap_or(none)),
            ("expected", &d.expected.as_deref().unwrap_or(none)),
            ("rule", &rule),
            ("line", &crate::engine::lint::shorten(&d.line, width)),
        ];
        tr_fmt("export.disagreement", &args)
    }

    /// The heading over [`Report::skipped`].
    pub fn skipped_heading(&self) -> String {
        tr_n("export.verified_skipped", self.skipped.len(), &[("target", &self.target())])
    }

    /// One of [`Report::skipped`] as a sentence; the text is cut at `width` characters.
    pub fn skipped_text(&self, doc: &RuleSet, d: &Disagreement, width: usize) -> String {
        let rule = d.rule.and_then(|i| doc.bounce_rules.get(i)).map_or("", |r| r.name.as_str());
        let args: [(&str, &dyn std::fmt::Display); 5] = [
            ("n", &(d.index + 1)),
            ("target", &self.target()),
            ("got", &d.got.as_deref().unwrap_or(tr("export.no_match"))),
            ("rule", &rule),
            ("line", &crate::engine::lint::shorten(&d.line, width)),
        ];
        tr_fmt("export.skipped_text", &args)
    }
}

/// Classifies `texts` with bouncelab and with the target's semantics applied to
/// the export of `doc` (`files`: the exported file texts in load order).
pub fn verify(doc: &RuleSet, format: Format, files: &[&str], texts: &[&str]) -> Result<Report, VerifyError> {
    let classifier = Classifier::new(doc);
    let left_out = super::skipped_rules(doc, format);
    let lines: Vec<String> = texts.iter().map(|t| kumo_line(t)).collect();
    let mut rule_decided = 0;
    let mut disagreements = Vec::new();
    let mut skipped = Vec::new();
    let mut check = |i: usize, line: &str, got: Option<&str>, expected_of: &dyn Fn(usize) -> String| {
        let v = match smtp::scan_phase(line) {
            Some(p) => classifier.classify_in_phase(line, Some(p)),
            None => classifier.classify_without_span(line),
        };
        let expected = match (v.decided_by, v.rule) {
            (DecidedBy::Rule, Some(r)) => {
                rule_decided += 1;
                Some(expected_of(r))
            }
            _ => None,
        };
        let found = Disagreement { index: i, line: line.to_owned(), expected, got: got.map(String::from), rule: v.rule };
        if v.rule.is_some_and(|r| left_out.binary_search(&r).is_ok()) {
            skipped.push(found);
        } else if found.expected.as_deref() != got {
            disagreements.push(found);
        }
    };
    let (lines_per_sec, engine) = match format {
        Format::KumoMta => {
            let kumo = KumoClassifier::from_files(files)?;
            for (i, line) in lines.iter().enumerate() {
                // KumoMTA says Uncategorized both for no match and for that class: compare the same way.
                let got = kumo.classify(line);
                let got = (got != kumomta::FALLBACK_CLASS || kumo.set.is_match(line)).then_some(got);
                let class_of = |r: usize| kumomta::class_of(doc, &doc.bounce_rules[r]).0;
                check(i, line, got, &class_of);
            }
            let speed = throughput(&lines, |l| {
                std::hint::black_box(kumo.classify(l));
            });
            (speed, kumomta_engine::probe(kumo.set.patterns(), &lines))
        }
        Format::PowerMta => {
            let text = files.first().copied().unwrap_or("");
            let pmta = PmtaClassifier::from_text(text)?;
            for (i, line) in lines.iter().enumerate() {
                let category_of = |r: usize| powermta::category_of(doc, &doc.bounce_rules[r]).0.to_owned();
                check(i, line, pmta.classify(line), &category_of);
            }
            let speed = throughput(&lines, |l| {
                std::hint::black_box(pmta.classify(l));
            });
            (speed, None)
        }
        other => return Err(VerifyError::Unsupported(other.name())),
    };
    Ok(Report { format, texts: texts.len(), rule_decided, disagreements, skipped, lines_per_sec, engine })
}

/// What the exported files make KumoMTA and PowerMTA say where bouncelab gave
/// `v` (verification checks they agree): the rule's class and category, else
/// `Uncategorized` and no PowerMTA pattern (`None`).
pub fn target_classes(doc: &RuleSet, v: &crate::engine::Verdict) -> (String, Option<String>) {
    match (v.decided_by, v.rule.and_then(|r| doc.bounce_rules.get(r))) {
        (DecidedBy::Rule, Some(rule)) => (kumomta::class_of(doc, rule).0, Some(powermta::category_of(doc, rule).0.to_owned())),
        _ => (kumomta::FALLBACK_CLASS.to_owned(), None),
    }
}

/// Every rule's examples (must-match and must-not-match), the texts the GUI verifies an export on.
pub fn example_texts(doc: &RuleSet) -> Vec<String> {
    doc.bounce_rules.iter().flat_map(|r| r.must_match.iter().chain(&r.must_not_match)).cloned().collect()
}

/// Lines per second of `f` over `lines`, repeated until a quarter second has passed.
pub fn throughput(lines: &[String], f: impl Fn(&str)) -> f64 {
    if lines.is_empty() {
        return 0.0;
    }
    let start = Instant::now();
    let mut n = 0usize;
    while n == 0 || start.elapsed() < Duration::from_millis(250) {
        for l in lines {
            f(l);
        }
        n += lines.len();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_form_follows_kumomta() {
        for (text, want) in [
            ("550 5.1.1 user unknown", "550 5.1.1 user unknown"),
            ("550-5.1.1 first\r\n550-5.1.1 second\r\n550 5.1.1 third", "550 5.1.1 first second third"),
            ("452 4.2.2 over quota\nplease retry", "452 4.2.2 over quota please retry"),
            ("550 sorry (#5.1.1)", "550 sorry (#5.1.1)"),
            ("550 5.1.1", "550 5.1.1"),
            ("550 6.1.1 x", "550 6.1.1 x"),
            ("DNS query failed", "DNS query failed"),
            ("  421 try later", "421 try later"),
            ("Diagnostic-Code: smtp; 552 5.2.2 full\nStatus: 5.2.2\n", "552 5.2.2 full"),
            ("5é0 x", "5é0 x"),
        ] {
            assert_eq!(kumo_line(text), want, "{text:?}");
        }
    }

    #[test]
    fn kumomta_lowest_index_wins_across_files() {
        let a = "[rules]\nfoo = ['woot', 'aaa']\nbar = ['woot', 'aaa', 'bbb']\n";
        let b = "[rules]\nsecond = ['bbb', 'ccc']\n";
        let k = KumoClassifier::from_files(&[a, b]).unwrap();
        assert_eq!(
            (k.classify("woot"), k.classify("bbb"), k.classify("ccc"), k.classify("zzz")),
            ("foo", "bar", "second", "Uncategorized")
        );
        // Case-sensitive by default, like KumoMTA.
        assert_eq!(k.classify("WOOT"), "Uncategorized");
    }

    #[test]
    fn pcre2_first_line_wins() {
        let p = PmtaClassifier::from_text(
            "<bounce-category-patterns>\n/(?i)user unknown/ bad-mailbox\n/unknown/ other\n</bounce-category-patterns>\n",
        )
        .unwrap();
        assert_eq!(p.classify("550 User Unknown"), Some("bad-mailbox"));
        assert_eq!(p.classify("unknown host"), Some("other"));
        assert_eq!(p.classify("fine"), None);
        assert!(matches!(PmtaClassifier::from_text("/a(/ other\n"), Err(VerifyError::Pcre { line: 1, .. })));
    }
}
