//! The network in between: a TLS terminator in front of moto with a test CA
//! made for the test (`tls_front.py`, Python's `ssl` and `cryptography`
//! from the venv), and Debian's tinyproxy as a real HTTP CONNECT / forward
//! proxy on loopback. Both count what reaches them; both stop when dropped.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::loud_panic;
use super::moto::moto;
use super::peers::{test_path, venv_bin};

/// HTTPS on 127.0.0.1 in front of the shared moto, with keep-alive; a
/// certificate for 127.0.0.1 signed by a CA made at start.
pub struct TlsFront {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl TlsFront {
    pub fn start() -> TlsFront {
        let dir = tempfile::Builder::new()
            .prefix("awsrole-tls-")
            .tempdir()
            .expect("temp dir");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/common/tls_front.py");
        let mut child = Command::new(venv_bin("python3"))
            .arg(&script)
            .arg(dir.path())
            .arg(moto().port().to_string())
            .env_clear()
            .env("PATH", test_path())
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let mut line = String::new();
        let read = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok());
        match (read, port) {
            (Ok(_), Some(port)) => TlsFront { port, dir, child },
            _ => {
                let _ = child.kill();
                loud_panic(&[
                    "TLS FRONT DID NOT START (tests/common/tls_front.py)",
                    &format!("it said: {line:?}"),
                    "It needs the venv's Python with `cryptography` (scripts/test builds it).",
                ])
            }
        }
    }

    /// `https://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The CA that signed the server's certificate (PEM).
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A CA that signed nothing here.
    pub fn other_ca(&self) -> PathBuf {
        self.dir.path().join("other-ca.pem")
    }

    fn events(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("events"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// TLS connections accepted (handshakes completed) so far.
    pub fn connections(&self) -> usize {
        self.events().iter().filter(|e| *e == "conn").count()
    }

    /// HTTP requests served so far.
    pub fn requests(&self) -> usize {
        self.events()
            .iter()
            .filter(|e| e.starts_with("req "))
            .count()
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's tinyproxy on 127.0.0.1, optionally with Basic auth.
pub struct Tinyproxy {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

pub const TINYPROXY: &str = "/usr/bin/tinyproxy";

impl Tinyproxy {
    pub fn start(auth: Option<(&str, &str)>) -> Tinyproxy {
        if !std::path::Path::new(TINYPROXY).is_file() {
            loud_panic(&[
                &format!("TEST PEER MISSING: {TINYPROXY} (Debian package tinyproxy-bin)"),
                "Run `scripts/test`: it installs the Debian packages the tests need.",
            ]);
        }
        let dir = tempfile::Builder::new()
            .prefix("awsrole-proxy-")
            .tempdir()
            .expect("temp dir");
        // tinyproxy takes a fixed port: take a free one, then start (again
        // on another port if something else took it meanwhile).
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let log = dir.path().join("log");
            let mut conf = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nLogLevel Info\n\
                 LogFile \"{}\"\nPidFile \"{}\"\n",
                log.display(),
                dir.path().join("pid").display()
            );
            if let Some((user, pass)) = auth {
                conf.push_str(&format!("BasicAuth {user} {pass}\n"));
            }
            let conf_path = dir.path().join("tinyproxy.conf");
            std::fs::write(&conf_path, conf).expect("write tinyproxy.conf");
            let mut child = Command::new(TINYPROXY)
                .arg("-d")
                .arg("-c")
                .arg(&conf_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {TINYPROXY}: {e}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Tinyproxy { port, dir, child };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        loud_panic(&["TINYPROXY DID NOT START on a free loopback port (5 tries)"])
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, or with `user:pass@` when given.
    pub fn url(&self, auth: Option<(&str, &str)>) -> String {
        match auth {
            Some((u, p)) => format!("http://{u}:{p}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// The request lines tinyproxy logged (`CONNECT host:port HTTP/1.1`,
    /// `POST http://host:port/ HTTP/1.1`), authorized or not.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once("): ").map(|(_, r)| r))
            .filter(|r| r.contains(" HTTP/1."))
            .map(str::to_string)
            .collect()
    }

    /// CONNECT tunnels asked for so far.
    pub fn tunnels(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.starts_with("CONNECT "))
            .count()
    }

    /// Forwarded plain-HTTP requests to `host_port` so far.
    pub fn forwarded_to(&self, host_port: &str) -> usize {
        let prefix = format!("http://{host_port}/");
        self.requests()
            .iter()
            .filter(|r| r.split(' ').nth(1).is_some_and(|u| u.starts_with(&prefix)))
            .count()
    }

    /// The whole log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
