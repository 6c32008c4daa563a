//! One frame of the whole app with a mature rule set (1,000 rules) and a
//! 2,000-line paste in the tester, two ways: driven through egui_kittest,
//! which turns AccessKit on (egui then describes every glyph of the paste to
//! assistive technology, most of that frame's time), and on a bare
//! `egui::Context` with the frame tessellated, as an eframe window runs it
//! when no screen reader asked for AccessKit.

use std::hint::black_box;

use bouncelab::engine::default_rules;
use bouncelab::gui::Panel;
use bouncelab::gui::app::BounceLabApp;
use bouncelab::gui::settings::Settings;
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;

fn big_app() -> BounceLabApp {
    let mut doc = default_rules();
    let base = doc.bounce_rules.clone();
    let mut k = 0;
    while doc.bounce_rules.len() < 1000 {
        let mut r = base[k % base.len()].clone();
        r.name = format!("{} v{k}", r.name);
        // Distinct patterns, as in a mature set: a variant phrase per rule.
        r.pattern = format!("{}|variant phrase {k}", r.pattern);
        doc.bounce_rules.insert(0, r);
        k += 1;
    }
    let dir = std::env::temp_dir().join("bouncelab-frame-bench.ron");
    doc.save(&dir).expect("temp rules");
    let settings = Settings { panel: Panel::BounceRules, tester_beside_rules: true, ..Settings::default() };
    let mut app = BounceLabApp::with_settings(settings, Some(dir));
    let texts =
        ["550 5.1.1 <a@example.com>: Recipient address rejected: User unknown", "552 5.2.2 mailbox full", "421 4.7.0 [TSS04] deferred"];
    let paste: Vec<&str> = (0..2000).map(|i| texts[i % texts.len()]).collect();
    app.tester.set_text(paste.join("\n"));
    app
}

fn bench(c: &mut Criterion) {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_context_setup(bouncelab::gui::widgets::install_fonts)
        .build_ui_state(|ui, app: &mut BounceLabApp| app.frame_ui(ui), big_app());
    h.run_steps(3);
    c.bench_function("frame/1000_rules_2000_line_paste", |b| {
        b.iter(|| {
            h.step();
            black_box(h.state().document.compiled.generation)
        })
    });

    let ctx = egui::Context::default();
    bouncelab::gui::widgets::install_fonts(&ctx);
    let mut app = big_app();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0))),
        ..Default::default()
    };
    let frame = |app: &mut BounceLabApp| {
        let out = ctx.run_ui(input(), |ui| app.frame_ui(ui));
        ctx.tessellate(out.shapes, out.pixels_per_point).len()
    };
    for _ in 0..3 {
        frame(&mut app);
    }
    c.bench_function("frame/1000_rules_2000_line_paste_without_accesskit", |b| b.iter(|| black_box(frame(&mut app))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
