//! Hostile inputs, as a data table (`tests/data/hostile_inputs.tsv`): what is
//! given, which command, the clear error expected, and what must hold on disk
//! afterwards (links kept, modes kept, nothing truncated, nothing followed).
//!
//! Setup steps (` ; `-separated): `write NAME TEXT` (`\n`, `\r`, `\t`, `\xHH`
//! escapes), `default NAME [UPSTREAM]` (the shipped rules, following
//! UPSTREAM), `changed NAME` (the shipped rules plus one rule), `kumo NAME`
//! (their KumoMTA export), `link NAME TARGET`, `chmod NAME OCTAL`,
//! `mkdir NAME`, `sparse NAME BYTES`. Expectations (` && `): `out:`/`err:`
//! TEXT is printed, `err1:` exactly once, `noerr:` never. Checks after
//! (` ; `): `same NAME TEXT`, `has`/`hasnt NAME TEXT`, `link NAME`,
//! `file NAME`, `missing NAME`, `mode NAME OCTAL`, `chardev PATH`.

use std::path::Path;

use bouncelab::engine::interchange::{self, Format};
use bouncelab::engine::ruleset::Upstream;
use bouncelab::engine::{BounceRule, RuleSet};

fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'n')) => (out.push(b'\n'), i += 2).1,
            (b'\\', Some(b't')) => (out.push(b'\t'), i += 2).1,
            (b'\\', Some(b'r')) => (out.push(b'\r'), i += 2).1,
            (b'\\', Some(b'\\')) => (out.push(b'\\'), i += 2).1,
            (b'\\', Some(b'x')) => {
                out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).expect("\\xHH"));
                i += 4;
            }
            (c, _) => (out.push(c), i += 1).1,
        }
    }
    out
}

fn follower(up: Option<&str>) -> RuleSet {
    let mut rs = crate::default_doc();
    if let Some(up) = up {
        rs.name = "local-doc".into();
        rs.upstream = Some(Upstream { path: up.into(), note: String::new() });
    }
    rs
}

fn setup(dir: &Path, steps: &str) {
    for step in steps.split(" ; ").filter(|s| !s.trim().is_empty()) {
        let (verb, rest) = step.split_once(' ').unwrap_or((step, ""));
        let (name, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        let p = dir.join(name);
        match verb {
            "write" => std::fs::write(&p, unescape(arg)).unwrap(),
            "default" => std::fs::write(&p, follower((!arg.is_empty()).then_some(arg)).to_ron_string().unwrap()).unwrap(),
            "changed" => {
                let mut rs = crate::default_doc();
                let mut r = BounceRule::new("added-upstream", r"zz hostile table wording", "userunknown");
                r.must_match.push("550 zz hostile table wording".into());
                rs.bounce_rules.insert(0, r);
                std::fs::write(&p, rs.to_ron_string().unwrap()).unwrap();
            }
            "kumo" => std::fs::write(&p, interchange::export(&crate::default_doc(), Format::KumoMta).text).unwrap(),
            "link" => std::os::unix::fs::symlink(arg, &p).unwrap(),
            "chmod" => {
                use std::os::unix::fs::PermissionsExt;
                let mode = u32::from_str_radix(arg, 8).unwrap();
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            }
            "mkdir" => std::fs::create_dir(&p).unwrap(),
            "sparse" => std::fs::File::create(&p).unwrap().set_len(arg.parse().unwrap()).unwrap(),
            other => panic!("unknown setup step {other}"),
        }
    }
}

/// Problems of one check after the command, empty when it holds.
fn check_after(dir: &Path, check: &str) -> Option<String> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let (verb, rest) = check.split_once(' ').unwrap_or((check, ""));
    let (name, arg) = rest.split_once(' ').unwrap_or((rest, ""));
    let p = dir.join(name);
    let meta = std::fs::symlink_metadata(&p);
    let content = || std::fs::read(&p).unwrap_or_default();
    let has = |t: &str| String::from_utf8_lossy(&content()).contains(t);
    let ok = match verb {
        "same" => content() == unescape(arg),
        "has" => has(arg),
        "hasnt" => !has(arg),
        "link" => meta.is_ok_and(|m| m.file_type().is_symlink()),
        "file" => meta.is_ok_and(|m| m.is_file()),
        "missing" => meta.is_err(),
        "mode" => meta.is_ok_and(|_| std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777 == u32::from_str_radix(arg, 8).unwrap()),
        "chardev" => std::fs::symlink_metadata(name).is_ok_and(|m| m.file_type().is_char_device()),
        other => panic!("unknown check {other}"),
    };
    (!ok).then(|| format!("after: {check} does not hold"))
}

#[test]
fn every_hostile_input_gets_its_clear_answer() {
    let rows = crate::table("hostile_inputs.tsv");
    assert!(rows.len() >= 50, "the table holds {} rows", rows.len());
    let mut problems = Vec::new();
    for row in &rows {
        let [case, steps, command, exit, expect, after] = row.as_slice() else { panic!("6 columns: {row:?}") };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        setup(dir.path(), steps);
        let command = command.replace("{d}", d);
        let args: Vec<&str> = command.split_whitespace().collect();
        let (code, out, err) = crate::run_cli("C", &args, b"");
        let mut bad = Vec::new();
        if code.to_string() != *exit {
            bad.push(format!("exit {code}, expected {exit}"));
        }
        for e in expect.split(" && ").filter(|e| !e.is_empty()) {
            let (stream, text) = e.split_once(':').expect("stream:text");
            let ok = match stream {
                "out" => out.contains(text),
                "err" => err.contains(text),
                "err1" => err.matches(text).count() == 1,
                "noerr" => !err.contains(text),
                other => panic!("unknown stream {other}"),
            };
            if !ok {
                bad.push(format!("expected {e}"));
            }
        }
        bad.extend(after.split(" ; ").filter(|c| !c.is_empty()).filter_map(|c| check_after(dir.path(), c)));
        if !bad.is_empty() {
            problems.push(format!("{case}: {}\n  stderr: {}\n  stdout: {}", bad.join("; "), err.trim(), out.lines().next().unwrap_or("")));
        }
    }
    assert!(problems.is_empty(), "{} of {} hostile inputs:\n{}", problems.len(), rows.len(), problems.join("\n"));
}

/// GUI Save / Save as go through the same write path: the link stays, the
/// mode stays, a read-only file is refused with a dialog and left alone.
#[cfg(feature = "gui")]
#[test]
fn gui_save_keeps_links_and_modes_and_refuses_read_only_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.ron");
    let link = dir.path().join("mine.ron");
    crate::default_doc().save(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink("real.ron", &link).unwrap();
    let mut app = crate::gui_support::app_on(bouncelab::gui::Panel::BounceRules);
    app.document.rules.name = "saved through the link".into();
    assert!(app.save_to(&link), "{:?}", app.error);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(RuleSet::load(&real).unwrap().name, "saved through the link");
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o644);

    let locked = dir.path().join("locked.ron");
    std::fs::write(&locked, "keep").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
    assert!(!app.save_to(&locked));
    assert!(app.error.as_deref().unwrap().contains("read-only"), "{:?}", app.error);
    assert_eq!(std::fs::read(&locked).unwrap(), b"keep");
}

/// File errors speak the user's language like the rest of the CLI, with the
/// file's place and the field names as written.
#[test]
fn file_errors_are_translated() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.ron");
    std::fs::write(&p, "RuleSet(version: 1, reasons: [], categories: [], bounce_rules: [], bounce_rule: [])").unwrap();
    let f = p.to_str().unwrap();
    for (locale, words) in
        [("ko_KR.UTF-8", "의미했나요"), ("zh_CN.UTF-8", "您是想写"), ("pt_BR.UTF-8", "você quis dizer"), ("es_ES.UTF-8", "quiso decir")]
    {
        let (code, _, err) = crate::run_cli(locale, &["lint", f], b"");
        assert_eq!(code, 2, "{locale}: {err}");
        assert!(err.contains(words) && err.contains("`bounce_rules`") && err.contains("r.ron:1:"), "{locale}: {err}");
        assert!(!err.contains("unknown field"), "{locale} shows English: {err}");
    }
    let (_, _, err) = crate::run_cli("ko_KR.UTF-8", &["lint", "/dev/zero"], b"");
    assert!(err.contains("32 MiB보다 큽니다"), "{err}");
}

/// GUI Open refuses a file with a typo'd field, says where and what was
/// meant, and keeps the current document.
#[cfg(feature = "gui")]
#[test]
fn gui_open_refuses_unknown_fields_and_keeps_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("typo.ron");
    std::fs::write(&p, "RuleSet(version: 1, reasons: [], categories: [],\n  bounce_rules: [], mx_rule: [])").unwrap();
    let mut app = crate::gui_support::app_on(bouncelab::gui::Panel::BounceRules);
    let before = app.document.rules.clone();
    app.open_path(&p);
    let e = app.error.clone().unwrap_or_default();
    assert!(e.contains("typo.ron:2:21") && e.contains("did you mean `mx_rules`?"), "{e}");
    assert_eq!(app.document.rules, before);
}
