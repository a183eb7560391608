//! `awsrole list`, `status` and `clear` against real files, a real moto STS
//! and real shells; plus `--help` of every command.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use awsrole::cache::assume_role_key;
use common::{Output, TestHome, arn, assume_calls, hop, moto, run, sh_quote, unique};

const BASE: &str =
    "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/list";

fn lock_path(home: &TestHome, role: &str) -> PathBuf {
    home.cache_dir()
        .join(format!("{}.lock", assume_role_key(&hop(role, None))))
}

fn env_bash(home: &TestHome, profile: &str) -> Output {
    let out = home.env_bash(&[profile]);
    out.assert_success();
    out
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Runs `script` in bash with the home's clean env and `$AWSROLE` set to
/// the binary.
fn bash(home: &TestHome, script: &str) -> Output {
    run(Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .env_clear()
        .envs(home.clean_env())
        .env("AWSROLE", common::awsrole_bin())
        .current_dir(home.path()))
}

// ---------------------------------------------------------------------------
// list
// ---------------------------------------------------------------------------

#[test]
fn list_json_describes_every_profile_without_network() {
    let home = TestHome::new().with_moto();
    let (r, c) = (arn(&unique("listr")), arn(&unique("listc")));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {r}\nsource_profile = base\nregion = eu-west-1\n\
         [profile c]\nrole_arn = {c}\nsource_profile = r\nmfa_serial = {SERIAL}\n\
         [profile e]\nrole_arn = {r}\ncredential_source = Environment\n\
         [profile p]\ncredential_process = /bin/false\n\
         [profile s]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n\
         [sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp\n\
         [profile settings]\nregion = us-west-2\n\
         [profile bad]\nrole_arn = {c}\nsource_profile = nowhere\n"
    ));
    env_bash(&home, "r");
    // c's entry: written by hand, expired ten minutes ago.
    let expired = humantime::format_rfc3339_seconds(SystemTime::now() - Duration::from_secs(600));
    std::fs::write(
        home.entry_path(&hop(&c, Some(SERIAL))),
        format!(
            r#"{{"Credentials": {{"AccessKeyId": "ASIAOLD", "SecretAccessKey": "x", "SessionToken": "y", "Expiration": "{expired}"}}}}"#
        ),
    )
    .unwrap();

    // moto is shared by the tests running alongside: count only requests
    // for this test's own (unique) roles.
    let ours = || {
        moto()
            .requests()
            .iter()
            .filter(|q| {
                let role = q.params.get("RoleArn").map(String::as_str);
                role == Some(r.as_str()) || role == Some(c.as_str())
            })
            .count()
    };
    let before = ours();
    let out = run(home.cmd().args(["list", "--json"]));
    out.assert_success();
    assert_eq!(out.stderr, "");
    assert_eq!(ours(), before, "list made no request");
    let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = all.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bad", "base", "c", "e", "p", "r", "s", "settings"]);
    let get = |n: &str| all.iter().find(|v| v["name"] == n).unwrap().clone();

    let rv = get("r");
    assert_eq!(rv["kind"], "role");
    assert_eq!(rv["chain"], serde_json::json!(["base", "r"]));
    assert_eq!(rv["base"], "static");
    assert_eq!(rv["source"], "base");
    assert_eq!(rv["roles"], serde_json::json!([r]));
    assert_eq!(rv["mfa"], false);
    assert_eq!(rv["region"], "eu-west-1");
    let cached = home.cached(&hop(&r, None));
    let left = rv["cached"]["seconds_left"].as_i64().unwrap();
    let want = cached.expiration_unix().unwrap() as i64 - now() as i64;
    assert!((left - want).abs() <= 2, "{left} vs {want}");
    assert!(left > 900, "{rv}");
    assert_eq!(
        rv["cached"]["expiration"],
        humantime::format_rfc3339_seconds(cached.expiration.unwrap()).to_string()
    );
    assert_eq!(rv["cached"]["valid"], true);
    assert_eq!(rv["cached"]["fresh"], true);
    assert_eq!(rv["error"], serde_json::Value::Null);

    let cv = get("c");
    assert_eq!(cv["chain"], serde_json::json!(["base", "r", "c"]));
    assert_eq!(cv["source"], "base > r");
    assert_eq!(
        (cv["mfa"].clone(), cv["mfa_serial"].clone()),
        (true.into(), SERIAL.into())
    );
    assert_eq!(cv["region"], serde_json::Value::Null);
    assert_eq!(cv["cached"]["valid"], false);
    assert!(cv["cached"]["seconds_left"].as_i64().unwrap() <= -599);

    let ev = get("e");
    assert_eq!(
        (ev["kind"].clone(), ev["base"].clone()),
        ("role".into(), "environment".into())
    );
    assert_eq!(ev["source"], "Environment");
    assert_eq!(
        ev["cached"]["valid"], true,
        "e shares r's role and cache entry"
    );

    assert_eq!(get("base")["kind"], "static");
    assert_eq!(get("base")["cached"], serde_json::Value::Null);
    assert_eq!(get("p")["kind"], "process");
    assert_eq!(get("s")["kind"], "sso");
    assert_eq!(get("settings")["kind"], "none");
    let bad = get("bad");
    assert_eq!(bad["kind"], "invalid");
    assert!(bad["error"].as_str().unwrap().contains("nowhere"), "{bad}");
}

#[test]
fn list_table_is_plain_when_piped_and_coloured_on_a_terminal() {
    let home = TestHome::new().with_moto();
    let r = arn(&unique("tbl"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {r}\nsource_profile = base\nregion = eu-west-1\n"
    ));
    env_bash(&home, "r");
    let out = run(home.cmd().arg("list"));
    out.assert_success();
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("PROFILE"), "{}", out.stdout);
    let row = lines.iter().find(|l| l.starts_with("r ")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[..5], ["r", "role", "base", "-", "eu-west-1"], "{row}");
    assert!(row.ends_with("m left"), "{row}");

    // On a pseudo-terminal (script(1)): colour, unless NO_COLOR is set.
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec"])
            .arg(format!(
                "{} list",
                sh_quote(common::awsrole_bin().to_str().unwrap())
            ))
            .arg("/dev/null")
            .env_clear()
            .envs(home.clean_env())
            .env("TERM", "xterm")
            .env("SHELL", "/bin/sh");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        run(&mut cmd)
    };
    let colored = on_tty(None);
    colored.assert_success();
    assert!(
        colored.stdout.contains("\x1b[1mPROFILE\x1b[0m"),
        "{:?}",
        colored.stdout
    );
    assert!(colored.stdout.contains("\x1b[32m"), "green time left");
    let plain = on_tty(Some("1"));
    plain.assert_success();
    assert!(plain.stdout.contains("PROFILE"));
    assert!(!plain.stdout.contains('\x1b'), "{:?}", plain.stdout);
}

#[test]
fn list_with_no_profiles_says_where_it_looked() {
    let home = TestHome::new();
    let out = run(home.cmd().arg("list"));
    out.assert_success();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("no profiles in"), "{}", out.stderr);
    let out = run(home.cmd().args(["list", "--json"]));
    assert_eq!(out.stdout, "[]\n");
}

// ---------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------

#[test]
fn status_without_awsrole_variables_fails() {
    let home = TestHome::new();
    let out = run(home.cmd().arg("status").env("AWS_PROFILE", "prod"));
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("AWSROLE_PROFILE is not set"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("AWS_PROFILE=prod"), "{}", out.stderr);
}

#[test]
fn status_reads_what_env_exported_in_a_real_shell() {
    let home = TestHome::new().with_moto();
    let r = arn(&unique("status"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {r}\nsource_profile = base\n"
    ));
    let out = bash(
        &home,
        "eval \"$(\"$AWSROLE\" env r --shell bash)\" && \"$AWSROLE\" status && \"$AWSROLE\" status --json",
    );
    out.assert_success();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("profile  r"));
    let expires = lines.next().unwrap();
    assert!(expires.starts_with("expires  20"), "{expires}");
    assert!(expires.ends_with("m left)"), "{expires}");
    let v: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let c = home.cached(&hop(&r, None));
    assert_eq!(v["profile"], "r");
    assert_eq!(
        v["expiration"],
        humantime::format_rfc3339_seconds(c.expiration.unwrap()).to_string()
    );
    let left = v["seconds_left"].as_u64().unwrap();
    assert!(left.abs_diff(c.expiration_unix().unwrap() - now()) <= 2);
    assert_eq!(v.get("identity"), None);

    // Unset again: status fails.
    let out = bash(
        &home,
        "eval \"$(\"$AWSROLE\" env r --shell bash)\"; eval \"$(\"$AWSROLE\" env --unset --shell bash)\"; \"$AWSROLE\" status",
    );
    assert_eq!(out.code, 1, "{out:#?}");
}

#[test]
fn status_of_expired_credentials_fails() {
    let home = TestHome::new();
    let out = run(home
        .cmd()
        .arg("status")
        .env("AWSROLE_PROFILE", "old")
        .env("AWS_ACCESS_KEY_ID", "ASIAOLD")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWSROLE_EXPIRATION", (now() - 600).to_string()));
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("`old` in this shell expired 10m ago"),
        "{}",
        out.stderr
    );
    // Long-term keys never expire.
    let out = run(home
        .cmd()
        .arg("status")
        .env("AWSROLE_PROFILE", "static")
        .env("AWS_ACCESS_KEY_ID", "AKID")
        .env("AWS_SECRET_ACCESS_KEY", "x"));
    out.assert_success();
    assert!(
        out.stdout.contains("never (long-term keys)"),
        "{}",
        out.stdout
    );
}

#[test]
fn status_verify_asks_moto_whose_credentials_they_are() {
    let home = TestHome::new().with_moto();
    let name = unique("verify");
    let r = arn(&name);
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {r}\nsource_profile = base\n"
    ));
    let out = bash(
        &home,
        "eval \"$(\"$AWSROLE\" env r --shell bash)\" && \"$AWSROLE\" status --verify --json && \"$AWSROLE\" status --verify",
    );
    out.assert_success();
    let mut lines = out.stdout.lines();
    let v: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let got = v["identity"]["arn"].as_str().unwrap();
    assert!(
        got.starts_with(&format!("arn:aws:sts::123456789012:assumed-role/{name}/")),
        "{got}"
    );
    assert_eq!(v["identity"]["account"], "123456789012");
    let human = lines.collect::<Vec<_>>().join("\n");
    assert!(human.contains(&format!("arn      {got}")), "{human}");
    // Signed with the exported role key.
    let key = home.cached(&hop(&r, None)).access_key_id;
    let signed = moto()
        .requests()
        .into_iter()
        .filter(|q| q.action == "GetCallerIdentity")
        .filter(|q| {
            q.header("Authorization")
                .is_some_and(|a| a.contains(&format!("Credential={key}/")))
        })
        .count();
    assert_eq!(signed, 2);
}

#[test]
fn status_verify_says_it_is_waiting_for_a_silent_endpoint() {
    // Accepts connections (kernel backlog) and never answers.
    let (silent, port) = common::servers::black_hole();
    let home = TestHome::new();
    let started = Instant::now();
    let out = run(home
        .cmd()
        .args(["status", "--verify"])
        .env("AWSROLE_PROFILE", "p")
        .env("AWS_ACCESS_KEY_ID", "ASIAX")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWSROLE_EXPIRATION", (now() + 3600).to_string())
        .env("AWS_ENDPOINT_URL_STS", format!("http://127.0.0.1:{port}")));
    assert_eq!(out.code, 5, "{out:#?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(&format!(
            "awsrole: waiting for http://127.0.0.1:{port} to answer GetCallerIdentity"
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("could not reach"), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(silent);
}

// ---------------------------------------------------------------------------
// clear
// ---------------------------------------------------------------------------

#[test]
fn clear_removes_every_hop_and_the_next_env_calls_sts_again() {
    let home = TestHome::new().with_moto();
    let (a, b, c) = (arn(&unique("ca")), arn(&unique("cb")), arn(&unique("cc")));
    let other = arn(&unique("cother"));
    home.write_config(&format!(
        "{BASE}[profile a]\nrole_arn = {a}\nsource_profile = base\n\
         [profile b]\nrole_arn = {b}\nsource_profile = a\n\
         [profile c]\nrole_arn = {c}\nsource_profile = b\n\
         [profile other]\nrole_arn = {other}\nsource_profile = base\n"
    ));
    env_bash(&home, "c");
    env_bash(&home, "other");
    for role in [&a, &b, &c, &other] {
        assert!(home.entry_path(&hop(role, None)).is_file());
        assert!(lock_path(&home, role).is_file());
    }
    let out = run(home.cmd().args(["clear", "b"]));
    out.assert_success();
    assert_eq!(out.stdout, "");
    let removed: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(removed.len(), 2, "{}", out.stderr);
    for role in [&a, &b] {
        assert!(!home.entry_path(&hop(role, None)).exists());
        assert!(!lock_path(&home, role).exists());
        assert!(
            out.stderr.contains(&format!(
                "{}, {}: {role}",
                home.entry_path(&hop(role, None)).display(),
                lock_path(&home, role).display()
            )),
            "{}",
            out.stderr
        );
    }
    assert!(
        home.entry_path(&hop(&c, None)).is_file(),
        "c's own entry stays"
    );
    assert!(home.entry_path(&hop(&other, None)).is_file());

    // c's entry is still valid: no call. b needs a and b again.
    env_bash(&home, "c");
    assert_eq!(
        (assume_calls(&a), assume_calls(&b), assume_calls(&c)),
        (1, 1, 1)
    );
    env_bash(&home, "b");
    assert_eq!(
        (assume_calls(&a), assume_calls(&b), assume_calls(&c)),
        (2, 2, 1)
    );

    let again = run(home.cmd().args(["clear", "other"]));
    again.assert_success();
    assert!(!home.entry_path(&hop(&other, None)).exists());
    let nothing = run(home.cmd().args(["clear", "other"]));
    nothing.assert_success();
    assert!(
        nothing
            .stderr
            .contains("nothing cached for profile `other`"),
        "{}",
        nothing.stderr
    );
    env_bash(&home, "other");
    assert_eq!(assume_calls(&other), 2);
}

#[test]
fn clear_removes_the_mfa_session_the_aws_cli_reads() {
    let home = TestHome::new().with_moto();
    let m = arn(&unique("cmfa"));
    home.write_config(&format!(
        "{BASE}[profile m]\nrole_arn = {m}\nsource_profile = base\nmfa_serial = {SERIAL}\nregion = us-east-1\n"
    ));
    // An MFA session as the AWS CLI would have cached it.
    let expiration =
        humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(3600));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::write(
        home.entry_path(&hop(&m, Some(SERIAL))),
        format!(
            r#"{{"Credentials": {{"AccessKeyId": "ASIAMFA", "SecretAccessKey": "x", "SessionToken": "y", "Expiration": "{expiration}"}}}}"#
        ),
    )
    .unwrap();
    let warm = run(home
        .cmd()
        .args(["env", "m", "--shell", "bash", "--no-input"]));
    warm.assert_success();
    let out = run(home.cmd().args(["clear", "m"]).env("AWSROLE_PROFILE", "m"));
    out.assert_success();
    assert!(!home.entry_path(&hop(&m, Some(SERIAL))).exists());
    assert!(
        out.stderr.contains("this shell still holds"),
        "{}",
        out.stderr
    );
    // Now a code is needed again, for awsrole and for the AWS CLI alike.
    let cold = run(home
        .cmd()
        .args(["env", "m", "--shell", "bash", "--no-input"]));
    assert_eq!(cold.code, 6, "{cold:#?}");
    let mut cli = Command::new("setsid");
    cli.arg("-w")
        .arg(common::venv_bin("aws"))
        .args(["sts", "get-caller-identity", "--profile", "m"])
        .env_clear()
        .envs(home.clean_env());
    run(&mut cli).assert_failure();
    assert_eq!(assume_calls(&m), 0);
}

#[test]
fn clear_all_removes_role_entries_of_every_profile_only() {
    let home = TestHome::new().with_moto();
    let (x, y) = (arn(&unique("allx")), arn(&unique("ally")));
    home.write_config(&format!(
        "{BASE}[profile x]\nrole_arn = {x}\nsource_profile = base\n\
         [profile y]\nrole_arn = {y}\nsource_profile = x\n\
         [profile broken]\nrole_arn = {y}\n"
    ));
    env_bash(&home, "y");
    // Entries nobody in this config accounts for: another config's role, an
    // SSO-style entry.
    let foreign = home.cache_dir().join(format!("{}.json", "f".repeat(40)));
    std::fs::copy(home.entry_path(&hop(&x, None)), &foreign).unwrap();
    let sso = home.cache_dir().join("0123abcd.json");
    std::fs::write(&sso, "{\"ProviderType\": \"sso\"}").unwrap();

    let out = run(home.cmd().args(["clear", "--all"]));
    out.assert_success();
    assert_eq!(out.stdout, "");
    assert!(!home.entry_path(&hop(&x, None)).exists());
    assert!(!home.entry_path(&hop(&y, None)).exists());
    assert!(foreign.is_file() && sso.is_file(), "foreign files stay");
    assert!(out.stderr.contains("left 2 other files"), "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("awsrole: removed ").count(),
        2,
        "{}",
        out.stderr
    );

    let out = run(home.cmd().args(["clear", "--all", "x"]));
    assert_eq!(out.code, 2, "--all takes no profile: {out:#?}");
}

#[test]
fn clear_leaves_an_entry_being_refreshed_alone() {
    let home = TestHome::new().with_moto();
    let r = arn(&unique("busy"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {r}\nsource_profile = base\n"
    ));
    env_bash(&home, "r");
    // Someone holds the lock, as awsrole does while refreshing (flock locks
    // belong to the open file, so this process counts as another holder).
    let held = std::fs::File::open(lock_path(&home, &r)).unwrap();
    held.lock().unwrap();
    let out = run(home.cmd().args(["clear", "r"]));
    drop(held);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr.contains("being refreshed right now"),
        "{}",
        out.stderr
    );
    assert!(home.entry_path(&hop(&r, None)).is_file());
    // Free again: cleared.
    run(home.cmd().args(["clear", "r"])).assert_success();
    assert!(!home.entry_path(&hop(&r, None)).exists());
}

#[test]
fn clear_errors() {
    let home = TestHome::new();
    home.write_config("[profile marketingadmin]\nregion = x\n");
    let out = run(home.cmd().args(["clear", "marketingadmn"]));
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(
        out.stderr.contains("did you mean marketingadmin"),
        "{}",
        out.stderr
    );
    home.write_credentials("[k]\naws_access_key_id = A\naws_secret_access_key = B\n");
    let out = run(home.cmd().args(["clear", "k"]));
    out.assert_success();
    assert!(out.stderr.contains("assumes no role"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// help
// ---------------------------------------------------------------------------

#[test]
fn every_new_command_has_help_with_examples() {
    let home = TestHome::new();
    for cmd in ["exec", "credential-process", "list", "status", "clear"] {
        let out = run(home.cmd().args([cmd, "--help"]));
        out.assert_success();
        assert!(out.stdout.contains("Examples:"), "{cmd}: {}", out.stdout);
        assert!(
            out.stdout.contains(&format!("awsrole {cmd}")),
            "{cmd}: {}",
            out.stdout
        );
        assert!(!out.stdout.contains('\x1b'), "no colour when piped");
    }
    let top = run(home.cmd().arg("--help"));
    for cmd in ["exec", "credential-process", "list", "status", "clear"] {
        assert!(top.stdout.contains(&format!("  {cmd} ")), "{}", top.stdout);
    }
}
