//! DNS lookup: the MX hosts of a domain, resolved on a background thread, each
//! with its addresses and the MX rule (and limits) that applies to it.

use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

use egui::{Key, RichText, Role, Ui};

use super::mx_rules::{level_combo, limits_text};
use super::widgets::{error_color, named};
use super::{Action, PanelCtx};
use crate::engine::dns::{self, CancelToken, DnsError, LookupOptions, MxReport};
use crate::engine::mx::{self, ThroughputLevel};
use crate::i18n::{tr, tr_fmt, tr_n};

/// What a finished lookup gave.
type Outcome = Result<MxReport, DnsError>;

/// Attempts a lookup makes; they share the panel's total timeout.
const ATTEMPTS: usize = 2;

/// The DNS servers asked, and whether they come from the system configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asked {
    /// `IP:PORT` of each server.
    pub servers: Vec<SocketAddr>,
    /// From the system configuration (no nameserver set).
    pub system: bool,
}

/// A lookup in flight: the worker's channel and the token that stops it.
struct Running {
    query: String,
    cancel: CancelToken,
    rx: Receiver<(Outcome, Asked)>,
}

/// State of the DNS lookup panel.
pub struct DnsLookupPanel {
    /// Domain or recipient address typed by the user.
    pub input: String,
    /// Seconds the whole lookup may take (MX and addresses, every attempt).
    pub timeout_secs: u32,
    /// Level whose limits are shown next to each host.
    pub level: ThroughputLevel,
    /// The last finished lookup: what was asked, and the answer.
    pub result: Option<(String, Outcome)>,
    /// The DNS servers the last lookup asked.
    pub asked: Option<Asked>,
    running: Option<Running>,
}

impl Default for DnsLookupPanel {
    fn default() -> Self {
        DnsLookupPanel { input: String::new(), timeout_secs: 2, level: ThroughputLevel::Normal, result: None, asked: None, running: None }
    }
}

/// Parses the nameserver setting: empty = system configuration; a bare IP
/// gets port 53 (people often leave it out). The error is in the current language.
pub fn parse_nameserver(s: &str) -> Result<Option<SocketAddr>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(Some(a));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Some(SocketAddr::new(ip, 53)));
    }
    Err(tr_fmt("dns.bad_nameserver", &[("value", &s.chars().take(60).collect::<String>())]))
}

/// A headline for each kind of failure, so the user sees at a glance what happened.
fn headline(e: &DnsError) -> &'static str {
    match e {
        DnsError::InvalidName { .. } => tr("dns.h_invalid"),
        DnsError::NxDomain { .. } => tr("dns.h_nxdomain"),
        DnsError::NoMailHost { .. } => tr("dns.h_no_mail_host"),
        DnsError::NullMx { .. } => tr("dns.h_null_mx"),
        DnsError::ServerFailure { .. } => tr("dns.h_servfail"),
        DnsError::Timeout { .. } => tr("dns.h_timeout"),
        DnsError::Cancelled { .. } => tr("dns.h_cancelled"),
        DnsError::Other(_) => tr("dns.h_other"),
    }
}

impl DnsLookupPanel {
    /// Whether a lookup is running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Collects the worker's answer if it has come; called by the app every
    /// frame so an answer is not missed while another panel is shown.
    pub fn poll(&mut self) {
        let Some(run) = &self.running else { return };
        match run.rx.try_recv() {
            Ok((outcome, asked)) => {
                self.result = Some((run.query.clone(), outcome));
                self.asked = Some(asked);
                self.running = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                let q = run.query.clone();
                self.result = Some((q, Err(DnsError::Other(tr("dns.stopped").into()))));
                self.running = None;
            }
        }
    }

    /// Starts a lookup of `self.input` on a background thread; a running one is cancelled first.
    pub fn start(&mut self, egui_ctx: &egui::Context, nameserver: &str) {
        self.cancel();
        self.result = None;
        self.asked = None;
        let query = self.input.trim().to_owned();
        if query.is_empty() {
            return;
        }
        // A name that is no domain is refused before any server is asked (and none is named).
        if let Err(e) = dns::normalize_domain(&query) {
            self.result = Some((query, Err(e)));
            return;
        }
        let nameserver = match parse_nameserver(nameserver) {
            Ok(ns) => ns,
            Err(e) => {
                self.result = Some((query, Err(DnsError::Other(tr_fmt("dns.nameserver_setting", &[("error", &e)])))));
                return;
            }
        };
        // The field is the total: the attempts share it, and a deadline over the whole
        // lookup (MX, then addresses) makes sure it is kept.
        let total = Duration::from_secs(u64::from(self.timeout_secs.clamp(1, 60)));
        let per_attempt = total / u32::try_from(ATTEMPTS).unwrap_or(2);
        let opts = LookupOptions { nameserver, timeout: per_attempt, attempts: ATTEMPTS };
        let cancel = CancelToken::new();
        let (tx, rx) = mpsc::channel();
        let (q, token, repaint) = (query.clone(), cancel.clone(), egui_ctx.clone());
        let lang = crate::i18n::Lang::current();
        let spawned = std::thread::Builder::new().name("mx-lookup".into()).spawn(move || {
            // Problems found here (bad name, unreachable server) are worded in the UI's language.
            lang.make_current();
            let asked = Asked { servers: dns::resolvers(&opts), system: opts.nameserver.is_none() };
            let (inner_tx, inner_rx) = mpsc::channel();
            let (q2, token2, opts2) = (q.clone(), token.clone(), opts.clone());
            let inner = std::thread::Builder::new().name("mx-lookup-query".into()).spawn(move || {
                lang.make_current();
                let _ = inner_tx.send(dns::lookup_mx_blocking(&q2, &opts2, Some(&token2)));
            });
            let outcome = match inner {
                Ok(_) => match inner_rx.recv_timeout(total) {
                    Ok(o) => o,
                    Err(_) => {
                        // Past the total: stop the query and say so, whatever it was doing.
                        token.cancel();
                        let domain = dns::normalize_domain(&q).unwrap_or_else(|_| q.clone());
                        Err(DnsError::Timeout { domain, timeout: opts.timeout, attempts: opts.attempts })
                    }
                },
                Err(e) => Err(DnsError::Other(tr_fmt("dns.no_thread", &[("error", &e)]))),
            };
            // The panel may have moved on (cancel, new lookup): then nobody listens.
            let _ = tx.send((outcome, asked));
            repaint.request_repaint();
        });
        match spawned {
            Ok(_) => self.running = Some(Running { query, cancel, rx }),
            Err(e) => self.result = Some((query, Err(DnsError::Other(tr_fmt("dns.no_thread", &[("error", &e)]))))),
        }
    }

    /// Stops the running lookup at once; the worker notices the token and exits.
    pub fn cancel(&mut self) {
        if let Some(run) = self.running.take() {
            run.cancel.cancel();
            let domain = dns::normalize_domain(&run.query).unwrap_or(run.query.clone());
            self.result = Some((run.query, Err(DnsError::Cancelled { domain })));
        }
    }

    /// Draws the panel. `nameserver` is the persisted setting, edited in place.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx, nameserver: &mut String) {
        ui.heading(tr("panel.dns_lookup"));
        ui.label(RichText::new(tr("dns.intro")).weak());
        ui.add_space(4.0);
        let mut go = false;
        ui.horizontal(|ui| {
            ui.label(tr("dns.input"));
            let te = egui::TextEdit::singleline(&mut self.input).hint_text(tr("dns.input_hint")).desired_width(320.0);
            let resp = named(ui.add(te), Role::TextInput, tr("dns.a11y_input"));
            go |= resp.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            if self.is_running() {
                ui.add(egui::Spinner::new());
                if ui.button(tr("dns.cancel")).on_hover_text(tr("dns.cancel_tip")).clicked() {
                    self.cancel();
                }
            } else {
                // A bad DNS server setting is said once, under its field; nothing to look up with it.
                let can = !self.input.trim().is_empty() && parse_nameserver(nameserver).is_ok();
                let button = ui.add_enabled(can, egui::Button::new(tr("dns.look_up"))).on_hover_text(tr("dns.look_up_tip"));
                go |= button.clicked();
            }
        });
        ui.horizontal(|ui| {
            ui.label(tr("dns.nameserver"));
            let te = egui::TextEdit::singleline(nameserver).hint_text(tr("dns.nameserver_hint")).desired_width(170.0);
            named(ui.add(te), Role::TextInput, tr("dns.a11y_nameserver")).on_hover_text(tr("dns.nameserver_tip"));
            ui.label(tr("dns.timeout"));
            let dv = egui::DragValue::new(&mut self.timeout_secs).range(1..=60).suffix(" s");
            named(ui.add(dv), Role::SpinButton, tr("dns.a11y_timeout")).on_hover_text(tr("dns.timeout_tip"));
            ui.label(tr("dns.limits_level"));
            level_combo(ui, "dns_level", &mut self.level, tr("dns.a11y_level"));
        });
        let bad_server = parse_nameserver(nameserver).err();
        if let Some(e) = &bad_server {
            ui.label(RichText::new(e).color(error_color(ui)));
        }
        if go && !self.is_running() && bad_server.is_none() {
            self.start(ui.ctx(), nameserver);
        }
        ui.separator();
        if let Some(run) = &self.running {
            ui.label(tr_fmt("dns.looking_up", &[("query", &run.query)]));
            return;
        }
        match &self.result {
            None => {
                ui.label(RichText::new(tr("dns.prompt")).weak());
            }
            Some((_, Err(e))) => {
                // One message per failure: the error says it all; its kind is on hover.
                let color = if matches!(e, DnsError::Cancelled { .. }) { ui.visuals().warn_fg_color } else { error_color(ui) };
                ui.label(RichText::new(e.to_string()).strong().color(color)).on_hover_text(headline(e));
                if matches!(e, DnsError::NxDomain { .. }) {
                    // A filtering or offline resolver answers NXDOMAIN for every name.
                    ui.label(RichText::new(tr("dns.nxdomain_hint")).weak());
                }
                self.asked_ui(ui);
            }
            Some((_, Ok(report))) => {
                self.asked_ui(ui);
                self.report_ui(ui, ctx, report);
            }
        }
    }

    /// Which DNS servers were asked.
    fn asked_ui(&self, ui: &mut Ui) {
        let Some(asked) = &self.asked else { return };
        let text = if asked.servers.is_empty() {
            tr("dns.asked_unknown").to_owned()
        } else {
            let list = asked.servers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            tr_fmt(if asked.system { "dns.asked_system" } else { "dns.asked" }, &[("servers", &list)])
        };
        ui.label(RichText::new(text).weak());
    }

    fn report_ui(&self, ui: &mut Ui, ctx: &mut PanelCtx, report: &MxReport) {
        ui.horizontal(|ui| {
            ui.strong(&report.domain);
            ui.label(tr_n("dns.hosts_count", report.hosts.len(), &[]));
        });
        if report.implicit {
            ui.label(RichText::new(tr("dns.implicit_note")).color(ui.visuals().warn_fg_color));
        }
        ui.add_space(4.0);
        let rules = &ctx.rules.mx_rules;
        let mut select = None;
        egui::ScrollArea::both().id_salt("dns_hosts_scroll").show(ui, |ui| {
            egui::Grid::new("dns_hosts").num_columns(5).striped(true).spacing([16.0, 6.0]).show(ui, |ui| {
                let limits_at = tr_fmt("dns.col_limits", &[("level", &self.level.display_label())]);
                for h in [tr("dns.col_preference"), tr("dns.col_host"), tr("dns.col_addresses"), tr("dns.col_rule"), &limits_at] {
                    ui.strong(h);
                }
                ui.end_row();
                for host in &report.hosts {
                    if report.implicit {
                        ui.label(tr("dns.implicit"));
                    } else {
                        ui.label(host.preference.to_string());
                    }
                    // Cells never wrap: an address or a host split over lines is unreadable;
                    // the area scrolls sideways instead (review finding at 1024 px).
                    ui.add(egui::Label::new(RichText::new(&host.host).monospace()).extend());
                    ui.vertical(|ui| {
                        for a in &host.addresses {
                            ui.add(egui::Label::new(RichText::new(a.to_string()).monospace()).extend());
                        }
                        if let Some(e) = &host.address_error {
                            ui.add(egui::Label::new(RichText::new(e).color(ui.visuals().warn_fg_color)).extend());
                        } else if host.addresses.is_empty() {
                            ui.weak(tr("dns.no_address"));
                        }
                    });
                    match mx::find_rule(rules, &host.host, None).rule.filter(|&w| w < rules.len()) {
                        Some(w) => {
                            let r = &rules[w];
                            if ui.link(format!("#{} {}", w + 1, r.mask)).on_hover_text(tr("dns.show_rule_tip")).clicked() {
                                select = Some(w);
                            }
                            ui.add(egui::Label::new(limits_text(r.limits(self.level), r.shared)).extend());
                        }
                        None => {
                            ui.label(RichText::new(tr("dns.no_rule")).color(error_color(ui)));
                            ui.label("");
                        }
                    }
                    ui.end_row();
                }
            });
        });
        if let Some(w) = select {
            ctx.act(Action::SelectMxRule(w));
        }
    }
}
