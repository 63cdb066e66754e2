//! The evidence store in an S3-compatible bucket (AWS S3, Garage, MinIO, Ceph), through the
//! `object_store` crate. Same layout as on disk, under the address's prefix:
//! `sha256/ab/cd/<hex>` for evidence, `tmp/<id>.part` for uploads in progress, and
//! `witness/` for the ledger's witnessed checkpoints.
//!
//! An upload streams into a multipart upload under `tmp/` while SHA-256 is computed; only
//! when it is complete and its digest known and checked is it copied to its content address
//! (a copy is whole or absent: no reader ever sees half an object there) and the temporary
//! object deleted. An upload interrupted before completing is aborted; one interrupted by a
//! crash leaves only parts of an incomplete multipart upload, which no listing shows (a bucket
//! lifecycle rule removes them, README).
//!
//! The client is asynchronous; Custos's store is called from blocking threads. Each store owns
//! a small Tokio runtime; calls are handed to it and waited for, so they work from any thread.

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{ClientConfigKey, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::{
    BlobStore, FinishedBlob, IngestWriter, Leftover, Sink, StoredBlob, StoredFile, Temporary, content_address,
    leftover_name, valid_sha256,
};

/// S3's limit on the parts of one multipart upload.
const MAX_PARTS: u64 = 10_000;
/// S3's smallest part (but the last).
const MIN_PART: u64 = 5 << 20;
/// Parts uploading at once for one upload: with the part being filled, the upload's memory.
const PARTS_IN_FLIGHT: usize = 2;
/// Chunks queued between the request and the uploading thread.
const QUEUE: usize = 64;
/// Chunks a reader fetches ahead.
const READ_AHEAD: usize = 8;

/// The part size for uploads of up to `max_upload` bytes: the smallest whole number of MiB,
/// at least 8 MiB, that fits the largest upload into S3's 10,000 parts.
pub fn part_size(max_upload: u64) -> usize {
    let needed = max_upload.div_ceil(MAX_PARTS).max(MIN_PART).max(8 << 20);
    usize::try_from(needed.div_ceil(1 << 20) << 20).unwrap_or(usize::MAX)
}

/// An `s3://bucket/prefix` address, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Address {
    pub bucket: String,
    pub prefix: String,
}

impl S3Address {
    pub fn parse(address: &str) -> Result<S3Address, String> {
        let rest =
            address.strip_prefix("s3://").ok_or_else(|| format!("'{address}' is not an s3://bucket/prefix address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            return Err(format!("'{bucket}' is not a bucket name (3 to 63 lower-case letters, digits, '-' or '.')"));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        if prefix.split('/').any(|part| part == "." || part == "..")
            || prefix.contains("//")
            || prefix.chars().any(char::is_control)
        {
            return Err(format!("'{prefix}' is not a usable prefix"));
        }
        Ok(S3Address { bucket: bucket.to_owned(), prefix })
    }
}

impl std::fmt::Display for S3Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// The runtime the client's calls run on. When the store goes, deletions of discarded
/// temporary objects still under way are given a few seconds to finish (a command that exits
/// at once would otherwise leave them); inside another runtime, where no thread may wait, it
/// is shut down without waiting, and `verify --clean-orphans` finds any leftover.
struct Io(Option<tokio::runtime::Runtime>);

impl Drop for Io {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            } else {
                runtime.shutdown_timeout(Duration::from_secs(10));
            }
        }
    }
}

struct Inner {
    client: Arc<AmazonS3>,
    address: S3Address,
    handle: tokio::runtime::Handle,
    part_size: usize,
    _io: Io,
}

fn from_store(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { path, .. } => {
            io::Error::new(io::ErrorKind::NotFound, format!("no object {path} in the evidence bucket"))
        }
        e => io::Error::other(format!("evidence bucket: {e}")),
    }
}

impl Inner {
    fn path(&self, parts: &[&str]) -> Path {
        self.address.prefix.split('/').filter(|p| !p.is_empty()).chain(parts.iter().copied()).collect()
    }

    fn blob_path(&self, sha256: &str) -> io::Result<Path> {
        Ok(self.path(&content_address(sha256)?))
    }

    /// Runs `work` on the store's runtime and waits for it, from any thread.
    fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> io::Result<T> {
        let (done, result) = sync_channel(1);
        self.handle.spawn(async move {
            let _ = done.send(work.await);
        });
        result.recv().map_err(|_| io::Error::other("the evidence bucket's client stopped"))
    }

    /// Every object under `parts`, with its size and last write.
    fn list(&self, parts: &[&str]) -> io::Result<Vec<object_store::ObjectMeta>> {
        let (client, prefix) = (self.client.clone(), self.path(parts));
        self.run(async move {
            let mut listed = client.list(Some(&prefix));
            let mut out = Vec::new();
            while let Some(meta) = listed.next().await {
                out.push(meta?);
            }
            Ok::<_, object_store::Error>(out)
        })?
        .map_err(from_store)
    }
}

/// The evidence store in a bucket.
#[derive(Clone)]
pub struct S3BlobStore {
    inner: Arc<Inner>,
    active: Arc<AtomicUsize>,
}

impl S3BlobStore {
    /// Connects to the bucket of an `s3://bucket/prefix` address. Endpoint, region and
    /// credentials come from the usual variables (`AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`; `AWS_ALLOW_HTTP=true` for a plain-HTTP
    /// endpoint). The bucket is listed once, so that a wrong address or key stops start-up.
    pub fn open(address: &str, max_upload: u64) -> Result<S3BlobStore, String> {
        let address = S3Address::parse(address)?;
        // The client's default limit of 30 s on a whole request: a streamed read that outlives
        // it resumes where it was (tested), but a server-side copy of a large object (the
        // commit) may take longer. Instead a request may take a day, and a read that waits two
        // minutes for a byte fails.
        let client = AmazonS3Builder::from_env()
            .with_bucket_name(&address.bucket)
            .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "24h")
            .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::ReadTimeout), "120s")
            .build()
            .map_err(|e| format!("the evidence bucket {address}: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("custos-s3")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the evidence bucket's client: {e}"))?;
        let inner = Inner {
            client: Arc::new(client),
            address: address.clone(),
            handle: runtime.handle().clone(),
            part_size: part_size(max_upload),
            _io: Io(Some(runtime)),
        };
        let store = S3BlobStore { inner: Arc::new(inner), active: Arc::new(AtomicUsize::new(0)) };
        store.check().map_err(|e| format!("cannot reach the evidence bucket {address}: {e}"))?;
        Ok(store)
    }

    pub fn address(&self) -> &S3Address {
        &self.inner.address
    }

    /// Writes a small object whole (a witnessed checkpoint): under `parts`, below the prefix.
    pub fn put_small(&self, parts: &[&str], contents: Vec<u8>) -> io::Result<()> {
        let (client, path) = (self.inner.client.clone(), self.inner.path(parts));
        self.inner
            .run(async move { client.put(&path, PutPayload::from(contents)).await })?
            .map(drop)
            .map_err(from_store)
    }

    /// The names (last path segment) of the objects under `parts`, in name order.
    pub fn names(&self, parts: &[&str]) -> io::Result<Vec<String>> {
        let mut names: Vec<String> =
            self.inner.list(parts)?.into_iter().filter_map(|m| m.location.filename().map(str::to_owned)).collect();
        names.sort();
        Ok(names)
    }

    /// The first name, in name order, under `parts`: one page of one listing.
    pub fn first_name(&self, parts: &[&str]) -> io::Result<Option<String>> {
        let (client, prefix) = (self.inner.client.clone(), self.inner.path(parts));
        let first = self.inner.run(async move { client.list(Some(&prefix)).next().await })?;
        match first {
            Some(meta) => Ok(meta.map_err(from_store)?.location.filename().map(str::to_owned)),
            None => Ok(None),
        }
    }

    /// Small objects under `folder`, read whole, several at a time, in the order named.
    pub fn get_many(&self, folder: &str, names: &[String]) -> io::Result<Vec<Bytes>> {
        let client = self.inner.client.clone();
        let paths: Vec<Path> = names.iter().map(|name| self.inner.path(&[folder, name])).collect();
        self.inner
            .run(async move {
                futures_util::stream::iter(paths)
                    .map(|path| {
                        let client = client.clone();
                        async move { client.get(&path).await?.bytes().await }
                    })
                    .buffered(32)
                    .collect::<Vec<_>>()
                    .await
            })?
            .into_iter()
            .map(|got| got.map_err(from_store))
            .collect()
    }

    /// A small object's bytes, read whole.
    pub fn get_small(&self, parts: &[&str]) -> io::Result<Bytes> {
        let (client, path) = (self.inner.client.clone(), self.inner.path(parts));
        self.inner.run(async move { client.get(&path).await?.bytes().await })?.map_err(from_store)
    }
}

impl BlobStore for S3BlobStore {
    fn begin(&self) -> io::Result<IngestWriter> {
        let name = format!("{}.part", uuid::Uuid::new_v4().simple());
        let path = self.inner.path(&["tmp", &name]);
        let writer = ObjectWriter::start(self.inner.clone(), path.clone())?;
        let temp = TemporaryObject { inner: self.inner.clone(), path };
        IngestWriter::start(Sink::Object(writer), Temporary::Object(temp), self.active.clone())
    }

    fn commit(&self, mut blob: FinishedBlob) -> io::Result<()> {
        let Some(Temporary::Object(temp)) = blob.temp.take() else {
            return Err(io::Error::other("not a blob of this store, or already committed"));
        };
        let target = self.inner.blob_path(&blob.sha256)?;
        let (client, from, size) = (self.inner.client.clone(), temp.path.clone(), blob.size);
        let committed = self.inner.run(async move {
            // The store must hold every byte that was hashed before the object takes its name.
            let held = client.head(&from).await?;
            if held.size != size {
                return Err(object_store::Error::Generic {
                    store: "S3",
                    source: format!("the bucket holds {} bytes of the upload, not the {size} sent", held.size).into(),
                });
            }
            match client.head(&target).await {
                // Same content already stored: keep the one copy.
                Ok(_) => {}
                Err(object_store::Error::NotFound { .. }) => client.copy(&from, &target).await?,
                Err(e) => return Err(e),
            }
            // Committed; a temporary object that cannot be deleted now is a leftover for
            // `verify --clean-orphans`, not a failed upload.
            if let Err(e) = client.delete(&from).await {
                tracing::warn!(path = %from, error = %e, "could not delete a committed upload's temporary object");
            }
            Ok(())
        });
        match committed? {
            Ok(()) => Ok(()),
            Err(e) => {
                // Nothing is at the address; the temporary object goes too.
                temp.discard();
                Err(from_store(e))
            }
        }
    }

    fn open(&self, sha256: &str) -> io::Result<StoredFile> {
        let (client, path) = (self.inner.client.clone(), self.inner.blob_path(sha256)?);
        let meta = self.inner.run(async move { client.head(&path).await })?.map_err(from_store)?;
        let reader =
            ObjectReader { inner: self.inner.clone(), path: meta.location, len: meta.size, pos: 0, feed: None };
        Ok(StoredFile::new(reader, meta.size))
    }

    fn contains(&self, sha256: &str) -> io::Result<bool> {
        let (client, path) = (self.inner.client.clone(), self.inner.blob_path(sha256)?);
        match self.inner.run(async move { client.head(&path).await })? {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(from_store(e)),
        }
    }

    fn stored(&self) -> io::Result<Vec<StoredBlob>> {
        let mut out: Vec<StoredBlob> = self
            .inner
            .list(&["sha256"])?
            .into_iter()
            .filter_map(|meta| {
                let name = meta.location.filename()?.to_owned();
                // Only objects at their own content address count as stored evidence.
                let at_address = self.inner.blob_path(&name).is_ok_and(|p| p == meta.location);
                (valid_sha256(&name) && at_address).then(|| StoredBlob {
                    sha256: name,
                    size: meta.size,
                    modified: SystemTime::from(meta.last_modified),
                })
            })
            .collect();
        out.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(out)
    }

    fn remove(&self, sha256: &str) -> io::Result<()> {
        let (client, path) = (self.inner.client.clone(), self.inner.blob_path(sha256)?);
        self.inner.run(async move { client.delete(&path).await })?.map_err(from_store)
    }

    fn leftovers(&self) -> io::Result<Vec<Leftover>> {
        Ok(self
            .inner
            .list(&["tmp"])?
            .into_iter()
            .filter_map(|meta| {
                Some(Leftover {
                    name: meta.location.filename()?.to_owned(),
                    size: meta.size,
                    modified: SystemTime::from(meta.last_modified),
                })
            })
            .collect())
    }

    fn remove_leftover(&self, name: &str) -> io::Result<()> {
        let (client, path) = (self.inner.client.clone(), self.inner.path(&["tmp", leftover_name(name)?]));
        self.inner.run(async move { client.delete(&path).await })?.map_err(from_store)
    }

    fn ingesting(&self) -> bool {
        self.active.load(Ordering::SeqCst) > 0
    }

    fn location(&self) -> String {
        self.inner.address.to_string()
    }

    fn as_bucket(&self) -> Option<&S3BlobStore> {
        Some(self)
    }

    fn check(&self) -> io::Result<()> {
        let (client, probe) = (self.inner.client.clone(), self.inner.path(&["sha256"]));
        self.inner.run(async move { client.list_with_delimiter(Some(&probe)).await })?.map(drop).map_err(from_store)
    }

    fn kind(&self) -> &'static str {
        "s3"
    }
}

/// An upload's object under `tmp/`: deleted when discarded (without waiting).
pub(crate) struct TemporaryObject {
    inner: Arc<Inner>,
    path: Path,
}

impl TemporaryObject {
    pub(crate) fn discard(self) {
        let (client, path) = (self.inner.client.clone(), self.path);
        self.inner.handle.spawn(async move {
            if let Err(e) = client.delete(&path).await {
                tracing::warn!(%path, error = %e, "could not delete a temporary upload (verify --clean-orphans will)");
            }
        });
    }
}

/// A thread that feeds chunks into a multipart upload, a bounded number of parts at a time.
pub(crate) struct ObjectWriter {
    chunks: SyncSender<Bytes>,
    keep: Arc<std::sync::atomic::AtomicBool>,
    thread: JoinHandle<io::Result<()>>,
}

impl ObjectWriter {
    fn start(inner: Arc<Inner>, path: Path) -> io::Result<ObjectWriter> {
        let (chunks, queue): (SyncSender<Bytes>, Receiver<Bytes>) = sync_channel(QUEUE);
        let keep = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let keeping = keep.clone();
        let thread = std::thread::Builder::new().name("custos-upload".into()).spawn(move || {
            // Part uploads are tasks of the store's runtime; this thread waits on them.
            let _entered = inner.handle.enter();
            let upload = inner.handle.block_on(inner.client.put_multipart(&path)).map_err(from_store)?;
            let mut parts = WriteMultipart::new_with_chunk_size(upload, inner.part_size);
            let mut written = 0u64;
            while let Ok(chunk) = queue.recv() {
                if let Err(e) = inner.handle.block_on(parts.wait_for_capacity(PARTS_IN_FLIGHT)) {
                    let _ = inner.handle.block_on(parts.abort());
                    return Err(from_store(e));
                }
                written += chunk.len() as u64;
                parts.put(chunk);
            }
            if !keeping.load(Ordering::SeqCst) {
                // Abandoned: the parts already sent are dropped with the upload.
                return inner.handle.block_on(parts.abort()).map_err(from_store);
            }
            if written == 0 {
                // A multipart upload needs a part; an empty file is one empty object.
                inner.handle.block_on(parts.abort()).map_err(from_store)?;
                return inner
                    .handle
                    .block_on(inner.client.put(&path, PutPayload::default()))
                    .map(drop)
                    .map_err(from_store);
            }
            inner.handle.block_on(parts.finish()).map(drop).map_err(from_store)
        })?;
        Ok(ObjectWriter { chunks, keep, thread })
    }

    pub(crate) fn send(&self, chunk: Bytes) -> bool {
        self.chunks.send(chunk).is_ok()
    }

    /// Completes the multipart upload: the object then exists, whole, under `tmp/`.
    pub(crate) fn finish(self) -> io::Result<()> {
        self.keep.store(true, Ordering::SeqCst);
        drop(self.chunks);
        self.thread.join().map_err(|_| io::Error::other("upload thread panicked"))?
    }

    pub(crate) fn abandon(self) {
        drop(self.chunks);
        let _ = self.thread.join();
    }
}

/// Reads an object from `pos` on: one ranged GET, streamed through a thread, started at the
/// first read and again after a seek.
struct ObjectReader {
    inner: Arc<Inner>,
    path: Path,
    len: u64,
    pos: u64,
    feed: Option<Feed>,
}

struct Feed {
    chunks: Receiver<io::Result<Bytes>>,
    pending: Bytes,
}

impl ObjectReader {
    fn fetch_from(&self, start: u64) -> io::Result<Feed> {
        let (tx, chunks) = sync_channel(READ_AHEAD);
        let (client, path, handle) = (self.inner.client.clone(), self.path.clone(), self.inner.handle.clone());
        std::thread::Builder::new().name("custos-read".into()).spawn(move || {
            handle.block_on(async move {
                let options = GetOptions { range: Some(GetRange::Offset(start)), ..Default::default() };
                match client.get_opts(&path, options).await {
                    Ok(got) => {
                        let mut body = got.into_stream();
                        while let Some(chunk) = body.next().await {
                            // The reader went away (dropped, or sought elsewhere): stop.
                            if tx.send(chunk.map_err(from_store)).is_err() {
                                break;
                            }
                        }
                    }
                    Err(e) => drop(tx.send(Err(from_store(e)))),
                }
            })
        })?;
        Ok(Feed { chunks, pending: Bytes::new() })
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        if self.feed.is_none() {
            self.feed = Some(self.fetch_from(self.pos)?);
        }
        let Some(feed) = self.feed.as_mut() else { return Ok(0) };
        while feed.pending.is_empty() {
            match feed.chunks.recv() {
                Ok(Ok(chunk)) => feed.pending = chunk,
                Ok(Err(e)) => {
                    self.feed = None;
                    return Err(e);
                }
                Err(_) => {
                    self.feed = None;
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the evidence bucket ended {} at byte {} of {}", self.path, self.pos, self.len),
                    ));
                }
            }
        }
        let n = buf.len().min(feed.pending.len());
        buf[..n].copy_from_slice(&feed.pending.split_to(n));
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ObjectReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        if target != self.pos {
            // A short hop forward within what has arrived keeps the request going.
            let ahead = target.checked_sub(self.pos).and_then(|d| usize::try_from(d).ok());
            match (self.feed.as_mut(), ahead) {
                (Some(feed), Some(skip)) if skip <= feed.pending.len() => {
                    let _ = feed.pending.split_to(skip);
                }
                _ => self.feed = None,
            }
            self.pos = target;
        }
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_bad_ones_are_refused() {
        let a = S3Address::parse("s3://custos-evidence/office/one/").unwrap();
        assert_eq!((a.bucket.as_str(), a.prefix.as_str()), ("custos-evidence", "office/one"));
        assert_eq!(a.to_string(), "s3://custos-evidence/office/one");
        assert_eq!(S3Address::parse("s3://bucket").unwrap().prefix, "");
        for bad in ["bucket/x", "s3://", "s3://Bucket", "s3://b", "s3://bucket/../x", "s3://bucket/a//b"] {
            assert!(S3Address::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parts_fit_the_largest_upload_into_ten_thousand() {
        assert_eq!(part_size(1 << 20), 8 << 20);
        let default = part_size(64 << 30) as u64;
        assert!(default * MAX_PARTS >= 64 << 30 && default.is_multiple_of(1 << 20));
        assert!(part_size(1 << 40) as u64 * MAX_PARTS >= 1 << 40);
    }
}
