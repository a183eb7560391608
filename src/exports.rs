//! The variables `env` exports, `exec` sets in the command's environment
//! and `status` reads back: their names, and what each one gets.
//!
//! A region awsrole exported is remembered in [`REGION`], so that the next
//! profile can tell it from a region the user set: when that profile sets
//! no region, AWS_REGION and AWS_DEFAULT_REGION are removed if they still
//! hold awsrole's value, and left alone otherwise.

use crate::Getenv;
use crate::creds::Credentials;
use crate::timefmt;

pub const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// ISO 8601, UTC.
pub const CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
/// The AWS tools' region variables, both set to the profile's region.
pub const REGION_VARIABLES: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];
/// The region awsrole exported (see the module documentation).
pub const REGION: &str = "AWSROLE_REGION";
/// The profile the credentials belong to.
pub const PROFILE: &str = "AWSROLE_PROFILE";
/// When the credentials expire, in seconds since the Unix epoch.
pub const EXPIRATION: &str = "AWSROLE_EXPIRATION";
/// When the prompt hook acts next ([`crate::hook_policy`]).
pub const NEXT: &str = crate::hook_policy::NEXT;
/// botocore reads this legacy name before AWS_SESSION_TOKEN: a stale one
/// would shadow the new token, so it is removed when set.
pub const LEGACY_SESSION_TOKEN: &str = "AWS_SECURITY_TOKEN";

/// Every variable `env` sets, in output order (`env --unset` removes them).
pub const VARIABLES: [&str; 10] = [
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    CREDENTIAL_EXPIRATION,
    REGION_VARIABLES[0],
    REGION_VARIABLES[1],
    REGION,
    PROFILE,
    EXPIRATION,
    NEXT,
];

/// What `env` sets (`Some`) and removes (`None`), in output order; `exec`
/// applies the same list to the command's environment. `region` is the
/// profile's own.
pub fn assignments(
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
    getenv: Getenv,
) -> Vec<(&'static str, Option<String>)> {
    let mut out = vec![
        (ACCESS_KEY_ID, Some(creds.access_key_id.clone())),
        (SECRET_ACCESS_KEY, Some(creds.secret_access_key.clone())),
        (SESSION_TOKEN, creds.session_token.clone()),
        (
            CREDENTIAL_EXPIRATION,
            creds.expiration.map(timefmt::format_utc),
        ),
    ];
    match region {
        Some(r) => {
            for name in REGION_VARIABLES.into_iter().chain([REGION]) {
                out.push((name, Some(r.to_string())));
            }
        }
        None => {
            if let Some(ours) = exported_region(getenv) {
                for name in REGION_VARIABLES {
                    if getenv(name).as_deref() == Some(ours.as_str()) {
                        out.push((name, None));
                    }
                }
            }
            if getenv(REGION).is_some() {
                out.push((REGION, None));
            }
        }
    }
    out.push((PROFILE, Some(profile.to_string())));
    out.push((EXPIRATION, creds.expiration_unix().map(|s| s.to_string())));
    let window = crate::hook_policy::window(getenv).0;
    out.push((
        NEXT,
        creds
            .expiration_unix()
            .map(|e| crate::hook_policy::due_at(e, window).to_string()),
    ));
    if getenv(LEGACY_SESSION_TOKEN).is_some() {
        out.push((LEGACY_SESSION_TOKEN, None));
    }
    out
}

/// The region a previous `env` exported, when it is still remembered.
fn exported_region(getenv: Getenv) -> Option<String> {
    getenv(REGION).filter(|r| !r.is_empty())
}

/// `getenv` without the region variables that still hold the region awsrole
/// exported for the previous profile: they are not the user's setting, so
/// resolving the next profile must not call STS in that region.
pub fn without_exported_region<'a>(getenv: Getenv<'a>) -> impl Fn(&str) -> Option<String> + 'a {
    let ours = exported_region(getenv);
    move |name: &str| {
        let value = getenv(name);
        let exported = REGION_VARIABLES.contains(&name) && ours.is_some() && value == ours;
        if exported { None } else { value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s".into(),
            session_token: Some("t".into()),
            expiration: None,
        }
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn region_part(list: &[(&str, Option<String>)]) -> Vec<(String, Option<String>)> {
        list.iter()
            .filter(|(n, _)| n.contains("REGION"))
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_region_is_exported_and_remembered() {
        let e = env(&[]);
        let got = assignments("p", &creds(), Some("eu-west-1"), &|k| e.get(k).cloned());
        let want: Vec<(String, Option<String>)> = ["AWS_REGION", "AWS_DEFAULT_REGION", REGION]
            .iter()
            .map(|n| (n.to_string(), Some("eu-west-1".to_string())))
            .collect();
        assert_eq!(region_part(&got), want);
        let names: Vec<&str> = got.iter().map(|(n, _)| *n).collect();
        let in_order: Vec<&str> = VARIABLES
            .iter()
            .copied()
            .filter(|v| names.contains(v))
            .collect();
        assert_eq!(names, in_order, "output order is VARIABLES order");
    }

    #[test]
    fn without_a_region_only_awsroles_own_is_removed() {
        let none = |_: &str| None;
        assert!(region_part(&assignments("p", &creds(), None, &none)).is_empty());
        // Both still as awsrole set them: removed, with the marker.
        let e = env(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            (REGION, "eu-west-1"),
        ]);
        let got = region_part(&assignments("p", &creds(), None, &|k| e.get(k).cloned()));
        let gone = |n: &str| (n.to_string(), None);
        assert_eq!(
            got,
            [gone("AWS_REGION"), gone("AWS_DEFAULT_REGION"), gone(REGION)]
        );
        // The user changed AWS_REGION since: it stays.
        let e = env(&[
            ("AWS_REGION", "ap-south-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            (REGION, "eu-west-1"),
        ]);
        let got = region_part(&assignments("p", &creds(), None, &|k| e.get(k).cloned()));
        assert_eq!(got, [gone("AWS_DEFAULT_REGION"), gone(REGION)]);
        // No marker: the user's region, whatever its value.
        let e = env(&[("AWS_REGION", "eu-west-1")]);
        let got = region_part(&assignments("p", &creds(), None, &|k| e.get(k).cloned()));
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn resolution_does_not_see_awsroles_region() {
        let e = env(&[
            ("AWS_REGION", "ap-south-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            (REGION, "eu-west-1"),
            ("HOME", "/h"),
        ]);
        let base = |k: &str| e.get(k).cloned();
        let hidden = without_exported_region(&base);
        assert_eq!(hidden("AWS_REGION").as_deref(), Some("ap-south-1"));
        assert_eq!(hidden("AWS_DEFAULT_REGION"), None);
        assert_eq!(hidden("HOME").as_deref(), Some("/h"));
        assert_eq!(hidden(REGION).as_deref(), Some("eu-west-1"));
        let e = env(&[("AWS_REGION", "eu-west-1"), (REGION, "")]);
        let base = |k: &str| e.get(k).cloned();
        let hidden = without_exported_region(&base);
        assert_eq!(hidden("AWS_REGION").as_deref(), Some("eu-west-1"));
    }
}
