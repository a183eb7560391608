//! `awsrole login [PROFILE | --sso-session NAME] [--device-code]`: sign in
//! to IAM Identity Center and save the token in the AWS CLI's SSO cache.

use crate::Getenv;
use crate::chain::Base;
use crate::cli::LoginCli;
use crate::config::{self, Config};
use crate::error::{Error, Status};
use crate::sso::Session;
use crate::sso::login::{self, LoginOptions};

pub fn run(args: &LoginCli, getenv: Getenv) -> Result<String, Error> {
    let config = Config::load(getenv)?;
    let Some(home) = config.locations.home.clone() else {
        return Err(Error::new(
            Status::Failure,
            "no home directory (HOME is not set), so there is no ~/.aws/sso/cache to save the token in",
        ));
    };
    let (session, section) = match &args.sso_session {
        Some(name) => (Session::named(&config.set, name)?, None),
        None => {
            let name = config::profile_name(args.profile.as_deref(), getenv);
            let session = session_of_profile(&config, &name)?;
            (session, config.set.profiles.get(&name))
        }
    };
    let opts = LoginOptions {
        device_code: args.device_code,
        wait: args.timeout,
    };
    // botocore reads ca_bundle from the session's profile, also for a
    // named sso-session.
    let profile = config::profile_name(args.profile.as_deref(), getenv);
    let ca_bundle = config.setting(&profile, "ca_bundle");
    let said = login::login(&session, section, &home, &opts, ca_bundle, getenv)?;
    eprint!("{said}");
    Ok(String::new())
}

/// The session of profile `name`, or of its chain's SSO source.
pub fn session_of_profile(config: &Config, name: &str) -> Result<Session, Error> {
    let chain = config.chain(name)?;
    let Base::Sso { profile, .. } = &chain.base else {
        return Err(Error::new(
            Status::Config,
            format!(
                "profile `{name}` does not get its credentials from IAM Identity Center (no sso_session or sso_start_url in it or its source profiles); nothing to sign in to"
            ),
        ));
    };
    let mut session = Session::for_profile(&config.set, profile)?;
    session.profile = Some(name.to_string());
    Ok(session)
}
