//! MFA codes without a terminal (AWSROLE_MFA_CODE, mfa_process), and MFA
//! sessions: one GetSessionToken serves every role with the same device and
//! keys; a real terminal (tmux) for the prompt; concurrent shells share one
//! prompt. What was sent is read back from moto's recorder.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{TestHome, arn, moto, run, unique};

fn serial() -> String {
    format!("arn:aws:iam::123456789012:mfa/{}", unique("dev"))
}

const BASE: &str = "[profile user]\naws_access_key_id = AKIAMFAUSERKEY000001\naws_secret_access_key = user-secret\n";

fn roles(serial: &str, names: &[(&str, &str)], extra: &str) -> String {
    let mut text = BASE.to_string();
    for (profile, role) in names {
        text.push_str(&format!(
            "[profile {profile}]\nrole_arn = {role}\nsource_profile = user\nmfa_serial = {serial}\n{extra}"
        ));
    }
    text
}

fn session_calls(serial: &str) -> Vec<common::RecordedRequest> {
    moto().requests_where("GetSessionToken", "SerialNumber", serial)
}

fn env(home: &TestHome, profile: &str) -> Command {
    let mut cmd = home.cmd();
    cmd.args(["env", profile, "--shell", "bash"]);
    cmd
}

#[test]
fn code_from_the_variable_or_mfa_process_without_a_session() {
    let home = TestHome::new().with_moto();
    let s = serial();
    let (a, b, c) = (
        arn(&unique("mfa-a")),
        arn(&unique("mfa-b")),
        arn(&unique("mfa-c")),
    );
    home.write_config(&format!(
        "{}[profile b]\nrole_arn = {b}\nsource_profile = user\nmfa_serial = {s}\nmfa_process = printf '%s\\n' 333444\n\
         [profile c]\nrole_arn = {c}\nsource_profile = user\nmfa_serial = {s}\nmfa_process = echo 'the vault is locked' >&2; exit 1\n",
        roles(&s, &[("a", &a)], "")
    ));
    // The variable, with --no-input: no terminal is needed.
    run(env(&home, "a")
        .arg("--no-input")
        .env("AWSROLE_MFA_SESSION", "off")
        .env("AWSROLE_MFA_CODE", "111222"))
    .assert_success();
    let sent = moto().requests_where("AssumeRole", "RoleArn", &a);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("TokenCode"), Some("111222"));
    assert_eq!(sent[0].param("SerialNumber"), Some(s.as_str()));

    // mfa_process: its output is the code.
    run(env(&home, "b")
        .arg("--no-input")
        .env("AWSROLE_MFA_SESSION", "off"))
    .assert_success();
    let sent = moto().requests_where("AssumeRole", "RoleArn", &b);
    assert_eq!(sent[0].param("TokenCode"), Some("333444"));

    // The variable wins over mfa_process.
    run(env(&home, "b")
        .args(["--refresh"])
        .env("AWSROLE_MFA_SESSION", "off")
        .env("AWSROLE_MFA_CODE", "555666"))
    .assert_success();
    let sent = moto().requests_where("AssumeRole", "RoleArn", &b);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].param("TokenCode"), Some("555666"));

    // A failing mfa_process: exit 6, its stderr passed through, no STS call.
    let out = run(env(&home, "c").env("AWSROLE_MFA_SESSION", "off"));
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        out.stderr.contains("the vault is locked") && out.stderr.contains("mfa_process"),
        "{}",
        out.stderr
    );
    assert_eq!(moto().count("AssumeRole", "RoleArn", &c), 0);

    // --no-input with no code source at all: exit 6 at once.
    let out = run(env(&home, "a")
        .args(["--no-input", "--refresh"])
        .env("AWSROLE_MFA_SESSION", "off"));
    assert_eq!(out.code, 6, "{out:?}");
}

#[test]
fn one_mfa_session_serves_every_role_with_the_device() {
    let home = TestHome::new().with_moto();
    let s = serial();
    let (r1, r2) = (arn(&unique("sess-1")), arn(&unique("sess-2")));
    home.write_config(&roles(
        &s,
        &[("r1", &r1), ("r2", &r2)],
        "region = us-east-1\n",
    ));

    run(env(&home, "r1").env("AWSROLE_MFA_CODE", "123456")).assert_success();
    let sessions = session_calls(&s);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].param("TokenCode"), Some("123456"));
    assert_eq!(sessions[0].param("DurationSeconds"), Some("28800"));
    assert!(
        sessions[0]
            .header("Authorization")
            .unwrap_or("")
            .contains("Credential=AKIAMFAUSERKEY000001/")
    );
    let first = moto().requests_where("AssumeRole", "RoleArn", &r1);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].param("TokenCode"), None);
    assert_eq!(first[0].param("SerialNumber"), None);

    // The second role: no code available and --no-input, yet it works.
    run(env(&home, "r2").arg("--no-input")).assert_success();
    let second = moto().requests_where("AssumeRole", "RoleArn", &r2);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].param("TokenCode"), None);
    assert_eq!(session_calls(&s).len(), 1, "no second GetSessionToken");

    // The session file: its own folder, private.
    use std::os::unix::fs::PermissionsExt;
    let dir = home.path().join(".aws/awsrole/mfa-sessions");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(mode(&files[0]), 0o600);

    // The AWS CLI, with no terminal, finds the role under its own key.
    let out = run(home
        .aws_v1()
        .args(["sts", "get-caller-identity", "--profile", "r1"]));
    out.assert_success();
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r1), 1);
}

#[test]
fn session_lifetime_is_configurable_and_sessions_can_be_off() {
    let home = TestHome::new().with_moto();
    let s = serial();
    let (r1, r2) = (arn(&unique("life-1")), arn(&unique("life-2")));
    home.write_config(&roles(&s, &[("r1", &r1), ("r2", &r2)], ""));
    run(env(&home, "r1")
        .env("AWSROLE_MFA_CODE", "100200")
        .env("AWSROLE_MFA_SESSION", "2h"))
    .assert_success();
    assert_eq!(session_calls(&s)[0].param("DurationSeconds"), Some("7200"));

    // Off: the session is not used; the code goes to AssumeRole.
    run(env(&home, "r2")
        .env("AWSROLE_MFA_CODE", "300400")
        .env("AWSROLE_MFA_SESSION", "off"))
    .assert_success();
    let sent = moto().requests_where("AssumeRole", "RoleArn", &r2);
    assert_eq!(sent[0].param("TokenCode"), Some("300400"));
    assert_eq!(session_calls(&s).len(), 1);

    let bad = run(env(&home, "r2")
        .arg("--refresh")
        .env("AWSROLE_MFA_SESSION", "5m"));
    assert_eq!(bad.code, 2, "{bad:?}");
}

#[test]
fn session_prompt_on_a_real_terminal_then_no_second_prompt() {
    let home = TestHome::new().with_moto();
    let s = serial();
    let (r1, r2) = (arn(&unique("tty-1")), arn(&unique("tty-2")));
    home.write_config(&roles(&s, &[("r1", &r1), ("r2", &r2)], ""));
    let bin = common::awsrole_bin();
    let tmux = home.tmux("bash --norc --noprofile", 200, 40);
    tmux.send_line(&format!(
        "eval \"$('{b}' env r1 --shell bash)\"; echo \"one:$AWSROLE_PROFILE\"; eval \"$('{b}' env r2 --shell bash)\"; echo \"two:$AWSROLE_PROFILE\"",
        b = bin.display()
    ));
    tmux.wait_for(&format!("Enter MFA code for {s}:"), Duration::from_secs(20));
    tmux.send_line("778899");
    let screen = tmux.wait_for("two:r2", Duration::from_secs(30));
    assert!(screen.contains("one:r1"), "{screen}");
    assert!(
        !screen.contains("778899"),
        "the code must not be echoed:\n{screen}"
    );
    assert_eq!(
        screen.matches("Enter MFA code").count(),
        1,
        "one prompt for two roles:\n{screen}"
    );
    let sessions = session_calls(&s);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].param("TokenCode"), Some("778899"));
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r2), 1);
}

#[test]
fn concurrent_shells_share_one_prompt() {
    let home = TestHome::new().with_moto();
    let s = serial();
    let (r1, r2) = (arn(&unique("conc-1")), arn(&unique("conc-2")));
    home.write_config(&roles(&s, &[("r1", &r1), ("r2", &r2)], ""));
    let bin = common::awsrole_bin();
    let tmux = home.tmux(
        &format!(
            "'{}' env r1 --shell bash >/dev/null; echo status-a:$?; sleep 30",
            bin.display()
        ),
        200,
        40,
    );
    tmux.wait_for(&format!("Enter MFA code for {s}:"), Duration::from_secs(20));
    // A second shell, with no terminal at all, wants another role with the
    // same device: it waits for the first one's session.
    let waiting = Command::new("setsid")
        .arg("-w")
        .arg(&bin)
        .args(["env", "r2", "--shell", "bash"])
        .env_clear()
        .envs(home.clean_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    tmux.send_line("135790");
    let out = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("wait"), "says it waits: {stderr}");
    assert!(!stderr.contains("Enter MFA code"), "{stderr}");
    tmux.wait_for("status-a:0", Duration::from_secs(30));
    let sessions = session_calls(&s);
    assert_eq!(sessions.len(), 1, "one code, one GetSessionToken");
    assert_eq!(sessions[0].param("TokenCode"), Some("135790"));
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r1), 1);
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r2), 1);
}

#[test]
fn clear_removes_the_mfa_session_too() {
    let home = TestHome::new().with_moto();
    let s = serial();
    let role = arn(&unique("sess-clear"));
    home.write_config(&roles(&s, &[("r1", &role)], "region = us-east-1\n"));
    run(env(&home, "r1").env("AWSROLE_MFA_CODE", "121212")).assert_success();
    let dir = home.path().join(".aws/awsrole/mfa-sessions");
    let sessions = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "json")
                })
                .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(sessions(&dir), 1);
    let out = run(home.cmd().args(["clear", "r1"]));
    out.assert_success();
    assert!(out.stderr.contains("MFA session for"), "{}", out.stderr);
    assert_eq!(sessions(&dir), 0, "session file removed");
    // Without the session and the role entry, a code is needed again.
    let again = run(env(&home, "r1").arg("--no-input"));
    assert_eq!(again.code, 6, "{again:?}");
    assert_eq!(session_calls(&s).len(), 1);
}
