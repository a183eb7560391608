//! awsrole: resolve AWS role profiles, share the AWS CLI credential cache,
//! print shell export lines.
//!
//! Data flows one way: `files` (where) -> `profile_file` (parse) -> `chain`
//! (pure resolution) -> `source` / `sts` (credentials) -> `cache` -> `shell`.

pub mod cache;
pub mod chain;
pub mod cli;
pub mod cmd_env;
pub mod creds;
pub mod endpoint;
pub mod error;
pub mod files;
pub mod mfa;
pub mod profile_file;
pub mod pyjson;
pub mod shell;
pub mod source;
pub mod sts;
pub mod timefmt;

/// Environment lookup, injected so that resolution stays pure and testable.
pub type Getenv<'a> = &'a dyn Fn(&str) -> Option<String>;
