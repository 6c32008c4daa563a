//! `rust-i18n` embeds `assets/i18n/*.toml` from a macro, which cargo does not
//! track: rerunning this script when the folder changes rebuilds the crate.

fn main() {
    println!("cargo:rerun-if-changed=assets/i18n");
}
