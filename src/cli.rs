//! Command-line definition (also the source of completions and man pages).

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "awsrole",
    version,
    about = "Assume AWS roles from ~/.aws/config and export the credentials to your shell",
    long_about = "Assume AWS roles from ~/.aws/config and export the credentials to your shell.\n\nCredentials are cached in the AWS CLI's own cache (~/.aws/cli/cache), so awsrole and the AWS CLI reuse each other's credentials and MFA sessions."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print export lines for a profile's credentials
    #[command(after_help = ENV_EXAMPLES)]
    Env(EnvCli),
}

const ENV_EXAMPLES: &str = "\
Examples:
  eval \"$(awsrole env marketingadmin)\"             bash, zsh
  awsrole env marketingadmin | source              fish
  awsrole env marketingadmin | Invoke-Expression   PowerShell
  export AWS_PROFILE=marketingadmin; eval \"$(awsrole env)\"
  eval \"$(awsrole env --unset)\"                    forget the exported credentials";

#[derive(Args, Debug)]
pub struct EnvCli {
    /// Profile to use [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then `default`]
    pub profile: Option<String>,

    /// Shell to print for [default: the calling shell, then $SHELL, then POSIX sh]
    #[arg(long, value_parser = ["bash", "zsh", "fish", "powershell", "pwsh", "sh", "posix"])]
    pub shell: Option<String>,

    /// Print lines that remove every variable `env` sets
    #[arg(long, conflicts_with_all = ["profile", "refresh", "min_ttl"])]
    pub unset: bool,

    /// Ignore valid cached credentials: call STS and rewrite the cache
    #[arg(long)]
    pub refresh: bool,

    /// Never ask for an MFA code: fail with exit status 6 instead (for prompt hooks and scripts)
    #[arg(long)]
    pub no_input: bool,

    /// Cached credentials with less time left than this count as expired
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub min_ttl: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 15m, 1h, 90s)"))
}
