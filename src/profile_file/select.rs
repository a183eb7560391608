//! Pass two: building sections from the index, all of them or only those
//! one profile needs.

use std::collections::HashMap;

use super::scan::{SecKind, Span, build_body, check_bytes, index, span_name};
use super::types::{FileKind, Location, ParseError, ProfileSet, Section};

/// Pass two for a whole file: every section, or (with `keep`) every
/// `sso-session` and `services` section and the profiles `keep` accepts.
pub(super) fn build_all(
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

pub(super) fn parse(kind: FileKind, text: &str) -> Result<ProfileSet, ParseError> {
    parse_filtered(kind, text, None)
}

pub(super) fn parse_filtered(
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
