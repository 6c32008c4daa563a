//! `bouncelab export`, `import` and `diff`: rules to and from MTA formats, and
//! what changes between two rule files on the same lines.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;

use crate::engine::diff::DiffBuilder;
use crate::engine::interchange::{self, Format, RuleIssue};
use crate::engine::{self, Classifier, RuleSet, lint};

/// Interchange format on the command line.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// KumoMTA bounce classifier TOML.
    Kumomta,
    /// PowerMTA bounce-category patterns.
    Powermta,
    /// CSV, one rule per row, every field.
    Csv,
    /// JSON array of rules, every field.
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Kumomta => Format::KumoMta,
            FormatArg::Powermta => Format::PowerMta,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        }
    }
}

/// Arguments of `bouncelab export`. Problems go to stderr; the other rules are still exported.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Target format.
    #[arg(long, short, value_enum)]
    pub format: FormatArg,
    /// Rule file (default: sample_rules/default.ron, else the built-in copy).
    #[arg(long, short, conflicts_with = "file")]
    pub rules: Option<PathBuf>,
    /// Rule file, as a positional alternative to --rules.
    pub file: Option<PathBuf>,
    /// Output file, written atomically (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Arguments of `bouncelab import`: prints a whole RON rule set.
///
/// Exit status: 0 when at least one rule was imported, 1 when none could be, 2 on unreadable input.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// Source format.
    #[arg(long, short, value_enum)]
    pub format: FormatArg,
    /// The file to import.
    pub file: PathBuf,
    /// Rule set whose reasons, categories and MX rules are kept (default: the default rules).
    #[arg(long, short)]
    pub rules: Option<PathBuf>,
    /// Output RON file, written atomically (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Arguments of `bouncelab diff`: the lines whose verdict changes between two rule files.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The rule file before the change.
    pub old: PathBuf,
    /// The rule file after the change.
    pub new: PathBuf,
    /// Input files, one response per line (default: stdin).
    pub files: Vec<PathBuf>,
    /// Example lines shown per group.
    #[arg(long, default_value_t = 3)]
    pub examples: usize,
}

/// Runs `bouncelab export`.
pub fn export(args: ExportArgs) -> Result<i32> {
    let doc = crate::cli::load_doc(args.rules.as_deref().or(args.file.as_deref()))?;
    let out = interchange::export(&doc, args.format.into());
    report(&out.problems);
    match &args.output {
        Some(path) => engine::fsio::write_atomic(path, out.text.as_bytes(), false)?,
        None => write_stdout(out.text.as_bytes())?,
    }
    let skipped = out.problems.iter().filter(|p| p.skipped).count();
    eprintln!("exported {} of {} bounce rules", doc.bounce_rules.len() - skipped, doc.bounce_rules.len());
    Ok(0)
}

/// Runs `bouncelab import`.
pub fn import(args: ImportArgs) -> Result<i32> {
    let mut base = crate::cli::load_doc(args.rules.as_deref())?;
    let text = read_lossy(&args.file)?;
    let imported =
        interchange::import(&text, args.format.into(), &base).with_context(|| format!("cannot import {}", args.file.display()))?;
    report(&imported.problems);
    let n = imported.rules.len();
    base.bounce_rules = imported.rules;
    let ron = base.to_ron_string().context("cannot write the rule set as RON")?;
    match &args.output {
        Some(path) => base.save(path)?,
        None => write_stdout(ron.as_bytes())?,
    }
    let skipped = imported.problems.iter().filter(|p| p.skipped).count();
    eprintln!("imported {n} bounce rules ({skipped} skipped)");
    Ok(if n == 0 { 1 } else { 0 })
}

/// Runs `bouncelab diff`.
pub fn diff(args: DiffArgs) -> Result<i32> {
    let old_doc = RuleSet::load(&args.old)?;
    let new_doc = RuleSet::load(&args.new)?;
    let (old, new) = (Classifier::new(&old_doc), Classifier::new(&new_doc));
    for (which, c) in [(&args.old, &old), (&args.new, &new)] {
        for e in c.errors() {
            eprintln!("warning: {}: {e} (skipped)", which.display());
        }
    }
    let mut builder = DiffBuilder::new(&old, &new, args.examples);
    crate::cli::for_each_block(&args.files, |block| {
        builder.add(block);
        Ok(())
    })?;
    let d = builder.finish();
    let mut out = String::new();
    for g in &d.groups {
        out.push_str(&format!("{} -> {}: {}\n", g.old, g.new, g.count));
        for e in &g.examples {
            out.push_str(&format!("    {}\n", lint::shorten(e, 160)));
        }
    }
    out.push_str(&format!("total: {} lines, {} changed, {} groups\n", d.total, d.changed, d.groups.len()));
    write_stdout(out.as_bytes())?;
    Ok(0)
}

fn read_lossy(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("warning: {}: not valid UTF-8; invalid bytes replaced", path.display());
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    })
}

fn report(problems: &[RuleIssue]) {
    for p in problems {
        eprintln!("warning: {p}");
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
