//! Crashes: `awsrole env --refresh` SIGKILLed at random points while it
//! refreshes (startup, lock, STS call, temp write, rename), hundreds
//! of times, never leaves a cache file that awsrole or the AWS CLI cannot
//! parse, never more than one temp file (of one entry's size), and never a
//! lock that blocks the next process.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fake_sts::{Behaviour, FakeSts};
use common::stress::{Rng, report, scaled};
use common::{TestHome, arn, key_of, run, unique, venv_bin};

const BASE: &str = "[profile base]\naws_access_key_id = AKIDCRASH\naws_secret_access_key = hardening-crash-source-secret\n";

/// botocore's own cache reader (the AWS CLI's `JSONFileCache`) over every
/// distinct body the cache file held: prints how many it read.
const BOTOCORE_READ: &str = r#"
import json, os, sys, tempfile
from botocore.utils import JSONFileCache
bodies = json.load(sys.stdin)
d = tempfile.mkdtemp()
cache = JSONFileCache(d)
for body in bodies:
    with open(os.path.join(d, "k.json"), "w") as f:
        f.write(body)
    entry = cache["k"]
    c = entry["Credentials"]
    assert c["AccessKeyId"] and c["SecretAccessKey"] and c["SessionToken"] and c["Expiration"], body
print(len(bodies))
"#;

#[test]
fn sigkill_at_random_points_never_corrupts_the_cache_nor_blocks() {
    let kills = scaled(120, 600);
    let sts = FakeSts::start(Behaviour::Answer {
        min_ms: 0,
        max_ms: 12,
    });
    let home = TestHome::new();
    let role = arn(&unique("crash"));
    home.write_config(&format!(
        "{BASE}[profile r]\nrole_arn = {role}\nsource_profile = base\nregion = us-east-1\n"
    ));
    let key = key_of(&role);
    let dir = home.cache_dir();
    let entry = dir.join(format!("{key}.json"));
    let lock = dir.join(format!("{key}.lock"));
    let tmp = dir.join(format!("{key}.json.awsrole-tmp"));
    let env_cmd = || {
        let mut c = home.cmd();
        c.args(["env", "r", "--shell", "bash", "--refresh"])
            .env("AWS_ENDPOINT_URL_STS", &sts.url);
        c
    };

    // How long a whole refresh takes here: kills are spread over 0..1.3x.
    let mut full_runs = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        run(&mut env_cmd()).assert_success();
        full_runs.push(t.elapsed());
    }
    full_runs.sort();
    let span = full_runs[4].mul_f64(1.3).as_micros() as u64;
    let (mut rng, seed) = Rng::seeded();

    let mut bodies: BTreeSet<String> = BTreeSet::new();
    bodies.insert(std::fs::read_to_string(&entry).unwrap());
    let (mut rewritten, mut tmp_left, mut unchanged, mut exited) = (0, 0, 0, 0);
    let mut max_files = 0;
    let mut max_tmp = 0u64;
    let mut checks = 0;
    for i in 0..kills {
        let before = std::fs::read(&entry).unwrap();
        let mut child = env_cmd()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.success() {
            exited += 1;
        }

        // Only our three names, whatever the moment of death.
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        for n in &names {
            assert!(
                [&entry, &lock, &tmp]
                    .iter()
                    .any(|p| p.file_name().unwrap() == n.as_str()),
                "unexpected file {n} after kill {i}"
            );
        }
        max_files = max_files.max(names.len());
        // The entry is always whole: the old one or the new one.
        let body = std::fs::read(&entry).expect("the entry never disappears");
        let parsed = awsrole::cache::parse_entry(&body);
        assert!(
            parsed.is_some(),
            "kill {i}: torn entry {:?}",
            String::from_utf8_lossy(&body)
        );
        if body != before {
            rewritten += 1;
            bodies.insert(String::from_utf8(body).unwrap());
        } else if tmp.exists() {
            tmp_left += 1;
        } else {
            unchanged += 1;
        }
        if let Ok(m) = std::fs::symlink_metadata(&tmp) {
            max_tmp = max_tmp.max(m.len());
        }
        // The dead process's lock is free at once.
        let f = std::fs::File::open(&lock).unwrap();
        f.try_lock()
            .unwrap_or_else(|e| panic!("kill {i}: lock still held: {e:?}"));
        drop(f);
        // And the next process is never blocked by it.
        if i % 25 == 24 {
            let t = Instant::now();
            let out = run(&mut env_cmd());
            out.assert_success();
            assert_eq!(out.stderr, "", "no lock wait after a kill");
            assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
            bodies.insert(std::fs::read_to_string(&entry).unwrap());
            checks += 1;
        }
    }
    let entry_len = std::fs::metadata(&entry).unwrap().len();
    assert!(max_files <= 3, "{max_files} files");
    assert!(max_tmp <= entry_len + 64, "temp file of {max_tmp} bytes");

    // botocore (the AWS CLI's reader) parses every version the file had.
    let mut py = Command::new(venv_bin("python"))
        .args(["-c", BOTOCORE_READ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let list: Vec<&String> = bodies.iter().collect();
    py.stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&list).unwrap().as_bytes())
        .unwrap();
    let o = py.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "botocore: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        bodies.len().to_string()
    );

    // The real AWS CLI v1 uses the final entry as is: no AssumeRole, one
    // GetCallerIdentity.
    let before = sts.requests();
    let out = run(home
        .aws_v1()
        .args(["sts", "get-caller-identity", "--profile", "r"])
        .env("AWS_ENDPOINT_URL_STS", &sts.url));
    out.assert_success();
    assert_eq!(sts.requests() - before, 1, "the AWS CLI reused the cache");

    report(
        "crash",
        &format!(
            "{kills} SIGKILLs at random points in 0..{:.1} ms of `env --refresh` (a whole run: {:.1}-{:.1} ms; seed {seed}): {rewritten} rewrote the entry ({exited} of them had exited before the kill), {tmp_left} died with a temp file written but not renamed, {unchanged} died before writing anything; entry always parsed (awsrole after every kill, botocore's JSONFileCache on all {} versions), at most {max_files} files in the folder, temp file at most {max_tmp} bytes, lock free after every kill, {checks} follow-up runs never waited; AWS CLI v1 reused the final entry",
            span as f64 / 1e3,
            full_runs[0].as_secs_f64() * 1e3,
            full_runs[4].as_secs_f64() * 1e3,
            bodies.len()
        ),
    );
}
