//! Role names as the tests use them: the ARN in moto's account, the AWS CLI
//! cache key of a plain role, and how many AssumeRole calls moto saw for it.

use awsrole::cache::assume_role_key;
use awsrole::chain::RoleHop;

use super::Output;
use super::moto::moto;

/// moto's default account.
pub const ACCOUNT: &str = "123456789012";

/// `arn:aws:iam::123456789012:role/<name>`
pub fn arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// The hop of `role_arn`, with `mfa_serial` when given; the rest default.
pub fn hop(role_arn: &str, mfa_serial: Option<&str>) -> RoleHop {
    RoleHop {
        role_arn: role_arn.into(),
        mfa_serial: mfa_serial.map(str::to_string),
        ..Default::default()
    }
}

/// The AWS CLI cache key of a plain role (no external id, MFA, ...).
pub fn key_of(role_arn: &str) -> String {
    assume_role_key(&hop(role_arn, None))
}

/// The `Arn` of a successful `sts get-caller-identity --output json`.
#[track_caller]
pub fn identity_arn(out: &Output) -> String {
    out.assert_success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["Arn"].as_str().unwrap().to_string()
}

/// AssumeRole requests moto received for `role_arn` (all tests of this
/// binary share moto: isolate by a unique role).
pub fn assume_calls(role_arn: &str) -> usize {
    moto().count("AssumeRole", "RoleArn", role_arn)
}
