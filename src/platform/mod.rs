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
