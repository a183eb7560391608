//! Command-line definition (also the source of completions and man pages).

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::federation::{MAX_SESSION, MIN_SESSION};
use crate::resolve;
use crate::shell::{Format, ShellKind};

pub mod quick;

#[derive(Parser, Debug)]
#[command(
    name = "awsrole",
    version,
    about = "Assume AWS roles from ~/.aws/config and export the credentials to your shell",
    long_about = "Assume AWS roles from ~/.aws/config and export the credentials to your shell.\n\nCredentials are cached in the AWS CLI's own cache (~/.aws/cli/cache), so awsrole and the AWS CLI reuse each other's credentials and MFA sessions.",
    after_help = ROOT_EXAMPLES
)]
pub struct Cli {
    /// Say on stderr what awsrole does: files, cache hits and misses, locks, STS calls (never secrets)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

const ROOT_EXAMPLES: &str = "\
Examples:
  eval \"$(awsrole env marketingadmin)\"   credentials into this shell
  awsrole env --help                     more examples, for one command
  source <(awsrole completions bash)     Tab completion";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print export lines for a profile's credentials
    ///
    /// Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION, AWSROLE_PROFILE and AWSROLE_EXPIRATION, and AWS_REGION, AWS_DEFAULT_REGION and AWSROLE_REGION when the profile sets a region. When it sets none, the region variables that still hold the region awsrole exported before are removed; a region you set yourself is kept.
    ///
    /// On error, the message goes to stderr and stdout holds one statement that only fails (`(exit N)`; fish: `builtin false`), so that `eval "$(awsrole env ...)"` fails too and `set -e` or `&&` stop there. PowerShell gets nothing: check $LASTEXITCODE.
    #[command(after_help = ENV_EXAMPLES)]
    #[command(mut_arg("no_input", |a| a.help(NO_INPUT_ENV_HELP)))]
    Env(EnvCli),

    /// Run a command with a profile's credentials in its environment
    ///
    /// Resolves PROFILE exactly like `env` (cache, source profiles, MFA), then replaces awsrole with COMMAND: signals, the terminal and the exit status are the command's own. The command gets the variables `env` sets (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION, AWS_REGION, AWS_DEFAULT_REGION and AWSROLE_REGION when the profile sets a region, AWSROLE_PROFILE, AWSROLE_EXPIRATION), and AWS_PROFILE and AWS_DEFAULT_PROFILE are removed, so that every tool uses these credentials instead of resolving a profile again.
    #[command(after_help = EXEC_EXAMPLES)]
    Exec(ExecCli),

    /// Print a profile's credentials as `credential_process` JSON
    ///
    /// For `credential_process = awsrole credential-process PROFILE` in another profile of ~/.aws/config: the AWS CLI and every SDK then get PROFILE's credentials through awsrole's cache, locks and MFA prompt. Prints {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"} on one line.
    #[command(after_help = CREDENTIAL_PROCESS_EXAMPLES)]
    CredentialProcess(CredentialProcessCli),

    /// Open the AWS console signed in with a profile's credentials
    ///
    /// Resolves PROFILE like `env`, exchanges the credentials for a sign-in token at the federation endpoint of the role's partition (aws, aws-cn, aws-us-gov; AWSROLE_FEDERATION_URL replaces it) and opens the login URL with $BROWSER, else xdg-open or open. An IAM user's long-term keys are first exchanged for GetFederationToken credentials (allow-all policy: the session may do what the user may); a user profile with mfa_serial is refused, since GetFederationToken takes no MFA code. The URL signs anyone in who has it: it never goes to stderr or --verbose.
    #[command(after_help = CONSOLE_EXAMPLES)]
    Console(ConsoleCli),

    /// List every profile: kind, source chain, MFA, region, cached credentials
    ///
    /// Reads the config files and the cache only: no network, no prompt. CREDENTIALS is the state of the final role's cache entry: time left, `expiring` when less than 15 minutes are left (env and exec would refresh it), `expired`, or `none`.
    #[command(after_help = LIST_EXAMPLES)]
    List(ListCli),

    /// Show the profile and time left of the credentials in this shell
    ///
    /// Reads the variables `awsrole env` sets (AWSROLE_PROFILE, AWSROLE_EXPIRATION, AWS_CREDENTIAL_EXPIRATION). Exit status 1 when no awsrole credentials are active or they have expired.
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusCli),

    /// Remove a profile's cached credentials
    ///
    /// Deletes the AWS CLI cache entries (~/.aws/cli/cache/<key>.json and awsrole's <key>.lock) of every role in the profile's chain, MFA sessions included, so that the next use calls STS again. Says on stderr what it removed. Credentials already exported in a shell are not revoked.
    #[command(after_help = CLEAR_EXAMPLES)]
    Clear(ClearCli),

    /// Sign in to IAM Identity Center (SSO) and save the token for awsrole and the AWS CLI
    ///
    /// Opens the browser (authorization code with PKCE; the redirect comes back to 127.0.0.1 only) or, with --device-code and automatically over SSH, without a display or in a container, shows a code to enter on any device. The token, its refresh token and the client registration go to the AWS CLI's ~/.aws/sso/cache, so `aws sso login` and awsrole use each other's sign-in. Every command that needs the token refreshes it silently when less than 15 minutes are left.
    #[command(after_help = LOGIN_EXAMPLES)]
    Login(LoginCli),

    /// Remove IAM Identity Center sign-in tokens and the credentials that came from them
    ///
    /// Deletes the session's token from ~/.aws/sso/cache and, from ~/.aws/cli/cache, the role credentials of every profile that uses the session (the AWS CLI's SSO role entries and the roles assumed from them). Says on stderr what it removed.
    #[command(after_help = LOGOUT_EXAMPLES)]
    Logout(LogoutCli),

    /// Print a shell completion script
    ///
    /// At each Tab, the script asks awsrole for the candidates: subcommands, options, shell names and the profile names in your config files as they are at that moment, so it never needs regenerating when profiles change. The same script is printed by `AWSROLE_COMPLETE=SHELL awsrole`.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsCli),

    /// Print a prompt hook that refreshes credentials before they expire
    ///
    /// At each prompt and before each command, once the clock reaches AWSROLE_NEXT (which `awsrole env` sets AWSROLE_REFRESH_BEFORE, default 10m, before the credentials expire), the hook runs `awsrole env --hook` for AWSROLE_PROFILE and applies what it prints. Before that it starts no process: one integer comparison. It never waits for an MFA code unless AWSROLE_HOOK_MFA=prompt: it says once which command to run. After a failure it keeps the current credentials and retries after 1, 2, 4, 8 then every 10 minutes.
    #[command(after_help = HOOK_EXAMPLES)]
    Hook(HookCli),
}

const HOOK_EXAMPLES: &str = "\
Examples:
  eval \"$(awsrole hook bash)\"                               at the end of ~/.bashrc
  eval \"$(awsrole hook zsh)\"                                in ~/.zshrc
  awsrole hook fish | source                                in ~/.config/fish/config.fish
  awsrole hook powershell | Out-String | Invoke-Expression  at the end of $PROFILE

Variables: AWSROLE_REFRESH_BEFORE (default 10m), AWSROLE_HOOK_MFA=prompt (ask for
MFA codes at the prompt instead of printing the command to run).";

#[derive(Args, Debug)]
pub struct HookCli {
    /// Shell to print the hook for
    #[arg(value_parser = ShellKind::parser())]
    pub shell: ShellKind,
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
    #[arg(conflicts_with = "role_arn")]
    pub profile: Option<String>,

    /// Shell to print for [default: the calling shell, then $SHELL, then POSIX sh]
    #[arg(long, value_parser = ShellKind::parser())]
    pub shell: Option<ShellKind>,

    /// Print for a program instead of a shell: json, dotenv (docker --env-file) or github ($GITHUB_ENV)
    #[arg(long, value_enum, conflicts_with = "shell")]
    pub format: Option<Format>,

    /// Print lines that remove every variable `env` sets
    #[arg(long, conflicts_with_all = ["profile", "refresh", "min_ttl", "role_arn", "region"])]
    pub unset: bool,

    /// For prompt hooks: refresh only when due by AWSROLE_REFRESH_BEFORE, and print AWSROLE_NEXT (when the hook acts next) and the hook's back-off state, also on failure (exit status 0)
    #[arg(long, conflicts_with_all = ["unset", "refresh", "min_ttl", "role_arn"])]
    pub hook: bool,

    #[command(flatten)]
    pub role: RoleArgs,

    /// The ad-hoc role's session length (duration_seconds), e.g. 1h
    #[arg(long, value_name = "DURATION", requires = "role_arn", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    #[command(flatten)]
    pub resolve: ResolveArgs,
}

const NO_INPUT_ENV_HELP: &str =
    "Never ask for an MFA code: fail with exit status 6 instead (for prompt hooks and scripts)";

/// `--refresh`, `--no-input` and `--min-ttl`, for the commands that resolve
/// a profile to credentials (`env`, `exec`).
#[derive(Args, Debug, Clone)]
pub struct ResolveArgs {
    /// Ignore valid cached credentials: call STS and rewrite the cache
    #[arg(long)]
    pub refresh: bool,

    #[command(flatten)]
    pub cached: CachedArgs,
}

/// `--no-input` and `--min-ttl` alone: `credential-process` has no
/// `--refresh`, since SDKs run it whenever they want credentials.
#[derive(Args, Debug, Clone)]
pub struct CachedArgs {
    /// Never ask for an MFA code: fail with exit status 6 instead
    #[arg(long)]
    pub no_input: bool,

    /// Cached credentials with less time left than this count as expired
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub min_ttl: Duration,

    /// Region for STS and the exported region variables, instead of the profile's (the cache entry stays the same)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

/// An ad-hoc role: assumed like a profile with these settings would be,
/// sharing its cache entry (`env`, `exec`, `console`).
#[derive(Args, Debug, Clone, Default)]
pub struct RoleArgs {
    /// Assume this role, which needs no profile: an ad-hoc role (with --source-profile and the options below)
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// Profile whose credentials assume --role-arn [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then `default`]
    #[arg(long, value_name = "PROFILE", requires = "role_arn")]
    pub source_profile: Option<String>,

    /// External ID for --role-arn (external_id)
    #[arg(long, value_name = "ID", requires = "role_arn")]
    pub external_id: Option<String>,

    /// Session name for --role-arn (role_session_name)
    #[arg(long, value_name = "NAME", requires = "role_arn")]
    pub session_name: Option<String>,

    /// MFA device for --role-arn (mfa_serial)
    #[arg(long, value_name = "SERIAL", requires = "role_arn")]
    pub mfa_serial: Option<String>,
}

impl RoleArgs {
    /// What to resolve, as one string ([`crate::profile_spec`]): PROFILE (or
    /// the default profile), or the ad-hoc role; with `--region`.
    pub fn spec(
        &self,
        profile: Option<&str>,
        duration: Option<Duration>,
        region: Option<&str>,
        getenv: crate::Getenv,
    ) -> Result<String, crate::error::Error> {
        use crate::profile_spec::Spec;
        let mut spec = match &self.role_arn {
            None => Spec::parse(&crate::config::profile_name(profile, getenv))?,
            Some(arn) => {
                if !arn.starts_with("arn:") || !arn.contains(":role/") {
                    return Err(crate::error::Error::new(
                        crate::error::Status::Usage,
                        format!(
                            "--role-arn `{arn}` is not a role ARN (example: arn:aws:iam::123456789012:role/admin)"
                        ),
                    ));
                }
                let source = match &self.source_profile {
                    Some(p) => p.clone(),
                    None => crate::config::profile_name(None, getenv),
                };
                let mut role = vec![("source_profile".to_string(), source)];
                let mut add = |k: &str, v: Option<String>| {
                    if let Some(v) = v {
                        role.push((k.to_string(), v));
                    }
                };
                add("external_id", self.external_id.clone());
                add("role_session_name", self.session_name.clone());
                add(
                    "duration_seconds",
                    duration.map(|d| d.as_secs().to_string()),
                );
                add("mfa_serial", self.mfa_serial.clone());
                Spec {
                    name: arn.clone(),
                    region: None,
                    role: Some(role),
                }
            }
        };
        if let Some(r) = region {
            spec.region = Some(r.to_string());
        }
        Ok(spec.encode())
    }
}

impl CachedArgs {
    /// The resolution options these flags (and `refresh`) ask for.
    pub fn options(&self, refresh: bool) -> resolve::Options {
        resolve::Options {
            refresh,
            no_input: self.no_input,
            min_ttl: self.min_ttl,
        }
    }
}

impl ResolveArgs {
    pub fn options(&self) -> resolve::Options {
        self.cached.options(self.refresh)
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 15m, 1h, 90s)"))
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  awsrole completions bash > ~/.local/share/bash-completion/completions/awsrole
  awsrole completions zsh > ~/.zfunc/_awsrole      with fpath=(~/.zfunc $fpath) before compinit
  awsrole completions fish > ~/.config/fish/completions/awsrole.fish
  source <(awsrole completions bash)               in ~/.bashrc (zsh: ~/.zshrc, after compinit)
  awsrole completions powershell | Out-String | Invoke-Expression   in $PROFILE
  eval (awsrole completions elvish | slurp)        in ~/.config/elvish/rc.elv";

#[derive(Args, Debug)]
pub struct CompletionsCli {
    /// Shell to print the completion script for
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// Shells that `awsrole completions` supports.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    Elvish,
}

impl CompletionShell {
    /// The name clap_complete knows the shell by.
    pub fn name(self) -> &'static str {
        match self {
            CompletionShell::Bash => "bash",
            CompletionShell::Zsh => "zsh",
            CompletionShell::Fish => "fish",
            CompletionShell::Powershell => "powershell",
            CompletionShell::Elvish => "elvish",
        }
    }
}

const EXEC_EXAMPLES: &str = "\
Examples:
  awsrole exec marketingadmin -- terraform apply
  awsrole exec marketingadmin -- aws s3 ls
  awsrole exec prod -- sh -c 'echo \"$AWSROLE_PROFILE until $AWS_CREDENTIAL_EXPIRATION\"'
  awsrole exec --no-input ci -- make deploy    exit 6 instead of asking for an MFA code
  awsrole exec --server prod -- terraform apply   credentials refreshed while it runs

Exit status: the command's; 127 when it is not found, 126 when it cannot be run;
when the credentials cannot be had, awsrole's own: 1 failure, 2 usage, 3 config,
4 STS error, 5 STS unreachable, 6 MFA code needed (--no-input).";

#[derive(Args, Debug)]
pub struct ExecCli {
    /// Profile whose credentials the command gets (none with --role-arn: the first word is then the command)
    #[arg(required_unless_present = "role_arn")]
    pub profile: Option<String>,

    /// The command to run, and its arguments (after `--` if they start with `-`)
    #[arg(
        value_name = "COMMAND",
        required_unless_present = "role_arn",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<std::ffi::OsString>,

    /// Serve refreshing credentials on a local endpoint instead of exporting static keys
    ///
    /// awsrole stays as the command's parent and serves the container credentials protocol on 127.0.0.1 at a random port. The command gets AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN (and the region variables), no keys: SDKs ask the endpoint again before their credentials expire, and each answer has at least --min-ttl left, refreshed through the same cache and MFA session as `env`. For commands that may outlive one set of credentials.
    #[arg(long)]
    pub server: bool,

    #[command(flatten)]
    pub role: RoleArgs,

    /// The ad-hoc role's session length (duration_seconds), e.g. 1h
    #[arg(long, value_name = "DURATION", requires = "role_arn", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    #[command(flatten)]
    pub resolve: ResolveArgs,
}

const CREDENTIAL_PROCESS_EXAMPLES: &str = "\
Examples:
  In ~/.aws/config (use the absolute path if awsrole is not on the PATH of every tool):
    [profile marketing]
    credential_process = awsrole credential-process marketingadmin
    region = us-east-1
  then any tool: aws s3 ls --profile marketing, AWS_PROFILE=marketing terraform plan

  awsrole credential-process marketingadmin | jq -r .Expiration

The profile holding credential_process must not be PROFILE itself nor one of its
source profiles: awsrole refuses such loops (exit status 3).";

#[derive(Args, Debug)]
pub struct CredentialProcessCli {
    /// Profile whose credentials to print
    pub profile: String,

    #[command(flatten)]
    pub cached: CachedArgs,
}

const LIST_EXAMPLES: &str = "\
Examples:
  awsrole list
  awsrole list --json | jq -r '.[] | select(.kind == \"role\") | .name'
  awsrole list --json | jq -r '.[] | select(.cached.fresh) | .name'    roles ready without STS";

#[derive(Args, Debug)]
pub struct ListCli {
    /// Print JSON (an array of objects, one per profile) for scripts
    #[arg(long)]
    pub json: bool,
}

const STATUS_EXAMPLES: &str = "\
Examples:
  awsrole status
  awsrole status --verify      also ask STS (GetCallerIdentity) whose credentials they are
  awsrole status --json | jq .seconds_left
  awsrole status 2>/dev/null || eval \"$(awsrole env marketingadmin)\"";

#[derive(Args, Debug)]
pub struct StatusCli {
    /// Also call STS GetCallerIdentity with the credentials and show the identity
    #[arg(long)]
    pub verify: bool,

    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

const CLEAR_EXAMPLES: &str = "\
Examples:
  awsrole clear marketingadmin    its cached credentials and those of its source roles
  awsrole clear                   the profile in $AWS_PROFILE, else `default`
  awsrole clear --all             cached roles of every profile in your config files

--all leaves alone the cache files that no profile in your config accounts for
(e.g. the AWS CLI's own SSO or web-identity entries).";

#[derive(Args, Debug)]
pub struct ClearCli {
    /// Profile to clear [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then `default`]
    pub profile: Option<String>,

    /// Clear the cached credentials of every profile in the config files
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct LoginCli {
    /// Profile whose IAM Identity Center session to sign in to (a role profile signs in to its SSO source) [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then `default`]
    #[arg(conflicts_with = "sso_session")]
    pub profile: Option<String>,

    /// Sign in to this [sso-session] instead of a profile's
    #[arg(long, value_name = "NAME")]
    pub sso_session: Option<String>,

    /// Sign in with a code shown on stderr instead of the browser redirect (the default without a display or over SSH)
    #[arg(long)]
    pub device_code: bool,

    /// How long to wait for the browser to come back
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

pub const LOGIN_EXAMPLES: &str = "\
Examples:
  awsrole login dev                     browser sign-in for profile dev's session
  awsrole login --sso-session corp      sign in to [sso-session corp]
  awsrole login dev --device-code       show a code to enter on another device";

#[derive(Args, Debug)]
pub struct LogoutCli {
    /// Profile whose IAM Identity Center session to sign out of [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then `default`]
    #[arg(conflicts_with_all = ["sso_session", "all"])]
    pub profile: Option<String>,

    /// Sign out of this [sso-session]
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub sso_session: Option<String>,

    /// Sign out of every session in the config files
    #[arg(long)]
    pub all: bool,
}

pub const LOGOUT_EXAMPLES: &str = "\
Examples:
  awsrole logout dev                    forget the sign-in of profile dev's session
  awsrole logout --all                  forget every IAM Identity Center sign-in";

// ------------------------------------------------------------------ console

pub const CONSOLE_EXAMPLES: &str = "\
Examples:
  awsrole console marketingadmin
  awsrole console prod --service s3 --region eu-west-1
  awsrole console prod --duration 4h
  awsrole console --role-arn arn:aws:iam::123456789012:role/ReadOnly --source-profile base
  awsrole console prod --print | pbcopy       the URL signs anyone in: handle it as a secret

Exit status: 0 once the browser was started (or the URL printed); as `env` otherwise.";

#[derive(Args, Debug)]
pub struct ConsoleCli {
    /// Profile to sign in with [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then `default`]
    #[arg(conflicts_with = "role_arn")]
    pub profile: Option<String>,

    /// Print the login URL on stdout instead of opening a browser
    #[arg(long)]
    pub print: bool,

    /// Open this service's console (e.g. s3, ec2, iam) instead of the console home
    #[arg(long, value_name = "NAME", conflicts_with = "destination", value_parser = parse_service)]
    pub service: Option<String>,

    /// Open this console URL after signing in
    #[arg(long, value_name = "URL", value_parser = parse_destination)]
    pub destination: Option<String>,

    /// Console session length, 15m to 12h (role credentials not chained; IAM users: the federation token's)
    #[arg(long, value_name = "DURATION", value_parser = parse_session)]
    pub duration: Option<Duration>,

    #[command(flatten)]
    pub role: RoleArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,
}

fn parse_session(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 1h, 12h)"))?;
    if d < MIN_SESSION || d > MAX_SESSION {
        return Err("a console session lasts 15m (900 s) to 12h (43200 s)".to_string());
    }
    Ok(d)
}

fn parse_service(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| s.to_string())
        .ok_or_else(|| "a console service name, such as s3, ec2 or cloudwatch".to_string())
}

fn parse_destination(s: &str) -> Result<String, String> {
    (s.starts_with("https://") || s.starts_with("http://"))
        .then(|| s.to_string())
        .ok_or_else(|| "an https:// URL of the console".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_session_lengths_are_bounded() {
        assert!(parse_session("14m").is_err());
        assert!(parse_session("13h").is_err());
        assert_eq!(parse_session("12h").unwrap().as_secs(), 43200);
        assert!(parse_service("s3").is_ok() && parse_service("S3/x").is_err());
    }
}
