//! IAM Identity Center without the AWS CLI: the token cache shared with the
//! AWS CLI, silent refresh under the lock, `awsrole login` (device code and
//! PKCE through a real headless Chromium), `logout`, and interop with the
//! AWS CLI v1's botocore. The SSO-OIDC peer is a loopback stand-in checked
//! against botocore's own service model.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::sso_oidc::{self, Behaviour, DeviceOutcome, Seeded, SsoStandIn};
use common::{TestHome, capture, moto, run, venv_bin};
use serde_json::Value;

const START_URL: &str = "https://corp.awsapps.com/start";
const CONFIG: &str = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\
     [profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\n";

/// sha1("corp"): the token file of [sso-session corp].
const TOKEN_KEY: &str = "ee0bfd2552fbd840c02cc48b6e823320543c450f";

fn token_path(home: &TestHome) -> PathBuf {
    home.path()
        .join(".aws/sso/cache")
        .join(format!("{TOKEN_KEY}.json"))
}

fn read_token(home: &TestHome) -> Value {
    let text = std::fs::read_to_string(token_path(home)).expect("token file");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("token file does not parse: {e}: {text}"))
}

/// A token file as a past login wrote it, with `left` seconds to live.
fn write_token(home: &TestHome, s: &Seeded, left: i64) {
    let dir = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    let at = |secs: i64| {
        let t = if secs >= 0 {
            std::time::SystemTime::now() + Duration::from_secs(secs as u64)
        } else {
            std::time::SystemTime::now() - Duration::from_secs((-secs) as u64)
        };
        humantime::format_rfc3339_seconds(t).to_string()
    };
    let reg =
        std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(s.registration_expires as u64);
    let body = serde_json::json!({
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": s.access_token,
        "expiresAt": at(left),
        "clientId": s.client_id,
        "clientSecret": s.client_secret,
        "registrationExpiresAt": humantime::format_rfc3339_seconds(reg).to_string(),
        "refreshToken": s.refresh_token,
    });
    std::fs::write(token_path(home), body.to_string()).unwrap();
}

fn cmd(home: &TestHome, sso: &SsoStandIn) -> Command {
    let mut c = home.cmd();
    c.env("AWS_ENDPOINT_URL_SSO_OIDC", sso.url())
        .env("AWS_ENDPOINT_URL_SSO", sso.url());
    c
}

/// `env dev` with `--verbose`: what it says must hold no secret either.
fn env_dev(home: &TestHome, sso: &SsoStandIn) -> common::Output {
    run(cmd(home, sso).args(["--verbose", "env", "dev", "--shell", "bash"]))
}

// ---------------------------------------------------------------------------
// The stand-in against botocore's service model
// ---------------------------------------------------------------------------

fn model() -> Value {
    let site = std::fs::read_dir(common::venv_dir().join("lib"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .join("site-packages/botocore/data/sso-oidc")
        })
        .find(|p| p.is_dir())
        .expect("botocore's sso-oidc model in the venv");
    let version = std::fs::read_dir(&site)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let gz = version.join("service-2.json.gz");
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import gzip,sys; sys.stdout.write(gzip.open(sys.argv[1]).read().decode())",
        ])
        .arg(&gz)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// POST a JSON body; (status, JSON answer, x-amzn-ErrorType).
fn post_json(port: u16, path: &str, body: &Value) -> (u16, Value, Option<String>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.to_string();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, answer) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let kind = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-errortype"))
        .map(|(_, v)| v.trim().to_string());
    (
        status,
        serde_json::from_str(answer).unwrap_or(Value::Null),
        kind,
    )
}

#[test]
fn the_stand_in_speaks_botocores_sso_oidc_model() {
    let m = model();
    assert_eq!(m["metadata"]["protocol"], "rest-json");
    for (op, method, path) in sso_oidc::ROUTES {
        let http = &m["operations"][op]["http"];
        assert_eq!(http["method"], method, "{op}");
        assert_eq!(http["requestUri"], path, "{op}");
        assert_eq!(m["operations"][op]["authtype"], "none", "{op} is unsigned");
    }
    for (exception, oauth, status) in sso_oidc::ERRORS {
        let shape = &m["shapes"][exception];
        assert_eq!(shape["exception"], true, "{exception}");
        assert_eq!(shape["error"]["httpStatusCode"], status, "{exception}");
        assert!(shape["members"]["error"].is_object(), "{exception}");
        assert!(shape["members"]["error_description"].is_object());
        let doc = shape["members"]["error"]["documentation"]
            .as_str()
            .unwrap_or("");
        assert!(
            doc.contains(&format!("<code>{oauth}</code>")),
            "{exception}: {doc}"
        );
        let listed = m["operations"]["CreateToken"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["shape"] == exception);
        assert!(listed, "CreateToken may answer {exception}");
    }
    // Real answers: every key is a member of the output shape, with its type.
    let sso = SsoStandIn::start(Behaviour {
        pending_polls: 1,
        ..Behaviour::default()
    });
    let post = |path: &str, body: Value| -> (u16, Value, Option<String>) {
        post_json(sso.port(), path, &body)
    };
    let check = |op: &str, answer: &Value| {
        let out = m["operations"][op]["output"]["shape"].as_str().unwrap();
        let members = &m["shapes"][out]["members"];
        for (k, v) in answer.as_object().unwrap() {
            let shape = members[k]["shape"]
                .as_str()
                .unwrap_or_else(|| panic!("{op}: {k} is not in {out}"));
            let ty = m["shapes"][shape]["type"].as_str().unwrap();
            let fits = match ty {
                "string" => v.is_string(),
                "integer" | "long" => v.is_i64(),
                _ => false,
            };
            assert!(fits, "{op}: {k} should be {ty}, is {v}");
        }
    };
    let required = |op: &str| -> Vec<String> {
        let input = m["operations"][op]["input"]["shape"].as_str().unwrap();
        m["shapes"][input]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(required("RegisterClient"), ["clientName", "clientType"]);
    let (st, reg, _) = post(
        "/client/register",
        serde_json::json!({"clientName": "t", "clientType": "public"}),
    );
    assert_eq!(st, 200);
    check("RegisterClient", &reg);
    let client = |extra: Value| {
        let mut b =
            serde_json::json!({"clientId": reg["clientId"], "clientSecret": reg["clientSecret"]});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    assert_eq!(
        required("StartDeviceAuthorization"),
        ["clientId", "clientSecret", "startUrl"]
    );
    let (st, dev, _) = post(
        "/device_authorization",
        client(serde_json::json!({"startUrl": START_URL})),
    );
    assert_eq!(st, 200);
    check("StartDeviceAuthorization", &dev);
    assert_eq!(
        required("CreateToken"),
        ["clientId", "clientSecret", "grantType"]
    );
    let poll = client(
        serde_json::json!({"grantType": "urn:ietf:params:oauth:grant-type:device_code", "deviceCode": dev["deviceCode"]}),
    );
    let (st, pending, kind) = post("/token", poll.clone());
    assert_eq!(
        (st, kind.as_deref()),
        (400, Some("AuthorizationPendingException"))
    );
    assert_eq!(pending["error"], "authorization_pending");
    let (st, tok, _) = post("/token", poll);
    assert_eq!(st, 200);
    check("CreateToken", &tok);
    let (st, _, kind) = post(
        "/token",
        client(serde_json::json!({"grantType": "refresh_token", "refreshToken": "nope"})),
    );
    assert_eq!((st, kind.as_deref()), (400, Some("InvalidGrantException")));
}

// ---------------------------------------------------------------------------
// Silent refresh
// ---------------------------------------------------------------------------

#[test]
fn less_than_15_minutes_left_refreshes_and_persists_the_rotated_token() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let seeded = sso.seed(Duration::from_secs(600));
    write_token(&home, &seeded, 600);
    let out = env_dev(&home, &sso);
    out.assert_success();
    assert!(out.stdout.contains("ASIASSOSTANDIN000001"), "{out:?}");
    assert_eq!(sso.create_tokens("refresh_token"), 1);
    let t = read_token(&home);
    let rotated = t["refreshToken"].as_str().unwrap();
    assert_ne!(rotated, seeded.refresh_token, "rotated refresh token saved");
    assert!(sso.refresh_token_valid(rotated));
    assert_ne!(t["accessToken"], seeded.access_token.as_str());
    assert!(sso.valid_access_token(t["accessToken"].as_str().unwrap()));
    assert_eq!(t["clientSecret"], seeded.client_secret.as_str());
    // The portal got the new token.
    let portal: Vec<_> = sso
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/federation/credentials")
        .collect();
    assert_eq!(
        portal.last().unwrap().header("x-amz-sso_bearer_token"),
        t["accessToken"].as_str()
    );
    // Now an hour is left: no second refresh.
    env_dev(&home, &sso).assert_success();
    assert_eq!(sso.create_tokens("refresh_token"), 1);
    assert!(!out.stderr.contains(rotated) && !out.stderr.contains(&seeded.client_secret));
}

#[test]
fn more_than_15_minutes_left_is_used_as_is() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let seeded = sso.seed(Duration::from_secs(1200));
    write_token(&home, &seeded, 1200);
    env_dev(&home, &sso).assert_success();
    assert_eq!(sso.create_tokens("refresh_token"), 0);
    assert_eq!(
        read_token(&home)["accessToken"],
        seeded.access_token.as_str()
    );
}

#[test]
fn an_expired_registration_means_no_refresh_and_names_awsrole_login() {
    let sso = SsoStandIn::start(Behaviour {
        registration_ttl_secs: -60,
        ..Behaviour::default()
    });
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let seeded = sso.seed(Duration::from_secs(1));
    write_token(&home, &seeded, -30);
    let out = env_dev(&home, &sso);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("awsrole login dev"), "{}", out.stderr);
    assert!(
        out.stderr.contains("registration has expired"),
        "{}",
        out.stderr
    );
    assert_eq!(sso.create_tokens("refresh_token"), 0);
    assert!(sso.requests().is_empty(), "no call at all");
}

#[test]
fn a_refused_refresh_of_an_expired_token_names_awsrole_login() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let mut seeded = sso.seed(Duration::from_secs(1));
    seeded.refresh_token = "revoked-refresh-token".into();
    write_token(&home, &seeded, -30);
    let out = env_dev(&home, &sso);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("awsrole login dev") && out.stderr.contains("InvalidGrantException"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("revoked-refresh-token"));
}

#[test]
fn thirty_two_processes_make_one_create_token_and_lose_no_refresh_token() {
    let sso = SsoStandIn::start(Behaviour {
        create_token_delay: Duration::from_millis(500),
        ..Behaviour::default()
    });
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let seeded = sso.seed(Duration::from_secs(300));
    write_token(&home, &seeded, 300);
    let outs: Vec<common::Output> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32).map(|_| s.spawn(|| env_dev(&home, &sso))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for o in &outs {
        o.assert_success();
        assert!(o.stdout.contains("ASIASSOSTANDIN000001"), "{o:?}");
    }
    assert_eq!(sso.create_tokens("refresh_token"), 1);
    let t = read_token(&home);
    assert!(sso.refresh_token_valid(t["refreshToken"].as_str().unwrap()));
    assert!(sso.valid_access_token(t["accessToken"].as_str().unwrap()));
    let portal = sso
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/federation/credentials")
        .count();
    assert_eq!(portal, 32);
}

fn botocore_loads(home: &TestHome) -> Result<(), String> {
    let script = "import os,sys\nfrom botocore.utils import JSONFileCache, SSOTokenLoader\n\
        cache = JSONFileCache(os.path.expanduser('~/.aws/sso/cache'))\n\
        t = SSOTokenLoader(cache=cache)(sys.argv[1], session_name='corp')\n\
        assert t['accessToken'] and t['expiresAt'], t.keys()\nprint('ok')\n";
    let out = run(Command::new(venv_bin("python"))
        .env_clear()
        .envs(home.clean_env())
        .args(["-c", script, START_URL]));
    if out.success() && out.stdout.trim() == "ok" {
        Ok(())
    } else {
        Err(format!("{out:?}"))
    }
}

#[test]
fn sigkill_during_a_refresh_leaves_a_token_file_both_readers_parse() {
    let sso = SsoStandIn::start(Behaviour {
        create_token_delay: Duration::from_secs(2),
        ..Behaviour::default()
    });
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let seeded = sso.seed(Duration::from_secs(600));
    write_token(&home, &seeded, 600);
    for round in 0..3 {
        let mut child = cmd(&home, &sso)
            .args(["env", "dev", "--shell", "bash"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while sso.create_tokens("refresh_token") <= round
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Killed while CreateToken is in flight (round 0) or just after.
        std::thread::sleep(Duration::from_millis(300 * round as u64));
        child.kill().unwrap();
        child.wait().unwrap();
        read_token(&home);
        botocore_loads(&home).unwrap();
        // Back to a token that needs refreshing for the next round.
        let s = sso.seed(Duration::from_secs(600));
        write_token(&home, &s, 600);
    }
    // And awsrole still works afterwards.
    env_dev(&home, &sso).assert_success();
}

// ---------------------------------------------------------------------------
// awsrole login: device code
// ---------------------------------------------------------------------------

fn login(home: &TestHome, sso: &SsoStandIn, args: &[&str]) -> common::Output {
    run(cmd(home, sso).arg("login").args(args))
}

#[test]
fn device_code_login_polls_slows_down_and_saves_token_and_registration() {
    let sso = SsoStandIn::start(Behaviour {
        pending_polls: 1,
        slow_down_polls: 1,
        ..Behaviour::default()
    });
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let start = Instant::now();
    // No display and no BROWSER: the device code flow is chosen on its own.
    let out = login(&home, &sso, &["dev"]);
    let took = start.elapsed();
    out.assert_success();
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("WDJB-MJHT")
            && out
                .stderr
                .contains("https://device.sso.us-east-1.amazonaws.com/"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("device code"), "{}", out.stderr);
    // 1 s, 1 s, then slow_down adds 5 s: the third poll comes 6 s later.
    assert!(took >= Duration::from_secs(8), "{took:?}");
    assert_eq!(
        sso.create_tokens("urn:ietf:params:oauth:grant-type:device_code"),
        3
    );
    let t = read_token(&home);
    assert_eq!(t["startUrl"], START_URL);
    assert_eq!(t["region"], "us-east-1");
    for k in [
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(t[k].is_string(), "{k} in {t}");
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(token_path(&home)).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // The registration file is under the AWS CLI's key, and reused.
    let regs = sso.calls("/client/register");
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0]["scopes"], serde_json::json!(["sso:account:access"]));
    let expected_key = python_sha1(
        r#"{"region": "us-east-1", "scopes": ["sso:account:access"], "session_name": "corp", "startUrl": "https://corp.awsapps.com/start", "tool": "botocore"}"#,
    );
    let reg_file = home
        .path()
        .join(format!(".aws/sso/cache/{expected_key}.json"));
    let reg: Value = serde_json::from_str(&std::fs::read_to_string(reg_file).unwrap()).unwrap();
    assert_eq!(reg["clientId"], t["clientId"]);
    sso.set(|b| {
        b.pending_polls = 0;
        b.slow_down_polls = 0;
    });
    login(&home, &sso, &["dev", "--device-code"]).assert_success();
    assert_eq!(
        sso.calls("/client/register").len(),
        1,
        "registration reused"
    );
    for secret in [&t["accessToken"], &t["refreshToken"], &t["clientSecret"]] {
        assert!(!out.stderr.contains(secret.as_str().unwrap()));
    }
    // The token works for the role.
    env_dev(&home, &sso).assert_success();
}

fn python_sha1(text: &str) -> String {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest())",
            text,
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn device_code_denied_or_expired_stops_with_a_clear_message() {
    for (outcome, words) in [
        (DeviceOutcome::Deny, "was denied"),
        (DeviceOutcome::Expire, "expired before it was approved"),
    ] {
        let sso = SsoStandIn::start(Behaviour {
            device_outcome: outcome,
            ..Behaviour::default()
        });
        let home = TestHome::new();
        home.write_config(CONFIG);
        let out = login(&home, &sso, &["--sso-session", "corp", "--device-code"]);
        assert_eq!(out.code, 4, "{out:?}");
        assert!(
            out.stderr.contains(words) && out.stderr.contains("awsrole login --sso-session corp"),
            "{}",
            out.stderr
        );
        assert!(!token_path(&home).exists());
        assert_eq!(
            sso.create_tokens("urn:ietf:params:oauth:grant-type:device_code"),
            1
        );
    }
}

// ---------------------------------------------------------------------------
// awsrole login: PKCE in a real browser
// ---------------------------------------------------------------------------

/// A $BROWSER that loads the page in headless Chromium and follows it back.
fn chromium_browser(home: &TestHome) -> PathBuf {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
        .unwrap_or_else(|| {
            panic!("TEST PEER MISSING: chromium (Debian package); run scripts/test, it installs it")
        });
    let profile = home.path().join("chromium-profile");
    let script = home.path().join("browser.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec {chromium} --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir={} --dump-dom \"$1\" >{}/dom.html 2>{}/chromium.log\n",
            profile.display(),
            home.path().display(),
            home.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// Chromium's --dump-dom output, once it is complete.
fn dumped_dom(path: &std::path::Path) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains("</html>") || start.elapsed() > Duration::from_secs(20) {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn pkce_login_through_headless_chromium() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let browser = chromium_browser(&home);
    let out = run(cmd(&home, &sso)
        .args(["login", "dev", "--timeout", "60s"])
        .env("BROWSER", &browser));
    out.assert_success();
    let regs = sso.calls("/client/register");
    assert_eq!(
        regs[0]["grantTypes"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        regs[0]["redirectUris"],
        serde_json::json!(["http://127.0.0.1/oauth/callback"])
    );
    assert_eq!(regs[0]["issuerUrl"], START_URL);
    let calls = sso.calls("/token");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["grantType"], "authorization_code");
    assert!(calls[0]["codeVerifier"].as_str().unwrap().len() == 64);
    let t = read_token(&home);
    assert!(sso.valid_access_token(t["accessToken"].as_str().unwrap()));
    let dom = dumped_dom(&home.path().join("dom.html"));
    assert!(
        dom.contains("Signed in"),
        "the browser saw awsrole's page: {dom}"
    );
    for secret in [&t["accessToken"], &t["refreshToken"], &t["clientSecret"]] {
        assert!(!out.stderr.contains(secret.as_str().unwrap()));
    }
    env_dev(&home, &sso).assert_success();
}

#[test]
fn pkce_login_refuses_a_redirect_with_the_wrong_state() {
    let sso = SsoStandIn::start(Behaviour {
        forged_state: Some("forged-state".into()),
        ..Behaviour::default()
    });
    let home = TestHome::new();
    home.write_config(CONFIG);
    let browser = chromium_browser(&home);
    let out = run(cmd(&home, &sso)
        .args(["login", "dev", "--timeout", "60s"])
        .env("BROWSER", &browser));
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("wrong state"), "{}", out.stderr);
    assert_eq!(sso.calls("/token").len(), 0, "no code was exchanged");
    assert!(!token_path(&home).exists());
}

#[test]
fn pkce_login_gives_up_after_the_timeout() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new();
    home.write_config(CONFIG);
    let out = run(cmd(&home, &sso)
        .args(["login", "dev", "--timeout", "2s"])
        .env("BROWSER", "/bin/true"));
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr
            .contains("no sign-in came back from the browser within 2s")
            && out.stderr.contains("--device-code"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------
// logout
// ---------------------------------------------------------------------------

#[test]
fn logout_removes_the_token_and_the_role_entries_from_it() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    let admin = format!(
        "arn:aws:iam::123456789012:role/{}",
        common::unique("sso-lo")
    );
    home.write_config(&format!(
        "{CONFIG}[profile admin]\nrole_arn = {admin}\nsource_profile = dev\n"
    ));
    let seeded = sso.seed(Duration::from_secs(3600));
    write_token(&home, &seeded, 3600);
    run(cmd(&home, &sso).args(["env", "admin", "--shell", "bash"])).assert_success();
    let role_files = std::fs::read_dir(home.cache_dir()).unwrap().count();
    assert!(role_files >= 1);
    let out = run(cmd(&home, &sso).args(["logout", "admin"]));
    out.assert_success();
    assert!(out.stdout.is_empty());
    assert!(!token_path(&home).exists());
    assert!(
        out.stderr.contains("sign-in token of sso-session `corp`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&admin), "{}", out.stderr);
    let left: Vec<_> = std::fs::read_dir(home.cache_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.iter().all(|n| !n.to_string_lossy().ends_with(".json")),
        "{left:?}"
    );
    let again = run(cmd(&home, &sso).args(["logout", "--all"]));
    again.assert_success();
    assert!(
        again.stderr.contains("nothing to remove"),
        "{}",
        again.stderr
    );
    let after = env_dev(&home, &sso);
    assert_eq!(after.code, 3);
    assert!(
        after.stderr.contains("awsrole login dev"),
        "{}",
        after.stderr
    );
}

// ---------------------------------------------------------------------------
// Interop with the AWS CLI v1 (botocore)
// ---------------------------------------------------------------------------

#[test]
fn after_awsrole_login_the_aws_cli_needs_no_login_of_its_own() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    login(&home, &sso, &["dev", "--device-code"]).assert_success();
    let out = run(home
        .aws_v1()
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            "dev",
            "--output",
            "json",
        ])
        .env("AWS_ENDPOINT_URL_SSO", sso.url())
        .env("AWS_ENDPOINT_URL_SSO_OIDC", sso.url())
        .env("AWS_ENDPOINT_URL_STS", moto().endpoint())
        .env("AWS_DEFAULT_REGION", "us-east-1"));
    out.assert_success();
    assert!(out.stdout.contains("\"Account\""), "{out:?}");
    let portal: Vec<_> = sso
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/federation/credentials")
        .collect();
    assert_eq!(portal.len(), 1, "the AWS CLI used awsrole's token");
}

#[test]
fn a_token_written_by_botocore_is_used_and_refreshed() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    home.write_config(CONFIG);
    let s = sso.seed(Duration::from_secs(300));
    let script = "import os,sys,datetime\n\
        from botocore.utils import JSONFileCache, SSOTokenLoader\n\
        from botocore.tokens import _sso_json_dumps\n\
        cache = JSONFileCache(os.path.expanduser('~/.aws/sso/cache'), dumps_func=_sso_json_dumps)\n\
        now = datetime.datetime.now(datetime.timezone.utc)\n\
        SSOTokenLoader(cache=cache).save_token(sys.argv[1], {'startUrl': sys.argv[1], 'region': 'us-east-1',\n\
          'accessToken': sys.argv[2], 'expiresAt': now + datetime.timedelta(minutes=5),\n\
          'clientId': sys.argv[3], 'clientSecret': sys.argv[4],\n\
          'registrationExpiresAt': now + datetime.timedelta(days=30), 'refreshToken': sys.argv[5]}, session_name='corp')\n";
    run(Command::new(venv_bin("python"))
        .env_clear()
        .envs(home.clean_env())
        .args([
            "-c",
            script,
            START_URL,
            &s.access_token,
            &s.client_id,
            &s.client_secret,
            &s.refresh_token,
        ]))
    .assert_success();
    let before = read_token(&home);
    assert_eq!(before["accessToken"], s.access_token.as_str());
    env_dev(&home, &sso).assert_success();
    assert_eq!(sso.create_tokens("refresh_token"), 1);
    let after = read_token(&home);
    assert_ne!(after["accessToken"], s.access_token.as_str());
    assert!(sso.refresh_token_valid(after["refreshToken"].as_str().unwrap()));
    botocore_loads(&home).unwrap();
    capture::secrets([s.access_token.clone()]);
}

// ---------------------------------------------------------------------------
// list and status
// ---------------------------------------------------------------------------

#[test]
fn list_and_status_show_each_sessions_token_and_whether_it_can_refresh() {
    let sso = SsoStandIn::start(Behaviour::default());
    let home = TestHome::new().with_moto();
    home.write_config(&format!(
        "{CONFIG}[sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = eu-west-1\n\
         [profile legacy]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n"
    ));
    let seeded = sso.seed(Duration::from_secs(3000));
    write_token(&home, &seeded, 3000);
    let list = run(home.cmd().arg("list"));
    list.assert_success();
    let line = |name: &str| {
        list.stdout
            .lines()
            .find(|l| l.starts_with(name) && l.contains("token"))
            .unwrap_or_else(|| panic!("no session line for {name}: {}", list.stdout))
            .to_string()
    };
    assert!(
        line("corp").contains("token 49m") || line("corp").contains("token 50m"),
        "{}",
        list.stdout
    );
    assert!(
        line("corp").contains("refreshes silently"),
        "{}",
        list.stdout
    );
    assert!(
        line("other").contains("no token")
            && line("other").contains("awsrole login --sso-session other"),
        "{}",
        list.stdout
    );
    assert!(
        line("https://legacy.awsapps.com/start").contains("no token"),
        "{}",
        list.stdout
    );
    let json = run(home.cmd().args(["list", "--json"]));
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let dev = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "dev")
        .unwrap();
    assert_eq!(dev["sso"]["session"], "corp");
    assert_eq!(dev["sso"]["can_refresh"], true);
    assert!(dev["sso"]["seconds_left"].as_u64().unwrap() > 2900);

    // status, in a shell holding dev's credentials.
    let env = env_dev(&home, &sso);
    env.assert_success();
    let vars = common::shell_eval(
        "bash",
        &env.stdout,
        &[
            "AWSROLE_PROFILE",
            "AWSROLE_EXPIRATION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ],
    );
    let mut status = home.cmd();
    status.arg("status");
    for (k, v) in &vars {
        if let Some(v) = v {
            status.env(k, v);
        }
    }
    let out = run(&mut status);
    out.assert_success();
    assert!(
        out.stdout.contains("sso-session `corp`: token")
            && out.stdout.contains("refreshes silently"),
        "{}",
        out.stdout
    );
    // A token that cannot refresh says so, and which login to run.
    let mut no_refresh = read_token(&home);
    no_refresh.as_object_mut().unwrap().remove("refreshToken");
    no_refresh["expiresAt"] = Value::String(common::servers::ago(60));
    std::fs::write(token_path(&home), no_refresh.to_string()).unwrap();
    let out = run(status.arg("--json"));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["sso"]["can_refresh"], false);
    assert_eq!(v["sso"]["seconds_left"], 0);
}
