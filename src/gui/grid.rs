//! Shared pieces of the rule grids (bounce and MX rules): remembered column
//! widths, a spare-width column, cells that say what they cut, and a
//! draggable splitter between a table and its details.

use egui::{Id, Rect, Sense, Ui, UiBuilder};
use egui_extras::{Column, TableBuilder};

/// What a grid remembers between runs: its column widths and the height of
/// the details under it (persisted with the settings).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GridLayout {
    /// Column widths in points as last drawn; empty: the defaults.
    pub widths: Vec<f32>,
    /// Height of the details below the table; `None`: the default.
    pub detail_height: Option<f32>,
    /// Width of the right half of the details (MX rules: the host tester).
    pub detail_right: Option<f32>,
}

/// One column of a grid: its default width, its minimum, and whether it
/// takes the width left over by the others.
#[derive(Clone, Copy, Debug)]
pub struct ColumnSpec {
    /// Width on first use.
    pub default: f32,
    /// Narrowest width (raised to fit the header text).
    pub min: f32,
    /// Takes the spare width (one column a grid).
    pub spare: bool,
}

impl ColumnSpec {
    /// A resizable column.
    pub const fn fixed(default: f32, min: f32) -> Self {
        ColumnSpec { default, min, spare: false }
    }

    /// The column that takes the spare width.
    pub const fn spare(min: f32) -> Self {
        ColumnSpec { default: min, min, spare: true }
    }
}

/// Horizontal gap between grid cells (tighter than egui's default item spacing).
pub const CELL_GAP: f32 = 4.0;

/// The table both rule grids draw: striped, resizable, rows clickable, `columns` as laid out
/// by [`columns`]. Call inside the grid's horizontal scroll area with [`CELL_GAP`] set.
pub fn rule_table<'a>(ui: &'a mut Ui, id: &str, columns: Vec<Column>) -> TableBuilder<'a> {
    let mut table = TableBuilder::new(ui)
        .id_salt(id)
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .min_scrolled_height(60.0)
        .auto_shrink([false, false]);
    for c in columns {
        table = table.column(c);
    }
    table
}

/// Width a header title needs, so no header is cut ("On" in Korean is wider than in English).
pub fn header_width(ui: &Ui, title: &str) -> f32 {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let w = ui.fonts_mut(|f| f.layout_no_wrap(title.to_owned(), font, egui::Color32::WHITE).size().x);
    w + 2.0 * ui.spacing().button_padding.x
}

/// The grid's columns for this frame: remembered widths for the resizable
/// ones, the rest of `available` for the spare one (at least its minimum;
/// then the grid is wider than the view and scrolls sideways).
pub fn columns(ui: &Ui, layout: &GridLayout, specs: &[ColumnSpec], titles: &[&str], available: f32) -> Vec<Column> {
    let spacing = CELL_GAP;
    let mins: Vec<f32> = specs.iter().zip(titles).map(|(s, t)| s.min.max(header_width(ui, t))).collect();
    let width = |k: usize| layout.widths.get(k).copied().filter(|w| w.is_finite() && *w > 0.0).unwrap_or(specs[k].default).max(mins[k]);
    let others: f32 = (0..specs.len()).filter(|&k| !specs[k].spare).map(width).sum();
    let gaps = spacing * specs.len().saturating_sub(1) as f32;
    specs
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if s.spare {
                let w = (available - others - gaps).max(mins[k]).floor();
                Column::exact(w).resizable(false).clip(true)
            } else {
                Column::initial(width(k)).at_least(mins[k]).clip(true)
            }
        })
        .collect()
}

/// Records the widths the table used this frame (from `TableBody::widths`).
pub fn remember_widths(layout: &mut GridLayout, widths: &[f32]) {
    if layout.widths.len() != widths.len() || layout.widths.iter().zip(widths).any(|(a, b)| (a - b).abs() > 0.5) {
        layout.widths = widths.to_vec();
    }
}

/// A single-line text field filling its cell; when the text is wider than
/// the cell, hovering shows the whole text.
pub fn cell_text_edit(ui: &mut Ui, text: &mut String, code: bool, color: Option<egui::Color32>) -> egui::Response {
    let mut te = egui::TextEdit::singleline(text).desired_width(f32::INFINITY);
    if code {
        te = te.code_editor();
    }
    if let Some(c) = color {
        te = te.text_color(c);
    }
    let out = te.show(ui);
    let cut = out.galley.size().x > out.text_clip_rect.width() + 0.5;
    let resp = out.response.response;
    if cut && !text.is_empty() { resp.on_hover_text(text.as_str()) } else { resp }
}

/// Which way a [`split`] divides its space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitDir {
    /// First part above, second below; the stored size is the lower part's height.
    Vertical,
    /// First part left, second right; the stored size is the right part's width.
    Horizontal,
}

/// Thickness of the splitter bar.
const BAR: f32 = 8.0;

/// Divides the rest of `ui` in two with a draggable bar and returns a child
/// ui for each part. The second part keeps the size the user gave it
/// (`size`), whatever its content does, so the bar never moves by itself;
/// each part is clipped to itself, so nothing of one (a table's column
/// lines) crosses into the other.
pub fn split(ui: &mut Ui, id: Id, dir: SplitDir, size: &mut Option<f32>, default: f32, mins: (f32, f32)) -> (Ui, Ui) {
    let rect = ui.available_rect_before_wrap();
    let total = match dir {
        SplitDir::Vertical => rect.height(),
        SplitDir::Horizontal => rect.width(),
    };
    let max_second = (total - BAR - mins.0).max(mins.1.min(total - BAR)).max(0.0);
    let lo = mins.1.min(max_second);
    let mut s = size.unwrap_or(default).clamp(lo, max_second);
    let bar_rect = |s: f32| match dir {
        SplitDir::Vertical => Rect::from_x_y_ranges(rect.x_range(), (rect.bottom() - s - BAR)..=(rect.bottom() - s)),
        SplitDir::Horizontal => Rect::from_x_y_ranges((rect.right() - s - BAR)..=(rect.right() - s), rect.y_range()),
    };
    let resp = ui.interact(bar_rect(s), id, Sense::drag());
    if resp.dragged() {
        let d = resp.drag_delta();
        s -= match dir {
            SplitDir::Vertical => d.y,
            SplitDir::Horizontal => d.x,
        };
        s = s.clamp(lo, max_second);
        *size = Some(s);
    }
    if resp.hovered() || resp.dragged() {
        ui.set_cursor_icon(match dir {
            SplitDir::Vertical => egui::CursorIcon::ResizeVertical,
            SplitDir::Horizontal => egui::CursorIcon::ResizeHorizontal,
        });
    }
    let bar = bar_rect(s);
    let (a, b) = match dir {
        SplitDir::Vertical => (
            Rect::from_min_max(rect.min, egui::pos2(rect.right(), bar.top())),
            Rect::from_min_max(egui::pos2(rect.left(), bar.bottom()), rect.max),
        ),
        SplitDir::Horizontal => (
            Rect::from_min_max(rect.min, egui::pos2(bar.left(), rect.bottom())),
            Rect::from_min_max(egui::pos2(bar.right(), rect.top()), rect.max),
        ),
    };
    let stroke = if resp.dragged() {
        ui.visuals().widgets.active.bg_stroke
    } else if resp.hovered() {
        ui.visuals().widgets.hovered.bg_stroke
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    let c = bar.center();
    match dir {
        SplitDir::Vertical => {
            ui.painter().hline(bar.x_range(), c.y, stroke);
        }
        SplitDir::Horizontal => {
            ui.painter().vline(c.x, bar.y_range(), stroke);
        }
    }
    ui.advance_cursor_after_rect(rect);
    let clip = ui.clip_rect();
    let mut child = |r: Rect, salt: &str| {
        let mut child = ui.new_child(UiBuilder::new().id_salt((id, salt)).max_rect(r));
        child.set_clip_rect(r.intersect(clip));
        child
    };
    (child(a, "first"), child(b, "second"))
}

/// The details part of a split: its own background, a margin, and a
/// vertical scroll when the content is taller than the part.
pub fn detail_frame(ui: &mut Ui, scroll_salt: &str, add: impl FnOnce(&mut Ui)) {
    egui::Frame::new().fill(ui.visuals().faint_bg_color).inner_margin(6.0).show(ui, |ui| {
        ui.set_min_size(ui.available_size());
        egui::ScrollArea::vertical().id_salt(scroll_salt).auto_shrink([false, false]).show(ui, add);
    });
}

/// Whether the window is narrow enough that side panels fold away.
pub fn is_narrow(ctx: &egui::Context) -> bool {
    ctx.content_rect().width() < FOLD_WIDTH
}

/// Below this window width the tester beside the rules folds into a toggle.
pub const FOLD_WIDTH: f32 = 1200.0;
