//! An HTTP answer that did not come from STS: a captive portal's page, a
//! proxy's or gateway's error, a web server an endpoint URL points at.
//!
//! It is described by its status line and a few headers. Of its body only
//! the length is kept, and, for `--verbose`, an HTML `<title>` that passes
//! [`safe_title`]: such a page may echo what we sent (the signed request
//! carries the access key id and session token, a web identity token, an
//! MFA code), so anything shaped like those is never shown. The `Server`
//! header, free text too, goes through the same filter; the content type
//! and a redirect's host are protocol fields the responder needs intact.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// What a non-STS answer looked like.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Foreign {
    pub status: u16,
    pub content_type: Option<String>,
    /// The host a redirect points to (a captive portal's sign-in page).
    pub redirect_host: Option<String>,
    pub server: Option<String>,
    /// AWS stamps every answer with a request id; a proxy's page has none.
    pub request_id: bool,
    pub length: usize,
    pub title: Option<String>,
}

impl Foreign {
    pub(super) fn read(raw: &HttpResponse) -> Foreign {
        let headers = raw.headers();
        let header = |name: &str| headers.get(name).map(clean_header);
        let body = raw.body().bytes().unwrap_or_default();
        Foreign {
            status: raw.status().as_u16(),
            content_type: header("content-type")
                .map(|t| t.split(';').next().unwrap_or("").trim().to_string())
                .filter(|t| !t.is_empty()),
            redirect_host: headers.get("location").and_then(host_of),
            // Free text the responder chose: filtered like the title.
            server: header("server").map(|v| safe_title(&v).unwrap_or_else(|| "(withheld)".into())),
            request_id: headers.get("x-amzn-requestid").is_some()
                || headers.get("x-amz-request-id").is_some(),
            length: body.len(),
            title: html_title(body).and_then(|t| safe_title(&t)),
        }
    }

    /// A 5xx: the proxy or gateway could not reach STS (or is down).
    pub(super) fn is_server_error(&self) -> bool {
        (500..600).contains(&self.status)
    }

    /// "HTTP 502 Bad Gateway (text/html)", "HTTP 302 Found (redirect to h)".
    pub(super) fn status_line(&self) -> String {
        let mut text = format!("HTTP {}", self.status);
        if let Some(reason) = reason(self.status) {
            text.push(' ');
            text.push_str(reason);
        }
        match (&self.redirect_host, &self.content_type) {
            (Some(host), _) if (300..400).contains(&self.status) => {
                text.push_str(&format!(" (redirect to {host})"));
            }
            (_, Some(t)) => text.push_str(&format!(" ({t})")),
            (_, None) if self.length == 0 => text.push_str(" (empty)"),
            _ => {}
        }
        text
    }

    /// Who probably answered, and what to do about it.
    pub(super) fn hint(&self) -> &'static str {
        match self.status {
            511 => {
                "from a captive portal that wants you to sign in (hotel, airport or train Wi-Fi): open any web page in a browser, sign in, and try again"
            }
            407 => {
                "a proxy on this network wants credentials: ask its administrator, or use a network without it"
            }
            500..=599 => "from a proxy or gateway that probably could not reach STS",
            300..=399 => {
                "a redirect, as captive portals make (hotel, airport or train Wi-Fi): open any web page in a browser, sign in, and try again"
            }
            _ => {
                "a captive portal (sign in through a browser), an intercepting proxy or an endpoint URL that does not lead to STS answered instead"
            }
        }
    }

    /// The details for `--verbose`: headers and the page's title.
    pub(super) fn details(&self) -> String {
        let mut parts = vec![
            format!("{} bytes", self.length),
            format!(
                "content type {}",
                self.content_type.as_deref().unwrap_or("none")
            ),
            format!("server {}", self.server.as_deref().unwrap_or("not named")),
            if self.request_id {
                "with an AWS request id".to_string()
            } else {
                "no AWS request id (AWS sets one on every answer)".to_string()
            },
        ];
        if let Some(host) = &self.redirect_host {
            parts.push(format!("redirect to {host}"));
        }
        if let Some(t) = &self.title {
            parts.push(format!("page title \"{t}\""));
        }
        format!("HTTP {}: {}", self.status, parts.join(", "))
    }
}

/// Reason phrases of the statuses such answers have.
fn reason(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        511 => "Network Authentication Required",
        _ => return None,
    })
}

/// A header value fit for one line: printable ASCII, at most 60 characters.
fn clean_header(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(60)
        .collect::<String>()
        .trim()
        .to_string()
}

/// The host of a `Location` URL, and nothing else of it (its query may
/// carry anything).
fn host_of(location: &str) -> Option<String> {
    let rest = location.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let ok = !host.is_empty()
        && host.len() <= 100
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then(|| host.to_string())
}

/// The text of the first `<title>` in the first 64 KiB, white space folded.
fn html_title(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned();
    let lower = head.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let text: Vec<&str> = head[start..end].split_whitespace().collect();
    Some(text.join(" "))
}

/// A title shown only when it is short, printable and holds nothing shaped
/// like what a request carries: no run of 16 or more key or token
/// characters (access key ids, secrets, session and web identity tokens,
/// signatures) and no run of 6 or more digits (MFA codes).
fn safe_title(title: &str) -> Option<String> {
    if title.is_empty() || title.chars().count() > 80 || title.chars().any(char::is_control) {
        return None;
    }
    let mut token_run = 0;
    let mut digit_run = 0;
    for c in title.chars() {
        let token_char = c.is_ascii_alphanumeric() || "+/=_-%.".contains(c);
        token_run = if token_char { token_run + 1 } else { 0 };
        digit_run = if c.is_ascii_digit() { digit_run + 1 } else { 0 };
        if token_run >= 16 || digit_run >= 6 {
            return None;
        }
    }
    Some(title.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn answer(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Foreign {
        let mut raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body));
        for (k, v) in headers {
            raw.headers_mut().insert(*k, *v);
        }
        Foreign::read(&raw)
    }

    #[test]
    fn a_portal_page_is_described_by_status_type_and_title() {
        let f = answer(
            200,
            &[
                ("content-type", "text/html; charset=utf-8"),
                ("server", "nginx"),
            ],
            "<html><head><TITLE>\n  Welcome to Hotel\tWi-Fi </title></head></html>",
        );
        assert_eq!(f.status_line(), "HTTP 200 OK (text/html)");
        assert_eq!(f.title.as_deref(), Some("Welcome to Hotel Wi-Fi"));
        assert!(!f.is_server_error());
        let d = f.details();
        assert!(
            d.contains("server nginx") && d.contains("no AWS request id"),
            "{d}"
        );
    }

    #[test]
    fn statuses_empty_bodies_and_redirects() {
        let f = answer(503, &[], "");
        assert_eq!(f.status_line(), "HTTP 503 Service Unavailable (empty)");
        assert!(f.is_server_error());
        let f = answer(
            302,
            &[(
                "location",
                "http://user:pw@login.portal.example:8080/x?orig=secret",
            )],
            "",
        );
        assert_eq!(
            f.status_line(),
            "HTTP 302 Found (redirect to login.portal.example:8080)"
        );
        assert_eq!(answer(599, &[], "x").status_line(), "HTTP 599");
        assert!(answer(200, &[("x-amzn-RequestId", "r")], "").request_id);
        let echoing = answer(200, &[("server", "echo AKIAIOSFODNN7EXAMPLE")], "");
        assert_eq!(echoing.server.as_deref(), Some("(withheld)"));
    }

    #[test]
    fn titles_that_may_echo_the_request_are_never_shown() {
        for t in [
            "Denied AKIAIOSFODNN7EXAMPLE",
            "token FwoGZXIvYXdzEBYaDH7",
            "code 123456 rejected",
            "eyJhbGciOiJSUzI1NiJ9.x",
            &"long title ".repeat(10),
            "bell\u{7}",
        ] {
            assert_eq!(safe_title(t), None, "{t}");
        }
        assert_eq!(
            safe_title("502 Bad Gateway").as_deref(),
            Some("502 Bad Gateway")
        );
        assert_eq!(html_title(b"<html>no title</html>"), None);
    }
}
