//! `awsrole clear [PROFILE | --all]`: remove cached credentials so that the
//! next use calls STS (and asks for the MFA code) again.
//!
//! The cache folder is the AWS CLI's (`~/.aws/cli/cache`), shared with other
//! tools, so only files awsrole can attribute are removed: for each role
//! hop of the profile's chain, `<key>.json` (the AWS CLI's entry, MFA
//! sessions included: a role with `mfa_serial` is cached under its own
//! key), awsrole's `<key>.lock` and a leftover `<key>.json.awsrole-tmp`.
//! `--all` does that for every profile in the config files; other files
//! (e.g. the AWS CLI's web-identity or SSO entries) are left alone and
//! counted. awsrole's own MFA sessions (`~/.aws/awsrole/mfa-sessions/`) for
//! the chains' first MFA hop are removed too. What was removed is said on
//! stderr; stdout stays empty.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::Getenv;
use crate::cache;
use crate::chain::Base;
use crate::cli::ClearCli;
use crate::config::{self, Config};
use crate::error::{Error, Status};
use crate::mfa;

/// One cache key and the roles (profile, ARN) that use it.
struct Key {
    users: BTreeSet<(String, String)>,
}

pub fn run(args: &ClearCli, getenv: Getenv) -> Result<String, Error> {
    let config = Config::load(getenv)?;
    let Some(dir) = config.cache_dir() else {
        return Err(Error::new(
            Status::Failure,
            "no home directory (HOME is not set), so there is no ~/.aws/cli/cache to clear",
        ));
    };
    let (chains, what) = if args.all {
        let mut names: Vec<&String> = config.set.profiles.keys().collect();
        names.sort();
        // A profile whose chain does not resolve cannot have been cached
        // under it (the AWS CLI follows the same rules).
        let chains = names
            .into_iter()
            .filter_map(|n| config.chain(n).ok())
            .collect();
        (chains, "any profile".to_string())
    } else {
        let name = config::profile_name(args.profile.as_deref(), getenv);
        let chain = config.chain(&name)?;
        if chain.hops.is_empty() {
            eprintln!(
                "awsrole: profile `{name}` assumes no role, so awsrole caches nothing for it"
            );
            return Ok(String::new());
        }
        (vec![chain], format!("profile `{name}`"))
    };
    let mut keys: BTreeMap<String, Key> = BTreeMap::new();
    // MFA sessions (GetSessionToken, awsrole's own folder), by session key.
    let mut sessions: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for chain in &chains {
        for hop in &chain.hops {
            keys.entry(cache::assume_role_key(hop))
                .or_insert_with(|| Key {
                    users: BTreeSet::new(),
                })
                .users
                .insert((hop.profile.clone(), hop.role_arn.clone()));
        }
        if let (Some(hop), Base::StaticKeys { access_key_id, .. }) =
            (chain.hops.first(), &chain.base)
            && let Some(serial) = &hop.mfa_serial
        {
            sessions
                .entry(mfa::session_key(access_key_id, serial))
                .or_default()
                .insert((hop.profile.clone(), serial.clone()));
        }
    }

    let mut removed = 0;
    let mut failures = Vec::new();
    for (key, k) in &keys {
        let files = match remove_key(&dir, key) {
            Ok(files) => files,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if files.is_empty() {
            continue;
        }
        removed += 1;
        let users: Vec<String> = k
            .users
            .iter()
            .map(|(p, arn)| format!("{arn} (profile `{p}`)"))
            .collect();
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "awsrole: removed {}: {}",
            names.join(", "),
            users.join(", ")
        );
    }
    if let Some(session_dir) = mfa::session_dir(&config.locations) {
        for (key, users) in &sessions {
            match remove_key(&session_dir, key) {
                Ok(files) if files.is_empty() => {}
                Ok(files) => {
                    removed += 1;
                    let names: Vec<String> =
                        files.iter().map(|p| p.display().to_string()).collect();
                    let users: Vec<String> = users
                        .iter()
                        .map(|(p, serial)| format!("{serial} (profile `{p}`)"))
                        .collect();
                    eprintln!(
                        "awsrole: removed {}: MFA session for {}",
                        names.join(", "),
                        users.join(", ")
                    );
                }
                Err(e) => failures.push(e),
            }
        }
    }
    if removed == 0 && failures.is_empty() {
        eprintln!(
            "awsrole: nothing cached for {what} ({} role cache {} checked in {})",
            keys.len(),
            if keys.len() == 1 { "entry" } else { "entries" },
            dir.display()
        );
    }
    if args.all {
        let others = foreign_files(&dir);
        if others > 0 {
            eprintln!(
                "awsrole: left {others} other file{} in {}: they belong to no role of a profile in your config files (e.g. the AWS CLI's SSO or web-identity entries)",
                if others == 1 { "" } else { "s" },
                dir.display()
            );
        }
    }
    if let Some(active) = getenv("AWSROLE_PROFILE").filter(|p| !p.is_empty())
        && (args.all
            || keys
                .values()
                .any(|k| k.users.iter().any(|(p, _)| *p == active)))
    {
        eprintln!(
            "awsrole: note: this shell still holds the credentials of `{active}` exported; eval \"$(awsrole env --unset)\" removes them"
        );
    }
    if !failures.is_empty() {
        return Err(Error::new(Status::Failure, failures.join("; ")));
    }
    Ok(String::new())
}

/// Remove the files of one key; the paths removed. The lock is taken first
/// (without waiting) so that a refresh in progress is not cut in half; a
/// busy lock is an error naming its holder.
fn remove_key(dir: &Path, key: &str) -> Result<Vec<PathBuf>, String> {
    let json = dir.join(format!("{key}.json"));
    let lock_path = dir.join(format!("{key}.lock"));
    let tmp = dir.join(format!("{key}.json.awsrole-tmp"));
    // Never through a link, never blocking on a FIFO: whatever is not a
    // regular file at the lock name is only unlinked.
    let lock = match crate::platform::no_follow(OpenOptions::new().read(true)).open(&lock_path) {
        Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => Some(f),
        Ok(_) => None,
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) if crate::platform::is_link_error(&e) => None,
        Err(e) => return Err(format!("cannot open {}: {e}", lock_path.display())),
    };
    if let Some(f) = &lock {
        match f.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                // Only what we can vouch for: an awsrole's PID, or nothing.
                return Err(format!(
                    "{} is being refreshed right now (the lock is held by {}); try again when it is done",
                    json.display(),
                    cache::lock_holder(f)
                ));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", lock_path.display()));
            }
        }
    }
    let mut removed = Vec::new();
    for path in [&json, &tmp, &lock_path] {
        match fs::remove_file(path) {
            Ok(()) => removed.push(path.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
        }
    }
    drop::<Option<File>>(lock);
    Ok(removed)
}

/// Files left in the cache folder after `--all`.
fn foreign_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).count())
        .unwrap_or(0)
}
