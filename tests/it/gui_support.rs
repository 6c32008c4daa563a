//! Shared kittest helpers for the GUI test modules.

use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::settings::Settings;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// The app on `panel` with the shipped rules, typed-path dialogs, tester not docked.
pub fn app_on(panel: Panel) -> BounceLabApp {
    let settings = Settings { panel, tester_beside_rules: false, ..Settings::default() };
    let mut app = BounceLabApp::with_settings(settings, Some(crate::data("../../sample_rules/default.ron")));
    app.typed_dialogs = true;
    app
}

/// A 1400x900 harness with the bundled fonts.
pub fn harness(app: BounceLabApp) -> Harness<'static, BounceLabApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_context_setup(bouncelab::gui::widgets::install_fonts)
        .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), app)
}

/// Whether some widget's label contains `text`.
pub fn shown(h: &Harness<'_, BounceLabApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Runs frames until the UI settles; bounded, since `Harness::run` panics while
/// a spinner or an animation keeps repainting.
pub fn settle(h: &mut Harness<'_, BounceLabApp>) {
    for _ in 0..50 {
        if h.run_ok().is_some() {
            return;
        }
    }
}
