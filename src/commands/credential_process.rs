//! `awsrole credential-process PROFILE`: the `credential_process` JSON
//! (Version 1), so that any SDK profile can use awsrole's cache, locks and
//! MFA prompt:
//!
//! ```ini
//! [profile marketing]
//! credential_process = awsrole credential-process marketingadmin
//! ```
//!
//! The caller captures stdout (the JSON) and stderr (shown only when we
//! fail); an MFA code is asked for on the terminal itself (/dev/tty).
//!
//! Loops (`credential_process = awsrole credential-process x` inside x, or
//! inside one of x's source profiles) are refused before anything runs, by
//! [`process_loop::check`]. Loops that go through something awsrole
//! cannot read (a wrapper script) are caught at run time: each
//! credential-process adds its profile to [`STACK_VAR`], which its children
//! inherit, and refuses to start for a profile already on it.

use crate::Getenv;
use crate::cli::CredentialProcessCli;
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::{resolve, timefmt};

/// Profiles whose `credential-process` is running in an ancestor process,
/// outermost first, separated by spaces (profile names have none).
pub const STACK_VAR: &str = "AWSROLE_CREDENTIAL_PROCESS_STACK";

/// Nested credential-process runs allowed, whatever the profiles.
pub const MAX_DEPTH: usize = 8;

pub fn run(args: &CredentialProcessCli, getenv: Getenv) -> Result<String, Error> {
    let stack = enter(&args.profile, getenv)?;
    // SAFETY: nothing else runs yet (no runtime, no threads); the variable is
    // for the processes this one may start.
    unsafe { std::env::set_var(STACK_VAR, &stack) };
    let name = crate::cli::RoleArgs::default().spec(
        Some(&args.profile),
        None,
        args.cached.region.as_deref(),
        getenv,
    )?;
    let r = resolve::credentials(&name, &args.cached.options(false), getenv)?;
    Ok(to_json(&r.credentials))
}

/// The new value of [`STACK_VAR`], or the loop error.
fn enter(profile: &str, getenv: Getenv) -> Result<String, Error> {
    let inherited = getenv(STACK_VAR).unwrap_or_default();
    let stack: Vec<&str> = inherited.split_whitespace().collect();
    if stack.contains(&profile) || stack.len() >= MAX_DEPTH {
        let path = stack
            .iter()
            .chain(std::iter::once(&profile))
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(" -> ");
        return Err(Error::new(
            Status::Config,
            format!(
                "credential_process loop: awsrole credential-process was started for {path}, each through a credential_process of the one before; the profile whose credential_process runs `awsrole credential-process {profile}` must not be `{profile}` itself nor one of its source profiles"
            ),
        ));
    }
    let mut out = stack.join(" ");
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(profile);
    Ok(out)
}

/// One line of JSON, as the AWS SDKs read it. SessionToken and Expiration
/// are left out for long-term keys (the SDKs then never refresh them).
pub fn to_json(c: &Credentials) -> String {
    let s = |v: &str| serde_json::Value::from(v).to_string();
    let mut out = format!(
        "{{\"Version\": 1, \"AccessKeyId\": {}, \"SecretAccessKey\": {}",
        s(&c.access_key_id),
        s(&c.secret_access_key)
    );
    if let Some(t) = &c.session_token {
        out.push_str(&format!(", \"SessionToken\": {}", s(t)));
    }
    if let Some(e) = c.expiration {
        out.push_str(&format!(", \"Expiration\": {}", s(&timefmt::format_utc(e))));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn json_has_version_1_and_rfc3339_expiration() {
        let c = Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s\"e/c+r=et".into(),
            session_token: Some("tok".into()),
            expiration: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_628_193_482)),
        };
        let text = to_json(&c);
        assert!(text.ends_with("}\n") && text.lines().count() == 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "ASIA1");
        assert_eq!(v["SecretAccessKey"], "s\"e/c+r=et");
        assert_eq!(v["SessionToken"], "tok");
        assert_eq!(v["Expiration"], "2021-08-05T19:58:02Z");
        let keys = Credentials {
            session_token: None,
            expiration: None,
            ..c
        };
        let v: serde_json::Value = serde_json::from_str(&to_json(&keys)).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
    }

    #[test]
    fn the_stack_refuses_a_profile_twice() {
        let none = |_: &str| None;
        assert_eq!(enter("x", &none).unwrap(), "x");
        let one = |k: &str| (k == STACK_VAR).then(|| "a b".to_string());
        assert_eq!(enter("x", &one).unwrap(), "a b x");
        let e = enter("a", &one).unwrap_err();
        assert_eq!(e.status, Status::Config);
        assert!(e.message.contains("`a` -> `b` -> `a`"), "{e}");
        let deep = |k: &str| (k == STACK_VAR).then(|| "1 2 3 4 5 6 7 8".to_string());
        assert!(enter("x", &deep).is_err());
    }
}
