//! The workbench at every window size (issue 18): the rule grids, the split
//! between table and details, the folding tester, templates, status
//! messages, the trainer gallery and presentation mode, driven headless.

use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::settings::Settings;
use bouncelab::i18n::{Lang, tr, tr_n};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

use crate::gui_support::{settle, shown};

/// The app on `panel` in `lang` with the shipped rules and the tester docked (the default).
fn app(panel: Panel, lang: &str) -> BounceLabApp {
    let settings = Settings { panel, language: Some(lang.to_owned()), ..Settings::default() };
    let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
    app.typed_dialogs = true;
    app
}

fn sized(app: BounceLabApp, w: f32, h: f32) -> Harness<'static, BounceLabApp> {
    Harness::builder()
        .with_size(egui::vec2(w, h))
        .with_context_setup(bouncelab::gui::widgets::install_fonts)
        .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app)
}

/// Widgets of the main area (the ones with an accessibility role: fields,
/// buttons, boxes, labels; not the containers) that stick out of it or are
/// cut sideways by their clip rect (a column, a panel); rows cut by vertical
/// scrolling are fine.
fn cut_widgets(h: &Harness<'_, BounceLabApp>) -> Vec<String> {
    use egui::accesskit::Role;
    let main = h.state().main_rect;
    assert!(main.width() > 100.0, "main area drawn: {main:?}");
    let roles = [
        Role::Button,
        Role::CheckBox,
        Role::TextInput,
        Role::MultilineTextInput,
        Role::ComboBox,
        Role::SpinButton,
        Role::Link,
        Role::Label,
    ];
    let named: std::collections::HashMap<egui::accesskit::NodeId, String> = h
        .query_all(egui_kittest::kittest::by().predicate(move |n| roles.contains(&n.role())))
        .map(|n| {
            let a = n.accesskit_node();
            (a.locate().0, format!("{:?} {:?}", a.role(), a.label().or_else(|| a.value()).unwrap_or_default()))
        })
        .collect();
    assert!(named.len() > 10, "the tree has the widgets ({})", named.len());
    h.ctx.viewport(|v| {
        let mut out = Vec::new();
        for w in v.this_pass.widgets.get_layer(egui::LayerId::background()) {
            let r = w.rect;
            let Some(what) = named.get(&w.id.accesskit_id()) else { continue };
            // Only what is in the main area's rows (not the menu, status bar or navigation).
            if !w.visible || r.width() < 1.0 || r.top() < main.top() || r.top() >= main.bottom() || r.right() <= main.left() {
                continue;
            }
            let visible_vertically = w.interact_rect.height() > 0.0;
            let shown = visible_vertically && w.interact_rect.width() > 0.0;
            if r.left() >= main.right() - 0.5 && shown {
                continue; // a side panel (the tester beside the rules)
            }
            if r.right() > main.right() + 1.0 {
                out.push(format!("{what} {r:?} beyond the main area's right edge {}", main.right()));
            } else if visible_vertically && w.interact_rect.width() + 1.0 < r.width() {
                out.push(format!("{what} {r:?} cut to {:?}", w.interact_rect));
            }
        }
        out
    })
}

#[test]
fn no_widget_of_the_main_panels_is_cut_at_1024_and_1600_in_english_and_korean() {
    let panels = [
        Panel::BounceRules,
        Panel::MxRules,
        Panel::Gallery,
        Panel::DnsLookup,
        Panel::Tester,
        Panel::Batch,
        Panel::Reasons,
        Panel::RampUp,
        Panel::Quarantine,
    ];
    for (w, hgt) in [(1024.0, 700.0), (1600.0, 1000.0)] {
        for lang in ["en", "ko"] {
            for panel in panels {
                let mut a = app(panel, lang);
                // Details open: they must fit as well.
                a.rules_panel.select(0);
                a.mx_rules.select(0);
                let mut h = sized(a, w, hgt);
                settle(&mut h);
                let cut = cut_widgets(&h);
                assert!(cut.is_empty(), "{w}x{hgt} {lang} {panel:?}: {} cut widgets:\n{}", cut.len(), cut.join("\n"));
            }
        }
    }
    Lang::ENGLISH.make_current();
}

#[test]
fn below_1200_px_the_tester_folds_into_a_toggle() {
    let mut h = sized(app(Panel::BounceRules, "en"), 1024.0, 700.0);
    settle(&mut h);
    assert!(h.query_by_label(tr("tester.a11y_text")).is_none(), "folded at 1024");
    h.get_by_label(tr("rules.show_tester")).click();
    settle(&mut h);
    assert!(h.query_by_label(tr("tester.a11y_text")).is_some(), "the toggle shows it");

    let mut h = sized(app(Panel::BounceRules, "en"), 1600.0, 1000.0);
    settle(&mut h);
    assert!(h.query_by_label(tr("tester.a11y_text")).is_some(), "beside the rules at 1600");
    assert!(h.query_by_label(tr("rules.show_tester")).is_none(), "no toggle when there is room");
}

#[test]
fn columns_remember_their_widths_and_pattern_takes_the_spare_width() {
    let mut a = app(Panel::BounceRules, "en");
    a.settings.tester_beside_rules = false;
    a.settings.rule_grid.widths = vec![34.0, 28.0, 260.0, 160.0, 124.0, 70.0, 96.0, 44.0, 48.0, 44.0];
    let mut h = sized(a, 1600.0, 1000.0);
    settle(&mut h);
    let wide = h.state().settings.rule_grid.widths.clone();
    assert_eq!(wide.len(), 10);
    assert!((wide[2] - 260.0).abs() < 1.0, "the remembered Name width is used: {wide:?}");
    let name = h.get_by_label("Rule 1 name").rect().width();
    assert!(name > 240.0, "Name cell drawn at its width ({name})");

    let mut a = app(Panel::BounceRules, "en");
    a.settings.tester_beside_rules = false;
    a.settings.rule_grid = h.state().settings.rule_grid.clone();
    let mut narrow = sized(a, 1024.0, 700.0);
    settle(&mut narrow);
    let small = narrow.state().settings.rule_grid.widths.clone();
    assert!((small[2] - 260.0).abs() < 1.0, "Name keeps its width in a smaller window");
    assert!(wide[3] > 600.0 && wide[3] > small[3] + 400.0, "Pattern takes the spare width: {} at 1600, {} at 1024", wide[3], small[3]);
    let p1 = narrow.get_by_label("Rule 1 pattern").rect();
    assert!(p1.width() > 150.0, "Pattern keeps at least its minimum");
}

#[test]
fn a_cut_pattern_shows_its_whole_text_on_hover() {
    let mut a = app(Panel::BounceRules, "en");
    let long = "this pattern is far too long to fit in the pattern column of the rule table at this width, so it is cut".to_owned();
    a.document.rules.bounce_rules[0].pattern = long.clone();
    a.document.after_structural_edit();
    let mut h = sized(a, 1024.0, 700.0);
    settle(&mut h);
    h.get_by_label("Rule 1 category").hover();
    h.run_steps(4);
    assert!(shown(&h, "feedback — "), "category tooltip");
    h.get_by_label("Rule 1 pattern").hover();
    h.run_steps(4);
    assert!(h.query_by_label(&long).is_some(), "a tooltip with the whole pattern");
}

#[test]
fn the_split_stays_put_when_an_error_line_appears() {
    let mut a = app(Panel::BounceRules, "en");
    a.rules_panel.select(1);
    let mut h = sized(a, 1280.0, 820.0);
    settle(&mut h);
    let before = h.get_by_label(tr("rules.rule_name")).rect();
    let row = h.get_by_label("Rule 2 name").rect();
    h.state_mut().document.rules.bounce_rules[1].pattern = "user (unknown".into();
    h.state_mut().document.after_structural_edit();
    settle(&mut h);
    assert!(shown(&h, "Invalid regex"), "the error line is there");
    let after = h.get_by_label(tr("rules.rule_name")).rect();
    assert_eq!(before.top(), after.top(), "the details did not move");
    assert_eq!(row, h.get_by_label("Rule 2 name").rect(), "the table row did not move");
    // Remove buttons of the examples are whole.
    let remove = h.get_by_label("Remove example 1").rect();
    assert!(remove.right() <= h.state().main_rect.right() + 0.5);
}

#[test]
fn the_shipped_default_opens_as_a_template_and_save_asks_for_a_name() {
    let shipped = crate::data("../../sample_rules/default.ron");
    let before = std::fs::read(&shipped).unwrap();
    let mut h = sized(app(Panel::BounceRules, "en"), 1280.0, 820.0);
    settle(&mut h);
    assert!(h.state().is_template());
    assert!(shown(&h, tr("status.template")));
    h.get_by_label("Add").click();
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    settle(&mut h);
    assert!(shown(&h, tr("dialog.save_title")), "Save acts as Save as…");
    assert_eq!(std::fs::read(&shipped).unwrap(), before, "the shipped file is untouched");
    assert!(h.state().document.is_dirty());
}

#[test]
fn status_messages_clear_on_the_next_edit_and_after_a_while() {
    let mut h = sized(app(Panel::BounceRules, "en"), 1280.0, 820.0);
    settle(&mut h);
    h.get_by_label("Add").click();
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().status, tr("status.undone"));
    h.get_by_label("Rule 1 enabled").click();
    h.run_steps(2);
    assert!(h.state().status.is_empty(), "an edit clears 'Undone': {:?}", h.state().status);

    h.state_mut().status = "Saved somewhere".into();
    h.run_steps(2);
    assert!(shown(&h, "Saved somewhere"));
    // 0.25 s a step: past the message's lifetime.
    h.run_steps((bouncelab::gui::app::STATUS_SECS * 4.0) as usize + 8);
    assert!(h.state().status.is_empty(), "cleared after a while");
}

#[test]
fn counts_use_each_languages_plural_forms() {
    for (lang, one, two) in [("en", "1 error", "2 errors"), ("pt", "1 erro", "2 erros"), ("ko", "오류 1개", "오류 2개")] {
        Lang::from_code(lang).unwrap().make_current();
        assert_eq!(tr_n("status.errors", 1, &[]), one);
        assert_eq!(tr_n("status.errors", 2, &[]), two);
    }
    Lang::from_code("pt").unwrap().make_current();
    assert_eq!(tr_n("status.errors", 0, &[]), "0 erro", "Portuguese: 0 takes the singular");
    Lang::ENGLISH.make_current();
    assert_eq!(tr_n("status.errors", 0, &[]), "0 errors");

    let mut a = app(Panel::BounceRules, "en");
    a.document.rules.bounce_rules[0].pattern = "user (unknown".into();
    a.document.after_structural_edit();
    let errors = a.document.compiled.error_count();
    let mut h = sized(a, 1280.0, 820.0);
    settle(&mut h);
    assert!(shown(&h, &tr_n("status.errors", errors, &[])));
    if errors == 1 {
        assert!(!shown(&h, "1 errors"));
    }
}

#[test]
fn gallery_cards_show_expected_against_actual_and_who_decided() {
    let mut a = app(Panel::Gallery, "en");
    a.settings.tester_beside_rules = false;
    let mut h = sized(a, 1280.0, 820.0);
    settle(&mut h);
    assert!(shown(&h, tr("gallery.all_expected")), "the shipped rules give every card its reason");
    assert!(shown(&h, "(rule #"), "who decided is named");

    // A rule's category changed: its replies now classify wrongly, in red and counted.
    let full = "550 5.2.2 User quota exceeded";
    let rule = h.state().document.compiled.classifier.classify(full).rule.expect("a rule decides");
    h.state_mut().document.rules.bounce_rules[rule].category = "userunknown".into();
    h.state_mut().document.after_structural_edit();
    settle(&mut h);
    let st = h.state_mut();
    let bad = st.gallery.mismatch_count(&st.document.compiled);
    assert!(bad >= 1);
    assert!(shown(&h, &tr_n("gallery.mismatches", bad, &[])), "counted on the panel and in the status bar");
    assert!(h.query_all_by_label(&tr_n("gallery.mismatches", bad, &[])).count() >= 2);
    assert!(shown(&h, "expected Mailbox full"));
}

#[test]
fn presentation_mode_is_chromeless_shows_whole_replies_and_steps_with_the_arrows() {
    let mut a = app(Panel::Gallery, "en");
    a.settings.presentation = true;
    let mut h = sized(a, 1600.0, 1000.0);
    settle(&mut h);
    assert!(h.query_by_label("File").is_none(), "no menu bar");
    assert!(h.query_by_label(Panel::BounceRules.label()).is_none(), "no navigation");
    assert!(h.query_by_label(tr("tester.a11y_text")).is_some(), "a tester beside the card");
    let card = h.state().gallery.cards[0].clone();
    let long = card.examples.iter().max_by_key(|e| e.len()).unwrap().clone();
    assert!(long.chars().count() > 90);
    assert!(shown(&h, &long), "the whole reply, not shortened");
    // The tester beside the card shows the card's first reply, and the card marks it.
    assert_eq!(h.state().tester.text, card.examples[0]);
    assert_eq!(h.query_all_by_label("▶").count(), 2, "the next-card button and the one reply in the tester");
    h.get_by_label(long.as_str()).click();
    settle(&mut h);
    assert_eq!(h.state().tester.text, long, "a click puts another reply in the tester");
    assert_eq!(h.query_all_by_label("▶").count(), 2, "the mark moved with it, still one");
    h.key_press(Key::ArrowRight);
    settle(&mut h);
    assert_eq!(h.state().gallery.current, 1);
    assert!(shown(&h, &h.state().gallery.cards[1].title.clone()));
    assert_eq!(h.state().tester.text, h.state().gallery.cards[1].examples[0], "and follows the cards");
    assert_eq!(h.state().settings.panel, Panel::Gallery, "the panel under presentation mode stays");
    h.key_press(Key::ArrowLeft);
    h.key_press(Key::ArrowLeft);
    settle(&mut h);
    assert_eq!(h.state().gallery.current, h.state().gallery.cards.len() - 1, "wraps around");
    h.key_press(Key::Escape);
    settle(&mut h);
    assert!(!h.state().settings.presentation);
    assert!(h.query_by_label("File").is_some());
}

#[test]
fn dns_panel_keeps_its_total_timeout_and_names_the_server_it_asked() {
    // A server that never answers: the attempts share the panel's total.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let ns = silent.local_addr().unwrap();
    let mut a = app(Panel::DnsLookup, "en");
    a.settings.nameserver = ns.to_string();
    a.dns.timeout_secs = 2;
    a.dns.input = "example.com".into();
    let mut h = sized(a, 1280.0, 820.0);
    settle(&mut h);
    h.get_by_label(tr("dns.look_up")).click();
    let start = std::time::Instant::now();
    while h.state().dns.result.is_none() && start.elapsed() < std::time::Duration::from_secs(60) {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    settle(&mut h);
    let Some((_, Err(e))) = &h.state().dns.result else { panic!("a timeout, got {:?}", h.state().dns.result) };
    assert!(matches!(e, bouncelab::engine::dns::DnsError::Timeout { .. }), "{e:?}");
    assert!(shown(&h, "2 attempts of 1.0 s"), "the two attempts share the 2 s");
    assert_eq!(h.query_all_by_label_contains("no answer").count(), 1, "one message");
    assert!(shown(&h, &format!("Asked {ns}")), "the server asked is named");
}

/// A name that is no domain is refused before any server is asked, so no
/// server is named; a bad DNS server setting is said once, under its field,
/// and the lookup waits for a good one.
#[test]
fn dns_panel_refuses_bad_input_without_asking_and_says_it_once() {
    let mut a = app(Panel::DnsLookup, "en");
    a.dns.input = "not a domain!!".into();
    let mut h = sized(a, 1024.0, 700.0);
    settle(&mut h);
    h.get_by_label(tr("dns.look_up")).click();
    settle(&mut h);
    let Some((_, Err(e))) = &h.state().dns.result else { panic!("refused, got {:?}", h.state().dns.result) };
    assert!(matches!(e, bouncelab::engine::dns::DnsError::InvalidName { .. }), "{e:?}");
    assert!(!shown(&h, "Asked "), "no server was asked");

    h.state_mut().settings.nameserver = "1.2.3.4:abc".into();
    h.state_mut().dns.input = "example.com".into();
    h.state_mut().dns.result = None;
    settle(&mut h);
    assert!(h.get_by_label(tr("dns.look_up")).accesskit_node().is_disabled(), "nothing to ask");
    assert_eq!(h.query_all_by_label_contains("is not IP:PORT").count(), 1, "one message, under the field");
    assert!(h.state().dns.result.is_none() && !h.state().dns.is_running());
}

#[test]
fn make_a_rule_generalises_addresses_and_numbers_like_the_batch_clusters() {
    let mut a = app(Panel::Tester, "en");
    a.settings.tester_beside_rules = false;
    let text = "550 5.7.1 <alice@example.org>: mailbox frozen by provider policy 4711";
    a.tester.set_text(text.into());
    let mut h = sized(a, 1280.0, 820.0);
    settle(&mut h);
    let n = h.state().document.rules.bounce_rules.len();
    h.get_by_label(tr("tester.make_rule")).click();
    settle(&mut h);
    h.get_by_label(tr("tester.proposal_insert")).click();
    settle(&mut h);
    let doc = &h.state().document;
    assert_eq!(doc.rules.bounce_rules.len(), n + 1);
    let sel = h.state().rules_panel.selected.unwrap();
    let r = &doc.rules.bounce_rules[sel];
    assert!(!r.pattern.contains("alice"), "the address is generalised: {}", r.pattern);
    assert!(!r.pattern.contains("4711"), "numbers are generalised: {}", r.pattern);
    let c = &doc.compiled.classifier;
    assert_eq!(c.classify(text).rule, Some(sel), "the new rule wins its example");
    let other = "550 5.7.1 <bob@mail.example.net>: mailbox frozen by provider policy 99";
    assert_eq!(c.classify(other).rule, Some(sel), "and the same reply for another address");
}

/// Beside the tester at 1024 px the rule details are about 550 px wide: their
/// fields go one a row, so no combo, example field or Remove button runs
/// under the tester (a four-column grid pushed them past the edge).
#[test]
fn the_rule_details_fit_beside_the_tester_at_1024() {
    let mut a = app(Panel::BounceRules, "en");
    a.rules_panel.select(0);
    a.rules_panel.tester_unfolded = true;
    let mut h = sized(a, 1024.0, 700.0);
    settle(&mut h);
    assert!(h.query_by_label(tr("tester.a11y_text")).is_some(), "the tester is beside the rules");
    let right = h.state().main_rect.right() + 0.5;
    for label in ["Remove example 1", "Example 1", tr("rules.reason_override"), tr("rules.rule_status"), tr("rules.rule_note")] {
        let nodes: Vec<_> = h.query_all_by_label(label).collect();
        assert!(!nodes.is_empty(), "{label} is shown");
        for n in nodes {
            assert!(n.rect().right() <= right, "{label} ends at {} past the details' edge {right}", n.rect().right());
        }
    }
}

/// "Test the first example" is disabled for a rule without examples, and says why.
#[test]
fn test_first_example_needs_an_example() {
    let mut a = app(Panel::BounceRules, "en");
    a.settings.tester_beside_rules = false;
    a.document.rules.bounce_rules[0].must_match.clear();
    a.document.after_structural_edit();
    a.rules_panel.select(0);
    let mut h = sized(a, 1400.0, 900.0);
    settle(&mut h);
    assert!(h.get_by_label(tr("rules.test_first")).accesskit_node().is_disabled(), "nothing to test");
    h.state_mut().document.rules.bounce_rules[0].must_match.push("550 5.1.1 user unknown".into());
    h.state_mut().document.after_structural_edit();
    settle(&mut h);
    h.get_by_label(tr("rules.test_first")).click();
    settle(&mut h);
    assert_eq!(h.state().tester.text, "550 5.1.1 user unknown");
    assert_eq!(h.state().settings.panel, Panel::Tester, "the tester shows it");
}

/// A click into a rule's name or pattern in the grid selects that rule (its
/// details open), as a click on the row does.
#[test]
fn editing_a_cell_selects_its_rule() {
    let mut a = app(Panel::BounceRules, "en");
    a.settings.tester_beside_rules = false;
    let mut h = sized(a, 1024.0, 700.0);
    settle(&mut h);
    assert_eq!(h.state().rules_panel.selected, None);
    h.get_by_label("Rule 3 name").click();
    settle(&mut h);
    assert_eq!(h.state().rules_panel.selected, Some(2));
    h.get_by_label("Rule 2 pattern").click();
    settle(&mut h);
    assert_eq!(h.state().rules_panel.selected, Some(1));
    assert!(h.query_by_label(tr("rules.rule_name")).is_some(), "the details are open");
    // The MX grid does the same with its masks.
    h.state_mut().settings.panel = Panel::MxRules;
    settle(&mut h);
    h.get_by_label(&bouncelab::i18n::tr_fmt("mx.a11y_mask", &[("n", &4)])).click();
    settle(&mut h);
    assert_eq!(h.state().mx_rules.selected, Some(3));
}
