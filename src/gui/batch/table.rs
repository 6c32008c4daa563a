//! The lower half of the batch panel: filters, CSV export and the results
//! table. Rows from emails and logs show their recipient, SMTP phase and MTA
//! (and the MTA's own class for logs); a click opens the row in the tester —
//! the whole email, with the recipient's part highlighted, when it has one.

use std::path::PathBuf;

use egui::{RichText, Role, Ui};
use egui_extras::{Column, TableBuilder};

use super::load::{Rows, place};
use super::view::{self, Filter, SortKey};
use super::{BatchPanel, combo};
use crate::engine::classify::DecidedBy;
use crate::engine::lint::shorten;
use crate::engine::smtp::Phase;
use crate::engine::{FailureType, Verdict};
use crate::gui::tester::{EmailInTester, EmailRecipient};
use crate::gui::widgets::{failure_color, named};
use crate::gui::{Action, PanelCtx};
use crate::i18n::{tr, tr_fmt};

/// A phase as a column cell: SMTP commands as written, the two others in words.
pub fn phase_label(p: Phase) -> &'static str {
    match p {
        Phase::Connect => tr("batch.phase_connect"),
        Phase::Helo => "HELO",
        Phase::MailFrom => "MAIL FROM",
        Phase::RcptTo => "RCPT TO",
        Phase::Data => "DATA",
        Phase::EndOfData => tr("batch.phase_end_of_data"),
    }
}

/// What decided a line, in words (the CSV export keeps the machine names).
fn decided_label(d: DecidedBy) -> &'static str {
    match d {
        DecidedBy::Rule => tr("batch.decided_rule"),
        DecidedBy::EnhancedCode => tr("batch.decided_enhanced"),
        DecidedBy::ReplyCode => tr("batch.decided_reply"),
        DecidedBy::None => tr("batch.none"),
        DecidedBy::Input => tr("ingest.decided_input"),
    }
}

/// What a click on row `i` loads in the tester: a row from an email brings
/// the email along with all its recipients (rows of one email are adjacent).
pub fn tester_action(rows: &Rows, i: usize) -> Action {
    let text = rows.text(i).to_owned();
    let Some(d) = rows.detail(i) else { return Action::LoadInTester(text) };
    let Some((e, _)) = &d.email else { return Action::LoadInTester(text) };
    let Some(email) = rows.emails.get(*e as usize).and_then(Option::as_ref) else {
        // Past the memory budget only the recipient's text was kept.
        return Action::LoadInTester(text);
    };
    let of_email = |j: usize| rows.detail(j).and_then(|d| Some((d, d.email.as_ref()?))).filter(|(_, (f, _))| f == e);
    let first = (0..i).rev().take_while(|&j| of_email(j).is_some()).last().unwrap_or(i);
    let recipients: Vec<EmailRecipient> =
        (first..rows.len()).map_while(of_email).map(|(d, (_, part))| EmailRecipient::of(&d.record, part.clone())).collect();
    Action::LoadEmailInTester(Box::new(EmailInTester {
        email: email.text.clone(),
        place: email.place.clone(),
        recipients,
        current: i - first,
        pasted: None,
    }))
}

impl BatchPanel {
    pub(super) fn filter_ui(&mut self, ui: &mut Ui) {
        let Some(r) = &self.results else { return };
        let (c, s, f) = (&r.classifier, &r.summary, &mut self.filter);
        ui.horizontal_wrapped(|ui| {
            ui.label(tr("batch.filter"));
            let type_text = f.failure_type.map_or(tr("batch.any_type"), |t| t.display_label()).to_owned();
            combo(ui, "batch_filter_type", tr("batch.filter_type"), type_text, |ui| {
                ui.selectable_value(&mut f.failure_type, None, tr("batch.any_type"));
                for t in FailureType::ALL {
                    ui.selectable_value(&mut f.failure_type, Some(t), t.display_label());
                }
            });
            let reason_text =
                f.reason.and_then(|i| c.reasons().get(i as usize)).map_or(tr("batch.any_reason"), |x| x.display_label()).to_owned();
            combo(ui, "batch_filter_reason", tr("batch.filter_reason"), reason_text, |ui| {
                ui.selectable_value(&mut f.reason, None, tr("batch.any_reason"));
                for (i, x) in c.reasons().iter().enumerate().filter(|(i, _)| s.per_reason[*i] > 0) {
                    ui.selectable_value(&mut f.reason, Some(i as u16), format!("{} ({})", x.display_label(), s.per_reason[i]));
                }
            });
            let cat_text = f.category.and_then(|i| c.categories().get(i as usize)).map_or(tr("batch.any_category"), |x| &x.id).to_owned();
            combo(ui, "batch_filter_category", tr("batch.filter_category"), cat_text, |ui| {
                ui.selectable_value(&mut f.category, None, tr("batch.any_category"));
                for (i, x) in c.categories().iter().enumerate().filter(|(i, _)| s.per_category[*i] > 0) {
                    ui.selectable_value(&mut f.category, Some(i as u16), format!("{} ({})", x.id, s.per_category[i]));
                }
            });
            let rule_text = match f.rule {
                None => tr("batch.any_rule").to_owned(),
                Some(None) => tr("batch.no_rule").to_owned(),
                Some(Some(i)) => format!("#{} {}", i + 1, c.rule_name(i)),
            };
            combo(ui, "batch_filter_rule", tr("batch.filter_rule"), rule_text, |ui| {
                ui.selectable_value(&mut f.rule, None, tr("batch.any_rule"));
                ui.selectable_value(&mut f.rule, Some(None), tr_fmt("batch.no_rule_n", &[("n", &s.unmatched)]));
                for (i, n) in s.hits.iter().enumerate().filter(|(_, n)| **n > 0) {
                    ui.selectable_value(&mut f.rule, Some(Some(i)), format!("#{} {} ({n})", i + 1, c.rule_name(i)));
                }
            });
            ui.checkbox(&mut f.unmatched_only, tr("batch.unmatched_only"));
            if ui.button(tr("batch.clear_filters")).clicked() {
                *f = Filter::default();
            }
        });
        let shown = tr_fmt("batch.shown", &[("shown", &self.view.len()), ("total", &r.verdicts.len())]);
        ui.horizontal(|ui| {
            ui.label(shown);
            ui.separator();
            named(
                ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(300.0).hint_text(tr("batch.export_hint"))),
                Role::TextInput,
                tr("batch.export_path"),
            );
            let can = !self.export_path.trim().is_empty() && self.export.is_none();
            if ui.add_enabled(can, egui::Button::new(tr("batch.export_csv"))).on_hover_text(tr("batch.export_csv_tip")).clicked() {
                self.export_message = None;
                self.start_export(ui.ctx());
            }
            if let Some(res) = &self.export_message {
                let (m, warn) = match res {
                    Ok((n, path)) => (tr_fmt("batch.exported", &[("n", n), ("path", path)]), false),
                    Err(e) => (tr_fmt("batch.export_failed", &[("error", e)]), true),
                };
                let color = if warn { ui.visuals().warn_fg_color } else { ui.visuals().text_color() };
                ui.add(egui::Label::new(RichText::new(&m).color(color)).truncate()).on_hover_text(m.as_str());
            }
        });
    }

    fn start_export(&mut self, repaint: &egui::Context) {
        let (Some(r), Some(lines)) = (&self.results, &self.lines) else { return };
        let (lines, verdicts, c, rows) = (lines.clone(), r.verdicts.clone(), r.classifier.clone(), self.view.clone());
        let path = PathBuf::from(self.export_path.trim());
        let (tx, rx) = std::sync::mpsc::channel();
        let repaint = repaint.clone();
        let _ = std::thread::Builder::new().name("batch-export".into()).spawn(move || {
            // Plain data back: the UI thread words it in the interface language.
            let res = view::to_csv(&lines, &verdicts, &c, &rows)
                .map_err(|e| e.to_string())
                .and_then(|bytes| crate::engine::fsio::write_atomic(&path, &bytes, false).map_err(|e| e.to_string()))
                .map(|()| (rows.len(), path.display().to_string()));
            let _ = tx.send(res);
            repaint.request_repaint();
        });
        self.export = Some(rx);
    }

    pub(super) fn update_view(&mut self) {
        let Some(r) = &self.results else { return };
        let key = (r.serial, self.filter.clone(), self.sort);
        if self.view_key.as_ref() != Some(&key) {
            self.view = view::rows(&r.verdicts, &r.classifier, &self.filter, self.sort.0, self.sort.1);
            self.view_key = Some(key);
        }
    }

    pub(super) fn table_ui(&mut self, ui: &mut Ui, ctx: &mut PanelCtx) {
        let (Some(r), Some(lines)) = (&self.results, &self.lines) else { return };
        let c = &r.classifier;
        let dark = ui.visuals().dark_mode;
        let sort = &mut self.sort;
        // Recipient, phase and MTA only when the input says them (emails, logs); the MTA's class for logs.
        let details = lines.has_details();
        let log_class = !lines.log_rows.is_empty();
        // Rows from several files (a folder) name their file; one file or a paste needs no column for it.
        let files = lines.sources.len() > 1;
        // (title, sort key, width to start with, narrowest); the response takes what is left.
        let mut columns: Vec<(&str, Option<SortKey>, f32, f32)> = vec![(tr("batch.col_line"), Some(SortKey::Line), 56.0, 40.0)];
        if files {
            columns.push((tr("batch.col_file"), None, 130.0, 50.0));
        }
        if details {
            columns.push((tr("batch.col_recipient"), None, 150.0, 60.0));
            columns.push((tr("batch.col_phase"), None, 72.0, 40.0));
            columns.push((tr("batch.col_mta"), None, 80.0, 40.0));
        }
        if log_class {
            columns.push((tr("batch.col_log_class"), None, 110.0, 50.0));
        }
        columns.extend([
            (tr("batch.col_type"), Some(SortKey::Type), 56.0, 40.0),
            (tr("batch.col_reason"), Some(SortKey::Reason), 110.0, 50.0),
            (tr("batch.col_category"), Some(SortKey::Category), 100.0, 50.0),
            (tr("batch.col_rule"), Some(SortKey::Rule), 120.0, 50.0),
            (tr("batch.col_decided_by"), Some(SortKey::DecidedBy), 90.0, 50.0),
        ]);
        // A sortable column starts wide enough for its title and sort mark ("줄 (오름차순)" was cut).
        let font = egui::TextStyle::Button.resolve(ui.style());
        for c in columns.iter_mut().filter(|c| c.1.is_some()) {
            let widest = [tr("batch.sort_asc"), tr("batch.sort_desc")]
                .map(|mark| ui.painter().layout_no_wrap(format!("{}{mark}", c.0), font.clone(), egui::Color32::WHITE).size().x)
                .into_iter()
                .fold(0.0, f32::max);
            c.2 = c.2.max(widest + 2.0 * ui.spacing().button_padding.x);
        }
        // Start narrower when the window is: every column visible at 1024 px, the rest by scrolling.
        const RESPONSE_MIN: f32 = 160.0;
        let spacing = ui.spacing().item_spacing.x * (columns.len() + 1) as f32;
        let fixed: f32 = columns.iter().map(|c| c.2).sum();
        let room = ui.available_width() - RESPONSE_MIN - spacing;
        let scale = if fixed > room { (room / fixed).max(0.5) } else { 1.0 };
        let response_title = tr("batch.col_response");
        // Plain labels in the cells: a click anywhere on a row is the row's, not a text selection.
        ui.style_mut().interaction.selectable_labels = false;
        egui::ScrollArea::horizontal().id_salt("batch_table_h").show(ui, |ui| {
            let mut table = TableBuilder::new(ui)
                .id_salt("batch_table")
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .min_scrolled_height(120.0);
            for (k, (_, _, w, min)) in columns.iter().enumerate() {
                table = table.column(Column::initial((w * scale).max(*min)).at_least(*min).clip(true));
                if k == 0 {
                    table = table.column(Column::remainder().at_least(RESPONSE_MIN).clip(true));
                }
            }
            let mut titles: Vec<(&str, Option<SortKey>)> = columns.iter().map(|c| (c.0, c.1)).collect();
            titles.insert(1, (response_title, None));
            table
                .header(22.0, |mut h| {
                    for (title, key) in &titles {
                        h.col(|ui| match key {
                            Some(k) => {
                                let mark = if sort.0 != *k {
                                    ""
                                } else if sort.1 {
                                    tr("batch.sort_desc")
                                } else {
                                    tr("batch.sort_asc")
                                };
                                let b = egui::Button::new(RichText::new(format!("{title}{mark}")).strong()).frame(false);
                                if ui.add(b).on_hover_text(tr("batch.sort_tip")).clicked() {
                                    *sort = (*k, sort.0 == *k && !sort.1);
                                }
                            }
                            None => {
                                ui.strong(*title).on_hover_text(tr("batch.response_tip"));
                            }
                        });
                    }
                })
                .body(|body| {
                    body.rows(20.0, self.view.len(), |mut row| {
                        let i = self.view[row.index()] as usize;
                        let v: &Verdict = &r.verdicts[i];
                        let detail = lines.detail(i);
                        row.col(|ui| {
                            let origin = lines.origin.get(i).copied().unwrap_or(0).to_string();
                            let r = ui.label(origin);
                            match detail {
                                Some(d) => r.on_hover_text(place(&d.record.source)),
                                None => r.on_hover_text(lines.source_name(i)),
                            };
                        });
                        row.col(|ui| {
                            ui.label(RichText::new(shorten(lines.text(i), 240).replace(['\n', '\r'], " ")).monospace());
                        });
                        if files {
                            row.col(|ui| {
                                ui.label(lines.source_name(i));
                            });
                        }
                        if details {
                            let rec = detail.map(|d| &d.record);
                            row.col(|ui| {
                                ui.label(rec.and_then(|r| r.recipient.as_deref()).unwrap_or(""));
                            });
                            row.col(|ui| {
                                ui.label(rec.and_then(|r| r.phase).map_or("", phase_label));
                            });
                            row.col(|ui| {
                                let mta = rec.map(|r| r.reporter.name()).unwrap_or_default();
                                let resp = ui.label(mta.as_ref());
                                if let Some(remote) = rec.and_then(|r| r.remote_mta.as_deref()) {
                                    resp.on_hover_text(tr_fmt("batch.remote_mta", &[("host", &remote)]));
                                }
                            });
                        }
                        if log_class {
                            row.col(|ui| {
                                ui.label(detail.and_then(|d| d.record.log_class.as_deref()).unwrap_or(""));
                            });
                        }
                        row.col(|ui| {
                            ui.label(RichText::new(v.failure_type.display_label()).color(failure_color(v.failure_type, dark)));
                        });
                        row.col(|ui| {
                            ui.label(c.reason(v).display_label());
                        });
                        row.col(|ui| {
                            ui.label(&c.category(v).id);
                        });
                        row.col(|ui| {
                            match view::won_by(v) {
                                Some(k) => ui.label(format!("#{} {}", k + 1, c.rule_name(k))),
                                None => ui.weak(tr("batch.none")),
                            };
                        });
                        row.col(|ui| {
                            ui.label(decided_label(v.decided_by));
                        });
                        let tip = if detail.is_some_and(|d| d.email.is_some()) { tr("batch.row_tip_email") } else { tr("batch.row_tip") };
                        if row.response().on_hover_text(tip).clicked() {
                            ctx.act(tester_action(lines, i));
                        }
                    });
                });
        });
    }
}
