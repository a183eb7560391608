//! awsrole.exe (the x86_64-pc-windows-gnu build) under Wine, against moto on
//! loopback: `env` cold and warm, the cache shared with the Linux AWS CLI v1
//! both ways (Wine's Z: drive is this file system), 16 concurrent processes
//! making one AssumeRole per hop, `--shell cmd` output evaluated by Wine's
//! cmd.exe, the calling cmd.exe detected, `exec` exit codes, and `exec
//! --server`'s endpoint read by a second awsrole.exe.
//!
//! Each run goes through `cmd /c "set USERPROFILE=...&& awsrole.exe ..."`:
//! Wine sets USERPROFILE to its prefix's profile itself, and on Windows the
//! AWS CLI's caches are under USERPROFILE. Wine and awsrole.exe come from
//! scripts/test (AWSROLE_TEST_WINEPREFIX, AWSROLE_TEST_WINDOWS_EXE); a
//! missing one fails loudly.

mod common;

use std::collections::HashMap;

use common::wine::{awsrole_exe, cmd_call, wine, z_path};
use common::{Output, TestHome, arn, assume_calls, hop, moto, unique};

/// awsrole.exe ARGS with the test HOME as USERPROFILE and moto as STS.
fn exe(home: &TestHome, args: &[&str]) -> Output {
    let line = exe_line(home, args);
    let out = wine("cmd")
        .args(["/c", &line])
        .current_dir(home.path())
        .output()
        .expect("run wine");
    let out = Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    };
    common::capture::record("awsrole.exe (wine)", &out.stdout, &out.stderr);
    out
}

/// The cmd.exe line: set the variables, then run awsrole.exe. Arguments
/// and paths here are plain words (no cmd metacharacters, no spaces): wine
/// quotes a `"` in its own arguments, so none is written.
fn exe_line(home: &TestHome, args: &[&str]) -> String {
    for a in args.iter().chain([&z_path(&awsrole_exe()).as_str()]) {
        assert!(
            !a.contains(['"', '&', '|', '<', '>', '^', '%', ' ']),
            "not a plain word: {a}"
        );
    }
    format!(
        "set USERPROFILE={}&& set AWS_ENDPOINT_URL_STS={}&& {} {}",
        z_path(home.path()),
        moto().endpoint(),
        z_path(&awsrole_exe()),
        args.join(" ")
    )
}

/// base keys -> r1 -> r2 (unique roles), region eu-west-1.
fn chain_home() -> (TestHome, String, String) {
    let home = TestHome::new().with_moto();
    let (r1, r2) = (arn(&unique("win1")), arn(&unique("win2")));
    home.write_config(&format!(
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n\
         [profile r1]\nrole_arn = {r1}\nsource_profile = base\nregion = eu-west-1\n\
         [profile r2]\nrole_arn = {r2}\nsource_profile = r1\nregion = eu-west-1\n"
    ));
    (home, r1, r2)
}

/// The `set NAME=value` lines of `--shell cmd` output, evaluated by cmd.exe.
fn in_cmd(batch: &str) -> HashMap<String, String> {
    let got = cmd_call(batch, &[]);
    assert_eq!(got.errorlevel, 0, "{batch}\n{}", got.stdout);
    got.vars
}

#[test]
fn env_cold_then_warm_and_its_cmd_output_evaluates_in_cmd_exe() {
    let (home, r1, _) = chain_home();
    let cold = exe(&home, &["env", "r1", "--shell", "cmd"]);
    cold.assert_success();
    assert_eq!(assume_calls(&r1), 1);
    // The entry is where the AWS CLI on Windows keeps it, under USERPROFILE.
    let cached = home.cached(&hop(&r1, None));
    let vars = in_cmd(&cold.stdout);
    assert_eq!(vars["AWS_ACCESS_KEY_ID"], cached.access_key_id);
    assert_eq!(vars["AWS_SECRET_ACCESS_KEY"], cached.secret_access_key);
    assert_eq!(
        Some(&vars["AWS_SESSION_TOKEN"]),
        cached.session_token.as_ref()
    );
    assert_eq!(vars["AWS_REGION"], "eu-west-1");
    assert_eq!(vars["AWSROLE_PROFILE"], "r1");

    let warm = exe(&home, &["env", "r1", "--shell", "cmd"]);
    warm.assert_success();
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(assume_calls(&r1), 1, "the warm run called STS");
}

#[test]
fn the_calling_cmd_exe_is_detected() {
    let (home, _, _) = chain_home();
    let out = exe(&home, &["env", "base"]);
    out.assert_success();
    assert!(
        out.stdout.starts_with("set AWS_ACCESS_KEY_ID=AKIDBASE\r\n"),
        "{out:#?}"
    );
    let failed = exe(&home, &["env", "nosuch"]);
    assert_ne!(failed.code, 0);
    assert_eq!(failed.stdout, "cmd /c exit 3\r\n", "{failed:#?}");
}

#[test]
fn the_cache_is_shared_with_the_linux_aws_cli_both_ways() {
    // awsrole.exe writes, the AWS CLI v1 (Linux, same folder) reads.
    let (home, r1, _) = chain_home();
    exe(&home, &["env", "r1", "--shell", "cmd"]).assert_success();
    let written = home.cached(&hop(&r1, None));
    let out = common::run(&mut home.aws_v1_identity("r1"));
    out.assert_success();
    assert_eq!(assume_calls(&r1), 1, "the AWS CLI did not reuse the entry");
    assert_eq!(home.cached(&hop(&r1, None)), written);

    // The AWS CLI v1 writes, awsrole.exe reads.
    let (home, r1, _) = chain_home();
    common::run(&mut home.aws_v1_identity("r1")).assert_success();
    assert_eq!(assume_calls(&r1), 1);
    let by_cli = home.cached(&hop(&r1, None));
    let out = exe(&home, &["env", "r1", "--shell", "cmd"]);
    out.assert_success();
    assert_eq!(assume_calls(&r1), 1, "awsrole.exe did not reuse the entry");
    assert_eq!(
        in_cmd(&out.stdout)["AWS_ACCESS_KEY_ID"],
        by_cli.access_key_id
    );
}

#[test]
fn sixteen_concurrent_processes_make_one_assume_role_per_hop() {
    let (home, r1, r2) = chain_home();
    let home = std::sync::Arc::new(home);
    let runs: Vec<_> = (0..16)
        .map(|_| {
            let home = std::sync::Arc::clone(&home);
            std::thread::spawn(move || exe(&home, &["env", "r2", "--shell", "cmd"]))
        })
        .collect();
    let outs: Vec<Output> = runs.into_iter().map(|t| t.join().unwrap()).collect();
    for o in &outs {
        o.assert_success();
    }
    let keys: std::collections::HashSet<_> = outs.iter().map(|o| in_cmd_key(&o.stdout)).collect();
    assert_eq!(keys.len(), 1, "different credentials: {keys:?}");
    assert_eq!(assume_calls(&r1), 1, "hop 1");
    assert_eq!(assume_calls(&r2), 1, "hop 2");
    // No lock or temp file left but the lock files themselves.
    for e in std::fs::read_dir(home.cache_dir()).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            name.ends_with(".json") || name.ends_with(".lock"),
            "left behind: {name}"
        );
    }
}

/// The access key of `set` lines, without starting cmd.exe 16 times.
fn in_cmd_key(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("set AWS_ACCESS_KEY_ID="))
        .unwrap_or_else(|| panic!("no key in {out}"))
        .trim_end()
        .to_string()
}

#[test]
fn exec_passes_the_exit_code_and_the_credentials_through() {
    let (home, r1, _) = chain_home();
    let code = |args: &[&str]| exe(&home, args).code;
    assert_eq!(code(&["exec", "r1", "--", "cmd", "/c", "exit", "7"]), 7);
    assert_eq!(code(&["exec", "r1", "--", "cmd", "/c", "exit", "0"]), 0);
    assert_eq!(assume_calls(&r1), 1);
    // The command sees the role's key, and no AWS_PROFILE.
    let key = home.cached(&hop(&r1, None)).access_key_id;
    let check = format!("if \"%AWS_ACCESS_KEY_ID%\"==\"{key}\" (exit 5) else (exit 6)");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("check.cmd");
    std::fs::write(&script, format!("@{check}\r\n")).unwrap();
    let z = z_path(&script);
    assert_eq!(code(&["exec", "r1", "--", "cmd", "/c", &z]), 5);
    let missing = exe(&home, &["exec", "r1", "--", "no-such-command-awsrole"]);
    assert_eq!(missing.code, 127, "{missing:#?}");
    assert!(missing.stderr.contains("command not found"), "{missing:#?}");
}

/// `exec --server` on Windows: the command gets the endpoint (no static
/// keys) and its exit code comes back; an awsrole.exe inside it with
/// `credential_source = EcsContainer` reads the endpoint (127.0.0.1) and
/// signs its AssumeRole with the outer role's key.
#[test]
fn exec_server_serves_the_command_on_loopback() {
    let (home, r1, _) = chain_home();
    let inner = arn(&unique("wininner"));
    let config = std::fs::read_to_string(home.config_path()).unwrap();
    home.write_config(&format!(
        "{config}[profile inner]\nrole_arn = {inner}\ncredential_source = EcsContainer\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe.cmd");
    std::fs::write(
        &probe,
        "@if defined AWS_CONTAINER_CREDENTIALS_FULL_URI (if not defined AWS_ACCESS_KEY_ID exit 4)\r\n@exit 5\r\n",
    )
    .unwrap();
    let out = exe(
        &home,
        &["exec", "--server", "r1", "--", "cmd", "/c", &z_path(&probe)],
    );
    assert_eq!(out.code, 4, "{out:#?}");

    let got = dir.path().join("inner.txt");
    let nested = dir.path().join("nested.cmd");
    std::fs::write(
        &nested,
        format!(
            "@{} env inner --shell cmd > {}\r\n@exit %ERRORLEVEL%\r\n",
            z_path(&awsrole_exe()),
            z_path(&got)
        ),
    )
    .unwrap();
    let out = exe(
        &home,
        &[
            "exec",
            "--server",
            "r1",
            "--",
            "cmd",
            "/c",
            &z_path(&nested),
        ],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let vars = in_cmd(&std::fs::read_to_string(&got).unwrap());
    assert_eq!(
        vars["AWS_ACCESS_KEY_ID"],
        home.cached(&hop(&inner, None)).access_key_id
    );
    let outer_key = home.cached(&hop(&r1, None)).access_key_id;
    let calls = moto().requests_where("AssumeRole", "RoleArn", &inner);
    assert_eq!(calls.len(), 1);
    let auth = calls[0].header("Authorization").unwrap_or_default();
    assert!(auth.contains(&format!("Credential={outer_key}/")), "{auth}");
}
