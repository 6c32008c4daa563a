//! The Ramp-up and Quarantine panels driven headless through egui_kittest:
//! values changed through the UI, totals and decisions read back from what is shown.

use std::time::{Duration, Instant};

use crate::gui_support::{app_on, harness, settle, shown};
use bouncelab::engine::mx::ThroughputLevel;
use bouncelab::engine::scenario::{LevelSchedule, Provider, Scenario};
use bouncelab::engine::simulate::{RunKind, Simulation, simulate};
use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::rampup::{fmt_count, fmt_done};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// What the engine gives for the panel's current scenario and rules.
fn expected(h: &Harness<'_, BounceLabApp>) -> Simulation {
    let app = h.state();
    simulate(&app.rampup.scenario, &app.document.rules.mx_rules).expect("the scenario simulates")
}

fn run_of(sim: &Simulation, kind: RunKind) -> &bouncelab::engine::simulate::Run {
    sim.runs.iter().find(|r| r.kind == kind).expect("run present")
}

#[test]
fn rampup_schedule_and_volume_changes_replot_the_totals() {
    let mut h = harness(app_on(Panel::RampUp));
    settle(&mut h);
    assert!(h.state().rampup.is_current(h.state().document.compiled.generation));
    let sim = expected(&h);
    assert_eq!(sim.runs.len(), 6, "a fixed level compares the six levels");
    let slow = run_of(&sim, RunKind::Fixed(ThroughputLevel::Slow));
    assert!(shown(&h, &fmt_done(slow.totals.done_hours)));
    // Slow leaves most of the campaign to expire: its "queue empty" time says so.
    assert!(slow.totals.sums.expired > 1.0);
    assert!(shown(&h, &format!("{}, expiry included", fmt_done(slow.totals.done_hours))));
    assert!(shown(&h, &fmt_count(slow.totals.peak_delivered_per_hour)));
    assert!(!shown(&h, "Schedule:"));

    // Switch to a plan: a Schedule run appears, its totals in the table.
    h.get_by_label("Plan").click();
    settle(&mut h);
    assert!(matches!(h.state().rampup.scenario.schedule, LevelSchedule::Plan(_)));
    let sim = expected(&h);
    assert_eq!(sim.runs.len(), 7);
    let cautious = run_of(&sim, RunKind::Schedule).totals.clone();
    assert!(shown(&h, &fmt_done(cautious.done_hours)), "schedule time shown: {}", fmt_done(cautious.done_hours));
    assert!(shown(&h, "Schedule: days 1-2 Slow, days 3-4 Normal"));

    // Type a faster plan: the Schedule row changes.
    h.get_by_label("Plan levels per day").click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Plan levels per day").type_text("Boost");
    settle(&mut h);
    assert!(matches!(&h.state().rampup.scenario.schedule, LevelSchedule::Plan(p) if p.len() > 1), "not run before it is committed");
    assert!(shown(&h, "Enter: simulate this plan"));
    h.key_press(Key::Enter);
    settle(&mut h);
    assert_eq!(h.state().rampup.scenario.schedule, LevelSchedule::Plan(vec![ThroughputLevel::Boost]));
    let fast = run_of(&expected(&h), RunKind::Schedule).totals.clone();
    assert_ne!(fast.peak_delivered_per_hour, cautious.peak_delivered_per_hour, "a faster plan delivers faster");
    assert!(shown(&h, &fmt_count(fast.peak_delivered_per_hour)));
    assert!(shown(&h, "Schedule: days 1-7 Boost"));

    // Halve the volume: delivered totals follow.
    let before = run_of(&expected(&h), RunKind::Fixed(ThroughputLevel::Normal)).totals.sums.delivered;
    h.get_by_label("Campaign messages").set_value_accesskit(100_000.0);
    settle(&mut h);
    let after = run_of(&expected(&h), RunKind::Fixed(ThroughputLevel::Normal)).totals.sums.delivered;
    assert!(after < before, "{after} < {before}");
    assert!(shown(&h, &fmt_count(after)), "new delivered total {} shown", fmt_count(after));
    let res = h.state().rampup.result().expect("a result");
    assert!(res.sim.as_ref().is_some_and(|s| s.runs == expected(&h).runs), "the shown result is the engine's");
}

#[test]
fn rampup_bad_input_shows_messages_and_never_panics() {
    let mut h = harness(app_on(Panel::RampUp));
    settle(&mut h);
    h.get_by_label("Provider 1 share").set_value_accesskit(90.0);
    settle(&mut h);
    assert!(shown(&h, "the shares sum to 155.00 %"), "share warning shown");
    assert!(h.state().rampup.result().is_some_and(|r| r.sim.is_some()), "a warning still simulates");

    h.get_by_label("Campaign messages").set_value_accesskit(0.0);
    settle(&mut h);
    assert!(shown(&h, "the volume must be a positive number of messages"));
    assert!(shown(&h, "Not simulated: the scenario has 1 error;"));

    h.get_by_label("Provider 2 hard bounce rate").set_value_accesskit(-5.0);
    h.get_by_label("Number of sending IPs").set_value_accesskit(0.0);
    settle(&mut h);
    assert!(shown(&h, "a rate must be between 0 and 100 % (got -5)"));
    assert!(shown(&h, "the number of sending IPs must be between 1 and"));

    h.get_by_label("Plan").click();
    settle(&mut h);
    h.get_by_label("Plan levels per day").click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Plan levels per day").type_text("Slow, Turbo");
    settle(&mut h);
    assert!(shown(&h, "day 2: 'Turbo' is not a level"));

    // Everything deleted: one error, no panic, no plot.
    for _ in 0..5 {
        h.get_by_label("Delete provider 1").click();
        settle(&mut h);
    }
    assert!(h.state().rampup.scenario.providers.is_empty());
    assert!(shown(&h, "add at least one provider"));
}

#[test]
fn rampup_large_scenario_runs_on_a_worker_and_keeps_the_ui_responsive() {
    let mut app = app_on(Panel::RampUp);
    let providers = (0..100).map(|i| Provider::new(&format!("P{i}"), 1.0, &format!("mx{i}.example.net"), 1.0, 1.0, 2.0)).collect();
    app.rampup.set_scenario(Scenario { horizon_days: 30, providers, ..Scenario::default() });
    let mut h = harness(app);
    h.step();
    // The worker may already be done when the frame ends (a second layout pass
    // collects it), so the result, not the timing, says where it ran.
    assert!(h.state().rampup.is_running() || h.state().rampup.result().is_some_and(|r| r.on_worker), "the worker runs or has run");
    let start = Instant::now();
    while h.state().rampup.is_running() && start.elapsed() < Duration::from_secs(60) {
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    let generation = h.state().document.compiled.generation;
    assert!(h.state().rampup.is_current(generation), "the worker's result is shown");
    let sim = expected(&h);
    let shown = h.state().rampup.result().expect("a result");
    assert!(shown.on_worker, "a 30-day, 100-provider scenario goes to the worker");
    let res = shown.sim.clone().expect("simulated");
    assert_eq!(res.runs, sim.runs, "the worker gives what the engine gives");
}

#[test]
fn quarantine_presets_show_the_day_of_quarantine_and_the_release() {
    let mut h = harness(app_on(Panel::Quarantine));
    settle(&mut h);
    h.get_by_label("Mailbox full 3 days in a row").click();
    settle(&mut h);
    assert!(shown(&h, "Quarantined on day 3 (Mailbox full), released on day 33"));
    assert!(shown(&h, "2nd error counted: Mailbox full quarantines on the 3rd error"));
    assert!(shown(&h, "quarantined: 3rd error reached Mailbox full's threshold"));
    assert!(shown(&h, "release planned on day 33 (30 days)"));
    assert!(shown(&h, "released: Mailbox full addresses leave quarantine after 30 days"));
    assert!(shown(&h, "4 to 32"), "the quiet days in quarantine are grouped");
    let app = h.state();
    let rep = bouncelab::gui::quarantine_sim::report(&app.quarantine.rows, 0, &app.document.rules, &app.document.compiled.classifier);
    let day = |d: u32| rep.days.iter().find(|r| r.day == d).expect("day listed");
    assert!(!day(2).quarantined && day(3).quarantined && day(32).quarantined && !day(33).quarantined);

    h.get_by_label("User unknown once").click();
    settle(&mut h);
    assert!(shown(&h, "Quarantined on day 1 (User unknown), no automatic release"));
    assert!(shown(&h, "quarantined: User unknown is a Hard error, quarantined on the 1st error"));

    h.get_by_label("Refused every day").click();
    settle(&mut h);
    assert!(shown(&h, "Never quarantined."));
    assert!(shown(&h, "not counted: Refused never quarantines"));

    // The delivery status flow of one message: soft bounces until the validity runs out.
    assert!(shown(&h, "Taken into account by the service provider"));
    assert!(shown(&h, "would be past the 3.5-day validity"));
    h.get_by_label("Delivered on the 3rd attempt").click();
    settle(&mut h);
    assert!(h.query_all_by_label("Sent").next().is_some());
}

#[test]
fn quarantine_bounce_text_is_classified_by_the_rules() {
    let mut h = harness(app_on(Panel::Quarantine));
    settle(&mut h);
    h.get_by_label("Clear").click();
    settle(&mut h);
    h.get_by_label("Add event").click();
    settle(&mut h);
    h.state_mut().quarantine.rows[0].event = bouncelab::gui::quarantine_sim::RowEvent::Text(String::new());
    settle(&mut h);
    h.get_by_label("Event 1 bounce text").click();
    h.run();
    h.get_by_label("Event 1 bounce text").type_text("550 5.1.1 ... User is unknown {mx003}");
    settle(&mut h);
    assert!(shown(&h, "Hard / User unknown"));
    assert!(shown(&h, "Quarantined on day 1 (User unknown)"));
}

/// The app on `panel` in a window of `size` points, with the bundled fonts.
fn sized(size: egui::Vec2, panel: Panel) -> Harness<'static, BounceLabApp> {
    Harness::builder()
        .with_size(size)
        .with_context_setup(bouncelab::gui::widgets::install_fonts)
        .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app_on(panel))
}

/// Answers the screenshot the app asked for in the last frame with `image`
/// (kittest has no renderer here); false when none was asked for.
fn answer_screenshot(h: &Harness<'_, BounceLabApp>, image: egui::ColorImage) -> bool {
    let image = std::sync::Arc::new(image);
    let mut answered = false;
    for vp in h.output().viewport_output.values() {
        for cmd in &vp.commands {
            if let egui::ViewportCommand::Screenshot(cb) = cmd {
                cb.clone().complete(image.clone());
                answered = true;
            }
        }
    }
    answered
}

/// Steps frames until the export has reported (bounded).
fn wait_for_note(h: &mut Harness<'_, BounceLabApp>) -> (bool, String) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        h.step();
        if let Some(note) = h.state().rampup.file_note.clone() {
            h.step(); // the note is drawn from the next frame on
            return note;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the export never reported");
}

#[test]
fn rampup_plots_export_as_a_png_cropped_to_the_plots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let size = egui::vec2(1400.0, 2200.0);
    let mut h = sized(size, Panel::RampUp);
    settle(&mut h);

    // An unwritable place: a clear message, no file, and the panel keeps working.
    let bad = dir.path().join("missing-folder").join("plots.png");
    h.state_mut().rampup.png_file = bad.display().to_string();
    h.state_mut().rampup.file_note = None;
    h.get_by_label("Export PNG").click();
    h.step(); // the click
    h.step(); // the plots drawn on top are laid out
    h.step(); // then the screenshot is asked for
    let [w, hgt] = [size.x as usize, size.y as usize];
    assert!(answer_screenshot(&h, egui::ColorImage::filled([w, hgt], egui::Color32::WHITE)), "a screenshot was asked for");
    let (err, msg) = wait_for_note(&mut h);
    assert!(err && msg.starts_with("Could not write"), "{msg}");
    assert!(!bad.exists());

    // A real path: the PNG is the plots' part of the screen, at the screen's scale.
    let good = dir.path().join("plots.png");
    h.state_mut().rampup.png_file = good.display().to_string();
    h.state_mut().rampup.file_note = None;
    h.get_by_label("Export PNG").click();
    h.step(); // the click
    h.step(); // the plots drawn on top are laid out
    h.step(); // then the screenshot is asked for
    let mut screen = egui::ColorImage::filled([w, hgt], egui::Color32::WHITE);
    screen.pixels[0] = egui::Color32::RED; // the corner is outside the plots
    assert!(answer_screenshot(&h, screen));
    let (err, msg) = wait_for_note(&mut h);
    assert!(!err, "{msg}");
    assert!(shown(&h, "Exported the plots to"), "the outcome is shown");
    let png = image::open(&good).expect("a readable PNG").to_rgba8();
    let (pw, ph) = png.dimensions();
    assert!(pw > 300 && (pw as usize) < w && ph > 300 && (ph as usize) < hgt, "cropped to the two plots: {pw}x{ph}");
    assert!(png.pixels().all(|p| p.0 == [255, 255, 255, 255]), "the red corner is cropped away");
}

/// Every language renders the ramp-up panel (editor, table, plots, breakdown,
/// a plan with a typed level) without missing glyphs, in its own words.
#[test]
fn rampup_panel_renders_translated_in_every_language() {
    use bouncelab::gui::settings::Settings;
    use bouncelab::i18n::{Lang, tr};
    for lang in Lang::all() {
        let settings = Settings { panel: Panel::RampUp, language: Some(lang.code().to_owned()), ..Settings::default() };
        let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
        app.typed_dialogs = true;
        app.rampup.scenario.schedule = LevelSchedule::Plan(vec![ThroughputLevel::Slow, ThroughputLevel::Fast]);
        let mut h = harness(app);
        settle(&mut h);
        let code = lang.code();
        assert_eq!(Lang::current(), lang);
        for text in [tr("rampup.editor_heading"), tr("rampup.results_heading"), tr("rampup.export_png"), tr("rampup.plot_delivered")] {
            assert!(shown(&h, text), "{code}: ramp-up panel shows {text}");
        }
        // The plan reads back the level names as this language shows them.
        let shown_plan = bouncelab::gui::rampup::plan_to_text(&[ThroughputLevel::VeryFast, ThroughputLevel::Boost]);
        assert_eq!(
            bouncelab::gui::rampup::parse_plan(&shown_plan),
            Ok(vec![ThroughputLevel::VeryFast, ThroughputLevel::Boost]),
            "{code}: {shown_plan}"
        );
        assert_eq!(bouncelab::gui::rampup::parse_plan("Slow, 6"), Ok(vec![ThroughputLevel::Slow, ThroughputLevel::Custom]), "{code}");
        // Without MX rules every provider runs at the built-in limits, named in this language.
        h.state_mut().document.rules.mx_rules.clear();
        h.state_mut().document.after_structural_edit();
        settle(&mut h);
        lang.make_current();
        assert!(shown(&h, tr("rampup.builtin_limits")), "{code}: {}", tr("rampup.builtin_limits"));
        assert!(lang == Lang::ENGLISH || !shown(&h, "(built-in"), "{code}: no English left");
    }
    Lang::ENGLISH.make_current();
}

/// The adaptive scenario in the panel, in every language: the ceiling table
/// names each level's daily volume and binding limit, the reactions are
/// listed, the held hours are shaded and hovering says what bound them.
#[test]
fn rampup_adaptive_views_in_every_language() {
    use bouncelab::engine::Classifier;
    use bouncelab::engine::scenario::classify_feedback;
    use bouncelab::engine::simulate::{Binding, simulate_with};
    use bouncelab::gui::rampup::{binding_text, bound_text};
    use bouncelab::gui::settings::Settings;
    use bouncelab::i18n::{Lang, tr, tr_fmt};
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_rules/adaptive.ron");
    let scenario = Scenario::load(&path).expect("adaptive.ron");
    for lang in Lang::all() {
        let settings =
            Settings { language: Some(lang.code().to_owned()), panel: Panel::RampUp, tester_beside_rules: false, ..Settings::default() };
        let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
        app.typed_dialogs = true;
        app.rampup.set_scenario(scenario.clone());
        let mut h = harness(app);
        settle(&mut h);
        lang.make_current();
        let code = lang.code();
        let (shown_sim, doc) = {
            let app = h.state();
            let sim = app.rampup.result().and_then(|r| r.sim.clone()).expect("simulated");
            (sim, app.document.rules.clone())
        };
        // What the panel shows is the engine's, feedback classified by the document's rules.
        let classes = classify_feedback(&scenario.feedback, &Classifier::new(&doc));
        let sim = simulate_with(&scenario, &doc.mx_rules, &classes).expect("simulates");
        assert_eq!(shown_sim.runs, sim.runs, "{code}");
        assert!(shown(&h, tr("rampup_react.ceilings_heading")), "{code}: ceiling table");
        // Yahoo at Very fast: 5 connections × 20 per slot = 100 per IP, 2 IPs, 288 slots.
        let yahoo_vf = tr_fmt("rampup_react.per_day", &[("n", &fmt_count(57_600.0))]);
        assert!(shown(&h, &yahoo_vf), "{code}: {yahoo_vf}");
        assert!(shown(&h, tr("rampup_react.b_connections_short")), "{code}");
        assert!(shown(&h, "TSS04"), "{code}: the feedback reply is listed");
        assert!(shown(&h, "Yahoo TSS04: suspend"), "{code}: the reaction is listed");
        let schedule = RunKind::Schedule.display_label();
        assert!(shown(&h, &tr_fmt("rampup_react.shade_help", &[("run", &schedule)])), "{code}: shading explained");
        // The hover text of a held hour names the suspension.
        let run = run_of(&sim, RunKind::Schedule);
        let held =
            run.providers.iter().flat_map(|p| p.states.iter().enumerate()).find(|(_, s)| s.binding == Binding::Suspended).map(|(h, _)| h);
        let text = bound_text(run, held.expect("a suspended hour in the schedule run"));
        assert!(text.contains(binding_text(Binding::Suspended)) && text.contains("Yahoo"), "{code}: {text}");
        Lang::ENGLISH.make_current();
    }
}

#[test]
fn rampup_default_asks_before_dropping_edits_and_never_saves_over_the_loaded_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("adaptive.ron");
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_rules/adaptive.ron"), &file).unwrap();
    let original = std::fs::read_to_string(&file).unwrap();
    let mut h = harness(app_on(Panel::RampUp));
    settle(&mut h);
    h.state_mut().rampup.file = file.display().to_string();
    settle(&mut h);
    h.get_by_label("Load").click();
    settle(&mut h);
    assert!(!h.state().rampup.is_dirty());
    h.state_mut().rampup.scenario.name.push_str(" EDITED");
    assert!(h.state().rampup.unsaved().is_some(), "kept for the next session");

    // Default with edits asks; Cancel keeps them.
    h.get_by_label("Default").click();
    settle(&mut h);
    assert!(shown(&h, "unsaved edits"));
    h.get_by_label("Cancel").click();
    settle(&mut h);
    assert!(h.state().rampup.scenario.name.ends_with(" EDITED"));
    // Replace: the built-in scenario, tied to no file, so Save asks for a name.
    h.get_by_label("Default").click();
    settle(&mut h);
    h.get_by_label("Replace").click();
    settle(&mut h);
    assert_eq!(h.state().rampup.scenario, Scenario::default());
    assert!(h.state().rampup.file.is_empty());
    h.get_by_label("Save").click();
    settle(&mut h);
    assert!(h.state().rampup.file_note.as_ref().is_some_and(|(err, _)| *err));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original, "the loaded file is untouched");

    // Saving over a file keeps the old one as .bak.
    h.state_mut().rampup.file = file.display().to_string();
    settle(&mut h);
    h.get_by_label("Save").click();
    settle(&mut h);
    assert_eq!(std::fs::read_to_string(dir.path().join("adaptive.ron.bak")).unwrap(), original);
    assert!(h.state().rampup.unsaved().is_none());
}

/// At 1024 × 700 the plots never fit on screen whole beside the editor: the PNG
/// is still both plots whole (drawn on top for the frame of the screenshot).
#[test]
fn rampup_png_export_is_whole_at_1024_by_700() {
    let dir = tempfile::tempdir().expect("tempdir");
    let size = egui::vec2(1024.0, 700.0);
    let mut h = sized(size, Panel::RampUp);
    settle(&mut h);
    let good = dir.path().join("plots.png");
    h.state_mut().rampup.png_file = good.display().to_string();
    h.get_by_label("Export PNG").scroll_to_me();
    settle(&mut h);
    h.get_by_label("Export PNG").click();
    h.step();
    h.step();
    h.step();
    let screen = egui::ColorImage::filled([1024, 700], egui::Color32::WHITE);
    assert!(answer_screenshot(&h, screen), "a screenshot was asked for");
    // egui's screenshot is of the frame after the one that asks: the plots are still drawn on top there.
    h.step();
    assert_eq!(h.query_all_by_label("Delivered messages per hour").count(), 2, "the copy on top is in the captured frame");
    let (err, msg) = wait_for_note(&mut h);
    assert!(!err, "{msg}");
    let (pw, ph) = image::open(&good).expect("a readable PNG").to_rgba8().dimensions();
    // Both plots with their titles: about 240 + 170 px of plot and three lines of text.
    assert!(ph > 420 && pw > 600, "the plots whole: {pw}x{ph}");
}

/// The shading names the destinations it is about: on the shipped adaptive
/// scenario only Yahoo (8 % of the traffic) is ever suspended.
#[test]
fn held_periods_name_their_destinations() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_rules/adaptive.ron");
    let scenario = Scenario::load(&path).unwrap();
    let rules = bouncelab::engine::default_rules();
    let sim = simulate(&scenario, &rules.mx_rules).unwrap();
    let mut suspended = 0;
    for run in &sim.runs {
        for p in bouncelab::gui::rampup::held_periods(&sim, run.kind) {
            assert!(!p.providers.is_empty() && p.from < p.to);
            if p.state == bouncelab::engine::simulate::LaneState::Suspended {
                suspended += 1;
                assert!(p.providers.iter().any(|n| n == "Yahoo"), "{:?}", p.providers);
            }
        }
    }
    assert!(suspended > 0, "the adaptive scenario suspends Yahoo somewhere");
}

#[test]
fn rampup_csv_export_names_the_whole_path_and_asks_before_replacing_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let size = egui::vec2(1400.0, 2200.0);
    let mut h = sized(size, Panel::RampUp);
    settle(&mut h);
    let file = dir.path().join("series.csv");
    std::fs::write(&file, "keep me").unwrap();
    h.state_mut().rampup.csv_file = file.display().to_string();
    h.get_by_label("Export CSV").click();
    settle(&mut h);
    let ask = format!("{} is already there: overwrite it?", file.display());
    assert!(shown(&h, &ask), "the existing file is named");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me", "nothing written before the answer");
    h.get_by_label("Cancel").click();
    settle(&mut h);
    assert!(!shown(&h, &ask));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me", "Cancel keeps the file");

    h.get_by_label("Export CSV").click();
    settle(&mut h);
    h.get_by_label("Overwrite").click();
    let (err, msg) = wait_for_note(&mut h);
    assert!(!err, "{msg}");
    assert!(std::fs::read_to_string(&file).unwrap().starts_with("level,"), "replaced by the series");

    // A relative name: the message says where it went.
    let rel = "bouncelab-test-series-relative.csv";
    let _ = std::fs::remove_file(rel);
    h.state_mut().rampup.csv_file = rel.to_owned();
    h.state_mut().rampup.file_note = None;
    h.get_by_label("Export CSV").click();
    let (err, msg) = wait_for_note(&mut h);
    let whole = std::path::absolute(rel).unwrap();
    let _ = std::fs::remove_file(rel);
    assert!(!err, "{msg}");
    assert!(msg.contains(&whole.display().to_string()), "{msg}");
}

#[test]
fn rampup_panel_default_reads_no_file_and_names_none() {
    let p = bouncelab::gui::rampup::RampUpPanel::default();
    assert!(p.file.is_empty(), "outside a checkout the scenario field names no file Load cannot find");
    assert_eq!(p.scenario, Scenario::default());
}

#[test]
fn quarantine_retry_factor_below_one_is_said_not_clamped() {
    let mut h = harness(app_on(Panel::Quarantine));
    settle(&mut h);
    h.state_mut().quarantine.retry.backoff = 0.5;
    settle(&mut h);
    assert!(shown(&h, "the backoff factor must be 1 to 100 (got 0.5)"));
    assert_eq!(h.state().quarantine.retry.backoff, 0.5, "the typed value is kept to be fixed");
    h.state_mut().quarantine.retry.backoff = 2.0;
    settle(&mut h);
    assert!(!shown(&h, "the backoff factor must be"));
    assert!(shown(&h, "Taken into account by the service provider"));
}
