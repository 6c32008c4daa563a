//! CSV: one rule per row, every field, for spreadsheets. Lossless: a rule's
//! examples share one cell, one example per line of the cell, with `\`, line
//! feeds and carriage returns inside an example escaped as `\\`, `\n`, `\r`,
//! so any example text reads back as it was. `phases` lists the SMTP phases a
//! rule is limited to by their machine names, comma-separated (`data,end_of_data`);
//! empty is any phase.

use super::{Export, Import, ImportError, RuleIssue};
use crate::engine::ruleset::{BounceRule, FailureType, RuleSet, RuleStatus};
use crate::engine::smtp::Phase;
use crate::i18n::tr_fmt;

/// The header, in the order written. `name`, `pattern` and `category` are required on import.
pub const COLUMNS: [&str; 11] =
    ["name", "pattern", "category", "reason", "failure_type", "status", "enabled", "note", "must_match", "must_not_match", "phases"];

/// Separates the phases of one rule in a cell.
pub const PHASE_SEPARATOR: char = ',';

/// Separates the examples of one rule in a cell.
pub const EXAMPLE_SEPARATOR: char = '\n';

/// The examples of one rule as one cell.
pub fn join_examples(examples: &[String]) -> String {
    let escaped: Vec<String> = examples.iter().map(|e| e.replace('\\', "\\\\").replace('\n', "\\n").replace('\r', "\\r")).collect();
    escaped.join("\n")
}

/// A cell back into examples (the inverse of [`join_examples`]); a CR LF
/// between examples, as a spreadsheet may write it, is one separator.
pub fn split_examples(cell: &str) -> Vec<String> {
    if cell.is_empty() {
        return Vec::new();
    }
    cell.split(EXAMPLE_SEPARATOR)
        .map(|e| {
            let e = e.strip_suffix('\r').unwrap_or(e);
            let mut out = String::with_capacity(e.len());
            let mut chars = e.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            }
            out
        })
        .collect()
}

/// Exports every bounce rule (active or not) with all its fields.
pub fn export(doc: &RuleSet) -> Export {
    let mut problems = Vec::new();
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
    let mut rows: Vec<Vec<String>> = vec![COLUMNS.iter().map(|c| (*c).to_owned()).collect()];
    for r in &doc.bounce_rules {
        rows.push(vec![
            r.name.clone(),
            r.pattern.clone(),
            r.category.clone(),
            r.reason.clone().unwrap_or_default(),
            r.failure_type.map(|t| t.label().to_owned()).unwrap_or_default(),
            status_name(r.status).to_owned(),
            r.enabled.to_string(),
            r.note.clone(),
            join_examples(&r.must_match),
            join_examples(&r.must_not_match),
            r.phases.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(","),
        ]);
    }
    for row in &rows {
        // Writing to memory cannot fail; report rather than panic if it ever does.
        if let Err(e) = w.write_record(row) {
            problems.push(RuleIssue::file(tr_fmt("interchange.writer_failed", &[("format", &"CSV"), ("error", &e)])));
        }
    }
    let bytes = w.into_inner().unwrap_or_default();
    Export { more_files: Vec::new(), text: String::from_utf8_lossy(&bytes).into_owned(), problems }
}

/// Imports rules from CSV with a header line (columns in any order, unknown
/// ones ignored with a warning). A row of the wrong width or with a bad value
/// is reported with its line and skipped; the other rows still import.
pub fn import(text: &str, base: &RuleSet) -> Result<Import, ImportError> {
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ImportError::Syntax { format: "CSV", line: Some(1), message: e.to_string() })?.clone();
    let mut problems = Vec::new();
    let mut col: [Option<usize>; COLUMNS.len()] = [None; COLUMNS.len()];
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        match COLUMNS.iter().position(|c| *c == h) {
            Some(k) => col[k] = Some(i),
            None => problems.push(RuleIssue::file(tr_fmt("interchange.csv_unknown_column", &[("column", &h)]))),
        }
    }
    for required in [0, 1, 2] {
        if col[required].is_none() {
            return Err(ImportError::MissingColumn(COLUMNS[required]));
        }
    }

    let mut rules = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let msg = e.position().map_or_else(|| e.to_string(), |p| super::at_line(p.line() as usize, &e));
                problems.push(RuleIssue::rule(index, &tr_fmt("interchange.row", &[("n", &(index + 1))]), msg, true));
                continue;
            }
        };
        let line = record.position().map_or(index + 2, |p| p.line() as usize);
        let name = col[0].and_then(|c| record.get(c)).unwrap_or("").to_owned();
        let shown = if name.is_empty() { tr_fmt("interchange.line", &[("n", &line)]) } else { name.clone() };
        if record.len() != headers.len() {
            let msg = tr_fmt("interchange.csv_fields", &[("n", &record.len()), ("header", &headers.len())]);
            problems.push(RuleIssue::rule(index, &shown, super::at_line(line, &msg), true));
            continue;
        }
        match row_to_rule(&record, &col, name) {
            Ok(rule) => {
                for note in super::json::check_rule(&rule, base) {
                    problems.push(RuleIssue::rule(index, &rule.name, super::at_line(line, &note), false));
                }
                rules.push(rule);
            }
            Err(msg) => problems.push(RuleIssue::rule(index, &shown, super::at_line(line, &msg), true)),
        }
    }
    Ok(Import { rules, problems })
}

/// One row to a rule; the message names the bad column.
fn row_to_rule(record: &::csv::StringRecord, col: &[Option<usize>; COLUMNS.len()], name: String) -> Result<BounceRule, String> {
    let get = |k: usize| col[k].and_then(|c| record.get(c)).unwrap_or("");
    let mut rule = BounceRule::new(name, get(1), get(2));
    let reason = get(3).trim();
    rule.reason = (!reason.is_empty()).then(|| reason.to_owned());
    rule.failure_type = match get(4).trim() {
        "" => None,
        s => Some(
            FailureType::ALL
                .into_iter()
                .find(|t| t.label().eq_ignore_ascii_case(s))
                .ok_or_else(|| tr_fmt("interchange.csv_bad_type", &[("value", &s)]))?,
        ),
    };
    rule.status = match get(5).trim() {
        "" => RuleStatus::default(),
        s => RuleStatus::ALL
            .into_iter()
            .find(|st| status_name(*st).eq_ignore_ascii_case(s) || st.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| tr_fmt("interchange.csv_bad_status", &[("value", &s)]))?,
    };
    rule.enabled = match get(6).trim().to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "1" => true,
        "false" | "no" | "0" => false,
        s => return Err(tr_fmt("interchange.csv_bad_enabled", &[("value", &s)])),
    };
    rule.note = get(7).to_owned();
    rule.must_match = split_examples(get(8));
    rule.must_not_match = split_examples(get(9));
    rule.phases = parse_phases(get(10))?;
    Ok(rule)
}

/// A `phases` cell: machine names or SMTP commands (`rcpt_to`, `RCPT TO`),
/// comma-separated; a phase named twice counts once.
fn parse_phases(cell: &str) -> Result<Vec<Phase>, String> {
    let mut out = Vec::new();
    for item in cell.split(PHASE_SEPARATOR).map(str::trim).filter(|s| !s.is_empty()) {
        let p = Phase::parse(item).ok_or_else(|| {
            let known: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
            tr_fmt("interchange.csv_bad_phase", &[("value", &item), ("phases", &known.join(", "))])
        })?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// The name written for a status: the RON variant name, so files diff cleanly.
fn status_name(s: RuleStatus) -> &'static str {
    match s {
        RuleStatus::ToQualify => "ToQualify",
        RuleStatus::Keep => "Keep",
        RuleStatus::Ignore => "Ignore",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_example_text_round_trips() {
        let examples: Vec<String> =
            ["550 a | b", "two\nlines", "cr\r\nlf", "back\\slash \\n", "", "tail\\"].iter().map(|s| s.to_string()).collect();
        assert_eq!(split_examples(&join_examples(&examples)), examples);
        assert!(split_examples("").is_empty());
        // A spreadsheet that saved the cell's line breaks as CR LF.
        assert_eq!(split_examples("a\r\nb"), ["a", "b"]);
    }

    #[test]
    fn phase_cells_read_names_and_commands() {
        assert_eq!(parse_phases(""), Ok(vec![]));
        assert_eq!(parse_phases("data, end_of_data"), Ok(vec![Phase::Data, Phase::EndOfData]));
        assert_eq!(parse_phases("RCPT TO,rcpt_to"), Ok(vec![Phase::RcptTo]));
        assert!(parse_phases("data,after lunch").unwrap_err().contains("after lunch"));
    }
}
