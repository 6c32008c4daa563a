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
fn shown_contains(h: &Harness<'_, BounceLabApp>, part: &str) -> bool {
    h.query_all_by_label_contains(part).next().is_some()
}

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

    // Make a rule from the cluster: proposed in the tester, previewed on the batch, nothing
    // inserted until Insert rule; it goes last and wins the 100 lines after the automatic re-run.
    let before = h.state().document.rules.bounce_rules.len();
    h.get_by_label("Make a rule from cluster 1").click();
    settle(&mut h);
    assert_eq!(h.state().settings.panel, Panel::Tester, "the proposal is shown in the tester");
    assert_eq!(h.state().document.rules.bounce_rules.len(), before, "nothing inserted yet");
    let p = h.state().tester.proposal.as_ref().expect("a proposal");
    assert_eq!((p.example.as_str(), p.at), (lines[9].as_str(), before), "the cluster's first line, at the end");
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().tester.proposal.as_ref().is_some_and(|p| p.is_measuring()) || !shown_contains(&h, "Matches 100 lines of the batch") {
        assert!(Instant::now() < deadline, "the preview measured the batch");
        settle(&mut h);
    }
    h.get_by_label(bouncelab::i18n::tr("tester.proposal_insert")).click();
    settle(&mut h);
    h.state_mut().settings.panel = Panel::Batch;
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
    assert!(shown_contains(&h, "Read 50 responses"), "the reading report stays above");
}

/// The Batch panel with results (summary, bars, clusters, table, reading
/// report, an open filter menu) in every language: kittest panics on a
/// missing glyph, so rendering is the glyph check.
#[test]
fn batch_panel_renders_in_every_language() {
    use bouncelab::gui::settings::Settings;
    use bouncelab::i18n::{Lang, tr, tr_fmt, tr_n};

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
        assert!(shown(&h, &tr_n("batch.report_read", classified, &[("sources", &tr("batch.report_paste"))])), "{code}: reading report");
        // A sortable title with its sort mark fits its column (the button is cut to "줄 (오름…" otherwise).
        let line = format!("{}{}", tr("batch.col_line"), tr("batch.sort_asc"));
        let font = egui::TextStyle::Button.resolve(&h.ctx.global_style());
        let natural = h.ctx.fonts_mut(|f| f.layout_no_wrap(line.clone(), font, egui::Color32::WHITE).size().x);
        let drawn = h.get_by_label(&line).rect().width();
        assert!(drawn >= natural, "{code}: '{line}' drawn {drawn} px wide, needs {natural}");
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

/// Opens a path through the typed field, as a user without a file dialog does.
fn open_typed(h: &mut Harness<'_, BounceLabApp>, path: &std::path::Path) {
    h.get_by_label("File path").click();
    h.get_by_label("File path").type_text(&path.display().to_string());
    h.run();
    h.get_by_label("Open file").click();
    wait_for_batch(h);
}

/// A folder of dev bounce emails: one row per recipient (as the engine reads
/// them), Recipient / Phase / MTA columns, and a row that opens its whole
/// email in the tester with the recipient's part highlighted.
#[test]
fn batch_opens_an_eml_folder_and_a_row_shows_its_email_in_the_tester() {
    use bouncelab::engine::ingest::{RecordSource, email};

    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/emails-dev");
    let dir = tempfile::tempdir().unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(&corpus).unwrap().filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut want = 0;
    for n in names.iter().filter(|n| n.ends_with(".eml")).take(12) {
        let raw = std::fs::read(corpus.join(n)).unwrap();
        want += email::read(&raw, &RecordSource::default()).records.len();
        std::fs::write(dir.path().join(n), raw).unwrap();
    }
    // Not an email at all: listed as a problem, the batch goes on.
    std::fs::write(dir.path().join("zz-notes.eml"), "just some words\n").unwrap();
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    open_typed(&mut h, dir.path());
    let rows = h.state().batch.lines().expect("rows");
    assert!(want >= 12, "the emails give at least one recipient each");
    assert_eq!(rows.len(), want, "one row per recipient");
    assert!(shown(&h, "zz-notes.eml: not an email"), "the non-email is a listed problem");
    for col in ["Recipient", "Phase", "MTA", "Reason", "Decided by"] {
        assert!(shown(&h, col), "column {col}");
    }
    // The File column (the menu has a "File" too): a row names its file.
    assert!(h.query_all_by_label(&names[0]).next().is_some(), "a row names its file: {}", names[0]);
    assert!(!shown(&h, "Log class"), "no MTA class without logs");

    // A row with a recipient whose part the reader found.
    let (i, recipient, part) = (0..rows.len())
        .find_map(|i| {
            let d = rows.detail(i)?;
            let (e, part) = d.email.clone()?;
            let part = part?;
            rows.emails[e as usize].as_ref()?;
            Some((i, d.record.recipient.clone()?, part))
        })
        .expect("a recipient with its part");
    let email_text = {
        let d = rows.detail(i).unwrap();
        rows.emails[d.email.as_ref().unwrap().0 as usize].as_ref().unwrap().text.clone()
    };
    let rule_text = rows.text(i).to_owned();
    let email_of = |j: usize| rows.detail(j).and_then(|d| d.email.as_ref()).map(|e| e.0);
    let same_email = (0..rows.len()).filter(|&j| email_of(j) == email_of(i)).count();
    h.query_all_by_label(&recipient).next().expect("recipient cell shown").click();
    settle(&mut h);
    let app = h.state();
    assert_eq!(app.settings.panel, Panel::Tester, "the click opened the tester");
    let view = app.tester.email.as_ref().expect("the email is shown");
    assert_eq!(view.row.recipient().recipient.as_deref(), Some(recipient.as_str()));
    assert_eq!(view.row.recipients.len(), same_email, "the view has every recipient of the email");
    assert_eq!(view.highlighted().map(|s| s.start..s.end), Some(part.clone()), "the recipient's part is highlighted");
    assert_eq!(app.tester.text, rule_text, "the text box holds what the rules read");
    assert!(shown(&h, "Email: "), "email header");
    let first_line = email_text.lines().find(|l| l.trim().len() > 8).unwrap().trim().to_owned();
    assert!(shown(&h, &first_line), "the whole email is shown: {first_line}");
    h.get_by_label("Close email").click();
    settle(&mut h);
    assert!(h.state().tester.email.is_none());
}

/// An MTA log: the Log class column and the confusion table, whose counts are
/// the engine's (MTA class against the rules' class for that MTA).
#[test]
fn batch_reads_a_kumomta_log_with_the_confusion_table() {
    use bouncelab::engine::ingest::logs::{self, LogFormat, LogLine};

    let path = crate::data("logs/kumomta.jsonl");
    let doc = crate::default_doc();
    let c = Classifier::new(&doc);
    let (mut agree, mut total) = (0, 0);
    let reader = Box::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    logs::read_log(LogFormat::KumoMta, reader, None, |_, line| {
        if let LogLine::Records(rs) = line {
            for r in rs.iter().filter(|r| r.log_class.is_some()) {
                let v = c.classify_record(r);
                total += 1;
                agree += usize::from(doc.categories[v.category as usize].kumomta.eq_ignore_ascii_case(r.log_class.as_deref().unwrap()));
            }
        }
    })
    .unwrap();
    assert!(total > 0 && agree < total, "the fixture has classes and a disagreement");
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    open_typed(&mut h, &path);
    assert!(shown(&h, "Log class"));
    assert!(shown(&h, "MTA's class vs the rules' class"));
    let pct = format!("{:.1}", 100.0 * agree as f64 / total as f64);
    assert!(shown(&h, &format!("They agree on {agree} of {total} records ({pct} %)")), "agreement {agree}/{total}");
    assert!(shown(&h, "kumomta.jsonl: kumomta log"), "reading report names the log");
}

/// The mailbox dialog refuses bad fields before connecting, then a server
/// that refuses the connection is a listed problem, not a stopped app; the
/// password is forgotten once the reading starts.
#[test]
fn mailbox_dialog_validates_and_reports_a_refused_connection() {
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    h.get_by_label("Open mailbox…").click();
    settle(&mut h);
    h.get_by_label("Read").click();
    settle(&mut h);
    assert!(shown(&h, "Type the server"));
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Server").click();
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Server").type_text("mail.example.com");
    h.get_by_label("Read").click();
    settle(&mut h);
    assert!(shown(&h, "not a mailbox URL"), "no scheme");
    h.state_mut().batch.mailbox.server = "imaps://bounces@mail.example.com".into();
    h.get_by_label("Read").click();
    settle(&mut h);
    assert!(shown(&h, "the user and the mailbox have their own fields"));
    // A loopback port where nothing listens: refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    h.state_mut().batch.mailbox.server = format!("imap://127.0.0.1:{port}");
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "User").click();
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "User").type_text("bounces");
    settle(&mut h);
    h.get_by_label("Read").click();
    settle(&mut h);
    assert!(shown(&h, "Type the password"), "{:?} {:?}", h.state().batch.mailbox.error, h.state().batch.mailbox);
    h.get_by_role_and_label(egui::accesskit::Role::PasswordInput, "Password").click();
    h.get_by_role_and_label(egui::accesskit::Role::PasswordInput, "Password").type_text("s3cret");
    settle(&mut h);
    h.get_by_label("Read").click();
    h.run_ok();
    let start = Instant::now();
    while h.state().batch.is_busy() && start.elapsed() < Duration::from_secs(60) {
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    assert!(!h.state().batch.is_busy());
    // The dialog waited for the answer and says it where the fields can be fixed.
    assert!(h.state().batch.mailbox.open && !h.state().batch.mailbox.connecting, "the dialog stays open");
    assert!(shown_contains(&h, &format!("cannot connect to 127.0.0.1:{port}")), "the refusal is said in the dialog");
    assert_eq!(h.state().batch.mailbox.password, "s3cret", "kept for the next try while the dialog is open");
    assert!(h.state().batch.lines().is_none(), "no empty batch in place of none");
    h.get_by_label("Cancel").click();
    settle(&mut h);
    assert!(!h.state().batch.mailbox.open);
    assert!(h.state().batch.mailbox.password.is_empty(), "forgotten when the dialog closes");
}

/// Batch → Open mailbox… against a real Dovecot (IMAP, read-only): the rows
/// are those of the same emails read as files, and the mailbox is unchanged
/// (same messages, none marked `\Seen`). "Remember" keeps the password in memory.
#[test]
fn mailbox_dialog_reads_a_real_dovecot_without_changing_it() {
    use crate::dovecot::{Dovecot, PASSWORD, USER};
    use bouncelab::engine::ingest::{RecordSource, email};

    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/emails-dev");
    let mut names: Vec<String> =
        std::fs::read_dir(&corpus).unwrap().filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let msgs: Vec<Vec<u8>> =
        names.iter().filter(|n| n.ends_with(".eml")).skip(20).take(8).map(|n| std::fs::read(corpus.join(n)).unwrap()).collect();
    let mut want: Vec<String> = msgs
        .iter()
        .flat_map(|m| email::read(m, &RecordSource::default()).records)
        .map(|r| format!("{:?} {}", r.recipient, r.text))
        .collect();
    want.sort();
    let want_problems: usize = msgs.iter().map(|m| email::read(m, &RecordSource::default()).problems.len()).sum();
    let d = Dovecot::start(&msgs);
    let before = d.snapshot();

    let mut h = harness(app_on(Panel::Batch));
    h.run();
    h.get_by_label("Open mailbox…").click();
    settle(&mut h);
    {
        let m = &mut h.state_mut().batch.mailbox;
        m.server = format!("imap://127.0.0.1:{}", d.imap);
        m.user = USER.into();
        m.password = PASSWORD.into();
    }
    h.get_by_label("Remember the password for this session").click();
    settle(&mut h);
    // A wrong password first: the dialog stays open with the server's refusal, the mailbox unread.
    h.state_mut().batch.mailbox.password = "not-the-password".into();
    h.get_by_label("Read").click();
    h.run_ok();
    let start = Instant::now();
    while h.state().batch.mailbox.connecting {
        assert!(start.elapsed() < Duration::from_secs(60), "the login was refused within 60 s\n{}", d.log());
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    assert!(h.state().batch.mailbox.open, "still open after the refusal");
    assert!(shown_contains(&h, "the server refused the login"), "{:?}", h.state().batch.mailbox.error);
    h.state_mut().batch.mailbox.password = PASSWORD.into();
    h.get_by_label("Read").click();
    h.run_ok();
    let start = Instant::now();
    while h.state().batch.is_busy() || h.state().batch.results().is_none() {
        assert!(start.elapsed() < Duration::from_secs(90), "the mailbox was read within 90 s\n{}", d.log());
        h.run_ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    let rows = h.state().batch.lines().unwrap();
    let mut got: Vec<String> = (0..rows.len())
        .map(|i| {
            let r = &rows.detail(i).expect("every row has its record").record;
            format!("{:?} {}", r.recipient, r.text)
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "the mailbox gives the rows of the same emails as files\n{}", d.log());
    assert_eq!(rows.report.problem_count, want_problems, "the same problems as the files: {:?}", rows.report.problems);
    assert!(shown(&h, &format!("imap://{USER}@127.0.0.1:{}/INBOX", d.imap)), "the source names the mailbox");
    assert!(!h.state().batch.mailbox.open, "the dialog closed once the server listed the mailbox");
    assert_eq!(h.state().batch.mailbox.password, PASSWORD, "remembered for the session");
    assert_eq!(d.snapshot(), before, "the mailbox is unchanged (no \\Seen, nothing moved)");

    // Cancelled before the first message: nothing fetched, said so, the mailbox untouched.
    let request = h.state().batch.mailbox.request().expect("the remembered fields still make a request");
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let rows = bouncelab::gui::batch::mailbox::fetch_rows(request, &Default::default(), &cancel);
    assert!(rows.is_empty() && rows.report.fetch_cancelled, "{:?}", rows.report);
    assert_eq!(d.snapshot(), before);
}

/// A dropped path, as the windowing integration hands it to egui.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Dropped on the Batch panel, a Maildir folder and an mbox file of the same
/// emails give the same recipients (read by content, like `classify`).
#[test]
fn dropped_maildir_and_mbox_give_the_same_recipients() {
    use bouncelab::engine::ingest::{RecordSource, email};

    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/emails-dev");
    let mut names: Vec<String> =
        std::fs::read_dir(&corpus).unwrap().filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let msgs: Vec<Vec<u8>> =
        names.iter().filter(|n| n.ends_with(".eml")).skip(40).take(6).map(|n| std::fs::read(corpus.join(n)).unwrap()).collect();
    let mut want: Vec<Option<String>> =
        msgs.iter().flat_map(|m| email::read(m, &RecordSource::default()).records).map(|r| r.recipient).collect();
    want.sort();
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Errors");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let mut mbox = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        std::fs::write(maildir.join(format!("cur/{i}.bouncelab:2,")), m).unwrap();
        // Some dev emails keep their envelope From_ line: it is the separator then.
        let body = if m.starts_with(b"From ") { &m[m.iter().position(|&b| b == b'\n').map_or(m.len(), |p| p + 1)..] } else { &m[..] };
        mbox.extend_from_slice(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n");
        for line in body.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(b"From ") {
                mbox.push(b'>');
            }
            mbox.extend_from_slice(line);
        }
        if !mbox.ends_with(b"\n") {
            mbox.push(b'\n');
        }
        mbox.push(b'\n');
    }
    let mbox_path = dir.path().join("bounces");
    std::fs::write(&mbox_path, mbox).unwrap();

    let mut h = harness(app_on(Panel::Batch));
    h.run();
    for p in [maildir.clone(), mbox_path.clone()] {
        h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(p)));
    }
    h.run_ok();
    wait_for_batch(&mut h);
    let rows = h.state().batch.lines().expect("rows");
    // Rows by the file their record was read from.
    let recipients_from = |keep: &dyn Fn(&std::path::Path) -> bool| {
        let mut v: Vec<Option<String>> = (0..rows.len())
            .filter_map(|i| rows.detail(i))
            .filter(|d| d.record.source.file.as_deref().is_some_and(keep))
            .map(|d| d.record.recipient.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(recipients_from(&|f| f == mbox_path), want, "mbox");
    assert_eq!(recipients_from(&|f| f.starts_with(&maildir)), want, "Maildir");
    assert_eq!(rows.len(), 2 * want.len());
}

/// A new batch starts unfiltered: "Unmatched only" kept from the last one showed
/// "0 of 2 lines shown" over an empty table, as if nothing had been read. Its
/// reading report counts in the singular where there is one.
#[test]
fn a_new_batch_starts_unfiltered_and_counts_one_in_the_singular() {
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    let ctx = h.ctx.clone();
    h.state_mut().batch.load_text("550 5.1.1 User unknown\nFlux capacitor overheated".to_owned(), &ctx);
    wait_for_batch(&mut h);
    h.get_by_label("Unmatched only").click();
    settle(&mut h);
    assert_eq!(h.state().batch.shown_rows().len(), 1);
    h.state_mut().batch.load_text("550 5.1.1 User unknown".to_owned(), &ctx);
    wait_for_batch(&mut h);
    assert!(!h.state().batch.filter.unmatched_only, "the filter was cleared");
    assert_eq!(h.state().batch.shown_rows().len(), 1, "the one line is shown");
    assert!(shown(&h, "Read 1 response from paste"), "singular report");
}

/// What an email decides itself (a success report) is no unmatched line: no rule
/// can change it, so it is neither counted, clustered nor listed as unmatched,
/// and the tester says the email decides it. The summary's "To:" of the original
/// message an Exchange bounce quotes is no recipient of its own.
#[test]
fn what_the_email_decides_is_not_unmatched_and_the_tester_says_so() {
    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/emails-dev");
    let dir = tempfile::tempdir().unwrap();
    for n in ["lhost-amazonses-12.eml", "lhost-exchange2003-03.eml"] {
        std::fs::copy(corpus.join(n), dir.path().join(n)).unwrap();
    }
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    open_typed(&mut h, dir.path());
    let rows = h.state().batch.lines().expect("rows");
    let recipients: Vec<_> = (0..rows.len()).filter_map(|i| rows.detail(i)?.record.recipient.clone()).collect();
    assert_eq!(recipients, ["success@simulator.amazonses.com", "kijitora@example.jp"], "one recipient each, not the quoted To");
    let r = h.state().batch.results().expect("classified");
    assert_eq!(r.verdicts[0].decided_by, DecidedBy::Input, "the success report decides");
    assert_eq!(r.summary.unmatched, 0, "neither line is unmatched: {:?}", r.summary.unmatched);
    assert_eq!(r.summary.templates, 0, "nothing to cluster");
    h.get_by_label("Unmatched only").click();
    settle(&mut h);
    assert!(h.state().batch.shown_rows().is_empty(), "no unmatched row");
    h.get_by_label("Unmatched only").click();
    settle(&mut h);

    h.query_all_by_label("success@simulator.amazonses.com").next().expect("recipient cell").click();
    settle(&mut h);
    assert_eq!(h.state().settings.panel, Panel::Tester);
    assert!(shown(&h, &bouncelab::i18n::tr_fmt("tester.own_category", &[("id", &"delivered")])), "the tester says the email decides");
}

/// A mistyped path reads nothing: the batch loaded before stays, and the message says why.
#[test]
fn a_path_that_reads_nothing_keeps_the_batch_already_loaded() {
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    h.get_by_label("Responses to classify").click();
    h.run();
    h.event(egui::Event::Paste(thousand_lines().join("\n")));
    h.run();
    h.get_by_label("Classify").click();
    wait_for_batch(&mut h);
    assert_eq!(h.state().batch.lines().map(|l| l.len()), Some(1000));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file.txt");
    let ctx = h.ctx.clone();
    h.state_mut().batch.open_paths(vec![missing.clone()], &ctx);
    wait_for_batch(&mut h);
    assert_eq!(h.state().batch.lines().map(|l| l.len()), Some(1000), "the 1,000 rows stay");
    assert!(shown_contains(&h, "Nothing was read"), "and the message says so");
    assert!(shown_contains(&h, "no-such-file.txt"), "naming the file");
}

/// A maillog whose first 60 lines are other daemons' is not detected as a Postfix log
/// (it reads as one reply a line); the Format menu forces the log reader, which keeps
/// only the Postfix bounce records, as `--input postfix` does.
#[test]
fn the_format_menu_forces_an_mta_log_reader() {
    let fixture = std::fs::read_to_string(crate::data("logs/postfix.maillog")).unwrap();
    let mut text = String::new();
    for i in 0..60 {
        text.push_str(&format!("Mar  1 09:59:{:02} mx1 dovecot: imap-login: Login: user=<u{i}>, method=PLAIN, rip=192.0.2.{i}\n", i % 60));
    }
    text.push_str(&fixture);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maillog");
    std::fs::write(&path, &text).unwrap();
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    open_typed(&mut h, &path);
    let as_lines = h.state().batch.lines().map(|l| l.len()).unwrap();
    assert_eq!(as_lines, text.lines().count(), "detected as one reply a line");

    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Format").click();
    h.run();
    h.get_by_label("Postfix maillog").click();
    wait_for_batch(&mut h);
    let rows = h.state().batch.lines().expect("re-read as a log");
    let expected = crate::table("logs/postfix.maillog.expected.tsv").iter().filter(|r| r[1] == "record").count();
    assert!(expected > 0);
    assert_eq!(rows.len(), expected, "only the bounce records of the fixture");
    assert!(shown_contains(&h, "maillog: postfix log"), "the reading report names the log");
}

/// The reading report is worded when drawn: read in English, it reads in Korean once
/// the interface language changes (it stayed English, stored as a string).
#[test]
fn the_reading_report_follows_a_change_of_language() {
    use bouncelab::i18n::{Lang, tr, tr_n};

    let text: Vec<String> = crate::table("reference_bounces.tsv").into_iter().map(|r| r[0].clone()).collect();
    let n = text.len();
    let mut h = harness(app_on(Panel::Batch));
    h.run();
    let ctx = h.ctx.clone();
    h.state_mut().batch.load_text(text.join("\n"), &ctx);
    wait_for_batch(&mut h);
    let english = tr_n("batch.report_read", n, &[("sources", &tr("batch.report_paste"))]);
    assert!(shown(&h, &english), "English report");
    // As View → Language does it.
    h.state_mut().lang = Lang::from_code("ko").unwrap();
    settle(&mut h);
    let korean = tr_n("batch.report_read", n, &[("sources", &tr("batch.report_paste"))]);
    h.state_mut().lang = Lang::ENGLISH;
    Lang::ENGLISH.make_current();
    assert_ne!(korean, english);
    assert!(h.query_by_label(&korean).is_some(), "Korean report after the switch");
    assert!(h.query_by_label(&english).is_none(), "the English one is gone");
}
