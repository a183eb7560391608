//! `awsrole credential-process` with the real AWS CLI v1 and moto: a
//! profile whose `credential_process` is awsrole gets the role, from
//! awsrole's cache on the second call, with the MFA code asked on the
//! terminal; loops back into the same profile are refused at once.

mod common;

use std::time::{Duration, Instant};

use common::{Output, TestHome, arn, assume_calls, hop, identity_arn, moto, run, unique};

const BASE: &str = "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\nregion = us-east-1\n";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/cp";

/// `credential_process = '<abs path>' credential-process PROFILE`
fn process_line(profile: &str) -> String {
    format!(
        "credential_process = {} credential-process {profile}\n",
        common::sh_quote(common::awsrole_bin().to_str().unwrap())
    )
}

fn cp(home: &TestHome, args: &[&str]) -> Output {
    run(home.cmd().arg("credential-process").args(args))
}

/// GetCallerIdentity requests moto got signed with `key_id`.
fn identity_calls_signed_by(key_id: &str) -> usize {
    moto()
        .requests()
        .iter()
        .filter(|r| r.action == "GetCallerIdentity")
        .filter(|r| {
            r.header("Authorization")
                .is_some_and(|a| a.contains(&format!("Credential={key_id}/")))
        })
        .count()
}

#[test]
fn prints_version_1_json_of_the_cached_role() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("json"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    let out = cp(&home, &["r"]);
    out.assert_success();
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out.stdout.ends_with('\n'));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let c = home.cached(&hop(&role, None));
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], c.access_key_id.as_str());
    assert_eq!(v["SecretAccessKey"], c.secret_access_key.as_str());
    assert_eq!(v["SessionToken"], c.session_token.as_deref().unwrap());
    let exp = v["Expiration"].as_str().unwrap();
    assert!(exp.ends_with('Z'), "{exp}");
    let parsed = humantime::parse_rfc3339(exp).unwrap();
    assert_eq!(
        parsed
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        c.expiration_unix().unwrap()
    );
    assert_eq!(v.as_object().unwrap().len(), 5);
    // Warm: the same JSON, no STS call.
    let again = cp(&home, &["r"]);
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(assume_calls(&role), 1);
}

#[test]
fn long_term_keys_have_no_token_or_expiration() {
    let home = TestHome::new();
    home.write_credentials("[k]\naws_access_key_id = AKIDK\naws_secret_access_key = sec\n");
    let out = cp(&home, &["k"]);
    out.assert_success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"Version": 1, "AccessKeyId": "AKIDK", "SecretAccessKey": "sec"})
    );
}

#[test]
fn aws_cli_v1_profile_with_awsrole_as_credential_process() {
    let home = TestHome::new().with_moto();
    let name = unique("viacli");
    let role = arn(&name);
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\n\
         [profile marketing]\n{}region = us-east-1\n",
        process_line("r")
    ));
    let first = run(&mut home.aws_v1_identity("marketing"));
    assert!(
        identity_arn(&first)
            .starts_with(&format!("arn:aws:sts::123456789012:assumed-role/{name}/")),
        "{first:?}"
    );
    assert_eq!(assume_calls(&role), 1);
    let second = run(&mut home.aws_v1_identity("marketing"));
    assert_eq!(identity_arn(&second), identity_arn(&first));
    assert_eq!(
        assume_calls(&role),
        1,
        "the second call came from awsrole's cache"
    );
    let key = home.cached(&hop(&role, None)).access_key_id;
    assert_eq!(
        identity_calls_signed_by(&key),
        2,
        "both calls were signed with the role credentials awsrole cached"
    );
}

#[test]
fn mfa_is_asked_on_the_terminal_under_the_aws_cli() {
    let home = TestHome::new().with_moto();
    let name = unique("cpmfa");
    let role = arn(&name);
    home.write_config(&format!(
        "{BASE}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = {SERIAL}\n\
         [profile viam]\n{}region = us-east-1\n",
        process_line("m")
    ));
    let aws = common::venv_bin("aws");
    let tmux = home.tmux(
        &format!(
            "AWSROLE_MFA_SESSION=off '{}' sts get-caller-identity --profile viam --output text; echo cli-status:$?; sleep 30",
            aws.display()
        ),
        200,
        40,
    );
    tmux.wait_for(
        &format!("Enter MFA code for {SERIAL}:"),
        Duration::from_secs(30),
    );
    tmux.send_line("424242");
    let screen = tmux.wait_for("cli-status:", Duration::from_secs(30));
    assert!(screen.contains("cli-status:0"), "{screen}");
    assert!(
        screen.contains(&format!("assumed-role/{name}/")),
        "{screen}"
    );
    assert!(!screen.contains("424242"), "the code must not be echoed");
    let reqs = moto().requests_where("AssumeRole", "RoleArn", &role);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("TokenCode"), Some("424242"));
    assert_eq!(reqs[0].param("SerialNumber"), Some(SERIAL));

    // No terminal now: only the cache can answer, with no prompt.
    let mut cmd = std::process::Command::new("setsid");
    cmd.arg("-w")
        .arg(aws)
        .args(["sts", "get-caller-identity", "--profile", "viam"])
        .env_clear()
        .envs(home.clean_env());
    run(&mut cmd).assert_success();
    assert_eq!(assume_calls(&role), 1);

    // And with --no-input on a cold cache: exit 6, nothing on stdout.
    let cold = TestHome::new().with_moto();
    std::fs::copy(home.config_path(), cold.config_path()).unwrap();
    let out = cp(&cold, &["--no-input", "m"]);
    assert_eq!(out.code, 6, "{out:#?}");
    assert_eq!(out.stdout, "");
}

#[test]
fn a_profile_whose_process_points_back_at_itself_is_refused() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("loop"));
    home.write_config(&format!(
        "[profile x]\n{}\
         [profile y]\nrole_arn = {role}\nsource_profile = z\n\
         [profile z]\n{}",
        process_line("x"),
        process_line("y")
    ));
    // Directly: exit 3 with the fix, nothing on stdout.
    let out = cp(&home, &["x"]);
    assert_eq!(out.code, 3, "{out:#?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains(".aws/config:2: profile `x`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("leads back"), "{}", out.stderr);
    // y -> source z -> process(y): every command refuses it.
    for args in [
        &["credential-process", "y"][..],
        &["env", "y", "--shell", "bash"],
        &["exec", "y", "--", "true"],
    ] {
        let out = run(home.cmd().args(args));
        assert_eq!(out.code, 3, "{args:?}: {out:#?}");
        assert!(
            out.stderr
                .contains("`z` runs `awsrole credential-process y`"),
            "{}",
            out.stderr
        );
    }
    // Through the AWS CLI: a prompt failure carrying our message, not a hang.
    for profile in ["x", "z"] {
        let started = Instant::now();
        let out = run(&mut home.aws_v1_identity(profile));
        out.assert_failure();
        assert!(out.stderr.contains("leads back"), "{}", out.stderr);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    assert_eq!(assume_calls(&role), 0);
}

#[test]
fn a_loop_through_other_programs_is_stopped_at_run_time() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("stack"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    // As if a wrapper script run by `awsrole credential-process r` had
    // started it again.
    let out = run(home
        .cmd()
        .args(["credential-process", "r"])
        .env("AWSROLE_CREDENTIAL_PROCESS_STACK", "other r"));
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(
        out.stderr.contains("`other` -> `r` -> `r`"),
        "{}",
        out.stderr
    );
    assert_eq!(assume_calls(&role), 0);
    // A different profile on the stack is fine.
    let out = run(home
        .cmd()
        .args(["credential-process", "r"])
        .env("AWSROLE_CREDENTIAL_PROCESS_STACK", "other"));
    out.assert_success();
}

#[test]
fn errors_leave_stdout_empty() {
    let home = TestHome::new();
    home.write_config("[profile marketingadmin]\nregion = x\n");
    let out = cp(&home, &["marketingadmn"]);
    assert_eq!(out.code, 3);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("did you mean marketingadmin"),
        "{}",
        out.stderr
    );
    // The profile is required: AWS_PROFILE would name the calling profile.
    let out = run(home.cmd().arg("credential-process").env("AWS_PROFILE", "x"));
    assert_eq!(out.code, 2, "{out:#?}");
}
