//! One refresh per cache entry at a time, across processes: read (fresh?),
//! then lock, re-read (did someone refresh it while we waited?), fetch and
//! write. When the lock or the folder cannot be used, say so and go on
//! uncached. Role hops, web identity and MFA sessions all go through here.

use std::time::{Duration, SystemTime};

use super::{Cache, LOCK_TIMEOUT, RoleCredentials, expiry_note, is_fresh};
use crate::creds::Credentials;
use crate::error::{Error, Status};

/// One cache entry to read or refresh.
pub struct Entry<'a> {
    pub key: String,
    /// The profile named in "waiting ... to refresh profile `p`".
    pub profile: &'a str,
    /// What `--verbose` calls the entry (a role ARN, an MFA device).
    pub label: String,
    /// The role the entry must be for (its `AssumedRoleUser.Arn`), if any.
    pub role_arn: Option<&'a str>,
    pub kind: Kind,
    /// Entries with less time left than this count as expired.
    pub min_ttl: Duration,
    /// `--refresh`: skip a valid entry, unless another process rewrote it
    /// while we waited for the lock.
    pub force: bool,
    /// How long to wait for another process refreshing it
    /// ([`lock_timeout`]).
    pub lock_timeout: Duration,
}

/// [`LOCK_TIMEOUT`]; under `--no-input` (the prompt hook) 10 s, within the
/// hook's 12 s: the holder may be waiting for someone to type.
pub fn lock_timeout(no_input: bool) -> Duration {
    if no_input {
        Duration::from_secs(10)
    } else {
        LOCK_TIMEOUT
    }
}

/// What an entry holds, for the wording of warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Credentials in the AWS CLI's cache.
    Credentials,
    /// An MFA session in awsrole's own folder.
    MfaSession,
}

impl Kind {
    fn lock_name(self) -> &'static str {
        match self {
            Kind::Credentials => "cache lock",
            Kind::MfaSession => "MFA session lock",
        }
    }

    fn not_cached(self) -> &'static str {
        match self {
            Kind::Credentials => "the credentials are",
            Kind::MfaSession => "the session is",
        }
    }

    fn write_failed(self, path: &std::path::Path, e: &std::io::Error) -> String {
        match self {
            Kind::Credentials => format!(
                "awsrole: warning: could not write {}: {e} (the credentials are still used)",
                path.display()
            ),
            Kind::MfaSession => format!(
                "awsrole: warning: could not write the MFA session {}: {e} (the next role will ask for a code again)",
                path.display()
            ),
        }
    }
}

/// The entry's credentials: from `cache` when they are fresh, else from
/// `fetch`, written back. `prepare` runs on a miss before the lock is taken
/// (so at most one lock is held at a time: a hop's source credentials are
/// obtained there); `fetch` runs under the lock (so concurrent shells share
/// one MFA prompt).
pub fn single_flight<S>(
    cache: Option<&Cache>,
    entry: &Entry,
    prepare: impl FnOnce() -> Result<S, Error>,
    fetch: impl FnOnce(S) -> Result<RoleCredentials, Error>,
) -> Result<Credentials, Error> {
    match lookup(cache, entry) {
        Ok(c) => Ok(c),
        Err(miss) => {
            let input = prepare()?;
            refresh(cache, entry, miss, || fetch(input))
        }
    }
}

/// A miss seen by [`lookup`], to hand to [`refresh`].
pub struct Miss {
    seen: Option<SystemTime>,
}

/// The first half of [`single_flight`]: the entry's fresh credentials, or a
/// miss. Chains walk their hops with it from the last one down, then
/// [`refresh`] the missed ones upwards (no recursion, whatever the length).
pub fn lookup(cache: Option<&Cache>, entry: &Entry) -> Result<Credentials, Miss> {
    let Some(cache) = cache else {
        return Err(Miss { seen: None });
    };
    let key = entry.key.as_str();
    let label = &entry.label;
    let path = cache.entry_path(key);
    if !entry.force
        && let Some(c) = cache
            .read_role(key, entry.role_arn)
            .filter(|c| fresh(entry, c))
    {
        crate::verbose!("{label}: cache hit {}", expiry_note(&c, &path));
        return Ok(c);
    }
    crate::verbose!(
        "{label}: cache miss in {} ({})",
        path.display(),
        if entry.force {
            "--refresh"
        } else {
            "missing, unusable or expiring within --min-ttl"
        }
    );
    Err(Miss {
        seen: cache.modified(key),
    })
}

fn fresh(entry: &Entry, c: &Credentials) -> bool {
    is_fresh(c, SystemTime::now(), entry.min_ttl)
}

/// The second half of [`single_flight`]: under the entry's lock, use what
/// another process wrote meanwhile, or `fetch` and write.
pub fn refresh(
    cache: Option<&Cache>,
    entry: &Entry,
    miss: Miss,
    fetch: impl FnOnce() -> Result<RoleCredentials, Error>,
) -> Result<Credentials, Error> {
    let Some(cache) = cache else {
        return fetch().map(|r| r.credentials);
    };
    let key = entry.key.as_str();
    let label = &entry.label;
    let path = cache.entry_path(key);
    let lock = cache
        .lock_for_refresh(
            key,
            entry.profile,
            entry.lock_timeout,
            entry.kind.lock_name(),
            entry.kind.not_cached(),
        )
        .map_err(|e| Error::new(Status::Failure, e.to_string()))?;
    let rewritten = cache.modified(key) != miss.seen;
    if lock.is_some()
        && (!entry.force || rewritten)
        && let Some(c) = cache
            .read_role(key, entry.role_arn)
            .filter(|c| fresh(entry, c))
    {
        crate::verbose!(
            "{label}: refreshed by another process meanwhile {}",
            expiry_note(&c, &path)
        );
        return Ok(c);
    }

    let answer = fetch()?;
    if lock.is_some() {
        match cache.write(key, &answer.to_cache_json()) {
            Err(e) => eprintln!("{}", entry.kind.write_failed(&path, &e)),
            Ok(()) => crate::verbose!(
                "{label}: cached {}",
                expiry_note(&answer.credentials, &path)
            ),
        }
    }
    Ok(answer.credentials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn answer(secs: u64) -> RoleCredentials {
        RoleCredentials {
            credentials: Credentials {
                access_key_id: format!("ASIA{secs}"),
                secret_access_key: "s".into(),
                session_token: Some("t".into()),
                expiration: Some(SystemTime::now() + Duration::from_secs(secs)),
            },
            assumed_role_id: None,
            arn: None,
        }
    }

    fn entry(force: bool) -> Entry<'static> {
        Entry {
            key: "k".into(),
            profile: "p",
            label: "role".into(),
            role_arn: None,
            kind: Kind::Credentials,
            min_ttl: Duration::from_secs(60),
            force,
            lock_timeout: LOCK_TIMEOUT,
        }
    }

    #[test]
    fn a_fresh_entry_is_used_and_a_miss_is_fetched_once_and_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let calls = Cell::new(0);
        let fetch = |()| {
            calls.set(calls.get() + 1);
            Ok(answer(3600))
        };
        let first = single_flight(Some(&cache), &entry(false), || Ok(()), fetch).unwrap();
        let again = single_flight(Some(&cache), &entry(false), || Ok(()), fetch).unwrap();
        assert_eq!(calls.get(), 1);
        assert_eq!(first.access_key_id, again.access_key_id);
        // --refresh calls again; so does an entry inside --min-ttl.
        single_flight(Some(&cache), &entry(true), || Ok(()), fetch).unwrap();
        assert_eq!(calls.get(), 2);
        let near = |()| {
            calls.set(calls.get() + 1);
            Ok(answer(30))
        };
        single_flight(Some(&cache), &entry(true), || Ok(()), near).unwrap();
        single_flight(Some(&cache), &entry(false), || Ok(()), fetch).unwrap();
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn prepare_runs_before_the_lock_and_its_error_stops_the_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let held = cache.lock("k", "p", Duration::from_secs(1)).unwrap();
        // The lock is held elsewhere: prepare still runs (it needs no lock).
        let e = single_flight(
            Some(&cache),
            &entry(false),
            || Err::<(), _>(Error::new(Status::Mfa, "no code")),
            |()| Ok(answer(3600)),
        )
        .unwrap_err();
        assert_eq!(e.status, Status::Mfa);
        drop(held);
    }

    #[test]
    fn without_a_cache_every_call_fetches() {
        let calls = Cell::new(0);
        for _ in 0..2 {
            single_flight(
                None,
                &entry(false),
                || Ok(()),
                |()| {
                    calls.set(calls.get() + 1);
                    Ok(answer(3600))
                },
            )
            .unwrap();
        }
        assert_eq!(calls.get(), 2);
    }
}
