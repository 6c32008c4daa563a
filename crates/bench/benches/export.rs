//! The exported rules in the targets' own engines, one core, on the dev
//! corpus in KumoMTA's one-line response form: KumoMTA's `RegexSet` (builder
//! defaults, `matches()` then lowest index, as `bounce-classify` does) and
//! PowerMTA's PCRE2 lines; next to them the same loop over KumoMTA's own
//! shipped rules (`tests/data/kumomta_rules/`: `bounces.toml` then
//! `iana.toml`, copied from KumoMTA), the speed the export is compared with.
//! `KUMO_RULES=a.toml:b.toml` times other KumoMTA rule files instead.

use std::hint::black_box;

use bouncelab::engine::interchange::verify::{KumoClassifier, PmtaClassifier, kumo_line};
use bouncelab::engine::interchange::{self, Format, kumomta};
use bouncelab::engine::{default_rules, eval};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn lines() -> Vec<String> {
    let path = bouncelab_bench::repo_path("corpus/sisimai-dev.tsv");
    eval::read_tsv(&path).expect("corpus").into_iter().map(|s| kumo_line(&s.text)).collect()
}

fn bench(c: &mut Criterion) {
    let lines = lines();
    let doc = default_rules();
    let kumo_out = interchange::export(&doc, Format::KumoMta);
    let parts: Vec<&str> = std::iter::once(kumo_out.text.as_str()).chain(kumo_out.more_files.iter().map(String::as_str)).collect();
    let kumo = KumoClassifier::from_files(&parts).expect("export loads in KumoMTA's builder");
    let pmta = PmtaClassifier::from_text(&interchange::export(&doc, Format::PowerMta).text).expect("PCRE2 compiles the export");

    let mut g = c.benchmark_group("export");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("kumomta_exported_rules", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(kumo.classify(black_box(l)));
            }
        })
    });
    // The same rules written as before the prefix factoring (`kumo_pattern`, one
    // file is enough: order across classes does not change the speed).
    let plain: Vec<String> = doc.bounce_rules.iter().map(|r| kumomta::kumo_pattern(&r.pattern)).collect();
    let plain = regex::RegexSet::new(&plain).expect("plain patterns compile");
    g.bench_function("kumomta_exported_rules_unfactored", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(plain.matches(black_box(l)).iter().next());
            }
        })
    });
    // What a `dfa_size_limit` option in KumoMTA would give (it has none).
    let big = KumoClassifier::with_dfa_size_limit(&parts, Some(64 << 20)).expect("export loads");
    g.bench_function("kumomta_exported_rules_dfa_64mb", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(big.classify(black_box(l)));
            }
        })
    });
    g.bench_function("powermta_exported_rules_pcre2", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(pmta.classify(black_box(l)));
            }
        })
    });
    let fixture = bouncelab_bench::repo_path("tests/data/kumomta_rules");
    let files: Vec<std::path::PathBuf> = match std::env::var("KUMO_RULES") {
        Ok(list) => list.split(':').map(Into::into).collect(),
        Err(_) => vec![fixture.join("bounces.toml"), fixture.join("iana.toml")],
    };
    let texts: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).expect("KumoMTA rule file")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let own = KumoClassifier::from_files(&refs).expect("KumoMTA's rules load");
    g.bench_function("kumomta_own_rules", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(own.classify(black_box(l)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
