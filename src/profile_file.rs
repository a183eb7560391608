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
    parse(kind, check_bytes(kind, bytes)?)
}

/// The text of raw file bytes, or the line of the first NUL byte or of the
/// first invalid UTF-8 sequence.
fn check_bytes(kind: FileKind, bytes: &[u8]) -> Result<&str, ParseError> {
    let line_of = |offset: usize| line_number(&bytes[..offset]);
    // `contains` is a fast memchr; the position only on error.
    if bytes.contains(&0) {
        let pos = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(ParseError {
            file: kind,
            line: line_of(pos),
            message: "file contains a NUL byte; is it a binary file?".into(),
        });
    }
    std::str::from_utf8(bytes).map_err(|e| ParseError {
        file: kind,
        line: line_of(e.valid_up_to()),
        message: format!(
            "file is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
    })
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
// Two passes. `index` reads the whole text once and checks every line (so a
// syntax error anywhere is reported, with its line, whatever is asked for)
// and records where each kept section is: its kind, its name and the byte
// range of its body. It allocates nothing per line or per property, only
// one `Span` per kept section. `build_body` then turns the bodies of the
// sections that are wanted into properties: a full parse builds all of
// them, `select` only the profiles that resolving one profile reads.

const MSG_NO_SECTION: &str = "Expected a profile definition";
const MSG_HEADER_END: &str = "Profile definition must end with ']'";
const MSG_NO_NAME: &str = "Property did not have a name";
const MSG_NO_EQUALS: &str = "Expected an '=' sign defining a property";
const MSG_CONT_NO_PROP: &str = "Expected a property definition, found continuation";
const MSG_SUB_NO_EQUALS: &str = "Expected an '=' sign defining a sub-property";
const MSG_SUB_NO_NAME: &str = "Sub-property did not have a name";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SecKind {
    Profile,
    /// `[default]` without the `profile` prefix in the config file.
    BareDefault,
    SsoSession,
    Services,
}

/// A kept section header and its body, as byte offsets into the text. The
/// body runs from the line after the header to the next header line (kept
/// or not) or the end of the text.
#[derive(Clone, Copy, Debug)]
struct Span {
    kind: SecKind,
    name: (usize, usize),
    header_line: u32,
    body: (usize, usize),
}

/// The lines of `text[pos..end]`: (line without `\n` and a final `\r`,
/// 1-based line number). `lineno` is the number of the line before `pos`.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
    lineno: u32,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (&'a str, u32);

    fn next(&mut self) -> Option<(&'a str, u32)> {
        if self.pos >= self.end {
            return None;
        }
        let rest = &self.text[self.pos..self.end];
        // A plain loop: lines are short, and `str::find`'s memchr costs more
        // to set up than it saves on them.
        let line = match rest.bytes().position(|b| b == b'\n') {
            Some(n) => {
                self.pos += n + 1;
                &rest[..n]
            }
            None => {
                self.pos = self.end;
                rest
            }
        };
        self.lineno = self.lineno.saturating_add(1);
        Some((line.strip_suffix('\r').unwrap_or(line), self.lineno))
    }
}

/// The text after a leading BOM starts here.
fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') { 3 } else { 0 }
}

/// Pass one: check every line and locate the kept sections.
fn index(kind: FileKind, text: &str) -> Result<Vec<Span>, ParseError> {
    let mut spans: Vec<Span> = Vec::new();
    let mut open: Option<usize> = None;
    let mut in_section = false;
    // After a property line: whether its value was empty (continuation
    // lines are then sub-properties and are checked as such).
    let mut prop: Option<bool> = None;
    let mut lines = Lines {
        text,
        pos: bom_len(text),
        end: text.len(),
        lineno: 0,
    };
    loop {
        let start = lines.pos;
        let Some((line, lineno)) = lines.next() else {
            break;
        };
        let Some(&first) = line.as_bytes().first() else {
            continue;
        };
        let err = |message: &str| ParseError {
            file: kind,
            line: lineno,
            message: message.to_owned(),
        };
        match first {
            b'#' | b';' => {}
            b' ' | b'\t' => {
                let content = trim_ws(line);
                if content.is_empty() {
                    continue;
                }
                if !in_section {
                    return Err(err(MSG_NO_SECTION));
                }
                match prop {
                    None => return Err(err(MSG_CONT_NO_PROP)),
                    Some(true) => {
                        split_sub_property(content).map_err(|m| err(&m))?;
                    }
                    Some(false) => {}
                }
            }
            b'[' => {
                let header = trim_ws(strip_comment(line, false));
                let Some(inner) = header.strip_suffix(']') else {
                    return Err(err(MSG_HEADER_END));
                };
                if let Some(i) = open.take() {
                    spans[i].body.1 = start;
                }
                in_section = true;
                prop = None;
                if let Some((sk, name)) = classify_section(kind, trim_ws(&inner[1..])) {
                    // `name` is a slice of `text`.
                    let at = name.as_ptr() as usize - text.as_ptr() as usize;
                    spans.push(Span {
                        kind: sk,
                        name: (at, at + name.len()),
                        header_line: lineno,
                        body: (lines.pos, text.len()),
                    });
                    open = Some(spans.len() - 1);
                }
            }
            _ => {
                if !in_section {
                    return Err(err(MSG_NO_SECTION));
                }
                prop = Some(check_property(line).map_err(err)?);
            }
        }
    }
    Ok(spans)
}

/// The checks of [`split_property`] without building anything: whether the
/// (trimmed, comment-free) value is empty. Looks at the key and the first
/// bytes of the value only.
fn check_property(line: &str) -> Result<bool, &'static str> {
    let lb = line.as_bytes();
    let Some(eq) = lb.iter().position(|&b| b == b'=') else {
        return Err(MSG_NO_EQUALS);
    };
    // A comment starting before the '=' hides it.
    let mut prev_ws = false;
    for &b in &lb[..eq] {
        if (b == b'#' || b == b';') && prev_ws {
            return Err(MSG_NO_EQUALS);
        }
        prev_ws = b == b' ' || b == b'\t';
    }
    if trim_ws(&line[..eq]).is_empty() {
        return Err(MSG_NO_NAME);
    }
    let mut j = eq + 1;
    while j < lb.len() && (lb[j] == b' ' || lb[j] == b'\t') {
        j += 1;
    }
    Ok(j == lb.len() || (matches!(lb[j], b'#' | b';') && j > eq + 1))
}

/// `key = value # comment` -> the trimmed key and value. An inline comment
/// starts at a `#` or `;` that follows a space or tab.
fn split_property(line: &str) -> Result<(&str, &str), &'static str> {
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
        return Err(MSG_NO_EQUALS);
    };
    let key = trim_ws(&line[..eq]);
    if key.is_empty() {
        return Err(MSG_NO_NAME);
    }
    Ok((key, trim_ws(&line[eq + 1..stop])))
}

/// Pass two, for one section: its properties, in order, into `out` (a later
/// duplicate replaces an earlier one). The body was checked by `index`.
fn build_body(kind: FileKind, text: &str, span: &Span, out: &mut HashMap<String, Property>) {
    #[derive(Clone, Copy)]
    enum Cur {
        None,
        Ignored,
        Kept(usize),
    }
    let mut pending: Vec<(String, Property)> = Vec::new();
    let mut cur = Cur::None;
    let lines = Lines {
        text,
        pos: span.body.0,
        end: span.body.1,
        lineno: span.header_line,
    };
    for (line, lineno) in lines {
        let Some(&first) = line.as_bytes().first() else {
            continue;
        };
        match first {
            b'#' | b';' => {}
            b' ' | b'\t' => {
                let content = trim_ws(line);
                if let (Cur::Kept(i), false) = (cur, content.is_empty()) {
                    let value = &mut pending[i].1.value;
                    value.push('\n');
                    value.push_str(content);
                }
            }
            // No header line inside a body.
            _ => {
                cur = match split_property(line) {
                    Ok((key, value)) if is_valid_identifier(key) => {
                        pending.push((
                            lowercase(key),
                            Property {
                                value: value.to_owned(),
                                at: Location {
                                    file: kind,
                                    line: lineno,
                                },
                            },
                        ));
                        Cur::Kept(pending.len() - 1)
                    }
                    _ => Cur::Ignored,
                };
            }
        }
    }
    if out.is_empty() {
        out.reserve(pending.len());
    }
    out.extend(pending);
}

fn span_name<'a>(text: &'a str, span: &Span) -> &'a str {
    &text[span.name.0..span.name.1]
}

/// Pass two for a whole file: every section, or (with `keep`) every
/// `sso-session` and `services` section and the profiles `keep` accepts.
fn build_all(
    kind: FileKind,
    text: &str,
    spans: &[Span],
    keep: Option<&dyn Fn(&str) -> bool>,
) -> ProfileSet {
    let mut out = ProfileSet::default();
    let has_prefixed_default = spans
        .iter()
        .any(|s| s.kind == SecKind::Profile && span_name(text, s) == "default");
    let count = |k: SecKind| spans.iter().filter(|s| s.kind == k).count();
    if keep.is_none() {
        out.profiles.reserve(count(SecKind::Profile) + 1);
    }
    out.sso_sessions.reserve(count(SecKind::SsoSession));
    out.services.reserve(count(SecKind::Services));
    for span in spans {
        let name = span_name(text, span);
        let map = match span.kind {
            SecKind::BareDefault if has_prefixed_default => continue,
            SecKind::Profile | SecKind::BareDefault if keep.is_some_and(|keep| !keep(name)) => {
                continue;
            }
            SecKind::Profile | SecKind::BareDefault => &mut out.profiles,
            SecKind::SsoSession => &mut out.sso_sessions,
            SecKind::Services => &mut out.services,
        };
        let section = map.entry(name.to_owned()).or_insert_with(|| Section {
            name: name.to_owned(),
            at: Some(Location {
                file: kind,
                line: span.header_line,
            }),
            properties: HashMap::new(),
        });
        build_body(kind, text, span, &mut section.properties);
    }
    out
}

fn parse(kind: FileKind, text: &str) -> Result<ProfileSet, ParseError> {
    parse_filtered(kind, text, None)
}

fn parse_filtered(
    kind: FileKind,
    text: &str,
    keep: Option<&dyn Fn(&str) -> bool>,
) -> Result<ProfileSet, ParseError> {
    let spans = index(kind, text)?;
    Ok(build_all(kind, text, &spans, keep))
}

/// One file, read and checked in full, its sections located but not built:
/// [`Indexed::to_set`] builds them all, [`select`] only those one profile
/// needs.
#[derive(Clone, Debug)]
pub struct Indexed {
    kind: FileKind,
    text: String,
    spans: Vec<Span>,
}

impl Indexed {
    /// A missing file.
    pub fn empty(kind: FileKind) -> Indexed {
        Indexed {
            kind,
            text: String::new(),
            spans: Vec::new(),
        }
    }

    /// Check raw file bytes as [`parse_bytes`] does (same errors).
    pub fn from_bytes(kind: FileKind, bytes: Vec<u8>) -> Result<Indexed, ParseError> {
        if bytes.contains(&0) {
            return check_bytes(kind, &bytes).map(|_| Indexed::empty(kind));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Indexed::from_text(kind, text),
            Err(e) => check_bytes(kind, e.as_bytes()).map(|_| Indexed::empty(kind)),
        }
    }

    /// Check a file's text as [`parse_config`] / [`parse_credentials`] do.
    pub fn from_text(kind: FileKind, text: String) -> Result<Indexed, ParseError> {
        let spans = index(kind, &text)?;
        Ok(Indexed { kind, text, spans })
    }

    /// Every section: what [`parse_bytes`] returns.
    pub fn to_set(&self) -> ProfileSet {
        build_all(self.kind, &self.text, &self.spans, None)
    }

    /// The profile `name` (all its sections in this file merged), if defined.
    fn profile(&self, name: &str) -> Option<Section> {
        let text = self.text.as_str();
        let prefixed_default = name == "default"
            && self
                .spans
                .iter()
                .any(|s| s.kind == SecKind::Profile && span_name(text, s) == "default");
        let mut out: Option<Section> = None;
        for span in &self.spans {
            let wanted = match span.kind {
                SecKind::Profile => true,
                SecKind::BareDefault => !prefixed_default,
                SecKind::SsoSession | SecKind::Services => false,
            };
            if !wanted || span_name(text, span) != name {
                continue;
            }
            let section = out.get_or_insert_with(|| Section {
                name: name.to_owned(),
                at: Some(Location {
                    file: self.kind,
                    line: span.header_line,
                }),
                properties: HashMap::new(),
            });
            build_body(self.kind, text, span, &mut section.properties);
        }
        out
    }
}

/// The two files merged as [`ProfileSet::merge`] does, but with only the
/// profiles reachable from `root`: `root`, then every profile `depends_on`
/// names for a profile already taken, and so on. Every `sso-session` and
/// `services` section is kept. With a config of thousands of profiles this
/// builds a handful of them instead of all.
pub fn select(
    config: &Indexed,
    credentials: &Indexed,
    root: &str,
    depends_on: &dyn Fn(&Section) -> Vec<String>,
) -> ProfileSet {
    let none = |_: &str| false;
    let mut out = build_all(config.kind, &config.text, &config.spans, Some(&none));
    let mut todo = vec![root.to_owned()];
    while let Some(name) = todo.pop() {
        if out.profiles.contains_key(&name) {
            continue;
        }
        let section = match (config.profile(&name), credentials.profile(&name)) {
            (Some(mut c), Some(k)) => {
                c.properties.extend(k.properties);
                c
            }
            (Some(s), None) | (None, Some(s)) => s,
            (None, None) => continue,
        };
        todo.extend(depends_on(&section));
        out.profiles.insert(name, section);
    }
    out
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

    /// Properties sorted by key, with values and lines, for comparisons.
    fn flat(section: &Section) -> Vec<(String, String, u32)> {
        let mut v: Vec<_> = section
            .properties
            .iter()
            .map(|(k, p)| (k.clone(), p.value.clone(), p.at.line))
            .collect();
        v.sort();
        v
    }

    fn indexed(config: &str, credentials: &str) -> (Indexed, Indexed) {
        (
            Indexed::from_text(FileKind::Config, config.to_owned()).unwrap(),
            Indexed::from_text(FileKind::Credentials, credentials.to_owned()).unwrap(),
        )
    }

    #[test]
    fn select_builds_the_reachable_profiles_as_a_full_parse() {
        let config = "[default]\nk = bare\n[profile default]\nk = pd\n\
                      [profile a]\nsource_profile = b\nk = a1\n  more\n[profile b]\nsource_profile = c\n\
                      [profile a]\nk = a2\nx = 1\n[profile c]\nz = 1\n[profile unrelated]\nq = 1\n\
                      [sso-session s]\nr = 1\n[services v]\nsts =\n  endpoint_url = u\n";
        let credentials = "[c]\nz = 2\nkey = k\n[b]\nw = 1\n[zz]\nm = 1\n";
        let (ci, ki) = indexed(config, credentials);
        let full = ProfileSet::merge(
            parse_config(config).unwrap(),
            parse_credentials(credentials).unwrap(),
        );
        let source = |s: &Section| {
            s.get("source_profile")
                .map(str::to_string)
                .into_iter()
                .collect()
        };
        let part = select(&ci, &ki, "a", &source);
        let mut names: Vec<_> = part.profiles.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["a", "b", "c"]);
        for n in &names {
            assert_eq!(flat(&part.profiles[n]), flat(&full.profiles[n]), "{n}");
            assert_eq!(part.profiles[n].at, full.profiles[n].at, "{n}");
        }
        assert_eq!(part.profiles["c"].get("z"), Some("2"));
        assert_eq!(part.sso_sessions.len(), 1);
        assert_eq!(part.services["v"].get("sts"), full.services["v"].get("sts"));
        // `[profile default]` hides `[default]`; credentials-only profiles.
        let d = select(&ci, &ki, "default", &source);
        assert_eq!(
            flat(&d.profiles["default"]),
            flat(&full.profiles["default"])
        );
        let z = select(&ci, &ki, "zz", &source);
        assert_eq!(flat(&z.profiles["zz"]), flat(&full.profiles["zz"]));
        assert!(select(&ci, &ki, "nope", &source).profiles.is_empty());
        // The full build from the index is the full parse.
        let all = ProfileSet::merge(ci.to_set(), ki.to_set());
        assert_eq!(all.profiles.len(), full.profiles.len());
        for (n, s) in &full.profiles {
            assert_eq!(flat(&all.profiles[n]), flat(s), "{n}");
        }
    }

    #[test]
    fn indexed_errors_are_those_of_a_full_parse() {
        for text in [
            "[profile a]\nx = 1\n[profile b\n",
            "[profile a]\ns3 =\n  a = 1\n  oops",
            "[profile zzz]\nk = v\n[profile a]\nbroken\n",
        ] {
            let e1 = parse_config(text).unwrap_err();
            let e2 = Indexed::from_text(FileKind::Config, text.to_owned()).unwrap_err();
            assert_eq!((e1.line, e1.message), (e2.line, e2.message));
        }
        let e =
            Indexed::from_bytes(FileKind::Credentials, b"[a]\n\nk = \0\n".to_vec()).unwrap_err();
        assert_eq!(e.line, 3);
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
            fn property_check_agrees_with_split(line in "[a-zA-Z_ \t=#;x]{0,12}") {
                prop_assert_eq!(
                    check_property(&line),
                    split_property(&line).map(|(_, v)| v.is_empty())
                );
            }

            #[test]
            fn select_agrees_with_full_parse(lines in proptest::collection::vec(
                "(\\[(profile )?[ab]\\]|[ \t]{0,2}[a-z_]{0,3} ?=?[ a-z#;]{0,4}|source_profile = [ab])",
                0..16,
            )) {
                let text = lines.join("\n");
                if let Ok(full) = parse_config(&text) {
                    let ci = Indexed::from_text(FileKind::Config, text.clone()).unwrap();
                    let ki = Indexed::empty(FileKind::Credentials);
                    let none = |_: &Section| Vec::new();
                    for (name, section) in &full.profiles {
                        let part = select(&ci, &ki, name, &none);
                        prop_assert_eq!(super::flat(&part.profiles[name]), super::flat(section));
                    }
                } else {
                    prop_assert!(Indexed::from_text(FileKind::Config, text).is_err());
                }
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
