//! Hostile values through the real `awsrole env` binary: every value it
//! prints (access key id, secret key and session token from a cache file or
//! the config, the region and the profile name from the config, the
//! expiration) round-trips byte for byte through real bash, zsh (also with
//! rc_quotes), fish and dash, each running awsrole itself as users do, and
//! through the PowerShell grammar as the intended literal. A value no
//! environment variable can hold (NUL) is an error naming the variable,
//! with an empty stdout.

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};

use common::stress::{report, scaled};
use common::{TestHome, arn, key_of, run, unique};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ---------------------------------------------------------------- values

fn hostile_char() -> impl Strategy<Value = char> {
    let specials: Vec<char> =
        "'\"\u{2018}\u{2019}\u{201a}\u{201b}$`\\%!#~*{}()[];&|<>-= \n\r\t^?@,:/\u{7}\u{8}\u{1b}\u{7f}\u{85}\u{a0}\u{2028}\u{feff}\u{1f600}"
            .chars()
            .collect();
    prop_oneof![
        5 => prop::sample::select(specials),
        2 => (1u8..=0x7f).prop_map(char::from),
        1 => any::<char>().prop_filter("NUL is tested apart", |c| *c != '\0'),
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    let fragments = vec![
        "'\\''",
        "''",
        "$(id)",
        "`id`",
        "${HOME}",
        "%PATH%",
        "!!",
        "\r\n",
        "' + [char]10 + '",
        "'; echo pwned; '",
        "\\'",
        "-e",
    ];
    let part = prop_oneof![
        3 => hostile_char().prop_map(String::from),
        1 => prop::sample::select(fragments).prop_map(String::from),
    ];
    prop::collection::vec(part, 1..14).prop_map(|p| p.concat())
}

/// What `key = VALUE` in a config file carries unchanged: one line, no NUL,
/// no surrounding spaces/tabs, no ` #` / ` ;` comment. Checked with
/// awsrole's own parser, so the test never blames the shell layer for a
/// value the file format cannot hold.
fn config_value() -> impl Strategy<Value = String> {
    hostile_string()
        .prop_map(|v| {
            let mut v: String = v.chars().filter(|c| !matches!(c, '\n' | '\r')).collect();
            for (from, to) in [(" #", " _"), ("\t#", "\t_"), (" ;", " _"), ("\t;", "\t_")] {
                while v.contains(from) {
                    v = v.replace(from, to);
                }
            }
            let v = v.trim_matches([' ', '\t']).trim_start_matches(['#', ';']);
            let v = v.trim_matches([' ', '\t']);
            if v.is_empty() {
                "x".to_string()
            } else {
                v.to_string()
            }
        })
        .prop_filter("the config file carries it unchanged", |v| {
            awsrole::profile_file::parse_config(&format!("[profile p]\nregion = {v}\n"))
                .ok()
                .and_then(|s| {
                    s.profiles
                        .get("p")
                        .and_then(|p| p.get("region"))
                        .map(str::to_string)
                })
                .as_deref()
                == Some(v.as_str())
        })
}

/// Profile names: what the config format allows (`- / . % @ _ : +` and
/// alphanumerics), with a leading `-` now and then.
fn profile_name() -> impl Strategy<Value = String> {
    "-?[A-Za-z0-9/.%@_:+-]{1,12}"
}

#[derive(Clone, Debug)]
struct Case {
    role_name: String,
    region: String,
    key_id: String,
    secret: String,
    token: String,
    static_name: String,
    static_region: String,
    static_key_id: String,
    static_secret: String,
    static_token: String,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            profile_name(),
            config_value(),
            hostile_string(),
            hostile_string(),
            hostile_string(),
        ),
        (
            profile_name(),
            config_value(),
            config_value(),
            config_value(),
            config_value(),
        ),
    )
        .prop_filter("two different profiles", |(a, b)| a.0 != b.0)
        .prop_map(|(r, s)| Case {
            role_name: r.0,
            region: r.1,
            key_id: r.2,
            secret: r.3,
            token: r.4,
            static_name: s.0,
            static_region: s.1,
            static_key_id: s.2,
            static_secret: s.3,
            static_token: s.4,
        })
}

const EXPIRATION: &str = "2099-01-02T03:04:05Z";
const EXPIRATION_UNIX: &str = "4071006245";
const NEXT_UNIX: &str = "4071005646";

fn cache_body(key_id: &str, secret: &str, token: &str) -> String {
    serde_json::json!({"Credentials": {
        "AccessKeyId": key_id, "SecretAccessKey": secret,
        "SessionToken": token, "Expiration": EXPIRATION}})
    .to_string()
}

/// A home with the role profile (its credentials in a cache entry) and the
/// static profile (its keys in the config file).
fn home_for(c: &Case) -> TestHome {
    let home = TestHome::new();
    let role = arn(&unique("values"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDVALUES\naws_secret_access_key = hardening-values-source\n\
         [profile {}]\nrole_arn = {role}\nsource_profile = base\nregion = {}\n\
         [profile {}]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\nregion = {}\n",
        c.role_name, c.region, c.static_name, c.static_key_id, c.static_secret, c.static_token,
        c.static_region
    ));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::write(
        home.cache_dir().join(format!("{}.json", key_of(&role))),
        cache_body(&c.key_id, &c.secret, &c.token),
    )
    .unwrap();
    home
}

/// What the environment must hold after evaluating `env` for each profile.
fn expected(c: &Case) -> [Vec<(&'static str, Option<String>)>; 2] {
    let s = |v: &str| Some(v.to_string());
    [
        vec![
            ("AWS_ACCESS_KEY_ID", s(&c.key_id)),
            ("AWS_SECRET_ACCESS_KEY", s(&c.secret)),
            ("AWS_SESSION_TOKEN", s(&c.token)),
            ("AWS_CREDENTIAL_EXPIRATION", s(EXPIRATION)),
            ("AWS_REGION", s(&c.region)),
            ("AWS_DEFAULT_REGION", s(&c.region)),
            ("AWSROLE_REGION", s(&c.region)),
            ("AWSROLE_PROFILE", s(&c.role_name)),
            ("AWSROLE_EXPIRATION", s(EXPIRATION_UNIX)),
            // The default window: 10 minutes before.
            ("AWSROLE_NEXT", s(NEXT_UNIX)),
        ],
        vec![
            ("AWS_ACCESS_KEY_ID", s(&c.static_key_id)),
            ("AWS_SECRET_ACCESS_KEY", s(&c.static_secret)),
            ("AWS_SESSION_TOKEN", s(&c.static_token)),
            ("AWS_CREDENTIAL_EXPIRATION", None),
            ("AWS_REGION", s(&c.static_region)),
            ("AWS_DEFAULT_REGION", s(&c.static_region)),
            ("AWSROLE_REGION", s(&c.static_region)),
            ("AWSROLE_PROFILE", s(&c.static_name)),
            ("AWSROLE_EXPIRATION", None),
            ("AWSROLE_NEXT", None),
        ],
    ]
}

// ---------------------------------------------------------------- shells

#[derive(Clone, Copy, Debug)]
enum Sh {
    Bash,
    Zsh,
    ZshRcQuotes,
    Fish,
    Dash,
    Elvish,
    /// `awsrole env --format json | from json | load-env`
    NuJson,
    /// `awsrole env --shell nu` saved to a file, then `source`d
    Nu,
}

const SHELLS: [Sh; 8] = [
    Sh::Bash,
    Sh::Zsh,
    Sh::ZshRcQuotes,
    Sh::Fish,
    Sh::Dash,
    Sh::Elvish,
    Sh::NuJson,
    Sh::Nu,
];

/// The shell runs awsrole itself, as users do, once per profile given as
/// an argument, and dumps its environment after each (NUL-separated, then a
/// `--next--` entry).
fn shell_command(sh: Sh, home: &TestHome, profiles: &[&str]) -> Command {
    let posix = r#"for p in "$@"; do out=$("$AWSROLE" env --shell SHELL -- "$p") || exit 9; eval "$out"; env -0; printf '%s\0' --next--; done"#;
    let nu = common::peers::nu_bin();
    let (program, args, shell_flag): (&str, Vec<&str>, &str) = match sh {
        Sh::Elvish => ("elvish", vec!["-norc", "-c"], "elvish"),
        Sh::NuJson | Sh::Nu => (nu.to_str().unwrap(), vec!["-n", "--no-std-lib", "-c"], "nu"),
        Sh::Bash => ("bash", vec!["--norc", "--noprofile", "-c"], "bash"),
        Sh::Zsh => ("zsh", vec!["-f", "-c"], "zsh"),
        Sh::ZshRcQuotes => ("zsh", vec!["-f", "-o", "rc_quotes", "-c"], "zsh"),
        Sh::Dash => ("dash", vec!["-c"], "sh"),
        Sh::Fish => ("fish", vec!["--no-config", "-c"], "fish"),
    };
    // nushell parses a `source`d file before running anything, so each
    // profile's output is saved by one nu and sourced by the next, which
    // dumps its environment; the second runs in the first one's environment.
    let nu_source = r#"let f = $env.AWSROLE_DIR | path join $"awsrole-($env.AWSROLE_STEP).nu"; ^$env.AWSROLE env --shell nu -- $env.AWSROLE_P | save -f $f"#;
    let script = match sh {
        Sh::Elvish => "for p $args { eval ((external $E:AWSROLE) env --shell elvish -- $p | slurp); e:env -0; e:printf '%s\\0' --next-- }".to_string(),
        Sh::NuJson => "for p in ($env.AWSROLE_PROFILES | from json) { ^$env.AWSROLE env --format json -- $p | from json | load-env; ^env -0; ^printf '%s\\0' --next-- }".to_string(),
        Sh::Nu => return nu_sourcing(home, profiles, nu_source),
        Sh::Fish => "for p in $argv; $AWSROLE env --shell fish -- $p | source; or exit 9; env -0; printf '%s\\0' --next--; end".to_string(),
        _ => posix.replace("SHELL", shell_flag),
    };
    let mut cmd = Command::new(program);
    cmd.args(args).arg(script);
    // $0 for the POSIX shells; for fish, the end of fish's own options (a
    // profile may start with `-`).
    match sh {
        Sh::Fish => {
            cmd.arg("--");
        }
        Sh::Elvish | Sh::NuJson => {}
        _ => {
            cmd.arg("sh");
        }
    }
    if !matches!(sh, Sh::NuJson) {
        cmd.args(profiles);
    }
    cmd.env_clear()
        .envs(home.clean_env())
        .env("AWSROLE_PROFILES", serde_json::to_string(profiles).unwrap())
        .env("AWSROLE", common::awsrole_bin())
        // Any STS call would fail loudly: every value must come from files.
        .env("AWS_ENDPOINT_URL_STS", common::DEAD_PROXY)
        .current_dir(home.path())
        .stdin(Stdio::null());
    cmd
}

/// For [`Sh::Nu`]: a bash that, per profile, has nu save `awsrole env
/// --shell nu` to a file, then one nu sources them all in turn, dumping its
/// environment after each.
fn nu_sourcing(home: &TestHome, profiles: &[&str], save: &str) -> Command {
    let dir = home.path().join("nu-out");
    std::fs::create_dir_all(&dir).unwrap();
    let nu = common::peers::nu_bin();
    let mut sourcing = String::new();
    let mut saving = String::from("set -e\n");
    for (i, p) in profiles.iter().enumerate() {
        let f = dir.join(format!("awsrole-{i}.nu"));
        let _ = std::fs::remove_file(&f);
        sourcing += &format!(
            "source '{}'; ^env -0; ^printf '%s\\0' --next--; ",
            f.display()
        );
        let quoted = p.replace('\'', "'\\''");
        saving += &format!(
            "AWSROLE_STEP={i} AWSROLE_P='{quoted}' \"$NU\" -n --no-std-lib -c '{}' || exit 9\n",
            save.replace('\'', "'\\''")
        );
    }
    saving += "exec \"$NU\" -n --no-std-lib -c \"$1\"\n";
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-c", &saving, "bash", &sourcing])
        .env_clear()
        .envs(home.clean_env())
        .env("NU", nu)
        .env("AWSROLE", common::awsrole_bin())
        .env("AWSROLE_DIR", &dir)
        .env("AWS_ENDPOINT_URL_STS", common::DEAD_PROXY)
        .current_dir(home.path())
        .stdin(Stdio::null());
    cmd
}

fn check_shells(c: &Case, home: &TestHome) -> Result<(), TestCaseError> {
    let want = expected(c);
    for sh in SHELLS {
        let out = shell_command(sh, home, &[&c.role_name, &c.static_name])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        common::capture::record(&format!("{sh:?} running awsrole env"), "", &stderr);
        prop_assert!(
            out.status.success() && stderr.is_empty(),
            "{:?} failed ({}): {}",
            sh,
            out.status,
            stderr
        );
        let mut envs: Vec<HashMap<Vec<u8>, Vec<u8>>> = vec![HashMap::new()];
        for entry in out.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            if entry == b"--next--" {
                envs.push(HashMap::new());
                continue;
            }
            if let Some(eq) = entry.iter().position(|b| *b == b'=') {
                envs.last_mut()
                    .unwrap()
                    .insert(entry[..eq].to_vec(), entry[eq + 1..].to_vec());
            }
        }
        prop_assert_eq!(envs.len(), 3, "{:?}: two dumps expected", sh);
        for (env, want) in envs.iter().zip(want.iter()) {
            for (name, value) in want {
                let got = env
                    .get(name.as_bytes())
                    .map(|v| String::from_utf8_lossy(v).into_owned());
                prop_assert_eq!(&got, value, "{:?}: {}", sh, name);
                if let Some(v) = value {
                    prop_assert_eq!(env.get(name.as_bytes()).unwrap().as_slice(), v.as_bytes());
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- PowerShell

fn ps_check(statements: &str) -> Result<serde_json::Value, String> {
    common::python_checker("ps_check.py", statements)
}

fn check_powershell(c: &Case, home: &TestHome) -> Result<(), TestCaseError> {
    let mut script = String::new();
    let mut want = Vec::new();
    for (name, expected) in [&c.role_name, &c.static_name].into_iter().zip(expected(c)) {
        let out = run(home
            .cmd()
            .args(["env", "--shell", "powershell", "--"])
            .arg(name)
            .env("AWS_ENDPOINT_URL_STS", common::DEAD_PROXY));
        prop_assert!(out.success() && out.stderr.is_empty(), "{:?}", out);
        for line in out.stdout.lines() {
            prop_assert!(line.is_ascii(), "{:?}", line);
        }
        script += &out.stdout;
        for (var, value) in expected {
            want.push(match value {
                Some(v) => serde_json::json!({"op": "set", "name": var, "value": v}),
                None => serde_json::json!({"op": "unset", "name": var}),
            });
        }
    }
    let got = ps_check(&script).map_err(|e| TestCaseError::fail(format!("{e}\n{script}")))?;
    prop_assert_eq!(got, serde_json::Value::Array(want));
    Ok(())
}

#[test]
fn every_printed_value_round_trips_through_real_shells_and_the_powershell_grammar() {
    let cases = scaled(32, 500);
    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: cases as u32,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    });
    runner
        .run(&case(), |c| {
            let home = home_for(&c);
            check_shells(&c, &home)?;
            check_powershell(&c, &home)?;
            Ok(())
        })
        .unwrap();
    report(
        "values",
        &format!(
            "{cases} cases (2 profiles each, 18 printed values per case) through `awsrole env` run by real bash, zsh, zsh+rc_quotes, fish, dash (byte-exact) and the PowerShell grammar (exact literal): all round-tripped ({:.0}s)",
            started.elapsed().as_secs_f64()
        ),
    );
}

#[test]
fn nul_in_a_cached_value_is_an_error_not_a_truncated_export() {
    let home = TestHome::new();
    let role = arn(&unique("nul"));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDNUL\naws_secret_access_key = hardening-nul-source\n\
         [profile r]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    let entry = home.cache_dir().join(format!("{}.json", key_of(&role)));
    for (var, body) in [
        (
            "AWS_SECRET_ACCESS_KEY",
            cache_body("ASIANUL", "secret-head\0secret-tail", "token-value"),
        ),
        (
            "AWS_SESSION_TOKEN",
            cache_body("ASIANUL", "secret-value", "token-head\0token-tail"),
        ),
        (
            "AWS_ACCESS_KEY_ID",
            cache_body("ASIA\0NUL", "secret-value", "token-value"),
        ),
    ] {
        std::fs::write(&entry, &body).unwrap();
        for shell in ["bash", "zsh", "fish", "sh", "powershell"] {
            let out = run(home
                .cmd()
                .args(["env", "r", "--shell", shell])
                .env("AWS_ENDPOINT_URL_STS", common::DEAD_PROXY));
            assert_eq!(out.code, 1, "{shell} {var}: {out:#?}");
            let fails = match shell {
                "fish" => "builtin false\n",
                "powershell" => "",
                _ => "(exit 1)\n",
            };
            assert_eq!(out.stdout, fails, "never a truncated export");
            assert!(out.stderr.contains(var), "{out:#?}");
            assert!(out.stderr.contains("NUL"), "{out:#?}");
            for part in ["secret-head", "secret-tail", "token-head", "token-tail"] {
                assert!(!out.stderr.contains(part), "value on stderr: {out:#?}");
            }
        }
    }
}
