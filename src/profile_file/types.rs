//! The parsed shapes: files, locations, sections and the merged set.

use std::collections::HashMap;
use std::fmt;

/// Which of the two shared files a piece of text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Config,
    Credentials,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Config => "config file",
            FileKind::Credentials => "credentials file",
        })
    }
}

/// Where something was defined. `line` is 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: FileKind,
    pub line: u32,
}

/// A property value and the line of its `key =` definition.
#[derive(Clone, Debug)]
pub struct Property {
    pub value: String,
    pub at: Location,
}

/// A profile, `sso-session` or `services` section. Keys are lowercased.
#[derive(Clone, Debug, Default)]
pub struct Section {
    pub name: String,
    /// The first header line of this section (`None` for synthesized sections).
    pub at: Option<Location>,
    pub properties: HashMap<String, Property>,
}

impl Section {
    /// The value of `key` (give it lowercased).
    /// A blank `region` reads as unset: botocore treats an empty region as
    /// none, so every caller (STS region, exports, list) does the same.
    pub fn get(&self, key: &str) -> Option<&str> {
        let value = self.properties.get(key).map(|p| p.value.as_str());
        if key == "region" && value == Some("") {
            return None;
        }
        value
    }

    /// The property `key` (give it lowercased), with its location.
    pub fn prop(&self, key: &str) -> Option<&Property> {
        self.properties.get(key)
    }
}

/// A syntax error, with the 1-based line where it was found.
#[derive(Clone, Debug)]
pub struct ParseError {
    pub file: FileKind,
    pub line: u32,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// The parsed contents of one file, or of both merged.
#[derive(Clone, Debug, Default)]
pub struct ProfileSet {
    pub profiles: HashMap<String, Section>,
    pub sso_sessions: HashMap<String, Section>,
    pub services: HashMap<String, Section>,
    /// Profile-like headers both botocore and awsrole ignore, e.g.
    /// `[profile a b]`: callers warn about them and name them when a
    /// profile is not found.
    pub ignored: Vec<IgnoredSection>,
}

/// A section header that is not read (see [`ProfileSet::ignored`]).
#[derive(Clone, Debug)]
pub struct IgnoredSection {
    pub at: Location,
    /// The text between the brackets.
    pub header: String,
    /// Why it is ignored, as a clause: "it is not …".
    pub why: String,
}

impl fmt::Display for IgnoredSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} line {}: section [{}] is ignored: {}",
            self.at.file, self.at.line, self.header, self.why
        )
    }
}

impl ProfileSet {
    /// Merge the two files: profiles with the same name are combined, and a
    /// key present in both takes the credentials file's value. `sso-session`
    /// and `services` sections only exist in the config file.
    pub fn merge(config: ProfileSet, credentials: ProfileSet) -> ProfileSet {
        let mut out = config;
        for (name, cred) in credentials.profiles {
            match out.profiles.get_mut(&name) {
                Some(existing) => {
                    existing.properties.extend(cred.properties);
                    if existing.at.is_none() {
                        existing.at = cred.at;
                    }
                }
                None => {
                    out.profiles.insert(name, cred);
                }
            }
        }
        for (name, s) in credentials.sso_sessions {
            out.sso_sessions.entry(name).or_insert(s);
        }
        for (name, s) in credentials.services {
            out.services.entry(name).or_insert(s);
        }
        out.ignored.extend(credentials.ignored);
        out
    }
}
