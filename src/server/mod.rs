//! `awsrole exec --server PROFILE -- COMMAND`: a local credential endpoint.
//!
//! Instead of static keys, the command gets the container credentials
//! protocol (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`), served by awsrole on 127.0.0.1 while
//! the command runs. SDKs ask again before their credentials expire, and each
//! answer is refreshed through the same cache, locks and MFA session as
//! `env`, so a command may run for longer than one set of credentials.
//!
//! awsrole stays the command's parent (see [`supervise`]): same process
//! group and terminal, signals forwarded, exit status passed through.
//!
//! Only `exec --server` reaches this module: plain `exec` and the warm path
//! start no thread and no runtime.

mod http;
mod store;
#[cfg(unix)]
mod supervise;
#[cfg(windows)]
#[path = "supervise_windows.rs"]
mod supervise;

use std::convert::Infallible;
use std::ffi::OsString;
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;

use crate::error::{Error, Status};
use crate::resolve::{self, Options};

pub use http::{constant_time_eq, host_is_loopback};

/// Removed from the command's environment: every other source of
/// credentials an SDK would try before the container endpoint, the profile
/// names, and the expiry variables the prompt hooks act on (the endpoint
/// refreshes by itself; a hook must not export static keys over it).
pub const REMOVED: [&str; 15] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWSROLE_EXPIRATION",
    "AWSROLE_NEXT",
    "AWSROLE_HOOK_STATE",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
];

/// What the command gets instead of keys (set, never read by awsrole).
pub const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const AUTHORIZATION_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

/// What the server needs from the command line.
pub struct Args<'a> {
    pub profile: &'a str,
    pub command: &'a [OsString],
    pub opts: Options,
}

/// Fetches the credentials, starts the endpoint, runs the command and ends
/// this process with the command's status. Returns only on failure before
/// the command started.
pub fn run(args: &Args) -> Result<Infallible, Error> {
    let Some((program, rest)) = args.command.split_first() else {
        return Err(Error::new(
            Status::Usage,
            "no command given: awsrole exec --server PROFILE -- COMMAND [ARGS...]",
        ));
    };
    let getenv = |k: &str| std::env::var(k).ok();
    // Before the command starts: its first SDK call must not wait for STS
    // or for an MFA code (SDKs time out after a few seconds).
    let first = resolve::credentials(args.profile, &args.opts, &getenv)?;
    if first.credentials.expiration.is_none() {
        return Err(Error::new(
            Status::Usage,
            format!(
                "profile `{}` gives long-term keys that never expire: there is nothing for --server to refresh; use `awsrole exec {} -- ...` without --server",
                args.profile, args.profile
            ),
        ));
    }
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| {
        Error::new(
            Status::Failure,
            format!("cannot listen on 127.0.0.1 for the credential endpoint: {e}"),
        )
    })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let token = random_hex(32)?;
    let path = format!("/awsrole/{}", random_hex(16)?);

    let later = Options {
        refresh: false,
        ..args.opts
    };
    let store = Arc::new(store::Store::new(
        args.profile.to_string(),
        role_of(args.profile, &getenv),
        later,
        first.credentials,
    ));
    // From here on, signals go to one thread (threads inherit the mask).
    let signals = supervise::block_signals();
    let server = http::Server {
        path: path.clone(),
        token: token.clone(),
        store,
    };
    http::serve(listener, Arc::new(server))?;

    let mut cmd = Command::new(program);
    cmd.args(rest);
    for name in REMOVED {
        cmd.env_remove(name);
    }
    if let Some(region) = &first.region {
        cmd.env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region);
    }
    cmd.env(FULL_URI, format!("http://127.0.0.1:{port}{path}"))
        .env(AUTHORIZATION_TOKEN, &token)
        .env("AWSROLE_PROFILE", args.profile);
    crate::verbose!(
        "credential endpoint for `{}` on 127.0.0.1:{port}",
        args.profile
    );
    supervise::run(cmd, program, signals)
}

/// The final role's ARN, for error messages ("" when the chain has no role).
fn role_of(profile: &str, getenv: crate::Getenv) -> String {
    crate::config::Config::load_for(getenv, profile)
        .ok()
        .and_then(|(_, chain)| chain.ok())
        .and_then(|c| c.hops.last().map(|h| h.role_arn.clone()))
        .unwrap_or_default()
}

/// `n` bytes from the OS's random source, as hex (2n characters).
fn random_hex(n: usize) -> Result<String, Error> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            Status::Failure,
            format!("cannot read the system's random source: {e}"),
        )
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
