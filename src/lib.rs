//! awsrole: resolve AWS role profiles, share the AWS CLI credential cache,
//! print shell export lines.
//!
//! Data flows one way: `files` (where) -> `profile_file` (parse) -> `chain`
//! (pure resolution) -> `source` / `sts` (credentials) -> `cache` -> `shell`.

pub mod bounded_process;
pub mod cache;
pub mod chain;
pub mod cli;
pub mod cmd_clear;
pub mod cmd_completions;
pub mod cmd_credential_process;
pub mod cmd_env;
pub mod cmd_exec;
pub mod cmd_hook;
pub mod cmd_list;
pub mod cmd_status;
pub mod config;
pub mod creds;
pub mod endpoint;
pub mod error;
pub mod files;
pub mod man;
pub mod mfa;
pub mod process_loop;
pub mod profile_file;
pub mod pyjson;
pub mod resolve;
pub mod shell;
pub mod source;
pub mod sts;
pub mod style;
pub mod timefmt;
pub mod verbose;

/// Environment lookup, injected so that resolution stays pure and testable.
/// `AWSROLE_NO_INPUT=1`: as `--no-input`. awsrole sets it for the
/// processes it starts under `--no-input` (credential_process,
/// mfa_process), so that an awsrole among them never asks either.
pub const NO_INPUT_VAR: &str = "AWSROLE_NO_INPUT";

/// True when [`NO_INPUT_VAR`] asks for no input (`1`, `true`, `yes`).
pub fn no_input_from_env(getenv: Getenv) -> bool {
    getenv(NO_INPUT_VAR).is_some_and(|v| {
        let v = v.trim();
        ["1", "true", "yes"]
            .iter()
            .any(|y| v.eq_ignore_ascii_case(y))
    })
}

pub type Getenv<'a> = &'a dyn Fn(&str) -> Option<String>;
