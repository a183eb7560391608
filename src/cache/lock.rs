//! The per-key lock file (`<key>.lock` beside the entry): one refresh at a
//! time per entry, across processes; the kernel releases it if we die.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Cache;

impl Cache {
    /// The lock for a refresh. An I/O failure (a read-only or full HOME) is
    /// not fatal: it is said once on stderr and the result is `Ok(None)`; the
    /// caller goes on without the lock and so without writing. `lock_name`
    /// and `what` word the warning ("cache lock", "the credentials are").
    pub(super) fn lock_for_refresh(
        &self,
        key: &str,
        profile: &str,
        timeout: Duration,
        lock_name: &str,
        what: &str,
    ) -> Result<Option<KeyLock>, LockError> {
        match self.lock(key, profile, timeout) {
            Ok(lock) => Ok(Some(lock)),
            Err(LockError::Io(path, e)) => {
                eprintln!(
                    "awsrole: warning: cannot use the {lock_name} {}: {e}; {what} not cached",
                    path.display()
                );
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Take the per-key lock, waiting at most `timeout`. While waiting, say
    /// once on stderr who holds it.
    pub fn lock(&self, key: &str, profile: &str, timeout: Duration) -> Result<KeyLock, LockError> {
        self.ensure_dir()
            .map_err(|e| LockError::Io(self.dir.clone(), e))?;
        let path = self.dir.join(format!("{key}.lock"));
        let file = open_lock_file(&path).map_err(|e| LockError::Io(path.clone(), e))?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(e)) => return Err(LockError::Io(path, e)),
            }
            if !told {
                let holder = lock_holder(&file);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process"
                } else {
                    holder
                };
                eprintln!(
                    "awsrole: waiting up to {}s for {holder} to refresh profile `{profile}`",
                    timeout.as_secs()
                );
                told = true;
            }
            if start.elapsed() >= timeout {
                return Err(LockError::Timeout(path, timeout));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Tell later waiters who we are.
        let mut f = &file;
        let _ = f.set_len(0);
        let _ = writeln!(
            f,
            "awsrole process {} (profile `{profile}`)",
            std::process::id()
        );
        Ok(KeyLock { _file: file })
    }
}

/// Open (or create, 0600) a lock file without following a symbolic link:
/// a link planted at `<key>.lock` must not make us truncate its target.
fn open_lock_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::MetadataExt;
    for _ in 0..8 {
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(f) => return Ok(f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let before = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if !before.file_type().is_file() {
            return Err(io::Error::other(
                "it is not a regular file (a symbolic link?); awsrole does not follow it: remove it",
            ));
        }
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let after = file.metadata()?;
        if (after.dev(), after.ino()) == (before.dev(), before.ino()) {
            return Ok(file);
        }
    }
    Err(io::Error::other("it keeps changing; try again"))
}

/// Who holds a lock, as its holder wrote it: printable ASCII only (the file
/// could hold anything, and this goes to a terminal), at most 120 bytes.
fn lock_holder(file: &File) -> String {
    use std::os::unix::fs::FileExt;
    // read_at: the file offset stays at 0 for our own write later.
    let mut text = [0u8; 120];
    let n = file.read_at(&mut text, 0).unwrap_or(0);
    text[..n]
        .iter()
        .copied()
        .filter(|b| (b' '..=b'~').contains(b))
        .map(char::from)
        .collect()
}

/// Held while refreshing one key; released on drop (or by the kernel if the
/// process dies).
pub struct KeyLock {
    _file: File,
}

#[derive(Debug)]
pub enum LockError {
    Io(PathBuf, io::Error),
    Timeout(PathBuf, Duration),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Io(p, e) => write!(f, "cannot use cache lock {}: {e}", p.display()),
            LockError::Timeout(p, t) => write!(
                f,
                "gave up after {}s waiting for the cache lock {} (another awsrole is refreshing the same role; if none is, delete the lock file)",
                t.as_secs(),
                p.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_locker_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let held = cache.lock("k", "p", Duration::from_secs(1)).unwrap();
        let err = cache.lock("k", "p", Duration::from_millis(100));
        assert!(matches!(err, Err(LockError::Timeout(..))));
        drop(held);
        assert!(cache.lock("k", "p", Duration::from_millis(100)).is_ok());
    }
}
