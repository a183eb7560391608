//! `credential_source = Environment`, read as botocore reads it, with one
//! rule of awsrole's own: when `AWSROLE_PROFILE` is set, the credential
//! variables are the ones awsrole exported into this shell (env and exec set
//! it alongside them), not the shell's source credentials, and using them
//! would assume the role from its own credentials. They are refused.

use super::{Context, Source};
use crate::creds::Credentials;
use crate::error::{Error, Status};

pub struct Environment<'a> {
    pub profile: &'a str,
}

impl Source for Environment<'_> {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error> {
        let profile = self.profile;
        let get = |k: &str| (cx.getenv)(k).filter(|v| !v.is_empty());
        let at = cx.prefix(profile, "credential_source");
        if let Some(exported) = get("AWSROLE_PROFILE") {
            return Err(Error::new(
                Status::Config,
                format!(
                    "{at}profile `{profile}` has credential_source = Environment, but AWS_ACCESS_KEY_ID and friends in this shell are the credentials awsrole exported for profile `{exported}` (AWSROLE_PROFILE is set), not source credentials; run `eval \"$(awsrole env --unset)\"`, export the source keys again and retry (or `unset AWSROLE_PROFILE` if you exported these keys yourself)"
                ),
            ));
        }
        let (Some(key), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(Error::new(
                Status::Config,
                format!(
                    "{at}profile `{profile}` has credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"
                ),
            ));
        };
        Ok(Credentials {
            access_key_id: key,
            secret_access_key: secret,
            session_token: get("AWS_SECURITY_TOKEN").or_else(|| get("AWS_SESSION_TOKEN")),
            expiration: None,
        })
    }
}
