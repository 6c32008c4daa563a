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
    /// KumoMTA traffic shaping TOML from the MX rules at one level (export only).
    KumomtaShaping,
    /// PowerMTA `<domain>` blocks from the MX rules at one level (export only).
    PowermtaDomains,
}

impl FormatArg {
    /// The bounce-rule format, `None` for the MX-rule exports.
    fn rules_format(self) -> Option<Format> {
        Some(match self {
            FormatArg::Kumomta => Format::KumoMta,
            FormatArg::Powermta => Format::PowerMta,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
            FormatArg::KumomtaShaping | FormatArg::PowermtaDomains => return None,
        })
    }

    /// The name typed on the command line.
    fn name(self) -> &'static str {
        match self {
            FormatArg::KumomtaShaping => "kumomta-shaping",
            FormatArg::PowermtaDomains => "powermta-domains",
            f => f.rules_format().map_or("", Format::name),
        }
    }
}

/// Arguments of `bouncelab export`. Problems go to stderr; the other rules are still exported.
///
/// Exit status: 0 when exported (and verified), 1 when `--verify` found a disagreement, 2 on errors.
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
    /// Output file, written atomically (default: stdout). A KumoMTA export that
    /// needs several files writes PATH.toml, PATH.2.toml, ...
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Throughput level of the MX-rule exports (a level name or 1-6).
    #[arg(long, short)]
    pub level: Option<String>,
    /// Texts (one response per line) classified by bouncelab and by the target's semantics.
    #[arg(long, num_args = 1..)]
    pub verify: Vec<PathBuf>,
    /// Scenario whose reactions become KumoMTA automation rules (kumomta-shaping;
    /// default: sample_rules/scenario.ron when it exists).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

/// Arguments of `bouncelab import`: prints a whole RON rule set.
///
/// Exit status: 0 when at least one rule was imported, 1 when none could be, 2 on unreadable input.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// Source format.
    #[arg(long, short, value_enum)]
    pub format: FormatArg,
    /// The file to import (KumoMTA: the files of one classifier, in load order).
    #[arg(required = true, num_args = 1..)]
    pub file: Vec<PathBuf>,
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
    // Read the texts to verify before writing anything: a bad path leaves no half-done export.
    let texts = read_texts(&args.verify)?;
    if !texts.is_empty() && !matches!(args.format, FormatArg::Kumomta | FormatArg::Powermta) {
        anyhow::bail!(tr_fmt("export.verify_unsupported", &[("format", &args.format.name())]));
    }
    if args.scenario.is_some() && args.format != FormatArg::KumomtaShaping {
        anyhow::bail!(tr_fmt("export.scenario_unsupported", &[("format", &args.format.name())]));
    }
    let out = match args.format.rules_format() {
        Some(format) => interchange::export(&doc, format),
        None => {
            let Some(name) = args.level.as_deref() else {
                anyhow::bail!(tr_fmt("export.level_required", &[("format", &args.format.name()), ("levels", &doc.level_names.join(", "))]));
            };
            let Some(level) = interchange::shaping::find_level(&doc, name) else {
                anyhow::bail!(tr_fmt("export.unknown_level", &[("level", &name), ("levels", &doc.level_names.join(", "))]));
            };
            match args.format {
                FormatArg::KumomtaShaping => match reactions_scenario(&doc, args.scenario.as_deref())? {
                    Some(s) => interchange::shaping::export_with_reactions(&doc, level, &s),
                    None => interchange::shaping::export(&doc, level),
                },
                _ => interchange::pmta_domains::export(&doc, level),
            }
        }
    };
    report(&out.problems);
    let parts: Vec<&str> = std::iter::once(out.text.as_str()).chain(out.more_files.iter().map(String::as_str)).collect();
    match &args.output {
        Some(path) => {
            let paths = interchange::write_export(&out, path)?;
            if parts.len() > 1 {
                eprintln!("{}", tr_fmt("export.kumo_parts", &[("n", &parts.len())]));
                write_stdout(format!("{}\n", interchange::kumomta::files_line(&paths)).as_bytes())?;
            }
        }
        None if parts.len() > 1 => anyhow::bail!(tr_fmt("export.kumo_needs_output", &[("n", &parts.len())])),
        None => write_stdout(out.text.as_bytes())?,
    }
    let skipped = out.problems.iter().filter(|p| p.skipped).count();
    if args.format.rules_format().is_some() {
        let (total, n) = (doc.bounce_rules.len(), doc.bounce_rules.len() - skipped);
        eprintln!("{}", tr_fmt("cli.exported", &[("n", &n), ("total", &total)]));
    } else {
        let (total, n) = (doc.mx_rules.len(), doc.mx_rules.len() - skipped);
        eprintln!("{}", tr_fmt("export.exported_mx", &[("n", &n), ("total", &total)]));
    }
    if texts.is_empty() {
        return Ok(0);
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let format = args.format.rules_format().unwrap_or(Format::KumoMta);
    let rep = interchange::verify::verify(&doc, format, &parts, &refs)?;
    print_report(&doc, &rep);
    Ok(if rep.agrees() { 0 } else { 1 })
}

/// The scenario whose reactions go into a shaping export: `path`, else the
/// default scenario file when it exists (as `simulate` reads it), else none.
/// A scenario with errors is refused, its problems printed, as `simulate` does.
fn reactions_scenario(doc: &RuleSet, path: Option<&Path>) -> Result<Option<engine::scenario::Scenario>> {
    use engine::mx::Severity;
    use engine::scenario::{DEFAULT_SCENARIO_PATH, Scenario, has_errors, validate};
    let path = match path {
        Some(p) => p,
        None if Path::new(DEFAULT_SCENARIO_PATH).exists() => Path::new(DEFAULT_SCENARIO_PATH),
        None => return Ok(None),
    };
    let scenario = Scenario::load(path)?;
    let problems = validate(&scenario, &doc.mx_rules);
    for p in problems.iter().filter(|p| p.severity == Severity::Error) {
        let sev = tr("lint.cli_error");
        eprintln!("{}", tr_fmt("cli.scenario_problem", &[("severity", &sev), ("field", &p.field), ("message", &p.message)]));
    }
    if has_errors(&problems) {
        anyhow::bail!(tr_fmt("export.scenario_refused", &[("name", &scenario.name)]));
    }
    Ok(Some(scenario))
}

/// The lines of the `--verify` files, empty lines left out.
fn read_texts(paths: &[PathBuf]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for p in paths {
        let text = read_lossy(p)?;
        out.extend(text.lines().filter(|l| !l.trim().is_empty()).map(String::from));
    }
    Ok(out)
}

/// The verification report on stderr, in the user's language.
fn print_report(doc: &RuleSet, rep: &interchange::verify::Report) {
    for d in &rep.disagreements {
        super::warning(rep.disagreement_text(doc, d, 160));
    }
    for d in &rep.skipped {
        eprintln!("{}", rep.skipped_text(doc, d, 160));
    }
    if !rep.skipped.is_empty() {
        eprintln!("{}", rep.skipped_heading());
    }
    eprintln!("{}", rep.summary());
    if let Some(engine) = rep.engine_text() {
        eprintln!("{engine}");
    }
}

/// Runs `bouncelab import`.
pub fn import(args: ImportArgs) -> Result<i32> {
    let mut base = crate::cli::load_doc(args.rules.as_deref())?;
    let Some(format) = args.format.rules_format() else {
        anyhow::bail!(tr_fmt("export.export_only", &[("format", &args.format.name())]));
    };
    if args.file.len() > 1 && format != Format::KumoMta {
        anyhow::bail!(tr_fmt("export.one_file_only", &[("format", &format.name())]));
    }
    let texts = args.file.iter().map(|f| read_lossy(f)).collect::<Result<Vec<_>>>()?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let shown = args.file.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ");
    let imported = match format {
        Format::KumoMta => interchange::kumomta::import_files(&refs, &base),
        _ => interchange::import(refs[0], format, &base),
    }
    .with_context(|| tr_fmt("cli.cannot_import", &[("path", &shown)]))?;
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
