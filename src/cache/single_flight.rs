//! One refresh per cache entry at a time, across processes: read (fresh?),
//! then lock, re-read (did someone refresh it while we waited?), fetch and
//! write. When the lock or the folder cannot be used, say so and go on
//! uncached. Role hops, web identity and MFA sessions all go through here.
//!
//! A `min_ttl` longer than the session STS grants cannot be met by any
//! refresh. Then an entry is used while it has nearly a whole session left
//! (see [`needed`]), so that runs close together share one STS call, and
//! the credentials handed out come with a warning.

use std::time::{Duration, SystemTime};

use super::Lifetime;
use super::{Cache, LOCK_TIMEOUT, RoleCredentials, expiry_note, is_fresh};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::style::short_duration;

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
    /// How long the credentials STS grants for this entry live.
    pub lifetime: Lifetime,
    /// The credentials are the ones handed out (not a source of a later
    /// hop): an unmet `min_ttl` is a warning, not only a `--verbose` note.
    pub handed_out: bool,
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

/// How much of a session an entry may have used up and still be taken
/// when `min_ttl` cannot be met: a tenth, at most 5 minutes.
fn slack(session: Duration) -> Duration {
    (session / 10).min(Duration::from_secs(300))
}

/// The time an entry must have left to be used: `min_ttl`, or, when that
/// is longer than a whole session (no refresh could meet it), the session
/// less [`slack`]: a refresh would add at most the slack.
pub fn needed(entry: &Entry) -> Duration {
    match entry.lifetime.length {
        Some(session) if entry.min_ttl > session => session - slack(session),
        _ => entry.min_ttl,
    }
}

/// Where credentials that may not meet `min_ttl` came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Got {
    Cached,
    Fresh,
}

/// A fresh answer this much shorter than `min_ttl` is short by more than
/// clock skew and the call's own time.
const TOLERANCE: Duration = Duration::from_secs(60);

/// Say so when `c` does not meet `min_ttl`: a warning for credentials
/// handed out, a `--verbose` note for a hop's source. Silent when a whole
/// session meets it, or misses it only by seconds (a 15-minute session with
/// the default `--min-ttl 15m`).
fn note_unmet(entry: &Entry, c: &Credentials, got: Got) {
    let min_ttl = entry.min_ttl;
    let left = c
        .expiration
        .and_then(|e| e.duration_since(SystemTime::now()).ok())
        .unwrap_or_default();
    let capped = entry.lifetime.length.is_some_and(|s| min_ttl > s);
    let unmet = match got {
        Got::Cached => capped && left <= min_ttl,
        Got::Fresh => (capped && left <= min_ttl) || left + TOLERANCE < min_ttl,
    };
    if !unmet {
        return;
    }
    let l = &entry.lifetime;
    let what = match (got, l.length) {
        (Got::Fresh, _) | (_, None) => format!(
            "STS granted {} ({})",
            short_duration(left.as_secs() + 1),
            l.origin
        ),
        (Got::Cached, Some(s)) => format!(
            "its sessions last {} ({})",
            short_duration(s.as_secs()),
            l.origin
        ),
    };
    let using = match got {
        Got::Fresh => "using them".to_string(),
        Got::Cached => format!(
            "using cached credentials with {} left",
            short_duration(left.as_secs())
        ),
    };
    let reuse = if capped {
        format!(
            ", and later runs reuse them (no STS call) while they have more than {} left",
            short_duration(needed(entry).as_secs())
        )
    } else {
        String::new()
    };
    let text = format!(
        "--min-ttl {} cannot be met for {} (profile `{}`): {what}; {using}{reuse}; to get more, {}",
        humantime::format_duration(Duration::from_secs(min_ttl.as_secs())),
        entry.label,
        entry.profile,
        l.fix
    );
    if entry.handed_out {
        eprintln!("awsrole: warning: {text}");
    } else {
        crate::verbose!("{text}");
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
    let needed = needed(entry);
    if !entry.force
        && let Some(c) = cache
            .read_role(key, entry.role_arn)
            .filter(|c| fresh(entry, c))
    {
        crate::verbose!("{label}: cache hit {}", expiry_note(&c, &path));
        note_unmet(entry, &c, Got::Cached);
        return Ok(c);
    }
    crate::verbose!(
        "{label}: cache miss in {} ({})",
        path.display(),
        if entry.force {
            "--refresh".to_string()
        } else if needed < entry.min_ttl {
            format!(
                "missing, unusable or with less than {} left, --min-ttl being longer than a session",
                short_duration(needed.as_secs())
            )
        } else {
            "missing, unusable or expiring within --min-ttl".to_string()
        }
    );
    Err(Miss {
        seen: cache.modified(key),
    })
}

fn fresh(entry: &Entry, c: &Credentials) -> bool {
    is_fresh(c, SystemTime::now(), needed(entry))
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
        let answer = fetch()?;
        note_unmet(entry, &answer.credentials, Got::Fresh);
        return Ok(answer.credentials);
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
        note_unmet(entry, &c, Got::Cached);
        return Ok(c);
    }

    let answer = fetch()?;
    note_unmet(entry, &answer.credentials, Got::Fresh);
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
            lifetime: Lifetime::assume_role(None, ""),
            handed_out: true,
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
    fn a_min_ttl_longer_than_the_session_needs_nearly_a_whole_session() {
        let mut e = entry(false);
        let hour = Duration::from_secs(3600);
        for (min, want) in [
            (60, 60),
            (3599, 3599),
            (3600, 3600),
            (3601, 3300),
            (7200, 3300),
        ] {
            e.min_ttl = Duration::from_secs(min);
            assert_eq!(needed(&e), Duration::from_secs(want), "--min-ttl {min}s");
        }
        e.lifetime = Lifetime::assume_role(Some(900), "");
        e.min_ttl = hour;
        assert_eq!(needed(&e), Duration::from_secs(810));
        // A length STS would refuse is no known session: min_ttl as given.
        e.lifetime = Lifetime::assume_role(Some(12), "");
        assert_eq!(needed(&e), hour);
    }

    #[test]
    fn an_unmeetable_min_ttl_reuses_a_fresh_answer_and_renews_an_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let count = Cell::new(0);
        let calls = &count;
        let fetch = |secs| {
            move |()| {
                calls.set(calls.get() + 1);
                Ok(answer(secs))
            }
        };
        let mut e = entry(false);
        e.min_ttl = Duration::from_secs(7200);
        e.handed_out = false;
        let first = single_flight(Some(&cache), &e, || Ok(()), fetch(3600)).unwrap();
        let again = single_flight(Some(&cache), &e, || Ok(()), fetch(3600)).unwrap();
        assert_eq!(calls.get(), 1);
        assert_eq!(first.access_key_id, again.access_key_id);
        // An entry with 50 of its 60 minutes left is renewed.
        let f = entry(true);
        single_flight(Some(&cache), &f, || Ok(()), fetch(3000)).unwrap();
        single_flight(Some(&cache), &e, || Ok(()), fetch(3600)).unwrap();
        assert_eq!(calls.get(), 3);
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
