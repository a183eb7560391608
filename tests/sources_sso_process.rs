//! IAM Identity Center (SSO) from a fixture token cache and a loopback portal
//! endpoint; credential_process; and the rule that keeps
//! credential_source = Environment off awsrole's own exports.

mod common;

use common::servers::{self, Response, Server};
use common::{TestHome, arn, moto, run, unique};
use sha1::{Digest, Sha1};

fn sha1_hex(s: &str) -> String {
    Sha1::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const BEARER: &str = "sso-access-token-xyz";

/// The portal's GetRoleCredentials: GET /federation/credentials with the
/// bearer token in `x-amz-sso_bearer_token`.
fn portal(key: &'static str) -> Server {
    Server::start(move |r| {
        if r.path() != "/federation/credentials" {
            return Response::new(404, "");
        }
        if r.header("x-amz-sso_bearer_token") != Some(BEARER) {
            return Response::new(401, r#"{"message": "Session token not found or invalid"}"#)
                .header("x-amzn-errortype", "UnauthorizedException");
        }
        Response::new(
            200,
            format!(
                r#"{{"roleCredentials": {{"accessKeyId": "{key}", "secretAccessKey": "sso-secret", "sessionToken": "sso-session", "expiration": {}}}}}"#,
                servers::millis_in(3600)
            ),
        )
        .header("content-type", "application/json")
    })
}

fn write_sso_token(home: &TestHome, id: &str, expires_at: &str) {
    let dir = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{}.json", sha1_hex(id))),
        format!(
            r#"{{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "{BEARER}", "expiresAt": "{expires_at}"}}"#
        ),
    )
    .unwrap();
}

const SESSION_CONFIG: &str = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\
     [profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\n";

#[test]
fn sso_session_profile_then_a_role() {
    let server = portal("ASIASSOSESSIONKEY001");
    let home = TestHome::new().with_moto();
    let admin = arn(&unique("sso-admin"));
    home.write_config(&format!(
        "{SESSION_CONFIG}[profile admin]\nrole_arn = {admin}\nsource_profile = dev\n"
    ));
    write_sso_token(&home, "corp", &servers::in_secs(3600));
    let out = run(home
        .cmd()
        .args(["env", "admin", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_SSO", server.url()));
    out.assert_success();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].query("account_id").as_deref(), Some("111122223333"));
    assert_eq!(reqs[0].query("role_name").as_deref(), Some("Developer"));
    let hop = moto().requests_where("AssumeRole", "RoleArn", &admin);
    assert_eq!(hop.len(), 1);
    assert!(
        hop[0]
            .header("Authorization")
            .unwrap_or("")
            .contains("Credential=ASIASSOSESSIONKEY001/")
    );

    // The SSO profile itself prints the portal's credentials.
    let own = run(home
        .cmd()
        .args(["env", "dev", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_SSO", server.url()));
    own.assert_success();
    assert!(own.stdout.contains("ASIASSOSESSIONKEY001"), "{own:?}");
}

#[test]
fn legacy_sso_start_url_profile() {
    let server = portal("ASIASSOLEGACYKEY0001");
    let home = TestHome::new().with_moto();
    home.write_config(
        "[profile old]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n",
    );
    write_sso_token(
        &home,
        "https://corp.awsapps.com/start",
        &servers::in_secs(3600),
    );
    let out = run(home
        .cmd()
        .args(["env", "old", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_SSO", server.url()));
    out.assert_success();
    assert!(out.stdout.contains("ASIASSOLEGACYKEY0001"), "{out:?}");
}

#[test]
fn an_expired_or_missing_sso_token_names_the_login_command() {
    let server = portal("ASIANEVER");
    let home = TestHome::new().with_moto();
    home.write_config(&format!(
        "{SESSION_CONFIG}[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n"
    ));
    write_sso_token(&home, "corp", &servers::ago(60));
    let out = run(home
        .cmd()
        .args(["env", "dev", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_SSO", server.url()));
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("has expired")
            && out.stderr.contains("aws sso login --sso-session corp"),
        "{}",
        out.stderr
    );
    let missing = run(home
        .cmd()
        .args(["env", "old", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_SSO", server.url()));
    assert_eq!(missing.code, 3, "{missing:?}");
    assert!(
        missing.stderr.contains("aws sso login --profile old"),
        "{}",
        missing.stderr
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_token_the_portal_refuses_is_an_answered_error_with_the_login_command() {
    let server = portal("ASIANEVER");
    let home = TestHome::new().with_moto();
    home.write_config(SESSION_CONFIG);
    let dir = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{}.json", sha1_hex("corp"))),
        format!(
            r#"{{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "revoked-token", "expiresAt": "{}"}}"#,
            servers::in_secs(3600)
        ),
    )
    .unwrap();
    let out = run(home
        .cmd()
        .args(["env", "dev", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_SSO", server.url()));
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stderr.contains("aws sso login --sso-session corp"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("revoked-token"), "no secrets");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn credential_process_source_then_a_role() {
    let home = TestHome::new().with_moto();
    let r = arn(&unique("proc"));
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESSKEY000001\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", \"Expiration\": \"{}\"}}'\n",
            servers::in_secs(3600)
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    home.write_config(&format!(
        "[profile p]\ncredential_process = {}\n[profile r]\nrole_arn = {r}\nsource_profile = p\n",
        script.display()
    ));
    run(home.cmd().args(["env", "r", "--shell", "bash"])).assert_success();
    let hop = moto().requests_where("AssumeRole", "RoleArn", &r);
    assert_eq!(hop.len(), 1);
    assert!(
        hop[0]
            .header("Authorization")
            .unwrap_or("")
            .contains("Credential=ASIAPROCESSKEY000001/")
    );
}

#[test]
fn a_failing_credential_process_shows_its_stderr() {
    let home = TestHome::new().with_moto();
    let r = arn(&unique("procfail"));
    home.write_config(&format!(
        "[profile p]\ncredential_process = sh -c 'echo \"vault is sealed, run vault login\" >&2; exit 3'\n\
         [profile r]\nrole_arn = {r}\nsource_profile = p\n"
    ));
    let out = run(home.cmd().args(["env", "r", "--shell", "bash"]));
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stderr.contains("vault is sealed, run vault login")
            && out.stderr.contains("profile `p`")
            && out.stderr.contains(".aws/config:2"),
        "{}",
        out.stderr
    );
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r), 0);
}

#[test]
fn environment_source_refuses_awsroles_own_exports() {
    let home = TestHome::new().with_moto();
    let r = arn(&unique("envrule"));
    home.write_config(&format!(
        "[profile e]\nrole_arn = {r}\ncredential_source = Environment\n"
    ));
    // In one shell: source keys, then awsrole's exports, then a refresh.
    let script = format!(
        "export AWS_ACCESS_KEY_ID=AKIASOURCEKEY0000001 AWS_SECRET_ACCESS_KEY=src\n\
         eval \"$('{bin}' env e --shell bash)\" || exit 10\n\
         echo \"after-first:$AWSROLE_PROFILE\"\n\
         '{bin}' env e --shell bash --refresh >/dev/null\n\
         echo \"refresh-status:$?\"\n",
        bin = common::awsrole_bin().display()
    );
    let mut bash = std::process::Command::new("bash");
    bash.env_clear()
        .envs(home.clean_env())
        .args(["--norc", "--noprofile", "-c", &script]);
    let out = run(&mut bash);
    assert!(out.stdout.contains("after-first:e"), "{out:?}");
    assert!(out.stdout.contains("refresh-status:3"), "{out:?}");
    assert!(
        out.stderr.contains("AWSROLE_PROFILE") && out.stderr.contains("awsrole env --unset"),
        "{}",
        out.stderr
    );
    let calls = moto().requests_where("AssumeRole", "RoleArn", &r);
    assert_eq!(calls.len(), 1, "only the first run assumed the role");
    assert!(
        calls[0]
            .header("Authorization")
            .unwrap_or("")
            .contains("Credential=AKIASOURCEKEY0000001/")
    );
}
