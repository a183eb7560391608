//! The endpoint's copy of the credentials, refreshed at most once at a time.
//!
//! A request gets the copy when it has at least `--min-ttl` left. Otherwise
//! one background refresh runs `resolve::credentials` (the shared cache,
//! its lock and the MFA session, exactly as `env`), and requests wait for it
//! a short while. When it is slow (an MFA code being typed) or fails, the
//! old credentials are served while they are still valid; after that the
//! request fails with the cause. Every wait is bounded.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::resolve::{self, Options};

/// How long a request waits for a refresh before it takes the old
/// credentials (SDKs give the endpoint 1-5 s).
const PREFER_FRESH: Duration = Duration::from_millis(1500);
/// How long a request waits at most when nothing valid is left.
const MAX_WAIT: Duration = Duration::from_secs(20);
/// After a failed refresh, requests get the old credentials (or the error)
/// without a new attempt for this long.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Credentials closer than this to their expiry are not served.
const NEARLY_EXPIRED: Duration = Duration::from_secs(10);

/// Why a request gets no credentials: the HTTP status and a message
/// (never a secret).
#[derive(Debug)]
pub struct Failure {
    pub status: u16,
    pub message: String,
}

struct State {
    creds: Credentials,
    /// Serve without refreshing while this much is left: `--min-ttl`, or
    /// half the lifetime of credentials shorter than that.
    window: Duration,
    refreshing: bool,
    failed: Option<(Instant, Error)>,
}

pub struct Store {
    profile: String,
    role: String,
    opts: Options,
    state: Mutex<State>,
    changed: Condvar,
}

impl Store {
    pub fn new(profile: String, role: String, opts: Options, creds: Credentials) -> Store {
        let window = window(&creds, opts.min_ttl, &profile);
        Store {
            profile,
            role,
            opts,
            state: Mutex::new(State {
                creds,
                window,
                refreshing: false,
                failed: None,
            }),
            changed: Condvar::new(),
        }
    }

    /// Credentials for one request.
    pub fn get(self: &Arc<Self>) -> Result<Credentials, Failure> {
        let began = Instant::now();
        let mut seen_refresh = false;
        let mut st = self.lock();
        loop {
            let left = time_left(&st.creds);
            if left >= st.window {
                return Ok(st.creds.clone());
            }
            let valid = left > NEARLY_EXPIRED;
            if !st.refreshing {
                let recent = |at: &Instant| seen_refresh || at.elapsed() < RETRY_AFTER;
                if let Some((at, e)) = &st.failed
                    && recent(at)
                {
                    return if valid {
                        Ok(st.creds.clone())
                    } else {
                        Err(self.failure(e))
                    };
                }
                if seen_refresh {
                    // Refreshed, yet not fresh: serve what there is.
                    return Ok(st.creds.clone());
                }
                let me = Arc::clone(self);
                let started = std::thread::Builder::new()
                    .name("refresh".into())
                    .spawn(move || me.refresh());
                if let Err(e) = started {
                    let e = Error::new(Status::Failure, format!("cannot start a thread: {e}"));
                    st.failed = Some((Instant::now(), e));
                    continue;
                }
                st.refreshing = true;
            }
            seen_refresh = true;
            let waited = began.elapsed();
            let limit = if valid { PREFER_FRESH } else { MAX_WAIT };
            if waited >= limit {
                if valid {
                    return Ok(st.creds.clone());
                }
                return Err(Failure {
                    status: 503,
                    message: format!(
                        "{}: the credentials expired and their refresh has not finished after {} s (is an MFA code awaited on the terminal?)",
                        self.who(),
                        limit.as_secs()
                    ),
                });
            }
            st = self
                .changed
                .wait_timeout(st, limit - waited)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn refresh(&self) {
        let getenv = |k: &str| std::env::var(k).ok();
        let result = resolve::credentials(&self.profile, &self.opts, &getenv);
        let mut st = self.lock();
        st.refreshing = false;
        match result {
            Ok(r) => {
                crate::verbose!(
                    "credential endpoint: refreshed `{}`, valid until {}",
                    self.profile,
                    r.credentials
                        .expiration
                        .map(crate::timefmt::format_utc)
                        .unwrap_or_default()
                );
                st.window = window(&r.credentials, self.opts.min_ttl, &self.profile);
                st.creds = r.credentials;
                st.failed = None;
            }
            Err(e) => {
                let left = time_left(&st.creds).as_secs();
                eprintln!(
                    "awsrole: warning: {}; {}",
                    self.failure(&e).message,
                    if left > NEARLY_EXPIRED.as_secs() {
                        format!("serving the current credentials ({left} s left)")
                    } else {
                        "the command's requests fail until it works again".to_string()
                    }
                );
                st.failed = Some((Instant::now(), e));
            }
        }
        drop(st);
        self.changed.notify_all();
    }

    fn failure(&self, e: &Error) -> Failure {
        let status = match e.status {
            Status::Sts => 502,
            Status::Unreachable | Status::Mfa => 503,
            _ => 500,
        };
        Failure {
            status,
            message: format!(
                "{}: cannot refresh the credentials: {}",
                self.who(),
                e.message
            ),
        }
    }

    /// "profile `p` (role ARN)".
    fn who(&self) -> String {
        if self.role.is_empty() {
            format!("profile `{}`", self.profile)
        } else {
            format!("profile `{}` (role {})", self.profile, self.role)
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn time_left(c: &Credentials) -> Duration {
    c.expiration
        .and_then(|e| e.duration_since(SystemTime::now()).ok())
        .unwrap_or(Duration::ZERO)
}

/// `min_ttl`, unless the credentials were issued for less than that (a
/// role's short `duration_seconds`): then half their lifetime, so that STS
/// is not asked again at every request.
fn window(c: &Credentials, min_ttl: Duration, profile: &str) -> Duration {
    let lifetime = time_left(c);
    if lifetime > min_ttl {
        return min_ttl;
    }
    crate::verbose!(
        "credential endpoint: `{profile}` credentials last {} s, less than --min-ttl; refreshed at half their lifetime",
        lifetime.as_secs()
    );
    lifetime / 2
}
