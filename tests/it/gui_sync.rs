//! The sync dialog driven headless: a temp-dir upstream with two versions,
//! the automatic check on open, selective apply as one undo step, conflicts
//! kept local by default, and custom mode.

use std::path::PathBuf;

use bouncelab::engine::ruleset::Upstream;
use bouncelab::engine::sync;
use bouncelab::engine::{BounceRule, RuleSet};
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::settings::Settings;
use bouncelab::gui::sync_dialog::SyncAction;
use bouncelab::gui::{Action, Panel};
use bouncelab::i18n::{Lang, tr, tr_fmt, tr_n};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn rule(name: &str, pattern: &str, category: &str, example: &str) -> BounceRule {
    let mut r = BounceRule::new(name, pattern, category);
    r.must_match.push(example.into());
    r
}

fn v1() -> RuleSet {
    let mut rs = crate::default_doc();
    rs.name = "shared".into();
    rs.bounce_rules = vec![
        rule("unknown", r"user unknown", "userunknown", "550 5.1.1 User unknown"),
        rule("full", r"mailbox full", "mailboxfull", "452 4.2.2 Mailbox full"),
        rule("old", r"obsolete wording", "userunknown", "550 obsolete wording"),
    ];
    rs
}

/// v2: adds 'quota', widens 'full', removes 'old'.
fn v2() -> RuleSet {
    let mut rs = v1();
    rs.bounce_rules.insert(1, rule("quota", r"quota exceeded", "mailboxfull", "552 5.2.2 Quota exceeded"));
    rs.bounce_rules.retain(|r| r.name != "old");
    rs.bounce_rules.iter_mut().find(|r| r.name == "full").unwrap().pattern = r"mailbox (is )?full".into();
    rs
}

/// Upstream v1 in `up/rules.ron`, a local copy naming it (base = v1), then
/// upstream moves to v2. `edit` changes the local copy before it is saved.
fn setup(edit: impl FnOnce(&mut RuleSet)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let up = dir.path().join("up");
    std::fs::create_dir(&up).unwrap();
    v1().save(&up.join("rules.ron")).unwrap();
    let doc = dir.path().join("local.ron");
    let mut local = v1();
    local.upstream = Some(Upstream { path: "up".into(), note: String::new() });
    sync::save_base(&doc, &v1()).unwrap();
    edit(&mut local);
    local.save(&doc).unwrap();
    v2().save(&up.join("rules.ron")).unwrap();
    (dir, doc)
}

fn harness(doc: &std::path::Path) -> Harness<'static, BounceLabApp> {
    harness_in(doc, None)
}

/// [`harness`] in a language (`None`: English).
fn harness_in(doc: &std::path::Path, language: Option<&str>) -> Harness<'static, BounceLabApp> {
    let language = language.map(str::to_owned);
    let settings = Settings { panel: Panel::BounceRules, tester_beside_rules: false, language, ..Settings::default() };
    let mut app = BounceLabApp::with_settings(settings, Some(doc.to_owned()));
    app.typed_dialogs = true;
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_context_setup(bouncelab::gui::widgets::install_fonts)
        .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app)
}

fn shown(h: &Harness<'_, BounceLabApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

fn names(rs: &RuleSet) -> Vec<&str> {
    rs.bounce_rules.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn opening_checks_and_apply_takes_the_selected_changes_in_one_undo_step() {
    let (_dir, doc) = setup(|_| {});
    let mut h = harness(&doc);
    h.run();
    assert!(h.state().sync.open, "the check on open found an update and shows it");
    for label in ["Added upstream: rule 'quota'", "Changed upstream: rule 'full'", "Removed upstream: rule 'old'"] {
        assert!(shown(&h, label), "{label} listed");
    }
    assert!(shown(&h, "mailbox (is )?full"), "the changed pattern is shown field by field");
    assert!(shown(&h, "Effect on examples"));
    let before = h.state().document.rules.clone();

    h.get_by_label("Removed upstream: rule 'old'").click();
    h.run();
    h.get_by_label_contains("Apply selected (2)").click();
    h.run();
    let after = h.state().document.rules.clone();
    assert_eq!(names(&after), ["unknown", "quota", "full", "old"], "quota added, old kept");
    assert_eq!(after.bounce_rules[2].pattern, r"mailbox (is )?full");
    assert!(shown(&h, "Removed upstream: rule 'old'"), "the declined change is still offered");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(h.state().document.rules, before, "one undo step restores the pre-sync rules");

    // Redo, save: the base snapshot is written only now, with the accepted changes.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run();
    assert_eq!(h.state().document.rules, after);
    assert_eq!(sync::load_base(&doc).unwrap().unwrap(), v1(), "no write before Save");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run();
    let base = sync::load_base(&doc).unwrap().unwrap();
    assert_eq!(names(&base), ["unknown", "quota", "full", "old"], "declined removal stays pending in the base");
}

#[test]
fn a_local_edit_that_upstream_also_changed_is_a_conflict_kept_local() {
    let (_dir, doc) = setup(|local| local.bounce_rules[1].pattern = "mailbox (quota )?full".into());
    let mut h = harness(&doc);
    h.run();
    assert!(shown(&h, "Conflict: rule 'full': changed locally and upstream"));
    assert!(shown(&h, "Yours") && shown(&h, "Upstream") && shown(&h, "Last sync"), "side by side");
    assert!(shown(&h, "Take upstream for rule 'full'"));
    assert!(!h.state().sync.selection.iter().any(|id| id.key == "full"), "unchecked by default");
    h.get_by_label_contains("Apply selected").click();
    h.run();
    let rules = &h.state().document.rules;
    assert_eq!(names(rules), ["unknown", "quota", "full"]);
    assert_eq!(rules.bounce_rules[2].pattern, "mailbox (quota )?full", "the local edit is not overwritten");
}

#[test]
fn custom_mode_turns_sync_off_and_leaving_it_previews_first() {
    let (_dir, doc) = setup(|local| local.custom_mode = true);
    let mut h = harness(&doc);
    h.run();
    assert!(!h.state().sync.open, "no automatic check in custom mode");
    assert!(shown(&h, "Custom mode: upstream sync is off"), "status bar says so");
    let ctx = h.ctx.clone();
    h.state_mut().run_action(Action::Sync(SyncAction::Check), &ctx);
    h.run();
    assert!(shown(&h, "Custom mode: upstream sync is off."), "checking says sync is off");
    assert!(h.state().sync.report().is_none(), "nothing compared");

    h.get_by_label("Leave custom mode…").click();
    h.run();
    assert!(shown(&h, "upstream would change"));
    assert!(shown(&h, "rule 'quota'"), "the preview lists what upstream would change");
    assert!(h.state().document.rules.custom_mode, "nothing changes before Confirm");
    h.get_by_label("Cancel (stay in custom mode)").click();
    h.run();
    assert!(h.state().document.rules.custom_mode);

    h.state_mut().run_action(Action::Sync(SyncAction::SetCustomMode(false)), &ctx);
    h.run();
    h.get_by_label("Leave custom mode").click();
    h.run();
    assert!(!h.state().document.rules.custom_mode);
    assert!(shown(&h, "Added upstream: rule 'quota'"), "after leaving, the update is offered");
}

/// An item label as the dialog words it, e.g. "rule 'quota'".
fn item(key: &str) -> String {
    tr_fmt("sync.item", &[("kind", &tr("sync.kind_rule")), ("key", &key)])
}

/// The dialog in every language (kittest panics on a missing glyph): report,
/// conflict, apply and custom mode all speak the catalogue's words; Korean and
/// Spanish are checked against their catalogues' literal text too.
#[test]
fn the_sync_dialog_speaks_every_language() {
    for lang in Lang::all() {
        let code = lang.code();
        let (_dir, doc) = setup(|local| local.bounce_rules[1].pattern = "mailbox (quota )?full".into());
        let mut h = harness_in(&doc, Some(code));
        h.run();
        assert!(h.state().sync.open, "{code}: the check on open shows the update");
        assert_eq!(Lang::current(), lang);
        let added = tr_fmt("sync.added", &[("item", &item("quota"))]);
        let removed = tr_fmt("sync.removed", &[("item", &item("old"))]);
        let conflict = tr_fmt("sync.conflict", &[("item", &item("full")), ("why", &tr("sync.why_both_changed"))]);
        for text in [tr("sync.title"), tr("sync.col_local"), tr("sync.col_upstream"), tr("sync.col_base"), tr("sync.effect_heading")] {
            assert!(shown(&h, text), "{code}: {text}");
        }
        for text in [&added, &removed, &conflict] {
            assert!(shown(&h, text), "{code}: {text}");
        }
        h.get_by_label(&tr_fmt("sync.a11y_take_upstream", &[("item", &item("full"))]));
        match code {
            "ko" => {
                assert!(shown(&h, "업스트림에서 추가: 규칙 'quota'"), "ko.toml's words");
                assert!(shown(&h, "충돌: 규칙 'full': 로컬과 업스트림 양쪽에서 변경됨"));
                assert!(shown(&h, "내 버전") && shown(&h, "예시에 미치는 영향"));
            }
            "es" => {
                assert!(shown(&h, "Añadida en upstream: regla 'quota'"), "es.toml's words");
                assert!(shown(&h, "Conflicto: regla 'full': cambiada localmente y en upstream"));
                assert!(shown(&h, "Tuya") && shown(&h, "Efecto en los ejemplos"));
            }
            _ => {}
        }

        let n = h.state().sync.selection.len();
        h.get_by_label(&tr_fmt("sync.apply_selected", &[("n", &n)])).click();
        h.run();
        assert!(names(&h.state().document.rules).contains(&"quota"), "{code}: applied");
        assert!(shown(&h, &tr_n("sync.applied", n, &[])), "{code}: status bar");
        if code == "es" {
            assert!(shown(&h, "en un solo paso"));
        }

        let ctx = h.ctx.clone();
        h.state_mut().run_action(Action::Sync(SyncAction::SetCustomMode(true)), &ctx);
        h.run();
        assert!(shown(&h, tr("sync.custom_heading")), "{code}: custom mode");
        h.get_by_label(tr("sync.leave_custom_more")).click();
        h.run();
        assert!(shown(&h, tr("sync.leave_would_change")), "{code}: leave preview");
        h.get_by_label(tr("sync.stay_custom"));
        if code == "ko" {
            h.get_by_label("취소 (사용자 지정 모드 유지)");
        }
    }
    Lang::ENGLISH.make_current();
}
