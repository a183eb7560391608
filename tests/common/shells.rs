//! Real shells (bash, zsh, fish, sh) evaluating awsrole's output the way users
//! do, and reading the variables back byte-exact.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use super::peers::test_path;
use super::sh_quote;

fn check_names(names: &[&str]) {
    for n in names {
        let ok = !n.is_empty()
            && !n.starts_with(|c: char| c.is_ascii_digit())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        assert!(ok, "not a shell variable name: {n:?}");
    }
}

fn shell_command(shell: &str, driver: &Path) -> Command {
    let mut cmd = Command::new(shell);
    match Path::new(shell).file_name().and_then(|s| s.to_str()) {
        Some("bash") => {
            cmd.args(["--norc", "--noprofile"]);
        }
        Some("zsh") => {
            cmd.arg("-f");
        }
        Some("fish") => {
            cmd.arg("--no-config");
        }
        _ => {}
    }
    cmd.arg(driver);
    cmd
}

fn is_fish(shell: &str) -> bool {
    Path::new(shell).file_name().and_then(|s| s.to_str()) == Some("fish")
}

/// Runs the driver, panics on a non-zero exit or any stderr output.
fn run_driver(shell: &str, script: &str, driver_body: &str) -> Vec<u8> {
    let dir = tempfile::Builder::new()
        .prefix("awsrole-shell-")
        .tempdir()
        .expect("temp dir for shell");
    let script_path = dir.path().join("script");
    std::fs::write(&script_path, script).expect("write script");
    let driver = dir.path().join("driver");
    let quoted = sh_quote(&script_path.to_string_lossy()); // fish reads '..' alike for our paths
    std::fs::write(&driver, driver_body.replace("@SCRIPT@", &quoted)).expect("write driver");
    let out = shell_command(shell, &driver)
        .env_clear()
        .env("PATH", test_path())
        .env("HOME", dir.path())
        .env("LANG", "C.UTF-8")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run shell {shell:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !stderr.is_empty() {
        panic!(
            "shell {shell} failed ({}) evaluating:\n---script---\n{script}\n---stderr---\n{stderr}\n---stdout---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
    }
    out.stdout
}

fn parse_marked(shell: &str, stdout: &[u8], names: &[&str]) -> HashMap<String, Option<String>> {
    let mut fields: Vec<&[u8]> = stdout.split(|&b| b == 0).collect();
    assert_eq!(
        fields.pop(),
        Some(&b""[..]),
        "{shell}: output not NUL-terminated: {:?}",
        String::from_utf8_lossy(stdout)
    );
    assert_eq!(
        fields.len(),
        names.len(),
        "{shell}: expected {} values, got {:?} (did the script exit?)",
        names.len(),
        String::from_utf8_lossy(stdout)
    );
    names
        .iter()
        .zip(fields)
        .map(|(name, f)| {
            let value = match f.split_first() {
                Some((b'S', v)) => Some(
                    String::from_utf8(v.to_vec())
                        .unwrap_or_else(|_| panic!("{shell}: ${name} is not UTF-8: {v:?}")),
                ),
                Some((b'U', _)) => None,
                Some((b'L', n)) => panic!(
                    "{shell}: ${name} is a fish list of {} elements, not one value",
                    String::from_utf8_lossy(n)
                ),
                _ => panic!("{shell}: bad marker for ${name}: {f:?}"),
            };
            (name.to_string(), value)
        })
        .collect()
}

/// Evaluates `script` in a real, non-interactive `shell` (`bash`, `zsh`, `sh`,
/// `fish`) with a clean env (PATH, HOME=<temp>, LANG=C.UTF-8) the way users do
/// (`eval "$(cat FILE)"`; fish: `source FILE`), then returns each named SHELL
/// variable byte-exact (`None` = unset). A fish variable must hold exactly one
/// element (zero elements reads as `Some("")`). Panics with the shell's stderr
/// if the shell fails or writes anything to stderr.
pub fn shell_eval(shell: &str, script: &str, names: &[&str]) -> HashMap<String, Option<String>> {
    check_names(names);
    let mut driver = String::new();
    if is_fish(shell) {
        driver.push_str("source @SCRIPT@\n");
        for n in names {
            driver.push_str(&format!(
                "if set -q {n}\n  if test (count ${n}) -le 1\n    printf 'S%s\\0' \"${n}\"\n  else\n    printf 'L%s\\0' (count ${n})\n  end\nelse\n  printf 'U\\0'\nend\n"
            ));
        }
    } else {
        driver.push_str("eval \"$(cat @SCRIPT@)\"\n");
        for n in names {
            driver.push_str(&format!(
                "if [ \"${{{n}+set}}\" = set ]; then printf 'S%s\\0' \"${n}\"; else printf 'U\\0'; fi\n"
            ));
        }
    }
    driver.push_str("exit 0\n");
    let out = run_driver(shell, script, &driver);
    parse_marked(shell, &out, names)
}

/// Like [`shell_eval`], but returns what a CHILD process of the shell sees: the
/// exported environment after the eval (`None` = not exported / unset).
pub fn shell_eval_exported(
    shell: &str,
    script: &str,
    names: &[&str],
) -> HashMap<String, Option<String>> {
    check_names(names);
    let source = if is_fish(shell) {
        "source @SCRIPT@\n"
    } else {
        "eval \"$(cat @SCRIPT@)\"\n"
    };
    let driver = format!("{source}env -0\nexit 0\n");
    let out = run_driver(shell, script, &driver);
    let mut env: HashMap<&[u8], &[u8]> = HashMap::new();
    for entry in out.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        if let Some(eq) = entry.iter().position(|&b| b == b'=') {
            env.insert(&entry[..eq], &entry[eq + 1..]);
        }
    }
    names
        .iter()
        .map(|n| {
            let v = env.get(n.as_bytes()).map(|v| {
                String::from_utf8(v.to_vec())
                    .unwrap_or_else(|_| panic!("{shell}: exported {n} is not UTF-8: {v:?}"))
            });
            (n.to_string(), v)
        })
        .collect()
}
