//! Streaming an HTTP body into the evidence store: chunks go over a bounded channel to a
//! blocking thread that hashes and writes them, so memory stays constant whatever the size.

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use std::sync::Arc;

use crate::error::AppError;
use crate::storage::{BlobStore, FinishedBlob, LocalBlobStore};

/// Chunks in flight between the network and the disk (each at most 64 KiB from actix).
const CHANNEL_DEPTH: usize = 32;

/// Writes the stream to a temporary blob, fsynced. Past `limit` bytes, or if the client goes
/// away, the temporary file is deleted and nothing remains.
pub async fn stream_to_blob<S, E>(store: Arc<LocalBlobStore>, mut body: S, limit: u64) -> Result<FinishedBlob, AppError>
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
