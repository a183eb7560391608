//! Unix: `O_NOFOLLOW`, modes 0600/0700, `pread`, `/proc`, `execvp`.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::Path;
use std::process::Command;

/// Opens never through a symbolic link (`ELOOP`) and never blocking on a
/// FIFO; not inherited by the programs we start.
pub fn no_follow(opts: &mut OpenOptions) -> &mut OpenOptions {
    opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
}

/// The open failed because the name is a symbolic link.
pub fn is_link_error(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// The open for writing failed on a FIFO without a reader.
pub fn is_fifo_error(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENXIO)
}

/// A file created through `opts` is readable and writable by us alone.
pub fn private_file(opts: &mut OpenOptions) -> &mut OpenOptions {
    opts.mode(0o600)
}

/// `dir` and its missing parents, created 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Replaces `to` by `from` atomically (rename(2)).
pub fn replace(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Makes a rename in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads at `offset` without moving the file position.
pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    file.read_at(buf, offset)
}

/// The effective user id.
pub fn user_id() -> u32 {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The name of the process that started us (Linux: `/proc`).
#[cfg(target_os = "linux")]
pub fn parent_process_name() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()
}

#[cfg(not(target_os = "linux"))]
pub fn parent_process_name() -> Option<String> {
    None
}

/// Replaces this process with `cmd` (execvp): the command keeps our PID,
/// terminal and job. Returns only the error when that failed.
pub fn exec(cmd: &mut Command) -> io::Error {
    use std::os::unix::process::CommandExt;
    cmd.exec()
}
