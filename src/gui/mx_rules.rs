//! MX rule editor: the rule table, the selected rule's per-level limits, and a
//! "test a host name" box that shows which rule applies and which it shadows.

use egui::{RichText, Role, Ui};
use egui_extras::{Column, TableBuilder};

use super::PanelCtx;
use super::widgets::{a11y, error_color, named};
use crate::engine::mx::{self, IdRange, Limits, MxProblem, MxRule, Severity, ThroughputLevel, TlsMode};

/// Field explanations shown as tooltips (from the domain notes).
mod tip {
    pub const MASK: &str = "MX mask, matched against the MX host name (not the recipient domain). \
        '*' is any run of characters, '?' one character, case-insensitive, e.g. *.mail.protection.outlook.com or mx?.free.fr. \
        Rules are tried in list order: the first match wins, so the catch-all '*' comes last.";
    pub const IDS: &str = "Range of sending IP identifiers (affinities) the rule applies to. \
        Unticked: the rule applies to every sending IP.";
    pub const SHARED: &str = "Shared: the limits are shared across all sending IPs. Unticked: each IP gets the limits on its own.";
    pub const TLS: &str = "TLS towards the MX: Default follows the MTA's global setting, Disabled never uses TLS, \
        Opportunistic uses STARTTLS when the MX offers it.";
    pub const CONNECT: &str = "Connection timeout in seconds: how long to wait for the MX to accept a connection (docs example: 10 s).";
    pub const SESSION: &str = "Session timeout in seconds: the longest a whole SMTP session may last (docs example: 4 min = 240 s).";
    pub const BETWEEN: &str = "Seconds to wait between two messages on one connection (docs example: 1 min = 60 s).";
    pub const MAX_CONN: &str = "Maximum number of connections open at once to the MX.";
    pub const MSGS_CONN: &str = "Maximum number of messages sent over one connection before it is closed. \
        Pushing as many as possible on one connection looks like spam.";
    pub const PER_HOUR: &str = "Messages per hour allowed per IP (or across all IPs when shared), matched to the IP's reputation. \
        The hourly quota is spread over 12 slots of 5 minutes.";
    pub const LEVELS: &str = "The six throughput levels, used mainly during IP ramp-up: Slow is the most cautious, Boost full speed, \
        Custom the analyst's own. A faster level should never have lower limits than a slower one.";
}

/// A change to the MX rule list, applied after the table is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MxOp {
    /// Insert a new rule after the selection (before the catch-all when nothing is selected).
    Add,
    /// Duplicate the selection.
    Duplicate,
    /// Delete the selection.
    Delete,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
}

/// State of the MX rule panel.
#[derive(Default)]
pub struct MxRulesPanel {
    /// Index of the selected rule.
    pub selected: Option<usize>,
    /// Host name typed in the tester.
    pub test_host: String,
    /// Level whose limits the tester shows.
    pub test_level: ThroughputLevel,
    /// Scroll the table to the selection on the next frame.
    scroll_to_selected: bool,
}

/// Limits for a new rule: positive and growing with the level, so it validates.
fn starter_rule() -> MxRule {
    let mut r = MxRule::new("*.example.com", Limits::default());
    for (k, l) in r.levels.iter_mut().enumerate() {
        let k = u32::try_from(k).unwrap_or(0) + 1;
        *l = Limits { max_connections: k, max_msgs_per_connection: 10 * k, msgs_per_hour: 100 * k };
    }
    r
}

/// One line summary of limits, e.g. "5 connections, 20 messages per connection, 600 per hour".
pub fn limits_text(l: Limits, shared: bool) -> String {
    format!(
        "{} connections, {} messages per connection, {} messages per hour{}",
        l.max_connections,
        l.max_msgs_per_connection,
        l.msgs_per_hour,
        if shared { " (shared by all IPs)" } else { " (per IP)" }
    )
}

impl MxRulesPanel {
    /// Selects a rule and scrolls to it.
    pub fn select(&mut self, i: usize) {
        self.selected = Some(i);
        self.scroll_to_selected = true;
    }

    /// Applies a list operation; returns true if the rules changed.
    pub fn apply(&mut self, op: MxOp, rules: &mut Vec<MxRule>) -> bool {
        let sel = self.selected.filter(|&s| s < rules.len());
        match (op, sel) {
            (MxOp::Add, _) => {
                // Appending after a catch-all would make the new rule dead on arrival.
                let before_catch_all = rules.last().is_some_and(|r| r.mask.trim() == "*");
                let at = sel.map_or(if before_catch_all { rules.len() - 1 } else { rules.len() }, |s| s + 1);
                rules.insert(at, starter_rule());
                self.select(at);
            }
            (MxOp::Duplicate, Some(s)) => {
                let r = rules[s].clone();
                rules.insert(s + 1, r);
                self.select(s + 1);
            }
            (MxOp::Delete, Some(s)) => {
                rules.remove(s);
                self.selected = if rules.is_empty() { None } else { Some(s.min(rules.len() - 1)) };
            }
            (MxOp::Up, Some(s)) if s > 0 => {
                rules.swap(s, s - 1);
                self.select(s - 1);
            }
            (MxOp::Down, Some(s)) if s + 1 < rules.len() => {
                rules.swap(s, s + 1);
                self.select(s + 1);
            }
            _ => return false,
        }
        true
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let problems = mx::validate(&ctx.rules.mx_rules);
        let n = ctx.rules.mx_rules.len();
        if self.selected.is_some_and(|s| s >= n) {
            self.selected = None;
        }
        let mut op = None;
        ui.horizontal(|ui| {
            ui.heading("MX rules");
            ui.add_space(12.0);
            let has_sel = self.selected.is_some();
            let buttons: [(&str, &str, bool, MxOp); 5] = [
                ("Add", "Add a rule after the selected one", true, MxOp::Add),
                ("Duplicate", "Duplicate the selected rule", has_sel, MxOp::Duplicate),
                ("Delete", "Delete the selected rule", has_sel, MxOp::Delete),
                ("Up", "Move up (earlier rules win)", has_sel && self.selected != Some(0), MxOp::Up),
                ("Down", "Move down", self.selected.is_some_and(|s| s + 1 < n), MxOp::Down),
            ];
            for (label, tip, enabled, o) in buttons {
                if ui.add_enabled(enabled, egui::Button::new(label)).on_hover_text(tip).clicked() {
                    op = Some(o);
                }
            }
        });
        let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
        ui.label(
            RichText::new(format!(
                "{n} rules, {errors} errors, {} warnings · masks match the MX host name · first match in list order wins · the catch-all * comes last",
                problems.len() - errors
            ))
            .weak(),
        );

        // Below the table: the selected rule's levels on the left, the host tester on the right,
        // so the table keeps the full width for its many columns.
        egui::Panel::bottom("mx_rule_detail").resizable(true).default_size(260.0).min_size(140.0).show(ui, |ui| {
            egui::Panel::right("mx_host_tester").resizable(true).default_size(400.0).min_size(260.0).show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("mx_tester_scroll").show(ui, |ui| self.tester_ui(ui, ctx));
            });
            egui::ScrollArea::both().id_salt("mx_detail_scroll").show(ui, |ui| self.detail_ui(ui, ctx, &problems));
        });
        // A child ui of its own: the table draws its column lines down to its ui's bottom,
        // which in the parent would include the panel below.
        let rect = ui.available_rect_before_wrap();
        ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| self.table_ui(ui, ctx, &problems));
        if let Some(o) = op
            && self.apply(o, &mut ctx.rules.mx_rules)
        {
            ctx.structural = true;
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, problems: &[MxProblem]) {
        let n = ctx.rules.mx_rules.len();
        let mut table = TableBuilder::new(ui)
            .id_salt("mx_rule_table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(32.0))
            .column(Column::initial(210.0).at_least(100.0).clip(true))
            .column(Column::initial(150.0).at_least(120.0))
            .column(Column::exact(52.0))
            .column(Column::initial(118.0).at_least(100.0))
            .column(Column::initial(64.0).at_least(56.0))
            .column(Column::initial(64.0).at_least(56.0))
            .column(Column::initial(64.0).at_least(56.0))
            .column(Column::remainder().at_least(120.0).clip(true))
            .min_scrolled_height(80.0);
        if std::mem::take(&mut self.scroll_to_selected)
            && let Some(s) = self.selected
        {
            table = table.scroll_to_row(s, Some(egui::Align::Center));
        }
        table
            .header(22.0, |mut h| {
                for (title, tip) in [
                    ("#", "Order: the first matching rule wins"),
                    ("Mask", tip::MASK),
                    ("Identifiers", tip::IDS),
                    ("Shared", tip::SHARED),
                    ("TLS", tip::TLS),
                    ("Connect s", tip::CONNECT),
                    ("Session s", tip::SESSION),
                    ("Between s", tip::BETWEEN),
                    ("Problems", "Problems found by validation: errors in red, warnings in amber"),
                ] {
                    h.col(|ui| {
                        ui.strong(title).on_hover_text(tip);
                    });
                }
            })
            .body(|body| {
                body.rows(24.0, n, |mut row| {
                    let i = row.index();
                    row.set_selected(self.selected == Some(i));
                    let mine: Vec<&MxProblem> = problems.iter().filter(|p| p.rule == i).collect();
                    let has_error = mine.iter().any(|p| p.severity == Severity::Error);
                    let r = &mut ctx.rules.mx_rules[i];
                    let mut edited = false;
                    row.col(|ui| {
                        // A button, not a label: selectable labels would swallow the row click.
                        let b = egui::Button::selectable(self.selected == Some(i), format!("{}", i + 1));
                        if named(ui.add(b), Role::Button, &format!("Select MX rule {}", i + 1)).on_hover_text("Select this rule").clicked()
                        {
                            self.selected = Some(i);
                        }
                    });
                    row.col(|ui| {
                        let mut te = egui::TextEdit::singleline(&mut r.mask).code_editor().desired_width(f32::INFINITY);
                        if has_error {
                            te = te.text_color(error_color(ui));
                        }
                        edited |= named(ui.add(te), Role::TextInput, &format!("MX rule {} mask", i + 1)).on_hover_text(tip::MASK).changed();
                    });
                    row.col(|ui| edited |= ids_ui(ui, i, &mut r.ids));
                    row.col(|ui| {
                        let resp = ui.checkbox(&mut r.shared, "").on_hover_text(tip::SHARED);
                        a11y(&resp, Role::CheckBox, &format!("MX rule {} shared", i + 1));
                        edited |= resp.changed();
                    });
                    row.col(|ui| edited |= tls_combo(ui, ("mx_tls", i), &mut r.tls, &format!("MX rule {} TLS", i + 1)));
                    let t = &mut r.timeouts;
                    for (v, what, tip) in [
                        (&mut t.connect_secs, "connect timeout", tip::CONNECT),
                        (&mut t.session_secs, "session timeout", tip::SESSION),
                        (&mut t.between_msgs_secs, "wait between messages", tip::BETWEEN),
                    ] {
                        row.col(|ui| {
                            let resp = ui.add(egui::DragValue::new(v).range(0..=86_400).suffix(" s")).on_hover_text(tip);
                            edited |= named(resp, Role::SpinButton, &format!("MX rule {} {what}", i + 1)).changed();
                        });
                    }
                    row.col(|ui| {
                        if let Some(first) = mine.first() {
                            let color = if has_error { error_color(ui) } else { ui.visuals().warn_fg_color };
                            let more = if mine.len() > 1 { format!(" (+{} more)", mine.len() - 1) } else { String::new() };
                            let all: Vec<&str> = mine.iter().map(|p| p.message.as_str()).collect();
                            let text = RichText::new(format!("{}{more}", first.message)).color(color);
                            ui.add(egui::Label::new(text).selectable(false).truncate()).on_hover_text(all.join("\n"));
                        }
                    });
                    ctx.edited |= edited;
                    if row.response().clicked() {
                        self.selected = Some(i);
                    }
                });
            });
        if n == 0 {
            ui.label(RichText::new("No MX rules yet: press Add. Finish with a catch-all '*' rule.").weak());
        }
    }

    fn detail_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, problems: &[MxProblem]) {
        let Some(i) = self.selected.filter(|&s| s < ctx.rules.mx_rules.len()) else {
            ui.label(RichText::new("Select a rule (click its number) to edit its limits per throughput level.").weak());
            return;
        };
        let r = &mut ctx.rules.mx_rules[i];
        let mut edited = false;
        ui.horizontal(|ui| {
            ui.strong(format!("MX rule #{}", i + 1));
            ui.monospace(&r.mask);
            ui.label(RichText::new(if r.shared { "limits shared by all IPs" } else { "limits per IP" }).weak());
        });
        ui.label("Limits per throughput level").on_hover_text(tip::LEVELS);
        egui::Grid::new("mx_levels").num_columns(7).striped(true).spacing([10.0, 4.0]).show(ui, |ui| {
            ui.label("");
            for l in ThroughputLevel::ALL {
                ui.strong(l.label()).on_hover_text(tip::LEVELS);
            }
            ui.end_row();
            type Field = fn(&mut Limits) -> &mut u32;
            let fields: [(&str, &str, Field); 3] = [
                ("Max connections", tip::MAX_CONN, |l| &mut l.max_connections),
                ("Messages per connection", tip::MSGS_CONN, |l| &mut l.max_msgs_per_connection),
                ("Messages per hour", tip::PER_HOUR, |l| &mut l.msgs_per_hour),
            ];
            for (name, tip, field) in fields {
                ui.label(name).on_hover_text(tip);
                for (k, l) in ThroughputLevel::ALL.into_iter().enumerate() {
                    let v = field(&mut r.levels[k]);
                    let resp = ui.add_sized([64.0, 20.0], egui::DragValue::new(v).range(0..=10_000_000).speed(1.0)).on_hover_text(tip);
                    edited |= named(resp, Role::SpinButton, &format!("{name} at {}", l.label())).changed();
                }
                ui.end_row();
            }
        });
        ui.horizontal(|ui| {
            ui.label("Note:");
            let te = egui::TextEdit::singleline(&mut r.note).desired_width(f32::INFINITY).hint_text("where the numbers come from");
            edited |= named(ui.add(te), Role::TextInput, "MX rule note").changed();
        });
        ctx.edited |= edited;
        let mine: Vec<&MxProblem> = problems.iter().filter(|p| p.rule == i).collect();
        if mine.is_empty() {
            ui.label(RichText::new("No problems found in this rule.").weak());
        }
        for p in mine {
            let (word, color) = match p.severity {
                Severity::Error => ("Error", error_color(ui)),
                Severity::Warning => ("Warning", ui.visuals().warn_fg_color),
            };
            ui.label(RichText::new(format!("{word}: {}", p.message)).color(color));
        }
    }

    fn tester_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        ui.heading("Test a host name");
        ui.label(RichText::new("Type an MX host name (not the recipient domain) to see which rule applies.").weak());
        let te = egui::TextEdit::singleline(&mut self.test_host).hint_text("mx1.free.fr").desired_width(f32::INFINITY);
        named(ui.add(te), Role::TextInput, "Host name to test");
        ui.horizontal(|ui| {
            ui.label("Level");
            level_combo(ui, "mx_test_level", &mut self.test_level, "Level for the host test");
        });
        ui.add_space(6.0);
        let host = self.test_host.trim();
        if host.is_empty() {
            return;
        }
        let rules = &ctx.rules.mx_rules;
        let m = mx::find_rule(rules, host, None);
        let Some(w) = m.rule.filter(|&w| w < rules.len()) else {
            ui.label(RichText::new("No rule matches this host: add a catch-all '*' rule at the end.").color(error_color(ui)));
            return;
        };
        let r = &rules[w];
        ui.horizontal_wrapped(|ui| {
            ui.label("Applies:");
            if ui
                .link(RichText::new(format!("rule #{} {}", w + 1, r.mask)).strong())
                .on_hover_text("Select this rule in the table")
                .clicked()
            {
                self.select(w);
            }
        });
        ui.label(RichText::new("The first rule in list order whose mask matches the host.").weak());
        ui.label(format!("At {}: {}", self.test_level.label(), limits_text(r.limits(self.test_level), r.shared)));
        if let Some(ids) = r.ids {
            ui.label(format!("Only for sending IP identifiers {} to {}", ids.first, ids.last));
        }
        if m.shadowed.is_empty() {
            ui.label(RichText::new("No later rule matches this host.").weak());
        } else {
            ui.label("Later rules that also match (never used for this host):");
            for &s in m.shadowed.iter().filter(|&&s| s < rules.len()) {
                if ui.link(format!("rule #{} {}, shadowed by rule #{}", s + 1, rules[s].mask, w + 1)).clicked() {
                    self.select(s);
                }
            }
        }
    }
}

/// Optional identifier range: a tick box and, when ticked, first and last.
fn ids_ui(ui: &mut Ui, i: usize, ids: &mut Option<IdRange>) -> bool {
    let mut on = ids.is_some();
    let resp = ui.checkbox(&mut on, "").on_hover_text(tip::IDS);
    a11y(&resp, Role::CheckBox, &format!("MX rule {} restricted to identifiers", i + 1));
    let mut changed = false;
    if resp.changed() {
        *ids = on.then_some(IdRange { first: 1, last: 1 });
        changed = true;
    }
    match ids {
        Some(r) => {
            for (v, what) in [(&mut r.first, "first"), (&mut r.last, "last")] {
                let resp = ui.add(egui::DragValue::new(v).range(0..=1_000_000)).on_hover_text(tip::IDS);
                changed |= named(resp, Role::SpinButton, &format!("MX rule {} {what} identifier", i + 1)).changed();
            }
        }
        None => {
            ui.weak("all").on_hover_text(tip::IDS);
        }
    }
    changed
}

/// TLS mode combo; returns true if changed.
fn tls_combo(ui: &mut Ui, id: impl egui::AsIdSalt, value: &mut TlsMode, name: &str) -> bool {
    let mut changed = false;
    let resp = egui::ComboBox::from_id_salt(id).selected_text(value.label()).width(104.0).show_ui(ui, |ui| {
        for t in TlsMode::ALL {
            changed |= ui.selectable_value(value, t, t.label()).changed();
        }
    });
    a11y(&resp.response.on_hover_text(tip::TLS), Role::ComboBox, name);
    changed
}

/// Throughput level combo (shared with the DNS lookup panel); returns true if changed.
pub fn level_combo(ui: &mut Ui, id: impl egui::AsIdSalt, value: &mut ThroughputLevel, name: &str) -> bool {
    let mut changed = false;
    let resp = egui::ComboBox::from_id_salt(id).selected_text(value.label()).width(96.0).show_ui(ui, |ui| {
        for l in ThroughputLevel::ALL {
            changed |= ui.selectable_value(value, l, l.label()).changed();
        }
    });
    a11y(&resp.response.on_hover_text(tip::LEVELS), Role::ComboBox, name);
    changed
}
