use bouncelab::engine::classify::RuleProblem;
use bouncelab::engine::{BounceRule, Classifier, DecidedBy, lint};

use crate::{default_doc, table};

#[test]
fn six_reference_bounces_classify_as_documented() {
    let doc = default_doc();
    let c = Classifier::new(&doc);
    assert!(c.errors().is_empty(), "{:?}", c.errors());
    let rows = table("reference_bounces.tsv");
    assert_eq!(rows.len(), 6);
    for row in rows {
        let v = c.classify(&row[0]);
        assert_eq!(v.failure_type.label(), row[1], "type of {}", row[0]);
        assert_eq!(c.reason(&v).label, row[2], "reason of {}", row[0]);
        assert_eq!(c.category(&v).id, row[3], "category of {}", row[0]);
        assert_eq!(v.decided_by, DecidedBy::Rule, "{}", row[0]);
        let span = v.span.expect("a rule match has a span");
        assert!(span.start < span.end && span.end <= row[0].len());
    }
}

#[test]
fn fallbacks_decide_when_no_rule_matches() {
    let doc = default_doc();
    let c = Classifier::new(&doc);
    for row in table("fallbacks.tsv") {
        let v = c.classify(&row[0]);
        assert_eq!(v.failure_type.label(), row[1], "{}", row[0]);
        assert_eq!(c.category(&v).id, row[2], "{}", row[0]);
        assert_eq!(v.decided_by.as_str(), row[3], "{}", row[0]);
        assert_eq!(v.basic_code.map(|c| c.to_string()).unwrap_or_default(), row[4], "{}", row[0]);
        assert_eq!(v.enhanced_code.map(|c| c.to_string()).unwrap_or_default(), row.get(5).cloned().unwrap_or_default(), "{}", row[0]);
    }
}

#[test]
fn invalid_regex_is_reported_and_the_rest_still_classify() {
    let mut doc = default_doc();
    doc.bounce_rules.insert(0, BounceRule::new("broken", "user (unknown", "userunknown"));
    let c = Classifier::new(&doc);
    let err = c.errors().iter().find(|e| e.rule == Some(0)).expect("error reported");
    match &err.problem {
        RuleProblem::InvalidRegex { position, .. } => assert_eq!(*position, Some(5)),
        other => panic!("{other:?}"),
    }
    let v = c.classify("550 5.2.2 User quota exceeded");
    assert_eq!(c.category(&v).id, "mailboxfull");
}

#[test]
fn hostile_pattern_fails_cleanly() {
    let mut doc = default_doc();
    doc.bounce_rules.push(BounceRule::new("huge", "(\\w{100}){100}", "userunknown"));
    let c = Classifier::new(&doc);
    assert!(c.errors().iter().any(|e| e.rule == Some(doc.bounce_rules.len() - 1)));
    assert_eq!(c.active_rules(), doc.bounce_rules.len() - 1);
}

#[test]
fn first_rule_in_list_order_wins_and_explain_lists_all() {
    let mut doc = default_doc();
    doc.bounce_rules.insert(0, BounceRule::new("quota first", "quota", "mailboxfull"));
    doc.bounce_rules.insert(1, BounceRule::new("user first", "user", "userunknown"));
    let c = Classifier::new(&doc);
    let e = c.explain("550 5.2.2 User quota exceeded");
    assert_eq!(e.verdict.rule, Some(0));
    assert!(e.matches.len() >= 3, "{:?}", e.matches);
    assert_eq!(e.matches[0].rule, 0);
    assert_eq!(e.matches[1].rule, 1);
    assert_eq!(c.classify("550 5.2.2 User quota exceeded"), e.verdict);
}

#[test]
fn disabled_and_ignored_rules_never_match() {
    let mut doc = default_doc();
    let mut r = BounceRule::new("off", "quota", "userunknown");
    r.enabled = false;
    doc.bounce_rules.insert(0, r);
    let mut r = BounceRule::new("ignored", "quota", "userunknown");
    r.status = bouncelab::engine::ruleset::RuleStatus::Ignore;
    doc.bounce_rules.insert(0, r);
    let c = Classifier::new(&doc);
    assert_eq!(c.category(&c.classify("550 5.2.2 User quota exceeded")).id, "mailboxfull");
}

#[test]
fn unknown_ids_are_reported_not_fatal() {
    let mut doc = default_doc();
    doc.bounce_rules.insert(0, BounceRule::new("bad cat", "quota", "nosuchcategory"));
    let mut r = BounceRule::new("bad reason", "quota", "mailboxfull");
    r.reason = Some("nosuchreason".into());
    doc.bounce_rules.insert(1, r);
    let c = Classifier::new(&doc);
    assert_eq!(c.errors().len(), 2);
    assert_eq!(c.category(&c.classify("550 5.2.2 User quota exceeded")).id, "mailboxfull");
}

#[test]
fn dsn_pasted_whole_is_classified_on_its_diagnostic_code() {
    let doc = default_doc();
    let c = Classifier::new(&doc);
    let mail = std::fs::read_to_string(crate::data("dsn_mailboxfull.eml")).unwrap();
    let v = c.classify(&mail);
    assert_eq!(c.category(&v).id, "mailboxfull");
    let span = v.span.unwrap();
    let diag = mail.find("Diagnostic-Code:").unwrap();
    assert!(span.start > diag, "the match is inside the Diagnostic-Code value, not the headers");
}

#[test]
fn shipped_rules_pass_their_examples() {
    let doc = default_doc();
    let c = Classifier::new(&doc);
    let failures = lint::run_examples(&doc, &c);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn empty_document_still_classifies() {
    let doc = bouncelab::engine::RuleSet::default();
    let c = Classifier::new(&doc);
    let v = c.classify("550 5.1.1 user unknown");
    assert_eq!(v.decided_by, DecidedBy::None);
    assert_eq!(c.reason(&v).label, "Unknown");
}

#[test]
fn default_mx_rules_pick_the_provider_and_end_with_the_catch_all() {
    use bouncelab::engine::mx::find_rule;
    let doc = default_doc();
    let mask = |host: &str| find_rule(&doc.mx_rules, host, None).rule.map(|i| doc.mx_rules[i].mask.clone());
    assert_eq!(mask("example-com.mail.protection.outlook.com").as_deref(), Some("*.mail.protection.outlook.com"));
    assert_eq!(mask("gmail-smtp-in.l.google.com.").as_deref(), Some("*.google.com"));
    assert_eq!(mask("mx1.free.fr").as_deref(), Some("mx?.free.fr"));
    assert_eq!(mask("mail.unknown-provider.example").as_deref(), Some("*"));
    assert_eq!(doc.mx_rules.last().unwrap().mask, "*");
    let problems = bouncelab::engine::mx::validate(&doc.mx_rules);
    assert!(problems.is_empty(), "{problems:?}");
}

/// Accuracy floor on the dev corpus (`corpus/`, shipped in the repository); a
/// regression guard, not a timing.
#[test]
fn dev_corpus_accuracy_floor() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/sisimai-dev.tsv");
    let samples = bouncelab::engine::eval::read_tsv(&path).unwrap();
    assert!(samples.len() >= 300, "the dev corpus has its 302 rows");
    let c = Classifier::new(&default_doc());
    let r = bouncelab::engine::eval::evaluate(&c, &samples);
    assert!(r.reason_accuracy() >= 0.90, "reason accuracy {:.3}", r.reason_accuracy());
    assert!(r.hardness_accuracy() >= 0.94, "hard/soft accuracy {:.3}", r.hardness_accuracy());
}

/// The fast first-hit search and the full explanation always agree.
#[test]
fn first_hit_search_agrees_with_the_full_explanation() {
    let c = Classifier::new(&default_doc());
    let mut texts: Vec<String> = crate::table("reference_bounces.tsv").into_iter().map(|r| r[0].clone()).collect();
    let dev = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/sisimai-dev.tsv");
    for path in [dev, crate::data("mini_corpus.tsv")] {
        if let Ok(samples) = bouncelab::engine::eval::read_tsv(&path) {
            texts.extend(samples.into_iter().map(|s| s.text));
        }
    }
    for doc in &default_doc().bounce_rules {
        texts.extend(doc.must_match.iter().cloned());
    }
    for t in &texts {
        assert_eq!(c.classify(t), c.explain(t).verdict, "{t}");
    }
}

#[test]
fn classify_without_span_gives_the_same_verdict_minus_the_span() {
    let c = Classifier::new(&default_doc());
    for row in crate::table("reference_bounces.tsv").iter().chain(crate::table("fallbacks.tsv").iter()) {
        let full = c.classify(&row[0]);
        assert_eq!(c.classify_without_span(&row[0]), bouncelab::engine::Verdict { span: None, ..full });
    }
}

/// The six reference bounces as the Korean, Chinese, Portuguese and Spanish
/// editions of the documentation could render them: the translation, not the
/// codes, must carry *Inactive user* and *Invalid domain*. The first 39 rows were
/// written in session 18; the 110 after them by an outside translator who never
/// saw the rules (session 20: 116 of its 120 renderings were right before the rules
/// saw them, 10 repeated earlier rows); the 203 after those by another translator blind
/// to the rules, in twelve languages (ja, fr, de, ru, it, ko, zh-Hant, pt-PT, es-MX, tr, pl,
/// vi; session 23: 168 of its 216 renderings decided right by a rule before the rules saw
/// them, 185 right counting the code fallback; 13 repeated earlier rows).
#[test]
fn reference_bounces_classify_in_translation_too() {
    let c = Classifier::new(&default_doc());
    let rows = table("reference_bounces_i18n.tsv");
    assert!(rows.len() >= 30);
    let mut problems = Vec::new();
    for row in &rows {
        let v = c.classify(&row[1]);
        let got = (v.failure_type.label(), c.reason(&v).label.as_str(), c.category(&v).id.as_str());
        if got != (row[2].as_str(), row[3].as_str(), row[4].as_str()) || v.decided_by != DecidedBy::Rule {
            problems.push(format!("{} {:?}: {got:?} by {:?}", row[0], row[1], v.decided_by));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
