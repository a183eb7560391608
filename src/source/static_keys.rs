//! `aws_access_key_id` / `aws_secret_access_key` (and a session token) in a
//! profile: no network, no cache.

use super::{Context, Source};
use crate::creds::Credentials;
use crate::error::Error;

pub struct StaticKeys {
    pub keys: Credentials,
}

impl StaticKeys {
    pub fn new(access_key_id: &str, secret_access_key: &str, session_token: Option<&str>) -> Self {
        StaticKeys {
            keys: Credentials {
                access_key_id: access_key_id.to_string(),
                secret_access_key: secret_access_key.to_string(),
                session_token: session_token.map(str::to_string),
                expiration: None,
            },
        }
    }
}

impl Source for StaticKeys {
    fn credentials(&self, _: &Context) -> Result<Credentials, Error> {
        Ok(self.keys.clone())
    }
}
