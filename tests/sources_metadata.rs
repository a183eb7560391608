//! credential_source = Ec2InstanceMetadata (IMDSv2) and EcsContainer, against
//! loopback endpoints that speak the real protocols, chained to roles in moto.

mod common;

use std::time::{Duration, Instant};

use common::servers::{self, Response, Server};
use common::{TestHome, arn, moto, run, unique};

fn creds_json(key: &str) -> String {
    format!(
        r#"{{"Code": "Success", "LastUpdated": "{}", "Type": "AWS-HMAC", "AccessKeyId": "{key}", "SecretAccessKey": "secret-{key}", "Token": "token-{key}", "Expiration": "{}"}}"#,
        servers::ago(60),
        servers::in_secs(6 * 3600)
    )
}

/// IMDSv2 exactly: a token from PUT /latest/api/token (its TTL header echoed),
/// every GET must carry it.
fn imds(key: &'static str) -> Server {
    const TOKEN: &str = "imds-token-AQAEA";
    Server::start(move |r| {
        if r.method == "PUT" && r.path() == "/latest/api/token" {
            let Some(ttl) = r.header("x-aws-ec2-metadata-token-ttl-seconds") else {
                return Response::new(400, "");
            };
            return Response::new(200, TOKEN).header("x-aws-ec2-metadata-token-ttl-seconds", ttl);
        }
        if r.header("x-aws-ec2-metadata-token") != Some(TOKEN) {
            return Response::new(401, "");
        }
        match (r.method.as_str(), r.path()) {
            ("GET", "/latest/meta-data/iam/security-credentials/") => {
                Response::new(200, "imds-role")
            }
            ("GET", "/latest/meta-data/iam/security-credentials/imds-role") => {
                Response::new(200, creds_json(key))
            }
            _ => Response::new(404, ""),
        }
    })
}

fn signed_by(req: &common::RecordedRequest) -> String {
    req.header("Authorization").unwrap_or("").to_string()
}

#[test]
fn ec2_metadata_then_two_role_hops() {
    let key = "ASIAIMDSCHAINKEY0001";
    let server = imds(key);
    let home = TestHome::new().with_moto();
    let (a, b) = (arn(&unique("imds-a")), arn(&unique("imds-b")));
    home.write_config(&format!(
        "[profile a]\nrole_arn = {a}\ncredential_source = Ec2InstanceMetadata\n\
         [profile b]\nrole_arn = {b}\nsource_profile = a\n"
    ));
    let out = run(home
        .cmd()
        .args(["env", "b", "--shell", "bash"])
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()));
    out.assert_success();
    assert!(out.stdout.contains("export AWS_ACCESS_KEY_ID="), "{out:?}");
    let first = moto().requests_where("AssumeRole", "RoleArn", &a);
    assert_eq!(first.len(), 1);
    assert!(
        signed_by(&first[0]).contains(&format!("Credential={key}/")),
        "role A must be signed with the instance credentials: {:?}",
        first[0].headers
    );
    assert_eq!(moto().count("AssumeRole", "RoleArn", &b), 1);
    let reqs = server.requests();
    assert_eq!(
        reqs[0].method, "PUT",
        "IMDSv2 starts with a token: {reqs:?}"
    );
    assert!(
        reqs[1..]
            .iter()
            .all(|r| r.header("x-aws-ec2-metadata-token").is_some()),
        "{reqs:?}"
    );

    // Warm: the final role's cache entry answers; no metadata request, no STS.
    let before = server.requests().len();
    let again = run(home
        .cmd()
        .args(["env", "b", "--shell", "bash"])
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()));
    again.assert_success();
    assert_eq!(server.requests().len(), before);
    assert_eq!(moto().count("AssumeRole", "RoleArn", &b), 1);
}

#[test]
fn no_metadata_service_fails_in_about_a_second() {
    let home = TestHome::new().with_moto();
    let a = arn(&unique("imds-none"));
    home.write_config(&format!(
        "[profile a]\nrole_arn = {a}\ncredential_source = Ec2InstanceMetadata\n"
    ));
    // A port that accepts connections and never answers (the slow case) and a
    // closed one.
    let (_hole, port) = servers::black_hole();
    for endpoint in [
        format!("http://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{}", servers::closed_port()),
    ] {
        let began = Instant::now();
        let out = run(home
            .cmd()
            .args(["env", "a", "--shell", "bash"])
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint));
        let took = began.elapsed();
        assert_eq!(out.code, 5, "{out:?}");
        assert_eq!(out.stdout, "(exit 5)\n");
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(
            out.stderr.contains("profile `a`")
                && out
                    .stderr
                    .contains("no EC2 instance metadata service answered")
                && out.stderr.contains(&endpoint)
                && out.stderr.contains(".aws/config:3"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(moto().count("AssumeRole", "RoleArn", &a), 0);
}

#[test]
fn metadata_disabled_is_a_config_error() {
    let home = TestHome::new().with_moto();
    home.write_config(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Ec2InstanceMetadata\n",
    );
    let out = run(home
        .cmd()
        .args(["env", "a", "--shell", "bash"])
        .env("AWS_EC2_METADATA_DISABLED", "true"));
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("AWS_EC2_METADATA_DISABLED"),
        "{}",
        out.stderr
    );
}

/// ECS/EKS container credentials: the Authorization header must be the token.
fn ecs(token: &'static str, key: &'static str) -> Server {
    Server::start(move |r| {
        if r.path() != "/creds" {
            return Response::new(404, "");
        }
        if r.header("authorization") != Some(token) {
            return Response::new(401, r#"{"code": "Unauthorized"}"#);
        }
        Response::new(200, creds_json(key))
    })
}

#[test]
fn ecs_full_uri_with_token_then_role() {
    let server = ecs("Bearer ecs-secret", "ASIAECSFULLURIKEY001");
    let home = TestHome::new().with_moto();
    let r = arn(&unique("ecs"));
    home.write_config(&format!(
        "[profile r]\nrole_arn = {r}\ncredential_source = EcsContainer\n"
    ));
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.url()),
        )
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer ecs-secret"));
    out.assert_success();
    let sent = moto().requests_where("AssumeRole", "RoleArn", &r);
    assert_eq!(sent.len(), 1);
    assert!(signed_by(&sent[0]).contains("Credential=ASIAECSFULLURIKEY001/"));
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer ecs-secret")
    );
}

#[test]
fn ecs_token_file_wins_and_a_wrong_token_is_an_answered_error() {
    let server = ecs("from-the-file", "ASIAECSTOKENFILEKEY1");
    let home = TestHome::new().with_moto();
    let r = arn(&unique("ecsfile"));
    home.write_config(&format!(
        "[profile r]\nrole_arn = {r}\ncredential_source = EcsContainer\n"
    ));
    let file = home.path().join("ecs-token");
    std::fs::write(&file, "from-the-file").unwrap();
    let uri = format!("{}/creds", server.url());
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-this-one")
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file));
    out.assert_success();
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r), 1);

    let bad = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash", "--refresh"])
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"));
    assert_eq!(bad.code, 4, "{bad:?}");
    assert!(
        bad.stderr.contains("profile `r`") && bad.stderr.contains(&uri),
        "{}",
        bad.stderr
    );
    assert!(!bad.stderr.contains("wrong"), "no secrets: {}", bad.stderr);
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r), 1);
}

#[test]
fn ecs_without_its_variables_says_so() {
    let home = TestHome::new().with_moto();
    home.write_config(
        "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = EcsContainer\n",
    );
    let out = run(home.cmd().args(["env", "r", "--shell", "bash"]));
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_slow_container_endpoint_is_announced_like_a_slow_sts() {
    // Answers after 3 s: past the 2 s notice, inside the 5 s read timeout.
    let server = Server::start(|r| {
        if r.path() != "/creds" {
            return Response::new(404, "");
        }
        std::thread::sleep(Duration::from_secs(3));
        Response::new(200, creds_json("ASIAECSSLOWANSWER001"))
    });
    let home = TestHome::new().with_moto();
    let r = arn(&unique("ecsslow"));
    home.write_config(&format!(
        "[profile r]\nrole_arn = {r}\ncredential_source = EcsContainer\n"
    ));
    let uri = format!("{}/creds", server.url());
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri));
    out.assert_success();
    assert!(
        out.stderr.contains(&format!(
            "awsrole: waiting for the container credentials endpoint {uri} to answer a credentials request for profile `r`"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r), 1);
}
