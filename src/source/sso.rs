//! IAM Identity Center (SSO): the profile's `sso_*` settings (with its
//! `[sso-session]`'s), the sign-in token in the AWS CLI's `~/.aws/sso/cache`
//! (refreshed under its lock by `crate::sso`), and the portal's role
//! credentials.

use super::{Context, Source};
use crate::creds::Credentials;
use crate::error::{Error, Status};

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
            Some(s) => {
                format!("run `awsrole login {profile}` (or `aws sso login --sso-session {s}`)")
            }
            None => {
                format!("run `awsrole login {profile}` (or `aws sso login --profile {profile}`)")
            }
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
        let sso_session = crate::sso::Session {
            profile: Some(profile.to_string()),
            name: session.map(str::to_string),
            start_url: start_url.to_string(),
            region: region.to_string(),
            scopes: None,
        };
        let locations = crate::files::locate(cx.getenv, crate::files::current_platform());
        let home = locations.home.ok_or_else(|| {
            Error::new(
                Status::Config,
                format!(
                    "profile `{profile}` uses IAM Identity Center, but HOME is not set, so there is no ~/.aws/sso/cache; {login}"
                ),
            )
        })?;
        let net = cx.net()?;
        let token = crate::sso::refresh::access_token(&sso_session, &home, cx.getenv, net)?;
        crate::sso::portal::role_credentials(&sso_session, account, role, &token, cx.getenv, net)
    }
}
