//! The one error type the commands return: a message for stderr and the exit
//! status. Messages never contain secrets.

use std::fmt;

/// Exit statuses (documented in the README and the man page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Anything else: cache, lock, output.
    Failure = 1,
    /// Command-line usage (clap uses 2 as well).
    Usage = 2,
    /// Config files or profile chain.
    Config = 3,
    /// STS answered with an error.
    Sts = 4,
    /// STS or a credential source could not be reached.
    Unreachable = 5,
    /// An MFA code is needed but cannot be asked for.
    Mfa = 6,
}

#[derive(Debug)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Panics are bugs, and a panic message may be built from runtime data (a
/// cache file's text, a value being parsed), which could hold a credential.
/// So only a fixed message (`panic!("literal")`, `Option::unwrap`) and the
/// location are shown; formatted text is withheld.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&'static str>()
            .copied()
            .unwrap_or("details withheld (a formatted panic message may contain credentials)");
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("awsrole: internal error (a bug; please report it){at}: {what}");
    }));
}
