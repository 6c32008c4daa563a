//! Message catalogues: complete, consistent, and every language renders the
//! main panels without missing glyphs.

use std::collections::{BTreeMap, BTreeSet};

use bouncelab::i18n::{CATALOGUES, Lang, lookup, tr, tr_fmt};

/// A catalogue file read as a translator sees it: flattened `section.key` → text.
pub fn messages(code: &str) -> BTreeMap<String, String> {
    fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
        for (k, v) in table {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                toml::Value::Table(t) => flatten(&key, t, out),
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                other => panic!("{key} is not text: {other:?}"),
            }
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/i18n/{code}.toml"));
    let table: toml::Table = toml::from_str(&std::fs::read_to_string(path).expect("catalogue")).expect("valid TOML");
    let mut out = BTreeMap::new();
    flatten("", &table, &mut out);
    out
}

fn placeholders(s: &str) -> BTreeSet<&str> {
    s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n)).collect()
}

#[test]
fn every_catalogue_has_exactly_the_english_keys_and_placeholders() {
    assert_eq!(CATALOGUES[0].code, "en");
    assert!(CATALOGUES.len() >= 6, "six languages ship");
    let en = messages("en");
    let mut problems = Vec::new();
    for c in CATALOGUES.iter().skip(1) {
        let msgs = messages(c.code);
        for (k, v) in &en {
            match msgs.get(k) {
                None => problems.push(format!("{}: missing key {k}", c.code)),
                Some(t) if placeholders(t) != placeholders(v) => problems.push(format!("{}: {k} placeholders differ", c.code)),
                Some(_) => {}
            }
        }
        for k in msgs.keys() {
            if !en.contains_key(k) {
                problems.push(format!("{}: unknown key {k}", c.code));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Counts are said with plural forms (`key.one` / `key.other`), never as
/// "change(s)", "cambio(s)" or "alteração(ões)".
#[test]
fn no_message_spells_a_plural_with_parentheses() {
    let mut found = Vec::new();
    for c in CATALOGUES.iter() {
        for (k, v) in messages(c.code) {
            if ["(s)", "(es)", "(ões)", "(as)", "(os)"].iter().any(|p| v.contains(p)) {
                found.push(format!("{}: {k} = {v}", c.code));
            }
        }
    }
    assert!(found.is_empty(), "use tr_n and a plural table:\n{}", found.join("\n"));
}

/// What rust-i18n embedded is every file, key for key, text for text.
#[test]
fn the_embedded_catalogues_are_the_files() {
    let files: BTreeSet<String> = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/i18n"))
        .expect("assets/i18n")
        .filter_map(|e| e.ok()?.path().file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let codes: BTreeSet<String> = CATALOGUES.iter().map(|c| c.code.to_owned()).collect();
    assert_eq!(codes, files, "one catalogue a file");
    for c in CATALOGUES.iter() {
        let msgs = messages(c.code);
        assert!(msgs.len() > 900, "{}: {} keys", c.code, msgs.len());
        for (k, v) in &msgs {
            assert_eq!(lookup(c.code, k), Some(v.as_str()), "{}: {k}", c.code);
        }
        assert_eq!(c.name, msgs["meta.name"]);
    }
    assert_eq!(lookup("ko", "no.such.key"), None);
    assert_eq!(tr("no.such.key"), "no.such.key", "a missing key shows as itself");
}

#[test]
fn locales_pick_the_right_catalogue() {
    for (locale, code) in [
        ("ko_KR.UTF-8", "ko"),
        ("zh_TW.UTF-8", "zh-Hant"),
        ("zh_HK", "zh-Hant"),
        ("zh_CN.UTF-8", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("pt_BR.UTF-8", "pt"),
        ("es_MX.UTF-8", "es"),
        ("fr_FR.UTF-8", "en"),
        ("C", "en"),
        ("", "en"),
    ] {
        assert_eq!(Lang::from_locale(locale).code(), code, "{locale}");
    }
}

#[test]
fn lookup_and_placeholders_follow_the_thread_language() {
    assert_eq!(tr("panel.tester"), "Tester", "English by default");
    assert_eq!(tr("no.such.key"), "no.such.key");
    assert_eq!(tr_fmt("status.problems", &[("errors", &2), ("warnings", &0)]), "2 errors · 0 warnings");
    Lang::from_code("ko").expect("ko").make_current();
    assert_eq!(tr("panel.tester"), "테스터");
    assert_eq!(tr_fmt("status.problems", &[("errors", &2), ("warnings", &0)]), "오류 2개 · 경고 0개");
    Lang::ENGLISH.make_current();
}

/// Every `engine.*`, `lint.*`, `quarantine_engine.*`, `scenario.*`, `interchange.*`, `cli.*` and `app.*`
/// key the source names is in en.toml
/// (a missing key would show as the key itself).
#[test]
fn every_engine_key_named_in_the_source_is_in_the_english_catalogue() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let en = messages("en");
    let mut missing = BTreeSet::new();
    let mut found = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source");
        for section in ["engine", "lint", "quarantine_engine", "scenario", "interchange", "cli", "app", "errors"] {
            for (i, _) in text.match_indices(&format!("\"{section}.")) {
                let rest = &text[i + 1..];
                let key = &rest[..rest.find('"').unwrap_or(0)];
                if key.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.') {
                    found += 1;
                    // A plural message is a table: its forms are `key.one`, `key.other`...
                    if !en.contains_key(key) && !en.contains_key(&format!("{key}.other")) {
                        missing.insert(format!("{}: {key}", f.display()));
                    }
                }
            }
        }
    }
    assert!(found > 50, "the scan finds the keys ({found})");
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn engine_labels_are_localised_and_machine_formats_stay_english() {
    use bouncelab::engine::interchange::{self, Format};
    use bouncelab::engine::mx::TlsMode;
    use bouncelab::engine::quarantine::DeliveryStatus;
    use bouncelab::engine::ruleset::{QuarantinePolicy, RuleStatus};
    use bouncelab::engine::simulate::RunKind;
    use bouncelab::engine::{Classifier, FailureType, ThroughputLevel};

    assert_eq!(FailureType::Hard.display_label(), "Hard", "English by default");
    assert_eq!(QuarantinePolicy::AfterErrors(3).describe(Some(30)), "quarantined after 3rd error, released after 30 days");
    Lang::from_code("ko").expect("ko").make_current();
    assert_eq!(FailureType::Hard.display_label(), "하드");
    assert_eq!(FailureType::Soft.display_label(), "소프트");
    assert_eq!(RuleStatus::ToQualify.display_label(), "검토 필요");
    assert_eq!(ThroughputLevel::VeryFast.display_label(), "매우 빠름");
    assert_eq!(TlsMode::Opportunistic.display_label(), "가능하면 사용");
    assert_eq!(RunKind::Schedule.display_label(), "일정");
    assert_eq!(DeliveryStatus::Sent.display_label(), "발송됨");
    assert_eq!(QuarantinePolicy::AfterErrors(3).describe(Some(30)), "3번째 오류에서 격리, 30일 후 해제");
    // The stable names do not move: files, CSV, JSON, TSV and parsing use them.
    assert_eq!((FailureType::Hard.label(), FailureType::Hard.to_string()), ("Hard", "Hard".to_owned()));
    assert_eq!(RuleStatus::ToQualify.label(), "To qualify");
    assert_eq!(ThroughputLevel::parse("Very fast"), Some(ThroughputLevel::VeryFast));
    assert_eq!(RunKind::Schedule.label(), "Schedule");
    let doc = crate::default_doc();
    let c = Classifier::new(&doc);
    let v = c.classify("550 5.1.1 ... User is unknown {mx003}");
    let json = serde_json::to_value(bouncelab::cli::VerdictJson::new(&c, &v)).expect("json");
    assert_eq!(json["failure_type"], "Hard");
    let mut typed = doc.clone();
    typed.bounce_rules[0].failure_type = Some(FailureType::Hard);
    typed.bounce_rules[0].status = RuleStatus::ToQualify;
    let csv = interchange::export(&typed, Format::Csv).text;
    assert!(csv.lines().nth(1).is_some_and(|l| l.contains(",Hard,")), "{csv}");
    let ron = typed.to_ron_string().expect("ron");
    assert!(ron.contains("failure_type: Some(Hard)") && ron.contains("ToQualify"));
    for text in [&csv, &ron] {
        assert!(!text.contains("하드") && !text.contains("검토"), "no Korean in machine formats");
    }
    Lang::ENGLISH.make_current();
}

#[test]
fn lint_and_quarantine_sentences_follow_the_language() {
    use bouncelab::engine::lint::{self, LintKind};
    use bouncelab::engine::quarantine::{AttemptResult, DayEvent, Event, delivery_flow, simulate_address};
    use bouncelab::engine::scenario::RetryPolicy;
    use bouncelab::engine::{BounceRule, Classifier};

    let mut doc = crate::default_doc();
    let first = doc.bounce_rules[0].name.clone();
    doc.bounce_rules.push(BounceRule::new(first, "some new phrase", "userunknown"));
    doc.mx_rules[0].mask = "mx..example.com".into();
    let c = Classifier::new(&doc);
    let english = lint::lint(&doc, &c, None);
    let dup = english.iter().find(|l| l.kind == LintKind::DuplicateName).expect("duplicate name found");
    assert!(dup.message.contains("same name as rule #1"), "{}", dup.message);
    assert!(english.iter().any(|l| l.kind == LintKind::Mx && l.message.contains("can never match")));

    let events: Vec<DayEvent> = (0..3).map(|day| DayEvent { day, event: Event::bounce("mailbox_full") }).collect();
    let flow = |lang: Lang| {
        lang.make_current();
        let korean = lint::lint(&doc, &c, None);
        let rep = simulate_address(&doc, &events, None);
        let notes: Vec<String> = delivery_flow(&[AttemptResult::SoftBounce], &RetryPolicy::default()).into_iter().map(|s| s.note).collect();
        Lang::ENGLISH.make_current();
        (korean, rep, notes)
    };
    let (korean, rep, notes) = flow(Lang::from_code("ko").expect("ko"));
    let kinds = |l: &[lint::Lint]| l.iter().map(|l| (l.kind, l.rule, l.mx_rule)).collect::<Vec<_>>();
    assert_eq!(kinds(&korean), kinds(&english), "the same findings in every language");
    let dup = korean.iter().find(|l| l.kind == LintKind::DuplicateName).expect("duplicate name found");
    assert!(dup.message.contains("규칙 #1과(와) 이름이 같습니다"), "{}", dup.message);
    assert!(korean.iter().any(|l| l.kind == LintKind::Mx && l.message.contains("MX 규칙 #1")));
    assert!(rep.days[2].quarantined);
    assert!(rep.days[2].decisions.iter().any(|d| d.starts_with("격리됨")), "{:?}", rep.days[2].decisions);
    assert!(rep.days[0].events[0].starts_with("반송: "), "{:?}", rep.days[0].events);
    let released = rep.days.iter().find(|d| d.released).expect("a release day");
    assert_eq!(released.day, 32);
    assert!(notes.iter().any(|n| n.contains("소프트 바운스")), "{notes:?}");
    assert!(notes.last().is_some_and(|n| n.contains("유효 기간")), "{notes:?}");
}

#[cfg(feature = "gui")]
mod gui {
    use bouncelab::gui::Panel;
    use bouncelab::gui::app::BounceLabApp;
    use bouncelab::gui::settings::Settings;
    use bouncelab::i18n::{Lang, tr};
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// Kittest's default missing-glyph policy panics, so rendering is the glyph check.
    #[test]
    fn main_panels_render_in_every_language_without_missing_glyphs() {
        for lang in Lang::all() {
            let settings = Settings { language: Some(lang.code().to_owned()), ..Settings::default() };
            let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
            app.typed_dialogs = true;
            app.rules_panel.select(0);
            let mut h = Harness::builder()
                .with_size(egui::vec2(1400.0, 900.0))
                .with_context_setup(bouncelab::gui::widgets::install_fonts)
                .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app);
            for panel in [Panel::BounceRules, Panel::Tester, Panel::Gallery, Panel::Reasons] {
                h.state_mut().settings.panel = panel;
                h.run_steps(3);
            }
            lang.make_current();
            let label = tr("panel.tester");
            assert!(h.query_all_by_label(label).next().is_some(), "{}: nav label {label} shown", lang.code());
            if lang != Lang::ENGLISH {
                assert_ne!(label, "Tester", "{}: nav label translated", lang.code());
            }
            Lang::ENGLISH.make_current();
        }
    }

    /// File > Check for updates is translated, and the status text that sends
    /// the user there names the same menu and entry in every language.
    #[test]
    fn the_file_menu_sync_entries_are_translated() {
        let settings = Settings { language: Some("ko".to_owned()), ..Settings::default() };
        let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
        app.typed_dialogs = true;
        let mut h = crate::gui_support::harness(app);
        h.run_steps(2);
        h.get_by_label("파일").click();
        h.run_steps(2);
        assert!(h.query_by_label("업데이트 확인…").is_some(), "the entry is in Korean");
        assert!(h.query_by_label("사용자 지정 모드 (동기화 꺼짐)").is_some(), "the custom mode switch is in Korean");
        assert!(h.query_by_label_contains("Check for updates").is_none() && h.query_by_label_contains("Custom mode").is_none());
        for lang in Lang::all() {
            lang.make_current();
            let entry = format!("{} > {}", tr("menu.file"), tr("app.check_updates").trim_end_matches('…'));
            let status = tr("sync.check_failed_status");
            Lang::ENGLISH.make_current();
            assert!(status.contains(&entry), "{}: '{status}' names '{entry}'", lang.code());
        }
    }

    /// An emoji in a tested bounce (subjects and provider notices carry them) is
    /// drawn from egui's emoji fonts in the monospace text box, not as a box
    /// (kittest panics on a missing glyph).
    #[test]
    fn emoji_in_a_tested_text_have_glyphs() {
        let mut app = BounceLabApp::with_settings(Settings::default(), Some(crate::data("../../sample_rules/default.ron")));
        app.typed_dialogs = true;
        app.settings.panel = Panel::Tester;
        app.tester.set_text("550 5.1.1 <a@example.com> 😀💥 user unknown ✉ 📧 ✅ 👍".to_owned());
        let mut h = Harness::builder()
            .with_size(egui::vec2(1024.0, 700.0))
            .with_context_setup(bouncelab::gui::widgets::install_fonts)
            .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app);
        h.run_steps(3);
        assert!(h.query_all_by_label_contains("User unknown").next().is_some(), "the verdict is shown");
    }

    /// Counts of one read in the singular (the batch's clusters, the MX limits
    /// and the MX header used to say "1 templates", "1 connections", "1 warnings").
    #[test]
    fn counts_of_one_are_singular() {
        use bouncelab::engine::mx::Limits;
        use bouncelab::gui::mx_rules::limits_text;
        use bouncelab::i18n::tr_n;
        Lang::ENGLISH.make_current();
        assert_eq!(tr_n("batch.unmatched_heading", 1, &[("lines", &1)]), "Unmatched lines: 1 in 1 template");
        assert_eq!(tr_n("batch.unmatched_heading", 2, &[("lines", &5)]), "Unmatched lines: 5 in 2 templates");
        let one = Limits { max_connections: 1, max_msgs_per_connection: 1, msgs_per_hour: 1 };
        assert_eq!(limits_text(one, false), "1 connection, 1 message per connection, 1 message per hour (per IP)");
        let many = Limits { max_connections: 5, max_msgs_per_connection: 20, msgs_per_hour: 600 };
        assert_eq!(limits_text(many, true), "5 connections, 20 messages per connection, 600 messages per hour (shared by all IPs)");
        Lang::from_code("ko").expect("ko").make_current();
        assert_eq!(limits_text(many, false), "연결 5개, 연결당 메시지 20개, 시간당 메시지 600개 (IP당)");
        Lang::ENGLISH.make_current();
    }

    /// Small text (the tester's legend, the ceiling table's notes) is legible in
    /// Korean and Chinese: egui's 9 px small size is raised for them, not for English.
    #[test]
    fn small_text_is_legible_in_cjk() {
        for (code, at_least, at_most) in [("ko", 11.0, 99.0), ("zh-Hans", 11.0, 99.0), ("en", 0.0, 10.0)] {
            let settings = Settings { language: Some(code.to_owned()), ..Settings::default() };
            let app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
            let mut h = crate::gui_support::harness(app);
            h.run_steps(2);
            let size = h.ctx.global_style().text_styles[&egui::TextStyle::Small].size;
            assert!((at_least..=at_most).contains(&size), "{code}: small text {size} px");
        }
        Lang::ENGLISH.make_current();
    }

    /// The check above is live: without the bundled fonts, Korean panics.
    #[test]
    #[should_panic]
    fn korean_without_the_bundled_fonts_is_caught() {
        let settings = Settings { language: Some("ko".to_owned()), ..Settings::default() };
        let app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
        let mut h =
            Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app);
        h.run_steps(3);
    }
}

/// A pattern's syntax error is worded where it is shown, in that language
/// (the compile may have run in another one), with the regex library's
/// English only for kinds the catalogue does not cover.
#[test]
fn regex_errors_follow_the_language() {
    use bouncelab::engine::classify::compile_pattern;
    let unclosed = compile_pattern("user (unknown").expect_err("unclosed");
    let range = compile_pattern("a{2,1}").expect_err("range");
    assert_eq!(unclosed.display_message(), "invalid regex at character 6: unclosed group: a ( without its )");
    let ko = Lang::from_code("ko").expect("ko");
    ko.make_current();
    let (u, r) = (unclosed.display_message(), range.display_message());
    Lang::ENGLISH.make_current();
    assert!(u.contains("닫히지 않은 그룹") && !u.contains("unclosed"), "{u}");
    assert!(r.contains("반복 횟수가 잘못되었습니다") && !r.contains("invalid repetition"), "{r}");
    for lang in Lang::all() {
        lang.make_current();
        let text = unclosed.display_message();
        Lang::ENGLISH.make_current();
        assert!(lang == Lang::ENGLISH || !text.contains("unclosed group"), "{}: {text}", lang.code());
    }
}

/// Errors the engine reports (DNS, files, sync) read in the UI's language.
#[test]
fn engine_errors_follow_the_language() {
    use bouncelab::engine::dns::{DnsError, normalize_domain};
    use bouncelab::engine::fsio::write_atomic;

    let dir = tempfile::tempdir().expect("tempdir");
    let unwritable = dir.path().join("missing-folder").join("rules.ron");
    let texts = |lang: Lang| {
        lang.make_current();
        let bad_name = normalize_domain("exa mple.com").expect_err("space").to_string();
        let nx = DnsError::NxDomain { domain: "nowhere.example".into() }.to_string();
        let write = write_atomic(&unwritable, b"x", false).expect_err("no folder").to_string();
        Lang::ENGLISH.make_current();
        (bad_name, nx, write)
    };
    let (bad_name, nx, write) = texts(Lang::ENGLISH);
    assert_eq!(bad_name, "'exa mple.com' is not a valid domain: a domain cannot contain spaces");
    assert_eq!(nx, "nowhere.example does not exist (NXDOMAIN)");
    assert!(write.starts_with("cannot write "), "{write}");
    let (bad_name, nx, write) = texts(Lang::from_code("ko").expect("ko"));
    assert_eq!(bad_name, "'exa mple.com'은(는) 올바른 도메인이 아닙니다: 도메인에는 공백을 넣을 수 없습니다");
    assert_eq!(nx, "nowhere.example이(가) 존재하지 않습니다 (NXDOMAIN)");
    assert!(write.contains("에 쓸 수 없습니다"), "{write}");
    let (bad_name, ..) = texts(Lang::from_code("es").expect("es"));
    assert!(bad_name.contains("no es un dominio válido: un dominio no puede contener espacios"), "{bad_name}");
}

/// The three bundled fonts inflate to whole TrueType files (a broken pack
/// would silently lose CJK, Hangul or Hebrew/Arabic glyphs).
#[cfg(feature = "gui")]
#[test]
fn bundled_fonts_inflate_to_truetype() {
    let fonts = bouncelab::gui::widgets::bundled_fonts();
    let names: Vec<&str> = fonts.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["dejavu_sans", "droid_fallback", "nanum_hangul"]);
    for (name, ttf) in fonts {
        assert!(ttf.len() > 500_000, "{name}: {} bytes", ttf.len());
        assert_eq!(&ttf[..4], &[0, 1, 0, 0], "{name}: a TrueType header");
    }
}
