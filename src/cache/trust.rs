//! What awsrole trusts in a cache folder. Files are opened without following
//! a link and without blocking (`O_NOFOLLOW|O_NONBLOCK`) and judged by
//! `fstat` on the opened descriptor, so nothing swapped in between a check
//! and the open is ever used. The folder itself must be ours and writable by
//! us alone (or sticky): whoever may rename entries in it could hand us
//! another role's credentials.

//!
//! On Windows there are no modes: a file must be a regular file (a link
//! is opened as itself and refused), and the folder's ACL is made the
//! current user's alone when awsrole creates it (see `platform`).

use std::fs::{File, Metadata, OpenOptions};
use std::io;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::platform;

#[cfg(unix)]
pub fn geteuid() -> u32 {
    platform::user_id()
}

/// Why a file was not used.
pub enum Untrusted {
    Missing,
    Refused(String),
}

/// Open an existing file (read, or read and write) only if it is a regular
/// file owned by the effective user and not writable by group or others.
pub fn open_own_file(path: &Path, write: bool) -> Result<File, Untrusted> {
    let file = platform::no_follow(OpenOptions::new().read(true).write(write))
        .open(path)
        .map_err(|e| match e {
            _ if e.kind() == io::ErrorKind::NotFound => Untrusted::Missing,
            _ if platform::is_link_error(&e) => Untrusted::Refused("it is a symbolic link".into()),
            // A FIFO without a reader, opened for writing.
            _ if platform::is_fifo_error(&e) => {
                Untrusted::Refused("it is not a regular file".into())
            }
            _ => Untrusted::Refused(e.to_string()),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| Untrusted::Refused(e.to_string()))?;
    check_own_file(&meta).map_err(Untrusted::Refused)?;
    Ok(file)
}

/// A regular file, ours, writable by us alone.
pub fn check_own_file(meta: &Metadata) -> Result<(), String> {
    if !meta.file_type().is_file() {
        return Err("it is not a regular file".into());
    }
    check_owner(meta)
}

#[cfg(windows)]
fn check_owner(_meta: &Metadata) -> Result<(), String> {
    Ok(())
}

#[cfg(unix)]
fn check_owner(meta: &Metadata) -> Result<(), String> {
    let me = geteuid();
    if meta.uid() != me {
        return Err(format!(
            "it belongs to user id {}, not to you ({me})",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "others may write to it (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

/// `None` when `dir` may hold entries we trust (it is ours, and nobody
/// else may rename files in it); else why not and what to run. A missing
/// folder is fine (it is created 0700).
pub fn check_dir(dir: &Path) -> Option<String> {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => return Some(format!("cannot inspect it: {e}")),
    };
    let shown = shell_word(&dir.display().to_string());
    if !meta.is_dir() {
        return Some(format!("it is not a folder; remove it: rm {shown}"));
    }
    check_dir_owner(&meta, &shown)
}

#[cfg(windows)]
fn check_dir_owner(_meta: &Metadata, _shown: &str) -> Option<String> {
    None
}

#[cfg(unix)]
fn check_dir_owner(meta: &Metadata, shown: &str) -> Option<String> {
    let me = geteuid();
    if meta.uid() != me {
        return Some(format!(
            "it belongs to user id {}, not to you ({me}), and its owner could swap its entries; run: sudo chown {me} {shown} && chmod 700 {shown}",
            meta.uid()
        ));
    }
    let mode = meta.mode();
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Some(format!(
            "others may write to it (mode {:o}) and could swap its entries; run: chmod 700 {shown}",
            mode & 0o7777
        ));
    }
    None
}

/// A path as one shell word (quoted only when needed).
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+@%:,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_writable_by_others_are_refused_unless_sticky() {
        let dir = tempfile::tempdir().unwrap();
        let set = |m| std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(m));
        set(0o700).unwrap();
        assert_eq!(check_dir(dir.path()), None);
        set(0o777).unwrap();
        let why = check_dir(dir.path()).unwrap();
        assert!(
            why.contains("mode 777") && why.contains("run: chmod 700 "),
            "{why}"
        );
        set(0o775).unwrap();
        assert!(check_dir(dir.path()).is_some());
        set(0o1777).unwrap();
        assert_eq!(check_dir(dir.path()), None);
        assert_eq!(check_dir(&dir.path().join("none")), None);
    }

    #[test]
    fn links_and_fifos_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for write in [false, true] {
            match open_own_file(&fifo, write) {
                Err(Untrusted::Refused(why)) => assert!(why.contains("not a regular"), "{why}"),
                _ => panic!("a FIFO was used"),
            }
        }
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        match open_own_file(&link, false) {
            Err(Untrusted::Refused(why)) => assert!(why.contains("symbolic link"), "{why}"),
            _ => panic!("a link was followed"),
        }
        assert!(matches!(
            open_own_file(&dir.path().join("none"), false),
            Err(Untrusted::Missing)
        ));
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(
            shell_word("/home/u/.aws/cli/cache"),
            "/home/u/.aws/cli/cache"
        );
        assert_eq!(shell_word("/home/a b/c"), "'/home/a b/c'");
    }
}
