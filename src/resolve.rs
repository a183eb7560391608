//! Profile name -> credentials: the one path shared by `env`, `exec` and
//! `credential-process`. Load the files and build the chain once, refuse
//! awsrole-to-awsrole loops, stack the chain's sources, ask the top one.
//!
//! Warm path: two config files, one cache file. The SDK, the tokio runtime
//! and the network are reached only on a cache miss.

use crate::Getenv;
use crate::cache::Cache;
use crate::chain::{self, Base, Chain};
use crate::config::{self, Config};
use crate::creds::Credentials;
use crate::error::Error;
use crate::files::Locations;
use crate::profile_file::Section;
use crate::profile_spec::Spec;
use crate::source::{self, Context};
use crate::{endpoint, process_loop, sts};

pub use crate::source::Options;

/// What a profile resolved to.
#[derive(Debug)]
pub struct Resolved {
    pub profile: String,
    pub credentials: Credentials,
    /// `--region`, else the profile's own `region`, if it sets one.
    pub region: Option<String>,
    /// Where the credentials came from (for `console`).
    pub origin: Origin,
    /// Where STS was (or would be) called, for further calls.
    pub target: sts::Target,
}

/// What kind of credentials a chain ends in: the console sign-in accepts
/// some as they are, needs GetFederationToken for others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A role session; `chained` when assumed with role credentials (AWS
    /// then caps the console session at one hour).
    Role { arn: String, chained: bool },
    /// An IAM user's long-term keys, and the profile's `mfa_serial`.
    UserKeys { mfa_serial: Option<String> },
    /// Temporary credentials of unknown kind (SSO, process, environment,
    /// instance or container credentials, keys with a session token).
    Other,
}

/// Resolve profile `name` to credentials: from the cache when it holds valid
/// ones, else from its source and STS (writing the cache).
/// `name` may carry a region override or be an ad-hoc role ([`Spec`]).
pub fn credentials(name: &str, opts: &Options, getenv: Getenv) -> Result<Resolved, Error> {
    // An awsrole started (through credential_process) by one that may not
    // ask for input may not either.
    let opts = &Options {
        no_input: opts.no_input || crate::no_input_from_env(getenv),
        ..*opts
    };
    let spec = Spec::parse(name)?;
    let name = &spec.encode();
    let (config, chain) = match &spec.role {
        None => Config::load_for(getenv, &spec.name)?,
        Some(_) => {
            let source = spec.role_setting("source_profile").unwrap_or("default");
            let (mut config, _) = Config::load_for(getenv, source)?;
            let section = spec.section(config.set.profiles.get(source));
            config.set.profiles.insert(name.clone(), section);
            // The synthesized section has no line to point at.
            let chain = chain::build(&config.set, name).map_err(|mut e| {
                if e.at.is_some_and(|at| at.line == 0) {
                    e.at = None;
                }
                e
            });
            (config, chain)
        }
    };
    // From here on, a profile is known by its plain name.
    let name = if spec.role.is_some() {
        name
    } else {
        &spec.name
    };
    let chain = match chain {
        Ok(chain) => chain,
        // AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN when the profile itself
        // gives no credentials (or `default` does not exist).
        Err(e)
            if (e.kind == chain::ErrorKind::NoCredentials
                || (e.kind == chain::ErrorKind::UnknownProfile && name == "default"))
                && let Some(chain) = source::env_web_identity(name, getenv) =>
        {
            chain
        }
        Err(e) => return Err(config.chain_error(e)),
    };
    process_loop::check(&config.set, &config.locations, &chain)?;
    crate::verbose!(
        "profile `{name}` from {} and {}: {}",
        config.locations.config.display(),
        config.locations.credentials.display(),
        chain_summary(&chain)
    );
    let empty = Section::default();
    let profile = config::section_or_empty(&config.set, name, &empty);
    let region = spec
        .region
        .clone()
        .or_else(|| profile.get("region").map(str::to_string));
    let origin = origin(&chain, profile);

    let needs_cache = !chain.hops.is_empty() || source::needs_network(&chain.base);
    let cache = if needs_cache {
        cache_with_warning(&config.locations)
    } else {
        None
    };
    let target = sts::Target {
        region: config::sts_region(region.as_deref(), getenv),
        endpoint: endpoint::configured_endpoint("sts", profile, &config.set, getenv),
        ca_bundle: config.setting(name, "ca_bundle"),
    };
    let cx = Context::new(&config, getenv, opts, cache, target.clone());
    let credentials = source::chain_credentials(&chain, &cx)?;
    Ok(Resolved {
        profile: spec.encode(),
        credentials,
        region,
        origin,
        target,
    })
}

fn origin(chain: &Chain, profile: &Section) -> Origin {
    let user_keys = matches!(
        chain.base,
        Base::StaticKeys {
            session_token: None,
            ..
        }
    );
    match (chain.hops.as_slice(), &chain.base) {
        ([], Base::WebIdentity { role_arn, .. }) => Origin::Role {
            arn: role_arn.clone(),
            chained: false,
        },
        ([], _) if user_keys => Origin::UserKeys {
            mfa_serial: profile.get("mfa_serial").map(str::to_string),
        },
        ([], _) => Origin::Other,
        (hops, _) => Origin::Role {
            arn: hops[hops.len() - 1].role_arn.clone(),
            chained: hops.len() > 1 || !user_keys,
        },
    }
}

/// "base `p` -> role A -> role B", for `--verbose`.
fn chain_summary(chain: &Chain) -> String {
    let mut text = format!("base `{}`", chain.base.profile());
    for hop in &chain.hops {
        text.push_str(&format!(" -> {} (`{}`)", hop.role_arn, hop.profile));
    }
    text
}

fn cache_with_warning(locations: &Locations) -> Option<Cache> {
    match config::cache_dir(locations) {
        Some(dir) => Some(Cache::new(dir)),
        None => {
            eprintln!(
                "awsrole: warning: no home directory (HOME is not set): credentials are not cached"
            );
            None
        }
    }
}
