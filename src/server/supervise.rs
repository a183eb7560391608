//! The command as awsrole's child, in awsrole's process group, as a shell
//! runs a foreground command.
//!
//! - The terminal's signals (Ctrl-C, Ctrl-\, Ctrl-Z, hangup) reach the whole
//!   foreground process group, the command included, directly. awsrole does
//!   not die of Ctrl-C or Ctrl-\ (it waits for the command, as a shell
//!   does) and stops and continues with the command on Ctrl-Z and `fg`.
//! - SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1 and SIGUSR2 sent to awsrole
//!   (`kill PID`) are forwarded to the command. On Linux, those from the
//!   terminal (which the command got too) and those the command sent are
//!   not; elsewhere SIGINT and SIGQUIT are not.
//! - Exit status: the command's. When it dies of a signal, awsrole ends
//!   itself with the same signal, so a shell sees 128+N and a script stops
//!   on Ctrl-C; signals that would leave a core file give exit status
//!   128+N instead.
//!
//! The signals are blocked in every thread (the mask is inherited) and
//! taken by one thread with `sigwaitinfo`: no handler, and no disposition
//! the command could inherit. The command starts with an empty mask (reset
//! between fork and exec).

use std::convert::Infallible;
use std::ffi::OsStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Status};

const HANDLED: [libc::c_int; 6] = [
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// The blocked signal set, taken by [`run`]'s signal thread.
pub struct Signals {
    set: libc::sigset_t,
}

/// Blocks [`HANDLED`] in this thread, and so in every thread started after.
pub fn block_signals() -> Signals {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set; the calls only read/write it.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        for s in HANDLED {
            libc::sigaddset(set.as_mut_ptr(), s);
        }
        let set = set.assume_init();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        Signals { set }
    }
}

/// Starts the command, forwards signals to it until it exits, then exits
/// with its status.
pub fn run(mut cmd: Command, program: &OsStr, signals: Signals) -> Result<Infallible, Error> {
    // std leaves the mask as it is: the command must start with none blocked.
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut empty = MaybeUninit::<libc::sigset_t>::uninit();
            libc::sigemptyset(empty.as_mut_ptr());
            libc::pthread_sigmask(libc::SIG_SETMASK, empty.as_ptr(), std::ptr::null_mut());
            Ok(())
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => crate::platform::exit_cannot_run(program, &e),
    };
    let pid = child.id() as libc::pid_t;
    // Held while signalling: once set, the PID may belong to another process.
    let exited = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&exited);
    std::thread::Builder::new()
        .name("signals".into())
        .stack_size(64 * 1024)
        .spawn(move || forward(signals, pid, &flag))
        .map_err(|e| Error::new(Status::Failure, format!("cannot start a thread: {e}")))?;
    wait_without_reaping(pid);
    *exited.lock().unwrap_or_else(|p| p.into_inner()) = true;
    let status = child.wait().unwrap_or_else(|e| {
        eprintln!("awsrole: error: cannot wait for the command: {e}");
        std::process::exit(Status::Failure as i32)
    });
    exit_like(status)
}

/// Returns once the child has exited, leaving it to be reaped.
fn wait_without_reaping(pid: libc::pid_t) {
    loop {
        let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
        // SAFETY: waitid writes into `info`; WNOWAIT leaves the child waitable.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                info.as_mut_ptr(),
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

fn forward(signals: Signals, pid: libc::pid_t, exited: &Mutex<bool>) {
    loop {
        let Some((sig, send)) = next_signal(&signals, pid) else {
            continue;
        };
        let done = exited.lock().unwrap_or_else(|p| p.into_inner());
        if send && !*done {
            // SAFETY: plain kill(2) to our own child, not yet reaped.
            unsafe { libc::kill(pid, sig) };
        }
    }
}

/// The next blocked signal, and whether the child needs it sent.
#[cfg(target_os = "linux")]
fn next_signal(signals: &Signals, child: libc::pid_t) -> Option<(libc::c_int, bool)> {
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    // SAFETY: sigwaitinfo fills `info` for the signal it returns.
    let sig = unsafe { libc::sigwaitinfo(&signals.set, info.as_mut_ptr()) };
    if sig < 0 {
        return None;
    }
    // SAFETY: initialised above (zeroed, then filled by the kernel).
    let info = unsafe { info.assume_init() };
    // si_code > 0: sent by the kernel, i.e. the terminal, to the whole
    // foreground group: the child has it already. Otherwise a process sent
    // it to awsrole: forward it, unless the child sent it.
    if info.si_code > 0 {
        return Some((sig, false));
    }
    // SAFETY: si_pid is valid for signals sent by kill/sigqueue (si_code <= 0).
    let sender = unsafe { info.si_pid() };
    Some((sig, sender != child))
}

/// Without sigwaitinfo: forward what is not usually the terminal's.
#[cfg(not(target_os = "linux"))]
fn next_signal(signals: &Signals, _child: libc::pid_t) -> Option<(libc::c_int, bool)> {
    let mut sig: libc::c_int = 0;
    // SAFETY: sigwait writes the signal number into `sig`.
    if unsafe { libc::sigwait(&signals.set, &mut sig) } != 0 {
        return None;
    }
    Some((sig, sig != libc::SIGINT && sig != libc::SIGQUIT))
}

/// Exits with the command's status, or dies of the signal it died of.
fn exit_like(status: ExitStatus) -> ! {
    if let Some(code) = status.code() {
        std::process::exit(code);
    }
    let sig = status.signal().unwrap_or(0);
    let dumps_core = [
        libc::SIGQUIT,
        libc::SIGILL,
        libc::SIGTRAP,
        libc::SIGABRT,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGSEGV,
        libc::SIGSYS,
        libc::SIGXCPU,
        libc::SIGXFSZ,
    ];
    if sig > 0 && !dumps_core.contains(&sig) {
        let mut one = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: default disposition, unblocked in this thread only, then
        // raised at this thread: the process ends as the command did.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::sigemptyset(one.as_mut_ptr());
            libc::sigaddset(one.as_mut_ptr(), sig);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, one.as_ptr(), std::ptr::null_mut());
            libc::raise(sig);
        }
    }
    std::process::exit(128 + sig)
}
