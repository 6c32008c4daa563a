//! `bouncelab eval`: plain and leave-one-MTA-family-out scoring, and the
//! arguments it refuses (a threshold that cannot compare, a fold that does
//! not exist) instead of scoring nothing with exit 0.

use crate::{data, run_cli, table};

fn corpus() -> String {
    data("eval_families.tsv").to_str().unwrap().to_owned()
}

fn rules() -> String {
    format!("{}/sample_rules/default.ron", env!("CARGO_MANIFEST_DIR"))
}

fn eval(extra: &[&str]) -> (i32, String, String) {
    let (c, r) = (corpus(), rules());
    let mut args = vec!["eval", c.as_str(), "--rules", r.as_str()];
    args.extend_from_slice(extra);
    run_cli("C", &args, b"")
}

#[test]
fn by_mta_scores_every_family_beside_the_plain_figure() {
    let (code, out, err) = eval(&["--folds", "by-mta"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("samples          4"), "{out}");
    assert!(out.contains("reason accuracy  75.0 % (3/4)"), "{out}");
    assert!(out.contains("leave-one-MTA-family-out: 2 families"), "{out}");
    // mta-alpha 2/2, mta-beta 1/2: the mean of families is 75 %, and each family has its line.
    assert!(out.contains("reason accuracy, mean of families  75.0 %"), "{out}");
    let beta = out.lines().find(|l| l.trim_start().starts_with("mta-beta ")).expect("a line for mta-beta");
    assert!(beta.contains("50.0 % (1/2)"), "{beta}");
    let alpha = out.lines().find(|l| l.trim_start().starts_with("mta-alpha ")).expect("a line for mta-alpha");
    assert!(alpha.contains("100.0 % (2/2)"), "{alpha}");
    // Per-category recall, pooled and over the families that have the category.
    let uu = out.lines().find(|l| l.trim_start().starts_with("userunknown")).expect("userunknown recall");
    assert!(uu.contains("50.0 % (1/2)") && uu.contains("over 2 families"), "{uu}");
}

#[test]
fn thresholds_apply_to_the_mean_of_families_with_by_mta() {
    assert_eq!(eval(&["--folds", "by-mta", "--min-reason", "75"]).0, 0);
    let (code, _, err) = eval(&["--folds", "by-mta", "--min-reason", "76"]);
    assert_eq!(code, 1);
    assert!(err.contains("reason accuracy below 76%"), "{err}");
    assert_eq!(eval(&["--min-hardness", "100"]).0, 1);
}

#[test]
fn one_family_can_be_scored_alone_or_left_out() {
    let (code, out, err) = eval(&["--folds", "by-mta", "--fold", "mta-beta"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("samples          2") && out.contains("(1/2)"), "{out}");
    // By its number in name order too.
    let (code, out, _) = eval(&["--folds", "by-mta", "--fold", "0"]);
    assert_eq!(code, 0);
    assert!(out.contains("reason accuracy  100.0 % (2/2)"), "{out}");
    let (code, out, _) = eval(&["--folds", "by-mta", "--exclude-fold", "mta-alpha"]);
    assert_eq!(code, 0);
    assert!(out.contains("samples          2"), "{out}");
}

#[test]
fn hashed_folds_partition_the_corpus() {
    let mut total = 0;
    for k in 0..3 {
        let (code, out, err) = eval(&["--folds", "3", "--fold", &k.to_string()]);
        assert_eq!(code, 0, "{err}");
        let line = out.lines().next().unwrap_or_default();
        total += line.rsplit(' ').next().and_then(|n| n.parse::<usize>().ok()).unwrap_or_else(|| panic!("{out}"));
    }
    assert_eq!(total, 4, "every sample is in exactly one fold");
}

#[test]
fn bad_thresholds_and_missing_folds_are_refused() {
    for row in table("eval_bad_args.tsv") {
        let args: Vec<&str> = row[0].split(' ').collect();
        let (code, out, err) = eval(&args);
        assert_eq!(code, 2, "{}: exit {code}, stdout {out}", row[0]);
        assert!(err.contains(&row[1]), "{}: {err}", row[0]);
        assert!(!out.contains("reason accuracy"), "{}: nothing is scored: {out}", row[0]);
    }
}

#[test]
fn the_email_split_labels_name_their_family_by_file() {
    use bouncelab::engine::eval::family_of;
    for row in table("../../corpus/emails-dev.tsv") {
        assert_eq!(family_of(&row[0]), family_of(&row[1]), "{} / {}", row[0], row[1]);
    }
}
