//! Proxies from the environment, read and matched as botocore does on Linux
//! (it asks Python's `urllib.request.getproxies()` and `proxy_bypass()`):
//!
//! - `https_proxy` / `HTTPS_PROXY` for `https://` URLs, `http_proxy` /
//!   `HTTP_PROXY` for `http://` URLs; the lowercase name wins, and a
//!   lowercase name set to "" switches the proxy off even when the
//!   uppercase one is set. `HTTP_PROXY` (uppercase) is ignored when
//!   `REQUEST_METHOD` is set (a CGI script: CVE-2016-1000110). `ALL_PROXY`
//!   is not used (botocore looks the proxy up by the URL's scheme only).
//! - A proxy URL without a scheme gets `http://`.
//! - `no_proxy` / `NO_PROXY`: `*` alone bypasses every host; otherwise a
//!   comma-separated list of host names (a leading `.` is ignored) that
//!   match the host or any name ending in `.NAME`, compared with and
//!   without the URL's port, case-insensitively. IP addresses match only
//!   literally: botocore does not read CIDR ranges (`10.0.0.0/8`), and
//!   neither does awsrole.

use crate::Getenv;

/// One proxy, as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// With `http://` added when it had no scheme; may hold a password.
    pub url: String,
    /// The variable it came from, e.g. `HTTPS_PROXY`.
    pub var: &'static str,
}

impl Proxy {
    /// The URL with any user name and password replaced by `***`, for
    /// messages.
    pub fn shown(&self) -> String {
        redact(&self.url)
    }
}

/// The proxies of the environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxies {
    pub https: Option<Proxy>,
    pub http: Option<Proxy>,
    pub no_proxy: Option<String>,
}

impl Proxies {
    pub fn from_env(getenv: Getenv) -> Proxies {
        let cgi = getenv("REQUEST_METHOD").is_some();
        Proxies {
            https: read(getenv, "https_proxy", "HTTPS_PROXY", false).map(|(url, var)| Proxy {
                url: with_scheme(&url),
                var,
            }),
            http: read(getenv, "http_proxy", "HTTP_PROXY", cgi).map(|(url, var)| Proxy {
                url: with_scheme(&url),
                var,
            }),
            no_proxy: read(getenv, "no_proxy", "NO_PROXY", false).map(|(v, _)| v),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.https.is_none() && self.http.is_none()
    }

    /// The proxy for `url` (`scheme://host[:port]/...`), or `None` to
    /// connect directly.
    pub fn for_url(&self, url: &str) -> Option<&Proxy> {
        let (scheme, rest) = url.split_once("://")?;
        let proxy = match scheme.to_ascii_lowercase().as_str() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
        match &self.no_proxy {
            Some(list) if bypass(list, netloc) => None,
            _ => Some(proxy),
        }
    }
}

/// The lowercase variable first (set but empty: no proxy at all), then the
/// uppercase one unless `skip_upper`.
fn read(
    getenv: Getenv,
    lower: &'static str,
    upper: &'static str,
    skip_upper: bool,
) -> Option<(String, &'static str)> {
    match getenv(lower) {
        Some(v) if v.is_empty() => return None,
        Some(v) => return Some((v, lower)),
        None => {}
    }
    if skip_upper {
        return None;
    }
    getenv(upper).filter(|v| !v.is_empty()).map(|v| (v, upper))
}

fn with_scheme(url: &str) -> String {
    if url.starts_with("http:") || url.starts_with("https:") {
        url.to_string()
    } else if let Some(rest) = url.strip_prefix("//") {
        format!("http://{rest}")
    } else {
        format!("http://{url}")
    }
}

/// urllib's `proxy_bypass_environment` for `netloc` (`host[:port]`).
pub fn bypass(no_proxy: &str, netloc: &str) -> bool {
    if no_proxy == "*" {
        return true;
    }
    let host = netloc.to_ascii_lowercase();
    let host_only = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => host.clone(),
    };
    no_proxy.split(',').any(|name| {
        let name = name.trim();
        if name.is_empty() {
            return false;
        }
        let name = name.trim_start_matches('.').to_ascii_lowercase();
        let dotted = format!(".{name}");
        host_only == name || host == name || host_only.ends_with(&dotted) || host.ends_with(&dotted)
    })
}

/// `scheme://user:pass@host` -> `scheme://***:***@host`.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}***:***@{host}{tail}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn proxies(env: &[(&str, &str)]) -> Proxies {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Proxies::from_env(&|k: &str| env.get(k).cloned())
    }

    #[test]
    fn lowercase_wins_and_empty_lowercase_switches_off() {
        let p = proxies(&[("HTTPS_PROXY", "http://a:1"), ("https_proxy", "b:2")]);
        assert_eq!(p.https.as_ref().unwrap().url, "http://b:2");
        assert_eq!(p.https.as_ref().unwrap().var, "https_proxy");
        let p = proxies(&[("HTTPS_PROXY", "http://a:1"), ("https_proxy", "")]);
        assert_eq!(p.https, None);
        let p = proxies(&[("HTTPS_PROXY", "//a:1")]);
        assert_eq!(p.https.unwrap().url, "http://a:1");
        // ALL_PROXY is not botocore's.
        assert!(proxies(&[("ALL_PROXY", "http://a:1")]).is_empty());
    }

    #[test]
    fn cgi_ignores_uppercase_http_proxy() {
        let p = proxies(&[("HTTP_PROXY", "http://a:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(p.http, None);
        let p = proxies(&[("http_proxy", "http://a:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(p.http.unwrap().url, "http://a:1");
    }

    #[test]
    fn proxy_by_scheme_and_no_proxy() {
        let p = proxies(&[
            ("HTTPS_PROXY", "http://s:1"),
            ("HTTP_PROXY", "http://h:2"),
            ("NO_PROXY", "example.com, .internal,127.0.0.1:5000"),
        ]);
        let via = |u: &str| p.for_url(u).map(|p| p.url.clone());
        assert_eq!(
            via("https://sts.amazonaws.com/").as_deref(),
            Some("http://s:1")
        );
        assert_eq!(
            via("http://sts.amazonaws.com/").as_deref(),
            Some("http://h:2")
        );
        assert_eq!(via("https://example.com/"), None);
        assert_eq!(via("https://a.b.EXAMPLE.com:443/"), None);
        assert_eq!(
            via("https://notexample.com/").as_deref(),
            Some("http://s:1")
        );
        assert_eq!(via("https://x.internal/"), None);
        assert_eq!(via("http://127.0.0.1:5000/"), None);
        assert_eq!(via("http://127.0.0.1:5001/").as_deref(), Some("http://h:2"));
    }

    #[test]
    fn bypass_follows_urllib() {
        assert!(bypass("*", "anything:1"));
        assert!(!bypass("a, *", "anything"));
        assert!(bypass("localhost", "localhost:8080"));
        assert!(bypass("127.0.0.1", "127.0.0.1"));
        // No CIDR in botocore.
        assert!(!bypass("127.0.0.0/8", "127.0.0.1"));
        assert!(!bypass("", "host"));
        assert!(!bypass(" , ,", "host"));
        assert!(bypass("[::1]", "[::1]:443"));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("http://user:s3cret@proxy:8080/x"),
            "http://***:***@proxy:8080/x"
        );
        assert_eq!(redact("http://proxy:8080"), "http://proxy:8080");
        assert_eq!(redact("http://u:p@ss@proxy"), "http://***:***@proxy");
    }
}
