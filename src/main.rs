//! Entry point: no subcommand opens the desktop app, a subcommand runs the CLI.

use bouncelab::cli;

fn main() {
    // The cold-start probe (BOUNCELAB_FIRST_FRAME) counts from here.
    let started = std::time::Instant::now();
    // `bouncelab eval … | head` should end quietly, like other Unix tools.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Help and human-readable output in the system's language; machine formats do not change.
    // The app then takes the language saved in its settings.
    bouncelab::i18n::Lang::system().make_current();
    let args = cli::help::parse();
    let code = match args.command {
        Some(cmd) => match cli::run(cmd) {
            Ok(code) => code,
            Err(e) => {
                cli::error(format!("{e:#}"));
                2
            }
        },
        None => open_app(args.file, started),
    };
    std::process::exit(code);
}

#[cfg(feature = "gui")]
fn open_app(file: Option<std::path::PathBuf>, started: std::time::Instant) -> i32 {
    match bouncelab::gui::run(file, started) {
        Ok(()) => 0,
        Err(e) => {
            // Said on the terminal: in the system's language, like the CLI.
            bouncelab::i18n::Lang::system().make_current();
            cli::error(bouncelab::i18n::tr_fmt("cli.no_window", &[("error", &format!("{e:#}"))]));
            2
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_app(_file: Option<std::path::PathBuf>, _started: std::time::Instant) -> i32 {
    let _ = cli::help::command().print_help();
    eprintln!("\n{}", bouncelab::i18n::tr("cli.no_gui"));
    2
}
