//! Configured endpoint URLs ("service-specific endpoints"), with the
//! precedence of botocore's `configured-endpoint-urls` suite (run by
//! `tests/conformance_profiles.rs`):
//!
//! 1. `AWS_ENDPOINT_URL_<SERVICE>` (service id uppercased, spaces and `-`
//!    replaced by `_`),
//! 2. `AWS_ENDPOINT_URL`,
//! 3. the profile's `services = NAME` -> `[services NAME]` section ->
//!    `<service> =` sub-property `endpoint_url` (service id lowercased, spaces
//!    and `-` replaced by `_`),
//! 4. the profile's `endpoint_url`.
//!
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (if set) or else the profile's
//! `ignore_configured_endpoint_urls` switches all of these off when it is
//! `true` (case-insensitive); any other value means false, as in botocore.
//! Empty values count as unset.
//!
//! An endpoint given explicitly to a client (e.g. a `--endpoint-url` flag)
//! wins over all of these and is the caller's business (awsrole has none).

use crate::profile_file::{ProfileSet, Section, sub_properties};

/// The configured endpoint URL for `service_id` (e.g. `"sts"`, `"s3"`,
/// `"dynamodb"`), or `None` to use the default endpoint.
pub fn configured_endpoint(
    service_id: &str,
    profile: &Section,
    set: &ProfileSet,
    getenv: crate::Getenv,
) -> Option<String> {
    let env = |name: &str| getenv(name).filter(|v| !v.is_empty());
    let ignore = match env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => profile
            .get("ignore_configured_endpoint_urls")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
    };
    if ignore {
        return None;
    }
    let snake = snake_case_service_id(service_id);
    env(&format!("AWS_ENDPOINT_URL_{}", snake.to_ascii_uppercase()))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .or_else(|| services_endpoint(&snake, profile, set))
        .or_else(|| {
            profile
                .get("endpoint_url")
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        })
}

/// `"API Gateway"` -> `"api_gateway"`, `"cognito-idp"` -> `"cognito_idp"`.
fn snake_case_service_id(service_id: &str) -> String {
    service_id
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn services_endpoint(snake: &str, profile: &Section, set: &ProfileSet) -> Option<String> {
    let section = set.services.get(profile.get("services")?)?;
    let block = section.get(snake)?;
    // A block that is not valid sub-properties was rejected by the parser
    // already; treat anything else odd as "not configured".
    let mut sub = sub_properties(block).ok()?;
    sub.remove("endpoint_url").filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile_file::parse_config;
    use std::collections::HashMap;

    fn run(text: &str, profile: &str, service: &str, env: &[(&str, &str)]) -> Option<String> {
        let set = parse_config(text).unwrap();
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        configured_endpoint(service, &set.profiles[profile], &set, &|k: &str| {
            env.get(k).cloned()
        })
    }

    const CFG: &str = "[profile p]\nservices = svc\nendpoint_url = https://global\n\
                       [services svc]\nsts =\n  endpoint_url = https://sts\n\
                       api_gateway =\n  endpoint_url = https://apigw\n\
                       [profile ign]\nendpoint_url = https://g\nignore_configured_endpoint_urls = TRUE\n";

    #[test]
    fn sts_precedence() {
        assert_eq!(run(CFG, "p", "sts", &[]).as_deref(), Some("https://sts"));
        assert_eq!(run(CFG, "p", "iam", &[]).as_deref(), Some("https://global"));
        assert_eq!(
            run(CFG, "p", "STS", &[("AWS_ENDPOINT_URL", "https://e")]).as_deref(),
            Some("https://e")
        );
        assert_eq!(
            run(
                CFG,
                "p",
                "sts",
                &[
                    ("AWS_ENDPOINT_URL", "https://e"),
                    ("AWS_ENDPOINT_URL_STS", "https://s")
                ]
            )
            .as_deref(),
            Some("https://s")
        );
        // Empty env values are ignored.
        assert_eq!(
            run(CFG, "p", "sts", &[("AWS_ENDPOINT_URL_STS", "")]).as_deref(),
            Some("https://sts")
        );
    }

    #[test]
    fn service_id_with_spaces() {
        assert_eq!(
            run(CFG, "p", "API Gateway", &[]).as_deref(),
            Some("https://apigw")
        );
        assert_eq!(
            run(
                CFG,
                "p",
                "API Gateway",
                &[("AWS_ENDPOINT_URL_API_GATEWAY", "https://x")]
            )
            .as_deref(),
            Some("https://x")
        );
    }

    #[test]
    fn ignore_flag() {
        assert_eq!(
            run(CFG, "ign", "sts", &[("AWS_ENDPOINT_URL", "https://e")]),
            None
        );
        // The env var, when set, overrides the profile setting either way.
        assert_eq!(
            run(
                CFG,
                "ign",
                "sts",
                &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")]
            )
            .as_deref(),
            Some("https://g")
        );
        assert_eq!(
            run(
                CFG,
                "p",
                "sts",
                &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "True")]
            ),
            None
        );
    }

    #[test]
    fn missing_services_section_falls_through() {
        let cfg = "[profile p]\nservices = nope\nendpoint_url = https://g\n";
        assert_eq!(run(cfg, "p", "sts", &[]).as_deref(), Some("https://g"));
    }
}
