//! Reason labels are the analyst's data, with translations kept in the rule
//! set: the default rules ship them, the UI shows the one of its language,
//! the Reasons panel edits it, and machine output keeps the rule set's label.

use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::settings::Settings;
use bouncelab::i18n::{CATALOGUES, Lang};
use egui::{Key, Modifiers};
use egui_kittest::kittest::{NodeT as _, Queryable};

use crate::gui_support::{harness, settle, shown};

const ACC_REASONS: [&str; 6] = ["user_unknown", "mailbox_full", "inactive_user", "invalid_domain", "refused", "unreachable"];

#[test]
fn the_default_rules_name_the_six_acc_reasons_in_every_shipped_language() {
    let doc = crate::default_doc();
    for id in ACC_REASONS {
        let r = doc.reason(id).expect("reason in the default rules");
        for c in CATALOGUES.iter().filter(|c| c.code != "en") {
            let l = r.labels.get(c.code).unwrap_or_else(|| panic!("{id} has no {} label", c.code));
            assert!(!l.trim().is_empty() && *l != r.label, "{id} in {}: {l:?}", c.code);
            Lang::from_code(c.code).expect("lang").make_current();
            assert_eq!(r.display_label(), l);
        }
        Lang::ENGLISH.make_current();
        assert_eq!(r.display_label(), r.label, "English shows the label itself");
    }
}

fn korean_app(panel: Panel) -> BounceLabApp {
    let settings = Settings { panel, tester_beside_rules: false, language: Some("ko".into()), ..Settings::default() };
    BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")))
}

#[test]
fn in_korean_the_tester_names_the_reason_in_korean() {
    let mut h = harness(korean_app(Panel::Tester));
    settle(&mut h);
    // The app made Korean this thread's language: the field's name is the Korean one.
    let field = bouncelab::i18n::tr("tester.a11y_text");
    h.get_by_label(field).click();
    settle(&mut h);
    h.get_by_label(field).type_text("550 5.2.2 <bob@example.com>: Mailbox full, quota exceeded");
    settle(&mut h);
    assert!(shown(&h, "메일함 용량 초과"), "Mailbox full in Korean");
    assert!(!h.query_all_by_label("Mailbox full").any(|_| true), "not the English label");
    Lang::ENGLISH.make_current();
}

#[test]
fn the_reasons_panel_edits_the_label_of_the_interface_language_with_undo() {
    let mut h = harness(korean_app(Panel::Reasons));
    settle(&mut h);
    assert!(shown(&h, "한국어 레이블"), "the column of the interface language");
    let field = "한국어 레이블: user_unknown";
    h.get_by_label(field).click();
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(field).type_text("없는 주소");
    settle(&mut h);
    let label = |h: &egui_kittest::Harness<'_, BounceLabApp>| {
        h.state().document.rules.reason("user_unknown").and_then(|r| r.labels.get("ko").cloned())
    };
    assert_eq!(label(&h).as_deref(), Some("없는 주소"));
    assert_eq!(h.state().document.rules.reason("user_unknown").map(|r| r.label.as_str()), Some("User unknown"), "the label itself is kept");
    // Leave the field, then undo: the shipped translation is back.
    h.key_press(Key::Escape);
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(label(&h).as_deref(), Some("알 수 없는 사용자"));
    Lang::ENGLISH.make_current();
}

#[test]
fn machine_output_keeps_the_rule_sets_label() {
    let rules = crate::data("../../sample_rules/default.ron");
    let args = ["classify", "--format", "tsv", "--rules", rules.to_str().expect("path")];
    let (code, text, _) = crate::run_cli("ko_KR.UTF-8", &args, b"550 5.1.1 <a@example.com>: User unknown\n");
    assert_eq!(code, 0);
    assert!(text.contains("\tUser unknown\t"), "{text}");
    assert!(!text.contains("알 수 없는"), "{text}");
}

/// The Quarantine box is ticked when the reason quarantines: unticking it makes
/// the reason "never", ticking it again quarantines after 3 errors.
#[test]
fn the_quarantine_box_is_ticked_for_a_reason_that_quarantines() {
    use bouncelab::engine::ruleset::QuarantinePolicy;
    Lang::ENGLISH.make_current();
    let mut h = harness(crate::gui_support::app_on(Panel::Reasons));
    settle(&mut h);
    let policy = |h: &egui_kittest::Harness<'_, BounceLabApp>| h.state().document.rules.reason("user_unknown").map(|r| r.quarantine);
    assert_eq!(policy(&h), Some(QuarantinePolicy::AfterErrors(1)));
    let boxed = "Quarantine: user_unknown";
    let nevers = h.query_all_by_label("never").count();
    h.get_by_label(boxed).click();
    settle(&mut h);
    assert_eq!(policy(&h), Some(QuarantinePolicy::Never));
    assert_eq!(h.query_all_by_label("never").count(), nevers + 1, "the count column says never");
    h.get_by_label(boxed).click();
    settle(&mut h);
    assert_eq!(policy(&h), Some(QuarantinePolicy::AfterErrors(3)));
}

/// A reason no category uses but a rule names as its own reason cannot be deleted: the rule
/// would be left on an unknown reason.
#[test]
fn a_reason_a_rule_overrides_to_cannot_be_deleted() {
    let mut doc = crate::default_doc();
    doc.reasons.push(bouncelab::engine::ruleset::ReasonDef {
        id: "only_by_a_rule".into(),
        label: "Only by a rule".into(),
        ..doc.reasons[0].clone()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.ron");
    let disabled_deletes = |doc: &bouncelab::engine::RuleSet| {
        doc.save(&path).unwrap();
        let settings = Settings { panel: Panel::Reasons, ..Settings::default() };
        let mut h = harness(BounceLabApp::with_settings(settings, Some(path.clone())));
        settle(&mut h);
        h.query_all_by_label("Delete").filter(|b| b.accesskit_node().is_disabled()).count()
    };
    let free = disabled_deletes(&doc);
    doc.bounce_rules[0].reason = Some("only_by_a_rule".into());
    let used = disabled_deletes(&doc);
    assert_eq!(used, free + 1, "its Delete is disabled");
}

/// A reason's id is edited in its field and given when the field is left: the categories
/// that use it follow, Ctrl+Z takes the rename back, and an id another reason has is
/// refused with the reason why, changing nothing.
#[test]
fn a_reason_is_renamed_with_its_references_and_a_taken_id_is_refused() {
    Lang::ENGLISH.make_current();
    let mut h = harness(crate::gui_support::app_on(Panel::Reasons));
    settle(&mut h);
    let rules = |h: &egui_kittest::Harness<'_, BounceLabApp>| h.state().document.rules.clone();
    let before = rules(&h);
    let cats = before.categories.iter().filter(|c| c.reason == "mailbox_full").count();
    assert!(cats > 0);
    h.get_by_label("Id: mailbox_full").click();
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Id: mailbox_full").type_text("box_full");
    settle(&mut h);
    assert!(rules(&h).reason("mailbox_full").is_some(), "nothing renamed while typing");
    h.key_press(Key::Enter);
    settle(&mut h);
    let after = rules(&h);
    assert!(after.reason("box_full").is_some() && after.reason("mailbox_full").is_none());
    assert_eq!(after.categories.iter().filter(|c| c.reason == "box_full").count(), cats, "its categories follow");

    h.get_by_label("Id: box_full").click();
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Id: box_full").type_text("user_unknown");
    h.key_press(Key::Enter);
    settle(&mut h);
    assert!(shown(&h, "The id 'user_unknown' was not given: the reason 'user_unknown' already has it"));
    assert_eq!(rules(&h), after, "a refused id changes nothing");
    assert!(shown(&h, "box_full"), "the field shows the id kept");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(rules(&h).reason("mailbox_full").map(|r| r.id.as_str()), Some("mailbox_full"), "undo takes the rename back");
    assert_eq!(rules(&h).categories, before.categories);
}

/// Typing a label one key a frame keeps every key, also when the label becomes the same as
/// another reason's (a warning mark appears beside it) and blank again.
#[test]
fn a_label_typed_key_by_key_keeps_every_key_and_warns_of_a_repeated_label() {
    Lang::ENGLISH.make_current();
    let mut h = harness(crate::gui_support::app_on(Panel::Reasons));
    settle(&mut h);
    let field = "Label: user_unknown";
    h.get_by_label(field).click();
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.key_press(Key::Backspace);
    h.run();
    assert!(shown(&h, "⚠ reason 'user_unknown' has an empty label: reports and the tester would show nothing for it"));
    for ch in "Refused".chars() {
        h.get_by_label(field).type_text(&ch.to_string());
        h.run();
    }
    settle(&mut h);
    assert!(shown(&h, "⚠ reason 'refused' has the label 'Refused' of reason 'user_unknown': people cannot tell them apart"));
    for ch in " or not".chars() {
        h.get_by_label(field).type_text(&ch.to_string());
        h.run();
    }
    settle(&mut h);
    assert_eq!(h.state().document.rules.reason("user_unknown").map(|r| r.label.as_str()), Some("Refused or not"));
    assert!(!h.query_all_by_label_contains("cannot tell them apart").any(|_| true), "no warning left");
}
