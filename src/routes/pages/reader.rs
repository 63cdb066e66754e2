//! An exhibit opened at a pin cite: the cited lines, rows or bytes shown in a window around
//! them and marked, in a Custos page whose file content is only ever escaped text; a PDF
//! page, an image or a media time through the sandboxed file view. Each reading is an audit
//! record, as every view is.

use std::io::{BufRead, BufReader, Read};

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::render;
use crate::domain::charge::PinKind;
use crate::domain::pin::{Pin, column_index};
use crate::error::{AppError, PageError};
use crate::routes::auth::{Chrome, SessionUser};
use crate::routes::exhibit_number;
use crate::services::evidence::{self as service, FileAccess};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/exhibits/{exhibit}/at", web::get().to(show));
}

/// Lines or rows shown on each side of the cited ones, and at most in all.
const CONTEXT: u64 = 15;
const WINDOW_MAX: u64 = 400;
/// Bytes shown on each side of a cited byte range, and at most in all.
const BYTES_CONTEXT: u64 = 128;
const BYTES_MAX: u64 = 4096;

/// A cell's text and whether it is marked as cited.
type Cell = (String, bool);

struct Line {
    number: u64,
    cells: Vec<String>,
    cited: bool,
}

enum Body {
    /// Numbered lines (text, e-mail, JSON); for an e-mail the header block is marked.
    Lines { lines: Vec<Line>, header_lines: u64 },
    /// Spreadsheet rows under the header row: (row, cited, cells each with whether it is
    /// marked); the header's cells are marked for a cited column.
    Rows { header: Vec<Cell>, rows: Vec<(u64, bool, Vec<Cell>)> },
    /// A hex dump: (offset, hex, text, cited).
    Bytes(Vec<(String, String, String, bool)>),
    /// Shown through the sandboxed view: a PDF page, an image, audio or video.
    Embedded { src: String, media: &'static str },
    /// Nothing in the file can show the place (a Bates number): the file is linked.
    Linked,
}

#[derive(Template)]
#[template(path = "exhibits/reader.html")]
struct ReaderPage {
    chrome: Chrome,
    number: String,
    pin: String,
    body: Body,
    note: Option<String>,
}

#[derive(Deserialize)]
struct PinQuery {
    kind: String,
    cite: String,
}

fn window(from: u64, to: u64) -> (u64, u64) {
    let start = from.saturating_sub(CONTEXT).max(1);
    let end = to.saturating_add(CONTEXT).min(start + WINDOW_MAX - 1);
    (start, end)
}

fn read_body(
    file: crate::storage::StoredFile,
    media_type: &str,
    pin: &Pin,
    view: &str,
) -> std::io::Result<(Body, Option<String>)> {
    let text_like =
        media_type.starts_with("text/") || media_type == "message/rfc822" || media_type == "application/json";
    Ok(match pin {
        Pin::Lines(from, to) if text_like => {
            let (start, end) = window(*from, *to);
            let mut lines = Vec::new();
            let mut header_lines = 0;
            let mut in_header = media_type == "message/rfc822";
            for (n, line) in (1u64..).zip(BufReader::new(file).split(b'\n')) {
                let line = line?;
                if in_header {
                    if line.iter().all(|b| b.is_ascii_whitespace()) {
                        in_header = false;
                    } else {
                        header_lines = n;
                    }
                }
                if n > end {
                    break;
                }
                if n >= start {
                    let text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_owned();
                    lines.push(Line { number: n, cells: vec![text], cited: (*from..=*to).contains(&n) });
                }
            }
            (Body::Lines { lines, header_lines }, None)
        }
        Pin::Rows { from, to, column } if text_like => {
            let (start, end) = window(*from, *to);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(file);
            let mut header = Vec::new();
            let mut rows = Vec::new();
            for (n, record) in (1u64..).zip(reader.records()) {
                let record = record.map_err(std::io::Error::other)?;
                let cells: Vec<String> = record.iter().map(str::to_owned).collect();
                if n == 1 {
                    header = cells;
                    continue;
                }
                if n > end {
                    break;
                }
                if n >= start {
                    rows.push(Line { number: n, cells, cited: (*from..=*to).contains(&n) });
                }
            }
            let column = column.as_deref().and_then(|c| column_index(&header, c));
            let mark = |i: usize| column.is_none_or(|c| c == i);
            let rows = rows
                .into_iter()
                .map(|r| {
                    let cells = r.cells.into_iter().enumerate().map(|(i, c)| (c, r.cited && mark(i))).collect();
                    (r.number, r.cited, cells)
                })
                .collect();
            let header = header.into_iter().enumerate().map(|(i, h)| (h, column == Some(i))).collect();
            (Body::Rows { header, rows }, None)
        }
        Pin::Bytes(from, to) => {
            let start = from.saturating_sub(BYTES_CONTEXT) / 16 * 16;
            let end = to.saturating_add(BYTES_CONTEXT).min(start + BYTES_MAX);
            let mut reader = BufReader::new(file);
            std::io::copy(&mut (&mut reader).take(start), &mut std::io::sink())?;
            let mut bytes = Vec::new();
            reader.take(end - start + 1).read_to_end(&mut bytes)?;
            let rows = (start..)
                .step_by(16)
                .zip(bytes.chunks(16))
                .map(|(at, chunk)| {
                    let hex = chunk.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
                    let text: String = chunk
                        .iter()
                        .map(|b| if b.is_ascii_graphic() || *b == b' ' { char::from(*b) } else { '.' })
                        .collect();
                    let last = at + chunk.len() as u64 - 1;
                    (format!("{at:#010x}"), hex, text, at <= *to && last >= *from)
                })
                .collect();
            (Body::Bytes(rows), None)
        }
        Pin::Pages(from, _) => (Body::Embedded { src: format!("{view}#page={from}"), media: "pdf" }, None),
        Pin::Time(from, to) => {
            let media = if media_type.starts_with("audio/") { "audio" } else { "video" };
            let (a, b) = (*from as f64 / 1000.0, *to as f64 / 1000.0);
            let src = if from == to { format!("{view}#t={a}") } else { format!("{view}#t={a},{b}") };
            (Body::Embedded { src, media }, None)
        }
        Pin::Region { x, y, w, h } => (
            Body::Embedded { src: view.to_owned(), media: "image" },
            Some(format!(
                "The cited region is {w}\u{d7}{h} pixels with its top left corner at ({x}, {y}), measured on the original image."
            )),
        ),
        _ => {
            (Body::Linked, Some("This kind of cite cannot be shown inside this file: open the file to find it.".into()))
        }
    })
}

async fn show(
    state: web::Data<AppState>,
    user: SessionUser,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let number = exhibit_number(&path)?;
    let query: PinQuery = serde_html_form::from_str(req.query_string())
        .map_err(|_| AppError::bad_request("invalid_pin", "give the pin cite's kind and cite"))?;
    let kind: PinKind = query.kind.parse().map_err(|e: String| AppError::bad_request("invalid_pin", e))?;
    let pin = Pin::parse(kind, &query.cite).map_err(|e| AppError::bad_request("invalid_pin", e))?;
    let viewer = user.user().clone();
    let (_, file) = state.run(move |conn| service::open_file(conn, &viewer, number, FileAccess::View, true)).await?;
    let store = state.store.clone();
    let media_type = file.media_type.unwrap_or_default().split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let view = format!("/exhibits/{number}/view");
    let reading = pin.clone();
    let (body, note) = web::block(move || read_body(store.open(&file.sha256)?, &media_type, &reading, &view))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    render(&ReaderPage { chrome: user.chrome, number: number.to_string(), pin: pin.court_form(), body, note })
}
