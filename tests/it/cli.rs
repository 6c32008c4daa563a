use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bouncelab"))
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = bin().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn rules() -> String {
    format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn classify_writes_one_json_object_per_line() {
    let (code, out, _) =
        run_with_stdin(&["classify", "--rules", &rules()], b"550 5.2.2 User quota exceeded\nDNS query failed for 'ourdan.com'\r\n");
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["failure_type"], "Soft");
    assert_eq!(lines[0]["reason"], "Mailbox full");
    assert_eq!(lines[0]["category"], "mailboxfull");
    assert_eq!(lines[0]["decided_by"], "rule");
    assert_eq!(lines[0]["basic_code"], 550);
    assert_eq!(lines[0]["enhanced_code"], "5.2.2");
    assert!(lines[0]["rule"].is_string());
    assert!(lines[0]["span"].is_array());
    assert_eq!(lines[1]["reason"], "Invalid domain");
    assert_eq!(lines[1]["basic_code"], serde_json::Value::Null);
}

#[test]
fn classify_tsv_has_header_and_rows() {
    let (code, out, _) = run_with_stdin(&["classify", "--format", "tsv", "--rules", &rules()], b"250 ok\nxyz\n");
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("failure_type\treason"));
    assert!(lines[1].starts_with("Ignored\t"));
}

#[test]
fn classify_survives_binary_garbage_and_huge_lines() {
    let mut input = vec![0xff, 0xfe, b'5', b'5', b'0', b'\n'];
    input.extend(std::iter::repeat_n(b'a', 10 << 20));
    input.extend_from_slice(b" user unknown\n");
    let (code, out, err) = run_with_stdin(&["classify", "--rules", &rules()], &input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2);
    assert!(err.contains("UTF-8"), "{err}");
    assert!(out.lines().nth(1).unwrap().contains("userunknown"));
}

#[test]
fn malformed_rule_file_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.ron");
    std::fs::write(&p, "RuleSet(\n  version: 1,\n  reasons: [,\n").unwrap();
    let before = std::fs::read(&p).unwrap();
    let (code, _, err) = run_with_stdin(&["classify", "--rules", p.to_str().unwrap()], b"x\n");
    assert_eq!(code, 2);
    assert!(err.contains("bad.ron:3:"), "{err}");
    assert_eq!(std::fs::read(&p).unwrap(), before, "a file that fails to load is never touched");
}

#[test]
fn missing_file_is_a_clear_error() {
    let (code, _, err) = run_with_stdin(&["classify", "--rules", "/nonexistent/rules.ron"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/rules.ron"), "{err}");
}

#[test]
fn test_and_lint_pass_on_the_shipped_rules() {
    let (code, out, _) = run_with_stdin(&["test", &rules()], b"");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" passed, 0 failed"));
    let (code, out, _) = run_with_stdin(&["lint", "--strict", &rules()], b"");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn test_fails_on_a_broken_example() {
    let mut doc = crate::default_doc();
    doc.bounce_rules[0].must_match.push("this text matches nothing at all".into());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.ron");
    doc.save(&p).unwrap();
    let (code, out, _) = run_with_stdin(&["test", p.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(out.contains("FAIL rule #1"), "{out}");
}

#[test]
fn eval_scores_a_labeled_tsv() {
    let corpus = crate::data("mini_corpus.tsv");
    let (code, out, _) = run_with_stdin(&["eval", corpus.to_str().unwrap(), "--rules", &rules(), "--min-reason", "50"], b"");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("reason accuracy"));
    assert!(out.contains("hard/soft"));
    let (code, _, _) = run_with_stdin(&["eval", corpus.to_str().unwrap(), "--rules", &rules(), "--min-reason", "100.1"], b"");
    assert_eq!(code, 1);
}
