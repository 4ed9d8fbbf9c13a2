//! Output files written around the page cache: a build writes gigabytes of shards once and
//! reads none of them back, so on Linux they are written with `O_DIRECT` in aligned blocks. The
//! kernel then moves each block to the disk without first copying it into page-cache pages it
//! must allocate (on a virtual machine, memory that is new to the guest is slow to touch), and
//! the sync that completes a shard has little left to do.
//!
//! Where `O_DIRECT` is not taken (another system, a file system that refuses it at open, such as
//! tmpfs before Linux 6.6, or at a write), the same bytes are written through the page cache.
//! A file's last partial page (its length past the last multiple of the alignment) is always
//! written that way.
//! std's `BufWriter` and no crate we use write around the page cache, hence this module.
//!
//! A file can also be made without a name ([`DirectFile::create_unnamed`], Linux's
//! `O_TMPFILE`) and named once complete ([`link`]): `media.csv`, written ahead while a conversion
//! runs, is never seen half-written under any name, and vanishes if the run stops.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Alignment of `O_DIRECT` buffers, file offsets and lengths: the largest logical block size of
/// common disks.
const ALIGN: usize = 4096;
/// Bytes gathered before a block is written (a multiple of [`ALIGN`]). Each block is one request
/// to the disk; on a virtual machine each request is also an exit to the host (virtio's notify),
/// which with blocks of 512 KiB was 2% of a conversion's CPU time.
pub const BLOCK_BYTES: usize = 2 << 20;

/// Buffers of closed files kept for the next ones: a fresh buffer is memory the kernel or the
/// allocator zeroes (2 MiB per shard). At most this many are kept.
const SPARE_BUFFERS: usize = 8;
static SPARE: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// A buffer of `BLOCK_BYTES + ALIGN` bytes (of whatever content): a spare one, else a new one.
fn take_buffer() -> Vec<u8> {
    let spare = SPARE.lock().map(|mut spare| spare.pop()).unwrap_or(None);
    spare.unwrap_or_else(|| vec![0u8; BLOCK_BYTES + ALIGN])
}

/// Keeps `buffer` for the next file, unless [`SPARE_BUFFERS`] are kept already.
fn give_back(buffer: Vec<u8>) {
    if let Ok(mut spare) = SPARE.lock() {
        if spare.len() < SPARE_BUFFERS && buffer.len() == BLOCK_BYTES + ALIGN {
            spare.push(buffer);
        }
    }
}

/// A file created new and written in blocks of [`BLOCK_BYTES`] with `O_DIRECT` where the system
/// and the file system take it, else through the page cache; [`DirectFile::finish`] writes the
/// rest and returns the file.
pub struct DirectFile {
    /// The file; `None` only once [`DirectFile::finish`] took it.
    file: Option<File>,
    /// `BLOCK_BYTES + ALIGN` bytes, of which `buffer[start..start + BLOCK_BYTES]` is aligned.
    buffer: Vec<u8>,
    start: usize,
    /// Bytes gathered in the block.
    len: usize,
    /// Whether the file is open with `O_DIRECT`.
    direct: bool,
}

impl DirectFile {
    /// Creates `path` (it must not exist), with `O_DIRECT` where it is taken.
    ///
    /// Errors: the file exists or cannot be created.
    pub fn create_new(path: &Path) -> std::io::Result<DirectFile> {
        let (file, direct) = open_new(path)?;
        Ok(DirectFile::from_file(file, direct))
    }

    /// Creates a file without a name in the directory `dir` (Linux's `O_TMPFILE`), open for
    /// reading too, with `O_DIRECT` where it is taken: a file that vanishes when closed unless
    /// [`link`] names it. `None` where the system or the file system has no such files.
    ///
    /// Errors: another failure to create it (`dir` missing, no space, no permission).
    pub fn create_unnamed(dir: &Path) -> std::io::Result<Option<DirectFile>> {
        Ok(open_unnamed(dir)?.map(|(file, direct)| DirectFile::from_file(file, direct)))
    }

    fn from_file(file: File, direct: bool) -> DirectFile {
        let buffer = take_buffer();
        // Computed from the address: `align_offset` may answer usize::MAX by its contract.
        let start = (ALIGN - buffer.as_ptr() as usize % ALIGN) % ALIGN;
        DirectFile {
            file: Some(file),
            buffer,
            start,
            len: 0,
            direct,
        }
    }

    /// Appends `bytes`, writing each block as it fills.
    ///
    /// Errors: a write fails.
    pub fn write_all(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            let take = (BLOCK_BYTES - self.len).min(bytes.len());
            let at = self.start + self.len;
            self.buffer[at..at + take].copy_from_slice(&bytes[..take]);
            self.len += take;
            bytes = &bytes[take..];
            if self.len == BLOCK_BYTES {
                self.write_block()?;
            }
        }
        Ok(())
    }

    /// Writes what is gathered (its last partial page through the page cache) and
    /// returns the file, not synced, without `O_DIRECT`: reads and writes of any offset, length
    /// and buffer (a file of [`DirectFile::create_unnamed`] is read back, or copied, from
    /// offsets and into buffers that are not aligned).
    ///
    /// Errors: a write fails, or `O_DIRECT` cannot be turned off.
    pub fn finish(mut self) -> std::io::Result<File> {
        let tail = self.len % ALIGN;
        if tail != 0 {
            // The whole pages of the last block still go around the page cache (a shard's last
            // block is up to 2 MiB); only the last partial page goes through it.
            let whole = self.len - tail;
            if whole > 0 {
                self.len = whole;
                self.write_block()?;
                let at = self.start + whole;
                self.buffer.copy_within(at..at + tail, self.start);
                self.len = tail;
            }
            self.set_direct(false)?;
        }
        self.write_block()?;
        self.set_direct(false)?;
        Ok(self.file.take().expect("finish takes the file once"))
    }

    /// Writes the gathered block at the file's end; a write `O_DIRECT` refuses ([`refuses_direct`]) is
    /// done again, from where it stopped, through the page cache.
    fn write_block(&mut self) -> std::io::Result<()> {
        let mut done = 0;
        while done < self.len {
            let block = &self.buffer[self.start + done..self.start + self.len];
            let file = self.file.as_mut().expect("the file is there until finish");
            match file.write(block) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if self.direct && refuses_direct(&e) => self.set_direct(false)?,
                Err(e) => return Err(e),
            }
        }
        self.len = 0;
        Ok(())
    }

    /// Turns `O_DIRECT` on or off for the rest of the file.
    fn set_direct(&mut self, direct: bool) -> std::io::Result<()> {
        if self.direct != direct {
            set_o_direct(self.file.as_ref().expect("the file is there until finish"), direct)?;
            self.direct = direct;
        }
        Ok(())
    }
}

impl Drop for DirectFile {
    /// Gives the buffer back for the next file ([`SPARE_BUFFERS`]).
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.buffer));
    }
}

/// Whether `e` is how a file system refuses `O_DIRECT`: `EINVAL` (ext4 and most others, for an
/// open or a misaligned write) or `EOPNOTSUPP` (some FUSE and network file systems).
fn refuses_direct(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    return matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EOPNOTSUPP));
    #[cfg(not(target_os = "linux"))]
    return false;
}

/// Opens `path` new for writing: with `O_DIRECT` on Linux when the file system takes it (the
/// flag, whether it was taken), else without. The file is created without the flag, which is
/// then turned on: a file system that refuses `O_DIRECT` at open (ramfs, tmpfs before Linux 6.6)
/// refuses it after creating the file, and a second `create_new` would find it there (`EEXIST`).
fn open_new(path: &Path) -> std::io::Result<(File, bool)> {
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    #[cfg(target_os = "linux")]
    match set_o_direct(&file, true) {
        Ok(()) => return Ok((file, true)),
        Err(e) if refuses_direct(&e) => {}
        Err(e) => return Err(e),
    }
    Ok((file, false))
}

/// Opens a file without a name in `dir` for reading and writing (`O_TMPFILE`), with `O_DIRECT`
/// when the file system takes it (the flag, whether it was taken); `None` when the system or the
/// file system has no such files.
fn open_unnamed(dir: &Path) -> std::io::Result<Option<(File, bool)>> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        for direct in [true, false] {
            let flags = if direct {
                libc::O_TMPFILE | libc::O_DIRECT
            } else {
                libc::O_TMPFILE
            };
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(flags)
                .open(dir)
            {
                Ok(file) => return Ok(Some((file, direct))),
                Err(e) if direct && refuses_direct(&e) => {}
                // Older kernels and file systems without O_TMPFILE (EOPNOTSUPP), or that read it
                // as O_DIRECTORY alone (EISDIR).
                Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)) => {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        Ok(None)
    }
}

/// Names `file`, a file made by [`DirectFile::create_unnamed`] and finished, `path` (which must
/// not exist), through `/proc/self/fd` (`linkat` with `AT_SYMLINK_FOLLOW`, which needs no
/// privilege).
///
/// Errors: `path` exists, or the link cannot be made (no `/proc`, another file system).
pub fn link(file: &File, path: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        use std::os::unix::ffi::OsStrExt;
        let from = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
        let to = std::ffi::CString::new(path.as_os_str().as_bytes())?;
        // SAFETY: both are NUL-terminated paths that live across the call.
        let done = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if done != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, path);
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

#[cfg(target_os = "linux")]
fn set_o_direct(file: &File, direct: bool) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this File owns, reading and setting its status flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let flags = if direct {
        flags | libc::O_DIRECT
    } else {
        flags & !libc::O_DIRECT
    };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn set_o_direct(_file: &File, _direct: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The file systems the tests write on: the temporary directory's, and tmpfs (`/dev/shm`)
    /// where it is mounted.
    fn file_systems() -> Vec<PathBuf> {
        let mut bases = vec![std::env::temp_dir()];
        if Path::new("/dev/shm").is_dir() {
            bases.push(PathBuf::from("/dev/shm"));
        }
        bases
    }

    /// A fresh empty directory `avfit-<name>-<pid>` under `base`.
    fn fresh_dir(base: &Path, name: &str) -> PathBuf {
        let dir = base.join(format!("avfit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Whatever the sizes of the writes, the file holds their bytes in order: several blocks,
    /// a write across a block's end, an aligned and an unaligned last block, nothing at all. Each
    /// file after the first is written through a buffer a closed one gave back, still holding its
    /// bytes.
    #[test]
    fn a_file_holds_every_byte_written_in_order() {
        let dir = fresh_dir(&std::env::temp_dir(), "direct-file");
        let pattern: Vec<u8> = (0..3 * BLOCK_BYTES + 5_000).map(|i| (i * 7 % 251) as u8).collect();
        for (name, total, piece) in [
            ("empty", 0, 1),
            ("one-byte", 1, 1),
            ("aligned", 2 * BLOCK_BYTES, 4096),
            ("odd-pieces", 3 * BLOCK_BYTES + 5_000, 999),
            ("one-piece", 3 * BLOCK_BYTES + 5_000, 3 * BLOCK_BYTES + 5_000),
            ("block-and-a-half", BLOCK_BYTES + BLOCK_BYTES / 2 + ALIGN, 70_001),
        ] {
            let path = dir.join(name);
            let mut file = DirectFile::create_new(&path).unwrap();
            for chunk in pattern[..total].chunks(piece) {
                file.write_all(chunk).unwrap();
            }
            file.finish().unwrap().sync_all().unwrap();
            assert!(std::fs::read(&path).unwrap() == pattern[..total], "{name}");
            assert!(DirectFile::create_new(&path).is_err(), "{name} exists");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Every size around the alignment and the block, on the temporary directory's file system
    /// and on tmpfs (`/dev/shm`, which takes `O_DIRECT` at open and any alignment), and with a
    /// misaligned buffer, whose first `O_DIRECT` write a disk file system refuses (`EINVAL`) and
    /// the page cache then takes: the file holds exactly the bytes written.
    #[test]
    fn every_size_is_written_whole_on_disk_on_tmpfs_and_after_a_refused_write() {
        let sizes = [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            ALIGN + 1,
            BLOCK_BYTES - 1,
            BLOCK_BYTES,
            BLOCK_BYTES + 1,
            3 * BLOCK_BYTES + ALIGN,
            3 * BLOCK_BYTES + 7,
            // A last block of whole pages and a partial one.
            BLOCK_BYTES + 3 * ALIGN + 5,
        ];
        let pattern: Vec<u8> = (0..4 * BLOCK_BYTES).map(|i| (i * 13 % 253) as u8).collect();
        for base in file_systems() {
            let dir = fresh_dir(&base, "direct-sizes");
            for misaligned in [false, true] {
                for size in sizes {
                    let path = dir.join(format!("{size}-{misaligned}"));
                    let mut file = DirectFile::create_new(&path).unwrap();
                    if misaligned {
                        file.start += 1;
                    }
                    file.write_all(&pattern[..size]).unwrap();
                    file.finish().unwrap().sync_all().unwrap();
                    let read = std::fs::read(&path).unwrap();
                    let at = format!("{} {size} {misaligned}", dir.display());
                    assert!(read == pattern[..size], "{at}: {} bytes", read.len());
                }
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// A file without a name of any length (aligned, `O_DIRECT` kept for its last block; or a
    /// last block of whole pages and a partial one, written around, then through, the page
    /// cache), at sizes around the alignment and the block, is read back after
    /// [`DirectFile::finish`] from offsets that are not aligned (one before and one after the
    /// last whole page) into buffers that are not, on disk and on tmpfs, then named by [`link`]:
    /// its bytes, and nothing else is left in the directory.
    #[test]
    fn an_unnamed_file_of_any_length_reads_back_around_its_last_page() {
        use std::io::{Read, Seek, SeekFrom};
        let sizes = [
            1,
            ALIGN - 1,
            ALIGN + 1,
            2 * ALIGN,
            2 * ALIGN + 5,
            BLOCK_BYTES - 1,
            BLOCK_BYTES + 1,
            2 * BLOCK_BYTES - 1,
            BLOCK_BYTES + 3 * ALIGN + 5,
        ];
        let pattern: Vec<u8> = (0..2 * BLOCK_BYTES).map(|i| (i * 17 % 239) as u8).collect();
        for base in file_systems() {
            let dir = fresh_dir(&base, "direct-unnamed-sizes");
            for size in sizes {
                // Linux has had O_TMPFILE on ext4 and tmpfs since 3.11: a `None` there is a defect.
                let made = DirectFile::create_unnamed(&dir).unwrap();
                if cfg!(target_os = "linux") {
                    assert!(made.is_some(), "{}", dir.display());
                }
                let Some(mut file) = made else {
                    continue;
                };
                file.write_all(&pattern[..size]).unwrap();
                let mut file = file.finish().unwrap();
                let last_page = size / ALIGN * ALIGN;
                for from in [0, 3, last_page.saturating_sub(7), last_page + 1] {
                    if from > size {
                        continue;
                    }
                    file.seek(SeekFrom::Start(from as u64)).unwrap();
                    // One byte in, so the buffer the kernel fills is not aligned.
                    let mut read = vec![0u8; 1];
                    file.read_to_end(&mut read).unwrap();
                    let at = format!("{} {size} from {from}", dir.display());
                    assert!(read[1..] == pattern[from..size], "{at}: {} bytes", read.len() - 1);
                }
                let named = dir.join(format!("named-{size}"));
                link(&file, &named).unwrap();
                assert!(std::fs::read(&named).unwrap() == pattern[..size], "{size}");
            }
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            let mut expected: Vec<String> = sizes.iter().map(|size| format!("named-{size}")).collect();
            expected.sort();
            if cfg!(target_os = "linux") {
                assert_eq!(names, expected, "{}", dir.display());
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// Several threads at once create, write, finish (or drop half written) and name files,
    /// each through buffers other threads' files gave back, still holding their bytes: every
    /// file holds exactly its own bytes, whatever the size (nothing, one byte, one alignment,
    /// across blocks) and the piece size.
    #[test]
    fn files_written_by_several_threads_at_once_hold_their_own_bytes() {
        let dir = fresh_dir(&std::env::temp_dir(), "direct-threads");
        let sizes = [
            0,
            1,
            ALIGN,
            BLOCK_BYTES + 7,
            2 * BLOCK_BYTES,
            3 * BLOCK_BYTES + ALIGN + 5,
        ];
        let pattern = |thread: usize, file: usize, len: usize| -> Vec<u8> {
            (0..len)
                .map(|i| ((i * 31 + thread * 7 + file * 13) % 251) as u8)
                .collect()
        };
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let (dir, sizes) = (&dir, &sizes);
                scope.spawn(move || {
                    for round in 0..3 {
                        for (k, &size) in sizes.iter().enumerate() {
                            let file_id = round * sizes.len() + k;
                            let bytes = pattern(thread, file_id, size);
                            let piece = [999, 4096, 70_001][(thread + k) % 3];
                            // A file dropped half written gives its buffer back dirty.
                            let mut dropped =
                                DirectFile::create_new(&dir.join(format!("drop-{thread}-{file_id}"))).unwrap();
                            dropped.write_all(&[0xAA; 5000]).unwrap();
                            drop(dropped);
                            let path = dir.join(format!("f-{thread}-{file_id}"));
                            // Odd threads name files made without one (where the system has them).
                            let unnamed = match thread % 2 {
                                1 => DirectFile::create_unnamed(dir).unwrap(),
                                _ => None,
                            };
                            let linked = unnamed.is_some();
                            let mut file = match unnamed {
                                Some(file) => file,
                                None => DirectFile::create_new(&path).unwrap(),
                            };
                            for chunk in bytes.chunks(piece) {
                                file.write_all(chunk).unwrap();
                            }
                            let file = file.finish().unwrap();
                            if linked {
                                link(&file, &path).unwrap();
                            }
                            drop(file);
                            assert!(
                                std::fs::read(&path).unwrap() == bytes,
                                "thread {thread} file {file_id} size {size}"
                            );
                        }
                    }
                });
            }
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
