//! `awsrole hook SHELL`: print the prompt hook for SHELL.
//!
//! The hooks are the files in `shell/`, embedded at build time and printed
//! as they are: the text does not depend on where awsrole is installed (the
//! hooks run `command awsrole` from PATH at each refresh, so a moved or
//! upgraded binary keeps working), and a saved copy stays valid.

use crate::error::{Error, Status};
use crate::shell::ShellKind;

/// The hook script for `kind`; POSIX sh has no prompt hook to attach to.
pub fn run(kind: ShellKind) -> Result<String, Error> {
    kind.shell().hook().map(str::to_owned).ok_or_else(|| {
        Error::new(
            Status::Usage,
            format!(
                "{} has no prompt hook (no PROMPT_COMMAND or precmd): use bash, zsh, fish, powershell, nu or elvish",
                match kind {
                    ShellKind::Posix => "POSIX sh",
                    other => other.name(),
                }
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interactive_shell_has_its_file() {
        for (kind, file) in [
            (ShellKind::Bash, "awsrole.bash"),
            (ShellKind::Zsh, "awsrole.zsh"),
            (ShellKind::Fish, "awsrole.fish"),
            (ShellKind::PowerShell, "awsrole.ps1"),
            (ShellKind::Nushell, "awsrole.nu"),
            (ShellKind::Elvish, "awsrole.elv"),
        ] {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/shell/").to_owned() + file;
            let on_disk = std::fs::read_to_string(&path).unwrap();
            assert_eq!(run(kind).unwrap(), on_disk, "{file}");
        }
    }

    #[test]
    fn posix_sh_is_a_usage_error() {
        let err = run(ShellKind::Posix).unwrap_err();
        assert_eq!(err.status, Status::Usage);
        assert!(err.message.contains("POSIX sh"), "{err}");
    }
}
