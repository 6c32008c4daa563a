//! Applying selected changes, the next base, and the effect on examples.

use std::collections::{HashMap, HashSet};

use super::{Change, ChangeId, SyncItem, SyncReport, SyncStatus, keys};
use crate::engine::classify::Classifier;
use crate::engine::diff::{ReplayDiff, replay_diff};
use crate::engine::ruleset::RuleSet;

/// The document with the selected changes applied, in one step (the GUI
/// records it as one undo step). Conflicts are applied only when their id is
/// selected ("take upstream"). New and moved rules go next to their upstream
/// neighbours so first-match order keeps its meaning. An accepted bounce rule
/// whose category or reason the document lacks brings upstream's definition
/// along, so it never refers to nothing. In custom mode nothing is applied.
pub fn apply(local: &RuleSet, report: &SyncReport, selection: &[ChangeId]) -> RuleSet {
    let mut doc = local.clone();
    if report.status == SyncStatus::CustomMode || local.custom_mode {
        return doc;
    }
    let sel: HashSet<&ChangeId> = selection.iter().collect();
    let picked: Vec<&Change> = report.changes.iter().filter(|c| sel.contains(&c.id)).collect();
    apply_list(&mut doc.bounce_rules, &report.upstream.bounce_rules, &picked);
    apply_list(&mut doc.mx_rules, &report.upstream.mx_rules, &picked);
    copy_definitions(&mut doc, &report.upstream, &picked);
    doc
}

fn apply_list<T: SyncItem>(list: &mut Vec<T>, upstream: &[T], picked: &[&Change]) {
    let up_keys = keys(upstream);
    let up: HashMap<&str, &T> = up_keys.iter().map(String::as_str).zip(upstream).collect();
    let mut place: HashSet<&str> = HashSet::new();
    for c in picked.iter().filter(|c| c.id.kind == T::KIND) {
        let key = c.id.key.as_str();
        let at = keys(list).iter().position(|k| k == key);
        match (c.id.moved, at, up.get(key)) {
            (true, Some(_), Some(_)) => {
                place.insert(key);
            }
            (true, ..) => {}
            // Changed, or a conflict taken from upstream: replaced in place.
            (false, Some(i), Some(u)) => list[i] = (*u).clone(),
            (false, Some(i), None) => {
                list.remove(i);
            }
            (false, None, Some(_)) => {
                place.insert(key);
            }
            (false, None, None) => {}
        }
    }
    // In upstream order, so a run of new rules chains after the same neighbour.
    for (pos, key) in up_keys.iter().enumerate() {
        if !place.contains(key.as_str()) {
            continue;
        }
        // A moved rule keeps its (local) content; only its position changes.
        let item = match keys(list).iter().position(|k| k == key) {
            Some(i) => list.remove(i),
            None => up[key.as_str()].clone(),
        };
        let at = neighbour_slot(&keys(list), &up_keys, pos).unwrap_or_else(|| {
            // No neighbour at all: before a trailing catch-all, else last.
            let before_catch_all = list.last().is_some_and(T::is_catch_all) && !item.is_catch_all();
            list.len() - usize::from(before_catch_all)
        });
        list.insert(at, item);
    }
}

/// Where to insert the item at `reference[pos]` into `present`: right after
/// its nearest preceding reference neighbour present, else right before its
/// nearest following one; `None` when no neighbour is present.
fn neighbour_slot(present: &[String], reference: &[String], pos: usize) -> Option<usize> {
    let at: HashMap<&str, usize> = present.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let find = |k: &String| at.get(k.as_str()).copied();
    reference[..pos.min(reference.len())]
        .iter()
        .rev()
        .find_map(find)
        .map(|i| i + 1)
        .or_else(|| reference.get(pos + 1..).unwrap_or_default().iter().find_map(find))
}

fn copy_definitions(doc: &mut RuleSet, upstream: &RuleSet, picked: &[&Change]) {
    for c in picked {
        let Some(super::Item::Bounce(rule)) = &c.upstream else { continue };
        if !doc.bounce_rules.iter().any(|r| r.name == rule.name) {
            continue;
        }
        if doc.category(&rule.category).is_none()
            && let Some(cat) = upstream.category(&rule.category)
        {
            doc.categories.push(cat.clone());
        }
        let reasons = [doc.category(&rule.category).map(|c| c.reason.clone()), rule.reason.clone()];
        for id in reasons.into_iter().flatten() {
            if doc.reason(&id).is_none()
                && let Some(r) = upstream.reason(&id)
            {
                doc.reasons.push(r.clone());
            }
        }
    }
}

/// See [`SyncReport::next_base`]. `None` in custom mode (nothing to save).
pub(super) fn next_base(report: &SyncReport, selection: &[ChangeId]) -> Option<RuleSet> {
    if report.status == SyncStatus::CustomMode {
        return None;
    }
    let sel: HashSet<&ChangeId> = selection.iter().collect();
    let old = report.base.as_ref();
    let mut base = report.upstream.clone();
    // The base is a snapshot of upstream, not a document that syncs itself.
    base.upstream = None;
    base.custom_mode = false;
    base.bounce_rules = base_list(&report.upstream.bounce_rules, old.map(|b| b.bounce_rules.as_slice()), &report.changes, &sel);
    base.mx_rules = base_list(&report.upstream.mx_rules, old.map(|b| b.mx_rules.as_slice()), &report.changes, &sel);
    Some(base)
}

fn base_list<T: SyncItem>(upstream: &[T], old: Option<&[T]>, changes: &[Change], sel: &HashSet<&ChangeId>) -> Vec<T> {
    let old = old.unwrap_or_default();
    let old_keys = keys(old);
    let old_map: HashMap<&str, &T> = old_keys.iter().map(String::as_str).zip(old).collect();
    let mine = |moved: bool| changes.iter().filter(move |c| c.id.kind == T::KIND && c.id.moved == moved);
    let declined: HashMap<&str, &Change> = mine(false).filter(|c| !sel.contains(&c.id)).map(|c| (c.id.key.as_str(), c)).collect();
    let kept_moves: HashSet<&str> = mine(true).filter(|c| !sel.contains(&c.id)).map(|c| c.id.key.as_str()).collect();
    let up_keys = keys(upstream);
    let mut out: Vec<(String, T)> = Vec::new();
    // Items that keep their old base position: declined moves and removals.
    let mut later: Vec<(String, T)> = Vec::new();
    for (k, u) in up_keys.iter().zip(upstream) {
        let v = if declined.contains_key(k.as_str()) { old_map.get(k.as_str()).map(|b| (*b).clone()) } else { Some(u.clone()) };
        let Some(v) = v else { continue };
        if kept_moves.contains(k.as_str()) && old_map.contains_key(k.as_str()) {
            later.push((k.clone(), v));
        } else {
            out.push((k.clone(), v));
        }
    }
    let up_set: HashSet<&str> = up_keys.iter().map(String::as_str).collect();
    for (k, b) in old_keys.iter().zip(old) {
        if !up_set.contains(k.as_str()) && declined.contains_key(k.as_str()) {
            later.push((k.clone(), b.clone()));
        }
    }
    let old_pos: HashMap<&str, usize> = old_keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    later.sort_by_key(|(k, _)| old_pos.get(k.as_str()).copied().unwrap_or(usize::MAX));
    for (k, v) in later {
        let present: Vec<String> = out.iter().map(|(k, _)| k.clone()).collect();
        let pos = old_pos.get(k.as_str()).copied().unwrap_or(old_keys.len());
        let at = neighbour_slot(&present, &old_keys, pos).unwrap_or(out.len());
        out.insert(at, (k, v));
    }
    out.into_iter().map(|(_, v)| v).collect()
}

/// How the verdicts of every must-match example (of the document and of the
/// result) and of `extra_lines` change if `selection` were applied, grouped
/// old → new (same shape as the replay diff).
pub fn effect_on_examples(local: &RuleSet, report: &SyncReport, selection: &[ChangeId], extra_lines: &[String]) -> ReplayDiff {
    let after = apply(local, report, selection);
    let mut seen = HashSet::new();
    let lines: Vec<&str> = local
        .bounce_rules
        .iter()
        .chain(&after.bounce_rules)
        .flat_map(|r| &r.must_match)
        .chain(extra_lines)
        .map(String::as_str)
        .filter(|l| seen.insert(*l))
        .collect();
    replay_diff(&Classifier::new(local), &Classifier::new(&after), &lines, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn slot_prefers_the_preceding_neighbour() {
        let reference = s(&["a", "b", "c"]);
        assert_eq!(neighbour_slot(&s(&["x", "a", "c"]), &reference, 1), Some(2));
        assert_eq!(neighbour_slot(&s(&["x", "c"]), &reference, 1), Some(1));
        assert_eq!(neighbour_slot(&s(&["x"]), &reference, 1), None);
        assert_eq!(neighbour_slot(&s(&["x"]), &reference, 9), None);
    }
}
