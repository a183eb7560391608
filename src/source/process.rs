//! `credential_process` in a profile: run through `sh -c` by
//! [`bounded_process`], within bounds, and its JSON read as the AWS CLI
//! reads it (`Version` 1, `AccessKeyId`, `SecretAccessKey`, optional
//! `SessionToken` and `Expiration`).

use std::time::Duration;

use super::{Context, Source};
use crate::bounded_process::{self, Limits};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::timefmt::parse_expiration;

/// How long it may run when someone may be asked something (it may be
/// waiting for a password manager, or for an MFA code through `awsrole
/// credential-process`).
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// How long it may run under `--no-input` (the prompt hook): within the
/// hook's 12 s.
pub const UNATTENDED_TIMEOUT: Duration = Duration::from_secs(10);
/// Its JSON: a session token is a few KiB at most.
pub const MAX_STDOUT: usize = 64 * 1024;
/// The part of its stderr quoted in an error.
pub const MAX_STDERR: usize = 2048;

pub struct Process<'a> {
    pub profile: &'a str,
    pub command: &'a str,
}

impl Source for Process<'_> {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error> {
        let (profile, command) = (self.profile, self.command);
        let at = cx.prefix(profile, "credential_process");
        let fail = |why: String| {
            Error::new(
                Status::Sts,
                format!(
                    "{at}profile `{profile}`: credential_process {} failed: {why}",
                    bounded_process::program(command)
                ),
            )
        };
        let no_input = cx.opts.no_input;
        let limits = Limits {
            timeout: if no_input {
                UNATTENDED_TIMEOUT
            } else {
                TIMEOUT
            },
            max_stdout: MAX_STDOUT,
            max_stderr: MAX_STDERR,
        };
        // Children that are awsrole themselves must not ask either.
        let env: &[(&str, &str)] = if no_input {
            &[(crate::NO_INPUT_VAR, "1")]
        } else {
            &[]
        };
        crate::verbose!(
            "profile `{profile}`: running credential_process {} (at most {}s)",
            bounded_process::program(command),
            limits.timeout.as_secs()
        );
        let out = bounded_process::run(command, env, false, !no_input, &limits)
            .map_err(|e| fail(e.to_string()))?;
        // An awsrole below that needed a code it may not ask for: so do we
        // (the hook then says "needs an MFA code", not "STS refused").
        if no_input
            && out.status.code() == Some(Status::Mfa as i32)
            && crate::process_loop::awsrole_process_target(command).is_some()
        {
            return Err(Error::new(
                Status::Mfa,
                format!(
                    "{at}profile `{profile}`: its credential_process (awsrole) needs an MFA code, and input is off (--no-input or AWSROLE_NO_INPUT); run `awsrole env {profile}` in a terminal to enter it"
                ),
            ));
        }
        if !out.status.success() {
            let said = bounded_process::quote_stderr(&out.stderr, MAX_STDERR);
            return Err(fail(if said.is_empty() {
                format!("it exited with {}", out.status)
            } else {
                format!("it exited with {}: {said}", out.status)
            }));
        }
        parse(&out.stdout).map_err(|why| fail(format!("its output is not usable: {why}")))
    }
}

/// The process's JSON; errors never quote values (they are secrets).
pub fn parse(stdout: &[u8]) -> Result<Credentials, String> {
    let v: serde_json::Value =
        serde_json::from_slice(stdout).map_err(|e| format!("not JSON ({})", e.classify_name()))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    match obj.get("Version").and_then(|v| v.as_i64()) {
        Some(1) => {}
        Some(_) => return Err("unsupported Version (only 1 is)".into()),
        None => return Err("no Version (it must be 1)".into()),
    }
    let text = |k: &str| -> Result<Option<String>, String> {
        match obj.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{k} is not a string")),
        }
    };
    let need = |k: &str| text(k)?.filter(|s| !s.is_empty()).ok_or(format!("no {k}"));
    let expiration = match text("Expiration")? {
        None => None,
        Some(e) => Some(parse_expiration(&e).ok_or("Expiration is not an RFC 3339 time")?),
    };
    Ok(Credentials {
        access_key_id: need("AccessKeyId")?,
        secret_access_key: need("SecretAccessKey")?,
        session_token: text("SessionToken")?.filter(|s| !s.is_empty()),
        expiration,
    })
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "it ends early",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_1_json_is_read_as_the_aws_cli_reads_it() {
        let c = parse(br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T", "Expiration": "2021-08-05T19:58:02Z"}"#).unwrap();
        assert_eq!(c.access_key_id, "A");
        assert_eq!(c.session_token.as_deref(), Some("T"));
        assert_eq!(c.expiration_unix(), Some(1_628_193_482));
        let keys = parse(br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S"}"#).unwrap();
        assert_eq!((keys.session_token, keys.expiration), (None, None));
        for bad in [
            &br#"{"AccessKeyId": "A", "SecretAccessKey": "S"}"#[..],
            br#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}"#,
            br#"{"Version": 1, "SecretAccessKey": "S"}"#,
            br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "soon"}"#,
            b"[]",
            b"not json s3cr3t",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(!e.contains("s3cr3t"), "{e}");
        }
    }
}
