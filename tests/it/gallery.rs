//! The trainer gallery (assets/gallery.ron): every reply, English and
//! localised, is classified by the shipped rules to the reason of its card,
//! and every card is translated into every shipped language.

use bouncelab::engine::Classifier;
use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::gallery::{GalleryCard, parse_cards};
use bouncelab::gui::settings::Settings;
use bouncelab::i18n::Lang;
use egui_kittest::kittest::Queryable;

use crate::gui_support::{harness, shown};

fn cards() -> Vec<GalleryCard> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/gallery.ron");
    let text = std::fs::read_to_string(&path).expect("assets/gallery.ron");
    parse_cards(&text).unwrap_or_else(|e| panic!("assets/gallery.ron: {e}"))
}

#[test]
fn every_gallery_reply_classifies_to_the_reason_of_its_card() {
    let doc = crate::default_doc();
    let c = Classifier::new(&doc);
    let cards = cards();
    assert!(cards.len() >= 7, "one card per reason");
    let mut problems = Vec::new();
    for card in &cards {
        assert!(doc.reason(&card.reason).is_some(), "card '{}': reason '{}' is not in the default rules", card.title, card.reason);
        assert!(card.failure_type.is_some(), "card '{}' says which type it expects", card.title);
        let mut n = 0;
        for ex in card.all_examples() {
            n += 1;
            let v = c.classify(ex);
            let got = &c.reason(&v).id;
            if card.failure_type.is_some_and(|t| t != v.failure_type) {
                problems.push(format!("card '{}': {ex:?} is {:?}, not {:?}", card.title, v.failure_type, card.failure_type));
            }
            if *got != card.reason {
                problems.push(format!("card '{}': {ex:?} is {got} ({:?}), not {}", card.title, v.decided_by, card.reason));
            }
        }
        assert!(n > card.examples.len(), "card '{}' has localised replies", card.title);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_card_is_translated_into_every_shipped_language() {
    let codes: Vec<&str> = Lang::all().map(Lang::code).collect();
    for card in cards() {
        for code in card.localized.keys() {
            assert!(codes.contains(&code.as_str()), "card '{}': '{code}' is not a shipped language", card.title);
        }
        for lang in Lang::all().filter(|&l| l != Lang::ENGLISH) {
            let l = card.localized.get(lang.code()).unwrap_or_else(|| panic!("card '{}': no {} translation", card.title, lang.code()));
            assert!(!l.title.is_empty() && !l.explain.is_empty(), "card '{}' in {}: title and explanation", card.title, lang.code());
            assert!(!l.examples.is_empty(), "card '{}' in {}: localised replies", card.title, lang.code());
            assert_ne!(card.title_in(lang), card.title, "card '{}' in {}: title translated", card.title, lang.code());
            // Localised replies first, the English ones still there.
            let shown: Vec<&String> = card.examples_in(lang).collect();
            assert_eq!(shown.first().copied(), l.examples.first());
            assert!(card.examples.iter().all(|e| shown.contains(&e)));
        }
        assert_eq!(card.title_in(Lang::ENGLISH), card.title);
        assert!(card.examples_in(Lang::ENGLISH).eq(card.examples.iter()));
    }
}

#[test]
fn the_built_in_gallery_is_the_shipped_file() {
    assert_eq!(bouncelab::gui::gallery::built_in_cards().expect("built-in gallery parses"), cards());
}

#[test]
fn in_korean_the_gallery_shows_korean_cards_and_the_english_replies() {
    let settings = Settings { panel: Panel::Gallery, tester_beside_rules: false, language: Some("ko".into()), ..Settings::default() };
    let app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
    let mut h = harness(app);
    h.run_steps(3);
    assert!(shown(&h, "알 수 없는 사용자"), "Korean title of the User unknown card");
    assert!(shown(&h, "주소가 존재하지 않습니다"), "Korean explanation");
    assert!(shown(&h, "존재하지 않는 사용자입니다"), "a Korean reply");
    assert!(shown(&h, "550 5.2.2 User quota exceeded"), "the English replies stay");
    assert!(shown(&h, "하드"), "failure types in Korean");
    assert!(!shown(&h, "The address does not exist."), "no English explanation");
    Lang::ENGLISH.make_current();
}

#[test]
fn a_card_says_when_a_rule_of_its_reason_does_not_compile_and_shows_it() {
    let mut doc = crate::default_doc();
    let i = doc.bounce_rules.iter().position(|r| r.category == "mailboxfull").expect("a mailbox full rule");
    doc.bounce_rules[i].pattern.push('(');
    let name = doc.bounce_rules[i].name.clone();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.ron");
    doc.save(&path).unwrap();
    let c = Classifier::new(&doc);
    assert_eq!(bouncelab::gui::gallery::broken_rules_of(&doc, &c, "mailbox_full"), vec![i]);
    assert!(bouncelab::gui::gallery::broken_rules_of(&doc, &c, "user_unknown").is_empty());

    let settings = Settings { panel: Panel::Gallery, tester_beside_rules: false, ..Settings::default() };
    let mut h = harness(BounceLabApp::with_settings(settings, Some(path)));
    h.run_steps(3);
    let warning = format!("Rule #{} {name} does not compile and is skipped", i + 1);
    assert!(shown(&h, &warning), "the Mailbox full card warns");
    h.get_by_label("Show the rule").click();
    h.run_steps(3);
    assert_eq!(h.state().settings.panel, Panel::BounceRules);
    assert_eq!(h.state().rules_panel.selected, Some(i));
}

#[test]
fn the_mismatch_count_is_of_the_replies_shown_in_the_interface_language() {
    let mut doc = crate::default_doc();
    // Mailbox full made Hard: every reply of its card is then not what the card expects.
    doc.reasons.iter_mut().find(|r| r.id == "mailbox_full").expect("mailbox_full").failure_type = bouncelab::engine::FailureType::Hard;
    for c in doc.categories.iter_mut().filter(|c| c.reason == "mailbox_full") {
        c.failure_type = None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hard.ron");
    doc.save(&path).unwrap();
    let mut app = BounceLabApp::with_settings(Settings::default(), Some(path));
    let card = app.gallery.cards.iter().find(|c| c.reason == "mailbox_full").expect("card").clone();
    for lang in [Lang::ENGLISH, Lang::from_code("ko").expect("ko")] {
        lang.make_current();
        let shown = card.examples_in(lang).count();
        assert_eq!(app.gallery.mismatch_count(&app.document.compiled), shown, "{lang:?}: the replies shown, no more");
    }
    Lang::ENGLISH.make_current();
}
