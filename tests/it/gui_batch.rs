//! The batch panel driven headless through egui_kittest: a 1,000-line paste
//! classified on the worker, counts per reason, the unmatched cluster, the
//! "unmatched only" filter, and a cluster turned into a rule that then wins
//! its lines after the automatic re-classification.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::gui_support::{app_on, harness, settle, shown};
use bouncelab::engine::Classifier;
use bouncelab::engine::classify::DecidedBy;
use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const ODD_TEMPLATE: &str = "Flux capacitor overheated on node <n> (ticket <n>) near <host>";

/// Runs frames until the batch is classified with the current rules (bounded, ~30 s).
fn wait_for_batch(h: &mut Harness<'_, BounceLabApp>) {
    let start = Instant::now();
    let done = |h: &Harness<'_, BounceLabApp>| {
        let app = h.state();
        !app.batch.is_busy() && app.batch.is_current(&app.document.compiled.classifier)
    };
    while !done(h) && start.elapsed() < Duration::from_secs(30) {
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(done(h), "the batch finished within 30 s");
    settle(h);
}

/// 900 reference bounces (150 of each) and 100 variants of one odd message.
fn thousand_lines() -> Vec<String> {
    let refs: Vec<String> = crate::table("reference_bounces.tsv").into_iter().map(|r| r[0].clone()).collect();
    let mut k = 0;
    let mut next_ref = || {
        k += 1;
        refs[k % 6].clone()
    };
    (0..1000)
        .map(|i| {
            if i % 10 == 9 {
                format!("Flux capacitor overheated on node {i} (ticket {}) near relay{}.example.net", i * 7, i % 4)
            } else {
                next_ref()
            }
        })
        .collect()
}

#[test]
fn batch_paste_counts_clusters_filter_and_rule_from_cluster() {
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    let lines = thousand_lines();
    h.get_by_label("Responses to classify").click();
    h.run();
    h.event(egui::Event::Paste(lines.join("\n")));
    h.run();
    assert_eq!(h.state().batch.input.lines().count(), 1000, "the paste landed in the box");
    h.get_by_label("Classify").click();
    wait_for_batch(&mut h);

    // Counts per reason, as the engine gives them.
    let c = Classifier::new(&crate::default_doc());
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for l in &lines {
        *want.entry(c.reason(&c.classify(l)).label.clone()).or_default() += 1;
    }
    for row in crate::table("reference_bounces.tsv") {
        assert!(want[&row[2]] >= 150, "{} counted", row[2]);
    }
    for (label, n) in &want {
        assert!(shown(&h, &format!("{label}: {n} lines")), "bar for {label} with {n} lines");
    }
    assert!(shown(&h, "1000 lines"));

    // The odd lines form one cluster of 100.
    let summary = h.state().batch.results().expect("results").summary.clone();
    assert_eq!(summary.unmatched, 100);
    assert_eq!((summary.clusters[0].template.as_str(), summary.clusters[0].count), (ODD_TEMPLATE, 100));
    assert!(shown(&h, ODD_TEMPLATE), "cluster template shown");
    let hits = h.state().document.compiled.batch_hits.clone().expect("hits pushed to the document");
    assert_eq!(hits.iter().sum::<usize>(), 900);

    // Unmatched only.
    h.get_by_label("Unmatched only").click();
    settle(&mut h);
    let app = h.state();
    let r = app.batch.results().unwrap();
    assert_eq!(app.batch.shown_rows().len(), 100);
    assert!(app.batch.shown_rows().iter().all(|&i| r.verdicts[i as usize].decided_by != DecidedBy::Rule));
    assert!(shown(&h, "100 of 1000 lines shown"));

    // Make a rule from the cluster: it goes last and wins the 100 lines after the automatic re-run.
    let before = h.state().document.rules.bounce_rules.len();
    h.get_by_label("Make a rule from cluster 1").click();
    settle(&mut h);
    wait_for_batch(&mut h);
    let app = h.state();
    let rules = &app.document.rules.bounce_rules;
    assert_eq!(rules.len(), before + 1);
    assert_eq!(rules[before].must_match, vec![lines[9].clone()]);
    let r = app.batch.results().unwrap();
    assert_eq!(r.summary.unmatched, 0, "the new rule wins every odd line");
    assert_eq!(r.summary.hits[before], 100);
    assert_eq!(app.document.compiled.batch_hits.as_ref().map(|h| h[before]), Some(100), "Hits column updated");
    assert!(app.batch.shown_rows().is_empty(), "nothing unmatched is left");
    assert!(shown(&h, "Every line is won by a rule."));
}

#[test]
fn batch_reads_a_csv_file_with_ragged_rows_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("log.csv");
    let mut text = String::from("id,when,diagnostic\n");
    for i in 0..50 {
        text.push_str(&format!("{i},2024-01-01,\"550 5.1.1 <u{i}@example.com>: User unknown\"\n"));
    }
    text.push_str("99,ragged\n");
    std::fs::write(&csv, text).unwrap();
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    h.get_by_label("File path").click();
    h.get_by_label("File path").type_text(&csv.display().to_string());
    h.run();
    h.get_by_label("Open file").click();
    wait_for_batch(&mut h);
    assert_eq!(h.state().batch.lines().unwrap().len(), 50);
    assert!(shown(&h, "Problems while reading: 1"), "ragged row counted");
    assert!(shown(&h, "log.csv:52: row too short"), "ragged row listed with its place");
    assert!(shown(&h, "column 3, header row skipped"));

    let out = dir.path().join("out.csv");
    h.get_by_label("Export path").click();
    h.get_by_label("Export path").type_text(&out.display().to_string());
    h.run();
    h.get_by_label("Export CSV").click();
    let start = Instant::now();
    // A bound for a loaded machine, not a timing assertion.
    while !out.exists() && start.elapsed() < Duration::from_secs(60) {
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    let written = std::fs::read_to_string(&out).expect("export written");
    assert_eq!(written.lines().count(), 51);
    assert!(written.contains("User unknown"));
    assert!(shown(&h, "Exported 50 lines"));
}

/// The Batch panel with results (summary, bars, clusters, table, reading
/// report, an open filter menu) in every language: kittest panics on a
/// missing glyph, so rendering is the glyph check.
#[test]
fn batch_panel_renders_in_every_language() {
    use bouncelab::gui::settings::Settings;
    use bouncelab::i18n::{Lang, tr, tr_fmt};

    let mut text: Vec<String> = crate::table("reference_bounces.tsv").into_iter().map(|r| r[0].clone()).collect();
    text.push("Flux capacitor overheated on node 7 (ticket 12) near relay1.example.net".into());
    let text = text.join("\n");
    let classified = text.lines().filter(|l| !l.trim().is_empty()).count();
    for lang in Lang::all() {
        let settings =
            Settings { language: Some(lang.code().to_owned()), panel: Panel::Batch, tester_beside_rules: false, ..Settings::default() };
        let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
        app.typed_dialogs = true;
        let mut h = harness(app);
        settle(&mut h);
        let ctx = h.ctx.clone();
        h.state_mut().batch.load_text(text.clone(), &ctx);
        wait_for_batch(&mut h);
        lang.make_current();
        let code = lang.code();
        for key in ["batch.per_reason", "batch.unmatched_only", "batch.col_decided_by", "batch.export_csv"] {
            assert!(shown(&h, tr(key)), "{code}: {key} shown");
        }
        assert!(shown(&h, &tr_fmt("batch.make_rule_a11y", &[("n", &1)])), "{code}: cluster button");
        assert!(shown(&h, &tr_fmt("batch.lines", &[("n", &classified)])), "{code}: line count");
        assert!(
            shown(&h, &tr_fmt("batch.report_read", &[("n", &classified), ("sources", &tr("batch.report_paste"))])),
            "{code}: reading report"
        );
        // Open a filter menu so its entries render too.
        h.get_by_label(tr("batch.filter_rule")).click();
        settle(&mut h);
        assert!(shown(&h, tr("batch.any_rule")), "{code}: filter menu open");
        if lang != Lang::ENGLISH {
            assert_ne!(tr("batch.per_reason"), "Lines per reason", "{code}: translated");
        }
        if code == "ko" {
            for ko in ["사유별 줄 수", "미일치만", "결정 근거", "CSV 내보내기"] {
                assert!(shown(&h, ko), "ko: {ko} shown");
            }
        }
        Lang::ENGLISH.make_current();
    }
}
