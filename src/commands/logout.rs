//! `awsrole logout [PROFILE | --sso-session NAME | --all]`: remove IAM
//! Identity Center sign-in tokens from the AWS CLI's SSO cache, and the
//! cached role credentials that came from them (the AWS CLI's SSO role
//! entries and every role hop above an SSO source). The client registration
//! is kept: it holds no access and saves a RegisterClient at the next login.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;

use crate::Getenv;
use crate::cache::{self, sha1_hex};
use crate::chain::Base;
use crate::cli::LogoutCli;
use crate::config::{self, Config};
use crate::error::{Error, Status};
use crate::sso::token_cache::TokenCache;
use crate::sso::{Session, cache_dir};

pub fn run(args: &LogoutCli, getenv: Getenv) -> Result<String, Error> {
    let config = Config::load(getenv)?;
    let Some(home) = config.locations.home.clone() else {
        return Err(Error::new(
            Status::Failure,
            "no home directory (HOME is not set), so there is no ~/.aws/sso/cache",
        ));
    };
    let sessions = if args.all {
        crate::sso::report::all_sessions(&config)
    } else if let Some(name) = &args.sso_session {
        vec![Session::named(&config.set, name)?]
    } else {
        let name = config::profile_name(args.profile.as_deref(), getenv);
        vec![super::login::session_of_profile(&config, &name)?]
    };
    let tokens = TokenCache::new(cache_dir(&home));
    let role_dir = home.join(".aws").join("cli").join("cache");
    let mut failures = Vec::new();
    let mut removed_any = false;
    for session in &sessions {
        let key = session.token_key();
        match tokens.remove(&key) {
            Ok(true) => {
                removed_any = true;
                eprintln!(
                    "awsrole: removed {}: sign-in token of {}",
                    tokens.path(&key).display(),
                    session.describe()
                );
            }
            Ok(false) => eprintln!(
                "awsrole: no sign-in token for {} ({} does not exist)",
                session.describe(),
                tokens.path(&key).display()
            ),
            Err(e) => failures.push(format!(
                "cannot remove {}: {e}",
                tokens.path(&key).display()
            )),
        }
        for (what, key) in derived_entries(&config, session) {
            match remove_entry(&role_dir, &key) {
                Ok(true) => {
                    removed_any = true;
                    eprintln!(
                        "awsrole: removed {}: {what}",
                        role_dir.join(format!("{key}.json")).display()
                    );
                }
                Ok(false) => {}
                Err(e) => failures.push(e),
            }
        }
    }
    if sessions.is_empty() {
        eprintln!("awsrole: no IAM Identity Center sessions in the config files");
    } else if !removed_any && failures.is_empty() {
        eprintln!("awsrole: nothing to remove");
    }
    if !failures.is_empty() {
        return Err(Error::new(Status::Failure, failures.join("; ")));
    }
    Ok(String::new())
}

/// Cached role credentials that came from `session`: the AWS CLI's SSO
/// role entry of each profile using it, and each role hop above one.
fn derived_entries(config: &Config, session: &Session) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut names: Vec<&String> = config.set.profiles.keys().collect();
    names.sort();
    for name in names {
        let Ok(chain) = config.chain(name) else {
            continue;
        };
        let Base::Sso { profile, settings } = &chain.base else {
            continue;
        };
        let Ok(base) = Session::for_profile(&config.set, profile) else {
            continue;
        };
        if base.token_key() != session.token_key() {
            continue;
        }
        let get = |k: &str| {
            settings
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        if let (Some(account), Some(role)) = (get("sso_account_id"), get("sso_role_name")) {
            let key = sso_role_key(account, role, &base);
            if seen.insert(key.clone()) {
                out.push((
                    format!("role {role} in account {account} from IAM Identity Center (profile `{profile}`)"),
                    key,
                ));
            }
        }
        for hop in &chain.hops {
            let key = cache::assume_role_key(hop);
            if seen.insert(key.clone()) {
                out.push((format!("{} (profile `{}`)", hop.role_arn, hop.profile), key));
            }
        }
    }
    out
}

/// botocore's SSOCredentialFetcher cache key: SHA-1 of compact sorted JSON
/// of accountId, roleName and sessionName (or startUrl).
pub fn sso_role_key(account: &str, role: &str, session: &Session) -> String {
    let s = |v: &str| serde_json::Value::String(v.to_string()).to_string();
    let last = match &session.name {
        Some(n) => format!("\"sessionName\":{}", s(n)),
        None => format!("\"startUrl\":{}", s(&session.start_url)),
    };
    sha1_hex(&format!(
        "{{\"accountId\":{},\"roleName\":{},{last}}}",
        s(account),
        s(role)
    ))
}

/// Remove `<key>.json` and awsrole's lock and temp files beside it.
fn remove_entry(dir: &Path, key: &str) -> Result<bool, String> {
    let json = dir.join(format!("{key}.json"));
    let removed = match fs::remove_file(&json) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(format!("cannot remove {}: {e}", json.display())),
    };
    for extra in [format!("{key}.lock"), format!("{key}.json.awsrole-tmp")] {
        let _ = fs::remove_file(dir.join(extra));
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sso_role_key_matches_botocore() {
        let s = Session {
            profile: None,
            name: Some("dev".into()),
            start_url: "https://x".into(),
            region: "us-east-1".into(),
            scopes: None,
        };
        // hashlib.sha1(json.dumps({...}, sort_keys=True, separators=(',', ':')))
        assert_eq!(
            sso_role_key("111122223333", "Developer", &s),
            "98d7898f91bd3bec837a006a025541699f2268a7"
        );
    }
}
