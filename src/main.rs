use std::io::Write;
use std::mem::ManuallyDrop;
use std::process::ExitCode;

use awsrole::cli::Cli;
use awsrole::commands;
use awsrole::error::Status;
use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    awsrole::error::install_panic_hook();
    // `AWSROLE_COMPLETE=SHELL awsrole ...`: answer a Tab and exit (before any output).
    commands::completions::complete_from_env();
    let getenv = |k: &str| std::env::var(k).ok();
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                let args: Vec<_> = std::env::args_os().collect();
                if let Some(failure) = commands::env::usage_failure(&args, &getenv) {
                    // Best effort: the usage error below is what matters.
                    let _ = write_stdout(&failure);
                }
            }
            e.exit()
        }
    };
    if cli.verbose {
        awsrole::verbose::enable();
    }
    match commands::run(cli.command, &getenv) {
        Ok(out) => match write_stdout(&out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("awsrole: error: cannot write to stdout: {e}");
                ExitCode::from(Status::Failure as u8)
            }
        },
        Err(failure) => {
            eprintln!("awsrole: error: {}", failure.error);
            let _ = write_stdout(&failure.stdout);
            ExitCode::from(failure.error.status as u8)
        }
    }
}

/// `Cli::try_parse()`, except that clap's command tree and matches are never
/// freed: freeing them took about 8% of a warm `env` (docs/performance.md),
/// and the process ends right after. Errors are formatted as clap does.
fn parse_args() -> Result<Cli, clap::Error> {
    let mut command = ManuallyDrop::new(Cli::command());
    let mut matches = ManuallyDrop::new(command.try_get_matches_from_mut(std::env::args_os())?);
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut Cli::command()))
}

/// All or nothing: one write, so that stdout holds either the whole output
/// or (on error) only what the command prints on error.
fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}
