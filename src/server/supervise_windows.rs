//! Windows: the command as awsrole's child on the same console. Ctrl+C and
//! Ctrl+Break reach both; awsrole ignores them and waits, so the command
//! decides and is never orphaned. There are no signals to forward. Exit
//! status: the command's exit code.

use std::convert::Infallible;
use std::ffi::OsStr;
use std::io;
use std::process::Command;

use crate::error::Error;

/// Exit status when the command is not found, and when it cannot be run
/// (as on Unix).
const NOT_FOUND: i32 = 127;
const CANNOT_RUN: i32 = 126;

/// Nothing to block on Windows.
pub struct Signals;

pub fn block_signals() -> Signals {
    Signals
}

/// Starts the command, waits for it, then exits with its exit code.
pub fn run(mut cmd: Command, program: &OsStr, _signals: Signals) -> Result<Infallible, Error> {
    let err = crate::platform::exec(&mut cmd);
    let (code, why) = match err.kind() {
        io::ErrorKind::NotFound => (
            NOT_FOUND,
            "command not found (check its name and PATH)".to_string(),
        ),
        _ => (CANNOT_RUN, err.to_string()),
    };
    eprintln!(
        "awsrole: error: cannot run `{}`: {why}",
        program.to_string_lossy()
    );
    std::process::exit(code);
}
