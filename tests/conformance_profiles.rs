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

/// Cases where botocore (the AWS CLI v1) reads the file differently from the
/// suite, and awsrole follows botocore: users write these files for the AWS
/// CLI. Each entry: case name, the botocore rule, and the output awsrole now
/// gives (in the suite's format). Each is asserted to differ from the suite's
/// own expectation and to equal this one, so the list cannot go stale.
/// Where botocore merely fails the whole file (duplicate sections or keys,
/// inline comments kept in values), awsrole keeps the suite's more lenient
/// answer: those cases are not listed and pass as the suite says.
const BOTOCORE_WINS: &[(&str, &str, &str)] = &[
    (
        "Profile names support alphanumeric characters and - / . % @ _ : +",
        "configloader._parse_section: `profile NAME` split with shlex.split; any two words make a profile, whatever the characters",
        r#"{"config": {"profiles": {"some-thing:long/the_one%only.foo@bar+": {}, "foo!bar": {}}}}"#,
    ),
    (
        "Property definitions must contain an equals sign.",
        "configparser: `=` and `:` are both delimiters",
        r#"{"config": {"profiles": {"foo": {"key": "value"}}}}"#,
    ),
    (
        "Default profile with profile prefix overrides default profile without prefix when profile prefix is first.",
        "configloader.build_profile_map: `[profile default]` and `[default]` both set profile `default`; the later section wins",
        r#"{"config": {"profiles": {"default": {"name2": "value2"}}}}"#,
    ),
    (
        "Invalid profile names are ignored.",
        "credentials file sections are profile names as written; in the config file `[profile in valid]` splits into three words and is ignored",
        r#"{"config": {"profiles": {"in valid 2": {"name2": "value2"}}}}"#,
    ),
    (
        "Invalid property names are ignored.",
        "configparser: the key is everything before the first delimiter",
        r#"{"config": {"profiles": {"foo": {"in valid": "value"}}}}"#,
    ),
    (
        "Sub-property definitions cannot have an empty name.",
        "configloader._parse_nested: `line.split('=', 1)` accepts an empty name",
        r#"{"config": {"profiles": {"foo": {"s3": "\n= value"}}}}"#,
    ),
    (
        "Sub-properties can have blank lines that are ignored",
        "configparser (empty_lines_in_values): a blank line inside a value is kept; _parse_nested then skips it, so the sub-properties are the same",
        r#"{"config": {"profiles": {"foo": {"s3": "\nname = value\n\nname2 = value2"}}}}"#,
    ),
    (
        "Credentials profiles with prefix are ignored.",
        "credentials file sections are profile names as written: `[profile foo]` is profile `profile foo`",
        r#"{"config": {"profiles": {"profile foo": {"name": "value"}}}}"#,
    ),
    (
        "profile name with extra whitespace in credentials",
        "credentials file sections are profile names as written (`[profile bar]` is `profile bar`); the spaces inside `[   foo    ]` are trimmed, awsrole's documented leniency",
        r#"{"config": {"profiles": {"foo": {"name": "value"}, "profile bar": {}}}}"#,
    ),
];

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
    let mut botocore_seen = 0;
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let mut result = run_parser_case(case);
        if let Some((_, rule, want)) = BOTOCORE_WINS.iter().find(|(n, _, _)| *n == name) {
            botocore_seen += 1;
            if result.is_ok() {
                failures.push(format!(
                    "{name}: listed in BOTOCORE_WINS ({rule}) but the suite's expectation passes"
                ));
            }
            let mut botocore_case = case.clone();
            botocore_case["output"] = serde_json::from_str(want).expect("BOTOCORE_WINS json");
            result =
                run_parser_case(&botocore_case).map_err(|e| format!("botocore rule ({rule}): {e}"));
        }
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
    assert_eq!(
        botocore_seen,
        BOTOCORE_WINS.len(),
        "unknown BOTOCORE_WINS entries"
    );
    assert_eq!(ran, cases.len());
    eprintln!(
        "profile parser: {ran}/{} cases ran, {} deviations, {} where botocore wins",
        cases.len(),
        DEVIATIONS.len(),
        BOTOCORE_WINS.len()
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
