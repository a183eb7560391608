use std::io::Write;
use std::process::ExitCode;

use awsrole::cli::{Cli, Command};
use awsrole::cmd_env::{self, EnvArgs};
use awsrole::error::{Error, Status};
use clap::Parser;

fn main() -> ExitCode {
    awsrole::error::install_panic_hook();
    // `AWSROLE_COMPLETE=SHELL awsrole ...`: answer a Tab and exit (before any output).
    awsrole::cmd_completions::complete_from_env();
    let cli = Cli::parse();
    if cli.verbose {
        awsrole::verbose::enable();
    }
    let getenv = |k: &str| std::env::var(k).ok();
    let result = match cli.command {
        Command::Env(a) => a
            .shell
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: String| Error::new(Status::Usage, e))
            .and_then(|shell| {
                let args = EnvArgs {
                    profile: a.profile,
                    shell,
                    unset: a.unset,
                    refresh: a.refresh,
                    no_input: a.no_input,
                    min_ttl: a.min_ttl,
                };
                cmd_env::run(&args, &getenv)
            }),
        // Returns only if the command could not be started.
        Command::Exec(a) => awsrole::cmd_exec::run(&a, &getenv).map(|never| match never {}),
        Command::CredentialProcess(a) => awsrole::cmd_credential_process::run(&a, &getenv),
        Command::List(a) => awsrole::cmd_list::run(&a, &getenv),
        Command::Status(a) => awsrole::cmd_status::run(&a, &getenv),
        Command::Clear(a) => awsrole::cmd_clear::run(&a, &getenv),
        Command::Completions(a) => Ok(awsrole::cmd_completions::run(a.shell)),
        Command::Hook(a) => a
            .shell
            .parse()
            .map_err(|e: String| Error::new(Status::Usage, e))
            .and_then(awsrole::cmd_hook::run),
    };
    match result {
        Ok(out) => {
            // All or nothing: one write, so an error leaves stdout empty.
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush())
            {
                eprintln!("awsrole: error: cannot write to stdout: {e}");
                return ExitCode::from(Status::Failure as u8);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("awsrole: error: {e}");
            ExitCode::from(e.status as u8)
        }
    }
}
