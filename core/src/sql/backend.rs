//! redb's storage on top of core's [`Storage`] trait, so a projection lives next to the log:
//! on disk with `FileStorage`, in memory (with fault injection) with `MemoryStorage`.
//!
//! Invariant: the backend only forwards calls; redb's own commit protocol (checksummed commit
//! slots, copy-on-write pages) decides what survives a crash, and a projection that does not
//! open is rebuilt from the log.

use std::io;
use std::sync::Arc;

use crate::storage::StorageFile;

/// One storage file as a redb backend.
#[derive(Debug)]
pub(crate) struct FileBackend {
    file: Arc<dyn StorageFile>,
}

impl FileBackend {
    pub(crate) fn new(file: Arc<dyn StorageFile>) -> FileBackend {
        FileBackend { file }
    }
}

impl redb::StorageBackend for FileBackend {
    fn len(&self) -> Result<u64, io::Error> {
        self.file.size_bytes()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.file.read_exact_at(out, offset)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.file.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.file.sync()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.file.write_all_at(data, offset)
    }
}
