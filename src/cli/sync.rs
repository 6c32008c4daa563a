//! `bouncelab sync`: compare a rule file with its upstream source, or apply
//! the update.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ArgGroup;

use crate::engine::RuleSet;
use crate::engine::lint;
use crate::engine::sync::{self, ChangeId, SyncError, SyncReport};

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
        println!("{}: custom mode: sync is off, the rules are wholly yours", file.display());
        return Ok(0);
    }
    let up = doc.upstream.as_ref().ok_or_else(|| SyncError::NoUpstream(file.clone()))?;
    let up_path = sync::resolve_upstream(file, up)?;
    let upstream = RuleSet::load(&up_path)?;
    let base = sync::load_base(file)?;
    let report = sync::check(&doc, base.as_ref(), &upstream);
    println!("upstream: {}", up_path.display());
    if base.is_none() {
        println!("first sync: no base yet, so every rule that differs from upstream is a conflict");
    }
    if args.apply {
        return apply(file, &doc, base.as_ref(), &report, args.take_upstream_conflicts);
    }
    if !report.pending() {
        println!("up to date");
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
    println!(
        "{} change(s) pending, {conflicts} conflict(s); `bouncelab sync --apply {}` applies the rest{}",
        report.changes.len() - conflicts,
        file.display(),
        if conflicts > 0 { " (add --take-upstream-conflicts to take upstream's version of the conflicts)" } else { "" }
    );
    Ok(1)
}

fn apply(file: &Path, doc: &RuleSet, old_base: Option<&RuleSet>, report: &SyncReport, take_conflicts: bool) -> Result<i32> {
    let selection: Vec<ChangeId> = if take_conflicts { report.all_ids() } else { report.non_conflicting_ids() };
    let new_doc = sync::apply(doc, report, &selection);
    if &new_doc != doc {
        new_doc.save(file)?;
    }
    if let Some(base) = report.next_base(&selection)
        && Some(&base) != old_base
    {
        sync::save_base(file, &base)?;
    }
    let mut left = 0;
    for c in &report.changes {
        if selection.contains(&c.id) {
            println!("applied {c}");
        } else {
            left += 1;
            println!("kept local {c}");
        }
    }
    match (report.changes.len() - left, left) {
        (0, 0) => println!("up to date"),
        (n, 0) => println!("{n} change(s) applied to {} (previous version in .bak)", file.display()),
        (n, l) => println!("{n} change(s) applied, {l} conflict(s) left: rerun with --take-upstream-conflicts, or edit by hand"),
    }
    Ok(if left > 0 { 1 } else { 0 })
}

fn print_effect(doc: &RuleSet, report: &SyncReport, extra: &[String]) {
    let effect = sync::effect_on_examples(doc, report, &report.all_ids(), extra);
    if effect.changed == 0 {
        println!("effect on examples: none of {} verdicts change", effect.total);
        return;
    }
    println!("effect on examples: {} of {} verdicts change", effect.changed, effect.total);
    for g in &effect.groups {
        println!("  {} x {} -> {}", g.count, g.old, g.new);
        for e in &g.examples {
            println!("      {}", lint::shorten(e, 100));
        }
    }
}

fn read_lines(p: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
    Ok(String::from_utf8_lossy(&bytes).lines().filter(|l| !l.trim().is_empty()).map(String::from).collect())
}
