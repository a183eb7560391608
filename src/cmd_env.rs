//! `awsrole env`: resolve a profile to credentials and print export lines.
//!
//! Warm path: two config files, one cache file, print. The SDK, the tokio
//! runtime and the network are reached only on a cache miss.

use std::time::{Duration, SystemTime};

use crate::Getenv;
use crate::cache::{self, Cache};
use crate::chain::{self, Chain, RoleHop};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::files::{self, Locations};
use crate::profile_file::{FileKind, Location, ProfileSet};
use crate::shell::{Shell, ShellKind};
use crate::sts::{self, Sts, StsErrorKind};
use crate::{endpoint, mfa, source, timefmt};

/// Every variable `env` sets, in output order.
pub const VARIABLES: [&str; 8] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWSROLE_PROFILE",
    "AWSROLE_EXPIRATION",
];

/// How long to wait for another process refreshing the same role (it may be
/// waiting for someone to type an MFA code).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Region for STS when neither the profile nor the environment names one.
pub const FALLBACK_REGION: &str = "us-east-1";

pub struct EnvArgs {
    pub profile: Option<String>,
    pub shell: Option<ShellKind>,
    pub unset: bool,
    pub refresh: bool,
    /// Fail instead of asking for an MFA code.
    pub no_input: bool,
    pub min_ttl: Duration,
}

/// Returns the text for stdout; nothing is printed on error.
pub fn run(args: &EnvArgs, getenv: Getenv) -> Result<String, Error> {
    let shell = args
        .shell
        .unwrap_or_else(|| crate::shell::detect(getenv))
        .shell();
    if args.unset {
        return Ok(VARIABLES.iter().map(|v| shell.unset(v)).collect());
    }
    let name = profile_name(args.profile.as_deref(), getenv);
    let locations = files::locate(getenv, files::current_platform());
    let set = files::load(&locations).map_err(|e| Error::new(Status::Config, e.to_string()))?;
    let chain = chain::resolve(&set, &name).map_err(|e| chain_error(e, &set, &locations))?;
    let profile = &set.profiles[&name];
    let region = profile.get("region").map(str::to_string);

    let creds = if chain.hops.is_empty() {
        source::base_credentials(&chain.base, getenv)?
    } else {
        let cache = cache_for(&locations);
        let sts_region = region
            .clone()
            .or_else(|| getenv("AWS_REGION").filter(|r| !r.is_empty()))
            .or_else(|| getenv("AWS_DEFAULT_REGION").filter(|r| !r.is_empty()))
            .unwrap_or_else(|| FALLBACK_REGION.to_string());
        let target = sts::Target {
            region: sts_region,
            endpoint: endpoint::configured_endpoint("sts", profile, &set, getenv),
        };
        let mut resolver = Resolver {
            chain: &chain,
            cache: cache.as_ref(),
            target,
            sts: None,
            min_ttl: args.min_ttl,
            refresh: args.refresh,
            no_input: args.no_input,
            getenv,
        };
        resolver.hop(chain.hops.len() - 1)?
    };
    render(shell, &name, &creds, region.as_deref(), getenv)
}

/// PROFILE, then AWS_PROFILE, then AWS_DEFAULT_PROFILE, then `default`.
fn profile_name(arg: Option<&str>, getenv: Getenv) -> String {
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

fn cache_for(locations: &Locations) -> Option<Cache> {
    match &locations.home {
        Some(home) => Some(Cache::new(home.join(".aws").join("cli").join("cache"))),
        None => {
            eprintln!(
                "awsrole: warning: no home directory (HOME is not set): credentials are not cached"
            );
            None
        }
    }
}

struct Resolver<'a> {
    chain: &'a Chain,
    cache: Option<&'a Cache>,
    target: sts::Target,
    sts: Option<Sts>,
    min_ttl: Duration,
    refresh: bool,
    no_input: bool,
    getenv: Getenv<'a>,
}

impl Resolver<'_> {
    /// Credentials of hop `i`, from the cache or from STS. At most one cache
    /// lock is held at a time, so chains that share roles cannot deadlock.
    fn hop(&mut self, i: usize) -> Result<Credentials, Error> {
        let hop = &self.chain.hops[i];
        let key = cache::assume_role_key(hop);
        let force = self.refresh && i + 1 == self.chain.hops.len();
        let now = SystemTime::now();
        let mut seen = None;
        if let Some(cache) = self.cache {
            if !force && let Some(c) = cache.read(&key).filter(|c| self.fresh(c)) {
                return Ok(c);
            }
            seen = cache.modified(&key);
        }

        let source = if i == 0 {
            source::base_credentials(&self.chain.base, self.getenv)?
        } else {
            self.hop(i - 1)?
        };

        let _lock = match self.cache {
            Some(cache) => {
                let lock = cache
                    .lock(&key, &hop.profile, LOCK_TIMEOUT)
                    .map_err(|e| Error::new(Status::Failure, e.to_string()))?;
                // Someone may have refreshed it while we waited.
                let rewritten = cache.modified(&key) != seen;
                if (!force || rewritten)
                    && let Some(c) = cache.read(&key).filter(|c| self.fresh(c))
                {
                    return Ok(c);
                }
                Some(lock)
            }
            None => None,
        };

        let token_code = match &hop.mfa_serial {
            Some(serial) if self.no_input => return Err(mfa::needed(serial, &hop.profile)),
            Some(serial) => Some(mfa::prompt_code(serial, &hop.profile)?),
            None => None,
        };
        let request = sts::Request {
            hop,
            session_name: session_name(hop, now),
            token_code,
        };
        let assumed = self.sts()?.assume_role(&source, &request).map_err(|e| {
            let status = match e.kind {
                StsErrorKind::Service => Status::Sts,
                StsErrorKind::Unreachable => Status::Unreachable,
            };
            Error::new(status, e.message)
        })?;
        if let Some(cache) = self.cache
            && let Err(e) = cache.write(&key, &assumed.to_cache_json())
        {
            eprintln!(
                "awsrole: warning: could not write {}: {e} (the credentials are still exported)",
                cache.entry_path(&key).display()
            );
        }
        Ok(assumed.credentials)
    }

    fn fresh(&self, c: &Credentials) -> bool {
        cache::is_fresh(c, SystemTime::now(), self.min_ttl)
    }

    fn sts(&mut self) -> Result<&Sts, Error> {
        if self.sts.is_none() {
            let sts = Sts::new(self.target.clone()).map_err(|e| {
                Error::new(
                    Status::Failure,
                    format!("cannot start the HTTP runtime: {e}"),
                )
            })?;
            self.sts = Some(sts);
        }
        Ok(self.sts.as_ref().expect("set above"))
    }
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

fn render(
    shell: &dyn Shell,
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
    getenv: Getenv,
) -> Result<String, Error> {
    let mut out = String::new();
    let mut set = |name: &str, value: Option<&str>| -> Result<(), Error> {
        match value {
            Some(v) => {
                let line = shell
                    .export(name, v)
                    .map_err(|e| Error::new(Status::Failure, e.to_string()))?;
                out.push_str(&line);
            }
            None => out.push_str(&shell.unset(name)),
        }
        Ok(())
    };
    let expiration = creds.expiration.map(timefmt::format_utc);
    let unix = creds.expiration_unix().map(|s| s.to_string());
    set("AWS_ACCESS_KEY_ID", Some(&creds.access_key_id))?;
    set("AWS_SECRET_ACCESS_KEY", Some(&creds.secret_access_key))?;
    set("AWS_SESSION_TOKEN", creds.session_token.as_deref())?;
    set("AWS_CREDENTIAL_EXPIRATION", expiration.as_deref())?;
    if let Some(r) = region {
        set("AWS_REGION", Some(r))?;
        set("AWS_DEFAULT_REGION", Some(r))?;
    }
    set("AWSROLE_PROFILE", Some(profile))?;
    set("AWSROLE_EXPIRATION", unix.as_deref())?;
    // botocore reads this legacy name before AWS_SESSION_TOKEN: a stale one
    // would shadow the new token.
    if getenv("AWS_SECURITY_TOKEN").is_some() {
        set("AWS_SECURITY_TOKEN", None)?;
    }
    Ok(out)
}

fn chain_error(e: chain::ChainError, set: &ProfileSet, locations: &Locations) -> Error {
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
            profile: "p".into(),
            role_arn: "arn".into(),
            external_id: None,
            mfa_serial: None,
            role_session_name: None,
            duration_seconds: None,
            at: None,
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1234);
        assert_eq!(session_name(&hop, now), "botocore-session-1234");
        hop.role_session_name = Some("mine".into());
        assert_eq!(session_name(&hop, now), "mine");
    }
}
