//! Cross-SDK assume-role chain cases (smithy-rs) and the AWS CLI cache-key
//! vectors (botocore), read from tests/conformance/.

mod common;

use awsrole::cache::assume_role_key;
use awsrole::chain::{Base, ErrorKind, NamedSource, RoleHop, build};
use awsrole::profile_file::{ProfileSet, parse_config};
use serde_json::{Map, Value, json};

/// The case's profiles as a config file, so the real parser reads them too.
fn profile_set(input: &Value) -> ProfileSet {
    let mut text = String::new();
    let sections = [("profiles", "profile "), ("sso_sessions", "sso-session ")];
    for (field, prefix) in sections {
        for (name, props) in input[field].as_object().into_iter().flatten() {
            text.push_str(&format!("[{prefix}{name}]\n"));
            for (k, v) in props.as_object().unwrap() {
                text.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
            }
        }
    }
    parse_config(&text).unwrap_or_else(|e| panic!("{text}\n{e:?}"))
}

/// Our chain in the suite's `ProfileChain` shape.
fn as_suite_chain(base: &Base, hops: &[RoleHop]) -> Vec<Value> {
    let mut out = vec![match base {
        Base::StaticKeys {
            access_key_id,
            secret_access_key,
            ..
        } => {
            json!({"AccessKey": {"access_key_id": access_key_id, "secret_access_key": secret_access_key}})
        }
        Base::Named { source, .. } => json!({"NamedSource": match source {
            NamedSource::Environment => "Environment",
            NamedSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            NamedSource::EcsContainer => "EcsContainer",
        }}),
        Base::WebIdentity {
            role_arn,
            token_file,
            session_name,
            ..
        } => {
            let mut m = Map::new();
            m.insert("role_arn".into(), json!(role_arn));
            m.insert("web_identity_token_file".into(), json!(token_file));
            if let Some(s) = session_name {
                m.insert("role_session_name".into(), json!(s));
            }
            json!({ "WebIdentityToken": m })
        }
        Base::Sso { settings, .. } => {
            let m: Map<String, Value> = settings
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            json!({ "Sso": m })
        }
        Base::Process { command, .. } => json!({"CredentialProcess": command}),
    }];
    for hop in hops {
        let mut m = Map::new();
        m.insert("role_arn".into(), json!(hop.role_arn));
        if let Some(v) = &hop.external_id {
            m.insert("external_id".into(), json!(v));
        }
        if let Some(v) = &hop.role_session_name {
            m.insert("role_session_name".into(), json!(v));
        }
        out.push(json!({ "AssumeRole": m }));
    }
    out
}

/// The suite's error texts are smithy-rs wording; we compare the kind of error.
fn expected_kind(message: &str) -> ErrorKind {
    let table = [
        ("must contain `source_profile`", ErrorKind::NoSource),
        (
            "both source_profile and credential_source",
            ErrorKind::BothSources,
        ),
        ("profile missing aws_", ErrorKind::PartialKeys),
        (
            "did not contain credential information",
            ErrorKind::NoCredentials,
        ),
        (
            "could not find source profile",
            ErrorKind::MissingSourceProfile,
        ),
        ("No profiles were defined", ErrorKind::UnknownProfile),
        ("infinite loop", ErrorKind::Loop),
        ("`role_arn` was missing", ErrorKind::InvalidWebIdentity),
        ("sso", ErrorKind::InvalidSso),
    ];
    table
        .iter()
        .find(|(text, _)| message.contains(text))
        .map(|(_, kind)| *kind)
        .unwrap_or_else(|| panic!("no error kind for suite message {message:?}"))
}

#[test]
fn assume_role_chain_suite() {
    let cases = common::conformance_json("smithy-rs/assume-role-tests.json");
    let cases = cases.as_array().unwrap();
    let mut ran = 0;
    for case in cases {
        let docs = case["docs"].as_str().unwrap();
        let set = profile_set(&case["input"]);
        let selected = case["input"]["selected_profile"].as_str().unwrap();
        let got = build(&set, selected);
        let output = &case["output"];
        if let Some(expected) = output.get("ProfileChain") {
            let chain = got.unwrap_or_else(|e| panic!("{docs}: unexpected error {e:?}"));
            let mine = as_suite_chain(&chain.base, &chain.hops);
            // The suite lists only some fields (e.g. account_id is not ours).
            for (want, have) in expected.as_array().unwrap().iter().zip(&mine) {
                let (kind, fields) = want.as_object().unwrap().iter().next().unwrap();
                let have_fields = &have[kind];
                assert!(
                    !have_fields.is_null(),
                    "{docs}: expected {want}, got {have}"
                );
                if let Some(fields) = fields.as_object() {
                    for (k, v) in fields {
                        if k == "account_id" {
                            continue; // aws_account_id is not used by awsrole
                        }
                        assert_eq!(&have_fields[k], v, "{docs}: field {k}");
                    }
                } else {
                    assert_eq!(have_fields, fields, "{docs}");
                }
            }
            assert_eq!(
                mine.len(),
                expected.as_array().unwrap().len(),
                "{docs}: {mine:?}"
            );
        } else {
            let message = output["Error"].as_str().unwrap();
            let err = got.expect_err(docs);
            assert_eq!(err.kind, expected_kind(message), "{docs}: {err:?}");
            assert!(!err.message.is_empty());
        }
        ran += 1;
    }
    assert_eq!(ran, cases.len());
    assert_eq!(ran, 28, "the suite changed size: review the new cases");
}

/// Vectors whose arguments a profile cannot express: awsrole never sends a
/// session `Policy` (the AWS CLI config has no such setting).
const UNREACHABLE_VECTORS: &[&str] = &["Policy"];

#[test]
fn cache_key_vectors() {
    let doc = common::conformance_json("botocore/assume-role-cache-key-vectors.json");
    let vectors = doc["vectors"].as_array().unwrap();
    let (mut checked, mut skipped) = (0, 0);
    for v in vectors {
        let args = v["assume_role_args"].as_object().unwrap();
        if args
            .keys()
            .any(|k| UNREACHABLE_VECTORS.contains(&k.as_str()))
        {
            skipped += 1;
            continue;
        }
        let s = |k: &str| args.get(k).map(|x| x.as_str().unwrap().to_string());
        let hop = RoleHop {
            profile: "p".into(),
            role_arn: s("RoleArn").unwrap(),
            external_id: s("ExternalId"),
            mfa_serial: s("SerialNumber"),
            role_session_name: s("RoleSessionName"),
            duration_seconds: args.get("DurationSeconds").map(|d| d.as_i64().unwrap()),
            at: None,
        };
        let known = [
            "RoleArn",
            "ExternalId",
            "SerialNumber",
            "RoleSessionName",
            "DurationSeconds",
        ];
        assert!(args.keys().all(|k| known.contains(&k.as_str())), "{args:?}");
        assert_eq!(
            assume_role_key(&hop),
            v["sha1"].as_str().unwrap(),
            "{args:?}"
        );
        checked += 1;
    }
    assert_eq!(skipped, 1, "only the Policy vector is out of reach");
    assert_eq!(checked + skipped, vectors.len());
    assert!(checked >= 11);
}

#[test]
fn duration_seconds_that_is_not_an_integer_is_dropped_from_the_key() {
    let set = parse_config(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/marketingadminrole\nsource_profile = b\nduration_seconds = 1h\n[profile b]\naws_access_key_id = k\naws_secret_access_key = s\n",
    )
    .unwrap();
    let chain = build(&set, "a").unwrap();
    assert_eq!(chain.hops[0].duration_seconds, None);
    assert_eq!(
        assume_role_key(&chain.hops[0]),
        "8e3e980585dddb1d2841b4fab7107e2a3ec02cb0"
    );
}

/// A role profile `a` over static keys in `b`, with `extra` lines in `a`.
fn role_with(extra: &str) -> ProfileSet {
    parse_config(&format!(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/marketingadminrole\nsource_profile = b\n{extra}\n[profile b]\naws_access_key_id = k\naws_secret_access_key = s\n"
    ))
    .unwrap()
}

#[test]
fn duration_seconds_is_read_as_python_int_reads_it() {
    // botocore: `int(value)`; the value is sent and hashed as that integer.
    for text in [
        "3600",
        "3_600",
        "\u{663}\u{666}\u{660}\u{660}",
        "\u{ff13}\u{ff16}\u{ff10}\u{ff10}",
        "+3600",
    ] {
        let chain = build(&role_with(&format!("duration_seconds = {text}")), "a").unwrap();
        assert_eq!(chain.hops[0].duration_seconds, Some(3600), "{text}");
        assert_eq!(
            assume_role_key(&chain.hops[0]),
            "ab2c184234b5cd1034afdb2f6be7fa0bdf8b908b",
            "{text}"
        );
    }
    // Not an integer for Python either: dropped, as botocore drops it.
    for text in ["", "3600.0", "1h", "_3600", "0x10"] {
        let chain = build(&role_with(&format!("duration_seconds = {text}")), "a").unwrap();
        assert_eq!(chain.hops[0].duration_seconds, None, "{text:?}");
    }
}

#[test]
fn duration_seconds_sts_would_refuse_is_an_error_naming_the_line() {
    for text in [
        "0",
        "43201",
        "99999999999",
        "-3600",
        "99999999999999999999999",
    ] {
        let e = build(&role_with(&format!("duration_seconds = {text}")), "a").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidValue, "{text}");
        assert_eq!(e.at.map(|a| a.line), Some(4), "{text}");
        assert!(e.message.contains("900 to 43200"), "{}", e.message);
    }
    // Below 900 is sent for STS to answer (botocore refuses it itself; see
    // docs/compatibility.md).
    for (text, want) in [("900", 900), ("43200", 43200), ("899", 899), ("12", 12)] {
        let chain = build(&role_with(&format!("duration_seconds = {text}")), "a").unwrap();
        assert_eq!(chain.hops[0].duration_seconds, Some(want));
    }
}

#[test]
fn blank_role_session_name_is_no_name() {
    // botocore generates a name for an empty one and leaves it out of the key.
    let chain = build(&role_with("role_session_name ="), "a").unwrap();
    assert_eq!(chain.hops[0].role_session_name, None);
    assert_eq!(
        assume_role_key(&chain.hops[0]),
        "8e3e980585dddb1d2841b4fab7107e2a3ec02cb0"
    );
    let chain = build(&role_with("role_session_name = me"), "a").unwrap();
    assert_eq!(chain.hops[0].role_session_name.as_deref(), Some("me"));
}

#[test]
fn credentials_profile_prefix_names_a_source() {
    let config = parse_config(
        "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = profile ci\n",
    )
    .unwrap();
    let creds = awsrole::profile_file::parse_credentials(
        "[profile ci]\naws_access_key_id = k\naws_secret_access_key = s\n",
    )
    .unwrap();
    let chain = build(&ProfileSet::merge(config, creds), "r").unwrap();
    assert!(matches!(chain.base, Base::StaticKeys { ref profile, .. } if profile == "profile ci"));
}

#[test]
fn a_missing_profile_names_the_ignored_sections() {
    let set = parse_config("[profile a b]\naws_access_key_id = k\n[profile c]\nk = v\n").unwrap();
    let e = build(&set, "a b").unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownProfile);
    assert!(
        e.message
            .contains("config file line 1: section [profile a b] is ignored")
            && e.message.contains("[profile \"a b\"]"),
        "{}",
        e.message
    );
}

#[test]
fn a_setting_followed_by_indented_lines_is_refused() {
    // botocore reads `role_session_name =` + indented `k = v` as a dict and
    // fails; awsrole says which line.
    let e = build(
        &role_with("role_session_name =\n    duration_seconds = 3600"),
        "a",
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(e.at.map(|a| a.line), Some(4));
    assert!(e.message.contains("role_session_name"), "{}", e.message);
}
