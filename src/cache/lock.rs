//! The per-key lock file (`<key>.lock` beside the entry): one refresh at a
//! time per entry, across processes; the kernel releases it if we die.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Cache;
use super::trust::{Untrusted, open_own_file};
use crate::platform;

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
        if let Err(e) = self.ensure_dir() {
            eprintln!(
                "awsrole: warning: cannot use the {lock_name} {}: {e}; {what} not cached",
                self.dir.display()
            );
            return Ok(None);
        }
        // Said once already by `usable`.
        if !self.usable() {
            return Ok(None);
        }
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

/// Open (or create, 0600) a lock file without following a symbolic link or
/// blocking on a FIFO, and use it only if it is our own regular file: we
/// write into it, and a lock another user can hold would let them stop
/// every refresh.
fn open_lock_file(path: &Path) -> io::Result<File> {
    for _ in 0..8 {
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create_new(true);
        match platform::no_follow(platform::private_file(&mut opts)).open(path) {
            Ok(f) => return Ok(f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        match open_own_file(path, true) {
            Ok(f) => return Ok(f),
            // Removed since: create it again.
            Err(Untrusted::Missing) => continue,
            Err(Untrusted::Refused(why)) => {
                return Err(io::Error::other(format!(
                    "{why}; awsrole does not use it (not a regular file of yours: a symbolic link?): remove it"
                )));
            }
        }
    }
    Err(io::Error::other("it keeps changing; try again"))
}

/// Who holds a lock, as far as we can vouch for it: the file is our own,
/// but only the exact text an awsrole writes is repeated (its PID);
/// anything else is "another process".
pub fn lock_holder(file: &File) -> String {
    // read_at: the file offset stays at 0 for our own write later.
    let mut text = [0u8; 120];
    let n = platform::read_at(file, &mut text, 0).unwrap_or(0);
    let pid = std::str::from_utf8(&text[..n])
        .ok()
        .and_then(|t| t.strip_prefix("awsrole process "))
        .and_then(|t| t.split_once(' '))
        .map(|(pid, _)| pid)
        .filter(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_digit()));
    match pid {
        Some(pid) => format!("awsrole process {pid}"),
        None => "another process".to_string(),
    }
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

    #[test]
    fn only_an_awsrole_pid_is_repeated_from_a_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        for (text, want) in [
            ("awsrole process 42 (profile `x`)\n", "awsrole process 42"),
            (
                "awsrole process 1 (profile `\x1b[2J`)\n",
                "awsrole process 1",
            ),
            ("awsrole process 4x2 (profile `x`)\n", "another process"),
            ("rm -rf / is holding it\n", "another process"),
            ("", "another process"),
        ] {
            fs::write(&path, text).unwrap();
            assert_eq!(lock_holder(&File::open(&path).unwrap()), want, "{text:?}");
        }
    }
}
