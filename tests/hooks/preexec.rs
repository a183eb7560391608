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

/// Sets the expiration of every cache entry to `t` (Unix seconds).
fn expire_cache_at(home: &TestHome, t: u64) {
    for entry in std::fs::read_dir(home.cache_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        json["Credentials"]["Expiration"] = serde_json::Value::String(
            awsrole::timefmt::format_utc(UNIX_EPOCH + Duration::from_secs(t)),
        );
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    }
}

/// Loads the hook, takes credentials from a cache entry that expires in
/// 14 s (window 4 s), sits idle at the prompt past their expiry, then
/// types `aws sts get-caller-identity`. (The AWS CLI refuses credentials
/// with less than 10 minutes left, so the entry is shortened in the cache
/// rather than issued short.) Returns (the command's exit status, its
/// output, AssumeRole calls after the cache entry was made, hook runs).
fn idle_then_command(sh: Sh, preexec: bool, before: &str) -> (i32, String, usize, usize) {
    let (home, role) = role_home("region = us-east-1\n");
    link_aws(&home);
    home.env_bash(&["p"]).assert_success();
    assert_eq!(assume_calls(&role), 1);
    let mut env = vec![("AWSROLE_REFRESH_BEFORE".to_string(), "4s".to_string())];
    if !preexec {
        env.push(("_AWSROLE_HOOK_PREEXEC".into(), "off".into()));
    }
    let s = Session::start(
        &home,
        sh,
        Opts {
            env,
            before: before.to_string(),
            ..Opts::default()
        },
    );
    s.sync();
    expire_cache_at(&home, now() + 14);
    let eval = match sh {
        Sh::Fish => "awsrole env --min-ttl 5s p | source",
        _ => "eval \"$(awsrole env --min-ttl 5s p)\"",
    };
    s.cmd(eval);
    let exp = s.num("AWSROLE_EXPIRATION");
    assert!(now() + 4 < exp, "too slow: due before the idle spell");
    assert_eq!(assume_calls(&role), 1, "the eval took the cache entry");
    // (Only `env --hook` runs are the hook's, not the eval above.)
    let runs = || hook_calls(&home).len();
    assert_eq!(runs(), 0);
    // Idle: no key pressed until the credentials have expired.
    sleep_until(exp + 1);
    let status = if sh == Sh::Fish { "$status" } else { "$?" };
    s.cmd(&format!(
        "aws sts get-caller-identity > ~/aws.out 2>&1; echo {status} > ~/aws.rc"
    ));
    let rc: i32 = std::fs::read_to_string(home.path().join("aws.rc"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let out = std::fs::read_to_string(home.path().join("aws.out")).unwrap();
    s.assert_no_shell_errors();
    (rc, out, assume_calls(&role) - 1, runs())
}

fn idle_test(sh: Sh) {
    let off = std::thread::spawn(move || idle_then_command(sh, false, ""));
    let (rc, out, assumed, runs) = idle_then_command(sh, true, "");
    assert_eq!(
        rc,
        0,
        "{}: {out} (AssumeRole {assumed}, hook runs {runs})",
        sh.name()
    );
    assert!(out.contains(":assumed-role/"), "{out}");
    assert_eq!(assumed, 1, "exactly one AssumeRole for the idle spell");
    assert_eq!(runs, 1, "one refresh, before the command");
    // Without the check before the command, the same run fails: the test
    // can fail.
    let (rc, out, assumed, _) = off.join().unwrap();
    assert_ne!(rc, 0, "{}: without preexec: {out}", sh.name());
    assert!(out.contains("expired"), "{out}");
    // Renewed at the prompt after the command: too late for it.
    assert_eq!(assumed, 1, "{out}");
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

/// Inside `awsrole exec --server`, the child has AWSROLE_PROFILE and the
/// endpoint but no AWSROLE_EXPIRATION: neither check runs `awsrole`.
#[test]
fn under_exec_server_no_check_runs() {
    for sh in [Sh::Bash, Sh::Zsh, Sh::Fish] {
        let (home, _) = role_home("");
        let s = Session::start(
            &home,
            sh,
            Opts {
                env: vec![
                    ("AWSROLE_PROFILE".into(), "p".into()),
                    (
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
                        "http://127.0.0.1:9/x".into(),
                    ),
                ],
                ..Opts::default()
            },
        );
        for _ in 0..3 {
            s.cmd("true");
        }
        // The same shell with an expiration does run the check (it can fail).
        assert_eq!(hook_calls(&home), Vec::<String>::new(), "{sh:?}");
        s.cmd(&sh.export("AWSROLE_EXPIRATION", &(now() - 10).to_string()));
        assert_eq!(hook_calls(&home).len(), 1, "{sh:?}");
        s.assert_no_shell_errors();
    }
}

/// A minimal preexec framework written for this test, with the interface
/// of bash-preexec (which no registry ships, so it is not installed here):
/// `preexec_functions` and `precmd_functions` run from its own DEBUG trap
/// (once per typed command line) and PROMPT_COMMAND, and `bash_preexec_imported`
/// set. The hook joins `preexec_functions` and sets no PS0 or DEBUG trap
/// of its own; the idle test passes through the framework.
const PREEXEC_FRAMEWORK: &str = r#"
bash_preexec_imported=defined
precmd_functions=() preexec_functions=()
__fw_ready=1
__fw_debug() {
    # Not for PROMPT_COMMAND's own elements: once per typed command line.
    [[ -n $__fw_ready && " ${PROMPT_COMMAND[*]} " != *" $BASH_COMMAND "* ]] || return 0
    __fw_ready=
    local f
    for f in "${preexec_functions[@]}"; do "$f" "$BASH_COMMAND"; done
}
__fw_precmd() {
    local s=$? f
    for f in "${precmd_functions[@]}"; do "$f"; done
    __fw_ready=1
    return $s
}
trap '__fw_debug' DEBUG
PROMPT_COMMAND+=(__fw_precmd)
"#;

#[test]
fn bash_with_a_preexec_framework_refreshes_through_it() {
    let (rc, out, assumed, runs) = idle_then_command(Sh::Bash, true, PREEXEC_FRAMEWORK);
    assert_eq!(rc, 0, "{out} (AssumeRole {assumed}, hook runs {runs})");
    assert!(out.contains(":assumed-role/"), "{out}");
    assert_eq!((assumed, runs), (1, 1));

    let (home, _) = role_home("");
    let s = Session::start(
        &home,
        Sh::Bash,
        Opts {
            before: PREEXEC_FRAMEWORK.to_string(),
            twice: true,
            ..Opts::default()
        },
    );
    s.cmd("trap -p DEBUG > ~/trap-out; printf '%s\\n' \"${preexec_functions[@]}\" > ~/fns-out; printf '%s' \"${PS0-}\" > ~/ps0-out");
    let read = |f: &str| std::fs::read_to_string(home.path().join(f)).unwrap();
    assert_eq!(read("trap-out"), "trap -- '__fw_debug' DEBUG\n");
    assert_eq!(read("fns-out"), "__awsrole_debug_bp\n", "joined once");
    assert_eq!(read("ps0-out"), "");
    s.assert_no_shell_errors();
}

/// bash 4.4 has no $EPOCHSECONDS: its PS0 reads the clock with the prompt
/// escape \D{%s}. The printf clock (bash 4.2+) selects that PS0 here.
#[test]
fn bash_ps0_with_the_strftime_clock_refreshes_before_the_command() {
    let before = "export _AWSROLE_HOOK_CLOCK=printf\n";
    let (rc, out, assumed, runs) = idle_then_command(Sh::Bash, true, before);
    assert_eq!(rc, 0, "{out} (AssumeRole {assumed}, hook runs {runs})");
    assert_eq!((assumed, runs), (1, 1));
}

/// PS0 compares the clock with __awsrole_n in arithmetic, where a value
/// like `a[$(cmd)]` would run cmd: the hook copies AWSROLE_NEXT there only
/// as a decimal number (leading zeros are not octal); anything else is 0,
/// due. Expanded as a prompt with ${PS0@P}, as bash does after Enter.
#[test]
fn bash_ps0_never_evaluates_awsrole_next() {
    let later = now() + 3600;
    for (clock, next, want) in [
        ("", "a[$(echo pwned >&2)]", "n=0 go=1".to_string()),
        ("printf", "a[$(echo pwned >&2)]", "n=0 go=1".to_string()),
        ("", &format!("000{later}"), format!("n={later} go=0")),
        ("printf", "0", "n=0 go=1".to_string()),
    ] {
        let body = format!(
            "export AWSROLE_PROFILE=p AWSROLE_EXPIRATION={} AWSROLE_NEXT={}\n\
             __awsrole_refresh() {{ :; }}\n__awsrole_hook\n: \"${{PS0@P}}\"\n\
             echo \"n=$__awsrole_n go=$__awsrole_go\"\n",
            later + 600,
            sh_quote(next)
        );
        let out = driver_for(Sh::Bash, clock, &body);
        assert_eq!(out.code, 0, "{next}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{next}");
        assert_eq!(out.stdout.trim(), want, "{clock} {next}");
    }
}
