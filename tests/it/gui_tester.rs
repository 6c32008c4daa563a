//! The tester (issue 18, items 2 and 3): a rule made from the selection,
//! previewed on the loaded batch before it is inserted, and the explanation
//! of a verdict (the winning pattern, its alternatives, every span, the
//! decision chain).

use std::time::{Duration, Instant};

use bouncelab::engine::{BounceRule, Classifier, FailureType, Verdict};
use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::i18n::{tr, tr_fmt, tr_n};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::gui_support::{app_on, harness, settle, shown};

/// Runs frames until `done` holds (bounded: 30 s).
fn wait(h: &mut Harness<'_, BounceLabApp>, what: &str, done: impl Fn(&BounceLabApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) && start.elapsed() < Duration::from_secs(30) {
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(done(h.state()), "{what} within 30 s");
    settle(h);
}

fn same(a: &Classifier, va: &Verdict, b: &Classifier, vb: &Verdict) -> bool {
    a.category(va).id == b.category(vb).id && va.failure_type == vb.failure_type && a.reason(va).id == b.reason(vb).id
}

#[test]
fn a_rule_from_the_selection_is_previewed_on_the_batch_then_inserted_and_undone() {
    let mut h = harness(app_on(Panel::Tester));
    // A batch: replies of the same kind for other addresses and codes, and others.
    let batch: Vec<String> = vec![
        "550 5.1.1 <x@example.com>: Recipient address rejected: User unknown in local recipient table".into(),
        "451 4.7.1 <bob@mail.example.net>: parked by the flux warden 12".into(),
        "552 5.2.2 Mailbox full".into(),
        "550 <carol@example.org>: parked by the flux warden 990".into(),
        "421 4.7.0 Try again later, closing connection".into(),
    ];
    let ctx = h.ctx.clone();
    h.state_mut().batch.load_text(batch.join("\n"), &ctx);
    wait(&mut h, "the batch", |a| !a.batch.is_busy() && a.batch.is_current(&a.document.compiled.classifier));
    h.state_mut().settings.panel = Panel::Tester;

    let text = "550 5.7.1 <alice@example.org>: parked by the flux warden 4711";
    h.state_mut().tester.set_text(text.into());
    settle(&mut h);
    // Select "parked by the flux warden 4711": from the end, six words back.
    h.get_by_label(tr("tester.a11y_text")).click();
    h.run();
    h.key_press(Key::End);
    for _ in 0..6 {
        h.key_press_modifiers(Modifiers::CTRL | Modifiers::SHIFT, Key::ArrowLeft);
    }
    h.run();
    h.get_by_label(tr("tester.make_rule")).click();
    settle(&mut h);
    let n = h.state().document.rules.bounce_rules.len();
    let p = h.state().tester.proposal.as_ref().expect("a proposal, nothing inserted yet");
    assert!(p.from_selection, "made from the selection");
    assert!(shown(&h, tr("tester.proposal_from_selection")));
    let (pattern, category, at, kept) = (p.pattern.clone(), p.category.clone(), p.at, p.failure_type());
    assert!(pattern.starts_with("parked"), "the selection, not the whole text: {pattern}");
    assert!(!pattern.contains("4711") && !pattern.contains("alice"), "generalised: {pattern}");
    wait(&mut h, "the preview", |a| a.tester.proposal.as_ref().is_some_and(|p| !p.is_measuring()));

    // What the preview says is what the batch becomes with the rule.
    let before_c = h.state().document.compiled.classifier.clone();
    let mut doc = h.state().document.rules.clone();
    let mut rule = BounceRule::new("x", pattern.clone(), category.clone());
    rule.failure_type = kept;
    doc.bounce_rules.insert(at, rule);
    let after_c = Classifier::new(&doc);
    let before: Vec<Verdict> = batch.iter().map(|t| before_c.classify(t)).collect();
    let after: Vec<Verdict> = batch.iter().map(|t| after_c.classify(t)).collect();
    let matched = batch.iter().filter(|t| after_c.rule_matches(at, t) == Some(true)).count();
    let won = after.iter().filter(|v| v.rule == Some(at)).count();
    let changed: Vec<usize> = (0..batch.len()).filter(|&i| !same(&before_c, &before[i], &after_c, &after[i])).collect();
    assert_eq!(matched, 2, "the two parked lines");
    assert!(!changed.is_empty(), "the 451 line changes type");
    let won_s = tr_n("tester.proposal_won", won, &[]);
    let changed_s = tr_n("tester.proposal_changed", changed.len(), &[]);
    let line = tr_n("tester.proposal_effect", matched, &[("won", &won_s), ("changed", &changed_s)]);
    assert!(shown(&h, &line), "preview line {line:?}");
    for i in &changed {
        assert!(shown(&h, &tr_fmt("tester.proposal_line", &[("n", &(i + 1))])), "changed line {} listed", i + 1);
    }
    assert_eq!(h.state().document.rules.bounce_rules.len(), n, "nothing inserted before Insert");

    h.get_by_label(tr("tester.proposal_insert")).click();
    settle(&mut h);
    let doc = &h.state().document;
    assert_eq!(doc.rules.bounce_rules.len(), n + 1);
    assert_eq!(doc.rules.bounce_rules[at].pattern, pattern);
    assert_eq!(doc.compiled.classifier.classify(text).rule, Some(at), "the new rule wins its example");
    assert!(h.state().tester.proposal.is_none(), "the proposal is done with");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(h.state().document.rules.bounce_rules.len(), n, "undo takes the rule out");
}

/// A text no rule matches is typed by its reply code; its fallback category
/// may have another type (a bare 550 falls to `undefined`, Soft, while the
/// code says Hard). A rule made from it keeps the code's type, so making a
/// rule does not turn a Hard bounce Soft, until another category is chosen.
#[test]
fn a_rule_made_from_a_text_the_code_typed_keeps_the_codes_type() {
    let mut h = harness(app_on(Panel::Tester));
    let text = "550 parked by the flux warden 4711";
    let c = h.state().document.compiled.classifier.clone();
    let v = c.classify(text);
    assert!(v.rule.is_none(), "no rule matches the made-up reply");
    assert_ne!(c.category(&v).failure_type, v.failure_type, "the premise: the code's type is not its category's");
    h.state_mut().tester.set_text(text.into());
    settle(&mut h);
    h.get_by_label(tr("tester.make_rule")).click();
    settle(&mut h);
    let p = h.state().tester.proposal.as_ref().expect("a proposal");
    assert_eq!(p.failure_type(), Some(v.failure_type), "the proposal keeps the code's type");
    let at = p.at;
    assert!(shown(&h, &tr_fmt("tester.proposal_keeps_type", &[("type", &v.failure_type.display_label())])), "and says so");
    let default = h.state().document.rules.default_category.clone();
    assert_eq!(p_category(&h), default, "nothing decided the text: the default category is proposed");
    let warning = tr_fmt("tester.proposal_default_category", &[("id", &default)]);
    assert!(shown(&h, &warning), "and the user is asked to pick one");

    h.get_by_label(tr("tester.proposal_insert")).click();
    settle(&mut h);
    let doc = &h.state().document;
    assert_eq!(doc.rules.bounce_rules[at].failure_type, Some(v.failure_type), "the inserted rule overrides the type");
    let after = doc.compiled.classifier.classify(text);
    assert_eq!((after.rule, after.failure_type), (Some(at), v.failure_type), "the new rule wins and the type stays");

    // Undone, then proposed again with another category chosen: its own type, no override.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    h.state_mut().settings.panel = Panel::Tester;
    h.state_mut().tester.set_text(text.into());
    settle(&mut h);
    h.get_by_label(tr("tester.make_rule")).click();
    settle(&mut h);
    let p = h.state_mut().tester.proposal.as_mut().expect("a proposal");
    assert_eq!(p.failure_type(), Some(v.failure_type), "proposed again after the undo");
    p.category = "mailboxfull".into();
    assert_eq!(p.failure_type(), None, "a chosen category brings its own type");
    settle(&mut h);
    assert!(!shown(&h, &warning), "a category picked: no warning");
}

fn p_category(h: &Harness<'_, BounceLabApp>) -> String {
    h.state().tester.proposal.as_ref().expect("a proposal").category.clone()
}

#[test]
fn without_a_batch_the_preview_says_so_and_cancel_inserts_nothing() {
    let mut h = harness(app_on(Panel::Tester));
    h.state_mut().tester.set_text("550 5.7.1 parked by the flux warden 4711".into());
    settle(&mut h);
    let n = h.state().document.rules.bounce_rules.len();
    h.get_by_label(tr("tester.make_rule")).click();
    settle(&mut h);
    assert!(!h.state().tester.proposal.as_ref().unwrap().from_selection, "nothing selected: the whole text");
    assert!(shown(&h, tr("tester.proposal_no_batch")));
    h.get_by_label(tr("tester.proposal_cancel")).click();
    settle(&mut h);
    assert!(h.state().tester.proposal.is_none());
    assert_eq!(h.state().document.rules.bounce_rules.len(), n);
}

#[test]
fn the_tester_explains_the_pattern_its_alternatives_every_span_and_the_decision_chain() {
    let mut app = app_on(Panel::Tester);
    let rules = &mut app.document.rules;
    let mut r = BounceRule::new("Frozen boxes", r"frozen\s+(box|account)|parked", "mailboxfull");
    r.reason = Some("inactive_user".into());
    r.failure_type = Some(FailureType::Hard);
    rules.bounce_rules.insert(0, r);
    app.document.after_structural_edit();
    let text = "552 frozen account, frozen box";
    app.tester.set_text(text.into());
    let mut h = harness(app);
    settle(&mut h);
    let c = h.state().document.compiled.classifier.clone();
    let label = |id: &str| c.reasons().iter().find(|x| x.id == id).unwrap().display_label().to_owned();
    let full = c.categories().iter().find(|x| x.id == "mailboxfull").unwrap().reason as usize;
    assert!(shown(&h, &tr_fmt("why.rule", &[("n", &1), ("name", &"Frozen boxes")])), "the winning rule");
    assert!(shown(&h, &tr_fmt("why.category", &[("id", &"mailboxfull")])));
    let reason = tr_fmt("why.reason_instead", &[("label", &label("inactive_user")), ("other", &c.reasons()[full].display_label())]);
    assert!(shown(&h, &reason), "the reason the rule overrides: {reason}");
    assert!(shown(&h, &tr_fmt("why.type_rule", &[("type", &FailureType::Hard.display_label())])), "the type the rule sets");
    assert!(shown(&h, &tr_n("why.spans", 2, &[])), "both spans of the pattern");
    assert!(shown(&h, &tr_n("why.alternatives", 2, &[("matched", &1)])), "one of two alternatives matches");
    assert!(h.query_by_label(tr("why.a11y_pattern")).is_some(), "the coloured pattern");

    // Nothing decided: the chain says so.
    h.state_mut().tester.set_text("zzqx".into());
    settle(&mut h);
    assert!(shown(&h, tr("why.default")));
    assert!(h.query_by_label(tr("why.a11y_pattern")).is_none(), "no pattern when no rule decided");
}

/// In a long multilingual pattern the first matching alternative may be rows
/// below the six the box shows: the box scrolls to it whenever it changes.
#[test]
fn the_pattern_box_scrolls_to_the_first_matching_alternative() {
    let mut h = harness(app_on(Panel::Tester));
    h.state_mut().tester.set_text("452 4.2.2 Mailbox full".to_owned());
    settle(&mut h);
    let top = h.get_by_label(tr("why.a11y_pattern")).rect().top();
    h.state_mut().tester.set_text("수신자의 메일함이 가득 찼습니다".to_owned());
    settle(&mut h);
    assert!(shown(&h, "Mailbox full"), "the same rule wins");
    let rows = h.get_by_label(tr("why.a11y_pattern")).rect().top();
    assert!(rows < top - 40.0, "scrolled down to the Korean alternative: pattern top {rows} vs {top}");
    // Back to a text the box showed before: it follows again (it stayed on the Korean rows).
    h.state_mut().tester.set_text("452 4.2.2 Mailbox full".to_owned());
    settle(&mut h);
    let back = h.get_by_label(tr("why.a11y_pattern")).rect().top();
    assert!((back - top).abs() < 2.0, "scrolled back to the English alternative: pattern top {back} vs {top}");
}

/// A whole bounce email about two recipients, pasted: the tester lists both
/// with the verdicts the batch gives them; a click shows the email for one,
/// a picker switches to the other, "Back" puts the pasted email back.
#[test]
fn a_pasted_email_about_two_recipients_shows_each_ones_verdict_and_switches_between_them() {
    use bouncelab::engine::ingest::{RecordSource, email};
    let raw = std::fs::read_to_string(crate::data("../../corpus/emails-dev/lhost-postfix-13.eml")).unwrap();
    let read = email::read(raw.as_bytes(), &RecordSource::default());
    assert_eq!(read.records.len(), 2, "the email is about two recipients");
    let c = Classifier::new(&bouncelab::engine::default_rules());
    let expect: Vec<(String, String)> =
        read.records.iter().map(|r| (r.recipient.clone().unwrap(), c.category(&c.classify_record(r)).id.clone())).collect();
    assert_ne!(expect[0].1, expect[1].1, "the two recipients bounced for different reasons");

    let mut h = harness(app_on(Panel::Tester));
    h.state_mut().tester.set_text(raw.clone());
    settle(&mut h);
    assert!(shown(&h, &tr_n("tester.pasted_banner", 2, &[])), "the banner says two recipients");
    let category = |h: &Harness<'_, BounceLabApp>| {
        let app = h.state();
        let c = &app.document.compiled.classifier;
        let phase = app.tester.email.as_ref().and_then(|v| v.row.recipient().phase);
        c.category(&c.classify_in_phase(&app.tester.text, phase)).id.clone()
    };

    h.get_by_label(&expect[1].0).click();
    settle(&mut h);
    {
        let view = h.state().tester.email.as_ref().expect("the email is shown");
        assert_eq!(view.row.recipients.len(), 2);
        assert_eq!(view.row.recipient().recipient.as_deref(), Some(expect[1].0.as_str()));
        assert_eq!(h.state().tester.text, read.records[1].text, "the text box holds what the rules read for it");
    }
    assert_eq!(category(&h), expect[1].1, "the tester's verdict is the batch's");
    assert!(shown(&h, &tr_fmt("tester.email_pick", &[("n", &2), ("total", &2)])), "the picker says which recipient");

    // The picker: back to the first recipient.
    h.get_by_label(tr("tester.email_a11y_pick")).click();
    settle(&mut h);
    h.get_by_label(&expect[0].0).click();
    settle(&mut h);
    assert_eq!(h.state().tester.text, read.records[0].text);
    assert_eq!(category(&h), expect[0].1);

    h.get_by_label(tr("tester.email_back")).click();
    settle(&mut h);
    assert!(h.state().tester.email.is_none());
    assert_eq!(h.state().tester.text, raw, "the pasted email is back, nothing lost");
    assert!(shown(&h, &tr_n("tester.pasted_banner", 2, &[])));
    assert!(shown(&h, tr("tester.pasted_whole")), "the verdict below is said to be the whole text's");

    // Without a selection, a rule is made from the first recipient's text, not the raw email.
    h.get_by_label(tr("tester.make_rule")).click();
    settle(&mut h);
    let p = h.state().tester.proposal.as_ref().expect("a proposal");
    assert_eq!(p.example, read.records[0].text, "the example is what the rules read for recipient 1");
    assert_eq!(p.category, expect[0].1, "in that recipient's category");
    assert!(!p.pattern.contains("MAILER"), "no header of the email in the pattern: {}", p.pattern);
}

/// A rule that does not compile is skipped: the tester says so, since no
/// verdict it shows can come from that rule.
#[test]
fn the_tester_names_the_rules_skipped_for_not_compiling() {
    let mut app = app_on(Panel::Tester);
    app.document.rules.bounce_rules[2].pattern = "(abc".into();
    app.document.after_structural_edit();
    let mut h = harness(app);
    h.state_mut().tester.set_text("250 2.1.5 Ok".into());
    settle(&mut h);
    assert!(shown(&h, &tr_n("tester.skipped_rules", 1, &[("list", &"#3")])), "rule #3 named as skipped");
}

/// A plain reply, or a text that only mentions headers, gets no email banner.
#[test]
fn a_plain_reply_is_not_read_as_an_email() {
    let mut h = harness(app_on(Panel::Tester));
    h.state_mut().tester.set_text("550 5.1.1 <a@b.example>: Recipient address rejected: User unknown".into());
    settle(&mut h);
    assert!(!shown(&h, &tr_n("tester.pasted_banner", 1, &[])));
    h.state_mut().tester.set_text("Subject: hello\n\nJust a note, not a bounce.".into());
    settle(&mut h);
    assert!(h.state_mut().tester.email.is_none());
    assert!(!shown(&h, "read as the batch reads it"), "a message that is not a bounce gets no banner");
}

/// A text over the live tester's limit, pasted or sent from a batch row, is held with its
/// options in view: never dropped, never leaving the previous text to pass for it.
#[test]
fn a_text_too_large_for_the_tester_is_held_with_its_options_pasted_or_sent() {
    let big: String = "550 5.2.2 mailbox full\n".repeat(15_000);
    assert!(big.len() > bouncelab::gui::tester::MAX_LIVE_BYTES);
    let mut h = harness(app_on(Panel::Tester));
    settle(&mut h);
    h.get_by_label("Response to test").click();
    settle(&mut h);
    assert!(h.get_by_label("Response to test").is_focused(), "the box has the cursor");
    h.event(egui::Event::Paste(big.clone()));
    settle(&mut h);
    let (held, text) = (h.state().tester.held_paste.as_ref().map(String::len), h.state().tester.text.len());
    assert_eq!((held, text < 1000), (Some(big.len()), true), "the paste is held, the box keeps its text");
    assert!(shown(&h, "too large for the live tester"), "and said");
    h.get_by_label("Test the first line").click();
    settle(&mut h);
    assert_eq!(h.state().tester.text, "550 5.2.2 mailbox full");

    // Sent from elsewhere (a batch row): the previous text does not stay as if it were that row.
    h.state_mut().tester.set_text(big.clone());
    settle(&mut h);
    assert!(shown(&h, "too large for the live tester"));
    assert!(h.state().tester.text.is_empty(), "the box does not show the text tested before");
}

/// Ctrl+Z in the tester's box undoes the typing there; it used to undo an earlier rule edit.
#[test]
fn ctrl_z_in_the_tester_box_leaves_the_rule_edits_alone() {
    let mut app = app_on(Panel::BounceRules);
    app.settings.tester_beside_rules = true;
    app.rules_panel.select(0);
    let mut h = harness(app);
    settle(&mut h);
    let before = h.state().document.rules.bounce_rules.len();
    h.get_by_label("Add").click();
    settle(&mut h);
    assert_eq!(h.state().document.rules.bounce_rules.len(), before + 1);
    h.get_by_label("Response to test").click();
    settle(&mut h);
    h.get_by_label("Response to test").type_text(" typed");
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(h.state().document.rules.bounce_rules.len(), before + 1, "the added rule stays");
    // Out of the box, Ctrl+Z is the document's again.
    h.get_all_by_label("Add").next().expect("Add").click();
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(h.state().document.rules.bounce_rules.len(), before + 1, "undo took back the second Add");
}
