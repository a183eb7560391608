//! Broken networks and STS errors: every failure gives its message within
//! the documented timeouts, an empty stdout, a non-zero exit, no secret on
//! stderr, and leaves the old cache entry byte for byte as it was (no temp
//! file, no held lock).

mod common;

use std::time::{Duration, Instant};

use common::fake_sts::{Behaviour, FakeSts};
use common::stress::report;
use common::{Output, TestHome, arn, key_of, run, unique};

const SOURCE_SECRET: &str = "hardening-net-source-secret";
const OLD_SECRET: &str = "hardening-net-old-cached-secret";

struct Case {
    name: &'static str,
    endpoint: String,
    server: Option<FakeSts>,
    code: i32,
    needles: &'static [&'static str],
    /// Upper bound on the run, from the documented timeouts.
    bound: Duration,
    /// Expected requests at the server (retries included), when known.
    attempts: Option<usize>,
}

fn with_server(
    name: &'static str,
    b: Behaviour,
    code: i32,
    needles: &'static [&'static str],
    bound: Duration,
    attempts: Option<usize>,
) -> Case {
    let server = FakeSts::start(b);
    Case {
        name,
        endpoint: server.url.clone(),
        server: Some(server),
        code,
        needles,
        bound,
        attempts,
    }
}

fn refused_endpoint() -> String {
    format!("http://127.0.0.1:{}", common::servers::closed_port())
}

fn check(case: &Case, old_body: &str, out: &Output, took: Duration, home: &TestHome, role: &str) {
    let ctx = format!("{}: {out:#?}", case.name);
    assert_eq!(out.code, case.code, "{ctx}");
    assert_eq!(
        out.stdout,
        format!("(exit {})\n", case.code),
        "stdout holds only the statement that fails the eval: {ctx}"
    );
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(last.starts_with("awsrole: error: "), "{ctx}");
    for n in case.needles {
        assert!(out.stderr.contains(n), "stderr lacks {n:?}: {ctx}");
    }
    assert!(out.stderr.contains(role), "the error names the role: {ctx}");
    for secret in [SOURCE_SECRET, OLD_SECRET] {
        assert!(!out.stderr.contains(secret), "secret on stderr: {ctx}");
    }
    assert!(
        took <= case.bound,
        "{}: took {took:?}, documented bound {:?}",
        case.name,
        case.bound
    );
    let key = key_of(role);
    let dir = home.cache_dir();
    assert_eq!(
        std::fs::read_to_string(dir.join(format!("{key}.json"))).unwrap(),
        old_body,
        "{}: the old cache entry changed",
        case.name
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [format!("{key}.json"), format!("{key}.lock")],
        "{}: no temp file left",
        case.name
    );
    let lock = std::fs::File::open(dir.join(format!("{key}.lock"))).unwrap();
    lock.try_lock().expect("the lock is free after the failure");
    if let (Some(want), Some(server)) = (case.attempts, &case.server) {
        assert_eq!(server.requests(), want, "{}: attempts", case.name);
    }
}

#[test]
fn every_network_and_sts_failure_is_bounded_clean_and_keeps_the_old_entry() {
    use awsrole::sts::{ATTEMPT_TIMEOUT, CALL_TIMEOUT, CONNECT_TIMEOUT, MAX_ATTEMPTS};
    let slack = Duration::from_secs(3);
    let quick = CONNECT_TIMEOUT * MAX_ATTEMPTS + slack;
    let cases = vec![
        Case {
            name: "connection refused",
            endpoint: refused_endpoint(),
            server: None,
            code: 5,
            needles: &["could not reach", "Connection refused"],
            bound: quick,
            attempts: None,
        },
        Case {
            name: "endpoint down (name does not resolve)",
            endpoint: "http://sts.awsrole-hardening.invalid".into(),
            server: None,
            code: 5,
            needles: &["could not reach http://sts.awsrole-hardening.invalid"],
            bound: CALL_TIMEOUT + slack,
            attempts: None,
        },
        with_server(
            "accepts and never answers",
            Behaviour::Silent,
            5,
            &["could not reach", "no answer"],
            CALL_TIMEOUT + slack,
            None,
        ),
        with_server(
            "accepts and hangs up",
            Behaviour::Hangup,
            5,
            &["could not reach"],
            quick,
            None,
        ),
        with_server(
            "throttling",
            Behaviour::Error {
                status: 400,
                code: "Throttling",
            },
            4,
            &["Throttling", "throttling requests"],
            CALL_TIMEOUT + slack,
            Some(MAX_ATTEMPTS as usize),
        ),
        with_server(
            "AccessDenied",
            Behaviour::Error {
                status: 403,
                code: "AccessDenied",
            },
            4,
            &["AccessDenied", "trust policy"],
            ATTEMPT_TIMEOUT,
            Some(1),
        ),
        with_server(
            "expired source credentials",
            Behaviour::Error {
                status: 400,
                code: "ExpiredToken",
            },
            4,
            &["ExpiredToken", "have expired"],
            ATTEMPT_TIMEOUT,
            Some(1),
        ),
        with_server(
            "answer that is not STS",
            Behaviour::Garbage,
            4,
            &["AssumeRole"],
            ATTEMPT_TIMEOUT,
            None,
        ),
    ];
    // Each case twice: a valid old entry with --refresh (it must survive a
    // failed refresh), and an expired old entry (a miss that must stay).
    let threads: Vec<_> = cases
        .into_iter()
        .map(|case| {
            std::thread::spawn(move || {
                let mut lines = Vec::new();
                for (mode, exp, args) in [
                    ("valid entry, --refresh", "2099-01-01T00:00:00Z", &["--refresh"][..]),
                    ("expired entry", "2020-01-01T00:00:00Z", &[][..]),
                ] {
                    let home = TestHome::new();
                    let role = arn(&unique("net"));
                    home.write_config(&format!(
                        "[profile base]\naws_access_key_id = AKIDNETBASE\naws_secret_access_key = {SOURCE_SECRET}\n\
                         [profile r]\nrole_arn = {role}\nsource_profile = base\n"
                    ));
                    let dir = home.cache_dir();
                    std::fs::create_dir_all(&dir).unwrap();
                    let old = format!(
                        r#"{{"Credentials": {{"AccessKeyId": "ASIAOLD", "SecretAccessKey": "{OLD_SECRET}", "SessionToken": "old-token-xxxxxxxxxxxx", "Expiration": "{exp}"}}}}"#
                    );
                    let file = dir.join(format!("{}.json", key_of(&role)));
                    std::fs::write(&file, &old).unwrap();
                    let before = case.server.as_ref().map_or(0, FakeSts::requests);
                    let started = Instant::now();
                    let out = run(home
                        .cmd()
                        .args(["env", "r", "--shell", "bash"])
                        .args(args)
                        .env("AWS_ENDPOINT_URL_STS", &case.endpoint));
                    let took = started.elapsed();
                    let sub = Case {
                        name: case.name,
                        endpoint: case.endpoint.clone(),
                        server: None,
                        code: case.code,
                        needles: case.needles,
                        bound: case.bound,
                        attempts: None,
                    };
                    check(&sub, &old, &out, took, &home, &role);
                    if let (Some(want), Some(server)) = (case.attempts, &case.server) {
                        assert_eq!(server.requests() - before, want, "{}: attempts", case.name);
                    }
                    lines.push(format!(
                        "{} ({mode}): exit {} in {:.2}s (bound {}s), stdout only the failing statement, old entry intact",
                        case.name,
                        out.code,
                        took.as_secs_f64(),
                        case.bound.as_secs()
                    ));
                }
                lines
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        match t.join() {
            Ok(lines) => all.extend(lines),
            Err(e) => std::panic::resume_unwind(e),
        }
    }
    for l in all {
        report("network", &l);
    }
}
