//! Classification throughput on real bounce texts, single thread, against a
//! bare `RegexSet::is_match` scan of the same texts with the same patterns.

use std::hint::black_box;
use std::path::Path;

use bouncelab::engine::{Classifier, default_rules, eval};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The dev corpus when it is beside the repo (corpus/ in the repo), else the test table.
pub fn corpus_texts() -> Vec<String> {
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/sisimai-dev.tsv");
    let mini = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini_corpus.tsv");
    let path = if dev.exists() { dev } else { mini };
    eval::read_tsv(&path).expect("corpus").into_iter().map(|s| s.text).collect()
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
