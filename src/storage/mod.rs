//! The content-addressed evidence store, a leaf module (no HTTP, no database).
//!
//! Bytes are written to a temporary file while SHA-256 is computed in the same pass; the file
//! is fsynced, then renamed to `blobs/sha256/ab/cd/<hex>`, and the directory fsynced. Only then
//! may a database row point at it. A temporary file that never completes is deleted when its
//! writer is dropped, and any left by a crash are removed at start-up.

use bytes::Bytes;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

pub mod s3;

/// Writes a secret readable only by its owner, creating it atomically.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents).and_then(|_| file.sync_all()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Creates a folder (and its parents) that only its owner may enter: the data directory and
/// the evidence store hold case material, keys and the database.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(path)?;
        // An existing folder keeps its mode through `create`: tighten it.
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    builder.create(path)
}

/// Creates a file readable and writable by its owner only, or does nothing if it exists.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

/// Appends one line to an append-only file (created readable by its owner only) and waits
/// until it is on disk.
pub fn append_durably(path: &Path, line: &str) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_all()
}

/// A stored evidence file opened for reading: seekable, with its length. From local disk a
/// file; from an object store a reader that fetches ranges as it goes.
pub struct StoredFile {
    reader: Box<dyn ReadSeek>,
    len: u64,
}

pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl StoredFile {
    pub fn new(reader: impl ReadSeek + 'static, len: u64) -> StoredFile {
        StoredFile { reader: Box::new(reader), len }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for StoredFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl Seek for StoredFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.reader.seek(pos)
    }
}

/// A blob at its content address, as the store lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
    pub modified: SystemTime,
}

/// A temporary upload the store still holds: an upload interrupted (or finishing now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub name: String,
    pub size: u64,
    pub modified: SystemTime,
}

/// Where evidence bytes live: a local directory, or an S3-compatible bucket (`s3`).
pub trait BlobStore: Send + Sync {
    /// A new temporary blob to stream bytes into.
    fn begin(&self) -> io::Result<IngestWriter>;
    /// Moves a finished blob to its content address. Identical content is stored once.
    fn commit(&self, blob: FinishedBlob) -> io::Result<()>;
    fn open(&self, sha256: &str) -> io::Result<StoredFile>;
    fn contains(&self, sha256: &str) -> io::Result<bool>;
    /// Every blob at a content address, in digest order.
    fn stored(&self) -> io::Result<Vec<StoredBlob>>;
    /// Deletes a stored blob (for files no exhibit references; never for evidence).
    fn remove(&self, sha256: &str) -> io::Result<()>;
    /// Temporary uploads the store holds.
    fn leftovers(&self) -> io::Result<Vec<Leftover>>;
    /// Removes one temporary upload, by the name `leftovers` gave it.
    fn remove_leftover(&self, name: &str) -> io::Result<()>;
    /// Removes temporary uploads last written more than `older_than` ago; returns how many.
    fn remove_leftovers(&self, older_than: Duration) -> io::Result<usize> {
        let cutoff = SystemTime::now().checked_sub(older_than).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut removed = 0;
        for leftover in self.leftovers()?.into_iter().filter(|l| l.modified <= cutoff) {
            self.remove_leftover(&leftover.name)?;
            removed += 1;
        }
        Ok(removed)
    }
    /// Whether an upload is streaming in right now. Background work (the SHA-1/MD5 pass)
    /// waits while one is, so that it never slows an upload.
    fn ingesting(&self) -> bool;
    /// The blob's file on this machine, where the store is a local directory (served with the
    /// operating system's own file reads).
    fn local_path(&self, _sha256: &str) -> Option<PathBuf> {
        None
    }
    /// Where the store is, for messages: a directory or an `s3://` address.
    fn location(&self) -> String;
    /// Whether the store answers now (for the health check): the directory is there, or the
    /// bucket lists.
    fn check(&self) -> io::Result<()>;
    /// `directory` or `s3`, for the health check.
    fn kind(&self) -> &'static str;
    /// The bucket, where the store is one (the ledger witnesses its checkpoints there).
    fn as_bucket(&self) -> Option<&s3::S3BlobStore> {
        None
    }
}

/// A temporary upload's name, as `leftovers` lists them: one plain name in the store's
/// `tmp/`, nothing that names another place.
pub fn leftover_name(name: &str) -> io::Result<&str> {
    let plain = !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
    if plain { Ok(name) } else { Err(io::Error::new(io::ErrorKind::InvalidInput, "not a temporary upload's name")) }
}

/// The content address's layout, the same in a directory and in a bucket: `sha256/ab/cd/<hex>`.
pub fn content_address(sha256: &str) -> io::Result<[&str; 4]> {
    if !valid_sha256(sha256) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a SHA-256 hex digest"));
    }
    Ok(["sha256", &sha256[0..2], &sha256[2..4], sha256])
}

/// A blob store in a directory of the local filesystem.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
    /// Uploads streaming in now (shared by clones of the store).
    active: Arc<AtomicUsize>,
}

pub fn valid_sha256(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl LocalBlobStore {
    pub fn open(root: impl Into<PathBuf>) -> io::Result<LocalBlobStore> {
        let root = root.into();
        create_private_dir(&root.join("tmp"))?;
        create_private_dir(&root.join("sha256"))?;
        create_private_dir(&root)?;
        Ok(LocalBlobStore { root, active: Arc::new(AtomicUsize::new(0)) })
    }

    /// The path of a blob, whether or not it exists.
    pub fn path_of(&self, sha256: &str) -> io::Result<PathBuf> {
        Ok(content_address(sha256)?.iter().fold(self.root.clone(), |path, part| path.join(part)))
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl BlobStore for LocalBlobStore {
    fn begin(&self) -> io::Result<IngestWriter> {
        let path = self.root.join("tmp").join(format!("{}.part", uuid::Uuid::new_v4().simple()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        let disk = DiskWriter::start(file, open_direct(&path))?;
        IngestWriter::start(Sink::Disk(disk), Temporary::File(path), self.active.clone())
    }

    fn commit(&self, mut blob: FinishedBlob) -> io::Result<()> {
        let target = self.path_of(&blob.sha256)?;
        let dir = target.parent().ok_or_else(|| io::Error::other("blob path has no folder"))?;
        create_private_dir(dir)?;
        let Some(Temporary::File(temp)) = blob.temp.take() else {
            return Err(io::Error::other("not a blob of this store, or already committed"));
        };
        if target.exists() {
            // Same content already stored: keep the one copy.
            fs::remove_file(&temp)?;
            return Ok(());
        }
        fs::rename(&temp, &target)?;
        sync_dir(dir)
    }

    fn open(&self, sha256: &str) -> io::Result<StoredFile> {
        let file = File::open(self.path_of(sha256)?)?;
        let len = file.metadata()?.len();
        Ok(StoredFile::new(file, len))
    }

    fn contains(&self, sha256: &str) -> io::Result<bool> {
        Ok(self.path_of(sha256)?.is_file())
    }

    fn stored(&self) -> io::Result<Vec<StoredBlob>> {
        let mut out = Vec::new();
        let top = self.root.join("sha256");
        for first in fs::read_dir(&top)? {
            let first = first?.path();
            if !first.is_dir() {
                continue;
            }
            for second in fs::read_dir(&first)? {
                let second = second?.path();
                if !second.is_dir() {
                    continue;
                }
                for blob in fs::read_dir(&second)? {
                    let blob = blob?;
                    let name = blob.file_name().to_string_lossy().into_owned();
                    if valid_sha256(&name) {
                        let meta = blob.metadata()?;
                        out.push(StoredBlob { sha256: name, size: meta.len(), modified: meta.modified()? });
                    }
                }
            }
        }
        out.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(out)
    }

    fn remove(&self, sha256: &str) -> io::Result<()> {
        let path = self.path_of(sha256)?;
        fs::remove_file(&path)?;
        path.parent().map_or(Ok(()), sync_dir)
    }

    fn leftovers(&self) -> io::Result<Vec<Leftover>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.root.join("tmp"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".part") {
                let meta = entry.metadata()?;
                out.push(Leftover { name, size: meta.len(), modified: meta.modified()? });
            }
        }
        Ok(out)
    }

    fn remove_leftover(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.root.join("tmp").join(leftover_name(name)?))
    }

    fn ingesting(&self) -> bool {
        self.active.load(Ordering::SeqCst) > 0
    }

    fn local_path(&self, sha256: &str) -> Option<PathBuf> {
        self.path_of(sha256).ok()
    }

    fn check(&self) -> io::Result<()> {
        fs::read_dir(self.root.join("sha256")).map(drop)
    }

    fn kind(&self) -> &'static str {
        "directory"
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }
}

/// Bytes written between early flushes. The disk is the slowest part of ingest; flushing as
/// the upload goes, instead of all at the end, lets the disk work while bytes still arrive.
const FLUSH_EVERY: u64 = 16 << 20;

/// Chunks queued for the hashing thread and for the disk thread.
const DISK_QUEUE: usize = 64;

/// Block alignment that direct I/O needs for buffer address, offset and length.
const DIRECT_ALIGN: usize = 4096;

/// Size of one direct write.
const DIRECT_BLOCK: usize = 4 << 20;

/// A second handle on the temporary file that bypasses the page cache, where the filesystem
/// allows it. Buffered writes copy every byte into the page cache and leave the kernel to write
/// it back; on this workload (gigabytes written once, fsynced, rarely read soon) that write-back
/// was the largest cost of ingest, and direct writes run at close to the device's speed.
#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().write(true).custom_flags(libc::O_DIRECT).open(path).ok()
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &Path) -> Option<File> {
    None
}

/// A thread that flushes the file's data to disk whenever asked, while writing continues.
struct Flusher {
    nudge: SyncSender<()>,
    thread: JoinHandle<io::Result<()>>,
}

impl Flusher {
    fn start(file: File) -> io::Result<Flusher> {
        let (nudge, nudges): (SyncSender<()>, Receiver<()>) = sync_channel(1);
        let thread = std::thread::Builder::new().name("custos-flush".into()).spawn(move || {
            while nudges.recv().is_ok() {
                file.sync_data()?;
            }
            Ok(())
        })?;
        Ok(Flusher { nudge, thread })
    }

    fn nudge(&self) {
        // Full: a flush is pending and will cover these bytes. Disconnected: the thread stopped
        // on an error, which `stop` reports.
        let _ = self.nudge.try_send(());
    }

    fn stop(self) -> io::Result<()> {
        drop(self.nudge);
        self.thread.join().map_err(|_| io::Error::other("flush thread panicked"))?
    }
}

/// Writes through a direct handle in aligned blocks, staging bytes in an aligned buffer; the
/// unaligned tail goes through the buffered handle at its offset, and the final fsync covers
/// both.
struct DirectSink {
    direct: File,
    staging: Vec<u8>,
    /// Where the aligned region starts inside `staging`.
    start: usize,
    filled: usize,
    offset: u64,
}

impl DirectSink {
    fn new(direct: File) -> DirectSink {
        let staging = vec![0u8; DIRECT_BLOCK + DIRECT_ALIGN];
        let start = staging.as_ptr().align_offset(DIRECT_ALIGN);
        DirectSink { direct, staging, start, filled: 0, offset: 0 }
    }

    fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let take = bytes.len().min(DIRECT_BLOCK - self.filled);
            let at = self.start + self.filled;
            self.staging[at..at + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == DIRECT_BLOCK {
                self.write_aligned(DIRECT_BLOCK)?;
            }
        }
        Ok(())
    }

    /// Writes the first `len` staged bytes (a multiple of the alignment) at the current offset.
    fn write_aligned(&mut self, len: usize) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let block = &self.staging[self.start..self.start + len];
        self.direct.write_all_at(block, self.offset)?;
        self.offset += len as u64;
        self.staging.copy_within(self.start + len..self.start + self.filled, self.start);
        self.filled -= len;
        Ok(())
    }

    /// Writes what is left: whole blocks directly, the last partial block through `buffered`.
    fn finish(mut self, buffered: &File) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let aligned = self.filled - self.filled % DIRECT_ALIGN;
        if aligned > 0 {
            self.write_aligned(aligned)?;
        }
        let tail = &self.staging[self.start..self.start + self.filled];
        buffered.write_all_at(tail, self.offset)
    }
}

/// A thread that writes chunks to the file while others parse and hash the next ones.
pub(crate) struct DiskWriter {
    chunks: SyncSender<Bytes>,
    thread: JoinHandle<io::Result<File>>,
}

impl DiskWriter {
    fn start(file: File, direct: Option<File>) -> io::Result<DiskWriter> {
        let (chunks, queue): (SyncSender<Bytes>, Receiver<Bytes>) = sync_channel(DISK_QUEUE);
        let thread = match direct {
            Some(direct) => std::thread::Builder::new().name("custos-disk".into()).spawn(move || {
                let mut sink = DirectSink::new(direct);
                while let Ok(chunk) = queue.recv() {
                    sink.write(&chunk)?;
                }
                sink.finish(&file)?;
                Ok(file)
            })?,
            None => Self::spawn_buffered(file, queue)?,
        };
        Ok(DiskWriter { chunks, thread })
    }

    /// Without direct I/O: buffered writes, flushed by a second thread every `FLUSH_EVERY`.
    fn spawn_buffered(mut file: File, queue: Receiver<Bytes>) -> io::Result<JoinHandle<io::Result<File>>> {
        let flusher = Flusher::start(file.try_clone()?)?;
        std::thread::Builder::new().name("custos-disk".into()).spawn(move || {
            let mut unflushed = 0u64;
            let written = (|| {
                while let Ok(chunk) = queue.recv() {
                    file.write_all(&chunk)?;
                    unflushed += chunk.len() as u64;
                    if unflushed >= FLUSH_EVERY {
                        unflushed = 0;
                        flusher.nudge();
                    }
                }
                Ok::<(), io::Error>(())
            })();
            let flushed = flusher.stop();
            written.and(flushed).map(|_| file)
        })
    }

    /// Waits for every queued chunk to reach the file; returns the file.
    fn finish(self) -> io::Result<File> {
        drop(self.chunks);
        self.thread.join().map_err(|_| io::Error::other("disk thread panicked"))?
    }
}

/// A thread that computes SHA-256 over the chunks it is handed. The receiving thread then only
/// parses the request (multipart boundaries cost about as much as hashing), so on two cores
/// parsing, hashing and writing overlap.
struct Hasher {
    chunks: SyncSender<Bytes>,
    thread: JoinHandle<String>,
}

impl Hasher {
    fn start() -> io::Result<Hasher> {
        let (chunks, queue): (SyncSender<Bytes>, Receiver<Bytes>) = sync_channel(DISK_QUEUE);
        let thread = std::thread::Builder::new().name("custos-hash".into()).spawn(move || {
            let mut sha256 = Sha256::new();
            while let Ok(chunk) = queue.recv() {
                sha256.update(&chunk);
            }
            hex::encode(sha256.finalize())
        })?;
        Ok(Hasher { chunks, thread })
    }

    fn finish(self) -> io::Result<String> {
        drop(self.chunks);
        self.thread.join().map_err(|_| io::Error::other("hash thread panicked"))
    }
}

/// Where a blob's bytes go while it streams in.
pub(crate) enum Sink {
    Disk(DiskWriter),
    Object(s3::ObjectWriter),
}

impl Sink {
    fn send(&self, chunk: Bytes) -> bool {
        match self {
            Sink::Disk(disk) => disk.chunks.send(chunk).is_ok(),
            Sink::Object(object) => object.send(chunk),
        }
    }

    /// Waits for every chunk to be written; the blob is then whole in its temporary place.
    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Disk(disk) => disk.finish()?.sync_all(),
            Sink::Object(object) => object.finish(),
        }
    }

    /// Stops, discarding what was written.
    fn abandon(self) {
        match self {
            Sink::Disk(disk) => drop(disk.finish()),
            Sink::Object(object) => object.abandon(),
        }
    }
}

/// A blob's temporary place: a file, or an object under the bucket's `tmp/`.
pub(crate) enum Temporary {
    File(PathBuf),
    Object(s3::TemporaryObject),
}

impl Temporary {
    fn discard(self) {
        match self {
            Temporary::File(path) => drop(fs::remove_file(path)),
            Temporary::Object(object) => object.discard(),
        }
    }
}

/// Streams bytes to a temporary place and hashes them in the same pass: each chunk goes, by
/// reference, to the hashing thread and to the writing thread. Dropped before `finish`, it
/// discards what it wrote: an interrupted upload leaves nothing behind.
pub struct IngestWriter {
    temp: Option<Temporary>,
    sink: Option<Sink>,
    hasher: Option<Hasher>,
    size: u64,
    /// The store's count of uploads in progress; this writer counts until it is dropped.
    active: Arc<AtomicUsize>,
}

impl IngestWriter {
    pub(crate) fn start(sink: Sink, temp: Temporary, active: Arc<AtomicUsize>) -> io::Result<IngestWriter> {
        let hasher = match Hasher::start() {
            Ok(hasher) => hasher,
            Err(e) => {
                sink.abandon();
                temp.discard();
                return Err(e);
            }
        };
        active.fetch_add(1, Ordering::SeqCst);
        Ok(IngestWriter { temp: Some(temp), sink: Some(sink), hasher: Some(hasher), size: 0, active })
    }

    /// Hands one chunk to the hashing and writing threads (reference-counted, no copy).
    pub fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        let (Some(sink), Some(hasher)) = (self.sink.as_ref(), self.hasher.as_ref()) else {
            return Err(io::Error::other("writer finished"));
        };
        self.size += chunk.len() as u64;
        if hasher.chunks.send(chunk.clone()).is_err() {
            return Err(io::Error::other("the hashing thread stopped"));
        }
        if !sink.send(chunk) {
            // The writing thread stopped on an error: collect it.
            return match self.sink.take().map(Sink::finish) {
                Some(Err(e)) => Err(e),
                _ => Err(io::Error::other("the evidence writer stopped")),
            };
        }
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Streams `reader` to the end into this blob, 1 MiB at a time, telling `progress` of
    /// each block; then finishes it.
    pub fn copy_from(mut self, mut reader: impl Read, mut progress: impl FnMut(u64)) -> io::Result<FinishedBlob> {
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buffer)?;
            if n == 0 {
                return self.finish();
            }
            self.write(Bytes::copy_from_slice(&buffer[..n]))?;
            progress(n as u64);
        }
    }

    /// Waits for the hash and the writes (fsynced to disk, or the multipart upload
    /// completed); the blob is then whole in its temporary place, awaiting `commit`.
    pub fn finish(mut self) -> io::Result<FinishedBlob> {
        let sink = self.sink.take().ok_or_else(|| io::Error::other("writer finished"))?;
        let hasher = self.hasher.take().ok_or_else(|| io::Error::other("writer finished"))?;
        let sha256 = hasher.finish()?;
        sink.finish()?;
        Ok(FinishedBlob { temp: self.temp.take(), sha256, size: self.size })
    }
}

impl Drop for IngestWriter {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
        if let Some(hasher) = self.hasher.take() {
            let _ = hasher.finish();
        }
        if let Some(sink) = self.sink.take() {
            sink.abandon();
        }
        if let Some(temp) = self.temp.take() {
            temp.discard();
        }
    }
}

/// A blob written whole to its temporary place, not yet at its content address. Dropped
/// uncommitted, it is deleted.
pub struct FinishedBlob {
    pub(crate) temp: Option<Temporary>,
    pub sha256: String,
    pub size: u64,
}

impl Drop for FinishedBlob {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            temp.discard();
        }
    }
}

/// The three digests forensic tools exchange. SHA-256 is the record; MD5 and SHA-1 are for
/// matching legacy tools and hash sets, never relied on alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub size: u64,
}

/// Reads `reader` to the end in 1 MiB blocks, handing each to `consume`; returns the size.
fn read_blocks(mut reader: impl Read, mut consume: impl FnMut(&[u8])) -> io::Result<u64> {
    // 64 KiB first, 1 MiB once the file proves larger: a small file (most of an office's)
    // is not charged for zeroing a large buffer.
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok(size);
        }
        consume(&buffer[..n]);
        size += n as u64;
        if n == buffer.len() && buffer.len() < 1 << 20 {
            buffer.resize(1 << 20, 0);
        }
    }
}

/// Reads `reader` to the end, computing all three digests; `progress` hears of every block.
pub fn digest_all(reader: impl Read, mut progress: impl FnMut(u64)) -> io::Result<Digests> {
    let (mut sha256, mut sha1, mut md5) = (Sha256::new(), Sha1::new(), Md5::new());
    let size = read_blocks(reader, |block| {
        sha256.update(block);
        sha1.update(block);
        md5.update(block);
        progress(block.len() as u64);
    })?;
    Ok(Digests {
        sha256: hex::encode(sha256.finalize()),
        sha1: hex::encode(sha1.finalize()),
        md5: hex::encode(md5.finalize()),
        size,
    })
}

/// SHA-256 alone, for re-verification where the other digests are already recorded.
pub fn sha256_of(reader: impl Read, mut progress: impl FnMut(u64)) -> io::Result<(String, u64)> {
    let mut sha256 = Sha256::new();
    let size = read_blocks(reader, |block| {
        sha256.update(block);
        progress(block.len() as u64);
    })?;
    Ok((hex::encode(sha256.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingest_commits_to_the_content_address_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        for _ in 0..2 {
            let mut writer = store.begin().unwrap();
            writer.write(Bytes::from_static(b"abc")).unwrap();
            let blob = writer.finish().unwrap();
            assert_eq!(blob.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            store.commit(blob).unwrap();
        }
        let path = store.path_of("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad").unwrap();
        assert!(path.ends_with("sha256/ba/78/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        assert_eq!(fs::read(path).unwrap(), b"abc");
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn an_abandoned_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let mut writer = store.begin().unwrap();
        writer.write(Bytes::from_static(b"partial")).unwrap();
        drop(writer);
        let finished = {
            let mut w = store.begin().unwrap();
            w.write(Bytes::from_static(b"whole but uncommitted")).unwrap();
            w.finish().unwrap()
        };
        drop(finished);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        fs::write(dir.path().join("tmp").join("crashed.part"), b"x").unwrap();
        assert_eq!(store.leftovers().unwrap().len(), 1);
        assert_eq!(store.remove_leftovers(Duration::from_secs(3600)).unwrap(), 0, "a recent leftover is kept");
        assert_eq!(store.remove_leftovers(Duration::ZERO).unwrap(), 1);
        assert!(!store.ingesting());
        let writer = store.begin().unwrap();
        assert!(store.ingesting() && store.clone().ingesting());
        writer.finish().unwrap();
        assert!(!store.ingesting(), "a finished upload no longer counts");
    }

    /// Bytes that differ at every position, so a misplaced block shows.
    fn patterned(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8 ^ (i / 251) as u8).collect()
    }

    #[test]
    fn direct_and_buffered_writes_store_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        // Sizes around the alignment and the direct block, in uneven chunks.
        for len in [0, 1, 4095, 4096, 4097, DIRECT_BLOCK - 1, DIRECT_BLOCK + 1, 2 * DIRECT_BLOCK + 12_345] {
            let data = patterned(len);
            for direct in [true, false] {
                let path = dir.path().join(format!("{len}-{direct}"));
                let file = OpenOptions::new().write(true).create_new(true).open(&path).unwrap();
                let direct_handle = if direct { open_direct(&path) } else { None };
                let writer = DiskWriter::start(file, direct_handle).unwrap();
                for chunk in data.chunks(65_537) {
                    writer.chunks.send(Bytes::copy_from_slice(chunk)).unwrap();
                }
                writer.finish().unwrap().sync_all().unwrap();
                assert!(fs::read(&path).unwrap() == data, "{len} bytes, direct {direct}");
            }
        }
    }

    #[test]
    fn all_three_digests_match_known_values() {
        let digests = digest_all(&b"abc"[..], |_| {}).unwrap();
        assert_eq!(digests.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(digests.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(digests.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(digests.size, 3);
    }
}
