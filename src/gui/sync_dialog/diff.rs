//! How a sync report reads: one line a change, field by field details, the
//! side-by-side view of a conflict, and the effect on examples.

use std::borrow::Cow;
use std::collections::BTreeSet;

use egui::{RichText, Ui};

use crate::engine::diff::ReplayDiff;
use crate::engine::lint::shorten;
use crate::engine::sync::{Change, ChangeId, ChangeKind, ConflictKind, Item, ItemKind};
use crate::i18n::{tr, tr_fmt};

/// Adds or removes a change from the selection.
pub(super) fn toggle(sel: &mut BTreeSet<ChangeId>, id: &ChangeId, on: bool) {
    if on {
        sel.insert(id.clone());
    } else {
        sel.remove(id);
    }
}

/// The item a change is about, e.g. "rule 'full'" or "MX '*.free.fr'".
pub(super) fn item_label(id: &ChangeId) -> String {
    let kind = match id.kind {
        ItemKind::Bounce => tr("sync.kind_rule"),
        ItemKind::Mx => tr("sync.kind_mx"),
    };
    tr_fmt("sync.item", &[("kind", &kind), ("key", &id.key)])
}

/// Why an item is a conflict (the engine's `describe`, translated).
fn conflict_reason(k: ConflictKind) -> &'static str {
    match k {
        ConflictKind::BothChanged => tr("sync.why_both_changed"),
        ConflictKind::ChangedLocallyRemovedUpstream => tr("sync.why_changed_removed"),
        ConflictKind::RemovedLocallyChangedUpstream => tr("sync.why_removed_changed"),
        ConflictKind::NoBase => tr("sync.why_no_base"),
    }
}

/// One line naming a change in plain words.
pub(super) fn change_title(c: &Change) -> String {
    let item = item_label(&c.id);
    match &c.kind {
        ChangeKind::Added => tr_fmt("sync.added", &[("item", &item)]),
        ChangeKind::Removed => tr_fmt("sync.removed", &[("item", &item)]),
        ChangeKind::Changed => tr_fmt("sync.changed", &[("item", &item)]),
        ChangeKind::Moved { after: Some(a) } => tr_fmt("sync.moved_after", &[("item", &item), ("after", a)]),
        ChangeKind::Moved { after: None } => tr_fmt("sync.moved_first", &[("item", &item)]),
        ChangeKind::Conflict(k) => tr_fmt("sync.conflict", &[("item", &item), ("why", &conflict_reason(*k))]),
    }
}

/// A field name of the engine's field by field diff (and of [`item_fields`]),
/// in the current language; others (the rule set's level names) pass through.
fn field_label(f: &str) -> Cow<'_, str> {
    let key = match f {
        "name" => "sync.f_name",
        "pattern" => "sync.f_pattern",
        "category" => "sync.f_category",
        "reason" => "sync.f_reason",
        "failure type" => "sync.f_failure_type",
        "status" => "sync.f_status",
        "enabled" => "sync.f_enabled",
        "examples" => "sync.f_examples",
        "must-match" => "sync.f_must_match",
        "must-not-match" => "sync.f_must_not_match",
        "note" => "sync.f_note",
        "mask" => "sync.f_mask",
        "ids" => "sync.f_ids",
        "shared" => "sync.f_shared",
        "timeouts" => "sync.f_timeouts",
        "connect timeout" => "sync.f_connect",
        "session timeout" => "sync.f_session",
        "wait between messages" => "sync.f_between",
        "TLS" => "sync.f_tls",
        _ => {
            // Per level limits: "<level name> connections" and so on.
            let per_level =
                [(" connections", "sync.f_level_conn"), (" msgs/connection", "sync.f_level_msgs"), (" msgs/hour", "sync.f_level_hour")];
            return per_level
                .into_iter()
                .find_map(|(suffix, key)| f.strip_suffix(suffix).map(|level| Cow::Owned(tr_fmt(key, &[("level", &level)]))))
                .unwrap_or(Cow::Borrowed(f));
        }
    };
    Cow::Borrowed(tr(key))
}

/// Field by field details under a change's checkbox.
pub(super) fn change_detail(ui: &mut Ui, c: &Change, i: usize, levels: &[String; 6]) {
    match (&c.kind, &c.upstream) {
        (ChangeKind::Added, Some(item)) => {
            let fields = item_fields(item, levels);
            let short: Vec<String> = fields.iter().take(3).map(|(f, v)| format!("{}: {v}", field_label(f))).collect();
            ui.weak(short.join("   "));
        }
        (ChangeKind::Changed, _) => {
            egui::Grid::new(("sync_fields", i)).num_columns(3).spacing([16.0, 2.0]).show(ui, |ui| {
                for f in &c.fields {
                    ui.label(field_label(&f.field));
                    // Long patterns are cut around where they differ, so the change shows.
                    let at = first_diff(&f.old, &f.new);
                    ui.label(RichText::new(window(&f.old, at, 60)).monospace().weak());
                    ui.label(RichText::new(format!("→ {}", window(&f.new, at, 60))).monospace());
                    ui.end_row();
                }
            });
        }
        _ => {}
    }
}

/// Base, local and upstream versions in columns; cells where upstream
/// differs from the local version are highlighted.
pub(super) fn side_by_side(ui: &mut Ui, c: &Change, i: usize, levels: &[String; 6]) {
    let cols: Vec<Vec<(String, String)>> =
        [&c.base, &c.local, &c.upstream].iter().map(|s| s.as_ref().map(|it| item_fields(it, levels)).unwrap_or_default()).collect();
    let names: Vec<String> = cols.iter().max_by_key(|c| c.len()).map(|c| c.iter().map(|(f, _)| f.clone()).collect()).unwrap_or_default();
    let value = |col: usize, f: &str| cols[col].iter().find(|(n, _)| n == f).map(|(_, v)| v.clone());
    let missing = [tr("sync.missing_base"), tr("sync.missing_local"), tr("sync.missing_upstream")];
    egui::Grid::new(("sync_conflict", i)).num_columns(4).striped(true).spacing([16.0, 2.0]).show(ui, |ui| {
        ui.strong(tr("sync.col_field"));
        for h in [tr("sync.col_base"), tr("sync.col_local"), tr("sync.col_upstream")] {
            ui.strong(h);
        }
        ui.end_row();
        for f in &names {
            ui.label(field_label(f));
            let local = value(1, f);
            let vals: Vec<String> = (0..3).filter_map(|c| value(c, f)).collect();
            let at = vals.windows(2).map(|w| first_diff(&w[0], &w[1])).min().unwrap_or(0);
            for (col, miss) in missing.iter().enumerate() {
                let v = value(col, f);
                let shown = v.as_deref().map_or_else(|| (*miss).to_owned(), |v| window(v, at, 44));
                let mut text = RichText::new(shown).monospace();
                if col == 2 && v != local {
                    text = text.color(ui.visuals().warn_fg_color).strong();
                }
                ui.label(text);
            }
            ui.end_row();
        }
    });
}

/// Every field of a rule as (name, value) for the side-by-side view; names are
/// the engine's diff field names ([`field_label`] shows them).
fn item_fields(item: &Item, levels: &[String; 6]) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut push = |f: &str, val: String| v.push((f.to_owned(), val));
    match item {
        Item::Bounce(r) => {
            push("pattern", r.pattern.clone());
            push("category", r.category.clone());
            push("reason", r.reason.clone().unwrap_or_else(|| "-".into()));
            push("failure type", r.failure_type.map_or("-", |t| t.display_label()).to_owned());
            push("status", r.status.display_label().to_owned());
            push("enabled", r.enabled.to_string());
            push("examples", tr_fmt("sync.v_examples", &[("must", &r.must_match.len()), ("must_not", &r.must_not_match.len())]));
            push("note", r.note.clone());
        }
        Item::Mx(m) => {
            push("mask", m.mask.clone());
            push("ids", m.ids.map_or_else(|| tr("mx.ids_all").to_owned(), |r| format!("{}-{}", r.first, r.last)));
            push("shared", m.shared.to_string());
            for (name, l) in levels.iter().zip(&m.levels) {
                let limits = tr_fmt(
                    "sync.v_limits",
                    &[("conn", &l.max_connections), ("msgs", &l.max_msgs_per_connection), ("hour", &l.msgs_per_hour)],
                );
                push(name, limits);
            }
            let t = m.timeouts;
            push("timeouts", format!("{} s / {} s / {} s", t.connect_secs, t.session_secs, t.between_msgs_secs));
            push("TLS", m.tls.display_label().to_owned());
            push("note", m.note.clone());
        }
    }
    v
}

/// Index (in chars) of the first difference of two texts.
fn first_diff(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Up to `n` chars of `s` around char `at`, with ellipses where cut.
fn window(s: &str, at: usize, n: usize) -> String {
    let len = s.chars().count();
    if len <= n {
        return s.to_owned();
    }
    let start = at.saturating_sub(n / 3).min(len - n);
    let mut out: String = s.chars().skip(start).take(n).collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if start + n < len {
        out.push('…');
    }
    out
}

/// How verdicts of the examples (and the tester / batch texts) would change.
pub(super) fn effect_ui(ui: &mut Ui, effect: Option<&ReplayDiff>) {
    let Some(e) = effect else { return };
    ui.add_space(8.0);
    ui.heading(tr("sync.effect_heading"));
    if e.changed == 0 {
        ui.label(tr_fmt("sync.effect_none", &[("total", &e.total)]));
        return;
    }
    ui.label(tr_fmt("sync.effect_some", &[("changed", &e.changed), ("total", &e.total)]));
    for g in &e.groups {
        ui.label(RichText::new(format!("{} x  {}  →  {}", g.count, g.old, g.new)).strong());
        for ex in g.examples.iter().take(3) {
            ui.indent("ex", |ui| ui.weak(shorten(ex, 110)));
        }
    }
}
