//! `bouncelab export`, `import` and `diff`: rules to and from MTA formats, and
//! what changes between two rule files on the same lines.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;

use crate::engine::diff::DiffBuilder;
use crate::engine::interchange::{self, Format, RuleIssue};
use crate::engine::{self, Classifier, RuleSet, lint};
use crate::i18n::{tr, tr_fmt};

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
    let (total, n) = (doc.bounce_rules.len(), doc.bounce_rules.len() - skipped);
    eprintln!("{}", tr_fmt("cli.exported", &[("n", &n), ("total", &total)]));
    Ok(0)
}

/// Runs `bouncelab import`.
pub fn import(args: ImportArgs) -> Result<i32> {
    let mut base = crate::cli::load_doc(args.rules.as_deref())?;
    let text = read_lossy(&args.file)?;
    let imported = interchange::import(&text, args.format.into(), &base)
        .with_context(|| tr_fmt("cli.cannot_import", &[("path", &args.file.display())]))?;
    report(&imported.problems);
    let n = imported.rules.len();
    base.bounce_rules = imported.rules;
    let ron = base.to_ron_string().context(tr("cli.cannot_write_ron"))?;
    match &args.output {
        Some(path) => base.save(path)?,
        None => write_stdout(ron.as_bytes())?,
    }
    let skipped = imported.problems.iter().filter(|p| p.skipped).count();
    eprintln!("{}", tr_fmt("cli.imported", &[("n", &n), ("skipped", &skipped)]));
    Ok(if n == 0 { 1 } else { 0 })
}

/// Runs `bouncelab diff`.
pub fn diff(args: DiffArgs) -> Result<i32> {
    let old_doc = RuleSet::load(&args.old)?;
    let new_doc = RuleSet::load(&args.new)?;
    let (old, new) = (Classifier::new(&old_doc), Classifier::new(&new_doc));
    for (which, c) in [(&args.old, &old), (&args.new, &new)] {
        for e in c.errors() {
            super::warning(tr_fmt("cli.skipped", &[("error", &format!("{}: {e}", which.display()))]));
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
    let args: [(&str, &dyn std::fmt::Display); 3] = [("total", &d.total), ("changed", &d.changed), ("groups", &d.groups.len())];
    out.push_str(&tr_fmt("cli.diff_total", &args));
    out.push('\n');
    write_stdout(out.as_bytes())?;
    Ok(0)
}

fn read_lossy(path: &Path) -> Result<String> {
    let bytes = engine::fsio::read_capped(path, engine::fsio::MAX_IMPORT_BYTES)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            super::warning(tr_fmt("cli.invalid_utf8", &[("place", &path.display())]));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    })
}

fn report(problems: &[RuleIssue]) {
    for p in problems {
        super::warning(p);
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
