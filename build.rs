//! Generates the list of message catalogues from `assets/i18n/*.toml`, so
//! adding a language is adding one file there and nothing else.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=assets/i18n");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/i18n");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("assets/i18n")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for p in files {
        let code = p.file_stem().expect("stem").to_string_lossy().into_owned();
        writeln!(out, "    ({code:?}, include_str!({:?})),", p.display().to_string()).expect("write");
    }
    out.push_str("]\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("catalogues.rs");
    std::fs::write(dest, out).expect("write catalogues.rs");
}
