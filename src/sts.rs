//! STS AssumeRole through aws-sdk-sts. Only the cold path gets here: the
//! runtime, TLS stack and SDK client are built on a cache miss, never on the
//! warm path.

use std::time::{Duration, SystemTime};

use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::cache::RoleCredentials;
use crate::chain::RoleHop;
use crate::creds::Credentials;

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

/// A single-threaded runtime and one HTTP client, shared by every hop of a
/// chain.
pub struct Sts {
    runtime: tokio::runtime::Runtime,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    target: Target,
}

impl Sts {
    pub fn new(target: Target) -> std::io::Result<Sts> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        Ok(Sts {
            runtime,
            http,
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

    /// The runtime, to drive credential providers on the cold path.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    pub fn assume_role(
        &self,
        source: &Credentials,
        req: &Request,
    ) -> Result<RoleCredentials, StsError> {
        let client = self.client(source);
        let hop = req.hop;
        let call = client
            .assume_role()
            .role_arn(&hop.role_arn)
            .role_session_name(&req.session_name)
            .set_external_id(hop.external_id.clone())
            .set_serial_number(hop.mfa_serial.clone())
            .set_token_code(req.token_code.clone())
            .set_duration_seconds(hop.duration_seconds.and_then(|d| i32::try_from(d).ok()));
        let what = format!("AssumeRole {} for profile `{}`", hop.role_arn, hop.profile);
        let out = self
            .block_on_noting(&what, call.send())
            .map_err(|e| describe(e, hop, &self.target))?;
        let Some(c) = out.credentials else {
            return Err(StsError {
                kind: StsErrorKind::Service,
                message: format!(
                    "STS answered AssumeRole for {} without credentials",
                    hop.role_arn
                ),
            });
        };
        let expiration = SystemTime::try_from(c.expiration).ok();
        let user = out.assumed_role_user;
        Ok(RoleCredentials {
            credentials: Credentials {
                access_key_id: c.access_key_id,
                secret_access_key: c.secret_access_key,
                session_token: Some(c.session_token),
                expiration,
            },
            assumed_role_id: user.as_ref().map(|u| u.assumed_role_id.clone()),
            arn: user.map(|u| u.arn),
        })
    }

    /// Who `creds` belong to (GetCallerIdentity).
    pub fn get_caller_identity(&self, creds: &Credentials) -> Result<Identity, StsError> {
        let client = self.client(creds);
        let out = self
            .block_on_noting("GetCallerIdentity", client.get_caller_identity().send())
            .map_err(|e| describe_identity_error(e, &self.target))?;
        Ok(Identity {
            account: out.account,
            arn: out.arn,
            user_id: out.user_id,
        })
    }

    /// Run `call` to its end; if it has not answered within [`SLOW_NOTICE`],
    /// say once on stderr what we are waiting for (the SDK's timeouts still
    /// bound the wait).
    pub fn block_on_noting<F: std::future::Future>(&self, what: &str, call: F) -> F::Output {
        self.runtime.block_on(async {
            let mut call = std::pin::pin!(call);
            match tokio::time::timeout(SLOW_NOTICE, &mut call).await {
                Ok(out) => out,
                Err(_) => {
                    eprintln!(
                        "awsrole: waiting for {} to answer {what} (giving up after {}s)",
                        endpoint_name(&self.target),
                        CALL_TIMEOUT.as_secs()
                    );
                    call.await
                }
            }
        })
    }

    pub fn client(&self, source: &Credentials) -> aws_sdk_sts::Client {
        let creds = aws_credential_types::Credentials::new(
            &source.access_key_id,
            &source.secret_access_key,
            source.session_token.clone(),
            source.expiration,
            "awsrole",
        );
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(CALL_TIMEOUT)
            .build();
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.target.region.clone()))
            .credentials_provider(creds)
            .http_client(self.http.clone())
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(url) = &self.target.endpoint {
            config = config.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(config.build())
    }
}

fn describe<E, R>(err: SdkError<E, R>, hop: &RoleHop, target: &Target) -> StsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let role = &hop.role_arn;
    let profile = &hop.profile;
    let endpoint = target
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("the STS endpoint of region {}", target.region));
    let unreachable = |why: String| StsError {
        kind: StsErrorKind::Unreachable,
        message: format!(
            "could not reach {endpoint} to assume {role} (profile `{profile}`): {why}; check the network, the region and any endpoint_url / AWS_ENDPOINT_URL_STS setting"
        ),
    };
    match &err {
        SdkError::TimeoutError(_) => unreachable(format!(
            "no answer within {}s ({MAX_ATTEMPTS} attempts)",
            CALL_TIMEOUT.as_secs()
        )),
        SdkError::DispatchFailure(f) => {
            let why = if f.is_timeout() {
                format!(
                    "timed out (connect {}s, attempt {}s)",
                    CONNECT_TIMEOUT.as_secs(),
                    ATTEMPT_TIMEOUT.as_secs()
                )
            } else {
                match f.as_connector_error() {
                    Some(c) => source_chain(c),
                    None => "connection failed".to_string(),
                }
            };
            unreachable(why)
        }
        SdkError::ServiceError(s) => {
            let e = s.err();
            let code = e.code().unwrap_or("Unknown");
            let text = e.message().unwrap_or("");
            let hint = match code {
                "AccessDenied" => format!(
                    "the source credentials of profile `{profile}` may not assume {role}: check the role's trust policy, external_id and mfa_serial"
                ),
                "ExpiredToken" | "ExpiredTokenException" => format!(
                    "the source credentials used for profile `{profile}` have expired: refresh them (e.g. `awsrole env --refresh` for the source profile) and try again"
                ),
                "InvalidClientTokenId" | "SignatureDoesNotMatch" => format!(
                    "the source credentials used for profile `{profile}` are not valid: check the access key and secret of its source profile"
                ),
                "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
                    "STS is throttling requests: wait a moment and try again".to_string()
                }
                "ValidationError" => format!(
                    "STS rejected the request for {role}: check role_arn, duration_seconds (900..43200, at most 3600 when chaining roles) and role_session_name"
                ),
                "RegionDisabledException" => format!(
                    "STS is not enabled in region {}: enable it or set another region",
                    target.region
                ),
                _ => format!("AssumeRole {role} failed"),
            };
            // Name the hop: in a chain, which role failed matters.
            StsError {
                kind: StsErrorKind::Service,
                message: format!(
                    "STS error {code} for AssumeRole {role} (profile `{profile}`): {text} ({hint})"
                ),
            }
        }
        _ => StsError {
            kind: StsErrorKind::Service,
            message: format!(
                "AssumeRole {role} (profile `{profile}`) failed: {}",
                source_chain(&err)
            ),
        },
    }
}

/// What GetCallerIdentity says about a set of credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: Option<String>,
    pub arn: Option<String>,
    pub user_id: Option<String>,
}

fn endpoint_name(target: &Target) -> String {
    target
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("the STS endpoint of region {}", target.region))
}

fn describe_identity_error<E, R>(err: SdkError<E, R>, target: &Target) -> StsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let endpoint = endpoint_name(target);
    let unreachable = |why: String| StsError {
        kind: StsErrorKind::Unreachable,
        message: format!(
            "could not reach {endpoint} to verify the credentials (GetCallerIdentity): {why}; check the network, the region and any endpoint_url / AWS_ENDPOINT_URL_STS setting"
        ),
    };
    match &err {
        SdkError::TimeoutError(_) => unreachable(format!(
            "no answer within {}s ({MAX_ATTEMPTS} attempts)",
            CALL_TIMEOUT.as_secs()
        )),
        SdkError::DispatchFailure(f) => unreachable(if f.is_timeout() {
            format!(
                "timed out (connect {}s, attempt {}s)",
                CONNECT_TIMEOUT.as_secs(),
                ATTEMPT_TIMEOUT.as_secs()
            )
        } else {
            match f.as_connector_error() {
                Some(c) => source_chain(c),
                None => "connection failed".to_string(),
            }
        }),
        SdkError::ServiceError(s) => {
            let e = s.err();
            let code = e.code().unwrap_or("Unknown");
            let text = e.message().unwrap_or("");
            let hint = match code {
                "ExpiredToken" | "ExpiredTokenException" => {
                    "the credentials have expired: refresh them with `awsrole env --refresh`"
                }
                "InvalidClientTokenId" | "SignatureDoesNotMatch" => {
                    "STS does not accept these credentials: they were revoked, or the variables were changed by hand"
                }
                _ => "GetCallerIdentity failed",
            };
            StsError {
                kind: StsErrorKind::Service,
                message: format!("STS error {code}: {text} ({hint})"),
            }
        }
        _ => StsError {
            kind: StsErrorKind::Service,
            message: format!("GetCallerIdentity failed: {}", source_chain(&err)),
        },
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
