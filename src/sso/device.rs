//! The device-code grant: show the verification URL and the user code on
//! stderr, then poll CreateToken at the given interval (5 s more on
//! `slow_down`) until the sign-in is approved, denied or expired.

use std::time::{Duration, Instant};

use super::Session;
use super::oidc::{Grant, Issued, Oidc};
use super::token_cache::Registration;
use crate::error::{Error, Status};

pub fn sign_in(session: &Session, oidc: &Oidc, reg: &Registration) -> Result<Issued, Error> {
    let auth = oidc
        .start_device(reg, &session.start_url)
        .map_err(|e| super::oidc::oidc_error(session, oidc, e))?;
    eprintln!(
        "awsrole: to sign in to {}, open this page in a browser on any device:\n\n    {}\n\n  and enter the code:  {}\n",
        session.describe(),
        auth.verification_uri,
        auth.user_code
    );
    if let Some(full) = &auth.verification_uri_complete {
        eprintln!("awsrole: (or open {full}, which has the code in it)");
    }
    eprintln!(
        "awsrole: waiting up to {} minutes for the sign-in to be approved...",
        auth.expires_in.as_secs().div_ceil(60)
    );
    let deadline = Instant::now() + auth.expires_in;
    let mut interval = auth.interval;
    loop {
        std::thread::sleep(interval);
        match oidc.create_token(
            reg,
            Grant::Device {
                device_code: &auth.device_code,
            },
        ) {
            Ok(issued) => return Ok(issued),
            Err(e) if e.is("authorization_pending", "AuthorizationPendingException") => {}
            Err(e) if e.is("slow_down", "SlowDownException") => {
                interval += Duration::from_secs(5);
                crate::verbose!(
                    "SSO-OIDC asked to slow down: polling every {}s",
                    interval.as_secs()
                );
            }
            Err(e) if e.is("expired_token", "ExpiredTokenException") => {
                return Err(Error::new(
                    Status::Sts,
                    format!(
                        "the sign-in code for {} expired before it was approved; run `{}` again",
                        session.describe(),
                        session.login_command()
                    ),
                ));
            }
            Err(e) if e.is("access_denied", "AccessDeniedException") => {
                return Err(Error::new(
                    Status::Sts,
                    format!(
                        "the sign-in to {} was denied in the browser; run `{}` again to retry",
                        session.describe(),
                        session.login_command()
                    ),
                ));
            }
            Err(e) => return Err(super::oidc::oidc_error(session, oidc, e)),
        }
        if Instant::now() >= deadline {
            return Err(Error::new(
                Status::Sts,
                format!(
                    "the sign-in code for {} was not approved within {} minutes; run `{}` again",
                    session.describe(),
                    auth.expires_in.as_secs().div_ceil(60),
                    session.login_command()
                ),
            ));
        }
    }
}
