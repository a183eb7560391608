//! Profile names botocore accepts (`[profile NAME]` split as `shlex.split`
//! does) resolve in awsrole and reach every shell byte-exact, including
//! `AWSROLE_PROFILE`.

mod common;

use common::{TestHome, run, shell_eval};

/// (as written in the header, the profile name)
const NAMES: &[(&str, &str)] = &[
    ("team$ops", "team$ops"),
    ("a(b)", "a(b)"),
    ("x{y}", "x{y}"),
    ("a!b", "a!b"),
    ("q`r`", "q`r`"),
    ("a\u{2019}b", "a\u{2019}b"),
    ("\"c d\"", "c d"),
    ("'it''s'", "its"),
    ("a=b", "a=b"),
    ("ops!", "ops!"),
    ("\u{1f680}", "\u{1f680}"),
    ("\"$(touch pwned)\"", "$(touch pwned)"),
    ("a?b", "a?b"),
];

#[test]
fn names_botocore_accepts_resolve_and_quote_in_every_shell() {
    let home = TestHome::new();
    let mut config = String::from("[profile a b]\naws_access_key_id = AKIAIGNORED000000000\n");
    for (i, (raw, _)) in NAMES.iter().enumerate() {
        config.push_str(&format!(
            "[profile {raw}]\naws_access_key_id = AKIANAME{i:012}\naws_secret_access_key = s{i}\n"
        ));
    }
    home.write_config(&config);
    for (i, (_, name)) in NAMES.iter().enumerate() {
        for shell in ["bash", "zsh", "sh", "fish"] {
            let out = run(home.cmd().args(["env", name, "--shell", shell]));
            out.assert_success();
            let vars = shell_eval(
                shell,
                &out.stdout,
                &["AWSROLE_PROFILE", "AWS_ACCESS_KEY_ID"],
            );
            assert_eq!(
                vars["AWSROLE_PROFILE"].as_deref(),
                Some(*name),
                "{shell} {name:?}"
            );
            let key = format!("AKIANAME{i:012}");
            assert_eq!(
                vars["AWS_ACCESS_KEY_ID"].as_deref(),
                Some(key.as_str()),
                "{shell} {name:?}"
            );
        }
    }
    assert!(!home.path().join("pwned").exists());
    // `[profile a b]` is ignored by botocore and awsrole; the error says so.
    let out = run(home.cmd().args(["env", "a b", "--shell", "bash"]));
    out.assert_failure();
    assert!(
        out.stderr.contains("section [profile a b] is ignored") && out.stderr.contains("line 1"),
        "{}",
        out.stderr
    );
}

/// A section both tools ignore is named on stderr, with its file and line,
/// once per run, even when the profile asked for resolves.
#[test]
fn an_ignored_section_is_warned_about_once_with_file_and_line() {
    let home = TestHome::new();
    home.write_config(
        "[profile ok]\naws_access_key_id = AKIAOKOKOKOKOKOKOKOK\naws_secret_access_key = s\n\n[profile a b]\nregion = eu-west-1\n",
    );
    let out = run(home.cmd().args(["env", "ok", "--shell", "bash"]));
    out.assert_success();
    let config = home.path().join(".aws/config");
    let want = format!(
        "awsrole: warning: {}:5: section [profile a b] is ignored:",
        config.display()
    );
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("awsrole: warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(warnings[0].starts_with(&want), "{}", out.stderr);
}
