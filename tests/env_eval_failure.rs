//! A failed `awsrole env` fails the `eval` (fish: `source`) that applies
//! it: `set -e` and `&&` stop, in real bash, zsh, dash and fish, in a make
//! recipe and in direnv, while an interactive shell stays alive and nothing
//! else in the shell changes. The shell is detected, as users run it (no
//! `--shell`).

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Output, TestHome, Tmux, run};

const CONFIG: &str = "[profile dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret\nregion = eu-west-1\n";

/// The message awsrole prints for the typo `devv`.
const NOT_FOUND: &str = "awsrole: error: profile `devv` not found; did you mean dev?";

const POSIX_SHELLS: [&str; 3] = ["bash", "zsh", "dash"];

/// PATH with the awsrole under test first, so that scripts run plain `awsrole`.
fn path_with_awsrole() -> String {
    let bin = common::awsrole_bin();
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn home() -> TestHome {
    let home = TestHome::new();
    home.write_config(CONFIG);
    home
}

fn in_home(home: &TestHome, program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .envs(home.clean_env())
        .env("PATH", path_with_awsrole())
        .current_dir(home.path());
    cmd
}

/// `script` run by a real, non-interactive `shell` without rc files.
fn shell(home: &TestHome, shell: &str, script: &str) -> Output {
    let mut cmd = in_home(home, shell);
    match shell {
        "bash" => cmd.args(["--norc", "--noprofile"]),
        "zsh" => cmd.arg("-f"),
        "fish" => cmd.arg("--no-config"),
        _ => &mut cmd,
    };
    run(cmd.arg("-c").arg(script))
}

#[track_caller]
fn assert_reported(out: &Output, ctx: &str) {
    assert!(out.stderr.contains(NOT_FOUND), "{ctx}: {out:#?}");
    assert!(!out.stdout.contains("NEXT"), "{ctx} went on: {out:#?}");
}

#[test]
fn set_e_scripts_stop_at_a_failed_eval() {
    let home = home();
    for sh in POSIX_SHELLS {
        let out = shell(
            &home,
            sh,
            "set -eu\neval \"$(awsrole env devv)\"\necho NEXT\n",
        );
        assert_eq!(out.code, 3, "{sh}: {out:#?}");
        assert_reported(&out, sh);
        // `source <(...)` and `. file` fail the same way.
        if sh != "dash" {
            let out = shell(&home, sh, "set -e\nsource <(awsrole env devv)\necho NEXT\n");
            assert_eq!(out.code, 3, "{sh} source: {out:#?}");
            assert_reported(&out, sh);
        }
    }
}

#[test]
fn and_lists_stop_and_see_awsroles_status() {
    let home = home();
    for sh in POSIX_SHELLS {
        let out = shell(
            &home,
            sh,
            "eval \"$(awsrole env devv)\" && echo NEXT\necho \"status=$?\"\n\
             if eval \"$(awsrole env --no-input devv)\"; then echo NEXT; else echo \"else=$?\"; fi\n",
        );
        assert_eq!(out.code, 0, "{sh}: {out:#?}");
        assert_reported(&out, sh);
        assert_eq!(out.stdout, "status=3\nelse=3\n", "{sh}");
    }
    let out = shell(
        &home,
        "fish",
        "awsrole env devv | source; and echo NEXT\necho \"status=$status\"\n\
         awsrole env devv | source && echo NEXT\n\
         eval (awsrole env devv); or echo \"or=$status\"\n",
    );
    assert_eq!(out.code, 0, "fish: {out:#?}");
    assert_reported(&out, "fish");
    assert_eq!(out.stdout, "status=1\nor=1\n", "fish");
}

#[test]
fn nothing_else_changes_and_the_function_goes_on() {
    let home = home();
    // The environment before and after, and the function keeps running
    // after the failed eval (no `return` from it, no exit).
    let posix = "export KEEP=kept AWS_REGION=mine\n\
                 f() { eval \"$(awsrole env devv)\"; echo \"in f: $?\"; }\n\
                 env | grep -v '^_=' | sort > before\n\
                 f\n\
                 env | grep -v '^_=' | sort > after\n\
                 cmp before after && echo SAME\n";
    for sh in POSIX_SHELLS {
        let out = shell(&home, sh, posix);
        assert_eq!(out.code, 0, "{sh}: {out:#?}");
        assert_eq!(out.stdout, "in f: 3\nSAME\n", "{sh}: {out:#?}");
        assert!(out.stderr.contains(NOT_FOUND), "{sh}: {out:#?}");
    }
    let fish = "set -gx KEEP kept; set -gx AWS_REGION mine\n\
                function f; awsrole env devv | source; echo \"in f: $status\"; end\n\
                env | sort > before\n\
                f\n\
                env | sort > after\n\
                cmp before after; and echo SAME\n";
    let out = shell(&home, "fish", fish);
    assert_eq!(out.code, 0, "fish: {out:#?}");
    assert_eq!(out.stdout, "in f: 1\nSAME\n", "fish: {out:#?}");
}

#[test]
fn success_is_unchanged() {
    let home = home();
    for sh in POSIX_SHELLS {
        let out = shell(
            &home,
            sh,
            "set -eu\neval \"$(awsrole env dev)\" && echo \"ok $AWS_ACCESS_KEY_ID $AWS_REGION\"\n",
        );
        assert_eq!(out.stdout, "ok AKIDDEV eu-west-1\n", "{sh}: {out:#?}");
        assert_eq!(out.stderr, "", "{sh}");
    }
    let out = shell(
        &home,
        "fish",
        "awsrole env dev | source; and echo \"ok $AWS_ACCESS_KEY_ID $AWS_REGION\"\n",
    );
    assert_eq!(out.stdout, "ok AKIDDEV eu-west-1\n", "fish: {out:#?}");
}

#[test]
fn an_interactive_shell_stays_alive() {
    let home = home();
    for (sh, start, failed, alive) in [
        (
            "bash",
            "bash --norc --noprofile -i",
            "eval \"$(awsrole env devv)\"; echo \"rc=$?\"",
            "echo ALIVE-$((20+22))",
        ),
        (
            "zsh",
            "zsh -f -i",
            "eval \"$(awsrole env devv)\"; echo \"rc=$?\"",
            "echo ALIVE-$((20+22))",
        ),
        (
            "dash",
            "dash -i",
            "eval \"$(awsrole env devv)\"; echo \"rc=$?\"",
            "echo ALIVE-$((20+22))",
        ),
        (
            "fish",
            "fish --no-config -i",
            "awsrole env devv | source; echo \"rc=$status\"",
            "echo ALIVE-(math 20+22)",
        ),
    ] {
        let mut env = home.clean_env();
        env.push(("PATH".into(), path_with_awsrole()));
        let tmux = Tmux::start(start, env, 120, 30);
        tmux.send_line(failed);
        let rc = if sh == "fish" { "rc=1" } else { "rc=3" };
        let screen = tmux.wait_for(rc, Duration::from_secs(20));
        assert!(screen.contains("`devv` not found"), "{sh}: {screen}");
        tmux.send_line(alive);
        tmux.wait_for("ALIVE-42", Duration::from_secs(20));
    }
}

#[test]
fn a_make_recipe_fails() {
    let home = home();
    for (name, makefile) in [
        (
            "and",
            "deploy:\n\t@eval \"$$(awsrole env devv)\" && echo NEXT\n",
        ),
        // .POSIX: make runs each line with `sh -e`.
        (
            "posix",
            ".POSIX:\ndeploy:\n\t@eval \"$$(awsrole env devv)\"; echo NEXT\n",
        ),
    ] {
        std::fs::write(home.path().join("Makefile"), makefile).unwrap();
        let out = run(in_home(&home, "make").arg("deploy"));
        assert_eq!(out.code, 2, "{name}: {out:#?}");
        assert_reported(&out, name);
        assert!(out.stderr.contains("Error 3"), "{name}: {out:#?}");
        let ok = makefile.replace("devv", "dev");
        std::fs::write(home.path().join("Makefile"), ok).unwrap();
        let out = run(in_home(&home, "make").arg("deploy"));
        assert_eq!(out.code, 0, "{name}: {out:#?}");
        assert!(out.stdout.contains("NEXT"), "{name}: {out:#?}");
    }
}

#[test]
fn direnv_reports_the_failure_and_applies_nothing() {
    assert!(
        std::path::Path::new("/usr/bin/direnv").is_file(),
        "TEST PEER MISSING: /usr/bin/direnv (Debian package direnv; scripts/setup installs it)"
    );
    let home = home();
    let project = home.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let direnv = |envrc: &str| {
        std::fs::write(project.join(".envrc"), envrc).unwrap();
        run(in_home(&home, "direnv").arg("allow").arg(&project)).assert_success();
        run(in_home(&home, "direnv")
            .args(["export", "bash"])
            .current_dir(&project))
    };
    let out = direnv("export BEFORE=1\neval \"$(awsrole env devv)\"\nexport AFTER=1\n");
    assert_ne!(out.code, 0, "{out:#?}");
    assert!(out.stderr.contains(NOT_FOUND), "{out:#?}");
    assert!(out.stderr.contains("error exit status 3"), "{out:#?}");
    for name in ["BEFORE", "AFTER", "AWS_"] {
        assert!(!out.stdout.contains(name), "{name} applied: {out:#?}");
    }
    // Success: the variables reach direnv.
    let out = direnv("eval \"$(awsrole env dev)\"\n");
    out.assert_success();
    assert!(
        out.stdout.contains("export AWS_ACCESS_KEY_ID=AKIDDEV;"),
        "{out:#?}"
    );
}
