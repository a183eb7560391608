//! `credential_source = EcsContainer`: ECS tasks, EKS Pod Identity and the
//! like, through aws-config's provider.

use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;

use super::{Context, METADATA_CONNECT_TIMEOUT, Source, is_unreachable, provide, provider_config};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::sts;

/// Time allowed for the container credentials endpoint to answer.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Ecs<'a> {
    pub profile: &'a str,
}

impl Source for Ecs<'_> {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error> {
        let profile = self.profile;
        let at = cx.prefix(profile, "credential_source");
        let what = format!("{at}profile `{profile}` (credential_source = EcsContainer)");
        let get = |k: &str| (cx.getenv)(k).filter(|v| !v.is_empty());
        let relative = get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        let full = get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        let uri = match (&relative, &full) {
            (Some(r), _) => format!("http://169.254.170.2{r}"),
            (None, Some(f)) => f.clone(),
            (None, None) => {
                return Err(Error::new(
                    Status::Config,
                    format!(
                        "{what}: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set; they are set inside ECS tasks, EKS pods with Pod Identity and similar containers; elsewhere use another credential_source"
                    ),
                ));
            }
        };
        if let Some(file) = get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
            && let Err(e) = std::fs::metadata(&file)
        {
            return Err(Error::new(
                Status::Config,
                format!("{what}: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {file}: {e}"),
            ));
        }
        let net = cx.net()?;
        let pc = provider_config(net, None);
        let provider = aws_config::ecs::EcsCredentialsProvider::builder()
            .configure(&pc)
            .connect_timeout(METADATA_CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build();
        let peer = format!("the container credentials endpoint {uri}");
        provide(net, peer, profile, &provider).map_err(|e| match e {
            CredentialsError::InvalidConfiguration(_) => Error::new(
                Status::Config,
                format!(
                    "{what}: the container credentials endpoint {uri} cannot be used ({}); a full URI must be https, or http to a loopback or ECS/EKS link-local address",
                    sts::source_chain(&e)
                ),
            ),
            e if is_unreachable(&e) => Error::new(
                Status::Unreachable,
                format!(
                    "{what}: the container credentials endpoint {uri} could not be reached ({})",
                    sts::source_chain(&e)
                ),
            ),
            e => Error::new(
                Status::Sts,
                format!(
                    "{what}: the container credentials endpoint {uri} gave no credentials ({}); check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)",
                    sts::source_chain(&e)
                ),
            ),
        })
    }
}
