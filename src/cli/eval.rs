//! `bouncelab eval`: the rules scored against a labeled corpus, plainly or
//! leave-one-MTA-family-out.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::{display_width, error, load_rules, pad};
use crate::engine::eval::{self, Answer, EvalReport, FoldsReport, Labeled, Sample};
use crate::engine::{ingest, lint};
use crate::i18n::{tr, tr_fmt};

/// How `eval` splits the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Folds {
    /// `N` folds by a stable hash of the email file.
    Hashed(u32),
    /// One fold per MTA family (the sample id up to its number).
    ByMta,
}

/// Parses `--folds`: a number of folds (at least 1) or `by-mta`.
fn parse_folds(s: &str) -> std::result::Result<Folds, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("by-mta") {
        return Ok(Folds::ByMta);
    }
    match s.parse::<u32>() {
        Ok(0) => Err(tr("cli.folds_min").to_owned()),
        Ok(n) => Ok(Folds::Hashed(n)),
        Err(_) => Err(tr_fmt("eval.folds_invalid", &[("value", &s)])),
    }
}

/// Parses a percentage threshold: a finite number from 0 to 100 (`NaN`
/// would compare false with everything and silently disable the check).
fn parse_percent(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(tr_fmt("eval.percent_invalid", &[("value", &s)])),
    }
}

/// Arguments of `bouncelab eval`.
///
/// Exit status: 0 when the accuracy is at or above the thresholds given; 1
/// when below; 2 on unreadable input or a fold that does not exist.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// The labeled TSV.
    pub corpus: PathBuf,
    /// Rule file (default: sample_rules/default.ron, else the built-in copy).
    #[arg(long, short)]
    pub rules: Option<PathBuf>,
    /// Score only this fold: its number (0 to N-1) with --folds N, a family name or number with --folds by-mta.
    #[arg(long, allow_hyphen_values = true)]
    pub fold: Option<String>,
    /// Score every sample except this fold.
    #[arg(long, conflicts_with = "fold", allow_hyphen_values = true)]
    pub exclude_fold: Option<String>,
    /// How to split: N folds by email file (default 5), or by-mta (one fold per MTA family).
    #[arg(long, default_value = "5", value_parser = parse_folds)]
    pub folds: Folds,
    /// Print every misclassified sample.
    #[arg(long)]
    pub misses: bool,
    /// Exit 1 when reason accuracy is below this percentage (with --folds by-mta: the mean over families).
    #[arg(long, value_parser = parse_percent, allow_hyphen_values = true)]
    pub min_reason: Option<f64>,
    /// Exit 1 when hard/soft accuracy is below this percentage (with --folds by-mta: the mean over families).
    #[arg(long, value_parser = parse_percent, allow_hyphen_values = true)]
    pub min_hardness: Option<f64>,
}

/// Which fold a `--fold` value names, as a predicate on samples.
enum Pick {
    All,
    Only(Selector),
    Except(Selector),
}

enum Selector {
    Hashed(u32, u32),
    Family(String),
}

impl Selector {
    fn parse(value: &str, folds: Folds, families: &[String]) -> Result<Selector> {
        let v = value.trim();
        match folds {
            Folds::Hashed(n) => match v.parse::<u32>() {
                Ok(k) if k < n => Ok(Selector::Hashed(k, n)),
                _ => bail!("{}", tr_fmt("eval.fold_out_of_range", &[("fold", &v), ("max", &(n - 1))])),
            },
            Folds::ByMta => {
                if let Some(f) = families.iter().find(|f| f.as_str() == v) {
                    return Ok(Selector::Family(f.clone()));
                }
                match v.parse::<usize>() {
                    Ok(k) if k < families.len() => Ok(Selector::Family(families[k].clone())),
                    _ => bail!("{}", tr_fmt("eval.family_unknown", &[("fold", &v), ("count", &families.len())])),
                }
            }
        }
    }

    fn holds(&self, s: &impl Labeled) -> bool {
        match self {
            Selector::Hashed(k, n) => eval::fold_of(s.id(), *n) == *k,
            Selector::Family(f) => s.family() == f,
        }
    }
}

/// Runs `bouncelab eval`: the text form (`diagnostic_text` column), or the
/// email form (`email_file` column, emails in the folder named like the file).
pub fn run(a: EvalArgs) -> Result<i32> {
    let (_, c) = load_rules(a.rules.as_deref())?;
    if ingest::eval::is_email_corpus(&a.corpus) {
        let samples = ingest::eval::read_tsv(&a.corpus)?;
        let mut answers = ingest::eval::EmailAnswers::new(&c, &ingest::eval::email_dir(&a.corpus));
        let code = run_on(&a, &samples, |s| answers.answer(s))?;
        println!("\n{}", tr_fmt("eval.recipients_found", &[("found", &answers.recipients_found), ("total", &samples.len())]));
        return Ok(code);
    }
    let samples = eval::read_tsv(&a.corpus)?;
    run_on(&a, &samples, |s: &Sample| Answer::of_text(&c, &s.text))
}

/// Scores `samples` with `answer` as the arguments say, prints the report and
/// returns the exit status.
fn run_on<L: Labeled>(a: &EvalArgs, samples: &[L], answer: impl FnMut(&L) -> Answer) -> Result<i32> {
    let families = eval::families(samples);
    let pick = match (&a.fold, &a.exclude_fold) {
        (Some(v), _) => Pick::Only(Selector::parse(v, a.folds, &families)?),
        (None, Some(v)) => Pick::Except(Selector::parse(v, a.folds, &families)?),
        (None, None) => Pick::All,
    };
    let picked: Vec<&L> = samples
        .iter()
        .filter(|s| match &pick {
            Pick::All => true,
            Pick::Only(sel) => sel.holds(*s),
            Pick::Except(sel) => !sel.holds(*s),
        })
        .collect();
    let (r, folds) = if a.folds == Folds::ByMta && matches!(pick, Pick::All) {
        let f = eval::by_family(picked.iter().copied(), answer);
        (f.pooled.clone(), Some(f))
    } else {
        (eval::score(picked.iter().copied(), answer), None)
    };
    if a.misses {
        print_misses(&r);
    }
    print_summary(&r);
    if let Some(f) = &folds {
        print_families(f);
    }
    print_categories(&r, folds.as_ref());
    println!("\n{}", tr("cli.eval_confusions"));
    for ((e, g), n) in r.top_confusions(10) {
        println!("  {n:>3}  {e} -> {g}");
    }
    // The figure the thresholds apply to: with by-mta, every family counts the same.
    let (reason, hardness) = match &folds {
        Some(f) => (f.macro_reason(), f.macro_hardness()),
        None => (r.reason_accuracy(), r.hardness_accuracy()),
    };
    let mut code = 0;
    if let Some(m) = a.min_reason.filter(|&m| 100.0 * reason < m) {
        error(tr_fmt("cli.eval_reason_below", &[("min", &m)]));
        code = 1;
    }
    if let Some(m) = a.min_hardness.filter(|&m| 100.0 * hardness < m) {
        error(tr_fmt("cli.eval_hardness_below", &[("min", &m)]));
        code = 1;
    }
    Ok(code)
}

fn print_misses(r: &EvalReport) {
    for m in &r.misses {
        println!(
            "MISS {}\texpected {}\tgot {}\trule {}\t{}",
            m.id,
            m.expected,
            m.got,
            m.rule.as_deref().unwrap_or("-"),
            lint::shorten(&m.text, 160)
        );
    }
    println!();
}

fn percent(ok: usize, n: usize) -> f64 {
    if n == 0 { 0.0 } else { 100.0 * ok as f64 / n as f64 }
}

fn print_summary(r: &EvalReport) {
    let labels = [tr("cli.eval_samples"), tr("cli.eval_reason_accuracy"), tr("cli.eval_hardness")];
    let w = labels.iter().map(|l| display_width(l)).max().unwrap_or(0) + 2;
    println!("{}{}", pad(labels[0], w), r.total);
    println!("{}{:.1} % ({}/{})", pad(labels[1], w), 100.0 * r.reason_accuracy(), r.reason_correct, r.total);
    println!("{}{:.1} % ({}/{})", pad(labels[2], w), 100.0 * r.hardness_accuracy(), r.hardness_correct, r.total);
}

fn print_families(f: &FoldsReport) {
    println!("\n{}", tr_fmt("eval.by_mta_heading", &[("count", &f.families.len())]));
    let labels = [tr("eval.mean_reason"), tr("eval.mean_hardness")];
    let w = labels.iter().map(|l| display_width(l)).max().unwrap_or(0) + 2;
    println!("{}{:.1} %", pad(labels[0], w), 100.0 * f.macro_reason());
    println!("{}{:.1} %", pad(labels[1], w), 100.0 * f.macro_hardness());
    let fw = f.families.iter().map(|x| display_width(&x.family)).max().unwrap_or(0).max(display_width(tr("eval.family"))) + 2;
    let (rh, hh) = (tr("cli.eval_reason_accuracy"), tr("cli.eval_hardness"));
    println!("  {}{:>5}  {}  {}", pad(tr("eval.family"), fw), tr("cli.eval_samples"), rh, hh);
    let (rw, hw) = (display_width(rh).max(16), display_width(hh).max(16));
    let mut rows: Vec<_> = f.families.iter().collect();
    // Weakest first: where the rules need work.
    rows.sort_by(|a, b| a.report.reason_accuracy().total_cmp(&b.report.reason_accuracy()).then(a.family.cmp(&b.family)));
    for x in rows {
        let r = &x.report;
        let reason = format!("{:.1} % ({}/{})", percent(r.reason_correct, r.total), r.reason_correct, r.total);
        let hard = format!("{:.1} % ({}/{})", percent(r.hardness_correct, r.total), r.hardness_correct, r.total);
        println!("  {}{:>5}  {}  {}", pad(&x.family, fw), r.total, pad(&reason, rw), pad(&hard, hw).trim_end());
    }
}

fn print_categories(r: &EvalReport, folds: Option<&FoldsReport>) {
    println!("\n{}", tr("cli.eval_recall"));
    let mut cats: Vec<_> = r.per_category.iter().collect();
    cats.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
    let by_family = folds.map(|f| f.macro_category_recall());
    for (cat, &(ok, n)) in cats {
        let pooled = format!("{:>5.1} % ({ok}/{n})", percent(ok, n));
        match by_family.as_ref().and_then(|m| m.get(cat)) {
            Some(&(fams, mean)) => {
                let note = tr_fmt("eval.category_over_families", &[("recall", &format!("{:.1}", 100.0 * mean)), ("count", &fams)]);
                println!("  {cat:<16} {}  {note}", pad(&pooled, 18));
            }
            None => println!("  {cat:<16} {pooled}"),
        }
    }
}
