//! The wording of every STS call's failures, and its answer read into
//! credentials: one place for AssumeRole, web identity, GetSessionToken and
//! GetCallerIdentity.

use std::time::SystemTime;

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::AssumedRoleUser;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::foreign::Foreign;
use super::{
    ATTEMPT_TIMEOUT, CALL_TIMEOUT, CONNECT_TIMEOUT, MAX_ATTEMPTS, StsError, StsErrorKind, Target,
    source_chain,
};
use crate::cache::RoleCredentials;
use crate::creds::Credentials;

/// An STS answer's credentials (and assumed role), as the cache holds them.
pub(super) fn role_credentials(
    call: &Call,
    credentials: Option<aws_sdk_sts::types::Credentials>,
    user: Option<AssumedRoleUser>,
) -> Result<RoleCredentials, StsError> {
    let Some(c) = credentials else {
        return Err(StsError {
            kind: StsErrorKind::Service,
            message: format!("STS answered {} without credentials", call.answered()),
        });
    };
    Ok(RoleCredentials {
        credentials: Credentials {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: Some(c.session_token),
            expiration: SystemTime::try_from(c.expiration).ok(),
        },
        assumed_role_id: user.as_ref().map(|u| u.assumed_role_id.clone()),
        arn: user.map(|u| u.arn),
    })
}

/// One STS operation, for its messages.
pub(super) enum Call<'a> {
    AssumeRole { role: &'a str, profile: &'a str },
    WebIdentity { role: &'a str, profile: &'a str },
    SessionToken { serial: &'a str, profile: &'a str },
    FederationToken { profile: &'a str },
    CallerIdentity,
}

impl Call<'_> {
    /// What the slow-answer notice says is awaited.
    pub(super) fn notice(&self) -> String {
        match self {
            Call::AssumeRole { role, profile } => {
                format!("AssumeRole {role} for profile `{profile}`")
            }
            Call::WebIdentity { role, profile } => {
                format!("AssumeRoleWithWebIdentity {role} for profile `{profile}`")
            }
            Call::SessionToken { serial, profile } => {
                format!("GetSessionToken with MFA device {serial} for profile `{profile}`")
            }
            Call::FederationToken { profile } => {
                format!("GetFederationToken for profile `{profile}`")
            }
            Call::CallerIdentity => "GetCallerIdentity".to_string(),
        }
    }

    /// "STS answered X without credentials".
    fn answered(&self) -> String {
        match self {
            Call::AssumeRole { role, .. } => format!("AssumeRole for {role}"),
            Call::WebIdentity { role, .. } => format!("AssumeRoleWithWebIdentity for {role}"),
            Call::SessionToken { .. } => "GetSessionToken".to_string(),
            Call::FederationToken { .. } => "GetFederationToken".to_string(),
            Call::CallerIdentity => "GetCallerIdentity".to_string(),
        }
    }

    /// The call and its profile, as failure messages name them.
    fn name(&self) -> String {
        match self {
            Call::AssumeRole { role, profile } => {
                format!("AssumeRole {role} (profile `{profile}`)")
            }
            Call::WebIdentity { role, profile } => {
                format!("AssumeRoleWithWebIdentity {role} (profile `{profile}`)")
            }
            Call::SessionToken { serial, profile } => {
                format!("GetSessionToken with MFA device {serial} (profile `{profile}`)")
            }
            Call::FederationToken { profile } => {
                format!("GetFederationToken (profile `{profile}`)")
            }
            Call::CallerIdentity => "GetCallerIdentity".to_string(),
        }
    }

    /// "could not reach ENDPOINT <purpose>".
    fn purpose(&self) -> String {
        match self {
            Call::AssumeRole { role, profile } => format!("to assume {role} (profile `{profile}`)"),
            Call::CallerIdentity => "to verify the credentials (GetCallerIdentity)".to_string(),
            _ => format!("for {}", self.name()),
        }
    }

    /// The message for an error answer.
    fn service_error(&self, code: &str, text: &str, target: &Target) -> String {
        match self {
            Call::AssumeRole { role, profile } => {
                let hint = assume_role_hint(code, role, profile, target);
                // Name the hop: in a chain, which role failed matters.
                format!(
                    "STS error {code} for AssumeRole {role} (profile `{profile}`): {text} ({hint})"
                )
            }
            Call::CallerIdentity => {
                let hint = match code {
                    "ExpiredToken" | "ExpiredTokenException" => {
                        "the credentials have expired: refresh them with `awsrole env --refresh`"
                    }
                    "InvalidClientTokenId" | "SignatureDoesNotMatch" => {
                        "STS does not accept these credentials: they were revoked, or the variables were changed by hand"
                    }
                    _ => "GetCallerIdentity failed",
                };
                format!("STS error {code}: {text} ({hint})")
            }
            Call::WebIdentity { role, profile } => format!(
                "STS error {code}: {text} (AssumeRoleWithWebIdentity {role} failed for profile `{profile}`)"
            ),
            Call::SessionToken { serial, profile } => format!(
                "STS error {code}: {text} (GetSessionToken with MFA device {serial} failed for profile `{profile}`)"
            ),
            Call::FederationToken { profile } => format!(
                "STS error {code}: {text} (GetFederationToken failed for profile `{profile}`: the console sign-in of an IAM user needs sts:GetFederationToken without MFA; with a policy that requires MFA, sign in as a role instead: `awsrole console --role-arn ARN --source-profile {profile}`)"
            ),
        }
    }
}

fn assume_role_hint(code: &str, role: &str, profile: &str, target: &Target) -> String {
    match code {
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
    }
}

/// Every STS failure, worded: unreachable (with why and what to check), an
/// error answer from STS (code, text, hint), an answer from something that
/// is not STS (its HTTP status, the endpoint, who probably answered), or
/// anything else the SDK reports.
pub(super) fn call_error<E>(
    err: SdkError<E, HttpResponse>,
    call: &Call,
    target: &Target,
    sts: &super::Sts,
) -> StsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let unreachable = |why: String| {
        StsError {
        kind: StsErrorKind::Unreachable,
        message: super::transport::explain_failure(
            &target.endpoint_name(),
            &call.purpose(),
            &why,
            sts.last_proxy().as_ref(),
            sts.net().bundle.as_ref(),
        )
        .unwrap_or_else(|| {
            format!(
                "could not reach {} {}: {why}; check the network, the region and any endpoint_url / AWS_ENDPOINT_URL_STS setting",
                target.endpoint_name(),
                call.purpose()
            )
        }),
    }
    };
    match &err {
        SdkError::TimeoutError(_) => unreachable(format!(
            "no answer within {}s ({MAX_ATTEMPTS} attempts)",
            CALL_TIMEOUT.as_secs()
        )),
        SdkError::DispatchFailure(f) if f.is_timeout() => unreachable(format!(
            "timed out (connect {}s, attempt {}s)",
            CONNECT_TIMEOUT.as_secs(),
            ATTEMPT_TIMEOUT.as_secs()
        )),
        SdkError::DispatchFailure(f) => unreachable(match f.as_connector_error() {
            Some(c) => source_chain(c),
            None => "connection failed".to_string(),
        }),
        SdkError::ServiceError(s) if s.err().code().is_some() => {
            let e = s.err();
            crate::verbose!(
                "{} answered {} with HTTP {}{}",
                target.endpoint_name(),
                call.answered(),
                s.raw().status().as_u16(),
                s.raw()
                    .headers()
                    .get("x-amzn-requestid")
                    .map(|id| format!(", request id {}", clean_id(id)))
                    .unwrap_or_default()
            );
            StsError {
                kind: StsErrorKind::Service,
                message: call.service_error(
                    e.code().unwrap_or("Unknown"),
                    e.message().unwrap_or(""),
                    target,
                ),
            }
        }
        // An answer without an STS error code (or one that could not be
        // read at all): a page or error of whatever stands in between.
        SdkError::ServiceError(_) | SdkError::ResponseError(_)
            if let Some(raw) = err.raw_response() =>
        {
            foreign_error(&Foreign::read(raw), call, target)
        }
        _ => StsError {
            kind: StsErrorKind::Service,
            message: format!("{} failed: {}", call.name(), source_chain(&err)),
        },
    }
}

/// A request id fit for a line (it is no secret, but it is not ours either).
fn clean_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}

/// An answer that is not STS's. A 5xx means whatever answered could not
/// reach STS: unreachable (exit 5), like a refused connection. Anything
/// else (a portal's 200 or redirect, a proxy's 403) is an answer that will
/// not change by trying again: exit 4.
fn foreign_error(answer: &Foreign, call: &Call, target: &Target) -> StsError {
    crate::verbose!(
        "{} answered {}: {}",
        target.endpoint_name(),
        call.answered(),
        answer.details()
    );
    let endpoint = target.endpoint_name();
    let status = answer.status_line();
    let hint = answer.hint();
    if answer.is_server_error() {
        return StsError {
            kind: StsErrorKind::Unreachable,
            message: format!(
                "could not reach {endpoint} {}: {status} came back, not from STS but {hint}; check the network, the region and any endpoint_url / AWS_ENDPOINT_URL_STS setting",
                call.purpose()
            ),
        };
    }
    StsError {
        kind: StsErrorKind::Service,
        message: format!(
            "{} got {status} from {endpoint}, not an answer from STS: {hint}; check the network and any endpoint_url / AWS_ENDPOINT_URL_STS setting",
            call.name()
        ),
    }
}
