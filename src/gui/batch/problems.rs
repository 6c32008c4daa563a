//! What went wrong while reading a batch, kept as data and worded on the UI
//! thread (in the interface language): one entry per file, message or line.

use egui::{RichText, Ui};

use crate::engine::ingest::logs::LogProblem;
use crate::engine::ingest::{EmailProblem, Note, RecordSource};
use crate::i18n::{tr, tr_fmt};

use super::load::{Report, place};

/// One problem met while reading; the batch goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A file could not be opened, listed or read; or the mailbox failed (the system's words).
    Io(RecordSource, String),
    /// A reading note (a cut line or email, an mbox without a From_ line, a skipped CSV row).
    Note(RecordSource, Note),
    /// An email that gave no record, or a damaged one.
    Email(RecordSource, EmailProblem),
}

impl Problem {
    /// The problem in words, with its place.
    pub fn text(&self) -> String {
        match self {
            Problem::Io(s, e) => tr_fmt("ingest.io", &[("place", &place(s)), ("error", e)]),
            Problem::Note(s, n) => note_text(s, n),
            Problem::Email(s, p) => {
                let key = match p {
                    EmailProblem::Unparsable => "ingest.unparsable",
                    EmailProblem::NotABounce => "ingest.not_a_bounce",
                    EmailProblem::NoRecipient => "ingest.no_recipient",
                    EmailProblem::Damaged => "ingest.damaged",
                };
                tr_fmt(key, &[("place", &place(s))])
            }
        }
    }
}

fn note_text(s: &RecordSource, n: &Note) -> String {
    let place = place(s);
    match n {
        Note::Io(e) => tr_fmt("ingest.io", &[("place", &place), ("error", e)]),
        Note::LineCut(limit) => tr_fmt("ingest.line_cut", &[("place", &place), ("limit", limit)]),
        Note::InvalidUtf8 => tr_fmt("cli.invalid_utf8", &[("place", &place)]),
        Note::EmailCut(limit) => tr_fmt("ingest.email_cut", &[("place", &place), ("mb", &(limit >> 20))]),
        Note::NoFromLine => tr_fmt("ingest.no_from_line", &[("place", &place)]),
        Note::CsvRowSkipped => tr_fmt("ingest.csv_row_skipped", &[("place", &place)]),
        Note::NotText => tr_fmt("ingest.not_text", &[("place", &place)]),
        Note::LogMalformed(p) => tr_fmt("ingest.log_malformed", &[("place", &place), ("problem", &log_problem(p))]),
    }
}

fn log_problem(p: &LogProblem) -> String {
    match p {
        LogProblem::NotJson(e) => tr_fmt("ingest.log_not_json", &[("error", e)]),
        LogProblem::MissingField(f) => tr_fmt("ingest.log_missing_field", &[("field", f)]),
        LogProblem::Columns { expected, found } => tr_fmt("ingest.log_columns", &[("expected", expected), ("found", found)]),
        LogProblem::Csv(e) => tr_fmt("ingest.log_csv", &[("error", e)]),
        LogProblem::OtherFormat => tr("ingest.log_other_format").to_owned(),
        LogProblem::Unreadable => tr("ingest.log_unreadable").to_owned(),
    }
}

/// The list of problems under the reading report, folded when long.
pub fn problems_ui(ui: &mut Ui, report: &Report) {
    if report.problem_count == 0 {
        return;
    }
    let color = ui.visuals().warn_fg_color;
    let title = RichText::new(tr_fmt("batch.problems", &[("n", &report.problem_count)])).color(color);
    egui::CollapsingHeader::new(title).id_salt("batch_problems").default_open(report.problem_count <= 3).show(ui, |ui| {
        // Rows of one line each (long ones truncated, whole on hover): only the visible ones are
        // worded. Body text: in the small style a file path and its problem were hard to read.
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().id_salt("batch_problems_scroll").max_height(110.0).show_rows(
            ui,
            row_h,
            report.problems.len(),
            |ui, range| {
                for p in &report.problems[range] {
                    ui.add(egui::Label::new(p.text()).truncate());
                }
            },
        );
        if report.problem_count > report.problems.len() {
            ui.weak(tr_fmt("batch.problems_more", &[("n", &(report.problem_count - report.problems.len()))]));
        }
    });
}
