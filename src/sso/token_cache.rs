//! The AWS CLI's SSO token cache (`~/.aws/sso/cache`): the token file and
//! the client registration file, in the CLI's JSON, written atomically
//! (temp file, fsync, rename, 0600) under the role cache's kind of per-file
//! lock, so readers never see a torn file and refreshes are single-flight.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cache::{Cache, KeyLock, LockError};

/// The OAuth device-code grant type.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
use crate::pyjson::{Py, dumps};
use crate::timefmt::{format_utc, parse_expiration};

/// A sign-in token, as `aws sso login` and botocore write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub start_url: Option<String>,
    pub region: Option<String>,
    pub access_token: String,
    pub expires_at: SystemTime,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub registration_expires_at: Option<SystemTime>,
    pub refresh_token: Option<String>,
}

impl Token {
    /// A token file body; anything unusable is `None`.
    pub fn parse(body: &[u8]) -> Option<Token> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let s = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .filter(|x| !x.is_empty())
                .map(str::to_string)
        };
        Some(Token {
            start_url: s("startUrl"),
            region: s("region"),
            access_token: s("accessToken")?,
            expires_at: parse_expiration(&s("expiresAt")?)?,
            client_id: s("clientId"),
            client_secret: s("clientSecret"),
            registration_expires_at: s("registrationExpiresAt")
                .as_deref()
                .and_then(parse_expiration),
            refresh_token: s("refreshToken"),
        })
    }

    /// The file body, one line of Python-style JSON as botocore writes it.
    pub fn to_json(&self) -> String {
        let expires = format_utc(self.expires_at);
        let reg_expires = self.registration_expires_at.map(format_utc);
        let mut fields = Vec::new();
        if let Some(u) = &self.start_url {
            fields.push(("startUrl", Py::Str(u)));
        }
        if let Some(r) = &self.region {
            fields.push(("region", Py::Str(r)));
        }
        fields.push(("accessToken", Py::Str(&self.access_token)));
        fields.push(("expiresAt", Py::Str(&expires)));
        if let Some(c) = &self.client_id {
            fields.push(("clientId", Py::Str(c)));
        }
        if let Some(c) = &self.client_secret {
            fields.push(("clientSecret", Py::Str(c)));
        }
        if let Some(r) = &reg_expires {
            fields.push(("registrationExpiresAt", Py::Str(r)));
        }
        if let Some(r) = &self.refresh_token {
            fields.push(("refreshToken", Py::Str(r)));
        }
        dumps(&Py::Obj(fields))
    }

    /// Time left at `now` (zero once expired).
    pub fn time_left(&self, now: SystemTime) -> Duration {
        self.expires_at.duration_since(now).unwrap_or_default()
    }

    /// Can the refresh_token grant renew this token at `now`? The reason
    /// when not.
    pub fn refresh_blocker(&self, now: SystemTime) -> Option<&'static str> {
        if self.refresh_token.is_none() {
            return Some("it has no refresh token");
        }
        if self.client_id.is_none() || self.client_secret.is_none() {
            return Some("it has no client registration");
        }
        match self.registration_expires_at {
            None => Some("its client registration has no expiry time"),
            Some(t) if t <= now => Some("its client registration has expired"),
            Some(_) => None,
        }
    }
}

/// A client registration (RegisterClient's answer), as the AWS CLI keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: String,
    pub expires_at: SystemTime,
    pub scopes: Vec<String>,
    pub grant_types: Vec<String>,
}

impl Registration {
    pub fn parse(body: &[u8]) -> Option<Registration> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let list = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Registration {
            client_id: s("clientId").filter(|x| !x.is_empty())?,
            client_secret: s("clientSecret").filter(|x| !x.is_empty())?,
            expires_at: parse_expiration(&s("expiresAt")?)?,
            scopes: list("scopes"),
            grant_types: list("grantTypes"),
        })
    }

    pub fn to_json(&self) -> String {
        let expires = format_utc(self.expires_at);
        let list = |items: &[String]| {
            let parts: Vec<String> = items.iter().map(|s| dumps(&Py::Str(s))).collect();
            format!("[{}]", parts.join(", "))
        };
        let mut text = format!(
            "{{\"clientId\": {}, \"clientSecret\": {}, \"expiresAt\": {}, \"scopes\": {}",
            dumps(&Py::Str(&self.client_id)),
            dumps(&Py::Str(&self.client_secret)),
            dumps(&Py::Str(&expires)),
            list(&self.scopes),
        );
        // The device-code registration has none, as the AWS CLI writes it.
        if !self.grant_types.is_empty() {
            text.push_str(&format!(", \"grantTypes\": {}", list(&self.grant_types)));
        }
        text.push('}');
        text
    }

    /// Usable for `grant_types` (all of them) until well after `now`. A
    /// registration that lists no grant types (the device-code flow's) allows
    /// the device code and refresh grants.
    pub fn fits(&self, now: SystemTime, grant_types: &[&str]) -> bool {
        let allowed = |g: &str| {
            if self.grant_types.is_empty() {
                g == DEVICE_GRANT || g == "refresh_token"
            } else {
                self.grant_types.iter().any(|x| x == g)
            }
        };
        self.expires_at > now + Duration::from_secs(15 * 60)
            && grant_types.iter().all(|g| allowed(g))
    }
}

/// `~/.aws/sso/cache`.
pub struct TokenCache {
    files: Cache,
}

impl TokenCache {
    pub fn new(dir: PathBuf) -> TokenCache {
        TokenCache {
            files: Cache::new(dir),
        }
    }

    pub fn dir(&self) -> &Path {
        self.files.dir()
    }

    pub fn path(&self, key: &str) -> PathBuf {
        self.files.entry_path(key)
    }

    /// Does a file exist under `key` (usable or not)?
    pub fn exists(&self, key: &str) -> bool {
        std::fs::symlink_metadata(self.path(key)).is_ok()
    }

    pub fn token(&self, key: &str) -> Option<Token> {
        Token::parse(&self.files.read_body(key)?)
    }

    pub fn registration(&self, key: &str) -> Option<Registration> {
        Registration::parse(&self.files.read_body(key)?)
    }

    pub fn write_token(&self, key: &str, token: &Token) -> io::Result<()> {
        self.files.write_durable(key, &token.to_json())
    }

    pub fn write_registration(&self, key: &str, r: &Registration) -> io::Result<()> {
        self.files.write_durable(key, &r.to_json())
    }

    /// The per-file lock for `key` (`<key>.lock` beside it).
    pub fn lock(&self, key: &str, who: &str, timeout: Duration) -> Result<KeyLock, LockError> {
        self.files.lock(key, who, timeout)
    }

    /// Remove the file for `key` (and its lock file); true when there was one.
    pub fn remove(&self, key: &str) -> io::Result<bool> {
        let removed = match std::fs::remove_file(self.path(key)) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        let _ = std::fs::remove_file(self.dir().join(format!("{key}.lock")));
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn token() -> Token {
        Token {
            start_url: Some("https://x.awsapps.com/start".into()),
            region: Some("us-east-1".into()),
            access_token: "at".into(),
            expires_at: at(1_700_000_000),
            client_id: Some("cid".into()),
            client_secret: Some("cs".into()),
            registration_expires_at: Some(at(1_800_000_000)),
            refresh_token: Some("rt".into()),
        }
    }

    #[test]
    fn token_round_trips_in_the_cli_format() {
        let json = token().to_json();
        assert_eq!(
            json,
            r#"{"startUrl": "https://x.awsapps.com/start", "region": "us-east-1", "accessToken": "at", "expiresAt": "2023-11-14T22:13:20Z", "clientId": "cid", "clientSecret": "cs", "registrationExpiresAt": "2027-01-15T08:00:00Z", "refreshToken": "rt"}"#
        );
        assert_eq!(Token::parse(json.as_bytes()), Some(token()));
    }

    #[test]
    fn the_aws_cli_v2_time_style_is_read() {
        let body = br#"{"accessToken": "a", "expiresAt": "2023-11-14T22:13:20UTC"}"#;
        assert_eq!(Token::parse(body).unwrap().expires_at, at(1_700_000_000));
        assert!(Token::parse(br#"{"accessToken": "a"}"#).is_none());
        assert!(Token::parse(br#"{"accessToken": "a", "expiresAt": "soon"}"#).is_none());
    }

    #[test]
    fn refresh_needs_a_live_registration() {
        let t = token();
        assert_eq!(t.refresh_blocker(at(1_700_000_000)), None);
        assert!(t.refresh_blocker(at(1_900_000_000)).is_some());
        let mut no_rt = token();
        no_rt.refresh_token = None;
        assert!(no_rt.refresh_blocker(at(0)).is_some());
    }

    #[test]
    fn registration_round_trips_and_fits() {
        let r = Registration {
            client_id: "c".into(),
            client_secret: "s".into(),
            expires_at: at(1_800_000_000),
            scopes: vec!["sso:account:access".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        };
        assert_eq!(Registration::parse(r.to_json().as_bytes()), Some(r.clone()));
        assert!(r.fits(at(1_700_000_000), &["authorization_code"]));
        assert!(!r.fits(
            at(1_700_000_000),
            &["urn:ietf:params:oauth:grant-type:device_code"]
        ));
        assert!(!r.fits(at(1_800_000_000), &[]));
        let device = Registration {
            grant_types: Vec::new(),
            ..r
        };
        assert!(!device.to_json().contains("grantTypes"));
        assert_eq!(
            Registration::parse(device.to_json().as_bytes()),
            Some(device.clone())
        );
        assert!(device.fits(at(1_700_000_000), &[DEVICE_GRANT]));
        assert!(!device.fits(at(1_700_000_000), &["authorization_code"]));
    }
}
