//! Windows: the command line is split as botocore splits it there (the
//! first word, quoted or not, is the program; the rest goes to it as
//! written), its output read by two threads, and the process killed when a
//! bound is passed. Only that process is killed, not what it started.

use std::io::Read;
use std::os::windows::process::CommandExt;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Failure, Limits, Outcome};

/// `(program, rest of the command line)`.
fn split(command: &str) -> (&str, &str) {
    let c = command.trim_start();
    if let Some(quoted) = c.strip_prefix('"') {
        match quoted.split_once('"') {
            Some((prog, rest)) => (prog, rest.trim_start()),
            None => (quoted, ""),
        }
    } else {
        match c.split_once(char::is_whitespace) {
            Some((prog, rest)) => (prog, rest.trim_start()),
            None => (c, ""),
        }
    }
}

enum Event {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    TooLarge,
    Failed(std::io::Error),
}

/// Reads `r` to its end, keeping at most `keep` bytes; more than `limit`
/// (when given) ends the read with `TooLarge`.
fn reader(
    mut r: impl Read + Send + 'static,
    keep: usize,
    limit: Option<usize>,
    wrap: fn(Vec<u8>) -> Event,
    tx: mpsc::Sender<Event>,
) {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if limit.is_some_and(|l| out.len() + n > l) {
                        let _ = tx.send(Event::TooLarge);
                        return;
                    }
                    let room = keep.saturating_sub(out.len());
                    out.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // A broken pipe is the end of the output.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
                Err(e) => {
                    let _ = tx.send(Event::Failed(e));
                    return;
                }
            }
        }
        let _ = tx.send(wrap(out));
    });
}

/// Runs `command` (see the module documentation). `terminal`: it shares
/// our console (stdin included), as a prompt needs; otherwise stdin is
/// empty.
pub fn run(
    command: &str,
    env: &[(&str, &str)],
    stderr_to_us: bool,
    terminal: bool,
    limits: &Limits,
) -> Result<Outcome, Failure> {
    let (program, rest) = split(command);
    let mut cmd = Command::new(program);
    if !rest.is_empty() {
        cmd.raw_arg(rest);
    }
    super::set_up(&mut cmd, env, stderr_to_us, terminal);
    let mut child = cmd.spawn().map_err(Failure::Start)?;
    let deadline = Instant::now() + limits.timeout;
    let (tx, rx) = mpsc::channel();
    let mut pending = 0;
    if let Some(out) = child.stdout.take() {
        reader(
            out,
            limits.max_stdout,
            Some(limits.max_stdout),
            Event::Stdout,
            tx.clone(),
        );
        pending += 1;
    }
    if let Some(err) = child.stderr.take() {
        reader(err, limits.max_stderr + 1, None, Event::Stderr, tx.clone());
        pending += 1;
    }
    drop(tx);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err(Failure::TimedOut(limits.timeout));
        }
        if pending == 0 {
            match child.try_wait() {
                Ok(Some(status)) => {
                    break Ok(Outcome {
                        status,
                        stdout: std::mem::take(&mut stdout),
                        stderr: std::mem::take(&mut stderr),
                    });
                }
                Ok(None) => std::thread::sleep(left.min(Duration::from_millis(10))),
                Err(e) => break Err(Failure::Io(e)),
            }
            continue;
        }
        match rx.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok(Event::Stdout(b)) => {
                stdout = b;
                pending -= 1;
            }
            Ok(Event::Stderr(b)) => {
                stderr = b;
                pending -= 1;
            }
            Ok(Event::TooLarge) => break Err(Failure::TooLarge(limits.max_stdout)),
            Ok(Event::Failed(e)) => break Err(Failure::Io(e)),
            Err(_) => {}
        }
    };
    if result.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn the_first_word_is_the_program() {
        assert_eq!(split("tool --a b"), ("tool", "--a b"));
        assert_eq!(
            split(r#" "C:\Program Files\t.exe" "x y""#),
            (r"C:\Program Files\t.exe", r#""x y""#)
        );
        assert_eq!(split("tool"), ("tool", ""));
    }
}
