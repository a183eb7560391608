//! Trust boundaries (issue 17), each finding reproduced: another local user
//! who may write into the cache folder (the move attack, the lock squat), a
//! FIFO swapped in and out of an entry while awsrole reads it, an MFA prompt
//! reached from the prompt hook through `credential_process`, hanging and
//! flooding credential_process commands, a 100 000-hop chain, a stray
//! `COMPLETE` variable and `clear` on a planted lock.
//!
//! Tests with two users run only as root (they create them with setpriv and
//! unused uids); otherwise they say so loudly on stderr and pass.

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::stress::{report, scaled};
use common::{Output, TestHome, Tmux, awsrole_bin, moto, run, sh_quote, unique};
use common::{arn, key_of};

const BASE: &str = "[profile base]\naws_access_key_id = AKIDTRUST\naws_secret_access_key = trust-boundaries-source-secret\n";

fn is_root() -> bool {
    // SAFETY: geteuid(2) cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Two unused uids for the victim and the attacker, or None (with a loud
/// note) when not root.
fn two_users(test: &str) -> Option<(u32, u32)> {
    if !is_root() {
        eprintln!(
            "\n!!!!!!!! SKIPPED {test}: needs root to create two users (setpriv with unused uids); run the suite as root to check it !!!!!!!!\n"
        );
        return None;
    }
    let mut dir = awsrole_bin();
    while dir.pop() {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert!(
            mode & 0o001 != 0,
            "{} is not searchable by other users",
            dir.display()
        );
    }
    // Unused by anything on the machine: not in /etc/passwd, no process.
    let base = 61000 + (std::process::id() % 1000) * 2;
    Some((base, base + 1))
}

/// A command run as `uid` (and gid `uid`, no supplementary groups).
fn as_user(uid: u32, program: &Path) -> Command {
    let mut c = Command::new("setpriv");
    c.arg(format!("--reuid={uid}"))
        .arg(format!("--regid={uid}"))
        .arg("--clear-groups")
        .arg("--")
        .arg(program);
    c
}

/// awsrole run by `uid` in `home` (which `uid` owns).
fn awsrole_as(home: &TestHome, uid: u32, args: &[&str]) -> Output {
    // Every folder above the binary is world-searchable (checked below).
    let mut c = as_user(uid, &awsrole_bin());
    c.env_clear()
        .envs(home.clean_env())
        .current_dir("/")
        .args(args);
    run(&mut c)
}

fn chown_r(path: &Path, uid: u32) {
    let ok = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{uid}"))
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

fn access_key(out: &Output) -> String {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_ACCESS_KEY_ID="))
        .unwrap_or_else(|| panic!("no key in {out:#?}"))
        .trim_matches('\'')
        .to_string()
}

/// The victim's home: two roles from one user's keys, owned by `uid`.
fn victim_home(uid: u32, tag: &str) -> (TestHome, String, String) {
    let home = TestHome::new().with_moto();
    let admin = arn(&unique(&format!("{tag}-prodadmin")));
    let readonly = arn(&unique(&format!("{tag}-devreadonly")));
    home.write_config(&format!(
        "{BASE}[profile admin]\nrole_arn = {admin}\nsource_profile = base\n\
         [profile readonly]\nrole_arn = {readonly}\nsource_profile = base\n"
    ));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    chown_r(home.path(), uid);
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    (home, admin, readonly)
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// ------------------------------------------------------------- the folder

#[test]
fn move_attack_in_a_folder_others_may_write_is_refused() {
    let Some((victim, attacker)) = two_users("move_attack") else {
        return;
    };
    let (home, admin, readonly) = victim_home(victim, "move");
    let cache = home.cache_dir();
    // botocore's os.makedirs under umask 000.
    set_mode(&cache, 0o777);
    set_mode(&home.path().join(".aws"), 0o755);
    // The victim's prod-admin entry exists (written while the folder was
    // still private, by an earlier awsrole or the AWS CLI).
    set_mode(&cache, 0o700);
    let first = awsrole_as(&home, victim, &["env", "admin", "--shell", "bash"]);
    first.assert_success();
    let admin_key = access_key(&first);
    set_mode(&cache, 0o777);

    // The attacker renames it to the read-only role's name.
    let from = cache.join(format!("{}.json", key_of(&admin)));
    let to = cache.join(format!("{}.json", key_of(&readonly)));
    let mv = run(as_user(attacker, Path::new("/bin/mv")).arg(&from).arg(&to));
    assert!(mv.success(), "the attacker could not move it: {mv:?}");

    let before = moto().count("AssumeRole", "RoleArn", &readonly);
    let out = awsrole_as(&home, victim, &["env", "readonly", "--shell", "bash"]);
    out.assert_success();
    assert_ne!(
        access_key(&out),
        admin_key,
        "prod-admin handed over: {out:#?}"
    );
    let chmod = format!("run: chmod 700 {}", cache.display());
    assert!(
        out.stderr.contains("not using the cache folder") && out.stderr.contains(&chmod),
        "{out:#?}"
    );
    assert_eq!(moto().count("AssumeRole", "RoleArn", &readonly), before + 1);
    assert!(
        to.exists(),
        "nothing written into the folder: the moved file stays"
    );

    // Folder fixed as told: the moved entry is read, but it names
    // prod-admin, not dev-readonly: a miss with a warning, then replaced.
    set_mode(&cache, 0o700);
    let out = awsrole_as(&home, victim, &["env", "readonly", "--shell", "bash"]);
    out.assert_success();
    assert_ne!(access_key(&out), admin_key);
    assert!(
        out.stderr.contains("they are for arn:aws:sts::")
            && out.stderr.contains(&format!("not for role {readonly}")),
        "{out:#?}"
    );
    let entry = std::fs::read_to_string(&to).unwrap();
    assert!(entry.contains("devreadonly"), "{entry}");
    report(
        "trust_boundaries",
        "move attack (uid 2 renames uid 1's prod-admin entry to dev-readonly in a 0777 folder): refused with `chmod 700` advice; after chmod the moved entry is a miss (role mismatch), never used",
    );
}

#[test]
fn lock_squat_by_another_user_neither_blocks_nor_is_written_nor_quoted() {
    let Some((victim, attacker)) = two_users("lock_squat") else {
        return;
    };
    for mode in [0o777, 0o1777] {
        let (home, _admin, readonly) = victim_home(victim, "squat");
        let cache = home.cache_dir();
        set_mode(&cache, mode);
        let lock = cache.join(format!("{}.lock", key_of(&readonly)));
        let text = "awsrole process 1 (profile `x`) \u{1b}[2J HOSTILE-LOCK-TEXT\n";
        let mut holder = as_user(attacker, Path::new("/bin/sh"))
            .arg("-c")
            .arg(format!(
                "umask 0; printf '%s' {} > {l}; exec flock {l} sleep 300",
                sh_quote(text),
                l = sh_quote(&lock.to_string_lossy())
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !lock.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let out = awsrole_as(&home, victim, &["env", "readonly", "--shell", "bash"]);
        let took = started.elapsed();
        // SAFETY: kill(2) on our own child's group (flock's sleep too).
        unsafe { libc::kill(-(holder.id() as i32), libc::SIGKILL) };
        let _ = holder.wait();
        out.assert_success();
        assert!(took < Duration::from_secs(10), "{mode:o}: waited {took:?}");
        assert!(!out.stderr.contains("HOSTILE"), "{mode:o}: {out:#?}");
        assert!(!out.stderr.contains("waiting"), "{mode:o}: {out:#?}");
        assert_eq!(std::fs::read_to_string(&lock).unwrap(), text, "{mode:o}");
        if mode == 0o1777 {
            // A sticky folder is fine; the lock file of another user is not.
            assert!(
                out.stderr.contains("cannot use the cache lock")
                    && out
                        .stderr
                        .contains(&format!("belongs to user id {attacker}")),
                "{out:#?}"
            );
        }
        report(
            "trust_boundaries",
            &format!(
                "lock squat (uid 2's 0666 lock, flock held) in a {mode:o} folder: credentials in {} ms, lock file untouched, its text never printed",
                took.as_millis()
            ),
        );
    }
}

// ------------------------------------------------------------- FIFO race

#[test]
fn an_entry_swapped_with_a_fifo_never_hangs_a_reader() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("fifo-race"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    run(home.cmd().args(["env", "r", "--shell", "bash"])).assert_success();
    let entry = home.cache_dir().join(format!("{}.json", key_of(&role)));
    let fifo = home.cache_dir().join("swap.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));
    let swapper = {
        let (stop, swaps) = (stop.clone(), swaps.clone());
        let a = std::ffi::CString::new(entry.to_str().unwrap()).unwrap();
        let b = c.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: valid paths; RENAME_EXCHANGE swaps the two names.
                let r = unsafe {
                    libc::renameat2(
                        libc::AT_FDCWD,
                        a.as_ptr(),
                        libc::AT_FDCWD,
                        b.as_ptr(),
                        libc::RENAME_EXCHANGE,
                    )
                };
                if r == 0 {
                    swaps.fetch_add(1, Ordering::Relaxed);
                }
                // A refresh renames its new entry over the FIFO when it finds
                // it at the entry's name: make another.
                let fifo_left = [&a, &b].iter().any(|p| {
                    // SAFETY: valid path, zeroed stat buffer.
                    let mut st: libc::stat = unsafe { std::mem::zeroed() };
                    let found = unsafe { libc::lstat(p.as_ptr(), &mut st) } == 0;
                    found && (st.st_mode & libc::S_IFMT) == libc::S_IFIFO
                });
                if !fifo_left {
                    // SAFETY: valid path.
                    unsafe {
                        libc::unlink(b.as_ptr());
                        libc::mkfifo(b.as_ptr(), 0o600);
                    }
                }
                std::thread::yield_now();
            }
        })
    };
    let runs = scaled(100, 1000);
    let min_swaps = scaled(3000, 30000);
    let started = Instant::now();
    let (mut done, mut met_fifo) = (0, 0);
    while done < runs || swaps.load(Ordering::Relaxed) < min_swaps {
        let mut cmd = home.cmd();
        cmd.args(["env", "r", "--shell", "bash", "--no-input"]);
        let Some(out) = common::run_within(&mut cmd, Duration::from_secs(20)) else {
            stop.store(true, Ordering::Relaxed);
            panic!("awsrole hung on an entry swapped with a FIFO (run {done})");
        };
        assert_eq!(out.code, 0, "{out:#?}");
        assert!(out.stdout.contains("AWS_SECRET_ACCESS_KEY"));
        if out.stderr.contains("not a regular file") {
            met_fifo += 1;
        }
        done += 1;
        if started.elapsed() > Duration::from_secs(240) {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    // No FIFO may stay in the home: the harness reads every file in it.
    for p in [&entry, &fifo] {
        if std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_file()) {
            std::fs::remove_file(p).unwrap();
        }
    }
    let n = swaps.load(Ordering::Relaxed);
    assert!(n >= 1000, "only {n} swaps in {done} runs");
    assert!(met_fifo > 0, "no run met the FIFO: the race was not run");
    report(
        "trust_boundaries",
        &format!(
            "FIFO-swap race: {n} RENAME_EXCHANGE swaps of the entry with a FIFO during {done} awsrole runs in {:.1} s ({met_fifo} found the FIFO at the entry's name): none hung, all printed credentials",
            started.elapsed().as_secs_f64()
        ),
    );
}

// ------------------------------------------------- the hook and MFA input

#[test]
fn the_hook_never_prompts_for_mfa_through_credential_process() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("viaproc-mfa"));
    home.write_config(&format!(
        "{BASE}[profile mfarole]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/trust\n\
         [profile viaproc]\ncredential_process = awsrole credential-process mfarole\n"
    ));
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    symlink(awsrole_bin(), bin.join("awsrole")).unwrap();
    let mut env = home.clean_env();
    for (k, v) in env.iter_mut() {
        if k == "PATH" {
            *v = format!("{}:{v}", bin.display());
        }
    }
    env.push(("PS1".into(), "READY$ ".into()));
    let tmux = Tmux::start("exec bash --noprofile --norc -i", env, 200, 40);
    tmux.wait_for("READY$", Duration::from_secs(20));
    tmux.send_line("eval \"$(awsrole hook bash)\"");
    // Credentials due at once: the next prompt refreshes them.
    let started = Instant::now();
    tmux.send_line("export AWSROLE_PROFILE=viaproc AWSROLE_EXPIRATION=1000; echo MARK-$((6*7))");
    let screen = tmux.wait_for("needs an MFA code", Duration::from_secs(30));
    let took = started.elapsed();
    tmux.send_line("echo AFTER-$((6*7))");
    let screen2 = tmux.wait_for("AFTER-42", Duration::from_secs(20));
    assert!(!screen.contains("Enter MFA code"), "{screen}");
    assert!(!screen2.contains("Enter MFA code"), "{screen2}");
    assert!(took < Duration::from_secs(12), "the hook took {took:?}");
    assert_eq!(moto().count("AssumeRole", "RoleArn", &role), 0);
    report(
        "trust_boundaries",
        &format!(
            "hook with credential_process = awsrole credential-process <MFA role>: no prompt, `needs an MFA code` after {} ms",
            took.as_millis()
        ),
    );
}

#[test]
fn outside_the_hook_credential_process_still_asks_on_the_terminal() {
    // The child runs in its own process group (so that a time limit can
    // kill all of it) but gets the terminal's foreground for its run.
    let home = TestHome::new().with_moto();
    let role = arn(&unique("viaproc-ask"));
    home.write_config(&format!(
        "{BASE}[profile mfarole]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/ask\n\
         [profile viaproc]\ncredential_process = {} credential-process mfarole\n",
        sh_quote(&awsrole_bin().to_string_lossy())
    ));
    let tmux = home.tmux("exec bash --noprofile --norc", 200, 40);
    tmux.send_line(&format!(
        "eval \"$({} env viaproc)\"; echo \"done-$?-${{AWS_ACCESS_KEY_ID:+set}}\"",
        sh_quote(&awsrole_bin().to_string_lossy())
    ));
    tmux.wait_for(
        "Enter MFA code for arn:aws:iam::123456789012:mfa/ask:",
        Duration::from_secs(30),
    );
    tmux.send_line("123456");
    // Typed as `done-$?-…`: only the output reads `done-0-set`.
    tmux.wait_for("done-0-set", Duration::from_secs(30));
    assert_eq!(moto().count("AssumeRole", "RoleArn", &role), 1);
}

#[test]
fn awsrole_no_input_in_the_environment_is_honoured() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("noinput-env"));
    home.write_config(&format!(
        "{BASE}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/t\n"
    ));
    for sub in [
        &["env", "m", "--shell", "bash"][..],
        &["credential-process", "m"],
    ] {
        let out = run(home.cmd().args(sub).env("AWSROLE_NO_INPUT", "1"));
        assert_eq!(out.code, 6, "{sub:?}: {out:#?}");
        // A failed env fails the caller's eval; other commands print nothing.
        let want = if sub[0] == "env" { "(exit 6)\n" } else { "" };
        assert_eq!(out.stdout, want, "{sub:?}");
    }
}

#[test]
fn mfa_process_is_bounded_under_no_input() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("mfaproc-hang"));
    home.write_config(&format!(
        "{BASE}[profile m]\nrole_arn = {role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/t\nmfa_process = sh -c 'sleep 97531' mfa-arg-secret\n"
    ));
    let started = Instant::now();
    let out = run(home
        .cmd()
        .args(["env", "m", "--shell", "bash", "--no-input"]));
    let took = started.elapsed();
    assert_eq!(out.code, 6, "{out:#?}");
    assert!(took < Duration::from_secs(14), "{took:?}");
    assert!(out.stderr.contains("no answer within 10s"), "{out:#?}");
    assert!(!out.stderr.contains("mfa-arg-secret"), "{out:#?}");
    assert!(no_process_with("sleep 97531"));
}

// ------------------------------------------------- credential_process

fn no_process_with(needle: &str) -> bool {
    std::thread::sleep(Duration::from_millis(200));
    let out = Command::new("pgrep")
        .arg("-f")
        .arg(needle)
        .output()
        .unwrap();
    out.stdout.is_empty()
}

/// `awsrole env r` for a role whose source runs `command`, under
/// /usr/bin/time: the output, the wall time and the peak RSS in KiB.
fn env_with_process(command: &str, extra: &[&str]) -> (Output, Duration, u64) {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("proc-bound"));
    home.write_config(&format!(
        "[profile p]\ncredential_process = {command}\n[profile r]\nrole_arn = {role}\nsource_profile = p\n"
    ));
    let rss_file = home.path().join("rss");
    let started = Instant::now();
    let mut c = Command::new("/usr/bin/time");
    c.env_clear()
        .envs(home.clean_env())
        .arg("-o")
        .arg(&rss_file)
        .arg("-f")
        .arg("%M")
        .arg(awsrole_bin())
        .args(["env", "r", "--shell", "bash"])
        .args(extra);
    let out = run(&mut c);
    let took = started.elapsed();
    let rss = std::fs::read_to_string(&rss_file)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    assert_eq!(moto().count("AssumeRole", "RoleArn", &role), 0);
    (out, took, rss)
}

#[test]
fn a_hanging_credential_process_is_stopped_within_the_hooks_bound() {
    let (out, took, _) = env_with_process("sh -c 'sleep 86421' secret-in-args", &["--no-input"]);
    assert_eq!(out.code, 4, "{out:#?}");
    assert!(took < Duration::from_secs(12), "took {took:?}");
    assert!(out.stderr.contains("no answer within 10s"), "{out:#?}");
    assert!(
        out.stderr.contains("`sh` (arguments not shown)"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("secret-in-args"), "{out:#?}");
    assert!(
        no_process_with("sleep 86421"),
        "the process group was not killed"
    );
    report(
        "trust_boundaries",
        &format!(
            "hanging credential_process (sleep) under --no-input: stopped with its process group after {:.1} s (bound 10 s)",
            took.as_secs_f64()
        ),
    );
}

#[test]
fn a_flooding_credential_process_costs_little_time_and_memory() {
    // 500 MB on stdout.
    let (out, took, rss) = env_with_process("head -c 500000000 /dev/zero", &[]);
    assert_eq!(out.code, 4, "{out:#?}");
    assert!(out.stderr.contains("more than 64 KiB"), "{out:#?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(rss > 0 && rss < 100 * 1024, "peak RSS {rss} KiB");
    // 50 MB on stderr: only the start is quoted.
    let (out2, took2, rss2) = env_with_process(
        "sh -c 'head -c 50000000 /dev/zero | tr \"\\000\" x >&2; exit 1'",
        &[],
    );
    assert_eq!(out2.code, 4, "{out2:#?}");
    assert!(
        out2.stderr.len() < 4096,
        "{} bytes of stderr",
        out2.stderr.len()
    );
    assert!(out2.stderr.contains("xxxx") && out2.stderr.contains("[...]"));
    assert!(rss2 < 100 * 1024, "peak RSS {rss2} KiB");
    report(
        "trust_boundaries",
        &format!(
            "flooding credential_process: 500 MB on stdout stopped at 64 KiB in {:.2} s, peak RSS {} MiB; 50 MB on stderr: {} bytes of message in {:.2} s, peak RSS {} MiB",
            took.as_secs_f64(),
            rss / 1024,
            out2.stderr.len(),
            took2.as_secs_f64(),
            rss2 / 1024
        ),
    );
}

// ------------------------------------------------- deep chains

fn deep_home(hops: usize) -> TestHome {
    let home = TestHome::new().with_moto();
    let mut text = String::with_capacity(hops * 90);
    text.push_str(
        "[profile p0]\naws_access_key_id = AKIDDEEP\naws_secret_access_key = deep-chain-secret\n",
    );
    for i in 1..=hops {
        text.push_str(&format!(
            "[profile p{i}]\nrole_arn = arn:aws:iam::123456789012:role/r{i}\nsource_profile = p{}\n",
            i - 1
        ));
    }
    home.write_config(&text);
    home
}

#[test]
fn a_100000_hop_chain_is_a_clear_error_quickly_and_list_stays_fast() {
    let home = deep_home(100_000);
    let started = Instant::now();
    let out = run(home.cmd().args(["env", "p100000", "--shell", "bash"]));
    let env_took = started.elapsed();
    assert_eq!(out.code, 3, "{out:#?}");
    assert_eq!(out.stdout, "(exit 3)\n");
    assert!(
        out.stderr
            .contains("the source_profile chain of `p100000` has more than 64 role hops")
            && out.stderr.contains("`p100000` -> `p99999`")
            && out.stderr.contains(".aws/config:"),
        "{}",
        out.stderr
    );
    assert!(env_took < Duration::from_secs(30), "env took {env_took:?}");

    let started = Instant::now();
    let out = run(home.cmd().args(["list", "--json"]));
    let list_took = started.elapsed();
    out.assert_success();
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 100_001);
    let too_long = rows
        .iter()
        .filter(|r| r.to_string().contains("more than 64 role hops"))
        .count();
    assert_eq!(too_long, 100_000 - 64);
    assert!(
        list_took < Duration::from_secs(90),
        "list took {list_took:?}"
    );

    // Exactly the cap still resolves.
    let out = run(home.cmd().args(["env", "p64", "--shell", "bash"]));
    out.assert_success();
    report(
        "trust_boundaries",
        &format!(
            "100 000-hop chain: env exits 3 with the chain named in {:.1} s; list (100 001 profiles) in {:.1} s (debug build); 64 hops resolve",
            env_took.as_secs_f64(),
            list_took.as_secs_f64()
        ),
    );
}

#[test]
fn list_on_a_10000_hop_chain_is_fast() {
    let home = deep_home(10_000);
    let started = Instant::now();
    let out = run(home.cmd().arg("list"));
    let took = started.elapsed();
    out.assert_success();
    assert!(took < Duration::from_secs(15), "list took {took:?}");
    report(
        "trust_boundaries",
        &format!(
            "10 000-hop chain: list in {:.2} s (debug build)",
            took.as_secs_f64()
        ),
    );
}

// ------------------------------------------------- smaller ones

#[test]
fn a_generic_complete_variable_does_not_hijack_env() {
    let home = TestHome::new();
    home.write_config(BASE);
    let out = run(home
        .cmd()
        .args(["env", "base", "--shell", "bash"])
        .env("COMPLETE", "bash"));
    out.assert_success();
    assert!(out.stdout.contains("AWS_ACCESS_KEY_ID"), "{out:#?}");
}

#[test]
fn clear_never_follows_a_lock_link_nor_quotes_a_lock() {
    let home = TestHome::new().with_moto();
    let role = arn(&unique("clearlock"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\n"
    ));
    run(home.cmd().args(["env", "r", "--shell", "bash"])).assert_success();
    let lock = home.cache_dir().join(format!("{}.lock", key_of(&role)));
    // A link at the lock: removed, its target untouched.
    let victim = home.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let _ = std::fs::remove_file(&lock);
    symlink(&victim, &lock).unwrap();
    let out = run(home.cmd().args(["clear", "r"]));
    out.assert_success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(std::fs::symlink_metadata(&lock).is_err(), "the link stays");

    // A busy lock with hostile text: the text is never printed.
    run(home.cmd().args(["env", "r", "--shell", "bash"])).assert_success();
    std::fs::write(&lock, "evil \u{1b}]0;TITLE\u{7} CLEAR-HOSTILE\n").unwrap();
    let mut holder = Command::new("flock")
        .arg(&lock)
        .args(["sleep", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let out = run(home.cmd().args(["clear", "r"]));
    // SAFETY: kill(2) on our own child's group (flock's sleep too).
    unsafe { libc::kill(-(holder.id() as i32), libc::SIGKILL) };
    let _ = holder.wait();
    assert_ne!(out.code, 0, "{out:#?}");
    assert!(out.stderr.contains("held by another process"), "{out:#?}");
    assert!(!out.stderr.contains("HOSTILE") && !out.stderr.contains('\u{1b}'));
}
