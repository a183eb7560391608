//! `awsrole env --hook`: what the prompt hooks run when [`NEXT`] has come.
//!
//! It applies the policy of [`crate::hook_policy`]: refresh when due, then
//! print the new credentials, or on failure only the new back-off, as
//! statements the hook evaluates whatever happened (exit status 0). Its own
//! line, if any, goes to stderr; every other message of awsrole is
//! silenced, as the hooks used to do with `2>/dev/null`. Ctrl-C during the
//! refresh prints one line (the hook has already set [`NEXT`] a minute
//! ahead).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Getenv;
use crate::cli::EnvCli;
use crate::error::Status;
use crate::exports;
use crate::hook_policy::{self, MFA_RETRY, NEXT, Outcome, Plan, STATE, State};
use crate::resolve;
use crate::shell::{Shell, ShellKind};

/// `kind`: the shell the statements are for (`None`: JSON, the nushell hook).
pub fn run(args: &EnvCli, shell: &dyn Shell, kind: Option<ShellKind>, getenv: Getenv) -> String {
    let mut say = quiet_stderr();
    let profile = match args.profile.clone().or_else(|| getenv(exports::PROFILE)) {
        Some(p) if !p.is_empty() => p,
        _ => return String::new(),
    };
    let exp = getenv(exports::EXPIRATION).and_then(|e| e.parse::<u64>().ok());
    let (window, warning) = hook_policy::window(getenv);
    if let Some(w) = warning {
        say(&w);
    }
    let state = State::read(getenv(STATE).as_deref(), exp, &profile);
    let now = unix_now();
    let only_state = |next: Option<u64>, state: &State| {
        let (next, state) = (next.map(|n| n.to_string()), state.encode());
        let vars = [(NEXT, next.as_deref()), (STATE, Some(state.as_str()))];
        // Digits and the state's ASCII: every shell can hold them.
        shell.render(&vars).unwrap_or_default()
    };
    let min_ttl = match hook_policy::plan(now, exp, window, &state) {
        Plan::Wait { next } => return only_state(Some(next), &state),
        Plan::Refresh { min_ttl } => min_ttl,
    };
    let quoted = quote(kind, &profile);
    on_interrupt(&format!(
        "awsrole: refresh of {profile} interrupted; keeping the current credentials, next try in {MFA_RETRY}s\n"
    ));
    let got = resolve_now(args, &profile, min_ttl, getenv);
    let now = unix_now();
    let outcome = match &got {
        Ok(r) => Outcome::Got(r.credentials.expiration_unix()),
        Err(Status::Mfa) => Outcome::NeedsMfa,
        Err(s) => Outcome::Failed(*s as u8),
    };
    let after = hook_policy::after(
        now,
        window,
        &profile,
        &quoted,
        &rerun(kind, &quoted),
        state,
        outcome,
    );
    if let Some(line) = &after.say {
        say(line);
    }
    if let Ok(r) = got {
        let mut vars =
            exports::assignments(&r.profile, &r.credentials, r.region.as_deref(), getenv);
        for (name, value) in vars.iter_mut() {
            if *name == NEXT {
                *value = after.next.map(|n| n.to_string());
            }
        }
        vars.push((STATE, Some(after.state.encode())));
        let vars: Vec<_> = vars.iter().map(|(n, v)| (*n, v.as_deref())).collect();
        if let Ok(text) = shell.render(&vars) {
            return text;
        }
        say(&format!(
            "could not refresh {profile} (a value this shell cannot hold); keeping the current credentials"
        ));
    }
    only_state(after.next, &after.state)
}

fn resolve_now(
    args: &EnvCli,
    profile: &str,
    min_ttl: u64,
    getenv: Getenv,
) -> Result<resolve::Resolved, Status> {
    let name = args
        .role
        .spec(
            Some(profile),
            None,
            args.resolve.cached.region.as_deref(),
            getenv,
        )
        .map_err(|e| e.status)?;
    let opts = resolve::Options {
        refresh: false,
        no_input: getenv(hook_policy::MFA_MODE).as_deref() != Some("prompt"),
        min_ttl: Duration::from_secs(min_ttl),
    };
    let resolving = exports::without_exported_region(getenv);
    resolve::credentials(&name, &opts, &resolving).map_err(|e| e.status)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The profile as the user would type it in that shell.
fn quote(kind: Option<ShellKind>, profile: &str) -> String {
    let plain = !profile.is_empty()
        && profile
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,/:@%+=".contains(c));
    match kind {
        Some(ShellKind::PowerShell) => format!("'{}'", profile.replace('\'', "''")),
        _ if plain => profile.to_string(),
        Some(ShellKind::Elvish) => format!("'{}'", profile.replace('\'', "''")),
        None | Some(ShellKind::Nushell) => {
            format!("\"{}\"", profile.replace('\\', "\\\\").replace('"', "\\\""))
        }
        _ => format!("'{}'", profile.replace('\'', "'\\''")),
    }
}

/// The command that loads the profile by hand (and may ask for a code).
fn rerun(kind: Option<ShellKind>, q: &str) -> String {
    match kind {
        Some(ShellKind::Fish) => format!("awsrole env {q} | source"),
        Some(ShellKind::PowerShell) => format!("awsrole env {q} | Invoke-Expression"),
        Some(ShellKind::Elvish) => format!("eval (awsrole env {q} | slurp)"),
        None | Some(ShellKind::Nushell) => {
            format!("awsrole env {q} --format json | from json | load-env")
        }
        _ => format!("eval \"$(awsrole env {q})\""),
    }
}

/// Points fd 2 at /dev/null and returns a writer of `awsrole: LINE` to the
/// real stderr (a copy of fd 2 made first).
#[cfg(unix)]
fn quiet_stderr() -> impl FnMut(&str) {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: plain descriptor calls; `saved` is a new descriptor we own.
    let saved = unsafe { libc::dup(2) };
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        unsafe { libc::dup2(null.as_raw_fd(), 2) };
    }
    SAVED_FD.store(saved, std::sync::atomic::Ordering::SeqCst);
    let mut out = (saved >= 0).then(|| unsafe { std::fs::File::from_raw_fd(saved) });
    move |line: &str| {
        if let Some(f) = out.as_mut() {
            let _ = f.write_all(format!("awsrole: {line}\n").as_bytes());
        }
    }
}

#[cfg(not(unix))]
fn quiet_stderr() -> impl FnMut(&str) {
    |line: &str| eprintln!("awsrole: {line}")
}

#[cfg(unix)]
static SAVED_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
#[cfg(unix)]
static INTERRUPTED: std::sync::OnceLock<Box<[u8]>> = std::sync::OnceLock::new();

/// On SIGINT: `line` to the real stderr, and exit 130 (the shell's own
/// SIGINT ends the hook function anyway).
#[cfg(unix)]
fn on_interrupt(line: &str) {
    extern "C" fn handler(_: libc::c_int) {
        let fd = SAVED_FD.load(std::sync::atomic::Ordering::SeqCst);
        if let Some(msg) = INTERRUPTED.get() {
            // SAFETY: write(2) and _exit(2) are async-signal-safe.
            unsafe { libc::write(fd, msg.as_ptr().cast(), msg.len()) };
        }
        unsafe { libc::_exit(130) };
    }
    let _ = INTERRUPTED.set(line.as_bytes().into());
    // SAFETY: installs a handler that only uses async-signal-safe calls.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

#[cfg(not(unix))]
fn on_interrupt(_line: &str) {}
