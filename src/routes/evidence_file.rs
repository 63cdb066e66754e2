//! An exhibit's file, downloaded or viewed: streamed from the evidence store with `Range`
//! requests, the original name in a safe `Content-Disposition`, the SHA-256 in headers, and
//! served so that nothing in the file can run script in Custos's origin (a sandboxing CSP, a
//! content type that is never HTML, `nosniff`). Off-team users get 404 from the service.

use actix_files::NamedFile;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
use actix_web::{HttpRequest, HttpResponse, mime, web};
use base64::Engine;

use crate::domain::evidence::{ExhibitFile, ExhibitNumber};
use crate::domain::user::User;
use crate::error::AppError;
use crate::services::evidence::{self as service, FileAccess};
use crate::startup::AppState;

/// The CSP for a viewed file: a unique, script-less origin, with its own media allowed.
const SANDBOX: &str = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";
/// A PDF is shown by the browser's viewer, which a sandbox would refuse: no script either way.
const PDF: &str = "default-src 'none'; script-src 'none'; object-src 'self'; frame-ancestors 'self'";

/// How a viewed file is served: the media types a browser shows without running anything in
/// the page; text of any kind (HTML, SVG, e-mail, CSV, JSON) is shown as plain text.
fn view_type(media_type: Option<&str>) -> Option<mime::Mime> {
    let base = media_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let shown = match base.as_str() {
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "application/pdf" => base,
        t if t.starts_with("audio/") || t.starts_with("video/") => base,
        t if t.starts_with("text/")
            || t == "message/rfc822"
            || t == "application/json"
            || t == "image/svg+xml"
            || t == "application/xml" =>
        {
            "text/plain; charset=utf-8".into()
        }
        _ => return None,
    };
    shown.parse().ok()
}

/// The original file name, safe for a header: no path, no control characters, no quotes.
fn safe_name(file: &ExhibitFile, number: ExhibitNumber) -> String {
    let raw = file.name.as_deref().unwrap_or("");
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\\')).take(200).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() { format!("{number}.bin") } else { clean }
}

/// Serves an exhibit's file to `user`, recording the download or view (once per reading: a
/// range request after the first byte belongs to a reading already recorded).
pub async fn respond(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: User,
    number: ExhibitNumber,
    access: FileAccess,
) -> Result<HttpResponse, AppError> {
    let continuing = req
        .headers()
        .get(header::RANGE)
        .and_then(|r| r.to_str().ok())
        .is_some_and(|r| !r.trim().starts_with("bytes=0-"));
    let (_, file) = state.run(move |conn| service::open_file(conn, &user, number, access, !continuing)).await?;
    let name = safe_name(&file, number);
    let ascii: String = name.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect();
    let shown = match access {
        FileAccess::View => view_type(file.media_type.as_deref()),
        FileAccess::Download => None,
    };
    let disposition = ContentDisposition {
        disposition: if shown.is_some() { DispositionType::Inline } else { DispositionType::Attachment },
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.into_bytes(),
            }),
        ],
    };
    let csp = if shown.as_ref().is_some_and(|m| m.essence_str() == "application/pdf") { PDF } else { SANDBOX };
    let sha = hex::decode(&file.sha256).map_err(AppError::internal)?;
    let content_type = shown.unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let mut response = match state.store.local_path(&file.sha256) {
        Some(path) => web::block(move || NamedFile::open(path))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)?
            .set_content_type(content_type)
            .set_content_disposition(disposition)
            .use_last_modified(false)
            .prefer_utf8(true)
            .into_response(&req),
        None => streamed(&req, state.store.clone(), file.sha256.clone(), content_type, disposition).await?,
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(csp));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    if let Ok(v) = header::HeaderValue::from_str(&file.sha256) {
        headers.insert(header::HeaderName::from_static("x-custos-sha256"), v);
    }
    // RFC 9530: the digest of the whole representation, whatever range is sent.
    let repr = format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(sha));
    if let Ok(v) = header::HeaderValue::from_str(&repr) {
        headers.insert(header::HeaderName::from_static("repr-digest"), v);
    }
    Ok(response)
}

/// Bytes read from the store per chunk sent.
const CHUNK: usize = 256 * 1024;

/// A file from a store that is not a local directory: read in a blocking thread and streamed,
/// with the first range of a `Range` request honoured (206), as for a local file.
async fn streamed(
    req: &HttpRequest,
    store: std::sync::Arc<dyn crate::storage::BlobStore>,
    sha256: String,
    content_type: mime::Mime,
    disposition: ContentDisposition,
) -> Result<HttpResponse, AppError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut opened =
        web::block(move || store.open(&sha256)).await.map_err(AppError::internal)?.map_err(AppError::internal)?;
    let len = opened.len();
    let asked = req.headers().get(header::RANGE).and_then(|r| r.to_str().ok());
    let (start, length, partial) = match asked.map(|r| actix_files::HttpRange::parse(r, len)) {
        None => (0, len, false),
        Some(Ok(ranges)) if !ranges.is_empty() => (ranges[0].start, ranges[0].length, true),
        Some(_) => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                .finish());
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<web::Bytes>>(8);
    actix_web::rt::task::spawn_blocking(move || {
        let mut sent = || -> std::io::Result<()> {
            opened.seek(SeekFrom::Start(start))?;
            let mut left = length;
            let mut buffer = vec![0u8; CHUNK];
            while left > 0 {
                let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                let n = opened.read(&mut buffer[..want])?;
                if n == 0 {
                    return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the stored file ended early"));
                }
                left -= n as u64;
                if tx.blocking_send(Ok(web::Bytes::copy_from_slice(&buffer[..n]))).is_err() {
                    return Ok(()); // the client went away
                }
            }
            Ok(())
        };
        if let Err(e) = sent() {
            tracing::warn!(error = %e, "streaming an evidence file failed");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut builder = if partial { HttpResponse::PartialContent() } else { HttpResponse::Ok() };
    builder
        .content_type(content_type)
        .insert_header(disposition)
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .no_chunking(length);
    if partial {
        let end = (start + length).saturating_sub(1);
        builder.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
    }
    Ok(builder.streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_viewed_is_served_as_html_and_names_are_safe() {
        for html in ["text/html", "image/svg+xml", "application/xhtml+xml; charset=utf-8", "TEXT/HTML"] {
            let shown = view_type(Some(html));
            assert!(shown.is_none_or(|m| m.essence_str() == "text/plain"), "{html}");
        }
        assert_eq!(view_type(Some("image/png")).unwrap().essence_str(), "image/png");
        assert_eq!(view_type(Some("message/rfc822")).unwrap().essence_str(), "text/plain");
        assert!(view_type(Some("application/x-msdownload")).is_none(), "downloaded, not shown");
        let number: ExhibitNumber = "2026-0001-E001".parse().unwrap();
        let file = |name: &str| ExhibitFile {
            name: Some(name.into()),
            media_type: None,
            size: 1,
            sha256: "ab".repeat(32),
            sha1: None,
            md5: None,
        };
        assert_eq!(safe_name(&file("../../etc/passwd"), number), "passwd");
        assert_eq!(safe_name(&file("a\"b\r\nc.txt"), number), "abc.txt");
        assert_eq!(safe_name(&file(".."), number), "2026-0001-E001.bin");
    }
}
