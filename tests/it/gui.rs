//! The desktop app driven headless through egui_kittest: panels found by
//! label, text typed, verdicts read back from what is shown.

use crate::gui_support::{app_on, harness, shown};
use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::settings::Settings;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;

#[test]
fn typing_the_six_reference_bounces_shows_their_verdicts() {
    let mut h = harness(app_on(Panel::Tester));
    h.run();
    for row in crate::table("reference_bounces.tsv") {
        let field = h.get_by_label("Response to test");
        field.click();
        h.run();
        h.key_press_modifiers(Modifiers::COMMAND, Key::A);
        h.get_by_label("Response to test").type_text(&row[0]);
        h.run();
        assert_eq!(h.state().tester.text, row[0]);
        assert!(shown(&h, &row[1]), "type {} not shown for {}", row[1], row[0]);
        assert!(h.query_all_by_label(&row[2]).next().is_some(), "reason {} not shown for {}", row[2], row[0]);
        assert!(shown(&h, "wins"), "no winning rule listed for {}", row[0]);
    }
}

#[test]
fn invalid_regex_shows_its_error_and_other_rules_still_classify() {
    let mut app = app_on(Panel::BounceRules);
    app.document.rules.bounce_rules[0].pattern = "user (unknown".into();
    app.document.after_structural_edit();
    app.rules_panel.select(0);
    app.settings.tester_beside_rules = true;
    app.tester.set_text("550 5.2.2 User quota exceeded".into());
    let mut h = harness(app);
    h.run();
    assert!(shown(&h, "Invalid regex (character 6)"), "error with position shown");
    // One typo is one error: the rule's examples are not checked, not each counted as failing.
    assert_eq!(h.state().document.compiled.error_count(), 1);
    assert!(shown(&h, "1 error ·"), "status bar counts the error");
    assert!(h.query_all_by_label("FAIL").next().is_none(), "its examples are not marked as failing");
    assert!(h.query_all_by_label("…").next().is_some(), "but as not checked");
    assert!(h.query_all_by_label("Mailbox full").next().is_some(), "the tester still classifies");
}

#[test]
fn a_new_example_row_gets_the_cursor_and_fails_only_once_typed() {
    let mut app = app_on(Panel::BounceRules);
    app.settings.tester_beside_rules = false;
    app.rules_panel.select(0);
    let mut h = harness(app);
    h.run();
    let n = h.state().document.rules.bounce_rules[0].must_match.len();
    h.get_all_by_label("+ example").next().expect("must-match add button").click();
    for _ in 0..4 {
        h.run();
    }
    assert_eq!(h.state().document.rules.bounce_rules[0].must_match.len(), n + 1);
    assert_eq!(h.state().document.compiled.error_count(), 0, "a blank row is no failure");
    assert!(h.query_all_by_label("FAIL").next().is_none());
    let label = format!("Example {}", n + 1);
    let field = h.get_all_by_label(&label).next().expect("the new row");
    assert!(field.is_focused(), "the cursor is in the new row");
    field.type_text("this text is matched by no rule at all");
    for _ in 0..4 {
        h.run();
    }
    assert_eq!(h.state().document.compiled.error_count(), 1);
    assert!(h.query_all_by_label("FAIL").next().is_some());
}

#[test]
fn add_move_delete_and_undo_restore_the_table() {
    let mut h = harness(app_on(Panel::BounceRules));
    h.run();
    let before = h.state().document.rules.bounce_rules.clone();
    h.state_mut().rules_panel.select(2);
    h.get_by_label("Add").click();
    h.run();
    assert_eq!(h.state().document.rules.bounce_rules.len(), before.len() + 1);
    assert_eq!(h.state().document.rules.bounce_rules[3].name, "New rule");
    h.get_by_label("Up").click();
    h.run();
    assert_eq!(h.state().document.rules.bounce_rules[2].name, "New rule");
    h.get_by_label("Delete").click();
    h.run();
    assert_eq!(h.state().document.rules.bounce_rules, before);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(h.state().document.rules.bounce_rules[2].name, "New rule", "undo brings back the deleted rule");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(h.state().document.rules.bounce_rules[3].name, "New rule", "undo reverts the move");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(h.state().document.rules.bounce_rules, before, "undo removes the added rule");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run();
    assert_eq!(h.state().document.rules.bounce_rules.len(), before.len() + 1, "redo adds it again");
}

#[test]
fn unsaved_marker_appears_and_clears_on_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.ron");
    let mut app = app_on(Panel::BounceRules);
    assert!(app.save_to(&path));
    let mut h = harness(app);
    h.run();
    assert_eq!(h.state().title(), "bouncelab — mine.ron");
    h.get_by_label("Add").click();
    h.run();
    assert_eq!(h.state().title(), "bouncelab — mine.ron *");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run();
    assert_eq!(h.state().title(), "bouncelab — mine.ron");
    let saved = bouncelab::engine::RuleSet::load(&path).unwrap();
    assert_eq!(saved, h.state().document.rules);
    assert!(dir.path().join("mine.ron.bak").exists(), "previous version kept");
}

#[test]
fn failed_save_keeps_the_document_and_says_why() {
    let mut app = app_on(Panel::BounceRules);
    let rules = app.document.rules.clone();
    assert!(!app.save_to(std::path::Path::new("/nonexistent-dir/x/rules.ron")));
    assert!(app.error.as_deref().unwrap().contains("Could not save"));
    assert_eq!(app.document.rules, rules);
    let mut h = harness(app);
    h.run();
    assert!(shown(&h, "Could not save"));
}

#[test]
fn malformed_file_shows_line_and_keeps_the_current_document() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ron");
    std::fs::write(&bad, "RuleSet(\n version: 1,\n reasons: [,\n").unwrap();
    let mut app = app_on(Panel::BounceRules);
    let before = app.document.rules.clone();
    app.open_path(&bad);
    assert_eq!(app.document.rules, before);
    let mut h = harness(app);
    h.run();
    assert!(shown(&h, "bad.ron:3:"), "line:column shown");
}

#[test]
fn gallery_click_loads_the_tester_and_make_a_rule_creates_one() {
    let mut h = harness(app_on(Panel::Gallery));
    h.run();
    h.get_by_label("550 5.2.2 User quota exceeded").click();
    h.run();
    assert_eq!(h.state().settings.panel, Panel::Tester);
    assert_eq!(h.state().tester.text, "550 5.2.2 User quota exceeded");
    let n = h.state().document.rules.bounce_rules.len();
    h.get_by_label("Make a rule from this").click();
    h.run();
    h.get_by_label("Insert rule").click();
    h.run();
    let doc = &h.state().document;
    assert_eq!(doc.rules.bounce_rules.len(), n + 1);
    let sel = h.state().rules_panel.selected.unwrap();
    let r = &doc.rules.bounce_rules[sel];
    assert_eq!(r.must_match, vec!["550 5.2.2 User quota exceeded".to_owned()]);
    assert_eq!(r.category, "mailboxfull");
    assert!(doc.compiled.classifier.classify("550 5.2.2 User quota exceeded").rule == Some(sel), "the new rule wins its example");
}

#[test]
fn large_rule_sets_compile_in_the_background_and_results_arrive() {
    let mut doc = bouncelab::engine::default_rules();
    let base = doc.bounce_rules.clone();
    for k in 0..400 {
        let mut r = base[k % base.len()].clone();
        r.name = format!("{} v{k}", r.name);
        doc.bounce_rules.push(r);
    }
    let mut app = BounceLabApp::with_settings(Settings { panel: Panel::Tester, tester_beside_rules: false, ..Settings::default() }, None);
    app.document = bouncelab::gui::document::Document::new(doc, None);
    let before = app.document.compiled.generation;
    app.document.rules.bounce_rules[0].pattern = "completely new phrase".into();
    app.document.after_structural_edit();
    assert!(app.document.is_compiling(), "a large set compiles off the UI thread");
    let mut h = harness(app);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while h.state().document.is_compiling() && std::time::Instant::now() < deadline {
        h.run_ok();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    h.run_ok();
    let doc = &h.state().document;
    assert!(!doc.is_compiling());
    assert!(doc.compiled.generation > before);
    assert_eq!(doc.compiled.classifier.classify("completely new phrase").rule, Some(0));
}

/// The status bar counts errors and warnings; its tooltip names each finding's
/// severity, errors and warnings before notes, so "1 warning" over a list of
/// seven says which one it is.
#[test]
fn the_status_tooltip_names_each_findings_severity_warnings_first() {
    use bouncelab::gui::document::Compiled;
    let mut doc = crate::default_doc();
    let plain = Compiled::new(&doc, 0, None);
    assert_eq!(plain.warning_count(), 0);
    assert!(plain.problems_tip(30).lines().all(|l| l.starts_with("Note: ")), "{}", plain.problems_tip(30));
    // A copy of the first rule at the end never wins: shadowed, a warning.
    let mut copy = doc.bounce_rules[0].clone();
    copy.name = "Copy of the first rule".into();
    doc.bounce_rules.push(copy);
    let c = Compiled::new(&doc, 1, None);
    assert!(c.warning_count() >= 1);
    let tip = c.problems_tip(30);
    let first = tip.lines().next().unwrap_or_default();
    assert!(first.starts_with("Warning: "), "warnings come first: {tip}");
    assert_eq!(tip.lines().filter(|l| l.starts_with("Warning: ")).count(), c.warning_count());
}

#[test]
fn a_click_on_a_rules_number_or_examples_selects_it_and_a_hidden_selection_is_said() {
    let mut app = app_on(Panel::BounceRules);
    app.settings.tester_beside_rules = false;
    app.rules_panel.select(0);
    let mut h = harness(app);
    h.run();
    // Its number (a drag handle) and its examples count are not selectable text: the row takes the click.
    h.get_all_by_label("4").next().expect("rule 4's number").click();
    h.run();
    assert_eq!(h.state().rules_panel.selected, Some(3));
    let (ok, total) = h.state().document.compiled.example_stats[1];
    h.get_all_by_label(&format!("{ok}/{total}")).next().expect("an examples count").click();
    h.run();
    assert_ne!(h.state().rules_panel.selected, Some(3), "a click on an examples cell selects its row");
    // A filter that hides the selected rule: the details say so.
    h.state_mut().rules_panel.select(0);
    h.state_mut().rules_panel.filter = "no rule has this text".into();
    h.run();
    assert!(shown(&h, "hidden by the filter"));
}

#[test]
fn a_rule_dragged_by_its_number_still_moves() {
    let mut app = app_on(Panel::BounceRules);
    app.settings.tester_beside_rules = false;
    let mut h = harness(app);
    h.run();
    let names: Vec<String> = h.state().document.rules.bounce_rules.iter().map(|r| r.name.clone()).collect();
    let from = h.get_all_by_label("2").next().expect("rule 2's number").rect().center();
    let to = h.get_all_by_label("5").next().expect("rule 5's number").rect().center();
    h.hover_at(from);
    h.run();
    h.drag_at(from);
    h.run();
    for k in 1..=10 {
        h.hover_at(from + (to - from) * (k as f32 / 10.0));
        h.run();
    }
    h.drop_at(to);
    h.run();
    h.run();
    let after: Vec<String> = h.state().document.rules.bounce_rules.iter().map(|r| r.name.clone()).collect();
    assert_ne!(after, names, "the drag moved a rule");
    assert_eq!(after.len(), names.len());
    assert!(after.iter().position(|n| *n == names[1]).is_some_and(|p| p > 1), "rule 2 went down");
}

#[test]
fn another_rules_details_start_at_their_top() {
    let mut app = app_on(Panel::BounceRules);
    app.settings.tester_beside_rules = false;
    app.rules_panel.select(0);
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1024.0, 700.0))
        .with_context_setup(bouncelab::gui::widgets::install_fonts)
        .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app);
    h.run();
    let top = h.get_by_label("Rule #1").rect().top();
    // Scroll the details down: the header goes out of view.
    for _ in 0..8 {
        h.get_by_label("Rule pattern").scroll_down();
        h.run();
    }
    assert!(h.query_by_label("Rule #1").is_none_or(|n| n.rect().top() < top), "the details scrolled");
    h.state_mut().rules_panel.select(5);
    h.run();
    h.run();
    assert_eq!(h.get_by_label("Rule #6").rect().top(), top, "rule 6's details start at their top");
}

#[test]
fn the_file_named_at_start_is_in_open_recent() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_rules/default.ron");
    let app = BounceLabApp::with_settings(Settings::default(), Some(path.clone()));
    assert_eq!(app.settings.recent.first(), Some(&path));
}
