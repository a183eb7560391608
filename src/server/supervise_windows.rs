//! Windows: the command as awsrole's child on the same console. Ctrl+C and
//! Ctrl+Break reach both; awsrole ignores them and waits, so the command
//! decides and is never orphaned. There are no signals to forward. Exit
//! status: the command's exit code.

use std::convert::Infallible;
use std::ffi::OsStr;
use std::process::Command;

use crate::error::Error;

/// Nothing to block on Windows.
pub struct Signals;

pub fn block_signals() -> Signals {
    Signals
}

/// Starts the command, waits for it, then exits with its exit code.
pub fn run(mut cmd: Command, program: &OsStr, _signals: Signals) -> Result<Infallible, Error> {
    let err = crate::platform::exec(&mut cmd);
    crate::platform::exit_cannot_run(program, &err)
}
