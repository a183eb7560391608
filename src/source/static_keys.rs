//! `aws_access_key_id` / `aws_secret_access_key` (and a session token) in a
//! profile: no network, no cache.

use super::{Context, Source};
use crate::chain::Base;
use crate::creds::Credentials;
use crate::error::Error;

pub struct StaticKeys {
    pub keys: Credentials,
}

impl StaticKeys {
    /// The keys of a `Base::StaticKeys`.
    pub fn from_base(base: &Base) -> Option<StaticKeys> {
        let Base::StaticKeys {
            access_key_id,
            secret_access_key,
            session_token,
            ..
        } = base
        else {
            return None;
        };
        Some(StaticKeys {
            keys: Credentials {
                access_key_id: access_key_id.clone(),
                secret_access_key: secret_access_key.clone(),
                session_token: session_token.clone(),
                expiration: None,
            },
        })
    }
}

impl Source for StaticKeys {
    fn credentials(&self, _: &Context) -> Result<Credentials, Error> {
        Ok(self.keys.clone())
    }
}
