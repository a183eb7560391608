//! Pass one (checking every line, locating sections) and the line-level
//! rules shared with pass two.

use std::collections::HashMap;

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
    let n = before.iter().filter(|&&b| b == b'\n').count() + 1;
    u32::try_from(n).unwrap_or(u32::MAX)
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

pub(super) const MSG_NO_SECTION: &str = "Expected a profile definition";
pub(super) const MSG_HEADER_END: &str = "Profile definition must end with ']'";
pub(super) const MSG_NO_NAME: &str = "Property did not have a name";
pub(super) const MSG_NO_EQUALS: &str = "Expected an '=' sign defining a property";
pub(super) const MSG_CONT_NO_PROP: &str = "Expected a property definition, found continuation";
pub(super) const MSG_SUB_NO_EQUALS: &str = "Expected an '=' sign defining a sub-property";
pub(super) const MSG_SUB_NO_NAME: &str = "Sub-property did not have a name";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum SecKind {
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
pub(super) struct Span {
    pub(super) kind: SecKind,
    pub(super) name: (usize, usize),
    pub(super) header_line: u32,
    pub(super) body: (usize, usize),
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
pub(super) fn index(kind: FileKind, text: &str) -> Result<Vec<Span>, ParseError> {
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
pub(super) fn check_property(line: &str) -> Result<bool, &'static str> {
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
pub(super) fn split_property(line: &str) -> Result<(&str, &str), &'static str> {
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
pub(super) fn build_body(
    kind: FileKind,
    text: &str,
    span: &Span,
    out: &mut HashMap<String, Property>,
) {
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

pub(super) fn span_name<'a>(text: &'a str, span: &Span) -> &'a str {
    &text[span.name.0..span.name.1]
}

/// Decide what a header's (trimmed) inner text names, or `None` to ignore it.
pub(super) fn classify_section(kind: FileKind, inner: &str) -> Option<(SecKind, &str)> {
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

pub(super) fn split_sub_property(line: &str) -> Result<(&str, &str), String> {
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
pub(super) fn trim_ws(s: &str) -> &str {
    let b = s.as_bytes();
    let is_ws = |c: &u8| *c == b' ' || *c == b'\t';
    let Some(start) = b.iter().position(|c| !is_ws(c)) else {
        return "";
    };
    let end = b.iter().rposition(|c| !is_ws(c)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Profile, section and property names: alphanumerics and `- / . % @ _ : +`.
pub(super) fn is_valid_identifier(s: &str) -> bool {
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

pub(super) fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}
