//! `--verbose` says what awsrole does, on stderr only, and never a secret.

mod common;

use common::{TestHome, moto, run, unique};

const BASE_SECRET: &str = "verbose-base-secret-9f8e7d6c";

#[test]
fn verbose_tells_the_story_and_keeps_secrets() {
    let home = TestHome::new().with_moto();
    let (a, b) = (
        format!("arn:aws:iam::123456789012:role/{}", unique("va")),
        format!("arn:aws:iam::123456789012:role/{}", unique("vb")),
    );
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDVERBOSE\naws_secret_access_key = {BASE_SECRET}\n\
         [profile a]\nrole_arn = {a}\nsource_profile = base\n\
         [profile b]\nrole_arn = {b}\nsource_profile = a\n"
    ));
    let cold = run(home
        .cmd()
        .args(["--verbose", "env", "b", "--shell", "bash"]));
    cold.assert_success();
    let plain = run(home.cmd().args(["env", "b", "--shell", "bash"]));
    assert_eq!(
        cold.stdout, plain.stdout,
        "stdout is the same with --verbose"
    );
    assert_eq!(plain.stderr, "", "and without it stderr is quiet");
    for needle in [
        &format!("base `base` -> {a} (`a`) -> {b} (`b`)"),
        &format!("{b}: cache miss in "),
        &format!("AssumeRole {a} as `botocore-session-"),
        &format!("AssumeRole {b} as `botocore-session-"),
        &format!("via {}", moto().endpoint()),
        &format!("{b}: cached in "),
    ] {
        assert!(
            cold.stderr.contains(needle.as_str()),
            "no {needle:?} in:\n{}",
            cold.stderr
        );
    }
    let warm = run(home.cmd().args(["env", "b", "--shell", "bash", "-v"]));
    warm.assert_success();
    assert!(
        warm.stderr.contains(&format!("{b}: cache hit in ")),
        "{}",
        warm.stderr
    );
    assert!(!warm.stderr.contains("AssumeRole"), "{}", warm.stderr);

    // No secret from the config, the output or the cache on stderr.
    let mut secrets = vec![BASE_SECRET.to_string()];
    for line in cold.stdout.lines() {
        for var in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
            if let Some(v) = line.strip_prefix(&format!("export {var}='")) {
                secrets.push(v.trim_end_matches('\'').to_string());
            }
        }
    }
    assert_eq!(secrets.len(), 3);
    for s in &secrets {
        assert!(!cold.stderr.contains(s.as_str()) && !warm.stderr.contains(s.as_str()));
    }
}
