//! `credential_process` in a profile, run by aws-config's provider (the
//! process JSON and its validation are the SDK's).

use super::{Context, Source, provide};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::sts;

pub struct Process<'a> {
    pub profile: &'a str,
    pub command: &'a str,
}

impl Source for Process<'_> {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error> {
        let (profile, command) = (self.profile, self.command);
        let at = cx.prefix(profile, "credential_process");
        let provider =
            aws_config::credential_process::CredentialProcessProvider::new(command.into());
        let peer = format!("credential_process `{command}`");
        provide(cx.net()?, peer, profile, &provider).map_err(|e| {
            Error::new(
                Status::Sts,
                format!(
                    "{at}profile `{profile}`: credential_process `{command}` failed: {}",
                    sts::source_chain(&e).trim_end()
                ),
            )
        })
    }
}
