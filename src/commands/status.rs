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
use crate::config::{self, Config};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::exports::{self, ACCESS_KEY_ID, EXPIRATION, PROFILE, SECRET_ACCESS_KEY};
use crate::profile_file::Section;
use crate::sts::{self, Identity, Sts};
use crate::style::{self, Paint, Style};
use crate::timefmt;

/// Below this, the time left is shown as a warning.
const LOW: Duration = Duration::from_secs(15 * 60);

/// The awsrole credentials of this shell, as the variables say.
#[derive(Debug)]
pub struct Active {
    pub profile: String,
    pub credentials: Credentials,
    /// The region `env` exported with them (the profile's own).
    pub region: Option<String>,
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
            "region": active.region,
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
    let mut out = human(
        &active,
        left,
        identity.as_ref(),
        getenv,
        Style::for_stdout(getenv),
    );
    if let Some((name, (text, _))) = &sso {
        out.push_str(&format!("{:<8} {name}: {text}\n", "sso"));
    }
    Ok(out)
}

/// Read the variables; an error when there are no awsrole credentials.
pub fn active(getenv: Getenv) -> Result<Active, Error> {
    let var = |k: &str| getenv(k).filter(|v| !v.is_empty());
    let Some(profile) = var(PROFILE) else {
        let mut message = "no awsrole credentials are active in this shell (AWSROLE_PROFILE is not set); set them with eval \"$(awsrole env PROFILE)\", or run one command with awsrole exec PROFILE -- COMMAND".to_string();
        if let Some(p) = var("AWS_PROFILE") {
            message.push_str(&format!(
                " (AWS_PROFILE={p} is set: AWS tools resolve that profile themselves)"
            ));
        }
        return Err(Error::new(Status::Failure, message));
    };
    let (Some(key), Some(secret)) = (var(ACCESS_KEY_ID), var(SECRET_ACCESS_KEY)) else {
        return Err(Error::new(
            Status::Failure,
            format!(
                "AWSROLE_PROFILE={profile} is set, but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not: the variables were partly removed; set them again with eval \"$(awsrole env {profile})\""
            ),
        ));
    };
    let expiration = var(EXPIRATION)
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
        .or_else(|| {
            var(exports::CREDENTIAL_EXPIRATION).and_then(|s| timefmt::parse_expiration(&s))
        });
    Ok(Active {
        profile,
        credentials: Credentials {
            access_key_id: key,
            secret_access_key: secret,
            session_token: var(exports::SESSION_TOKEN),
            expiration,
        },
        region: var(exports::REGION),
    })
}

/// GetCallerIdentity with the shell's credentials, at the STS endpoint and
/// region the profile would use (the environment's settings first).
fn verify(active: &Active, getenv: Getenv) -> Result<Identity, Error> {
    let config = Config::load(getenv)?;
    let empty = Section::default();
    let profile = config::section_or_empty(&config.set, &active.profile, &empty);
    // The region the shell's tools use: AWS_REGION, then the profile's.
    let region = getenv("AWS_REGION")
        .filter(|r| !r.is_empty())
        .or_else(|| getenv("AWS_DEFAULT_REGION").filter(|r| !r.is_empty()))
        .or_else(|| profile.get("region").map(str::to_string));
    let target = sts::Target {
        region: config::sts_region(region.as_deref(), getenv),
        endpoint: crate::endpoint::configured_endpoint("sts", profile, &config.set, getenv),
        ca_bundle: config.setting(&active.profile, "ca_bundle"),
    };
    let client = Sts::start(target, getenv)?;
    client
        .get_caller_identity(&active.credentials)
        .map_err(Error::from)
}

fn human(
    active: &Active,
    left: Option<Duration>,
    id: Option<&Identity>,
    getenv: Getenv,
    style: Style,
) -> String {
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
    if let Some(region) = &active.region {
        // The AWS tools read AWS_REGION: say so when it no longer holds it.
        let [current, _] = exports::REGION_VARIABLES;
        let now = getenv(current).filter(|r| !r.is_empty());
        let shown = match now {
            Some(r) if r != *region => format!("{region} ({current} is now {r})"),
            None => format!("{region} ({current} is not set now)"),
            Some(_) => region.clone(),
        };
        rows.push(("region", shown));
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
        assert_eq!(a.region, None);
        // AWSROLE_EXPIRATION wins.
        let mut e2 = e.clone();
        e2.insert("AWSROLE_EXPIRATION".into(), "100".into());
        let a = active(&|k| e2.get(k).cloned()).unwrap();
        assert_eq!(a.credentials.expiration_unix(), Some(100));
    }

    #[test]
    fn the_region_row_says_when_aws_region_moved_on() {
        let a = Active {
            profile: "p".into(),
            credentials: Credentials {
                access_key_id: "A".into(),
                secret_access_key: "S".into(),
                session_token: None,
                expiration: None,
            },
            region: Some("eu-west-1".into()),
        };
        let show = |pairs: &[(&str, &str)]| {
            let e = env(pairs);
            human(
                &a,
                None,
                None,
                &|k| e.get(k).cloned(),
                Style { color: false },
            )
        };
        let same = show(&[("AWS_REGION", "eu-west-1")]);
        assert!(same.ends_with("region   eu-west-1\n"), "{same}");
        let moved = show(&[("AWS_REGION", "ap-south-1")]);
        assert!(
            moved.ends_with("region   eu-west-1 (AWS_REGION is now ap-south-1)\n"),
            "{moved}"
        );
        assert!(show(&[]).contains("(AWS_REGION is not set now)"));
        let none = Active { region: None, ..a };
        let e = env(&[]);
        let text = human(
            &none,
            None,
            None,
            &|k| e.get(k).cloned(),
            Style { color: false },
        );
        assert!(!text.contains("region"), "{text}");
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
