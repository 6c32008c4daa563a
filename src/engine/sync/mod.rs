//! Rule source sync: a three-way diff between the analyst's document, the
//! upstream rule set it follows, and the *base* (the upstream version last
//! accepted), so that an upstream update never silently overwrites a local edit.
//!
//! Items are keyed by bounce rule **name** and MX rule **mask** (a duplicate
//! gets ` #2`, ` #3`... so nothing is lost from the diff). The base lives next
//! to the document as `<file>.upstream-base.ron`, a plain rule set written
//! atomically: keeping it out of the document keeps the analyst's file
//! readable and lets the base be deleted to force a fresh "first sync".
//!
//! Flow: [`check`] → show the [`SyncReport`] (and [`effect_on_examples`]) →
//! [`apply`] the selected [`ChangeId`]s in one step → save the document and
//! [`save_base`] with [`SyncReport::next_base`].

mod apply;
mod fields;
mod io;

use std::collections::{HashMap, HashSet};

pub use apply::{apply, effect_on_examples};
pub use fields::FieldChange;
pub use io::{SyncError, base_path, load_base, load_upstream, resolve_upstream, save_applied, save_base};

use super::mx::MxRule;
use super::ruleset::{BounceRule, RuleSet};

/// Which list an item lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// `bounce_rules`, keyed by name.
    Bounce,
    /// `mx_rules`, keyed by mask.
    Mx,
}

impl ItemKind {
    /// Word used in messages: "rule" or "MX".
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Bounce => "rule",
            ItemKind::Mx => "MX",
        }
    }
}

/// Identifies one selectable change: the item, and whether it is its content
/// or its position (a rule can have both pending, accepted separately).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChangeId {
    /// Bounce or MX rule.
    pub kind: ItemKind,
    /// Rule name or MX mask (with ` #n` for duplicates).
    pub key: String,
    /// True for a position change (move), false for a content change.
    pub moved: bool,
}

impl std::fmt::Display for ChangeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} '{}'", self.kind.label(), self.key)?;
        if self.moved {
            f.write_str(" (position)")?;
        }
        Ok(())
    }
}

/// A bounce or MX rule, as shown side by side.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A bounce rule.
    Bounce(BounceRule),
    /// An MX rule.
    Mx(MxRule),
}

/// Why an item is a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// Edited locally and changed upstream since the last sync.
    BothChanged,
    /// Edited locally, removed upstream.
    ChangedLocallyRemovedUpstream,
    /// Deleted locally, changed upstream.
    RemovedLocallyChangedUpstream,
    /// No base to tell who changed what (first sync): local and upstream differ.
    NoBase,
}

impl ConflictKind {
    /// A short explanation for the UI.
    pub fn describe(self) -> &'static str {
        match self {
            ConflictKind::BothChanged => "changed locally and upstream",
            ConflictKind::ChangedLocallyRemovedUpstream => "changed locally, removed upstream",
            ConflictKind::RemovedLocallyChangedUpstream => "deleted locally, changed upstream",
            ConflictKind::NoBase => "differs from upstream and there is no previous sync to tell who changed it",
        }
    }
}

/// What upstream did to an item.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeKind {
    /// New upstream.
    Added,
    /// Removed upstream; untouched locally.
    Removed,
    /// Changed upstream; untouched locally.
    Changed,
    /// Upstream moved the item; it now follows this item (`None` = first).
    Moved {
        /// Key of the upstream predecessor.
        after: Option<String>,
    },
    /// Both sides touched it: applied only when selected ("take upstream").
    Conflict(ConflictKind),
}

/// One pending change, with both sides for a side-by-side view.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// What to select to accept it.
    pub id: ChangeId,
    /// What happened.
    pub kind: ChangeKind,
    /// The analyst's version, if the document has the item.
    pub local: Option<Item>,
    /// The upstream version, if upstream has the item.
    pub upstream: Option<Item>,
    /// The version last accepted, if known.
    pub base: Option<Item>,
    /// Field by field, local → upstream (empty for adds, removals and moves).
    pub fields: Vec<FieldChange>,
}

impl Change {
    /// Whether accepting "all" leaves this one out.
    pub fn is_conflict(&self) -> bool {
        matches!(self.kind, ChangeKind::Conflict(_))
    }
}

impl std::fmt::Display for Change {
    /// One line: `+ rule 'X'`, `- rule 'Y'`, `~ rule 'Z': pattern …`, `! conflict …`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = format!("{} '{}'", self.id.kind.label(), self.id.key);
        let fields = || self.fields.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("; ");
        match &self.kind {
            ChangeKind::Added => write!(f, "+ {what}"),
            ChangeKind::Removed => write!(f, "- {what}"),
            ChangeKind::Changed => write!(f, "~ {what}: {}", fields()),
            ChangeKind::Moved { after: Some(a) } => write!(f, "> {what} moved after '{a}'"),
            ChangeKind::Moved { after: None } => write!(f, "> {what} moved to the top"),
            ChangeKind::Conflict(k) if self.fields.is_empty() => write!(f, "! conflict {what}: {}", k.describe()),
            ChangeKind::Conflict(k) => write!(f, "! conflict {what}: {} (upstream: {})", k.describe(), fields()),
        }
    }
}

/// Overall state of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    /// Nothing pending.
    UpToDate,
    /// At least one change or conflict is pending.
    UpdatePending,
    /// The document is in custom mode: sync is off, nothing is compared.
    CustomMode,
}

/// The outcome of [`check`]: the pending changes and the inputs they refer to.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncReport {
    /// Up to date, update pending, or custom mode.
    pub status: SyncStatus,
    /// Pending changes: bounce rules then MX rules, each in upstream order.
    pub changes: Vec<Change>,
    /// The upstream rule set compared against.
    pub upstream: RuleSet,
    /// The base compared against (`None` on a first sync).
    pub base: Option<RuleSet>,
}

impl SyncReport {
    /// Whether anything (change or conflict) is pending.
    pub fn pending(&self) -> bool {
        self.status == SyncStatus::UpdatePending
    }

    /// Every change id, conflicts included ("take upstream" for everything).
    pub fn all_ids(&self) -> Vec<ChangeId> {
        self.changes.iter().map(|c| c.id.clone()).collect()
    }

    /// The ids "accept all" selects: everything except conflicts.
    pub fn non_conflicting_ids(&self) -> Vec<ChangeId> {
        self.changes.iter().filter(|c| !c.is_conflict()).map(|c| c.id.clone()).collect()
    }

    /// The conflicts, for a side-by-side view.
    pub fn conflicts(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_conflict())
    }

    /// The base to save after applying `selection`: upstream's version for
    /// accepted items and for items already in agreement; the old base for the
    /// rest, so a declined change is offered again at the next check.
    /// `None` in custom mode: nothing was compared, nothing is to be saved.
    pub fn next_base(&self, selection: &[ChangeId]) -> Option<RuleSet> {
        apply::next_base(self, selection)
    }
}

/// Behaviour shared by bounce and MX rules for diffing.
pub(crate) trait SyncItem: Clone + PartialEq {
    /// Which list.
    const KIND: ItemKind;
    /// Name or mask.
    fn raw_key(&self) -> &str;
    /// Field-by-field differences to `new`.
    fn field_changes(&self, new: &Self, level_names: &[String; 6]) -> Vec<FieldChange>;
    /// Wraps for display.
    fn to_item(&self) -> Item;
    /// A catch-all that must stay last (MX `*`).
    fn is_catch_all(&self) -> bool {
        false
    }
}

impl SyncItem for BounceRule {
    const KIND: ItemKind = ItemKind::Bounce;
    fn raw_key(&self) -> &str {
        &self.name
    }
    fn field_changes(&self, new: &Self, _: &[String; 6]) -> Vec<FieldChange> {
        fields::bounce(self, new)
    }
    fn to_item(&self) -> Item {
        Item::Bounce(self.clone())
    }
}

impl SyncItem for MxRule {
    const KIND: ItemKind = ItemKind::Mx;
    fn raw_key(&self) -> &str {
        &self.mask
    }
    fn field_changes(&self, new: &Self, level_names: &[String; 6]) -> Vec<FieldChange> {
        fields::mx(self, new, level_names)
    }
    fn to_item(&self) -> Item {
        Item::Mx(self.clone())
    }
    fn is_catch_all(&self) -> bool {
        self.mask.trim() == "*"
    }
}

/// Keys of a list, in order; the n-th duplicate of a key gets ` #n`.
pub(crate) fn keys<T: SyncItem>(items: &[T]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    items
        .iter()
        .map(|it| {
            let n = seen.entry(it.raw_key()).or_insert(0);
            *n += 1;
            if *n == 1 { it.raw_key().to_owned() } else { format!("{} #{n}", it.raw_key()) }
        })
        .collect()
}

/// Key → item.
fn index<T: SyncItem>(items: &[T]) -> HashMap<String, &T> {
    keys(items).into_iter().zip(items).collect()
}

/// Compares the document to upstream. In custom mode nothing is compared.
pub fn check(local: &RuleSet, base: Option<&RuleSet>, upstream: &RuleSet) -> SyncReport {
    let mut report = SyncReport { status: SyncStatus::CustomMode, changes: Vec::new(), upstream: upstream.clone(), base: base.cloned() };
    if local.custom_mode {
        return report;
    }
    let names = &local.level_names;
    report.changes = diff_list(&local.bounce_rules, base.map(|b| b.bounce_rules.as_slice()), &upstream.bounce_rules, names);
    report.changes.extend(diff_list(&local.mx_rules, base.map(|b| b.mx_rules.as_slice()), &upstream.mx_rules, names));
    report.status = if report.changes.is_empty() { SyncStatus::UpToDate } else { SyncStatus::UpdatePending };
    report
}

/// What upstream would change if the document left custom mode: the report
/// to show before the switch takes effect.
pub fn preview_leaving_custom_mode(local: &RuleSet, base: Option<&RuleSet>, upstream: &RuleSet) -> SyncReport {
    let mut doc = local.clone();
    doc.custom_mode = false;
    check(&doc, base, upstream)
}

fn diff_list<T: SyncItem>(local: &[T], base: Option<&[T]>, upstream: &[T], names: &[String; 6]) -> Vec<Change> {
    let (l, u) = (index(local), index(upstream));
    let b = base.map(index).unwrap_or_default();
    let id = |key: &str, moved| ChangeId { kind: T::KIND, key: key.to_owned(), moved };
    let mut changes = Vec::new();
    let mut push = |key: &str, kind, lv: Option<&T>, uv: Option<&T>, bv: Option<&T>| {
        let fields = match (lv.or(bv), uv) {
            (Some(from), Some(to)) if !matches!(kind, ChangeKind::Added) => from.field_changes(to, names),
            _ => Vec::new(),
        };
        changes.push(Change {
            id: id(key, false),
            kind,
            local: lv.map(T::to_item),
            upstream: uv.map(T::to_item),
            base: bv.map(T::to_item),
            fields,
        });
    };
    let up_keys = keys(upstream);
    for key in &up_keys {
        let uv = u[key];
        let (lv, bv) = (l.get(key).copied(), b.get(key).copied());
        let kind = match (lv, bv) {
            (Some(lv), _) if lv == uv => None,
            (Some(_), Some(bv)) if bv == uv => None, // edited locally only: the analyst's version stands
            (Some(lv), Some(bv)) if bv == lv => Some(ChangeKind::Changed),
            (Some(_), Some(_)) => Some(ChangeKind::Conflict(ConflictKind::BothChanged)),
            (Some(_), None) => Some(ChangeKind::Conflict(ConflictKind::NoBase)),
            (None, Some(bv)) if bv == uv => None, // deleted locally on purpose
            (None, Some(_)) => Some(ChangeKind::Conflict(ConflictKind::RemovedLocallyChangedUpstream)),
            (None, None) => Some(ChangeKind::Added),
        };
        if let Some(kind) = kind {
            push(key, kind, lv, Some(uv), bv);
        }
    }
    for key in keys(local) {
        if u.contains_key(&key) {
            continue;
        }
        let lv = l[&key];
        match b.get(&key) {
            Some(bv) if *bv == lv => push(&key, ChangeKind::Removed, Some(lv), None, Some(bv)),
            Some(bv) => push(&key, ChangeKind::Conflict(ConflictKind::ChangedLocallyRemovedUpstream), Some(lv), None, Some(bv)),
            None => {} // local-only rule: the analyst's own
        }
    }
    changes.extend(moves(local, base, &up_keys).into_iter().map(|(key, after)| Change {
        id: id(&key, true),
        kind: ChangeKind::Moved { after },
        local: l.get(&key).map(|v| v.to_item()),
        upstream: u.get(&key).map(|v| v.to_item()),
        base: b.get(&key).map(|v| v.to_item()),
        fields: Vec::new(),
    }));
    changes
}

/// Items whose upstream position changed (relative to the base, or to the
/// document without one) and that the document does not already follow.
fn moves<T: SyncItem>(local: &[T], base: Option<&[T]>, up_keys: &[String]) -> Vec<(String, Option<String>)> {
    let local_keys = keys(local);
    let in_local: HashSet<&str> = local_keys.iter().map(String::as_str).collect();
    let out_of_order = |reference: &[String]| -> HashSet<String> {
        let common: HashSet<&str> = reference.iter().map(String::as_str).filter(|k| in_local.contains(k)).collect();
        let up: Vec<&String> = up_keys.iter().filter(|k| common.contains(k.as_str())).collect();
        let pos: HashMap<&str, usize> = up.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        let seq: Vec<&String> = reference.iter().filter(|k| pos.contains_key(k.as_str())).collect();
        let keep = longest_increasing(&seq.iter().map(|k| pos[k.as_str()]).collect::<Vec<_>>());
        seq.iter().enumerate().filter(|(i, _)| !keep.contains(i)).map(|(_, k)| (*k).clone()).collect()
    };
    let mut moved = out_of_order(&local_keys);
    if let Some(base) = base {
        let by_upstream = out_of_order(&keys(base));
        moved.retain(|k| by_upstream.contains(k));
    }
    up_keys
        .iter()
        .enumerate()
        .filter(|(_, k)| moved.contains(*k))
        .map(|(i, k)| (k.clone(), i.checked_sub(1).map(|p| up_keys[p].clone())))
        .collect()
}

/// Indices of one longest strictly increasing subsequence (patience sorting,
/// O(n log n): rule sets can hold thousands of rules).
fn longest_increasing(seq: &[usize]) -> HashSet<usize> {
    let mut tails: Vec<usize> = Vec::new(); // index into seq of the smallest tail per length
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &v) in seq.iter().enumerate() {
        let at = tails.partition_point(|&t| seq[t] < v);
        prev[i] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(i);
        } else {
            tails[at] = i;
        }
    }
    let mut out = HashSet::new();
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.insert(i);
        cur = prev[i];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lis_finds_the_moved_item() {
        let keep = longest_increasing(&[0, 2, 3, 1, 4]);
        assert_eq!(keep.len(), 4);
        assert!(!keep.contains(&3));
    }

    #[test]
    fn duplicate_keys_are_numbered() {
        let r = |n: &str| BounceRule::new(n, "x", "c");
        assert_eq!(keys(&[r("a"), r("b"), r("a")]), ["a", "b", "a #2"]);
    }
}
