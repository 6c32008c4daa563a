//! What the app remembers between runs (eframe persistence).

use std::path::PathBuf;

use super::Panel;
use super::grid::GridLayout;

/// Most recent files kept in File → Open recent.
pub const MAX_RECENT: usize = 10;

/// Persisted preferences.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Dark theme (else light).
    pub dark: bool,
    /// Panel shown in the main area.
    pub panel: Panel,
    /// Show the tester beside the bounce rule table.
    pub tester_beside_rules: bool,
    /// Bigger fonts and high contrast for a projector.
    pub presentation: bool,
    /// Recently opened or saved files, newest first.
    pub recent: Vec<PathBuf>,
    /// Optional DNS server `IP:PORT` for MX lookups (empty: system configuration).
    pub nameserver: String,
    /// Interface language code (`ko`, `zh-Hant`…); `None`: follow the system locale.
    pub language: Option<String>,
    /// Bounce rule grid: column widths and the details' height.
    pub rule_grid: GridLayout,
    /// MX rule grid: column widths and the details' size.
    pub mx_grid: GridLayout,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dark: true,
            panel: Panel::BounceRules,
            tester_beside_rules: true,
            presentation: false,
            recent: Vec::new(),
            nameserver: String::new(),
            language: None,
            rule_grid: GridLayout::default(),
            mx_grid: GridLayout::default(),
        }
    }
}

impl Settings {
    /// Puts `path` first in the recent list.
    pub fn push_recent(&mut self, path: PathBuf) {
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(MAX_RECENT);
    }
}
