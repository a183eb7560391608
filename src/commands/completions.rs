//! Shell completion: `awsrole completions SHELL` and the `AWSROLE_COMPLETE=SHELL`
//! protocol of clap_complete's dynamic completion.
//!
//! The script a shell loads is small and fixed: at each Tab it runs
//! `AWSROLE_COMPLETE=<shell> awsrole -- <words so far>`, and awsrole answers with the
//! candidates, computed from the clap definitions ([`command`]) and, for
//! profile names, from the user's config files as they are at that moment.
//!
//! `awsrole completions SHELL` prints exactly what `AWSROLE_COMPLETE=SHELL awsrole`
//! prints (both go through [`SHELLS`] with the same names), so the copies
//! checked in under `completions/` are that output. The script calls
//! `awsrole` through `PATH`, never an absolute path, so it is the same on
//! every machine. It contains no subcommand or option names: those come from
//! the binary at Tab time, so a new subcommand needs no new script.
//!
//! Which arguments complete profile names is derived from the command tree,
//! not listed here: every argument whose id is `profile` (a positional
//! `PROFILE` or a `--profile` option) in any subcommand gets
//! [`profile_completer`]. Arguments with a fixed set of values (`--shell`,
//! `hook SHELL`, `completions SHELL`) complete those values through clap's
//! `PossibleValue`s.

use std::ffi::OsStr;

use clap::CommandFactory;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Elvish, Powershell, Shells};

use super::completion_scripts::{BashExec, FishExec, ZshExec};

use crate::Getenv;
use crate::cli::{Cli, CompletionShell};
use crate::files;

/// The command the scripts complete, and the program they run at Tab time.
pub const BIN: &str = "awsrole";

/// The environment variable that switches awsrole into completion mode.
pub const VAR: &str = "AWSROLE_COMPLETE";

/// The argument id that gets profile-name completion, in every subcommand.
pub const PROFILE_ARG: &str = "profile";

/// Every argument id whose value is a profile name: the positional and
/// `--source-profile` of an ad-hoc `--role-arn`.
pub const PROFILE_VALUED: [&str; 2] = [PROFILE_ARG, "source_profile"];

/// The shells, as used both by `AWSROLE_COMPLETE=SHELL awsrole` and by
/// `awsrole completions SHELL`.
pub const SHELLS: Shells<'static> = Shells(&[&BashExec, &Elvish, &FishExec, &Powershell, &ZshExec]);

/// The clap command with completers attached: [`Cli::command`], plus the
/// profile completer on every argument with id [`PROFILE_ARG`].
pub fn command() -> clap::Command {
    add_profile_completer(Cli::command())
}

fn add_profile_completer(cmd: clap::Command) -> clap::Command {
    // `mut_args`, not `mut_arg`: the latter moves the argument to the end,
    // which reorders positionals.
    let mut cmd = cmd.mut_args(|a| {
        if PROFILE_VALUED.contains(&a.get_id().as_str()) {
            a.add(ArgValueCompleter::new(profile_completer))
        } else {
            a
        }
    });
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, add_profile_completer);
    }
    cmd
}

/// Answers a completion request when `AWSROLE_COMPLETE` is set (a name of our own: a generic `COMPLETE` set for another program must not turn every run into a completion answer) (and exits);
/// otherwise returns at once. Call first thing in `main`.
pub fn complete_from_env() {
    clap_complete::CompleteEnv::with_factory(command)
        .var(VAR)
        .bin(BIN)
        .completer(BIN)
        .shells(SHELLS)
        .complete();
}

/// The registration script for `shell`: what `awsrole completions SHELL`
/// prints, and the same bytes as `AWSROLE_COMPLETE=SHELL awsrole`.
pub fn script(shell: CompletionShell) -> String {
    let completer = SHELLS
        .completer(shell.name())
        .expect("every CompletionShell is in SHELLS");
    let mut buf = Vec::new();
    completer
        .write_registration(VAR, BIN, BIN, BIN, &mut buf)
        .expect("writing to a Vec cannot fail");
    String::from_utf8(buf).expect("registration scripts are UTF-8")
}

/// `awsrole completions SHELL`.
pub fn run(shell: CompletionShell) -> String {
    script(shell)
}

fn profile_completer(current: &OsStr) -> Vec<CompletionCandidate> {
    let getenv = |k: &str| std::env::var(k).ok();
    let Some(prefix) = current.to_str() else {
        return Vec::new();
    };
    profile_candidates(prefix, &getenv)
        .into_iter()
        .map(|(name, help)| CompletionCandidate::new(name).help(help.map(Into::into)))
        .collect()
}

/// Profile names starting with `prefix`, sorted, each with the role it
/// assumes (shown by shells that show descriptions). Read from the config and
/// credentials files the environment points at; any error (unreadable or
/// malformed file) gives no candidates: completion never prints errors.
pub fn profile_candidates(prefix: &str, getenv: Getenv) -> Vec<(String, Option<String>)> {
    let locations = files::locate(getenv, files::current_platform());
    let Ok(set) = files::load(&locations) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Option<String>)> = set
        .profiles
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, section)| (name.clone(), section.get("role_arn").map(str::to_owned)))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_shell_has_a_script_naming_the_binary() {
        for shell in CompletionShell::value_variants() {
            let s = script(*shell);
            assert!(s.contains(BIN), "{shell:?}: {s}");
            assert!(s.contains(VAR), "{shell:?}: {s}");
        }
    }

    #[test]
    fn profile_arguments_get_the_completer_everywhere() {
        fn walk(cmd: &clap::Command, found: &mut usize) {
            for a in cmd.get_arguments() {
                if PROFILE_VALUED.contains(&a.get_id().as_str()) {
                    assert!(
                        a.get::<ArgValueCompleter>().is_some(),
                        "{} {}",
                        cmd.get_name(),
                        a.get_id()
                    );
                    *found += 1;
                }
            }
            for s in cmd.get_subcommands() {
                walk(s, found);
            }
        }
        let mut found = 0;
        walk(&command(), &mut found);
        assert!(found >= 1, "no `profile` argument anywhere");
    }

    #[test]
    fn candidates_come_from_the_files_and_errors_give_none() {
        let d = tempfile::tempdir().unwrap();
        let config = d.path().join("config");
        std::fs::write(
            &config,
            "[profile marketingadmin]\nrole_arn = arn:aws:iam::1:role/m\n[profile dev]\n[default]\n",
        )
        .unwrap();
        std::fs::write(d.path().join("credentials"), "[market]\n").unwrap();
        let home = d.path().to_str().unwrap().to_owned();
        let env = |k: &str| match k {
            "HOME" => Some(home.clone()),
            "AWS_CONFIG_FILE" => Some(config.to_str().unwrap().to_owned()),
            "AWS_SHARED_CREDENTIALS_FILE" => {
                Some(d.path().join("credentials").to_str().unwrap().to_owned())
            }
            _ => None,
        };
        assert_eq!(
            profile_candidates("mark", &env),
            vec![
                ("market".to_owned(), None),
                (
                    "marketingadmin".to_owned(),
                    Some("arn:aws:iam::1:role/m".to_owned())
                ),
            ]
        );
        let all: Vec<String> = profile_candidates("", &env)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(all, ["default", "dev", "market", "marketingadmin"]);

        std::fs::write(&config, "[profile broken\n").unwrap();
        assert!(profile_candidates("", &env).is_empty());
    }
}
