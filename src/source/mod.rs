//! Credential sources, one type each behind [`Source`]: the base of a chain
//! (static keys, environment, EC2 instance metadata, ECS container, web
//! identity, IAM Identity Center, credential_process), a role hop
//! (AssumeRole, signed by the source it wraps) and an MFA session
//! (GetSessionToken for an IAM user's keys). Sources whose answer is an STS
//! call implement [`Refresh`] and are cached by one wrapper, [`Cached`],
//! around `cache::single_flight`. A new source is a new file here and one
//! line in [`base`]. Role hops are walked by [`chain_credentials`] in a
//! loop, however long the chain.
//!
//! Network sources start the runtime on first need (a cache miss): the warm
//! path never reaches their network code.
//!
//! Which code does the work, and why:
//! - EC2 instance metadata (IMDSv2), ECS/container credentials and IAM
//!   Identity Center (SSO) use aws-config's own providers, driven by
//!   awsrole's one runtime and its one rustls (ring) HTTP client. Their
//!   protocols (token TTLs, full-URI address rules, the SSO token cache and
//!   its refresh) are exactly what the SDK maintains.
//! - `credential_process` is run by awsrole's own bounded runner
//!   (`bounded_process`): aws-config's provider has no time or output limit
//!   and would hold a flood in memory. The JSON is the AWS CLI's Version 1.
//! - Web identity is awsrole's own AssumeRoleWithWebIdentity call (unsigned,
//!   through aws-sdk-sts): the AWS CLI caches its answer under a key of its
//!   own, and aws-config's provider neither caches nor returns the whole
//!   answer that the shared cache file holds.

mod assume_role;
mod ecs;
mod environment;
mod imds;
mod mfa_session;
mod process;
mod sso;
mod static_keys;
mod web_identity;

use std::cell::OnceCell;
use std::time::Duration;

use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::Region;

use crate::Getenv;
use crate::cache::{self, Cache, Entry, RoleCredentials};
use crate::chain::{Base, Chain, NamedSource};
use crate::config::Config;
use crate::creds::Credentials;
use crate::error::Error;
use crate::sts::{self, Sts, Target, Wait};

pub use assume_role::{AssumeRole, Signer};
pub use ecs::Ecs;
pub use environment::Environment;
pub use imds::{Imds, METADATA_CONNECT_TIMEOUT, METADATA_READ_TIMEOUT};
pub use mfa_session::MfaSession;
pub use process::Process;
pub use sso::Sso;
pub use static_keys::StaticKeys;
pub use web_identity::{WebIdentity, from_env as env_web_identity, web_identity_key};

/// How a profile's credentials may be obtained.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Ignore a valid cache entry for the final credentials: call STS and
    /// rewrite it.
    pub refresh: bool,
    /// Fail with exit status 6 instead of asking for an MFA code.
    pub no_input: bool,
    /// Cache entries with less time left than this count as expired.
    pub min_ttl: Duration,
}

/// What a source may need besides its own settings.
pub struct Context<'a> {
    pub config: &'a Config,
    pub getenv: Getenv<'a>,
    pub opts: &'a Options,
    /// `~/.aws/cli/cache`; `None` without a home directory.
    pub cache: Option<Cache>,
    target: Target,
    net: OnceCell<Sts>,
}

impl<'a> Context<'a> {
    pub fn new(
        config: &'a Config,
        getenv: Getenv<'a>,
        opts: &'a Options,
        cache: Option<Cache>,
        target: Target,
    ) -> Self {
        Context {
            config,
            getenv,
            opts,
            cache,
            target,
            net: OnceCell::new(),
        }
    }

    /// The runtime and HTTP client, started on first need.
    pub fn net(&self) -> Result<&Sts, Error> {
        if let Some(sts) = self.net.get() {
            return Ok(sts);
        }
        let sts = Sts::start(self.target.clone(), self.getenv)?;
        Ok(self.net.get_or_init(|| sts))
    }

    /// `file:line: ` of `key` in `profile`, to start a message with.
    fn prefix(&self, profile: &str, key: &str) -> String {
        self.config.key_prefix(profile, key)
    }
}

/// A way to obtain credentials.
pub trait Source {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error>;
}

/// A source whose answer is an STS call worth caching; [`Cached`] makes it
/// a [`Source`].
pub trait Refresh {
    /// What [`Refresh::prepare`] hands to [`Refresh::fetch`].
    type Ready;
    /// The cache entry the answer is kept in.
    fn entry(&self, cx: &Context) -> Result<Entry<'_>, Error>;
    /// Work on a miss before the entry's lock is taken (obtaining source
    /// credentials, which may take locks of their own).
    fn prepare(&self, cx: &Context) -> Result<Self::Ready, Error>;
    /// The call, made under the entry's lock.
    fn fetch(&self, ready: Self::Ready, cx: &Context) -> Result<RoleCredentials, Error>;
}

/// A [`Refresh`] source behind a cache: read, or refresh once across
/// processes (`cache::single_flight`).
pub struct Cached<R> {
    inner: R,
    cache: Option<Cache>,
}

impl<R: Refresh> Cached<R> {
    pub fn new(inner: R, cache: Option<Cache>) -> Self {
        Cached { inner, cache }
    }
}

impl<R: Refresh> Source for Cached<R> {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error> {
        let entry = self.inner.entry(cx)?;
        cache::single_flight(
            self.cache.as_ref(),
            &entry,
            || self.inner.prepare(cx),
            |ready| self.inner.fetch(ready, cx),
        )
    }
}

/// A chain's credentials. Hops are walked without recursion: down from the
/// last one to the first fresh cache entry (or the base), then each missed
/// hop is refreshed under its lock, signed by the one below it. The order
/// of reads, locks and calls is that of nested `single_flight`s.
pub fn chain_credentials(chain: &Chain, cx: &Context) -> Result<Credentials, Error> {
    let base = base(&chain.base, chain.hops.is_empty(), cx);
    let n = chain.hops.len();
    let roles: Vec<AssumeRole> = chain
        .hops
        .iter()
        .enumerate()
        .map(|(i, hop)| AssumeRole {
            hop,
            mfa_user: (i == 0).then(|| mfa_user(&chain.base)).flatten(),
            last: i + 1 == n,
        })
        .collect();
    let mut missed = Vec::new();
    let mut found = None;
    for role in roles.iter().rev() {
        let entry = role.entry(cx)?;
        match cache::lookup(cx.cache.as_ref(), &entry) {
            Ok(c) => {
                found = Some(c);
                break;
            }
            Err(miss) => {
                role.check_input(cx)?;
                missed.push((role, entry, miss));
            }
        }
    }
    let Some(lowest) = missed.last().map(|(role, ..)| *role) else {
        return match found {
            Some(c) => Ok(c),
            None => base.credentials(cx),
        };
    };
    let mut signer = match found {
        Some(c) => Signer::plain(c),
        None => lowest.signer(cx, || base.credentials(cx))?,
    };
    for (role, entry, miss) in missed.into_iter().rev() {
        let c = cache::refresh(cx.cache.as_ref(), &entry, miss, || role.fetch(signer, cx))?;
        signer = Signer::plain(c);
    }
    Ok(signer.credentials)
}

/// An IAM user's long-term keys: with an MFA device they may buy an MFA
/// session (temporary keys cannot call GetSessionToken with MFA).
fn mfa_user(base: &Base) -> Option<Credentials> {
    match base {
        Base::StaticKeys {
            access_key_id,
            secret_access_key,
            session_token: None,
            ..
        } => Some(StaticKeys::new(access_key_id, secret_access_key, None).keys),
        _ => None,
    }
}

/// The base's source; `last` when no role hop follows it.
fn base<'a>(base: &'a Base, last: bool, cx: &Context) -> Box<dyn Source + 'a> {
    match base {
        Base::StaticKeys {
            access_key_id,
            secret_access_key,
            session_token,
            ..
        } => Box::new(StaticKeys::new(
            access_key_id,
            secret_access_key,
            session_token.as_deref(),
        )),
        Base::Named { profile, source } => match source {
            NamedSource::Environment => Box::new(Environment { profile }),
            NamedSource::Ec2InstanceMetadata => Box::new(Imds { profile }),
            NamedSource::EcsContainer => Box::new(Ecs { profile }),
        },
        Base::WebIdentity {
            profile,
            role_arn,
            token_file,
            session_name,
        } => Box::new(Cached::new(
            WebIdentity::new(profile, role_arn, token_file, session_name.as_deref(), last),
            cx.cache.clone(),
        )),
        Base::Sso { profile, settings } => Box::new(Sso { profile, settings }),
        Base::Process { profile, command } => Box::new(Process { profile, command }),
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

/// Run an aws-config credentials provider on the one runtime, with the
/// slow-answer notice.
fn provide(
    sts: &Sts,
    peer: String,
    profile: &str,
    provider: &impl ProvideCredentials,
) -> Result<Credentials, CredentialsError> {
    let wait = Wait {
        peer,
        request: format!("a credentials request for profile `{profile}`"),
        limit: None,
    };
    sts.block_on_noting(&wait, provider.provide_credentials())
        .map(|c| Credentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: c.session_token().map(str::to_string),
            expiration: c.expiry(),
        })
}

fn provider_config(sts: &Sts, region: Option<&str>) -> ProviderConfig {
    ProviderConfig::without_region()
        .with_http_client(sts.direct_http())
        .with_region(region.map(|r| Region::new(r.to_string())))
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
