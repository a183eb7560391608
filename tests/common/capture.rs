//! Evidence for the suite-wide secret scan (`scripts/secret_scan.py`, run by
//! `scripts/test` after `cargo test`).
//!
//! When `AWSROLE_TEST_CAPTURE_DIR` is set, every program run through
//! [`super::run`] (and every output a test hands to [`record`]) appends its
//! stderr to `<dir>/stderr.<pid>.log`, and every secret value the suite sees
//! (secret keys and session tokens printed on stdout, written to cache files
//! or put in config files of a `TestHome`) is appended to
//! `<dir>/secrets.<pid>.jsonl`. The scan then fails if any recorded secret
//! appears in any recorded stderr, or in the console log of the whole run.
//! Unset (a plain `cargo test`), nothing is written.

use std::io::Write;
use std::path::{Path, PathBuf};

fn dir() -> Option<PathBuf> {
    std::env::var_os("AWSROLE_TEST_CAPTURE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

fn append(name: &str, data: &[u8]) {
    let Some(dir) = dir() else { return };
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}.{}.{}", std::process::id(), ext(name)));
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("capture: cannot append to {}: {e}", path.display()));
    f.write_all(data).expect("capture: write");
}

fn ext(name: &str) -> &'static str {
    if name == "secrets" { "jsonl" } else { "log" }
}

/// Variables whose values are secrets, in every output format awsrole has.
const SECRET_VARS: [&str; 3] = [
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
];
/// JSON keys whose values are secrets (cache files, credential-process).
const SECRET_KEYS: [&str; 2] = ["SecretAccessKey", "SessionToken"];
/// INI keys whose values are secrets (config and credentials files).
const SECRET_INI: [&str; 3] = [
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

/// Records secrets by value (JSON strings, so any byte survives).
pub fn secrets(values: impl IntoIterator<Item = String>) {
    let mut text = String::new();
    for v in values {
        if !v.is_empty() {
            text.push_str(&serde_json::Value::String(v).to_string());
            text.push('\n');
        }
    }
    if !text.is_empty() {
        append("secrets", text.as_bytes());
    }
}

/// Secret values in one program's stdout: shell export lines of every
/// flavour (single-quoted values; a PowerShell value is left whole with its
/// `[char]` parts) and JSON objects.
pub fn secrets_in_stdout(stdout: &str) -> Vec<String> {
    let mut found = Vec::new();
    let quoted = |v: &str| {
        let v = v.trim();
        v.strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .map(str::to_string)
    };
    for line in stdout.lines() {
        for var in SECRET_VARS {
            // sh/bash/zsh: '...' with ' as '\''.
            if let Some(v) = line
                .strip_prefix(&format!("export {var}="))
                .and_then(quoted)
            {
                found.push(v.replace("'\\''", "'"));
            }
            // fish: '...' with \\ and \'.
            if let Some(v) = line
                .strip_prefix(&format!("set -gx {var} "))
                .and_then(quoted)
            {
                found.push(v.replace("\\'", "'").replace("\\\\", "\\"));
            }
            // PowerShell: '...' with '' (values with [char] parts are left
            // out: they are split into pieces).
            if let Some(v) = line
                .strip_prefix(&format!("$Env:{var} = "))
                .and_then(quoted)
                && !v.contains("' + [char]")
            {
                found.push(v.replace("''", "'"));
            }
        }
        // credential-process and other JSON, one document per line.
        if line.starts_with('{')
            && let Ok(value) = serde_json::from_str::<serde_json::Value>(line)
        {
            json_secrets(&value, &mut found);
        }
    }
    found
}

fn json_secrets(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match x {
                    serde_json::Value::String(s) if SECRET_KEYS.contains(&k.as_str()) => {
                        out.push(s.clone())
                    }
                    _ => json_secrets(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_secrets(x, out)),
        _ => {}
    }
}

/// Records a finished program: its stderr (with a header naming it) and the
/// secrets on its stdout.
pub fn record(program: &str, stdout: &str, stderr: &str) {
    if dir().is_none() {
        return;
    }
    secrets(secrets_in_stdout(stdout));
    if !stderr.is_empty() {
        append("stderr", format!("\n===== {program}\n{stderr}").as_bytes());
    }
}

/// Records the secrets held in a home: cache entries and config files.
pub fn record_home(home: &Path) {
    if dir().is_none() {
        return;
    }
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(home.join(".aws/cli/cache")) {
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "json")
                && let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            {
                json_secrets(&v, &mut found);
            }
        }
    }
    // IAM Identity Center tokens and client registrations.
    if let Ok(entries) = std::fs::read_dir(home.join(".aws/sso/cache")) {
        for e in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(e.path())
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            {
                for k in ["accessToken", "refreshToken", "clientSecret"] {
                    if let Some(s) = v.get(k).and_then(|x| x.as_str()) {
                        found.push(s.to_string());
                    }
                }
            }
        }
    }
    for file in ["config", "credentials"] {
        if let Ok(text) = std::fs::read_to_string(home.join(".aws").join(file)) {
            for line in text.lines() {
                if let Some((k, v)) = line.split_once('=')
                    && SECRET_INI.contains(&k.trim())
                {
                    found.push(v.trim().to_string());
                }
            }
        }
    }
    secrets(found);
}
