//! `bouncelab simulate`: ramp-up simulation per throughput level.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::engine::mx::Severity;
use crate::engine::scenario::{Scenario, classify_feedback, has_errors};
use crate::engine::simulate::{SimulateError, simulate_with};
use crate::i18n::{tr, tr_fmt};

pub use crate::engine::scenario::DEFAULT_SCENARIO_PATH;
pub use crate::engine::simulate::{CSV_HEADER, write_csv};

/// Output format of `simulate`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SimulateFormat {
    /// One row per level, hour and destination (plus `all`), one block per level.
    Csv,
    /// The whole simulation as one JSON document.
    Json,
}

/// Arguments of `bouncelab simulate`.
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Rule file (default: sample_rules/default.ron, else the built-in copy).
    #[arg(long, short)]
    pub rules: Option<PathBuf>,
    /// Scenario file (default: sample_rules/scenario.ron, else the built-in scenario).
    #[arg(long, short)]
    pub scenario: Option<PathBuf>,
    /// Simulated days, instead of the scenario's horizon.
    #[arg(long)]
    pub days: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Csv)]
    pub format: SimulateFormat,
}

/// Runs `bouncelab simulate`.
pub fn run(args: SimulateArgs) -> Result<i32> {
    let (doc, classifier) = super::load_rules(args.rules.as_deref())?;
    let mut scenario = match &args.scenario {
        Some(p) => Scenario::load(p)?,
        None if Path::new(DEFAULT_SCENARIO_PATH).exists() => Scenario::load(Path::new(DEFAULT_SCENARIO_PATH))?,
        None => Scenario::default(),
    };
    if let Some(d) = args.days {
        scenario.horizon_days = d;
    }
    // Each feedback reply is qualified by the rule set's own bounce rules.
    let classes = classify_feedback(&scenario.feedback, &classifier);
    let (problems, sim) = match simulate_with(&scenario, &doc.mx_rules, &classes) {
        Ok(sim) => (sim.problems.clone(), Some(sim)),
        Err(SimulateError::Invalid(p)) => (p, None),
    };
    for p in &problems {
        let sev = tr(if p.severity == Severity::Error { "lint.cli_error" } else { "lint.cli_warning" });
        eprintln!("{}", tr_fmt("cli.scenario_problem", &[("severity", &sev), ("field", &p.field), ("message", &p.message)]));
    }
    let Some(sim) = sim.filter(|_| !has_errors(&problems)) else {
        bail!("{}", tr_fmt("cli.scenario_refused", &[("name", &scenario.name)]));
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = match args.format {
        SimulateFormat::Csv => write_csv(&mut out, &sim),
        SimulateFormat::Json => serde_json::to_writer(&mut out, &sim).map_err(std::io::Error::from).and_then(|()| out.write_all(b"\n")),
    };
    match written.and_then(|()| out.flush()) {
        // `bouncelab simulate | head` is fine.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        r => {
            r.context(tr("cli.writing_series"))?;
            Ok(0)
        }
    }
}
