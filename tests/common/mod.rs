//! Shared harness for awsrole's integration tests: `mod common;` in a test file.
//!
//! Real peers only, never silently skipped: moto's server and AWS CLI v1 from the
//! venv that `scripts/test` builds, Debian's AWS CLI v2 at /usr/bin/aws, real shells
//! (bash, zsh, fish, sh) and tmux for interactive programs. One file per concern;
//! everything is re-exported here, so tests write `common::TestHome`.
#![allow(dead_code, unused_imports)]

pub mod capture;
pub mod checkers;
pub mod fake_sts;
pub mod home;
pub mod http;
pub mod moto;
pub mod netpeers;
pub mod peers;
pub mod roles;
pub mod servers;
pub mod shells;
pub mod sso_oidc;
pub mod stress;
pub mod tmux;
pub mod wine;

pub use checkers::python_checker;
pub use home::TestHome;
pub use http::{HttpResponse, http};
pub use moto::{Moto, RecordedRequest, form_decode, moto, parse_recording};
pub use peers::{
    AWS_V2, DEAD_PROXY, awsrole_bin, conformance_dir, conformance_json, test_path, venv_bin,
    venv_dir,
};
pub use roles::{arn, assume_calls, hop, identity_arn, key_of};
pub use shells::{shell_eval, shell_eval_exported};
pub use tmux::Tmux;

/// The variables `awsrole env` exports, in order (and `status` reads). The one
/// place the tests name the library's list.
pub use awsrole::exports::VARIABLES;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn loud_panic(lines: &[&str]) -> ! {
    let bar = "!".repeat(78);
    panic!("\n{bar}\n!!! {}\n{bar}\n", lines.join("\n!!! "));
}

/// A name unique within the run (pid + counter + a bit of time), made of
/// `[A-Za-z0-9-]` after the prefix, short enough for role names.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        % 1_000_000;
    format!("{prefix}-{}-{n}-{t}", std::process::id())
}

/// Single-quote `s` for a POSIX shell command line.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What a finished program printed; `code` is -1 when killed by a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Panics with both streams unless the exit code is 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "expected exit 0, got {self:#?}");
        self
    }

    /// Panics with both streams when the exit code is 0.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "expected a failure, got {self:#?}");
        self
    }
}

/// [`run`], but killed after `limit`: `None` when it did not finish in time.
pub fn run_within(cmd: &mut Command, limit: std::time::Duration) -> Option<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let o = child.wait_with_output().unwrap();
    let out = Output {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code().unwrap_or(-1),
    };
    capture::record(
        &cmd.get_program().to_string_lossy(),
        &out.stdout,
        &out.stderr,
    );
    Some(out)
}

/// Runs `cmd` to completion with stdin null, capturing stdout and stderr.
#[track_caller]
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let out = Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    };
    capture::record(
        &cmd.get_program().to_string_lossy(),
        &out.stdout,
        &out.stderr,
    );
    out
}
