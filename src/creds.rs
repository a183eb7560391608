//! Credentials as awsrole passes them around. Debug output never shows secrets.

use std::fmt;
use std::time::SystemTime;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub expiration: Option<SystemTime>,
}

impl Credentials {
    /// Seconds since the Unix epoch at which these credentials expire.
    pub fn expiration_unix(&self) -> Option<u64> {
        let exp = self.expiration?;
        Some(
            exp.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "s3cr3t-value".into(),
            session_token: Some("t0ken-value".into()),
            expiration: None,
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("s3cr3t-value"));
        assert!(!shown.contains("t0ken-value"));
    }
}
