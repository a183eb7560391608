//! Base credentials for the first link of a chain. Each source kind is one
//! match arm; sources that need the network run only on a cache miss (the
//! caller has already looked at the final role's cache entry), so the warm
//! path never reaches this module's network code.
//!
//! Which code does the work, and why:
//! - EC2 instance metadata (IMDSv2), ECS/container credentials and
//!   `credential_process` use aws-config's own providers, driven by
//!   awsrole's one runtime and its one rustls (ring) HTTP client. Their
//!   protocols (token TTLs, full-URI address rules, the process JSON) are
//!   exactly what the SDK maintains.
//! - IAM Identity Center (SSO) uses awsrole's token function (`crate::sso`):
//!   the SDK's provider refreshes without a lock and outside the AWS CLI's
//!   15-minute window.
//! - Web identity is awsrole's own AssumeRoleWithWebIdentity call (unsigned,
//!   through aws-sdk-sts): the AWS CLI caches its answer under a key of its
//!   own, and aws-config's provider neither caches nor returns the whole
//!   answer that the shared cache file holds.

use std::time::{Duration, SystemTime};

use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::Getenv;
use crate::cache::{self, Cache, RoleCredentials};
use crate::chain::{Base, Chain, NamedSource};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::pyjson::{Py, dumps};
use crate::resolve::{self, LOCK_TIMEOUT};
use crate::sts::{self, Sts, Target};

/// Time allowed to reach the EC2 metadata service or the container
/// credentials endpoint: a laptop without one fails in about a second.
pub const METADATA_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Time allowed for the metadata service to answer one request.
pub const METADATA_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// What a source may need besides its own settings.
pub struct Context<'a> {
    pub getenv: Getenv<'a>,
    /// `file:line` of a profile's key, for messages.
    pub at: &'a dyn Fn(&str, &str) -> Option<String>,
    pub cache: Option<&'a Cache>,
    pub target: &'a Target,
    pub min_ttl: Duration,
    /// `--refresh` and this source is the final credentials (no role hop):
    /// a cached web identity answer is not used.
    pub refresh: bool,
}

impl Context<'_> {
    fn prefix(&self, profile: &str, key: &str) -> String {
        (self.at)(profile, key)
            .map(|a| format!("{a}: "))
            .unwrap_or_default()
    }
}

/// True when the base needs the network (and so the runtime) to resolve.
pub fn needs_network(base: &Base) -> bool {
    !matches!(
        base,
        Base::StaticKeys { .. }
            | Base::Named {
                source: NamedSource::Environment,
                ..
            }
    )
}

/// The base credentials of a chain. `sts` is started on first need.
pub fn base_credentials(
    base: &Base,
    cx: &Context,
    sts: &mut Option<Sts>,
) -> Result<Credentials, Error> {
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
        } => environment(profile, cx),
        Base::Named {
            profile,
            source: NamedSource::Ec2InstanceMetadata,
        } => imds(profile, cx, net(sts, cx)?),
        Base::Named {
            profile,
            source: NamedSource::EcsContainer,
        } => ecs(profile, cx, net(sts, cx)?),
        Base::WebIdentity {
            profile,
            role_arn,
            token_file,
            session_name,
        } => web_identity(
            &WebIdentity {
                profile,
                role_arn,
                token_file,
                session_name: session_name.as_deref(),
            },
            cx,
            sts,
        ),
        Base::Sso { profile, settings } => sso(profile, settings, cx, net(sts, cx)?),
        Base::Process { profile, command } => process(profile, command, cx, net(sts, cx)?),
    }
}

fn net<'s>(sts: &'s mut Option<Sts>, cx: &Context) -> Result<&'s Sts, Error> {
    if sts.is_none() {
        *sts = Some(resolve::start_sts(cx.target.clone())?);
    }
    Ok(sts.as_ref().expect("set above"))
}

fn provider_config(sts: &Sts, region: Option<&str>) -> ProviderConfig {
    ProviderConfig::without_region()
        .with_http_client(sts.http())
        .with_region(region.map(|r| Region::new(r.to_string())))
}

fn from_sdk(c: &aws_credential_types::Credentials) -> Credentials {
    Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: c.session_token().map(str::to_string),
        expiration: c.expiry(),
    }
}

/// Does the error chain say the peer could not be reached?
fn is_unreachable(e: &CredentialsError) -> bool {
    if matches!(e, CredentialsError::ProviderTimedOut(_)) {
        return true;
    }
    let text = sts::source_chain(e).to_ascii_lowercase();
    [
        "dispatch failure",
        "connection refused",
        "timed out",
        "timeout",
        "io error",
        "error trying to connect",
        "tcp connect",
        "network is unreachable",
        "no route to host",
    ]
    .iter()
    .any(|w| text.contains(w))
}

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

/// `credential_source = Environment`, read as botocore reads it, with one
/// rule of awsrole's own: when `AWSROLE_PROFILE` is set, the credential
/// variables are the ones awsrole exported into this shell (env and exec set
/// it alongside them), not the shell's source credentials, and using them
/// would assume the role from its own credentials. They are refused.
fn environment(profile: &str, cx: &Context) -> Result<Credentials, Error> {
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
    let (Some(key), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) else {
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

// ---------------------------------------------------------------------------
// EC2 instance metadata (IMDSv2) and ECS container credentials
// ---------------------------------------------------------------------------

fn imds(profile: &str, cx: &Context, sts: &Sts) -> Result<Credentials, Error> {
    let at = cx.prefix(profile, "credential_source");
    let what = format!("{at}profile `{profile}` (credential_source = Ec2InstanceMetadata)");
    if let Some(v) = (cx.getenv)("AWS_EC2_METADATA_DISABLED")
        && v.trim().eq_ignore_ascii_case("true")
    {
        return Err(Error::new(
            Status::Config,
            format!(
                "{what}: the EC2 instance metadata service is turned off by AWS_EC2_METADATA_DISABLED=true; unset it, or use another credential_source"
            ),
        ));
    }
    let endpoint = (cx.getenv)("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "http://169.254.169.254".to_string());
    let pc = provider_config(sts, None);
    let client = aws_config::imds::Client::builder()
        .configure(&pc)
        .connect_timeout(METADATA_CONNECT_TIMEOUT)
        .read_timeout(METADATA_READ_TIMEOUT)
        .max_attempts(1)
        .build();
    let provider = aws_config::imds::credentials::ImdsCredentialsProvider::builder()
        .configure(&pc)
        .imds_client(client)
        .build();
    match sts.runtime().block_on(provider.provide_credentials()) {
        Ok(c) => Ok(from_sdk(&c)),
        Err(e) if is_unreachable(&e) => Err(Error::new(
            Status::Unreachable,
            format!(
                "{what}: no EC2 instance metadata service answered at {endpoint} within {}s ({}); this only works on an EC2 instance (or with AWS_EC2_METADATA_SERVICE_ENDPOINT pointing at one); elsewhere use a profile with keys, SSO or another credential_source",
                METADATA_CONNECT_TIMEOUT.as_secs() + METADATA_READ_TIMEOUT.as_secs(),
                sts::source_chain(&e)
            ),
        )),
        Err(e) => Err(Error::new(
            Status::Sts,
            format!(
                "{what}: the EC2 instance metadata service at {endpoint} gave no credentials ({}); check that the instance has an IAM instance profile (role) attached",
                sts::source_chain(&e)
            ),
        )),
    }
}

fn ecs(profile: &str, cx: &Context, sts: &Sts) -> Result<Credentials, Error> {
    let at = cx.prefix(profile, "credential_source");
    let what = format!("{at}profile `{profile}` (credential_source = EcsContainer)");
    let get = |k: &str| (cx.getenv)(k).filter(|v| !v.is_empty());
    let relative = get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    let full = get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let uri = match (&relative, &full) {
        (Some(r), _) => format!("http://169.254.170.2{r}"),
        (None, Some(f)) => f.clone(),
        (None, None) => {
            return Err(Error::new(
                Status::Config,
                format!(
                    "{what}: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set; they are set inside ECS tasks, EKS pods with Pod Identity and similar containers; elsewhere use another credential_source"
                ),
            ));
        }
    };
    if let Some(file) = get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        && let Err(e) = std::fs::metadata(&file)
    {
        return Err(Error::new(
            Status::Config,
            format!("{what}: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {file}: {e}"),
        ));
    }
    let pc = provider_config(sts, None);
    let provider = aws_config::ecs::EcsCredentialsProvider::builder()
        .configure(&pc)
        .connect_timeout(METADATA_CONNECT_TIMEOUT)
        .read_timeout(Duration::from_secs(5))
        .build();
    match sts.runtime().block_on(provider.provide_credentials()) {
        Ok(c) => Ok(from_sdk(&c)),
        Err(e @ CredentialsError::InvalidConfiguration(_)) => Err(Error::new(
            Status::Config,
            format!(
                "{what}: the container credentials endpoint {uri} cannot be used ({}); a full URI must be https, or http to a loopback or ECS/EKS link-local address",
                sts::source_chain(&e)
            ),
        )),
        Err(e) if is_unreachable(&e) => Err(Error::new(
            Status::Unreachable,
            format!(
                "{what}: the container credentials endpoint {uri} could not be reached ({})",
                sts::source_chain(&e)
            ),
        )),
        Err(e) => Err(Error::new(
            Status::Sts,
            format!(
                "{what}: the container credentials endpoint {uri} gave no credentials ({}); check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)",
                sts::source_chain(&e)
            ),
        )),
    }
}

// ---------------------------------------------------------------------------
// credential_process
// ---------------------------------------------------------------------------

fn process(profile: &str, command: &str, cx: &Context, sts: &Sts) -> Result<Credentials, Error> {
    let at = cx.prefix(profile, "credential_process");
    let provider = aws_config::credential_process::CredentialProcessProvider::new(command.into());
    match sts.runtime().block_on(provider.provide_credentials()) {
        Ok(c) => Ok(from_sdk(&c)),
        Err(e) => Err(Error::new(
            Status::Sts,
            format!(
                "{at}profile `{profile}`: credential_process `{command}` failed: {}",
                sts::source_chain(&e).trim_end()
            ),
        )),
    }
}

// ---------------------------------------------------------------------------
// IAM Identity Center (SSO)
// ---------------------------------------------------------------------------

fn sso(
    profile: &str,
    settings: &[(String, String)],
    cx: &Context,
    sts: &Sts,
) -> Result<Credentials, Error> {
    let get = |k: &str| {
        settings
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let at = cx.prefix(profile, "sso_account_id");
    let session = get("sso_session");
    let login = match session {
        Some(s) => format!("run `awsrole login {profile}` (or `aws sso login --sso-session {s}`)"),
        None => format!("run `awsrole login {profile}` (or `aws sso login --profile {profile}`)"),
    };
    let (Some(account), Some(role), Some(region), Some(start_url)) = (
        get("sso_account_id"),
        get("sso_role_name"),
        get("sso_region"),
        get("sso_start_url"),
    ) else {
        return Err(Error::new(
            Status::Config,
            format!(
                "{at}profile `{profile}` uses IAM Identity Center but lacks some of sso_account_id, sso_role_name, sso_region and sso_start_url (in the profile or its [sso-session]); `aws configure sso --profile {profile}` writes them"
            ),
        ));
    };
    // awsrole's own token function: refreshes under the token file's lock.
    let sso_session = crate::sso::Session {
        profile: Some(profile.to_string()),
        name: session.map(str::to_string),
        start_url: start_url.to_string(),
        region: region.to_string(),
        scopes: None,
    };
    let home = (cx.getenv)("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
        Error::new(
            Status::Config,
            format!("profile `{profile}` uses IAM Identity Center, but HOME is not set, so there is no ~/.aws/sso/cache; {login}"),
        )
    })?;
    let token = crate::sso::refresh::access_token(
        &sso_session,
        std::path::Path::new(&home),
        cx.getenv,
        sts,
    )?;
    crate::sso::portal::role_credentials(&sso_session, account, role, &token, cx.getenv, sts)
}

// ---------------------------------------------------------------------------
// Web identity
// ---------------------------------------------------------------------------

struct WebIdentity<'a> {
    profile: &'a str,
    role_arn: &'a str,
    token_file: &'a str,
    session_name: Option<&'a str>,
}

/// The environment form (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`,
/// optionally `AWS_ROLE_SESSION_NAME`), used only when the selected profile
/// itself gives no credentials.
pub fn env_web_identity(profile: &str, getenv: Getenv) -> Option<Chain> {
    let get = |k: &str| getenv(k).filter(|v| !v.is_empty());
    Some(Chain {
        base: Base::WebIdentity {
            profile: profile.to_string(),
            role_arn: get("AWS_ROLE_ARN")?,
            token_file: get("AWS_WEB_IDENTITY_TOKEN_FILE")?,
            session_name: get("AWS_ROLE_SESSION_NAME"),
        },
        hops: Vec::new(),
    })
}

/// The AWS CLI's cache key for AssumeRoleWithWebIdentity: like AssumeRole's,
/// with the token itself (as read, newline included) among the arguments.
pub fn web_identity_key(role_arn: &str, session_name: Option<&str>, token: &str) -> String {
    let mut args = vec![("RoleArn", Py::Str(role_arn))];
    if let Some(s) = session_name {
        args.push(("RoleSessionName", Py::Str(s)));
    }
    args.push(("WebIdentityToken", Py::Str(token)));
    cache::sha1_hex(&dumps(&Py::Obj(args)))
}

fn web_identity(
    w: &WebIdentity,
    cx: &Context,
    sts: &mut Option<Sts>,
) -> Result<Credentials, Error> {
    let profile = w.profile;
    let at = cx.prefix(profile, "web_identity_token_file");
    let token = std::fs::read_to_string(w.token_file).map_err(|e| {
        Error::new(
            Status::Config,
            format!(
                "{at}profile `{profile}`: cannot read the web identity token file {}: {e}",
                w.token_file
            ),
        )
    })?;
    let key = web_identity_key(w.role_arn, w.session_name, &token);
    let fresh = |c: &Credentials| !cx.refresh && cache::is_fresh(c, SystemTime::now(), cx.min_ttl);
    if let Some(cache) = cx.cache
        && let Some(c) = cache.read(&key).filter(fresh)
    {
        return Ok(c);
    }
    let lock = match cx.cache {
        Some(cache) => {
            let lock = cache
                .lock_for_refresh(
                    &key,
                    profile,
                    LOCK_TIMEOUT,
                    "cache lock",
                    "the credentials are",
                )
                .map_err(|e| Error::new(Status::Failure, e.to_string()))?;
            if lock.is_some()
                && let Some(c) = cache.read(&key).filter(fresh)
            {
                return Ok(c);
            }
            lock
        }
        None => None,
    };
    let sts = net(sts, cx)?;
    let session_name = w
        .session_name
        .map(str::to_string)
        .unwrap_or_else(|| format!("botocore-session-{}", unix_now()));
    let client = unsigned_client(sts);
    let call = client
        .assume_role_with_web_identity()
        .role_arn(w.role_arn)
        .role_session_name(session_name)
        .web_identity_token(&token);
    let out = sts.runtime().block_on(call.send()).map_err(|e| {
        sdk_error(
            e,
            &format!("AssumeRoleWithWebIdentity {}", w.role_arn),
            profile,
            sts.target(),
        )
    })?;
    let Some(c) = out.credentials else {
        return Err(Error::new(
            Status::Sts,
            format!(
                "STS answered AssumeRoleWithWebIdentity for {} without credentials",
                w.role_arn
            ),
        ));
    };
    let user = out.assumed_role_user;
    let role = RoleCredentials {
        credentials: Credentials {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: Some(c.session_token),
            expiration: SystemTime::try_from(c.expiration).ok(),
        },
        assumed_role_id: user.as_ref().map(|u| u.assumed_role_id.clone()),
        arn: user.map(|u| u.arn),
    };
    if let Some(cache) = cx.cache
        && lock.is_some()
        && let Err(e) = cache.write(&key, &role.to_cache_json())
    {
        eprintln!(
            "awsrole: warning: could not write {}: {e} (the credentials are still used)",
            cache.entry_path(&key).display()
        );
    }
    Ok(role.credentials)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sts_config(sts: &Sts) -> aws_sdk_sts::config::Builder {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(sts::CONNECT_TIMEOUT)
        .operation_attempt_timeout(sts::ATTEMPT_TIMEOUT)
        .operation_timeout(sts::CALL_TIMEOUT)
        .build();
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(sts.target().region.clone()))
        .http_client(sts.http())
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(sts::MAX_ATTEMPTS));
    if let Some(url) = &sts.target().endpoint {
        config = config.endpoint_url(url);
    }
    config
}

/// An STS client with no credentials: AssumeRoleWithWebIdentity is unsigned.
fn unsigned_client(sts: &Sts) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(sts_config(sts).build())
}

/// An STS error for calls other than AssumeRole: 4 when STS answered, 5 when
/// it could not be reached.
pub fn sdk_error<E, R>(err: SdkError<E, R>, what: &str, profile: &str, target: &Target) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let endpoint = target
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("the STS endpoint of region {}", target.region));
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Error::new(
            Status::Unreachable,
            format!(
                "could not reach {endpoint} for {what} (profile `{profile}`): {}; check the network, the region and any endpoint_url / AWS_ENDPOINT_URL_STS setting",
                sts::source_chain(&err)
            ),
        ),
        SdkError::ServiceError(s) => {
            let e = s.err();
            Error::new(
                Status::Sts,
                format!(
                    "STS error {}: {} ({what} failed for profile `{profile}`)",
                    e.code().unwrap_or("Unknown"),
                    e.message().unwrap_or("")
                ),
            )
        }
        _ => Error::new(
            Status::Sts,
            format!(
                "{what} (profile `{profile}`) failed: {}",
                sts::source_chain(&err)
            ),
        ),
    }
}
