//! `bouncelab sync`: compare a rule file with its upstream source, or apply
//! the update.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ArgGroup;

use crate::engine::RuleSet;
use crate::engine::lint;
use crate::engine::sync::{self, ChangeId, SyncError, SyncReport};
use crate::i18n::{tr, tr_fmt, tr_n};

/// Arguments of `bouncelab sync`.
///
/// Exit status: 0 when up to date (after `--apply`: nothing left pending) or in
/// custom mode; 1 when an update or a conflict is pending; 2 on errors
/// (missing upstream, malformed rule file).
#[derive(clap::Args, Debug)]
#[command(group(ArgGroup::new("mode").required(true).args(["check", "apply"])))]
pub struct SyncArgs {
    /// Show what upstream would change, without writing anything.
    #[arg(long)]
    pub check: bool,
    /// Apply every non-conflicting change (FILE keeps a .bak) and update the base.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: also take upstream's version of conflicting rules.
    #[arg(long, requires = "apply")]
    pub take_upstream_conflicts: bool,
    /// With --check: extra replies (one per line) whose verdict change is shown too.
    #[arg(long, requires = "check")]
    pub lines: Option<PathBuf>,
    /// The rule file; it names its source in `upstream: Some(Upstream(path: "..."))`.
    pub file: PathBuf,
}

/// Runs `bouncelab sync`.
pub fn run(args: SyncArgs) -> Result<i32> {
    let file = &args.file;
    let doc = RuleSet::load(file)?;
    if doc.custom_mode {
        println!("{}", tr_fmt("cli.sync_custom", &[("file", &file.display())]));
        return Ok(0);
    }
    let up = doc.upstream.as_ref().ok_or_else(|| SyncError::NoUpstream(file.clone()))?;
    let up_path = sync::resolve_upstream(file, up)?;
    let upstream = RuleSet::load(&up_path)?;
    let base = sync::load_base(file)?;
    let report = sync::check(&doc, base.as_ref(), &upstream);
    println!("{}", tr_fmt("cli.sync_upstream", &[("path", &up_path.display())]));
    if base.is_none() {
        println!("{}", tr("cli.sync_first"));
    }
    if args.apply {
        return apply(file, &doc, base.as_ref(), &report, args.take_upstream_conflicts);
    }
    if !report.pending() {
        println!("{}", tr("cli.sync_up_to_date"));
        return Ok(0);
    }
    for c in &report.changes {
        println!("{c}");
    }
    let extra = match &args.lines {
        Some(p) => read_lines(p)?,
        None => Vec::new(),
    };
    print_effect(&doc, &report, &extra);
    let conflicts = report.conflicts().count();
    let changes = report.changes.len() - conflicts;
    let hint = if conflicts > 0 { tr("cli.sync_conflicts_hint") } else { "" };
    let changes = tr_n("cli.n_changes_pending", changes, &[]);
    let conflicts = tr_n("sync.n_conflicts", conflicts, &[]);
    let args: [(&str, &dyn std::fmt::Display); 4] =
        [("changes", &changes), ("conflicts", &conflicts), ("file", &file.display()), ("hint", &hint)];
    println!("{}", tr_fmt("cli.sync_pending", &args));
    Ok(1)
}

fn apply(file: &Path, doc: &RuleSet, old_base: Option<&RuleSet>, report: &SyncReport, take_conflicts: bool) -> Result<i32> {
    let selection: Vec<ChangeId> = if take_conflicts { report.all_ids() } else { report.non_conflicting_ids() };
    let new_doc = sync::apply(doc, report, &selection);
    let next_base = report.next_base(&selection).filter(|b| Some(b) != old_base);
    sync::save_applied(file, Some(&new_doc).filter(|d| d != &doc), next_base.as_ref())?;
    let mut left = 0;
    for c in &report.changes {
        if selection.contains(&c.id) {
            println!("{}", tr_fmt("cli.sync_applied_change", &[("change", c)]));
        } else {
            left += 1;
            println!("{}", tr_fmt("cli.sync_kept_change", &[("change", c)]));
        }
    }
    match (report.changes.len() - left, left) {
        (0, 0) => println!("{}", tr("cli.sync_up_to_date")),
        (n, 0) => println!("{}", tr_n("cli.sync_applied", n, &[("file", &file.display())])),
        (n, l) => {
            let applied = tr_n("cli.n_changes_applied", n, &[]);
            let left = tr_n("cli.n_conflicts_left", l, &[]);
            println!("{}", tr_fmt("cli.sync_applied_left", &[("applied", &applied), ("left", &left)]))
        }
    }
    Ok(if left > 0 { 1 } else { 0 })
}

fn print_effect(doc: &RuleSet, report: &SyncReport, extra: &[String]) {
    let effect = sync::effect_on_examples(doc, report, &report.all_ids(), extra);
    if effect.changed == 0 {
        println!("{}", tr_fmt("cli.sync_effect_none", &[("total", &effect.total)]));
        return;
    }
    println!("{}", tr_fmt("cli.sync_effect_some", &[("changed", &effect.changed), ("total", &effect.total)]));
    for g in &effect.groups {
        println!("  {} x {} -> {}", g.count, g.old, g.new);
        for e in &g.examples {
            println!("      {}", lint::shorten(e, 100));
        }
    }
}

fn read_lines(p: &Path) -> Result<Vec<String>> {
    let bytes = crate::engine::fsio::read_capped(p, crate::engine::fsio::MAX_IMPORT_BYTES)?;
    Ok(String::from_utf8_lossy(&bytes).lines().filter(|l| !l.trim().is_empty()).map(String::from).collect())
}
