//! The command line: the same engine as the app, for scripts and CI.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

pub mod classify;
pub mod eval;
mod feed;
pub mod help;
pub mod interchange;
pub mod json_line;
pub mod mx;
pub mod simulate;
mod summary;
pub mod sync;

use crate::engine::lint::{self, Severity};
use crate::engine::{self, Classifier, RuleSet, Verdict};
use crate::i18n::{tr, tr_fmt};

/// bouncelab: bounce qualification rules, MX rules and ramp-up, on your desk.
#[derive(Parser, Debug)]
#[command(name = "bouncelab", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Rule file the app opens (default: sample_rules/default.ron).
    #[arg(global = false)]
    pub file: Option<PathBuf>,
}

/// Output format of `classify`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ClassifyFormat {
    /// One JSON object per line.
    Json,
    /// Tab-separated, with a header line.
    Tsv,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Classify SMTP replies / bounce texts (one per line), bounce emails
    /// (.eml, mbox, Maildir, folders), MTA logs and error mailboxes.
    Classify(classify::ClassifyArgs),
    /// Score the rules against a labeled TSV (format of corpus/), plainly or leave-one-MTA-family-out.
    Eval(eval::EvalArgs),
    /// Check a rule file: invalid patterns, duplicates, shadowed rules, failing examples...
    Lint {
        /// Rule file.
        file: PathBuf,
        /// Exit 1 on warnings too.
        #[arg(long)]
        strict: bool,
    },
    /// Run every rule's must-match / must-not-match examples.
    Test {
        /// Rule file.
        file: PathBuf,
    },
    /// Look up a domain's MX hosts over DNS and show which MX rule applies.
    Mx(mx::MxArgs),
    /// Simulate ramp-up throughput per level.
    Simulate(simulate::SimulateArgs),
    /// Export the bounce rules for KumoMTA, PowerMTA, CSV or JSON.
    Export(interchange::ExportArgs),
    /// Import bounce rules from KumoMTA, PowerMTA, CSV or JSON; prints a RON rule set.
    Import(interchange::ImportArgs),
    /// Classify the same lines with two rule files and show the verdicts that change.
    Diff(interchange::DiffArgs),
    /// Compare a rule file with its upstream source (--check) or apply the update (--apply).
    Sync(sync::SyncArgs),
}

/// Runs a parsed command line (not the GUI case). Human-readable text is in
/// the current thread's language (`main` makes the system locale's current);
/// machine formats (JSON, TSV, CSV, RON) are the same in every language.
pub fn run(command: Command) -> Result<i32> {
    match command {
        Command::Classify(args) => classify::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Lint { file, strict } => lint_cmd(&file, strict),
        Command::Test { file } => test_cmd(&file),
        Command::Mx(args) => mx::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Export(args) => interchange::export(args),
        Command::Import(args) => interchange::import(args),
        Command::Diff(args) => interchange::diff(args),
        Command::Sync(args) => sync::run(args),
    }
}

/// Loads the rule file given, else `sample_rules/default.ron` from the current
/// folder, else the built-in copy. Compile problems go to stderr as warnings.
pub fn load_rules(path: Option<&Path>) -> Result<(RuleSet, Classifier)> {
    let doc = load_doc(path)?;
    let c = Classifier::new(&doc);
    for e in c.errors() {
        warning(tr_fmt("cli.skipped", &[("error", e)]));
    }
    Ok((doc, c))
}

/// Prints `warning: {message}` on stderr, the word in the current language.
pub(crate) fn warning(message: impl std::fmt::Display) {
    eprintln!("{}: {message}", tr("lint.cli_warning"));
}

/// Prints `error: {message}` on stderr, the word in the current language.
pub fn error(message: impl std::fmt::Display) {
    eprintln!("{}: {message}", tr("lint.cli_error"));
}

/// Columns `s` takes in a terminal: Hangul, CJK ideographs, kana and
/// full-width forms take two, everything else one.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F => 2,
            0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `s` followed by spaces up to `width` terminal columns.
pub(crate) fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

/// Lines classified per parallel block: bounds memory on endless input.
pub(crate) const BLOCK_LINES: usize = 65_536;
/// Bytes of lines per parallel block (long lines make few lines a lot of memory).
const BLOCK_BYTES: usize = 64 << 20;

/// The rule file given, else `sample_rules/default.ron` here, else the built-in copy.
pub fn load_doc(path: Option<&Path>) -> Result<RuleSet> {
    Ok(match path {
        Some(p) => RuleSet::load(p)?,
        None if Path::new(engine::DEFAULT_RULES_PATH).exists() => RuleSet::load(Path::new(engine::DEFAULT_RULES_PATH))?,
        None => engine::default_rules(),
    })
}

/// Streams the lines of `files` (stdin when empty) to `f` in blocks of at most
/// [`BLOCK_LINES`], so memory stays bounded on endless input. Lines end at
/// `\n`, `\r\n` or a lone `\r`; a line longer than
/// [`engine::ingest::lines::MAX_LINE_BYTES`] is cut, and invalid UTF-8 is
/// replaced, each with a warning naming the line.
pub(crate) fn for_each_block(files: &[PathBuf], mut f: impl FnMut(&[String]) -> Result<()>) -> Result<()> {
    use engine::ingest::lines::{MAX_LINE_BYTES, read_line_bounded};
    let mut run = |reader: &mut dyn BufRead, name: &str| -> Result<()> {
        let mut block: Vec<String> = Vec::with_capacity(1024);
        let mut buf = Vec::new();
        let mut lineno = 0usize;
        loop {
            let info =
                read_line_bounded(reader, &mut buf, MAX_LINE_BYTES, true).with_context(|| tr_fmt("cli.reading", &[("name", &name)]))?;
            if let Some(info) = info {
                lineno += 1;
                let place = format!("{name}:{lineno}");
                if info.truncated {
                    warning(tr_fmt("ingest.line_cut", &[("place", &place), ("limit", &MAX_LINE_BYTES)]));
                }
                let line = match String::from_utf8(std::mem::take(&mut buf)) {
                    Ok(s) => s,
                    Err(e) => {
                        warning(tr_fmt("cli.invalid_utf8", &[("place", &place)]));
                        String::from_utf8_lossy(e.as_bytes()).into_owned()
                    }
                };
                block.push(line);
            }
            let bytes: usize = block.iter().map(String::len).sum();
            if block.len() == BLOCK_LINES || bytes >= BLOCK_BYTES || (info.is_none() && !block.is_empty()) {
                f(&block)?;
                block.clear();
            }
            if info.is_none() {
                return Ok(());
            }
        }
    };
    if files.is_empty() {
        return run(&mut std::io::stdin().lock(), "stdin");
    }
    for file in files {
        let handle = std::fs::File::open(file)
            .with_context(|| tr_fmt("cli.cannot_open", &[("path", &classify::safe(&file.display().to_string()))]))?;
        run(&mut std::io::BufReader::with_capacity(1 << 16, handle), &classify::safe(&file.display().to_string()))?;
    }
    Ok(())
}

/// One verdict in the CLI's JSON shape.
#[derive(serde::Serialize)]
pub struct VerdictJson<'a> {
    /// Hard / Soft / Ignored (stable English names, never translated).
    pub failure_type: &'static str,
    /// ACC reason label.
    pub reason: &'a str,
    /// Sisimai category.
    pub category: &'a str,
    /// Winning rule name.
    pub rule: Option<&'a str>,
    /// rule / enhanced_code / reply_code / none.
    pub decided_by: &'static str,
    /// Basic reply code.
    pub basic_code: Option<u16>,
    /// Enhanced status code.
    pub enhanced_code: Option<String>,
    /// Byte span of the winning match.
    pub span: Option<[usize; 2]>,
}

impl<'a> VerdictJson<'a> {
    /// Builds the JSON view of a verdict.
    pub fn new(c: &'a Classifier, v: &Verdict) -> Self {
        VerdictJson {
            failure_type: v.failure_type.label(),
            reason: &c.reason(v).label,
            category: &c.category(v).id,
            rule: v.rule.map(|r| c.rule_name(r)),
            decided_by: v.decided_by.as_str(),
            basic_code: v.basic_code,
            enhanced_code: v.enhanced_code.map(|e| e.to_string()),
            span: v.span.map(|s| [s.start, s.end]),
        }
    }
}

fn lint_cmd(file: &Path, strict: bool) -> Result<i32> {
    let doc = RuleSet::load(file)?;
    let c = Classifier::new(&doc);
    let lints = lint::lint(&doc, &c, None);
    let errors = lints.iter().filter(|l| l.severity == Severity::Error).count();
    for l in &lints {
        let sev = tr(match l.severity {
            Severity::Error => "lint.cli_error",
            Severity::Warning => "lint.cli_warning",
            Severity::Info => "lint.cli_info",
        });
        println!("{}: {sev}: {}", file.display(), l.message);
    }
    let warnings = lints.iter().filter(|l| l.severity == Severity::Warning).count();
    let (bounce, mx) = (doc.bounce_rules.len(), doc.mx_rules.len());
    println!("{}", tr_fmt("lint.cli_summary", &[("bounce", &bounce), ("mx", &mx), ("errors", &errors), ("warnings", &warnings)]));
    Ok(if errors > 0 || (strict && warnings > 0) { 1 } else { 0 })
}

fn test_cmd(file: &Path) -> Result<i32> {
    let doc = RuleSet::load(file)?;
    let c = Classifier::new(&doc);
    for e in c.errors() {
        println!("{}: {e}", tr("lint.cli_error"));
    }
    let failures = lint::run_examples(&doc, &c);
    for f in &failures {
        let text = format!("{:?}", lint::shorten(&f.text, 100));
        let args: [(&str, &dyn std::fmt::Display); 4] = [
            ("place", &lint::rule_place(&doc, f.rule)),
            ("kind", &lint::example_kind(f.must_match)),
            ("text", &text),
            ("problem", &f.problem),
        ];
        println!("{}", tr_fmt("lint.cli_fail", &args));
    }
    let total: usize = doc
        .bounce_rules
        .iter()
        .filter(|r| r.is_active())
        .flat_map(|r| r.must_match.iter().chain(&r.must_not_match))
        .filter(|t| lint::is_example(t))
        .count();
    let failed = failures.len();
    println!("{}", tr_fmt("lint.cli_tested", &[("passed", &(total - failed)), ("failed", &failed)]));
    Ok(if failures.is_empty() && c.errors().is_empty() { 0 } else { 1 })
}
