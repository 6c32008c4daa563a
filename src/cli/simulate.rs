//! `bouncelab simulate`: ramp-up simulation per throughput level.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::engine::mx::Severity;
use crate::engine::scenario::{Scenario, has_errors, validate};
use crate::engine::simulate::{Counts, Simulation, simulate};
use crate::i18n::{tr, tr_fmt};

/// Where `simulate` looks for a scenario when none is given.
pub const DEFAULT_SCENARIO_PATH: &str = "sample_rules/scenario.ron";

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

/// The CSV header; `bounced` is soft + hard, `failed` is hard + expired.
pub const CSV_HEADER: [&str; 13] = [
    "level",
    "hour",
    "destination",
    "injected",
    "attempted",
    "delivered",
    "deferred",
    "bounced",
    "soft_bounced",
    "hard_bounced",
    "expired",
    "failed",
    "queued",
];

/// Runs `bouncelab simulate`.
pub fn run(args: SimulateArgs) -> Result<i32> {
    let (doc, _) = super::load_rules(args.rules.as_deref())?;
    let mut scenario = match &args.scenario {
        Some(p) => Scenario::load(p)?,
        None if Path::new(DEFAULT_SCENARIO_PATH).exists() => Scenario::load(Path::new(DEFAULT_SCENARIO_PATH))?,
        None => Scenario::default(),
    };
    if let Some(d) = args.days {
        scenario.horizon_days = d;
    }
    let problems = validate(&scenario, &doc.mx_rules);
    for p in &problems {
        let sev = tr(if p.severity == Severity::Error { "lint.cli_error" } else { "lint.cli_warning" });
        eprintln!("{}", tr_fmt("cli.scenario_problem", &[("severity", &sev), ("field", &p.field), ("message", &p.message)]));
    }
    if has_errors(&problems) {
        bail!("{}", tr_fmt("cli.scenario_refused", &[("name", &scenario.name)]));
    }
    let sim = simulate(&scenario, &doc.mx_rules)?;
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

/// Writes the series as CSV: header once, then one block per run.
pub fn write_csv(out: &mut impl Write, sim: &Simulation) -> std::io::Result<()> {
    write_csv_inner(out, sim).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    })
}

fn write_csv_inner(out: &mut impl Write, sim: &Simulation) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    let num = |x: f64| format!("{x:.2}");
    for run in &sim.runs {
        let level = run.kind.label();
        for (h, all) in run.hourly.iter().enumerate() {
            let hour = h.to_string();
            let rows = run.providers.iter().map(|p| (p.name.as_str(), p.hourly.get(h).copied().unwrap_or_default())).chain([("all", *all)]);
            for (dest, c) in rows {
                let c: Counts = c;
                let cells = [
                    c.injected,
                    c.attempted,
                    c.delivered,
                    c.deferred,
                    c.bounced(),
                    c.soft_bounced,
                    c.hard_bounced,
                    c.expired,
                    c.failed(),
                    c.queued,
                ];
                w.write_record([level, &hour, dest].into_iter().map(String::from).chain(cells.map(num)))?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
