//! Unix: `sh -c` in its own process group, read with `poll`, the group
//! killed when a bound is passed.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::{Failure, Limits, Outcome};

/// Run `sh -c command`. `stderr_to_us` passes its stderr through (it may
/// talk to the user); otherwise it is captured. `terminal`: it may use the
/// terminal (it gets the foreground for its run, so that a prompt on
/// /dev/tty works from its own process group); otherwise its stdin is
/// empty and, in a background process group, a read from the terminal
/// stops it until the time limit kills it.
pub fn run(
    command: &str,
    env: &[(&str, &str)],
    stderr_to_us: bool,
    terminal: bool,
    limits: &Limits,
) -> Result<Outcome, Failure> {
    let tty = if terminal { Foreground::open() } else { None };
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).process_group(0);
    super::set_up(&mut cmd, env, stderr_to_us, terminal);
    if let Some(fd) = tty.as_ref().map(|t| t.fd) {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::setpgid(0, 0);
                let old = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                libc::tcsetpgrp(fd, libc::getpid());
                libc::signal(libc::SIGTTOU, old);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().map_err(Failure::Start)?;
    if let Some(t) = &tty {
        t.give(child.id());
    }
    let result = collect(&mut child, limits);
    if result.is_err() {
        // SAFETY: the group was created for this child alone.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.wait();
    }
    drop(tty);
    result
}

fn collect(child: &mut Child, limits: &Limits) -> Result<Outcome, Failure> {
    let deadline = Instant::now() + limits.timeout;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    for fd in [
        stdout.as_ref().map(|s| s.as_raw_fd()),
        stderr.as_ref().map(|s| s.as_raw_fd()),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd);
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut buf = [0u8; 16 * 1024];
    while stdout.is_some() || stderr.is_some() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::TimedOut(limits.timeout));
        }
        let mut fds: Vec<libc::pollfd> = [
            stdout.as_ref().map(|s| s.as_raw_fd()),
            stderr.as_ref().map(|s| s.as_raw_fd()),
        ]
        .into_iter()
        .flatten()
        .map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
        let ms = left.as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: `fds` is a valid array of its length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if let Some(s) = stdout.as_mut() {
            match read_some(s, &mut buf)? {
                Some(0) => stdout = None,
                Some(n) => {
                    out.extend_from_slice(&buf[..n]);
                    if out.len() > limits.max_stdout {
                        return Err(Failure::TooLarge(limits.max_stdout));
                    }
                }
                None => {}
            }
        }
        if let Some(s) = stderr.as_mut() {
            match read_some(s, &mut buf)? {
                Some(0) => stderr = None,
                Some(n) => {
                    let room = (limits.max_stderr + 1).saturating_sub(err.len());
                    err.extend_from_slice(&buf[..n.min(room)]);
                }
                None => {}
            }
        }
    }
    loop {
        if let Some(status) = child.try_wait().map_err(Failure::Io)? {
            return Ok(Outcome {
                status,
                stdout: out,
                stderr: err,
            });
        }
        if Instant::now() >= deadline {
            return Err(Failure::TimedOut(limits.timeout));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `Some(n)` read (0 at the end), `None` when nothing is ready.
fn read_some(r: &mut impl Read, buf: &mut [u8]) -> Result<Option<usize>, Failure> {
    match r.read(buf) {
        Ok(n) => Ok(Some(n)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(Failure::Io(e)),
    }
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

/// The terminal's foreground, lent to a child's process group and taken
/// back on drop; only when we hold it (we are not in the background).
struct Foreground {
    fd: RawFd,
    ours: libc::pid_t,
}

impl Foreground {
    fn open() -> Option<Foreground> {
        // SAFETY: plain system calls; the descriptor is closed on drop.
        unsafe {
            let fd = libc::open(
                c"/dev/tty".as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            );
            if fd < 0 {
                return None;
            }
            let ours = libc::getpgrp();
            if libc::tcgetpgrp(fd) != ours {
                libc::close(fd);
                return None;
            }
            Some(Foreground { fd, ours })
        }
    }

    fn give(&self, pid: u32) {
        // SAFETY: we are in the foreground group, so no SIGTTOU.
        unsafe { libc::tcsetpgrp(self.fd, pid as libc::pid_t) };
    }
}

impl Drop for Foreground {
    fn drop(&mut self) {
        // SAFETY: taking the foreground back from the background needs
        // SIGTTOU ignored for the call.
        unsafe {
            let old = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            libc::tcsetpgrp(self.fd, self.ours);
            libc::signal(libc::SIGTTOU, old);
            libc::close(self.fd);
        }
    }
}
