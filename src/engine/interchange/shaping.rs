//! MX rules at one throughput level as KumoMTA traffic shaping TOML.
//!
//! KumoMTA (`crates/kumo-api-types/src/shaping.rs`) starts every domain from
//! the `["default"]` block, then merges, in file order, **every**
//! `[provider."…"]` block whose `match` list fits the domain's MX hosts, later
//! blocks overriding earlier ones. bouncelab's MX rules are first match wins,
//! so providers are written in reverse rule order: the earliest matching rule
//! is merged last and wins, and every block sets the same keys so no value of
//! a later-listed rule leaks through. The catch-all `*` becomes `["default"]`.
//!
//! The writer works on a [`ShapingPlan`] (one [`ProviderBlock`] per rule, each
//! with an `automation` list), so a scenario's reactions can become KumoMTA
//! `automation` rules ([`add_reactions`]) before it is written.

use super::{Export, RuleIssue, kumomta_automation};
use crate::engine::mx::{Limits, MxRule, ThroughputLevel, TlsMode};
use crate::engine::ruleset::RuleSet;
use crate::engine::scenario::Scenario;
use crate::i18n::{tr, tr_fmt};

/// How a provider block selects domains (KumoMTA's `ProviderMatch`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderMatch {
    /// Every MX host of the domain ends with this suffix (`".google.com"`).
    MxSuffix(String),
    /// Every MX host of the domain is exactly this name.
    HostName(String),
    /// The recipient domain ends with this suffix.
    DomainSuffix(String),
}

/// A mask in KumoMTA's terms: exact, or the nearest safe form with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaskForm {
    /// The catch-all `*`: the `["default"]` block.
    Default,
    /// Exactly the hosts the mask matches.
    Exact(ProviderMatch),
    /// KumoMTA cannot express the mask; this suffix is the nearest form that
    /// still names the same provider (it matches more hosts than the mask).
    Nearest(ProviderMatch),
    /// No safe form: the suffix left would name a whole top-level domain.
    None,
}

/// The KumoMTA form of an MX mask (`*` any run, `?` one character).
pub fn mask_form(mask: &str) -> MaskForm {
    let mask = mask.trim().to_ascii_lowercase();
    if mask == "*" {
        return MaskForm::Default;
    }
    let last = mask.rfind(['*', '?']);
    match last {
        None => MaskForm::Exact(ProviderMatch::HostName(mask)),
        // `*` + literal: KumoMTA's suffix match is a plain `ends_with`, exactly `*literal`.
        Some(0) if mask.starts_with('*') => MaskForm::Exact(ProviderMatch::MxSuffix(mask[1..].to_owned())),
        Some(i) => {
            // Cut the literal tail back to a label boundary: `mx?.free.fr` -> `.free.fr`.
            let tail = &mask[i + 1..];
            let suffix = match tail.find('.') {
                Some(d) => &tail[d..],
                None => "",
            };
            if suffix.trim_start_matches('.').split('.').filter(|l| !l.is_empty()).count() >= 2 {
                MaskForm::Nearest(ProviderMatch::MxSuffix(suffix.to_owned()))
            } else {
                MaskForm::None
            }
        }
    }
}

/// An `automation` rule of a shaping block (KumoMTA's `shaping::Rule`).
#[derive(Clone, Debug, PartialEq)]
pub struct AutomationRule {
    /// Regexes matched against the response line.
    pub regex: Vec<String>,
    /// What to do when they match (KumoMTA takes one action or a list).
    pub actions: Vec<AutomationAction>,
    /// `None`: immediately; `Some("10/1h")`: after that many matches in that time.
    pub threshold: Option<String>,
    /// How long the action lasts, as a KumoMTA duration (`"1h"`).
    pub duration: String,
}

/// What an automation rule does.
#[derive(Clone, Debug, PartialEq)]
pub enum AutomationAction {
    /// Suspend delivery on the path.
    Suspend,
    /// Override one egress path setting (`{SetConfig = {name, value}}`).
    SetConfig {
        /// The egress path key.
        name: String,
        /// Its value.
        value: toml::Value,
    },
}

/// The egress path settings one MX rule gives at one level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathParams {
    /// Connections at once.
    pub connections: u32,
    /// Whether the limits are shared by all sending IPs (provider-wide keys).
    pub shared: bool,
    /// Messages per connection.
    pub per_connection: u32,
    /// Messages per hour.
    pub per_hour: u32,
    /// `enable_tls` value, `None` for KumoMTA's default.
    pub tls: Option<&'static str>,
    /// `connect_timeout`, seconds.
    pub connect_secs: u32,
    /// `idle_timeout` (the wait for the next message on an open connection), seconds.
    pub idle_secs: u32,
}

impl PathParams {
    /// The settings of `rule` at `level`.
    pub fn of(rule: &MxRule, level: ThroughputLevel) -> PathParams {
        let Limits { max_connections, max_msgs_per_connection, msgs_per_hour } = rule.limits(level);
        PathParams {
            connections: max_connections,
            shared: rule.shared,
            per_connection: max_msgs_per_connection,
            per_hour: msgs_per_hour,
            tls: match rule.tls {
                TlsMode::Default => None,
                TlsMode::Disabled => Some("Disabled"),
                TlsMode::Opportunistic => Some("Opportunistic"),
            },
            connect_secs: rule.timeouts.connect_secs,
            idle_secs: rule.timeouts.between_msgs_secs,
        }
    }
}

/// One `[provider."…"]` block.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderBlock {
    /// Provider name (the mask).
    pub name: String,
    /// The MX rule it comes from.
    pub rule: usize,
    /// Its `match` list.
    pub matches: Vec<ProviderMatch>,
    /// Its settings.
    pub params: PathParams,
    /// Its `automation` rules.
    pub automation: Vec<AutomationRule>,
}

/// The `["default"]` block.
#[derive(Clone, Debug, PartialEq)]
pub struct DefaultBlock {
    /// The MX rule it comes from.
    pub rule: usize,
    /// Its settings.
    pub params: PathParams,
    /// Its `automation` rules.
    pub automation: Vec<AutomationRule>,
}

/// Everything the shaping file will hold, providers in bouncelab's rule order.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapingPlan {
    /// The level exported.
    pub level: ThroughputLevel,
    /// Rule-set name, for the header.
    pub source: String,
    /// The catch-all, when the rules have one.
    pub default: Option<DefaultBlock>,
    /// One block per exported rule, in rule order (written reversed).
    pub providers: Vec<ProviderBlock>,
}

/// Finds a level by the rule set's own level names, ACC's names or its number.
pub fn find_level(doc: &RuleSet, name: &str) -> Option<ThroughputLevel> {
    let norm = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    doc.level_names.iter().position(|l| norm(l) == norm(name)).map(|i| ThroughputLevel::ALL[i]).or_else(|| ThroughputLevel::parse(name))
}

/// Builds the plan of `doc`'s MX rules at `level`; rules KumoMTA cannot take
/// are reported and skipped.
pub fn plan(doc: &RuleSet, level: ThroughputLevel) -> (ShapingPlan, Vec<RuleIssue>) {
    let mut problems = Vec::new();
    let mut default = None;
    let mut providers: Vec<ProviderBlock> = Vec::new();
    for (i, rule) in doc.mx_rules.iter().enumerate() {
        let name = rule.mask.as_str();
        if let Some(p) = crate::engine::mx::mask_problem(name) {
            problems.push(RuleIssue::rule(i, name, p, true));
            continue;
        }
        if default.is_some() {
            problems.push(RuleIssue::rule(i, name, tr("export.mx_after_catch_all"), true));
            continue;
        }
        if rule.ids.is_some() {
            problems.push(RuleIssue::rule(i, name, tr("export.mx_ids"), false));
        }
        let params = PathParams::of(rule, level);
        let m = match mask_form(name) {
            MaskForm::Default => {
                if rule.shared {
                    problems.push(RuleIssue::rule(i, name, tr("export.mx_default_shared"), false));
                }
                default = Some(DefaultBlock { rule: i, params, automation: Vec::new() });
                continue;
            }
            MaskForm::Exact(m) => m,
            MaskForm::Nearest(m) => {
                let ProviderMatch::MxSuffix(s) = &m else { unreachable!("nearest forms are suffixes") };
                problems.push(RuleIssue::rule(i, name, tr_fmt("export.mx_nearest", &[("suffix", s)]), false));
                m
            }
            MaskForm::None => {
                problems.push(RuleIssue::rule(i, name, tr("export.mx_no_form"), true));
                continue;
            }
        };
        // Two masks with the same form would make one block; keep the first (it wins in bouncelab).
        if providers.iter().any(|p| p.matches.contains(&m)) {
            problems.push(RuleIssue::rule(i, name, tr("export.mx_same_form"), true));
            continue;
        }
        providers.push(ProviderBlock { name: name.to_owned(), rule: i, matches: vec![m], params, automation: Vec::new() });
    }
    (ShapingPlan { level, source: doc.name.clone(), default, providers }, problems)
}

/// Writes the plan as a KumoMTA shaping file.
pub fn to_toml(plan: &ShapingPlan) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "# KumoMTA traffic shaping exported by bouncelab from '{}', level {}.\n",
        plan.source.replace('\n', " "),
        plan.level.label()
    ));
    t.push_str("# Load it with the shaping helper (policy-extras.shaping), after KumoMTA's own shaping files.\n");
    t.push_str("# KumoMTA merges every provider block that matches a domain, later blocks winning: the blocks are\n");
    t.push_str("# in reverse rule order so that bouncelab's first matching MX rule wins. A provider matches a\n");
    t.push_str("# domain only when all of the domain's MX hosts match (bouncelab decides per MX host).\n");
    t.push_str("# bouncelab's session timeout has no KumoMTA equivalent and is not exported.\n");
    if let Some(d) = &plan.default {
        t.push_str(&format!("\n# MX rule #{}: *\n[\"default\"]\n", d.rule + 1));
        params_toml(&mut t, &d.params, false);
        automation_toml(&mut t, "[[\"default\".automation]]", &d.automation);
    }
    for p in plan.providers.iter().rev() {
        let key = super::kumomta::toml_string(&p.name);
        t.push_str(&format!("\n# MX rule #{}: {}\n[provider.{key}]\n", p.rule + 1, p.name.replace('\n', " ")));
        let matches: Vec<String> = p
            .matches
            .iter()
            .map(|m| {
                let (k, v) = match m {
                    ProviderMatch::MxSuffix(s) => ("MXSuffix", s),
                    ProviderMatch::HostName(s) => ("HostName", s),
                    ProviderMatch::DomainSuffix(s) => ("DomainSuffix", s),
                };
                format!("{{{k} = {}}}", super::kumomta::toml_string(v))
            })
            .collect();
        t.push_str(&format!("match = [{}]\n", matches.join(", ")));
        params_toml(&mut t, &p.params, true);
        automation_toml(&mut t, &format!("[[provider.{key}.automation]]"), &p.automation);
    }
    t
}

fn params_toml(t: &mut String, p: &PathParams, provider: bool) {
    // Shared limits are provider-wide in KumoMTA; per-IP ones belong to each egress path.
    if p.shared && provider {
        t.push_str(&format!("provider_connection_limit = {}\n", p.connections));
        t.push_str(&format!("provider_max_message_rate = \"{}/h\"\n", p.per_hour));
    } else {
        t.push_str(&format!("connection_limit = {}\n", p.connections));
        t.push_str(&format!("max_message_rate = \"{}/h\"\n", p.per_hour));
    }
    t.push_str(&format!("max_deliveries_per_connection = {}\n", p.per_connection));
    if let Some(tls) = p.tls {
        t.push_str(&format!("enable_tls = \"{tls}\"\n"));
    }
    t.push_str(&format!("connect_timeout = \"{}s\"\n", p.connect_secs));
    t.push_str(&format!("idle_timeout = \"{}s\"\n", p.idle_secs));
}

fn automation_toml(t: &mut String, header: &str, rules: &[AutomationRule]) {
    for r in rules {
        t.push_str(&format!("\n{header}\n"));
        let regex: Vec<String> = r.regex.iter().map(|x| super::kumomta::toml_string(x)).collect();
        t.push_str(&format!("regex = [{}]\n", regex.join(", ")));
        let actions: Vec<String> = r.actions.iter().map(action_toml).collect();
        match actions.as_slice() {
            [one] => t.push_str(&format!("action = {one}\n")),
            many => t.push_str(&format!("action = [{}]\n", many.join(", "))),
        }
        match &r.threshold {
            None => t.push_str("trigger = \"Immediate\"\n"),
            Some(th) => t.push_str(&format!("trigger = {{Threshold = {}}}\n", super::kumomta::toml_string(th))),
        }
        t.push_str(&format!("duration = {}\n", super::kumomta::toml_string(&r.duration)));
    }
}

/// One action as KumoMTA writes it: `"Suspend"` or `{SetConfig = {name, value}}`.
fn action_toml(a: &AutomationAction) -> String {
    match a {
        AutomationAction::Suspend => "\"Suspend\"".to_owned(),
        AutomationAction::SetConfig { name, value } => {
            format!("{{SetConfig = {{name = {}, value = {value}}}}}", super::kumomta::toml_string(name))
        }
    }
}

/// Puts a scenario's reactions into the blocks of `plan` as `automation`
/// rules: a provider's reaction in its MX rule's block, a reaction on every
/// provider (or on one under the catch-all) in `["default"]`. Returns what
/// KumoMTA's form could not keep, one issue per reaction and note.
pub fn add_reactions(plan: &mut ShapingPlan, doc: &RuleSet, scenario: &Scenario) -> Vec<RuleIssue> {
    let (rules, notes) = kumomta_automation::reaction_rules(scenario, doc, plan.level);
    let issue = |i: usize, message: String, skipped: bool| {
        let name = scenario.reactions.get(i).map_or("", |r| r.name.as_str());
        RuleIssue {
            rule: None,
            name: name.to_owned(),
            message: tr_fmt("rampup_react.kumo_reaction", &[("name", &name), ("message", &message)]),
            skipped,
            kind: Default::default(),
        }
    };
    let mut issues: Vec<RuleIssue> = notes.iter().map(|(i, n)| issue(*i, n.message(), n.skipped())).collect();
    for r in rules {
        let block = match r.mx_rule {
            Some(k) => plan.providers.iter_mut().find(|p| p.rule == k).map(|p| &mut p.automation),
            None => plan.default.as_mut().map(|d| &mut d.automation),
        };
        let Some(list) = block else {
            let why = if r.mx_rule.is_some() { "rampup_react.kumo_no_block" } else { "rampup_react.kumo_no_default" };
            issues.push(issue(r.reaction, tr(why).to_owned(), true));
            continue;
        };
        list.push(AutomationRule { regex: r.regex, actions: r.actions, threshold: r.threshold, duration: r.duration });
    }
    issues
}

/// Exports `doc`'s MX rules at `level` as KumoMTA traffic shaping.
pub fn export(doc: &RuleSet, level: ThroughputLevel) -> Export {
    let (plan, problems) = plan(doc, level);
    Export { text: to_toml(&plan), more_files: Vec::new(), problems }
}

/// [`export`] with `scenario`'s reactions as the blocks' `automation` rules.
pub fn export_with_reactions(doc: &RuleSet, level: ThroughputLevel, scenario: &Scenario) -> Export {
    let (mut plan, mut problems) = plan(doc, level);
    problems.extend(add_reactions(&mut plan, doc, scenario));
    Export { text: to_toml(&plan), more_files: Vec::new(), problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_in_kumomta_terms() {
        let sfx = |s: &str| ProviderMatch::MxSuffix(s.into());
        assert_eq!(mask_form("*"), MaskForm::Default);
        assert_eq!(mask_form("*.Google.com"), MaskForm::Exact(sfx(".google.com")));
        assert_eq!(mask_form("*gmail-smtp-in.l.google.com"), MaskForm::Exact(sfx("gmail-smtp-in.l.google.com")));
        assert_eq!(mask_form("mx1.free.fr"), MaskForm::Exact(ProviderMatch::HostName("mx1.free.fr".into())));
        assert_eq!(mask_form("mx?.free.fr"), MaskForm::Nearest(sfx(".free.fr")));
        assert_eq!(mask_form("mx*x.mail.example.net"), MaskForm::Nearest(sfx(".mail.example.net")));
        assert_eq!(mask_form("*.mail.*.com"), MaskForm::None);
        assert_eq!(mask_form("mx?"), MaskForm::None);
    }
}
