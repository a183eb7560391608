//! The SSO-OIDC calls (RegisterClient, StartDeviceAuthorization,
//! CreateToken) through aws-sdk-ssooidc, on awsrole's one runtime and rustls
//! HTTP client. These calls are unsigned.

use std::time::{Duration, SystemTime};

use aws_sdk_ssooidc::config::{BehaviorVersion, Region};
use aws_sdk_ssooidc::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use super::Session;
use super::token_cache::{DEVICE_GRANT, Registration, Token};
use crate::error::{Error, Status};
use crate::sts::{self, Sts};

pub const CODE_GRANT: &str = "authorization_code";
pub const REFRESH_GRANT: &str = "refresh_token";
/// The redirect URI registered for PKCE; the port is added per login.
pub const REDIRECT_BASE: &str = "http://127.0.0.1/oauth/callback";

/// A failed OIDC call, worded without secrets.
#[derive(Debug)]
pub struct OidcError {
    /// The OAuth error (`authorization_pending`, `invalid_grant`, ...) or the
    /// service's error code; `None` when the service was not reached.
    pub code: Option<String>,
    pub message: String,
}

impl OidcError {
    pub fn is(&self, oauth: &str, exception: &str) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c == oauth || c == exception)
    }

    pub fn unreachable(&self) -> bool {
        self.code.is_none()
    }
}

/// An SSO-OIDC client for one session's region.
pub struct Oidc<'a> {
    net: &'a Sts,
    client: aws_sdk_ssooidc::Client,
    /// Where the calls go, for messages.
    pub endpoint: String,
}

impl<'a> Oidc<'a> {
    pub fn new(net: &'a Sts, region: &str, endpoint: Option<String>) -> Oidc<'a> {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(sts::CONNECT_TIMEOUT)
            .operation_attempt_timeout(sts::ATTEMPT_TIMEOUT)
            .operation_timeout(sts::CALL_TIMEOUT)
            .build();
        let mut config = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .http_client(net.http())
            .timeout_config(timeouts)
            // Polls and refreshes are retried by us, where it matters.
            .retry_config(RetryConfig::standard().with_max_attempts(sts::MAX_ATTEMPTS));
        let shown = endpoint
            .clone()
            .unwrap_or_else(|| format!("https://oidc.{region}.amazonaws.com"));
        if let Some(url) = endpoint {
            config = config.endpoint_url(url);
        }
        Oidc {
            net,
            client: aws_sdk_ssooidc::Client::from_conf(config.build()),
            endpoint: shown,
        }
    }

    /// The slow-answer notice for one call.
    fn wait(&self, request: &str) -> sts::Wait {
        sts::Wait {
            peer: self.endpoint.clone(),
            request: request.to_string(),
            limit: Some(sts::CALL_TIMEOUT),
        }
    }

    /// RegisterClient for `grant_types` (empty: the device-code client).
    pub fn register(
        &self,
        session: &Session,
        grant_types: &[&str],
    ) -> Result<Registration, OidcError> {
        let scopes = session.scopes_or_default();
        let mut call = self
            .client
            .register_client()
            .client_name(format!(
                "awsrole-{}",
                std::time::SystemTime::now()
                    .duration_since(std::time::SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
            ))
            .client_type("public")
            .set_scopes(Some(scopes.clone()));
        if !grant_types.is_empty() {
            call = call
                .set_grant_types(Some(grant_types.iter().map(|g| g.to_string()).collect()))
                .redirect_uris(REDIRECT_BASE)
                .issuer_url(&session.start_url);
        }
        crate::verbose!("SSO-OIDC RegisterClient at {}", self.endpoint);
        let out = self
            .net
            .block_on_noting(&self.wait("RegisterClient"), call.send())
            .map_err(|e| describe(e, "RegisterClient", self.net))?;
        let (Some(id), Some(secret)) = (out.client_id, out.client_secret) else {
            return Err(missing("RegisterClient", "clientId and clientSecret"));
        };
        let expires = SystemTime::UNIX_EPOCH
            + Duration::from_secs(out.client_secret_expires_at.max(0) as u64);
        Ok(Registration {
            client_id: id,
            client_secret: secret,
            expires_at: expires,
            scopes,
            grant_types: grant_types.iter().map(|g| g.to_string()).collect(),
        })
    }

    pub fn start_device(
        &self,
        reg: &Registration,
        start_url: &str,
    ) -> Result<DeviceAuthorization, OidcError> {
        crate::verbose!("SSO-OIDC StartDeviceAuthorization at {}", self.endpoint);
        let call = self
            .client
            .start_device_authorization()
            .client_id(&reg.client_id)
            .client_secret(&reg.client_secret)
            .start_url(start_url);
        let out = self
            .net
            .block_on_noting(&self.wait("StartDeviceAuthorization"), call.send())
            .map_err(|e| describe(e, "StartDeviceAuthorization", self.net))?;
        let (Some(device_code), Some(user_code), Some(uri)) =
            (out.device_code, out.user_code, out.verification_uri)
        else {
            return Err(missing(
                "StartDeviceAuthorization",
                "deviceCode, userCode and verificationUri",
            ));
        };
        Ok(DeviceAuthorization {
            device_code,
            user_code,
            verification_uri: uri,
            verification_uri_complete: out.verification_uri_complete,
            expires_in: Duration::from_secs(out.expires_in.max(1) as u64),
            interval: Duration::from_secs(if out.interval > 0 {
                out.interval as u64
            } else {
                5
            }),
        })
    }

    /// CreateToken with one of the three grants.
    pub fn create_token(&self, reg: &Registration, grant: Grant) -> Result<Issued, OidcError> {
        let mut call = self
            .client
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(&reg.client_secret);
        let name = match &grant {
            Grant::Device { device_code } => {
                call = call.grant_type(DEVICE_GRANT).device_code(*device_code);
                "device code"
            }
            Grant::Code {
                code,
                verifier,
                redirect_uri,
            } => {
                call = call
                    .grant_type(CODE_GRANT)
                    .code(*code)
                    .code_verifier(*verifier)
                    .redirect_uri(*redirect_uri);
                "authorization code"
            }
            Grant::Refresh { refresh_token } => {
                call = call.grant_type(REFRESH_GRANT).refresh_token(*refresh_token);
                "refresh token"
            }
        };
        crate::verbose!("SSO-OIDC CreateToken ({name} grant) at {}", self.endpoint);
        let out = self
            .net
            .block_on_noting(&self.wait("CreateToken"), call.send())
            .map_err(|e| describe(e, "CreateToken", self.net))?;
        let Some(access_token) = out.access_token else {
            return Err(missing("CreateToken", "accessToken"));
        };
        Ok(Issued {
            access_token,
            expires_in: Duration::from_secs(out.expires_in.max(0) as u64),
            refresh_token: out.refresh_token,
        })
    }
}

pub enum Grant<'g> {
    Device {
        device_code: &'g str,
    },
    Code {
        code: &'g str,
        verifier: &'g str,
        redirect_uri: &'g str,
    },
    Refresh {
        refresh_token: &'g str,
    },
}

pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
    pub interval: Duration,
}

/// CreateToken's answer.
pub struct Issued {
    pub access_token: String,
    pub expires_in: Duration,
    pub refresh_token: Option<String>,
}

impl Issued {
    /// The token file for a fresh token from registration `reg`. A refresh
    /// answer without a new refresh token keeps `previous`.
    pub fn into_token(
        self,
        session: &Session,
        reg: &Registration,
        previous: Option<String>,
    ) -> Token {
        Token {
            start_url: Some(session.start_url.clone()),
            region: Some(session.region.clone()),
            access_token: self.access_token,
            expires_at: SystemTime::now() + self.expires_in,
            client_id: Some(reg.client_id.clone()),
            client_secret: Some(reg.client_secret.clone()),
            registration_expires_at: Some(reg.expires_at),
            refresh_token: self.refresh_token.or(previous),
        }
    }
}

fn missing(op: &str, what: &str) -> OidcError {
    OidcError {
        code: Some("InvalidResponse".into()),
        message: format!("SSO-OIDC answered {op} without {what}"),
    }
}

/// The exception name is the code. The service's message is kept: it never
/// holds the caller's secrets.
fn describe<E, R>(err: SdkError<E, R>, op: &str, net: &Sts) -> OidcError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(s) => {
            let e = s.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            OidcError {
                message: format!(
                    "SSO-OIDC error {code} for {op}: {}",
                    e.message().unwrap_or("")
                ),
                code: Some(code),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => OidcError {
            code: None,
            message: format!(
                "could not reach SSO-OIDC for {op}: {}",
                net.unreachable_why(&err)
            ),
        },
        _ => OidcError {
            code: Some("Unknown".into()),
            message: format!("SSO-OIDC {op} failed: {}", sts::source_chain(&err)),
        },
    }
}

/// An OIDC error during login, for the user.
pub fn oidc_error(session: &Session, oidc: &Oidc, e: OidcError) -> Error {
    if e.unreachable() {
        return Error::new(
            Status::Unreachable,
            format!(
                "{} (IAM Identity Center at {} for {}); check the network, sso_region and any AWS_ENDPOINT_URL_SSO_OIDC setting",
                e.message,
                oidc.endpoint,
                session.describe()
            ),
        );
    }
    Error::new(
        Status::Sts,
        format!("{} (signing in to {})", e.message, session.describe()),
    )
}
