//! `awsrole list`: every profile with its kind, source chain, MFA, region
//! and cached credentials. Pure reads: the two config files and one cache
//! file per role profile; no network, no runtime, no prompt.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::Getenv;
use crate::cache::{self, Cache};
use crate::chain::{self, Base, Chain};
use crate::cli::ListCli;
use crate::config::Config;
use crate::error::Error;
use crate::process_loop;
use crate::style::{self, Paint, Style};
use crate::timefmt;

/// Entries with less time left than this are reported as not fresh: `env`
/// and `exec` (with their default --min-ttl) would call STS again.
pub const FRESH_TTL: Duration = Duration::from_secs(15 * 60);

/// What a profile is, as listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Assumes a role.
    Role,
    /// Long-term keys.
    Static,
    Sso,
    Process,
    WebIdentity,
    /// Settings only (e.g. a region): no credentials.
    Settings,
    /// Its chain does not resolve.
    Invalid,
}

impl Kind {
    /// The name in the table and in `--json`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::Static => "static",
            Kind::Sso => "sso",
            Kind::Process => "process",
            Kind::WebIdentity => "web-identity",
            Kind::Settings => "none",
            Kind::Invalid => "invalid",
        }
    }
}

/// One profile, as listed.
#[derive(Debug)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    /// Profiles read, from the one holding the base credentials to this one.
    pub chain: Vec<String>,
    /// Where the base credentials come from: `static`, `environment`,
    /// `ec2-instance-metadata`, `ecs-container`, `web-identity`, `sso`,
    /// `process`.
    pub base: Option<&'static str>,
    /// Human summary of the source: `base > a`, `Environment`, ...
    pub source: Option<String>,
    /// Role ARNs, in the order they are assumed.
    pub roles: Vec<String>,
    /// This profile's own `mfa_serial` (for its role).
    pub mfa_serial: Option<String>,
    /// Some role in the chain needs an MFA code.
    pub mfa: bool,
    pub region: Option<String>,
    /// The final role's cache entry.
    pub cached: Option<Cached>,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct Cached {
    pub expiration: SystemTime,
    /// Negative once expired.
    pub seconds_left: i64,
}

impl Cached {
    pub fn valid(&self) -> bool {
        self.seconds_left > 0
    }

    pub fn fresh(&self) -> bool {
        self.seconds_left > FRESH_TTL.as_secs() as i64
    }
}

pub fn run(args: &ListCli, getenv: Getenv) -> Result<String, Error> {
    let config = Config::load(getenv)?;
    let entries = entries(&config, SystemTime::now());
    if args.json {
        let mut list: Vec<Value> = entries.iter().map(to_json).collect();
        // IAM Identity Center profiles: their session's token.
        if let Some(home) = &config.locations.home {
            // Only chains that start at IAM Identity Center (building every
            // chain again would be quadratic on pathological files).
            for (v, e) in list.iter_mut().zip(&entries) {
                if e.base == Some("sso")
                    && let Some(s) = crate::sso::report::session_of(&config, &e.name)
                {
                    v["sso"] = crate::sso::report::describe(&s, home, SystemTime::now()).1;
                }
            }
        }
        return Ok(format!("{}\n", Value::Array(list)));
    }
    if entries.is_empty() {
        eprintln!(
            "awsrole: no profiles in {} or {}",
            config.locations.config.display(),
            config.locations.credentials.display()
        );
        return Ok(String::new());
    }
    let sessions = crate::sso::report::list_section(&config, SystemTime::now());
    Ok(table(&entries, Style::for_stdout(getenv)) + &sessions)
}

/// Every profile, sorted by name.
pub fn entries(config: &Config, now: SystemTime) -> Vec<Entry> {
    let cache = config.cache_dir().map(Cache::new);
    let mut names: Vec<&String> = config.set.profiles.keys().collect();
    names.sort();
    // Found for all at once: walking each overlong chain would take long.
    let overlong = chain::overlong(&config.set);
    names
        .into_iter()
        .map(|name| entry(config, name, cache.as_ref(), now, &overlong))
        .collect()
}

fn entry(
    config: &Config,
    name: &str,
    cache: Option<&Cache>,
    now: SystemTime,
    overlong: &std::collections::HashSet<&str>,
) -> Entry {
    let region = config.set.profiles[name].get("region").map(str::to_string);
    let mut e = Entry {
        name: name.to_string(),
        kind: Kind::Invalid,
        chain: Vec::new(),
        base: None,
        source: None,
        roles: Vec::new(),
        mfa_serial: None,
        mfa: false,
        region,
        cached: None,
        error: None,
    };
    let built = if overlong.contains(name) {
        Err(chain::too_long(&config.set, name))
    } else {
        chain::build(&config.set, name)
    };
    let chain = match built {
        Ok(c) => c,
        Err(err) if err.kind == chain::ErrorKind::NoCredentials && err.profile == name => {
            e.kind = Kind::Settings;
            return e;
        }
        Err(err) => {
            e.error = Some(config.chain_error(err).message);
            return e;
        }
    };
    e.kind = match (&chain.base, chain.hops.is_empty()) {
        (_, false) => Kind::Role,
        (Base::StaticKeys { .. }, true) => Kind::Static,
        (Base::Sso { .. }, true) => Kind::Sso,
        (Base::Process { .. }, true) => Kind::Process,
        (Base::WebIdentity { .. }, true) => Kind::WebIdentity,
        (Base::Named { .. }, true) => Kind::Role,
    };
    e.base = Some(base_kind(&chain.base));
    e.chain = chain.profiles().into_iter().map(str::to_string).collect();
    e.roles = chain.hops.iter().map(|h| h.role_arn.clone()).collect();
    e.mfa = chain.hops.iter().any(|h| h.mfa_serial.is_some());
    e.mfa_serial = chain
        .hops
        .last()
        .filter(|h| h.profile == name)
        .and_then(|h| h.mfa_serial.clone());
    if !chain.hops.is_empty() {
        e.source = Some(source_summary(&chain, name));
    }
    if let Some(err) = process_loop::check(&config.set, &config.locations, &chain).err() {
        e.kind = Kind::Invalid;
        e.error = Some(err.message);
    }
    if let (Some(cache), Some(last)) = (cache, chain.hops.last())
        && let Some(c) = cache.read_role(&cache::assume_role_key(last), Some(&last.role_arn))
        && let Some(expiration) = c.expiration
    {
        e.cached = Some(Cached {
            expiration,
            seconds_left: seconds_between(now, expiration),
        });
    }
    e
}

fn seconds_between(now: SystemTime, then: SystemTime) -> i64 {
    match then.duration_since(now) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

fn base_kind(base: &Base) -> &'static str {
    match base {
        Base::StaticKeys { .. } => "static",
        Base::Named { source, .. } => match source {
            chain::NamedSource::Environment => "environment",
            chain::NamedSource::Ec2InstanceMetadata => "ec2-instance-metadata",
            chain::NamedSource::EcsContainer => "ecs-container",
        },
        Base::WebIdentity { .. } => "web-identity",
        Base::Sso { .. } => "sso",
        Base::Process { .. } => "process",
    }
}

/// Where a role profile's source credentials come from: `base > a > b`.
fn source_summary(chain: &Chain, name: &str) -> String {
    let first = match &chain.base {
        Base::StaticKeys { profile, .. } if profile == name => "own keys".to_string(),
        Base::StaticKeys { profile, .. } => profile.clone(),
        Base::Named { source, .. } => source.name().to_string(),
        Base::WebIdentity { profile, .. } => format!("{profile} (web identity)"),
        Base::Sso { profile, .. } => format!("{profile} (sso)"),
        Base::Process { profile, .. } => format!("{profile} (process)"),
    };
    let mut parts = vec![first];
    // Only `credential_source` shares its profile with the first hop, and
    // its label names the source, not the profile: every hop is shown.
    for hop in &chain.hops[..chain.hops.len() - 1] {
        parts.push(hop.profile.clone());
    }
    parts.join(" > ")
}

pub fn to_json(e: &Entry) -> Value {
    json!({
        "name": e.name,
        "kind": e.kind.name(),
        "chain": e.chain,
        "base": e.base,
        "source": e.source,
        "roles": e.roles,
        "mfa_serial": e.mfa_serial,
        "mfa": e.mfa,
        "region": e.region,
        "cached": e.cached.as_ref().map(|c| json!({
            "expiration": timefmt::format_utc(c.expiration),
            "seconds_left": c.seconds_left,
            "valid": c.valid(),
            "fresh": c.fresh(),
        })),
        "error": e.error,
    })
}

/// The CREDENTIALS cell: text and colour.
fn credentials_cell(e: &Entry) -> (String, Option<Paint>) {
    match e.kind {
        Kind::Invalid => return ("error".into(), Some(Paint::Red)),
        Kind::Static => return ("long-term keys".into(), None),
        Kind::Role => {}
        Kind::Sso | Kind::Process | Kind::WebIdentity | Kind::Settings => {
            return ("-".into(), Some(Paint::Dim));
        }
    }
    match &e.cached {
        None => ("none".into(), Some(Paint::Dim)),
        Some(c) if !c.valid() => (
            format!(
                "expired {} ago",
                style::short_duration(c.seconds_left.unsigned_abs())
            ),
            Some(Paint::Red),
        ),
        Some(c) if !c.fresh() => (
            format!(
                "expiring, {} left",
                style::short_duration(c.seconds_left as u64)
            ),
            Some(Paint::Yellow),
        ),
        Some(c) => (
            format!("{} left", style::short_duration(c.seconds_left as u64)),
            Some(Paint::Green),
        ),
    }
}

pub fn table(entries: &[Entry], style: Style) -> String {
    let header = ["PROFILE", "KIND", "SOURCE", "MFA", "REGION", "CREDENTIALS"];
    let rows: Vec<[(String, Option<Paint>); 6]> = entries
        .iter()
        .map(|e| {
            [
                (e.name.clone(), None),
                (
                    e.kind.name().to_string(),
                    (e.kind == Kind::Invalid).then_some(Paint::Red),
                ),
                (e.source.clone().unwrap_or_else(|| "-".into()), None),
                ((if e.mfa { "yes" } else { "-" }).to_string(), None),
                (e.region.clone().unwrap_or_else(|| "-".into()), None),
                credentials_cell(e),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, (text, _)) in widths.iter_mut().zip(row) {
            *w = (*w).max(text.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<(String, usize)>, out: &mut String| {
        let last = cells.len() - 1;
        for (i, (cell, visible)) in cells.into_iter().enumerate() {
            if i == last {
                out.push_str(&cell);
            } else {
                out.push_str(&style::pad(&cell, visible, widths[i]));
                out.push_str("  ");
            }
        }
        out.push('\n');
    };
    line(
        header
            .iter()
            .map(|h| (style.paint(Paint::Bold, h), h.len()))
            .collect(),
        &mut out,
    );
    for row in rows {
        line(
            row.into_iter()
                .map(|(text, paint)| {
                    let visible = text.chars().count();
                    let shown = match paint {
                        Some(p) => style.paint(p, &text),
                        None => text,
                    };
                    (shown, visible)
                })
                .collect(),
            &mut out,
        );
    }
    // Errors in full below the table, where they have room.
    for e in entries {
        if let Some(err) = &e.error {
            out.push_str(&format!(
                "\n{}: {}\n",
                style.paint(Paint::Red, &e.name),
                err
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Locations;
    use crate::profile_file::parse_config;
    use std::path::PathBuf;

    fn config(text: &str) -> Config {
        Config {
            locations: Locations {
                home: None,
                config: PathBuf::from("/cfg"),
                credentials: PathBuf::from("/creds"),
            },
            set: parse_config(text).unwrap(),
        }
    }

    fn by_name<'a>(entries: &'a [Entry], name: &str) -> &'a Entry {
        entries.iter().find(|e| e.name == name).unwrap()
    }

    #[test]
    fn kinds_and_chains() {
        let c = config(
            "[profile base]\naws_access_key_id = A\naws_secret_access_key = B\n\
             [profile a]\nrole_arn = arn:a\nsource_profile = base\nmfa_serial = m1\n\
             [profile b]\nrole_arn = arn:b\nsource_profile = a\nregion = eu-west-1\n\
             [profile e]\nrole_arn = arn:e\ncredential_source = Environment\n\
             [profile eb]\nrole_arn = arn:eb\nsource_profile = e\n\
             [profile s]\nsso_session = x\nsso_account_id = 1\nsso_role_name = r\n\
             [sso-session x]\nsso_region = us-east-1\nsso_start_url = https://x\n\
             [profile p]\ncredential_process = /bin/true\n\
             [profile settings]\nregion = us-west-2\n\
             [profile loop]\nrole_arn = arn:l\nsource_profile = loop2\n\
             [profile loop2]\nrole_arn = arn:l2\nsource_profile = loop\n\
             [profile me]\naws_access_key_id = A\naws_secret_access_key = B\nrole_arn = arn:me\nsource_profile = me\n",
        );
        let all = entries(&c, SystemTime::now());
        let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);

        let b = by_name(&all, "b");
        assert_eq!((b.kind, b.base), (Kind::Role, Some("static")));
        assert_eq!(b.chain, ["base", "a", "b"]);
        assert_eq!(b.roles, ["arn:a", "arn:b"]);
        assert_eq!(b.source.as_deref(), Some("base > a"));
        assert!(b.mfa && b.mfa_serial.is_none());
        assert_eq!(b.region.as_deref(), Some("eu-west-1"));
        assert_eq!(by_name(&all, "a").mfa_serial.as_deref(), Some("m1"));

        let e = by_name(&all, "e");
        assert_eq!((e.kind, e.base), (Kind::Role, Some("environment")));
        assert_eq!(e.source.as_deref(), Some("Environment"));
        assert_eq!(e.chain, ["e"]);
        let eb = by_name(&all, "eb");
        assert_eq!(eb.source.as_deref(), Some("Environment > e"));

        assert_eq!(by_name(&all, "base").kind, Kind::Static);
        assert_eq!(by_name(&all, "s").kind, Kind::Sso);
        assert_eq!(by_name(&all, "p").kind, Kind::Process);
        assert_eq!(by_name(&all, "settings").kind, Kind::Settings);
        assert_eq!(to_json(by_name(&all, "settings"))["kind"], "none");
        let l = by_name(&all, "loop");
        assert_eq!(l.kind, Kind::Invalid);
        assert!(l.error.as_deref().unwrap().contains("infinite loop"));
        assert_eq!(by_name(&all, "me").source.as_deref(), Some("own keys"));
    }

    #[test]
    fn table_has_no_escapes_without_colour() {
        let c = config("[profile base]\naws_access_key_id = A\naws_secret_access_key = B\n");
        let text = table(&entries(&c, SystemTime::now()), Style { color: false });
        assert!(!text.contains('\x1b'));
        assert!(
            text.starts_with("PROFILE  KIND    SOURCE  MFA  REGION  CREDENTIALS\n"),
            "{text}"
        );
        let colored = table(&entries(&c, SystemTime::now()), Style { color: true });
        assert!(colored.contains("\x1b[1mPROFILE\x1b[0m"));
    }
}
