//! Shell-specific export/unset statements. Quoting here is a security
//! boundary: users `eval` our output, and values are credentials.

mod bash;
mod cmd;
mod elvish;
mod fish;
mod formats;
mod nushell;
mod posix;
mod powershell;
mod zsh;

pub use formats::Format;

use std::fmt;

use clap::ValueEnum;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// The shells awsrole prints for. Their names on the command line (`--shell`,
/// `hook SHELL`) are defined here only, by [`ValueEnum`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellKind {
    Bash,
    Zsh,
    Fish,
    PowerShell,
    Posix,
    Nushell,
    Elvish,
    Cmd,
}

impl ValueEnum for ShellKind {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ShellKind::Bash,
            ShellKind::Zsh,
            ShellKind::Fish,
            ShellKind::PowerShell,
            ShellKind::Posix,
            ShellKind::Nushell,
            ShellKind::Elvish,
            ShellKind::Cmd,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let (name, aliases) = self.names().split_first().expect("one name at least");
        Some(PossibleValue::new(*name).aliases(aliases.iter().copied()))
    }
}

impl ShellKind {
    /// Every name the shell is accepted by on the command line, canonical first.
    fn names(self) -> &'static [&'static str] {
        match self {
            ShellKind::Bash => &["bash"],
            ShellKind::Zsh => &["zsh"],
            ShellKind::Fish => &["fish"],
            ShellKind::PowerShell => &["powershell", "pwsh"],
            ShellKind::Posix => &["sh", "posix"],
            ShellKind::Nushell => &["nu", "nushell"],
            ShellKind::Elvish => &["elvish"],
            ShellKind::Cmd => &["cmd"],
        }
    }

    /// The canonical name (`sh` for POSIX sh).
    pub fn name(self) -> &'static str {
        self.names()[0]
    }

    /// The parser for a shell argument. Unlike clap's own parser for a
    /// [`ValueEnum`], it lists the aliases (`pwsh`, `posix`) as values of
    /// their own, so that help, man pages and Tab completion offer them too.
    pub fn parser() -> impl TypedValueParser<Value = ShellKind> {
        let names = Self::value_variants().iter().flat_map(|k| k.names());
        PossibleValuesParser::new(names.copied()).map(|name| {
            ShellKind::from_str(&name, false).expect("every listed name is a ShellKind")
        })
    }

    pub fn shell(self) -> &'static dyn Shell {
        match self {
            ShellKind::Bash => &bash::Bash,
            ShellKind::Zsh => &zsh::Zsh,
            ShellKind::Fish => &fish::Fish,
            ShellKind::PowerShell => &powershell::PowerShell,
            ShellKind::Posix => &posix::Posix,
            ShellKind::Nushell => &nushell::Nushell,
            ShellKind::Elvish => &elvish::Elvish,
            ShellKind::Cmd => &cmd::Cmd,
        }
    }
}

pub trait Shell {
    /// One statement that sets and exports NAME, ending in '\n'. NAME is a plain [A-Z_][A-Z0-9_]* constant.
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue>;
    /// One statement that removes NAME from the environment, ending in '\n' (no error if already unset).
    fn unset(&self, name: &str) -> String;
    /// One statement that does nothing but end with exit status `status`
    /// (1-255), ending in '\n'. `env` prints it on error, so that `eval` or
    /// `source` of its output fails too (`set -e` stops, `&&` does not go
    /// on). It must not exit an interactive shell, nor return from the
    /// function it is evaluated in.
    fn failure(&self, status: u8) -> String;
    /// The prompt hook script that `awsrole hook SHELL` prints (a file in
    /// `shell/`, embedded), or `None` for a shell without prompt hooks.
    fn hook(&self) -> Option<&'static str> {
        None
    }
    /// The whole output for these assignments (`None`: remove the
    /// variable). One statement each unless the shell or format groups them.
    fn render(&self, vars: &[(&str, Option<&str>)]) -> Result<String, UnrepresentableValue> {
        let mut out = String::new();
        for (name, value) in vars {
            match value {
                Some(v) => out.push_str(&self.export(name, v)?),
                None => out.push_str(&self.unset(name)),
            }
        }
        Ok(out)
    }
}

/// A value the shell cannot hold (e.g. NUL). Display names the variable, NEVER the value (values are secrets).
#[derive(Debug)]
pub struct UnrepresentableValue {
    pub name: String,
    pub reason: &'static str,
}

impl fmt::Display for UnrepresentableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot export {}: its value {}", self.name, self.reason)
    }
}

impl std::error::Error for UnrepresentableValue {}

/// Shared by every shell: the OS environment is a list of C strings.
fn reject_nul(name: &str, value: &str) -> Result<(), UnrepresentableValue> {
    if value.contains('\0') {
        return Err(UnrepresentableValue {
            name: name.to_owned(),
            reason: "contains a NUL character, which environment variables cannot hold",
        });
    }
    Ok(())
}

/// Which shell called us: parent process name, then basename of $SHELL, then Posix.
pub fn detect(getenv: crate::Getenv) -> ShellKind {
    if let Some(kind) = parent_process_name().as_deref().and_then(from_process_name) {
        return kind;
    }
    getenv("SHELL")
        .as_deref()
        .and_then(|path| path.rsplit(['/', '\\']).next())
        .and_then(from_process_name)
        .unwrap_or(ShellKind::Posix)
}

/// Maps a process or executable name ("-zsh", "bash", "pwsh.exe") to a shell.
pub fn from_process_name(name: &str) -> Option<ShellKind> {
    let name = name.trim();
    // Login shells are started with argv[0] = "-bash".
    let name = name.strip_prefix('-').unwrap_or(name);
    let lower = name.to_ascii_lowercase();
    let name = lower.strip_suffix(".exe").unwrap_or(&lower);
    match name {
        "dash" | "ksh" | "mksh" | "ash" => Some(ShellKind::Posix),
        _ => ShellKind::from_str(name, false).ok(),
    }
}

fn parent_process_name() -> Option<String> {
    crate::platform::parent_process_name()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str) -> Result<ShellKind, clap::Error> {
        clap::Command::new("t")
            .arg(clap::Arg::new("shell").value_parser(ShellKind::parser()))
            .try_get_matches_from(["t", name])
            .map(|m| *m.get_one::<ShellKind>("shell").unwrap())
    }

    #[test]
    fn parses_accepted_names() {
        for (s, k) in [
            ("bash", ShellKind::Bash),
            ("zsh", ShellKind::Zsh),
            ("fish", ShellKind::Fish),
            ("powershell", ShellKind::PowerShell),
            ("pwsh", ShellKind::PowerShell),
            ("sh", ShellKind::Posix),
            ("posix", ShellKind::Posix),
            ("nu", ShellKind::Nushell),
            ("nushell", ShellKind::Nushell),
            ("elvish", ShellKind::Elvish),
            ("cmd", ShellKind::Cmd),
        ] {
            assert_eq!(parse(s).unwrap(), k);
            assert_eq!(ShellKind::from_str(s, false), Ok(k));
        }
    }

    #[test]
    fn unknown_name_lists_accepted_names() {
        let err = parse("csh").unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
        let err = err.to_string();
        assert!(err.contains("csh"), "{err}");
        for accepted in [
            "bash",
            "zsh",
            "fish",
            "powershell",
            "pwsh",
            "sh",
            "posix",
            "nu",
            "nushell",
            "elvish",
            "cmd",
        ] {
            assert!(err.contains(accepted), "{err} lacks {accepted}");
        }
    }

    #[test]
    fn name_round_trips_through_the_parser() {
        for k in ShellKind::value_variants() {
            assert_eq!(parse(k.name()).unwrap(), *k);
        }
    }

    #[test]
    fn failure_is_at_most_one_line() {
        for k in ShellKind::value_variants() {
            let s = k.shell().failure(3);
            let one_line = s.ends_with('\n') && s.lines().count() == 1;
            assert!(s.is_empty() || one_line, "{k:?}: {s:?}");
        }
    }

    #[test]
    fn process_names() {
        use ShellKind::*;
        for (n, k) in [
            ("bash", Some(Bash)),
            ("-bash", Some(Bash)),
            ("zsh\n", Some(Zsh)),
            ("-zsh", Some(Zsh)),
            ("fish", Some(Fish)),
            ("pwsh", Some(PowerShell)),
            ("powershell", Some(PowerShell)),
            ("pwsh.exe", Some(PowerShell)),
            ("PowerShell.exe", Some(PowerShell)),
            ("sh", Some(Posix)),
            ("dash", Some(Posix)),
            ("-ksh", Some(Posix)),
            ("mksh", Some(Posix)),
            ("ash", Some(Posix)),
            ("nu", Some(Nushell)),
            ("nu.exe", Some(Nushell)),
            ("elvish", Some(Elvish)),
            ("cmd.exe", Some(Cmd)),
            ("sudo", None),
            ("tmux: server", None),
            ("", None),
            ("-", None),
        ] {
            assert_eq!(from_process_name(n), k, "{n:?}");
        }
    }

    #[test]
    fn nul_error_names_variable_not_value() {
        let formats = Format::value_variants().iter().map(|f| f.shell());
        let shells = ShellKind::value_variants().iter().map(|k| k.shell());
        for sh in shells.chain(formats) {
            let err = sh
                .render(&[("AWS_SECRET", Some("hunter2\0x"))])
                .unwrap_err();
            assert_eq!(err.name, "AWS_SECRET");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains("AWS_SECRET"), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    // The parent of the test runner is cargo (or whatever launched it), which
    // is not a shell, so detection falls back to $SHELL, then Posix.
    #[test]
    fn detect_falls_back_to_shell_env_then_posix() {
        if parent_process_name()
            .as_deref()
            .and_then(from_process_name)
            .is_some()
        {
            // Launched directly from a shell: the parent wins, as designed.
            let kind = detect(&|_| Some("/usr/bin/fish".into()));
            assert_eq!(
                Some(kind),
                parent_process_name().as_deref().and_then(from_process_name)
            );
            return;
        }
        assert_eq!(
            detect(&|k| (k == "SHELL").then(|| "/usr/bin/fish".into())),
            ShellKind::Fish
        );
        assert_eq!(
            detect(&|k| (k == "SHELL").then(|| "/bin/zsh".into())),
            ShellKind::Zsh
        );
        assert_eq!(
            detect(&|k| (k == "SHELL").then(|| "pwsh".into())),
            ShellKind::PowerShell
        );
        assert_eq!(
            detect(&|k| (k == "SHELL").then(|| "/bin/tcsh".into())),
            ShellKind::Posix
        );
        assert_eq!(detect(&|_| None), ShellKind::Posix);
    }
}
