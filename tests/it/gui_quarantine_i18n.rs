//! The Quarantine panel in every language: kittest panics on a missing glyph,
//! so rendering the panel (presets, day table, summary, event menu, delivery
//! flow) is the glyph check; the Korean labels are found by their ko.toml text.

use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::quarantine_sim::{RowEvent, report};
use bouncelab::gui::settings::Settings;
use bouncelab::i18n::{Lang, tr, tr_fmt, tr_n};
use egui_kittest::kittest::Queryable;

use crate::gui_support::{harness, settle, shown};

#[test]
fn quarantine_panel_renders_in_every_language() {
    for lang in Lang::all() {
        let settings = Settings {
            language: Some(lang.code().to_owned()),
            panel: Panel::Quarantine,
            tester_beside_rules: false,
            ..Settings::default()
        };
        let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
        app.typed_dialogs = true;
        let mut h = harness(app);
        settle(&mut h);
        lang.make_current();
        let code = lang.code();

        // The default preset: mailbox full three days in a row, released 30 days later.
        let app = h.state();
        let rep = report(&app.quarantine.rows, 0, &app.document.rules, &app.document.compiled.classifier);
        let p = rep.periods.first().expect("quarantined");
        let days = rep.days.iter().filter(|d| d.quarantined).count();
        let summary = tr_n(
            "quarantine.summary_released",
            days,
            &[("day", &p.start_day), ("reason", &p.reason), ("release", &p.release_day.expect("released"))],
        );
        assert!(!summary.contains("(s)"), "{code}: a plural form, not 'day(s)': {summary}");
        assert!(shown(&h, &summary), "{code}: summary {summary}");
        for key in [
            "quarantine.heading",
            "quarantine.preset_full3",
            "quarantine.col_decision",
            "quarantine.flow_heading",
            "quarantine.add_attempt",
        ] {
            assert!(shown(&h, tr(key)), "{code}: {key} shown");
        }
        assert!(shown(&h, &tr_fmt("quarantine.fmt_d_h", &[("d", &3), ("h", &12)])), "{code}: validity end of the flow");

        // A bounce text row and the open event menu render too.
        h.state_mut().quarantine.rows.push(bouncelab::gui::quarantine_sim::EventRow { day: 40, event: RowEvent::Text(String::new()) });
        settle(&mut h);
        h.get_by_label(&tr_fmt("quarantine.event_kind_a11y", &[("n", &1)])).click();
        settle(&mut h);
        assert!(shown(&h, tr("quarantine.bounce_text_classified")), "{code}: event menu open");
        if lang != Lang::ENGLISH {
            assert_ne!(tr("quarantine.heading"), "Quarantine of one address", "{code}: translated");
        }
        if code == "ko" {
            for ko in
                ["주소 하나의 격리", "사흘 연속 메일함 가득 참", "메시지 하나의 전달 상태", "3일째에 격리(메일함 용량 초과), 33일째에 해제"]
            {
                assert!(shown(&h, ko), "ko: {ko} shown");
            }
        }
        Lang::ENGLISH.make_current();
    }
}
