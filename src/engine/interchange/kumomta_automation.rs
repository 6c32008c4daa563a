//! A scenario's MTA reactions as KumoMTA traffic shaping `automation` rules.
//!
//! KumoMTA's rule (`crates/kumo-api-types/src/shaping.rs`, `shaping::Rule`):
//! `regex` (one or a list, matched against the response as one line
//! `"<code> <enhanced> <text>"`), `action` (`"Suspend"` or
//! `{SetConfig = {name, value}}`, one or a list), `trigger` (`"Immediate"`, the
//! default, or `{Threshold = "N/period"}` with period `s`, `m`, `h` or `d` only),
//! and `duration` (a humantime duration such as `"120m"`). The override simply
//! ends after its duration: a stepped recovery has no KumoMTA form and is
//! reported. Reactions on a bounce category become the document's own
//! patterns of that category.

use crate::engine::mx::{MxRule, ThroughputLevel, find_rule};
use crate::engine::ruleset::{RuleSet, RuleStatus};
use crate::engine::scenario::{ReactionAction, Recovery, ReplyMatch, Scenario, Trigger};
use crate::i18n::tr_fmt;

/// One action of an automation rule: the shaping writer's own type, so a
/// reaction goes into a shaping block as is.
pub use super::shaping::AutomationAction as AutoAction;

/// One reaction as a KumoMTA automation rule, and where it goes.
#[derive(Clone, Debug, PartialEq)]
pub struct ReactionRule {
    /// Index of the reaction in the scenario.
    pub reaction: usize,
    /// The MX rule whose shaping block gets it; `None`: the `["default"]` block
    /// (a reaction on every provider, or a provider under the catch-all).
    pub mx_rule: Option<usize>,
    /// Regexes, any of which matches.
    pub regex: Vec<String>,
    /// What it does.
    pub actions: Vec<AutoAction>,
    /// `None`: at once; `Some("20/h")`: KumoMTA's `{Threshold = …}`.
    pub threshold: Option<String>,
    /// `"120m"`.
    pub duration: String,
}

/// What the KumoMTA form of a reaction could not keep.
#[derive(Clone, Debug, PartialEq)]
pub enum AutomationNote {
    /// The stepped recovery: KumoMTA returns to the full rate when the duration ends.
    StepsNotExported,
    /// The threshold's window is not a second, minute, hour or day: rescaled to the same rate.
    ThresholdRescaled {
        /// The spec written.
        spec: String,
    },
    /// A category became the document's patterns of that category.
    CategoryAsPatterns {
        /// How many.
        count: usize,
    },
    /// No enabled bounce rule gives that category: nothing to match, skipped.
    CategoryWithoutRules,
    /// Dropping a level below Slow changes nothing: skipped.
    DropBelowSlow,
    /// The provider's MX rule is the catch-all: the rule applies to every destination.
    WiderThanProvider,
    /// No provider of that name in the scenario: skipped.
    UnknownProvider,
}

impl AutomationNote {
    /// Whether the reaction was left out of the export.
    pub fn skipped(&self) -> bool {
        matches!(self, AutomationNote::CategoryWithoutRules | AutomationNote::DropBelowSlow | AutomationNote::UnknownProvider)
    }

    /// What it means, in the current language.
    pub fn message(&self) -> String {
        match self {
            AutomationNote::StepsNotExported => tr_fmt("rampup_react.kumo_steps", &[]),
            AutomationNote::ThresholdRescaled { spec } => tr_fmt("rampup_react.kumo_threshold", &[("spec", spec)]),
            AutomationNote::CategoryAsPatterns { count } => tr_fmt("rampup_react.kumo_category", &[("n", count)]),
            AutomationNote::CategoryWithoutRules => tr_fmt("rampup_react.kumo_no_category", &[]),
            AutomationNote::DropBelowSlow => tr_fmt("rampup_react.kumo_drop_slow", &[]),
            AutomationNote::WiderThanProvider => tr_fmt("rampup_react.kumo_wider", &[]),
            AutomationNote::UnknownProvider => tr_fmt("rampup_react.kumo_unknown_provider", &[]),
        }
    }
}

/// A KumoMTA throttle spec (`N/s`, `N/m`, `N/h`, `N/d`) for `matches` per
/// `minutes`; the bool says whether it had to be rescaled or rounded.
pub fn throttle_spec(matches: f64, minutes: f64) -> (String, bool) {
    for (unit, len) in [("m", 1.0), ("h", 60.0), ("d", 1440.0)] {
        if (minutes - len).abs() < 1e-9 && matches.fract() == 0.0 && matches >= 1.0 {
            return (format!("{}/{unit}", matches as u64), false);
        }
    }
    // Same rate in the unit that keeps the count a whole number of at least 1.
    let per_minute = matches / minutes.max(1e-9);
    let (unit, len) = if per_minute * 60.0 >= 1.0 { ("h", 60.0) } else { ("d", 1440.0) };
    let n = (per_minute * len).round().max(1.0);
    (format!("{}/{unit}", n as u64), true)
}

/// A rate for `max_message_rate`: a whole number of messages per hour, at least 1.
fn per_hour(x: f64) -> toml::Value {
    toml::Value::String(format!("{}/h", x.round().max(1.0) as u64))
}

/// The settings of `rule` at `level` as SetConfig actions.
fn level_actions(rule: &MxRule, level: ThroughputLevel) -> Vec<AutoAction> {
    let l = rule.limits(level);
    let set = |name: &str, value: toml::Value| AutoAction::SetConfig { name: name.to_owned(), value };
    let connections = if rule.shared { "provider_connection_limit" } else { "connection_limit" };
    vec![
        set("max_message_rate", per_hour(f64::from(l.msgs_per_hour))),
        set(connections, toml::Value::Integer(i64::from(l.max_connections))),
        set("max_deliveries_per_connection", toml::Value::Integer(i64::from(l.max_msgs_per_connection))),
    ]
}

/// The scenario's reactions as automation rules for the shaping file of `doc`'s
/// MX rules at `level` (the level a `DropLevel` drops from); each note names
/// the reaction it is about.
pub fn reaction_rules(s: &Scenario, doc: &RuleSet, level: ThroughputLevel) -> (Vec<ReactionRule>, Vec<(usize, AutomationNote)>) {
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    for (i, r) in s.reactions.iter().enumerate() {
        let mx_rule = if r.provider == "*" {
            None
        } else {
            let Some(p) = s.providers.iter().find(|p| p.name == r.provider) else {
                notes.push((i, AutomationNote::UnknownProvider));
                continue;
            };
            let rule = find_rule(&doc.mx_rules, &p.mx_host, None).rule;
            if rule.is_none_or(|k| doc.mx_rules[k].mask.trim() == "*") {
                notes.push((i, AutomationNote::WiderThanProvider));
                None
            } else {
                rule
            }
        };
        let regex = match &r.on {
            ReplyMatch::Regex(p) => vec![p.clone()],
            ReplyMatch::Category(c) => {
                let pats: Vec<String> = doc
                    .bounce_rules
                    .iter()
                    .filter(|b| b.enabled && b.status != RuleStatus::Ignore && b.category == *c && !b.pattern.trim().is_empty())
                    // As the bounce-rule export writes them: the same matching as bouncelab's.
                    .map(|b| super::kumomta::kumo_pattern(&b.pattern))
                    .collect();
                if pats.is_empty() {
                    notes.push((i, AutomationNote::CategoryWithoutRules));
                    continue;
                }
                notes.push((i, AutomationNote::CategoryAsPatterns { count: pats.len() }));
                pats
            }
        };
        let actions = match r.action {
            ReactionAction::Suspend => vec![AutoAction::Suspend],
            ReactionAction::RateLimit { msgs_per_hour } => {
                vec![AutoAction::SetConfig { name: "max_message_rate".into(), value: per_hour(msgs_per_hour) }]
            }
            ReactionAction::DropLevel => {
                let below = level.index().checked_sub(1).map(|k| ThroughputLevel::ALL[k]);
                let rule = mx_rule.or_else(|| doc.mx_rules.iter().position(|m| m.mask.trim() == "*"));
                match (below, rule) {
                    (Some(b), Some(k)) => level_actions(&doc.mx_rules[k], b),
                    _ => {
                        notes.push((i, AutomationNote::DropBelowSlow));
                        continue;
                    }
                }
            }
        };
        let threshold = match r.trigger {
            Trigger::Immediate => None,
            Trigger::Threshold { matches, per_minutes } => {
                let (spec, rescaled) = throttle_spec(matches, per_minutes);
                if rescaled {
                    notes.push((i, AutomationNote::ThresholdRescaled { spec: spec.clone() }));
                }
                Some(spec)
            }
        };
        if matches!(r.recovery, Recovery::Steps { .. }) {
            notes.push((i, AutomationNote::StepsNotExported));
        }
        let duration = format!("{}m", r.duration_minutes.ceil().max(1.0) as u64);
        out.push(ReactionRule { reaction: i, mx_rule, regex, actions, threshold, duration });
    }
    (out, notes)
}

/// One automation rule as TOML lines under `[[<block>.automation]]`, where
/// `block` is the block's key (`provider."*.yahoodns.net"` or `"default"`).
pub fn rule_toml(block: &str, r: &ReactionRule) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let action = |a: &AutoAction| match a {
        AutoAction::Suspend => q("Suspend"),
        AutoAction::SetConfig { name, value } => format!("{{SetConfig = {{name = {}, value = {value}}}}}", q(name)),
    };
    let mut t = format!("[[{block}.automation]]\n");
    let regex: Vec<String> = r.regex.iter().map(|x| q(x)).collect();
    t.push_str(&if regex.len() == 1 { format!("regex = {}\n", regex[0]) } else { format!("regex = [{}]\n", regex.join(", ")) });
    let actions: Vec<String> = r.actions.iter().map(action).collect();
    t.push_str(&if actions.len() == 1 { format!("action = {}\n", actions[0]) } else { format!("action = [{}]\n", actions.join(", ")) });
    if let Some(spec) = &r.threshold {
        t.push_str(&format!("trigger = {{Threshold = {}}}\n", q(spec)));
    }
    t.push_str(&format!("duration = {}\n", q(&r.duration)));
    t
}

/// The block key of an MX rule (`provider."<mask>"`), or `"default"` for `None`.
pub fn block_key(doc: &RuleSet, mx_rule: Option<usize>) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    match mx_rule.and_then(|k| doc.mx_rules.get(k)) {
        Some(m) => format!("provider.{}", q(&m.mask)),
        None => q("default"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scenario::{Reaction, Scenario};

    fn doc() -> RuleSet {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_rules/default.ron");
        RuleSet::load(&p).expect("default rules")
    }

    fn adaptive() -> Scenario {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_rules/adaptive.ron");
        Scenario::load(&p).expect("adaptive scenario")
    }

    #[test]
    fn throttle_specs_use_kumomta_periods_only() {
        assert_eq!(throttle_spec(20.0, 60.0), ("20/h".to_owned(), false));
        assert_eq!(throttle_spec(5.0, 1.0), ("5/m".to_owned(), false));
        assert_eq!(throttle_spec(10.0, 30.0), ("20/h".to_owned(), true));
        assert_eq!(throttle_spec(2.5, 60.0), ("3/h".to_owned(), true));
        assert_eq!(throttle_spec(1.0, 2880.0), ("1/d".to_owned(), true));
    }

    #[test]
    fn adaptive_reactions_become_automation_rules_kumomta_reads() {
        let (doc, s) = (doc(), adaptive());
        let (rules, notes) = reaction_rules(&s, &doc, ThroughputLevel::Fast);
        assert_eq!(rules.len(), 2);
        let yahoo = &rules[0];
        assert_eq!(doc.mx_rules[yahoo.mx_rule.unwrap()].mask, "*.yahoodns.net");
        assert_eq!(yahoo.actions, vec![AutoAction::Suspend]);
        assert_eq!((yahoo.threshold.as_deref(), yahoo.duration.as_str()), (None, "120m"));
        assert_eq!(notes, vec![(0, AutomationNote::StepsNotExported)]);
        let ms = &rules[1];
        assert_eq!(ms.threshold.as_deref(), Some("20/h"));
        let text: String = rules.iter().map(|r| rule_toml(&block_key(&doc, r.mx_rule), r)).collect::<Vec<_>>().join("\n");
        // The TOML has KumoMTA's shape: provider."mask".automation = [{regex, action, trigger, duration}].
        let v: toml::Table = text.parse().expect("valid TOML");
        let auto = &v["provider"]["*.yahoodns.net"]["automation"][0];
        assert_eq!(auto["regex"].as_str(), Some(r"\[TS?S04\]"));
        assert_eq!(auto["action"].as_str(), Some("Suspend"));
        assert_eq!(auto["duration"].as_str(), Some("120m"));
        let busy = &v["provider"]["*.mail.protection.outlook.com"]["automation"][0];
        assert_eq!(busy["action"]["SetConfig"]["name"].as_str(), Some("max_message_rate"));
        assert_eq!(busy["action"]["SetConfig"]["value"].as_str(), Some("800/h"));
        assert_eq!(busy["trigger"]["Threshold"].as_str(), Some("20/h"));
        // The regex is the one the simulator matched the reply with.
        let re = regex::Regex::new(auto["regex"].as_str().unwrap()).unwrap();
        assert!(re.is_match(&s.feedback[0].reply));
    }

    #[test]
    fn categories_drops_and_wide_scopes_are_reported() {
        let (doc, mut s) = (doc(), adaptive());
        let base = s.reactions[0].clone();
        s.reactions = vec![
            Reaction { on: ReplyMatch::Category("badreputation".into()), ..base.clone() },
            Reaction { on: ReplyMatch::Category("no-such-category".into()), ..base.clone() },
            Reaction { action: ReactionAction::DropLevel, provider: "Microsoft".into(), recovery: Recovery::AtOnce, ..base.clone() },
            Reaction { provider: "Others".into(), recovery: Recovery::AtOnce, ..base.clone() },
            Reaction { provider: "Nobody".into(), ..base },
        ];
        let (rules, notes) = reaction_rules(&s, &doc, ThroughputLevel::Fast);
        assert!(rules[0].regex.iter().all(|r| r.starts_with("(?i)")) && !rules[0].regex.is_empty());
        assert!(notes.contains(&(0, AutomationNote::CategoryAsPatterns { count: rules[0].regex.len() })));
        assert!(notes.contains(&(1, AutomationNote::CategoryWithoutRules)));
        // Fast drops to Normal: Microsoft's Normal limits.
        let drop = rules.iter().find(|r| r.reaction == 2).unwrap();
        let normal = doc.mx_rules[drop.mx_rule.unwrap()].limits(ThroughputLevel::Normal);
        assert!(
            drop.actions
                .contains(&AutoAction::SetConfig { name: "max_message_rate".into(), value: per_hour(f64::from(normal.msgs_per_hour)) })
        );
        assert!(notes.contains(&(3, AutomationNote::WiderThanProvider)));
        assert_eq!(rules.iter().find(|r| r.reaction == 3).unwrap().mx_rule, None);
        assert!(notes.contains(&(4, AutomationNote::UnknownProvider)));
        assert!(notes.iter().filter(|n| n.1.skipped()).count() == 2);
        let (_, slow_notes) = reaction_rules(&s, &doc, ThroughputLevel::Slow);
        assert!(slow_notes.contains(&(2, AutomationNote::DropBelowSlow)));
        let toml_text = rule_toml(&block_key(&doc, None), &rules[rules.len() - 1]);
        assert!(toml_text.starts_with("[[\"default\".automation]]"), "{toml_text}");
        assert!(toml_text.parse::<toml::Table>().is_ok());
    }
}
