//! What `list` and `status` say about IAM Identity Center sessions: the
//! token's time left and whether it can be refreshed. Reads files only.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::Session;
use super::refresh::token_state;
use crate::chain::Base;
use crate::config::Config;
use crate::style::short_duration;
use crate::timefmt::format_utc;

/// Every [sso-session], and the start URL of every legacy SSO profile.
pub fn all_sessions(config: &Config) -> Vec<Session> {
    let mut sessions = Session::all(&config.set);
    let mut names: Vec<&String> = config.set.profiles.keys().collect();
    names.sort();
    let mut seen: BTreeSet<String> = sessions.iter().map(Session::token_key).collect();
    for name in names {
        let profile = &config.set.profiles[name];
        if profile.get("sso_session").is_none()
            && profile.get("sso_start_url").is_some()
            && let Ok(s) = Session::for_profile(&config.set, name)
            && seen.insert(s.token_key())
        {
            sessions.push(s);
        }
    }
    sessions
}

/// The session a profile's chain signs in with, if any.
pub fn session_of(config: &Config, profile: &str) -> Option<Session> {
    let chain = config.chain(profile).ok()?;
    let Base::Sso { profile: base, .. } = &chain.base else {
        return None;
    };
    let mut s = Session::for_profile(&config.set, base).ok()?;
    s.profile = Some(profile.to_string());
    Some(s)
}

/// "token 52m left, can refresh (until ...)" and the same as JSON.
pub fn describe(session: &Session, home: &Path, now: SystemTime) -> (String, Value) {
    let st = token_state(session, home);
    let left = st.token.as_ref().map(|t| t.time_left(now).as_secs());
    let token = match left {
        None => "no token".to_string(),
        Some(0) => "token expired".to_string(),
        Some(s) => format!("token {} left", short_duration(s)),
    };
    let refresh = match (st.blocker, &st.token) {
        (None, Some(t)) => format!(
            "refreshes silently until {}",
            t.registration_expires_at
                .map(format_utc)
                .unwrap_or_default()
        ),
        (Some(why), _) => format!("cannot refresh ({why})"),
        (None, None) => String::new(),
    };
    let mut text = format!("{token}, {refresh}");
    if st.blocker.is_some() && left.is_none_or(|s| s == 0) {
        text.push_str(&format!("; `{}` signs in", session.login_command()));
    }
    let v = json!({
        "session": session.name,
        "start_url": session.start_url,
        "region": session.region,
        "token_file": st.path.display().to_string(),
        "expiration": st.token.as_ref().map(|t| format_utc(t.expires_at)),
        "seconds_left": left,
        "can_refresh": st.blocker.is_none(),
    });
    (text, v)
}

/// The section `list` prints after the profiles.
pub fn list_section(config: &Config, now: SystemTime) -> String {
    let Some(home) = &config.locations.home else {
        return String::new();
    };
    let sessions = all_sessions(config);
    if sessions.is_empty() {
        return String::new();
    }
    let names: Vec<String> = sessions
        .iter()
        .map(|s| s.name.clone().unwrap_or_else(|| s.start_url.clone()))
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(11);
    let mut out = format!("\n{:<width$}  TOKEN\n", "SSO SESSION");
    for (s, name) in sessions.iter().zip(&names) {
        let (text, _) = describe(s, home, now);
        out.push_str(&format!("{name:<width$}  {text}\n"));
    }
    out
}
