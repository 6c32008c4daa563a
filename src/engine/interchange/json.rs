//! JSON: the bounce rules as serde writes them, lossless.

use super::{Export, Import, ImportError, RuleIssue};
use crate::engine::ruleset::{BounceRule, RuleSet};
use crate::i18n::{tr, tr_fmt};

/// Exports every bounce rule as a pretty JSON array.
pub fn export(doc: &RuleSet) -> Export {
    match serde_json::to_string_pretty(&doc.bounce_rules) {
        Ok(mut text) => {
            text.push('\n');
            Export { more_files: Vec::new(), text, problems: Vec::new() }
        }
        // Plain data never fails to serialise; report rather than panic if it ever does.
        Err(e) => Export {
            text: String::new(),
            more_files: Vec::new(),
            problems: vec![RuleIssue::file(tr_fmt("interchange.writer_failed", &[("format", &"JSON"), ("error", &e)]))],
        },
    }
}

/// Imports a JSON array of rules, or an object with a `bounce_rules` array (a
/// whole rule set). A malformed rule is reported by index and skipped.
pub fn import(text: &str, base: &RuleSet) -> Result<Import, ImportError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ImportError::Syntax { format: "JSON", line: Some(e.line()), message: e.to_string() })?;
    let items = match value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(mut o) => match o.remove("bounce_rules") {
            Some(serde_json::Value::Array(a)) => a,
            _ => {
                return Err(ImportError::Syntax { format: "JSON", line: None, message: tr("interchange.json_expected_rules").into() });
            }
        },
        _ => {
            return Err(ImportError::Syntax { format: "JSON", line: None, message: tr("interchange.json_expected_array").into() });
        }
    };
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let name = item.get("name").and_then(|n| n.as_str()).unwrap_or("").to_owned();
        match serde_json::from_value::<BounceRule>(item) {
            Ok(rule) => {
                for note in check_rule(&rule, base) {
                    problems.push(RuleIssue::rule(i, &rule.name, note, false));
                }
                rules.push(rule);
            }
            Err(e) => problems.push(RuleIssue::rule(i, &name, e.to_string(), true)),
        }
    }
    Ok(Import { rules, problems })
}

/// What the classifier would object to in a rule of our own formats. The rule
/// is still imported (bouncelab files may hold unfinished rules; lint shows them).
pub(crate) fn check_rule(rule: &BounceRule, base: &RuleSet) -> Vec<String> {
    let mut out = Vec::new();
    if base.category(&rule.category).is_none() {
        out.push(tr_fmt("engine.unknown_category", &[("id", &rule.category)]));
    }
    if let Some(r) = rule.reason.as_deref().filter(|r| base.reason(r).is_none()) {
        out.push(tr_fmt("engine.unknown_reason", &[("id", &r)]));
    }
    if rule.pattern.trim().is_empty() {
        out.push(tr("interchange.empty_pattern").into());
    } else if let Err(e) = crate::engine::classify::compile_pattern(&rule.pattern) {
        out.push(e.to_string());
    }
    out
}
