//! A role hop: AssumeRole signed with the credentials of the source it
//! wraps, cached where and as the AWS CLI caches it. An IAM user's own keys
//! with an MFA device go through an MFA session first, when sessions are on.
//! [`super::chain_credentials`] walks the hops (a loop, not a stack of
//! sources): each hop is given the credentials that sign it.

use std::time::SystemTime;

use super::{Cached, Context, MfaSession, Source};
use crate::cache::{self, Cache, Entry, Kind, RoleCredentials};
use crate::chain::RoleHop;
use crate::creds::Credentials;
use crate::error::Error;
use crate::mfa::{self, CodeSource};
use crate::sts;

pub struct AssumeRole<'a> {
    pub hop: &'a RoleHop,
    /// The IAM user's long-term keys, when `source` is them: with
    /// `mfa_serial` they may buy an MFA session instead.
    pub mfa_user: Option<Credentials>,
    /// The final hop: `--refresh` applies to it.
    pub last: bool,
}

/// The signing credentials, and whether they are an MFA session.
pub struct Signer {
    pub credentials: Credentials,
    mfa_session: bool,
}

impl Signer {
    /// Credentials of the hop below (or of a fresh cache entry).
    pub fn plain(credentials: Credentials) -> Self {
        Signer {
            credentials,
            mfa_session: false,
        }
    }
}

impl AssumeRole<'_> {
    /// Where an MFA code for this hop may come from.
    fn codes<'c>(&self, cx: &Context<'c>) -> CodeSource<'c> {
        CodeSource {
            getenv: cx.getenv,
            process: cx
                .config
                .set
                .profiles
                .get(&self.hop.profile)
                .and_then(|p| p.get("mfa_process")),
            no_input: cx.opts.no_input,
        }
    }
}

impl AssumeRole<'_> {
    pub fn entry(&self, cx: &Context) -> Result<Entry<'_>, Error> {
        // "FILE:LINE" of duration_seconds, for the --min-ttl warning.
        let at = match self.hop.duration_seconds {
            Some(_) => cx.prefix(&self.hop.profile, "duration_seconds"),
            None => String::new(),
        };
        Ok(Entry {
            key: cache::assume_role_key(self.hop),
            profile: &self.hop.profile,
            label: self.hop.role_arn.clone(),
            role_arn: Some(&self.hop.role_arn),
            kind: Kind::Credentials,
            min_ttl: cx.opts.min_ttl,
            force: cx.opts.refresh && self.last,
            lifetime: crate::cache::Lifetime::assume_role(
                self.hop.duration_seconds,
                at.trim_end_matches(": "),
            ),
            handed_out: self.last,
            lock_timeout: crate::cache::lock_timeout(cx.opts.no_input),
        })
    }

    /// One MFA session (GetSessionToken) serves every role with the device.
    fn session<'s>(&'s self, cx: &Context<'s>) -> Result<Option<MfaSession<'s>>, Error> {
        Ok(match (&self.hop.mfa_serial, &self.mfa_user) {
            (Some(serial), Some(user)) => {
                mfa::session_lifetime(cx.getenv)?.map(|lifetime| MfaSession {
                    user: user.clone(),
                    serial,
                    profile: &self.hop.profile,
                    lifetime,
                    codes: self.codes(cx),
                })
            }
            _ => None,
        })
    }

    /// On a miss, before anything below is obtained: without input a code
    /// cannot be had, so say so now instead of waiting for a lock (its
    /// holder may be waiting for someone to type one).
    pub fn check_input(&self, cx: &Context) -> Result<(), Error> {
        if cx.opts.no_input
            && let Some(serial) = &self.hop.mfa_serial
            && !self.codes(cx).unattended()
            && self.session(cx)?.is_none()
        {
            return Err(mfa::needed(serial, &self.hop.profile));
        }
        Ok(())
    }

    /// The signer of the lowest missed hop: an MFA session for an IAM
    /// user's keys, else what `below` gives (the chain's base).
    pub fn signer(
        &self,
        cx: &Context,
        below: impl FnOnce() -> Result<Credentials, Error>,
    ) -> Result<Signer, Error> {
        Ok(match self.session(cx)? {
            Some(session) => {
                let cache = mfa::session_dir(&cx.config.locations).map(Cache::new);
                Signer {
                    credentials: Cached::new(session, cache).credentials(cx)?,
                    mfa_session: true,
                }
            }
            None => Signer::plain(below()?),
        })
    }

    pub fn fetch(&self, signer: Signer, cx: &Context) -> Result<RoleCredentials, Error> {
        let hop = self.hop;
        // With an MFA session the role is assumed without a code (the
        // session is MFA-authenticated); the cache key still names the device.
        let mut sent = hop.clone();
        let token_code = match &hop.mfa_serial {
            Some(_) if signer.mfa_session => {
                sent.mfa_serial = None;
                None
            }
            Some(serial) => Some(mfa::code(serial, &hop.profile, &self.codes(cx))?),
            None => None,
        };
        let request = sts::Request {
            hop: &sent,
            session_name: sts::session_name(hop.role_session_name.as_deref(), SystemTime::now()),
            token_code,
        };
        let net = cx.net()?;
        let target = net.target();
        crate::verbose!(
            "AssumeRole {} as `{}` via {} in {}{}",
            hop.role_arn,
            request.session_name,
            target
                .endpoint
                .as_deref()
                .unwrap_or("the regional STS endpoint"),
            target.region,
            if request.token_code.is_some() {
                ", with an MFA code"
            } else {
                ""
            }
        );
        Ok(net.assume_role(&signer.credentials, &request)?)
    }
}
