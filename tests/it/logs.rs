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

/// `bouncelab classify NAME` run in tests/data/logs (relative names keep the
/// golden files machine-independent), in English: (exit code, stdout, stderr).
fn classify_in_logs(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let rules = format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bouncelab"))
        .env("LC_ALL", "C")
        .current_dir(data("logs"))
        .args(["classify", "--rules", &rules])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bouncelab");
    let mut w = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&data);
    });
    let out = child.wait_with_output().expect("output");
    writer.join().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Compares `got` with the golden file `logs/NAME` (`BLESS=1` rewrites it).
fn assert_golden(name: &str, got: &str) {
    let path = data(&format!("logs/{name}"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("golden file {name} (BLESS=1 writes it)"));
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{name}: line {} differs", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count(), "{name}: line count");
}

/// `classify` on each sample log: detected by content, one verdict per bounce
/// record (recipient, phase, log_class), the skipped and malformed lines
/// reported on stderr with their line numbers and counted.
#[test]
fn classify_gives_one_verdict_per_bounce_record_of_each_format() {
    for (name, records, counts) in [
        ("kumomta.jsonl", 6, "kumomta.jsonl: 6 bounce records; skipped: 1 deliveries, 1 receptions, 1 other events; 4 malformed lines"),
        ("powermta.csv", 5, "powermta.csv: 5 bounce records; skipped: 1 deliveries, 1 receptions, 1 other events; 1 malformed lines"),
        ("postfix.maillog", 5, "postfix.maillog: 5 bounce records; skipped: 1 deliveries, 2 receptions, 4 other events; 2 malformed lines"),
    ] {
        let (code, out, err) = classify_in_logs(&[name], b"");
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(out.lines().count(), records, "{name}: {out}");
        for l in out.lines() {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            assert_eq!(v["file"].as_str(), Some(name));
            assert!(v["recipient"].is_string() && v["line"].is_u64(), "{name}: {v}");
            assert!(v["mta"].as_str().unwrap().starts_with("log:"), "{name}: {v}");
        }
        assert!(err.lines().any(|l| l.ends_with(counts)), "{name}: {err}");
        assert_golden(&format!("{name}.classify.jsonl"), &out);
        assert_golden(&format!("{name}.classify.stderr"), &err);
        // The same log piped in is detected the same way.
        let (code, piped, _) = classify_in_logs(&[], &std::fs::read(data(&format!("logs/{name}"))).unwrap());
        assert_eq!(code, 0);
        assert_eq!(piped.replace("\"file\":null", &format!("\"file\":\"{name}\"")), out, "{name} from stdin");
    }
}

/// `--summary`: the MTA's class against the rule set's, disagreements first.
#[test]
fn summary_is_a_confusion_table_with_disagreements_first() {
    let (code, out, err) = classify_in_logs(&["--summary", "kumomta.jsonl", "powermta.csv", "postfix.maillog"], b"");
    assert_eq!(code, 0, "{err}");
    assert_golden("summary.expected.txt", &out);
    let rows: Vec<&str> = out.lines().skip(2).take_while(|l| l.starts_with("kumomta") || l.starts_with("powermta")).collect();
    assert!(!rows.is_empty(), "{out}");
    let first_agreeing = rows.iter().position(|r| !r.ends_with('≠')).unwrap_or(rows.len());
    assert!(rows[first_agreeing..].iter().all(|r| !r.ends_with('≠')), "disagreements come first: {out}");
    assert!(out.contains("records agree ("), "{out}");
    assert!(out.contains("5 records carry no class of the MTA's own"), "{out}");
}
