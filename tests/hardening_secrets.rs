//! Secrets: no secret access key or session token on stderr, in error or
//! panic messages. Three layers:
//! - the suite-wide scan (`scripts/secret_scan.py`, run by `scripts/test`
//!   over the stderr of every run the harness made and the whole console
//!   output; see tests/common/capture.rs), proven here to fail on a planted
//!   secret;
//! - awsrole's panic hook, which never prints formatted panic text;
//! - directed checks on every failure path that holds secrets in hand.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::stress::report;
use common::{TestHome, arn, key_of, run, unique};

fn scan(dir: &Path) -> (i32, String) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/secret_scan.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_secret_scan_fails_on_a_planted_secret() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Nothing captured: a broken set-up is not "clean".
    assert_eq!(scan(d).0, 2);
    let planted = "wJalrXUtnFEMI/K7MDENG+planted/secret";
    std::fs::write(
        d.join("secrets.1.jsonl"),
        format!(
            "{}\n\"s\"\n\"--------\"\n",
            serde_json::Value::from(planted)
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("stderr.1.log"),
        "\n===== awsrole\nawsrole: error: s --------\n",
    )
    .unwrap();
    let (code, text) = scan(d);
    assert_eq!(
        code, 0,
        "short or repetitive values are not searched: {text}"
    );
    // Planted in a run's stderr, then in the console log.
    std::fs::write(
        d.join("stderr.2.log"),
        format!("\n===== awsrole\nawsrole: error: bad key {planted}\n"),
    )
    .unwrap();
    let (code, text) = scan(d);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("SECRET FOUND") && text.contains("stderr.2.log:3"),
        "{text}"
    );
    assert!(
        !text.contains(planted),
        "the scan never prints the secret: {text}"
    );
    std::fs::remove_file(d.join("stderr.2.log")).unwrap();
    std::fs::write(
        d.join("console.log"),
        format!("thread panicked: {planted}\n"),
    )
    .unwrap();
    assert_eq!(scan(d).0, 1);
}

#[test]
fn harness_records_stderr_and_the_secrets_it_sees() {
    let stdout = "export AWS_ACCESS_KEY_ID='A'\nexport AWS_SECRET_ACCESS_KEY='sec'\\''ret'\nset -gx AWS_SESSION_TOKEN 'to\\'k\\\\'\n$Env:AWS_SECRET_ACCESS_KEY = 'p''s'\n{\"Version\": 1, \"SecretAccessKey\": \"js\", \"SessionToken\": \"jt\"}\n";
    let found = common::capture::secrets_in_stdout(stdout);
    for want in ["sec'ret", "to'k\\", "p's", "js", "jt"] {
        assert!(found.iter().any(|f| f == want), "{want} not in {found:?}");
    }
    assert!(!found.iter().any(|f| f == "A"));
}

const PANIC_CHILD: &str = "AWSROLE_TEST_PANIC_CHILD";
const PANIC_SECRET: &str = "panic-secret-wJalrXUtnFEMI";

/// Does something only when re-run by the test below.
#[test]
fn panic_child() {
    if std::env::var_os(PANIC_CHILD).is_some() {
        awsrole::error::install_panic_hook();
        let body = format!("{{\"SecretAccessKey\": \"{PANIC_SECRET}\"}}");
        // A bug that slices a value at a bad index: the default message
        // would quote the whole string.
        let _ = &body[..body.len() + usize::from(body.len() > 1)];
    }
}

#[test]
fn panic_messages_never_show_formatted_text() {
    common::capture::secrets([PANIC_SECRET.to_string()]);
    let out = run(Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "panic_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(PANIC_CHILD, "1"));
    assert_ne!(out.code, 0, "{out:#?}");
    assert!(
        out.stderr
            .contains("awsrole: internal error (a bug; please report it) at ")
            && out.stderr.contains("details withheld"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains(PANIC_SECRET), "{out:#?}");
    assert!(!out.stdout.contains(PANIC_SECRET), "{out:#?}");
}

#[test]
fn failures_with_secrets_in_hand_never_show_them() {
    let source = "secrets-test-source-secret-value";
    let cached = "secrets-test-cached-secret-value";
    let token = "secrets-test-cached-session-token";
    let home = TestHome::new();
    let role = arn(&unique("secrets"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDSECRETS\naws_secret_access_key = {source}\naws_session_token = {token}-src\n\
         [profile r]\nrole_arn = {role}\nsource_profile = base\n\
         [profile half]\naws_access_key_id = AKIDHALF\naws_session_token = {token}-half\n\
         [profile env]\nrole_arn = {role}\ncredential_source = Environment\n"
    ));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::write(
        home.cache_dir().join(format!("{}.json", key_of(&role))),
        format!(r#"{{"Credentials": {{"AccessKeyId": "ASIAOLD", "SecretAccessKey": "{cached}", "SessionToken": "{token}", "Expiration": "2020-01-01T00:00:00Z"}}}}"#),
    )
    .unwrap();
    let mut runs = 0;
    let mut check = |args: &[&str], extra: &[(&str, &str)]| {
        let mut cmd = home.cmd();
        cmd.args(args)
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = run(&mut cmd);
        assert_ne!(out.code, 0, "{args:?}: {out:#?}");
        for s in [source, cached, token] {
            assert!(
                !out.stderr.contains(s),
                "{args:?}: secret on stderr: {out:#?}"
            );
            assert!(
                !out.stdout.contains(s),
                "{args:?}: secret on stdout: {out:#?}"
            );
        }
        runs += 1;
    };
    check(&["env", "r", "--shell", "bash"], &[]);
    check(&["env", "r", "--shell", "bash", "--refresh"], &[]);
    check(&["exec", "r", "--", "true"], &[]);
    check(&["credential-process", "r"], &[]);
    check(&["env", "half", "--shell", "bash"], &[]);
    check(
        &["env", "env", "--shell", "bash"],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", source),
        ],
    );
    check(
        &["status", "--verify"],
        &[
            ("AWSROLE_PROFILE", "r"),
            ("AWSROLE_EXPIRATION", "4071006245"),
            ("AWS_ACCESS_KEY_ID", "ASIAOLD"),
            ("AWS_SECRET_ACCESS_KEY", cached),
            ("AWS_SESSION_TOKEN", token),
        ],
    );
    report(
        "secrets",
        &format!(
            "{runs} failing runs holding secrets (env, --refresh, exec, credential-process, half keys, Environment source, status --verify): no secret on stderr or stdout"
        ),
    );
}
