//! The check before each command (zsh preexec, fish_preexec, bash PS0 and
//! a DEBUG trap): credentials that expired while the shell sat idle are
//! renewed before the next command runs, and a fresh check starts nothing.

use super::*;

/// Links the venv's AWS CLI v1 into the session's PATH as `aws`.
fn link_aws(home: &TestHome) {
    install_wrapper(home);
    let link = home.path().join("bin/aws");
    if !link.exists() {
        std::os::unix::fs::symlink(common::venv_bin("aws"), link).unwrap();
    }
}

/// Loads the hook, takes credentials of 16 s (window 4 s), sits idle at
/// the prompt past their expiry, then types `aws sts get-caller-identity`.
/// Returns (the command's exit status, its stdout+stderr, AssumeRole calls
/// after the first, hook runs).
fn idle_then_command(sh: Sh, preexec: bool) -> (i32, String, usize, usize) {
    let (home, role) = role_home("duration_seconds = 16\n");
    link_aws(&home);
    let mut env = vec![("AWSROLE_REFRESH_BEFORE".to_string(), "4s".to_string())];
    if !preexec {
        env.push(("_AWSROLE_HOOK_PREEXEC".into(), "off".into()));
    }
    let s = Session::start(
        &home,
        sh,
        Opts {
            env,
            ..Opts::default()
        },
    );
    s.sync();
    s.cmd(&sh.eval_env("p"));
    assert_eq!(assume_calls(&role), 1);
    let exp = s.num("AWSROLE_EXPIRATION");
    assert!(now() + 4 < exp, "too slow: due before the idle spell");
    assert_eq!(hook_calls(&home).len(), 0);
    // Idle: no key pressed until the credentials have expired.
    sleep_until(exp + 1);
    s.cmd("aws sts get-caller-identity > ~/aws.out 2>&1; echo $? > ~/aws.rc");
    let rc: i32 = std::fs::read_to_string(home.path().join("aws.rc"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let out = std::fs::read_to_string(home.path().join("aws.out")).unwrap();
    s.assert_no_shell_errors();
    (
        rc,
        out,
        assume_calls(&role) - 1,
        hook_calls(&home).len(),
    )
}

fn idle_test(sh: Sh) {
    let off = std::thread::spawn(move || idle_then_command(sh, false));
    let (rc, out, assumed, runs) = idle_then_command(sh, true);
    assert_eq!(rc, 0, "{}: {out}", sh.name());
    assert!(out.contains(":assumed-role/"), "{out}");
    assert_eq!(assumed, 1, "exactly one AssumeRole for the idle spell");
    assert_eq!(runs, 1, "one refresh, before the command");
    // Without the check before the command, the same run fails: the test
    // can fail.
    let (rc, out, assumed, _) = off.join().unwrap();
    assert_ne!(rc, 0, "{}: without preexec: {out}", sh.name());
    assert!(out.contains("expired"), "{out}");
    assert_eq!(assumed, 0, "{out}");
}

#[test]
fn bash_refreshes_after_an_idle_spell_before_the_command() {
    idle_test(Sh::Bash);
}

#[test]
fn zsh_refreshes_after_an_idle_spell_before_the_command() {
    idle_test(Sh::Zsh);
}

#[test]
fn fish_refreshes_after_an_idle_spell_before_the_command() {
    idle_test(Sh::Fish);
}
