//! Wine (Debian's 8.0): cmd.exe and awsrole.exe run on this Linux machine.
//!
//! scripts/test makes one fresh prefix per run (`wineboot`, plus the test-only
//! bcryptprimitives.dll stub that Rust programs need under Wine 8.0) and
//! exports `AWSROLE_TEST_WINEPREFIX`; `AWSROLE_TEST_WINDOWS_EXE` is the
//! awsrole.exe it built. A missing one panics loudly: never a skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::loud_panic;

/// The prefix scripts/test prepared.
pub fn prefix() -> PathBuf {
    match std::env::var_os("AWSROLE_TEST_WINEPREFIX") {
        Some(v) if Path::new(&v).join("system.reg").is_file() => PathBuf::from(v),
        _ => loud_panic(&[
            "TEST PEER MISSING: a Wine prefix ($AWSROLE_TEST_WINEPREFIX)",
            "Run `scripts/test` from the repository root: scripts/setup installs",
            "Debian's wine/wine64 and scripts/test prepares a fresh prefix for the run.",
            "Tests never skip Wine.",
        ]),
    }
}

/// awsrole.exe, built by scripts/test for x86_64-pc-windows-gnu.
pub fn awsrole_exe() -> PathBuf {
    match std::env::var_os("AWSROLE_TEST_WINDOWS_EXE") {
        Some(v) if Path::new(&v).is_file() => PathBuf::from(v),
        _ => loud_panic(&[
            "TEST PEER MISSING: awsrole.exe ($AWSROLE_TEST_WINDOWS_EXE)",
            "Run `scripts/test`: it builds the x86_64-pc-windows-gnu binary first.",
        ]),
    }
}

/// `wine PROGRAM` in the prepared prefix, no Wine debug output, and only
/// the environment given here (PATH for wine itself).
pub fn wine(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let prefix = prefix();
    if Command::new("wine").arg("--version").output().is_err() {
        loud_panic(&[
            "TEST PEER MISSING: wine (Debian packages wine and wine64)",
            "Run `scripts/test`: scripts/setup installs them. Tests never skip Wine.",
        ]);
    }
    let mut cmd = Command::new("wine");
    cmd.arg(program)
        .env_clear()
        .env("PATH", super::peers::test_path())
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("LANG", "C.UTF-8");
    cmd
}

/// `Z:\...`: the Windows name of a Linux path (Wine maps / to Z:).
pub fn z_path(path: &Path) -> String {
    let abs = std::path::absolute(path).expect("absolute path");
    format!("Z:{}", abs.display()).replace('/', "\\")
}

/// What cmd.exe holds after `call`ing `batch`: the variables it lists with
/// `set` afterwards (read back as UTF-16, `cmd /u`), and ERRORLEVEL. `pre`
/// is set before the call (so a removal has something to remove).
pub struct CmdResult {
    pub vars: HashMap<String, String>,
    pub errorlevel: i32,
    pub stdout: String,
}

pub fn cmd_call(batch: &str, pre: &[(&str, &str)]) -> CmdResult {
    let dir = tempfile::Builder::new()
        .prefix("awsrole-cmd-")
        .tempdir()
        .expect("temp dir");
    let script = dir.path().join("awsrole.cmd");
    std::fs::write(&script, batch).expect("write batch");
    let out_file = dir.path().join("out.txt");
    let driver = dir.path().join("driver.cmd");
    let mut text = String::from("@echo off\r\n");
    for (k, v) in pre {
        text += &format!("set {k}={v}\r\n");
    }
    text += &format!(
        "call \"{}\"\r\n>\"{o}\" echo ERRORLEVEL=%ERRORLEVEL%\r\n>>\"{o}\" set\r\n",
        z_path(&script),
        o = z_path(&out_file),
    );
    std::fs::write(&driver, text).expect("write driver");
    let out = wine("cmd")
        .args(["/u", "/c"])
        .arg(z_path(&driver))
        .current_dir(dir.path())
        .output()
        .expect("run wine cmd");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let raw = std::fs::read(&out_file).unwrap_or_else(|e| {
        panic!(
            "cmd.exe wrote no output ({e}); status {:?}\nstdout {stdout}\nstderr {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).expect("cmd /u writes UTF-16");
    let mut vars = HashMap::new();
    let mut errorlevel = None;
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not NAME=value from cmd: {line:?}"));
        if errorlevel.is_none() && k == "ERRORLEVEL" {
            errorlevel = Some(v.trim_end().parse().expect("a number"));
        } else {
            vars.insert(k.to_string(), v.to_string());
        }
    }
    CmdResult {
        vars,
        errorlevel: errorlevel.expect("ERRORLEVEL line"),
        stdout,
    }
}

/// The exit status of `cmd /c FILE` for a batch file holding `batch`: the
/// ERRORLEVEL its last line left.
pub fn cmd_status(batch: &str) -> i32 {
    let dir = tempfile::Builder::new()
        .prefix("awsrole-cmd-")
        .tempdir()
        .expect("temp dir");
    let script = dir.path().join("awsrole.cmd");
    std::fs::write(&script, batch).expect("write batch");
    let out = wine("cmd")
        .arg("/c")
        .arg(z_path(&script))
        .current_dir(dir.path())
        .output()
        .expect("run wine cmd");
    out.status.code().expect("an exit code")
}
