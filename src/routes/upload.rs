//! Streaming an HTTP body into the evidence store: chunks go over a bounded channel to a
//! blocking thread that hashes and writes them, so memory stays constant whatever the size.

use actix_multipart::{Field, Multipart};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::AppError;
use crate::storage::{BlobStore, FinishedBlob};

/// Chunks in flight between the network and the disk (each at most 64 KiB from actix).
const CHANNEL_DEPTH: usize = 32;

/// Writes the stream to a temporary blob, fsynced. Past `limit` bytes, or if the client goes
/// away, the temporary file is deleted and nothing remains.
pub async fn stream_to_blob<S, E>(store: Arc<dyn BlobStore>, mut body: S, limit: u64) -> Result<FinishedBlob, AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut writer = store.begin().map_err(|e| AppError::internal(format!("evidence store: {e}")))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(CHANNEL_DEPTH);
    let disk = actix_web::rt::task::spawn_blocking(move || -> std::io::Result<FinishedBlob> {
        while let Some(chunk) = rx.blocking_recv() {
            writer.write(chunk)?;
        }
        writer.finish()
    });
    let mut received: u64 = 0;
    let mut failure = None;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => {
                received += chunk.len() as u64;
                if received > limit {
                    failure = Some(AppError::PayloadTooLarge);
                    break;
                }
                if tx.send(chunk).await.is_err() {
                    break; // the disk side failed; its error is reported below
                }
            }
            Err(e) => {
                failure = Some(AppError::bad_request("upload_interrupted", format!("the upload was interrupted: {e}")));
                break;
            }
        }
    }
    drop(tx);
    let written = disk.await.map_err(AppError::internal)?;
    if let Some(failure) = failure {
        drop(written); // deletes the temporary file
        return Err(failure);
    }
    written.map_err(|e| AppError::internal(format!("writing evidence: {e}")))
}

/// Text parts a form may send before its file: enough for every field of the upload form.
pub const MAX_FORM_FIELDS: usize = 32;
/// One text part's size.
pub const MAX_FIELD_BYTES: usize = 16 * 1024;
/// All text parts together.
pub const MAX_FIELDS_TOTAL: usize = 128 * 1024;

/// Reads a multipart form's text parts, bounded in number and size, up to the part named
/// `file_part`, which is returned unread for streaming. Past a bound the request is refused
/// at once (413) without reading further, whoever sent it.
pub async fn read_form_fields(
    payload: &mut Multipart,
    file_part: &str,
) -> Result<(HashMap<String, String>, Option<Field>), AppError> {
    let bad = |e: actix_multipart::MultipartError| AppError::bad_request("invalid_multipart", e.to_string());
    let mut fields = HashMap::new();
    let mut total = 0usize;
    let mut parts = 0usize;
    while let Some(mut field) = payload.try_next().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == file_part {
            return Ok((fields, Some(field)));
        }
        parts += 1;
        if parts > MAX_FORM_FIELDS {
            return Err(AppError::PayloadTooLarge);
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(bad)? {
            total += chunk.len();
            if value.len() + chunk.len() > MAX_FIELD_BYTES || total > MAX_FIELDS_TOTAL {
                return Err(AppError::PayloadTooLarge);
            }
            value.extend_from_slice(&chunk);
        }
        fields.insert(name, String::from_utf8_lossy(&value).into_owned());
    }
    Ok((fields, None))
}
