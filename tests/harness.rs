//! Proves the shared test harness (tests/common) works, and can fail.

mod common;

use common::*;
use std::time::Duration;

const FAKE_KEYS: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

#[test]
fn moto_counts_assume_role_from_aws_cli_v1() {
    let home = TestHome::new().with_moto();
    home.write_credentials(FAKE_KEYS);
    let arn = format!("arn:aws:iam::123456789012:role/{}", unique("harness"));
    let other = format!("arn:aws:iam::123456789012:role/{}", unique("harness-other"));
    let external_id = "ext é&=+ id";

    assert_eq!(moto().count("AssumeRole", "RoleArn", &arn), 0);
    let out = run(home.aws_v1().args([
        "sts",
        "assume-role",
        "--region",
        "us-east-1",
        "--role-arn",
        &arn,
        "--role-session-name",
        "harness-session",
        "--duration-seconds",
        "1234",
        "--external-id",
        external_id,
        "--serial-number",
        "arn:aws:iam::123456789012:mfa/harness",
        "--token-code",
        "123456",
    ]));
    out.assert_success();
    let reply: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON from aws");
    assert!(
        reply["Credentials"]["AccessKeyId"].as_str().is_some(),
        "{reply}"
    );

    let moto = moto();
    assert_eq!(
        moto.count("AssumeRole", "RoleArn", &arn),
        1,
        "{}",
        moto.log()
    );
    assert_eq!(moto.count("AssumeRole", "RoleArn", &other), 0);
    assert_eq!(moto.count("GetCallerIdentity", "RoleArn", &arn), 0);

    let reqs = moto.requests_where("AssumeRole", "RoleArn", &arn);
    let req = &reqs[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.action, "AssumeRole");
    assert_eq!(req.param("RoleSessionName"), Some("harness-session"));
    assert_eq!(req.param("DurationSeconds"), Some("1234"));
    assert_eq!(req.param("ExternalId"), Some(external_id));
    assert_eq!(
        req.param("SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/harness")
    );
    assert_eq!(req.param("TokenCode"), Some("123456"));
    assert!(req.body_text().starts_with("Action=AssumeRole&"), "{req:?}");
    assert!(
        req.header("authorization")
            .is_some_and(|a| a.contains("/us-east-1/sts/aws4_request")),
        "{req:?}"
    );
}

#[test]
fn recording_parser_and_form_decoding() {
    // The exact shape moto 5.2.5 writes (one JSON object per line).
    let line = br#"{"headers": {"Host": "127.0.0.1:1", "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, "method": "POST", "url": "http://127.0.0.1:1/?Version=2011-06-15", "body": "QWN0aW9uPUFzc3VtZVJvbGUmUm9sZUFybj1hJTNBYiUyRmMmRXh0ZXJuYWxJZD0lQzMlQTkreCUyNnk=", "body_encoded": true}
{"headers": {}, "method": "GET", "url": "http://127.0.0.1:1/?Action=GetCallerIdentity", "body": "", "body_encoded": false}
"#;
    let reqs = parse_recording(line);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].action, "AssumeRole");
    assert_eq!(reqs[0].param("RoleArn"), Some("a:b/c"));
    assert_eq!(reqs[0].param("ExternalId"), Some("é x&y"));
    assert_eq!(reqs[0].param("Version"), Some("2011-06-15"));
    assert_eq!(
        reqs[0].body_text(),
        "Action=AssumeRole&RoleArn=a%3Ab%2Fc&ExternalId=%C3%A9+x%26y"
    );
    assert_eq!(reqs[1].action, "GetCallerIdentity");
    assert!(reqs[1].body.is_empty());
}

#[test]
fn unique_names_differ() {
    let a = unique("r");
    let b = unique("r");
    assert_ne!(a, b);
    assert!(a.starts_with("r-"));
    assert!(
        a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
}

const TRICKY: &str = "it's \"quoted\" $HOME `x` \\ back\nnew line é ✓ *?[ ]";

fn tricky_script(shell: &str) -> String {
    match shell {
        // fish: inside '...' only \' and \\ are escapes.
        "fish" => format!(
            "set -gx TRICKY '{}'\nset -gx EMPTY ''\nset -g LOCAL_ONLY x\n",
            TRICKY.replace('\\', "\\\\").replace('\'', "\\'")
        ),
        _ => format!(
            "export TRICKY={}\nexport EMPTY=''\nLOCAL_ONLY=x\n",
            sh_quote(TRICKY)
        ),
    }
}

#[test]
fn shell_eval_is_byte_exact_in_real_shells() {
    for shell in ["bash", "zsh", "fish", "sh"] {
        let script = tricky_script(shell);
        let vars = shell_eval(shell, &script, &["TRICKY", "EMPTY", "LOCAL_ONLY", "NOPE"]);
        assert_eq!(vars["TRICKY"].as_deref(), Some(TRICKY), "{shell}");
        assert_eq!(vars["EMPTY"].as_deref(), Some(""), "{shell}");
        assert_eq!(vars["LOCAL_ONLY"].as_deref(), Some("x"), "{shell}");
        assert_eq!(vars["NOPE"], None, "{shell}");

        let env = shell_eval_exported(shell, &script, &["TRICKY", "EMPTY", "LOCAL_ONLY"]);
        assert_eq!(env["TRICKY"].as_deref(), Some(TRICKY), "{shell}");
        assert_eq!(env["EMPTY"].as_deref(), Some(""), "{shell}");
        assert_eq!(env["LOCAL_ONLY"], None, "{shell}: not exported");
    }
}

#[test]
fn shell_eval_sees_wrong_quoting() {
    // Unquoted: bash splits the word, so the value differs (the harness must see it).
    let vars = shell_eval("bash", "export X=a\\ b'c'\n", &["X"]);
    assert_eq!(vars["X"].as_deref(), Some("a bc"));
    let vars = shell_eval("bash", "unset X; X=\"$(printf 'a\\n\\n')\"\n", &["X"]);
    assert_eq!(
        vars["X"].as_deref(),
        Some("a"),
        "command substitution strips"
    );
}

#[test]
#[should_panic(expected = "a fish list of 2 elements")]
fn shell_eval_rejects_fish_lists() {
    shell_eval("fish", "set -gx X a b\n", &["X"]);
}

#[test]
#[should_panic(expected = "shell bash failed")]
fn shell_eval_panics_on_shell_errors() {
    shell_eval("bash", "export X='unterminated\n", &["X"]);
}

#[test]
fn tmux_drives_interactive_bash() {
    let home = TestHome::new();
    let tmux = home.tmux("exec bash --norc --noprofile -i", 100, 30);
    tmux.send_line("PS1='ready> '");
    tmux.wait_for("ready> ", Duration::from_secs(10));
    tmux.send_line("echo \"sum=$((40 + 2)) home=$HOME\"");
    let screen = tmux.wait_for("sum=42", Duration::from_secs(10));
    assert!(
        screen.contains(&format!("sum=42 home={}", home.path().display())),
        "{screen}"
    );
}

#[test]
#[should_panic(expected = "waiting for \"never printed\"")]
fn tmux_wait_for_times_out_with_screen() {
    let tmux = Tmux::start("echo hello; sleep 30", [("X", "1")], 80, 24);
    tmux.wait_for("hello", Duration::from_secs(10));
    tmux.wait_for("never printed", Duration::from_millis(300));
}

#[test]
fn aws_v2_cannot_leave_the_machine() {
    // A cache miss in AWS CLI v2 must fail fast through the dead proxy.
    let home = TestHome::new().with_moto();
    home.write_credentials(FAKE_KEYS);
    let out = run(home
        .aws_v2()
        .args(["sts", "get-caller-identity", "--region", "us-east-1"])
        .env("AWS_MAX_ATTEMPTS", "1"));
    // Either v2 honours AWS_ENDPOINT_URL_STS (reaches moto) or it fails at the proxy.
    if !out.success() {
        assert!(
            out.stderr.to_ascii_lowercase().contains("proxy")
                || out.stderr.contains("Could not connect"),
            "{out:#?}"
        );
    }
}
