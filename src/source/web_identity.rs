//! Web identity: `web_identity_token_file` + `role_arn` in a profile, or
//! `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` in the environment.
//! AssumeRoleWithWebIdentity is cached where and as the AWS CLI caches it.

use std::cell::OnceCell;
use std::time::SystemTime;

use super::{Context, Refresh};
use crate::Getenv;
use crate::cache::{self, Entry, Kind, RoleCredentials};
use crate::chain::{Base, Chain};
use crate::error::{Error, Status};
use crate::pyjson::{Py, dumps};
use crate::sts;

pub struct WebIdentity<'a> {
    profile: &'a str,
    role_arn: &'a str,
    token_file: &'a str,
    session_name: Option<&'a str>,
    /// No role hop follows: `--refresh` applies to this answer.
    last: bool,
    /// The token, read once.
    token: OnceCell<String>,
}

impl<'a> WebIdentity<'a> {
    pub fn new(
        profile: &'a str,
        role_arn: &'a str,
        token_file: &'a str,
        session_name: Option<&'a str>,
        last: bool,
    ) -> Self {
        WebIdentity {
            profile,
            role_arn,
            token_file,
            session_name,
            last,
            token: OnceCell::new(),
        }
    }

    fn token(&self, cx: &Context) -> Result<&str, Error> {
        if let Some(t) = self.token.get() {
            return Ok(t);
        }
        let token = std::fs::read_to_string(self.token_file).map_err(|e| {
            Error::new(
                Status::Config,
                format!(
                    "{}profile `{}`: cannot read the web identity token file {}: {e}",
                    cx.prefix(self.profile, "web_identity_token_file"),
                    self.profile,
                    self.token_file
                ),
            )
        })?;
        Ok(self.token.get_or_init(|| token))
    }
}

impl Refresh for WebIdentity<'_> {
    type Ready = ();

    fn entry(&self, cx: &Context) -> Result<Entry<'_>, Error> {
        Ok(Entry {
            key: web_identity_key(self.role_arn, self.session_name, self.token(cx)?),
            profile: self.profile,
            label: format!("{} (web identity)", self.role_arn),
            role_arn: Some(self.role_arn),
            kind: Kind::Credentials,
            min_ttl: cx.opts.min_ttl,
            force: cx.opts.refresh && self.last,
            lifetime: crate::cache::Lifetime::web_identity(),
            handed_out: self.last,
            lock_timeout: crate::cache::lock_timeout(cx.opts.no_input),
        })
    }

    fn prepare(&self, _: &Context) -> Result<(), Error> {
        Ok(())
    }

    fn fetch(&self, (): (), cx: &Context) -> Result<RoleCredentials, Error> {
        let net = cx.net()?;
        let session_name = sts::session_name(self.session_name, SystemTime::now());
        crate::verbose!(
            "AssumeRoleWithWebIdentity {} as `{session_name}` via {}",
            self.role_arn,
            net.target().endpoint_name()
        );
        Ok(net.assume_role_with_web_identity(
            self.role_arn,
            &session_name,
            self.token(cx)?,
            self.profile,
        )?)
    }
}

/// The environment form (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`,
/// optionally `AWS_ROLE_SESSION_NAME`), used only when the selected profile
/// itself gives no credentials.
pub fn from_env(profile: &str, getenv: Getenv) -> Option<Chain> {
    let get = |k: &str| getenv(k).filter(|v| !v.is_empty());
    Some(Chain {
        base: Base::WebIdentity {
            profile: profile.to_string(),
            role_arn: get("AWS_ROLE_ARN")?,
            token_file: get("AWS_WEB_IDENTITY_TOKEN_FILE")?,
            session_name: get("AWS_ROLE_SESSION_NAME"),
        },
        hops: Vec::new(),
    })
}

/// The AWS CLI's cache key for AssumeRoleWithWebIdentity: like AssumeRole's,
/// with the token itself (as read, newline included) among the arguments.
pub fn web_identity_key(role_arn: &str, session_name: Option<&str>, token: &str) -> String {
    let mut args = vec![("RoleArn", Py::Str(role_arn))];
    if let Some(s) = session_name {
        args.push(("RoleSessionName", Py::Str(s)));
    }
    args.push(("WebIdentityToken", Py::Str(token)));
    cache::sha1_hex(&dumps(&Py::Obj(args)))
}
