//! What differs between Unix and Windows, in one place below everything
//! else: how cache files are opened, created private and replaced, who the
//! calling shell is, and how `exec` hands over to the command. Each
//! platform file has the same functions.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// Exit status when a command is not found (as in POSIX shells).
pub const NOT_FOUND: i32 = 127;
/// Exit status when a command exists but cannot be run.
pub const CANNOT_RUN: i32 = 126;

/// Says why `program` could not be started and exits with 127 or 126, as a
/// shell would (`exec` and `exec --server`, on each platform).
pub fn exit_cannot_run(program: &std::ffi::OsStr, err: &std::io::Error) -> ! {
    let why = match err.kind() {
        std::io::ErrorKind::NotFound => "command not found (check its name and PATH)".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            format!("{err} (is it executable, and not a directory?)")
        }
        _ => err.to_string(),
    };
    let code = match err.kind() {
        std::io::ErrorKind::NotFound => NOT_FOUND,
        _ => CANNOT_RUN,
    };
    eprintln!(
        "awsrole: error: cannot run `{}`: {why}",
        program.to_string_lossy()
    );
    std::process::exit(code)
}
