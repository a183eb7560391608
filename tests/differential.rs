//! Differential test against botocore: random but realistic config and
//! credentials pairs (seeded, reproducible), each profile run through the
//! real AWS CLI v1 (`aws sts get-caller-identity --profile P`) and through
//! `awsrole env P` against moto, each in its own HOME. Compared: success or
//! failure and its kind, the AssumeRole calls (RoleArn, ExternalId,
//! DurationSeconds, SerialNumber presence, a configured RoleSessionName),
//! the cache file names, and reuse of each tool's cache by the other with
//! no STS call. Differences that docs/compatibility.md lists are known here
//! by name (`Quirk`); any other fails the test.
//!
//! `AWSROLE_DIFF_CONFIGS=N` (default 200) and `AWSROLE_DIFF_SEED=S` change
//! the run; a failing config's own seed is printed: `AWSROLE_DIFF_CASE=<it>`
//! runs that config alone.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::time::{Duration, Instant};

use common::{TestHome, awsrole_bin, http, moto, venv_bin};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Generator

/// splitmix64: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn alnum(&mut self, n: usize, upper: bool) -> String {
        let set: &[u8] = if upper {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        } else {
            b"abcdefghijklmnopqrstuvwxyz0123456789"
        };
        (0..n).map(|_| *self.pick(set) as char).collect()
    }
}

/// Documented differences (docs/compatibility.md, "Deliberate differences").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Quirk {
    /// A UTF-8 BOM: botocore cannot parse the file.
    Bom,
    /// The same section or key twice in one file: botocore rejects the file.
    Duplicate,
    /// `[ profile r ]`: botocore finds no profile there.
    BracketSpaces,
    /// Static keys split between the two files: botocore reads one file.
    SplitKeys,
    /// ` # text` after a value: botocore keeps it in the value.
    InlineComment,
    /// duration_seconds outside 900..43200: awsrole refuses before calling.
    DurationRange,
    /// duration_seconds below 900: botocore refuses it before calling;
    /// awsrole sends it and STS answers (moto accepts it).
    DurationBelowMin,
    /// duration_seconds = 900: neither tool's cache entry is ever fresh.
    ShortDuration,
}

/// Names botocore accepts in `[profile NAME]`, as written in the header and
/// as passed on the command line.
const NAMES: &[(&str, &str)] = &[
    ("dev", "dev"),
    ("prod", "prod"),
    ("ci", "ci"),
    ("ops-admin", "ops-admin"),
    ("team.a", "team.a"),
    ("team$ops", "team$ops"),
    ("a(b)", "a(b)"),
    ("x{y}", "x{y}"),
    ("a!b", "a!b"),
    ("q`r`", "q`r`"),
    ("a\u{2019}b", "a\u{2019}b"),
    ("\"c d\"", "c d"),
    ("a=b", "a=b"),
    ("ops!", "ops!"),
    ("\u{1f680}deploy", "\u{1f680}deploy"),
    ("z\u{fc}rich", "z\u{fc}rich"),
];

const EXTERNAL_IDS: &[&str] = &[
    "abc123",
    "partner id with spaces",
    "x=y,z@w.example:1/2-3+4",
    "semi;colon#hash",
    "\u{fc}nicode-\u{e9}t\u{e9}",
];

const DURATIONS: &[(&str, Option<Quirk>)] = &[
    ("3600", None),
    ("1200", None),
    ("43200", None),
    ("3_600", None),
    ("\u{663}\u{666}\u{660}\u{660}", None),
    ("\u{ff13}\u{ff16}\u{ff10}\u{ff10}", None),
    ("1h", None),
    ("900", Some(Quirk::ShortDuration)),
    ("500", Some(Quirk::DurationBelowMin)),
    ("50000", Some(Quirk::DurationRange)),
    ("99999999999", Some(Quirk::DurationRange)),
];

/// One section to render: which file, the header text, and its lines.
struct Sect {
    creds: bool,
    header: String,
    props: Vec<(String, String)>,
}

struct Case {
    seed: u64,
    config: String,
    credentials: String,
    /// Profile names to run, as given on the command line.
    profiles: Vec<String>,
    quirks: BTreeSet<Quirk>,
}

fn static_keys(rng: &mut Rng, token: bool) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "aws_access_key_id".into(),
            format!("AKIA{}", rng.alnum(16, true)),
        ),
        ("aws_secret_access_key".into(), rng.alnum(40, false)),
    ];
    if token {
        v.push(("aws_session_token".into(), rng.alnum(60, false)));
    }
    v
}

fn generate(seed: u64) -> Case {
    let mut rng = Rng(seed);
    let mut quirks = BTreeSet::new();
    let mut sects: Vec<Sect> = Vec::new();
    // Logical names: a couple of key holders, then role profiles.
    let mut names: Vec<(String, String)> = Vec::new(); // (header text, cli name)
    let n_roles = 1 + rng.below(4);
    let n_bases = 1 + rng.below(2);
    for i in 0..n_bases + n_roles {
        let (h, n) = if i == 0 && rng.pct(30) {
            ("default".to_string(), "default".to_string())
        } else if i < n_bases {
            (format!("base{i}"), format!("base{i}"))
        } else {
            let (h, n) = *rng.pick(NAMES);
            (format!("{h}{i}"), format!("{n}{i}"))
        };
        // Names like "c d" + digit must stay quoted as a whole.
        let h = if h.starts_with('"') {
            format!("\"{}\"", n)
        } else {
            h
        };
        names.push((h, n));
    }
    // Key holders: in the credentials file, sometimes literally as
    // `[profile x]` there (then that is the name), sometimes in config.
    for entry in names.iter_mut().take(n_bases) {
        let token = rng.pct(30);
        let keys = static_keys(&mut rng, token);
        let where_ = rng.below(10);
        if where_ < 6 {
            if rng.pct(15) {
                entry.1 = format!("profile {}", entry.1);
                entry.0 = entry.1.clone();
            }
            let header = entry.0.clone();
            if rng.pct(8) {
                // Split: the secret in the other file.
                quirks.insert(Quirk::SplitKeys);
                sects.push(Sect {
                    creds: true,
                    header: header.clone(),
                    props: keys[..1].to_vec(),
                });
                sects.push(Sect {
                    creds: false,
                    header: config_header(&header),
                    props: keys[1..].to_vec(),
                });
            } else {
                sects.push(Sect {
                    creds: true,
                    header,
                    props: keys,
                });
            }
        } else {
            let header = config_header(&entry.0);
            sects.push(Sect {
                creds: false,
                header,
                props: keys,
            });
        }
    }
    // Role profiles: a source among all names (chains, cycles, itself) or
    // a missing one.
    for i in n_bases..names.len() {
        let mut props = vec![(
            "role_arn".to_string(),
            format!(
                "arn:aws:iam::123456789012:role/r{i}-{}",
                rng.alnum(6, false)
            ),
        )];
        let source = match rng.below(20) {
            0 => "nosuch".to_string(),
            1 => names[i].1.clone(),
            2..=4 => names[rng.below(names.len())].1.clone(),
            _ => names[rng.below(i)].1.clone(),
        };
        let source = if rng.pct(5) {
            format!("{source}\u{a0}")
        } else {
            source
        };
        // A profile naming itself works when it has keys.
        let itself = source == names[i].1;
        props.push(("source_profile".into(), source));
        if itself && rng.pct(50) {
            props.extend(static_keys(&mut rng, false));
        }
        if rng.pct(35) {
            let id = rng.pick(EXTERNAL_IDS).to_string();
            if id.contains(['#', ';']) {
                quirks.insert(Quirk::InlineComment);
            }
            props.push(("external_id".into(), id));
        } else if rng.pct(5) {
            props.push((
                "external_id".into(),
                format!("long-{}", rng.alnum(900, false)),
            ));
        }
        if rng.pct(25) {
            let name = if rng.pct(30) {
                String::new()
            } else {
                format!("sess-{}", rng.alnum(8, false))
            };
            props.push(("role_session_name".into(), name));
        }
        if rng.pct(30) {
            let (d, q) = *rng.pick(DURATIONS);
            if let Some(q) = q {
                quirks.insert(q);
            }
            props.push(("duration_seconds".into(), d.into()));
        }
        if rng.pct(15) {
            props.push((
                "mfa_serial".into(),
                "arn:aws:iam::123456789012:mfa/user".into(),
            ));
        }
        if rng.pct(30) {
            let r = if rng.pct(30) { "" } else { "eu-west-1" };
            props.push(("region".into(), r.into()));
        }
        let header = config_header(&names[i].0);
        sects.push(Sect {
            creds: false,
            header,
            props,
        });
    }
    // The same profile in both files (a setting on the credentials side).
    if rng.pct(20) {
        let i = n_bases + rng.below(n_roles);
        sects.push(Sect {
            creds: true,
            header: names[i].1.clone(),
            props: vec![("region".into(), "us-west-2".into())],
        });
    }
    // `[DEFAULT]` in either file.
    if rng.pct(10) {
        let creds = rng.pct(50);
        sects.insert(
            0,
            Sect {
                creds,
                header: "DEFAULT".into(),
                props: vec![("external_id".into(), "shared-id".into())],
            },
        );
    }
    // `[profile default]` then `[default]` (or the other way): the later wins.
    let has_default = names.iter().any(|n| n.1 == "default");
    if rng.pct(10) && !has_default {
        let keys = static_keys(&mut rng, false);
        let (a, b) = if rng.pct(50) {
            ("profile default", "default")
        } else {
            ("default", "profile default")
        };
        sects.push(Sect {
            creds: false,
            header: a.into(),
            props: vec![("aws_access_key_id".into(), "AKIAONLYHALF0000".into())],
        });
        sects.push(Sect {
            creds: false,
            header: b.into(),
            props: keys,
        });
        names.push(("default".into(), "default".into()));
    }
    // A header both tools ignore, and a sub-section.
    if rng.pct(10) {
        sects.push(Sect {
            creds: false,
            header: "profile two words".into(),
            props: vec![("region".into(), "eu-west-1".into())],
        });
    }
    if rng.pct(3) {
        quirks.insert(Quirk::BracketSpaces);
        let i = rng.below(sects.len());
        sects[i].header = format!(" {} ", sects[i].header);
    }
    if rng.pct(3) {
        quirks.insert(Quirk::Duplicate);
        let i = rng.below(sects.len());
        let dup = Sect {
            creds: sects[i].creds,
            header: sects[i].header.clone(),
            props: vec![("region".into(), "ap-south-1".into())],
        };
        sects.push(dup);
    }
    let config = render(&mut rng, &sects, false, &mut quirks);
    let credentials = render(&mut rng, &sects, true, &mut quirks);
    let mut profiles: Vec<String> = names.into_iter().map(|n| n.1).collect();
    profiles.sort();
    profiles.dedup();
    profiles.push("missing".into());
    Case {
        seed,
        config,
        credentials,
        profiles,
        quirks,
    }
}

fn config_header(name: &str) -> String {
    if name == "default" {
        "default".into()
    } else {
        format!("profile {name}")
    }
}

/// Render one file's sections with the syntax people write.
fn render(rng: &mut Rng, sects: &[Sect], creds: bool, quirks: &mut BTreeSet<Quirk>) -> String {
    let mut lines: Vec<String> = Vec::new();
    let indent_all = rng.pct(10);
    for s in sects.iter().filter(|s| s.creds == creds) {
        if rng.pct(20) {
            lines.push(
                rng.pick(&["# a comment", "; another", "#", "  # indented"])
                    .to_string(),
            );
        }
        let pad = if indent_all { "  " } else { "" };
        lines.push(format!("{pad}[{}]", s.header));
        if rng.pct(10) {
            lines.push("  # indented comment after the header".into());
        }
        for (k, v) in &s.props {
            let key = if rng.pct(15) {
                k.to_uppercase()
            } else if rng.pct(10) {
                let mut c = k.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            } else {
                k.clone()
            };
            let delim = *rng.pick(&[" = ", " = ", " = ", "=", ": ", " : "]);
            let kpad = if rng.pct(8) { "    " } else { pad };
            if k == "external_id" && rng.pct(15) {
                // A continued value with a blank line inside.
                lines.push(format!("{kpad}{key}{delim}{v}"));
                lines.push(String::new());
                lines.push(format!("{kpad}    more"));
            } else {
                lines.push(format!("{kpad}{key}{delim}{v}"));
            }
            if rng.pct(5) {
                lines.push(format!("{kpad}    # indented comment after a value"));
            }
            if rng.pct(2) {
                quirks.insert(Quirk::InlineComment);
                let last = lines.pop().unwrap_or_default();
                lines.push(format!("{last} # note"));
            }
        }
        if rng.pct(10) {
            lines.push(format!("{pad}s3 ="));
            lines.push(format!("{pad}    addressing_style = path"));
        }
        if rng.pct(50) {
            lines.push(String::new());
        }
    }
    let eol = if rng.pct(15) { "\r\n" } else { "\n" };
    let mut text = lines.join(eol);
    text.push_str(eol);
    if rng.pct(3) && !text.trim().is_empty() {
        quirks.insert(Quirk::Bom);
        text.insert(0, '\u{feff}');
    }
    text
}

// ---------------------------------------------------------------------------
// Running both tools

/// The long-lived Python process running the AWS CLI v1 in-process.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Driver {
    fn start() -> Driver {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/common/aws_cli_driver.py");
        let mut child = Command::new(venv_bin("python"))
            .arg(script)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the AWS CLI driver");
        let stdin = child.stdin.take().expect("driver stdin");
        let stdout = BufReader::new(child.stdout.take().expect("driver stdout"));
        Driver {
            child,
            stdin,
            stdout,
        }
    }

    /// Start one CLI run; [`Driver::wait`] gives its result.
    fn send(&mut self, env: &[(String, String)], argv: &[&str]) {
        let env: serde_json::Map<String, Value> =
            env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let req = json!({"env": env, "argv": argv});
        writeln!(self.stdin, "{req}").expect("write to driver");
        self.stdin.flush().expect("flush driver");
    }

    fn wait(&mut self) -> Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read driver");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("driver said {line:?}: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Ok,
    /// The files or the profile are refused before any call.
    Config,
    /// STS refused.
    Sts,
    Other(String),
}

/// (RoleArn, ExternalId, DurationSeconds, SerialNumber sent, configured RoleSessionName)
type Call = (String, Option<String>, Option<String>, bool, Option<String>);

#[derive(Debug)]
struct Outcome {
    kind: Kind,
    calls: Vec<Call>,
    cache: BTreeSet<String>,
    stderr: String,
}

fn cli_kind(rc: i64, stderr: &str) -> Kind {
    if rc == 0 {
        return Kind::Ok;
    }
    // botocore's messages for files, profiles and its own parameter check.
    const CONFIG: &[&str] = &[
        "Unable to parse config file",
        "could not be found",
        "does not exist",
        "infinite loop",
        "Infinite loop",
        "Partial credentials found",
        "must have credentials",
        "Unable to locate credentials",
        "source_profile",
        "Parameter validation failed",
    ];
    if CONFIG.iter().any(|m| stderr.contains(m)) {
        Kind::Config
    } else if stderr.contains("An error occurred (") {
        Kind::Sts
    } else {
        Kind::Other(stderr.lines().last().unwrap_or_default().to_string())
    }
}

fn awsrole_kind(code: Option<i32>) -> Kind {
    match code {
        Some(0) => Kind::Ok,
        Some(3) => Kind::Config,
        Some(4) => Kind::Sts,
        other => Kind::Other(format!("exit {other:?}")),
    }
}

/// Time spent, in milliseconds: both tools side by side, moto's recorder.
static SPENT: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// AssumeRole calls seen over the whole run.
static CALLS: AtomicUsize = AtomicUsize::new(0);

fn spent(part: usize, since: Instant) {
    SPENT[part].fetch_add(since.elapsed().as_millis() as u64, Relaxed);
}

fn reset_recording() {
    let t = Instant::now();
    let r = http(
        moto().port(),
        "POST",
        "/moto-api/recorder/reset-recording",
        Duration::from_secs(10),
    )
    .expect("recorder");
    assert_eq!(r.status, 200, "reset-recording");
    spent(1, t);
}

/// The AssumeRole calls since the last reset: the AWS CLI's (its
/// User-Agent starts with `aws-cli/`) and awsrole's.
fn assume_role_calls() -> (Vec<Call>, Vec<Call>) {
    let t = Instant::now();
    let (mut cli, mut ours) = (Vec::new(), Vec::new());
    for r in moto()
        .requests()
        .into_iter()
        .filter(|r| r.action == "AssumeRole")
    {
        let name = r
            .param("RoleSessionName")
            .filter(|n| !n.starts_with("botocore-session-"))
            .map(str::to_string);
        let call = (
            r.param("RoleArn").unwrap_or_default().to_string(),
            r.param("ExternalId").map(str::to_string),
            r.param("DurationSeconds").map(str::to_string),
            r.param("SerialNumber").is_some(),
            name,
        );
        let by_cli = r
            .header("User-Agent")
            .is_some_and(|ua| ua.starts_with("aws-cli/"));
        if by_cli { &mut cli } else { &mut ours }.push(call);
    }
    CALLS.fetch_add(cli.len() + ours.len(), Relaxed);
    spent(1, t);
    (cli, ours)
}

fn cache_names(home: &Path) -> BTreeSet<String> {
    std::fs::read_dir(home.join(".aws/cli/cache"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect()
}

fn env_for(home: &TestHome) -> Vec<(String, String)> {
    let mut env = home.clean_env();
    // The CLI needs a region for STS; a profile's own region then applies
    // to awsrole only (the CLI v1 reads this variable first), which is
    // fine: moto answers in every region.
    env.push(("AWS_DEFAULT_REGION".into(), "us-east-1".into()));
    env.push((
        "AWS_CONFIG_FILE".into(),
        home.config_path().display().to_string(),
    ));
    env.push((
        "AWS_SHARED_CREDENTIALS_FILE".into(),
        home.credentials_path().display().to_string(),
    ));
    env
}

/// The AWS CLI in `cli_home` and awsrole in `our_home`, side by side (two
/// cores), for one profile.
fn run_both(
    driver: &mut Driver,
    cli_home: &TestHome,
    our_home: &TestHome,
    profile: &str,
) -> (Outcome, Outcome) {
    reset_recording();
    let t = Instant::now();
    let argv = [
        "sts",
        "get-caller-identity",
        "--profile",
        profile,
        "--output",
        "json",
    ];
    driver.send(&env_for(cli_home), &argv);
    let out = Command::new(awsrole_bin())
        .args(["env", profile, "--shell", "bash"])
        .env_clear()
        .envs(env_for(our_home))
        .env("AWSROLE_MFA_CODE", "123456")
        .env("AWSROLE_MFA_SESSION", "off")
        .current_dir(our_home.path())
        .output()
        .expect("run awsrole");
    let theirs = driver.wait();
    spent(0, t);
    let (cli_calls, our_calls) = assume_role_calls();
    let stderr = theirs["stderr"].as_str().unwrap_or_default().to_string();
    (
        Outcome {
            kind: cli_kind(theirs["rc"].as_i64().unwrap_or(-1), &stderr),
            calls: cli_calls,
            cache: cache_names(cli_home.path()),
            stderr,
        },
        Outcome {
            kind: awsrole_kind(out.status.code()),
            calls: our_calls,
            cache: cache_names(our_home.path()),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
    )
}

fn clear_cache(home: &TestHome) {
    let _ = std::fs::remove_dir_all(home.cache_dir());
}

/// Whether a documented difference explains this pair of outcomes.
fn explained(q: Quirk, cli: &Outcome, ours: &Outcome) -> bool {
    match q {
        Quirk::Bom | Quirk::Duplicate => cli.stderr.contains("Unable to parse config file"),
        Quirk::BracketSpaces | Quirk::SplitKeys => cli.kind != Kind::Ok && ours.kind == Kind::Ok,
        Quirk::InlineComment => true,
        Quirk::DurationRange => {
            ours.kind == Kind::Config && ours.stderr.contains("duration_seconds")
        }
        Quirk::DurationBelowMin => {
            cli.stderr.contains("Parameter validation failed") && ours.kind == Kind::Ok
        }
        Quirk::ShortDuration => false,
    }
}

/// Compare the two fresh runs; `Err` names the difference.
fn compare(cli: &Outcome, ours: &Outcome) -> Result<(), String> {
    if cli.kind != ours.kind {
        return Err(format!("kind: cli {:?}, awsrole {:?}", cli.kind, ours.kind));
    }
    if let Kind::Other(_) = cli.kind {
        return Err(format!("unexpected failure: {:?}", cli.kind));
    }
    if cli.kind == Kind::Config {
        return Ok(());
    }
    if cli.calls != ours.calls {
        return Err(format!(
            "calls: cli {:?}, awsrole {:?}",
            cli.calls, ours.calls
        ));
    }
    if cli.kind == Kind::Ok && cli.cache != ours.cache {
        return Err(format!(
            "cache: cli {:?}, awsrole {:?}",
            cli.cache, ours.cache
        ));
    }
    Ok(())
}

/// Each tool on the other's cache (left by [`run_both`]): no call at all.
fn reuse(driver: &mut Driver, homes: &(TestHome, TestHome), profile: &str) -> Result<(), String> {
    let (cli_home, our_home) = homes;
    // The AWS CLI in awsrole's HOME, awsrole in the CLI's.
    let (cli, ours) = run_both(driver, our_home, cli_home, profile);
    if cli.kind != Kind::Ok || !cli.calls.is_empty() {
        return Err(format!(
            "the CLI on awsrole's cache: {:?} {:?}\n{}",
            cli.kind, cli.calls, cli.stderr
        ));
    }
    if ours.kind != Kind::Ok || !ours.calls.is_empty() {
        return Err(format!(
            "awsrole on the CLI's cache: {:?} {:?}\n{}",
            ours.kind, ours.calls, ours.stderr
        ));
    }
    Ok(())
}

#[test]
fn awsrole_reads_files_as_the_aws_cli_v1_does() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let configs = var("AWSROLE_DIFF_CONFIGS", 200);
    let seed = var("AWSROLE_DIFF_SEED", 11);
    let began = Instant::now();
    let mut driver = Driver::start();
    let homes = (TestHome::new().with_moto(), TestHome::new().with_moto());
    let (mut profiles, mut matched, mut reused) = (0, 0, 0);
    let mut documented: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    // AWSROLE_DIFF_CASE=<seed printed with a failure> runs that config alone.
    let only = std::env::var("AWSROLE_DIFF_CASE")
        .ok()
        .and_then(|v| v.parse().ok());
    let seeds: Vec<u64> = match only {
        Some(case) => vec![case],
        None => (0..configs)
            .map(|i| seed.wrapping_mul(1_000_003).wrapping_add(i))
            .collect(),
    };
    let configs = seeds.len();
    for case_seed in seeds {
        let case = generate(case_seed);
        for home in [&homes.0, &homes.1] {
            home.write_config(&case.config);
            home.write_credentials(&case.credentials);
        }
        // Reuse is checked for the profile with the longest chain.
        let mut best: Option<(usize, &str)> = None;
        for profile in &case.profiles {
            profiles += 1;
            clear_cache(&homes.0);
            clear_cache(&homes.1);
            let (cli, ours) = run_both(&mut driver, &homes.0, &homes.1, profile);
            let why = match compare(&cli, &ours) {
                Ok(()) => {
                    matched += 1;
                    if cli.kind == Kind::Ok && best.is_none_or(|(n, _)| cli.calls.len() > n) {
                        best = Some((cli.calls.len(), profile));
                    }
                    continue;
                }
                Err(why) => why,
            };
            match case.quirks.iter().find(|q| explained(**q, &cli, &ours)) {
                Some(q) => *documented.entry(format!("{q:?}")).or_default() += 1,
                None => failures.push(format!(
                    "seed {} profile {profile:?}: {why}\nquirks {:?}\n--- config\n{}--- credentials\n{}--- cli stderr\n{}\n--- awsrole stderr\n{}",
                    case.seed, case.quirks, case.config, case.credentials, cli.stderr, ours.stderr
                )),
            }
        }
        if let Some((n, profile)) = best
            && n > 0
            && !case.quirks.contains(&Quirk::ShortDuration)
            && !case.quirks.contains(&Quirk::DurationBelowMin)
        {
            clear_cache(&homes.0);
            clear_cache(&homes.1);
            run_both(&mut driver, &homes.0, &homes.1, profile);
            match reuse(&mut driver, &homes, profile) {
                Ok(()) => reused += 1,
                Err(why) => failures.push(format!("seed {} profile {profile:?}: {why}", case.seed)),
            }
        }
    }
    eprintln!(
        "differential: seed {seed}, {configs} configs, {profiles} profiles, {} AssumeRole calls, {matched} identical, documented {documented:?}, reuse checked both ways on {reused} profiles, {} undocumented, in {:?} (tools {} ms, recorder {} ms)",
        CALLS.load(Relaxed),
        failures.len(),
        began.elapsed(),
        SPENT[0].load(Relaxed),
        SPENT[1].load(Relaxed),
    );
    assert!(
        failures.is_empty(),
        "{} undocumented differences (first 5):\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    assert!(
        matched * 2 > profiles,
        "too few identical profiles: {matched}/{profiles}"
    );
}
