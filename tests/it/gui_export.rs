//! File → Export… and the tester's MTA line, driven headless.

use bouncelab::engine::interchange::verify::KumoClassifier;
use bouncelab::gui::Panel;
use bouncelab::gui::export_dialog::ExportKind;
use egui_kittest::kittest::Queryable;

use super::gui_support::{app_on, harness, settle, shown};

#[test]
fn tester_says_what_kumomta_and_powermta_would() {
    let mut app = app_on(Panel::Tester);
    app.tester.set_text("550 5.1.1 <a@b.example>: Recipient address rejected: User unknown".into());
    let mut h = harness(app);
    settle(&mut h);
    assert!(shown(&h, "KumoMTA: InvalidRecipient · PowerMTA: bad-mailbox"));
}

fn wait_export(h: &mut egui_kittest::Harness<'_, bouncelab::gui::app::BounceLabApp>) {
    for _ in 0..200 {
        h.step();
        if !h.state().export.is_busy() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    settle(h);
}

#[test]
fn file_export_writes_every_part_and_shows_the_verification() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bounce.toml");
    let mut h = harness(app_on(Panel::BounceRules));
    settle(&mut h);
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("Export…").click();
    settle(&mut h);
    assert!(h.state().export.open);
    // The typed-path field of the dialog.
    h.state_mut().export.path = path.display().to_string();
    settle(&mut h);
    h.get_by_label("Export and verify").click();
    wait_export(&mut h);
    assert!(shown(&h, "KumoMTA: ") && shown(&h, "0 disagreements"), "no verification shown");
    assert!(shown(&h, "Load these files in this order"));
    let parts: Vec<String> = h.state().export.result.as_ref().unwrap().paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    assert!(parts.len() > 1);
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    assert!(KumoClassifier::from_files(&refs).is_ok());

    // MX rules at a level; an unwritable path is said, nothing written.
    h.state_mut().export.kind = ExportKind::KumoShaping;
    let bad = dir.path().join("no/such/dir/shaping.toml");
    h.state_mut().export.path = bad.display().to_string();
    settle(&mut h);
    h.get_by_label("Export and verify").click();
    wait_export(&mut h);
    assert!(h.state().export.error.as_deref().is_some_and(|e| e.contains("shaping.toml")));
    assert!(!bad.exists());
    let ok = dir.path().join("shaping.toml");
    h.state_mut().export.path = ok.display().to_string();
    settle(&mut h);
    h.get_by_label("Export and verify").click();
    wait_export(&mut h);
    assert!(std::fs::read_to_string(&ok).unwrap().contains("[provider."));
}

#[test]
fn a_second_export_asks_before_replacing_its_files_and_the_name_follows_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved-kumomta.toml");
    let mut h = harness(app_on(Panel::BounceRules));
    settle(&mut h);
    h.state_mut().export.show(None);
    h.state_mut().export.path = path.display().to_string();
    settle(&mut h);
    h.get_by_label("Export and verify").click();
    wait_export(&mut h);
    assert!(h.state().export.result.is_some());
    std::fs::write(&path, "mine").unwrap();

    // Again: nothing is replaced before the user says so.
    h.get_by_label("Export and verify").click();
    wait_export(&mut h);
    assert!(h.state().export.confirm.as_ref().is_some_and(|f| f.contains(&path)), "the existing files are listed");
    assert!(shown(&h, "files exist: export over them?"));
    h.get_by_label("Cancel").click();
    settle(&mut h);
    assert!(h.state().export.confirm.is_none());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    h.get_by_label("Export and verify").click();
    wait_export(&mut h);
    h.get_by_label("Overwrite").click();
    wait_export(&mut h);
    assert_ne!(std::fs::read_to_string(&path).unwrap(), "mine", "overwritten once the user said so");

    // Another format: the typed name follows it, and the KumoMTA outcome goes.
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Format").click();
    settle(&mut h);
    h.get_by_label("PowerMTA bounce categories (bounce rules)").click();
    settle(&mut h);
    assert_eq!(h.state().export.path, dir.path().join("saved-powermta.txt").display().to_string());
    assert!(h.state().export.result.is_none(), "the KumoMTA result is not shown under PowerMTA");
}
