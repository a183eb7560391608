//! The run's one HTTP client: rustls with ring over the SDK's hyper
//! connector, with the CA bundle and the proxies of the environment, as the
//! AWS CLI uses them.
//!
//! - CA bundle: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`, else
//!   `REQUESTS_CA_BUNDLE` (botocore's order). A bundle *replaces* the
//!   default roots, as botocore hands it to urllib3 as `ca_certs`.
//! - Proxies: see [`super::proxy`]. The SDK's connector does the proxying
//!   (CONNECT tunnels for `https://`, absolute-form requests for `http://`,
//!   Basic auth from the URL); which proxy a request takes, if any, is
//!   decided here, per request, with botocore's rules rather than the
//!   SDK's own `NO_PROXY` reading (which takes CIDR ranges and ignores
//!   ports, unlike botocore).
//!
//! Connectors are built once per timeout setting and shared by every SDK
//! client of the run, so requests to one host reuse one connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Connector, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use super::proxy::{Proxies, Proxy};
use crate::Getenv;
use crate::config::ProfileSetting;
use crate::error::{Error, Status};

/// The CA bundle in use, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub path: String,
    /// `AWS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE` or the profile setting.
    pub origin: String,
}

/// How the run reaches the network: its TLS trust and proxies.
#[derive(Clone, Debug)]
pub struct NetSettings {
    pub proxies: Proxies,
    pub bundle: Option<Bundle>,
}

impl NetSettings {
    /// Read from the environment and the profile's `ca_bundle` (already
    /// looked up by the caller). Reads no file.
    pub fn read(getenv: Getenv, profile_ca_bundle: Option<&ProfileSetting>) -> NetSettings {
        let env = |name: &str| getenv(name).filter(|v| !v.trim().is_empty());
        let bundle = env("AWS_CA_BUNDLE")
            .map(|path| Bundle {
                path,
                origin: "AWS_CA_BUNDLE".to_string(),
            })
            .or_else(|| {
                profile_ca_bundle
                    .filter(|s| !s.value.trim().is_empty())
                    .map(|s| Bundle {
                        path: s.value.clone(),
                        origin: s.origin.clone(),
                    })
            })
            .or_else(|| {
                env("REQUESTS_CA_BUNDLE").map(|path| Bundle {
                    path,
                    origin: "REQUESTS_CA_BUNDLE".to_string(),
                })
            });
        NetSettings {
            proxies: Proxies::from_env(getenv),
            bundle,
        }
    }
}

/// The TLS trust: the system's roots, or only the bundle's certificates.
fn tls_context(bundle: Option<&Bundle>, getenv: Getenv) -> Result<TlsContext, Error> {
    let Some(bundle) = bundle else {
        let Some(pem) = super::roots::system_bundle(getenv) else {
            return Ok(TlsContext::default());
        };
        let store = TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(pem);
        return TlsContext::builder()
            .with_trust_store(store)
            .build()
            .map_err(|e| Error::new(Status::Failure, format!("cannot set up TLS: {e}")));
    };
    let bad = |why: String| {
        Error::new(
            Status::Config,
            format!(
                "cannot use the CA bundle {} ({}): {why}",
                bundle.path, bundle.origin
            ),
        )
    };
    let pem = std::fs::read(&bundle.path).map_err(|e| bad(e.to_string()))?;
    // Checked here: the SDK panics on a certificate it cannot parse.
    let pem = super::roots::checked_bundle(&pem).map_err(bad)?;
    let store = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem);
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| bad(e.to_string()))
}

fn proxy_config(proxy: &Proxy) -> Result<ProxyConfig, Error> {
    ProxyConfig::all(proxy.url.as_str()).map_err(|e| {
        Error::new(
            Status::Config,
            format!(
                "{} is not a usable proxy URL ({}): {}",
                proxy.var,
                proxy.shown(),
                super::proxy::redact(&e.to_string())
            ),
        )
    })
}

/// What the last request went through: the proxy, or `None` for a direct
/// connection. Read by the error wording.
pub type LastProxy = Arc<Mutex<Option<Proxy>>>;

/// Connect and read timeouts: the SDK's clients ask for a connector per
/// setting.
type Timeouts = (Option<Duration>, Option<Duration>);

/// The HTTP client of a run. `direct` clients never use a proxy (instance
/// metadata and container endpoints).
#[derive(Debug)]
struct Transport {
    tls: TlsContext,
    proxies: Proxies,
    https: Option<ProxyConfig>,
    http: Option<ProxyConfig>,
    last: LastProxy,
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

/// Build the run's client and the one for metadata endpoints (same TLS
/// trust, no proxy). Reads the CA bundle, or the system's.
pub fn clients(
    net: &NetSettings,
    getenv: Getenv,
) -> Result<(SharedHttpClient, SharedHttpClient, LastProxy), Error> {
    let tls = tls_context(net.bundle.as_ref(), getenv)?;
    let https = net.proxies.https.as_ref().map(proxy_config).transpose()?;
    let http = net.proxies.http.as_ref().map(proxy_config).transpose()?;
    let last = LastProxy::default();
    let make = |proxies: Proxies, https, http| {
        SharedHttpClient::new(Transport {
            tls: tls.clone(),
            proxies,
            https,
            http,
            last: last.clone(),
            connectors: Mutex::default(),
        })
    };
    let main = make(net.proxies.clone(), https, http);
    let direct = make(Proxies::default(), None, None);
    Ok((main, direct, last))
}

impl HttpClient for Transport {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut cache = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let base = || {
                    let mut b = Connector::builder();
                    b.set_connector_settings(Some(settings.clone()));
                    b.set_sleep_impl(components.sleep_impl());
                    b
                };
                SharedHttpConnector::new(Routed {
                    tls: self.tls.clone(),
                    proxies: self.proxies.clone(),
                    last: self.last.clone(),
                    direct: Lazy::new(base(), None),
                    https: self.https.clone().map(|p| Lazy::new(base(), Some(p))),
                    http: self.http.clone().map(|p| Lazy::new(base(), Some(p))),
                })
            })
            .clone()
    }
}

/// A connector built on first use (building one sets up rustls).
#[derive(Debug)]
struct Lazy {
    builder: Mutex<Option<(ConnectorBuilder, Option<ProxyConfig>)>>,
    built: OnceLock<Connector>,
}

impl Lazy {
    fn new(builder: ConnectorBuilder, proxy: Option<ProxyConfig>) -> Lazy {
        Lazy {
            builder: Mutex::new(Some((builder, proxy))),
            built: OnceLock::new(),
        }
    }

    fn get(&self, tls: &TlsContext) -> &Connector {
        self.built.get_or_init(|| {
            let (mut b, proxy) = self
                .builder
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .expect("built once");
            if let Some(p) = proxy {
                b = b.proxy_config(p);
            }
            b.tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .tls_context(tls.clone())
            .build()
        })
    }
}

/// Sends each request directly or through the proxy its URL calls for.
#[derive(Debug)]
struct Routed {
    tls: TlsContext,
    proxies: Proxies,
    last: LastProxy,
    direct: Lazy,
    https: Option<Lazy>,
    http: Option<Lazy>,
}

impl HttpConnector for Routed {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let proxy = self.proxies.for_url(request.uri()).cloned();
        let via = match proxy {
            None => None,
            Some(_) if is_https(request.uri()) => self.https.as_ref(),
            Some(_) => self.http.as_ref(),
        };
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = proxy;
        via.unwrap_or(&self.direct).get(&self.tls).call(request)
    }
}

fn is_https(uri: &str) -> bool {
    uri.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// A network failure of a request to `endpoint` worded for what failed:
/// the TLS verification (naming the CA bundle in use or the settings that
/// name one) or the proxy (naming its variable). `None` for any other
/// failure, which the caller words. Never shows a proxy password.
pub fn explain_failure(
    endpoint: &str,
    purpose: &str,
    why: &str,
    proxy: Option<&Proxy>,
    bundle: Option<&Bundle>,
) -> Option<String> {
    let why = match proxy {
        Some(p) => scrub(why, p),
        None => why.to_string(),
    };
    let via = proxy
        .map(|p| format!(" (through the proxy {} from {})", p.shown(), p.var))
        .unwrap_or_default();
    let lower = why.to_ascii_lowercase();
    if lower.contains("invalid peer certificate") {
        let hint = match bundle {
            Some(b) => format!(
                "its certificate is not signed by a CA in {} ({}): check that file",
                b.path, b.origin
            ),
            None => "its certificate is not signed by a CA this system trusts: if a proxy or firewall re-signs TLS, set AWS_CA_BUNDLE (or ca_bundle in the profile) to a file with its CA certificate".to_string(),
        };
        return Some(format!(
            "TLS verification of {endpoint}{via} failed {purpose}: {why}; {hint}"
        ));
    }
    if lower.contains("tls handshake") || lower.contains("received fatal alert") {
        return Some(format!(
            "the TLS handshake with {endpoint}{via} failed {purpose}: {why}; check that it speaks HTTPS, and any AWS_CA_BUNDLE / ca_bundle setting"
        ));
    }
    let p = proxy?;
    Some(format!(
        "could not reach {endpoint} {purpose} through the proxy {} ({}): {why}; check {} (and NO_PROXY for hosts to reach directly)",
        p.shown(),
        p.var,
        p.var
    ))
}

/// `why` (an error's causes) with what failed added: see [`unreachable_why`].
///
/// [`unreachable_why`]: super::Sts::unreachable_why
pub fn annotate(why: &str, proxy: Option<&Proxy>, bundle: Option<&Bundle>) -> String {
    let mut text = match proxy {
        Some(p) => scrub(why, p),
        None => why.to_string(),
    };
    if text
        .to_ascii_lowercase()
        .contains("invalid peer certificate")
    {
        text.push_str(&match bundle {
            Some(b) => format!(
                " (TLS verification failed: the certificate is not signed by a CA in {} from {})",
                b.path, b.origin
            ),
            None => " (TLS verification failed: if a proxy or firewall re-signs TLS, set AWS_CA_BUNDLE or ca_bundle in the profile to a file with its CA certificate)".to_string(),
        });
    } else if let Some(p) = proxy {
        text.push_str(&format!(
            " (through the proxy {} from {}: check it, and NO_PROXY for hosts to reach directly)",
            p.shown(),
            p.var
        ));
    }
    text
}

/// `text` without the proxy's user name and password.
fn scrub(text: &str, proxy: &Proxy) -> String {
    let mut out = text.replace(&proxy.url, &proxy.shown());
    let authority = proxy
        .url
        .split_once("://")
        .map_or(proxy.url.as_str(), |(_, r)| r);
    let authority = authority.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        for part in userinfo.split(':').filter(|p| p.len() >= 3) {
            out = out.replace(part, "***");
            let decoded = percent_decode(part);
            if decoded.len() >= 3 {
                out = out.replace(&decoded, "***");
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy() -> Proxy {
        Proxy {
            url: "http://me:p%40ss-word@127.0.0.1:3128".to_string(),
            var: "HTTPS_PROXY",
        }
    }

    #[test]
    fn proxy_failures_name_the_variable_never_the_password() {
        let text = explain_failure(
            "https://sts.example",
            "to assume R",
            "tunnel error: p@ss-word http://me:p%40ss-word@127.0.0.1:3128",
            Some(&proxy()),
            None,
        )
        .unwrap();
        assert!(text.contains("through the proxy http://***:***@127.0.0.1:3128 (HTTPS_PROXY)"));
        assert!(text.contains("check HTTPS_PROXY"), "{text}");
        assert!(!text.contains("ss-word"), "{text}");
    }

    #[test]
    fn tls_failures_name_the_bundle_or_the_fix() {
        let why = "dispatch failure: TLS handshake failed: invalid peer certificate: UnknownIssuer";
        let text = explain_failure("https://h", "to assume R", why, None, None).unwrap();
        assert!(
            text.starts_with("TLS verification of https://h failed"),
            "{text}"
        );
        assert!(text.contains("set AWS_CA_BUNDLE"), "{text}");
        let bundle = Bundle {
            path: "/ca.pem".into(),
            origin: "AWS_CA_BUNDLE".into(),
        };
        let text = explain_failure("https://h", "x", why, None, Some(&bundle)).unwrap();
        assert!(
            text.contains("not signed by a CA in /ca.pem (AWS_CA_BUNDLE)"),
            "{text}"
        );
        assert_eq!(
            explain_failure("https://h", "x", "connection refused", None, None),
            None
        );
    }

    #[test]
    fn a_bundle_setting_and_its_precedence() {
        let profile = ProfileSetting {
            value: "/p.pem".into(),
            origin: "ca_bundle in [profile p]".into(),
        };
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = env(&[
            ("AWS_CA_BUNDLE", "/e.pem"),
            ("REQUESTS_CA_BUNDLE", "/r.pem"),
        ]);
        let n = NetSettings::read(&both, Some(&profile));
        assert_eq!(n.bundle.unwrap().path, "/e.pem");
        let req = env(&[("REQUESTS_CA_BUNDLE", "/r.pem")]);
        assert_eq!(
            NetSettings::read(&req, Some(&profile)).bundle.unwrap().path,
            "/p.pem"
        );
        assert_eq!(
            NetSettings::read(&req, None).bundle.unwrap().origin,
            "REQUESTS_CA_BUNDLE"
        );
        assert_eq!(NetSettings::read(&env(&[]), None).bundle, None);
    }

    #[test]
    fn a_bad_bundle_is_a_config_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("awsrole-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("b.pem");
        for body in [
            "",
            "not pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            std::fs::write(&file, body).unwrap();
            let b = Bundle {
                path: file.display().to_string(),
                origin: "AWS_CA_BUNDLE".into(),
            };
            let e = tls_context(Some(&b), &|_| None).unwrap_err();
            assert_eq!(e.status, Status::Config);
            assert!(e.message.contains("(AWS_CA_BUNDLE)"), "{}", e.message);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
