//! The narrow interface between the log and the bytes it keeps: named files with positional
//! reads and writes, `sync`, and a few directory operations. Two implementations:
//! [`FileStorage`] on a real directory, and [`MemoryStorage`], which can inject the faults a
//! disk and a crash cause (torn writes, lost unsynced writes, bit flips, failing fsync).
//!
//! Contract the log relies on: bytes written to a file are readable at once; they survive a
//! crash only after `sync` of that file returns Ok; a file's name (creation, rename) survives
//! a crash only after a later `sync_dir` of the directory holding it (and, for a new
//! directory, of its parent). After a failed `sync` nothing about the unsynced
//! bytes is known. `append_at` may leave zeros after what it wrote, up to the next multiple of
//! [`APPEND_BLOCK_BYTES`]: the log appends segment frames with it, and recovery reads zeros
//! after the last frame as the end.

mod direct;
mod file;
mod memory;

use std::fmt;
use std::io;
use std::sync::Arc;

pub use file::FileStorage;

/// The block that `append_at` writes whole: a multiple of every disk's logical block, as
/// direct I/O requires.
pub const APPEND_BLOCK_BYTES: usize = 4096;
pub use memory::{CrashOptions, MemoryStorage};

/// A directory of named files. Paths are relative, `/`-separated, without `..`.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Opens a file, creating it (and its parent directories) if missing.
    fn open(&self, path: &str) -> io::Result<Arc<dyn StorageFile>>;
    /// Whether a file exists.
    fn exists(&self, path: &str) -> io::Result<bool>;
    /// The names of the files directly inside `dir`, sorted.
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
    /// Replaces `to` with `from` atomically.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Deletes a file (durably after `sync_dir` of its directory).
    fn remove(&self, path: &str) -> io::Result<()>;
    /// Makes creations and renames of files directly inside `dir` (`""` is the root) survive
    /// a crash.
    fn sync_dir(&self, dir: &str) -> io::Result<()>;
}

/// One open file.
pub trait StorageFile: Send + Sync + fmt::Debug {
    /// The file's length in bytes.
    fn size_bytes(&self) -> io::Result<u64>;
    /// Fills `buf` from `offset`; an error if the file ends first.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Writes all of `buf` at `offset`, growing the file if needed.
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Writes `parts`, one after another, from `offset` of a file whose bytes after `offset`
    /// do not matter: the bytes after the last part up to the next multiple of
    /// [`APPEND_BLOCK_BYTES`] may become zeros. Files may serve it with direct I/O, bypassing
    /// the page cache.
    fn append_at(&self, parts: &[&[u8]], mut offset: u64) -> io::Result<()> {
        for part in parts {
            self.write_all_at(part, offset)?;
            offset += part.len() as u64;
        }
        Ok(())
    }
    /// Truncates or extends the file.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes the file's bytes survive a crash.
    fn sync(&self) -> io::Result<()>;
}
