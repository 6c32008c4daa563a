//! Classification throughput on real bounce texts, single thread, against a
//! bare `RegexSet::is_match` scan of the same texts with the same patterns;
//! the batch re-classification; compile and lint times of large rule sets.

use std::hint::black_box;

use bouncelab::engine::classify::BatchLine;
use bouncelab::engine::{BounceRule, Classifier, RuleSet, default_rules, eval, lint};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The dev corpus when it is beside the repo (corpus/ in the repo), else the test table.
pub fn corpus_texts() -> Vec<String> {
    let dev = bouncelab_bench::repo_path("corpus/sisimai-dev.tsv");
    let mini = bouncelab_bench::repo_path("tests/data/mini_corpus.tsv");
    let path = if dev.exists() { dev } else { mini };
    eval::read_tsv(&path).expect("corpus").into_iter().map(|s| s.text).collect()
}

/// Distinct words of the corpus, for generated phrases.
fn words(texts: &[String]) -> Vec<String> {
    let mut w: Vec<String> = texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| w.len() >= 3 && w.chars().all(char::is_alphanumeric))
        .collect();
    w.sort();
    w.dedup();
    w
}

/// `n` distinct plain-phrase rules (what a large KumoMTA import gives).
fn phrase_rules(texts: &[String], n: usize) -> RuleSet {
    let w = words(texts);
    let mut doc = default_rules();
    doc.bounce_rules = (0..n)
        .map(|k| {
            let phrase = format!("{} {} {}", w[k % w.len()], w[(k / w.len() + 7 * k + 1) % w.len()], w[(k * 13 + 5) % w.len()]);
            BounceRule::new(format!("phrase {k}"), format!("{phrase} {k}"), "userunknown")
        })
        .collect();
    doc
}

/// A mature rule set of `n` rules: the default rules after variants of
/// themselves (each with a distinct extra phrase), as the frame bench builds it.
fn mature_rules(n: usize) -> RuleSet {
    let mut doc = default_rules();
    let base = doc.bounce_rules.clone();
    let mut k = 0;
    while doc.bounce_rules.len() < n {
        let mut r = base[k % base.len()].clone();
        r.name = format!("{} v{k}", r.name);
        r.pattern = format!("{}|variant phrase {k}", r.pattern);
        doc.bounce_rules.insert(0, r);
        k += 1;
    }
    doc
}

fn bench(c: &mut Criterion) {
    let texts = corpus_texts();
    let doc = default_rules();
    let classifier = Classifier::new(&doc);
    // The same patterns the classifier compiles (ASCII word boundaries).
    let patterns: Vec<String> =
        doc.bounce_rules.iter().map(|r| bouncelab::engine::classify::ascii_word_boundaries(&r.pattern).into_owned()).collect();
    let limit = bouncelab::engine::classify::SET_SIZE_LIMIT;
    let set = regex::RegexSetBuilder::new(&patterns).case_insensitive(true).size_limit(limit).dfa_size_limit(limit).build().unwrap();

    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("default_rules", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(classifier.classify(black_box(t)));
            }
        })
    });
    g.bench_function("default_rules_without_span", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(classifier.classify_without_span(black_box(t)));
            }
        })
    });
    g.bench_function("default_rules_explain", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(classifier.explain(black_box(t)));
            }
        })
    });
    g.bench_function("default_rules_reference_loop", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(classifier.explain_reference(black_box(t)));
            }
        })
    });
    g.bench_function("bare_regexset_is_match", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(set.is_match(black_box(t)));
            }
        })
    });
    g.bench_function("bare_regexset_matches", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(set.matches(black_box(t)));
            }
        })
    });
    let mature = Classifier::new(&mature_rules(1000));
    g.bench_function("mature_1000_rules", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(mature.classify(black_box(t)));
            }
        })
    });
    g.finish();

    // Issue target: re-classifying a 100,000-line batch after a rule edit, on all cores.
    use rayon::prelude::*;
    let batch: Vec<&str> = texts.iter().map(String::as_str).cycle().take(100_000).collect();
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.bench_function("reclassify_100k_all_cores", |b| {
        b.iter(|| {
            batch
                .par_chunks(4096)
                .map(|chunk| chunk.iter().filter(|t| classifier.classify_without_span(t).rule.is_some()).count())
                .sum::<usize>()
        })
    });
    // The same batch after one rule was edited in the middle of the list (an
    // alternative added, as typing in the rule editor does): only what the edit
    // can change is classified again (`Classifier::reclassify`).
    let before: Vec<_> = batch.par_iter().map(|t| classifier.classify_without_span(t)).collect();
    // The worst case too: the edited rule is the one that wins the most lines, which all
    // need a full classification again.
    let mut wins = vec![0usize; doc.bounce_rules.len()];
    for v in &before {
        if let Some(r) = v.rule {
            wins[r] += 1;
        }
    }
    let busiest = (0..wins.len()).max_by_key(|&r| wins[r]).unwrap_or(0);
    for (name, k) in [
        ("reclassify_after_edit_100k_all_cores", doc.bounce_rules.len() / 2),
        ("reclassify_after_editing_the_busiest_rule_100k_all_cores", busiest),
    ] {
        let mut edited = doc.clone();
        edited.bounce_rules[k].pattern = format!("{}|mailbox is not available", edited.bounce_rules[k].pattern);
        let after = Classifier::new(&edited);
        let re = after.reclassifier(&classifier).expect("a one-rule edit");
        g.bench_function(name, |b| {
            b.iter(|| {
                batch
                    .par_chunks(4096)
                    .zip(before.par_chunks(4096))
                    .map(|(lines, old)| lines.iter().zip(old).filter(|(t, v)| re.verdict(v, BatchLine::Text(t)).rule.is_some()).count())
                    .sum::<usize>()
            })
        });
    }
    g.finish();

    // Issue targets: compile time linear in the rule count; compile + lint of 1,000 rules.
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    for n in [1_000, 10_000] {
        let doc = phrase_rules(&texts, n);
        g.bench_with_input(BenchmarkId::new("plain_phrases", n), &doc, |b, doc| b.iter(|| Classifier::new(black_box(doc))));
    }
    let doc = mature_rules(1000);
    g.bench_function("compile_and_lint_mature_1000", |b| {
        b.iter(|| {
            let c = Classifier::new(&doc);
            black_box(lint::lint(&doc, &c, None))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
