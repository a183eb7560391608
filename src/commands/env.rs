//! `awsrole env`: resolve a profile to credentials and print export lines.
//!
//! Warm path: two config files, one cache file, print. The SDK, the tokio
//! runtime and the network are reached only on a cache miss.
//!
//! On error, stdout holds one statement that only sets a non-zero status
//! ([`Shell::failure`]), so that `eval "$(awsrole env ...)"` fails as well
//! and `set -e` or `&&` stop there; the message goes to stderr as always.
//! Inside direnv, the statement is `exit N` instead (see [`failure`]).

use std::ffi::OsString;

use super::Failure;
use crate::Getenv;
use crate::cli::EnvCli;
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::exports;
use crate::resolve;
use crate::shell::{self, Shell, ShellKind};

/// Returns the text for stdout.
pub fn run(args: &EnvCli, getenv: Getenv) -> Result<String, Failure> {
    if args.hook {
        // A format (JSON, for nushell) has no shell of its own.
        let (shell, kind) = match args.format {
            Some(format) => (format.shell(), None),
            None => {
                let kind = args.shell.unwrap_or_else(|| shell::detect(getenv));
                (kind.shell(), Some(kind))
            }
        };
        return Ok(super::env_hook::run(args, shell, kind, getenv));
    }
    if let Some(format) = args.format {
        return export_lines(args, format.shell(), getenv).map_err(|error| Failure {
            stdout: format.shell().failure(error.status as u8),
            error,
        });
    }
    let kind = args.shell.unwrap_or_else(|| shell::detect(getenv));
    export_lines(args, kind.shell(), getenv).map_err(|error| Failure {
        stdout: failure(kind, error.status, getenv),
        error,
    })
}

/// Set by direnv while it evaluates an `.envrc`, for programs to tell.
const DIRENV_VAR: &str = "DIRENV_IN_ENVRC";

/// What stdout gets when `env` fails. direnv runs `.envrc` in a bash of its
/// own and ignores its status unless it exits; there `exit N` makes direnv
/// report the failure and apply none of the `.envrc`. Elsewhere, the
/// shell's [`Shell::failure`], which leaves an interactive shell alive.
pub fn failure(kind: ShellKind, status: Status, getenv: Getenv) -> String {
    let in_direnv = getenv(DIRENV_VAR).is_some_and(|v| !v.is_empty());
    match kind {
        ShellKind::Bash | ShellKind::Zsh | ShellKind::Posix if in_direnv => {
            format!("exit {}\n", status as u8)
        }
        _ => kind.shell().failure(status as u8),
    }
}

fn export_lines(args: &EnvCli, shell: &dyn Shell, getenv: Getenv) -> Result<String, Error> {
    if args.unset {
        let all: Vec<_> = exports::VARIABLES.iter().map(|v| (*v, None)).collect();
        return shell.render(&all).map_err(refused);
    }
    let name = args.role.spec(
        args.profile.as_deref(),
        args.duration,
        args.resolve.cached.region.as_deref(),
        getenv,
    )?;
    let resolving = exports::without_exported_region(getenv);
    let r = resolve::credentials(&name, &args.resolve.options(), &resolving)?;
    render(
        shell,
        &r.profile,
        &r.credentials,
        r.region.as_deref(),
        getenv,
    )
}

fn render(
    shell: &dyn Shell,
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
    getenv: Getenv,
) -> Result<String, Error> {
    let vars = exports::assignments(profile, creds, region, getenv);
    let vars: Vec<_> = vars.iter().map(|(n, v)| (*n, v.as_deref())).collect();
    shell.render(&vars).map_err(refused)
}

fn refused(e: shell::UnrepresentableValue) -> Error {
    Error::new(Status::Failure, e.to_string())
}

/// For a command line clap refused: when it was `awsrole env ...` and the
/// shell is known (a valid `--shell`, else the detected one), the failure
/// statement for stdout, so that `eval` fails on a usage error too.
pub fn usage_failure(args: &[OsString], getenv: Getenv) -> Option<String> {
    let words: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    // Global flags take no value: the first other word is the subcommand.
    let sub = words.iter().position(|w| !w.starts_with('-'))?;
    if words[sub] != "env" {
        return None;
    }
    let rest = &words[sub + 1..];
    let rest = &rest[..rest.iter().position(|w| *w == "--").unwrap_or(rest.len())];
    // Programs reading a --format have no statement to run: stdout stays empty.
    if rest
        .iter()
        .any(|w| *w == "--format" || w.starts_with("--format="))
    {
        return None;
    }
    let named = rest.iter().enumerate().find_map(|(i, w)| match *w {
        "--shell" => Some(rest.get(i + 1).copied().unwrap_or("")),
        _ => w.strip_prefix("--shell="),
    });
    let kind = match named {
        Some(name) => <ShellKind as clap::ValueEnum>::from_str(name, false).ok()?,
        None => shell::detect(getenv),
    };
    Some(failure(kind, Status::Usage, getenv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(args: &[&str]) -> Option<String> {
        let args: Vec<OsString> = std::iter::once("awsrole")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        usage_failure(&args, &|_| None)
    }

    #[test]
    fn usage_errors_of_env_fail_in_the_named_shell() {
        assert_eq!(
            usage(&["env", "--min-ttl", "x", "--shell", "bash"]).as_deref(),
            Some("(exit 2)\n")
        );
        assert_eq!(
            usage(&["-v", "env", "--shell=fish", "--bogus"]).as_deref(),
            Some("builtin false\n")
        );
        // A shell name that is not known: no statement in an unknown syntax.
        assert_eq!(usage(&["env", "--shell", "tcsh"]), None);
        assert_eq!(usage(&["env", "--shell"]), None);
        // Other commands keep stdout empty.
        assert_eq!(usage(&["exec", "--shell", "bash"]), None);
        assert_eq!(usage(&["--bogus"]), None);
        assert_eq!(usage(&[]), None);
        // After `--`, `--shell` is an argument, not the option.
        assert!(usage(&["env", "--", "--shell", "tcsh"]).is_some());
        assert_eq!(usage(&["env", "--format", "json", "--bogus"]), None);
        assert_eq!(usage(&["env", "--format=yaml"]), None);
    }

    #[test]
    fn inside_direnv_posix_shells_exit() {
        let direnv = |k: &str| (k == DIRENV_VAR).then(|| "1".to_string());
        for kind in [ShellKind::Bash, ShellKind::Zsh, ShellKind::Posix] {
            assert_eq!(failure(kind, Status::Config, &direnv), "exit 3\n");
            assert_eq!(failure(kind, Status::Config, &|_| None), "(exit 3)\n");
        }
        assert_eq!(
            failure(ShellKind::Fish, Status::Config, &direnv),
            "builtin false\n"
        );
    }
}
