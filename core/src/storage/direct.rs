//! Appends with direct I/O (`O_DIRECT`): segment frames go from a buffer of ours to the disk
//! without being copied into the page cache. Buffered appends cost kernel CPU that grows with
//! the bytes written — page-cache pages to allocate, fill, write back and reclaim — which made
//! the per-entry cost of a 10⁷-entry log twice that of a 10⁵-entry one
//! (`docs/internals/storage.md` has the measurements).
//!
//! Direct I/O moves whole aligned blocks from an aligned buffer. An append that starts inside
//! a block rewrites that block: its bytes before the append are the tail of the previous
//! append, kept here, or are read back from the file; its bytes after the append are zeros.
//! The rewritten bytes before the append are the ones already on disk, so a torn write can
//! lose only what is new.
//!
//! One `Appender` serves a whole [`super::FileStorage`]: the log appends to one segment at a
//! time, so it keeps one direct descriptor (of the file appended last) and one staging buffer,
//! whatever the number of segments.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt as _;

use super::APPEND_BLOCK_BYTES;

/// Bytes staged and written per system call; larger appends take several.
const STAGING_BYTES: usize = 1024 * 1024;

const _: () =
    assert!(STAGING_BYTES.is_multiple_of(APPEND_BLOCK_BYTES) && STAGING_BYTES > APPEND_BLOCK_BYTES);

/// The direct-I/O state of one storage.
#[derive(Debug, Default)]
pub(super) struct Appender {
    staging: Option<AlignedBuffer>,
    current: Option<Current>,
    /// The file system refused direct I/O: every append is buffered from then on.
    unsupported: bool,
}

/// The file appended last.
#[derive(Debug)]
struct Current {
    key: u64,
    direct: File,
    /// The last partial block written: where it starts and how many of its bytes are data
    /// (they are at the start of the staging buffer).
    tail: Option<(u64, usize)>,
}

impl Appender {
    /// Appends `parts`, one after another, at `offset` of the file `key`, open buffered as
    /// `buffered`.
    pub(super) fn append_at(
        &mut self,
        key: u64,
        buffered: &File,
        parts: &[&[u8]],
        offset: u64,
    ) -> io::Result<()> {
        if self.unsupported {
            return write_buffered(buffered, parts, offset);
        }
        if self.current.as_ref().is_none_or(|c| c.key != key) {
            self.current = None;
            match open_direct(buffered)? {
                Some(direct) => {
                    self.current = Some(Current {
                        key,
                        direct,
                        tail: None,
                    });
                }
                None => {
                    self.unsupported = true;
                    return write_buffered(buffered, parts, offset);
                }
            }
        }
        let staging = match &mut self.staging {
            Some(staging) => staging,
            None => self.staging.insert(AlignedBuffer::new(STAGING_BYTES)?),
        };
        let current = self.current.as_mut().expect("opened above");
        let result = write_blocks(current, staging.bytes_mut(), buffered, parts, offset);
        match result {
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                // EINVAL: this file system takes no direct I/O (or not with this alignment).
                // The refused write changed nothing; writing all the parts again is harmless.
                self.unsupported = true;
                self.current = None;
                write_buffered(buffered, parts, offset)
            }
            Err(e) => {
                current.tail = None;
                Err(e)
            }
            Ok(()) => Ok(()),
        }
    }

    /// Forgets the kept tail of file `key`: its bytes were changed some other way.
    pub(super) fn forget(&mut self, key: u64) {
        if let Some(current) = &mut self.current
            && current.key == key
        {
            current.tail = None;
        }
    }
}

/// Writes `parts` one after another from `offset` through the page cache.
pub(super) fn write_buffered(file: &File, parts: &[&[u8]], mut offset: u64) -> io::Result<()> {
    for part in parts {
        file.write_all_at(part, offset)?;
        offset += part.len() as u64;
    }
    Ok(())
}

/// Writes `parts` at `offset` through `current.direct`: as many as fit in the staging buffer
/// per system call (a flush of many small batches is one write, not one per batch).
fn write_blocks(
    current: &mut Current,
    staging: &mut [u8],
    buffered: &File,
    parts: &[&[u8]],
    mut offset: u64,
) -> io::Result<()> {
    let block = APPEND_BLOCK_BYTES as u64;
    let mut parts = parts.iter().copied();
    let mut part: &[u8] = &[];
    loop {
        let block_start = offset - offset % block;
        let head = (offset - block_start) as usize;
        let mut end = head;
        while end < staging.len() {
            if part.is_empty() {
                match parts.next() {
                    Some(next) => part = next,
                    None => break,
                }
                continue;
            }
            let n = part.len().min(staging.len() - end);
            staging[end..end + n].copy_from_slice(&part[..n]);
            part = &part[n..];
            end += n;
        }
        if end == head {
            return Ok(());
        }
        if current.tail != Some((block_start, head)) {
            current.tail = None;
            read_head(buffered, &mut staging[..head], block_start)?;
        }
        let padded = end.next_multiple_of(APPEND_BLOCK_BYTES);
        staging[end..padded].fill(0);
        current
            .direct
            .write_all_at(&staging[..padded], block_start)?;
        let whole = end - end % APPEND_BLOCK_BYTES;
        staging.copy_within(whole..end, 0);
        current.tail = Some((block_start + whole as u64, end - whole));
        offset += (end - head) as u64;
    }
}

/// Fills `head` with the file's bytes from `offset`, zeros where the file ends first.
fn read_head(file: &File, head: &mut [u8], offset: u64) -> io::Result<()> {
    let mut filled = 0;
    while filled < head.len() {
        match file.read_at(&mut head[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head[filled..].fill(0);
    Ok(())
}

/// A second descriptor of `file` for direct writes, or `None` where the file system refuses
/// them. It is opened through `/proc/self/fd`, which names the open file itself, so it is the
/// same file even after a rename (prepared segments are renamed into place).
fn open_direct(file: &File) -> io::Result<Option<File>> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let path = format!("/proc/self/fd/{}", file.as_raw_fd());
        match OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
        {
            Ok(file) => Ok(Some(file)),
            // EINVAL: no direct I/O on this file system; ENOENT: no /proc.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidInput | io::ErrorKind::NotFound
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, OpenOptions::new());
        Ok(None)
    }
}

/// A zeroed buffer whose start is aligned to `APPEND_BLOCK_BYTES`.
#[derive(Debug)]
struct AlignedBuffer {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuffer {
    fn new(len: usize) -> io::Result<AlignedBuffer> {
        let raw = vec![0u8; len + APPEND_BLOCK_BYTES];
        let start = raw.as_ptr().align_offset(APPEND_BLOCK_BYTES);
        if start >= APPEND_BLOCK_BYTES {
            return Err(io::Error::other("cannot align a direct-I/O buffer"));
        }
        Ok(AlignedBuffer { raw, start, len })
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A directory on the disk the crate is built on (`/tmp` may be tmpfs).
    fn disk_dir() -> tempfile::TempDir {
        tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("tempdir")
    }

    fn appender_file(dir: &Path, name: &str) -> File {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join(name))
            .expect("create")
    }

    /// Appends of every alignment, some larger than the staging buffer, read back buffered.
    #[test]
    fn appends_of_any_size_and_offset_read_back() {
        let dir = disk_dir();
        let file = appender_file(dir.path(), "segment");
        let mut appender = Appender::default();
        let mut expected = Vec::new();
        let sizes = [
            1usize,
            7,
            4095,
            4096,
            4097,
            100,
            STAGING_BYTES + 13,
            3,
            8192,
            50_000,
        ];
        for (i, &size) in sizes.iter().enumerate() {
            let bytes: Vec<u8> = (0..size).map(|j| (i * 31 + j % 251) as u8 | 1).collect();
            appender
                .append_at(1, &file, &[&bytes], expected.len() as u64)
                .expect("append");
            expected.extend_from_slice(&bytes);
            let mut back = vec![0u8; expected.len()];
            file.read_exact_at(&mut back, 0).expect("read");
            assert_eq!(back, expected, "after append {i} of {size} bytes");
            let on_disk = file.metadata().expect("metadata").len() as usize;
            assert!(on_disk >= expected.len() && on_disk - expected.len() < APPEND_BLOCK_BYTES);
        }
        assert!(
            cfg!(not(target_os = "linux")) || !appender.unsupported,
            "direct I/O was refused on the build disk"
        );
    }

    /// The head of a block written some other way is read back, not taken from a stale tail.
    #[test]
    fn a_forgotten_tail_is_read_back() {
        let dir = disk_dir();
        let file = appender_file(dir.path(), "segment");
        let mut appender = Appender::default();
        appender
            .append_at(1, &file, &[&[1u8; 100]], 0)
            .expect("append");
        file.write_all_at(&[2u8; 50], 50).expect("buffered write");
        appender.forget(1);
        appender
            .append_at(1, &file, &[&[3u8; 10]], 100)
            .expect("append");
        let mut back = vec![0u8; 110];
        file.read_exact_at(&mut back, 0).expect("read");
        assert_eq!(&back[..50], &[1u8; 50]);
        assert_eq!(&back[50..100], &[2u8; 50]);
        assert_eq!(&back[100..], &[3u8; 10]);
    }

    /// Many parts, some empty, some spanning staging buffers, land one after another.
    #[test]
    fn parts_are_written_in_order() {
        let dir = disk_dir();
        let file = appender_file(dir.path(), "segment");
        let mut appender = Appender::default();
        let owned: Vec<Vec<u8>> = (0..200usize)
            .map(|i| vec![(i % 250) as u8 + 1; (i * 977) % 20_000])
            .collect();
        let parts: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        appender
            .append_at(1, &file, &parts[..100], 10)
            .expect("first");
        let first: usize = owned[..100].iter().map(Vec::len).sum();
        appender
            .append_at(1, &file, &parts[100..], 10 + first as u64)
            .expect("second");
        let expected: Vec<u8> = std::iter::repeat_n(0u8, 10).chain(owned.concat()).collect();
        let mut back = vec![0u8; expected.len()];
        file.read_exact_at(&mut back, 0).expect("read");
        assert!(back == expected, "bytes differ");
    }

    /// A file renamed after it was opened is still the one appended to.
    #[test]
    fn appends_follow_a_renamed_file() {
        let dir = disk_dir();
        let file = appender_file(dir.path(), "segment.prep");
        std::fs::rename(dir.path().join("segment.prep"), dir.path().join("segment"))
            .expect("rename");
        let mut appender = Appender::default();
        appender
            .append_at(1, &file, &[b"after rename"], 0)
            .expect("append");
        let back = std::fs::read(dir.path().join("segment")).expect("read");
        assert_eq!(&back[..12], b"after rename");
    }

    /// Two files appended in turn each keep their own bytes.
    #[test]
    fn switching_files_keeps_both() {
        let dir = disk_dir();
        let file_a = appender_file(dir.path(), "a");
        let file_b = appender_file(dir.path(), "b");
        let mut appender = Appender::default();
        appender.append_at(1, &file_a, &[b"aaaa"], 0).expect("a");
        appender.append_at(2, &file_b, &[b"bbbbbb"], 0).expect("b");
        appender
            .append_at(1, &file_a, &[b"AA"], 4)
            .expect("a again");
        let mut a = [0u8; 6];
        file_a.read_exact_at(&mut a, 0).expect("read a");
        assert_eq!(&a, b"aaaaAA");
        let mut b = [0u8; 6];
        file_b.read_exact_at(&mut b, 0).expect("read b");
        assert_eq!(&b, b"bbbbbb");
    }
}
