//! The check before each command starts no process when nothing is due,
//! counted with strace (clone, fork, vfork, execve) over many commands.

use super::*;

/// Processes started by a shell that loads the hook, holds credentials as
/// `awsrole env` exports them (fresh, or due with a refresh that runs
/// `/bin/true`), and then
/// runs `lines` commands (bash, zsh: interactive, reading `:` lines, so
/// the prompt and the preexec checks both run; fish: `emit fish_preexec`).
fn processes(sh: Sh, lines: usize, due: bool) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let hook = run(Command::new(awsrole_bin()).args(["hook", sh.name()]));
    hook.assert_success();
    let hook_path = dir.path().join("hook");
    std::fs::write(&hook_path, &hook.stdout).unwrap();
    let h = hook_path.to_string_lossy();
    let (ahead, refresh) = if due {
        (100, "__awsrole_refresh() { /bin/true; }")
    } else {
        (3600, "")
    };
    let trace = dir.path().join("trace");
    let strace = format!(
        "exec strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o {}",
        trace.display()
    );
    let d = dir.path().display();
    let script = match sh {
        Sh::Bash | Sh::Zsh => {
            let rc = format!(
                ". {h}\nexport AWSROLE_PROFILE=p AWSROLE_EXPIRATION=$((EPOCHSECONDS + {ahead})) AWSROLE_NEXT=$((EPOCHSECONDS + {ahead} - 599))\n{refresh}\n"
            );
            std::fs::write(dir.path().join("input"), ":\n".repeat(lines)).unwrap();
            if sh == Sh::Bash {
                std::fs::write(dir.path().join("bashrc"), rc).unwrap();
                format!("{strace} bash --noprofile --rcfile {d}/bashrc -i < {d}/input")
            } else {
                std::fs::write(dir.path().join(".zshrc"), rc).unwrap();
                format!("ZDOTDIR={d} {strace} zsh -d -i < {d}/input")
            }
        }
        Sh::Fish => {
            let refresh = if due {
                "function __awsrole_refresh; /bin/true; end"
            } else {
                ""
            };
            let body = format!(
                "source {h}; set -gx AWSROLE_PROFILE p; set -gx AWSROLE_EXPIRATION (math (path mtime /) + (path mtime --relative /) + {ahead}); set -gx AWSROLE_NEXT (math $AWSROLE_EXPIRATION - 599)\n{refresh}\n\
                 set i 0; while test $i -lt {lines}; emit fish_preexec; set i (math $i + 1); end"
            );
            std::fs::write(dir.path().join("body.fish"), body).unwrap();
            format!("{strace} fish --no-config {d}/body.fish")
        }
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    let out = run(cmd
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", dir.path()));
    assert_eq!(out.code, 0, "{sh:?}: {}", out.stderr);
    std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| {
            ["clone(", "clone3(", "fork(", "vfork(", "execve("]
                .iter()
                .any(|c| l.contains(c))
        })
        .count()
}

#[test]
fn a_fresh_check_before_commands_starts_no_process() {
    for sh in [Sh::Bash, Sh::Zsh, Sh::Fish] {
        let none = processes(sh, 0, false);
        let many = processes(sh, 300, false);
        assert_eq!(many, none, "{sh:?}: processes for 300 commands");
        // The count sees the processes of a due check (it can fail).
        let due = processes(sh, 300, true);
        assert!(due >= none + 300, "{sh:?}: {due} vs {none}");
    }
}
