//! `awsrole exec --server`: the container credentials endpoint, against a
//! real moto STS and real SDK clients (AWS CLI v1, boto3, Debian's AWS CLI
//! v2, aws-config's ECS provider), each across at least two refreshes.
//!
//! Short windows instead of fake clocks: moto issues 1 h credentials, and
//! `--min-ttl 3590s` makes every answer older than ~10 s a refresh.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Output, TestHome, capture, moto, run, unique};

const BASE: &str =
    "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";
/// Answers older than this are refreshed (moto's credentials last 3600 s).
const SHORT: &str = "3590s";
/// Long enough for an answer to be due again.
const PAST_WINDOW: Duration = Duration::from_millis(11_000);

fn arn(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/{name}")
}

fn calls(role: &str) -> usize {
    moto().count("AssumeRole", "RoleArn", role)
}

/// A home whose profile `r` assumes a fresh role from static keys.
fn home_with_role(prefix: &str) -> (TestHome, String) {
    let home = TestHome::new().with_moto();
    let role = arn(&unique(prefix));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nregion = eu-west-2\n"
    ));
    (home, role)
}

fn parse_env0(text: &str) -> HashMap<String, String> {
    text.split('\0')
        .filter(|e| !e.is_empty())
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `awsrole exec --server` running a command that waits for the test: the
/// endpoint stays up until [`Running::finish`].
struct Running {
    child: Child,
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl Running {
    /// `awsrole exec --server --min-ttl MIN_TTL r -- sh -c '<script>'` where the
    /// script writes its environment, runs `body`, then waits for `finish`.
    fn start(home: &TestHome, min_ttl: &str, extra_env: &[(&str, &str)], body: &str) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let script = format!(
            "env -0 > \"$1/env.tmp\" && mv \"$1/env.tmp\" \"$1/env\"; {body}\nwhile [ ! -e \"$1/done\" ]; do sleep 0.05; done; exit \"$(cat \"$1/done\")\""
        );
        let mut cmd = home.cmd();
        cmd.args(["exec", "--server", "--min-ttl", min_ttl, "r", "--"])
            .args(["sh", "-c", &script, "sh"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let envfile = dir.path().join("env");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !envfile.exists() {
            if let Ok(Some(status)) = child.try_wait() {
                let err = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
                panic!("awsrole exited early ({status}): {err}");
            }
            assert!(Instant::now() < deadline, "the command never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        let env = parse_env0(&std::fs::read_to_string(&envfile).unwrap());
        let token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone();
        capture::secrets([token]);
        Running { child, dir, env }
    }

    fn uri(&self) -> &str {
        &self.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    }

    fn token(&self) -> &str {
        &self.env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    }

    fn port(&self) -> u16 {
        let rest = self.uri().strip_prefix("http://127.0.0.1:").unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    fn path(&self) -> String {
        let rest = self.uri().strip_prefix("http://127.0.0.1:").unwrap();
        format!("/{}", rest.split_once('/').unwrap().1)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// GET the credentials with the right token: (status, JSON body).
    fn get(&self) -> (u16, serde_json::Value) {
        let host = format!("127.0.0.1:{}", self.port());
        request(self.port(), &self.path(), &host, Some(self.token()))
    }

    /// Lets the command exit with `code`; returns awsrole's output.
    fn finish(mut self, code: i32) -> (Output, std::process::ExitStatus) {
        std::fs::write(self.file("done"), code.to_string()).unwrap();
        let status = wait_bounded(&mut self.child, Duration::from_secs(30));
        let out = Output {
            stdout: std::fs::read_to_string(self.file("stdout")).unwrap(),
            stderr: std::fs::read_to_string(self.file("stderr")).unwrap(),
            code: status.code().unwrap_or(-1),
        };
        capture::record("awsrole exec --server", &out.stdout, &out.stderr);
        (out, status)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = std::fs::write(self.file("done"), "0");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "awsrole did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One raw HTTP GET with the given Host and Authorization headers.
fn request(port: u16, path: &str, host: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Accept: application/json\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap())
}

fn akid(v: &serde_json::Value) -> String {
    v["AccessKeyId"].as_str().unwrap().to_string()
}

/// The distinct assumed-role ARNs in a client's output: each refresh is a
/// new session, named after the second it started (botocore-session-N).
fn sessions(out: &str) -> HashSet<&str> {
    out.split_whitespace()
        .filter(|w| w.contains(":assumed-role/"))
        .collect()
}

// ---------------------------------------------------------------------------
// What the command gets
// ---------------------------------------------------------------------------

#[test]
fn the_command_gets_the_endpoint_and_no_keys() {
    let (home, role) = home_with_role("srv-env");
    let stale = [
        ("AWS_ACCESS_KEY_ID", "AKIDSTALE"),
        ("AWS_SECRET_ACCESS_KEY", "stale-secret"),
        ("AWS_SESSION_TOKEN", "stale-token"),
        ("AWS_SECURITY_TOKEN", "stale-legacy"),
        ("AWS_CREDENTIAL_EXPIRATION", "2000-01-01T00:00:00Z"),
        ("AWSROLE_EXPIRATION", "946684800"),
        ("AWSROLE_NEXT", "946684201"),
        (
            "AWSROLE_HOOK_STATE",
            "fails=1 mode=- about=946684800:0 noted=",
        ),
        ("AWS_PROFILE", "base"),
        ("AWS_DEFAULT_PROFILE", "base"),
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        ),
        ("SOMETHING_ELSE", "kept"),
    ];
    // The credentials exist before the command starts (aws-vault #615).
    let r = Running::start(
        &home,
        "15m",
        &stale,
        "ls \"$HOME/.aws/cli/cache\" > \"$1/ls.tmp\"; mv \"$1/ls.tmp\" \"$1/cache-at-start\"",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !r.file("cache-at-start").exists() {
        assert!(
            Instant::now() < deadline,
            "the command did not list the cache"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let cache_at_start = std::fs::read_to_string(r.file("cache-at-start")).unwrap();
    assert!(cache_at_start.contains(".json"), "{cache_at_start:?}");
    let env = r.env.clone();
    let get = |k: &str| env.get(k).map(String::as_str);
    let uri = get("AWS_CONTAINER_CREDENTIALS_FULL_URI").unwrap();
    let rest = uri.strip_prefix("http://127.0.0.1:").unwrap();
    let (port, path) = rest.split_once('/').unwrap();
    assert!(port.parse::<u16>().unwrap() > 0);
    let random = path.strip_prefix("awsrole/").unwrap();
    assert_eq!(random.len(), 32, "128-bit random path: {path}");
    let token = get("AWS_CONTAINER_AUTHORIZATION_TOKEN").unwrap();
    assert_eq!(token.len(), 64, "256-bit token");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    for gone in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWSROLE_EXPIRATION",
        "AWSROLE_NEXT",
        "AWSROLE_HOOK_STATE",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        assert_eq!(get(gone), None, "{gone} must not reach the command");
    }
    assert_eq!(get("AWS_REGION"), Some("eu-west-2"));
    assert_eq!(get("AWS_DEFAULT_REGION"), Some("eu-west-2"));
    assert_eq!(get("AWSROLE_PROFILE"), Some("r"));
    assert_eq!(get("SOMETHING_ELSE"), Some("kept"));

    let (status, body) = r.get();
    assert_eq!(status, 200, "{body}");
    for k in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
        assert!(
            body[k].as_str().is_some_and(|v| !v.is_empty()),
            "{k}: {body}"
        );
    }
    humantime::parse_rfc3339(body["Expiration"].as_str().unwrap()).unwrap();
    capture::secrets([
        body["SecretAccessKey"].as_str().unwrap().to_string(),
        body["Token"].as_str().unwrap().to_string(),
    ]);
    assert_eq!(calls(&role), 1, "fetched once, before the command");
    let (out, _) = r.finish(0);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out:#?}");
    assert_eq!(out.stderr, "");
}

#[test]
fn long_term_keys_are_refused_with_the_fix() {
    let home = TestHome::new();
    home.write_credentials("[r]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = s\n");
    let out = run(home.cmd().args(["exec", "--server", "r", "--", "true"]));
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("without --server"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// Real clients, each across two refreshes
// ---------------------------------------------------------------------------

/// The child's loop: `client` three times, PAST_WINDOW apart.
fn three_times(client: &str) -> String {
    format!(
        "for i in 1 2 3; do {client} >> \"$1/out\" 2>> \"$1/err\" || {{ echo fail >> \"$1/out\"; }}; [ $i = 3 ] || sleep {}; done; echo end >> \"$1/out\"",
        PAST_WINDOW.as_secs_f64()
    )
}

fn wait_for_end(r: &Running, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let out = std::fs::read_to_string(r.file("out")).unwrap_or_default();
        if out.contains("end\n") {
            return out;
        }
        if Instant::now() > deadline {
            let err = std::fs::read_to_string(r.file("err")).unwrap_or_default();
            panic!("the client loop did not end: {out}\n{err}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn aws_cli_v1_gets_refreshed_credentials() {
    let (home, role) = home_with_role("srv-v1");
    let aws = common::venv_bin("aws");
    let client = format!(
        "{} sts get-caller-identity --query Arn --output text",
        common::sh_quote(&aws.to_string_lossy())
    );
    let r = Running::start(&home, SHORT, &[], &three_times(&client));
    let out = wait_for_end(&r, Duration::from_secs(90));
    let (done, _) = r.finish(0);
    assert_eq!(done.code, 0, "{done:#?}");
    assert!(!out.contains("fail"), "{out}");
    assert_eq!(out.matches("assumed-role").count(), 3, "{out}");
    assert_eq!(calls(&role), 3, "the first fetch and two refreshes");
    assert_eq!(sessions(&out).len(), 3, "three sessions used: {out}");
}

#[test]
fn a_boto3_loop_gets_refreshed_credentials_in_one_process() {
    // 900 s credentials: inside botocore's 15 min advisory window, so the
    // one long-lived client asks the endpoint at every call.
    let home = TestHome::new().with_moto();
    let role = arn(&unique("srv-boto3"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nduration_seconds = 900\nregion = eu-west-2\n"
    ));
    let script = "import boto3, sys, time\n\
        sts = boto3.client('sts')\n\
        for i in range(3):\n\
        \x20   print(sts.get_caller_identity()['Arn'], flush=True)\n\
        \x20   if i < 2: time.sleep(11)\n\
        print('end', flush=True)\n";
    let py = common::venv_bin("python");
    let body = format!(
        "{} -c {} > \"$1/out\" 2> \"$1/err\"",
        common::sh_quote(&py.to_string_lossy()),
        common::sh_quote(script)
    );
    let r = Running::start(&home, "890s", &[], &body);
    let out = wait_for_end(&r, Duration::from_secs(90));
    let (done, _) = r.finish(0);
    assert_eq!(done.code, 0, "{done:#?}");
    assert_eq!(out.matches("assumed-role").count(), 3, "{out}");
    assert_eq!(calls(&role), 3, "the first fetch and two refreshes");
    assert_eq!(
        sessions(&out).len(),
        3,
        "one process, three sessions: {out}"
    );
}

#[test]
fn debian_aws_cli_v2_gets_refreshed_credentials_from_the_endpoint() {
    let (home, role) = home_with_role("srv-v2");
    // v2.9 ignores AWS_ENDPOINT_URL_STS: with a dead proxy for everything
    // but loopback, the endpoint is the only place it can get keys from.
    let env = [
        ("HTTPS_PROXY", common::DEAD_PROXY),
        ("HTTP_PROXY", common::DEAD_PROXY),
        ("https_proxy", common::DEAD_PROXY),
        ("http_proxy", common::DEAD_PROXY),
        ("NO_PROXY", "127.0.0.1,localhost"),
        ("no_proxy", "127.0.0.1,localhost"),
        ("AWS_PAGER", ""),
    ];
    let client = format!(
        "{} configure export-credentials --format process",
        common::AWS_V2
    );
    let r = Running::start(&home, SHORT, &env, &three_times(&client));
    let out = wait_for_end(&r, Duration::from_secs(90));
    let (done, _) = r.finish(0);
    assert_eq!(done.code, 0, "{done:#?}");
    let keys: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with('{') || l.contains("AccessKeyId"))
        .collect::<Vec<_>>()
        .join("\n")
        .split("\"AccessKeyId\": \"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 3, "{out}");
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        3,
        "a new key at each refresh: {out}"
    );
    assert_eq!(calls(&role), 3, "the first fetch and two refreshes");
}

/// The Rust client is this very test, run again by awsrole as its command
/// (aws-config reads the container variables from the process environment).
#[test]
fn aws_config_ecs_provider_gets_refreshed_credentials() {
    if std::env::var_os("AWSROLE_TEST_ECS_CLIENT").is_some() {
        return ecs_client();
    }
    let (home, role) = home_with_role("srv-rust");
    let exe = std::env::current_exe().unwrap();
    let body = format!(
        "AWSROLE_TEST_ECS_CLIENT=1 {} aws_config_ecs_provider_gets_refreshed_credentials --exact --nocapture --test-threads=1 > \"$1/out\" 2> \"$1/err\"; echo \"status=$?\" >> \"$1/out\"; echo end >> \"$1/out\"",
        common::sh_quote(&exe.to_string_lossy())
    );
    let r = Running::start(&home, SHORT, &[], &body);
    let out = wait_for_end(&r, Duration::from_secs(90));
    let (done, _) = r.finish(0);
    assert_eq!(done.code, 0, "{done:#?}");
    assert!(out.contains("status=0"), "{out}");
    let keys: Vec<&str> = out
        .split("ECSKEY ")
        .skip(1)
        .filter_map(|s| s.split_whitespace().next())
        .collect();
    assert_eq!(keys.len(), 3, "{out}");
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 3, "{keys:?}");
    assert_eq!(calls(&role), 3, "the first fetch and two refreshes");
}

/// aws-config's ECS provider, three times across two refreshes.
fn ecs_client() {
    use aws_credential_types::provider::ProvideCredentials;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_config::provider_config::ProviderConfig::default().with_http_client(http);
    let provider = aws_config::ecs::EcsCredentialsProvider::builder()
        .configure(&config)
        .build();
    for i in 0..3 {
        let c = rt
            .block_on(provider.provide_credentials())
            .unwrap_or_else(|e| panic!("ECS provider: {e:?}"));
        assert!(c.expiry().is_some());
        capture::secrets([
            c.secret_access_key().to_string(),
            c.session_token().unwrap_or_default().to_string(),
        ]);
        println!("ECSKEY {}", c.access_key_id());
        if i < 2 {
            std::thread::sleep(PAST_WINDOW);
        }
    }
}

// ---------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------

#[test]
fn wrong_tokens_hosts_and_paths_are_refused_without_secrets() {
    let (home, _) = home_with_role("srv-refuse");
    let r = Running::start(&home, "15m", &[], "");
    let port = r.port();
    let path = r.path();
    let host = format!("127.0.0.1:{port}");
    let token = r.token().to_string();
    let mut wrong = token.clone();
    wrong.replace_range(63.., if token.ends_with('0') { "1" } else { "0" });

    let refused = [
        (request(port, &path, &host, Some(&wrong)), 403),
        (request(port, &path, &host, None), 403),
        (request(port, &path, &host, Some(&token[..63])), 403),
        (request(port, &path, &host, Some(&format!("{token}x"))), 403),
        (request(port, &path, "evil.example", Some(&token)), 403),
        (
            request(port, &path, &format!("rebind.example:{port}"), Some(&token)),
            403,
        ),
        (request(port, "/", &host, Some(&token)), 404),
        (request(port, &format!("{path}x"), &host, Some(&token)), 404),
    ];
    let (ok, good) = r.get();
    assert_eq!(ok, 200);
    let secret = good["SecretAccessKey"].as_str().unwrap().to_string();
    capture::secrets([secret.clone()]);
    for ((status, body), want) in refused {
        assert_eq!(status, want, "{body}");
        let text = body.to_string();
        assert!(
            body["Message"].as_str().is_some_and(|m| !m.is_empty()),
            "{text}"
        );
        assert!(!text.contains(&token) && !text.contains(&secret), "{text}");
        assert!(body.get("AccessKeyId").is_none(), "{text}");
    }
    for host in ["localhost", &format!("localhost:{port}"), "[::1]"] {
        assert_eq!(request(port, &path, host, Some(&token)).0, 200, "{host}");
    }
    let (out, _) = r.finish(0);
    assert!(!out.stderr.contains(&token), "{}", out.stderr);
}

#[test]
fn a_hundred_concurrent_requests_make_one_sts_call() {
    let (home, role) = home_with_role("srv-100");
    let r = Running::start(&home, SHORT, &[], "");
    assert_eq!(calls(&role), 1);
    std::thread::sleep(PAST_WINDOW);
    let (port, path, token) = (r.port(), r.path(), r.token().to_string());
    let host = format!("127.0.0.1:{port}");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(100));
    let threads: Vec<_> = (0..100)
        .map(|_| {
            let (path, host, token, barrier) =
                (path.clone(), host.clone(), token.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                request(port, &path, &host, Some(&token))
            })
        })
        .collect();
    let answers: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let keys: HashSet<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            akid(body)
        })
        .collect();
    assert_eq!(keys.len(), 1, "all got the one refreshed key: {keys:?}");
    assert_eq!(calls(&role), 2, "one AssumeRole for 100 requests");
    r.finish(0);
}

// ---------------------------------------------------------------------------
// The process
// ---------------------------------------------------------------------------

#[test]
fn the_token_is_never_in_argv_and_the_port_closes_with_the_command() {
    let (home, _) = home_with_role("srv-argv");
    let r = Running::start(&home, "15m", &[], "");
    let token = r.token().to_string();
    let port = r.port();
    let mut scanned = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            scanned += 1;
            assert!(
                !String::from_utf8_lossy(&cmdline).contains(&token),
                "token in {:?}",
                entry.path()
            );
        }
    }
    assert!(scanned > 3);
    let ps = Command::new("ps")
        .args(["-eww", "-o", "args"])
        .output()
        .unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(
        ps.contains("awsrole exec --server"),
        "ps sees awsrole: {ps}"
    );
    assert!(!ps.contains(&token));
    assert_eq!(r.get().0, 200);
    let (out, _) = r.finish(0);
    assert_eq!(out.code, 0);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the endpoint is closed once the command exited"
    );
}

#[test]
fn exit_status_and_signals_pass_through() {
    let (home, _) = home_with_role("srv-exit");
    let r = Running::start(&home, "15m", &[], "");
    assert_eq!(r.finish(42).0.code, 42);

    // Dying of a signal: awsrole dies of the same one (a shell shows 128+N).
    let status = home
        .cmd()
        .args(["exec", "--server", "r", "--", "sh", "-c", "kill -TERM $$"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    let mut shell = Command::new("sh");
    shell
        .env_clear()
        .envs(home.clean_env())
        .arg("-c")
        .arg(format!(
            "{} exec --server r -- sh -c 'kill -HUP $$'; echo \"status=$?\"",
            common::sh_quote(&common::awsrole_bin().to_string_lossy()),
        ));
    let shell = run(&mut shell);
    assert_eq!(shell.stdout, "status=129\n", "{shell:#?}");

    // Signals sent to awsrole alone reach the command.
    for (name, code) in [("TERM", 7), ("INT", 5), ("HUP", 9)] {
        let r = Running::start(
            &home,
            "15m",
            &[],
            &format!("trap 'exit {code}' {name}; touch \"$1/trapped\""),
        );
        let pid = r.child.id() as i32;
        while !r.file("trapped").exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let kill = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(kill.success());
        let mut r = r;
        let status = wait_bounded(&mut r.child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(code), "SIG{name}");
    }
}

#[test]
fn ctrl_c_in_a_terminal_reaches_the_command_and_awsrole_outlives_it() {
    let (home, _) = home_with_role("srv-tty");
    let bin = common::awsrole_bin();
    // The command outlives Ctrl-C by a second and exits 3: had awsrole died
    // of the SIGINT, the pane's process would have died of it at once.
    // The shell around awsrole has a Ctrl-C handler (not an ignore, which the
    // command would inherit) so that it survives to print awsrole's status;
    // tmux does not always report the pane's own end.
    let inner = "trap 'echo got-INT; sleep 1; exit 3' INT; echo ready; while :; do sleep 0.1; done";
    let script = format!(
        "trap : INT; {} exec --server r -- sh -c {}; echo \"exit=$?\"; sleep 30",
        common::sh_quote(&bin.to_string_lossy()),
        common::sh_quote(inner)
    );
    let tmux = home.tmux(
        &format!("exec bash -c {}", common::sh_quote(&script)),
        100,
        20,
    );
    tmux.wait_for("ready", Duration::from_secs(30));
    tmux.send_key("C-c");
    tmux.wait_for("got-INT", Duration::from_secs(10));
    // 130 had awsrole died of the SIGINT before the command.
    tmux.wait_for("exit=3", Duration::from_secs(20));
}

// ---------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------

/// A TCP relay to moto that can be cut, for "STS unreachable mid-run".
struct Relay {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    fn start() -> Relay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = cut.clone();
        let target = moto().port();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(client); // closed at once: the connection fails
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut c1, mut s1) = (client, server);
                std::thread::spawn(move || std::io::copy(&mut c1, &mut s1));
                std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
            }
        });
        Relay { port, cut }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn sts_unreachable_mid_run_keeps_serving_the_valid_credentials() {
    let (home, role) = home_with_role("srv-down");
    let relay = Relay::start();
    let endpoint = format!("http://127.0.0.1:{}", relay.port);
    let r = Running::start(&home, SHORT, &[("AWS_ENDPOINT_URL_STS", &endpoint)], "");
    let (status, first) = r.get();
    assert_eq!(status, 200);
    relay.cut();
    std::thread::sleep(PAST_WINDOW);
    let (status, again) = r.get();
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        akid(&again),
        akid(&first),
        "the old, still valid credentials"
    );
    assert_eq!(calls(&role), 1);
    // The warning comes once the SDK has given up (it retries).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(r.file("stderr"))
        .unwrap()
        .contains("warning")
    {
        assert!(Instant::now() < deadline, "no warning on stderr");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (out, _) = r.finish(0);
    assert!(out.stderr.contains(&role), "names the role: {}", out.stderr);
    assert!(out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn expired_and_unrefreshable_credentials_are_a_5xx_naming_the_cause() {
    // A credential_process that gives 30 s credentials once, then fails.
    let home = TestHome::new();
    let marker = home.path().join("issued");
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ -e {m} ]; then echo 'the vault is sealed' >&2; exit 1; fi\ntouch {m}\nexp=$(date -u -d '+30 seconds' +%Y-%m-%dT%H:%M:%SZ)\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"proc-token\", \"Expiration\": \"%s\"}}\\n' \"$exp\"\n",
            m = common::sh_quote(&marker.to_string_lossy())
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(&script)
        .status()
        .unwrap();
    home.write_config(&format!(
        "[profile r]\ncredential_process = {}\n",
        script.display()
    ));
    let r = Running::start(&home, "15m", &[], "");
    let (status, body) = r.get();
    assert_eq!(status, 200, "{body}");
    // Past half their life (the window of short credentials): the refresh
    // fails, the still valid ones are served.
    std::thread::sleep(Duration::from_secs(16));
    let (status, body) = r.get();
    assert_eq!(
        (status, akid(&body)),
        (200, "AKIDPROC".to_string()),
        "{body}"
    );
    // Nearly expired: an error naming the profile and the cause.
    std::thread::sleep(Duration::from_secs(6));
    let began = Instant::now();
    let (status, body) = r.get();
    assert!(began.elapsed() < Duration::from_secs(25), "bounded");
    assert!((500..600).contains(&status), "{status} {body}");
    let message = body["Message"].as_str().unwrap();
    assert!(message.contains("profile `r`"), "{message}");
    assert!(message.contains("the vault is sealed"), "{message}");
    assert!(!body.to_string().contains("proc-secret"));
    let (out, _) = r.finish(0);
    assert!(out.stderr.contains("the vault is sealed"), "{}", out.stderr);
}

#[test]
fn an_mfa_code_needed_mid_run_is_asked_on_the_terminal() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("srv-mfa"));
    let serial = "arn:aws:iam::123456789012:mfa/srv-user";
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = {serial}\n"
    ));
    // The command polls the endpoint until it hands out a new key: the old
    // one is served meanwhile, while the code is asked for.
    let client = r#"
import json, os, sys, time, urllib.request
def key():
    req = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
    return json.load(urllib.request.urlopen(req, timeout=5))["AccessKeyId"]
first = key()
print("ready", flush=True)
time.sleep(11)
deadline = time.time() + 60
while key() == first and time.time() < deadline:
    time.sleep(0.5)
print("new key" if key() != first else "same key", flush=True)
time.sleep(30)
"#;
    let tmux = home.tmux(
        &format!(
            "AWSROLE_MFA_SESSION=off exec {} exec --server --min-ttl {SHORT} r -- {} -c {}",
            common::sh_quote(&common::awsrole_bin().to_string_lossy()),
            common::sh_quote(&common::venv_bin("python").to_string_lossy()),
            common::sh_quote(client)
        ),
        200,
        30,
    );
    let prompt = format!("Enter MFA code for {serial}:");
    tmux.wait_for(&prompt, Duration::from_secs(30));
    tmux.send_line("111222");
    tmux.wait_for("ready", Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(30);
    while tmux.capture().matches(&prompt).count() < 2 {
        assert!(Instant::now() < deadline, "{}", tmux.capture());
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.send_line("333444");
    tmux.wait_for("new key", Duration::from_secs(30));
    let sent = moto().requests_where("AssumeRole", "RoleArn", &role);
    let codes: Vec<_> = sent.iter().map(|r| r.param("TokenCode")).collect();
    assert_eq!(codes, [Some("111222"), Some("333444")]);
}
