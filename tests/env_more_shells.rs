//! `awsrole env` for nushell, elvish, cmd.exe and the `--format`s, end to
//! end through the binary: real role credentials (moto) come out exactly in
//! real elvish and nushell, the cmd.exe grammar checker and the formats'
//! readers; and a failed `env` fails there too (status, not silence).

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{Output, TestHome, VARIABLES, hop, run, unique};

fn env_out(home: &TestHome, args: &[&str]) -> Output {
    run(home.cmd().arg("env").args(args))
}

fn ok(home: &TestHome, args: &[&str]) -> String {
    let out = env_out(home, args);
    out.assert_success();
    assert_eq!(out.stderr, "", "{out:#?}");
    out.stdout
}

/// name -> value from `env -0` output (what a child of the shell sees).
fn exported(stdout: &[u8]) -> HashMap<String, Option<String>> {
    let env: HashMap<&[u8], &[u8]> = stdout
        .split(|b| *b == 0)
        .filter_map(|e| {
            e.iter()
                .position(|b| *b == b'=')
                .map(|i| (&e[..i], &e[i + 1..]))
        })
        .collect();
    VARIABLES
        .iter()
        .map(|n| {
            let v = env
                .get(n.as_bytes())
                .map(|v| String::from_utf8(v.to_vec()).unwrap());
            (n.to_string(), v)
        })
        .collect()
}

fn in_shell(program: &std::path::Path, args: &[&str], script_file: &std::path::Path) -> Vec<u8> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg(script_file)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn file_with(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

fn role_home() -> (TestHome, HashMap<String, Option<String>>) {
    let home = TestHome::new().with_moto();
    let role = format!("arn:aws:iam::123456789012:role/{}", unique("more"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n\
         [profile r]\nrole_arn = {role}\nsource_profile = base\nregion = eu-central-1\n"
    ));
    // The first call fills the cache; the expected values are read from it.
    ok(&home, &["r", "--shell", "bash"]);
    let c = home.cached(&hop(&role, None));
    let exp = c.expiration.unwrap();
    let want = [
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
        ("AWSROLE_PROFILE", Some("r".into())),
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
    .collect();
    (home, want)
}

#[test]
fn role_credentials_round_trip_through_the_new_shells_and_formats() {
    let (home, want) = role_home();
    let nu = common::peers::nu_bin();

    let elv = ok(&home, &["r", "--shell", "elvish"]);
    let f = file_with(&elv);
    let got = exported(&in_shell(
        std::path::Path::new("elvish"),
        &["-norc", "-c", "eval (slurp < $args[0]); env -0"],
        f.path(),
    ));
    assert_eq!(got, want, "elvish:\n{elv}");

    let nu_out = ok(&home, &["r", "--shell", "nu"]);
    assert_eq!(
        nu_out.lines().next().map(|l| l.starts_with("load-env {")),
        Some(true)
    );
    let f = file_with(&nu_out);
    let src = format!("source '{}'; ^env -0", f.path().display());
    let got = exported(&in_shell(
        &nu,
        &["-n", "--no-std-lib", "-c", &src],
        f.path(),
    ));
    assert_eq!(got, want, "nushell:\n{nu_out}");

    let json = ok(&home, &["r", "--format", "json"]);
    let f = file_with(&json);
    let load = format!(
        "open --raw '{}' | from json | load-env; ^env -0",
        f.path().display()
    );
    let got = exported(&in_shell(
        &nu,
        &["-n", "--no-std-lib", "-c", &load],
        f.path(),
    ));
    assert_eq!(got, want, "json into nushell:\n{json}");
    let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.len(), VARIABLES.len(), "{json}");

    let cmd = ok(&home, &["r", "--shell", "cmd"]);
    let ops = common::python_checker("cmd_check.py", &cmd).unwrap_or_else(|e| panic!("{e}\n{cmd}"));
    let mut got: HashMap<String, Option<String>> =
        VARIABLES.iter().map(|n| (n.to_string(), None)).collect();
    for op in ops.as_array().unwrap() {
        if op["op"] == "set" {
            got.insert(
                op["name"].as_str().unwrap().into(),
                op["value"].as_str().map(Into::into),
            );
        }
    }
    assert_eq!(got, want, "cmd:\n{cmd}");
    // And through Wine's real cmd.exe, `call`ed as the docs say.
    let in_cmd = common::wine::cmd_call(&cmd, &[]);
    for (name, value) in &want {
        assert_eq!(
            in_cmd.vars.get(name),
            value.as_ref(),
            "cmd.exe {name}:\n{cmd}"
        );
    }
    assert_eq!(in_cmd.errorlevel, 0, "{}", in_cmd.stdout);

    let dotenv = ok(&home, &["r", "--format", "dotenv"]);
    let pairs = common::python_checker("dotenv_check.py", &dotenv).unwrap();
    for (name, value) in &want {
        assert_eq!(
            pairs.get(name).and_then(|v| v.as_str()),
            value.as_deref(),
            "dotenv {name}"
        );
    }

    let github = ok(&home, &["r", "--format", "github"]);
    for (name, value) in &want {
        let line = format!("{name}={}\n", value.as_deref().unwrap_or(""));
        assert!(github.contains(&line), "github lacks {line:?}:\n{github}");
    }
}

#[test]
fn a_failed_env_fails_in_nushell_and_elvish_and_formats_print_nothing() {
    let home = TestHome::new();
    home.write_config("[profile ok]\nregion = eu-west-1\n");
    for args in [
        &["nosuch", "--shell", "nu"][..],
        &["nosuch", "--shell", "elvish"],
        &["nosuch", "--shell", "cmd"],
        &["nosuch", "--format", "json"],
        &["nosuch", "--format", "dotenv"],
        &["nosuch", "--format", "github"],
        &["--format", "json", "--bogus"],
    ] {
        let out = env_out(&home, args);
        assert_ne!(out.code, 0, "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        if args.contains(&"--format") {
            assert_eq!(out.stdout, "", "{args:?}");
        }
    }
    // The statement makes the sourcing script stop, as `eval` does elsewhere.
    let nu_fail = env_out(&home, &["nosuch", "--shell", "nu"]).stdout;
    let f = file_with(&nu_fail);
    let src = format!("source '{}'; print reached", f.path().display());
    let out = Command::new(common::peers::nu_bin())
        .args(["-n", "--no-std-lib", "-c", &src])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{nu_fail}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("reached"));

    let elv_fail = env_out(&home, &["nosuch", "--shell", "elvish"]).stdout;
    let f = file_with(&elv_fail);
    let out = Command::new("elvish")
        .args(["-norc", "-c", "eval (slurp < $args[0]); echo reached"])
        .arg(f.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{elv_fail}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("reached"));
}
