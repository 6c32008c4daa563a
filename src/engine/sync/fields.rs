//! Field-by-field differences of two versions of a rule, as readable text.

use crate::engine::mx::{IdRange, MxRule};
use crate::engine::ruleset::BounceRule;

/// One field that differs: `pattern: 'a' -> 'b'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Field name as users know it, e.g. `pattern`, `Normal msgs/hour`.
    pub field: String,
    /// Value before (the document's, or the base's for a deleted item).
    pub old: String,
    /// Value upstream.
    pub new: String,
}

impl std::fmt::Display for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} -> {}", self.field, self.old, self.new)
    }
}

struct Fields(Vec<FieldChange>);

impl Fields {
    fn cmp<V: PartialEq>(&mut self, field: &str, old: &V, new: &V, show: impl Fn(&V) -> String) {
        if old != new {
            self.0.push(FieldChange { field: field.to_owned(), old: show(old), new: show(new) });
        }
    }
}

fn quoted(s: &String) -> String {
    format!("'{s}'")
}

fn opt<T: std::fmt::Debug>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".to_owned(), |v| format!("{v:?}"))
}

fn examples(v: &[String]) -> String {
    format!("{} example{}", v.len(), if v.len() == 1 { "" } else { "s" })
}

/// Differences between two bounce rules.
pub(super) fn bounce(old: &BounceRule, new: &BounceRule) -> Vec<FieldChange> {
    let mut f = Fields(Vec::new());
    f.cmp("name", &old.name, &new.name, quoted);
    f.cmp("pattern", &old.pattern, &new.pattern, quoted);
    f.cmp("category", &old.category, &new.category, String::clone);
    f.cmp("reason", &old.reason, &new.reason, |r| r.clone().unwrap_or_else(|| "-".into()));
    f.cmp("failure type", &old.failure_type, &new.failure_type, opt);
    f.cmp("status", &old.status, &new.status, |s| s.label().to_owned());
    f.cmp("enabled", &old.enabled, &new.enabled, bool::to_string);
    // The lists can be long: say how they changed rather than print them.
    if old.must_match != new.must_match {
        let added = new.must_match.iter().filter(|e| !old.must_match.contains(e)).count();
        let removed = old.must_match.iter().filter(|e| !new.must_match.contains(e)).count();
        f.0.push(FieldChange {
            field: "must-match".into(),
            old: examples(&old.must_match),
            new: format!("{} (+{added} -{removed})", examples(&new.must_match)),
        });
    }
    f.cmp("must-not-match", &old.must_not_match, &new.must_not_match, |v| examples(v));
    f.cmp("note", &old.note, &new.note, quoted);
    f.0
}

/// Differences between two MX rules; limits per level and per number.
pub(super) fn mx(old: &MxRule, new: &MxRule, level_names: &[String; 6]) -> Vec<FieldChange> {
    let mut f = Fields(Vec::new());
    f.cmp("mask", &old.mask, &new.mask, quoted);
    let ids = |r: &Option<IdRange>| r.map_or_else(|| "all".to_owned(), |r| format!("{}-{}", r.first, r.last));
    f.cmp("ids", &old.ids, &new.ids, ids);
    f.cmp("shared", &old.shared, &new.shared, bool::to_string);
    for (i, name) in level_names.iter().enumerate() {
        let (o, n) = (old.levels[i], new.levels[i]);
        f.cmp(&format!("{name} connections"), &o.max_connections, &n.max_connections, u32::to_string);
        f.cmp(&format!("{name} msgs/connection"), &o.max_msgs_per_connection, &n.max_msgs_per_connection, u32::to_string);
        f.cmp(&format!("{name} msgs/hour"), &o.msgs_per_hour, &n.msgs_per_hour, u32::to_string);
    }
    let (o, n) = (old.timeouts, new.timeouts);
    f.cmp("connect timeout", &o.connect_secs, &n.connect_secs, |s| format!("{s} s"));
    f.cmp("session timeout", &o.session_secs, &n.session_secs, |s| format!("{s} s"));
    f.cmp("wait between messages", &o.between_msgs_secs, &n.between_msgs_secs, |s| format!("{s} s"));
    f.cmp("TLS", &old.tls, &new.tls, |t| t.label().to_owned());
    f.cmp("note", &old.note, &new.note, quoted);
    f.0
}
