//! `awsrole env` against a real moto STS: profile kinds, chains, cache
//! behaviour, STS parameters and output. Calls are counted with moto's
//! recorder, filtered by role ARNs unique to each test.

mod common;

use std::time::{Duration, SystemTime};

use awsrole::cache::{assume_role_key, parse_entry};
use awsrole::chain::RoleHop;
use common::{TestHome, arn, assume_calls, key_of, moto, run, unique};

/// `NAME='value'` pairs of bash output (values here have no quotes).
fn exports(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.trim_matches('\'').to_string())
        })
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const BASE: &str =
    "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";

#[test]
fn static_profile_prints_its_keys_without_sts() {
    let home = TestHome::new();
    home.write_credentials(
        "[static]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = s3cret/+=\n",
    );
    let out = home.env_bash(&["static"]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        "export AWS_ACCESS_KEY_ID='AKIDSTATIC'\n\
         export AWS_SECRET_ACCESS_KEY='s3cret/+='\n\
         unset AWS_SESSION_TOKEN\n\
         unset AWS_CREDENTIAL_EXPIRATION\n\
         export AWSROLE_PROFILE='static'\n\
         unset AWSROLE_EXPIRATION\n\
         unset AWSROLE_NEXT\n"
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn one_hop_cold_then_warm() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("one"));
    home.write_config(&format!(
        "{BASE}[profile admin]\nrole_arn = {role}\nsource_profile = base\nregion = eu-west-2\n"
    ));
    let cold = home.env_bash(&["admin"]);
    cold.assert_success();
    assert_eq!(assume_calls(&role), 1);
    let vars = exports(&cold.stdout);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWSROLE_REGION",
            "AWSROLE_PROFILE",
            "AWSROLE_EXPIRATION",
            "AWSROLE_NEXT"
        ]
    );
    // The list the tests read back elsewhere is the one checked here.
    assert_eq!(names, common::VARIABLES);
    assert_eq!(get(&vars, "AWS_REGION"), Some("eu-west-2"));
    assert_eq!(get(&vars, "AWSROLE_REGION"), Some("eu-west-2"));
    assert_eq!(get(&vars, "AWSROLE_PROFILE"), Some("admin"));

    // The cache file has the AWS CLI's name and holds what we printed.
    let file = home.cache_dir().join(format!("{}.json", key_of(&role)));
    let body = std::fs::read(&file).expect("cache file under the AWS CLI's name");
    let cached = parse_entry(&body).unwrap();
    assert_eq!(
        get(&vars, "AWS_ACCESS_KEY_ID"),
        Some(cached.access_key_id.as_str())
    );
    assert_eq!(
        get(&vars, "AWS_SESSION_TOKEN"),
        cached.session_token.as_deref()
    );
    let unix: u64 = get(&vars, "AWSROLE_EXPIRATION").unwrap().parse().unwrap();
    assert_eq!(Some(unix), cached.expiration_unix());
    // The prompt hook acts 10 minutes (the default window) before.
    assert_eq!(
        get(&vars, "AWSROLE_NEXT"),
        Some((unix - 599).to_string().as_str())
    );
    let rfc = get(&vars, "AWS_CREDENTIAL_EXPIRATION").unwrap();
    assert_eq!(
        humantime::parse_rfc3339(rfc).unwrap(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
    );
    assert!(rfc.ends_with('Z'));

    let warm = home.env_bash(&["admin"]);
    warm.assert_success();
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(assume_calls(&role), 1, "warm path made no STS call");
}

#[test]
fn chains_of_two_and_three_hops_cache_every_hop() {
    let home = TestHome::new().with_moto();
    let (a, b, c) = (arn(&unique("a")), arn(&unique("b")), arn(&unique("c")));
    home.write_config(&format!(
        "{BASE}[profile a]\nrole_arn = {a}\nsource_profile = base\n\
         [profile b]\nrole_arn = {b}\nsource_profile = a\n\
         [profile c]\nrole_arn = {c}\nsource_profile = b\n"
    ));
    home.env_bash(&["b"]).assert_success();
    assert_eq!((assume_calls(&a), assume_calls(&b)), (1, 1));
    // c reuses the cached a and b hops: one new call.
    home.env_bash(&["c"]).assert_success();
    assert_eq!(
        (assume_calls(&a), assume_calls(&b), assume_calls(&c)),
        (1, 1, 1)
    );
    for role in [&a, &b, &c] {
        assert!(
            home.cache_dir()
                .join(format!("{}.json", key_of(role)))
                .is_file()
        );
    }
    home.env_bash(&["c"]).assert_success();
    home.env_bash(&["b"]).assert_success();
    assert_eq!(
        (assume_calls(&a), assume_calls(&b), assume_calls(&c)),
        (1, 1, 1)
    );

    // A cold three-hop chain: one call per hop, each hop signed by the last.
    let fresh = TestHome::new().with_moto();
    std::fs::copy(home.config_path(), fresh.config_path()).unwrap();
    fresh.env_bash(&["c"]).assert_success();
    assert_eq!(
        (assume_calls(&a), assume_calls(&b), assume_calls(&c)),
        (2, 2, 2)
    );
    let signer = |role: &str| {
        let reqs = moto().requests_where("AssumeRole", "RoleArn", role);
        let auth = reqs
            .last()
            .unwrap()
            .header("Authorization")
            .unwrap()
            .to_string();
        auth.split("Credential=")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(signer(&a), "AKIDBASE");
    let a_creds = parse_entry(
        &std::fs::read(fresh.cache_dir().join(format!("{}.json", key_of(&a)))).unwrap(),
    )
    .unwrap();
    assert_eq!(signer(&b), a_creds.access_key_id);
}

#[test]
fn role_settings_are_sent_and_shape_the_cache_key() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("opts"));
    home.write_config(&format!(
        "{BASE}[profile opts]\nrole_arn = {role}\nsource_profile = base\n\
         external_id = ext-123\nrole_session_name = alice\nduration_seconds = 3600\n"
    ));
    home.env_bash(&["opts"]).assert_success();
    let reqs = moto().requests_where("AssumeRole", "RoleArn", &role);
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.param("ExternalId"), Some("ext-123"));
    assert_eq!(r.param("RoleSessionName"), Some("alice"));
    assert_eq!(r.param("DurationSeconds"), Some("3600"));
    assert_eq!(r.param("SerialNumber"), None);
    let key = assume_role_key(&RoleHop {
        profile: String::new(),
        role_arn: role.clone(),
        external_id: Some("ext-123".into()),
        mfa_serial: None,
        role_session_name: Some("alice".into()),
        duration_seconds: Some(3600),
        at: None,
    });
    assert!(home.cache_dir().join(format!("{key}.json")).is_file());
}

#[test]
fn generated_session_name_is_botocore_style() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("sess"));
    home.write_config(&format!(
        "{BASE}[profile p]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    home.env_bash(&["p"]).assert_success();
    let reqs = moto().requests_where("AssumeRole", "RoleArn", &role);
    let name = reqs[0].param("RoleSessionName").unwrap();
    let secs: u64 = name
        .strip_prefix("botocore-session-")
        .unwrap()
        .parse()
        .unwrap();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(secs) < 120);
}

#[test]
fn self_referencing_profile_uses_its_own_keys() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("self"));
    home.write_config(&format!(
        "[profile me]\naws_access_key_id = AKIDSELF\naws_secret_access_key = x\nrole_arn = {role}\nsource_profile = me\n"
    ));
    let out = home.env_bash(&["me"]);
    out.assert_success();
    assert_eq!(assume_calls(&role), 1);
    // role_arn wins over the selected profile's own keys.
    assert_ne!(
        get(&exports(&out.stdout), "AWS_ACCESS_KEY_ID"),
        Some("AKIDSELF")
    );
}

#[test]
fn credential_source_environment_signs_with_the_environment_keys() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("envsrc"));
    home.write_config(&format!(
        "[profile e]\nrole_arn = {role}\ncredential_source = Environment\n"
    ));
    let out = run(home
        .cmd()
        .args(["env", "e", "--shell", "bash"])
        .env("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
        .env("AWS_SECRET_ACCESS_KEY", "env-secret"));
    out.assert_success();
    let reqs = moto().requests_where("AssumeRole", "RoleArn", &role);
    assert_eq!(reqs.len(), 1);
    assert!(
        reqs[0]
            .header("Authorization")
            .unwrap()
            .contains("Credential=AKIDFROMENV/")
    );

    let missing = home.env_bash(&["e", "--refresh"]);
    assert_eq!(missing.code, 3);
    assert_eq!(missing.stdout, "(exit 3)\n");
    assert!(
        missing.stderr.contains("credential_source = Environment"),
        "{}",
        missing.stderr
    );
}

#[test]
fn refresh_and_min_ttl_decide_what_counts_as_a_miss() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("ttl"));
    home.write_config(&format!(
        "{BASE}[profile t]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    let first = home.env_bash(&["t"]);
    first.assert_success();
    let again = home.env_bash(&["t", "--refresh"]);
    again.assert_success();
    assert_eq!(assume_calls(&role), 2);
    assert_ne!(first.stdout, again.stdout, "--refresh rewrote the cache");
    assert_eq!(home.env_bash(&["t"]).stdout, again.stdout);
    assert_eq!(assume_calls(&role), 2);

    // An entry with 20 minutes left: a hit by default, a miss for --min-ttl 30m.
    let file = home.cache_dir().join(format!("{}.json", key_of(&role)));
    let exp = humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(20 * 60));
    let body = format!(
        r#"{{"Credentials": {{"AccessKeyId": "ASIAHAND", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "{exp}"}}}}"#
    );
    std::fs::write(&file, &body).unwrap();
    let hit = home.env_bash(&["t"]);
    assert_eq!(
        get(&exports(&hit.stdout), "AWS_ACCESS_KEY_ID"),
        Some("ASIAHAND")
    );
    assert_eq!(assume_calls(&role), 2);
    let miss = home.env_bash(&["t", "--min-ttl", "30m"]);
    miss.assert_success();
    assert_ne!(
        get(&exports(&miss.stdout), "AWS_ACCESS_KEY_ID"),
        Some("ASIAHAND")
    );
    assert_eq!(assume_calls(&role), 3);

    let bad = home.env_bash(&["t", "--min-ttl", "soon"]);
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stdout, "(exit 2)\n", "a usage error fails the eval too");
}

#[test]
fn cache_entries_in_every_aws_cli_time_style_are_hits() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("styles"));
    home.write_config(&format!(
        "{BASE}[profile s]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    let file = home.cache_dir().join(format!("{}.json", key_of(&role)));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    let later = SystemTime::now() + Duration::from_secs(3600);
    let z = humantime::format_rfc3339_micros(later).to_string();
    let plain = humantime::format_rfc3339_seconds(later).to_string();
    let body = plain.trim_end_matches('Z');
    for (i, exp) in [
        z.clone(),
        format!("{body}+00:00"),
        format!("{body}UTC"),
        plain.clone(),
    ]
    .iter()
    .enumerate()
    {
        let key = format!("ASIASTYLE{i}");
        std::fs::write(
            &file,
            format!(r#"{{"Credentials": {{"AccessKeyId": "{key}", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "{exp}"}}}}"#),
        )
        .unwrap();
        let out = home.env_bash(&["s"]);
        assert_eq!(
            get(&exports(&out.stdout), "AWS_ACCESS_KEY_ID"),
            Some(key.as_str()),
            "{exp}"
        );
    }
    assert_eq!(assume_calls(&role), 0);
}

#[test]
fn corrupt_or_expired_cache_entries_are_replaced() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("corrupt"));
    home.write_config(&format!(
        "{BASE}[profile c]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    let file = home.cache_dir().join(format!("{}.json", key_of(&role)));
    let expired = r#"{"Credentials": {"AccessKeyId": "OLD", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2020-01-01T00:00:00Z"}}"#;
    for (i, body) in [
        &b"{\"Credentials\": {\"AccessKe"[..],
        b"\x00\xff garbage",
        b"[]",
        expired.as_bytes(),
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(&file, body).unwrap();
        let out = home.env_bash(&["c"]);
        out.assert_success();
        assert_eq!(assume_calls(&role), i + 1);
        assert!(
            parse_entry(&std::fs::read(&file).unwrap()).is_some(),
            "replaced by a good entry"
        );
    }
}

#[test]
fn aws_profile_and_aws_default_profile_choose_the_default() {
    let home = TestHome::new();
    home.write_credentials(
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n\
         [one]\naws_access_key_id = AKIDONE\naws_secret_access_key = o\n\
         [two]\naws_access_key_id = AKIDTWO\naws_secret_access_key = t\n",
    );
    let key =
        |out: common::Output| get(&exports(&out.stdout), "AWS_ACCESS_KEY_ID").map(str::to_string);
    assert_eq!(key(home.env_bash(&[])), Some("AKIDDEFAULT".into()));
    let with = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = home.cmd();
        cmd.arg("env")
            .args(args)
            .args(["--shell", "bash"])
            .envs(vars.iter().copied());
        run(&mut cmd)
    };
    assert_eq!(
        key(with(&[("AWS_PROFILE", "one")], &[])),
        Some("AKIDONE".into())
    );
    assert_eq!(
        key(with(&[("AWS_DEFAULT_PROFILE", "two")], &[])),
        Some("AKIDTWO".into())
    );
    let both = with(
        &[("AWS_PROFILE", "one"), ("AWS_DEFAULT_PROFILE", "two")],
        &[],
    );
    assert_eq!(key(both.clone()), Some("AKIDONE".into()));
    assert!(
        both.stderr.contains("AWS_DEFAULT_PROFILE"),
        "warns when they differ"
    );
    assert_eq!(
        key(with(&[("AWS_PROFILE", "one")], &["two"])),
        Some("AKIDTWO".into())
    );
    let out = with(&[("AWS_PROFILE", "two")], &[]);
    assert!(
        !out.stdout.contains("AWS_PROFILE="),
        "AWS_PROFILE is left as the user set it"
    );
}

#[test]
fn sts_region_comes_from_the_profile_then_the_environment() {
    let home = TestHome::new().with_moto();
    let (r1, r2, r3) = (
        arn(&unique("reg1")),
        arn(&unique("reg2")),
        arn(&unique("reg3")),
    );
    home.write_config(&format!(
        "{BASE}[profile withregion]\nrole_arn = {r1}\nsource_profile = base\nregion = ap-southeast-2\n\
         [profile noregion]\nrole_arn = {r2}\nsource_profile = base\n\
         [profile fallback]\nrole_arn = {r3}\nsource_profile = base\n"
    ));
    let scope = |role: &str| {
        let reqs = moto().requests_where("AssumeRole", "RoleArn", role);
        let auth = reqs
            .last()
            .unwrap()
            .header("Authorization")
            .unwrap()
            .to_string();
        auth.split('/').nth(2).unwrap().to_string()
    };
    run(home
        .cmd()
        .args(["env", "withregion", "--shell", "bash"])
        .env("AWS_REGION", "eu-north-1"))
    .assert_success();
    assert_eq!(scope(&r1), "ap-southeast-2");
    let out = run(home
        .cmd()
        .args(["env", "noregion", "--shell", "bash"])
        .env("AWS_DEFAULT_REGION", "eu-north-1"));
    out.assert_success();
    assert_eq!(scope(&r2), "eu-north-1");
    assert!(
        !out.stdout.contains("AWS_REGION"),
        "no region exported when the profile has none"
    );
    home.env_bash(&["fallback"]).assert_success();
    assert_eq!(scope(&r3), "us-east-1");
}

#[test]
fn configured_endpoints_reach_sts() {
    // No AWS_ENDPOINT_URL_STS here: the endpoint comes from the config.
    let home = TestHome::new();
    let (r1, r2) = (arn(&unique("svc")), arn(&unique("glob")));
    let url = moto().endpoint();
    home.write_config(&format!(
        "{BASE}[profile viaservices]\nrole_arn = {r1}\nsource_profile = base\nservices = local\n\
         [profile viaglobal]\nrole_arn = {r2}\nsource_profile = base\nendpoint_url = {url}\n\
         [services local]\nsts =\n  endpoint_url = {url}\n"
    ));
    home.env_bash(&["viaservices"]).assert_success();
    home.env_bash(&["viaglobal"]).assert_success();
    assert_eq!((assume_calls(&r1), assume_calls(&r2)), (1, 1));
    // AWS_ENDPOINT_URL_STS beats the config: a dead port fails fast.
    let out = run(home
        .cmd()
        .args(["env", "viaglobal", "--refresh", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"));
    assert_eq!(out.code, 5, "{out:?}");
    assert!(out.stderr.contains("127.0.0.1:9"), "{}", out.stderr);
}

#[test]
fn unset_prints_every_variable_env_sets() {
    let home = TestHome::new();
    let out = run(home.cmd().args(["env", "--unset", "--shell", "bash"]));
    out.assert_success();
    assert_eq!(
        out.stdout,
        "unset AWS_ACCESS_KEY_ID\nunset AWS_SECRET_ACCESS_KEY\nunset AWS_SESSION_TOKEN\n\
         unset AWS_CREDENTIAL_EXPIRATION\nunset AWS_REGION\nunset AWS_DEFAULT_REGION\n\
         unset AWSROLE_REGION\nunset AWSROLE_PROFILE\nunset AWSROLE_EXPIRATION\n\
         unset AWSROLE_NEXT\n"
    );
    let fish = run(home.cmd().args(["env", "--unset", "--shell", "fish"]));
    assert_eq!(fish.stdout.lines().count(), 10);
    assert!(fish.stdout.lines().all(|l| l.starts_with("set -e ")));
}

#[test]
fn stale_legacy_security_token_is_removed() {
    let home = TestHome::new();
    home.write_credentials("[s]\naws_access_key_id = A\naws_secret_access_key = B\n");
    let out = run(home
        .cmd()
        .args(["env", "s", "--shell", "bash"])
        .env("AWS_SECURITY_TOKEN", "old"));
    out.assert_success();
    assert!(
        out.stdout.ends_with("unset AWS_SECURITY_TOKEN\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn concurrent_cold_starts_make_one_call_per_hop() {
    let home = TestHome::new().with_moto();
    let (a, b) = (arn(&unique("cca")), arn(&unique("ccb")));
    home.write_config(&format!(
        "{BASE}[profile a]\nrole_arn = {a}\nsource_profile = base\n[profile b]\nrole_arn = {b}\nsource_profile = a\n"
    ));
    let children: Vec<_> = (0..12)
        .map(|_| {
            home.cmd()
                .args(["env", "b", "--shell", "bash"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.stdout, outs[0].stdout, "all print the same credentials");
    }
    assert_eq!((assume_calls(&a), assume_calls(&b)), (1, 1));
}

#[test]
fn warm_path_opens_no_socket_and_starts_no_thread() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("warm"));
    home.write_config(&format!(
        "{BASE}[profile w]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    home.env_bash(&["w"]).assert_success();
    let trace = home.path().join("trace.txt");
    let mut cmd = std::process::Command::new("strace");
    cmd.args([
        "-f",
        "-qq",
        "-e",
        "trace=socket,connect,clone,clone3,fork,vfork",
        "-o",
    ])
    .arg(&trace)
    .arg(common::awsrole_bin())
    .args(["env", "w", "--shell", "bash"])
    .env_clear()
    .envs(home.clean_env());
    let out = run(&mut cmd);
    out.assert_success();
    assert!(out.stdout.contains("AWS_SESSION_TOKEN"));
    let calls = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(
        calls.trim(),
        "",
        "warm path made system calls it should not:\n{calls}"
    );
    assert_eq!(assume_calls(&role), 1);
    // The same trace on a miss does show the network: the check can fail.
    let cold = run(std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect", "-o"])
        .arg(&trace)
        .arg(common::awsrole_bin())
        .args(["env", "w", "--shell", "bash", "--refresh"])
        .env_clear()
        .envs(home.clean_env()));
    cold.assert_success();
    assert!(
        std::fs::read_to_string(&trace)
            .unwrap()
            .contains("connect(")
    );
}
