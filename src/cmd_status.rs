//! `awsrole status`: which profile's credentials this shell holds and for
//! how long, from the variables `env` sets; with `--verify`, whose they are
//! according to STS (GetCallerIdentity).
//!
//! Exit status 0 when awsrole credentials are active and unexpired; 1 when
//! none are active or they have expired (the reason on stderr, stdout
//! empty); with `--verify`, 4 when STS rejects them and 5 when it cannot be
//! reached.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::Getenv;
use crate::cli::StatusCli;
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::profile_file::Section;
use crate::resolve::{self, Config};
use crate::sts::{self, Identity};
use crate::style::{self, Paint, Style};
use crate::timefmt;

/// Below this, the time left is shown as a warning.
const LOW: Duration = Duration::from_secs(15 * 60);

/// The awsrole credentials of this shell, as the variables say.
#[derive(Debug)]
pub struct Active {
    pub profile: String,
    pub credentials: Credentials,
}

pub fn run(args: &StatusCli, getenv: Getenv) -> Result<String, Error> {
    let active = active(getenv)?;
    let now = SystemTime::now();
    let left = active
        .credentials
        .expiration
        .map(|e| e.duration_since(now).ok());
    if let Some(None) = left {
        let exp = active.credentials.expiration.expect("checked");
        let ago = now.duration_since(exp).unwrap_or_default();
        return Err(Error::new(
            Status::Failure,
            format!(
                "the credentials of profile `{}` in this shell expired {} ago (at {}); refresh them with eval \"$(awsrole env {})\"",
                active.profile,
                style::short_duration(ago.as_secs()),
                timefmt::format_utc(exp),
                active.profile
            ),
        ));
    }
    let left = left.flatten();
    let identity = if args.verify {
        Some(verify(&active, getenv)?)
    } else {
        None
    };
    // The IAM Identity Center session behind the profile, if any.
    let sso = Config::load(getenv).ok().and_then(|config| {
        let session = crate::sso::report::session_of(&config, &active.profile)?;
        let home = config.locations.home.as_ref()?;
        Some((
            session.describe(),
            crate::sso::report::describe(&session, home, now),
        ))
    });
    if args.json {
        let mut v = json!({
            "profile": active.profile,
            "expiration": active.credentials.expiration.map(timefmt::format_utc),
            "seconds_left": left.map(|d| d.as_secs()),
        });
        if let Some(id) = &identity {
            v["identity"] = json!({
                "account": id.account,
                "arn": id.arn,
                "user_id": id.user_id,
            });
        }
        if let Some((_, (_, sso))) = &sso {
            v["sso"] = sso.clone();
        }
        return Ok(format!("{v}\n"));
    }
    let mut out = human(&active, left, identity.as_ref(), Style::for_stdout(getenv));
    if let Some((name, (text, _))) = &sso {
        out.push_str(&format!("{:<8} {name}: {text}\n", "sso"));
    }
    Ok(out)
}

/// Read the variables; an error when there are no awsrole credentials.
pub fn active(getenv: Getenv) -> Result<Active, Error> {
    let var = |k: &str| getenv(k).filter(|v| !v.is_empty());
    let Some(profile) = var("AWSROLE_PROFILE") else {
        let mut message = "no awsrole credentials are active in this shell (AWSROLE_PROFILE is not set); set them with eval \"$(awsrole env PROFILE)\", or run one command with awsrole exec PROFILE -- COMMAND".to_string();
        if let Some(p) = var("AWS_PROFILE") {
            message.push_str(&format!(
                " (AWS_PROFILE={p} is set: AWS tools resolve that profile themselves)"
            ));
        }
        return Err(Error::new(Status::Failure, message));
    };
    let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) else {
        return Err(Error::new(
            Status::Failure,
            format!(
                "AWSROLE_PROFILE={profile} is set, but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not: the variables were partly removed; set them again with eval \"$(awsrole env {profile})\""
            ),
        ));
    };
    let expiration = var("AWSROLE_EXPIRATION")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
        .or_else(|| var("AWS_CREDENTIAL_EXPIRATION").and_then(|s| timefmt::parse_expiration(&s)));
    Ok(Active {
        profile,
        credentials: Credentials {
            access_key_id: key,
            secret_access_key: secret,
            session_token: var("AWS_SESSION_TOKEN"),
            expiration,
        },
    })
}

/// GetCallerIdentity with the shell's credentials, at the STS endpoint and
/// region the profile would use (the environment's settings first).
fn verify(active: &Active, getenv: Getenv) -> Result<Identity, Error> {
    let config = Config::load(getenv)?;
    let empty = Section::default();
    let profile = resolve::section_or_empty(&config.set, &active.profile, &empty);
    // The region the shell's tools use: AWS_REGION, then the profile's.
    let region = getenv("AWS_REGION")
        .filter(|r| !r.is_empty())
        .or_else(|| getenv("AWS_DEFAULT_REGION").filter(|r| !r.is_empty()))
        .or_else(|| profile.get("region").map(str::to_string));
    let target = sts::Target {
        region: resolve::sts_region(region.as_deref(), getenv),
        endpoint: crate::endpoint::configured_endpoint("sts", profile, &config.set, getenv),
    };
    let client = resolve::start_sts(target)?;
    client
        .get_caller_identity(&active.credentials)
        .map_err(resolve::sts_error)
}

fn human(active: &Active, left: Option<Duration>, id: Option<&Identity>, style: Style) -> String {
    let mut rows: Vec<(&str, String)> =
        vec![("profile", style.paint(Paint::Bold, &active.profile))];
    match (active.credentials.expiration, left) {
        (Some(exp), Some(left)) => {
            let paint = if left < LOW {
                Paint::Yellow
            } else {
                Paint::Green
            };
            rows.push((
                "expires",
                format!(
                    "{} ({} left)",
                    timefmt::format_utc(exp),
                    style.paint(paint, &style::short_duration(left.as_secs()))
                ),
            ));
        }
        _ => rows.push(("expires", "never (long-term keys)".to_string())),
    }
    if let Some(id) = id {
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        rows.push(("account", or_dash(&id.account)));
        rows.push(("arn", or_dash(&id.arn)));
        rows.push(("user id", or_dash(&id.user_id)));
    }
    rows.into_iter()
        .map(|(k, v)| format!("{k:<8} {v}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_variables_env_sets() {
        let e = env(&[
            ("AWSROLE_PROFILE", "p"),
            ("AWS_ACCESS_KEY_ID", "A"),
            ("AWS_SECRET_ACCESS_KEY", "S"),
            ("AWS_CREDENTIAL_EXPIRATION", "2021-08-05T19:58:02Z"),
        ]);
        let a = active(&|k| e.get(k).cloned()).unwrap();
        assert_eq!(a.profile, "p");
        assert_eq!(a.credentials.expiration_unix(), Some(1_628_193_482));
        // AWSROLE_EXPIRATION wins.
        let mut e2 = e.clone();
        e2.insert("AWSROLE_EXPIRATION".into(), "100".into());
        let a = active(&|k| e2.get(k).cloned()).unwrap();
        assert_eq!(a.credentials.expiration_unix(), Some(100));
    }

    #[test]
    fn missing_variables_are_errors() {
        let e = env(&[("AWS_PROFILE", "x")]);
        let err = active(&|k| e.get(k).cloned()).unwrap_err();
        assert_eq!(err.status, Status::Failure);
        assert!(err.message.contains("AWS_PROFILE=x"), "{err}");
        let e = env(&[("AWSROLE_PROFILE", "p"), ("AWS_ACCESS_KEY_ID", "A")]);
        let err = active(&|k| e.get(k).cloned()).unwrap_err();
        assert!(err.message.contains("partly removed"), "{err}");
    }
}
