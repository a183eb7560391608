use super::scan::*;
use super::select::*;
use super::*;

fn loc(file: FileKind, line: u32) -> Location {
    Location { file, line }
}

#[test]
fn property_and_section_locations() {
    let text = "# c\n[profile a]\nregion = x\n\n[profile b]\nrole_arn = r\n  -more\nsrc=y\n[profile a]\nregion = z\n";
    let set = parse_config(text).unwrap();
    let a = &set.profiles["a"];
    assert_eq!(a.at, Some(loc(FileKind::Config, 2)));
    // The later duplicate wins, with its own line.
    assert_eq!(a.prop("region").unwrap().at, loc(FileKind::Config, 10));
    assert_eq!(a.get("region"), Some("z"));
    let b = &set.profiles["b"];
    assert_eq!(b.get("role_arn"), Some("r\n-more"));
    assert_eq!(b.prop("role_arn").unwrap().at.line, 6);
    assert_eq!(b.prop("src").unwrap().at.line, 8);

    let creds = parse_credentials("\n[x]\naws_access_key_id = A\n").unwrap();
    assert_eq!(
        creds.profiles["x"].prop("aws_access_key_id").unwrap().at,
        loc(FileKind::Credentials, 3)
    );
}

#[test]
fn error_lines() {
    let cases: &[(&str, u32, &str)] = &[
        ("[profile a]\nx = 1\n[profile b\n", 3, MSG_HEADER_END),
        ("\n\nkey = v", 3, MSG_NO_SECTION),
        ("[profile a]\r\nx = 1\r\n\r\nbad line\r\n", 4, MSG_NO_EQUALS),
        ("[profile a]\n= 1", 2, MSG_NO_NAME),
        // An indented line after a header is a property (configparser).
        ("[profile a]\n = 1", 2, MSG_NO_NAME),
        (
            "[profile a]\nk = v\n[profile b]\n  cont",
            4,
            MSG_CONT_NO_PROP,
        ),
        ("[profile a]\ns3 =\n  a = 1\n  oops", 4, MSG_SUB_NO_EQUALS),
    ];
    for (text, line, msg) in cases {
        let e = parse_config(text).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (*line, *msg), "{text:?}");
        assert_eq!(e.file, FileKind::Config);
    }
    let e = parse_credentials("[a]\nnope").unwrap_err();
    assert_eq!((e.file, e.line), (FileKind::Credentials, 2));
    assert_eq!(
        e.to_string(),
        "credentials file line 2: Expected an '=' sign defining a property"
    );
}

#[test]
fn bom_is_skipped() {
    let set = parse_config("\u{feff}[profile a]\nregion = x").unwrap();
    assert_eq!(set.profiles["a"].get("region"), Some("x"));
    assert_eq!(set.profiles["a"].at.unwrap().line, 1);
    let set = parse_bytes(FileKind::Credentials, b"\xEF\xBB\xBF[a]\nk = v\n").unwrap();
    assert_eq!(set.profiles["a"].get("k"), Some("v"));
    // Only a leading BOM is special.
    let set = parse_config("[profile a]\nk = \u{feff}v").unwrap();
    assert_eq!(set.profiles["a"].get("k"), Some("\u{feff}v"));
}

#[test]
fn non_utf8_and_nul_report_line() {
    let e = parse_bytes(FileKind::Config, b"[profile a]\nk = v\nx = \xff\xfe\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.contains("UTF-8"), "{}", e.message);
    let e = parse_bytes(FileKind::Credentials, b"[a]\n\nk = \0\n").unwrap_err();
    assert_eq!((e.file, e.line), (FileKind::Credentials, 3));
    assert!(e.message.contains("NUL"), "{}", e.message);
}

#[test]
fn sections_of_each_kind() {
    let text = "[default]\nregion = a\n[sso-session s]\nsso_region = b\n[services svc]\ns3 =\n  endpoint_url = http://x\n  Other = 1\n[profile p]\nservices = svc\n[unknown thing]\nk = v\n";
    let set = parse_config(text).unwrap();
    assert_eq!(set.profiles["default"].get("region"), Some("a"));
    assert_eq!(set.sso_sessions["s"].get("sso_region"), Some("b"));
    let s3 = set.services["svc"].get("s3").unwrap();
    assert_eq!(s3, "\nendpoint_url = http://x\nOther = 1");
    let sub = sub_properties(s3).unwrap();
    assert_eq!(sub["endpoint_url"], "http://x");
    assert_eq!(sub["other"], "1");
    assert_eq!(set.profiles.len(), 2);
}

#[test]
fn sub_properties_as_botocore() {
    assert_eq!(sub_properties("\nnope").unwrap_err(), MSG_SUB_NO_EQUALS);
    assert!(sub_properties("").unwrap().is_empty());
    // botocore's _parse_nested: any name, even an empty one, split at the
    // first `=`, blank lines skipped.
    assert_eq!(sub_properties("\n = x").unwrap()[""], "x");
    let m = sub_properties("\r\n a = b=c \r\n\n in valid = 1").unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m["a"], "b=c");
    assert_eq!(m["in valid"], "1");
}

#[test]
fn merge_prefers_credentials() {
    let c = parse_config("[profile a]\nk = c\nonly = c\n[sso-session s]\nx = 1").unwrap();
    let k = parse_credentials("[a]\nk = k\n[b]\nz = 1").unwrap();
    let m = ProfileSet::merge(c, k);
    assert_eq!(m.profiles["a"].get("k"), Some("k"));
    assert_eq!(
        m.profiles["a"].prop("k").unwrap().at.file,
        FileKind::Credentials
    );
    assert_eq!(m.profiles["a"].get("only"), Some("c"));
    assert_eq!(m.profiles["a"].at.unwrap().file, FileKind::Config);
    assert_eq!(m.profiles["b"].get("z"), Some("1"));
    assert!(m.sso_sessions.contains_key("s"));
}

#[test]
fn filtered_parse_matches_full_parse() {
    let text = "[default]\nk = d\n[profile default]\nk = pd\n[profile a]\nk = a\n  -more\n\
                [profile b]\nk = b\n[sso-session s]\nx = 1\n[services v]\nsts =\n  endpoint_url = u\n";
    let keep = |n: &str| n == "a" || n == "default";
    let part = parse_filtered(FileKind::Config, text, Some(&keep)).unwrap();
    let full = parse_config(text).unwrap();
    assert_eq!(part.profiles.len(), 2);
    for name in ["a", "default"] {
        assert_eq!(
            format!("{:?}", part.profiles[name].properties.get("k")),
            format!("{:?}", full.profiles[name].properties.get("k"))
        );
    }
    assert!(part.sso_sessions.contains_key("s") && part.services.contains_key("v"));
    // Errors in skipped profiles are still reported, at the same line.
    let bad = "[profile a]\nk = 1\n[profile b]\nbroken\n";
    let e = parse_filtered(FileKind::Config, bad, Some(&keep)).unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (4, MSG_NO_EQUALS));
}

#[test]
fn long_lines_and_many_continuations_are_linear() {
    // 4 MiB of one value plus 200k continuation lines; a quadratic parser
    // would take minutes here.
    let mut text = String::from("[profile a]\nk = ");
    text.push_str(&"x ;".repeat(1 << 20));
    text.push('\n');
    text.push_str("big =\n");
    for _ in 0..200_000 {
        text.push_str("  a = b\n");
    }
    let t = std::time::Instant::now();
    let set = parse_config(&text).unwrap();
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
    // " ;" starts a comment: the value is the first "x".
    assert_eq!(set.profiles["a"].get("k"), Some("x"));
    assert_eq!(set.profiles["a"].get("big").unwrap().len(), 200_000 * 6);
}

#[test]
fn ten_thousand_profiles() {
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!(
            "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/r{i}\nsource_profile = base\nregion = eu-west-1 # c\n\n"
        ));
    }
    let t = std::time::Instant::now();
    let set = parse_config(&text).unwrap();
    // Generous (debug build, shared CI): only catches pathological slowness.
    assert!(t.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(set.profiles.len(), 10_000);
    let p = &set.profiles["p9999"];
    assert_eq!(p.get("region"), Some("eu-west-1"));
    assert_eq!(p.prop("region").unwrap().at.line, 9999 * 5 + 4);
}

/// Properties sorted by key, with values and lines, for comparisons.
fn flat(section: &Section) -> Vec<(String, String, u32)> {
    let mut v: Vec<_> = section
        .properties
        .iter()
        .map(|(k, p)| (k.clone(), p.value.clone(), p.at.line))
        .collect();
    v.sort();
    v
}

fn indexed(config: &str, credentials: &str) -> (Indexed, Indexed) {
    (
        Indexed::from_text(FileKind::Config, config.to_owned()).unwrap(),
        Indexed::from_text(FileKind::Credentials, credentials.to_owned()).unwrap(),
    )
}

#[test]
fn select_builds_the_reachable_profiles_as_a_full_parse() {
    let config = "[default]\nk = bare\n[profile default]\nk = pd\n\
                  [profile a]\nsource_profile = b\nk = a1\n  more\n[profile b]\nsource_profile = c\n\
                  [profile a]\nk = a2\nx = 1\n[profile c]\nz = 1\n[profile unrelated]\nq = 1\n\
                  [sso-session s]\nr = 1\n[services v]\nsts =\n  endpoint_url = u\n";
    let credentials = "[c]\nz = 2\nkey = k\n[b]\nw = 1\n[zz]\nm = 1\n";
    let (ci, ki) = indexed(config, credentials);
    let full = ProfileSet::merge(
        parse_config(config).unwrap(),
        parse_credentials(credentials).unwrap(),
    );
    let source = |s: &Section| {
        s.get("source_profile")
            .map(str::to_string)
            .into_iter()
            .collect()
    };
    let part = select(&ci, &ki, "a", &source);
    let mut names: Vec<_> = part.profiles.keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["a", "b", "c"]);
    for n in &names {
        assert_eq!(flat(&part.profiles[n]), flat(&full.profiles[n]), "{n}");
        assert_eq!(part.profiles[n].at, full.profiles[n].at, "{n}");
    }
    assert_eq!(part.profiles["c"].get("z"), Some("2"));
    assert_eq!(part.sso_sessions.len(), 1);
    assert_eq!(part.services["v"].get("sts"), full.services["v"].get("sts"));
    // `[profile default]` hides `[default]`; credentials-only profiles.
    let d = select(&ci, &ki, "default", &source);
    assert_eq!(
        flat(&d.profiles["default"]),
        flat(&full.profiles["default"])
    );
    let z = select(&ci, &ki, "zz", &source);
    assert_eq!(flat(&z.profiles["zz"]), flat(&full.profiles["zz"]));
    assert!(select(&ci, &ki, "nope", &source).profiles.is_empty());
    // The full build from the index is the full parse.
    let all = ProfileSet::merge(ci.to_set(), ki.to_set());
    assert_eq!(all.profiles.len(), full.profiles.len());
    for (n, s) in &full.profiles {
        assert_eq!(flat(&all.profiles[n]), flat(s), "{n}");
    }
}

#[test]
fn indexed_errors_are_those_of_a_full_parse() {
    for text in [
        "[profile a]\nx = 1\n[profile b\n",
        "[profile a]\ns3 =\n  a = 1\n  oops",
        "[profile zzz]\nk = v\n[profile a]\nbroken\n",
    ] {
        let e1 = parse_config(text).unwrap_err();
        let e2 = Indexed::from_text(FileKind::Config, text.to_owned()).unwrap_err();
        assert_eq!((e1.line, e1.message), (e2.line, e2.message));
    }
    let e = Indexed::from_bytes(FileKind::Credentials, b"[a]\n\nk = \0\n".to_vec()).unwrap_err();
    assert_eq!(e.line, 3);
}

mod prop {
    use super::super::scan::*;
    use super::super::select::*;
    use super::super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_bytes(FileKind::Config, &bytes);
            let _ = parse_bytes(FileKind::Credentials, &bytes);
        }

        #[test]
        fn select_agrees_with_full_parse(lines in proptest::collection::vec(
            "(\\[(profile )?[ab]\\]|[ \t]{0,2}[a-z_]{0,3} ?=?[ a-z#;]{0,4}|source_profile = [ab])",
            0..16,
        )) {
            let text = lines.join("\n");
            if let Ok(full) = parse_config(&text) {
                let ci = Indexed::from_text(FileKind::Config, text.clone()).unwrap();
                let ki = Indexed::empty(FileKind::Credentials);
                let none = |_: &Section| Vec::new();
                for (name, section) in &full.profiles {
                    let part = select(&ci, &ki, name, &none);
                    prop_assert_eq!(super::flat(&part.profiles[name]), super::flat(section));
                }
            } else {
                prop_assert!(Indexed::from_text(FileKind::Config, text).is_err());
            }
        }

        #[test]
        fn never_panics_on_strings(text in "(\\PC|[\\[\\]=#; \t\r\n])*") {
            let _ = parse_config(&text);
            let _ = parse_credentials(&text);
            let _ = sub_properties(&text);
        }

        #[test]
        fn never_panics_on_ini_shaped(lines in proptest::collection::vec(
            "(\\[(profile |sso-session |services )?[a-z \t#;\\]]{0,6}\\]?[#; a-z]{0,4}|[ \t]{0,2}[a-zA-Z_ ]{0,5}=?[ a-z=#;]{0,6}|[#;][^\n]{0,5}|\u{feff}?)",
            0..20,
        )) {
            let text = lines.join("\n");
            // Lines as Python's universal newlines count them (a lone \r
            // ends a line too).
            let count = text.replace("\r\n", "\n").matches(['\n', '\r']).count() + 1;
            if let Ok(set) = parse_config(&text) {
                for s in set.profiles.values().chain(set.services.values()) {
                    for p in s.properties.values() {
                        prop_assert!(p.at.line as usize <= count);
                        let _ = sub_properties(&p.value);
                    }
                }
            }
            let _ = parse_credentials(&text);
        }
    }
}
