//! Concurrency: 64 awsrole processes released together on an empty cache
//! for a 2-hop chain make exactly one AssumeRole per hop (moto's recorder)
//! and print the same credentials; with the AWS CLI v1 running alongside, at
//! most one per hop (none when the CLI wrote the entry first); lock waits are
//! bounded and reported.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::stress::report;
use common::{Output, TestHome, arn, key_of, moto, unique};

const PROCESSES: usize = 64;
const BASE: &str = "[profile base]\naws_access_key_id = AKIDCONC\naws_secret_access_key = hardening-conc-source-secret\n";

/// A start line: the test holds an exclusive flock on a file; every child
/// first waits for a shared lock on it (`flock -s`), so all are released the
/// moment the test lets go, however late each got there.
struct Barrier {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    held: Option<std::fs::File>,
}

impl Barrier {
    fn new() -> Barrier {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("go");
        let held = std::fs::File::create(&path).unwrap();
        held.lock().unwrap();
        Barrier {
            _dir: dir,
            path,
            held: Some(held),
        }
    }

    /// `sh -c 'flock -s FILE true; exec PROGRAM ARGS'`
    fn command(&self, program: &Path, home: &TestHome) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#"flock -s "$0" true; exec "$@""#)
            .arg(&self.path)
            .arg(program)
            .env_clear()
            .envs(home.clean_env())
            .current_dir(home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// PROCESSES `awsrole env b` waiting at this barrier.
    fn awsrole_env_b(&self, home: &TestHome) -> Vec<std::process::Child> {
        (0..PROCESSES)
            .map(|_| {
                self.command(&common::awsrole_bin(), home)
                    .args(["env", "b", "--shell", "bash"])
                    .spawn()
                    .unwrap()
            })
            .collect()
    }

    /// Lets every child go.
    fn release(&mut self) -> Instant {
        // Give the children a moment to queue on the lock first.
        std::thread::sleep(Duration::from_millis(300));
        let at = Instant::now();
        drop(self.held.take());
        at
    }
}

/// Runs every child to its end on its own thread; returns (output, exit
/// time since `start`).
fn collect(
    children: Vec<std::process::Child>,
    start: &std::sync::OnceLock<Instant>,
) -> Vec<(Output, Duration)> {
    let threads: Vec<_> = children
        .into_iter()
        .map(|c| {
            let start = start.clone();
            std::thread::spawn(move || {
                let o = c.wait_with_output().unwrap();
                let done = Instant::now();
                let out = Output {
                    stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
                    code: o.status.code().unwrap_or(-1),
                };
                common::capture::record("awsrole (concurrent)", &out.stdout, &out.stderr);
                let began = *start.get().expect("released");
                (out, done.saturating_duration_since(began))
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

fn is_awsrole(r: &common::RecordedRequest) -> bool {
    !r.header("user-agent").unwrap_or("").starts_with("aws-cli/")
}

fn calls(role: &str, by_awsrole: bool) -> usize {
    moto()
        .requests_where("AssumeRole", "RoleArn", role)
        .iter()
        .filter(|r| is_awsrole(r) == by_awsrole)
        .count()
}

fn chain_home(tag: &str) -> (TestHome, String, String) {
    let home = TestHome::new().with_moto();
    let (a, b) = (
        arn(&unique(&format!("{tag}a"))),
        arn(&unique(&format!("{tag}b"))),
    );
    home.write_config(&format!(
        "{BASE}[profile a]\nrole_arn = {a}\nsource_profile = base\n[profile b]\nrole_arn = {b}\nsource_profile = a\nregion = us-east-1\n"
    ));
    (home, a, b)
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Every awsrole stderr line is a progress notice (or nothing): a wait for
/// another awsrole's lock or, on a loaded machine, for moto to answer (said
/// after 2 s). Returns how many processes waited for a lock.
#[track_caller]
fn assert_only_wait_notices(outs: &[(Output, Duration)]) -> usize {
    let lock_wait = "awsrole: waiting up to 60s for ";
    let sts_wait = format!(
        "awsrole: waiting for {} to answer AssumeRole ",
        moto().endpoint()
    );
    let mut waited = 0;
    for (o, _) in outs {
        assert_eq!(o.code, 0, "{o:#?}");
        for line in o.stderr.lines() {
            assert!(
                line.starts_with(lock_wait) || line.starts_with(&sts_wait),
                "unexpected stderr: {o:#?}"
            );
        }
        if o.stderr.lines().any(|l| l.starts_with(lock_wait)) {
            waited += 1;
        }
    }
    waited
}

#[test]
fn sixty_four_cold_processes_make_one_call_per_hop() {
    let (home, a, b) = chain_home("c64");
    let mut barrier = Barrier::new();
    let children = barrier.awsrole_env_b(&home);
    let start = std::sync::OnceLock::new();
    let _ = start.set(barrier.release());
    let outs = collect(children, &start);
    let waited = assert_only_wait_notices(&outs);
    for (o, _) in &outs {
        assert_eq!(o.stdout, outs[0].0.stdout, "all print the same credentials");
    }
    assert!(outs[0].0.stdout.contains("export AWS_SESSION_TOKEN="));
    assert_eq!(
        (calls(&a, true), calls(&b, true)),
        (1, 1),
        "one AssumeRole per hop"
    );
    let times: Vec<Duration> = outs.iter().map(|(_, t)| *t).collect();
    let max = percentile(times.clone(), 1.0);
    assert!(max < Duration::from_secs(30), "slowest took {max:?}");
    report(
        "concurrency",
        &format!(
            "{PROCESSES} awsrole processes, empty cache, 2-hop chain: AssumeRole calls per hop {}/{}, 1 distinct output, {waited} waited for a lock (notice on stderr), wall time median {:.0} ms, max {:.0} ms (lock wait bound {}s)",
            calls(&a, true),
            calls(&b, true),
            percentile(times, 0.5).as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            awsrole::cache::LOCK_TIMEOUT.as_secs()
        ),
    );
}

#[test]
fn sixty_four_processes_with_the_aws_cli_v1_alongside() {
    const CLIS: usize = 8;
    let (home, a, b) = chain_home("cli");
    // The AWS CLI v1 needs about a second to start (Python): its barrier
    // opens first, awsrole's a little later, so that both reach the empty
    // cache at about the same moment.
    let mut cli_barrier = Barrier::new();
    let mut barrier = Barrier::new();
    let cli = common::venv_bin("aws");
    let cli_children: Vec<_> = (0..CLIS)
        .map(|_| {
            cli_barrier
                .command(&cli, &home)
                .args([
                    "sts",
                    "get-caller-identity",
                    "--profile",
                    "b",
                    "--output",
                    "json",
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    let children = barrier.awsrole_env_b(&home);
    let cli_start = std::sync::OnceLock::new();
    let _ = cli_start.set(cli_barrier.release());
    std::thread::sleep(Duration::from_millis(700));
    let start = std::sync::OnceLock::new();
    let _ = start.set(barrier.release());
    let cli_waiter = std::thread::spawn(move || collect(cli_children, &cli_start));
    let outs = collect(children, &start);
    let cli_outs = cli_waiter.join().unwrap();
    let waited = assert_only_wait_notices(&outs);
    for (o, _) in &cli_outs {
        assert_eq!(o.code, 0, "AWS CLI v1 failed: {o:#?}");
        assert!(o.stdout.contains("\"Arn\""), "{o:#?}");
    }
    // Per hop, awsrole makes at most one AssumeRole: its processes take the
    // per-role lock and re-read the entry under it, and the CLI (botocore's
    // JSONFileCache) replaces entries by rename, so the re-read finds either
    // no file or a whole one. Zero is right when a CLI process wrote the entry
    // first. The CLI takes no lock: each of its CLIS processes reads each
    // hop's entry once and, on a miss, makes one AssumeRole (moto answers, so
    // no retries). All are released 0.7 s before awsrole, onto an empty
    // cache, so every one of them may miss: up to CLIS calls per hop. Someone
    // had to create each entry everybody used, so the total is at least one.
    let (own_a, own_b) = (calls(&a, true), calls(&b, true));
    let (cli_a, cli_b) = (calls(&a, false), calls(&b, false));
    for (hop, own, cli) in [("a", own_a, cli_a), ("b", own_b, cli_b)] {
        assert!(own <= 1, "hop {hop}: awsrole made {own} AssumeRole calls");
        assert!(
            cli <= CLIS,
            "hop {hop}: the AWS CLI made {cli} AssumeRole calls"
        );
        assert!(
            (1..=1 + CLIS).contains(&(own + cli)),
            "hop {hop}: {own} awsrole + {cli} AWS CLI AssumeRole calls"
        );
    }
    let mut distinct: Vec<&str> = outs.iter().map(|(o, _)| o.stdout.as_str()).collect();
    distinct.sort();
    distinct.dedup();
    // awsrole takes its lock, the AWS CLI does not: an awsrole process may
    // pick up an entry the CLI wrote, never anything else.
    assert!(
        distinct.len() <= 1 + cli_b,
        "{} distinct outputs",
        distinct.len()
    );

    // Then the AWS CLI reads while awsrole keeps rewriting the final hop's
    // entry (--refresh): every CLI run finds a whole, fresh file (a hit: no
    // AssumeRole of its own).
    let before_cli = calls(&b, false);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let cmd_env = home.clean_env();
            let dir = home.path().to_owned();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let o = Command::new(common::awsrole_bin())
                        .args(["env", "b", "--shell", "bash", "--refresh"])
                        .env_clear()
                        .envs(cmd_env.clone())
                        .current_dir(&dir)
                        .stdin(Stdio::null())
                        .output()
                        .unwrap();
                    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
                    common::capture::record(
                        "awsrole (refresh loop)",
                        &String::from_utf8_lossy(&o.stdout),
                        &stderr,
                    );
                    assert!(o.status.success(), "{stderr}");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let reads = common::stress::scaled(6, 40);
    for _ in 0..reads {
        let o = common::run(
            home.aws_v1()
                .args(["sts", "get-caller-identity", "--profile", "b"]),
        );
        assert!(
            o.success(),
            "AWS CLI v1 failed while awsrole rewrote the entry: {o:#?}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let writes: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(
        calls(&b, false),
        before_cli,
        "the CLI always found a whole, fresh entry"
    );
    let entry = home.cache_dir().join(format!("{}.json", key_of(&b)));
    assert!(awsrole::cache::parse_entry(&std::fs::read(&entry).unwrap()).is_some());
    report(
        "concurrency",
        &format!(
            "{PROCESSES} awsrole + {CLIS} AWS CLI v1 on an empty cache (CLI released 0.7 s earlier to cover its start-up): awsrole AssumeRole calls per hop {own_a}/{own_b} (the CLI, which takes no lock, made {cli_a}/{cli_b}), {} distinct awsrole outputs, {waited} waited for a lock; then {reads} AWS CLI v1 runs during {writes} awsrole --refresh rewrites of the same entry: all succeeded, none needed its own AssumeRole",
            distinct.len()
        ),
    );
}
