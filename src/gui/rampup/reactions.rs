//! The feedback and reactions of the scenario, read-only in the editor (they
//! are RON data of the scenario file), each with the problems at its field.

use egui::Ui;

use super::editor::problems_ui;
use crate::engine::scenario::{Feedback, Reaction, ReactionAction, Recovery, ReplyMatch, Scenario, ScenarioProblem, Trigger};
use crate::i18n::{tr, tr_fmt};

fn feedback_text(f: &Feedback) -> String {
    let mut when = Vec::new();
    if let Some(x) = f.above_per_hour {
        when.push(tr_fmt("rampup_react.when_above", &[("n", &x)]));
    }
    if let Some(x) = f.bounce_rate_above_pct {
        when.push(tr_fmt("rampup_react.when_bounce", &[("n", &x)]));
    }
    if let Some(x) = f.complaint_rate_above_pct {
        when.push(tr_fmt("rampup_react.when_complaint", &[("n", &x)]));
    }
    let young = f.while_ip_younger_than_days.map(|d| tr_fmt("rampup_react.when_young", &[("n", &d)])).unwrap_or_default();
    let mut reply: String = f.reply.chars().take(70).collect();
    if reply.len() < f.reply.len() {
        reply.push('…');
    }
    let args: [(&str, &dyn std::fmt::Display); 4] =
        [("provider", &f.provider), ("when", &when.join(" / ")), ("young", &young), ("reply", &reply)];
    tr_fmt("rampup_react.feedback_line", &args)
}

fn reaction_text(r: &Reaction) -> String {
    let on = match &r.on {
        ReplyMatch::Regex(p) => format!("/{p}/"),
        ReplyMatch::Category(c) => c.clone(),
    };
    let trigger = match r.trigger {
        Trigger::Immediate => tr("rampup_react.t_immediate").to_owned(),
        Trigger::Threshold { matches, per_minutes } => tr_fmt("rampup_react.t_threshold", &[("n", &matches), ("m", &per_minutes)]),
    };
    let action = match r.action {
        ReactionAction::Suspend => tr("rampup_react.a_suspend").to_owned(),
        ReactionAction::RateLimit { msgs_per_hour } => tr_fmt("rampup_react.a_rate", &[("n", &msgs_per_hour)]),
        ReactionAction::DropLevel => tr("rampup_react.a_drop").to_owned(),
    };
    let recovery = match r.recovery {
        Recovery::AtOnce => tr("rampup_react.r_at_once").to_owned(),
        Recovery::Steps { step_pct, every_minutes } => tr_fmt("rampup_react.r_steps", &[("step", &step_pct), ("every", &every_minutes)]),
    };
    let args: [(&str, &dyn std::fmt::Display); 7] = [
        ("name", &r.name),
        ("provider", &r.provider),
        ("on", &on),
        ("trigger", &trigger),
        ("action", &action),
        ("minutes", &r.duration_minutes),
        ("recovery", &recovery),
    ];
    tr_fmt("rampup_react.reaction_line", &args)
}

/// Lists the feedback and reactions of `s` with the problems of their fields.
pub(super) fn reactions_ui(ui: &mut Ui, s: &Scenario, problems: &[ScenarioProblem]) {
    ui.strong(tr("rampup_react.reactions_heading")).on_hover_text(tr("rampup_react.reactions_tip"));
    if s.feedback.is_empty() && s.reactions.is_empty() {
        ui.weak(tr("rampup_react.none"));
    }
    for (i, f) in s.feedback.iter().enumerate() {
        ui.add(egui::Label::new(feedback_text(f)).wrap());
        let prefix = format!("feedback[{i}].");
        problems_ui(ui, problems, |field| field.starts_with(&prefix));
    }
    for (i, r) in s.reactions.iter().enumerate() {
        ui.add(egui::Label::new(reaction_text(r)).wrap());
        let prefix = format!("reactions[{i}].");
        problems_ui(ui, problems, |field| field.starts_with(&prefix));
    }
    problems_ui(ui, problems, |field| field.starts_with("overflow") || field.starts_with("promotion"));
}
