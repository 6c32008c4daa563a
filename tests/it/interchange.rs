//! Export / import round trips, bad input, replay diff, and the CLI end to end.

use std::path::Path;

use bouncelab::engine::diff::replay_diff;
use bouncelab::engine::interchange::{self, Format, IssueKind};
use bouncelab::engine::ruleset::{Category, ReasonDef, RuleStatus};
use bouncelab::engine::smtp::Phase;
use bouncelab::engine::{BounceRule, Classifier, FailureType, RuleSet};

use super::default_doc;

fn patterns(rules: &[BounceRule]) -> Vec<&str> {
    rules.iter().map(|r| r.pattern.as_str()).collect()
}

/// The default rules limited to SMTP phases, by index: what the MTA formats cannot say.
fn phase_limited(doc: &RuleSet) -> Vec<usize> {
    doc.bounce_rules.iter().enumerate().filter(|(_, r)| !r.phases.is_empty()).map(|(i, _)| i).collect()
}

/// The rules an MTA export keeps: all but the phase-limited ones.
fn exportable(doc: &RuleSet) -> Vec<BounceRule> {
    doc.bounce_rules.iter().filter(|r| r.phases.is_empty()).cloned().collect()
}

fn round_trip(format: Format) -> (RuleSet, interchange::Import) {
    let doc = default_doc();
    let out = interchange::export(&doc, format);
    let skipped: Vec<usize> = out.problems.iter().filter(|p| p.skipped).filter_map(|p| p.rule).collect();
    let expected = if matches!(format, Format::KumoMta | Format::PowerMta) { phase_limited(&doc) } else { Vec::new() };
    assert_eq!(skipped, expected, "{format:?}: {:?}", out.problems);
    for p in out.problems.iter().filter(|p| p.skipped) {
        assert!(matches!(&p.kind, IssueKind::PhaseLimited { format: f, phases } if *f == format && !phases.is_empty()), "{p:?}");
    }
    let parts: Vec<&str> = std::iter::once(out.text.as_str()).chain(out.more_files.iter().map(String::as_str)).collect();
    let back = match format {
        Format::KumoMta => interchange::kumomta::import_files(&parts, &doc),
        _ => interchange::import(&out.text, format, &doc),
    }
    .unwrap();
    assert!(back.problems.is_empty(), "{format:?}: {:?}", back.problems);
    (doc, back)
}

#[test]
fn kumomta_round_trip_keeps_patterns_order_names_and_categories() {
    let (doc, back) = round_trip(Format::KumoMta);
    let kept = exportable(&doc);
    assert_eq!(patterns(&back.rules), patterns(&kept));
    for (a, b) in kept.iter().zip(&back.rules) {
        assert_eq!((&a.name, &a.category), (&b.name, &b.category));
    }
}

#[test]
fn kumomta_file_without_comments_maps_classes_to_first_category() {
    let doc = default_doc();
    let text = "[rules]\nQuotaIssues = ['(?i)quota exceeded', '(?i)mailbox full']\nInvalidRecipient = ['user unknown']\n";
    let back = interchange::import(text, Format::KumoMta, &doc).unwrap();
    let got: Vec<_> = back.rules.iter().map(|r| (r.name.as_str(), r.pattern.as_str(), r.category.as_str())).collect();
    assert_eq!(
        got,
        [
            ("QuotaIssues #1", "quota exceeded", "mailboxfull"),
            ("QuotaIssues #2", "mailbox full", "mailboxfull"),
            ("InvalidRecipient #1", "user unknown", "userunknown")
        ]
    );
    // The pattern without (?i) is case-sensitive in KumoMTA: said once, not an error.
    assert!(back.problems.iter().any(|p| p.message.contains("case-sensitively")), "{:?}", back.problems);
}

#[test]
fn kumomta_unknown_keys_and_classes_are_warnings() {
    let doc = default_doc();
    let text =
        "version = 3\n[options]\nfuzzy = true\n[rules]\nBrandNewClass = ['(?i)x1']\nInvalidRecipient = ['(?i)no such user']\nWeird = 42\n";
    let back = interchange::import(text, Format::KumoMta, &doc).unwrap();
    assert_eq!(patterns(&back.rules), ["x1", "no such user"]);
    assert_eq!(back.rules[0].category, doc.default_category);
    let msgs: Vec<String> = back.problems.iter().map(|p| p.to_string()).collect();
    assert!(msgs.iter().any(|m| m.contains("'version'")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("'options'")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("rule #1 'BrandNewClass #1'") && m.contains("unknown class")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("'Weird'") && m.contains("line 7")), "{msgs:?}");
}

#[test]
fn kumomta_syntax_error_names_the_line() {
    let err = interchange::import("[rules]\nA = ['x',\nB = \n", Format::KumoMta, &default_doc()).unwrap_err();
    assert!(err.to_string().contains("line"), "{err}");
}

#[test]
fn powermta_round_trip_keeps_patterns_order_names_and_categories() {
    let (doc, back) = round_trip(Format::PowerMta);
    let kept = exportable(&doc);
    assert_eq!(patterns(&back.rules), patterns(&kept));
    for (a, b) in kept.iter().zip(&back.rules) {
        assert_eq!((&a.name, &a.category), (&b.name, &b.category));
    }
}

#[test]
fn powermta_lookaround_is_reported_and_the_others_imported() {
    let text = "<bounce-category-patterns>\n  /user unknown/ bad-mailbox\n  /spam(?!assassin)/ spam-related\n  /(a)\\1/ other\n  /quota/ quota-issues\n  garbage\n</bounce-category-patterns>\n";
    let back = interchange::import(text, Format::PowerMta, &default_doc()).unwrap();
    assert_eq!(patterns(&back.rules), ["user unknown", "quota"]);
    assert_eq!(back.rules[1].category, "mailboxfull");
    let skipped: Vec<String> = back.problems.iter().filter(|p| p.skipped).map(|p| p.to_string()).collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped[0].contains("line 3") && skipped[0].contains("look-around"), "{skipped:?}");
    assert!(skipped[1].contains("backreference"), "{skipped:?}");
    assert!(skipped[2].contains("line 6"), "{skipped:?}");
}

#[test]
fn powermta_export_flags_rust_only_syntax() {
    let mut doc = default_doc();
    doc.bounce_rules = vec![
        BounceRule::new("ascii", "(?-u:\\b)user unknown", "userunknown"),
        BounceRule::new("unicode", "\\p{Lu}+ full", "mailboxfull"),
        BounceRule::new("slash", "a/b", "mailboxfull"),
    ];
    let out = interchange::export(&doc, Format::PowerMta);
    assert!(out.problems.iter().any(|p| p.rule == Some(0) && p.skipped));
    assert!(out.problems.iter().any(|p| p.rule == Some(1) && !p.skipped && p.message.contains("\\p{")));
    assert!(!out.text.contains("(?-u"));
    assert!(out.text.contains("/(?i)a\\/b/ quota-issues"), "{}", out.text);
    let back = interchange::import(&out.text, Format::PowerMta, &doc).unwrap();
    assert_eq!(patterns(&back.rules), ["\\p{Lu}+ full", "a/b"]);
}

/// A rule with every field set, including separators CSV must quote.
fn full_rule() -> BounceRule {
    let mut r = BounceRule::new("Odd, \"quoted\" name", "a,b|\"c\"\n", "mailboxfull");
    r.reason = Some("unreachable".into());
    r.failure_type = Some(FailureType::Hard);
    r.status = RuleStatus::Ignore;
    r.enabled = false;
    r.note = "line one\nline two, with comma".into();
    r.must_match = vec!["one".into(), "two".into()];
    r.must_not_match = vec!["three".into()];
    r.phases = vec![Phase::Data, Phase::EndOfData];
    r
}

#[test]
fn csv_and_json_round_trips_are_lossless() {
    for format in [Format::Csv, Format::Json] {
        let (doc, back) = round_trip(format);
        assert_eq!(back.rules, doc.bounce_rules, "{format:?}");
        let mut doc = doc;
        doc.bounce_rules.push(full_rule());
        let out = interchange::export(&doc, format);
        let back = interchange::import(&out.text, format, &doc).unwrap();
        assert_eq!(back.rules, doc.bounce_rules, "{format:?}");
    }
}

#[test]
fn phases_survive_csv_and_json_and_keep_rules_out_of_mta_exports() {
    let mut doc = default_doc();
    let mut late = BounceRule::new("late unknown", "user unknown", "filtered");
    late.phases = vec![Phase::Data, Phase::EndOfData];
    let mut rcpt = BounceRule::new("rcpt only", "no such user", "userunknown");
    rcpt.phases = vec![Phase::RcptTo];
    doc.bounce_rules = vec![late, BounceRule::new("any", "quota", "mailboxfull"), rcpt];
    for format in [Format::Csv, Format::Json] {
        let out = interchange::export(&doc, format);
        let back = interchange::import(&out.text, format, &doc).unwrap();
        let phases: Vec<&[Phase]> = back.rules.iter().map(|r| r.phases.as_slice()).collect();
        assert_eq!(phases, [&[Phase::Data, Phase::EndOfData][..], &[], &[Phase::RcptTo]], "{format:?}");
        assert_eq!(back.rules, doc.bounce_rules, "{format:?}");
    }
    assert!(interchange::export(&doc, Format::Csv).text.contains(",\"data,end_of_data\"\n"));
    // A CSV written by hand may name the SMTP command; a bad phase skips the row.
    let text = "name,pattern,category,phases\nA,user unknown,filtered,DATA\nB,x,filtered,lunch\n";
    let back = interchange::import(text, Format::Csv, &doc).unwrap();
    assert_eq!(back.rules.len(), 1);
    assert_eq!(back.rules[0].phases, [Phase::Data]);
    assert!(back.problems.iter().any(|p| p.skipped && p.to_string().contains("'lunch'")), "{:?}", back.problems);
    for format in [Format::KumoMta, Format::PowerMta] {
        let out = interchange::export(&doc, format);
        let skipped: Vec<(usize, &IssueKind)> = out.problems.iter().filter(|p| p.skipped).map(|p| (p.rule.unwrap(), &p.kind)).collect();
        assert_eq!(skipped.len(), 2, "{format:?}: {:?}", out.problems);
        assert_eq!(skipped[0], (0, &IssueKind::PhaseLimited { format, phases: vec![Phase::Data, Phase::EndOfData] }));
        assert_eq!(skipped[1], (2, &IssueKind::PhaseLimited { format, phases: vec![Phase::RcptTo] }));
        assert!(!out.text.contains("user unknown") && !out.text.contains("no such user") && out.text.contains("quota"), "{}", out.text);
        let shown = out.problems[0].to_string();
        assert!(shown.contains("'late unknown'") && shown.contains("DATA, end of data") && shown.contains("(skipped)"), "{shown}");
    }
}

#[test]
fn csv_ragged_rows_name_the_line_and_the_rest_imports() {
    let text = "name,pattern,category\nA,user unknown,userunknown\nB,too,few,fields,here\nC,quota,mailboxfull\nD,x\n";
    let back = interchange::import(text, Format::Csv, &default_doc()).unwrap();
    assert_eq!(patterns(&back.rules), ["user unknown", "quota"]);
    let msgs: Vec<String> = back.problems.iter().map(|p| p.to_string()).collect();
    assert!(msgs.iter().any(|m| m.contains("line 3") && m.contains("5 fields") && m.contains("(skipped)")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("line 5") && m.contains("2 fields")), "{msgs:?}");
    let err = interchange::import("name,category\nA,b\n", Format::Csv, &default_doc()).unwrap_err();
    assert!(err.to_string().contains("'pattern'"), "{err}");
}

/// Two hand-made rule sets: the new one splits "quota" off to mailboxfull and renames a rule.
fn pair() -> (RuleSet, RuleSet) {
    let reason = |id: &str, label: &str, failure_type, errors| ReasonDef {
        id: id.into(),
        label: label.into(),
        failure_type,
        quarantine: bouncelab::engine::ruleset::QuarantinePolicy::AfterErrors(errors),
        release_after_days: None,
        note: String::new(),
        labels: Default::default(),
    };
    let cat = |id: &str, reason: &str| Category {
        id: id.into(),
        reason: reason.into(),
        failure_type: None,
        momentum: None,
        powermta: String::new(),
        kumomta: String::new(),
        note: String::new(),
    };
    let mut old = RuleSet {
        reasons: vec![
            reason("user_unknown", "User unknown", FailureType::Hard, 1),
            reason("mailbox_full", "Mailbox full", FailureType::Soft, 3),
        ],
        categories: vec![cat("userunknown", "user_unknown"), cat("mailboxfull", "mailbox_full"), cat("undefined", "mailbox_full")],
        ..RuleSet::default()
    };
    let mut new = old.clone();
    old.bounce_rules = vec![BounceRule::new("unknown", "unknown|quota", "userunknown"), BounceRule::new("full", "full", "mailboxfull")];
    new.bounce_rules = vec![
        BounceRule::new("quota", "quota", "mailboxfull"),
        BounceRule::new("unknown", "unknown", "userunknown"),
        BounceRule::new("mailbox full", "full", "mailboxfull"),
    ];
    (old, new)
}

#[test]
fn diff_groups_changed_verdicts() {
    let (old, new) = pair();
    let (a, b) = (Classifier::new(&old), Classifier::new(&new));
    let lines = ["user unknown", "quota exceeded", "over quota", "box full", "quota 2", "nothing", "quota 3", "quota 4"];
    let d = replay_diff(&a, &b, &lines, 3);
    assert_eq!((d.total, d.changed, d.groups.len()), (8, 6, 2));
    let g = &d.groups[0];
    assert_eq!(g.count, 5);
    assert_eq!((g.old.category.as_str(), g.old.rule.as_deref()), ("userunknown", Some("unknown")));
    assert_eq!((g.new.category.as_str(), g.new.failure_type, g.new.rule.as_deref()), ("mailboxfull", FailureType::Soft, Some("quota")));
    assert_eq!(g.examples, ["quota exceeded", "over quota", "quota 2"]);
    let g = &d.groups[1];
    assert_eq!((g.count, g.old.rule.as_deref(), g.new.rule.as_deref()), (1, Some("full"), Some("mailbox full")));
}

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    // The CLI speaks the system's language; these checks read its English.
    crate::run_cli("C", args, stdin)
}

fn rules_path() -> String {
    format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cli_export_then_import_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["kumomta", "powermta", "csv", "json"] {
        let file = dir.path().join(format!("rules.{format}"));
        let (code, out, err) = run(&["export", "--format", format, "--rules", &rules_path(), "-o", file.to_str().unwrap()], b"");
        assert_eq!(code, 0, "{err}");
        let doc = default_doc();
        let n = doc.bounce_rules.len();
        // The MTA formats leave the phase-limited rules out, each with its notice.
        let kept = if matches!(format, "kumomta" | "powermta") { exportable(&doc).len() } else { n };
        assert!(err.contains(&format!("exported {kept} of {n}")), "{err}");
        assert_eq!(err.matches("which KumoMTA cannot say").count() + err.matches("which PowerMTA cannot say").count(), n - kept, "{err}");
        // A KumoMTA export may need several files to keep the rule order: it prints their list.
        let mut args = vec!["import".to_owned(), "--format".into(), format.into()];
        if out.is_empty() {
            args.push(file.display().to_string());
        } else {
            assert_eq!(format, "kumomta", "{out}");
            let list = out.trim().strip_prefix("files = { ").and_then(|l| l.strip_suffix(" }")).expect("files line");
            args.extend(list.split(", ").map(|p| p.trim_matches('\'').to_owned()));
        }
        args.extend(["--rules".to_owned(), rules_path()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, ron, err) = run(&args, b"");
        assert_eq!(code, 0, "{err}");
        let back = RuleSet::from_ron_str(&ron, Path::new("stdout")).unwrap();
        let want = if kept == n { doc.bounce_rules.clone() } else { exportable(&doc) };
        assert_eq!(patterns(&back.bounce_rules), patterns(&want), "{format}");
        assert_eq!(back.categories, doc.categories);
    }
}

#[test]
fn cli_import_of_nothing_fails_and_bad_input_is_clear() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.txt");
    std::fs::write(&file, "/x(?=y)/ bad-mailbox\n").unwrap();
    let (code, out, err) = run(&["import", "--format", "powermta", file.to_str().unwrap()], b"");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("look-around"), "{err}");
    assert!(out.contains("bounce_rules: []"), "{out}");
    std::fs::write(&file, "{ not json").unwrap();
    let (code, _, err) = run(&["import", "--format", "json", file.to_str().unwrap()], b"");
    assert_eq!(code, 2);
    assert!(err.contains("JSON syntax error at line 1"), "{err}");
}

#[test]
fn cli_diff_prints_groups_and_total() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = pair();
    let (po, pn) = (dir.path().join("old.ron"), dir.path().join("new.ron"));
    old.save(&po).unwrap();
    new.save(&pn).unwrap();
    let input = b"quota a\nquota b\nquota c\nquota d\nbox full\nuser unknown\n\xff\xfe\n";
    let (code, out, err) = run(&["diff", po.to_str().unwrap(), pn.to_str().unwrap()], input);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("userunknown (User unknown, Hard, rule 'unknown') -> mailboxfull (Mailbox full, Soft, rule 'quota'): 4"),
        "{out}"
    );
    assert_eq!(lines[1..4], ["    quota a", "    quota b", "    quota c"]);
    assert!(lines[4].ends_with("rule 'mailbox full'): 1"), "{out}");
    assert_eq!(*lines.last().unwrap(), "total: 7 lines, 5 changed, 2 groups");
    assert!(err.contains("UTF-8"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// Arbitrary text (regex syntax, TOML and CSV punctuation, non-ASCII) never panics any importer.
    #[test]
    fn importers_never_panic(text in "([\\[\\]/=#'\",|(){}?!<>\\\\+*a-z0-9 \n]|é|\u{1F600}){0,80}") {
        static DOC: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        let doc = DOC.get_or_init(default_doc);
        for f in Format::ALL {
            let _ = interchange::import(&text, f, doc);
            let _ = interchange::import(&format!("[rules]\nX = ['{}']", text.replace(['\'', '\n'], "")), f, doc);
        }
        let _ = interchange::pcre_only_syntax(&text);
        let _ = interchange::powermta::rust_only_syntax(&text);
    }
}
