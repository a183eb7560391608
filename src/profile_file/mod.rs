//! Parser for the AWS shared config (`~/.aws/config`) and credentials
//! (`~/.aws/credentials`) files.
//!
//! The rules are those of the cross-SDK profile-file suite
//! (`conformance/smithy-rs/profile-parser-tests.json`), which is what the AWS
//! SDKs implement. It is a small, regex-free parser in two passes: the first
//! checks every line of the file (so errors are reported wherever they are)
//! and locates the sections without allocating per line; the second builds
//! the sections that are wanted. [`parse_config`] and friends build all of
//! them; [`Indexed`] and [`select`] build only the profiles that resolving
//! one profile reads (see docs/performance.md).
//!
//! Rules, in short:
//! - Empty lines (only spaces/tabs) and lines whose *first* byte is `#` or `;`
//!   are skipped.
//! - A line starting with `[` is a section header. Anything after the first
//!   `#`/`;` on that line is a comment; what remains must end with `]`
//!   (otherwise: "Profile definition must end with ']'"). The name inside the
//!   brackets is trimmed.
//!   - config file: `[default]`, `[profile NAME]`, `[sso-session NAME]` and
//!     `[services NAME]` (prefix separated by spaces or tabs); other sections,
//!     including bare `[NAME]`, are ignored. When both `[profile default]` and
//!     `[default]` are present, `[default]` is ignored entirely.
//!   - credentials file: `[NAME]` only; `[profile NAME]` is an invalid name and
//!     is ignored.
//!   - Names may only contain alphanumerics and `- / . % @ _ : +`; sections with
//!     other names are ignored (not an error), and so are their properties.
//! - A line starting with a space or tab continues the last property's value
//!   (joined with `\n`, trimmed, comments *not* stripped). If that property's
//!   value was empty, the continuation lines are sub-properties and must be
//!   `name = value`.
//! - Other lines are `key = value`. An inline comment starts at a `#` or `;`
//!   that follows a space or tab; one adjacent to text is part of the value.
//!   Keys are trimmed and lowercased; keys with invalid characters are ignored.
//! - Duplicate sections in one file merge; a duplicate key keeps the last value.
//!
//! **Where botocore (the AWS CLI) differs, awsrole follows the cross-SDK suite:**
//! botocore uses Python's `configparser`, which keeps inline ` # text` /
//! ` ; text` as part of a value and rejects duplicate sections and duplicate
//! keys in one file. awsrole strips such inline comments and merges duplicates,
//! like the AWS SDKs. Config files that the AWS CLI accepts parse the same way
//! here, except for values that really contain ` #`/` ;` (rare: secrets are
//! base64 and URLs don't contain a space).

//!
//! Layout: `types` (what a parse yields), `scan` (pass one and the line
//! rules), `select` (pass two: all sections, or one profile's).

mod scan;
mod select;
mod types;

#[cfg(test)]
mod tests;

pub use scan::sub_properties;
pub use select::{Indexed, select};
pub use types::{FileKind, Location, ParseError, ProfileSet, Property, Section};

/// Parse the text of a config file.
pub fn parse_config(text: &str) -> Result<ProfileSet, ParseError> {
    select::parse(FileKind::Config, text)
}

/// Parse the text of a credentials file.
pub fn parse_credentials(text: &str) -> Result<ProfileSet, ParseError> {
    select::parse(FileKind::Credentials, text)
}

/// Parse raw file bytes: checks UTF-8 and rejects NUL bytes (binary files),
/// reporting the line of the first offending byte. A leading BOM is skipped.
pub fn parse_bytes(kind: FileKind, bytes: &[u8]) -> Result<ProfileSet, ParseError> {
    select::parse(kind, scan::check_bytes(kind, bytes)?)
}
