//! A role hop: AssumeRole signed with the credentials of the source it
//! wraps, cached where and as the AWS CLI caches it. An IAM user's own keys
//! with an MFA device go through an MFA session first, when sessions are on.

use std::time::SystemTime;

use super::{Cached, Context, MfaSession, Refresh, Source};
use crate::cache::{self, Cache, Entry, Kind, RoleCredentials};
use crate::chain::RoleHop;
use crate::creds::Credentials;
use crate::error::Error;
use crate::mfa::{self, CodeSource};
use crate::sts;

pub struct AssumeRole<'a> {
    pub hop: &'a RoleHop,
    /// The credentials that sign the call.
    pub source: Box<dyn Source + 'a>,
    /// The IAM user's long-term keys, when `source` is them: with
    /// `mfa_serial` they may buy an MFA session instead.
    pub mfa_user: Option<Credentials>,
    /// The final hop: `--refresh` applies to it.
    pub last: bool,
}

/// The signing credentials, and whether they are an MFA session.
pub struct Signer {
    credentials: Credentials,
    mfa_session: bool,
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

impl Refresh for AssumeRole<'_> {
    type Ready = Signer;

    fn entry(&self, cx: &Context) -> Result<Entry<'_>, Error> {
        // "FILE:LINE" of duration_seconds, for the --min-ttl warning.
        let at = match self.hop.duration_seconds {
            Some(_) => cx.prefix(&self.hop.profile, "duration_seconds"),
            None => String::new(),
        };
        Ok(Entry {
            key: cache::assume_role_key(self.hop),
            profile: &self.hop.profile,
            label: self.hop.role_arn.clone(),
            kind: Kind::Credentials,
            min_ttl: cx.opts.min_ttl,
            force: cx.opts.refresh && self.last,
            lifetime: crate::cache::Lifetime::assume_role(
                self.hop.duration_seconds,
                at.trim_end_matches(": "),
            ),
            handed_out: self.last,
        })
    }

    fn prepare(&self, cx: &Context) -> Result<Signer, Error> {
        let hop = self.hop;
        // One MFA session (GetSessionToken) serves every role with the device.
        let session = match (&hop.mfa_serial, &self.mfa_user) {
            (Some(serial), Some(user)) => {
                mfa::session_lifetime(cx.getenv)?.map(|lifetime| MfaSession {
                    user: user.clone(),
                    serial,
                    profile: &hop.profile,
                    lifetime,
                    codes: self.codes(cx),
                })
            }
            _ => None,
        };
        // Without input a code cannot be had: say so now instead of waiting
        // for the lock (its holder may be waiting for someone to type one).
        if cx.opts.no_input
            && session.is_none()
            && let Some(serial) = &hop.mfa_serial
            && !self.codes(cx).unattended()
        {
            return Err(mfa::needed(serial, &hop.profile));
        }
        Ok(match session {
            Some(session) => {
                let cache = mfa::session_dir(&cx.config.locations).map(Cache::new);
                Signer {
                    credentials: Cached::new(session, cache).credentials(cx)?,
                    mfa_session: true,
                }
            }
            None => Signer {
                credentials: self.source.credentials(cx)?,
                mfa_session: false,
            },
        })
    }

    fn fetch(&self, signer: Signer, cx: &Context) -> Result<RoleCredentials, Error> {
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
