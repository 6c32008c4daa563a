//! Bounce emails per second on one core: parse (MIME, DSN and plain-text
//! readers) and classify every recipient of the 281 dev emails
//! (`corpus/emails-dev/`), from bytes in memory, so the figure is the
//! engine's and not the disk's. Also the two halves apart.

use std::hint::black_box;

use bouncelab::engine::ingest::{RecordSource, email};
use bouncelab::engine::{Classifier, default_rules};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The dev emails, raw.
fn emails() -> Vec<Vec<u8>> {
    let dir = bouncelab_bench::repo_path("corpus/emails-dev");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("corpus/emails-dev").flatten().map(|e| e.path()).collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).expect("email")).collect()
}

fn bench(c: &mut Criterion) {
    let raw = emails();
    let classifier = Classifier::new(&default_rules());
    let source = RecordSource::default();
    let mut g = c.benchmark_group("emails");
    g.throughput(Throughput::Elements(raw.len() as u64));
    g.bench_function("parse_and_classify", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for e in &raw {
                for r in email::read(e, &source).records {
                    n += classifier.classify_record(&r).category as usize;
                }
            }
            black_box(n)
        })
    });
    g.bench_function("parse", |b| b.iter(|| raw.iter().map(|e| email::read(e, &source).records.len()).sum::<usize>()));
    let records: Vec<_> = raw.iter().flat_map(|e| email::read(e, &source).records).collect();
    g.bench_function("classify_records", |b| {
        b.iter(|| records.iter().map(|r| classifier.classify_record(r).category as usize).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
