//! Conformance: the cross-SDK profile-parser and file-location suites
//! (smithy-rs) and botocore's configured-endpoint-URL suite.
//!
//! The data is in `tests/conformance/` (see its README). A missing file is a
//! test failure, never a skip.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use awsrole::endpoint::configured_endpoint;
use awsrole::files::{Platform, locate};
use awsrole::profile_file::{ProfileSet, Section, parse_config, parse_credentials};
use serde_json::Value;

fn str_map(v: &Value) -> HashMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// profile-parser-tests.json

/// Parser cases that awsrole deliberately fails, with the reason. Each one is
/// asserted to still fail, so this list cannot go stale.
const DEVIATIONS: &[(&str, &str)] = &[];

type Flat = BTreeMap<String, BTreeMap<String, String>>;

fn flatten(sections: &HashMap<String, Section>) -> Flat {
    sections
        .iter()
        .map(|(name, s)| {
            let props = s
                .properties
                .iter()
                .map(|(k, p)| (k.clone(), p.value.clone()))
                .collect();
            (name.clone(), props)
        })
        .collect()
}

fn expected_flat(v: Option<&Value>) -> Flat {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(name, props)| (name.clone(), str_map(props).into_iter().collect()))
                .collect()
        })
        .unwrap_or_default()
}

/// Run one parser case; `Err` describes the mismatch.
fn run_parser_case(case: &Value) -> Result<(), String> {
    let input = &case["input"];
    let parsed = (|| {
        let config = match input.get("configFile").and_then(Value::as_str) {
            Some(t) => parse_config(t)?,
            None => ProfileSet::default(),
        };
        let creds = match input.get("credentialsFile").and_then(Value::as_str) {
            Some(t) => parse_credentials(t)?,
            None => ProfileSet::default(),
        };
        Ok::<_, awsrole::profile_file::ParseError>(ProfileSet::merge(config, creds))
    })();
    let output = &case["output"];
    if let Some(want) = output.get("errorContaining").and_then(Value::as_str) {
        return match parsed {
            Err(e) if e.message.contains(want) => Ok(()),
            Err(e) => Err(format!("error {e:?} does not contain {want:?}")),
            Ok(set) => Err(format!(
                "expected error containing {want:?}, got profiles {:?}",
                flatten(&set.profiles)
            )),
        };
    }
    let set = parsed.map_err(|e| format!("unexpected error: {e}"))?;
    let want = output
        .get("config")
        .unwrap_or_else(|| panic!("case has neither config nor errorContaining"));
    let checks = [
        ("profiles", &set.profiles, want.get("profiles")),
        ("sso_sessions", &set.sso_sessions, want.get("sso_sessions")),
    ];
    for (what, got, want) in checks {
        // A key absent from the expected output means "none".
        let (got, want) = (flatten(got), expected_flat(want));
        if got != want {
            return Err(format!("{what}: got {got:?}, want {want:?}"));
        }
    }
    Ok(())
}

#[test]
fn profile_parser_suite() {
    let data = common::conformance_json("smithy-rs/profile-parser-tests.json");
    let cases = data["tests"].as_array().expect("tests array");
    assert_eq!(cases.len(), 65, "the suite changed size; review it");
    let mut ran = 0;
    let mut failures = Vec::new();
    let mut deviations_seen = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let result = run_parser_case(case);
        ran += 1;
        match (DEVIATIONS.iter().find(|(n, _)| *n == name), result) {
            (None, Ok(())) => {}
            (None, Err(e)) => failures.push(format!("{name}: {e}")),
            (Some(_), Err(_)) => deviations_seen.push(name),
            (Some((_, why)), Ok(())) => failures.push(format!(
                "{name}: listed in DEVIATIONS ({why}) but now passes; remove it"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        deviations_seen.len(),
        DEVIATIONS.len(),
        "unknown DEVIATIONS entries"
    );
    assert_eq!(ran, cases.len());
    eprintln!(
        "profile parser: {ran}/{} cases ran, {} deviations",
        cases.len(),
        DEVIATIONS.len()
    );
}

// ---------------------------------------------------------------------------
// file-location-tests.json

#[test]
fn file_location_suite() {
    let data = common::conformance_json("smithy-rs/file-location-tests.json");
    let cases = data["tests"].as_array().expect("tests array");
    assert!(!cases.is_empty());
    let mut ran = 0;
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let env = str_map(&case["environment"]);
        let platform = match case["platform"].as_str() {
            Some("linux") => Platform::Unix,
            Some("windows") => Platform::Windows,
            other => panic!("{name}: unknown platform {other:?}"),
        };
        let loc = locate(&|k: &str| env.get(k).cloned(), platform);
        let want = |k: &str| PathBuf::from(case[k].as_str().expect(k));
        assert_eq!(loc.config, want("configLocation"), "{name}: config");
        assert_eq!(
            loc.credentials,
            want("credentialsLocation"),
            "{name}: credentials"
        );
        // `profile` (AWS_PROFILE selection) is resolved by the chain, not by
        // `files`; it is not checked here.
        ran += 1;
    }
    assert_eq!(ran, cases.len());
    eprintln!("file location: {ran}/{} cases ran", cases.len());
}

// ---------------------------------------------------------------------------
// configured-endpoint-urls-profile-tests.json

/// Render the suite's JSON profiles/services as a real config file so that
/// the endpoint cases also go through the parser (sub-properties included).
fn render_config(suite: &Value) -> String {
    let mut out = String::new();
    for (name, props) in suite["profiles"].as_object().expect("profiles") {
        out.push_str(&format!("[profile {name}]\n"));
        for (k, v) in props.as_object().expect("profile") {
            out.push_str(&format!("{k} = {}\n", v.as_str().expect("string")));
        }
    }
    for (name, services) in suite["services"].as_object().expect("services") {
        out.push_str(&format!("[services {name}]\n"));
        for (svc, props) in services.as_object().expect("services section") {
            out.push_str(&format!("{svc} =\n"));
            for (k, v) in props.as_object().expect("sub-properties") {
                out.push_str(&format!("  {k} = {}\n", v.as_str().expect("string")));
            }
        }
    }
    out
}

#[test]
fn configured_endpoint_suite() {
    let data = common::conformance_json("botocore/configured-endpoint-urls-profile-tests.json");
    let suites = data["testSuites"].as_array().expect("testSuites");
    let total: usize = suites
        .iter()
        .map(|s| s["endpointUrlTests"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(total, 39, "the suite changed size; review it");
    let mut ran = 0;
    let mut failures = Vec::new();
    for suite in suites {
        let set = parse_config(&render_config(suite)).expect("rendered config parses");
        for case in suite["endpointUrlTests"].as_array().expect("tests") {
            let name = case["name"].as_str().expect("name");
            let profile = &set.profiles[case["profile"].as_str().expect("profile")];
            let service = case["service"].as_str().expect("service");
            let client = &suite["client_configs"][case["client_config"].as_str().unwrap()];
            let env = str_map(&suite["environments"][case["environment"].as_str().unwrap()]);
            let explicit = client.get("endpoint_url").and_then(Value::as_str);
            let client_ignore = client
                .get("ignore_configured_endpoint_urls")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            // An explicit client endpoint wins; a client-level ignore switch
            // turns the configured ones off.
            let got = match explicit.filter(|u| !u.is_empty()) {
                Some(url) => Some(url.to_owned()),
                None if client_ignore => None,
                None => configured_endpoint(service, profile, &set, &|k: &str| env.get(k).cloned()),
            }
            .unwrap_or_else(|| {
                // The default endpoint, as the SDK would resolve it.
                let region = profile.get("region").expect("region");
                format!("https://{service}.{region}.amazonaws.com")
            });
            let want = case["output"]["endpointUrl"].as_str().expect("endpointUrl");
            if got != want {
                failures.push(format!("{name}: got {got}, want {want}"));
            }
            ran += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ran, total);
    eprintln!("configured endpoints: {ran}/{total} cases ran");
}
