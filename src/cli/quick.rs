//! The prompt hooks' and users' everyday command lines, `awsrole [-v] env
//! [--shell S] [--hook] [--no-input] [--refresh] [--min-ttl D] [--region R]
//! [--] [PROFILE]`, read without building clap's command tree: building it
//! was a third of a warm `env` (docs/performance.md). Anything else, or
//! anything clap would refuse, gives `None`, and clap reads the line as
//! always. A property test checks that every line read here reads the same
//! through clap.

use std::ffi::OsString;
use std::time::Duration;

use clap::ValueEnum;

use super::{CachedArgs, Cli, Command, EnvCli, ResolveArgs, RoleArgs};
use crate::shell::ShellKind;

/// `args` as clap would read them, when they are an everyday `env` line.
pub fn parse(args: &[OsString]) -> Option<Cli> {
    let mut args = args.iter().skip(1).map(|a| a.to_str());
    let mut verbose = false;
    let mut env = None::<EnvCli>;
    let mut seen = Vec::<&str>::new();
    // Each option at most once: clap refuses a repeat.
    let mut once = |name: &'static str| {
        if seen.contains(&name) {
            return None;
        }
        seen.push(name);
        Some(())
    };
    let mut positional_only = false;
    while let Some(arg) = args.next() {
        let arg = arg?;
        let Some(cli) = env.as_mut() else {
            match arg {
                "-v" | "--verbose" if !verbose => verbose = true,
                "env" => env = Some(empty_env()),
                _ => return None,
            }
            continue;
        };
        if positional_only || !arg.starts_with('-') {
            if cli.profile.is_some() {
                return None;
            }
            cli.profile = Some(arg.to_string());
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg, None),
        };
        let mut value = || match inline {
            Some(v) => Some(v),
            // clap takes no value that starts with `-` here.
            None => args.next()?.filter(|v| !v.starts_with('-')),
        };
        match (name, inline) {
            ("--", None) => positional_only = true,
            ("-v" | "--verbose", None) if !verbose => verbose = true,
            ("--hook", None) => {
                once("hook")?;
                cli.hook = true;
            }
            ("--no-input", None) => {
                once("no-input")?;
                cli.resolve.cached.no_input = true;
            }
            ("--refresh", None) => {
                once("refresh")?;
                cli.resolve.refresh = true;
            }
            ("--shell", _) => {
                once("shell")?;
                cli.shell = Some(ShellKind::from_str(value()?, false).ok()?);
            }
            ("--min-ttl", _) => {
                once("min-ttl")?;
                let v = value()?;
                cli.resolve.cached.min_ttl = humantime::parse_duration(v).ok()?;
            }
            ("--region", _) => {
                once("region")?;
                let v = value()?;
                cli.resolve.cached.region = Some(v.to_string());
            }
            _ => return None,
        }
    }
    let cli = env?;
    // `--hook` does not go with `--refresh` or `--min-ttl`.
    if cli.hook && (cli.resolve.refresh || seen.contains(&"min-ttl")) {
        return None;
    }
    Some(Cli {
        verbose,
        command: Command::Env(cli),
    })
}

fn empty_env() -> EnvCli {
    EnvCli {
        profile: None,
        shell: None,
        format: None,
        unset: false,
        hook: false,
        role: RoleArgs::default(),
        duration: None,
        resolve: ResolveArgs {
            refresh: false,
            cached: CachedArgs {
                no_input: false,
                min_ttl: Duration::from_secs(15 * 60),
                region: None,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};
    use proptest::prelude::*;

    fn clap_reads(args: &[OsString]) -> Option<Cli> {
        let matches = Cli::command().try_get_matches_from(args).ok()?;
        Cli::from_arg_matches(&matches).ok()
    }

    fn line(words: &[&str]) -> Vec<OsString> {
        std::iter::once("awsrole")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    /// What `parse` reads, clap reads the same way.
    fn agrees(args: &[OsString]) -> Result<bool, TestCaseError> {
        let Some(quick) = parse(args) else {
            return Ok(false);
        };
        let clap = clap_reads(args);
        prop_assert!(clap.is_some(), "clap refuses {args:?}, read as {quick:?}");
        prop_assert_eq!(format!("{quick:?}"), format!("{:?}", clap.unwrap()));
        Ok(true)
    }

    #[test]
    fn the_hooks_and_everyday_lines_are_read_here() {
        for words in [
            &["env", "dev"][..],
            &["env"],
            &["env", "--shell", "bash", "--hook", "--", "dev"],
            &["env", "--shell=fish", "--hook", "--", "dev"],
            &[
                "-v",
                "env",
                "--min-ttl",
                "1h",
                "--no-input",
                "--region",
                "eu-west-1",
                "dev",
            ],
            &["env", "dev", "--refresh", "--verbose", "--shell", "pwsh"],
            &["env", "--", "-dash-profile"],
            &["env", ""],
        ] {
            let args = line(words);
            assert!(agrees(&args).unwrap(), "{words:?} not read here");
        }
    }

    #[test]
    fn lines_clap_refuses_or_others_are_left_to_clap() {
        for words in [
            &["env", "--hook", "--refresh"][..],
            &["env", "--hook", "--min-ttl", "1m"],
            &["env", "a", "b"],
            &["env", "--shell", "tcsh"],
            &["env", "--shell"],
            &["env", "--shell", "--hook"],
            &["env", "--min-ttl", "soon"],
            &["env", "--hook", "--hook"],
            &["env", "-v", "-v"],
            &["env", "-x"],
            &["env", "--unset"],
            &["env", "--format", "json"],
            &["env", "--role-arn", "arn:aws:iam::1:role/r"],
            &["env", "--help"],
            &["--version"],
            &["exec", "dev", "--", "true"],
            &[],
        ] {
            assert!(parse(&line(words)).is_none(), "{words:?} read here");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_line_that_is_not_unicode_is_left_to_clap() {
        use std::os::unix::ffi::OsStringExt;
        let args = vec![
            "awsrole".into(),
            "env".into(),
            OsString::from_vec(vec![0xff]),
        ];
        assert!(parse(&args).is_none());
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("env".to_string()),
            Just("--".to_string()),
            Just("-v".to_string()),
            Just("--verbose".to_string()),
            Just("--hook".to_string()),
            Just("--no-input".to_string()),
            Just("--refresh".to_string()),
            Just("--shell".to_string()),
            Just("--min-ttl".to_string()),
            Just("--region".to_string()),
            Just("--unset".to_string()),
            Just("-".to_string()),
            Just("bash".to_string()),
            Just("pwsh".to_string()),
            Just("1h".to_string()),
            Just("15m 3s".to_string()),
            Just("--shell=zsh".to_string()),
            Just("--min-ttl=90s".to_string()),
            Just("--region=".to_string()),
            Just("--shell=".to_string()),
            "[a-z0-9=-]{0,6}",
            ".{0,4}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn every_line_read_here_reads_the_same_through_clap(
            words in proptest::collection::vec(word(), 0..7),
        ) {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            agrees(&line(&words))?;
            let mut with_env = vec!["env"];
            with_env.extend(&words);
            agrees(&line(&with_env))?;
        }
    }
}
