//! Batch → "Open mailbox…": the error mailbox as a batch source, read-only,
//! through the engine's IMAP/POP3 reader (nothing marked `\Seen`, nothing
//! deleted). The dialog checks its fields before anything connects; the
//! password lives in memory for this session only — it is never written to
//! disk, to the settings or to a log.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use egui::{RichText, Role, Ui};

use super::load::{ReadProgress, Rows};
use crate::engine::ingest::mailbox::{self, Day, Event, FetchOptions, MailboxState, MailboxUrl, Protocol};
use crate::engine::ingest::{RecordSource, email};
use crate::gui::widgets::named;
use crate::i18n::{tr, tr_fmt};

/// What the user asked of the dialog.
#[derive(Debug)]
pub enum MailboxAction {
    /// Read the mailbox (the fields were checked).
    Read(MailboxRequest),
    /// Stop the fetch that is connecting.
    Cancel,
}

/// What the dialog hands to the worker.
pub struct MailboxRequest {
    /// Where to read.
    pub url: MailboxUrl,
    /// The password (dropped with the request once the fetch ends).
    pub password: String,
    /// Timeouts, plain-text permission, since.
    pub options: FetchOptions,
}

impl std::fmt::Debug for MailboxRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password, even in a debug print.
        f.debug_struct("MailboxRequest").field("url", &self.url.to_string()).finish_non_exhaustive()
    }
}

/// State of the "Open mailbox…" dialog.
#[derive(Default)]
pub struct MailboxDialog {
    /// Shown.
    pub open: bool,
    /// `imaps://host[:port]` (also imap, pop3, pop3s).
    pub server: String,
    /// Login name.
    pub user: String,
    /// Password, in memory only.
    pub password: String,
    /// Keep the password in memory after the fetch, for the next one in this session.
    pub remember: bool,
    /// IMAP mailbox (folder); empty means INBOX.
    pub mailbox: String,
    /// Only messages since this day (`YYYY-MM-DD`), optional.
    pub since: String,
    /// Let the password go in plain text to a non-loopback server.
    pub allow_plaintext: bool,
    /// Why the fields were refused, or the server's answer to the last try.
    pub error: Option<String>,
    /// A fetch from the dialog has not got past the login yet: the dialog stays open, its
    /// fields locked, until the server lists the mailbox, or says why not (a wrong password
    /// is then fixed in place instead of typing every field again).
    pub connecting: bool,
}

impl std::fmt::Debug for MailboxDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxDialog").field("server", &self.server).field("user", &self.user).finish_non_exhaustive()
    }
}

/// Characters that cannot stand for themselves in the user part of a URL.
fn encode_user(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' | ':' | '/' | '@' | '?' | '#' | '[' | ']' => o.push_str(&format!("%{:02X}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

fn encode_mailbox(s: &str) -> String {
    s.replace('%', "%25").replace('?', "%3F").replace('#', "%23")
}

impl MailboxDialog {
    /// The protocol the server field names, if it names one.
    pub fn protocol(&self) -> Option<Protocol> {
        let (scheme, _) = self.server.trim().split_once("://")?;
        MailboxUrl::parse(&format!("{scheme}://u@h")).ok().map(|u| u.protocol)
    }

    /// Checks the fields and builds the request; the error is worded for the user.
    pub fn request(&self) -> Result<MailboxRequest, String> {
        let server = self.server.trim().trim_end_matches('/');
        if server.is_empty() {
            return Err(tr("batch.mailbox_need_server").to_owned());
        }
        let Some((scheme, hostport)) = server.split_once("://") else {
            return Err(tr_fmt("mailbox.url_scheme", &[("url", &server)]));
        };
        if hostport.contains(['@', '/']) {
            return Err(tr("batch.mailbox_server_only").to_owned());
        }
        let user = self.user.trim();
        if user.is_empty() {
            return Err(tr("batch.mailbox_need_user").to_owned());
        }
        if self.password.is_empty() {
            return Err(tr("batch.mailbox_need_password").to_owned());
        }
        let mut url = format!("{scheme}://{}@{hostport}", encode_user(user));
        let imap = self.protocol().is_none_or(Protocol::is_imap);
        let folder = self.mailbox.trim();
        if imap && !folder.is_empty() {
            url.push('/');
            url.push_str(&encode_mailbox(folder));
        }
        let url = MailboxUrl::parse(&url).map_err(|e| e.to_string())?;
        let since = match self.since.trim() {
            "" => None,
            s => Some(Day::parse(s).ok_or_else(|| tr_fmt("batch.mailbox_bad_since", &[("value", &s)]))?),
        };
        let options =
            FetchOptions { since, allow_plaintext: self.allow_plaintext, timeout: Duration::from_secs(30), ..FetchOptions::default() };
        Ok(MailboxRequest { url, password: self.password.clone(), options })
    }

    /// Draws the dialog; returns a checked request when the user presses Read, or a cancel
    /// of the fetch that is connecting.
    pub fn ui(&mut self, ctx: &egui::Context, busy: bool) -> Option<MailboxAction> {
        if !self.open {
            return None;
        }
        let mut open = true;
        let mut submit = false;
        let mut cancel = false;
        egui::Window::new(tr("batch.mailbox_title"))
            .id(egui::Id::unique("batch_mailbox_dialog"))
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .show(ctx, |ui| {
                ui.label(tr("batch.mailbox_intro"));
                ui.add_space(4.0);
                let connecting = self.connecting;
                ui.add_enabled_ui(!connecting, |ui| self.fields_ui(ui, &mut submit));
                if connecting {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr_fmt("batch.mailbox_connecting", &[("server", &self.server.trim())]));
                    });
                }
                if let Some(e) = &self.error {
                    ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
                }
                ui.horizontal(|ui| {
                    submit |= ui.add_enabled(!busy && !connecting, egui::Button::new(tr("batch.mailbox_read"))).clicked();
                    cancel = ui.button(tr("dialog.cancel")).clicked();
                });
            });
        if cancel || !open {
            let connecting = std::mem::take(&mut self.connecting);
            self.close();
            return connecting.then_some(MailboxAction::Cancel);
        }
        if !submit || busy || self.connecting {
            return None;
        }
        match self.request() {
            Ok(r) => {
                self.error = None;
                self.connecting = true;
                Some(MailboxAction::Read(r))
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// The fields, the options and the read-only note.
    fn fields_ui(&mut self, ui: &mut Ui, submit: &mut bool) {
        egui::Grid::new("batch_mailbox_grid").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            field(ui, tr("batch.mailbox_server"), &mut self.server, "imaps://mail.example.com", false);
            field(ui, tr("batch.mailbox_user"), &mut self.user, "bounces@example.com", false);
            let enter = field(ui, tr("batch.mailbox_password"), &mut self.password, "", true);
            *submit |= enter;
            let pop3 = self.protocol().is_some_and(|p| !p.is_imap());
            ui.label(tr("batch.mailbox_folder"));
            let te = egui::TextEdit::singleline(&mut self.mailbox).hint_text("INBOX").desired_width(260.0);
            let r = ui.add_enabled(!pop3, te);
            named(r, Role::TextInput, tr("batch.mailbox_folder")).on_disabled_hover_text(tr("batch.mailbox_pop3_one"));
            ui.end_row();
            field(ui, tr("batch.mailbox_since"), &mut self.since, "2026-01-31", false);
        });
        ui.checkbox(&mut self.remember, tr("batch.mailbox_remember")).on_hover_text(tr("batch.mailbox_remember_tip"));
        if self.protocol().is_some_and(|p| !p.tls()) {
            ui.checkbox(&mut self.allow_plaintext, tr("batch.mailbox_plaintext")).on_hover_text(tr("batch.mailbox_plaintext_tip"));
        }
        ui.weak(tr("batch.mailbox_read_only"));
    }

    /// The fetch got past the login, or ended: the dialog's work is done.
    pub fn fetch_started(&mut self) {
        self.connecting = false;
        self.close();
    }

    /// The fetch read nothing and failed: the dialog stays open with the server's answer.
    pub fn fetch_failed(&mut self, why: String) {
        self.connecting = false;
        self.error = Some(why);
    }

    /// Hides the dialog; forgets the password unless the user asked to keep it.
    pub fn close(&mut self) {
        self.open = false;
        if !self.remember {
            self.password.clear();
        }
    }
}

/// A labelled single-line field in the grid; returns whether Enter was pressed in it.
fn field(ui: &mut Ui, label: &str, value: &mut String, hint: &str, password: bool) -> bool {
    ui.label(label);
    let r = ui.add(egui::TextEdit::singleline(value).password(password).hint_text(hint).desired_width(260.0));
    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    named(r, if password { Role::PasswordInput } else { Role::TextInput }, label);
    ui.end_row();
    enter
}

/// Fetches every message (since the day, if given) and reads each as an email.
/// A failed fetch keeps what came before it and says why in the report.
pub fn fetch_rows(request: MailboxRequest, progress: &Arc<ReadProgress>, cancel: &AtomicBool) -> Rows {
    let mut rows = Rows::default();
    let shown = request.url.to_string();
    rows.add_source(shown.clone());
    let file = Some(std::path::PathBuf::from(&shown));
    let mut state = MailboxState::default();
    let mut full = false;
    let res = mailbox::fetch(&request.url, &request.password, &request.options, &mut state, &mut |ev| {
        if cancel.load(Ordering::Relaxed) || full {
            return ControlFlow::Break(());
        }
        match ev {
            Event::Listed { total, .. } => {
                progress.total.store(total as u64, Ordering::Relaxed);
                progress.listed.store(true, Ordering::Relaxed);
            }
            Event::UidValidityChanged => {}
            Event::Message(m) => {
                let source = RecordSource { file: file.clone(), message: Some(m.uid), line: None };
                if m.truncated {
                    let note = crate::engine::ingest::Note::EmailCut(request.options.max_message_bytes);
                    rows.note(source.clone(), note);
                }
                full = !rows.push_email(&source, email::read(&m.raw, &source));
                progress.done.fetch_add(1, Ordering::Relaxed);
            }
        }
        ControlFlow::Continue(())
    });
    match res {
        Ok(summary) => rows.report.fetch_cancelled = summary.cancelled && cancel.load(Ordering::Relaxed),
        Err(e) => rows.source_failed(&RecordSource { file, ..RecordSource::default() }, e.to_string()),
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(server: &str, user: &str, password: &str, folder: &str) -> MailboxDialog {
        MailboxDialog {
            server: server.into(),
            user: user.into(),
            password: password.into(),
            mailbox: folder.into(),
            ..MailboxDialog::default()
        }
    }

    #[test]
    fn fields_make_a_url_without_the_password() {
        let r = dialog("imaps://mail.example.com", "bounces@example.com", "s3cret", "Errors/2026").request().unwrap();
        assert_eq!(r.url.to_string(), "imaps://bounces%40example.com@mail.example.com/Errors/2026");
        assert_eq!(r.url.user, "bounces@example.com");
        assert!(!format!("{r:?}").contains("s3cret"));
        let r = dialog("pop3://127.0.0.1:1110/", "u:x", "p", "ignored for POP3").request().unwrap();
        assert_eq!((r.url.protocol, r.url.port, r.url.mailbox.as_str(), r.url.user.as_str()), (Protocol::Pop3, 1110, "", "u:x"));
    }

    #[test]
    fn bad_fields_are_refused_before_connecting() {
        assert!(dialog("", "u", "p", "").request().is_err());
        assert!(dialog("mail.example.com", "u", "p", "").request().is_err(), "no scheme");
        assert!(dialog("http://mail.example.com", "u", "p", "").request().is_err());
        assert!(dialog("imaps://u@mail.example.com", "u", "p", "").request().is_err(), "user in the server field");
        assert!(dialog("imaps://mail.example.com", "", "p", "").request().is_err());
        assert!(dialog("imaps://mail.example.com", "u", "", "").request().is_err());
        assert!(dialog("imaps://mail.example.com:99999", "u", "p", "").request().is_err());
        let mut d = dialog("imaps://h", "u", "p", "");
        d.since = "2026-02-30x".into();
        assert!(d.request().is_err());
        d.since = "2026-02-01".into();
        assert!(d.request().unwrap().options.since.is_some());
    }

    #[test]
    fn the_password_is_forgotten_on_close_unless_remembered() {
        let mut d = dialog("imaps://h", "u", "p", "");
        d.close();
        assert!(d.password.is_empty());
        let mut d = dialog("imaps://h", "u", "p", "");
        d.remember = true;
        d.close();
        assert_eq!(d.password, "p");
    }
}
