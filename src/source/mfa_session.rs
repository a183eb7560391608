//! An MFA session: GetSessionToken for an IAM user's long-term keys and an
//! MFA device, cached in awsrole's own folder (`mfa::session_dir`), so that
//! one code serves every role with that device until the session expires.

use std::time::Duration;

use super::{Context, Refresh};
use crate::cache::{Entry, Kind, RoleCredentials};
use crate::creds::Credentials;
use crate::error::Error;
use crate::mfa::{self, CodeSource};

pub struct MfaSession<'a> {
    /// The IAM user's long-term keys.
    pub user: Credentials,
    pub serial: &'a str,
    /// The role profile that asked (named in prompts and messages).
    pub profile: &'a str,
    pub lifetime: Duration,
    pub codes: CodeSource<'a>,
}

impl Refresh for MfaSession<'_> {
    type Ready = ();

    fn entry(&self, cx: &Context) -> Result<Entry<'_>, Error> {
        Ok(Entry {
            key: mfa::session_key(&self.user.access_key_id, self.serial),
            profile: self.profile,
            label: format!("MFA session for {}", self.serial),
            role_arn: None,
            kind: Kind::MfaSession,
            min_ttl: cx.opts.min_ttl,
            force: false,
            lifetime: crate::cache::Lifetime::mfa_session(self.lifetime),
            handed_out: false,
            lock_timeout: crate::cache::lock_timeout(cx.opts.no_input),
        })
    }

    /// Without input a code cannot be had: say so before waiting for the
    /// lock (its holder may be waiting for someone to type one).
    fn prepare(&self, _: &Context) -> Result<(), Error> {
        if self.codes.no_input && !self.codes.unattended() {
            return Err(mfa::needed(self.serial, self.profile));
        }
        Ok(())
    }

    /// The code is asked under the lock: concurrent shells wait for the one
    /// that asks, then reuse its session.
    fn fetch(&self, (): (), cx: &Context) -> Result<RoleCredentials, Error> {
        let code = mfa::code(self.serial, self.profile, &self.codes)?;
        let net = cx.net()?;
        crate::verbose!(
            "GetSessionToken with MFA device {} via {}",
            self.serial,
            net.target().endpoint_name()
        );
        Ok(net.get_session_token(&self.user, self.serial, code, self.lifetime, self.profile)?)
    }
}
