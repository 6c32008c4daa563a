//! Exports that behave the same in the MTA: KumoMTA's and PowerMTA's matching
//! reproduced over the whole dev corpus, order-keeping multi-file KumoMTA
//! exports, round trips, MX rules as traffic shaping and PowerMTA domains.

use std::collections::BTreeSet;

use bouncelab::engine::interchange::verify::{self, KumoClassifier, PmtaClassifier};
use bouncelab::engine::interchange::{self, Format, kumomta, pmta_domains, shaping};
use bouncelab::engine::mx::{Limits, MxRule, ThroughputLevel, TlsMode};
use bouncelab::engine::ruleset::Category;
use bouncelab::engine::scenario::{Reaction, ReactionAction, Recovery, Scenario};
use bouncelab::engine::{BounceRule, Classifier, RuleSet};

use super::default_doc;

/// The dev corpus texts and every rule example of the default rules.
fn corpus_and_examples(doc: &RuleSet) -> Vec<String> {
    let corpus = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/sisimai-dev.tsv")).unwrap();
    let mut texts: Vec<String> = corpus.lines().skip(1).filter_map(|l| l.split('\t').nth(1)).map(String::from).collect();
    assert!(texts.len() >= 300);
    texts.extend(verify::example_texts(doc));
    texts
}

/// The rules an MTA export leaves out of the default set: exactly the
/// phase-limited ones (the MTA formats cannot say a phase).
fn assert_only_phase_rules_skipped(doc: &RuleSet, out: &interchange::Export) {
    let skipped: Vec<usize> = out.problems.iter().filter(|p| p.skipped).filter_map(|p| p.rule).collect();
    let limited: Vec<usize> = doc.bounce_rules.iter().enumerate().filter(|(_, r)| !r.phases.is_empty()).map(|(i, _)| i).collect();
    assert_eq!(skipped, limited, "{:?}", out.problems);
    assert!(out.problems.iter().filter(|p| p.skipped).all(|p| matches!(p.kind, interchange::IssueKind::PhaseLimited { .. })));
}

/// Number of default rules an MTA export keeps.
fn exported_count(doc: &RuleSet) -> usize {
    doc.bounce_rules.iter().filter(|r| r.phases.is_empty()).count()
}

fn parts(out: &interchange::Export) -> Vec<&str> {
    std::iter::once(out.text.as_str()).chain(out.more_files.iter().map(String::as_str)).collect()
}

#[test]
fn kumomta_semantics_agree_with_bouncelab_on_the_whole_corpus() {
    let doc = default_doc();
    let out = interchange::export(&doc, Format::KumoMta);
    assert_only_phase_rules_skipped(&doc, &out);
    let texts = corpus_and_examples(&doc);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let rep = verify::verify(&doc, Format::KumoMta, &parts(&out), &refs).unwrap();
    assert_eq!(rep.texts, texts.len());
    assert!(rep.rule_decided > rep.texts / 2, "{} of {}", rep.rule_decided, rep.texts);
    assert!(rep.disagreements.is_empty(), "{:#?}", rep.disagreements);
    assert!(rep.lines_per_sec > 0.0);
    // The speed comes with the engine KumoMTA's regex crate runs the lines in.
    let engine = rep.engine.expect("KumoMTA's engine probed");
    assert_eq!(engine.lines, rep.texts);
    assert!(engine.reverse_states > 1000, "{engine:?}");
    assert!(rep.engine_text().is_some_and(|t| t.contains("lazy DFA")));
}

#[test]
fn factored_kumomta_patterns_match_as_the_rules_do() {
    // Each rule as KumoMTA compiles it: the factored form written to the file
    // against the plain `(?i)` form, on every corpus text and example.
    let doc = default_doc();
    let lines: Vec<String> = corpus_and_examples(&doc).iter().map(|t| verify::kumo_line(t)).collect();
    let mut factored = 0;
    for rule in &doc.bounce_rules {
        let (plain, written) = (kumomta::kumo_pattern(&rule.pattern), kumomta::export_pattern(&rule.pattern));
        factored += usize::from(plain != written);
        let (a, b) = (regex::Regex::new(&plain).unwrap(), regex::Regex::new(&written).unwrap());
        for l in &lines {
            assert_eq!(a.is_match(l), b.is_match(l), "{}: {l}", rule.name);
        }
    }
    assert!(factored > doc.bounce_rules.len() / 2, "{factored}");
}

#[test]
fn kumomta_own_shipped_rules_load_in_the_reproduced_classifier() {
    // The reference the export's speed is compared with (benches/export.rs).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kumomta_rules");
    let files: Vec<String> = ["bounces.toml", "iana.toml"].iter().map(|f| std::fs::read_to_string(dir.join(f)).unwrap()).collect();
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let k = KumoClassifier::from_files(&refs).unwrap();
    assert!(k.len() > 100, "{}", k.len());
    assert_eq!(k.classify("550 5.1.1 The email account that you tried to reach does not exist"), "InvalidRecipient");
    assert_eq!(k.classify("552 5.2.2 mailbox full"), "QuotaIssues");
    assert_eq!(k.classify("250 2.0.0 ok"), "Uncategorized");
}

#[test]
fn powermta_patterns_compile_in_pcre2_and_agree_on_the_whole_corpus() {
    let doc = default_doc();
    let out = interchange::export(&doc, Format::PowerMta);
    assert_only_phase_rules_skipped(&doc, &out);
    let pmta = PmtaClassifier::from_text(&out.text).unwrap();
    assert_eq!(pmta.len(), exported_count(&doc));
    let texts = corpus_and_examples(&doc);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let rep = verify::verify(&doc, Format::PowerMta, &[&out.text], &refs).unwrap();
    assert!(rep.disagreements.is_empty(), "{:#?}", rep.disagreements);
    assert_eq!((rep.engine, rep.engine_text()), (None, None));
}

#[test]
fn default_classes_are_kumomta_predefined_and_each_file_names_a_class_once() {
    let doc = default_doc();
    for c in &doc.categories {
        assert!(kumomta::is_predefined(&c.kumomta), "category {}: {}", c.id, c.kumomta);
    }
    let out = interchange::export(&doc, Format::KumoMta);
    assert!(!out.problems.iter().any(|p| p.message.contains("user-defined")), "{:?}", out.problems);
    for text in parts(&out) {
        let t: toml::Table = toml::from_str(text).unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["rules"]);
        // A class twice in one file would be a TOML error, so parsing is the check.
        assert!(!t["rules"].as_table().unwrap().is_empty());
    }
    // Every pattern went out once, in rule order across the files.
    let k = KumoClassifier::from_files(&parts(&out)).unwrap();
    assert_eq!(k.len(), exported_count(&doc));
}

#[test]
fn texts_won_by_phase_limited_rules_are_reported_not_disagreements() {
    let mut doc = interleaved();
    let mut late = BounceRule::new("late", "bar", "b");
    late.phases = vec![bouncelab::engine::smtp::Phase::EndOfData];
    doc.bounce_rules.insert(0, late);
    let texts = ["550 bar baz (in reply to end of DATA command)", "550 bar baz", "550 bar (in reply to RCPT TO command)"];
    for format in [Format::KumoMta, Format::PowerMta] {
        let out = interchange::export(&doc, format);
        assert_eq!(interchange::skipped_rules(&doc, format), [0]);
        let rep = verify::verify(&doc, format, &parts(&out), &texts).unwrap();
        assert!(rep.agrees(), "{format:?}: {:?}", rep.disagreements);
        // Only the text said after DATA is bouncelab's 'late'; the target gives it the next rule's class.
        let skipped: Vec<(usize, Option<usize>)> = rep.skipped.iter().map(|d| (d.index, d.rule)).collect();
        assert_eq!(skipped, [(0, Some(0))], "{format:?}");
        assert!(rep.skipped[0].got.is_some());
    }
}

/// Three rules whose classes interleave: one KumoMTA file would group the
/// two `A` rules and give "bar baz" to `A`; bouncelab gives it to `B`.
fn interleaved() -> RuleSet {
    let mut doc = RuleSet { name: "interleaved".into(), reasons: default_doc().reasons, ..RuleSet::default() };
    for (id, kumo) in [("a", "InvalidRecipient"), ("b", "QuotaIssues")] {
        doc.categories.push(Category {
            id: id.into(),
            reason: "user_unknown".into(),
            failure_type: None,
            momentum: None,
            powermta: format!("pmta-{id}"),
            kumomta: kumo.into(),
            note: String::new(),
        });
    }
    doc.default_category = "a".into();
    doc.bounce_rules =
        vec![BounceRule::new("first a", "foo", "a"), BounceRule::new("b", "bar", "b"), BounceRule::new("second a", "baz", "a")];
    doc
}

#[test]
fn first_match_order_across_classes_is_kept_with_a_second_file() {
    let doc = interleaved();
    let out = interchange::export(&doc, Format::KumoMta);
    assert_eq!(out.more_files.len(), 1, "{}", out.text);
    let k = KumoClassifier::from_files(&parts(&out)).unwrap();
    assert_eq!(k.classify("550 bar baz"), "QuotaIssues");
    assert_eq!(k.classify("550 foo bar"), "InvalidRecipient");
    assert_eq!(k.classify("550 BAZ"), "InvalidRecipient");
    // Grouping by class in one file, as the old export did, gets it wrong.
    let grouped = "[rules]\nInvalidRecipient = ['(?i)foo', '(?i)baz']\nQuotaIssues = ['(?i)bar']\n";
    assert_eq!(KumoClassifier::from_files(&[grouped]).unwrap().classify("550 bar baz"), "InvalidRecipient");
    let rep = verify::verify(&doc, Format::KumoMta, &parts(&out), &["550 bar baz", "foo", "nothing"]).unwrap();
    assert!(rep.agrees(), "{:?}", rep.disagreements);
    // Three small patterns: the lazy DFA is built and answers every line.
    let engine = rep.engine.expect("probed");
    assert!(engine.lazy_dfa_built);
    assert_eq!((engine.lazy_dfa_lines, engine.pikevm_lines()), (3, 0));
    let rep = verify::verify(&doc, Format::KumoMta, &[grouped], &["550 bar baz"]).unwrap();
    assert_eq!(rep.disagreements.len(), 1);
    // The split export reads back whole.
    let back = kumomta::import_files(&parts(&out), &doc).unwrap();
    let names: Vec<&str> = back.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["first a", "b", "second a"]);
}

#[test]
fn part_paths_and_the_files_line() {
    let p = kumomta::part_paths(std::path::Path::new("/etc/kumo/bounce.toml"), 3);
    let shown: Vec<String> = p.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(shown, ["/etc/kumo/bounce.toml", "/etc/kumo/bounce.2.toml", "/etc/kumo/bounce.3.toml"]);
    assert_eq!(kumomta::files_line(&p[..2]), "files = { '/etc/kumo/bounce.toml', '/etc/kumo/bounce.2.toml' }");
}

#[test]
fn an_empty_rule_name_survives_the_kumomta_round_trip() {
    let mut doc = default_doc();
    let c = Classifier::new(&doc);
    let examples = verify::example_texts(&doc);
    let before: Vec<_> = examples.iter().map(|t| c.classify(t)).collect();
    let i = doc.bounce_rules.iter().position(|r| r.category == "userunknown").unwrap();
    doc.bounce_rules[i].name.clear();
    let out = interchange::export(&doc, Format::KumoMta);
    let back = kumomta::import_files(&parts(&out), &doc).unwrap();
    let got: Vec<(&str, &str)> = back.rules.iter().map(|r| (r.name.as_str(), r.category.as_str())).collect();
    // The phase-limited rules stay out of KumoMTA (it cannot say a phase).
    let want: Vec<(&str, &str)> =
        doc.bounce_rules.iter().filter(|r| r.phases.is_empty()).map(|r| (r.name.as_str(), r.category.as_str())).collect();
    assert_eq!(got, want);
    let mut round = doc.clone();
    round.bounce_rules = back.rules;
    let c2 = Classifier::new(&round);
    let changed = examples.iter().zip(&before).filter(|(t, v)| c2.classify(t).category != v.category).count();
    assert_eq!(changed, 0);
    // And lint says the name is missing.
    let lints = bouncelab::engine::lint::lint(&doc, &Classifier::new(&doc), None);
    assert!(lints.iter().any(|l| l.kind == bouncelab::engine::lint::LintKind::EmptyName && l.rule == Some(i)));
}

#[test]
fn every_format_round_trips_the_default_rules() {
    let doc = default_doc();
    for format in [Format::KumoMta, Format::PowerMta, Format::Csv, Format::Json] {
        let out = interchange::export(&doc, format);
        let back = match format {
            Format::KumoMta => kumomta::import_files(&parts(&out), &doc),
            _ => interchange::import(&out.text, format, &doc),
        }
        .unwrap();
        assert!(back.problems.is_empty(), "{format:?}: {:?}", back.problems);
        let got: Vec<(&str, &str, &str)> = back.rules.iter().map(|r| (r.name.as_str(), r.pattern.as_str(), r.category.as_str())).collect();
        // The MTA formats leave the phase-limited rules out; CSV and JSON keep every rule.
        let mta = matches!(format, Format::KumoMta | Format::PowerMta);
        let want: Vec<(&str, &str, &str)> = doc
            .bounce_rules
            .iter()
            .filter(|r| !mta || r.phases.is_empty())
            .map(|r| (r.name.as_str(), r.pattern.as_str(), r.category.as_str()))
            .collect();
        assert_eq!(got, want, "{format:?}");
    }
}

#[test]
fn csv_keeps_examples_with_separators_and_line_breaks() {
    let mut doc = default_doc();
    let r = &mut doc.bounce_rules[0];
    r.must_match = vec!["550 a | b".into(), "two\nlines\r\n".into(), "back\\slash\\n".into()];
    r.must_not_match = vec!["x | y | z".into()];
    let out = interchange::export(&doc, Format::Csv);
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    let back = interchange::import(&out.text, Format::Csv, &doc).unwrap();
    assert_eq!(back.rules[0].must_match, doc.bounce_rules[0].must_match);
    assert_eq!(back.rules[0].must_not_match, doc.bounce_rules[0].must_not_match);
}

#[test]
fn rules_bouncelab_skips_are_reported_and_left_out() {
    let mut doc = interleaved();
    doc.bounce_rules.push(BounceRule::new("ghost", "ghost", "no-such-category"));
    let mut off = BounceRule::new("off", "bar", "a");
    off.enabled = false;
    doc.bounce_rules.insert(0, off);
    for format in [Format::KumoMta, Format::PowerMta] {
        let out = interchange::export(&doc, format);
        let skipped: Vec<&str> = out.problems.iter().filter(|p| p.skipped).map(|p| p.name.as_str()).collect();
        assert_eq!(skipped, ["off", "ghost"], "{format:?}");
        let rep = verify::verify(&doc, format, &parts(&out), &["550 bar", "ghost town", "foo"]).unwrap();
        assert!(rep.agrees(), "{format:?}: {:?}", rep.disagreements);
    }
    // A Rust-only pattern cannot go to PowerMTA: reported, the rest exported.
    doc.bounce_rules.push(BounceRule::new("rusty", "(?-u:\\b)x", "a"));
    let out = interchange::export(&doc, Format::PowerMta);
    assert!(out.problems.iter().any(|p| p.skipped && p.name == "rusty"));
    assert_eq!(PmtaClassifier::from_text(&out.text).unwrap().len(), 3);
}

/// `tests/data/kumomta_shaping_keys.txt`: the keys KumoMTA accepts, `#` comments skipped.
fn allowed_shaping_keys() -> BTreeSet<String> {
    let text = std::fs::read_to_string(super::data("kumomta_shaping_keys.txt")).unwrap();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
}

fn mx_doc() -> RuleSet {
    let mut doc = default_doc();
    let lim = |c, m, h| Limits { max_connections: c, max_msgs_per_connection: m, msgs_per_hour: h };
    let mut shared = MxRule::new("*.shared.example", lim(2, 20, 200));
    shared.shared = true;
    shared.tls = TlsMode::Disabled;
    doc.mx_rules = vec![
        MxRule::new("mx1.exact.example", lim(1, 10, 100)),
        MxRule::new("mx?.free.fr", lim(3, 30, 300)),
        shared,
        MxRule::new("*.mail.*.com", lim(4, 40, 400)),
        MxRule::new("*", lim(5, 50, 500)),
        MxRule::new("*.late.example", lim(6, 60, 600)),
    ];
    doc
}

#[test]
fn shaping_uses_only_kumomta_keys_and_keeps_first_match_wins() {
    let allowed = allowed_shaping_keys();
    for doc in [default_doc(), mx_doc()] {
        let out = shaping::export(&doc, ThroughputLevel::Fast);
        let t: toml::Table = toml::from_str(&out.text).unwrap_or_else(|e| panic!("{e}\n{}", out.text));
        let mut blocks: Vec<&toml::Table> = vec![t["default"].as_table().unwrap()];
        blocks.extend(t["provider"].as_table().unwrap().values().map(|v| v.as_table().unwrap()));
        for b in blocks {
            for (k, v) in b {
                assert!(allowed.contains(k), "key {k} is not a KumoMTA shaping key");
                if k == "match" {
                    for m in v.as_array().unwrap() {
                        let m = m.as_table().unwrap();
                        assert!(m.len() == 1 && ["MXSuffix", "HostName", "DomainSuffix"].contains(&m.keys().next().unwrap().as_str()));
                    }
                }
            }
        }
    }
    let doc = mx_doc();
    let out = shaping::export(&doc, ThroughputLevel::Slow);
    // Providers in reverse rule order: the first matching bouncelab rule is merged last and wins.
    let order: Vec<usize> = ["*.shared.example", "mx?.free.fr", "mx1.exact.example"].iter().map(|n| out.text.find(n).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{}", out.text);
    assert!(out.text.contains("match = [{MXSuffix = '.free.fr'}]"), "{}", out.text);
    assert!(out.text.contains("match = [{HostName = 'mx1.exact.example'}]"));
    assert!(out.text.contains("provider_connection_limit = 2") && out.text.contains("enable_tls = \"Disabled\""));
    assert!(out.text.contains("[\"default\"]\nconnection_limit = 5\nmax_message_rate = \"500/h\""), "{}", out.text);
    let msgs: Vec<(usize, bool)> = out.problems.iter().map(|p| (p.rule.unwrap(), p.skipped)).collect();
    assert_eq!(msgs, [(1, false), (3, true), (5, true)], "{:?}", out.problems);
}

#[test]
fn automation_rules_plug_into_the_shaping_plan() {
    let doc = mx_doc();
    let (mut plan, _) = shaping::plan(&doc, ThroughputLevel::Normal);
    plan.providers[0].automation.push(shaping::AutomationRule {
        regex: vec!["421 .* too many".into()],
        actions: vec![shaping::AutomationAction::SetConfig { name: "max_message_rate".into(), value: toml::Value::String("50/h".into()) }],
        threshold: Some("3/1h".into()),
        duration: "2h".into(),
    });
    plan.default.as_mut().unwrap().automation.push(shaping::AutomationRule {
        regex: vec!["554 .*blocked".into()],
        actions: vec![shaping::AutomationAction::Suspend],
        threshold: None,
        duration: "1h".into(),
    });
    let text = shaping::to_toml(&plan);
    let t: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let auto = t["provider"]["mx1.exact.example"]["automation"].as_array().unwrap();
    assert_eq!(auto[0]["action"]["SetConfig"]["value"].as_str(), Some("50/h"));
    assert_eq!(auto[0]["trigger"]["Threshold"].as_str(), Some("3/1h"));
    assert_eq!(t["default"]["automation"][0]["action"].as_str(), Some("Suspend"));
}

fn adaptive_scenario() -> Scenario {
    Scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_rules/adaptive.ron")).unwrap()
}

/// KumoMTA's `shaping::Rule` keys (crates/kumo-api-types/src/shaping.rs at commit 3ebc1e85).
const AUTOMATION_KEYS: [&str; 5] = ["regex", "action", "trigger", "duration", "match_internal"];

#[test]
fn scenario_reactions_become_automation_rules_in_their_providers_blocks() {
    let doc = default_doc();
    let s = adaptive_scenario();
    assert!(!s.reactions.is_empty());
    let out = shaping::export_with_reactions(&doc, ThroughputLevel::Fast, &s);
    let t: toml::Table = toml::from_str(&out.text).unwrap_or_else(|e| panic!("{e}\n{}", out.text));
    let yahoo = t["provider"]["*.yahoodns.net"]["automation"].as_array().unwrap();
    assert_eq!(yahoo.len(), 1, "{}", out.text);
    assert_eq!(yahoo[0]["regex"].as_array().unwrap()[0].as_str(), Some(r"\[TS?S04\]"));
    assert_eq!((yahoo[0]["action"].as_str(), yahoo[0]["duration"].as_str()), (Some("Suspend"), Some("120m")));
    assert_eq!(yahoo[0]["trigger"].as_str(), Some("Immediate"));
    let ms = &t["provider"]["*.mail.protection.outlook.com"]["automation"][0];
    assert_eq!(ms["action"]["SetConfig"]["name"].as_str(), Some("max_message_rate"));
    assert_eq!(ms["trigger"]["Threshold"].as_str(), Some("20/h"));
    for rule in yahoo.iter().chain([ms]) {
        for k in rule.as_table().unwrap().keys() {
            assert!(AUTOMATION_KEYS.contains(&k.as_str()), "{k} is not a KumoMTA automation key");
        }
    }
    // The regex KumoMTA gets matches the reply the simulator reacted to.
    let re = regex::Regex::new(yahoo[0]["regex"][0].as_str().unwrap()).unwrap();
    assert!(re.is_match(&s.feedback[0].reply));
    // What KumoMTA cannot keep is reported per reaction: the stepped recovery.
    assert!(out.problems.iter().any(|p| p.name == s.reactions[0].name && !p.skipped), "{:?}", out.problems);
    // Without reactions the export is the plain one.
    let mut none = s.clone();
    none.reactions.clear();
    assert_eq!(shaping::export_with_reactions(&doc, ThroughputLevel::Fast, &none), shaping::export(&doc, ThroughputLevel::Fast));
}

#[test]
fn a_level_drop_writes_an_action_list_and_lost_blocks_are_reported() {
    let doc = mx_doc();
    let mut s = adaptive_scenario();
    let base = s.reactions[0].clone();
    s.providers[0].mx_host = "mx1.exact.example".into();
    s.providers[1].mx_host = "mx.mail.x.com".into();
    s.reactions = vec![
        Reaction { provider: s.providers[0].name.clone(), action: ReactionAction::DropLevel, recovery: Recovery::AtOnce, ..base.clone() },
        // Its MX rule ('*.mail.*.com') has no KumoMTA form: no block to put the rule in.
        Reaction { provider: s.providers[1].name.clone(), recovery: Recovery::AtOnce, ..base.clone() },
        Reaction { provider: "*".into(), recovery: Recovery::AtOnce, ..base },
    ];
    let out = shaping::export_with_reactions(&doc, ThroughputLevel::Fast, &s);
    let t: toml::Table = toml::from_str(&out.text).unwrap_or_else(|e| panic!("{e}\n{}", out.text));
    let drop = &t["provider"]["mx1.exact.example"]["automation"][0]["action"];
    let names: Vec<&str> = drop.as_array().unwrap().iter().map(|a| a["SetConfig"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["max_message_rate", "connection_limit", "max_deliveries_per_connection"]);
    let normal = doc.mx_rules[0].limits(ThroughputLevel::Normal);
    assert_eq!(drop[0]["SetConfig"]["value"].as_str(), Some(format!("{}/h", normal.msgs_per_hour).as_str()));
    assert_eq!(t["default"]["automation"][0]["action"].as_str(), Some("Suspend"));
    let lost: Vec<&str> = out.problems.iter().filter(|p| p.skipped && p.rule.is_none()).map(|p| p.name.as_str()).collect();
    assert_eq!(lost, [s.reactions[1].name.as_str()], "{:?}", out.problems);
    // No catch-all MX rule: a reaction on every provider has nowhere to go, and says so.
    let mut no_default = doc.clone();
    no_default.mx_rules.retain(|m| m.mask != "*");
    let out = shaping::export_with_reactions(&no_default, ThroughputLevel::Fast, &s);
    assert!(out.problems.iter().any(|p| p.skipped && p.name == s.reactions[2].name), "{:?}", out.problems);
    assert!(!out.text.contains("\"default\".automation"));
}

#[test]
fn powermta_domains_give_each_rule_a_block_and_the_catch_all_last() {
    let doc = mx_doc();
    let out = pmta_domains::export(&doc, ThroughputLevel::Boost);
    let names: Vec<&str> = out.text.lines().filter_map(|l| l.strip_prefix("<domain ")).map(|l| l.trim_end_matches('>')).collect();
    assert_eq!(names, ["mx1.exact.example", "*.free.fr", "*.shared.example", "*"]);
    assert_eq!(out.text.matches("</domain>").count(), 4);
    assert!(out.text.contains("    max-smtp-out 5\n    max-msg-per-connection 50\n    max-msg-rate 500/h\n"), "{}", out.text);
    assert!(out.text.contains("use-starttls no"));
    let skipped: Vec<usize> = out.problems.iter().filter(|p| p.skipped).map(|p| p.rule.unwrap()).collect();
    assert_eq!(skipped, [3, 5]);
}

fn run(args: &[&str]) -> (i32, String, String) {
    crate::run_cli("C", args, b"")
}

fn rules_path() -> String {
    format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cli_verify_reports_agreement_and_speed() {
    let dir = tempfile::tempdir().unwrap();
    let texts = dir.path().join("texts.txt");
    let doc = default_doc();
    std::fs::write(&texts, corpus_and_examples(&doc).join("\n")).unwrap();
    let out = dir.path().join("bounce.toml");
    for format in ["kumomta", "powermta"] {
        let (code, _, err) =
            run(&["export", "-f", format, "--rules", &rules_path(), "-o", out.to_str().unwrap(), "--verify", texts.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("0 disagreements") && err.contains("lines/s"), "{err}");
        assert_eq!(err.contains("lazy DFA"), format == "kumomta", "{err}");
    }
    // Interleaved classes: two files written, the list to paste printed, and the order verified.
    let mut doc = interleaved();
    doc.name = "x".into();
    let rules = dir.path().join("inter.ron");
    doc.save(&rules).unwrap();
    let t2 = dir.path().join("t2.txt");
    std::fs::write(&t2, "550 bar baz\n").unwrap();
    let (code, stdout, err) = run(&[
        "export",
        "-f",
        "kumomta",
        "--rules",
        rules.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--verify",
        t2.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.starts_with("files = {") && stdout.contains("bounce.2.toml"), "{stdout}");
}

#[test]
fn cli_shaping_export_takes_the_scenario_reactions() {
    let scenario = format!("{}/sample_rules/adaptive.ron", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = run(&["export", "-f", "kumomta-shaping", "--rules", &rules_path(), "--level", "fast", "--scenario", &scenario]);
    assert_eq!(code, 0, "{err}");
    let t: toml::Table = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(t["provider"]["*.yahoodns.net"]["automation"][0]["action"].as_str(), Some("Suspend"));
    assert!(err.contains("Yahoo TSS04"), "{err}");
    // Only the shaping export takes a scenario; a scenario with errors is refused.
    let (code, _, err) = run(&["export", "-f", "kumomta", "--rules", &rules_path(), "--scenario", &scenario]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--scenario"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ron");
    let text = std::fs::read_to_string(&scenario).unwrap().replace(r#"on: Regex(r"\[TS?S04\]")"#, r#"on: Regex(r"(unclosed")"#);
    std::fs::write(&bad, text).unwrap();
    let (code, out, err) =
        run(&["export", "-f", "kumomta-shaping", "--rules", &rules_path(), "--level", "fast", "--scenario", bad.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("reactions[0]"), "{err}");
}

#[test]
fn cli_bad_level_output_and_missing_output_are_clear_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shaping.toml");
    let (code, _, err) =
        run(&["export", "-f", "kumomta-shaping", "--rules", &rules_path(), "--level", "Turbo", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no level 'Turbo'") && err.contains("Very fast"), "{err}");
    let (code, _, err) = run(&["export", "-f", "powermta-domains", "--rules", &rules_path()]);
    assert_eq!(code, 2);
    assert!(err.contains("--level"), "{err}");
    assert!(!out.exists());
    let bad = dir.path().join("no/such/dir/shaping.toml");
    let (code, _, err) = run(&["export", "-f", "kumomta-shaping", "--rules", &rules_path(), "--level", "2", "-o", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("shaping.toml"), "{err}");
    let (code, stdout, err) = run(&["export", "-f", "kumomta-shaping", "--rules", &rules_path(), "--level", "very fast"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("[provider.") && err.contains("MX rules"), "{err}");
    let (code, _, err) = run(&["import", "-f", "kumomta-shaping", &rules_path()]);
    assert_eq!(code, 2);
    assert!(err.contains("export format"), "{err}");
}
