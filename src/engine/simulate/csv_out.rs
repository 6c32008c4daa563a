//! The series of a [`Simulation`] as CSV: what `bouncelab simulate` prints and
//! what the Ramp-up panel exports (one writer, so both stay the same).

use std::io::Write;

use super::{Counts, Simulation};

/// The CSV header; `bounced` is soft + hard, `failed` is hard + expired;
/// `state`, `limit_per_hour` and `binding` are the hour's worst state, lowest
/// effective limit and tightest binding limit (empty on the `all` rows).
pub const CSV_HEADER: [&str; 16] = [
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
    "state",
    "limit_per_hour",
    "binding",
];

/// A count with two decimals; float drift around zero prints `0.00`, never `-0.00`.
pub fn fmt_cell(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    // `r + 0.0` turns -0.0 into 0.0.
    if r == 0.0 || !r.is_finite() { "0.00".to_owned() } else { format!("{:.2}", r + 0.0) }
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
    for run in &sim.runs {
        let level = run.kind.label();
        for (h, all) in run.hourly.iter().enumerate() {
            let hour = h.to_string();
            let rows = run
                .providers
                .iter()
                .map(|p| (p.name.as_str(), p.hourly.get(h).copied().unwrap_or_default(), p.states.get(h)))
                .chain([("all", *all, None)]);
            for (dest, c, st) in rows {
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
                let (state, limit, binding) = match st {
                    Some(st) => (st.state.label(), fmt_cell(st.limit_per_hour), st.binding.label()),
                    None => ("", String::new(), ""),
                };
                let head = [level, &hour, dest].into_iter().map(String::from);
                w.write_record(head.chain(cells.map(fmt_cell)).chain([state.to_owned(), limit, binding.to_owned()]))?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fmt_cell;

    #[test]
    fn cells_never_print_negative_zero() {
        assert_eq!(fmt_cell(-1e-12), "0.00");
        assert_eq!(fmt_cell(-0.0), "0.00");
        assert_eq!(fmt_cell(-0.004), "0.00");
        assert_eq!(fmt_cell(-0.006), "-0.01");
        assert_eq!(fmt_cell(1234.5678), "1234.57");
        assert_eq!(fmt_cell(f64::NAN), "0.00");
    }
}
