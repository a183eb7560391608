//! Shared harness for awsrole's integration tests: `mod common;` in a test file.
//!
//! Real peers only, never silently skipped: moto's server and AWS CLI v1 from the
//! venv that `scripts/test` builds, Debian's AWS CLI v2 at /usr/bin/aws, real shells
//! (bash, zsh, fish, sh) and tmux for interactive programs.
#![allow(dead_code)]

pub mod capture;

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn loud_panic(lines: &[&str]) -> ! {
    let bar = "!".repeat(78);
    panic!("\n{bar}\n!!! {}\n{bar}\n", lines.join("\n!!! "));
}

// ---------------------------------------------------------------------------
// Paths to peers
// ---------------------------------------------------------------------------

/// The test venv (`$AWSROLE_TEST_VENV`, default `<crate>/.venv`).
pub fn venv_dir() -> PathBuf {
    match std::env::var_os("AWSROLE_TEST_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"),
    }
}

/// `<venv>/bin/<name>`; panics loudly when missing (run `scripts/test`).
pub fn venv_bin(name: &str) -> PathBuf {
    let path = venv_dir().join("bin").join(name);
    if !path.is_file() {
        loud_panic(&[
            &format!("TEST PEER MISSING: {}", path.display()),
            "The test venv (moto server, AWS CLI v1, tree-sitter) is not installed.",
            "Run `scripts/test` from the repository root: it installs every test peer",
            "and exports AWSROLE_TEST_VENV. Tests never skip a missing peer.",
        ]);
    }
    path
}

/// The shared conformance vectors (`$AWSROLE_CONFORMANCE_DIR`, default
/// `<crate>/../shared/conformance`); panics loudly when absent.
pub fn conformance_dir() -> PathBuf {
    let dir = match std::env::var_os("AWSROLE_CONFORMANCE_DIR") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
    };
    if !dir.is_dir() {
        loud_panic(&[
            &format!("CONFORMANCE VECTORS MISSING: {}", dir.display()),
            "Set AWSROLE_CONFORMANCE_DIR to the shared/conformance folder",
            "(scripts/test defaults it to ../shared/conformance).",
        ]);
    }
    dir
}

/// The awsrole binary under test.
pub fn awsrole_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_awsrole"))
}

/// Debian's AWS CLI v2 (2.9); it ignores AWS_ENDPOINT_URL_STS.
pub const AWS_V2: &str = "/usr/bin/aws";

/// A loopback proxy address nothing listens on (discard port): requests that would
/// leave the machine through it fail at once.
pub const DEAD_PROXY: &str = "http://127.0.0.1:9";

/// A name unique within the run (pid + counter + a bit of time), made of
/// `[A-Za-z0-9-]` after the prefix, short enough for role names.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        % 1_000_000;
    format!("{prefix}-{}-{n}-{t}", std::process::id())
}

/// Single-quote `s` for a POSIX shell command line.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn test_path() -> std::ffi::OsString {
    std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into())
}

// ---------------------------------------------------------------------------
// Running programs
// ---------------------------------------------------------------------------

/// What a finished program printed; `code` is -1 when killed by a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Panics with both streams unless the exit code is 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "expected exit 0, got {self:#?}");
        self
    }

    /// Panics with both streams when the exit code is 0.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "expected a failure, got {self:#?}");
        self
    }
}

/// Runs `cmd` to completion with stdin null, capturing stdout and stderr.
#[track_caller]
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let out = Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    };
    capture::record(
        &cmd.get_program().to_string_lossy(),
        &out.stdout,
        &out.stderr,
    );
    out
}

// ---------------------------------------------------------------------------
// moto
// ---------------------------------------------------------------------------

/// One real `moto_server` per test binary, with its request recorder on.
pub struct Moto {
    port: u16,
    dir: PathBuf,
    // Held for the life of the process: when the test process exits, the pipe
    // closes and the `sh` wrapper kills moto and removes `dir`.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// The shared moto server, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

// $1 = moto_server, $2 = private dir. moto runs in the background with stdin from
// /dev/null; `cat` waits for EOF on our pipe (the test process exited or died),
// then moto is killed and the dir removed. INT/HUP are ignored so a Ctrl-C of
// `cargo test` does not orphan moto: the pipe closing is what stops it.
const MOTO_WRAPPER: &str = r#"
trap '' INT HUP
"$1" -H 127.0.0.1 -p 0 >"$2/moto.log" 2>&1 </dev/null &
pid=$!
cat >/dev/null
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -rf "$2"
"#;

impl Moto {
    fn start() -> Moto {
        let bin = venv_bin("moto_server");
        let dir = tempfile::Builder::new()
            .prefix("awsrole-moto-")
            .tempdir()
            .expect("temp dir for moto")
            .keep();
        let log = dir.join("moto.log");
        let began = Instant::now();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(MOTO_WRAPPER)
            .arg("sh")
            .arg(&bin)
            .arg(&dir)
            .current_dir(&dir)
            .env_clear()
            .env("PATH", test_path())
            .env("HOME", &dir)
            .env("LANG", "C.UTF-8")
            .env("PYTHONUNBUFFERED", "1")
            .env("MOTO_RECORDER_FILEPATH", dir.join("recording.jsonl"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto via sh: {e}"));
        let stdin = child.stdin.take().expect("moto wrapper stdin");
        let fail = |child: Child, stdin: ChildStdin, why: &str| -> ! {
            let mut child = child;
            drop(stdin); // tells the wrapper to kill moto
            let _ = child.wait();
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            loud_panic(&[
                &format!("MOTO SERVER DID NOT START: {why}"),
                &format!("{} -H 127.0.0.1 -p 0", bin.display()),
                &format!("log:\n{text}"),
            ]);
        };
        let deadline = began + Duration::from_secs(30);
        let marker = "Running on http://127.0.0.1:";
        let port = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(rest) = text.split(marker).nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(port) = digits.parse::<u16>() {
                    break port;
                }
            }
            if text.contains("Traceback") || text.contains("rror:") {
                fail(child, stdin, "it crashed");
            }
            if let Ok(Some(status)) = child.try_wait() {
                fail(child, stdin, &format!("wrapper exited: {status}"));
            }
            if Instant::now() > deadline {
                fail(child, stdin, "no port announced within 30 s");
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        loop {
            if http(port, "GET", "/", Duration::from_secs(2)).is_ok_and(|r| r.status > 0) {
                break;
            }
            if Instant::now() > deadline {
                fail(
                    child,
                    stdin,
                    &format!("port {port} did not answer within 30 s"),
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        for path in [
            "/moto-api/recorder/reset-recording",
            "/moto-api/recorder/start-recording",
        ] {
            match http(port, "POST", path, Duration::from_secs(10)) {
                Ok(r) if r.status == 200 => {}
                Ok(r) => fail(child, stdin, &format!("POST {path}: HTTP {}", r.status)),
                Err(e) => fail(child, stdin, &format!("POST {path}: {e}")),
            }
        }
        eprintln!(
            "[harness] moto_server on 127.0.0.1:{port} ready in {:?}",
            began.elapsed()
        );
        Moto {
            port,
            dir,
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// moto's own log (werkzeug access lines, tracebacks), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("moto.log")).unwrap_or_default()
    }

    /// Every request moto received since start (all tests of this binary).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        let resp = http(
            self.port,
            "GET",
            "/moto-api/recorder/download-recording",
            Duration::from_secs(10),
        )
        .unwrap_or_else(|e| panic!("download moto recording: {e}"));
        assert_eq!(
            resp.status,
            200,
            "download moto recording: HTTP {}: {}\nmoto log:\n{}",
            resp.status,
            String::from_utf8_lossy(&resp.body),
            self.log()
        );
        parse_recording(&resp.body)
    }

    /// Recorded requests with STS `action` whose form parameter `param` == `value`.
    pub fn requests_where(&self, action: &str, param: &str, value: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.action == action && r.param(param) == Some(value))
            .collect()
    }

    /// How many recorded requests have STS `action` and form parameter `param` ==
    /// `value`. Tests share the server: isolate by a unique value (e.g. RoleArn).
    pub fn count(&self, action: &str, param: &str, value: &str) -> usize {
        self.requests_where(action, param, value).len()
    }
}

/// One request as moto's recorder saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Full URL as received, e.g. `http://127.0.0.1:PORT/`.
    pub url: String,
    /// Header names as moto recorded them (werkzeug capitalisation).
    pub headers: BTreeMap<String, String>,
    /// The raw request body.
    pub body: Vec<u8>,
    /// Query and form-body parameters, percent-decoded (body wins on conflict).
    pub params: BTreeMap<String, String>,
    /// The `Action` parameter (`AssumeRole`, ...), empty when there is none.
    pub action: String,
}

impl RecordedRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Case-insensitive header lookup.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Parses moto's recording: one JSON object per line, `{"headers": {..}, "method",
/// "url", "body", "body_encoded"}` where `body` is base64 when `body_encoded`.
/// Read as a stream of values so concurrent appends can never split parsing.
pub fn parse_recording(data: &[u8]) -> Vec<RecordedRequest> {
    serde_json::Deserializer::from_slice(data)
        .into_iter::<serde_json::Value>()
        .map(|v| {
            let v = v.unwrap_or_else(|e| {
                panic!(
                    "bad moto recording ({e}):\n{}",
                    String::from_utf8_lossy(data)
                )
            });
            recorded_request(&v)
        })
        .collect()
}

fn recorded_request(v: &serde_json::Value) -> RecordedRequest {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let headers: BTreeMap<String, String> = v
        .get("headers")
        .and_then(|h| h.as_object())
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let raw = s("body");
    let body = if v.get("body_encoded").and_then(|b| b.as_bool()) == Some(true) {
        base64_decode(&raw).unwrap_or_else(|| panic!("bad base64 body in recording: {raw}"))
    } else {
        raw.into_bytes()
    };
    let url = s("url");
    let mut params = BTreeMap::new();
    if let Some((_, query)) = url.split_once('?') {
        params.extend(form_decode(query.as_bytes()));
    }
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    if content_type.is_empty() || content_type.contains("x-www-form-urlencoded") {
        params.extend(form_decode(&body));
    }
    let action = params.get("Action").cloned().unwrap_or_default();
    RecordedRequest {
        method: s("method"),
        url,
        headers,
        body,
        params,
        action,
    }
}

/// Decodes `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte).
pub fn form_decode(data: &[u8]) -> Vec<(String, String)> {
    fn unescape(part: &[u8]) -> String {
        let mut out = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            match part[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < part.len() => {
                    let hex = std::str::from_utf8(&part[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    data.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(eq) => (unescape(&p[..eq]), unescape(&p[eq + 1..])),
            None => (unescape(p), String::new()),
        })
        .collect()
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A minimal HTTP/1.1 response.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A tiny HTTP/1.1 client for loopback test servers (`Connection: close`).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    timeout: Duration,
) -> std::io::Result<HttpResponse> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of HTTP headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("bad HTTP status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| bad("bad chunk"))?;
            let size_text = String::from_utf8_lossy(&rest[..eol]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            if rest.len() < size {
                return Err(bad("short chunk"));
            }
            out.extend_from_slice(&rest[..size]);
            rest = rest.get(size + 2..).unwrap_or(&[]);
        }
        body = out;
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

// ---------------------------------------------------------------------------
// A private HOME
// ---------------------------------------------------------------------------

/// A temporary HOME with `~/.aws/`, and commands that run with a clean env in it.
pub struct TestHome {
    dir: tempfile::TempDir,
    moto: bool,
}

/// Before the temporary HOME goes, the secrets in it are recorded for the
/// suite-wide secret scan (see `capture`).
impl Drop for TestHome {
    fn drop(&mut self) {
        capture::record_home(self.dir.path());
    }
}

impl Default for TestHome {
    fn default() -> Self {
        Self::new()
    }
}

impl TestHome {
    pub fn new() -> TestHome {
        let dir = tempfile::Builder::new()
            .prefix("awsrole-home-")
            .tempdir()
            .expect("temp HOME");
        std::fs::create_dir_all(dir.path().join(".aws")).expect("create ~/.aws");
        TestHome { dir, moto: false }
    }

    /// Builder: commands get `AWS_ENDPOINT_URL_STS=<moto endpoint>` (starts moto).
    pub fn with_moto(mut self) -> TestHome {
        moto();
        self.moto = true;
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join(".aws/config")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.path().join(".aws/credentials")
    }

    /// Writes `<home>/.aws/config`.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write ~/.aws/config");
    }

    /// Writes `<home>/.aws/credentials`.
    pub fn write_credentials(&self, text: &str) {
        std::fs::write(self.credentials_path(), text).expect("write ~/.aws/credentials");
    }

    /// `<home>/.aws/cli/cache` (may not exist yet).
    pub fn cache_dir(&self) -> PathBuf {
        self.path().join(".aws/cli/cache")
    }

    /// The clean environment every command here gets: PATH (the test process's),
    /// HOME, LANG=C.UTF-8, and AWS_ENDPOINT_URL_STS when `with_moto()`. No
    /// AWS_REGION, AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE.
    pub fn clean_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "PATH".to_string(),
                test_path().to_string_lossy().into_owned(),
            ),
            (
                "HOME".to_string(),
                self.path().to_string_lossy().into_owned(),
            ),
            ("LANG".to_string(), "C.UTF-8".to_string()),
        ];
        if self.moto {
            env.push(("AWS_ENDPOINT_URL_STS".to_string(), moto().endpoint()));
        }
        env
    }

    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .envs(self.clean_env())
            .current_dir(self.path());
        cmd
    }

    /// The awsrole binary, clean env, cwd = HOME. Add args/env on the result.
    pub fn cmd(&self) -> Command {
        self.command(awsrole_bin())
    }

    /// The venv's AWS CLI v1 (honours AWS_ENDPOINT_URL_STS), same env.
    pub fn aws_v1(&self) -> Command {
        self.command(venv_bin("aws"))
    }

    /// Debian's AWS CLI v2.9 at /usr/bin/aws, same env. It ignores
    /// AWS_ENDPOINT_URL_STS, so HTTP(S)_PROXY point at a dead loopback port: a cache
    /// miss fails instead of reaching the real STS (loopback itself bypasses it, so
    /// a v2 that does honour the endpoint still reaches moto). AWS_PAGER is empty.
    pub fn aws_v2(&self) -> Command {
        if !Path::new(AWS_V2).is_file() {
            loud_panic(&[
                &format!("TEST PEER MISSING: {AWS_V2} (Debian package awscli, AWS CLI v2)"),
                "Run `scripts/test`: it installs the Debian packages the tests need.",
            ]);
        }
        let mut cmd = self.command(AWS_V2);
        for k in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
            cmd.env(k, DEAD_PROXY);
        }
        cmd.env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env("AWS_PAGER", "");
        cmd
    }

    /// A tmux session running `command_line` (via `sh -c`) with this home's env.
    pub fn tmux(&self, command_line: &str, width: u16, height: u16) -> Tmux {
        Tmux::start(command_line, self.clean_env(), width, height)
    }
}

// ---------------------------------------------------------------------------
// Real shells
// ---------------------------------------------------------------------------

fn check_names(names: &[&str]) {
    for n in names {
        let ok = !n.is_empty()
            && !n.starts_with(|c: char| c.is_ascii_digit())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        assert!(ok, "not a shell variable name: {n:?}");
    }
}

fn shell_command(shell: &str, driver: &Path) -> Command {
    let mut cmd = Command::new(shell);
    match Path::new(shell).file_name().and_then(|s| s.to_str()) {
        Some("bash") => {
            cmd.args(["--norc", "--noprofile"]);
        }
        Some("zsh") => {
            cmd.arg("-f");
        }
        Some("fish") => {
            cmd.arg("--no-config");
        }
        _ => {}
    }
    cmd.arg(driver);
    cmd
}

fn is_fish(shell: &str) -> bool {
    Path::new(shell).file_name().and_then(|s| s.to_str()) == Some("fish")
}

/// Runs the driver, panics on a non-zero exit or any stderr output.
fn run_driver(shell: &str, script: &str, driver_body: &str) -> Vec<u8> {
    let dir = tempfile::Builder::new()
        .prefix("awsrole-shell-")
        .tempdir()
        .expect("temp dir for shell");
    let script_path = dir.path().join("script");
    std::fs::write(&script_path, script).expect("write script");
    let driver = dir.path().join("driver");
    let quoted = sh_quote(&script_path.to_string_lossy()); // fish reads '..' alike for our paths
    std::fs::write(&driver, driver_body.replace("@SCRIPT@", &quoted)).expect("write driver");
    let out = shell_command(shell, &driver)
        .env_clear()
        .env("PATH", test_path())
        .env("HOME", dir.path())
        .env("LANG", "C.UTF-8")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run shell {shell:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !stderr.is_empty() {
        panic!(
            "shell {shell} failed ({}) evaluating:\n---script---\n{script}\n---stderr---\n{stderr}\n---stdout---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
    }
    out.stdout
}

fn parse_marked(shell: &str, stdout: &[u8], names: &[&str]) -> HashMap<String, Option<String>> {
    let mut fields: Vec<&[u8]> = stdout.split(|&b| b == 0).collect();
    assert_eq!(
        fields.pop(),
        Some(&b""[..]),
        "{shell}: output not NUL-terminated: {:?}",
        String::from_utf8_lossy(stdout)
    );
    assert_eq!(
        fields.len(),
        names.len(),
        "{shell}: expected {} values, got {:?} (did the script exit?)",
        names.len(),
        String::from_utf8_lossy(stdout)
    );
    names
        .iter()
        .zip(fields)
        .map(|(name, f)| {
            let value = match f.split_first() {
                Some((b'S', v)) => Some(
                    String::from_utf8(v.to_vec())
                        .unwrap_or_else(|_| panic!("{shell}: ${name} is not UTF-8: {v:?}")),
                ),
                Some((b'U', _)) => None,
                Some((b'L', n)) => panic!(
                    "{shell}: ${name} is a fish list of {} elements, not one value",
                    String::from_utf8_lossy(n)
                ),
                _ => panic!("{shell}: bad marker for ${name}: {f:?}"),
            };
            (name.to_string(), value)
        })
        .collect()
}

/// Evaluates `script` in a real, non-interactive `shell` (`bash`, `zsh`, `sh`,
/// `fish`) with a clean env (PATH, HOME=<temp>, LANG=C.UTF-8) the way users do
/// (`eval "$(cat FILE)"`; fish: `source FILE`), then returns each named SHELL
/// variable byte-exact (`None` = unset). A fish variable must hold exactly one
/// element (zero elements reads as `Some("")`). Panics with the shell's stderr
/// if the shell fails or writes anything to stderr.
pub fn shell_eval(shell: &str, script: &str, names: &[&str]) -> HashMap<String, Option<String>> {
    check_names(names);
    let mut driver = String::new();
    if is_fish(shell) {
        driver.push_str("source @SCRIPT@\n");
        for n in names {
            driver.push_str(&format!(
                "if set -q {n}\n  if test (count ${n}) -le 1\n    printf 'S%s\\0' \"${n}\"\n  else\n    printf 'L%s\\0' (count ${n})\n  end\nelse\n  printf 'U\\0'\nend\n"
            ));
        }
    } else {
        driver.push_str("eval \"$(cat @SCRIPT@)\"\n");
        for n in names {
            driver.push_str(&format!(
                "if [ \"${{{n}+set}}\" = set ]; then printf 'S%s\\0' \"${n}\"; else printf 'U\\0'; fi\n"
            ));
        }
    }
    driver.push_str("exit 0\n");
    let out = run_driver(shell, script, &driver);
    parse_marked(shell, &out, names)
}

/// Like [`shell_eval`], but returns what a CHILD process of the shell sees: the
/// exported environment after the eval (`None` = not exported / unset).
pub fn shell_eval_exported(
    shell: &str,
    script: &str,
    names: &[&str],
) -> HashMap<String, Option<String>> {
    check_names(names);
    let source = if is_fish(shell) {
        "source @SCRIPT@\n"
    } else {
        "eval \"$(cat @SCRIPT@)\"\n"
    };
    let driver = format!("{source}env -0\nexit 0\n");
    let out = run_driver(shell, script, &driver);
    let mut env: HashMap<&[u8], &[u8]> = HashMap::new();
    for entry in out.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        if let Some(eq) = entry.iter().position(|&b| b == b'=') {
            env.insert(&entry[..eq], &entry[eq + 1..]);
        }
    }
    names
        .iter()
        .map(|n| {
            let v = env.get(n.as_bytes()).map(|v| {
                String::from_utf8(v.to_vec())
                    .unwrap_or_else(|_| panic!("{shell}: exported {n} is not UTF-8: {v:?}"))
            });
            (n.to_string(), v)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// tmux: real terminals for interactive programs
// ---------------------------------------------------------------------------

/// A detached tmux session on its own server (socket `tmux -S <tempdir>/<unique>`,
/// so no stale socket is left in /tmp/tmux-UID), killed on Drop.
/// The pane stays after its program exits (remain-on-exit) so the last screen can
/// still be read; there is no status line, so the pane is exactly width x height.
pub struct Tmux {
    socket: PathBuf,
    dir: tempfile::TempDir,
}

const TMUX_TARGET: &str = "=main:";

impl Tmux {
    /// Starts `command_line` (run by `sh -c`) in a `width` x `height` pane. The
    /// pane's environment is exactly PATH (the test's), HOME (a temp dir), LANG
    /// (C.UTF-8), then `env` on top, plus what tmux adds (TERM, TMUX, TMUX_PANE).
    pub fn start<I, K, V>(command_line: &str, env: I, width: u16, height: u16) -> Tmux
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let dir = tempfile::Builder::new()
            .prefix("awsrole-tmux-")
            .tempdir()
            .expect("temp dir for tmux");
        let conf = dir.path().join("tmux.conf");
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\nset -g escape-time 0\n",
        )
        .expect("write tmux.conf");
        let tmux = Tmux {
            socket: dir.path().join(unique("tmux")),
            dir,
        };
        let mut cmd = Command::new("tmux");
        cmd.arg("-S")
            .arg(&tmux.socket)
            .arg("-f")
            .arg(&conf)
            .arg("-u")
            .args(["new-session", "-d", "-s", "main", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .args(["sh", "-c", command_line])
            .env_clear()
            .env("PATH", test_path())
            .env("HOME", tmux.dir.path())
            .env("LANG", "C.UTF-8")
            .env("SHELL", "/bin/sh")
            .envs(env)
            .current_dir(tmux.dir.path());
        let out = run(&mut cmd);
        if !out.success() {
            panic!("tmux new-session failed: {out:#?}");
        }
        tmux
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket).args(args);
        run(&mut cmd)
    }

    fn tmux_ok(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        if !out.success() {
            panic!("tmux {args:?} failed: {out:#?}");
        }
        out.stdout
    }

    /// Types `text` literally (no key-name interpretation).
    pub fn send_keys(&self, text: &str) {
        self.tmux_ok(&["send-keys", "-t", TMUX_TARGET, "-l", "--", text]);
    }

    /// Sends named tmux keys, e.g. `"Enter"`, `"C-c"`, `"C-d"`, `"Escape"`.
    pub fn send_key(&self, key: &str) {
        self.tmux_ok(&["send-keys", "-t", TMUX_TARGET, key]);
    }

    /// Types `text` then Enter.
    pub fn send_line(&self, text: &str) {
        self.send_keys(text);
        self.send_key("Enter");
    }

    /// The visible screen as plain text (one line per row, trailing blanks cut).
    pub fn capture(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-t", TMUX_TARGET])
    }

    /// The whole scrollback plus screen, wrapped lines joined.
    pub fn capture_all(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-J", "-S", "-", "-t", TMUX_TARGET])
    }

    /// Polls the screen until it contains `text`; returns that screen. Panics with
    /// the screen on timeout.
    #[track_caller]
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {text:?} on the tmux screen:\n\
                     ----8<----\n{screen}\n----8<----\nscrollback:\n{}",
                    self.capture_all()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

// ---------------------------------------------------------------------------
// Python checkers (tests/support/*.py, run by the venv's python)
// ---------------------------------------------------------------------------

/// Runs `tests/support/<checker>` with `input` on stdin: Ok(its JSON) or
/// Err(its stderr). Panics when the venv lacks tree-sitter (never skips).
pub fn python_checker(checker: &str, input: &str) -> Result<serde_json::Value, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(checker);
    let mut child = Command::new(venv_bin("python"))
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run the venv python");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write to the checker");
    let out = child.wait_with_output().expect("checker output");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "tree_sitter / tree_sitter_powershell missing from the venv (run scripts/test): {stderr}"
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("checker printed invalid JSON"))
    } else {
        Err(stderr)
    }
}
