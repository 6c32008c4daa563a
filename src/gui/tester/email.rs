//! The tester's email view: a batch row read from a bounce email shows the
//! whole (readable) email, the recipient's part highlighted and scrolled to,
//! above the text box that holds what the rules read for that recipient.

use std::ops::Range;
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::engine::classify::Span;
use crate::gui::widgets::highlighted_job;
use crate::i18n::{tr, tr_fmt};

/// A batch row with its email, for the tester.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailInTester {
    /// What the rules read for this recipient (goes in the text box).
    pub text: String,
    /// The readable text of the whole email.
    pub email: Arc<str>,
    /// The recipient's part of `email`, when the reader found it.
    pub part: Option<Range<usize>>,
    /// The recipient.
    pub recipient: Option<String>,
    /// Where the email was read (file, message).
    pub place: String,
}

impl EmailInTester {
    /// The part to highlight: the reader's, else the first mention of the
    /// recipient's address (DSNs name it in their text even when no part was cut out).
    pub fn highlight(&self) -> Option<Span> {
        let valid = |r: &Range<usize>| {
            r.start < r.end && r.end <= self.email.len() && self.email.is_char_boundary(r.start) && self.email.is_char_boundary(r.end)
        };
        if let Some(p) = self.part.as_ref().filter(|p| valid(p)) {
            return Some(Span { start: p.start, end: p.end });
        }
        let rcpt = self.recipient.as_deref().filter(|r| !r.is_empty())?;
        let hay = self.email.to_ascii_lowercase();
        let start = hay.find(&rcpt.to_ascii_lowercase())?;
        let r = start..start + rcpt.len();
        valid(&r).then_some(Span { start: r.start, end: r.end })
    }
}

/// The email view's state.
#[derive(Debug)]
pub struct EmailView {
    /// The row shown.
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

    /// Draws the view; returns false when the user closed it.
    pub fn ui(&mut self, ui: &mut Ui, max_height: f32) -> bool {
        let mut keep = true;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.strong(tr_fmt("tester.email_from", &[("place", &self.row.place)]));
                if let Some(r) = &self.row.recipient {
                    ui.separator();
                    ui.label(tr_fmt("tester.email_recipient", &[("recipient", r)]));
                }
                if self.highlight.is_none() {
                    ui.separator();
                    ui.weak(tr("tester.email_no_part"));
                }
                if ui.button(tr("tester.email_close")).clicked() {
                    keep = false;
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
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(email: &str, part: Option<Range<usize>>, recipient: Option<&str>) -> EmailInTester {
        EmailInTester { text: String::new(), email: email.into(), part, recipient: recipient.map(Into::into), place: "x.eml".into() }
    }

    #[test]
    fn highlight_is_the_part_else_the_address() {
        let e = "Delivery to A@B.example failed: 550 no such user";
        assert_eq!(row(e, Some(0..8), None).highlight(), Some(Span { start: 0, end: 8 }));
        assert_eq!(row(e, None, Some("a@b.example")).highlight(), Some(Span { start: 12, end: 23 }));
        assert_eq!(row(e, Some(5..500), Some("nobody@x")).highlight(), None, "a bad range is not trusted");
    }
}
