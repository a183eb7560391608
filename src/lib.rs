//! awsrole: resolve AWS role profiles, share the AWS CLI credential cache,
//! print shell export lines.
//!
//! Layers, each using only those below it: `platform` (what differs between
//! Unix and Windows) is below everything; `files` and `profile_file` read
//! the config files; `chain` turns a profile into base credentials and role
//! hops (pure); `cache`, `sts`, `mfa` and `source` get credentials;
//! `resolve` runs a chain through them; `commands` (one file per
//! subcommand, `cli` their arguments) print through `exports` and `shell`;
//! `hook_policy` decides when the prompt hooks act (beside `exports`).

pub mod bounded_process;
pub mod cache;
pub mod chain;
pub mod cli;
pub mod commands;
pub mod config;
pub mod creds;
pub mod endpoint;
pub mod error;
pub mod exports;
pub mod federation;
pub mod files;
pub mod hook_policy;
pub mod mfa;
pub mod platform;
pub mod process_loop;
pub mod profile_file;
pub mod profile_spec;
pub mod pyjson;
pub mod resolve;
pub mod server;
pub mod shell;
pub mod source;
pub mod sso;
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
