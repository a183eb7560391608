//! Hostile files: fuzzed config and cache bytes never panic; huge, endless
//! or binary config files give a clear error quickly; symbolic links, FIFOs
//! and files of other users in the cache are neither followed nor trusted;
//! a read-only or missing HOME still yields credentials with a warning.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use awsrole::files::{Locations, load};
use awsrole::profile_file::{FileKind, parse_bytes};
use common::stress::{report, scaled};
use common::{Output, TestHome, arn, key_of, moto, run, unique};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const BASE: &str = "[profile base]\naws_access_key_id = AKIDFILES\naws_secret_access_key = hardening-files-source-secret\n";

fn runner(cases: usize) -> TestRunner {
    TestRunner::new(Config {
        cases: cases as u32,
        failure_persistence: None,
        ..Config::default()
    })
}

// ---------------------------------------------------------------- fuzzing

/// JSON-ish bytes near the cache format: valid entries, truncations, wrong
/// types, deep nesting, odd times and escapes.
fn cache_like() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just("\"AccessKeyId\"".to_string()),
        Just("\"SecretAccessKey\"".to_string()),
        Just("\"SessionToken\"".to_string()),
        Just("\"Expiration\"".to_string()),
        Just("\"Credentials\"".to_string()),
        "\"[ -~]{0,8}\"",
    ];
    let value = prop_oneof![
        Just("\"2099-01-01T00:00:00Z\"".to_string()),
        Just("\"2099-13-45T99:99:99+99:99\"".to_string()),
        Just("\"9999999-01-01T00:00:00.99999999999999Z\"".to_string()),
        Just("\"\\ud800\"".to_string()),
        Just("null".to_string()),
        Just("1e999999".to_string()),
        Just("-0".to_string()),
        Just("[".repeat(300)),
        Just("{\"a\":".repeat(300)),
        "\"[^\"\\\\]{0,12}\"",
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    let pair = (field, value).prop_map(|(k, v)| format!("{k}: {v}"));
    let inner = prop::collection::vec(pair, 0..6).prop_map(|p| format!("{{{}}}", p.join(", ")));
    (inner, any::<usize>(), any::<bool>()).prop_map(|(inner, cut, truncate)| {
        let doc = format!("{{\"Credentials\": {inner}}}").into_bytes();
        if truncate && !doc.is_empty() {
            doc[..cut % doc.len()].to_vec()
        } else {
            doc
        }
    })
}

#[test]
fn cache_reader_and_config_loader_never_panic_on_fuzzed_bytes() {
    let n = scaled(2000, 100_000);
    let started = Instant::now();
    runner(n)
        .run(
            &prop_oneof![prop::collection::vec(any::<u8>(), 0..600), cache_like(),],
            |bytes| {
                let _ = awsrole::cache::parse_entry(&bytes);
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    let _ = awsrole::timefmt::parse_expiration(text);
                }
                let _ = parse_bytes(FileKind::Config, &bytes);
                let _ = parse_bytes(FileKind::Credentials, &bytes);
                Ok(())
            },
        )
        .unwrap();
    // The same bytes through the file loader (open, size checks, parse).
    let dir = tempfile::tempdir().unwrap();
    let files = scaled(300, 10_000);
    runner(files)
        .run(&prop::collection::vec(any::<u8>(), 0..2048), |bytes| {
            let config = dir.path().join("config");
            std::fs::write(&config, &bytes).unwrap();
            let loc = Locations {
                home: Some(dir.path().to_owned()),
                config: config.clone(),
                credentials: config,
            };
            if let Err(e) = load(&loc) {
                prop_assert!(!e.message.is_empty());
            }
            Ok(())
        })
        .unwrap();
    report(
        "fuzz",
        &format!(
            "{n} byte strings through the cache reader, time parser and config parser, {files} files through the loader: no panic ({:.1}s)",
            started.elapsed().as_secs_f64()
        ),
    );
}

// ---------------------------------------------------------------- big files

#[track_caller]
fn assert_config_error(out: &Output, needle: &str, took: Duration, bound: Duration) {
    assert_eq!(out.code, 3, "{out:#?}");
    assert_eq!(
        out.stdout, "(exit 3)\n",
        "only the statement that fails the eval"
    );
    assert!(out.stderr.starts_with("awsrole: error: "), "{out:#?}");
    assert!(out.stderr.contains(needle), "lacks {needle:?}: {out:#?}");
    assert!(took < bound, "took {took:?} (bound {bound:?})");
}

#[test]
fn huge_endless_or_binary_config_files_fail_clearly_and_quickly() {
    let mut lines = Vec::new();
    let bound = Duration::from_secs(2);
    // 1 GiB sparse file: refused by size before reading.
    let home = TestHome::new();
    let f = std::fs::File::create(home.config_path()).unwrap();
    f.set_len(1 << 30).unwrap();
    drop(f);
    let t = Instant::now();
    let out = home.env_bash(&["x"]);
    let took = t.elapsed();
    assert_config_error(&out, "larger than 16 MiB", took, bound);
    assert!(
        out.stderr
            .contains(&home.config_path().display().to_string())
    );
    lines.push(format!(
        "1 GiB config: exit 3 in {:.3}s",
        took.as_secs_f64()
    ));

    // An endless device in place of the config file.
    let t = Instant::now();
    let out = home.env_bash(&["x"]).clone();
    let _ = out;
    let out = run(home
        .cmd()
        .args(["env", "x", "--shell", "bash"])
        .env("AWS_CONFIG_FILE", "/dev/zero"));
    let took = t.elapsed();
    assert_config_error(&out, "larger than", took, bound);
    lines.push(format!(
        "/dev/zero as config: exit 3 in {:.3}s",
        took.as_secs_f64()
    ));

    // 16 MiB of random bytes (just under the limit): binary, not parsed on.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut junk = Vec::with_capacity(16 << 20);
    while junk.len() < (16 << 20) - 8 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        junk.extend_from_slice(&seed.to_le_bytes());
    }
    std::fs::write(home.config_path(), &junk).unwrap();
    let t = Instant::now();
    let out = home.env_bash(&["x"]);
    let took = t.elapsed();
    assert_config_error(&out, &home.config_path().display().to_string(), took, bound);
    lines.push(format!(
        "16 MiB of random bytes: exit 3 in {:.3}s ({})",
        took.as_secs_f64(),
        out.stderr.trim().rsplit(": ").next().unwrap_or("")
    ));

    // 16 MiB of text with a NUL near the end: binary, with its line.
    let mut text = String::from("[profile x]\n");
    let mut i = 0;
    while text.len() < (16 << 20) - 64 {
        text.push_str(&format!("key{i} = value{i}\n"));
        i += 1;
    }
    text.push_str("tail = a\0b\n");
    std::fs::write(home.config_path(), &text).unwrap();
    let t = Instant::now();
    let out = home.env_bash(&["x"]);
    let took = t.elapsed();
    assert_config_error(&out, "binary", took, bound * 3);
    lines.push(format!(
        "16 MiB text config ({i} lines) with a NUL on its last line: exit 3 in {:.3}s",
        took.as_secs_f64()
    ));
    for l in lines {
        report("files", &l);
    }
}

// ---------------------------------------------------------------- cache files

fn role_home(tag: &str) -> (TestHome, String, std::path::PathBuf) {
    let home = TestHome::new().with_moto();
    let role = arn(&unique(tag));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    let entry = home.cache_dir().join(format!("{}.json", key_of(&role)));
    (home, role, entry)
}

fn planted_entry(access_key: &str) -> String {
    format!(
        r#"{{"Credentials": {{"AccessKeyId": "{access_key}", "SecretAccessKey": "planted-secret-value", "SessionToken": "planted-token-value", "Expiration": "2099-01-01T00:00:00Z"}}}}"#
    )
}

#[track_caller]
fn assert_replaced_by_own_file(home: &TestHome, out: &Output, entry: &Path, role: &str) {
    out.assert_success();
    assert!(!out.stdout.contains("PLANTED"), "{out:#?}");
    assert_eq!(moto().count("AssumeRole", "RoleArn", role), 1);
    let meta = std::fs::symlink_metadata(entry).unwrap();
    assert!(meta.file_type().is_file(), "replaced by a regular file");
    assert_eq!(meta.mode() & 0o777, 0o600);
    // And the new file is trusted: the next run is a hit.
    let again = home.env_bash(&["r"]);
    again.assert_success();
    assert_eq!(again.stderr, "");
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(moto().count("AssumeRole", "RoleArn", role), 1);
}

#[test]
fn symlinked_cache_entry_is_not_followed() {
    let (home, role, entry) = role_home("symentry");
    let decoy = home.path().join("decoy.json");
    std::fs::write(&decoy, planted_entry("ASIAPLANTED")).unwrap();
    symlink(&decoy, &entry).unwrap();
    let out = home.env_bash(&["r"]);
    assert!(out.stderr.contains("symbolic link"), "{out:#?}");
    assert!(out.stderr.contains(&entry.display().to_string()));
    assert_replaced_by_own_file(&home, &out, &entry, &role);
    assert_eq!(
        std::fs::read_to_string(&decoy).unwrap(),
        planted_entry("ASIAPLANTED"),
        "the link's target is untouched"
    );
}

#[test]
fn cache_entry_of_another_user_or_writable_by_others_is_not_trusted() {
    // Another owner (tests run as root here; as another user, a file we
    // cannot chown is simply skipped: the mode check below still runs).
    let (home, role, entry) = role_home("foreign");
    std::fs::write(&entry, planted_entry("ASIAPLANTED")).unwrap();
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o600)).unwrap();
    if std::os::unix::fs::chown(&entry, Some(65534), Some(65534)).is_ok() {
        let out = home.env_bash(&["r"]);
        assert!(out.stderr.contains("belongs to user id 65534"), "{out:#?}");
        assert_replaced_by_own_file(&home, &out, &entry, &role);
    }

    let (home, role, entry) = role_home("worldwritable");
    std::fs::write(&entry, planted_entry("ASIAPLANTED")).unwrap();
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = home.env_bash(&["r"]);
    assert!(out.stderr.contains("others may write to it"), "{out:#?}");
    assert_replaced_by_own_file(&home, &out, &entry, &role);
}

#[test]
fn fifo_in_place_of_a_cache_entry_does_not_block() {
    let (home, role, entry) = role_home("fifo");
    let made = Command::new("mkfifo").arg(&entry).status().unwrap();
    assert!(made.success());
    let mut cmd = home.cmd();
    cmd.args(["env", "r", "--shell", "bash"]);
    let out = common::run_within(&mut cmd, Duration::from_secs(20))
        .expect("awsrole blocked on a FIFO in the cache");
    assert!(out.stderr.contains("not a regular file"), "{out:#?}");
    assert_replaced_by_own_file(&home, &out, &entry, &role);
}

#[test]
fn symlinked_lock_or_temp_file_never_touches_the_target() {
    let victim_text = "precious user data\n";
    // A link at <key>.lock: not followed; the credentials come uncached.
    let (home, role, entry) = role_home("symlock");
    let key = key_of(&role);
    let victim = home.path().join("victim");
    std::fs::write(&victim, victim_text).unwrap();
    symlink(&victim, home.cache_dir().join(format!("{key}.lock"))).unwrap();
    let out = home.env_bash(&["r"]);
    out.assert_success();
    assert!(out.stdout.contains("AWS_SECRET_ACCESS_KEY"));
    assert!(
        out.stderr.contains("cannot use the cache lock") && out.stderr.contains("not cached"),
        "{out:#?}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), victim_text);
    assert!(!entry.exists(), "nothing cached without the lock");

    // A link at the temp name: removed, never opened.
    let (home, role, entry) = role_home("symtmp");
    let key = key_of(&role);
    let victim = home.path().join("victim");
    std::fs::write(&victim, victim_text).unwrap();
    let tmp = home.cache_dir().join(format!("{key}.json.awsrole-tmp"));
    symlink(&victim, &tmp).unwrap();
    let out = home.env_bash(&["r"]);
    out.assert_success();
    assert_eq!(out.stderr, "");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), victim_text);
    assert!(std::fs::symlink_metadata(&entry).unwrap().is_file());
    assert!(!tmp.exists() && std::fs::symlink_metadata(&tmp).is_err());
    assert_eq!(moto().count("AssumeRole", "RoleArn", &role), 1);
}

// ---------------------------------------------------------------- HOME

#[test]
fn read_only_home_still_yields_credentials_with_a_warning() {
    let (home, role, entry) = role_home("rohome");
    // A read-only bind mount of HOME in a private mount namespace: EROFS
    // holds even for root (file modes would not).
    let script = r#"mount --bind "$HOME" "$HOME" && mount -o remount,ro,bind "$HOME" && exec "$@""#;
    let ro = |home: &TestHome| {
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "sh", "-c", script, "sh"])
            .arg(common::awsrole_bin())
            .args(["env", "r", "--shell", "bash"])
            .env_clear()
            .envs(home.clean_env());
        run(&mut cmd)
    };
    let first = ro(&home);
    first.assert_success();
    assert!(
        first.stdout.contains("export AWS_SESSION_TOKEN="),
        "{first:#?}"
    );
    assert!(first.stderr.contains("warning"), "{first:#?}");
    assert!(first.stderr.contains("Read-only file system"), "{first:#?}");
    assert!(!first.stderr.contains("awsrole: error"), "{first:#?}");
    assert!(!entry.exists());
    let second = ro(&home);
    second.assert_success();
    assert_eq!(
        moto().count("AssumeRole", "RoleArn", &role),
        2,
        "nothing cached"
    );
    report(
        "files",
        &format!(
            "read-only HOME: credentials printed, exit 0, warning: {}",
            first.stderr.lines().next().unwrap_or("")
        ),
    );
}

#[test]
fn missing_home_still_yields_credentials_with_a_warning() {
    let (home, role, _) = role_home("nohome");
    let out = run(home
        .cmd()
        .args(["env", "r", "--shell", "bash"])
        .env_remove("HOME")
        .env("AWS_CONFIG_FILE", home.config_path()));
    out.assert_success();
    assert!(out.stdout.contains("export AWS_SESSION_TOKEN="), "{out:#?}");
    assert!(
        out.stderr.contains("warning: no home directory"),
        "{out:#?}"
    );
    assert_eq!(moto().count("AssumeRole", "RoleArn", &role), 1);
}

#[test]
fn cache_entry_with_non_ascii_expiration_is_a_miss_not_a_crash() {
    // Found by the fuzzer above: a multi-byte character where a time zone
    // would start made the time parser slice inside it and panic.
    let (home, role, entry) = role_home("nonascii");
    std::fs::write(
        &entry,
        r#"{"Credentials": {"AccessKeyId": "ASIAPLANTED", "SecretAccessKey": "planted-secret-value", "SessionToken": "planted-token-value", "Expiration": "2099-01-01T00:00:00\u00e9xxxx"}}"#,
    )
    .unwrap();
    let out = home.env_bash(&["r"]);
    assert_eq!(out.stderr, "", "{out:#?}");
    assert_replaced_by_own_file(&home, &out, &entry, &role);
}
