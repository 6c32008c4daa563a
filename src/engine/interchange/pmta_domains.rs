//! MX rules at one throughput level as PowerMTA `<domain>` blocks.
//!
//! PowerMTA picks the `<domain>` block of the recipient domain (an exact name
//! before a `*.suffix` wildcard, `<domain *>` for the rest), while bouncelab's
//! masks name MX hosts: a mask such as `*.google.com` covers the domains whose
//! mail Google's MX hosts take only once PowerMTA routes those domains to it
//! (`queue-to` / MX rollup). The header of the file says so; the limits are
//! the rule's own.

use super::shaping::{MaskForm, PathParams, ProviderMatch, mask_form};
use super::{Export, RuleIssue};
use crate::engine::mx::ThroughputLevel;
use crate::engine::ruleset::RuleSet;
use crate::i18n::{tr, tr_fmt};

/// The `<domain>` name of a mask, with the nearest-form note when it is not exact.
fn domain_name(mask: &str) -> Result<(String, Option<String>), String> {
    match mask_form(mask) {
        MaskForm::Default => Ok(("*".into(), None)),
        MaskForm::Exact(ProviderMatch::HostName(h)) => Ok((h, None)),
        // PowerMTA's wildcard is a whole leading label: `*.google.com`, not `*google.com`.
        MaskForm::Exact(ProviderMatch::MxSuffix(s)) if s.starts_with('.') => Ok((format!("*{s}"), None)),
        MaskForm::Exact(ProviderMatch::MxSuffix(s)) | MaskForm::Nearest(ProviderMatch::MxSuffix(s)) => {
            let dot = s.find('.').map_or(s.as_str(), |d| &s[d..]);
            if dot.trim_start_matches('.').split('.').filter(|l| !l.is_empty()).count() < 2 {
                return Err(tr("export.mx_no_form").to_owned());
            }
            Ok((format!("*{dot}"), Some(tr_fmt("export.pmta_nearest", &[("domain", &format!("*{dot}"))]))))
        }
        _ => Err(tr("export.mx_no_form").to_owned()),
    }
}

/// PowerMTA's time interval form: `10s`, `4m`, `1h`.
fn interval(secs: u32) -> String {
    match secs {
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Exports `doc`'s MX rules at `level` as PowerMTA `<domain>` blocks, the catch-all last.
pub fn export(doc: &RuleSet, level: ThroughputLevel) -> Export {
    let mut problems = Vec::new();
    let mut t = String::new();
    t.push_str(&format!(
        "# PowerMTA domain settings exported by bouncelab from '{}', level {}.\n",
        doc.name.replace('\n', " "),
        level.label()
    ));
    t.push_str("# bouncelab's masks name MX hosts; PowerMTA's <domain> names recipient domains: route the\n");
    t.push_str("# recipient domains of each provider to these blocks (queue-to / MX rollup) or rename them.\n");
    t.push_str("# bouncelab's session timeout has no PowerMTA equivalent and is not exported.\n");
    let mut seen: Vec<String> = Vec::new();
    for (i, rule) in doc.mx_rules.iter().enumerate() {
        let mask = rule.mask.as_str();
        if let Some(p) = crate::engine::mx::mask_problem(mask) {
            problems.push(RuleIssue::rule(i, mask, p, true));
            continue;
        }
        if seen.iter().any(|s| s == "*") {
            problems.push(RuleIssue::rule(i, mask, tr("export.mx_after_catch_all"), true));
            continue;
        }
        let (name, note) = match domain_name(mask) {
            Ok(x) => x,
            Err(why) => {
                problems.push(RuleIssue::rule(i, mask, why, true));
                continue;
            }
        };
        if let Some(n) = note {
            problems.push(RuleIssue::rule(i, mask, n, false));
        }
        if seen.contains(&name) {
            problems.push(RuleIssue::rule(i, mask, tr("export.mx_same_form"), true));
            continue;
        }
        if rule.ids.is_some() {
            problems.push(RuleIssue::rule(i, mask, tr("export.mx_ids"), false));
        }
        if rule.shared {
            problems.push(RuleIssue::rule(i, mask, tr("export.pmta_shared"), false));
        }
        let p = PathParams::of(rule, level);
        t.push_str(&format!("\n# MX rule #{}: {}\n<domain {name}>\n", i + 1, mask));
        t.push_str(&format!("    max-smtp-out {}\n", p.connections));
        t.push_str(&format!("    max-msg-per-connection {}\n", p.per_connection));
        t.push_str(&format!("    max-msg-rate {}/h\n", p.per_hour));
        match p.tls {
            Some("Disabled") => t.push_str("    use-starttls no\n"),
            Some(_) => t.push_str("    use-starttls yes\n    require-starttls no\n"),
            None => {}
        }
        t.push_str(&format!("    connect-timeout {}\n", interval(p.connect_secs)));
        // PowerMTA caps the idle wait at 10 minutes.
        t.push_str(&format!("    connection-idle-timeout {}\n", interval(p.idle_secs.min(600))));
        t.push_str("</domain>\n");
        seen.push(name);
    }
    Export { text: t, more_files: Vec::new(), problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_intervals() {
        assert_eq!(domain_name("*.google.com").unwrap().0, "*.google.com");
        assert_eq!(domain_name("*").unwrap().0, "*");
        assert_eq!(domain_name("mx1.free.fr").unwrap(), ("mx1.free.fr".into(), None));
        let (n, note) = domain_name("mx?.free.fr").unwrap();
        assert_eq!(n, "*.free.fr");
        assert!(note.is_some());
        assert!(domain_name("*.mail.*.com").is_err());
        assert_eq!((interval(10), interval(240), interval(3600), interval(0)), ("10s".into(), "4m".into(), "1h".into(), "0s".into()));
    }
}
