//! Round-trips adversarial values through real shells (bash, zsh with and
//! without rc_quotes, fish, dash) and through a strict PowerShell grammar
//! checker. Missing peers are a failure, never a skip.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use awsrole::shell::{Format, Shell, ShellKind, detect, from_process_name};
use clap::ValueEnum;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const BATCH: usize = 64;

fn cases() -> u32 {
    match std::env::var("AWSROLE_PROPTEST_CASES") {
        Ok(v) => v.parse().expect("AWSROLE_PROPTEST_CASES must be a number"),
        Err(_) => 64,
    }
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        // Keep the repository clean; failures print the minimal input.
        failure_persistence: None,
        ..Config::default()
    })
}

// ---------------------------------------------------------------- values

fn adversarial_char() -> impl Strategy<Value = char> {
    let specials: Vec<char> =
        "'\"\u{2018}\u{2019}\u{201a}\u{201b}$`\\%!#~*{}()[];&|<>-= \n\r\t^?@,:/"
            .chars()
            .collect();
    let unicode = vec![
        '\u{7f}',
        '\u{80}',
        '\u{83}',
        '\u{85}',
        '\u{9b}',
        '\u{a0}',
        'é',
        'ё',
        '\u{2028}',
        '\u{2029}',
        '\u{feff}',
        '\u{f600}',
        '\u{f6ff}',
        '\u{fdd0}',
        '\u{fffd}',
        '\u{ffff}',
        '\u{1f600}',
        '\u{10ffff}',
    ];
    prop_oneof![
        4 => prop::sample::select(specials),
        2 => (1u8..=0x7f).prop_map(char::from),
        1 => prop::sample::select(unicode),
        1 => any::<char>().prop_filter("NUL is unrepresentable", |c| *c != '\0'),
    ]
}

fn adversarial_value() -> impl Strategy<Value = String> {
    let fragments = vec![
        "'\\''",
        "''",
        "'''",
        "\\'",
        "$(id)",
        "`id`",
        "${HOME}",
        "$HOME",
        "'$'",
        "\r\n",
        "\\\\'",
        "' + [char]10 + '",
        "'; echo pwned; '",
        "--",
        "-e",
        "~root",
        "!!",
        "*",
        "%PATH%",
        "\\n",
    ];
    let fragment = prop_oneof![
        3 => adversarial_char().prop_map(String::from),
        1 => prop::sample::select(fragments).prop_map(String::from),
    ];
    prop::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
}

fn batch() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(adversarial_value(), BATCH)
}

/// Hand-picked values, checked on every run regardless of randomness.
fn fixed_corpus() -> Vec<String> {
    [
        "",
        "'",
        "''",
        "a''b",
        "'a'",
        "a'b$c\nd",
        "\\",
        "\\'",
        "a\\",
        "-e",
        "-",
        "--help",
        "$(echo pwned)",
        "`echo pwned`",
        "\n",
        "\r",
        "\r\n",
        "trailing\n\n",
        "\t\x0b\x0c\x1b[31m\x7f",
        "\u{2018}\u{2019}\u{201a}\u{201b}",
        "'\u{2018}'",
        "😀\u{10ffff}",
        "\u{feff}\u{85}\u{2028}",
        "\u{f600}\u{fdd0}\u{ffff}",
        "%PATH% !! ~ * {a,b} #x",
        "AKIA/wJalrXUtnFEMI+K7MDENG==",
        "#",
        "'#",
        "x'#}; print pwned",
        "\\u{41}\\(x)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

// ---------------------------------------------------------------- real shells

#[derive(Clone, Copy, Debug)]
enum Runner {
    Bash,
    BashCLocale,
    Zsh,
    ZshRcQuotes,
    ZshCLocale,
    Fish,
    Dash,
    Nushell,
    Elvish,
}

const RUNNERS: [Runner; 9] = [
    Runner::Bash,
    Runner::BashCLocale,
    Runner::Zsh,
    Runner::ZshRcQuotes,
    Runner::ZshCLocale,
    Runner::Fish,
    Runner::Dash,
    Runner::Nushell,
    Runner::Elvish,
];

impl Runner {
    fn kind(self) -> ShellKind {
        match self {
            Runner::Bash | Runner::BashCLocale => ShellKind::Bash,
            Runner::Zsh | Runner::ZshRcQuotes | Runner::ZshCLocale => ShellKind::Zsh,
            Runner::Fish => ShellKind::Fish,
            Runner::Dash => ShellKind::Posix,
            Runner::Nushell => ShellKind::Nushell,
            Runner::Elvish => ShellKind::Elvish,
        }
    }

    /// Evaluates the file the way users do, then dumps the exported
    /// environment NUL-separated (what child processes will really see).
    fn command(self, script: &std::path::Path) -> Command {
        let eval = r#"eval "$(cat "$1")"; env -0"#;
        // nushell cannot eval text: `source` takes a path known when parsing.
        let nu_source = format!("source '{}'; ^env -0", script.display());
        let nu = common::peers::nu_bin();
        let (program, args): (&str, Vec<&str>) = match self {
            Runner::Nushell => (
                nu.to_str().unwrap(),
                vec!["-n", "--no-std-lib", "-c", &nu_source],
            ),
            Runner::Elvish => (
                "elvish",
                vec!["-norc", "-c", "eval (slurp < $args[0]); env -0"],
            ),
            Runner::Bash | Runner::BashCLocale => {
                ("bash", vec!["--norc", "--noprofile", "-c", eval])
            }
            Runner::Zsh | Runner::ZshCLocale => ("zsh", vec!["-f", "-c", eval]),
            Runner::ZshRcQuotes => (
                "zsh",
                vec![
                    "-f",
                    "-c",
                    r#"setopt rc_quotes; eval "$(cat "$1")"; env -0"#,
                ],
            ),
            Runner::Fish => ("fish", vec!["--no-config", "-c", "source $argv[1]; env -0"]),
            Runner::Dash => ("dash", vec!["-c", eval]),
        };
        let mut cmd = Command::new(program);
        cmd.args(args);
        match self {
            Runner::Fish | Runner::Elvish => {
                cmd.arg(script);
            }
            Runner::Nushell => {}
            _ => {
                cmd.arg("sh").arg(script); // $0
            }
        }
        let locale = match self {
            Runner::BashCLocale | Runner::ZshCLocale => "C",
            _ => "C.UTF-8",
        };
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("LC_ALL", locale);
        cmd
    }
}

fn require_shell(program: &str) {
    let ok = Command::new(program)
        .args(["-c", "exit 0"])
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{program} is required for these tests (apt-get install -y zsh fish dash); refusing to skip"
    );
}

/// Runs one batch through one shell; returns the exported environment.
fn run_in_shell(runner: Runner, script: &str) -> HashMap<String, Vec<u8>> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(script.as_bytes()).unwrap();
    let out = runner.command(file.path()).output().unwrap_or_else(|e| {
        panic!("{runner:?}: cannot start shell: {e}");
    });
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{runner:?} failed ({}): {}\nscript:\n{script}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let eq = entry.iter().position(|b| *b == b'=').unwrap();
            let name = String::from_utf8(entry[..eq].to_vec()).unwrap();
            (name, entry[eq + 1..].to_vec())
        })
        .collect()
}

fn script_for(shell: &dyn Shell, values: &[String]) -> String {
    let mut script = String::new();
    for (i, v) in values.iter().enumerate() {
        script += &shell.export(&format!("V{i}"), v).unwrap();
    }
    // unset must remove a variable we set, and be quiet for one never set.
    script += &shell.export("GONE", "set before unset").unwrap();
    script += &shell.unset("GONE");
    script += &shell.unset("NEVER_SET");
    // The whole output as `env` prints it (one statement for nushell).
    let names: Vec<String> = (0..values.len()).map(|i| format!("W{i}")).collect();
    let mut vars: Vec<(&str, Option<&str>)> = names
        .iter()
        .zip(values)
        .map(|(n, v)| (n.as_str(), Some(v.as_str())))
        .collect();
    vars.push(("NEVER_SET", None));
    script += &shell.render(&vars).unwrap();
    script
}

fn check_round_trip(runner: Runner, values: &[String]) -> Result<(), TestCaseError> {
    let shell = runner.kind().shell();
    let script = script_for(shell, values);
    let env = run_in_shell(runner, &script);
    for (i, want) in values.iter().enumerate() {
        let got = env.get(&format!("V{i}"));
        prop_assert_eq!(
            got.map(|b| String::from_utf8_lossy(b).into_owned()),
            Some(want.clone()),
            "{:?} V{}: statement {:?}",
            runner,
            i,
            shell.export("V", want).unwrap()
        );
        prop_assert_eq!(got.unwrap().as_slice(), want.as_bytes());
        let rendered = env.get(&format!("W{i}")).map(Vec::as_slice);
        prop_assert_eq!(rendered, Some(want.as_bytes()), "{:?} W{}", runner, i);
    }
    prop_assert!(
        !env.contains_key("GONE"),
        "{:?}: unset left GONE set",
        runner
    );
    prop_assert!(!env.contains_key("NEVER_SET"));
    Ok(())
}

#[test]
fn fixed_corpus_round_trips_in_real_shells() {
    for runner in RUNNERS {
        check_round_trip(runner, &fixed_corpus()).unwrap();
    }
}

#[test]
fn adversarial_values_round_trip_in_real_shells() {
    for program in ["bash", "zsh", "fish", "dash", "elvish"] {
        require_shell(program);
    }
    runner()
        .run(&batch(), |values| {
            for runner in RUNNERS {
                check_round_trip(runner, &values)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn unset_removes_variable_in_real_shells() {
    for runner in RUNNERS {
        let shell = runner.kind().shell();
        let script = shell.export("KEEP", "k").unwrap()
            + &shell.export("DROP", "d").unwrap()
            + &shell.unset("DROP");
        let env = run_in_shell(runner, &script);
        assert_eq!(
            env.get("KEEP").map(Vec::as_slice),
            Some(&b"k"[..]),
            "{runner:?}"
        );
        assert!(!env.contains_key("DROP"), "{runner:?}");
    }
}

#[test]
fn nul_is_an_error_naming_the_variable_not_the_value() {
    let formats = Format::value_variants().iter().map(|f| f.shell());
    for shell in ShellKind::value_variants()
        .iter()
        .map(|k| k.shell())
        .chain(formats)
    {
        let err = shell
            .export("AWS_SECRET_ACCESS_KEY", "s3cr3t\0tail")
            .unwrap_err();
        assert_eq!(err.name, "AWS_SECRET_ACCESS_KEY");
        let shown = format!("{err} / {err:?}");
        assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("tail"),
            "{shown}"
        );
    }
}

// ---------------------------------------------------------------- PowerShell

/// Runs tests/common/checkers/ps_check.py; Ok(json) or Err(stderr).
fn ps_check(statements: &str) -> Result<serde_json::Value, String> {
    common::python_checker("ps_check.py", statements)
}

fn check_powershell(values: &[String]) -> Result<(), TestCaseError> {
    let ps = ShellKind::PowerShell.shell();
    let mut script = String::new();
    let mut expected = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let name = format!("V{i}");
        let stmt = ps.export(&name, v).unwrap();
        // Invoke-Expression receives each output line separately.
        prop_assert!(
            stmt.ends_with('\n') && stmt.matches('\n').count() == 1,
            "{:?}",
            stmt
        );
        prop_assert!(stmt.is_ascii(), "{:?}", stmt);
        script += &stmt;
        expected.push(serde_json::json!({"op": "set", "name": name, "value": v}));
    }
    let unset = ps.unset("GONE");
    prop_assert_eq!(unset.matches('\n').count(), 1);
    script += &unset;
    expected.push(serde_json::json!({"op": "unset", "name": "GONE"}));

    let got = ps_check(&script).map_err(|e| TestCaseError::fail(format!("{e}\n{script}")))?;
    prop_assert_eq!(got, serde_json::Value::Array(expected));
    Ok(())
}

#[test]
fn fixed_corpus_parses_and_evaluates_in_powershell_grammar() {
    check_powershell(&fixed_corpus()).unwrap();
}

#[test]
fn adversarial_values_parse_and_evaluate_in_powershell_grammar() {
    runner()
        .run(&batch(), |values| check_powershell(&values))
        .unwrap();
}

#[test]
fn powershell_checker_accepts_valid_and_rejects_broken_statements() {
    let good = "$Env:A = 'it''s' + [char]10 + 'x'\n\
                $Env:B = '\u{2018}\u{2018}\u{201b}\u{201b}'\n\
                Remove-Item -ErrorAction SilentlyContinue Env:A\n";
    let got = ps_check(good).expect("valid statements rejected");
    assert_eq!(
        got,
        serde_json::json!([
            {"op": "set", "name": "A", "value": "it's\nx"},
            {"op": "set", "name": "B", "value": "\u{2018}\u{201b}"},
            {"op": "unset", "name": "A"},
        ])
    );

    for bad in [
        "$Env:A = 'it's'\n",           // undoubled quote
        "$Env:A = 'it\u{2019}s'\n",    // undoubled typographic quote
        "$Env:A = 'a\n",               // value split across lines
        "$Env:A = 'a\rb'\n",           // CR splits Invoke-Expression input
        "$Env:A = [char]10 + 'a'\n",   // numeric addition
        "$Env:A = \"$(calc)\"\n",      // expandable string
        "$Env:A = 'a'; calc\n",        // second statement
        "$Env:A = 'a' + (calc)\n",     // subexpression
        "$Env:A = '' + [char]55357\n", // lone surrogate
        "$Env:A = 'a'",                // no final newline
        "Remove-Item Env:A\n",         // would error when unset
        "Remove-Item -ErrorAction SilentlyContinue Env:A; calc\n",
    ] {
        assert!(ps_check(bad).is_err(), "checker accepted {bad:?}");
    }
}

// ---------------------------------------------------------------- detect

const DETECT_CHILD: &str = "AWSROLE_TEST_DETECT_CHILD";

/// Only does something when re-run by `detect_picks_the_parent_shell`.
#[test]
fn detect_child() {
    if let Ok(fake_shell) = std::env::var(DETECT_CHILD) {
        // A misleading $SHELL: the parent process must win.
        let kind = detect(&|k| (k == "SHELL").then(|| fake_shell.clone()));
        println!("DETECTED={}", kind.name());
    }
}

#[test]
fn detect_picks_the_parent_shell() {
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    // `; true` stops the shell from exec-ing the child in its own place.
    let cmd = format!("'{exe}' --exact detect_child --nocapture --test-threads=1; true");
    for (program, args, want) in [
        ("bash", vec!["--norc", "-c"], ShellKind::Bash),
        ("zsh", vec!["-f", "-c"], ShellKind::Zsh),
        ("fish", vec!["--no-config", "-c"], ShellKind::Fish),
        ("dash", vec!["-c"], ShellKind::Posix),
        ("sh", vec!["-c"], ShellKind::Posix),
        ("elvish", vec!["-norc", "-c"], ShellKind::Elvish),
    ] {
        let fake_shell = if want == ShellKind::Fish {
            "/bin/zsh"
        } else {
            "/usr/bin/fish"
        };
        let out = Command::new(program)
            .args(args)
            .arg(&cmd)
            .env(DETECT_CHILD, fake_shell)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = format!("DETECTED={}\n", want.name());
        assert!(stdout.contains(&line), "{program}: {stdout}");
    }
    // nushell runs an external with `^`; `null` after it keeps nu the parent.
    let nu_cmd = format!("^'{exe}' --exact detect_child --nocapture --test-threads=1; null");
    let out = Command::new(common::peers::nu_bin())
        .args(["-n", "--no-std-lib", "-c", &nu_cmd])
        .env(DETECT_CHILD, "/usr/bin/fish")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DETECTED=nu\n"), "nu: {stdout}");
}

#[test]
fn process_names() {
    assert_eq!(from_process_name("-zsh"), Some(ShellKind::Zsh));
    assert_eq!(from_process_name("dash"), Some(ShellKind::Posix));
    assert_eq!(from_process_name("cargo"), None);
}

// ---------------------------------------------------------------- cmd.exe

/// Runs tests/common/checkers/cmd_check.py; Ok(json) or Err(stderr).
fn cmd_check(batch: &str) -> Result<serde_json::Value, String> {
    common::python_checker("cmd_check.py", batch)
}

/// What awsrole writes for cmd: a non-empty value of printable ASCII (cmd
/// reads a batch file in the console's code page, so nothing else arrives
/// unchanged).
fn cmd_holdable(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| (' '..='~').contains(&c))
}

/// cmd holds any value but the empty one and those with control characters
/// or non-ASCII; for those, `export` must refuse, naming the variable.
fn check_cmd(values: &[String]) -> Result<(), TestCaseError> {
    let cmd = ShellKind::Cmd.shell();
    let mut script = String::new();
    let mut expected = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let name = format!("V{i}");
        let holdable = cmd_holdable(v);
        match cmd.export(&name, v) {
            Ok(stmt) => {
                prop_assert!(holdable, "{:?} accepted as {:?}", v, stmt);
                script += &stmt;
                expected.push(serde_json::json!({"op": "set", "name": name, "value": v}));
            }
            Err(e) => {
                prop_assert!(!holdable, "{:?} refused: {}", v, e);
                prop_assert_eq!(e.name, name);
            }
        }
    }
    script += &cmd.render(&[("GONE", None)]).unwrap();
    expected.push(serde_json::json!({"op": "unset", "name": "GONE"}));
    expected.push(serde_json::json!({"op": "status", "value": 0}));
    let got = cmd_check(&script).map_err(|e| TestCaseError::fail(format!("{e}\n{script}")))?;
    prop_assert_eq!(got, serde_json::Value::Array(expected));
    Ok(())
}

#[test]
fn fixed_corpus_parses_in_the_cmd_grammar() {
    check_cmd(&fixed_corpus()).unwrap();
}

#[test]
fn adversarial_values_parse_in_the_cmd_grammar() {
    runner().run(&batch(), |values| check_cmd(&values)).unwrap();
}

/// The same values through Wine's real cmd.exe: the batch file is `call`ed
/// and `set` lists what cmd then holds (read back as UTF-16); every value
/// comes back exactly, the removed variable is gone and ERRORLEVEL is 0.
fn check_cmd_in_wine(values: &[String]) -> Result<(), TestCaseError> {
    let cmd = ShellKind::Cmd.shell();
    let mut script = String::new();
    let mut expected = HashMap::new();
    for (i, v) in values.iter().enumerate() {
        // The `_` ends the name: `set` lists by prefix, cmd's names ignore case.
        let name = format!("AWSROLE_V{i}_");
        match cmd.export(&name, v) {
            Ok(stmt) => {
                prop_assert!(cmd_holdable(v), "{:?} accepted as {:?}", v, stmt);
                script += &stmt;
                expected.insert(name, v.clone());
            }
            Err(e) => {
                prop_assert!(!cmd_holdable(v), "{:?} refused: {}", v, e);
                prop_assert_eq!(&e.name, &name);
                prop_assert!(e.to_string().contains(&name));
            }
        }
    }
    script += &cmd.render(&[("AWSROLE_GONE", None)]).unwrap();
    let got = common::wine::cmd_call(&script, &[("AWSROLE_GONE", "x")]);
    let ours: HashMap<String, String> = got
        .vars
        .iter()
        .filter(|(k, _)| k.starts_with("AWSROLE_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    prop_assert_eq!(
        ours,
        expected,
        "batch:\n{}\ncmd said:\n{}",
        script,
        got.stdout
    );
    prop_assert_eq!(got.errorlevel, 0);
    Ok(())
}

#[test]
fn fixed_corpus_round_trips_in_wine_cmd() {
    check_cmd_in_wine(&fixed_corpus()).unwrap();
}

#[test]
fn adversarial_values_round_trip_in_wine_cmd() {
    runner()
        .run(&batch(), |values| check_cmd_in_wine(&values))
        .unwrap();
}

/// A failed `env`'s line leaves its status as the batch file's ERRORLEVEL
/// (cmd's exit status when run as `cmd /c FILE`), and a `call` of it fails.
/// Wine 8.0's `call` turns any non-zero level into 1 (Windows keeps it).
#[test]
fn a_failed_env_sets_errorlevel_in_wine_cmd() {
    let cmd = ShellKind::Cmd.shell();
    for status in [1u8, 3, 255] {
        let code = common::wine::cmd_status(&cmd.failure(status));
        assert_eq!(code, i32::from(status));
        let got = common::wine::cmd_call(&cmd.failure(status), &[]);
        assert_ne!(got.errorlevel, 0, "{}", got.stdout);
    }
}

#[test]
fn cmd_checker_accepts_valid_and_rejects_broken_lines() {
    let good = "set A=50%%^&^\"x^)\r\nset B=\r\ncmd /c exit 3\r\n";
    assert_eq!(
        cmd_check(good).expect("valid lines rejected"),
        serde_json::json!([
            {"op": "set", "name": "A", "value": "50%&\"x)"},
            {"op": "unset", "name": "B"},
            {"op": "status", "value": 3},
        ])
    );
    for bad in [
        "set A=50%\r\n",      // lone percent
        "set A=%PATH%\r\n",   // expansion
        "set A=a&calc\r\n",   // command separator
        "set A=a\"&calc\r\n", // quote starts quoting
        "set A=a>x\r\n",      // redirection
        "set A=a^\r\n",       // line continuation
        "set A=a\n",          // LF only
        "set A=a\rb\r\n",     // bare CR
        "echo x\r\n",         // another command
        "set \"A=x\"\r\n",    // quoted form is not emitted
        "exit /b 3\r\n",      // would close an interactive cmd
    ] {
        assert!(cmd_check(bad).is_err(), "checker accepted {bad:?}");
    }
}

// ---------------------------------------------------------------- formats

fn named(values: &[String]) -> Vec<(String, String)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("V{i}"), v.clone()))
        .collect()
}

/// JSON through serde_json, and through nushell's `from json | load-env`,
/// where null removes a variable.
fn check_json(values: &[String]) -> Result<(), TestCaseError> {
    let pairs = named(values);
    let mut vars: Vec<(&str, Option<&str>)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), Some(v.as_str())))
        .collect();
    vars.push(("GONE", None));
    let out = Format::Json.shell().render(&vars).unwrap();
    prop_assert_eq!(out.matches('\n').count(), 1);
    let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&out).unwrap();
    prop_assert_eq!(parsed.len(), pairs.len() + 1);
    for (n, v) in &pairs {
        prop_assert_eq!(parsed[n].as_str(), Some(v.as_str()));
    }
    prop_assert!(parsed["GONE"].is_null());

    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(out.as_bytes()).unwrap();
    let nu = format!(
        "open --raw '{}' | from json | load-env; ^env -0",
        file.path().display()
    );
    let run = Command::new(common::peers::nu_bin())
        .args(["-n", "--no-std-lib", "-c", &nu])
        .env("GONE", "set before")
        .output()
        .unwrap();
    prop_assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let env: HashMap<&[u8], &[u8]> = run
        .stdout
        .split(|b| *b == 0)
        .filter_map(|e| {
            e.iter()
                .position(|b| *b == b'=')
                .map(|i| (&e[..i], &e[i + 1..]))
        })
        .collect();
    for (n, v) in &pairs {
        prop_assert_eq!(env.get(n.as_bytes()).copied(), Some(v.as_bytes()), "{}", n);
    }
    prop_assert!(!env.contains_key(&b"GONE"[..]));
    Ok(())
}

/// docker's --env-file holds a value unless it has a line break.
fn check_dotenv(values: &[String]) -> Result<(), TestCaseError> {
    let dotenv = Format::Dotenv.shell();
    let mut file = String::new();
    let mut expected = serde_json::Map::new();
    for (n, v) in named(values) {
        match dotenv.export(&n, &v) {
            Ok(line) => {
                prop_assert!(!v.contains(['\n', '\r']), "{:?} accepted", v);
                file += &line;
                expected.insert(n, v.into());
            }
            Err(e) => {
                prop_assert!(v.contains(['\n', '\r']), "{:?} refused", v);
                prop_assert_eq!(e.name, n);
            }
        }
    }
    file += &dotenv.unset("GONE");
    let got = common::python_checker("dotenv_check.py", &file)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{file}")))?;
    prop_assert_eq!(got, serde_json::Value::Object(expected));
    Ok(())
}

/// $GITHUB_ENV as GitHub documents it: `NAME=value` lines, or `NAME<<DELIM`,
/// the value's lines, and a line `DELIM` (lines split at LF).
fn parse_github_env(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut lines = text.split('\n');
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.push((line[..e].to_owned(), line[e + 1..].to_owned()));
            }
            (_, Some(h)) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                let mut value = Vec::new();
                loop {
                    match lines.next() {
                        Some(l) if l == delimiter => break,
                        Some(l) => value.push(l),
                        None => return Err(format!("no closing {delimiter}")),
                    }
                }
                out.push((name.to_owned(), value.join("\n")));
            }
            _ => return Err(format!("bad line {line:?}")),
        }
    }
    Ok(out)
}

fn check_github(values: &[String]) -> Result<(), TestCaseError> {
    let pairs = named(values);
    let mut vars: Vec<(&str, Option<&str>)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), Some(v.as_str())))
        .collect();
    vars.push(("GONE", None));
    let text = Format::Github.shell().render(&vars).unwrap();
    let got = parse_github_env(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let mut want = pairs.clone();
    want.push(("GONE".into(), String::new()));
    prop_assert_eq!(got, want);
    Ok(())
}

#[test]
fn fixed_corpus_round_trips_through_every_format() {
    let values = fixed_corpus();
    check_json(&values).unwrap();
    check_dotenv(&values).unwrap();
    check_github(&values).unwrap();
}

#[test]
fn adversarial_values_round_trip_through_every_format() {
    runner()
        .run(&batch(), |values| {
            check_json(&values)?;
            check_dotenv(&values)?;
            check_github(&values)
        })
        .unwrap();
}

#[test]
fn github_parser_follows_the_documented_rules() {
    let text = "A=x<<y\nB<<EOF\nl1\nB=2\n\nEOF\nC=\n";
    assert_eq!(
        parse_github_env(text).unwrap(),
        [
            ("A".into(), "x<<y".into()),
            ("B".into(), "l1\nB=2\n".into()),
            ("C".into(), String::new())
        ]
    );
    assert!(parse_github_env("A<<EOF\nx\n").is_err());
}
