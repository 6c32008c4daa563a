//! The command line's `--help` in the user's language.
//!
//! Clap takes help texts from doc comments, in English, at compile time; this
//! walks the built command and replaces every text with the catalogue's
//! (`[cli_help]` in `assets/i18n/*.toml`, keyed by subcommand and argument
//! id), so `LANG=ko_KR.UTF-8 bouncelab mx --help` reads in Korean. Clap's own
//! parse errors stay English.

use clap::{Command, CommandFactory, FromArgMatches};

use super::Cli;
use crate::i18n::{tr, try_tr};

/// The catalogue text of a `cli_help` key in the current language, else English.
fn help_text(key: &str) -> Option<&'static str> {
    try_tr(&format!("cli_help.{key}"))
}

/// The catalogue key of `arg` (or `about`, `exit`) in the subcommand `path`
/// (empty for the top level).
pub fn key(path: &str, item: &str) -> String {
    if path.is_empty() { item.to_owned() } else { format!("{path}.{item}") }
}

/// Texts, section headings and defaults of `cmd` and its subcommands, before
/// clap builds its built-in `--help`/`--version`.
fn localize(mut cmd: Command, path: &str) -> Command {
    if let Some(about) = help_text(&key(path, "about")) {
        cmd = cmd.about(about).long_about(None);
    }
    if let Some(exit) = help_text(&key(path, "exit")) {
        cmd = cmd.after_help(format!("{} {exit}", tr("cli_help.exit_status")));
    }
    let ids: Vec<String> = cmd.get_arguments().map(|a| a.get_id().to_string()).collect();
    for id in ids {
        let text = help_text(&key(path, &id));
        // Defaults and choices are in the translated text, so clap adds no English to it.
        cmd = cmd.mut_arg(&id, |a| {
            let a = if a.get_action().takes_values() { a.hide_default_value(true).hide_possible_values(true) } else { a };
            match text {
                Some(t) => a.help(t).long_help(None),
                None => a,
            }
        });
    }
    // "Usage: x", but "用法：x": a full-width colon carries its own space.
    let usage = tr("cli_help.usage");
    let gap = if usage.ends_with('：') { "" } else { " " };
    let mut template = format!("{{before-help}}{{about-with-newline}}\n{usage}{gap}{{usage}}\n");
    if cmd.has_subcommands() {
        template.push_str(&format!("\n{}\n{{subcommands}}\n", tr("cli_help.commands")));
    }
    if cmd.get_positionals().next().is_some() {
        template.push_str(&format!("\n{}\n{{positionals}}\n", tr("cli_help.arguments")));
    }
    template.push_str(&format!("\n{}\n{{options}}{{after-help}}", tr("cli_help.options")));
    cmd = cmd.help_template(template);
    let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    for sub in subs {
        let sub_path = key(path, &sub);
        cmd = cmd.mut_subcommand(&sub, |s| localize(s, &sub_path));
    }
    cmd
}

/// The texts of clap's own `--help`, `--version` and `help`, which exist only
/// once the command is built.
fn localize_builtins(mut cmd: Command) -> Command {
    for (id, text) in [("help", "cli_help.help"), ("version", "cli_help.version")] {
        if cmd.get_arguments().any(|a| a.get_id() == id) {
            cmd = cmd.mut_arg(id, |a| a.help(tr(text)));
        }
    }
    let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    for sub in subs {
        cmd = if sub == "help" {
            cmd.mut_subcommand("help", |s| s.about(tr("cli_help.help_command")))
        } else {
            cmd.mut_subcommand(&sub, localize_builtins)
        };
    }
    cmd
}

/// The whole command line, its help in the current thread's language.
pub fn command() -> Command {
    let mut cmd = localize(Cli::command(), "");
    cmd.build();
    localize_builtins(cmd)
}

/// Parses the process arguments; `--help` and errors print and exit, like `Cli::parse`.
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}
