//! Parser for the AWS shared config (`~/.aws/config`) and credentials
//! (`~/.aws/credentials`) files.
//!
//! The rules are those of the cross-SDK profile-file suite
//! (`conformance/smithy-rs/profile-parser-tests.json`), which is what the AWS
//! SDKs implement. It is a small, single-pass, regex-free parser: every line is
//! visited once, comments are found with one byte scan, and only keys and
//! values that are kept are allocated.
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
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(|p| p.value.as_str())
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
}

/// Parse the text of a config file.
pub fn parse_config(text: &str) -> Result<ProfileSet, ParseError> {
    parse(FileKind::Config, text)
}

/// Parse the text of a credentials file.
pub fn parse_credentials(text: &str) -> Result<ProfileSet, ParseError> {
    parse(FileKind::Credentials, text)
}

/// Like [`parse_config`] / [`parse_credentials`], but only profiles whose
/// name `keep` accepts are materialized (`sso-session` and `services`
/// sections are always kept). The whole file is still checked, so errors are
/// exactly those of a full parse; this only saves allocating the profiles you
/// do not need (the bulk of the time for a config with thousands of them).
pub fn parse_profiles_matching(
    kind: FileKind,
    text: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<ProfileSet, ParseError> {
    parse_filtered(kind, text, Some(keep))
}

/// Parse raw file bytes: checks UTF-8 and rejects NUL bytes (binary files),
/// reporting the line of the first offending byte. A leading BOM is skipped.
pub fn parse_bytes(kind: FileKind, bytes: &[u8]) -> Result<ProfileSet, ParseError> {
    let line_of = |offset: usize| line_number(&bytes[..offset]);
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(ParseError {
            file: kind,
            line: line_of(pos),
            message: "file contains a NUL byte; is it a binary file?".into(),
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(kind, text),
        Err(e) => Err(ParseError {
            file: kind,
            line: line_of(e.valid_up_to()),
            message: format!(
                "file is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        }),
    }
}

fn line_number(before: &[u8]) -> u32 {
    let n = before.iter().filter(|&&b| b == b'\n').count() + 1;
    u32::try_from(n).unwrap_or(u32::MAX)
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
        out
    }
}

/// Parse a sub-property block value such as `"\nendpoint_url = https://x"`
/// into lowercased keys and trimmed values. Blank lines are skipped; a line
/// without `=` or with an empty name is an error; names with invalid
/// characters are skipped (the top-level property rule).
pub fn sub_properties(value: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for line in value.split('\n') {
        let line = trim_ws(line.strip_suffix('\r').unwrap_or(line));
        if line.is_empty() {
            continue;
        }
        let (k, v) = split_sub_property(line)?;
        if is_valid_identifier(k) {
            out.insert(lowercase(k), trim_ws(v).to_owned());
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------

const MSG_NO_SECTION: &str = "Expected a profile definition";
const MSG_HEADER_END: &str = "Profile definition must end with ']'";
const MSG_NO_NAME: &str = "Property did not have a name";
const MSG_NO_EQUALS: &str = "Expected an '=' sign defining a property";
const MSG_CONT_NO_PROP: &str = "Expected a property definition, found continuation";
const MSG_SUB_NO_EQUALS: &str = "Expected an '=' sign defining a sub-property";
const MSG_SUB_NO_NAME: &str = "Sub-property did not have a name";

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum SecKind {
    Profile,
    /// `[default]` without the `profile` prefix in the config file.
    BareDefault,
    SsoSession,
    Services,
}

struct RawSection<'a> {
    kind: SecKind,
    name: &'a str,
    at: Location,
    properties: HashMap<String, Property>,
}

#[derive(Clone, Copy)]
enum CurSection {
    None,
    Ignored,
    Kept(usize),
}

#[derive(Clone, Copy)]
enum CurProp {
    None,
    /// A property that is not kept; `sub` says its value was empty, so that
    /// continuation lines are checked as sub-properties.
    Ignored {
        sub: bool,
    },
    /// Index into the pending run of properties.
    Kept {
        idx: usize,
        sub: bool,
    },
}

/// Parser state. Properties of the current section run are collected in
/// `pending` (reused across sections) and moved into the section's map, sized
/// exactly, when the run ends: one table allocation per section.
struct Parser<'a> {
    kind: FileKind,
    sections: Vec<RawSection<'a>>,
    index: HashMap<(SecKind, &'a str), usize, BuildFx>,
    pending: Vec<(String, Property)>,
    keep: Option<&'a dyn Fn(&str) -> bool>,
    cur: CurSection,
    prop: CurProp,
}

impl<'a> Parser<'a> {
    fn flush(&mut self) {
        if let CurSection::Kept(s) = self.cur {
            let map = &mut self.sections[s].properties;
            if map.is_empty() {
                map.reserve(self.pending.len());
            }
            map.extend(self.pending.drain(..));
        }
        self.pending.clear();
    }

    fn header(&mut self, inner: &'a str, line: u32) {
        self.flush();
        self.prop = CurProp::None;
        self.cur = match classify_section(self.kind, inner) {
            None => CurSection::Ignored,
            Some((SecKind::Profile | SecKind::BareDefault, name))
                if self.keep.is_some_and(|keep| !keep(name)) =>
            {
                CurSection::Ignored
            }
            Some((sk, name)) => {
                let sections = &mut self.sections;
                let at = Location {
                    file: self.kind,
                    line,
                };
                let i = *self.index.entry((sk, name)).or_insert_with(|| {
                    sections.push(RawSection {
                        kind: sk,
                        name,
                        at,
                        properties: HashMap::new(),
                    });
                    sections.len() - 1
                });
                CurSection::Kept(i)
            }
        };
    }
}

fn parse(kind: FileKind, text: &str) -> Result<ProfileSet, ParseError> {
    parse_filtered(kind, text, None)
}

fn parse_filtered<'a>(
    kind: FileKind,
    text: &'a str,
    keep: Option<&'a dyn Fn(&str) -> bool>,
) -> Result<ProfileSet, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut p = Parser {
        kind,
        sections: Vec::new(),
        index: HashMap::default(),
        pending: Vec::new(),
        keep,
        cur: CurSection::None,
        prop: CurProp::None,
    };
    let mut lineno: u32 = 0;
    let mut pos = 0;

    while pos < bytes.len() {
        lineno = lineno.saturating_add(1);
        let start = pos;
        let mut end = match bytes[pos..].iter().position(|&b| b == b'\n') {
            Some(n) => {
                pos += n + 1;
                start + n
            }
            None => {
                pos = bytes.len();
                bytes.len()
            }
        };
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        // All slicing below is at ASCII bytes, hence at char boundaries.
        let line = &text[start..end];
        let err = |message: &str| ParseError {
            file: kind,
            line: lineno,
            message: message.to_owned(),
        };
        let Some(&first) = line.as_bytes().first() else {
            continue;
        };
        match first {
            b'#' | b';' => {}
            b' ' | b'\t' => {
                let content = trim_ws(line);
                if content.is_empty() {
                    continue;
                }
                // Continuation line.
                match (p.cur, p.prop) {
                    (CurSection::None, _) => return Err(err(MSG_NO_SECTION)),
                    (_, CurProp::None) => return Err(err(MSG_CONT_NO_PROP)),
                    (_, CurProp::Ignored { sub } | CurProp::Kept { sub, .. }) if sub => {
                        split_sub_property(content).map_err(|m| err(&m))?;
                    }
                    _ => {}
                }
                if let CurProp::Kept { idx, .. } = p.prop {
                    let value = &mut p.pending[idx].1.value;
                    value.push('\n');
                    value.push_str(content);
                }
            }
            b'[' => {
                let header = trim_ws(strip_comment(line, false));
                let Some(inner) = header.strip_suffix(']') else {
                    return Err(err(MSG_HEADER_END));
                };
                p.header(trim_ws(&inner[1..]), lineno);
            }
            _ => {
                // Property definition: one scan finds the first '=' and the
                // start of an inline comment (a '#' or ';' after a blank).
                if let CurSection::None = p.cur {
                    return Err(err(MSG_NO_SECTION));
                }
                let lb = line.as_bytes();
                let mut eq = None;
                let mut stop = lb.len();
                let mut prev_ws = false;
                for (i, &b) in lb.iter().enumerate() {
                    match b {
                        b'#' | b';' if prev_ws => {
                            stop = i;
                            break;
                        }
                        b'=' if eq.is_none() => eq = Some(i),
                        _ => {}
                    }
                    prev_ws = b == b' ' || b == b'\t';
                }
                let Some(eq) = eq else {
                    return Err(err(MSG_NO_EQUALS));
                };
                let key = trim_ws(&line[..eq]);
                if key.is_empty() {
                    return Err(err(MSG_NO_NAME));
                }
                let value = trim_ws(&line[eq + 1..stop]);
                let sub = value.is_empty();
                p.prop = match p.cur {
                    CurSection::Kept(_) if is_valid_identifier(key) => {
                        p.pending.push((
                            lowercase(key),
                            Property {
                                value: value.to_owned(),
                                at: Location {
                                    file: kind,
                                    line: lineno,
                                },
                            },
                        ));
                        CurProp::Kept {
                            idx: p.pending.len() - 1,
                            sub,
                        }
                    }
                    _ => CurProp::Ignored { sub },
                };
            }
        }
    }
    p.flush();
    Ok(finish(p.sections))
}

/// Decide what a header's (trimmed) inner text names, or `None` to ignore it.
fn classify_section(kind: FileKind, inner: &str) -> Option<(SecKind, &str)> {
    let (sk, name) = match kind {
        FileKind::Credentials => (SecKind::Profile, inner),
        FileKind::Config => {
            if inner == "default" {
                (SecKind::BareDefault, inner)
            } else if let Some(n) = strip_prefix_ws(inner, "profile") {
                (SecKind::Profile, n)
            } else if let Some(n) = strip_prefix_ws(inner, "sso-session") {
                (SecKind::SsoSession, n)
            } else if let Some(n) = strip_prefix_ws(inner, "services") {
                (SecKind::Services, n)
            } else {
                return None;
            }
        }
    };
    is_valid_identifier(name).then_some((sk, name))
}

/// `"profile  foo"` -> `Some("foo")`; the prefix must be followed by a space
/// or tab.
fn strip_prefix_ws<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(prefix)?;
    match rest.as_bytes().first() {
        Some(b' ' | b'\t') => Some(trim_ws(rest)),
        _ => None,
    }
}

fn finish(sections: Vec<RawSection<'_>>) -> ProfileSet {
    let mut out = ProfileSet::default();
    let has_prefixed_default = sections
        .iter()
        .any(|s| s.kind == SecKind::Profile && s.name == "default");
    let count = |k: SecKind| sections.iter().filter(|s| s.kind == k).count();
    out.profiles.reserve(count(SecKind::Profile) + 1);
    out.sso_sessions.reserve(count(SecKind::SsoSession));
    out.services.reserve(count(SecKind::Services));
    for raw in sections {
        let map = match raw.kind {
            SecKind::Profile => &mut out.profiles,
            SecKind::BareDefault if has_prefixed_default => continue,
            SecKind::BareDefault => &mut out.profiles,
            SecKind::SsoSession => &mut out.sso_sessions,
            SecKind::Services => &mut out.services,
        };
        map.insert(
            raw.name.to_owned(),
            Section {
                name: raw.name.to_owned(),
                at: Some(raw.at),
                properties: raw.properties,
            },
        );
    }
    out
}

/// Cut an inline comment: any `#`/`;` (section headers), or with `need_ws`
/// only one that follows a space or tab.
fn strip_comment(line: &str, need_ws: bool) -> &str {
    let bytes = line.as_bytes();
    let mut prev_ws = false;
    for (i, &b) in bytes.iter().enumerate() {
        if (b == b'#' || b == b';') && (prev_ws || !need_ws) {
            return &line[..i];
        }
        prev_ws = b == b' ' || b == b'\t';
    }
    line
}

fn split_sub_property(line: &str) -> Result<(&str, &str), String> {
    let Some(eq) = line.find('=') else {
        return Err(MSG_SUB_NO_EQUALS.to_owned());
    };
    let key = trim_ws(&line[..eq]);
    if key.is_empty() {
        return Err(MSG_SUB_NO_NAME.to_owned());
    }
    Ok((key, &line[eq + 1..]))
}

/// Trim spaces and tabs (only: other whitespace is content).
fn trim_ws(s: &str) -> &str {
    let b = s.as_bytes();
    let is_ws = |c: &u8| *c == b' ' || *c == b'\t';
    let Some(start) = b.iter().position(|c| !is_ws(c)) else {
        return "";
    };
    let end = b.iter().rposition(|c| !is_ws(c)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Profile, section and property names: alphanumerics and `- / . % @ _ : +`.
fn is_valid_identifier(s: &str) -> bool {
    const fn table() -> [bool; 128] {
        let mut t = [false; 128];
        let mut i = 0;
        while i < 128 {
            let c = i as u8;
            t[i] = c.is_ascii_alphanumeric()
                || matches!(c, b'-' | b'/' | b'.' | b'%' | b'@' | b'_' | b':' | b'+');
            i += 1;
        }
        t
    }
    static ASCII_OK: [bool; 128] = table();
    let ok = |c: char| {
        if c.is_ascii() {
            ASCII_OK[c as usize]
        } else {
            c.is_alphanumeric()
        }
    };
    if s.is_ascii() {
        !s.is_empty() && s.bytes().all(|b| ASCII_OK[b as usize])
    } else {
        s.chars().all(ok)
    }
}

/// A small, fast, non-cryptographic hasher (FxHash) for the parser's own
/// section index; keys are names from the user's own file.
#[derive(Default, Clone, Copy)]
struct BuildFx;

struct Fx(u64);

impl std::hash::BuildHasher for BuildFx {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(file: FileKind, line: u32) -> Location {
        Location { file, line }
    }

    #[test]
    fn property_and_section_locations() {
        let text = "# c\n[profile a]\nregion = x\n\n[profile b]\nrole_arn = r\n  -more\nsrc=y\n[profile a]\nregion = z\n";
        let set = parse_config(text).unwrap();
        let a = &set.profiles["a"];
        assert_eq!(a.at, Some(loc(FileKind::Config, 2)));
        // The later duplicate wins, with its own line.
        assert_eq!(a.prop("region").unwrap().at, loc(FileKind::Config, 10));
        assert_eq!(a.get("region"), Some("z"));
        let b = &set.profiles["b"];
        assert_eq!(b.get("role_arn"), Some("r\n-more"));
        assert_eq!(b.prop("role_arn").unwrap().at.line, 6);
        assert_eq!(b.prop("src").unwrap().at.line, 8);

        let creds = parse_credentials("\n[x]\naws_access_key_id = A\n").unwrap();
        assert_eq!(
            creds.profiles["x"].prop("aws_access_key_id").unwrap().at,
            loc(FileKind::Credentials, 3)
        );
    }

    #[test]
    fn error_lines() {
        let cases: &[(&str, u32, &str)] = &[
            ("[profile a]\nx = 1\n[profile b\n", 3, MSG_HEADER_END),
            ("\n\nkey = v", 3, MSG_NO_SECTION),
            ("[profile a]\r\nx = 1\r\n\r\nbad line\r\n", 4, MSG_NO_EQUALS),
            ("[profile a]\n= 1", 2, MSG_NO_NAME),
            ("[profile a]\n = 1", 2, MSG_CONT_NO_PROP),
            ("[profile a]\n  cont", 2, MSG_CONT_NO_PROP),
            ("[profile a]\ns3 =\n  a = 1\n  oops", 4, MSG_SUB_NO_EQUALS),
        ];
        for (text, line, msg) in cases {
            let e = parse_config(text).unwrap_err();
            assert_eq!((e.line, e.message.as_str()), (*line, *msg), "{text:?}");
            assert_eq!(e.file, FileKind::Config);
        }
        let e = parse_credentials("[a]\nnope").unwrap_err();
        assert_eq!((e.file, e.line), (FileKind::Credentials, 2));
        assert_eq!(
            e.to_string(),
            "credentials file line 2: Expected an '=' sign defining a property"
        );
    }

    #[test]
    fn bom_is_skipped() {
        let set = parse_config("\u{feff}[profile a]\nregion = x").unwrap();
        assert_eq!(set.profiles["a"].get("region"), Some("x"));
        assert_eq!(set.profiles["a"].at.unwrap().line, 1);
        let set = parse_bytes(FileKind::Credentials, b"\xEF\xBB\xBF[a]\nk = v\n").unwrap();
        assert_eq!(set.profiles["a"].get("k"), Some("v"));
        // Only a leading BOM is special.
        let set = parse_config("[profile a]\nk = \u{feff}v").unwrap();
        assert_eq!(set.profiles["a"].get("k"), Some("\u{feff}v"));
    }

    #[test]
    fn non_utf8_and_nul_report_line() {
        let e = parse_bytes(FileKind::Config, b"[profile a]\nk = v\nx = \xff\xfe\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("UTF-8"), "{}", e.message);
        let e = parse_bytes(FileKind::Credentials, b"[a]\n\nk = \0\n").unwrap_err();
        assert_eq!((e.file, e.line), (FileKind::Credentials, 3));
        assert!(e.message.contains("NUL"), "{}", e.message);
    }

    #[test]
    fn sections_of_each_kind() {
        let text = "[default]\nregion = a\n[sso-session s]\nsso_region = b\n[services svc]\ns3 =\n  endpoint_url = http://x\n  Other = 1\n[profile p]\nservices = svc\n[unknown thing]\nk = v\n";
        let set = parse_config(text).unwrap();
        assert_eq!(set.profiles["default"].get("region"), Some("a"));
        assert_eq!(set.sso_sessions["s"].get("sso_region"), Some("b"));
        let s3 = set.services["svc"].get("s3").unwrap();
        assert_eq!(s3, "\nendpoint_url = http://x\nOther = 1");
        let sub = sub_properties(s3).unwrap();
        assert_eq!(sub["endpoint_url"], "http://x");
        assert_eq!(sub["other"], "1");
        assert_eq!(set.profiles.len(), 2);
    }

    #[test]
    fn sub_properties_errors() {
        assert_eq!(sub_properties("\nnope").unwrap_err(), MSG_SUB_NO_EQUALS);
        assert_eq!(sub_properties("\n = x").unwrap_err(), MSG_SUB_NO_NAME);
        assert!(sub_properties("").unwrap().is_empty());
        let m = sub_properties("\r\n a = b=c \r\n\n in valid = 1").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m["a"], "b=c");
    }

    #[test]
    fn merge_prefers_credentials() {
        let c = parse_config("[profile a]\nk = c\nonly = c\n[sso-session s]\nx = 1").unwrap();
        let k = parse_credentials("[a]\nk = k\n[b]\nz = 1").unwrap();
        let m = ProfileSet::merge(c, k);
        assert_eq!(m.profiles["a"].get("k"), Some("k"));
        assert_eq!(
            m.profiles["a"].prop("k").unwrap().at.file,
            FileKind::Credentials
        );
        assert_eq!(m.profiles["a"].get("only"), Some("c"));
        assert_eq!(m.profiles["a"].at.unwrap().file, FileKind::Config);
        assert_eq!(m.profiles["b"].get("z"), Some("1"));
        assert!(m.sso_sessions.contains_key("s"));
    }

    #[test]
    fn filtered_parse_matches_full_parse() {
        let text = "[default]\nk = d\n[profile default]\nk = pd\n[profile a]\nk = a\n  -more\n\
                    [profile b]\nk = b\n[sso-session s]\nx = 1\n[services v]\nsts =\n  endpoint_url = u\n";
        let keep = |n: &str| n == "a" || n == "default";
        let part = parse_profiles_matching(FileKind::Config, text, &keep).unwrap();
        let full = parse_config(text).unwrap();
        assert_eq!(part.profiles.len(), 2);
        for name in ["a", "default"] {
            assert_eq!(
                format!("{:?}", part.profiles[name].properties.get("k")),
                format!("{:?}", full.profiles[name].properties.get("k"))
            );
        }
        assert!(part.sso_sessions.contains_key("s") && part.services.contains_key("v"));
        // Errors in skipped profiles are still reported, at the same line.
        let bad = "[profile a]\nk = 1\n[profile b]\nbroken\n";
        let e = parse_profiles_matching(FileKind::Config, bad, &keep).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (4, MSG_NO_EQUALS));
    }

    #[test]
    fn long_lines_and_many_continuations_are_linear() {
        // 4 MiB of one value plus 200k continuation lines; a quadratic parser
        // would take minutes here.
        let mut text = String::from("[profile a]\nk = ");
        text.push_str(&"x ;".repeat(1 << 20));
        text.push('\n');
        text.push_str("big =\n");
        for _ in 0..200_000 {
            text.push_str("  a = b\n");
        }
        let t = std::time::Instant::now();
        let set = parse_config(&text).unwrap();
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        // " ;" starts a comment: the value is the first "x".
        assert_eq!(set.profiles["a"].get("k"), Some("x"));
        assert_eq!(set.profiles["a"].get("big").unwrap().len(), 200_000 * 6);
    }

    #[test]
    fn ten_thousand_profiles() {
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str(&format!(
                "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/r{i}\nsource_profile = base\nregion = eu-west-1 # c\n\n"
            ));
        }
        let t = std::time::Instant::now();
        let set = parse_config(&text).unwrap();
        // Generous (debug build, shared CI): only catches pathological slowness.
        assert!(t.elapsed() < std::time::Duration::from_secs(3));
        assert_eq!(set.profiles.len(), 10_000);
        let p = &set.profiles["p9999"];
        assert_eq!(p.get("region"), Some("eu-west-1"));
        assert_eq!(p.prop("region").unwrap().at.line, 9999 * 5 + 4);
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = parse_bytes(FileKind::Config, &bytes);
                let _ = parse_bytes(FileKind::Credentials, &bytes);
            }

            #[test]
            fn never_panics_on_strings(text in "(\\PC|[\\[\\]=#; \t\r\n])*") {
                let _ = parse_config(&text);
                let _ = parse_credentials(&text);
                let _ = sub_properties(&text);
            }

            #[test]
            fn never_panics_on_ini_shaped(lines in proptest::collection::vec(
                "(\\[(profile |sso-session |services )?[a-z \t#;\\]]{0,6}\\]?[#; a-z]{0,4}|[ \t]{0,2}[a-zA-Z_ ]{0,5}=?[ a-z=#;]{0,6}|[#;][^\n]{0,5}|\u{feff}?)",
                0..20,
            )) {
                let text = lines.join("\n");
                if let Ok(set) = parse_config(&text) {
                    for s in set.profiles.values().chain(set.services.values()) {
                        for p in s.properties.values() {
                            prop_assert!(p.at.line as usize <= lines.len().max(1));
                            let _ = sub_properties(&p.value);
                        }
                    }
                }
                let _ = parse_credentials(&text);
            }
        }
    }
}
