//! The AWS console's federation sign-in: exchange temporary credentials for
//! a sign-in token (`getSigninToken`), then build the login URL. The token
//! and the URL are bearer secrets: they never go into an error message or
//! `--verbose`. The one GET goes through awsrole's runtime and HTTP client
//! ([`Sts`]).

use std::time::Duration;

use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, OrchestratorError};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::Getenv;
use crate::creds::Credentials;
use crate::error::{Error, Status};
use crate::sts::{self, Sts, Wait};

/// Replaces the partition's federation endpoint (tests, other partitions).
pub const URL_VAR: &str = "AWSROLE_FEDERATION_URL";

/// Sent as `Issuer`: where an expired session sends the user (a name here).
const ISSUER: &str = "awsrole";

/// SessionDuration bounds AWS accepts.
pub const MIN_SESSION: Duration = Duration::from_secs(900);
pub const MAX_SESSION: Duration = Duration::from_secs(43200);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    Aws,
    China,
    GovCloud,
}

impl Partition {
    /// From a role ARN (`arn:PARTITION:...`), else from the region.
    pub fn of(arn: Option<&str>, region: Option<&str>) -> Partition {
        let named = arn.and_then(|a| a.split(':').nth(1));
        match (named, region) {
            (Some("aws-cn"), _) => Partition::China,
            (Some("aws-us-gov"), _) => Partition::GovCloud,
            (Some(_), _) => Partition::Aws,
            (None, Some(r)) if r.starts_with("cn-") => Partition::China,
            (None, Some(r)) if r.starts_with("us-gov-") => Partition::GovCloud,
            _ => Partition::Aws,
        }
    }

    fn signin_host(self) -> &'static str {
        match self {
            Partition::Aws => "signin.aws.amazon.com",
            Partition::China => "signin.amazonaws.cn",
            Partition::GovCloud => "signin.amazonaws-us-gov.com",
        }
    }

    fn console_host(self) -> &'static str {
        match self {
            Partition::Aws => "console.aws.amazon.com",
            Partition::China => "console.amazonaws.cn",
            Partition::GovCloud => "console.amazonaws-us-gov.com",
        }
    }

    /// The federation endpoint, or [`URL_VAR`].
    pub fn endpoint(self, getenv: Getenv) -> String {
        getenv(URL_VAR)
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("https://{}/federation", self.signin_host()))
    }

    /// The console page to land on: `service`'s (else the console home), in
    /// `region` when one is known.
    pub fn destination(self, region: Option<&str>, service: Option<&str>) -> String {
        let host = self.console_host();
        let page = service.unwrap_or("console");
        match region {
            Some(r) if self == Partition::Aws => {
                format!("https://{r}.{host}/{page}/home?region={r}")
            }
            Some(r) => format!("https://{host}/{page}/home?region={r}"),
            None if service.is_some() => format!("https://{host}/{page}/home"),
            None => format!("https://{host}/"),
        }
    }
}

/// The Session parameter: the credentials as JSON.
pub fn session_json(c: &Credentials) -> String {
    serde_json::json!({
        "sessionId": c.access_key_id,
        "sessionKey": c.secret_access_key,
        "sessionToken": c.session_token.as_deref().unwrap_or(""),
    })
    .to_string()
}

/// The login URL for `token` (a bearer secret).
pub fn login_url(endpoint: &str, destination: &str, token: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "login")
        .append_pair("Issuer", ISSUER)
        .append_pair("Destination", destination)
        .append_pair("SigninToken", token)
        .finish();
    format!("{endpoint}?{query}")
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// `getSigninToken` at `endpoint`; `duration` is sent as SessionDuration.
pub fn signin_token(
    net: &Sts,
    endpoint: &str,
    creds: &Credentials,
    duration: Option<Duration>,
) -> Result<String, Error> {
    let (origin, path) = split_url(endpoint)?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("Action", "getSigninToken");
    if let Some(d) = duration {
        query.append_pair("SessionDuration", &d.as_secs().to_string());
    }
    query.append_pair("Session", &session_json(creds));
    let uri = format!("{path}?{}", query.finish());
    let op = Operation::builder()
        .service_name("signin")
        .operation_name("getSigninToken")
        .http_client(net.http())
        .endpoint_url(&origin)
        .no_auth()
        .no_retry()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(sts::CONNECT_TIMEOUT)
                .operation_timeout(sts::CALL_TIMEOUT)
                .build(),
        )
        .serializer(move |_: ()| {
            let req = http::Request::builder()
                .method("GET")
                .uri(uri.clone())
                .header("accept", "application/json")
                .body(SdkBody::empty())?;
            Ok(req.try_into()?)
        })
        .deserializer(parse_token)
        .build();
    let wait = Wait {
        peer: origin.clone(),
        request: "getSigninToken".to_string(),
        limit: Some(sts::CALL_TIMEOUT),
    };
    net.block_on_noting(&wait, op.invoke(())).map_err(|e| {
        let (status, why) = match e.as_service_error() {
            Some(refused) => (Status::Sts, refused.to_string()),
            None => (
                Status::Unreachable,
                format!("could not be reached: {}", net.unreachable_why(&e)),
            ),
        };
        Error::new(status, format!("the federation endpoint {origin} {why}"))
    })
}

/// `{"SigninToken": "..."}`, or the refusal worded without the body (which
/// might echo the request).
fn parse_token(resp: &HttpResponse) -> Result<String, OrchestratorError<Refused>> {
    let status = resp.status().as_u16();
    let body = resp.body().bytes().unwrap_or_default();
    let token = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("SigninToken")?.as_str().map(str::to_string));
    match token {
        Some(t) if resp.status().is_success() && !t.is_empty() => Ok(t),
        _ => Err(OrchestratorError::operation(Refused(format!(
            "refused the credentials (HTTP {status}): it accepts role credentials and GetFederationToken credentials only, not an IAM user's keys nor GetSessionToken (MFA session) credentials"
        )))),
    }
}

/// `scheme://host[:port]` and the path of a URL.
fn split_url(url: &str) -> Result<(String, String), Error> {
    let bad = || {
        Error::new(
            Status::Config,
            format!(
                "{URL_VAR}: `{url}` is not an http(s) URL without a query (example: https://signin.aws.amazon.com/federation)"
            ),
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    if url.contains('?') || rest.is_empty() {
        return Err(bad());
    }
    let cut = url.len() - rest.len() + rest.find('/').unwrap_or(rest.len());
    let path = match &url[cut..] {
        "" => "/",
        p => p,
    };
    Ok((url[..cut].to_string(), path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_come_from_the_arn_then_the_region() {
        let p = Partition::of;
        assert_eq!(p(Some("arn:aws-cn:iam::1:role/r"), None), Partition::China);
        assert_eq!(
            p(Some("arn:aws-us-gov:iam::1:role/r"), Some("cn-north-1")),
            Partition::GovCloud
        );
        assert_eq!(p(Some("arn:aws:iam::1:role/r"), None), Partition::Aws);
        assert_eq!(p(None, Some("cn-northwest-1")), Partition::China);
        assert_eq!(p(None, Some("us-gov-west-1")), Partition::GovCloud);
        assert_eq!(p(None, None), Partition::Aws);
        let none = |_: &str| None;
        assert_eq!(
            Partition::China.endpoint(&none),
            "https://signin.amazonaws.cn/federation"
        );
        assert_eq!(
            Partition::GovCloud.endpoint(&none),
            "https://signin.amazonaws-us-gov.com/federation"
        );
    }

    #[test]
    fn destinations() {
        assert_eq!(
            Partition::Aws.destination(Some("eu-west-1"), None),
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert_eq!(
            Partition::Aws.destination(None, None),
            "https://console.aws.amazon.com/"
        );
        assert_eq!(
            Partition::China.destination(Some("cn-north-1"), Some("s3")),
            "https://console.amazonaws.cn/s3/home?region=cn-north-1"
        );
        assert_eq!(
            Partition::GovCloud.destination(None, Some("ec2")),
            "https://console.amazonaws-us-gov.com/ec2/home"
        );
    }

    #[test]
    fn login_urls_encode_every_part() {
        assert_eq!(
            login_url("https://h/federation", "https://c/?a=b&c", "t+/="),
            "https://h/federation?Action=login&Issuer=awsrole&Destination=https%3A%2F%2Fc%2F%3Fa%3Db%26c&SigninToken=t%2B%2F%3D"
        );
    }

    #[test]
    fn endpoints_split_into_origin_and_path() {
        let s = |u: &str| split_url(u).map_err(|e| e.message);
        assert_eq!(
            s("http://127.0.0.1:8/federation").unwrap(),
            ("http://127.0.0.1:8".to_string(), "/federation".to_string())
        );
        assert_eq!(
            s("https://h").unwrap(),
            ("https://h".to_string(), "/".to_string())
        );
        assert!(s("ftp://h/x").is_err());
        assert!(s("https://h/x?y").is_err());
    }
}
