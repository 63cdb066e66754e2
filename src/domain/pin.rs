//! Pin cites: the place inside an exhibit that a mapping points at, parsed from what a person
//! types, checked against the file where the file can say (a line or row that does not
//! exist, an offset past the end, a page past the last), and written as a court filing
//! writes it ("pp. 4–6", "ll. 12–18", "Bates ABC000123–ABC000130").

use std::io::{Read, Seek, SeekFrom};

/// A pin cite, parsed. Ranges are inclusive; a single place has `from == to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    Pages(u64, u64),
    Lines(u64, u64),
    /// Spreadsheet rows as the sheet numbers them (the header is row 1), and a column by
    /// letter ("C") or header name.
    Rows {
        from: u64,
        to: u64,
        column: Option<String>,
    },
    Bates {
        prefix: String,
        from: u64,
        to: u64,
        width: usize,
    },
    Bytes(u64, u64),
    /// Media time in milliseconds.
    Time(u64, u64),
    /// An image region in pixels: left, top, width, height.
    Region {
        x: u64,
        y: u64,
        w: u64,
        h: u64,
    },
    /// A span of an OpenTelemetry trace, by its 16-hex-digit span id.
    Span(String),
}

fn range(text: &str, one: impl Fn(&str) -> Option<u64>) -> Option<(u64, u64)> {
    let (a, b) = match text.split_once(['-', '\u{2013}']) {
        Some((a, b)) => (one(a.trim())?, one(b.trim())?),
        None => {
            let a = one(text.trim())?;
            (a, a)
        }
    };
    (a <= b).then_some((a, b))
}

fn positive(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().filter(|n| *n > 0)
}

fn offset(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => text.parse().ok(),
    }
}

/// "01:23", "00:01:23", "1:02:03.5" in milliseconds.
fn time(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut ms: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        let (whole, frac) = if last { p.split_once('.').unwrap_or((p, "")) } else { (*p, "") };
        if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || (i > 0 && whole.len() != 2) {
            return None;
        }
        let n: u64 = whole.parse().ok()?;
        if i > 0 && n >= 60 {
            return None;
        }
        ms = ms.checked_mul(60)?.checked_add(n.checked_mul(1000)?)?;
        if last && !frac.is_empty() {
            if frac.len() > 3 || !frac.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            ms += frac.parse::<u64>().ok()? * 10_u64.pow(3 - u32::try_from(frac.len()).ok()?);
        }
    }
    Some(ms)
}

fn clock(ms: u64) -> String {
    let (h, m, s, rest) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if rest == 0 { format!("{h:02}:{m:02}:{s:02}") } else { format!("{h:02}:{m:02}:{s:02}.{rest:03}") }
}

fn bates_number(text: &str) -> Option<(String, u64, usize)> {
    let digits_at = text.find(|c: char| c.is_ascii_digit())?;
    let (prefix, digits) = text.split_at(digits_at);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 12 {
        return None;
    }
    let prefix = prefix.trim_end_matches([' ', '_', '-']);
    if !prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ' ') {
        return None;
    }
    Some((prefix.to_owned(), digits.parse().ok()?, digits.len()))
}

impl Pin {
    /// Parses the cite for `kind`; the error says what form is expected.
    pub fn parse(kind: super::charge::PinKind, cite: &str) -> Result<Pin, String> {
        use super::charge::PinKind as K;
        let cite = cite.trim();
        let parsed = match kind {
            K::Page => range(cite, positive).map(|(a, b)| Pin::Pages(a, b)),
            K::Line => range(cite, positive).map(|(a, b)| Pin::Lines(a, b)),
            K::Row => {
                let (rows, column) = match cite.split_once([':', ',']) {
                    Some((r, c)) => {
                        let c = c.trim().trim_start_matches("col.").trim_start_matches("column").trim();
                        (r, (!c.is_empty()).then(|| c.to_owned()))
                    }
                    None => (cite, None),
                };
                range(rows, positive).map(|(from, to)| Pin::Rows { from, to, column })
            }
            K::Bates => {
                // "ABC000123-ABC000130" or "DOJ-0042": the first number ends where its digits do.
                let digits_at = cite.find(|c: char| c.is_ascii_digit()).unwrap_or(cite.len());
                let end = digits_at + cite[digits_at..].chars().take_while(char::is_ascii_digit).count();
                let rest = cite[end..].trim_start();
                let (a, b) = match rest.strip_prefix(['-', '\u{2013}']) {
                    Some(second) => (&cite[..end], second),
                    None if rest.is_empty() => (cite, cite),
                    None => ("", ""),
                };
                match (bates_number(a.trim()), bates_number(b.trim())) {
                    (Some((p1, n1, w1)), Some((p2, n2, _))) if p1 == p2 && n1 <= n2 => {
                        Some(Pin::Bates { prefix: p1, from: n1, to: n2, width: w1 })
                    }
                    _ => None,
                }
            }
            K::Offset => range(cite, offset).map(|(a, b)| Pin::Bytes(a, b)),
            K::Timestamp => range(cite, time).map(|(a, b)| Pin::Time(a, b)),
            K::Span => {
                let id = cite.strip_prefix("span").unwrap_or(cite).trim();
                (id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()))
                    .then(|| Pin::Span(id.to_ascii_lowercase()))
            }
            K::Region => {
                let n: Vec<Option<u64>> = cite.split(',').map(|p| p.trim().parse().ok()).collect();
                match n.as_slice() {
                    [Some(x), Some(y), Some(w), Some(h)] if *w > 0 && *h > 0 => {
                        Some(Pin::Region { x: *x, y: *y, w: *w, h: *h })
                    }
                    _ => None,
                }
            }
        };
        parsed.ok_or_else(|| {
            match kind {
                K::Page => "a page is a number such as 4, or a range such as 4-6",
                K::Line => "a line is a number such as 12, or a range such as 12-18",
                K::Row => "a row is a number such as 17 or a range such as 17-20, optionally with a column: 17:C or 17, Amount",
                K::Bates => "a Bates cite is a number such as ABC000123, or a range with one prefix such as ABC000123-ABC000130",
                K::Offset => "a byte offset is a number such as 8192 or 0x2000, or a range such as 0x2000-0x20ff",
                K::Timestamp => "a media time is hh:mm:ss or mm:ss, such as 00:01:23, or a range such as 00:01:23-00:02:10",
                K::Region => "an image region is x, y, width, height in pixels, such as 120, 80, 300, 200",
                K::Span => "a trace span is its span id, 16 hexadecimal digits such as 5b8aa5a2d2c872e8",
            }
            .to_owned()
        })
    }

    /// The cite as a court filing writes it.
    pub fn court_form(&self) -> String {
        let span = |word: &str, words: &str, a: u64, b: u64| {
            if a == b { format!("{word} {a}") } else { format!("{words} {a}\u{2013}{b}") }
        };
        match self {
            Pin::Pages(a, b) => span("p.", "pp.", *a, *b),
            Pin::Lines(a, b) => span("l.", "ll.", *a, *b),
            Pin::Rows { from, to, column } => {
                let rows = span("row", "rows", *from, *to);
                match column {
                    Some(c) => format!("{rows}, col. {c}"),
                    None => rows,
                }
            }
            Pin::Bates { prefix, from, to, width } => {
                let n = |v: u64| format!("{prefix}{v:0width$}");
                if from == to { format!("Bates {}", n(*from)) } else { format!("Bates {}\u{2013}{}", n(*from), n(*to)) }
            }
            Pin::Bytes(a, b) if a == b => format!("byte offset {a:#x}"),
            Pin::Bytes(a, b) => format!("bytes {a:#x}\u{2013}{b:#x}"),
            Pin::Time(a, b) if a == b => format!("at {}", clock(*a)),
            Pin::Time(a, b) => format!("at {}\u{2013}{}", clock(*a), clock(*b)),
            Pin::Region { x, y, w, h } => format!("region {w}\u{d7}{h} px at ({x}, {y})"),
            Pin::Span(id) => format!("span {id}"),
        }
    }

    /// Checks the cite against what is known of the file; what the file cannot tell (a
    /// media time, a Bates number) passes unchecked.
    pub fn check(&self, file: &FileFacts) -> Result<(), String> {
        let past = |what: &str, n: u64, last: u64| Err(format!("{what} {n} is past the end: the file has {last}"));
        match self {
            Pin::Bytes(_, b) if *b >= file.size => {
                Err(format!("byte offset {b:#x} is past the end: the file is {} bytes", file.size))
            }
            Pin::Lines(_, b) => match file.lines {
                Some(lines) if *b > lines => past("line", *b, lines),
                _ => Ok(()),
            },
            Pin::Rows { to, column, .. } => match &file.sheet {
                Some(sheet) if *to > sheet.rows => past("row", *to, sheet.rows),
                Some(sheet) => match column {
                    Some(c) if !sheet.has_column(c) => Err(format!(
                        "the sheet has no column \u{201c}{c}\u{201d}: it has {} columns ({})",
                        sheet.header.len(),
                        sheet.header.join(", ")
                    )),
                    _ => Ok(()),
                },
                None => Ok(()),
            },
            Pin::Pages(_, b) => match file.pages {
                Some(pages) if *b > pages => past("page", *b, pages),
                _ => Ok(()),
            },
            Pin::Region { x, y, w, h } => match file.image {
                Some((iw, ih)) if x + w > iw || y + h > ih => {
                    Err(format!("the region reaches past the image, which is {iw}\u{d7}{ih} px"))
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// A sheet's shape: rows counted as the sheet numbers them, and its header row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetFacts {
    pub rows: u64,
    pub header: Vec<String>,
}

impl SheetFacts {
    fn has_column(&self, column: &str) -> bool {
        column_index(&self.header, column).is_some()
    }
}

/// The index of a column named by spreadsheet letter ("C") or by its header.
pub fn column_index(header: &[String], column: &str) -> Option<usize> {
    let letters = column.len() <= 3 && column.chars().all(|c| c.is_ascii_alphabetic());
    if letters {
        let n = column.to_ascii_uppercase().bytes().fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1));
        if (1..=header.len()).contains(&n) {
            return Some(n - 1);
        }
    }
    header.iter().position(|h| h.trim().eq_ignore_ascii_case(column.trim()))
}

/// What a file can tell about the places in it; `None` where it cannot say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFacts {
    pub size: u64,
    pub lines: Option<u64>,
    pub sheet: Option<SheetFacts>,
    pub pages: Option<u64>,
    pub image: Option<(u64, u64)>,
}

/// Files read to count lines, rows or pages; past this size only the byte size is checked.
pub const FACTS_READ_MAX: u64 = 256 << 20;

/// Reads what a file of `media_type` can tell about its places, streaming (a PDF, whose
/// page objects may lie anywhere, is the one read whole), and only for files within
/// `FACTS_READ_MAX`.
pub fn file_facts(mut file: impl Read + Seek, size: u64, media_type: Option<&str>) -> std::io::Result<FileFacts> {
    let mut facts = FileFacts { size, ..FileFacts::default() };
    if size > FACTS_READ_MAX {
        return Ok(facts);
    }
    let base = media_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if base.starts_with("text/") || base == "message/rfc822" || base == "application/json" {
        let (mut newlines, mut last) = (0u64, None);
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            newlines += chunk[..n].iter().filter(|b| **b == b'\n').count() as u64;
            last = chunk.get(n - 1).copied();
        }
        facts.lines = Some(newlines + u64::from(last.is_some_and(|b| b != b'\n')));
    }
    if base == "text/csv" {
        file.seek(SeekFrom::Start(0))?;
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&mut file);
        let mut records = reader.records();
        let header: Vec<String> = match records.next() {
            Some(Ok(r)) => r.iter().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let rows = 1 + records.filter(Result::is_ok).count() as u64;
        facts.sheet = Some(SheetFacts { rows: if header.is_empty() { 0 } else { rows }, header });
    }
    if base == "application/pdf" {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        facts.pages = pdf_pages(&bytes);
    }
    if base == "image/png" {
        let mut head = [0u8; 24];
        if file.read_exact(&mut head).is_ok() && head.starts_with(b"\x89PNG\r\n\x1a\n") && &head[12..16] == b"IHDR" {
            let be = |s: &[u8]| u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
            facts.image = Some((be(&head[16..20]), be(&head[20..24])));
        }
    }
    Ok(facts)
}

/// Page objects of a PDF whose page tree is in plain text; `None` when they are hidden in
/// compressed object streams, so a page cite is then left unchecked rather than guessed.
fn pdf_pages(bytes: &[u8]) -> Option<u64> {
    let needle = b"/Type";
    let mut pages = 0u64;
    let mut i = 0;
    while let Some(at) = bytes[i..].windows(needle.len()).position(|w| w == needle) {
        let rest = &bytes[i + at + needle.len()..];
        let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        if rest.starts_with(b"/Page") && !rest.starts_with(b"/Pages") {
            pages += 1;
        }
        i += at + needle.len();
    }
    (pages > 0 && !bytes.windows(7).any(|w| w == b"/ObjStm")).then_some(pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::charge::PinKind as K;
    use std::io::Cursor;

    #[test]
    fn cites_parse_and_read_as_a_filing_writes_them() {
        let form = |k, c: &str| Pin::parse(k, c).map(|p| p.court_form());
        assert_eq!(form(K::Page, "4").unwrap(), "p. 4");
        assert_eq!(form(K::Page, "4-6").unwrap(), "pp. 4\u{2013}6");
        assert_eq!(form(K::Line, "12-18").unwrap(), "ll. 12\u{2013}18");
        assert_eq!(form(K::Row, "17:C").unwrap(), "row 17, col. C");
        assert_eq!(form(K::Row, "17-20, Amount").unwrap(), "rows 17\u{2013}20, col. Amount");
        assert_eq!(form(K::Bates, "ABC000123-ABC000130").unwrap(), "Bates ABC000123\u{2013}ABC000130");
        assert_eq!(form(K::Bates, "DOJ-0042").unwrap(), "Bates DOJ0042");
        assert_eq!(form(K::Offset, "0x1f00-0x2000").unwrap(), "bytes 0x1f00\u{2013}0x2000");
        assert_eq!(form(K::Offset, "8192").unwrap(), "byte offset 0x2000");
        assert_eq!(form(K::Timestamp, "01:23-1:02:10.5").unwrap(), "at 00:01:23\u{2013}01:02:10.500");
        assert_eq!(form(K::Region, "120, 80, 300, 200").unwrap(), "region 300\u{d7}200 px at (120, 80)");
        for (k, bad) in [
            (K::Page, "0"),
            (K::Line, "18-12"),
            (K::Bates, "ABC000130-XYZ000131"),
            (K::Timestamp, "00:61"),
            (K::Region, "1,2,0,4"),
            (K::Row, "C"),
        ] {
            assert!(Pin::parse(k, bad).is_err(), "{bad} parsed as {k:?}");
        }
    }

    #[test]
    fn cites_are_checked_against_the_file() {
        let text = file_facts(Cursor::new(&b"a\nb\nc"[..]), 5, Some("text/plain")).unwrap();
        assert_eq!(text.lines, Some(3));
        assert!(Pin::parse(K::Line, "3").unwrap().check(&text).is_ok());
        assert!(Pin::parse(K::Line, "2-4").unwrap().check(&text).unwrap_err().contains("line 4 is past the end"));
        assert!(Pin::parse(K::Offset, "5").unwrap().check(&text).unwrap_err().contains("past the end"));
        let sheet = file_facts(Cursor::new(&b"name,amount\nA,1\nB,2\n"[..]), 19, Some("text/csv")).unwrap();
        assert_eq!(sheet.sheet.as_ref().map(|s| s.rows), Some(3));
        assert!(Pin::parse(K::Row, "3:B").unwrap().check(&sheet).is_ok());
        assert!(Pin::parse(K::Row, "3, amount").unwrap().check(&sheet).is_ok());
        assert!(Pin::parse(K::Row, "4").unwrap().check(&sheet).is_err());
        assert!(Pin::parse(K::Row, "2:D").unwrap().check(&sheet).unwrap_err().contains("no column"));
        let pdf = b"%PDF-1.4 1 0 obj << /Type /Pages /Count 2 >> 2 0 obj << /Type /Page >> 3 0 obj <</Type/Page>>";
        let facts = file_facts(Cursor::new(&pdf[..]), pdf.len() as u64, Some("application/pdf")).unwrap();
        assert_eq!(facts.pages, Some(2));
        assert!(Pin::parse(K::Page, "3").unwrap().check(&facts).unwrap_err().contains("page 3 is past the end"));
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&[0, 0, 1, 0, 0, 0, 0, 200]);
        let image = file_facts(Cursor::new(png.as_slice()), png.len() as u64, Some("image/png")).unwrap();
        assert_eq!(image.image, Some((256, 200)));
        assert!(Pin::parse(K::Region, "200, 0, 100, 10").unwrap().check(&image).is_err());
        assert!(Pin::parse(K::Timestamp, "99:00:00").unwrap().check(&image).is_ok(), "unknowable: unchecked");
    }
}
