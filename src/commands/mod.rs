//! The subcommands, one file each. Each returns the text for stdout, which
//! `main` writes at once, or a [`Failure`].

pub mod clear;
mod completion_scripts;
pub mod completions;
pub mod console;
pub mod credential_process;
pub mod env;
mod env_hook;
pub mod exec;
pub mod hook;
pub mod list;
pub mod login;
pub mod logout;
pub mod status;

use crate::Getenv;
use crate::cli::Command;
use crate::error::Error;

/// A command that failed: the error for stderr, and what stdout still gets:
/// nothing, except for `env` (see [`env`]).
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub stdout: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            stdout: String::new(),
        }
    }
}

/// Runs `command`; `exec` returns only if the command could not be started.
pub fn run(command: Command, getenv: Getenv) -> Result<String, Failure> {
    let out = match command {
        Command::Env(a) => return env::run(&a, getenv),
        Command::Exec(a) => exec::run(&a, getenv).map(|never| match never {}),
        Command::CredentialProcess(a) => credential_process::run(&a, getenv),
        Command::Console(a) => console::run(&a, getenv),
        Command::List(a) => list::run(&a, getenv),
        Command::Status(a) => status::run(&a, getenv),
        Command::Clear(a) => clear::run(&a, getenv),
        Command::Login(a) => login::run(&a, getenv),
        Command::Logout(a) => logout::run(&a, getenv),
        Command::Completions(a) => Ok(completions::run(a.shell)),
        Command::Hook(a) => hook::run(a.shell),
    };
    Ok(out?)
}
