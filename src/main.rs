// glibc Linux: a C `main`, so that std's start-up does not run. It reads
// /proc/self/maps to place a guard page for stack overflow messages, a
// tenth of a warm `env` (docs/performance.md); `startup` does the rest of
// what it does. Elsewhere (musl passes no arguments to std then, Windows
// has its own start-up) and in the unit-test build the usual Rust `main`.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

use std::io::Write;
use std::mem::ManuallyDrop;

use awsrole::cli::Cli;
use awsrole::commands;
use awsrole::error::Status;
use clap::{CommandFactory, FromArgMatches};

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    startup();
    // As std's start-up: a panic ends the run with status 101 (the panic
    // hook has said so), rather than aborting at this C boundary.
    std::panic::catch_unwind(run).unwrap_or(101).into()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run())
}

/// What std's start-up does besides the guard page: standard streams that
/// are closed are opened on /dev/null (else the first file awsrole opens,
/// a cache entry, would become its stdout), and SIGPIPE is ignored (a
/// closed stdout is an error to report, not a silent death).
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
fn startup() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: three valid pollfd entries; open and signal take valid
    // arguments. Same calls as std's own start-up.
    unsafe {
        if libc::poll(fds.as_mut_ptr(), 3, 0) == -1 {
            for pfd in &mut fds {
                if libc::fcntl(pfd.fd, libc::F_GETFD) == -1 {
                    pfd.revents = libc::POLLNVAL;
                }
            }
        }
        for pfd in fds {
            if pfd.revents & libc::POLLNVAL != 0
                && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) == -1
            {
                libc::abort();
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

fn run() -> u8 {
    awsrole::error::install_panic_hook();
    // `AWSROLE_COMPLETE=SHELL awsrole ...`: answer a Tab and exit (before any output).
    commands::completions::complete_from_env();
    let getenv = |k: &str| std::env::var(k).ok();
    let args: Vec<_> = std::env::args_os().collect();
    let quick = awsrole::cli::quick::parse(&args);
    let cli = match quick.map_or_else(|| parse_args(&args), Ok) {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr()
                && let Some(failure) = commands::env::usage_failure(&args, &getenv)
            {
                // Best effort: the usage error below is what matters.
                let _ = write_stdout(&failure);
            }
            e.exit()
        }
    };
    if cli.verbose {
        awsrole::verbose::enable();
    }
    match commands::run(cli.command, &getenv) {
        Ok(out) => match write_stdout(&out) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("awsrole: error: cannot write to stdout: {e}");
                Status::Failure as u8
            }
        },
        Err(failure) => {
            eprintln!("awsrole: error: {}", failure.error);
            let _ = write_stdout(&failure.stdout);
            failure.error.status as u8
        }
    }
}

/// `Cli::try_parse()`, except that clap's command tree and matches are never
/// freed: freeing them took about 8% of a warm `env` (docs/performance.md),
/// and the process ends right after. Errors are formatted as clap does.
fn parse_args(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    let mut command = ManuallyDrop::new(Cli::command());
    let mut matches = ManuallyDrop::new(command.try_get_matches_from_mut(args)?);
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut Cli::command()))
}

/// All or nothing: one write, so that stdout holds either the whole output
/// or (on error) only what the command prints on error.
fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}
