//! Profile name -> credentials: the one path shared by `env`, `exec` and
//! `credential-process`. Load the files and build the chain once, refuse
//! awsrole-to-awsrole loops, stack the chain's sources, ask the top one.
//!
//! Warm path: two config files, one cache file. The SDK, the tokio runtime
//! and the network are reached only on a cache miss.

use crate::Getenv;
use crate::cache::Cache;
use crate::chain::{self, Chain};
use crate::config::{self, Config};
use crate::creds::Credentials;
use crate::error::Error;
use crate::files::Locations;
use crate::profile_file::Section;
use crate::source::{self, Context};
use crate::{endpoint, process_loop, sts};

pub use crate::source::Options;

/// What a profile resolved to.
#[derive(Debug)]
pub struct Resolved {
    pub profile: String,
    pub credentials: Credentials,
    /// The profile's own `region`, if it sets one.
    pub region: Option<String>,
}

/// Resolve profile `name` to credentials: from the cache when it holds valid
/// ones, else from its source and STS (writing the cache).
pub fn credentials(name: &str, opts: &Options, getenv: Getenv) -> Result<Resolved, Error> {
    // An awsrole started (through credential_process) by one that may not
    // ask for input may not either.
    let opts = &Options {
        no_input: opts.no_input || crate::no_input_from_env(getenv),
        ..*opts
    };
    let (config, chain) = Config::load_for(getenv, name)?;
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
    let region = profile.get("region").map(str::to_string);

    let needs_cache = !chain.hops.is_empty() || source::needs_network(&chain.base);
    let cache = if needs_cache {
        cache_with_warning(&config.locations)
    } else {
        None
    };
    let target = sts::Target {
        region: config::sts_region(region.as_deref(), getenv),
        endpoint: endpoint::configured_endpoint("sts", profile, &config.set, getenv),
    };
    let cx = Context::new(&config, getenv, opts, cache, target);
    let credentials = source::chain_credentials(&chain, &cx)?;
    Ok(Resolved {
        profile: name.to_string(),
        credentials,
        region,
    })
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
