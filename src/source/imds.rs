//! `credential_source = Ec2InstanceMetadata`: IMDSv2 through aws-config's
//! provider, with short timeouts (a laptop without one fails in about a
//! second).

use std::time::Duration;

use super::{Context, Source, is_unreachable, provide, provider_config};
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::sts;

/// Time allowed to reach the EC2 metadata service or the container
/// credentials endpoint: a laptop without one fails in about a second.
pub const METADATA_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Time allowed for the metadata service to answer one request.
pub const METADATA_READ_TIMEOUT: Duration = Duration::from_secs(1);

pub struct Imds<'a> {
    pub profile: &'a str,
}

impl Source for Imds<'_> {
    fn credentials(&self, cx: &Context) -> Result<Credentials, Error> {
        let profile = self.profile;
        let at = cx.prefix(profile, "credential_source");
        let what = format!("{at}profile `{profile}` (credential_source = Ec2InstanceMetadata)");
        if let Some(v) = (cx.getenv)("AWS_EC2_METADATA_DISABLED")
            && v.trim().eq_ignore_ascii_case("true")
        {
            return Err(Error::new(
                Status::Config,
                format!(
                    "{what}: the EC2 instance metadata service is turned off by AWS_EC2_METADATA_DISABLED=true; unset it, or use another credential_source"
                ),
            ));
        }
        let endpoint = (cx.getenv)("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "http://169.254.169.254".to_string());
        let net = cx.net()?;
        let pc = provider_config(net, None);
        let client = aws_config::imds::Client::builder()
            .configure(&pc)
            .connect_timeout(METADATA_CONNECT_TIMEOUT)
            .read_timeout(METADATA_READ_TIMEOUT)
            .max_attempts(1)
            .build();
        let provider = aws_config::imds::credentials::ImdsCredentialsProvider::builder()
            .configure(&pc)
            .imds_client(client)
            .build();
        let peer = format!("the EC2 instance metadata service at {endpoint}");
        provide(net, peer, profile, &provider).map_err(|e| {
            if is_unreachable(&e) {
                Error::new(
                    Status::Unreachable,
                    format!(
                        "{what}: no EC2 instance metadata service answered at {endpoint} within {}s ({}); this only works on an EC2 instance (or with AWS_EC2_METADATA_SERVICE_ENDPOINT pointing at one); elsewhere use a profile with keys, SSO or another credential_source",
                        METADATA_CONNECT_TIMEOUT.as_secs() + METADATA_READ_TIMEOUT.as_secs(),
                        sts::source_chain(&e)
                    ),
                )
            } else {
                Error::new(
                    Status::Sts,
                    format!(
                        "{what}: the EC2 instance metadata service at {endpoint} gave no credentials ({}); check that the instance has an IAM instance profile (role) attached",
                        sts::source_chain(&e)
                    ),
                )
            }
        })
    }
}
