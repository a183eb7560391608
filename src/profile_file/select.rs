//! Pass two: building sections from the index, all of them or only those
//! one profile needs.

use std::collections::HashMap;

use super::scan::{SecKind, Skipped, Span, build_body, check_bytes, index, span_group, span_name};
use super::types::{FileKind, IgnoredSection, Location, ParseError, ProfileSet, Property, Section};

/// configparser's `[DEFAULT]` keys of a file, which every section of that
/// file starts with.
fn defaults(kind: FileKind, text: &str, spans: &[Span]) -> HashMap<String, Property> {
    let mut out = HashMap::new();
    for span in spans.iter().filter(|s| s.kind == SecKind::Defaults) {
        build_body(kind, text, span, &mut out);
    }
    out
}

fn ignored(kind: FileKind, skipped: &[Skipped]) -> Vec<IgnoredSection> {
    skipped
        .iter()
        .map(|s| IgnoredSection {
            at: Location {
                file: kind,
                line: s.line,
            },
            header: s.header.clone(),
            why: s.why.to_owned(),
        })
        .collect()
}

/// Pass two for a whole file: every section, or (with `keep`) every
/// `sso-session` and `services` section and the profiles `keep` accepts.
/// When two different headers name the same section (`[profile default]`
/// and `[default]`, `[profile a]` and `[profile "a"]`), the later one is
/// the section, as in botocore; repeats of one header merge.
pub(super) fn build_all(
    kind: FileKind,
    text: &str,
    spans: &[Span],
    skipped: &[Skipped],
    keep: Option<&dyn Fn(&str) -> bool>,
) -> ProfileSet {
    let mut out = ProfileSet {
        ignored: ignored(kind, skipped),
        ..ProfileSet::default()
    };
    let defaults = defaults(kind, text, spans);
    let mut winner: HashMap<(SecKind, &str), &str> = HashMap::with_capacity(spans.len());
    for span in spans {
        winner.insert((span.kind, span_name(span)), span_group(text, span));
    }
    for span in spans {
        let name = span_name(span);
        let map = match span.kind {
            SecKind::Defaults => continue,
            SecKind::Profile if keep.is_some_and(|keep| !keep(name)) => continue,
            SecKind::Profile => &mut out.profiles,
            SecKind::SsoSession => &mut out.sso_sessions,
            SecKind::Services => &mut out.services,
        };
        if winner.get(&(span.kind, name)) != Some(&span_group(text, span)) {
            continue;
        }
        let section = map.entry(name.to_owned()).or_insert_with(|| Section {
            name: name.to_owned(),
            at: Some(Location {
                file: kind,
                line: span.header_line,
            }),
            properties: defaults.clone(),
        });
        build_body(kind, text, span, &mut section.properties);
    }
    out
}

pub(super) fn parse(kind: FileKind, text: &str) -> Result<ProfileSet, ParseError> {
    parse_filtered(kind, text, None)
}

pub(super) fn parse_filtered(
    kind: FileKind,
    text: &str,
    keep: Option<&dyn Fn(&str) -> bool>,
) -> Result<ProfileSet, ParseError> {
    let (spans, skipped) = index(kind, text)?;
    Ok(build_all(kind, text, &spans, &skipped, keep))
}

/// One file, read and checked in full, its sections located but not built:
/// [`Indexed::to_set`] builds them all, [`select`] only those one profile
/// needs.
#[derive(Clone, Debug)]
pub struct Indexed {
    kind: FileKind,
    text: String,
    spans: Vec<Span>,
    skipped: Vec<Skipped>,
}

impl Indexed {
    /// A missing file.
    pub fn empty(kind: FileKind) -> Indexed {
        Indexed {
            kind,
            text: String::new(),
            spans: Vec::new(),
            skipped: Vec::new(),
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
        let (spans, skipped) = index(kind, &text)?;
        Ok(Indexed {
            kind,
            text,
            spans,
            skipped,
        })
    }

    /// Every section: what [`parse_bytes`] returns.
    pub fn to_set(&self) -> ProfileSet {
        build_all(self.kind, &self.text, &self.spans, &self.skipped, None)
    }

    /// The profile-like headers of this file that are ignored (to warn about
    /// once, with the file's path).
    pub fn ignored(&self) -> Vec<IgnoredSection> {
        ignored(self.kind, &self.skipped)
    }

    /// The profile `name` as [`build_all`] builds it, if defined.
    fn profile(&self, name: &str) -> Option<Section> {
        let text = self.text.as_str();
        let is_it = |s: &&Span| s.kind == SecKind::Profile && span_name(s) == name;
        let group = span_group(text, self.spans.iter().rev().find(is_it)?);
        let mut out = Section {
            name: name.to_owned(),
            at: None,
            properties: defaults(self.kind, text, &self.spans),
        };
        for span in self.spans.iter().filter(is_it) {
            if span_group(text, span) != group {
                continue;
            }
            out.at.get_or_insert(Location {
                file: self.kind,
                line: span.header_line,
            });
            build_body(self.kind, text, span, &mut out.properties);
        }
        Some(out)
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
    let mut out = build_all(
        config.kind,
        &config.text,
        &config.spans,
        &config.skipped,
        Some(&none),
    );
    out.ignored.extend(credentials.ignored());
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
