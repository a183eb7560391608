//! MFA codes, asked for on the terminal itself: stdin and stdout may be
//! pipes (`eval "$(awsrole env x)"`), /dev/tty is the user.

use crate::error::{Error, Status};

pub fn prompt_code(serial: &str, profile: &str) -> Result<String, Error> {
    let prompt = format!("Enter MFA code for {serial}: ");
    let code = rpassword::prompt_password(prompt).map_err(|e| {
        Error::new(
            Status::Mfa,
            format!(
                "profile `{profile}` needs an MFA code for {serial}, but there is no terminal to ask on ({e}); run `awsrole env {profile}` in an interactive terminal once, and the cached credentials will serve the rest"
            ),
        )
    })?;
    let code = code.trim().to_string();
    if code.is_empty() {
        return Err(Error::new(
            Status::Mfa,
            format!("no MFA code entered for {serial} (profile `{profile}`)"),
        ));
    }
    Ok(code)
}

/// The error for `--no-input` when a code would be needed.
pub fn needed(serial: &str, profile: &str) -> Error {
    Error::new(
        Status::Mfa,
        format!(
            "profile `{profile}` needs an MFA code for {serial}; run `awsrole env {profile}` in a terminal to enter it"
        ),
    )
}
