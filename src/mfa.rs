//! MFA codes and MFA sessions.
//!
//! A code comes from, in this order: `AWSROLE_MFA_CODE`, the role profile's
//! `mfa_process` (a command whose standard output is the code), the terminal
//! itself (`/dev/tty`: stdin and stdout may be pipes in
//! `eval "$(awsrole env x)"`). `--no-input` turns the terminal off, never the
//! first two.
//!
//! An MFA session (GetSessionToken) is used when a role with `mfa_serial` is
//! assumed directly from an IAM user's long-term keys: one code buys session
//! credentials, cached under `~/.aws/awsrole/mfa-sessions/`, and every role
//! with the same `mfa_serial` and the same keys is then assumed with them,
//! without a code, until the session expires (`source::mfa_session` makes
//! the call). See docs/sources.md.

use std::path::PathBuf;
use std::time::Duration;

use crate::Getenv;
use crate::bounded_process::{self, Limits};
use crate::cache;
use crate::error::{Error, Status};
use crate::files::Locations;
use crate::pyjson::{Py, dumps};

/// Default MFA session lifetime: a working day on one code (see
/// docs/sources.md for why).
pub const DEFAULT_SESSION: Duration = Duration::from_secs(8 * 3600);
/// GetSessionToken's range for IAM users.
pub const MIN_SESSION: Duration = Duration::from_secs(900);
pub const MAX_SESSION: Duration = Duration::from_secs(36 * 3600);
/// How long `mfa_process` may run (it may wait for a password manager).
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
/// How long under `--no-input` (the prompt hook): within the hook's 12 s.
pub const UNATTENDED_PROCESS_TIMEOUT: Duration = Duration::from_secs(10);
/// Its output: a code, a line at most.
pub const MAX_PROCESS_OUTPUT: usize = 4096;

/// Where a code may come from for one role.
pub struct CodeSource<'a> {
    pub getenv: Getenv<'a>,
    /// The role profile's `mfa_process`.
    pub process: Option<&'a str>,
    pub no_input: bool,
}

impl CodeSource<'_> {
    /// True when a code can be had without asking anyone.
    pub fn unattended(&self) -> bool {
        env_code(self.getenv).is_some() || self.process.is_some()
    }
}

fn env_code(getenv: Getenv) -> Option<String> {
    getenv("AWSROLE_MFA_CODE")
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// An MFA code for `serial`, from the first source that has one.
pub fn code(serial: &str, profile: &str, src: &CodeSource) -> Result<String, Error> {
    if let Some(c) = env_code(src.getenv) {
        return Ok(c);
    }
    if let Some(command) = src.process {
        return run_process(command, serial, profile, src.no_input);
    }
    if src.no_input {
        return Err(needed(serial, profile));
    }
    prompt_code(serial, profile)
}

/// Run `mfa_process` through `sh -c`, within bounds; its trimmed standard
/// output is the code. Its stderr goes to ours (it may talk to the user
/// there); under `--no-input` it gets no terminal and less time.
fn run_process(
    command: &str,
    serial: &str,
    profile: &str,
    no_input: bool,
) -> Result<String, Error> {
    let fail = |why: String| {
        Error::new(
            Status::Mfa,
            format!(
                "profile `{profile}`: mfa_process {} gave no MFA code for {serial}: {why}",
                bounded_process::program(command)
            ),
        )
    };
    let limits = Limits {
        timeout: if no_input {
            UNATTENDED_PROCESS_TIMEOUT
        } else {
            PROCESS_TIMEOUT
        },
        max_stdout: MAX_PROCESS_OUTPUT,
        max_stderr: 0,
    };
    let mut env = vec![
        ("AWSROLE_MFA_SERIAL", serial),
        ("AWSROLE_MFA_PROFILE", profile),
    ];
    if no_input {
        env.push((crate::NO_INPUT_VAR, "1"));
    }
    let out = bounded_process::run(command, &env, true, !no_input, &limits)
        .map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(format!("it exited with {}", out.status)));
    }
    let code = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if code.is_empty() {
        return Err(fail("it printed nothing".to_string()));
    }
    Ok(code)
}

pub fn prompt_code(serial: &str, profile: &str) -> Result<String, Error> {
    let prompt = format!("Enter MFA code for {serial}: ");
    let code = rpassword::prompt_password(prompt).map_err(|e| {
        Error::new(
            Status::Mfa,
            format!(
                "profile `{profile}` needs an MFA code for {serial}, but there is no terminal to ask on ({e}); run `awsrole env {profile}` in an interactive terminal once, and the cached credentials will serve the rest (or set AWSROLE_MFA_CODE, or mfa_process in the profile)"
            ),
        )
    })?;
    let code = code.trim().to_string();
    if code.is_empty() {
        return Err(Error::new(
            Status::Mfa,
            format!("no MFA code entered for {serial} (profile `{profile}`)"),
        ));
    }
    Ok(code)
}

/// The error for `--no-input` when a code would be needed.
pub fn needed(serial: &str, profile: &str) -> Error {
    Error::new(
        Status::Mfa,
        format!(
            "profile `{profile}` needs an MFA code for {serial}; run `awsrole env {profile}` in a terminal to enter it (or set AWSROLE_MFA_CODE, or mfa_process in the profile)"
        ),
    )
}

// ---------------------------------------------------------------------------
// MFA sessions
// ---------------------------------------------------------------------------

/// `AWSROLE_MFA_SESSION`: `off` (or `0`, `false`, `no`) turns sessions off;
/// a duration (`8h`, `90m`, 15m..36h) sets their lifetime; unset or empty is
/// [`DEFAULT_SESSION`].
pub fn session_lifetime(getenv: Getenv) -> Result<Option<Duration>, Error> {
    let Some(v) = getenv("AWSROLE_MFA_SESSION").filter(|v| !v.trim().is_empty()) else {
        return Ok(Some(DEFAULT_SESSION));
    };
    let v = v.trim();
    if ["off", "0", "false", "no"]
        .iter()
        .any(|o| v.eq_ignore_ascii_case(o))
    {
        return Ok(None);
    }
    let d = humantime::parse_duration(v).map_err(|e| {
        Error::new(
            Status::Usage,
            format!(
                "AWSROLE_MFA_SESSION={v}: {e}; give a duration between 15m and 36h (e.g. 8h), or off"
            ),
        )
    })?;
    if d < MIN_SESSION || d > MAX_SESSION {
        return Err(Error::new(
            Status::Usage,
            format!(
                "AWSROLE_MFA_SESSION={v}: must be between 15m and 36h (GetSessionToken's range), or off"
            ),
        ));
    }
    Ok(Some(d))
}

/// `~/.aws/awsrole/mfa-sessions`: awsrole's own, never read by the AWS CLI.
pub fn session_dir(locations: &Locations) -> Option<PathBuf> {
    locations
        .home
        .as_ref()
        .map(|h| h.join(".aws").join("awsrole").join("mfa-sessions"))
}

/// One session per access key and MFA device.
pub fn session_key(access_key_id: &str, serial: &str) -> String {
    cache::sha1_hex(&dumps(&Py::Obj(vec![
        ("AccessKeyId", Py::Str(access_key_id)),
        ("SerialNumber", Py::Str(serial)),
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_lifetime_parses_off_and_durations() {
        let with =
            |v: &'static str| move |k: &str| (k == "AWSROLE_MFA_SESSION").then(|| v.to_string());
        assert_eq!(session_lifetime(&|_| None).unwrap(), Some(DEFAULT_SESSION));
        assert_eq!(session_lifetime(&with("off")).unwrap(), None);
        assert_eq!(session_lifetime(&with("0")).unwrap(), None);
        assert_eq!(
            session_lifetime(&with("2h")).unwrap(),
            Some(Duration::from_secs(7200))
        );
        assert!(session_lifetime(&with("5m")).is_err());
        assert!(session_lifetime(&with("40h")).is_err());
        assert!(session_lifetime(&with("soon")).is_err());
    }

    #[test]
    fn session_keys_differ_by_key_and_device() {
        let a = session_key("AKIA1", "arn:aws:iam::1:mfa/a");
        assert_eq!(a.len(), 40);
        assert_ne!(a, session_key("AKIA2", "arn:aws:iam::1:mfa/a"));
        assert_ne!(a, session_key("AKIA1", "arn:aws:iam::1:mfa/b"));
    }

    #[test]
    fn env_code_wins_over_process_and_no_input() {
        let getenv = |k: &str| (k == "AWSROLE_MFA_CODE").then(|| " 123456\n".to_string());
        let src = CodeSource {
            getenv: &getenv,
            process: Some("exit 1"),
            no_input: true,
        };
        assert_eq!(code("s", "p", &src).unwrap(), "123456");
        let none = |_: &str| None;
        let src = CodeSource {
            getenv: &none,
            // Windows: no shell, as botocore there; echo is cmd's.
            process: Some(if cfg!(windows) {
                "cmd /c echo 654321"
            } else {
                "echo 654321"
            }),
            no_input: true,
        };
        assert_eq!(code("s", "p", &src).unwrap(), "654321");
        let src = CodeSource {
            getenv: &none,
            process: None,
            no_input: true,
        };
        assert_eq!(code("s", "p", &src).unwrap_err().status, Status::Mfa);
    }
}
