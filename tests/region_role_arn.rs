//! `--region` and ad-hoc `--role-arn`: the region override reaches STS and
//! the exported variables but not the cache key; an ad-hoc role shares the
//! cache entry of a profile with the same settings, with awsrole's own
//! profile form and with the AWS CLI v1; AWSROLE_PROFILE gives the prompt
//! hook the same credentials back.

mod common;

use awsrole::chain::RoleHop;
use common::{TestHome, arn, assume_calls, identity_arn, moto, run, unique};

fn exports(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

fn get(stdout: &str, name: &str) -> Option<String> {
    exports(stdout)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn cache_files(home: &TestHome) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(home.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// What the prompt hooks run: `awsrole env --no-input ... -- "$AWSROLE_PROFILE"`.
fn hook_env(home: &TestHome, profile: &str) -> common::Output {
    run(home
        .cmd()
        .args(["env", "--no-input", "--shell", "bash", "--", profile]))
}

/// The region in the signature of the last AssumeRole call for `role`.
fn sts_region_of(role: &str) -> String {
    let reqs = moto().requests_where("AssumeRole", "RoleArn", role);
    let auth = reqs.last().unwrap().header("Authorization").unwrap();
    auth.split('/').nth(2).unwrap().to_string()
}

#[test]
fn region_overrides_sts_and_the_exports_but_not_the_cache_key() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("region"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDR\naws_secret_access_key = r-secret\n\
         [profile dev]\nrole_arn = {role}\nsource_profile = base\nregion = eu-west-1\n"
    ));
    let first = home.env_bash(&["dev"]);
    first.assert_success();
    assert_eq!(assume_calls(&role), 1);
    assert_eq!(sts_region_of(&role), "eu-west-1");
    let files = cache_files(&home);

    let out = home.env_bash(&["dev", "--region", "us-west-2"]);
    out.assert_success();
    assert_eq!(
        assume_calls(&role),
        1,
        "the same cache entry: no AssumeRole"
    );
    assert_eq!(cache_files(&home), files);
    assert_eq!(get(&out.stdout, "AWS_REGION").as_deref(), Some("us-west-2"));
    assert_eq!(
        get(&out.stdout, "AWS_DEFAULT_REGION").as_deref(),
        Some("us-west-2")
    );
    assert_eq!(
        get(&out.stdout, "AWS_ACCESS_KEY_ID"),
        get(&first.stdout, "AWS_ACCESS_KEY_ID")
    );
    // The hook refreshes with `env -- "$AWSROLE_PROFILE"`: the region stays.
    let profile = get(&out.stdout, "AWSROLE_PROFILE").unwrap();
    assert_eq!(profile, "dev?region=us-west-2");
    let again = hook_env(&home, &profile);
    again.assert_success();
    assert_eq!(
        get(&again.stdout, "AWS_REGION").as_deref(),
        Some("us-west-2")
    );
    assert_eq!(assume_calls(&role), 1);

    // A call that does reach STS is made in the overriding region.
    home.env_bash(&["dev", "--region", "us-west-2", "--refresh"])
        .assert_success();
    assert_eq!(assume_calls(&role), 2);
    assert_eq!(sts_region_of(&role), "us-west-2");
    assert_eq!(cache_files(&home), files);

    // credential-process and exec take it too, from the same entry.
    let cp = run(home
        .cmd()
        .args(["credential-process", "dev", "--region", "ap-south-1"]));
    cp.assert_success();
    let exec = run(home.cmd().args([
        "exec",
        "dev",
        "--region",
        "ap-south-1",
        "--",
        "sh",
        "-c",
        "echo \"$AWS_REGION $AWSROLE_PROFILE\"",
    ]));
    exec.assert_success();
    assert_eq!(exec.stdout, "ap-south-1 dev?region=ap-south-1\n");
    assert_eq!(assume_calls(&role), 2);
}

#[test]
fn an_ad_hoc_role_shares_the_profile_entry_both_ways_and_with_the_aws_cli() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("adhoc"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDADHOC\naws_secret_access_key = adhoc-secret\n\
         region = eu-central-1\n\
         [profile same]\nrole_arn = {role}\nsource_profile = base\nexternal_id = ext-1\n\
         role_session_name = adhoc-session\nduration_seconds = 1800\nregion = eu-central-1\n"
    ));
    let out = home.env_bash(&[
        "--role-arn",
        &role,
        "--source-profile",
        "base",
        "--external-id",
        "ext-1",
        "--session-name",
        "adhoc-session",
        "--duration",
        "30m",
    ]);
    out.assert_success();
    assert_eq!(assume_calls(&role), 1);
    let sent = moto().requests_where("AssumeRole", "RoleArn", &role);
    assert_eq!(sent[0].param("ExternalId"), Some("ext-1"));
    assert_eq!(sent[0].param("RoleSessionName"), Some("adhoc-session"));
    assert_eq!(sent[0].param("DurationSeconds"), Some("1800"));
    // The source profile's region, as a profile with source_profile would not
    // have: the ad-hoc role has no profile of its own to set one.
    assert_eq!(
        get(&out.stdout, "AWS_REGION").as_deref(),
        Some("eu-central-1")
    );

    // The entry is the AWS CLI's for these settings.
    let hop = RoleHop {
        role_arn: role.clone(),
        external_id: Some("ext-1".into()),
        role_session_name: Some("adhoc-session".into()),
        duration_seconds: Some(1800),
        ..Default::default()
    };
    assert!(home.entry_path(&hop).is_file());
    let profile_form = home.env_bash(&["same"]);
    profile_form.assert_success();
    assert_eq!(
        get(&profile_form.stdout, "AWS_SESSION_TOKEN"),
        get(&out.stdout, "AWS_SESSION_TOKEN")
    );
    assert_eq!(
        assume_calls(&role),
        1,
        "the profile reused the ad-hoc entry"
    );
    let cli = run(&mut home.aws_v1_identity("same"));
    assert!(identity_arn(&cli).contains(":assumed-role/"), "{cli:?}");
    assert_eq!(assume_calls(&role), 1, "the AWS CLI v1 reused it");

    // What the prompt hook runs gets the same credentials back.
    let encoded = get(&out.stdout, "AWSROLE_PROFILE").unwrap();
    assert!(
        encoded.starts_with(&format!("{role}?source_profile=base")),
        "{encoded}"
    );
    let hook = hook_env(&home, &encoded);
    hook.assert_success();
    assert_eq!(
        get(&hook.stdout, "AWS_SESSION_TOKEN"),
        get(&out.stdout, "AWS_SESSION_TOKEN")
    );
    assert_eq!(get(&hook.stdout, "AWSROLE_PROFILE"), Some(encoded));
    assert_eq!(assume_calls(&role), 1);
}

#[test]
fn a_profile_first_then_the_ad_hoc_form_and_exec() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("adhoc2"));
    home.write_config(&format!(
        "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = def-secret\n\
         [profile p]\nrole_arn = {role}\nsource_profile = default\n"
    ));
    home.env_bash(&["p"]).assert_success();
    assert_eq!(assume_calls(&role), 1);
    // No --source-profile: the default profile; the first word is the command.
    let out = run(home.cmd().args([
        "exec",
        "--role-arn",
        &role,
        "--",
        "sh",
        "-c",
        "echo \"$AWSROLE_PROFILE\"",
    ]));
    out.assert_success();
    assert_eq!(out.stdout, format!("{role}?source_profile=default\n"));
    assert_eq!(assume_calls(&role), 1);
}

#[test]
fn bad_ad_hoc_arguments_are_usage_errors() {
    let home = TestHome::new();
    let out = home.env_bash(&["--role-arn", "not-an-arn"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("is not a role ARN"), "{}", out.stderr);
    let out = home.env_bash(&["--external-id", "x"]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = home.env_bash(&["dev", "--role-arn", "arn:aws:iam::1:role/r"]);
    assert_eq!(out.code, 2, "{out:?}");
    // Not our settings after `?`: the whole text is a profile name, as
    // botocore accepts any name.
    let out = hook_env(&home, "dev?bogus=1");
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("profile `dev?bogus=1` not found"),
        "{}",
        out.stderr
    );
    let out = hook_env(&home, "arn:aws:iam::1:role/r?bogus=1");
    assert_eq!(out.code, 2, "{out:?}");
    home.write_config("[profile base]\naws_access_key_id = A\naws_secret_access_key = B\n");
    let out = home.env_bash(&[
        "--role-arn",
        "arn:aws:iam::1:role/r",
        "--source-profile",
        "nope",
    ]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("source profile nope"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(":0:"),
        "no line for a role without a profile"
    );
}
