//! When a prompt hook acts, decided once for every shell.
//!
//! The hooks in `shell/` only compare the clock with [`NEXT`], the Unix
//! second from which they must act, and run `awsrole env --hook` when it
//! has come. Everything else is decided here: the refresh window
//! ([`WINDOW`]), the `--min-ttl` of the refresh, the back-off after a
//! failure, "capped" credentials that live no longer than the window, and
//! the MFA mode. What the hook must remember between two runs travels in
//! [`STATE`], an exported variable the hook never reads.

use sha2::{Digest, Sha256};

/// The Unix second from which the hook acts (exported by `env` and `exec`).
pub const NEXT: &str = "AWSROLE_NEXT";
/// The hook's memory (failures, mode, notes); only `env --hook` reads it.
pub const STATE: &str = "AWSROLE_HOOK_STATE";
/// Refresh credentials with less than this left (default 10m).
pub const WINDOW: &str = "AWSROLE_REFRESH_BEFORE";
/// `prompt`: the hook may ask for an MFA code.
pub const MFA_MODE: &str = "AWSROLE_HOOK_MFA";

const DEFAULT_WINDOW: u64 = 600;
/// The first retry after a failure; it doubles up to [`LAST_RETRY`].
const FIRST_RETRY: u64 = 60;
const LAST_RETRY: u64 = 600;
/// How often the hook looks in the cache again while a code is needed. The
/// hooks also set [`NEXT`] this far ahead before each run, so that an
/// interrupted or missing awsrole is not run again at every prompt.
pub const MFA_RETRY: u64 = 60;

/// The refresh window in seconds, and a warning when [`WINDOW`] is not a
/// whole-second duration (the default is used then).
pub fn window(getenv: crate::Getenv) -> (u64, Option<String>) {
    let Some(src) = getenv(WINDOW).filter(|s| !s.is_empty()) else {
        return (DEFAULT_WINDOW, None);
    };
    // Whole numbers only: humantime also reads "1.5h".
    match humantime::parse_duration(src.trim()) {
        Ok(d) if d.subsec_nanos() == 0 && !src.contains('.') => (d.as_secs(), None),
        _ => (
            DEFAULT_WINDOW,
            Some(format!(
                "{WINDOW}={src} is not a duration like 10m, 1h30m or 90s; using 10m"
            )),
        ),
    }
}

/// The first second at which credentials expiring at `exp` are due:
/// `now + window > exp`.
pub fn due_at(exp: u64, window: u64) -> u64 {
    exp.saturating_sub(window) + 1
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Normal,
    /// The credentials live no longer than the window: refresh at half
    /// their remaining life, for credentials that outlive them.
    Capped,
    /// A code is needed; the user was told once.
    Mfa,
}

/// What [`STATE`] holds: `fails=N mode=M about=EXP:TAG noted=TAG,TAG`.
/// TAG is a short hash of a profile name (names may hold any character).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub fails: u32,
    pub mode: Mode,
    /// The credentials the counts are about (their expiration and profile).
    about: String,
    /// Profiles already told that their window was capped.
    noted: Vec<String>,
}

fn tag(profile: &str) -> String {
    Sha256::digest(profile.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn about(exp: Option<u64>, profile: &str) -> String {
    format!("{}:{}", exp.unwrap_or(0), tag(profile))
}

impl State {
    /// Reads [`STATE`] (anything unreadable is a fresh state), forgetting
    /// the counts when they were about other credentials.
    pub fn read(text: Option<&str>, exp: Option<u64>, profile: &str) -> State {
        let mut s = State::default();
        for field in text.unwrap_or("").split_whitespace() {
            match field.split_once('=') {
                Some(("fails", n)) => s.fails = n.parse().unwrap_or(0),
                Some(("mode", "capped")) => s.mode = Mode::Capped,
                Some(("mode", "mfa")) => s.mode = Mode::Mfa,
                Some(("about", a)) => s.about = a.to_string(),
                Some(("noted", list)) => {
                    s.noted = list
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                _ => {}
            }
        }
        let now_about = about(exp, profile);
        if s.about != now_about {
            s.fails = 0;
            s.mode = Mode::Normal;
            s.about = now_about;
        }
        s
    }

    pub fn encode(&self) -> String {
        let mode = match self.mode {
            Mode::Normal => "-",
            Mode::Capped => "capped",
            Mode::Mfa => "mfa",
        };
        format!(
            "fails={} mode={mode} about={} noted={}",
            self.fails,
            self.about,
            self.noted.join(",")
        )
    }
}

/// What `env --hook` does for credentials expiring at `exp`.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// Not due (the hook ran early: a new window, no [`NEXT`]): only
    /// tell the hook when to come back.
    Wait { next: u64 },
    /// Take credentials with at least this many seconds left.
    Refresh { min_ttl: u64 },
}

pub fn plan(now: u64, exp: Option<u64>, window: u64, state: &State) -> Plan {
    match exp {
        // Only credentials that outlive the current ones are worth taking.
        Some(e) if state.mode == Mode::Capped => Plan::Refresh {
            min_ttl: e.saturating_sub(now) + 1,
        },
        Some(e) if now < due_at(e, window) => Plan::Wait {
            next: due_at(e, window),
        },
        // One second more than the window: what the cache returns is then
        // not due again at the next prompt (clocks count whole seconds).
        _ => Plan::Refresh {
            min_ttl: window + 1,
        },
    }
}

/// How a refresh ended.
pub enum Outcome {
    /// New credentials (their expiration; `None` for long-term keys).
    Got(Option<u64>),
    /// An MFA code is needed and could not be asked for.
    NeedsMfa,
    /// Any other failure, with awsrole's exit status.
    Failed(u8),
}

/// After a refresh: when to act next (`None`: never, no expiration), the
/// new state, and the one line to print, if any.
pub struct After {
    pub next: Option<u64>,
    pub state: State,
    pub say: Option<String>,
}

/// `rerun` is the command that loads `profile` by hand in the user's shell
/// (`eval "$(awsrole env p)"`); `quoted` the profile quoted for it.
pub fn after(
    now: u64,
    window: u64,
    profile: &str,
    quoted: &str,
    rerun: &str,
    mut state: State,
    outcome: Outcome,
) -> After {
    match outcome {
        Outcome::Got(exp) => {
            state.fails = 0;
            state.mode = Mode::Normal;
            state.about = about(exp, profile);
            let Some(e) = exp else {
                return After {
                    next: None,
                    state,
                    say: None,
                };
            };
            if now < due_at(e, window) {
                return After {
                    next: Some(due_at(e, window)),
                    state,
                    say: None,
                };
            }
            // These credentials live no longer than the window: refreshing
            // at every prompt would call STS every time.
            let life = e.saturating_sub(now);
            state.mode = Mode::Capped;
            let mut say = None;
            let t = tag(profile);
            if !state.noted.contains(&t) {
                state.noted.push(t);
                say = Some(format!(
                    "credentials of {profile} last {life}s, not more than {WINDOW} ({window}s): refreshing them at half their remaining life instead"
                ));
            }
            After {
                next: Some(now + (life / 2).max(1)),
                state,
                say,
            }
        }
        Outcome::NeedsMfa => {
            let say = (state.mode != Mode::Mfa)
                .then(|| format!("{profile} needs an MFA code to refresh; run: {rerun}"));
            state.mode = Mode::Mfa;
            After {
                next: Some(now + MFA_RETRY),
                state,
                say,
            }
        }
        Outcome::Failed(status) => {
            state.fails = state.fails.saturating_add(1);
            let delay = (FIRST_RETRY << (state.fails - 1).min(10)).min(LAST_RETRY);
            let why = match status {
                3 => "configuration error".to_string(),
                4 => "STS refused".to_string(),
                5 => "STS unreachable".to_string(),
                n => format!("exit status {n}"),
            };
            After {
                next: Some(now + delay),
                state,
                say: Some(format!(
                    "could not refresh {profile} ({why}); keeping the current credentials, next try in {delay}s (details: awsrole env {quoted})"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window_of(v: &str) -> (u64, bool) {
        let (w, warn) = window(&|k| (k == WINDOW).then(|| v.to_string()));
        (w, warn.is_some())
    }

    #[test]
    fn windows_are_whole_second_durations() {
        // The table tests/hooks.rs also runs through the real shells.
        let table: Vec<(String, Option<u64>)> =
            serde_json::from_str(include_str!("../tests/hooks/refresh_windows.json")).unwrap();
        for (input, want) in table {
            let input = input.as_str();
            let (w, warned) = window_of(input);
            assert_eq!(w, want.unwrap_or(600), "{input:?}");
            assert_eq!(warned, want.is_none() && !input.is_empty(), "{input:?}");
        }
    }

    fn got(now: u64, w: u64, state: State, exp: u64) -> After {
        after(now, w, "p", "p", "RERUN", state, Outcome::Got(Some(exp)))
    }

    #[test]
    fn fresh_credentials_wait_for_the_window() {
        let s = State::read(None, Some(5000), "p");
        assert_eq!(plan(1000, Some(5000), 600, &s), Plan::Wait { next: 4401 });
        assert_eq!(
            plan(4401, Some(5000), 600, &s),
            Plan::Refresh { min_ttl: 601 }
        );
        let a = got(4401, 600, s, 8600);
        assert_eq!(a.next, Some(8001));
        assert!(a.say.is_none());
    }

    #[test]
    fn backoff_doubles_to_ten_minutes_and_resets() {
        let mut s = State::read(None, Some(100), "p");
        let mut delays = Vec::new();
        for _ in 0..6 {
            let a = after(1000, 600, "p", "p", "R", s, Outcome::Failed(5));
            delays.push(a.next.unwrap() - 1000);
            assert!(a.say.unwrap().contains("(STS unreachable)"));
            s = State::read(Some(&a.state.encode()), Some(100), "p");
        }
        assert_eq!(delays, [60, 120, 240, 480, 600, 600]);
        // Other credentials in the shell: counted afresh.
        assert_eq!(State::read(Some(&s.encode()), Some(101), "p").fails, 0);
        assert_eq!(State::read(Some(&s.encode()), Some(100), "q").fails, 0);
    }

    #[test]
    fn mfa_warns_once_per_credentials() {
        let s = State::read(None, Some(100), "p");
        let a = after(1000, 600, "p", "p", "R", s, Outcome::NeedsMfa);
        assert_eq!(a.next, Some(1060));
        assert_eq!(
            a.say.as_deref(),
            Some("p needs an MFA code to refresh; run: R")
        );
        let s = State::read(Some(&a.state.encode()), Some(100), "p");
        let b = after(1060, 600, "p", "p", "R", s, Outcome::NeedsMfa);
        assert!(b.say.is_none());
        let s = State::read(Some(&b.state.encode()), Some(99), "p");
        assert!(
            after(1060, 600, "p", "p", "R", s, Outcome::NeedsMfa)
                .say
                .is_some()
        );
    }

    #[test]
    fn short_credentials_are_capped_and_noted_once_per_profile() {
        let s = State::read(None, Some(0), "p");
        let a = got(1000, 3600, s, 1012);
        assert_eq!(a.next, Some(1006));
        assert_eq!(a.state.mode, Mode::Capped);
        assert!(a.say.unwrap().contains("last 12s, not more than"));
        let s = State::read(Some(&a.state.encode()), Some(1012), "p");
        assert_eq!(
            plan(1006, Some(1012), 3600, &s),
            Plan::Refresh { min_ttl: 7 }
        );
        let b = got(1006, 3600, s, 1018);
        assert_eq!(b.next, Some(1012));
        assert!(b.say.is_none(), "noted once");
    }
}
