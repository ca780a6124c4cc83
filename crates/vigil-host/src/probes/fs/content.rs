//! Reading paths and file content safely for the file-system probes.
//!
//! - Symbolic links are resolved against the scanned host's root ([`Host::canonical`]):
//!   under `--root /mnt/x` a link to `/usr/bin` means `/mnt/x/usr/bin`, never the
//!   scanner's own `/usr/bin`; files are opened through [`Host::open`], within the root.
//! - Content is read only from regular files, opened with `O_NONBLOCK | O_NOFOLLOW` and
//!   checked with `fstat` after opening, so a FIFO, device or socket never blocks a scan.
//! - Files above `Context::max_file_size` are not read.
//! - [`ContentCache`] keeps what one batch has read (within a byte budget), so a file
//!   wanted by several textfilecontent54 and filehash58 objects is read once.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::host::Host;
use crate::probes::Deadline;

/// Reads are made in pieces of this size, checking the deadline between them.
const READ_CHUNK: u64 = 4 * 1024 * 1024;

/// Reads a regular file, without blocking and within `max` bytes.
#[cfg(test)]
pub(crate) fn read_regular(real: &Path, max: u64) -> Result<Vec<u8>, String> {
    read_regular_until(&Host::live(), real, max, &Deadline::none())
}

/// [`read_regular`], giving up when `deadline` expires (a huge file on slow storage).
/// `real` is opened through `host`, so within its root.
pub(crate) fn read_regular_until(
    host: &Host,
    real: &Path,
    max: u64,
    deadline: &Deadline,
) -> Result<Vec<u8>, String> {
    let f = File::from(
        host.open(
            real,
            libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY,
        )
        .map_err(|e| format!("cannot open: {e}"))?,
    );
    let md = f.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !md.is_file() {
        return Err(format!(
            "a {}, not a regular file: not read",
            super::file::type_name(md.mode())
        ));
    }
    if md.len() > max {
        return Err(format!(
            "{} bytes, more than the {max}-byte limit for reading files",
            md.len()
        ));
    }
    // /proc and /sys files report size 0 whatever they hold: the limit is enforced on
    // what is read, in chunks, so a file that never ends stops at `max`.
    let mut buf = Vec::with_capacity(md.len() as usize);
    let mut r = f.take(max.saturating_add(1));
    loop {
        if deadline.expired() {
            return Err(deadline.message());
        }
        let n = (&mut r)
            .take(READ_CHUNK)
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            break;
        }
    }
    if buf.len() as u64 > max {
        return Err(format!("grew beyond the {max}-byte limit while being read"));
    }
    Ok(buf)
}

pub(crate) type Content = Arc<Result<Vec<u8>, String>>;

/// File content read during one batch, keyed by real path, shared by every object of
/// the batch. Content beyond the budget is read again rather than kept.
pub(crate) struct ContentCache {
    max_file: u64,
    deadline: Deadline,
    budget: u64,
    used: Mutex<u64>,
    map: Mutex<HashMap<PathBuf, Arc<OnceLock<Content>>>>,
}

impl ContentCache {
    pub(crate) fn new(max_file: u64, budget: u64, deadline: Deadline) -> ContentCache {
        ContentCache {
            max_file,
            deadline,
            budget,
            used: Mutex::new(0),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The content of the regular file at `real` (links already resolved) of `host`.
    pub(crate) fn get(&self, host: &Host, real: &Path) -> Content {
        let cell = {
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(real.to_path_buf()).or_default().clone()
        };
        // Concurrent callers of the same path wait here instead of reading it twice.
        let mut first = false;
        let content = cell
            .get_or_init(|| {
                first = true;
                Arc::new(read_regular_until(
                    host,
                    real,
                    self.max_file,
                    &self.deadline,
                ))
            })
            .clone();
        if first {
            let size = content
                .as_ref()
                .as_ref()
                .map(|b| b.len() as u64)
                .unwrap_or(0);
            let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
            if *used + size > self.budget {
                self.map
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(real);
            } else {
                *used += size;
            }
        }
        content
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::{Duration, Instant};

    #[test]
    fn fifo_is_not_read_and_does_not_block() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("fifo");
        assert!(
            crate::testtool::tool("mkfifo")
                .arg(&p)
                .status()
                .unwrap()
                .success()
        );
        let t = Instant::now();
        let e = read_regular(&p, 1 << 20).unwrap_err();
        assert!(e.contains("fifo, not a regular file"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(2));
        let e = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(e.contains("character special"), "{e}");
    }

    #[test]
    fn size_limit_and_cache() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        assert!(
            read_regular(&p, 9)
                .unwrap_err()
                .contains("more than the 9-byte limit")
        );
        let cache = ContentCache::new(100, 15, Deadline::none());
        assert_eq!(
            cache.get(&Host::live(), &p).as_ref().as_ref().unwrap(),
            b"0123456789"
        );
        std::fs::write(&p, b"changed").unwrap();
        // Cached within the budget: one read per batch.
        assert_eq!(
            cache.get(&Host::live(), &p).as_ref().as_ref().unwrap(),
            b"0123456789"
        );
    }
}
