//! What `env`, `exec`, `credential-process` and `console` resolve: a profile
//! name, or an ad-hoc role (`--role-arn`), either with a `--region`
//! override. Written as one string, so that AWSROLE_PROFILE can hold it and
//! the prompt hook's `awsrole env -- "$AWSROLE_PROFILE"` gets the same
//! credentials back:
//!
//! - `dev`: profile `dev`;
//! - `dev?region=eu-west-1`: profile `dev`, region overridden;
//! - `arn:aws:iam::123456789012:role/x?source_profile=base&external_id=e`:
//!   an ad-hoc role, resolved as a profile with these settings would be
//!   (same chain, same cache key), plus `role_session_name`,
//!   `duration_seconds`, `mfa_serial` and `region`.
//!
//! The query is `application/x-www-form-urlencoded`. Role ARNs and profile
//! names in practice hold no `?`; a profile named with one cannot be used.

use std::collections::HashMap;

use crate::error::{Error, Status};
use crate::profile_file::{FileKind, Location, Property, Section};

/// Settings an ad-hoc role may carry, as the profile keys they stand for.
pub const ROLE_KEYS: [&str; 5] = [
    "source_profile",
    "external_id",
    "role_session_name",
    "duration_seconds",
    "mfa_serial",
];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    /// The profile name, or the role ARN of an ad-hoc role.
    pub name: String,
    /// `--region`: replaces the profile's region; not in any cache key.
    pub region: Option<String>,
    /// An ad-hoc role: its settings (keys of [`ROLE_KEYS`]), in that order.
    pub role: Option<Vec<(String, String)>>,
}

impl Spec {
    /// Reads a PROFILE argument (or AWSROLE_PROFILE).
    pub fn parse(text: &str) -> Result<Spec, Error> {
        // The last `?` starts the settings, so a profile name may hold `?`
        // itself (botocore accepts any name): when what follows is not our
        // settings, the whole text is the name.
        let plain = || Spec {
            name: text.to_string(),
            region: None,
            role: text.starts_with("arn:").then(Vec::new),
        };
        let Some((name, query)) = text.rsplit_once('?').filter(|(_, q)| !q.is_empty()) else {
            return Ok(plain());
        };
        let adhoc = name.starts_with("arn:");
        let mut spec = Spec {
            name: name.to_string(),
            region: None,
            role: adhoc.then(Vec::new),
        };
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match (&mut spec.role, k.as_ref()) {
                (_, "region") => spec.region = Some(v.into_owned()),
                (Some(role), key) if ROLE_KEYS.contains(&key) => {
                    role.push((key.to_string(), v.into_owned()))
                }
                _ if adhoc => {
                    return Err(Error::new(
                        Status::Usage,
                        format!(
                            "`{name}?...`: unknown setting `{k}` (known: region, source_profile, external_id, role_session_name, duration_seconds, mfa_serial)"
                        ),
                    ));
                }
                _ => return Ok(plain()),
            }
        }
        if let Some(role) = &mut spec.role {
            role.sort_by_key(|(k, _)| ROLE_KEYS.iter().position(|r| r == k));
        }
        Ok(spec)
    }

    /// The one-string form (see the module documentation).
    pub fn encode(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.role.iter().flatten() {
            query.append_pair(k, v);
        }
        if let Some(r) = &self.region {
            query.append_pair("region", r);
        }
        let query = query.finish();
        if query.is_empty() {
            self.name.clone()
        } else {
            format!("{}?{query}", self.name)
        }
    }

    /// A setting of the ad-hoc role.
    pub fn role_setting(&self, key: &str) -> Option<&str> {
        let role = self.role.as_ref()?;
        role.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The profile section an ad-hoc role stands for: `role_arn` and its
    /// settings, and the source profile's region unless `--region` is given.
    pub fn section(&self, source: Option<&Section>) -> Section {
        let at = Location {
            file: FileKind::Config,
            line: 0,
        };
        let prop = |v: &str| Property {
            value: v.to_string(),
            at,
        };
        let mut properties = HashMap::new();
        properties.insert("role_arn".to_string(), prop(&self.name));
        for (k, v) in self.role.iter().flatten() {
            properties.insert(k.clone(), prop(v));
        }
        if let Some(region) = source.and_then(|s| s.get("region")) {
            properties.insert("region".to_string(), prop(region));
        }
        Section {
            name: self.encode(),
            at: None,
            properties,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay_plain() {
        let s = Spec::parse("dev").unwrap();
        assert_eq!((s.name.as_str(), s.region, s.role), ("dev", None, None));
        assert_eq!(Spec::parse("dev").unwrap().encode(), "dev");
    }

    #[test]
    fn ad_hoc_roles_round_trip() {
        let spec = Spec {
            name: "arn:aws:iam::123456789012:role/a/b".into(),
            region: Some("eu-west-1".into()),
            role: Some(vec![
                ("source_profile".into(), "base x".into()),
                ("external_id".into(), "e&=?%".into()),
            ]),
        };
        let text = spec.encode();
        assert_eq!(
            text,
            "arn:aws:iam::123456789012:role/a/b?source_profile=base+x&external_id=e%26%3D%3F%25&region=eu-west-1"
        );
        assert_eq!(Spec::parse(&text).unwrap(), spec);
        assert_eq!(spec.role_setting("external_id"), Some("e&=?%"));
        let section = spec.section(None);
        assert_eq!(section.get("role_arn"), Some(spec.name.as_str()));
        assert_eq!(section.get("source_profile"), Some("base x"));
    }

    #[test]
    fn profiles_take_only_a_region() {
        let s = Spec::parse("dev?region=us-west-2").unwrap();
        assert_eq!(s.region.as_deref(), Some("us-west-2"));
        assert!(s.role.is_none());
        assert!(Spec::parse("arn:aws:iam::1:role/r?bogus=1").is_err());
    }

    #[test]
    fn profile_names_may_hold_a_question_mark() {
        // botocore accepts any name; what follows the last `?` is ours only
        // when it reads as our settings.
        for name in ["a?b", "dev?source_profile=x", "what?", "?"] {
            let s = Spec::parse(name).unwrap();
            assert_eq!((s.name.as_str(), &s.region, &s.role), (name, &None, &None));
            assert_eq!(s.encode(), name);
        }
        let s = Spec::parse("a?b?region=eu-west-1").unwrap();
        assert_eq!(
            (s.name.as_str(), s.region.as_deref()),
            ("a?b", Some("eu-west-1"))
        );
        assert_eq!(Spec::parse(&s.encode()).unwrap(), s);
    }
}
