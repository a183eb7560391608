//! The region of the previous profile does not carry over: after
//! `env dev` (region eu-west-1), `env prod` (no region) removes the region
//! variables awsrole exported and calls STS for prod in the region a fresh
//! shell would use, while a region the user set is kept. In real shells.

mod common;

use std::process::Command;

use common::{Output, TestHome, moto, run, unique};

fn arn(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/{name}")
}

/// A home with `dev` (a role in eu-west-1) and `prod` (a role, no region).
fn home() -> (TestHome, String) {
    let home = TestHome::new().with_moto();
    let prod = arn(&unique("prod"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDREGION\naws_secret_access_key = region-secret\n\
         [profile dev]\nrole_arn = {}\nsource_profile = base\nregion = eu-west-1\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = base\n",
        arn(&unique("dev"))
    ));
    (home, prod)
}

/// The region in the signature of the last AssumeRole call for `role`.
fn sts_region_of(role: &str) -> String {
    let reqs = moto().requests_where("AssumeRole", "RoleArn", role);
    let auth = reqs
        .last()
        .expect("an AssumeRole call")
        .header("Authorization");
    // Credential=KEY/DATE/REGION/sts/aws4_request
    auth.unwrap().split('/').nth(2).unwrap().to_string()
}

fn shell(home: &TestHome, sh: &str, script: &str) -> Output {
    let mut cmd = Command::new(sh);
    match sh {
        "bash" => cmd.args(["--norc", "--noprofile"]),
        "zsh" => cmd.arg("-f"),
        "fish" => cmd.arg("--no-config"),
        _ => &mut cmd,
    };
    let out = run(cmd
        .arg("-c")
        .arg(script)
        .env_clear()
        .envs(home.clean_env())
        .env("AWSROLE", common::awsrole_bin())
        .current_dir(home.path()));
    out.assert_success();
    out
}

/// `AWS_REGION AWS_DEFAULT_REGION AWSROLE_REGION`, `-` when unset.
const SHOW: &str = "echo \"${AWS_REGION:--} ${AWS_DEFAULT_REGION:--} ${AWSROLE_REGION:--}\"";
const SHOW_FISH: &str = "for v in AWS_REGION AWS_DEFAULT_REGION AWSROLE_REGION; set -q $v; and printf '%s ' $$v; or printf '- '; end; echo";

/// Sources `env PROFILE --refresh` (a new STS call each time) in `sh`.
fn apply(sh: &str, profile: &str) -> String {
    match sh {
        "fish" => format!("$AWSROLE env --refresh {profile} | source; or exit 9"),
        _ => format!("eval \"$(\"$AWSROLE\" env --refresh {profile})\" || exit 9"),
    }
}

fn export(sh: &str, name: &str, value: &str) -> String {
    match sh {
        "fish" => format!("set -gx {name} {value}"),
        _ => format!("export {name}={value}"),
    }
}

#[test]
fn a_profile_without_region_removes_the_one_awsrole_exported() {
    let (home, prod) = home();
    for sh in ["bash", "zsh", "dash", "fish"] {
        let show = if sh == "fish" { SHOW_FISH } else { SHOW };
        let script = [
            apply(sh, "dev"),
            show.into(),
            apply(sh, "prod"),
            show.into(),
        ]
        .join("\n");
        let out = shell(&home, sh, &script);
        let lines: Vec<&str> = out.stdout.lines().map(str::trim_end).collect();
        assert_eq!(
            lines,
            ["eu-west-1 eu-west-1 eu-west-1", "- - -"],
            "{sh}: {out:#?}"
        );
        // As in a fresh shell: not eu-west-1.
        assert_eq!(sts_region_of(&prod), "us-east-1", "{sh}");
    }
}

#[test]
fn a_region_the_user_set_is_kept_and_used() {
    let (home, prod) = home();
    for sh in ["bash", "fish"] {
        let show = if sh == "fish" { SHOW_FISH } else { SHOW };
        // Set before any awsrole: kept, and STS for prod is called there.
        let script = [
            export(sh, "AWS_REGION", "ap-south-1"),
            apply(sh, "prod"),
            show.into(),
        ]
        .join("\n");
        let out = shell(&home, sh, &script);
        assert_eq!(out.stdout.trim_end(), "ap-south-1 - -", "{sh}: {out:#?}");
        assert_eq!(sts_region_of(&prod), "ap-south-1", "{sh}");

        // Changed after `env dev`: AWS_REGION is the user's now and stays;
        // AWS_DEFAULT_REGION still holds awsrole's and goes.
        let script = [
            apply(sh, "dev"),
            export(sh, "AWS_REGION", "ca-central-1"),
            apply(sh, "prod"),
            show.into(),
        ]
        .join("\n");
        let out = shell(&home, sh, &script);
        assert_eq!(out.stdout.trim_end(), "ca-central-1 - -", "{sh}: {out:#?}");
        assert_eq!(sts_region_of(&prod), "ca-central-1", "{sh}");
    }
}

#[test]
fn exec_and_status_follow_the_same_rule() {
    let (home, prod) = home();
    let out = shell(
        &home,
        "bash",
        &format!(
            "{}\n\"$AWSROLE\" status --json\n\
             \"$AWSROLE\" exec --refresh prod -- sh -c 'echo \"exec ${{AWS_REGION:--}} ${{AWS_DEFAULT_REGION:--}} ${{AWSROLE_REGION:--}}\"'\n\
             {SHOW}",
            apply("bash", "dev")
        ),
    );
    let mut lines = out.stdout.lines();
    let status: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(status["region"], "eu-west-1", "{out:#?}");
    assert_eq!(lines.next(), Some("exec - - -"), "{out:#?}");
    // exec changed only the command's environment.
    assert_eq!(
        lines.next(),
        Some("eu-west-1 eu-west-1 eu-west-1"),
        "{out:#?}"
    );
    assert_eq!(sts_region_of(&prod), "us-east-1");
    // --unset removes the marker too.
    let out = shell(
        &home,
        "bash",
        &format!(
            "{}\neval \"$(\"$AWSROLE\" env --unset)\"\n{SHOW}",
            apply("bash", "dev")
        ),
    );
    assert_eq!(out.stdout, "- - -\n");
}
