//! `awsrole env`: resolve a profile to credentials and print export lines.
//!
//! Warm path: two config files, one cache file, print. The SDK, the tokio
//! runtime and the network are reached only on a cache miss.

use std::time::Duration;

use crate::Getenv;
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::shell::{Shell, ShellKind};
use crate::timefmt;
use crate::{config, resolve};

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
    let name = config::profile_name(args.profile.as_deref(), getenv);
    let opts = resolve::Options {
        refresh: args.refresh,
        no_input: args.no_input,
        min_ttl: args.min_ttl,
    };
    let r = resolve::credentials(&name, &opts, getenv)?;
    render(
        shell,
        &r.profile,
        &r.credentials,
        r.region.as_deref(),
        getenv,
    )
}

/// What `env` sets (`Some`) and removes (`None`), in output order; `exec`
/// applies the same list to the command's environment.
pub fn assignments(
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
    getenv: Getenv,
) -> Vec<(&'static str, Option<String>)> {
    let mut out = vec![
        ("AWS_ACCESS_KEY_ID", Some(creds.access_key_id.clone())),
        (
            "AWS_SECRET_ACCESS_KEY",
            Some(creds.secret_access_key.clone()),
        ),
        ("AWS_SESSION_TOKEN", creds.session_token.clone()),
        (
            "AWS_CREDENTIAL_EXPIRATION",
            creds.expiration.map(timefmt::format_utc),
        ),
    ];
    if let Some(r) = region {
        out.push(("AWS_REGION", Some(r.to_string())));
        out.push(("AWS_DEFAULT_REGION", Some(r.to_string())));
    }
    out.push(("AWSROLE_PROFILE", Some(profile.to_string())));
    out.push((
        "AWSROLE_EXPIRATION",
        creds.expiration_unix().map(|s| s.to_string()),
    ));
    // botocore reads this legacy name before AWS_SESSION_TOKEN: a stale one
    // would shadow the new token.
    if getenv("AWS_SECURITY_TOKEN").is_some() {
        out.push(("AWS_SECURITY_TOKEN", None));
    }
    out
}

fn render(
    shell: &dyn Shell,
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
    getenv: Getenv,
) -> Result<String, Error> {
    let mut out = String::new();
    for (name, value) in assignments(profile, creds, region, getenv) {
        match value {
            Some(v) => {
                let line = shell
                    .export(name, &v)
                    .map_err(|e| Error::new(Status::Failure, e.to_string()))?;
                out.push_str(&line);
            }
            None => out.push_str(&shell.unset(name)),
        }
    }
    Ok(out)
}
