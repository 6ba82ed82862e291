//! [`Storage`] in memory, for `Db::open_in_memory` and for deterministic fault injection.
//!
//! Every write since a file's last successful `sync` is kept in an undo log, so a crash can be
//! simulated at any moment: [`MemoryStorage::crash_image`] rebuilds what a disk could hold
//! after power loss — the synced bytes, then a random prefix of the unsynced writes, the last
//! one possibly torn and followed by garbage — and only the names made durable by `sync_dir`.
//! [`MemoryStorage::crash_after_ops`] makes the storage "die" after a number of mutating
//! operations (every later call fails), so a crash can land at any point of a write path.
//! Bit flips and failing `sync` calls can be injected too.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};

use super::{APPEND_BLOCK_BYTES, Storage, StorageFile};

/// Files in memory with optional fault injection. Clones share the same files.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    state: Arc<Mutex<State>>,
}

/// How a crash image treats bytes that were written but not synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashOptions {
    /// Lose a random suffix of each file's unsynced writes (power loss). When false, every
    /// write survives, as when only the process dies and the kernel keeps its page cache.
    pub lose_unsynced: bool,
    /// The first lost write may be torn: a prefix of it persists.
    pub torn_writes: bool,
    /// A torn write may be followed by random garbage instead of nothing.
    pub garbage: bool,
}

impl CrashOptions {
    /// Power loss with every fault enabled.
    pub const POWER_LOSS: CrashOptions = CrashOptions {
        lose_unsynced: true,
        torn_writes: true,
        garbage: true,
    };
    /// A killed process: everything written survives.
    pub const PROCESS_KILL: CrashOptions = CrashOptions {
        lose_unsynced: false,
        torn_writes: false,
        garbage: false,
    };
}

#[derive(Debug, Default)]
struct State {
    files: Vec<MemFile>,
    names: BTreeMap<String, usize>,
    durable_names: BTreeMap<String, usize>,
    /// Mutating operations left before the simulated crash.
    ops_until_crash: Option<u64>,
    crashed: bool,
    failing_syncs: u32,
}

#[derive(Debug, Default, Clone)]
struct MemFile {
    data: Vec<u8>,
    /// Operations since the last successful sync, oldest first.
    unsynced: Vec<Op>,
}

#[derive(Debug, Clone)]
enum Op {
    Write {
        offset: u64,
        bytes: Vec<u8>,
        overwritten: Vec<u8>,
        old_len: u64,
    },
    SetLen {
        new_len: u64,
        old_len: u64,
        removed: Vec<u8>,
    },
}

impl MemoryStorage {
    /// Empty storage without faults.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// After `ops` more mutating operations (writes, truncations, syncs, creations, renames),
    /// the storage dies: that operation and every later one fail.
    pub fn crash_after_ops(&self, ops: u64) {
        self.lock().ops_until_crash = Some(ops);
    }

    /// Whether the simulated crash has happened.
    pub fn has_crashed(&self) -> bool {
        self.lock().crashed
    }

    /// The next `count` calls to `sync` fail (and leave their writes unsynced).
    pub fn fail_syncs(&self, count: u32) {
        self.lock().failing_syncs = count;
    }

    /// What the disk could hold after a crash now, as a new storage without pending writes.
    /// `seed` chooses which unsynced writes survive and how they tear.
    pub fn crash_image(&self, seed: u64, options: CrashOptions) -> MemoryStorage {
        let state = self.lock();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut image = State::default();
        for (name, &id) in &state.durable_names {
            let file = crashed_file(&state.files[id], &mut rng, options);
            image.names.insert(name.clone(), image.files.len());
            image.durable_names.insert(name.clone(), image.files.len());
            image.files.push(file);
        }
        MemoryStorage {
            state: Arc::new(Mutex::new(image)),
        }
    }

    /// Flips one bit of a file in place (media corruption, synced or not).
    pub fn flip_bit(&self, path: &str, offset: u64, bit: u8) -> io::Result<()> {
        let mut state = self.lock();
        let id = *state.names.get(path).ok_or_else(|| not_found(path))?;
        let data = &mut state.files[id].data;
        let index = usize::try_from(offset).ok().filter(|&i| i < data.len());
        let index = index.ok_or_else(|| io::Error::other("bit flip past the end of the file"))?;
        data[index] ^= 1 << (bit % 8);
        Ok(())
    }

    /// A copy of a file's current bytes.
    pub fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
        let state = self.lock();
        state
            .names
            .get(path)
            .map(|&id| state.files[id].data.clone())
    }

    /// Replaces a file's bytes, durably (to build corrupt inputs in tests).
    pub fn put_file(&self, path: &str, bytes: Vec<u8>) {
        let mut state = self.lock();
        let file = MemFile {
            data: bytes,
            unsynced: Vec::new(),
        };
        let id = state.files.len();
        state.files.push(file);
        state.names.insert(path.to_owned(), id);
        state.durable_names.insert(path.to_owned(), id);
    }

    /// The names of all files.
    pub fn paths(&self) -> Vec<String> {
        self.lock().names.keys().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock can only come from a bug in this module; the
        // state stays structurally valid, so continue with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    /// Counts one mutating operation against the crash budget.
    fn mutate(&mut self) -> io::Result<()> {
        if self.crashed {
            return Err(crashed());
        }
        if let Some(left) = self.ops_until_crash.as_mut() {
            if *left == 0 {
                self.crashed = true;
                return Err(crashed());
            }
            *left -= 1;
        }
        Ok(())
    }

    fn alive(&self) -> io::Result<()> {
        if self.crashed { Err(crashed()) } else { Ok(()) }
    }
}

/// A number below `bound` (0 when `bound` is 0), to choose faults.
fn below(rng: &mut ChaCha8Rng, bound: u64) -> u64 {
    if bound == 0 {
        0
    } else {
        rng.next_u64() % bound
    }
}

fn crashed_file(file: &MemFile, rng: &mut ChaCha8Rng, options: CrashOptions) -> MemFile {
    let mut data = file.data.clone();
    for op in file.unsynced.iter().rev() {
        undo(&mut data, op);
    }
    let kept = if options.lose_unsynced {
        below(rng, file.unsynced.len() as u64 + 1) as usize
    } else {
        file.unsynced.len()
    };
    for op in &file.unsynced[..kept] {
        redo(&mut data, op);
    }
    if let Some(Op::Write { offset, bytes, .. }) = file.unsynced.get(kept)
        && options.torn_writes
        && below(rng, 2) == 1
    {
        let torn = below(rng, bytes.len() as u64) as usize;
        let mut partial = bytes[..torn].to_vec();
        if options.garbage && below(rng, 2) == 1 {
            let garbage = below(rng, (bytes.len() - torn) as u64 + 1) as usize;
            partial.extend((0..garbage).map(|_| rng.next_u64() as u8));
        }
        write_at(&mut data, *offset, &partial);
    }
    MemFile {
        data,
        unsynced: Vec::new(),
    }
}

fn undo(data: &mut Vec<u8>, op: &Op) {
    match op {
        Op::Write {
            offset,
            overwritten,
            old_len,
            ..
        } => {
            write_at(data, *offset, overwritten);
            data.truncate(*old_len as usize);
        }
        Op::SetLen {
            old_len, removed, ..
        } => {
            data.resize(*old_len as usize - removed.len(), 0);
            data.extend_from_slice(removed);
        }
    }
}

fn redo(data: &mut Vec<u8>, op: &Op) {
    match op {
        Op::Write { offset, bytes, .. } => write_at(data, *offset, bytes),
        Op::SetLen { new_len, .. } => data.resize(*new_len as usize, 0),
    }
}

fn write_at(data: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    let start = offset as usize;
    let end = start + bytes.len();
    if data.len() < end {
        data.resize(end, 0);
    }
    data[start..end].copy_from_slice(bytes);
}

fn crashed() -> io::Error {
    io::Error::other("simulated crash: the storage is gone")
}

fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no file {path}"))
}

impl Storage for MemoryStorage {
    fn open(&self, path: &str) -> io::Result<Arc<dyn StorageFile>> {
        let mut state = self.lock();
        let id = match state.names.get(path) {
            Some(&id) => {
                state.alive()?;
                id
            }
            None => {
                state.mutate()?;
                state.files.push(MemFile::default());
                let id = state.files.len() - 1;
                state.names.insert(path.to_owned(), id);
                id
            }
        };
        Ok(Arc::new(MemHandle {
            storage: self.clone(),
            id,
        }))
    }

    fn exists(&self, path: &str) -> io::Result<bool> {
        let state = self.lock();
        state.alive()?;
        Ok(state.names.contains_key(path))
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let state = self.lock();
        state.alive()?;
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        Ok(state
            .names
            .keys()
            .filter_map(|name| name.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(str::to_owned)
            .collect())
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut state = self.lock();
        state.mutate()?;
        let id = state.names.remove(from).ok_or_else(|| not_found(from))?;
        state.names.insert(to.to_owned(), id);
        Ok(())
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        let mut state = self.lock();
        state.mutate()?;
        state
            .names
            .remove(path)
            .map(drop)
            .ok_or_else(|| not_found(path))
    }

    fn sync_dir(&self, dir: &str) -> io::Result<()> {
        let mut state = self.lock();
        state.mutate()?;
        let in_dir = |name: &str| match name.rsplit_once('/') {
            Some((parent, _)) => parent == dir,
            None => dir.is_empty(),
        };
        state.durable_names.retain(|name, _| !in_dir(name));
        let current: Vec<(String, usize)> = state
            .names
            .iter()
            .filter(|(name, _)| in_dir(name))
            .map(|(n, &id)| (n.clone(), id))
            .collect();
        state.durable_names.extend(current);
        Ok(())
    }
}

#[derive(Debug)]
struct MemHandle {
    storage: MemoryStorage,
    id: usize,
}

impl StorageFile for MemHandle {
    fn size_bytes(&self) -> io::Result<u64> {
        let state = self.storage.lock();
        state.alive()?;
        Ok(state.files[self.id].data.len() as u64)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let state = self.storage.lock();
        state.alive()?;
        let data = &state.files[self.id].data;
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = start
            .checked_add(buf.len())
            .filter(|&end| end <= data.len());
        let end =
            end.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past end"))?;
        buf.copy_from_slice(&data[start..end]);
        Ok(())
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut state = self.storage.lock();
        state.mutate()?;
        let file = &mut state.files[self.id];
        let old_len = file.data.len() as u64;
        let start = (offset as usize).min(file.data.len());
        let end = (offset as usize + buf.len()).min(file.data.len());
        let overwritten = file.data[start..end].to_vec();
        write_at(&mut file.data, offset, buf);
        file.unsynced.push(Op::Write {
            offset,
            bytes: buf.to_vec(),
            overwritten,
            old_len,
        });
        Ok(())
    }

    /// Like a direct-I/O file: one write of all the parts, the block it ends in written
    /// whole, zeros after.
    fn append_at(&self, parts: &[&[u8]], offset: u64) -> io::Result<()> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let padded_len =
            (offset as usize + len).next_multiple_of(APPEND_BLOCK_BYTES) - offset as usize;
        let mut padded = Vec::with_capacity(padded_len);
        for part in parts {
            padded.extend_from_slice(part);
        }
        padded.resize(padded_len, 0);
        self.write_all_at(&padded, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut state = self.storage.lock();
        state.mutate()?;
        let file = &mut state.files[self.id];
        let old_len = file.data.len() as u64;
        let removed = file
            .data
            .get(len as usize..)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        file.data.resize(len as usize, 0);
        file.unsynced.push(Op::SetLen {
            new_len: len,
            old_len,
            removed,
        });
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = self.storage.lock();
        state.mutate()?;
        if state.failing_syncs > 0 {
            state.failing_syncs -= 1;
            return Err(io::Error::other("simulated fsync failure (EIO)"));
        }
        state.files[self.id].unsynced.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synced_bytes_survive_and_unsynced_may_not() {
        let storage = MemoryStorage::new();
        let file = storage.open("a").unwrap();
        storage.sync_dir("").unwrap();
        file.write_all_at(b"hello", 0).unwrap();
        file.sync().unwrap();
        file.write_all_at(b" world", 5).unwrap();
        let mut saw_short = false;
        let mut saw_long = false;
        for seed in 0..64 {
            let image = storage.crash_image(seed, CrashOptions::POWER_LOSS);
            let bytes = image.file_bytes("a").unwrap();
            assert!(bytes.starts_with(b"hello"), "synced bytes lost: {bytes:?}");
            saw_short |= bytes.len() == 5;
            saw_long |= bytes == b"hello world";
        }
        assert!(saw_short && saw_long);
        let kept = storage.crash_image(0, CrashOptions::PROCESS_KILL);
        assert_eq!(kept.file_bytes("a").unwrap(), b"hello world");
    }

    #[test]
    fn names_need_sync_dir() {
        let storage = MemoryStorage::new();
        let file = storage.open("dir/a").unwrap();
        file.write_all_at(b"x", 0).unwrap();
        file.sync().unwrap();
        assert!(
            storage
                .crash_image(1, CrashOptions::POWER_LOSS)
                .file_bytes("dir/a")
                .is_none()
        );
        storage.sync_dir("dir").unwrap();
        assert_eq!(
            storage
                .crash_image(1, CrashOptions::POWER_LOSS)
                .file_bytes("dir/a")
                .unwrap(),
            b"x"
        );
    }

    #[test]
    fn crash_after_ops_fails_everything_after() {
        let storage = MemoryStorage::new();
        let file = storage.open("a").unwrap();
        storage.crash_after_ops(1);
        file.write_all_at(b"1", 0).unwrap();
        assert!(file.write_all_at(b"2", 1).is_err());
        assert!(file.sync().is_err());
        assert!(storage.has_crashed());
    }

    #[test]
    fn failed_sync_leaves_writes_unsynced() {
        let storage = MemoryStorage::new();
        let file = storage.open("a").unwrap();
        storage.sync_dir("").unwrap();
        file.write_all_at(b"abc", 0).unwrap();
        storage.fail_syncs(1);
        assert!(file.sync().is_err());
        let lost = (0..32).any(|seed| {
            storage
                .crash_image(seed, CrashOptions::POWER_LOSS)
                .file_bytes("a")
                .unwrap()
                != b"abc"
        });
        assert!(lost);
    }
}
