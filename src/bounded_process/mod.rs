//! Run a helper command from a profile (`credential_process`,
//! `mfa_process`) through `sh -c` (Windows: as botocore does, the first
//! word is the program and the rest its command line), within bounds: a time limit (the whole
//! process group is killed when it passes), a cap on what its standard
//! output may hold, and a cap on the standard error kept for a message.
//! Commands are named by their first word only: arguments may hold tokens.

use std::io;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::run;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::run;

/// The command's environment and standard streams: stdin from the terminal
/// or empty, stdout read by us, stderr to ours or read by us.
fn set_up(cmd: &mut Command, env: &[(&str, &str)], stderr_to_us: bool, terminal: bool) {
    let stdin = if terminal {
        Stdio::inherit()
    } else {
        Stdio::null()
    };
    let stderr = if stderr_to_us {
        Stdio::inherit()
    } else {
        Stdio::piped()
    };
    cmd.envs(env.iter().copied())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(stderr);
}

pub struct Limits {
    pub timeout: Duration,
    /// More than this on stdout is an error (and the process is killed).
    pub max_stdout: usize,
    /// Only this much of stderr is kept; the rest is read and dropped.
    pub max_stderr: usize,
}

pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[derive(Debug)]
pub enum Failure {
    Start(io::Error),
    TimedOut(Duration),
    TooLarge(usize),
    Io(io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Start(e) => write!(f, "cannot start it: {e}"),
            Failure::TimedOut(t) => write!(
                f,
                "no answer within {}s; it was stopped (with every process it started)",
                t.as_secs()
            ),
            Failure::TooLarge(n) => write!(
                f,
                "it printed more than {} KiB on standard output; it was stopped",
                n / 1024
            ),
            Failure::Io(e) => write!(f, "{e}"),
        }
    }
}

/// The first word of `command` (its program), as messages name it.
pub fn program(command: &str) -> String {
    let c = command.trim_start();
    let word = match c.chars().next() {
        Some(q @ ('\'' | '"')) => c[1..].split(q).next().unwrap_or(""),
        _ => c.split_whitespace().next().unwrap_or(""),
    };
    let shown: String = word.chars().filter(|c| !c.is_control()).take(200).collect();
    format!("`{shown}` (arguments not shown)")
}

/// What a process said on stderr, fit for a one-line message: printable
/// text, lines joined, at most `max` bytes.
pub fn quote_stderr(stderr: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&stderr[..stderr.len().min(max)]);
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    if stderr.len() > max {
        out.push_str(" [...]");
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Instant;

    fn limits(secs: u64) -> Limits {
        Limits {
            timeout: Duration::from_secs(secs),
            max_stdout: 64 * 1024,
            max_stderr: 100,
        }
    }

    #[test]
    fn output_is_collected_and_stderr_capped() {
        let o = run(
            "echo out; yes e | head -c 100000 >&2",
            &[],
            false,
            false,
            &limits(10),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success());
        assert_eq!(o.stdout, b"out\n");
        assert_eq!(o.stderr.len(), 101);
        assert!(quote_stderr(&o.stderr, 100).ends_with("[...]"));
    }

    #[test]
    fn a_hanging_group_is_killed_in_time() {
        let started = Instant::now();
        let e = run("sleep 1000 & sleep 1000", &[], false, false, &limits(1)).err();
        assert!(matches!(e, Some(Failure::TimedOut(_))), "{e:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_flood_on_stdout_is_stopped() {
        let e = run("yes", &[], false, false, &limits(10)).err();
        assert!(matches!(e, Some(Failure::TooLarge(_))), "{e:?}");
    }

    #[test]
    fn programs_are_named_without_arguments() {
        assert_eq!(
            program("'/opt/my tool' --token s3cr3t"),
            "`/opt/my tool` (arguments not shown)"
        );
        assert_eq!(program("vault read x"), "`vault` (arguments not shown)");
    }
}
