//! `--min-ttl` longer than the role's session: no refresh can meet it, so
//! awsrole warns, hands out what STS grants, and reuses it (no STS call)
//! while it has nearly a whole session left. Against moto, which grants
//! DurationSeconds or one hour; its recorder counts the calls.

mod common;

use std::time::{Duration, SystemTime};

use awsrole::cache::assume_role_key;
use awsrole::chain::RoleHop;
use common::{Output, TestHome, moto, run, unique};

const BASE: &str =
    "[profile base]\naws_access_key_id = AKIDMINTTL\naws_secret_access_key = min-ttl-secret\n";

fn arn(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/{name}")
}

fn calls(role: &str) -> usize {
    moto().count("AssumeRole", "RoleArn", role)
}

fn env(home: &TestHome, args: &[&str]) -> Output {
    run(home.cmd().arg("env").args(args).args(["--shell", "bash"]))
}

fn key_id(out: &Output) -> String {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_ACCESS_KEY_ID="))
        .unwrap_or_else(|| panic!("no key in {out:#?}"))
        .to_string()
}

/// The one line on stderr, a warning naming `needles`.
#[track_caller]
fn one_warning(out: &Output, needles: &[&str]) {
    out.assert_success();
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one warning: {}", out.stderr);
    assert!(lines[0].starts_with("awsrole: warning: "), "{}", out.stderr);
    for n in needles {
        assert!(lines[0].contains(n), "warning lacks {n:?}: {}", lines[0]);
    }
}

fn role_home(extra: &str) -> (TestHome, String) {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("minttl"));
    home.write_config(&format!(
        "{BASE}[profile t]\nrole_arn = {role}\nsource_profile = base\n{extra}"
    ));
    (home, role)
}

#[test]
fn a_minimum_longer_than_the_session_warns_and_calls_sts_once() {
    let (home, role) = role_home("");
    let first = env(&home, &["t", "--min-ttl", "2h"]);
    one_warning(
        &first,
        &[
            "--min-ttl 2h cannot be met",
            &role,
            "profile `t`",
            "STS granted ",
            "no duration_seconds is set: STS's default is 1h",
            "using them",
            "later runs reuse them (no STS call) while they have more than 55m left",
            "raise duration_seconds",
        ],
    );
    assert_eq!(calls(&role), 1);

    let again = env(&home, &["t", "--min-ttl", "2h"]);
    one_warning(
        &again,
        &[
            "--min-ttl 2h cannot be met",
            "its sessions last 1h00m",
            "using cached credentials with ",
        ],
    );
    assert_eq!(calls(&role), 1, "the second run makes no STS call");
    assert_eq!(again.stdout, first.stdout);

    // exec and credential-process go the same way.
    let exec = run(home
        .cmd()
        .args(["exec", "t", "--min-ttl", "2h", "--", "true"]));
    one_warning(&exec, &["--min-ttl 2h cannot be met"]);
    let process = run(home
        .cmd()
        .args(["credential-process", "t", "--min-ttl", "3h"]));
    one_warning(&process, &["--min-ttl 3h cannot be met"]);
    assert_eq!(calls(&role), 1);

    // --refresh still calls, and still warns.
    one_warning(
        &env(&home, &["t", "--min-ttl", "2h", "--refresh"]),
        &["STS granted "],
    );
    assert_eq!(calls(&role), 2);

    // Below the session length nothing changes: a hit, no warning.
    let below = env(&home, &["t", "--min-ttl", "50m"]);
    below.assert_success();
    assert_eq!(below.stderr, "");
    assert_eq!(calls(&role), 2);
}

/// Writes a cache entry for `role` with `left` to go.
fn entry_with(home: &TestHome, role: &str, id: &str, left: Duration) {
    let dir = home.cache_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let key = assume_role_key(&RoleHop {
        role_arn: role.into(),
        ..Default::default()
    });
    let exp = humantime::format_rfc3339_seconds(SystemTime::now() + left);
    std::fs::write(
        dir.join(format!("{key}.json")),
        format!(
            r#"{{"Credentials": {{"AccessKeyId": "{id}", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "{exp}"}}}}"#
        ),
    )
    .unwrap();
}

#[test]
fn an_entry_is_reused_while_it_has_nearly_a_whole_session_left() {
    let (home, role) = role_home("");
    // 58 minutes left of a 1 h session: a refresh would add 2 minutes at
    // most. Taken, with the warning.
    entry_with(&home, &role, "ASIAFIFTYEIGHT", Duration::from_secs(58 * 60));
    let hit = env(&home, &["t", "--min-ttl", "2h"]);
    one_warning(&hit, &["using cached credentials with 57m left"]);
    assert_eq!(key_id(&hit), "'ASIAFIFTYEIGHT'");
    assert_eq!(calls(&role), 0);

    // 50 minutes left: more than the 5 minutes of slack used up. Renewed.
    entry_with(&home, &role, "ASIAFIFTY", Duration::from_secs(50 * 60));
    let miss = env(&home, &["t", "--min-ttl", "2h"]);
    one_warning(&miss, &["STS granted "]);
    assert_ne!(key_id(&miss), "'ASIAFIFTY'");
    assert_eq!(calls(&role), 1);
}

#[test]
fn the_configured_duration_is_named_and_used() {
    let (home, role) = role_home("duration_seconds = 7200\n");
    let config = home.config_path();
    let at = format!("duration_seconds = 7200 at {}:7", config.display());
    one_warning(
        &env(&home, &["t", "--min-ttl", "3h"]),
        &["STS granted ", &at],
    );
    one_warning(
        &env(&home, &["t", "--min-ttl", "3h"]),
        &["its sessions last 2h00m", &at],
    );
    assert_eq!(calls(&role), 1);
    // 90 minutes is within the 2 h session: no warning, no call.
    let within = env(&home, &["t", "--min-ttl", "90m"]);
    within.assert_success();
    assert_eq!(within.stderr, "");
    assert_eq!(calls(&role), 1);
}

#[test]
fn only_the_credentials_handed_out_are_warned_about() {
    let home = TestHome::new().with_moto();
    let (first, second) = (arn(&unique("minttl-a")), arn(&unique("minttl-b")));
    home.write_config(&format!(
        "{BASE}[profile a]\nrole_arn = {first}\nsource_profile = base\n\
         [profile b]\nrole_arn = {second}\nsource_profile = a\n"
    ));
    for _ in 0..2 {
        one_warning(
            &env(&home, &["b", "--min-ttl", "2h"]),
            &[&second, "profile `b`"],
        );
    }
    assert_eq!((calls(&first), calls(&second)), (1, 1));
}
