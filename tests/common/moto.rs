//! One real `moto_server` per test binary playing STS, and its request
//! recorder read back as [`RecordedRequest`]s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::http::http;
use super::loud_panic;
use super::peers::{test_path, venv_bin};

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
