//! Interop with the real AWS CLI: each tool reuses the other's cache files
//! with zero STS calls, MFA answered once on a real terminal (tmux) serves
//! both, and the exported credentials work for the AWS CLI.

mod common;

use std::time::Duration;

use common::{TestHome, arn, assume_calls, hop, identity_arn, moto, run, unique};

const BASE: &str = "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\nregion = us-east-1\n";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

#[test]
fn aws_cli_v1_reuses_what_awsrole_cached() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("tocli"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nregion = us-east-1\n"
    ));
    run(home.cmd().args(["env", "r", "--shell", "bash"])).assert_success();
    assert_eq!(assume_calls(&role), 1);
    let out = run(&mut home.aws_v1_identity("r"));
    assert!(identity_arn(&out).contains(":assumed-role/"), "{out:?}");
    assert_eq!(assume_calls(&role), 1, "the AWS CLI made no AssumeRole");
}

#[test]
fn awsrole_reuses_what_aws_cli_v1_cached() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("fromcli"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nregion = us-east-1\n"
    ));
    run(home
        .aws_v1()
        .args(["sts", "get-caller-identity", "--profile", "r"]))
    .assert_success();
    assert_eq!(assume_calls(&role), 1);
    let written = home.cached(&hop(&role, None));
    let out = run(home.cmd().args(["env", "r", "--shell", "bash"]));
    out.assert_success();
    assert_eq!(assume_calls(&role), 1, "awsrole made no AssumeRole");
    assert!(out.stdout.contains(&format!(
        "export AWS_ACCESS_KEY_ID='{}'\n",
        written.access_key_id
    )));
}

#[test]
fn exported_credentials_are_the_ones_moto_issued() {
    let home = TestHome::new().with_moto();
    let name = unique("issued");
    let role = arn(&name);
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nregion = us-east-1\n"
    ));
    let exports = run(home.cmd().args(["env", "r", "--shell", "bash"]));
    exports.assert_success();
    // moto answers GetCallerIdentity with the role only for keys it issued.
    let script = format!(
        "eval \"$(cat <<'AWSROLE_EOF'\n{}AWSROLE_EOF\n)\"\nexec {} sts get-caller-identity --output json",
        exports.stdout,
        common::venv_bin("aws").display()
    );
    let out = run(std::process::Command::new("bash")
        .args(["--norc", "-c", &script])
        .env_clear()
        .envs(home.clean_env()));
    let got = identity_arn(&out);
    assert!(
        got.starts_with(&format!("arn:aws:sts::123456789012:assumed-role/{name}/")),
        "{got}"
    );
}

#[test]
fn aws_cli_v2_export_credentials_reads_awsrole_cache() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("v2"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nregion = us-east-1\n"
    ));
    run(home.cmd().args(["env", "r", "--shell", "bash"])).assert_success();
    let mine = home.cached(&hop(&role, None));
    let out = run(home.aws_v2().args([
        "configure",
        "export-credentials",
        "--profile",
        "r",
        "--format",
        "env",
    ]));
    out.assert_success();
    assert!(
        out.stdout.contains(&format!(
            "export AWS_ACCESS_KEY_ID={}\n",
            mine.access_key_id
        )),
        "{out:?}"
    );
    assert_eq!(assume_calls(&role), 1);
}

fn mfa_config(role: &str) -> String {
    format!(
        "{BASE}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = {SERIAL}\nregion = us-east-1\n"
    )
}

#[test]
fn mfa_on_a_real_terminal_then_the_aws_cli_needs_no_code() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("mfa"));
    home.write_config(&mfa_config(&role));
    let bin = common::awsrole_bin();
    let tmux = home.tmux("bash --norc --noprofile", 160, 40);
    tmux.send_line(&format!(
        "export AWSROLE_MFA_SESSION=off; eval \"$('{}' env m --shell bash)\"; echo \"done:$AWSROLE_PROFILE:${{#AWS_SESSION_TOKEN}}\"",
        bin.display()
    ));
    tmux.wait_for(
        &format!("Enter MFA code for {SERIAL}:"),
        Duration::from_secs(20),
    );
    tmux.send_line("909192");
    let screen = tmux.wait_for("done:m:", Duration::from_secs(30));
    assert!(
        !screen.contains("909192"),
        "the code must not be echoed:\n{screen}"
    );
    assert!(!screen.contains("done:m:0"), "token exported:\n{screen}");
    let reqs = moto().requests_where("AssumeRole", "RoleArn", &role);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("SerialNumber"), Some(SERIAL));
    assert_eq!(reqs[0].param("TokenCode"), Some("909192"));

    // No terminal for the AWS CLI here: it can only succeed from the cache.
    let out = run(&mut home.aws_v1_identity("m"));
    assert!(identity_arn(&out).contains(":assumed-role/"));
    assert_eq!(assume_calls(&role), 1);
}

#[test]
fn mfa_answered_to_the_aws_cli_serves_awsrole() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("climfa"));
    home.write_config(&mfa_config(&role));
    let aws = common::venv_bin("aws");
    let tmux = home.tmux(
        &format!(
            "'{}' sts get-caller-identity --profile m --output text; echo cli-finished; sleep 30",
            aws.display()
        ),
        160,
        40,
    );
    tmux.wait_for(
        &format!("Enter MFA code for {SERIAL}:"),
        Duration::from_secs(30),
    );
    tmux.send_line("654321");
    tmux.wait_for("cli-finished", Duration::from_secs(30));
    let reqs = moto().requests_where("AssumeRole", "RoleArn", &role);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("TokenCode"), Some("654321"));
    let written = home.cached(&hop(&role, Some(SERIAL)));

    // Without a terminal: awsrole can only succeed from the AWS CLI's cache.
    let mut cmd = std::process::Command::new("setsid");
    cmd.arg("-w")
        .arg(common::awsrole_bin())
        .args(["env", "m", "--shell", "bash"])
        .env_clear()
        .envs(home.clean_env());
    let out = run(&mut cmd);
    out.assert_success();
    assert!(out.stdout.contains(&written.access_key_id));
    assert_eq!(assume_calls(&role), 1);
}
