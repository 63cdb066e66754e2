//! Paginated documents for court papers, rendered with printpdf. A leaf module: it renders
//! the document model of `documents::model` (blocks of text and tables) and knows nothing of
//! memos, certificates or databases.
//!
//! US Letter, one-inch margins, Times (body), Times Bold (headings) and Courier (digests),
//! the PDF base-14 fonts every reader has. Paragraphs wrap and justify; tables break across
//! pages and repeat their header row; a heading never ends a page; every page carries the
//! running header and "Page X of Y". The output depends only on the document: the same
//! document renders to the same bytes.

use printpdf::{
    BuiltinFont, Color, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, TextItem,
};
use sha2::{Digest, Sha256};

use crate::documents::model::{Block, Column, Document, Table};
use std::collections::HashMap;
use std::sync::LazyLock;

const PAGE_W: f32 = 612.0;
const PAGE_H: f32 = 792.0;
const MARGIN: f32 = 72.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
const TOP: f32 = PAGE_H - MARGIN;
const BOTTOM: f32 = MARGIN;
const BODY: f32 = 11.0;
const LEADING: f32 = 1.3;
const CELL_PAD: f32 = 4.0;
/// Digests in tables: a whole SHA-256 (64 characters) fits a column of 55% of the width.
const MONO_SIZE: f32 = 6.3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Face {
    Roman,
    Bold,
    Italic,
    Mono,
}

impl Face {
    fn builtin(self) -> BuiltinFont {
        match self {
            Face::Roman => BuiltinFont::TimesRoman,
            Face::Bold => BuiltinFont::TimesBold,
            Face::Italic => BuiltinFont::TimesItalic,
            Face::Mono => BuiltinFont::Courier,
        }
    }
}

/// Advance widths per character, in thousandths of the font size, from the base-14 metrics.
struct Metrics {
    widths: HashMap<char, f32>,
    fallback: f32,
}

static METRICS: LazyLock<HashMap<Face, Metrics>> = LazyLock::new(|| {
    let mut all = HashMap::new();
    for face in [Face::Roman, Face::Bold, Face::Italic, Face::Mono] {
        let mut widths = HashMap::new();
        if let Some(font) = face.builtin().get_parsed_font() {
            let units = f32::from(font.units_per_em.max(1));
            for c in (32u8..=126).map(char::from).chain("§—–‘’“”•…·".chars()) {
                if let Some(w) = font.lookup_glyph_index(c as u32).and_then(|g| font.get_glyph_width(g)) {
                    widths.insert(c, f32::from(w) * 1000.0 / units);
                }
            }
        }
        let fallback = if face == Face::Mono { 600.0 } else { 500.0 };
        all.insert(face, Metrics { widths, fallback });
    }
    all
});

fn text_width(text: &str, face: Face, size: f32) -> f32 {
    let Some(metrics) = METRICS.get(&face) else { return text.chars().count() as f32 * size * 0.5 };
    text.chars().map(|c| metrics.widths.get(&c).copied().unwrap_or(metrics.fallback)).sum::<f32>() * size / 1000.0
}

/// The base-14 fonts print WinAnsi only; anything else would come out as '?'. Replace what we
/// use with its plain equivalent.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '→' => out.push_str("->"),
            '←' => out.push_str("<-"),
            '≥' => out.push_str(">="),
            '≤' => out.push_str("<="),
            '×' => out.push('x'),
            '✓' => out.push_str("[x]"),
            '\t' => out.push(' '),
            c if c.is_ascii() || "§—–‘’“”•…·éèáàóòúüñçÉ©®°±½¼¾".contains(c) => {
                out.push(c)
            }
            _ => out.push('?'),
        }
    }
    out
}

/// Greedy word wrap; a word longer than the width is split by characters.
fn wrap(text: &str, face: Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if text_width(&candidate, face, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if text_width(word, face, size) <= width {
                line = word.to_owned();
            } else {
                let mut piece = String::new();
                for c in word.chars() {
                    if text_width(&format!("{piece}{c}"), face, size) > width && !piece.is_empty() {
                        lines.push(std::mem::take(&mut piece));
                    }
                    piece.push(c);
                }
                line = piece;
            }
        }
        lines.push(line);
    }
    lines
}

/// Size of table text (digests use `MONO_SIZE`).
const TABLE_SIZE: f32 = 9.0;

/// The face and size of a table cell.
fn cell_style(col: &Column, header: bool) -> (Face, f32) {
    match (header, col.mono) {
        (true, _) => (Face::Bold, TABLE_SIZE),
        (false, true) => (Face::Mono, MONO_SIZE),
        (false, false) => (Face::Roman, TABLE_SIZE),
    }
}

/// A row's cells wrapped to their columns' widths.
fn wrap_row(table: &Table, cells: &[Vec<String>], header: bool) -> Vec<Vec<String>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let (face, size) = cell_style(col, header);
            let width = col.share * CONTENT_W - 2.0 * CELL_PAD;
            cells
                .get(i)
                .map(|lines| lines.iter().flat_map(|l| wrap(&printable(l), face, size, width)).collect())
                .unwrap_or_default()
        })
        .collect()
}

/// The header row, wrapped.
fn header_row(table: &Table) -> Vec<Vec<String>> {
    let titles: Vec<Vec<String>> = table.columns.iter().map(|c| vec![c.title.clone()]).collect();
    wrap_row(table, &titles, true)
}

/// Height of a wrapped row.
fn row_height(cells: &[Vec<String>]) -> f32 {
    cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * TABLE_SIZE * LEADING + 2.0 * CELL_PAD
}

/// Height of a table's header row and first row: what must fit below a heading so that the
/// heading does not end a page alone.
fn table_start_height(table: &Table) -> f32 {
    let first = table.rows.first().map_or(0.0, |r| row_height(&wrap_row(table, r, false)));
    row_height(&header_row(table)) + first
}

/// Pages under construction.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout { pages: vec![Vec::new()], y: TOP }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` fits below the cursor.
    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM && self.y < TOP {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, baseline: f32, text: &str, face: Face, size: f32, word_spacing: f32) {
        let ops = self.ops();
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont { font: PdfFontHandle::Builtin(face.builtin()), size: Pt(size) });
        if word_spacing != 0.0 {
            ops.push(Op::SetWordSpacing { pt: Pt(word_spacing) });
        }
        ops.push(Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(baseline) } });
        ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_owned())] });
        if word_spacing != 0.0 {
            ops.push(Op::SetWordSpacing { pt: Pt(0.0) });
        }
        ops.push(Op::EndTextSection);
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        let ops = self.ops();
        ops.push(Op::SetOutlineThickness { pt: Pt(width) });
        ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint { p: Point { x: Pt(x1), y: Pt(y1) }, bezier: false },
                    LinePoint { p: Point { x: Pt(x2), y: Pt(y2) }, bezier: false },
                ],
                is_closed: false,
            },
        });
    }

    fn shade(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let ops = self.ops();
        ops.push(Op::SaveGraphicsState);
        ops.push(Op::SetFillColor { col: Color::Greyscale(Greyscale { percent: 0.9, icc_profile: None }) });
        ops.push(Op::DrawRectangle {
            rectangle: Rect { mode: Some(PaintMode::Fill), ..Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h)) },
        });
        ops.push(Op::RestoreGraphicsState);
    }

    /// Lines of one paragraph, justified except the last, breaking across pages.
    fn paragraph(&mut self, text: &str, face: Face, size: f32, x: f32, width: f32, justify: bool) {
        let lines = wrap(&printable(text), face, size, width);
        let step = size * LEADING;
        let count = lines.len();
        for (i, line) in lines.iter().enumerate() {
            // Keep at least two lines together at a page end (no widow or orphan line).
            let keep = if (i == 0 && count > 1) || count - i == 2 { 2.0 } else { 1.0 };
            self.ensure(step * keep);
            self.y -= step;
            let spaces = line.matches(' ').count();
            let last = i + 1 == count;
            let spacing = if justify && !last && spaces > 0 {
                ((width - text_width(line, face, size)) / spaces as f32).clamp(0.0, size)
            } else {
                0.0
            };
            self.text(x, self.y + size * 0.25, line, face, size, spacing);
        }
    }

    fn table(&mut self, table: &Table) {
        let step = TABLE_SIZE * LEADING;
        let widths: Vec<f32> = table.columns.iter().map(|c| c.share * CONTENT_W).collect();
        let header_cells = header_row(table);
        let draw_row = |layout: &mut Layout, cells: &[Vec<String>], head: bool| {
            let h = row_height(cells);
            let top = layout.y;
            if head {
                layout.shade(MARGIN, top - h, CONTENT_W, h);
            }
            let mut x = MARGIN;
            for (i, lines) in cells.iter().enumerate() {
                let (face, cell_size) = cell_style(&table.columns[i], head);
                for (n, line) in lines.iter().enumerate() {
                    let baseline = top - CELL_PAD - (n as f32 + 1.0) * step + TABLE_SIZE * 0.25;
                    layout.text(x + CELL_PAD, baseline, line, face, cell_size, 0.0);
                }
                x += widths[i];
            }
            layout.rule(MARGIN, top - h, MARGIN + CONTENT_W, top - h, 0.4);
            let mut x = MARGIN;
            for w in widths.iter().take(widths.len().saturating_sub(1)) {
                x += w;
                layout.rule(x, top, x, top - h, 0.4);
            }
            layout.rule(MARGIN, top, MARGIN, top - h, 0.4);
            layout.rule(MARGIN + CONTENT_W, top, MARGIN + CONTENT_W, top - h, 0.4);
            layout.y = top - h;
        };
        let start_table = |layout: &mut Layout| {
            layout.rule(MARGIN, layout.y, MARGIN + CONTENT_W, layout.y, 0.6);
            draw_row(layout, &header_cells, true);
        };
        self.ensure(table_start_height(table));
        start_table(self);
        for row in &table.rows {
            let cells = wrap_row(table, row, false);
            let h = row_height(&cells);
            if self.y - h < BOTTOM {
                self.new_page();
                start_table(self);
            }
            draw_row(self, &cells, false);
        }
        self.y -= 8.0;
    }

    fn block(&mut self, block: &Block, next: Option<&Block>) {
        match block {
            Block::Title(text) => {
                let size = 15.0;
                for line in wrap(&printable(text), Face::Bold, size, CONTENT_W) {
                    self.ensure(size * LEADING);
                    self.y -= size * LEADING;
                    let w = text_width(&line, Face::Bold, size);
                    self.text(MARGIN + (CONTENT_W - w) / 2.0, self.y, &line, Face::Bold, size, 0.0);
                }
                self.y -= 10.0;
            }
            Block::Heading(level, text) => {
                let size = if *level <= 1 { 12.5 } else { 11.0 };
                let face = if *level <= 1 { Face::Bold } else { Face::Italic };
                let lines = wrap(&printable(text), face, size, CONTENT_W);
                // A heading never ends a page: keep room for it and the start of what follows.
                let follow = match next {
                    Some(Block::Table(table)) => table_start_height(table) + 12.0,
                    Some(_) => 3.0 * BODY * LEADING,
                    None => 0.0,
                };
                self.y -= 6.0;
                self.ensure(lines.len() as f32 * size * LEADING + follow + 4.0);
                for line in lines {
                    self.y -= size * LEADING;
                    self.text(MARGIN, self.y, &line, face, size, 0.0);
                }
                self.y -= 4.0;
            }
            Block::Paragraph(text) => {
                self.paragraph(text, Face::Roman, BODY, MARGIN, CONTENT_W, true);
                self.y -= 6.0;
            }
            Block::Plain(text) => {
                self.paragraph(text, Face::Roman, BODY, MARGIN, CONTENT_W, false);
                self.y -= 6.0;
            }
            Block::Bullets(items) => {
                for item in items {
                    self.ensure(BODY * LEADING);
                    let top = self.y;
                    self.text(MARGIN + 6.0, top - BODY * LEADING + BODY * 0.25, "•", Face::Roman, BODY, 0.0);
                    self.paragraph(item, Face::Roman, BODY, MARGIN + 18.0, CONTENT_W - 18.0, true);
                    self.y -= 2.0;
                }
                self.y -= 4.0;
            }
            Block::Facts(pairs) => {
                let label_w = CONTENT_W * 0.3;
                for (label, value) in pairs {
                    let values = wrap(&printable(value), Face::Roman, BODY, CONTENT_W - label_w);
                    let labels = wrap(&printable(label), Face::Bold, BODY, label_w - 8.0);
                    let n = values.len().max(labels.len());
                    self.ensure(n.min(3) as f32 * BODY * LEADING);
                    for i in 0..n {
                        self.ensure(BODY * LEADING);
                        self.y -= BODY * LEADING;
                        let baseline = self.y + BODY * 0.25;
                        if let Some(l) = labels.get(i) {
                            self.text(MARGIN, baseline, l, Face::Bold, BODY, 0.0);
                        }
                        if let Some(v) = values.get(i) {
                            self.text(MARGIN + label_w, baseline, v, Face::Roman, BODY, 0.0);
                        }
                    }
                }
                self.y -= 6.0;
            }
            Block::Table(table) => self.table(table),
            Block::Signature(lines) => {
                self.ensure(40.0 + lines.len() as f32 * BODY * LEADING);
                self.y -= 30.0;
                self.rule(MARGIN, self.y, MARGIN + 260.0, self.y, 0.6);
                for line in lines {
                    self.y -= BODY * LEADING;
                    self.text(MARGIN, self.y + BODY * 0.25, &printable(line), Face::Roman, BODY, 0.0);
                }
                self.y -= 6.0;
            }
            Block::PageBreak => self.new_page(),
        }
    }
}

/// Renders the document. The same document always gives the same bytes.
pub fn render(doc: &Document) -> Vec<u8> {
    let mut layout = Layout::new();
    for (i, block) in doc.blocks.iter().enumerate() {
        layout.block(block, doc.blocks.get(i + 1));
    }
    let total = layout.pages.len();
    let header = printable(&doc.header);
    let footer = printable(&doc.footer);
    let mut pages = Vec::with_capacity(total);
    for (n, mut ops) in std::mem::take(&mut layout.pages).into_iter().enumerate() {
        let mut chrome = Layout { pages: vec![Vec::new()], y: TOP };
        let hw = text_width(&header, Face::Bold, 8.0);
        chrome.text((PAGE_W - hw) / 2.0, PAGE_H - 40.0, &header, Face::Bold, 8.0, 0.0);
        chrome.rule(MARGIN, PAGE_H - 46.0, PAGE_W - MARGIN, PAGE_H - 46.0, 0.5);
        let number = format!("Page {} of {}", n + 1, total);
        let nw = text_width(&number, Face::Roman, 9.0);
        chrome.text(PAGE_W - MARGIN - nw, 40.0, &number, Face::Roman, 9.0, 0.0);
        chrome.text(MARGIN, 40.0, &footer, Face::Roman, 7.5, 0.0);
        let mut all = std::mem::take(&mut chrome.pages[0]);
        all.append(&mut ops);
        pages.push(PdfPage::new(Mm::from(Pt(PAGE_W)), Mm::from(Pt(PAGE_H)), all));
    }
    let mut pdf = PdfDocument::new(&doc.title);
    pdf.metadata.info.author = doc.author.clone();
    pdf.metadata.info.subject = doc.subject.clone();
    pdf.metadata.info.keywords = doc.keywords.clone();
    pdf.metadata.info.creator = "Custos".into();
    pdf.metadata.info.producer = "Custos (printpdf)".into();
    if let Ok(date) = printpdf::date::OffsetDateTime::from_unix_timestamp(doc.date.unix_timestamp()) {
        pdf.metadata.info.creation_date = date;
        pdf.metadata.info.modification_date = date;
        pdf.metadata.info.metadata_date = date;
    }
    let id = hex::encode(Sha256::digest(format!("{doc:?}").as_bytes()));
    pdf.metadata.info.identifier = id[..32].to_owned();
    let mut warnings = Vec::new();
    let bytes = pdf.with_pages(pages).save(&PdfSaveOptions::default(), &mut warnings);
    fix_trailer_id(bytes, &id[..32])
}

/// printpdf writes a random file identifier into the trailer; replace it, byte for byte, with
/// one derived from the document, so that renders are reproducible.
fn fix_trailer_id(mut bytes: Vec<u8>, id: &str) -> Vec<u8> {
    let Some(trailer) = find_last(&bytes, b"trailer") else { return bytes };
    let Some(at) = find_from(&bytes, b"/ID", trailer) else { return bytes };
    let mut i = at + 3;
    let mut replaced = 0;
    while i < bytes.len() && replaced < 2 {
        if bytes[i] == b'(' {
            let start = i + 1;
            let Some(len) = bytes[start..].iter().position(|b| *b == b')') else { break };
            if len == id.len() {
                bytes[start..start + len].copy_from_slice(id.as_bytes());
            }
            replaced += 1;
            i = start + len + 1;
        } else if bytes[i] == b']' {
            break;
        } else {
            i += 1;
        }
    }
    bytes
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn find_from(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rows: usize) -> Document {
        let hash = "ab".repeat(32);
        Document {
            title: "Test memo".into(),
            author: "AUSA Test".into(),
            subject: "Charging memo".into(),
            keywords: vec!["test".into()],
            header: "PRIVILEGED AND CONFIDENTIAL - ATTORNEY WORK PRODUCT - DRAFT".into(),
            footer: "Incident 2026-0001, version 1".into(),
            date: time::macros::datetime!(2026-11-27 12:00 UTC),
            blocks: vec![
                Block::Title("Prosecution memorandum".into()),
                Block::Heading(1, "1. Facts".into()),
                Block::Paragraph("The defendant used a cloned voice of the CFO § 1343 — ".repeat(30)),
                Block::Table(Table {
                    columns: vec![
                        Column { title: "Exhibit".into(), share: 0.2, mono: false },
                        Column { title: "SHA-256".into(), share: 0.55, mono: true },
                        Column { title: "Custody".into(), share: 0.25, mono: false },
                    ],
                    rows: (1..=rows)
                        .map(|i| vec![vec![format!("2026-0001-E{i:03}")], vec![hash.clone()], vec!["intact".into()]])
                        .collect(),
                }),
            ],
        }
    }

    #[test]
    fn rendering_is_reproducible() {
        let doc = sample(80);
        let a = render(&doc);
        let b = render(&doc);
        assert!(a.starts_with(b"%PDF-"));
        assert!(a == b, "two renders differ");
        let mut other = doc.clone();
        other.footer.push('!');
        assert!(render(&other) != a);
    }

    #[test]
    fn wrapping_respects_the_width_and_keeps_long_words() {
        let lines = wrap("alpha beta gamma delta epsilon", Face::Roman, 11.0, 60.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| text_width(l, Face::Roman, 11.0) <= 60.0 || !l.contains(' ')));
        let hash = "f".repeat(64);
        let column = 0.55 * CONTENT_W - 2.0 * CELL_PAD;
        assert_eq!(wrap(&hash, Face::Mono, MONO_SIZE, column), vec![hash.clone()], "a digest fits its column whole");
    }

    #[test]
    fn long_tables_continue_on_new_pages() {
        let mut layout = Layout::new();
        let doc = sample(120);
        for (i, b) in doc.blocks.iter().enumerate() {
            layout.block(b, doc.blocks.get(i + 1));
        }
        assert!(layout.pages.len() >= 3);
        // The header row is drawn again on every page the table reaches.
        let headers = layout
            .pages
            .iter()
            .filter(|ops| {
                ops.iter()
                    .any(|op| matches!(op, Op::ShowText { items } if items == &vec![TextItem::Text("SHA-256".into())]))
            })
            .count();
        assert!(headers >= layout.pages.len() - 1, "{headers} header rows on {} pages", layout.pages.len());
    }

    #[test]
    fn characters_outside_winansi_are_replaced() {
        assert_eq!(printable("a → b ≥ c ✓ 世"), "a -> b >= c [x] ?");
        assert_eq!(printable("§ 1030 — “quoted”"), "§ 1030 — “quoted”");
    }
}
