//! `awsrole exec` against a real moto STS, real programs and a real terminal
//! (tmux): the command replaces awsrole (same PID, signals, terminal, exit
//! status), sees the credentials `env` would export and no AWS_PROFILE.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Output, TestHome, arn, assume_calls, hop, run, unique};

const BASE: &str =
    "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";

/// A home whose profile `r` assumes a fresh role from static keys.
fn home_with_role(prefix: &str) -> (TestHome, String, String) {
    let home = TestHome::new().with_moto();
    let name = unique(prefix);
    let role = arn(&name);
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nregion = eu-west-2\n"
    ));
    (home, name, role)
}

fn exec(home: &TestHome, args: &[&str]) -> Output {
    run(home.cmd().arg("exec").args(args))
}

/// `env -0` output as a map.
fn parse_env0(text: &str) -> HashMap<String, String> {
    text.split('\0')
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (k, v) = e.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn the_exit_status_is_the_commands() {
    let (home, _, role) = home_with_role("exit");
    let out = exec(&home, &["r", "--", "sh", "-c", "exit 42"]);
    assert_eq!(out.code, 42, "{out:#?}");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    // Without `--`, and with options of the command that look like ours.
    let out = exec(
        &home,
        &["r", "sh", "-c", "echo \"$0 $1\"; exit 7", "--refresh", "x"],
    );
    assert_eq!(out.code, 7, "{out:#?}");
    assert_eq!(out.stdout, "--refresh x\n");
    assert_eq!(exec(&home, &["r", "--", "false"]).code, 1);
    assert_eq!(exec(&home, &["r", "--", "true"]).code, 0);
    assert_eq!(assume_calls(&role), 1, "the first exec cached the role");
}

#[test]
fn the_command_gets_the_env_variables_and_no_profile() {
    let (home, _, role) = home_with_role("vars");
    let out = run(home
        .cmd()
        .args(["exec", "r", "--", "env", "-0"])
        .env("AWS_PROFILE", "base")
        .env("AWS_DEFAULT_PROFILE", "base")
        .env("AWS_SECURITY_TOKEN", "stale-legacy-token")
        .env("AWS_SESSION_TOKEN", "stale-token")
        .env("SOMETHING_ELSE", "kept"));
    out.assert_success();
    assert_eq!(out.stderr, "");
    let env = parse_env0(&out.stdout);
    let c = home.cached(&hop(&role, None));
    let get = |k: &str| env.get(k).map(String::as_str);
    assert_eq!(get("AWS_ACCESS_KEY_ID"), Some(c.access_key_id.as_str()));
    assert_eq!(
        get("AWS_SECRET_ACCESS_KEY"),
        Some(c.secret_access_key.as_str())
    );
    assert_eq!(get("AWS_SESSION_TOKEN"), c.session_token.as_deref());
    let unix = c.expiration_unix().unwrap().to_string();
    assert_eq!(get("AWSROLE_EXPIRATION"), Some(unix.as_str()));
    let rfc = get("AWS_CREDENTIAL_EXPIRATION").unwrap();
    let rfc_secs = humantime::parse_rfc3339(rfc)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(rfc_secs.to_string(), unix);
    assert_eq!(get("AWS_REGION"), Some("eu-west-2"));
    assert_eq!(get("AWS_DEFAULT_REGION"), Some("eu-west-2"));
    assert_eq!(get("AWSROLE_PROFILE"), Some("r"));
    for gone in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"] {
        assert_eq!(get(gone), None, "{gone} must not reach the command");
    }
    assert_eq!(get("SOMETHING_ELSE"), Some("kept"));
    assert!(get("PATH").is_some() && get("HOME").is_some());

    // Exactly the variables `env` exports, with the same values.
    let exports = run(home.cmd().args(["env", "r", "--shell", "bash"]));
    exports.assert_success();
    for line in exports.stdout.lines() {
        let (name, value) = line
            .strip_prefix("export ")
            .unwrap()
            .split_once('=')
            .unwrap();
        assert_eq!(get(name), Some(value.trim_matches('\'')), "{name}");
    }
}

#[test]
fn long_term_keys_do_not_keep_a_stale_session_token() {
    let home = TestHome::new();
    home.write_credentials("[static]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = s\n");
    let out = run(home
        .cmd()
        .args(["exec", "static", "--", "env", "-0"])
        .env("AWS_SESSION_TOKEN", "stale-token")
        .env("AWS_CREDENTIAL_EXPIRATION", "2000-01-01T00:00:00Z")
        .env("AWSROLE_EXPIRATION", "946684800"));
    out.assert_success();
    let env = parse_env0(&out.stdout);
    assert_eq!(env.get("AWS_ACCESS_KEY_ID").unwrap(), "AKIDSTATIC");
    for gone in [
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWSROLE_EXPIRATION",
    ] {
        assert!(!env.contains_key(gone), "{gone} left over");
    }
}

#[test]
fn the_aws_cli_inside_uses_the_role_without_assuming_again() {
    let (home, name, role) = home_with_role("cli");
    let aws = common::venv_bin("aws");
    for round in 1..=2 {
        // AWS_PROFILE names the source profile: the command must not use it.
        let out = run(home
            .cmd()
            .arg("exec")
            .arg("r")
            .arg("--")
            .arg(&aws)
            .args(["sts", "get-caller-identity", "--output", "json"])
            .env("AWS_PROFILE", "base"));
        out.assert_success();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let got = v["Arn"].as_str().unwrap();
        assert!(
            got.starts_with(&format!("arn:aws:sts::123456789012:assumed-role/{name}/")),
            "round {round}: {got}"
        );
        assert_eq!(assume_calls(&role), 1, "round {round}");
    }
}

#[test]
fn the_command_replaces_awsrole_and_gets_its_signals() {
    let (home, _, _) = home_with_role("sig");
    let script = "trap 'kill $! 2>/dev/null; echo got-term; exit 43' TERM; \
                  echo pid:$$; sleep 30 & wait";
    let mut child = home
        .cmd()
        .args(["exec", "r", "--", "bash", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(
        first.trim(),
        format!("pid:{pid}"),
        "bash runs in awsrole's own process"
    );
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm.trim(), "bash");
    let kill = run(Command::new("kill").args(["-TERM", &pid.to_string()]));
    kill.assert_success();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(43),
        "the trap ran and its status came back"
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got-term\n");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(err, "");
}

#[test]
fn the_command_starts_with_default_signal_handling() {
    let (home, _, _) = home_with_role("sigmask");
    // cat is exec'd directly: its status is what awsrole passed on.
    let out = exec(&home, &["r", "--", "cat", "/proc/self/status"]);
    out.assert_success();
    let field = |name: &str| {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {}", out.stdout));
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    const SIGPIPE: u64 = 1 << (13 - 1);
    assert_eq!(
        field("SigIgn:") & SIGPIPE,
        0,
        "Rust ignores SIGPIPE; the command must not inherit that"
    );
    assert_eq!(field("SigBlk:"), 0, "no blocked signals");
}

#[test]
fn a_terminal_passes_through() {
    let (home, _, _) = home_with_role("tty");
    let bin = common::awsrole_bin();
    let tmux = home.tmux(
        &format!(
            "'{}' exec r -- bash -c 'read -p \"approve? \" x; echo got:$x; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty:yes; exit 3'; echo exit=$?",
            bin.display()
        ),
        120,
        20,
    );
    tmux.wait_for("approve?", Duration::from_secs(30));
    tmux.send_line("yes");
    let screen = tmux.wait_for("tty:yes", Duration::from_secs(30));
    assert!(screen.contains("got:yes"), "{screen}");
    // Printed by the shell around awsrole: tmux does not always report it.
    tmux.wait_for("exit=3", Duration::from_secs(30));
}

#[test]
fn a_missing_or_unrunnable_command_is_127_or_126() {
    let (home, _, _) = home_with_role("missing");
    let out = exec(&home, &["r", "--", "no-such-command-awsrole-test"]);
    assert_eq!(out.code, 127, "{out:#?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("cannot run `no-such-command-awsrole-test`: command not found"),
        "{}",
        out.stderr
    );
    let not_exec = home.path().join("not-executable");
    std::fs::write(&not_exec, "#!/bin/sh\necho hi\n").unwrap();
    let out = exec(&home, &["r", "--", not_exec.to_str().unwrap()]);
    assert_eq!(out.code, 126, "{out:#?}");
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    let out = exec(&home, &["r", "--", home.path().to_str().unwrap()]);
    assert_eq!(out.code, 126, "{out:#?}");
}

#[test]
fn failures_before_the_command_do_not_run_it() {
    let (home, _, _) = home_with_role("fail");
    let marker = home.path().join("ran");
    let touch = ["--", "touch", marker.to_str().unwrap()];
    let out = exec(&home, &[&["nosuch"][..], &touch].concat());
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(out.stderr.contains("`nosuch` not found"), "{}", out.stderr);

    let serial = "arn:aws:iam::123456789012:mfa/exec";
    let role = arn(&unique("execmfa"));
    home.write_config(&format!(
        "{BASE}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = {serial}\n"
    ));
    let out = exec(&home, &[&["--no-input", "m"][..], &touch].concat());
    assert_eq!(out.code, 6, "{out:#?}");
    assert_eq!(out.stdout, "");
    assert!(!marker.exists(), "the command must not run");
    assert_eq!(assume_calls(&role), 0);

    // No command at all is a usage error from clap.
    let out = exec(&home, &["r"]);
    assert_eq!(out.code, 2, "{out:#?}");
}

#[test]
fn a_silent_sts_endpoint_is_announced_and_the_command_not_run() {
    let (home, _, role) = home_with_role("silent");
    // Accepts connections (kernel backlog) and never answers.
    let (_silent, port) = common::servers::black_hole();
    let url = format!("http://127.0.0.1:{port}");
    let marker = home.path().join("ran");
    let started = Instant::now();
    let out = run(home
        .cmd()
        .args(["exec", "r", "--", "touch", marker.to_str().unwrap()])
        .env("AWS_ENDPOINT_URL_STS", &url));
    assert_eq!(out.code, 5, "{out:#?}");
    assert_eq!(out.stdout, "");
    let first = out.stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "awsrole: waiting for {url} to answer AssumeRole {role} for profile `r` (giving up after {}s)",
            awsrole::sts::CALL_TIMEOUT.as_secs()
        )
    );
    assert!(out.stderr.contains("awsrole: error: could not reach"));
    assert!(!marker.exists());
    assert!(started.elapsed() < awsrole::sts::CALL_TIMEOUT + Duration::from_secs(5));
}

#[test]
fn stdout_is_the_commands_alone_even_on_a_cold_start() {
    let (home, _, role) = home_with_role("stdout");
    let started = Instant::now();
    let out = exec(&home, &["r", "--", "printf", "only-this"]);
    out.assert_success();
    assert_eq!(out.stdout, "only-this");
    assert_eq!(out.stderr, "");
    assert_eq!(assume_calls(&role), 1);
    assert!(started.elapsed() < Duration::from_secs(20));
}
