//! The access portal's GetRoleCredentials (aws-sdk-sso): a role's
//! credentials for a sign-in token.

use std::time::{Duration, SystemTime};

use aws_sdk_sso::config::{BehaviorVersion, Region};
use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use super::Session;
use crate::Getenv;
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::sts::{self, Sts};

pub fn role_credentials(
    session: &Session,
    account: &str,
    role: &str,
    access_token: &str,
    getenv: Getenv,
    net: &Sts,
) -> Result<Credentials, Error> {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(sts::CONNECT_TIMEOUT)
        .operation_attempt_timeout(sts::ATTEMPT_TIMEOUT)
        .operation_timeout(sts::CALL_TIMEOUT)
        .build();
    let mut config = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(session.region.clone()))
        .http_client(net.http())
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(sts::MAX_ATTEMPTS));
    let endpoint = super::endpoint("SSO", None, getenv);
    let shown = endpoint
        .clone()
        .unwrap_or_else(|| format!("https://portal.sso.{}.amazonaws.com", session.region));
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    let client = aws_sdk_sso::Client::from_conf(config.build());
    let call = client
        .get_role_credentials()
        .account_id(account)
        .role_name(role)
        .access_token(access_token);
    crate::verbose!("SSO GetRoleCredentials for role {role} in account {account} at {shown}");
    let wait = sts::Wait {
        peer: shown.to_string(),
        request: format!("GetRoleCredentials for role {role} in account {account}"),
        limit: Some(sts::CALL_TIMEOUT),
    };
    let out = net.block_on_noting(&wait, call.send()).map_err(|e| {
        let profile = session.who();
        let (status, why) = match &e {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => (
                Status::Unreachable,
                format!("could not reach {shown}: {}", net.unreachable_why(&e)),
            ),
            SdkError::ServiceError(s) => (
                Status::Sts,
                format!(
                    "{}: {}",
                    s.err().code().unwrap_or("Unknown"),
                    s.err().message().unwrap_or("")
                ),
            ),
            _ => (Status::Sts, sts::source_chain(&e)),
        };
        Error::new(
            status,
            format!(
                "profile `{profile}`: IAM Identity Center did not give credentials for role {role} in account {account} ({why}); if the sign-in has expired or was revoked, {}",
                session.login_hint()
            ),
        )
    })?;
    let c = out.role_credentials.ok_or_else(|| {
        Error::new(
            Status::Sts,
            format!(
                "IAM Identity Center answered {} without credentials",
                wait.request
            ),
        )
    })?;
    let (Some(key), Some(secret)) = (c.access_key_id, c.secret_access_key) else {
        return Err(Error::new(
            Status::Sts,
            format!(
                "IAM Identity Center answered {} without an access key",
                wait.request
            ),
        ));
    };
    Ok(Credentials {
        access_key_id: key,
        secret_access_key: secret,
        session_token: c.session_token,
        expiration: Some(
            SystemTime::UNIX_EPOCH + Duration::from_millis(c.expiration.max(0) as u64),
        ),
    })
}
