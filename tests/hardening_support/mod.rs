//! Helpers shared by the `hardening_*` tests: stress scaling, the figures
//! report, cache keys, and a scriptable loopback STS.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use awsrole::chain::RoleHop;

/// `AWSROLE_STRESS=full` runs the full counts (reported in
/// docs/guarantees.md); anything else (or unset) the CI counts.
pub fn full() -> bool {
    std::env::var("AWSROLE_STRESS").is_ok_and(|v| v == "full")
}

/// `ci` normally, `full` under `AWSROLE_STRESS=full`.
pub fn scaled(ci: usize, full_count: usize) -> usize {
    if full() { full_count } else { ci }
}

fn report_path() -> PathBuf {
    match std::env::var_os("AWSROLE_HARDENING_REPORT") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hardening-report.txt"),
    }
}

/// Appends one line of measured figures to the hardening report (printed by
/// `scripts/test`) and to the test's own stderr.
pub fn report(test: &str, line: &str) {
    let mode = if full() { "full" } else { "ci" };
    let text = format!("[{mode}] {test}: {line}\n");
    eprint!("{text}");
    let path = report_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = f.write_all(text.as_bytes());
    }
}

pub fn arn(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/{name}")
}

/// The AWS CLI cache key of a plain role (no external id, MFA, ...).
pub fn key_of(role_arn: &str) -> String {
    awsrole::cache::assume_role_key(&RoleHop {
        profile: String::new(),
        role_arn: role_arn.into(),
        external_id: None,
        mfa_serial: None,
        role_session_name: None,
        duration_seconds: None,
        at: None,
    })
}

/// A small deterministic PRNG (xorshift64*), seeded and reported by tests.
pub struct Rng(u64);

impl Rng {
    pub fn seeded() -> (Rng, u64) {
        let seed = match std::env::var("AWSROLE_STRESS_SEED") {
            Ok(s) => s.parse().expect("AWSROLE_STRESS_SEED must be a number"),
            Err(_) => {
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            }
        };
        (Rng(seed), seed)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ---------------------------------------------------------------------------
// A scriptable loopback STS
// ---------------------------------------------------------------------------

/// How the fake STS answers.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// A valid AssumeRole answer (fresh credentials, unique per call) after
    /// a delay drawn uniformly from `min..=max` milliseconds.
    Answer { min_ms: u64, max_ms: u64 },
    /// An STS error document with this HTTP status and error code.
    Error { status: u16, code: &'static str },
    /// Read the request, never answer, keep the connection open.
    Silent,
    /// Accept and close at once (connection reset / empty reply).
    Hangup,
    /// HTTP 200 with a body that is not an STS document.
    Garbage,
}

/// A loopback HTTP server that plays STS. Counts requests.
pub struct FakeSts {
    pub url: String,
    requests: Arc<AtomicUsize>,
}

impl FakeSts {
    pub fn start(behaviour: Behaviour) -> FakeSts {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let serial = Arc::new(AtomicU64::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let behaviour = behaviour.clone();
                let counter = counter.clone();
                let serial = serial.clone();
                std::thread::spawn(move || serve(stream, &behaviour, &counter, &serial));
            }
        });
        FakeSts { url, requests }
    }

    /// Requests received so far (each retry counts).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn read_request(stream: &mut TcpStream) -> Option<String> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while data.len() < end + 4 + len {
                let n = stream.read(&mut buf).ok()?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            return Some(String::from_utf8_lossy(&data[end + 4..]).into_owned());
        }
    }
}

fn reply(stream: &mut TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        _ => "Error",
    };
    let text = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
}

fn serve(mut stream: TcpStream, b: &Behaviour, counter: &AtomicUsize, serial: &AtomicU64) {
    if let Behaviour::Hangup = b {
        counter.fetch_add(1, Ordering::SeqCst);
        drop(stream);
        return;
    }
    let Some(body) = read_request(&mut stream) else {
        return;
    };
    counter.fetch_add(1, Ordering::SeqCst);
    match b {
        Behaviour::Answer { min_ms, max_ms } => {
            let n = serial.fetch_add(1, Ordering::SeqCst);
            let span = max_ms.saturating_sub(*min_ms) + 1;
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64;
            std::thread::sleep(Duration::from_millis(min_ms + (nanos ^ n) % span));
            if body.contains("Action=GetCallerIdentity") {
                reply(
                    &mut stream,
                    200,
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><UserId>AROAFAKE:s</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                );
                return;
            }
            let exp = awsrole::timefmt::format_utc(SystemTime::now() + Duration::from_secs(3600));
            let xml = format!(
                "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKE{n:012}</AccessKeyId><SecretAccessKey>fakests-secret-{n}-{nanos}</SecretAccessKey><SessionToken>fakests-token-{n}-{nanos}-xxxxxxxxxxxxxxxxxxxxxxxx</SessionToken><Expiration>{exp}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:s{n}</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/r/s{n}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r{n}</RequestId></ResponseMetadata></AssumeRoleResponse>"
            );
            reply(&mut stream, 200, &xml);
        }
        Behaviour::Error { status, code } => {
            let xml = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>fake {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            );
            reply(&mut stream, *status, &xml);
        }
        Behaviour::Silent => {
            std::thread::sleep(Duration::from_secs(600));
        }
        Behaviour::Garbage => reply(&mut stream, 200, "<html>captive portal</html>"),
        Behaviour::Hangup => {}
    }
}
