//! Pass one (checking every line, locating sections) and the line rules
//! both passes share.

use std::collections::HashMap;

use super::pytext::{self, ShlexError};
use super::types::{FileKind, Location, ParseError, Property};

/// The text of raw file bytes, or the line of the first NUL byte or of the
/// first invalid UTF-8 sequence.
pub(super) fn check_bytes(kind: FileKind, bytes: &[u8]) -> Result<&str, ParseError> {
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
    // `\n`, `\r\n` and a lone `\r` end a line, as in [`Lines`].
    let breaks = before
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n')))
        .count();
    u32::try_from(breaks + 1).unwrap_or(u32::MAX)
}

/// Parse a sub-property block value such as `"\nendpoint_url = https://x"`
/// as botocore does: every non-blank line is `name = value` split at the
/// first `=`, both sides stripped. Names are lowercased here (awsrole's
/// lookups are case-insensitive).
pub fn sub_properties(value: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for line in value.split('\n') {
        let line = pytext::strip(line);
        if line.is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(MSG_SUB_NO_EQUALS.to_owned());
        };
        out.insert(lowercase(pytext::strip(k)), pytext::strip(v).to_owned());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// The rules are configparser's (see the module docs). `Reader` is its line
// loop; `index` runs it over the whole text once, checking every line and
// noting where each section is, and `build_body` runs it again over the
// bodies of the sections that are wanted.

pub(super) const MSG_NO_SECTION: &str = "Expected a profile definition";
pub(super) const MSG_HEADER_END: &str = "Profile definition must end with ']'";
pub(super) const MSG_NO_NAME: &str = "Property did not have a name";
pub(super) const MSG_NO_EQUALS: &str = "Expected an '=' sign defining a property";
pub(super) const MSG_CONT_NO_PROP: &str = "Expected a property definition, found continuation";
pub(super) const MSG_SUB_NO_EQUALS: &str = "Expected an '=' sign defining a sub-property";

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum SecKind {
    Profile,
    SsoSession,
    Services,
    /// configparser's `[DEFAULT]`: its keys apply to every section of the file.
    Defaults,
}

/// A kept section header and its body. The body runs from the line after
/// the header to the next header line (kept or not) or the end of the text.
#[derive(Clone, Debug)]
pub(super) struct Span {
    pub(super) kind: SecKind,
    /// The profile (or session, or services) name.
    pub(super) name: Box<str>,
    /// Byte range of the header text: sections with the same header text
    /// are one section; a later, different header for the same name
    /// replaces it (botocore's profile map).
    pub(super) group: (usize, usize),
    pub(super) header_line: u32,
    pub(super) header_indent: usize,
    pub(super) body: (usize, usize),
}

/// A section header that neither botocore nor awsrole reads as a profile.
#[derive(Clone, Debug)]
pub(super) struct Skipped {
    pub(super) line: u32,
    pub(super) header: String,
    pub(super) why: &'static str,
}

/// The lines of `text[pos..end]` split as Python's universal newlines do
/// (`\n`, `\r\n` or a lone `\r`), with the 1-based line number. `lineno` is
/// the number of the line before `pos`.
pub(super) struct Lines<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
    pub(super) end: usize,
    pub(super) lineno: u32,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (&'a str, u32);

    fn next(&mut self) -> Option<(&'a str, u32)> {
        if self.pos >= self.end {
            return None;
        }
        let rest = &self.text[self.pos..self.end];
        let b = rest.as_bytes();
        let line = match memchr::memchr2(b'\n', b'\r', b) {
            Some(n) => {
                let crlf = b[n] == b'\r' && b.get(n + 1) == Some(&b'\n');
                self.pos += n + if crlf { 2 } else { 1 };
                &rest[..n]
            }
            None => {
                self.pos = self.end;
                rest
            }
        };
        self.lineno = self.lineno.saturating_add(1);
        Some((line, self.lineno))
    }
}

/// The text after a leading BOM starts here.
pub(super) fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') { 3 } else { 0 }
}

/// What one line is, in context.
pub(super) enum Item<'a> {
    /// Blank (white space only): inside a value it adds an empty line,
    /// kept only when more of the value follows.
    Blank,
    Comment,
    /// `[…]`: the header text between the first `[` and the last `]`.
    Header(&'a str),
    /// `key = value` / `key: value`: the key, and the text after the
    /// delimiter ([`value`] makes it the value; `index` never needs it).
    Property(&'a str, &'a str),
    /// More of the last property's value (stripped).
    Continuation(&'a str),
}

/// configparser's line loop state for one file.
pub(super) struct Reader {
    in_section: bool,
    /// After a property line: whether its value was empty (continuation
    /// lines are then sub-properties and are checked as such).
    prop: Option<bool>,
    indent: usize,
}

impl Reader {
    pub(super) fn new() -> Reader {
        Reader {
            in_section: false,
            prop: None,
            indent: 0,
        }
    }

    /// Just after a header with this indentation.
    pub(super) fn after_header(indent: usize) -> Reader {
        Reader {
            in_section: true,
            prop: None,
            indent,
        }
    }

    pub(super) fn indent(&self) -> usize {
        self.indent
    }

    pub(super) fn read<'a>(&mut self, line: &'a str) -> Result<Item<'a>, &'static str> {
        let value = pytext::strip(line);
        if value.is_empty() {
            return Ok(Item::Blank);
        }
        if value.starts_with(['#', ';']) {
            return Ok(Item::Comment);
        }
        let indent = pytext::indent(line);
        if let Some(empty) = self.prop
            && indent > self.indent
        {
            if empty && !value.contains('=') {
                return Err(MSG_SUB_NO_EQUALS);
            }
            return Ok(Item::Continuation(value));
        }
        // Indented with no property to continue: a property of its own.
        let orphan = self.in_section && indent > self.indent;
        self.indent = indent;
        if let Some(inner) = value.strip_prefix('[')
            && let Some(close) = inner.rfind(']')
            && close > 0
        {
            self.in_section = true;
            self.prop = None;
            return Ok(Item::Header(&inner[..close]));
        }
        let Some(delim) = value.find(['=', ':']) else {
            return Err(if value.starts_with('[') {
                MSG_HEADER_END
            } else if !self.in_section {
                MSG_NO_SECTION
            } else if orphan {
                MSG_CONT_NO_PROP
            } else {
                MSG_NO_EQUALS
            });
        };
        if !self.in_section {
            return Err(MSG_NO_SECTION);
        }
        let key = pytext::rstrip(&value[..delim]);
        if key.is_empty() {
            return Err(MSG_NO_NAME);
        }
        let raw = &value[delim + 1..];
        // The sub-property check follows botocore, which sees no comments.
        self.prop = Some(pytext::strip(raw).is_empty());
        Ok(Item::Property(key, raw))
    }
}

/// A property's value from the text after its delimiter: stripped, without
/// an inline comment.
pub(super) fn value(raw: &str) -> &str {
    pytext::strip(strip_inline_comment(raw))
}

/// awsrole's one leniency in values: ` # text` / ` ; text` (a `#` or `;`
/// after a space or tab) ends the value, as in the AWS SDKs.
fn strip_inline_comment(value: &str) -> &str {
    let b = value.as_bytes();
    for i in 1..b.len() {
        if matches!(b[i], b'#' | b';') && matches!(b[i - 1], b' ' | b'\t') {
            return &value[..i];
        }
    }
    value
}

/// Pass one: check every line and locate the kept sections.
pub(super) fn index(kind: FileKind, text: &str) -> Result<(Vec<Span>, Vec<Skipped>), ParseError> {
    let mut spans: Vec<Span> = Vec::new();
    let mut skipped = Vec::new();
    let mut open: Option<usize> = None;
    let mut reader = Reader::new();
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
        let item = reader.read(line).map_err(|m| ParseError {
            file: kind,
            line: lineno,
            message: m.to_owned(),
        })?;
        let Item::Header(header) = item else {
            continue;
        };
        if let Some(i) = open.take() {
            spans[i].body.1 = start;
        }
        let header = trim_ws(header);
        match classify_section(kind, header) {
            Ok(Some((sk, name))) => {
                let at = header.as_ptr() as usize - text.as_ptr() as usize;
                spans.push(Span {
                    kind: sk,
                    name: name.into_boxed_str(),
                    group: (at, at + header.len()),
                    header_line: lineno,
                    header_indent: reader.indent(),
                    body: (lines.pos, text.len()),
                });
                open = Some(spans.len() - 1);
            }
            Ok(None) => {}
            Err(why) => skipped.push(Skipped {
                line: lineno,
                header: header.to_owned(),
                why,
            }),
        }
    }
    Ok((spans, skipped))
}

/// Pass two, for one section: its properties, in order, into `out` (a later
/// duplicate replaces an earlier one). The body was checked by `index`.
pub(super) fn build_body(
    kind: FileKind,
    text: &str,
    span: &Span,
    out: &mut HashMap<String, Property>,
) {
    let mut pending: Vec<(String, Property)> = Vec::new();
    let mut blanks = 0;
    let mut reader = Reader::after_header(span.header_indent);
    let lines = Lines {
        text,
        pos: span.body.0,
        end: span.body.1,
        lineno: span.header_line,
    };
    for (line, lineno) in lines {
        match reader.read(line) {
            Ok(Item::Blank) => blanks += 1,
            Ok(Item::Continuation(more)) => {
                if let Some((_, p)) = pending.last_mut() {
                    for _ in 0..=blanks {
                        p.value.push('\n');
                    }
                    p.value.push_str(more);
                }
                blanks = 0;
            }
            Ok(Item::Property(key, raw)) => {
                pending.push((
                    lowercase(key),
                    Property {
                        value: value(raw).to_owned(),
                        at: Location {
                            file: kind,
                            line: lineno,
                        },
                    },
                ));
                blanks = 0;
            }
            // Checked by `index`; a body holds no header.
            Ok(Item::Comment | Item::Header(_)) | Err(_) => {}
        }
    }
    if out.is_empty() {
        out.reserve(pending.len());
    }
    out.extend(pending);
}

pub(super) fn span_name(span: &Span) -> &str {
    &span.name
}

pub(super) fn span_group<'a>(text: &'a str, span: &Span) -> &'a str {
    &text[span.group.0..span.group.1]
}

const WHY_WORDS: &str = "it is not `profile` followed by exactly one name (quote a name with spaces: [profile \"a b\"])";
const WHY_QUOTE: &str = "it has a quote without its closing quote";
const WHY_ESCAPE: &str = "it ends in a backslash";

/// What a header's text names: `Ok(None)` for sections that are not
/// profiles (`[plugins]`, …), `Err` for profile-like headers that botocore
/// ignores too (so does awsrole, with a warning).
///
/// Config file, as botocore's profile map: `[DEFAULT]`; `[default]`; a
/// header starting with `profile`, `sso-session` or `services` is split as
/// `shlex.split` does and names its second word when it has exactly two.
/// Credentials file: every header but `[DEFAULT]` is a profile name, as is.
fn classify_section(
    kind: FileKind,
    header: &str,
) -> Result<Option<(SecKind, String)>, &'static str> {
    if header == "DEFAULT" {
        return Ok(Some((SecKind::Defaults, String::new())));
    }
    if kind == FileKind::Credentials || header == "default" {
        return Ok(Some((SecKind::Profile, header.to_owned())));
    }
    let sk = if header.starts_with("profile") {
        SecKind::Profile
    } else if header.starts_with("sso-session") {
        SecKind::SsoSession
    } else if header.starts_with("services") {
        SecKind::Services
    } else {
        return Ok(None);
    };
    match pytext::shlex_split(header) {
        Ok(mut words) if words.len() == 2 => Ok(words.pop().map(|name| (sk, name))),
        Ok(_) => Err(WHY_WORDS),
        Err(ShlexError::NoClosingQuote) => Err(WHY_QUOTE),
        Err(ShlexError::NoEscapedCharacter) => Err(WHY_ESCAPE),
    }
}

/// Trim spaces and tabs inside the brackets: awsrole's leniency for
/// `[ profile a ]` (botocore reads no profile there).
fn trim_ws(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

pub(super) fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}
