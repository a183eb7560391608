//! The access token for a session, refreshed silently with the
//! refresh_token grant when less than [`REFRESH_WINDOW`] is left (the AWS
//! CLI's advisory window). The refresh is single-flight: under the token
//! file's lock the file is read again, so of many processes refreshing at
//! once one calls CreateToken and the others use what it wrote. A rotated
//! refresh token is always saved.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::oidc::{Grant, Oidc};
use super::token_cache::{Registration, Token, TokenCache};
use super::{Session, cache_dir};
use crate::Getenv;
use crate::cache::LOCK_TIMEOUT;
use crate::error::{Error, Status};
use crate::sts::Sts;

/// Refresh when less than this is left.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

impl Session {
    /// The AWS CLI's login command for this session, for messages.
    pub fn aws_cli_login(&self) -> String {
        match (&self.name, &self.profile) {
            (Some(n), _) => format!("aws sso login --sso-session {n}"),
            (None, Some(p)) => format!("aws sso login --profile {p}"),
            (None, None) => "aws sso login".to_string(),
        }
    }

    /// "run `awsrole login dev` (or `aws sso login --sso-session corp`)".
    pub fn login_hint(&self) -> String {
        format!(
            "run `{}` (or `{}`)",
            self.login_command(),
            self.aws_cli_login()
        )
    }

    /// The profile, else the session name, else the start URL.
    pub fn who(&self) -> String {
        self.profile
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.start_url.clone())
    }
}

/// What `status` and `list` say about a session's token, without the network.
pub struct TokenState {
    pub path: std::path::PathBuf,
    pub token: Option<Token>,
    /// Why the token cannot be refreshed (`None`: it can).
    pub blocker: Option<&'static str>,
}

pub fn token_state(session: &Session, home: &Path) -> TokenState {
    let cache = TokenCache::new(cache_dir(home));
    let key = session.token_key();
    let token = cache.token(&key);
    let blocker = match &token {
        Some(t) => t.refresh_blocker(SystemTime::now()),
        None => Some("there is no token"),
    };
    TokenState {
        path: cache.path(&key),
        token,
        blocker,
    }
}

/// The session's access token, refreshed first when needed.
pub fn access_token(
    session: &Session,
    home: &Path,
    getenv: Getenv,
    net: &Sts,
) -> Result<String, Error> {
    let cache = TokenCache::new(cache_dir(home));
    let key = session.token_key();
    let path = cache.path(&key);
    let who = session.who();
    let Some(token) = cache.token(&key) else {
        let why = if cache.exists(&key) {
            format!(
                "the token cache {} is not usable (no accessToken or expiresAt)",
                path.display()
            )
        } else {
            format!(
                "there is no sign-in token ({} does not exist)",
                path.display()
            )
        };
        return Err(Error::new(
            Status::Config,
            format!(
                "profile `{who}` uses IAM Identity Center ({}), but {why}; {}",
                session.describe(),
                session.login_hint()
            ),
        ));
    };
    let now = SystemTime::now();
    if token.time_left(now) > REFRESH_WINDOW {
        crate::verbose!(
            "SSO token in {} valid for {} more minutes",
            path.display(),
            token.time_left(now).as_secs() / 60
        );
        return Ok(token.access_token);
    }
    if let Some(blocker) = token.refresh_blocker(now) {
        return use_or_fail(session, &path, token, blocker.to_string());
    }
    let lock = match cache.lock(&key, &who, LOCK_TIMEOUT) {
        Ok(l) => l,
        Err(e) => return use_or_fail(session, &path, token, e.to_string()),
    };
    // Another process may have refreshed while we waited.
    let token = match cache.token(&key) {
        Some(t) if t.time_left(SystemTime::now()) > REFRESH_WINDOW => {
            crate::verbose!(
                "SSO token in {} was refreshed by another process",
                path.display()
            );
            return Ok(t.access_token);
        }
        Some(t) => t,
        None => token,
    };
    if let Some(blocker) = token.refresh_blocker(SystemTime::now()) {
        return use_or_fail(session, &path, token, blocker.to_string());
    }
    let reg = Registration {
        client_id: token.client_id.clone().unwrap_or_default(),
        client_secret: token.client_secret.clone().unwrap_or_default(),
        expires_at: token
            .registration_expires_at
            .unwrap_or(SystemTime::UNIX_EPOCH),
        scopes: Vec::new(),
        grant_types: Vec::new(),
    };
    let oidc = Oidc::new(
        net,
        token.region.as_deref().unwrap_or(&session.region),
        super::endpoint("SSO OIDC", None, getenv),
    );
    let refresh_token = token.refresh_token.clone().unwrap_or_default();
    let issued = match oidc.create_token(
        &reg,
        Grant::Refresh {
            refresh_token: &refresh_token,
        },
    ) {
        Ok(i) => i,
        Err(e) => return use_or_fail(session, &path, token, e.message),
    };
    let mut fresh = issued.into_token(session, &reg, token.refresh_token.clone());
    // Keep what the file said about where it came from.
    fresh.start_url = token.start_url.clone().or(fresh.start_url);
    fresh.region = token.region.clone().or(fresh.region);
    if let Err(e) = cache.write_token(&key, &fresh) {
        eprintln!(
            "awsrole: warning: could not save the refreshed IAM Identity Center token to {}: {e} (it is still used)",
            path.display()
        );
    }
    drop(lock);
    crate::verbose!(
        "SSO token refreshed, valid for {} minutes, saved to {}",
        fresh.time_left(SystemTime::now()).as_secs() / 60,
        path.display()
    );
    Ok(fresh.access_token)
}

/// A token that could not be refreshed: still used while it lasts,
/// otherwise the error names the login to run.
fn use_or_fail(session: &Session, path: &Path, token: Token, why: String) -> Result<String, Error> {
    let left = token.time_left(SystemTime::now());
    if left > Duration::ZERO {
        crate::verbose!(
            "SSO token in {} not refreshed ({why}); {} more minutes",
            path.display(),
            left.as_secs() / 60
        );
        return Ok(token.access_token);
    }
    Err(Error::new(
        Status::Config,
        format!(
            "profile `{}`: the IAM Identity Center sign-in token in {} has expired and cannot be refreshed ({why}); {}",
            session.who(),
            path.display(),
            session.login_hint()
        ),
    ))
}
