//! Parser for the AWS shared config (`~/.aws/config`) and credentials
//! (`~/.aws/credentials`) files.
//!
//! The rules are botocore's (the AWS CLI v1): Python's `configparser` as
//! `RawConfigParser()` reads a file, then `configloader.build_profile_map`
//! names the profiles. Users write these files for the AWS CLI, so awsrole
//! never refuses a file it accepts; where awsrole is more lenient, it says
//! so below and in docs/compatibility.md. Two passes: the first checks
//! every line (so errors are reported wherever they are) and locates the
//! sections; the second builds the sections that are wanted, all of them
//! ([`parse_config`], [`Indexed::to_set`]) or only those one profile reads
//! ([`select`], see docs/performance.md).
//!
//! Rules, in short (white space and `strip` are Python's: Unicode white
//! space included; lines end at `\n`, `\r\n` or a lone `\r`):
//! - Blank lines and lines whose first non-blank character is `#` or `;`
//!   are skipped, at any indentation.
//! - A line indented deeper than the last property line continues that
//!   property's value (stripped, joined with `\n`); blank lines inside the
//!   value are kept, trailing ones dropped. A property whose first line is
//!   empty holds sub-properties: each continuation needs an `=`.
//! - Otherwise, a line `[…]` is a section header: the text up to the last
//!   `]` (awsrole also trims spaces and tabs inside the brackets).
//!   - `[DEFAULT]`: its keys apply to every section of the same file.
//!   - config file: `[default]`; a header starting with `profile`,
//!     `sso-session` or `services` is split as `shlex.split` does and names
//!     its second word when it has exactly two (`[profile "c d"]` is `c d`,
//!     `[profile team$ops]` is `team$ops`, `[profile a b]` is ignored, with
//!     a warning). Other sections (`[plugins]`, …) are not profiles.
//!   - credentials file: every header is a profile name as written, so
//!     `[profile ci]` there is the profile `profile ci`.
//!   - Two different headers for one name (`[profile default]` and
//!     `[default]`): the later section is the profile. The same header
//!     twice (botocore: an error) merges, later keys winning.
//! - Other lines are `key = value` or `key: value`, split at the first `=`
//!   or `:`; keys are lowercased. awsrole's one leniency in values: a `#` or
//!   `;` after a space or tab starts a comment (botocore keeps it as part
//!   of the value; the cross-SDK suite strips it). A duplicate key keeps
//!   the last value (botocore: an error).
//! - A leading UTF-8 BOM is skipped (botocore: an error); NUL bytes and
//!   invalid UTF-8 are errors.
//!
//! Layout: `types` (what a parse yields), `scan` (pass one and the line
//! rules), `select` (pass two: all sections, or one profile's).

mod pytext;
mod scan;
mod select;
mod types;

#[cfg(test)]
mod botocore_tests;
#[cfg(test)]
mod tests;

pub use pytext::{PyInt, python_int};
pub use scan::sub_properties;
pub use select::{Indexed, select};
pub use types::{FileKind, IgnoredSection, Location, ParseError, ProfileSet, Property, Section};

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
