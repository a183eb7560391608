//! IAM Identity Center (SSO) sign-in of awsrole's own: `awsrole login`
//! (PKCE or device code), the AWS CLI's token cache under a lock, silent
//! refresh with the refresh_token grant, and the portal's role credentials.
//!
//! The files are the AWS CLI's own (`~/.aws/sso/cache`), so `aws sso login`
//! and awsrole use each other's tokens and client registrations.

pub mod callback;
pub mod device;
pub mod login;
pub mod oidc;
pub mod pkce;
pub mod portal;
pub mod refresh;
pub mod report;
pub mod token_cache;

use std::path::{Path, PathBuf};

use crate::Getenv;
use crate::cache::sha1_hex;
use crate::error::{Error, Status};
use crate::profile_file::{ProfileSet, Section};
use crate::pyjson::{Py, dumps};

/// Scopes asked for when the sso-session names none.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// One sign-in: an `[sso-session]`, or the start URL of a legacy profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The profile the user named (for messages and `awsrole login PROFILE`).
    pub profile: Option<String>,
    /// `[sso-session NAME]`; `None` for a legacy profile.
    pub name: Option<String>,
    pub start_url: String,
    pub region: String,
    /// `sso_registration_scopes`, split as the AWS CLI splits it; `None` when
    /// the key is absent.
    pub scopes: Option<Vec<String>>,
}

impl Session {
    /// The session behind profile `name`'s `sso_*` settings.
    pub fn for_profile(set: &ProfileSet, name: &str) -> Result<Session, Error> {
        let Some(profile) = set.profiles.get(name) else {
            return Err(Error::new(
                Status::Config,
                format!("profile `{name}` was not found in the config file"),
            ));
        };
        if let Some(session) = profile.get("sso_session") {
            let mut s = Session::named(set, session)?;
            s.profile = Some(name.to_string());
            return Ok(s);
        }
        match (profile.get("sso_start_url"), profile.get("sso_region")) {
            (Some(url), Some(region)) => Ok(Session {
                profile: Some(name.to_string()),
                name: None,
                start_url: url.to_string(),
                region: region.to_string(),
                scopes: None,
            }),
            _ => Err(Error::new(
                Status::Config,
                format!(
                    "profile `{name}` does not use IAM Identity Center: it has neither sso_session nor sso_start_url and sso_region; `aws configure sso --profile {name}` writes them"
                ),
            )),
        }
    }

    /// `[sso-session NAME]`.
    pub fn named(set: &ProfileSet, name: &str) -> Result<Session, Error> {
        let Some(section) = set.sso_sessions.get(name) else {
            return Err(Error::new(
                Status::Config,
                format!("there is no [sso-session {name}] in the config file"),
            ));
        };
        let get = |k: &str| section.get(k).filter(|v| !v.is_empty());
        let (Some(url), Some(region)) = (get("sso_start_url"), get("sso_region")) else {
            return Err(Error::new(
                Status::Config,
                format!(
                    "[sso-session {name}] needs both sso_start_url and sso_region; `aws configure sso-session` writes them"
                ),
            ));
        };
        Ok(Session {
            profile: None,
            name: Some(name.to_string()),
            start_url: url.to_string(),
            region: region.to_string(),
            scopes: section.get("sso_registration_scopes").map(parse_scopes),
        })
    }

    /// Every `[sso-session]`, sorted by name (for `list`, `status`, `logout --all`).
    pub fn all(set: &ProfileSet) -> Vec<Session> {
        let mut names: Vec<&String> = set.sso_sessions.keys().collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|n| Session::named(set, n).ok())
            .collect()
    }

    /// The token file's key: SHA-1 of the session name, or of the start URL
    /// for a legacy profile (botocore's SSOTokenLoader).
    pub fn token_key(&self) -> String {
        sha1_hex(self.name.as_deref().unwrap_or(&self.start_url))
    }

    /// The client registration's key, as the AWS CLI v2 computes it: SHA-1
    /// of `json.dumps({...}, sort_keys=True)` with tool, startUrl, region,
    /// scopes and session_name (null when absent).
    pub fn registration_key(&self) -> String {
        let null = "null".to_string();
        let scopes = match &self.scopes {
            Some(list) => {
                let items: Vec<String> = list.iter().map(|s| dumps(&Py::Str(s))).collect();
                format!("[{}]", items.join(", "))
            }
            None => null.clone(),
        };
        let session = self
            .name
            .as_deref()
            .map(|n| dumps(&Py::Str(n)))
            .unwrap_or(null);
        let text = format!(
            "{{\"region\": {}, \"scopes\": {scopes}, \"session_name\": {session}, \"startUrl\": {}, \"tool\": \"botocore\"}}",
            dumps(&Py::Str(&self.region)),
            dumps(&Py::Str(&self.start_url)),
        );
        sha1_hex(&text)
    }

    /// The scopes to register with.
    pub fn scopes_or_default(&self) -> Vec<String> {
        match &self.scopes {
            Some(s) if !s.is_empty() => s.clone(),
            _ => vec![DEFAULT_SCOPE.to_string()],
        }
    }

    /// What to run to sign in again.
    pub fn login_command(&self) -> String {
        match (&self.profile, &self.name) {
            (Some(p), _) => format!("awsrole login {p}"),
            (None, Some(n)) => format!("awsrole login --sso-session {n}"),
            (None, None) => "awsrole login".to_string(),
        }
    }

    /// "sso-session `corp`" or "start URL https://...".
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("sso-session `{n}`"),
            None => format!("start URL {}", self.start_url),
        }
    }
}

/// `sso_registration_scopes`: comma-separated, trimmed, empties dropped.
pub fn parse_scopes(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `~/.aws/sso/cache`.
pub fn cache_dir(home: &Path) -> PathBuf {
    home.join(".aws").join("sso").join("cache")
}

/// The endpoint override for an SSO service (`"SSO OIDC"`, `"SSO"`), with the
/// precedence STS's has (`AWS_ENDPOINT_URL_<SERVICE>`, then
/// `AWS_ENDPOINT_URL`, then the profile's settings when one is given).
pub fn endpoint(service_id: &str, profile: Option<&Section>, getenv: Getenv) -> Option<String> {
    let empty_set = ProfileSet::default();
    let empty = Section::default();
    crate::endpoint::configured_endpoint(service_id, profile.unwrap_or(&empty), &empty_set, getenv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(name: Option<&str>, scopes: Option<Vec<&str>>) -> Session {
        Session {
            profile: None,
            name: name.map(str::to_string),
            start_url: "https://d-abc123.awsapps.com/start".into(),
            region: "us-east-1".into(),
            scopes: scopes.map(|v| v.into_iter().map(str::to_string).collect()),
        }
    }

    #[test]
    fn token_key_is_sha1_of_session_name_or_start_url() {
        // sha1("dev") and sha1 of the start URL, computed with Python's hashlib.
        assert_eq!(
            session(Some("dev"), None).token_key(),
            "34c6fceca75e456f25e7e99531e2425c6c1de443"
        );
        assert_eq!(
            session(None, None).token_key(),
            sha1_hex("https://d-abc123.awsapps.com/start")
        );
    }

    #[test]
    fn registration_key_hashes_python_json() {
        let s = session(Some("dev"), Some(vec!["sso:account:access"]));
        let text = r#"{"region": "us-east-1", "scopes": ["sso:account:access"], "session_name": "dev", "startUrl": "https://d-abc123.awsapps.com/start", "tool": "botocore"}"#;
        assert_eq!(s.registration_key(), sha1_hex(text));
        let legacy = session(None, None);
        let text = r#"{"region": "us-east-1", "scopes": null, "session_name": null, "startUrl": "https://d-abc123.awsapps.com/start", "tool": "botocore"}"#;
        assert_eq!(legacy.registration_key(), sha1_hex(text));
    }

    #[test]
    fn scopes_split_like_the_cli() {
        assert_eq!(parse_scopes(" a, ,b ,"), vec!["a", "b"]);
        assert_eq!(
            session(None, Some(vec![])).scopes_or_default(),
            vec![DEFAULT_SCOPE]
        );
    }
}
