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
    assert!(shown(&h, "Not simulated: the scenario has 1 error(s)"));

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
    assert!(h.state().rampup.is_running(), "a 30-day, 100-provider scenario goes to the worker");
    let start = Instant::now();
    while h.state().rampup.is_running() && start.elapsed() < Duration::from_secs(60) {
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    let generation = h.state().document.compiled.generation;
    assert!(h.state().rampup.is_current(generation), "the worker's result is shown");
    let sim = expected(&h);
    let res = h.state().rampup.result().and_then(|r| r.sim.clone()).expect("simulated");
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
