//! The real network path: STS over TLS with a CA made for the test
//! (AWS_CA_BUNDLE, the profile's ca_bundle, REQUESTS_CA_BUNDLE), a real
//! HTTP proxy (Debian's tinyproxy: CONNECT tunnels, forwarded plain HTTP,
//! Basic auth, NO_PROXY), and one TLS connection for a whole chain. The
//! AWS CLI v1 runs against the same endpoints and must agree.

mod common;

use common::capture;
use common::netpeers::{Tinyproxy, TlsFront};
use common::servers::{self, Response, Server};
use common::{Output, TestHome, arn, moto, run, unique};

const KEYS: &str = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
                    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

/// A home with profile `base` (keys) and a chain `r1` -> `r2` -> `r3` of
/// fresh roles; `extra` goes into `r1`.
fn chain_home(extra: &str) -> TestHome {
    let home = TestHome::new();
    let (a, b, c) = (
        arn(&unique("net-a")),
        arn(&unique("net-b")),
        arn(&unique("net-c")),
    );
    home.write_config(&format!(
        "[profile base]\n{KEYS}region = us-east-1\n\
         [profile r1]\nrole_arn = {a}\nsource_profile = base\nregion = us-east-1\n{extra}\
         [profile r2]\nrole_arn = {b}\nsource_profile = r1\nregion = us-east-1\n\
         [profile r3]\nrole_arn = {c}\nsource_profile = r2\nregion = us-east-1\n"
    ));
    home
}

/// `awsrole env PROFILE --refresh` against `endpoint`, with `env` added.
fn awsrole(home: &TestHome, endpoint: &str, profile: &str, env: &[(&str, String)]) -> Output {
    let mut cmd = home.cmd();
    cmd.args(["env", profile, "--refresh", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", endpoint);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// The AWS CLI v1's GetCallerIdentity for `profile` against `endpoint`.
fn aws_v1(home: &TestHome, endpoint: &str, profile: &str, env: &[(&str, String)]) -> Output {
    let mut cmd = home.aws_v1_identity(profile);
    cmd.env("AWS_ENDPOINT_URL_STS", endpoint);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[test]
fn tls_needs_the_ca_bundle_like_the_aws_cli() {
    let front = TlsFront::start();
    let url = front.url();
    let home = chain_home("");

    // No bundle: the test CA is not trusted. awsrole says so and names the
    // fix; exit 5 (a network failure). The AWS CLI fails too.
    let out = awsrole(&home, &url, "r1", &[]);
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr
            .contains("TLS verification of https://127.0.0.1:")
            && out.stderr.contains("UnknownIssuer")
            && out
                .stderr
                .contains("set AWS_CA_BUNDLE (or ca_bundle in the profile)"),
        "{}",
        out.stderr
    );
    let cli = aws_v1(&home, &url, "r1", &[]);
    assert!(
        !cli.success(),
        "the AWS CLI must not trust the test CA: {cli:?}"
    );
    assert!(cli.stderr.contains("SSL"), "{}", cli.stderr);

    // AWS_CA_BUNDLE: both succeed.
    let env = [("AWS_CA_BUNDLE", path(&front.ca()))];
    awsrole(&home, &url, "r1", &env).assert_success();
    aws_v1(&home, &url, "r1", &env).assert_success();

    // REQUESTS_CA_BUNDLE (botocore's fallback): both succeed.
    let env = [("REQUESTS_CA_BUNDLE", path(&front.ca()))];
    awsrole(&home, &url, "r1", &env).assert_success();
    aws_v1(&home, &url, "r1", &env).assert_success();

    // A bundle replaces the roots: the wrong CA fails, and the message
    // names the variable and the file.
    let env = [("AWS_CA_BUNDLE", path(&front.other_ca()))];
    let out = awsrole(&home, &url, "r1", &env);
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "not signed by a CA in {} (AWS_CA_BUNDLE)",
            path(&front.other_ca())
        )),
        "{}",
        out.stderr
    );
    assert!(!aws_v1(&home, &url, "r1", &env).success());
}

#[test]
fn profile_ca_bundle_and_its_precedence_like_the_aws_cli() {
    let front = TlsFront::start();
    let url = front.url();
    let good = path(&front.ca());
    let bad = path(&front.other_ca());

    // ca_bundle in the selected profile: both succeed.
    let home = chain_home(&format!("ca_bundle = {good}\n"));
    awsrole(&home, &url, "r1", &[]).assert_success();
    aws_v1(&home, &url, "r1", &[]).assert_success();

    // AWS_CA_BUNDLE wins over the profile: a wrong CA there fails both,
    // and awsrole names the variable.
    let env = [("AWS_CA_BUNDLE", bad.clone())];
    let out = awsrole(&home, &url, "r1", &env);
    assert_eq!(out.code, 5, "{out:?}");
    assert!(out.stderr.contains("(AWS_CA_BUNDLE)"), "{}", out.stderr);
    assert!(!aws_v1(&home, &url, "r1", &env).success());

    // ...and the profile over REQUESTS_CA_BUNDLE.
    let home = chain_home(&format!("ca_bundle = {bad}\n"));
    let env = [("REQUESTS_CA_BUNDLE", good.clone())];
    let out = awsrole(&home, &url, "r1", &env);
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr.contains("ca_bundle of profile `r1` at ")
            && out.stderr.contains("/.aws/config:"),
        "the message names the setting and its line: {}",
        out.stderr
    );
    assert!(!aws_v1(&home, &url, "r1", &env).success());
    let env = [("AWS_CA_BUNDLE", good.clone())];
    awsrole(&home, &url, "r1", &env).assert_success();
    aws_v1(&home, &url, "r1", &env).assert_success();

    // On a chain, the selected profile's ca_bundle applies to every hop
    // (botocore reads it from the session's profile); the source
    // profile's is not used, by either.
    let home = chain_home(&format!("ca_bundle = {good}\n"));
    awsrole(&home, &url, "r1", &[]).assert_success();
    let out = awsrole(&home, &url, "r3", &[]);
    assert_eq!(out.code, 5, "r1's ca_bundle must not apply to r3: {out:?}");
    assert!(!aws_v1(&home, &url, "r3", &[]).success());

    // A file that is not a bundle is a config error naming it, not a crash.
    let home = chain_home("ca_bundle = /etc/hostname\n");
    let out = awsrole(&home, &url, "r1", &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("cannot use the CA bundle /etc/hostname (ca_bundle of profile `r1`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_three_hop_chain_makes_one_tls_connection() {
    let front = TlsFront::start();
    let url = front.url();
    let home = chain_home("");
    let env = [("AWS_CA_BUNDLE", path(&front.ca()))];
    let out = awsrole(&home, &url, "r3", &env);
    out.assert_success();
    assert_eq!(
        (front.connections(), front.requests()),
        (1, 3),
        "3 AssumeRole calls over one TLS connection"
    );

    // Through a CONNECT proxy: one tunnel, one handshake, three requests.
    let proxy = Tinyproxy::start(None);
    let mut env = env.to_vec();
    env.push(("HTTPS_PROXY", proxy.url(None)));
    let home = chain_home("");
    awsrole(&home, &url, "r3", &env).assert_success();
    assert_eq!(proxy.tunnels(), 1, "{}", proxy.log());
    assert_eq!((front.connections(), front.requests()), (2, 6));
}

#[test]
fn https_proxy_with_auth_is_used_and_no_proxy_bypasses_it() {
    let front = TlsFront::start();
    let url = front.url();
    let user = "awsrole";
    let pass = format!("Px-{}", unique("pw").replace('-', ""));
    capture::secrets([pass.clone()]);
    let proxy = Tinyproxy::start(Some((user, &pass)));
    let home = chain_home("");
    let ca = ("AWS_CA_BUNDLE", path(&front.ca()));
    let via = |var: &'static str| [ca.clone(), (var, proxy.url(Some((user, &pass))))];

    // HTTPS_PROXY with the password in the URL: the tunnel is made.
    // --verbose names the proxy, never the password.
    let mut cmd = home.cmd();
    cmd.args(["--verbose", "env", "r1", "--refresh", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", &url)
        .envs(via("HTTPS_PROXY"));
    let out = run(&mut cmd);
    out.assert_success();
    assert_eq!(proxy.tunnels(), 1, "{}", proxy.log());
    assert!(
        out.stderr.contains(&format!(
            "proxy http://***:***@127.0.0.1:{} from HTTPS_PROXY",
            proxy.port()
        )) && out.stderr.contains("trusting only the CAs in"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(&pass), "{}", out.stderr);
    // The lowercase spelling too, and the AWS CLI goes the same way.
    awsrole(&home, &url, "r1", &via("https_proxy")).assert_success();
    assert_eq!(proxy.tunnels(), 2);
    aws_v1(&home, &url, "r1", &via("HTTPS_PROXY")).assert_success();
    assert_eq!(proxy.tunnels(), 3, "the AWS CLI uses the proxy too");

    // NO_PROXY: by host, and by host:port (botocore matches both).
    let port = url.rsplit(':').next().unwrap().to_string();
    for no in [
        "127.0.0.1".to_string(),
        format!("127.0.0.1:{port}"),
        "*".into(),
    ] {
        let mut env = via("HTTPS_PROXY").to_vec();
        env.push(("NO_PROXY", no.clone()));
        awsrole(&home, &url, "r1", &env).assert_success();
        aws_v1(&home, &url, "r1", &env).assert_success();
        assert_eq!(proxy.tunnels(), 3, "NO_PROXY={no} bypasses the proxy");
    }
    // A CIDR range is not a NO_PROXY form botocore reads: still proxied.
    let mut env = via("HTTPS_PROXY").to_vec();
    env.push(("NO_PROXY", "127.0.0.0/8".to_string()));
    awsrole(&home, &url, "r1", &env).assert_success();
    assert_eq!(proxy.tunnels(), 4);

    // A wrong password: the proxy refuses; exit 5, the proxy and its
    // variable named, no password on stderr.
    let wrong = format!("Wr-{}", unique("pw").replace('-', ""));
    capture::secrets([wrong.clone()]);
    let out = awsrole(
        &home,
        &url,
        "r1",
        &[ca.clone(), ("HTTPS_PROXY", proxy.url(Some((user, &wrong))))],
    );
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "through the proxy http://***:***@127.0.0.1:{} (HTTPS_PROXY)",
            proxy.port()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(&wrong) && !out.stderr.contains(&pass));
}

#[test]
fn a_proxy_that_cannot_be_reached_is_exit_5_naming_it() {
    let front = TlsFront::start();
    let url = front.url();
    let home = chain_home("");
    let (_hole, port) = servers::black_hole();
    drop(_hole);
    let out = awsrole(
        &home,
        &url,
        "r1",
        &[
            ("AWS_CA_BUNDLE", path(&front.ca())),
            ("HTTPS_PROXY", format!("127.0.0.1:{port}")),
        ],
    );
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "through the proxy http://127.0.0.1:{port} (HTTPS_PROXY)"
        )) && out.stderr.contains("Connection refused")
            && out.stderr.contains("check HTTPS_PROXY"),
        "{}",
        out.stderr
    );
    // The proxy was the only way out: no request reached the endpoint.
    assert_eq!(front.requests(), 0);
}

#[test]
fn http_proxy_carries_plain_http_endpoints_like_the_aws_cli() {
    let proxy = Tinyproxy::start(None);
    let endpoint = moto().endpoint();
    let host_port = format!("127.0.0.1:{}", moto().port());
    let home = chain_home("");

    // HTTPS_PROXY alone does not apply to http:// endpoints.
    let env = [("HTTPS_PROXY", proxy.url(None))];
    awsrole(&home, &endpoint, "r1", &env).assert_success();
    assert_eq!(proxy.forwarded_to(&host_port), 0, "{}", proxy.log());

    // HTTP_PROXY does, for awsrole and for the AWS CLI.
    // (r1 comes from the cache: one AssumeRole, for r2.)
    let env = [("HTTP_PROXY", proxy.url(None))];
    awsrole(&home, &endpoint, "r2", &env).assert_success();
    assert_eq!(proxy.forwarded_to(&host_port), 1, "{}", proxy.log());
    aws_v1(&home, &endpoint, "r1", &env).assert_success();
    assert_eq!(proxy.forwarded_to(&host_port), 2, "{}", proxy.log());
}

/// Container credentials from a loopback endpoint.
fn container(key: &'static str) -> Server {
    Server::start(move |r| {
        if r.path() != "/creds" {
            return Response::new(404, "");
        }
        Response::new(
            200,
            format!(
                r#"{{"AccessKeyId": "{key}", "SecretAccessKey": "secret-{key}", "Token": "token-{key}", "Expiration": "{}"}}"#,
                servers::in_secs(6 * 3600)
            ),
        )
    })
}

#[test]
fn metadata_endpoints_never_go_through_the_proxy() {
    let proxy = Tinyproxy::start(None);
    let server = container("ASIANETCONTAINERKEY1");
    let home = TestHome::new();
    let r = arn(&unique("net-ecs"));
    home.write_config(&format!(
        "[profile r]\nrole_arn = {r}\ncredential_source = EcsContainer\nregion = us-east-1\n"
    ));
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto().endpoint())
        .env("HTTP_PROXY", proxy.url(None))
        .env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.url()),
        ));
    out.assert_success();
    assert_eq!(server.requests().len(), 1, "fetched directly");
    let container_port = format!("127.0.0.1:{}", server.port());
    assert_eq!(proxy.forwarded_to(&container_port), 0, "{}", proxy.log());
    // ...while STS, on plain http here, went through HTTP_PROXY.
    assert_eq!(
        proxy.forwarded_to(&format!("127.0.0.1:{}", moto().port())),
        1,
        "{}",
        proxy.log()
    );
    assert_eq!(moto().count("AssumeRole", "RoleArn", &r), 1);
}

/// IMDSv2 as the instance serves it (token PUT with its TTL header, token
/// on every GET).
fn imds(key: &'static str) -> Server {
    const TOKEN: &str = "net-imds-token";
    Server::start(move |r| {
        if r.method == "PUT" && r.path() == "/latest/api/token" {
            let ttl = r
                .header("x-aws-ec2-metadata-token-ttl-seconds")
                .unwrap_or("21600");
            return Response::new(200, TOKEN).header("x-aws-ec2-metadata-token-ttl-seconds", ttl);
        }
        if r.header("x-aws-ec2-metadata-token") != Some(TOKEN) {
            return Response::new(401, "");
        }
        match r.path() {
            "/latest/meta-data/iam/security-credentials/" => Response::new(200, "net-role"),
            "/latest/meta-data/iam/security-credentials/net-role" => Response::new(
                200,
                format!(
                    r#"{{"Code": "Success", "LastUpdated": "{}", "Type": "AWS-HMAC", "AccessKeyId": "{key}", "SecretAccessKey": "secret-{key}", "Token": "token-{key}", "Expiration": "{}"}}"#,
                    servers::ago(60),
                    servers::in_secs(6 * 3600)
                ),
            ),
            _ => Response::new(404, ""),
        }
    })
}

#[test]
fn instance_metadata_is_never_proxied_though_botocore_proxies_it() {
    let proxy = Tinyproxy::start(None);
    let server = imds("ASIANETIMDSKEY000001");
    let imds_host = format!("127.0.0.1:{}", server.port());
    let home = TestHome::new();
    let r = arn(&unique("net-imds"));
    home.write_config(&format!(
        "[profile r]\nrole_arn = {r}\ncredential_source = Ec2InstanceMetadata\nregion = us-east-1\n"
    ));
    let env = |cmd: &mut std::process::Command| {
        cmd.env("AWS_ENDPOINT_URL_STS", moto().endpoint())
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url())
            .env("HTTP_PROXY", proxy.url(None));
    };
    let mut cmd = home.cmd();
    cmd.args(["env", "r", "--shell", "bash"]);
    env(&mut cmd);
    run(&mut cmd).assert_success();
    assert_eq!(proxy.forwarded_to(&imds_host), 0, "{}", proxy.log());
    assert!(server.requests().len() >= 2, "fetched directly");

    // The documented difference: botocore sends IMDS through HTTP_PROXY
    // unless NO_PROXY names it (this proxy can reach it, so it works).
    let mut cmd = home.aws_v1();
    cmd.args(["sts", "get-caller-identity", "--profile", "r"]);
    env(&mut cmd);
    let _ = run(&mut cmd);
    assert!(
        proxy.forwarded_to(&imds_host) >= 1,
        "botocore proxies IMDS: {}",
        proxy.log()
    );
}
