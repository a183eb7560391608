//! awsrole: resolve AWS role profiles, share the AWS CLI credential cache,
//! print shell export lines.
//!
//! Data flows one way: `files` (where) -> `profile_file` (parse) -> `chain`
//! (pure resolution) -> `source` / `sts` (credentials) -> `cache` -> `shell`.

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
pub mod cmd_login;
pub mod cmd_logout;
pub mod cmd_status;
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
pub mod sso;
pub mod sts;
pub mod style;
pub mod timefmt;
pub mod verbose;

/// Environment lookup, injected so that resolution stays pure and testable.
pub type Getenv<'a> = &'a dyn Fn(&str) -> Option<String>;
