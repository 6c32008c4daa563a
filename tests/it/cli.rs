use std::io::Write;
use std::process::{Command, Stdio};

/// The binary, in English whatever the system's locale (human output follows it).
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bouncelab"));
    c.env("LC_ALL", "C");
    c
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    crate::run_cli("C", args, input)
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
    // The 10 MB line is cut at the stated limit, with a warning naming it.
    assert!(err.contains("stdin:2") && err.contains("1048576"), "{err}");
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
    let (code, _, err) = run_with_stdin(&["eval", corpus.to_str().unwrap(), "--rules", &rules(), "--min-reason", "100.1"], b"");
    assert_eq!(code, 2, "a percentage above 100 is refused, not compared: {err}");
}

#[test]
fn human_output_follows_the_system_language_and_json_does_not() {
    let mut doc = crate::default_doc();
    let first = doc.bounce_rules[0].name.clone();
    doc.bounce_rules.push(bouncelab::engine::BounceRule::new(first, "some new phrase", "userunknown"));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.ron");
    doc.save(&p).unwrap();
    let korean = |args: &[&str], input: &[u8]| {
        let mut child = bin()
            .env("LC_ALL", "ko_KR.UTF-8")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = korean(&["lint", p.to_str().unwrap()], b"");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(": 오류: 규칙 #"), "{out}");
    assert!(out.contains("이름이 같습니다"), "{out}");
    assert!(out.contains("반송 규칙"), "{out}");
    let (_, english, _) = run_with_stdin(&["lint", p.to_str().unwrap()], b"");
    assert!(english.contains(": error: rule #") && english.contains("same name as rule #1"), "{english}");
    let (code, out) = korean(&["classify", "--rules", &rules()], b"550 5.1.1 ... User is unknown {mx003}\n");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["failure_type"], "Hard", "machine output is the same in every language");
}

/// Runs the binary under `locale`; returns (exit code, stdout, stderr).
fn run_in(locale: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncelab")).env("LC_ALL", locale).args(args).stdin(Stdio::null()).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn scenario_export_and_eval_reports_are_korean_and_their_data_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = crate::default_doc();
    doc.mx_rules.clear();
    doc.bounce_rules[0].enabled = false;
    let n = doc.bounce_rules.len();
    // Left out of PowerMTA too: the phase-limited rules (PowerMTA cannot say a phase).
    let kept = n - 1 - doc.bounce_rules.iter().filter(|r| !r.phases.is_empty()).count();
    let rules = dir.path().join("r.ron");
    doc.save(&rules).unwrap();
    let scenario = dir.path().join("s.ron");
    std::fs::write(&scenario, bouncelab::engine::scenario::Scenario::default().to_ron_string().unwrap()).unwrap();
    let (rules, scenario) = (rules.to_str().unwrap(), scenario.to_str().unwrap());

    // simulate: the scenario's warnings follow the language, the CSV series do not.
    let args = ["simulate", "--rules", rules, "--scenario", scenario, "--days", "1", "--format", "csv"];
    let (code, csv_en, err_en) = run_in("C", &args);
    assert_eq!(code, 0, "{err_en}");
    assert!(err_en.contains("warning: scenario providers[0].mx_host: ") && err_en.contains("no MX rule matches"), "{err_en}");
    let (code, csv_ko, err_ko) = run_in("ko_KR.UTF-8", &args);
    assert_eq!(code, 0, "{err_ko}");
    assert!(err_ko.contains("경고: 시나리오 providers[0].mx_host: "), "{err_ko}");
    assert!(err_ko.contains("일치하는 MX 규칙이 없습니다") && err_ko.contains("느림: IP당 시간당 50건"), "{err_ko}");
    assert!(!err_ko.contains("no MX rule"), "{err_ko}");
    assert!(csv_en.starts_with("level,hour,destination,"));
    assert_eq!(csv_ko, csv_en, "the CSV is the same in every language");

    // export: the compatibility report follows the language, the exported file does not.
    // (PowerMTA: one file on stdout; the default rules need several KumoMTA files to keep their order.)
    let args = ["export", "--format", "powermta", rules];
    let (code, toml_en, err_en) = run_in("C", &args);
    assert_eq!(code, 0, "{err_en}");
    assert!(
        err_en.contains("warning: rule #1 '") && err_en.contains("(skipped)") && err_en.contains(&format!("exported {kept} of {n}")),
        "{err_en}"
    );
    let (code, toml_ko, err_ko) = run_in("ko_KR.UTF-8", &args);
    assert_eq!(code, 0, "{err_ko}");
    assert!(err_ko.contains("경고: 규칙 #1 '") && err_ko.contains("(건너뜀)"), "{err_ko}");
    assert!(err_ko.contains(&format!("반송 규칙 {n}개 중 {kept}개를 내보냈습니다")), "{err_ko}");
    assert_eq!(toml_ko, toml_en, "the exported file is the same in every language");

    // eval: the summary headings follow the language.
    let corpus = crate::data("mini_corpus.tsv");
    let (code, out, _) = run_in("ko_KR.UTF-8", &["eval", corpus.to_str().unwrap(), "--rules", rules]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("사유 정확도") && out.contains("카테고리별 재현율") && !out.contains("reason accuracy"), "{out}");
}

#[test]
fn help_follows_the_locale() {
    let (code, en, _) = run_in("C", &["mx", "--help"]);
    assert_eq!(code, 0);
    for text in
        ["Usage: bouncelab mx", "Arguments:", "Options:", "Domain or recipient address (IDN allowed)", "Exit status: 0 when mail hosts"]
    {
        assert!(en.contains(text), "{text:?} in\n{en}");
    }
    let (code, ko, _) = run_in("ko_KR.UTF-8", &["mx", "--help"]);
    assert_eq!(code, 0);
    for text in ["사용법: bouncelab mx", "인수:", "옵션:", "도메인 또는 수신자 주소 (IDN 허용)", "종료 상태:", "도움말 출력"]
    {
        assert!(ko.contains(text), "{text:?} in\n{ko}");
    }
    for english in ["Usage:", "Options:", "Print help", "[default:", "possible values"] {
        assert!(!ko.contains(english), "{english:?} left in\n{ko}");
    }
    let (_, top, _) = run_in("zh_TW.UTF-8", &["--help"]);
    assert!(top.contains("命令：") && top.contains("顯示此說明或指定子命令的說明"), "{top}");
    assert!(top.contains("用法：bouncelab"), "no space after a full-width colon: {top}");
    // Parsing is unchanged by the translation.
    let (code, out, _) = run_in("ko_KR.UTF-8", &["simulate", "--days", "1", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
}

/// Every subcommand and argument has its help text in the catalogue (the
/// catalogue test then holds every language to the same keys).
#[test]
fn every_argument_has_catalogue_help() {
    use bouncelab::cli::help::key;
    use clap::CommandFactory;

    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>, seen: &mut usize) {
        let mut keys = vec![key(path, "about")];
        keys.extend(
            cmd.get_arguments().map(|a| a.get_id().as_str()).filter(|id| !["help", "version"].contains(id)).map(|id| key(path, id)),
        );
        for k in keys {
            *seen += 1;
            if bouncelab::i18n::lookup("en", &format!("cli_help.{k}")).is_none() {
                missing.push(k);
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &key(path, sub.get_name()), missing, seen);
        }
    }
    let (mut missing, mut seen) = (Vec::new(), 0);
    walk(&bouncelab::cli::Cli::command(), "", &mut missing, &mut seen);
    assert!(seen > 50, "{seen} texts");
    assert!(missing.is_empty(), "no help in en.toml for: {missing:?}");
}

#[test]
fn a_binary_file_is_not_read_as_thousands_of_replies_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("random.bin");
    // Deterministic noise with NULs and control bytes, as a compressed or random file has.
    let bytes: Vec<u8> = (0u32..300_000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&p, &bytes).unwrap();
    let (_, out, err) = run_with_stdin(&["classify", "--rules", &rules(), p.to_str().unwrap()], b"");
    assert_eq!(out.lines().count(), 0, "no garbage replies");
    assert!(err.contains("binary data, not text"), "{err}");
    let (_, out, _) = run_with_stdin(&["classify", "--rules", &rules(), "--input", "lines", p.to_str().unwrap()], b"");
    assert!(out.lines().count() > 100, "forced, it is read as lines");
    // Text in a legacy encoding is text.
    let sjis = b"550 5.1.1 \x83\x86\x81\x5b\x83\x55\x82\xaa\x91\xb6\x8d\xdd\x82\xb5\x82\xdc\x82\xb9\x82\xf1\n".repeat(50);
    std::fs::write(&p, &sjis).unwrap();
    let (_, out, _) = run_with_stdin(&["classify", "--rules", &rules(), p.to_str().unwrap()], b"");
    assert_eq!(out.lines().count(), 50);
}
