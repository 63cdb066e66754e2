//! The document model: titles, headings, paragraphs, facts and tables, in order. What a
//! memo or certificate says is laid out once as a `Document`; the PDF renderer and the HTML
//! pages both consume it, so the two can never say different things. A leaf: it imports
//! nothing else of Custos.

/// A document to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub author: String,
    pub subject: String,
    pub keywords: Vec<String>,
    /// Printed at the top of every page.
    pub header: String,
    /// Printed at the bottom left of every page (e.g. the version and its digest).
    pub footer: String,
    /// The document's date, recorded in its metadata (never the time of rendering).
    pub date: time::OffsetDateTime,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's title, centred.
    Title(String),
    /// A heading: level 1 or 2. Kept on the page of what follows it.
    Heading(u8, String),
    /// A justified paragraph.
    Paragraph(String),
    /// A paragraph that is not justified (addresses, short lines).
    Plain(String),
    Bullets(Vec<String>),
    /// Label and value pairs in two columns.
    Facts(Vec<(String, String)>),
    Table(Table),
    /// Blank lines for a signature, with the lines under the rule.
    Signature(Vec<String>),
    PageBreak,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    /// Share of the content width; the shares of a table add up to 1.
    pub share: f32,
    /// Courier, for digests and identifiers, which must never be broken inside.
    pub mono: bool,
}

impl Column {
    pub fn text(title: &str, share: f32) -> Column {
        Column { title: title.into(), share, mono: false }
    }

    pub fn mono(title: &str, share: f32) -> Column {
        Column { title: title.into(), share, mono: true }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// Each cell holds lines; each line wraps within the cell.
    pub rows: Vec<Vec<Vec<String>>>,
}

/// The document as plain lines: what a reader would see, for comparing versions.
pub fn to_text(doc: &Document) -> String {
    let mut out = Vec::new();
    for block in &doc.blocks {
        match block {
            Block::Title(t) => out.push(format!("# {t}")),
            Block::Heading(level, t) => out.push(format!("{} {t}", "#".repeat(usize::from(*level) + 1))),
            Block::Paragraph(t) | Block::Plain(t) => out.extend(t.lines().map(str::to_owned)),
            Block::Bullets(items) => out.extend(items.iter().map(|i| format!("  • {i}"))),
            Block::Facts(pairs) => out.extend(pairs.iter().map(|(l, v)| format!("{l}: {v}"))),
            Block::Table(table) => {
                out.push(table.columns.iter().map(|c| c.title.as_str()).collect::<Vec<_>>().join(" | "));
                for row in &table.rows {
                    out.push(row.iter().map(|cell| cell.join(" / ")).collect::<Vec<_>>().join(" | "));
                }
            }
            Block::Signature(lines) => out.extend(lines.iter().map(|l| format!("____ {l}"))),
            Block::PageBreak => {}
        }
        out.push(String::new());
    }
    out.join("\n")
}
