//! The file families botocore (the AWS CLI v1) reads and awsrole must read
//! the same way (issue 11). Expected values were checked against botocore
//! 1.44 (`configloader.raw_config_parse` + `build_profile_map`).

use super::*;

fn config(text: &str) -> ProfileSet {
    parse_config(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn creds(text: &str) -> ProfileSet {
    parse_credentials(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn get<'a>(set: &'a ProfileSet, profile: &str, key: &str) -> Option<&'a str> {
    set.profiles
        .get(profile)
        .unwrap_or_else(|| panic!("no profile {profile:?} in {:?}", set.profiles.keys()))
        .get(key)
}

#[test]
fn colon_is_a_delimiter() {
    let set = config(
        "[profile r]\naws_access_key_id: AKIA1\nexternal_id: a=b\nrole_arn = arn:aws:iam::1:role/x\n",
    );
    assert_eq!(get(&set, "r", "aws_access_key_id"), Some("AKIA1"));
    assert_eq!(get(&set, "r", "external_id"), Some("a=b"));
    assert_eq!(get(&set, "r", "role_arn"), Some("arn:aws:iam::1:role/x"));
}

#[test]
fn indentation_before_keys_headers_and_comments() {
    let set = config(
        "  [profile r]\n  # note\n    region = eu-west-1\n  role_arn = x\nsource_profile = b\n",
    );
    assert_eq!(get(&set, "r", "region"), Some("eu-west-1"));
    assert_eq!(get(&set, "r", "role_arn"), Some("x"));
    assert_eq!(get(&set, "r", "source_profile"), Some("b"));
    // Deeper than the key line: a continuation.
    let set = config("[profile r]\n  role_arn = x\n    y\n  z = 1\n");
    assert_eq!(get(&set, "r", "role_arn"), Some("x\ny"));
    assert_eq!(get(&set, "r", "z"), Some("1"));
}

#[test]
fn indented_comment_after_a_value_is_a_comment() {
    let set = config("[profile r]\nrole_arn = arn:aws:iam::1:role/x\n  # note\n  ; other\nz = 1\n");
    assert_eq!(get(&set, "r", "role_arn"), Some("arn:aws:iam::1:role/x"));
}

#[test]
fn blank_line_inside_a_continued_value_is_kept() {
    let set = config("[profile r]\nexternal_id = abc\n\n  def\n\n\nnext = 1\n");
    assert_eq!(get(&set, "r", "external_id"), Some("abc\n\ndef"));
    // Trailing blank lines are not part of the value.
    let set = config("[profile r]\nexternal_id = abc\n\n\n[profile s]\n");
    assert_eq!(get(&set, "r", "external_id"), Some("abc"));
    // A comment line in between adds nothing.
    let set = config("[profile r]\nx = a\n\n  # c\n  b\n");
    assert_eq!(get(&set, "r", "x"), Some("a\n\nb"));
}

#[test]
fn default_section_applies_to_every_section_of_its_file() {
    let set = config(
        "[DEFAULT]\nexternal_id = shared\nregion = r0\n[profile a]\nregion = r1\n[default]\n[sso-session s]\n",
    );
    assert_eq!(get(&set, "a", "external_id"), Some("shared"));
    assert_eq!(get(&set, "a", "region"), Some("r1"));
    assert_eq!(get(&set, "default", "external_id"), Some("shared"));
    assert_eq!(set.sso_sessions["s"].get("region"), Some("r0"));
    assert!(!set.profiles.contains_key("DEFAULT"));
    let k = creds("[DEFAULT]\naws_session_token = t\n[base]\nk = v\n");
    assert_eq!(get(&k, "base", "aws_session_token"), Some("t"));
    assert!(!k.profiles.contains_key("DEFAULT"));
    // Only within its own file.
    let m = ProfileSet::merge(config("[DEFAULT]\nx = 1\n[profile a]\n"), creds("[b]\n"));
    assert_eq!(get(&m, "b", "x"), None);
    // select() builds the same.
    let ci = Indexed::from_text(
        FileKind::Config,
        "[DEFAULT]\nx = 1\n[profile a]\ny = 2\n".into(),
    )
    .unwrap();
    let ki = Indexed::from_text(FileKind::Credentials, "[DEFAULT]\nz = 3\n[a]\n".into()).unwrap();
    let part = select(&ci, &ki, "a", &|_| Vec::new());
    assert_eq!(get(&part, "a", "x"), Some("1"));
    assert_eq!(get(&part, "a", "z"), Some("3"));
}

#[test]
fn the_later_of_two_headers_for_one_profile_wins() {
    let set = config("[profile default]\na = 1\n[default]\nb = 2\n");
    assert_eq!(
        (get(&set, "default", "a"), get(&set, "default", "b")),
        (None, Some("2"))
    );
    assert_eq!(set.profiles["default"].at.unwrap().line, 3);
    let set = config("[default]\nb = 2\n[profile default]\na = 1\n");
    assert_eq!(
        (get(&set, "default", "a"), get(&set, "default", "b")),
        (Some("1"), None)
    );
    let set = config("[profile a]\nx = 1\n[profile \"a\"]\ny = 2\n");
    assert_eq!(
        (get(&set, "a", "x"), get(&set, "a", "y")),
        (None, Some("2"))
    );
    // The same for select().
    let ci = Indexed::from_text(
        FileKind::Config,
        "[profile default]\na = 1\n[default]\nb = 2\n".into(),
    )
    .unwrap();
    let part = select(
        &ci,
        &Indexed::empty(FileKind::Credentials),
        "default",
        &|_| Vec::new(),
    );
    assert_eq!(get(&part, "default", "a"), None);
    assert_eq!(part.profiles["default"].at.unwrap().line, 3);
}

#[test]
fn profile_prefix_in_credentials_is_part_of_the_name() {
    let set = creds("[profile ci]\naws_access_key_id = A\n[base]\nk = v\n");
    assert_eq!(get(&set, "profile ci", "aws_access_key_id"), Some("A"));
    assert!(!set.profiles.contains_key("ci"));
}

#[test]
fn profile_names_as_shlex_splits_them() {
    let names = [
        ("team$ops", "team$ops"),
        ("a(b)", "a(b)"),
        ("x{y}", "x{y}"),
        ("a!b", "a!b"),
        ("q`r`", "q`r`"),
        ("a\u{2019}b", "a\u{2019}b"),
        ("\"c d\"", "c d"),
        ("'e f'", "e f"),
        ("a=b", "a=b"),
        ("ops!", "ops!"),
        ("\u{1f680}", "\u{1f680}"),
        ("x\\ y", "x y"),
    ];
    let text: String = names
        .iter()
        .map(|(raw, _)| format!("[profile {raw}]\nk = v\n"))
        .collect();
    let set = config(&text);
    for (raw, name) in names {
        assert_eq!(get(&set, name, "k"), Some("v"), "[profile {raw}]");
    }
    assert_eq!(set.profiles.len(), names.len());
    assert!(set.ignored.is_empty());
    // botocore's startswith("profile"): no space needed before the name.
    assert!(config("[profilex y]\n").profiles.contains_key("y"));
}

#[test]
fn headers_botocore_ignores_are_reported() {
    let set = config(
        "[profile a b]\nk = 1\n[profile \"c]\n[profile]\n[plugins]\nx = 1\n[sso-session s t]\n[profile ok]\n",
    );
    assert_eq!(set.profiles.keys().collect::<Vec<_>>(), ["ok"]);
    let lines: Vec<_> = set
        .ignored
        .iter()
        .map(|i| (i.at.line, i.header.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (1, "profile a b"),
            (3, "profile \"c"),
            (4, "profile"),
            (7, "sso-session s t")
        ]
    );
    let text = set.ignored[0].to_string();
    assert!(
        text.starts_with("config file line 1: section [profile a b] is ignored"),
        "{text}"
    );
    assert!(text.contains("[profile \"a b\"]"), "{text}");
    let ci = Indexed::from_text(FileKind::Config, "[profile a b]\n".into()).unwrap();
    assert_eq!(ci.ignored().len(), 1);
}

#[test]
fn unicode_white_space_is_stripped_as_python_does() {
    let set =
        config("[profile r]\nsource_profile = base\u{a0}\nexternal_id =\u{3000}x y\u{2003}\n");
    assert_eq!(get(&set, "r", "source_profile"), Some("base"));
    assert_eq!(get(&set, "r", "external_id"), Some("x y"));
    // A header's name keeps it (shlex splits on ASCII white space only).
    assert!(creds("[base\u{a0}]\n").profiles.contains_key("base\u{a0}"));
}

#[test]
fn blank_region_reads_as_unset() {
    let set = config("[profile r]\nregion =\nother =\n");
    assert_eq!(get(&set, "r", "region"), None);
    assert_eq!(get(&set, "r", "other"), Some(""));
    assert!(set.profiles["r"].prop("region").is_some());
}

#[test]
fn lone_carriage_returns_end_lines() {
    let set = config("[profile r]\rk = v\r\nj = w\rl = x");
    assert_eq!(get(&set, "r", "k"), Some("v"));
    assert_eq!(get(&set, "r", "j"), Some("w"));
    assert_eq!(set.profiles["r"].prop("l").unwrap().at.line, 4);
}
