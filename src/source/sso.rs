//! IAM Identity Center (SSO): the profile's `sso_*` settings (with its
//! `[sso-session]`'s), the sign-in token the AWS CLI's `aws sso login` left
//! in `~/.aws/sso/cache`, and aws-config's provider for the role credentials.

use std::time::SystemTime;

use aws_sdk_sts::config::Region;

use super::{Context, Source, is_unreachable, provide, provider_config};
use crate::cache;
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::sts;

pub struct Sso<'a> {
    pub profile: &'a str,
    pub settings: &'a [(String, String)],
}

impl Sso<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Source for Sso<'_> {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error> {
        let profile = self.profile;
        let at = cx.prefix(profile, "sso_account_id");
        let session = self.get("sso_session");
        let login = match session {
            Some(s) => format!("aws sso login --sso-session {s}"),
            None => format!("aws sso login --profile {profile}"),
        };
        let (Some(account), Some(role), Some(region), Some(start_url)) = (
            self.get("sso_account_id"),
            self.get("sso_role_name"),
            self.get("sso_region"),
            self.get("sso_start_url"),
        ) else {
            return Err(Error::new(
                Status::Config,
                format!(
                    "{at}profile `{profile}` uses IAM Identity Center but lacks some of sso_account_id, sso_role_name, sso_region and sso_start_url (in the profile or its [sso-session]); `aws configure sso --profile {profile}` writes them"
                ),
            ));
        };
        let net = cx.net()?;
        check_token(profile, session.unwrap_or(start_url), session, &login, cx)?;
        let pc = provider_config(net, Some(region));
        let mut builder = aws_config::sso::SsoCredentialsProvider::builder()
            .configure(&pc)
            .account_id(account)
            .role_name(role)
            .region(Region::new(region.to_string()))
            .start_url(start_url);
        if let Some(s) = session {
            builder = builder.session_name(s);
        }
        let provider = builder.build();
        let peer = format!("IAM Identity Center in {region}");
        provide(net, peer, profile, &provider).map_err(|e| {
            let text = sts::source_chain(&e);
            let status = if is_unreachable(&e) && !text.contains("Unauthorized") {
                Status::Unreachable
            } else {
                Status::Sts
            };
            Error::new(
                status,
                format!(
                    "{at}profile `{profile}`: IAM Identity Center did not give credentials for role {role} in account {account} ({text}); if the sign-in has expired, run `{login}`"
                ),
            )
        })
    }
}

/// The token cache file (`~/.aws/sso/cache/<sha1>.json`) must exist and, if
/// it has expired, be refreshable; otherwise say which login to run.
fn check_token(
    profile: &str,
    id: &str,
    session: Option<&str>,
    login: &str,
    cx: &Context,
) -> Result<(), Error> {
    let Some(home) = (cx.getenv)("HOME").filter(|h| !h.is_empty()) else {
        return Ok(());
    };
    let path = std::path::Path::new(&home)
        .join(".aws/sso/cache")
        .join(format!("{}.json", cache::sha1_hex(id)));
    let Ok(body) = std::fs::read(&path) else {
        return Err(Error::new(
            Status::Config,
            format!(
                "profile `{profile}` uses IAM Identity Center, but there is no sign-in token ({} does not exist); run `{login}`",
                path.display()
            ),
        ));
    };
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let expires = v
        .get("expiresAt")
        .and_then(|e| e.as_str())
        .and_then(crate::timefmt::parse_expiration);
    let refreshable = session.is_some()
        && v.get("refreshToken").and_then(|t| t.as_str()).is_some()
        && v.get("clientId").is_some()
        && v.get("clientSecret").is_some();
    match expires {
        Some(t) if t > SystemTime::now() || refreshable => Ok(()),
        Some(_) => Err(Error::new(
            Status::Config,
            format!(
                "profile `{profile}`: the IAM Identity Center sign-in token in {} has expired; run `{login}`",
                path.display()
            ),
        )),
        None => Err(Error::new(
            Status::Config,
            format!(
                "profile `{profile}`: the IAM Identity Center token cache {} is not usable (no expiresAt); run `{login}`",
                path.display()
            ),
        )),
    }
}
