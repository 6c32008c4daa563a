//! Message catalogues: complete, consistent, and every language renders the
//! main panels without missing glyphs.

use std::collections::BTreeSet;

use bouncelab::i18n::{CATALOGUES, Lang, tr, tr_fmt};

fn placeholders(s: &str) -> BTreeSet<&str> {
    s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n)).collect()
}

#[test]
fn every_catalogue_has_exactly_the_english_keys_and_placeholders() {
    let en = &CATALOGUES[0];
    assert_eq!(en.code, "en");
    assert!(CATALOGUES.len() >= 6, "six languages ship");
    let mut problems = Vec::new();
    for c in CATALOGUES.iter().skip(1) {
        for (k, v) in &en.messages {
            match c.messages.get(k) {
                None => problems.push(format!("{}: missing key {k}", c.code)),
                Some(t) if placeholders(t) != placeholders(v) => problems.push(format!("{}: {k} placeholders differ", c.code)),
                Some(_) => {}
            }
        }
        for k in c.messages.keys() {
            if !en.messages.contains_key(k) {
                problems.push(format!("{}: unknown key {k}", c.code));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
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
