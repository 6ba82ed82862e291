//! [`Storage`] on a real directory, with positional I/O and `fdatasync`. The directory is locked
//! for the life of the `FileStorage` so two processes never write one log. Appends
//! (`append_at`) use direct I/O where the file system allows it (`super::direct`); reads and
//! other writes go through the page cache, which the kernel keeps coherent with direct writes.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::direct::{self, Appender};
use super::{Storage, StorageFile};

/// Files under one directory.
#[derive(Debug)]
pub struct FileStorage {
    root: PathBuf,
    /// Held open for its advisory lock.
    _lock: File,
    /// Direct-I/O appends, shared by the storage's files; `None` when turned off.
    appender: Option<Arc<Mutex<Appender>>>,
    /// Tells the files apart for the appender.
    next_key: AtomicU64,
}

impl FileStorage {
    /// Opens (creating if needed) the directory `root` and locks it against other processes.
    pub fn open(root: impl AsRef<Path>) -> io::Result<FileStorage> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root)?;
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(root.join("LOCK"))?;
        lock.try_lock().map_err(|e| match e {
            fs::TryLockError::WouldBlock => io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "{} is already open (in another process, or elsewhere in this one: \
                     share one open database)",
                    root.display()
                ),
            ),
            fs::TryLockError::Error(e) => e,
        })?;
        Ok(FileStorage {
            root,
            _lock: lock,
            appender: Some(Arc::default()),
            next_key: AtomicU64::new(1),
        })
    }

    /// Whether appends use direct I/O where the file system allows it (default true). Off,
    /// every write goes through the page cache.
    pub fn direct_io(mut self, enabled: bool) -> FileStorage {
        self.appender = enabled.then(Arc::default);
        self
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, relative: &str) -> io::Result<PathBuf> {
        let valid = !relative.is_empty()
            && !relative.starts_with('/')
            && relative
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        if !valid {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad path {relative:?}"),
            ));
        }
        Ok(self.root.join(relative))
    }
}

impl Storage for FileStorage {
    fn open(&self, path: &str) -> io::Result<Arc<dyn StorageFile>> {
        let full = self.path(path)?;
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&full)?;
        Ok(Arc::new(DiskFile {
            file,
            key: self.next_key.fetch_add(1, Ordering::Relaxed),
            appender: self.appender.clone(),
        }))
    }

    fn exists(&self, path: &str) -> io::Result<bool> {
        self.path(path)?.try_exists()
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let full = self.path(dir)?;
        let entries = match fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        fs::rename(self.path(from)?, self.path(to)?)
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        fs::remove_file(self.path(path)?)
    }

    fn sync_dir(&self, dir: &str) -> io::Result<()> {
        let full = if dir.is_empty() {
            self.root.clone()
        } else {
            self.path(dir)?
        };
        sync_dir(&full)
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[derive(Debug)]
struct DiskFile {
    file: File,
    key: u64,
    appender: Option<Arc<Mutex<Appender>>>,
}

impl DiskFile {
    fn appender(&self) -> Option<MutexGuard<'_, Appender>> {
        // The appender's state is a cache of file bytes; after a panic mid-append its kept
        // tail is forgotten below, so continuing is sound.
        self.appender.as_ref().map(|a| {
            a.lock().unwrap_or_else(|poisoned| {
                let mut appender = poisoned.into_inner();
                appender.forget(self.key);
                appender
            })
        })
    }
}

impl StorageFile for DiskFile {
    fn size_bytes(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        if let Some(mut appender) = self.appender() {
            appender.forget(self.key);
        }
        self.file.write_all_at(buf, offset)
    }

    fn append_at(&self, parts: &[&[u8]], offset: u64) -> io::Result<()> {
        match self.appender() {
            Some(mut appender) => appender.append_at(self.key, &self.file, parts, offset),
            None => direct::write_buffered(&self.file, parts, offset),
        }
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        if let Some(mut appender) = self.appender() {
            appender.forget(self.key);
        }
        self.file.set_len(len)
    }

    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}
