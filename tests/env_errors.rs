//! Every `awsrole env` failure: specific message with the fix, on stdout only
//! the statement that fails the `eval`, non-zero exit, no secret on stderr.

mod common;

use std::time::{Duration, Instant};

use common::fake_sts::error_document;
use common::servers::{Reply, Server};
use common::{Output, TestHome, run, unique};

const SECRET: &str = "wJalrXUtnFEMI-base-secret";

fn base() -> String {
    format!("[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {SECRET}\n")
}

#[track_caller]
fn assert_error(out: &Output, code: i32, needles: &[&str]) {
    assert_eq!(out.code, code, "{out:#?}");
    assert_eq!(
        out.stdout,
        format!("(exit {code})\n"),
        "on error stdout holds only the statement that fails the eval"
    );
    // One error, last; before it only progress notices such as "awsrole:
    // waiting for ... to answer" (a slow endpoint, a held lock).
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("awsrole: error: ")),
        "{}",
        out.stderr
    );
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("awsrole: ") && !l.starts_with("awsrole: error: ")),
        "{}",
        out.stderr
    );
    for n in needles {
        assert!(
            out.stderr.contains(n),
            "stderr lacks {n:?}:\n{}",
            out.stderr
        );
    }
    assert!(
        !out.stderr.contains(SECRET),
        "secret leaked: {}",
        out.stderr
    );
}

#[test]
fn unknown_profile_suggests_the_nearest_names() {
    let home = TestHome::new();
    home.write_config("[profile marketingadmin]\nregion = x\n[profile marketing-ro]\nregion = y\n[profile prod]\nregion = z\n");
    let out = home.env_bash(&["marketingadmn"]);
    assert_error(
        &out,
        3,
        &["`marketingadmn` not found", "did you mean marketingadmin"],
    );
    assert!(!out.stderr.contains("prod"));
    let none = TestHome::new();
    assert_error(&none.env_bash(&["x"]), 3, &["not found", ".aws/config"]);
}

#[test]
fn chain_errors_name_file_line_profile_and_fix() {
    let home = TestHome::new();
    let config = format!(
        "{}[profile loop1]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop2\n\
         [profile loop2]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop1\n\
         [profile both]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = base\ncredential_source = Environment\n\
         [profile neither]\nrole_arn = arn:aws:iam::1:role/d\n\
         [profile orphan]\nrole_arn = arn:aws:iam::1:role/e\nsource_profile = nosuch\n\
         [profile half]\naws_access_key_id = AKIDHALF\n\
         [profile usehalf]\nrole_arn = arn:aws:iam::1:role/f\nsource_profile = half\n\
         [profile badsource]\nrole_arn = arn:aws:iam::1:role/g\ncredential_source = environment\n\
         [profile empty]\nregion = eu-west-1\n",
        base()
    );
    home.write_config(&config);
    let cfg = home.config_path().display().to_string();
    let line_of = |needle: &str| config.lines().position(|l| l == needle).unwrap() + 1;
    assert_error(
        &home.env_bash(&["loop1"]),
        3,
        &["infinite loop", "loop1 -> loop2 -> loop1"],
    );
    assert_error(
        &home.env_bash(&["both"]),
        3,
        &[
            &format!("{cfg}:{}", line_of("credential_source = Environment")),
            "both source_profile and credential_source",
        ],
    );
    assert_error(
        &home.env_bash(&["neither"]),
        3,
        &["`neither`", "source_profile", "credential_source"],
    );
    assert_error(
        &home.env_bash(&["orphan"]),
        3,
        &["source profile nosuch", "orphan"],
    );
    assert_error(
        &home.env_bash(&["half"]),
        3,
        &["`half`", "aws_secret_access_key"],
    );
    assert_error(
        &home.env_bash(&["usehalf"]),
        3,
        &["`half`", "aws_secret_access_key"],
    );
    assert_error(
        &home.env_bash(&["badsource"]),
        3,
        &["environment", "case-sensitive"],
    );
    assert_error(
        &home.env_bash(&["empty"]),
        3,
        &["`empty`", "credential information"],
    );
}

#[test]
fn unparsable_config_names_file_and_line() {
    let home = TestHome::new();
    home.write_config("[profile ok]\nregion = x\n[profile broken]\nthis line has no equals\n");
    let out = home.env_bash(&["ok"]);
    assert_error(&out, 3, &[&format!("{}:4", home.config_path().display())]);
    let creds = TestHome::new();
    creds.write_credentials("[a]\n  -continued\n");
    assert_error(
        &creds.env_bash(&["a"]),
        3,
        &[&format!("{}:2", creds.credentials_path().display())],
    );
}

fn role_home() -> (TestHome, String) {
    let home = TestHome::new();
    let role = format!("arn:aws:iam::123456789012:role/{}", unique("denied"));
    home.write_config(&format!(
        "{}[profile r]\nrole_arn = {role}\nsource_profile = base\n",
        base()
    ));
    (home, role)
}

#[test]
fn access_denied_names_the_role_and_keeps_the_old_cache() {
    let (home, role) = role_home();
    let sts = Server::canned(
        403,
        &error_document(
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole",
        ),
    );
    let url = sts.url();
    // An expired entry stays as it was.
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    let hop = awsrole::chain::RoleHop {
        role_arn: role.clone(),
        ..Default::default()
    };
    let file = home
        .cache_dir()
        .join(format!("{}.json", awsrole::cache::assume_role_key(&hop)));
    let old = r#"{"Credentials": {"AccessKeyId": "OLD", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2020-01-01T00:00:00Z"}}"#;
    std::fs::write(&file, old).unwrap();
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", &url));
    assert_error(&out, 4, &["AccessDenied", &role, "trust policy"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
}

#[test]
fn expired_source_credentials_say_what_to_refresh() {
    let (home, _) = role_home();
    let sts = Server::canned(
        400,
        &error_document(
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
    );
    let url = sts.url();
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", &url));
    assert_error(&out, 4, &["ExpiredToken", "expired", "profile `r`"]);
}

#[test]
fn unreachable_endpoint_fails_in_seconds() {
    let (home, _) = role_home();
    // Refused connection.
    let started = Instant::now();
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"));
    assert_error(
        &out,
        5,
        &["could not reach http://127.0.0.1:9", "Connection refused"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // A server that accepts and never answers: bounded by the call timeout.
    let silent = Server::replying(|_| Reply::Silent);
    let url = silent.url();
    let started = Instant::now();
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", &url));
    let took = started.elapsed();
    assert_error(&out, 5, &["could not reach", "no answer"]);
    let bound = awsrole::sts::CALL_TIMEOUT + Duration::from_secs(3);
    assert!(took < bound, "took {took:?}, bound {bound:?}");
}

#[test]
fn mfa_without_a_terminal_is_a_clear_error() {
    let home = TestHome::new().with_moto();
    let role = format!("arn:aws:iam::123456789012:role/{}", unique("mfatty"));
    home.write_config(&format!(
        "{}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
        base()
    ));
    // setsid: no controlling terminal, as in cron or CI.
    let program = common::awsrole_bin();
    let mut detached = std::process::Command::new("setsid");
    detached
        .arg("-w")
        .arg(program)
        .args(["env", "m", "--shell", "bash"])
        .env_clear()
        .envs(home.clean_env());
    let out = run(&mut detached);
    assert_error(
        &out,
        6,
        &[
            "MFA code",
            "arn:aws:iam::123456789012:mfa/alice",
            "no terminal",
            "awsrole env m",
        ],
    );
    assert_eq!(common::moto().count("AssumeRole", "RoleArn", &role), 0);
}

#[test]
fn bad_shell_name_is_a_usage_error() {
    let home = TestHome::new();
    let out = run(home.cmd().args(["env", "x", "--shell", "tcsh"]));
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
}

#[test]
fn no_input_never_prompts_for_mfa() {
    let home = TestHome::new().with_moto();
    let role = format!("arn:aws:iam::123456789012:role/{}", unique("noinput"));
    home.write_config(&format!(
        "{}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n",
        base()
    ));
    // Even with a terminal (tmux), --no-input must fail at once.
    let tmux = home.tmux(
        &format!(
            "'{}' env m --shell bash --no-input; echo exit=$?; sleep 30",
            common::awsrole_bin().display()
        ),
        150,
        20,
    );
    let screen = tmux.wait_for("exit=", Duration::from_secs(20));
    assert!(screen.contains("exit=6"), "{screen}");
    assert!(!screen.contains("Enter MFA code"), "{screen}");
    assert!(
        screen.contains("run `awsrole env m` in a terminal"),
        "{screen}"
    );
    assert_eq!(common::moto().count("AssumeRole", "RoleArn", &role), 0);
}

#[test]
fn no_input_does_not_wait_for_a_process_asking_for_the_code() {
    let home = TestHome::new().with_moto();
    let role = format!("arn:aws:iam::123456789012:role/{}", unique("mfalock"));
    let serial = "arn:aws:iam::123456789012:mfa/carol";
    home.write_config(&format!(
        "{}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = {serial}\n",
        base()
    ));
    let hop = awsrole::chain::RoleHop {
        role_arn: role.clone(),
        mfa_serial: Some(serial.into()),
        ..Default::default()
    };
    // Another awsrole holds the lock, as while it waits for a typed code.
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    let lock = std::fs::File::create(
        home.cache_dir()
            .join(format!("{}.lock", awsrole::cache::assume_role_key(&hop))),
    )
    .unwrap();
    lock.lock().unwrap();
    let started = Instant::now();
    let out = home.env_bash(&["m", "--no-input"]);
    assert_error(&out, 6, &["needs an MFA code", serial]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
