//! `awsrole env` output evaluated by real bash, zsh, fish and sh gives exactly
//! the credentials issued by moto; PowerShell output parses with the real
//! PowerShell grammar to exactly the same values.

mod common;

use std::collections::HashMap;

use common::{TestHome, VARIABLES, hop, run, shell_eval_exported, unique};

fn env_output(home: &TestHome, profile: &str, shell: &str) -> String {
    let out = run(home.cmd().args(["env", profile, "--shell", shell]));
    out.assert_success();
    out.stdout
}

/// Runs the PowerShell grammar checker; returns name -> value (None = removed).
fn powershell_values(statements: &str) -> HashMap<String, Option<String>> {
    let parsed = common::python_checker("ps_check.py", statements)
        .unwrap_or_else(|e| panic!("PowerShell grammar check failed: {e}"));
    parsed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let name = s["name"].as_str().unwrap().to_string();
            let value = (s["op"] == "set").then(|| s["value"].as_str().unwrap().to_string());
            (name, value)
        })
        .collect()
}

fn expected(home: &TestHome, role: &str, profile: &str) -> HashMap<String, Option<String>> {
    let c = home.cached(&hop(role, None));
    let exp = c.expiration.unwrap();
    [
        ("AWS_ACCESS_KEY_ID", Some(c.access_key_id.clone())),
        ("AWS_SECRET_ACCESS_KEY", Some(c.secret_access_key.clone())),
        ("AWS_SESSION_TOKEN", c.session_token.clone()),
        (
            "AWS_CREDENTIAL_EXPIRATION",
            Some(humantime::format_rfc3339_seconds(exp).to_string()),
        ),
        ("AWS_REGION", Some("eu-central-1".into())),
        ("AWS_DEFAULT_REGION", Some("eu-central-1".into())),
        ("AWSROLE_REGION", Some("eu-central-1".into())),
        ("AWSROLE_PROFILE", Some(profile.into())),
        (
            "AWSROLE_EXPIRATION",
            Some(c.expiration_unix().unwrap().to_string()),
        ),
        // When the prompt hook acts: 10 minutes (the default window) before.
        (
            "AWSROLE_NEXT",
            Some((c.expiration_unix().unwrap() - 599).to_string()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[test]
fn role_credentials_round_trip_through_every_shell() {
    let home = TestHome::new().with_moto();
    let role = format!("arn:aws:iam::123456789012:role/{}", unique("shells"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n\
         [profile r]\nrole_arn = {role}\nsource_profile = base\nregion = eu-central-1\n"
    ));
    let bash = env_output(&home, "r", "bash");
    let want = expected(&home, &role, "r");
    for shell in ["bash", "zsh", "sh"] {
        let out = env_output(&home, "r", shell);
        assert_eq!(
            shell_eval_exported(shell, &out, &VARIABLES),
            want,
            "{shell}"
        );
    }
    let fish = env_output(&home, "r", "fish");
    assert_eq!(shell_eval_exported("fish", &fish, &VARIABLES), want, "fish");
    let ps = env_output(&home, "r", "powershell");
    assert_eq!(powershell_values(&ps), want, "powershell");
    assert_eq!(ps.lines().count(), 10, "one statement per line:\n{ps}");
    assert!(ps.starts_with("$Env:AWS_ACCESS_KEY_ID = '"), "{ps}");
    assert!(bash.starts_with("export AWS_ACCESS_KEY_ID='"), "{bash}");
}

#[test]
fn hostile_static_values_round_trip_exactly() {
    // Everything a config value can hold that a shell might interpret
    // (" ;" and " #" would start a comment in the file).
    let secret = "it's $HOME `id` $(id) %PATH% !! \\ \"q\" ‘’‚‛ é😀 &|>*?~{a,b} x;y#z";
    let key = "AKID'$x`y`";
    let home = TestHome::new();
    home.write_credentials(&format!(
        "[h]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_session_token = -n\n"
    ));
    let names = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWSROLE_PROFILE",
        "AWS_CREDENTIAL_EXPIRATION",
    ];
    let want: HashMap<String, Option<String>> = [
        ("AWS_ACCESS_KEY_ID", Some(key)),
        ("AWS_SECRET_ACCESS_KEY", Some(secret)),
        ("AWS_SESSION_TOKEN", Some("-n")),
        ("AWSROLE_PROFILE", Some("h")),
        ("AWS_CREDENTIAL_EXPIRATION", None),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
    .collect();
    for shell in ["bash", "zsh", "sh", "fish"] {
        let out = env_output(&home, "h", shell);
        assert_eq!(
            shell_eval_exported(shell, &out, &names),
            want,
            "{shell}:\n{out}"
        );
    }
    let ps = powershell_values(&env_output(&home, "h", "powershell"));
    for (k, v) in &want {
        assert_eq!(ps.get(k), Some(v), "powershell {k}");
    }
}
