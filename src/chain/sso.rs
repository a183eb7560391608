//! A profile's IAM Identity Center settings, with its `[sso-session]`'s.

use super::{Base, ChainError, ErrorKind};
use crate::profile_file::{ProfileSet, Section};

/// SSO settings as aws-config validates them; `None` when the profile has none.
pub(super) fn sso_settings(
    set: &ProfileSet,
    profile: &Section,
    name: &str,
) -> Result<Option<Base>, ChainError> {
    const KEYS: [&str; 5] = [
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
    ];
    if KEYS.iter().all(|k| profile.get(k).is_none()) {
        return Ok(None);
    }
    let err =
        |message: String| ChainError::new(ErrorKind::InvalidSso, Some(profile), name, message);
    let account = profile.get("sso_account_id");
    let role = profile.get("sso_role_name");
    match (account, role) {
        (None, Some(_)) => {
            return Err(err(format!(
                "profile `{name}`: if `sso_role_name` is set, then `sso_account_id` must also be set"
            )));
        }
        (Some(_), None) => {
            return Err(err(format!(
                "profile `{name}`: if `sso_account_id` is set, then `sso_role_name` must also be set"
            )));
        }
        _ => {}
    }
    let mut settings: Vec<(String, String)> = KEYS
        .iter()
        .filter_map(|k| profile.get(k).map(|v| (k.to_string(), v.to_string())))
        .collect();
    if let Some(session_name) = profile.get("sso_session") {
        let Some(session) = set.sso_sessions.get(session_name) else {
            return Err(err(format!(
                "sso-session named `{session_name}` (referenced by profile `{name}`) was not found: add [sso-session {session_name}]"
            )));
        };
        if profile.get("sso_region").is_some() {
            return Err(err(format!(
                "profile `{name}`: `sso_region` can only be specified in the [sso-session] config when a session name is given; move it to [sso-session {session_name}]"
            )));
        }
        for key in ["sso_region", "sso_start_url"] {
            if let Some(v) = session.get(key) {
                settings.retain(|(k, _)| k != key);
                settings.push((key.to_string(), v.to_string()));
            }
        }
    }
    settings.sort();
    Ok(Some(Base::Sso {
        profile: name.to_string(),
        settings,
    }))
}
