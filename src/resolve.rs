//! Profile name -> credentials: the one path shared by `env`, `exec` and
//! `credential-process`.
//!
//! Warm path: two config files, one cache file. The SDK, the tokio runtime
//! and the network are reached only on a cache miss.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::Getenv;
use crate::cache::{self, Cache};
use crate::chain::{self, Base, Chain, RoleHop};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::files::{self, Locations};
use crate::profile_file::{FileKind, Location, ProfileSet, Section};
use crate::sts::{self, Sts, StsErrorKind};
use crate::{endpoint, mfa, process_loop, profile_file, source};

/// How long to wait for another process refreshing the same role (it may be
/// waiting for someone to type an MFA code).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Region for STS when neither the profile nor the environment names one.
pub const FALLBACK_REGION: &str = "us-east-1";

/// How a profile's credentials may be obtained.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Ignore a valid cache entry for the final role: call STS and rewrite it.
    pub refresh: bool,
    /// Fail with exit status 6 instead of asking for an MFA code.
    pub no_input: bool,
    /// Cache entries with less time left than this count as expired.
    pub min_ttl: Duration,
}

/// What a profile resolved to.
#[derive(Debug)]
pub struct Resolved {
    pub profile: String,
    pub credentials: Credentials,
    /// The profile's own `region`, if it sets one.
    pub region: Option<String>,
}

/// The config and credentials files, located and parsed.
pub struct Config {
    pub locations: Locations,
    pub set: ProfileSet,
}

impl Config {
    pub fn load(getenv: Getenv) -> Result<Config, Error> {
        let locations = files::locate(getenv, files::current_platform());
        let set = files::load(&locations).map_err(|e| Error::new(Status::Config, e.to_string()))?;
        Ok(Config { locations, set })
    }

    /// Like [`Config::load`] for resolving profile `name` only: both files
    /// are read and checked in full (same errors), but only the profiles the
    /// resolution reads are built (`name`, its `source_profile`s, the
    /// profiles `credential_process = awsrole credential-process X` names,
    /// and so on), plus every `sso-session` and `services` section. When the
    /// chain does not resolve on that subset, every profile is built, so that
    /// errors (nearest names) and fallbacks see the whole files.
    pub fn load_for(getenv: Getenv, name: &str) -> Result<Config, Error> {
        let locations = files::locate(getenv, files::current_platform());
        let (config, credentials) = files::load_indexed(&locations)
            .map_err(|e| Error::new(Status::Config, e.to_string()))?;
        let set = profile_file::select(&config, &credentials, name, &depends_on);
        let set = match chain::resolve(&set, name) {
            Ok(_) => set,
            Err(_) => ProfileSet::merge(config.to_set(), credentials.to_set()),
        };
        Ok(Config { locations, set })
    }

    /// The profile's chain, or a config error naming file, line and fix.
    pub fn chain(&self, name: &str) -> Result<Chain, Error> {
        chain::resolve(&self.set, name).map_err(|e| chain_error(e, &self.set, &self.locations))
    }

    /// `~/.aws/cli/cache`, when there is a home directory.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        cache_dir(&self.locations)
    }

    /// `file:line` of a location in one of the two files.
    pub fn describe(&self, at: Location) -> String {
        describe_location(at, &self.locations)
    }
}

/// `<home>/.aws/cli/cache`, the AWS CLI's credential cache.
pub fn cache_dir(locations: &Locations) -> Option<PathBuf> {
    locations
        .home
        .as_ref()
        .map(|home| home.join(".aws").join("cli").join("cache"))
}

/// PROFILE, then AWS_PROFILE, then AWS_DEFAULT_PROFILE, then `default`.
pub fn profile_name(arg: Option<&str>, getenv: Getenv) -> String {
    if let Some(p) = arg {
        return p.to_string();
    }
    let profile = getenv("AWS_PROFILE").filter(|p| !p.is_empty());
    let legacy = getenv("AWS_DEFAULT_PROFILE").filter(|p| !p.is_empty());
    if let (Some(p), Some(l)) = (&profile, &legacy)
        && p != l
    {
        eprintln!(
            "awsrole: warning: AWS_PROFILE={p} and AWS_DEFAULT_PROFILE={l} differ; using {p} (the AWS CLI v1 would use {l})"
        );
    }
    profile.or(legacy).unwrap_or_else(|| "default".to_string())
}

/// The region STS is called in: the profile's, else AWS_REGION, else
/// AWS_DEFAULT_REGION, else [`FALLBACK_REGION`].
pub fn sts_region(profile_region: Option<&str>, getenv: Getenv) -> String {
    profile_region
        .map(str::to_string)
        .or_else(|| getenv("AWS_REGION").filter(|r| !r.is_empty()))
        .or_else(|| getenv("AWS_DEFAULT_REGION").filter(|r| !r.is_empty()))
        .unwrap_or_else(|| FALLBACK_REGION.to_string())
}

/// Resolve profile `name` to credentials: from the cache when it holds valid
/// ones, else from its source and STS (writing the cache).
pub fn credentials(name: &str, opts: &Options, getenv: Getenv) -> Result<Resolved, Error> {
    let config = Config::load_for(getenv, name)?;
    let chain = match chain::resolve(&config.set, name) {
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
        Err(e) => return Err(chain_error(e, &config.set, &config.locations)),
    };
    process_loop::check(&config, &chain)?;
    crate::verbose!(
        "profile `{name}` from {} and {}: {}",
        config.locations.config.display(),
        config.locations.credentials.display(),
        describe_chain(&chain)
    );
    let empty = Section::default();
    let profile = section_or_empty(&config.set, name, &empty);
    let region = profile.get("region").map(str::to_string);

    let needs_cache = !chain.hops.is_empty() || source::needs_network(&chain.base);
    let cache = if needs_cache {
        cache_with_warning(&config.locations)
    } else {
        None
    };
    let target = sts::Target {
        region: sts_region(region.as_deref(), getenv),
        endpoint: endpoint::configured_endpoint("sts", profile, &config.set, getenv),
    };
    let mut resolver = Resolver {
        config: &config,
        chain: &chain,
        cache: cache.as_ref(),
        target,
        sts: None,
        opts,
        getenv,
    };
    let creds = if chain.hops.is_empty() {
        resolver.base()?
    } else {
        resolver.hop(chain.hops.len() - 1)?
    };
    Ok(Resolved {
        profile: name.to_string(),
        credentials: creds,
        region,
    })
}

/// "base `p` -> role A -> role B", for `--verbose`.
fn describe_chain(chain: &Chain) -> String {
    let mut text = format!("base `{}`", process_loop::base_profile(&chain.base));
    for hop in &chain.hops {
        text.push_str(&format!(" -> {} (`{}`)", hop.role_arn, hop.profile));
    }
    text
}

/// "in FILE, valid until TIME", for `--verbose`.
fn describe_expiry(c: &Credentials, path: &std::path::Path) -> String {
    let until = c
        .expiration
        .map(crate::timefmt::format_utc)
        .unwrap_or_else(|| "no expiry".to_string());
    format!("in {}, valid until {until}", path.display())
}

fn cache_with_warning(locations: &Locations) -> Option<Cache> {
    match cache_dir(locations) {
        Some(dir) => Some(Cache::new(dir)),
        None => {
            eprintln!(
                "awsrole: warning: no home directory (HOME is not set): credentials are not cached"
            );
            None
        }
    }
}

struct Resolver<'a> {
    config: &'a Config,
    chain: &'a Chain,
    cache: Option<&'a Cache>,
    target: sts::Target,
    sts: Option<Sts>,
    opts: &'a Options,
    getenv: Getenv<'a>,
}

impl<'a> Resolver<'a> {
    /// Credentials of hop `i`, from the cache or from STS. At most one cache
    /// lock is held at a time, so chains that share roles cannot deadlock.
    fn hop(&mut self, i: usize) -> Result<Credentials, Error> {
        let hop = &self.chain.hops[i];
        let key = cache::assume_role_key(hop);
        let force = self.opts.refresh && i + 1 == self.chain.hops.len();
        let now = SystemTime::now();
        let mut seen = None;
        if let Some(cache) = self.cache {
            let path = cache.entry_path(&key);
            if !force && let Some(c) = cache.read(&key).filter(|c| self.fresh(c)) {
                crate::verbose!("{}: cache hit {}", hop.role_arn, describe_expiry(&c, &path));
                return Ok(c);
            }
            crate::verbose!(
                "{}: cache miss in {} ({})",
                hop.role_arn,
                path.display(),
                if force {
                    "--refresh"
                } else {
                    "missing, unusable or expiring within --min-ttl"
                }
            );
            seen = cache.modified(&key);
        }
        // An IAM user's own keys and an MFA device: one MFA session
        // (GetSessionToken) serves every role with that device.
        let session = match (&hop.mfa_serial, &self.chain.base) {
            (
                Some(serial),
                Base::StaticKeys {
                    session_token: None,
                    ..
                },
            ) if i == 0 => mfa::session_lifetime(self.getenv)?.map(|d| (serial.clone(), d)),
            _ => None,
        };
        // Without input a code cannot be had: say so now instead of waiting
        // for the lock (its holder may be waiting for someone to type one).
        if self.opts.no_input
            && session.is_none()
            && let Some(serial) = &hop.mfa_serial
            && !self.code_source(hop).unattended()
        {
            return Err(mfa::needed(serial, &hop.profile));
        }

        let source = if let Some((serial, lifetime)) = &session {
            let user = self.base()?;
            self.sts()?;
            let dir = mfa::session_dir(&self.config.locations);
            let session_cache = dir.map(Cache::new);
            let s = mfa::Session {
                user: &user,
                serial,
                profile: &hop.profile,
                lifetime: *lifetime,
                cache: session_cache.as_ref(),
                min_ttl: self.opts.min_ttl,
                lock_timeout: LOCK_TIMEOUT,
            };
            let sts = self.sts.as_ref().expect("started above");
            mfa::session_credentials(&s, &self.code_source(hop), sts)?
        } else if i == 0 {
            self.base()?
        } else {
            self.hop(i - 1)?
        };

        let _lock = match self.cache {
            Some(cache) => {
                let lock = cache
                    .lock_for_refresh(
                        &key,
                        &hop.profile,
                        LOCK_TIMEOUT,
                        "cache lock",
                        "the credentials are",
                    )
                    .map_err(|e| Error::new(Status::Failure, e.to_string()))?;
                // Someone may have refreshed it while we waited.
                let rewritten = cache.modified(&key) != seen;
                if lock.is_some()
                    && (!force || rewritten)
                    && let Some(c) = cache.read(&key).filter(|c| self.fresh(c))
                {
                    crate::verbose!(
                        "{}: refreshed by another process meanwhile {}",
                        hop.role_arn,
                        describe_expiry(&c, &cache.entry_path(&key))
                    );
                    return Ok(c);
                }
                lock
            }
            None => None,
        };

        // With an MFA session the role is assumed without a code (the
        // session is MFA-authenticated); the cache key still names the device.
        let mut sent = hop.clone();
        let token_code = match &hop.mfa_serial {
            Some(_) if session.is_some() => {
                sent.mfa_serial = None;
                None
            }
            Some(serial) => Some(mfa::code(serial, &hop.profile, &self.code_source(hop))?),
            None => None,
        };
        let request = sts::Request {
            hop: &sent,
            session_name: session_name(hop, now),
            token_code,
        };
        crate::verbose!(
            "AssumeRole {} as `{}` via {} in {}{}",
            hop.role_arn,
            request.session_name,
            self.target
                .endpoint
                .as_deref()
                .unwrap_or("the regional STS endpoint"),
            self.target.region,
            if request.token_code.is_some() {
                ", with an MFA code"
            } else {
                ""
            }
        );
        let assumed = self
            .sts()?
            .assume_role(&source, &request)
            .map_err(sts_error)?;
        if let Some(cache) = self.cache
            && _lock.is_some()
            && let Err(e) = cache.write(&key, &assumed.to_cache_json())
        {
            eprintln!(
                "awsrole: warning: could not write {}: {e} (the credentials are still used)",
                cache.entry_path(&key).display()
            );
        } else if let Some(cache) = self.cache
            && _lock.is_some()
        {
            crate::verbose!(
                "{}: cached {}",
                hop.role_arn,
                describe_expiry(&assumed.credentials, &cache.entry_path(&key))
            );
        }
        Ok(assumed.credentials)
    }

    /// Where an MFA code for `hop` may come from.
    fn code_source(&self, hop: &RoleHop) -> mfa::CodeSource<'a> {
        let config: &'a Config = self.config;
        mfa::CodeSource {
            getenv: self.getenv,
            process: config
                .set
                .profiles
                .get(&hop.profile)
                .and_then(|p| p.get("mfa_process")),
            no_input: self.opts.no_input,
        }
    }

    /// The chain's base credentials (network sources start the runtime).
    fn base(&mut self) -> Result<Credentials, Error> {
        let config = self.config;
        let at = |p: &str, k: &str| {
            let section = config.set.profiles.get(p)?;
            Some(config.describe(section.prop(k).map(|x| x.at).or(section.at)?))
        };
        let cx = source::Context {
            getenv: self.getenv,
            at: &at,
            cache: self.cache,
            target: &self.target,
            min_ttl: self.opts.min_ttl,
            refresh: self.opts.refresh && self.chain.hops.is_empty(),
        };
        source::base_credentials(&self.chain.base, &cx, &mut self.sts)
    }

    fn fresh(&self, c: &Credentials) -> bool {
        cache::is_fresh(c, SystemTime::now(), self.opts.min_ttl)
    }

    fn sts(&mut self) -> Result<&Sts, Error> {
        if self.sts.is_none() {
            self.sts = Some(start_sts(self.target.clone())?);
        }
        Ok(self.sts.as_ref().expect("set above"))
    }
}

/// The runtime and HTTP client for STS calls.
pub fn start_sts(target: sts::Target) -> Result<Sts, Error> {
    Sts::new(target).map_err(|e| {
        Error::new(
            Status::Failure,
            format!("cannot start the HTTP runtime: {e}"),
        )
    })
}

/// An STS failure as a command error: 4 when STS answered, 5 when it could
/// not be reached.
pub fn sts_error(e: sts::StsError) -> Error {
    let status = match e.kind {
        StsErrorKind::Service => Status::Sts,
        StsErrorKind::Unreachable => Status::Unreachable,
    };
    Error::new(status, e.message)
}

/// The configured name, else botocore's generated one (never hashed).
fn session_name(hop: &RoleHop, now: SystemTime) -> String {
    hop.role_session_name.clone().unwrap_or_else(|| {
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        format!("botocore-session-{secs}")
    })
}

/// The other profiles resolving a profile may read: its `source_profile`
/// and the target of `credential_process = awsrole credential-process X`
/// (followed by [`process_loop::check`]). Used by [`Config::load_for`].
fn depends_on(section: &Section) -> Vec<String> {
    let mut out: Vec<String> = section
        .get("source_profile")
        .map(str::to_string)
        .into_iter()
        .collect();
    out.extend(
        section
            .get("credential_process")
            .and_then(process_loop::awsrole_process_target),
    );
    out
}

// ---------------------------------------------------------------------------
// Error wording
// ---------------------------------------------------------------------------

/// A chain error with file:line, and the nearest names for an unknown profile.
pub fn chain_error(e: chain::ChainError, set: &ProfileSet, locations: &Locations) -> Error {
    let mut message = String::new();
    if let Some(at) = e.at {
        message.push_str(&describe_location(at, locations));
        message.push_str(": ");
    }
    message.push_str(&e.message);
    if e.kind == chain::ErrorKind::UnknownProfile {
        let near = nearest_names(&e.profile, set.profiles.keys().map(String::as_str));
        if !near.is_empty() {
            message.push_str(&format!("; did you mean {}?", near.join(", ")));
        } else if !set.profiles.is_empty() {
            message.push_str(&format!(
                " in {} or {}",
                locations.config.display(),
                locations.credentials.display()
            ));
        } else {
            message.push_str(&format!(
                " (looked in {} and {})",
                locations.config.display(),
                locations.credentials.display()
            ));
        }
    }
    Error::new(Status::Config, message)
}

pub fn describe_location(at: Location, locations: &Locations) -> String {
    let path = match at.file {
        FileKind::Config => &locations.config,
        FileKind::Credentials => &locations.credentials,
    };
    format!("{}:{}", path.display(), at.line)
}

/// The profile's section, or an empty one (for endpoint and region lookups
/// of a profile that is no longer in the files).
pub fn section_or_empty<'a>(set: &'a ProfileSet, name: &str, empty: &'a Section) -> &'a Section {
    set.profiles.get(name).unwrap_or(empty)
}

/// Up to three profile names close to `wanted` (edit distance, or prefix).
fn nearest_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (wanted.chars().count() / 4).max(2);
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let d = edit_distance(&wanted.to_lowercase(), &n.to_lowercase());
            let close = d <= limit || n.starts_with(wanted) || wanted.starts_with(n);
            close.then_some((d, n))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let names = ["marketingadmin", "marketing-ro", "prod", "default"];
        assert_eq!(
            nearest_names("marketingadmn", names.into_iter()),
            vec!["marketingadmin"]
        );
        assert_eq!(nearest_names("prd", names.into_iter()), vec!["prod"]);
        assert!(nearest_names("zzzzzzzz", names.into_iter()).is_empty());
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn session_name_is_configured_or_botocore_style() {
        let mut hop = RoleHop {
            role_arn: "arn".into(),
            ..Default::default()
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1234);
        assert_eq!(session_name(&hop, now), "botocore-session-1234");
        hop.role_session_name = Some("mine".into());
        assert_eq!(session_name(&hop, now), "mine");
    }
}
