//! Web identity (AssumeRoleWithWebIdentity, unsigned) against moto, in a
//! profile, from the environment, chained to a role, and shared with the AWS
//! CLI v1's cache in both directions.

mod common;

use common::{TestHome, arn, moto, run, unique};

fn web_calls(role: &str) -> Vec<common::RecordedRequest> {
    moto().requests_where("AssumeRoleWithWebIdentity", "RoleArn", role)
}

fn write_token(home: &TestHome, text: &str) -> String {
    let path = home.path().join("token.jwt");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn cli_identity(home: &TestHome, profile: &str) -> common::Output {
    let out = run(home
        .aws_v1_identity(profile)
        .args(["--region", "us-east-1"]));
    out.assert_success();
    out
}

#[test]
fn profile_web_identity_is_unsigned_and_shared_with_the_aws_cli() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("wi"));
    // The token file ends with a newline, as many do: the AWS CLI hashes it as read.
    let token = write_token(&home, "eyJhbGciOiJSUzI1NiJ9.e30.sig-one\n");
    home.write_config(&format!(
        "[profile w]\nweb_identity_token_file = {token}\nrole_arn = {role}\n"
    ));
    let out = run(home.cmd().args(["env", "w", "--shell", "bash"]));
    out.assert_success();
    let calls = web_calls(&role);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].param("WebIdentityToken"),
        Some("eyJhbGciOiJSUzI1NiJ9.e30.sig-one\n")
    );
    assert!(
        calls[0]
            .param("RoleSessionName")
            .unwrap()
            .starts_with("botocore-session-"),
        "{:?}",
        calls[0].params
    );
    assert_eq!(calls[0].header("Authorization"), None, "must be unsigned");

    // awsrole again, then the AWS CLI: both from the one cache file.
    run(home.cmd().args(["env", "w", "--shell", "bash"])).assert_success();
    let cli = cli_identity(&home, "w");
    assert!(cli.stdout.contains(":assumed-role/"), "{cli:?}");
    assert_eq!(
        web_calls(&role).len(),
        1,
        "the AWS CLI found awsrole's entry under its own key"
    );

    // --refresh on the web identity profile itself: a new call.
    run(home
        .cmd()
        .args(["env", "w", "--shell", "bash", "--refresh"]))
    .assert_success();
    assert_eq!(web_calls(&role).len(), 2);
}

#[test]
fn the_aws_cli_web_identity_entry_serves_awsrole() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("wicli"));
    let token = write_token(&home, "token-for-the-cli");
    home.write_config(&format!(
        "[profile w]\nweb_identity_token_file = {token}\nrole_arn = {role}\nrole_session_name = named\n"
    ));
    cli_identity(&home, "w");
    assert_eq!(web_calls(&role).len(), 1);
    let out = run(home.cmd().args(["env", "w", "--shell", "bash"]));
    out.assert_success();
    assert_eq!(
        web_calls(&role).len(),
        1,
        "awsrole reused the AWS CLI's entry"
    );

    // A new token is a new key (the AWS CLI's rule): a new call.
    std::fs::write(home.path().join("token.jwt"), "a-rotated-token").unwrap();
    run(home.cmd().args(["env", "w", "--shell", "bash"])).assert_success();
    let calls = web_calls(&role);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].param("WebIdentityToken"), Some("a-rotated-token"));
    assert_eq!(calls[1].param("RoleSessionName"), Some("named"));
}

#[test]
fn environment_form_when_no_profile_says_otherwise() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("wienv"));
    let token = write_token(&home, "env-token");
    // No config file at all: the `default` profile does not exist.
    let out = run(home
        .cmd()
        .args(["env", "--shell", "bash"])
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token)
        .env("AWS_ROLE_ARN", &role)
        .env("AWS_ROLE_SESSION_NAME", "ci-job-7"));
    out.assert_success();
    let calls = web_calls(&role);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].param("RoleSessionName"), Some("ci-job-7"));
    assert_eq!(calls[0].param("WebIdentityToken"), Some("env-token"));

    // A profile with its own credentials wins over the variables.
    home.write_config("[default]\naws_access_key_id = AKIAOWN\naws_secret_access_key = s\n");
    let own = run(home
        .cmd()
        .args(["env", "--shell", "bash"])
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token)
        .env("AWS_ROLE_ARN", &role));
    own.assert_success();
    assert!(own.stdout.contains("AKIAOWN"), "{own:?}");
    assert_eq!(web_calls(&role).len(), 1);
}

#[test]
fn web_identity_then_a_role_hop() {
    let home = TestHome::new().with_moto();
    let (w, b) = (arn(&unique("wihop")), arn(&unique("wihop-b")));
    let token = write_token(&home, "hop-token");
    home.write_config(&format!(
        "[profile w]\nweb_identity_token_file = {token}\nrole_arn = {w}\n\
         [profile b]\nrole_arn = {b}\nsource_profile = w\n"
    ));
    run(home.cmd().args(["env", "b", "--shell", "bash"])).assert_success();
    assert_eq!(web_calls(&w).len(), 1);
    let hop = moto().requests_where("AssumeRole", "RoleArn", &b);
    assert_eq!(hop.len(), 1);
    // Signed with the web identity credentials awsrole cached.
    let cache = std::fs::read_dir(home.cache_dir()).unwrap();
    let keys: Vec<String> = cache
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .filter_map(|v| v["Credentials"]["AccessKeyId"].as_str().map(str::to_string))
        .collect();
    let auth = hop[0].header("Authorization").unwrap_or("");
    assert!(
        keys.iter()
            .any(|k| auth.contains(&format!("Credential={k}/"))),
        "{auth} not signed by any of {keys:?}"
    );
}

#[test]
fn a_missing_token_file_is_a_config_error() {
    let home = TestHome::new().with_moto();
    home.write_config(
        "[profile w]\nweb_identity_token_file = /nonexistent/token\nrole_arn = arn:aws:iam::123456789012:role/x\n",
    );
    let out = run(home.cmd().args(["env", "w", "--shell", "bash"]));
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("/nonexistent/token") && out.stderr.contains(".aws/config:2"),
        "{}",
        out.stderr
    );
}
