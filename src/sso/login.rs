//! `awsrole login`: sign in to one session, with the authorization-code
//! flow and PKCE by default, or the device-code flow (asked for, or when
//! there is no display), and save the token where the AWS CLI keeps it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::callback::{Callback, CallbackError};
use super::oidc::{self, Grant, Issued, Oidc};
use super::token_cache::{Registration, TokenCache};
use super::{Session, cache_dir, pkce};
use crate::Getenv;
use crate::cache::LOCK_TIMEOUT;
use crate::error::{Error, Status};
use crate::profile_file::Section;
use crate::sts::{ProfileSetting, Sts, Target};
use crate::timefmt::format_utc;

/// How long the browser flow waits for the redirect (the AWS CLI's wait).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);

pub struct LoginOptions {
    pub device_code: bool,
    pub wait: Duration,
}

/// Why the browser flow is not used by default, if it is not.
pub fn headless_reason(getenv: Getenv) -> Option<&'static str> {
    let set = |k: &str| getenv(k).is_some_and(|v| !v.is_empty());
    // A browser command named by the user opens URLs wherever it is.
    if set("BROWSER") {
        return None;
    }
    if set("SSH_CONNECTION") || set("SSH_TTY") {
        return Some("this is an SSH session");
    }
    if cfg!(target_os = "linux") && !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Some("there is no display (DISPLAY and WAYLAND_DISPLAY are unset)");
    }
    if set("container")
        || Path::new("/.dockerenv").exists()
        || Path::new("/run/.containerenv").exists()
    {
        return Some("this is a container");
    }
    None
}

/// Sign in to `session` and save the token. Returns what to say on stderr.
pub fn login(
    session: &Session,
    profile: Option<&Section>,
    home: &Path,
    opts: &LoginOptions,
    ca_bundle: Option<ProfileSetting>,
    getenv: Getenv,
) -> Result<String, Error> {
    let net = Sts::start(
        Target {
            region: session.region.clone(),
            endpoint: None,
            ca_bundle,
        },
        getenv,
    )?;
    let oidc = Oidc::new(
        &net,
        &session.region,
        super::endpoint("SSO OIDC", profile, getenv),
    );
    let device = opts.device_code || headless_reason(getenv).is_some();
    if !opts.device_code
        && let Some(why) = headless_reason(getenv)
    {
        eprintln!(
            "awsrole: {why}: using the device code sign-in (set BROWSER to use the browser flow)"
        );
    }
    let grants: &[&str] = if device {
        &[]
    } else {
        &[oidc::CODE_GRANT, oidc::REFRESH_GRANT]
    };
    let cache = TokenCache::new(cache_dir(home));
    let reg = registration(session, &oidc, &cache, grants)?;
    let issued = if device {
        super::device::sign_in(session, &oidc, &reg)?
    } else {
        browser_sign_in(session, &oidc, &reg, opts.wait, getenv)?
    };
    let token = issued.into_token(session, &reg, None);
    let key = session.token_key();
    let path = cache.path(&key);
    let write = cache
        .lock(&key, &session.who(), LOCK_TIMEOUT)
        .map_err(|e| e.to_string())
        .and_then(|_lock| cache.write_token(&key, &token).map_err(|e| e.to_string()));
    if let Err(e) = write {
        return Err(Error::new(
            Status::Failure,
            format!(
                "signed in, but could not save the token to {}: {e}",
                path.display()
            ),
        ));
    }
    let refresh = if token.refresh_token.is_some() {
        format!(
            "; awsrole refreshes it silently until {}",
            format_utc(reg.expires_at)
        )
    } else {
        String::new()
    };
    Ok(format!(
        "awsrole: signed in to {} ({}); token saved to {}, valid until {}{refresh}\n",
        session.describe(),
        session.start_url,
        path.display(),
        format_utc(token.expires_at)
    ))
}

/// The saved client registration when it is still good for `grants`,
/// otherwise a new one (saved under the AWS CLI's key).
fn registration(
    session: &Session,
    oidc: &Oidc,
    cache: &TokenCache,
    grants: &[&str],
) -> Result<Registration, Error> {
    let key = session.registration_key();
    let wanted: Vec<&str> = if grants.is_empty() {
        vec![super::token_cache::DEVICE_GRANT]
    } else {
        grants.to_vec()
    };
    if let Some(r) = cache.registration(&key)
        && r.fits(SystemTime::now(), &wanted)
        && r.scopes == session.scopes_or_default()
    {
        crate::verbose!(
            "reusing the client registration in {}",
            cache.path(&key).display()
        );
        return Ok(r);
    }
    let reg = oidc
        .register(session, grants)
        .map_err(|e| oidc::oidc_error(session, oidc, e))?;
    if let Err(e) = cache.write_registration(&key, &reg) {
        eprintln!(
            "awsrole: warning: could not save the client registration to {}: {e}",
            cache.path(&key).display()
        );
    }
    Ok(reg)
}

fn browser_sign_in(
    session: &Session,
    oidc: &Oidc,
    reg: &Registration,
    wait: Duration,
    getenv: Getenv,
) -> Result<Issued, Error> {
    let random = |e: getrandom::Error| {
        Error::new(
            Status::Failure,
            format!("no randomness from the OS for PKCE: {e}"),
        )
    };
    let verifier = pkce::verifier().map_err(random)?;
    let state = pkce::state().map_err(random)?;
    let callback = Callback::bind().map_err(|e| {
        Error::new(
            Status::Failure,
            format!(
                "cannot listen on 127.0.0.1 for the sign-in redirect: {e}; try `--device-code`"
            ),
        )
    })?;
    let redirect = callback.redirect_uri();
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&scopes={}&code_challenge={}",
        oidc.endpoint.trim_end_matches('/'),
        query_escape(&reg.client_id),
        query_escape(&redirect),
        query_escape(&state),
        query_escape(&session.scopes_or_default().join(",")),
        pkce::challenge(&verifier)
    );
    eprintln!(
        "awsrole: signing in to {} in your browser; if it does not open, open this page:\n\n    {url}\n",
        session.describe()
    );
    open_browser(&url, getenv);
    eprintln!(
        "awsrole: waiting up to {} minutes for the browser to come back to {redirect}...",
        wait.as_secs().div_ceil(60)
    );
    let code = callback.wait(&state, wait).map_err(|e| match e {
        CallbackError::TimedOut(t) => Error::new(
            Status::Unreachable,
            format!(
                "no sign-in came back from the browser within {}s; run `{}` again, or `{} --device-code` to sign in with a code instead",
                t.as_secs(),
                session.login_command(),
                session.login_command()
            ),
        ),
        CallbackError::WrongState => Error::new(
            Status::Sts,
            "the browser came back with a sign-in answer that does not belong to this login (wrong state); it was refused and no token was asked for. Run the login again".to_string(),
        ),
        CallbackError::Refused(why) => Error::new(
            Status::Sts,
            format!(
                "the sign-in was not completed in the browser ({why}); run `{}` again",
                session.login_command()
            ),
        ),
        CallbackError::Io(e) => Error::new(
            Status::Failure,
            format!("the sign-in redirect listener failed: {e}"),
        ),
    })?;
    oidc.create_token(
        reg,
        Grant::Code {
            code: &code,
            verifier: &verifier,
            redirect_uri: &redirect,
        },
    )
    .map_err(|e| oidc::oidc_error(session, oidc, e))
}

/// `$BROWSER URL`, else xdg-open (Linux) or open (macOS); a failure only
/// means the user opens the printed URL.
fn open_browser(url: &str, getenv: Getenv) {
    let browser = getenv("BROWSER").filter(|b| !b.is_empty());
    let program = browser.unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else {
            "xdg-open".into()
        }
    });
    let spawned = Command::new(&program)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("awsrole: could not start {program}: {e}; open the page above yourself");
    }
}

fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_a_form() {
        assert_eq!(
            query_escape("http://127.0.0.1:5/oauth/callback"),
            "http%3A%2F%2F127.0.0.1%3A5%2Foauth%2Fcallback"
        );
    }

    #[test]
    fn headless_rules() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(headless_reason(&env(&[("SSH_TTY", "/dev/pts/1"), ("DISPLAY", ":0")])).is_some());
        assert!(headless_reason(&env(&[("BROWSER", "firefox"), ("SSH_TTY", "x")])).is_none());
        if cfg!(target_os = "linux") {
            assert!(headless_reason(&env(&[])).is_some());
        }
    }
}
