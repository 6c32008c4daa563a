//! Rule source sync: a temp-dir upstream with successive versions.

use std::path::{Path, PathBuf};
use std::process::Command;

use bouncelab::engine::mx::{Limits, MxRule};
use bouncelab::engine::ruleset::Upstream;
use bouncelab::engine::sync::{self, ChangeKind, ConflictKind, ItemKind, SyncStatus};
use bouncelab::engine::{BounceRule, RuleSet};

fn rule(name: &str, pattern: &str, category: &str, example: &str) -> BounceRule {
    let mut r = BounceRule::new(name, pattern, category);
    r.must_match.push(example.into());
    r
}

fn mx(mask: &str, per_hour: u32) -> MxRule {
    MxRule::new(mask, Limits { max_connections: 5, max_msgs_per_connection: 50, msgs_per_hour: per_hour })
}

/// Upstream v1: four rules and two MX rules, with the shipped reasons and categories.
fn v1() -> RuleSet {
    let mut rs = crate::default_doc();
    rs.name = "shared".into();
    rs.bounce_rules = vec![
        rule("unknown", r"user unknown", "userunknown", "550 5.1.1 User unknown"),
        rule("full", r"mailbox full", "mailboxfull", "452 4.2.2 Mailbox full"),
        rule("old", r"obsolete wording", "userunknown", "550 obsolete wording"),
        rule("spam", r"\bspam\b", "spamdetected", "554 5.7.1 Message rejected as spam"),
    ];
    rs.mx_rules = vec![mx("*.gmail.com", 1000), mx("*", 100)];
    rs
}

/// v2: adds 'quota' after 'unknown', removes 'old', widens 'full', raises
/// gmail's Normal hourly limit, adds a yahoo MX rule before the catch-all.
fn v2() -> RuleSet {
    let mut rs = v1();
    rs.bounce_rules.insert(1, rule("quota", r"quota exceeded", "mailboxfull", "552 5.2.2 Quota exceeded"));
    rs.bounce_rules.retain(|r| r.name != "old");
    rs.bounce_rules.iter_mut().find(|r| r.name == "full").unwrap().pattern = r"mailbox (is )?full".into();
    rs.mx_rules[0].levels[1].msgs_per_hour = 2000;
    rs.mx_rules.insert(1, mx("*.yahoo.com", 500));
    rs
}

struct Setup {
    _dir: tempfile::TempDir,
    doc: PathBuf,
    up: PathBuf,
}

/// Upstream folder `up/rules.ron` = v1; the local copy follows it, carries a
/// local-only rule, and a first `--apply` records the base.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let up = dir.path().join("up");
    std::fs::create_dir(&up).unwrap();
    v1().save(&up.join("rules.ron")).unwrap();
    let mut local = v1();
    local.upstream = Some(Upstream { path: "up".into(), note: "shared drive".into() });
    local.bounce_rules.push(rule("mine", r"my own wording", "userunknown", "550 my own wording"));
    let doc = dir.path().join("local.ron");
    local.save(&doc).unwrap();
    let (code, out, err) = run(&["sync", "--apply", doc.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(sync::base_path(&doc).exists());
    Setup { _dir: dir, doc, up }
}

fn publish(s: &Setup, rs: &RuleSet) {
    rs.save(&s.up.join("rules.ron")).unwrap();
}

fn check_file(doc: &Path) -> (RuleSet, sync::SyncReport) {
    let local = RuleSet::load(doc).unwrap();
    let upstream = sync::load_upstream(doc, local.upstream.as_ref().unwrap()).unwrap();
    let base = sync::load_base(doc).unwrap();
    let report = sync::check(&local, base.as_ref(), &upstream);
    (local, report)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncelab")).env("LC_ALL", "C").args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn names(rs: &RuleSet) -> Vec<&str> {
    rs.bounce_rules.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn check_lists_exactly_the_upstream_changes() {
    let s = setup();
    assert_eq!(check_file(&s.doc).1.status, SyncStatus::UpToDate);
    publish(&s, &v2());
    let (_, report) = check_file(&s.doc);
    assert_eq!(report.status, SyncStatus::UpdatePending);
    let got: Vec<(ItemKind, &str, &ChangeKind)> = report.changes.iter().map(|c| (c.id.kind, c.id.key.as_str(), &c.kind)).collect();
    assert_eq!(
        got,
        vec![
            (ItemKind::Bounce, "quota", &ChangeKind::Added),
            (ItemKind::Bounce, "full", &ChangeKind::Changed),
            (ItemKind::Bounce, "old", &ChangeKind::Removed),
            (ItemKind::Mx, "*.gmail.com", &ChangeKind::Changed),
            (ItemKind::Mx, "*.yahoo.com", &ChangeKind::Added),
        ]
    );
    let full = &report.changes[1];
    assert_eq!(full.fields.len(), 1);
    assert_eq!(full.fields[0].field, "pattern");
    assert_eq!(full.to_string(), "~ rule 'full': pattern: 'mailbox full' -> 'mailbox (is )?full'");
    assert_eq!(report.changes[3].to_string(), "~ MX '*.gmail.com': Normal msgs/hour: 1000 -> 2000");
}

#[test]
fn apply_all_gives_v2_and_keeps_local_rules() {
    let s = setup();
    publish(&s, &v2());
    let (local, report) = check_file(&s.doc);
    let after = sync::apply(&local, &report, &report.non_conflicting_ids());
    assert_eq!(names(&after), ["unknown", "quota", "full", "spam", "mine"]);
    let v2 = v2();
    for r in &v2.bounce_rules {
        assert_eq!(after.bounce_rules.iter().find(|a| a.name == r.name), Some(r));
    }
    assert_eq!(after.mx_rules, v2.mx_rules, "yahoo goes before the catch-all, gmail's limit is raised");
    assert!(after.upstream.is_some(), "the document still follows its source");
    // Once the base is saved, the document is up to date.
    let base = report.next_base(&report.non_conflicting_ids()).unwrap();
    assert_eq!(sync::check(&after, Some(&base), &v2).status, SyncStatus::UpToDate);
    // Accepting none changes nothing.
    assert_eq!(sync::apply(&local, &report, &[]), local);
}

#[test]
fn declined_changes_are_offered_again() {
    let s = setup();
    publish(&s, &v2());
    let (local, report) = check_file(&s.doc);
    let only_quota: Vec<_> = report.all_ids().into_iter().filter(|id| id.key == "quota").collect();
    let after = sync::apply(&local, &report, &only_quota);
    let base = report.next_base(&only_quota).unwrap();
    let again = sync::check(&after, Some(&base), &v2());
    let keys: Vec<&str> = again.changes.iter().map(|c| c.id.key.as_str()).collect();
    assert_eq!(keys, ["full", "old", "*.gmail.com", "*.yahoo.com"]);
    assert!(again.conflicts().next().is_none());
}

#[test]
fn local_edit_of_an_upstream_changed_rule_is_a_conflict() {
    let s = setup();
    let mut local = RuleSet::load(&s.doc).unwrap();
    local.bounce_rules.iter_mut().find(|r| r.name == "full").unwrap().pattern = "mailbox.{0,9}full".into();
    local.save(&s.doc).unwrap();
    publish(&s, &v2());
    let (_, report) = check_file(&s.doc);
    let c = report.conflicts().collect::<Vec<_>>();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].id.key, "full");
    assert_eq!(c[0].kind, ChangeKind::Conflict(ConflictKind::BothChanged));
    assert!(c[0].local.is_some() && c[0].upstream.is_some() && c[0].base.is_some(), "side by side");

    let (code, out, _) = run(&["sync", "--apply", s.doc.to_str().unwrap()]);
    assert_eq!(code, 1, "a conflict is left: {out}");
    assert!(out.contains("kept local ! conflict rule 'full'"), "{out}");
    let after = RuleSet::load(&s.doc).unwrap();
    assert_eq!(after.bounce_rules.iter().find(|r| r.name == "full").unwrap().pattern, "mailbox.{0,9}full");
    assert!(names(&after).contains(&"quota"), "the other changes were applied");
    assert!(PathBuf::from(format!("{}.bak", s.doc.display())).exists());
    // Still a conflict at the next check, never silently resolved.
    let (code, out, _) = run(&["sync", "--check", s.doc.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("! conflict rule 'full': changed locally and upstream"), "{out}");
    // Explicitly taking upstream resolves it.
    let (code, out, _) = run(&["sync", "--apply", "--take-upstream-conflicts", s.doc.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(RuleSet::load(&s.doc).unwrap().bounce_rules.iter().find(|r| r.name == "full").unwrap().pattern, "mailbox (is )?full");
    assert_eq!(run(&["sync", "--check", s.doc.to_str().unwrap()]).0, 0);
}

#[test]
fn first_sync_without_base_reports_differences_as_conflicts() {
    let mut local = v1();
    local.bounce_rules[1].pattern = "full mailbox".into();
    let report = sync::check(&local, None, &v2());
    let full = report.changes.iter().find(|c| c.id.key == "full").unwrap();
    assert_eq!(full.kind, ChangeKind::Conflict(ConflictKind::NoBase));
    assert!(report.changes.iter().any(|c| c.id.key == "quota" && c.kind == ChangeKind::Added));
    assert!(!report.changes.iter().any(|c| c.id.key == "old"), "without a base a removal cannot be told from a local rule");
}

#[test]
fn custom_mode_ignores_upstream() {
    let s = setup();
    let mut local = RuleSet::load(&s.doc).unwrap();
    local.custom_mode = true;
    local.save(&s.doc).unwrap();
    publish(&s, &v2());
    let (local, report) = check_file(&s.doc);
    assert_eq!(report.status, SyncStatus::CustomMode);
    assert!(report.changes.is_empty());
    assert_eq!(sync::apply(&local, &report, &report.all_ids()), local);
    assert!(report.next_base(&[]).is_none());
    // Switching back shows what upstream would change first.
    let preview = sync::preview_leaving_custom_mode(&local, report.base.as_ref(), &report.upstream);
    assert_eq!(preview.changes.len(), 5);
    let before = std::fs::read(&s.doc).unwrap();
    for mode in ["--check", "--apply"] {
        let (code, out, _) = run(&["sync", mode, s.doc.to_str().unwrap()]);
        assert_eq!(code, 0);
        assert!(out.contains("custom mode: sync is off"), "{out}");
    }
    assert_eq!(std::fs::read(&s.doc).unwrap(), before);
}

#[test]
fn upstream_moves_are_reported_and_applied() {
    let s = setup();
    let mut v = v1();
    let spam = v.bounce_rules.remove(3);
    v.bounce_rules.insert(0, spam);
    publish(&s, &v);
    let (local, report) = check_file(&s.doc);
    assert_eq!(report.changes.len(), 1, "{:?}", report.changes);
    assert_eq!(report.changes[0].to_string(), "> rule 'spam' moved to the top");
    let after = sync::apply(&local, &report, &report.all_ids());
    assert_eq!(names(&after), ["spam", "unknown", "full", "old", "mine"]);
}

#[test]
fn effect_on_examples_groups_verdict_changes() {
    let s = setup();
    let mut v = v1();
    v.bounce_rules.retain(|r| r.name != "spam");
    publish(&s, &v);
    let (local, report) = check_file(&s.doc);
    let effect = sync::effect_on_examples(&local, &report, &report.all_ids(), &["550 spam here".into()]);
    assert_eq!(effect.changed, 2, "{effect:?}");
    assert!(effect.groups.iter().all(|g| g.old.rule.as_deref() == Some("spam") && g.new.rule.is_none()), "{effect:?}");
}

#[test]
fn cli_exit_codes() {
    let s = setup();
    let doc = s.doc.to_str().unwrap();
    let (code, out, _) = run(&["sync", "--check", doc]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("up to date"));
    publish(&s, &v2());
    let (code, out, _) = run(&["sync", "--check", doc]);
    assert_eq!(code, 1, "{out}");
    for line in [
        "+ rule 'quota'",
        "- rule 'old'",
        "~ rule 'full': pattern",
        "~ MX '*.gmail.com': Normal msgs/hour: 1000 -> 2000",
        "+ MX '*.yahoo.com'",
    ] {
        assert!(out.contains(line), "{line} missing in:\n{out}");
    }
    assert!(out.contains("effect on examples"), "{out}");
    let (code, out, _) = run(&["sync", "--apply", doc]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("applied + rule 'quota'"), "{out}");
    assert_eq!(run(&["sync", "--check", doc]).0, 0);

    // Malformed upstream: file:line:col, exit 2, document untouched.
    std::fs::write(s.up.join("rules.ron"), "RuleSet(\n  version: 1,\n  reasons: [,\n").unwrap();
    let before = std::fs::read(&s.doc).unwrap();
    let (code, _, err) = run(&["sync", "--apply", doc]);
    assert_eq!(code, 2);
    assert!(err.contains("rules.ron:3:"), "{err}");
    assert_eq!(std::fs::read(&s.doc).unwrap(), before);
    // Missing upstream.
    std::fs::remove_dir_all(&s.up).unwrap();
    let (code, _, err) = run(&["sync", "--check", doc]);
    assert_eq!(code, 2);
    assert!(err.contains("upstream") && err.contains("not found"), "{err}");
    // A document naming no upstream.
    let (code, _, err) = run(&["sync", "--check", &format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"))]);
    assert_eq!(code, 2);
    assert!(err.contains("names no upstream"), "{err}");
}

#[test]
fn upstream_folder_needs_one_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.ron");
    let up = Upstream { path: "src".into(), note: String::new() };
    std::fs::create_dir(dir.path().join("src")).unwrap();
    assert!(sync::resolve_upstream(&doc, &up).unwrap_err().to_string().contains("no .ron file"));
    v1().save(&dir.path().join("src/a.ron")).unwrap();
    assert_eq!(sync::resolve_upstream(&doc, &up).unwrap(), dir.path().join("src/a.ron"));
    v1().save(&dir.path().join("src/b.ron")).unwrap();
    assert!(sync::resolve_upstream(&doc, &up).unwrap_err().to_string().contains("2 .ron files"));
}

#[test]
fn documents_without_sync_fields_load_and_save_unchanged() {
    let text = crate::default_doc().to_ron_string().unwrap();
    assert!(!text.contains("upstream") && !text.contains("custom_mode"));
}
