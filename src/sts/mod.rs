//! STS through aws-sdk-sts, and the cold path's runtime and HTTP client.
//! Only a cache miss gets here: the runtime, TLS stack and SDK client are
//! never built on the warm path. Every STS call (AssumeRole, web identity,
//! GetSessionToken, GetCallerIdentity) is built, awaited and worded here.

use std::time::{Duration, SystemTime};

use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::cache::RoleCredentials;
use crate::chain::RoleHop;
use crate::creds::Credentials;
use crate::error::{Error, Status};

mod foreign;
pub mod proxy;
pub mod roots;
pub mod transport;
mod wording;

pub use crate::config::ProfileSetting;
pub use transport::NetSettings;

use wording::{Call, call_error, role_credentials};

/// Time allowed to open a TCP/TLS connection to STS.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Time allowed for one attempt, from sending to the last byte of the answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for one call, all retries included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(12);
/// Attempts per call (the SDK's standard retry with back-off on throttling
/// and 5xx answers).
pub const MAX_ATTEMPTS: u32 = 3;
/// A call still unanswered after this long is announced on stderr.
pub const SLOW_NOTICE: Duration = Duration::from_secs(2);

/// Where and how to reach STS.
#[derive(Clone, Debug)]
pub struct Target {
    pub region: String,
    pub endpoint: Option<String>,
    /// The profile's `ca_bundle`, when it has one.
    pub ca_bundle: Option<ProfileSetting>,
}

impl Target {
    /// The endpoint as messages name it.
    pub fn endpoint_name(&self) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| format!("the STS endpoint of region {}", self.region))
    }
}

/// One AssumeRole request.
pub struct Request<'a> {
    pub hop: &'a RoleHop,
    pub session_name: String,
    pub token_code: Option<String>,
}

/// A failed STS call, already worded for the user. Never holds secrets.
#[derive(Debug)]
pub struct StsError {
    pub kind: StsErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StsErrorKind {
    /// STS answered with an error.
    Service,
    /// STS could not be reached in time.
    Unreachable,
}

/// 4 when STS answered, 5 when it could not be reached.
impl From<StsError> for Error {
    fn from(e: StsError) -> Error {
        let status = match e.kind {
            StsErrorKind::Service => Status::Sts,
            StsErrorKind::Unreachable => Status::Unreachable,
        };
        Error::new(status, e.message)
    }
}

/// The configured session name, else botocore's generated one (never hashed).
pub fn session_name(configured: Option<&str>, now: SystemTime) -> String {
    configured.map(str::to_string).unwrap_or_else(|| {
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        format!("botocore-session-{secs}")
    })
}

/// What the slow-answer notice names: "waiting for PEER to answer REQUEST
/// (giving up after LIMIT)".
pub struct Wait {
    pub peer: String,
    pub request: String,
    /// The bound on the wait, when one is known.
    pub limit: Option<Duration>,
}

/// What GetCallerIdentity says about a set of credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: Option<String>,
    pub arn: Option<String>,
    pub user_id: Option<String>,
}

/// A single-threaded runtime and one HTTP client, shared by every network
/// call of a run (STS and the credential sources).
pub struct Sts {
    runtime: tokio::runtime::Runtime,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    direct: aws_smithy_runtime_api::client::http::SharedHttpClient,
    net: NetSettings,
    last_proxy: transport::LastProxy,
    target: Target,
}

impl Sts {
    /// The runtime and HTTP client, or an error saying they cannot start.
    /// Proxies and the CA bundle come from `getenv` and the target's
    /// profile setting.
    pub fn start(target: Target, getenv: crate::Getenv) -> Result<Sts, Error> {
        let net = NetSettings::read(getenv, target.ca_bundle.as_ref());
        let (http, direct, last_proxy) = transport::clients(&net, getenv)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    Status::Failure,
                    format!("cannot start the HTTP runtime: {e}"),
                )
            })?;
        if let Some(b) = &net.bundle {
            crate::verbose!("trusting only the CAs in {} ({})", b.path, b.origin);
        }
        for p in [&net.proxies.https, &net.proxies.http]
            .into_iter()
            .flatten()
        {
            crate::verbose!(
                "proxy {} from {}{}",
                p.shown(),
                p.var,
                net.proxies
                    .no_proxy
                    .as_ref()
                    .map(|n| format!(", except for NO_PROXY {n}"))
                    .unwrap_or_default()
            );
        }
        Ok(Sts {
            runtime,
            http,
            direct,
            net,
            last_proxy,
            target,
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The one HTTP client (rustls with ring), for credential sources too.
    pub fn http(&self) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        self.http.clone()
    }

    /// The client for instance metadata and container endpoints: same TLS
    /// trust, never a proxy.
    pub fn direct_http(&self) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        self.direct.clone()
    }

    /// The proxies and CA bundle in use, for messages.
    pub fn net(&self) -> &NetSettings {
        &self.net
    }

    /// Why a request could not be sent, for calls other than STS's: the
    /// error's causes, then what failed (the TLS verification with the CA
    /// setting to check, or the proxy with its variable). No password.
    pub fn unreachable_why(&self, err: &dyn std::error::Error) -> String {
        transport::annotate(
            &source_chain(err),
            self.last_proxy().as_ref(),
            self.net.bundle.as_ref(),
        )
    }

    /// The proxy the last request went through, if any.
    pub fn last_proxy(&self) -> Option<proxy::Proxy> {
        self.last_proxy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Run `call` to its end; if it has not answered within [`SLOW_NOTICE`],
    /// say once on stderr what we are waiting for (the call's own timeouts
    /// still bound the wait). Every network wait of a run goes through here.
    pub fn block_on_noting<F: std::future::Future>(&self, wait: &Wait, call: F) -> F::Output {
        self.runtime.block_on(async {
            let mut call = std::pin::pin!(call);
            match tokio::time::timeout(SLOW_NOTICE, &mut call).await {
                Ok(out) => out,
                Err(_) => {
                    let limit = wait
                        .limit
                        .map(|l| format!(" (giving up after {}s)", l.as_secs()))
                        .unwrap_or_default();
                    eprintln!(
                        "awsrole: waiting for {} to answer {}{limit}",
                        wait.peer, wait.request
                    );
                    call.await
                }
            }
        })
    }

    /// An STS client: signed with `creds`, or unsigned without them
    /// (AssumeRoleWithWebIdentity).
    fn client(&self, creds: Option<&Credentials>) -> aws_sdk_sts::Client {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(CALL_TIMEOUT)
            .build();
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.target.region.clone()))
            .http_client(self.http.clone())
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(c) = creds {
            config = config.credentials_provider(aws_credential_types::Credentials::new(
                &c.access_key_id,
                &c.secret_access_key,
                c.session_token.clone(),
                c.expiration,
                "awsrole",
            ));
        }
        if let Some(url) = &self.target.endpoint {
            config = config.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(config.build())
    }

    /// Await one STS call, with the notice, and word its failure.
    fn call<T, E>(
        &self,
        call: &Call,
        fut: impl std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, StsError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let wait = Wait {
            peer: self.target.endpoint_name(),
            request: call.notice(),
            limit: Some(CALL_TIMEOUT),
        };
        self.block_on_noting(&wait, fut)
            .map_err(|e| call_error(e, call, &self.target, self))
    }

    pub fn assume_role(
        &self,
        source: &Credentials,
        req: &Request,
    ) -> Result<RoleCredentials, StsError> {
        let hop = req.hop;
        let send = self
            .client(Some(source))
            .assume_role()
            .role_arn(&hop.role_arn)
            .role_session_name(&req.session_name)
            .set_external_id(hop.external_id.clone())
            .set_serial_number(hop.mfa_serial.clone())
            .set_token_code(req.token_code.clone())
            .set_duration_seconds(hop.duration_seconds.and_then(|d| i32::try_from(d).ok()))
            .send();
        let call = Call::AssumeRole {
            role: &hop.role_arn,
            profile: &hop.profile,
        };
        let out = self.call(&call, send)?;
        role_credentials(&call, out.credentials, out.assumed_role_user)
    }

    /// AssumeRoleWithWebIdentity (unsigned: the token is the credential).
    pub fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        session_name: &str,
        token: &str,
        profile: &str,
    ) -> Result<RoleCredentials, StsError> {
        let send = self
            .client(None)
            .assume_role_with_web_identity()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .web_identity_token(token)
            .send();
        let call = Call::WebIdentity {
            role: role_arn,
            profile,
        };
        let out = self.call(&call, send)?;
        role_credentials(&call, out.credentials, out.assumed_role_user)
    }

    /// GetSessionToken with an MFA code: an MFA session for `user`'s keys.
    pub fn get_session_token(
        &self,
        user: &Credentials,
        serial: &str,
        code: String,
        lifetime: Duration,
        profile: &str,
    ) -> Result<RoleCredentials, StsError> {
        let send = self
            .client(Some(user))
            .get_session_token()
            .serial_number(serial)
            .token_code(code)
            .duration_seconds(i32::try_from(lifetime.as_secs()).unwrap_or(43200))
            .send();
        let call = Call::SessionToken { serial, profile };
        let out = self.call(&call, send)?;
        role_credentials(&call, out.credentials, None)
    }

    /// GetFederationToken for an IAM user's long-term keys, with a policy
    /// that allows everything the user may do (the session gets the
    /// intersection), for a console sign-in.
    pub fn get_federation_token(
        &self,
        user: &Credentials,
        name: &str,
        lifetime: Option<Duration>,
        profile: &str,
    ) -> Result<RoleCredentials, StsError> {
        const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let send = self
            .client(Some(user))
            .get_federation_token()
            .name(name)
            .policy(ALLOW_ALL)
            .set_duration_seconds(lifetime.and_then(|l| i32::try_from(l.as_secs()).ok()))
            .send();
        let call = Call::FederationToken { profile };
        let out = self.call(&call, send)?;
        role_credentials(&call, out.credentials, None)
    }

    /// Who `creds` belong to (GetCallerIdentity).
    pub fn get_caller_identity(&self, creds: &Credentials) -> Result<Identity, StsError> {
        let send = self.client(Some(creds)).get_caller_identity().send();
        let out = self.call(&Call::CallerIdentity, send)?;
        Ok(Identity {
            account: out.account,
            arn: out.arn,
            user_id: out.user_id,
        })
    }
}

/// An error with its causes, e.g. "io error: Connection refused (os error 111)".
pub fn source_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_name_is_configured_or_botocore_style() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1234);
        assert_eq!(session_name(None, now), "botocore-session-1234");
        assert_eq!(session_name(Some("mine"), now), "mine");
    }

    #[test]
    fn sts_errors_become_exit_statuses() {
        let e = |kind| {
            Error::from(StsError {
                kind,
                message: "m".into(),
            })
        };
        assert_eq!(e(StsErrorKind::Service).status, Status::Sts);
        assert_eq!(e(StsErrorKind::Unreachable).status, Status::Unreachable);
    }
}
