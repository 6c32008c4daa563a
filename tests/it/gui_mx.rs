//! The MX rules and DNS lookup panels driven headless through egui_kittest;
//! DNS answers come from the in-process hickory-server of `dns.rs`.

use std::time::{Duration, Instant};

use crate::gui_support::{harness, settle, shown};
use bouncelab::engine::mx::{self, MxRule, ThroughputLevel};
use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::mx_rules::limits_text;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn app_on(panel: Panel, nameserver: String) -> BounceLabApp {
    let mut app = crate::gui_support::app_on(panel);
    app.settings.nameserver = nameserver;
    app
}

fn type_into(h: &mut Harness<'_, BounceLabApp>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(label).type_text(text);
    h.run();
}

#[test]
fn mx_table_add_edit_limit_and_undo() {
    let mut h = harness(app_on(Panel::MxRules, String::new()));
    h.run();
    let before = h.state().document.rules.mx_rules.clone();
    h.get_by_label("Select MX rule 12").click();
    h.run();
    assert_eq!(h.state().mx_rules.selected, Some(11));
    h.get_by_label("Add").click();
    settle(&mut h);
    let rules = &h.state().document.rules.mx_rules;
    assert_eq!(rules.len(), before.len() + 1);
    assert_eq!(rules[12].mask, "*.example.com", "inserted after the selection");
    assert!(mx::validate(rules).iter().all(|p| p.rule != 12), "a new rule validates");
    let old = rules[12].levels[ThroughputLevel::Normal.index()].max_connections;

    h.get_by_label("Max connections at Normal").set_value_accesskit(42.0);
    h.run();
    assert_eq!(h.state().document.rules.mx_rules[12].levels[1].max_connections, 42);
    // Normal above Fast now: the level-order warning shows in the table and the detail.
    assert!(shown(&h, "level Fast has lower limits than the slower level Normal"));

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    let rules = &h.state().document.rules.mx_rules;
    assert_eq!(rules.len(), before.len() + 1, "first undo only reverts the limit");
    assert_eq!(rules[12].levels[1].max_connections, old);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(h.state().document.rules.mx_rules, before, "second undo removes the added rule");
}

#[test]
fn mx_table_shows_validation_errors() {
    let mut app = app_on(Panel::MxRules, String::new());
    app.document.rules.mx_rules[0].mask = "**".into();
    app.document.after_structural_edit();
    let mut h = harness(app);
    h.run();
    assert!(shown(&h, "'**' is the same as '*'"));
    assert!(shown(&h, "1 errors"));
}

#[test]
fn host_tester_names_the_first_matching_rule_and_the_shadowed_ones() {
    let mut h = harness(app_on(Panel::MxRules, String::new()));
    h.run();
    let rules = h.state().document.rules.mx_rules.clone();
    for host in ["mx1.free.fr", "x.mail.protection.outlook.com"] {
        type_into(&mut h, "Host name to test", host);
        let m = mx::find_rule(&rules, host, None);
        let w = m.rule.expect("the defaults end with a catch-all");
        assert_eq!(rules[w].mask, if host.ends_with("free.fr") { "mx?.free.fr" } else { "*.mail.protection.outlook.com" });
        assert!(shown(&h, &format!("rule #{} {}", w + 1, rules[w].mask)), "winner shown for {host}");
        let lim = limits_text(rules[w].limits(ThroughputLevel::Normal), rules[w].shared);
        assert!(shown(&h, &lim), "limits at Normal shown for {host}");
        let last = rules.len();
        assert!(shown(&h, &format!("rule #{last} *, shadowed by rule #{}", w + 1)), "catch-all listed as shadowed for {host}");
    }
}

/// Runs frames until the DNS worker has answered (bounded, ~10 s).
fn wait_for_lookup(h: &mut Harness<'_, BounceLabApp>) {
    let start = Instant::now();
    // run_ok, not run: the spinner asks for repaints until the answer comes.
    while (h.state().dns.is_running() || h.state().dns.result.is_none()) && start.elapsed() < Duration::from_secs(10) {
        h.run_ok();
        std::thread::sleep(Duration::from_millis(30));
    }
    assert!(h.state().dns.result.is_some(), "the lookup answered within 10 s");
    settle(h);
}

#[test]
fn dns_panel_lists_mx_hosts_with_their_rule_and_nxdomain() {
    let ns = crate::dns::server();
    let mut app = app_on(Panel::DnsLookup, ns.to_string());
    let lim = mx::Limits { max_connections: 7, max_msgs_per_connection: 8, msgs_per_hour: 900 };
    app.document.rules.mx_rules.insert(0, MxRule::new("mx?.multi.bouncelab.test", lim));
    app.document.after_structural_edit();
    let catch_all = app.document.rules.mx_rules.len();
    let mut h = harness(app);
    h.run();

    type_into(&mut h, "Domain or recipient address", "someone@multi.bouncelab.test");
    h.key_press(Key::Enter);
    wait_for_lookup(&mut h);
    for host in ["mx0.multi.bouncelab.test", "mx1.multi.bouncelab.test", "mx2.multi.bouncelab.test", "ghost.multi.bouncelab.test"] {
        assert!(shown(&h, host), "{host} listed");
    }
    assert!(shown(&h, "192.0.2.1"));
    assert!(shown(&h, "2001:db8::1"));
    assert_eq!(h.query_all_by_label("#1 mx?.multi.bouncelab.test").count(), 3, "mx0, mx1, mx2 get the first rule");
    assert!(shown(&h, &format!("#{catch_all} *")), "ghost falls to the catch-all");
    assert!(shown(&h, &limits_text(lim, false)));

    // Clicking a host's rule shows it in the MX rules panel.
    h.query_all_by_label("#1 mx?.multi.bouncelab.test").next().unwrap().click();
    h.run();
    assert_eq!(h.state().settings.panel, Panel::MxRules);
    assert_eq!(h.state().mx_rules.selected, Some(0));

    h.state_mut().settings.panel = Panel::DnsLookup;
    h.run();
    type_into(&mut h, "Domain or recipient address", "missing.bouncelab.test");
    h.get_by_label("Look up").click();
    wait_for_lookup(&mut h);
    assert!(shown(&h, "The domain does not exist (NXDOMAIN)"));
    assert!(shown(&h, "missing.bouncelab.test does not exist"));
}

#[test]
fn dns_panel_rejects_a_bad_nameserver_and_a_bad_name_without_a_lookup() {
    let mut h = harness(app_on(Panel::DnsLookup, "not an address".into()));
    h.run();
    assert!(shown(&h, "is not IP:PORT"));
    h.state_mut().settings.nameserver = crate::dns::server().to_string();
    h.run();
    type_into(&mut h, "Domain or recipient address", "has space.example");
    h.get_by_label("Look up").click();
    wait_for_lookup(&mut h);
    assert!(shown(&h, "Invalid domain name"));
}
