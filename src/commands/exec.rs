//! `awsrole exec PROFILE -- COMMAND [ARGS...]`: resolve the profile, then
//! replace this process with COMMAND (execvp), the credentials in its
//! environment.
//!
//! On Windows, which cannot replace a process, awsrole starts the command,
//! waits and exits with its exit code, ignoring Ctrl+C meanwhile (see
//! `platform::exec`).
//!
//! Because the process is replaced, the command keeps awsrole's PID, its
//! terminal and its place in the job; signals reach it directly and its exit
//! status is the one the caller sees. awsrole prints nothing on stdout, and
//! every file it opened is close-on-exec (Rust's default), the cache lock
//! included (it is released before the exec anyway).
//!
//! AWS_PROFILE and AWS_DEFAULT_PROFILE are removed from the command's
//! environment. With them left in place most SDKs still pick the
//! environment credentials, but tools that pass the profile on explicitly
//! (`--profile "$AWS_PROFILE"`, a Terraform `profile =` from the
//! environment, `boto3.Session(profile_name=...)`) would resolve that
//! profile again: a second STS call or MFA prompt, a different identity
//! when AWS_PROFILE named another profile, or a self-assume when the
//! profile's source is `credential_source = Environment`. Removing them
//! leaves exactly one identity in the command's environment; AWSROLE_PROFILE
//! says which profile it came from.

use std::convert::Infallible;
use std::process::Command;

use crate::Getenv;
use crate::cli::ExecCli;
use crate::error::{Error, Status};
use crate::{exports, resolve};

/// Removed from the command's environment (see the module documentation).
pub const REMOVED: [&str; 2] = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"];

/// Returns only on failure. A failure to resolve the profile is an `Error`
/// (exit 1-6); a failure to start the command exits here with 127 or 126.
pub fn run(args: &ExecCli, getenv: Getenv) -> Result<Infallible, Error> {
    // With --role-arn there is no PROFILE: clap put the command's first word there.
    let (profile, command) = match &args.role.role_arn {
        None => (args.profile.as_deref(), args.command.clone()),
        Some(_) => {
            let first = args.profile.iter().map(std::ffi::OsString::from);
            (None, first.chain(args.command.iter().cloned()).collect())
        }
    };
    let name = args.role.spec(
        profile,
        args.duration,
        args.resolve.cached.region.as_deref(),
        getenv,
    )?;
    let Some((program, rest)) = command.split_first() else {
        return Err(Error::new(
            Status::Usage,
            "no command given: awsrole exec PROFILE -- COMMAND [ARGS...]",
        ));
    };
    let opts = args.resolve.options();
    if args.server {
        let server = crate::server::Args {
            profile: &name,
            command: &command,
            opts,
        };
        return crate::server::run(&server);
    }
    let resolving = exports::without_exported_region(getenv);
    let r = resolve::credentials(&name, &opts, &resolving)?;
    let mut cmd = Command::new(program);
    cmd.args(rest);
    for (name, value) in
        exports::assignments(&r.profile, &r.credentials, r.region.as_deref(), getenv)
    {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    for name in REMOVED {
        cmd.env_remove(name);
    }
    // Only returns if the exec failed (Windows: waits and exits).
    let err = crate::platform::exec(&mut cmd);
    crate::platform::exit_cannot_run(program, &err)
}
