//! MTA logs against golden files: each format's sample holds bounces,
//! deliveries and receptions to skip, other events, malformed lines and lines
//! of another format. `tests/data/logs/NAME.expected.tsv` is what the reader
//! must give, line by line (`BLESS=1` rewrites it; review the diff).

use std::io::BufReader;

use bouncelab::engine::ingest::logs::{self, LogCounts, LogFormat, LogLine, LogProblem, Skip};

use crate::data;

fn render(line: u64, l: &LogLine) -> Vec<String> {
    match l {
        LogLine::Records(rs) => rs
            .iter()
            .map(|r| {
                let o = |s: Option<String>| s.unwrap_or_else(|| "-".into());
                [
                    line.to_string(),
                    "record".into(),
                    o(r.recipient.clone()),
                    o(r.action.map(|a| a.as_str().to_owned())),
                    o(r.phase.map(|p| p.as_str().to_owned())),
                    o(r.reply_code.map(|c| c.to_string())),
                    o(r.enhanced_code.map(|c| c.to_string())),
                    o(r.remote_mta.clone()),
                    o(r.log_class.clone()),
                    r.text.clone(),
                ]
                .join("\t")
            })
            .collect(),
        LogLine::Skipped(s) => vec![format!(
            "{line}\tskip\t{}",
            match s {
                Skip::Delivery => "delivery",
                Skip::Reception => "reception",
                Skip::Other => "other",
            }
        )],
        LogLine::Malformed(p) => vec![format!(
            "{line}\tmalformed\t{}",
            match p {
                LogProblem::NotJson(_) => "not_json".to_owned(),
                LogProblem::MissingField(f) => format!("missing:{f}"),
                LogProblem::Columns { expected, found } => format!("columns:{found}/{expected}"),
                LogProblem::Csv(_) => "csv".to_owned(),
                LogProblem::OtherFormat => "other_format".to_owned(),
                LogProblem::Unreadable => "unreadable".to_owned(),
            }
        )],
    }
}

fn golden(name: &str, want_format: LogFormat) -> LogCounts {
    let path = data(&format!("logs/{name}"));
    let bytes = std::fs::read(&path).expect("sample log");
    assert_eq!(logs::sniff(&bytes), Some(want_format), "{name}: detected by content");
    let mut rows = vec!["line\toutcome\trecipient\taction\tphase\treply_code\tenhanced_code\tremote_mta\tlog_class\ttext".to_owned()];
    let reader = Box::new(BufReader::new(std::fs::File::open(&path).unwrap()));
    let counts = logs::read_log(want_format, reader, Some(path.clone()), |n, l| rows.extend(render(n, &l))).expect("read");
    let got = rows.join("\n") + "\n";
    let expected_path = data(&format!("logs/{name}.expected.tsv"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&expected_path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&expected_path).expect("golden file");
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{name}: row {i} differs");
    }
    assert_eq!(got.lines().count(), want.lines().count(), "{name}: row count");
    counts
}

#[test]
fn kumomta_json_records() {
    let c = golden("kumomta.jsonl", LogFormat::KumoMta);
    assert_eq!(c, LogCounts { records: 6, deliveries: 1, receptions: 1, other: 1, malformed: 4 });
}

#[test]
fn powermta_accounting_csv() {
    let c = golden("powermta.csv", LogFormat::PowerMta);
    assert_eq!(c, LogCounts { records: 5, deliveries: 1, receptions: 1, other: 1, malformed: 1 });
}

#[test]
fn postfix_maillog_lines() {
    let c = golden("postfix.maillog", LogFormat::Postfix);
    assert_eq!(c, LogCounts { records: 5, deliveries: 1, receptions: 2, other: 4, malformed: 2 });
}

#[test]
fn other_text_is_no_log() {
    assert_eq!(logs::sniff(b"550 5.1.1 <a@example.org>: user unknown\n451 try later\n"), None);
    assert_eq!(logs::sniff(b"Return-Path: <>\nReceived: from x\n\nbody"), None);
}
