//! `awsrole console [PROFILE]`: open the AWS console signed in with the
//! profile's credentials (federation sign-in, [`crate::federation`]).
//!
//! Which credentials can sign in:
//! - role credentials as they are; SessionDuration (`--duration`) is sent
//!   only when the role was assumed with an IAM user's credentials or a web
//!   identity token, since AWS refuses it for role chaining (sessions capped
//!   at one hour);
//! - an IAM user's long-term keys only through GetFederationToken (allow-all
//!   policy, so the session may do what the user may); `--duration` is then
//!   the federation token's lifetime. A user profile with `mfa_serial` is
//!   refused: GetFederationToken takes no MFA code, so it would either be
//!   denied by an MFA-only policy or sign in without MFA;
//! - other temporary credentials (SSO, process, instance, container,
//!   environment) are tried as they are, without SessionDuration.

use std::io::IsTerminal;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Getenv;
use crate::cli::ConsoleCli;
use crate::error::{Error, Status};
use crate::exports;
use crate::federation::{self, Partition};
use crate::resolve::{self, Origin};
use crate::sts::Sts;

pub fn run(args: &ConsoleCli, getenv: Getenv) -> Result<String, Error> {
    let name = args.role.spec(
        args.profile.as_deref(),
        None,
        args.resolve.cached.region.as_deref(),
        getenv,
    )?;
    let resolving = exports::without_exported_region(getenv);
    let r = resolve::credentials(&name, &args.resolve.options(), &resolving)?;
    let net = Sts::start(r.target.clone(), getenv)?;
    let ignored = |why: &str| {
        if args.duration.is_some() {
            eprintln!("awsrole: warning: --duration is not sent: {why}");
        }
    };
    let (credentials, session, arn) = match &r.origin {
        Origin::UserKeys {
            mfa_serial: Some(serial),
        } => return Err(refuse_mfa_user(&r.profile, serial)),
        Origin::UserKeys { mfa_serial: None } => {
            let fed = net.get_federation_token(
                &r.credentials,
                &federation_name(&r.profile),
                args.duration,
                &r.profile,
            )?;
            (fed.credentials, None, None)
        }
        Origin::Role {
            arn,
            chained: false,
        } => (r.credentials.clone(), args.duration, Some(arn.as_str())),
        Origin::Role { arn, chained: true } => {
            ignored(
                "the role was assumed with role credentials (role chaining), whose console session AWS caps at one hour",
            );
            (r.credentials.clone(), None, Some(arn.as_str()))
        }
        Origin::Other => {
            ignored(
                "AWS accepts a console session length only for role credentials awsrole assumed itself",
            );
            (r.credentials.clone(), None, None)
        }
    };
    let region = r
        .region
        .clone()
        .or_else(|| resolving("AWS_REGION").filter(|v| !v.is_empty()))
        .or_else(|| resolving("AWS_DEFAULT_REGION").filter(|v| !v.is_empty()));
    let partition = Partition::of(arn, region.as_deref());
    let destination = match &args.destination {
        Some(d) => d.clone(),
        None => partition.destination(region.as_deref(), args.service.as_deref()),
    };
    let endpoint = partition.endpoint(getenv);
    let token = federation::signin_token(&net, &endpoint, &credentials, session)?;
    let url = federation::login_url(&endpoint, &destination, &token);
    if args.print {
        if std::io::stdout().is_terminal() {
            eprintln!(
                "awsrole: warning: this URL signs anyone in as `{}` until the session ends: do not share or log it",
                r.profile
            );
        }
        return Ok(format!("{url}\n"));
    }
    let browser = open(&url, getenv)?;
    eprintln!(
        "awsrole: opened the AWS console for `{}` with {browser}",
        r.profile
    );
    Ok(String::new())
}

fn refuse_mfa_user(profile: &str, serial: &str) -> Error {
    Error::new(
        Status::Config,
        format!(
            "profile `{profile}` holds an IAM user's long-term keys with mfa_serial {serial}: the console sign-in needs GetFederationToken, which takes no MFA code (an MFA-only policy denies it). Sign in as a role instead: `awsrole console --role-arn ARN --source-profile {profile}`, or a profile with role_arn and source_profile = {profile}"
        ),
    )
}

/// GetFederationToken's Name: 2-32 of `[\w+=,.@-]`.
fn federation_name(profile: &str) -> String {
    let name: String = format!("awsrole-{profile}")
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '+' | '=' | ',' | '.' | '@' | '-' => c,
            _ => '-',
        })
        .take(32)
        .collect();
    name
}

/// Starts $BROWSER (a `:`-separated list; `%s` marks the URL), else
/// xdg-open, else open. Returns the one that started.
fn open(url: &str, getenv: Getenv) -> Result<String, Error> {
    let listed = getenv("BROWSER").unwrap_or_default();
    let mut tried = Vec::new();
    for entry in listed.split(':').filter(|e| !e.trim().is_empty()) {
        let mut cmd = if entry.contains(' ') || entry.contains("%s") {
            // The URL goes in as "$1", never into the script text.
            let script = if entry.contains("%s") {
                entry.replace("%s", "\"$1\"")
            } else {
                format!("{entry} \"$1\"")
            };
            let mut c = Command::new("sh");
            c.args(["-c", &script, "sh", url]);
            c
        } else {
            let mut c = Command::new(entry);
            c.arg(url);
            c
        };
        if started(&mut cmd) {
            return Ok(format!("`{entry}` ($BROWSER)"));
        }
        tried.push(format!("`{entry}`"));
    }
    for opener in ["xdg-open", "open"] {
        if started(Command::new(opener).arg(url)) {
            return Ok(format!("`{opener}`"));
        }
        tried.push(format!("`{opener}`"));
    }
    Err(Error::new(
        Status::Failure,
        format!(
            "cannot open a browser (tried {}): set BROWSER, or use --print and open the URL yourself",
            tried.join(", ")
        ),
    ))
}

/// Spawned, and not failed within a moment (a browser may keep running).
fn started(cmd: &mut Command) -> bool {
    let Ok(mut child) = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let until = Instant::now() + Duration::from_millis(700);
    while Instant::now() < until {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federation_names_fit_sts_rules() {
        assert_eq!(federation_name("dev"), "awsrole-dev");
        assert_eq!(federation_name("a b/c"), "awsrole-a-b-c");
        assert_eq!(federation_name(&"x".repeat(40)).len(), 32);
    }
}
