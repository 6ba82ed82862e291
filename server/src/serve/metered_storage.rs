//! A [`Storage`] wrapper that times every fsync of a log segment, for the fsync and
//! group-commit metrics. Everything else passes through unchanged.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use veritydb::storage::{Storage, StorageFile};

use super::metrics::Metrics;

/// The directory of the log's segments (`docs/internals/storage.md`).
const SEGMENTS_DIR: &str = "segments/";

#[derive(Debug)]
pub(crate) struct MeteredStorage {
    inner: Arc<dyn Storage>,
    metrics: Arc<Metrics>,
}

impl MeteredStorage {
    pub(crate) fn new(inner: Arc<dyn Storage>, metrics: Arc<Metrics>) -> MeteredStorage {
        MeteredStorage { inner, metrics }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Storage for MeteredStorage {
    fn open(&self, path: &str) -> io::Result<Arc<dyn StorageFile>> {
        let file = self.inner.open(path)?;
        if path.starts_with(SEGMENTS_DIR) && path.ends_with(".seg") {
            return Ok(Arc::new(MeteredFile {
                inner: file,
                metrics: Arc::clone(&self.metrics),
            }));
        }
        Ok(file)
    }
    fn exists(&self, path: &str) -> io::Result<bool> {
        self.inner.exists(path)
    }
    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.list(dir)
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove(&self, path: &str) -> io::Result<()> {
        self.inner.remove(path)
    }
    fn sync_dir(&self, dir: &str) -> io::Result<()> {
        self.inner.sync_dir(dir)
    }
}

#[derive(Debug)]
struct MeteredFile {
    inner: Arc<dyn StorageFile>,
    metrics: Arc<Metrics>,
}

impl StorageFile for MeteredFile {
    fn size_bytes(&self) -> io::Result<u64> {
        self.inner.size_bytes()
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.inner.read_exact_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_all_at(buf, offset)
    }
    fn append_at(&self, parts: &[&[u8]], offset: u64) -> io::Result<()> {
        self.inner.append_at(parts, offset)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync(&self) -> io::Result<()> {
        let started = Instant::now();
        let result = self.inner.sync();
        self.metrics.segment_synced(started.elapsed().as_secs_f64());
        result
    }
}
