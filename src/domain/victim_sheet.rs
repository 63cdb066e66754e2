//! Victims imported from a spreadsheet (CSV): every row is checked before anything is saved,
//! and every row that would be refused is named with its line and why.
//!
//! The sheet's first row names its columns. Recognised (case and spacing do not matter):
//! `name` (or `initials`, `victim`), `kind` (or `type`), `loss` (or `estimated_loss`,
//! `loss_usd`), `gain` (or `gain_usd`), `class_size` (or `count`, `class`), `notes`. `name`
//! and `kind` are required; a column Custos does not know is refused rather than dropped
//! silently.

use std::collections::HashMap;

use super::ValidationErrors;
use super::incident::{RawVictim, VICTIMS_MAX, Victim, VictimKind, parse_victim};

/// A sheet larger than this is refused before its rows are read: more rows than an incident
/// holds, with room for the header and blank lines.
pub const SHEET_MAX_BYTES: usize = 4 << 20;

/// One row of the sheet as typed, with the line it starts on (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    pub line: u64,
    pub raw: RawVictim,
    /// The row holds a value past the last named column (never dropped silently).
    pub stray_values: bool,
}

/// A row the import would refuse, and every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRow {
    pub line: u64,
    /// The name as typed, to find the row in the sheet.
    pub name: String,
    pub reasons: Vec<String>,
}

/// What importing a sheet would do: the victims it would add, in order, and the rows it
/// would refuse. The import saves only a sheet with no refused rows.
#[derive(Debug, Clone)]
pub struct SheetCheck {
    pub accepted: Vec<(u64, Victim)>,
    pub refused: Vec<RefusedRow>,
    pub blank_rows: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Column {
    Name,
    Kind,
    Loss,
    Gain,
    ClassSize,
    Notes,
}

fn column(header: &str) -> Option<Column> {
    let key: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let key = key.split('_').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_");
    Some(match key.as_str() {
        "name" | "initials" | "victim" | "victim_name" | "name_or_initials" => Column::Name,
        "kind" | "type" | "victim_kind" => Column::Kind,
        "loss" | "estimated_loss" | "loss_usd" | "estimated_loss_usd" => Column::Loss,
        "gain" | "gain_usd" | "defendants_gain" => Column::Gain,
        "class_size" | "count" | "class" | "size" => Column::ClassSize,
        "notes" | "note" => Column::Notes,
        _ => return None,
    })
}

/// Reads the sheet's rows. A sheet that cannot be read as a whole (no header, an unknown or
/// repeated column, a missing required one, text that is not UTF-8) is refused with why.
pub fn read(bytes: &[u8]) -> Result<Vec<SheetRow>, String> {
    if bytes.len() > SHEET_MAX_BYTES {
        return Err(format!("the sheet is larger than {} MiB", SHEET_MAX_BYTES >> 20));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("the sheet is not UTF-8 text (at byte {}): save it as CSV UTF-8", e.valid_up_to()))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("the header row cannot be read: {e}"))?.clone();
    let mut columns: Vec<Option<Column>> = Vec::new();
    let mut seen: HashMap<Column, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.trim().is_empty() {
            columns.push(None);
            continue;
        }
        let c = column(h).ok_or_else(|| {
            format!("column {} is headed \u{201c}{h}\u{201d}, which Custos does not know: use name, kind, loss, gain, class_size, notes", i + 1)
        })?;
        if let Some(first) = seen.insert(c, i) {
            return Err(format!("columns {} and {} both hold the {c:?} column", first + 1, i + 1).to_lowercase());
        }
        columns.push(Some(c));
    }
    for required in [Column::Name, Column::Kind] {
        if !seen.contains_key(&required) {
            return Err(format!(
                "the header row has no {} column: the first row must name the columns (name, kind, loss, gain, class_size, notes)",
                if required == Column::Name { "name" } else { "kind" }
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(p) => format!("line {} cannot be read: {e}", p.line()),
            None => format!("the sheet cannot be read: {e}"),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let mut raw = RawVictim::default();
        let mut extra = false;
        for (i, value) in record.iter().enumerate() {
            match columns.get(i).copied() {
                Some(Some(Column::Name)) => raw.name = value.to_owned(),
                Some(Some(Column::Kind)) => raw.kind = value.to_owned(),
                Some(Some(Column::Loss)) => raw.estimated_loss = value.to_owned(),
                Some(Some(Column::Gain)) => raw.gain = value.to_owned(),
                Some(Some(Column::ClassSize)) => raw.class_size = value.to_owned(),
                Some(Some(Column::Notes)) => raw.notes = value.to_owned(),
                Some(None) => {}
                None => extra |= !value.trim().is_empty(),
            }
        }
        rows.push(SheetRow { line, raw, stray_values: extra });
    }
    Ok(rows)
}

/// A kind as a spreadsheet may write it: the code ("financial_institution") or the label
/// ("Financial institution"), in any case.
fn normalise_kind(kind: &str) -> String {
    let key = kind.trim().to_lowercase().replace([' ', '-'], "_");
    VictimKind::ALL
        .iter()
        .find(|k| k.as_str() == key || k.label().to_lowercase().replace([' ', '-'], "_") == key)
        .map_or_else(|| kind.trim().to_owned(), |k| k.as_str().to_owned())
}

/// Checks every row against the same rules as the incident form, and against the victims
/// already recorded (`existing`): a row naming a victim already on the incident, or named
/// twice in the sheet, is refused, since importing it would count the victim and its loss
/// twice.
pub fn check(rows: &[SheetRow], existing: &[Victim]) -> SheetCheck {
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut blank_rows = 0;
    let key = |name: &str, kind: VictimKind| (name.trim().to_lowercase(), kind);
    let mut names: HashMap<(String, VictimKind), Option<u64>> =
        existing.iter().map(|v| (key(&v.name, v.kind), None)).collect();
    for row in rows {
        if row.raw.is_blank() && !row.stray_values {
            blank_rows += 1;
            continue;
        }
        let mut raw = row.raw.clone();
        let mut reasons = Vec::new();
        if row.stray_values {
            reasons.push("holds a value past the last named column".to_owned());
        }
        raw.kind = normalise_kind(&raw.kind);
        let mut errors = ValidationErrors::new();
        let victim = parse_victim(&mut errors, "row", &raw);
        reasons.extend(
            errors.0.iter().map(|e| format!("{} {}", e.field.trim_start_matches("row.").replace('_', " "), e.message)),
        );
        if let Some(v) = &victim {
            match names.get(&key(&v.name, v.kind)) {
                Some(None) => reasons.push(format!("{} is already a victim of this incident", v.name)),
                Some(Some(line)) => reasons.push(format!("{} is also on line {line} of the sheet", v.name)),
                None => {
                    names.insert(key(&v.name, v.kind), Some(row.line));
                }
            }
        }
        match victim {
            Some(v) if reasons.is_empty() => accepted.push((row.line, v)),
            _ => refused.push(RefusedRow { line: row.line, name: row.raw.name.trim().to_owned(), reasons }),
        }
    }
    if existing.len() + accepted.len() > VICTIMS_MAX {
        refused.push(RefusedRow {
            line: 0,
            name: String::new(),
            reasons: vec![format!(
                "the incident would hold {} victim entries, more than {VICTIMS_MAX}: record a large group as a class with its size",
                existing.len() + accepted.len()
            )],
        });
    }
    SheetCheck { accepted, refused, blank_rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_is_read_by_its_headers_and_every_bad_row_is_named() {
        let sheet = "\u{feff}Name,Type,Loss (USD),Gain,Class size,Notes\n\
            Jane Q. Public,Individual,\"12,500.00\",,,\n\
            First Lakeshore Bank,financial institution,more than 10000000,at least 2500000,,wire of 2017-03-04\n\
            Identity-theft victims,individual,at least 400000,,80+,\n\
            ,individual,5,,,\n\
            Acme,spaceship,5,,,\n\
            Jane Q. Public,individual,1,,,\n\
            ,,,,,\n\
            Beta LLC,business,ten dollars,,,\n";
        let rows = read(sheet.as_bytes()).unwrap();
        assert_eq!(rows.len(), 8);
        let check = check(&rows, &[]);
        assert_eq!(check.accepted.len(), 3);
        assert_eq!(check.blank_rows, 1);
        let lines: Vec<u64> = check.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![5, 6, 7, 9]);
        assert!(check.refused[0].reasons[0].starts_with("name "), "{:?}", check.refused[0]);
        assert!(check.refused[1].reasons[0].starts_with("kind "), "{:?}", check.refused[1]);
        assert!(check.refused[2].reasons[0].contains("also on line 2"), "{:?}", check.refused[2]);
        assert!(check.refused[3].reasons[0].contains("not a dollar amount"), "{:?}", check.refused[3]);
        let bank = &check.accepted[1].1;
        assert_eq!(bank.loss.map(|a| a.to_string()).as_deref(), Some("more than $10,000,000"));
        assert_eq!(bank.kind, VictimKind::FinancialInstitution);
        assert_eq!(check.accepted[2].1.headcount_minimum(), 80);
    }

    #[test]
    fn a_sheet_without_the_columns_it_needs_is_refused_whole() {
        assert!(read(b"victim,loss\nAcme,5\n").unwrap_err().contains("no kind column"));
        assert!(read(b"name,kind,colour\nAcme,business,red\n").unwrap_err().contains("colour"));
        assert!(read(b"name,kind,name\n").unwrap_err().contains("both hold"));
        assert!(read(&[b'n', 0xff, b'\n']).unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn a_victim_already_on_the_incident_is_not_imported_twice() {
        let rows = read(b"name,kind\nAcme,business\nacme ,Business\n").unwrap();
        let existing = check(&rows[..1], &[]).accepted[0].1.clone();
        let again = check(&rows, &[existing]);
        assert!(again.accepted.is_empty());
        assert!(again.refused.iter().all(|r| r.reasons[0].contains("already a victim")), "{:?}", again.refused);
    }

    #[test]
    fn a_value_past_the_last_column_is_refused_not_dropped() {
        let rows = read(b"name,kind\nAcme,business,stray\n").unwrap();
        let check = check(&rows, &[]);
        assert_eq!(check.refused.len(), 1);
        assert!(check.refused[0].reasons[0].contains("past the last"));
    }
}
