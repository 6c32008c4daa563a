//! The tester's email view: a batch row read from a bounce email, or a whole
//! bounce email pasted in the tester, shows the (readable) email with the
//! chosen recipient's part highlighted and scrolled to, above the text box
//! that holds what the rules read for that recipient. An email about several
//! recipients has a picker: each recipient has its own text and verdict.

use std::ops::Range;
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::engine::classify::{Classifier, Span, Verdict};
use crate::engine::ingest::{EmailProblem, Record, RecordSource, email};
use crate::engine::smtp::Phase;
use crate::gui::widgets::{highlighted_job, named};
use crate::i18n::{tr, tr_fmt, tr_n};

/// One recipient of an email in the tester.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailRecipient {
    /// The recipient, when the email names one.
    pub recipient: Option<String>,
    /// What the rules read for this recipient (goes in the text box).
    pub text: String,
    /// Its part of the email's readable text, when the reader found it.
    pub part: Option<Range<usize>>,
    /// The SMTP phase the email says the error came in.
    pub phase: Option<Phase>,
    /// The category the email itself gives this recipient before any rule (a
    /// success report, an auto-reply, a feedback report), as the batch reads it.
    pub own_category: Option<&'static str>,
}

impl EmailRecipient {
    /// The recipient of a record read from an email.
    pub fn of(record: &Record, part: Option<Range<usize>>) -> EmailRecipient {
        EmailRecipient {
            recipient: record.recipient.clone(),
            text: record.text.clone(),
            part,
            phase: record.phase,
            own_category: record.own_category(),
        }
    }
}

/// An email for the tester, with the recipient shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailInTester {
    /// The readable text of the whole email.
    pub email: Arc<str>,
    /// Where the email was read (file, message).
    pub place: String,
    /// Its recipients, in the email's order; never empty.
    pub recipients: Vec<EmailRecipient>,
    /// The recipient shown.
    pub current: usize,
    /// The pasted email this was read from: closing the view puts it back.
    pub pasted: Option<String>,
}

impl EmailInTester {
    /// The recipient shown.
    pub fn recipient(&self) -> &EmailRecipient {
        &self.recipients[self.current.min(self.recipients.len() - 1)]
    }

    /// The part to highlight: the reader's, else the first mention of the
    /// recipient's address (DSNs name it in their text even when no part was cut out).
    pub fn highlight(&self) -> Option<Span> {
        let valid = |r: &Range<usize>| {
            r.start < r.end && r.end <= self.email.len() && self.email.is_char_boundary(r.start) && self.email.is_char_boundary(r.end)
        };
        let shown = self.recipient();
        if let Some(p) = shown.part.as_ref().filter(|p| valid(p)) {
            return Some(Span { start: p.start, end: p.end });
        }
        let rcpt = shown.recipient.as_deref().filter(|r| !r.is_empty())?;
        let hay = self.email.to_ascii_lowercase();
        let start = hay.find(&rcpt.to_ascii_lowercase())?;
        let r = start..start + rcpt.len();
        valid(&r).then_some(Span { start: r.start, end: r.end })
    }
}

/// A pasted text read as a bounce email, with each recipient's verdict.
#[derive(Clone, Debug)]
pub struct PastedEmail {
    /// The email, ready for the view (its `pasted` is the text).
    pub email: EmailInTester,
    /// Per recipient: its verdict, as the batch and the CLI give it.
    pub verdicts: Vec<Verdict>,
}

/// Whether `text` starts the way an email does: a header line, and a blank
/// line after the header block. SMTP replies and bounce texts do not.
fn looks_like_email(text: &str) -> bool {
    let mut lines = text.trim_start_matches(['\r', '\n']).lines();
    // An email copied out of an mbox starts with its "From " separator line.
    let first = lines.next().filter(|l| !l.starts_with("From ")).or_else(|| lines.next()).unwrap_or("");
    let header = first
        .split_once(':')
        .is_some_and(|(name, _)| !name.is_empty() && name.len() <= 60 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    header && (text.contains("\n\n") || text.contains("\r\n\r\n"))
}

/// Reads a pasted text as a bounce email, the way the batch reads an `.eml`:
/// `None` unless it is one, with at least one recipient.
pub fn read_pasted(text: &str, c: &Classifier) -> Option<PastedEmail> {
    if !looks_like_email(text) {
        return None;
    }
    let read = email::read(text.as_bytes(), &RecordSource::default());
    let not_one = |p: &EmailProblem| matches!(p, EmailProblem::Unparsable | EmailProblem::NotABounce);
    // Without a recipient the email says no more than its text does in the box.
    if !read.records.iter().any(|r| r.recipient.is_some()) || read.problems.iter().any(not_one) {
        return None;
    }
    let recipients = read.records.iter().enumerate().map(|(i, r)| EmailRecipient::of(r, read.spans.get(i).cloned().flatten())).collect();
    let verdicts = read.records.iter().map(|r| c.classify_record(r)).collect();
    let email = EmailInTester {
        email: read.text.into(),
        place: tr("tester.pasted_email").to_owned(),
        recipients,
        current: 0,
        pasted: Some(text.to_owned()),
    };
    Some(PastedEmail { email, verdicts })
}

/// What the user did in the email view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewEvent {
    /// Closed it.
    Close,
    /// Picked another recipient.
    Pick(usize),
}

/// The email view's state.
#[derive(Debug)]
pub struct EmailView {
    /// The email shown.
    pub row: EmailInTester,
    highlight: Option<Span>,
    scroll_pending: bool,
}

impl EmailView {
    /// A view that scrolls to the recipient's part on its first frame.
    pub fn new(row: EmailInTester) -> EmailView {
        let highlight = row.highlight();
        EmailView { row, highlight, scroll_pending: true }
    }

    /// The highlighted byte range of the email, if any.
    pub fn highlighted(&self) -> Option<Span> {
        self.highlight
    }

    /// Shows recipient `k`: highlights and scrolls to its part.
    pub fn pick(&mut self, k: usize) {
        if k < self.row.recipients.len() {
            self.row.current = k;
            self.highlight = self.row.highlight();
            self.scroll_pending = true;
        }
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut Ui, max_height: f32) -> Option<ViewEvent> {
        let mut event = None;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.strong(tr_fmt("tester.email_from", &[("place", &self.row.place)]));
                let n = self.row.recipients.len();
                if n > 1 {
                    ui.separator();
                    event = self.picker_ui(ui).or(event);
                } else if let Some(r) = &self.row.recipient().recipient {
                    ui.separator();
                    ui.label(tr_fmt("tester.email_recipient", &[("recipient", r)]));
                }
                if self.highlight.is_none() {
                    ui.separator();
                    ui.weak(tr("tester.email_no_part"));
                }
                let close = if self.row.pasted.is_some() { tr("tester.email_back") } else { tr("tester.email_close") };
                if ui.button(close).clicked() {
                    event = Some(ViewEvent::Close);
                }
            });
            egui::ScrollArea::vertical().id_salt("tester_email_scroll").max_height(max_height).auto_shrink([false, true]).show(ui, |ui| {
                let wrap = ui.available_width();
                let job = highlighted_job(ui, &self.row.email, self.highlight.as_slice(), &[], wrap);
                let galley = ui.fonts_mut(|f| f.layout_job(job));
                let resp = ui.add(egui::Label::new(galley.clone()).selectable(true));
                let resp = resp.on_hover_text(tr("tester.email_tip"));
                if self.scroll_pending {
                    self.scroll_pending = false;
                    if let Some(h) = self.highlight {
                        let chars = self.row.email[..h.start].chars().count();
                        let at = galley.pos_from_cursor(egui::text::CCursor::new(chars));
                        ui.scroll_to_rect(at.translate(resp.rect.min.to_vec2()), Some(egui::Align::Center));
                    }
                }
            });
        });
        ui.label(RichText::new(tr("tester.email_rules_read")).weak());
        event
    }

    /// "Recipient 2 of 3: [address ▾]".
    fn picker_ui(&self, ui: &mut Ui) -> Option<ViewEvent> {
        let (n, current) = (self.row.recipients.len(), self.row.current);
        let name =
            |k: usize| self.row.recipients[k].recipient.clone().unwrap_or_else(|| tr_fmt("tester.email_nameless", &[("n", &(k + 1))]));
        ui.label(tr_fmt("tester.email_pick", &[("n", &(current + 1)), ("total", &n)]));
        let mut picked = None;
        let r = egui::ComboBox::from_id_salt("tester_email_recipient").selected_text(name(current)).show_ui(ui, |ui| {
            for k in 0..n {
                if ui.selectable_label(k == current, name(k)).clicked() && k != current {
                    picked = Some(ViewEvent::Pick(k));
                }
            }
        });
        named(r.response, egui::Role::ComboBox, tr("tester.email_a11y_pick"));
        picked
    }
}

/// The banner over a pasted bounce email: each recipient with its verdict, a
/// click shows the email for that recipient. Returns the recipient clicked.
pub fn pasted_ui(ui: &mut Ui, pasted: &PastedEmail, c: &Classifier) -> Option<usize> {
    /// More recipients than this are summed up, not listed.
    const LISTED: usize = 8;
    let mut clicked = None;
    let n = pasted.verdicts.len();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        // Full width: a narrow framed box over the text box reads as a popup.
        ui.set_width(ui.available_width());
        ui.label(RichText::new(tr_n("tester.pasted_banner", n, &[])).strong());
        for (k, (r, v)) in pasted.email.recipients.iter().zip(&pasted.verdicts).enumerate().take(LISTED) {
            ui.horizontal_wrapped(|ui| {
                let who = r.recipient.clone().unwrap_or_else(|| tr_fmt("tester.email_nameless", &[("n", &(k + 1))]));
                if ui.link(who).on_hover_text(tr("tester.pasted_tip")).clicked() {
                    clicked = Some(k);
                }
                crate::gui::widgets::failure_label(ui, v.failure_type, None);
                ui.label(format!("· {}", c.reason(v).display_label()));
            });
        }
        if n > LISTED {
            ui.weak(tr_n("tester.pasted_more", n - LISTED, &[]));
        }
    });
    clicked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(email: &str, part: Option<Range<usize>>, recipient: Option<&str>) -> EmailInTester {
        let r = EmailRecipient { recipient: recipient.map(Into::into), text: String::new(), part, phase: None, own_category: None };
        EmailInTester { email: email.into(), place: "x.eml".into(), recipients: vec![r], current: 0, pasted: None }
    }

    #[test]
    fn highlight_is_the_part_else_the_address() {
        let e = "Delivery to A@B.example failed: 550 no such user";
        assert_eq!(row(e, Some(0..8), None).highlight(), Some(Span { start: 0, end: 8 }));
        assert_eq!(row(e, None, Some("a@b.example")).highlight(), Some(Span { start: 12, end: 23 }));
        assert_eq!(row(e, Some(5..500), Some("nobody@x")).highlight(), None, "a bad range is not trusted");
    }

    /// A DSN about `n` recipients, each with its own Diagnostic-Code.
    fn dsn(n: usize) -> String {
        let mut t = String::from("From: MAILER-DAEMON@example.net\r\nTo: a@example.org\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\n");
        t += "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n";
        t += "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n";
        for i in 0..n {
            t += &format!(
                "\r\nFinal-Recipient: rfc822; u{i}@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user u{i} unknown\r\n"
            );
        }
        t + "--b--\r\n"
    }

    #[test]
    fn hostile_pastes_are_read_or_refused_without_a_panic() {
        let c = Classifier::new(&crate::engine::default_rules());
        let many = read_pasted(&dsn(2_000), &c).expect("a DSN about 2,000 recipients is an email");
        assert_eq!((many.email.recipients.len(), many.verdicts.len()), (2_000, 2_000));
        assert_eq!(many.email.recipients[1_999].recipient.as_deref(), Some("u1999@example.com"));
        // Header-looking text without a bounce in it stays a text.
        let headers: String = (0..20_000).map(|i| format!("X-H{i}: v\n")).collect::<String>() + "\nno bounce here";
        assert!(read_pasted(&headers, &c).is_none());
        // Bytes that are no text, as a lossy paste gives them, after a header line.
        let noise: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let text = format!("Subject: x\n\n{}", String::from_utf8_lossy(&noise));
        let _ = read_pasted(&text, &c);
        assert!(read_pasted("From: \n\n", &c).is_none(), "an empty email has no recipient");
    }

    #[test]
    fn only_texts_that_start_like_an_email_are_read_as_one() {
        assert!(looks_like_email("Return-Path: <>\nFrom: MAILER-DAEMON\n\nbody"));
        assert!(!looks_like_email("550 5.1.1 <a@b>: Recipient address rejected: User unknown"));
        assert!(!looks_like_email("host mx.example said: 550 user unknown\n\nmore"), "a colon after spaces is not a header");
        assert!(!looks_like_email("Subject: no blank line"));
        assert!(looks_like_email("From MAILER-DAEMON  Fri Feb 13 02:47:49 2015\nReturn-Path: <>\n\nbody"), "out of an mbox");
    }
}
