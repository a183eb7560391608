//! Base credentials for the first link of a chain. Each source kind is one
//! match arm; sources that need the network run only on a cache miss.

use crate::Getenv;
use crate::chain::{Base, NamedSource};
use crate::creds::Credentials;
use crate::error::{Error, Status};

pub fn base_credentials(base: &Base, getenv: Getenv) -> Result<Credentials, Error> {
    match base {
        Base::StaticKeys {
            access_key_id,
            secret_access_key,
            session_token,
            ..
        } => Ok(Credentials {
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
            session_token: session_token.clone(),
            expiration: None,
        }),
        Base::Named {
            profile,
            source: NamedSource::Environment,
        } => environment(profile, getenv),
        Base::Named { profile, source } => Err(unsupported(
            profile,
            &format!("credential_source = {}", source.name()),
        )),
        Base::WebIdentity { profile, .. } => Err(unsupported(profile, "web_identity_token_file")),
        Base::Sso { profile, .. } => Err(unsupported(profile, "IAM Identity Center (sso_*)")),
        Base::Process { profile, .. } => Err(unsupported(profile, "credential_process")),
    }
}

fn unsupported(profile: &str, what: &str) -> Error {
    Error::new(
        Status::Config,
        format!(
            "profile `{profile}` uses {what}, which this version of awsrole cannot use as a credential source yet; use `aws configure export-credentials --profile {profile}` meanwhile"
        ),
    )
}

/// `credential_source = Environment`, read as botocore reads it.
fn environment(profile: &str, getenv: Getenv) -> Result<Credentials, Error> {
    let get = |k: &str| getenv(k).filter(|v| !v.is_empty());
    let (Some(key), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) else {
        return Err(Error::new(
            Status::Config,
            format!(
                "profile `{profile}` has credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"
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
